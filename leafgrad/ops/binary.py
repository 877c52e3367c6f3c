"""Elementwise binary ops: division with rounding, floor division, remainder and fmod,
float_power, atan2, maximum/minimum and fmax/fmin, hypot, copysign, isclose.

``div`` itself is declared in pointwise.py; this module replaces the public ``div`` /
``divide`` (function and methods) by a wrapper that adds ``rounding_mode``: PyTorch
records ``DivBackward0`` for a plain division but ``DivBackward2`` as soon as
``rounding_mode`` is passed, even as None, so the wrapper tells "not passed" from None.
"""

import numpy as np

from ._declare import FUNCTIONS, REGISTRY, declare, make_inplace, write_into, _cast_check, refuse_batched
from .._tensor import _LEGACY_NAMES as _TYPE_NAMES
from ._samples import T, sample
from .. import _dtype
from .._tensor import Tensor
from ..autograd import grad_mode
from . import pointwise as _pw
from .stats import _resize_out, _write_out

_state = grad_mode.state
_NUMBERS = (int, float, bool, np.number, np.bool_)


# ---------------------------------------------------------------- helpers
def _type_error(fn, arg, pos, value):
    return TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not {type(value).__name__}")


def _check_tensors(fn, input, other, method=False):
    """PyTorch's argument-parser error for ops that take tensors only."""
    if not isinstance(input, Tensor):
        raise _type_error(fn, "input", 1, input)
    if not isinstance(other, Tensor):
        raise _type_error(fn, "other", 1 if method else 2, other)


def _not_implemented_for(kernel, a):
    return NotImplementedError(f"\"{kernel}_cpu\" not implemented for '{_TYPE_NAMES[a.dtype.name]}'")


def _check_kernel(kernel, a, b, bool_ok=False, int_ok=True):
    """The dtype the kernel runs in (that of ``a`` after promotion) must be supported."""
    kind = a.dtype.kind
    if kind == "b" and not bool_ok or kind in "iu" and not int_ok:
        raise _not_implemented_for(kernel, a)
    if kind in "biu" and np.any(np.asarray(b) == 0) and kernel != "hypot":
        raise RuntimeError("ZeroDivisionError")


def _operand(a, b):
    """A Python/NumPy scalar operand of an integer op as the array's dtype, wrapping
    around as PyTorch's cast does (uint8 % -3 computes with 253)."""
    if isinstance(b, np.ndarray) or a.dtype.kind == "f":
        return b
    return np.array(b).astype(a.dtype)


def _nan_quiet():
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")


def _with_out(name, out, inputs, compute, record=False):
    """Run ``compute`` and, with ``out=``, write its result into ``out`` as PyTorch does:
    refused while recording (``record``: ops without a derivative record their
    NotImplemented node on ``out``), resized with a warning when the shape differs, and
    cast only where the result type can be cast to out's dtype."""
    if out is None:
        return compute()
    if record:
        res = compute()
    elif _state.enabled and any(isinstance(x, Tensor) and x._requires_grad for x in inputs):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    else:
        with grad_mode.no_grad():
            res = compute()
    _cast_check(res._data.dtype, out._data.dtype)
    if res._grad_fn is not None:  # record: out takes res's node
        _resize_out(out, res._data.shape)
        write_into(out, res)
        return out
    return _write_out(out, res, name)


def _cast_to(x, target):
    """``x`` (a Tensor) in dtype ``target`` (no graph effect for the integer/bool
    tensors this is used on)."""
    return x if x._data.dtype == target.np else x.to(target)


def _not_implemented_node(spec_name, aten):
    """PyTorch records a ``NotImplemented`` node for ops without a derivative; its
    backward raises. The spec declares no formula, so the sweep never differentiates it."""
    cls = REGISTRY[spec_name].node_cls

    def _apply(self, grads, graph):
        raise RuntimeError(f"derivative for aten::{aten} is not implemented")
    cls._apply = _apply
    cls._cname = "torch::autograd::NotImplemented"
    # it is connected to the inputs that require grad only
    cls.next_functions = property(lambda self: tuple(e for e in self._next if e is not None))


def _arg_type(x):
    return "Tensor" if isinstance(x, Tensor) else type(x).__name__


