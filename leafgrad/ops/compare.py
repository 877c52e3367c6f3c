"""Comparisons and ``where``: no gradient flows through a comparison."""
import numpy as np

from ._declare import declare, FUNCTIONS
from ._samples import T, sample
from .._tensor import Tensor, wrap

_CMP = [sample(T(3, 4), T(3, 4), smooth=False), sample(T(3, 1), 0.5, smooth=False)]


def _comparison(name, ufunc, dunder, alias=None):
    fn = declare(name, ufunc, inputs=("self", "other"), promote="common", method=(name, dunder),
                 inplace=name + "_", ufunc=ufunc, samples=_CMP)
    if alias:
        FUNCTIONS[alias] = fn
        setattr(Tensor, alias, fn)
    return fn


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
            args.append(np.asarray(x, dtype=target.np))
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
