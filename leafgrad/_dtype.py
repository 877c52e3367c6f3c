"""dtypes as PyTorch names them, mapped onto NumPy's, and PyTorch's type promotion."""
import numpy as np


class dtype:
    """A tensor element type: ``leafgrad.float32`` prints as ``torch.float32``,
    so that output matches PyTorch's character for character."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_category")

    def __init__(self, name, np_dtype, category):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = category == 2
        self.is_signed = name != "uint8" and name != "bool"
        self.itemsize = self.np.itemsize
        self._category = category  # 0 bool, 1 integer, 2 floating: PyTorch's promotion tiers

    @property
    def is_complex(self):
        return False

    def __repr__(self):
        return "torch." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))


float16 = half = dtype("float16", np.float16, 2)
float32 = float = dtype("float32", np.float32, 2)
float64 = double = dtype("float64", np.float64, 2)
int8 = dtype("int8", np.int8, 1)
int16 = short = dtype("int16", np.int16, 1)
int32 = int = dtype("int32", np.int32, 1)
int64 = long = dtype("int64", np.int64, 1)
uint8 = dtype("uint8", np.uint8, 1)
bool = dtype("bool", np.bool_, 0)

ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool)
_FROM_NP = {d.np: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL}


def _by_name(name):
    return _BY_NAME[name]


def from_numpy_dtype(np_dtype):
    """The leafgrad dtype of a NumPy dtype; TypeError for dtypes PyTorch lacks."""
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).name}. The only supported "
            "types are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None


def to_numpy_dtype(d):
    """Accept a leafgrad dtype (or a NumPy dtype / Python type, as NumPy users would)."""
    if type(d) is dtype:
        return d.np
    if d is None:
        return None
    return from_numpy_dtype(np.dtype(d)).np


# ---------------------------------------------------------------- default dtype
_default = [float32]


def get_default_dtype():
    return _default[0]


def set_default_dtype(d):
    if type(d) is not dtype or d not in (float16, float32, float64):
        raise TypeError("only floating-point types are supported as the default type")
    _default[0] = d


def default_float_np():
    return _default[0].np


# ---------------------------------------------------------------- promotion
def promote_types(a, b):
    """torch.promote_types on leafgrad dtypes: floats beat integers whatever their width
    (int64 + float16 is float16), integers follow NumPy's lattice (uint8 + int8 is int16)."""
    if a is b:
        return a
    ca, cb = a._category, b._category
    if ca != cb:
        return a if ca > cb else b
    return _FROM_NP[np.promote_types(a.np, b.np)]


def _combine(higher, lower):
    # PyTorch's combine_categories: a lower tier only matters when it is of a higher category.
    if higher is None:
        return lower
    if lower is None or higher._category == 2:
        return higher
    if higher is bool or lower._category == 2:
        return promote_types(higher, lower)
    return higher


def result_type_of(operands):
    """torch.result_type over Tensors and Python scalars: dimensioned tensors, zero-dim
    tensors and Python numbers form three tiers; a lower tier changes the result only
    when its category (bool < integer < floating) is higher."""
    dim = zero = wrapped = None
    for x in operands:
        if isinstance(x, (builtins_bool, np.bool_)):
            d = bool
            wrapped = d if wrapped is None else promote_types(wrapped, d)
        elif isinstance(x, (builtins_int, np.integer)):
            d = int64
            wrapped = d if wrapped is None else promote_types(wrapped, d)
        elif isinstance(x, (builtins_float, np.floating)):
            d = _default[0]
            wrapped = d if wrapped is None else promote_types(wrapped, d)
        else:
            arr = x._data if hasattr(x, "_data") else x
            d = _FROM_NP[arr.dtype]
            if arr.ndim:
                dim = d if dim is None else promote_types(dim, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
    return _combine(dim, _combine(zero, wrapped))


import builtins as _b  # noqa: E402  (names above shadow the builtins on purpose)

builtins_bool, builtins_int, builtins_float = _b.bool, _b.int, _b.float
