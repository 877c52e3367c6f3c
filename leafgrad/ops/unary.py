"""Elementwise unary math beyond ``pointwise.py``: exp2/expm1/log2/log10/log1p, rsqrt,
square, the trigonometric and hyperbolic inverses, logit, erf/erfc/erfinv, rounding
(floor, ceil, round, trunc/fix, frac), sgn, nan_to_num, deg2rad/rad2deg, the
floating-point predicates (isnan, isinf, ...), and the small binary helpers lerp,
xlogy, logaddexp and logaddexp2 (angle and the arc* aliases too).

Public functions take ``out=`` as PyTorch's do (dtype rules, resizing with PyTorch's
warning, refusal when an input requires grad).

NumPy has no erf, erfc or erfinv; they are computed here in float64 (float32 and
float16 results are rounded from float64):

* erfcx(x) = exp(x^2) erfc(x) for 0 <= x < 6 by 8-term Taylor series about the midpoints
  of intervals of width 1/128; the coefficients come at import time from the differential
  equation erfcx' = 2 x erfcx - 2/sqrt(pi), started from ``math.erfc`` at each midpoint;
  for x >= 6, by its continued fraction. erfc(x) = erfcx(x) exp(-x^2), with x^2 split
  into an exact high part and a small low part so that exp(-x^2) keeps full precision.
* erf(x) for |x| < 0.5 by its Maclaurin series, otherwise 1 - erfc(|x|) with the sign.
* erfinv(y): Winitzki's closed-form approximation (relative error ~2e-3) refined by two
  Halley steps (cubic convergence) on erf(x) = y, or on erfc(x) = 1 - |y| in the tails,
  where 1 - |y| is exact; a third step within 1e-13 of +-1.

All agree with ``math.erf``/``math.erfc`` and PyTorch's float64 results to about 1e-15
relative (erfc down to the subnormal range, where the result itself has few bits).
"""
import math

import numpy as np

from ._declare import FUNCTIONS, REGISTRY, Spec, call, declare, make_function, make_inplace
from .._tensor import _LEGACY_NAMES as _TYPE_NAMES
from ._samples import T, sample
from ._blas import axpy
from .pointwise import axpy_operands, fused_multiply_add, pow_scalar, real_sign
from .stats import _write_out
from .._tensor import _C_TYPE_NAMES as _C_NAMES
from .. import _dtype
from .._tensor import Tensor
from ..autograd import grad_mode

_state = grad_mode.state
_ndarray = np.ndarray
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_SQRT_PI = math.sqrt(math.pi)
_TWO_OVER_SQRT_PI = 2.0 / _SQRT_PI
_NAN = float("nan")


# ====================================================================== erf, erfc, erfinv
_GRID_N = 128         # Taylor intervals per unit
_GRID_END = 6.0       # continued fraction from here on
_TERMS = 8            # Taylor terms (|t| <= 1/256)
_CF_TERMS = 40        # continued-fraction depth for x >= 6


def _erfcx_taylor_table():
    """Row n: the n-th Taylor coefficients of erfcx about every interval midpoint."""
    rows = []
    for k in range(int(_GRID_END * _GRID_N)):
        c = (k + 0.5) / _GRID_N
        b0 = math.erfc(c) * math.exp(c * c)
        b = [b0, 2 * c * b0 - _TWO_OVER_SQRT_PI]
        for n in range(1, _TERMS - 1):
            # differentiating g' = 2xg - 2/sqrt(pi) n times: g^(n+1) = 2x g^(n) + 2n g^(n-1)
            b.append((2 * c * b[n] + 2 * b[n - 1]) / (n + 1))
        rows.append(b)
    return np.ascontiguousarray(np.array(rows).T)


