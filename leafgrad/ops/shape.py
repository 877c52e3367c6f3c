"""Shape ops and indexing. The view ops return views sharing data and version counter."""
import builtins

import numpy as np

from ._declare import constant, declare, install, make_inplace, FUNCTIONS, REGISTRY
from ._samples import T, sample
from .._size import Size
from .._dtype import dtype as _dtype_cls, from_numpy_dtype
from .. import _dtype
from .._tensor import Tensor, _wrap_dim, wrap, device as _device_cls
from ..autograd.graph import sum_to
from ..autograd.grad_mode import state as _state


def _shape_arg(shape):
    """``f(2, 3)`` and ``f((2, 3))`` both mean the shape (2, 3)."""
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)) and not (
            isinstance(shape[0], Tensor) and shape[0].dim() == 0):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def infer_shape(shape, numel):
    shape = list(shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{shape}' is invalid for input of size {numel}")
        shape[shape.index(-1)] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{shape}' is invalid for input of size {numel}")
    return tuple(shape)


# ---------------------------------------------------------------- view / reshape
def _view_forward(a, shape):
    try:
        return a.reshape(shape, copy=False)
    except ValueError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one dimension spans "
            "across two contiguous subspaces). Use .reshape(...) instead.") from None


view_ = declare("view", _view_forward, node="ViewBackward0", view=True, public=False,
                samples=[sample(T(3, 4), (2, 6), call="Tensor.view"), sample(T(3, 4), (-1,), call="reshape"),
                         sample(T(2, 3, 4), (4, -1), call="reshape")],
                self=lambda grad, self_shape: grad.reshape(self_shape))

unsafe_view = declare("_unsafe_view", lambda a, shape: a.reshape(shape), node="UnsafeViewBackward0",
                      public=False, samples=[sample(T(4, 3), (2, 6), call="reshape", prep="mT")],
                      self=lambda grad, self_shape: grad.reshape(self_shape))


def view(self, *shape):
    if len(shape) == 1 and hasattr(shape[0], "np"):  # view(dtype) reinterprets the bits
        return wrap(self._data.view(shape[0].np))
    return view_(self, shape=infer_shape(_shape_arg(shape), self._data.size))


def reshape(input, *shape):
    """A view when the data allows one, otherwise a copy (as PyTorch)."""
    target = infer_shape(_shape_arg(shape), input._data.size)
    try:
        input._data.reshape(target, copy=False)
    except ValueError:
        return unsafe_view(input.clone(), shape=target)
    return view_(input, shape=target)


def view_as(self, other):
    return view(self, other.shape)


def reshape_as(self, other):
    return reshape(self, other.shape)


def flatten(input, start_dim=0, end_dim=-1):
    nd = input._data.ndim
    if nd == 0:
        return reshape(input, 1)
    s, e = _wrap_dim(start_dim, nd), _wrap_dim(end_dim, nd)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    shape = input._data.shape
    return reshape(input, shape[:s] + (-1,) + shape[e + 1:])


# ---------------------------------------------------------------- transposes
transpose_ = declare("transpose", lambda a, dim0, dim1: np.swapaxes(a, dim0, dim1), node="TransposeBackward0",
                     view=True, public=False,
                     samples=[sample(T(3, 4), 0, 1, call="transpose"), sample(T(2, 3, 4), -1, 0, call="transpose")],
                     self=lambda grad, dim0, dim1: np.swapaxes(grad, dim0, dim1))


def transpose(input, dim0, dim1):
    nd = input._data.ndim
    return transpose_(input, dim0=_wrap_dim(dim0, nd), dim1=_wrap_dim(dim1, nd))


def _t_forward(a):
    if a.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {a.ndim}D")
    return a.T


t = declare("t", _t_forward, node="TBackward0", view=True, method=True, inplace=None,
            samples=[sample(T(3, 4)), sample(T(3))], self=lambda grad: grad.T)


def _permute_forward(a, dims):
    return np.transpose(a, dims)


