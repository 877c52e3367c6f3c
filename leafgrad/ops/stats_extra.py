"""quantile / nanquantile, cov / corrcoef, bincount, histc and histogram.

quantile, nanquantile, cov and corrcoef are composites in PyTorch (ATen's
``quantile_compute`` in Sorting.cpp and ``cov`` / ``corrcoef`` in Correlation.cpp):
they are composed here from the same leafgrad ops, step by step, so the values, the
graph and its node names (SortBackward0, GatherBackward0, LerpBackward1, the in-place
SqueezeBackward4 / UnsqueezeBackward1 / TransposeBackward1, MmBackward0, ...) match.
bincount, histc and histogram count values and have no derivative: bincount (with
weights) and histogram record PyTorch's ``NotImplemented`` node, whose backward raises;
histc's result does not require grad (as in PyTorch 2.13). Their vmap rules batch them
in one call (PyTorch falls back to a loop)."""
import math
import warnings

import numpy as np

from ._declare import declare, write_into, FUNCTIONS, REGISTRY
from ._samples import T, sample
from .._tensor import Tensor, _wrap_dim, wrap, _C_TYPE_NAMES as _C_NAMES
from .. import _dtype
from ..return_types import return_type
from .stats import _resize_out
from .indexing import gather as _gather
from .unary import lerp as _lerp
from .activation import mul_scalar as _mul_scalar, sub_scalar as _sub_scalar
from .shape import squeeze_inplace_dim
from .binary import _not_implemented_node
from .tensor_extra import unsqueeze_inplace, transpose_inplace


def _c_double(v):
    """A double as C++'s ostream prints it (``<<``, precision 6)."""
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return "%g" % v


def _dtype_name(dt):
    """``c10::ScalarType`` as printed in ATen messages (Float, Double, Long, ...)."""
    return _SCALAR_NAMES.get(np.dtype(dt).name, np.dtype(dt).name)


_SCALAR_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
                 "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                 "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble",
                 "uint16": "UInt16", "uint32": "UInt32", "uint64": "UInt64"}


def _copy_out(res, out, name):
    """``out=`` of ATen's composites: ``out`` resized (with PyTorch's warning) and
    ``out.copy_(res)``, which records CopyBackwards when ``res`` requires grad."""
    if out is None:
        return res
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    _resize_out(out, res._data.shape)
    out.copy_(res)
    return out


# ---------------------------------------------------------------- PyTorch's argument parser
_REAL = (int, float, np.integer, np.floating, np.bool_)


def _is_float_seq(v):
    return isinstance(v, (tuple, list)) and all(isinstance(e, _REAL) for e in v)


_TYPES = {
    "Tensor": lambda v: isinstance(v, Tensor),
    "float": lambda v: isinstance(v, _REAL),
    "int": lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)),
    "bool": lambda v: isinstance(v, (bool, np.bool_)),
    "str": lambda v: isinstance(v, str),
    "Number": lambda v: isinstance(v, _REAL + (complex, np.complexfloating)) or (
        isinstance(v, Tensor) and v._data.ndim == 0),
    "tuple of floats": _is_float_seq,
    "tuple of Tensors": lambda v: isinstance(v, (tuple, list)) and all(isinstance(e, Tensor) for e in v),
}
_REQUIRED = object()


def _tname(v):
    return "Tensor" if isinstance(v, Tensor) else type(v).__name__


class _Sig:
    """One signature of PyTorch's argument parser: ``params`` are (name, type, default,
    keyword-only) with ``_REQUIRED`` for no default; None is allowed where the default is None."""

    def __init__(self, params):
        self.params = params

    def text(self, method):
        parts, star = [], False
        for name, typ, default, kwonly in self.params:
            if method and (name == "input" or name == "out"):
                continue
            if kwonly and not star:
                parts.append("*")
                star = True
            d = "" if default is _REQUIRED else " = " + ('"%s"' % default if isinstance(default, str) else
                                                         str(default))
            parts.append(f"{typ} {name}{d}")
        return "(" + ", ".join(parts) + ")"

    def bind(self, args, kwargs, method):
        """(values, None) or (None, the first problem: (kind, detail))."""
        params = [p for p in self.params if not (method and p[0] in ("out", "input"))]
        positional = [p for p in params if not p[3]]
        if len(args) > len(positional):
            return None, ("count", len(positional))
        values = {}
        for (name, typ, default, _), v in zip(positional, args):
            values[name] = (v, positional.index((name, typ, default, _)))
        names = {p[0]: p for p in params}
        for k, v in kwargs.items():
            if k not in names or k in values:
                return None, ("keyword", k)
            values[k] = (v, None)
        out = {}
        for name, typ, default, _ in params:
            if name not in values:
                if default is _REQUIRED:
                    return None, ("missing", name)
                out[name] = default
                continue
            v, pos = values[name]
            if not (v is None and default is None) and not _TYPES[typ](v):
                return None, ("type", (name, typ, v, pos))
            out[name] = v
        return out, None


