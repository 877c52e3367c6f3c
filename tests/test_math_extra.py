"""The ops of leafgrad/ops/math_extra.py side by side with torch: gcd/lcm, ldexp, frexp,
nextafter, i0, mvlgamma, cholesky_solve and cholesky_inverse. The sweep checks values and
derivatives of their samples; this file checks errors, return types, in-place forms,
``out=``, integer dtypes and accuracy."""
import warnings

import numpy as np
import pytest

from conftest import assert_same, both, leafgrad, torch

INT64_MIN = -2 ** 63


def _same(fn, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b = both(fn)
    assert_same(a, b, **kw)


def _x(m, *shape, dtype="float32", grad=False, seed=0, low=-2.0, high=2.0):
    vals = np.random.default_rng(seed).uniform(low, high, shape)
    return m.tensor(vals, dtype=getattr(m, dtype), requires_grad=grad)


def _i(m, values, dtype="int64"):
    return m.tensor(values, dtype=getattr(m, dtype))


def _inplace(name, make_self, *args, **kwargs):
    """Run ``self.<name>(...)`` and return (result is self, self)."""
    def run(m):
        s = make_self(m)
        r = getattr(s, name)(*[a(m) if callable(a) else a for a in args], **kwargs)
        return r is s, s
    return run


# ---------------------------------------------------------------------- gcd, lcm
@pytest.mark.parametrize("name", ["gcd", "lcm"])
@pytest.mark.parametrize("call", [
    lambda m, f: getattr(m, f)(_i(m, [12, -18, 0, 0, INT64_MIN, 7, INT64_MIN, 9]),
                               _i(m, [-8, 4, 0, -5, 0, INT64_MIN, INT64_MIN, -6])),
    lambda m, f: getattr(m, f)(_i(m, [100, -128, 7], "int8"), _i(m, [3, 0, -128], "int8")),
    lambda m, f: getattr(m, f)(_i(m, [200, 0, 250], "uint8"), _i(m, [150, 7, 3], "uint8")),
    lambda m, f: getattr(m, f)(_i(m, [6, -4, 0], "int16"), _i(m, [[-4], [9]], "int32")),
    lambda m, f: getattr(m, f)(_i(m, [1], "int8"), _i(m, [2], "int32")),
    lambda m, f: getattr(m, f)(_i(m, 4), _i(m, [6, 9])),
    lambda m, f: getattr(_i(m, [4, 6]), f)(_i(m, [6])),
    # errors: floats and bools, numbers, broadcasting
    lambda m, f: getattr(m, f)(m.tensor([1.0]), m.tensor([2.0])),
    lambda m, f: getattr(m, f)(m.tensor([1]), m.tensor([2.0])),
    lambda m, f: getattr(m, f)(m.tensor([1.0], requires_grad=True), m.tensor([2.0])),
    lambda m, f: getattr(m, f)(m.tensor([True]), m.tensor([False])),
    lambda m, f: getattr(m, f)(m.tensor([1]), 2),
    lambda m, f: getattr(m, f)(4, m.tensor([6])),
    lambda m, f: getattr(m.tensor([4]), f)(2),
    lambda m, f: getattr(m, f)(m.tensor([4, 5, 6]), m.tensor([6, 7])),
])
def test_gcd_lcm(name, call):
    _same(lambda m: call(m, name))


@pytest.mark.parametrize("name", ["gcd", "lcm"])
def test_gcd_lcm_random_matches(name):
    rng = np.random.default_rng(3)
    for dt in ("int8", "int16", "int32", "int64", "uint8"):
        info = np.iinfo(dt)
        a = rng.integers(info.min, info.max, 200, endpoint=True, dtype=dt)
        b = rng.integers(info.min, info.max, 200, endpoint=True, dtype=dt)
        _same(lambda m: getattr(m, name)(m.from_numpy(a.copy()), m.from_numpy(b.copy())))


@pytest.mark.parametrize("call", [
    _inplace("gcd_", lambda m: _i(m, [4, 6]), lambda m: _i(m, [6])),
    _inplace("lcm_", lambda m: _i(m, [4, 6], "int32"), lambda m: _i(m, [6])),
    _inplace("gcd_", lambda m: _i(m, [4], "int32"), lambda m: _i(m, [6, 8], "int32")),
    _inplace("gcd_", lambda m: _i(m, [4]), lambda m: m.tensor([6.0])),
    _inplace("lcm_", lambda m: m.tensor([4.0]), lambda m: m.tensor([6.0])),
    _inplace("gcd_", lambda m: _i(m, [4]), 6),
])
def test_gcd_lcm_inplace(call):
    _same(call)


@pytest.mark.parametrize("call", [
    lambda m: m.gcd(_i(m, [4]), _i(m, [6]), out=m.empty(1, dtype=m.int32)),
    lambda m: m.lcm(_i(m, [4]), _i(m, [6]), out=m.empty(3, dtype=m.int64)),
    lambda m: m.gcd(_i(m, [4]), _i(m, [6]), out=m.empty(1)),
    lambda m: m.gcd(_i(m, [4]), _i(m, [6]), out=m.empty(1, dtype=m.bool)),
])
def test_gcd_lcm_out(call):
    _same(call)


# ---------------------------------------------------------------------- ldexp
@pytest.mark.parametrize("d1", ["int8", "uint8", "int32", "bool", "float16", "float32", "float64"])
@pytest.mark.parametrize("d2", ["int64", "int16", "float32", "bool", "float64"])
def test_ldexp_dtypes(d1, d2):
    _same(lambda m: m.ldexp(m.tensor([1, 0, 3]).to(getattr(m, d1)), m.tensor([3, 1, 2]).to(getattr(m, d2))))


@pytest.mark.parametrize("call", [
    lambda m: m.ldexp(m.tensor(3), m.tensor([1.5], dtype=m.float64)),
    lambda m: m.ldexp(m.tensor([3], dtype=m.int32), m.tensor(1.5, dtype=m.float64)),
    lambda m: m.ldexp(m.tensor([3.5], dtype=m.float16), m.tensor(30)),
    lambda m: m.ldexp(m.tensor([3.5]), m.tensor([-149, -150, 127, 128])),
    lambda m: m.ldexp(m.tensor([3.5], dtype=m.float64), m.tensor([-1075, -1074, 1023, 1024, 100000])),
    lambda m: m.ldexp(m.tensor([1.0, -2.0]), m.tensor([[2], [-3]])),
    lambda m: m.ldexp(m.tensor([1.5, 1.5, 1.5]), m.tensor([2 ** 32 + 1, -2 ** 31, 2 ** 31 - 1])),
    lambda m: m.ldexp(m.tensor(2.0, requires_grad=True), m.tensor([1, 2])),   # (resize warning in torch)
    lambda m: m.ldexp(m.tensor([1.0]), 2),
    lambda m: m.ldexp(2.0, m.tensor([1.0])),
    lambda m: m.tensor([1.0]).ldexp(2),
    lambda m: m.ldexp(m.tensor([1.0, 2.0]), m.tensor([1.0, 2.0, 3.0])),
])
def test_ldexp(call):
    _same(call)


def test_ldexp_float32_exponents_accuracy():
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, 2000).astype(np.float32)
    e = rng.uniform(-20, 20, 2000).astype(np.float32)
    _same(lambda m: m.ldexp(m.from_numpy(x.copy()), m.from_numpy(e.copy())), rtol=1e-6)


