"""Named-tuple result types, PyTorch's ``torch.return_types``: ``leafgrad.return_types.max``
is the type of ``leafgrad.max(x, dim)``, a tuple whose items are also fields (``values``,
``indices``) and whose repr is torch's (``torch.return_types.max(\\nvalues=...``).
Every type is made once by ``return_type(name, fields)`` and kept here under its name."""
import operator

__all__ = ["return_type"]


class _ReturnType(tuple):
    """A structseq like ``torch.return_types.max``: a tuple with named fields."""

    __slots__ = ()
    _fields = ()

    def __new__(cls, sequence):
        seq = tuple(sequence)
        if len(seq) != len(cls._fields):
            raise TypeError(f"torch.return_types.{cls.__name__}() takes a {len(cls._fields)}-sequence "
                            f"({len(seq)}-sequence given)")
        return tuple.__new__(cls, seq)

    def __repr__(self):
        inner = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"torch.return_types.{type(self).__name__}(\n{inner})"

    __str__ = __repr__

    def __reduce__(self):
        return type(self), (tuple(self),)


#: Every return type by name.
RETURN_TYPES = {}


def return_type(name, fields=("values", "indices")):
    """The type ``torch.return_types.<name>`` with ``fields`` (made on first use)."""
    cls = RETURN_TYPES.get(name)
    if cls is None:
        ns = {"__slots__": (), "_fields": tuple(fields), "__match_args__": tuple(fields), "n_fields": len(fields),
              "n_sequence_fields": len(fields), "n_unnamed_fields": 0, "__module__": __name__}
        for i, f in enumerate(fields):
            ns[f] = property(operator.itemgetter(i))
        cls = RETURN_TYPES[name] = type(name, (_ReturnType,), ns)
        globals()[name] = cls
        __all__.append(name)
    return cls


for _name, _fields in {
        "max": None, "min": None, "median": None, "nanmedian": None, "mode": None, "kthvalue": None,
        "sort": None, "topk": None, "cummax": None, "cummin": None, "aminmax": ("min", "max"),
        "slogdet": ("sign", "logabsdet"), "linalg_slogdet": ("sign", "logabsdet"), "qr": ("Q", "R"),
        "linalg_qr": ("Q", "R"), "linalg_eigh": ("eigenvalues", "eigenvectors"), "svd": ("U", "S", "V"),
        "linalg_svd": ("U", "S", "Vh"), "linalg_lstsq": ("solution", "residuals", "rank", "singular_values"),
        "linalg_inv_ex": ("inverse", "info"), "linalg_cholesky_ex": ("L", "info"),
        "linalg_solve_ex": ("result", "info")}.items():
    return_type(_name, *([_fields] if _fields else []))
del _name, _fields