def _parse(fname, sigs, args, kwargs, method=False):
    """The arguments bound to the first matching signature, or PyTorch's TypeError."""
    if method:
        args = args[1:]
    problems = []
    for sig in sigs:
        bound, problem = sig.bind(args, kwargs, method)
        if bound is not None:
            return bound
        problems.append(problem)
        if problem[0] == "type" and problem[1][1] == "tuple of floats" and isinstance(problem[1][2], (tuple, list)):
            name, _, v, _ = problem[1]
            bad = next(i for i, e in enumerate(v) if not isinstance(e, _REAL))
            raise TypeError(f"{fname}(): argument '{name}' must be tuple of floats, but found element of type "
                            f"{_tname(v[bad])} at pos {bad + 1}")
    if len(sigs) == 1:
        kind, detail = problems[0]
        if kind == "type":
            name, typ, v, pos = detail
            where = "" if pos is None else f" (position {pos + 1})"
            raise TypeError(f"{fname}(): argument '{name}'{where} must be {typ}, not {_tname(v)}")
        if kind == "keyword":
            raise TypeError(f"{fname}() got an unexpected keyword argument '{detail}'")
        if kind == "count":
            lo = sum(1 for p in sigs[0].params if not p[3] and p[2] is _REQUIRED) - (1 if method else 0)
            raise TypeError(f"{fname}() takes from {lo} to {detail} positional arguments but {len(args)} were given")
        raise TypeError(f"{fname}() missing 1 required positional arguments: \"{detail}\"")
    got = [_tname(a) for a in args] + [f"{k}={_tname(v)}" for k, v in kwargs.items()]
    raise TypeError(f"{fname}() received an invalid combination of arguments - got ({', '.join(got)}), but "
                    "expected one of:\n" + "".join(f" * {sig.text(method)}\n" for sig in sigs))


def _method_and_function(name, sigs, impl):
    """``leafgrad.<name>`` and ``Tensor.<name>``: both parse their arguments as PyTorch's
    parser does, then call ``impl(**bound)``."""
    def function(*args, **kwargs):
        return impl(**_parse(name, sigs, args, kwargs))

    def method(*args, **kwargs):
        bound = _parse(name, sigs, args, kwargs, method=True)
        bound["input"] = args[0]
        return impl(**bound)
    function.__name__ = function.__qualname__ = method.__name__ = method.__qualname__ = name
    return function, method


# ====================================================================== quantile / nanquantile
# ATen finishes quantile with in-place shape ops on its (non-view) result (squeeze_, unsqueeze_,
# transpose_): the same ops here, so the nodes match. The sweep runs quantile through their samples.
_Q1 = T(values=[0.2, 0.75], grad=False)
REGISTRY["squeeze_.dim"].samples += [sample(T(3, 4), 0.3, dim=1, call="quantile"), sample(T(5), 0.5, call="Tensor.quantile"),
             sample(T(2, 3, 4), 0.25, dim=-2, keepdim=True, call="quantile"),
             sample(T(3, 4), 0.6, call="quantile"), sample(T(3, 4), 0.6, keepdim=True, call="quantile"),
             sample(T(), 0.4, call="quantile"), sample(T(), 0.4, dim=0, keepdim=True, call="quantile"),
             sample(T(3, 4), 0.0, dim=0, call="quantile"), sample(T(3, 4), 1.0, dim=0, call="quantile"),
             sample(T(3, 4, dtype="float32"), 0.35, dim=1, call="quantile"),
             sample(T(3, 4), 0.3, dim=1, interpolation="lower", call="quantile"),
             sample(T(3, 4), 0.3, dim=1, interpolation="higher", call="quantile"),
             sample(T(3, 4), 0.3, dim=0, interpolation="midpoint", call="quantile"),
             sample(T(3, 4), 0.3, dim=0, interpolation="nearest", call="quantile"),
             sample(T(values=[[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 1.0, 1.0]]), 0.5, dim=1, smooth=False,
                    call="quantile"),
             sample(T(values=[[1.0, float("nan"), 3.0, 0.0], [2.0, 5.0, 1.0, 4.0]]), 0.4, dim=1, smooth=False,
                    call="quantile"),
             sample(T(values=[[1.0, float("nan"), 3.0, 0.0], [2.0, 5.0, 1.0, 4.0]]), 0.4, dim=1, smooth=False,
                    call="nanquantile"),
             sample(T(values=[[float("nan"), float("nan")], [2.0, 5.0]]), 0.5, dim=1, smooth=False,
                    call="nanquantile"),
             sample(T(3, 5), 0.7, dim=-1, call="Tensor.nanquantile"),
             sample(T(3, 5), 0.7, call="nanquantile")]
