"""Convolution, pooling, im2col/col2im, padding and resampling (torch.nn.functional).

Everything spatial works on 1-D or 2-D maps; the NumPy kernels see 2-D maps (a 1-D map
is a 2-D map of height 1). A convolution is one im2col (strided windows, one copy) and
one batched matmul; its adjoint scatters columns back with one strided-slice addition
per kernel position (no ``np.add.at``).

Derivative formulas are written with declared ops only, so they are differentiable:
the input gradient of a convolution is a transposed convolution (and vice versa), the
weight gradient is ``_conv_weight`` whose own derivatives are convolutions; pooling
and resampling ops come in adjoint pairs (``_pool_scatter`` / ``_pool_gather``,
``avg_pool2d`` / ``_avg_pool2d_backward``, ``im2col`` / ``col2im``) and the linear
resamplings (adaptive average pooling, interpolation, reflection/replication/circular
padding) are separable maps ``x -> Mh @ x @ Mw^T`` whose adjoint is the same op with the
transposed matrices.
"""
import builtins
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._declare import constant, declare, FUNCTIONS, REGISTRY
from ._samples import T, sample
from .._tensor import _C_TYPE_NAMES as _C_NAMES
from .._tensor import Tensor, _LEGACY_NAMES, wrap
from . import shape as _shape

_NF = "nn.functional."


# ====================================================================== helpers
def _tuple(v, n, name=None):
    if isinstance(v, Tensor):
        v = v.tolist()
    if isinstance(v, (list, tuple)):
        v = tuple(int(x) for x in v)
        if len(v) == 1 and n > 1:
            v = v * n
        return v
    return (int(v),) * n


def _to2(t, fill):
    """Parameters of a 1-D op as those of a 2-D op of height 1."""
    return (fill,) + tuple(t) if len(t) == 1 else tuple(t)


def _lift(a):
    """A 1-D map (N, C, W) as a 2-D map (N, C, 1, W)."""
    return a[:, :, None, :]


def _pad_array(x, top, bottom, left, right, value=0.0):
    """Pad the last two dims of a 4-D array (non-negative amounts)."""
    if not (top or bottom or left or right):
        return x
    N, C, H, W = x.shape
    out = np.empty((N, C, H + top + bottom, W + left + right), x.dtype)
    if top or bottom:
        out[:, :, :top] = value
        out[:, :, top + H:] = value
    if left or right:
        out[:, :, :, :left] = value
        out[:, :, :, left + W:] = value
    out[:, :, top:top + H, left:left + W] = x
    return out


def _windows(xp, k, s, d, out):
    """Strided view (N, C, kh, kw, Ho, Wo) of the windows of a padded 4-D array."""
    N, C = xp.shape[:2]
    s0, s1, s2, s3 = xp.strides
    return as_strided(xp, (N, C, k[0], k[1], out[0], out[1]),
                      (s0, s1, s2 * d[0], s3 * d[1], s2 * s[0], s3 * s[1]), writeable=False)


def _col2im(cols, size, k, s, p, d):
    """Adjoint of the windows: ``cols`` (N, C, kh, kw, Ho, Wo) summed into a (N, C, H, W)
    map (padding ``p`` cropped), one strided-slice addition per kernel position."""
    N, C, kh, kw, Ho, Wo = cols.shape
    H, W = size
    Hp = builtins.max(H + 2 * p[0], (Ho - 1) * s[0] + d[0] * (kh - 1) + 1)
    Wp = builtins.max(W + 2 * p[1], (Wo - 1) * s[1] + d[1] * (kw - 1) + 1)
    buf = np.zeros((N, C, Hp, Wp), cols.dtype)
    he, we = s[0] * (Ho - 1) + 1, s[1] * (Wo - 1) + 1
    for i in range(kh):
        for j in range(kw):
            buf[:, :, i * d[0]:i * d[0] + he:s[0], j * d[1]:j * d[1] + we:s[1]] += cols[:, :, i, j]
    return buf[:, :, p[0]:p[0] + H, p[1]:p[1] + W]


def zeros_grad(like, shape, dtype):
    """A zero gradient (an array, or a Tensor in a differentiable backward). Formulas do
    not return None: the engine would then never run the nodes behind that edge."""
    z = np.zeros(shape, dtype)
    return wrap(z) if isinstance(like, Tensor) else z




def _dtype_name(a):
    return _LEGACY_NAMES.get(a.dtype.name, a.dtype.name)


