"""torch.func's transforms: grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian,
functional_call.

Reverse-mode transforms differentiate with the ordinary engine, always building the
graph of the derivative (``create_graph=True``), so that they compose: ``grad(grad(f))``
and ``jacrev(jacrev(f))`` differentiate the graph the inner transform built. Each call
differentiates with respect to fresh aliases of its inputs, so an inner ``grad`` never
mixes its variable up with an outer one's. Forward-mode transforms run ``f`` inside a
forward-AD level of their own (``autograd.forward_ad``); levels nest, so
``jacfwd(jacrev(f))`` (the Hessian) and ``jacfwd(jacfwd(f))`` work too.
"""
import contextlib
import functools

import numpy as np

from .. import _modes
from .._tensor import Tensor, wrap
from ..autograd import forward_ad, grad_mode
from ..autograd import grad as _autograd_grad
from . import _pytree

_depth = [0]          # reverse-mode transforms running now (an outer one keeps our graph)


# ------------------------------------------------------------------ argument checks
def _check_argnums(argnums, n_args):
    if isinstance(argnums, int):
        return _check_argnum(argnums, n_args)
    if isinstance(argnums, tuple):
        if not argnums:
            raise RuntimeError("argnums must be non-empty")
        if len(set(argnums)) != len(argnums):
            raise RuntimeError(f"argnums elements must be unique, got {argnums}")
        return tuple(_check_argnum(a, n_args) for a in argnums)
    raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")


def _check_argnum(argnum, n_args):
    if not isinstance(argnum, int):
        raise RuntimeError(f"argnum must be int, got: {type(argnum)}")
    if -n_args <= argnum < n_args:
        return argnum % n_args
    raise RuntimeError(f"Got argnum={argnum}, but only {n_args} positional inputs")


# ------------------------------------------------------------------ tracking inputs
def _track(x):
    """A fresh variable standing for ``x``: gradients are taken with respect to it alone,
    while it stays connected to whatever graph or forward-AD level ``x`` belongs to."""
    if not isinstance(x, Tensor):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
    if _modes.STACK:
        # Under vmap, an input shared by the batch is expanded to it first: each sample
        # then gets its own gradient (the batched graph would sum them).
        from ._vmap import lift
        x = lift(x)
    if x._requires_grad:
        return x.view_as(x)
    t = x.detach()
    if x._fw is not None:
        t.__dict__["_fw"] = x._fw
    t.__dict__["_func_leaf"] = True
    return t.requires_grad_()


def _untrack(t, keep_graph):
    """A result handed back to the caller: without our graph unless an outer transform
    (or the caller's own graph) differentiates it; tangents of outer levels stay."""
    if keep_graph or not isinstance(t, Tensor):
        return t
    out = t.detach()
    if t._fw is not None:
        out.__dict__["_fw"] = t._fw
    return out


def _keep_graph(args, own=1):
    """Whether results must stay differentiable: an outer reverse-mode transform is
    running (besides ``own``), or the caller's inputs require grad."""
    leaves, _ = _pytree.flatten(args)
    return _depth[0] > own or any(isinstance(x, Tensor) and x._requires_grad for x in leaves)


@contextlib.contextmanager
def _reverse_level(args):
    """A reverse-mode transform running (with grad mode on); yields whether its results
    must keep their graph because of the caller's inputs or an outer transform."""
    _depth[0] += 1
    try:
        with grad_mode.enable_grad():
            yield _keep_graph(args)
    finally:
        _depth[0] -= 1


def _reaches_outside(tensors):
    """Whether the graph of ``tensors`` reaches a leaf other than the variables the
    transforms made (a tensor ``f`` closed over that requires grad): then the results
    keep their graph. (Transforms still running are covered by ``_depth``.)"""
    from ..autograd.graph import AccumulateGrad
    seen, stack = set(), [t._grad_fn for t in tensors if isinstance(t, Tensor) and t._grad_fn is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, AccumulateGrad) and not node.variable.__dict__.get("_func_leaf"):
            return True
        stack.extend(e[0] for e in node._next if e is not None)
    return False


def _split_aux(output, has_aux, api):
    """``(output, aux)`` of a function declared ``has_aux``; ``(output, None)`` otherwise."""
    if not has_aux:
        return output, None
    if not (isinstance(output, tuple) and len(output) == 2):
        raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True")
    return output


def _only_tensors(output, api):
    flat, spec = _pytree.flatten(output)
    for o in flat:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"{api}: expected f(*primals) to return only tensors, got unsupported type {type(o)}")
    return flat, spec