_ERFCX_TABLE = _erfcx_taylor_table()          # (terms, intervals): one row per coefficient
_ERF_SERIES = np.array([(-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(13)])  # |x| < 0.5
# Up to this many elements, erf evaluates both of its branches on the whole array and
# picks (fewer NumPy calls); beyond it, each branch on its part only.
_SMALL_N = 2048


def _erfcx_grid(a):
    """exp(a^2) erfc(a) for 0 <= a < _GRID_END (1-D float64)."""
    idx = (a * _GRID_N).astype(np.intp)
    t = a - (idx + 0.5) * (1.0 / _GRID_N)
    acc = _ERFCX_TABLE[-1].take(idx)
    for n in range(_TERMS - 2, -1, -1):
        acc *= t
        acc += _ERFCX_TABLE[n].take(idx)
    return acc


def _erfc_pos(a):
    """erfc(a) for a >= 0 (1-D float64, no nan, inf allowed)."""
    ac = np.minimum(a, 28.0)          # erfc underflows to 0 before 27.3
    big = ac >= _GRID_END
    if big.any():
        g = np.empty_like(ac)
        rest = ~big
        g[rest] = _erfcx_grid(ac[rest])
        xb = ac[big]
        # 1 / (sqrt(pi) (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))))
        f = np.zeros_like(xb)
        for n in range(_CF_TERMS, 0, -1):
            f = (n * 0.5) / (xb + f)
        g[big] = 1.0 / ((xb + f) * _SQRT_PI)
    else:
        g = _erfcx_grid(ac)
    # exp(-a^2) without the rounding error of a*a: a = hi + lo with hi of 24 bits, so
    # hi*hi is exact; the factor that may underflow comes last.
    hi = ac.astype(np.float32).astype(np.float64)
    return g * np.exp(-(ac - hi) * (ac + hi)) * np.exp(-hi * hi)


def _erf_series(x):
    z = x * x
    acc = np.full_like(x, _ERF_SERIES[-1])
    for c in _ERF_SERIES[-2::-1]:
        acc *= z
        acc += c
    return acc * x * _TWO_OVER_SQRT_PI


def _erf_parts(x):
    """For 1-D float64 x without nan: (small, s, c) with small = |x| < 0.5, s = erf(x)
    where small, c = erfc(|x|) elsewhere (other entries unspecified)."""
    a = np.abs(x)
    small = a < 0.5
    if x.size <= _SMALL_N:
        s = _erf_series(np.where(small, x, 0.0))
        c = _erfc_pos(np.maximum(a, 0.5))
    else:
        s = np.zeros_like(x)
        c = np.zeros_like(x)
        s[small] = _erf_series(x[small])
        large = ~small
        c[large] = _erfc_pos(a[large])
    return small, s, c


def _erf_or_erfc(x, want_erf):
    x = np.asarray(x, dtype=np.float64)
    shape = x.shape
    x = x.reshape(-1)
    nan = np.isnan(x)
    has_nan = bool(nan.any())
    if has_nan:
        x = np.where(nan, 0.0, x)
    small, s, c = _erf_parts(x)
    if want_erf:
        r = np.where(small, s, np.copysign(1.0 - c, x))
    else:
        r = np.where(small, 1.0 - s, np.where(x < 0, 2.0 - c, c))
    if has_nan:
        r = np.where(nan, np.nan, r)
    return r.reshape(shape)


def erf64(x):
    """erf of a float64 array."""
    return _erf_or_erfc(x, True)


def erfc64(x):
    """erfc of a float64 array."""
    return _erf_or_erfc(x, False)


def erfinv64(y):
    """erfinv of a float64 array: -inf/inf at -1/1, nan outside [-1, 1]."""
    y = np.asarray(y, dtype=np.float64)
    shape = y.shape
    y = y.reshape(-1)
    a = np.abs(y)
    q = 1.0 - a                       # exact where it is used (a >= 0.5)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ln = np.where(a < 0.5, np.log1p(-a * a), np.log(q * (1.0 + a)))
        k = 2.0 / (math.pi * 0.147) + 0.5 * ln
        x = np.sqrt(np.sqrt(k * k - ln / 0.147) - k)
        ok = a < 1.0                  # False for nan too
        done = not ok.all()
        if done:
            ones = a == 1.0
            x, a, q = np.where(ok, x, 0.0), np.where(ok, a, 0.0), np.where(ok, q, 1.0)
        tail = a >= 0.5
        x = _halley(x, a, q, tail)
        x = _halley(x, a, q, tail)
        deep = ok & (q < 1e-13)       # Winitzki's start is weakest this close to 1
        if deep.any():
            x[deep] = _halley(x[deep], a[deep], q[deep], tail[deep])
        if done:
            x = np.where(ok, x, np.where(ones, np.inf, np.nan))
    return np.copysign(x, y).reshape(shape)


def _halley(x, a, q, tail):
    """One Halley step on erf(x) = a, or on erfc(x) = q in the tails (x >= 0); for both
    f''/f' = -2x."""
    small, s, c = _erf_parts(x)
    f = np.where(tail, q - np.where(small, 1.0 - s, c), np.where(small, s, 1.0 - c) - a)
    dx = f * np.exp(x * x) * (0.5 * _SQRT_PI)
    return x - dx / (1.0 + x * dx)


def _via_float64(fn):
    """A float forward computed in float64 and rounded back to the input's dtype."""
    def forward(a):
        if a.dtype == np.float64:
            return fn(a)
        return fn(a.astype(np.float64)).astype(a.dtype)
    forward.__name__ = fn.__name__
    return forward


# ====================================================================== out=

def _check_out_grad(name, args):
    if _state.enabled and any(isinstance(a, Tensor) and a._requires_grad for a in args):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")


def _type_name(x):
    t = type(x)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__.split('.')[0]}.{t.__qualname__}"


