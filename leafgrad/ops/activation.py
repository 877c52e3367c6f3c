"""torch.nn.functional activations, softmax family, linear layers, dropout, embedding.

Each function builds the graph PyTorch builds for the same call: single ATen ops get a
declared op with PyTorch's node name (EluBackward0, SoftmaxBackward0, ...), composite
ones (softsign, tanhshrink, normalize, linear, ...) are composed from the same pieces.
Primitives that are not public get registry names prefixed with ``nnf.`` so that they
cannot clash with ops declared elsewhere. Ops the library declares elsewhere (erf, xlogy,
minimum, masked_fill, linalg_vector_norm, addmm) are used as they are; the only private
primitives left are nodes no other op produces: ATen's Tensor-Scalar overloads inside C++
composites (AddBackward1, SubBackward1, MulBackward1, DivBackward1), ClampMinBackward0,
at::norm's NormBackward1, TrilinearBackward0, and the activations'/losses' own kernels.
"""
import math
import warnings

import numpy as np

from ._declare import declare, make_inplace, same_as, FUNCTIONS, refuse_batched
from ._samples import T, sample
from .._tensor import Tensor, _wrap_dim, wrap, _LEGACY_NAMES as _LEGACY
from ..autograd import grad_mode
from . import pointwise as _pw

F = "nn.functional."
_sigmoid = _pw.sigmoid


def _prim(name, forward, **kw):
    """A primitive op that is not public by itself."""
    return declare("nnf." + name, forward, public=False, **kw)


def _need_float(x, kernel):
    """PyTorch's error for a floating-only kernel given an integer tensor."""
    if isinstance(x, Tensor) and x._data.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_LEGACY[x._data.dtype.name]}\'')


def _where0(cond, value):
    """``value`` where ``cond`` holds, else 0 (arrays or Tensors)."""
    return np.where(cond, value, 0)


def _dep(g, self):
    """``g``, made to depend on ``self`` in a differentiable backward, as PyTorch's
    ``*_backward(grad, self)`` kernels do (their double backward w.r.t. self is zero)."""
    return g + self * 0 if isinstance(self, Tensor) else g


# ---------------------------------------------------------------- scalar arithmetic
# ATen's Tensor-Scalar overloads (used inside composite C++ ops) have their own nodes.
def _with_scalar(a, other):
    """``a`` and the number ``other`` in the dtype PyTorch computes Tensor-Scalar ops in: an
    integer tensor with a float number goes to the default float dtype."""
    if a.dtype.kind in "biu" and isinstance(other, float):
        from .._dtype import get_default_dtype
        a = a.astype(get_default_dtype().np)
    return a, np.asarray(other, a.dtype)


def _add_scalar_fwd(a, other):
    a, b = _with_scalar(a, other)
    return a + b


def _sub_scalar_fwd(a, other):
    a, b = _with_scalar(a, other)
    return a - b


def _mul_scalar_fwd(a, other):
    a, b = _with_scalar(a, other)
    return a * b


def _div_scalar_fwd(a, other):
    a, b = _with_scalar(a, other)
    return a / b


add_scalar = _prim("add_scalar", _add_scalar_fwd, node="AddBackward1",
                   samples=[sample(T(3, 4), T(3, 4), call=F + "pairwise_distance")],
                   self=lambda grad: grad)
sub_scalar = _prim("sub_scalar", _sub_scalar_fwd, node="SubBackward1",
                   samples=[sample(T(3, 4), T(3, 4), T(3, grad=False, values=[1, -1, -1]), margin=0.2,
                                   call=F + "cosine_embedding_loss")],
                   self=lambda grad: grad)
mul_scalar = _prim("mul_scalar", _mul_scalar_fwd, node="MulBackward1",
                   samples=[sample(T(3, 4), T(3, grad=False, dtype="int64", low=0, high=4),
                                   label_smoothing=0.2, call=F + "cross_entropy")],
                   self=same_as(np.multiply, lambda grad, other: grad * other))
div_scalar = _prim("div_scalar", _div_scalar_fwd, node="DivBackward1",
                   samples=[sample(T(3, 4), T(3, 4, low=0, high=1, grad=False), call=F + "cross_entropy")],
                   self=same_as(np.true_divide, lambda grad, other: grad / other))


clamp_min = _pw.clamp_min_scalar   # (its composites' samples are added below)
clamp_min.spec.samples += [sample(T(3, 4), call=F + "normalize"),
                           sample(T(4), T(4), T(4, grad=False, values=[1., -1, 1, -1]), margin=0.1,
                                  call=F + "margin_ranking_loss", smooth=False)]


# ---------------------------------------------------------------- norms
# at::norm(x, p, dim, keepdim) (used by pairwise_distance) has its own node, NormBackward1;
# its values and derivative (norm_backward) are linalg_vector_norm's, so the same functions.
from .stats import _vector_norm_forward, _norm_backward  # noqa: E402


def _norm_p_fwd(a, ord, dim, keepdim=False):
    if a.size == 0 and math.isinf(ord):
        # +-inf has no identity: only reducing an empty dim is an error (other dims may be empty)
        for d in (dim if dim is not None else range(a.ndim)):
            if a.shape[d] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {ord:g} norm on the dimension {d}because "
                                   "this dimension is empty and the operation does not have an identity")
        return np.sum(a, axis=dim, keepdims=keepdim)
    return _vector_norm_forward(a, ord, dim, keepdim)


