"""More of torch.nn.functional: rms_norm, pixel_shuffle / pixel_unshuffle, soft margin, hinge,
multilabel soft margin, Poisson / Gaussian NLL and multi margin losses, scaled_dot_product_attention,
prelu, channel-wise and alpha dropout.

As in activation.py and loss.py: what PyTorch runs as one ATen kernel with its own node
(PixelShuffleBackward0, SoftMarginLossBackward0, ...) is a declared primitive; what PyTorch
composes from other ops (rms_norm, hinge_embedding_loss, ...) is composed here from the same
ops, so that the graph shows the same nodes, and its samples ride on a spec it uses.
"""
import math
import warnings

import numpy as np

from ._declare import declare, FUNCTIONS, REGISTRY, make_inplace
from ._samples import T, sample
from .._tensor import Tensor, wrap
from .. import _dtype, _random, _tape
from . import activation as _act
from . import loss as _loss
from .compare import where as _where
from .pointwise import sub as _pw_sub
from .stats import _like

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
    if input.dtype == _dtype.float16:
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
    zeros = wrap(np.zeros((), input._data.dtype))   # (broadcasts like zeros_like(input) here)
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
def _mm_parts(a, target, margin):
    """The input as (rows, classes), the rows' targets, their indices, the mask of the classes
    j != y and the hinge arguments z = margin - x[y] + x[j]."""
    shape = _data(a).shape
    x = a.reshape(-1, shape[-1] if shape else 1)
    y = _data(target).reshape(-1)
    rows = np.arange(y.size)
    other = np.arange(x.shape[1])[None, :] != y[:, None]      # the classes j != y
    z = x - x[rows, y].reshape(-1, 1) + margin
    return x, y, rows, other, z


def _multi_margin_fwd(a, target=None, p=1, margin=1.0, weight=None, reduction="mean"):
    x, y, rows, other, z = _mm_parts(a, target, margin)
    h = np.where(other & (z > 0), z, 0)
    h = h * h if p == 2 else h
    if weight is not None:
        h = h * weight[y].reshape(-1, 1)
    per = (h.sum(1) / x.shape[1]).astype(a.dtype)
    per = per.reshape(_data(target).shape) if a.ndim <= 1 else per
    return _loss._reduce_fwd(per, reduction)


def _multi_margin_grad(grad, self, target=None, p=1, margin=1.0, weight=None, reduction="mean"):
    x, y, rows, other, z = _mm_parts(self, target, margin)
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
    return out.reshape(_data(self).shape)


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



# ---------------------------------------------------------------- scaled_dot_product_attention
# PyTorch on CPU runs one of two backends: the fused flash kernel (one node,
# ScaledDotProductFlashAttentionForCpuBackward0) when q, k, v are 4-D with the same batch,
# head count (or GQA groups) and head size, no dropout and no mask requiring grad; otherwise
# the math composite (scaled matmuls, AddBackward0 for a mask, SafeSoftmaxBackward0, dropout,
# matmul). Both give the same values; each is built as PyTorch builds it.
def _safe_softmax_fwd(a, dim):
    """softmax, with 0 for rows that are all -inf (fully masked) instead of NaN."""
    m = np.max(a, axis=dim, keepdims=True) if a.size else a
    dead = np.isneginf(m) if a.size else np.zeros(a.shape, bool)
    e = np.exp(a - np.where(dead, 0, m))
    out = e / np.sum(e, axis=dim, keepdims=True)
    return np.where(dead, 0, out).astype(a.dtype, copy=False)


def _mT(x):
    return x.transpose(-2, -1) if isinstance(x, Tensor) else np.swapaxes(x, -2, -1)