def test_ldexp_resize_warning():
    with pytest.warns(UserWarning, match="An output with one or more elements was resized"):
        leafgrad.ldexp(leafgrad.tensor([2.0]), leafgrad.tensor([1, 2]))


@pytest.mark.parametrize("other", [
    lambda m: m.tensor([2, -1, 0]),
    lambda m: m.tensor([2.5, -1.0, 0.0], dtype=m.float64, requires_grad=True),
])
def test_ldexp_grads_and_graph(other):
    def run(m):
        x = m.tensor([1.5, -2.0, 3.0], dtype=m.float64, requires_grad=True)
        o = other(m)
        r = m.ldexp(x, o)
        ins = (x, o) if o.requires_grad else (x,)
        gs = m.autograd.grad(r.sum(), ins, create_graph=True)
        return r, gs
    _same(run)


@pytest.mark.parametrize("call", [
    _inplace("ldexp_", lambda m: m.tensor([1.0, 2.0]), lambda m: m.tensor([1, 2])),
    _inplace("ldexp_", lambda m: m.tensor([1.0, 2.0]), lambda m: m.tensor([1.0, 2.0], dtype=m.float64)),
    _inplace("ldexp_", lambda m: m.tensor([1, 2]), lambda m: m.tensor([1, 2])),
    _inplace("ldexp_", lambda m: m.tensor([1.0, 2.0]), lambda m: m.tensor([[1.0], [2.0]])),
    lambda m: m.tensor([1.0, 2.0], requires_grad=True).clone().ldexp_(m.tensor([1, 2])),
    lambda m: m.ldexp(m.tensor([1.0]), m.tensor([2]), out=m.empty(1)),
    lambda m: m.ldexp(m.tensor([1.0]), m.tensor([2]), out=m.empty(3)),
    lambda m: m.ldexp(m.tensor([1]), m.tensor([2]), out=m.empty(1, dtype=m.int64)),
    lambda m: m.ldexp(m.tensor([1.0], requires_grad=True), m.tensor([2]), out=m.empty(1)),
])
def test_ldexp_inplace_out(call):
    _same(call)


