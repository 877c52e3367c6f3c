"""``vmap``: run a function written for one sample on a batch, each op once.

A vmap *level* is a mode on the transform stack (``leafgrad/_modes.py``). A tensor
batched at some levels is a ``BatchedTensor``: its ``_data`` is the *physical* array,
with one leading batch dimension per level it belongs to (outermost level first), and
it keeps the autograd identity (grad_fn, version counter) of that physical tensor. The
user sees the *logical* tensor: ``shape``, ``dim()``, ``numel()``, ``len()``, iteration
and printing leave the batch dimensions out.

When an op gets a batched input, the innermost level it belongs to claims the call
(``VmapLevel.run``): the inputs are *peeled* (the same physical tensor, no longer
batched at this level, so its batch dimension is the first logical one), the rule of
the op (``_batching.py``) rewrites the logical call into one call on the whole batch
(shift ``dim`` parameters, pad ranks for broadcasting, prefix reshape targets, fold
the batch into matrix products...), and the outputs are marked batched at this level.
The ops a rule calls see only the levels outside this one, so nested vmaps compose.

Because every op runs on the physical tensors, the autograd graph recorded under vmap
is the physical computation: ``backward`` after vmap, and ``autograd.grad`` inside it
(``vmap(grad(f))``), need no extra machinery beyond mapping tensors to their physical
aliases (``physical``/``rebatch`` below, used by ``leafgrad.autograd``).
"""
import functools
import weakref

import numpy as np

from .. import _modes
from .._tensor import Tensor
from ._pytree import flatten, is_node, unflatten
from ..autograd.graph import grad_accumulator

__all__ = ["vmap"]

_new = object.__new__


# ====================================================================== levels
class VmapLevel(_modes.Mode):
    """One ``vmap`` call on the transform stack."""

    def __init__(self, size, randomness):
        self.size = size
        self.randomness = randomness
        self.depth = sum(isinstance(m, VmapLevel) for m in _modes.STACK) + 1

        self.tensors = []       # weak references to the tensors batched at this level

    def __repr__(self):
        return f"<vmap level {self.depth} (batch size {self.size})>"

    def track(self, ref):
        ts = self.tensors
        ts.append(ref)
        if len(ts) > 4096 and len(ts) & 1023 == 0:
            ts[:] = [r for r in ts if r() is not None]

    def _live(self):
        """(tensor, its physical array, its number of batch dims), newest first."""
        for ref in reversed(self.tensors):
            t = ref()
            if t is not None:
                yield t, _raw(t), len(t.__dict__["_vlevels"])

    def owner_of(self, arr):
        """The tensor batched at this level whose ``_data`` (first sample) is ``arr``: the
        ops' wrappers pass index / mask / target tensors on as arrays."""
        ptr = arr.__array_interface__["data"][0]
        for t, raw, nb in self._live():
            if raw.__array_interface__["data"][0] == ptr and raw.shape[nb:] == arr.shape and \
                    raw.strides[nb:] == arr.strides and raw.dtype == arr.dtype:
                return t
        return None

    def copied_from(self, arr):
        """An integer / boolean tensor batched at this level whose first sample ``arr``
        equals although it is not that sample's view (a wrapper transformed the tensor's
        ``_data`` before passing it on): the other samples would be silently ignored."""
        if arr.dtype.kind not in "biu":
            return None
        for t, raw, nb in self._live():
            if raw.dtype.kind in "biu" and raw.shape[nb:] == arr.shape and arr.size and \
                    np.array_equal(raw[(0,) * nb], arr):
                flat = raw.reshape((-1,) + arr.shape)
                if not (flat == flat[:1]).all():
                    return t
        return None

    def claims(self, inputs):
        for x in inputs:
            if type(x) is BatchedTensor and self in x.__dict__["_vlevels"]:
                return True
        return False

    def run(self, spec, inputs, params):
        from ._batching import run_rule
        return run_rule(self, spec, inputs, params)

    def carry_inplace(self, t, result):
        _carry_batch(t, result)

    def random_draw(self):
        _check_randomness(self)

    def random_batch(self):
        return self.size if self.randomness == "different" else None

    def differentiate(self, fn, outputs, inputs, grad_outputs, kwargs):
        return batched_autograd(fn, outputs, inputs, grad_outputs, kwargs)

    def batch_random(self, t, levels):
        return alias(t, tuple(levels))