norm_p = _prim("norm", _norm_p_fwd, node="NormBackward1",
               samples=[sample(T(3, 4), T(3, 4), p=3.0, call=F + "pairwise_distance")],
               self=_norm_backward)


def _norm(x, p, dim, keepdim, spec=None):
    """``linalg.vector_norm`` over one dim (or ``spec``, e.g. :data:`norm_p`, for ``at::norm``)."""
    dims = (_wrap_dim(dim, x.dim()),) if x.dim() else None
    if spec is None:
        return FUNCTIONS["linalg.vector_norm"](x, float(p), dims, keepdim)
    return spec(x, ord=float(p), dim=dims, keepdim=keepdim)


# ---------------------------------------------------------------- erf (for gelu)
from .unary import erf as _erf  # noqa: E402  (a declared op: takes arrays as well as Tensors)


# ---------------------------------------------------------------- pointwise activations
def _act_samples(path, *extra, away=(), **kw):
    return [sample(T(3, 4, low=-3, high=3, away=away), call=F + path, **kw), sample(T(), call=F + path, **kw),
            sample(T(0, 3), call=F + path, **kw)] + list(extra)


def _relu_fn(input, inplace=False):
    return input.relu_() if inplace else _pw.relu(input)


# hardtanh
def _hardtanh_fwd(a, min_val=-1.0, max_val=1.0):
    # (the input second: kept where it ties with a bound, as -0.0 against 0.0 in PyTorch)
    return np.minimum(np.asarray(max_val, a.dtype), np.maximum(np.asarray(min_val, a.dtype), a))


def _hardtanh_grad(grad, self, min_val=-1.0, max_val=1.0):
    return _dep(_where0((self > min_val) & (self < max_val), grad), self)
hardtanh_ = _prim("hardtanh", _hardtanh_fwd, node="HardtanhBackward0",
                  samples=_act_samples("hardtanh", sample(T(3, 4, low=-3, high=8, away=(0, 6)), call=F + "relu6"),
                                       sample(T(3, 4, away=(-0.5, 1.5)), -0.5, 1.5, call=F + "hardtanh"),
                                       away=(-1, 1)),
                  self=_hardtanh_grad)


def _check_ht(min_val, max_val):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    _check_ht(min_val, max_val)
    kw = {"min_val": min_val, "max_val": max_val}
    return make_inplace(hardtanh_)(input, **kw) if inplace else hardtanh_(input, **kw)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


# leaky_relu
def _leaky_fwd(a, negative_slope=0.01):
    return np.where(a > 0, a, a * np.asarray(negative_slope, a.dtype))


leaky_relu_ = _prim("leaky_relu", _leaky_fwd, node="LeakyReluBackward0",
                    samples=_act_samples("leaky_relu", sample(T(3, 4, away=(0,)), 0.2, call=F + "leaky_relu"),
                                         away=(0,)),
                    self=lambda grad, self, negative_slope=0.01: _dep(
                        np.where(self > 0, grad, grad * negative_slope), self))
leaky_relu_inplace = _prim("leaky_relu_", _leaky_fwd, node="LeakyReluBackward1",
                           samples=[sample(T(3, 4, away=(0,)), call=F + "leaky_relu", prep="clone", inplace=True)],
                           self=lambda grad, result, negative_slope=0.01: _dep(np.where(result > 0, grad,
                                                                                        grad * negative_slope), result))


def leaky_relu(input, negative_slope=0.01, inplace=False):
    _need_float(input, "leaky_relu_cpu")
    if inplace:
        return make_inplace(leaky_relu_inplace)(input, negative_slope=negative_slope)
    return leaky_relu_(input, negative_slope=negative_slope)


# hardshrink / softshrink: zero inside [-lambd, lambd] (NaN passes through)
def _inside(a, lambd):
    return (a >= -lambd) & (a <= lambd)


def _hardshrink_fwd(a, lambd=0.5):
    return np.where(_inside(a, np.asarray(lambd, a.dtype)), np.zeros((), a.dtype), a)


def _softshrink_fwd(a, lambd=0.5):
    lam = np.asarray(lambd, a.dtype)
    # Inside the band PyTorch's vectorized float32 kernel gives x * 0 (-0.2 shrinks to
    # -0.0), its float64 one +0.0; NaN passes through both.
    band = a * np.zeros((), a.dtype)
    return np.where(a > lam, a - lam, np.where(a < -lam, a + lam, band if a.dtype == np.float32 else np.abs(band)))


def _shrink_grad(grad, self, lambd=0.5):
    return _dep(np.where(_inside(self, lambd), 0, grad), self)


hardshrink_ = _prim("hardshrink", _hardshrink_fwd, node="HardshrinkBackward0",
                    samples=_act_samples("hardshrink", sample(T(3, 4, away=(-0.3, 0.3)), 0.3, call=F + "hardshrink"),
                                         sample(T(3, 4), lambd=-1.0, call="Tensor.hardshrink"),
                                         sample(T(values=[-0.5, -0.0, 0.5, 2.0]), call="hardshrink", smooth=False),
                                         away=(-0.5, 0.5)),
                    self=_shrink_grad)
