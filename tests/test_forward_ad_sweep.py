"""Forward-mode AD through every declared op: the sweep's samples again, with a random
tangent on each differentiable input.

Per sample: the output tangents against torch's forward AD (where torch implements a
forward formula for the op) and against float64 central differences of the op along
the tangent (smooth samples); and the identity ``<J t, c> = <t, J^T c>`` against
leafgrad's own backward, which ties the tangents to the formulas the sweep checks.
"""
import numpy as np
import pytest
import torch

import leafgrad
from leafgrad.ops import REGISTRY

from conftest import to_numpy
from test_ops_sweep import Case, _ids, _outs, _tol, _np

#: (op, sample index) -> reason: known differences, strict xfails.
XFAIL = {}

#: Samples where torch's forward formula is not the transpose of its own backward
#: formula; leafgrad's tangents are (they are derived from the backward formulas), so
#: only the comparison with torch is skipped.
TORCH_DIFFERS = {
    ("nnf.embedding", 1): "torch's tangent keeps the padding row, which its backward treats as constant",
    ("nnf.embedding", 2): "torch's tangent keeps the padding row, which its backward treats as constant",
    ("fmax", 5): "ties: torch's fmax tangent takes other's tangent, its backward gives self the gradient",
    ("fmax", 6): "ties: torch's fmax tangent takes other's tangent, its backward gives self the gradient",
    ("fmax", 10): "ties and NaN: torch's fmax tangent and backward pick different operands",
    ("scatter_reduce", 2): "torch gives no tangent for reduce='prod'",
    ("scatter_reduce", 3): "torch gives no tangent for reduce='prod'",
    **{("cholesky_inverse", i): "torch's tangent disagrees with finite differences of its own cholesky_inverse "
       "(and with its backward); leafgrad's, -X (dL L^T + L dL^T) X, agrees" for i in range(4)},
}


def _swap(obj, table):
    """``obj`` with the tensors in ``table`` (by id) replaced."""
    if id(obj) in table:
        return table[id(obj)]
    if isinstance(obj, tuple):
        return tuple(_swap(o, table) for o in obj)
    if isinstance(obj, list):
        return [_swap(o, table) for o in obj]
    return obj


def _run_dual(case, lib, tangents, arrays=None, float64=False):
    """Run the sample with a tangent on each float grad input; (outputs, tangents out)."""
    fw = lib.autograd.forward_ad
    args, kwargs, grads = case.build(lib, arrays, float64)
    fn = case.torch_fn if lib is torch else _path_fn(case)
    with fw.dual_level():
        table = {}
        for g, t in zip(grads, tangents):
            if t is not None:
                tt = lib.tensor(t.astype(np.float64) if float64 else t.astype(to_numpy(g).dtype))
                table[id(g)] = fw.make_dual(g, tt)
        args = _swap(args, table)
        kwargs = {k: _swap(v, table) for k, v in kwargs.items()}
        if case.sample.prep is not None:
            first = getattr(args[0], case.sample.prep)
            args = (first() if callable(first) else first,) + tuple(args[1:])
        out = fn(*args, **kwargs)
        if out is None and case.sample.prep is not None:
            out = args[0]
        outs = _outs(out)
        tans = [fw.unpack_dual(o).tangent if isinstance(o, (torch.Tensor, leafgrad.Tensor)) else None
                for o in outs]
    return outs, tans, grads


def _path_fn(case):
    from test_ops_sweep import _resolve, _path
    return _resolve(leafgrad, _path(case.spec, case.sample))


#: Ops defined on symmetric matrices: their tangents must be symmetric too.
SYMMETRIC = {"linalg.cholesky", "linalg.eigh", "linalg.eigvalsh"}


def _tangents(case):
    ts = [case.rng.standard_normal(a.shape) if ph.grad and a.dtype.kind == "f" else None
          for ph, a in zip(case.phs, case.arrays) if ph.grad]
    if case.spec.name in SYMMETRIC or (case.sample.call or "") in SYMMETRIC:
        ts = [None if t is None else (t + np.swapaxes(t, -1, -2)) / 2 for t in ts]
    return ts


def _ids_fw():
    out = []
    for p in _ids():
        name, idx = p.values
        marks = p.marks
        if (name, idx) in XFAIL:
            marks = (pytest.mark.xfail(strict=True, reason=XFAIL[(name, idx)]),)
        out.append(pytest.param(name, idx, id=p.id, marks=marks))
    return out