def active_levels():
    """The vmap levels on the stack that ops can see now, outermost first."""
    n = _modes.visible[0]
    return [m for m in _modes.STACK[:n] if isinstance(m, VmapLevel)]


# ====================================================================== batched tensors
def levels_of(t):
    return t.__dict__["_vlevels"] if type(t) is BatchedTensor else ()


_PHYS = Tensor.__dict__["_data"]       # the slot: a batched tensor's physical array


def _raw(t):
    """The physical array of any tensor."""
    return _PHYS.__get__(t)


def alias(t, levels=()):
    """A new tensor object sharing ``t``'s data, version counter and place in the graph,
    batched at ``levels`` (a plain Tensor when there are none)."""
    out = _new(BatchedTensor if levels else Tensor)
    _PHYS.__set__(out, _PHYS.__get__(t))
    out._grad_fn = t._grad_fn
    out._requires_grad = t._requires_grad
    out._vc = t._vc
    out._base = None
    out._grad = None
    out._out_nr = t._out_nr
    d = t.__dict__
    od = out.__dict__
    for k in ("_untracked", "_inference", "_func_leaf"):
        if k in d:
            od[k] = d[k]
    if d.get("_fw"):
        # forward-AD tangents follow the tensor into its new layout
        od["_fw"] = {lv: _tangent_like(tan, t, levels) for lv, tan in d["_fw"].items()}
    if t._requires_grad and t._grad_fn is None:
        # A leaf: share its gradient accumulator so gradients reach the original tensor.
        # A batched leaf accumulates into a plain tensor of its physical shape.
        var = d.get("_acc_var")
        if var is None:
            if type(t) is BatchedTensor:
                var = _new(Tensor)
                _PHYS.__set__(var, _raw(t))
                var._grad_fn, var._requires_grad, var._vc, var._base, var._grad, var._out_nr = \
                    None, True, t._vc, None, None, 0
                if "_func_leaf" in d:       # a variable of a func transform (func._transforms)
                    var.__dict__["_func_leaf"] = True
            else:
                var = t
            if type(t) is BatchedTensor:
                d["_acc_var"] = var
        acc = grad_accumulator(var)
        od["_acc"] = var._acc
        od["_acc_keep"] = acc
        od["_acc_var"] = var
    if levels:
        od["_vlevels"] = tuple(levels)
        ref = weakref.ref(out)
        for lv in levels:
            lv.track(ref)
    return out


def _tangent_like(tan, t, levels):
    """A tangent of ``t`` for ``alias(t, levels)``: the same physical layout as t's data
    (expanded over the batches the tangent does not vary along), batched at ``levels``."""
    if not isinstance(tan, Tensor):
        return tan
    raw_t = _raw(t)
    if _raw(tan).shape != raw_t.shape:
        have, want = levels_of(tan), levels_of(t)
        if any(lv not in want for lv in have):
            return tan
        from ..ops._declare import REGISTRY, call
        p = physical(tan)
        with _modes.excluding([m for m in _modes.STACK if isinstance(m, VmapLevel)]):
            for i, lv in enumerate(want):
                if lv not in have:
                    p = call(REGISTRY["unsqueeze"], (p,), {"dim": i})
            tan = call(REGISTRY["expand"], (p,), {"size": raw_t.shape})
    return alias(tan, levels)


def peel(t, level):
    """``t`` (batched at ``level``, its innermost) as a tensor no longer batched there:
    the batch dimension of ``level`` becomes its first logical dimension."""
    lv = levels_of(t)
    if not lv or lv[-1] is not level:
        raise RuntimeError("vmap: a tensor batched at an inner vmap level escaped that level")
    return alias(t, lv[:-1])


def mark(t, level):
    """``t`` (whose first logical dimension is the batch of ``level``) as batched at it."""
    return alias(t, levels_of(t) + (level,))


def physical(t):
    """The plain tensor behind ``t`` (all batch dimensions included)."""
    return alias(t) if type(t) is BatchedTensor else t


def rebatch(t, levels):
    """A physical tensor, whose leading dimensions are the batches of ``levels``, as the
    logical tensor batched at them."""
    return alias(t, levels) if levels else t


