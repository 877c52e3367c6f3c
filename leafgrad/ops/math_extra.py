"""Elementwise math that PyTorch has beyond the rest: gcd and lcm, ldexp, frexp and
nextafter, the modified Bessel function i0 (with i1 for its derivatives), mvlgamma, and
the Cholesky-based cholesky_solve and cholesky_inverse.

gcd and lcm follow ATen's integer kernels, overflow included: Euclid's algorithm on the
absolute values with C's truncating remainder (so gcd(7, INT64_MIN) is -1 and
gcd(0, INT64_MIN) is INT64_MIN), and lcm = |a / gcd * b|, computed in C's int for the
types narrower than int and wrapping around on the cast back, as the kernel does.

ldexp has two routes, as in ATen: a floating input with an integer exponent goes through
std::ldexp in double (exact, the result in the input's dtype); everything else is
``input * pow(2, other)`` in the promoted float dtype.

i0 is Cephes' Chebyshev expansion of exp(-x) I0(x) (the published coefficients), evaluated
as ATen's compiled kernel does: Clenshaw steps ``fma(y, b1, -b2) + c`` in the input's
dtype (the fused multiply-add emulated exactly with Dekker's product) and the C library's
exp; float64 results are bit-identical to PyTorch's, float32 within 2 ulp.

i1 (NumPy has only i0) is computed in float64 by its power series
sum (x/2)^(2k+1) / (k! (k+1)!) for |x| <= 30 (positive terms: no cancellation) and by
its asymptotic expansion e^x / sqrt(2 pi x) sum_k (-1)^k a_k(1) / x^k beyond, where both
agree with mpmath to a few ulp of float64; float32 and float16 round from float64 (and
overflow where PyTorch's exp(|x|) factor does).
"""
import math
import warnings

import numpy as np

from ._declare import FUNCTIONS, declare, make_inplace, _cast_check
from ._samples import T, sample
from .. import _dtype
from .._tensor import Tensor, _LEGACY_NAMES
from ..autograd import grad_mode
from .pointwise import fused_multiply_add, pow_base
from .binary import _check_tensors, _type_error
from .compare import zeros_like_grad
from .activation import mul_scalar as _mul_scalar
from .stats import _write_out
from .unary import _with_out

_state = grad_mode.state
_LN2 = math.log(2.0)


def _not_implemented(kernel, dtype):
    return NotImplementedError(f"\"{kernel}\" not implemented for '{_LEGACY_NAMES[np.dtype(dtype).name]}'")


def _binary_api(name, fn, out_rule="cast", inplace_check=None):
    """Function (with ``out=``), method and in-place method of a tensor-tensor op."""
    def public(input, other, *, out=None):
        _check_tensors(name, input, other)
        if out is None:
            return fn(input, other)
        if _state.enabled and (input._requires_grad or other._requires_grad):
            raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                               "differentiation, but one of the arguments requires grad.")
        with grad_mode.no_grad():
            result = fn(input, other)
        if out_rule is not None and isinstance(out, Tensor):
            out_rule(result, out)
        return _write_out(out, result, name, None if out_rule is not None else "cast")

    def method(self, other):
        _check_tensors(name, self, other, method=True)
        return fn(self, other)

    inplace = make_inplace(method)

    def inplace_method(self, other):
        _check_tensors(name + "_", self, other, method=True)
        if inplace_check is not None:
            inplace_check(self, other)
        return inplace(self, other)

    public.__name__ = public.__qualname__ = name
    method.__name__ = method.__qualname__ = name
    inplace_method.__name__ = inplace_method.__qualname__ = name + "_"
    FUNCTIONS[name] = public
    setattr(Tensor, name, method)
    setattr(Tensor, name + "_", inplace_method)
    return public


def _cast_rule(result, out):
    _cast_check(result._data.dtype, out._data.dtype)