# ---------------------------------------------------------------------- frexp
@pytest.mark.parametrize("call", [
    lambda m: m.frexp(m.tensor([0.0, 1.0, -3.5, float("inf"), float("nan"), -0.0, 1e-310, 5e-324],
                               dtype=m.float64)),
    lambda m: m.frexp(m.tensor([0.0, 1.0, -3.5, float("inf"), -0.0, 1e-40, 1e-45])),
    lambda m: m.frexp(m.tensor([1e-7, 6e-8, 0.0, 65504.0], dtype=m.float16)),
    lambda m: m.frexp(m.tensor(3.0)),
    lambda m: m.tensor([3.0]).frexp(),
    lambda m: type(m.frexp(m.tensor([3.0]))).__name__,
    lambda m: m.frexp(m.tensor([3.0])).exponent,
    lambda m: m.frexp(m.tensor([1.5, -2.0], requires_grad=True)),
    lambda m: m.frexp(m.tensor([1, 2])),
    lambda m: m.frexp(m.tensor([True])),
    lambda m: m.frexp(3.0),
])
def test_frexp(call):
    _same(call)


def test_frexp_grad():
    def run(m):
        x = m.tensor([1.5, -2.0, 3.0, 1e-5], dtype=m.float64, requires_grad=True)
        mant, e = m.frexp(x)
        g, = m.autograd.grad((mant * mant).sum(), x)
        return g, e.requires_grad, e.grad_fn is None
    _same(run)


@pytest.mark.parametrize("call", [
    lambda m: m.frexp(m.tensor([3.0, 4.0]), out=(m.empty(0), m.empty(0, dtype=m.int32))),
    lambda m: type(m.frexp(m.tensor([3.0, 4.0]), out=(m.empty(2), m.empty(2, dtype=m.int32)))).__name__,
    lambda m: m.frexp(m.tensor([3.0, 4.0]), out=(m.empty(2), m.empty(2, dtype=m.int64))),
    lambda m: m.frexp(m.tensor([3.0, 4.0]), out=(m.empty(2, dtype=m.float64), m.empty(2, dtype=m.int32))),
    lambda m: m.frexp(m.tensor([3.0, 4.0], requires_grad=True), out=(m.empty(2), m.empty(2, dtype=m.int32))),
])
def test_frexp_out(call):
    _same(call)


