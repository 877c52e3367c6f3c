"""Statistical reductions: nansum, nanmean, prod, var/std, max/min/amax/amin/argmax/argmin,
aminmax, logsumexp, the norms (``norm``, ``linalg.vector_norm``, ``linalg.matrix_norm``),
the cumulative ops (cumsum, cumprod, cummax, cummin), all/any and count_nonzero.

Ops that return several tensors give named tuples that behave like PyTorch's
``torch.return_types.<name>`` (``leafgrad.return_types``). Gradients that select values
(max along a dim, cummax, sort, topk, ...) scatter ``grad`` back to the selected
indices through private ops (``_scatter_zeros``, ``_scatter_add_zeros``, ``_gather``)
that are each other's derivative, so every formula stays differentiable. The 2, -2 and
nuclear matrix norms go through the singular values of ``linalg.svd`` (declared here, the
public function is in decomp.py) with PyTorch's svd_backward, so their double backward is exact too."""
import builtins
import math

import numpy as np

from ._declare import declare, FUNCTIONS
from ._samples import T, sample
from .reduction import normalize_dims, _count, sum as _sum
from .._tensor import Tensor, _wrap_dim, wrap, _LEGACY_NAMES, _C_TYPE_NAMES as _C_NAMES
from .. import _dtype
from ..return_types import _ReturnType, return_type

_bmax, _babs, _bany = builtins.max, builtins.abs, builtins.any

# ---------------------------------------------------------------- small helpers
def _arr(x):
    return x._data if isinstance(x, Tensor) else x


def _like(ref, arr):
    """``arr`` as the kind of ``ref``: a Tensor when ``ref`` is one (create_graph)."""
    return wrap(arr) if isinstance(ref, Tensor) else arr


def _restore(x, dim, keepdim):
    """Put back the reduced dims ``dim`` (sorted) that keepdim=False dropped."""
    if keepdim or not dim:
        return x
    return np.expand_dims(x, dim)


def _type_name(a):
    return _LEGACY_NAMES[np.dtype(a.dtype).name]


def _dims(dim, ndim):
    """``dim`` as sorted non-negative dims; None (or an empty list) means all."""
    if dim is None:
        return tuple(range(ndim))
    dims = normalize_dims(dim, ndim)
    if not dims and not isinstance(dim, int) and ndim:
        return tuple(range(ndim))
    return dims


#: C type names of dtypes, as PyTorch's messages print them.


#: How ops refuse an ``out=`` of another dtype than their result ({i}/{o}: the result's and
#: out's type names, Double; {ic}/{oc}: C names, double). Ops not listed cast into ``out``.
OUT_DTYPE = {
    "match": "Expected the dtype for input and out to match, but got {i} for input's dtype and {o} for out's dtype.",
    "expect": "Expected out tensor to have dtype {ic}, but got {oc} instead",
    "median": "Expected tensor for 'values' to have the same type as tensor for argument #2 'self'; but type "
              "torch.{o}Tensor does not equal torch.{i}Tensor (while checking arguments for median)",
    "cum": "expected scalar_type {i} but found {o}",
    "kthvalue": "output values must be of same type as input",
    "mode": "expected scalar type '{i}' but got '{o}' for values output",
    "matrix_norm": "linalg.matrix_norm expected out tensor dtype {i} but got: {o}",
    "same": "Found dtype {o} but expected {i}",
    "nan_to_num": "nan_to_num: dtype of out: {o} should be same as input: {i}",
    # not a mismatch of the dtypes, see _out_dtype_error
    "cast": "result type {i} can't be cast to the desired output type {o}",
    "bool": "{name} does not support non-boolean outputs.",
}


def _out_dtype_error(rule, r, o, name):
    """PyTorch's error for writing a ``r`` result into an ``o`` out by ``rule`` (a key of
    OUT_DTYPE: most refuse any other dtype; 'cast' refuses what does not cast by kind,
    'bool' any non-bool out), or None."""
    if rule == "cast":
        bad = r != o and not np.can_cast(r, o, "same_kind")
    elif rule == "bool":
        bad = o.kind != "b"
    else:
        bad = r != o
    if not bad:
        return None
    return RuntimeError(OUT_DTYPE[rule].format(i=_LEGACY_NAMES[r.name], o=_LEGACY_NAMES[o.name], ic=_C_NAMES[r.name],
                                               oc=_C_NAMES[o.name], name=name))


def _resize_out(out, shape):
    """Give ``out`` the result's ``shape`` (fresh storage), with PyTorch's deprecation
    warning when it had elements."""
    if out._data.shape == shape:
        return
    if out._data.size:
        import warnings
        warnings.warn(f"An output with one or more elements was resized since it had shape {list(out._data.shape)}, "
                      f"which does not match the required output shape {list(shape)}. This behavior is deprecated, "
                      "and in a future PyTorch release outputs will not be resized unless they have zero elements. "
                      "You can explicitly reuse an out tensor t by resizing it, inplace, to zero elements with "
                      "t.resize_(0).", UserWarning, stacklevel=4)
    out._data = np.empty(shape, out._data.dtype)


def _write_out(out, result, name=None, dtype_check=None):
    """Implement ``out=``: copy ``result`` (a Tensor or a tuple of them) into ``out``
    (resized, with PyTorch's warning, when its shape differs), refusing what PyTorch
    refuses: recording ops, an out that is no Tensor, and (``dtype_check``, a key of
    OUT_DTYPE) another dtype."""
    if out is None:
        return result
    from ..autograd import grad_mode
    if not isinstance(result, tuple) and not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    results = result if isinstance(result, tuple) else (result,)
    outs = tuple(out) if isinstance(result, tuple) else (out,)
    if grad_mode.state.enabled and _bany(r._requires_grad for r in results):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    if dtype_check is not None:
        err = _out_dtype_error(dtype_check, results[0]._data.dtype, outs[0]._data.dtype, name)
        if err is not None:
            raise err
    for o, r in zip(outs, results):
        _resize_out(o, r._data.shape)
        np.copyto(o._data, r._data, casting="unsafe")
        o._vc[0] += 1
    if isinstance(result, tuple):
        if isinstance(result, _ReturnType):  # torch.return_types.max_out, ...
            name = type(result).__name__
            return return_type(name + "_out", result._fields)(outs)
        return outs
    return out


def _rev(x, dim):
    """``x`` reversed along ``dim`` (differentiable on Tensors: an index op)."""
    if isinstance(x, Tensor):
        n = x._data.shape[dim]
        return x[(slice(None),) * dim + (np.arange(n - 1, -1, -1),)]
    return np.flip(x, dim)


def _cat(parts, dim):
    return np.concatenate(parts, axis=dim)


def _narrow(x, dim, start, length):
    return x[(slice(None),) * dim + (slice(start, start + length),)]


# ---------------------------------------------------------------- scatter / gather
def _scatter_forward(src, index, dim, shape):
    out = np.zeros(shape, src.dtype)
    if out.ndim == 0:
        out[()] = src
        return out
    np.put_along_axis(out, index, src, axis=dim)
    return out


def _scatter_add_forward(src, index, dim, shape):
    out = np.zeros(shape, src.dtype)
    if out.ndim == 0:
        out[()] = src
        return out
    idx = list(np.indices(index.shape, sparse=True))
    idx[dim] = index
    flat = np.ravel_multi_index(np.broadcast_arrays(*idx), shape)
    return np.bincount(flat.ravel(), weights=np.broadcast_to(src, index.shape).ravel(),
                       minlength=out.size).reshape(shape).astype(src.dtype, copy=False)


