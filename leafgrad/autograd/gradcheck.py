"""torch.autograd.gradcheck / gradgradcheck: compare the gradients the engine computes
with central finite differences.

Slow mode (the default) builds, for every output and every input that requires grad,
the full Jacobian twice over:

* numerically: every element of the input is moved by ``-eps`` and ``+eps`` in place
  (on the input's array, bypassing the version counter) and ``(f(x+eps) - f(x-eps)) / 2eps``
  gives one column; it has the output's dtype;
* analytically: one ``autograd.grad`` call per output element with a one-hot
  ``grad_outputs`` gives one row (as a vector-Jacobian product); it has the input's dtype.

Both are laid out as PyTorch lays them out, ``(input.numel(), output.numel())``, and
compared with ``allclose(analytical, numerical, rtol, atol)``. The analytical Jacobian is
computed twice to detect a backward that is not deterministic (``nondet_tol``).

Fast mode (``fast_mode=True``) does what PyTorch's does (pytorch/pytorch#53876): one
random unit vector ``u`` per input and ``v`` per output, drawn from a fresh
``Generator()`` so the user's random state is untouched (and the vectors are the same
numbers PyTorch draws), and compares the scalars ``v^T J u``: analytically as
``vjp(v) . u``, numerically as ``v . (finite difference along u)``, with ``atol`` scaled by
``sum(u) * sum(v)``. On a mismatch the slow Jacobians are added to the message.

Forward-mode checks (``check_forward_ad``) use the double-vjp trick (leafgrad has no
forward AD): ``J u`` is the gradient of ``vjp(w) . u`` with respect to the cotangent ``w``.
``check_batched_grad`` (PyTorch: vmap over grad_outputs; leafgrad has no vmap) checks
instead that the gradients for two random grad_outputs, taken one at a time, add up to
the gradient for their sum. ``check_batched_forward_grad`` and ``masked`` are accepted
and have nothing to check here. Fast-mode scalars are the same random projections as
PyTorch's but may differ from its in the last bits (summation order).
Complex inputs and sparse layouts do not exist in leafgrad.
"""
import warnings

import numpy as np

from .. import _tensor as T

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck and gradgradcheck when a check fails."""


FAILED_NONDET_MSG = """\n
NOTE: If your op relies on non-deterministic operations i.e., it is listed here:
https://pytorch.org/docs/stable/generated/torch.use_deterministic_algorithms.html
this failure might be expected.

If you are adding a new operator, please file an issue and then use one of the
workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck.
If the test
- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
  with `nondet_tol=<tol>` as a keyword argument.
- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test
  to have `gradcheck_nondet_tol=<tol>`.
- is a Module test (e.g., in common_nn.py), then modify the corresponding
  module_test entry to have `gradcheck_nondet_tol=<tol>`
"""

FAST_FAIL_SLOW_OK_MSG = """
Fast gradcheck failed but element-wise differences are small. This means that the
test might've passed in slow_mode!

If you are adding a new operator, please file an issue and then use one of the
workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck:

If the test
- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
  with `fast_mode=False` as a keyword argument.
- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test
  to have `gradcheck_fast_mode=False`
- is a Module test (e.g., in common_nn.py), then modify the corresponding
  module_test entry to have `gradcheck_fast_mode=False`