permute_ = declare("permute", _permute_forward, node="PermuteBackward0", view=True, public=False,
                   samples=[sample(T(2, 3, 4), (2, 0, 1), call="permute"), sample(T(3, 4), call="Tensor.T.fget")],
                   self=lambda grad, dims: np.transpose(grad, np.argsort(dims)))


def permute(input, *dims):
    nd = input._data.ndim
    dims = tuple(_wrap_dim(d, nd) for d in _shape_arg(dims))
    if len(dims) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                           f"length of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal "
                           f"to len(dims) = {len(dims)}")
    if len(set(dims)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return permute_(input, dims=dims)


def _T(self):
    return permute_(self, dims=tuple(range(self._data.ndim))[::-1])


# ---------------------------------------------------------------- unsqueeze / squeeze / expand
unsqueeze_ = declare("unsqueeze", lambda a, dim: np.expand_dims(a, dim), node="UnsqueezeBackward0", view=True,
                     public=False, samples=[sample(T(3, 4), 1, call="unsqueeze"), sample(T(), 0, call="unsqueeze"),
                                            sample(T(3), -1, call="unsqueeze")],
                     self=lambda grad, dim: np.squeeze(grad, dim))


def unsqueeze(input, dim):
    return unsqueeze_(input, dim=_wrap_dim(dim, input._data.ndim + 1))


def _squeezable(shape, dims):
    return tuple(d for d in dims if shape[d] == 1)


squeeze_all = declare("squeeze", lambda a: a.reshape(tuple(s for s in a.shape if s != 1)),
                      node="SqueezeBackward0", view=True, public=False,
                      samples=[sample(T(1, 3, 1), call="squeeze")],
                      self=lambda grad, self_shape: grad.reshape(self_shape))
squeeze_dim = declare("squeeze.dim", lambda a, dim: np.squeeze(a, dim), node="SqueezeBackward1", view=True,
                      public=False, samples=[sample(T(1, 3, 1), 0, call="squeeze"), sample(T(2, 3), 1, call="squeeze")],
                      self=lambda grad, self_shape: grad.reshape(self_shape))
# PyTorch's matmul squeezes its result in place: the node is SqueezeBackward4.
squeeze_inplace_dim = declare("squeeze_.dim", lambda a, dim: np.squeeze(a, dim), node="SqueezeBackward4",
                              view=True, public=False, samples=[sample(T(4), T(4, 2), call="matmul")],
                              self=lambda grad, self_shape: grad.reshape(self_shape))
squeeze_dims = declare("squeeze.dims", lambda a, dim: np.squeeze(a, dim), node="SqueezeBackward2", view=True,
                       public=False, samples=[sample(T(1, 3, 1), (0, 2), call="squeeze")],
                       self=lambda grad, self_shape: grad.reshape(self_shape))


def squeeze(input, dim=None):
    shape = input._data.shape
    if dim is None:
        return squeeze_all(input)
    if isinstance(dim, (tuple, list)):
        dims = tuple(_wrap_dim(d, len(shape)) for d in dim)
        return squeeze_dims(input, dim=_squeezable(shape, dims))
    d = _wrap_dim(dim, len(shape))
    return squeeze_dim(input, dim=_squeezable(shape, (d,)) if shape else ())


def _expand_forward(a, size):
    out = np.broadcast_to(a, size)
    if out.size == a.size and a.flags.writeable:
        return a.reshape(size)   # (nothing repeats: a writable view, which in-place ops may write, as PyTorch's)
    return out


expand_ = declare("expand", _expand_forward, node="ExpandBackward0", view=True, public=False,
                  samples=[sample(T(3, 1), (3, 4), call="Tensor.expand"), sample(T(4), (2, 3, 4), call="Tensor.expand"),
                           sample(T(), (2,), call="Tensor.expand")],
                  self=lambda grad, self_shape: sum_to(grad, self_shape))


def _check_expandable(shape, sizes):
    """PyTorch's errors for expanding ``shape`` to ``sizes``; returns the target shape."""
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand(torch.FloatTensor{{{list(shape)}}}, size={list(sizes)}): the number of sizes provided "
            f"({len(sizes)}) must be greater or equal to the number of dimensions in the tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    target = list(sizes)
    for i, n in enumerate(shape):
        want = sizes[lead + i]
        if want == -1:
            target[lead + i] = n
        elif n != want and n != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({want}) must match the existing size ({n}) at non-singleton "
                f"dimension {lead + i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(shape)}")
    return tuple(target)


