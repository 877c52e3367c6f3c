"""The op sweep: every sample of every op in ``leafgrad.ops.REGISTRY``, run in leafgrad
and in PyTorch on the same inputs.

Per sample: forward values / dtypes / shapes / strides and storage offsets / graph flags
against torch (strides but for ``STRIDES_DIFFER``); first
derivative (``autograd.grad``) against torch; leafgrad's plain-NumPy backward against
its differentiable (``create_graph=True``) backward; second derivative against torch;
and central finite differences (float64) of the first derivative and, along one random
direction, of the second. A sample's ``prep`` (e.g. ``"clone"``) is applied to its first
argument in both libraries, so in-place methods and ``__setitem__`` are checked too; calls
with no torch counterpart (``_embed``, ``_index_backward``) are checked against finite
differences only.

Completeness tests: every spec has samples, every spec's node class shows up in some
sample's graph, and every public function is reachable as ``leafgrad.<name>``.

Known leafgrad bugs are listed in ``XFAIL`` (strict: a fix makes the entry fail, so it
gets removed).
"""
import zlib

import numpy as np
import pytest
import torch

import leafgrad
from leafgrad.ops import FUNCTIONS, REGISTRY
from leafgrad.ops._samples import T

from conftest import assert_same, to_numpy

#: (op name, sample index) -> reason: known leafgrad bugs, run as strict xfails (a fix makes
#: the entry XPASS and fail, so it gets removed). Every bug the sweep found so far (comparisons
#: recording nodes, np.sum on Tensors in create_graph backward, `&` of masks, relu's double
#: backward, rsub/matmul node names) was fixed in a0b3566; add new ones as e.g.
#: ("mm", 4): "matmul(1-D, 2-D): grad_fn is SqueezeBackward1, torch says SqueezeBackward4".
XFAIL = {}

#: Ops whose results torch lays out otherwise (strides), left so: torch gives the results of
#: LAPACK-based ops as column-major matrices, and lays out einsum's by its own contraction
#: order; leafgrad's are row-major (NumPy's).
STRIDES_DIFFER = {"cholesky", "cholesky_inverse", "cholesky_solve", "einsum", "linalg.cholesky", "linalg.eigh",
                  "linalg.inv", "linalg.lstsq", "linalg.lu", "linalg.lu_factor_ex", "linalg.lu_solve", "linalg.qr",
                  "linalg.solve", "linalg.solve_triangular", "linalg.svd", "lu_unpack", "_reshape_alias",
                  # transposed convolutions: the result is cut from a larger canvas; a contiguous
                  # copy of it made the bench's conv step (its input gradient is one) 1.5x slower
                  ("convolution", 11), ("convolution", 15), ("convolution", 23)}

EPS = 1e-6
FD_ATOL, FD_RTOL = 1e-5, 1e-4


# ------------------------------------------------------------------ calling
def _resolve(mod, path):
    obj = mod
    parts = path.split(".")
    if mod is leafgrad and not hasattr(leafgrad, parts[0]) and parts[0] in FUNCTIONS:
        obj = FUNCTIONS[parts.pop(0)]  # leafgrad-only helpers are not exported
    for part in parts:
        if part == "fget" and not hasattr(obj, "fget") and hasattr(obj, "__get__"):
            desc = obj  # a C-level getset descriptor (torch.Tensor.T): call its getter
            obj = lambda self, _d=desc: _d.__get__(self, type(self))  # noqa: E731
            continue
        obj = getattr(obj, part)
    return obj


def _path(spec, sample):
    return sample.call or spec.name


def _torch_fn(spec, sample):
    """The torch callable for a sample, or None when only finite differences can check it
    (leafgrad-internal ops such as ``_embed``)."""
    try:
        return _resolve(torch, _path(spec, sample))
    except AttributeError:
        return None


