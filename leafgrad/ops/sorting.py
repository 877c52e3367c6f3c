"""Order statistics: sort, argsort, msort, topk, kthvalue, median, nanmedian, mode and
unique. Sorting is stable; the gradient of a selected value goes back to the index
that was returned (``value_selecting_backward``); median and nanmedian over all
elements split it evenly between ties, as PyTorch does."""
import numpy as np

from ._declare import declare, FUNCTIONS
from ._samples import T, sample
from ..return_types import return_type
from .stats import value_selecting_backward, evenly_distribute, _write_out
from .._tensor import Tensor, _wrap_dim, wrap


def _select_formula(keepdim=None):
    if keepdim is None:
        return lambda grad, indices, self_shape, dim, keepdim=False: value_selecting_backward(
            grad, dim, indices, self_shape, keepdim)
    return lambda grad, indices, self_shape, dim: value_selecting_backward(grad, dim, indices, self_shape, True)


def _argsort(a, dim, descending=False):
    """Stable sorting indices; descending keeps equal elements in their original order
    and puts NaN first (ascending: last), as PyTorch."""
    if not descending:
        return np.argsort(a, axis=dim, kind="stable")
    idx = np.argsort(np.flip(a, dim), axis=dim, kind="stable")
    return (a.shape[dim] - 1) - np.flip(idx, dim)


# ---------------------------------------------------------------- sort / argsort / msort
def _sort_forward(a, dim, descending=False):
    if a.ndim == 0:
        return a.copy(), np.zeros((), np.int64)
    idx = _argsort(a, dim, descending)
    return np.take_along_axis(a, idx, axis=dim), idx.astype(np.int64, copy=False)


sort_ = declare(
    "sort", _sort_forward, node="SortBackward0", public=False, outputs=("values", "indices"),
    samples=[sample(T(3, 4), call="sort"), sample(T(3, 4), 0, call="sort"),
             sample(T(3, 4), -1, True, call="sort"), sample(T(2, 3, 4), dim=1, descending=True, call="sort"),
             sample(T(), call="sort"),
             sample(T(values=[[1.0, 3.0, 3.0, 0.0, 3.0], [2.0, 2.0, 1.0, 1.0, 5.0]]), smooth=False, call="sort"),
             sample(T(values=[[1.0, 3.0, 3.0, 0.0, 3.0], [2.0, 2.0, 1.0, 1.0, 5.0]]),
                          descending=True, smooth=False, call="sort"),
             sample(T(3, 4), call="msort"), sample(T(4, 2), call="Tensor.msort")],
    self=_select_formula(True))

# sort(..., stable=...) is PyTorch's sort.stable overload: another node name.
sort_stable = declare(
    "sort.stable", _sort_forward, node="SortBackward1", public=False, outputs=("values", "indices"),
    samples=[sample(T(3, 4), stable=True, call="Tensor.sort"),
             sample(T(3, 4), dim=0, descending=True, stable=False, call="sort"),
             sample(T(values=[[1.0, 3.0, 3.0, 0.0, 3.0], [2.0, 2.0, 1.0, 1.0, 5.0]]), stable=True,
                          descending=True, smooth=False, call="sort")],
    self=_select_formula(True))

_SortType = return_type("sort")
_UNSET = object()


def sort(input, dim=-1, descending=False, *, stable=_UNSET, out=None):
    """Values in order along ``dim`` and where they came from (always stable)."""
    nd = input._data.ndim
    d = _wrap_dim(dim, nd)
    kw = {"dim": d}
    if descending:
        kw["descending"] = True
    op = sort_ if stable is _UNSET else sort_stable
    return _write_out(out, _SortType(op(input, **kw)), "sort", "expect")


