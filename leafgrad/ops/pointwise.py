"""Elementwise ops: arithmetic and the unary math functions."""
import numpy as np

from ._blas import axpy, has_axpy
from ._declare import declare, install, make_inplace, same_as, broadcast_error, check_overlap, FUNCTIONS, \
    REGISTRY, _scalar, _carry_modes
from .._modes import STACK as _MODES, only_observers as _only_observers
from ..autograd.grad_mode import state as _grad_state
from .._dtype import get_default_dtype
from ._samples import T, sample
from .._tensor import Tensor

# ---------------------------------------------------------------- binary arithmetic
BINARY = [sample(T(3, 4), T(3, 4)), sample(T(3, 1), T(4)), sample(T(), T(2, 3)), sample(T(2, 3), 1.5),
          sample(T(2, 3), T(2, 3, dtype="float32"))]


def _check_alpha(a, b, alpha):
    if isinstance(alpha, float) and np.result_type(a, b).kind in "biu":
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")


def _wide(v):
    """A float32 array or number in float64 (a number rounded to float32 first, as ATen's
    float kernels take it)."""
    return v.astype(np.float64) if type(v) is np.ndarray else np.float64(np.float32(v))


def fused_multiply_add(x, y, z):
    """``x * y + z`` as ATen's vectorized kernels compute it: rounded once (a fused
    multiply-add) for float32 and float64, unfused for other dtypes. With a number factor
    and arrays of one shape, NumPy's BLAS axpy computes it (``_by_axpy``). Otherwise, for
    float32 the product of float32 numbers is exact in float64, and the float64 sum rounded
    to float32 differs from one rounding only when it lands exactly on a float32 midpoint;
    float64 is built from error-free transformations (below)."""
    dt = np.result_type(x, y, z)
    if dt == np.float32 or dt == np.float64:
        out = _by_axpy(x, y, z, dt)
        if out is not None:
            return out
    if dt == np.float32:
        return (_wide(x) * _wide(y) + _wide(z)).astype(np.float32)
    if dt == np.float64 and not _exact_product(x) and not _exact_product(y):
        return _fma_float64(x, y, z)
    return x * y + z


def _by_axpy(x, y, z, dt):
    """x * y + z through BLAS axpy (``_blas``: one rounding, one pass) when one factor is a
    number and the other factor and z are C-contiguous arrays of dtype ``dt`` and one shape;
    else None."""
    if type(x) is not np.ndarray:
        x, y = y, x
    if type(x) is not np.ndarray or type(z) is not np.ndarray or isinstance(y, np.ndarray) or not _axpy_fits(x, z, dt):
        return None
    out = z.copy()
    axpy(y, x, out)
    return out


def _axpy_fits(x, z, dt):
    """Can a BLAS axpy compute ``x * alpha + z``: arrays of dtype ``dt`` (which has an axpy
    here) and one shape, both C-contiguous?"""
    return (x.dtype == dt and z.dtype == dt and x.shape == z.shape and x.flags.c_contiguous
            and z.flags.c_contiguous and has_axpy(dt))


def _exact_product(v):
    """Is ``v`` a number whose products are exact (0 or a power of two), so that an unfused
    multiply-add rounds once anyway?"""
    return type(v) in (int, float) and (v == 0 or np.frexp(v)[0] in (0.5, -0.5))


# -- float64: NumPy has no fma. x * y + z is split exactly into floats with error-free
# transformations (Dekker's product, Knuth's two-sum): x * y + z = t + te + pe, t the rounded
# sum. t + (te + pe) rounds once, correctly, except where it lands exactly on a midpoint between
# two floats while te + pe itself was rounded: there the rounding error of te + pe says which
# way the exact value lies, and the result moves to the other neighbour when tie-to-even chose
# wrong. Dekker's splitting needs products away from overflow and underflow: the few elements
# outside are scaled by powers of two (exact) and computed again. Zero results take their sign,
# and infinite or NaN operands their value, from the plain formula, which gets those right.
# Long arrays go in slices that stay in the cache (the formula makes ~30 temporaries).

def _two_sum(a, b):
    s = a + b
    b_part = s - a
    return s, (a - (s - b_part)) + (b - b_part)


def _split(a):
    c = 134217729.0 * a          # 2**27 + 1: hi keeps the top 26 bits of a
    hi = c - (c - a)
    return hi, a - hi


def _two_product(a, b, p=None):
    """a * b (``p`` when already computed) and its rounding error, exactly."""
    p = a * b if p is None else p
    a_hi, a_lo = _split(a)
    b_hi, b_lo = _split(b)
    return p, ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo


