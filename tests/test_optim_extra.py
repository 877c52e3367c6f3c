"""Rprop and ASGD side by side with torch.optim (foreach=False), and under leafgrad.replay.capture."""
import copy
import warnings

import numpy as np
import pytest

from conftest import torch, leafgrad, both, assert_same
from leafgrad.replay import capture

nn, F = leafgrad.nn, leafgrad.nn.functional

RNG = np.random.RandomState(5)
P0 = RNG.randn(7, 5)
Q0 = RNG.randn(4)
STEPS = 150


def _grads(shape, seed):
    """Gradients that keep their sign for a while, flip, and are sometimes exactly 0 (Rprop's three cases)."""
    rng = np.random.RandomState(seed)
    out = []
    for i in range(STEPS):
        g = rng.randn(*shape) * (1.0 if (i // 4) % 2 else -1.0) + 0.3 * rng.randn(*shape)
        if i % 5 == 0:
            g.flat[::3] = 0.0
        out.append(g)
    return out


GRADS_P, GRADS_Q = _grads(P0.shape, 1), _grads(Q0.shape, 2)

CASES = [
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.1, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))),
    ("Rprop", dict(lr=1e-3, etas=(0.9, 1.01), step_sizes=(0, 1e-3), maximize=True)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.05, lambd=1e-2, alpha=0.5, t0=5, weight_decay=0.1)),
    ("ASGD", dict(lr=0.02, t0=3, maximize=True)),
    ("ASGD", dict(lr=0.01, lambd=0.1, alpha=1.0, t0=0, weight_decay=1e-3)),
]
IDS = [f"{n}-{i}" for i, (n, _) in enumerate(CASES)]


def _run(lib, name, kwargs, dtype, steps=STEPS):
    p = lib.tensor(P0.astype(dtype), requires_grad=True)
    q = lib.tensor(Q0.astype(dtype), requires_grad=True)
    opt = getattr(lib.optim, name)([{"params": [p]}, {"params": [q], "lr": 0.003}], **kwargs)
    for gp, gq in zip(GRADS_P[:steps], GRADS_Q[:steps]):
        p.grad = lib.tensor(gp.astype(dtype))
        q.grad = lib.tensor(gq.astype(dtype))
        opt.step()
    return opt, [p, q]


def _plain(lib, opt, params):
    """Parameters and state tensors as (dtype, array), in order."""
    out = [(str(p.dtype), p.detach().numpy().copy()) for p in params]
    for p in params:
        for key, v in opt.state[p].items():
            out.append((key, str(v.dtype), v.detach().numpy().copy()))
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_bit_identical_to_torch_over_many_steps(name, kwargs, dtype):
    ot, pt = _run(torch, name, dict(kwargs, foreach=False), dtype)
    ol, pl = _run(leafgrad, name, kwargs, dtype)
    a, b = _plain(torch, ot, pt), _plain(leafgrad, ol, pl)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x[:-1] == y[:-1]
        assert x[-1].tobytes() == y[-1].tobytes(), (x[:-1], np.abs(x[-1] - y[-1]).max())


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_training_trajectory(name, kwargs):
    """A small MLP trained by both libraries: the losses and parameters agree (the matmuls round differently)."""
    from test_optim import run
    steps = 15 if kwargs.get("maximize") else 60
    pt, lt, _ = run(torch, name, dict(kwargs, foreach=False), steps)
    pl, ll, _ = run(leafgrad, name, kwargs, steps)
    np.testing.assert_allclose(ll, lt, rtol=1e-5, atol=1e-7)
    for a, b in zip(pl, pt):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["Rprop", "ASGD"])
def test_default_dtype_float64_state(name):
    out = []
    for lib in (torch, leafgrad):
        old = lib.get_default_dtype()
        lib.set_default_dtype(lib.float64)
        try:
            opt, params = _run(lib, name, dict(t0=2) if name == "ASGD" else {}, np.float32, steps=20)
            out.append(_plain(lib, opt, params))
        finally:
            lib.set_default_dtype(old)
    for x, y in zip(*out):
        assert x[:-1] == y[:-1]
        assert x[-1].tobytes() == y[-1].tobytes()


def _sd_plain(sd, lib):
    def conv(v):
        if isinstance(v, lib.Tensor):
            return ("T", str(v.dtype), tuple(v.shape), v.detach().numpy().tobytes())
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return type(v)(conv(x) for x in v)
        return v
    return conv(sd)


@pytest.mark.parametrize("name,kwargs", [("Rprop", {}), ("Rprop", dict(etas=(0.4, 1.1), maximize=True)),
                                         ("ASGD", {}), ("ASGD", dict(t0=2, weight_decay=0.01))])
