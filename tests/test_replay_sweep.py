"""The replay sweep: every sample of every declared op, in a captured step.

Per sample, a step computes the op on its inputs, then the gradient of a fixed weighted
sum of its float outputs with respect to the inputs that require grad (a plain
backward), and returns the outputs and gradients. The step runs through
``leafgrad.replay.capture`` (no warm-up: record, checked replay, replays) and eagerly,
each call on *new values* of the same shapes, and both must give the same bits.

The replays write every ufunc result that does not outlive the step into the tape's
reused buffers (the size threshold is set to 0 here), so that path is checked on every
op too.

Most ops replay; those the tape cannot replay (a result whose shape depends on the data,
an array made outside the recorded ops) must run eagerly instead, with the reason. The
replayed fraction is checked too, so that a change that quietly stops the replay of
common ops fails here.
"""
import warnings
import zlib

import numpy as np
import pytest

import leafgrad
from leafgrad.ops import REGISTRY
from leafgrad.replay import capture, _Program
from test_ops_sweep import Case, _materialise, _outs, _path, _resolve

CALLS = 3
replayed, eager = set(), {}


def _ids():
    return [pytest.param(name, i, id=f"{name}-{i}") for name, spec in REGISTRY.items()
            for i in range(len(spec.samples))]


def _step_for(case):
    fn = _resolve(leafgrad, _path(case.spec, case.sample))

    def step(*inputs):
        grads = []

        def make(i, ph):
            t = inputs[i]
            if ph.grad:
                t = t.detach().requires_grad_()   # a fresh leaf per call, as the eager step
                grads.append(t)
            return t
        out = case.call(fn, *case.fill(make))
        outs = [o for o in _outs(out) if isinstance(o, leafgrad.Tensor)]
        diff = [o for o in outs if o.dtype.is_floating_point and o.requires_grad]
        result = [o.detach() for o in outs]
        if diff and grads:
            loss = sum((o * (1.0 + 0.1 * leafgrad.arange(o.numel(), dtype=o.dtype).reshape(o.shape))).sum()
                       for o in diff)
            gs = leafgrad.autograd.grad(loss, grads, allow_unused=True)
            result += [g for g in gs if g is not None]
        return tuple(result)
    return step


def _same(a, b):
    a, b = a.detach().numpy(), b.detach().numpy()
    return a.dtype == b.dtype and a.shape == b.shape and np.ascontiguousarray(a).tobytes() == \
        np.ascontiguousarray(b).tobytes()


@pytest.fixture(autouse=True)
def _buffers_for_every_size(monkeypatch):
    monkeypatch.setattr(_Program, "BUFFER_BYTES", 0)


@pytest.mark.parametrize("name, idx", _ids())
def test_replayed_sample(name, idx):
    case = Case(name, idx)
    step = _step_for(case)
    captured = capture(step, warmup=0)
    rng = np.random.default_rng(zlib.crc32(f"replay/{name}/{idx}".encode()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in range(CALLS):
            arrays = case.arrays if k == 0 else [_materialise(ph, rng) for ph in case.phs]
            try:
                want = step(*[leafgrad.tensor(np.array(a, copy=True)) for a in arrays])
            except Exception as e:   # noqa: BLE001 - new values may be invalid for the op
                with pytest.raises(type(e)):
                    captured(*[leafgrad.tensor(np.array(a, copy=True)) for a in arrays])
                continue
            got = captured(*[leafgrad.tensor(np.array(a, copy=True)) for a in arrays])
            assert len(want) == len(got)
            for i, (a, b) in enumerate(zip(want, got)):
                assert _same(a, b), f"call {k}: result {i} differs"
    if captured.replays:
        replayed.add(name)
    else:
        assert captured.reason, "the step neither replayed nor said why"
        eager[name] = captured.reason


def test_most_ops_replay():
    if len(replayed) + len(eager) < len(REGISTRY) // 2:
        pytest.skip("run with the whole sweep")
    assert len(replayed) >= 0.92 * len(REGISTRY), sorted(eager.items())