def _matches(kind, x):
    return isinstance(x, Tensor) if kind == "Tensor" else isinstance(x, _NUMBERS) and not isinstance(x, Tensor)


def _overload_error(fn, signatures, args):
    """PyTorch's argument-parser message when no overload takes ``args``: every
    signature, and for those taking exactly as many arguments, which ones mismatch."""
    got = ", ".join(_arg_type(a) for a in args)
    text = f"{fn}() received an invalid combination of arguments - got ({got}), but expected one of:\n"
    for sig in signatures:
        text += f" * ({sig})\n"
        params = [p for p in sig.split(", ") if p != "*"]
        if len(params) == len(args):
            marks = ", ".join(_arg_type(a) if _matches(p.split(" ")[0], a) else f"!{_arg_type(a)}!"
                              for p, a in zip(params, args))
            text += f"      didn't match because some of the arguments have invalid types: ({marks})\n"
    return TypeError(text)


def _reflected(fn):
    """A Python operator: an operand of the wrong type gives NotImplemented, so Python
    raises its own "unsupported operand type(s)" error."""
    def op(self, other):
        if not isinstance(other, (Tensor,) + _NUMBERS):
            return NotImplemented
        return fn(self, other)
    op.__name__ = fn.__name__
    return op


# ---------------------------------------------------------------- division with rounding
def _div_trunc(a, b):
    if a.dtype.kind == "f":
        with _nan_quiet():
            return np.trunc(np.true_divide(a, b, dtype=a.dtype))
    _check_kernel("div_trunc", a, b)
    b = _operand(a, b)
    q = np.floor_divide(a, b)
    # floor rounds toward -inf: step back toward zero where the division is inexact
    # and the signs differ
    fix = (np.remainder(a, b) != 0) & ((a < 0) != (b < 0))
    return q + fix.astype(q.dtype) if fix.any() else q


def _div_floor(a, b):
    if a.dtype.kind == "f":
        with _nan_quiet():
            return np.floor_divide(a, b)
    _check_kernel("div_floor", a, b)
    return np.floor_divide(a, _operand(a, b))


def _div_mode_forward(a, b, rounding_mode=None):
    a = np.asarray(a)
    if rounding_mode is None:
        with _nan_quiet():
            return np.true_divide(a, b)
    return _div_trunc(a, b) if rounding_mode == "trunc" else _div_floor(a, b)


_ROUND = dict(smooth=False)
div_mode = declare(
    "div.Tensor_mode", _div_mode_forward, inputs=("self", "other"), promote="common", node="DivBackward2",
    public=False,
    samples=[sample(T(3, 4), T(3, 4, away=(0,)), rounding_mode="floor", call="div", **_ROUND),
             sample(T(3, 1), T(4, low=0.5), rounding_mode="trunc", call="div", **_ROUND),
             sample(T(2, 3), 1.5, rounding_mode="floor", call="Tensor.div", **_ROUND),
             sample(T(2, 3), -0.7, rounding_mode="trunc", call="divide", **_ROUND),
             sample(T(), T(2, 3, low=0.5), rounding_mode="floor", call="Tensor.divide", **_ROUND),
             sample(T(3, 4), T(3, 4, low=0.5), rounding_mode=None, call="div"),
             sample(T(3, 1), T(4, low=0.5), rounding_mode=None, call="Tensor.div"),
             sample(T(2, 3), T(3, dtype="float32", low=0.5), rounding_mode="floor", call="div", **_ROUND),
             sample(T(5, dtype="int64", low=-9, high=9), T(5, dtype="int64", low=1, high=4),
                    rounding_mode="trunc", call="div", **_ROUND),
             sample(T(5, dtype="int64", low=-9, high=9), -3, rounding_mode="floor", call="div", **_ROUND),
             sample(T(4, dtype="int32", low=-9, high=9), T(4, dtype="int64", low=1, high=4),
                    rounding_mode=None, call="div", **_ROUND),
             sample(T(0, 3), T(3), rounding_mode="floor", call="div", **_ROUND)],
    self=lambda grad, other, rounding_mode=None: grad / other if rounding_mode is None else grad * 0,
    other=lambda grad, self, other, rounding_mode=None: (-grad * ((self / other) / other)
                                                         if rounding_mode is None else grad * 0))

