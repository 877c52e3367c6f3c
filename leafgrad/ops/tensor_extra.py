"""Tensor utilities PyTorch has and the other modules lack: metadata queries (type_as,
is_nonzero, itemsize, nbytes, layout, storage_offset, ...), unfold (a strided view),
the scatter ops (select/slice/diagonal_scatter), narrow_copy, in-place shape changes
(squeeze_, unsqueeze_, t_, transpose_), fill_diagonal_, put / put_, index_reduce,
unique_consecutive, sum_to_size, new_empty_strided and a few in-place aliases. Their
vmap rules are in func/_batching.py with the others."""
import builtins
import functools

import numpy as np

from ._declare import FUNCTIONS, check_inplace, declare, make_inplace
from ._samples import T, sample
from .shape import embed, squeeze_inplace_dim, _select_key
from .matrix import _diagonal_view, _diag_dims, _diagonal
from .binary import _not_implemented_node, _with_out
from .indexing import _scatter_reduce2_forward, _sr_grads
from .sorting import dim_first_layout, with_extras
from .stats import _write_out
from .strided import storage_of
from .._tensor import Tensor, _wrap_dim, make, wrap, _C_TYPE_NAMES, _LEGACY_NAMES
from .._tensor import wrap as wrap_tensor
from ..autograd import grad_mode
from .. import _tape

_state = grad_mode.state


def _need_tensor(fn, name, x, pos=1):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not {type(x).__name__}")


def _need_int(fn, name, x, pos):
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
        if isinstance(x, Tensor) and x._data.ndim == 0 and x._data.dtype.kind in "iu":
            return int(x._data)
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be int, not {type(x).__name__}")
    return int(x)


# ====================================================================== metadata
def type_as(self, other):
    _need_tensor("type_as", "other", other)
    return self.to(other.dtype)


def is_nonzero(input):
    _need_tensor("is_nonzero", "input", input)
    n = input._data.size
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input._data.reshape(()))


def is_same_size(input, other):
    _need_tensor("is_same_size", "input", input)
    _need_tensor("is_same_size", "other", other)
    return input._data.shape == other._data.shape


def get_device(input):
    _need_tensor("get_device", "input", input)
    return -1


def storage_offset(self):
    """Elements from the start of the storage (the memory of the array that owns this
    tensor's data, as ``as_strided`` counts): a view's offset, kept by ``detach()`` and
    ``.data`` of the view and by views of those."""
    return storage_of(self._data)[1]


class layout:
    """A memory layout (``torch.strided``): leafgrad tensors are all strided."""

    __slots__ = ("_name",)

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return f"torch.{self._name}"

    def __reduce__(self):
        return self._name


strided = layout("strided")

Tensor.type_as = type_as
Tensor.is_nonzero = is_nonzero
Tensor.is_same_size = is_same_size
Tensor.get_device = get_device
Tensor.storage_offset = storage_offset
Tensor.itemsize = property(lambda self: self._data.itemsize)
Tensor.nbytes = property(lambda self: self._data.size * self._data.itemsize)
Tensor.is_cpu = property(lambda self: True)
Tensor.layout = property(lambda self: strided)
FUNCTIONS.update({"is_nonzero": is_nonzero, "is_same_size": is_same_size, "get_device": get_device,
                  "strided": strided, "layout": layout})


# ====================================================================== unfold
def _unfold_forward(a, dimension, size, step):
    if a.ndim == 0:
        return np.lib.stride_tricks.as_strided(a.reshape(1), (size,), (a.itemsize,))
    n = a.shape[dimension]
    count = (n - size) // step + 1
    shape = a.shape[:dimension] + (count,) + a.shape[dimension + 1:] + (size,)
    st = a.strides
    strides = st[:dimension] + (st[dimension] * step,) + st[dimension + 1:] + (st[dimension],)
    # Windows that overlap show an element twice: read-only, as NumPy requires.
    return np.lib.stride_tricks.as_strided(a, shape, strides, writeable=a.flags.writeable and step >= size)


def _unfold_backward_forward(grad_in, input_sizes, dim, size, step):
    out = np.zeros(input_sizes, grad_in.dtype)
    if not input_sizes:
        if size:
            out[...] = grad_in[0]
        return out
    count = grad_in.shape[dim]
    if count == 0 or size == 0:
        return out
    for j in range(size):
        key = _select_key(dim, builtins.slice(j, j + step * (count - 1) + 1, step))
        out[key] += grad_in[..., j]
    return out