# ====================================================================== gcd, lcm
def _gcd_arrays(a, b):
    """ATen's calc_gcd, elementwise, in the arrays' (common integer) dtype."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        a, b = np.broadcast_arrays(np.abs(a), np.abs(b))   # abs(INT_MIN) stays INT_MIN, as in C
        a = a.copy()
        b = b.copy()
        live = a != 0
        while live.any():
            x, y = a[live], b[live]
            r = np.fmod(y, x)             # C's truncating remainder (x != 0 here)
            a[live] = r
            b[live] = x
            live = a != 0
    return b


def _check_integral(kernel, a):
    if a.dtype.kind not in "iu":
        raise _not_implemented(kernel, a.dtype)


def _gcd_forward(a, b):
    a, b = np.asarray(a), np.asarray(b)
    _check_integral("gcd_cpu", a)
    return _gcd_arrays(a, b)


def _lcm_forward(a, b):
    a, b = np.asarray(a), np.asarray(b)
    _check_integral("lcm_cpu", a)
    g = _gcd_arrays(a, b)
    dt = g.dtype
    zero = g == 0
    # C++ computes types narrower than int in int: |a / g * b| there, then wraps on the cast
    wide = np.int64 if dt.itemsize < 4 else dt
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        gw = np.where(zero, 1, g).astype(wide)
        q = np.floor_divide(np.asarray(a).astype(wide), gw)   # exact: g divides a
        res = np.abs(q * np.asarray(b).astype(wide))
    return np.where(zero, 0, res).astype(dt)


def _int_samples(name):
    i = dict(dtype="int64")
    return [sample(T(3, 4, low=-30, high=30, **i), T(3, 4, low=-30, high=30, **i), call=name, smooth=False),
            sample(T(3, 1, low=-30, high=30, **i), T(4, low=-30, high=30, **i), call=name, smooth=False),
            sample(T(values=[0, 0, 12, -18, 7, -2 ** 63, -2 ** 63, 2 ** 62], **i),
                   T(values=[0, -5, -8, 4, -2 ** 63, 0, -2 ** 63, 6], **i), call=name, smooth=False),
            sample(T(values=12, **i), T(4, low=-9, high=9, **i), call="Tensor." + name, smooth=False),
            sample(T(0, 3, **i), T(3, **i), call=name, smooth=False),
            sample(T(4, low=-100, high=100, dtype="int8"), T(4, low=-100, high=100, dtype="int32"), call=name,
                   smooth=False),
            sample(T(4, low=0, high=250, dtype="uint8"), T(4, low=0, high=250, dtype="uint8"), call=name,
                   smooth=False),
            sample(T(4, low=-100, high=100, dtype="int16"), T(values=6, dtype="int16"), call=name, smooth=False)]


_gcd = declare("gcd", _gcd_forward, inputs=("self", "other"), promote="common", public=False,
               samples=_int_samples("gcd"))
_lcm = declare("lcm", _lcm_forward, inputs=("self", "other"), promote="common", public=False,
               samples=_int_samples("lcm"))
def _int_inplace_check(self, other):
    # the cast to self's dtype is checked before the kernel's dtype check
    _cast_check(_dtype.result_type_of([self, other]).np, self._data.dtype)


gcd = _binary_api("gcd", _gcd, out_rule=_cast_rule, inplace_check=_int_inplace_check)
lcm = _binary_api("lcm", _lcm, out_rule=_cast_rule, inplace_check=_int_inplace_check)


# ====================================================================== ldexp
def _ldexp_dtype(x, e):
    """Result dtype of ``x * pow(2, e)``: pow gives e's float dtype (the default float
    for integer/bool e), then the product promotes as PyTorch does (a 0-d operand
    counts only when its category is higher)."""
    if x.dtype.kind == "f" and e.dtype.kind in "iu":
        return x.dtype
    p = e.dtype if e.dtype.kind == "f" else _dtype.get_default_dtype().np
    if x.dtype.kind != "f":
        return p
    if (x.ndim == 0) == (e.ndim == 0):
        return np.promote_types(x.dtype, p)
    return x.dtype if x.ndim else p


def _ldexp_forward(x, e):
    x, e = np.asarray(x), np.asarray(e)
    if x.dtype.kind == "f":
        if e.dtype.kind == "b":
            raise _not_implemented("ldexp_cpu_exp", e.dtype)
        if e.dtype.kind in "iu":
            # ATen's kernel: std::ldexp in double with an int exponent, rounded to x's dtype
            shape = np.broadcast_shapes(x.shape, e.shape)
            if shape != x.shape and x.size:
                warnings.warn(
                    f"An output with one or more elements was resized since it had shape {list(x.shape)}, "
                    f"which does not match the required output shape {list(shape)}. This behavior is deprecated, "
                    "and in a future PyTorch release outputs will not be resized unless they have zero elements. "
                    "You can explicitly reuse an out tensor t by resizing it, inplace, to zero elements with "
                    "t.resize_(0).", UserWarning, stacklevel=5)
            ei = e.astype(np.int32)   # (C++'s int64 -> int conversion wraps around, so does this)
            with np.errstate(over="ignore", under="ignore"):
                return np.ldexp(x.astype(np.float64), ei).astype(x.dtype, copy=False)
    target = _ldexp_dtype(x, e)
    pdt = e.dtype if e.dtype.kind == "f" else _dtype.get_default_dtype().np
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        p = np.power(pdt.type(2), e.astype(pdt, copy=False))
        return (x.astype(target, copy=False) * p.astype(target, copy=False)).astype(target, copy=False)


def _ldexp_self_grad(grad, other):
    e = other._data if isinstance(other, Tensor) else np.asarray(other)
    if e.dtype.kind == "f":
        g = grad * pow_base(other, base=2)
        return g if isinstance(g, Tensor) else np.asarray(g)
    # pow(2, integer) stays integer in PyTorch: 0 for negative exponents, wrapping around
    with np.errstate(over="ignore"):
        p = np.power(np.int64(2), np.maximum(e, 0).astype(np.int64))
    g = grad * np.where(e < 0, np.int64(0), p)
    return g if isinstance(g, Tensor) else np.asarray(g)


_ldexp = declare(
    "ldexp", _ldexp_forward, inputs=("self", "other"), public=False,
    samples=[sample(T(3, 4), T(3, 4), call="ldexp"), sample(T(3, 1), T(4, low=-4, high=4), call="ldexp"),
             # an integer exponent: PyTorch's gradient is grad * pow(2, other) in integers,
             # 0 for negative exponents (unlike the finite differences)
             sample(T(3, 4), T(3, 4, low=-6, high=6, dtype="int64"), call="ldexp", smooth=False),
             sample(T(3, 4), T(3, 4, low=0, high=6, dtype="int64"), call="ldexp"),
             sample(T(4, dtype="float32"), T(4, low=-6, high=6, dtype="int32"), call="Tensor.ldexp", smooth=False),
             sample(T(3, dtype="float32"), T(3), call="ldexp"),
             sample(T(), T(3), call="ldexp"),
             sample(T(3, low=-5, high=5, dtype="int64"), T(3, low=-3, high=3, dtype="int64"), call="ldexp"),
             sample(T(2, 3, low=-5, high=5, dtype="int32"), T(3), call="ldexp"),
             sample(T(0, 3), T(3, low=-2, high=2, dtype="int64"), call="ldexp"),
             sample(T(values=[1.5, -3.0, 0.75, 2.0]), T(values=[-1074, 1023, 1024, -1080], dtype="int64"), call="ldexp",
                    smooth=False),
             sample(T(values=[1.5, 3.5, 3.5], dtype="float32"), T(values=[-149, -150, 128], dtype="int64"),
                    call="ldexp", smooth=False)],
    self=_ldexp_self_grad,
    other=lambda grad, result: _mul_scalar(grad * result, other=_LN2))   # MulBackward1 on top, as in torch


def _ldexp_inplace_check(self, other):
    if self._data.dtype.kind != "f":
        raise RuntimeError(f"ldexp can't be cast to the desired output type {_LEGACY_NAMES[self._data.dtype.name]}")


def _ldexp_out_rule(result, out):
    if out._data.dtype.kind != "f":
        raise RuntimeError(f"ldexp can't be cast to the desired output type {_LEGACY_NAMES[out._data.dtype.name]}")


ldexp = _binary_api("ldexp", _ldexp, out_rule=_ldexp_out_rule, inplace_check=_ldexp_inplace_check)


# ====================================================================== frexp
def _frexp_forward(a):
    if a.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    m, e = np.frexp(a)
    return m, e.astype(np.int32, copy=False)


def _frexp_grad(grads, exponent):
    """PyTorch's ``grad / exponent.exp2()``: exp2 of the int32 exponent in the default
    float dtype (so 2^-996 is 0 in float32 and the gradient inf, as in PyTorch)."""
    e = np.asarray(exponent._data if isinstance(exponent, Tensor) else exponent)
    with np.errstate(over="ignore", divide="ignore"):
        p = np.exp2(e.astype(_dtype.get_default_dtype().np))
        g = grads[0] / p
    return g if isinstance(g, Tensor) else np.asarray(g)


_frexp = declare(
    "frexp", _frexp_forward, outputs=("mantissa", "exponent"), public=False,
    samples=[sample(T(3, 4), call="frexp", smooth=False), sample(T(low=-40, high=40), call="frexp", smooth=False),
             sample(T(5, dtype="float32", low=-100, high=100), call="Tensor.frexp", smooth=False),
             sample(T(0, 2), call="frexp", smooth=False),
             sample(T(values=[0.0, -0.0, 1e-310, 5e-324, float("inf"), float("nan"), -3.5]), call="frexp",
                    smooth=False),
             sample(T(values=[1e-300, 1e-40, 3e38, 1e300]), call="frexp", smooth=False)],
    self=_frexp_grad)


def frexp(input, *, out=None):
    if not isinstance(input, Tensor):
        raise TypeError(f"frexp(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if out is None:
        return _return_frexp(_frexp(input))
    if input._data.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    m, e = out
    if m._data.dtype != input._data.dtype:
        raise RuntimeError(f"torch.frexp() expects mantissa to have dtype {_C_NAME[input._data.dtype.name]} "
                           f"but got {_C_NAME[m._data.dtype.name]}")
    if e._data.dtype != np.int32:
        raise RuntimeError(f"torch.frexp() expects exponent to have int dtype but got {_C_NAME[e._data.dtype.name]}")
    if _state.enabled and input._requires_grad:
        raise RuntimeError("frexp(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    with grad_mode.no_grad():
        res = _return_frexp(_frexp(input))
    return _write_out(tuple(out), res, "frexp")


_C_NAME = {"float16": "c10::Half", "float32": "float", "float64": "double", "int8": "signed char",
           "uint8": "unsigned char", "int16": "short int", "int32": "int", "int64": "long int", "bool": "bool"}


def _return_frexp(res):
    from ..return_types import return_type
    return return_type("frexp", ("mantissa", "exponent"))(res)


FUNCTIONS["frexp"] = frexp
Tensor.frexp = lambda self: frexp(self)


# ====================================================================== nextafter
def _nextafter_forward(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind != "f":
        raise _not_implemented("nextafter_cpu", a.dtype)
    return np.nextafter(a, b)


_nextafter = declare(
    "nextafter", _nextafter_forward, inputs=("self", "other"), promote="common", public=False,
    samples=[sample(T(3, 4), T(3, 4), call="nextafter", smooth=False),
             sample(T(3, 1), T(4), call="Tensor.nextafter", smooth=False),
             sample(T(3, dtype="float32"), T(3, dtype="float32"), call="nextafter", smooth=False),
             sample(T(3, dtype="float32"), T(3), call="nextafter", smooth=False),
             sample(T(values=[0.0, -0.0, float("nan"), 1.0, float("inf")]),
                    T(values=[-0.0, 0.0, 1.0, float("nan"), 0.0]), call="nextafter", smooth=False)],
    self=lambda grad, self, other: np.where(self == other, 0, grad),
    other=lambda grad: zeros_like_grad(grad))
nextafter = _binary_api("nextafter", _nextafter, out_rule=_cast_rule)


# ====================================================================== i0, i1
# Chebyshev coefficients of exp(-x) I0(x) (Cephes, as in PyTorch's calc_i0): A on [0, 8]
# in y = x/2 - 2, B on (8, inf) in y = 32/x - 2 (times sqrt(x)).
_I0_A = (-4.4153416464793395e-18, 3.3307945188222384e-17, -2.431279846547955e-16, 1.715391285555133e-15,
         -1.1685332877993451e-14, 7.676185498604936e-14, -4.856446783111929e-13, 2.95505266312964e-12,
         -1.726826291441556e-11, 9.675809035373237e-11, -5.189795601635263e-10, 2.6598237246823866e-09,
         -1.300025009986248e-08, 6.046995022541919e-08, -2.670793853940612e-07, 1.1173875391201037e-06,
         -4.4167383584587505e-06, 1.6448448070728896e-05, -5.754195010082104e-05, 0.00018850288509584165,
         -0.0005763755745385824, 0.0016394756169413357, -0.004324309995050576, 0.010546460394594998,
         -0.02373741480589947, 0.04930528423967071, -0.09490109704804764, 0.17162090152220877,
         -0.3046826723431984, 0.6767952744094761)
_I0_B = (-7.233180487874754e-18, -4.830504485944182e-18, 4.46562142029676e-17, 3.461222867697461e-17,
         -2.8276239805165836e-16, -3.425485619677219e-16, 1.7725601330565263e-15, 3.8116806693526224e-15,
         -9.554846698828307e-15, -4.150569347287222e-14, 1.54008621752141e-14, 3.8527783827421426e-13,
         7.180124451383666e-13, -1.7941785315068062e-12, -1.3215811840447713e-11, -3.1499165279632416e-11,
         1.1889147107846439e-11, 4.94060238822497e-10, 3.3962320257083865e-09, 2.266668990498178e-08,
         2.0489185894690638e-07, 2.8913705208347567e-06, 6.889758346916825e-05, 0.0033691164782556943,
         0.8044904110141088)


def _chbevl(y, coeffs, dt):
    """Clenshaw's recurrence for a Chebyshev series in the dtype ``dt``, each step
    ``fma(y, b1, -b2) + c`` as ATen's compiled chbevl computes it."""
    b0 = np.full_like(y, coeffs[0])
    b1 = np.zeros_like(y)
    b2 = b1
    wide = dt == np.float32
    y64 = y.astype(np.float64)
    for v in coeffs[1:]:
        b2 = b1
        b1 = b0
        if wide:   # a float32 product is exact in float64: one rounding to float32
            f = (y64 * b1.astype(np.float64) - b2.astype(np.float64)).astype(np.float32)
        else:
            f = fused_multiply_add(y, b1, -b2)
        b0 = f + dt.type(v)
    return dt.type(0.5) * (b0 - b2)