softshrink_ = _prim("softshrink", _softshrink_fwd, node="SoftshrinkBackward0",
                    samples=_act_samples("softshrink", sample(T(3, 4, away=(-1.0, 1.0)), 1.0, call=F + "softshrink"),
                                         sample(T(values=[-0.5, -0.2, -0.0, 0.3, 2.0]), call=F + "softshrink",
                                                smooth=False),
                                         away=(-0.5, 0.5)),
                    self=_shrink_grad)


def hardshrink(input, lambd=0.5):
    """``input`` where ``|input| > lambd``, else 0."""
    _need_float(input, "hardshrink_cpu")
    return hardshrink_(input, lambd=lambd)


def softshrink(input, lambd=0.5):
    """``input`` moved ``lambd`` towards 0, and 0 inside ``[-lambd, lambd]``."""
    _need_float(input, "softshrink_check")
    if isinstance(input, Tensor) and not 0 <= lambd <= np.finfo(input._data.dtype).max:
        limit = np.finfo(input._data.dtype).max
        raise RuntimeError(f"lambda must be in range [0, {limit:g}] for input dtype "
                           f"{_LEGACY[input._data.dtype.name]}, but found {lambd:g}")
    return softshrink_(input, lambd=lambd)


# elu / selu / celu
def _elu_fwd(a, alpha=1.0, scale=1.0, input_scale=1.0):
    # (minimum with the input second keeps -0.0, whose elu is -0.0 in PyTorch)
    neg = np.expm1(np.minimum(0, a) * np.asarray(input_scale, a.dtype)) * np.asarray(alpha * scale, a.dtype)
    return np.where(a > 0, a * np.asarray(scale, a.dtype), neg)


def _elu_grad(grad, self, alpha=1.0, scale=1.0, input_scale=1.0):
    # x <= 0 picks the exponential side, as PyTorch's kernel: a NaN input passes grad * scale
    neg = np.exp(np.where(self > 0, 0, self) * input_scale) * (alpha * scale * input_scale)
    return np.where(self <= 0, grad * neg, grad * scale)


def _elu_grad_result(grad, result, alpha=1.0, scale=1.0, input_scale=1.0):
    return np.where(result > 0, grad * scale, grad * ((result + alpha * scale) * input_scale))


elu_ = _prim("elu", _elu_fwd, node="EluBackward0",
             samples=_act_samples("elu", sample(T(3, 4), 0.5, call=F + "elu"), sample(T(3, 4), call=F + "selu")),
             self=_elu_grad)
elu_inplace = _prim("elu_", _elu_fwd, node="EluBackward1",
                    samples=[sample(T(3, 4), call=F + "elu", prep="clone", inplace=True),
                             sample(T(3, 4), call=F + "selu", prep="clone", inplace=True)],
                    self=_elu_grad_result)
celu_ = _prim("celu", lambda a, alpha=1.0: _elu_fwd(a, alpha, 1.0, 1.0 / alpha), node="CeluBackward0",
              samples=_act_samples("celu", sample(T(3, 4), 0.7, call=F + "celu")),
              self=lambda grad, self, alpha=1.0: _elu_grad(grad, self, alpha, 1.0, 1.0 / alpha))
celu_inplace = _prim("celu_", lambda a, alpha=1.0: _elu_fwd(a, alpha, 1.0, 1.0 / alpha), node="CeluBackward1",
                     samples=[sample(T(3, 4), call=F + "celu", prep="clone", inplace=True)],
                     self=lambda grad, result, alpha=1.0: _elu_grad_result(grad, result, alpha, 1.0, 1.0 / alpha))

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def elu(input, alpha=1.0, inplace=False):
    _need_float(input, "elu_cpu")
    if inplace:
        return make_inplace(elu_inplace)(input, alpha=alpha)
    return elu_(input, alpha=alpha)


def selu(input, inplace=False):
    _need_float(input, "elu_cpu")
    kw = {"alpha": _SELU_ALPHA, "scale": _SELU_SCALE}
    return make_inplace(elu_inplace)(input, **kw) if inplace else elu_(input, **kw)


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    _need_float(input, "elu_cpu")
    if inplace:
        return make_inplace(celu_inplace)(input, alpha=alpha)
    return celu_(input, alpha=alpha)


# gelu
_SQRT1_2 = 1 / math.sqrt(2.0)
_K = math.sqrt(2.0 / math.pi)


def _gelu_fwd(a, approximate="none"):
    if approximate == "tanh":
        inner = np.asarray(_K, a.dtype) * (a + np.asarray(0.044715, a.dtype) * a * a * a)
        return np.asarray(0.5, a.dtype) * a * (1 + np.tanh(inner))
    return a * np.asarray(0.5, a.dtype) * (1 + _erf(a * np.asarray(_SQRT1_2, a.dtype)))


def _gelu_grad(grad, self, approximate="none"):
    if approximate == "tanh":
        x3 = self * self * self
        t = np.tanh(_K * (self + 0.044715 * x3))
        dinner = _K * (1 + 3 * 0.044715 * self * self)
        return grad * (0.5 * (1 + t) + 0.5 * self * (1 - t * t) * dinner)
    cdf = 0.5 * (1 + _erf(self * _SQRT1_2))
    pdf = np.exp(-0.5 * self * self) * (1 / math.sqrt(2 * math.pi))
    return grad * (cdf + self * pdf)