REGISTRY["unsqueeze_"].samples += [sample(T(3, 4), _Q1, dim=1, call="quantile"), sample(T(5), _Q1, call="quantile"),
             sample(T(2, 3, 4), _Q1, dim=0, keepdim=True, call="quantile"),
             sample(T(3, 4), _Q1, interpolation="nearest", call="Tensor.quantile"),
             sample(T(3, 4), _Q1, 1, True, interpolation="midpoint", call="quantile"),
             sample(T(3, 4, dtype="float32"), T(values=[0.1, 0.5, 0.9], dtype="float32", grad=False), dim=0,
                    call="quantile"),
             sample(T(3, 4), T(values=[0.1, 0.5, 0.9]), dim=1, call="quantile"),
             sample(T(3, 4), T(values=[0.3, 0.6]), dim=1, call="nanquantile"),
             sample(T(values=[[1.0, float("nan"), 3.0, 0.0], [2.0, 5.0, 1.0, 4.0]]), _Q1, dim=1,
                    smooth=False, call="nanquantile"),
             sample(T(), _Q1, call="quantile")]
REGISTRY["transpose_"].samples += [sample(T(2, 3, 4), _Q1, dim=1, call="quantile"),
                           sample(T(3, 4), _Q1, dim=0, interpolation="higher", call="nanquantile")]

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile_sigs():
    def sig(q_type):
        return _Sig([("input", "Tensor", _REQUIRED, False), ("q", q_type, _REQUIRED, False),
                     ("dim", "int", None, False), ("keepdim", "bool", False, False),
                     ("interpolation", "str", "linear", True), ("out", "Tensor", None, True)])
    return [sig("Tensor"), sig("float")]


def _quantile(name, ignore_nan):
    def impl(input, q, dim=None, keepdim=False, interpolation="linear", out=None):
        if not isinstance(q, Tensor):
            qv = float(q)
            if not (0 <= qv <= 1):
                raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {_c_double(qv)}")
        if interpolation not in _INTERPOLATIONS:
            raise RuntimeError("quantile() interpolation must be one of linear, lower, higher, midpoint or "
                               f"nearest, but got {interpolation}")
        if not isinstance(q, Tensor):
            q = wrap(np.asarray(qv).astype(input._data.dtype))
        res = _quantile_compute(input, q, None if dim is None else int(dim), bool(keepdim), interpolation,
                                ignore_nan, out)
        return _copy_out(res, out, name)
    return _method_and_function(name, _quantile_sigs(), impl)


def _quantile_compute(self, q, dim, keepdim, interpolation, ignore_nan, out):
    a = self._data
    if a.size == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if q._data.ndim > 1:
        raise RuntimeError("quantile() q must be a scalar or 1D tensor")
    if a.dtype not in (np.float32, np.float64):
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if q._data.dtype != a.dtype:
        raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
    if out is not None and isinstance(out, Tensor) and out._data.dtype != a.dtype:
        raise RuntimeError("quantile() out tensor must be same dtype as the input tensor")
    nd = a.ndim
    wrapped = _wrap_dim(0 if dim is None else dim, nd)
    # output shape: q's size + the reduced shape
    if dim is not None and nd > 0:
        out_shape = list(a.shape)
        if keepdim:
            out_shape[wrapped] = 1
        else:
            del out_shape[wrapped]
    elif keepdim:
        out_shape = [1] * nd
    else:
        out_shape = []
    qa = q._data
    if qa.ndim > 0:
        out_shape.insert(0, qa.size)
    if not bool(np.all((qa >= 0) & (qa <= 1))):
        raise RuntimeError("quantile() q values must be in the range [0, 1]")
    # flatten, or move the reduced dim last, then sort
    if dim is None:
        sorted_ = self.flatten().sort()[0]
    elif wrapped == nd - 1:
        sorted_ = self.sort()[0]
    else:
        sorted_ = self.unsqueeze(-1).transpose(wrapped, -1).sort()[0]
    if qa.ndim == 0:
        out_shape.insert(0, 1)
    n = sorted_._data.shape[-1]
    sorted_ = sorted_.view(*(out_shape[1:] + [n]))
    if n > 2 ** 24:
        raise RuntimeError("quantile() input tensor is too large")
    # ranks in [0, n): q times the last index (of the non-NaN values, for nanquantile)
    isnan = sorted_.isnan()
    if ignore_nan:
        ranks = q * (isnan.logical_not().sum(-1, True) - 1)
        ranks = ranks.masked_fill(ranks < 0, 0)
    else:
        last = n - 1
        scaled, nan_rows = _mul_scalar(q, other=last), isnan.any(-1, True)
        shape = np.broadcast_shapes(scaled._data.shape, nan_rows._data.shape)
        if scaled._data.shape != shape:
            scaled = scaled.expand(*shape)
        if nan_rows._data.shape != shape:
            nan_rows = nan_rows.expand(*shape)
        ranks = scaled.masked_fill(nan_rows, last)
    if interpolation == "lower":
        ranks = ranks.floor()
    elif interpolation == "higher":
        ranks = ranks.ceil()
    elif interpolation == "nearest":
        ranks = ranks.round()
    below = ranks.long()
    values = _gather(sorted_, -1, below)
    if interpolation in ("linear", "midpoint"):
        if interpolation == "midpoint":
            weights = wrap(np.full(ranks._data.shape, 0.5, ranks._data.dtype))
        else:
            weights = ranks - below
        above = ranks.ceil().long()
        values = _lerp(values, _gather(sorted_, -1, above), weights)
    if qa.ndim == 0:
        return squeeze_inplace_dim(values, dim=values._data.ndim - 1)
    values = unsqueeze_inplace(values, dim=0)
    values = transpose_inplace(values, dim0=0, dim1=values._data.ndim - 1)
    return squeeze_inplace_dim(values, dim=values._data.ndim - 1)