_exp_obj = np.frompyfunc(math.exp, 1, 1)


def _libm_exp(x):
    """exp as the C library computes it (float64: ``math.exp``; float32: rounded from
    float64, as a correctly rounded expf)."""
    if x.dtype == np.float32:
        with np.errstate(over="ignore"):
            return np.exp(x.astype(np.float64)).astype(np.float32)
    flat = x.reshape(-1)
    out = np.empty(flat.shape, np.float64)
    fin = flat <= 709.782712893384   # (math.exp raises beyond: the result overflows)
    out[~fin] = np.inf
    out[fin] = _exp_obj(flat[fin]).astype(np.float64)
    return out.reshape(x.shape)


def _i0_forward(a, scaled=False):
    """Cephes' calc_i0 in a's dtype, as ATen runs it (``scaled``: calc_i0e, i0(x) exp(-|x|),
    the same Chebyshev series without the exponential)."""
    dt = a.dtype
    if dt == np.float16:
        return _i0_forward(a.astype(np.float32), scaled).astype(np.float16)
    x = np.abs(a)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        small = x <= 8
        xs = np.where(small, x, dt.type(0))
        xb = np.where(small | np.isnan(x), dt.type(8), x)
        lo = _chbevl(xs / dt.type(2) - dt.type(2), _I0_A, dt)
        hi = _chbevl(dt.type(32) / xb - dt.type(2), _I0_B, dt)
        if not scaled:
            lo, hi = _libm_exp(xs) * lo, _libm_exp(xb) * hi
        hi = hi / np.sqrt(xb)
        return np.where(small, lo, np.where(np.isnan(x), x, hi)).astype(dt, copy=False)


