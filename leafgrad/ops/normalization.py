"""Normalization layers (torch.nn.functional): layer_norm, group_norm, batch_norm,
instance_norm, local_response_norm.

The statistics are computed once in NumPy and handed to the forward; a plain backward
reuses them, while a ``create_graph=True`` backward recomputes them from the input with
Tensor ops, so the derivative formulas are themselves differentiable.
"""
import builtins

import numpy as np

from ._declare import declare, FUNCTIONS
from ._samples import T, sample
from .._tensor import Tensor
from .._tape import kernel
from . import shape as _shape
from .conv import dep_sum

_NF = "nn.functional."


def _check_same_dtype(input, *others):
    dt = input._data.dtype
    for t in others:
        if t is not None and t._data.dtype != dt:
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")


def _stats(x, axes, eps):
    mu = np.mean(x, axis=axes, keepdims=True)
    xc = x - mu
    var = np.mean(xc * xc, axis=axes, keepdims=True)
    return mu, var, 1 / np.sqrt(var + eps)


def _norm_input_grad(g, x, axes, eps, mu=None, rstd=None):
    """d/dx of (x - mean) * rstd over ``axes``, applied to ``g`` (already scaled by the weight)."""
    if mu is None or isinstance(g, Tensor) or isinstance(x, Tensor):
        mu, _, rstd = _stats(x, axes, eps)
    xhat = (x - mu) * rstd
    return rstd * (g - np.mean(g, axis=axes, keepdims=True) - xhat * np.mean(g * xhat, axis=axes, keepdims=True))


def _xhat(x, axes, eps, mu=None, rstd=None):
    if mu is None or isinstance(x, Tensor):
        mu, _, rstd = _stats(x, axes, eps)
    return (x - mu) * rstd


def _sum_over(t, axes):
    return np.sum(t, axis=axes) if axes else t


# ---- the array path: 3-D views (A, C, L), statistics over axis 2 or axes (0, 2), as few
# passes over the data as NumPy allows (einsum for sums of products, in-place updates)
def _dot3(a, b, axes):
    """sum(a * b) over ``axes`` of 3-D arrays, kept as dims, without the product's temporary."""
    if axes == (2,):
        return np.einsum("ijk,ijk->ij", a, b)[:, :, None]
    return np.einsum("ijk,ijk->j", a, b)[None, :, None]


def _count(x3, axes):
    n = 1
    for a in axes:
        n *= x3.shape[a]
    return builtins.max(n, 1)


@kernel
def _stats_as(x, shape3, axes, eps):
    """``_fast_stats`` of ``x`` seen as ``shape3``, computed before the op that uses them
    (a step being captured replays this call too)."""
    return _fast_stats(x.reshape(shape3), axes, eps)


def _fast_stats(x3, axes, eps):
    """(xhat, var, rstd) of a 3-D array over ``axes``."""
    mu = x3.mean(axis=axes, keepdims=True) if x3.size else np.zeros(
        [1 if i in axes else s for i, s in enumerate(x3.shape)], x3.dtype)
    xhat = x3 - mu
    var = _dot3(xhat, xhat, axes) / x3.dtype.type(_count(x3, axes))
    rstd = 1 / np.sqrt(var + eps)
    xhat *= rstd
    return xhat, mu, var, rstd


def _fast_input_grad(g3, xhat3, rstd, axes):
    """rstd * (g - mean(g) - xhat * mean(g * xhat)) with one temporary."""
    n = g3.dtype.type(_count(g3, axes))
    mg = g3.mean(axis=axes, keepdims=True) if g3.size else 0
    mgx = _dot3(g3, xhat3, axes) / n
    out = np.multiply(xhat3, mgx)
    np.subtract(g3, out, out=out)
    out -= mg
    out *= rstd
    return out


# ====================================================================== layer_norm
def _ln_axes(x, normalized_shape):
    return tuple(range(x.ndim - len(normalized_shape), x.ndim))


def _ln_forward(x, w, b, normalized_shape, eps, xhat, rstd):
    xh = xhat.reshape(x.shape)
    y = xh * w if w is not None else xh.copy()
    if b is not None:
        y += b
    return y


def _ln_n(normalized_shape):
    n = 1
    for s in normalized_shape:
        n *= s
    return n


def _ln_input(grad, input, weight, normalized_shape, eps, xhat, rstd):
    g = grad if weight is None else grad * weight
    if isinstance(g, Tensor) or isinstance(input, Tensor):
        return _norm_input_grad(g, input, _ln_axes(input, normalized_shape), eps)
    out = _fast_input_grad(g.reshape(-1, 1, _ln_n(normalized_shape)), xhat, rstd, (2,))
    return out.reshape(input.shape)