unfold_backward = declare(
    "_unfold_backward", _unfold_backward_forward, inputs=("grad_in",), node="UnfoldBackwardBackward0",
    samples=[sample(T(3, 3), input_sizes=(7,), dim=0, size=3, step=2, call="_unfold_backward")],
    grad_in=lambda grad, dim, size, step: _unfold(grad, dimension=dim, size=size, step=step))

_unfold = declare(
    "unfold", _unfold_forward, node="UnfoldBackward0", view=True, public=False,
    samples=[sample(T(7), 0, 3, 2, call="Tensor.unfold"), sample(T(7), 0, 2, 1, call="Tensor.unfold"),
             sample(T(3, 5), -1, 2, 3, call="Tensor.unfold"), sample(T(4, 3), 0, 4, 1, call="Tensor.unfold"),
             sample(T(2, 6, 2), 1, 3, 1, call="Tensor.unfold"), sample(T(), 0, 1, 1, call="Tensor.unfold"),
             sample(T(5), 0, 0, 2, call="Tensor.unfold"), sample(T(0, 3), 1, 2, 1, call="Tensor.unfold")],
    self=lambda grad, self_shape, dimension, size, step: unfold_backward(
        grad, input_sizes=self_shape, dim=dimension, size=size, step=step))


def unfold(self, dimension, size, step):
    dimension = _need_int("unfold", "dimension", dimension, 1)
    size = _need_int("unfold", "size", size, 2)
    step = _need_int("unfold", "step", step, 3)
    shape = self._data.shape
    d = _wrap_dim(dimension, len(shape))
    n = shape[d] if shape else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return _unfold(self, dimension=d, size=size, step=step)


Tensor.unfold = unfold


# ====================================================================== scatter ops, narrow_copy
def _np_dtype(x):
    return x._data.dtype if isinstance(x, Tensor) else x.dtype


def _zeros_for(grad, shape):
    """Zeros of ``shape`` in grad's dtype (a constant of the graph)."""
    return np.zeros(shape, _np_dtype(grad))


def _scatter_into(a, src, key):
    out = a.copy()
    out[key] = src
    return out


def _check_src(src, slice_shape):
    if src._data.shape != tuple(slice_shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src._data.shape)}, slice size = {list(slice_shape)}")


def _slice_key(dim, start, end, step):
    return _select_key(dim, builtins.slice(start, end, step))


_select_scatter = declare(
    "select_scatter", lambda a, src, dim, index: _scatter_into(a, src, _select_key(dim, index)),
    inputs=("self", "src"), node="SelectScatterBackward0", public=False,
    samples=[sample(T(3, 4), T(4), 0, 1, call="select_scatter"), sample(T(3, 4), T(3), -1, -1, call="select_scatter"),
             sample(T(2, 3, 4), T(2, 4), 1, 2, call="Tensor.select_scatter"),
             sample(T(3), T(), 0, 0, call="select_scatter"),
             sample(T(3, 4), T(4, dtype="float32"), 0, 2, call="select_scatter")],
    self=lambda grad, src_shape, dim, index: _select_scatter(grad, _zeros_for(grad, src_shape), dim=dim, index=index),
    src=lambda grad, dim, index: grad[_select_key(dim, index)])


def select_scatter(input, src, dim, index):
    _need_tensor("select_scatter", "input", input)
    _need_tensor("select_scatter", "src", src, 2)
    shape = input._data.shape
    if not shape:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = _wrap_dim(_need_int("select_scatter", "dim", dim, 3), len(shape))
    index = _need_int("select_scatter", "index", index, 4)
    n = shape[dim]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(shape)} at dimension {dim}")
    index = index + n if index < 0 else index
    _check_src(src, shape[:dim] + shape[dim + 1:])
    return _select_scatter(input, src, dim=dim, index=index)


_slice_scatter = declare(
    "slice_scatter", lambda a, src, dim, start, end, step: _scatter_into(a, src, _slice_key(dim, start, end, step)),
    inputs=("self", "src"), node="SliceScatterBackward0", public=False,
    samples=[sample(T(5, 4), T(2, 4), 0, 1, 3, call="slice_scatter"),
             sample(T(3, 6), T(3, 3), dim=1, start=0, end=None, step=2, call="slice_scatter"),
             sample(T(3, 4), T(3, 4), 1, call="Tensor.slice_scatter"),
             sample(T(3, 5), T(3, 2), -1, -2, call="slice_scatter"),
             sample(T(3, 4), T(0, 4), 0, 5, call="slice_scatter")],
    self=lambda grad, src_shape, dim, start, end, step: _slice_scatter(
        grad, _zeros_for(grad, src_shape), dim=dim, start=start, end=end, step=step),
    src=lambda grad, dim, start, end, step: grad[_slice_key(dim, start, end, step)])