""".strip()


# ------------------------------------------------------------------ helpers
def _as_tuple(x):
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _is_tensor(x):
    return isinstance(x, T.Tensor)


def _is_float(t):
    return _is_tensor(t) and t._data.dtype.kind in "fc"


def _diff_inputs(inputs):
    """(index, tensor) of every input tensor that requires grad."""
    return [(i, x) for i, x in enumerate(inputs) if _is_tensor(x) and x.requires_grad]


def _differentiable_outputs(out):
    return tuple(o for o in _as_tuple(out) if o.requires_grad)


def _grad(outputs, inputs, grad_outputs, create_graph=False):
    from . import grad
    return grad(outputs, inputs, grad_outputs, retain_graph=True, create_graph=create_graph,
                allow_unused=True)


def _tensor(a):
    return T.wrap(np.ascontiguousarray(a))


def _check_inputs(inputs):
    found = False
    for idx, x in enumerate(inputs):
        if _is_tensor(x) and x.requires_grad:
            if x._data.dtype != np.float64 and x._data.dtype != np.complex128:
                warnings.warn(
                    f"Input #{idx} requires gradient and is not a double precision floating point or complex. "
                    "This check will likely fail if all the inputs are not of double precision floating point "
                    "or complex. ", UserWarning, stacklevel=4)
            data = x._data
            if not all(st > 0 or n <= 1 for st, n in zip(data.strides, data.shape)):
                raise RuntimeError(
                    f"The {idx}th input has a dimension with stride 0. gradcheck only supports inputs that are "
                    "non-overlapping to be able to compute the numerical gradients correctly. You should call "
                    ".contiguous on the input before passing it to gradcheck.")
            found = True
    if not found:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of them "
                         "have requires_grad=True.")


def _run(func, inputs):
    """Call ``func`` and copy each floating output's values (outputs may alias inputs)."""
    out = _as_tuple(func(*inputs))
    return [np.array(o._data, copy=True) if _is_float(o) else None for o in out]


def _check_same(a, b, eps, idx):
    where = f"on index {idx} " if idx is not None else ""
    if a.shape != b.shape:
        raise AssertionError(
            f"Expected `func` to return outputs with the same shape when inputs are perturbed {where}by {eps}, "
            f"but got: shapes {T.Size(a.shape)} and {T.Size(b.shape)}.")
    if a.dtype != b.dtype:
        raise AssertionError(
            f"Expected `func` to return outputs with the same dtype when inputs are perturbed {where}by {eps}, "
            f"but got: dtypes {T.from_np_dtype(a.dtype)} and {T.from_np_dtype(b.dtype)}.")


def _central_difference(func, inputs, data, idx, delta, eps, where=None):
    """``(f(x + delta) - f(x - delta)) / (2 eps)`` for every floating output, flattened;
    ``data[idx]`` is the part of an input's array that moves."""
    orig = np.array(data[idx], copy=True)
    data[idx] = orig - delta
    outa = _run(func, inputs)
    data[idx] = orig + delta
    outb = _run(func, inputs)
    data[idx] = orig
    res = []
    for a, b in zip(outa, outb):
        if a is None:
            res.append(None)
            continue
        _check_same(a, b, eps, where)
        res.append(((b - a) / (2 * eps)).reshape(-1))
    return res


def _numerical_jacobians(func, inputs, func_out, eps):
    """jac[k][m]: (inputs[k].numel(), outputs[m].numel()) in the output's dtype, for every
    input requiring grad (k) and every floating output (m)."""
    outs = [o for o in func_out if _is_float(o)]
    result = []
    for _, x in _diff_inputs(inputs):
        data = x._data
        jacs = [np.zeros((data.size, o._data.size), o._data.dtype) for o in outs]
        for col, idx in enumerate(np.ndindex(*data.shape)):
            cols = [c for c in _central_difference(func, inputs, data, idx, eps, eps, idx) if c is not None]
            for jac, c in zip(jacs, cols):
                jac[col] = c
        result.append(jacs)
    return result


def _analytical_rows(output, diff_inputs):
    """The Jacobian of ``output`` for each input, row by row (one-hot grad_outputs)."""
    base = np.zeros(output._data.shape, output._data.dtype)
    flat = base.reshape(-1)
    rows = [[] for _ in diff_inputs]
    for j in range(flat.size):
        flat[:] = 0
        flat[j] = 1
        grads = _grad((output,), diff_inputs, (T.wrap(base.copy()),))
        for k, g in enumerate(grads):
            rows[k].append(None if g is None else np.array(g._data, copy=True))
    return rows


def _stack(rows, diff_inputs, n_out):
    jacs, sizes_ok, types_ok = [], True, True
    for inp, per_input in zip(diff_inputs, rows):
        jac = np.zeros((inp._data.size, n_out), inp._data.dtype)
        for j, g in enumerate(per_input):
            if g is None:
                continue
            if g.shape != inp._data.shape:
                sizes_ok = False
            elif g.dtype != inp._data.dtype:
                types_ok = False
            jac[:, j] = g.reshape(-1)
        jacs.append(jac)
    return jacs, sizes_ok, types_ok


