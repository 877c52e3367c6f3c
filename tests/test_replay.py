"""leafgrad.replay.capture: a replayed step gives exactly what the eager step gives.

Every test runs the same step twice side by side, eagerly and through ``capture``, on
separate but identical models, and compares losses, parameters, gradients and
optimizer state bit for bit after each call; and checks that the replay was actually
used (``replays``) or, where it must not be, that the step fell back to eager mode with
the reason. PyTorch is the oracle of the eager step elsewhere; one test here compares
a replayed training run with torch's numbers directly.
"""
import re
import warnings

import numpy as np
import pytest

import leafgrad
from leafgrad.replay import capture
from conftest import torch

nn, F = leafgrad.nn, leafgrad.nn.functional


def _arrays(t):
    return None if t is None else np.array(t.detach().numpy(), copy=True)


def _bits(a, b):
    if a is None or b is None:
        return a is None and b is None
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _state(model, opt=None):
    out = []
    for p in model.parameters():
        out += [_arrays(p), _arrays(p.grad)]
    if opt is not None:
        for p in model.parameters():
            for v in opt.state.get(p, {}).values():
                out.append(_arrays(v) if isinstance(v, leafgrad.Tensor) else v)
    return out


def _same_state(s1, s2):
    return len(s1) == len(s2) and all(_bits(a, b) if isinstance(a, np.ndarray) or a is None else a == b
                                      for a, b in zip(s1, s2))


def _mlp(seed=0, dropout=0.0, opt=leafgrad.optim.SGD, **opt_kw):
    leafgrad.manual_seed(seed)
    layers = [nn.Linear(20, 16), nn.ReLU()] + ([nn.Dropout(dropout)] if dropout else []) + [nn.Linear(16, 4)]
    model = nn.Sequential(*layers)
    optimizer = opt(model.parameters(), **opt_kw)

    def step(x, y):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss
    return model, optimizer, step


def _data(n=8, seed=0):
    rng = np.random.default_rng(seed)
    return (leafgrad.from_numpy(rng.standard_normal((n, 20)).astype(np.float32)),
            leafgrad.from_numpy(rng.integers(0, 4, n)))


def _run_side_by_side(make, calls, between=None):
    """Run ``calls`` (lists of args) through an eager and a captured copy of the step made
    by ``make()``; compare everything after each call. Returns the Captured step."""
    m1, o1, s1 = make()
    m2, o2, s2 = make()
    step = capture(s2)
    for i, args in enumerate(calls):
        if between is not None:
            between(i, m1, o1)
            between(i, m2, o2)
        leafgrad.manual_seed(100 + i)
        a = s1(*args)
        leafgrad.manual_seed(100 + i)
        b = step(*args)
        assert _bits(_arrays(a), _arrays(b)), f"call {i}: results differ"
        assert _same_state(_state(m1, o1), _state(m2, o2)), f"call {i}: state differs"
    return step


@pytest.mark.parametrize("opt_kw", [dict(lr=0.1), dict(lr=0.1, momentum=0.9),
                                    dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
                                    dict(lr=0.1, momentum=0.5, dampening=0.1, maximize=True)])
def test_sgd_training_replays_bit_for_bit(opt_kw):
    x, y = _data()
    step = _run_side_by_side(lambda: _mlp(**opt_kw), [(x, y)] * 10)
    assert step.replays == 7 and step.reason is None   # warm-up, record, checked replay, then 7


def test_dropout_draws_the_same_numbers_on_replay():
    x, y = _data()
    step = _run_side_by_side(lambda: _mlp(dropout=0.3, lr=0.1, momentum=0.9), [(x, y)] * 8)
    assert step.replays == 5


@pytest.mark.parametrize("opt, kw", [(leafgrad.optim.RMSprop, {}), (leafgrad.optim.Adam, {}),
                                     (leafgrad.optim.Adam, dict(amsgrad=True, weight_decay=0.1)),
                                     (leafgrad.optim.AdamW, {}), (leafgrad.optim.Adagrad, dict(lr_decay=0.01)),
                                     (leafgrad.optim.Adamax, {}), (leafgrad.optim.NAdam, {}),
                                     (leafgrad.optim.NAdam, dict(weight_decay=0.1, decoupled_weight_decay=True)),
                                     (leafgrad.optim.RAdam, {}), (leafgrad.optim.RAdam, dict(betas=(0.9, 0.99))),
                                     (leafgrad.optim.Adadelta, dict(weight_decay=0.1)),
                                     (leafgrad.optim.RMSprop, dict(centered=True, momentum=0.5))])