gelu_ = _prim("gelu", _gelu_fwd, node="GeluBackward0",
              samples=_act_samples("gelu", sample(T(3, 4), approximate="tanh", call=F + "gelu"),
                                   sample(T(5, dtype="float32"), call=F + "gelu")),
              self=_gelu_grad)


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _need_float(input, "GeluKernelImpl")
    return gelu_(input, approximate=approximate) if approximate != "none" else gelu_(input)


# silu / mish / softplus
def _silu_fwd(a):
    return a * _pw._sigmoid(a)


def _silu_grad(grad, self):
    s = _sigmoid(self)
    return grad * (s * (1 + self * (1 - s)))


silu_ = _prim("silu", _silu_fwd, node="SiluBackward0", samples=_act_samples("silu"), self=_silu_grad)


def _softplus_fwd(a, beta=1.0, threshold=20.0):
    bx = a * np.asarray(beta, a.dtype)
    return np.where(bx > threshold, a, np.logaddexp(np.asarray(0, a.dtype), bx) / np.asarray(beta, a.dtype))


softplus_ = _prim("softplus", _softplus_fwd, node="SoftplusBackward0",
                  samples=_act_samples("softplus", sample(T(3, 4), beta=2.0, threshold=3.0, call=F + "softplus",
                                                          smooth=False),
                                       sample(T(values=[-100., -30., 0., 30., 100.]), call=F + "softplus")),
                  self=lambda grad, self, beta=1.0, threshold=20.0: np.where(
                      self * beta > threshold, grad, grad * _sigmoid(self * beta)))


def softplus(input, beta=1.0, threshold=20.0):
    _need_float(input, "softplus_cpu")
    return softplus_(input, beta=beta, threshold=threshold)


def _mish_fwd(a):
    return a * np.tanh(np.logaddexp(np.asarray(0, a.dtype), a))


def _mish_grad(grad, self):
    t = np.tanh(softplus_(self))
    return grad * (t + self * _sigmoid(self) * (1 - t * t))


mish_ = _prim("mish", _mish_fwd, node="MishBackward0",
              samples=_act_samples("mish", sample(T(values=[-100., -30., 0., 30., 100.]), call=F + "mish")),
              self=_mish_grad)


def _silu_like(op, kernel):
    def fn(input, inplace=False):
        _need_float(input, kernel)
        return make_inplace(op)(input) if inplace else op(input)
    return fn


silu = _silu_like(silu_, "silu_cpu")
mish = _silu_like(mish_, "mish_cpu")


# hardsigmoid / hardswish
def _hsig_fwd(a):
    return np.minimum(np.maximum(a + 3, 0), 6) / np.asarray(6, a.dtype)


def _no_double_backward(grad):
    raise RuntimeError("derivative for aten::hardsigmoid_backward is not implemented")


# PyTorch has no derivative for hardsigmoid_backward: its node is "NotImplemented".
hardsigmoid_backward = _prim(
    "hardsigmoid_backward", lambda grad, self: np.where((self > -3) & (self < 3), grad / 6, 0).astype(grad.dtype),
    inputs=("grad_output", "self"), node="NotImplemented",
    samples=[sample(T(3, 4, grad=False), T(3, 4, away=(-3, 3), grad=False), call="_nnf_hardsigmoid_backward",
                    smooth=False)],
    # The derivative in grad_output is the op itself (it is linear there): forward AD's
    # transposition needs it. The one in self is PyTorch's missing derivative.
    grad_output=lambda grad, self: hardsigmoid_backward(grad, self), self=_no_double_backward)
hardsigmoid_ = _prim("hardsigmoid", _hsig_fwd, node="HardsigmoidBackward0",
                     samples=[sample(T(3, 4, low=-4, high=4, away=(-3, 3)), call=F + "hardsigmoid", smooth=False),
                              sample(T(), call=F + "hardsigmoid", smooth=False),
                              sample(T(0, 3), call=F + "hardsigmoid", smooth=False)],
                     self=lambda grad, self: hardsigmoid_backward(grad, self))


def _hswish_fwd(a):
    return a * np.minimum(np.maximum(a + 3, 0), 6) / np.asarray(6, a.dtype)


hardswish_ = _prim("hardswish", _hswish_fwd, node="HardswishBackward0",
                   samples=_act_samples("hardswish", sample(T(3, 4, low=-5, high=5, away=(-3, 3)),
                                                            call=F + "hardswish"), away=(-3, 3)),
                   self=lambda grad, self: np.where(self < -3, 0, np.where(self <= 3, grad * (self / 3 + 0.5),
                                                                            grad)))
hardsigmoid = _silu_like(hardsigmoid_, "hardsigmoid_cpu")
hardswish = _silu_like(hardswish_, "hardswish_cpu")


# logsigmoid
def _logsig_fwd(a):
    return np.minimum(a, 0) - np.log1p(np.exp(-np.abs(a)))


logsigmoid_ = _prim("log_sigmoid", _logsig_fwd, node="LogSigmoidBackward0",
                    samples=_act_samples("logsigmoid", sample(T(values=[-200., -30., 0., 30., 200.]),
                                                              call=F + "logsigmoid")),
                    self=lambda grad, self: grad * _sigmoid(-self))


def logsigmoid(input):
    _need_float(input, "log_sigmoid_cpu")
    return logsigmoid_(input)


def softsign(input):
    return input / (input.abs() + 1)


