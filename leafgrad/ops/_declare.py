"""How an op is declared, called and recorded.

An op is one ``declare(...)`` call: its NumPy forward and, for each differentiable
input, a derivative formula named after that input, as in PyTorch's derivatives.yaml::

    declare("mul", np.multiply, inputs=("self", "other"), promote="common",
            self=lambda grad, other: grad * other,
            other=lambda grad, self: grad * self)

A formula's parameter names say what it needs: ``grad`` (or ``grads`` for several
outputs), an input by name, ``result`` (the output), ``<input>_shape``, or a keyword
the op was called with. Only what the formulas of the inputs that require grad name
is saved, and only those formulas run in backward.

Formulas are written with NumPy calls and operators. In a plain backward they run on
arrays; with ``create_graph=True`` they run on Tensors, which answer the same calls
(``__array_ufunc__`` / ``__array_function__``) with leafgrad ops, so every formula is
itself differentiable and higher derivatives need no second formula.
"""
import functools
import inspect
import re

import numpy as np

from .. import _dtype, _tape
from .._tensor import HANDLED_FUNCTIONS, HANDLED_UFUNCS, Tensor, make, refresh_view, wrap, _LEGACY_NAMES
from ..autograd import grad_mode
from ..autograd.anomaly_mode import forward_trace, state as anomaly
from ..autograd.graph import Node, freed_error, SavedTensor, _next_seq, gradient_edge, _saved_hooks
from .._modes import STACK as _MODES, dispatch as _dispatch, only_observers as _only_observers, \
    refuse_batched  # noqa: F401

_state = grad_mode.state
_ndarray = np.ndarray
_asarray = np.asarray
_new = object.__new__

#: Every declared op by public name; the test sweep discovers ops from here.
REGISTRY = {}
#: Public functions for the ``leafgrad`` namespace.
FUNCTIONS = {}

_NUMBER = (int, float, bool)


class Spec:
    """Everything declared about one op."""

    def __init__(self, name, forward, inputs, formulas, outputs, node_name, promote, view):
        self.name = name
        self.forward = forward
        self.inputs = inputs
        self.formulas = formulas          # {input name or tuple of names: function}
        self.outputs = outputs            # names of the outputs
        self.node_name = node_name
        self.promote = promote
        self.view = view
        # ``inputs=("*tensors",)``: any number of tensors (cat, stack); formulas keyed by
        # "tensors" return one gradient per tensor.
        self.variadic = len(inputs) == 1 and inputs[0].startswith("*")
        if self.variadic:
            self.inputs = (inputs[0][1:],)
        self.plans = {}
        self.node_cls = type(node_name, (OpNode,), {"__slots__": (), "_spec": self})
        self.samples = []                 # inputs the test sweep runs (see _samples.py)
        self.check = None
        # Whether the result's shape depends on the inputs' values (True, or a test of the
        # call's parameters): a captured step (leafgrad.replay) cannot hold such an op.
        self.dynamic_shape = False

    def apply(self, inputs, params=None):
        """Run the op (what its public function does): how transforms re-run it."""
        return call(self, inputs, params)

    def plan(self, mask):
        """What to save and which formulas to run when the inputs in ``mask`` need grad.
        ``mask`` carries one bit per input plus a top bit marking the number of inputs."""
        plan = self.plans.get(mask)
        if plan is None:
            plan = self.plans[mask] = _Plan(self, mask)
        return plan


class _Plan:
    __slots__ = ("saves", "calls", "names", "one", "label")

    def __init__(self, spec, key):
        self.label = spec.name   # (how a captured tape names the formulas)
        n_inputs = key.bit_length() - 1
        mask = key & ~(1 << n_inputs)
        if spec.variadic:
            self._init_variadic(spec, mask, n_inputs)
            return
        names = []      # what is saved, by name
        defaults = {}   # a keyword parameter's default, when the call did not pass it
        calls = []      # (input indices, formula, positions in the saved tuple, wants grads tuple)
        for key, fn in spec.formulas.items():
            targets = key if isinstance(key, tuple) else (key,)
            idx = tuple(spec.inputs.index(t) for t in targets)
            if not any(mask >> i & 1 for i in idx):
                continue
            sig = inspect.signature(fn).parameters
            params = list(sig)
            wants = params[0]
            pos = []
            for p in params[1:]:
                if p not in names:
                    names.append(p)
                    defaults[p] = sig[p].default
                pos.append(names.index(p))
            calls.append((idx if isinstance(key, tuple) else idx[0], fn, tuple(pos), wants == "grads"))
        for i, inp in enumerate(spec.inputs):
            covered = any(inp == k or (isinstance(k, tuple) and inp in k) for k in spec.formulas)
            if mask >> i & 1 and not covered:
                calls.append((i, _not_differentiable(spec, inp), (), False))
        self.names = tuple(names)
        self.calls = calls
        # The common case, run by OpNode._apply without the general loop: one formula for
        # one input, taking one gradient: (formula, positions or None when it takes the
        # saved values in order, input index, number of inputs).
        self.one = None
        if len(calls) == 1 and not calls[0][3] and type(calls[0][0]) is not tuple:
            idx, fn, pos, _ = calls[0]
            self.one = (fn, None if pos == tuple(range(len(names))) else pos, idx, n_inputs)
        # How to fetch each saved name at record time: (kind, key).
        saves = []
        for n in names:
            if n in spec.inputs:
                saves.append((0, spec.inputs.index(n)))
            elif n == "result" or n in spec.outputs:
                saves.append((1, 0 if n == "result" else spec.outputs.index(n)))
            elif n.endswith("_shape") and n[:-6] in spec.inputs:
                saves.append((2, spec.inputs.index(n[:-6])))
            elif n.endswith("_dtype") and n[:-6] in spec.inputs:
                saves.append((4, spec.inputs.index(n[:-6])))
            else:
                saves.append((3, (n, defaults[n])))
        self.saves = tuple(saves)

    def formula_args(self, inputs, results, params):
        """What the formulas take, as Tensors (what ``_save`` keeps, unpacked for a
        graph): forward AD runs the formulas right after the op."""
        vals = []
        for kind, key in self.saves:
            if kind == 0:
                vals.append(inputs[key])
            elif kind == 1:
                r = results[key]    # integer outputs (indices) are kept as arrays, as in _save
                vals.append(r if r._data.dtype.kind == "f" else r._data)
            elif kind == 2:
                x = inputs[key]
                vals.append(x._data.shape if isinstance(x, Tensor) else ())
            elif kind == 4:
                vals.append(inputs[key]._data.dtype)
            elif kind == 5:
                vals.append(list(inputs))
            elif kind == 6:
                vals.append(tuple(x._data.shape if isinstance(x, Tensor) else np.shape(x) for x in inputs))
            else:
                name, default = key
                vals.append(params.get(name, default) if params else default)
        return vals

    def _init_variadic(self, spec, mask, n):
        name = spec.inputs[0]
        calls, names, saves = [], [], []
        for key, fn in spec.formulas.items():
            params = list(inspect.signature(fn).parameters)
            pos = []
            for p in params[1:]:
                if p not in names:
                    names.append(p)
                    saves.append((5, None) if p == name else (6, None) if p == name + "_shapes" else
                                 (1, 0) if p == "result" else (3, (p, inspect.signature(fn).parameters[p].default)))
                pos.append(names.index(p))
            calls.append((tuple(range(n)), fn, tuple(pos), params[0] == "grads"))
        self.names, self.calls, self.saves = tuple(names), calls, tuple(saves)
        self.one = None


