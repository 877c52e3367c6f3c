"""The ops of leafgrad/ops/extra.py side by side with torch: aliases, diff's arguments and
errors, the gamma family's accuracy and edge values, sinc, logcumsumexp (the sweep checks
values and derivatives of their samples; this file checks what samples cannot say)."""
import warnings

import numpy as np
import pytest

from conftest import assert_same, both, leafgrad, torch


def _same(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b = both(fn)
    assert_same(a, b)


def _x(m, *shape, dtype="float32", grad=True, seed=0):
    vals = np.random.default_rng(seed).standard_normal(shape)
    return m.tensor(vals, dtype=getattr(m, dtype), requires_grad=grad)


# ---------------------------------------------------------------------- aliases
@pytest.mark.parametrize("call", [
    lambda m: m.multiply(_x(m, 3), _x(m, 3, seed=1)),
    lambda m: m.subtract(_x(m, 3), _x(m, 3, seed=1), alpha=2),
    lambda m: _x(m, 3).subtract(1.5),
    lambda m: _x(m, 3).multiply(2),
    lambda m: m.divide(_x(m, 3), 2.0),
    lambda m: m.subtract(m.tensor([True]), m.tensor([False])),
    lambda m: _x(m, 3, grad=False).subtract_(_x(m, 3, seed=1), alpha=0.5),
    lambda m: _x(m, 3, grad=False).multiply_(_x(m, 3, seed=1)),
])
def test_aliases(call):
    _same(call)


# ---------------------------------------------------------------------- diff
@pytest.mark.parametrize("call", [
    lambda m: m.diff(_x(m, 3, 4)),
    lambda m: m.diff(_x(m, 3, 4), n=0),
    lambda m: m.diff(_x(m, 3, 4), n=-1),
    lambda m: m.diff(m.tensor(1.0)),
    lambda m: m.diff(_x(m, 3, 4), n=7),
    lambda m: m.diff(_x(m, 3, 4), dim=2),
    lambda m: m.diff(_x(m, 3, 4), prepend=m.zeros(3)),
    lambda m: m.diff(_x(m, 3, 4), append=m.zeros(3, 1, 1)),
    lambda m: m.diff(_x(m, 3, 4), prepend=1.0),
    lambda m: m.diff(_x(m, 3, 4), 1.5),
    lambda m: m.diff(_x(m, 3, 4), True),
    lambda m: _x(m, 3, 4).diff(True),
    lambda m: m.diff(_x(m, 3, 4), 1, 0.5),
    lambda m: m.diff(_x(m, 3, 4), m.tensor(2)),
    lambda m: m.diff(_x(m, 3, 4), m.tensor(2.0)),
    lambda m: m.diff(m.tensor([True, False, False, True])),
    lambda m: m.diff(m.tensor([1, 4, 2]), append=m.tensor([2.5])),
    lambda m: m.diff(m.zeros(3, 0, requires_grad=True)),
    lambda m: m.diff(_x(m, 4, grad=False), prepend=_x(m, 2, dtype="float64")),
])
def test_diff(call):
    _same(call)


def test_diff_gradient():
    def run(m):
        x = _x(m, 3, 5, dtype="float64")
        p = _x(m, 3, 1, dtype="float64", seed=2)
        y = m.diff(x, n=2, dim=1, prepend=p)
        (gx, gp) = m.autograd.grad((y * y).sum(), (x, p))
        return y, gx, gp
    _same(run)


# ---------------------------------------------------------------------- gamma family, sinc
EDGE = [-3.0, -2.5, -1.0, -0.5, -0.0, 0.0, 1e-300, 1e-8, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.5, 7.5, 9.99, 10.0,
        30.0, 171.5, 1e6, 1e300, float("inf"), -float("inf"), float("nan")]


@pytest.mark.parametrize("name", ["lgamma", "digamma", "sinc"])
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "bool"])
def test_unary_values(name, dtype):
    vals = EDGE if dtype.startswith("float") else [True, False] if dtype == "bool" else [-3, -1, 0, 1, 2, 7]
    _same(lambda m: getattr(m, name)(m.tensor(vals, dtype=getattr(m, dtype))))


