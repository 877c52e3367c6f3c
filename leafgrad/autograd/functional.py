"""torch.autograd.functional: vjp, jvp, jacobian, hessian, vhp, hvp, built on
``autograd.grad``. Inputs and outputs are a Tensor or a tuple of Tensors and the
results are nested exactly as PyTorch nests them.

leafgrad has no forward-mode AD and no vmap:

* ``jvp`` and ``hvp`` use the double-vjp trick, as PyTorch does: ``vjp(w) = w^T J`` is
  linear in the cotangent ``w``, so differentiating it with respect to ``w`` in the
  direction ``v`` gives ``J v``.
* ``jacobian(..., vectorize=True)`` gives the same result as the row-by-row loop (it is
  a loop here too), and ``strategy="forward-mode"`` (allowed, as in PyTorch, only with
  ``vectorize=True``) builds the Jacobian column by column with the double-vjp trick.
"""
import numpy as np

from . import grad_mode
from .. import _tensor as T

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


# ------------------------------------------------------------------ helpers
def _tupled(inp, arg_name, fn_name):
    """(was it a tuple, the tuple); everything in it must be a Tensor."""
    is_tuple = isinstance(inp, tuple)
    items = inp if is_tuple else (inp,)
    for i, el in enumerate(items):
        if not isinstance(el, T.Tensor):
            where = f"value at index {i}" if is_tuple else f"given {arg_name}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors "
                            f"but the {where} has type {type(el)}.")
    return is_tuple, items


def _untuple(res, keep):
    """Undo ``_tupled``: ``keep`` is a flag, or (outer, inner) flags for nested results."""
    if isinstance(keep, tuple):
        outer, inner = keep
        if not inner:
            res = tuple(r[0] for r in res)
        return res if outer else res[0]
    return res if keep else res[0]


def _prepare(inputs, create_graph, need_graph):
    """Fresh Tensor objects for the user function: a differentiable alias when the
    caller wants a graph back to its inputs, a detached copy otherwise (so inputs the
    function captures from outside are not mistaken for the arguments)."""
    out = []
    for x in inputs:
        if create_graph and x.requires_grad:
            out.append(x.view_as(x))
        else:
            out.append(x.detach().requires_grad_(need_graph))
    return tuple(out)


def _finish(values, create_graph):
    if isinstance(values[0], T.Tensor):
        return values if create_graph else tuple(v.detach() for v in values)
    return tuple(_finish(v, create_graph) for v in values)


def _check_v(v, ref, ref_is_tuple):
    if len(v) != len(ref):
        if ref_is_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(ref)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, ref)):
        if a.size() != b.size():
            prefix = f"Entry {i} in " if ref_is_tuple else ""
            raise RuntimeError(f"{prefix}v has invalid size: should be {b.size()} but got {a.size()}.")


def _strict_check(values, kind, strict):
    if not strict:
        return
    for i, x in enumerate(values):
        if x is None:
            raise RuntimeError(f"The output of the user-provided function is independent of input {i}. "
                               "This is not allowed in strict mode.")
        if x.requires_grad:
            continue
        if kind == "hessian":
            raise RuntimeError(
                f"The hessian of the user-provided function with respect to input {i} is independent of the "
                "input. This is not allowed in strict mode. You should ensure that your function is thrice "
                "differentiable and that the hessian depends on the inputs.")
        if kind == "jacobian":
            raise RuntimeError(
                "While computing the hessian, found that the jacobian of the user-provided function with "
                f"respect to input {i} is independent of the input. This is not allowed in strict mode. You "
                "should ensure that your function is twice differentiable and that the jacobian depends on the "
                "inputs (this would be violated by a linear function for example).")
        if kind == "grad_inputs":
            raise RuntimeError(
                f"The gradient with respect to input {i} is independent of the inputs of the user-provided "
                "function. This is not allowed in strict mode.")
        raise RuntimeError(
            f"Output {i} of the user-provided function does not require gradients. The outputs must be "
            "computed in a differentiable manner from the input when running in strict mode.")