def _fused(x, y, z, prod=None):
    """x * y + z rounded once, for products of moderate size."""
    p, pe = _two_product(x, y, prod)
    t, te = _two_sum(z, p)
    low, low_err = _two_sum(te, pe)
    r, r_err = _two_sum(t, low)
    twice = r_err + r_err
    midpoint = (r_err != 0) & ((r + twice) - r == twice)
    if midpoint.any():   # (rare) past the midpoint, in the direction of r_err: the other neighbour
        beyond = midpoint & (low_err != 0) & ((low_err > 0) == (r_err > 0))
        r = np.where(beyond, r + twice, r)
    return r


def _fused_scaled(x, y, z):
    """x * y + z rounded once for finite nonzero x, y whose product overflows or underflows
    (the scaled z overflows only where the product is far below half an ulp of z: then z)."""
    ex, ey = np.frexp(x)[1], np.frexp(y)[1]
    scaled_z = np.ldexp(z, -(ex + ey))
    out = np.ldexp(_fused(np.ldexp(x, -ex), np.ldexp(y, -ey), scaled_z), ex + ey)
    return np.where(np.isinf(scaled_z), z, out)


def _fma_slice(x, y, z):
    prod = x * y
    plain = prod + z
    size = np.abs(prod)
    moderate = (size > 1e-280) & (size < 1e290)
    fused = _fused(x, y, z, prod)
    out = np.where(moderate & (fused != 0) & np.isfinite(fused), fused, plain)
    extreme = ~moderate & (x != 0) & (y != 0) & np.isfinite(x) & np.isfinite(y)
    if extreme.any():
        i = np.nonzero(extreme)
        x, y, z = np.broadcast_arrays(x, y, z)
        out[i] = _fused_scaled(x[i], y[i], z[i])
    return out


_FMA_SLICE = 1 << 14


def _fma_float64(x, y, z):
    x, y, z = (np.asarray(v, np.float64) for v in (x, y, z))
    shape = np.broadcast_shapes(x.shape, y.shape, z.shape)
    with np.errstate(all="ignore"):
        size = int(np.prod(shape))
        if size <= _FMA_SLICE:
            return _fma_slice(x, y, z)
        flat = [np.broadcast_to(v, shape).reshape(-1) if v.ndim else v for v in (x, y, z)]
        out = np.empty(size)
        for start in range(0, size, _FMA_SLICE):
            part = slice(start, start + _FMA_SLICE)
            out[part] = _fma_slice(*[v[part] if v.ndim else v for v in flat])
        return out.reshape(shape)


def _add(a, b, alpha=1):
    if alpha == 1:
        return np.add(a, b)
    _check_alpha(a, b, alpha)
    return fused_multiply_add(b, alpha, a)


same_as(np.add, _add)


def _no_bool(a, b, alpha=1):
    if _is_bool(a) and _is_bool(b):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                           "`logical_xor()` operator instead.")
    if _is_bool(a) or _is_bool(b):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")


def _is_bool(x):
    return isinstance(x, (bool, np.bool_)) or getattr(x, "dtype", None) is not None and np.dtype(
        x.dtype.np if hasattr(x.dtype, "np") else x.dtype).kind == "b"


def _sub(a, b, alpha=1):
    if alpha == 1:
        if a.dtype.kind == "b":  # same-dtype operands skip the check in call()
            _no_bool(a, b)
        return np.subtract(a, b)
    _check_alpha(a, b, alpha)
    return fused_multiply_add(b, -alpha, a)


same_as(np.subtract, _sub)   # (bool operands raise above, and a replay never sees them)


add = declare(
    "add", _add, inputs=("self", "other"), promote="common", method=("add", "__add__", "__radd__"),
    inplace="add_", ufunc=np.add, samples=BINARY + [sample(T(2, 3), T(3), alpha=2.5)],
    numbers=("alpha",),
    self=lambda grad: grad,
    other=lambda grad, alpha=1: grad if alpha == 1 else grad * alpha)

sub = declare(
    "sub", _sub, inputs=("self", "other"), promote="common", method=("sub", "__sub__"), check=_no_bool,
    inplace="sub_", ufunc=np.subtract, samples=BINARY + [sample(T(2, 3), T(3), alpha=-0.5)],
    numbers=("alpha",),
    self=lambda grad: grad,
    other=lambda grad, alpha=1: -grad if alpha == 1 else grad * -alpha)


def axpy_operands(self, other):
    """The arrays of tensors ``self`` and ``other`` when a BLAS axpy (``_blas``: rounded
    once as ATen's kernels, no temporary) can write into self's from other's: one float
    dtype that has an axpy, one shape, both C-contiguous, apart in memory; else None."""
    if type(other) is not Tensor:
        return None
    a, b = self._data, other._data
    return (a, b) if _axpy_fits(b, a, a.dtype) and not np.may_share_memory(a, b) else None


def _axpy_plan(sign):
    """``self.add_(other, alpha=a)`` (``sign`` 1) or ``sub_`` (-1) with nothing to record,
    as one axpy into self's array, for a number a other than 1; else None (the general
    way, which also answers calls of other forms)."""
    def plan(self, other=None, *rest, alpha=1, **more):
        if rest or more or alpha == 1 or type(alpha) is not float and type(alpha) is not int:
            return None
        arrays = axpy_operands(self, other)
        return None if arrays is None else (axpy, (sign * alpha, arrays[1], arrays[0]))
    return plan