def _sdpa_samples(path):
    c = F + path
    return [sample(T(3, 4), T(5, 4), T(5, 2), call=c),
            sample(T(2, 3, 4), T(2, 5, 4), T(2, 5, 3), call=c),
            sample(T(2, 3, 4), T(2, 5, 4), T(2, 5, 3), is_causal=True, scale=0.7, call=c),
            sample(T(2, 3, 4), T(2, 5, 4), T(2, 5, 3), attn_mask=T(3, 5, grad=False), call=c),
            sample(T(2, 3, 4), T(2, 5, 4), T(2, 5, 3), attn_mask=T(2, 3, 5), call=c),
            sample(T(1, 2, 3, 4), T(1, 2, 5, 4), T(1, 2, 5, 4), attn_mask=T(3, 5), call=c),
            sample(T(2, 3, 4), T(2, 5, 4), T(2, 5, 3), scale=-0.5,
                   attn_mask=T(3, 5, grad=False, dtype="bool", values=[[True, False, True, True, False],
                                                                      [False] * 5, [True] * 5]), call=c),
            sample(T(1, 4, 3, 2), T(1, 2, 5, 2), T(1, 2, 5, 3), enable_gqa=True, call=c)]


safe_softmax_ = _prim("_safe_softmax", _safe_softmax_fwd, node="SafeSoftmaxBackward0",
                      samples=_sdpa_samples("scaled_dot_product_attention"),
                      self=lambda grad, result, dim: (grad - np.sum(grad * result, axis=dim, keepdims=True)) * result)


def _attn_probs(q, k, mask, is_causal, scale):
    """softmax(q k^T * scale + mask) on arrays or Tensors (the flash node's forward and derivative)."""
    s = (q @ _mT(k)) * scale
    if is_causal:
        s = s + _causal_mask(s.shape[-2], s.shape[-1], _data(q).dtype)
    if mask is not None:   # (the flash kernel applies both when given both)
        m = _data(mask)
        s = s + (np.where(m, 0, -np.inf).astype(_data(q).dtype) if m.dtype == bool else m.astype(_data(q).dtype))
    return safe_softmax_(s, dim=-1) if isinstance(s, Tensor) else _safe_softmax_fwd(s, -1)


def _repeat_heads(x, groups):
    """GQA: each key/value head serves ``groups`` query heads (dim -3 repeated in place)."""
    if groups == 1:
        return x
    return x.repeat_interleave(groups, dim=-3) if isinstance(x, Tensor) else np.repeat(x, groups, axis=-3)