def _gather_forward(a, index, dim):
    if a.ndim == 0:
        return a.copy()
    return np.take_along_axis(a, index, axis=dim)


# zeros(shape).scatter(dim, index, src): value_selecting_reduction_backward's scatter.
scatter_zeros = declare(
    "_scatter_zeros", _scatter_forward, node="ScatterBackward0", public=False,
    samples=[sample(T(2, 2), index=np.array([[2, 0], [1, 3]]), dim=1, shape=(2, 4), call="_scatter_zeros")],
    self=lambda grad, index, dim: gather(grad, index=index, dim=dim))

# zeros(shape).scatter_add(dim, index, src): cummax / cummin backward.
scatter_add_zeros = declare(
    "_scatter_add_zeros", _scatter_add_forward, node="ScatterAddBackward0", public=False,
    samples=[sample(T(2, 3), index=np.array([[0, 0, 2], [1, 1, 1]]), dim=1, shape=(2, 3),
                    call="_scatter_add_zeros")],
    self=lambda grad, index, dim: gather(grad, index=index, dim=dim))

gather = declare(
    "_gather", _gather_forward, node="GatherBackward0", public=False,
    samples=[sample(T(2, 4), index=np.array([[3, 0], [1, 1]]), dim=1, call="_gather")],
    self=lambda grad, self_shape, index, dim: scatter_add_zeros(grad, index=index, dim=dim, shape=self_shape))

FUNCTIONS.update(_scatter_zeros=scatter_zeros, _scatter_add_zeros=scatter_add_zeros, _gather=gather)


def value_selecting_backward(grad, dim, indices, shape, keepdim):
    """The gradient of a value chosen at ``indices`` along ``dim``: ``grad`` put back there."""
    if not shape:
        return grad
    if not keepdim:
        grad = np.expand_dims(grad, dim)
        indices = np.expand_dims(indices, dim)
    return scatter_zeros(grad, index=indices, dim=dim, shape=shape)


def evenly_distribute(grad, self, result):
    """The gradient of max/min/median over all elements: split evenly between ties
    (NaN results: between the NaNs)."""
    s, r = _arr(self), _arr(result)
    mask = np.isnan(s) if np.isnan(r).any() else s == r
    scale = mask.astype(s.dtype) / mask.sum()
    return grad * _like(grad, scale)


def scale_grad_by_count(grad, self, result, dim, keepdim):
    """amax/amin's gradient: split evenly between the elements equal to the result."""
    s, r = _arr(self), _arr(result)
    mask = s == _restore(r, dim, keepdim)
    scale = mask.astype(s.dtype) / mask.sum(axis=dim, keepdims=True)
    return _restore(grad, dim, keepdim) * _like(grad, scale)


# ---------------------------------------------------------------- nansum / nanmean
def _nansum_forward(a, dim=None, keepdim=False, dtype=None):
    if dtype is None and a.dtype.kind in "biu":
        dtype = np.int64
    return np.nansum(a, axis=dim, keepdims=keepdim, dtype=dtype)


nansum_ = declare(
    "nansum", _nansum_forward, node="NansumBackward0", public=False,
    samples=[sample(T(3, 4), call="nansum"), sample(T(3, 4), 1, call="nansum"),
             sample(T(values=[[1.0, np.nan, 2.0], [np.nan, np.nan, 0.5]]), -1, True, call="nansum"),
             sample(T(2, 3, 4), (0, 2), call="Tensor.nansum"), sample(T(), call="nansum")],
    self=lambda grad, self, dim=None, keepdim=False: _restore(grad, _dims(dim, self.ndim), keepdim) * _like(
        grad, ~np.isnan(_arr(self))))


