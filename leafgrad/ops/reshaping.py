"""More shape ops: repeating, flipping, rolling, splitting, stacking, grids.

Ops that PyTorch returns as views (unflatten, movedim, split, chunk, tensor_split,
narrow, swapdims, meshgrid, ravel of contiguous input, atleast_*d) are built from the
view ops of ``shape.py`` or declared with ``view=True``; flip, roll, rot90 and repeat
copy, as in PyTorch. Composite ops are composed as PyTorch composes them, so the
graph shows the same node names.
"""
import builtins
import functools

import numpy as np

from ._declare import declare, FUNCTIONS, refuse_batched
from ._samples import T, sample
from .stats import _write_out
from .._size import Size
from .._tensor import Tensor, _wrap_dim
from . import shape as _shape
from .shape import (view, reshape, permute, transpose, unsqueeze, expand, contiguous, cat, slice_, cat_, clone,
                    _shape_arg)


def _ints(dims):
    if isinstance(dims, (int, np.integer)):
        return (int(dims),)
    if isinstance(dims, Tensor):
        return tuple(int(d) for d in dims._data.reshape(-1))
    return tuple(int(d) for d in dims)


def _dims_arg(dims):
    """``f(0, 1)`` and ``f((0, 1))`` both mean the dims (0, 1)."""
    if len(dims) == 1 and not isinstance(dims[0], (int, np.integer)):
        return _ints(dims[0])
    return _ints(dims)


def _unique_dims(dims, nd):
    out = []
    for d in dims:
        d = _wrap_dim(d, nd)
        if d in out:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        out.append(d)
    return tuple(out)


# ---------------------------------------------------------------- unflatten / movedim / swapdims / ravel
def unflatten(input, dim, sizes):
    shape = input._data.shape
    d = _wrap_dim(dim, len(shape))
    sizes = _ints(sizes)
    if len(sizes) == 0:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = shape[d] if shape else 1
    if sizes.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in sizes:
        if s != -1:
            known *= s
    if (-1 not in sizes and known != n) or (-1 in sizes and (known == 0 or n % known)):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {d} ({n}) "
                           f"in the input tensor")
    sizes = tuple(n // known if s == -1 else s for s in sizes)
    return view(input, shape[:d] + sizes + shape[d + 1:])


def movedim(input, source, destination):
    nd = input._data.ndim
    src, dst = _ints(source), _ints(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should contain "
                           f"the same number of dims as destination ({list(dst)} dims)")
    src = tuple(_wrap_dim(d, nd) for d in src)
    dst = tuple(_wrap_dim(d, nd) for d in dst)
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(_ints(source))})")
    if len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(_ints(destination))})")
    order = [-1] * builtins.max(nd, 1)
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(nd) if d not in src)
    order = [next(rest) if o == -1 else o for o in order][:nd]
    return permute(input, tuple(order))


def swapdims(input, dim0, dim1):
    return transpose(input, dim0, dim1)


def ravel(input):
    return view(contiguous(input), -1)


# ---------------------------------------------------------------- broadcasting
def broadcast_shapes(*shapes):
    shapes = [(int(s),) if isinstance(s, (int, np.integer)) else tuple(int(x) for x in s) for s in shapes]
    n = builtins.max((len(s) for s in shapes), default=0)
    out = [1] * n
    for i, s in enumerate(shapes):
        for k in range(1, len(s) + 1):
            if s[-k] < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {s[-k]}: {list(s)}")
            if out[-k] == 1:
                out[-k] = s[-k]
            elif s[-k] != 1 and s[-k] != out[-k]:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {s[-k]} at {-k}! Mismatching "
                                   f"argument at index {i} had {tuple(s)}; but expected shape should be broadcastable "
                                   f"to {out}")
    return Size(out)


def broadcast_tensors(*tensors):
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    target = ()
    for t in tensors:
        try:
            target = np.broadcast_shapes(target, t._data.shape)
        except ValueError:
            from ._declare import broadcast_error
            raise broadcast_error(np.empty(target, bool), t._data) from None
    return tuple(t if t._data.shape == target else expand(t, target) for t in tensors)


# ---------------------------------------------------------------- repeat / tile / repeat_interleave
def _repeat_back(grad, self_shape, repeats):
    lead = len(repeats) - len(self_shape)
    split = list(repeats[:lead])
    axes = list(range(lead))
    for i, (r, s) in enumerate(zip(repeats[lead:], self_shape)):
        axes.append(len(split))
        split += [r, s]
    if not axes:
        return grad
    return np.sum(grad.reshape(tuple(split)), axis=tuple(axes))