_true_div = _pw.div
_UNSET = object()


def _div_rounded(input, other, rounding_mode):
    if rounding_mode not in (None, "trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")
    if rounding_mode is None:
        # true division: integer and bool operands divide as the default float dtype
        if _dtype.result_type_of([input, other])._category != 2:
            target = _dtype.get_default_dtype()
            input = _cast_to(input, target) if isinstance(input, Tensor) else float(input)
            other = _cast_to(other, target) if isinstance(other, Tensor) else float(other)
    return div_mode(input, other, rounding_mode=rounding_mode)


def div(input, other, *, rounding_mode=_UNSET, out=None):
    """``input / other``; ``rounding_mode`` 'trunc' rounds the quotient toward zero,
    'floor' toward -inf (integer inputs then give integer results)."""
    if rounding_mode is _UNSET:
        if out is None:
            return _true_div(input, other)
        return _with_out("div", out, (input, other), lambda: _true_div(input, other))
    return _with_out("div", out, (input, other), lambda: _div_rounded(input, other, rounding_mode))


def _div_method(self, other, *, rounding_mode=_UNSET):
    if rounding_mode is _UNSET:
        return _true_div(self, other)
    return _div_rounded(self, other, rounding_mode)


FUNCTIONS["div"] = FUNCTIONS["divide"] = div
FUNCTIONS["true_divide"] = _true_div
Tensor.div = Tensor.divide = _div_method
Tensor.div_ = Tensor.divide_ = make_inplace(_div_method)


# ---------------------------------------------------------------- floor_divide
def _floor_divide_forward(a, b):
    a = np.asarray(a)
    if a.dtype.kind == "f":
        with _nan_quiet():
            return np.floor_divide(a, b)
    _check_kernel("div_floor", a, b)
    return np.floor_divide(a, _operand(a, b))


_NO_GRAD = dict(grad=False)
floor_divide_op = declare(
    "floor_divide", _floor_divide_forward, inputs=("self", "other"), promote="common", node="NotImplemented",
    public=False,
    samples=[sample(T(3, 4, **_NO_GRAD), T(3, 4, away=(0,), **_NO_GRAD), call="floor_divide", smooth=False),
             sample(T(3, 1, **_NO_GRAD), T(4, low=0.5, **_NO_GRAD), call="Tensor.floor_divide", smooth=False),
             sample(T(2, 3, **_NO_GRAD), 1.5, call="Tensor.__floordiv__", smooth=False),
             sample(T(2, 3, away=(0,), **_NO_GRAD), 2.5, call="Tensor.__rfloordiv__", smooth=False),
             sample(T(5, dtype="int64", low=-9, high=9), T(5, dtype="int64", low=1, high=4),
                    call="floor_divide", smooth=False),
             sample(T(5, dtype="int64", low=-9, high=9), -2, call="Tensor.__floordiv__", smooth=False),
             sample(T(5, dtype="int64", low=1, high=5), 7, call="Tensor.__rfloordiv__", smooth=False),
             sample(T(5, dtype="int16", low=-9, high=9), T(5, dtype="uint8", low=1, high=4),
                    call="floor_divide", smooth=False)])
_not_implemented_node("floor_divide", "floor_divide")


def floor_divide(input, other, *, out=None):
    """Division rounded toward -inf (as ``div(..., rounding_mode='floor')``; no gradient)."""
    return _with_out("floor_divide", out, (input, other), lambda: floor_divide_op(input, other), record=True)


def _rfloordiv(self, other):
    return floor_divide_op(other, self)


FUNCTIONS["floor_divide"] = floor_divide
Tensor.floor_divide = floor_divide_op
Tensor.__floordiv__ = _reflected(floor_divide_op)
Tensor.__rfloordiv__ = _reflected(_rfloordiv)
Tensor.floor_divide_ = make_inplace(floor_divide_op)
Tensor.__ifloordiv__ = _reflected(Tensor.floor_divide_)


