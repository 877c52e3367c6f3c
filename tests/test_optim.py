"""Optimiser trajectories against torch.optim (float32, 100 steps on a small MLP)."""
import copy

import numpy as np
import pytest
import torch

import leafgrad
import leafgrad.optim  # noqa: F401

rng = np.random.RandomState(0)
X = rng.randn(16, 3).astype(np.float32)
Y = rng.randn(16, 2).astype(np.float32)
INIT = [rng.randn(3, 5).astype(np.float32) * 0.5, rng.randn(5).astype(np.float32) * 0.1,
        rng.randn(5, 2).astype(np.float32) * 0.5, rng.randn(2).astype(np.float32) * 0.1]


def make(lib, dtype=np.float32):
    params = [lib.tensor(a.astype(dtype), requires_grad=True) for a in INIT]
    x, y = lib.tensor(X.astype(dtype)), lib.tensor(Y.astype(dtype))

    def loss_fn():
        w1, b1, w2, b2 = params
        h = lib.tanh(x @ w1 + b1)
        return lib.nn.functional.mse_loss(h @ w2 + b2, y)
    return params, loss_fn


def run(lib, name, kwargs, steps=100, groups=False):
    params, loss_fn = make(lib)
    opt_cls = getattr(lib.optim, name)
    if groups:
        opt = opt_cls([{"params": params[:2]}, {"params": params[2:], "lr": kwargs.get("lr", 0.01) * 0.5}], **kwargs)
    else:
        opt = opt_cls(params, **kwargs)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return [p.detach().numpy().copy() for p in params], losses, opt


CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.5, dampening=0.3, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, amsgrad=True, weight_decay=0.5)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.9, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.005, alpha=0.9, momentum=0.5, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.01)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.01)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, momentum_decay=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.9), weight_decay=0.1)),
]


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_trajectory(name, kwargs):
    kw_t = dict(kwargs)
    kw_t["foreach"] = False
    steps = 15 if kwargs.get("maximize") else 100   # maximising the loss diverges: keep it short
    pt, lt, _ = run(torch, name, kw_t, steps)
    pl, ll, _ = run(leafgrad, name, kwargs, steps)
    np.testing.assert_allclose(ll, lt, rtol=1e-5, atol=1e-7)
    for a, b in zip(pl, pt):
        assert a.dtype == b.dtype
        # parameters are O(1); a cancelling element may lose relative (not absolute) accuracy
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


G_RNG = np.random.RandomState(1)
P0 = G_RNG.randn(7, 5).astype(np.float32)
GRADS = [G_RNG.randn(7, 5).astype(np.float32) for _ in range(50)]
# torch 2.13's CPU float32 sqrt is not correctly rounded (about 1 element in 6 is 1 ulp off NumPy's), so only the
# optimisers without a sqrt can be bit-identical; the others agree to a few ulp.
EXACT = {"SGD", "Adamax"}


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_update_arithmetic_with_given_gradients(name, kwargs):
    """With the same gradients fed in (no matmul rounding), the updates follow torch's operation order."""
    out = []
    for lib, kw in ((torch, dict(kwargs, foreach=False)), (leafgrad, kwargs)):
        p = lib.tensor(P0.copy(), requires_grad=True)
        opt = getattr(lib.optim, name)([p], **kw)
        for g in GRADS:
            p.grad = lib.tensor(g)
            opt.step()
        out.append(p.detach().numpy())
    if name in EXACT:
        np.testing.assert_array_equal(out[1], out[0])
    else:
        ulps = np.abs(out[1] - out[0]) / np.spacing(np.abs(out[0]))
        assert ulps.max() <= 32, ulps.max()


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_param_groups(name):
    kw = dict(lr=0.01)
    if name == "SGD":
        kw["momentum"] = 0.9
    pt, _, ot = run(torch, name, dict(kw, foreach=False), steps=20, groups=True)
    pl, _, ol = run(leafgrad, name, kw, steps=20, groups=True)
    for a, b in zip(pl, pt):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert [g["lr"] for g in ol.param_groups] == [g["lr"] for g in ot.param_groups]


