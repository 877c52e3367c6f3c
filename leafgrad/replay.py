"""Capture a step once, then replay its array work without the Python around it.

``step = leafgrad.replay.capture(train_step)`` wraps a function of tensors (a training
step: forward, ``backward()``, ``optimizer.step()``). Its first calls run eagerly. Then
one call runs eagerly while a *tape* records every piece of array work it does, as
``out = fn(*args)`` with slots for the arrays: each op's forward, each derivative
formula, each gradient sum and ``.grad`` update, each optimizer update. Later calls
run the tape on the new arguments' arrays: no Tensor wrappers, no graph, no engine,
no dispatch, the same NumPy calls in the same order, so the same numbers, bit for bit.

Replaying is only right while the step would do the same work again. So:

* the first replay is checked: it runs on a copy of the state, the step then runs
  eagerly, and the tape is kept only if both left identical parameters, gradients,
  optimizer state and results (otherwise the step stays eager, with a warning);
* every call checks guards first, and runs eagerly and records again when one fails:
  the arguments' shapes, dtypes and ``requires_grad`` (each combination gets its own
  tape), grad mode, the arrays of the tensors the tape reads (``p.data = ...`` swaps
  one), which ``.grad`` are None, the optimizers' hyperparameters and state (a
  learning-rate scheduler changes them) and the modules' ``training`` flags;
* a step that cannot be replayed runs eagerly, with a warning that says why: one
  that reads a tensor into Python (``item()``, ``bool()``) before its last op (its
  control flow may depend on data), runs hooks or anomaly mode, returns something
  other than tensors, or computes on ``.numpy()`` arrays outside the ops.

What a replay does not redo: Python side effects of the step (prints, counters), the
checks of the arguments' *values* that an eager call makes (a class index out of range
raises eagerly; run new kinds of data through the eager step first), version counters,
and the graph: results that require grad (a training step's loss, after its
``backward()``) come back detached. ``Captured.code`` shows the tape as Python.
"""
import gc
import re
import threading
import warnings

import numpy as np

from . import _modes, _random, _tape
from ._tensor import Tensor, wrap
from .autograd import grad_mode
from .ops import _declare

__all__ = ["capture", "kernel", "Captured"]

kernel = _tape.kernel


class _Slot:
    """An argument that is the value of an earlier step of the tape."""
    __slots__ = ("i",)

    def __init__(self, i):
        self.i = i


class _Seq:
    """A list or tuple argument holding some slots (``cat``'s inputs, a node's gradients)."""
    __slots__ = ("kind", "items")

    def __init__(self, kind, items):
        self.kind, self.items = kind, items


class _Arg:
    """An argument tensor of the step (``x.grad = ...`` on it must reach the next call's ``x``)."""
    __slots__ = ("k",)

    def __init__(self, k):
        self.k = k


def _resolve(ref, tensors):
    return tensors[ref.k] if type(ref) is _Arg else ref


class Refused(Exception):
    """The step cannot be replayed (the message says why)."""


def _write(dst, src):
    np.copyto(dst, src, casting="unsafe")


def _set_grad(t, data):
    t._grad = None if data is None else wrap(data)


def _is_value(x):
    return type(x) is np.ndarray or isinstance(x, np.generic)