_I1_SERIES_END = 30.0


def _i1_64(x):
    """I1 of a float64 array (see the module docstring)."""
    x = np.asarray(x, np.float64)
    a = np.abs(x)
    small = a <= _I1_SERIES_END
    out = np.empty_like(a)
    s = a[small]
    if s.size:
        h = s * 0.5
        q = h * h
        term = h.copy()
        acc = h.copy()
        for k in range(1, 90):
            term = term * q / (k * (k + 1))
            acc = acc + term
        out[small] = acc
    big = ~small
    b = a[big]
    if b.size:
        with np.errstate(over="ignore", invalid="ignore"):
            acc = np.ones_like(b)
            term = np.ones_like(b)
            for k in range(1, 30):
                term = term * -(4.0 - (2 * k - 1) ** 2) / (k * 8.0 * b)
                acc = acc + term
            half = np.exp(b * 0.5)
            out[big] = half * (half / np.sqrt(2 * np.pi * b)) * acc
    out = np.where(np.isnan(x), x, out)
    return np.copysign(out, x)


def _i1_backward(grad, self, result):
    """PyTorch's i1_backward: i0(x) - i1(x)/x, taken as 1/2 where |x| <= eps."""
    dt = (self._data if isinstance(self, Tensor) else np.asarray(self)).dtype
    eps = float(np.finfo(dt).eps)
    ok = np.abs(self._data if isinstance(self, Tensor) else self) > eps
    safe = np.where(ok, self, eps)
    gradx = i0(safe) - result * np.reciprocal(safe)
    return grad * np.where(ok, gradx, 0.5)


