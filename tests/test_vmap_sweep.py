"""vmap over every sample of every op in ``leafgrad.ops.REGISTRY``.

Per sample, two variants: (a) every float tensor input batched along dim 0 (3 variants
of its values), (b) the first float tensor batched along its last dim, the others
unbatched. ``leafgrad.vmap(f)`` must equal stacking ``f`` over the samples, and the
number of NumPy forwards it runs must not depend on the batch size (batch 3 vs 4):
the op runs once on the batch, never in a loop over samples.

Samples whose public wrapper reads the physical ``_data`` of its input (a core change
is needed, see docs/vmap.md) and ops PyTorch refuses under vmap are listed below.
"""
import numpy as np
import pytest

import leafgrad
from leafgrad.ops import REGISTRY
from leafgrad.func._batching import BACKWARD_ONLY, DATA_DEPENDENT, RULES

from test_ops_sweep import Case, _ids, _resolve, _path  # noqa: F401

_WEIGHT = "a batched weight / bias / running-stat tensor is not supported by this rule yet"

#: (op, sample[, variant]) -> known gap, run as a strict xfail (a fix makes it fail, so
#: the entry gets removed).
SKIP = {}
SKIP[("prod.dim_int", 4, "dim0")] = "backward of prod(dim) on a 0-d sample run as (B, 1): _restore gets a tuple dim"
SKIP[("addmm", 3, "dim0")] = "matmul of batched (3, 0) @ (0, 2) operands: an empty inner dim"
SKIP.update({("native_batch_norm", i, "last"): "training with unbatched running stats: PyTorch's vmap raises, and so "
             "does leafgrad (the running stats would be updated in place by every sample)" for i in (2, 7)})
SKIP.update({(n, i, "dim0"): "gaussian_nll_loss checks `if torch.any(var < 0)`: data-dependent control flow on a "
             "batched var, which PyTorch's vmap refuses too" for n, idxs in (("clone", (1, 2, 3)),) for i in idxs})
SKIP.update({("as_strided", i, "last"): "as_strided reads memory: with the batch dim innermost in memory the "
             "samples' views mix, in PyTorch's vmap too, unlike the per-sample reference" for i in (0, 1, 2, 3)})
SKIP.update({("linalg.lstsq", i): "lstsq's residuals / rank outputs are not batched like PyTorch's yet"
             for i in (0, 1, 2)})
SKIP.update({(n, i, "dim0"): _WEIGHT for n, idxs in (
    ("nnf.nll_loss", (2, 3, 7, 8)), ("nnf.binary_cross_entropy", (1,)),
    ("nnf.binary_cross_entropy_with_logits", (1, 2)), ("native_group_norm", (0, 2, 3, 4)),
    ("native_batch_norm", (0, 2, 3, 4, 5, 7, 8))) for i in idxs})


def _calls(n_holder):
    """Wrap every spec's forward with a counter (restored by the caller)."""
    saved = {}
    for name, spec in REGISTRY.items():
        fwd = spec.forward
        saved[name] = fwd

        def counting(*a, _f=fwd, **k):
            n_holder[0] += 1
            return _f(*a, **k)
        spec.forward = counting
    return saved


def _restore(saved):
    for name, fwd in saved.items():
        REGISTRY[name].forward = fwd


def _call(case, values):
    """The sample called with placeholder i replaced by values[i] (a Tensor or array)."""
    args, kwargs = case.fill(lambda i, ph: values[i] if isinstance(values[i], leafgrad.Tensor) else
                             leafgrad.tensor(np.array(values[i], copy=True)))
    path = _path(case.spec, case.sample)
    prep = case.sample.prep
    args = case.prepared(args)
    if path.startswith("Tensor.") and path.count(".") == 1:
        # a method, called on the instance as user code does (a batched tensor overrides some)
        out = getattr(args[0], path[7:])(*args[1:], **kwargs)
    elif path == "Tensor.T.fget":
        out = args[0].T
    else:
        out = _resolve(leafgrad, path)(*args, **kwargs)
    if out is None and prep is not None:
        out = args[0]
    return out