quantile, Tensor.quantile = _quantile("quantile", False)
nanquantile, Tensor.nanquantile = _quantile("nanquantile", True)
FUNCTIONS["quantile"] = quantile
FUNCTIONS["nanquantile"] = nanquantile


# ====================================================================== cov / corrcoef
def _long(n):
    return wrap(np.asarray(n, np.int64))


def _is_true(t):
    return bool(t._data)


def _check_cov_weights(name, w, integral, n_obs):
    """cov()'s checks of ``fweights`` (integral) or ``aweights`` (floating point)."""
    if w._data.ndim > 1:
        raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got {name} with "
                           f"{w._data.ndim} dimensions")
    if (w._data.dtype.kind not in "iu") if integral else (w._data.dtype.kind != "f"):
        raise RuntimeError(f"cov(): expected {name} to have {'integral' if integral else 'floating point'} dtype "
                           f"but got {name} with {_dtype_name(w._data.dtype)} dtype")
    if w._data.size != n_obs:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are observations in the "
                           f"input but got {w._data.size} != {n_obs}")
    if n_obs and not w._data.min() >= 0:
        raise RuntimeError(f"cov(): {name} cannot be negative")


def _cov(input, correction=1, fweights=None, aweights=None):
    """ATen's composite, step by step (Correlation.cpp)."""
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError("cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{nd} dimensions")
    if input._data.dtype == np.bool_:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input.view(1, -1) if nd < 2 else input
    n_obs = x._data.shape[1]
    for name, weights, integral in (("fweights", fweights, True), ("aweights", aweights, False)):
        if weights is not None:
            _check_cov_weights(name, weights, integral, n_obs)
    w = fweights
    if aweights is not None:
        w = aweights if w is None else w * aweights
    # a weighted average of the observations
    w_sum = _long(n_obs) if w is None else w.sum()
    if w is not None and not _is_true(w_sum != 0):
        raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    with np.errstate(all="ignore"):
        avg = (x if w is None else x * w).sum(1) / w_sum
    # the normalization factor
    if w is None:
        norm = _long(n_obs - correction)
    elif correction == 0:
        norm = w_sum
    elif aweights is None:
        norm = _sub_scalar(w_sum, other=correction)
    elif fweights is None and n_obs == 1 and correction == 1:
        norm = _long(0)
    else:
        with np.errstate(all="ignore"):
            norm = w_sum - _mul_scalar((w * aweights).sum(), other=correction) / w_sum
    if _is_true(norm <= 0):
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
                      "observations.", UserWarning, stacklevel=2)
        norm.zero_()
    # the covariance matrix
    if n_obs == 1 and (fweights is not None) != (aweights is not None):
        x.zero_()   # (ATen zeroes its input here: one observation with one kind of weights)
        if x._data.dtype.kind in "iu":
            x = x.to(_dtype.float32)
    else:
        x = x - avg.unsqueeze(1)
    c = x.mm((x if w is None else x * w).t())
    with np.errstate(all="ignore"):
        return (c / norm).squeeze()