repeat_ = declare("repeat", lambda a, repeats: np.tile(a, repeats), node="RepeatBackward0", public=False,
                  samples=[sample(T(2, 3), 2, 1, call="Tensor.repeat"), sample(T(2, 3), (2, 1, 3), call="Tensor.repeat"),
                           sample(T(), 3, call="Tensor.repeat"), sample(T(2, 3), (2, 0), call="Tensor.repeat"),
                           sample(T(2, 3), (2,), call="tile"), sample(T(2, 3), (2, 2, 1), call="tile")],
                  self=_repeat_back)


def repeat(self, *sizes):
    reps = _shape_arg(sizes)
    nd = self._data.ndim
    if len(reps) < nd:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    shape = (1,) * (len(reps) - nd) + self._data.shape
    for r, s in zip(reps, shape):
        if r < 0:
            target = [a * b for a, b in zip(reps, shape)]
            raise RuntimeError(f"Trying to create tensor with negative dimension {r * s}: {target}")
    return repeat_(self, repeats=tuple(reps))


def tile(input, *dims, **kw):
    reps = _dims_arg(dims) if dims else _ints(kw["dims"])
    nd = input._data.ndim
    if len(reps) < nd:
        reps = (1,) * (nd - len(reps)) + reps
    return repeat(input, reps)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    from .indexing import index_select
    refuse_batched("repeat_interleave", repeats)
    if repeats is None:  # repeat_interleave(repeats): indices repeated by their count
        refuse_batched("repeat_interleave", input)
        r = input._data
        if r.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if r.dtype.kind not in "iu":
            raise RuntimeError("repeats has to be Long or Int tensor")
        if (r < 0).any():
            raise RuntimeError("repeats can not be negative")
        from .._tensor import wrap
        return wrap(np.repeat(np.arange(r.size, dtype=r.dtype), r.reshape(-1)))
    if dim is None:
        input = flatten_for_interleave(input)
        dim = 0
    nd = input._data.ndim
    d = _wrap_dim(dim, nd)
    size = input._data.shape[d] if nd else 1
    if isinstance(repeats, (Tensor, list, tuple)):
        r = repeats._data if isinstance(repeats, Tensor) else np.asarray(repeats, dtype=np.int64)
        if r.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if r.dtype.kind not in "iu":
            from .._tensor import _LEGACY_NAMES
            raise NotImplementedError(f'"repeat_interleave_cpu" not implemented for '
                                      f"'{_LEGACY_NAMES[r.dtype.name]}'")
        if r.size == 1:
            r = np.broadcast_to(r.reshape(-1), (size,))
        if r.size != size:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                               f"{r.size} and input.size({d}) = {size}")
        if (r < 0).any():
            raise RuntimeError("repeats can not be negative")
        from .._tensor import wrap
        idx = wrap(np.repeat(np.arange(size, dtype=np.int64), r.astype(np.int64)))
        return index_select(input, d, idx)
    n = int(repeats._data.reshape(-1)[0]) if isinstance(repeats, Tensor) else int(repeats)
    if n < 0:
        raise RuntimeError("Repeats must be non-negative")
    if nd == 0:
        input = reshape(input, 1)
    shape = input._data.shape
    u = unsqueeze(input, d + 1)
    e = expand(u, shape[:d + 1] + (n,) + shape[d + 1:])
    return view(clone(e), shape[:d] + (shape[d] * n,) + shape[d + 1:])


def flatten_for_interleave(input):
    return _shape.flatten(input)


# ---------------------------------------------------------------- flip / roll / rot90
flip_ = declare("flip", lambda a, dims: np.flip(a, dims).copy() if dims and a.ndim else a.copy(), node="FlipBackward0",
                public=False,
                samples=[sample(T(2, 3, 4), (0, 2), call="flip"), sample(T(2, 3), -1, call="Tensor.flip"),
                         sample(T(3, 4), call="fliplr"), sample(T(3, 4), call="flipud"), sample(T(), (), call="flip"),
                         sample(T(0, 3), (0,), call="flip")],
                self=lambda grad, dims: flip_(grad, dims=dims))


def flip(input, *dims, **kw):
    dims = _unique_dims(_dims_arg(dims) if dims else _ints(kw["dims"]), input._data.ndim)
    return flip_(input, dims=dims)


def fliplr(input):
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip_(input, dims=(1,))


def flipud(input):
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip_(input, dims=(0,))


def _roll_forward(a, shifts, dims):
    if not dims:
        return np.roll(a, shifts[0])
    return np.roll(a, shifts, axis=dims)