def _as_tuple(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


FACTORS = (1.0, 0.93, 0.97, 0.95)


def _check(case, variant):
    floats = [i for i, a in enumerate(case.arrays) if a.dtype.kind == "f"]
    if not floats:
        # integer / boolean ops: batch the first tensor (copies of the same values)
        floats = [0] if case.arrays else []
    if not floats:
        pytest.skip("no tensor input to batch")
    batched = floats if variant == "dim0" else floats[:1]
    axis = 0 if variant == "dim0" else -1

    def run(B):
        per = [[(a * FACTORS[k]).astype(a.dtype) if i in batched and a.dtype.kind == "f" else a
                for i, a in enumerate(case.arrays)] for k in range(B)]
        expected = [_as_tuple(_call(case, p)) for p in per]
        stacked = [leafgrad.tensor(np.stack([p[i] for p in per], axis=axis)) for i in batched]

        def f(*bt):
            vals = list(case.arrays)
            for i, t in zip(batched, bt):
                vals[i] = t
            return _call(case, vals)
        n = [0]
        saved = _calls(n)
        try:
            got = _as_tuple(leafgrad.vmap(f, in_dims=axis)(*stacked))
        finally:
            _restore(saved)
        return expected, got, n[0]

    expected, got, n3 = run(3)
    assert len(got) == len(expected[0])
    for k, g in enumerate(got):
        want = np.stack([leafgrad.Tensor.numpy(e[k], force=True) for e in expected])
        have = g.detach().numpy()
        assert have.shape == want.shape, f"output[{k}]: shape {have.shape} vs {want.shape}"
        assert have.dtype == want.dtype, f"output[{k}]: dtype {have.dtype} vs {want.dtype}"
        if want.dtype.kind == "f":
            np.testing.assert_allclose(have, want, rtol=1e-5, atol=1e-6, equal_nan=True, err_msg=f"output[{k}]")
        elif case.spec.name not in ("sort", "sort.stable", "topk", "max.dim", "min.dim", "median.dim", "mode",
                                    "kthvalue", "nanmedian.dim", "cummax", "cummin", "aminmax"):
            np.testing.assert_array_equal(have, want, err_msg=f"output[{k}]")
    _, _, n4 = run(4)
    assert n3 == n4, f"{n3} NumPy forwards for a batch of 3 but {n4} for 4: a loop over samples"
    if variant == "dim0":
        _check_backward(case, batched)


def _check_backward(case, batched):
    """The gradient through vmap (the physical graph) equals the per-sample gradients."""
    grad_in = [i for i in batched if case.arrays[i].dtype.kind == "f" and case.phs[i].grad]
    if not grad_in:
        return
    B = 3
    rng = np.random.default_rng(7)
    per = [[(a * FACTORS[k]).astype(a.dtype) if i in batched and a.dtype.kind == "f" else a
            for i, a in enumerate(case.arrays)] for k in range(B)]
    stacked = {i: leafgrad.tensor(np.stack([p[i] for p in per]), requires_grad=i in grad_in) for i in batched}

    def f(*bt):
        vals = list(case.arrays)
        for i, t in zip(batched, bt):
            vals[i] = t
        return _call(case, vals)
    outs = _as_tuple(leafgrad.vmap(f)(*[stacked[i] for i in batched]))
    diff = [k for k, o in enumerate(outs) if o.requires_grad and o.dtype.is_floating_point]
    if not diff:
        return
    cots = {k: rng.standard_normal(tuple(outs[k].shape)).astype(outs[k].detach().numpy().dtype) for k in diff}
    loss = sum((outs[k] * leafgrad.tensor(cots[k])).sum() for k in diff)
    got = leafgrad.autograd.grad(loss, [stacked[i] for i in grad_in], allow_unused=True)
    for k_s in range(B):
        vals = [leafgrad.tensor(np.array(a), requires_grad=i in grad_in) if i in batched else a
                for i, a in enumerate(per[k_s])]
        o = _as_tuple(_call(case, vals))
        l_s = sum((o[k] * leafgrad.tensor(cots[k][k_s])).sum() for k in diff if o[k].requires_grad)
        if not isinstance(l_s, leafgrad.Tensor):
            continue
        want = leafgrad.autograd.grad(l_s, [vals[i] for i in grad_in], allow_unused=True)
        for j, (w, g) in enumerate(zip(want, got)):
            if w is None:
                continue
            assert g is not None, f"grad[{j}] missing through vmap"
            np.testing.assert_allclose(g.numpy()[k_s], w.numpy(), rtol=1e-5, atol=1e-6, equal_nan=True,
                                       err_msg=f"grad[{j}] of sample {k_s}")


def _params():
    out = []
    for p in _ids():
        name, idx = p.values
        for variant in ("dim0", "last"):
            reason = SKIP.get((name, idx, variant)) or SKIP.get((name, idx)) or SKIP.get(name)
            marks = ()
            if name in DATA_DEPENDENT or name in BACKWARD_ONLY:
                continue
            if reason is not None:
                marks = (pytest.mark.xfail(reason=reason, strict=True),)
            out.append(pytest.param(name, idx, variant, id=f"{p.id}-{variant}", marks=marks))
    return out


@pytest.mark.parametrize("name, idx, variant", _params())
def test_vmap_sample(name, idx, variant):
    _check(Case(name, idx), variant)


def test_every_op_has_a_rule_or_is_data_dependent():
    """Every declared op has a batching rule, or is listed with a reason: data-dependent
    output shapes (PyTorch refuses them under vmap too) or backward-formula helpers."""
    missing = [n for n in REGISTRY if n not in RULES and n not in DATA_DEPENDENT and n not in BACKWARD_ONLY]
    assert not missing, f"ops with no batching rule: {missing}"
    assert not set(RULES) & (set(DATA_DEPENDENT) | set(BACKWARD_ONLY))
    assert all(DATA_DEPENDENT.values()) and all(BACKWARD_ONLY.values())


@pytest.mark.parametrize("name", sorted(DATA_DEPENDENT))
def test_data_dependent_ops_raise_pytorchs_error(name):
    x = leafgrad.randn(3, 4)
    fn = {"_unique2": lambda a: leafgrad.unique(a), "unique_dim": lambda a: leafgrad.unique(a, dim=0),
          "masked_select": lambda a: leafgrad.masked_select(a, a > 0),
          "unique_consecutive": lambda a: leafgrad.unique_consecutive(a)}[name]
    with pytest.raises(RuntimeError, match="vmap: "):
        leafgrad.vmap(fn)(x)