class SavedList(tuple):
    """The saved tensors of a variadic input."""

    __slots__ = ()


def _not_differentiable(spec, inp):
    def formula(grad):
        raise NotImplementedError(f"the derivative for '{inp}' is not implemented.")
    return formula


class OpNode(Node):
    """The node of a declared op; each op gets its own subclass (``MulBackward0``)
    whose ``_spec`` class attribute carries the formulas."""

    __slots__ = ("_saved", "_plan")

    def _apply(self, grads, graph):
        plan = self._plan
        saved = self._saved
        if saved is None:
            raise freed_error(self)
        if saved:
            vals = []
            for s in saved:
                ts = type(s)
                if ts is SavedTensor:
                    # An untouched saved array in a plain backward: the array itself.
                    if graph or s.hooks is not None or s.version[0] != s.saved_version:
                        vals.append(s.unpack(self, graph))
                    else:
                        vals.append(s.data)
                elif ts is SavedList:
                    vals.append([x.unpack(self, graph) if type(x) is SavedTensor else x for x in s])
                else:
                    vals.append(s)
        else:
            vals = ()
        if _tape.recording is not None and not graph:
            # A step being captured: the formulas are one noted call on the arrays.
            return _tape.run_noted(_formulas, plan, self._meta, len(self._next), vals, tuple(grads), False)
        return _formulas(plan, self._meta, len(self._next), vals, grads, graph)

    def _release(self):
        # Free saved tensors; a node that kept only numbers and shapes stays runnable, as
        # in PyTorch (a second backward through SumBackward0 works).
        saved = self._saved
        if saved:
            for s in saved:
                if type(s) is SavedTensor or type(s) is SavedList:
                    self._saved = None
                    return

    def __getattr__(self, attr):
        # grad_fn._saved_self, ._saved_other, ._saved_result, ... as PyTorch names them
        if attr.startswith("_saved_"):
            name = attr[7:]
            plan = object.__getattribute__(self, "_plan")
            if name in plan.names:
                saved = object.__getattribute__(self, "_saved")
                if saved is None:
                    raise freed_error(self)
                s = saved[plan.names.index(name)]
                if type(s) is SavedTensor:
                    return s.unpack(self, True)
                if name in self._spec.inputs and isinstance(s, (int, float)):
                    from .._creation import tensor
                    return tensor(s)  # PyTorch keeps a wrapped number as a 0-d tensor
                return s
            if name in self._spec.inputs or name == "result":
                return None
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{attr}'")


def _formulas(plan, meta, n_inputs, vals, grads, graph):
    """The gradients for a node's inputs: its formulas run on the incoming ``grads`` and
    the saved values ``vals`` (``meta``: the shapes and dtypes of the node's outputs, for
    gradients that never arrived; ``n_inputs``: how many inputs)."""
    grad = grads[0]
    one = plan.one
    if one is not None and grad is not None:
        fn, pos, idx, n = one
        res = fn(grad, *vals) if pos is None else fn(grad, *[vals[p] for p in pos])
        if n == 1:
            return (res,)
        if n == 2:
            return (res, None) if idx == 0 else (None, res)
        outs = [None] * n
        outs[idx] = res
        return outs
    outs = [None] * n_inputs
    for idx, fn, pos, wants_all in plan.calls:
        if wants_all:
            res = fn(_materialize(meta, grads, graph), *[vals[p] for p in pos])
        else:
            if grad is None:
                grad = _zeros(meta, 0, graph)
            res = fn(grad, *[vals[p] for p in pos])
        if type(idx) is tuple:
            for i, r in zip(idx, res):
                outs[i] = r
        else:
            outs[idx] = res
    return outs