def _vmap_error(what):
    return RuntimeError(
        f"vmap: It looks like you're calling .{what}() on a Tensor. We don't support vmap over calling .{what}() "
        f"on a Tensor, please try to rewrite what you're doing with other operations. If error is occurring "
        f"somewhere inside PyTorch internals, please file a bug report.")


_DATA_DEPENDENT = ("vmap: It looks like you're attempting to use a Tensor in some data-dependent control flow. "
                   "We don't support that yet, please file an issue at https://github.com/pytorch/pytorch/issues .")


class BatchedTensor(Tensor):
    """A tensor batched at one or more vmap levels (see the module docstring). Only the
    Python-level views of the tensor are overridden here; ops go through the levels."""

    __slots__ = ()
    _batched = True

    # What Python code reading ``t._data`` sees (the ops' wrappers check shapes, wrap dims,
    # infer sizes with it): the first sample, an array of the logical shape. The physical
    # array is in the slot (``_raw``); the levels' rules, which alone compute on it, get
    # plain tensors holding it.
    @property
    def _data(self):
        return _PHYS.__get__(self)[(0,) * len(self.__dict__["_vlevels"]) + (Ellipsis,)]   # 0-d stays an array

    @_data.setter
    def _data(self, value):
        _PHYS.__set__(self, value)

    def share_first_sample(self):
        """Copy the first sample (what ``_data`` shows) to every sample of the batch."""
        raw = _raw(self)
        raw[...] = raw[(0,) * self._nb + (Ellipsis,)]

    def random_fill_target(self):
        """The array an in-place random fill writes: the whole batch when every level this
        tensor is batched at draws differently per sample, else None (one sample's draw,
        shared: randomness='same')."""
        levels = self.__dict__["_vlevels"]
        kinds = {lv.randomness for lv in levels}
        if kinds == {"different"}:
            return _raw(self)
        if "different" in kinds:
            raise RuntimeError("vmap: an in-place random fill of a tensor batched at levels with different "
                               "randomness modes is not supported")
        return None

    def physical_fw(self):
        """This tensor's tangents laid out as its physical data (for its graph node)."""
        return alias(self).__dict__.get("_fw")

    def inplace_snapshot(self, plain_snapshot):
        return _snapshot(self, plain_snapshot)

    @staticmethod
    def inplace_write(t, result):
        return _write_into(t, result)

    @property
    def _nb(self):
        return len(self.__dict__["_vlevels"])

    @property
    def shape(self):
        from .._size import Size
        return Size(_raw(self).shape[self._nb:])

    def size(self, dim=None):
        shape = self.shape
        if dim is None:
            return shape
        from .._tensor import _wrap_dim
        return shape[_wrap_dim(dim, len(shape))]

    def dim(self):
        return _raw(self).ndim - self._nb

    ndim = property(dim)
    ndimension = dim

    def numel(self):
        return int(np.prod(_raw(self).shape[self._nb:], dtype=np.int64))

    nelement = numel

    def stride(self, dim=None):
        strides = tuple(s // _raw(self).itemsize for s in _raw(self).strides[self._nb:])
        return strides if dim is None else strides[dim]

    def is_contiguous(self, memory_format=None):
        return True

    def __len__(self):
        if self.dim() == 0:
            raise TypeError("len() of a 0-d tensor")
        return _raw(self).shape[self._nb]

    def __iter__(self):
        if self.dim() == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def item(self):
        raise _vmap_error("item")

    def tolist(self):
        raise _vmap_error("tolist")

    def __bool__(self):
        raise RuntimeError(_DATA_DEPENDENT)

    def __float__(self):
        raise _vmap_error("item")

    __int__ = __float__
    __complex__ = __float__

    def __index__(self):
        raise _vmap_error("item")

    def numpy(self, *, force=False):
        raise RuntimeError("Cannot access data pointer of Tensor that doesn't have storage")

    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("Cannot access data pointer of Tensor that doesn't have storage")

    def data_ptr(self):
        raise RuntimeError("Cannot access data pointer of Tensor that doesn't have storage")

    def detach(self):
        return alias(physical(self).detach(), levels_of(self))

    @property
    def data(self):
        return alias(Tensor.data.fget(self), levels_of(self))

    @property
    def grad(self):
        var = self.__dict__.get("_acc_var")
        g = var._grad if var is not None else self._grad
        return None if g is None else alias(g, levels_of(self))

    @grad.setter
    def grad(self, value):
        var = self.__dict__.get("_acc_var") or self
        var._grad = None if value is None else physical(value)

    def requires_grad_(self, requires_grad=True):
        Tensor.requires_grad_(self, requires_grad)
        return self

    def __repr__(self):
        lv = self.__dict__["_vlevels"]
        inner = repr(alias(self, lv[:-1]))
        inner = inner.replace("\n", "\n    ")
        return f"BatchedTensor(lvl={lv[-1].depth}, bdim=0, value=\n    {inner}\n)"

    __str__ = __repr__

    def __format__(self, spec):
        return repr(self)

    def __deepcopy__(self, memo):
        raise RuntimeError("vmap: deepcopy of a batched tensor is not supported")

    def __getitem__(self, key):
        return getitem(self, key)

    # Tensor methods that are not declared ops compute on ``_data`` (the first sample):
    # the common non-differentiable ones are redone here on the physical array, one
    # NumPy call for the whole batch.
    def _per_sample(self, fn):
        from .._tensor import wrap
        return alias(wrap(fn(_raw(self), self._nb)), levels_of(self))

    def _arg_reduce(self, npfn, dim, keepdim):
        from .._tensor import _wrap_dim

        def fn(raw, nb):
            lead = raw.shape[:nb]
            if dim is None:
                res = npfn(raw.reshape(lead + (-1,)), axis=-1).astype(np.int64)
                return res.reshape(lead + (1,) * self.dim()) if keepdim else res
            if self.dim() == 0:
                return np.zeros(lead, np.int64)
            d = _wrap_dim(dim, self.dim()) + nb
            return npfn(raw, axis=d, keepdims=bool(keepdim)).astype(np.int64)
        return self._per_sample(fn)

    def _bool_reduce(self, npfn, dim, keepdim, dtype=np.bool_):
        from .._tensor import _wrap_dim

        def fn(raw, nb):
            r = self.dim()
            if dim is None:
                axes = tuple(range(nb, nb + r))
            else:
                dims = (dim,) if isinstance(dim, int) else tuple(dim)
                axes = tuple(_wrap_dim(d, r) + nb for d in dims) if r else ()
            return np.asarray(npfn(raw, axis=axes, keepdims=bool(keepdim))).astype(dtype)
        return self._per_sample(fn)

    def all(self, dim=None, keepdim=False):
        return self._bool_reduce(np.all, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return self._bool_reduce(np.any, dim, keepdim)

    def count_nonzero(self, dim=None):
        return self._bool_reduce(np.count_nonzero, dim, False, np.int64)

    def nonzero(self, *, as_tuple=False):
        raise RuntimeError("vmap: We do not support batching operators that can output dynamic shape. Attempted to "
                           "vmap over aten::nonzero. Please file an issue at https://github.com/pytorch/pytorch/issues "
                           "if you need this feature.")

    argwhere = nonzero

    def argmax(self, dim=None, keepdim=False):
        return self._arg_reduce(np.argmax, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return self._arg_reduce(np.argmin, dim, keepdim)

    def argsort(self, dim=-1, descending=False, stable=False):
        from .._tensor import _wrap_dim
        from ..ops.sorting import _argsort
        if self.dim() == 0:
            return self._per_sample(lambda raw, nb: np.zeros(raw.shape, np.int64))
        d = _wrap_dim(dim, self.dim())
        return self._per_sample(lambda raw, nb: _argsort(raw, d + nb, bool(descending)).astype(np.int64))



def _op(name, *inputs, **params):
    from ..ops._declare import REGISTRY, call
    return call(REGISTRY[name], inputs, params)


def _key_tuple(key):
    return key if isinstance(key, tuple) else (key,)


def _logical_key(x, key):
    """The key with its ellipsis spelled out against x's logical rank."""
    key = _key_tuple(key)
    used = sum(1 for k in key if k is not None and k is not Ellipsis and not (
        isinstance(k, Tensor) and k.dtype.is_floating_point is False and k.dtype.__repr__() == "torch.bool"))
    out, done = [], False
    for k in key:
        if k is Ellipsis:
            if not done:
                out.extend([slice(None)] * (x.dim() - used))
                done = True
        else:
            out.append(k)
    return tuple(out)


def _is_batched_at(k, level):
    return type(k) is BatchedTensor and level in levels_of(k)


def getitem(x, key):
    """``x[key]`` for a batched x: the innermost level's batch dim is kept in front by a
    leading ``slice(None)``; a batched integer index becomes a gather along the batch."""
    level = levels_of(x)[-1]
    key = _logical_key(x, key)
    for k in key:
        if type(k) is BatchedTensor and k._data.dtype.kind == "b":
            from ._batching import BOOL_MASK
            raise RuntimeError(BOOL_MASK)
    batched_idx = [i for i, k in enumerate(key) if _is_batched_at(k, level)]
    if not batched_idx:
        return Tensor.__getitem__(x, key)       # select / slice / index, batched by their rules
    with _modes.hidden(level):
        p = peel(x, level)
        # A batched index: index the batch dim with arange(B) broadcast against the indices.
        from .._tensor import wrap
        B = level.size
        ks = []
        for k in key:
            if _is_batched_at(k, level):
                ks.append(peel(k, level))
            elif isinstance(k, int) and not isinstance(k, bool):
                ks.append(wrap(np.asarray(k, dtype=np.int64)))
            else:
                ks.append(k)
        adv = [i for i, k in enumerate(ks) if isinstance(k, Tensor) or isinstance(k, (list, np.ndarray))]
        if adv != list(range(adv[0], adv[0] + len(adv))):
            raise RuntimeError("vmap: indexing with a batched index and non-adjacent advanced indices is not "
                               "supported")
        shapes = [tuple(k.shape)[1:] if i in batched_idx else tuple(np.shape(k) if not isinstance(k, Tensor)
                                                                     else k.shape) for i, k in enumerate(ks)
                  if i in adv]
        nd = np.broadcast(*[np.empty(s) for s in shapes]).ndim
        ks = [_op("view", k, shape=(B,) + (1,) * (nd - (k.dim() - 1)) + tuple(k.shape)[1:]) if i in batched_idx
              else k for i, k in enumerate(ks)]
        ar = wrap(np.arange(B).reshape((B,) + (1,) * nd))
        out = p[(ar,) + tuple(ks)]
        if adv[0] > 0:
            # advanced dims (batch first) land in front; the basic dims before them go after
            n_before = adv[0]
            perm = [0] + list(range(nd + 1, nd + 1 + n_before)) + list(range(1, nd + 1)) + \
                list(range(nd + 1 + n_before, out.dim()))
            out = _op("permute", out, dims=tuple(perm))
        return mark(out, level)


# ====================================================================== autograd
def lift(t):
    """``t`` batched at every vmap level active now (expanded, differentiably, at the levels
    it is not batched at). ``func.grad`` / ``vjp`` should differentiate with respect to a
    lifted alias of each input: a gradient with respect to an unbatched tensor would be
    summed over the batch by the physical graph, PyTorch gives one per sample."""
    target = active_levels()
    if not target or not isinstance(t, Tensor):
        return t
    have = levels_of(t)
    if all(lv in have for lv in target):
        return t
    if any(lv not in target for lv in have):
        raise RuntimeError("vmap: cannot lift a tensor batched at a level that is not active")
    from ..ops._declare import REGISTRY, call
    p = physical(t)
    with _modes.excluding(target):
        shape = list(_raw(t).shape)
        for i, lv in enumerate(target):
            if lv not in have:
                p = call(REGISTRY["unsqueeze"], (p,), {"dim": i})
                shape.insert(i, lv.size)
        p = call(REGISTRY["expand"], (p,), {"size": tuple(shape)})
    return alias(p, target)



def _order(levels):
    return sorted(set(levels), key=_modes.STACK.index)


def _physical_like(g, out):
    """grad_output ``g`` as a plain tensor of ``out``'s physical shape."""
    from .._tensor import wrap
    lo, lg = levels_of(out), levels_of(g)
    if lg == lo:
        return physical(g)
    if any(lv not in lo for lv in lg):
        raise RuntimeError("vmap: a grad_output is batched at a level its output is not batched at")
    arr = _raw(g)
    for i, lv in enumerate(lo):     # insert an axis for every level g is not batched at
        if lv not in lg:
            arr = np.expand_dims(arr, i)
    return wrap(np.broadcast_to(arr, _raw(out).shape))


def _ones_physical(out):
    from .._tensor import wrap
    if out.numel() != 1:
        raise RuntimeError("grad can be implicitly created only for scalar outputs")
    return wrap(np.ones(_raw(out).shape, _raw(out).dtype))


_direct = [False]


def batched_autograd(fn, outputs, inputs, grad_outputs, kwargs):
    """``autograd.grad`` / ``backward`` with batched tensors: run the engine on the physical
    tensors with every vmap level hidden (so a create_graph backward's formulas run on
    the physical arrays), then give each gradient the levels of its input. Returns
    NotImplemented when no batched tensor is involved."""
    def tup(x):
        return () if x is None else (x,) if isinstance(x, Tensor) else tuple(x)
    outs, ins = tup(outputs), tup(inputs)
    gos = tup(grad_outputs) if grad_outputs is not None else (None,) * len(outs)
    if _direct[0] or not any(type(t) is BatchedTensor for t in outs + ins + gos):
        return NotImplemented
    levels = _order([lv for t in outs + ins + gos if type(t) is BatchedTensor for lv in levels_of(t)])
    if len(gos) == len(outs) and any(type(g) is BatchedTensor and any(lv not in levels_of(o) for lv in levels_of(g))
                                     for g, o in zip(gos, outs)):
        # Cotangents batched where their outputs are not (rows of a Jacobian): the backward
        # formulas themselves run under vmap (as Tensor formulas, so their ops are batched).
        create = kwargs.get("create_graph", False)
        retain = kwargs.get("retain_graph")
        _direct[0] = True
        try:
            res = fn(outs, ins if inputs is not None else None, gos,
                     **dict(kwargs, create_graph=True, retain_graph=create if retain is None else retain))
        finally:
            _direct[0] = False
        if res is None or create:
            return res
        return tuple(None if g is None else g.detach() for g in res)
    if len(gos) == len(outs):
        gos = tuple(_ones_physical(o) if g is None and type(o) is BatchedTensor else
                    g if g is None or not isinstance(g, Tensor) else _physical_like(g, o)
                    for g, o in zip(gos, outs))
    p_outs = tuple(physical(o) for o in outs)
    p_ins = tuple(physical(t) for t in ins) if inputs is not None else None
    with _modes.excluding(levels):       # physical engine; forward-AD levels still apply
        res = fn(p_outs, p_ins, gos, **kwargs)
    if res is None:
        return None
    return tuple(None if g is None else alias(g, levels_of(t)) for g, t in zip(res, ins))


# ====================================================================== in-place ops
# make_inplace (ops/_declare.py) computes the op out of place, then writes the result
# into the tensor. For a batched tensor the write must reach the whole physical array and
# the graph must go through the physical result: BatchedTensor.inplace_snapshot /
# inplace_write do that for _declare.snapshot / write_into, and the level's
# carry_inplace completes the write of the not-recording path (which copies ``_data``,
# the first sample).
_INPLACE_ERROR = (
    "vmap: inplace arithmetic(self, *extra_args) is not possible because there exists a Tensor `other` in "
    "extra_args that has more elements than `self`. This happened due to `other` being vmapped over but `self` not "
    "being vmapped over in a vmap. Please try to use out-of-place operators instead of inplace arithmetic. If said "
    "operator is being called inside the PyTorch framework, please file a bug report instead.")


def _check_levels(t, result):
    lt, lr = levels_of(t), levels_of(result)
    if any(lv not in lt for lv in lr):
        raise RuntimeError(_INPLACE_ERROR)
    if lt != lr:        # result is batched at fewer levels: broadcast it to t's physical shape
        return np.broadcast_to(_raw(result), _raw(t).shape) if lr == lt[:len(lr)] else \
            np.broadcast_to(_raw(result), _raw(t).shape)
    return _raw(result)


def _snapshot(t, plain_snapshot):
    return alias(plain_snapshot(alias(t)), levels_of(t))


def _write_into(t, result):
    from ..ops._declare import saved_output_is
    src = _check_levels(t, result)
    np.copyto(_raw(t), src, casting="unsafe")
    t._vc[0] += 1
    node = result._grad_fn
    if node is None:
        return
    saved_output_is(node, _raw(t), t._vc)
    t._grad_fn = node
    t._out_nr = result._out_nr
    t._requires_grad = True


def _carry_batch(t, result):
    if type(t) is BatchedTensor or type(result) is BatchedTensor:
        np.copyto(_raw(t), _check_levels(t, result), casting="unsafe")


# ====================================================================== randomness
# Every random draw asks ``_random._gen`` for its generator: that is where a vmap level
# with randomness='error' refuses it, as PyTorch does. 'same' needs nothing (a draw of
# the logical shape is shared by every sample).
_RANDOM_ERROR = ("vmap: called random operation while in randomness error mode. Please either use the 'same' or "
                 "'different' randomness flags on vmap or perform the randomness operation out of vmap")


def _check_randomness(level):
    if level.randomness == "error":
        raise RuntimeError(_RANDOM_ERROR)
    if level.randomness == "different" and not _modes.is_drawing_batched():
        raise RuntimeError("vmap: randomness='different' covers the random factories (rand, randn, randint, "
                           "normal with a size, *_like), dropout and in-place fills (uniform_, normal_, ...); this "
                           "draw is not one of them: use randomness='same', or draw outside vmap")


# ====================================================================== pytrees
def _broadcast_flatten(tree, spec):
    """``tree`` (in_dims / out_dims) broadcast to the leaves of ``spec``, or None when
    the structures do not match."""
    out = []

    def go(t, s):
        if not is_node(t):
            out.extend([t] * s.num_leaves())
            return True
        if s.is_leaf or type(t) is not s.type and not (isinstance(t, dict) and issubclass(s.type, dict)):
            return False
        if isinstance(t, dict):
            if set(t) != set(s.context):
                return False
            return all(go(t[k], c) for k, c in zip(s.context, s.children))
        if len(t) != len(s.children):
            return False
        return all(go(a, c) for a, c in zip(t, s.children))
    return out if go(tree, spec) else None


# ====================================================================== vmap
def _name(func):
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_name(func.func)}, ...)"
    return repr(func)


def _check_out_dims(out_dims, func):
    if isinstance(out_dims, int):
        return
    for leaf in flatten(out_dims)[0]:
        if leaf is not None and not isinstance(leaf, int):
            raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims}): `out_dims` must be an int, None or a "
                             "python collection of ints representing where in the outputs the vmapped dimension "
                             "should appear.")