def _corrcoef(input):
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError("corrcoef(): expected input to have two or fewer dimensions but got an input with "
                           f"{nd} dimensions")
    c = cov(input)
    with np.errstate(all="ignore"):
        if c._data.ndim == 0:
            return c / c    # nan for a covariance of nan, inf or 0, else 1
        std = c.diagonal().sqrt()
        c = c / std.view(-1, 1)
        c = c / std.view(1, -1)
        return c.clip(-1, 1)    # rounding may leave values just outside [-1, 1]


cov, Tensor.cov = _method_and_function("cov", [_Sig([
    ("input", "Tensor", _REQUIRED, False), ("correction", "int", 1, True), ("fweights", "Tensor", None, True),
    ("aweights", "Tensor", None, True)])], _cov)
corrcoef, Tensor.corrcoef = _method_and_function("corrcoef", [_Sig([("input", "Tensor", _REQUIRED, False)])],
                                                 _corrcoef)
FUNCTIONS["cov"] = cov
FUNCTIONS["corrcoef"] = corrcoef

# cov and corrcoef are made of ops declared elsewhere: their samples ride on mm and clamp.
_AW = T(5, low=0.2, high=2.0)
_FW = T(5, dtype="int64", grad=False, values=[1, 2, 0, 3, 1])
REGISTRY["mm"].samples += [
    sample(T(3, 5), call="cov"), sample(T(5), call="cov"), sample(T(3, 5), call="Tensor.cov"),
    sample(T(2, 6), correction=0, call="cov"), sample(T(2, 6), correction=3, call="cov"),
    sample(T(3, 5), fweights=_FW, call="cov"), sample(T(3, 5), aweights=_AW, call="cov"),
    sample(T(3, 5), aweights=_AW, correction=2, call="cov"),
    sample(T(3, 5), fweights=_FW, aweights=_AW, call="cov"),
    sample(T(3, 5), fweights=_FW, aweights=_AW, correction=0, call="cov"),
    sample(T(3, 5, dtype="float32"), aweights=T(5, low=0.2, high=2.0), call="cov"),
    sample(T(1, 4), call="cov"), sample(T(4, 1), smooth=False, call="cov")]
REGISTRY["clamp"].samples += [
    sample(T(3, 5), call="corrcoef"), sample(T(2, 6), call="Tensor.corrcoef"), sample(T(5), call="corrcoef"),
    sample(T(4, 3, dtype="float32"), call="corrcoef")]


# ====================================================================== bincount
def _not_implemented_for(kernel, dt):
    return NotImplementedError(f'"{kernel}" not implemented for \'{_dtype_name(dt)}\'')


def _bincount_forward(a, weights, minlength=0, _batched=False):
    """Counts (int64), or sums of ``weights`` (float32 for float32 weights, else float64),
    added in order as ATen's kernel does. ``_batched`` (vmap): one row per sample, which
    must all have the same length (PyTorch's vmap stacks the per-sample results)."""
    rows = a if _batched else a[None]
    w = None if weights is None else (weights if _batched else weights[None])
    B, n = rows.shape
    if n == 0:
        return np.zeros((B, minlength) if _batched else minlength, np.int64)
    sizes = np.maximum(rows.max(axis=1).astype(np.int64) + 1, minlength)
    if _batched:
        if rows.min() < 0:
            raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
        for k in range(1, B):
            if sizes[k] != sizes[0]:
                raise RuntimeError(f"stack expects each tensor to be equal size, but got [{sizes[0]}] at entry 0 and "
                                   f"[{sizes[k]}] at entry {k}")
    nb = int(sizes[0])
    flat = (rows + (np.arange(B) * nb)[:, None]).ravel()
    if w is None:
        out = np.zeros(B * nb, np.int64)
        np.add.at(out, flat, 1)
    else:
        dt = np.float32 if w.dtype == np.float32 else np.float64
        out = np.zeros(B * nb, dt)
        np.add.at(out, flat, (w.real if w.dtype.kind == "c" else w).astype(dt).ravel())
    return out.reshape(B, nb) if _batched else out


_bincount = declare(
    "bincount", _bincount_forward, inputs=("self", "weights"), node="NotImplemented", public=False,
    dynamic_shape=True,
    samples=[sample(T(6, dtype="int64", low=0, high=5), call="bincount", smooth=False),
             sample(T(6, dtype="int64", low=0, high=5), T(6, grad=False), call="bincount", smooth=False),
             sample(T(6, dtype="int64", low=0, high=5), T(6, dtype="float32", grad=False), minlength=9,
                    call="Tensor.bincount", smooth=False)])
_not_implemented_node("bincount", "bincount")


