"""Tensor utilities PyTorch has and the other modules lack: metadata queries (type_as,
is_nonzero, itemsize, nbytes, layout, storage_offset, ...), unfold (a strided view),
the scatter ops (select/slice/diagonal_scatter), narrow_copy, in-place shape changes
(squeeze_, unsqueeze_, t_, transpose_), and a few in-place aliases."""
import builtins
import functools

import numpy as np

from ._declare import FUNCTIONS, check_inplace, declare, make_inplace
from ._samples import T, sample
from .shape import embed, squeeze_inplace_dim, _select_key
from .matrix import _diagonal_view, _diag_dims, _diagonal
from .._tensor import Tensor, _wrap_dim, make, wrap
from ..autograd import grad_mode

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
    """Elements from the start of the base's memory (0 for a tensor that owns its memory)."""
    base = self._base
    if base is None:
        return 0
    a, b = self._data, base._data
    delta = a.__array_interface__["data"][0] - b.__array_interface__["data"][0]
    return builtins.max(delta // a.itemsize, 0)


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