def _zeros(meta, i, graph):
    shape, dtype = meta[i]
    z = np.zeros(shape, dtype)
    return wrap(z) if graph else z


def _materialize(meta, grads, graph):
    return tuple(_zeros(meta, i, graph) if g is None else g for i, g in enumerate(grads))


# ---------------------------------------------------------------------- recording
def _check_inference(x):
    if x._inference:
        raise RuntimeError(
            "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
            "inference mode in computation tracked by autograd. To work around this, you can make a "
            "clone to get a normal tensor and use it in autograd, or use `torch.no_grad()` instead of "
            "`torch.inference_mode()`.")


def record(spec, out, inputs, params):
    """Wrap ``out`` (an array, or a tuple of arrays for several outputs) as the outputs
    of a new node of ``spec`` whose inputs are ``inputs``."""
    if type(out) is not tuple and out.dtype.kind != "f":
        return wrap(out)  # comparisons, integer results: nothing to differentiate
    mask = 0
    bit = 1
    edges = []
    for x in inputs:
        if isinstance(x, Tensor) and x._requires_grad:
            mask |= bit
            if x._base is not None and x._view_fn is not None:
                refresh_view(x)
            fn = x._grad_fn
            edges.append((fn, x._out_nr) if fn is not None else gradient_edge(x))
        else:
            edges.append(None)
        bit <<= 1
    return _finish(spec, out, inputs, params, mask | bit, tuple(edges))


def _edge(x):
    """The edge to ``x`` (which requires grad) for a node that takes it as input."""
    fn = x._grad_fn
    if x._base is None:
        if fn is not None:
            return (fn, x._out_nr)
    elif x._view_fn is not None:
        refresh_view(x)
        fn = x._grad_fn
    return (fn, x._out_nr) if fn is not None else gradient_edge(x)


def _finish(spec, out, inputs, params, mask, edges):
    """The node of ``spec`` with ``edges``, and its outputs (``record``'s second half)."""
    plan = spec.plans.get(mask) or spec.plan(mask)
    node = _new(spec.node_cls)
    node._next = edges
    node._key = -_next_seq()
    node._plan = plan
    if anomaly.enabled:
        node._trace = forward_trace()
    if type(out) is tuple:
        node._meta = tuple((a.shape, a.dtype) for a in out)
        results = [make(a, node, nr) if a.dtype.kind == "f" else wrap(a) for nr, a in enumerate(out)]
        node._saved = _save(plan.saves, node, inputs, results, params) if plan.saves else ()
        return tuple(results)
    node._meta = ((out.shape, out.dtype),)
    # make(out, node, 0), inlined: this runs once per recorded op.
    res = _new(Tensor)
    res._data = out
    res._grad_fn = node
    res._requires_grad = True
    res._vc = [0]
    res._base = None
    res._grad = None
    res._out_nr = 0
    saves = plan.saves
    if not saves:
        node._saved = ()
    elif len(saves) == 1 and not _saved_hooks:
        kind, key = saves[0]
        if kind == 1:
            node._saved = (_saved_tensor(res, True),)   # tanh, exp, sigmoid, ...: the output alone
        elif kind == 0 and not isinstance(inputs[key], Tensor):
            node._saved = (inputs[key],)          # x * 2.0: the number
        else:
            node._saved = _save(saves, node, inputs, (res,), params)
    else:
        node._saved = _save(saves, node, inputs, (res,), params)
    return res


def _saved_tensor(t, is_output):
    """``SavedTensor(t, is_output)`` without a constructor call, when no saved-tensor
    hooks are active (the common case, once per recorded op)."""
    s = _new(SavedTensor)
    s.tensor = None if is_output else t
    s.data = t._data
    s.version = vc = t._vc
    s.saved_version = vc[0]
    s.is_output = is_output
    s.out_nr = 0
    s.hooks = None
    return s


def _save(saves, node, inputs, results, params):
    saved = []
    for kind, key in saves:
        if kind == 0:
            x = inputs[key]
            if isinstance(x, Tensor):
                if x._inference:
                    _check_inference(x)
                saved.append(SavedTensor(x) if _saved_hooks else _saved_tensor(x, False))
            else:
                saved.append(x)
        elif kind == 1:
            r = results[key]
            saved.append(SavedTensor(r, True, key) if r._grad_fn is node else r._data)
        elif kind == 2:
            x = inputs[key]
            saved.append(x._data.shape if isinstance(x, Tensor) else ())
        elif kind == 4:
            saved.append(inputs[key]._data.dtype)
        elif kind == 5:
            saved.append(SavedList(SavedTensor(x) if isinstance(x, Tensor) else x for x in inputs))
        elif kind == 6:
            saved.append(tuple(x._data.shape if isinstance(x, Tensor) else np.shape(x) for x in inputs))
        else:
            name, default = key
            saved.append(params.get(name, default) if params else default)
    return tuple(saved)


def _as_array(spec, i, x):
    """An operand as an array: Tensors give their data, numbers stay numbers (NumPy
    treats them as weakly typed, like PyTorch's wrapped numbers)."""
    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, _NUMBER):
        return x
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, _ndarray):
        return x
    name = spec.inputs[min(i, len(spec.inputs) - 1)]
    raise TypeError(f"{spec.name}(): argument '{name}' (position {i + 1}) must be Tensor, not {type(x).__name__}")