# ---------------------------------------------------------------------- nextafter
@pytest.mark.parametrize("call", [
    lambda m: m.nextafter(m.tensor([0.0, -0.0, float("nan"), 1.0, float("inf")]),
                          m.tensor([-0.0, 0.0, 1.0, float("nan"), 0.0])),
    lambda m: m.nextafter(m.tensor([0.0]), m.tensor([1.0])).item(),
    lambda m: m.nextafter(m.tensor([0.0], dtype=m.float64), m.tensor([-1.0], dtype=m.float64)).item(),
    lambda m: m.nextafter(m.tensor([1.0, 2.0], dtype=m.float16), m.tensor([2.0, 0.0], dtype=m.float16)),
    lambda m: m.nextafter(m.tensor([1.0, 2.0]), m.tensor([2, 0])),
    lambda m: m.nextafter(m.tensor([1.0, 2.0]), m.tensor([2, 0], dtype=m.float64)),
    lambda m: m.nextafter(m.tensor([1.0, 2.0]), m.tensor(3.0, dtype=m.float64)),
    lambda m: m.nextafter(m.tensor([1, 2]), m.tensor([2, 0])),
    lambda m: m.nextafter(m.tensor([True]), m.tensor([False])),
    lambda m: m.nextafter(m.tensor([1.0, 2.0]), 3.0),
    _inplace("nextafter_", lambda m: m.tensor([1.0, 2.0]), lambda m: m.tensor([3.0])),
    _inplace("nextafter_", lambda m: m.tensor([1, 2]), lambda m: m.tensor([3.0])),
    _inplace("nextafter_", lambda m: m.tensor([1, 2]), lambda m: m.tensor([3])),
    lambda m: m.nextafter(m.tensor([1.0]), m.tensor([2.0]), out=m.empty(1, dtype=m.float64)),
    lambda m: m.nextafter(m.tensor([1.0]), m.tensor([2.0]), out=m.empty(1, dtype=m.int64)),
    lambda m: m.nextafter(m.tensor([1.0], requires_grad=True), m.tensor([2.0]), out=m.empty(1)),
])
def test_nextafter(call):
    _same(call)


def test_nextafter_grads():
    def run(m):
        a = m.tensor([0.0, -0.0, 1.0, 2.0, float("nan")], requires_grad=True)
        b = m.tensor([-0.0, 0.0, 1.0, 3.0, 1.0], requires_grad=True)
        r = m.nextafter(a, b)
        g = m.tensor([1.5, -2.0, 0.5, 3.0, 1.0])
        return r, m.autograd.grad(r, (a, b), g)
    _same(run)


# ---------------------------------------------------------------------- i0
def test_i0_float64_bit_exact():
    rng = np.random.default_rng(1)
    v = np.concatenate([rng.uniform(-10, 10, 3000), rng.uniform(-720, 720, 3000), rng.uniform(-1e-3, 1e-3, 500),
                        [0.0, -0.0, 8.0, -8.0, 709.0, 710.0, float("inf"), -float("inf"), float("nan")]])
    t = torch.i0(torch.from_numpy(v)).numpy()
    lg = leafgrad.i0(leafgrad.from_numpy(v)).numpy()
    assert np.array_equal(t, lg, equal_nan=True)


def test_i0_float32_within_two_ulp():
    rng = np.random.default_rng(2)
    v = np.concatenate([rng.uniform(-10, 10, 5000), rng.uniform(-100, 100, 5000)]).astype(np.float32)
    t = torch.i0(torch.from_numpy(v)).numpy()
    lg = leafgrad.i0(leafgrad.from_numpy(v)).numpy()
    fin = np.isfinite(t)
    assert np.array_equal(np.isfinite(lg), fin)
    ulps = np.abs(t[fin].view(np.int32).astype(np.int64) - lg[fin].view(np.int32))
    assert ulps.max() <= 2


def test_i1_against_torch_and_mpmath():
    from leafgrad.ops.math_extra import _i1_64
    rng = np.random.default_rng(3)
    v = np.concatenate([rng.uniform(-40, 40, 3000), rng.uniform(-700, 700, 1000), [0.0, 1e-300, -29.99, 30.01]])
    t = torch.special.i1(torch.from_numpy(v)).numpy()
    assert np.allclose(_i1_64(v), t, rtol=4e-15, atol=0)
    mpmath = pytest.importorskip("mpmath")
    for x in (1e-10, 0.5, 5.0, 29.9, 30.1, 55.0, 300.0):
        exact = mpmath.besseli(1, x)
        assert abs(float((mpmath.mpf(float(_i1_64(np.array([x]))[0])) - exact) / exact)) < 3e-15