# slice_scatter(..., out=): PyTorch records no derivative there, its node is "NotImplemented".
_slice_scatter_out = declare(
    "slice_scatter.out", lambda a, src, dim, start, end, step: _scatter_into(a, src, _slice_key(dim, start, end, step)),
    inputs=("self", "src"), node="NotImplemented", public=False,
    samples=[sample(T(3, 4, dtype="int64"), T(3, 2, dtype="int64"), 1, 0, 4, 2, out=T(3, 4, dtype="int64"),
                    call="slice_scatter", smooth=False)])


def _opt_int(fn, name, x, pos):
    return None if x is None else _need_int(fn, name, x, pos)


def slice_scatter(input, src, dim=0, start=None, end=None, step=1, *, out=None):
    _need_tensor("slice_scatter", "input", input)
    _need_tensor("slice_scatter", "src", src, 2)
    shape = input._data.shape
    dim = _wrap_dim(_need_int("slice_scatter", "dim", dim, 3), len(shape))
    start = _opt_int("slice_scatter", "start", start, 4)
    end = _opt_int("slice_scatter", "end", end, 5)
    step = _need_int("slice_scatter", "step", step, 6)
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    n = shape[dim] if shape else 1
    start, end, _ = builtins.slice(start, end, step).indices(n)
    end = builtins.max(end, start)
    _check_src(src, shape[:dim] + (len(range(start, end, step)),) + shape[dim + 1:])
    if out is None:
        return _slice_scatter(input, src, dim=dim, start=start, end=end, step=step)
    _need_tensor("slice_scatter", "out", out, 7)
    if out._data.dtype != input._data.dtype:
        raise RuntimeError(f"Expected out tensor to have dtype {_C_TYPE_NAMES[input._data.dtype.name]}, but got "
                           f"{_C_TYPE_NAMES[out._data.dtype.name]} instead")
    _tape.refuse("slice_scatter(out=) writes into out outside the recorded ops")
    if out._batched:   # vmap: the whole batch of out takes the result
        return out.copy_(_slice_scatter_out(input, src, dim=dim, start=start, end=end, step=step))
    return _with_out("slice_scatter", out, (input, src),
                     lambda: _slice_scatter_out(input, src, dim=dim, start=start, end=end, step=step), record=True)


def _diagonal_scatter_forward(a, src, offset, dim1, dim2):
    out = a.copy()
    _diagonal_view(out, offset, dim1, dim2)[...] = src
    return out


_diagonal_scatter = declare(
    "diagonal_scatter", _diagonal_scatter_forward, inputs=("self", "src"), node="DiagonalScatterBackward0",
    public=False,
    samples=[sample(T(3, 4), T(3), call="diagonal_scatter"), sample(T(3, 4), T(3), 1, call="diagonal_scatter"),
             sample(T(3, 4), T(2), -1, call="Tensor.diagonal_scatter"),
             sample(T(2, 3, 4), T(3, 2), 0, 0, 2, call="diagonal_scatter"),
             sample(T(2, 4, 3), T(2, 1), offset=-2, dim1=-1, dim2=-2, call="diagonal_scatter"),
             sample(T(3, 4), T(0), 5, call="diagonal_scatter")],
    self=lambda grad, src_shape, offset, dim1, dim2: _diagonal_scatter(
        grad, _zeros_for(grad, src_shape), offset=offset, dim1=dim1, dim2=dim2),
    src=lambda grad, offset, dim1, dim2: _diagonal(grad, offset=offset, dim1=dim1, dim2=dim2))


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    _need_tensor("diagonal_scatter", "input", input)
    _need_tensor("diagonal_scatter", "src", src, 2)
    offset = _need_int("diagonal_scatter", "offset", offset, 3)
    d1, d2 = _diag_dims(input, _need_int("diagonal_scatter", "dim1", dim1, 4),
                        _need_int("diagonal_scatter", "dim2", dim2, 5), input._data.ndim)
    _check_src(src, _diagonal_view(input._data, offset, d1, d2).shape)
    return _diagonal_scatter(input, src, offset=offset, dim1=d1, dim2=d2)


_narrow_copy = declare(
    "narrow_copy", lambda a, dim, start, length: a[_slice_key(dim, start, start + length, 1)].copy(),
    node="NarrowCopyBackward0", public=False,
    samples=[sample(T(3, 4), 1, 1, 2, call="narrow_copy"), sample(T(3, 4), 0, 2, 1, call="Tensor.narrow_copy"),
             sample(T(5), -1, 0, 5, call="narrow_copy"), sample(T(3, 4), 0, 3, 0, call="narrow_copy")],
    self=lambda grad, self_shape, dim, start, length: embed(
        grad, shape=self_shape, key=_slice_key(dim, start, start + length, 1)))