def _promote(spec, inputs, arrays):
    """Cast operands to PyTorch's result type (``promote='common'``), or to the default
    float dtype for ops that always return floats (``promote='float'``)."""
    target = _dtype.result_type_of([x for x in inputs if x is not None])
    if spec.promote == "float" and target._category != 2:
        target = _dtype.get_default_dtype()
    npd = target.np
    out = []
    for x, a in zip(inputs, arrays):
        if isinstance(a, _ndarray):
            out.append(a if a.dtype == npd else a.astype(npd))
        elif a is None:
            out.append(a)
        elif target._category == 1 and isinstance(a, int):
            out.append(np.asarray(a).astype(npd))  # wraps around like PyTorch's integer arithmetic
        else:
            out.append(npd.type(a) if target._category == 2 or not isinstance(a, float) else a)
    return out


def _promoted(spec, inputs, arrays):
    """The operands as the forward gets them: cast to the result type where they differ."""
    first = arrays[0]
    if type(first) is _ndarray:
        dt = first.dtype
        for a in arrays:
            if type(a) is not _ndarray or a.dtype is not dt:
                return _promote(spec, inputs, arrays)
        if spec.promote == "float" and dt.kind != "f":
            return _promote(spec, inputs, arrays)
        return arrays
    return _promote(spec, inputs, arrays)


def constant(a):
    """``a`` made read-only: an array built from shapes or Python values, never from
    tensor data, which a captured step (``leafgrad.replay``) may keep as it is."""
    if a is not None:
        a.flags.writeable = False
    return a


def same_as(ufunc, fn):
    """``fn`` (an op's forward or a derivative formula), marked as computing exactly
    ``ufunc(*args)`` when it is called with arrays and no keyword arguments. A captured
    step's replay (``leafgrad.replay``) then has ``ufunc`` write large results into
    buffers it reuses from call to call, instead of fresh memory."""
    fn.ufunc = ufunc
    return fn


class ArrayForward:
    """An op call as a function of its input arrays (then its parameters, named by
    ``keys``), checks and graph left out, the casts of its type promotion kept: what a
    captured step (``leafgrad.replay``) runs again for the op. The tape writes it out as
    a direct call of the forward (``replay._Program.forward``), so this only describes it."""

    __slots__ = ("spec", "keys", "casts")

    def __init__(self, spec, keys, casts):
        self.spec, self.keys, self.casts = spec, keys, casts

    @property
    def __name__(self):
        return self.spec.name

    def __repr__(self):
        return f"<forward of {self.spec.name}>"


def array_forward(spec, inputs, params):
    """``(fn, args)``: the ``ArrayForward`` that computes, from ``args``, the arrays that
    ``call(spec, inputs, params)`` computes, from the input tensors' arrays, other operands and the parameters (arrays
    among them are arguments too, so that a tape sees where they come from)."""
    arrays = [x._data if isinstance(x, Tensor) else x if x is None or type(x) is _ndarray or isinstance(
        x, (int, float)) else _as_array(spec, i, x) for i, x in enumerate(inputs)]
    ready = _promoted(spec, inputs, arrays) if spec.promote is not None else arrays
    casts = None
    args = []
    for i, (x, a) in enumerate(zip(inputs, ready)):
        if isinstance(x, Tensor):
            args.append(x._data)
            if a is not x._data:
                casts = casts or [None] * len(inputs)
                casts[i] = a.dtype
        elif type(a) is _ndarray and a is not x:
            args.append(constant(a.copy()))   # a number made an array
        else:
            args.append(a)
    params = params or {}
    return ArrayForward(spec, tuple(params), casts), args + list(params.values())


def call(spec, inputs, params=None):
    """Run an op: NumPy forward, then a node if any input requires grad in grad mode.
    Given arrays only (as formulas are in a plain backward), it returns arrays."""
    if params and spec.numbers:
        params = _number_params(spec, params)
    arrays = []
    tracked = False     # some input requires grad
    tensors = False
    for x in inputs:
        if isinstance(x, Tensor):
            tensors = True
            if x._requires_grad:
                tracked = True
            arrays.append(x._data)
        else:
            arrays.append(x)
    if not tensors:
        # Arrays only (a formula in a plain backward): stay in NumPy.
        arrays = [_asarray(x) if isinstance(x, np.generic) else x for x in inputs]
        return spec.forward(*arrays, **params) if params else spec.forward(*arrays)
    if _MODES:
        # A transform is active (forward AD, vmap): its level may claim this call.
        res = _dispatch(spec, inputs, params)
        if res is not None:
            return res
    i = 0
    for x in inputs:   # numbers stay numbers; NumPy scalars become numbers; others are refused
        if x is not None and type(x) is not _ndarray and not isinstance(x, (Tensor, int, float)):
            arrays[i] = _as_array(spec, i, x)
        i += 1
    if spec.check is not None:
        spec.check(*inputs, **params) if params else spec.check(*inputs)
    if spec.promote is not None:
        arrays = _promoted(spec, inputs, arrays)
    try:
        out = spec.forward(*arrays, **params) if params else spec.forward(*arrays)
    except ValueError:
        shaped = [a for a in arrays if isinstance(a, _ndarray)]
        if len(shaped) >= 2:
            raise broadcast_error(shaped[0], shaped[1]) from None
        raise
    if type(out) is tuple:
        out = tuple(o if type(o) is _ndarray else _asarray(o) for o in out)
    elif type(out) is not _ndarray:
        out = _asarray(out)
    if tracked and _state.enabled:
        res = record(spec, out, inputs, params)
        if spec.view:
            _mark_view(res, inputs[0], spec, inputs[1:], params)
        return res
    reason = None
    for x in inputs:
        if isinstance(x, Tensor):
            if x._requires_grad:
                reason = "grad mode was off"
                break
            reason = reason or x._untracked
    if reason is not None:
        res = tuple(untracked(o, reason) for o in out) if type(out) is tuple else untracked(out, reason)
    else:
        res = tuple(wrap(o) for o in out) if type(out) is tuple else wrap(out)
    if spec.view:
        _mark_view(res, inputs[0], spec, inputs[1:], params)
    return res