Tensor.add_ = make_inplace(add, direct=_axpy_plan(1))
Tensor.sub_ = make_inplace(sub, direct=_axpy_plan(-1))


def _rsub(a, b, alpha=1):
    if a.dtype.kind == "b":  # same-dtype operands skip the check in call()
        _no_bool(a, b)
    return np.subtract(b, a) if alpha == 1 else fused_multiply_add(a, -alpha, b)


rsub_scalar = declare(
    "rsub.Scalar", _rsub, inputs=("self", "other"), promote="common", node="RsubBackward1", public=False,
    check=_no_bool, numbers=("alpha",),
    samples=[sample(T(2, 3), 2.0, call="rsub"), sample(T(3), 1.0, call="Tensor.__rsub__")],
    self=lambda grad, alpha=1: -grad if alpha == 1 else grad * -alpha)
rsub_tensor = declare(
    "rsub", _rsub, inputs=("self", "other"), promote="common", node="RsubBackward0", public=False,
    check=_no_bool, numbers=("alpha",),
    samples=[sample(T(2, 3), T(3))],
    self=lambda grad, alpha=1: -grad if alpha == 1 else grad * -alpha,
    other=lambda grad: grad)


def rsub(input, other, *, alpha=1):
    """``other - alpha * input``."""
    fn = rsub_tensor if isinstance(other, Tensor) else rsub_scalar
    return fn(input, other, alpha=alpha) if alpha != 1 else fn(input, other)


FUNCTIONS["rsub"] = rsub
Tensor.__rsub__ = rsub

mul = declare(
    "mul", np.multiply, inputs=("self", "other"), promote="common",
    method=("mul", "multiply", "__mul__", "__rmul__"), inplace="mul_", ufunc=np.multiply,
    samples=BINARY,
    self=same_as(np.multiply, lambda grad, other: grad * other),
    other=same_as(np.multiply, lambda grad, self: grad * self))

div = declare(
    "div", np.true_divide, inputs=("self", "other"), promote="float",
    method=("div", "divide", "true_divide", "__truediv__"), inplace="div_", ufunc=np.true_divide,
    samples=[sample(T(3, 4), T(3, 4, low=0.5)), sample(T(3, 1), T(4, low=0.5)), sample(T(2, 3), 1.5)],
    self=same_as(np.true_divide, lambda grad, other: grad / other),
    other=lambda grad, self, other: -grad * ((self / other) / other))


def _rdiv(self, other):
    # PyTorch computes ``number / tensor`` as reciprocal(tensor) * number.
    return reciprocal(self) * other


Tensor.__rtruediv__ = _rdiv
install(REGISTRY["div"], div, method="true_divide_", inplace=None)
Tensor.divide_ = Tensor.div_


def _neg(a):
    if a.dtype.kind == "b":   # (NumPy's own refusal is a TypeError)
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")
    return np.negative(a)


neg = declare("neg", same_as(np.negative, _neg), method=("neg", "negative", "__neg__"), inplace="neg_",
              ufunc=np.negative, samples=[sample(T(3, 4)), sample(T())],
              self=lambda grad: -grad)
FUNCTIONS["negative"] = neg

reciprocal = declare("reciprocal", np.reciprocal, method=True, inplace="reciprocal_", promote="float",
                     ufunc=np.reciprocal,
                     samples=[sample(T(3, 4, low=0.5)), sample(T(3, low=0.5), 2.0, call="Tensor.__rtruediv__")],
                     self=lambda grad, result: -grad * result * result)


# ---------------------------------------------------------------- power
def _power(a, exponent):
    """``a ** exponent`` for a number exponent, with ATen's shortcuts for the exponents
    whose rounding differs from pow()'s: x*x*x, 1/(x*x) and 1/sqrt(x) (2, -1 and 0.5
    already agree with NumPy's)."""
    if type(a) is np.ndarray and a.dtype.kind == "f" and type(exponent) is not bool and isinstance(
            exponent, (int, float, np.integer, np.floating)):   # (a number, not a tensor's array)
        if exponent == 3:
            return a * a * a
        if exponent == -2:
            return a.dtype.type(1) / (a * a)
        if exponent == -0.5:
            return a.dtype.type(1) / np.sqrt(a)
    return np.power(a, exponent)


def _pow_self(grad, self, exponent):
    if isinstance(exponent, (int, float)) and exponent == 0:
        return grad * 0
    power = _power(self, exponent - 1) if type(self) is np.ndarray else self ** (exponent - 1)
    return grad * (exponent * power)