def test_other_optimizers_replay_with_the_same_numbers(opt, kw):
    x, y = _data()
    calls = 12 if opt is leafgrad.optim.RAdam else 8   # (RAdam's rectified update starts at step 6)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        step = _run_side_by_side(lambda: _mlp(dropout=0.2, opt=opt, lr=1e-2, **kw), [(x, y)] * calls)
    assert step.replays == calls - 3 and not caught


def test_forward_backward_captured_and_radam_step_eager():
    x, y = _data()

    def make():
        model, opt, _ = _mlp(opt=leafgrad.optim.RAdam, lr=1e-2)

        def fb(x, y):
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            return loss
        captured = capture(fb)

        def step(x, y, run=fb):
            opt.zero_grad()
            loss = run(x, y)
            opt.step()
            return loss
        return model, opt, step, captured

    m1, o1, s1, _ = make()
    m2, o2, s2, fb2 = make()
    for _ in range(8):
        assert _bits(_arrays(s1(x, y)), _arrays(s2(x, y, fb2)))
        assert _same_state(_state(m1, o1), _state(m2, o2))
    assert fb2.replays == 5


def test_hvp_with_create_graph_replays():
    rng = np.random.default_rng(2)
    W = leafgrad.from_numpy((rng.standard_normal((16, 16)) / 4).astype(np.float32))
    v = leafgrad.from_numpy(rng.standard_normal(16).astype(np.float32))

    def hvp(x):
        g, = leafgrad.autograd.grad((W @ x).tanh().pow(2).sum(), x, create_graph=True)
        hv, = leafgrad.autograd.grad(g @ v, x)
        return g.detach(), hv
    step = capture(hvp)
    for i in range(6):
        x = leafgrad.from_numpy(rng.standard_normal(16).astype(np.float32)).requires_grad_()
        for a, b in zip(hvp(x), step(x)):
            assert _bits(_arrays(a), _arrays(b))
    assert step.replays == 3


def test_long_chain_and_leaf_grad_set_inside_the_step():
    def chain(x):
        x.grad = None
        y = x
        for _ in range(50):
            y = (y * 1.0001 + 0.001).tanh() - 0.0001
        y.sum().backward()
        return x.grad
    x1 = leafgrad.linspace(-1, 1, 8).requires_grad_()
    x2 = leafgrad.linspace(-1, 1, 8).requires_grad_()
    step = capture(chain)
    for _ in range(5):
        assert _bits(_arrays(chain(x1)), _arrays(step(x2)))
        assert _bits(_arrays(x1.grad), _arrays(x2.grad))
    assert step.replays == 2
    assert step.code.startswith("def replay(tensors):") and "tanh_backward(" in step.code


def test_lenet_conv_step_replays():
    def make():
        leafgrad.manual_seed(3)
        c1, c2, f1 = nn.Conv2d(1, 4, 3), nn.Conv2d(4, 6, 3), nn.Linear(6 * 2 * 2, 5)
        params = [p for m in (c1, c2, f1) for p in m.parameters()]
        opt = leafgrad.optim.SGD(params, lr=0.05, momentum=0.9)
        model = nn.ModuleList([c1, c2, f1])

        def step(x, y):
            opt.zero_grad()
            h = F.max_pool2d(F.relu(c1(x)), 2)
            h = F.relu(c2(h))
            loss = F.cross_entropy(f1(h.flatten(1)), y)
            loss.backward()
            opt.step()
            return loss
        return model, opt, step
    rng = np.random.default_rng(4)
    x = leafgrad.from_numpy(rng.standard_normal((3, 1, 10, 10)).astype(np.float32))
    y = leafgrad.from_numpy(rng.integers(0, 5, 3))
    assert _run_side_by_side(make, [(x, y)] * 6).replays == 3


