"""Convolution, pooling, unpooling, im2col/col2im, padding and resampling (torch.nn.functional).

Convolution and pooling work on 1-D, 2-D and 3-D maps with one set of NumPy kernels
written for any number of spatial dims (a 1-D convolution or pooling runs as a 2-D one
of height 1, as PyTorch's does). A convolution is one im2col (strided windows, one copy)
and one batched matmul; its adjoint scatters columns back with one strided-slice
addition per kernel position (no ``np.add.at``).

Derivative formulas are written with declared ops only, so they are differentiable:
the input gradient of a convolution is a transposed convolution (and vice versa), the
weight gradient is ``_conv_weight`` whose own derivatives are convolutions; pooling
and resampling ops come in adjoint pairs (``_pool_scatter``/``_pool_scatter3d`` /
``_pool_gather``, ``avg_pool<n>d`` / ``_avg_pool<n>d_backward``, ``im2col`` / ``col2im``;
max unpooling is a scatter whose adjoint is the gather) and the linear resamplings
(adaptive average pooling, interpolation, reflection/replication/circular padding) are
separable maps ``x -> Mh @ x @ Mw^T`` whose adjoint is the same op with the transposed
matrices.
"""
import builtins
import functools
import itertools
import math
import operator

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._declare import constant, declare, FUNCTIONS, REGISTRY
from ._samples import T, sample
from .._tensor import _C_TYPE_NAMES as _C_NAMES
from .._tensor import Tensor, _LEGACY_NAMES, wrap
from . import shape as _shape

_NF = "nn.functional."
_ALL = builtins.slice(None)


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


def _pad_array(x, lo, hi, value=0.0):
    """Pad the spatial dims (all after N, C) of an array: ``lo[i]`` before and ``hi[i]``
    after dim ``2 + i`` (non-negative amounts)."""
    if not (builtins.any(lo) or builtins.any(hi)):
        return x
    sp = x.shape[2:]
    out = np.empty(x.shape[:2] + tuple([n + a + b for n, a, b in zip(sp, lo, hi)]), x.dtype)
    lead = (_ALL, _ALL)
    for n, a, b in zip(sp, lo, hi):
        if a:
            out[lead + (builtins.slice(0, a),)] = value
        if b:
            out[lead + (builtins.slice(a + n, None),)] = value
        lead += (_ALL,)
    out[(_ALL, _ALL) + tuple([builtins.slice(a, a + n) for n, a in zip(sp, lo)])] = x
    return out


def _windows(xp, k, s, d, out):
    """Strided view (N, C, *k, *out) of the windows of a padded (N, C, *spatial) array."""
    st = xp.strides
    sp = st[2:]
    shape = xp.shape[:2] + tuple(k) + tuple(out)
    strides = st[:2] + tuple(map(operator.mul, sp, d)) + tuple(map(operator.mul, sp, s))
    if xp.flags.c_contiguous:
        # the view made directly on the array's buffer: a fifth of as_strided's overhead
        v = np.ndarray(shape, xp.dtype, xp, 0, strides)
        v.flags.writeable = False
        return v
    return as_strided(xp, shape, strides, writeable=False)


@functools.lru_cache(maxsize=512)
def _taps(k, s, d, out):
    """For each kernel position (row-major): the index of its column block in a (N, C, *k,
    ...) array and the strided slices of a padded (N, C, *spatial) map that the windows'
    elements at that position occupy. Cached: the same geometry recurs every step."""
    per = [[builtins.slice(j * d[i], j * d[i] + s[i] * (out[i] - 1) + 1, s[i]) for j in range(k[i])]
           for i in range(len(k))]
    return tuple(((_ALL, _ALL) + pos, (_ALL, _ALL) + sl)
                 for pos, sl in zip(itertools.product(*[range(n) for n in k]), itertools.product(*per)))