def _grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """autograd.grad that skips outputs (None or not requiring grad) and returns None
    for every input when nothing is differentiable."""
    from . import grad
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return grad(tuple(o for o, _ in pairs), inputs, tuple(g for _, g in pairs), allow_unused=True,
                create_graph=create_graph, retain_graph=retain_graph)


_ZERO_MESSAGES = {
    "back": lambda i: (f"The output of the user-provided function is independent of input {i}. This is not "
                       "allowed in strict mode."),
    "back_trick": lambda i: (
        f"The gradient with respect to the input is independent of entry {i} in the grad_outputs when using "
        "the double backward trick to compute forward mode gradients. This is not allowed in strict mode."),
    "double_back": lambda i: (f"The jacobian of the user-provided function is independent of input {i}. This "
                              "is not allowed in strict mode."),
    "double_back_trick": lambda i: (
        f"The hessian of the user-provided function is independent of entry {i} in the grad_jacobian. This is "
        "not allowed in strict mode as it prevents from using the double backward trick to replace forward "
        "mode AD."),
}


def _zeros_for_none(grads, refs, strict, create_graph, stage):
    from .. import zeros_like
    out = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_ZERO_MESSAGES[stage](i))
            g = zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of input {i}. This is "
                               "not allowed in strict mode when create_graph=True.")
        out.append(g)
    return tuple(out)


def _prepare_v(v, ref, ref_is_tuple, create_graph, fn_name, none_message):
    if v is not None:
        _, v = _tupled(v, "v", fn_name)
        v = _prepare(v, create_graph, need_graph=False)
        _check_v(v, ref, ref_is_tuple)
        return v
    if len(ref) != 1 or ref[0].nelement() != 1:
        raise RuntimeError(none_message)
    return None


_V_NONE_INPUT = ("The vector v can only be None if the input to the user-provided function is a single Tensor "
                 "with a single element.")


# ------------------------------------------------------------------ public API
def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``."""
    with grad_mode.enable_grad():
        in_tuple, inputs = _tupled(inputs, "inputs", "vjp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        outputs = func(*inputs)
        out_tuple, outputs = _tupled(outputs, "outputs of the user-provided function", "vjp")
        _strict_check(outputs, "outputs", strict)
        v = _prepare_v(v, outputs, out_tuple, create_graph, "vjp",
                       "The vector v can only be None if the user-provided function returns a single Tensor "
                       "with a single element.")
    with grad_mode.set_grad_enabled(create_graph or grad_mode.is_grad_enabled()):
        res = _grad(outputs, inputs, v, create_graph=create_graph)
        res = _zeros_for_none(res, inputs, strict, create_graph, "back")
    return _untuple(_finish(outputs, create_graph), out_tuple), _untuple(_finish(res, create_graph), in_tuple)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)`` by the double-vjp trick."""
    from .. import zeros_like
    with grad_mode.enable_grad():
        in_tuple, inputs = _tupled(inputs, "inputs", "jvp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        v = _prepare_v(v, inputs, in_tuple, create_graph, "jvp",
                       "The vector v can only be None if the input to the user-provided function is a single "
                       "Tensor with a single element.")
        outputs = func(*inputs)
        out_tuple, outputs = _tupled(outputs, "outputs of the user-provided function", "jvp")
        _strict_check(outputs, "outputs", strict)
        # The cotangent's value never matters (the vjp is linear in it); zeros keep it finite.
        cotangents = tuple(zeros_like(o, requires_grad=True) for o in outputs)
        vjps = _grad(outputs, inputs, cotangents, create_graph=True)
        _strict_check(vjps, "grad_inputs", strict)
    with grad_mode.set_grad_enabled(True if create_graph else grad_mode.is_grad_enabled()):
        res = _grad(vjps, cotangents, v, create_graph=create_graph)
        res = _zeros_for_none(res, outputs, strict, create_graph, "back_trick")
    return _untuple(_finish(outputs, create_graph), out_tuple), _untuple(_finish(res, create_graph), out_tuple)