def _fold_heads(g, groups):
    """The derivative of _repeat_heads: sum each key/value head's query-head copies."""
    if groups == 1:
        return g
    shape = tuple(g.shape)
    g = g.reshape(shape[:-3] + (shape[-3] // groups, groups) + shape[-2:])
    return g.sum(-3) if isinstance(g, Tensor) else g.sum(-3)


def _flash_fwd(q, k, v, attn_mask=None, is_causal=False, scale=1.0, groups=1):
    p = _attn_probs(q, _repeat_heads(k, groups), attn_mask, is_causal, scale)
    return (p @ _repeat_heads(v, groups)).astype(q.dtype)


def _flash_grads(grad, query, key, value, attn_mask=None, is_causal=False, scale=1.0, groups=1):
    k, v = _repeat_heads(key, groups), _repeat_heads(value, groups)
    p = _attn_probs(query, k, attn_mask, is_causal, scale)
    dv = _mT(p) @ grad
    dp = grad @ _mT(v)
    ds = p * (dp - _total(dp * p, -1, True))
    return ds @ k * scale, _fold_heads(_mT(ds) @ query * scale, groups), _fold_heads(dv, groups)


flash_ = _prim("sdpa_flash_cpu", _flash_fwd, inputs=("query", "key", "value"),
               node="ScaledDotProductFlashAttentionForCpuBackward0",
               # PyTorch's flash node has no double backward: first derivatives only
               samples=[sample(T(1, 2, 3, 4), T(1, 2, 5, 4), T(1, 2, 5, 4), call=F + "scaled_dot_product_attention",
                               smooth=False),
                        sample(T(2, 1, 3, 2), T(2, 1, 3, 2), T(2, 1, 3, 2), is_causal=True, scale=0.3,
                               call=F + "scaled_dot_product_attention", smooth=False),
                        sample(T(1, 2, 3, 4), T(1, 2, 5, 4), T(1, 2, 5, 4), attn_mask=T(3, 5, grad=False),
                               call=F + "scaled_dot_product_attention", smooth=False),
                        sample(T(1, 4, 3, 2), T(1, 2, 5, 2), T(1, 2, 5, 2), enable_gqa=True,
                               call=F + "scaled_dot_product_attention", smooth=False)])
flash_.spec.formulas[("query", "key", "value")] = _flash_grads

_CPP_NAMES = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
              "uint8": "unsigned char", "float32": "float", "float64": "double", "float16": "c10::Half",
              "bool": "bool"}


def _mask_fits(shape, mask):
    """The errors of adding the mask into the scores (of ``shape``) in place."""
    zero = np.zeros((), mask._data.dtype)   # (logical shapes only: the mask may be batched under vmap)
    scores, m = np.broadcast_to(zero, shape), np.broadcast_to(zero, tuple(mask.shape))
    _loss._inplace_shape(shape, _loss._broadcast_shape(scores, m))


def _causal_mask(L, S, dtype):
    """The float mask of is_causal: 0 on and below the diagonal, -inf above."""
    return np.where(np.tril(np.ones((L, S), bool)), 0, -np.inf).astype(dtype)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    _act._tensor_args("scaled_dot_product_attention", ("query", query), ("key", key), ("value", value))
    q, k, v = query, key, value
    if not q.dtype == k.dtype == v.dtype:
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{_CPP_NAMES[q._data.dtype.name]} key.dtype: {_CPP_NAMES[k._data.dtype.name]} and "
                           f"value.dtype: {_CPP_NAMES[v._data.dtype.name]} instead.")
    if attn_mask is not None:
        md = attn_mask._data.dtype
        if not (md.kind in "bf" or md == q._data.dtype):
            raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                               f"attn_mask.dtype: {_CPP_NAMES[md.name]} and  query.dtype: "
                               f"{_CPP_NAMES[q._data.dtype.name]} instead.")
    if q.dim() < 2 or k.dim() < 2 or v.dim() < 2:
        raise RuntimeError(f"Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
                           f"{q.dim()} key.dim: {k.dim()} and value.dim: {v.dim()} instead.")
    L, S, E = q.shape[-2], k.shape[-2], q.shape[-1]
    sc = 1.0 / math.sqrt(E) if scale is None else float(scale)
    # The flash kernel's conditions (PyTorch's sdp_utils for CPU)
    hq, hk = (q.shape[1], k.shape[1]) if q.dim() == 4 else (0, 0)
    flash = (q.dim() == k.dim() == v.dim() == 4 and dropout_p == 0.0 and E == k.shape[-1] == v.shape[-1]
             and q.shape[0] == k.shape[0] == v.shape[0] and k.shape[1] == v.shape[1]
             and (hq == hk or enable_gqa and hk and hq % hk == 0) and L > 0 and S > 0
             and (attn_mask is None or not attn_mask.requires_grad) and q._data.dtype.kind == "f")
    if flash:
        if attn_mask is not None:
            _mask_fits(tuple(q.shape[:-1]) + (S,), attn_mask)
        return flash_(q, k, v, attn_mask=None if attn_mask is None else attn_mask._data, is_causal=bool(is_causal),
                      scale=sc, groups=hq // hk)
    return _sdpa_math(q, k, v, attn_mask, dropout_p, is_causal, sc, enable_gqa)


def _sdpa_math(q, k, v, attn_mask, dropout_p, is_causal, scale, enable_gqa):
    """ATen's _scaled_dot_product_attention_math, step by step: q and k^T each scaled by
    sqrt(|scale|) (the sign goes on q), a mask added, a safe softmax, dropout, @ v."""
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    root = math.sqrt(abs(scale))
    q = _act.mul_scalar(q, other=-root if scale < 0 else root)
    if is_causal:
        attn_mask = wrap(_causal_mask(q.shape[-2], k.shape[-2], q._data.dtype))
    elif attn_mask is not None and attn_mask._data.dtype == bool:   # 0 where True, -inf where False
        dt = q._data.dtype
        attn_mask = _where(attn_mask, wrap(np.zeros((), dt)), wrap(np.array(-np.inf, dt)))
    if enable_gqa and q.dim() >= 3 and k.dim() >= 3 and q.shape[-3] != k.shape[-3]:
        hq, hk = q.shape[-3], k.shape[-3]
        if hq % hk or hq % v.shape[-3]:
            raise RuntimeError("Number of heads in key and value must divide the number of heads in query")
        k = k.repeat_interleave(hq // hk, dim=-3)
        v = v.repeat_interleave(hq // v.shape[-3], dim=-3)
    attn = q.matmul(_act.mul_scalar(k.transpose(-2, -1), other=root))
    if attn_mask is not None:
        _mask_fits(tuple(attn.shape), attn_mask)
        attn = attn + attn_mask     # (in place in ATen: the mask may not grow attn)
    attn = safe_softmax_(attn, dim=attn.dim() - 1)
    if dropout_p > 0.0:
        attn = _act.dropout(attn, dropout_p, True)
    return attn.matmul(v)



# ---------------------------------------------------------------- prelu
def _prelu_fwd(a, w):
    return np.where(a > 0, a, w * a)


prelu_ = _prim("_prelu_kernel", _prelu_fwd, inputs=("self", "weight"), node="PreluKernelBackward0",
               samples=[sample(T(2, 3, 4, away=(0,)), T(3), call=F + "prelu"),
                        sample(T(2, 3, away=(0,)), T(1), call=F + "prelu"),
                        sample(T(4, away=(0,)), T(), call=F + "prelu"),
                        sample(T(away=(0,)), T(1), call=F + "prelu"),
                        sample(T(2, 3, 2, 2, away=(0,)), T(3), call=F + "prelu")],
               self=lambda grad, self, weight: _where(self > 0, grad, weight * grad),
               weight=lambda grad, self: _where(self > 0, 0 * grad, self * grad))


def prelu(input, weight):
    """ATen's prelu: checks, the weight viewed as (C, 1, ...) over dim 1, then its kernel."""
    _act._tensor_args("prelu", ("input", input), ("weight", weight))
    if input.dtype != weight.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {_loss._tname(input._data.dtype)} and "
                           f"{_loss._tname(weight._data.dtype)}")
    if weight.dim() > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.dim()}")
    nd = input.dim()
    if nd == 0 and weight.numel() != 1:
        raise RuntimeError("Not allow zero-dim input tensor.")
    channels = input.shape[1] if nd > 1 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                           f"{weight.numel()} and channel size = {channels}.")
    _act._need_float(input, "prelu_cpu")
    if weight.dim() == 1 and nd == 0:
        weight = weight.view(())
    elif weight.dim() == 1 and nd > 1:
        weight = weight.view((weight.numel(),) + (1,) * (nd - 2))
    return prelu_(input, weight)