def _col2im(cols, size, k, s, p, d):
    """Adjoint of the windows: ``cols`` (N, C, *k, *out) summed into a (N, C, *size) map
    (padding ``p`` cropped), one strided-slice addition per kernel position."""
    nd = len(k)
    out = cols.shape[2 + nd:]
    padded = tuple(builtins.max(size[i] + 2 * p[i], (out[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1) for i in range(nd))
    buf = np.zeros(cols.shape[:2] + padded, cols.dtype)
    for pos, sl in _taps(tuple(k), tuple(s), tuple(d), tuple(out)):
        buf[sl] += cols[pos]
    return buf[(_ALL, _ALL) + tuple([builtins.slice(p[i], p[i] + size[i]) for i in range(nd)])]


def zeros_grad(like, shape, dtype):
    """A zero gradient (an array, or a Tensor in a differentiable backward). Formulas do
    not return None: the engine would then never run the nodes behind that edge."""
    z = np.zeros(shape, dtype)
    return wrap(z) if isinstance(like, Tensor) else z


def _dtype_name(a):
    return _LEGACY_NAMES.get(a.dtype.name, a.dtype.name)


# ====================================================================== convolution
_prod = math.prod


def _conv_np(x, w, stride, padding, dilation, groups):
    """Cross-correlation of (N, C, *spatial) arrays: one im2col copy and one matmul."""
    N = x.shape[0]
    O, Cg = w.shape[:2]
    k = w.shape[2:]
    g = groups
    out = tuple([(n + 2 * p - d * (kk - 1) - 1) // s + 1
                 for n, kk, s, p, d in zip(x.shape[2:], k, stride, padding, dilation)])
    kn = _prod(k)
    K = Cg * kn
    L = _prod(out)
    if kn == 1 and not builtins.any(padding) and builtins.max(stride) == 1:
        cols = x.reshape(N, g, K, L)
    else:
        xp = _pad_array(x, padding, padding)
        cols = _windows(xp, k, stride, dilation, out).reshape(N, g, K, L)
    if g == 1:
        y = np.matmul(w.reshape(O, K), cols[:, 0])
    else:
        y = np.matmul(w.reshape(g, O // g, K), cols)
    return y.reshape((N, O) + out)


@functools.lru_cache(maxsize=512)
def _shift_offsets(k, dilation, full):
    """The flat offsets of the kernel positions (row-major) in a map of size ``full``."""
    offs = [0]
    for i in range(len(k)):
        step = _prod(full[i + 1:]) * dilation[i]
        offs = [o + j * step for o in offs for j in range(k[i])]
    return offs


def _conv_t_np(x, w, stride, padding, output_padding, dilation, groups):
    """Transposed convolution (the adjoint of ``_conv_np`` in x): one matmul to columns,
    then the columns summed into place."""
    N, Ci = x.shape[:2]
    sp = x.shape[2:]
    Og = w.shape[1]
    k = w.shape[2:]
    g = groups
    Cg = Ci // g
    kn = _prod(k)
    K = Og * kn
    out = tuple([(n - 1) * s - 2 * p + d * (kk - 1) + op + 1
                 for n, kk, s, p, d, op in zip(sp, k, stride, padding, dilation, output_padding)])
    pointwise = kn == 1 and not builtins.any(padding) and not builtins.any(output_padding)
    unit = builtins.max(stride) == 1
    flat = unit and not pointwise
    if flat:
        # Stride 1: lay the input out at the size of the padded output in every spatial dim
        # but the first, so that each kernel position adds one contiguous shifted run of the
        # columns.
        full = tuple([o + 2 * p for o, p in zip(out, padding)])
        lay = sp[:1] + full[1:]
        if lay != sp:
            xw = np.zeros((N, Ci) + lay, x.dtype)
            xw[(_ALL, _ALL) + tuple([builtins.slice(0, n) for n in sp])] = x
            x = xw
        sp = lay
    n = _prod(sp)
    if g == 1:
        cols = np.matmul(w.reshape(Ci, K).T, x.reshape(N, Ci, n))
    else:
        cols = np.matmul(np.swapaxes(w.reshape(g, Cg, K), 1, 2), x.reshape(N, g, Cg, n))
    if flat:
        cols = cols.reshape(N, g * Og, kn, n)
        inner = _prod(full[1:])
        buf = np.zeros((N, g * Og, (full[0] + 1) * inner), x.dtype)
        for t, off in enumerate(_shift_offsets(tuple(k), tuple(dilation), full)):
            buf[:, :, off:off + n] += cols[:, :, t]
        o = buf[:, :, :full[0] * inner].reshape((N, g * Og) + full)
        return o[(_ALL, _ALL) + tuple([builtins.slice(p, p + v) for p, v in zip(padding, out)])]
    cols = cols.reshape((N, g * Og) + k + sp)
    if pointwise and unit:
        return cols.reshape((N, g * Og) + sp)
    return _col2im(cols, out, k, stride, padding, dilation)


def _conv_weight_np(x, gy, kernel, stride, padding, dilation, groups):
    """d(conv)/d(weight) applied to ``gy``: correlate the input windows with the output
    gradient, summed over the batch and positions."""
    N, C = x.shape[:2]
    O = gy.shape[1]
    out = gy.shape[2:]
    g = groups
    Cg, Og = C // g, O // g
    K = Cg * _prod(kernel)
    L = _prod(out)
    xp = _pad_array(x, padding, padding)
    cols = _windows(xp, kernel, stride, dilation, out).reshape(N, g, K, L)
    gy = gy.reshape(N, g, Og, L)
    # one batched matmul (BLAS reads the transposed columns in place), then a small sum
    res = np.matmul(gy, np.swapaxes(cols, 2, 3)).sum(0)
    return res.reshape((O, Cg) + tuple(kernel))


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
        y = y + b.reshape((1, -1) + (1,) * (y.ndim - 2))
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


def _crop(out, shape):
    """A convolution's result cut to the spatial size of ``shape``: after an output padding
    of a stride or more (allowed below the dilation), the adjoint's positions past that
    size belong to no element."""
    size = tuple(shape[2:])
    if tuple(out.shape[2:]) == size:
        return out
    return out[(_ALL, _ALL) + tuple(builtins.slice(0, n) for n in size)]


def _conv_input_grad(grad, weight, input_shape, stride, padding, dilation, transposed, groups):
    kernel = tuple(weight.shape[2:])
    zeros = (0,) * len(stride)
    if transposed:
        return _crop(convolution(grad, weight, None, stride=stride, padding=padding, dilation=dilation,
                                 transposed=False, output_padding=zeros, groups=groups), input_shape)
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
    sample(T(1, 2, 4), T(2, 2, 2), dilation=3, output_padding=2, call=_NF + "conv_transpose1d"),
    sample(T(1, 2, 3, 3, 3), T(2, 2, 2, 2, 2), T(2), call=_NF + "conv3d"),
    sample(T(2, 3, 3, 4), T(2, 2, 2, 1, 2), stride=(1, 2, 1), padding=1, call="conv3d"),
    sample(T(1, 4, 4, 3, 3), T(2, 2, 2, 1, 2), None, 1, (1, 0, 1), 2, 2, call=_NF + "conv3d"),
    sample(T(1, 2, 3, 3, 4), T(2, 2, 2, 3, 2), padding="same", call=_NF + "conv3d"),
    sample(T(1, 2, 2, 3, 3, dtype="float32"), T(2, 2, 1, 2, 2, dtype="float32"), T(2, dtype="float32"),
           padding="valid", call=_NF + "conv3d"),
    sample(T(1, 2, 2, 3, 2), T(2, 3, 2, 2, 2), T(3), stride=2, padding=1, output_padding=1,
           call=_NF + "conv_transpose3d"),
    sample(T(4, 2, 2, 2), T(4, 1, 2, 1, 2), None, (1, 2, 1), 0, 0, 2, 2, call="conv_transpose3d"),
    sample(T(1, 2, 2, 2, 2), T(2, 2, 1, 2, 1), call=_NF + "conv_transpose3d"),
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
    grad_output=lambda grad, input, grad_output_shape, stride, padding, dilation, groups: _crop(convolution(
        input, grad, None, stride=stride, padding=padding, dilation=dilation, transposed=False,
        output_padding=(0,) * len(stride), groups=groups), grad_output_shape))


def _check_conv(name, input, weight, bias, nd, transposed, groups):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}() received an invalid combination of arguments - got ({type(input).__name__}, ...)")
    dim = input.dim()
    if name != "convolution" and dim not in (nd + 1, nd + 2):
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


def _validate_shapes(x, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    """PyTorch's checks of a convolution's (batched) input ``x`` against its weight."""
    shape = tuple(x.shape)
    ws = tuple(weight.shape)
    show = list(shape)  # as PyTorch: an unbatched input shows with its batch of 1
    if builtins.any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if builtins.any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if builtins.any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if builtins.any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if len(shape) != len(ws):
        raise RuntimeError(f"Expected {len(ws)}-dimensional input for {len(ws)}-dimensional weight {list(ws)}, but got "
                           f"{len(shape)}-dimensional input of size {show} instead")
    if ws[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but got "
                           f"weight of size {list(ws)} instead")
    if ws[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size {list(ws)} instead")
    if not transposed:
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
        for i in range(len(stride)):
            if output_padding[i] >= stride[i] and output_padding[i] >= dilation[i]:
                names = ("depth", "height", "width")[3 - len(stride):]
                raise RuntimeError(
                    "output padding must be smaller than either stride or dilation, but got "
                    + " ".join(f"output_padding_{n}: {output_padding[j]}" for j, n in enumerate(names)) + " "
                    + " ".join(f"stride_{n}: {stride[j]}" for j, n in enumerate(names)) + " "
                    + " ".join(f"dilation_{n}: {dilation[j]}" for j, n in enumerate(names)))
        n_out = ws[1] * groups
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != n_out):
        raise RuntimeError(f"Given weight of size {list(ws)}, expected bias to be 1-dimensional with {n_out} "
                           f"elements, but got bias of size {list(bias.shape)} instead")


def _listed(v, nd):
    """A size argument as PyTorch's parser passes it on: a number for every one of the
    ``nd`` dims, a sequence as it is."""
    if isinstance(v, Tensor):
        v = v.tolist()
    return tuple(map(int, v)) if isinstance(v, (list, tuple)) else (int(v),) * nd


def _conv(name, nd, input, weight, bias, stride, padding, dilation, groups, transposed=False, output_padding=0):
    """The functional convolutions' argument handling, in PyTorch's order of checks; ``nd``
    is the function's number of spatial dims (the weight's for ``torch.convolution``)."""
    _check_conv(name, input, weight, bias, nd, transposed, groups)
    k = weight.dim() - 2
    stride = _listed(stride, nd)
    dilation = _listed(dilation, nd)
    batched = name == "convolution" or input.dim() == nd + 2
    x = input if batched else _shape.unsqueeze(input, 0)
    pre_pad = None
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0,)
        elif padding == "same":
            if x.dim() != weight.dim():
                raise RuntimeError(f"Expected {k + 2}-dimensional input for {k + 2}-dimensional weight"
                                   f"{list(weight.shape)}, but got {x.dim()}-dimensional input of size "
                                   f"{list(x.shape)} instead")
            for what, v in (("stride", stride), ("dilation", dilation)):
                if len(v) not in (1, k):
                    raise RuntimeError(f"{what} cannot broadcast to {k} dimensions")
            stride, dilation = (v * k if len(v) == 1 else v for v in (stride, dilation))
            if builtins.any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            total = [dilation[i] * (weight.shape[2 + i] - 1) for i in range(k)]
            padding = tuple(t // 2 for t in total)
            if builtins.any(t % 2 for t in total):
                import warnings
                warnings.warn("Using padding='same' with even kernel lengths and odd dilation may require a "
                              "zero-padded copy of the input be created", UserWarning, stacklevel=3)
                pre_pad = []
                for i in reversed(range(k)):
                    pre_pad += [0, total[i] - 2 * padding[i]]
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        padding = _listed(padding, nd)
    output_padding = _listed(output_padding, nd)
    if not len(stride) == len(padding) == len(dilation) == len(output_padding) == k:
        sizes = []
        for what, v in (("stride", stride), ("padding", padding), ("dilation", dilation),
                        ("output_padding", output_padding)):
            if len(v) == 1:
                v = v * k
            elif len(v) != k:
                raise RuntimeError(f"expected {what} to be a single integer value or a list of {k} values to match "
                                   f"the convolution dimensions, but got {what}={list(v)}")
            sizes.append(v)
        stride, padding, dilation, output_padding = sizes
    _validate_shapes(x, weight, bias, stride, padding, dilation, transposed, output_padding, groups)
    if pre_pad is not None:
        x = constant_pad_nd(x, pad=tuple(pre_pad), value=0.0)
    out = convolution(x, weight, bias, stride=stride, padding=padding, dilation=dilation, transposed=transposed,
                      output_padding=output_padding, groups=groups)
    return out if batched else _shape.squeeze(out, 0)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv("conv_transpose1d", 1, input, weight, bias, stride, padding, dilation, groups, True,
                 output_padding)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv("conv_transpose2d", 2, input, weight, bias, stride, padding, dilation, groups, True,
                 output_padding)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv("conv_transpose3d", 3, input, weight, bias, stride, padding, dilation, groups, True,
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
    xp = _pad_array(x, p, p)
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


_DIM_NAMES = {2: ("H", "W"), 3: ("T", "H", "W")}


def _check_pool(input, k, s, p, d, ceil_mode, avg=False):
    """PyTorch's checks of a 2-D or 3-D pooling's arguments and output size, in its order
    (``avg``: a 3-D average pooling also wants the unpadded input to hold the kernel)."""
    nd = len(k)
    for kk, ss, pp, dd in zip(k, s, p, d):
        if ss <= 0 or pp < 0 or kk <= 0 or dd <= 0 or pp > (dd * (kk - 1) + 1) // 2:
            _pool_argument_error(k, s, p, d)
    sizes = tuple(input.shape)[-nd:]
    if avg and nd == 3 and builtins.any(n < kk for n, kk in zip(sizes, k)):
        names = _DIM_NAMES[nd]
        raise RuntimeError("input image (" + " ".join(f"{n}: {v}" for n, v in zip(names, sizes)) + ") smaller "
                           "than kernel size (" + " ".join(f"k{n}: {v}" for n, v in zip(names, k)) + ")")
    outs = [_pool_out(n, kk, ss, pp, dd, ceil_mode) for n, kk, ss, pp, dd in zip(sizes, k, s, p, d)]
    if builtins.min(outs) < 1:
        C = input.shape[-nd - 1]
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (C,) + sizes))}). Calculated output size: "
                           f"({'x'.join(map(str, [C] + outs))}). Output size is too small")