def narrow_copy(input, dim, start, length, *, out=None):
    _need_tensor("narrow_copy", "input", input)
    shape = input._data.shape
    if not shape:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    dim = _need_int("narrow_copy", "dim", dim, 2)
    start = _need_int("narrow_copy", "start", start, 3)
    length = _need_int("narrow_copy", "length", length, 4)
    if dim >= len(shape):
        raise RuntimeError("Expected dim < static_cast<int64_t>(self_sizes.size()) to be true, but got false.  "
                           "(Could this error message be improved?  If so, please report an enhancement request "
                           "to PyTorch.)")
    dim = _wrap_dim(dim, len(shape))
    n = shape[dim]
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if length < 0 or start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    if out is not None and out._data.dtype != input._data.dtype and not (
            _state.enabled and input._requires_grad):
        raise RuntimeError("Expected self.dtype() == output.dtype() to be true, but got false.  (Could this error "
                           "message be improved?  If so, please report an enhancement request to PyTorch.)")
    if out is not None:
        _tape.refuse("narrow_copy(out=) writes into out outside the recorded ops")
    return _with_out("narrow_copy", out, (input,), lambda: _narrow_copy(input, dim=dim, start=start, length=length))


_not_implemented_node("slice_scatter.out", "slice_scatter")
FUNCTIONS.update({"select_scatter": select_scatter, "slice_scatter": slice_scatter,
                  "diagonal_scatter": diagonal_scatter, "narrow_copy": narrow_copy})
Tensor.select_scatter = select_scatter
Tensor.slice_scatter = slice_scatter
Tensor.diagonal_scatter = diagonal_scatter
Tensor.narrow_copy = narrow_copy


# ====================================================================== in-place shape changes
# The tensor keeps its identity and memory and takes a new shape (a NumPy view of the same
# memory); while recording, its history goes through the op's node, as in PyTorch.
_squeeze_all_ = declare(
    "squeeze_", lambda a: a.reshape(tuple(s for s in a.shape if s != 1)), node="SqueezeBackward3", public=False,
    samples=[sample(T(1, 3, 1), call="Tensor.squeeze_", prep="clone"),
             sample(T(3), call="Tensor.squeeze_", prep="clone")],
    self=lambda grad, self_shape: grad.reshape(self_shape))
_squeeze_dims_ = declare(
    "squeeze_.dims", lambda a, dim: np.squeeze(a, dim), node="SqueezeBackward5", public=False,
    samples=[sample(T(1, 3, 1), (0, -1), call="Tensor.squeeze_", prep="clone"),
             sample(T(2, 1), (0,), call="Tensor.squeeze_", prep="clone")],
    self=lambda grad, self_shape: grad.reshape(self_shape))
unsqueeze_inplace = declare(
    "unsqueeze_", lambda a, dim: np.expand_dims(a, dim), node="UnsqueezeBackward1", public=False,
    samples=[sample(T(3, 4), 1, call="Tensor.unsqueeze_", prep="clone"),
             sample(T(), -1, call="Tensor.unsqueeze_", prep="clone")],
    self=lambda grad, dim: np.squeeze(grad, dim))
_t_ = declare(
    "t_", lambda a: a.T, node="TBackward1", public=False,
    samples=[sample(T(3, 4), call="Tensor.t_", prep="clone"), sample(T(3), call="Tensor.t_", prep="clone")],
    self=lambda grad: grad.T)
transpose_inplace = declare(
    "transpose_", lambda a, dim0, dim1: np.swapaxes(a, dim0, dim1), node="TransposeBackward1", public=False,
    samples=[sample(T(3, 4), 0, 1, call="Tensor.transpose_", prep="clone"),
             sample(T(2, 3, 4), -1, 0, call="Tensor.swapaxes_", prep="clone"),
             sample(T(2, 3, 4), 1, 2, call="Tensor.swapdims_", prep="clone")],
    self=lambda grad, dim0, dim1: np.swapaxes(grad, dim0, dim1))


def _replay_inplace(op, params, src):
    return op(src, **params)


