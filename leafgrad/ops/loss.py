"""torch.nn.functional losses.

Losses that are one ATen op in PyTorch (mse_loss, smooth_l1_loss, huber_loss, nll_loss,
nll_loss2d, binary_cross_entropy, binary_cross_entropy_with_logits) are declared ops with
PyTorch's node names; the others are composed as ATen composes them (l1_loss, kl_div,
cross_entropy = log_softmax + nll_loss, cosine_embedding_loss, margin_ranking_loss,
triplet_margin_loss), so their graphs match.
"""
import warnings

import numpy as np

from ._declare import FUNCTIONS
from .. import _dtype
from ..autograd import grad_mode
from ._samples import T, sample
from .._tensor import Tensor, _LEGACY_NAMES, wrap
from .compare import where as _where
from .pointwise import sub as _sub
from . import activation as _act
from .activation import _prim, _dep, _need_float, add_scalar, clamp_min, mul_scalar, div_scalar
from .binary import minimum_op as _minimum
from .unary import xlogy as _xlogy

F = "nn.functional."
_REDUCTIONS = ("none", "mean", "sum")


# ---------------------------------------------------------------- reduction helpers
def _legacy(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce args will be deprecated, please use reduction='{}' instead."
                  .format(_legacy_string(size_average, reduce)))
    return _legacy_string(size_average, reduce)


def _legacy_string(size_average, reduce):
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        return "mean"
    return "sum" if reduce else "none"


def _no_grad_arg(t, fn, arg):
    """PyTorch refuses to record ops that are not differentiable w.r.t. ``arg``."""
    if isinstance(t, Tensor) and t._requires_grad and grad_mode.state.enabled:
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument '{arg}'. This input "
                           "cannot have requires_grad True.")


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _reduce_fwd(loss, reduction):
    if reduction == "mean":
        return np.asarray(np.mean(loss, dtype=loss.dtype) if loss.size else np.nan, loss.dtype)
    if reduction == "sum":
        return np.asarray(np.sum(loss, dtype=loss.dtype), loss.dtype)
    return loss


def _numel(x):
    return x.numel() if isinstance(x, Tensor) else x.size


def _grad_scale(grad, reduction, n):
    return grad / n if reduction == "mean" else grad


def _apply_reduction(t, reduction):
    if reduction == "mean":
        return t.mean()
    if reduction == "sum":
        return t.sum()
    return t


def _size_warning(input, target):
    # ``target.size() != input.size()`` as PyTorch evaluates it (a number fails on ``size``).
    ts, ins = target.size(), input.size()
    if ts != ins:
        warnings.warn(f"Using a target size ({ts}) that is different to the input size ({ins}). "
                      "This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=3)


# ---------------------------------------------------------------- dtype rules of the ATen kernels
def _tname(np_dtype):
    return _LEGACY_NAMES[np_dtype.name]


def _common(a, b):
    """torch.promote_types of two arrays' dtypes (a float beats any integer, whatever its width)."""
    da, db = a.dtype, b.dtype
    if da == db:
        return da
    return _dtype.promote_types(_dtype.from_numpy_dtype(da), _dtype.from_numpy_dtype(db)).np


def _can_cast(src, dst):
    """ATen's canCast: no float to integer or bool, nothing but bool to bool."""
    if src.kind == "f" and dst.kind in "biu":
        return False
    return not (dst.kind == "b" and src.kind != "b")


def _check_cast(src, dst):
    """TensorIterator's check that a computation in ``src`` may be written to an output of ``dst``."""
    if not _can_cast(src, dst):
        raise RuntimeError(f"result type {_tname(src)} can't be cast to the desired output type {_tname(dst)}")


def _need_float_dtype(dt, kernel):
    """A floating-only kernel dispatched on ``dt`` (the operands' common dtype)."""
    if dt.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_tname(dt)}\'')


def _broadcast_shapes(*shapes):
    """torch.broadcast_shapes of Sizes, with its error for shapes that do not broadcast."""
    common = [1] * max(len(s) for s in shapes)
    for i, shape in enumerate(shapes):
        for d in range(-1, -1 - len(shape), -1):
            if shape[d] == common[d]:
                continue
            if common[d] == 1:
                common[d] = shape[d]
            if shape[d] != 1 and common[d] != shape[d]:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {shape[d]} at {d}! Mismatching "
                                   f"argument at index {i} had {shape}; but expected shape should be broadcastable "
                                   f"to {common}")
    return tuple(common)


def _broadcast_shape(a, b):
    try:
        return np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        from ._declare import broadcast_error
        raise broadcast_error(a, b) from None


def _inplace_shape(shape, result_shape):
    """An in-place step's check that the broadcast result keeps the output's shape."""
    if tuple(result_shape) != tuple(shape):
        raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape "
                           f"{list(result_shape)}")


def _both_bool_sub(a, b):
    """``a - b`` of two bool tensors: PyTorch's message for that case."""
    if a._data.dtype.kind == "b" and b._data.dtype.kind == "b":
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")


def _broadcast(input, target):
    try:
        shape = np.broadcast_shapes(input._data.shape, target._data.shape)
    except ValueError:
        from ._declare import broadcast_error
        raise broadcast_error(input._data, target._data) from None
    if input._data.shape != shape:
        input = input.expand(shape)
    if target._data.shape != shape:
        target = target.expand(shape)
    return input, target


