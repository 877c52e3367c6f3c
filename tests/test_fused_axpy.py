"""BLAS axpy as leafgrad's fused multiply-add (``leafgrad/ops/_blas.py``).

ATen rounds ``add``/``sub``/``rsub`` with alpha and ``lerp`` once (a fused multiply-add).
Where NumPy's BLAS has an axpy that is seen to do the same, leafgrad uses it: for the
out-of-place ops, and to write ``add_``/``sub_``/``lerp_`` straight into the tensor when
nothing is recorded (an optimizer's update). Elsewhere a NumPy emulation runs. Both ways
are checked against torch bit for bit here (the ``fma`` fixture runs each test both ways).
"""
import ctypes
import glob
import os

import numpy as np
import pytest

import leafgrad
from leafgrad.ops import _blas
from leafgrad.replay import capture
import test_replay
from conftest import both

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)

# x * alpha + y lands just past a tie between two floats: one rounding goes up, two go down.
MIDPOINT = {F32: (172961.0, 97.0, 2.0 ** -30), F64: (28059810762433.0, 321.0, 2.0 ** -30)}


@pytest.fixture(params=["blas", "emulated"])
def fma(request, monkeypatch):
    if request.param == "emulated":
        monkeypatch.setattr(_blas, "_routines", {})
    elif not (_blas.has_axpy(F32) and _blas.has_axpy(F64)):
        pytest.skip("NumPy's BLAS has no axpy that rounds once here")
    return request.param


def _bits(pair):
    a, b = (t.detach().numpy() for t in pair)
    assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), f"torch {a}, leafgrad {b}"


def test_the_blas_that_numpy_bundles_is_found_and_fuses():
    """NumPy's wheels bundle OpenBLAS; on an x86-64 CPU with FMA its axpy rounds once."""
    base = os.path.dirname(np.__file__)
    bundled = glob.glob(os.path.join(base, os.pardir, "numpy.libs", "*openblas*")) + glob.glob(
        os.path.join(base, ".dylibs", "*openblas*"))
    if not bundled:
        pytest.skip("this NumPy does not bundle OpenBLAS")
    assert _blas.has_axpy(F32) and _blas.has_axpy(F64)


def _numpy_routine(dtype, update):
    """A stand-in for a C axpy: ``update(alpha, x, y)`` on the arrays at the pointers."""
    def routine(n, alpha, xp, incx, yp, incy):
        x, y = (np.frombuffer((ctypes.c_char * (n * dtype.itemsize)).from_address(p), dtype) for p in (xp, yp))
        update(dtype.type(alpha.value), x, y)
    return routine


@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
def test_a_routine_that_rounds_twice_or_loses_the_sign_of_zero_is_not_used(dtype):
    ctype = ctypes.c_float if dtype == F32 else ctypes.c_double

    def unfused(a, x, y):
        y += a * x

    assert not _blas._rounds_once(_numpy_routine(dtype, unfused), ctype, dtype)
    if not _blas.has_axpy(dtype):
        pytest.skip("no BLAS axpy here to compare with")
    fn = _blas._routines[dtype][0]

    def unsigned_zero(a, x, y):   # right values, but -0.0 comes out as +0.0
        fn(y.size, a, x.ctypes.data, 1, y.ctypes.data, 1)
        y[y == 0] = 0.0

    assert not _blas._rounds_once(_numpy_routine(dtype, unsigned_zero), ctype, dtype)
    assert _blas._rounds_once(fn, ctype, dtype)


def _operands(dtype, n=4099, midpoints=True):
    rng = np.random.default_rng(5)
    a = (rng.standard_normal(n) * rng.choice([1e-3, 1.0, 1e5], n)).astype(dtype)
    b = (3 * rng.standard_normal(n)).astype(dtype)
    big = np.finfo(dtype).max / 2
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, np.finfo(dtype).smallest_subnormal, big, -big, 1e-30,
                        2.0], dtype)
    a[:10], b[10:20], b[20:30], a[20:30] = special, special, special, special[::-1]
    if midpoints:
        b[40:60], a[40:60] = MIDPOINT[dtype][0], MIDPOINT[dtype][2]
    return a, b


def _midpoint_alpha(t):
    return MIDPOINT[F32 if str(t.dtype).endswith("float32") else F64][1]


FUSED = {
    "add alpha": lambda T, a, b: T.add(a, b, alpha=_midpoint_alpha(a)),
    "sub alpha": lambda T, a, b: T.sub(a, b, alpha=0.3),
    "rsub alpha": lambda T, a, b: T.rsub(a, b, alpha=0.7),
    "lerp 0.3": lambda T, a, b: T.lerp(a, b, 0.3),
    "lerp 0.8": lambda T, a, b: T.lerp(a, b, 0.8),
    "lerp 1": lambda T, a, b: T.lerp(a, b, 1),
    "add_ alpha": lambda T, a, b: a.add_(b, alpha=_midpoint_alpha(a)),
    "add_ alpha 1e-3": lambda T, a, b: a.add_(b, alpha=1e-3),
    "sub_ alpha": lambda T, a, b: a.sub_(b, alpha=-2.5),
    "lerp_ 0.1": lambda T, a, b: a.lerp_(b, 0.1),
    "lerp_ 0.9": lambda T, a, b: a.lerp_(b, weight=0.9),
    "lerp_ -3": lambda T, a, b: a.lerp_(b, -3),
}