roll_ = declare("roll", _roll_forward, node="RollBackward0", public=False,
                samples=[sample(T(2, 3, 4), 1, 2, call="roll"), sample(T(2, 3, 4), 5, call="roll"),
                         sample(T(2, 3, 4), (1, -2), (0, -1), call="Tensor.roll"), sample(T(3), 1, 0, call="roll")],
                self=lambda grad, shifts, dims: roll_(grad, shifts=tuple(-s for s in shifts), dims=dims))


def roll(input, shifts, dims=None):
    shifts = _ints(shifts)
    nd = input._data.ndim
    if dims is None or (not isinstance(dims, int) and len(dims) == 0):
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return roll_(input, shifts=shifts, dims=())
    dims = tuple(_wrap_dim(d, nd) for d in _ints(dims))
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    return roll_(input, shifts=shifts, dims=dims)


def _rot90_forward(a, k, dims):
    """torch's layout: a quarter turn is a flip (a contiguous copy) then a transposed view
    of it; a half turn, a flip of both dims; no turn, a contiguous copy."""
    d0, d1 = dims
    k %= 4
    if k == 1:
        return np.swapaxes(np.flip(a, d1).copy(), d0, d1)
    if k == 3:
        return np.swapaxes(np.flip(a, d0).copy(), d0, d1)
    return np.flip(a, dims).copy() if k == 2 else a.copy()


rot90_ = declare("rot90", _rot90_forward, node="Rot90Backward0", public=False,
                 samples=[sample(T(3, 4), call="rot90"), sample(T(3, 4), 2, call="rot90"),
                          sample(T(2, 3, 4), -1, (2, 0), call="Tensor.rot90"), sample(T(3, 4), 0, call="rot90"),
                          sample(T(3, 4), 7, call="rot90")],
                 self=lambda grad, k, dims: rot90_(grad, k=-k, dims=dims))


def rot90(input, k=1, dims=(0, 1)):
    dims = _ints(dims)
    nd = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if nd < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {nd}")
    d0, d1 = _wrap_dim(dims[0], nd), _wrap_dim(dims[1], nd)
    if d0 == d1 or abs(dims[0] - dims[1]) == nd:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")
    return rot90_(input, k=int(k) % 4, dims=(d0, d1))


# ---------------------------------------------------------------- at-least-nd and stacking
def _atleast(n, tensors):
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    out = []
    for t in tensors:
        nd = t._data.ndim
        if nd >= n:
            out.append(t)
        elif nd == 0:
            out.append(reshape(t, (1,) * n))
        elif n == 2:
            out.append(unsqueeze(t, 0))
        elif nd == 1:
            out.append(unsqueeze(unsqueeze(t, 0), -1))
        else:
            out.append(unsqueeze(t, -1))
    return out[0] if single else tuple(out)


def atleast_1d(*tensors):
    return _atleast(1, tensors)


def atleast_2d(*tensors):
    return _atleast(2, tensors)


def atleast_3d(*tensors):
    return _atleast(3, tensors)


def _nonempty(tensors, name):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return tensors


def hstack(tensors, *, out=None):
    tensors = _atleast(1, (_nonempty(tensors, "hstack"),))
    res = cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)
    return _write_out(out, res, "cat")


def vstack(tensors, *, out=None):
    return _write_out(out, cat(_atleast(2, (_nonempty(tensors, "vstack"),)), 0), "cat")


def dstack(tensors, *, out=None):
    return _write_out(out, cat(_atleast(3, (_nonempty(tensors, "dstack"),)), 2), "cat")


def column_stack(tensors, *, out=None):
    tensors = _nonempty(tensors, "column_stack")
    cols = [reshape(t, (t._data.size, 1)) if t._data.ndim <= 1 else t for t in tensors]
    return _write_out(out, hstack(cols), "cat")


# ---------------------------------------------------------------- split / chunk / tensor_split / narrow
def _split_forward(a, dim, sizes):
    bounds = np.cumsum(sizes)[:-1]
    return tuple(np.split(a, bounds, axis=dim))


def _split_backward(grads, dim, sizes):
    return cat_(list(grads), dim=dim)


split_ = declare("split", _split_forward, node="SplitBackward0", view=True, public=False, outputs=(),
                 samples=[sample(T(2, 5), 2, 1, call="split"), sample(T(6, 2), 3, call="Tensor.split"),
                          sample(T(5, 2), 2, call="chunk"), sample(T(2, 6), 3, -1, call="Tensor.chunk"),
                          sample(T(5), 5, call="chunk")],
                 self=lambda grads, dim, sizes: _split_backward(grads, dim, sizes))