def _bincount_impl(input, weights=None, minlength=0):
    a = input._data
    if a.dtype.kind not in "iu":
        raise _not_implemented_for("bincount_cpu", a.dtype)
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if not (a.ndim == 1 and a.size == 0):
        if a.ndim != 1 or a.min() < 0:
            raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
        if weights is not None and (weights._data.ndim != 1 or weights._data.shape[0] != a.shape[0]):
            raise RuntimeError("weights should be 1-d and have the same length as input")
        if weights is not None and weights._data.dtype.kind == "c":
            warnings.warn("Casting complex values to real discards the imaginary part", UserWarning, stacklevel=2)
    return _bincount(input, weights, minlength=int(minlength))


bincount, Tensor.bincount = _method_and_function("bincount", [_Sig([
    ("input", "Tensor", _REQUIRED, False), ("weights", "Tensor", None, False), ("minlength", "int", 0, False)])],
    _bincount_impl)
FUNCTIONS["bincount"] = bincount


# ====================================================================== histc / histogram
def _c_double_signed(v):
    """As ``_c_double``, with glibc's sign on a NaN (``-nan``)."""
    return "-nan" if math.isnan(v) and math.copysign(1.0, v) < 0 else _c_double(v)


def _fma(x, y, z):
    """``x * y + z`` rounded once, element-wise, in x's dtype (exact in float64 and longdouble)."""
    from .pointwise import fused_multiply_add
    return fused_multiply_add(np.asarray(x), np.asarray(y, x.dtype), np.asarray(z, x.dtype))