def _analytical_jacobians(output, diff_inputs, nondet_tol, check_grad_dtypes, v=None):
    """Full Jacobians (or, with ``v``, the single row v^T J) computed twice."""
    if v is None:
        rows1 = _analytical_rows(output, diff_inputs)
        rows2 = _analytical_rows(output, diff_inputs)
        n_out = output._data.size
    else:
        go = T.wrap(v.reshape(output._data.shape).astype(output._data.dtype))
        rows1 = [[None if g is None else np.array(g._data, copy=True)]
                 for g in _grad((output,), diff_inputs, (go,))]
        rows2 = [[None if g is None else np.array(g._data, copy=True)]
                 for g in _grad((output,), diff_inputs, (go,))]
        n_out = 1
    jac1, sizes_ok, types_ok = _stack(rows1, diff_inputs, n_out)
    jac2, _, _ = _stack(rows2, diff_inputs, n_out)
    reentrant = all(a.size == 0 or np.max(np.abs(a - b)) <= nondet_tol for a, b in zip(jac1, jac2))
    # PyTorch reports the two flags swapped; reproduced so the same failure gives the same text.
    if not sizes_ok and check_grad_dtypes:
        raise GradcheckError("Gradient has dtype mismatch")
    if not types_ok:
        raise GradcheckError("Analytical gradient has incorrect size")
    if not reentrant:
        raise GradcheckError(
            "Backward is not reentrant, i.e., running backward with same input and grad_output multiple times "
            "gives different values, although analytical gradient matches numerical gradient."
            f"The tolerance for nondeterminism was {nondet_tol}." + FAILED_NONDET_MSG)
    return jac1


def _allclose(a, n, rtol, atol):
    dtype = np.result_type(a.dtype, n.dtype)
    return bool(np.allclose(a.astype(dtype), n.astype(dtype), rtol=rtol, atol=atol))


def _mismatch(a, n, out_idx, in_idx, forward=False):
    """PyTorch's text; fast mode compares Python floats and prints them as such."""
    mode = "computed with forward mode " if forward else ""
    if np.ndim(a) == 0 and np.ndim(n) == 0:
        return (f"Jacobian {mode}mismatch for output {out_idx:d} with respect to input {in_idx:d},\n"
                f"numerical:{float(n)}\nanalytical:{float(a)}\n")
    return (f"Jacobian {mode}mismatch for output {out_idx:d} with respect to input {in_idx:d},\n"
            f"numerical:{_tensor(n)}\nanalytical:{_tensor(a)}\n")


def _forward_jacobians(func, inputs, func_out):
    """jac[k][m] (input numel, output numel): J u for one-hot u, through the double-vjp
    trick (the vjp is linear in the cotangent w, so d(vjp(w) . u)/dw = J u)."""
    from ..autograd import grad_mode
    diff = _diff_inputs(inputs)
    result = []
    with grad_mode.enable_grad():
        outs = [o for o in _as_tuple(func(*inputs)) if _is_float(o) and o.requires_grad]
        ws = [T.wrap(np.zeros(o._data.shape, o._data.dtype)).requires_grad_(True) for o in outs]
        vj = _grad(tuple(outs), [x for _, x in diff], tuple(ws), create_graph=True)
        for k, (_, x) in enumerate(diff):
            data = x._data
            jacs = [np.zeros((data.size, o._data.size), o._data.dtype) for o in outs]
            g = vj[k]
            if g is not None and g.requires_grad:
                u = np.zeros(data.shape, data.dtype)
                flat = u.reshape(-1)
                for col in range(data.size):
                    flat[:] = 0
                    flat[col] = 1
                    cols = _grad((g,), ws, (T.wrap(u.copy()),))
                    for m, c in enumerate(cols):
                        if c is not None:
                            jacs[m][col] = c._data.reshape(-1)
            result.append(jacs)
    return result


