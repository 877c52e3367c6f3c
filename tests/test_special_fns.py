"""torch.special's entr, xlog1py, ndtr, log_ndtr, ndtri, erfcx, i0e and i1e beside PyTorch:
values over wide ranges and edge values, dtypes, nodes, out=, errors."""
import warnings

import numpy as np
import pytest

import leafgrad
from conftest import assert_same, both, torch

INF, NAN = float("inf"), float("nan")
UNARY = ["entr", "ndtr", "log_ndtr", "ndtri", "erfcx", "i0e", "i1e"]
NODES = {"entr": "SpecialEntrBackward0", "ndtr": "MulBackward1", "log_ndtr": "SpecialLogNdtrBackward0",
         "ndtri": "SpecialNdtriBackward0", "erfcx": "SpecialErfcxBackward0", "i0e": "SpecialI0EBackward0",
         "i1e": "SpecialI1EBackward0"}
EDGE = [0.0, -0.0, 5e-324, 1e-300, 1e-20, 0.5, 1.0, -1.0, -1.5, 5.9, 6.0, 8.0, 8.5, 26.0, 27.0, 30.0, 31.0,
        40.0, -40.0, -1e10, 1e300, -1e300, INF, -INF, NAN]
PROBS = [0.0, 1.0, -0.0, -0.1, 1.1, 5e-324, 1e-300, 1e-30, 1e-10, 0.02425, 0.1, 0.25, 0.5, 0.5 + 1e-12, 0.75,
         0.97575, 1 - 1e-10, 1 - 1e-16, INF, -INF, NAN]


def _rng_values():
    rng = np.random.default_rng(7)
    return np.concatenate([rng.uniform(-45, 45, 3000), rng.uniform(-4, 4, 3000), -np.logspace(-30, 2.5, 300),
                           np.logspace(-30, 300, 300)])


def _probs():
    rng = np.random.default_rng(8)
    return np.concatenate([rng.uniform(0, 1, 3000), np.logspace(-320, -1, 400), 1 - np.logspace(-16, -1, 300)])


# float64 agreement (relative); ndtr is 1 + erf(.) minus 1 in the tails, so it keeps only
# erf's absolute accuracy there
_RTOL64 = {"entr": 1e-15, "ndtr": 1e-9, "log_ndtr": 1e-14, "ndtri": 1e-14, "erfcx": 1e-13, "i0e": 0, "i1e": 1e-14}
_RTOL32 = {"entr": 2e-7, "ndtr": 1e-5, "log_ndtr": 4e-7, "ndtri": 5e-7, "erfcx": 5e-6, "i0e": 0, "i1e": 2e-6}


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_values_over_ranges(name, dtype):
    v = _probs() if name == "ndtri" else _rng_values()
    if name == "entr":
        v = np.abs(v)
    if name == "ndtr" and dtype == "float32":
        v = v[v > -2]          # (float32 1 + erf(x) cancels: erf's last bit matters beyond)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        v = v.astype(dtype)
    a = getattr(torch.special, name)(torch.tensor(v)).numpy().astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # no NumPy warnings from a forward
        b = getattr(leafgrad.special, name)(leafgrad.tensor(v)).numpy().astype(np.float64)
    tiny = float(np.finfo(dtype).tiny)
    big = np.abs(a) > tiny
    assert np.array_equal(np.isnan(a), np.isnan(b))
    assert np.array_equal(a[~np.isfinite(a)], b[~np.isfinite(a)])
    m = big & np.isfinite(a)
    rtol = (_RTOL64 if dtype == "float64" else _RTOL32)[name]
    err = np.abs(a[m] - b[m]) / np.abs(a[m])
    assert err.max() <= rtol, (v[m][np.argmax(err)], err.max())
    assert np.allclose(a[~big], b[~big], atol=tiny * 4, rtol=0)


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "int64", "bool", "int32"])
def test_edge_values_and_dtypes(name, dtype):
    vals = PROBS if name == "ndtri" else EDGE
    if dtype in ("int64", "int32"):
        vals = [0, 1, 2, -1, 3, -7]
    elif dtype == "bool":
        vals = [True, False]

    def run(T):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            x = T.tensor(vals, dtype=getattr(T, dtype))
        return getattr(T.special, name)(x)
    a, b = both(run)
    if isinstance(a, torch.Tensor):
        assert str(a.dtype) == str(b.dtype)
        tol = dict(rtol=2e-3, atol=1e-3) if dtype == "float16" else dict(rtol=1e-6, atol=1e-300)
        if name == "ndtr" and dtype == "float32":
            tol = dict(rtol=1e-6, atol=1e-7)
        assert np.allclose(b.numpy().astype(float), a.numpy().astype(float), equal_nan=True, **tol)
        # signs of zeros and infinities as well
        af, bf = a.numpy().astype(float), b.numpy().astype(float)
        z = (af == 0) | np.isinf(af)
        assert np.array_equal(np.signbit(af[z]), np.signbit(bf[z]))
    else:
        assert_same(a, b)


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nodes_and_gradients(name, dtype):
    vals = [0.03, 0.3, 0.5, 0.71, 0.98] if name == "ndtri" else [0.3, 1.5, -2.2, 0.05, 9.0, -0.7]
    if name == "entr":
        vals = [abs(v) for v in vals]

    def run(T):
        x = T.tensor(vals, dtype=getattr(T, dtype), requires_grad=True)
        y = getattr(T.special, name)(x)
        g, = T.autograd.grad(y.sum(), x, create_graph=True)
        gg, = T.autograd.grad(g.sum(), x)
        return y, type(y.grad_fn).__name__, g, gg
    (y1, n1, g1, gg1), (y2, n2, g2, gg2) = both(run)
    assert n1 == n2 == NODES[name]
    r = 1e-5 if dtype == "float32" else 1e-12
    assert_same(y1, y2, rtol=r, atol=1e-300)
    assert_same(g1, g2, rtol=r, atol=1e-300, check_graph=False)
    assert_same(gg1, gg2, rtol=r * 20, atol=1e-300, check_graph=False)