_I0_SAMPLES = [sample(T(3, 4, low=-4, high=4)), sample(T(low=-3, high=3)), sample(T(0, 3)),
               sample(T(5, low=-12, high=12)), sample(T(4, low=-15, high=15)),
               sample(T(5, dtype="float32", low=-10, high=10)),
               sample(T(4, low=-5, high=5, dtype="int64"), smooth=False),
               sample(T(values=[0.0, -0.0, 1e-20, 7.999, 8.0, 8.001, float("inf"), -float("inf"), float("nan")]),
                      smooth=False),
               sample(T(values=[0.0, 1e-9, -8.0, 88.0, 90.0, 100.0], dtype="float32"), smooth=False),
               sample(T(3, low=-3, high=3), call="Tensor.i0")]

def _i1_forward(a):
    """i1 rounded from float64; infinite where PyTorch's kernel overflows (its
    exp(|x|) factor exceeds the dtype's range, though I1 itself would not yet)."""
    r = _i1_64(a).astype(a.dtype)
    top = math.log(float(np.finfo(np.float32 if a.dtype == np.float16 else a.dtype).max))
    big = np.where(np.isinf(a), np.nan, np.copysign(np.inf, a)).astype(a.dtype)   # (inf / inf at +-inf)
    return np.where(np.abs(a) > top, big, r).astype(a.dtype, copy=False)


