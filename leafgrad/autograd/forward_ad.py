"""Forward-mode AD: dual tensors carry a tangent through every op.

A dual tensor is a tensor with a tangent attached for one *level* (``t._fw`` maps each
level to its tangent). Every declared op carries tangents without a forward formula of
its own: the tangent of an output is derived from the op's backward formulas by the
double-vjp transposition. A backward formula is linear in ``grad``::

    formula(u) = J^T u            (J: the op's Jacobian, u: a dummy gradient)

so recording ``formula(u)`` on a leaf ``u`` and differentiating ``<J^T u, t>`` with
respect to ``u`` gives ``J t``, the tangent. The formulas are the ones backward uses,
written with NumPy calls that Tensors answer, so they are differentiable and the
tangent is exact (no finite differences). When the inputs require grad the tangent is
computed with a graph, so it can itself be differentiated (reverse over forward).

Levels nest (``func.jvp`` inside ``func.jvp``): while one level computes a tangent it
is hidden, and the ops it runs carry the tangents of the outer levels.
"""
from collections import namedtuple

import numpy as np

from .. import _dtype, _modes
from .. import _tensor as T
from . import grad_mode

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual",
           "dual_level"]

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])
UnpackedDualTensor.__module__ = "torch.autograd.forward_ad"

_levels = []        # the public API's levels (dual_level), innermost last


class DualLevel(_modes.Mode):
    """One forward-AD level on the transform stack."""

    def __init__(self, number):
        self.number = number

    def __repr__(self):
        return f"<forward AD level {self.number}>"

    def claims(self, inputs):
        for x in inputs:
            if isinstance(x, T.Tensor):
                fw = x._fw
                if fw is not None and self in fw:
                    return True
        return False

    def run(self, spec, inputs, params):
        out = spec.apply(inputs, params)          # the primal (outer levels still apply)
        outs = out if type(out) is tuple else (out,)
        tangents = [tangent_of(x, self) if isinstance(x, T.Tensor) else None for x in inputs]
        if spec.view and tangents[0] is not None and all(t is None for t in tangents[1:]):
            # The tangent of a view is the same view of the tangent: it shares memory,
            # so in-place changes of the base's tangent show in the view's, as in PyTorch.
            view = spec.apply((tangents[0],) + tuple(inputs[1:]), params)
            out_tangents = view if type(view) is tuple else (view,)
        else:
            out_tangents = tangent_of_op(spec, inputs, params, outs, tangents)
        for nr, (o, t) in enumerate(zip(outs, out_tangents)):
            if t is not None:
                attach(o, self, t)
                node = o._grad_fn
                if node is not None and o._out_nr == nr:
                    # A formula that uses this output gets it back with its tangents
                    # (forward over reverse: jacfwd(jacrev(f))), in the node's own
                    # layout (a batched tensor's node is the whole batch's).
                    fw = o.physical_fw() if o._batched else o._fw
                    node.__dict__.setdefault("_out_fw", {})[nr] = fw
        return out

    def carry_inplace(self, t, result):
        """``t`` was changed in place to ``result``: write result's tangent into t's
        tangent in place (it may be shared with views of t, or with t's base)."""
        new = tangent_of(result, self)
        old = tangent_of(t, self)
        if new is None and old is None:
            return
        with _modes.hidden(self):
            if new is None:
                new = T.wrap(np.zeros_like(t._data))
            if old is None:
                old = self._tangent_slot(t)
            if old is None:
                attach(t, self, new)
                return
            if new.dtype != old.dtype:
                new = new.to(old.dtype)
            old.copy_(new)

    def _tangent_slot(self, t):
        """A zero tangent for ``t`` that is a view of its base's tangent (None when ``t``
        is not a view)."""
        base, view_fn = t._base, t._view_fn
        if base is None or view_fn is None:
            return None
        bt = tangent_of(base, self)
        if bt is None:
            bt = T.wrap(np.zeros_like(base._data))
            attach(base, self, bt)
        slot = T.replay_view(view_fn, bt)
        attach(t, self, slot)
        return slot


def attach(t, level, tangent):
    fw = dict(t._fw) if t._fw is not None else {}
    fw[level] = tangent
    t.__dict__["_fw"] = fw


def tangent_of(t, level):
    fw = t._fw
    return None if fw is None else fw.get(level)


# ------------------------------------------------------------------ the transposition
def tangent_of_op(spec, inputs, params, outs, tangents):
    """The tangent of each output of ``spec`` (None for outputs that carry none)."""
    mask = 0
    for i, t in enumerate(tangents):
        if t is not None:
            mask |= 1 << i
    plan = spec.plan(mask | 1 << len(inputs))
    float_outs = [i for i, o in enumerate(outs) if o._data.dtype.kind == "f"]
    if not float_outs:
        return [None] * len(outs)
    need_graph = _modes.visible[0] > 0 or any(
        isinstance(x, T.Tensor) and x._requires_grad for x in inputs) or any(
        t is not None and t._requires_grad for t in tangents)
    try:
        jvps = _transpose(spec, plan, inputs, params, outs, tangents, float_outs, need_graph)
    except RuntimeError as e:
        if not need_graph or "not implemented" not in str(e):
            raise
        # A formula's derivative in the primal is missing (as in PyTorch, e.g.
        # hardsigmoid_backward): the tangent is still defined, only not differentiable.
        jvps = _transpose(spec, plan, inputs, params, outs, tangents, float_outs, False)
    return [None if i not in float_outs else T.wrap(np.zeros_like(o._data)) if j is None else j
            for i, (o, j) in enumerate(zip(outs, jvps))]