def nansum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Sum treating NaN as zero."""
    kw = {}
    if dim is not None:
        d = _dims(dim, input._data.ndim)
        kw["dim"] = d
        if keepdim:
            kw["keepdim"] = True
    elif keepdim:
        kw["dim"] = tuple(range(input._data.ndim))
        kw["keepdim"] = True
    if dtype is not None:
        kw["dtype"] = dtype.np
    return _write_out(out, nansum_(input, **kw), "nansum")


def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Mean of the non-NaN elements: nansum / count, as PyTorch composes it."""
    if dtype is None and input._data.dtype.kind != "f":
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype but got "
                           f"{_type_name(input._data)}")
    if dtype is not None:
        input = input.to(dtype)
    from ..autograd import grad_mode
    with grad_mode.no_grad():
        present = input == input      # not NaN (ops, so that vmap batches the count)
        count = _sum(present, dim=dim, keepdim=keepdim) if dim is not None else _sum(present)
        if dim is None and keepdim:
            count = count.reshape((1,) * input._data.ndim)
        # PyTorch divides by the int64 count; in the input's float dtype the quotient is the same.
        count = count.to(input.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _write_out(out, nansum(input, dim, keepdim) / count, "nanmean")


# ---------------------------------------------------------------- prod
def _prod_dtype(a, dtype):
    if dtype is not None:
        return dtype
    return np.int64 if a.dtype.kind in "biu" else None


def _exclusive_prods(x, dim):
    """For each element, the product of the others along ``dim``, exact with zeros
    (PyTorch's prod_safe_zeros_backward: exclusive cumulative products both ways)."""
    n = x.shape[dim]
    if n == 0:
        return x
    shape = list(x.shape)
    shape[dim] = 1
    ones = _like(x, np.ones(shape, _arr(x).dtype))
    left = cumprod_(_cat([ones, _narrow(x, dim, 0, n - 1)], dim), dim=dim)
    right = _rev(cumprod_(_cat([ones, _rev(_narrow(x, dim, 1, n - 1), dim)], dim), dim=dim), dim)
    return left * right


def _prod_backward(grad, self, result):
    s = _arr(self)
    if s.ndim == 0:
        return grad
    zeros = int(np.count_nonzero(s == 0))
    if zeros == 0:
        return grad * (result / self)
    if zeros > 1:
        return grad * _like(grad, np.zeros(s.shape, s.dtype))
    flat = self.reshape(-1) if s.ndim != 1 else self
    return grad * _exclusive_prods(flat, 0).reshape(s.shape)


def _prod_dim_backward(grad, self, result, dim, keepdim):
    s = _arr(self)
    if s.ndim == 0:
        return grad
    grad = _restore(grad, (dim,), keepdim)
    if not (s == 0).any():
        return grad * (_restore(result, (dim,), keepdim) / self)
    return grad * _exclusive_prods(self, dim)


prod_all = declare(
    "prod", lambda a, dtype=None: np.prod(a, dtype=_prod_dtype(a, dtype)), node="ProdBackward0", public=False,
    samples=[sample(T(3, 4), call="prod"), sample(T(), call="prod"), sample(T(0, 3), call="prod"),
             sample(T(values=[[1.5, 0.0, 2.0], [-1.0, 0.5, 3.0]]), call="prod"),
             sample(T(values=[[1.5, 0.0, 2.0], [0.0, 0.5, 3.0]]), call="prod", smooth=False),
             sample(T(2, 3), call="Tensor.prod")],
    self=_prod_backward)

prod_dim = declare(
    "prod.dim_int", lambda a, dim, keepdim=False, dtype=None: np.prod(a, axis=dim, keepdims=keepdim,
                                                                       dtype=_prod_dtype(a, dtype)),
    node="ProdBackward1", public=False,
    samples=[sample(T(3, 4), 1, call="prod"), sample(T(3, 4), -2, True, call="prod"),
             sample(T(values=[[1.5, 0.0, 2.0, 0.0], [-1.0, 0.5, 3.0, 1.2], [0.0, 0.7, 0.0, 0.0]]), 1, call="prod"),
             sample(T(values=[[1.5, 0.0], [-1.0, 0.5]]), 0, keepdim=True, call="prod"),
             sample(T(), 0, call="prod"), sample(T(2, 0), 1, call="prod")],
    self=_prod_dim_backward)


def prod(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Product of all elements, or along one dim."""
    kw = {} if dtype is None else {"dtype": dtype.np}
    if dim is None:
        return _write_out(out, prod_all(input, **kw), "prod")
    if isinstance(dim, (tuple, list)):
        raise TypeError("prod() received an invalid combination of arguments - got (Tensor, tuple), but expected "
                        "one of:\n * (Tensor input, *, torch.dtype dtype = None)\n * (Tensor input, int dim, bool "
                        "keepdim = False, *, torch.dtype dtype = None, Tensor out = None)\n")
    d = _wrap_dim(dim, input._data.ndim)
    return _write_out(out, prod_dim(input, dim=d if input._data.ndim else (), keepdim=bool(keepdim), **kw), "prod")


# ---------------------------------------------------------------- var / std
def _var_mean_wide(a, dim, correction, keepdim):
    """(variance, mean) in float64 whatever ``a``'s float type: PyTorch accumulates var and
    std of float32 in double and rounds once at the end (std after its square root), so
    computing in float32 would differ from it in the last bit about half the time."""
    x = a.astype(np.float64) if a.dtype.itemsize < 8 else a
    with np.errstate(divide="ignore", invalid="ignore"):
        n = _count(a.shape, dim)
        mean = np.mean(x, axis=dim, keepdims=True) if n else np.full([1 if i in dim else s for i, s in
                                                                      enumerate(a.shape)], np.nan, x.dtype)
        d = x - mean
        ss = np.sum(d * d, axis=dim, keepdims=keepdim)
        return ss / x.dtype.type(_bmax(n - correction, 0)), mean if keepdim else np.squeeze(mean, axis=dim)


def _var_forward(a, dim, correction, keepdim):
    return _var_mean_wide(a, dim, correction, keepdim)[0].astype(a.dtype, copy=False)


def _std_forward(a, dim, correction, keepdim):
    return np.sqrt(_var_mean_wide(a, dim, correction, keepdim)[0]).astype(a.dtype, copy=False)


def _var_backward(grad, self, dim, correction, keepdim):
    n = _count(self.shape, dim)
    scale = 2.0 / (n - correction) if n - correction else math.inf
    mean = np.mean(self, axis=dim, keepdims=True) if dim else self
    return (_restore(grad, dim, keepdim) * scale) * (self - mean)


def _std_backward(grad, self, result, dim, correction, keepdim):
    r = _arr(result)
    g = _masked(grad / (_nonzero(result, r == 0) * 2), r == 0)
    return _var_backward(g, self, dim, correction, keepdim)


var_ = declare(
    "var", _var_forward, node="VarBackward0", public=False,
    samples=[sample(T(3, 4), call="var"), sample(T(3, 4), 1, call="var"), sample(T(3, 4), 1, correction=0, call="var"),
             sample(T(2, 3, 4), (0, 2), keepdim=True, call="var"), sample(T(3, 4), False, call="var"),
             sample(T(3, 4), -1, True, True, call="var"), sample(T(5), correction=2, call="Tensor.var"),
             sample(T(3, 4), dim=0, unbiased=False, call="var")],
    self=_var_backward)

std_ = declare(
    "std", _std_forward,
    node="StdBackward0", public=False,
    samples=[sample(T(3, 4), call="std"), sample(T(3, 4), 1, call="std"), sample(T(3, 4), 1, correction=0, call="std"),
             sample(T(2, 3, 4), (0, 2), keepdim=True, call="std"), sample(T(3, 4), False, call="Tensor.std"),
             sample(T(values=[[1.0, 1.0], [2.0, 3.0]]), 1, call="std", smooth=False)],
    self=_std_backward)


def _mean_backward(grad, self_shape, dim, keepdim):
    return np.broadcast_to(_restore(grad, dim, keepdim) / _count(self_shape, dim), self_shape)


def _var_mean_backward(grads, self, dim, correction, keepdim):
    gv, gm = grads
    return _var_backward(gv, self, dim, correction, keepdim) + _mean_backward(gm, self.shape, dim, keepdim)


def _std_mean_backward(grads, self, std, dim, correction, keepdim):
    gs, gm = grads
    return _std_backward(gs, self, std, dim, correction, keepdim) + _mean_backward(gm, self.shape, dim, keepdim)


def _var_mean_forward(a, dim, correction, keepdim):
    v, m = _var_mean_wide(a, dim, correction, keepdim)
    return v.astype(a.dtype, copy=False), m.astype(a.dtype, copy=False)


var_mean_ = declare(
    "var_mean", _var_mean_forward, node="VarMeanBackward0", public=False, outputs=("var", "mean"),
    samples=[sample(T(3, 4), call="var_mean"), sample(T(3, 4), 1, call="var_mean"),
             sample(T(2, 3, 4), (0, 2), correction=0, keepdim=True, call="var_mean")],
    self=_var_mean_backward)


def _std_mean_forward(a, dim, correction, keepdim):
    v, m = _var_mean_wide(a, dim, correction, keepdim)
    return np.sqrt(v).astype(a.dtype, copy=False), m.astype(a.dtype, copy=False)


std_mean_ = declare(
    "std_mean", _std_mean_forward, node="StdMeanBackward0", public=False, outputs=("std", "mean"),
    samples=[sample(T(3, 4), call="std_mean"), sample(T(3, 4), 1, call="std_mean"),
             sample(T(2, 3, 4), (0, 2), correction=0, keepdim=True, call="std_mean")],
    self=_std_mean_backward)


def _var_args(name, input, dim, unbiased, keepdim, correction):
    if isinstance(dim, bool):
        unbiased, dim = dim, None
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{name} only support floating point and complex dtypes" if name.endswith("_mean") else
                           "std and var only support floating point and complex dtypes")
    if correction is not None and unbiased is not None:
        got = "Tensor" + ("" if dim is None else ", " + ("tuple" if isinstance(dim, (tuple, list)) else "int")) + \
            ", unbiased=bool, correction=int"
        raise TypeError(
            f"{name}() received an invalid combination of arguments - got ({got}), but expected one of:\n"
            " * (Tensor input, tuple of ints dim, bool unbiased = True, bool keepdim = False, *, Tensor out = None)\n"
            " * (Tensor input, tuple of ints dim = None, *, Number correction = None, bool keepdim = False, "
            "Tensor out = None)\n * (Tensor input, bool unbiased = True)\n")
    if correction is None:
        correction = 0 if unbiased is False else 1
    dims = _dims(dim, input._data.ndim)
    if _count(input._data.shape, dims) - correction <= 0:
        import warnings
        warnings.warn(f"{name.split('_')[0]}(): degrees of freedom is <= 0. Correction should be strictly less than "
                      "the reduction factor (input numel divided by output numel).", UserWarning, stacklevel=3)
    return dict(dim=dims, correction=correction, keepdim=bool(keepdim))


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """Variance over all elements or ``dim``, with Bessel's ``correction`` (default 1)."""
    return _write_out(out, var_(input, **_var_args("var", input, dim, unbiased, keepdim, correction)), "var")


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """Standard deviation: the square root of ``var``."""
    return _write_out(out, std_(input, **_var_args("std", input, dim, unbiased, keepdim, correction)), "std")


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """(var, mean) in one pass."""
    return var_mean_(input, **_var_args("var_mean", input, dim, unbiased, keepdim, correction))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """(std, mean) in one pass."""
    return std_mean_(input, **_var_args("std_mean", input, dim, unbiased, keepdim, correction))


# ---------------------------------------------------------------- max / min
def _check_nonempty(a, name, dim=None):
    if dim is None:
        if a.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify "
                               "the reduction dim with the 'dim' argument.")
    elif a.ndim and a.shape[dim] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size.")


def _ext_all(fn, name):
    def forward(a):
        _check_nonempty(a, name)
        return fn(a)
    return forward


def _ext_dim(fn, argfn, name):
    def forward(a, dim, keepdim=False):
        if a.ndim == 0:
            return a.copy(), np.zeros((), np.int64)
        _check_nonempty(a, name, dim)
        idx = argfn(a, axis=dim, keepdims=True)
        vals = np.take_along_axis(a, idx, axis=dim)
        if not keepdim:
            vals, idx = vals.squeeze(dim), idx.squeeze(dim)
        return vals, idx.astype(np.int64, copy=False)
    return forward


_EXT_SAMPLES_ALL = [T(3, 4), T(), T(values=[[1.0, 3.0, 3.0], [0.5, 3.0, -1.0]])]


def _extreme(name, npfn, argfn, node_all, node_dim):
    full = declare(
        name, _ext_all(npfn, name), node=node_all, public=False,
        samples=[sample(_EXT_SAMPLES_ALL[0], call=name), sample(_EXT_SAMPLES_ALL[1], call=name),
                 sample(_EXT_SAMPLES_ALL[2], call=name, smooth=False), sample(T(2, 3), call="Tensor." + name),
                 sample(T(values=[1.0, np.nan, 2.0, np.nan]), call=name, smooth=False)],
        self=evenly_distribute)
    along = declare(
        name + ".dim", _ext_dim(npfn, argfn, name), node=node_dim, public=False, outputs=("values", "indices"),
        samples=[sample(T(3, 4), 1, call=name), sample(T(3, 4), -1, True, call=name),
                 sample(T(), 0, call=name), sample(T(2, 3), dim=0, keepdim=True, call=name),
                 sample(T(values=[[1.0, 3.0, 3.0], [0.5, 3.0, 3.0]]), 1, smooth=False, call=name),
                 sample(T(3, 4), 0, call="Tensor." + name)],
        self=lambda grad, indices, self_shape, dim, keepdim=False: value_selecting_backward(
            grad, dim, indices, self_shape, keepdim))
    rtype = return_type(name)

    def public(input, dim=None, keepdim=False, *, out=None, other=None):
        if isinstance(dim, Tensor) or other is not None:
            other = dim if other is None else other
            binary = FUNCTIONS["maximum" if name == "max" else "minimum"]  # declared in binary.py
            return binary(input, other) if out is None else binary(input, other, out=out)
        if dim is None:
            return _write_out(out, full(input), name, "expect")
        d = _wrap_dim(dim, input._data.ndim)
        return _write_out(out, rtype(along(input, dim=d, keepdim=bool(keepdim))), name, "expect")
    public.__name__ = public.__qualname__ = name
    return public


max = _extreme("max", np.max, np.argmax, "MaxBackward1", "MaxBackward0")
min = _extreme("min", np.min, np.argmin, "MinBackward1", "MinBackward0")


def _amax_forward(npfn, name):
    def forward(a, dim, keepdim=False):
        if a.size == 0:
            for d in dim:
                if a.shape[d] == 0:
                    raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
        return npfn(a, axis=dim, keepdims=keepdim)
    return forward


def _amax_samples(name):
    return [sample(T(3, 4), call=name), sample(T(3, 4), 1, call=name), sample(T(2, 3, 4), (0, 2), True, call=name),
            sample(T(), call=name), sample(T(values=[[1.0, 3.0, 3.0], [3.0, 3.0, -1.0]]), call=name, smooth=False),
            sample(T(values=[[1.0, 3.0, 3.0], [0.5, 3.0, 3.0]]), -1, call=name, smooth=False),
            sample(T(3, 4), dim=0, call="Tensor." + name)]


amax_ = declare("amax", _amax_forward(np.max, "amax"), node="AmaxBackward0", public=False,
                samples=_amax_samples("amax"), self=scale_grad_by_count)
amin_ = declare("amin", _amax_forward(np.min, "amin"), node="AminBackward0", public=False,
                samples=_amax_samples("amin"), self=scale_grad_by_count)


def _check_full_empty(input, dim, name):
    if input._data.size == 0 and (dim is None or dim == () or dim == []):
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
                           "reduction dim with the 'dim' argument.")