def _number_params(spec, params):
    """The Scalar parameters given as tensors, as their values (PyTorch's argument parser
    takes a 0-d tensor that does not require grad for a Scalar). A replay could not see
    the value change, so a step that does this runs eagerly."""
    for k in spec.numbers:
        v = params.get(k)
        if isinstance(v, Tensor):
            if v._data.ndim or v._requires_grad:
                raise TypeError(f"{spec.name}(): argument '{k}' must be Number, not Tensor")
            _tape.refuse(f"it passes a tensor as the number argument {k}= of {spec.name}(), whose value a tape "
                         "would keep")
            params = dict(params)
            params[k] = v._data.item()
    return params


def untracked(out, reason="grad mode was off"):
    """A result that would have had a graph but has none (computed with grad mode off,
    or from a detached tensor): remembered, so that a backward from it can say why."""
    t = wrap(out)
    t.__dict__["_untracked"] = reason
    return t


def broadcast_error(a, b):
    """PyTorch's message for operands whose shapes do not broadcast (the rightmost
    mismatching dim, numbered in the result)."""
    sa, sb = np.shape(a), np.shape(b)
    n = max(len(sa), len(sb))
    for i in range(n - 1, -1, -1):
        da = sa[i - n + len(sa)] if i - n + len(sa) >= 0 else 1
        db = sb[i - n + len(sb)] if i - n + len(sb) >= 0 else 1
        if da != db and da != 1 and db != 1:
            return RuntimeError(f"The size of tensor a ({da}) must match the size of tensor b ({db}) at "
                                f"non-singleton dimension {i}")
    return ValueError(f"operands could not be broadcast together with shapes {sa} {sb}")


def _mark_view(res, src, spec, rest, params):
    """A view op's output shares the data and the version counter of its input."""
    if not isinstance(src, Tensor):
        return
    outs = res if type(res) is tuple else (res,)
    # How the view was made, as PyTorch's CreationMeta: with grad mode off, or as one of
    # several views (unbind, split); a view of such a view inherits it. Such views may
    # not be written in place while recording (``view_rebase_error``).
    creation = ("inference" if _state.inference else "no_grad") if not _state.enabled else \
        "multi" if type(res) is tuple else src.__dict__.get("_creation") if src._base is not None else None
    for i, o in enumerate(outs):
        if o._data.base is None:
            continue   # NumPy had to copy (e.g. reshape of a non-contiguous array)
        if not src._inference and "_inference" in o.__dict__:
            del o.__dict__["_inference"]   # (a view of a normal tensor made in inference mode is a normal tensor)
        o._vc = src._vc
        o._base = src if src._base is None else src._base
        o.__dict__["_view_fn"] = (functools.partial(_replay_one, spec, rest, params, i), src._view_fn)
        if src._base is not None or src._requires_grad:
            o.__dict__["_view_of"] = o._base._grad_fn
            o.__dict__["_at"] = o._vc[0]   # (the memory's version its history is for)
        if creation is not None:
            o.__dict__["_creation"] = creation
            if not _state.enabled and o._base._requires_grad:
                # PyTorch: a view requires grad when its base does, but one made with grad
                # mode off has no history and no accumulator of its own: ops record it, and
                # the gradient that reaches it goes nowhere (``gradient_edge`` is None)
                o._requires_grad = True
                o.__dict__["_inherits_grad"] = True


def _replay_one(spec, rest, params, i, src):
    out = call(spec, (src,) + tuple(rest), params)
    return out[i] if type(out) is tuple else out


# ---------------------------------------------------------------------- helpers for formulas
def broadcast_to(a, shape):
    """``np.broadcast_to(a, shape)``: a read-only view. For a C-contiguous array it is
    built directly (about 10x cheaper than NumPy's function on small arrays); Tensors and
    anything else go through NumPy (which dispatches Tensors to the differentiable op)."""
    if type(a) is not _ndarray:
        if not isinstance(a, np.generic):
            return np.broadcast_to(a, shape)
        a = _asarray(a)
    shape = tuple(shape)
    if not a.ndim:   # the gradient of a full reduction
        out = _ndarray(shape, a.dtype, a, 0, (0,) * len(shape))
        out.flags.writeable = False
        return out
    if not a.flags.c_contiguous:
        return np.broadcast_to(a, shape)
    ashape = a.shape
    if ashape == shape:
        return a
    lead = len(shape) - len(ashape)
    if lead < 0:
        return np.broadcast_to(a, shape)
    strides = [0] * lead
    astrides = a.strides
    for i, n in enumerate(ashape):
        m = shape[lead + i]
        if n == m:
            strides.append(astrides[i])
        elif n == 1 and m >= 0:
            strides.append(0)
        else:
            return np.broadcast_to(a, shape)   # NumPy's error
    out = _ndarray(shape, a.dtype, a, 0, tuple(strides))
    out.flags.writeable = False
    return out