# ---------------------------------------------------------------- remainder and fmod
def _remainder_forward(a, b):
    a = np.asarray(a)
    if a.dtype.kind == "f":
        # fmod, then moved into the divisor's sign (zeros keep fmod's sign, as PyTorch)
        with _nan_quiet():
            mod = np.fmod(a, b)
            return np.where((mod != 0) & ((np.asarray(b) < 0) != (mod < 0)), mod + b, mod).astype(
                mod.dtype, copy=False)
    _check_kernel("remainder", a, b)
    return np.remainder(a, _operand(a, b))


def _fmod_forward(a, b):
    a = np.asarray(a)
    if a.dtype.kind == "f":
        with _nan_quiet():
            return np.fmod(a, b)
    _check_kernel("fmod", a, b)
    return np.fmod(a, _operand(a, b))


def _scalar_forward(fn):
    return lambda a, other: fn(a, other)


def _tensor_scalar_cast(input, other):
    """An integer/bool tensor with a float scalar computes in the default float dtype."""
    target = _dtype.result_type_of([input, other])
    return _cast_to(input, target)


_MOD_TENSOR = [sample(T(3, 4), T(3, 4, low=0.5)), sample(T(3, 1), T(4, low=0.5)),
               sample(T(3, 4), T(3, 4, low=-2, high=-0.5)), sample(T(), T(2, 3, low=0.5)),
               sample(T(2, 3), T(2, 3, low=0.5, dtype="float32")),
               sample(T(5, dtype="int64", low=-9, high=9), T(5, dtype="int64", low=-4, high=-1), smooth=False),
               sample(T(values=[-2.0, 2.0, 0.0]), T(values=[2.0, -2.0, 3.0]), smooth=False)]
_MOD_SCALAR = [sample(T(3, 4), 1.5), sample(T(3), -0.7, call="Tensor.{}"), sample(T(2, 3), 2),
               sample(T(5, dtype="int64", low=-9, high=9), 3, smooth=False),
               sample(T(5, dtype="int64", low=-9, high=9), -2.5, smooth=False),
               sample(T(0, 2), 1.5)]


def _samples_for(name, samples, dunder=None):
    out = []
    for s in samples:
        call = s.call.format(name) if s.call else name
        out.append(sample(*s.args, call=call, smooth=s.smooth, **s.kwargs))
    if dunder:
        out.append(sample(T(2, 3), T(3, low=0.5), call=f"Tensor.{dunder}"))
    return out


remainder_tensor = declare(
    "remainder.Tensor", _remainder_forward, inputs=("self", "other"), promote="common", node="RemainderBackward1",
    public=False, samples=_samples_for("remainder", _MOD_TENSOR, "__mod__"),
    self=lambda grad: grad,
    other=lambda grad, self, other: -grad * div_mode(self, other, rounding_mode="floor"))

remainder_scalar = declare(
    "remainder.Scalar", _scalar_forward(_remainder_forward), node="RemainderBackward0", public=False,
    samples=_samples_for("remainder", _MOD_SCALAR) + [sample(T(3), 2.5, call="Tensor.__mod__")],
    self=lambda grad: grad)

remainder_scalar_tensor = declare(
    "remainder.Scalar_Tensor", lambda other, dividend: _remainder_forward(
        np.asarray(dividend, dtype=other.dtype) if other.dtype.kind == "f" else
        np.array(dividend).astype(other.dtype), other),
    inputs=("other",), node="NotImplemented", public=False,
    samples=[sample(2.5, T(3, low=0.5, grad=False), call="remainder", smooth=False),
             sample(T(3, low=0.5, grad=False), -2.0, call="Tensor.__rmod__", smooth=False),
             sample(T(4, dtype="int64", low=1, high=5), 7, call="Tensor.__rmod__", smooth=False)])
_not_implemented_node("remainder.Scalar_Tensor", "remainder")


def _scalar_self_remainder(self, other):
    target = _dtype.result_type_of([self, other])
    return remainder_scalar_tensor(_cast_to(other, target), dividend=self)