def expand(self, *sizes):
    return expand_(self, size=_check_expandable(self._data.shape, _shape_arg(sizes)))


def expand_as(self, other):
    return expand(self, other.shape)


def _broadcast_to(input, shape):
    return expand(input, shape)


# ---------------------------------------------------------------- copies and conversions
clone = declare("clone", lambda a, memory_format=None: a.copy(), method=True, samples=[sample(T(3, 4))],
                self=lambda grad: grad)


def contiguous(self, memory_format=None):
    return self if self._data.flags.c_contiguous else clone(self)


to_copy = declare("_to_copy", lambda a, dtype: a.astype(dtype), node="ToCopyBackward0", public=False,
                  samples=[sample(T(3, 4), call="Tensor.float"), sample(T(3, dtype="float32"), call="Tensor.double")],
                  self=lambda grad, self_dtype: _cast(grad, self_dtype))


def _cast(grad, np_dtype):
    if isinstance(grad, (np.ndarray, np.generic)):   # (a formula may give a NumPy scalar)
        return np.asarray(grad).astype(np_dtype)
    return grad.to(from_numpy_dtype(np_dtype))


def to(self, *args, **kwargs):
    """``to(dtype)``, ``to(device)``, ``to(other)``, ``to(device, dtype)``; returns self
    when nothing changes (unless ``copy=True``)."""
    dtype = kwargs.get("dtype")
    copy = kwargs.get("copy", False)
    for a in args:
        if isinstance(a, _dtype_cls):
            dtype = a
        elif isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, (str, _device_cls)):
            _device_cls(a)  # refuses anything but the CPU
    if "device" in kwargs and kwargs["device"] is not None:
        _device_cls(kwargs["device"])
    if dtype is None or dtype.np == self._data.dtype:
        return clone(self) if copy else self
    return to_copy(self, dtype=dtype.np)


def _converter(d):
    def convert(self, memory_format=None):
        return to(self, d)
    return convert


# ---------------------------------------------------------------- indexing
def _select_key(dim, index):
    # The trailing Ellipsis keeps a selection down to 0-d a view, not a NumPy scalar.
    return (builtins.slice(None),) * dim + (index, Ellipsis)


select_ = declare("select", lambda a, dim, index: a[_select_key(dim, index)], node="SelectBackward0", view=True,
                  public=False, samples=[sample(T(3, 4), 1, 2, call="select"), sample(T(3, 4), 0, -1, call="select")],
                  self=lambda grad, self_shape, dim, index: embed(grad, shape=self_shape,
                                                                  key=_select_key(dim, index)))


def select(input, dim, index):
    shape = input._data.shape
    if not shape:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = _wrap_dim(dim, len(shape))
    size = shape[dim]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(shape)} at dimension {dim}")
    return select_(input, dim=dim, index=index + size if index < 0 else index)


slice_ = declare("slice", lambda a, dim, start, end, step: a[_select_key(dim, builtins.slice(start, end, step))],
                 node="SliceBackward0", view=True, public=False,
                 samples=[sample(T(5, 4), (builtins.slice(1, 4),), call="Tensor.__getitem__"),
                          sample(T(5, 4), (builtins.slice(None), builtins.slice(0, None, 2)), call="Tensor.__getitem__")],
                 self=lambda grad, self_shape, dim, start, end, step: embed(
                     grad, shape=self_shape, key=_select_key(dim, builtins.slice(start, end, step))))


def _embed_forward(grad, shape, key):
    out = np.zeros(shape, grad.dtype)
    out[key] = grad
    return out