def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort ``input`` along ``dim``."""
    if input._batched:
        return input.argsort(dim, descending, stable)   # vmap's batched form
    a = input._data
    d = _wrap_dim(dim, a.ndim)
    if a.ndim == 0:
        return wrap(np.zeros((), np.int64))
    return wrap(_argsort(a, d, bool(descending)).astype(np.int64, copy=False))


def msort(input, *, out=None):
    """Sorted along the first dim."""
    return _write_out(out, sort(input, 0).values, "msort", "expect")


# ---------------------------------------------------------------- topk / kthvalue
def _topk_forward(a, k, dim, largest=True, sorted=True):
    if a.ndim == 0:
        return a.copy(), np.zeros((), np.int64)
    idx = _argsort(a, dim, descending=largest)
    idx = idx[(slice(None),) * dim + (slice(0, k),)]
    return np.take_along_axis(a, idx, axis=dim), np.array(idx, np.int64)   # (its own memory, as torch's)


topk_ = declare(
    "topk", _topk_forward, node="TopkBackward0", public=False, outputs=("values", "indices"),
    samples=[sample(T(3, 5), 2, call="topk"), sample(T(3, 5), 2, 0, call="topk"),
             sample(T(3, 5), 3, largest=False, call="topk"), sample(T(3, 5), 0, call="topk"),
             sample(T(), 1, call="topk"), sample(T(2, 3, 4), 4, dim=-1, largest=True, sorted=True, call="topk"),
             sample(T(values=[[1.0, 3.0, 2.0, 0.0, 5.0], [2.0, 2.5, 1.0, 1.5, 5.0]]), 2, smooth=False, call="topk"),
             sample(T(3, 5), 2, call="Tensor.topk")],
    self=_select_formula(True))

_TopkType = return_type("topk")


def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    """The ``k`` largest (or smallest) values along ``dim`` and their indices."""
    a = input._data
    if a.dtype == np.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    d = _wrap_dim(dim, a.ndim)
    size = a.shape[d] if a.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    kw = {"k": int(k), "dim": d}
    if not largest:
        kw["largest"] = False
    return _write_out(out, _TopkType(topk_(input, **kw)), "topk", "expect")


def _kthvalue_forward(a, k, dim, keepdim=False):
    if a.ndim == 0:
        return a.copy(), np.zeros((), np.int64)
    idx = _argsort(a, dim)[(slice(None),) * dim + (slice(k - 1, k),)]
    vals = np.take_along_axis(a, idx, axis=dim)
    if not keepdim:
        vals, idx = vals.squeeze(dim), idx.squeeze(dim)
    return vals, np.array(idx, np.int64)   # (its own memory, as torch's)


kthvalue_ = declare(
    "kthvalue", _kthvalue_forward, node="KthvalueBackward0", public=False, outputs=("values", "indices"),
    samples=[sample(T(3, 5), 2, call="kthvalue"), sample(T(3, 5), 3, 0, call="kthvalue"),
             sample(T(3, 5), 1, -1, True, call="kthvalue"), sample(T(), 1, call="kthvalue"),
             # ties away from the k-th value (which of tied k-th values PyTorch's selection returns varies)
             sample(T(values=[[1.0, 3.0, 3.0, 0.0, 3.0], [2.0, 4.0, 4.0, 1.5, 5.0]]), 2,
                          smooth=False, call="kthvalue"),
             sample(T(4, 3), 2, dim=0, call="Tensor.kthvalue")],
    self=_select_formula())

_KthType = return_type("kthvalue")


def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    """The ``k``-th smallest value along ``dim`` and its index."""
    a = input._data
    if a.ndim:
        _no_bool(a, "kthvalue_cpu")
    d = _wrap_dim(dim, a.ndim)
    size = a.shape[d] if a.ndim else 1
    if size == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    kw = {"k": int(k), "dim": d}
    if keepdim:
        kw["keepdim"] = True
    return _write_out(out, _KthType(kthvalue_(input, **kw)), "kthvalue", "kthvalue")


# ---------------------------------------------------------------- median / nanmedian
def _median_pick(a, dim, ignore_nan):
    """The lower median's position in the stable order of each slice along ``dim``."""
    n = a.shape[dim]
    idx = np.argsort(a, axis=dim, kind="stable")
    if a.dtype.kind == "f":
        nans = np.isnan(a).sum(axis=dim, keepdims=True)
        if ignore_nan:
            pos = np.maximum((n - nans - 1) // 2, 0)
        else:
            # a slice with NaN has median NaN: the first NaN (NaN sort last, stably)
            pos = np.where(nans > 0, n - nans, (n - 1) // 2)
    else:
        pos = np.full([1 if i == dim else s for i, s in enumerate(a.shape)], (n - 1) // 2)
    return np.take_along_axis(idx, pos, axis=dim)


def _median_all(ignore_nan):
    def forward(a):
        flat = a.reshape(-1)
        if flat.size == 0:
            return np.asarray(np.nan, a.dtype) if a.dtype.kind == "f" else np.zeros((), a.dtype)
        return flat[_median_pick(flat, 0, ignore_nan)[0]]
    return forward


def _no_bool(a, kernel):
    if a.dtype == np.bool_:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def _median_dim(name, ignore_nan):
    def forward(a, dim, keepdim=False):
        if a.ndim == 0:
            return a.copy(), np.zeros((), np.int64)
        if a.shape[dim] == 0:
            raise IndexError(f"median(): Expected reduction dim {dim} to have non-zero size.")
        idx = _median_pick(a, dim, ignore_nan)
        vals = np.take_along_axis(a, idx, axis=dim)
        if not keepdim:
            vals, idx = vals.squeeze(dim), idx.squeeze(dim)
        return vals, idx.astype(np.int64, copy=False)
    return forward


_TIES = [[1.0, 3.0, 3.0, 0.0, 3.0], [2.0, 2.0, 1.0, 1.0, 5.0]]
_NANS = [[1.0, np.nan, 3.0, np.nan, 0.0], [2.0, 0.5, 1.0, -1.0, np.nan]]

median_all = declare(
    "median", _median_all(False), node="MedianBackward0", public=False,
    samples=[sample(T(3, 4), call="median"), sample(T(3, 5), call="median"), sample(T(), call="median"),
             sample(T(values=_TIES), call="median", smooth=False),
             sample(T(values=_NANS), call="median", smooth=False), sample(T(2, 3), call="Tensor.median")],
    self=evenly_distribute)
median_dim = declare(
    "median.dim", _median_dim("median", False), node="MedianBackward1", public=False,
    outputs=("values", "indices"),
    samples=[sample(T(3, 4), 1, call="median"), sample(T(3, 5), 0, True, call="median"),
             sample(T(), 0, call="median"), sample(T(values=_TIES), -1, smooth=False, call="median"),
             sample(T(values=_NANS), 1, smooth=False, call="median"),
             sample(T(3, 4), dim=0, call="Tensor.median")],
    self=_select_formula())
nanmedian_all = declare(
    "nanmedian", _median_all(True), node="NanmedianBackward0", public=False,
    samples=[sample(T(3, 4), call="nanmedian"), sample(T(), call="nanmedian"),
             sample(T(values=_NANS), call="nanmedian", smooth=False),
             sample(T(values=_TIES), call="Tensor.nanmedian", smooth=False)],
    self=evenly_distribute)
nanmedian_dim = declare(
    "nanmedian.dim", _median_dim("nanmedian", True), node="NanmedianBackward1", public=False,
    outputs=("values", "indices"),
    samples=[sample(T(3, 4), 1, call="nanmedian"), sample(T(values=_NANS), 1, smooth=False, call="nanmedian"),
             sample(T(values=_NANS), -1, True, smooth=False, call="nanmedian"),
             sample(T(3, 4), dim=0, call="Tensor.nanmedian")],
    self=_select_formula())


def _median(name, full, along):
    rtype = return_type(name)

    def fn(input, dim=None, keepdim=False, *, out=None):
        _no_bool(input._data, "median_cpu" if dim is None else "median_out")
        if dim is None:
            return _write_out(out, full(input), name, "expect")
        nd = input._data.ndim
        d = _wrap_dim(dim, nd)
        kw = {"dim": d}
        if keepdim:
            kw["keepdim"] = True
        return _write_out(out, rtype(along(input, **kw)), name, "median")
    fn.__name__ = fn.__qualname__ = name
    return fn


median = _median("median", median_all, median_dim)
nanmedian = _median("nanmedian", nanmedian_all, nanmedian_dim)


# ---------------------------------------------------------------- mode
def _mode_forward(a, dim, keepdim=False):
    if a.ndim == 0:
        return a.copy(), np.zeros((), np.int64)
    n = a.shape[dim]
    if n == 0:
        raise IndexError(f"mode(): Expected reduction dim {dim} to have non-zero size.")
    moved = np.moveaxis(a, dim, -1).reshape(-1, n)
    order = np.argsort(moved, axis=1, kind="stable")
    s = np.take_along_axis(moved, order, axis=1)
    pos = np.arange(n)
    starts = np.ones(s.shape, bool)
    starts[:, 1:] = s[:, 1:] != s[:, :-1]          # where a run of equal values begins
    ends = np.ones(s.shape, bool)
    ends[:, :-1] = starts[:, 1:]                    # where it ends
    first = np.maximum.accumulate(np.where(starts, pos, 0), axis=1)
    counts = np.where(ends, pos - first + 1, 0)     # run lengths, at the runs' ends
    # the first longest run holds the smallest most frequent value; its end, the value's
    # last occurrence (stable order)
    best = np.argmax(counts, axis=1)[:, None]
    vals = np.take_along_axis(s, best, axis=1)[:, 0]
    idx = np.take_along_axis(order, best, axis=1)[:, 0].astype(np.int64, copy=False)
    shape = a.shape[:dim] + a.shape[dim + 1:]
    vals, idx = vals.reshape(shape), idx.reshape(shape)
    if keepdim:
        vals, idx = np.expand_dims(vals, dim), np.expand_dims(idx, dim)
    return vals, idx


mode_ = declare(
    "mode", _mode_forward, node="ModeBackward0", public=False, outputs=("values", "indices"),
    samples=[sample(T(values=_TIES), smooth=False, call="mode"), sample(T(values=_TIES), 0, True,
                                                                              smooth=False, call="mode"),
             sample(T(3, 4), call="mode"), sample(T(), 0, call="mode"),
             sample(T(values=[[4.0, 4.0, 1.0], [1.0, 1.0, 1.0]]), dim=1, call="Tensor.mode",
                          smooth=False)],
    self=_select_formula())


def mode(input, dim=-1, keepdim=False, *, out=None):
    """The most frequent value along ``dim`` (the smallest among equally frequent ones)
    and the index of its last occurrence."""
    nd = input._data.ndim
    kw = {"dim": _wrap_dim(dim, nd)}
    if keepdim:
        kw["keepdim"] = True
    return _write_out(out, return_type("mode")(mode_(input, **kw)), "mode", "mode")


# ---------------------------------------------------------------- unique
def _unique_forward(a, dim=None, sorted=True, return_inverse=False, return_counts=False):
    if dim is None:
        vals, inv, counts = np.unique(a.reshape(-1), return_inverse=True, return_counts=True)
        inv = inv.reshape(a.shape)
    else:
        vals, inv, counts = np.unique(a, return_inverse=True, return_counts=True, axis=dim)
        inv = inv.reshape(-1)
    vals = np.ascontiguousarray(vals) if dim is None else dim_first_layout(vals, dim)
    return vals, inv.astype(np.int64, copy=False), counts.astype(np.int64, copy=False)


def dim_first_layout(a, dim):
    """``a``'s values in the layout of torch's results that are found along ``dim`` moved
    first (unique and unique_consecutive with ``dim``): contiguous so, then moved back."""
    return np.moveaxis(np.ascontiguousarray(np.moveaxis(a, dim, 0)), 0, dim)


def _not_implemented(op):
    def formula(grad):
        raise RuntimeError(f"the derivative for '{op}' is not implemented.")
    return formula


# PyTorch records a node for unique whose backward refuses to run (the samples with
# prep="requires_grad_" check it is recorded; the sweep does not differentiate them).
unique_ = declare(
    "_unique2", _unique_forward, node="Unique2Backward0", public=False, outputs=("output", "inverse", "counts"),
    dynamic_shape=True,
    samples=[sample(T(2, 3, grad=False), call="unique"), sample(T(values=[[2.0, 1.0, 2.0]], grad=False), call="unique",
                                                                return_inverse=True, return_counts=True),
             sample(T(2, 3, grad=False), call="unique", prep="requires_grad_")],
    self=_not_implemented("_unique2"))
unique_dim = declare(
    "unique_dim", _unique_forward, node="UniqueDimBackward0", public=False, outputs=("output", "inverse", "counts"),
    dynamic_shape=True,
    samples=[sample(T(values=[[2.0, 1.0, 2.0], [0.0, 1.0, 0.0]], grad=False), dim=1, call="unique",
                    return_inverse=True),
             sample(T(2, 3, grad=False), dim=0, call="unique", prep="requires_grad_")],
    self=_not_implemented("unique_dim"))


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (sorted), optionally with the inverse map and the counts;
    with ``dim``, the distinct slices along it. Not differentiable."""
    a = input._data
    if dim is None:
        vals, inv, counts = unique_(input, sorted=True)  # a keyword: declared ops' fast path returns one array
    else:
        vals, inv, counts = unique_dim(input, dim=_wrap_dim(dim, a.ndim))
    return with_extras(vals, (return_inverse, inv), (return_counts, counts))


def with_extras(out, *extras):
    """``out``, or ``(out, *the extras asked for)``: ``extras`` are (asked, value) pairs
    (unique's ``return_inverse`` / ``return_counts``)."""
    wanted = [value for asked, value in extras if asked]
    return (out, *wanted) if wanted else out


# ---------------------------------------------------------------- install
_PUBLIC = dict(sort=sort, argsort=argsort, msort=msort, topk=topk, kthvalue=kthvalue, median=median,
               nanmedian=nanmedian, mode=mode, unique=unique)
FUNCTIONS.update(_PUBLIC)
for _name, _fn in _PUBLIC.items():
    setattr(Tensor, _name, _fn)
