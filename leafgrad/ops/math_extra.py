"""Elementwise math that PyTorch has beyond the rest: gcd and lcm, ldexp, frexp and
nextafter, the modified Bessel function i0 (with i1 for its derivative), mvlgamma, and
the Cholesky-based cholesky_solve and cholesky_inverse.

gcd and lcm follow ATen's integer kernels, overflow included: Euclid's algorithm on the
absolute values with C's truncating remainder (so gcd(7, INT64_MIN) is -1 and
gcd(0, INT64_MIN) is INT64_MIN), and lcm = |a / gcd * b| wrapping around in the dtype.

i1 (NumPy has only i0) is computed in float64 by its power series
sum (x/2)^(2k+1) / (k! (k+1)!) for |x| <= 30 (positive terms: no cancellation) and by
its asymptotic expansion e^x / sqrt(2 pi x) sum_k (-1)^k a_k(1) / x^k beyond, where both
agree with mpmath to a few ulp of float64; float32 and float16 round from float64.
"""
import math
import warnings

import numpy as np

from ._declare import FUNCTIONS, declare, make_inplace, _cast_check
from ._samples import T, sample
from .. import _dtype
from .._tensor import Tensor, _LEGACY_NAMES
from ..autograd import grad_mode
from .pointwise import pow_base
from .stats import _write_out
from .unary import _with_out, _via_float64

_state = grad_mode.state
_LN2 = math.log(2.0)


def _type_error(fn, arg, pos, value):
    return TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not {type(value).__name__}")


def _check_tensors(fn, input, other, method=False):
    if not isinstance(input, Tensor):
        raise _type_error(fn, "input", 1, input)
    if not isinstance(other, Tensor):
        raise _type_error(fn, "other", 1 if method else 2, other)


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
    zero = g == 0
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        q = np.floor_divide(a, np.where(zero, 1, g).astype(g.dtype))   # exact: g divides a
        res = np.abs(q * b)
    return np.where(zero, np.zeros((), g.dtype), res).astype(g.dtype, copy=False)


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
gcd = _binary_api("gcd", _gcd, out_rule=_cast_rule)
lcm = _binary_api("lcm", _lcm, out_rule=_cast_rule)


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
            ei = np.clip(e, -100000, 100000).astype(np.int32)
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
             sample(T(values=[1.5, 3.5, 3.5], dtype="float32"), T(values=[-149, -150, 128], dtype="int64"), call="ldexp", smooth=False)],
    self=_ldexp_self_grad,
    other=lambda grad, result: grad * result * _LN2)


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
    g = grads[0]
    return g * np.ldexp(np.ones((), np.float64), -np.asarray(exponent, np.int32))


_frexp = declare(
    "frexp", _frexp_forward, outputs=("mantissa", "exponent"), public=False,
    samples=[sample(T(3, 4), call="frexp", smooth=False), sample(T(low=-40, high=40), call="frexp", smooth=False),
             sample(T(5, dtype="float32", low=-100, high=100), call="Tensor.frexp", smooth=False),
             sample(T(0, 2), call="frexp", smooth=False),
             sample(T(values=[0.0, -0.0, 1e-310, 5e-324, float("inf"), float("nan"), -3.5]), call="frexp",
                    smooth=False)],
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
def _zeros_like(grad):
    if isinstance(grad, Tensor):
        from .._creation import zeros_like
        return zeros_like(grad)
    return np.zeros_like(grad)


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
             sample(T(3, dtype="float32"), T(dtype="float64"), call="nextafter", smooth=False),
             sample(T(values=[0.0, -0.0, float("nan"), 1.0, float("inf")]),
                    T(values=[-0.0, 0.0, 1.0, float("nan"), 0.0]), call="nextafter", smooth=False)],
    self=lambda grad, self, other: np.where(self == other, 0, grad),
    other=lambda grad: _zeros_like(grad))
nextafter = _binary_api("nextafter", _nextafter, out_rule=_cast_rule)
