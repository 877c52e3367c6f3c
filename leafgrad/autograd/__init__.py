"""torch.autograd: backward, grad, grad modes and custom Functions."""
import warnings

import numpy as np

from . import graph, grad_mode, forward_ad  # noqa: F401
from .engine import run_backward
from .function import Function, FunctionCtx, once_differentiable  # noqa: F401
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,  # noqa: F401
                        no_grad, set_grad_enabled)
from .graph import gradient_edge
from .anomaly_mode import detect_anomaly, set_detect_anomaly, is_anomaly_enabled, is_anomaly_check_nan_enabled  # noqa: F401,E501
from .. import _tensor as T
from .. import _modes, _tape


def _tuple(x):
    if x is None:
        return ()
    if isinstance(x, T.Tensor):
        return (x,)
    return tuple(x)


def _no_graph_message(i, out):
    """PyTorch's message, then what leafgrad knows about why there is no graph."""
    lines = [f"element {i} of tensors does not require grad and does not have a grad_fn"]
    if out._untracked == "grad mode was off":
        lines.append("Hint: this tensor was computed from tensors that require grad while grad mode was off "
                     "(inside no_grad(), inference_mode() or set_grad_enabled(False)), so no graph was recorded.")
    elif out._untracked == "detached":
        lines.append("Hint: this tensor comes from .detach(), which cuts it off from the graph.")
    lines.append("Setting requires_grad=True on this tensor (e.g. on the loss) would not help: it would become a "
                 "new leaf, and the tensors it was computed from would still get no gradient.")
    return "\n".join(lines)


def _one(shape, dtype):
    """The implicit gradient of a one-element output (a 0-d one costs a third of np.ones)."""
    return np.array(1, dtype) if not shape else np.ones(shape, dtype)


def _root_grads(outputs, grad_outputs, create_graph, is_grads_batched=False):
    """Check each output and its gradient; the implicit gradient of a scalar is 1."""
    roots, grads = [], []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not out._requires_grad or out._inherits_grad and out._grad_fn is None:   # (a Function may give one a node)
            raise RuntimeError(_no_graph_message(i, out))
        if g is None:
            if out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if out._data.dtype.kind != "f":
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got "
                                   f"{out.dtype}")
            value = _tape.call(_one, out._data.shape, out._data.dtype)
            g = T.wrap(value)
        elif not isinstance(g, T.Tensor):
            g = T.wrap(np.asarray(g, dtype=out._data.dtype))
        elif g._data.shape != out._data.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                               f"has a shape of {out.shape}.")
        elif g._data.dtype != out._data.dtype:
            g = T.wrap(g._data.astype(out._data.dtype))  # the engine works in the output's dtype
        roots.append(gradient_edge(out))
        grads.append(g if create_graph else g._data)
    return roots, grads


_warned_create_graph = False


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None,
             inputs=None):
    """Accumulate into ``.grad`` of the leaves the gradient of ``tensors``."""
    if _modes.STACK:  # a transform may take the call over (vmap differentiates batched tensors)
        res = _modes.differentiate(lambda o, i, g, **kw: backward(o, g, inputs=i, **kw), tensors, inputs,
                                   grad_tensors if grad_tensors is not None else grad_variables,
                                   dict(retain_graph=retain_graph, create_graph=create_graph))
        if res is not NotImplemented:
            return None
    tensors = _tuple(tensors)
    if grad_tensors is None:
        grad_tensors = grad_variables
    grads = _tuple(grad_tensors) if grad_tensors is not None else (None,) * len(tensors)
    if len(grads) != len(tensors):
        raise RuntimeError(f"got {len(grads)} tensors and {len(tensors)} gradients")
    if inputs is not None:
        inputs = _tuple(inputs)
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    if retain_graph is None:
        retain_graph = create_graph
    global _warned_create_graph
    if create_graph and not _warned_create_graph:  # PyTorch warns once per process
        _warned_create_graph = True
        warnings.warn(
            "Using backward() with create_graph=True will create a reference cycle between the parameter and its "
            "gradient which can cause a memory leak. We recommend using autograd.grad when creating the graph to "
            "avoid this. If you have to use this function, make sure to reset the .grad fields of your parameters "
            "to None after use to break the cycle and avoid the leak.", UserWarning, stacklevel=3)
    roots, root_grads = _root_grads(tensors, grads, create_graph)
    targets = None
    if inputs is not None:
        targets = []
        for t in inputs:
            if not t._requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            if t._grad_fn is not None:
                t.retain_grad()  # a non-leaf named in ``inputs`` gets its gradient in .grad
            targets.append(gradient_edge(t))
    run_backward(roots, root_grads, retain_graph, create_graph, targets=targets, capture=False)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned (not accumulated)."""
    if _modes.STACK:  # a transform may take the call over (vmap differentiates batched tensors)
        res = _modes.differentiate(grad, outputs, inputs, grad_outputs, dict(
            retain_graph=retain_graph, create_graph=create_graph, only_inputs=only_inputs,
            allow_unused=allow_unused, is_grads_batched=is_grads_batched, materialize_grads=materialize_grads))
        if res is not NotImplemented:
            return res
    if not only_inputs:
        warnings.warn("only_inputs argument is deprecated and is ignored now (defaults to True). To accumulate "
                      "gradient for other parts of the graph, please use torch.autograd.backward.",
                      FutureWarning, stacklevel=2)
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, "
                         "but got: allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    outputs = _tuple(outputs)
    single_input = isinstance(inputs, T.Tensor)
    inputs = _tuple(inputs)
    if not inputs:
        raise RuntimeError("grad requires non-empty inputs.")
    grads = _tuple(grad_outputs) if grad_outputs is not None else (None,) * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grads)} gradients")
    if retain_graph is None:
        retain_graph = create_graph
    targets = []
    for t in inputs:
        if not isinstance(t, T.Tensor):
            raise TypeError(f"grad(): argument 'inputs' must be tuple of Tensors, not {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        targets.append(gradient_edge(t))
    roots, root_grads = _root_grads(outputs, grads, create_graph)
    captured = run_backward(roots, root_grads, retain_graph, create_graph, targets=targets, capture=True)
    result = []
    for i, (t, g) in enumerate(zip(inputs, captured)):
        if g is None:
            if materialize_grads:
                result.append(T.wrap(_tape.call(np.zeros, t._data.shape, t._data.dtype)))
                continue
            if not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
            result.append(None)
        elif create_graph:
            result.append(g)
        else:
            result.append(T.wrap(g if g.flags.owndata or g.base is None else _tape.call(np.array, g)))
    return tuple(result)

from . import functional, graphviz  # noqa: E402,F401
from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: E402,F401

# Pictures of the graph live in graphviz.py (it reads graph.py, so graph.py cannot import it).
graph.to_dot, graph.render, graph.print_graph = graphviz.to_dot, graphviz.render, graphviz.print_graph
