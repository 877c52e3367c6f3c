"""leafgrad._random against torch's CPU generator, bit for bit.

Every test seeds torch and leafgrad identically, runs the same calls on both
and compares with np.array_equal (values, dtype and shape), then checks that
both streams are still in step by drawing once more.
"""

import time
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from leafgrad._random import (  # noqa: E402
    Generator, bernoulli, default_generator, exponential, get_rng_state, initial_seed,
    manual_seed, multinomial, normal, normal_tensor, randint, random_, randperm, seed,
    set_rng_state, uniform,
)

SEEDS = [0, 1, 42, 2 ** 32 + 5, 0xDEADBEEFCAFEBABE]
SIZES = [1, 7, 15, 16, 17, 100, 10_000]
FLOATS = [np.float32, np.float64]

TD = {
    np.dtype(np.float16): torch.float16, np.dtype(np.float32): torch.float32,
    np.dtype(np.float64): torch.float64, np.dtype(np.int64): torch.int64,
    np.dtype(np.int32): torch.int32, np.dtype(np.int16): torch.int16,
    np.dtype(np.int8): torch.int8, np.dtype(np.uint8): torch.uint8,
    np.dtype(np.bool_): torch.bool,
}


def td(dt):
    return TD[np.dtype(dt)]


def same(ours, theirs):
    theirs = theirs.numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert ours.dtype == theirs.dtype, (ours.dtype, theirs.dtype)
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    if not np.array_equal(ours, theirs, equal_nan=True):
        bad = np.nonzero(ours.ravel() != theirs.ravel())[0]
        raise AssertionError("%d of %d differ, first at %d: %r vs %r" % (
            bad.size, ours.size, bad[0], ours.ravel()[bad[0]], theirs.ravel()[bad[0]]))


def seed_both(s):
    torch.manual_seed(s)
    manual_seed(s)


def in_step(gen=None, tgen=None):
    """Both streams must be at the same position: compare a few more draws."""
    same(uniform((5,), np.float64, generator=gen), torch.rand(5, dtype=torch.float64, generator=tgen))


# ----------------------------------------------------------------------------
# rand / randn / uniform_ / normal_
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("s", SEEDS)
@pytest.mark.parametrize("dt", FLOATS + [np.float16])
def test_rand(s, dt):
    seed_both(s)
    for n in SIZES:
        same(uniform((n,), dt), torch.rand(n, dtype=td(dt)))
    in_step()


@pytest.mark.parametrize("s", SEEDS)
@pytest.mark.parametrize("dt", FLOATS + [np.float16])
def test_randn(s, dt):
    seed_both(s)
    for n in SIZES + [31, 32, 33, 1]:
        same(normal((n,), dt), torch.randn(n, dtype=td(dt)))
    in_step()


@pytest.mark.parametrize("dt", FLOATS + [np.float16])
def test_uniform_and_normal_with_parameters(dt):
    seed_both(3)
    for n in SIZES:
        same(uniform((n,), dt, -3.7, 2.1), torch.empty(n, dtype=td(dt)).uniform_(-3.7, 2.1))
        same(uniform((n,), dt, 5.0, 5.0), torch.empty(n, dtype=td(dt)).uniform_(5.0, 5.0))
        same(normal((n,), dt, 1.5, 3.3), torch.empty(n, dtype=td(dt)).normal_(1.5, 3.3))
        same(normal((n,), dt, -0.25, 0.0), torch.normal(-0.25, 0.0, (n,), dtype=td(dt)))
    in_step()


def test_shapes_and_empty():
    seed_both(11)
    same(uniform((3, 4, 5), np.float32), torch.rand(3, 4, 5))
    same(normal((2, 0, 3), np.float32), torch.randn(2, 0, 3))
    same(normal((4, 8), np.float64), torch.randn(4, 8, dtype=torch.float64))
    same(normal((), np.float32), torch.randn(()))
    same(uniform(7, np.float32), torch.rand(7))
    in_step()


def test_randn_cached_second_normal():
    # sizes < 16 use scalar Box-Muller and keep the second value for the next call
    seed_both(5)
    for n, dt in [(1, np.float32), (1, np.float64), (3, np.float32), (16, np.float32),
                  (1, np.float16), (5, np.float64), (2, np.float32), (15, np.float32)]:
        same(normal((n,), dt), torch.randn(n, dtype=td(dt)))
    same(normal((3,), np.float32, 2.0, 0.5), torch.normal(2.0, 0.5, (3,)))
    in_step()


# ----------------------------------------------------------------------------
# random_ / randint
# ----------------------------------------------------------------------------