class _Recorder:
    """What ``_tape.note`` writes to while a step is being captured."""

    def __init__(self, args, live, modules):
        self.modules = modules    # (module, training) of the modules alive before the step
        self.slot_of = {}     # id(array) -> its slot
        self.alive = []       # every value noted, kept alive so that ids stay unique
        self.steps = []       # (fn, encoded args, output slot(s))
        self.outside = {}     # id(array) -> (array, the call that first read it)
        self.owners = {}      # id(tensor) -> (tensor, its array), for tensors the tape uses
        self.grads = {}       # id(leaf) -> (leaf, its .grad when the tape first touched it)
        self.grad_reads = []  # (leaf, .grad tensor) whose array the tape adds into
        self.optimizers = {}
        self.problem = None
        self.read_what = None
        self.ran_backward = False   # (then results that require grad come back detached)
        self.live = live      # id(array) -> array of the tensors that existed before the step
        self.args = {id(t): k for k, t in enumerate(args)}
        self.inputs = [self._new(t._data) for t in args]
        self.thread = threading.get_ident()

    def _new(self, value):
        self.slot_of[id(value)] = len(self.alive)
        self.alive.append(value)
        return len(self.alive) - 1

    def _encode(self, x, name):
        if isinstance(x, Tensor) and id(x) in self.args:
            return _Arg(self.args[id(x)])
        if type(x) is np.ndarray or isinstance(x, np.generic):
            i = self.slot_of.get(id(x))
            if i is not None:
                return _Slot(i)
            if type(x) is np.ndarray:
                self.outside.setdefault(id(x), (x, name))
            return x
        if (type(x) is list or type(x) is tuple) and x:
            items = [self._encode(y, name) for y in x]
            if any(type(y) is _Slot or type(y) is _Seq or type(y) is _Arg for y in items):
                return _Seq(type(x), items)
        return x

    # -- what the step's code reports (through _tape) --
    def note(self, fn, args, out):
        if self.problem is not None:
            return
        if threading.get_ident() != self.thread:
            self.problem = "another thread ran leafgrad ops while the step was being recorded"
            return
        if self.read_what is not None:
            self.problem = (f"it reads a tensor's value into Python ({self.read_what}) and computes more "
                            "afterwards, which may depend on that value (for an optimizer that reads its state so, "
                            "such as LBFGS: capture the forward and backward, and call step() outside)")
            return
        name = getattr(fn, "__name__", None) or repr(fn)
        args = [self._encode(a, name) for a in args]
        if type(out) is tuple or type(out) is list:
            out = tuple(self._new(v) if _is_value(v) else None for v in out)
        else:
            out = self._new(out) if _is_value(out) else None
        self.steps.append((fn, args, out))

    def read(self, what):
        if self.read_what is None:
            self.read_what = what

    def refuse(self, reason):
        if self.problem is None:
            self.problem = reason

    def owner(self, t):
        self.owners.setdefault(id(t), (t, t._data))

    def set_grad(self, t, value):
        self.grads.setdefault(id(t), (t, t._grad))
        self.note(_set_grad, (t, None if value is None else value._data), None)

    def accumulate_into(self, leaf, grad):
        self.grads.setdefault(id(leaf), (leaf, leaf._grad))
        self.grad_reads.append((leaf, grad))

    # -- the end of the step --
    def finish(self, result):
        """The tape, or ``Refused`` with the reason."""
        from .func._pytree import flatten
        if self.problem is not None:
            raise Refused(self.problem)
        leaves, spec = flatten(result)
        outs = []
        for leaf in leaves:
            if leaf is None:
                outs.append(None)
            elif isinstance(leaf, Tensor):
                if leaf._requires_grad and not self.ran_backward:
                    raise Refused("it returns a tensor that requires grad without running backward, and a replay "
                                  "builds no graph (call backward() inside the step, or return .detach())")
                outs.append(self._encode(leaf._data, "the step's result"))
            else:
                raise Refused(f"it returns a {type(leaf).__name__}, not tensors (return the tensor, call .item() "
                              "on it outside the step)")
        inputs = {id(self.alive[i]) for i in self.inputs}
        for a, name in self.outside.values():
            root = _root(a)
            if id(root) in inputs or id(root) not in self.live and root.flags.writeable:
                raise Refused(f"{name}() reads an array computed outside the recorded ops (e.g. from .numpy() "
                              "or a tensor created inside the step); a replay would reuse its old value")
        # Only the last .grad assignment of each tensor shows after the step (no step reads
        # a .grad attribute: accumulation reads the array, which the tape holds itself).
        kept, seen = [], set()
        for step in reversed(self.steps):
            if step[0] is _set_grad:
                who = step[1][0]
                key = ("arg", who.k) if type(who) is _Arg else id(who)
                if key in seen:
                    continue
                seen.add(key)
            kept.append(step)
        self.steps = kept[::-1]
        owners = [(t, a) for t, a in self.owners.values() if id(a) not in self.slot_of]
        grads = [(self._encode(t, ""), g) for t, g in self.grads.values()]
        grad_reads = [(self._encode(t, ""), g) for t, g in self.grad_reads]
        return _Tape(self.alive, self.inputs, self.steps, outs, spec, owners, grads,
                     grad_reads, list(self.optimizers.values()),
                     [a for a, _ in self.outside.values() if a.flags.writeable],
                     [(m, m.training) for m, _ in self.modules])   # (as the step leaves them)