def _reshape_inplace(self, op, params):
    """Give ``self`` the shape ``op(self, **params)`` gives, in place."""
    check_inplace(self)
    if self._batched:
        # vmap: the op's batching rule reshapes the whole batch; the tensor takes it over
        from ..func._vmap import _PHYS
        res = op(self, **params)
        _PHYS.__set__(self, _PHYS.__get__(res))
        if res._requires_grad:
            self._grad_fn, self._out_nr, self._requires_grad = res._grad_fn, res._out_nr, True
        self._vc[0] += 1
        return self
    fw = self._fw
    if self._requires_grad and (_state.enabled or self._base is not None and self._grad_fn is not None):
        # (a view that requires grad keeps a history that fits its shape even when the
        # change is made without grad: PyTorch regenerates it, as an AsStridedBackward0)
        fn = self.grad_fn   # (a view refreshes its history first)
        stand_in = make(self._data, fn, self._out_nr)
        if fw is not None:
            stand_in.__dict__["_fw"] = fw   # forward AD: the tangent takes the new shape too
        with grad_mode.enable_grad():
            res = op(stand_in, **params)
        self._data = res._data
        self._grad_fn = res._grad_fn
        self._out_nr = res._out_nr
    else:
        stand_in = wrap(self._data)
        if fw is not None:
            stand_in.__dict__["_fw"] = fw
        with grad_mode.no_grad():
            res = op(stand_in, **params)
        self._data = res._data
    if fw is not None:
        self.__dict__["_fw"] = res._fw
    self._vc[0] += 1
    if self._base is not None and self._grad_fn is not None and "_at" in self.__dict__:
        self.__dict__["_at"] = self._vc[0]   # (its history, just made, is for this version)
    if self._base is not None and self._view_fn is not None:
        # a view: replaying it on its base now ends with this op
        self.__dict__["_view_fn"] = (functools.partial(_replay_inplace, op, params), self._view_fn)
    return self


def squeeze_(self, dim=None):
    shape = self._data.shape
    if dim is None:
        return _reshape_inplace(self, _squeeze_all_, {})
    if isinstance(dim, (tuple, list)):
        dims = tuple(_wrap_dim(d, len(shape)) for d in dim)
        for i, d in enumerate(dims):
            if d in dims[:i]:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        return _reshape_inplace(self, _squeeze_dims_, {"dim": tuple(d for d in dims if shape and shape[d] == 1)})
    d = _wrap_dim(dim, len(shape))
    return _reshape_inplace(self, squeeze_inplace_dim, {"dim": (d,) if shape and shape[d] == 1 else ()})


def unsqueeze_(self, dim):
    return _reshape_inplace(self, unsqueeze_inplace, {"dim": _wrap_dim(dim, self._data.ndim + 1)})


def t_(self):
    nd = self._data.ndim
    if nd > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {nd}D")
    return _reshape_inplace(self, _t_, {})


def transpose_(self, dim0, dim1):
    nd = self._data.ndim
    return _reshape_inplace(self, transpose_inplace, {"dim0": _wrap_dim(dim0, nd), "dim1": _wrap_dim(dim1, nd)})


def swapaxes_(self, axis0, axis1):
    return transpose_(self, axis0, axis1)


def swapdims_(self, dim0, dim1):
    return transpose_(self, dim0, dim1)


Tensor.squeeze_ = squeeze_
Tensor.unsqueeze_ = unsqueeze_
Tensor.t_ = t_
Tensor.transpose_ = transpose_
Tensor.swapaxes_ = swapaxes_
Tensor.swapdims_ = swapdims_


# ====================================================================== fill_diagonal_
# As PyTorch: the diagonal is a strided view of the tensor's memory (start at ``row``,
# ``size`` elements, the step the sum of the strides), filled in place.
def _diag_strided(a, size, row, lead=0):
    """(``lead``: leading dims kept as they are, a batch under vmap.)"""
    base = a[(builtins.slice(None),) * lead + (builtins.slice(row, None),)] if row else a
    return np.lib.stride_tricks.as_strided(base, a.shape[:lead] + (size,),
                                           a.strides[:lead] + (builtins.sum(a.strides[lead:]),),
                                           writeable=a.flags.writeable)


def _diag_strided_backward_forward(grad, shape, size, row, lead=0):
    out = np.zeros(shape, grad.dtype)
    _diag_strided(out, size, row, lead)[...] = grad
    return out


_diag_strided_backward = declare(
    "_diag_strided_backward", _diag_strided_backward_forward, node="AsStridedScatterBackward0",
    samples=[sample(T(3), shape=(3, 4), size=3, row=0, call="_diag_strided_backward"),
             sample(T(3), shape=(8, 2), size=3, row=3, call="_diag_strided_backward")],
    self=lambda grad, size, row, lead=0: _diag_strided_view(grad, size=size, row=row, lead=lead))

