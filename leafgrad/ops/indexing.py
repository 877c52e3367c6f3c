"""Indexing and scattering: gather/scatter, index_* ops, masked ops, take, nonzero,
searchsorted.

Index arguments travel as keyword parameters (NumPy integer arrays), so only the
value inputs are differentiable. Every derivative is written with the ops of this
file (gather's is a scatter_add into zeros, scatter's is a gather, index_select's an
index_add, ...), which take arrays in a plain backward and Tensors when the graph
of the derivative is built. Inputs are validated before anything is written, so an
in-place form that fails leaves its tensor as it was.
"""
import builtins

import numpy as np

from ._declare import constant, declare, make_inplace, broadcast_error, FUNCTIONS, REGISTRY, refuse_batched
from ._samples import T, sample
from .stats import _arr, _write_out
from .._tensor import _C_TYPE_NAMES as _C_NAMES
from .._tensor import Tensor, _wrap_dim, wrap, make, _LEGACY_NAMES
from .._tape import kernel
from ..autograd.graph import Node, _next_seq, gradient_edge
from .shape import embed, expand, view

_INT = "iu"


def _name(dt):
    return _LEGACY_NAMES.get(np.dtype(dt).name, str(dt))


def _idx(index):
    """An index argument as a NumPy array (Tensors, lists, ints)."""
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, np.ndarray):
        return index
    return constant(np.asarray(index))


def _np_dtype(x):
    return x._data.dtype if isinstance(x, Tensor) else np.asarray(x).dtype


def _shape_of(x):
    return x._data.shape if isinstance(x, Tensor) else np.shape(x)


def _coords(index, dim):
    """Advanced-indexing key addressing, for each position of ``index``, the element
    whose coordinate along ``dim`` is the index value and elsewhere its own position."""
    nd = index.ndim
    return tuple(index if d == dim else np.arange(index.shape[d]).reshape((-1,) + (1,) * (nd - 1 - d))
                 for d in range(nd))


def _block(shape):
    return tuple(builtins.slice(0, n) for n in shape)


def _as1d(a):
    return a.reshape(1) if a.ndim == 0 else a


def _check_bounds(index, size, dim, prefix=""):
    if index.size:
        bad = (index < -size) | (index >= size) if prefix == "allow_neg" else (index < 0) | (index >= size)
        if bad.any():
            v = int(index.reshape(-1)[np.argmax(bad.reshape(-1))])
            return f"index {v} is out of bounds for dimension {dim} with size {size}"
    return None


# ---------------------------------------------------------------- gather / scatter primitives
def _gather_forward(a, dim, index):
    out = _as1d(a)[_coords(_as1d(index), dim)]
    return out.reshape(index.shape)


def _scatter_add_forward(a, src, dim, index):
    out = _as1d(a).copy()
    i = _as1d(index)
    if i.size:
        np.add.at(out, _coords(i, dim), _as1d(np.asarray(src, out.dtype))[_block(i.shape)])
    return out.reshape(a.shape)


def _scatter_forward(a, src, dim, index):
    out = _as1d(a).copy()
    i = _as1d(index)
    if i.size:
        out[_coords(i, dim)] = _as1d(src)[_block(i.shape)]
    return out.reshape(a.shape)


def _scatter_value_forward(a, dim, index, value):
    out = _as1d(a).copy()
    i = _as1d(index)
    if i.size:
        out[_coords(i, dim)] = value
    return out.reshape(a.shape)


def _pad_to(g, shape):
    """``g`` (of an index's shape) placed at the start of zeros of ``shape``."""
    gshape = _shape_of(g)
    if tuple(gshape) == tuple(shape):
        return g
    return embed(g, shape=tuple(shape), key=_block(gshape))


def _gather_back(grad, self_shape, self_dtype, dim, index):
    return scatter_add_p(np.zeros(self_shape, self_dtype), grad, dim=dim, index=index)


gather_p = declare("gather", _gather_forward, node="GatherBackward0", public=False,
                   samples=[sample(T(3, 4), 0, T(2, 4, dtype="int64", values=[[0, 1, 2, 0], [2, 2, 1, 1]]),
                                   call="gather"),
                            sample(T(3, 4), 1, T(3, 2, dtype="int64", values=[[0, 3], [1, 1], [3, 2]]),
                                   call="Tensor.gather"),
                            sample(T(3, 4), -1, T(2, 2, dtype="int64", values=[[0, 0], [1, 1]]), call="gather"),
                            sample(T(), 0, T(dtype="int64", values=0), call="gather"),
                            sample(T(3, 4), 0, T(0, 4, dtype="int64"), call="gather")],
                   self=_gather_back)

scatter_add_p = declare("scatter_add", _scatter_add_forward, inputs=("self", "src"), node="ScatterAddBackward0",
                        public=False,
                        samples=[sample(T(3, 4), 0, T(2, 4, dtype="int64", values=[[0, 1, 2, 0], [0, 2, 1, 0]]),
                                        T(2, 4), call="scatter_add"),
                                 sample(T(3, 4), 1, T(2, 2, dtype="int64", values=[[0, 0], [3, 1]]), T(2, 3, grad=False),
                                        call="Tensor.scatter_add"),
                                 sample(T(3, 4), 0, T(2, 4, dtype="int64", values=[[0, 1, 2, 0], [0, 2, 1, 0]]),
                                        T(2, 4), call="Tensor.scatter_add_", prep="clone")],
                        self=lambda grad: grad,
                        src=lambda grad, src_shape, dim, index: _pad_to(gather_p(grad, dim=dim, index=index),
                                                                        src_shape))

scatter_p = declare("scatter.src", _scatter_forward, inputs=("self", "src"), node="ScatterBackward0", public=False,
                    samples=[sample(T(3, 4), 0, T(2, 4, dtype="int64", values=[[0, 1, 2, 0], [1, 2, 0, 2]]),
                                    T(2, 4), call="scatter"),
                             sample(T(3, 4), 1, T(2, 2, dtype="int64", values=[[0, 3], [2, 1]]), T(3, 3, grad=False),
                                    call="Tensor.scatter"),
                             sample(T(3, 4), 0, T(1, 4, dtype="int64", values=[[0, 1, 2, 0]]), T(1, 4),
                                    call="Tensor.scatter_", prep="clone")],
                    self=lambda grad, dim, index: scatter_value_p(grad, dim=dim, index=index, value=0),
                    src=lambda grad, src_shape, dim, index: _pad_to(gather_p(grad, dim=dim, index=index), src_shape))