# The adjoint of basic indexing: place ``grad`` at ``key`` in zeros of ``shape``.
embed = declare("_embed", _embed_forward, node="SliceBackwardBackward0", public=False,
                samples=[sample(T(2, 3), shape=(4, 3), key=(builtins.slice(1, 3),), call="_embed")],
                self=lambda grad, key: grad[key])


def _index_forward(a, indices):
    return a[indices]


def _index_backward_forward(grad, shape, indices):
    out = np.zeros(shape, grad.dtype)
    np.add.at(out, indices, grad)
    return out


index_ = declare("index", _index_forward, node="IndexBackward0", public=False,
                 dynamic_shape=lambda indices: any(getattr(k, "dtype", None) == bool for k in indices),
                 samples=[sample(T(5, 3), ([0, 2, 2],), call="Tensor.__getitem__"),
                          sample(T(4, 3), (T(4, dtype="bool", grad=False),), call="Tensor.__getitem__")],
                 self=lambda grad, self_shape, indices: index_backward(grad, shape=self_shape, indices=indices))

# Advanced indexing's adjoint sums over repeated indices; its own derivative is indexing.
index_backward = declare("_index_backward", _index_backward_forward, node="IndexPutBackward0", public=False,
                         samples=[sample(T(3, 2), shape=(4, 2), indices=(np.array([0, 2, 2]),),
                                         call="_index_backward")],
                         self=lambda grad, indices: grad[indices])


def _normalize_key(key):
    if not isinstance(key, tuple):
        key = (key,)
    return key


def _is_advanced(k):
    return isinstance(k, (list, np.ndarray, Tensor)) and not (isinstance(k, Tensor) and k._data.ndim == 0
                                                              and k._data.dtype.kind in "iu")


def _index_array(k):
    if isinstance(k, Tensor):
        return np.asarray(k._data)
    a = np.asarray(k)
    return a if a is k else constant(a)


def getitem(self, key):
    """Basic indexing (ints, slices, None, ...) is a chain of views as in PyTorch:
    select, slice and unsqueeze nodes; integer-array and boolean indexing copies."""
    key = _normalize_key(key)
    if builtins.any(_is_advanced(k) for k in key):
        idx = tuple(_index_array(k) if _is_advanced(k) else (int(k) if isinstance(k, Tensor) else k) for k in key)
        for k in idx:
            if isinstance(k, np.ndarray) and k.dtype.kind not in "biu":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        try:
            self._data[idx]
        except IndexError as e:
            raise IndexError(str(e)) from None
        return index_(self, indices=idx)
    nd = self._data.ndim
    used = builtins.sum(1 for k in key if k is not None and k is not Ellipsis)
    if used > nd:
        raise IndexError(f"too many indices for tensor of dimension {nd}")
    out = self
    dim = 0
    for k in key:
        if k is Ellipsis:
            dim += nd - used
            nd = used  # only one ellipsis expands
        elif k is None:
            out = unsqueeze_(out, dim=dim)
            dim += 1
        elif isinstance(k, builtins.slice):
            size = out._data.shape[dim]
            start, stop, step = k.indices(size)
            if k.step is not None and k.step <= 0:
                raise ValueError("step must be greater than zero")
            if (start, stop, step) != (0, size, 1):
                out = slice_(out, dim=dim, start=start, end=builtins.max(stop, start), step=step)
            elif out is self:
                out = slice_(out, dim=dim, start=0, end=size, step=1)
            dim += 1
        else:
            i = int(k)
            size = out._data.shape[dim]
            if not -size <= i < size:
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {size}")
            out = select_(out, dim=dim, index=i + size if i < 0 else i)
    if out is self:
        out = alias(self)
    return out


alias = declare("alias", lambda a: a[...], node="AliasBackward0", view=True, public=False,
                samples=[sample(T(3), (Ellipsis,), call="Tensor.__getitem__")], self=lambda grad: grad)


def _setitem_forward(a, value, key):
    out = a.copy()
    out[key] = value
    return out