class _Recording(_modes.Mode):
    """The outermost transform while a step is captured: it sees every op call."""

    observes_only = True

    def __init__(self, recorder):
        self.recorder = recorder

    def claims(self, inputs):
        return True

    def run(self, spec, inputs, params):
        res = _declare.call(spec, inputs, params)
        rec = self.recorder
        # An op whose result's shape depends on the data (declared so): the steps after it
        # were recorded for one shape. (Functions that compute such shapes outside the
        # declared ops, like nonzero(), are refused by the check on outside arrays.)
        dynamic = spec.dynamic_shape
        if dynamic is True or dynamic and dynamic(**params):
            rec.refuse(f"{spec.name}() gives a result whose shape depends on the data")
        fn, args = _declare.array_forward(spec, inputs, params)
        for x in inputs:
            if isinstance(x, Tensor):
                rec.owner(x)
        rec.note(fn, args, tuple(r._data for r in res) if type(res) is tuple else res._data)
        return res

    def carry_inplace(self, t, result):
        self.recorder.owner(t)
        self.recorder.note(_write, (t._data, result._data), None)

    def wrote_into(self, t, kernel, arrays):
        self.recorder.owner(t)
        self.recorder.note(kernel, arrays, None)

    def random_draw(self):
        if _tape.recording is not None:   # (a draw inside a noted call is replayed with it)
            self.recorder.refuse("it draws random numbers outside the recorded ops")


def _same_entry(d, k, v):
    """Does ``d[k]`` still equal a hyperparameter or state entry that is not the same object
    (type and value; a tensor only as itself)?"""
    now = d.get(k, _MISSING)
    return type(now) is type(v) and not isinstance(v, Tensor) and now == v


_MISSING = object()


class _Guards:
    """Writes the guards of a tape as one Python function of the argument tensors: a
    chain of ``and`` that a replay evaluates before every call,

        c1._data is c2 and c1._grad is None and c5.training == True
        and len(gs := c6.param_groups) == 1 and gs[0] is c7 and ...

    Straight-line code checks the forty-odd facts of a small model in about a third of
    the time loops over saved lists take. What is checked:

    * ``owners``: each tensor the tape reads still holds the array it read;
    * ``grads``: each ``.grad`` the tape sets is None exactly when it was at recording;
      ``grad_reads``: the ``.grad`` the tape adds into is the same tensor;
    * ``modules``: each module's ``training`` flag;
    * ``optimizers``: the same param groups, params and per-parameter state dicts (by
      identity), dicts of the same sizes, and each entry the same object or of the same
      type and value (a tensor only as itself: it changes in place, which the tape sees).
    """

    def __init__(self):
        self.namespace = {"MISSING": _MISSING, "same_entry": _same_entry}
        self.names = {}
        self.terms = []

    def name(self, x):
        """The name bound to the object ``x`` in the guards' namespace."""
        name = self.names.get(id(x))
        if name is None:
            name = self.names[id(x)] = f"c{len(self.names)}"
            self.namespace[name] = x
        return name

    def literal(self, x):
        return repr(x) if type(x) in (str, bool, int) else self.name(x)

    def tensor(self, who):
        return f"tensors[{who.k}]" if type(who) is _Arg else self.name(who)

    def arrays(self, owners, grads, grad_reads, modules):
        self.terms += [f"{self.name(t)}._data is {self.name(a)}" for t, a in owners]
        self.terms += [f"{self.tensor(t)}._grad is {'' if g is None else 'not '}None" for t, g in grads]
        self.terms += [f"{self.tensor(t)}._grad is {self.name(g)}" for t, g in grad_reads]
        self.terms += [f"{self.name(m)}.training == {self.literal(training)}" for m, training in modules]

    def optimizer(self, opt):
        terms, name, literal = self.terms, self.name, self.literal
        groups = list(opt.param_groups)
        terms.append(f"len(gs := {name(opt)}.param_groups) == {len(groups)}")
        terms += [f"gs[{i}] is {name(g)}" for i, g in enumerate(groups)]
        states, head = [], f"(st := {name(opt)}.state)"
        for g in groups:
            params = list(g["params"])
            terms.append(f"len(ps := {name(g)}['params']) == {len(params)}")
            terms += [f"ps[{j}] is {name(p)}" for j, p in enumerate(params)]
            for p in params:
                st = opt.state.get(p)
                terms.append(f"{head}.get({name(p)}) is {'None' if st is None else name(st)}")
                head = "st"
                if st is not None:
                    states.append(st)
        terms += [f"len({name(d)}) == {len(d)}" for d in groups + states]
        entries = [(g, k, v) for g in groups for k, v in g.items() if k != "params"]
        entries += [(st, k, v) for st in states for k, v in st.items()]
        for d, k, v in entries:
            same = f"{name(d)}.get({literal(k)}, MISSING) is {name(v)}"
            if not isinstance(v, Tensor):   # (an equal value in a new object keeps the tape)
                same = f"({same} or same_entry({name(d)}, {literal(k)}, {name(v)}))"
            terms.append(same)

    def build(self):
        code = "def holds(tensors):\n    return (" + "\n            and ".join(self.terms or ["True"]) + ")\n"
        namespace = dict(self.namespace, __name__="leafgrad.replay.guards")
        exec(compile(code, "<leafgrad.replay guards>", "exec"), namespace)
        return code, namespace["holds"]