def remainder(input, other, *, out=None):
    """Python's ``%``: the remainder takes the sign of the divisor."""
    def compute():
        if isinstance(input, Tensor):
            if isinstance(other, Tensor):
                return remainder_tensor(input, other)
            if isinstance(other, _NUMBERS):
                return remainder_scalar(_tensor_scalar_cast(input, other), other=other)
        elif isinstance(input, _NUMBERS) and isinstance(other, Tensor):
            return _scalar_self_remainder(input, other)
        raise _overload_error("remainder", ("Tensor input, Tensor other, *, Tensor out = None",
                                            "Number self, Tensor other",
                                            "Tensor input, Number other, *, Tensor out = None"), (input, other))
    return _with_out("remainder", out, (input, other), compute,
                     record=not isinstance(input, Tensor))


_METHOD_SIGS = ("Tensor other", "Number other")


def _remainder_method(self, other):
    if not isinstance(other, (Tensor,) + _NUMBERS):
        raise _overload_error("remainder", _METHOD_SIGS, (other,))
    return remainder(self, other)


def _rmod(self, other):
    return remainder(other, self)


FUNCTIONS["remainder"] = remainder
Tensor.remainder = _remainder_method
Tensor.__mod__ = _reflected(_remainder_method)
Tensor.__rmod__ = _reflected(_rmod)
Tensor.remainder_ = make_inplace(_remainder_method)
Tensor.__imod__ = _reflected(Tensor.remainder_)

fmod_tensor = declare(
    "fmod.Tensor", _fmod_forward, inputs=("self", "other"), promote="common", node="FmodBackward1",
    public=False, samples=_samples_for("fmod", _MOD_TENSOR),
    self=lambda grad: grad,
    other=lambda grad, self, other: -grad * div_mode(self, other, rounding_mode="trunc"))

fmod_scalar = declare(
    "fmod.Scalar", _scalar_forward(_fmod_forward), node="FmodBackward0", public=False,
    samples=_samples_for("fmod", _MOD_SCALAR),
    self=lambda grad: grad)


def _tensor_or_number(name, tensor_op, number_op, doc):
    """Install ``name`` with a Tensor or Number ``other``: the public function (with
    ``out=``), the method and the in-place method; returns the public function."""
    def public(input, other, *, out=None):
        def compute():
            if isinstance(input, Tensor):
                if isinstance(other, Tensor):
                    return tensor_op(input, other)
                if isinstance(other, _NUMBERS):
                    return number_op(input, other)
            raise _overload_error(name, ("Tensor input, Tensor other, *, Tensor out = None",
                                         "Tensor input, Number other, *, Tensor out = None"), (input, other))
        return _with_out(name, out, (input, other), compute)

    def method(self, other):
        if not isinstance(other, (Tensor,) + _NUMBERS):
            raise _overload_error(name, _METHOD_SIGS, (other,))
        return public(self, other)
    public.__name__ = public.__qualname__ = name
    public.__doc__ = doc
    method.__name__ = method.__qualname__ = f"_{name}_method"
    FUNCTIONS[name] = public
    setattr(Tensor, name, method)
    setattr(Tensor, name + "_", make_inplace(method))
    return public


fmod = _tensor_or_number("fmod", fmod_tensor,
                         lambda input, other: fmod_scalar(_tensor_scalar_cast(input, other), other=other),
                         "C's ``fmod``: the remainder takes the sign of the dividend.")


# ---------------------------------------------------------------- float_power
def float_power(input, exponent, *, out=None):
    """``input ** exponent`` computed in float64 whatever the input dtypes (PyTorch
    composes it as ``pow`` of the operands converted to double)."""
    def compute():
        if isinstance(input, Tensor):
            base = _cast_to(input, _dtype.float64)
            if isinstance(exponent, Tensor):
                return _pw.pow(base, _cast_to(exponent, _dtype.float64))
            if isinstance(exponent, _NUMBERS):
                return _pw.pow(base, float(exponent))
        elif isinstance(input, _NUMBERS) and isinstance(exponent, Tensor):
            return _pw.pow(float(input), _cast_to(exponent, _dtype.float64))
        raise _overload_error("float_power", ("Tensor input, Tensor exponent, *, Tensor out = None",
                                              "Number self, Tensor exponent, *, Tensor out = None",
                                              "Tensor input, Number exponent, *, Tensor out = None"),
                              (input, exponent))
    if out is not None and out._data.dtype != np.float64:
        raise RuntimeError(f"the output given to float_power has dtype {_TYPE_NAMES[out._data.dtype.name]} but "
                           "the operation's result requires dtype Double")
    return _with_out("pow", out, (input, exponent), compute)