def _pow_exponent(grad, self, result):
    # d(a^b)/db = a^b log a, taken as 0 where a == 0 and b >= 0, as PyTorch does.
    zero = self == 0
    return grad * np.where(zero, 0, result * np.log(np.where(zero, 1, self)))


def _pow_bool(a, exponent):
    # bool ** bool stays bool in PyTorch: true unless a is false and the exponent true.
    return a | (not exponent)


def _pow_tensors(a, b):
    if a.dtype.kind == "b" and b.dtype.kind == "b":
        raise NotImplementedError('"pow" not implemented for \'Bool\'')
    return np.power(a, b)


pow_scalar = declare(
    "pow.Scalar", lambda a, exponent: _pow_bool(a, exponent) if a.dtype.kind == "b" and isinstance(exponent, bool)
    else _power(a, exponent), node="PowBackward0", public=False,
    samples=[sample(T(3, 4, low=0.5), 3, call="pow"), sample(T(3, 4, low=0.5), 2.5, call="pow"),
             sample(T(3, 4, low=0.5), -2, call="pow"), sample(T(3, 4, low=0.5), -0.5, call="pow"),
             sample(T(3, 4, low=0.5), -1, call="pow"),
             sample(T(3, 4), 2, call="Tensor.__pow__"), sample(T(3, low=0.5), -1.5, call="pow"),
             sample(T(3), 0, call="pow")],
    self=_pow_self)

pow_tensor = declare(
    "pow.Tensor", _pow_tensors, inputs=("self", "exponent"), promote="common", node="PowBackward1",
    public=False, samples=[sample(T(3, 4, low=0.5), T(3, 4), call="pow"),
                           sample(T(3, 1, low=0.5), T(4), call="pow")],
    self=_pow_self, exponent=_pow_exponent)

pow_base = declare(
    "pow.Scalar_self", lambda exponent, base: np.power(base, exponent), inputs=("self",),
    node="PowBackward2", public=False,
    samples=[sample(2.0, T(3, 4), call="pow"), sample(T(3), 2.5, call="Tensor.__rpow__")],
    self=lambda grad, base, result: grad * (result * float(np.log(base))) if base > 0 else grad * 0)


def pow(input, exponent, *, out=None):
    """``input ** exponent`` with a tensor or a number on either side."""
    if isinstance(input, Tensor):
        if isinstance(exponent, Tensor):
            return pow_tensor(input, exponent)
        if isinstance(exponent, (int, float, np.number)):
            if input._data.dtype.kind != "f" and isinstance(exponent, float):
                input = input.to(get_default_dtype())
            return pow_scalar(input, exponent=exponent)
        raise TypeError(f"pow(): argument 'exponent' must be Tensor or Number, not {type(exponent).__name__}")
    return pow_base(exponent, base=input)


FUNCTIONS["pow"] = pow
Tensor.pow = Tensor.__pow__ = pow
Tensor.__rpow__ = lambda self, other: pow(other, self)
Tensor.pow_ = make_inplace(pow)


# ---------------------------------------------------------------- unary math
def _unary(name, forward, formula, low=-2.0, high=2.0, ufunc=None, promote="float", **kw):
    return declare(name, forward, method=True, inplace=name + "_", ufunc=ufunc, promote=promote,
                   samples=[sample(T(3, 4, low=low, high=high)), sample(T(low=low, high=high)),
                            sample(T(0, 3, low=low, high=high))], self=formula, **kw)


exp = _unary("exp", np.exp, same_as(np.multiply, lambda grad, result: grad * result), ufunc=np.exp)
log = _unary("log", np.log, lambda grad, self: grad / self, low=0.2, ufunc=np.log)
sin = _unary("sin", np.sin, lambda grad, self: grad * np.cos(self), ufunc=np.sin)
cos = _unary("cos", np.cos, lambda grad, self: grad * -np.sin(self), ufunc=np.cos)


def _tanh_backward(grad, y):
    """``grad * (1 - y * y)``, the 1 as a cached 0-d array of y's dtype (NumPy converts
    a Python number on every call). Nothing in place: on large arrays that changed the
    order of allocations and frees enough to cost more page faults than it saved."""
    t = y * y
    if type(t) is not np.ndarray:
        return grad * (1 - t)
    one = _ONES.get(t.dtype)
    if one is None:
        one = _ONES[t.dtype] = _scalar(1, t.dtype)
    return grad * (one - t)


_ONES = {}


# tanh's and sigmoid's derivatives are ops of their own, as in PyTorch (so a double
# backward shows TanhBackwardBackward0 and the formulas run once, fused in NumPy).
tanh_backward = declare(
    "tanh_backward", _tanh_backward, inputs=("grad_output", "output"),
    node="TanhBackwardBackward0", public=False,
    samples=[sample(T(3, 4), T(3, 4, low=-0.9, high=0.9), call="_tanh_backward")],
    grad_output=lambda grad, output: tanh_backward(grad, output),
    output=lambda grad, grad_output, output: grad * grad_output * -2 * output)
