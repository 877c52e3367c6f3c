"""Learning-rate schedules against torch.optim.lr_scheduler: same floats step by step."""
import warnings

import pytest
import torch

import leafgrad
import leafgrad.optim  # noqa: F401


def make_opt(lib, opt="SGD", groups=1, **kw):
    params = [lib.tensor([1.0, 2.0], requires_grad=True) for _ in range(groups)]
    if groups == 1:
        arg = params
    else:
        arg = [{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(params)]
    kw.setdefault("lr", 0.1)
    return params, getattr(lib.optim, opt)(arg, **kw)


def trace(lib, make_sched, steps=30, opt="SGD", groups=1, metrics=None, opt_kw=None):
    params, o = make_opt(lib, opt, groups, **(opt_kw or {}))
    sched = make_sched(lib.optim.lr_scheduler, o)
    out = [(sched.get_last_lr(), [dict((k, v) for k, v in g.items() if k != "params") for g in o.param_groups])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(steps):
            for p in params:
                p.grad = lib.ones_like(p)
            o.step()
            if metrics is None:
                sched.step()
            else:
                sched.step(metrics[i])
            out.append((sched.get_last_lr(), [dict((k, v) for k, v in g.items() if k != "params")
                                              for g in o.param_groups]))
    return out, sched


def sd_plain(sd):
    return {k: v for k, v in sd.items() if k not in ("_scale_fn_ref",) and not callable(v)}


CASES = [
    ("StepLR", lambda S, o: S.StepLR(o, step_size=3, gamma=0.5)),
    ("MultiStepLR", lambda S, o: S.MultiStepLR(o, milestones=[2, 5, 5, 11], gamma=0.3)),
    ("ExponentialLR", lambda S, o: S.ExponentialLR(o, gamma=0.93)),
    ("CosineAnnealingLR", lambda S, o: S.CosineAnnealingLR(o, T_max=7, eta_min=0.001)),
    ("CosineAnnealingLR0", lambda S, o: S.CosineAnnealingLR(o, T_max=10)),
    ("LambdaLR", lambda S, o: S.LambdaLR(o, lambda e: 0.95 ** e + 0.01 * e)),
    ("MultiplicativeLR", lambda S, o: S.MultiplicativeLR(o, lambda e: 0.97)),
    ("LinearLR", lambda S, o: S.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=8)),
    ("LinearLRdefault", lambda S, o: S.LinearLR(o)),
    ("ConstantLR", lambda S, o: S.ConstantLR(o, factor=0.4, total_iters=6)),
    ("PolynomialLR", lambda S, o: S.PolynomialLR(o, total_iters=12, power=2.0)),
    ("OneCycleLR", lambda S, o: S.OneCycleLR(o, max_lr=1.0, total_steps=30)),
    ("OneCycleLRlin3", lambda S, o: S.OneCycleLR(o, max_lr=0.5, epochs=3, steps_per_epoch=10, three_phase=True,
                                                 anneal_strategy="linear", pct_start=0.25)),
    ("CyclicLR", lambda S, o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4)),
    ("CyclicLR2", lambda S, o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=5,
                                          mode="triangular2")),
    ("CyclicLRexp", lambda S, o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3, mode="exp_range",
                                            gamma=0.9, cycle_momentum=False)),
    ("CosineAnnealingWarmRestarts", lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2, eta_min=0.01)),
    ("CosineAnnealingWarmRestarts1", lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=5)),
    ("SequentialLR", lambda S, o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=4),
                                                     S.ExponentialLR(o, gamma=0.9),
                                                     S.CosineAnnealingLR(o, T_max=6)], milestones=[5, 12])),
    ("ChainedScheduler", lambda S, o: S.ChainedScheduler([S.ConstantLR(o, factor=0.5, total_iters=3),
                                                          S.ExponentialLR(o, gamma=0.9)])),
]


@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("name,make", CASES, ids=[c[0] for c in CASES])
def test_sequence(name, make, groups):
    t, st = trace(torch, make, groups=groups)
    lg, sl = trace(leafgrad, make, groups=groups)
    assert t == lg
    assert type(st).__name__ == type(sl).__name__


@pytest.mark.parametrize("opt", ["Adam", "SGD"])
def test_onecycle_momentum(opt):
    kw = {"momentum": 0.9} if opt == "SGD" else {}
    mk = lambda S, o: S.OneCycleLR(o, max_lr=0.3, total_steps=20)  # noqa: E731
    assert trace(torch, mk, steps=20, opt=opt, opt_kw=kw)[0] == trace(leafgrad, mk, steps=20, opt=opt, opt_kw=kw)[0]