def test_state_dict_layout_and_round_trip(name, kwargs):
    ot, _ = _run(torch, name, kwargs, np.float32, steps=5)
    ol, pl = _run(leafgrad, name, kwargs, np.float32, steps=5)
    st, sl = ot.state_dict(), ol.state_dict()
    assert _sd_plain(st, torch) == _sd_plain(sl, leafgrad)    # keys, order, dtypes, bits, param_groups
    # a fresh optimizer loaded from the state dict continues exactly as the original
    params2 = [leafgrad.tensor(p.detach().numpy().copy(), requires_grad=True) for p in pl]
    o2 = getattr(leafgrad.optim, name)([{"params": [params2[0]]}, {"params": [params2[1]], "lr": 0.003}], **kwargs)
    o2.load_state_dict(copy.deepcopy(sl))
    for o, ps in ((ol, pl), (o2, params2)):
        for gp, gq in zip(GRADS_P[5:15], GRADS_Q[5:15]):
            ps[0].grad = leafgrad.tensor(gp.astype(np.float32))
            ps[1].grad = leafgrad.tensor(gq.astype(np.float32))
            o.step()
    assert _sd_plain(ol.state_dict(), leafgrad) == _sd_plain(o2.state_dict(), leafgrad)
    for a, b in zip(pl, params2):
        assert a.detach().numpy().tobytes() == b.detach().numpy().tobytes()


@pytest.mark.parametrize("make", [
    lambda lib, p: lib.optim.Rprop(p),
    lambda lib, p: lib.optim.Rprop([{"params": p[:1]}, {"params": p[1:], "lr": 0.5, "etas": (0.1, 2.0)}],
                                   step_sizes=(1e-4, 1), foreach=False, capturable=False, differentiable=False),
    lambda lib, p: lib.optim.ASGD(p),
    lambda lib, p: lib.optim.ASGD([{"params": p[:1]}, {"params": p[1:], "t0": 10}], 0.1, 1e-3, 0.5, 100.0, 0.01,
                                  None, True, False, False),
])
def test_param_groups_and_repr(make):
    def run(lib):
        opt = make(lib, [lib.tensor([1.0, 2.0], requires_grad=True), lib.tensor([3.0], requires_grad=True)])
        return repr(opt), [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups], opt.defaults
    a, b = both(run)
    assert a == b


@pytest.mark.parametrize("call", [
    lambda lib, p: lib.optim.Rprop(p, lr=-0.1),
    lambda lib, p: lib.optim.Rprop(p, etas=(1.0, 1.2)),
    lambda lib, p: lib.optim.Rprop(p, etas=(0.0, 1.2)),
    lambda lib, p: lib.optim.Rprop(p, etas=(0.5, 1.0)),
    lambda lib, p: lib.optim.Rprop(p, lr=lib.tensor([0.1, 0.2])),
    lambda lib, p: lib.optim.Rprop(p, lr=lib.tensor(-0.1)),
    lambda lib, p: lib.optim.Rprop([], lr=0.1),
    lambda lib, p: lib.optim.ASGD(p, lr=-1e-3),
    lambda lib, p: lib.optim.ASGD(p, weight_decay=-0.5),
    lambda lib, p: lib.optim.ASGD(p, lr=lib.tensor([0.1, 0.2])),
    lambda lib, p: lib.optim.ASGD(p, lr=lib.tensor([-1.0], dtype=lib.float64)),
    lambda lib, p: lib.optim.ASGD(p[0]),
    lambda lib, p: lib.optim.ASGD([p[0] * 2]),
    lambda lib, p: lib.optim.SGD(p, lr=lib.tensor([0.1, 0.2])),
    lambda lib, p: lib.optim.SGD(p, lr=lib.tensor([-0.1])),
])
def test_constructor_errors(call):
    def run(lib):
        call(lib, [lib.tensor([1.0, 2.0], requires_grad=True), lib.tensor([3.0], requires_grad=True)])
    a, b = both(run)
    assert isinstance(a, Exception)
    assert_same(a, b)


@pytest.mark.parametrize("name", ["Rprop", "ASGD"])
def test_capturable_on_the_cpu_raises_as_torch_and_state_is_made(name):
    def run(lib):
        p = lib.tensor([1.0, 2.0], requires_grad=True)
        q = lib.tensor([3.0], requires_grad=True)
        opt = getattr(lib.optim, name)([p, q], capturable=True)
        p.grad, q.grad = lib.ones(2), lib.ones(1)
        try:
            opt.step()
        except AssertionError as e:
            return str(e), len(opt.state), p.tolist(), [str(v.dtype) for v in opt.state[q].values()]
    a, b = both(run)
    assert a == b and a is not None


@pytest.mark.parametrize("name", ["Rprop", "ASGD", "SGD", "Adagrad", "Adamax", "AdamW", "RAdam"])
def test_tensor_lr(name):
    def run(lib):
        p = lib.tensor(P0[0].astype(np.float32), requires_grad=True)
        opt = getattr(lib.optim, name)([p], lr=lib.tensor([0.05]), **({"foreach": False}))
        for g in GRADS_P[:30]:
            p.grad = lib.tensor(g[0].astype(np.float32))
            opt.step()
        return p.detach().numpy().tobytes(), {k: v.detach().numpy().tobytes() for k, v in opt.state[p].items()}
    a, b = both(run)
    assert a == b