def _sd_plain(sd, lib):
    def conv(v):
        if isinstance(v, lib.Tensor):
            return ("T", str(v.dtype), tuple(v.shape), v.detach().numpy().tolist())
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return type(v)(conv(x) for x in v)
        return v
    return conv(sd)


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(amsgrad=True)),
                                         ("AdamW", {}), ("RMSprop", dict(centered=True, momentum=0.1)),
                                         ("Adagrad", {}), ("Adadelta", {}), ("Adamax", {}), ("NAdam", {}),
                                         ("RAdam", {})])
def test_state_dict_layout_and_round_trip(name, kwargs):
    _, _, ot = run(torch, name, dict(kwargs), steps=3)
    _, _, ol = run(leafgrad, name, kwargs, steps=3)
    st, sl = ot.state_dict(), ol.state_dict()
    assert list(st.keys()) == list(sl.keys())
    assert st["param_groups"] == sl["param_groups"]
    pt, pl = _sd_plain(st["state"], torch), _sd_plain(sl["state"], leafgrad)
    assert list(pt.keys()) == list(pl.keys())
    for k in pt:
        assert list(pt[k].keys()) == list(pl[k].keys())
        for kk in pt[k]:
            a, b = pt[k][kk], pl[k][kk]
            assert a[:3] == b[:3]
            np.testing.assert_allclose(np.array(b[3]), np.array(a[3]), rtol=1e-5,
                                       atol=1e-6 * max(1.0, float(np.max(np.abs(a[3])))))
    # round trip: a fresh optimiser loaded from the state dict continues identically
    params, loss_fn = make(leafgrad)
    with leafgrad.no_grad():
        for p, q in zip(params, [p for g in ol.param_groups for p in g["params"]]):
            p.copy_(q)
    o2 = getattr(leafgrad.optim, name)(params, **kwargs)
    o2.load_state_dict(copy.deepcopy(sl))     # as torch, loading takes the state tensors over (no copy)
    for o, ps in ((ol, [p for g in ol.param_groups for p in g["params"]]), (o2, params)):
        for _ in range(3):
            o.zero_grad()
            w1, b1, w2, b2 = ps
            loss = leafgrad.nn.functional.mse_loss(leafgrad.tanh(leafgrad.tensor(X) @ w1 + b1) @ w2 + b2,
                                                   leafgrad.tensor(Y))
            loss.backward()
            o.step()
    for a, b in zip(params, [p for g in ol.param_groups for p in g["params"]]):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert o2.state_dict()["param_groups"] == ol.state_dict()["param_groups"]


def test_load_state_dict_shares_tensors_like_torch():
    out = []
    for lib in (torch, leafgrad):
        p = lib.tensor([1.0, 2.0], requires_grad=True)
        o = lib.optim.Adam([p])
        p.grad = lib.ones(2)
        o.step()
        sd = o.state_dict()
        q = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        o2 = lib.optim.Adam([q])
        o2.load_state_dict(sd)
        st = o2.state[q]
        out.append((st["exp_avg"] is sd["state"][0]["exp_avg"], st["step"] is sd["state"][0]["step"],
                    str(st["exp_avg"].dtype), str(st["step"].dtype),
                    o2.param_groups[0]["betas"] is sd["param_groups"][0]["betas"]))
    assert out[0] == out[1]


@pytest.mark.parametrize("call", [
    lambda lib, p: lib.optim.SGD(p, lr=-0.1),
    lambda lib, p: lib.optim.SGD(p, lr=0.1, momentum=-1),
    lambda lib, p: lib.optim.SGD(p, lr=0.1, nesterov=True),
    lambda lib, p: lib.optim.SGD(p, lr=0.1, weight_decay=-1),
    lambda lib, p: lib.optim.Adam(p, lr=-1),
    lambda lib, p: lib.optim.Adam(p, eps=-1),
    lambda lib, p: lib.optim.Adam(p, betas=(1.0, 0.9)),
    lambda lib, p: lib.optim.AdamW(p, betas=(0.9, -0.1)),
    lambda lib, p: lib.optim.AdamW(p, weight_decay=-0.1),
    lambda lib, p: lib.optim.RMSprop(p, alpha=-1),
    lambda lib, p: lib.optim.RMSprop(p, momentum=-1),
    lambda lib, p: lib.optim.Adagrad(p, lr_decay=-1),
    lambda lib, p: lib.optim.Adagrad(p, initial_accumulator_value=-1),
    lambda lib, p: lib.optim.Adadelta(p, rho=1.5),
    lambda lib, p: lib.optim.NAdam(p, momentum_decay=-1),
    lambda lib, p: lib.optim.Adam([], lr=0.1),
    lambda lib, p: lib.optim.Adam(p[0], lr=0.1),
    lambda lib, p: lib.optim.SGD([p[0], 1.0], lr=0.1),
    lambda lib, p: lib.optim.SGD([{"params": p[:1]}, {"params": p[:1]}], lr=0.1),
    lambda lib, p: lib.optim.SGD([p[0] * 2], lr=0.1),
])
def test_errors(call):
    out = []
    for lib in (torch, leafgrad):
        params = [lib.tensor([1.0, 2.0], requires_grad=True), lib.tensor([3.0], requires_grad=True)]
        try:
            call(lib, params)
            out.append(None)
        except Exception as e:  # noqa: BLE001
            out.append((type(e), str(e)))
    assert out[0] == out[1]