# ------------------------------------------------------------------ slow mode
def _slow_gradcheck(func, func_out, inputs, outputs, eps, rtol, atol, check_grad_dtypes, nondet_tol,
                    use_forward_ad=False):
    if not outputs:
        for jacs in _numerical_jacobians(func, inputs, func_out, eps):
            for jac in jacs:
                if np.count_nonzero(jac):
                    raise GradcheckError("Numerical gradient for function expected to be zero")
        return True
    numerical = _numerical_jacobians(func, inputs, func_out, eps)  # [input][output]
    float_outs = [o for o in func_out if _is_float(o)]
    keep = [m for m, o in enumerate(float_outs) if o.requires_grad]
    if use_forward_ad:
        forward = _forward_jacobians(func, inputs, func_out)
        for i, m in enumerate(keep):
            for j, per_input in enumerate(numerical):
                a, n = forward[j][i], per_input[m]
                if not _allclose(a, n, rtol, atol):
                    raise GradcheckError(_mismatch(a, n, i, j, forward=True))
        return True
    diff = [x for _, x in _diff_inputs(inputs)]
    for i, o in enumerate(outputs):
        analytical = _analytical_jacobians(o, diff, nondet_tol, check_grad_dtypes)
        for j, a in enumerate(analytical):
            n = numerical[j][keep[i]] if i < len(keep) else numerical[j][i]
            if not _allclose(a, n, rtol, atol):
                raise GradcheckError(_mismatch(a, n, i, j))
    return True


# ------------------------------------------------------------------ fast mode
def _unit_vector(n, dtype, gen):
    from .. import rand  # the same stream as torch.rand with a fresh Generator
    vec = rand(n, generator=gen)._data.astype(dtype)
    norm = np.sqrt(np.sum(vec * vec)) if n else 1
    return vec / norm if n else vec


def _fast_gradcheck(func, func_out, inputs, outputs, eps, rtol, atol, check_grad_dtypes, nondet_tol,
                    use_forward_ad=False):
    from .. import Generator
    diff = _diff_inputs(inputs)
    gen = Generator()
    all_u = [_unit_vector(x._data.size, x._data.dtype, gen) for _, x in diff]
    all_v = None if use_forward_ad else [_unit_vector(o._data.size, o._data.dtype, gen) for o in outputs]
    # numerical J u for every input, per floating output
    numerical = []  # [input][output] -> vJu scalar (or J u vector in forward mode)
    for (_, x), u in zip(diff, all_u):
        data = x._data
        jvps = _central_difference(func, inputs, data, (...,), (u * eps).reshape(data.shape), eps)
        jvps = [c for c, o in zip(jvps, _as_tuple(func_out)) if c is not None and o.requires_grad]
        if not outputs:
            for c in jvps:
                if c.size and np.max(np.abs(c)) > nondet_tol:
                    raise GradcheckError("Numerical gradient for function expected to be zero")
            continue
        if use_forward_ad:
            numerical.append(jvps)
        else:
            numerical.append([np.dot(c, v.astype(c.dtype)) for c, v in zip(jvps, all_v)])
    if not outputs:
        return True
    xs = [x for _, x in diff]
    if use_forward_ad:
        forward = _forward_jacobians(func, inputs, func_out)
        for i in range(len(diff)):
            for j, n in enumerate(numerical[i]):
                a = all_u[i] @ forward[i][j]
                if not _allclose(np.asarray(a), np.asarray(n), rtol, atol * float(np.sum(all_u[i]))):
                    raise GradcheckError(_mismatch(np.asarray(a), np.asarray(n), j, i, forward=True)
                                         + _slow_error(func, inputs, outputs, i, j, rtol, atol, eps))
        return True
    analytical = []  # [output][input]
    for o, v in zip(outputs, all_v):
        vjs = _analytical_jacobians(o, xs, nondet_tol, check_grad_dtypes, v=v)
        analytical.append([np.dot(vj[:, 0], u) for vj, u in zip(vjs, all_u)])
    for i in range(len(diff)):
        for j, n in enumerate(numerical[i]):
            a = np.asarray(analytical[j][i])
            n = np.asarray(n)
            tol = atol * float(np.sum(all_u[i])) * float(np.sum(all_v[j]))
            if not _allclose(a, n, rtol, tol):
                raise GradcheckError(_mismatch(a, n, j, i)
                                     + _slow_error(func, inputs, outputs, i, j, rtol, atol, eps))
    return True