split_sizes_ = declare("split_with_sizes", _split_forward, node="SplitWithSizesBackward0", view=True, public=False,
                       outputs=(), samples=[sample(T(2, 5), (1, 4), 1, call="split"),
                                            sample(T(4, 2), [2, 0, 2], call="Tensor.split"),
                                            sample(T(5, 2), [2, 3], call="split_with_sizes")],
                       self=lambda grads, dim, sizes: _split_backward(grads, dim, sizes))


def split(tensor, split_size_or_sections=None, dim=0, *, split_size=None):
    if split_size_or_sections is None:
        split_size_or_sections = split_size
    if isinstance(split_size_or_sections, (list, tuple)):
        return split_with_sizes(tensor, split_size_or_sections, dim)
    d, sizes = _split_sizes(tensor, split_size_or_sections, dim)
    return _views(split_(tensor, dim=d, sizes=sizes), tensor, split_, dict(dim=d, sizes=sizes))


def _split_sizes(tensor, split_size, dim):
    """The wrapped dim and the sizes of the pieces of ``split(tensor, split_size, dim)``."""
    nd = tensor._data.ndim
    d = _wrap_dim(dim, nd)
    n = tensor._data.shape[d] if nd else 1
    if nd == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    s = int(split_size)
    if s < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={s}")
    if s == 0 and n != 0:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
    count = builtins.max((n + s - 1) // s, 1) if s else 1
    return d, tuple(builtins.min(s, n - i * s) for i in range(count))


def _views(res, src, op, params):
    """Multi-output view ops called without recording come back unmarked from the core
    (``call`` returns before ``_mark_view`` for tuples): mark them here. The core's replay
    of a view takes output 0 of the op; output i must replay output i, or an in-place
    change of a later piece would rebase its base with the wrong piece."""
    if res and res[0]._base is None and res[0]._grad_fn is None:
        from ._declare import _mark_view
        _mark_view(res, src, op.spec, (), params)
    for i, o in enumerate(res):
        vf = o.__dict__.get("_view_fn")
        if vf is not None:
            o.__dict__["_view_fn"] = (functools.partial(_replay_nth, op, params, i), vf[1])
    return res


def _replay_nth(op, params, i, src):
    return op(src, **params)[i]


def split_with_sizes(input, split_sizes, dim=0):
    d, sizes = _sizes_checked(input, split_sizes, dim)
    return _views(split_sizes_(input, dim=d, sizes=sizes), input, split_sizes_, dict(dim=d, sizes=sizes))


def _sizes_checked(input, split_sizes, dim):
    nd = input._data.ndim
    d = _wrap_dim(dim, nd)
    n = input._data.shape[d] if nd else 1
    sizes = _ints(split_sizes)
    for s in sizes:
        if s < 0:
            raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                               f"split_sizes={list(sizes)}")
    if builtins.sum(sizes) != n:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                           f"dimension {d}), but got split_sizes={list(sizes)}")
    return d, sizes


def chunk(input, chunks, dim=0):
    return _chunked(input, chunks, dim, split, split_with_sizes)