def test_sgd_with_a_learning_rate_that_requires_grad():
    """SGD with a tensor lr that requires grad updates by addcmul_ (as torch): same bits."""
    def run(lib):
        p = lib.tensor(P0[0].astype(np.float32), requires_grad=True)
        lr = lib.tensor(0.05, requires_grad=True)
        opt = lib.optim.SGD([p], lr=lr, momentum=0.9)
        for g in GRADS_P[:5]:
            p.grad = lib.tensor(g[0].astype(np.float32))
            opt.step()
        return p.detach().numpy().tobytes()
    a, b = both(run)
    assert a == b


@pytest.mark.parametrize("name", ["Rprop", "ASGD"])
def test_params_without_grad_are_skipped_and_closure_loss(name):
    def run(lib):
        p = lib.tensor([1.0, -2.0], requires_grad=True)
        q = lib.tensor([3.0], requires_grad=True)
        opt = getattr(lib.optim, name)([p, q], lr=0.1)

        def closure():
            opt.zero_grad()
            loss = (p * p).sum()
            loss.backward()
            return loss
        losses = [opt.step(closure).item() for _ in range(4)]
        return losses, p.tolist(), q.tolist(), len(opt.state), sorted(opt.state[p].keys())
    a, b = both(run)
    assert a == b


# -- leafgrad.replay.capture: the captured step replays bit for bit (see tests/test_replay.py) --------------------

def _mlp(opt, dtype, **opt_kw):
    leafgrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 4)).to(dtype)
    optimizer = opt(model.parameters(), **opt_kw)

    def step(x, y):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss
    return model, optimizer, step


def _state_bits(model, opt):
    out = []
    for p in model.parameters():
        out += [p.detach().numpy().tobytes(), p.grad.numpy().tobytes()]
        out += [(k, str(v.dtype), v.numpy().tobytes()) for k, v in opt.state[p].items()]
    return out


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("opt,kw", [(leafgrad.optim.Rprop, {}),
                                    (leafgrad.optim.Rprop, dict(etas=(0.3, 1.5), step_sizes=(1e-4, 0.05),
                                                                maximize=True)),
                                    (leafgrad.optim.ASGD, {}),
                                    (leafgrad.optim.ASGD, dict(t0=4, weight_decay=0.1)),
                                    (leafgrad.optim.ASGD, dict(t0=0, lambd=0.1, maximize=True))])
def test_captured_step_replays_bit_for_bit(opt, kw, dtype):
    rng = np.random.default_rng(0)
    x = leafgrad.from_numpy(rng.standard_normal((8, 20)).astype(dtype))
    y = leafgrad.from_numpy(rng.integers(0, 4, 8))
    dtype = getattr(leafgrad, dtype)
    m1, o1, s1 = _mlp(opt, dtype, lr=1e-2, **kw)
    m2, o2, s2 = _mlp(opt, dtype, lr=1e-2, **kw)
    step = capture(s2)
    calls = 10
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(calls):
            leafgrad.manual_seed(100 + i)
            a = s1(x, y)
            leafgrad.manual_seed(100 + i)
            b = step(x, y)
            assert a.detach().numpy().tobytes() == b.detach().numpy().tobytes(), f"call {i}: losses differ"
            assert _state_bits(m1, o1) == _state_bits(m2, o2), f"call {i}: state differs"
    # warm-up, record, checked replay, then every call replays (ASGD with t0 switches to averaging
    # while replaying, which the step-count kernels follow)
    assert step.replays == calls - 3 and step.reason is None and not caught


@pytest.mark.filterwarnings("ignore::RuntimeWarning")    # NumPy's inf * 0 warning; torch warns nothing
@pytest.mark.parametrize("name", ["Rprop", "ASGD"])
def test_nan_and_inf_gradients(name):
    def run(lib):
        p = lib.tensor([1.0, -2.0, 0.5, 3.0, -1.0], requires_grad=True)
        opt = getattr(lib.optim, name)([p], lr=0.1, **({"t0": 1} if name == "ASGD" else {}))
        for g in ([1.0, -1.0, 0.0, 2.0, float("inf")], [float("nan"), 1.0, 1.0, -2.0, 1.0],
                  [1.0, 1.0, -1.0, -float("inf"), 0.0], [2.0, 3.0, 1.0, 1.0, 1.0]):
            p.grad = lib.tensor(g)
            opt.step()
        return p.detach().numpy().tobytes(), [v.numpy().tobytes() for v in opt.state[p].values()]
    a, b = both(run)
    assert a == b


def test_adadelta_tensor_lr_within_ulps():
    """Adadelta with a tensor lr follows torch; its float32 sqrt is torch's vectorized one,
    not always correctly rounded, so the last bits may differ (as with a float lr)."""
    def run(lib):
        p = lib.tensor(P0[0].astype(np.float32), requires_grad=True)
        opt = lib.optim.Adadelta([p], lr=lib.tensor([0.05]), foreach=False)
        for g in GRADS_P[:30]:
            p.grad = lib.tensor(g[0].astype(np.float32))
            opt.step()
        return p.detach().numpy()
    a, b = both(run)
    assert (np.abs(a - b) / np.spacing(np.abs(a))).max() <= 32