def _slow_error(func, inputs, outputs, i, j, rtol, atol, eps):
    func_out = _as_tuple(func(*inputs))
    numerical = _numerical_jacobians(func, inputs, func_out, eps)[i][j]
    diff = [x for _, x in _diff_inputs(inputs)]
    analytical = _analytical_jacobians(outputs[j], diff, float("inf"), False)[i]
    max_diff = np.max(np.abs(numerical - analytical))
    ok = _allclose(analytical, numerical, rtol, atol)
    msg = ("\nThe above quantities relating the numerical and analytical jacobians are computed \n"
           "in fast mode. See: https://github.com/pytorch/pytorch/issues/53876 for more background \n"
           "about fast mode. Below, we recompute numerical and analytical jacobians in slow mode:\n\n"
           f"Numerical:\n {_tensor(numerical)}\n"
           f"Analytical:\n{_tensor(analytical)}\n\n"
           f"The max per-element difference (slow mode) is: {float(max_diff)}.\n")
    if ok:
        msg += FAST_FAIL_SLOW_OK_MSG
    return msg


# ------------------------------------------------------------------ extra checks
def _test_backward_mul_by_grad_output(outputs, inputs):
    diff = [x for _, x in _diff_inputs(inputs)]
    if not diff:
        raise GradcheckError("no Tensors requiring grad found in input")
    zeros = tuple(T.wrap(np.zeros(o._data.shape, o._data.dtype)) for o in outputs)
    grads = _grad(outputs, diff, zeros)
    for g, x in zip(grads, diff):
        if g is None:
            continue
        if np.any(g._data != 0):
            raise GradcheckError("backward not multiplied by grad_output")
        if g._data.dtype != x._data.dtype:
            raise GradcheckError("grad is incorrect type")
        if g._data.shape != x._data.shape:
            raise GradcheckError("grad is incorrect size")
    return True


def _undefined(t):
    """An identity whose backward sends no gradient at all (PyTorch's UndefinedGrad)."""
    from .function import Function

    class UndefinedGrad(Function):
        @staticmethod
        def forward(ctx, x):
            return x.view_as(x)

        @staticmethod
        def backward(ctx, g):
            return None

    return UndefinedGrad.apply(t)


def _test_undefined_backward_mode(func, outputs, inputs):
    diff = [x for _, x in _diff_inputs(inputs)]
    if not diff:
        raise GradcheckError("no Tensors requiring grad found in input")

    def warn():
        warnings.warn(
            "Backwards compatibility: New undefined gradient support checking feature is enabled by default, but "
            "it may break existing callers of this function. If this is true for you, you can call this function "
            'with "check_undefined_grad=False" to disable the feature', UserWarning, stacklevel=4)

    def check(outs):
        zeros = tuple(T.wrap(np.zeros(o._data.shape, o._data.dtype)) for o in outs)
        try:
            grads = _grad(tuple(outs), diff, zeros)
        except RuntimeError as e:
            warn()
            raise GradcheckError(
                'Expected backward function to handle undefined output grads. Please look at "Notes about '
                'undefined output gradients" in "tools/autograd/derivatives.yaml"') from e
        for g in grads:
            if g is not None and np.any(g._data != 0):
                warn()
                raise GradcheckError(
                    "Expected all input grads to be undefined or zero when all output grads are undefined or "
                    'zero. Please look at "Notes about undefined output gradients" in '
                    '"tools/autograd/derivatives.yaml"')
        return True

    to_check = [[_undefined(o) for o in _differentiable_outputs(func(*inputs)) if _is_tensor(o)]]
    if len(to_check[0]) > 1:
        for k in range(len(outputs)):
            outs = _differentiable_outputs(func(*inputs))
            to_check.append([_undefined(o) if idx == k else o for idx, o in enumerate(outs)])
    return all(check(outs) for outs in to_check)


def _test_batched_grad(inputs, output, output_idx):
    """Without vmap: the gradient for a stack of grad_outputs, taken one at a time, must
    be the same as the gradient for their sum taken at once (linearity in grad_output)."""
    diff = [x for _, x in _diff_inputs(inputs)]
    rng = np.random.default_rng(0)
    gos = [rng.uniform(-1, 1, output._data.shape).astype(output._data.dtype) for _ in range(2)]
    each = [_grad((output,), diff, (T.wrap(g),)) for g in gos]
    together = _grad((output,), diff, (T.wrap(gos[0] + gos[1]),))
    for k, g in enumerate(together):
        parts = [e[k] for e in each if e[k] is not None]
        expected = sum(p._data for p in parts) if parts else None
        if (g is None) != (expected is None) or (g is not None and not np.allclose(g._data, expected)):
            raise GradcheckError(
                f"While computing batched gradients, got: batched grad for output {output_idx} with respect to "
                f"input {k} differs from the per-sample gradients")
    return True