special_i1 = declare("special_i1", _i1_forward, promote="float", public=False, node="SpecialI1Backward0",
                     samples=[sample(T(3, 4, low=-4, high=4), call="i0"),
                              sample(T(values=[0.0, 1e-20, -2.5, 35.0]), call="i0", smooth=False)],
                     self=_i1_backward)
_i0 = declare("i0", _i0_forward, promote="float", public=False, node="I0Backward0", samples=_I0_SAMPLES,
              self=lambda grad, self: grad * special_i1(self))
i0 = _with_out(_i0, name="i0")
FUNCTIONS["i0"] = i0
Tensor.i0 = _i0
Tensor.i0_ = make_inplace(_i0)


# ====================================================================== mvlgamma
_LOG_PI = math.log(math.pi)


def _mvlgamma_args(dt, p):
    """-(p-1)/2, ..., -1/2, 0: what ATen adds to ``self.unsqueeze(-1)``."""
    return np.arange(-p * 0.5 + 0.5, 0.5, 0.5).astype(dt)


def _mvlgamma_forward(a, p):
    from .extra import lgamma64
    args = np.expand_dims(a, -1) + _mvlgamma_args(a.dtype, p)
    lg = lgamma64(args).astype(a.dtype, copy=False)
    return np.asarray(np.sum(lg, axis=-1) + a.dtype.type(p * (p - 1) * _LOG_PI * 0.25))


def _mvlgamma_grad(grad, self, p):
    from .extra import digamma
    if isinstance(self, Tensor):
        args = self.unsqueeze(-1) + _mvlgamma_args(self._data.dtype, p)
        return grad * digamma(args).sum(-1)
    args = np.expand_dims(self, -1) + _mvlgamma_args(self.dtype, p)
    return grad * np.sum(digamma(args), axis=-1)


_mvlgamma = declare(
    "mvlgamma", _mvlgamma_forward, promote="float", public=False,
    samples=[sample(T(3, 4, low=2.0, high=5.0), 3, call="mvlgamma"), sample(T(low=1.5, high=4.0), p=2, call="mvlgamma"),
             sample(T(5, low=0.6, high=3.0), 1, call="mvlgamma"), sample(T(0, 2, low=3, high=4), 4, call="mvlgamma"),
             sample(T(4, low=3.0, high=6.0, dtype="float32"), 2, call="Tensor.mvlgamma"),
             sample(T(4, low=3, high=9, dtype="int64"), 5, call="mvlgamma"),
             # below (p-1)/2: PyTorch 2.13 no longer refuses, lgamma of negative arguments
             sample(T(values=[0.9, 1.3, 2.0, 7.25]), 3, call="mvlgamma", smooth=False),
             sample(T(values=[0.0, -1.0, 3.0, float("inf"), float("nan")]), 2, call="mvlgamma", smooth=False)],
    self=_mvlgamma_grad)


def _check_p(p, pos=2):
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)):
        raise TypeError(f"mvlgamma(): argument 'p' (position {pos}) must be int, not {type(p).__name__}")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")


def _check_mvlgamma_input(input):
    if input._data.dtype.kind == "b":
        raise RuntimeError("The input tensor may not be a boolean tensor.")


def _mvlgamma_cast_error(input):
    dt = input._data.dtype
    res = dt if dt.kind == "f" else _dtype.get_default_dtype().np
    return RuntimeError(f"mvlgamma: result type {_LEGACY_NAMES[dt.name]} can't be cast to the desired output type "
                        f"{_LEGACY_NAMES[np.dtype(res).name]}")


