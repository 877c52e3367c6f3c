"""The backward graph: nodes (what ``.grad_fn`` is), the AccumulateGrad node at each
leaf, and saved-tensor slots. Nothing here knows a particular op.

A gradient travelling through the graph is a NumPy array when no graph of the
derivative is being built (``create_graph=False``) and a Tensor when it is; a node's
``_apply`` receives and returns values of whichever kind the engine runs with.
"""
import itertools
import re
import weakref

import numpy as np

from .anomaly_mode import state as anomaly
from .. import _tape
from .. import _tensor as T  # Tensor is defined above autograd; used only at call time

_next_seq = itertools.count().__next__


class RemovableHandle:
    """What ``register_hook`` returns: ``remove()`` takes the hook out again."""

    __slots__ = ("_hooks", "_key")
    _ids = itertools.count()

    def __init__(self, hooks):
        self._hooks = weakref.ref(hooks)
        self._key = next(self._ids)

    @property
    def id(self):
        return self._key

    def remove(self):
        hooks = self._hooks()
        if hooks is not None:
            hooks.pop(self._key, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _Hooks(dict):
    """An ordered id -> hook mapping that handles can refer to weakly."""

    __slots__ = ("__weakref__",)

    def add(self, fn):
        handle = RemovableHandle(self)
        self[handle._key] = fn
        return handle


class Node:
    """A node of the backward graph. ``_next`` holds one edge per forward input:
    ``(node, output_nr)``, or None for an input that needs no gradient. ``_meta``
    holds ``(shape, numpy dtype)`` per forward output: the engine reduces and casts
    each incoming gradient to it."""

    __slots__ = ("_next", "_meta", "_key", "__dict__", "__weakref__")

    # Rare attributes: class-level defaults, set per instance (in __dict__) only when used,
    # so that recording a node costs three attribute stores. ``_hooked`` says whether any
    # hook or retain_grad is set, so the engine checks one flag per node.
    _pre_hooks = _post_hooks = _tensor_hooks = _retain = _metadata = _trace = None
    _hooked = False

    def _init(self, next_edges, meta):
        self._next = next_edges
        self._meta = meta
        self._key = -_next_seq()  # later nodes run first, as in PyTorch's ready queue

    # -- public API, as torch.autograd.graph.Node ------------------------------------
    _cname = None  # the C++ name PyTorch's name() reports where it differs from the class name

    def name(self):
        return self._cname or type(self).__name__

    @property
    def next_functions(self):
        return tuple((None, 0) if e is None else e for e in self._next)

    @property
    def metadata(self):
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` runs after the node; it may return
        replacement grad_inputs."""
        if self._post_hooks is None:
            self._post_hooks = _Hooks()
        self._hooked = True
        return self._post_hooks.add(fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` runs before the node; it may return replacement grad_outputs."""
        if self._pre_hooks is None:
            self._pre_hooks = _Hooks()
        self._hooked = True
        return self._pre_hooks.add(fn)

    def __repr__(self):
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def _register_tensor_hook(self, output_nr, fn):
        if self._tensor_hooks is None:
            self._tensor_hooks = {}
        self._hooked = True
        return self._tensor_hooks.setdefault(output_nr, _Hooks()).add(fn)

    def __call__(self, *grads):
        """Run this node's backward directly on Tensors, as ``grad_fn(grad)`` does in PyTorch."""
        out = self._apply(list(grads), True)
        return out[0] if len(out) == 1 else tuple(out)

    def _release(self):
        """Free saved tensors after backward (unless retain_graph)."""

    def _apply(self, grads, graph):
        raise TypeError(f"{self.name()} cannot be run")


class AccumulateGrad(Node):
    """The node at a leaf that requires grad: adds the incoming gradient into ``.grad``."""

    __slots__ = ("variable",)
    _cname = "torch::autograd::AccumulateGrad"

    def __init__(self, variable):
        self._init((), ((variable._data.shape, variable._data.dtype),))
        self._key = -(1 << 62) - self._key  # accumulation runs as soon as it is ready
        self.variable = variable

    # A leaf's register_hook hooks are this node's tensor pre-hooks (the engine runs them,
    # before the node's own pre-hooks, as PyTorch does).
    @property
    def _tensor_hooks(self):
        hooks = self.variable._hooks
        return {0: hooks} if hooks else None

    @property
    def _hooked(self):
        return bool(self.variable._hooks) or self._pre_hooks is not None or self._post_hooks is not None

    @_hooked.setter
    def _hooked(self, value):
        pass  # derived from the hooks themselves

    def _apply(self, grads, graph):
        var = self.variable
        g = grads[0]
        if g is None:
            return ()
        old = var._grad
        rec = _tape.recording   # a step being captured (leafgrad.replay) notes the array work
        if old is None:
            if graph:
                # As PyTorch: the new .grad is a copy that stays differentiable (CopyBackwards).
                new = T.wrap(_tape.call(np.zeros, var._data.shape, var._data.dtype)).copy_(g)
            else:
                # A fresh buffer the user owns: never alias a gradient someone else holds. It
                # takes the leaf's layout, as PyTorch's does (a weight reached through .t()
                # gets a C-contiguous gradient, which the optimizer's passes then read fast).
                new = T.wrap(_tape.call(fresh_grad, g, var._data.flags.c_contiguous))
        elif graph:
            new = old + g
        else:
            new = old
            data = old._data
            if data.shape == g.shape:
                if rec is not None:
                    rec.accumulate_into(var, old)
                _tape.call(add_into, data, g)
            else:  # a .grad set by hand with another shape cannot happen; .grad is checked
                _tape.refuse("a .grad of another shape")
                old._data = data + g
            old._vc[0] += 1
        if new is not old:
            if rec is not None:
                rec.set_grad(var, new)
            var._grad = new
        if var._post_acc_hooks:
            _tape.refuse("a post-accumulate-grad hook runs in backward")
            for hook in tuple(var._post_acc_hooks.values()):
                hook(var)
        return ()

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"


def fresh_grad(g, c_contiguous):
    """A new ``.grad`` array holding ``g``, laid out as its leaf is."""
    return np.array(g, copy=True, order="C" if c_contiguous else "K")


_tape.copies.add(fresh_grad)


def add_into(a, b):
    """``a += b`` (a gradient buffer that is the engine's or the leaf's own)."""
    np.add(a, b, out=a, casting="unsafe")


def grad_accumulator(tensor):
    """The AccumulateGrad node of a leaf; the tensor holds it weakly (the node holds the
    tensor), so a leaf and its accumulator form no reference cycle."""
    ref = tensor._acc
    acc = ref() if ref is not None else None
    if acc is None:
        acc = AccumulateGrad(tensor)
        tensor._acc = weakref.ref(acc)
    return acc


def gradient_edge(tensor):
    """Where a gradient for ``tensor`` goes: its node and output, its accumulator, or None
    for a view made with grad mode off (it requires grad through its base, and nothing
    of its own receives a gradient)."""
    fn = tensor._grad_fn
    if fn is not None:
        return (fn, tensor._out_nr)
    if tensor._inherits_grad:
        return None
    return (grad_accumulator(tensor), 0)


def _edge_node(t):
    edge = gradient_edge(t)
    return edge and edge[0]


def run_tensor_hooks(hooks, g, graph):
    """Call ``tensor.register_hook`` hooks; a hook may return a replacement gradient."""
    for hook in tuple(hooks.values()):
        out = hook(g if graph else T.wrap(g))
        if out is not None:
            if not isinstance(out, T.Tensor):
                raise TypeError(f"expected Variable, but hook returned '{type(out).__name__}'")
            if out.shape != g.shape:
                raise RuntimeError(f"hook '{getattr(hook, '__name__', hook)}' has changed the size of value")
            g = out if graph else out._data
    return g


# ------------------------------------------------------------------ saved tensors
class SavedTensor:
    """One tensor saved for backward, with the version it had, so that an in-place
    change made afterwards is caught instead of silently giving a wrong gradient.
    An op's own output is kept as its array (holding the Tensor would make a cycle
    through ``grad_fn``) and rebuilt as a Tensor when a graph of the derivative is needed."""

    __slots__ = ("tensor", "data", "version", "saved_version", "is_output", "out_nr", "hooks")

    def __init__(self, tensor, is_output=False, out_nr=0):
        self.is_output = is_output
        self.out_nr = out_nr
        self.hooks = None
        if _saved_hooks:
            # saved_tensors_hooks: keep what pack returns; unpack gives the tensor back.
            pack, unpack = _saved_hooks[-1]
            self.hooks = unpack
            self.tensor = pack(tensor)
            self.data = self.version = self.saved_version = None
            return
        self.data = tensor._data
        self.version = tensor._vc
        self.saved_version = tensor._vc[0]
        self.is_output = is_output
        self.out_nr = out_nr
        self.tensor = None if is_output else tensor

    def check(self, node):
        if self.version[0] != self.saved_version:
            raise RuntimeError(modified_message(self, node))

    def unpack(self, node, graph):
        if self.hooks is not None:
            t = self.hooks(self.tensor)
            if not isinstance(t, T.Tensor):
                raise TypeError(f"Output of saved tensor unpack_hook expected to be a Tensor but got result of type "
                                f"{type(t).__name__}")
            if not graph:
                return t._data
            return T.make(t._data, node, self.out_nr) if self.is_output else t
        if self.version[0] != self.saved_version:
            raise RuntimeError(modified_message(self, node))
        if not graph:
            return self.data
        if self.is_output:
            t = T.make(self.data, node, self.out_nr)
            t._vc = self.version
            fw = node.__dict__.get("_out_fw")   # forward AD: the output's tangents
            if fw is not None and self.out_nr in fw:
                t.__dict__["_fw"] = fw[self.out_nr]
            return t
        return self.tensor


# ------------------------------------------------------------------ multi-tensor hooks
class _MultiHandle:
    __slots__ = ("handles",)

    def __init__(self, handles):
        self.handles = handles

    def remove(self):
        for h in self.handles:
            h.remove()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def register_multi_grad_hook(tensors, fn, *, mode="all"):
    """``mode="all"``: call ``fn(grads)`` once per backward, after the gradients of all
    ``tensors`` that this backward reaches are computed (None for the others).
    ``mode="any"``: call ``fn(grad)`` with the first of them to be computed."""
    from . import engine
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = tuple(tensors)
    seen = {}  # graph task -> gradients collected so far

    def make_hook(i):
        def hook(grad):
            task = engine.running[-1]
            grads = seen.get(task)
            if mode == "any":
                if grads is None:
                    seen.clear()
                    seen[task] = True
                    fn(grad)
                return None
            if grads is None:
                seen.clear()  # a new backward: forget the previous one
                grads = seen[task] = [None] * len(tensors)
            grads[i] = grad
            expected = sum(1 for t in tensors if t._requires_grad and task.will_run(_edge_node(t)))
            if sum(g is not None for g in grads) == expected:
                del seen[task]
                fn(list(grads))  # a list, as PyTorch passes it
            return None
        return hook

    return _MultiHandle([t.register_hook(make_hook(i)) for i, t in enumerate(tensors) if t._requires_grad])


# ------------------------------------------------------------------ saved-tensor hooks
_saved_hooks = []  # the active (pack, unpack) pairs, innermost last


class saved_tensors_hooks:
    """Inside this context every tensor saved for backward goes through ``pack_hook``;
    ``unpack_hook`` turns what it returned back into a tensor when backward needs it
    (e.g. to compress, offload or log saved tensors)."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        _saved_hooks.append((self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc):
        _saved_hooks.pop()


class save_on_cpu(saved_tensors_hooks):
    """PyTorch moves saved tensors to the CPU; leafgrad's are there already, so this
    passes them through."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        super().__init__(lambda t: t, lambda t: t)


def modified_message(saved, node):
    data = saved.data
    kind = T.legacy_type_name(data.dtype)
    # PyTorch names the node that produced the tensor (the saving node for its own
    # output, the tensor's current grad_fn otherwise) without the "Backward0" suffix.
    fn, nr = (node, saved.out_nr) if saved.is_output else (
        saved.tensor._grad_fn, saved.tensor._out_nr)
    where = "" if fn is None else f", which is output {nr} of {_BACKWARD_SUFFIX.sub('', fn.name())},"
    if anomaly.enabled:
        hint = ("Hint: the backtrace further above shows the operation that failed to compute its gradient. "
                "The variable in question was changed in there or anywhere later. Good luck!")
    else:
        hint = ("Hint: enable anomaly detection to find the operation that failed to compute its gradient, "
                "with torch.autograd.set_detect_anomaly(True, check_nan=False).")
    return ("one of the variables needed for gradient computation has been modified by an inplace "
            f"operation: [{kind} {list(data.shape)}]{where} is at version {saved.version[0]}; "
            f"expected version {saved.saved_version} instead. {hint}")


def freed_error(node):
    """PyTorch's message for a second backward through freed buffers, then the node."""
    return RuntimeError(f"{FREED_MESSAGE}\nHint: the node whose saved tensors were freed is {node.name()}, "
                        "released by an earlier backward through it.")


_BACKWARD_SUFFIX = re.compile(r"Backward0?$|Backward(?=\d+$)")

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call .backward() "
    "or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time "
    "or if you need to access saved tensors after calling backward.")