@pytest.mark.parametrize("call", [
    lambda m: m.i0(m.tensor([1, 2])),
    lambda m: m.i0(m.tensor([True, False])),
    lambda m: m.i0(m.tensor([0.5, 1.0, 3.0, 10.0, 11.5], dtype=m.float16)),
    lambda m: m.tensor([1.5, -2.5]).i0(),
    lambda m: m.i0(2.0),
    _inplace("i0_", lambda m: m.tensor([1.5, -2.5]),),
    _inplace("i0_", lambda m: m.tensor([1, 2]),),
    lambda m: m.tensor([1.5, -2.5], requires_grad=True).clone().i0_(),
    lambda m: m.i0(m.tensor([1.0]), out=m.empty(1, dtype=m.int64)),
    lambda m: m.i0(m.tensor([1.0]), out=m.empty(1, dtype=m.float64)),
    lambda m: m.i0(m.tensor([1.0], requires_grad=True), out=m.empty(1)),
])
def test_i0_misc(call):
    _same(call)


def test_i0_graphs():
    def run(m):
        x = m.tensor([0.0, 1e-20, 1.5, -2.0, 12.0], dtype=m.float64, requires_grad=True)
        r = m.i0(x)
        g, = m.autograd.grad(r.sum(), x, create_graph=True)
        g2, = m.autograd.grad(g.sum(), x, create_graph=True)
        g3, = m.autograd.grad(g2.sum(), x)
        names = []
        stack = [g2.grad_fn]
        while stack:
            n = stack.pop()
            if n is not None:
                names.append(type(n).__name__)
                stack.extend(f for f, _ in n.next_functions)
        return r, g, g2, g3, names
    _same(run)


def test_i0_derivatives_vs_finite_differences():
    x = np.array([-7.0, -0.3, 0.2, 2.5, 9.0, 25.0])
    h = 1e-6
    t = leafgrad.tensor(x, requires_grad=True)
    g, = leafgrad.autograd.grad(leafgrad.i0(t).sum(), t, create_graph=True)
    g2, = leafgrad.autograd.grad(g.sum(), t)
    i0 = lambda v: leafgrad.i0(leafgrad.tensor(v)).numpy()   # noqa: E731
    fd1 = (i0(x + h) - i0(x - h)) / (2 * h)
    fd2 = (i0(x + h) - 2 * i0(x) + i0(x - h)) / (h * h)
    assert np.allclose(g.detach().numpy(), fd1, rtol=1e-7)
    assert np.allclose(g2.numpy(), fd2, rtol=1e-3)