sigmoid_backward = declare(
    "sigmoid_backward", lambda grad, y: grad * (y * (1 - y)), inputs=("grad_output", "output"),
    node="SigmoidBackwardBackward0", public=False,
    samples=[sample(T(3, 4), T(3, 4, low=0.1, high=0.9), call="_sigmoid_backward")],
    grad_output=lambda grad, output: sigmoid_backward(grad, output),
    output=lambda grad, grad_output, output: grad * grad_output * (1 - 2 * output))
FUNCTIONS.update(_tanh_backward=tanh_backward, _sigmoid_backward=sigmoid_backward)

tanh = _unary("tanh", np.tanh, lambda grad, result: tanh_backward(grad, result), ufunc=np.tanh)
sqrt = _unary("sqrt", np.sqrt, lambda grad, result: grad / (2 * result), low=0.2, ufunc=np.sqrt)


def _sigmoid(x):
    # 1 / (1 + e^-x), finite for large |x| in both directions.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


sigmoid = _unary("sigmoid", _sigmoid, lambda grad, result: sigmoid_backward(grad, result))


def _abs(a):
    if a.dtype.kind == "b":
        raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
    return np.absolute(a)


abs = declare("abs", same_as(np.absolute, _abs), method=("abs", "absolute", "__abs__"), inplace="abs_",
              ufunc=np.absolute,
              samples=[sample(T(3, 4, away=(0,))), sample(T(values=[-1.0, 0.0, 2.0]), smooth=False),
                       sample(T(3, dtype="int64"))],
              self=lambda grad, self: grad * np.sign(self))
FUNCTIONS["absolute"] = abs


def _relu(x):
    # x < 0 ? 0 : x, as PyTorch: -0.0 stays -0.0. (NumPy's maximum and minimum give their
    # second operand where the two tie, so the input goes second; see binary._maximum.)
    return np.maximum(0, x, dtype=x.dtype)


_INT_OF = {2: np.int16, 4: np.int32, 8: np.int64}


def _threshold_backward(grad, self, threshold):
    """PyTorch's ``self <= threshold ? 0 : grad``, bit for bit: +0.0 where ``self`` is at
    or below the threshold (whatever ``grad`` is there, inf and nan included), ``grad``
    itself elsewhere (its -0.0, inf and nan kept; a nan ``self`` passes ``grad``).

    ``np.where`` is slow on a mask that changes at random (relu's); a multiplication is
    not, but ``inf * 0`` is nan and ``-1.0 * 0`` is -0.0. So the float grad is taken as
    integers of its width and multiplied by the mask as 0 or 1: the result has grad's
    bits or all-zero bits (+0.0), in about the time of one float multiplication."""
    keep = np.less_equal(self, threshold)
    if type(grad) is _ndarray and grad.dtype.kind == "f" and type(keep) is _ndarray and keep.shape == grad.shape:
        it = _INT_OF.get(grad.dtype.itemsize)
        if it is not None:
            np.logical_not(keep, out=keep)
            bits = keep.astype(it)
            np.multiply(bits, grad.view(it), out=bits)
            return bits.view(grad.dtype)
    return np.where(keep, 0, grad).astype(grad.dtype, copy=False)


_ndarray = np.ndarray

# relu's derivative is itself an op, so that its result depends on relu's output as
# PyTorch's threshold_backward does (the flags of a double backward then match).
threshold_backward = declare(
    "threshold_backward", _threshold_backward, inputs=("grad_output", "self"), node="ThresholdBackwardBackward0",
    public=False,
    samples=[sample(T(3, 4), T(3, 4, away=(0,)), threshold=0.0, call="_threshold_backward")],
    grad_output=lambda grad, self, threshold: threshold_backward(grad, self, threshold=threshold),
    self=lambda grad: grad * 0)
FUNCTIONS["_threshold_backward"] = threshold_backward

relu = declare("relu", _relu, method=True, inplace="relu_",
               samples=[sample(T(3, 4, away=(0,))), sample(T(values=[-1.0, 0.0, 2.0]), smooth=False)],
               self=lambda grad, result: _threshold_backward(grad, result, 0) if type(grad) is _ndarray and type(
                   result) is _ndarray else threshold_backward(grad, result, threshold=0))

def real_sign(a):
    """PyTorch's sign of real numbers, ``(0 < a) - (a < 0)``: NaN gives 0, bool is kept."""
    if a.dtype.kind == "b":
        return a.copy()
    s = np.sign(a)
    if a.dtype.kind == "f" and np.isnan(s).any():
        s = np.where(s != s, 0, s)
    return s


sign = declare("sign", real_sign, method=True, inplace="sign_", ufunc=np.sign,
               samples=[sample(T(3, 4), smooth=False),
                        sample(T(values=[float("nan"), -0.0, 2.0, -float("inf")]), smooth=False)],
               self=lambda grad: grad * 0)