def _ln_weight(grad, input, normalized_shape, eps, xhat):
    if isinstance(grad, Tensor) or isinstance(input, Tensor):
        xh = _xhat(input, _ln_axes(input, normalized_shape), eps)
        return _sum_over(grad * xh, tuple(range(input.ndim - len(normalized_shape))))
    n = _ln_n(normalized_shape)
    return np.einsum("ij,ij->j", grad.reshape(-1, n), xhat.reshape(-1, n)).reshape(normalized_shape)


native_layer_norm = declare(
    "native_layer_norm", _ln_forward, inputs=("input", "weight", "bias"), node="NativeLayerNormBackward0",
    public=False,
    samples=[sample(T(2, 3, 4), (4,), T(4), T(4), call=_NF + "layer_norm"),
             sample(T(3, 4), (3, 4), call=_NF + "layer_norm"),
             sample(T(2, 3, 4), [3, 4], T(3, 4), None, 1e-3, call=_NF + "layer_norm"),
             sample(T(2, 5), (5,), T(5), None, call="layer_norm"),
             sample(T(4), (4,), T(4), T(4), call=_NF + "layer_norm"),
             sample(T(0, 4), (4,), T(4), T(4), call=_NF + "layer_norm"),
             sample(T(2, 3, 4, dtype="float32"), (4,), T(4, dtype="float32"), T(4, dtype="float32"),
                    call=_NF + "layer_norm")],
    input=_ln_input, weight=_ln_weight,
    bias=lambda grad, input, weight, normalized_shape: dep_sum(
        grad, input, weight, axes=tuple(range(input.ndim - len(normalized_shape)))))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    ns = tuple(int(s) for s in normalized_shape)
    shape = tuple(input.shape)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != ns:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(t.shape)} and normalized_shape = {list(ns)}")
    if len(ns) > len(shape) or shape[len(shape) - len(ns):] != ns or not ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape [*"
                           + "".join(f", {s}" for s in ns) + f"], but got input of size{list(shape)}")
    _check_same_dtype(input, weight, bias)
    x = input._data
    xhat, _, _, rstd = _stats_as(x, (-1, 1, _ln_n(ns)), (2,), x.dtype.type(eps))
    return native_layer_norm(input, weight, bias, normalized_shape=ns, eps=eps, xhat=xhat, rstd=rstd)


# ====================================================================== group_norm
def _gn_split(x, group):
    return x.reshape(x.shape[0], group, -1)


def _chan(t, ndim):
    return t.reshape((-1,) + (1,) * (ndim - 2))


def _channel_affine(x, w, b, xhat):
    """The normalised ``xhat`` (any layout of x's elements) scaled by ``w`` and shifted by
    ``b`` per channel (dim 1); either may be None."""
    xh = xhat.reshape(x.shape)
    y = xh * _chan(w, x.ndim) if w is not None else xh.copy()
    if b is not None:
        y += _chan(b, x.ndim)
    return y


def _gn_forward(x, w, b, group, eps, xhat, rstd):
    return _channel_affine(x, w, b, xhat)


def _gn_input(grad, input, weight, group, eps, xhat, rstd):
    g = grad if weight is None else grad * _chan(weight, input.ndim)
    if isinstance(g, Tensor) or isinstance(input, Tensor):
        out = _norm_input_grad(_gn_split(g, group), _gn_split(input, group), (2,), eps)
        return out.reshape(input.shape)
    out = _fast_input_grad(g.reshape(xhat.shape), xhat, rstd, (2,))
    return out.reshape(input.shape)


def _gn_weight(grad, input, group, eps, xhat):
    if isinstance(grad, Tensor) or isinstance(input, Tensor):
        xh = _xhat(_gn_split(input, group), (2,), eps).reshape(input.shape)
        return np.sum(grad * xh, axis=(0,) + tuple(range(2, input.ndim)))
    N, C = input.shape[:2]
    return np.einsum("ncl,ncl->c", grad.reshape(N, C, -1), xhat.reshape(N, C, -1))