def _process_inputs(in_dims, args, func):
    name = _name(func)
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int or a "
                         f"(potentially nested) tuple matching the structure of inputs, got: {type(in_dims)}.")
    if len(args) == 0:
        raise ValueError(f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are "
                         "trying to vmap over a function with no inputs. The latter is unsupported.")
    flat_args, args_spec = flatten(args)
    flat_in_dims = _broadcast_flatten(in_dims, args_spec)
    if flat_in_dims is None:
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the "
                         f"structure of `inputs`. in_dims has structure {flatten(in_dims)[1]} but inputs has "
                         f"structure {args_spec}.")
    for i, (arg, d) in enumerate(zip(flat_args, flat_in_dims)):
        if d is not None and not isinstance(d, int):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for an input but "
                             "in_dim must be either an integer dimension or None.")
        if isinstance(d, int) and not isinstance(arg, Tensor):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for an input but "
                             f"the input is of type {type(arg)}. We cannot vmap over non-Tensor arguments, please "
                             "use None as the respective in_dim")
        if d is not None and (d < -arg.dim() or d >= arg.dim()):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for some input, but "
                             f"that input is a Tensor of dimensionality {arg.dim()} so expected in_dim to satisfy "
                             f"-{arg.dim()} <= in_dim < {arg.dim()}.")
        if d is not None and d < 0:
            flat_in_dims[i] = d % arg.dim()
    sizes = [arg.size(d) for d, arg in zip(flat_in_dims, flat_args) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{sizes} for the mapped dimension")
    return sizes[0], flat_in_dims, flat_args, args_spec


def _add_batch_dim(x, in_dim, level):
    """Enter the level: move ``in_dim`` to the front (a differentiable op), then mark."""
    if in_dim != 0:
        with _modes.hidden(level):
            x = movedim(x, in_dim, 0)
    return mark(x, level)


def movedim(x, src, dst):
    """``x.movedim(src, dst)`` for one dim, as a permute computed from the logical rank."""
    n = x.dim()
    src, dst = src % n, dst % n
    order = [d for d in range(n) if d != src]
    order.insert(dst, src)
    if order == list(range(n)):
        return x
    from ..ops._declare import REGISTRY, call
    return call(REGISTRY["permute"], (x,), {"dims": tuple(order)})


def _remove_batch_dim(name, out, level, size, out_dim):
    if out_dim is None:
        if isinstance(out, Tensor) and level in levels_of(out):
            raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor when out_dim is None")
        return out
    if not isinstance(out, Tensor):
        raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(out)}. "
                         "Did you mean to set out_dims= to None for output?")
    with _modes.hidden(level):
        if level in levels_of(out):
            t = peel(out, level)
        else:
            # Not batched at this level: every sample gives the same tensor.
            t = out.unsqueeze(0).expand((size,) + tuple(out.shape))
        n = t.dim()
        if not -n <= out_dim < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got "
                             f"{out_dim})")
        return movedim(t, 0, out_dim)