def _call_tracked(func, args, kwargs, nums, has_aux, api):
    """Call ``func`` with the arguments ``nums`` replaced by tracked aliases; returns
    ``(output, aux, the tracked arguments)``."""
    args = list(args)
    for i in (nums if isinstance(nums, tuple) else (nums,)):
        args[i] = _pytree.tree_map(_track, args[i])
    output, aux = _split_aux(func(*args, **kwargs), has_aux, api)
    diff = tuple(args[i] for i in nums) if isinstance(nums, tuple) else args[nums]
    return output, aux, diff


def _grads(outputs, inputs, cotangents):
    """d<outputs, cotangents>/d inputs with a graph, zeros where an input is unused."""
    pairs = [(o, c) for o, c in zip(outputs, cotangents) if o._requires_grad]
    if not pairs:
        return [wrap(np.zeros_like(x._data)) for x in inputs]
    gs = _autograd_grad([o for o, _ in pairs], inputs, [c for _, c in pairs],
                        retain_graph=True, create_graph=True, allow_unused=True)
    return [wrap(np.zeros_like(x._data)) if g is None else g for g, x in zip(gs, inputs)]


# ------------------------------------------------------------------ grad
def grad_and_value(func, argnums=0, has_aux=False):
    """``f``'s gradient with respect to the arguments ``argnums``, and ``f``'s value."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = _check_argnums(argnums, len(args))
        with _reverse_level(args) as keep:
            output, aux, diff = _call_tracked(func, args, kwargs, nums, has_aux, "grad_and_value(f)(*args)")
            if not isinstance(output, Tensor):
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, "
                                   f"got {type(output)}")
            if output.dim() != 0:
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, "
                                   f"got tensor with {output.dim()} dims. Maybe you wanted to use the vjp or "
                                   "jacrev APIs instead?")
            flat, spec = _pytree.flatten(diff)
            gs = _grads([output], flat, [wrap(np.ones_like(output._data))])
            keep = keep or _reaches_outside(gs + [output])
            gs = _pytree.unflatten([_untrack(g, keep) for g in gs], spec)
            value = _untrack(output, keep)
            if has_aux:
                return gs, (value, _pytree.tree_map(lambda a: _untrack(a, keep), aux))
            return gs, value
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """``f``'s gradient with respect to the arguments ``argnums`` (f returns a scalar)."""
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


# ------------------------------------------------------------------ vjp
def vjp(func, *primals, has_aux=False):
    """``(f(*primals), vjp_fn)``: ``vjp_fn(cotangents)`` gives one gradient per primal."""
    with _reverse_level(primals) as keep:
        output, aux, tracked = _call_tracked(func, primals, {}, tuple(range(len(primals))), has_aux,
                                             "vjp(f, *primals)")
        flat_out, out_spec = _only_tensors(output, "vjp(f, *primals)")
        for o in flat_out:
            if not o.is_floating_point():
                raise RuntimeError("vjp(f, ...): All outputs of f must be floating-point or complex Tensors, "
                                   f"got Tensor with dtype {o.dtype}")
        flat_in, in_spec = _pytree.flatten(tracked)
        keep = keep or _reaches_outside(flat_out)

    def vjp_fn(cotangents):
        flat_c, c_spec = _pytree.flatten(cotangents)
        if c_spec != out_spec:
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree structure of "
                               f"outputs to the function. cotangents: {c_spec.pprint()}, "
                               f"primal output: {out_spec.pprint()}")
        for i, (o, c) in enumerate(zip(flat_out, flat_c)):
            if tuple(o.shape) != tuple(c.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {c.shape} and "
                                   f"output[{i}] has a shape of {o.shape}.")
        with _reverse_level(cotangents) as keep_c:
            gs = _grads(flat_out, flat_in, flat_c)
            return _pytree.unflatten([_untrack(g, keep or keep_c) for g in gs], in_spec)

    result = _pytree.tree_map(lambda o: _untrack(o, keep), output)
    if has_aux:
        return result, vjp_fn, _pytree.tree_map(lambda a: _untrack(a, keep), aux)
    return result, vjp_fn