# ---------------------------------------------------------------- clamp
def _clamp_forward(a, min=None, max=None):
    # The input second: where it ties with a bound it is kept (-0.0 against 0.0), as in PyTorch.
    out = a if min is None else np.maximum(min, a, dtype=a.dtype)
    return out if max is None else np.minimum(max, out, dtype=a.dtype)


def _clamp_grad(grad, self, min=None, max=None):
    # Gradient flows where the input lies inside [min, max], bounds included (PyTorch).
    inside = np.ones(self.shape, dtype=bool) if min is None else (self >= min)
    if max is not None:
        inside = inside & (self <= max)
    return np.where(inside, grad, 0)


clamp_scalar = declare(
    "clamp", _clamp_forward, node="ClampBackward1", public=False,
    samples=[sample(T(3, 4, away=(-0.5, 0.5)), -0.5, 0.5, call="clamp"),
             sample(T(3, away=(0.0,)), min=0.0, call="clamp"), sample(T(3, away=(0.3,)), max=0.3, call="clip")],
    self=_clamp_grad)


def _clamp_tensor_forward(a, lo, hi):
    return np.minimum(hi, np.maximum(lo, a))   # (the input second: kept where it ties)


clamp_tensor = declare(
    "clamp.Tensor", _clamp_tensor_forward, inputs=("self", "min", "max"), node="ClampBackward0", promote="common",
    public=False,
    samples=[sample(T(3, 4), T(3, 4, low=-1, high=0), T(4, low=0, high=1), call="clamp")],
    self=lambda grad, self, min, max: np.where((self >= min) & (self <= max), grad, 0),
    min=lambda grad, self, min, max: np.where(self < min, grad, 0) * np.where(min <= max, 1, 0),
    max=lambda grad, self, max: np.where(self > max, grad, 0))


# clamp_min / clamp_max: one bound, with nodes of their own (ClampMinBackward0 for a
# number, ClampMinBackward1 for a tensor; the same for max), as in PyTorch.
def _clamp_min_forward(a, min):
    return _clamp_forward(a, min=min)


def _clamp_max_forward(a, max):
    return _clamp_forward(a, max=max)


clamp_min_scalar = declare(
    "clamp_min", _clamp_min_forward, node="ClampMinBackward0", public=False,
    samples=[sample(T(3, 4, away=(0.0,)), 0.0, call="clamp_min"),
             sample(T(3, away=(0.2,)), min=0.2, call="Tensor.clamp_min"),
             sample(T(values=[-1.0, -0.0, 0.0, 2.0]), 0.0, call="clamp_min", smooth=False)],
    self=lambda grad, self, min: np.where(self >= min, grad, 0))
clamp_max_scalar = declare(
    "clamp_max", _clamp_max_forward, node="ClampMaxBackward0", public=False,
    samples=[sample(T(3, 4, away=(0.0,)), 0.0, call="clamp_max"),
             sample(T(3, away=(0.2,)), max=0.2, call="Tensor.clamp_max"),
             sample(T(values=[-1.0, -0.0, 0.0, 2.0]), -0.0, call="clamp_max", smooth=False)],
    self=lambda grad, self, max: np.where(self <= max, grad, 0))
clamp_min_tensor = declare(
    "clamp_min.Tensor", lambda a, lo: np.maximum(lo, a), inputs=("self", "min"), node="ClampMinBackward1",
    promote="common", public=False, samples=[sample(T(3, 4), T(4), call="clamp_min"), sample(T(3), T(3), call="Tensor.clamp_min")],
    self=lambda grad, self, min: np.where(self >= min, grad, 0),
    min=lambda grad, self, min: np.where(self < min, grad, 0))
clamp_max_tensor = declare(
    "clamp_max.Tensor", lambda a, hi: np.minimum(hi, a), inputs=("self", "max"), node="ClampMaxBackward1",
    promote="common", public=False, samples=[sample(T(3, 4), T(4), call="clamp_max"), sample(T(3), T(3), call="Tensor.clamp_max")],
    self=lambda grad, self, max: np.where(self <= max, grad, 0),
    max=lambda grad, self, max: np.where(self > max, grad, 0))


_BOUND_TYPES = (Tensor, bool, int, float, np.number, np.bool_)
_MISSING = object()   # (clamp_min and clamp_max take their bound positionally, and must have it)


def _clamp_input(name, input, bounds, names):
    """``input`` cast to the type PyTorch promotes it and the bounds to (an int tensor
    clamped to 0.5 becomes float), after its check of the arguments' types: bounds are
    numbers or tensors, and clamp's two are both tensors or both numbers."""
    given = [b for b in bounds if b is not None and b is not _MISSING]
    if not isinstance(input, Tensor) or len(given) < len(bounds) and name != "clamp" or not all(
            isinstance(b, _BOUND_TYPES) for b in given) or len({isinstance(b, Tensor) for b in given}) > 1:
        from .binary import _overload_error
        opt = " = None" if name == "clamp" else ""
        raise _overload_error(name, [", ".join(["Tensor input"] + [f"{kind} {n}{opt}" for n in names]
                                                + ["*", "Tensor out = None"]) for kind in ("Tensor", "Number")],
                              [input] + given)
    from .._dtype import result_type_of
    dtype = result_type_of([input] + given)
    return input if dtype == input.dtype else input.to(dtype)