def _float_power_(self, exponent):
    if not isinstance(exponent, (Tensor,) + _NUMBERS):
        raise _overload_error("float_power_", ("Tensor exponent", "Number exponent"), (exponent,))
    if self._data.dtype != np.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {_TYPE_NAMES[self._data.dtype.name]} but "
                           "the operation's result requires dtype Double")
    if isinstance(exponent, Tensor):
        return self.pow_(_cast_to(exponent, _dtype.float64))
    return self.pow_(float(exponent))


def _float_power_method(self, exponent):
    if not isinstance(exponent, (Tensor,) + _NUMBERS):
        raise _overload_error("float_power", ("Tensor exponent", "Number exponent"), (exponent,))
    return float_power(self, exponent)


FUNCTIONS["float_power"] = float_power
Tensor.float_power = _float_power_method
Tensor.float_power_ = _float_power_

# float_power has no node of its own: its samples run through pow's declarations.
REGISTRY["pow.Tensor"].samples += [
    sample(T(3, 4, low=0.5), T(3, 4), call="float_power"),
    sample(T(3, 1, low=0.5, dtype="float32"), T(4, dtype="float32"), call="float_power"),
    sample(T(3, dtype="int64", low=1, high=4), T(3, dtype="int64", low=0, high=3), call="float_power"),
    sample(T(3, low=0.5), T(3, dtype="float32"), call="Tensor.float_power")]
REGISTRY["pow.Scalar"].samples += [
    sample(T(3, 4, low=0.5, dtype="float32"), 2, call="float_power"),
    sample(T(3, low=0.5), -1.5, call="Tensor.float_power")]
REGISTRY["pow.Scalar_self"].samples += [sample(2.0, T(3, 4, dtype="float32"), call="float_power")]


# ---------------------------------------------------------------- atan2
_PAIR = [sample(T(3, 4), T(3, 4)), sample(T(3, 1), T(4)), sample(T(), T(2, 3)),
         sample(T(2, 3), T(2, 3, dtype="float32")), sample(T(0, 3), T(3))]


def _tensor_only(name, op):
    """The public function and method of an op whose operands must both be tensors."""
    def function(input, other, *, out=None):
        _check_tensors(name, input, other)
        if out is None:
            return op(input, other)
        return _with_out(name, out, (input, other), lambda: op(input, other))

    def method(self, other):
        _check_tensors(name, self, other, method=True)
        return op(self, other)
    function.__name__ = function.__qualname__ = name
    method.__name__ = method.__qualname__ = name
    return function, method


def _atan2_forward(a, b):
    return np.arctan2(a, b)


atan2_op = declare(
    "atan2", _atan2_forward, inputs=("self", "other"), promote="float", node="Atan2Backward0", public=False,
    ufunc=np.arctan2,
    samples=_PAIR + [sample(T(3), T(3), call="arctan2"), sample(T(3), T(3), call="Tensor.arctan2"),
                     sample(T(3), T(3), call="Tensor.atan2"),
                     sample(T(3, dtype="int64"), T(3, dtype="int64"), smooth=False),
                     sample(T(3), T(3, dtype="int32"))],
    self=lambda grad, self, other: grad * other * (1 / (self * self + other * other)),
    other=lambda grad, self, other: grad * -self * (1 / (self * self + other * other)))
atan2, _atan2_method = _tensor_only("atan2", atan2_op)
arctan2, _arctan2_method = _tensor_only("arctan2", atan2_op)
FUNCTIONS["atan2"] = atan2
FUNCTIONS["arctan2"] = arctan2
Tensor.atan2 = _atan2_method
Tensor.arctan2 = _arctan2_method
Tensor.atan2_ = make_inplace(_atan2_method)
Tensor.arctan2_ = make_inplace(_arctan2_method)


# ---------------------------------------------------------------- maximum, minimum, fmax, fmin
def _tie_split(grad, self, other, loses):
    # Where the operands tie each gets half the gradient (PyTorch's convention); an
    # operand gets none where it loses, and all of it otherwise (NaNs included).
    return np.where(self == other, grad / 2, np.where(loses, 0, grad))