# ---------------------------------------------------------------------- declaring
def declare(name, forward, *, inputs=("self",), node=None, method=None, inplace=None,
            ufunc=None, array_function=None, promote=None, outputs=("result",), view=False,
            public=True, samples=(), check=None, dynamic_shape=False, numbers=(), **formulas):
    """Declare an op and install its public function and Tensor methods.

    ``method``: Tensor method name(s) (True: the op's name). ``inplace``: in-place method
    name. ``ufunc`` / ``array_function``: NumPy callables that dispatch to this op when
    given Tensors. ``check(*inputs, **params)``: validation that must see the operands
    before type promotion (e.g. refusing bool operands). ``dynamic_shape``: True, or a
    function of the call's parameters, when the result's shape depends on the values of
    the inputs (``masked_select``, ``x[mask]``). ``numbers``: parameters that PyTorch types
    as Scalar (``alpha``): a 0-d tensor passed there stands for its value.
    Returns the public function."""
    node_name = node or "".join(p.capitalize() for p in name.split("_")) + "Backward0"
    spec = Spec(name, forward, tuple(inputs), formulas, tuple(outputs), node_name, promote, view)
    spec.samples = list(samples)
    spec.check = check
    spec.dynamic_shape = dynamic_shape
    spec.numbers = tuple(numbers)
    REGISTRY[name] = spec
    fn = make_function(spec)
    if public:
        FUNCTIONS[name] = fn
    install(spec, fn, method=method, inplace=inplace, ufunc=ufunc, array_function=array_function)
    return fn


def install(spec, fn, *, method=None, inplace=None, ufunc=None, array_function=None):
    if method:
        for m in ([spec.name] if method is True else [method] if isinstance(method, str) else method):
            setattr(Tensor, m, fn)
    if inplace:
        setattr(Tensor, inplace, make_inplace(fn))
    if ufunc is not None:
        HANDLED_UFUNCS[ufunc] = fn
    if array_function is not None:
        HANDLED_FUNCTIONS[array_function] = fn


# Ops whose forward is one arithmetic ufunc on (tensor, number): the number may be passed
# as a 0-d array of the tensor's float dtype, which NumPy handles faster and rounds alike.
_SCALAR_OK = frozenset(("add", "sub", "mul", "div", "rsub.Scalar"))
_SCALARS = {}


def _scalar(x, dtype):
    key = (x, dtype)
    z = _SCALARS.get(key)
    if z is None:
        # Zeros (-0.0 == 0.0), NaN and values out of the dtype's range keep NumPy's own path.
        top = _FMAX.get(dtype.char)
        if top is None or x != x or not x or not -top < x < top or type(x) is int and not -2 ** 24 < x < 2 ** 24:
            return x
        if len(_SCALARS) > 4096:
            _SCALARS.clear()
        z = _SCALARS[key] = np.array(x, dtype)
        z.flags.writeable = False
    return z


_FMAX = {c: float(np.finfo(c).max) for c in "efdg"}


def make_function(spec):
    """The public callable: positional tensor inputs, then keyword parameters."""
    n = len(spec.inputs)
    forward = spec.forward
    if spec.variadic:
        def op(tensors, **params):
            return call(spec, tuple(tensors), params)
        op.__name__ = op.__qualname__ = spec.name
        op.spec = spec
        return op
    float_only = spec.promote == "float"
    scalar_ok = spec.name in _SCALAR_OK
    if n == 1 and not spec.view and len(spec.outputs) == 1:
        def op(self, **params):
            if type(self) is _ndarray:  # inside a plain backward: NumPy in, NumPy out
                return forward(self, **params) if params else forward(self)
            # The hot path: a tensor in, no parameters, no promotion needed, no transform.
            if params or _MODES or type(self) is not Tensor or float_only and self._data.dtype.kind != "f":
                return call(spec, (self,), params)
            out = forward(self._data)
            if type(out) is not _ndarray:
                out = _asarray(out)
            if self._requires_grad:
                if not _state.enabled:
                    return untracked(out)
                if out.dtype.kind != "f":
                    return wrap(out)
                fn = self._grad_fn   # the edge, inline for a non-view (else _edge)
                e = (fn, self._out_nr) if fn is not None and self._base is None else _edge(self)
                return _finish(spec, out, (self,), None, 3, (e,))
            if self._untracked is not None:
                return untracked(out, self._untracked)
            return wrap(out)
    elif n == 1:
        def op(self, **params):
            return call(spec, (self,), params)
    elif n == 2 and not spec.view:
        def op(self, other, **params):
            if type(self) is _ndarray and type(other) is not Tensor:  # inside a plain backward
                return forward(self, other, **params) if params else forward(self, other)
            # The hot path: tensor op tensor of one dtype, or a float tensor op a number.
            if params or _MODES or type(self) is not Tensor:
                return call(spec, (self, other), params)
            a = self._data
            kind = a.dtype.kind
            if float_only and kind != "f":
                return call(spec, (self, other), params)
            tother = type(other)
            if tother is Tensor:
                b = other._data
                if a.dtype is not b.dtype:
                    return call(spec, (self, other), params)
                rg = self._requires_grad or other._requires_grad
            elif (tother is float or tother is int) and kind == "f":
                # A number as a 0-d array of the tensor's dtype: the same value NumPy would
                # convert it to, without the cost of converting it on every call.
                if scalar_ok:
                    b = _SCALARS.get((other, a.dtype))
                    if b is None:
                        b = _scalar(other, a.dtype)
                else:
                    b = other
                rg = self._requires_grad
            else:
                return call(spec, (self, other), params)
            try:
                out = forward(a, b)
            except ValueError:
                raise broadcast_error(a, b) from None
            if type(out) is not _ndarray:
                out = _asarray(out)
            if rg:
                if not _state.enabled:
                    return untracked(out)
                if out.dtype.kind != "f":
                    return wrap(out)
                if self._requires_grad:
                    fn = self._grad_fn   # the edge, inline for a non-view (else _edge)
                    e = (fn, self._out_nr) if fn is not None and self._base is None else _edge(self)
                    if tother is Tensor and other._requires_grad:
                        return _finish(spec, out, (self, other), None, 7, (e, _edge(other)))
                    return _finish(spec, out, (self, other), None, 5, (e, None))
                return _finish(spec, out, (self, other), None, 6, (None, _edge(other)))
            if self._untracked is not None or tother is Tensor and other._untracked is not None:
                return untracked(out, self._untracked or other._untracked)
            return wrap(out)
    elif n == 2:
        def op(self, other, **params):
            return call(spec, (self, other), params)
    else:
        def op(*args, **params):
            return call(spec, args, params)
    op.__name__ = op.__qualname__ = spec.name
    op.spec = spec
    return op