# ------------------------------------------------------------------ jvp
def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``(f(*primals), J t)``: forward mode, in a forward-AD level of its own."""
    name = "jvp(f, primals, tangents)"
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{name}: Expected primals to be a tuple. E.g. it should be valid to call f(*primals).")
    flat_p, p_spec = _pytree.flatten(primals)
    flat_t, t_spec = _pytree.flatten(tangents)
    if p_spec != t_spec:
        raise RuntimeError(f"{name}: Expected primals and tangents to have the same python structure. For example, "
                           f"if primals is a tuple of 3 tensors, tangents also must be. Got primals with structure "
                           f"{p_spec!r} and tangents with structure {t_spec!r}")
    for kind, items in (("primals", flat_p), ("tangents", flat_t)):
        for x in items:
            if not isinstance(x, Tensor):
                raise RuntimeError(f"{name}: Expected {kind} to only contain Tensors, got {type(x)}")
    level = forward_ad.DualLevel(-1)
    with _modes.active(level):
        duals = _pytree.unflatten([forward_ad.make_dual(p, t, level=level) for p, t in zip(flat_p, flat_t)], p_spec)
        output, aux = _split_aux(func(*duals), has_aux, name)
        flat_o, o_spec = _only_tensors(output, name)
        primals_out, tangents_out = [], []
        for o in flat_o:
            p, t = forward_ad.unpack_dual(o, level=level)
            if t is None:
                if strict:
                    raise RuntimeError("jvp(f, primals, tangents, strict=True): The output of f is independent of "
                                       "the inputs. This is not allowed with strict=True.")
                t = wrap(np.zeros_like(o._data))
            primals_out.append(p)
            tangents_out.append(t)
        if has_aux:
            aux = _pytree.tree_map(lambda a: forward_ad.unpack_dual(a, level=level).primal
                                   if isinstance(a, Tensor) else a, aux)
    keep = _keep_graph((primals, tangents), own=0) or _reaches_outside(primals_out + tangents_out)
    result = (_pytree.unflatten([_untrack(p, keep) for p in primals_out], o_spec),
              _pytree.unflatten([_untrack(t, keep) for t in tangents_out], o_spec))
    return result + (aux,) if has_aux else result


# ------------------------------------------------------------------ Jacobians
def _vjp_rows(out, inputs, chunk_size):
    """The Jacobian of ``out`` with respect to each input (``out.shape + input.shape``):
    every row at once, as one backward pass vmapped over the rows of the identity."""
    from ._vmap import vmap
    n = out.numel()
    shapes = [tuple(out.shape) + tuple(x.shape) for x in inputs]
    if n == 0:
        return [wrap(np.zeros(s, dtype=out._data.dtype)) for s in shapes]
    if _modes.STACK:
        # Inside another transform (vmap(jacrev(f)), hessian = jacfwd(jacrev(f))) the rows
        # go one by one: vmap over a backward nested in other levels is not reliable yet.
        from .. import stack
        flat = out.reshape(-1)
        one = wrap(np.ones((), out._data.dtype))
        rows = [_grads([flat[k]], inputs, [one]) for k in range(n)]
        return [stack([r[i] for r in rows]).reshape(s) for i, s in enumerate(shapes)]
    basis = wrap(np.eye(n, dtype=out._data.dtype).reshape((n,) + tuple(out.shape)))
    rows = vmap(lambda c: tuple(_grads([out], inputs, [c])), chunk_size=chunk_size)(basis)
    return [r.reshape(s) for r, s in zip(rows, shapes)]


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """The Jacobian of ``f`` by reverse mode: vector-Jacobian products with the rows of the
    identity, vmapped (one backward pass; ``chunk_size`` rows at a time when given)."""
    if chunk_size is not None and chunk_size <= 0:
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = _check_argnums(argnums, len(args))
        with _reverse_level(args) as keep:
            output, aux, diff = _call_tracked(func, args, kwargs, nums, has_aux, "vjp(f, *primals)")
            flat_out, out_spec = _only_tensors(output, "vjp(f, *primals)")
            flat_in, in_spec = _pytree.flatten(diff)
            keep = keep or _reaches_outside(flat_out)
            per_output = []
            for o in flat_out:
                jac = [_untrack(j, keep) for j in _vjp_rows(o, flat_in, chunk_size)]
                per_output.append(_pytree.unflatten(jac, in_spec))
            result = _pytree.unflatten(per_output, out_spec)
            if has_aux:
                return result, _pytree.tree_map(lambda a: _untrack(a, keep), aux)
            return result
    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian of ``f`` by forward mode: one Jacobian-vector product per input element."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. "
                           f"Got {randomness}")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = _check_argnums(argnums, len(args))
        picked = nums if isinstance(nums, tuple) else (nums,)
        diff = tuple(args[i] for i in picked) if isinstance(nums, tuple) else args[nums]
        flat_in, in_spec = _pytree.flatten(diff)
        for x in flat_in:
            if not isinstance(x, Tensor):
                raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")

        def f_of(*flat):
            full = list(args)
            new = _pytree.unflatten(list(flat), in_spec)
            if isinstance(nums, tuple):
                for i, v in zip(picked, new):
                    full[i] = v
            else:
                full[nums] = new
            return func(*full, **kwargs)

        columns = None        # columns[j][i]: d out_j / d in_i, one entry per element of in_i
        output = aux = None
        for i, x in enumerate(flat_in):
            for k in range(x.numel()):
                basis = [wrap(np.zeros_like(y._data)) for y in flat_in]
                basis[i]._data.reshape(-1)[k] = 1
                res = jvp(f_of, tuple(flat_in), tuple(basis), has_aux=has_aux)
                output, tangent = res[0], res[1]
                if has_aux:
                    aux = res[2]
                flat_out, out_spec = _pytree.flatten(output)
                flat_t, _ = _pytree.flatten(tangent)
                if columns is None:
                    columns = [[[] for _ in flat_in] for _ in flat_out]
                for j, t in enumerate(flat_t):
                    columns[j][i].append(t)
        if output is None:      # no input elements: still run f for its output's shape
            output = f_of(*flat_in)
            if has_aux:
                output, aux = output
            flat_out, out_spec = _pytree.flatten(output)
            columns = [[[] for _ in flat_in] for _ in flat_out]
        from .. import stack
        per_output = []
        for o, cols in zip(flat_out, columns):
            jac = []
            for x, col in zip(flat_in, cols):
                if col:
                    j = stack(col, dim=-1).reshape(tuple(o.shape) + tuple(x.shape))
                else:
                    j = wrap(np.zeros(tuple(o.shape) + tuple(x.shape), dtype=o._data.dtype))
                jac.append(j)
            per_output.append(_pytree.unflatten(jac, in_spec))
        result = _pytree.unflatten(per_output, out_spec)
        return (result, aux) if has_aux else result
    return wrapper


def hessian(func, argnums=0):
    """The Hessian of a scalar function: ``jacfwd(jacrev(f))``."""
    return jacfwd(jacrev(func, argnums), argnums)


# ------------------------------------------------------------------ functional_call
def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True,
                    strict=False):
    """Call ``module`` with some of its parameters and buffers replaced by the given tensors."""
    if isinstance(parameter_and_buffer_dicts, dict):
        values = dict(parameter_and_buffer_dicts)
    else:
        values = {}
        seen = {}
        for d in parameter_and_buffer_dicts:
            for k in d:
                seen[k] = seen.get(k, 0) + 1
        dup = sorted(k for k, n in seen.items() if n > 1)
        if dup:
            raise ValueError(f"{dup} appeared in multiple dictionaries; behavior of functional call is ambiguous")
        for d in parameter_and_buffer_dicts:
            values.update(d)
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    kwargs = kwargs or {}
    names = dict(module.named_parameters(remove_duplicate=False))
    names.update(dict(module.named_buffers(remove_duplicate=False)))
    if strict:
        unexpected = sorted(k for k in values if k not in names)
        missing = sorted(k for k in names if k not in values)
        if unexpected or missing:
            lines = [f"Error(s) in reparametrizing for {type(module).__name__}:"]
            if unexpected:
                lines.append("Unexpected key(s): " + ", ".join(repr(k) for k in unexpected) + ".")
            if missing:
                lines.append("Missing key(s): " + ", ".join(repr(k) for k in missing) + ".")
            raise RuntimeError("\n\t".join(lines))
    if tie_weights:
        # a tensor given for one name replaces every name tied to the same parameter
        by_tensor = {}
        for n, t in names.items():
            by_tensor.setdefault(id(t), []).append(n)
        for n in list(values):
            if n in names:
                for other in by_tensor[id(names[n])]:
                    values.setdefault(other, values[n])
    swapped = []
    try:
        for name, value in values.items():
            owner, _, attr = name.rpartition(".")
            mod = module.get_submodule(owner) if owner else module
            table = mod._parameters if attr in mod._parameters else mod._buffers if attr in mod._buffers else None
            if table is None:
                old = mod.__dict__.get(attr, _MISSING)
                mod.__dict__[attr] = value
                swapped.append((mod.__dict__, attr, old))
            else:
                swapped.append((table, attr, table[attr]))
                table[attr] = value
        return module(*args, **kwargs)
    finally:
        for table, attr, old in reversed(swapped):
            if old is _MISSING:
                del table[attr]
            else:
                table[attr] = old


_MISSING = object()