def _chunked(input, chunks, dim, by_size, by_sizes):
    if input._data.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    if n == 0:
        return by_sizes(input, (0,) * chunks, d)
    return by_size(input, (n + chunks - 1) // chunks, d)


# The unsafe forms: the same pieces, sharing the input's memory, but not views (no base,
# their own version counters), so that PyTorch's checks on writing views do not apply.
unsafe_split_ = declare("unsafe_split", _split_forward, node="UnsafeSplitBackward0", public=False, outputs=(),
                        samples=[sample(T(6, 2), 4, call="unsafe_split"),
                                 sample(T(2, 5), 2, 1, call="Tensor.unsafe_split"),
                                 sample(T(5, 2), 2, call="unsafe_chunk")],
                        self=lambda grads, dim, sizes: _split_backward(grads, dim, sizes))
unsafe_split_sizes_ = declare("unsafe_split_with_sizes", _split_forward, node="UnsafeSplitWithSizesBackward0",
                              public=False, outputs=(),
                              samples=[sample(T(2, 5), (1, 4), 1, call="unsafe_split_with_sizes")],
                              self=lambda grads, dim, sizes: _split_backward(grads, dim, sizes))


def unsafe_split(tensor, split_size, dim=0):
    d, sizes = _split_sizes(tensor, split_size, dim)
    return unsafe_split_(tensor, dim=d, sizes=sizes)


def unsafe_split_with_sizes(input, split_sizes, dim=0):
    d, sizes = _sizes_checked(input, split_sizes, dim)
    return unsafe_split_sizes_(input, dim=d, sizes=sizes)


def unsafe_chunk(input, chunks, dim=0):
    return _chunked(input, chunks, dim, unsafe_split, unsafe_split_with_sizes)


def _slice(input, d, start, end):
    return slice_(input, dim=d, start=start, end=end, step=1)


def tensor_split(input, indices_or_sections=None, dim=0, *, indices=None, sections=None,
                 tensor_indices_or_sections=None):
    for alt in (indices, sections, tensor_indices_or_sections):
        if indices_or_sections is None:
            indices_or_sections = alt
    nd = input._data.ndim
    if nd == 0:
        raise RuntimeError(f"tensor_split expected at least a 1-dimensional tensor, but got a tensor with {nd} dims")
    d = _wrap_dim(dim, nd)
    n = input._data.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        if ios._data.dtype != np.int64:
            from .._tensor import _LEGACY_NAMES
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                               f"{_LEGACY_NAMES[ios._data.dtype.name]}")
        if ios._data.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                               f"one-dimensional tensor, but got a tensor with {ios._data.ndim} dims")
        ios = int(ios._data) if ios._data.ndim == 0 else [int(i) for i in ios._data]
    if isinstance(ios, (list, tuple)):
        bounds = [0] + [int(i) for i in ios] + [n]
        out = []
        for s, e in zip(bounds[:-1], bounds[1:]):
            s = builtins.min(builtins.max(s + n if s < 0 else s, 0), n)
            e = builtins.min(builtins.max(e + n if e < 0 else e, 0), n)
            out.append(_slice(input, d, s, builtins.max(e, s)))
        return tuple(out)
    k = int(ios)
    if k <= 0:
        raise RuntimeError(f"number of sections must be larger than 0, got {k}")
    q, r = divmod(n, k)
    out, start = [], 0
    for i in range(k):
        size = q + 1 if i < r else q
        out.append(_slice(input, d, start, start + size))
        start += size
    return tuple(out)


def narrow(input, dim, start, length):
    nd = input._data.ndim
    if nd == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, nd)
    n = input._data.shape[d]
    if isinstance(start, Tensor):
        start = int(start._data)
    length = int(length)
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return _slice(input, d, start, start + length)


# ---------------------------------------------------------------- meshgrid
def meshgrid(*tensors, indexing=None):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise RuntimeError("torch.meshgrid expects a non-empty TensorList")
    if indexing is None:
        import warnings
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t!r}")
    d0 = tensors[0].dtype
    for t in tensors[1:]:
        if t.dtype != d0:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    n = len(tensors)
    sizes = [t._data.size for t in tensors]
    pos = list(range(n))
    if indexing == "xy" and n >= 2:
        pos[0], pos[1] = 1, 0
    shape = [0] * n
    for i, p in enumerate(pos):
        shape[p] = sizes[i]
    out = []
    for i, t in enumerate(tensors):
        vshape = [1] * n
        vshape[pos[i]] = -1
        out.append(expand(view(t, tuple(vshape)), tuple(shape)))
    return tuple(out)


# ---------------------------------------------------------------- install
FUNCTIONS.update(unflatten=unflatten, movedim=movedim, moveaxis=movedim, swapdims=swapdims, ravel=ravel,
                 broadcast_shapes=broadcast_shapes, broadcast_tensors=broadcast_tensors, tile=tile,
                 repeat_interleave=repeat_interleave, flip=flip, fliplr=fliplr, flipud=flipud, roll=roll,
                 rot90=rot90, atleast_1d=atleast_1d, atleast_2d=atleast_2d, atleast_3d=atleast_3d, hstack=hstack,
                 vstack=vstack, row_stack=vstack, dstack=dstack, column_stack=column_stack, split=split,
                 split_with_sizes=split_with_sizes, chunk=chunk, tensor_split=tensor_split, narrow=narrow,
                 meshgrid=meshgrid, unsafe_split=unsafe_split, unsafe_split_with_sizes=unsafe_split_with_sizes,
                 unsafe_chunk=unsafe_chunk)
for _name, _fn in dict(unflatten=unflatten, movedim=movedim, moveaxis=movedim, swapdims=swapdims, ravel=ravel,
                       repeat=repeat, tile=tile, repeat_interleave=repeat_interleave, flip=flip, fliplr=fliplr,
                       flipud=flipud, roll=roll, rot90=rot90, split=split, split_with_sizes=split_with_sizes,
                       chunk=chunk, tensor_split=tensor_split, narrow=narrow, unsafe_split=unsafe_split,
                       unsafe_split_with_sizes=unsafe_split_with_sizes, unsafe_chunk=unsafe_chunk).items():
    setattr(Tensor, _name, _fn)