def amax(input, dim=(), keepdim=False, *, out=None):
    _check_full_empty(input, dim, "amax")
    """Maximum over ``dim`` (all dims by default); ties share the gradient."""
    return _write_out(out, amax_(input, dim=_dims(dim if dim != () else None, input._data.ndim),
                                 keepdim=bool(keepdim)), "amax", "match")


def amin(input, dim=(), keepdim=False, *, out=None):
    _check_full_empty(input, dim, "amin")
    """Minimum over ``dim`` (all dims by default); ties share the gradient."""
    return _write_out(out, amin_(input, dim=_dims(dim if dim != () else None, input._data.ndim),
                                 keepdim=bool(keepdim)), "amin", "match")


def _arg(name, npfn):
    def fn(input, dim=None, keepdim=False, *, out=None):
        if input._batched and out is None:
            return getattr(input, name)(dim, keepdim)     # vmap's batched form
        a = input._data
        if a.dtype == np.bool_:
            raise RuntimeError(f"{name}(): does not support bool input")
        if dim is None:
            if a.size == 0:
                raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
            res = np.asarray(npfn(a), dtype=np.int64)
            if keepdim:
                res = res.reshape((1,) * a.ndim)
        else:
            d = _wrap_dim(dim, a.ndim)
            if a.ndim == 0:
                res = np.zeros((), np.int64)
            else:
                if a.shape[d] == 0:
                    raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
                res = npfn(a, axis=d, keepdims=bool(keepdim)).astype(np.int64, copy=False)
        return _write_out(out, wrap(res), name, "expect")
    fn.__name__ = fn.__qualname__ = name
    return fn


argmax = _arg("argmax", np.argmax)
argmin = _arg("argmin", np.argmin)


def _aminmax_forward(a, dim, keepdim=False):
    if dim is None:
        if a.size == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                               "identity.")
        lo, hi = np.min(a), np.max(a)
        if keepdim:
            lo, hi = lo.reshape((1,) * a.ndim), hi.reshape((1,) * a.ndim)
        return lo, hi
    if a.ndim and a.shape[dim] == 0:
        raise IndexError(f"aminmax: Expected reduction dim {dim} to have non-zero size.")
    ax = dim if a.ndim else None
    return np.min(a, axis=ax, keepdims=keepdim and a.ndim > 0), np.max(a, axis=ax, keepdims=keepdim and a.ndim > 0)


def _aminmax_backward(grads, self, min, max, dim=None, keepdim=False):
    dims = tuple(range(self.ndim)) if dim is None else ((dim,) if self.ndim else ())
    kd = keepdim if dim is not None or not keepdim else True
    return scale_grad_by_count(grads[0], self, min, dims, kd) + scale_grad_by_count(grads[1], self, max, dims, kd)