scatter_value_p = declare("scatter.value", _scatter_value_forward, node="ScatterBackward1", public=False,
                          samples=[sample(T(3, 4), 0, T(2, 4, dtype="int64", values=[[0, 1, 2, 0], [1, 2, 0, 2]]),
                                          1.5, call="scatter"),
                                   sample(T(3, 4), 1, T(1, 2, dtype="int64", values=[[3, 1]]), value=-2.0,
                                          call="scatter")],
                          self=lambda grad, dim, index: scatter_value_p(grad, dim=dim, index=index, value=0))


def _scatter_reduce_forward(a, src, dim, index, reduce):
    out = _as1d(a).copy()
    i = _as1d(index)
    if i.size:
        key = _coords(i, dim)
        vals = _as1d(np.asarray(src, out.dtype))[_block(i.shape)]
        (np.add if reduce == "add" else np.multiply).at(out, key, vals)
    return out.reshape(a.shape)


def _scatter_reduce_value_forward(a, dim, index, value, reduce):
    return _scatter_reduce_forward(a, np.full(index.shape, value, a.dtype), dim, index, reduce)


# scatter(..., reduce=): PyTorch defines no derivative; its node is "NotImplemented".
scatter_reduce_src_p = declare(
    "scatter.reduce", _scatter_reduce_forward, inputs=("self", "src"), node="NotImplemented", public=False,
    samples=[sample(T(3, 4, grad=False), 0, T(2, 4, dtype="int64", values=[[0, 1, 2, 0], [0, 2, 1, 0]]),
                    T(2, 4, grad=False), reduce="add", call="scatter")])
scatter_reduce_value_p = declare(
    "scatter.value_reduce", _scatter_reduce_value_forward, node="NotImplemented", public=False,
    samples=[sample(T(3, 4, grad=False), 0, T(2, 4, dtype="int64", values=[[0, 1, 2, 0], [0, 2, 1, 0]]),
                    2.0, reduce="multiply", call="scatter")])


def _not_implemented_apply(self, grads, graph):
    raise RuntimeError("derivative for aten::scatter is not implemented")


REGISTRY["scatter.reduce"].node_cls._apply = _not_implemented_apply
REGISTRY["scatter.value_reduce"].node_cls._apply = _not_implemented_apply


# ---------------------------------------------------------------- scatter_reduce
def _scatter_reduce2_forward(a, src, dim, index, reduce, include_self):
    out = _as1d(a).copy()
    i = _as1d(index)
    if not i.size:
        return out.reshape(a.shape)
    key = _coords(i, dim)
    vals = _as1d(src)[_block(i.shape)]
    kind = out.dtype.kind
    if reduce in ("sum", "mean"):
        if not include_self:
            out[key] = 0
        np.add.at(out, key, vals)
        if reduce == "mean":
            count = np.full(out.shape, 1 if include_self else 0, dtype=np.int64)
            np.add.at(count, key, 1)
            count = np.maximum(count, 1)
            if kind == "f":
                out = (out / count).astype(out.dtype)
            else:
                out = np.floor_divide(out, count).astype(out.dtype)
    elif reduce == "prod":
        if not include_self:
            out[key] = 1
        np.multiply.at(out, key, vals)
    else:
        if not include_self:
            if kind == "f":
                out[key] = -np.inf if reduce == "amax" else np.inf
            elif kind == "b":
                out[key] = reduce == "amin"
            else:
                info = np.iinfo(out.dtype)
                out[key] = info.min if reduce == "amax" else info.max
        (np.maximum if reduce == "amax" else np.minimum).at(out, key, vals)
    return out.reshape(a.shape)


def _sr_grads(grad, self, src, result, dim, index, reduce, include_self, want):
    """PyTorch's scatter_reduce_backward: (grad_self, grad_src); ``want`` names the one needed."""
    gather = lambda t: gather_p(t, dim=dim, index=index)  # noqa: E731
    dt = _np_dtype(self)
    if reduce == "sum":
        gs, gsrc = grad, (gather(grad) if want == "src" else None)
    elif reduce == "mean":
        n = scatter_add_p(np.full(_shape_of(self), 1 if include_self else 0, dt), np.ones(_shape_of(src), dt),
                          dim=dim, index=index)
        n = np.where(n == 0, 1, n).astype(dt)
        gs = grad / n
        gsrc = gather(grad) / gather(n) if want == "src" else None
    elif reduce == "prod":
        if want == "self":
            masked_self = masked_fill_p(self, mask=_arr(self) == 0, value=1)
            masked_res = scatter_reduce_p(masked_self, src, dim=dim, index=index, reduce="prod",
                                          include_self=include_self)
            gs = grad * masked_res / masked_self
            gsrc = None
        else:
            src_zero = src == 0
            poisoned = False
            if isinstance(grad, Tensor):
                counts = scatter_add_p(np.zeros(_shape_of(self), dt), _arr(src_zero).astype(dt), dim=dim,
                                       index=index)
                if (counts > 1).any():
                    poisoned = True
            nz = gather_p(scatter_add_p(np.zeros(_shape_of(self), dt), np.asarray(src_zero, dt) if
                                        isinstance(src_zero, np.ndarray) else src_zero._data.astype(dt),
                                        dim=dim, index=index), dim=dim, index=index)
            single = np.logical_and(src_zero if isinstance(src_zero, np.ndarray) else src_zero._data,
                                    (nz if isinstance(nz, np.ndarray) else nz._data) == 1)
            masked_src = masked_fill_p(src, mask=single, value=1)
            masked_src_res = scatter_reduce_p(self, masked_src, dim=dim, index=index, reduce="prod",
                                              include_self=include_self)
            a = gather(grad * masked_src_res)
            b = gather(grad * result) / masked_fill_p(src, mask=src_zero if isinstance(src_zero, np.ndarray)
                                                      else src_zero._data, value=1)
            gsrc = np.where(single, a, b)
            gs = None
            if poisoned:
                gsrc = _error_node(gsrc, "scatter_reduce(): Double backward is unsupported for src when >1 zeros "
                                         "in src are scattered to the same position in self")
    else:
        value = gather(result)
        self_is = (self == result)
        src_is = (src == value)
        self_is_f = self_is.astype(dt) if isinstance(self_is, np.ndarray) else self_is._data.astype(dt)
        src_is_f = src_is.astype(dt) if isinstance(src_is, np.ndarray) else src_is._data.astype(dt)
        n = scatter_add_p(self_is_f, src_is_f, dim=dim, index=index)
        dist = grad / n
        gs = np.where(self_is_f != 0, dist, 0)
        gsrc = np.where(src_is_f != 0, gather(dist), 0) if want == "src" else None
    if want == "self":
        if not include_self:
            gs = scatter_value_p(gs, dim=dim, index=index, value=0)
        return gs
    return _pad_to(gsrc, _shape_of(src))