_diag_strided_view = declare(
    "_diag_strided", _diag_strided, node="AsStridedBackward0", view=True, public=False,
    samples=[sample(T(3, 4), 2.0, call="Tensor.fill_diagonal_", prep="clone", smooth=False),
             sample(T(7, 3), -1.0, wrap=True, call="Tensor.fill_diagonal_", prep="clone", smooth=False),
             sample(T(3, 3, 3), 0.5, call="Tensor.fill_diagonal_", prep="clone", smooth=False)],
    self=lambda grad, self_shape, size, row, lead=0: _diag_strided_backward(grad, shape=self_shape, size=size,
                                                                             row=row, lead=lead))


def fill_diagonal_(self, fill_value, wrap=False):
    shape = self._data.shape
    nd = len(shape)
    if nd < 2:
        raise RuntimeError("dimensions must larger than 1")
    height, width = shape[0], shape[1]
    if nd > 2 and any(n != height for n in shape[1:]):
        raise RuntimeError("all dimensions of input must be of equal length")
    size = builtins.min(height, width)
    step = width + 1
    wrapped = wrap and nd == 2 and height > width + 1
    if self._batched:
        # vmap: in-place writes into views of a batched tensor do not reach its history;
        # the diagonal (of a contiguous sample) as a mask filled into the tensor itself
        mask = np.zeros(shape, bool)
        _diag_strided(mask, size, 0)[...] = True
        if wrapped:
            _diag_strided(mask, (mask.size + step - 1) // step - size, step)[...] = True
        return self.masked_fill_(wrap_tensor(mask), fill_value)   # (``wrap`` is an argument here)
    _diag_strided_view(self, size=size, row=0).fill_(fill_value)
    if wrapped:
        _diag_strided_view(self, size=(self._data.size + step - 1) // step - size, row=step).fill_(fill_value)
    return self


Tensor.fill_diagonal_ = fill_diagonal_


# ====================================================================== put, put_
def _put_forward(a, index, source, accumulate=False):
    out = a.copy()
    flat = out.reshape(-1)
    if accumulate:
        np.add.at(flat, index.reshape(-1), source.reshape(-1))
    else:
        flat[index.reshape(-1)] = source.reshape(-1)
    return out


def _check_put(self, index, source, accumulate=False):
    _need_tensor("put", "index", index, 2)
    _need_tensor("put", "source", source, 3)
    if index._data.dtype != np.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {_LEGACY_NAMES[index._data.dtype.name]}")
    if self._data.dtype != source._data.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got self.dtype = "
                           f"{_LEGACY_NAMES[self._data.dtype.name]} and source.dtype = "
                           f"{_LEGACY_NAMES[source._data.dtype.name]}")
    if index._data.size != source._data.size:
        raise IndexError(f"put_(): Expected source and index to have the same number of elements, but got "
                         f"source.numel() = {source._data.size}, index.numel() = {index._data.size}")
    n = self._data.size
    idx = index._data
    if idx.size:
        bad = idx[(idx >= n) | (idx < -n)]
        if bad.size:
            raise IndexError(f"out of range: tried to access index {int(bad.reshape(-1)[0])} on a tensor of {n} "
                             "elements.")


_put = declare(
    "put", _put_forward, inputs=("self", "index", "source"), node="PutBackward0", public=False,
    samples=[sample(T(3, 4), T(3, dtype="int64", values=[0, 5, -1]), T(3), call="put"),
             sample(T(3, 4), T(2, 2, dtype="int64", values=[[0, 5], [5, 11]]), T(2, 2), True, call="Tensor.put"),
             sample(T(3, 4), T(2, dtype="int64", values=[1, 2]), T(2), accumulate=True, call="Tensor.put_",
                    prep="clone"),
             sample(T(5), T(0, dtype="int64"), T(0), call="put"),
             sample(T(), T(1, dtype="int64", values=[0]), T(1), call="put")],
    self=lambda grad, index, source_shape, accumulate=False: grad if accumulate else _put(
        grad, index, _zeros_for(grad, source_shape), accumulate=False),
    source=lambda grad, index, source_shape: grad.reshape(-1)[index.reshape(-1)].reshape(source_shape))


def put(input, index, source, accumulate=False):
    _need_tensor("put", "input", input)
    _check_put(input, index, source)
    return _put(input, index, source, accumulate=bool(accumulate))


FUNCTIONS["put"] = put
Tensor.put = put
Tensor.put_ = make_inplace(put)


# ====================================================================== unique_consecutive
def _unique_consecutive_forward(a, dim=None):
    if dim is None:
        shape = a.shape
        rows = a.reshape(-1, 1)
    else:
        shape = (a.shape[dim],)
        rows = np.moveaxis(a, dim, 0).reshape(a.shape[dim], a.size // a.shape[dim] if a.shape[dim] else 0)
    n = rows.shape[0]
    if n == 0:
        change = np.zeros(0, bool)
    else:
        change = np.any(rows[1:] != rows[:-1], axis=1)   # (NaN differs from NaN, as in PyTorch)
    starts = np.concatenate(([0], np.flatnonzero(change) + 1)) if n else np.zeros(0, np.int64)
    if dim is None:
        out = a.reshape(-1)[starts]
    else:
        out = dim_first_layout(np.take(a, starts, axis=dim), dim)
    inverse = np.concatenate(([0], np.cumsum(change))).astype(np.int64) if n else np.zeros(0, np.int64)
    counts = np.diff(np.append(starts, n)).astype(np.int64)
    return out, inverse.reshape(shape), counts


def _unique_consecutive_not_implemented(grad):
    raise NotImplementedError("the derivative for 'unique_consecutive' is not implemented.")


# PyTorch records a node whose backward refuses to run.
_unique_consecutive = declare(
    "unique_consecutive", _unique_consecutive_forward, node="UniqueConsecutiveBackward0", public=False,
    outputs=("output", "inverse_indices", "counts"), dynamic_shape=True,
    samples=[sample(T(8, dtype="int64", values=[1, 1, 2, 2, 3, 1, 1, 2]), return_inverse=True, return_counts=True,
                    call="unique_consecutive", smooth=False),
             sample(T(values=[[1.0, 3.0], [1.0, 3.0], [2.0, 3.0]], grad=False), dim=0, return_inverse=True,
                    return_counts=True, call="unique_consecutive", smooth=False),
             sample(T(values=[[1.0, 1.0, 2.0], [3.0, 3.0, 3.0]], grad=False), return_counts=True, dim=-1,
                    call="Tensor.unique_consecutive", smooth=False),
             sample(T(2, 3, grad=False), call="unique_consecutive", prep="requires_grad_", smooth=False)],
    self=_unique_consecutive_not_implemented)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    _need_tensor("unique_consecutive", "input", input)
    a = input._data
    if dim is not None:
        if a.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        dim = _wrap_dim(dim, a.ndim)
        if a.size == 0 and any(n == 0 for i, n in enumerate(a.shape) if i != dim):
            raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique cannot be applied")
    out, inv, counts = _unique_consecutive(input, dim=dim)
    return with_extras(out, (return_inverse, inv), (return_counts, counts))


FUNCTIONS["unique_consecutive"] = unique_consecutive
Tensor.unique_consecutive = unique_consecutive


# ====================================================================== sum_to_size, new_empty_strided
def sum_to_size(self, *size):
    from .shape import _shape_arg
    if not size:
        raise TypeError('sum_to_size() missing 1 required positional arguments: "size"')
    size = _shape_arg(size)
    shape = self._data.shape
    lead = len(shape) - len(size)
    if lead < 0 or any(s != n and s != 1 for s, n in zip(size, shape[lead:])):
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(shape)}}}.")
    if size == shape:
        return self
    dims = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(size) if s == 1 and shape[lead + i] != 1)
    out = self.sum(dims, keepdim=True) if dims else self
    return out.view(size) if lead else out