native_group_norm = declare(
    "native_group_norm", _gn_forward, inputs=("input", "weight", "bias"), node="NativeGroupNormBackward0",
    public=False,
    samples=[sample(T(2, 4, 3), 2, T(4), T(4), call=_NF + "group_norm"),
             sample(T(2, 6, 2, 2), 3, call=_NF + "group_norm"),
             sample(T(3, 4), 1, T(4), T(4), eps=1e-3, call=_NF + "group_norm"),
             sample(T(2, 4, 3), 4, T(4), None, call="group_norm"),
             sample(T(2, 4, 3, dtype="float32"), 2, T(4, dtype="float32"), T(4, dtype="float32"),
                    call=_NF + "group_norm")],
    input=_gn_input, weight=_gn_weight,
    bias=lambda grad, input, weight: dep_sum(grad, input, weight, axes=(0,) + tuple(range(2, grad.ndim))))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    C = input.shape[1]
    if C % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(input.shape)} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dim() != 1 or t.numel() != C):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {list(t.shape)} and input of shape {list(input.shape)}")
    _check_same_dtype(input, weight, bias)
    x = input._data
    N = x.shape[0]
    xhat, _, _, rstd = _stats_as(x, (N * num_groups, 1, -1) if x.size else
                                 (N * num_groups, 1, x.size // builtins.max(N * num_groups, 1)), (2,),
                                 x.dtype.type(eps))
    return native_group_norm(input, weight, bias, group=int(num_groups), eps=eps, xhat=xhat, rstd=rstd)


# ====================================================================== batch_norm
def _bn_axes(ndim):
    return (0,) + tuple(range(2, ndim))


def _bn3(x):
    return x.reshape(x.shape[0], x.shape[1], -1) if x.size else x.reshape(x.shape[:2] + (0,))


def _bn_forward(x, w, b, training, eps, mu, rstd, xhat):
    return _channel_affine(x, w, b, xhat)


def _bn_input(grad, input, weight, training, eps, mu, rstd, xhat):
    g = grad if weight is None else grad * _chan(weight, input.ndim)
    if not training:
        out = g * rstd.reshape((1, -1) + (1,) * (input.ndim - 2))
        # PyTorch's result requires grad when the input does (a zero derivative)
        return dep_sum(out, input, weight, axes=()) if isinstance(out, Tensor) else out
    if isinstance(g, Tensor) or isinstance(input, Tensor):
        return _norm_input_grad(g, input, _bn_axes(input.ndim), eps)
    return _fast_input_grad(_bn3(g), xhat, rstd, (0, 2)).reshape(input.shape)


def _bn_weight(grad, input, training, eps, mu, rstd, xhat):
    if isinstance(grad, Tensor) or isinstance(input, Tensor):
        shape = (1, -1) + (1,) * (input.ndim - 2)
        xh = _xhat(input, _bn_axes(input.ndim), eps) if training else \
            (input - mu.reshape(shape)) * rstd.reshape(shape)
        return np.sum(grad * xh, axis=_bn_axes(input.ndim))
    return np.einsum("ncl,ncl->c", _bn3(grad), xhat)


native_batch_norm = declare(
    "native_batch_norm", _bn_forward, inputs=("input", "weight", "bias"), node="NativeBatchNormBackward0",
    public=False,
    samples=[sample(T(4, 3), None, None, T(3), T(3), True, call=_NF + "batch_norm"),
             sample(T(2, 3, 4), None, None, training=True, call=_NF + "batch_norm"),
             sample(T(2, 2, 3, 3), T(2, grad=False), T(2, low=0.5, grad=False), T(2), T(2), True, 0.3, 1e-3,
                    call=_NF + "batch_norm"),
             sample(T(2, 2, 3), T(2, grad=False), T(2, low=0.5, grad=False), T(2), T(2), call=_NF + "batch_norm"),
             sample(T(3, 2), T(2, grad=False), T(2, low=0.5, grad=False), call=_NF + "batch_norm"),
             sample(T(2, 3, 4, dtype="float32"), None, None, T(3, dtype="float32"), T(3, dtype="float32"),
                    training=True, call=_NF + "batch_norm"),
             sample(T(2, 3, 4), call=_NF + "instance_norm"),
             sample(T(2, 2, 5), T(2, grad=False), T(2, low=0.5, grad=False), T(2), T(2), True, call=_NF + "instance_norm"),
             sample(T(2, 2, 3, 3), None, None, T(2), T(2), call=_NF + "instance_norm")],
    input=_bn_input, weight=_bn_weight,
    bias=lambda grad, input, weight: dep_sum(grad, input, weight, axes=_bn_axes(grad.ndim)))


@kernel
def _bn_statistics(x, rm, rv, training, momentum, eps):
    """What batch norm normalizes ``x`` with: (mean, 1/std, normalized x), from the batch
    in training (then the running statistics ``rm``, ``rv`` are updated in place) or
    from the running statistics in evaluation."""
    x3 = _bn3(x)
    if not training:
        mu = rm.astype(x.dtype, copy=False).reshape(1, -1, 1)
        rstd = 1 / np.sqrt(rv.astype(x.dtype, copy=False).reshape(1, -1, 1) + eps)
        return mu, rstd, (x3 - mu) * rstd
    xhat, mu, var, rstd = _fast_stats(x3, (0, 2), eps)
    n = x.size // x.shape[1]
    m = momentum
    if rm is not None:
        rm[...] = (1 - m) * rm + m * mu.reshape(-1).astype(rm.dtype)
    if rv is not None:
        rv[...] = (1 - m) * rv + m * (var.reshape(-1) * (n / (n - 1))).astype(rv.dtype)
    return mu, rstd, xhat


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    x = input._data
    C = x.shape[1] if x.ndim > 1 else None
    if training:
        n = x.size // builtins.max(C or 1, 1)
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"torch.Size({list(input.shape)})")
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t.numel() != C:
            raise RuntimeError(f"{name} should contain {C} elements not {t.numel()}")
    _check_same_dtype(input, weight, bias, running_mean, running_var)
    eps_ = x.dtype.type(eps)
    if training:
        if (running_mean is not None or running_var is not None) and input._batched and not (
                getattr(running_mean, "_batched", False) or getattr(running_var, "_batched", False)):
            raise RuntimeError(
                "Batch norm got a batched tensor as input while the running_mean or running_var, which will be "
                "updated in place, were not batched.\nIf you are using a module and do not need eval mode, "
                "please set `track_running_stats` to be False.If you are using a prebuilt module and do not "
                "need eval mode, please see the functorch website for resources on how to patch your module "
                "to work with vmap")
    else:
        if running_mean is None:
            raise RuntimeError("running_mean must be defined in evaluation mode")
        if running_var is None:
            raise RuntimeError("running_var must be defined in evaluation mode")
    mu, rstd, xhat = _bn_statistics(x, None if running_mean is None else running_mean._data,
                                    None if running_var is None else running_var._data, bool(training), momentum,
                                    eps_)
    return native_batch_norm(input, weight, bias, training=bool(training), eps=eps, mu=mu, rstd=rstd, xhat=xhat)