aminmax_ = declare(
    "aminmax", _aminmax_forward, node="AminmaxBackward0", public=False, outputs=("min", "max"),
    samples=[sample(T(3, 4), call="aminmax"), sample(T(3, 4), dim=1, call="aminmax"),
             sample(T(3, 4), dim=-1, keepdim=True, call="aminmax"), sample(T(), call="aminmax"),
             sample(T(values=[[1.0, 3.0, 3.0], [-1.0, -1.0, 0.5]]), dim=1, smooth=False, call="aminmax")],
    self=_aminmax_backward)


def aminmax(input, *, dim=None, keepdim=False, out=None):
    """(min, max) over everything or along ``dim``."""
    kw = {"dim": None if dim is None else _wrap_dim(dim, input._data.ndim)}
    if keepdim:
        kw["keepdim"] = True
    return _write_out(out, return_type("aminmax", ("min", "max"))(aminmax_(input, **kw)), "aminmax")


# ---------------------------------------------------------------- logsumexp
def _logsumexp_forward(a, dim, keepdim=False):
    if a.size == 0:
        with np.errstate(divide="ignore"):
            return np.log(np.sum(np.exp(a), axis=dim, keepdims=keepdim))
    m = np.max(a, axis=dim, keepdims=True)
    m = np.where(np.isfinite(m), m, 0).astype(a.dtype, copy=False)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(a - m), axis=dim, keepdims=True)) + m
    return out if keepdim else np.squeeze(out, dim)


logsumexp_ = declare(
    "logsumexp", _logsumexp_forward, node="LogsumexpBackward0", public=False,
    samples=[sample(T(3, 4), 1, call="logsumexp"), sample(T(3, 4), (0, 1), call="logsumexp"),
             sample(T(2, 3, 4), -1, True, call="logsumexp"), sample(T(), 0, call="logsumexp"),
             sample(T(values=[[1000.0, 1000.5], [-1000.0, -999.0]]), 1, call="logsumexp"),
             sample(T(3, 4), dim=0, call="Tensor.logsumexp")],
    self=lambda grad, self, result, dim, keepdim=False: _restore(grad, dim, keepdim) * np.exp(
        self - _restore(result, dim, keepdim)))


def logsumexp(input, dim, keepdim=False, *, out=None):
    """log(sum(exp(x))) over ``dim``, computed stably."""
    if input._data.dtype.kind != "f":
        input = input.to(_dtype.get_default_dtype())
    return _write_out(out, logsumexp_(input, dim=_dims(dim, input._data.ndim), keepdim=bool(keepdim)), "logsumexp")


# ---------------------------------------------------------------- norms
def _vector_norm_forward(a, ord, dim, keepdim=False):
    if ord == 2:
        out = np.sqrt(np.sum(a * a, axis=dim, keepdims=keepdim))
    elif ord == math.inf or ord == -math.inf:
        if a.size == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor because the "
                               "operation does not have an identity")
        out = (np.max if ord > 0 else np.min)(np.abs(a), axis=dim, keepdims=keepdim)
    elif ord == 1:
        out = np.sum(np.abs(a), axis=dim, keepdims=keepdim)
    elif ord == 0:
        out = np.sum(a != 0, axis=dim, keepdims=keepdim, dtype=a.dtype)
    else:
        with np.errstate(divide="ignore"):
            out = np.sum(np.abs(a) ** ord, axis=dim, keepdims=keepdim) ** (1.0 / ord)
    return np.asarray(out).astype(a.dtype, copy=False)


def _norm_backward(grad, self, result, ord, dim, keepdim=False):
    if ord == 0:
        return None  # PyTorch's formula gives an undefined gradient
    with np.errstate(divide="ignore", invalid="ignore"):
        return _norm_backward_p(grad, self, result, ord, dim, keepdim)


def _nonzero(x, mask):
    """``x`` with ones where ``mask``: a denominator that is safe where the quotient is
    masked out afterwards (so that no 0/0 reaches the derivatives of the formula)."""
    return np.where(_like(x, mask), 1, x) if mask.any() else x


def _masked(x, mask):
    """``x`` with zeros where ``mask`` (PyTorch's masked_fill_(mask, 0))."""
    return np.where(_like(x, mask), 0, x) if mask.any() else x


def _norm_backward_p(grad, self, result, ord, dim, keepdim):
    grad = _restore(grad, dim, keepdim)
    norm = _restore(result, dim, keepdim)
    n = _arr(norm)
    if ord == 1:
        return np.sign(self) * grad
    if not _arr(self).size:
        return self * grad  # empty: nothing to divide
    if ord == 2:
        return self * _masked(grad / _nonzero(norm, n == 0), n == 0)
    s = _arr(self)
    if math.isinf(ord):
        mask = (np.abs(s) == n) | np.isnan(s)
        count = mask.sum(axis=dim, keepdims=True)
        return np.sign(self) * ((grad / _like(grad, count.astype(s.dtype))) * _like(grad, mask.astype(s.dtype)))
    if ord < 1:
        scaled = _masked(np.sign(self) * np.abs(self) ** (ord - 1), s == 0)
        return scaled * grad * norm ** (1 - ord)
    if ord < 2:
        scaled = np.sign(self) * np.abs(self) ** (ord - 1)
    else:
        scaled = self * np.abs(self) ** (ord - 2)
    return scaled * _masked(grad / _nonzero(norm, n == 0) ** (ord - 1), n == 0)


vector_norm_ = declare(
    "linalg_vector_norm", _vector_norm_forward, node="LinalgVectorNormBackward0", public=False,
    samples=[sample(T(3, 4), call="linalg.vector_norm"), sample(T(3, 4), 1, call="linalg.vector_norm"),
             sample(T(3, 4, away=(0,)), math.inf, call="linalg.vector_norm"),
             sample(T(3, 4, away=(0,)), -math.inf, 1, call="linalg.vector_norm"),
             sample(T(3, 4), 0, call="linalg.vector_norm", smooth=False),
             sample(T(3, 4, away=(0,)), 3, dim=(0, 1), keepdim=True, call="linalg.vector_norm"),
             sample(T(3, 4, away=(0,)), 1.5, dim=-1, call="linalg.vector_norm"),
             sample(T(3, 4, away=(0,)), 0.5, dim=0, call="linalg.vector_norm"),
             sample(T(3, 4, away=(0,)), -2, dim=0, call="linalg.vector_norm"),
             sample(T(values=[[0.0, 0.0], [1.0, -2.0]]), dim=1, call="linalg.vector_norm", smooth=False),
             sample(T(values=[[0.0, 0.0], [1.0, -2.0]]), 3, dim=1, call="linalg.vector_norm", smooth=False),
             sample(T(values=[[1.0, -2.0, 2.0], [1.0, 0.5, -0.5]]), math.inf, dim=1, call="linalg.vector_norm",
                    smooth=False),
             sample(T(), call="linalg.vector_norm"), sample(T(0, 3), call="linalg.vector_norm"),
             sample(T(3, 4), call="norm"), sample(T(3, 4), 1, call="norm"), sample(T(3, 4), dim=1, call="norm"),
             sample(T(3, 4), "fro", (0, 1), True, call="norm"), sample(T(3, 4, away=(0,)), 3, 0, call="Tensor.norm"),
             sample(T(3, 4, away=(0,)), math.inf, call="norm"),
             # linalg.norm: the vector norm for one dim, or none and a 1-D input
             sample(T(3, 4), call="linalg.norm"), sample(T(4), call="linalg.norm"),
             sample(T(4, away=(0,)), 3, call="linalg.norm"), sample(T(4, away=(0,)), math.inf, call="linalg.norm"),
             sample(T(3, 4), dim=1, call="linalg.norm"), sample(T(3, 4), 1, 0, True, call="linalg.norm"),
             sample(T(4, low=0.5), 0.5, call="linalg.norm")],
    self=_norm_backward)