@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
@pytest.mark.parametrize("name", FUSED)
def test_fused_arithmetic_is_torchs_bits(fma, name, dtype):
    """Random operands, signed zeros, infinities, NaN, subnormals, huge values, and (but for
    the float32 emulation, which rounds twice there) products that land on a midpoint."""
    a, b = _operands(dtype, midpoints=not (fma == "emulated" and dtype == F32))
    _bits(both(lambda T: FUSED[name](T, T.from_numpy(a.copy()), T.from_numpy(b.copy()))))


@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
def test_one_rounding_where_two_roundings_differ(dtype):
    """Every element is a product just past a midpoint: with an axpy each comes out as
    torch's; the emulation agrees in float64 (it is exact there)."""
    if not _blas.has_axpy(dtype):
        pytest.skip("no BLAS axpy here")
    x, alpha, y = MIDPOINT[dtype]
    for n in (1, 5, 33, 1000):
        _bits(both(lambda T: T.full((n,), y, dtype=getattr(T, str(dtype))).add_(
            T.full((n,), x, dtype=getattr(T, str(dtype))), alpha=alpha)))


def test_in_place_writes_keep_views_versions_and_errors_as_torch(fma):
    def run(T):
        out = []
        base = T.arange(12.0).reshape(3, 4)
        view = base[1]
        before = base._version
        base.add_(T.ones(3, 4), alpha=0.5)
        out += [view.clone(), T.tensor(base._version - before)]
        x = T.arange(6.0)
        x.add_(x, alpha=0.25)                      # the same memory on both sides
        y = T.arange(6.0)
        y[:3].sub_(y[3:], alpha=0.5)               # views of one array
        z = T.arange(12.0).reshape(3, 4).t()       # not contiguous
        z.lerp_(T.ones(4, 3), 0.3)
        w = T.arange(4.0, dtype=T.float64)
        w.lerp_(T.ones(4, dtype=T.float64), 0.75)
        out += [x, y, z, w]
        return out

    a, b = both(run)
    for ta, lb in zip(a, b):
        _bits((ta, lb))


def test_recorded_in_place_ops_still_build_the_graph(fma):
    def run(T):
        w = T.ones(3, requires_grad=True)
        v = w * 2
        v.add_(T.full((3,), 3.0), alpha=0.5)
        u = v.clone().lerp_(T.zeros(3), 0.25)
        (u * u).sum().backward()
        return v.grad_fn.name(), u.grad_fn.name(), w.grad

    (n1, m1, g1), (n2, m2, g2) = both(run)
    assert (n1, m1) == (n2, m2) == ("AddBackward0", "LerpBackward0")
    _bits((g1, g2))


def test_in_place_errors_are_torchs(fma):
    def leaf(T):
        p = T.ones(3, requires_grad=True)
        p.add_(T.ones(3), alpha=2)

    def inference(T):
        with T.inference_mode():
            t = T.ones(3)
        t.add_(T.ones(3), alpha=2)

    def dtypes(T):
        T.ones(3, dtype=T.float32).lerp_(T.ones(3, dtype=T.float64), 0.5)

    for fn in (leaf, inference, dtypes):
        e1, e2 = both(fn)
        assert type(e1) is type(e2) and str(e1) == str(e2), fn.__name__


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, maximize=True)), ("Adamax", dict(weight_decay=0.1)),
    ("ASGD", dict(t0=10, weight_decay=0.1))])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_optimizer_trajectories_are_torchs_bits(fma, name, kwargs, dtype):
    """The optimizers call the public in-place ops, which round once as torch's do, so a
    trajectory stays bit-identical over many steps. (Optimizers that take square roots
    are left out: torch's sqrt is not correctly rounded.)"""
    def run(T):
        rng = np.random.default_rng(3)
        p = T.from_numpy(rng.standard_normal((7, 5)).astype(dtype)).requires_grad_()
        opt = getattr(T.optim, name)([p], **kwargs)
        for _ in range(30):
            opt.zero_grad()
            p.grad = T.from_numpy(rng.standard_normal((7, 5)).astype(dtype))
            opt.step()
        return p.detach()
    _bits(both(run))