def _mask_out(grad, key):
    keep = np.ones(grad.shape, dtype=bool)
    keep[key] = False
    return np.where(keep, grad, 0)


copy_slices = declare("_copy_slices", _setitem_forward, inputs=("self", "src"), node="CopySlices", public=False,
                      samples=[sample(T(3, 4), (0,), T(4), call="Tensor.__setitem__", prep="clone"),
                               sample(T(3, 4), (builtins.slice(0, 2), 1), 2.0, call="Tensor.__setitem__",
                                      prep="clone")],
                      self=lambda grad, key: _mask_out(grad, key),
                      src=lambda grad, src_shape, key: sum_to(grad[key], src_shape))
REGISTRY["_copy_slices"].node_cls._cname = "torch::autograd::CopySlices"


def setitem(self, key, value):
    key = _normalize_key(key)
    idx = tuple(np.asarray(k._data) if isinstance(k, Tensor) and _is_advanced(k) else
                (int(k) if isinstance(k, Tensor) else k) for k in key)
    if isinstance(value, Tensor):
        if value._data.dtype != self._data.dtype:
            value = to(value, self.dtype)
    elif isinstance(value, np.ndarray):
        value = np.asarray(value, dtype=self._data.dtype)
    else:   # a Python number or list: a constant (a captured step keeps it as it is)
        value = constant(np.array(value, dtype=self._data.dtype))
    if _state.enabled and self._grad_fn is None and self._requires_grad:
        # Indexing makes a view first in PyTorch, hence the wording.
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
    vshape = np.shape(value._data if isinstance(value, Tensor) else value)
    while len(vshape) > self._data[idx].ndim and vshape[0] == 1:
        vshape = vshape[1:]  # leading ones are dropped, as PyTorch does
    _check_expandable(vshape, self._data[idx].shape)
    _setitem_inplace(self, value, key=idx)


_setitem_inplace = make_inplace(copy_slices)


# ---------------------------------------------------------------- unbind
unbind_ = declare("unbind", lambda a, dim: tuple(a[_select_key(dim, i)] for i in range(a.shape[dim])),
                  node="UnbindBackward0", view=True,
                  public=False, outputs=(), samples=[sample(T(3, 4), 0, call="unbind"), sample(T(3, 4), 1, call="unbind")],
                  self=lambda grads, dim, self_shape: _stack_back(grads, dim, self_shape))


def _stack_back(grads, dim, shape):
    out = None
    for i, g in enumerate(grads):
        part = embed(g, shape=shape, key=_select_key(dim, i))
        out = part if out is None else out + part
    return out


def unbind(input, dim=0):
    return unbind_(input, dim=_wrap_dim(dim, input._data.ndim))


# ---------------------------------------------------------------- install
FUNCTIONS.update(reshape=reshape, flatten=flatten, transpose=transpose, swapaxes=transpose, permute=permute,
                 unsqueeze=unsqueeze, squeeze=squeeze, broadcast_to=_broadcast_to, select=select, unbind=unbind,
                 _embed=embed,
                 _index_backward=index_backward)
for _name, _fn in dict(view=view, view_as=view_as, reshape=reshape, reshape_as=reshape_as, flatten=flatten,
                       transpose=transpose, swapaxes=transpose, permute=permute, unsqueeze=unsqueeze,
                       squeeze=squeeze, expand=expand, expand_as=expand_as, broadcast_to=_broadcast_to,
                       contiguous=contiguous, to=to, select=select, unbind=unbind,
                       __getitem__=getitem, __setitem__=setitem).items():
    setattr(Tensor, _name, _fn)
Tensor.T = property(_T)
Tensor.mT = property(lambda self: transpose(self, -2, -1))
for _name, _d in dict(float=_dtype.float32, double=_dtype.float64, half=_dtype.float16, long=_dtype.int64,
                      int=_dtype.int32, short=_dtype.int16, char=_dtype.int8, byte=_dtype.uint8,
                      bool=_dtype.bool).items():
    setattr(Tensor, _name, _converter(_d))