_TIES = [sample(T(values=[1.0, 2.0, 3.0, -1.0]), T(values=[1.0, 0.0, 3.0, 4.0]), smooth=False),
         sample(T(values=[[1.0, 2.0], [0.5, -1.0]]), T(values=[2.0]), smooth=False),
         sample(T(4, dtype="int64"), T(4, dtype="int64"), smooth=False),
         sample(T(4, dtype="bool"), T(4, dtype="bool"), smooth=False),
         sample(T(4, dtype="int32"), T(4), smooth=False)]
_NANS = [sample(T(values=[1.0, float("nan"), 2.0, float("nan"), 3.0]),
                T(values=[float("nan"), 1.0, 2.0, float("nan"), 0.0]), smooth=False)]

def _maximum(a, b):
    """PyTorch's maximum: where the operands tie (-0.0 and 0.0) the first is kept. NumPy's
    ufunc keeps the second, so the operands go in swapped (NaNs propagate either way)."""
    return np.maximum(b, a)


def _minimum(a, b):
    """PyTorch's minimum: the first operand kept where they tie (see ``_maximum``)."""
    return np.minimum(b, a)


maximum_op = declare(
    "maximum", _maximum, inputs=("self", "other"), promote="common", public=False, ufunc=np.maximum,
    samples=_PAIR + _TIES + _NANS + [sample(T(3), T(3), call="Tensor.maximum")],
    self=lambda grad, self, other: _tie_split(grad, self, other, self < other),
    other=lambda grad, self, other: _tie_split(grad, self, other, self > other))
minimum_op = declare(
    "minimum", _minimum, inputs=("self", "other"), promote="common", public=False, ufunc=np.minimum,
    samples=_PAIR + _TIES + _NANS + [sample(T(3), T(3), call="Tensor.minimum")],
    self=lambda grad, self, other: _tie_split(grad, self, other, self > other),
    other=lambda grad, self, other: _tie_split(grad, self, other, self < other))


def _fmax(a, b):
    """PyTorch's fmax: the larger, the number where one is NaN, and the first operand where
    they tie (-0.0 and 0.0). NumPy's fmax gives either operand on a tie, depending on which
    of its loops (SIMD or scalar) handles the element."""
    if np.result_type(a, b).kind != "f":
        return np.fmax(a, b)
    return np.where((a >= b) | (b != b), a, b)


def _fmin(a, b):
    """PyTorch's fmin (see ``_fmax``)."""
    if np.result_type(a, b).kind != "f":
        return np.fmin(a, b)
    return np.where((a <= b) | (b != b), a, b)


def _fmax_self(grad, self, other):
    return np.where((self >= other) | (other != other), grad, 0)


def _fmax_other(grad, self, other):
    return np.where((self >= other) | (other != other), 0, grad)


def _fmin_self(grad, self, other):
    return np.where((self <= other) | (other != other), grad, 0)


def _fmin_other(grad, self, other):
    return np.where((self <= other) | (other != other), 0, grad)


fmax_op = declare("fmax", _fmax, inputs=("self", "other"), promote="common", public=False, ufunc=np.fmax,
                  samples=_PAIR + _TIES + _NANS + [sample(T(3), T(3), call="Tensor.fmax")],
                  self=_fmax_self, other=_fmax_other)
fmin_op = declare("fmin", _fmin, inputs=("self", "other"), promote="common", public=False, ufunc=np.fmin,
                  samples=_PAIR + _TIES + _NANS + [sample(T(3), T(3), call="Tensor.fmin")],
                  self=_fmin_self, other=_fmin_other)

for _name, _op in (("maximum", maximum_op), ("minimum", minimum_op), ("fmax", fmax_op), ("fmin", fmin_op)):
    _fn, _m = _tensor_only(_name, _op)
    FUNCTIONS[_name] = _fn
    setattr(Tensor, _name, _m)


# ---------------------------------------------------------------- hypot
def _hypot_forward(a, b):
    a = np.asarray(a)
    if a.dtype.kind != "f":
        raise _not_implemented_for("hypot", a)
    return np.hypot(a, b)