def test_ndtr_graph_is_torchs():
    def run(T):
        x = T.tensor([0.5, -1.5], requires_grad=True)
        g = T.special.ndtr(x).grad_fn
        names = []
        while g is not None:
            names.append(type(g).__name__)
            g = g.next_functions[0][0] if g.next_functions else None
        return names
    a, b = both(run)
    assert a == b == ["MulBackward1", "AddBackward1", "ErfBackward0", "MulBackward1", "AccumulateGrad"]


@pytest.mark.parametrize("name", ["i0e", "i1e", "entr", "erfcx"])
def test_gradients_at_special_points(name):
    vals = {"i0e": [0.0, -0.0, 1e-20, -1e-17, 8.0, -8.0], "i1e": [0.0, -0.0, 1e-20, -1e-17, 8.0, -8.0],
            "entr": [0.0, 1.0, -1.0, 1e-300], "erfcx": [0.0, 40.0, -40.0, 26.0]}[name]

    def run(T):
        x = T.tensor(vals, dtype=T.float64, requires_grad=True)
        y = getattr(T.special, name)(x)
        g, = T.autograd.grad(y.sum(), x)
        return g
    a, b = both(run)
    assert_same(a, b, rtol=1e-12, atol=0)


# ====================================================================== xlog1py
XCASES = {
    "tensor-tensor": lambda T: T.special.xlog1py(T.tensor([0.0, 0.0, 0.0, 1.0, 2.0, 0.0, -3.0]),
                                                 T.tensor([NAN, -1.0, -2.0, -1.0, 3.0, INF, 1e-20])),
    "broadcast": lambda T: T.special.xlog1py(T.tensor([[1.0], [2.0]]), T.tensor([0.5, 1.0, 3.0])),
    "number other": lambda T: T.special.xlog1py(T.tensor([0.0, 1.0, -2.0]), 2),
    "number other -1": lambda T: T.special.xlog1py(T.tensor([0.0, 1.0, -2.0]), -1.0),
    "number other nan": lambda T: T.special.xlog1py(T.tensor([0.0, 1.0]), NAN),
    "number self": lambda T: T.special.xlog1py(2.5, T.tensor([0.0, 1.0, -1.0, -2.0])),
    "number self 0": lambda T: T.special.xlog1py(0, T.tensor([0.0, NAN, -1.0, -2.0])),
    "ints": lambda T: T.special.xlog1py(T.tensor([0, 1, 2]), T.tensor([1, 2, 3])),
    "int number": lambda T: T.special.xlog1py(T.tensor([0, 1, 2]), 2),
    "number int": lambda T: T.special.xlog1py(3, T.tensor([0, 1, 2])),
    "bools": lambda T: T.special.xlog1py(T.tensor([True, False]), T.tensor([True, True])),
    "f32 f64": lambda T: T.special.xlog1py(T.tensor([1.5, 2.0], dtype=T.float32), T.tensor([0.5, 1.0])),
    "f32 0-d f64": lambda T: T.special.xlog1py(T.tensor([1.5, 2.0], dtype=T.float32), T.tensor(0.5)),
    "f16": lambda T: T.special.xlog1py(T.tensor([1.5, 2.0], dtype=T.float16), 0.5),
    "empty": lambda T: T.special.xlog1py(T.ones(0, 3), T.ones(3)),
    "two numbers": lambda T: T.special.xlog1py(1.0, 2.0),
    "string": lambda T: T.special.xlog1py(T.ones(2), "a"),
    "none": lambda T: T.special.xlog1py(None, T.ones(2)),
    "shapes": lambda T: T.special.xlog1py(T.ones(2), T.ones(3)),
    "out": lambda T: T.special.xlog1py(T.tensor([1, 2]), T.tensor([1, 2]), out=T.empty(2, dtype=T.float64)),
    "out int": lambda T: T.special.xlog1py(T.ones(2), T.ones(2), out=T.empty(2, dtype=T.int64)),
    "out grad": lambda T: T.special.xlog1py(T.ones(2, requires_grad=True), 2.0, out=T.empty(2)),
}