@pytest.mark.parametrize("name, idx", _ids_fw())
def test_tangent(name, idx):
    case = Case(name, idx)
    grad_pos = [i for i, ph in enumerate(case.phs) if ph.grad]
    if not grad_pos or not any(case.arrays[i].dtype.kind == "f" for i in grad_pos):
        pytest.skip("no differentiable input")
    tangents = _tangents(case)
    outs, tans, grads = _run_dual(case, leafgrad, tangents)
    floats = [k for k, o in enumerate(outs) if isinstance(o, leafgrad.Tensor) and o.is_floating_point()]
    for k in floats:
        if tans[k] is None:     # an output without a derivative (lstsq's singular values)
            assert not _outs(case.run(leafgrad)[0])[k].requires_grad, f"output {k} carries no tangent"
            continue
        assert tuple(tans[k].shape) == tuple(outs[k].shape), f"tangent {k} shape {tans[k].shape} vs {outs[k].shape}"
        assert tans[k].dtype == outs[k].dtype, f"tangent {k} dtype {tans[k].dtype} vs {outs[k].dtype}"
    if not floats:
        return
    rtol, atol = _tol(str(outs[floats[0]].dtype))

    # <J t, c> = <t, J^T c>: the tangents agree with leafgrad's own backward.
    cots = [case.rng.standard_normal(tuple(outs[k].shape)) for k in floats]
    outs_r, ins_r = case.run(leafgrad)
    outs_r = _outs(outs_r)
    diff = [k for k in floats if outs_r[k].requires_grad]
    finite = all(np.isfinite(to_numpy(outs[k]).astype(np.float64)).all() for k in floats) and all(
        np.isfinite(a).all() for a in case.arrays if a.dtype.kind == "f")
    if diff and finite:
        gs = leafgrad.autograd.grad([outs_r[k] for k in diff], ins_r,
                                    [leafgrad.tensor(c.astype(to_numpy(outs_r[k]).dtype))
                                     for c, k in zip(cots, floats) if k in diff], allow_unused=True)
        lhs = sum(float(np.sum(to_numpy(tans[k]).astype(np.float64) * c)) for c, k in zip(cots, floats) if k in diff)
        rhs = sum(0.0 if g is None or t is None else float(np.sum(to_numpy(g).astype(np.float64) * t))
                  for g, t in zip(gs, tangents))
        assert np.isclose(lhs, rhs, rtol=1e-4, atol=1e-4), f"<J t, c> = {lhs} but <t, J^T c> = {rhs}"

    # against torch's forward AD, where torch has a forward formula for the op
    if case.torch_ok and (name, idx) not in TORCH_DIFFERS:
        try:
            th_outs, th_tans, _ = _run_dual(case, torch, tangents)
        except (NotImplementedError, RuntimeError) as e:
            if "forward AD" not in str(e) and "not implemented" not in str(e).lower():
                raise
            th_tans = None
        if th_tans is not None:
            for k in floats:
                e, g = th_tans[k], tans[k]
                assert (e is None) == (g is None), f"tangent {k}: torch {e}, leafgrad {g}"
                if e is None:
                    continue
                # where the primal is not finite the tangent is not defined
                ok = np.isfinite(to_numpy(outs[k]).astype(np.float64))
                e = np.where(ok, to_numpy(e).astype(np.float64), 0)
                g = np.where(ok, to_numpy(g).astype(np.float64), 0)
                assert np.allclose(g, e, rtol=rtol * 10, atol=atol * 10, equal_nan=True), (
                    f"tangent {k} vs torch: max abs diff {np.nanmax(np.abs(g - e)) if e.size else 0}"
                    f"\n torch    {e}\n leafgrad {g}")

    # against central differences in float64 along the tangent
    if not case.sample.smooth:
        return
    eps = 1e-6
    base = [a.astype(np.float64) if a.dtype.kind == "f" else a for a in case.arrays]
    tan_of = dict(zip(grad_pos, tangents))

    def at(sign):
        arrays = [a + sign * eps * tan_of[i] if tan_of.get(i) is not None else a for i, a in enumerate(base)]
        with leafgrad.no_grad():
            return _outs(case.run(leafgrad, arrays, float64=True)[0])

    plus, minus = at(1), at(-1)
    _, tans64, _ = _run_dual(case, leafgrad, tangents, base, float64=True)
    for k in floats:
        if tans64[k] is None:
            continue
        fd = (to_numpy(plus[k]).astype(np.float64) - to_numpy(minus[k]).astype(np.float64)) / (2 * eps)
        an = to_numpy(tans64[k]).astype(np.float64)
        low = str(plus[k].dtype) != "torch.float64"
        tol = (1e-2, 1e-2) if low else (1e-4, 1e-5)
        if low:
            continue   # outputs that stay float32 (Tensor.float): differences are too coarse
        assert np.allclose(an, fd, rtol=tol[0], atol=tol[1]), (
            f"tangent {k} vs finite differences: max abs diff {np.max(np.abs(an - fd)) if fd.size else 0}"
            f"\n analytic {an}\n numeric  {fd}")
