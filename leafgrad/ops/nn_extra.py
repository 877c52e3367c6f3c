"""More of torch.nn.functional: rms_norm, pixel_shuffle / pixel_unshuffle and a few losses.

As in activation.py and loss.py: what PyTorch runs as one ATen kernel with its own node
(PixelShuffleBackward0, SoftMarginLossBackward0, ...) is a declared primitive; what PyTorch
composes from other ops (rms_norm, hinge_embedding_loss, ...) is composed here from the same
ops, so that the graph shows the same nodes, and its samples ride on a spec it uses.
"""
import math

import numpy as np

from ._declare import declare, FUNCTIONS, REGISTRY
from ._samples import T, sample
from .._tensor import Tensor, wrap
from .. import _dtype
from . import activation as _act
from . import loss as _loss
from .compare import where as _where
from .pointwise import sub as _pw_sub

F = "nn.functional."


def _prim(name, forward, **kw):
    """A primitive op that is not public by itself (registry names prefixed as in activation.py)."""
    return declare("nnf." + name, forward, public=False, **kw)


def _need_int(name, value, what):
    """PyTorch's argument parser refuses a non-int where the schema says int."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}(): argument '{what}' (position 2) must be int, not {type(value).__name__}")


# ---------------------------------------------------------------- rms_norm
def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``x * rsqrt(mean(x**2 over the last dims) + eps) [* weight]``, as ATen composes it:
    computed in float32 for half inputs (then cast back), eps defaulting to the machine
    epsilon of that computation dtype."""
    if not isinstance(normalized_shape, (tuple, list)):
        raise TypeError("rms_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not "
                        f"{type(normalized_shape).__name__}")
    shape = [int(s) for s in normalized_shape]
    n = len(shape)
    if n == 0:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    if weight is not None and list(weight.shape) != shape:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{list(weight.shape)} and normalized_shape = {shape}")
    if input.dim() < n:
        raise ValueError(f"Input tensor must have at least {n} dimensions, but got {input.dim()}")
    if list(input.shape[input.dim() - n:]) != shape:
        raise RuntimeError(f"Given normalized_shape={shape}, expected input with shape "
                           f"[*{', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    _act._need_float(input, "rms_norm")
    x = input
    if input.dtype in (_dtype.float16, getattr(_dtype, "bfloat16", None)):
        x = input.to(_dtype.float32)   # ATen's opmath type for half inputs
    if eps is None:
        eps = float(np.finfo(x._data.dtype).eps)
    dims = tuple(range(-n, 0))
    out = x * _act.add_scalar(x.pow(2).mean(dims, keepdim=True), other=float(eps)).rsqrt()
    if weight is not None:
        out = out * weight            # promotes as a Tensor-Tensor mul does
    return out if out.dtype == input.dtype else out.to(input.dtype)


_act.add_scalar.spec.samples += [
    sample(T(3, 4), (4,), call=F + "rms_norm"),
    sample(T(3, 4), [4], T(4), call=F + "rms_norm"),
    sample(T(2, 3, 4), (3, 4), T(3, 4), eps=1e-3, call=F + "rms_norm"),
    sample(T(4), (4,), call=F + "rms_norm")]


# ---------------------------------------------------------------- pixel_shuffle / pixel_unshuffle
# Rearrangements (..., C*r*r, H, W) <-> (..., C, H*r, W*r); each is the other's derivative.
def _shuffle_fwd(a, upscale_factor):
    r = upscale_factor
    *batch, c, h, w = a.shape
    nb = len(batch)
    x = a.reshape(*batch, c // (r * r), r, r, h, w)
    # (..., C, r_h, r_w, H, W) -> (..., C, H, r_h, W, r_w)
    x = x.transpose(*range(nb), nb, nb + 3, nb + 1, nb + 4, nb + 2)
    return np.ascontiguousarray(x).reshape(*batch, c // (r * r), h * r, w * r)


def _unshuffle_fwd(a, downscale_factor):
    r = downscale_factor
    *batch, c, h, w = a.shape
    nb = len(batch)
    x = a.reshape(*batch, c, h // r, r, w // r, r)
    # (..., C, H, r_h, W, r_w) -> (..., C, r_h, r_w, H, W)
    x = x.transpose(*range(nb), nb, nb + 2, nb + 4, nb + 1, nb + 3)
    return np.ascontiguousarray(x).reshape(*batch, c * r * r, h // r, w // r)


pixel_shuffle_ = _prim("pixel_shuffle", _shuffle_fwd, node="PixelShuffleBackward0",
                       samples=[sample(T(1, 8, 2, 3), 2, call=F + "pixel_shuffle"),
                                sample(T(9, 1, 2), 3, call=F + "pixel_shuffle"),
                                sample(T(2, 1, 4, 2, 1), 2, call=F + "pixel_shuffle")],
                       self=lambda grad, upscale_factor: pixel_unshuffle_(grad, downscale_factor=upscale_factor))
pixel_unshuffle_ = _prim("pixel_unshuffle", _unshuffle_fwd, node="PixelUnshuffleBackward0",
                         samples=[sample(T(1, 2, 4, 6), 2, call=F + "pixel_unshuffle"),
                                  sample(T(1, 3, 3), 3, call=F + "pixel_unshuffle"),
                                  sample(T(2, 1, 1, 4, 2), 2, call=F + "pixel_unshuffle")],
                         self=lambda grad, downscale_factor: pixel_shuffle_(grad, upscale_factor=downscale_factor))


def pixel_shuffle(input, upscale_factor):
    _need_int("pixel_shuffle", upscale_factor, "upscale_factor")
    if input.dim() < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    if upscale_factor <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {upscale_factor}")
    c, sq = input.shape[-3], upscale_factor * upscale_factor
    if c % sq:
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {sq}")
    return pixel_shuffle_(input, upscale_factor=int(upscale_factor))


def pixel_unshuffle(input, downscale_factor):
    _need_int("pixel_unshuffle", downscale_factor, "downscale_factor")
    if input.dim() < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    if downscale_factor <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {downscale_factor}")
    for name, dim in (("height", -2), ("width", -1)):
        if input.shape[dim] % downscale_factor:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                               f"input.size({dim})={input.shape[dim]} is not divisible by {downscale_factor}")
    return pixel_unshuffle_(input, downscale_factor=int(downscale_factor))



# ---------------------------------------------------------------- losses
_check_reduction, _legacy, _apply_reduction = _loss._check_reduction, _loss._legacy, _loss._apply_reduction


def _data(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _total(x, axis=None, keepdims=False):
    """A sum that works on the arrays a backward formula gets without a graph and on Tensors."""
    if isinstance(x, Tensor):
        return x.sum(axis, keepdim=keepdims) if axis is not None else x.sum()
    return np.sum(x, axis=axis, keepdims=keepdims)


# soft_margin_loss: one ATen kernel, log(1 + exp(-input * target)), then the reduction.
def _soft_margin_fwd(a, t, reduction="mean"):
    return _loss._reduce_fwd(np.log1p(np.exp(-a * t)), reduction)


def _soft_margin_grad(grad, self, target, reduction="mean"):
    n = int(np.prod(np.broadcast_shapes(_data(self).shape, _data(target).shape)))
    # d/dx log(1 + exp(-x y)) = -y * sigmoid(-x y)
    return _loss._grad_scale(grad, reduction, n) * (-target * _act._sigmoid(-(self * target)))


soft_margin_ = _prim("soft_margin_loss", _soft_margin_fwd, inputs=("self", "target"),
                     node="SoftMarginLossBackward0",
                     samples=[sample(T(3, 4), T(3, 4, grad=False), call=F + "soft_margin_loss"),
                              sample(T(3, 4), T(4, grad=False), reduction="sum", call=F + "soft_margin_loss"),
                              sample(T(3, 4), T(3, 4, grad=False), reduction="none", call=F + "soft_margin_loss"),
                              sample(T(), T(grad=False), call=F + "soft_margin_loss")],
                     self=_soft_margin_grad)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    _act._tensor_args("soft_margin_loss", ("input", input), ("target", target))
    _loss._no_grad_arg(target, "soft_margin_loss", "target")
    # ATen computes -input, then multiplies target into it in place: the output keeps the
    # input's shape and dtype, and those steps' errors come in that order.
    if input._data.dtype.kind == "b":
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")
    _loss._inplace_shape(input._data.shape, _loss._broadcast_shape(input._data, target._data))
    common = _dtype.result_type_of([input, target]).np
    _loss._check_cast(common if common.kind == "f" else np.dtype(_dtype.get_default_dtype().np), input._data.dtype)
    if target._data.dtype != input._data.dtype:
        target = target.to(input.dtype)
    return soft_margin_(input, target, reduction=reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """ATen's composite: where(target != 1, clamp_min(margin - x, 0), 0) + where(target != -1, x, 0)."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    zeros = wrap(np.zeros(input._data.shape, input._data.dtype))
    margin_clamp = _act.clamp_min(_pw_sub(float(margin), input), min=0)
    out = _where(target != 1, margin_clamp, zeros) + _where(target != -1, input, zeros)
    return _apply_reduction(out, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """torch.nn.functional's Python composite, step by step."""
    if size_average is not None or reduce is not None:
        reduction = _loss._legacy_string(size_average, reduce)
    loss = -(target * _act.logsigmoid(input) + (1 - target) * _act.logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(dim=class_dim) / input.size(class_dim)
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(reduction + " is not valid")


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """ATen's composite: exp(x) - t*x (log_input) or x - t*log(x + eps), plus Stirling's term
    t*log(t) - t + 0.5*log(2*pi*t) where t > 1 (full)."""
    if size_average is not None or reduce is not None:
        reduction = _loss._legacy_string(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not a valid value for reduction")
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * _act.add_scalar(input, other=float(eps)).log()
    if full:
        stirling = (target * target.log() - target
                    + _act.mul_scalar(_act.mul_scalar(target, other=2 * math.pi).log(), other=0.5))
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _apply_reduction(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """torch.nn.functional's Python composite, step by step (var is clamped to eps without
    gradient, on a clone)."""
    from .. import ones_like, any as _any, no_grad
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * ones_like(input)
    elif bool(_any(var < 0)):
        raise ValueError("var has negative entry/entries")
    if var.size() != input.size():
        if input.size()[:-1] == var.size():
            var = var.unsqueeze(-1)
        elif input.dim() == var.dim() and sum(v for i, v in zip(input.size(), var.size()) if i != v) == 1:
            pass     # one mismatched dimension of size 1: broadcasts (homoscedastic)
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss += 0.5 * math.log(2 * math.pi)
    return _apply_reduction(loss, reduction)


# multi_margin_loss: one ATen kernel. Per sample, sum over classes j != y of
# w[y] * max(0, margin - x[y] + x[j])**p / C.
def _mm_parts(a, target, p, margin, weight):
    """The 2-D view of the input, the rows' targets and the hinge terms z (zero at j == y)."""
    x = a.reshape(-1, a.shape[-1] if a.ndim else 1) if not isinstance(a, Tensor) else \
        a.reshape(-1, a.shape[-1] if a.dim() else 1)
    y = _data(target).reshape(-1)
    rows = np.arange(y.size)
    other = np.arange(x.shape[1])[None, :] != y[:, None]      # the classes j != y
    z = x - x[rows, y].reshape(-1, 1) + margin
    return x, y, rows, other, z


def _multi_margin_fwd(a, target=None, p=1, margin=1.0, weight=None, reduction="mean"):
    x, y, rows, other, z = _mm_parts(a, target, p, margin, weight)
    h = np.where(other & (z > 0), z, 0)
    h = h * h if p == 2 else h
    if weight is not None:
        h = h * weight[y].reshape(-1, 1)
    per = (h.sum(1) / x.shape[1]).astype(a.dtype)
    per = per.reshape(_data(target).shape) if a.ndim <= 1 else per
    return _loss._reduce_fwd(per, reduction)


def _multi_margin_grad(grad, self, target=None, p=1, margin=1.0, weight=None, reduction="mean"):
    x, y, rows, other, z = _mm_parts(self, target, p, margin, weight)
    n, c = x.shape
    live = other & (_data(z) > 0)
    dz = _where(live, 2 * z, 0) if p == 2 else live.astype(_data(x).dtype)   # d h / d z
    scale = np.full((n, 1), 1.0 / c, _data(x).dtype)
    if weight is not None:
        scale = scale * _data(weight)[y].reshape(-1, 1)
    g = grad.reshape(-1, 1) if reduction == "none" else grad
    g = _loss._grad_scale(g, reduction, n) * dz * scale
    # z_j = x_j - x_y: x_j gets g_j, x_y gets minus the row's sum
    onehot = (~other).astype(_data(x).dtype)
    out = g - onehot * _total(g, 1, True)
    return out.reshape(self.shape) if isinstance(self, Tensor) else out.reshape(np.shape(self))


# (the target is a parameter, an int64 array, as nll_loss's)
multi_margin_ = _prim("multi_margin_loss", _multi_margin_fwd,
                      node="MultiMarginLossBackward0",
                      samples=[sample(T(3, 4), T(3, dtype="int64", low=0, high=4, grad=False),
                                      call=F + "multi_margin_loss", smooth=False),
                               sample(T(3, 4), T(3, dtype="int64", low=0, high=4, grad=False), p=2, margin=0.5,
                                      reduction="sum", call=F + "multi_margin_loss", smooth=False),
                               sample(T(3, 4), T(3, dtype="int64", low=0, high=4, grad=False), p=2,
                                      weight=T(4, grad=False, low=0.5, high=1.5), reduction="none",
                                      call=F + "multi_margin_loss", smooth=False),
                               sample(T(5), T(grad=False, dtype="int64", values=2), margin=2.0,
                                      call=F + "multi_margin_loss", smooth=False)],
                      self=_multi_margin_grad)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    nd = input.dim()
    if not (nd == 2 and input.shape[1] != 0 or nd == 1 and input.shape[0] != 0 or nd == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")
    nframe = input.shape[0] if nd == 2 else 1
    dim = input.shape[-1] if nd else 1
    if target.dim() > 1 or target.numel() != nframe:
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
                           f"samples (batch size). Expected target size [{nframe}], but got {list(target.shape)}. "
                           f"Input has shape {list(input.shape)}.")
    if weight is not None and weight.numel() != dim:
        raise RuntimeError(f"inconsistent weight size, expected {dim} but got {list(weight.shape)}")
    _loss._no_grad_arg(weight, "multi_margin_loss", "weight")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"multi_margin_loss_cpu_kernel\" not implemented for "
                                  f"'{_loss._tname(input._data.dtype)}'")
    if target._data.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {_loss._tname(target._data.dtype)}")
    if weight is not None and weight._data.dtype != input._data.dtype:
        raise RuntimeError(f"expected scalar type {_loss._tname(input._data.dtype)} but found "
                           f"{_loss._tname(weight._data.dtype)}")
    t = target._data
    if t.size and (t.min() < 0 or t.max() >= dim):
        raise RuntimeError("target out of range")
    return multi_margin_(input, target=t, p=int(p), margin=float(margin),
                         weight=None if weight is None else weight._data, reduction=reduction)


_act.clamp_min.spec.samples += [
    sample(T(3, 4), T(3, 4, grad=False, values=[[1., -1, 1, -1]] * 3), call=F + "hinge_embedding_loss",
           smooth=False),
    sample(T(3, 4), T(4, grad=False, values=[-1., -1, 1, 1]), margin=0.5, reduction="none",
           call=F + "hinge_embedding_loss", smooth=False)]
_act.add_scalar.spec.samples += [
    sample(T(3, 4, low=0.1, high=3), T(3, 4, low=0, high=4, grad=False), log_input=False, full=True,
           call=F + "poisson_nll_loss"),
    sample(T(3, 4, low=0.1, high=3), T(3, 4, low=0, high=4), log_input=False, reduction="sum", eps=0.5,
           call=F + "poisson_nll_loss")]
_act.mul_scalar.spec.samples += [
    sample(T(3, 4), T(3, 4, low=0.5, high=4), full=True, reduction="none", call=F + "poisson_nll_loss")]
_act.add_scalar.spec.samples += [
    sample(T(3, 4), T(3, 4), call=F + "poisson_nll_loss")]
# composites made of generic ops only: their samples ride on a node they contain
REGISTRY["nnf.log_sigmoid"].samples += [
    sample(T(3, 4), T(3, 4, low=0, high=1, grad=False), call=F + "multilabel_soft_margin_loss"),
    sample(T(3, 4), T(3, 4, low=0, high=1), weight=T(4, grad=False, low=0.5, high=1.5), reduction="none",
           call=F + "multilabel_soft_margin_loss")]
REGISTRY["clone"].samples += [
    sample(T(3, 4), T(3, 4), T(3, 4, low=0.1, high=2), call=F + "gaussian_nll_loss"),
    sample(T(3, 4), T(3, 4), T(3, low=0.1, high=2), full=True, reduction="sum", call=F + "gaussian_nll_loss"),
    sample(T(3, 4), T(3, 4), T(3, 1, low=0.1, high=2), reduction="none", call=F + "gaussian_nll_loss")]


for _name, _fn in dict(rms_norm=rms_norm, pixel_shuffle=pixel_shuffle, pixel_unshuffle=pixel_unshuffle,
                       soft_margin_loss=soft_margin_loss, hinge_embedding_loss=hinge_embedding_loss,
                       multilabel_soft_margin_loss=multilabel_soft_margin_loss, poisson_nll_loss=poisson_nll_loss,
                       gaussian_nll_loss=gaussian_nll_loss, multi_margin_loss=multi_margin_loss).items():
    FUNCTIONS[F + _name] = _fn
FUNCTIONS.update(rms_norm=rms_norm, pixel_shuffle=pixel_shuffle, pixel_unshuffle=pixel_unshuffle)
