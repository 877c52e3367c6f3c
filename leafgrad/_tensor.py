"""Tensor: a NumPy array plus autograd metadata.

The arithmetic operators and math methods are not here: each op's declaration in
``leafgrad/ops`` installs its method on this class, so this module imports no op.
"""
import warnings

import numpy as np

from . import _dtype, _tape
from ._size import Size
from .autograd import grad_mode

_new = object.__new__
_ndarray = np.ndarray
_grad_state = grad_mode.state

# NumPy protocol dispatch tables, filled in by the op declarations.
HANDLED_UFUNCS = {}
HANDLED_FUNCTIONS = {}

_LEGACY_NAMES = {
    "float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
    "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool", "uint16": "UInt16", "uint32": "UInt32",
    "uint64": "UInt64", "complex64": "ComplexFloat", "complex128": "ComplexDouble",
}


def legacy_type_name(np_dtype):
    """'torch.FloatTensor' and friends, as PyTorch's messages name tensor types."""
    return f"torch.{_LEGACY_NAMES[np.dtype(np_dtype).name]}Tensor"


from_np_dtype = _dtype.from_numpy_dtype


class device:
    """Where a tensor lives: always the CPU here."""

    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        kind, _, idx = str(type).partition(":")
        if kind != "cpu":
            raise RuntimeError(f"leafgrad runs on the CPU only; device {type!r} is not available")
        self.type = kind
        self.index = int(idx) if idx else index

    def __repr__(self):
        return f"device(type='{self.type}')" if self.index is None else \
            f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))


CPU = device("cpu")