def tanhshrink(input):
    return input - input.tanh()


# threshold
def _threshold_fwd(a, threshold, value):
    return np.where(a <= threshold, np.asarray(value, a.dtype), a)   # a nan stays nan, as in PyTorch


threshold_ = _prim("threshold", _threshold_fwd, node="ThresholdBackward0",
                   samples=[sample(T(3, 4, away=(0.1,)), 0.1, 2.0, call=F + "threshold")],
                   self=lambda grad, self, threshold: _pw.threshold_backward(grad, self, threshold=threshold))
# (in place, the gradient still follows the input as it was: with a value above the
# threshold the result alone cannot tell which elements were replaced)
threshold_inplace = _prim("threshold_", _threshold_fwd, node="ThresholdBackward1",
                          samples=[sample(T(3, 4, away=(0.1,)), 0.1, -1.0, call=F + "threshold", prep="clone",
                                          inplace=True),
                                   sample(T(3, 4, away=(0.1,)), 0.1, 20.0, call=F + "threshold", prep="clone",
                                          inplace=True)],
                          self=lambda grad, self, threshold: _pw.threshold_backward(grad, self, threshold=threshold))


def threshold(input, threshold, value, inplace=False):
    kw = {"threshold": threshold, "value": value}
    return make_inplace(threshold_inplace)(input, **kw) if inplace else threshold_(input, **kw)


# glu
def _halves(a, dim):
    h = a.shape[dim] // 2
    lead = (slice(None),) * dim
    return a[lead + (slice(0, h),)], a[lead + (slice(h, None),)]


def _glu_fwd(a, dim):
    x, g = _halves(a, dim)
    return x * _pw._sigmoid(g)


def _glu_grad(grad, self, dim):
    x, g = _halves(self, dim)
    s = _sigmoid(g)
    return np.concatenate([grad * s, grad * x * s * (1 - s)], axis=dim)


glu_ = _prim("glu", _glu_fwd, node="GluBackward0",
             samples=[sample(T(3, 4), call=F + "glu"), sample(T(4, 3), 0, call=F + "glu"),
                      sample(T(2, 3, 6), dim=-1, call=F + "glu")],
             self=_glu_grad)


def glu(input, dim=-1):
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = _wrap_dim(dim, input.dim())
    _need_float(input, "glu_cpu")
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {input.shape[d]}")
    return glu_(input, dim=d)


# ---------------------------------------------------------------- softmax family
def _softmax_fwd(a, dim):
    if a.ndim == 0:
        return np.ones_like(a) if a == a else a.copy()
    # The max subtracted as it is, as PyTorch: a row holding +inf (or only -inf) is all NaN.
    m = np.max(a, axis=dim, keepdims=True, initial=-np.inf)
    e = np.exp(a - m)
    return e / np.sum(e, axis=dim, keepdims=True)


def _log_softmax_fwd(a, dim):
    if a.ndim == 0:
        return a - a
    m = _max_reduce(a, axis=dim, keepdims=True, initial=-np.inf)   # (as softmax: +inf gives NaN rows)
    s = a - m
    if s.dtype.kind != "f":
        return s - np.log(np.sum(np.exp(s), axis=dim, keepdims=True))
    # The same operations as ``s - log(sum(exp(s)))``, in the temporaries' own memory.
    e = np.exp(s)
    lse = _add_reduce(e, axis=dim, keepdims=True)
    np.log(lse, out=lse)
    return np.subtract(s, lse, out=s)


_max_reduce = np.maximum.reduce
_add_reduce = np.add.reduce


def _log_softmax_grad(grad, result, dim):
    """``grad - exp(result) * sum(grad, dim)``; on arrays (a plain backward) computed in
    the memory of exp(result)."""
    if type(grad) is np.ndarray and type(result) is np.ndarray and result.ndim and grad.shape == result.shape:
        e = np.exp(result)
        if e.dtype == grad.dtype:
            np.multiply(e, _add_reduce(grad, axis=dim, keepdims=True), out=e)
            return np.subtract(grad, e, out=e)
    return grad - np.exp(result) * np.sum(grad, axis=_axis(result, dim), keepdims=True)


def _axis(x, dim):
    return dim if x.ndim else None


_SM_SAMPLES = [sample(T(3, 4), 1), sample(T(3, 4), -1), sample(T(2, 3, 4), 0), sample(T(), 0), sample(T(0, 3), 1),
               sample(T(values=[[1000., 0., -1000.], [-1e4, -1e4, -1e4]]), 1)]

softmax_ = _prim("_softmax", _softmax_fwd, node="SoftmaxBackward0",
                 samples=[sample(*s.args, call=F + "softmax") for s in _SM_SAMPLES] + [
                     sample(T(3, 4), 1, call="softmax"), sample(T(3, 4), 0, call="Tensor.softmax"),
                     sample(T(3, 4), 1, call=F + "softmin"),
                     sample(T(3, 4, dtype="float32"), 1, dtype=None, call=F + "softmax")],
                 self=lambda grad, result, dim: (grad - np.sum(grad * result, axis=_axis(result, dim),
                                                               keepdims=True)) * result)
log_softmax_ = _prim("_log_softmax", _log_softmax_fwd, node="LogSoftmaxBackward0",
                     samples=[sample(*s.args, call=F + "log_softmax") for s in _SM_SAMPLES] + [
                         sample(T(3, 4), 1, call="log_softmax"), sample(T(3, 4), 0, call="Tensor.log_softmax")],
                     self=_log_softmax_grad)