class Error(Node):
    """PyTorch's ``Error`` node: a gradient that exists but must not be differentiated again."""

    __slots__ = ("_msg",)

    def _apply(self, grads, graph):
        raise RuntimeError(self._msg)


def _error_node(t, msg):
    node = Error()
    node._next = ((t._grad_fn, t._out_nr) if t._grad_fn is not None else
                  gradient_edge(t) if t._requires_grad else None,)
    node._key = -_next_seq()
    node._meta = ((t._data.shape, t._data.dtype),)
    node._msg = msg
    return make(t._data, node, 0)


scatter_reduce_p = declare(
    "scatter_reduce", _scatter_reduce2_forward, inputs=("self", "src"), node="ScatterReduceBackward0",
    public=False,
    samples=[sample(T(3, 4), 0, T(2, 4, dtype="int64", values=[[0, 1, 2, 0], [0, 2, 1, 0]]), T(2, 4), red,
                    include_self=inc, call="scatter_reduce", smooth=red not in ("amax", "amin"))
             for red in ("sum", "prod", "mean", "amax", "amin") for inc in (True, False)]
    + [sample(T(3, 4), 1, T(3, 2, dtype="int64", values=[[0, 0], [3, 1], [2, 2]]), T(3, 2), "mean",
              call="Tensor.scatter_reduce"),
       sample(T(4, values=[1.0, 2.0, 3.0, 0.5]), 0, T(3, dtype="int64", values=[1, 1, 3]),
              T(3, values=[2.0, 2.0, 0.5]), "amax", call="scatter_reduce", smooth=False),
       sample(T(3, 4), 0, T(2, 4, dtype="int64", values=[[0, 1, 2, 0], [0, 2, 1, 0]]), T(2, 4), "sum",
              call="Tensor.scatter_reduce_", prep="clone")],
    self=lambda grad, self, src, result, dim, index, reduce, include_self: _sr_grads(
        grad, self, src, result, dim, index, reduce, include_self, "self"),
    src=lambda grad, self, src, result, dim, index, reduce, include_self: _sr_grads(
        grad, self, src, result, dim, index, reduce, include_self, "src"))


# ---------------------------------------------------------------- public gather / scatter
def _check_index_dtype(index, op, ints=True):
    if index.dtype.kind not in _INT or index.dtype.kind == "b":
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index")


def _gather_checks(input, dim, index, name="gather"):
    a = input._data
    idx = _idx(index)
    d = _wrap_dim(dim, a.ndim)
    _check_index_dtype(idx, name)
    if builtins.max(idx.ndim, 1) != builtins.max(a.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    ash, ish = _as1d(a).shape, _as1d(idx).shape
    for k in range(len(ish)):
        if k != d and ish[k] > ash[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index {list(idx.shape)} to be no "
                               f"larger than self {list(a.shape)} apart from dimension {d}")
    msg = _check_bounds(idx, ash[d], d)
    if msg:
        raise RuntimeError(msg)
    return d, idx.astype(np.int64, copy=False)


def gather(input, dim, index, *, sparse_grad=False, out=None):
    d, idx = _gather_checks(input, dim, index)
    return _write_out(out, gather_p(input, dim=d, index=idx), "gather")


def _scatter_checks(self, dim, index, src):
    a = self._data
    idx = _idx(index)
    d = _wrap_dim(dim, a.ndim)
    _check_index_dtype(idx, "scatter")
    if isinstance(src, Tensor) and src._data.dtype != a.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if builtins.max(idx.ndim, 1) != builtins.max(a.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if isinstance(src, Tensor):
        s = src._data
        if builtins.max(s.ndim, 1) != builtins.max(a.ndim, 1):
            if idx.size and s.ndim:
                _wrap_dim(builtins.max(idx.ndim, 1) - 1, s.ndim)
            raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    ash, ish = _as1d(a).shape, _as1d(idx).shape
    bad = any(k != d and ish[k] > ash[k] for k in range(len(ish)))
    if isinstance(src, Tensor):
        ssh = _as1d(src._data).shape
        if bad or any(ish[k] > ssh[k] for k in range(len(ish))):
            raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self {list(a.shape)} apart "
                               f"from dimension {d} and to be no larger size than src {list(src._data.shape)}")
    elif bad:
        raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self {list(a.shape)} apart from "
                           f"dimension {d}")
    msg = _check_bounds(idx, ash[d], d)
    if msg:
        raise RuntimeError(msg)
    return d, idx.astype(np.int64, copy=False)


def _scalar(value):
    if isinstance(value, Tensor):
        return value._data.item()
    return value


def scatter(input, dim, index, src=None, value=None, *, reduce=None, out=None):
    if src is None:
        src = value
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    d, idx = _scatter_checks(input, dim, index, src if isinstance(src, Tensor) else None)
    if isinstance(src, Tensor):
        if reduce is not None:
            _warn_scatter_reduce()
        if reduce is None:
            res = scatter_p(input, src, dim=d, index=idx)
        else:
            res = scatter_reduce_src_p(input, src, dim=d, index=idx, reduce="add" if reduce == "add" else "mul")
    elif reduce is None:
        res = scatter_value_p(input, dim=d, index=idx, value=_scalar(src))
    else:
        res = scatter_reduce_value_p(input, dim=d, index=idx, value=_scalar(src),
                                     reduce="add" if reduce == "add" else "mul")
    return _write_out(out, res, "scatter")


_warned = []


def _warn_scatter_reduce():
    if not _warned:  # PyTorch warns once per process
        _warned.append(True)
        import warnings
        warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and will be removed in a "
                      "future PyTorch release. Use torch.scatter_reduce instead for more reduction options.",
                      UserWarning)