def _materialise(ph, rng):
    """A placeholder's values as a NumPy array of its dtype."""
    if ph.values is not None:
        arr = np.asarray(ph.values, dtype=np.float64).reshape(ph.shape if ph.shape else np.shape(ph.values))
    elif ph.dtype == "bool":
        arr = rng.random(ph.shape) < 0.5
    else:
        arr = np.asarray(rng.uniform(ph.low, ph.high, size=ph.shape), dtype=np.float64)
        for p in ph.away or ():
            d = arr - p
            near = np.abs(d) < 0.1
            arr = np.where(near, p + np.where(d >= 0, 0.1, -0.1), arr)
        if not ph.dtype.startswith("float"):
            arr = np.floor(arr)
    return np.asarray(arr).astype(ph.dtype)


def _placeholders(obj, acc):
    if isinstance(obj, T):
        acc.append(obj)
    elif isinstance(obj, (tuple, list)):
        for o in obj:
            _placeholders(o, acc)
    elif isinstance(obj, dict):
        for o in obj.values():
            _placeholders(o, acc)
    return acc


class Case:
    """One sample with its inputs materialised once."""

    def __init__(self, name, idx):
        self.name, self.idx = name, idx
        self.spec = REGISTRY[name]
        self.sample = self.spec.samples[idx]
        rng = np.random.default_rng(zlib.crc32(f"{name}/{idx}".encode()))
        self.phs = _placeholders((self.sample.args, self.sample.kwargs), [])
        self.arrays = [_materialise(ph, rng) for ph in self.phs]
        self.rng = rng
        self.torch_fn = _torch_fn(self.spec, self.sample)
        self.torch_ok = self.torch_fn is not None

    def fill(self, make):
        """The sample's (args, kwargs) with placeholder i replaced by ``make(i, placeholder)``."""
        it = iter(range(len(self.phs)))

        def conv(obj):
            if isinstance(obj, T):
                i = next(it)
                return make(i, obj)
            if isinstance(obj, tuple):
                return tuple(conv(o) for o in obj)
            if isinstance(obj, list):
                return [conv(o) for o in obj]
            return obj

        return conv(self.sample.args), {k: conv(v) for k, v in self.sample.kwargs.items()}

    def build(self, lib, arrays=None, float64=False):
        """(args, kwargs, grad inputs) for ``lib``; ``float64`` casts float inputs up."""
        arrays = self.arrays if arrays is None else arrays
        grads = []

        def make(i, ph):
            arr = arrays[i]
            if float64 and arr.dtype.kind == "f":
                arr = arr.astype(np.float64)
            t = lib.tensor(np.array(arr, copy=True), requires_grad=ph.grad)
            if ph.grad:
                grads.append(t)
            return t

        args, kwargs = self.fill(make)
        return args, kwargs, grads

    def prepared(self, args):
        """``args`` with the sample's ``prep`` applied to the first one."""
        prep = self.sample.prep
        if prep is None:
            return args
        first = getattr(args[0], prep)
        return (first() if callable(first) else first,) + tuple(args[1:])

    def call(self, fn, args, kwargs):
        """``fn`` on the prepared arguments; a call that returns None (``__setitem__`` and
        friends) gives its changed first argument."""
        args = self.prepared(args)
        out = fn(*args, **kwargs)
        return args[0] if out is None and self.sample.prep is not None else out

    def run(self, lib, arrays=None, float64=False):
        args, kwargs, grads = self.build(lib, arrays, float64)
        fn = self.torch_fn if lib is torch else _resolve(lib, _path(self.spec, self.sample))
        return self.call(fn, args, kwargs), grads


def _outs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _is_float(t):
    return t.dtype.is_floating_point


def _np(t):
    return None if t is None else to_numpy(t)


def _diff_outputs(outs):
    return [i for i, o in enumerate(outs) if _is_float(o) and o.requires_grad]


def _grad(lib, outputs, inputs, cots, **kw):
    return lib.autograd.grad(outputs, inputs, cots, allow_unused=True, retain_graph=True, **kw)