def _pool_argument_error(k, s, p, d):
    """The first of PyTorch's complaints about a pooling's arguments."""
    for i in range(len(k)):
        if s[i] == 0:
            raise RuntimeError("stride should not be zero")
        if p[i] < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {p[i]}")
        if p[i] > (d[i] * (k[i] - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p[i]}, "
                               f"kernel_size={k[i]} and dilation={d[i]}")
    names = _DIM_NAMES[len(k)]
    for what, key, vals in (("kernel size", "k", k), ("stride", "d", s), ("dilation", "dilation", d)):
        if builtins.any(v <= 0 for v in vals):
            raise RuntimeError(f"{what} should be greater than zero, but got "
                               + " ".join(f"{key}{n}: {v}" for n, v in zip(names, vals)))


def _check_pool_input(name, input, nd):
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input")
    if nd == 3:
        batch = input.dim() == 5
        for i, n in enumerate(input.shape):
            if n == 0 and not (batch and i == 0):
                raise RuntimeError(f"{name}(): Expected input's non-batch dimensions to have positive length, but "
                                   f"input has a shape of {list(input.shape)} and non-batch dimension 0 has length "
                                   "zero!")


def _max_pool_np(x, k, s, p, d, ceil_mode):
    """Max pooling of a (N, C, *spatial) array: the maxima and their flat indices into
    each input plane."""
    nd = len(k)
    sp = x.shape[2:]
    outs = tuple([_pool_out(sp[i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(nd)])
    hi = [p[i] + builtins.max(0, (outs[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 - sp[i] - 2 * p[i]) for i in range(nd)]
    low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min if x.dtype.kind in "iu" else False
    xp = _pad_array(x, p, hi, low)
    # the maximum over the kernel positions (strided slices, no window copies), then
    # the first position holding it (as PyTorch: ties go to the first, the last NaN wins)
    views = [xp[sl] for _, sl in _taps(tuple(k), tuple(s), tuple(d), outs)]
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
    # the kernel position (row-major over k) back to input coordinates, then flat
    flat = None
    div = _prod(k)
    for i in range(nd):
        div //= k[i]
        off = am // div if i == 0 else am % k[i] if i == nd - 1 else (am // div) % k[i]
        start = np.arange(-p[i], outs[i] * s[i] - p[i], s[i])
        if i < nd - 1:
            start = start.reshape((-1,) + (1,) * (nd - 1 - i))
        coord = (off * d[i] if d[i] != 1 else off) + start
        flat = coord if flat is None else flat * sp[i] + coord
    return out, flat.astype(np.int64)


def _max_pool_forward(x, kernel_size, stride, padding, dilation, ceil_mode):
    one = x.ndim == len(kernel_size) + 1
    if one:
        x = x[None]
    out, idx = _max_pool_np(x, kernel_size, stride, padding, dilation, ceil_mode)
    return (out[0], idx[0]) if one else (out, idx)


def _pool_scatter_forward(grad, indices, shape, overlap=True, nd=2):
    """Sum ``grad`` into zeros of ``shape`` at the flat ``indices`` into each plane of the
    last ``nd`` dims (``overlap=False``: the windows do not overlap, so no index repeats)."""
    lead = _prod(shape[:-nd])
    plane = _prod(shape[-nd:])
    if lead == 0 or plane == 0:
        return np.zeros(shape, grad.dtype)
    flat = (indices.reshape(lead, -1) + (np.arange(lead, dtype=np.int64) * plane)[:, None]).ravel()
    g = grad.reshape(-1)
    if not overlap:
        out = np.zeros(lead * plane, grad.dtype)
        out[flat] = g
    else:
        out = np.bincount(flat, weights=g, minlength=lead * plane).astype(grad.dtype, copy=False)
    return out.reshape(shape)


def _pool_gather_forward(x, indices, nd=2):
    lead = x.shape[:-nd]
    if x.size == 0 or indices.size == 0:
        return np.zeros(indices.shape, x.dtype)
    flat = x.reshape(lead + (-1,))
    return np.take_along_axis(flat, indices.reshape(lead + (-1,)), -1).reshape(indices.shape)


def _scatter_op(name, nd, samples):
    """The adjoint of a max pooling's gather under PyTorch's name for the backward of a
    ``nd``-D max pooling's backward. ``self`` is the pooled input: PyTorch's backward takes
    it (its derivative is zero), so a differentiable backward's result requires grad when
    the input does."""
    gather = {} if nd == 2 else {"nd": nd}
    return declare(
        name, lambda grad, self, indices, shape, overlap=True: _pool_scatter_forward(grad, indices, shape, overlap, nd),
        inputs=("grad", "self"), node=f"MaxPool{nd}DWithIndicesBackwardBackward0", public=False, samples=samples,
        grad=lambda grad, indices: pool_gather(grad, indices=indices, **gather),
        self=lambda grad, self_shape, self_dtype: zeros_grad(grad, self_shape, self_dtype))


pool_scatter = _scatter_op("_pool_scatter", 2, [
    sample(T(1, 2, 2), None, indices=np.array([[[0, 0], [3, 1]]]), shape=(1, 2, 2), call="_pool_scatter"),
    sample(T(1, 2, 2), T(1, 2, 2), indices=np.array([[[0, 0], [3, 1]]]), shape=(1, 2, 2), call="_pool_scatter")])
pool_scatter3d = _scatter_op("_pool_scatter3d", 3, [
    sample(T(1, 1, 2, 2), T(1, 2, 2, 2), indices=np.array([[[[0, 7], [3, 3]]]]), shape=(1, 2, 2, 2),
           call="_pool_scatter3d")])
_POOL_SCATTER = {2: pool_scatter, 3: pool_scatter3d}

pool_gather = declare(
    "_pool_gather", _pool_gather_forward, node="MaxPoolDoubleBackwardBackward0", public=False,
    samples=[sample(T(1, 2, 2), indices=np.array([[[0, 0], [3, 1]]]), call="_pool_gather"),
             sample(T(1, 2, 2, 2), indices=np.array([[[[0, 7], [3, 3]]]]), nd=3, call="_pool_gather")],
    self=lambda grad, self_shape, indices, nd=2: _POOL_SCATTER[nd](grad, None, indices=indices,
                                                                   shape=tuple(self_shape)))

_TIES = [[1.0, 1.0, 0.5, 0.5], [0.0, 1.0, 1.0, 0.5], [2.0, 2.0, 2.0, 2.0], [0.0, 0.0, 3.0, 3.0]]


def _max_pool_op(nd, samples):
    scatter = _POOL_SCATTER[nd]
    return declare(
        f"max_pool{nd}d_with_indices", _max_pool_forward, node=f"MaxPool{nd}DWithIndicesBackward0", public=False,
        outputs=("result", "indices"), samples=samples,
        self=lambda grad, self, indices, kernel_size, stride, dilation: scatter(
            grad, self, indices=indices, shape=tuple(self.shape),
            overlap=builtins.any(s < d * (k - 1) + 1 for k, s, d in zip(kernel_size, stride, dilation))))


max_pool2d_with_indices = _max_pool_op(2, [
    sample(T(2, 2, 4, 4), 2, call=_NF + "max_pool2d"),
    sample(T(1, 2, 5, 5), 3, 2, 1, call=_NF + "max_pool2d"),
    sample(T(1, 1, 6, 5), (2, 3), (1, 2), (1, 0), (2, 1), ceil_mode=True, return_indices=True,
           call=_NF + "max_pool2d"),
    sample(T(1, 5, 5), 2, ceil_mode=True, call=_NF + "max_pool2d"),
    sample(T(1, 1, 4, 4, values=_TIES), 2, 1, call=_NF + "max_pool2d", smooth=False),
    sample(T(2, 3, 7), 3, 2, 1, call=_NF + "max_pool1d"),
    sample(T(2, 3, 7), 2, return_indices=True, ceil_mode=True, call=_NF + "max_pool1d"),
    sample(T(2, 4, 4, dtype="float32"), 2, call="max_pool2d"),
    sample(T(1, 6, 5), 2, dilation=2, call="max_pool1d"),
    sample(T(0, 2, 4, 4), 2, call=_NF + "max_pool2d")])

_TIES3 = [[[1.0, 1.0, 0.5], [0.0, 1.0, 2.0], [2.0, 2.0, 0.0]], [[2.0, 0.5, 0.5], [0.0, 2.0, 2.0], [3.0, 0.0, 3.0]]]

max_pool3d_with_indices = _max_pool_op(3, [
    sample(T(1, 2, 4, 4, 4), 2, call=_NF + "max_pool3d"),
    sample(T(2, 3, 4, 5), 3, 2, 1, call=_NF + "max_pool3d"),
    sample(T(1, 1, 3, 5, 4), (2, 2, 3), (1, 2, 1), (1, 0, 1), (1, 2, 1), ceil_mode=True, return_indices=True,
           call=_NF + "max_pool3d"),
    sample(T(1, 1, 2, 3, 3, values=_TIES3), 2, 1, call=_NF + "max_pool3d", smooth=False),
    sample(T(1, 2, 3, 4, 4, dtype="float32"), 2, return_indices=True, call=_NF + "max_pool3d_with_indices"),
    sample(T(1, 3, 3, 4), 2, (1, 2, 2), ceil_mode=True, call="max_pool3d"),
    sample(T(0, 2, 2, 2, 2), 2, call=_NF + "max_pool3d")])


def _pool_tuple(v, nd, msg):
    t = _tuple(v, nd)
    if len(t) != nd:
        raise RuntimeError(msg)
    return t


def _pool_args(nd, kernel_size, stride, padding, dilation, name=None):
    if nd == 3 and name is not None:
        # PyTorch's 3-D poolings check the lengths of their arguments
        m = name == "max_pool3d"
        k = _pool_tuple(kernel_size, 3, f"{name}: kernel_size must {'either ' if m else ''}be a single int, or a "
                                        "tuple of three ints")
        empty = stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0)
        s = k if empty else _pool_tuple(stride, 3, f"{name}: stride must {'either ' if m else ''}be omitted, a "
                                                   "single int, or a tuple of three ints")
        p = _pool_tuple(padding, 3, f"{name}: padding must {'either ' if m else ''}be a single int, or a tuple of "
                                    "three ints")
        d = _pool_tuple(dilation, 3, f"{name}: dilation must be either a single int, or a tuple of three ints")
        return k, s, p, d
    k = _tuple(kernel_size, nd)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else _tuple(stride, nd)
    return k, s, _tuple(padding, nd), _tuple(dilation, nd)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    k, s, p, d = _pool_args(2, kernel_size, stride, padding, dilation)
    _check_pool_input("max_pool2d", input, 2)
    _check_pool(input, k, s, p, d, bool(ceil_mode))
    out, idx = max_pool2d_with_indices(input, kernel_size=k, stride=s, padding=p, dilation=d,
                                       ceil_mode=bool(ceil_mode))
    return (out, idx) if return_indices else out


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    k, s, p, d = _pool_args(3, kernel_size, stride, padding, dilation, "max_pool3d")
    _check_pool_input("max_pool3d_with_indices_out_cpu_template", input, 3)
    _check_pool(input, k, s, p, d, bool(ceil_mode))
    out, idx = max_pool3d_with_indices(input, kernel_size=k, stride=s, padding=p, dilation=d,
                                       ceil_mode=bool(ceil_mode))
    return (out, idx) if return_indices else out


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    k, s, p, d = _pool_args(1, kernel_size, stride, padding, dilation)
    if input.dim() not in (2, 3):
        raise RuntimeError(f"max_pool1d() Expected 2D or 3D input tensor, but got {list(input.shape)}")
    for ok, msg in ((k[0] > 0, f"kernel_size must be greater than zero, but got {k[0]}"),
                    (s[0] > 0, f"stride must be greater than zero, but got {s[0]}"),
                    (p[0] >= 0, f"padding must be non-negative, but got {p[0]}"),
                    (p[0] <= k[0] // 2, f"padding should be at most half of kernel size, but got padding={p[0]} "
                                        f"and kernel_size={k[0]}"),
                    (d[0] > 0, f"dilation must be greater than zero, but got {d[0]}")):
        if not ok:
            raise RuntimeError("max_pool1d() " + msg)
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


def max_pool3d_with_indices_fn(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                               return_indices=False):
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# ---------------------------------------------------------------------- average pooling
def _avg_divisor(sizes, outs, k, s, p, count_include_pad, divisor_override, dtype):
    if divisor_override:
        return dtype.type(divisor_override)
    div = None
    for size, n, kk, ss, pp in zip(sizes, outs, k, s, p):
        start = np.arange(n) * ss - pp
        end = np.minimum(start + kk, size + pp)
        full = end - start
        start, end = np.maximum(start, 0), np.minimum(end, size)
        c = full if count_include_pad else end - start
        div = c if div is None else np.multiply.outer(div, c)
    return div.astype(dtype)


def _avg_pool_geometry(shape, k, s, p, ceil_mode):
    sizes = tuple(shape[-len(k):])
    return sizes, tuple([_pool_out(n, kk, ss, pp, 1, ceil_mode) for n, kk, ss, pp in zip(sizes, k, s, p)])


def _avg_pool_forward(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    nd = len(kernel_size)
    one = x.ndim == nd + 1
    if one:
        x = x[None]
    k, s, p = kernel_size, stride, padding
    sizes, outs = _avg_pool_geometry(x.shape, k, s, p, ceil_mode)
    hi = [p[i] + builtins.max(0, (outs[i] - 1) * s[i] + k[i] - sizes[i] - 2 * p[i]) for i in range(nd)]
    xp = _pad_array(x, p, hi)
    taps = _taps(tuple(k), tuple(s), (1,) * nd, outs)
    acc = xp[taps[0][1]].copy()
    for _, sl in taps[1:]:
        acc += xp[sl]
    if x.dtype.kind != "f":  # integers: C's truncating division, as PyTorch
        div = _avg_divisor(sizes, outs, k, s, p, count_include_pad, divisor_override, np.dtype(np.int64))
        out = np.trunc(acc / div).astype(x.dtype)
    else:
        out = acc / _avg_divisor(sizes, outs, k, s, p, count_include_pad, divisor_override, x.dtype)
    return out[0] if one else out


def _avg_pool_backward_forward(grad, shape, kernel_size, stride, padding, ceil_mode, count_include_pad,
                               divisor_override):
    nd = len(kernel_size)
    one = grad.ndim == nd + 1
    if one:
        grad = grad[None]
        shape = (1,) + tuple(shape)
    k, s, p = kernel_size, stride, padding
    sizes, outs = _avg_pool_geometry(shape, k, s, p, ceil_mode)
    g = grad / _avg_divisor(sizes, outs, k, s, p, count_include_pad, divisor_override, grad.dtype)
    cols = np.broadcast_to(g.reshape(g.shape[:2] + (1,) * nd + g.shape[2:]), g.shape[:2] + tuple(k) + g.shape[2:])
    out = np.ascontiguousarray(_col2im(cols, sizes, k, s, p, (1,) * nd))
    return out[0] if one else out


def _avg_pool_ops(nd, samples, backward_samples):
    """``avg_pool<nd>d`` and its backward, each the other's derivative."""
    def pool_formula(grad, self, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
        return backward(grad, self, shape=tuple(self.shape), kernel_size=kernel_size, stride=stride,
                        padding=padding, ceil_mode=ceil_mode, count_include_pad=count_include_pad,
                        divisor_override=divisor_override)

    def backward_formula(grad, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
        return pool(grad, kernel_size=kernel_size, stride=stride, padding=padding, ceil_mode=ceil_mode,
                    count_include_pad=count_include_pad, divisor_override=divisor_override)

    pool = declare(f"avg_pool{nd}d", _avg_pool_forward, node=f"AvgPool{nd}DBackward0", public=False, samples=samples,
                   self=pool_formula)
    backward = declare(
        f"_avg_pool{nd}d_backward", lambda grad, self, **kw: _avg_pool_backward_forward(grad, **kw),
        inputs=("grad", "self"), node=f"AvgPool{nd}DBackwardBackward0", public=False, samples=backward_samples,
        self=lambda grad, self_shape, self_dtype: zeros_grad(grad, self_shape, self_dtype), grad=backward_formula)
    return pool, backward


avg_pool2d_, avg_pool2d_backward = _avg_pool_ops(2, [
    sample(T(2, 2, 4, 4), 2, call=_NF + "avg_pool2d"),
    sample(T(1, 2, 5, 5), 3, 2, 1, call=_NF + "avg_pool2d"),
    sample(T(1, 2, 5, 5), 3, 2, 1, count_include_pad=False, ceil_mode=True, call=_NF + "avg_pool2d"),
    sample(T(1, 1, 5, 6), (2, 3), (2, 1), (1, 0), ceil_mode=True, call=_NF + "avg_pool2d"),
    sample(T(1, 1, 4, 4), 2, 1, divisor_override=3, call=_NF + "avg_pool2d"),
    sample(T(2, 5, 5), 2, call=_NF + "avg_pool2d"),
    sample(T(2, 3, 7), 3, 2, 1, call=_NF + "avg_pool1d"),
    sample(T(2, 3, 7), 2, ceil_mode=True, count_include_pad=False, call="avg_pool1d"),
    sample(T(2, 3, 4, 4, dtype="float32"), 2, call=_NF + "avg_pool2d"),
    sample(T(0, 3, 4, 4), 2, call=_NF + "avg_pool2d")], [
    sample(T(1, 2, 3, 3), T(1, 2, 5, 5), shape=(1, 2, 5, 5), kernel_size=(3, 3), stride=(2, 2), padding=(1, 1),
           ceil_mode=False, count_include_pad=True, divisor_override=None, call="_avg_pool2d_backward")])

avg_pool3d_, avg_pool3d_backward = _avg_pool_ops(3, [
    sample(T(1, 2, 4, 4, 4), 2, call=_NF + "avg_pool3d"),
    sample(T(2, 3, 4, 5), 3, 2, 1, call=_NF + "avg_pool3d"),
    sample(T(1, 1, 3, 5, 4), 3, 2, 1, count_include_pad=False, ceil_mode=True, call=_NF + "avg_pool3d"),
    sample(T(1, 1, 3, 4, 5), (2, 2, 3), (1, 2, 1), (1, 0, 1), ceil_mode=True, call=_NF + "avg_pool3d"),
    sample(T(1, 1, 3, 3, 3), 2, 1, divisor_override=3, call=_NF + "avg_pool3d"),
    sample(T(1, 2, 2, 4, 4, dtype="float32"), 2, call=_NF + "avg_pool3d"),
    sample(T(0, 2, 2, 2, 2), 2, call=_NF + "avg_pool3d")], [
    sample(T(1, 2, 1, 2), T(1, 3, 3, 3), shape=(1, 3, 3, 3), kernel_size=(2, 2, 2), stride=(2, 2, 2),
           padding=(1, 0, 1), ceil_mode=False, count_include_pad=False, divisor_override=None,
           call="_avg_pool3d_backward")])


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    k, s, p, _ = _pool_args(2, kernel_size, stride, padding, 1)
    _check_pool_input("avg_pool2d", input, 2)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    _check_pool(input, k, s, p, (1, 1), bool(ceil_mode))
    return avg_pool2d_(input, kernel_size=k, stride=s, padding=p, ceil_mode=bool(ceil_mode),
                       count_include_pad=bool(count_include_pad), divisor_override=divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    k, s, p, _ = _pool_args(3, kernel_size, stride, padding, 1, "avg_pool3d")
    _check_pool_input("avg_pool3d", input, 3)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    _check_pool(input, k, s, p, (1, 1, 1), bool(ceil_mode), avg=True)
    return avg_pool3d_(input, kernel_size=k, stride=s, padding=p, ceil_mode=bool(ceil_mode),
                       count_include_pad=bool(count_include_pad), divisor_override=divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    k, s, p, _ = _pool_args(1, kernel_size, stride, padding, 1)
    if input.dim() not in (2, 3):
        raise RuntimeError(f"avg_pool1d() Expected 2D or 3D input tensor, but got {list(input.shape)}")
    x = _shape.unsqueeze(input, -2)
    _check_pool(x, (1,) + k, (1,) + s, (0,) + p, (1, 1), bool(ceil_mode))
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


def _adaptive_max_forward(x, output_size):
    nd = len(output_size)
    one = x.ndim == nd + 1
    if one:
        x = x[None]
    lead = x.shape[:2]
    sp = x.shape[2:]
    bounds = [_adaptive_starts(sp[i], output_size[i]) for i in range(nd)]
    out = np.empty(lead + tuple(output_size), x.dtype)
    idx = np.empty(lead + tuple(output_size), np.int64)
    for pos in itertools.product(*[range(o) for o in output_size]):
        lo = [int(bounds[i][0][j]) for i, j in enumerate(pos)]
        hi = [int(bounds[i][1][j]) for i, j in enumerate(pos)]
        win = x[(_ALL, _ALL) + tuple(builtins.slice(a, b) for a, b in zip(lo, hi))]
        flat = win.reshape(lead + (_prod(win.shape[2:]),))
        a = np.argmax(flat, axis=-1)
        out[(_ALL, _ALL) + pos] = np.take_along_axis(flat, a[..., None], -1)[..., 0]
        f = 0
        for i, c in enumerate(np.unravel_index(a, win.shape[2:])):
            f = f * sp[i] + lo[i] + c
        idx[(_ALL, _ALL) + pos] = f
    return (out[0], idx[0]) if one else (out, idx)


adaptive_max_pool2d_ = declare(
    "adaptive_max_pool2d", _adaptive_max_forward, node="AdaptiveMaxPool2DBackward0", public=False,
    outputs=("result", "indices"),
    samples=[sample(T(2, 2, 5, 5), 3, call=_NF + "adaptive_max_pool2d"),
             sample(T(1, 2, 7, 4), (3, None), return_indices=True, call=_NF + "adaptive_max_pool2d"),
             sample(T(2, 4, 4), 2, call=_NF + "adaptive_max_pool2d"),
             sample(T(2, 3, 7), 3, call=_NF + "adaptive_max_pool1d"),
             sample(T(2, 3, 7), 3, return_indices=True, call=_NF + "adaptive_max_pool1d"),
             sample(T(2, 3, 5), 2, call=_NF + "adaptive_max_pool2d_with_indices"),
             sample(T(2, 3, 5), 2, call=_NF + "adaptive_max_pool1d_with_indices")],
    self=lambda grad, self, indices: pool_scatter(grad, self, indices=indices, shape=tuple(self.shape)))

adaptive_max_pool3d_ = declare(
    "adaptive_max_pool3d", _adaptive_max_forward, node="AdaptiveMaxPool3DBackward0", public=False,
    outputs=("result", "indices"),
    samples=[sample(T(1, 2, 4, 5, 3), 2, call=_NF + "adaptive_max_pool3d"),
             sample(T(2, 5, 3, 4), (3, None, 2), return_indices=True, call=_NF + "adaptive_max_pool3d"),
             sample(T(1, 1, 3, 3, 4, dtype="float32"), (2, 1, 3), call=_NF + "adaptive_max_pool3d_with_indices"),
             sample(T(0, 2, 3, 3, 3), 2, call=_NF + "adaptive_max_pool3d")],
    self=lambda grad, self, indices: pool_scatter3d(grad, self, indices=indices, shape=tuple(self.shape)))


def _adaptive_size(output_size, shape, nd, name=None):
    out = _tuple(output_size, nd) if not isinstance(output_size, (list, tuple)) else tuple(output_size)
    if len(out) == 1 and nd == 2:
        out = out * 2
    if len(out) != nd and name is not None:
        raise RuntimeError(f"{name}: output_size must be 3" if name == "adaptive_avg_pool3d" else
                           f"{name}(): internal error: output_size.size() must be 3")
    return tuple(shape[-nd + i] if o is None else int(o) for i, o in enumerate(out))


def _check_adaptive3d(name, input, out):
    if input.dim() not in (4, 5):
        raise RuntimeError(f"{name}(): Expected 4D or 5D tensor, but got{':' if 'max' in name else ''} "
                           f"{list(input.shape)}")
    for i in range(input.dim() - 4, input.dim()):
        if input.shape[i] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch dimensions, but input "
                               f"has sizes {list(input.shape)} with dimension {i} being empty")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{_dtype_name(input._data).capitalize()}'")
    if name == "adaptive_avg_pool3d" and builtins.any(o < 0 for o in out):
        raise RuntimeError("adaptive_avg_pool3d: elements of output_size must be greater than or equal to 0 but "
                           "received {" + ", ".join(map(str, out[:2])) + "," + str(out[2]) + "}")
    if builtins.any(o < 0 for o in out):
        raise RuntimeError(f"Trying to create tensor with negative dimension {builtins.min(out)}: "
                           f"{list(input.shape[:-3]) + list(out)}")


def adaptive_avg_pool2d(input, output_size):
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    oh, ow = _adaptive_size(output_size, input.shape, 2)
    H, W = input.shape[-2:]
    if oh == ow == 1:
        from .reduction import mean
        return mean(input, (-1, -2), True)  # as PyTorch: a global average is a mean
    return adaptive_avg_pool2d_(input, mats=(constant(_adaptive_matrix(H, oh)), constant(_adaptive_matrix(W, ow))))


adaptive_avg_pool3d_ = _sep_op("adaptive_avg_pool3d", "AdaptiveAvgPool3DBackward0", [
    sample(T(1, 2, 4, 5, 3), 2, call=_NF + "adaptive_avg_pool3d"),
    sample(T(2, 5, 3, 4), (3, None, 2), call=_NF + "adaptive_avg_pool3d"),
    sample(T(1, 1, 3, 3, 4, dtype="float32"), (2, 4, 3), call=_NF + "adaptive_avg_pool3d"),
    sample(T(1, 2, 3, 3, 4), 1, call=_NF + "adaptive_avg_pool3d"),
    sample(T(1, 2, 3, 4, 4), size=(2, 3, 2), mode="area", call=_NF + "interpolate"),
], dep=True)


def adaptive_avg_pool3d(input, output_size):
    out = _adaptive_size(output_size, input.shape, 3, "adaptive_avg_pool3d")
    _check_adaptive3d("adaptive_avg_pool3d", input, out)
    if out == (1, 1, 1):
        from .reduction import mean
        return mean(input, (-1, -2, -3), True)  # as PyTorch: a global average is a mean
    D, H, W = input.shape[-3:]
    return adaptive_avg_pool3d_(input, mats=tuple(constant(_adaptive_matrix(n, o)) for n, o in zip((D, H, W), out)))


def adaptive_avg_pool1d(input, output_size):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"adaptive_avg_pool1d() Expected 2D or 3D input tensor, but got {list(input.shape)}")
    (o,) = _tuple(output_size, 1)
    x = _shape.unsqueeze(input, -2)
    out = adaptive_avg_pool2d_(x, mats=(None, constant(_adaptive_matrix(input.shape[-1], o))))
    return _shape.squeeze(out, -2)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: {list(input.shape)}")
    out, idx = adaptive_max_pool2d_(input, output_size=_adaptive_size(output_size, input.shape, 2))
    return (out, idx) if return_indices else out


def adaptive_max_pool3d(input, output_size, return_indices=False):
    size = _adaptive_size(output_size, input.shape, 3, "adaptive_max_pool3d")
    _check_adaptive3d("adaptive_max_pool3d", input, size)
    out, idx = adaptive_max_pool3d_(input, output_size=size)
    return (out, idx) if return_indices else out


def adaptive_max_pool1d(input, output_size, return_indices=False):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"adaptive_max_pool1d() Expected 2D or 3D input tensor, but got {list(input.shape)}")
    (o,) = _tuple(output_size, 1)
    x = _shape.unsqueeze(input, -2)
    out, idx = adaptive_max_pool2d_(x, output_size=(1, o))
    out = _shape.squeeze(out, -2)
    return (out, _shape.squeeze(idx, -2)) if return_indices else out


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool3d(input, output_size, True)


# ---------------------------------------------------------------------- max unpooling
def _max_unpool_forward(x, indices, output_size):
    """``x`` written into zeros of ``output_size`` (the last dims) at the flat ``indices``
    of each plane (a repeated index keeps the last value, as PyTorch's loop)."""
    nd = len(output_size)
    lead = x.shape[:-nd]
    plane = _prod(output_size)
    out = np.zeros(lead + (plane,), x.dtype)
    if x.size:
        idx = indices.reshape(lead + (-1,))
        bad = (idx < 0) | (idx >= plane)
        if bad.any():
            # PyTorch's loop reports the last one it meets (with one thread: the last in order)
            raise RuntimeError(f"Found an invalid max index: {idx[bad][-1]} (output volumes are of size "
                               f"{'x'.join(map(str, output_size))})")
        np.put_along_axis(out, idx, x.reshape(lead + (-1,)), -1)
    return out.reshape(lead + tuple(output_size))


def _unpool_op(nd, samples):
    gather = {} if nd == 2 else {"nd": nd}
    return declare(f"max_unpool{nd}d", _max_unpool_forward, node=f"MaxUnpool{nd}DBackward0", public=False,
                   samples=samples, self=lambda grad, indices: pool_gather(grad, indices=indices, **gather))


max_unpool2d_ = _unpool_op(2, [
    sample(T(1, 2, 2, 2), T(1, 2, 2, 2, dtype="int64", values=[[[[0, 3], [9, 14]], [[5, 2], [8, 11]]]]), 2,
           call=_NF + "max_unpool2d"),
    sample(T(2, 2, 2), T(2, 2, 2, dtype="int64", values=[[[0, 2], [9, 7]], [[4, 1], [11, 10]]]), 3, 2, 1,
           output_size=(3, 4), call=_NF + "max_unpool2d"),
    sample(T(1, 2, 3), T(1, 2, 3, dtype="int64", values=[[[0, 3, 5], [1, 2, 4]]]), 2, call=_NF + "max_unpool1d"),
    sample(T(2, 3, dtype="float32"), T(2, 3, dtype="int64", values=[[1, 2, 5], [0, 4, 6]]), 2, 2,
           output_size=[7], call=_NF + "max_unpool1d"),
    sample(T(0, 2, 2, 2), T(0, 2, 2, 2, dtype="int64"), 2, call=_NF + "max_unpool2d")])

max_unpool3d_ = _unpool_op(3, [
    sample(T(1, 2, 1, 2, 2), T(1, 2, 1, 2, 2, dtype="int64", values=[[[[[0, 7], [13, 30]]], [[[2, 5], [20, 31]]]]]),
           2, call=_NF + "max_unpool3d"),
    sample(T(2, 2, 1, 2), T(2, 2, 1, 2, dtype="int64", values=[[[[0, 3]], [[5, 1]]], [[[8, 9]], [[2, 11]]]]),
           2, 1, 0, output_size=(3, 2, 3), call=_NF + "max_unpool3d"),
    sample(T(1, 1, 1, 1, 2, dtype="float32"), T(1, 1, 1, 1, 2, dtype="int64", values=[[[[[1, 6]]]]]), 2,
           call=_NF + "max_unpool3d")])


def _unpool_output_size(input, kernel_size, stride, padding, output_size):
    """torch.nn.functional._unpool_output_size."""
    n = len(kernel_size)
    shape = input.shape
    default = [(shape[-n + d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d] for d in range(n)]
    if output_size is None:
        ret = default
    else:
        if isinstance(output_size, Tensor):
            output_size = output_size.tolist()
        if len(output_size) == n + 2:
            output_size = output_size[2:]
        if len(output_size) != n:
            raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} elements, but it has a "
                             f"length of '{len(output_size)}'")
        for d in range(n):
            lo, hi = default[d] - stride[d], default[d] + stride[d]
            if not lo < output_size[d] < hi:
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {lo} and {hi})')
        ret = output_size
    for d in range(n):
        if ret[d] < 0:
            raise ValueError("max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                             f"output_size[{d}]={ret[d]}")
    return tuple(int(v) for v in ret)


def _max_unpool(nd, input, indices, size, stride=None):
    name = f"max_unpooling{nd}d"
    idx = indices._data
    if idx.dtype != np.int64:
        raise RuntimeError("elements in indices should be type int64" +
                           (f" but got: {_dtype_name(idx)}" if nd == 2 else ""))
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Input to {name} should be a {nd + 1}d or {nd + 2}d Tensor, but got a tensor with "
                           f"{input.dim()} dimensions.")
    if stride is not None and builtins.any(s <= 0 for s in stride):
        raise RuntimeError(f"strides should be greater than zero, but got stride: {list(stride)}")
    if tuple(input.shape) != tuple(indices.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({list(input.shape)}) "
                           f"but got indices tensor with shape: {list(indices.shape)}")
    for i in range(input.dim() - nd - 1, input.dim()):
        if input.shape[i] == 0:
            raise RuntimeError(f"{name}_forward_out_cpu(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but got {list(input.shape)} with dimension {i} being empty.")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"max_unpool{nd}d\" not implemented for '{_dtype_name(input._data)}'")
    return (max_unpool2d_ if nd == 2 else max_unpool3d_)(input, indices=idx, output_size=size)


def _unpool_args(nd, kernel_size, stride, padding):
    k = _tuple(kernel_size, nd)
    return k, k if stride is None else _tuple(stride, nd), _tuple(padding, nd)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    k, s, p = _unpool_args(1, kernel_size, stride, padding)
    size = _unpool_output_size(input, k, s, p, output_size) + (1,)
    out = _max_unpool(2, _shape.unsqueeze(input, -1), _shape.unsqueeze(indices, -1), size)
    return _shape.squeeze(out, -1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    k, s, p = _unpool_args(2, kernel_size, stride, padding)
    return _max_unpool(2, input, indices, _unpool_output_size(input, k, s, p, output_size))


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    k, s, p = _unpool_args(3, kernel_size, stride, padding)
    return _max_unpool(3, input, indices, _unpool_output_size(input, k, s, p, output_size), s)


# ---------------------------------------------------------------------- power-average pooling
def _lp_pool(nd, input, norm_type, kernel_size, stride, ceil_mode):
    """PyTorch's composition: avg_pool of x**p, then (sign(y) * relu(|y|) * prod(k)) ** (1/p)."""
    max_pool = (max_pool1d, max_pool2d, max_pool3d)[nd - 1]
    avg_pool = (avg_pool1d, avg_pool2d, avg_pool3d)[nd - 1]
    if isinstance(norm_type, (int, float)):
        if norm_type == float("inf"):
            return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        if norm_type == -float("inf"):
            return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg_pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    n = kernel_size if nd == 1 else _prod(_tuple(kernel_size, nd))
    relu = FUNCTIONS[_NF + "relu"]
    return (out.sign() * relu(out.abs())).mul(n).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)


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
from .._tensor import _LEGACY_NAMES  # noqa: E402  (torch's scalar-type names, "Long", for its kernel errors)


def _check_interp_dtype(input, mode, nd):
    """torch's CPU kernels interpolate floating tensors, and uint8 ones except along the
    separable linear path of 1-D/3-D; anything else raises from the kernel it reached."""
    kind = input._data.dtype
    if kind.kind == "f" or (kind == np.uint8 and (mode in ("nearest", "nearest-exact") or nd == 2)):
        return
    if nd == 2:
        kernel = "upsample_bilinear2d_channels_last" if mode == "bilinear" else "upsample_nearest2d_channels_last"
    else:
        kernel = "compute_indices_weights_" + ("nearest" if mode.startswith("nearest") else "linear")
    raise NotImplementedError(f"\"{kernel}\" not implemented for '{_LEGACY_NAMES[kind.name]}'")


def _nearest_index(in_size, out_size, scale):
    s = in_size / out_size if scale is None else 1.0 / scale
    src = np.floor(np.arange(out_size, dtype=np.float32) * np.float32(s)).astype(np.int64)
    return np.minimum(src, in_size - 1)


def _nearest_index_2d(in_size, out_size, scale):
    """torch's 2-D nearest kernel takes two shortcuts before the general rule: an unchanged
    size copies, an exactly doubled one repeats each element (its 1-D and 3-D forward
    kernels do not)."""
    if out_size == in_size:
        return np.arange(out_size)
    if out_size == 2 * in_size:
        return np.arange(out_size) // 2
    return _nearest_index(in_size, out_size, scale)


def _nearest_exact_index(in_size, out_size, scale):
    s = in_size / out_size if scale is None else 1.0 / scale
    src = np.floor((np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * np.float32(s)).astype(np.int64)
    return np.minimum(src, in_size - 1)


def _linear_matrix(in_size, out_size, align_corners, scale):
    if in_size == out_size:
        # torch's linear kernels copy a dim whose size is unchanged, whatever the scale given
        return np.eye(in_size)
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


def _interp_scale(in_size, out_size, align_corners, scale):
    """ATen's area_pixel_compute_scale."""
    if align_corners:
        return (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    return in_size / out_size if scale is None else 1.0 / scale


def _cubic_matrix(in_size, out_size, align_corners, scale):
    """torch's bicubic: Keys' cubic convolution (A = -0.75) on the four nearest inputs,
    indices clamped to the border, source positions not clamped at 0."""
    s = _interp_scale(in_size, out_size, align_corners, scale)
    r = np.arange(out_size)
    src = s * r if align_corners else s * (r + 0.5) - 0.5
    x0 = np.floor(src).astype(np.int64)
    t = src - x0
    a = -0.75
    near = lambda d: ((a + 2) * d - (a + 3)) * d * d + 1                  # noqa: E731  (|d| <= 1)
    far = lambda d: ((a * d - 5 * a) * d + 8 * a) * d - 4 * a             # noqa: E731  (1 < |d| < 2)
    m = np.zeros((out_size, in_size))
    for k, w in enumerate((far(t + 1), near(t), near(1 - t), far(2 - t))):
        np.add.at(m, (r, np.clip(x0 - 1 + k, 0, in_size - 1)), w)
    return m


def _aa_filter(mode, x):
    """The anti-aliasing kernels of torch's _upsample_*_aa: a triangle, a cubic with A = -0.5,
    Lanczos-3 (a sinc windowed by a sinc three times wider)."""
    ax = np.abs(x)
    if mode == "bilinear":
        return np.maximum(0.0, 1.0 - ax)
    if mode == "lanczos":
        return np.where(ax < 3, np.sinc(x) * np.sinc(x / 3), 0.0)
    a = -0.5
    return np.where(ax < 1, ((a + 2) * ax - (a + 3)) * ax * ax + 1,
                    np.where(ax < 2, (((ax - 5) * ax + 8) * ax - 4) * a, 0.0))


_AA_HALF_SUPPORT = {"bilinear": 1.0, "bicubic": 2.0, "lanczos": 3.0}   # (at scale 1)


def _aa_matrix(in_size, out_size, align_corners, scale, mode):
    """torch's antialiased resampling: when shrinking, the filter widens by the scale (so every
    input pixel counts), each output's weights normalised to sum to 1."""
    s = _interp_scale(in_size, out_size, align_corners, scale)
    half = _AA_HALF_SUPPORT[mode]
    support, inv = (half * s, 1.0 / s) if s >= 1.0 else (half, 1.0)
    m = np.zeros((out_size, in_size))
    for i in range(out_size):
        center = s * (i + 0.5)
        lo, hi = max(int(center - support + 0.5), 0), min(int(center + support + 0.5), in_size)
        cols = np.arange(lo, hi)
        w = _aa_filter(mode, (cols - center + 0.5) * inv)
        total = w.sum()
        m[i, cols] = w / total if total != 0 else w
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
    ("nearest", 3): _sep_op("upsample_nearest3d", "UpsampleNearest3DBackward0", [
        sample(T(1, 2, 2, 3, 2), scale_factor=2, call=_NF + "interpolate"),
        sample(T(2, 1, 3, 4, 5), size=(2, 5, 3), call=_NF + "interpolate"),
        sample(T(1, 2, 4, 3, 4), scale_factor=(1.5, 0.5, 1.25), call=_NF + "interpolate")], dep=False),
    ("nearest-exact", 3): _sep_op("_upsample_nearest_exact3d", "UpsampleNearestExact3DBackward0", [
        sample(T(1, 2, 3, 4, 3), size=(5, 3, 2), mode="nearest-exact", call=_NF + "interpolate"),
        sample(T(1, 1, 4, 3, 4), scale_factor=1.5, mode="nearest-exact", call=_NF + "interpolate")], dep=False),
    ("trilinear", 3): _sep_op("upsample_trilinear3d", "UpsampleTrilinear3DBackward0", [
        sample(T(1, 2, 2, 3, 2), scale_factor=2, mode="trilinear", call=_NF + "interpolate"),
        sample(T(2, 1, 3, 4, 5), size=(4, 2, 6), mode="trilinear", align_corners=True, call=_NF + "interpolate"),
        sample(T(1, 1, 3, 3, 4), scale_factor=(1.7, 0.6, 1.5), mode="trilinear", call=_NF + "interpolate"),
        sample(T(1, 2, 3, 2, 3, dtype="float32"), size=(4, 3, 5), mode="trilinear", call=_NF + "interpolate")],
        dep=False),
    ("bicubic", 2): _sep_op("upsample_bicubic2d", "UpsampleBicubic2DBackward0", [
        sample(T(1, 2, 4, 5), size=(7, 3), mode="bicubic", call=_NF + "interpolate"),
        sample(T(1, 1, 5, 4), scale_factor=1.5, mode="bicubic", align_corners=True, call=_NF + "interpolate")],
        dep=False),
    ("bilinear-aa", 2): _sep_op("_upsample_bilinear2d_aa", "UpsampleBilinear2DAaBackward0", [
        sample(T(1, 2, 8, 7), size=(3, 5), mode="bilinear", antialias=True, call=_NF + "interpolate"),
        sample(T(1, 1, 4, 6), size=(7, 2), mode="bilinear", antialias=True, align_corners=True,
               call=_NF + "interpolate")], dep=False),
    ("bicubic-aa", 2): _sep_op("_upsample_bicubic2d_aa", "UpsampleBicubic2DAaBackward0", [
        sample(T(1, 2, 9, 6), size=(4, 5), mode="bicubic", antialias=True, call=_NF + "interpolate"),
        sample(T(1, 1, 5, 8), scale_factor=0.6, mode="bicubic", antialias=True, call=_NF + "interpolate")],
        dep=False),
    ("lanczos-aa", 2): _sep_op("_upsample_lanczos2d_aa", "UpsampleLanczos2DAaBackward0", [
        sample(T(1, 2, 9, 7), size=(4, 10), mode="lanczos", antialias=True, call=_NF + "interpolate")], dep=False),
}

# the spatial rank each interpolating mode works on (torch names it in its error)
_LINEAR_MODE_DIMS = {"linear": 1, "bilinear": 2, "trilinear": 3}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    nd = input.dim() - 2
    if mode in ("nearest", "area", "nearest-exact") and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.dim() == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires "
                         "a 4-D tensor as input")
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if size is not None:
        out = _tuple(size, nd)
        if len(out) != nd:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {list(input.shape[2:])} and output size of {size}. Please "
                             "provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, "
                             "...,oK) format.")
        scales = (None,) * nd
    else:
        sf = tuple(float(v) for v in scale_factor) if isinstance(scale_factor, (list, tuple)) else \
            (float(scale_factor),) * nd
        if len(sf) != nd:
            raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got input "
                             f"with spatial dimensions of {list(input.shape[2:])} and scale_factor of shape "
                             f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                             "and scale_factor in (s1, s2, ...,sK) format.")
        out = tuple(int(math.floor(input.shape[2 + i] * sf[i])) for i in range(nd))
        scales = (None,) * nd if recompute_scale_factor else sf
    if mode == "lanczos" and nd == 2:
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
    key = (mode + "-aa" if antialias else mode, nd)
    if mode == "area" and nd in (1, 2, 3):
        return (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[nd - 1](input, out)
    if key not in _INTERP_OPS:
        if mode in _LINEAR_MODE_DIMS and nd in (1, 2, 3):
            need = _LINEAR_MODE_DIMS[mode] + 2
            raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {need}D input")
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) "
                                  f"for the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | "
                                  f"area | nearest-exact (got {mode})")
    _check_interp_dtype(input, mode, nd)
    if mode == "nearest-exact":
        mats = tuple(_nearest_exact_index(input.shape[2 + i], out[i], scales[i]) for i in range(nd))
    elif mode == "nearest":
        index = _nearest_index_2d if nd == 2 else _nearest_index
        mats = tuple(index(input.shape[2 + i], out[i], scales[i]) for i in range(nd))
    else:
        ac = bool(align_corners)
        build = functools.partial(_aa_matrix, mode=mode) if antialias else \
            _cubic_matrix if mode == "bicubic" else _linear_matrix
        mats = tuple(build(input.shape[2 + i], out[i], ac, None if ac else scales[i]) for i in range(nd))
    return _INTERP_OPS[key](input, mats=tuple(constant(m) for m in mats))