def _transpose(spec, plan, inputs, params, outs, tangents, float_outs, need_graph):
    """``J t`` for each float output: differentiate ``<formula(u), t>`` in ``u``."""
    from . import grad as autograd_grad
    if not need_graph:
        # No graph wanted through the tangent: run the formulas on detached primals.
        inputs = [x.detach() if isinstance(x, T.Tensor) and x._requires_grad else x for x in inputs]
        outs = [o.detach() if o._requires_grad else o for o in outs]
    with grad_mode.enable_grad():
        # u's value does not matter (the formulas are linear in it); ones rather than
        # zeros, so that a formula that skips work for all-zero gradients does not. It is
        # made by ops from the outputs, so that it is batched as they are under vmap. A
        # tangent wider than its tensor (float64 for float32) widens the output tangents,
        # as in PyTorch.
        wider = [t._data.dtype for x, t in zip(inputs, tangents) if t is not None and t._data.dtype != x._data.dtype]
        us = []
        for i, o in enumerate(outs):
            u = o.detach().clone()
            dt = np.result_type(o._data.dtype, *wider) if wider and i in float_outs else o._data.dtype
            if dt != o._data.dtype:
                u = u.to(_dtype.from_numpy_dtype(dt))
            us.append(u.fill_(1))
        for i in float_outs:
            us[i].requires_grad_()
        vals = plan.formula_args(inputs, outs, params)
        pairs = []          # (J_i^T u, tangent of input i)
        for idx, fn, pos, wants_all in plan.calls:
            args = [vals[p] for p in pos]
            res = fn(tuple(us), *args) if wants_all else fn(us[0], *args)
            if type(idx) is tuple:
                pairs.extend((r, tangents[i]) for i, r in zip(idx, res) if tangents[i] is not None)
            else:
                pairs.append((res, tangents[idx]))
        pairs = [(g, t) for g, t in pairs if isinstance(g, T.Tensor) and g._requires_grad]
        if not pairs:
            return [None] * len(outs)
        jvps = autograd_grad([g for g, _ in pairs], [us[i] for i in float_outs],
                             [_shaped_like(t, g) for g, t in pairs],
                             allow_unused=True, create_graph=need_graph)
    full = [None] * len(outs)
    for i, j in zip(float_outs, jvps):
        if j is not None and any(t is not None and np.may_share_memory(j._data, t._data) for t in tangents):
            j = j.clone()   # the engine passed an input's tangent through (clone, identity ops)
        full[i] = j
    return full


def _shaped_like(t, g):
    """The tangent as the cotangent of ``J^T u``: the formula's value may have the
    broadcast shape (the engine sums it down) and the op's computation dtype."""
    if t.shape != g.shape:
        t = t.expand(g.shape)
    if t.dtype != g.dtype:
        t = t.to(g.dtype)
    return t


# ------------------------------------------------------------------ the public API
def enter_dual_level():
    """Enter a new forward-AD level; ``make_dual`` and ``unpack_dual`` use it by default."""
    if _levels:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    return _enter()


def _enter():
    level = DualLevel(len(_levels))
    _levels.append(level)
    _modes.push(level)
    return level.number


def exit_dual_level(*, level=None):
    """Exit the innermost forward-AD level: the tangents of that level are gone."""
    if not _levels and level is None:
        raise RuntimeError("Dual level must be a positive number.")
    if not _levels or (level is not None and level != _levels[-1].number):
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. "
                           "This is not supported.")
    _modes.pop(_levels.pop())


def _level(level):
    if level is None:
        return _levels[-1] if _levels else None
    for m in _levels:
        if m.number == level:
            return m
    return None


def make_dual(tensor, tangent, *, level=None):
    """A view of ``tensor`` that carries ``tangent`` at ``level`` (the current one)."""
    mode = _level(level) if not isinstance(level, DualLevel) else level
    if mode is None:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, make sure to "
                           "enter_dual_level() first.")
    if not isinstance(tensor, T.Tensor) or not isinstance(tangent, T.Tensor):
        bad = "tensor" if not isinstance(tensor, T.Tensor) else "tangent"
        raise TypeError(f"make_dual(): argument '{bad}' must be Tensor, not "
                        f"{type(tensor if bad == 'tensor' else tangent).__name__}")
    if not tensor.is_floating_point():
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if not tangent.is_floating_point():
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    if tangent.shape != tensor.shape:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the original Tensor, "
            f"this is not supported. Tensor is of size {list(tensor.shape)} while the given forward gradient "
            f"is of size {list(tangent.shape)}.")
    with _modes.hidden(mode):
        dual = tensor.view_as(tensor)
    attach(dual, mode, tangent)     # as given, dtype included (PyTorch keeps a float64 tangent)
    return dual


def unpack_dual(tensor, *, level=None):
    """``(primal, tangent)``: a view of the primal without this level's tangent, and the
    tangent (None when there is none, or outside the level)."""
    mode = _level(level) if not isinstance(level, DualLevel) else level
    if mode is None or not _modes.is_active(mode):
        return UnpackedDualTensor(tensor, None)
    tangent = tangent_of(tensor, mode)
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    with _modes.hidden(mode):
        primal = tensor.view_as(tensor)     # outer levels' tangents carry over
    return UnpackedDualTensor(primal, tangent)


class dual_level(grad_mode._DecoratorContextManager):
    """``with dual_level():`` -- all forward-AD computation happens inside a level;
    leaving it drops the tangents."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()


def repr_tangent(t):
    """The ``tangent=...`` part of a dual tensor's repr (current level only, as PyTorch)."""
    mode = _levels[-1] if _levels else None
    tangent = tangent_of(t, mode) if mode is not None else None
    return (f"tangent={tangent!r}",) if tangent is not None else ()