def _get_softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                  "dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _dtype_arg(input, dtype):
    if dtype is not None and input.dtype != dtype:
        input = input.to(dtype)
    return input


def _softmax_call(op, input, dim, dtype):
    input = _dtype_arg(input, dtype)
    _need_float(input, "softmax_lastdim_kernel_impl" if op is softmax_ else "log_softmax_lastdim_kernel_impl")
    return op(input, dim=_wrap_dim(dim, input.dim()))


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _get_softmax_dim("softmax", input.dim(), _stacklevel)
    return _softmax_call(softmax_, input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.dim(), _stacklevel)
    return _softmax_call(log_softmax_, input, dim, dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _get_softmax_dim("softmin", input.dim(), _stacklevel)
    if dtype is None:
        return _softmax_call(softmax_, -input, dim, None)
    return _softmax_call(softmax_, -(_dtype_arg(input, dtype)), dim, None)


def _torch_softmax(input, dim, dtype=None):
    return _softmax_call(softmax_, input, dim, dtype)


def _torch_log_softmax(input, dim, dtype=None):
    return _softmax_call(log_softmax_, input, dim, dtype)


# ---------------------------------------------------------------- normalize / distances
def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    if input._data.dtype.kind != "f":
        from .._tensor import _LEGACY_NAMES
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{_LEGACY_NAMES[input._data.dtype.name]}")
    denom = clamp_min(_norm(input, p, dim, True), min=eps).expand_as(input)
    if out is not None:
        with grad_mode.no_grad():
            res = input / denom
        out._data = res._data.copy() if out._data.shape != res._data.shape else out._data
        np.copyto(out._data, res._data)
        return out
    return input / denom


def _tensor_args(fn, *named):
    """The argument parser's TypeError for a non-tensor where a C++ op takes a Tensor."""
    for i, (name, x) in enumerate(named):
        if x is not None and not isinstance(x, Tensor):
            raise TypeError(f"{fn}(): argument '{name}' (position {i + 1}) must be Tensor, not {type(x).__name__}")


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    _tensor_args("cosine_similarity", ("x1", x1), ("x2", x2))
    from .. import _dtype
    common = _dtype.result_type_of([x1, x2])   # torch.result_type: 0-d tensors weigh less
    if common._category != 2:
        from .._tensor import _LEGACY_NAMES
        raise RuntimeError("expected common dtype to be floating point, yet common dtype is "
                           f"{_LEGACY_NAMES[common.np.name]}")
    # ATen converts integral (and bool) operands to the common dtype; floats stay as they are.
    if x1._data.dtype.kind != "f":
        x1 = x1.to(common)
    if x2._data.dtype.kind != "f":
        x2 = x2.to(common)
    try:
        shape = np.broadcast_shapes(x1._data.shape, x2._data.shape)
    except ValueError:
        from ._declare import broadcast_error
        raise broadcast_error(x1._data, x2._data) from None
    if x1._data.shape != x2._data.shape:   # ATen's expand_outplace expands both
        x1, x2 = x1.expand(shape), x2.expand(shape)
    d = _wrap_dim(dim, len(shape))
    n1 = _norm(x1, 2, d, True).clone()
    n2 = _norm(x2, 2, d, True).clone()
    with grad_mode.no_grad():
        np.maximum(n1._data, eps, out=n1._data)
        np.maximum(n2._data, eps, out=n2._data)
        n1._vc[0] += 1
        n2._vc[0] += 1
    return ((x1 / n1) * (x2 / n2)).sum(d)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    _tensor_args("pairwise_distance", ("x1", x1), ("x2", x2))
    if x1._data.dtype.kind == "b" and x2._data.dtype.kind == "b":
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    out_dim = max(x1.dim(), x2.dim())
    diff = add_scalar(x1 - x2, other=float(eps))
    if diff.dim() == 0:
        return norm_p(diff, ord=float(p), dim=None, keepdim=keepdim)
    return _norm(diff, p, out_dim - 1, keepdim, norm_p)


# ---------------------------------------------------------------- linear / bilinear
from .matrix import addmm as _addmm  # noqa: E402


def linear(input, weight, bias=None):
    if not (isinstance(input, Tensor) and isinstance(weight, Tensor) and (bias is None or isinstance(bias, Tensor))):
        _tensor_args("linear", ("input", input), ("weight", weight), ("bias", bias))
    ndim = input.dim()
    if ndim == 0 or weight.dim() == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {ndim}D and "
                           f"{weight.dim()}D")
    wt = weight.t()
    if bias is not None:
        if ndim == 2:
            return _addmm(bias, input, wt)
        if input.is_contiguous() and bias.dim() == 1:
            lead = tuple(input.shape[:-1])
            flat = input.reshape(-1, input.shape[-1])
            out = _addmm(bias, flat, wt)
            return out.view(*(lead + (out.shape[1],)))
        return input.matmul(wt).add_(bias)
    return input.matmul(wt)


def _trilinear_fwd(i1, w, i2):
    return np.einsum("bi,oij,bj->bo", i1, w, i2)