def _vn_check(x, ord, name="linalg.vector_norm"):
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{_type_name(x._data)}")
    if isinstance(ord, str):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not str")


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """The ``ord``-norm of ``x`` seen as a vector (over ``dim`` when given)."""
    if dtype is not None:
        x = x.to(dtype)
    _vn_check(x, ord)
    ord = float(ord)
    dims = _dims(dim, x._data.ndim)
    if x._data.size == 0 and math.isinf(ord):
        if dim is None:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord:g} norm on an empty tensor because the "
                               "operation does not have an identity")
        for d in dims:
            if x._data.shape[d] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {ord:g} norm on the dimension {d}because "
                                   "this dimension is empty and the operation does not have an identity")
    return _write_out(out, vector_norm_(x, ord=int(ord) if ord.is_integer() else ord, dim=dims,
                                        keepdim=bool(keepdim)), "linalg_vector_norm", "expect")


def _matrix_dims(A, dim, name="linalg.matrix_norm"):
    if A._data.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if isinstance(dim, int) or len(dim) != 2:
        got = " ".join(str(d) for d in ((dim,) if isinstance(dim, int) else dim))
        raise RuntimeError(f"{name}: dim must be a 2-tuple. Got {got}")
    d0, d1 = (_wrap_dim(d, A._data.ndim) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"{name}: dims must be different. Got ({dim[0]}, {dim[1]})")
    return d0, d1


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """Frobenius, nuclear, 1/-1 (column sums), inf/-inf (row sums) and 2/-2 (singular
    values) norms of the matrices in ``A`` over the two dims ``dim``."""
    if dtype is not None:
        A = A.to(dtype)
    if A._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.matrix_norm: Expected a floating point or complex tensor as input. Got "
                           f"{_type_name(A._data)}")
    d0, d1 = _matrix_dims(A, dim)

    def done(result):
        return _write_out(out, result, "linalg_matrix_norm", "matrix_norm")
    if isinstance(ord, str):
        if ord == "fro":
            return done(vector_norm(A, 2, (d0, d1), keepdim))
        if ord == "nuc":
            return done(_matrix_reduce(A, d0, d1, keepdim, lambda s: _sum(s, -1)))
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if ord not in (1, -1, 2, -2, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if _babs(ord) == 2:
        red = amax if ord > 0 else amin
        return done(_matrix_reduce(A, d0, d1, keepdim, lambda s: red(s, -1)))
    reduce = amax if ord > 0 else amin
    if _babs(ord) == 1:
        sum_dim, max_dim = d0, d1
    else:
        sum_dim, max_dim = d1, d0
    if not keepdim and sum_dim < max_dim:
        max_dim -= 1
    from .pointwise import abs as _abs
    return done(reduce(_sum(_abs(A), sum_dim, keepdim), max_dim, keepdim))


def _matrix_reduce(A, d0, d1, keepdim, reduce):
    """``reduce`` (over the last dim) of the singular values of the matrices of A over
    (d0, d1), as PyTorch: svdvals of A with (d0, d1) moved last, then the reduced dims
    put back as size-1 dims when ``keepdim``."""
    nd = A._data.ndim
    perm = [d for d in range(nd) if d not in (d0, d1)] + [d0, d1]
    identity = perm == list(range(nd))
    r = reduce(svdvals_(A if identity else A.permute(*perm)))
    if keepdim:
        r = r.unsqueeze(-1).unsqueeze(-1).permute(*np.argsort(perm).tolist())
    return r


def _svd_forward(a, full_matrices=True):
    if a.size == 0:
        m, n = a.shape[-2:]
        k = builtins.min(m, n)
        batch = a.shape[:-2]
        eu = np.eye(m, m if full_matrices else k, dtype=a.dtype)
        ev = np.eye(n if full_matrices else k, n, dtype=a.dtype)
        return (np.broadcast_to(eu, batch + eu.shape).copy(), np.zeros(batch + (k,), a.dtype),
                np.broadcast_to(ev, batch + ev.shape).copy())
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    return u, s.astype(a.dtype, copy=False), vh


def _mT(x):
    return np.swapaxes(x, -1, -2)


def _svd_backward(grads, U, S, Vh, full_matrices=True):
    """PyTorch's svd_backward (real case) for A = U diag(S) Vh; with ``full_matrices``
    only the first k = min(m, n) singular vectors matter."""
    gU, gS, gVh = grads
    if full_matrices:
        k = S.shape[-1]
        U, Vh, gU, gVh = U[..., :, :k], Vh[..., :k, :], gU[..., :, :k], gVh[..., :k, :]
    m, n = U.shape[-2], Vh.shape[-1]
    has_u, has_v = bool(np.any(_arr(gU))), bool(np.any(_arr(gVh)))
    if not has_u and not has_v:
        # the singular values only: U diag(gS) Vh
        return U @ (np.expand_dims(gS, -1) * Vh) if m >= n else (U * np.expand_dims(gS, -2)) @ Vh
    k = S.shape[-1]
    eye = _like(S, np.eye(k, dtype=_arr(S).dtype))
    S2 = S * S
    E = np.expand_dims(S2, -2) - np.expand_dims(S2, -1) + eye   # s_j^2 - s_i^2, 1 on the diagonal
    Sr, Sc = np.expand_dims(S, -2), np.expand_dims(S, -1)
    if has_u:
        UhgU = _mT(U) @ gU
        UhgU = UhgU - _mT(UhgU)
    if has_v:
        VhgV = Vh @ _mT(gVh)
        VhgV = VhgV - _mT(VhgV)
    if has_u and has_v:
        gA = (UhgU * Sr + Sc * VhgV) / E
    elif has_u:
        gA = UhgU / E * Sr
    else:
        gA = Sc * VhgV / E
    gA = gA + np.expand_dims(gS, -1) * eye
    if m > n and has_u:
        gA = U @ gA
        gUSinv = gU / Sr
        gA = (gA + gUSinv - U @ (_mT(U) @ gUSinv)) @ Vh
    elif m < n and has_v:
        gA = gA @ Vh
        SinvgVh = gVh / Sc
        gA = U @ (gA + SinvgVh - (SinvgVh @ _mT(Vh)) @ Vh)
    else:
        gA = U @ (gA @ Vh) if m >= n else (U @ gA) @ Vh
    return gA


_SVD_SQ = [[3.0, 1.0, 0.5], [-1.0, 2.0, 0.3], [0.4, -0.6, 1.0]]
_QR_SQ = [[2.0, -1.0, 0.5], [1.0, 3.0, 0.2], [0.3, 0.4, 2.5]]
_QR_TALL = [[2.0, -1.0, 0.5], [1.0, 3.0, 0.2], [0.3, 0.4, 2.5], [0.5, -0.2, 0.1]]
_QR_WIDE = [[2.0, -1.0, 0.5, 0.7], [1.0, 3.0, 0.2, -0.3], [0.3, 0.4, 2.5, 1.1]]
#: A tall matrix whose singular-vector signs NumPy and PyTorch agree on (for most tall
#: matrices they do not: singular vectors are only defined up to sign).
_SVD_TALL = [[1.9, 1.1, 1.2], [1.0, 0.4, 1.7], [0.8, 0.0, -1.7], [0.0, -1.1, -1.5]]

# linalg.svd (decomp.py); the 2, -2 and nuclear norms use its singular values (svdvals).
svd_ = declare(
    "linalg.svd", _svd_forward, node="LinalgSvdBackward0", public=False, outputs=("U", "S", "Vh"),
    samples=[sample(T(3, 3, values=_SVD_SQ), call="linalg.svd"),
             sample(T(3, 3, values=_SVD_SQ), full_matrices=False, call="linalg.svd"),
             sample(T(4, 3, values=_SVD_TALL), full_matrices=False, call="linalg.svd"),
             sample(T(3, 4, values=_QR_WIDE), full_matrices=False, call="linalg.svd"),
             sample(T(3, 4, values=_QR_WIDE), call="linalg.svd", smooth=False),
             sample(T(2, 3, 3, values=[_SVD_SQ, _QR_SQ]), full_matrices=False, call="linalg.svd"),
             sample(T(3, 3, values=_SVD_SQ), call="linalg.svdvals"),
             sample(T(4, 3, values=_QR_TALL), call="linalg.svdvals"),
             sample(T(2, 3, 4), call="linalg.svdvals"),
             sample(T(3, 4), 2, call="linalg.matrix_norm"), sample(T(4, 3), -2, call="linalg.matrix_norm"),
             sample(T(2, 3, 3), "nuc", call="linalg.matrix_norm"), sample(T(3, 4), "nuc", call="norm"),
             sample(T(3, 2, 4), 2, (0, 2), True, call="linalg.matrix_norm"),
             sample(T(3, 2, 4), "nuc", (2, 0), call="linalg.matrix_norm"),
             sample(T(4, 4), -2, call="linalg.matrix_norm"),
             sample(T(values=[[2.0, 0.0], [0.0, 2.0]]), "nuc", call="linalg.matrix_norm", smooth=False),
             # the other orders compose abs, sum and amax/amin, or the vector norm
             sample(T(3, 4), call="linalg.matrix_norm"), sample(T(3, 4, away=(0,)), 1, call="linalg.matrix_norm"),
             sample(T(3, 4, away=(0,)), -1, call="linalg.matrix_norm"),
             sample(T(2, 3, 4, away=(0,)), math.inf, call="linalg.matrix_norm"),
             sample(T(2, 3, 4, away=(0,)), -math.inf, (0, 2), True, call="linalg.matrix_norm"),
             sample(T(2, 3, 4, away=(0,)), 1, (2, 0), call="linalg.matrix_norm"),
             sample(T(2, 3, 4), "fro", (0, 1), True, call="linalg.matrix_norm"),
             # linalg.norm: the matrix norm for two dims, or none and a 2-D input with ord
             sample(T(3, 4), "fro", call="linalg.norm"), sample(T(2, 3, 4), dim=(0, 2), call="linalg.norm"),
             sample(T(values=[[3.0, 1.0, 0.5], [-1.0, 2.0, 0.3], [0.4, -0.6, 1.0]]), 2, call="linalg.norm"),
             sample(T(values=[[3.0, 1.0, 0.5], [-1.0, 2.0, 0.3], [0.4, -0.6, 1.0]]), -2, call="linalg.norm"),
             sample(T(3, 4, away=(0,)), 1, call="linalg.norm"), sample(T(3, 4, away=(0,)), -1, call="linalg.norm"),
             sample(T(3, 4, away=(0,)), math.inf, call="linalg.norm"),
             sample(T(3, 4, away=(0,)), -math.inf, call="linalg.norm")],
    self=_svd_backward)


def svdvals_(A):
    from ..autograd import grad_mode
    from .._modes import STACK
    # no gradient and no transform (forward AD, vmap) to serve: no singular vectors
    if not STACK and not (A._requires_grad and grad_mode.state.enabled):
        return wrap(np.linalg.svd(A._data, compute_uv=False).astype(A._data.dtype, copy=False))
    return svd_(A, full_matrices=False)[1]


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """torch.norm: a vector norm (numbers p, 'fro' over at most two dims) or the
    nuclear norm ('nuc')."""
    if dtype is not None:
        input = input.to(dtype)
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2):
            return _write_out(out, vector_norm(input, 2, dim, keepdim), "norm", "expect")
        if p == "nuc":
            if dim is None:
                dim = tuple(range(input._data.ndim))
            return _write_out(out, matrix_norm(input, "nuc", dim, keepdim), "norm", "matrix_norm")
        if p == "fro":
            return _write_out(out, matrix_norm(input, "fro", dim, keepdim), "norm", "matrix_norm")
        raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
    if p is None:
        p = 2
    _vn_check(input, p, "linalg.vector_norm")
    return _write_out(out, vector_norm(input, p, dim, keepdim), "norm", "expect")


