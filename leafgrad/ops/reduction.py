"""Reductions: sum and mean over everything or over dims."""
import numpy as np

from ._declare import declare, FUNCTIONS, broadcast_to
from ._samples import T, sample
from .._tensor import Tensor, _wrap_dim

REDUCE = [sample(T(3, 4)), sample(T(3, 4), 1), sample(T(3, 4), -1, True), sample(T(2, 3, 4), (0, 2)),
          sample(T()), sample(T(2, 3), dim=0, keepdim=True)]


def normalize_dims(dim, ndim):
    """``dim`` (int, or a tuple/list of ints) as a sorted tuple of non-negative dims."""
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = []
    for d in dims:
        d = _wrap_dim(d, ndim)
        if d in out:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        out.append(d)
    return tuple(sorted(d for d in out if ndim)) if ndim else ()


def _expand_back(grad, self_shape, dim, keepdim):
    if not keepdim and dim:
        if type(grad) is np.ndarray and min(dim) >= 0:   # np.expand_dims, as a reshape
            shape = list(grad.shape)
            for d in sorted(dim):
                shape.insert(d, 1)
            grad = grad.reshape(shape)
        else:
            grad = np.expand_dims(grad, dim)
    return broadcast_to(grad, self_shape)


def _count(shape, dim):
    n = 1
    for d in dim:
        n *= shape[d]
    return n


def _sum_dtype(a, dtype):
    if dtype is not None:
        return dtype
    return np.int64 if a.dtype.kind in "biu" else None


sum_all = declare(
    "sum", lambda a, dtype=None: np.sum(a, dtype=_sum_dtype(a, dtype)), node="SumBackward0", public=False,
    samples=REDUCE, self=lambda grad, self_shape: broadcast_to(grad, self_shape))

sum_dim = declare(
    "sum.dim_IntList", lambda a, dim, keepdim, dtype=None: np.sum(a, axis=dim, keepdims=keepdim,
                                                                  dtype=_sum_dtype(a, dtype)),
    node="SumBackward1", public=False, samples=[sample(T(3, 4), 1, call="sum")],
    self=_expand_back)


def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum of all elements, or over ``dim`` (an int or a tuple of ints)."""
    np_dtype = None if dtype is None else dtype.np
    if dim is None or isinstance(dim, (tuple, list)) and not dim:  # dim=() reduces everything
        return sum_all(input, dtype=np_dtype) if np_dtype is not None else sum_all(input)
    dims = normalize_dims(dim, input._data.ndim)
    return sum_dim(input, dim=dims, keepdim=bool(keepdim), dtype=np_dtype)


def _mean_check(input, dtype):
    if dtype is None and input._data.dtype.kind != "f":
        from .._tensor import _LEGACY_NAMES
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex "
            f"dtype. Got: {_LEGACY_NAMES[input._data.dtype.name]}")


mean_all = declare(
    "mean", lambda a: np.mean(a, dtype=a.dtype).astype(a.dtype, copy=False), node="MeanBackward0",
    public=False, samples=REDUCE,
    self=lambda grad, self_shape: broadcast_to(grad / max(_count(self_shape, range(len(self_shape))), 1),
                                               self_shape))

mean_dim = declare(
    "mean.dim", lambda a, dim, keepdim: np.mean(a, axis=dim, keepdims=keepdim, dtype=a.dtype),
    node="MeanBackward1", public=False, samples=[sample(T(3, 4), 1, call="mean")],
    self=lambda grad, self_shape, dim, keepdim: _expand_back(grad / _count(self_shape, dim), self_shape,
                                                              dim, keepdim))


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean of all elements, or over ``dim``."""
    _mean_check(input, dtype)
    if dtype is not None:
        input = input.to(dtype)
    if dim is None or isinstance(dim, (tuple, list)) and not dim:
        return mean_all(input)
    return mean_dim(input, dim=normalize_dims(dim, input._data.ndim), keepdim=bool(keepdim))


FUNCTIONS.update(sum=sum, mean=mean)
Tensor.sum = sum
Tensor.mean = mean


def _np_sum(a, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    """``np.sum`` on a Tensor (derivative formulas call it): leafgrad's sum."""
    if out is not None:
        return NotImplemented
    return sum(a, dim=axis, keepdim=bool(keepdims)) if axis is not None else (
        sum(a).reshape((1,) * a.dim()) if keepdims else sum(a))


def _np_mean(a, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    return mean(a, dim=axis, keepdim=bool(keepdims)) if axis is not None else (
        mean(a).reshape((1,) * a.dim()) if keepdims else mean(a))


from .._tensor import HANDLED_FUNCTIONS  # noqa: E402
HANDLED_FUNCTIONS.update({np.sum: _np_sum, np.mean: _np_mean})