def _reverse_jacobian(outputs, inputs, create_graph, strict):
    from .. import stack, zeros_like
    result = []
    for i, out in enumerate(outputs):
        rows = [[] for _ in inputs]
        flat = out.reshape(-1)
        for j in range(out.nelement()):
            vj = _grad((flat[j],), inputs, retain_graph=True, create_graph=create_graph)
            for k, (g, x) in enumerate(zip(vj, inputs)):
                if g is None:
                    if strict:
                        raise RuntimeError(f"Output {i} of the user-provided function is independent of input "
                                           f"{k}. This is not allowed in strict mode.")
                    g = zeros_like(x)
                elif strict and create_graph and not g.requires_grad:
                    raise RuntimeError(f"The jacobian of the user-provided function is independent of input {i}. "
                                       "This is not allowed in strict mode when create_graph=True.")
                rows[k].append(g)
        result.append(tuple(
            _stack_rows(r, out.size() + x.size(), x, stack) for r, x in zip(rows, inputs)))
    return tuple(result)


def _stack_rows(rows, shape, x, stack):
    if len(rows) == 1:
        # (stack of a single tensor cannot be differentiated twice in leafgrad yet)
        return rows[0].reshape(shape)
    if rows:
        return stack(rows, dim=0).view(shape)
    from .. import zeros
    return zeros(shape, dtype=x.dtype)