def _with_out(fn, rule="cast", name=None, tensor_input=True):
    """The public function of an op: ``fn(input, ..., out=None)``; ``input`` must be a
    Tensor unless ``tensor_input`` is False."""
    name = name or fn.__name__

    def public(input, *args, out=None, **kwargs):
        if tensor_input and not isinstance(input, Tensor):
            # Arrays pass: a declared op given arrays returns an array, which formulas and
            # other ops' forwards rely on (NumPy scalars become 0-d arrays).
            if isinstance(input, np.generic):
                input = np.asarray(input)
            elif not isinstance(input, _ndarray):
                raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, "
                                f"not {_type_name(input)}")
        if out is None:
            return fn(input, *args, **kwargs)
        _check_out_grad(name, (input,) + args + tuple(kwargs.values()))
        with grad_mode.no_grad():
            result = fn(input, *args, **kwargs)
        return _write_out(out, result, name, rule)
    public.__name__ = public.__qualname__ = name
    public.__doc__ = fn.__doc__
    if hasattr(fn, "spec"):
        public.spec = fn.spec
    return public


def _check_tensor(name, x, argname="input", position=1):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument '{argname}' (position {position}) must be Tensor, "
                        f"not {_type_name(x)}")


# ====================================================================== float-valued unary ops
def _sweep(low=-2.0, high=2.0, int_low=None, int_high=None, away=None):
    """Samples for a one-input float op: 2-D, 0-d, empty, float32 and integer inputs."""
    il = low if int_low is None else int_low
    ih = high if int_high is None else int_high
    return [sample(T(3, 4, low=low, high=high, away=away)), sample(T(low=low, high=high, away=away)),
            sample(T(0, 3, low=low, high=high)), sample(T(5, low=low, high=high, dtype="float32", away=away)),
            sample(T(4, low=il, high=ih, dtype="int64"), smooth=False)]


def _float_unary(name, forward, formula, low=-2.0, high=2.0, ufunc=None, node=None, int_low=None,
                 int_high=None, away=None, extra=()):
    fn = declare(name, forward, method=True, inplace=name + "_", ufunc=ufunc, promote="float", node=node,
                 samples=_sweep(low, high, int_low, int_high, away) + list(extra), self=formula)
    FUNCTIONS[name] = _with_out(fn)
    return fn


def _rsqrt_forward(a):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.reciprocal(np.sqrt(a))


exp2 = _float_unary("exp2", np.exp2, lambda grad, result: grad * result * _LN2, ufunc=np.exp2)
expm1 = _float_unary("expm1", np.expm1, lambda grad, result: grad * (result + 1), ufunc=np.expm1)
log2 = _float_unary("log2", np.log2, lambda grad, self: grad / (self * _LN2), low=0.2, int_low=1,
                    int_high=6, ufunc=np.log2)
log10 = _float_unary("log10", np.log10, lambda grad, self: grad / (self * _LN10), low=0.2, int_low=1,
                     int_high=6, ufunc=np.log10)
log1p = _float_unary("log1p", np.log1p, lambda grad, self: grad / (self + 1), low=-0.8, int_low=0,
                     int_high=6, ufunc=np.log1p, node="Log1PBackward0")
rsqrt = _float_unary("rsqrt", _rsqrt_forward, lambda grad, result: -0.5 * grad * (result * result * result),
                     low=0.2, int_low=1, int_high=6)
tan = _float_unary("tan", np.tan, lambda grad, result: grad * (1 + result * result), low=-1.2, high=1.2,
                   ufunc=np.tan)
asin = _float_unary("asin", np.arcsin, lambda grad, self: grad * rsqrt(1 - self * self), low=-0.9, high=0.9,
                    int_low=-1, int_high=2, ufunc=np.arcsin)
acos = _float_unary("acos", np.arccos, lambda grad, self: -grad * rsqrt(1 - self * self), low=-0.9, high=0.9,
                    int_low=-1, int_high=2, ufunc=np.arccos)
atan = _float_unary("atan", np.arctan, lambda grad, self: grad / (self * self + 1), ufunc=np.arctan)
sinh = _float_unary("sinh", np.sinh, lambda grad, self: grad * np.cosh(self), ufunc=np.sinh)
cosh = _float_unary("cosh", np.cosh, lambda grad, self: grad * np.sinh(self), ufunc=np.cosh)
asinh = _float_unary("asinh", np.arcsinh, lambda grad, self: grad * rsqrt(self * self + 1), ufunc=np.arcsinh)
acosh = _float_unary("acosh", np.arccosh, lambda grad, self: grad * rsqrt(self * self - 1), low=1.2, high=3.0,
                     int_low=1, int_high=5, ufunc=np.arccosh)
atanh = _float_unary("atanh", np.arctanh, lambda grad, self: grad / (1 - self * self), low=-0.9, high=0.9,
                     int_low=-1, int_high=2, ufunc=np.arctanh)
for _alias, _op in (("arcsin", asin), ("arccos", acos), ("arctan", atan), ("arcsinh", asinh),
                    ("arccosh", acosh), ("arctanh", atanh)):
    FUNCTIONS[_alias] = _with_out(_op, name=_alias)
    setattr(Tensor, _alias, _op)