def _tri(spec, *ops):
    """einsum on arrays; a broadcast product and sum on Tensors (differentiable)."""
    if all(isinstance(o, np.ndarray) for o in ops):
        return np.einsum(spec, *ops)
    return None


def _tri_i1(grad, weight, input2):
    r = _tri("bo,oij,bj->bi", grad, weight, input2)
    if r is not None:
        return r
    t = weight.unsqueeze(0) * input2.unsqueeze(1).unsqueeze(1)      # b o i j
    return (t.sum(-1) * grad.unsqueeze(-1)).sum(1)


def _tri_w(grad, input1, input2):
    r = _tri("bo,bi,bj->oij", grad, input1, input2)
    if r is not None:
        return r
    outer = input1.unsqueeze(2) * input2.unsqueeze(1)              # b i j
    return (grad.unsqueeze(-1).unsqueeze(-1) * outer.unsqueeze(1)).sum(0)


def _tri_i2(grad, weight, input1):
    r = _tri("bo,oij,bi->bj", grad, weight, input1)
    if r is not None:
        return r
    t = weight.unsqueeze(0) * input1.unsqueeze(1).unsqueeze(-1)     # b o i j
    return (t.sum(2) * grad.unsqueeze(-1)).sum(1)


trilinear_ = _prim("_trilinear", _trilinear_fwd, inputs=("input1", "weight", "input2"), node="TrilinearBackward0",
                   samples=[sample(T(3, 4), T(3, 2), T(5, 4, 2), T(5), call=F + "bilinear"),
                            sample(T(2, 3, 4), T(2, 3, 2), T(5, 4, 2), call=F + "bilinear")],
                   input1=_tri_i1, weight=_tri_w, input2=_tri_i2)


def bilinear(input1, input2, weight, bias=None):
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and {input2.dim()}")
    if weight.dim() != 3:
        raise RuntimeError(f"bilinear(): weight must be three-dimensional, but got {weight.dim()}")
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but "
                           f"expected {weight.shape[1]}")
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but "
                           f"expected {weight.shape[2]}")
    out_shape = tuple(input1.shape[:-1]) + (weight.shape[0],)
    a = input1.reshape(-1, input1.shape[-1])
    b = input2.reshape(-1, input2.shape[-1])
    out = trilinear_(a, weight, b).reshape(*out_shape)
    if bias is not None:
        out = out + bias
    return out


# ---------------------------------------------------------------- dropout
def check_dropout_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


_SELU_ALPHA_SCALE = 1.7580993408473766   # -selu's lower bound (alpha * scale)


def dropout_impl(input, p, train, feature=False, alpha=False, inplace=False):
    """ATen's _dropout_impl: one Bernoulli(1 - p) draw per element (per (batch, channel) for
    feature dropout) scaled by 1/(1 - p), or, for alpha dropout, an affine map that keeps
    SELU's mean and variance: x * a*m + a*alpha*(p - (1 - m))."""
    check_dropout_p(p)
    if p == 0 or not train or input.numel() == 0:
        return input
    dt = input._data.dtype
    if p == 1:
        zero = wrap(np.zeros((), dt))
        return input.mul_(zero) if inplace else input * zero
    if feature and input.dim() < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2) if feature else tuple(input.shape)
    from .. import _random
    from .._modes import random_tensor
    noise = random_tensor(lambda sh: _random.bernoulli(1 - p, sh, dtype=dt), shape)
    if not alpha:
        noise = noise / dt.type(1 - p)
        return input.mul_(noise) if inplace else input * noise
    a = 1.0 / math.sqrt((_SELU_ALPHA_SCALE ** 2 * p + 1) * (1 - p))
    b = (noise - 1) * (_SELU_ALPHA_SCALE * a) + _SELU_ALPHA_SCALE * a * p
    noise = noise * a
    out = input.mul_(noise) if inplace else input * noise
    return out.add_(b)


def dropout(input, p=0.5, training=True, inplace=False):
    check_dropout_p(p)
    if training and 0 < p < 1 and input._data.dtype.kind != "f" and input.numel():
        from .._tensor import _LEGACY_NAMES
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{_LEGACY_NAMES[input._data.dtype.name]}")
    return dropout_impl(input, p, training, inplace=inplace)


# ---------------------------------------------------------------- embedding
def _embedding_fwd(weight, indices, padding_idx=-1):
    return weight[indices]


def _embedding_backward_fwd(grad, indices, num_weights, padding_idx):
    out = np.zeros((num_weights,) + grad.shape[indices.ndim:], grad.dtype)
    idx = indices.reshape(-1)
    g = grad.reshape((idx.size,) + grad.shape[indices.ndim:])
    if padding_idx is not None and padding_idx >= 0:
        keep = idx != padding_idx
        idx, g = idx[keep], g[keep]
    np.add.at(out, idx, g)
    return out