def scatter_add(input, dim, index, src, *, out=None):
    d, idx = _scatter_checks(input, dim, index, src)
    return _write_out(out, scatter_add_p(input, src, dim=d, index=idx), "scatter_add")


_REDUCES = ("sum", "prod", "mean", "amax", "amin")


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True, out=None):
    if reduce not in _REDUCES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    d, idx = _scatter_checks(input, dim, index, src)
    res = scatter_reduce_p(input, src, dim=d, index=idx, reduce=reduce, include_self=bool(include_self))
    return _write_out(out, res, "scatter_reduce")


# ---------------------------------------------------------------- index_select / index_add / index_copy / index_fill
def _key(dim, index):
    return (builtins.slice(None),) * dim + (index,)


def _index_select_forward(a, dim, index):
    # (NumPy lays out an index along a later dim first; torch's result is contiguous)
    return np.ascontiguousarray(a[_key(dim, index)]) if a.ndim else a.reshape(1)[index].reshape(())


def _index_add_forward(a, source, dim, index, alpha=1):
    out = _as1d(a).copy()
    src = _as1d(np.asarray(source, out.dtype))
    if alpha != 1:
        src = src * np.asarray(alpha).astype(out.dtype)
    np.add.at(out, _key(dim, index), src)
    return out.reshape(a.shape)


def _index_copy_forward(a, source, dim, index):
    out = _as1d(a).copy()
    out[_key(dim, index)] = _as1d(source)
    return out.reshape(a.shape)


def _index_fill_forward(a, dim, index, value):
    out = _as1d(a).copy()
    out[_key(dim, index)] = value
    return out.reshape(a.shape)


def _index_fill_t_forward(a, value, dim, index):
    return _index_fill_forward(a, dim, index, value)


def _mul_alpha(g, alpha):
    return g if alpha == 1 else g * alpha


_I3 = T(3, dtype="int64", values=[0, 2, 0])

index_select_p = declare(
    "index_select", _index_select_forward, node="IndexSelectBackward0", public=False,
    samples=[sample(T(3, 4), 0, _I3, call="index_select"), sample(T(3, 4), 1, _I3, call="Tensor.index_select"),
             sample(T(3, 4), -1, T(0, dtype="int64"), call="index_select"),
             sample(T(), 0, T(1, dtype="int64", values=[0]), call="index_select"),
             sample(T(3, 4), T(3, dtype="int64", values=[1, 2, 0]), 0, call="repeat_interleave")],
    self=lambda grad, self_shape, self_dtype, dim, index: index_add_p(np.zeros(self_shape, self_dtype), grad,
                                                                     dim=dim, index=index))

index_add_p = declare(
    "index_add", _index_add_forward, inputs=("self", "source"), node="IndexAddBackward0", public=False,
    samples=[sample(T(3, 4), 0, _I3, T(3, 4), call="index_add"),
             sample(T(3, 4), 1, T(2, dtype="int64", values=[3, 3]), T(3, 2), alpha=2.5, call="Tensor.index_add"),
             sample(T(3, 4), 0, _I3, T(3, 4), call="Tensor.index_add_", prep="clone"),
             sample(T(), 0, T(1, dtype="int64", values=[0]), T(), call="index_add")],
    self=lambda grad: grad,
    source=lambda grad, source_shape, dim, index, alpha=1: _mul_alpha(
        index_select_p(grad, dim=dim, index=index), alpha).reshape(source_shape))

index_copy_p = declare(
    "index_copy", _index_copy_forward, inputs=("self", "source"), node="IndexCopyBackward0", public=False,
    samples=[sample(T(3, 4), 0, T(2, dtype="int64", values=[2, 0]), T(2, 4), call="index_copy"),
             sample(T(3, 4), 1, T(2, dtype="int64", values=[1, 3]), T(3, 2), call="Tensor.index_copy"),
             sample(T(3, 4), 0, T(2, dtype="int64", values=[2, 0]), T(2, 4), call="Tensor.index_copy_", prep="clone")],
    self=lambda grad, dim, index: index_fill_p(grad, dim=dim, index=index, value=0),
    source=lambda grad, source_shape, dim, index: index_select_p(grad, dim=dim, index=index).reshape(source_shape))

index_fill_p = declare(
    "index_fill.int_Scalar", _index_fill_forward, node="IndexFillBackward0", public=False,
    samples=[sample(T(3, 4), 0, T(2, dtype="int64", values=[2, 0]), 1.5, call="index_fill"),
             sample(T(3, 4), -1, T(2, dtype="int64", values=[1, -1]), -1.0, call="Tensor.index_fill"),
             sample(T(3, 4), 0, T(2, dtype="int64", values=[2, 0]), 1.5, call="Tensor.index_fill_", prep="clone")],
    self=lambda grad, dim, index: index_fill_p(grad, dim=dim, index=index, value=0))


def _fill_value_grad(grad, dim, index):
    u = np.unique(index)
    return np.sum(index_select_p(grad, dim=dim, index=u))


index_fill_t_p = declare(
    "index_fill.int_Tensor", _index_fill_t_forward, inputs=("self", "value"), node="IndexFillBackward1",
    public=False,
    samples=[sample(T(3, 4), 0, T(3, dtype="int64", values=[2, 0, 2]), T(), call="index_fill")],
    self=lambda grad, dim, index: index_fill_p(grad, dim=dim, index=index, value=0),
    value=lambda grad, dim, index: _fill_value_grad(grad, dim, index))


def index_select(input, dim, index, *, out=None):
    a = input._data
    idx = _idx(index)
    d = _wrap_dim(dim, a.ndim)
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if idx.dtype.kind not in _INT or idx.dtype.kind == "b":
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    n = _as1d(a).shape[d]
    if idx.size and ((idx < 0) | (idx >= n)).any():
        raise IndexError("index out of range in self")
    return _write_out(out, index_select_p(input, dim=d, index=_long_vector(idx)), "index_select")


@kernel
def _long_vector(idx):
    """An index as the flat int64 array the op takes (a captured step replays this)."""
    return idx.reshape(-1).astype(np.int64, copy=False)