def _cmp_grads(expected, got, what, rtol=1e-6, atol=1e-9, none_is_zero=False):
    assert len(expected) == len(got), f"{what}: {len(expected)} vs {len(got)} results"
    for i, (e, g) in enumerate(zip(expected, got)):
        if none_is_zero:
            if e is None and g is None:
                continue
            shape = (g if e is None else e).shape
            e = np.zeros(shape) if e is None else e
            g = np.zeros(shape) if g is None else g
        else:
            assert (e is None) == (g is None), f"{what}[{i}]: expected {'None' if e is None else 'a tensor'}, " \
                                                f"got {'None' if g is None else 'a tensor'}"
            if e is None:
                continue
        e = np.asarray(e, dtype=np.float64)
        g = np.asarray(g, dtype=np.float64)
        assert e.shape == g.shape, f"{what}[{i}]: shape {e.shape} vs {g.shape}"
        assert np.allclose(g, e, rtol=rtol, atol=atol, equal_nan=True), (
            f"{what}[{i}]: max abs diff {np.nanmax(np.abs(g - e)) if e.size else 0}\n expected {e}\n got      {g}")


def _tol(dtype_str):
    return (1e-5, 1e-6) if "float32" in dtype_str else (1e-6, 1e-9)


# ------------------------------------------------------------------ the sweep
def _ids():
    params = []
    for name, spec in REGISTRY.items():
        for i, s in enumerate(spec.samples):
            call = repr(s)
            if s.call is None:
                call = name + call[len("None"):]
            pid = f"{name}-{i}-{call}".replace(" ", "")
            marks = ()
            if (name, i) in XFAIL:
                marks = (pytest.mark.xfail(strict=True, reason=XFAIL[(name, i)]),)
            params.append(pytest.param(name, i, id=pid, marks=marks))
    return params


@pytest.mark.parametrize("name, idx", _ids())
def test_sample(name, idx):
    late = []
    _check_sample(Case(name, idx), late)
    assert not late, "; ".join(late)