def _linspace(start, end, steps, dt):
    """ATen's linspace kernel for a floating dtype: the first half ``start + step * i``,
    the rest ``end - step * (steps - 1 - i)``, each a fused multiply-add (as ATen's CPU
    build compiles it). ``start`` / ``end`` may be arrays (one row of edges each)."""
    dt = np.dtype(dt)
    s = np.asarray(start, dt)[..., None]
    e = np.asarray(end, dt)[..., None]
    with np.errstate(all="ignore"):
        step = (e - s) / dt.type(steps - 1)
    shape = np.broadcast_shapes(s.shape[:-1] + (steps,), step.shape)
    i = np.arange(steps)
    first = _fma(np.broadcast_to(step, shape), np.broadcast_to(i.astype(dt), shape), np.broadcast_to(s, shape))
    second = _fma(np.broadcast_to(-step, shape), np.broadcast_to((steps - 1 - i).astype(dt), shape),
                  np.broadcast_to(e, shape))
    return np.where(i < steps // 2, first, second).astype(dt, copy=False)


def _upper_bound(edges, rows, x, lo, hi):
    """libstdc++'s ``std::upper_bound`` over ``edges[row, lo:hi]`` for each of ``x``
    (vectorized; the same probes, so unsorted edges give the same answers)."""
    first = np.array(np.broadcast_to(lo, x.shape), np.int64)
    length = np.array(np.broadcast_to(hi, x.shape), np.int64) - first
    last = edges.shape[-1] - 1
    while True:
        active = length > 0
        if not active.any():
            return first
        half = length >> 1
        middle = first + half
        less = x < edges[rows, np.minimum(middle, last)]
        go_left = active & less
        go_right = active & ~less
        length = np.where(go_left, half, np.where(go_right, length - half - 1, length))
        first = np.where(go_right, middle + 1, first)


def _histogram_kernel(x, edges, weight, density, algorithm):
    """ATen's histogramdd CPU kernel for one dimension, row by row of ``x`` (B, N) with the
    edges ``edges`` (B, K) (``algorithm``: "linear" (histc), "local" (linear with a local
    search, histogram with a bin count) or "binary")."""
    dt = x.dtype
    B, n_edges = edges.shape
    hist = np.zeros((B, n_edges - 1), dt)
    left, right = edges[:, :1], edges[:, -1:]
    with np.errstate(invalid="ignore"):
        keep = (x >= left) & (x <= right)
    rows = np.nonzero(keep)[0]
    xs = x[keep]
    if algorithm == "binary":
        pos = _upper_bound(edges, rows, xs, 0, n_edges) - 1
    else:
        with np.errstate(all="ignore"):
            pos = ((xs - left[rows, 0]) * dt.type(n_edges - 1) / (right[rows, 0] - left[rows, 0])).astype(np.int64)
        if algorithm == "local":
            pos = _upper_bound(edges, rows, xs, np.maximum(pos - 1, 0), np.minimum(pos + 2, n_edges)) - 1
    pos = np.where(pos == n_edges - 1, pos - 1, pos)
    pos = np.clip(pos, 0, n_edges - 2)
    np.add.at(hist, (rows, pos), np.ones(xs.size, dt) if weight is None else weight[keep])
    if density:
        with np.errstate(all="ignore"):
            hist = hist / hist.sum(axis=1, keepdims=True, dtype=dt)
            hist = hist / np.diff(edges, axis=1)
    return hist.astype(dt, copy=False)


def _histc_bounds(a, min, max):
    lo, hi = float(min), float(max)
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
        if math.isnan(lo):
            # (ATen's aminmax gives a negative NaN from a vectorized reduction)
            lo = hi = -math.nan if a.size > 1 else float(a[np.isnan(a)][0])
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if math.isinf(lo) or math.isinf(hi) or math.isnan(lo) or math.isnan(hi):
        raise RuntimeError(f"torch.histc: range of [{_c_double_signed(lo)}, {_c_double_signed(hi)}] is not finite")
    if not lo < hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    return lo, hi


def _bins_error(n):
    return RuntimeError(f"torch.histogram(): bins must be > 0, but got {n} for dimension 0")


def _hist_out_dtype_check(a_dt, hist, edges=None):
    if hist is not None and hist._data.dtype != a_dt:
        raise RuntimeError("torch.histogram: input tensor and hist tensor should have the same dtype, but got input "
                           f"{_C_NAMES[a_dt.name]} and hist {_C_NAMES[hist._data.dtype.name]}")
    if edges is not None and edges._data.dtype != a_dt:
        raise RuntimeError("torch.histogram: input tensor and bin_edges tensor should have the same dtype, but got "
                           f"input {_C_NAMES[a_dt.name]} and bin_edges {_C_NAMES[edges._data.dtype.name]} for "
                           "dimension 0")


def _histc(input, bins=100, min=0, max=0, out=None):
    """Counts of ``input`` in ``bins`` equal bins over [min, max] (the data's range when
    they are equal); values outside are ignored. No derivative: the result does not
    require grad (as PyTorch's)."""
    a = input._data
    _hist_out_dtype_check(a.dtype, out)
    if bins <= 0:
        raise _bins_error(bins)
    lo, hi = _histc_bounds(a, float(min.item() if isinstance(min, Tensor) else min),
                           float(max.item() if isinstance(max, Tensor) else max))
    if a.dtype.kind != "f":
        raise _not_implemented_for("histogram_cpu", a.dtype)
    edges = _linspace(lo, hi, bins + 1, a.dtype)[None]
    res = wrap(_histogram_kernel(a.reshape(1, -1), edges, None, False, "linear")[0])
    if out is None:
        return res
    _resize_out(out, res._data.shape)
    np.copyto(out._data, res._data)
    out._vc[0] += 1
    return out


histc, Tensor.histc = _method_and_function("histc", [_Sig([
    ("input", "Tensor", _REQUIRED, False), ("bins", "int", 100, False), ("min", "Number", 0, False),
    ("max", "Number", 0, False), ("out", "Tensor", None, True)])], _histc)
FUNCTIONS["histc"] = histc

_Histogram = return_type("histogram", ("hist", "bin_edges"))
_HistogramOut = return_type("histogram_out", ("hist", "bin_edges"))


def _histogram_forward(a, bins, weight, range=None, density=False, _batched=False):
    """(hist, bin_edges) as ATen's histogram_out_cpu computes them. ``_batched`` (vmap):
    every argument has a leading batch dim (``bins`` too when it is a tensor), one
    histogram per row."""
    B = a.shape[0] if _batched else 1
    x = a.reshape(B, -1)
    w = None if weight is None else weight.reshape(B, -1)
    sample = x[0] if B else x.reshape(-1)           # what the checks see (one sample)
    wsample = None if w is None else w[0]
    if isinstance(bins, np.ndarray):
        edges = bins.reshape((B,) + bins.shape[1:]) if _batched else bins
        one = edges[0] if _batched else edges
        if one.dtype != a.dtype:
            raise RuntimeError("torch.histogramdd: input tensor and bins tensors should have the same dtype, but got "
                               f"input with dtype {_C_NAMES[a.dtype.name]} and bins for dimension 0 with dtype "
                               f"{_C_NAMES[one.dtype.name]}")
        if one.ndim != 1:
            raise RuntimeError("torch.histogramdd: bins tensor should have one dimension, but got "
                               f"{one.ndim} dimensions in the bins tensor for dimension 0")
        if one.size == 0:
            raise RuntimeError("torch.histogramdd: bins tensor should have at least 1 element, but got 0 elements "
                               "in the bins tensor for dimension 0")
        _weight_checks(sample, wsample)
        if one.size - 1 <= 0:
            raise _bins_error(one.size - 1)
        algorithm = "binary"
        edges = np.array(np.broadcast_to(edges, (B, one.size)), copy=True)
    else:
        if bins <= 0:
            raise _bins_error(bins)
        if range is not None:
            if len(range) != 2:
                raise RuntimeError("torch.histogramdd: for a 1-dimensional histogram range should have 2 elements, "
                                   f"but got {len(range)}")
            lo, hi = np.full(B, float(range[0])), np.full(B, float(range[1]))
        elif sample.size:
            if a.dtype not in (np.float32, np.float64):
                raise _not_implemented_for("histogramdd", a.dtype)
            lo, hi = x.min(axis=1).astype(np.float64), x.max(axis=1).astype(np.float64)
        else:
            lo, hi = np.zeros(B), np.ones(B)
        for l, h in zip(lo, hi):
            if not (math.isfinite(l) and math.isfinite(h)):
                raise RuntimeError(f"torch.histogramdd: dimension 0's range [{_c_double(l)}, {_c_double(h)}] is not "
                                   "finite")
            if not l <= h:
                raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {_c_double(l)} max "
                                   f"{_c_double(h)} for dimension 0")
        same = lo == hi
        lo, hi = np.where(same, lo - 0.5, lo), np.where(same, hi + 0.5, hi)
        if a.dtype.kind != "f":
            _weight_checks(sample, wsample)
            raise _not_implemented_for("histogram_cpu", a.dtype)
        edges = _linspace(lo, hi, bins + 1, a.dtype)
        _weight_checks(sample, wsample)
        algorithm = "local"
    if a.dtype.kind != "f":
        raise _not_implemented_for("histogram_cpu", a.dtype)
    hist = _histogram_kernel(x, edges, w, density, algorithm)
    return (hist, edges) if _batched else (hist[0], edges[0])