def _np_transpose(a, axes=None):
    """``np.transpose`` on a Tensor: ``t()`` for matrices (as PyTorch's formulas transpose),
    a permutation otherwise."""
    if axes is None:
        return t(a) if a.dim() <= 2 else permute(a, tuple(range(a.dim()))[::-1])
    return permute(a, tuple(axes))


from .._tensor import HANDLED_FUNCTIONS  # noqa: E402
HANDLED_FUNCTIONS.update({np.broadcast_to: _broadcast_to, np.expand_dims: lambda a, axis: _expand_dims(a, axis),
                          np.squeeze: lambda a, axis=None: squeeze(a, axis), np.swapaxes: transpose,
                          np.transpose: _np_transpose,
                          np.reshape: lambda a, shape, **k: reshape(a, shape)})


def _expand_dims(a, axis):
    for d in sorted((axis,) if isinstance(axis, int) else axis):
        a = unsqueeze(a, d)
    return a
Tensor._unsafe_view = lambda self, shape: unsafe_view(self, shape=tuple(shape))


# ---------------------------------------------------------------- joining
def _split_back(grad, dim, tensors_shapes):
    """The adjoint of concatenation: slice ``grad`` back into the pieces."""
    out, start = [], 0
    for shape in tensors_shapes:
        n = shape[dim] if len(shape) else 0
        out.append(grad[_select_key(dim, builtins.slice(start, start + n))] if len(shape) else None)
        start += n
    return out


cat_ = declare("cat", lambda *arrays, dim: np.concatenate(arrays, axis=dim), inputs=("*tensors",),
               node="CatBackward0", public=False,
               samples=[sample([T(2, 3), T(1, 3)], call="cat"), sample([T(2, 3), T(2, 2)], dim=1, call="cat")],
               tensors=lambda grad, dim, tensors_shapes: _split_back(grad, dim, tensors_shapes))


def cat(tensors, dim=0, *, out=None):
    """Join tensors along an existing dim."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    # PyTorch skips legacy empty 1-D tensors of shape (0,)
    nd = builtins.max(t.dim() for t in tensors)
    d = _wrap_dim(dim, nd)
    from .._dtype import result_type_of
    target = result_type_of([t for t in tensors])
    for i, t in enumerate(tensors):
        if t.dim() != nd and t.shape != (0,):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {nd} and {t.dim()}")
    ref = tensors[0].shape
    for i, t in enumerate(tensors[1:], 1):
        for k in range(nd):
            if k != d and t.shape[k] != ref[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size {ref[k]} "
                                   f"but got size {t.shape[k]} for tensor number {i} in the list.")
    tensors = [t if t._data.dtype == target.np else to(t, target) for t in tensors]
    return cat_(tensors, dim=d)


def _unbind_back(grad, dim, tensors_shapes):
    return [select_(grad, dim=dim, index=i) if isinstance(grad, Tensor) else grad[_select_key(dim, i)]
            for i in range(len(tensors_shapes))]


stack_ = declare("stack", lambda *arrays, dim: np.stack(arrays, axis=dim), inputs=("*tensors",),
                 node="StackBackward0", public=False,
                 samples=[sample([T(2, 3), T(2, 3)], 1, call="stack"), sample([T(), T()], call="stack")],
                 tensors=_unbind_back)


def stack(tensors, dim=0, *, out=None):
    """Join tensors along a new dim."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0].shape
    for i, t in enumerate(tensors):
        if t.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 and "
                               f"{list(t.shape)} at entry {i}")
    d = _wrap_dim(dim, len(shape) + 1)
    from .._dtype import result_type_of
    target = result_type_of(tensors)
    return stack_([t if t._data.dtype == target.np else to(t, target) for t in tensors], dim=d)


FUNCTIONS.update(cat=cat, concat=cat, concatenate=cat, stack=stack)
HANDLED_FUNCTIONS.update({np.concatenate: lambda arrays, axis=0, **k: cat(arrays, axis),
                          np.stack: lambda arrays, axis=0, **k: stack(arrays, axis)})
