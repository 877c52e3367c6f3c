"""Custom differentiable functions: ``class F(Function)`` with static ``forward`` and
``backward``, called through ``F.apply``. The node of a call is also its ``ctx``, as in
PyTorch, so ``out.grad_fn.saved_tensors`` works."""
import functools

import numpy as np

from . import grad_mode
from .anomaly_mode import forward_trace, state as anomaly
from .graph import Node, freed_error, SavedTensor, gradient_edge
from .. import _tensor as T


class FunctionCtx:
    """The methods ``forward`` / ``setup_context`` call on ``ctx``."""

    def save_for_backward(self, *tensors):
        """Save tensors for backward; read them back with ``saved_tensors``. Saving
        through this method (not as attributes) lets in-place changes be detected and
        the memory be freed after backward."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, T.Tensor):
                raise TypeError("save_for_backward can only save variables, but argument "
                                f"{i} is of type {type(t).__name__}")
        self._to_save = tensors

    def save_for_forward(self, *tensors):
        self._saved_for_forward = tensors

    def mark_dirty(self, *tensors):
        """Declare inputs that forward modified in place; they become outputs of this node."""
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        """Declare outputs that get no gradient (e.g. indices)."""
        self._non_differentiable = tensors

    def set_materialize_grads(self, value):
        """With True (the default), gradients that did not arrive are passed to backward as
        zeros; with False, as None."""
        self.materialize_grads = bool(value)


class BackwardCFunction(FunctionCtx, Node):
    """The node (and ctx) of one ``Function.apply`` call."""

    _forward_cls = None
    materialize_grads = True
    _to_save = None
    _dirty = ()
    _non_differentiable = ()

    def __init__(self):
        self._saved = None
        self._released = False
        self.needs_input_grad = ()

    def name(self):
        return type(self).__name__

    @property
    def saved_tensors(self):
        if self.__dict__.get("_in_jvp"):
            return tuple(self.__dict__.get("_saved_for_forward", ()))
        if self._released:
            raise freed_error(self)
        if self._saved is None:
            return tuple(self._to_save or ())
        return tuple(None if s is None else s.unpack(self, True) for s in self._saved)

    saved_variables = saved_tensors

    def _release(self):
        if self._saved is not None:
            self._saved = None
            self._released = True

    def _apply(self, grads, graph):
        if self._released:
            raise freed_error(self)
        cls = self._forward_cls
        args = []
        grads = iter(grads)
        nr = 0
        for is_tensor in self._output_is_tensor:  # backward gets one gradient per forward output
            if not is_tensor:
                args.append(None)
                continue
            g = next(grads)
            if g is None and self.materialize_grads:
                shape, dtype = self._meta[nr]
                args.append(T.wrap(np.zeros(shape, dtype)))
            else:
                args.append(g if g is None or graph else T.wrap(g))
            nr += 1
        with grad_mode.set_grad_enabled(graph):
            result = cls.backward(self, *args)
        if not isinstance(result, tuple):
            result = (result,)
        n = len(self._input_is_tensor)
        if len(result) != n:
            if len(result) > n and all(r is None for r in result[n:]):
                result = result[:n]
            else:
                raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                                   f"(expected {n}, got {len(result)})")
        outs = []
        for i, r in enumerate(result):
            if r is None:
                outs.append(None)
                continue
            if not self._input_is_tensor[i]:
                raise RuntimeError(f"function {self.name()} returned a gradient different than None at position "
                                   f"{i + 1}, but the corresponding forward input was not a Variable")
            if not isinstance(r, T.Tensor):
                raise TypeError(f"function {self.name()} returned a gradient that is not a Tensor at position {i + 1}")
            outs.append(r if graph else r._data)
        # The node's edges are its tensor inputs only.
        return [g for g, is_tensor in zip(outs, self._input_is_tensor) if is_tensor]


class _FunctionMeta(type):
    """Gives every Function subclass its own node class, named ``<Name>Backward``."""

    def __init__(cls, name, bases, attrs):
        backward_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})
        cls._backward_cls = backward_cls
        super().__init__(name, bases, attrs)


class Function(FunctionCtx, metaclass=_FunctionMeta):
    """Subclass with ``@staticmethod forward(ctx, *args)`` (or ``forward(*args)`` plus
    ``setup_context(ctx, inputs, output)``) and ``@staticmethod backward(ctx, *grads)``
    returning one gradient (or None) per forward input; call it as ``F.apply(*args)``."""

    def __init__(self, *args, **kwargs):
        import warnings
        warnings.warn(f"{type(self)} should not be instantiated. Methods on autograd functions are all static, "
                      "so you should invoke them on the class itself. Instantiating an autograd function will "
                      "raise an error in a future version of PyTorch.", DeprecationWarning, stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use new-style "
            "autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it "
                                  "with forward mode AD.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = cls._backward_cls()
        is_tensor = tuple(isinstance(a, T.Tensor) for a in args)
        needs = tuple(t and a._requires_grad for t, a in zip(is_tensor, args))
        ctx.needs_input_grad = needs
        ctx._input_is_tensor = is_tensor
        uses_setup = cls.setup_context is not Function.setup_context
        # forward sees primals only: the tangents of forward-AD levels go to cls.jvp
        duals = [(a, a._fw) for a in args if isinstance(a, T.Tensor) and a._fw is not None]
        for a, _ in duals:
            a.__dict__["_fw"] = None
        try:
            with grad_mode.no_grad():
                if uses_setup:
                    output = cls.forward(*args, **kwargs)
                else:
                    output = cls.forward(ctx, *args, **kwargs)
        finally:
            for a, fw in duals:
                a.__dict__["_fw"] = fw
        if uses_setup:
            cls.setup_context(ctx, args, output)
        record = grad_mode.state.enabled and any(needs)
        result = _wrap_outputs(ctx, args, output, record)
        if duals:
            _forward_tangents(cls, ctx, args, result)
        return result


def _forward_tangents(cls, ctx, args, result):
    """Forward AD through a custom Function: its ``jvp(ctx, *tangents)`` gives the
    output tangents, at each level some input carries a tangent for."""
    from .. import _modes
    from .forward_ad import DualLevel, attach
    outs = [o for o in (result if isinstance(result, tuple) else (result,)) if isinstance(o, T.Tensor)]
    for level in [m for m in _modes.STACK[:_modes.visible[0]] if isinstance(m, DualLevel)]:
        tangents = [a._fw.get(level) if isinstance(a, T.Tensor) and a._fw is not None else None for a in args]
        if all(t is None for t in tangents):
            continue
        ctx.__dict__["_in_jvp"] = True
        try:
            with _modes.hidden(level):
                out_t = cls.jvp(ctx, *tangents)
        finally:
            ctx.__dict__["_in_jvp"] = False
        out_t = out_t if isinstance(out_t, tuple) else (out_t,)
        for o, t in zip(outs, out_t):
            if t is not None:
                attach(o, level, t)


def _wrap_outputs(ctx, args, output, record):
    single = not isinstance(output, tuple)
    outputs = (output,) if single else output
    dirty = {id(t) for t in ctx._dirty}
    non_diff = {id(t) for t in ctx._non_differentiable}
    input_ids = {id(a) for a in args if isinstance(a, T.Tensor)}
    tensor_outs = [o for o in outputs if isinstance(o, T.Tensor)]
    ctx._output_is_tensor = tuple(isinstance(o, T.Tensor) for o in outputs)
    for t in ctx._dirty:
        if t._grad_fn is None and t._requires_grad and grad_mode.state.enabled:
            raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
        t._vc[0] += 1  # rebasing a dirty tensor's history counts as a change, as in PyTorch
    if record:
        if anomaly.enabled:
            ctx._trace = forward_trace()
        ctx._init(tuple(gradient_edge(a) if a._requires_grad else None for a in args if isinstance(a, T.Tensor)),
                  tuple((o._data.shape, o._data.dtype) for o in tensor_outs))
    results = []
    nr = 0
    for o in outputs:
        if not isinstance(o, T.Tensor):
            results.append(o)
            continue
        differentiable = id(o) not in non_diff
        if id(o) in input_ids and id(o) not in dirty:
            o = o.detach()  # an input returned unchanged becomes a new alias of it
        if record and differentiable and o._data.dtype.kind == "f":
            # Dirty inputs were modified in place: their history now goes through this node.
            o._grad_fn, o._out_nr, o._requires_grad = ctx, nr, True
        results.append(o)
        nr += 1
    if record and ctx._to_save is not None:
        out_ids = {id(o): i for i, o in enumerate(r for r in results if isinstance(r, T.Tensor))}
        ctx._saved = tuple(None if t is None else SavedTensor(t, True, out_ids[id(t)])
                           if id(t) in out_ids and t._grad_fn is ctx else SavedTensor(t) for t in ctx._to_save)
    return results[0] if single else tuple(results)


def once_differentiable(fn):
    """Mark a backward that is not itself differentiable: it runs without recording,
    and differentiating its result raises."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with grad_mode.no_grad():
            outputs = fn(ctx, *args)
        if not grad_mode.state.enabled:
            return outputs
        requires = any(isinstance(a, T.Tensor) and a._requires_grad for a in args)
        if not requires:
            return outputs
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        node_inputs = [a for a in args if isinstance(a, T.Tensor) and a._requires_grad]
        wrapped = tuple(_delayed_error(o, node_inputs) if isinstance(o, T.Tensor) else o for o in outs)
        return wrapped[0] if single else wrapped
    return wrapper


class DelayedError(Node):
    """Stands for the derivative of a once_differentiable backward: raises if reached."""

    __slots__ = ()

    def _apply(self, grads, graph):
        raise RuntimeError("trying to differentiate twice a function that was marked with @once_differentiable")


def _delayed_error(t, inputs):
    node = DelayedError()
    node._init(tuple(gradient_edge(a) for a in inputs), ((t._data.shape, t._data.dtype),))
    return T.make(t._data, node, 0)