def index_add(input, dim, index, source, *, alpha=1, out=None):
    a = input._data
    idx = _idx(index)
    d = _wrap_dim(dim, a.ndim)
    s = source._data
    if idx.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: {idx.ndim} with type: "
                         f"{_name(idx.dtype)} and size: {list(idx.shape)}")
    if idx.dtype.kind not in _INT or idx.dtype.kind == "b":
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: {_name(idx.dtype)}")
    if s.dtype != a.dtype:
        raise RuntimeError(f"index_add_(): self ({_name(a.dtype)}) and source ({_name(s.dtype)}) must have the "
                           f"same scalar type")
    nsrc = _as1d(s).shape[d] if s.ndim or a.ndim == 0 else 1
    if s.ndim and builtins.max(s.ndim, 1) > d:
        nsrc = s.shape[d]
    if idx.size != nsrc:
        raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                           f"({nsrc}), for dim: {d}")
    if s.ndim != a.ndim and not (s.ndim <= 1 and a.ndim <= 1) or any(
            k != d and s.shape[k] != a.shape[k] for k in range(builtins.min(s.ndim, a.ndim))):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(a.shape)} source.shape = {list(s.shape)}")
    msg = _check_bounds(idx, _as1d(a).shape[d], d)
    if msg:
        raise RuntimeError(msg)
    return _write_out(out, index_add_p(input, source, dim=d, index=_long_vector(idx), alpha=alpha), "index_add")


def index_copy(input, dim, index, source, *, out=None):
    a = input._data
    idx = _idx(index)
    d = _wrap_dim(dim, a.ndim)
    s = source._data
    if idx.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {idx.ndim})")
    nsrc = _as1d(s).shape[d] if s.ndim > d else 1
    if idx.size != nsrc:
        raise IndexError(f"index_copy_(): Number of indices ({idx.size}) should be equal to source.size(dim) "
                         f"({nsrc})")
    if idx.dtype != np.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {_name(idx.dtype)}")
    if s.dtype != a.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{_name(a.dtype)} and (source) {_name(s.dtype)}")
    if s.ndim == a.ndim:
        ds = a.shape[:d] + a.shape[d + 1:]
        ss = s.shape[:d] + s.shape[d + 1:]
        if ds != ss:
            raise RuntimeError(
                f"index_copy_(): Source/destination tensor must have same slice shapes. Destination slice shape: "
                f"{' '.join(map(str, ds))} at dimension {d} and source slice shape: {' '.join(map(str, ss))} at "
                f"dimension 0.")
    elif not (s.ndim <= 1 and a.ndim <= 1):
        raise RuntimeError(f"index_copy_(): When source and destination are not scalars, their dimensionality must "
                           f"match. Source dimensionality ({s.ndim}), destination dimensionality ({a.ndim})")
    n = _as1d(a).shape[d]
    if idx.size and ((idx < 0) | (idx >= n)).any():
        bad = (idx.reshape(-1) < 0) | (idx.reshape(-1) >= n)
        v = int(idx.reshape(-1)[np.argmax(bad)])
        raise IndexError(f"index_copy_(): index {v} is out of bounds for dimension {d} with size {n}")
    return _write_out(out, index_copy_p(input, source, dim=d, index=_long_vector(idx)), "index_copy")


def index_fill(input, dim, index, value):
    a = input._data
    idx = _idx(index)
    d = _wrap_dim(dim, a.ndim)
    if idx.dtype != np.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if idx.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value._data.ndim} dimension(s).")
    n = _as1d(a).shape[d]
    msg = _check_bounds(idx, n, d, "allow_neg")
    if msg:
        raise IndexError(msg)
    idx = _long_vector(_wrapped_index(idx, n))
    if isinstance(value, Tensor):
        if value._data.dtype != a.dtype:
            value = value.to(input.dtype)
        return index_fill_t_p(input, value, dim=d, index=idx)
    return index_fill_p(input, dim=d, index=idx, value=value)


# ---------------------------------------------------------------- index_put
def _index_put_forward(a, values, indices, accumulate):
    out = a.copy()
    v = np.asarray(values, out.dtype)
    if accumulate:
        np.add.at(out, indices, np.broadcast_to(v, out[indices].shape))
    else:
        out[indices] = v
    return out


def _index_put_self(grad, indices, accumulate):
    return grad if accumulate else index_put_p(grad, 0, indices=indices, accumulate=False)


index_put_p = declare(
    "index_put", _index_put_forward, inputs=("self", "values"), node="IndexPutBackward0", public=False,
    samples=[sample(T(3, 4), (T(2, dtype="int64", values=[0, 2]),), T(2, 4), call="index_put"),
             sample(T(3, 4), (T(3, dtype="int64", values=[0, 2, 0]),), T(4), accumulate=True,
                    call="Tensor.index_put"),
             sample(T(3, 4), (T(2, dtype="int64", values=[0, 2]), T(2, dtype="int64", values=[3, -1])), T(),
                    call="index_put"),
             sample(T(3, 4), (T(3, dtype="bool", values=[1, 0, 1]),), T(1, 4), call="index_put"),
             sample(T(3, 4), (T(2, dtype="int64", values=[0, 2]),), T(2, 4), call="Tensor.index_put_", prep="clone")],
    self=lambda grad, indices, accumulate: _index_put_self(grad, indices, accumulate),
    values=lambda grad, indices: grad[indices])


def _index_tuple(self, indices):
    """``indices`` (tensors, None for a full dim) as a NumPy indexing key, checked."""
    a = self._data
    out = []
    for k in indices:
        if k is None:
            out.append(builtins.slice(None))
            continue
        i = _idx(k)
        if i.dtype.kind not in "biu":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        out.append(i)
    used = builtins.sum(i.ndim if isinstance(i, np.ndarray) and i.dtype.kind == "b" else 1 for i in out)
    if used > a.ndim:
        raise IndexError(f"too many indices for tensor of dimension {a.ndim} (got {used})")
    dim = 0
    for i in out:
        if isinstance(i, np.ndarray) and i.dtype.kind == "b":
            for k in range(i.ndim):
                if i.shape[k] != a.shape[dim + k]:
                    raise IndexError(f"The shape of the mask {list(i.shape)} at index {k} does not match the shape "
                                     f"of the indexed tensor {list(a.shape)} at index {dim + k}")
            dim += i.ndim
            continue
        if isinstance(i, np.ndarray):
            msg = _check_bounds(i, a.shape[dim], dim, "allow_neg")
            if msg:
                raise IndexError(msg)
        dim += 1
    return tuple(out)