@pytest.mark.parametrize("name", ["lgamma", "digamma", "sinc"])
def test_unary_forms(name):
    _same(lambda m: getattr(_x(m, 4, grad=False), name + "_")())
    _same(lambda m: getattr(_x(m, 4, grad=False), name)())
    _same(lambda m: getattr(m, name)(_x(m, 4, grad=False), out=m.empty(2)))
    _same(lambda m: getattr(m, name)(_x(m, 4), out=m.empty(4)))
    _same(lambda m: getattr(m, name)([1.0]))


def test_gamma_accuracy_float64():
    """lgamma/digamma/polygamma agree with torch to ~1e-13 away from the poles."""
    x = np.concatenate([np.linspace(-20.3, -0.05, 301), np.geomspace(1e-6, 1e4, 301)])
    for name, fn in (("lgamma", lambda m, t: m.lgamma(t)), ("digamma", lambda m, t: m.digamma(t)),
                     ("polygamma1", lambda m, t: m.polygamma(1, t)), ("polygamma2", lambda m, t: m.polygamma(2, t)),
                     ("polygamma5", lambda m, t: m.polygamma(5, t))):
        a = fn(torch, torch.tensor(x)).numpy()
        b = fn(leafgrad, leafgrad.tensor(x)).numpy()
        # torch's trigamma is itself only accurate to ~1e-8
        rtol = 1e-7 if name == "polygamma1" else 1e-11
        np.testing.assert_allclose(b, a, rtol=rtol, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("call", [
    lambda m: m.polygamma(-1, _x(m, 3)),
    lambda m: m.polygamma(1.5, _x(m, 3)),
    lambda m: m.polygamma(True, _x(m, 3)),
    lambda m: m.polygamma(1, [1.0]),
    lambda m: m.polygamma(2, m.tensor([1, 2, 3])),
    lambda m: m.polygamma(0, _x(m, 3)),
    lambda m: m.polygamma(3, m.tensor([0.5, 1.0, 7.5, 30.0, -2.5])),
    lambda m: _x(m, 3).polygamma(2),
    lambda m: _x(m, 3, grad=False).polygamma_(1),
    lambda m: m.polygamma(1, _x(m, 3, grad=False), out=m.empty(3)),
    lambda m: m.polygamma(1, _x(m, 3), out=m.empty(3)),
])
def test_polygamma(call):
    _same(call)


def test_higher_derivatives_of_digamma():
    def run(m):
        x = m.tensor([0.3, 1.7, 4.0, -1.5], dtype=m.float64, requires_grad=True)
        (g,) = m.autograd.grad(m.lgamma(x).sum(), x, create_graph=True)
        (h,) = m.autograd.grad(g.sum(), x, create_graph=True)
        (k,) = m.autograd.grad(h.sum(), x)
        return g, h, k
    _same(run)


# ---------------------------------------------------------------------- logcumsumexp
@pytest.mark.parametrize("call", [
    lambda m: m.logcumsumexp(_x(m, 3, 4), 1),
    lambda m: m.logcumsumexp(_x(m, 3, 4), dim=-2),
    lambda m: m.logcumsumexp(_x(m, 3, 4), 2),
    lambda m: m.logcumsumexp(m.tensor([1, 2]), 0),
    lambda m: m.logcumsumexp(m.tensor([True]), 0),
    lambda m: m.logcumsumexp(m.tensor(2.0, requires_grad=True), 0),
    lambda m: m.logcumsumexp(m.tensor([-float("inf"), 1e4, 3.0, float("nan")]), 0),
    lambda m: _x(m, 2, 3).logcumsumexp(0),
    lambda m: m.logcumsumexp(_x(m, 3, grad=False), 0, out=m.empty(1)),
])
def test_logcumsumexp(call):
    _same(call)


def test_logcumsumexp_gradient_large_values():
    def run(m):
        x = m.tensor([[1000.0, 1000.5, -1000.0, 2.0], [-800.0, -801.0, 3.0, 700.0]], dtype=m.float64,
                     requires_grad=True)
        y = m.logcumsumexp(x, 1)
        (g,) = m.autograd.grad((y * m.tensor([1.0, -2.0, 0.5, 3.0], dtype=m.float64)).sum(), x)
        return y, g
    _same(run)


# ---------------------------------------------------------------------- splits, indices, isin, logspace, ...
@pytest.mark.parametrize("call", [
    lambda m: m.hsplit(_x(m, 4, 6), 3),
    lambda m: m.hsplit(_x(m, 4, 6), [1, 3]),
    lambda m: m.hsplit(_x(m, 4, 6), (2, 3)),
    lambda m: m.hsplit(_x(m, 4, 6), 4),
    lambda m: m.hsplit(_x(m, 4, 6), 0),
    lambda m: m.hsplit(_x(m, 4, 6), 1.5),
    lambda m: m.hsplit(m.tensor(1.0), 3),
    lambda m: m.hsplit(_x(m, 6), 3),
    lambda m: _x(m, 4, 6).hsplit(2),
    lambda m: _x(m, 4, 6).hsplit(2, 3),
    lambda m: m.vsplit(_x(m, 6), 3),
    lambda m: m.vsplit(_x(m, 4, 6), 2),
    lambda m: _x(m, 4, 6).vsplit([1]),
    lambda m: m.dsplit(_x(m, 4, 6), 2),
    lambda m: m.dsplit(_x(m, 2, 2, 6), 3),
    lambda m: m.dsplit(_x(m, 2, 2, 6), 4),
])
def test_directional_splits(call):
    _same(call)


@pytest.mark.parametrize("name", ["tril_indices", "triu_indices"])
@pytest.mark.parametrize("args", [(3, 4), (3, 4, 1), (3, 4, -1), (4, 3, 2), (0, 4), (3, 0), (5, 5, -10), (5, 5, 10),
                                  (-1, 4), (3, -4), (1, 1)])
def test_tri_indices(name, args):
    _same(lambda m: getattr(m, name)(*args))


@pytest.mark.parametrize("name", ["tril_indices", "triu_indices"])
def test_tri_indices_dtype(name):
    _same(lambda m: getattr(m, name)(3, 4, dtype=m.int32))
    _same(lambda m: getattr(m, name)(3, 4, -1, dtype=m.float32))


@pytest.mark.parametrize("call", [
    lambda m: m.isin(m.tensor([1, 2, 3]), m.tensor([2, 5])),
    lambda m: m.isin(m.tensor([[1, 2], [3, 5]]), m.tensor([2, 5]), invert=True),
    lambda m: m.isin(m.tensor([1, 2, 3]), 2),
    lambda m: m.isin(2, m.tensor([2, 5])),
    lambda m: m.isin(2, 3),
    lambda m: m.isin(m.tensor([1.0, 2.5, float("nan")]), m.tensor([2.5, float("nan")])),
    lambda m: m.isin(m.tensor([1.0, 2.0], requires_grad=True), m.tensor([2])),
    lambda m: m.isin(m.tensor([1, 2]), m.tensor([True])),
    lambda m: m.isin(m.tensor([1, 2], dtype=m.uint8), m.tensor([-1, 2])),
    lambda m: m.isin(m.tensor([1, 2]), m.tensor([2, 3]), assume_unique=True),
])
def test_isin(call):
    _same(call)


@pytest.mark.parametrize("call", [
    lambda m: m.logspace(0, 2, 3),
    lambda m: m.logspace(-1.5, 2.5, 7, base=2.0),
    lambda m: m.logspace(0, 2, 3, dtype=m.int64),
    lambda m: m.logspace(0, 2, 3, dtype=m.float64),
    lambda m: m.logspace(0, 2, -1),
    lambda m: m.logspace(0, 2, 0),
    lambda m: m.logspace(0, 2, 1),
    lambda m: m.logspace(0, 2, 3, requires_grad=True),
    lambda m: m.logspace(m.tensor(0.0), 2, 3),
])
def test_logspace(call):
    _same(call)


@pytest.mark.parametrize("call", [
    lambda m: m.diagflat(_x(m, 2, 2)),
    lambda m: m.diagflat(_x(m, 3), 1),
    lambda m: m.diagflat(_x(m, 3), -2),
    lambda m: m.diagflat(m.tensor(2.0)),
    lambda m: _x(m, 2).diagflat(),
    lambda m: m.diagflat(m.tensor([1, 2])),
    lambda m: m.cartesian_prod(_x(m, 2), _x(m, 3, seed=1)),
    lambda m: m.cartesian_prod(m.tensor([1, 2]), m.tensor([3, 4]), m.tensor([5])),
    lambda m: m.cartesian_prod(m.tensor([1, 2])),
    lambda m: m.cartesian_prod(),
    lambda m: m.cartesian_prod(m.tensor([1, 2]), m.tensor([3.0])),
    lambda m: m.cartesian_prod(m.ones(2, 2)),
])
def test_diagflat_cartesian_prod(call):
    _same(call)


# ---------------------------------------------------------------------- addr
@pytest.mark.parametrize("call", [
    lambda m: m.addr(m.ones(3, 4), m.ones(3, 1), m.ones(4)),
    lambda m: m.addr(m.ones(3, 4), m.ones(3), m.ones(4, 1)),
    lambda m: m.addr(m.ones(2, 4), m.ones(3), m.ones(4)),
    lambda m: m.addr(m.tensor([float("nan")]), m.ones(3), m.ones(4), beta=0),
    lambda m: m.addr(m.ones(3, 4, dtype=m.int64), m.ones(3, dtype=m.int64), m.ones(4, dtype=m.int64), beta=0.5),
    lambda m: m.addr(m.ones(3, 4, dtype=m.int64), m.ones(3, dtype=m.int64), m.ones(4, dtype=m.int64), alpha=2),
    lambda m: m.addr(m.ones(3, 4, dtype=m.int64), m.ones(3), m.ones(4)),
    lambda m: m.addr(_x(m, 3, 4), _x(m, 3, dtype="float64", seed=1), _x(m, 4, seed=2)),
    lambda m: m.addr(m.ones(3, 4, dtype=m.bool), m.tensor([True, False, True]), m.ones(4, dtype=m.bool)),
    lambda m: _x(m, 3, 4, grad=False).addr_(_x(m, 3, seed=1), _x(m, 4, seed=2), beta=2.0, alpha=0.5),
])
def test_addr(call):
    _same(call)


def test_addr_gradients():
    # (with mixed dtypes torch's own backward fails: "addmv input tensors must have the same dtype")
    def run(m):
        s, a, b = _x(m, 3, 4), _x(m, 3, seed=1), _x(m, 4, seed=2)
        y = m.addr(s, a, b, beta=0.5, alpha=-2.0)
        return (y,) + m.autograd.grad((y * y).sum(), (s, a, b))
    _same(run)


# ---------------------------------------------------------------------- dist, heaviside
@pytest.mark.parametrize("call", [
    lambda m: m.dist(m.tensor([1, 2]), m.tensor([3, 4])),
    lambda m: m.dist(_x(m, 3, 4), m.ones(4, dtype=m.float64), 3),
    lambda m: m.dist(_x(m, 3, 4), m.ones(4), 0),
    lambda m: m.autograd.grad(m.dist(_x(m, 3, 4), m.ones(4), 0), _x(m, 1)),
    lambda m: m.dist(_x(m, 3, 4), m.ones(4), float("inf")),
    lambda m: m.dist(_x(m, 3, 4), m.ones(4), -1),
    lambda m: m.dist(_x(m, 3, 4), 1.0),
    lambda m: _x(m, 3, 4).dist(1.0),
    lambda m: m.dist(_x(m, 3, 4), m.ones(5)),
    lambda m: m.dist(m.tensor([True]), m.ones(1)),
    lambda m: m.dist(m.zeros(0), m.zeros(0)),
])
def test_dist(call):
    _same(call)


def test_dist_p0_gradient_is_unused():
    def run(m):
        x = _x(m, 3, 4)
        return m.autograd.grad(m.dist(x, m.ones(4), 0), x)
    _same(run)


@pytest.mark.parametrize("call", [
    lambda m: m.heaviside(_x(m, 3, 4), m.tensor(0.5)),
    lambda m: m.heaviside(m.tensor([1.0, 0.0, -0.0, -1.0, float("nan")]), m.tensor([0.5, 2.0, 3.0, 4.0, 5.0])),
    lambda m: m.heaviside(m.tensor([1, 0, -1]), m.tensor(2)),
    lambda m: m.heaviside(m.tensor([1.0, 0, -1]), m.tensor(2)),
    lambda m: m.heaviside(m.tensor([1.0, 0, -1]), 2.0),
    lambda m: m.heaviside(m.tensor([1.0, 0, -1]), m.tensor([2.0, 3.0])),
    lambda m: m.heaviside(_x(m, 3), _x(m, 3, seed=1)).sum().backward(),
    lambda m: m.tensor([1.0, 0, -1]).heaviside_(m.tensor(0.5)),
    lambda m: m.tensor([1.0, 0, -1]).heaviside(m.tensor(0.5)),
])
def test_heaviside(call):
    _same(call)


# ---------------------------------------------------------------------- trapezoid, cumulative_trapezoid
_Y = [[0.0, 1.0, 2.5], [3.0, -4.0, 5.0]]


@pytest.mark.parametrize("name", ["trapezoid", "trapz", "cumulative_trapezoid"])
@pytest.mark.parametrize("call", [
    lambda m, f: f(m.tensor([1, 2, 4])),
    lambda m, f: f(m.tensor([1, 2, 4]), dx=2),
    lambda m, f: f(m.tensor([1, 2, 4]), m.tensor([1, 2, 4])),
    lambda m, f: f(m.tensor(_Y), 2.0),
    lambda m, f: f(m.tensor(_Y), m.tensor([1.0, 2.0])),
    lambda m, f: f(m.tensor(_Y), m.tensor([1.0, 2.0]), dim=0),
    lambda m, f: f(m.tensor(_Y), m.tensor([1.0, 2.0, 4.0]), dx=1),
    lambda m, f: f(m.tensor(_Y), m.tensor([[1.0, 2.0, 4.0]])),
    lambda m, f: f(m.tensor(_Y), m.tensor([1, 2, 3])),
    lambda m, f: f(m.tensor(_Y, dtype=m.float64), m.tensor([1.0, 2.0, 3.5])),
    lambda m, f: f(m.zeros(2, 0)),
    lambda m, f: f(m.tensor([True])),
    lambda m, f: f(m.tensor([1.0]), m.tensor([True])),
    lambda m, f: f(m.tensor(_Y), dx=True),
    lambda m, f: f(m.tensor(1.0)),
    lambda m, f: f(_x(m, 3, 5), dx=0.25, dim=0),
    lambda m, f: f(_x(m, 3, 5), _x(m, 5, seed=1)),
])
def test_trapezoid(name, call):
    _same(lambda m: call(m, getattr(m, name)))


@pytest.mark.parametrize("name", ["trapezoid", "cumulative_trapezoid"])
def test_trapezoid_gradients(name):
    def run(m):
        y, x = _x(m, 3, 5, dtype="float64"), _x(m, 5, dtype="float64", seed=1)
        out = getattr(m, name)(y, x)
        out2 = getattr(m, name)(y, dx=0.5, dim=0)
        return (out, out2) + m.autograd.grad((out * out).sum() + out2.sum(), (y, x))
    _same(run)


# ---------------------------------------------------------------------- block_diag
@pytest.mark.parametrize("call", [
    lambda m: m.block_diag(),
    lambda m: m.block_diag(m.ones(2, 2, 2)),
    lambda m: m.block_diag(m.tensor(2), m.tensor([1.0, 2]), m.ones(2, 1, dtype=m.float64)),
    lambda m: m.block_diag(m.zeros(0, 2), m.ones(1, 0)),
    lambda m: m.block_diag([m.ones(1)]),
    lambda m: m.block_diag(m.tensor([True]), m.tensor([2])),
    lambda m: m.block_diag(_x(m, 2, 3), _x(m, 1, 2, seed=1)),
])
def test_block_diag(call):
    _same(call)


def test_block_diag_gradients():
    def run(m):
        a, b, c = _x(m, dtype="float64"), _x(m, 3, dtype="float64", seed=1), _x(m, 2, 2, dtype="float64", seed=2)
        y = m.block_diag(a, b, c)
        return (y,) + m.autograd.grad((y * m.arange(20.0, dtype=m.float64).reshape(4, 5)).sum(), (a, b, c))
    _same(run)