# ---------------------------------------------------------------- cumulative ops
def _cum_dtype(a, dtype):
    if dtype is not None:
        return dtype
    return np.int64 if a.dtype.kind in "biu" else a.dtype


def _cumsum_forward(a, dim, dtype=None):
    dt = _cum_dtype(a, dtype)
    if a.ndim == 0:
        return a.astype(dt)   # (a copy: -0.0 stays -0.0)
    out = np.cumsum(a, axis=dim, dtype=dt)
    if out.dtype.kind == "f":
        out += 0.0   # PyTorch's running sums start from +0.0: a run of -0.0 sums to +0.0
    return out


def _reversed_cumsum(x, dim):
    if isinstance(x, Tensor):
        return _rev(cumsum_(_rev(x, dim), dim=dim), dim)
    return np.flip(np.cumsum(np.flip(x, dim), axis=dim), dim)


def _cumsum_backward(grad, dim, self_shape):
    if len(self_shape) == 0 or self_shape[dim] <= 1:
        return grad
    return _reversed_cumsum(grad, dim)


cumsum_ = declare(
    "cumsum", _cumsum_forward, node="CumsumBackward0", public=False,
    samples=[sample(T(3, 4), 1, call="cumsum"), sample(T(3, 4), -2, call="cumsum"), sample(T(), 0, call="cumsum"),
             sample(T(2, 3, 4), dim=1, call="Tensor.cumsum"), sample(T(0, 3), 0, call="cumsum")],
    self=_cumsum_backward)


def _cumprod_forward(a, dim, dtype=None):
    dt = _cum_dtype(a, dtype)
    if a.ndim == 0:
        return a.astype(dt)
    return np.cumprod(a, axis=dim, dtype=dt)


def _cumprod_backward(grad, self, result, dim):
    s = _arr(self)
    if s.size <= 1 or s.shape[dim] == 1:
        return grad
    if not (s == 0).any():
        return _reversed_cumsum(result * grad, dim) / self
    # With zeros: d out_k / d x_i = prod_{j <= k, j != i} x_j (k >= i), from the cumulative
    # products of x with x_i replaced by 1, for each i (an extra last dim indexes i).
    n = s.shape[dim]
    x = np.swapaxes(self, dim, -1) if dim != s.ndim - 1 else self
    g = np.swapaxes(grad, dim, -1) if dim != s.ndim - 1 else grad
    xs = np.expand_dims(x, -2)                                            # [..., 1, n(j)]
    eye = np.eye(n, dtype=bool)
    held = np.where(_like(x, eye), _like(x, np.ones((), s.dtype)), np.broadcast_to(xs, x.shape[:-1] + (n, n)))
    partial = cumprod_(held, dim=held.ndim - 1)                          # [..., i, k]
    upper = _like(x, np.triu(np.ones((n, n), s.dtype)))
    out = np.sum(partial * upper * np.expand_dims(g, -2), axis=-1)
    return np.swapaxes(out, dim, -1) if dim != s.ndim - 1 else out