def test_layer_norm_gelu_from_primitives_replays():
    rng = np.random.default_rng(5)

    def make():
        x = leafgrad.from_numpy(rng.standard_normal((4, 6)).astype(np.float32)).requires_grad_()
        g = leafgrad.ones(6, requires_grad=True)
        b = leafgrad.zeros(6, requires_grad=True)
        holder = nn.ParameterList([nn.Parameter(x.detach()), nn.Parameter(g.detach()), nn.Parameter(b.detach())])
        x, g, b = holder

        def step():
            x.grad = g.grad = b.grad = None
            mu = x.mean(-1, keepdim=True)
            xc = x - mu
            r = ((xc * xc).mean(-1, keepdim=True) + 1e-5).rsqrt()
            h = xc * r * g + b
            o = 0.5 * h * (1 + (0.79788456 * (h + 0.044715 * h * h * h)).tanh())
            loss = (o * o).mean()
            loss.backward()
            return loss
        return holder, None, step
    rng = np.random.default_rng(5)
    m1, _, s1 = make()
    rng = np.random.default_rng(5)
    m2, _, s2 = make()
    step = capture(s2)
    for _ in range(5):
        assert _bits(_arrays(s1()), _arrays(step()))
        assert _same_state(_state(m1), _state(m2))
    assert step.replays == 2