hypot_op = declare(
    "hypot", _hypot_forward, inputs=("self", "other"), promote="common", public=False, ufunc=np.hypot,
    samples=_PAIR + [sample(T(3), T(3), call="Tensor.hypot"), sample(T(3), T(3, dtype="int64"))],
    self=lambda grad, self, result: grad * self / result,
    other=lambda grad, other, result: grad * other / result)
hypot, _hypot_method = _tensor_only("hypot", hypot_op)
FUNCTIONS["hypot"] = hypot
Tensor.hypot = _hypot_method
Tensor.hypot_ = make_inplace(_hypot_method)


# ---------------------------------------------------------------- copysign
def _copysign_self(grad, self, result):
    # result / self is the sign flip (+-1), taken as 0 where self is 0 (PyTorch)
    with _nan_quiet():
        ratio = result / self
    return grad * np.where(self == 0, 0, ratio)


copysign_tensor = declare(
    "copysign.Tensor", np.copysign, inputs=("self", "other"), promote="float", node="CopysignBackward0",
    public=False, ufunc=np.copysign,
    samples=[sample(T(3, 4, away=(0,)), T(3, 4, away=(0,)), call="copysign"),
             sample(T(3, 1, away=(0,)), T(4, away=(0,)), call="copysign"),
             sample(T(values=[0.0, 1.0, -2.0, -0.0]), T(values=[-1.0, -1.0, 1.0, 1.0]), call="copysign",
                    smooth=False),
             sample(T(3, away=(0,)), T(3, away=(0,)), call="Tensor.copysign"),
             sample(T(3, dtype="int64"), T(3, dtype="int64"), call="copysign", smooth=False),
             sample(T(2, 3, away=(0,)), T(3, dtype="float32", away=(0,)), call="copysign")],
    self=_copysign_self,
    other=lambda grad: grad * 0)

copysign_scalar = declare(
    "copysign.Scalar", lambda a, other: np.copysign(a, other), promote="float", node="CopysignBackward1",
    public=False,
    samples=[sample(T(3, 4, away=(0,)), -1.5, call="copysign"), sample(T(3, away=(0,)), 2, call="Tensor.copysign"),
             sample(T(3, dtype="int64"), -1, call="copysign", smooth=False),
             sample(T(values=[0.0, 2.0]), -1.0, call="copysign", smooth=False)],
    self=_copysign_self)


copysign = _tensor_or_number("copysign", copysign_tensor, lambda input, other: copysign_scalar(input, other=other),
                             "The magnitude of ``input`` with the sign of ``other`` (always a float result).")


# ---------------------------------------------------------------- isclose
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise ``|input - other| <= atol + rtol * |other|`` (a bool tensor; equal
    values, infinities included, are close; NaNs only with ``equal_nan``)."""
    _check_tensors("isclose", input, other)
    refuse_batched("isclose", input, other)
    a, b = input._data, other._data
    if a.dtype != b.dtype:
        raise RuntimeError(f"{_TYPE_NAMES[a.dtype.name]} did not match {_TYPE_NAMES[b.dtype.name]}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    try:
        close = np.equal(a, b)
    except ValueError:
        from ._declare import broadcast_error
        raise broadcast_error(a, b) from None
    kind = a.dtype.kind
    if equal_nan and kind == "f":
        close |= np.isnan(a) & np.isnan(b)
    if rtol == 0 and atol == 0:
        return _wrap(close)
    if kind != "f":
        # integer and bool operands are compared in the default float dtype (PyTorch)
        f = _dtype.get_default_dtype().np
        a, b = a.astype(f), b.astype(f)
    with _nan_quiet():
        allowed = np.abs(b * a.dtype.type(rtol)) + a.dtype.type(atol)
        actual = np.abs(a - b)
        close |= np.isfinite(actual) & (actual <= allowed)
    return _wrap(close)


def _wrap(arr):
    from .._tensor import wrap
    return wrap(np.asarray(arr))


def _isclose_method(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    if not isinstance(other, Tensor):
        raise _type_error("isclose", "other", 1, other)
    return isclose(self, other, rtol, atol, equal_nan)


FUNCTIONS["isclose"] = isclose
Tensor.isclose = _isclose_method