def new_empty_strided(self, size, stride, *, dtype=None, layout=None, device=None, pin_memory=False,
                      requires_grad=False):
    from .shape import _shape_arg
    size, stride = _shape_arg((size,)), _shape_arg((stride,))
    if len(size) != len(stride):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality of strides "
                           f"({len(stride)})")
    np_dtype = self._data.dtype if dtype is None else dtype.np
    n = 0 if any(s == 0 for s in size) else 1 + builtins.sum((s - 1) * st for s, st in zip(size, stride))
    buf = np.zeros(n, np_dtype)
    item = buf.itemsize
    data = np.lib.stride_tricks.as_strided(buf, size, tuple(st * item for st in stride))
    out = wrap(data)
    if requires_grad:
        out.requires_grad_(True)
    return out


Tensor.sum_to_size = sum_to_size
Tensor.new_empty_strided = new_empty_strided

# ====================================================================== in-place aliases
Tensor.negative_ = Tensor.neg_
FUNCTIONS["negative_"] = Tensor.neg_
Tensor.absolute_ = Tensor.abs_
Tensor.greater_ = Tensor.gt_
Tensor.greater_equal_ = Tensor.ge_
Tensor.less_ = Tensor.lt_
Tensor.less_equal_ = Tensor.le_
Tensor.not_equal_ = Tensor.ne_


# ====================================================================== index_reduce
# index_reduce(self, dim, index, source) is scatter_reduce with ``index`` spread along
# ``dim`` over source's shape: the same forward and the same backward (PyTorch's
# index_reduce_backward is scatter_reduce_backward with index_select for gather).