INT_DTYPES = [np.int64, np.int32, np.int16, np.int8, np.uint8, np.bool_]


@pytest.mark.parametrize("s", SEEDS)
def test_randint(s):
    seed_both(s)
    cases = [(0, 10), (-5, 5), (0, 2 ** 28 - 1), (0, 2 ** 28), (-2 ** 62, 2 ** 62),
             (-2 ** 63, 2 ** 63 - 1), (7, 8), (0, 2 ** 40)]
    for lo, hi in cases:
        for n in (1, 17, 1000):
            same(randint(lo, hi, (n,), np.int64), torch.randint(lo, hi, (n,)))
    in_step()


@pytest.mark.parametrize("dt", INT_DTYPES + FLOATS + [np.float16])
def test_randint_dtypes(dt):
    seed_both(8)
    for lo, hi in [(0, 2), (0, 100), (-50, 50), (3, 4)]:
        if dt == np.bool_ and (lo < 0 or hi > 2):
            continue
        if dt == np.uint8 and lo < 0:
            continue
        same(randint(lo, hi, (40,), dt), torch.randint(lo, hi, (40,), dtype=td(dt)))
    in_step()


def test_randint_float_rounding_of_bounds():
    seed_both(9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for dt in (np.float16, np.float32, np.float64):
            for lo, hi in [(0, 65504), (-(2 ** 30) - 3, 2 ** 30 + 3), (0, 2 ** 60 + 12345)]:
                if dt == np.float16 and hi > 65504:
                    continue
                same(randint(lo, hi, (25,), dt), torch.randint(lo, hi, (25,), dtype=td(dt)))
    in_step()


@pytest.mark.parametrize("dt", INT_DTYPES + FLOATS + [np.float16])
def test_random_(dt):
    seed_both(21)
    t = td(dt)
    same(random_((33,), dt), torch.empty(33, dtype=t).random_())
    same(random_((33,), dt, high=2), torch.empty(33, dtype=t).random_(2))
    same(random_((33,), dt, 0, 2), torch.empty(33, dtype=t).random_(0, 2))
    if dt != np.bool_:
        same(random_((33,), dt, 1), torch.empty(33, dtype=t).random_(1, None))
    if dt in (np.int64, np.float32, np.float64):
        same(random_((33,), dt, -2 ** 63), torch.empty(33, dtype=t).random_(-2 ** 63, None))
    in_step()


# ----------------------------------------------------------------------------
# randperm
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("s", SEEDS)
def test_randperm(s):
    seed_both(s)
    for n in [0, 1, 2, 3, 7, 15, 16, 17, 100, 10_000, 100_000]:
        same(randperm(n), torch.randperm(n))
    in_step()


@pytest.mark.parametrize("dt", [np.int32, np.int16, np.uint8, np.int8, np.float32, np.float64,
                                np.float16])
def test_randperm_dtypes(dt):
    seed_both(4)
    for n in [1, 5, 100, 128]:
        same(randperm(n, dt), torch.randperm(n, dtype=td(dt)))
    in_step()


# ----------------------------------------------------------------------------
# bernoulli / exponential
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("s", SEEDS)
def test_bernoulli_scalar(s):
    seed_both(s)
    for dt in [np.float32, np.float64, np.float16, np.int64, np.uint8, np.bool_]:
        for p in (0.0, 0.3, 0.5, 1.0):
            for n in (1, 17, 1000):
                same(bernoulli(p, (n,), dt), torch.empty(n, dtype=td(dt)).bernoulli_(p))
    in_step()


@pytest.mark.parametrize("pdt", [np.float32, np.float64, np.float16])
def test_bernoulli_tensor(pdt):
    seed_both(6)
    rng = np.random.RandomState(0)
    for shape in [(1,), (7,), (16,), (100,), (3, 50)]:
        p = rng.rand(*shape).astype(pdt)
        same(bernoulli(p), torch.bernoulli(torch.from_numpy(p)))
    p = rng.rand(5).astype(pdt)
    for dt in [np.float32, np.int64, np.bool_]:
        same(bernoulli(p, (4, 5), dt), torch.empty(4, 5, dtype=td(dt)).bernoulli_(torch.from_numpy(p)))
    in_step()


@pytest.mark.parametrize("s", SEEDS)
@pytest.mark.parametrize("dt", FLOATS + [np.float16])
def test_exponential(s, dt):
    seed_both(s)
    for n in SIZES:
        for lam in (1.0, 0.3, 7.5):
            same(exponential((n,), dt, lam), torch.empty(n, dtype=td(dt)).exponential_(lam))
    in_step()


# ----------------------------------------------------------------------------
# multinomial
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("dt", FLOATS + [np.float16])
def test_multinomial_with_replacement(dt):
    seed_both(12)
    rng = np.random.RandomState(1)
    for shape in [(5,), (1,), (3, 10), (2, 1000)]:
        p = rng.rand(*shape).astype(dt)
        p.ravel()[::4] = 0          # zero-probability categories are never drawn
        if shape == (1,):
            p[:] = 1
        for k in (1, 7, 50):
            same(multinomial(p, k, True), torch.multinomial(torch.from_numpy(p), k, True))
    in_step()


@pytest.mark.parametrize("dt", FLOATS + [np.float16])
def test_multinomial_without_replacement(dt):
    seed_both(13)
    rng = np.random.RandomState(2)
    # (equal values of p / q are ordered differently by torch's topk; with
    # float16 they are common in long rows, so those use short rows)
    shapes = [(5,), (3, 10), (2, 12)] if dt == np.float16 else [(5,), (3, 10), (4, 300)]
    for shape in shapes:
        p = (rng.rand(*shape) + 0.01).astype(dt)
        for k in (1, 2, min(shape[-1], 5), shape[-1]):
            same(multinomial(p, k), torch.multinomial(torch.from_numpy(p), k))
    in_step()


# ----------------------------------------------------------------------------
# torch.normal with tensors
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("dt", FLOATS)
def test_normal_tensor(dt):
    seed_both(14)
    rng = np.random.RandomState(3)
    for shape in [(1,), (7,), (16,), (17,), (5, 40)]:
        m = rng.randn(*shape).astype(dt)
        sd = rng.rand(*shape).astype(dt)
        tm, ts = torch.from_numpy(m), torch.from_numpy(sd)
        same(normal_tensor(m, sd), torch.normal(tm, ts))
        same(normal_tensor(m, 0.7), torch.normal(tm, 0.7))
        same(normal_tensor(-1.25, sd), torch.normal(-1.25, ts))
    m = rng.randn(4, 1).astype(dt)
    sd = rng.rand(1, 6).astype(dt)
    same(normal_tensor(m, sd), torch.normal(torch.from_numpy(m), torch.from_numpy(sd)))
    in_step()


# ----------------------------------------------------------------------------
# interleaving, generators, state
# ----------------------------------------------------------------------------

def _sequence(lib, gen):
    """The same program written against both libraries."""
    out = []
    if lib == "torch":
        out.append(torch.rand(5, generator=gen))
        out.append(torch.randn(3, generator=gen))
        out.append(torch.randint(0, 10, (20,), generator=gen))
        out.append(torch.randn(17, dtype=torch.float64, generator=gen))
        out.append(torch.randperm(30, generator=gen))
        out.append(torch.randn(1, generator=gen))
        out.append(torch.empty(9).exponential_(generator=gen))
        out.append(torch.bernoulli(torch.full((6,), 0.4), generator=gen))
        out.append(torch.multinomial(torch.tensor([0.1, 0.5, 0.4]), 4, True, generator=gen))
        out.append(torch.randint(-2 ** 40, 2 ** 40, (3,), generator=gen))
        out.append(torch.randn(1, generator=gen))
        out.append(torch.rand(40, dtype=torch.float64, generator=gen))
        return [t.numpy() for t in out]
    out.append(uniform((5,), np.float32, generator=gen))
    out.append(normal((3,), np.float32, generator=gen))
    out.append(randint(0, 10, (20,), np.int64, generator=gen))
    out.append(normal((17,), np.float64, generator=gen))
    out.append(randperm(30, generator=gen))
    out.append(normal((1,), np.float32, generator=gen))
    out.append(exponential((9,), np.float32, generator=gen))
    out.append(bernoulli(np.full((6,), 0.4, np.float32), generator=gen))
    out.append(multinomial(np.array([0.1, 0.5, 0.4], np.float32), 4, True, generator=gen))
    out.append(randint(-2 ** 40, 2 ** 40, (3,), np.int64, generator=gen))
    out.append(normal((1,), np.float32, generator=gen))
    out.append(uniform((40,), np.float64, generator=gen))
    return out


@pytest.mark.parametrize("s", SEEDS)
def test_interleaved_default_generator(s):
    seed_both(s)
    for a, b in zip(_sequence("leafgrad", None), _sequence("torch", None)):
        same(a, b)
    in_step()


def test_explicit_generators_are_independent():
    seed_both(99)
    g = Generator().manual_seed(1234)
    tg = torch.Generator().manual_seed(1234)
    for a, b in zip(_sequence("leafgrad", g), _sequence("torch", tg)):
        same(a, b)
    in_step()                        # the default generators were not touched
    in_step(g, tg)
    fresh, tfresh = Generator(device="cpu"), torch.Generator()
    assert fresh.initial_seed() == tfresh.initial_seed() == 67280421310721
    same(uniform((10,), np.float32, generator=fresh), torch.rand(10, generator=tfresh))


def test_state_matches_torch_bytes():
    for s in SEEDS:
        seed_both(s)
        same(get_rng_state(), torch.get_rng_state())
        uniform((700,), np.float32)
        torch.rand(700)
        same(get_rng_state(), torch.get_rng_state())
        normal((1,), np.float64)            # leaves a cached normal in the state
        torch.randn(1, dtype=torch.float64)
        same(get_rng_state(), torch.get_rng_state())
        uniform((624 * 2 - 701 - 4,), np.float32)   # ends exactly at a refill
        torch.rand(624 * 2 - 701 - 4)
        same(get_rng_state(), torch.get_rng_state())
        in_step()


def test_state_round_trip_and_load_from_torch():
    seed_both(77)
    uniform((10,), np.float32)
    normal((3,), np.float32)
    st = get_rng_state()
    a = normal((5,), np.float32)
    set_rng_state(st)
    assert np.array_equal(get_rng_state(), st)
    same(normal((5,), np.float32), torch.from_numpy(a))
    # a state produced by torch continues exactly as in torch
    torch.manual_seed(5)
    torch.randn(3)
    torch.rand(1000)
    g = Generator().set_state(torch.get_rng_state().numpy())
    assert np.array_equal(g.get_state(), torch.get_rng_state().numpy())
    same(normal((21,), np.float32, generator=g), torch.randn(21))
    same(normal((1,), np.float32, generator=g), torch.randn(1))
    tg = torch.Generator()
    tg.set_state(torch.from_numpy(g.get_state()))
    same(uniform((9,), np.float64, generator=g), torch.rand(9, dtype=torch.float64, generator=tg))


def test_seed_api():
    g = Generator()
    assert g.device == "cpu"
    assert g.manual_seed(5) is g and g.initial_seed() == 5
    assert g.manual_seed(-1).initial_seed() == torch.Generator().manual_seed(-1).initial_seed()
    s = g.seed()
    assert isinstance(s, int) and 0 <= s < 2 ** 64 and g.initial_seed() == s
    s2 = seed()
    assert initial_seed() == s2 == default_generator.initial_seed()
    assert manual_seed(3) is default_generator and initial_seed() == 3
    with pytest.raises(ValueError):
        g.manual_seed(2 ** 64)
    with pytest.raises(RuntimeError):
        Generator(device="cuda")


# ----------------------------------------------------------------------------
# errors raised like torch
# ----------------------------------------------------------------------------

def _err(f):
    try:
        f()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e).split("\n")[0].split(" (Triggered")[0]
    return None