def index_put(input, indices, values, accumulate=False):
    for i, k in enumerate(indices):
        if not isinstance(k, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(k).__name__}")
    return _index_put(input, indices, values, accumulate)


def _index_put(input, indices, values, accumulate=False):
    """index_put with None for a full dim (what ``x[key] = v`` needs)."""
    key = _index_tuple(input, indices)
    a = input._data
    if isinstance(values, Tensor):
        if values._data.dtype != a.dtype:
            raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                               f"{_name(a.dtype)} for the destination and {_name(values._data.dtype)} for the source.")
        vshape = values._data.shape
    else:
        vshape = np.shape(values)
    rshape = a[key].shape
    try:
        np.broadcast_shapes(vshape, rshape)
        if len(vshape) > len(rshape) or np.broadcast_shapes(vshape, rshape) != rshape:
            raise ValueError
    except ValueError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(vshape)} cannot be broadcast to indexing "
                           f"result of shape {list(rshape)}") from None
    return index_put_p(input, values, indices=key, accumulate=bool(accumulate))


# ---------------------------------------------------------------- masked ops
def _masked_fill_forward(a, mask, value):
    return np.where(mask, np.asarray(value).astype(a.dtype), a)


def _masked_fill_t_forward(a, value, mask):
    return np.where(mask, value.astype(a.dtype), a)


_M = T(3, 4, dtype="bool")
masked_fill_p = declare(
    "masked_fill.Scalar", _masked_fill_forward, node="MaskedFillBackward0", public=False,
    samples=[sample(T(3, 4), _M, 1.5, call="masked_fill"), sample(T(4), _M, -1.0, call="Tensor.masked_fill"),
             sample(T(3, 4), T(4, dtype="bool"), 0.0, call="Tensor.masked_fill_", prep="clone")],
    self=lambda grad, mask: masked_fill_p(grad, mask=mask, value=0))

masked_fill_t_p = declare(
    "masked_fill.Tensor", _masked_fill_t_forward, inputs=("self", "value"), node="MaskedFillBackward1",
    public=False, samples=[sample(T(3, 4), _M, T(), call="masked_fill")],
    self=lambda grad, mask: masked_fill_p(grad, mask=mask, value=0),
    value=lambda grad, mask: np.sum(np.where(mask, grad, 0)))


def _masked_scatter_forward(a, source, mask):
    shape = np.broadcast_shapes(a.shape, mask.shape)
    out = np.array(np.broadcast_to(a, shape), order="C")
    m = np.broadcast_to(mask, shape)
    out[m] = source.reshape(-1)[:int(m.sum())]
    return out


def _masked_scatter_source(grad, source_shape, mask):
    m = np.broadcast_to(mask, _shape_of(grad))
    picked = grad[m]
    n = int(np.prod(source_shape))
    return _pad_to(picked, (n,)).reshape(source_shape)


masked_scatter_p = declare(
    "masked_scatter", _masked_scatter_forward, inputs=("self", "source"), node="MaskedScatterBackward0",
    public=False,
    samples=[sample(T(3, 4), _M, T(3, 5), call="masked_scatter"),
             sample(T(4), _M, T(12), call="Tensor.masked_scatter"),
             sample(T(3, 4), _M, T(12), call="Tensor.masked_scatter_", prep="clone")],
    self=lambda grad, mask: masked_fill_p(grad, mask=mask, value=0),
    source=lambda grad, source_shape, mask: _masked_scatter_source(grad, source_shape, mask))


def _masked_select_forward(a, mask):
    shape = np.broadcast_shapes(a.shape, mask.shape)
    return np.broadcast_to(a, shape)[np.broadcast_to(mask, shape)]


masked_select_p = declare(
    "masked_select", _masked_select_forward, node="MaskedSelectBackward0", public=False, dynamic_shape=True,
    samples=[sample(T(3, 4), _M, call="masked_select"), sample(T(4), _M, call="Tensor.masked_select"),
             sample(T(3, 4), T(4, dtype="bool"), call="masked_select")],
    self=lambda grad, self_shape, mask: embed(grad, shape=np.broadcast_shapes(self_shape, mask.shape), key=(
        np.broadcast_to(mask, np.broadcast_shapes(self_shape, mask.shape)),)))


def _mask(mask, op):
    m = _idx(mask)
    if m.dtype != np.bool_:
        if op == "masked_select":
            raise RuntimeError("masked_select: expected BoolTensor for mask")
        raise RuntimeError(f"{op}_ only supports boolean masks, but got mask with dtype "
                           f"{(_C_NAMES if op == 'masked_fill' else _LEGACY_NAMES).get(m.dtype.name, m.dtype.name)}")
    return m




def _bcast(a, m):
    try:
        return np.broadcast_shapes(a.shape, m.shape)
    except ValueError:
        raise broadcast_error(m, a) from None


def masked_fill(input, mask, value):
    m = _mask(mask, "masked_fill")
    _bcast(input._data, m)
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        if value._data.dtype != input._data.dtype:
            value = value.to(input.dtype)
        return masked_fill_t_p(input, value, mask=m)
    return masked_fill_p(input, mask=m, value=value)


def masked_scatter(input, mask, source):
    m = _mask(mask, "masked_scatter")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                           f"{_name(input._data.dtype)} and {_name(source._data.dtype)}")
    shape = _bcast(input._data, m)
    if int(np.broadcast_to(m, shape).sum()) > source._data.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    return masked_scatter_p(input, source, mask=m)


def masked_select(input, mask, *, out=None):
    m = _mask(mask, "masked_select")
    _bcast(input._data, m)
    return _write_out(out, masked_select_p(input, mask=m), "masked_select")


# ---------------------------------------------------------------- take / take_along_dim
def _take_back(grad, self_shape, self_dtype, index):
    n = int(np.prod(self_shape))
    flat = index_put_p(np.zeros(n, self_dtype), grad.reshape(-1), indices=(index.reshape(-1),), accumulate=True)
    return flat.reshape(self_shape)


take_p = declare(
    "take", lambda a, index: a.reshape(-1)[index], node="TakeBackward0", public=False,
    samples=[sample(T(3, 4), T(2, 2, dtype="int64", values=[[0, 11], [-1, 5]]), call="take"),
             sample(T(3, 4), T(3, dtype="int64", values=[1, 1, 1]), call="Tensor.take"),
             sample(T(), T(dtype="int64", values=0), call="take")],
    self=_take_back)