def _unwrap(outputs, out_dims, level, size, func):
    name = _name(func)
    flat_out, out_spec = flatten(outputs)

    def incompatible():
        return ValueError(f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with the "
                          f"structure of `outputs`. out_dims has structure {flatten(out_dims)[1]} but outputs "
                          f"has structure {out_spec}.")
    if isinstance(outputs, Tensor):
        if isinstance(out_dims, int) or out_dims is None:
            flat_dims = [out_dims]
        elif isinstance(out_dims, tuple) and len(out_dims) == 1:
            flat_dims = list(out_dims)
        else:
            raise incompatible()
    else:
        flat_dims = _broadcast_flatten(out_dims, out_spec)
        if flat_dims is None:
            raise incompatible()
    return unflatten([_remove_batch_dim(name, o, level, size, d) for o, d in zip(flat_out, flat_dims)],
                          out_spec)


def _flat_vmap(func, size, flat_in_dims, flat_args, args_spec, out_dims, randomness, kwargs):
    level = VmapLevel(size, randomness)
    with _modes.active(level):
        batched = [a if d is None else _add_batch_dim(a, d, level) for a, d in zip(flat_args, flat_in_dims)]
        outputs = func(*unflatten(batched, args_spec), **kwargs)
        return _unwrap(outputs, out_dims, level, size, func)