def _weight_size(weight, input):
    if weight.size() != input.size():
        raise ValueError("Weights and input must have the same size.")


def _weighted(loss, weight, input, reduction):
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    w = loss * weight
    if reduction == "none":
        return w
    if reduction == "sum":
        return w.sum()
    if reduction == "mean":
        return w.sum() / weight.sum()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


_PAIR = [sample(T(3, 4), T(3, 4)), sample(T(3, 4), T(3, 4), reduction="sum"),
         sample(T(3, 4), T(3, 4), reduction="none"), sample(T(), T()), sample(T(3, 4), T(4))]


def _pair_samples(path, **kw):
    return [sample(*s.args, call=F + path, **dict(s.kwargs, **kw)) for s in _PAIR]


# ---------------------------------------------------------------- mse / l1 / smooth l1 / huber
def _mse_fwd(a, b, reduction="mean"):
    d = a - b
    return _reduce_fwd(d * d, reduction)


mse_ = _prim("mse_loss", _mse_fwd, inputs=("self", "target"), promote="common", node="MseLossBackward0",
             samples=_pair_samples("mse_loss"),
             self=lambda grad, self, target, reduction="mean": _grad_scale(grad, reduction, _numel(self)) * 2 * (
                 self - target),
             target=lambda grad, self, target, reduction="mean": _grad_scale(grad, reduction, _numel(self)) * -2 * (
                 self - target))


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _size_warning(input, target)
    reduction = _legacy(size_average, reduce, reduction)
    a, b = _broadcast(input, target)
    if weight is not None:
        _weight_size(weight, input)
        _both_bool_sub(a, b)
        return _weighted((a - b) ** 2, weight, input, reduction)
    _check_reduction(reduction)
    _need_float_dtype(_common(a._data, b._data), "mse_cpu")
    return mse_(a, b, reduction=reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _size_warning(input, target)
    reduction = _legacy(size_average, reduce, reduction)
    a, b = _broadcast(input, target)
    if weight is not None:
        _weight_size(weight, input)
    _both_bool_sub(a, b)
    if weight is not None:
        return _weighted((a - b).abs(), weight, input, reduction)
    _check_reduction(reduction)
    return _apply_reduction((a - b).abs(), reduction)


def _smooth_l1_fwd(a, b, reduction="mean", beta=1.0):
    d = np.abs(a - b)
    loss = np.where(d < beta, np.asarray(0.5, a.dtype) * d * d / np.asarray(beta, a.dtype),
                    d - np.asarray(0.5 * beta, a.dtype))
    return _reduce_fwd(loss, reduction)


def _smooth_l1_grad(grad, self, target, reduction="mean", beta=1.0):
    d = self - target
    g = _grad_scale(grad, reduction, _numel(self))
    return _dep(np.where(d < -beta, -g, np.where(d > beta, g, g * d / beta)), self)


smooth_l1_ = _prim("smooth_l1_loss", _smooth_l1_fwd, inputs=("self", "target"), promote="common",
                   node="SmoothL1LossBackward0",
                   samples=_pair_samples("smooth_l1_loss") + [
                       sample(T(3, 4, low=-3, high=3), T(3, 4), beta=0.5, call=F + "smooth_l1_loss", smooth=False),
                       sample(T(3, 4), T(3, 4), beta=0.0, call=F + "smooth_l1_loss", smooth=False)],
                   self=_smooth_l1_grad,
                   target=lambda grad, self, target, reduction="mean", beta=1.0: -_smooth_l1_grad(
                       grad, self, target, reduction, beta))


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    _size_warning(input, target)
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    a, b = _broadcast(input, target)
    if beta == 0.0:
        _both_bool_sub(a, b)
        return _apply_reduction((a - b).abs(), reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    _need_float_dtype(_common(a._data, b._data), "smooth_l1_cpu")
    return smooth_l1_(a, b, reduction=reduction, beta=beta)


def _huber_fwd(a, b, reduction="mean", delta=1.0, dtype=None):
    # Computed in the operands' common dtype; ``dtype``: the input's, when it differs (ATen
    # writes the loss into ``empty_like(input)``).
    d = np.abs(a - b)
    dl = np.asarray(delta, a.dtype)
    loss = np.where(d < delta, np.asarray(0.5, a.dtype) * d * d, dl * (d - np.asarray(0.5, a.dtype) * dl))
    if dtype is not None:
        loss = loss.astype(dtype)
    return _reduce_fwd(loss, reduction)


def _same_dtype(expected, found):
    """ATen's check_all_same_dtype in a backward kernel's TensorIterator."""
    de = expected._data.dtype if isinstance(expected, Tensor) else np.asarray(expected).dtype
    df = found._data.dtype if isinstance(found, Tensor) else np.asarray(found).dtype
    if de != df:
        raise RuntimeError(f"Found dtype {_tname(df)} but expected {_tname(de)}")


def _huber_grad(grad, self, target, reduction="mean", delta=1.0):
    # huber_loss_backward(grad, self, target) refuses operands of different dtypes; for the
    # target's gradient PyTorch calls it with the two swapped.
    _same_dtype(self, target)
    d = self - target
    g = _grad_scale(grad, reduction, _numel(self))
    return _dep(np.where(d < -delta, -g * delta, np.where(d > delta, g * delta, g * d)), self)


huber_ = _prim("huber_loss", _huber_fwd, inputs=("self", "target"), promote="common", node="HuberLossBackward0",
               samples=_pair_samples("huber_loss") + [
                   sample(T(3, 4, low=-3, high=3), T(3, 4), delta=0.5, call=F + "huber_loss", smooth=False)],
               self=_huber_grad,
               target=lambda grad, self, target, reduction="mean", delta=1.0: _huber_grad_target(
                   grad, self, target, reduction, delta))


def _huber_grad_target(grad, self, target, reduction, delta):
    _same_dtype(target, self)
    return -_huber_grad(grad, self, target, reduction, delta)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    _size_warning(input, target)
    a, b = _broadcast(input, target)
    if weight is None:
        _check_reduction(reduction)
    else:
        _weight_size(weight, input)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    # ATen: loss = empty_like(input), a binary TensorIterator over (input, target) into it.
    ad = a._data.dtype
    common = _common(a._data, b._data)
    _check_cast(common, ad)
    _need_float_dtype(common, "huber_cpu")
    kw = {"delta": delta} if common == ad else {"delta": delta, "dtype": ad}
    if weight is None:
        return huber_(a, b, reduction=reduction, **kw)
    w = huber_(a, b, reduction="none", **kw) * weight
    if reduction == "none":
        return w
    if reduction == "sum":
        return w.sum()
    if reduction == "mean":
        return w.mean()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


# ---------------------------------------------------------------- nll_loss
def _nll_parts(shape, target, weight, ignore_index, dtype):
    """The class dim, the safe class index and per-element weights (0 where ignored),
    shaped like target, and which elements are ignored."""
    cdim = 0 if len(shape) == 1 else 1
    ignored = target == ignore_index
    safe = np.where(ignored, 0, target)
    w = np.ones(shape[cdim], dtype) if weight is None else weight.astype(dtype, copy=False)
    wt = np.where(ignored, 0, w[safe]).astype(dtype, copy=False) if safe.size else np.zeros(safe.shape, dtype)
    return cdim, safe, wt, ignored


def _nll_plain(shape, target, weight, reduction, ignore_index, dtype):
    """The common case: (N, C) input, N class indices, no weight, a reduction, float32 /
    float64. Every weight is then 1 and the total weight is N (exact in these dtypes), so
    the general formulas come down to one value per row. Returns the row indices, or None
    when the general path must run. An ``ignore_index`` that is no class's index (the
    default -100) is not looked for here: indexing with it raises IndexError, and the
    callers then take the general path."""
    if weight is None and reduction != "none" and len(shape) == 2 and type(target) is np.ndarray and \
            target.ndim == 1 and dtype in _PLAIN_DTYPES:
        n = target.shape[0]
        if 0 < n < 1 << 24 and not (-shape[1] <= ignore_index < shape[1] and _any(target == ignore_index)):
            rows = _ROWS.get(n)
            if rows is None:
                if len(_ROWS) > 64:
                    _ROWS.clear()
                rows = _ROWS[n] = np.arange(n)
                rows.flags.writeable = False
            return rows
    return None


_ROWS = {}      # np.arange(N) by N, read-only
_PLAIN_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _nll_fwd(a, target, weight=None, reduction="mean", ignore_index=-100):
    rows = _nll_plain(a.shape, target, weight, reduction, ignore_index, a.dtype)
    if rows is not None:
        try:
            picked = a[rows, target]
        except IndexError:   # (a target is ignore_index)
            picked = None
        if picked is not None:
            # -(picked * 1) summed (the negated sum: rounding is symmetric), divided by the
            # summed weights (N): the general path's values.
            total = -_add_reduce(picked, dtype=a.dtype)
            if reduction == "sum":
                return np.asarray(total, a.dtype)
            return np.asarray(total / a.dtype.type(rows.shape[0]), a.dtype)
    cdim, safe, wt, _ = _nll_parts(a.shape, target, weight, ignore_index, a.dtype)
    picked = np.take_along_axis(a, np.expand_dims(safe, cdim), cdim).squeeze(cdim) if a.ndim > 1 else a[safe]
    loss = -(picked * wt)
    if reduction == "none":
        return loss.astype(a.dtype, copy=False)
    total = np.sum(loss, dtype=a.dtype)
    if reduction == "sum":
        return np.asarray(total, a.dtype)
    return np.asarray(total / np.sum(wt, dtype=a.dtype), a.dtype)


def _nll_grad(grad, self, target, weight=None, reduction="mean", ignore_index=-100):
    if type(self) is np.ndarray:    # a plain backward
        return _nll_grad_of(grad, self.shape, target, weight, reduction, ignore_index)
    return _dep(_nll_grad_of(grad, tuple(self.shape), target, weight, reduction, ignore_index), self)


def _nll_grad_of(grad, self_shape, target, weight, reduction, ignore_index):
    """PyTorch's nll_loss_backward: ``weight * -(grad / total_weight)`` at each target
    that is not ignored ("mean"; ``weight * -grad`` for "sum", ``-weight * grad`` for
    "none"), +0.0 everywhere else whatever ``grad`` is (its kernel writes into zeros).
    On Tensors (a graph of the derivative) the same values come as a product with ``grad``."""
    on_arrays = not isinstance(grad, Tensor)
    dtype = np.asarray(grad).dtype if on_arrays else grad._data.dtype
    rows = _nll_plain(self_shape, target, weight, reduction, ignore_index, dtype)
    if rows is not None:
        if on_arrays and type(grad) is np.ndarray and not grad.ndim:
            grad = grad[()]   # (the same float arithmetic on a NumPy scalar, at a tenth of the cost)
        scale = grad / dtype.type(rows.shape[0]) if reduction == "mean" else grad
        m = np.zeros(self_shape, dtype)
        try:
            m[rows, target] = -scale if on_arrays else -1
        except IndexError:   # (a target is ignore_index: the general path)
            pass
        else:
            return m if on_arrays else scale * m
    cdim, safe, wt, ignored = _nll_parts(self_shape, target, weight, ignore_index, dtype)
    if reduction == "mean":
        with np.errstate(divide="ignore", invalid="ignore"):
            grad = grad / np.sum(wt, dtype=dtype)
    elif reduction == "none" and len(self_shape) > 1:
        grad = np.expand_dims(grad, cdim) if not on_arrays else grad
    m = np.zeros(self_shape, dtype)
    if on_arrays:   # (PyTorch's order of operations: NaN signs come out alike)
        with np.errstate(invalid="ignore"):
            vals = -wt * grad if reduction == "none" else wt * -grad
            vals = np.where(ignored, 0, vals).astype(dtype, copy=False)
    else:
        vals = -wt
    if len(self_shape) == 1:
        if safe.size:
            m[safe] = vals
    else:
        np.put_along_axis(m, np.expand_dims(safe, cdim), np.expand_dims(vals, cdim), cdim)
    return m if on_arrays else grad * m


_NLL_KW = dict(inputs=("self",), self=_nll_grad)
nll_ = _prim("nll_loss", _nll_fwd, node="NllLossBackward0",
             samples=[sample(T(3, 4), T(3, grad=False, dtype="int64", low=0, high=4), call=F + "nll_loss"),
                      sample(T(3, 4), T(3, grad=False, dtype="int64", values=[0, -100, 3]), reduction="sum",
                             call=F + "nll_loss"),
                      sample(T(3, 4), T(3, grad=False, dtype="int64", values=[0, 2, 3]), reduction="none",
                             weight=T(4, grad=False, low=0.5, high=1.5), call=F + "nll_loss"),
                      sample(T(3, 4), T(3, grad=False, dtype="int64", values=[0, 2, 3]), ignore_index=2,
                             weight=T(4, grad=False, low=0.5, high=1.5), call=F + "nll_loss"),
                      sample(T(4), T(grad=False, dtype="int64", values=2), call=F + "nll_loss"),
                      sample(T(4), T(grad=False, dtype="int64", values=1), call=F + "cross_entropy")],
             **_NLL_KW)
nll2d_ = _prim("nll_loss2d", _nll_fwd, node="NllLoss2DBackward0",
               samples=[sample(T(2, 3, 2, 2), T(2, 2, 2, grad=False, dtype="int64", low=0, high=3),
                               call=F + "nll_loss"),
                        sample(T(2, 3, 2, 2), T(2, 2, 2, grad=False, dtype="int64", low=0, high=3), reduction="none",
                               call=F + "nll_loss"),
                        sample(T(2, 3, 4), T(2, 4, grad=False, dtype="int64", low=0, high=3), call=F + "nll_loss"),
                        sample(T(2, 3, 4), T(2, 4, grad=False, dtype="int64", low=0, high=3), reduction="none",
                               call=F + "nll_loss"),
                        sample(T(2, 3, 4), T(2, 4, grad=False, dtype="int64", low=0, high=3),
                               call=F + "cross_entropy")],
               **_NLL_KW)


def _check_target_int(target):
    if target._data.dtype not in (np.int64, np.uint8):
        raise RuntimeError("expected target dtype to be Long or Byte, but got "
                           f"{_LEGACY_NAMES[target._data.dtype.name]}")


def _nll_checks(input, target, weight, ignore_index, kernel="nll_loss_out_frame"):
    ndim = input.dim()
    tdim = target.dim()
    n_classes = input.shape[0 if ndim == 1 else 1]
    if tdim > 1 and ndim <= 2:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if ndim == 2 and tdim == 0:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    _check_target_int(target)
    w = None
    if weight is not None:
        _no_grad_arg(weight, "nll_loss_forward", "weight")
        if weight.numel() != n_classes:
            raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes or no classes "
                               f"but got weight tensor of shape: {list(weight.shape)}")
    # ATen checks shapes and the target's dtype, then dispatches on the input's dtype.
    if input._data.dtype.kind != "f":
        _need_float(input, kernel)
    if weight is not None:
        if weight._data.dtype != input._data.dtype:
            raise RuntimeError(f"expected scalar type {_LEGACY_NAMES[input._data.dtype.name]} but found "
                               f"{_LEGACY_NAMES[weight._data.dtype.name]}")
        w = weight._data.reshape(-1)
    t = target._data.astype(np.int64, copy=False)
    # Every class index in [0, n_classes) (one comparison: as unsigned, negatives are huge);
    # only then are ignored targets told apart from bad ones.
    if _any(t.view(np.uint64) >= n_classes, axis=None):
        bad = (t != ignore_index) & ((t < 0) | (t >= n_classes))
        if bad.any():
            raise IndexError(f"Target {t[bad].flat[0]} is out of bounds.")
    return t, w


_any = np.logical_or.reduce
_add_reduce = np.add.reduce


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    return _nll_nd(input, target, weight, reduction, ignore_index)


def _nll_nd(input, target, weight, reduction, ignore_index):
    ndim = input.dim()
    tdim = target.dim()
    if ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {ndim})")
    if ndim != 1 and tdim and input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0]}).")
    if ndim == 1 and tdim == 1:
        if target.shape[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}")
        target = target.reshape(())
    if ndim == 2 or ndim == 1:
        t, w = _nll_checks(input, target, weight, ignore_index)
        return nll_(input, target=t, weight=w, reduction=reduction, ignore_index=ignore_index)
    if ndim == 4:
        if tuple(target.shape[1:]) != tuple(input.shape[2:]) or tdim != 3:
            raise RuntimeError(f"only batches of spatial targets supported (3D tensors) but got targets of "
                               f"dimension: {tdim}")
        t, w = _nll_checks(input, target, weight, ignore_index, "nll_loss2d_forward_out_frame")
        return nll2d_(input, target=t, weight=w, reduction=reduction, ignore_index=ignore_index)
    n, c = input.shape[0], input.shape[1]
    out_size = (n,) + tuple(input.shape[2:])
    if tuple(target.shape[1:]) != tuple(input.shape[2:]):
        raise RuntimeError(f"Expected target size {list((n,) + tuple(input.shape[2:]))}, got {list(target.shape)}")
    x = input.contiguous()
    x = x.view(n, c, 1, -1) if input.numel() > 0 else x.view(n, c, 0, 0)
    tt = target.reshape(n, 1, -1) if target.numel() > 0 else target.reshape(n, 0, 0)
    t, w = _nll_checks(x, tt, weight, ignore_index, "nll_loss2d_forward_out_frame")
    out = nll2d_(x, target=t, weight=w, reduction=reduction, ignore_index=ignore_index)
    return out if reduction != "none" else out.view(*out_size)


