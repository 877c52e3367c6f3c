"""nn.init and the in-place random fills side by side with torch (same seed, same values)."""
import math
import warnings

import numpy as np
import pytest

from conftest import torch, leafgrad, both, assert_same, to_numpy

INITS = [
    ("uniform_", lambda init, t: init.uniform_(t, -0.3, 0.7)),
    ("normal_", lambda init, t: init.normal_(t, 1.0, 0.5)),
    ("trunc_normal_", lambda init, t: init.trunc_normal_(t, 0.0, 1.0, -1.5, 2.0)),
    ("trunc_normal_default", lambda init, t: init.trunc_normal_(t)),
    ("trunc_normal_narrow", lambda init, t: init.trunc_normal_(t, 0.5, 2.0, 0.0, 0.6)),
    ("trunc_normal_far", lambda init, t: init.trunc_normal_(t, 0.0, 0.1, 0.05, 0.3)),
    ("constant_", lambda init, t: init.constant_(t, 0.25)),
    ("ones_", lambda init, t: init.ones_(t)),
    ("zeros_", lambda init, t: init.zeros_(t)),
    ("xavier_uniform_", lambda init, t: init.xavier_uniform_(t, gain=2.0)),
    ("xavier_normal_", lambda init, t: init.xavier_normal_(t)),
    ("kaiming_uniform_", lambda init, t: init.kaiming_uniform_(t)),
    ("kaiming_uniform_fan_out", lambda init, t: init.kaiming_uniform_(t, a=0.1, mode="fan_out", nonlinearity="relu")),
    ("kaiming_normal_", lambda init, t: init.kaiming_normal_(t, nonlinearity="tanh")),
    ("kaiming_normal_fan_out", lambda init, t: init.kaiming_normal_(t, mode="fan_out")),
    ("orthogonal_", lambda init, t: init.orthogonal_(t, gain=1.5)),
]
SHAPES = [(3, 5), (6, 2), (4, 3, 2, 2), (20, 17)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name,fn", INITS, ids=[n for n, _ in INITS])
def test_init_same_values(name, fn, shape, dtype):
    def run(mod):
        mod.manual_seed(7)
        p = mod.nn.Parameter(mod.empty(shape, dtype=getattr(mod, dtype)))
        out = fn(mod.nn.init, p)
        return out is p, p.requires_grad, p.is_leaf, to_numpy(p), to_numpy(mod.rand(2))
    a, b = both(run)
    assert a[:3] == b[:3]
    if name == "orthogonal_":   # LAPACK QR: equal up to rounding
        np.testing.assert_allclose(a[3], b[3], rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_array_equal(a[3], b[3])
    np.testing.assert_array_equal(a[4], b[4])


def test_orthogonal_is_orthogonal():
    leafgrad.manual_seed(0)
    w = leafgrad.empty(4, 7)
    leafgrad.nn.init.orthogonal_(w)
    np.testing.assert_allclose(to_numpy(w) @ to_numpy(w).T, np.eye(4), atol=1e-5)


def test_eye_dirac():
    assert_same(*both(lambda mod: mod.nn.init.eye_(mod.empty(3, 5))))
    assert_same(*both(lambda mod: mod.nn.init.eye_(mod.empty(3))))
    assert_same(*both(lambda mod: mod.nn.init.dirac_(mod.empty(4, 2, 3, 3), groups=2)))
    assert_same(*both(lambda mod: mod.nn.init.dirac_(mod.empty(4, 2))))


@pytest.mark.parametrize("args", [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",), ("leaky_relu",),
                                  ("leaky_relu", 0.2), ("leaky_relu", 1), ("selu",), ("conv_transpose2d",)])
def test_calculate_gain(args):
    a, b = both(lambda mod: mod.nn.init.calculate_gain(*args))
    assert a == b and type(a) is type(b)


@pytest.mark.parametrize("args", [("foo",), ("leaky_relu", "x"), ("leaky_relu", True)])
def test_calculate_gain_errors(args):
    assert_same(*both(lambda mod: mod.nn.init.calculate_gain(*args)))


@pytest.mark.parametrize("case", ["fan_1d", "mode", "orth_1d", "leaf_inplace"])
def test_init_errors(case):
    def run(mod):
        init = mod.nn.init
        if case == "fan_1d":
            return init.xavier_uniform_(mod.empty(3))
        if case == "mode":
            return init.kaiming_uniform_(mod.empty(3, 3), mode="FAN_X")
        if case == "orth_1d":
            return init.orthogonal_(mod.empty(3))
        if case == "leaf_inplace":
            return mod.ones(3, requires_grad=True).uniform_()
    assert_same(*both(run))


def test_kaiming_zero_element_warns():
    for mod in (torch, leafgrad):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            mod.nn.init.kaiming_uniform_(mod.empty(0, 3))
        assert [str(x.message) for x in w] == ["Initializing zero-element tensors is a no-op"]


FILLS = [
    ("uniform_", lambda t: t.uniform_()), ("uniform_ab", lambda t: t.uniform_(-2, 5)),
    ("normal_", lambda t: t.normal_()), ("normal_ms", lambda t: t.normal_(3.0, 0.1)),
    ("bernoulli_", lambda t: t.bernoulli_(0.3)), ("bernoulli_default", lambda t: t.bernoulli_()),
    ("exponential_", lambda t: t.exponential_(2.0)),
    ("random_to", lambda t: t.random_(10)), ("random_from_to", lambda t: t.random_(-3, 4)),
    ("random_plain", lambda t: t.random_()),
]


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@pytest.mark.parametrize("shape", [(5,), (4, 7), (33,), ()], ids=str)
@pytest.mark.parametrize("name,fn", FILLS, ids=[n for n, _ in FILLS])
def test_random_fills(name, fn, shape, dtype):
    def run(mod):
        mod.manual_seed(11)
        t = mod.zeros(shape, dtype=getattr(mod, dtype))
        v = t._version
        out = fn(t)
        return out is t, t._version - v, t.clone()
    a, b = both(run)
    if isinstance(a, BaseException) or isinstance(b, BaseException):
        assert_same(a, b)
        return
    assert a[:2] == b[:2]
    assert_same(a[2], b[2], rtol=0, atol=0)


def test_bernoulli_tensor_p_and_generator():
    def run(mod):
        mod.manual_seed(3)
        p = mod.rand(4, 5)
        g = mod.Generator().manual_seed(9)
        return (mod.empty(4, 5).bernoulli_(p), mod.empty(6).uniform_(generator=g),
                mod.empty(3).normal_(generator=g))
    assert_same(*both(run))


def test_fill_on_view_updates_base():
    def run(mod):
        mod.manual_seed(1)
        t = mod.zeros(3, 4)
        t[1].uniform_()
        t[:, 2].normal_()
        return t
    assert_same(*both(run))


def test_fill_under_no_grad_on_parameter():
    def run(mod):
        mod.manual_seed(2)
        p = mod.nn.Parameter(mod.zeros(3))
        with mod.no_grad():
            p.uniform_()
        return p.detach().clone(), p.requires_grad, p.is_leaf
    assert_same(*both(run))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(3, 4), (8, 5), (6, 7)], ids=str)
@pytest.mark.parametrize("name,fn", FILLS[:7], ids=[n for n, _ in FILLS[:7]])
def test_random_fills_non_contiguous(name, fn, shape, dtype):
    """Transposed and strided tensors are filled in memory order (normal_: element by element), as ATen."""
    def run(mod):
        mod.manual_seed(0)
        a = mod.zeros(shape, dtype=getattr(mod, dtype))
        fn(a.t())
        fn(a[:, ::2])
        fn(a[1:, 1:])
        fn(a)
        fn(a.t())
        return a
    assert_same(*both(run), rtol=0, atol=0)


def test_bernoulli_tensor_p_non_contiguous():
    def run(mod):
        mod.manual_seed(0)
        p = mod.rand(5, 4)
        a = mod.zeros(4, 5)
        a.t().bernoulli_(p)
        return a
    assert_same(*both(run))


@pytest.mark.parametrize("pshape", [(3, 3), (4,), (2, 1, 5)], ids=str)
def test_bernoulli_p_size_mismatch(pshape):
    assert_same(*both(lambda mod: mod.zeros(4, 5).t().bernoulli_(mod.rand(pshape))))
    assert_same(*both(lambda mod: mod.zeros(4, 5).bernoulli_(mod.rand(pshape))))