# ====================================================================== convolution
def _conv_np(x, w, stride, padding, dilation, groups):
    """Cross-correlation of 4-D arrays: one im2col copy and one matmul."""
    N, C, H, W = x.shape
    O, Cg, kh, kw = w.shape
    g = groups
    Ho = (H + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    Wo = (W + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    K = Cg * kh * kw
    if kh == kw == 1 and stride == (1, 1) and padding == (0, 0):
        cols = x.reshape(N, g, K, H * W)
    else:
        xp = _pad_array(x, padding[0], padding[0], padding[1], padding[1])
        cols = _windows(xp, (kh, kw), stride, dilation, (Ho, Wo)).reshape(N, g, K, Ho * Wo)
    if g == 1:
        y = np.matmul(w.reshape(O, K), cols[:, 0])
    else:
        y = np.matmul(w.reshape(g, O // g, K), cols)
    return y.reshape(N, O, Ho, Wo)


def _conv_t_np(x, w, stride, padding, output_padding, dilation, groups):
    """Transposed convolution (the adjoint of ``_conv_np`` in x): one matmul to columns,
    then the columns summed into place."""
    N, Ci, H, W = x.shape
    _, Og, kh, kw = w.shape
    g = groups
    Cg = Ci // g
    Ho = (H - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) + output_padding[0] + 1
    Wo = (W - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) + output_padding[1] + 1
    flat = stride == (1, 1) and not (kh == kw == 1 and padding == (0, 0) and output_padding == (0, 0))
    if flat:
        # Stride 1: lay the input rows out at the width of the padded output, so that each
        # kernel position adds one contiguous shifted run of the columns.
        Hb, Wb = Ho + 2 * padding[0], Wo + 2 * padding[1]
        if Wb != W:
            xw = np.zeros((N, Ci, H, Wb), x.dtype)
            xw[..., :W] = x
            x = xw
        W = Wb
    if g == 1:
        cols = np.matmul(w.reshape(Ci, Og * kh * kw).T, x.reshape(N, Ci, H * W))
    else:
        cols = np.matmul(np.swapaxes(w.reshape(g, Cg, Og * kh * kw), 1, 2), x.reshape(N, g, Cg, H * W))
    if flat:
        cols = cols.reshape(N, g * Og, kh, kw, H * W)
        buf = np.zeros((N, g * Og, (Hb + 1) * Wb), x.dtype)
        n = H * W
        for i in range(kh):
            for j in range(kw):
                off = i * dilation[0] * Wb + j * dilation[1]
                buf[:, :, off:off + n] += cols[:, :, i, j]
        out = buf[:, :, :Hb * Wb].reshape(N, g * Og, Hb, Wb)
        return out[:, :, padding[0]:padding[0] + Ho, padding[1]:padding[1] + Wo]
    cols = cols.reshape(N, g * Og, kh, kw, H, W)
    if kh == kw == 1 and stride == (1, 1) and padding == (0, 0) and output_padding == (0, 0):
        return cols.reshape(N, g * Og, H, W)
    return _col2im(cols, (Ho, Wo), (kh, kw), stride, padding, dilation)


def _conv_weight_np(x, gy, kernel, stride, padding, dilation, groups):
    """d(conv)/d(weight) applied to ``gy``: correlate the input windows with the output
    gradient, summed over the batch and positions."""
    N, C, H, W = x.shape
    _, O, Ho, Wo = gy.shape
    kh, kw = kernel
    g = groups
    Cg, Og = C // g, O // g
    K = Cg * kh * kw
    xp = _pad_array(x, padding[0], padding[0], padding[1], padding[1])
    cols = _windows(xp, kernel, stride, dilation, (Ho, Wo)).reshape(N, g, K, Ho * Wo)
    gy = gy.reshape(N, g, Og, Ho * Wo)
    # one batched matmul (BLAS reads the transposed columns in place), then a small sum
    out = np.matmul(gy, np.swapaxes(cols, 2, 3)).sum(0)
    return out.reshape(O, Cg, kh, kw)


def _convolution_forward(x, w, b, stride, padding, dilation, transposed, output_padding, groups):
    one = x.ndim == 3
    if one:
        x, w = _lift(x), _lift(w)
    st, pd, dl, op = _to2(stride, 1), _to2(padding, 0), _to2(dilation, 1), _to2(output_padding, 0)
    if transposed:
        y = _conv_t_np(x, w, st, pd, op, dl, groups)
    else:
        y = _conv_np(x, w, st, pd, dl, groups)
    if b is not None:
        y = y + b.reshape(1, -1, 1, 1)
    return y[:, :, 0] if one else y


def _conv_weight_forward(x, gy, kernel, stride, padding, dilation, groups):
    one = x.ndim == 3
    if one:
        x, gy = _lift(x), _lift(gy)
    out = _conv_weight_np(x, gy, _to2(kernel, 1), _to2(stride, 1), _to2(padding, 0), _to2(dilation, 1), groups)
    return out[:, :, 0] if one else out


def _out_pad(in_shape, grad_shape, kernel, stride, padding, dilation):
    """The output padding for which the transposed convolution of ``grad`` has the
    spatial size of ``in_shape``."""
    return tuple(in_shape[2 + i] - ((grad_shape[2 + i] - 1) * stride[i] - 2 * padding[i]
                                    + dilation[i] * (kernel[i] - 1) + 1) for i in range(len(stride)))


def _conv_input_grad(grad, weight, input_shape, stride, padding, dilation, transposed, groups):
    kernel = tuple(weight.shape[2:])
    zeros = (0,) * len(stride)
    if transposed:
        return convolution(grad, weight, None, stride=stride, padding=padding, dilation=dilation,
                           transposed=False, output_padding=zeros, groups=groups)
    return convolution(grad, weight, None, stride=stride, padding=padding, dilation=dilation, transposed=True,
                       output_padding=_out_pad(input_shape, grad.shape, kernel, stride, padding, dilation),
                       groups=groups)


def _conv_weight_grad(grad, input, weight_shape, stride, padding, dilation, transposed, groups):
    kernel = tuple(weight_shape[2:])
    if transposed:
        return conv_weight(grad, input, kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                           groups=groups)
    return conv_weight(input, grad, kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                       groups=groups)


def _dep_sum_forward(grad, a, b, axes):
    return np.sum(grad, axis=axes) if axes else grad.copy()


def _dep_sum_back(grad, grad_shape, axes):
    return np.broadcast_to(np.expand_dims(grad, axes), grad_shape) if axes else grad


# The bias gradient of a layer with inputs ``a``, ``b``: a sum of ``grad`` that, like
# PyTorch's multi-output backward nodes, requires grad when ``a`` or ``b`` does (its
# derivative with respect to them is zero).
dep_sum = declare(
    "_dep_sum", _dep_sum_forward, inputs=("grad", "a", "b"), node="SumBackward1", public=False,
    samples=[sample(T(2, 3, 4), T(2), T(3), axes=(0, 2), call="_dep_sum")],
    grad=_dep_sum_back, a=lambda grad, a_shape, a_dtype: zeros_grad(grad, a_shape, a_dtype),
    b=lambda grad, b_shape, b_dtype: zeros_grad(grad, b_shape, b_dtype))


def _bias_grad(grad, input, weight):
    return dep_sum(grad, input, weight, axes=(0,) + tuple(range(2, grad.ndim)))


_CONV_SAMPLES = [
    sample(T(2, 3, 5, 5), T(4, 3, 3, 3), T(4), call=_NF + "conv2d"),
    sample(T(1, 2, 6, 5), T(2, 2, 2, 3), stride=(2, 1), padding=1, call=_NF + "conv2d"),
    sample(T(1, 4, 5, 5), T(4, 2, 2, 2), None, 1, 1, 2, 2, call=_NF + "conv2d"),
    sample(T(1, 2, 5, 4), T(2, 2, 3, 2), padding="same", call=_NF + "conv2d"),
    sample(T(1, 2, 4, 4), T(3, 2, 2, 2), T(3), padding="valid", call="conv2d"),
    sample(T(2, 3, 6), T(4, 3, 3), T(4), stride=2, padding=1, call=_NF + "conv1d"),
    sample(T(1, 4, 7), T(2, 2, 2), dilation=2, groups=2, call=_NF + "conv1d"),
    sample(T(2, 3, 5, 5), T(2, 3, 1, 1), T(2), call=_NF + "conv2d"),
    sample(T(3, 4, 4), T(3, 2, 3, 3), T(2), stride=2, padding=1, output_padding=1, call=_NF + "conv_transpose2d"),
    sample(T(1, 4, 3, 3), T(4, 1, 2, 2), None, (2, 1), 0, 0, 2, 2, call=_NF + "conv_transpose2d"),
    sample(T(2, 2, 4), T(2, 3, 3), T(3), stride=3, padding=1, output_padding=1, call=_NF + "conv_transpose1d"),
    sample(T(1, 2, 3, 3), T(2, 2, 2, 2), call="conv_transpose2d"),
    sample(T(2, 3, 3), T(2, 2, 2, 2), T(2), call=_NF + "conv2d"),
    sample(T(1, 2, 4, 4, dtype="float32"), T(3, 2, 2, 2, dtype="float32"), T(3, dtype="float32"), padding=1,
           call=_NF + "conv2d"),
    sample(T(0, 2, 4, 4), T(3, 2, 2, 2), T(3), call=_NF + "conv2d"),
]

convolution = declare(
    "convolution", _convolution_forward, inputs=("input", "weight", "bias"), node="ConvolutionBackward0",
    public=False, samples=_CONV_SAMPLES,
    input=_conv_input_grad, weight=_conv_weight_grad, bias=lambda grad, input, weight: _bias_grad(grad, input, weight))

conv_weight = declare(
    "_conv_weight", _conv_weight_forward, inputs=("input", "grad_output"), node="ConvolutionBackwardBackward0",
    public=False,
    samples=[sample(T(1, 2, 5, 5), T(1, 4, 2, 2), kernel=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1),
                    groups=2, call="_conv_weight")],
    input=lambda grad, input_shape, grad_output, kernel, stride, padding, dilation, groups: convolution(
        grad_output, grad, None, stride=stride, padding=padding, dilation=dilation, transposed=True,
        output_padding=_out_pad(input_shape, grad_output.shape, kernel, stride, padding, dilation), groups=groups),
    grad_output=lambda grad, input, stride, padding, dilation, groups: convolution(
        input, grad, None, stride=stride, padding=padding, dilation=dilation, transposed=False,
        output_padding=(0,) * len(stride), groups=groups))


def _check_conv(name, input, weight, bias, nd, transposed, groups):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}() received an invalid combination of arguments - got ({type(input).__name__}, ...)")
    dim = input.dim()
    if dim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input "
                           f"of size: {list(input.shape)}")
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"Input type (torch.{_dtype_name(input._data)}Tensor) and weight type "
                           f"(torch.{_dtype_name(weight._data)}Tensor) should be the same or input should be a "
                           "MKLDNN tensor and weight is a dense tensor")
    if bias is not None and bias._data.dtype != input._data.dtype:
        raise RuntimeError(f"Input type ({_C_NAMES.get(input._data.dtype.name)}) and bias type "
                           f"({_C_NAMES.get(bias._data.dtype.name)}) should be the same")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if weight.dim() < 3:
        raise RuntimeError("weight should have at least three dimensions")