class _Tape:
    """The recorded steps of one call, as a Python function of the input arrays: one
    line per step, each array a local variable deleted after its last use (``code``
    shows it)."""

    def __init__(self, values, inputs, steps, outs, spec, owners, grads, grad_reads, optimizers, outside, modules):
        self.spec = spec
        self.code, self._fn = _Program(values, inputs, steps, outs).build()
        guards = _Guards()
        guards.arrays(owners, grads, grad_reads, modules)
        for opt in optimizers:
            guards.optimizer(opt)
        # holds(tensors): would the step, run eagerly now on these arguments, do the work on the tape?
        self.guards, self.holds = guards.build()
        self.grads = grads
        self.outside = outside
        from .func._pytree import unflatten
        self.unflatten = unflatten

    def run(self, tensors):
        results = self._fn(tensors)
        if self.spec.is_leaf:   # (one tensor: the common result of a training step)
            x = results[0]
            return None if x is None else wrap(x)
        return self.unflatten([None if x is None else wrap(x) for x in results], self.spec)


class _Program:
    """Writes the tape as Python source: ``v3 = k1(v0, v2)`` per step.

    Large results of ufuncs are written into buffers that the program owns and reuses
    from call to call (``v7 = multiply(v5, v6, out=buffer_2)``): fresh memory of a few
    MiB costs a page fault per 4 KiB on every call, often more than the arithmetic. A
    buffer serves one array at a time; it is free again once no later step reads that
    array or a view of it. Arrays that outlive the call (results, ``.grad``, what a
    kernel sees) never live in buffers."""

    BUFFER_BYTES = 1 << 16   # (smaller arrays come from malloc's free lists without page faults)

    def __init__(self, values, inputs, steps, outs):
        self.inputs, self.steps, self.outs = inputs, steps, outs
        self.consts = {"ndarray": np.ndarray, "asarray": np.asarray, "wrap": wrap}
        self.names = {}
        self.values = values     # every array the recording made, by slot (only while building)
        self.buffer_of = {}      # slot -> name of the buffer its ufunc writes into
        self.handed = set()      # slots of copies that take their argument's memory instead
        self.fixed = {}          # slot -> name of the view of a constant array it always is

    def const(self, x, hint=None):
        """A constant in the source: a literal, or a name bound to the object."""
        if x is None or type(x) is bool or type(x) is str or type(x) is int and abs(x) < 1 << 53:
            return repr(x)
        if type(x) is float and x == x and x not in (float("inf"), float("-inf")):
            return repr(x)   # (repr gives the same float back)
        if type(x) is tuple and all(type(i) is int for i in x):
            return repr(x)   # a shape
        if isinstance(x, np.dtype):
            hint = str(x)
        key = id(x)
        name = self.names.get(key)
        if name is None:
            base = re.sub(r"\W+", "_", hint or getattr(x, "__name__", "") or "").strip("_")
            base = base if base and base != "lambda" else "array" if isinstance(x, np.ndarray) else "const"
            name = base if base not in self.consts and not base[0].isdigit() else f"{base}_{len(self.names)}"
            self.names[key] = name
            self.consts[name] = x
        return name

    def arg(self, a):
        if type(a) is _Slot:
            return f"v{a.i}"
        if type(a) is _Arg:
            return f"tensors[{a.k}]"
        if type(a) is _Seq:
            items = ", ".join(self.arg(x) for x in a.items)
            return f"[{items}]" if a.kind is list else f"({items}{',' if len(a.items) == 1 else ''})"
        return self.const(a)

    def calls(self, fn, args, out):
        """The single-result calls one step makes, as (function, its arguments, result slot)."""
        if fn is _declare._formulas:
            lowered = self.lowered(args, out)
            if lowered is not None:
                return [(f, f_args, out[idx]) for idx, f, f_args in lowered if type(idx) is int and out[idx] is not None]
        if type(out) is not int:
            return []
        if type(fn) is _declare.ArrayForward:
            return [] if fn.keys else [(fn.spec.forward, args, out)]
        return [(fn, args, out)]

    def call(self, fn, args, out, name=None):
        """``fn(*args)`` in the source, as the ufunc writing into its buffer where ``out`` has one."""
        buffer = self.buffer_of.get(out)
        if buffer is not None:
            return f"{self.const(_ufunc(fn, len(args)))}({', '.join(args)}, out={buffer})"
        return f"{name or self.const(fn)}({', '.join(args)})"

    def line(self, fn, args, out):
        """One step as source."""
        if fn is _declare._formulas:
            lowered = self.formula(args, out)
            if lowered is not None:
                return lowered
        if out in self.handed:
            return f"v{out} = {self.arg(args[0])}"
        if out in self.fixed:
            return f"v{out} = {self.fixed[out]}"
        if fn is _set_grad:   # (inline: a call per .grad costs as much as the assignment)
            value = "None" if args[1] is None else f"wrap({self.arg(args[1])})"
            return f"{self.arg(args[0])}._grad = {value}"
        if type(fn) is _declare.ArrayForward:
            call = self.forward(fn, args, out)
        elif getattr(fn, "bind_last", None) is not None and out is None and type(args[-1]) is np.ndarray:
            # (a kernel that writes into an array from outside the tape, the same each call:
            # its version with that array bound)
            bound = self.const(fn.bind_last(args[-1]), getattr(fn, "__name__", "") + "_into")
            call = f"{bound}({', '.join(self.arg(a) for a in args[:-1])})"
        else:
            call = self.call(fn, [self.arg(a) for a in args], out)
        if out is None:
            return call
        if type(out) is int:
            text = f"v{out} = {call}"
            if type(fn) is _declare.ArrayForward and out in self.zero_d and out not in self.buffer_of:
                text += f"\n    if type(v{out}) is not ndarray: v{out} = asarray(v{out})"  # (a NumPy scalar)
            return text
        targets = ", ".join("_" if i is None else f"v{i}" for i in out)
        return f"{targets}{',' if len(out) == 1 else ''} = {call}"

    def forward(self, fn, args, out):
        """An op's forward, called directly (with its casts and parameters)."""
        n = len(args) - len(fn.keys)
        casts = fn.casts or [None] * n
        parts = [self.arg(a) + ("" if dt is None else f".astype({self.const(dt)})")
                 for a, dt in zip(args[:n], casts)]
        parts += [f"{k}={self.arg(v)}" for k, v in zip(fn.keys, args[n:])]
        return self.call(fn.spec.forward, parts, out, self.const(fn.spec.forward, fn.spec.name))

    def lowered(self, args, out):
        """A node's formulas as calls on its one incoming gradient, (input index or
        indices, formula, its arguments) each (what ``_declare._formulas`` does), or None
        where that takes the general call."""
        plan, _meta, _n, vals, grads, _graph = args
        grads = grads.items if type(grads) is _Seq else grads
        if out is None or len(grads) != 1 or grads[0] is None:
            return None
        vals = vals.items if type(vals) is _Seq else vals
        if plan.one is not None:
            fn, pos, idx, _ = plan.one
            calls = [(idx, fn, pos if pos is not None else range(len(vals)))]
        elif all(not wants_all for _, _, _, wants_all in plan.calls):
            calls = [(idx, fn, pos) for idx, fn, pos, _ in plan.calls]
        else:
            return None
        return [(idx, fn, [grads[0]] + [vals[p] for p in pos]) for idx, fn, pos in calls]

    def formula(self, args, out):
        """The lowered formulas of a node as source, or None."""
        lowered = self.lowered(args, out)
        if lowered is None:
            return None
        plan = args[0]
        lines = []
        for idx, fn, f_args in lowered:
            targets = [out[i] for i in idx] if type(idx) is tuple else [out[idx]]
            call = self.call(fn, [self.arg(a) for a in f_args], targets[0] if type(idx) is int else None,
                             self.const(fn, plan.label + "_backward"))
            if all(t is None for t in targets):
                lines.append(call)
            elif type(idx) is tuple:   # (one formula for several inputs: unpack its results)
                lines.append(", ".join("_" if t is None else f"v{t}" for t in targets) + f", = {call}")
            else:
                lines.append(f"v{targets[0]} = {call}")
        return "\n    ".join(lines)

    def lifetimes(self, reads):
        """For each slot, the id of the array that owns its memory (``root``); the roots
        whose memory outlives the call or a kernel sees (``held``); and for each root the
        last step that makes or reads an array with that memory (``end``)."""
        values = self.values
        root = {i: id(_root(v)) for i, v in enumerate(values) if type(v) is np.ndarray}
        held = {root.get(x.i) for x in self.outs if type(x) is _Slot}   # (results outlive the call)
        end = {}
        for k, (fn, args, out) in enumerate(self.steps):
            touched = reads[k] + _outputs(out)
            if fn is _set_grad or fn in _tape.kernels:
                held.update(root.get(i) for i in touched)
            for i in touched:
                if i in root:
                    end[root[i]] = k
        return root, held, end

    def plan_buffers(self, root, held, end):
        """Choose the results that ufuncs write into reused buffers (``buffer_of``)."""
        values = self.values
        ending = {}
        for r, k in end.items():
            ending.setdefault(k, []).append(r)
        pool, owned = {}, {}
        for k, (fn, args, out) in enumerate(self.steps):
            for f, f_args, i in self.calls(fn, args, out):
                v = values[i]
                if (type(v) is not np.ndarray or v.base is not None or v.nbytes < self.BUFFER_BYTES
                        or root[i] in held or _ufunc(f, len(f_args)) is None):
                    continue
                key = (v.shape, v.dtype, v.strides)
                free = pool.get(key)
                name = free.pop() if free else self.const(np.empty_like(v), "buffer")
                self.buffer_of[i] = name
                owned[root[i]] = key, name
            for r in ending.get(k, ()):   # (after the step's own results got theirs: no result aliases an argument)
                if r in owned:
                    key, name = owned.pop(r)
                    pool.setdefault(key, []).append(name)

    def plan_handovers(self, root, held, end):
        """Choose the copies (``_tape.copies``) that hand their argument over instead
        (``handed``): where a step of this tape made the argument's memory (a new writable
        array, not a kernel's, not a buffer's), nothing reads that memory after the copy,
        and the argument already has the copy's layout."""
        values = self.values
        seen = {root[i] for i in self.inputs}   # (the memory of arrays from outside the tape)
        seen.update(id(_root(a)) for _, args, _ in self.steps for a in _constants(args))
        buffered = {root[i] for i in self.buffer_of}
        made = set()   # roots of arrays that steps made
        for k, (fn, args, out) in enumerate(self.steps):
            if fn in _tape.copies and type(out) is int and type(args[0]) is _Slot:
                src, dst, r = values[args[0].i], values[out], root.get(args[0].i)
                if (r in made and end[r] == k and r not in held and r not in buffered and src.flags.writeable
                        and (src.shape, src.strides, src.dtype) == (dst.shape, dst.strides, dst.dtype)):
                    self.handed.add(out)
            for i in _outputs(out):
                r = root.get(i)
                if r is not None and r not in seen:
                    seen.add(r)
                    if fn not in _tape.kernels and _root(values[i]).flags.writeable:
                        made.add(r)

    def plan_fixed_views(self):
        """A view op on arrays from outside the tape (a parameter's ``w.t()``) makes the
        same view of the same memory on every call (the guards hold those arrays): the
        one the recording made serves every call (``fixed``)."""
        for fn, args, out in self.steps:
            if (type(fn) is _declare.ArrayForward and fn.spec.view and type(out) is int and not fn.casts
                    and not any(type(a) in (_Slot, _Arg, _Seq) for a in args)
                    and any(type(a) is np.ndarray for a in args) and type(self.values[out]) is np.ndarray):
                self.fixed[out] = self.const(self.values[out], fn.spec.name + "_view")

    def build(self):
        uses = [[a.i for a in args if type(a) is _Slot] + [i for a in args if type(a) is _Seq for i in _slots(a)]
                for _, args, _ in self.steps]
        lifetimes = self.lifetimes(uses)
        self.plan_buffers(*lifetimes)
        self.plan_handovers(*lifetimes)
        self.plan_fixed_views()
        # (NumPy gives a scalar for a 0-d result only: the forwards that made one may again)
        self.zero_d = {i for i, v in enumerate(self.values) if type(v) is np.ndarray and not v.ndim}
        self.values = None
        lines = [self.line(fn, args, out) for fn, args, out in self.steps]
        kept = {x.i for x in self.outs if type(x) is _Slot}
        last = {}
        for k, reads in enumerate(uses):
            for i in reads:
                last[i] = k
        body = []
        body += [f"    v{i} = tensors[{k}]._data" for k, i in enumerate(self.inputs)] or ["    pass"]
        for k, text in enumerate(lines):
            body.append("    " + text)
            dead = sorted(i for i in uses[k] if last[i] == k and i not in kept)
            if dead:
                body.append("    del " + ", ".join(f"v{i}" for i in dict.fromkeys(dead)))
        results = ", ".join("None" if x is None else self.arg(x) for x in self.outs)
        body.append(f"    return ({results}{',' if len(self.outs) == 1 else ''})")
        code = "def replay(tensors):\n" + "\n".join(body) + "\n"
        namespace = dict(self.consts, __name__="leafgrad.replay.tape")   # (its warnings are leafgrad's)
        exec(compile(code, "<leafgrad.replay tape>", "exec"), namespace)
        return code, namespace["replay"]