def mvlgamma(input, p=None, *, out=None):
    if not isinstance(input, Tensor):
        raise TypeError(f"mvlgamma(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if p is None:
        raise TypeError('mvlgamma() missing 1 required positional arguments: "p"')
    _check_p(p)
    _check_mvlgamma_input(input)
    if out is None:
        return _mvlgamma(input, p=int(p))
    if not isinstance(out, Tensor):
        raise TypeError(f"mvlgamma(): argument 'out' must be Tensor, not {type(out).__name__}")
    if out._data.dtype.kind != "f":
        raise _mvlgamma_cast_error(input)
    if _state.enabled and input._requires_grad:
        raise RuntimeError("mvlgamma(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    with grad_mode.no_grad():
        res = _mvlgamma(input, p=int(p))
    return _write_out(out, res, "mvlgamma")


def _mvlgamma_method(self, p=None):
    if p is None:
        raise TypeError('mvlgamma() missing 1 required positional arguments: "p"')
    _check_p(p, 1)
    return mvlgamma(self, p)


_mvlgamma_inplace = make_inplace(_mvlgamma_method)


def _mvlgamma_inplace_method(self, p=None):
    if p is None:
        raise TypeError('mvlgamma_() missing 1 required positional arguments: "p"')
    _check_p(p, 1)
    _check_mvlgamma_input(self)
    if self._data.dtype.kind != "f":
        raise _mvlgamma_cast_error(self)
    return _mvlgamma_inplace(self, p)


_mvlgamma_inplace_method.__name__ = "mvlgamma_"
FUNCTIONS["mvlgamma"] = mvlgamma
Tensor.mvlgamma = _mvlgamma_method
Tensor.mvlgamma_ = _mvlgamma_inplace_method


# ====================================================================== cholesky_solve, cholesky_inverse
def _lin():
    from . import decomp
    return decomp


def _cholesky_solve_forward(b, a, upper=False):
    d = _lin()
    if a.dtype.kind != "f" or a.dtype == np.float16:
        raise _not_implemented("cholesky_solve_cpu", a.dtype)
    # A = L L^T (or U^T U): two triangular solves, reading only L's (U's) triangle
    with np.errstate(all="ignore"):
        if upper:
            y = d._solve_triangular_forward(np.swapaxes(a, -1, -2), b, upper=False)
            x = d._solve_triangular_forward(a, y, upper=True)
        else:
            y = d._solve_triangular_forward(a, b, upper=False)
            x = d._solve_triangular_forward(np.swapaxes(a, -1, -2), y, upper=True)
    shape = np.broadcast_shapes(b.shape[:-2], a.shape[:-2]) + b.shape[-2:]
    return np.ascontiguousarray(np.broadcast_to(x, shape)).astype(a.dtype, copy=False)


def _cholesky_solve_grads(grad, input2, result, upper=False):
    from .matrix import mT
    g_self = _cholesky_solve(grad, input2, upper=upper)
    common = g_self @ mT(result)
    common = common + mT(common)
    g_input2 = -(input2 @ common) if upper else -(common @ input2)
    return g_self, g_input2


_SPD_L3 = [[2.0, 0.0, 0.0], [0.5, 1.5, 0.0], [-0.3, 0.4, 1.2]]
_SPD_U3 = np.array(_SPD_L3).T.tolist()
_SPD_LB = [[[1.5, 0.0], [0.4, 0.9]], [[2.0, 0.0], [-0.6, 1.1]]]

_cholesky_solve = declare(
    "cholesky_solve", _cholesky_solve_forward, inputs=("self", "input2"), public=False,
    # L's gradient is PyTorch's full-matrix formula while only L's triangle is read:
    # finite differences run with L not requiring grad (the first two samples)
    samples=[sample(T(3, 2), T(3, 3, values=_SPD_L3, grad=False), call="cholesky_solve"),
             sample(T(2, 3, 4), T(3, 3, values=_SPD_U3, grad=False), True, call="cholesky_solve"),
             sample(T(3, 2), T(3, 3, values=_SPD_L3), call="cholesky_solve", smooth=False),
             sample(T(3, 2), T(3, 3, values=_SPD_U3), upper=True, call="cholesky_solve", smooth=False),
             sample(T(2, 1, 2, 3), T(2, 2, 2, values=_SPD_LB), call="cholesky_solve", smooth=False),
             sample(T(3, 1), T(3, 3, values=_SPD_L3), call="Tensor.cholesky_solve", smooth=False),
             sample(T(3, 2, dtype="float32"), T(3, 3, values=_SPD_L3, dtype="float32"), call="cholesky_solve",
                    smooth=False),
             sample(T(0, 3, 2), T(3, 3, values=_SPD_L3), call="cholesky_solve", smooth=False),
             sample(T(3, 0), T(3, 3, values=_SPD_L3), call="cholesky_solve", smooth=False)])
_cholesky_solve.spec.formulas[("self", "input2")] = _cholesky_solve_grads


def _safe_cast_check(name, result, out):
    r, o = result._data.dtype, out._data.dtype
    if r != o and not np.can_cast(r, o, "same_kind"):
        raise RuntimeError(f"{name}: Expected result to be safely castable from {_LEGACY_NAMES[r.name]} dtype, "
                           f"but got result with dtype {_LEGACY_NAMES[o.name]}")


def _linalg_out(name, compute, inputs, out):
    if out is None:
        return compute()
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if _state.enabled and any(x._requires_grad for x in inputs):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    with grad_mode.no_grad():
        res = compute()
    _safe_cast_check(name, res, out)
    return _write_out(out, res, name)


def cholesky_solve(input, input2, upper=False, *, out=None):
    if not isinstance(input, Tensor):
        raise _type_error("cholesky_solve", "input", 1, input)
    if not isinstance(input2, Tensor):
        raise _type_error("cholesky_solve", "input2", 2, input2)
    b, a = input._data, input2._data
    if b.ndim < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {b.ndim} dimensions instead")
    if a.ndim < 2:
        raise RuntimeError(f"u should have at least 2 dimensions, but has {a.ndim} dimensions instead")
    if b.dtype != a.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type {_LEGACY_NAMES[b.dtype.name]}"
                           f" and A of type {_LEGACY_NAMES[a.dtype.name]} instead.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"A must be batches of square matrices, but they are {a.shape[-2]} by {a.shape[-1]} "
                           "matrices")
    if a.shape[-1] != b.shape[-2]:
        raise RuntimeError(f"Incompatible matrix sizes for cholesky_solve: each A matrix is {a.shape[-2]} by "
                           f"{a.shape[-1]} but each b matrix is {b.shape[-2]} by {b.shape[-1]}")
    try:
        np.broadcast_shapes(b.shape[:-2], a.shape[:-2])
    except ValueError:
        from ._declare import broadcast_error
        raise broadcast_error(b[..., 0, 0], a[..., 0, 0]) from None
    return _linalg_out("cholesky_solve", lambda: _cholesky_solve(input, input2, upper=bool(upper)),
                       (input, input2), out)


def _cholesky_solve_method(self, input2, upper=False):
    if not isinstance(input2, Tensor):
        raise _type_error("cholesky_solve", "input2", 1, input2)
    return cholesky_solve(self, input2, upper)


FUNCTIONS["cholesky_solve"] = cholesky_solve
Tensor.cholesky_solve = _cholesky_solve_method


def _cholesky_inverse_forward(a, upper=False):
    d = _lin()
    if a.dtype.kind != "f" or a.dtype == np.float16:
        raise _not_implemented("cholesky_inverse_out_cpu", a.dtype)
    n = a.shape[-1]
    diag = np.diagonal(a, axis1=-2, axis2=-1)
    zero = (diag == 0).reshape(-1, n) if n else np.zeros((0, 0), bool)
    for i, row in enumerate(zero):
        if row.any():
            raise d._LinAlgError(f"cholesky_inverse: {d._batch_prefix(a, i)}The diagonal element "
                                 f"{int(np.argmax(row)) + 1} is zero, the inversion could not be completed because "
                                 "the input matrix is singular.")
    eye = np.broadcast_to(np.eye(n, dtype=a.dtype), a.shape)
    with np.errstate(all="ignore"):
        t = d._solve_triangular_forward(a, eye, upper=upper)   # L^-1 (U^-1)
    ts = np.swapaxes(t, -1, -2)
    r = ts @ t if not upper else t @ ts
    lower = np.tril(r)
    return (lower + np.swapaxes(np.tril(r, -1), -1, -2)).astype(a.dtype, copy=False)   # exactly symmetric


def _cholesky_inverse_grad(grad, self, result, upper=False):
    from .matrix import mT
    common = grad + mT(grad)
    common = result @ (common @ result)
    return -(self @ common) if upper else -(common @ self)


_cholesky_inverse = declare(
    "cholesky_inverse", _cholesky_inverse_forward, public=False,
    # The input goes through tril/triu (prep): the op reads only that triangle while the
    # formula is PyTorch's full-matrix one, and PyTorch's tangent takes the triangle of
    # the input's tangent; on a triangular input all of them agree (finite differences too).
    samples=[sample(T(3, 3, values=_SPD_L3), call="cholesky_inverse", prep="tril"),
             sample(T(3, 3, values=_SPD_U3), True, call="cholesky_inverse", prep="triu"),
             sample(T(2, 2, 2, values=_SPD_LB), call="Tensor.cholesky_inverse", prep="tril"),
             sample(T(3, 3, values=_SPD_U3, dtype="float32"), upper=True, call="cholesky_inverse", prep="triu"),
             sample(T(0, 3, 3), call="cholesky_inverse", smooth=False)],
    self=_cholesky_inverse_grad)


def cholesky_inverse(input, upper=False, *, out=None):
    if not isinstance(input, Tensor):
        raise _type_error("cholesky_inverse", "input", 1, input)
    a = input._data
    if a.ndim < 2:
        raise RuntimeError("cholesky_inverse: The input tensor A must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"cholesky_inverse: A must be batches of square matrices, but they are {a.shape[-2]} by "
                           f"{a.shape[-1]} matrices")
    return _linalg_out("cholesky_inverse", lambda: _cholesky_inverse(input, upper=bool(upper)), (input,), out)


FUNCTIONS["cholesky_inverse"] = cholesky_inverse
Tensor.cholesky_inverse = lambda self, upper=False: cholesky_inverse(self, upper)