_index_reduce = declare(
    "index_reduce", _scatter_reduce2_forward, inputs=("self", "src"), node="IndexReduceBackward0", public=False,
    samples=[sample(T(3, 2), 0, T(3, dtype="int64", values=[0, 2, 0]), T(3, 2), red, include_self=inc,
                    call="index_reduce", smooth=red in ("prod", "mean"))
             for red in ("prod", "mean", "amax", "amin") for inc in (True, False)]
    + [sample(T(2, 4), 1, T(2, dtype="int64", values=[3, 1]), T(2, 2), "mean", call="Tensor.index_reduce"),
       sample(T(4, values=[1.0, 2.0, 3.0, 0.5]), 0, T(3, dtype="int64", values=[1, 1, 3]),
              T(3, values=[2.0, 2.0, 0.5]), "amax", call="index_reduce", smooth=False),
       sample(T(3, 2), -2, T(2, dtype="int64", values=[1, 1]), T(2, 2), "prod", include_self=False,
              call="Tensor.index_reduce_", prep="clone"),
       sample(T(), 0, T(1, dtype="int64", values=[0]), T(), "prod", call="index_reduce")],
    self=lambda grad, self, src, result, dim, index, reduce, include_self: _ir_grads(
        grad, self, src, result, dim, index, reduce, include_self, "self"),
    src=lambda grad, self, src, result, dim, index, reduce, include_self: _ir_grads(
        grad, self, src, result, dim, index, reduce, include_self, "src"))


def _ir_grads(grad, self, src, result, dim, index, reduce, include_self, want):
    """scatter_reduce's backward; a 0-d self and source taken as 1-element vectors."""
    if not self.ndim:
        g = _sr_grads(grad.reshape(1), self.reshape(1), src.reshape(1), result.reshape(1), dim, index, reduce,
                      include_self, want)
        return g.reshape(())
    return _sr_grads(grad, self, src, result, dim, index, reduce, include_self, want)


_warned_index_reduce = []


def index_reduce(input, dim, index, source, reduce, *, include_self=True, out=None):
    import warnings
    _need_tensor("index_reduce", "input", input)
    _need_tensor("index_reduce", "index", index, 3)
    _need_tensor("index_reduce", "source", source, 4)
    if not _warned_index_reduce:
        _warned_index_reduce.append(True)
        warnings.warn("index_reduce() is in beta and the API may change at any time.", UserWarning, stacklevel=2)
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    a, idx, src = input._data, index._data, source._data
    d = _wrap_dim(dim, a.ndim)
    if idx.ndim > 1:
        raise IndexError(f"index_reduce_(): Index is supposed to be a vector, but got dim: {idx.ndim} with type: "
                         f"{_LEGACY_NAMES[idx.dtype.name]} and size: {list(idx.shape)}")
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"index_reduce_(): Expected dtype int32/int64 for index but got: "
                           f"{_LEGACY_NAMES[idx.dtype.name]}")
    if a.dtype != src.dtype:
        raise RuntimeError(f"index_reduce_(): self ({_LEGACY_NAMES[a.dtype.name]}) and source "
                           f"({_LEGACY_NAMES[src.dtype.name]}) must have the same scalar type")
    if a.ndim != src.ndim and not (a.ndim <= 1 and src.ndim <= 1) or any(
            i != d and n != m for i, (n, m) in enumerate(zip(a.shape, src.shape))):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(a.shape)} source.shape = {list(src.shape)}")
    n_src = src.shape[d] if src.ndim else 1
    if idx.size != n_src:
        raise RuntimeError(f"index_reduce_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                           f"({n_src}), for dim: {d}")
    size = a.shape[d] if a.ndim else 1
    if idx.size and ((idx < 0) | (idx >= size)).any():
        raise IndexError("index out of range in self")
    if src.ndim:
        spread = idx.astype(np.int64).reshape((1,) * d + (-1,) + (1,) * (src.ndim - d - 1))
        spread = np.ascontiguousarray(np.broadcast_to(spread, src.shape))
    else:
        spread = idx.astype(np.int64).reshape(1)
    spread.flags.writeable = False
    res = _index_reduce(input, source, dim=d, index=spread, reduce=reduce, include_self=bool(include_self))
    if out is not None:
        _tape.refuse("index_reduce(out=) writes into out outside the recorded ops")
    return _write_out(out, res, "index_reduce")


def _index_reduce_method(self, dim, index, source, reduce, *, include_self=True):
    return index_reduce(self, dim, index, source, reduce, include_self=include_self)


FUNCTIONS["index_reduce"] = index_reduce
Tensor.index_reduce = _index_reduce_method
Tensor.index_reduce_ = make_inplace(_index_reduce_method)
