"""quantile / nanquantile, cov / corrcoef, bincount, histc and histogram.

quantile, nanquantile, cov and corrcoef are composites in PyTorch (ATen's
``quantile_compute`` in Sorting.cpp and ``cov`` / ``corrcoef`` in Correlation.cpp):
they are composed here from the same leafgrad ops, step by step, so the values, the
graph and its node names (SortBackward0, GatherBackward0, LerpBackward1, the in-place
SqueezeBackward4 / UnsqueezeBackward1 / TransposeBackward1, MmBackward0, ...) match.
bincount, histc and histogram count values: they are integer-like ops without a
derivative (histc records a node whose backward raises, as PyTorch's does)."""
import math
import warnings

import numpy as np

from ._declare import declare, FUNCTIONS, REGISTRY
from ._samples import T, sample
from .._tensor import Tensor, _wrap_dim, wrap, _C_TYPE_NAMES as _C_NAMES
from .. import _dtype
from ..autograd import grad_mode
from ..return_types import return_type
from .stats import _write_out, _resize_out
from .indexing import gather as _gather
from .unary import lerp as _lerp
from .activation import mul_scalar as _mul_scalar, sub_scalar as _sub_scalar


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


# ====================================================================== quantile / nanquantile
# ATen finishes quantile with in-place shape ops on its (non-view) result: their nodes.
_Q1 = T(values=[0.2, 0.75], grad=False)
_squeeze_ = declare(
    "_quantile_squeeze_", lambda a, dim: np.squeeze(a, dim), node="SqueezeBackward4", public=False,
    samples=[sample(T(3, 4), 0.3, dim=1, call="quantile"), sample(T(5), 0.5, call="Tensor.quantile"),
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
             sample(T(3, 5), 0.7, call="nanquantile")],
    self=lambda grad, self_shape: grad.reshape(self_shape))
_unsqueeze_ = declare(
    "_quantile_unsqueeze_", lambda a, dim: np.expand_dims(a, dim), node="UnsqueezeBackward1", public=False,
    samples=[sample(T(3, 4), _Q1, dim=1, call="quantile"), sample(T(5), _Q1, call="quantile"),
             sample(T(2, 3, 4), _Q1, dim=0, keepdim=True, call="quantile"),
             sample(T(3, 4), _Q1, interpolation="nearest", call="Tensor.quantile"),
             sample(T(3, 4), _Q1, 1, True, interpolation="midpoint", call="quantile"),
             sample(T(3, 4, dtype="float32"), T(values=[0.1, 0.5, 0.9], dtype="float32", grad=False), dim=0,
                    call="quantile"),
             sample(T(3, 4), T(values=[0.1, 0.5, 0.9]), dim=1, call="quantile"),
             sample(T(3, 4), T(values=[0.3, 0.6]), dim=1, call="nanquantile"),
             sample(T(values=[[1.0, float("nan"), 3.0, 0.0], [2.0, 5.0, 1.0, 4.0]]), _Q1, dim=1,
                    smooth=False, call="nanquantile"),
             sample(T(), _Q1, call="quantile")],
    self=lambda grad, dim: np.squeeze(grad, dim))