# ---------------------------------------------------------------- cross_entropy
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing:g}")
    cdim = 0 if input.dim() == 1 else 1
    if tuple(input.shape) == tuple(target.shape):
        if target._data.dtype.kind != "f":
            raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                               f"{_LEGACY_NAMES[target._data.dtype.name]}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        return _ce_probs(input, target, weight, reduction, label_smoothing, cdim)
    logp = _act._torch_log_softmax(input, cdim)
    nll = _nll_nd(logp, target, weight, reduction, ignore_index)
    if label_smoothing <= 0.0:
        return nll
    n_classes = input.shape[cdim]
    ignore_mask = target == ignore_index
    if weight is not None:
        shape = [1] * logp.dim()
        shape[cdim] = weight.shape[0]
        smooth = -(logp * weight.view(*shape)).sum(cdim)
    else:
        smooth = -logp.sum(cdim)
    smooth = smooth.masked_fill(ignore_mask, 0.0)
    if reduction == "mean":
        if weight is not None:
            keep = ~ignore_mask._data
            denom = wrap(np.asarray(np.sum(weight._data[target._data[keep].reshape(-1)])))
            ret = smooth.sum() / denom
        else:
            ret = smooth.sum() / wrap(np.asarray(np.sum(~ignore_mask._data)))
    elif reduction == "sum":
        ret = smooth.sum()
    else:
        ret = smooth
    return mul_scalar(nll, other=1 - label_smoothing) + mul_scalar(ret, other=label_smoothing / n_classes)