def _weight_checks(a, weight):
    if weight is None:
        return
    if weight.dtype != a.dtype:
        raise RuntimeError("torch.histogramdd: if weight tensor is provided, input tensor and weight tensor should "
                           f"have the same dtype, but got input({_C_NAMES[a.dtype.name]}), and "
                           f"weight({_C_NAMES[weight.dtype.name]})")
    if weight.size != a.size:
        raise RuntimeError("torch.histogramdd: if weight tensor is provided it should have the same shape as the "
                           f"input tensor excluding its innermost dimension, but got input with shape [{a.size}, 1] "
                           f"and weight with shape [{weight.size}]")


_histogram = declare(
    "histogram", _histogram_forward, inputs=("self", "bins", "weight"), outputs=("hist", "bin_edges"),
    node="NotImplemented", public=False,
    samples=[sample(T(8, grad=False), 4, call="histogram", smooth=False),
             sample(T(8, grad=False), T(values=[-1.5, 0.0, 0.5, 2.0], grad=False), call="histogram", smooth=False),
             sample(T(2, 5, grad=False), 3, range=(-1.0, 1.0), weight=T(2, 5, low=0, high=1, grad=False), density=True,
                    call="Tensor.histogram", smooth=False),
             sample(T(6, dtype="float32", grad=False), 5, call="histogram", smooth=False)])
_not_implemented_node("histogram", "histogram")


def _histogram_impl(input, bins, range=None, weight=None, density=False, out=None):
    """(hist, bin_edges): ``bins`` equal bins over ``range`` (the data's range by default),
    or the bins between the edges of a 1-D tensor ``bins``."""
    params = {"density": bool(density)}
    if range is not None:
        params["range"] = tuple(float(r) for r in range)
    if out is not None:
        if len(out) != 2:
            raise RuntimeError(f"histogram(): expected out to be a tuple of 2 tensors, but got {len(out)}")
        if not isinstance(bins, Tensor):
            _hist_out_dtype_check(input._data.dtype, *out)
    with np.errstate(all="ignore"):
        hist, edges = _histogram(input, bins if isinstance(bins, Tensor) else int(bins), weight, **params)
    if out is None:
        return _Histogram((hist, edges))
    _hist_out_dtype_check(input._data.dtype, *out)
    for k, (o, r) in enumerate(zip(out, (hist, edges))):
        # (no derivative: the out tensors take the NotImplemented node, as in PyTorch)
        _resize_out(o, r._data.shape)
        write_into(o, r)
        if r._grad_fn is not None:
            o._out_nr = k
    return _HistogramOut(tuple(out))


_HIST_TAIL = [("weight", "Tensor", None, True), ("density", "bool", False, True),
              ("out", "tuple of Tensors", None, True)]
histogram, Tensor.histogram = _method_and_function("histogram", [
    _Sig([("input", "Tensor", _REQUIRED, False), ("bins", "Tensor", _REQUIRED, False)] + _HIST_TAIL),
    _Sig([("input", "Tensor", _REQUIRED, False), ("bins", "int", 100, False),
          ("range", "tuple of floats", None, True)] + _HIST_TAIL)], _histogram_impl)
FUNCTIONS["histogram"] = histogram