def _outputs(out):
    """The slots a step's result fills."""
    return [out] if type(out) is int else [i for i in out or () if i is not None]


def _constants(args):
    """The arrays among a step's arguments that are not slots (read from outside the tape)."""
    for a in args:
        if type(a) is np.ndarray:
            yield a
        elif type(a) is _Seq:
            yield from _constants(a.items)


_root = _declare.memory_owner


def _ufunc(fn, n_args):
    """The ufunc that ``fn(*args)`` is (a ufunc, or a function marked ``same_as`` one), for
    ``n_args`` arguments and one result; else None."""
    u = fn if isinstance(fn, np.ufunc) else getattr(fn, "ufunc", None)
    return u if isinstance(u, np.ufunc) and u.nin == n_args and u.nout == 1 else None


def _slots(seq):
    for x in seq.items:
        if type(x) is _Slot:
            yield x.i
        elif type(x) is _Seq:
            yield from _slots(x)


def _subclasses(cls):
    out = {cls}
    for sub in cls.__subclasses__():
        out |= _subclasses(sub)
    return out


def _scan():
    """The arrays of every tensor alive now (with the bases of views), and every module
    with its ``training`` flag: one pass over the objects the garbage collector tracks."""
    from .nn import Module
    tensor_types, module_types = _subclasses(Tensor), _subclasses(Module)
    live, modules = {}, []
    for o in gc.get_objects():
        t = type(o)
        if t in tensor_types:
            a = getattr(o, "_data", None)
            while isinstance(a, np.ndarray):
                live[id(a)] = a
                a = a.base
        elif t in module_types:
            modules.append((o, o.training))
    return live, modules