def _ce_probs(input, target, weight, reduction, label_smoothing, cdim):
    n_classes = input.shape[cdim]
    if label_smoothing > 0.0:
        target = add_scalar(mul_scalar(target, other=1 - label_smoothing), other=label_smoothing / n_classes)
    logp = _act._torch_log_softmax(input, cdim)
    prod = logp * target
    if weight is not None:
        shape = [1] * logp.dim()
        shape[cdim] = weight.shape[0]
        prod = prod * weight.view(*shape)
    if reduction == "mean":
        if input.numel() == 0:
            out = -(prod.sum())
            out._data[...] = np.nan   # ATen: .fill_(NAN) on the result
            return out
        return div_scalar(-(prod.sum()), other=input.numel() // n_classes)
    if reduction == "sum":
        return -(prod.sum())
    return -(prod.sum(cdim))


# ---------------------------------------------------------------- binary cross entropy
_EPS = 1e-12


def _bce_fwd(x, t, weight=None, reduction="mean"):
    one = np.asarray(1, x.dtype)
    lo = np.asarray(-100, x.dtype)
    with np.errstate(divide="ignore"):
        loss = (t - one) * np.maximum(np.log1p(-x), lo) - t * np.maximum(np.log(x), lo)
    if weight is not None:
        loss = loss * weight
    return _reduce_fwd(loss.astype(x.dtype, copy=False), reduction)


def _bce_grad_self(grad, self, target, weight=None, reduction="mean"):
    g = _grad_scale(grad, reduction, _numel(self))
    denom = (1 - self) * self
    out = g * (self - target) / np.where(denom > _EPS, denom, _EPS)
    return out if weight is None else out * weight


def _bce_grad_target(grad, self, weight=None, reduction="mean"):
    g = _grad_scale(grad, reduction, _numel(self))
    out = g * (np.log(1 - self) - np.log(self))
    return out if weight is None else out * weight


bce_ = _prim("binary_cross_entropy", _bce_fwd, inputs=("self", "target"), promote="common",
             node="BinaryCrossEntropyBackward0",
             samples=[sample(T(3, 4, low=0.05, high=0.95), T(3, 4, low=0, high=1), call=F + "binary_cross_entropy"),
                      sample(T(3, 4, low=0.05, high=0.95), T(3, 4, low=0, high=1, grad=False), reduction="sum",
                             weight=T(4, low=0.5, high=1.5, grad=False), call=F + "binary_cross_entropy"),
                      sample(T(5, low=0.05, high=0.95), T(5, low=0, high=1), reduction="none",
                             call=F + "binary_cross_entropy"),
                      sample(T(values=[0.0, 1.0, 1e-30, 0.5], grad=False), T(4, low=0, high=1, grad=False),
                             call=F + "binary_cross_entropy")],
             self=_bce_grad_self, target=_bce_grad_target)


def _check_bce_range(x, t):
    """The kernel checks each element's input, then its target, in order."""
    if not x.size:
        return
    bad_x = ~((x >= 0) & (x <= 1))
    bad_t = ~((t >= 0) & (t <= 1))
    if bad_x.any() or bad_t.any():
        first = np.argmax((bad_x | bad_t).reshape(-1))
        which = "input" if bad_x.reshape(-1)[first] else "target"
        raise RuntimeError(f"all elements of {which} should be between 0 and 1")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    ts, ins = target.size(), input.size()
    if ts != ins:
        raise ValueError(f"Using a target size ({ts}) that is different to the input size "
                         f"({ins}) is deprecated. Please ensure they have the same size.")
    if weight is not None:
        shape = _broadcast_shapes(ts, weight.size())   # weight.expand(...) in Python
    _no_grad_arg(weight, "binary_cross_entropy", "weight")
    # ATen: the target's dtype must be the input's, then the kernel dispatches on the input's,
    # checks the range, and multiplies the loss by the weight in place.
    if target._data.dtype != input._data.dtype:
        raise RuntimeError(f"Found dtype {_LEGACY_NAMES[target._data.dtype.name]} but expected "
                           f"{_LEGACY_NAMES[input._data.dtype.name]}")
    _need_float(input, "binary_cross_entropy")
    x = input._data
    _check_bce_range(x, target._data)
    kw = {"reduction": reduction}
    if weight is not None:
        _inplace_shape(x.shape, shape)
        kw["weight"] = np.broadcast_to(weight._data, shape)
    return bce_(input, target, **kw)


def _bcel_fwd(x, t, weight=None, pos_weight=None, reduction="mean", dtypes=None):
    # ATen: log_sigmoid(input) (times the pos_weight factor, in place), then
    # (1 - target).mul_(input).sub_(that).mul_(weight): each in-place step keeps the dtype of
    # its left operand, so the loss has the target's dtype. ``dtypes``: (input's, target's)
    # when they differ (the operands arrive promoted to their common dtype; casting back is exact).
    if dtypes is not None:
        x = x.astype(dtypes[0], copy=False)
        t = t.astype(dtypes[1], copy=False)
    ls = _act._logsig_fwd(x)
    if pos_weight is not None:
        ls = (ls * ((pos_weight - 1) * t + 1)).astype(x.dtype, copy=False)
    loss = ((1 - t) * x).astype(t.dtype, copy=False) - ls
    if weight is not None:
        loss = loss.astype(t.dtype, copy=False) * weight
    return _reduce_fwd(loss.astype(t.dtype, copy=False), reduction)


def _bcel_grad_self(grad, self, target, weight=None, pos_weight=None, reduction="mean"):
    g = _grad_scale(grad, reduction, _numel(self))
    s = _act._sigmoid(self)
    if pos_weight is not None:
        pt = pos_weight * target
        out = ((pt + 1 - target) * s - pt) * g
    else:
        out = (s - target) * g
    return out if weight is None else out * weight


def _bcel_grad_target(grad, self, weight=None, pos_weight=None, reduction="mean"):
    g = _grad_scale(grad, reduction, _numel(self))
    if pos_weight is not None:
        out = (_act.logsigmoid_(-self) - _act.logsigmoid_(self) * pos_weight) * g
    else:
        out = -self * g
    return out if weight is None else out * weight


bcel_ = _prim("binary_cross_entropy_with_logits", _bcel_fwd, inputs=("self", "target"), promote="common",
              node="BinaryCrossEntropyWithLogitsBackward0",
              samples=[sample(T(3, 4), T(3, 4, low=0, high=1), call=F + "binary_cross_entropy_with_logits"),
                       sample(T(3, 4), T(3, 4, low=0, high=1), pos_weight=T(4, low=0.5, high=2, grad=False),
                              weight=T(3, 1, low=0.5, high=2, grad=False), reduction="sum",
                              call=F + "binary_cross_entropy_with_logits"),
                       sample(T(3, 4), T(3, 4, low=0, high=1), reduction="none",
                              pos_weight=T(4, low=0.5, high=2, grad=False),
                              call=F + "binary_cross_entropy_with_logits"),
                       sample(T(values=[-1000., -50., 0., 50., 1000.]), T(5, low=0, high=1),
                              call=F + "binary_cross_entropy_with_logits")],
              self=_bcel_grad_self, target=_bcel_grad_target)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    ts, ins = target.size(), input.size()
    if ts != ins:
        raise ValueError(f"Target size ({ts}) must be the same as input size ({ins})")
    _no_grad_arg(weight, "binary_cross_entropy_with_logits", "weight")
    _no_grad_arg(pos_weight, "binary_cross_entropy_with_logits", "pos_weight")
    # The checks of ATen's steps (see _bcel_fwd), in its order.
    _need_float(input, "log_sigmoid_cpu")
    x, t = input._data, target._data
    if pos_weight is not None:
        if pos_weight._data.dtype.kind == "b":   # pos_weight - 1
            raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
                               "to invert a mask, use the `~` or `logical_not()` operator instead.")
        _inplace_shape(x.shape, _broadcast_shape(pos_weight._data, t))
    if t.dtype.kind == "b":
        _both_bool_sub(target, target)   # 1 - target: the 1 is filled into a bool tensor
    _check_cast(_common(t, x), t.dtype)
    if weight is not None:
        _inplace_shape(x.shape, _broadcast_shape(x, weight._data))
    kw = {"reduction": reduction}
    if x.dtype != t.dtype:
        kw["dtypes"] = (x.dtype, t.dtype)
    if weight is not None:
        kw["weight"] = weight._data
    if pos_weight is not None:
        kw["pos_weight"] = pos_weight._data
    return bcel_(input, target, **kw)


