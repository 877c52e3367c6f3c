"""torch.special functions of their own: entr, xlog1py, ndtr, log_ndtr, ndtri, erfcx and
the exponentially scaled Bessel functions i0e, i1e. Each records PyTorch's node
(SpecialEntrBackward0, ...); ``ndtr`` is composed as ATen composes it,
``(1 + erf(x * M_SQRT1_2)) * 0.5`` (MulBackward1 over AddBackward1 over ErfBackward0 over
MulBackward1).

Values are computed in float64 (float32/float16 rounded from it), except i0e and i1e,
which run Cephes' Chebyshev series in the input's dtype as ATen does (math_extra's helpers):

* erfcx(x) = exp(x^2) erfc(x): for x >= 0 by unary.py's Taylor grid (x < 6) and the
  continued fraction beyond (0 at inf); for x < 0 as 2 exp(x^2) - erfcx(-x), with x^2
  split into an exact high part and a small low part.
* log_ndtr(x) as ATen's calc_log_ndtr: log(erfcx(-x/sqrt2) / 2) - x^2/2 for x < -1,
  log1p(-erfc(x/sqrt2) / 2) otherwise (no underflow for large negative x); in float32
  with its steps rounded to float32, as PyTorch's float kernel.
* ndtri(p) = -+sqrt2 z with erfc(z) = 2 min(p, 1 - p) (exact): z = erfinv(1 - q) for
  q >= 1/2; below, Newton steps on log erfc(z) = log(erfcx(z)) - z^2 = log q (concave:
  no overshoot) from erfinv's (or the asymptotic) guess.
* i1e: Cephes' Chebyshev series (calc_i1e) in the input's dtype, as i0e.
"""
import math

import numpy as np

from ._declare import FUNCTIONS, call, declare
from ._samples import T, sample
from .._tensor import Tensor
from ..autograd import grad_mode
from .activation import add_scalar as _add_scalar, mul_scalar as _mul_scalar
from .math_extra import _chbevl, _i0_forward, _not_implemented
from .stats import _write_out, _resize_out
from .unary import _CF_TERMS, _GRID_END, _erfcx_grid, _with_out, erf, erfc64, erfinv64

_state = grad_mode.state
_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2 * math.pi)
_SQRT2 = math.sqrt(2.0)
_SQRT1_2 = math.sqrt(0.5)
_NAN = float("nan")
_INF = float("inf")


def _via64(fn, kernel=None):
    """A forward computed in float64 and rounded to the input's dtype; ``kernel``: the
    name in PyTorch's refusal of float16."""
    def forward(a):
        if a.dtype == np.float64:
            return fn(a)
        if kernel is not None and a.dtype == np.float16:
            raise _not_implemented(kernel, a.dtype)
        with np.errstate(over="ignore"):
            return fn(a.astype(np.float64)).astype(a.dtype)
    return forward


def _public(fn, name):
    return _with_out(fn, name="special_" + name)