def _no_bool_kernel(input, kernel):
    """PyTorch's clamp kernels with number bounds (and its two-tensor one) take no bool."""
    if input._data.dtype.kind == "b":
        raise NotImplementedError(f'"{kernel}_cpu" not implemented for \'Bool\'')


def _bound_tensor(input, value, low):
    """A bound as a tensor of ``input``'s dtype: the extreme value of the dtype where
    there is none."""
    if value is not None:
        return value
    from .._creation import full_like
    dt = input._data.dtype
    value = (dt.type(0) if low else dt.type(1)) if dt.kind == "b" else \
        (-np.inf if low else np.inf) if dt.kind in "fc" else (np.iinfo(dt).min if low else np.iinfo(dt).max)
    return full_like(input, value)


def clamp_min(input, min=_MISSING):
    """``input`` with values below ``min`` (a number or a tensor) raised to it."""
    input = _clamp_input("clamp_min", input, (min,), ("min",))
    if isinstance(min, Tensor):
        return clamp_min_tensor(input, min)
    _no_bool_kernel(input, "clamp_min_scalar")
    return clamp_min_scalar(input, min=min)


def clamp_max(input, max=_MISSING):
    """``input`` with values above ``max`` (a number or a tensor) lowered to it."""
    input = _clamp_input("clamp_max", input, (max,), ("max",))
    if isinstance(max, Tensor):
        return clamp_max_tensor(input, max)
    _no_bool_kernel(input, "clamp_max_scalar")
    return clamp_max_scalar(input, max=max)


def _as_number(bound, other):
    """A 0-d tensor that requires no grad beside a number bound: PyTorch's argument parser
    takes it as a number (clamp's number overload)."""
    if isinstance(bound, Tensor) and other is not None and not isinstance(other, Tensor) and \
            bound.dim() == 0 and not bound.requires_grad:
        return bound.item()
    return bound


def clamp(input, min=None, max=None, *, out=None):
    """Limit values to [min, max]; either bound may be omitted, numbers or tensors."""
    min, max = _as_number(min, max), _as_number(max, min)
    input = _clamp_input("clamp", input, (min, max), ("min", "max"))
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        if min is not None and max is not None:
            _no_bool_kernel(input, "clamp")
        return clamp_tensor(input, _bound_tensor(input, min, True), _bound_tensor(input, max, False))
    _no_bool_kernel(input, "clamp_scalar" if min is not None and max is not None else
                    "clamp_min_scalar" if min is not None else "clamp_max_scalar")
    kw = {}
    if min is not None:
        kw["min"] = min
    if max is not None:
        kw["max"] = max
    return clamp_scalar(input, **kw)


# ---------------------------------------------------------------- filling and copying
fill_scalar = declare("fill", lambda a, value: np.full_like(a, value), node="FillBackward2", public=False,
                      samples=[sample(T(3), 2.0, call="Tensor.fill_", prep="clone")], self=lambda grad: grad * 0)
fill_tensor = declare("fill.Tensor", lambda a, v: np.full_like(a, v), inputs=("self", "value"),
                      node="FillBackward3", public=False,
                      samples=[sample(T(3), T(), call="Tensor.fill_", prep="clone")],
                      self=lambda grad: grad * 0, value=lambda grad: np.sum(grad))
zero = declare("zero", lambda a: np.zeros_like(a), node="ZeroBackward0", public=False,
               samples=[sample(T(3), call="Tensor.zero_", prep="clone")], self=lambda grad: grad * 0)


def _copy_forward(a, src):
    return np.broadcast_to(src, a.shape).astype(a.dtype)


copy = declare("copy", _copy_forward, inputs=("self", "src"), node="CopyBackwards", public=False,
               samples=[sample(T(2, 3), T(3), call="Tensor.copy_", prep="clone")],
               self=lambda grad: grad * 0, src=lambda grad, src_dtype: _cast_to(grad, src_dtype))


def _cast_to(grad, np_dtype):
    if isinstance(grad, np.ndarray):
        return grad.astype(np_dtype, copy=False)
    from .._dtype import from_numpy_dtype
    return grad.to(from_numpy_dtype(np_dtype))


REGISTRY["copy"].node_cls._cname = "torch::autograd::CopyBackwards"


def _fill_(self, value):
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value.dim()} dimensions.")
        return make_inplace(fill_tensor)(self, value)   # (writes into expanded tensors only from numbers, as torch)
    return _fill_scalar_(self, value=value)