# ---------------------------------------------------------------- kl_div
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    if size_average is not None or reduce is not None:
        reduction = _legacy(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    red = "sum" if reduction == "batchmean" else reduction
    _check_reduction(red)
    for i, (arg, x) in enumerate((("input", input), ("target", target))):
        if not isinstance(x, Tensor):   # torch.kl_div's argument parsing
            raise TypeError(f"kl_div(): argument '{arg}' (position {i + 1}) must be Tensor, not {type(x).__name__}")
    if input._data.dtype.kind in "biu" or target._data.dtype.kind in "biu":
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        out = target.exp() * (target - input)
    else:
        out = _xlogy(target, target) - target * input
    out = _apply_reduction(out, red)
    if reduction == "batchmean" and input.dim() != 0:
        out = out / input.shape[0]
    return out


# ---------------------------------------------------------------- embedding / ranking losses
def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    td = target.dim()
    if td not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if td == 1 and (input1.dim() != 2 or input2.dim() != 2):
        raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    if td == 0 and (input1.dim() != 1 or input2.dim() != 1):
        raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    prod_sum = (input1 * input2).sum(td)
    mag1 = add_scalar((input1 * input1).sum(td), other=_EPS)
    mag2 = add_scalar((input2 * input2).sum(td), other=_EPS)
    denom = (mag1 * mag2).sqrt()
    cos = prod_sum / denom
    zeros = wrap(np.zeros(cos._data.shape, cos._data.dtype))
    pos = _sub(1.0, cos)  # ATen's Scalar - Tensor: SubBackward0
    neg = clamp_min(_act.sub_scalar(cos, other=float(margin)), min=0)
    out = _where(target == 1, pos, zeros) + _where(target == -1, neg, zeros)
    return _apply_reduction(out, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} ")
    _both_bool_sub(input1, input2)
    if input1._data.dtype.kind == "b" or input2._data.dtype.kind == "b":   # input1 - input2 comes first
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")
    if target._data.dtype.kind == "b":   # -target
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")
    out = clamp_min(add_scalar(-target * (input1 - input2), other=float(margin)), min=0)
    return _apply_reduction(out, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-06, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, b, c = anchor.dim(), positive.dim(), negative.dim()
    if not (a == b == c):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a}D, positive {b}D, and negative {c}D inputs")
    d_pos = _act.pairwise_distance(anchor, positive, p, eps)
    d_neg = _act.pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = _minimum(d_neg, _act.pairwise_distance(positive, negative, p, eps))
    out = clamp_min(add_scalar(d_pos, other=float(margin)) - d_neg, min=0)
    return _apply_reduction(out, reduction)


_LOSS_SAMPLES = {
    "l1_loss": _pair_samples("l1_loss", ) + [sample(T(3, 4), T(3, 4), weight=T(3, 4, grad=False, low=0.1),
                                                   call=F + "l1_loss")],
    "kl_div": [sample(T(3, 4), T(3, 4, low=0.1, high=1), reduction="batchmean", call=F + "kl_div"),
               sample(T(3, 4), T(3, 4), log_target=True, reduction="sum", call=F + "kl_div"),
               sample(T(3, 4), T(3, 4, low=0.1, high=1), reduction="none", call=F + "kl_div"),
               sample(T(3, 4), T(values=[[0.0, 0.5, 0.2, 0.3]] * 3, grad=False), call=F + "kl_div")],
    "cosine_embedding_loss": [
        sample(T(3, 4), T(3, 4), T(3, grad=False, dtype="int64", values=[1, -1, 1]), call=F + "cosine_embedding_loss"),
        sample(T(4), T(4), T(grad=False, dtype="int64", values=-1), margin=-0.5, reduction="sum",
               call=F + "cosine_embedding_loss")],
    "margin_ranking_loss": [
        sample(T(5), T(5), T(5, grad=False, values=[1., -1, 1, 1, -1]), margin=0.1, reduction="sum",
               call=F + "margin_ranking_loss", smooth=False)],
    "triplet_margin_loss": [
        sample(T(3, 4), T(3, 4), T(3, 4), call=F + "triplet_margin_loss", smooth=False),
        sample(T(3, 4), T(3, 4), T(3, 4), p=1, margin=2.0, reduction="none", call=F + "triplet_margin_loss",
               smooth=False),
        sample(T(4), T(4), T(4), margin=0.5, call=F + "triplet_margin_loss", smooth=False)],
    "cross_entropy": [
        sample(T(3, 4), T(3, grad=False, dtype="int64", low=0, high=4), call=F + "cross_entropy"),
        sample(T(3, 4), T(3, grad=False, dtype="int64", low=0, high=4), reduction="none", label_smoothing=0.1,
               weight=T(4, grad=False, low=0.5, high=1.5), call=F + "cross_entropy"),
        sample(T(3, 4), T(3, grad=False, dtype="int64", values=[1, -100, 2]), reduction="mean", label_smoothing=0.3,
               weight=T(4, grad=False, low=0.5, high=1.5), call=F + "cross_entropy"),
        sample(T(3, 4), T(3, grad=False, dtype="int64", low=0, high=4), reduction="sum", label_smoothing=0.2,
               call=F + "cross_entropy"),
        sample(T(3, 4), T(3, 4, low=0, high=1), reduction="sum", label_smoothing=0.2,
               weight=T(4, grad=False, low=0.5, high=1.5), call=F + "cross_entropy"),
        sample(T(3, 4), T(3, 4, low=0, high=1), reduction="none", call=F + "cross_entropy"),
        sample(T(2, 3, 2), T(2, 3, 2, low=0, high=1), call=F + "cross_entropy"),
        sample(T(2, 3, 2, 2), T(2, 2, 2, grad=False, dtype="int64", low=0, high=3), label_smoothing=0.1,
               call=F + "cross_entropy"),
        sample(T(3, 4, dtype="float32"), T(3, grad=False, dtype="int64", low=0, high=4), call=F + "cross_entropy"),
        sample(T(values=[[1000., -1000., 0.], [-1e4, 1e4, 0.]]), T(2, grad=False, dtype="int64", values=[1, 0]),
               call=F + "cross_entropy")],
}
# Composite losses' samples ride on the specs of nodes they contain.
nll_.spec.samples += _LOSS_SAMPLES["cross_entropy"]
_act.add_scalar.spec.samples += _LOSS_SAMPLES["triplet_margin_loss"] + _LOSS_SAMPLES["cosine_embedding_loss"]
# (were on the private minimum / masked_fill copies, now the ops from binary.py / indexing.py)
_act.add_scalar.spec.samples += [sample(T(3, 4), T(3, 4), T(3, 4), swap=True, call=F + "triplet_margin_loss",
                                        smooth=False)]
_act.mul_scalar.spec.samples += [sample(T(3, 4), T(3, grad=False, dtype="int64", values=[0, -100, 2]),
                                        label_smoothing=0.1, call=F + "cross_entropy")]
_act.clamp_min.spec.samples += _LOSS_SAMPLES["margin_ranking_loss"]
mse_.spec.samples += _LOSS_SAMPLES["l1_loss"] + [sample(T(3, 4), T(3, 4), weight=T(3, 4, grad=False, low=0.1),
                                                        call=F + "mse_loss")]
# kl_div has no node of its own (XlogyBackward0, MulBackward0, SubBackward0, MeanBackward0).
mse_.spec.samples += _LOSS_SAMPLES["kl_div"]
huber_.spec.samples += [sample(T(3, 4), T(3, 4), weight=T(3, 4, grad=False, low=0.1), call=F + "huber_loss")]

for _name, _fn in dict(
        mse_loss=mse_loss, l1_loss=l1_loss, smooth_l1_loss=smooth_l1_loss, huber_loss=huber_loss, nll_loss=nll_loss,
        cross_entropy=cross_entropy, binary_cross_entropy=binary_cross_entropy,
        binary_cross_entropy_with_logits=binary_cross_entropy_with_logits, kl_div=kl_div,
        cosine_embedding_loss=cosine_embedding_loss, margin_ranking_loss=margin_ranking_loss,
        triplet_margin_loss=triplet_margin_loss).items():
    FUNCTIONS[F + _name] = _fn