def _slice_chunks(flat_args, flat_in_dims, size, chunk_size):
    starts = list(range(0, size, chunk_size))
    chunks = []
    for s in starts:
        n = min(chunk_size, size - s)
        chunks.append([a if d is None else a.narrow(d, s, n) for a, d in zip(flat_args, flat_in_dims)])
    return chunks


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``torch.func.vmap``: ``func`` mapped over a dimension of its inputs. Each op runs
    once on the whole batch; ``in_dims`` / ``out_dims`` say where the mapped dimension
    is in each input / output (int, None, or a nested tuple/list/dict matching them)."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. "
                           f"Got {randomness}")
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        _check_out_dims(out_dims, func)
        size, flat_in_dims, flat_args, args_spec = _process_inputs(in_dims, args, func)
        if chunk_size is None or chunk_size >= size:
            return _flat_vmap(func, size, flat_in_dims, flat_args, args_spec, out_dims, randomness, kwargs)
        from .. import _random
        state = _random.get_rng_state() if randomness == "same" else None
        results = []
        for chunk in _slice_chunks(flat_args, flat_in_dims, size, chunk_size):
            if state is not None:
                _random.set_rng_state(state)
            n = next(a.size(d) for a, d in zip(chunk, flat_in_dims) if d is not None)
            results.append(_flat_vmap(func, n, flat_in_dims, chunk, args_spec, out_dims, randomness, kwargs))
        return _concat_chunks(results, out_dims)
    return wrapped


def _concat_chunks(results, out_dims):
    from .._tensor import Tensor as _T
    from ..ops._declare import FUNCTIONS
    flat0, spec = flatten(results[0])
    flat_dims = [out_dims] * len(flat0) if not is_node(out_dims) else (
        list(out_dims) if isinstance(results[0], _T) else _broadcast_flatten(out_dims, spec))
    flats = [flatten(r)[0] for r in results]
    out = []
    for i, d in enumerate(flat_dims):
        if d is None:
            out.append(flats[0][i])
        else:
            out.append(FUNCTIONS["cat"]([f[i] for f in flats], dim=d))
    return unflatten(out, spec)
