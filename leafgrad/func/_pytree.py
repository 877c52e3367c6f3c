"""Nested tuples, lists and dicts of tensors ("pytrees"), as torch.func accepts them:
one implementation for the transforms and for vmap."""


class Spec:
    """The structure of a pytree: container types and dict keys, leaves left out.
    ``repr`` is PyTorch's TreeSpec repr; ``pprint`` its short form (``(*, *)``)."""

    __slots__ = ("type", "context", "children")

    def __init__(self, type_, context, children):
        self.type, self.context, self.children = type_, context, children

    @property
    def is_leaf(self):
        return self.type is None

    def num_leaves(self):
        return 1 if self.is_leaf else sum(c.num_leaves() for c in self.children)

    def __eq__(self, other):
        return isinstance(other, Spec) and self.type is other.type and self.context == other.context and \
            self.children == other.children

    def __repr__(self, indent=0):
        if self.is_leaf:
            return "*"
        s = f"TreeSpec({self.type.__name__}, {self.context}, ["
        if self.children:
            indent += 2
            s += self.children[0].__repr__(indent)
            s += "," if len(self.children) > 1 else ""
            s += ",".join("\n" + " " * indent + c.__repr__(indent) for c in self.children[1:])
        return s + "])"

    def pprint(self):
        if self.is_leaf:
            return "*"
        parts = [c.pprint() for c in self.children]
        if issubclass(self.type, dict):
            return "{" + ", ".join(f"{k!r}: {p}" for k, p in zip(self.context, parts)) + "}"
        if self.type is list:
            return "[" + ", ".join(parts) + "]"
        if self.type is tuple:
            return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
        return f"{self.type.__name__}(" + ", ".join(parts) + ")"


LEAF = Spec(None, None, [])


def is_node(x):
    return isinstance(x, (tuple, list, dict))


def flatten(tree):
    """(leaves, spec) of ``tree``."""
    leaves = []

    def go(x):
        if isinstance(x, dict):
            keys = list(x)
            return Spec(type(x), keys, [go(x[k]) for k in keys])
        if isinstance(x, (tuple, list)):
            return Spec(type(x), None, [go(v) for v in x])
        leaves.append(x)
        return LEAF
    return leaves, go(tree)


def unflatten(leaves, spec):
    it = iter(leaves)

    def go(s):
        if s.is_leaf:
            return next(it)
        vals = [go(c) for c in s.children]
        if issubclass(s.type, dict):
            return s.type(zip(s.context, vals))
        if hasattr(s.type, "_make"):         # a namedtuple
            return s.type._make(vals)
        return s.type(vals)                  # tuple, list, return_types
    return go(spec)


def tree_map(fn, tree):
    leaves, spec = flatten(tree)
    return unflatten([fn(x) for x in leaves], spec)