def _validate_shapes(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups, batched):
    shape = tuple(input.shape) if batched else (1,) + tuple(input.shape)
    ws = tuple(weight.shape)
    show = list(shape) if batched else list(input.shape)
    if builtins.any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if builtins.any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if builtins.any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if not transposed:
        if ws[0] % groups:
            raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                               f"but got weight of size {list(ws)} instead")
        if shape[1] != ws[1] * groups:
            raise RuntimeError(f"Given groups={groups}, weight of size {list(ws)}, expected input{show} to have "
                               f"{ws[1] * groups} channels, but got {shape[1]} channels instead")
        padded = [shape[2 + i] + 2 * padding[i] for i in range(len(stride))]
        eff = [dilation[i] * (ws[2 + i] - 1) + 1 for i in range(len(stride))]
        if builtins.any(p < e for p, e in zip(padded, eff)):
            raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                               f"Kernel size: ({' x '.join(map(str, eff))}). Kernel size can't be greater than "
                               "actual input size")
        n_out = ws[0]
    else:
        if shape[1] != ws[0]:
            raise RuntimeError(f"Given transposed=1, weight of size {list(ws)}, expected input{show} to have "
                               f"{ws[0]} channels, but got {shape[1]} channels instead")
        if ws[0] % groups:
            raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                               f"but got weight of size {list(ws)} instead")
        for i in range(len(stride)):
            if output_padding[i] >= stride[i] and output_padding[i] >= dilation[i]:
                names = ("height", "width") if len(stride) == 2 else ("width",)
                raise RuntimeError(
                    "output padding must be smaller than either stride or dilation, but got "
                    + " ".join(f"output_padding_{n}: {output_padding[j]}" for j, n in enumerate(names)) + " "
                    + " ".join(f"stride_{n}: {stride[j]}" for j, n in enumerate(names)) + " "
                    + " ".join(f"dilation_{n}: {dilation[j]}" for j, n in enumerate(names)))
        n_out = ws[1] * groups
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != n_out):
        raise RuntimeError(f"Given weight of size {list(ws)}, expected bias to be 1-dimensional with {n_out} "
                           f"elements, but got bias of size {list(bias.shape)} instead")