def _copy_(self, src, non_blocking=False):
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not {type(src).__name__}")
    data = self._data
    if src._data.shape != data.shape:
        _check_copy_shapes(data, src._data)
    if not _grad_state.enabled and not self._inference and (not _MODES or _only_observers()):
        # Nothing to record (an optimizer step under no_grad): write, bump the version.
        check_overlap(self, (src,))
        np.copyto(data, src._data, casting="unsafe")
        self._vc[0] += 1
        if _MODES:
            _carry_modes(self, src)
        return self
    return make_inplace(copy)(self, src)


def _check_copy_shapes(data, src):
    """PyTorch's errors when ``src`` does not broadcast to ``data``'s shape: the shapes do not
    broadcast at all, or their broadcast shape is larger than ``data``'s."""
    try:
        shape = np.broadcast_shapes(data.shape, src.shape)
    except ValueError:
        raise broadcast_error(data, src) from None
    if shape != data.shape:
        raise RuntimeError(f"output with shape {list(data.shape)} doesn't match the broadcast shape {list(shape)}")


_CPP_TYPE_NAMES = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
                   "uint8": "unsigned char", "bool": "bool"}


def _clamp_inplace(fn):
    """``x.clamp_(...)``, ``clamp_min_``, ``clamp_max_``. When number bounds promote an
    integer ``x`` to float, PyTorch's kernel names x's type as C++ does in its error."""
    inplace = make_inplace(fn)

    def method(self, *args, **kwargs):
        bounds = args + tuple(kwargs.values())
        if isinstance(self, Tensor) and self._data.dtype.kind in "biu" and not any(
                isinstance(b, Tensor) for b in bounds) and any(isinstance(b, (float, np.floating)) for b in bounds):
            from .._dtype import result_type_of
            from .._tensor import _LEGACY_NAMES
            res = result_type_of([self] + [b for b in bounds if b is not None])
            raise RuntimeError(f"result type {_LEGACY_NAMES[res.np.name]} can't be cast to the desired output "
                               f"type {_CPP_TYPE_NAMES[self._data.dtype.name]}")
        return inplace(self, *args, **kwargs)
    method.__name__ = inplace.__name__
    return method


FUNCTIONS.update(clamp=clamp, clip=clamp, clamp_min=clamp_min, clamp_max=clamp_max)
Tensor.clamp = Tensor.clip = clamp
Tensor.clamp_ = Tensor.clip_ = _clamp_inplace(clamp)
Tensor.clamp_min, Tensor.clamp_max = clamp_min, clamp_max
Tensor.clamp_min_, Tensor.clamp_max_ = _clamp_inplace(clamp_min), _clamp_inplace(clamp_max)
Tensor.fill_ = _fill_
Tensor.zero_ = make_inplace(zero, overlap_ok=True)
_fill_scalar_ = make_inplace(fill_scalar, overlap_ok=True)
Tensor.copy_ = _copy_
for _name in ("add", "sub", "mul", "div"):
    setattr(Tensor, f"__i{_name if _name != 'div' else 'truediv'}__", getattr(Tensor, _name + "_"))


# ---------------------------------------------------------------- addcmul / addcdiv
def _addcmul(a, t1, t2, value=1):
    # (value * t1) * t2 + a, fused as ATen's kernel
    return fused_multiply_add(t1 * value if value != 1 else t1, t2, a)


def _addcdiv(a, t1, t2, value=1):
    if np.result_type(t1, t2).kind in "biu":
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform a "
            "true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + "
            "value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * "
            "tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes.")
    return a + (t1 * value if value != 1 else t1) / t2   # (value * t1) / t2, in ATen's order


_ADDC = [sample(T(3, 4), T(3, 4), T(3, 4, low=0.5)), sample(T(3, 1), T(4), T(3, 4, low=0.5), value=2.5),
         sample(T(3), T(3), T(3, low=0.5), call="Tensor.addcmul")]
addcmul = declare(
    "addcmul", _addcmul, inputs=("self", "tensor1", "tensor2"), promote="common", method=True, inplace="addcmul_",
    samples=_ADDC, numbers=("value",),
    self=lambda grad: grad,
    tensor1=lambda grad, tensor2, value=1: grad * (value * tensor2),
    tensor2=lambda grad, tensor1, value=1: grad * (value * tensor1))
addcdiv = declare(
    "addcdiv", _addcdiv, inputs=("self", "tensor1", "tensor2"), promote="common", method=True, inplace="addcdiv_",
    samples=[sample(*s.args, call=s.call.replace("addcmul", "addcdiv") if s.call else None, **s.kwargs)
             for s in _ADDC], numbers=("value",),
    self=lambda grad: grad,
    tensor1=lambda grad, tensor2, value=1: grad * (value / tensor2),
    tensor2=lambda grad, tensor1, tensor2, value=1: -grad * (value * tensor1 / (tensor2 * tensor2)))