def _forward_jacobian(func, inputs, differentiable=False):
    """Column by column: ``J e_c`` through the double-vjp trick, for each element ``c`` of
    each input. As with PyTorch's forward AD, the inputs are used as given (not
    detached): when they require grad, the Jacobian stays differentiable."""
    from .. import stack, zeros
    in_tuple, inputs = _tupled(inputs, "inputs", "jacobian")
    # PyTorch's forward-over-reverse Hessian marks its inputs as requiring grad: the result
    # then has a graph (``differentiable``).
    graph = differentiable or any(x.requires_grad for x in inputs)
    with grad_mode.enable_grad():
        inputs = tuple(x if x.requires_grad else x.detach().requires_grad_(True) for x in inputs)
        outputs = func(*inputs)
        out_tuple, outputs = _tupled(outputs, "outputs of the user-provided function", "jacobian")
        from .. import zeros_like
        cotangents = tuple(zeros_like(o, requires_grad=True) for o in outputs)
        vjps = _grad(outputs, inputs, cotangents, create_graph=True)
        result = [[None] * len(inputs) for _ in outputs]
        for k, (x, g) in enumerate(zip(inputs, vjps)):
            cols = [[] for _ in outputs]
            n = x.nelement()
            basis = np.zeros(n, x._data.dtype)
            for c in range(n if g is not None and g.requires_grad else 0):
                basis[:] = 0
                basis[c] = 1
                jv = _grad((g,), cotangents, (T.wrap(basis.reshape(x._data.shape).copy()),), retain_graph=True,
                           create_graph=graph)
                for m, col in enumerate(jv):
                    cols[m].append(col if col is not None else zeros_like(outputs[m]))
            for m, o in enumerate(outputs):
                shape = tuple(o.shape) + tuple(x.shape)
                if cols[m]:
                    jac = stack(cols[m], dim=-1) if len(cols[m]) > 1 else cols[m][0].unsqueeze(-1)
                    jac = jac.reshape(shape)
                else:
                    jac = zeros(shape, dtype=o.dtype)
                result[m][k] = jac if graph else jac.detach()
    return _untuple(tuple(tuple(r) for r in result), (out_tuple, in_tuple))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: ``jac[i][j]`` has shape
    ``outputs[i].shape + inputs[j].shape`` (un-nested where a side is a single Tensor)."""
    return _jacobian(func, inputs, create_graph, strict, vectorize, strategy)


def _jacobian(func, inputs, create_graph, strict, vectorize, strategy, differentiable=False):
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function has more '
            'outputs than inputs, "forward-mode" tends to be more performant. Otherwise, prefer to use '
            '"reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                "torch.autograd.functional.jacobian: `create_graph=True` and `strategy=\"forward-mode\"` are not "
                "supported together (yet). Please either set `create_graph=False` or `strategy=\"reverse-mode\"`.")
        if strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` and `strategy=\"forward-mode\"` are not "
                "supported together (yet). Please either set `strict=False` or `strategy=\"reverse-mode\"`.")
        _tupled(inputs, "inputs", "jacobian")
        if not vectorize:
            # PyTorch's text, missing space included
            raise NotImplementedError(
                "Computing Jacobian using forward-AD or forward-over-reverse Hessian isonly implemented for "
                "`vectorize=True`.")
        return _forward_jacobian(func, inputs, differentiable)

    with grad_mode.enable_grad():
        in_tuple, inputs = _tupled(inputs, "inputs", "jacobian")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        outputs = func(*inputs)
        out_tuple, outputs = _tupled(outputs, "outputs of the user-provided function", "jacobian")
        _strict_check(outputs, "outputs", strict)
        if vectorize and strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not supported "
                "together. Please either set `strict=False` or `vectorize=False`.")
        jac = _reverse_jacobian(outputs, inputs, create_graph, strict)
        jac = _finish(jac, create_graph) if jac and jac[0] else jac
        return _untuple(jac, (out_tuple, in_tuple))


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar function: ``H[i][j]`` has shape ``inputs[i].shape + inputs[j].shape``."""
    in_tuple, inputs = _tupled(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def scalar_func(*inp):
        out = func(*inp)
        out_tuple, outs = _tupled(out, "outputs of the user-provided function", "hessian")
        _strict_check(outs, "outputs", strict)
        if out_tuple or not isinstance(out, T.Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.nelement() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should contain a single "
                               "element")
        return out.squeeze()

    def gradient(*inp):
        if outer_jacobian_strategy == "forward-mode":
            inp = tuple(t.requires_grad_(True) for t in inp)
        jac = jacobian(scalar_func, inp, create_graph=True)
        _strict_check(jac, "jacobian", strict)
        return jac

    res = _jacobian(gradient, inputs, create_graph, strict, vectorize, outer_jacobian_strategy,
                    differentiable=True)
    return _untuple(res, (in_tuple, in_tuple))


def _scalar_output(func, inputs, name, strict):
    outputs = func(*inputs)
    out_tuple, outputs = _tupled(outputs, "outputs of the user-provided function", name)
    _strict_check(outputs, "outputs", strict)
    if out_tuple or not isinstance(outputs[0], T.Tensor):
        raise RuntimeError(f"The function given to {name} should return a single Tensor")
    if outputs[0].nelement() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {name} should contain a single element")
    return out_tuple, outputs


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)`` for a scalar function."""
    with grad_mode.enable_grad():
        in_tuple, inputs = _tupled(inputs, "inputs", "vhp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        v = _prepare_v(v, inputs, in_tuple, create_graph, "vhp", _V_NONE_INPUT)
        out_tuple, outputs = _scalar_output(func, inputs, "vhp", strict)
        jac = _grad(outputs, inputs, create_graph=True)
        _strict_check(jac, "jacobian", strict)
    with grad_mode.set_grad_enabled(True if create_graph else grad_mode.is_grad_enabled()):
        res = _grad(jac, inputs, v, create_graph=create_graph)
        res = _zeros_for_none(res, inputs, strict, create_graph, "double_back")
    return _untuple(_finish(outputs, create_graph), out_tuple), _untuple(_finish(res, create_graph), in_tuple)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for a scalar function, by the double-vjp trick on the gradient."""
    from .. import zeros_like
    with grad_mode.enable_grad():
        in_tuple, inputs = _tupled(inputs, "inputs", "hvp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        v = _prepare_v(v, inputs, in_tuple, create_graph, "hvp", _V_NONE_INPUT)
        out_tuple, outputs = _scalar_output(func, inputs, "hvp", strict)
        jac = _grad(outputs, inputs, create_graph=True)
        _strict_check(jac, "jacobian", strict)
        cotangents = tuple(zeros_like(x, requires_grad=True) for x in inputs)
        double_back = _grad(jac, inputs, cotangents, create_graph=True)
        _strict_check(jac, "hessian", strict)
    with grad_mode.set_grad_enabled(True if create_graph else grad_mode.is_grad_enabled()):
        res = _grad(double_back, cotangents, v, create_graph=create_graph)
        res = _zeros_for_none(res, inputs, strict, create_graph, "double_back_trick")
    return _untuple(_finish(outputs, create_graph), out_tuple), _untuple(_finish(res, create_graph), in_tuple)