# ---------------------------------------------------------------------- in-place
def check_inplace(t):
    """PyTorch refuses in-place changes to leaves that require grad (and their views)
    while recording: their gradient would silently be wrong."""
    if _state.enabled:
        if t._grad_fn is None and t._requires_grad:
            if t._base is not None:
                raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                                   "in-place operation.")
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        base = t._base
        if base is not None and base._grad_fn is None and base._requires_grad:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                               "in-place operation.")


_VIEW_REBASE = {
    "multi": " This view is the output of a function that returns multiple views. Such functions do not allow the "
             "output views to be modified inplace. You should replace the inplace operation by an out-of-place one.",
    "no_grad": " Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by "
               "moving both the view and the inplace either both inside the no_grad block (if you don't want the "
               "inplace to be tracked) or both outside (if you want the inplace to be tracked).",
    "inference": " Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code "
                 "by moving both the view and the inplace either both inside the inference_mode block (if you don't "
                 "want the inplace to be tracked) or both outside (if you want the inplace to be tracked)."}


def view_rebase_error(view, indirect=False):
    """PyTorch's error for a view made with grad mode off or by a multi-output op (unbind,
    split) when it, or (``indirect``) its base or another view of it, was written in place
    while recording: the view's history cannot be rebuilt."""
    creation = view.__dict__["_creation"]
    what = "its base or another view of its base has been" if indirect else "is being"
    fn = view._grad_fn
    if fn is not None:
        head = f"Output {view._out_nr} of {re.sub(r'Backward[0-9]*$', '', fn.name())} is a view and {what} " \
               "modified inplace."
    elif creation == "inference":
        head = f"A view was created in inference mode and {what} modified inplace in normal mode."
    else:
        head = f"A view was created in no_grad mode and {what} modified inplace with grad mode enabled."
    return RuntimeError(head + _VIEW_REBASE[creation])


_INTERNAL_OVERLAP = ("unsupported operation: more than one element of the written-to tensor refers to a single "
                     "memory location. Please clone() the tensor before performing the operation.")
_PARTIAL_OVERLAP = ("unsupported operation: some elements of the input tensor and the written-to tensor refer to "
                    "a single memory location. Please clone() the tensor before performing the operation.")


def shows_twice(a):
    """Does array ``a`` show one memory element at several places (an expanded tensor)?"""
    return 0 in a.strides and a.size > 1 and any(n > 1 and s == 0 for n, s in zip(a.shape, a.strides))


def check_overlap(t, inputs):
    """PyTorch's memory checks before an in-place write into ``t`` (TensorIterator's): t may
    not show one element twice (an expanded tensor), and an input tensor may share t's
    memory only fully (the same elements in the same layout, as ``x.add_(x)``). Layouts
    with gaps are too hard to judge and pass, as in PyTorch."""
    a = t._data
    if shows_twice(a):
        raise RuntimeError(_INTERNAL_OVERLAP)
    for x in inputs:
        if (isinstance(x, Tensor) and x is not t and not x._batched and np.may_share_memory(a, x._data)
                and _partial_overlap(a, x._data)):
            raise RuntimeError(_PARTIAL_OVERLAP)


def _partial_overlap(a, b):
    """Do two arrays whose memory ranges may meet share some elements, but not all in the
    same layout? (None of them empty, both without gaps; else PyTorch does not judge.)"""
    if not a.size or not b.size or not (_dense(a) and _dense(b)):
        return False
    a0, b0 = a.__array_interface__["data"][0], b.__array_interface__["data"][0]
    if a0 == b0 and a.nbytes == b.nbytes:
        return a.strides != b.strides
    return a0 < b0 + b.nbytes and b0 < a0 + a.nbytes


def _dense(a):
    """Are a's elements a permutation of one gap-free block (PyTorch's non-overlapping and dense)?"""
    if a.flags.c_contiguous or a.flags.f_contiguous:
        return True
    step = a.itemsize
    for stride, n in sorted((s, n) for n, s in zip(a.shape, a.strides) if n != 1):
        if stride != step:
            return False
        step *= n
    return True


def _cast_check(result_dtype, self_dtype):
    if result_dtype != self_dtype and not np.can_cast(result_dtype, self_dtype, "same_kind") and \
            not (result_dtype.kind == "b"):
        raise RuntimeError(
            f"result type {_LEGACY_NAMES[result_dtype.name]} can't be cast to the desired output type "
            f"{_LEGACY_NAMES[self_dtype.name]}")


def _check_result(result, self):
    """An in-place op must keep the tensor's shape and be castable to its dtype."""
    if result._data.shape != self._data.shape:
        raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                           f"{list(result._data.shape)}")
    _cast_check(result._data.dtype, self._data.dtype)