# ---------------------------------------------------------------- reused buffers for large temporaries
def _big(seed, shape=(64, 512)):
    return leafgrad.from_numpy(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


def _step_with_large_temporaries(w):
    def step(x):
        w.grad = None
        a = x * w                       # large temporaries: they live in reused buffers
        b = (a * a + 1.0).tanh()
        out = (b * 3.0 - a).t().mean() + (b * 2.0).sum() * 1e-3
        out.backward()
        return out, b.detach(), (b + 1.0).t()   # results and views of them: never in a buffer
    return step


def test_large_temporaries_live_in_reused_buffers_and_results_do_not():
    w1, w2 = nn.Parameter(_big(1)), nn.Parameter(_big(1))
    eager, captured = _step_with_large_temporaries(w1), capture(_step_with_large_temporaries(w2))
    kept = []
    for k in range(6):
        x = _big(10 + k)
        want, got = eager(x), captured(x)
        assert all(_bits(_arrays(a), _arrays(b)) for a, b in zip(want, got)), f"call {k}"
        assert _bits(_arrays(w1.grad), _arrays(w2.grad)), f"call {k}"
        kept.append((got, [_arrays(t) for t in got], w2.grad, _arrays(w2.grad)))
    assert captured.replays == 3
    code = captured.code
    assert "out=buffer" in code
    # fewer buffers than large results: they are shared by arrays whose lives do not overlap
    assert len(set(re.findall(r"out=(buffer\w*)", code))) < code.count("out=buffer")
    for got, values, grad, grad_value in kept:   # later replays wrote nothing into earlier results
        assert all(_bits(_arrays(t), v) for t, v in zip(got, values)) and _bits(_arrays(grad), grad_value)


def test_a_view_keeps_the_buffer_it_shows_taken():
    def step(x):
        a = x * 2.0
        v = a.t()                       # a view of a buffer: it stays taken while v is read
        c = (a * a + 1.0).tanh() - a    # the last direct use of a: the new temporaries ...
        d = (c * c) * 0.5 + c           # ... here must not take a's buffer, which v still shows
        return (d * v.t()).sum(), (v * 3.0).sum()
    captured = capture(step)
    for k in range(5):
        x = _big(20 + k)
        assert all(_bits(_arrays(a), _arrays(b)) for a, b in zip(step(x), captured(x))), f"call {k}"
    assert captured.replays == 2 and "out=buffer" in captured.code


def test_in_place_writes_into_views_and_setitem_replay():
    """An in-place op on a view rewrites the base's history (CopySlices): its mask is a
    constant of the graph and its backward is noted, so such steps replay."""
    def step_with(w):
        def step(x):
            w.grad = None
            h = x * w
            h[0] = 0.0                      # setitem with a number
            v = h[:, :4]
            v.mul_(2.0)                     # in place on a view
            out = (h * h).tanh().sum() + v.sum()
            out.backward()
            return out.detach(), h.detach()
        return step
    rng = np.random.default_rng(3)
    w1 = nn.Parameter(leafgrad.from_numpy(rng.standard_normal((5, 8)).astype(np.float32)))
    w2 = nn.Parameter(w1.detach().clone())
    eager, captured = step_with(w1), capture(step_with(w2))
    for k in range(6):
        x = leafgrad.from_numpy(rng.standard_normal((5, 8)).astype(np.float32))
        assert all(_bits(_arrays(a), _arrays(b)) for a, b in zip(eager(x), captured(x))), f"call {k}"
        assert _bits(_arrays(w1.grad), _arrays(w2.grad)), f"call {k}"
    assert captured.replays == 3 and captured.reason is None


# ---------------------------------------------------------------- guards: the step runs eagerly again
def test_a_new_batch_shape_gets_its_own_tape():
    big, small = _data(8), _data(3, seed=1)
    step = _run_side_by_side(lambda: _mlp(lr=0.1, momentum=0.9), [big, big, big, small, big, small, small, big,
                                                                  small, small])
    assert step.replays == 4   # each shape: warm-up, record, checked replay, then two replays


def test_learning_rate_changes_are_seen():
    x, y = _data()

    def between(i, model, opt):
        if i == 5:
            for g in opt.param_groups:
                g["lr"] = 0.01
    step = _run_side_by_side(lambda: _mlp(lr=0.1, momentum=0.9), [(x, y)] * 10, between)
    assert step.replays == 5   # calls 3, 4; the step is recorded again at call 5, checked at 6; 7-9


@pytest.mark.parametrize("change", ["state tensor", "state key", "group key", "group number", "params in place",
                                    "new group"])
def test_optimizer_changes_are_seen(change):
    """The optimizer guard sees every change to what the tape baked in: a state tensor
    swapped for another, a key added, a hyperparameter changed in type, the params list
    edited in place, a new param group."""
    x, y = _data()

    def between(i, model, opt):
        if i != 5:
            return
        g = opt.param_groups[0]
        p = g["params"][0]
        if change == "state tensor":
            opt.state[p]["momentum_buffer"] = opt.state[p]["momentum_buffer"].clone()
        elif change == "state key":
            opt.state[p]["note"] = 1
        elif change == "group key":
            g["note"] = 1
        elif change == "group number":
            g["momentum"] = 0.5
        elif change == "params in place":
            g["params"][:] = g["params"][::-1]
        else:
            last = model[-1]
            g["params"][:] = [q for q in g["params"] if all(q is not r for r in last.parameters())]
            opt.add_param_group({"params": list(last.parameters()), "lr": 0.05})
    step = _run_side_by_side(lambda: _mlp(lr=0.1, momentum=0.9), [(x, y)] * 10, between)
    assert step.replays == 5   # calls 3, 4; the step is recorded again at call 5, checked at 6; 7-9


@pytest.mark.parametrize("change", ["state dict", "lr type"])
def test_optimizer_objects_replaced_are_seen(change):
    """A per-parameter state dict replaced by an equal copy, a hyperparameter replaced by
    an equal value of another type: the tape is recorded again."""
    x, y = _data()

    def between(i, model, opt):
        if i != 5:
            return
        g = opt.param_groups[0]
        if change == "state dict":
            p = g["params"][0]
            opt.state[p] = dict(opt.state[p])
        else:
            g["lr"] = np.float64(g["lr"])
    step = _run_side_by_side(lambda: _mlp(lr=0.1, momentum=0.9), [(x, y)] * 10, between)
    assert step.replays == 5


def test_an_equal_hyperparameter_keeps_the_tape():
    """A scheduler that sets the same learning rate again (a new float object of the same
    value) changes nothing the tape baked in: it keeps replaying. The guards are Python
    source too (``Captured.guards``)."""
    x, y = _data()

    def between(i, model, opt):
        if i >= 4:
            opt.param_groups[0]["lr"] = float(repr(0.1))   # (a new object, not the one the guard holds)
    step = _run_side_by_side(lambda: _mlp(lr=0.1, momentum=0.9), [(x, y)] * 10, between)
    assert step.replays == 7   # calls 3-9
    assert "'lr'" in step.guards and "momentum_buffer" in step.guards


def test_a_tensor_learning_rate_runs_eagerly():
    """SGD with a tensor lr passes it as add_'s alpha, a number: a tape would keep its value,
    so the step runs eagerly from then on (with the same results), and says why."""
    x, y = _data()

    def between(i, model, opt):
        if i == 5:
            opt.param_groups[0]["lr"] = leafgrad.tensor(0.05)
    with pytest.warns(UserWarning, match="tensor as the number argument alpha= of add"):
        step = _run_side_by_side(lambda: _mlp(lr=0.1, momentum=0.9), [(x, y)] * 10, between)
    assert step.replays == 2 and "alpha" in step.reason


def test_lr_scheduler_with_replayed_steps():
    x, y = _data()
    m1, o1, s1 = _mlp(lr=0.1)
    m2, o2, s2 = _mlp(lr=0.1)
    sch1 = leafgrad.optim.lr_scheduler.StepLR(o1, step_size=3, gamma=0.5)
    sch2 = leafgrad.optim.lr_scheduler.StepLR(o2, step_size=3, gamma=0.5)
    step = capture(s2)
    for _ in range(12):
        assert _bits(_arrays(s1(x, y)), _arrays(step(x, y)))
        sch1.step()
        sch2.step()
        assert _same_state(_state(m1, o1), _state(m2, o2))
    assert step.replays > 0


def test_train_and_eval_modes_are_seen():
    x, y = _data()

    def between(i, model, opt):
        model.train(i % 4 != 3)
    _run_side_by_side(lambda: _mlp(dropout=0.5, lr=0.1), [(x, y)] * 12, between)


def test_replacing_a_parameter_array_is_seen():
    x, y = _data()

    def between(i, model, opt):
        if i == 5:
            with leafgrad.no_grad():
                model[0].weight.data = model[0].weight.data * 0.5
    step = _run_side_by_side(lambda: _mlp(lr=0.1), [(x, y)] * 9, between)
    assert step.replays > 0


def test_grads_kept_between_calls_accumulate_as_eager():
    x, y = _data()

    def make():
        model, opt, _ = _mlp(lr=0.1)

        def fb(x, y):
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            return loss
        return model, opt, fb

    def between(i, model, opt):
        if i % 3 == 0:
            opt.zero_grad(set_to_none=i % 2 == 0)
    _run_side_by_side(make, [(x, y)] * 12, between)


def test_grad_mode_is_part_of_the_signature():
    model = nn.Linear(3, 2)
    step = capture(lambda x: model(x) * 2)
    x = leafgrad.ones(1, 3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(4):      # results that require grad: a replay could not give them a graph
            assert step(x).requires_grad and step(x).grad_fn is not None
    assert "requires grad" in step.reason and len(caught) == 1
    with leafgrad.no_grad():    # under no_grad the same function replays
        for _ in range(4):
            out = step(x)
        assert step.reason is None
        assert _bits(_arrays(out), _arrays(model(x) * 2)) and step.replays == 1


# ---------------------------------------------------------------- what cannot be replayed runs eagerly
def _falls_back(fn, args, calls=5, reason=None):
    step = capture(fn)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outs = [step(*args) for _ in range(calls)]
    assert step.replays == 0
    assert reason in step.reason
    assert sum("runs eagerly" in str(w.message) for w in caught) == 1
    return outs


def test_a_value_read_mid_step_makes_it_eager():
    w = leafgrad.ones(3, requires_grad=True)

    def step(x):
        s = (w * x).sum()
        if s.item() > 0:       # control flow on data
            s = s * 2
        s.backward()
        return s
    _falls_back(step, (leafgrad.ones(3),), reason="item()")


def test_reading_the_result_at_the_end_is_fine():
    w = leafgrad.ones(3, requires_grad=True)

    def step(x):
        w.grad = None
        s = (w * x).sum()
        s.backward()
        s.item()
        return s
    step_c = capture(step)
    for _ in range(5):
        step_c(leafgrad.ones(3))
    assert step_c.replays == 2


def test_hooks_make_it_eager():
    w = leafgrad.ones(3, requires_grad=True)
    w.register_hook(lambda g: g * 2)

    def step(x):
        w.grad = None
        (w * x).sum().backward()
        return w.grad
    outs = _falls_back(step, (leafgrad.ones(3),), reason="hook")
    assert outs[-1].tolist() == [2.0, 2.0, 2.0]


def test_non_tensor_results_make_it_eager():
    w = leafgrad.ones(3, requires_grad=True)
    _falls_back(lambda x: float((w * x).sum().detach()), (leafgrad.ones(3),), reason="returns a float")


def test_arrays_computed_outside_the_ops_make_it_eager():
    w = leafgrad.ones(3, requires_grad=True)

    def step(x):
        w.grad = None
        scaled = leafgrad.from_numpy(x.numpy() * 2)     # NumPy work the tape cannot see
        (w * scaled).sum().backward()
        return w.grad
    _falls_back(step, (leafgrad.ones(3),), reason="outside the recorded ops")


def test_the_checked_replay_catches_hidden_writes():
    w = leafgrad.ones(3, requires_grad=True)
    counter = leafgrad.zeros(3)

    def step(x):
        counter.numpy()[:] += 1          # an in-place NumPy write the tape cannot see
        w.grad = None
        (w * x * counter).sum().backward()
        return w.grad
    outs = _falls_back(step, (leafgrad.ones(3),), reason="did not reproduce")
    assert outs[-1].tolist() == [5.0, 5.0, 5.0]


def test_inside_a_transform_it_runs_eagerly():
    f = capture(lambda x: (x * x).sum())
    g = leafgrad.func.grad(f)
    for _ in range(4):
        assert g(leafgrad.tensor([1.0, 2.0])).tolist() == [2.0, 4.0]
    assert f.replays == 0


def test_bad_arguments():
    with pytest.raises(TypeError, match="expects a function"):
        capture(3)
    with pytest.raises(ValueError, match="warmup"):
        capture(lambda: None, warmup=-1)
    assert capture(warmup=0)(lambda: leafgrad.ones(2)).warmup == 0


# ---------------------------------------------------------------- against torch
@pytest.mark.skipif(torch is None, reason="needs torch")
def test_replayed_training_matches_torch():
    rng = np.random.default_rng(7)
    W1, b1 = rng.standard_normal((16, 20)).astype(np.float32) * 0.2, np.zeros(16, np.float32)
    W2, b2 = rng.standard_normal((4, 16)).astype(np.float32) * 0.2, np.zeros(4, np.float32)
    X, Y = rng.standard_normal((8, 20)).astype(np.float32), rng.integers(0, 4, 8)

    def run(lib, wrap):
        model = lib.nn.Sequential(lib.nn.Linear(20, 16), lib.nn.ReLU(), lib.nn.Linear(16, 4))
        with lib.no_grad():
            for p, v in zip(model.parameters(), (W1, b1, W2, b2)):
                p.copy_(lib.from_numpy(v))
        opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

        def step(x, y):
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss
        step = wrap(step)
        x, y = lib.from_numpy(X), lib.from_numpy(Y)
        losses = [step(x, y).item() for _ in range(10)]
        return losses, [p.detach().numpy().copy() for p in model.parameters()]

    l_t, p_t = run(torch, lambda f: f)
    l_e, p_e = run(leafgrad, lambda f: f)
    l_r, p_r = run(leafgrad, capture)
    assert l_r == l_e and all(_bits(a, b) for a, b in zip(p_e, p_r))
    # (eager leafgrad and torch may differ in the last bit: their BLAS sum in different orders)
    np.testing.assert_allclose(l_r, l_t, rtol=1e-6)
    for a, b in zip(p_r, p_t):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_grads_reach_the_argument_tensors_of_each_call():
    def forward_backward(x):
        (x * x).sum().backward()
        return x.grad
    step = capture(forward_backward)
    for i in range(6):
        x = leafgrad.tensor([1.0, float(i)], requires_grad=True)
        g = step(x)
        assert x.grad is not None and x.grad.tolist() == [2.0, 2.0 * i] == g.tolist()
    assert step.replays == 3


def test_assigning_data_makes_it_eager():
    w = leafgrad.ones(3, requires_grad=True)

    def step(x):
        w.data = w.data * 1.0
        w.grad = None
        (w * x).sum().backward()
        return w.grad
    _falls_back(step, (leafgrad.ones(3),), reason=".data")


@pytest.mark.parametrize("select", [lambda x, m: x.masked_select(m), lambda x, m: x[m],
                                    lambda x, m: x[m.nonzero(as_tuple=True)],
                                    lambda x, m: x * (x.detach() > 0).unique().sum()])
def test_results_whose_shape_depends_on_data_make_it_eager(select):
    w = leafgrad.ones(6, requires_grad=True)

    def step(x, m):
        w.grad = None
        select(w * x, m).sum().backward()
        return w.grad
    step_c = capture(step)
    rng = np.random.default_rng(0)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        for _ in range(6):
            x = leafgrad.from_numpy(rng.standard_normal(6).astype(np.float32))
            m = leafgrad.from_numpy(rng.random(6) > 0.5)
            assert _bits(_arrays(step_c(x, m)), _arrays(step(x, m)))
    assert step_c.replays == 0 and step_c.reason


def test_index_tensors_are_inputs_of_the_tape():
    w = leafgrad.ones(5, requires_grad=True)

    def step(x, idx):
        w.grad = None
        (w * x)[idx].sum().backward()
        return w.grad
    step_c = capture(step)
    x = leafgrad.arange(5.0)
    for k in range(6):
        idx = leafgrad.tensor([k % 5, (k + 2) % 5])
        assert _bits(_arrays(step_c(x, idx)), _arrays(step(x, idx)))
    assert step_c.replays == 3


@pytest.mark.parametrize("as_kernel", [True, False])
def test_a_kernel_of_ones_own_is_replayed_and_plain_numpy_is_refused(as_kernel):
    from leafgrad.replay import kernel

    def clip_inplace(a, lo, hi):
        np.clip(a, lo, hi, out=a)
    clip = kernel(clip_inplace) if as_kernel else clip_inplace

    def make():
        model, opt, _ = _mlp(lr=0.5)

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            for p in model.parameters():
                clip(p.detach().numpy(), -0.2, 0.2)
            return loss
        return model, opt, step
    x, y = _data()
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        step = _run_side_by_side(make, [(x, y)] * 6)
    if as_kernel:
        assert step.replays == 3
    else:   # the check finds what the tape did not see
        assert step.replays == 0 and "did not reproduce" in step.reason


def test_embedding_and_batch_norm_with_running_statistics_replay():
    def make():
        leafgrad.manual_seed(0)
        emb, bn, lin = nn.Embedding(10, 4), nn.BatchNorm1d(4), nn.Linear(4, 3)
        model = nn.ModuleList([emb, bn, lin])
        opt = leafgrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

        def step(idx, y):
            opt.zero_grad()
            loss = F.cross_entropy(lin(bn(emb(idx).mean(1))), y)
            loss.backward()
            opt.step()
            return loss
        return model, opt, step
    m1, _, s1 = make()
    m2, _, s2 = make()
    step = capture(s2)
    rng = np.random.default_rng(0)
    for i in range(7):
        idx, y = leafgrad.from_numpy(rng.integers(0, 10, (5, 3))), leafgrad.from_numpy(rng.integers(0, 3, 5))
        if i == 5:
            m1.eval()
            m2.eval()
        assert _bits(_arrays(s1(idx, y)), _arrays(step(idx, y)))
        assert all(_bits(_arrays(a), _arrays(b)) for a, b in zip(m1.state_dict().values(), m2.state_dict().values()))
    assert step.replays == 2   # calls 3 and 4; eval() at call 5 makes it record again, checked at 6


def test_many_kinds_of_arguments_stop_new_recordings():
    w = leafgrad.ones(3, requires_grad=True)

    def step(x, scale):
        w.grad = None
        (w * x * scale).sum().backward()
        return w.grad
    c = capture(step)
    for i in range(40):   # a new Python number each call: a new signature each call
        assert _bits(_arrays(c(leafgrad.ones(3), float(i))), _arrays(step(leafgrad.ones(3), float(i))))
    assert len(c._entries) == c.MAX_SIGNATURES and "kinds" in c.reason