def _check_sample(case, late):
    rng = case.rng

    # ---- forward
    lg_out, lg_in = case.run(leafgrad)
    lg_outs = _outs(lg_out)
    if case.torch_ok:
        th_out, th_in = case.run(torch)
        th_outs = _outs(th_out)
        assert isinstance(lg_out, (tuple, list, leafgrad.Tensor)) and \
            isinstance(lg_out, (tuple, list)) == isinstance(th_out, (tuple, list)), \
            f"output kind: torch {type(th_out).__name__}, leafgrad {type(lg_out).__name__}"
        assert len(th_outs) == len(lg_outs)
        for k, (a, b) in enumerate(zip(th_outs, lg_outs)):
            r, t = _tol(str(a.dtype))
            assert_same(a, b, f"output[{k}]", rtol=r, atol=t, check_graph=False)
            assert a.requires_grad == b.requires_grad, (
                f"output[{k}]: requires_grad torch {a.requires_grad} vs leafgrad {b.requires_grad}")
            assert a.is_leaf == b.is_leaf, f"output[{k}]: is_leaf torch {a.is_leaf} vs leafgrad {b.is_leaf}"
            names = [None if x.grad_fn is None else type(x.grad_fn).__name__ for x in (a, b)]
            if names[0] != names[1]:  # checked last, so the derivative checks still run
                late.append(f"output[{k}]: grad_fn torch {names[0]} vs leafgrad {names[1]}")
            if a.numel() and a.storage_offset() != b.storage_offset():   # (where a view starts in its storage)
                late.append(f"output[{k}]: storage_offset torch {a.storage_offset()} vs leafgrad "
                            f"{b.storage_offset()}")
            if a.numel() > 1 and a.stride() != b.stride() and not {case.name, (case.name, case.idx)} & STRIDES_DIFFER:
                late.append(f"output[{k}]: stride torch {a.stride()} vs leafgrad {b.stride()}")   # (is_contiguous, view)

    diff = _diff_outputs(lg_outs)
    if not diff or not lg_in:
        return
    cots = [rng.standard_normal(tuple(lg_outs[k].shape)) for k in diff]

    def lg_cots(outs):
        return [leafgrad.tensor(c.astype(to_numpy(outs[k]).dtype)) for c, k in zip(cots, diff)]

    # ---- first derivative: plain NumPy backward vs differentiable backward
    g_plain = _grad(leafgrad, [lg_outs[k] for k in diff], lg_in, lg_cots(lg_outs))
    g_graph = _grad(leafgrad, [lg_outs[k] for k in diff], lg_in, lg_cots(lg_outs), create_graph=True)
    for k, (p, g) in enumerate(zip(g_plain, g_graph)):
        if p is not None and g is not None:
            assert str(p.dtype) == str(g.dtype), f"grad[{k}] dtype: plain {p.dtype} vs create_graph {g.dtype}"
    _cmp_grads([_np(g) for g in g_plain], [_np(g) for g in g_graph], "create_graph=True vs plain backward")

    # ---- first and second derivatives against torch
    if case.torch_ok:
        th_cots = [torch.tensor(c.astype(to_numpy(th_outs[k]).dtype)) for c, k in zip(cots, diff)]
        th_g = _grad(torch, [th_outs[k] for k in diff], th_in, th_cots, create_graph=True)
        for k, (a, b) in enumerate(zip(th_g, g_plain)):
            if a is not None and b is not None:
                assert str(a.dtype) == str(b.dtype), f"grad[{k}] dtype: torch {a.dtype} vs leafgrad {b.dtype}"
        _cmp_grads([_np(g) for g in th_g], [_np(g) for g in g_plain], "first derivative vs torch",
                   *_tol(str(lg_outs[diff[0]].dtype)))
        if case.sample.smooth:
            sel = [k for k, g in enumerate(th_g) if g is not None and g.requires_grad]
            if sel:
                for k in sel:
                    assert g_graph[k] is not None and g_graph[k].requires_grad, (
                        f"grad[{k}] with create_graph=True requires grad in torch but not in leafgrad")
                ws = [rng.standard_normal(tuple(th_g[k].shape)) for k in sel]
                th_s = sum((th_g[k] * torch.tensor(w.astype(to_numpy(th_g[k]).dtype))).sum()
                           for k, w in zip(sel, ws))
                lg_s = sum((g_graph[k] * leafgrad.tensor(w.astype(to_numpy(g_graph[k]).dtype))).sum()
                           for k, w in zip(sel, ws))
                th_h = torch.autograd.grad(th_s, th_in, allow_unused=True)
                lg_h = leafgrad.autograd.grad(lg_s, lg_in, allow_unused=True)
                _cmp_grads([_np(g) for g in th_h], [_np(g) for g in lg_h], "second derivative vs torch",
                           *_tol(str(lg_outs[diff[0]].dtype)), none_is_zero=True)

    if not case.sample.smooth:
        return

    # ---- finite differences, all in float64
    grad_pos = [i for i, ph in enumerate(case.phs) if ph.grad]

    def arrays_with(i, arr):
        a = [x.astype(np.float64) if x.dtype.kind == "f" else x for x in case.arrays]
        if i is not None:
            a[i] = arr
        return a

    def loss(arrays):
        with leafgrad.no_grad():
            outs = _outs(case.run(leafgrad, arrays, float64=True)[0])
        return sum(float(np.sum(to_numpy(outs[k]).astype(np.float64) * c)) for k, c in zip(diff, cots))

    def first(arrays, create_graph=False):
        outs, ins = case.run(leafgrad, arrays, float64=True)
        outs = _outs(outs)
        gs = _grad(leafgrad, [outs[k] for k in diff], ins, [leafgrad.tensor(c) for c in cots],
                   create_graph=create_graph)
        return gs, ins

    base = arrays_with(None, None)
    g64, _ = first(base)
    # outputs that stay below float64 even for float64 inputs (Tensor.float) need a coarser step
    with leafgrad.no_grad():
        low_prec = any(str(o.dtype) != "torch.float64" for o in _outs(case.run(leafgrad, base, float64=True)[0])
                       if _is_float(o))
    eps, atol, rtol = (1e-3, 1e-3, 1e-2) if low_prec else (EPS, FD_ATOL, FD_RTOL)
    for j, i in enumerate(grad_pos):
        x = base[i]
        fd = np.zeros(x.shape)
        for flat in range(x.size):
            xp, xm = x.copy(), x.copy()
            xp.flat[flat] += eps
            xm.flat[flat] -= eps
            fd.flat[flat] = (loss(arrays_with(i, xp)) - loss(arrays_with(i, xm))) / (2 * eps)
        an = np.zeros(x.shape) if g64[j] is None else to_numpy(g64[j])
        assert np.allclose(an, fd, atol=atol, rtol=rtol), (
            f"first derivative vs finite differences, input {j}: max abs diff {np.max(np.abs(an - fd)) if fd.size else 0}"
            f"\n analytic {an}\n numeric  {fd}")

    # second derivative along one random direction d: d/de s(x + e d), s = sum_k <g_k(x), w_k>
    ws = [rng.standard_normal(base[i].shape) for i in grad_pos]
    ds = [rng.standard_normal(base[i].shape) for i in grad_pos]

    def s_of(arrays):
        gs, _ = first(arrays)
        return sum(0.0 if g is None else float(np.sum(to_numpy(g) * w)) for g, w in zip(gs, ws))

    def shifted(sign):
        a = list(base)
        for i, d in zip(grad_pos, ds):
            a[i] = base[i] + sign * eps * d
        return a

    fd2 = (s_of(shifted(1)) - s_of(shifted(-1))) / (2 * eps)
    gs, ins = first(base, create_graph=True)
    terms = [(g * leafgrad.tensor(w)).sum() for g, w in zip(gs, ws) if g is not None and g.requires_grad]
    an2 = 0.0
    if terms:
        s = terms[0]
        for t in terms[1:]:
            s = s + t
        hs = leafgrad.autograd.grad(s, ins, allow_unused=True)
        an2 = sum(0.0 if h is None else float(np.sum(to_numpy(h) * d)) for h, d in zip(hs, ds))
    assert np.isclose(an2, fd2, atol=atol, rtol=rtol), (
        f"second derivative vs finite differences along a random direction: analytic {an2}, numeric {fd2}")