_transpose_ = declare(
    "_quantile_transpose_", lambda a, dim0, dim1: np.swapaxes(a, dim0, dim1), node="TransposeBackward1",
    public=False, samples=[sample(T(2, 3, 4), _Q1, dim=1, call="quantile"),
                           sample(T(3, 4), _Q1, dim=0, interpolation="higher", call="nanquantile")],
    self=lambda grad, dim0, dim1: np.swapaxes(grad, dim0, dim1))

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(name, ignore_nan):
    def fn(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
        if not isinstance(input, Tensor) or not isinstance(q, (Tensor, int, float, bool, np.number)) \
                or isinstance(q, (complex, np.complexfloating)):
            got = ", ".join(type(a).__name__ if not isinstance(a, Tensor) else "Tensor" for a in (input, q))
            raise TypeError(f"{name}() received an invalid combination of arguments - got ({got}), but expected "
                            "one of:\n"
                            " * (Tensor input, Tensor q, int dim = None, bool keepdim = False, *, str interpolation "
                            "= \"linear\", Tensor out = None)\n"
                            " * (Tensor input, float q, int dim = None, bool keepdim = False, *, str interpolation "
                            "= \"linear\", Tensor out = None)\n")
        if not isinstance(q, Tensor):
            qv = float(q)
            if not (0 <= qv <= 1):
                raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {_c_double(qv)}")
        if interpolation not in _INTERPOLATIONS:
            raise RuntimeError("quantile() interpolation must be one of linear, lower, higher, midpoint or "
                               f"nearest, but got {interpolation}")
        if not isinstance(q, Tensor):
            q = wrap(np.asarray(qv, dtype=input._data.dtype)) if input._data.dtype.kind in "fc" else \
                wrap(np.asarray(qv).astype(input._data.dtype))
        res = _quantile_compute(input, q, dim, keepdim, interpolation, ignore_nan, out)
        return _copy_out(res, out, name)
    fn.__name__ = fn.__qualname__ = name
    return fn


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
        return _squeeze_(values, dim=values._data.ndim - 1)
    values = _unsqueeze_(values, dim=0)
    values = _transpose_(values, dim0=0, dim1=values._data.ndim - 1)
    return _squeeze_(values, dim=values._data.ndim - 1)


quantile = _quantile("quantile", False)
nanquantile = _quantile("nanquantile", True)
FUNCTIONS["quantile"] = quantile
FUNCTIONS["nanquantile"] = nanquantile
Tensor.quantile = quantile
Tensor.nanquantile = nanquantile


# ====================================================================== cov / corrcoef
def _long(n):
    return wrap(np.asarray(n, np.int64))


def _is_true(t):
    return bool(t._data)


def cov(input, *, correction=1, fweights=None, aweights=None):
    """ATen's composite, step by step (Correlation.cpp)."""
    if not isinstance(correction, (int, np.integer)) or isinstance(correction, bool):
        raise TypeError(f"cov(): argument 'correction' must be int, not {type(correction).__name__}")
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError("cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{nd} dimensions")
    if input._data.dtype == np.bool_:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input.view(1, -1) if nd < 2 else input
    n_obs = x._data.shape[1]
    w = None
    if fweights is not None:
        w = fweights
        if w._data.ndim > 1:
            raise RuntimeError("cov(): expected fweights to have one or fewer dimensions but got fweights with "
                               f"{w._data.ndim} dimensions")
        if w._data.dtype.kind not in "iu":
            raise RuntimeError("cov(): expected fweights to have integral dtype but got fweights with "
                               f"{_dtype_name(w._data.dtype)} dtype")
        if w._data.size != n_obs:
            raise RuntimeError("cov(): expected fweights to have the same numel as there are observations in the "
                               f"input but got {w._data.size} != {n_obs}")
        if n_obs and not w._data.min() >= 0:
            raise RuntimeError("cov(): fweights cannot be negative")
    if aweights is not None:
        aw = aweights
        if aw._data.ndim > 1:
            raise RuntimeError("cov(): expected aweights to have one or fewer dimensions but got aweights with "
                               f"{aw._data.ndim} dimensions")
        if aw._data.dtype.kind != "f":
            raise RuntimeError("cov(): expected aweights to have floating point dtype but got aweights with "
                               f"{_dtype_name(aw._data.dtype)} dtype")
        if aw._data.size != n_obs:
            raise RuntimeError("cov(): expected aweights to have the same numel as there are observations in the "
                               f"input but got {aw._data.size} != {n_obs}")
        if n_obs and not aw._data.min() >= 0:
            raise RuntimeError("cov(): aweights cannot be negative")
        w = aw if w is None else w * aw
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


def corrcoef(input):
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


FUNCTIONS["cov"] = cov
FUNCTIONS["corrcoef"] = corrcoef
Tensor.cov = cov
Tensor.corrcoef = corrcoef

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
