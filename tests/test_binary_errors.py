"""Binary ops (ops/binary.py) side by side with PyTorch: errors, integer and bool
dtypes, in-place forms, ``out=``, the nodes PyTorch records (NotImplemented, the
float_power composition, DivBackward2 for an explicit ``rounding_mode``), special
values, and what the sweep cannot express."""
import warnings

import numpy as np
import pytest

from conftest import assert_same, both, leafgrad, torch

INF, NAN = float("inf"), float("nan")


def check(fn, **kw):
    a, b = both(fn)
    assert_same(a, b, **kw)


# ------------------------------------------------------------------ errors
ERRORS = {
    "div bad rounding_mode": lambda m: m.div(m.tensor([1.0]), 2, rounding_mode="round"),
    "div_ bad rounding_mode": lambda m: m.tensor([1.0]).div_(2, rounding_mode="x"),
    "div trunc int by zero": lambda m: m.div(m.tensor([5, -7]), m.tensor([1, 0]), rounding_mode="trunc"),
    "div floor int by zero": lambda m: m.div(m.tensor([5, -7]), 0, rounding_mode="floor"),
    "div floor bool": lambda m: m.div(m.tensor([True]), m.tensor([True]), rounding_mode="floor"),
    "div trunc bool": lambda m: m.div(m.tensor([True]), m.tensor([True]), rounding_mode="trunc"),
    "div broadcast": lambda m: m.div(m.ones(2, 3), m.ones(4), rounding_mode="floor"),
    "floor_divide int by zero": lambda m: m.floor_divide(m.tensor([5]), m.tensor([0])),
    "floordiv op int by zero": lambda m: m.tensor([5, 1]) // 0,
    "rfloordiv int by zero": lambda m: 3 // m.tensor([0, 1]),
    "floor_divide bool": lambda m: m.floor_divide(m.tensor([True]), m.tensor([True])),
    "remainder int by zero": lambda m: m.remainder(m.tensor([5]), m.tensor([0])),
    "mod int by zero": lambda m: m.tensor([5]) % 0,
    "remainder bool": lambda m: m.remainder(m.tensor([True]), m.tensor([True])),
    "fmod int by zero": lambda m: m.fmod(m.tensor([5]), m.tensor([0])),
    "fmod bool": lambda m: m.fmod(m.tensor([True]), m.tensor([False])),
    "fmod scalar first": lambda m: m.fmod(3, m.tensor([1, 2])),
    "fmod None": lambda m: m.fmod(m.ones(2), None),
    "fmod method None": lambda m: m.ones(2).fmod(None),
    "remainder str": lambda m: m.remainder(m.ones(2), "a"),
    "remainder str first": lambda m: m.remainder("a", m.ones(2)),
    "remainder method str": lambda m: m.ones(2).remainder("a"),
    "mod str": lambda m: m.ones(2) % "a",
    "floordiv str": lambda m: m.ones(2) // "a",
    "rfloordiv str": lambda m: "a" // m.ones(2),
    "float_power numbers": lambda m: m.float_power(2, 3),
    "float_power None": lambda m: m.float_power(m.ones(2), None),
    "float_power method None": lambda m: m.ones(2).float_power(None),
    "float_power_ None": lambda m: m.ones(2).float_power_(None),
    "float_power_ float32": lambda m: m.ones(2).float_power_(2),
    "float_power_ int64": lambda m: m.tensor([1, 2]).float_power_(m.tensor([1.0, 2.0])),
    "atan2 scalar": lambda m: m.atan2(m.ones(2), 2.0),
    "atan2 scalar input": lambda m: m.atan2(2.0, m.ones(2)),
    "atan2 method int": lambda m: m.ones(2).atan2(1),
    "arctan2 scalar": lambda m: m.arctan2(m.ones(2), 2.0),
    "atan2_ int": lambda m: m.tensor([1, 2]).atan2_(m.tensor([1, 1])),
    "maximum scalar": lambda m: m.maximum(m.ones(2), 2.0),
    "maximum scalar input": lambda m: m.maximum(2.0, m.ones(2)),
    "maximum method scalar": lambda m: m.ones(2).maximum(2.0),
    "minimum None": lambda m: m.minimum(m.ones(2), None),
    "fmax scalar": lambda m: m.fmax(m.ones(2), 1),
    "fmin method scalar": lambda m: m.ones(2).fmin(1.0),
    "maximum broadcast": lambda m: m.maximum(m.ones(2), m.ones(3)),
    "fmin broadcast": lambda m: m.fmin(m.ones(2, 3), m.ones(2)),
    "hypot int": lambda m: m.hypot(m.tensor([3]), m.tensor([4])),
    "hypot bool": lambda m: m.hypot(m.tensor([True]), m.tensor([True])),
    "hypot_ int": lambda m: m.tensor([3]).hypot_(m.tensor([4])),
    "hypot scalar": lambda m: m.hypot(m.ones(2), 2.0),
    "hypot method None": lambda m: m.ones(2).hypot(None),
    "copysign scalar first": lambda m: m.copysign(2.0, m.ones(2)),
    "copysign method None": lambda m: m.ones(2).copysign(None),
    "copysign_ int": lambda m: m.tensor([1, 2]).copysign_(m.tensor([-1, 1])),
    "fmod_ int by float": lambda m: m.tensor([5, 7]).fmod_(2.5),
    "remainder_ int by float tensor": lambda m: m.tensor([5, 7]).remainder_(m.tensor([2.5])),
    "div_ int true division": lambda m: m.tensor([5, 7]).div_(2, rounding_mode=None),
    "div_ int true division (no mode)": lambda m: m.tensor([5, 7]).div_(2),
    "floor_divide_ int by float": lambda m: m.tensor([5, 7]).floor_divide_(2.5),
    "isclose dtypes": lambda m: m.isclose(m.tensor([1]), m.tensor([1.0])),
    "isclose float/double": lambda m: m.isclose(m.ones(2), m.ones(2, dtype=m.float64)),
    "isclose rtol": lambda m: m.isclose(m.ones(2), m.ones(2), rtol=-1),
    "isclose atol": lambda m: m.isclose(m.ones(2), m.ones(2), atol=-0.5),
    "isclose scalar": lambda m: m.isclose(m.ones(2), 1.0),
    "isclose method scalar": lambda m: m.ones(2).isclose(1.0),
    "isclose broadcast": lambda m: m.isclose(m.ones(2), m.ones(3)),
    "leaf in-place": lambda m: m.ones(2, requires_grad=True).div_(2, rounding_mode="floor"),
    "leaf in-place maximum-free atan2_": lambda m: m.ones(2, requires_grad=True).atan2_(m.ones(2)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors(name):
    a, b = both(ERRORS[name])
    assert isinstance(a, BaseException), f"torch did not raise: {a!r}"
    assert_same(a, b)


# ------------------------------------------------------------------ values and dtypes
I = [5, -7, 3, -4, 0, 9]
J = [2, 2, -2, -3, 3, -4]
F = [1.5, -2.0, 3.0, -0.5, 0.0, 7.25]
G = [2.0, -2.0, 0.75, 2.0, -3.0, -1.5]

VALUES = {
    "div trunc int": lambda m: m.div(m.tensor(I), m.tensor(J), rounding_mode="trunc"),
    "div floor int": lambda m: m.div(m.tensor(I), m.tensor(J), rounding_mode="floor"),
    "div none int": lambda m: m.div(m.tensor(I), m.tensor(J), rounding_mode=None),
    "div none int scalar": lambda m: m.div(m.tensor(I), 4, rounding_mode=None),
    "div none bool": lambda m: m.div(m.tensor([True, False]), True, rounding_mode=None),
    "div floor int/float scalar": lambda m: m.div(m.tensor(I), 2.5, rounding_mode="floor"),
    "div trunc int8/uint8": lambda m: m.div(m.tensor(I, dtype=m.int8), m.tensor([1, 2, 3, 4, 5, 6], dtype=m.uint8),
                                            rounding_mode="trunc"),
    "div floor int32 scalar": lambda m: m.div(m.tensor(I, dtype=m.int32), -3, rounding_mode="floor"),
    "div trunc float": lambda m: m.div(m.tensor(F), m.tensor(G), rounding_mode="trunc"),
    "div floor float": lambda m: m.div(m.tensor(F), m.tensor(G), rounding_mode="floor"),
    "div floor float16": lambda m: m.div(m.tensor(F, dtype=m.float16), 0.75, rounding_mode="floor"),
    "div floor specials": lambda m: m.div(m.tensor([1.0, -1.0, 0.0, INF, NAN, -0.0, 5.0]),
                                          m.tensor([0.0, 0.0, 0.0, 2.0, 1.0, 3.0, INF]), rounding_mode="floor"),
    "div trunc specials": lambda m: m.div(m.tensor([1.0, -1.0, 0.0, INF, NAN, -0.0, -5.0]),
                                          m.tensor([0.0, 0.0, 0.0, 2.0, 1.0, 3.0, INF]), rounding_mode="trunc"),
    "div scalar first floor": lambda m: m.div(7, m.tensor([2.0, -3.0]), rounding_mode="floor"),
    "divide": lambda m: m.divide(m.tensor(I), 3, rounding_mode="floor"),
    "div plain still DivBackward0 dtype": lambda m: m.div(m.tensor(I), 3),
    "floor_divide int": lambda m: m.floor_divide(m.tensor(I), m.tensor(J)),
    "floor_divide float": lambda m: m.floor_divide(m.tensor(F), m.tensor(G)),
    "floordiv int scalar": lambda m: m.tensor(I) // -2,
    "floordiv int float scalar": lambda m: m.tensor(I) // 2.5,
    "rfloordiv": lambda m: 7 // m.tensor([2, -3, 4]),
    "rfloordiv float": lambda m: 7.5 // m.tensor([2, -3, 4]),
    "floor_divide 0-d int with float16": lambda m: m.floor_divide(m.tensor(7), m.tensor(F, dtype=m.float16)),
    "floor_divide uint8 int8": lambda m: m.floor_divide(m.tensor([200, 7], dtype=m.uint8),
                                                        m.tensor([-3, 2], dtype=m.int8)),
    "remainder int": lambda m: m.remainder(m.tensor(I), m.tensor(J)),
    "remainder float": lambda m: m.remainder(m.tensor(F), m.tensor(G)),
    "remainder specials": lambda m: m.remainder(m.tensor([1.0, INF, NAN, 5.0, -5.0]),
                                                m.tensor([0.0, 2.0, 2.0, INF, INF])),
    "remainder scalar": lambda m: m.remainder(m.tensor(I), 4),
    "remainder float scalar on int": lambda m: m.remainder(m.tensor(I), 2.5),
    "remainder uint8 negative scalar": lambda m: m.remainder(m.tensor([5, 250], dtype=m.uint8), -3),
    "remainder scalar first": lambda m: m.remainder(3, m.tensor(J)),
    "remainder float scalar first": lambda m: m.remainder(3.5, m.tensor(J)),
    "rmod": lambda m: 7 % m.tensor([2, -3, 4]),
    "rmod float": lambda m: -7.5 % m.tensor([2.0, -3.0, 4.0]),
    "mod 0-d tensor": lambda m: m.tensor(F) % m.tensor(2),
    "fmod int": lambda m: m.fmod(m.tensor(I), m.tensor(J)),
    "fmod float": lambda m: m.fmod(m.tensor(F), m.tensor(G)),
    "fmod specials": lambda m: m.fmod(m.tensor([1.0, INF, NAN, 5.0]), m.tensor([0.0, 2.0, 2.0, INF])),
    "fmod int float scalar": lambda m: m.fmod(m.tensor(I), 2.5),
    "fmod int8 scalar": lambda m: m.fmod(m.tensor([100, -100], dtype=m.int8), 7),
    "fmod float16": lambda m: m.fmod(m.tensor(F, dtype=m.float16), 2),
    "float_power int": lambda m: m.float_power(m.tensor([2, 3]), 2),
    "float_power int int": lambda m: m.float_power(m.tensor([2, 3, -2]), m.tensor([3, -1, 3])),
    "float_power number": lambda m: m.float_power(2, m.tensor([1, -1, 3])),
    "float_power float32": lambda m: m.float_power(m.tensor([1.5, 2.0]), m.tensor([2.0, 0.5])),
    "float_power bool": lambda m: m.float_power(m.tensor([True, False]), 2),
    "float_power method": lambda m: m.tensor([1.5, 2.0]).float_power(3),
    "float_power_ double": lambda m: m.tensor([1.5, 2.0], dtype=m.float64).float_power_(m.tensor([2.0, 1.0])),
    "atan2 int": lambda m: m.atan2(m.tensor(I), m.tensor(J)),
    "atan2 bool": lambda m: m.atan2(m.tensor([True, False]), m.tensor([True, True])),
    "atan2 specials": lambda m: m.atan2(m.tensor([0.0, -0.0, 0.0, -0.0, INF, 1.0, NAN]),
                                        m.tensor([0.0, 0.0, -0.0, -0.0, INF, -INF, 1.0])),
    "atan2 float16/float32": lambda m: m.atan2(m.tensor(F, dtype=m.float16), m.tensor(G)),
    "arctan2 method": lambda m: m.tensor(F).arctan2(m.tensor(G)),
    "maximum int": lambda m: m.maximum(m.tensor(I), m.tensor(J)),
    "maximum int/float": lambda m: m.maximum(m.tensor(I), m.tensor(G)),
    "maximum bool": lambda m: m.maximum(m.tensor([True, False]), m.tensor([False, False])),
    "maximum uint8/int8": lambda m: m.maximum(m.tensor([200, 1], dtype=m.uint8), m.tensor([-3, 2], dtype=m.int8)),
    "maximum 0-d float64 with float32": lambda m: m.maximum(m.tensor(F), m.tensor(1.0, dtype=m.float64)),
    "maximum 0-d int with float16": lambda m: m.maximum(m.tensor(F, dtype=m.float16), m.tensor(1)),
    "maximum nan": lambda m: m.maximum(m.tensor([NAN, 1.0, NAN]), m.tensor([1.0, NAN, NAN])),
    "minimum nan": lambda m: m.minimum(m.tensor([NAN, 1.0, -INF]), m.tensor([1.0, NAN, 2.0])),
    "fmax nan": lambda m: m.fmax(m.tensor([NAN, 1.0, NAN]), m.tensor([1.0, NAN, NAN])),
    "fmin nan": lambda m: m.fmin(m.tensor([NAN, 1.0, NAN]), m.tensor([1.0, NAN, NAN])),
    "fmax int": lambda m: m.fmax(m.tensor(I), m.tensor(J)),
    "fmin bool": lambda m: m.fmin(m.tensor([True, False]), m.tensor([True, True])),
    "hypot": lambda m: m.hypot(m.tensor(F), m.tensor(G)),
    "hypot float/int": lambda m: m.hypot(m.tensor(F), m.tensor(J)),
    "hypot specials": lambda m: m.hypot(m.tensor([INF, NAN, 3e200], dtype=m.float64),
                                        m.tensor([NAN, INF, 4e200], dtype=m.float64)),
    "hypot float16": lambda m: m.hypot(m.tensor(F, dtype=m.float16), m.tensor(G, dtype=m.float16)),
    "copysign int": lambda m: m.copysign(m.tensor(I), m.tensor(J)),
    "copysign bool": lambda m: m.copysign(m.tensor([True, False]), m.tensor([False, True])),
    "copysign int scalar": lambda m: m.copysign(m.tensor(I), -1),
    "copysign float16 scalar": lambda m: m.copysign(m.tensor(F, dtype=m.float16), -0.0),
    "copysign_ float": lambda m: m.tensor(F).copysign_(-1),
    "isclose": lambda m: m.isclose(m.tensor([1.0, 1.0 + 1e-6, 1.1, INF, -INF, INF, NAN, 0.0]),
                                   m.tensor([1.0, 1.0, 1.0, INF, INF, NAN, NAN, 1e-9])),
    "isclose equal_nan": lambda m: m.isclose(m.tensor([NAN, 1.0, NAN]), m.tensor([NAN, NAN, 1.0]), equal_nan=True),
    "isclose zero tolerances": lambda m: m.isclose(m.tensor([1.0, 1.0 + 1e-7, NAN]), m.tensor([1.0, 1.0, NAN]),
                                                   rtol=0, atol=0, equal_nan=True),
    "isclose int": lambda m: m.isclose(m.tensor([10, 11, 20]), m.tensor([10, 10, 10]), rtol=0.05, atol=0),
    "isclose int atol": lambda m: m.isclose(m.tensor([10, 11, 20]), m.tensor([10, 10, 10]), atol=1),
    "isclose uint8": lambda m: m.isclose(m.tensor([3, 5, 200], dtype=m.uint8),
                                         m.tensor([5, 3, 10], dtype=m.uint8), atol=3),
    "isclose int64 in float32": lambda m: m.isclose(m.tensor([2 ** 40 + 1]), m.tensor([2 ** 40]), rtol=0, atol=0.5),
    "isclose bool": lambda m: m.isclose(m.tensor([True, False]), m.tensor([True, True]), rtol=0.5, atol=0.6),
    "isclose float16": lambda m: m.isclose(m.tensor([1.0, 1.001], dtype=m.float16),
                                           m.tensor([1.0, 1.0], dtype=m.float16), rtol=1e-3),
    "isclose broadcast": lambda m: m.isclose(m.tensor([[1.0], [2.0]]), m.tensor([1.0, 2.0, 3.0])),
    "isclose method": lambda m: m.tensor([1.0, 2.0]).isclose(m.tensor([1.0, 2.1]), 0.1),
    "empty": lambda m: m.remainder(m.ones(0, 3), m.ones(3)),
}


@pytest.mark.parametrize("name", list(VALUES))
def test_values(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy division warnings either
        check(VALUES[name])


SIGNED_ZEROS = {
    "remainder": lambda m: m.remainder(m.tensor([-2.0, 2.0, -0.0, 4.0]), m.tensor([2.0, -2.0, 3.0, 2.0])),
    "remainder scalar": lambda m: m.remainder(m.tensor([-2.0, 2.0, -0.0]), -2.0),
    "fmod": lambda m: m.fmod(m.tensor([-2.0, 2.0, -0.0]), m.tensor([2.0, -2.0, 3.0])),
    "div floor": lambda m: m.div(m.tensor([-0.5, 0.5, -0.0, 0.0]), m.tensor([2.0, -2.0, 3.0, -3.0]),
                                 rounding_mode="floor"),
    "div trunc": lambda m: m.div(m.tensor([-0.5, 0.5, -0.0, 0.0]), m.tensor([2.0, -2.0, 3.0, -3.0]),
                                 rounding_mode="trunc"),
    "floor_divide": lambda m: m.floor_divide(m.tensor([-0.5, 0.5, 0.0]), m.tensor([2.0, -2.0, -3.0])),
    "copysign": lambda m: m.copysign(m.tensor([0.0, -0.0, 0.0, 1.0]), m.tensor([-0.0, 0.0, NAN, -NAN])),
}


@pytest.mark.parametrize("name", list(SIGNED_ZEROS))
def test_signed_zeros(name):
    a, b = both(SIGNED_ZEROS[name])
    assert_same(a, b)
    assert np.signbit(a.detach().numpy()).tolist() == np.signbit(b.detach().numpy()).tolist()


def test_large_int_trunc_exact():
    # trunc division of int64 beyond float64's exact range stays exact
    big = 2 ** 62 + 1

    def fn(m):
        return m.div(m.tensor([big, -big]), m.tensor([3, 3]), rounding_mode="trunc")
    check(fn)


# ------------------------------------------------------------------ nodes
def _grad_fn(t):
    return None if t.grad_fn is None else (type(t.grad_fn).__name__, t.grad_fn.name())


NODES = {
    "div explicit None": lambda m, a, b: m.div(a, b, rounding_mode=None),
    "div method explicit None": lambda m, a, b: a.div(b, rounding_mode=None),
    "div no mode": lambda m, a, b: m.div(a, b),
    "divide no mode": lambda m, a, b: m.divide(a, b),
    "true_divide": lambda m, a, b: m.true_divide(a, b),
    "div floor scalar": lambda m, a, b: m.div(a, 2.0, rounding_mode="floor"),
    "floor_divide": lambda m, a, b: m.floor_divide(a, b),
    "floordiv scalar": lambda m, a, b: a // 2,
    "rfloordiv": lambda m, a, b: 2 // a,
    "remainder": lambda m, a, b: m.remainder(a, b),
    "remainder scalar": lambda m, a, b: a % 2.5,
    "remainder 0-d tensor": lambda m, a, b: a % m.tensor(2.5),
    "rmod": lambda m, a, b: 2 % a,
    "remainder scalar first": lambda m, a, b: m.remainder(2, a),
    "fmod": lambda m, a, b: m.fmod(a, b),
    "fmod scalar": lambda m, a, b: m.fmod(a, -1.5),
    "float_power": lambda m, a, b: m.float_power(a, b),
    "float_power scalar": lambda m, a, b: m.float_power(a, 2),
    "float_power number": lambda m, a, b: m.float_power(2, b),
    "atan2": lambda m, a, b: m.atan2(a, b),
    "maximum": lambda m, a, b: m.maximum(a, b),
    "fmin": lambda m, a, b: m.fmin(a, b),
    "hypot": lambda m, a, b: m.hypot(a, b),
    "copysign": lambda m, a, b: m.copysign(a, b),
    "copysign scalar": lambda m, a, b: m.copysign(a, -2),
}


@pytest.mark.parametrize("name", list(NODES))
def test_nodes(name):
    def fn(m):
        a = m.tensor([1.5, -2.5, 3.0], requires_grad=True)
        b = m.tensor([0.5, 2.0, -1.25], requires_grad=True)
        out = NODES[name](m, a, b)
        nxt = [None if f is None else type(f).__name__ for f, _ in out.grad_fn.next_functions]
        return _grad_fn(out), nxt, out
    a, b = both(fn)
    assert_same(a, b)


@pytest.mark.parametrize("name", ["floor_divide", "floordiv scalar", "rfloordiv", "rmod", "remainder scalar first"])
def test_not_implemented_backward(name):
    def fn(m):
        a = m.tensor([1.5, -2.5, 3.0], requires_grad=True)
        b = m.tensor([0.5, 2.0, -1.25], requires_grad=True)
        NODES[name](m, a, b).sum().backward()
    assert_same(*both(fn))


def test_rounding_mode_gradients_are_zero_and_constant():
    def fn(m):
        a = m.tensor([1.5, -2.5, 3.0], requires_grad=True)
        b = m.tensor([0.5, 2.0, -1.25], requires_grad=True)
        out = []
        for mode in ("floor", "trunc"):
            ga, gb = m.autograd.grad(m.div(a * 1, b, rounding_mode=mode).sum(), [a, b], create_graph=True)
            out += [ga, gb, ga.requires_grad]
        return out
    a, b = both(fn)
    assert_same(a, b, check_graph=False)


def test_maximum_minimum_ties_split():
    def fn(m):
        a = m.tensor([1.0, 2.0, 3.0, NAN], requires_grad=True)
        b = m.tensor([1.0, 1.0, 3.0, 0.0], requires_grad=True)
        out = []
        for f in (m.maximum, m.minimum, m.fmax, m.fmin):
            out += list(m.autograd.grad(f(a, b).sum(), [a, b]))
        return out
    assert_same(*both(fn))


def test_saved_tensors():
    def fn(m):
        a = m.tensor([1.5, -2.5], requires_grad=True)
        b = m.tensor([0.5, 2.0], requires_grad=True)
        d = m.div(a, b, rounding_mode="floor")
        h = m.hypot(a, b)
        return d.grad_fn._saved_self, d.grad_fn._saved_other, d.grad_fn._saved_rounding_mode, \
            h.grad_fn._saved_result, m.atan2(a, b).grad_fn._saved_other
    assert_same(*both(fn), check_graph=False)


# ------------------------------------------------------------------ in-place forms
INPLACE = {
    "div_ floor": lambda m, x, y: x.div_(y, rounding_mode="floor"),
    "div_ trunc scalar": lambda m, x, y: x.div_(1.5, rounding_mode="trunc"),
    "div_ none": lambda m, x, y: x.div_(y, rounding_mode=None),
    "div_ plain": lambda m, x, y: x.div_(y),
    "divide_ floor": lambda m, x, y: x.divide_(y, rounding_mode="floor"),
    "floor_divide_": lambda m, x, y: x.floor_divide_(y),
    "ifloordiv": lambda m, x, y: x.__ifloordiv__(y),
    "remainder_": lambda m, x, y: x.remainder_(y),
    "imod": lambda m, x, y: x.__imod__(0.75),
    "fmod_": lambda m, x, y: x.fmod_(y),
    "fmod_ scalar": lambda m, x, y: x.fmod_(0.75),
    "atan2_": lambda m, x, y: x.atan2_(y),
    "arctan2_": lambda m, x, y: x.arctan2_(y),
    "hypot_": lambda m, x, y: x.hypot_(y),
    "copysign_": lambda m, x, y: x.copysign_(y),
    "copysign_ scalar": lambda m, x, y: x.copysign_(-1.0),
    "float_power_": lambda m, x, y: x.double().float_power_(y),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace(name):
    def fn(m):
        a = m.tensor([1.5, -2.5, 3.0, 0.75], requires_grad=True)
        b = m.tensor([0.5, 2.0, -1.25, 1.0], requires_grad=True)
        x = a * 1
        v0 = x._version
        r = INPLACE[name](m, x, b)
        ga, gb = m.autograd.grad(r.sum(), [a, b], allow_unused=True, materialize_grads=True) \
            if name not in ("floor_divide_", "ifloordiv") else (None, None)
        return r is x or name == "float_power_", x._version - v0, r, ga, gb
    assert_same(*both(fn))


def test_ifloordiv_imod_ints():
    def fn(m):
        x = m.tensor(I)
        y = x
        x //= 2
        x %= 3
        return x is y, x
    assert_same(*both(fn))


def test_inplace_int_rounding():
    def fn(m):
        x = m.tensor(I)
        x.div_(m.tensor(J), rounding_mode="trunc")
        y = m.tensor(I, dtype=m.int16)
        y.floor_divide_(3.0 if False else 3)
        return x, y, m.tensor(I).fmod_(-3), m.tensor(I).remainder_(-3)
    assert_same(*both(fn))


# ------------------------------------------------------------------ out=
OUT = {
    "div floor": lambda m, a, b, o: m.div(a, b, rounding_mode="floor", out=o),
    "div plain": lambda m, a, b, o: m.div(a, b, out=o),
    "remainder": lambda m, a, b, o: m.remainder(a, b, out=o),
    "fmod": lambda m, a, b, o: m.fmod(a, b, out=o),
    "float_power": lambda m, a, b, o: m.float_power(a, b, out=o),
    "atan2": lambda m, a, b, o: m.atan2(a, b, out=o),
    "maximum": lambda m, a, b, o: m.maximum(a, b, out=o),
    "fmin": lambda m, a, b, o: m.fmin(a, b, out=o),
    "hypot": lambda m, a, b, o: m.hypot(a, b, out=o),
    "copysign": lambda m, a, b, o: m.copysign(a, b, out=o),
}


@pytest.mark.parametrize("name", list(OUT))
@pytest.mark.parametrize("out_dtype", ["float64", "float32", "int64"])
def test_out(name, out_dtype):
    def fn(m):
        a = m.tensor([1.5, -2.5, 3.0])
        b = m.tensor([0.5, 2.0, -1.25])
        o = m.zeros(3, dtype=getattr(m, out_dtype))
        r = OUT[name](m, a, b, o)
        return r is o, o
    assert_same(*both(fn))


@pytest.mark.parametrize("name", list(OUT))
def test_out_requires_grad(name):
    def fn(m):
        a = m.tensor([1.5, -2.5, 3.0], requires_grad=True)
        return OUT[name](m, a, m.tensor([0.5, 2.0, -1.25]), m.zeros(3, dtype=m.float64))
    a, b = both(fn)
    assert isinstance(a, RuntimeError)
    assert_same(a, b)


def test_out_floor_divide_records():
    def fn(m):
        a = m.tensor([1.5, -2.5, 3.0], requires_grad=True)
        o = m.zeros(3, dtype=m.float64)
        r = m.floor_divide(a, 2.0, out=o)
        o2 = m.zeros(3, dtype=m.int64)
        m.floor_divide(m.tensor([7, -7, 0]), 2, out=o2)
        return r is o, o, o.is_leaf, _grad_fn(o), o2
    assert_same(*both(fn))


def test_out_resized_with_warning():
    def fn(m):
        o = m.zeros(2)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m.remainder(m.tensor([1.5, -2.5, 3.0]), 2.0, out=o)
        return o, [type(x.message).__name__ for x in w]
    assert_same(*both(fn))


def test_out_empty_resized_silently():
    def fn(m):
        o = m.zeros(0, dtype=m.int64)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m.floor_divide(m.tensor([7, -7]), 2, out=o)
        return o, len(w)
    assert_same(*both(fn))


# ------------------------------------------------------------------ NumPy protocol
def test_numpy_ufuncs_dispatch():
    def fn(m):
        a = m.tensor([1.5, -2.5, 3.0], requires_grad=True)
        b = m.tensor([0.5, 2.0, 3.0], requires_grad=True)
        outs = [np.maximum(a, b), np.minimum(a, b), np.fmax(a, b), np.fmin(a, b), np.arctan2(a, b),
                np.hypot(a, b), np.copysign(a, b)]
        return [_grad_fn(o) for o in outs], outs
    a, b = both(lambda m: fn(m) if m is leafgrad else None)
    names, outs = b
    assert names == [("MaximumBackward0",) * 2, ("MinimumBackward0",) * 2, ("FmaxBackward0",) * 2,
                     ("FminBackward0",) * 2, ("Atan2Backward0",) * 2, ("HypotBackward0",) * 2,
                     ("CopysignBackward0",) * 2]


@pytest.mark.parametrize("call", [
    lambda T: T.ones(3).add(T.full((3,), 2.0), alpha=T.tensor(-0.5)),
    lambda T: T.ones(3).sub_(T.full((3,), 2.0), alpha=T.tensor(3)),
    lambda T: T.rsub(T.ones(3), T.full((3,), 2.0), alpha=T.tensor(2.5)),
    lambda T: T.ones(3).addcmul(T.full((3,), 2.0), T.full((3,), 3.0), value=T.tensor(0.1)),
    lambda T: T.ones(3).addcdiv_(T.full((3,), 2.0), T.full((3,), 3.0), value=T.tensor(-0.1)),
    lambda T: T.ones(3).add(T.ones(3), alpha=T.tensor([2.0])),
    lambda T: T.ones(3).add(T.ones(3), alpha=T.tensor(2.0, requires_grad=True)),
])
def test_scalar_arguments_take_0d_tensors(call):
    """PyTorch's Scalar arguments (alpha=, value=) take a 0-d tensor that does not require
    grad, as its value; other tensors raise its TypeError."""
    import torch
    from conftest import same_message

    def run(T):
        try:
            return call(T).tolist()
        except TypeError as e:
            return str(e)
    a, b = run(torch), run(leafgrad)
    assert a == b or isinstance(a, str) and same_message(a, b), (a, b)