# ------------------------------------------------------------------ completeness
def test_every_spec_has_samples():
    missing = sorted(name for name, spec in REGISTRY.items() if not spec.samples)
    assert not missing, f"specs without samples: {missing}"


def _graph_nodes(roots):
    seen, stack = set(), [r for r in roots if r is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        for nxt, _ in node.next_functions:
            if nxt is not None:
                stack.append(nxt)


def test_every_node_class_is_exercised():
    """Each spec's node class appears in the graph of the outputs, or of the
    ``create_graph=True`` first derivatives, of at least one sample."""
    found = set()
    for name, spec in REGISTRY.items():
        for idx in range(len(spec.samples)):
            case = Case(name, idx)
            try:
                out, ins = case.run(leafgrad)
                outs = _outs(out)
                roots = [o.grad_fn for o in outs]
                found.update(type(n) for n in _graph_nodes(roots))
                diff = _diff_outputs(outs)
                if diff and ins:
                    cots = [leafgrad.tensor(np.ones(tuple(outs[k].shape), to_numpy(outs[k]).dtype)) for k in diff]
                    gs = _grad(leafgrad, [outs[k] for k in diff], ins, cots, create_graph=True)
                    roots += [g.grad_fn for g in gs if g is not None]
            except Exception:  # noqa: BLE001 - failures are reported by test_sample
                continue
            found.update(type(n) for n in _graph_nodes(roots))
    # A spec without derivative formulas (comparisons: PyTorch records no node for them)
    # has nothing to exercise.
    never = sorted(f"{name} ({spec.node_cls.__name__})" for name, spec in REGISTRY.items()
                   if spec.formulas and spec.node_cls not in found)
    assert not never, f"node classes never seen in any sample's graph: {never}"


def _public(path):
    obj = leafgrad
    for part in path.split("."):
        obj = getattr(obj, part, None)
    return obj


def test_public_functions_reachable():
    """Every public declaration is reachable at its dotted path (``leafgrad.exp``,
    ``leafgrad.linalg.inv``, ``leafgrad.nn.functional.relu``)."""
    missing = sorted(name for name, fn in FUNCTIONS.items()
                     if not name.split(".")[-1].startswith("_") and callable(fn) and _public(name) is not fn)
    assert not missing, f"public functions not reachable as leafgrad.<name>: {missing}"