# ---------------------------------------------------------------------- mvlgamma
@pytest.mark.parametrize("call", [
    lambda m: m.mvlgamma(m.tensor([0.9]), 3),            # below (p-1)/2: no error in torch 2.13
    lambda m: m.mvlgamma(m.tensor([0.9]), p=0),
    lambda m: m.mvlgamma(m.tensor([0.9]), p=-1),
    lambda m: m.mvlgamma(m.tensor([3, 4]), 2),
    lambda m: m.mvlgamma(m.tensor([3.0, 4]), 2.0),
    lambda m: m.mvlgamma(m.tensor([3.0, 4])),
    lambda m: m.mvlgamma(m.tensor([3.0, float("nan"), float("inf")]), 2),
    lambda m: m.mvlgamma(m.tensor([]), 2),
    lambda m: m.mvlgamma(m.tensor([3.5]), 1),
    lambda m: m.mvlgamma(m.tensor(3.5, dtype=m.float64), p=4),
    lambda m: m.mvlgamma(input=m.tensor([3.0, 4.0]), p=2),
    lambda m: m.mvlgamma(m.tensor([True]), 2),
    lambda m: m.tensor([3.5]).mvlgamma(2),
    lambda m: m.tensor([3.5]).mvlgamma(p=2),
    lambda m: m.tensor([3.5]).mvlgamma(2.5),
    _inplace("mvlgamma_", lambda m: m.tensor([3, 4]), 2),
    _inplace("mvlgamma_", lambda m: m.tensor([3.0, 4.0]), 2),
    _inplace("mvlgamma_", lambda m: m.tensor([1.0, 2.0]), p=2),
    lambda m: m.tensor([3.0, 4.0], requires_grad=True).clone().mvlgamma_(3),
    lambda m: m.mvlgamma(m.tensor([3, 4]), 2, out=m.empty(2)),
    lambda m: m.mvlgamma(m.tensor([3.0, 4]), 2, out=m.empty(2, dtype=m.int64)),
    lambda m: m.mvlgamma(m.tensor([3, 4], dtype=m.int32), 2, out=m.empty(2, dtype=m.int64)),
    lambda m: m.mvlgamma(m.tensor([3.0, 4], dtype=m.float64), 2, out=m.empty(2)),
    lambda m: m.mvlgamma(m.tensor([3.0, 4.0], requires_grad=True), 2, out=m.empty(2)),
])
def test_mvlgamma(call):
    _same(call)


def test_mvlgamma_graph():
    def run(m):
        x = m.tensor([2.5, 3.0, 7.0], dtype=m.float64, requires_grad=True)
        r = m.mvlgamma(x, 3)
        g, = m.autograd.grad(r.sum(), x, create_graph=True)
        g2, = m.autograd.grad(g.sum(), x)
        return r, g, g2
    _same(run)


# ---------------------------------------------------------------------- cholesky_solve, cholesky_inverse
_L3 = [[2.0, 0.0, 0.0], [0.5, 1.5, 0.0], [-0.3, 0.4, 1.2]]


def _L(m, upper=False, dtype="float64", grad=False):
    a = np.array(_L3)
    return m.tensor(a.T if upper else a, dtype=getattr(m, dtype), requires_grad=grad)


@pytest.mark.parametrize("call", [
    lambda m: m.cholesky_solve(_x(m, 2, 1, 3, 2), _x(m, 4, 3, 3, seed=1)).shape,
    lambda m: m.cholesky_solve(_x(m, 3), _x(m, 3, 3)),
    lambda m: m.cholesky_solve(_x(m, 3, 2), _x(m, 3)),
    lambda m: m.cholesky_solve(_x(m, 3, 2), _x(m, 3, 4)),
    lambda m: m.cholesky_solve(_x(m, 4, 2), _x(m, 3, 3)),
    lambda m: m.cholesky_solve(_x(m, 3, 2), _x(m, 3, 3, dtype="float64")),
    lambda m: m.cholesky_solve(_x(m, 3, 2).int(), _x(m, 3, 3).int()),
    lambda m: m.cholesky_solve(_x(m, 3, 2).int(), _x(m, 3, 3)),
    lambda m: m.cholesky_solve(_x(m, 3, 2, dtype="float16"), _x(m, 3, 3, dtype="float16")),
    lambda m: m.cholesky_solve(_x(m, 2, 3, 2), _x(m, 3, 3, 3)),
    lambda m: m.cholesky_solve(_x(m, 3, 2), _L(m, dtype="float32"), True),
    lambda m: m.cholesky_solve(_x(m, 3, 2, dtype="float64"), _L(m, upper=True), upper=True),
    lambda m: m.cholesky_solve(_x(m, 0, 3, 2), _L(m, dtype="float32")),
    lambda m: m.cholesky_solve(_x(m, 3, 0), _L(m, dtype="float32")),
    lambda m: _x(m, 3, 2).cholesky_solve(_L(m, dtype="float32")),
    lambda m: _x(m, 3, 2).cholesky_solve(2),
    lambda m: m.cholesky_solve(m.ones(2, 1), m.zeros(2, 2)),
    lambda m: m.cholesky_solve(_x(m, 3, 2), _L(m, dtype="float32"), out=m.empty(3, 2)),
    lambda m: m.cholesky_solve(_x(m, 3, 2), _L(m, dtype="float32"), out=m.empty(3, 2, dtype=m.float64)),
    lambda m: m.cholesky_solve(_x(m, 3, 2), _L(m, dtype="float32"), out=m.empty(3, 2, dtype=m.int64)),
    lambda m: m.cholesky_solve(_x(m, 3, 2), _L(m, dtype="float32", grad=True), out=m.empty(3, 2)),
])
def test_cholesky_solve(call):
    _same(call)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_grads_and_graph(upper):
    def run(m):
        L = _L(m, upper, grad=True)
        B = m.tensor(np.arange(6.0).reshape(3, 2) - 2, dtype=m.float64, requires_grad=True)
        X = m.cholesky_solve(B, L, upper)
        gB, gL = m.autograd.grad((X * X).sum(), (B, L), create_graph=True)
        g2 = m.autograd.grad(gL.sum() + gB.sum(), (B, L))
        return X, gB, gL, g2
    _same(run)