# ---------------------------------------------------------------- channel-wise and alpha dropout
_dropout_impl, _check_p = _act.dropout_impl, _act.check_dropout_p


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _dropout_impl(input, p, training, alpha=True, inplace=inplace)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    _check_p(p)
    return _dropout_impl(input, p, training, feature=True, alpha=True, inplace=inplace)


_NOTE = ("Note that {name} exists to provide channel-wise dropout on inputs with {k} spatial dimension{s}, a channel "
         "dimension, and an optional batch dimension (i.e. {lo}D or {hi}D inputs).")


def _unbatched(input, inplace, fn):
    """``fn`` on the input with a batch dim of 1 added, then removed (as torch's Python code)."""
    x = input.unsqueeze_(0) if inplace else input.unsqueeze(0)
    out = fn(x)
    return out.squeeze_(0) if inplace else out.squeeze(0)


def dropout1d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    nd = input.dim()
    if nd not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {nd}D input. "
                           + _NOTE.format(name="dropout1d", k=1, s="", lo=2, hi=3))
    run = lambda x: _dropout_impl(x, p, training, feature=True, inplace=inplace)  # noqa: E731
    return run(input) if nd == 3 else _unbatched(input, inplace, run)


def dropout2d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    nd = input.dim()
    if nd not in (3, 4):
        warnings.warn(f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and will result in an "
                      "error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. " + _NOTE.format(name="dropout2d", k=2, s="s", lo=3, hi=4), stacklevel=2)
    if nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please "
                      "switch to using dropout1d instead.", stacklevel=2)
    return _dropout_impl(input, p, training, feature=True, inplace=inplace)