cumprod_ = declare(
    "cumprod", _cumprod_forward, node="CumprodBackward0", public=False,
    samples=[sample(T(3, 4), 1, call="cumprod"), sample(T(3, 4), -2, call="cumprod"), sample(T(), 0, call="cumprod"),
             sample(T(values=[[1.5, 0.0, 2.0, 0.5], [-1.0, 0.5, 0.0, 0.0]]), 1, call="cumprod"),
             sample(T(values=[[1.5, 0.0], [0.0, 2.0], [0.5, 3.0]]), 0, call="cumprod"),
             sample(T(2, 3, 4), dim=1, call="Tensor.cumprod")],
    self=_cumprod_backward)


def _cum_args(input, dim, dtype):
    kw = {"dim": _wrap_dim(dim, input._data.ndim)}
    if dtype is not None:
        kw["dtype"] = dtype.np
    return kw


def cumsum(input, dim, *, dtype=None, out=None):
    """Running sums along ``dim``."""
    return _write_out(out, cumsum_(input, **_cum_args(input, dim, dtype)), "cumsum")


def cumprod(input, dim, *, dtype=None, out=None):
    """Running products along ``dim`` (exact gradient with zeros)."""
    return _write_out(out, cumprod_(input, **_cum_args(input, dim, dtype)), "cumprod")


def _cumext_forward(ufunc):
    def forward(a, dim):
        if a.ndim == 0:
            return a.copy(), np.zeros((), np.int64)
        vals = ufunc.accumulate(a, axis=dim)
        hit = a == vals
        if a.dtype.kind == "f":
            hit |= np.isnan(a)
        ar = np.arange(a.shape[dim]).reshape([-1 if i == dim else 1 for i in range(a.ndim)])
        idx = np.maximum.accumulate(np.where(hit, ar, 0), axis=dim) if a.size else np.zeros(a.shape, np.int64)
        return vals, idx.astype(np.int64, copy=False)
    return forward


def _cumext_backward(grad, indices, self_shape, dim):
    if len(self_shape) == 0 or not grad.size:
        return grad
    return scatter_add_zeros(grad, index=indices, dim=dim, shape=self_shape)


def _cum_samples(name):
    return [sample(T(3, 4), 1, call=name), sample(T(3, 4), -2, call=name), sample(T(), 0, call=name),
            sample(T(values=[[1.0, 3.0, 3.0, 0.0, 3.0], [2.0, 2.0, 1.0, 1.0, 5.0]]), 1, smooth=False, call=name),
            sample(T(2, 3), dim=0, call="Tensor." + name)]


cummax_ = declare("cummax", _cumext_forward(np.maximum), node="CummaxBackward0",
                  public=False, outputs=("values", "indices"), samples=_cum_samples("cummax"), self=_cumext_backward)
cummin_ = declare("cummin", _cumext_forward(np.minimum), node="CumminBackward0", public=False,
                  outputs=("values", "indices"), samples=_cum_samples("cummin"), self=_cumext_backward)


def _cum_ext_dim(input, dim, name):
    if not input._data.ndim and dim not in (-1, 0):
        raise IndexError(f"{name}(): Expected reduction dim -1 or 0 for scalar but got {dim}")
    return _wrap_dim(dim, input._data.ndim)


def cummax(input, dim, *, out=None):
    """Running maximum along ``dim`` and where it was reached."""
    return _write_out(out, return_type("cummax")(cummax_(input, dim=_cum_ext_dim(input, dim, "cummax"))), "cummax",
                      "cum")


def cummin(input, dim, *, out=None):
    """Running minimum along ``dim`` and where it was reached."""
    return _write_out(out, return_type("cummin")(cummin_(input, dim=_cum_ext_dim(input, dim, "cummin"))), "cummin",
                      "cum")


# ---------------------------------------------------------------- all / any / count_nonzero
def _logical_reduce(name, npfn):
    def fn(input, dim=None, keepdim=False, *, out=None):
        if input._batched and out is None:
            return getattr(input, name)(dim, keepdim)     # vmap's batched form
        a = input._data
        axis = None if dim is None else _dims(dim, a.ndim)
        res = npfn(a, axis=axis, keepdims=bool(keepdim))
        res = np.asarray(res)
        if a.dtype == np.uint8:
            res = res.astype(np.uint8)
        return _write_out(out, wrap(res), name)
    fn.__name__ = fn.__qualname__ = name
    return fn


all = _logical_reduce("all", np.all)
any = _logical_reduce("any", np.any)


def count_nonzero(input, dim=None):
    """How many elements are not zero (over ``dim`` when given), as int64."""
    if input._batched:
        return input.count_nonzero(dim)                 # vmap's batched form
    a = input._data
    axis = None if dim is None else _dims(dim, a.ndim)
    return wrap(np.asarray(np.count_nonzero(a, axis=axis), dtype=np.int64))


# ---------------------------------------------------------------- install
_PUBLIC = dict(nansum=nansum, nanmean=nanmean, prod=prod, var=var, std=std, var_mean=var_mean, std_mean=std_mean,
               max=max, min=min, amax=amax, amin=amin, argmax=argmax, argmin=argmin, aminmax=aminmax,
               logsumexp=logsumexp, norm=norm, cumsum=cumsum, cumprod=cumprod, cummax=cummax, cummin=cummin,
               all=all, any=any, count_nonzero=count_nonzero)
FUNCTIONS.update(_PUBLIC)
FUNCTIONS["linalg.vector_norm"] = vector_norm
FUNCTIONS["linalg.matrix_norm"] = matrix_norm
for _name, _fn in _PUBLIC.items():
    if _name not in ("var_mean", "std_mean"):
        setattr(Tensor, _name, _fn)


from ._declare import make_inplace  # noqa: E402
Tensor.cumsum_ = make_inplace(cumsum)
Tensor.cumprod_ = make_inplace(cumprod)

from .._tensor import HANDLED_FUNCTIONS  # noqa: E402


def _np_prod(a, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    if axis is None:
        r = prod(a)
        return r.reshape((1,) * a.dim()) if keepdims else r
    return prod(a, axis, bool(keepdims))


def _np_cumsum(a, axis=None, dtype=None, out=None):
    return cumsum(a, axis) if axis is not None else cumsum(a.reshape(-1), 0)


def _np_cumprod(a, axis=None, dtype=None, out=None):
    return cumprod(a, axis) if axis is not None else cumprod(a.reshape(-1), 0)


HANDLED_FUNCTIONS.update({np.prod: _np_prod, np.cumsum: _np_cumsum, np.cumprod: _np_cumprod,
                          np.amax: lambda a, axis=None, keepdims=False, **k: amax(a, () if axis is None else axis,
                                                                                   keepdims),
                          np.max: lambda a, axis=None, keepdims=False, **k: amax(a, () if axis is None else axis,
                                                                                  keepdims),
                          np.amin: lambda a, axis=None, keepdims=False, **k: amin(a, () if axis is None else axis,
                                                                                   keepdims),
                          np.min: lambda a, axis=None, keepdims=False, **k: amin(a, () if axis is None else axis,
                                                                                  keepdims)})