ERROR_CASES = [
    (lambda: randint(5, 5, (3,)), lambda: torch.randint(5, 5, (3,))),
    (lambda: randint(9, 2, (3,)), lambda: torch.randint(9, 2, (3,))),
    (lambda: randint(-200, 5, (3,), np.int8), lambda: torch.randint(-200, 5, (3,), dtype=torch.int8)),
    (lambda: randint(0, 300, (3,), np.uint8), lambda: torch.randint(0, 300, (3,), dtype=torch.uint8)),
    (lambda: randint(0, 3, (3,), np.bool_), lambda: torch.randint(0, 3, (3,), dtype=torch.bool)),
    (lambda: uniform((3,), np.int64), lambda: torch.rand(3, dtype=torch.int64)),
    (lambda: uniform((3,), np.float32, 2, 1), lambda: torch.empty(3).uniform_(2, 1)),
    (lambda: uniform((3,), np.float32, -3e38, 3e38), lambda: torch.empty(3).uniform_(-3e38, 3e38)),
    (lambda: uniform((3,), np.float32, -1e39, 1), lambda: torch.empty(3).uniform_(-1e39, 1)),
    (lambda: normal((3,), np.int64), lambda: torch.randn(3, dtype=torch.int64)),
    (lambda: normal((3,), np.float32, 0, -1), lambda: torch.empty(3).normal_(0, -1)),
    (lambda: exponential((3,), np.float32, 0), lambda: torch.empty(3).exponential_(0)),
    (lambda: exponential((3,), np.int32), lambda: torch.empty(3, dtype=torch.int32).exponential_()),
    (lambda: bernoulli(1.5, (3,)), lambda: torch.empty(3).bernoulli_(1.5)),
    (lambda: bernoulli(np.array([0.5, 1.5])), lambda: torch.bernoulli(torch.tensor([0.5, 1.5]))),
    (lambda: bernoulli(np.array([1, 0])), lambda: torch.bernoulli(torch.tensor([1, 0]))),
    (lambda: random_((3,), np.uint16), lambda: torch.empty(3, dtype=torch.uint16).random_()),
    (lambda: randperm(2 ** 24 + 2, np.float32), lambda: torch.randperm(2 ** 24 + 2, dtype=torch.float32)),
    (lambda: randperm(2050, np.float16), lambda: torch.randperm(2050, dtype=torch.float16)),
    (lambda: randperm(300, np.uint8), lambda: torch.randperm(300, dtype=torch.uint8)),
    (lambda: randperm(3, np.bool_), lambda: torch.randperm(3, dtype=torch.bool)),
    (lambda: multinomial(np.array([1, 2]), 1), lambda: torch.multinomial(torch.tensor([1, 2]), 1)),
    (lambda: multinomial(np.ones((1, 1, 2)), 1), lambda: torch.multinomial(torch.ones(1, 1, 2), 1)),
    (lambda: multinomial(np.ones(2), 0), lambda: torch.multinomial(torch.ones(2), 0)),
    (lambda: multinomial(np.ones(2), 3), lambda: torch.multinomial(torch.ones(2), 3)),
    (lambda: multinomial(np.array([1., -2]), 1, True),
     lambda: torch.multinomial(torch.tensor([1., -2]), 1, True)),
    (lambda: multinomial(np.array([1., np.inf]), 1), lambda: torch.multinomial(torch.tensor([1., np.inf]), 1)),
    (lambda: multinomial(np.array([1., np.nan]), 1, True),
     lambda: torch.multinomial(torch.tensor([1., np.nan]), 1, True)),
    (lambda: multinomial(np.zeros(2), 1, True), lambda: torch.multinomial(torch.zeros(2), 1, True)),
    (lambda: multinomial(np.array([[0., 0], [1, 1]]), 1),
     lambda: torch.multinomial(torch.tensor([[0., 0], [1, 1]]), 1)),
    (lambda: multinomial(np.array([1., -2]), 2, True), lambda: torch.multinomial(torch.tensor([1., -2]), 2, True)),
    (lambda: multinomial(np.array([1., np.inf]), 2, True),
     lambda: torch.multinomial(torch.tensor([1., np.inf]), 2, True)),
    (lambda: multinomial(np.array([1., np.nan]), 2, True),
     lambda: torch.multinomial(torch.tensor([1., np.nan]), 2, True)),
    (lambda: multinomial(np.zeros(3), 2, True), lambda: torch.multinomial(torch.zeros(3), 2, True)),
    (lambda: random_((3,), np.int32, -2 ** 63), lambda: torch.empty(3, dtype=torch.int32).random_(-2 ** 63, None)),
    (lambda: random_((3,), np.float16, -2 ** 63), lambda: torch.empty(3, dtype=torch.float16).random_(-2 ** 63, None)),
    (lambda: random_((3,), np.int8, 5, 4), lambda: torch.empty(3, dtype=torch.int8).random_(5, 4)),
    (lambda: normal_tensor(np.ones(2), np.array([1., -2])),
     lambda: torch.normal(torch.ones(2), torch.tensor([1., -2]))),
    (lambda: normal_tensor(np.ones(2), -1.0), lambda: torch.normal(torch.ones(2), -1.0)),
]


@pytest.mark.parametrize("i", range(len(ERROR_CASES)))
def test_errors_like_torch(i):
    ours, theirs = ERROR_CASES[i]
    expected = _err(theirs)
    assert expected is not None
    assert _err(ours) == expected


def test_randint_float_range_warning():
    with pytest.warns(UserWarning, match=r"to - 1 is out of bounds \[-\(2\^24\), 2\^24\]"):
        randint(0, 2 ** 25, (2,), np.float32)


# ----------------------------------------------------------------------------
# speed (loose bound: the point is "vectorised", not a benchmark)
# ----------------------------------------------------------------------------

def test_one_million_float32_normals_is_fast():
    manual_seed(0)
    normal((1000,), np.float32)
    t = time.perf_counter()
    x = normal((1_000_000,), np.float32)
    dt = time.perf_counter() - t
    assert x.shape == (1_000_000,)
    assert dt < 1.0, dt