def dropout3d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    nd = input.dim()
    if nd not in (4, 5):
        warnings.warn(f"dropout3d: Received a {nd}-D input to dropout3d, which is deprecated and will result in an "
                      "error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. " + _NOTE.format(name="dropout3d", k=3, s="s", lo=4, hi=5), stacklevel=2)
    run = lambda x: _dropout_impl(x, p, training, feature=True, inplace=inplace)  # noqa: E731
    return run(input) if nd == 5 else _unbatched(input, inplace, run)


for _name, _fn in dict(rms_norm=rms_norm, pixel_shuffle=pixel_shuffle, pixel_unshuffle=pixel_unshuffle,
                       soft_margin_loss=soft_margin_loss, hinge_embedding_loss=hinge_embedding_loss,
                       multilabel_soft_margin_loss=multilabel_soft_margin_loss, poisson_nll_loss=poisson_nll_loss,
                       gaussian_nll_loss=gaussian_nll_loss, multi_margin_loss=multi_margin_loss,
                       scaled_dot_product_attention=scaled_dot_product_attention, prelu=prelu,
                       alpha_dropout=alpha_dropout, feature_alpha_dropout=feature_alpha_dropout,
                       dropout1d=dropout1d, dropout2d=dropout2d, dropout3d=dropout3d).items():
    FUNCTIONS[F + _name] = _fn
FUNCTIONS.update(rms_norm=rms_norm, pixel_shuffle=pixel_shuffle, pixel_unshuffle=pixel_unshuffle, prelu=prelu,
                 alpha_dropout=alpha_dropout, feature_alpha_dropout=feature_alpha_dropout)
Tensor.prelu = prelu


# ---------------------------------------------------------------- gumbel_softmax
def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """torch.nn.functional's Python composite, step by step: Gumbel noise drawn as
    -log(Exponential(1)) into an empty_like of the logits, softmax of (logits + noise) / tau;
    ``hard``: the one-hot of the argmax, with the soft sample's gradient (straight through)."""
    from .. import empty_like, zeros_like
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -empty_like(logits).exponential_().log()
    gumbels = (logits + gumbels) / tau
    y_soft = gumbels.softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


# ---------------------------------------------------------------- rrelu
# ATen's rrelu_with_noise: in training, each element x <= 0 is multiplied by its own
# uniform(lower, upper) draw (kept as the noise, 1 elsewhere); in evaluation it is
# leaky_relu with slope (lower + upper) / 2. The noise is drawn by the wrapper and passed
# in, so that the op itself is a function of its input (replay, vmap, forward AD rerun it).
def _rrelu_slope(lower, upper):
    return (float(lower) + float(upper)) / 2


def _rrelu_fwd(a, noise=None, lower=1.0 / 8, upper=1.0 / 3, training=False):
    if training:
        return a * noise
    return np.where(a > 0, a, a * np.asarray(_rrelu_slope(lower, upper), a.dtype))