# ------------------------------------------------------------------ broadcasting
_add_reduce = np.add.reduce


def sum_to_call(g, shape):
    """``sum_to(g, shape)`` as the one call that does it, ``(function, *args)``: NumPy's own
    reduction where only leading axes go (a replay's tape then calls it directly)."""
    lead = g.ndim - len(shape)
    if lead > 0 and type(g) is np.ndarray and g.dtype.kind in "fc" and g.shape[lead:] == tuple(shape):
        return _add_reduce, g, tuple(range(lead))
    return sum_to, g, shape


def sum_to(g, shape):
    """Undo broadcasting: sum ``g`` down to ``shape``. Written with NumPy calls that a
    Tensor also answers (through ``__array_function__``), so one helper serves both the
    plain-array and the differentiable backward. Returns None when ``g`` cannot have been
    broadcast from ``shape``."""
    gshape = g.shape
    lead = len(gshape) - len(shape)
    if lead < 0:
        return None
    axes = list(range(lead))
    for i, n in enumerate(shape):
        if n == 1 and gshape[lead + i] != 1:
            axes.append(lead + i)
        elif n != gshape[lead + i]:
            return None
    if axes:
        if len(axes) == lead and type(g) is np.ndarray and g.dtype.kind in "fc":
            return _add_reduce(g, tuple(axes))   # (leading axes only: this is shape already; np.sum's own call)
        g = np.sum(g, axis=tuple(axes), keepdims=True)
    if lead or g.shape != tuple(shape):
        g = g.reshape(shape)
    return g
