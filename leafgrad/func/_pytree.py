"""Nested tuples, lists and dicts of tensors ("pytrees"), as torch.func accepts them."""


class Spec:
    """The shape of a pytree: its container types and keys, with leaves left out."""

    __slots__ = ("kind", "meta", "children")

    def __init__(self, kind, meta=None, children=()):
        self.kind, self.meta, self.children = kind, meta, children

    @property
    def num_leaves(self):
        return 1 if self.kind == "leaf" else sum(c.num_leaves for c in self.children)

    def __eq__(self, other):
        return isinstance(other, Spec) and (self.kind, self.meta, self.children) == \
            (other.kind, other.meta, other.children)

    def __repr__(self):
        if self.kind == "leaf":
            return "*"
        inner = ", ".join(repr(c) for c in self.children)
        if self.kind == "dict":
            inner = ", ".join(f"{k!r}: {c!r}" for k, c in zip(self.meta, self.children))
            return "{" + inner + "}"
        return f"({inner},)" if self.kind == "tuple" and len(self.children) == 1 else \
            f"({inner})" if self.kind == "tuple" else f"[{inner}]" if self.kind == "list" else \
            f"{self.meta.__name__}({inner})"


def flatten(tree):
    """(leaves, spec) of ``tree``."""
    leaves = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree, leaves):
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):
        return Spec("namedtuple", type(tree), tuple(_flatten(x, leaves) for x in tree))
    if isinstance(tree, tuple):
        return Spec("tuple", None, tuple(_flatten(x, leaves) for x in tree))
    if isinstance(tree, list):
        return Spec("list", None, tuple(_flatten(x, leaves) for x in tree))
    if isinstance(tree, dict):
        keys = tuple(tree)
        return Spec("dict", keys, tuple(_flatten(tree[k], leaves) for k in keys))
    leaves.append(tree)
    return Spec("leaf")


def unflatten(leaves, spec):
    it = iter(leaves)
    return _build(spec, it)


def _build(spec, it):
    if spec.kind == "leaf":
        return next(it)
    items = [_build(c, it) for c in spec.children]
    if spec.kind == "tuple":
        return tuple(items)
    if spec.kind == "list":
        return items
    if spec.kind == "dict":
        return dict(zip(spec.meta, items))
    return spec.meta(*items)


def tree_map(fn, tree):
    leaves, spec = flatten(tree)
    return unflatten([fn(x) for x in leaves], spec)