def memory_owner(a):
    """The array that owns the memory ``a`` views (its storage, in PyTorch's words). An
    array made by ``np.lib.stride_tricks.as_strided`` (``np.diagonal``'s way) has a
    wrapper as its base, whose ``base`` is the array it views."""
    while True:
        b = a.base
        if not isinstance(b, np.ndarray):
            b = getattr(b, "base", None)
            if not isinstance(b, np.ndarray):
                return a
        a = b


def _writable(a):
    """``a``, or where a is a read-only view of writable memory (an expanded tensor), a
    writable array over that memory: where PyTorch allows the write at all (fill_, zero_)
    it writes through an expanded tensor, into every element it shows."""
    if a.flags.writeable:
        return a
    root = memory_owner(a)
    if not root.flags.writeable:
        return a
    offset = a.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    try:
        return np.ndarray(a.shape, a.dtype, buffer=root, offset=offset, strides=a.strides)
    except (TypeError, ValueError):   # (memory NumPy cannot address this way)
        return a


def make_inplace(fn, direct=None, overlap_ok=False):
    """``x.op_(...)``: compute ``op`` out of place, write the result into ``x``, bump the
    version shared with x's views, and make x's history go through the new node.

    ``direct(x, *args, **kwargs)``, where given, may offer a cheaper way when there is
    nothing to record: a function and its arrays, ``kernel(*arrays)``, that writes the
    result straight into x's array (no temporary, no copy), or None for the general way.
    ``overlap_ok``: the op writes into expanded tensors (fill_, zero_) where the others
    refuse (``check_overlap``)."""
    def inplace(self, *args, **kwargs):
        recording = _state.enabled and (self._requires_grad or any(
            isinstance(a, Tensor) and a._requires_grad for a in args) or any(
            isinstance(a, Tensor) and a._requires_grad for a in kwargs.values()))
        if self._base is not None and "_creation" in self.__dict__ and _state.enabled and (
                recording or self._base._requires_grad):   # (PyTorch checks the view's CreationMeta first)
            raise view_rebase_error(self)
        check_inplace(self)
        if self._inference and not _state.inference:
            raise RuntimeError(
                "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone "
                "to get a normal tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 "
                "for more details.")
        if not (overlap_ok or self._batched):
            check_overlap(self, args + tuple(kwargs.values()) if kwargs else args)
        if not recording and direct is not None and (not _MODES or _only_observers()):
            plan = direct(self, *args, **kwargs)
            if plan is not None:
                kernel, arrays = plan
                kernel(*arrays)
                self._vc[0] += 1
                for mode in list(_MODES):   # (a step being captured notes the call)
                    mode.wrote_into(self, kernel, arrays)
                return self
        if not recording:
            with grad_mode.no_grad():
                result = fn(self, *args, **kwargs)
            _check_result(result, self)
            np.copyto(_writable(self._data) if overlap_ok else self._data, result._data, casting="unsafe")
            self._vc[0] += 1
            if _MODES:
                _carry_modes(self, result)
            return self
        # Differentiate through a snapshot of the old value: the new node may save it,
        # and the write below must not change what it saved.
        old = snapshot(self)
        result = fn(old, *args, **kwargs)
        _check_result(result, self)
        if result._data.dtype != self._data.dtype:
            # computed in the promoted dtype, stored in x's: the op's node stays x's history
            # (as in PyTorch, whose engine casts the gradients to the inputs' dtypes)
            result = make(result._data.astype(self._data.dtype), result._grad_fn, result._out_nr) \
                if result._grad_fn is not None and not result._batched and result._fw is None else result.to(self.dtype)
        write_into(self, result)
        if _MODES:
            _carry_modes(self, result)
        return self
    inplace.__name__ = fn.__name__ + "_"
    return inplace


def _carry_modes(t, result):
    """After an in-place op, each active transform updates what it keeps on ``t``."""
    for mode in list(_MODES):
        mode.carry_inplace(t, result)


def snapshot(t):
    """A copy of ``t``'s current value that keeps t's place in the graph."""
    if t._batched:
        return t.inplace_snapshot(snapshot)     # a batched tensor (vmap) copies its batch
    data = _tape.call(np.ndarray.copy, t._data)
    if t._grad_fn is not None:
        s = make(data, t._grad_fn, t._out_nr)
    else:
        s = wrap(data)
        s._requires_grad = t._requires_grad
    if t._fw is not None:
        s.__dict__["_fw"] = t._fw
    return s


def saved_output_is(node, data, version):
    """The node may have saved its output: after an in-place write that output is the
    written tensor's data, at its new version."""
    if isinstance(node, OpNode) and node._saved:
        for s in node._saved:
            if type(s) is SavedTensor and s.is_output:
                s.data, s.version, s.saved_version = data, version, version[0]


def write_into(t, result):
    """Make ``result`` (recorded) the new value and history of ``t``."""
    if t._batched or result._batched:
        owner = t if t._batched else result
        return owner.inplace_write(t, result)   # vmap: the write reaches the whole batch
    np.copyto(_writable(t._data), result._data, casting="unsafe")   # (fill_ may write through an expansion)
    t._vc[0] += 1
    node = result._grad_fn
    if node is None:
        return
    saved_output_is(node, t._data, t._vc)
    if t._base is not None:
        from .views import rebase_view
        rebase_view(t, result)
        return
    retain = None
    if t._retains_grad and t._grad_fn is not None and t._grad_fn._retain:
        retain = t._grad_fn._retain.pop(t._out_nr, None)
    t._grad_fn = node
    t._out_nr = 0
    t._requires_grad = True
    if retain is not None:
        if node._retain is None:
            node._retain = {}
        node._retain[0] = retain
        node._hooked = True