def _inplace_without_derivative(name, forward):
    """PyTorch records ``asinh_``/``acosh_``/``atanh_`` with a node of their own
    (AsinhBackward1, ...) whose backward is not implemented. The spec stays out of
    REGISTRY: it has no derivative for the sweep to check."""
    def formula(grad):
        raise NotImplementedError(f"the derivative for 'inplace version of {name}' is not implemented.")
    node = "".join(p.capitalize() for p in name.split("_")) + "Backward1"
    spec = Spec(name + "_", forward, ("self",), {"self": formula}, ("result",), node, "float", False)
    setattr(Tensor, name + "_", make_inplace(make_function(spec)))


for _name, _fwd in (("asinh", np.arcsinh), ("acosh", np.arccosh), ("atanh", np.arctanh)):
    _inplace_without_derivative(_name, _fwd)
for _alias, _op in (("arcsin", "asin"), ("arccos", "acos"), ("arctan", "atan"), ("arcsinh", "asinh"),
                    ("arccosh", "acosh"), ("arctanh", "atanh")):
    setattr(Tensor, _alias + "_", getattr(Tensor, _op + "_"))


def _angle_forward(a):
    # real input: pi for negative numbers, nan for nan, 0 otherwise (-0.0 included)
    return np.where(a < 0, np.pi, np.where(a == a, 0, a)).astype(a.dtype, copy=False)


angle = declare("angle", _angle_forward, method=True, promote="float",
                samples=[sample(T(3, 4, away=(0,)), smooth=False), sample(T(), smooth=False),
                         sample(T(values=[-1.5, -0.0, 0.0, 2.0, float("nan"), -float("inf")]), smooth=False),
                         sample(T(3, dtype="float32"), smooth=False),
                         sample(T(4, low=-3, high=3, dtype="int64"), smooth=False)],
                self=lambda grad: grad * 0)
FUNCTIONS["angle"] = _with_out(angle)


deg2rad = _float_unary("deg2rad", np.deg2rad, lambda grad: grad * (math.pi / 180), low=-200, high=200,
                       ufunc=np.deg2rad, node="Deg2RadBackward0")
rad2deg = _float_unary("rad2deg", np.rad2deg, lambda grad: grad * (180 / math.pi), ufunc=np.rad2deg,
                       node="Rad2DegBackward0")

_ERF_EDGES = [sample(T(7, low=-6.0, high=6.0)),
              sample(T(values=[-30.0, -5.5, -0.49, 0.0, 0.49, 0.51, 5.9, 6.1, 26.0, 30.0]), smooth=False)]
erf = _float_unary("erf", _via_float64(erf64), lambda grad, self: grad * (_TWO_OVER_SQRT_PI * np.exp(-self * self)),
                   int_low=-3, int_high=3, extra=_ERF_EDGES)
erfc = _float_unary("erfc", _via_float64(erfc64),
                    lambda grad, self: grad * (-_TWO_OVER_SQRT_PI * np.exp(-self * self)),
                    int_low=-3, int_high=3, extra=_ERF_EDGES)
erfinv = _float_unary("erfinv", _via_float64(erfinv64),
                      lambda grad, result: grad * (0.5 * _SQRT_PI * np.exp(result * result)),
                      low=-0.95, high=0.95, int_low=-1, int_high=2,
                      extra=[sample(T(values=[-1.0, -0.999999, -0.5, 0.0, 1e-300, 0.3, 0.5, 0.999999999, 1.0]),
                                    smooth=False)])