class Tensor:
    """A multi-dimensional array that can record the operations applied to it.

    Hot attributes live in slots. Rare ones (hooks, view replay, the accumulator) live
    in the instance dict, created only when used, with class-level defaults, so that
    making a tensor costs a handful of attribute stores."""

    __slots__ = ("_data", "_grad_fn", "_requires_grad", "_vc", "_base", "_grad", "_out_nr",
                 "__dict__", "__weakref__")

    # Rare attributes, defaults for every instance.
    _acc = None              # weakref to this leaf's AccumulateGrad node
    _hooks = None            # register_hook hooks of a leaf
    _post_acc_hooks = None   # register_post_accumulate_grad_hook hooks
    _retains_grad = False
    _view_fn = None          # replays this view on its base: (fn, args, parent view_fn)
    _view_of = None          # the base's grad_fn when this view's grad_fn was made
    _inference = False
    _untracked = None        # why a tensor made from ones that require grad has no graph
    _inherits_grad = False   # a view made with grad mode off: requires grad through its base only
    _fw = None               # forward AD: {level: tangent} (see autograd/forward_ad.py)
    _batched = False         # vmap's BatchedTensor: its _data is one sample of a batch

    __hash__ = object.__hash__
    __array_priority__ = 1000

    # ------------------------------------------------------------------ construction
    def __new__(cls, *args, **kwargs):
        """The legacy constructor: ``Tensor(2, 3)`` (uninitialised, here zeros) or
        ``Tensor([1, 2])`` (default float dtype)."""
        from ._creation import tensor, zeros
        if len(args) == 1 and not isinstance(args[0], int):
            data = args[0]
            out = data.detach() if isinstance(data, Tensor) else tensor(
                data, dtype=_dtype.get_default_dtype())
        else:
            out = zeros(*args, dtype=_dtype.get_default_dtype())
        if cls is not Tensor:
            sub = _new(cls)
            sub._adopt(out)
            return sub
        return out

    def _adopt(self, other):
        """Become a leaf sharing ``other``'s data (used by subclasses like Parameter)."""
        self._data = other._data
        self._vc = other._vc
        self._grad_fn = None
        self._requires_grad = False
        self._base = None
        self._grad = None
        self._out_nr = 0

    # ------------------------------------------------------------------ basic properties
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    def dim(self):
        return self._data.ndim

    ndim = property(dim)
    ndimension = dim

    def numel(self):
        return self._data.size

    nelement = numel

    @property
    def dtype(self):
        return _dtype._FROM_NP[self._data.dtype]

    @property
    def device(self):
        return CPU

    is_cuda = False
    is_sparse = False
    is_quantized = False
    is_meta = False

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def is_complex(self):
        return False

    def is_signed(self):
        return self.dtype.is_signed

    def element_size(self):
        return self._data.itemsize

    def stride(self, dim=None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[_wrap_dim(dim, self._data.ndim)]

    def is_contiguous(self, memory_format=None):
        return self._data.flags.c_contiguous

    def data_ptr(self):
        return self._data.__array_interface__["data"][0]

    def type(self, dtype=None):
        if dtype is None:
            return legacy_type_name(self._data.dtype)
        return self.to(dtype)

    def is_inference(self):
        return self._inference

    def cpu(self):
        return self

    def cuda(self, *args, **kwargs):
        raise AssertionError("Torch not compiled with CUDA enabled")

    # ------------------------------------------------------------------ autograd attributes
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if self._grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables." + (
                "" if value else " If you want to use a computed variable in a subgraph that doesn't require "
                "differentiation use var_no_grad = var.detach()."))
        if value and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad=True):
        requires_grad = bool(requires_grad)
        if self._grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to use a "
                    "computed variable in a subgraph that doesn't require differentiation use "
                    "var_no_grad = var.detach().")
            return self
        if requires_grad:
            if self._data.dtype.kind != "f":
                raise RuntimeError("only Tensors of floating point dtype can require gradients")
            if self._inference and not grad_mode.state.inference:
                raise RuntimeError(
                    "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed.")
        if self._inherits_grad:   # (its own flag: True gives it an accumulator; its base's stays)
            if not requires_grad:
                return self
            del self.__dict__["_inherits_grad"]
        self._requires_grad = requires_grad
        return self

    @property
    def is_leaf(self):
        return self._grad_fn is None

    @property
    def grad_fn(self):
        if self._base is not None and self._view_fn is not None:
            refresh_view(self)
        return self._grad_fn

    @property
    def output_nr(self):
        return self._out_nr

    @property
    def _version(self):
        return self._vc[0]

    @property
    def grad(self):
        if self._grad_fn is not None and not self._retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
                "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
                "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
                "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
                "instead. See github.com/pytorch/pytorch/pull/30531 for more information.",
                UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError("assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_C_TYPE_NAMES[value._data.dtype.name]}' "
                    f"to a tensor with grad_dtype '{_LEGACY_NAMES[self._data.dtype.name]}'. The gradient "
                    "must match the tensor's grad_dtype (defaults to the tensor's dtype). You can set the "
                    "tensor's grad_dtype attribute with a specific dtype, or None to allow any dtype. Set "
                    "grad_dtype with caution. Diverging the dtypes of a tensor and its gradient may break "
                    "downstream systems that assume they match.")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._data.shape)}' to a tensor of "
                    f"size '{list(self._data.shape)}'. Please ensure that the gradient and the tensor are "
                    "the same size")
        if _tape.recording is not None:
            _tape.recording.set_grad(self, value)
        self._grad = value

    @grad.deleter
    def grad(self):
        if _tape.recording is not None:
            _tape.recording.set_grad(self, None)
        self._grad = None

    @property
    def retains_grad(self):
        return self._retains_grad

    def retain_grad(self):
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is None or self._retains_grad:
            return
        import weakref
        fn = self.grad_fn
        if fn._retain is None:
            fn._retain = {}
        fn._hooked = True
        fn._retain[self._out_nr] = weakref.ref(self)
        self._retains_grad = True

    def register_hook(self, hook):
        """``hook(grad)`` runs when the gradient of this tensor is computed; it may return
        a replacement. Returns a handle whose ``remove()`` unregisters it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is None:
            if self._hooks is None:
                from .autograd.graph import _Hooks
                self._hooks = _Hooks()
            return self._hooks.add(hook)
        return self.grad_fn._register_tensor_hook(self._out_nr, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """``hook(tensor)`` runs after the gradient has been accumulated into ``.grad``."""
        if self._grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._post_acc_hooks is None:
            from .autograd.graph import _Hooks
            self._post_acc_hooks = _Hooks()
        return self._post_acc_hooks.add(hook)

    def detach(self):
        """A tensor sharing this one's data and version counter, outside the graph."""
        out = wrap(self._data)
        out._vc = self._vc
        if self._requires_grad:
            out.__dict__["_untracked"] = "detached"
        return out

    def detach_(self):
        if self._base is not None:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set as True, "
                "gradients are views of DDP buckets, and hence detach_() cannot be called on these "
                "gradients. To fix this error, please refer to the Optimizer.zero_grad() function in "
                "torch/optim/optimizer.py as the solution.")
        self._grad_fn = None
        self._requires_grad = False
        self._out_nr = 0
        return self

    @property
    def data(self):
        # Shares memory but not the version counter, as in PyTorch: changes made
        # through .data are invisible to autograd.
        return wrap(self._data)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, not {type(value).__name__}")
        _tape.refuse("it assigns a tensor's .data")
        self._data = value._data

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute the gradient of this tensor with respect to the graph leaves."""
        _autograd().backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # ------------------------------------------------------------------ conversion
    def numpy(self, *, force=False):
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        if dtype is not None and arr.dtype != dtype:
            return arr.astype(dtype)
        return arr.copy() if copy else arr

    def item(self):
        _tape.read("item()")
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        _tape.read("tolist()")
        return self._data.tolist()

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self):
        _tape.read("bool()")
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()))

    def __float__(self):
        self._warn_scalar()
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def _warn_scalar(self):
        # PyTorch warns once per process.
        if self._requires_grad and not _warned_scalar:
            globals()["_warned_scalar"] = True
            warnings.warn("Converting a tensor with requires_grad=True to a scalar may lead to unexpected "
                          "behavior.\nConsider using tensor.detach() first.", UserWarning, stacklevel=3)

    def __index__(self):
        _tape.read("an index")
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.reshape(()))

    def __complex__(self):
        return complex(self.item())

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __repr__(self):
        from ._tensor_str import format_tensor
        return format_tensor(self._data, dtype_suffix=_dtype_suffix(self._data),
                             extras=self._repr_extras())

    def _repr_extras(self):
        fn = self._grad_fn
        extras = (f"grad_fn=<{type(fn).__name__}>",) if fn is not None else \
            ("requires_grad=True",) if self._requires_grad else ()
        if self._fw is not None:
            from .autograd.forward_ad import repr_tangent
            extras += repr_tangent(self)
        return extras

    __str__ = __repr__

    def __deepcopy__(self, memo):
        if self._grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the "
                               "deepcopy protocol at the moment.  If you were attempting to deepcopy a "
                               "module, this may be because of a torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        if id(self) in memo:
            return memo[id(self)]
        out = _new(type(self))
        out._adopt(wrap(self._data.copy()))
        out._requires_grad = self._requires_grad
        if self._grad is not None:
            out._grad = self._grad.__deepcopy__(memo)
        if type(self) is not Tensor and hasattr(self, "__dict__"):
            for k, v in self.__dict__.items():
                if not k.startswith("_"):
                    setattr(out, k, v)
        memo[id(self)] = out
        return out

    # ------------------------------------------------------------------ NumPy protocols
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """NumPy ufuncs on tensors run leafgrad's op, so they stay differentiable."""
        fn = HANDLED_UFUNCS.get(ufunc) if method == "__call__" else None
        if fn is None or kwargs.get("out") is not None:
            return NotImplemented
        return fn(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        fn = HANDLED_FUNCTIONS.get(func)
        if fn is None:
            return NotImplemented
        return fn(*args, **kwargs)


_warned_scalar = False


def _autograd():
    """The autograd package (imported on first use: it imports this module)."""
    global _autograd_mod
    if _autograd_mod is None:
        from . import autograd
        _autograd_mod = autograd
    return _autograd_mod


_autograd_mod = None

_C_TYPE_NAMES = {
    "float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
    "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
    "uint16": "short unsigned int", "uint32": "unsigned int", "uint64": "long unsigned int",
}


def _dtype_suffix(data):
    """PyTorch shows ``dtype=`` unless the dtype is the default float, or int64 or bool
    for a non-empty tensor."""
    np_dtype = data.dtype
    if np_dtype == _dtype.default_float_np() or data.size and (np_dtype.kind == "b" or np_dtype == np.int64):
        return None
    return repr(_dtype._FROM_NP[np_dtype])


def _wrap_dim(dim, ndim):
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


# ---------------------------------------------------------------------- fast constructors
def wrap(data):
    """A tensor outside the graph around an ndarray (the no-grad fast path)."""
    t = _new(Tensor)
    t._data = data
    t._grad_fn = None
    t._requires_grad = False
    t._vc = [0]
    t._base = None
    t._grad = None
    t._out_nr = 0
    if _grad_state.inference:
        t._inference = True
    return t


def make(data, grad_fn, out_nr=0):
    """A non-leaf tensor produced by ``grad_fn``."""
    t = _new(Tensor)
    t._data = data
    t._grad_fn = grad_fn
    t._requires_grad = True
    t._vc = [0]
    t._base = None
    t._grad = None
    t._out_nr = out_nr
    return t


def refresh_view(view):
    """After an in-place op on its base (or any change of the memory, even with grad mode
    off), a view's history must go through the base's new history, as PyTorch rebuilds it
    lazily: ``as_strided`` of the base with the view's geometry (``AsStridedBackward0``),
    or, for a view of another dtype, the view ops replayed on the base."""
    base = view._base
    d = view.__dict__
    if view._view_of is base._grad_fn and d.get("_at") == view._vc[0] or not base._requires_grad:
        return   # (no change to the base's history, nor to the memory, since the view's history was made)
    if "_creation" in d:   # (made with grad mode off, or by unbind / split: no history to rebuild)
        from .ops._declare import view_rebase_error
        raise view_rebase_error(view, indirect=True)
    with grad_mode.enable_grad():
        if view._data.dtype == base._data.dtype:
            from .ops.strided import as_strided, geometry
            size, stride, offset = geometry(view._data)
            fresh = as_strided(base, size, stride, offset)
        else:
            fresh = replay_view(view._view_fn, base)
    view._grad_fn = fresh._grad_fn
    view._out_nr = fresh._out_nr
    view._requires_grad = True
    d["_view_of"] = base._grad_fn
    d["_at"] = view._vc[0]


def replay_view(view_fn, base):
    """Apply to ``base`` the chain of view ops that made a view: ``(replay, parent)``."""
    replay, parent = view_fn
    return replay(base if parent is None else replay_view(parent, base))