@pytest.mark.parametrize("kw", [dict(), dict(mode="max", threshold_mode="abs", patience=2, cooldown=1),
                                dict(factor=0.5, patience=1, min_lr=0.02), dict(threshold=0.1, eps=0.0)])
def test_reduce_on_plateau(kw):
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.94, 0.8, 0.8, 0.8, 0.81, 0.79, 0.79, 0.79, 0.79, 0.9] * 2
    mk = lambda S, o: S.ReduceLROnPlateau(o, **kw)  # noqa: E731
    t, st = trace(torch, mk, steps=len(metrics), metrics=metrics)
    lg, sl = trace(leafgrad, mk, steps=len(metrics), metrics=metrics)
    assert t == lg
    assert sd_plain(st.state_dict()) == sd_plain(sl.state_dict())


@pytest.mark.parametrize("name,make", [c for c in CASES if c[0] not in ("SequentialLR", "ChainedScheduler")],
                         ids=[c[0] for c in CASES if c[0] not in ("SequentialLR", "ChainedScheduler")])
def test_state_dict(name, make):
    _, st = trace(torch, make, steps=5)
    _, sl = trace(leafgrad, make, steps=5)
    a, b = sd_plain(st.state_dict()), sd_plain(sl.state_dict())
    a.pop("lr_lambdas", None), b.pop("lr_lambdas", None)
    assert a == b
    # resume: a new scheduler loaded from the state continues identically
    _, o = make_opt(leafgrad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s2 = make(leafgrad.optim.lr_scheduler, o)
        s2.load_state_dict(sl.state_dict())
        for g, h in zip(o.param_groups, sl.optimizer.param_groups):
            g.update({k: v for k, v in h.items() if k != "params"})
        for _ in range(5):
            s2.step()
            sl.step()
    assert s2.get_last_lr() == sl.get_last_lr()


def test_step_with_epoch_uses_closed_form():
    out = []
    for lib in (torch, leafgrad):
        _, o = make_opt(lib)
        s = lib.optim.lr_scheduler.StepLR(o, 2, 0.5)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            s.step(7)
        out.append((s.get_last_lr(), s.last_epoch, [str(x.message)[:40] for x in w]))
    assert out[0] == out[1]


def test_warnings_order():
    for lib in (torch, leafgrad):
        _, o = make_opt(lib)
        s = lib.optim.lr_scheduler.ExponentialLR(o, 0.9)
        with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before"):
            s.step()


@pytest.mark.parametrize("make", [
    lambda S, o: S.ConstantLR(o, factor=2.0),
    lambda S, o: S.LinearLR(o, start_factor=0),
    lambda S, o: S.LinearLR(o, end_factor=1.5),
    lambda S, o: S.ReduceLROnPlateau(o, factor=1.0),
    lambda S, o: S.ReduceLROnPlateau(o, mode="avg"),
    lambda S, o: S.ReduceLROnPlateau(o, threshold_mode="x"),
    lambda S, o: S.OneCycleLR(o, max_lr=0.1),
    lambda S, o: S.OneCycleLR(o, max_lr=0.1, total_steps=0),
    lambda S, o: S.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="exp"),
    lambda S, o: S.OneCycleLR(o, max_lr=[0.1, 0.2], total_steps=10),
    lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=0),
    lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
    lambda S, o: S.SequentialLR(o, [S.StepLR(o, 2)], milestones=[3]),
    lambda S, o: S.SequentialLR(o, [], milestones=[]),
    lambda S, o: S.LambdaLR(o, [lambda e: 1.0, lambda e: 1.0]),
    lambda S, o: S.StepLR(object(), 2),
    lambda S, o: S.StepLR(o, 2, last_epoch=3),
])
def test_errors(make):
    out = []
    for lib in (torch, leafgrad):
        _, o = make_opt(lib)
        try:
            make(lib.optim.lr_scheduler, o)
            out.append(None)
        except Exception as e:  # noqa: BLE001
            out.append((type(e).__name__, str(e)))
    assert out[0] == out[1]


def test_onecycle_too_many_steps():
    _, o = make_opt(leafgrad)
    s = leafgrad.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s.step()
        s.step()
        with pytest.raises(ValueError, match="Tried to step 3 times. The specified number of total steps is 2"):
            s.step()