# ------------------------------------------------------------------ public API
def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True,
              fast_mode=False, masked=None):
    """Check the gradients of ``func`` at ``inputs`` against central finite differences.
    Returns True; on failure raises GradcheckError, or returns False when
    ``raise_exception=False``."""
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError("Expected at least one of check_forward_ad or check_backward_ad to be True")
    if check_batched_grad and not check_backward_ad:
        raise AssertionError("Setting check_batched_grad=True requires check_backward_ad to be True")
    if check_batched_forward_grad and not check_forward_ad:
        raise AssertionError("Setting check_batched_forward_grad=True requires check_forward_ad to be True")
    try:
        return _gradcheck_helper(func, inputs, eps, atol, rtol, nondet_tol, check_undefined_grad,
                                 check_grad_dtypes, check_batched_grad, check_forward_ad, check_backward_ad,
                                 fast_mode)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def _gradcheck_helper(func, inputs, eps, atol, rtol, nondet_tol, check_undefined_grad, check_grad_dtypes,
                      check_batched_grad, check_forward_ad, check_backward_ad, fast_mode):
    inputs = _as_tuple(inputs)
    _check_inputs(inputs)
    func_out = _as_tuple(func(*inputs))
    outputs = _differentiable_outputs(func_out)
    check = _fast_gradcheck if fast_mode else _slow_gradcheck
    if check_backward_ad:
        check(func, func_out, inputs, outputs, eps, rtol, atol, check_grad_dtypes, nondet_tol)
    if check_forward_ad:
        check(func, func_out, inputs, outputs, eps, rtol, atol, check_grad_dtypes, nondet_tol,
              use_forward_ad=True)
    if not check_backward_ad:
        return True
    for i, o in enumerate(outputs):
        if check_batched_grad:
            _test_batched_grad(inputs, o, i)
    _test_backward_mul_by_grad_output(outputs, inputs)
    if check_undefined_grad:
        _test_undefined_backward_mode(func, outputs, inputs)
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False, masked=False):
    """Check second derivatives: gradcheck of ``(inputs, grad_outputs) -> autograd.grad(
    func(inputs), inputs, grad_outputs, create_graph=True)``. Without ``grad_outputs``,
    random ones uniform in [-1, 1) that require grad are drawn from the global generator
    (``gen_non_contig_grad_outputs`` is accepted; leafgrad has no strides to vary)."""
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError("Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True")
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_undefined_grad=True requires check_rev_over_rev to be True")
    if check_batched_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_batched_grad=True requires check_rev_over_rev to be True")
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        outs = _differentiable_outputs(func(*inputs))
        from .. import rand, float64
        # uniform in [-1, 1) from the global generator: the numbers torch.testing.make_tensor
        # draws after the same manual_seed
        grad_outputs = tuple(
            (rand(tuple(o.shape), dtype=o.dtype if o._data.dtype.kind in "fc" else float64) * 2 - 1)
            .requires_grad_(True) for o in outs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_out = len(grad_outputs)
    diff_in = {i for i, x in enumerate(inputs) if _is_tensor(x) and x.requires_grad}
    diff_go = {i for i, x in enumerate(grad_outputs) if x.requires_grad}

    def new_func(*args):
        ins = tuple(x.requires_grad_() if i in diff_in else x for i, x in enumerate(args[:-n_out]))
        outs = _differentiable_outputs(func(*ins))
        gos = tuple(x.requires_grad_() if i in diff_go else x for i, x in enumerate(args[-n_out:]))
        wrt = tuple(x for i, x in enumerate(ins) if i in diff_in)
        from . import grad
        grads = grad(outs, wrt, gos, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(new_func, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_undefined_grad=check_undefined_grad, check_grad_dtypes=check_grad_dtypes,
                     check_batched_grad=check_batched_grad, fast_mode=fast_mode,
                     check_forward_ad=check_fwd_over_rev, check_backward_ad=check_rev_over_rev, masked=masked)
