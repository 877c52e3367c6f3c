"""Side-by-side helpers for the core behaviour tests: run one small program through
torch and through leafgrad and require the same observable results (values, dtypes,
graph flags, grad_fn names, exceptions and warnings)."""
import re
import warnings

import numpy as np
import pytest
import torch

import leafgrad
from conftest import same_message


def _is_tensor(v):
    return isinstance(v, (torch.Tensor, leafgrad.Tensor))


def _norm(v):
    """Reduce a program result to plain comparable Python data."""
    if _is_tensor(v):
        gf = v.grad_fn
        d = v.detach()
        arr = np.array(d.tolist(), dtype=object) if d.dim() else d.item()
        return ("Tensor", str(v.dtype), tuple(v.shape), bool(v.requires_grad), bool(v.is_leaf),
                None if gf is None else (type(gf).__name__, gf.name()), arr)
    if isinstance(v, (torch.Size, leafgrad.Size)):
        return ("Size", tuple(v), repr(v))
    if isinstance(v, (torch.dtype, leafgrad.dtype)):
        return ("dtype", str(v))
    if isinstance(v, np.ndarray):
        return ("ndarray", str(v.dtype), v.shape, v.tolist())
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return (type(v).__name__, [_norm(x) for x in v])
    if isinstance(v, BaseException):
        return ("exc", type(v).__name__, str(v))
    return v


def _cmp(a, b, path="result", rtol=1e-5):
    if isinstance(a, tuple) and a and a[0] == "Tensor" and isinstance(b, tuple) and b and b[0] == "Tensor":
        assert a[:6] == b[:6], f"{path}: tensor meta differs: torch={a[:6]} leafgrad={b[:6]}"
        va, vb = np.asarray(a[6], dtype=object), np.asarray(b[6], dtype=object)
        if a[1].startswith("torch.float"):
            np.testing.assert_allclose(np.asarray(va, dtype=float), np.asarray(vb, dtype=float),
                                       rtol=rtol, atol=1e-6, err_msg=path)
        else:
            assert va.tolist() == vb.tolist(), f"{path}: {va} != {vb}"
        return
    if isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _cmp(a[k], b[k], f"{path}[{k!r}]", rtol)
        return
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == 2 and isinstance(a[1], list) \
            and a[0] in ("list", "tuple"):
        assert a[0] == b[0] and len(a[1]) == len(b[1]), f"{path}: {a!r:.200} vs {b!r:.200}"
        for i, (x, y) in enumerate(zip(a[1], b[1])):
            _cmp(x, y, f"{path}[{i}]", rtol)
        return
    if isinstance(a, float) and isinstance(b, float):
        assert type(a) is type(b) and (a == pytest.approx(b, rel=1e-5, abs=1e-6) or (a != a and b != b)), \
            f"{path}: {a} != {b}"
        return
    assert type(a) is type(b) or (isinstance(a, str) and isinstance(b, str)), \
        f"{path}: type {type(a)} vs {type(b)} ({a!r:.200} vs {b!r:.200})"
    assert a == b, f"{path}: torch={a!r} leafgrad={b!r}"


def run_prog(prog, T):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            res = ("ok", _norm(prog(T)))
        except Exception as e:  # noqa: BLE001
            res = ("exc", type(e).__name__, str(e))
    # torch appends a C++ source location to warnings raised from C++; that suffix is not part of the message.
    ws = [(x.category.__name__, re.sub(r" \(Triggered internally at [^)]*\)$", "", str(x.message))) for x in w
          if not str(x.filename).endswith(("_pytest", "pluggy"))]
    return res, ws


def same(prog, check_warnings=True, rtol=1e-5):
    """Run ``prog(torch)`` and ``prog(leafgrad)`` and require identical observable results."""
    ra, wa = run_prog(prog, torch)
    rb, wb = run_prog(prog, leafgrad)
    if ra[0] == "exc" or rb[0] == "exc":
        assert ra[:2] == rb[:2] and (ra[0] != "exc" or same_message(ra[2], rb[2])), \
            f"torch: {ra}\nleafgrad: {rb}"
    else:
        _cmp(ra[1], rb[1], rtol=rtol)
    if check_warnings:
        assert wa == wb, f"warnings differ:\ntorch: {wa}\nleafgrad: {wb}"
    return ra


def raises_same(prog):
    """Like ``same`` but additionally require that torch raises."""
    ra = same(prog)
    assert ra[0] == "exc", f"torch did not raise: {ra}"
    return ra


def gfn(t):
    """grad_fn name and next_functions structure, recursively (depth-limited)."""
    def node(n, depth):
        if n is None:
            return None
        nxt = [] if depth > 6 else [(node(f, depth + 1), i) for f, i in n.next_functions]
        return (type(n).__name__, n.name(), nxt)
    return node(t.grad_fn, 0)