# ====================================================================== install
FUNCTIONS.update({
    _NF + "conv1d": conv1d, _NF + "conv2d": conv2d, _NF + "conv_transpose1d": conv_transpose1d,
    _NF + "conv_transpose2d": conv_transpose2d, _NF + "conv3d": conv3d, _NF + "conv_transpose3d": conv_transpose3d,
    _NF + "unfold": unfold, _NF + "fold": fold,
    _NF + "max_pool1d": max_pool1d, _NF + "max_pool2d": max_pool2d,
    _NF + "max_pool1d_with_indices": max_pool1d_with_indices,
    _NF + "max_pool2d_with_indices": max_pool2d_with_indices_fn,
    _NF + "max_pool3d": max_pool3d, _NF + "max_pool3d_with_indices": max_pool3d_with_indices_fn,
    _NF + "avg_pool1d": avg_pool1d, _NF + "avg_pool2d": avg_pool2d, _NF + "avg_pool3d": avg_pool3d,
    _NF + "adaptive_avg_pool1d": adaptive_avg_pool1d, _NF + "adaptive_avg_pool2d": adaptive_avg_pool2d,
    _NF + "adaptive_avg_pool3d": adaptive_avg_pool3d,
    _NF + "adaptive_max_pool1d": adaptive_max_pool1d, _NF + "adaptive_max_pool2d": adaptive_max_pool2d,
    _NF + "adaptive_max_pool3d": adaptive_max_pool3d,
    _NF + "adaptive_max_pool1d_with_indices": adaptive_max_pool1d_with_indices,
    _NF + "adaptive_max_pool2d_with_indices": adaptive_max_pool2d_with_indices,
    _NF + "adaptive_max_pool3d_with_indices": adaptive_max_pool3d_with_indices,
    _NF + "max_unpool1d": max_unpool1d, _NF + "max_unpool2d": max_unpool2d, _NF + "max_unpool3d": max_unpool3d,
    _NF + "lp_pool1d": lp_pool1d, _NF + "lp_pool2d": lp_pool2d, _NF + "lp_pool3d": lp_pool3d,
    _NF + "pad": pad, _NF + "interpolate": interpolate,
    "conv1d": conv1d, "conv2d": conv2d, "conv_transpose1d": conv_transpose1d, "conv_transpose2d": conv_transpose2d,
    "conv3d": conv3d, "conv_transpose3d": conv_transpose3d,
    "convolution": convolution_fn, "max_pool1d": max_pool1d, "max_pool2d": max_pool2d, "max_pool3d": max_pool3d,
    "max_pool1d_with_indices": max_pool1d_with_indices, "avg_pool1d": avg_pool1d,
    "adaptive_avg_pool1d": adaptive_avg_pool1d,
    "adaptive_max_pool1d": lambda input, output_size: adaptive_max_pool1d(input, output_size, True),
    "constant_pad_nd": lambda input, pad, value=0: constant_pad_nd(input, pad=tuple(pad), value=value),
    "_conv_weight": conv_weight, "_pool_scatter": pool_scatter, "_pool_gather": pool_gather,
    "_avg_pool2d_backward": avg_pool2d_backward, "_separable": separable, "_dep_sum": dep_sum,
    "_pool_scatter3d": pool_scatter3d, "_avg_pool3d_backward": avg_pool3d_backward,
})
adaptive_avg_pool2d_.spec.samples += [sample(T(1, 2, 5, 4), size=3, mode="area", call=_NF + "interpolate"),
                                      sample(T(2, 3, 7), scale_factor=0.5, mode="area", call=_NF + "interpolate")]