def take(input, index):
    idx = _idx(index)
    if idx.dtype != np.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {_name(idx.dtype)}")
    n = input._data.size
    if idx.size:
        if n == 0:
            raise IndexError("take(): tried to take from an empty tensor")
        bad = (idx.reshape(-1) < -n) | (idx.reshape(-1) >= n)
        if bad.any():
            v = int(idx.reshape(-1)[np.argmax(bad)])
            raise IndexError(f"out of range: tried to access index {v} on a tensor of {n} elements.")
    return take_p(input, index=_wrapped_index(idx, n))


@kernel
def _wrapped_index(idx, n):
    """Negative indices counted from the end, as take() reads them."""
    return np.where(idx < 0, idx + n, idx)


def take_along_dim(input, indices, dim=None, *, out=None):
    idx = _idx(indices)
    if idx.dtype != np.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got {_name(idx.dtype)}")
    if dim is None:
        from .._tensor import wrap as _w
        return _write_out(out, gather(view(input, -1), 0, _w(idx.reshape(-1))), "gather")
    a = input._data
    if idx.ndim != a.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {a.ndim} dimensions for input, and {idx.ndim} dimensions for indices")
    d = _wrap_dim(dim, a.ndim)
    s_self = list(a.shape)
    s_idx = list(idx.shape)
    s_self[d] = s_idx[d] = 1
    try:
        b = list(np.broadcast_shapes(tuple(s_self), tuple(s_idx)))
    except ValueError:
        raise broadcast_error(np.empty(s_self, bool), np.empty(s_idx, bool)) from None
    self_shape = list(b)
    self_shape[d] = a.shape[d]
    idx_shape = list(b)
    idx_shape[d] = idx.shape[d]
    src = expand(input, tuple(self_shape))
    return _write_out(out, gather(src, d, np.broadcast_to(idx, tuple(idx_shape))), "gather")


# ---------------------------------------------------------------- nonzero / argwhere
def nonzero(input, *, out=None, as_tuple=False):
    a = input._data
    if as_tuple:
        return tuple(wrap(i) for i in np.nonzero(_as1d(a)))
    res = wrap(np.argwhere(a).astype(np.int64) if a.ndim else np.zeros((int(bool(a)), 0), np.int64))
    return _write_out(out, res, "nonzero")


def argwhere(input):
    return nonzero(input)


# ---------------------------------------------------------------- searchsorted / bucketize
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None, out=None):
    refuse_batched("searchsorted", sorted_sequence, input, sorter)
    seq = sorted_sequence._data
    scalar = not isinstance(input, Tensor)
    vals = np.asarray(input) if scalar else input._data
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")
        right = side == "right"
    if seq.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 "
                           "dimension")
    if seq.ndim > 1 and (vals.ndim != seq.ndim or vals.shape[:-1] != seq.shape[:-1]):
        raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                           f"dimensions of boundaries tensor and input value tensor must match, but we got "
                           f"boundaries tensor {list(seq.shape)} and input value tensor {list(vals.shape)}")
    if sorter is not None:
        srt = _idx(sorter)
        if srt.dtype != np.int64:
            raise RuntimeError(f"torch.searchsorted(): sorter must be a tensor of long dtype but got dtype "
                               f"{_name(srt.dtype)}")
        if srt.shape != seq.shape:
            raise RuntimeError(f"torch.searchsorted(): boundary and sorter must have the same size, but got "
                               f"boundary tensor {list(seq.shape)}and got sorter tensor {list(srt.shape)}")
        if srt.size and ((srt < 0) | (srt >= seq.shape[-1])).any():
            raise RuntimeError("torch.searchsorted(): sorter index out of range")
        seq = np.take_along_axis(seq, srt, axis=-1)
    how = "right" if right else "left"
    if seq.ndim == 1:
        res = np.searchsorted(seq, vals, side=how)
    else:
        s2 = seq.reshape(-1, seq.shape[-1])
        v2 = vals.reshape(s2.shape[0], -1)
        res = np.stack([np.searchsorted(s, v, side=how) for s, v in zip(s2, v2)]).reshape(vals.shape) \
            if s2.shape[0] else np.zeros(vals.shape, np.int64)
    res = wrap(np.asarray(res, np.int32 if out_int32 else np.int64))
    return _write_out(out, res, "searchsorted")


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    b = boundaries._data
    if b.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({b.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


# ---------------------------------------------------------------- in-place forms
def _masked_fill_inplace_check(self, mask):
    m = _idx(mask)
    shape = np.broadcast_shapes(self._data.shape, m.shape) if _can_bcast(self._data.shape, m.shape) else None
    if shape is not None and shape != self._data.shape:
        raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                           f"{list(shape)}")


def _can_bcast(a, b):
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


_masked_fill_ip = make_inplace(masked_fill)
_masked_scatter_ip = make_inplace(masked_scatter)


def masked_fill_(self, mask, value):
    _masked_fill_inplace_check(self, mask)
    return _masked_fill_ip(self, mask, value)


def masked_scatter_(self, mask, source):
    _masked_fill_inplace_check(self, mask)
    return _masked_scatter_ip(self, mask, source)


FUNCTIONS.update(gather=gather, scatter=scatter, scatter_add=scatter_add, scatter_reduce=scatter_reduce,
                 index_select=index_select, index_add=index_add, index_copy=index_copy, index_fill=index_fill,
                 index_put=index_put, masked_fill=masked_fill, masked_scatter=masked_scatter,
                 masked_select=masked_select, take=take, take_along_dim=take_along_dim, nonzero=nonzero,
                 argwhere=argwhere, searchsorted=searchsorted, bucketize=bucketize)
_INPLACE = dict(scatter_=scatter, scatter_add_=scatter_add, scatter_reduce_=scatter_reduce, index_add_=index_add,
                index_copy_=index_copy, index_fill_=index_fill, index_put_=index_put)
for _n, _f in _INPLACE.items():
    setattr(Tensor, _n, make_inplace(_f))
Tensor.masked_fill_ = masked_fill_
Tensor.masked_scatter_ = masked_scatter_
for _n, _f in dict(gather=gather, scatter=scatter, scatter_add=scatter_add, scatter_reduce=scatter_reduce,
                   index_select=index_select, index_add=index_add, index_copy=index_copy, index_fill=index_fill,
                   index_put=index_put, masked_fill=masked_fill, masked_scatter=masked_scatter,
                   masked_select=masked_select, take=take, take_along_dim=take_along_dim, nonzero=nonzero,
                   argwhere=argwhere).items():
    setattr(Tensor, _n, _f)


# ---------------------------------------------------------------- x[key] and x[key] = v with index tensors
# ``shape.py`` owns ``Tensor.__getitem__`` / ``__setitem__``; here they are wrapped so that a
# key with index tensors is checked with PyTorch's messages before NumPy sees it, and so that
# ``x[adv] = v`` is PyTorch's ``index_put_`` (IndexPutBackward0) when no view is taken first,
# and ``x[...] = tensor`` is ``copy_`` (CopyBackwards).
_base_getitem = Tensor.__getitem__
_base_setitem = Tensor.__setitem__


def _is_adv(k):
    return isinstance(k, list) or isinstance(k, np.ndarray) and k.ndim > 0 or isinstance(k, Tensor) and \
        k._data.ndim > 0


def _expand_key(self, key):
    """The key with its Ellipsis expanded, or None when it is not one this wrapper checks."""
    key = key if isinstance(key, tuple) else (key,)
    nd = self._data.ndim
    used = 0
    for k in key:
        if k is None or k is Ellipsis:
            continue
        if isinstance(k, (Tensor, np.ndarray, np.bool_, bool)) and np.ndim(_idx(k)) == 0 and \
                _idx(k).dtype.kind == "b":
            return None
        if _is_adv(k):
            a = _idx(k)
            used += a.ndim if a.dtype.kind == "b" else 1
        else:
            used += 1
    if used > nd or builtins.sum(1 for k in key if k is Ellipsis) > 1:
        return None
    out = []
    for k in key:
        if k is Ellipsis:
            out.extend([builtins.slice(None)] * (nd - used))
        else:
            out.append(k)
    if not builtins.any(k is Ellipsis for k in key):
        out += [builtins.slice(None)] * (nd - used)
    return out


def _check_adv_key(self, key):
    shape = self._data.shape
    post, advs = [], []
    od = 0
    for k in key:
        if od > len(shape):
            return
        if k is None:
            post.append(1)
        elif _is_adv(k):
            a = _idx(k)
            if a.dtype.kind not in "biu":
                if isinstance(k, list):
                    return
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            advs.append((len(post), a))
            if a.dtype.kind == "b":
                post.extend(shape[od:od + a.ndim])
                od += a.ndim
            else:
                post.append(shape[od])
                od += 1
        elif isinstance(k, builtins.slice):
            if k.step is not None and k.step <= 0:
                return
            post.append(len(range(*k.indices(shape[od]))))
            od += 1
        else:
            od += 1
    post.extend(shape[od:])
    ordinal = 0
    arrays = []
    for pos, a in advs:
        if a.dtype.kind == "b":
            for j in range(a.ndim):
                if a.shape[j] != post[pos + j]:
                    raise IndexError(f"The shape of the mask {list(a.shape)} at index {j} does not match the shape "
                                     f"of the indexed tensor {list(post)} at index {pos + j}")
            arrays.extend(np.nonzero(a))
            ordinal += a.ndim
        else:
            msg = _check_bounds(a, post[pos], ordinal, "allow_neg")
            if msg:
                raise IndexError(msg)
            arrays.append(a)
            ordinal += 1
    try:
        np.broadcast_shapes(*[a.shape for a in arrays])
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes "
                         + ", ".join(str(list(a.shape)) for a in arrays)) from None