def _data(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


# ====================================================================== entr
def _entr64(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        r = -x * np.log(x)
    r = np.where(x == 0, 0.0, r)
    return np.where(x < 0, -_INF, r)


_EDGE = [0.0, -0.0, 1e-300, 1.0, -1.0, 40.0, -40.0, _INF, -_INF, _NAN]

_entr = declare(
    "special_entr", _via64(_entr64), promote="float", public=False, node="SpecialEntrBackward0",
    samples=[sample(T(3, 4, low=0.1, high=3.0), call="special.entr"),
             sample(T(low=0.2, high=2.0), call="special.entr"),
             sample(T(0, 3, low=0.1, high=2.0), call="special.entr"),
             sample(T(5, low=0.1, high=3.0, dtype="float32"), call="special.entr"),
             sample(T(4, low=-2, high=4, dtype="int64"), call="special.entr", smooth=False),
             sample(T(values=[0.0, -0.0, 1e-300, 1.0, -1.0, 0.5, _INF, -_INF, _NAN]), call="special.entr",
                    smooth=False)],
    self=lambda grad, self: grad * (-(1 + np.log(self))))
FUNCTIONS["special.entr"] = _public(_entr, "entr")


# ====================================================================== xlog1py
def _xlog1py_forward(x, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * np.log1p(y)
    return np.where((x == 0) & (y == y), 0, out).astype(out.dtype, copy=False)


def _log1p_number(v):
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.log1p(np.float64(v)))


def _xlog1py_other_scalar_forward(x, other):
    with np.errstate(invalid="ignore"):
        out = x * _log1p_number(other)    # a Python float: float32 stays float32
    return np.where(x == 0, 0, out).astype(out.dtype, copy=False) if other == other else out


def _xlog1py_self_scalar_forward(other, self):
    return _xlog1py_forward(np.asarray(self, other.dtype), other)


def _xlog1py_of_grad(grad, other):
    """xlog1py(grad, other) on arrays or (create_graph) Tensors."""
    if isinstance(grad, Tensor) or isinstance(other, Tensor):
        return xlog1py(grad, other)
    if isinstance(other, np.ndarray):
        return _xlog1py_forward(grad, other)
    return _xlog1py_other_scalar_forward(grad, other)


def _xlog1py_self_grad(grad, self, other):
    g = _xlog1py_of_grad(grad, other)
    if isinstance(other, (int, float)):
        return np.where(self == 0, 0, g) if not other > -1 else g
    return np.where((self == 0) & (other <= -1), 0, g)


_XS = "special.xlog1py"
_xlog1py = declare(
    "special_xlog1py", _xlog1py_forward, inputs=("self", "other"), promote="float", public=False,
    node="SpecialXlog1PyBackward0",
    samples=[sample(T(3, 4), T(3, 4, low=-0.8), call=_XS), sample(T(3, 1), T(4, low=-0.8), call=_XS),
             sample(T(), T(2, 3, low=0.0, high=3.0), call=_XS),
             sample(T(values=[0.0, 0.0, 0.0, 1.0, 2.0, 0.0]), T(values=[-1.0, _NAN, -2.0, -0.5, 3.0, _INF]),
                    call=_XS, smooth=False),
             sample(T(3, dtype="float32"), T(3, low=-0.5, high=3, dtype="float32"), call=_XS),
             sample(T(3), T(3, low=-0.5, dtype="float32"), call=_XS),
             sample(T(0, 3), T(3, low=-0.5), call=_XS),
             sample(T(3, low=0, high=3, dtype="int64"), T(3, low=0, high=4, dtype="int64"), call=_XS)],
    self=_xlog1py_self_grad,
    other=lambda grad, self, other: grad * self / (other + 1))

_xlog1py_other_scalar = declare(
    "special_xlog1py.other_scalar", _xlog1py_other_scalar_forward, public=False, promote="float",
    node="SpecialXlog1PyBackward2",
    samples=[sample(T(3, 4), 2.5, call=_XS), sample(T(values=[0.0, 1.0, -2.0]), -1.0, call=_XS, smooth=False),
             sample(T(values=[0.0, 1.0, -2.0]), -3, call=_XS, smooth=False),
             sample(T(3), 3, call=_XS), sample(T(3, low=0, high=3, dtype="int64"), 2, call=_XS),
             sample(T(3, dtype="float32"), 0.5, call=_XS)],
    self=_xlog1py_self_grad)

_xlog1py_self_scalar = declare(
    "special_xlog1py.self_scalar", _xlog1py_self_scalar_forward, inputs=("other",), public=False,
    promote="float", node="SpecialXlog1PyBackward1",
    samples=[sample(2.0, T(3, 4, low=-0.8), call=_XS), sample(0.0, T(3, low=-0.5), call=_XS),
             sample(3, T(3, low=0, high=4, dtype="int64"), call=_XS),
             sample(-1.5, T(3, low=-0.5, dtype="float32"), call=_XS)],
    other=lambda grad, other, self: grad * self / (other + 1))

_NUM = (int, float, np.number)


def xlog1py(input, other):
    """``input * log1p(other)``, 0 where input is 0 (unless other is nan); either side
    may be a number."""
    if isinstance(input, Tensor):
        if isinstance(other, Tensor):
            return _xlog1py(input, other)
        if isinstance(other, _NUM) and not isinstance(other, np.ndarray):
            return _xlog1py_other_scalar(input, other=other)
    elif isinstance(other, Tensor) and isinstance(input, _NUM):
        return call(_xlog1py_self_scalar.spec, (other,), {"self": input})
    elif isinstance(input, np.ndarray) and isinstance(other, np.ndarray):   # (formulas on arrays)
        return _xlog1py_forward(input, other)
    raise TypeError(
        f"special_xlog1py() received an invalid combination of arguments - got ({_tname(input)}, {_tname(other)}), "
        "but expected one of:\n * (Tensor input, Tensor other, *, Tensor out = None)\n"
        " * (Number self, Tensor other, *, Tensor out = None)\n * (Tensor input, Number other, *, Tensor out = None)\n")


def _tname(x):
    return "Tensor" if isinstance(x, Tensor) else type(x).__name__


FUNCTIONS["special.xlog1py"] = _with_out(xlog1py, tensor_input=False, name="special_xlog1py")


# ====================================================================== ndtr
def _ndtr(input):
    # ATen's special_ndtr: (1 + erf(self * M_SQRT1_2)) * 0.5, with Scalar operands
    return _mul_scalar(_add_scalar(erf(_mul_scalar(input, other=_SQRT1_2)), other=1), other=0.5)


def ndtr(input, *, out=None):
    if not isinstance(input, Tensor):
        raise TypeError(f"special_ndtr(): argument 'input' (position 1) must be Tensor, not {_tname(input)}")
    res = _ndtr(input)
    if out is None:
        return res
    if not isinstance(out, Tensor):
        raise TypeError(f"special_ndtr(): argument 'out' must be Tensor, not {type(out).__name__}")
    # ATen: resize the out tensor and copy_ the result into it (recorded: CopyBackwards)
    if not np.can_cast(res._data.dtype, out._data.dtype, "same_kind"):
        with grad_mode.no_grad():
            return _write_out(out, res, "special_ndtr", "cast")
    if not _state.enabled or not res._requires_grad:
        return _write_out(out, res, "special_ndtr")
    _resize_out(out, res._data.shape)
    return out.copy_(res)


FUNCTIONS["special.ndtr"] = ndtr
# (the sweep runs the composite through the samples of its outermost op)
_mul_scalar.spec.samples += [
    sample(T(3, 4, low=-3, high=3), call="special.ndtr"), sample(T(), call="special.ndtr"),
    sample(T(0, 3), call="special.ndtr"), sample(T(5, dtype="float32"), call="special.ndtr"),
    sample(T(4, low=-3, high=3, dtype="int64"), call="special.ndtr", smooth=False),
    sample(T(values=_EDGE), call="special.ndtr", smooth=False)]


# ====================================================================== erfcx
def _erfcx_pos(a):
    """exp(a^2) erfc(a) for a >= 0 (1-D float64, no nan, inf allowed)."""
    big = a >= _GRID_END
    g = np.empty_like(a)
    rest = ~big
    g[rest] = _erfcx_grid(a[rest])
    xb = a[big]
    if xb.size:
        # 1 / (sqrt(pi) (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))))
        f = np.zeros_like(xb)
        with np.errstate(invalid="ignore"):
            for n in range(_CF_TERMS, 0, -1):
                f = (n * 0.5) / (xb + f)
            f = np.where(np.isinf(xb), 0.0, f)
        g[big] = 1.0 / ((xb + f) * _SQRT_PI)
    return g


def _exp_square(a):
    """exp(a^2) without the rounding error of a*a (a = hi + lo, hi of 24 bits)."""
    hi = a.astype(np.float32).astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp((a - hi) * (a + hi)) * np.exp(hi * hi)


def erfcx64(x):
    """erfcx of a float64 array."""
    x = np.asarray(x, np.float64)
    shape = x.shape
    x = x.reshape(-1)
    out = np.full_like(x, _NAN)
    ok = x == x
    a = np.abs(x[ok])
    g = _erfcx_pos(np.where(a > 1e300, np.inf, a))
    neg = x[ok] < 0
    if neg.any():
        an = a[neg]
        with np.errstate(over="ignore", invalid="ignore"):
            e2 = np.where(an > 26.7, np.inf, _exp_square(np.minimum(an, 26.7)))
            g[neg] = 2.0 * e2 - g[neg]
    out[ok] = g
    return out.reshape(shape)


_erfcx = declare(
    "special_erfcx", _via64(erfcx64, "erfcx_cpu"), promote="float", public=False, node="SpecialErfcxBackward0",
    samples=[sample(T(3, 4, low=-3, high=3), call="special.erfcx"),
             sample(T(low=-2, high=2), call="special.erfcx"),
             sample(T(0, 3), call="special.erfcx"),
             sample(T(5, low=-3, high=1.5, dtype="float32"), call="special.erfcx"),
             sample(T(5, low=-6, high=6, dtype="int64"), call="special.erfcx", smooth=False),
             sample(T(values=[5.5, 5.99, 6.0, 6.01, 12.0, 30.0, -3.0, -1.5, 1e5]), call="special.erfcx"),
             sample(T(values=_EDGE + [1e300, -27.0, -26.0, 1e-20]), call="special.erfcx", smooth=False)],
    self=lambda grad, self, result: (2.0 * self * result - 2.0 / _SQRT_PI) * grad)
FUNCTIONS["special.erfcx"] = _public(_erfcx, "erfcx")


# ====================================================================== log_ndtr
def _log_ndtr64(x):
    t = x * _SQRT1_2
    low = x < -1.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        a = np.log(erfcx64(-np.where(low, t, -1.0)) / 2) - t * t
        b = np.log1p(-erfc64(np.where(low, 0.0, t)) / 2)
    return np.where(low, a, b)


def _log_ndtr_narrow(x):
    """calc_log_ndtr's steps rounded to x's (float32) dtype, erfcx and erfc rounded from
    float64, as PyTorch's float kernel computes them."""
    dt = x.dtype
    f = dt.type
    t = x * f(_SQRT1_2)
    low = x < f(-1.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        ex = erfcx64(-np.where(low, t, f(-1.0)).astype(np.float64)).astype(dt)
        a = np.log((ex / f(2)).astype(np.float64)).astype(dt) - t * t
        e = erfc64(np.where(low, f(0), t).astype(np.float64)).astype(dt)
        b = np.log1p((-e / f(2)).astype(np.float64)).astype(dt)
    return np.where(low, a, b).astype(dt, copy=False)


def _log_ndtr_forward(a):
    if a.dtype == np.float16:
        raise _not_implemented("log_ndtr_cpu", a.dtype)
    return _log_ndtr64(a) if a.dtype == np.float64 else _log_ndtr_narrow(a)


_log_ndtr = declare(
    "special_log_ndtr", _log_ndtr_forward, promote="float", public=False,
    node="SpecialLogNdtrBackward0",
    samples=[sample(T(3, 4, low=-4, high=4), call="special.log_ndtr"),
             sample(T(low=-2, high=2), call="special.log_ndtr"),
             sample(T(0, 3), call="special.log_ndtr"),
             sample(T(5, low=-10, high=5, dtype="float32"), call="special.log_ndtr"),
             sample(T(5, low=-6, high=6, dtype="int64"), call="special.log_ndtr", smooth=False),
             sample(T(values=[-40.0, -20.0, -1.01, -0.99, 5.0, 8.0]), call="special.log_ndtr"),
             sample(T(values=_EDGE + [-1.0, -1e10, 1e300]), call="special.log_ndtr", smooth=False)],
    self=lambda grad, self, result: grad / _SQRT_2PI * np.exp(-(result + self ** 2 / 2)))
FUNCTIONS["special.log_ndtr"] = _public(_log_ndtr, "log_ndtr")


# ====================================================================== ndtri
def _erfcinv_small(q):
    """z > 0 with erfc(z) = q, for 0 < q < 1/2 (1-D float64)."""
    lq = np.log(q)
    t = -lq
    # the asymptotic guess q ~ exp(-z^2) / (z sqrt(pi)) where erfinv(1 - q) loses precision
    z = np.sqrt(t)
    for _ in range(3):
        z = np.sqrt(np.maximum(t - np.log(z * _SQRT_PI), 0.25))
    mid = q > 1e-12
    if mid.any():
        z[mid] = erfinv64(1.0 - q[mid])
    for _ in range(5):
        g = erfcx64(z)
        hi = z.astype(np.float32).astype(np.float64)
        lo = (z - hi) * (z + hi)
        f = np.log(g) - ((hi * hi + lq) + lo)
        z = z + f * g * (_SQRT_PI / 2)
    return z


def _ndtri64(p):
    p = np.asarray(p, np.float64)
    shape = p.shape
    p = p.reshape(-1)
    out = np.full_like(p, _NAN)
    inside = (p > 0) & (p < 1)
    out[p == 0] = -_INF
    out[p == 1] = _INF
    pi = p[inside]
    upper = pi >= 0.5
    q = 2.0 * np.where(upper, 1.0 - pi, pi)          # exact
    z = np.empty_like(q)
    central = q >= 0.5
    z[central] = erfinv64(1.0 - q[central])          # 1 - q exact here
    if (~central).any():
        z[~central] = _erfcinv_small(q[~central])
    out[inside] = np.where(upper, _SQRT2 * z, -_SQRT2 * z)
    return out.reshape(shape)


_ndtri = declare(
    "special_ndtri", _via64(_ndtri64, "ndtri_cpu"), promote="float", public=False, node="SpecialNdtriBackward0",
    samples=[sample(T(3, 4, low=0.02, high=0.98), call="special.ndtri"),
             sample(T(low=0.1, high=0.9), call="special.ndtri"),
             sample(T(0, 3, low=0.1, high=0.9), call="special.ndtri"),
             sample(T(5, low=0.05, high=0.95, dtype="float32"), call="special.ndtri"),
             sample(T(4, low=0, high=2, dtype="int64"), call="special.ndtri", smooth=False),
             sample(T(values=[1e-3, 0.01, 0.2, 0.5, 0.7, 0.999, 0.9999]), call="special.ndtri"),
             sample(T(values=[0.0, 1.0, -0.1, 1.5, _NAN, _INF, 0.5, 1e-300, 5e-324, 1e-20, 1 - 1e-16, 0.25, 1e-10, 1 - 1e-9]),
                    call="special.ndtri", smooth=False)],
    self=lambda grad, result: grad * _SQRT_2PI * np.exp(result * result / 2))
FUNCTIONS["special.ndtri"] = _public(_ndtri, "ndtri")


# ====================================================================== i0e, i1e
def _i0e_forward(a):
    return _i0_forward(a, scaled=True)


# Cephes' Chebyshev coefficients of exp(-x) I1(x) on [0, 8] (in y = x/2 - 2, times x) and of
# exp(-x) sqrt(x) I1(x) on (8, inf) (in y = 32/x - 2), as ATen's calc_i1e; its float kernel
# uses only the last 17 and 7 of them.
_I1E_A = (2.77791411276104639959E-18, -2.11142121435816608115E-17, 1.55363195773620046921E-16,
          -1.10559694773538630805E-15, 7.60068429473540693410E-15, -5.04218550472791168711E-14,
          3.22379336594557470981E-13, -1.98397439776494371520E-12, 1.17361862988909016308E-11,
          -6.66348972350202774223E-11, 3.62559028155211703701E-10, -1.88724975172282928790E-9,
          9.38153738649577178388E-9, -4.44505912879632808065E-8, 2.00329475355213526229E-7,
          -8.56872026469545474066E-7, 3.47025130813767847674E-6, -1.32731636560394358279E-5,
          4.78156510755005422638E-5, -1.61760815825896745588E-4, 5.12285956168575772895E-4,
          -1.51357245063125314899E-3, 4.15642294431288815669E-3, -1.05640848946261981558E-2,
          2.47264490306265168283E-2, -5.29459812080949914269E-2, 1.02643658689847095384E-1,
          -1.76416518357834055153E-1, 2.52587186443633654823E-1)
_I1E_B = (7.51729631084210481353E-18, 4.41434832307170791151E-18, -4.65030536848935832153E-17,
          -3.20952592199342395980E-17, 2.96262899764595013876E-16, 3.30820231092092828324E-16,
          -1.88035477551078244854E-15, -3.81440307243700780478E-15, 1.04202769841288027642E-14,
          4.27244001671195135429E-14, -2.10154184277266431302E-14, -4.08355111109219731823E-13,
          -7.19855177624590851209E-13, 2.03562854414708950722E-12, 1.41258074366137813316E-11,
          3.25260358301548823856E-11, -1.89749581235054123450E-11, -5.58974346219658380687E-10,
          -3.83538038596423702205E-9, -2.63146884688951950684E-8, -2.51223623787020892529E-7,
          -3.88256480887769039346E-6, -1.10588938762623716291E-4, -9.76109749136146840777E-3,
          7.78576235018280120474E-1)


def _i1e_forward(a):
    """Cephes' calc_i1e in the input's dtype, as ATen runs it."""
    dt = a.dtype
    if dt == np.float16:
        return _i1e_forward(a.astype(np.float32)).astype(np.float16)
    ca, cb = (_I1E_A, _I1E_B) if dt == np.float64 else (_I1E_A[-17:], _I1E_B[-7:])
    x = np.abs(a)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        small = x <= 8
        xs = np.where(small, x, dt.type(0))
        xb = np.where(small | np.isnan(x), dt.type(8), x)
        lo = _chbevl(xs / dt.type(2) - dt.type(2), ca, dt) * xs
        hi = _chbevl(dt.type(32) / xb - dt.type(2), cb, dt) / np.sqrt(xb)
        out = np.where(small, lo, np.where(np.isnan(x), x, hi))
    return np.where(a < 0, -out, out).astype(dt, copy=False)     # (+0 at -0)


def _i1e_backward(grad, self, result):
    """PyTorch's i1e_backward: i0e(x) - i1e(x) (sgn x + 1/x), taken as 1/2 where |x| <= eps."""
    d = _data(self)
    eps = float(np.finfo(d.dtype).eps)
    ok = np.abs(d) > eps
    safe = np.where(ok, self, eps)
    gradx = _i0e(safe) - result * (np.sign(safe) + np.reciprocal(safe))
    return grad * np.where(ok, gradx, 0.5)


_i1e = declare(
    "special_i1e", _i1e_forward, promote="float", public=False, node="SpecialI1EBackward0",
    samples=[sample(T(3, 4, low=-4, high=4), call="special.i1e"),
             sample(T(low=-3, high=3), call="special.i1e"),
             sample(T(0, 3), call="special.i1e"),
             sample(T(5, low=-40, high=40), call="special.i1e"),
             sample(T(5, low=-10, high=10, dtype="float32"), call="special.i1e"),
             sample(T(4, low=-5, high=5, dtype="int64"), call="special.i1e", smooth=False),
             sample(T(values=_EDGE + [1e-20, 29.9, 30.1, 8.0, 1e300]), call="special.i1e", smooth=False)],
    self=_i1e_backward)
_i0e = declare(
    "special_i0e", _i0e_forward, promote="float", public=False, node="SpecialI0EBackward0",
    samples=[sample(T(3, 4, low=-4, high=4), call="special.i0e"),
             sample(T(low=-3, high=3), call="special.i0e"),
             sample(T(0, 3), call="special.i0e"),
             sample(T(5, low=-20, high=20, away=(0,)), call="special.i0e"),
             sample(T(5, low=-10, high=10, dtype="float32", away=(0,)), call="special.i0e"),
             sample(T(4, low=-5, high=5, dtype="int64"), call="special.i0e", smooth=False),
             sample(T(values=_EDGE + [1e-20, 7.999, 8.0, 8.001, 1e300]), call="special.i0e", smooth=False)],
    self=lambda grad, self, result: grad * (_i1e(self) - np.sign(self) * result))
FUNCTIONS["special.i0e"] = _public(_i0e, "i0e")
FUNCTIONS["special.i1e"] = _public(_i1e, "i1e")
