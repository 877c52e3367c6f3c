"""``as_strided``: a view of a tensor's storage with any sizes, strides and offset.

A tensor's storage is the memory of the NumPy array that owns its data (a view's base
array). Sizes, strides and the offset count elements of that memory, from its start,
as PyTorch counts them in a storage.

It is also what a view becomes after an in-place change of its base, or of another view
of the base: PyTorch rebuilds such a view's history as ``as_strided`` of the base's new
history (``AsStridedBackward0``), and so does ``refresh_view``.

Its derivative (PyTorch's ``as_strided_backward``) goes through the storage: the
gradient is scattered to the storage elements the output shows, summed where the output
shows one element several times, then read back at the elements the input shows
(divided by how many times the input shows each, where it shows one several times).
"""
import builtins

import numpy as np

from ._declare import FUNCTIONS, declare, memory_owner
from ._samples import T, sample
from .._tensor import Tensor


def storage_of(a):
    """The array that owns ``a``'s memory, and ``a``'s offset in it, in elements."""
    root = memory_owner(a)
    delta = a.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    return root, delta // a.itemsize


def geometry(a):
    """``(sizes, strides, storage offset)`` of an array, in elements."""
    return a.shape, tuple(s // a.itemsize for s in a.strides), storage_of(a)[1]


def _extent(size, stride, offset):
    """How many storage elements a geometry reaches (``offset`` for an empty one)."""
    if 0 in size:
        return offset
    return offset + 1 + builtins.sum((n - 1) * s for n, s in zip(size, stride))


def _as_strided_forward(a, size, stride, storage_offset, input_geometry=None):
    root, _ = storage_of(a)
    item = a.itemsize
    need = _extent(size, stride, storage_offset)
    if need * item > root.nbytes:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset "
                           f"{storage_offset}, and itemsize {item} requiring a storage size of {need * item} are "
                           f"out of bounds for storage of size {root.nbytes}")
    out = np.ndarray(size, a.dtype, buffer=root, offset=storage_offset * item,
                     strides=tuple(s * item for s in stride))
    if not a.flags.writeable and not root.flags.writeable:
        out.flags.writeable = False
    return out


def _positions(size, stride, offset):
    """The storage element each element of a geometry shows (an int64 array of ``size``)."""
    idx = np.full(size, offset, np.int64)
    for d, (n, s) in enumerate(zip(size, stride)):
        idx += (np.arange(n, dtype=np.int64) * s).reshape((n,) + (1,) * (len(size) - d - 1))
    return idx


def _as_strided_grad(grad, size, stride, storage_offset, input_geometry):
    in_size, in_stride, in_offset = input_geometry
    shared = builtins.min(in_offset, storage_offset)
    out_pos = _positions(size, stride, storage_offset - shared).reshape(-1)
    in_pos = _positions(in_size, in_stride, in_offset - shared).reshape(-1)
    n = builtins.max(_extent(in_size, in_stride, in_offset - shared),
                     _extent(size, stride, storage_offset - shared))
    count = np.bincount(in_pos, minlength=n)
    overlapping_in = in_pos.size and count.max() > 1
    if isinstance(grad, Tensor):   # (a graph of the derivative: the same steps as ops)
        from .. import _creation
        storage = _creation.zeros(n, dtype=grad.dtype).index_add(0, _creation.from_numpy(out_pos),
                                                                   grad.reshape(-1))
        g = storage[_creation.from_numpy(in_pos)]
        if overlapping_in:
            g = g / _creation.from_numpy(count[in_pos].astype(grad._data.dtype))
        return g.reshape(in_size)
    storage = np.zeros(n, grad.dtype)
    np.add.at(storage, out_pos, np.ascontiguousarray(grad).reshape(-1))
    g = storage[in_pos]
    if overlapping_in:
        g /= count[in_pos].astype(g.dtype)
    return g.reshape(in_size)


as_strided_ = declare(
    "as_strided", _as_strided_forward, node="AsStridedBackward0", view=True, public=False,
    samples=[sample(T(3, 4), (2, 2), (1, 2), call="as_strided"),
             sample(T(3, 4), (2, 3), (4, 1), 1, call="as_strided"),
             sample(T(6), (3, 3), (1, 1), call="as_strided"),
             sample(T(2, 3), (3, 2), (0, 1), 2, call="Tensor.as_strided"),
             sample(T(4), (0, 2), (1, 1), call="as_strided")],
    self=_as_strided_grad)


def as_strided(input, size, stride, storage_offset=None):
    size, stride = tuple(int(n) for n in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if builtins.any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: "
                           f"{list(stride)}")
    geo = geometry(input._data)
    offset = geo[2] if storage_offset is None else int(storage_offset)
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    return as_strided_(input, size=size, stride=stride, storage_offset=offset, input_geometry=geo)


FUNCTIONS["as_strided"] = as_strided
Tensor.as_strided = as_strided