# ====================================================================== instance_norm
def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    shape = tuple(input.shape)
    N, C = shape[0], shape[1]
    if use_input_stats:
        spatial = 1
        for s in shape[2:]:
            spatial *= s
        if spatial <= 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                             f"torch.Size({list(shape)})")
    x = _shape.reshape(input, (1, N * C) + shape[2:])

    def rep(t):
        return None if t is None else _shape.reshape(_shape.expand(_shape.unsqueeze(t, 0), (N, C)), (N * C,))

    rm = rv = None
    from .._tensor import wrap
    if running_mean is not None:
        rm = wrap(np.tile(running_mean._data, N))
    if running_var is not None:
        rv = wrap(np.tile(running_var._data, N))
    out = batch_norm(x, rm, rv, rep(weight), rep(bias), use_input_stats, momentum, eps)
    if use_input_stats:
        if running_mean is not None:
            running_mean._data[...] = rm._data.reshape(N, C).mean(0)
        if running_var is not None:
            running_var._data[...] = rv._data.reshape(N, C).mean(0)
    return _shape.view(out, shape)


# ====================================================================== local_response_norm
def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    from .conv import avg_pool2d_, constant_pad_nd
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    shape = tuple(input.shape)
    div = input * input
    # sum over a window of ``size`` channels: channels as the height of a 2-D map
    div = _shape.reshape(div, (shape[0], 1, shape[1], -1))
    div = constant_pad_nd(div, pad=(0, 0, size // 2, (size - 1) // 2), value=0.0)
    div = avg_pool2d_(div, kernel_size=(size, 1), stride=(1, 1), padding=(0, 0), ceil_mode=False,
                      count_include_pad=True, divisor_override=None)
    div = _shape.reshape(_shape.squeeze(div, 1), shape)
    div = (div * alpha + k) ** beta
    return input / div


FUNCTIONS.update({
    _NF + "layer_norm": layer_norm, _NF + "group_norm": group_norm, _NF + "batch_norm": batch_norm,
    _NF + "instance_norm": instance_norm, _NF + "local_response_norm": local_response_norm,
    "layer_norm": layer_norm, "group_norm": group_norm,
})


def _torch_instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps,
                         cudnn_enabled=True):
    return instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


FUNCTIONS["instance_norm"] = _torch_instance_norm


def _torch_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled=True):
    return batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


FUNCTIONS["batch_norm"] = _torch_batch_norm


def _lrn_samples():
    from .conv import avg_pool2d_
    avg_pool2d_.spec.samples += [sample(T(2, 5, 3), 3, call=_NF + "local_response_norm"),
                                 sample(T(1, 4, 2, 3), 2, 1e-2, 0.5, 2.0, call=_NF + "local_response_norm")]


_lrn_samples()