def _same(a, b):
    """Bit-identical tensors or arrays (NaNs and signed zeros included)."""
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        a, b = a._data, b._data
    if a is None or b is None:
        return a is b
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    return np.ascontiguousarray(a).view(np.uint8).tobytes() == np.ascontiguousarray(b).view(np.uint8).tobytes()


class _Entry:
    """What is known about one signature of the arguments."""
    __slots__ = ("calls", "tape", "verified", "reason", "recaptures")

    def __init__(self):
        self.calls, self.tape, self.verified, self.reason, self.recaptures = 0, None, False, None, 0


class Captured:
    """A function whose calls replay a tape recorded from one of its calls (see the
    module's documentation). ``replays`` counts the calls that replayed, ``reason``
    says why the last signature runs eagerly (None while it replays or will)."""

    MAX_RECAPTURES = 8
    MAX_SIGNATURES = 16

    def __init__(self, fn, warmup=1):
        if not callable(fn):
            raise TypeError(f"capture() expects a function, got {type(fn).__name__}")
        if not isinstance(warmup, int) or warmup < 0:
            raise ValueError(f"capture(): warmup must be a non-negative int, got {warmup!r}")
        self.fn, self.warmup = fn, warmup
        self.replays = 0
        self.reason = None
        self._entries = {}
        self.__wrapped__ = fn

    def _latest_tape(self):
        tapes = [e.tape for e in self._entries.values() if e.tape is not None]
        return tapes[-1] if tapes else None

    @property
    def code(self):
        """The Python source of the most recently recorded tape (None before one exists)."""
        tape = self._latest_tape()
        return tape and tape.code

    @property
    def guards(self):
        """The Python source of that tape's guards (what every replay checks first)."""
        tape = self._latest_tape()
        return tape and tape.guards

    def __repr__(self):
        return f"<leafgrad.replay.Captured {getattr(self.fn, '__qualname__', self.fn)!r}>"

    @staticmethod
    def _signature(args, kwargs):
        """The key of the arguments' kind (grad mode; each tensor's type, shape, dtype,
        strides and requires_grad; other arguments by value), and the tensors in order."""
        state = grad_mode.state
        parts = [state.enabled, state.inference]
        tensors = []
        for a in (args + tuple(v for _, v in sorted(kwargs.items()))) if kwargs else args:
            if isinstance(a, Tensor):
                d = a._data
                parts.append((type(a), d.shape, d.dtype, d.strides, a._requires_grad))
                tensors.append(a)
            else:
                parts.append((type(a), a))
        if kwargs:
            parts.append(tuple(sorted(kwargs)))
        return tuple(parts), tensors

    def __call__(self, *args, **kwargs):
        if _modes.STACK or _tape.recording is not None:
            return self.fn(*args, **kwargs)   # inside a transform or another capture
        try:
            key, tensors = self._signature(args, kwargs)
            entry = self._entries.get(key)
        except TypeError:   # an argument that cannot be compared from call to call
            self.reason = "an argument is neither a tensor nor a hashable constant"
            return self.fn(*args, **kwargs)
        if entry is None:
            if len(self._entries) >= self.MAX_SIGNATURES:
                self.reason = (f"its arguments came in more than {self.MAX_SIGNATURES} kinds (shapes, dtypes or "
                               "values of non-tensor arguments); new kinds run eagerly")
                return self.fn(*args, **kwargs)
            entry = self._entries[key] = _Entry()
        self.reason = entry.reason
        if entry.reason is not None:
            return self.fn(*args, **kwargs)
        if entry.tape is None:
            entry.calls += 1
            if entry.calls <= self.warmup:
                return self.fn(*args, **kwargs)
            return self._record(entry, args, kwargs, tensors)
        if not entry.tape.holds(tensors):
            entry.recaptures += 1
            if entry.recaptures > self.MAX_RECAPTURES:
                self._give_up(entry, "its guards keep failing (the work it does changes from call to call)")
                return self.fn(*args, **kwargs)
            entry.tape, entry.verified = None, False
            return self._record(entry, args, kwargs, tensors)
        if not entry.verified:
            return self._verify(entry, args, kwargs, tensors)
        self.replays += 1
        entry.recaptures = 0    # (only guards failing call after call give up)
        return entry.tape.run(tensors)

    def _give_up(self, entry, reason):
        entry.reason = self.reason = reason
        entry.tape = None
        warnings.warn(f"leafgrad.replay: {getattr(self.fn, '__qualname__', self.fn)} runs eagerly: {reason}",
                      stacklevel=3)

    def _record(self, entry, args, kwargs, tensors):
        """Run the step eagerly while recording its tape."""
        from .optim.optimizer import register_optimizer_step_pre_hook
        rec = _Recorder(tensors, *_scan())
        mode = _Recording(rec)
        def stepped(opt, args, kwargs):
            rec.optimizers.setdefault(id(opt), opt)
        handle = register_optimizer_step_pre_hook(stepped)
        _modes.push(mode)
        _tape.recording = rec
        try:
            result = self.fn(*args, **kwargs)
        finally:
            _tape.recording = None
            _modes.pop(mode)
            handle.remove()
        try:
            entry.tape = rec.finish(result)
        except Refused as e:
            self._give_up(entry, str(e))
        return result

    def _verify(self, entry, args, kwargs, tensors):
        """Run the tape on a copy of the state, then the step eagerly; keep the tape only
        if both end in the same state with the same results."""
        tape = entry.tape
        outside = tape.outside
        before = [a.copy() for a in outside]
        grads = [(_resolve(t, tensors), _resolve(t, tensors)._grad) for t, _ in tape.grads]
        rng = _random.get_rng_state()
        try:
            replayed = tape.run(tensors)
            got = [a.copy() for a in outside] + [t._grad for t, _ in grads]
            failed = None
        except Exception as e:   # noqa: BLE001 - any failure means: do not replay
            failed = f"replaying it raised {type(e).__name__}: {e}"
        for a, b in zip(outside, before):
            np.copyto(a, b)
        for t, g in grads:
            t._grad = g
        _random.set_rng_state(rng)
        result = self.fn(*args, **kwargs)
        if failed is None:
            from .func._pytree import flatten
            want = [a for a in outside] + [t._grad for t, _ in grads]
            r_leaves, e_leaves = flatten(replayed)[0], flatten(result)[0]
            same = len(r_leaves) == len(e_leaves) and all(
                _same(x, y) for x, y in zip(r_leaves + got, e_leaves + want))
            if not same:
                failed = ("a replay did not reproduce the eager step (it depends on something the tape cannot "
                          "see, e.g. a Python number that changes between calls)")
        if failed is not None:
            self._give_up(entry, failed)
        else:
            entry.verified = True
        return result


def capture(fn=None, *, warmup=1):
    """Wrap ``fn`` (a function of tensors returning tensors) so that its calls replay a
    recorded tape of its array work; see the module's documentation. ``warmup``: how
    many calls run eagerly before the one that records (an optimizer creates its state
    in its first step). Usable as a decorator, with or without arguments."""
    if fn is None:
        return lambda f: Captured(f, warmup)
    return Captured(fn, warmup)