def _conv(name, nd, input, weight, bias, stride, padding, dilation, groups, transposed=False, output_padding=0):
    _check_conv(name, input, weight, bias, nd, transposed, groups)
    stride = _tuple(stride, nd)
    dilation = _tuple(dilation, nd)
    if weight.dim() > nd + 2 and input.dim() == nd + 2:
        raise RuntimeError(f"Expected {weight.dim()}-dimensional input for {weight.dim()}-dimensional weight "
                           f"{list(weight.shape)}, but got {input.dim()}-dimensional input of size "
                           f"{list(input.shape)} instead")
    if weight.dim() != nd + 2:
        k = weight.dim() - 2
        raise RuntimeError(f"expected stride to be a single integer value or a list of {k} values to match the "
                           f"convolution dimensions, but got stride={list(stride)}")
    output_padding = _tuple(output_padding, nd)
    batched = input.dim() == nd + 2
    x = input if batched else _shape.unsqueeze(input, 0)
    pre_pad = None
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0,) * nd
        elif padding == "same":
            if builtins.any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            total = [dilation[i] * (weight.shape[2 + i] - 1) for i in range(nd)]
            padding = tuple(t // 2 for t in total)
            if builtins.any(t % 2 for t in total):
                import warnings
                warnings.warn("Using padding='same' with even kernel lengths and odd dilation may require a "
                              "zero-padded copy of the input be created", UserWarning, stacklevel=3)
                pre_pad = []
                for i in reversed(range(nd)):
                    pre_pad += [0, total[i] - 2 * padding[i]]
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        padding = _tuple(padding, nd)
    _validate_shapes(x if batched else input, weight, bias, stride, padding, dilation, transposed,
                     output_padding, groups, batched)
    if pre_pad is not None:
        x = constant_pad_nd(x, pad=tuple(pre_pad), value=0.0)
    out = convolution(x, weight, bias, stride=stride, padding=padding, dilation=dilation, transposed=transposed,
                      output_padding=output_padding, groups=groups)
    return out if batched else _shape.squeeze(out, 0)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv("conv_transpose1d", 1, input, weight, bias, stride, padding, dilation, groups, True,
                 output_padding)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv("conv_transpose2d", 2, input, weight, bias, stride, padding, dilation, groups, True,
                 output_padding)


def convolution_fn(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    nd = weight.dim() - 2
    return _conv("convolution", nd, input, weight, bias, stride, padding, dilation, groups, transposed,
                 output_padding)


# ====================================================================== im2col / col2im
def _im2col_forward(x, kernel_size, dilation, padding, stride):
    one = x.ndim == 3
    if one:
        x = x[None]
    N, C, H, W = x.shape
    k, d, p, s = kernel_size, dilation, padding, stride
    Ho = (H + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    Wo = (W + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    xp = _pad_array(x, p[0], p[0], p[1], p[1])
    out = _windows(xp, k, s, d, (Ho, Wo)).reshape(N, C * k[0] * k[1], Ho * Wo)
    return out[0] if one else out


def _col2im_forward(cols, output_size, kernel_size, dilation, padding, stride):
    one = cols.ndim == 2
    if one:
        cols = cols[None]
    N = cols.shape[0]
    k, d, p, s = kernel_size, dilation, padding, stride
    H, W = output_size
    Ho = (H + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    Wo = (W + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    C = cols.shape[1] // (k[0] * k[1])
    out = _col2im(cols.reshape(N, C, k[0], k[1], Ho, Wo), (H, W), k, s, p, d)
    out = np.ascontiguousarray(out)
    return out[0] if one else out


im2col = declare(
    "im2col", _im2col_forward, node="Im2ColBackward0", public=False,
    samples=[sample(T(2, 2, 4, 5), 2, call=_NF + "unfold"),
             sample(T(1, 2, 5, 5), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1), call=_NF + "unfold"),
             sample(T(2, 4, 4), 3, padding=1, stride=2, call=_NF + "unfold")],
    self=lambda grad, self_shape, kernel_size, dilation, padding, stride: col2im(
        grad, output_size=tuple(self_shape[-2:]), kernel_size=kernel_size, dilation=dilation, padding=padding,
        stride=stride))

col2im = declare(
    "col2im", _col2im_forward, node="Col2ImBackward0", public=False,
    samples=[sample(T(2, 8, 12), (4, 5), 2, call=_NF + "fold"),
             sample(T(1, 12, 9), (5, 5), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1), call=_NF + "fold"),
             sample(T(4, 6), (3, 4), (2, 2), call=_NF + "fold")],
    self=lambda grad, kernel_size, dilation, padding, stride: im2col(
        grad, kernel_size=kernel_size, dilation=dilation, padding=padding, stride=stride))


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    if input.dim() < 3:
        d = builtins.max(input.dim(), 1)
        raise IndexError(f"Dimension out of range (expected to be in range of [{-d}, {d - 1}], but got 2)")
    if input.dim() != 3 and input.dim() != 4:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {list(input.shape)}")
    k, d, p, s = (_tuple(v, 2) for v in (kernel_size, dilation, padding, stride))
    H, W = input.shape[-2:]
    if builtins.any(v <= 0 for v in k + d + s):
        raise RuntimeError("kernel size, dilation and stride should be greater than zero")
    Ho = (H + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    Wo = (W + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    if Ho < 1 or Wo < 1:
        raise RuntimeError(f"Given input with spatial size ({H}, {W}), kernel_size=({k[0]}, {k[1]}), "
                           f"dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), calculated shape of the array of "
                           f"sliding blocks as ({Ho}, {Wo}), but its components must be at least one.")
    return im2col(input, kernel_size=k, dilation=d, padding=p, stride=s)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    if input.dim() not in (2, 3):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {list(input.shape)}")
    o, k, d, p, s = (_tuple(v, 2) for v in (output_size, kernel_size, dilation, padding, stride))
    C = input.shape[-2]
    if C % (k[0] * k[1]):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
                           f"but got input.size(1)={C} and kernel_size=({k[0]}, {k[1]})")
    Ho = (o[0] + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    Wo = (o[1] + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    L = input.shape[-1]
    if L != Ho * Wo:
        raise RuntimeError(f"Given output_size=({o[0]}, {o[1]}), kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, "
                           f"{d[1]}), padding=({p[0]}, {p[1]}), stride=({s[0]}, {s[1]}), expected size of input's "
                           f"dimension 2 to match the calculated number of sliding blocks {Ho} * {Wo} = {Ho * Wo}, "
                           f"but got input.size(2)={L}.")
    return col2im(input, output_size=o, kernel_size=k, dilation=d, padding=p, stride=s)


# ====================================================================== pooling
def _pool_out(size, k, s, p, d, ceil_mode):
    num = size + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _check_pool(name, input, k, s, p, d, nd=2):
    if builtins.any(v <= 0 for v in k):
        raise RuntimeError(f"{name}(): kernel_size must be greater than zero, but got {k[0] if nd == 1 else k}"
                           if False else "kernel_size must be greater than zero")
    if builtins.any(v <= 0 for v in s):
        raise RuntimeError("stride should not be zero")
    if builtins.any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilation_height: {d[0]} "
                           f"dilation_width: {d[1]}")
    for i in range(2):
        if p[i] > (d[i] * (k[i] - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p[i]}, "
                               f"kernel_size={k[i]} and dilation={d[i]}")


def _max_pool_np(x, k, s, p, d, ceil_mode):
    N, C, H, W = x.shape
    Ho = _pool_out(H, k[0], s[0], p[0], d[0], ceil_mode)
    Wo = _pool_out(W, k[1], s[1], p[1], d[1], ceil_mode)
    eb = builtins.max(0, (Ho - 1) * s[0] + d[0] * (k[0] - 1) + 1 - H - 2 * p[0])
    er = builtins.max(0, (Wo - 1) * s[1] + d[1] * (k[1] - 1) + 1 - W - 2 * p[1])
    low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min if x.dtype.kind in "iu" else False
    xp = _pad_array(x, p[0], p[0] + eb, p[1], p[1] + er, low)
    # the maximum over the kernel positions (strided slices, no window copies), then
    # the first position holding it (as PyTorch: ties go to the first, the last NaN wins)
    he, we = s[0] * (Ho - 1) + 1, s[1] * (Wo - 1) + 1
    views = [xp[:, :, i * d[0]:i * d[0] + he:s[0], j * d[1]:j * d[1] + we:s[1]]
             for i in range(k[0]) for j in range(k[1])]
    out = views[0].copy()
    for v in views[1:]:
        np.maximum(out, v, out=out)
    nan = len(views) > 1 and x.dtype.kind == "f" and np.isnan(out).any()
    am = np.zeros(out.shape, np.int32)
    found = np.zeros(out.shape, bool)
    last = len(views) - 1
    for pos, v in enumerate(views[:-1] if last else views):
        eq = v == out
        if pos:
            eq &= ~found
        if pos:
            am += eq * np.int32(pos)
        if pos < last - 1:
            found |= eq
    if last:
        # whatever is still unassigned is at the last position
        if last > 1:
            found |= eq
        else:
            found = eq
        am += ~found * np.int32(last)
    if nan:
        # a NaN wins, the last one in the window (as PyTorch's scan)
        for pos, v in enumerate(views):
            am[v != v] = pos
    rows = (np.arange(Ho) * s[0])[:, None] + (am // k[1]) * d[0] - p[0]
    cols = (np.arange(Wo) * s[1]) + (am % k[1]) * d[1] - p[1]
    return out, (rows * W + cols).astype(np.int64)


def _max_pool2d_forward(x, kernel_size, stride, padding, dilation, ceil_mode):
    one = x.ndim == 3
    if one:
        x = x[None]
    out, idx = _max_pool_np(x, kernel_size, stride, padding, dilation, ceil_mode)
    return (out[0], idx[0]) if one else (out, idx)


def _pool_scatter_forward(grad, indices, shape, overlap=True):
    """Sum ``grad`` into zeros of ``shape`` at the flat spatial ``indices`` per plane
    (``overlap=False``: the windows do not overlap, so no index repeats)."""
    lead = int(np.prod(shape[:-2], dtype=np.int64))
    hw = shape[-2] * shape[-1]
    if lead == 0 or hw == 0:
        return np.zeros(shape, grad.dtype)
    flat = (indices.reshape(lead, -1) + (np.arange(lead, dtype=np.int64) * hw)[:, None]).ravel()
    g = grad.reshape(-1)
    if not overlap:
        out = np.zeros(lead * hw, grad.dtype)
        out[flat] = g
    else:
        out = np.bincount(flat, weights=g, minlength=lead * hw).astype(grad.dtype, copy=False)
    return out.reshape(shape)


def _pool_gather_forward(x, indices):
    lead = x.shape[:-2]
    if x.size == 0 or indices.size == 0:
        return np.zeros(indices.shape, x.dtype)
    flat = x.reshape(lead + (-1,))
    return np.take_along_axis(flat, indices.reshape(lead + (-1,)), -1).reshape(indices.shape)


# ``self`` is the pooled input: PyTorch's backward takes it (its derivative is zero), so
# a differentiable backward's result requires grad when the input does.
pool_scatter = declare(
    "_pool_scatter", lambda grad, self, indices, shape, overlap=True: _pool_scatter_forward(grad, indices, shape,
                                                                                            overlap),
    inputs=("grad", "self"), node="MaxPool2DWithIndicesBackwardBackward0", public=False,
    samples=[sample(T(1, 2, 2), None, indices=np.array([[[0, 0], [3, 1]]]), shape=(1, 2, 2), call="_pool_scatter"),
             sample(T(1, 2, 2), T(1, 2, 2), indices=np.array([[[0, 0], [3, 1]]]), shape=(1, 2, 2),
                    call="_pool_scatter")],
    grad=lambda grad, indices: pool_gather(grad, indices=indices),
    self=lambda grad, self_shape, self_dtype: zeros_grad(grad, self_shape, self_dtype))

pool_gather = declare(
    "_pool_gather", _pool_gather_forward, node="MaxPoolDoubleBackwardBackward0", public=False,
    samples=[sample(T(1, 2, 2), indices=np.array([[[0, 0], [3, 1]]]), call="_pool_gather")],
    self=lambda grad, self_shape, indices: pool_scatter(grad, None, indices=indices, shape=tuple(self_shape)))

_TIES = [[1.0, 1.0, 0.5, 0.5], [0.0, 1.0, 1.0, 0.5], [2.0, 2.0, 2.0, 2.0], [0.0, 0.0, 3.0, 3.0]]

max_pool2d_with_indices = declare(
    "max_pool2d_with_indices", _max_pool2d_forward, node="MaxPool2DWithIndicesBackward0", public=False,
    outputs=("result", "indices"),
    samples=[sample(T(2, 2, 4, 4), 2, call=_NF + "max_pool2d"),
             sample(T(1, 2, 5, 5), 3, 2, 1, call=_NF + "max_pool2d"),
             sample(T(1, 1, 6, 5), (2, 3), (1, 2), (1, 0), (2, 1), ceil_mode=True, return_indices=True,
                    call=_NF + "max_pool2d"),
             sample(T(1, 5, 5), 2, ceil_mode=True, call=_NF + "max_pool2d"),
             sample(T(1, 1, 4, 4, values=_TIES), 2, 1, call=_NF + "max_pool2d", smooth=False),
             sample(T(2, 3, 7), 3, 2, 1, call=_NF + "max_pool1d"),
             sample(T(2, 3, 7), 2, return_indices=True, ceil_mode=True, call=_NF + "max_pool1d"),
             sample(T(2, 4, 4, dtype="float32"), 2, call="max_pool2d"),
             sample(T(1, 6, 5), 2, dilation=2, call="max_pool1d"),
             sample(T(0, 2, 4, 4), 2, call=_NF + "max_pool2d")],
    self=lambda grad, self, indices, kernel_size, stride, dilation: pool_scatter(
        grad, self, indices=indices, shape=tuple(self.shape),
        overlap=builtins.any(s < d * (k - 1) + 1 for k, s, d in zip(kernel_size, stride, dilation))))


def _pool_args(nd, kernel_size, stride, padding, dilation):
    k = _tuple(kernel_size, nd)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else _tuple(stride, nd)
    return k, s, _tuple(padding, nd), _tuple(dilation, nd)


def _check_pool_output(input, k, s, p, d, ceil_mode):
    """PyTorch refuses a pooling whose output would be empty."""
    C, H, W = input.shape[-3:]
    Ho, Wo = (_pool_out(n, kk, ss, pp, dd, ceil_mode) for n, kk, ss, pp, dd in zip((H, W), k, s, p, d))
    if Ho < 1 or Wo < 1:
        raise RuntimeError(f"Given input size: ({C}x{H}x{W}). Calculated output size: ({C}x{Ho}x{Wo}). "
                           "Output size is too small")


def _check_pool_input(name, input, nd):
    if input.dim() not in (nd + 1, nd + 2):
        what = "2D or 3D" if nd == 1 else "3D or 4D"
        raise RuntimeError(f"non-empty {what} (batch mode) tensor expected for input")


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    k, s, p, d = _pool_args(2, kernel_size, stride, padding, dilation)
    _check_pool_input("max_pool2d", input, 2)
    _check_pool("max_pool2d", input, k, s, p, d)
    _check_pool_output(input, k, s, p, d, bool(ceil_mode))
    out, idx = max_pool2d_with_indices(input, kernel_size=k, stride=s, padding=p, dilation=d,
                                       ceil_mode=bool(ceil_mode))
    return (out, idx) if return_indices else out


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    k, s, p, d = _pool_args(1, kernel_size, stride, padding, dilation)
    if input.dim() not in (2, 3):
        raise RuntimeError(f"max_pool1d() Expected 2D or 3D input tensor, but got {list(input.shape)}")
    _check_pool("max_pool1d", input, (1,) + k, (1,) + s, (0,) + p, (1,) + d)
    L = _pool_out(input.shape[-1], k[0], s[0], p[0], d[0], bool(ceil_mode))
    if L < 1:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {L}")
    x = _shape.unsqueeze(input, -2)
    out, idx = max_pool2d_with_indices(x, kernel_size=(1,) + k, stride=(1,) + s, padding=(0,) + p,
                                       dilation=(1,) + d, ceil_mode=bool(ceil_mode))
    out = _shape.squeeze(out, -2)
    return (out, _shape.squeeze(idx, -2)) if return_indices else out


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices_fn(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                               return_indices=False):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# ---------------------------------------------------------------------- average pooling
def _avg_divisor(H, W, Ho, Wo, k, s, p, count_include_pad, divisor_override, dtype):
    if divisor_override:
        return dtype.type(divisor_override)
    out = []
    for size, n, kk, ss, pp in ((H, Ho, k[0], s[0], p[0]), (W, Wo, k[1], s[1], p[1])):
        start = np.arange(n) * ss - pp
        end = np.minimum(start + kk, size + pp)
        full = end - start
        start, end = np.maximum(start, 0), np.minimum(end, size)
        out.append(full if count_include_pad else end - start)
    return (out[0][:, None] * out[1][None, :]).astype(dtype)


def _avg_pool_geometry(shape, k, s, p, ceil_mode):
    H, W = shape[-2:]
    Ho = _pool_out(H, k[0], s[0], p[0], 1, ceil_mode)
    Wo = _pool_out(W, k[1], s[1], p[1], 1, ceil_mode)
    return H, W, Ho, Wo


def _avg_pool2d_forward(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    one = x.ndim == 3
    if one:
        x = x[None]
    k, s, p = kernel_size, stride, padding
    H, W, Ho, Wo = _avg_pool_geometry(x.shape, k, s, p, ceil_mode)
    eb = builtins.max(0, (Ho - 1) * s[0] + k[0] - H - 2 * p[0])
    er = builtins.max(0, (Wo - 1) * s[1] + k[1] - W - 2 * p[1])
    xp = _pad_array(x, p[0], p[0] + eb, p[1], p[1] + er)
    he, we = s[0] * (Ho - 1) + 1, s[1] * (Wo - 1) + 1
    acc = xp[:, :, 0:he:s[0], 0:we:s[1]].copy()
    for i in range(k[0]):
        for j in range(k[1]):
            if i or j:
                acc += xp[:, :, i:i + he:s[0], j:j + we:s[1]]
    if x.dtype.kind != "f":  # integers: C's truncating division, as PyTorch
        div = _avg_divisor(H, W, Ho, Wo, k, s, p, count_include_pad, divisor_override, np.dtype(np.int64))
        out = np.trunc(acc / div).astype(x.dtype)
    else:
        out = acc / _avg_divisor(H, W, Ho, Wo, k, s, p, count_include_pad, divisor_override, x.dtype)
    return out[0] if one else out


def _avg_pool2d_backward_forward(grad, shape, kernel_size, stride, padding, ceil_mode, count_include_pad,
                                 divisor_override):
    one = grad.ndim == 3
    if one:
        grad = grad[None]
        shape = (1,) + tuple(shape)
    k, s, p = kernel_size, stride, padding
    H, W, Ho, Wo = _avg_pool_geometry(shape, k, s, p, ceil_mode)
    g = grad / _avg_divisor(H, W, Ho, Wo, k, s, p, count_include_pad, divisor_override, grad.dtype)
    cols = np.broadcast_to(g[:, :, None, None], g.shape[:2] + (k[0], k[1]) + g.shape[2:])
    out = np.ascontiguousarray(_col2im(cols, (H, W), k, s, p, (1, 1)))
    return out[0] if one else out


_AVG = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override")

avg_pool2d_ = declare(
    "avg_pool2d", _avg_pool2d_forward, node="AvgPool2DBackward0", public=False,
    samples=[sample(T(2, 2, 4, 4), 2, call=_NF + "avg_pool2d"),
             sample(T(1, 2, 5, 5), 3, 2, 1, call=_NF + "avg_pool2d"),
             sample(T(1, 2, 5, 5), 3, 2, 1, count_include_pad=False, ceil_mode=True, call=_NF + "avg_pool2d"),
             sample(T(1, 1, 5, 6), (2, 3), (2, 1), (1, 0), ceil_mode=True, call=_NF + "avg_pool2d"),
             sample(T(1, 1, 4, 4), 2, 1, divisor_override=3, call=_NF + "avg_pool2d"),
             sample(T(2, 5, 5), 2, call=_NF + "avg_pool2d"),
             sample(T(2, 3, 7), 3, 2, 1, call=_NF + "avg_pool1d"),
             sample(T(2, 3, 7), 2, ceil_mode=True, count_include_pad=False, call="avg_pool1d"),
             sample(T(2, 3, 4, 4, dtype="float32"), 2, call=_NF + "avg_pool2d"),
             sample(T(0, 3, 4, 4), 2, call=_NF + "avg_pool2d")],
    self=lambda grad, self, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override:
    avg_pool2d_backward(grad, self, shape=tuple(self.shape), kernel_size=kernel_size, stride=stride, padding=padding,
                        ceil_mode=ceil_mode, count_include_pad=count_include_pad, divisor_override=divisor_override))

avg_pool2d_backward = declare(
    "_avg_pool2d_backward", lambda grad, self, **kw: _avg_pool2d_backward_forward(grad, **kw),
    inputs=("grad", "self"), node="AvgPool2DBackwardBackward0", public=False,
    samples=[sample(T(1, 2, 3, 3), T(1, 2, 5, 5), shape=(1, 2, 5, 5), kernel_size=(3, 3), stride=(2, 2), padding=(1, 1),
                    ceil_mode=False, count_include_pad=True, divisor_override=None, call="_avg_pool2d_backward")],
    self=lambda grad, self_shape, self_dtype: zeros_grad(grad, self_shape, self_dtype),
    grad=lambda grad, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override: avg_pool2d_(
        grad, kernel_size=kernel_size, stride=stride, padding=padding, ceil_mode=ceil_mode,
        count_include_pad=count_include_pad, divisor_override=divisor_override))


def _check_avg(k, s, p):
    if builtins.any(v <= 0 for v in k):
        raise RuntimeError("kernel_size must be greater than zero")
    if builtins.any(v <= 0 for v in s):
        raise RuntimeError("stride should not be zero")
    for i in range(len(k)):
        if p[i] > k[i] // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p[i]}, "
                               f"kernel_size={k[i]} and dilation=1")


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    k, s, p, _ = _pool_args(2, kernel_size, stride, padding, 1)
    _check_pool_input("avg_pool2d", input, 2)
    _check_avg(k, s, p)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    _check_pool_output(input, k, s, p, (1, 1), bool(ceil_mode))
    return avg_pool2d_(input, kernel_size=k, stride=s, padding=p, ceil_mode=bool(ceil_mode),
                       count_include_pad=bool(count_include_pad), divisor_override=divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    k, s, p, _ = _pool_args(1, kernel_size, stride, padding, 1)
    if input.dim() not in (2, 3):
        raise RuntimeError(f"avg_pool1d() Expected 2D or 3D input tensor, but got {list(input.shape)}")
    _check_avg(k, s, p)
    x = _shape.unsqueeze(input, -2)
    out = avg_pool2d_(x, kernel_size=(1,) + k, stride=(1,) + s, padding=(0,) + p, ceil_mode=bool(ceil_mode),
                      count_include_pad=bool(count_include_pad), divisor_override=None)
    return _shape.squeeze(out, -2)


# ---------------------------------------------------------------------- separable linear maps
def _sep_forward(x, mats):
    """``x`` mapped along its last ``len(mats)`` dims: a matrix (out, in) multiplies the
    dim, an int array gathers along it (exact, NaN-safe), None leaves it."""
    n = len(mats)
    for i, m in enumerate(mats):
        axis = x.ndim - n + i
        if m is None:
            continue
        if m.dtype.kind in "iu":
            x = np.take(x, m, axis=axis)
        elif axis == x.ndim - 1:
            x = np.matmul(x, m.T.astype(x.dtype, copy=False))
        else:
            x = np.moveaxis(np.matmul(np.moveaxis(x, axis, -1), m.T.astype(x.dtype, copy=False)), -1, axis)
    return np.ascontiguousarray(x)


def _adjoint(mats, shape):
    """The transposed maps (a gather becomes a one-hot scatter matrix)."""
    out = []
    n = len(mats)
    for i, m in enumerate(mats):
        if m is None:
            out.append(None)
        elif m.dtype.kind in "iu":
            size = shape[len(shape) - n + i]
            oh = np.zeros((size, m.size))
            oh[m, np.arange(m.size)] = 1.0
            out.append(oh)
        else:
            out.append(np.ascontiguousarray(m.T))
    return tuple(out)


separable = declare(
    "_separable", lambda x, dep, mats: _sep_forward(x, mats), inputs=("self", "dep"), node="SeparableBackward0",
    public=False,
    samples=[sample(T(1, 2, 3, 4), None, mats=(np.array([0, 0, 2]), np.arange(12.0).reshape(3, 4) / 7),
                    call="_separable"),
             sample(T(1, 2, 3), T(2), mats=(np.arange(6.0).reshape(2, 3) / 5,), call="_separable")],
    self=lambda grad, self_shape, mats: separable(grad, None, mats=_adjoint(mats, self_shape)),
    dep=lambda grad, dep_shape, dep_dtype: zeros_grad(grad, dep_shape, dep_dtype))


def _sep_op(name, node, samples, dep):
    """A separable linear map under PyTorch's name. ``dep``: PyTorch's backward takes the
    input too (so a differentiable backward's result requires grad when the input does)."""
    if dep:
        formula = lambda grad, self, mats: separable(grad, self, mats=_adjoint(mats, self.shape))  # noqa: E731
    else:
        formula = lambda grad, self_shape, mats: separable(grad, None, mats=_adjoint(mats, self_shape))  # noqa
    return declare(name, _sep_forward, node=node, public=False, samples=samples, self=formula)


# ---------------------------------------------------------------------- adaptive pooling
def _adaptive_starts(size, out):
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _adaptive_matrix(size, out):
    start, end = _adaptive_starts(size, out)
    m = np.zeros((out, size))
    for i in range(out):
        m[i, start[i]:end[i]] = 1.0 / (end[i] - start[i])
    return m


adaptive_avg_pool2d_ = _sep_op("adaptive_avg_pool2d", "AdaptiveAvgPool2DBackward0", [
    sample(T(2, 3, 5, 5), 3, call=_NF + "adaptive_avg_pool2d"),
    sample(T(1, 2, 7, 4), (3, None), call=_NF + "adaptive_avg_pool2d"),
    sample(T(2, 4, 4), (2, 5), call=_NF + "adaptive_avg_pool2d"),
    sample(T(2, 3, 7), 3, call=_NF + "adaptive_avg_pool1d"),
    sample(T(2, 3, 6, 6, dtype="float32"), 2, call=_NF + "adaptive_avg_pool2d"),
    sample(T(2, 3, 3, 4), 1, call=_NF + "adaptive_avg_pool2d"),
], dep=True)


def _adaptive_size(output_size, shape, nd):
    out = _tuple(output_size, nd) if not isinstance(output_size, (list, tuple)) else tuple(output_size)
    if len(out) == 1 and nd == 2:
        out = out * 2
    return tuple(shape[-nd + i] if o is None else int(o) for i, o in enumerate(out))


def adaptive_avg_pool2d(input, output_size):
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    oh, ow = _adaptive_size(output_size, input.shape, 2)
    H, W = input.shape[-2:]
    if oh == ow == 1:
        from .reduction import mean
        return mean(input, (-1, -2), True)  # as PyTorch: a global average is a mean
    return adaptive_avg_pool2d_(input, mats=(constant(_adaptive_matrix(H, oh)), constant(_adaptive_matrix(W, ow))))


def adaptive_avg_pool1d(input, output_size):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"adaptive_avg_pool1d() Expected 2D or 3D input tensor, but got {list(input.shape)}")
    (o,) = _tuple(output_size, 1)
    x = _shape.unsqueeze(input, -2)
    out = adaptive_avg_pool2d_(x, mats=(None, constant(_adaptive_matrix(input.shape[-1], o))))
    return _shape.squeeze(out, -2)


def _adaptive_max_forward(x, output_size):
    one = x.ndim == 3
    if one:
        x = x[None]
    N, C, H, W = x.shape
    oh, ow = output_size
    hs, he = _adaptive_starts(H, oh)
    ws, we = _adaptive_starts(W, ow)
    out = np.empty((N, C, oh, ow), x.dtype)
    idx = np.empty((N, C, oh, ow), np.int64)
    for i in range(oh):
        for j in range(ow):
            win = x[:, :, hs[i]:he[i], ws[j]:we[j]]
            kw = we[j] - ws[j]
            flat = win.reshape(N, C, -1)
            a = np.argmax(flat, axis=-1)
            out[:, :, i, j] = np.take_along_axis(flat, a[..., None], -1)[..., 0]
            idx[:, :, i, j] = (hs[i] + a // kw) * W + ws[j] + a % kw
    return (out[0], idx[0]) if one else (out, idx)


adaptive_max_pool2d_ = declare(
    "adaptive_max_pool2d", _adaptive_max_forward, node="AdaptiveMaxPool2DBackward0", public=False,
    outputs=("result", "indices"),
    samples=[sample(T(2, 2, 5, 5), 3, call=_NF + "adaptive_max_pool2d"),
             sample(T(1, 2, 7, 4), (3, None), return_indices=True, call=_NF + "adaptive_max_pool2d"),
             sample(T(2, 4, 4), 2, call=_NF + "adaptive_max_pool2d"),
             sample(T(2, 3, 7), 3, call=_NF + "adaptive_max_pool1d"),
             sample(T(2, 3, 7), 3, return_indices=True, call=_NF + "adaptive_max_pool1d")],
    self=lambda grad, self, indices: pool_scatter(grad, self, indices=indices, shape=tuple(self.shape)))


def adaptive_max_pool2d(input, output_size, return_indices=False):
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: {list(input.shape)}")
    out, idx = adaptive_max_pool2d_(input, output_size=_adaptive_size(output_size, input.shape, 2))
    return (out, idx) if return_indices else out


def adaptive_max_pool1d(input, output_size, return_indices=False):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"adaptive_max_pool1d() Expected 2D or 3D input tensor, but got {list(input.shape)}")
    (o,) = _tuple(output_size, 1)
    x = _shape.unsqueeze(input, -2)
    out, idx = adaptive_max_pool2d_(x, output_size=(1, o))
    out = _shape.squeeze(out, -2)
    return (out, _shape.squeeze(idx, -2)) if return_indices else out


# ====================================================================== padding
def _constant_pad_forward(x, pad, value):
    n = len(pad) // 2
    nd = x.ndim
    shape = list(x.shape)
    src = [builtins.slice(None)] * nd
    dst = [builtins.slice(None)] * nd
    for i in range(n):
        dim = nd - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        size = x.shape[dim]
        new = size + lo + hi
        shape[dim] = new
        src[dim] = builtins.slice(builtins.max(-lo, 0), size - builtins.max(-hi, 0))
        dst[dim] = builtins.slice(builtins.max(lo, 0), new - builtins.max(hi, 0))
    out = np.full(shape, value, x.dtype) if value != 0 else np.zeros(shape, x.dtype)
    out[tuple(dst)] = x[tuple(src)]
    return out


constant_pad_nd = declare(
    "constant_pad_nd", _constant_pad_forward, node="ConstantPadNdBackward0", public=False,
    samples=[sample(T(2, 3), (1, 2), call=_NF + "pad"),
             sample(T(2, 3, 4), (1, 0, 2, 1), value=2.5, call=_NF + "pad"),
             sample(T(2, 3, 4), (-1, 1, 0, -2), call=_NF + "pad"),
             sample(T(2, 3, 4), (1, 1, 1, 1, 1, 1), call=_NF + "pad"),
             sample(T(2, 3), (1, 2), call="constant_pad_nd")],
    self=lambda grad, pad: constant_pad_nd(grad, pad=tuple(-p for p in pad), value=0))


def _reflect_index(size, lo, hi):
    idx = np.arange(-lo, size + hi)
    period = 2 * (size - 1)
    if period == 0:
        return np.zeros_like(idx)
    idx = np.abs(idx) % period
    return np.where(idx >= size, period - idx, idx)


def _replicate_index(size, lo, hi):
    return np.clip(np.arange(-lo, size + hi), 0, size - 1)


def _circular_index(size, lo, hi):
    return np.arange(-lo, size + hi) % size


_PAD_SAMPLES = {
    "reflect": [sample(T(2, 3, 5), (2, 1), mode="reflect", call=_NF + "pad"),
                sample(T(1, 2, 4, 5), (1, 2, 3, 0), mode="reflect", call=_NF + "pad"),
                sample(T(2, 4, 4), (1, 1, 2, 2), mode="reflect", call=_NF + "pad"),
                sample(T(1, 2, 3, 4, 5), (1, 2, 1, 0, 2, 1), mode="reflect", call=_NF + "pad"),
                sample(T(2, 3, 3, 4), (2, 0, 1, 1, 0, 2), mode="reflect", call=_NF + "pad")],
    "replicate": [sample(T(2, 3, 4), (2, 3), mode="replicate", call=_NF + "pad"),
                  sample(T(1, 2, 3, 4), (1, 2, 3, 0), mode="replicate", call=_NF + "pad"),
                  sample(T(1, 2, 3, 4, 2), (1, 2, 3, 0, 1, 1), mode="replicate", call=_NF + "pad")],
    "circular": [sample(T(2, 3, 4), (2, 1), mode="circular", call=_NF + "pad"),
                 sample(T(1, 2, 3, 4), (1, 2, 3, 0), mode="circular", call=_NF + "pad"),
                 sample(T(1, 2, 3, 4, 5), (1, 2, 1, 0, 2, 1), mode="circular", call=_NF + "pad")],
}
_PAD_OPS = {}
for _mode, _title in (("reflect", "Reflection"), ("replicate", "Replication")):
    for _nd in (1, 2, 3):
        _PAD_OPS[_mode, _nd] = _sep_op(f"{_mode}ion_pad{_nd}d" if _mode == "reflect" else f"replication_pad{_nd}d",
                                       f"{_title}Pad{_nd}DBackward0",
                                       [s for s in _PAD_SAMPLES[_mode] if len(s.args[1]) == 2 * _nd], dep=True)
_PAD_OPS["circular"] = _sep_op("_pad_circular", "CopySlices", _PAD_SAMPLES["circular"], dep=False)
REGISTRY["_pad_circular"].node_cls._cname = "torch::autograd::CopySlices"
_PAD_INDEX = {"reflect": _reflect_index, "replicate": _replicate_index, "circular": _circular_index}


def pad(input, pad, mode="constant", value=None):
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input.dim()}")
    if mode == "constant":
        return constant_pad_nd(input, pad=pad, value=0.0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    if mode not in _PAD_INDEX:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    n = len(pad) // 2
    if n not in (1, 2, 3) or input.dim() not in (n + 1, n + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.dim()}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    mats = []
    for i in range(n):
        dim = input.dim() - n + i
        lo, hi = pad[2 * (n - 1 - i)], pad[2 * (n - 1 - i) + 1]
        size = input.shape[dim]
        if mode == "reflect" and (lo >= size or hi >= size):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, "
                               f"but got: padding ({lo}, {hi}) at dimension {dim} of input {list(input.shape)}")
        if mode == "circular" and (lo > size or hi > size):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        mats.append(_PAD_INDEX[mode](size, lo, hi))
    op = _PAD_OPS["circular"] if mode == "circular" else _PAD_OPS[mode, n]
    return op(input, mats=tuple(constant(m) for m in mats))


# ====================================================================== interpolation
def _nearest_index(in_size, out_size, scale):
    s = in_size / out_size if scale is None else 1.0 / scale
    src = np.floor(np.arange(out_size, dtype=np.float32) * np.float32(s)).astype(np.int64)
    return np.minimum(src, in_size - 1)


def _nearest_exact_index(in_size, out_size, scale):
    s = in_size / out_size if scale is None else 1.0 / scale
    src = np.floor((np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * np.float32(s)).astype(np.int64)
    return np.minimum(src, in_size - 1)


def _linear_matrix(in_size, out_size, align_corners, scale):
    if align_corners:
        s = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
        src = np.arange(out_size) * s
    else:
        s = in_size / out_size if scale is None else 1.0 / scale
        src = np.maximum((np.arange(out_size) + 0.5) * s - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    i1 = np.minimum(i0 + 1, in_size - 1)
    lam = src - i0
    m = np.zeros((out_size, in_size))
    r = np.arange(out_size)
    np.add.at(m, (r, i0), 1.0 - lam)
    np.add.at(m, (r, i1), lam)
    return m


_INTERP_OPS = {
    ("nearest", 1): _sep_op("upsample_nearest1d", "UpsampleNearest1DBackward0", [
        sample(T(2, 3, 4), scale_factor=2, call=_NF + "interpolate"),
        sample(T(1, 2, 5), size=3, call=_NF + "interpolate")], dep=False),
    ("nearest", 2): _sep_op("upsample_nearest2d", "UpsampleNearest2DBackward0", [
        sample(T(1, 2, 3, 3), scale_factor=2, call=_NF + "interpolate"),
        sample(T(1, 2, 5, 4), size=(3, 7), call=_NF + "interpolate"),
        sample(T(1, 2, 4, 4), scale_factor=(1.5, 0.5), call=_NF + "interpolate")], dep=False),
    ("nearest-exact", 1): _sep_op("_upsample_nearest_exact1d", "UpsampleNearestExact1DBackward0", [
        sample(T(2, 3, 4), size=7, mode="nearest-exact", call=_NF + "interpolate")], dep=False),
    ("nearest-exact", 2): _sep_op("_upsample_nearest_exact2d", "UpsampleNearestExact2DBackward0", [
        sample(T(1, 2, 4, 4), size=(3, 7), mode="nearest-exact", call=_NF + "interpolate"),
        sample(T(1, 2, 4, 4), scale_factor=1.5, mode="nearest-exact", call=_NF + "interpolate")], dep=False),
    ("linear", 1): _sep_op("upsample_linear1d", "UpsampleLinear1DBackward0", [
        sample(T(2, 3, 4), scale_factor=2, mode="linear", call=_NF + "interpolate"),
        sample(T(1, 2, 5), size=8, mode="linear", align_corners=True, call=_NF + "interpolate")], dep=False),
    ("bilinear", 2): _sep_op("upsample_bilinear2d", "UpsampleBilinear2DBackward0", [
        sample(T(1, 2, 3, 3), scale_factor=2, mode="bilinear", call=_NF + "interpolate"),
        sample(T(1, 2, 5, 4), size=(3, 7), mode="bilinear", align_corners=True, call=_NF + "interpolate"),
        sample(T(1, 2, 4, 5), size=(6, 3), mode="bilinear", call=_NF + "interpolate"),
        sample(T(1, 1, 4, 4), scale_factor=1.7, mode="bilinear", call=_NF + "interpolate")], dep=False),
}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    nd = input.dim() - 2
    if mode in ("nearest", "area", "nearest-exact") and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if size is not None:
        out = _tuple(size, nd)
        if len(out) != nd:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {list(input.shape[2:])} and output size of {list(out)}. Please "
                             "provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, "
                             "...,oK) format.")
        scales = (None,) * nd
    else:
        sf = tuple(float(v) for v in scale_factor) if isinstance(scale_factor, (list, tuple)) else \
            (float(scale_factor),) * nd
        if len(sf) != nd:
            raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got input "
                             f"with spatial dimensions of {list(input.shape[2:])} and scale_factor of shape "
                             f"{list(scale_factor)}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                             "and scale_factor in (s1, s2, ...,sK) format.")
        out = tuple(int(math.floor(input.shape[2 + i] * sf[i])) for i in range(nd))
        scales = (None,) * nd if recompute_scale_factor else sf
    key = (mode, nd)
    if mode == "area" and nd in (1, 2):
        return (adaptive_avg_pool1d if nd == 1 else adaptive_avg_pool2d)(input, out)
    if key not in _INTERP_OPS:
        if mode in ("linear", "bilinear", "nearest") :
            need = {"linear": "3D", "bilinear": "4D"}.get(mode)
            raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {need} input")
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) "
                                  f"for the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
                                  f"nearest-exact (got {mode})")
    if mode == "nearest-exact":
        mats = tuple(_nearest_exact_index(input.shape[2 + i], out[i], scales[i]) for i in range(nd))
    elif mode == "nearest":
        mats = tuple(_nearest_index(input.shape[2 + i], out[i], scales[i]) for i in range(nd))
    else:
        ac = bool(align_corners)
        mats = tuple(_linear_matrix(input.shape[2 + i], out[i], ac, None if ac else scales[i]) for i in range(nd))
    return _INTERP_OPS[key](input, mats=tuple(constant(m) for m in mats))


# ====================================================================== install
FUNCTIONS.update({
    _NF + "conv1d": conv1d, _NF + "conv2d": conv2d, _NF + "conv_transpose1d": conv_transpose1d,
    _NF + "conv_transpose2d": conv_transpose2d, _NF + "unfold": unfold, _NF + "fold": fold,
    _NF + "max_pool1d": max_pool1d, _NF + "max_pool2d": max_pool2d,
    _NF + "max_pool1d_with_indices": max_pool1d_with_indices,
    _NF + "max_pool2d_with_indices": max_pool2d_with_indices_fn,
    _NF + "avg_pool1d": avg_pool1d, _NF + "avg_pool2d": avg_pool2d,
    _NF + "adaptive_avg_pool1d": adaptive_avg_pool1d, _NF + "adaptive_avg_pool2d": adaptive_avg_pool2d,
    _NF + "adaptive_max_pool1d": adaptive_max_pool1d, _NF + "adaptive_max_pool2d": adaptive_max_pool2d,
    _NF + "pad": pad, _NF + "interpolate": interpolate,
    "conv1d": conv1d, "conv2d": conv2d, "conv_transpose1d": conv_transpose1d, "conv_transpose2d": conv_transpose2d,
    "convolution": convolution_fn, "max_pool1d": max_pool1d, "max_pool2d": max_pool2d,
    "max_pool1d_with_indices": max_pool1d_with_indices, "avg_pool1d": avg_pool1d,
    "adaptive_avg_pool1d": adaptive_avg_pool1d,
    "adaptive_max_pool1d": lambda input, output_size: adaptive_max_pool1d(input, output_size, True),
    "constant_pad_nd": lambda input, pad, value=0: constant_pad_nd(input, pad=tuple(pad), value=value),
    "_conv_weight": conv_weight, "_pool_scatter": pool_scatter, "_pool_gather": pool_gather,
    "_avg_pool2d_backward": avg_pool2d_backward, "_separable": separable, "_dep_sum": dep_sum,
})
adaptive_avg_pool2d_.spec.samples += [sample(T(1, 2, 5, 4), size=3, mode="area", call=_NF + "interpolate"),
                                      sample(T(2, 3, 7), scale_factor=0.5, mode="area", call=_NF + "interpolate")]