# ---------------------------------------------------------------- replay: axpy and handed-over gradients
@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
def test_axpy_with_its_target_bound_gives_axpys_bits(dtype):
    """``axpy_into(y)(alpha, x)`` (the replay's update, through a handle called with C
    values) writes exactly what ``axpy(alpha, x, y)`` writes, for any length, alignment
    and alpha (0 included: 0 * inf stays NaN), and x without a writable buffer."""
    if not _blas.has_axpy(dtype):
        pytest.skip("no BLAS axpy here")
    rng = np.random.default_rng(3)
    x0, alpha, y0 = MIDPOINT[dtype]
    for n in (0, 1, 7, 64, 1001):
        for offset in (0, 1):
            x = rng.standard_normal(n + offset).astype(dtype)[offset:]
            x[: n // 2] = x0
            if n > 3:
                x[3] = np.inf
            y = rng.standard_normal(n + offset).astype(dtype)[offset:]
            y[: n // 2] = y0
            for a in (alpha, -0.01, 0.0, -0.0, 2.5):
                want, got = y.copy(), y.copy()
                _blas.axpy(a, x, want)
                into = _blas.axpy_into(got)
                into(a, x)
                readonly = x.copy()
                readonly.flags.writeable = False
                into(a, readonly)
                _blas.axpy(a, readonly, want)
                assert want.tobytes() == got.tobytes(), (n, offset, a)


def test_a_replayed_sgd_step_updates_with_axpy_and_takes_over_fresh_gradients(fma):
    rng = np.random.default_rng(0)
    x = leafgrad.from_numpy(rng.standard_normal((8, 20)).astype(np.float32))
    y = leafgrad.from_numpy(rng.integers(0, 4, 8))
    m1, _, s1 = test_replay._mlp(seed=1, lr=0.1)
    m2, _, s2 = test_replay._mlp(seed=1, lr=0.1)
    step = capture(s2)
    kept = []
    for k in range(6):
        assert s1(x, y).item() == step(x, y).item()
        for p1, p2 in zip(m1.parameters(), m2.parameters()):
            assert p1.detach().numpy().tobytes() == p2.detach().numpy().tobytes()
            assert p1.grad.numpy().tobytes() == p2.grad.numpy().tobytes()
            assert p2.grad.numpy().flags.c_contiguous and p2.grad.numpy().flags.writeable
        kept.append([(p.grad, p.grad.numpy().copy()) for p in m2.parameters()])
    assert step.replays == 3
    code = step.code
    assert ("axpy_into(" in code) == (fma == "blas")
    # no gradient is copied into a new .grad: each is the memory its formula made ...
    assert "fresh_grad(" not in code
    # ... made anew on every call: the .grad a user kept from an earlier step is unchanged
    for grads in kept:
        assert all(g.numpy().tobytes() == v.tobytes() for g, v in grads)
    grads = [p.grad.numpy() for p in m2.parameters()]
    assert not any(np.shares_memory(a, b) for i, a in enumerate(grads) for b in grads[i + 1:])


def test_a_gradient_that_is_the_callers_array_is_still_copied():
    """``w.view(-1).backward(g)``: w's gradient is a view of the argument g, which the
    caller still owns. The replay copies it into w.grad, as the eager step does."""
    w = leafgrad.zeros(2, 3, requires_grad=True)

    def step(g):
        w.grad = None
        w.view(-1).backward(g)
        return (w * 2).sum()

    captured = capture(step)
    for k in range(5):
        g = leafgrad.from_numpy(np.arange(6.0, dtype=np.float32) + k)
        captured(g)
        assert not np.shares_memory(w.grad.numpy(), g.numpy())
        g.numpy()[:] = -1
        assert (w.grad.numpy().reshape(-1) == np.arange(6.0) + k).all()
    assert captured.replays == 2 and "fresh_grad(" in captured.code


def test_one_gradient_reaching_two_leaves_is_handed_to_the_last_only():
    """``(w1 + w2) * x``: add's backward passes one array to both leaves. The first new
    .grad must be a copy (the array is read again after it); the last may take it over."""
    w1, w2 = leafgrad.ones(4, requires_grad=True), leafgrad.ones(4, requires_grad=True)

    def step(x):
        w1.grad = w2.grad = None
        ((w1 + w2) * x).sum().backward()
        return (w1 * 1).sum()

    captured = capture(step)
    for k in range(5):
        captured(leafgrad.from_numpy(np.arange(4.0, dtype=np.float32) + k))
        g1, g2 = w1.grad.numpy(), w2.grad.numpy()
        assert not np.shares_memory(g1, g2)
        g1[:] = -1
        assert (g2 == np.arange(4.0) + k).all()
    assert captured.replays == 2 and captured.code.count("fresh_grad(") == 1


def test_a_tensor_only_written_in_place_is_guarded_by_its_array(fma):
    """A replayed ``acc.add_(x, alpha=a)`` writes into acc's array; after ``acc.data = ...``
    the next call must write into the new one (the guard sees the swap and records again)."""
    acc = leafgrad.zeros(4)

    def step(x):
        acc.add_(x, alpha=0.5)
        return x * 2.0

    captured = capture(step)
    for k in range(8):
        if k == 5:
            acc.data = leafgrad.zeros(4)
        captured(leafgrad.ones(4))
    assert (acc.numpy() == 1.5).all() and captured.replays >= 3