@pytest.mark.parametrize("call", [
    lambda m: m.cholesky_inverse(_x(m, 2, 3, 3)).shape,
    lambda m: m.cholesky_inverse(_x(m, 3, 4)),
    lambda m: m.cholesky_inverse(_x(m, 3)),
    lambda m: m.cholesky_inverse(_x(m, 3, 3).int()),
    lambda m: m.cholesky_inverse(_x(m, 3, 3, dtype="float16")),
    lambda m: m.cholesky_inverse(_L(m), True),
    lambda m: m.cholesky_inverse(_L(m, upper=True, dtype="float32"), upper=True),
    lambda m: m.cholesky_inverse(_x(m, 0, 3, 3)),
    lambda m: m.cholesky_inverse(m.zeros(2, 2)),
    lambda m: m.cholesky_inverse(m.tensor([[0.0, 0.0], [1.0, 0.0]]), upper=True),
    lambda m: m.cholesky_inverse(m.stack([m.eye(3), m.diag(m.tensor([1.0, 1.0, 0.0]))])),
    lambda m: m.cholesky_inverse(_L(m, dtype="float32"), out=m.empty(3, 3, dtype=m.float64)),
    lambda m: m.cholesky_inverse(_L(m, dtype="float32"), out=m.empty(2, 2)),
    lambda m: m.cholesky_inverse(_L(m, dtype="float32"), out=m.empty(3, 3, dtype=m.int64)),
    lambda m: m.cholesky_inverse(_L(m, grad=True), out=m.empty(3, 3)),
    lambda m: _L(m).cholesky_inverse(upper=True),
    lambda m: m.cholesky_inverse(2.0),
])
def test_cholesky_inverse(call):
    _same(call)


def test_cholesky_inverse_is_the_inverse():
    L = np.array(_L3)
    lg = leafgrad.cholesky_inverse(leafgrad.tensor(L)).numpy()
    assert np.allclose(lg, np.linalg.inv(L @ L.T), rtol=1e-13)
    assert np.array_equal(lg, lg.T)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_inverse_grads_and_graph(upper):
    def run(m):
        L = _L(m, upper, grad=True)
        R = m.cholesky_inverse(L, upper)
        g, = m.autograd.grad((R * R).sum(), L, create_graph=True)
        g2, = m.autograd.grad(g.sum(), L)
        return R, g, g2
    _same(run)


@pytest.mark.parametrize("dtype,values", [("float64", [1e-300, 1e-40, 3e38, 1e300, 1.5]),
                                          ("float32", [1e-40, 3e38, 0.75]), ("float16", [1e-7, 6e4, 3.0])])
def test_frexp_grad_extremes_and_graph(dtype, values):
    def run(m):
        x = m.tensor(values, dtype=getattr(m, dtype), requires_grad=True)
        mant, _ = m.frexp(x)
        g, = m.autograd.grad(mant, x, m.ones(len(values), dtype=getattr(m, dtype), requires_grad=True),
                             create_graph=True)
        return g
    _same(run)