# ---------------------------------------------------------------------- logit
def _logit_forward(a, eps=None):
    if eps is not None and eps >= 0:
        a = np.clip(a, eps, 1 - eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(a / (1 - a))


def _logit_grad(grad, self, eps=None):
    d = grad / (self * (1 - self))
    if eps is None or eps < 0:
        return np.where((self < 0) | (self > 1), _NAN, d)
    return np.where((self < eps) | (self > 1 - eps), 0, d)


_logit = declare("logit", _logit_forward, promote="float", public=False,
                 samples=[sample(T(3, 4, low=0.1, high=0.9), call="logit"), sample(T(low=0.1, high=0.9), call="logit"),
                          sample(T(0, 2, low=0.1, high=0.9), call="logit"),
                          sample(T(6, low=0.05, high=0.95, away=(0.2, 0.8)), eps=0.2, call="logit"),
                          sample(T(4, low=0.1, high=0.9), 0.2, call="Tensor.logit"),
                          sample(T(5, low=0.1, high=0.9, dtype="float32"), eps=-1.0, call="logit"),
                          sample(T(values=[-0.5, 0.0, 0.3, 1.0, 1.5]), smooth=False, call="logit"),
                          sample(T(3, low=0, high=2, dtype="int64"), call="logit", smooth=False)],
                 self=_logit_grad)


def logit(input, eps=None):
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when eps is given."""
    return _logit(input) if eps is None else _logit(input, eps=eps)


FUNCTIONS["logit"] = _with_out(logit)
Tensor.logit = logit
Tensor.logit_ = make_inplace(logit)


# ====================================================================== dtype-keeping ops
def _not_for(kernel, a, kinds="b"):
    if a.dtype.kind in kinds:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_TYPE_NAMES[a.dtype.name]}'")


def _rounding(ufunc, kernel):
    def forward(a):
        kind = a.dtype.kind
        if kind == "f":
            return ufunc(a)
        _not_for(kernel, a)
        return a.copy()
    return forward


_ROUND_SAMPLES = [sample(T(3, 4, low=-3, high=3), smooth=False), sample(T(), smooth=False),
                  sample(T(0, 2), smooth=False),
                  sample(T(values=[-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -0.2, 0.7, 3.0]), smooth=False),
                  sample(T(4, dtype="float32"), smooth=False), sample(T(4, low=-5, high=5, dtype="int64"), smooth=False)]


def _rounding_op(name, ufunc, kernel):
    fn = declare(name, _rounding(ufunc, kernel), method=True, inplace=name + "_", ufunc=ufunc,
                 samples=_ROUND_SAMPLES, self=lambda grad: grad * 0)
    FUNCTIONS[name] = _with_out(fn, "same")
    return fn


floor = _rounding_op("floor", np.floor, "floor_vml_cpu")
ceil = _rounding_op("ceil", np.ceil, "ceil_vml_cpu")
trunc = _rounding_op("trunc", np.trunc, "trunc_vml_cpu")
_round = declare("round", _rounding(np.rint, "round_vml_cpu"), public=False, ufunc=np.rint,
                 samples=[sample(*s.args, smooth=False, call="round") for s in _ROUND_SAMPLES],
                 self=lambda grad: grad * 0)


def _round_decimals_forward(a, decimals):
    _not_for("round_cpu", a, "biu")
    if decimals >= 0:
        p = 10.0 ** decimals
        return np.rint(a * p) / p
    p = 10.0 ** -decimals
    return np.rint(a / p) * p


_round_decimals = declare(
    "round.decimals", _round_decimals_forward, node="RoundBackward1", public=False,
    samples=[sample(T(3, 4, low=-30, high=30), decimals=1, smooth=False, call="round"),
             sample(T(3, 4, low=-300, high=300), decimals=-1, smooth=False, call="round"),
             sample(T(4, dtype="float32"), decimals=2, smooth=False, call="round"),
             sample(T(3, low=-5, high=5), decimals=0, smooth=False, call="Tensor.round")],
    self=lambda grad: grad * 0)

_UNSET = object()


def round(input, *, decimals=_UNSET):
    """Round half to even; with ``decimals``, to that many decimal places."""
    if decimals is _UNSET:
        return _round(input)
    return _round_decimals(input, decimals=decimals)


FUNCTIONS["round"] = _with_out(round, "same")
Tensor.round = round
Tensor.round_ = make_inplace(round)
FUNCTIONS["fix"] = _with_out(trunc, "same", "fix")
Tensor.fix = trunc
Tensor.fix_ = make_inplace(trunc)


def _frac_forward(a):
    _not_for("frac_cpu", a, "biu")
    return a - np.trunc(a)


frac = declare("frac", _frac_forward, method=True, inplace="frac_",
               samples=[sample(T(3, 4, low=-3, high=3, away=(-2, -1, 0, 1, 2))), sample(T(low=0.1, high=0.9)),
                        sample(T(0, 2)), sample(T(4, dtype="float32", low=0.1, high=0.9)),
                        sample(T(values=[-1.5, -1.0, 0.0, 2.25]), smooth=False)],
               self=lambda grad: grad)
FUNCTIONS["frac"] = _with_out(frac, "same")


sgn = declare("sgn", real_sign, method=True, inplace="sgn_",
              samples=[sample(T(3, 4), smooth=False), sample(T(), smooth=False),
                       sample(T(values=[-0.0, 0.0, -2.0, 3.0]), smooth=False),
                       sample(T(3, low=-3, high=3, dtype="int64"), smooth=False),
                       sample(T(3, dtype="bool"), smooth=False)],
              self=lambda grad: grad * 0)
FUNCTIONS["sgn"] = _with_out(sgn, "same")


# ---------------------------------------------------------------------- nan_to_num
def _nan_to_num_forward(a, nan=0.0, posinf=None, neginf=None):
    if a.dtype.kind != "f":
        return a.copy()
    return np.nan_to_num(a, copy=True, nan=nan, posinf=posinf, neginf=neginf)


_nan_to_num = declare(
    "nan_to_num", _nan_to_num_forward, public=False,
    samples=[sample(T(3, 4), call="nan_to_num"), sample(T(), call="nan_to_num"),
             sample(T(values=[float("nan"), float("inf"), -float("inf"), 1.0, -2.0]), call="nan_to_num",
                    smooth=False),
             sample(T(values=[float("nan"), float("inf"), -float("inf"), 1.0]), 2.0, 3.0, -4.0,
                    call="nan_to_num", smooth=False),
             sample(T(values=[float("nan"), float("inf"), 0.5]), nan=-1.0, posinf=9.0, call="Tensor.nan_to_num",
                    smooth=False),
             sample(T(3, dtype="float32"), call="nan_to_num"),
             sample(T(3, low=-3, high=3, dtype="int64"), call="nan_to_num", smooth=False)],
    self=lambda grad, self: np.where(np.isfinite(self), grad, 0))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """Replace NaN, +inf and -inf by ``nan``, ``posinf`` and ``neginf`` (by default 0
    and the dtype's largest and smallest finite values)."""
    if posinf is None and neginf is None and nan == 0.0:
        return _nan_to_num(input)
    return _nan_to_num(input, nan=nan, posinf=posinf, neginf=neginf)


FUNCTIONS["nan_to_num"] = _with_out(nan_to_num, "nan_to_num")
Tensor.nan_to_num = nan_to_num
Tensor.nan_to_num_ = make_inplace(nan_to_num)


# ---------------------------------------------------------------------- square, positive
def square(input):
    """``input ** 2`` (PyTorch computes it as pow(input, 2)); bool gives int64."""
    if isinstance(input, Tensor) and input._data.dtype.kind == "b":
        input = input.to(_dtype.int64)
    return pow_scalar(input, exponent=2)


REGISTRY["pow.Scalar"].samples += [
    sample(T(3, 4), call="square"), sample(T(), call="Tensor.square"),
    sample(T(3, dtype="float32"), call="square"), sample(T(3, low=-5, high=5, dtype="int64"), call="square"),
    sample(T(3, dtype="bool"), call="square")]
FUNCTIONS["square"] = _with_out(square)
Tensor.square = square
Tensor.square_ = make_inplace(square)


def positive(input):
    """``input`` itself (``+input``); refused for bool tensors."""
    if input._data.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


FUNCTIONS["positive"] = positive
Tensor.positive = Tensor.__pos__ = positive
REGISTRY["neg"].samples += [sample(T(3, 4), call="positive"), sample(T(3), call="Tensor.__pos__")]


# ====================================================================== predicates
def _predicate(name, float_fn, int_value, samples_extra=()):
    def forward(a):
        if a.dtype.kind == "f":
            return float_fn(a)
        return np.full(a.shape, int_value) if not callable(int_value) else int_value(a)
    forward.__name__ = name
    values = [float("nan"), float("inf"), -float("inf"), 0.0, -0.0, -1.5, 2.0]
    return declare(name, forward, method=True, ufunc=getattr(np, name, None),
                   samples=[sample(T(values=values), smooth=False), sample(T(3, 4), smooth=False),
                            sample(T(), smooth=False), sample(T(0, 3), smooth=False),
                            sample(T(values=values, dtype="float32"), smooth=False),
                            sample(T(4, low=-3, high=3, dtype="int64"), smooth=False),
                            sample(T(3, dtype="bool"), smooth=False)])


isnan = _predicate("isnan", np.isnan, False)
isinf = _predicate("isinf", np.isinf, False)
isfinite = _predicate("isfinite", np.isfinite, True)
isposinf = _predicate("isposinf", np.isposinf, False)
isneginf = _predicate("isneginf", np.isneginf, False)
signbit = _predicate("signbit", np.signbit, lambda a: a < 0)
FUNCTIONS["isposinf"] = _with_out(isposinf, "bool")
FUNCTIONS["isneginf"] = _with_out(isneginf, "bool")
FUNCTIONS["signbit"] = _with_out(signbit, "bool")


# ====================================================================== lerp
def _lerp_coefficient(d, weight):
    """ATen's scalar lerp is self + w * d for small |w|, else end + (w - 1) * d (d = end - self),
    each rounded once, with w a float32 for float32 (and w - 1, not -(1 - w): w = 1 gives
    +0 * d). The coefficient, and whether it goes onto self (else onto end)."""
    w = np.float32(weight) if d.dtype == np.float32 else weight
    return (w, True) if -0.5 < weight < 0.5 else (w - 1, False)


def _lerp_scalar_forward(a, b, weight):
    _not_for("lerp_kernel_scalar", a, "biu")
    d = b - a
    c, onto_self = _lerp_coefficient(d, weight)
    return fused_multiply_add(d, c, a if onto_self else b)


def _lerp_tensor_forward(a, b, w):
    _not_for("lerp_kernel_tensor", a, "biu")
    d = b - a
    return np.where(np.abs(w) < 0.5, fused_multiply_add(d, w, a), fused_multiply_add(d, w - 1, b))


_lerp_scalar = declare(
    "lerp.Scalar", _lerp_scalar_forward, inputs=("self", "end"), node="LerpBackward0", public=False,
    samples=[sample(T(3, 4), T(3, 4), 0.3, call="lerp"), sample(T(3, 4), T(4), weight=0.8, call="lerp"),
             sample(T(), T(2, 3), 2, call="lerp"), sample(T(3, dtype="float32"), T(3, dtype="float32"), -0.5,
                                                         call="lerp"),
             sample(T(3), T(3), 0.6, call="Tensor.lerp")],
    self=lambda grad, weight: grad * (1 - weight),
    end=lambda grad, weight: grad * weight)

_lerp_tensor = declare(
    "lerp.Tensor", _lerp_tensor_forward, inputs=("self", "end", "weight"), node="LerpBackward1", public=False,
    samples=[sample(T(3, 4), T(3, 4), T(3, 4, low=-1, high=2), call="lerp"),
             sample(T(3, 1), T(4), T(), call="lerp"),
             sample(T(3, dtype="float32"), T(3, dtype="float32"), T(3, dtype="float32"), call="Tensor.lerp"),
             sample(T(2, 3), T(2, 3), T(2, 3, grad=False), call="lerp")],
    self=lambda grad, weight: grad * (1 - weight),
    end=lambda grad, weight: grad * weight,
    weight=lambda grad, self, end: grad * (end - self))


def lerp(input, end, weight):
    """``input + weight * (end - input)``; weight a number or a tensor."""
    if not (isinstance(input, Tensor) and isinstance(end, Tensor) and (
            isinstance(weight, (Tensor, int, float, complex, np.number)))):
        got = ", ".join("Tensor" if isinstance(a, Tensor) else _type_name(a) for a in (input, end, weight))
        raise TypeError(f"lerp() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                        " * (Tensor input, Tensor end, Tensor weight, *, Tensor out = None)\n"
                        " * (Tensor input, Tensor end, Number weight, *, Tensor out = None)\n")
    dt = input._data.dtype
    if end._data.dtype != dt:
        raise RuntimeError(f"expected dtype {_C_NAMES[dt.name]} for `end` but got dtype "
                           f"{_C_NAMES[end._data.dtype.name]}")
    if isinstance(weight, Tensor):
        if weight._data.dtype != dt:
            raise RuntimeError(f"expected dtype {_C_NAMES[dt.name]} for `weight` but got dtype "
                               f"{_C_NAMES[weight._data.dtype.name]}")
        return _lerp_tensor(input, end, weight)
    if isinstance(weight, np.generic):
        weight = weight.item()
    if isinstance(weight, complex):
        raise RuntimeError(f"value cannot be converted to type {_C_NAMES[dt.name]} without overflow")
    return _lerp_scalar(input, end, weight=weight)


FUNCTIONS["lerp"] = _with_out(lerp, tensor_input=False)
Tensor.lerp = lerp


def _lerp_plan(self, end=None, weight=None, *rest, **more):
    """``self.lerp_(end, w)`` with nothing to record, written into self by BLAS axpy, for a
    number w (``pointwise.axpy_operands``); else None (the general way)."""
    if rest or more or type(weight) is not float and type(weight) is not int:
        return None
    arrays = axpy_operands(self, end)
    return None if arrays is None else (_lerp_into, arrays + (weight,))


def _lerp_into(a, b, weight):
    """a = lerp(a, b, weight), as ``_lerp_scalar_forward`` computes it, in place."""
    d = b - a
    c, onto_self = _lerp_coefficient(d, weight)
    if not onto_self:
        np.copyto(a, b)
    axpy(c, d, a)


Tensor.lerp_ = make_inplace(lerp, direct=_lerp_plan)


# ====================================================================== xlogy
def _xlogy_forward(x, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * np.log(y)
    # 0 * log(y) is 0 unless y is nan
    return np.where((x == 0) & (y == y), 0, out)


def _xlogy_of_grad(grad, other):
    """xlogy(grad, other) on arrays or (create_graph) Tensors."""
    if isinstance(grad, Tensor) or isinstance(other, Tensor):
        return xlogy(grad, other)
    if isinstance(other, _ndarray):
        return _xlogy_forward(grad, other)
    return _xlogy_scalar_other_forward(grad, other)


def _xlogy_self_grad(grad, self, other):
    # PyTorch: xlogy(grad, other).masked_fill((self == 0) & (other <= 0), 0)
    g = _xlogy_of_grad(grad, other)
    if isinstance(other, (int, float)):
        return np.where(self == 0, 0, g) if other <= 0 else g
    return np.where((self == 0) & (other <= 0), 0, g)


def _log_number(v):
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.log(np.float64(v)))


def _xlogy_scalar_other_forward(x, other):
    lg = _log_number(other)          # a Python float: float32 inputs stay float32
    out = x * lg
    return np.where(x == 0, 0, out) if other == other else out


_xlogy = declare(
    "xlogy", _xlogy_forward, inputs=("self", "other"), promote="float", public=False, node="XlogyBackward0",
    samples=[sample(T(3, 4), T(3, 4, low=0.2), call="xlogy"), sample(T(3, 1), T(4, low=0.2), call="xlogy"),
             sample(T(values=[0.0, 0.0, 1.0, 2.0]), T(values=[0.0, float("nan"), 0.5, 3.0]), call="xlogy",
                    smooth=False),
             sample(T(3, dtype="float32"), T(3, low=0.2, high=3, dtype="float32"), call="Tensor.xlogy"),
             sample(T(3), T(3, low=0.2, dtype="float32"), call="xlogy"),
             sample(T(3, low=0, high=3, dtype="int64"), T(3, low=1, high=4, dtype="int64"), call="xlogy")],
    self=_xlogy_self_grad,
    other=lambda grad, self, other: grad * self / other)

_xlogy_scalar_other = declare(
    "xlogy.Scalar_Other", _xlogy_scalar_other_forward, public=False, promote="float", node="XlogyBackward2",
    samples=[sample(T(3, 4), 2.5, call="xlogy"), sample(T(values=[0.0, 1.0, -2.0]), 0.5, call="xlogy", smooth=False),
             sample(T(3), 3, call="Tensor.xlogy"), sample(T(3, low=0, high=3, dtype="int64"), 2, call="xlogy"),
             sample(T(3, dtype="float32"), 1.5, call="xlogy")],
    self=_xlogy_self_grad)


def _xlogy_scalar_self_forward(other, self):
    return _xlogy_forward(self, other)


_xlogy_scalar_self = declare(
    "xlogy.Scalar_Self", _xlogy_scalar_self_forward, inputs=("other",), public=False, promote="float",
    node="XlogyBackward1",
    samples=[sample(2.0, T(3, 4, low=0.2), call="xlogy"), sample(0.0, T(3, low=0.2), call="xlogy"),
             sample(3, T(3, low=1, high=4, dtype="int64"), call="xlogy"),
             sample(-1.5, T(3, low=0.2, dtype="float32"), call="xlogy")],
    other=lambda grad, other, self: grad * self / other)


def xlogy(input, other):
    """``input * log(other)``, 0 where input is 0 (unless other is nan); either side
    may be a number."""
    if isinstance(input, Tensor):
        if isinstance(other, Tensor):
            return _xlogy(input, other)
        if isinstance(other, (int, float, np.number)):
            return _xlogy_scalar_other(input, other=other)
    elif isinstance(other, Tensor) and isinstance(input, (int, float, np.number)):
        return call(_xlogy_scalar_self.spec, (other,), {"self": input})
    raise TypeError(
        f"xlogy() received an invalid combination of arguments - got ({type(input).__name__}, "
        f"{type(other).__name__}), but expected one of:\n * (Tensor input, Tensor other, *, Tensor out = None)\n"
        " * (Number self, Tensor other, *, Tensor out = None)\n * (Tensor input, Number other, *, Tensor out = None)\n")


FUNCTIONS["xlogy"] = _with_out(xlogy, tensor_input=False)
Tensor.xlogy = xlogy
Tensor.xlogy_ = make_inplace(xlogy)


# ====================================================================== logaddexp
def _logaddexp_forward(kernel, ufunc):
    def forward(a, b):
        if np.result_type(a, b).kind != "f":
            _not_for(kernel, np.asarray(a), "biu")
            _not_for(kernel, np.asarray(b), "biu")
        return ufunc(a, b)
    return forward


_INF_PAIRS = sample(T(values=[float("inf"), -float("inf"), float("inf"), 1.0]),
                    T(values=[float("inf"), -float("inf"), -float("inf"), -float("inf")]), smooth=False)


def _logaddexp_samples(name):
    return [sample(T(3, 4), T(3, 4), call=name), sample(T(3, 1), T(4), call=name),
            sample(T(), T(2, 3, low=-50, high=50), call=name),
            sample(T(3, dtype="float32"), T(3), call=name),
            sample(T(3), T(3, low=-3, high=3, dtype="int64"), call="Tensor." + name),
            sample(*_INF_PAIRS.args, smooth=False, call=name)]


_logaddexp = declare(
    "logaddexp", _logaddexp_forward("logaddexp_cpu", np.logaddexp), inputs=("self", "other"), promote="common",
    public=False, ufunc=np.logaddexp, samples=_logaddexp_samples("logaddexp"),
    self=lambda grad, self, other: grad / (1 + np.exp(other - self)),
    other=lambda grad, self, other: grad / (1 + np.exp(self - other)))

_logaddexp2 = declare(
    "logaddexp2", _logaddexp_forward("logaddexp2_cpu", np.logaddexp2), inputs=("self", "other"),
    promote="common", public=False, ufunc=np.logaddexp2, samples=_logaddexp_samples("logaddexp2"),
    self=lambda grad, self, other: grad / (1 + 2 ** (other - self)),
    other=lambda grad, self, other: grad / (1 + 2 ** (self - other)))


def _binary_public(name, fn, position):
    def public(input, other):
        _check_tensor(name, input)
        _check_tensor(name, other, "other", position)
        return fn(input, other)
    public.__name__ = public.__qualname__ = name
    return public


logaddexp = _binary_public("logaddexp", _logaddexp, 2)
logaddexp2 = _binary_public("logaddexp2", _logaddexp2, 2)
FUNCTIONS["logaddexp"] = _with_out(logaddexp)
FUNCTIONS["logaddexp2"] = _with_out(logaddexp2)
Tensor.logaddexp = _binary_public("logaddexp", _logaddexp, 1)    # methods count from other
Tensor.logaddexp2 = _binary_public("logaddexp2", _logaddexp2, 1)