def test_zero_grad_and_add_param_group():
    p = leafgrad.tensor([1.0, 2.0], requires_grad=True)
    q = leafgrad.tensor([3.0], requires_grad=True)
    opt = leafgrad.optim.SGD([p], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": q, "lr": 0.5})
    assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[1]["lr"] == 0.5
    (p.sum() + q.sum()).backward()
    opt.zero_grad(set_to_none=False)
    assert p.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None and q.grad is None


def test_closure_returns_loss():
    params, loss_fn = make(leafgrad)
    opt = leafgrad.optim.SGD(params, lr=0.1)

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss
    with leafgrad.no_grad():
        loss = opt.step(closure)
    assert loss.requires_grad


@pytest.mark.parametrize("kwargs", [dict(), dict(history_size=3, max_iter=5), dict(lr=0.5, max_iter=10),
                                    dict(line_search_fn="strong_wolfe"),
                                    dict(line_search_fn="strong_wolfe", history_size=4, max_iter=7)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lbfgs(kwargs, dtype):
    out = []
    for lib in (torch, leafgrad):
        params, loss_fn = make(lib, dtype)
        opt = lib.optim.LBFGS(params, **kwargs)

        def closure():
            opt.zero_grad()
            loss = loss_fn()
            loss.backward()
            return loss
        losses = [opt.step(closure).item() for _ in range(2)]
        st = opt.state[params[0]]
        out.append(([p.detach().numpy().copy() for p in params], losses, st["func_evals"], st["n_iter"]))
    (pt, lt, ft, nt), (pl, ll, fl, nl) = out
    assert (ft, nt) == (fl, nl)
    # L-BFGS on this non-convex loss amplifies last-bit differences of the matmul gradients (BLAS vs NumPy
    # summation order): float64 checks the algorithm tightly, float32 loosely.
    tol = dict(rtol=1e-7, atol=1e-9) if dtype == np.float64 else dict(rtol=1e-2, atol=1e-2)
    assert pl[0].dtype == pt[0].dtype
    np.testing.assert_allclose(ll, lt, **tol)
    for a, b in zip(pl, pt):
        np.testing.assert_allclose(a, b, **tol)


def test_lbfgs_errors():
    p = leafgrad.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        leafgrad.optim.LBFGS([{"params": [p]}, {"params": [leafgrad.tensor([1.0], requires_grad=True)]}])
    opt = leafgrad.optim.LBFGS([p], line_search_fn="bogus")

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(closure)


def test_training_loop_end_to_end(tmp_path):
    """A typical training script (DataLoader with shuffle, optimiser, scheduler, checkpoint and resume) gives
    torch's numbers."""
    import leafgrad.utils.data  # noqa: F401
    import torch.utils.data  # noqa: F401
    from leafgrad.serialization import load, save
    rng = np.random.RandomState(3)
    xs, ys = rng.randn(40, 3).astype(np.float32), rng.randn(40, 2).astype(np.float32)

    def train(lib, epochs, ckpt=None, resume=None):
        lib.manual_seed(0)
        params = [lib.tensor(a.copy(), requires_grad=True) for a in INIT]
        opt = lib.optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        loader = lib.utils.data.DataLoader(lib.utils.data.TensorDataset(lib.tensor(xs), lib.tensor(ys)),
                                           batch_size=8, shuffle=True)
        if resume is not None:
            state = load(resume) if lib is leafgrad else torch.load(resume)
            with lib.no_grad():
                for p, q in zip(params, state["params"]):
                    p.copy_(q)
            opt.load_state_dict(state["opt"])
            sched.load_state_dict(state["sched"])
            lib.set_rng_state(state["rng"])
        losses = []
        for _ in range(epochs):
            for xb, yb in loader:
                w1, b1, w2, b2 = params
                loss = lib.nn.functional.mse_loss(lib.tanh(xb @ w1 + b1) @ w2 + b2, yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                losses.append(loss.item())
            sched.step()
        if ckpt is not None:
            state = {"params": params, "opt": opt.state_dict(), "sched": sched.state_dict(),
                     "rng": lib.get_rng_state()}
            save(state, ckpt) if lib is leafgrad else torch.save(state, ckpt)
        return losses, [p.detach().numpy().copy() for p in params]

    lt, pt = train(torch, 4)
    ll, pl = train(leafgrad, 4)
    np.testing.assert_allclose(ll, lt, rtol=1e-5)
    for a, b in zip(pl, pt):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    # interrupted after 2 epochs, resumed from the checkpoint for 2 more: the same result
    train(leafgrad, 2, ckpt=tmp_path / "ck.lg")
    train(torch, 2, ckpt=tmp_path / "ck.pt")
    lr_, pr_ = train(leafgrad, 2, resume=tmp_path / "ck.lg")
    lt_, pt_ = train(torch, 2, resume=tmp_path / "ck.pt")
    np.testing.assert_allclose(lr_, lt_, rtol=1e-5)
    for a, b in zip(pr_, pt_):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_repr_matches_torch():
    out = []
    for lib in (torch, leafgrad):
        p = lib.tensor([1.0], requires_grad=True)
        out.append(repr(lib.optim.Adam([{"params": [p]}], lr=0.01)))
    assert out[0] == out[1]


def test_hooks():
    from leafgrad.optim.optimizer import register_optimizer_step_pre_hook
    calls = []
    p = leafgrad.tensor([1.0, 2.0], requires_grad=True)
    opt = leafgrad.optim.SGD([p], lr=0.1)
    h1 = opt.register_step_pre_hook(lambda o, a, k: calls.append(("pre", o is opt)))
    h2 = opt.register_step_post_hook(lambda o, a, k: calls.append(("post", o is opt)))
    g = register_optimizer_step_pre_hook(lambda o, a, k: calls.append(("global", type(o).__name__)))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    loads = []
    opt.register_load_state_dict_post_hook(lambda o: loads.append(True))
    p.grad = leafgrad.ones(2)
    opt.step()
    assert calls == [("global", "SGD"), ("pre", True), ("post", True)]
    h1.remove(), h2.remove(), g.remove()
    opt.step()
    assert len(calls) == 3
    sd = opt.state_dict()
    assert sd["extra"] == 1
    opt.load_state_dict(sd)
    assert loads == [True]
    assert p.tolist() == pytest.approx([0.8, 1.8])


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.05, momentum=0.9)), ("Adam", dict(lr=0.01, amsgrad=True)),
                                         ("RMSprop", dict(centered=True)), ("NAdam", {}), ("RAdam", {}),
                                         ("Adagrad", {}), ("Adadelta", {}), ("Adamax", {}), ("AdamW", {})])
def test_float64_and_default_dtype(name, kwargs):
    out = []
    for lib in (torch, leafgrad):
        old = lib.get_default_dtype()
        lib.set_default_dtype(lib.float64)
        try:
            p = lib.tensor(P0.astype(np.float64), requires_grad=True)
            opt = getattr(lib.optim, name)([p], **kwargs)
            for g in GRADS[:20]:
                p.grad = lib.tensor(g.astype(np.float64))
                opt.step()
            st = opt.state[p]
            out.append((p.detach().numpy(), {k: str(v.dtype) for k, v in st.items() if isinstance(v, lib.Tensor)}))
        finally:
            lib.set_default_dtype(old)
    assert out[0][1] == out[1][1]
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=1e-13, atol=1e-14)