_BASIC = (int, builtins.slice, type(None), type(Ellipsis))
# (PyTorch's words for a lone index of a 0-d tensor)
_NOT_FOR_0D = {builtins.slice: "slice() cannot be applied to a 0-dim tensor.",
               int: "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to "
                    "convert a 0-dim tensor to a number",
               list: "too many indices for tensor of dimension 0"}


def getitem(self, key):
    if not self._data.ndim and type(key) in _NOT_FOR_0D:
        raise IndexError(_NOT_FOR_0D[type(key)])
    if type(key) in _BASIC:
        return _base_getitem(self, key)
    k = key if isinstance(key, tuple) else (key,)
    if builtins.any(_is_adv(i) for i in k):
        full = _expand_key(self, key)
        if full is not None:
            _check_adv_key(self, full)
    return _base_getitem(self, key)


def _full_slice(k):
    return isinstance(k, builtins.slice) and k.start is None and k.stop is None and k.step is None


def setitem(self, key, value):
    k = key if isinstance(key, tuple) else (key,)
    full = _expand_key(self, key)
    if full is not None and builtins.any(_is_adv(i) for i in k):
        _check_adv_key(self, full)
        if isinstance(value, Tensor) and value._data.ndim and value._data.dtype != self._data.dtype:
            raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                               f"{_name(self._data.dtype)} for the destination and {_name(value._data.dtype)} for "
                               f"the source.")
        if builtins.all(_is_adv(i) or _full_slice(i) for i in full):
            if isinstance(value, Tensor):
                if value._data.dtype != self._data.dtype:
                    value = value.to(self.dtype)
            else:
                value = np.asarray(value, dtype=self._data.dtype)
            last = builtins.max(i for i, x in enumerate(full) if _is_adv(x))
            indices = tuple(None if _full_slice(x) else x for x in full[:last + 1])
            try:
                rshape = self._data[_index_tuple(self, indices)].shape
                np.broadcast_to(np.empty(_shape_of(value), bool), rshape)
            except ValueError:
                raise RuntimeError(f"shape mismatch: value tensor of shape {list(_shape_of(value))} cannot be "
                                   f"broadcast to indexing result of shape {list(rshape)}") from None
            _index_put_inplace(self, indices, value)
            return
    elif full is not None and isinstance(value, Tensor) and builtins.all(_full_slice(i) for i in full) and \
            len(k) and builtins.all(i is Ellipsis or _full_slice(i) for i in k):
        self.copy_(value)
        return
    _base_setitem(self, key, value)


_index_put_inplace = make_inplace(_index_put)
Tensor.__getitem__ = getitem
Tensor.__setitem__ = setitem
