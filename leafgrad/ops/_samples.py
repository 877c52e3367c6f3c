"""Sample inputs, declared beside each op, from which the test sweep builds the same
call in leafgrad and in PyTorch and checks values, first and second derivatives."""


class T:
    """A tensor argument of a sample: random values in [low, high) of ``shape``
    (float64, requiring grad, unless said otherwise), or the given ``values``."""

    def __init__(self, *shape, low=-2.0, high=2.0, dtype="float64", grad=True, values=None, away=None):
        self.shape = shape
        self.low, self.high = low, high
        self.dtype = dtype
        self.grad = grad and dtype.startswith("float")
        self.values = values
        self.away = away  # keep values at least this far from these points (kinks, poles)

    def __repr__(self):
        return f"T{self.shape}" if self.values is None else f"T(values={self.values!r})"


class Sample:
    __slots__ = ("args", "kwargs", "call", "smooth", "prep")

    def __init__(self, args, kwargs, call, smooth, prep):
        self.args, self.kwargs, self.call, self.smooth, self.prep = args, kwargs, call, smooth, prep

    def __repr__(self):
        inner = ", ".join([repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()])
        return f"{self.call}({inner})"


def sample(*args, call=None, smooth=True, prep=None, **kwargs):
    """``call``: the public path to call (default: the op's own name), e.g. ``"sum"``,
    ``"Tensor.t"``. ``smooth=False``: skip finite differences (kinks, ties, integer ops).
    ``prep``: a Tensor method or attribute applied to the first argument before the call,
    e.g. ``"clone"`` (a non-leaf that in-place ops may change; a call returning None then
    yields that tensor) or ``"mT"`` (a non-contiguous input)."""
    return Sample(args, kwargs, call, smooth, prep)