def _rrelu_bwd_fwd(grad, self, noise=None, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """rrelu_with_noise_backward: the noise in training, leaky_relu's derivative otherwise."""
    if training:
        return grad * noise
    return np.where(self > 0, grad, grad * np.asarray(_rrelu_slope(lower, upper), grad.dtype))


def _rrelu_bwd_grad(grad, self, noise=None, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu_backward_(grad, self, noise=noise, lower=lower, upper=upper, training=training)


_RRELU = [sample(T(3, 4, away=(0,)), call=F + "rrelu"), sample(T(3, 4, away=(0,)), 0.1, 0.5, call=F + "rrelu"),
          sample(T(away=(0,)), call="rrelu"), sample(T(0, 3), call=F + "rrelu")]
rrelu_backward_ = _prim("rrelu_with_noise_backward", _rrelu_bwd_fwd, inputs=("grad_output", "self"),
                        node="RreluWithNoiseBackwardBackward0",
                        samples=[sample(T(2, 3, away=(0,)), 0.2, 0.4, call=F + "rrelu")],
                        grad_output=_rrelu_bwd_grad,
                        self=lambda grad: grad * 0)   # (PyTorch's zeros_like(grad))
rrelu_ = _prim("rrelu_with_noise", _rrelu_fwd, node="RreluWithNoiseBackward0", samples=_RRELU,
               self=lambda grad, self, noise=None, lower=1.0 / 8, upper=1.0 / 3, training=False:
               rrelu_backward_(grad, self, noise=noise, lower=lower, upper=upper, training=training))
# the in-place form differentiates through its result (leaky_relu's sign is the input's)
rrelu_inplace_ = _prim("rrelu_with_noise_", _rrelu_fwd, node="RreluWithNoiseBackward1",
                       samples=[sample(T(3, 4, away=(0,)), call=F + "rrelu_", prep="clone"),
                                sample(T(3, 4, away=(0,)), 0.2, 0.3, call=F + "rrelu", inplace=True, prep="clone")],
                       self=lambda grad, result, noise=None, lower=1.0 / 8, upper=1.0 / 3, training=False:
                       rrelu_backward_(grad, result, noise=noise, lower=lower, upper=upper, training=training))


def _rrelu_noise(a, lower, upper, generator=None):
    """One uniform(lower, upper) draw per element a <= 0, in order, as ATen's CPU kernel: the
    bounds in the tensor's precision, a double from 53 random bits scaled into them (a plain
    multiply-add, no fused rounding), then the tensor's precision again; 1 elsewhere."""
    lo, up = float(a.dtype.type(lower)), float(a.dtype.type(upper))
    neg = a <= 0           # (boolean indexing walks the elements in C order, as the kernel)
    draws = _random._gen(generator)._uniform53(int(neg.sum())) * (up - lo) + lo
    noise = np.ones(a.shape, a.dtype)
    noise[neg] = draws.astype(a.dtype)
    return noise


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False, *, generator=None, _name="rrelu"):
    """Randomized leaky ReLU (torch.rrelu, F.rrelu)."""
    _act._tensor_args(_name, ("input", input))
    if training and getattr(input, "_batched", False):
        # PyTorch refuses rrelu under vmap; leafgrad batches evaluation mode (no draws)
        raise RuntimeError("vmap: we do not yet support aten::rrelu. Please file an issue")
    if float(lower) > float(upper):
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    dt = input._data.dtype
    if training and dt not in (np.float32, np.float64):
        raise NotImplementedError(f"\"rrelu_with_noise_out_cpu\" not implemented for '{_loss._tname(dt)}'")
    _act._need_float(input, "leaky_relu_cpu")
    params = dict(lower=float(lower), upper=float(upper), training=bool(training))
    if training:
        # (noted as one call: a captured step draws again on replay)
        params["noise"] = _tape.call(_rrelu_noise, input._data, float(lower), float(upper), generator)
    if inplace:
        return make_inplace(rrelu_inplace_)(input, **params)
    return rrelu_(input, **params)


def rrelu_inplace(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    """torch.rrelu_ (F.rrelu_)."""
    return rrelu(input, lower, upper, training, inplace=True, generator=generator, _name="rrelu_")


def _top_rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    """torch.rrelu (no in-place flag; a generator argument)."""
    return rrelu(input, lower, upper, training, generator=generator)


# ---------------------------------------------------------------- multilabel_margin_loss
# One ATen kernel. Per sample, the targets are the target row's entries before its first -1;
# the loss sums max(0, 1 - (x[y] - x[j])) over those targets y and the non-target classes j,
# divided by the number of classes.
def _mlm_parts(a, target):
    """(hinge arguments z (N, K, C), mask of the active terms (N, K, C), targets (N, K)):
    z[n, k, j] = 1 - x[n, y_k] + x[n, j]."""
    shape = np.shape(_data(a))
    c = shape[-1] if shape else 1
    x = _data(a).reshape(-1, c)
    t = np.asarray(target).reshape(x.shape)
    valid = np.cumprod(t != -1, axis=1).astype(bool)       # entries before the first -1
    y = np.where(valid, t, 0)
    rows = np.arange(x.shape[0])[:, None]
    is_target = np.zeros(x.shape, bool)
    is_target[np.broadcast_to(rows, y.shape)[valid], y[valid]] = True
    z = 1 - np.take_along_axis(x, y, 1)[:, :, None] + x[:, None, :]
    live = valid[:, :, None] & ~is_target[:, None, :] & (z > 0)
    return z, live, y


def _mlm_fwd(a, target=None, reduction="mean"):
    z, live, _ = _mlm_parts(a, target)
    c = z.shape[-1]
    per = (np.where(live, z, 0).sum((1, 2)) / c).astype(a.dtype)
    if a.ndim <= 1:
        per = per.reshape(())
    return _loss._reduce_fwd(per, reduction)


def _mlm_coef(self, target):
    """d loss_n / d x[n, :] times the number of classes, per sample (N, C)."""
    z, live, y = _mlm_parts(self, target)
    n, k, c = live.shape
    act = live.astype(z.dtype)
    coef = act.sum(1)                                       # x[n, j] enters each active term with +1
    onehot = (y[:, :, None] == np.arange(c)).astype(z.dtype)
    coef -= np.einsum("nk,nkc->nc", act.sum(2), onehot)     # x[n, y_k] with -1 per active term
    return coef / c


def _mlm_sample_grads(grad, n, reduction):
    """The incoming gradient of each sample's loss, as (N, 1)."""
    if reduction == "none":
        return grad.reshape(-1, 1)
    return grad / n if reduction == "mean" else grad


def _mlm_bwd_fwd(grad, self, target=None, reduction="mean"):
    coef = _mlm_coef(self, target)
    return (_mlm_sample_grads(grad, coef.shape[0], reduction) * coef).reshape(self.shape).astype(self.dtype)


def _mlm_bwd_grad_output(grad, self, target=None, reduction="mean"):
    """multilabel_margin_loss_backward is linear in its incoming gradient: that map's
    transpose (PyTorch has no derivative here; leafgrad's forward AD uses it)."""
    coef = _mlm_coef(_data(self), target)
    n = coef.shape[0]
    per = _total(grad.reshape(n, -1) * _like(grad, coef), 1)
    if reduction == "none":
        return per.reshape(np.shape(_data(self))[:-1] if np.ndim(_data(self)) > 1 else ())
    total = _total(per)
    return total / n if reduction == "mean" else total


def _mlm_no_double_backward(grad):
    raise RuntimeError("derivative for aten::multilabel_margin_loss_backward is not implemented")


# PyTorch has no derivative for multilabel_margin_loss_backward: its node is "NotImplemented".
mlm_backward_ = _prim("multilabel_margin_loss_backward", _mlm_bwd_fwd, inputs=("grad_output", "self"),
                      node="NotImplemented",
                      samples=[sample(T(grad=False), T(3, 4, grad=False),
                                      target=np.array([[3, 0, -1, 1], [0, 1, 2, 3], [1, -1, 0, 0]]),
                                      call="_nnf_multilabel_margin_loss_backward", smooth=False)],
                      grad_output=_mlm_bwd_grad_output, self=_mlm_no_double_backward)
FUNCTIONS["_nnf_multilabel_margin_loss_backward"] = mlm_backward_
_MLM_T = np.array([[3, 0, -1, 1], [0, 1, 2, 3], [2, -1, 0, 0]])
multilabel_margin_ = _prim(
    "multilabel_margin_loss", _mlm_fwd, node="MultilabelMarginLossBackward0",
    # the derivative is a kernel PyTorch cannot differentiate: first derivatives only
    samples=[sample(T(3, 4), T(3, 4, grad=False, dtype="int64", values=_MLM_T.tolist()),
                    call=F + "multilabel_margin_loss", smooth=False),
             sample(T(3, 4), T(3, 4, grad=False, dtype="int64", values=_MLM_T.tolist()), reduction="none",
                    call=F + "multilabel_margin_loss", smooth=False),
             sample(T(3, 4), T(3, 4, grad=False, dtype="int64", values=_MLM_T.tolist()), reduction="sum",
                    call=F + "multilabel_margin_loss", smooth=False),
             sample(T(4), T(4, grad=False, dtype="int64", values=[1, 2, -1, 0]), reduction="none",
                    call=F + "multilabel_margin_loss", smooth=False)],
    self=lambda grad, self, target=None, reduction="mean": mlm_backward_(grad, self, target=target,
                                                                         reduction=reduction))


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    if size_average is not None or reduce is not None:
        reduction = _loss._legacy_string(size_average, reduce)
    _check_reduction(reduction)
    _act._tensor_args("multilabel_margin_loss", ("input", input), ("target", target))
    nd = input.dim()
    if not (nd == 2 and input.shape[1] != 0 or nd == 1 and input.shape[0] != 0 or nd == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")
    if nd <= 1:
        dim = input.shape[0] if nd else 1
        if not (target.dim() <= 1 and target.numel() == dim):
            raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                               f"{list(input.shape)}")
    elif target.dim() != 2 or tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}")
    else:
        dim = input.shape[1]
    if input._data.dtype not in (np.float32, np.float64):
        raise NotImplementedError(f"\"multilabel_margin_loss_forward_out_frame\" not implemented for "
                                  f"'{_loss._tname(input._data.dtype)}'")
    if target._data.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {_loss._tname(target._data.dtype)}")
    t = target._data
    if t.size and (t.min() < -1 or t.max() >= dim):
        raise RuntimeError("argument #2 'target' is out of range")
    return multilabel_margin_(input, target=np.ascontiguousarray(t), reduction=reduction)


# ---------------------------------------------------------------- triplet_margin_with_distance_loss
def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    """torch.nn.functional's Python composite, step by step."""
    from .. import pairwise_distance, minimum
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a_dim, p_dim, n_dim = anchor.ndim, positive.ndim, negative.ndim
    if not (a_dim == p_dim and p_dim == n_dim):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a_dim}D, positive {p_dim}D, and negative {n_dim}D inputs")
    if distance_function is None:
        distance_function = pairwise_distance
    dist_pos = distance_function(anchor, positive)
    dist_neg = distance_function(anchor, negative)
    if swap:    # the positive as anchor when it is closer to the negative (Balntas et al.)
        dist_neg = minimum(dist_neg, distance_function(positive, negative))
    loss = _act.clamp_min(margin + dist_pos - dist_neg, min=0)
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.mean()
    return loss


_act.clamp_min.spec.samples += [
    sample(T(3, 4), T(3, 4), T(3, 4), call=F + "triplet_margin_with_distance_loss", smooth=False),
    sample(T(3, 4), T(3, 4), T(3, 4), margin=0.5, swap=True, reduction="none",
           call=F + "triplet_margin_with_distance_loss", smooth=False),
    sample(T(4), T(4), T(4), reduction="sum", call=F + "triplet_margin_with_distance_loss", smooth=False)]

for _name, _fn in dict(gumbel_softmax=gumbel_softmax, rrelu=rrelu, rrelu_=rrelu_inplace,
                       multilabel_margin_loss=multilabel_margin_loss,
                       triplet_margin_with_distance_loss=triplet_margin_with_distance_loss).items():
    FUNCTIONS[F + _name] = _fn
FUNCTIONS.update(rrelu=_top_rrelu, rrelu_=rrelu_inplace)