def _as_np(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


embedding_backward = _prim(
    "embedding_dense_backward", _embedding_backward_fwd, inputs=("grad_output",),
    node="EmbeddingDenseBackwardBackward0",
    samples=[sample(T(3, 4), indices=np.array([0, 2, 2]), num_weights=4, padding_idx=-1,
                    call="_nnf_embedding_backward")],
    grad_output=lambda grad, indices, padding_idx: _embed_grad_back(grad, indices, padding_idx))


def _embed_grad_back(grad, indices, padding_idx):
    rows = embedding_(grad, wrap(indices)) if isinstance(grad, Tensor) else grad[indices]
    if padding_idx is not None and padding_idx >= 0:
        mask = (indices == padding_idx).reshape(indices.shape + (1,) * (rows.ndim - indices.ndim))
        rows = np.where(mask, 0, rows)
    return rows


embedding_ = _prim("embedding", _embedding_fwd, inputs=("weight", "indices"), node="EmbeddingBackward0",
                   samples=[sample(T(3, dtype="int64", low=0, high=5, grad=False), T(5, 4), call=F + "embedding"),
                            sample(T(2, 3, dtype="int64", low=0, high=5, grad=False), T(5, 4), padding_idx=1,
                                   call=F + "embedding", smooth=False),
                            sample(T(2, 3, dtype="int64", low=0, high=5, grad=False), T(5, 4), padding_idx=-2,
                                   call=F + "embedding", smooth=False)],
                   weight=lambda grad, indices, weight_shape, padding_idx=-1: embedding_backward(
                       grad, indices=_as_np(indices), num_weights=weight_shape[0], padding_idx=padding_idx))


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= weight.shape[0]:
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -weight.shape[0]:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = weight.shape[0] + padding_idx
    else:
        padding_idx = -1
    if input._data.dtype.kind not in "iu":
        from .._tensor import _LEGACY_NAMES
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got torch.{_LEGACY_NAMES[input._data.dtype.name]}Tensor instead "
                           "(while checking arguments for embedding)")
    idx = input._data
    if idx.size and (idx.min() < 0 or idx.max() >= weight.shape[0]):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        rows = np.unique(idx.reshape(-1) % weight.shape[0])
        w = weight._data
        norms = np.linalg.norm(w[rows], ord=norm_type, axis=1) if norm_type != 2 else \
            np.sqrt(np.sum(w[rows] * w[rows], axis=1))
        scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1).astype(w.dtype)
        w[rows] = w[rows] * scale[:, None]
        weight._vc[0] += 1
    return embedding_(weight, input, padding_idx=padding_idx)


def one_hot(tensor, num_classes=-1):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"one_hot(): argument 'input' (position 1) must be Tensor, not {type(tensor).__name__}")
    if not isinstance(tensor, Tensor) or tensor._data.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    refuse_batched("one_hot", tensor)
    a = tensor._data
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(a.max()) + 1
    if a.size:
        if a.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if a.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    return wrap((a[..., None] == np.arange(num_classes)).astype(np.int64))


# Internal backward ops, reachable by the sweep (finite differences only; no torch counterpart).
FUNCTIONS.update(_nnf_embedding_backward=embedding_backward, _nnf_hardsigmoid_backward=hardsigmoid_backward)

# Samples of composites whose nodes are all declared in other modules (addmm, minimum,
# masked_fill, linalg_vector_norm) ride on specs here that the same functions use.
trilinear_.spec.samples += [sample(T(2, 4), T(5, 4), T(5), call=F + "linear"),
                            sample(T(2, 3, 4), T(5, 4), T(5), call=F + "linear"),
                            sample(T(4), T(5, 4), T(5), call=F + "linear"),
                            sample(T(2, 4), T(5, 4), call=F + "linear"),
                            sample(T(2, 3, 4), T(5, 4), call=F + "linear")]
clamp_min.spec.samples += [sample(T(3, 4), T(3, 4), call=F + "cosine_similarity")]

for _name, _fn in dict(
        relu=_relu_fn, relu6=relu6, leaky_relu=leaky_relu, elu=elu, selu=selu, celu=celu, gelu=gelu, silu=silu,
        mish=mish, softplus=softplus, softsign=softsign, hardtanh=hardtanh, hardsigmoid=hardsigmoid,
        hardswish=hardswish, logsigmoid=logsigmoid, tanhshrink=tanhshrink, threshold=threshold, glu=glu,
        softmax=softmax, log_softmax=log_softmax, softmin=softmin, normalize=normalize, linear=linear,
        bilinear=bilinear, dropout=dropout, embedding=embedding, one_hot=one_hot,
        cosine_similarity=cosine_similarity, pairwise_distance=pairwise_distance,
        sigmoid=_pw.sigmoid, tanh=_pw.tanh, hardshrink=hardshrink, softshrink=softshrink).items():
    FUNCTIONS[F + _name] = _fn


def _inplace_form(fn, name):
    """``F.relu_(x, ...)``: ``F.relu(x, ..., inplace=True)``."""
    def inplace(input, *args, **kwargs):
        return fn(input, *args, inplace=True, **kwargs)
    inplace.__name__ = name
    return inplace


for _name, _fn in dict(relu=_relu_fn, elu=elu, selu=selu, celu=celu, leaky_relu=leaky_relu, hardtanh=hardtanh,
                       threshold=threshold).items():
    FUNCTIONS[F + _name + "_"] = _inplace_form(_fn, _name + "_")
FUNCTIONS["hardshrink"] = hardshrink
Tensor.hardshrink = hardshrink

FUNCTIONS.update(softmax=_torch_softmax, log_softmax=_torch_log_softmax, selu=selu, celu=celu,
                 threshold=threshold, cosine_similarity=cosine_similarity, pairwise_distance=pairwise_distance,
                 bilinear=bilinear)
Tensor.softmax = _torch_softmax
Tensor.log_softmax = _torch_log_softmax