@pytest.mark.parametrize("case", XCASES)
def test_xlog1py_as_torch(case):
    a, b = both(XCASES[case])
    assert_same(a, b)


@pytest.mark.parametrize("form", ["tensors", "number other", "number self"])
def test_xlog1py_nodes_and_gradients(form):
    def run(T):
        x = T.tensor([0.0, 1.5, -2.0, 0.7], dtype=T.float64, requires_grad=True)
        y = T.tensor([-1.0, 0.5, 3.0, -0.5], dtype=T.float64, requires_grad=True)
        if form == "tensors":
            r = T.special.xlog1py(x, y)
            ins = (x, y)
        elif form == "number other":
            r = T.special.xlog1py(x, -1.0)
            ins = (x,)
        else:
            r = T.special.xlog1py(2.5, y)
            ins = (y,)
        gs = T.autograd.grad(r.sum(), ins, create_graph=True)
        ggs = T.autograd.grad(sum(g.sum() for g in gs), ins, allow_unused=True)
        return type(r.grad_fn).__name__, r, gs, ggs
    a, b = both(run)
    assert_same(a, b, rtol=1e-12, check_graph=False)


# ====================================================================== out=, errors
OUT_CASES = {
    "float64 out": lambda T, f: f(T.tensor([0.2, 0.6]), out=T.empty(2, dtype=T.float64)),
    "resize": lambda T, f: f(T.tensor([0.2, 0.6]), out=T.empty(0)),
    "int out": lambda T, f: f(T.tensor([0.2, 0.6]), out=T.empty(2, dtype=T.int64)),
    "int in": lambda T, f: f(T.tensor([0, 1]), out=T.empty(2)),
    "grad": lambda T, f: f(T.tensor([0.2, 0.6], requires_grad=True), out=T.empty(2)),
    "number": lambda T, f: f(0.5),
    "list": lambda T, f: f([0.5]),
    "f16": lambda T, f: f(T.tensor([0.2, 0.6], dtype=T.float16)),
}


@pytest.mark.parametrize("case", OUT_CASES)
@pytest.mark.parametrize("name", UNARY)
def test_out_and_errors(name, case):
    def run(T):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            r = OUT_CASES[case](T, getattr(T.special, name))
        return r, getattr(r, "requires_grad", None), type(getattr(r, "grad_fn", None)).__name__
    a, b = both(run)
    assert_same(a, b)


def test_namespace_lists_them():
    for name in UNARY + ["xlog1py"]:
        assert hasattr(leafgrad.special, name)
        assert not hasattr(leafgrad.Tensor, name) and not hasattr(torch.Tensor, name)
