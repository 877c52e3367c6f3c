"""Comparisons and ``where``: no gradient flows through a comparison."""
import numpy as np

from ._declare import constant, declare, make_inplace, FUNCTIONS
from ..autograd import grad_mode as _grad
from ._samples import T, sample
from .._tensor import Tensor, wrap

_CMP = [sample(T(3, 4), T(3, 4), smooth=False), sample(T(3, 1), 0.5, smooth=False)]


def _comparison(name, ufunc, dunder, alias=None):
    fn = declare(name, ufunc, inputs=("self", "other"), promote="common", method=(name, dunder),
                 ufunc=ufunc, samples=_CMP)
    if alias:
        FUNCTIONS[alias] = fn
        setattr(Tensor, alias, fn)
    setattr(Tensor, name + "_", _inplace_comparison(name, ufunc, fn))
    return fn


def zeros_like_grad(grad):
    """PyTorch's ``zeros_like(grad)`` in a formula: zeros even where grad is inf or NaN."""
    if isinstance(grad, Tensor):
        from .._creation import zeros_like
        return zeros_like(grad)
    return np.zeros_like(grad)


def _inplace_comparison(name, ufunc, fn):
    """``x.gt_(other)``: x takes the comparison's 1 and 0 in its own dtype. No gradient
    flows through it, but on a tensor that requires grad PyTorch still records a node whose
    gradients are zeros (``GtBackward0`` against a number, ``GtBackward1`` against a
    tensor), so x's old history stops there."""
    node = name.capitalize() + "Backward"
    with_number = declare(
        name + "_.Scalar", lambda a, other: ufunc(a, other).astype(a.dtype), node=node + "0", public=False,
        samples=[sample(T(3, 4), other=0.2, call=f"Tensor.{name}_", prep="clone", smooth=False)],
        self=lambda grad: zeros_like_grad(grad))
    with_tensor = declare(
        name + "_.Tensor", lambda a, b: ufunc(a, b).astype(a.dtype), inputs=("self", "other"), node=node + "1",
        public=False, samples=[sample(T(3, 4), T(4), call=f"Tensor.{name}_", prep="clone", smooth=False)],
        self=lambda grad: zeros_like_grad(grad), other=lambda grad: zeros_like_grad(grad))
    plain, numbers, tensors = make_inplace(fn), make_inplace(with_number), make_inplace(with_tensor)

    def inplace(self, other):
        if _grad.state.enabled and (self._requires_grad or isinstance(other, Tensor) and other._requires_grad):
            return tensors(self, other) if isinstance(other, Tensor) else numbers(self, other=other)
        return plain(self, other)
    inplace.__name__ = name + "_"
    return inplace


eq = _comparison("eq", np.equal, "__eq__")
ne = _comparison("ne", np.not_equal, "__ne__", "not_equal")
lt = _comparison("lt", np.less, "__lt__", "less")
le = _comparison("le", np.less_equal, "__le__", "less_equal")
gt = _comparison("gt", np.greater, "__gt__", "greater")
ge = _comparison("ge", np.greater_equal, "__ge__", "greater_equal")


def _where_forward(condition, input, other):
    return np.where(condition, input, other)


where_ = declare(
    "where", _where_forward, inputs=("condition", "self", "other"), public=False, node="WhereBackward0",
    samples=[sample(T(3, 4, dtype="bool"), T(3, 4), T(3, 4), call="where"),
             sample(T(3, 1, dtype="bool"), T(4), 0.0, call="where")],
    self=lambda grad, condition: np.where(condition, grad, 0),
    other=lambda grad, condition: np.where(condition, 0, grad))


def where(condition, input=None, other=None, *, out=None):
    """``where(cond, a, b)`` picks from a where cond holds, else from b."""
    if input is None and other is None:
        return tuple(wrap(i) for i in np.nonzero(condition._data))
    from .._dtype import result_type_of
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    operands = [x for x in (input, other)]
    target = result_type_of(operands)
    args = []
    for x in operands:
        if isinstance(x, Tensor):
            args.append(x if x._data.dtype == target.np else x.to(target))
        else:
            args.append(constant(np.array(x, dtype=target.np)))
    return where_(cond if not isinstance(condition, Tensor) else condition, *args)


FUNCTIONS["where"] = where
Tensor.where = lambda self, condition, other: where(condition, self, other)
from .._tensor import HANDLED_FUNCTIONS  # noqa: E402
HANDLED_FUNCTIONS[np.where] = where


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when every element of input is close to other (no gradient; a bool)."""
    if input._data.dtype != other._data.dtype:
        from .._tensor import _LEGACY_NAMES
        raise RuntimeError(f"{_LEGACY_NAMES[input._data.dtype.name]} did not match "
                           f"{_LEGACY_NAMES[other._data.dtype.name]}")
    return bool(np.allclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input, other):
    """True when both have the same shape and elements."""
    return input._data.shape == other._data.shape and bool(np.array_equal(input._data, other._data))


FUNCTIONS.update(allclose=allclose, equal=equal)
Tensor.allclose = allclose
Tensor.equal = equal


# ---------------------------------------------------------------- logical and bitwise
def _logical(name, ufunc, dunders=()):
    fn = declare(name, lambda a, b: ufunc(a, b).astype(bool, copy=False), inputs=("self", "other"),
                 promote=None, method=True, inplace=name + "_",
                 samples=[sample(T(3, 4, dtype="bool"), T(3, 4, dtype="bool"), smooth=False)])
    return fn


logical_and = _logical("logical_and", np.logical_and)
logical_or = _logical("logical_or", np.logical_or)
logical_xor = _logical("logical_xor", np.logical_xor)
logical_not = declare("logical_not", np.logical_not, method=True, inplace="logical_not_",
                      samples=[sample(T(3, 4, dtype="bool"), smooth=False)])


def _check_integral(a, name):
    if a.dtype.kind == "f":
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'{_FLOAT_NAMES[a.dtype.name]}\'')
    return a


_FLOAT_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half"}


def _bitwise(name, ufunc, dunder, rdunder):
    fn = declare(name, lambda a, b: ufunc(_check_integral(np.asarray(a), name), b), inputs=("self", "other"),
                 promote="common", method=(name, dunder, rdunder), inplace=name + "_", ufunc=ufunc,
                 samples=[sample(T(3, 4, dtype="bool"), T(3, 4, dtype="bool"), smooth=False),
                          sample(T(3, dtype="int64"), T(3, dtype="int64"), smooth=False)])
    return fn


bitwise_and = _bitwise("bitwise_and", np.bitwise_and, "__and__", "__rand__")
bitwise_or = _bitwise("bitwise_or", np.bitwise_or, "__or__", "__ror__")
bitwise_xor = _bitwise("bitwise_xor", np.bitwise_xor, "__xor__", "__rxor__")
bitwise_not = declare("bitwise_not", lambda a: np.invert(_check_integral(a, "bitwise_not")),
                      method=("bitwise_not", "__invert__"), inplace="bitwise_not_", ufunc=np.invert,
                      samples=[sample(T(3, dtype="int64"), smooth=False), sample(T(3, dtype="bool"), smooth=False)])
for _n, _d in (("bitwise_and", "__iand__"), ("bitwise_or", "__ior__"), ("bitwise_xor", "__ixor__")):
    setattr(Tensor, _d, getattr(Tensor, _n + "_"))
