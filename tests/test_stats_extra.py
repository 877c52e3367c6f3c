"""Side-by-side checks of quantile / nanquantile, cov / corrcoef, bincount, histc and
histogram against PyTorch: whole graphs (node names), exact values, errors, out=,
return types and dtypes."""
import warnings

import numpy as np
import pytest
import torch

import leafgrad
from conftest import both, assert_same, to_numpy

NAN = float("nan")


def _graph(t):
    """The node names of ``t``'s graph, depth first (None edges skipped)."""
    names, stack = [], [(t.grad_fn, 0)]
    while stack:
        node, depth = stack.pop()
        if node is None:
            continue
        names.append((depth, type(node).__name__))
        for nxt, _ in reversed(node.next_functions):
            stack.append((nxt, depth + 1))
    return names


def _inputs(mod, arrays, grads):
    return [mod.tensor(np.array(a), requires_grad=g) for a, g in zip(arrays, grads)]


def _run(fn, arrays, grads=None, **kw):
    grads = grads or [False] * len(arrays)
    return both(lambda m: fn(m, *_inputs(m, arrays, grads)))


def _same_exact(a, b):
    """Same result, graph and bits."""
    assert_same(a, b)
    if isinstance(a, torch.Tensor):
        x, y = to_numpy(a), to_numpy(b)
        assert np.array_equal(x, y, equal_nan=True), f"bits differ:\n{x}\n{y}"
        assert _graph(a) == _graph(b), f"graphs differ:\n{_graph(a)}\n{_graph(b)}"


rng = np.random.default_rng(0)
X = rng.standard_normal((4, 7))
X32 = X.astype(np.float32)
X3 = rng.standard_normal((2, 5, 3))
XNAN = np.array([[1.0, NAN, 3.0, 0.5], [NAN, NAN, NAN, NAN], [2.0, 5.0, 1.0, 4.0]])


# ====================================================================== quantile
@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
@pytest.mark.parametrize("interp", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("x", [X, X32, X3, XNAN, np.array(2.5), np.array([3.0])], ids=str)
@pytest.mark.parametrize("qv", [0.0, 0.37, 0.5, 1.0, [0.1, 0.5, 0.93], []], ids=str)
@pytest.mark.parametrize("dim,keepdim", [(None, False), (None, True), (0, False), (-1, True), (1, False)])
def test_quantile_values_and_graph(name, interp, x, qv, dim, keepdim):
    if dim is not None and x.ndim and dim >= x.ndim:
        return

    def fn(m):
        t = m.tensor(np.array(x), requires_grad=True)
        q = qv if isinstance(qv, float) else m.tensor(np.array(qv, dtype=x.dtype))
        return getattr(m, name)(t, q, dim, keepdim, interpolation=interp)
    _same_exact(*both(fn))


@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
def test_quantile_method_and_grad(name):
    def fn(m):
        t = m.tensor(X, requires_grad=True)
        q = m.tensor([0.2, 0.8], dtype=m.float64, requires_grad=True)
        r = getattr(t, name)(q, dim=1, keepdim=True)
        gx, gq = m.autograd.grad(r.sum() * 1.5, (t, q))
        return r, gx, gq, _graph(r)
    a, b = both(fn)
    assert a[3] == b[3]
    for u, v in zip(a[:3], b[:3]):
        assert_same(u, v, check_graph=False)


@pytest.mark.parametrize("call", [
    lambda m: m.quantile(m.tensor(X), 1.5),
    lambda m: m.quantile(m.tensor(X), 2),
    lambda m: m.quantile(m.tensor(X), -1e-7),
    lambda m: m.nanquantile(m.tensor(X), NAN),
    lambda m: m.quantile(m.tensor(X), -0.1, interpolation="bad"),
    lambda m: m.quantile(m.tensor(X), 0.1, interpolation="bad"),
    lambda m: m.quantile(m.tensor(X), m.tensor([0.2], dtype=m.float64), interpolation="Linear"),
    lambda m: m.quantile(m.tensor(X), m.tensor([1.5], dtype=m.float64)),
    lambda m: m.nanquantile(m.tensor(X), m.tensor([0.5, -0.5], dtype=m.float64)),
    lambda m: m.quantile(m.tensor(X), m.tensor([0.5])),
    lambda m: m.quantile(m.tensor(X), m.tensor([[0.5]], dtype=m.float64)),
    lambda m: m.quantile(m.empty(0), 0.5),
    lambda m: m.nanquantile(m.empty(3, 0), 0.5, dim=0),
    lambda m: m.quantile(m.empty(0), 1.5),
    lambda m: m.quantile(m.arange(4), 0.5),
    lambda m: m.quantile(m.arange(4), m.tensor(0.5)),
    lambda m: m.quantile(m.tensor(X).half(), 0.5),
    lambda m: m.quantile(m.tensor(X), 0.5, dim=5),
    lambda m: m.quantile(m.tensor(X), 0.5, dim=-3),
    lambda m: m.quantile(m.tensor(2.0), 0.5, dim=1),
    lambda m: m.quantile(m.tensor(X), 0.5, out=m.empty(0)),
    lambda m: m.quantile(m.tensor(X), True),
    lambda m: m.quantile(m.tensor(X, requires_grad=True), 0.5, out=m.empty(0, dtype=m.float64)),
])
def test_quantile_errors(call):
    a, b = both(call)
    assert isinstance(a, Exception) or True
    assert_same(a, b)


def test_quantile_out():
    def fn(m):
        o = m.empty(0, dtype=m.float64)
        r = m.quantile(m.tensor(X), m.tensor([0.25, 0.5], dtype=m.float64), dim=1, out=o)
        return r is o, o
    assert_same(*both(fn))

    def fn2(m):
        o = m.empty(2, dtype=m.float64)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m.nanquantile(m.tensor(XNAN), 0.5, dim=1, out=o)
        return o, len(w)
    assert_same(*both(fn2))


# ====================================================================== cov / corrcoef
FW = np.array([1, 2, 0, 3, 1])
AW = np.array([0.5, 1.5, 0.25, 2.0, 1.0])


def _cov_case(m, x, fw=None, aw=None, xg=True, awg=True, **kw):
    t = m.tensor(np.array(x), requires_grad=xg and x.dtype.kind == "f")
    f = None if fw is None else m.tensor(np.array(fw))
    a = None if aw is None else m.tensor(np.array(aw), requires_grad=awg)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = m.cov(t, fweights=f, aweights=a, **kw)
    return r, [str(x.message).split(" (Triggered")[0] for x in w]


@pytest.mark.parametrize("x", [X[:, :5], X[0, :5], X32[:3, :5], np.arange(10).reshape(2, 5)], ids=str)
@pytest.mark.parametrize("fw", [None, FW, FW.astype(np.uint8)], ids=str)
@pytest.mark.parametrize("aw", [None, AW, AW.astype(np.float32)], ids=str)
@pytest.mark.parametrize("correction", [0, 1, 2, 6])
def test_cov_values_and_graph(x, fw, aw, correction):
    a, b = both(lambda m: _cov_case(m, x, fw, aw, correction=correction))
    assert a[1] == b[1]
    assert_same(a[0], b[0])   # (not bit-exact: leafgrad's sum adds in another order than ATen's)
    assert _graph(a[0]) == _graph(b[0])


@pytest.mark.parametrize("x", [X[:, :1], X[:1, :1], np.array([[1, 2]]).T, np.empty((3, 0)), np.empty((0, 4)),
                               np.array(3.0), X[:2, :2]], ids=str)
@pytest.mark.parametrize("kind", ["none", "fw", "aw", "both"])
def test_cov_corners(x, kind):
    n = x.shape[1] if x.ndim == 2 else x.size
    fw = np.arange(1, n + 1) if kind in ("fw", "both") else None
    aw = np.linspace(0.5, 1.5, n) if kind in ("aw", "both") else None
    a, b = both(lambda m: _cov_case(m, x.copy(), fw, aw, xg=False))
    assert_same(a, b)


def test_cov_zeroes_its_input_like_aten():
    # ATen zeroes its input in place for one observation with one kind of weights
    def fn(m):
        x = m.tensor(X[:, :1].copy())
        r = m.cov(x, aweights=m.tensor([2.0], dtype=m.float64))
        return r, x
    assert_same(*both(fn))
    assert_same(*both(lambda m: m.cov(m.tensor(X[:, :1].copy(), requires_grad=True),
                                      fweights=m.tensor([2]))))


@pytest.mark.parametrize("call", [
    lambda m: m.cov(m.randn(2, 2, 2)),
    lambda m: m.cov(m.tensor([True, False])),
    lambda m: m.cov(m.tensor(X[:, :5]), fweights=m.ones(2, 5, dtype=m.long)),
    lambda m: m.cov(m.tensor(X[:, :5]), fweights=m.ones(5)),
    lambda m: m.cov(m.tensor(X[:, :5]), fweights=m.ones(4, dtype=m.int32)),
    lambda m: m.cov(m.tensor(X[:, :5]), fweights=m.tensor([1, -1, 1, 1, 1])),
    lambda m: m.cov(m.tensor(X[:, :5]), aweights=m.ones(5, dtype=m.long)),
    lambda m: m.cov(m.tensor(X[:, :5]), aweights=m.ones(5, 1)),
    lambda m: m.cov(m.tensor(X[:, :5]), aweights=m.ones(4)),
    lambda m: m.cov(m.tensor(X[:, :5]), aweights=m.tensor([1., -1, 1, 1, 1])),
    lambda m: m.cov(m.tensor(X[:, :5]), aweights=m.zeros(5)),
    lambda m: m.cov(m.tensor(X[:, :5]), fweights=m.zeros(5, dtype=m.long)),
    lambda m: m.cov(m.tensor(X[:, :5]), correction=1.5),
    lambda m: m.corrcoef(m.randn(2, 2, 2)),
])
def test_cov_errors(call):
    a, b = both(call)
    assert isinstance(a, Exception)
    assert_same(a, b)


@pytest.mark.parametrize("x", [X[:, :5], X32[:3], X[0], np.arange(6).reshape(2, 3), np.array(3.0),
                               np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 3.0]])], ids=str)
def test_corrcoef(x):
    def fn(m):
        t = m.tensor(np.array(x), requires_grad=x.dtype.kind == "f")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = t.corrcoef()
        return r, _graph(r)
    a, b = both(fn)
    assert_same(a, b)


# ====================================================================== bincount
IDX = np.array([0, 2, 2, 5, 1, 2])


@pytest.mark.parametrize("wdt", [None, "float32", "float64", "int64", "int32", "bool", "float16"])
@pytest.mark.parametrize("minlength", [0, 3, 9])
@pytest.mark.parametrize("idt", ["int64", "int32", "uint8", "int8"])
def test_bincount_values_dtypes(wdt, minlength, idt):
    def fn(m):
        i = m.tensor(IDX.astype(idt))
        w = None if wdt is None else m.tensor(np.array([0.5, 1.25, 3.0, -2.0, 7.0, 0.1]).astype(wdt))
        return m.bincount(i, w, minlength=minlength), i.bincount(weights=w, minlength=minlength)
    a, b = both(fn)
    assert_same(a, b)
    assert np.array_equal(to_numpy(a[0]), to_numpy(b[0]))


def test_bincount_grad_is_not_implemented():
    def fn(m):
        w = m.tensor([1.0, 2, 3, 4, 5, 6], requires_grad=True)
        r = m.bincount(m.tensor(IDX), w)
        names = [type(n).__name__ for n, _ in r.grad_fn.next_functions]
        return r, names, both_backward(r)
    a, b = both(fn)
    assert_same(a, b)


def both_backward(r):
    try:
        r.sum().backward()
    except Exception as e:  # noqa: BLE001
        return f"{type(e).__name__}: {e}"
    return None


@pytest.mark.parametrize("call", [
    lambda m: m.bincount(m.tensor([-1, 2])),
    lambda m: m.bincount(m.tensor([[1, 2]])),
    lambda m: m.bincount(m.tensor(3)),
    lambda m: m.bincount(m.tensor([1.0, 2])),
    lambda m: m.bincount(m.tensor([True, False])),
    lambda m: m.bincount(m.tensor([1, 2]), minlength=-1),
    lambda m: m.bincount(m.tensor([1, 2]), minlength=2.0),
    lambda m: m.bincount(m.tensor([1, 2]), m.tensor([1.0, 2, 3])),
    lambda m: m.bincount(m.tensor([1, 2]), m.tensor([[1.0, 2]])),
    lambda m: m.bincount(m.tensor([], dtype=m.long)),
    lambda m: m.bincount(m.tensor([], dtype=m.long), minlength=3),
    lambda m: m.bincount(m.tensor([], dtype=m.long), m.tensor([]), minlength=3),
    lambda m: m.bincount(m.tensor([], dtype=m.long), m.tensor([1.0]), minlength=2),
])
def test_bincount_errors_and_empty(call):
    assert_same(*both(call))


# ====================================================================== histc / histogram
XH = np.array([1.0, 2, 1, 2.5, 4, -1, 7, 3.25, 0.1, 5.5])


@pytest.mark.parametrize("dt", ["float32", "float64"])
@pytest.mark.parametrize("args", [(), (5,), (5, 0, 3), (4, 3, 3), (7, -1, 7), (3, 2.5, 2.5), (100, -2, 9.3)],
                         ids=str)
def test_histc_values(dt, args):
    def fn(m):
        x = m.tensor(XH.astype(dt), requires_grad=True)
        r = m.histc(x, *args)
        return r, x.histc(*args), r.requires_grad
    a, b = both(fn)
    assert_same(a, b)
    assert np.array_equal(to_numpy(a[0]), to_numpy(b[0]))


def test_histc_random_edges_exact():
    rng = np.random.default_rng(5)
    for _ in range(40):
        dt = rng.choice(["float32", "float64"])
        x = (rng.standard_normal(int(rng.integers(1, 200))) * 10.0 ** rng.integers(-2, 3)).astype(dt)
        bins = int(rng.integers(1, 130))
        a, b = both(lambda m: (m.histc(m.tensor(x), bins), m.histogram(m.tensor(x), bins),
                               m.histogram(m.tensor(x), bins, range=(-1.0, 2.0), density=True)))
        assert_same(a, b)
        for u, v in zip([a[0], *a[1], *a[2]], [b[0], *b[1], *b[2]]):
            assert np.array_equal(to_numpy(u), to_numpy(v), equal_nan=True)


@pytest.mark.parametrize("call", [
    lambda m: m.histc(m.tensor(XH), bins=0),
    lambda m: m.histc(m.tensor(XH), bins=-1),
    lambda m: m.histc(m.tensor(XH), 5, 3, 1),
    lambda m: m.histc(m.tensor(XH).long(), 3),
    lambda m: m.histc(m.tensor([]), 3),
    lambda m: m.histc(m.tensor([2.0, 2.0]), 3),
    lambda m: m.histc(m.tensor([NAN, 2.0]), 3),
    lambda m: m.histc(m.tensor([NAN]), 3),
    lambda m: m.histc(m.tensor([float("inf"), 2.0]), 3),
    lambda m: m.histc(m.tensor([1.0, 2.0]), 3, min=NAN),
    lambda m: m.histc(m.tensor([1.0, 2.0]), 3, min=0, max=float("inf")),
    lambda m: m.histc(m.tensor(XH).view(2, 5), 3),
    lambda m: m.histc(m.tensor(XH), 3, out=m.empty(0, dtype=m.float64)),
    lambda m: m.histc(m.tensor(XH), 3, out=m.empty(0)),
    lambda m: m.histc(m.tensor(2.0), 4),
])
def test_histc_errors_and_edges(call):
    assert_same(*both(call))


def test_histc_out():
    def fn(m):
        o = m.empty(0, dtype=m.float64)
        r = m.histc(m.tensor(XH), 4, -1, 3, out=o)
        return r is o, o
    assert_same(*both(fn))


@pytest.mark.parametrize("kw", [dict(), dict(density=True), dict(range=(0.0, 3.0)), dict(range=(0, 3), density=True),
                                dict(range=(3.0, 3.0)), dict(weight="w"), dict(weight="w", density=True)], ids=str)
@pytest.mark.parametrize("bins", [1, 4, "edges", "unsorted"])
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_histogram(kw, bins, dt):
    if "range" in kw and not isinstance(bins, int):
        return

    def fn(m):
        x = m.tensor(XH.astype(dt), requires_grad=True)
        k = dict(kw)
        if k.get("weight") == "w":
            k["weight"] = m.tensor(np.linspace(0.1, 2.0, XH.size).astype(dt), requires_grad=True)
        b = bins
        if bins == "edges":
            b = m.tensor(np.array([-1.5, 0.0, 1.0, 2.5, 5.0]).astype(dt))
        elif bins == "unsorted":
            b = m.tensor(np.array([3.0, 1.0, 2.5, 5.0, 4.0]).astype(dt))
        r = m.histogram(x, b, **k)
        return type(r).__name__, r, r.hist, r.bin_edges, r.hist.grad_fn is r.bin_edges.grad_fn, \
            [type(n).__name__ for n, _ in r.hist.grad_fn.next_functions], both_backward(r.hist)
    a, b = both(fn)
    assert_same(a, b)
    assert np.array_equal(to_numpy(a[1][0]), to_numpy(b[1][0]))
    assert np.array_equal(to_numpy(a[1][1]), to_numpy(b[1][1]))


@pytest.mark.parametrize("call", [
    lambda m: m.histogram(m.tensor(XH), 0),
    lambda m: m.histogram(m.tensor(XH), 3, range=(3.0, 0.0)),
    lambda m: m.histogram(m.tensor(XH), 3, range=(0.1234567, -0.3)),
    lambda m: m.histogram(m.tensor(XH), 3, range=(0.0, 1.0, 2.0)),
    lambda m: m.histogram(m.tensor(XH), 3, range=(0.0, float("inf"))),
    lambda m: m.histogram(m.tensor(XH).long(), 3),
    lambda m: m.histogram(m.tensor(XH).long(), 3, range=(0, 3)),
    lambda m: m.histogram(m.tensor(XH), 3, weight=m.arange(10)),
    lambda m: m.histogram(m.tensor(XH).view(10, 1), 3, weight=m.arange(9.0).double()),
    lambda m: m.histogram(m.tensor(XH), 3, weight=m.ones(2, 5, dtype=m.float64)),
    lambda m: m.histogram(m.tensor(XH), m.tensor([[0.0, 1, 2.5, 5]], dtype=m.float64)),
    lambda m: m.histogram(m.tensor(XH), m.tensor([0.0, 1, 2.5, 5])),
    lambda m: m.histogram(m.tensor(XH), m.tensor([3.0], dtype=m.float64)),
    lambda m: m.histogram(m.tensor(XH), m.tensor([], dtype=m.float64)),
    lambda m: m.histogram(m.tensor([]), 3),
    lambda m: m.histogram(m.tensor([2.0, 2.0]), 3),
    lambda m: m.histogram(m.tensor([NAN, 1.0]), 3),
    lambda m: m.histogram(m.tensor([NAN, 1.0]), 3, range=(0, 2)),
    lambda m: m.histogram(m.tensor(XH), 3.0),
])
def test_histogram_errors_and_edges(call):
    assert_same(*both(call))


def test_histogram_out():
    def fn(m):
        h, e = m.empty(0, dtype=m.float64), m.empty(0, dtype=m.float64)
        r = m.histogram(m.tensor(XH), 3, out=(h, e))
        return type(r).__name__, r, r.hist is h, r.bin_edges is e
    assert_same(*both(fn))


# ====================================================================== argument parsing
@pytest.mark.parametrize("call", [
    lambda m: m.quantile(m.tensor(X), [0.5]),
    lambda m: m.quantile(m.tensor(X), 0.5, interpolation=3),
    lambda m: m.quantile(m.tensor(X), 0.5, keepdim=1),
    lambda m: m.quantile(m.tensor(X), 0.5, None, False, "linear"),
    lambda m: m.nanquantile(m.tensor(X), 0.5, 1.0),
    lambda m: m.tensor(X).quantile(0.5, dim=(0, 1)),
    lambda m: m.tensor(X).quantile(0.4, 0, keepdim=True, interpolation="higher"),
    lambda m: m.quantile(m.tensor(X), 0, 1),
    lambda m: m.tensor(X).histc(4.5),
    lambda m: m.histc(m.tensor(X), 2, "a"),
    lambda m: m.histc(m.tensor(X), 2, out=3),
    lambda m: m.histc(m.tensor(X), 2, foo=3),
    lambda m: m.histc(m.tensor(X), 2, 1, 2, 3),
    lambda m: m.histc(m.tensor(X), True),
    lambda m: m.histc(m.tensor(X), 2, min=None),
    lambda m: m.histc(m.tensor(X), 4, min=m.tensor(0.0), max=m.tensor(1.0)),
    lambda m: m.tensor(X).histc(bins=3, min=-1, max=1),
    lambda m: m.tensor([1, 2]).bincount([1.0]),
    lambda m: m.bincount(m.tensor([1]), minlength=None),
    lambda m: m.bincount(m.tensor([1, 2]), None, 3),
    lambda m: m.cov(m.tensor(X), correction=None),
    lambda m: m.cov(m.tensor(X), correction=True),
    lambda m: m.cov(m.tensor(X), fweights=[1, 2, 3, 4]),
    lambda m: m.cov([1.0, 2]),
    lambda m: m.corrcoef([1, 2]),
    lambda m: m.histogram(m.tensor(X), 3.0),
    lambda m: m.histogram(m.tensor(X), 3, density=1),
    lambda m: m.histogram(m.tensor(X), 3, range=(0, "a")),
    lambda m: m.histogram(m.tensor(X), m.tensor([0.0, 1]), range=(0, 1)),
    lambda m: m.tensor(X).histogram(3.0),
    lambda m: m.tensor(X).histogram(m.tensor([0.0, 1.0], dtype=m.float64), density=True),
    lambda m: m.histogram(m.tensor(X), bins=3, range=[0, 1]),
    lambda m: m.histogram(m.tensor(X).half(), 4),
    lambda m: m.histogram(m.tensor(X).half(), 4, range=(0, 1)),
])
def test_argument_parsing(call):
    assert_same(*both(call))


# ====================================================================== vmap (PyTorch loops, leafgrad batches)
@pytest.mark.parametrize("fn", [
    lambda m, x: m.histogram(x, 4),
    lambda m, x: m.histogram(x, 3, range=(-1.0, 1.0), density=True),
    lambda m, x: m.histogram(x, m.tensor([-1.0, 0.0, 0.5, 2.0], dtype=m.float64), weight=x.abs()),
    lambda m, x: m.quantile(x, 0.3),
    lambda m, x: m.nanquantile(x, m.tensor([0.2, 0.9], dtype=m.float64), dim=0, interpolation="nearest"),
    lambda m, x: m.cov(x.view(2, 4)),
    lambda m, x: m.bincount(m.tensor([0, 1, 1, 2, 3, 0, 2, 5]), x),
    lambda m, x: m.bincount((x.abs() * 0 + m.tensor([0, 1, 1, 2, 3, 0, 2, 5])).long()),
    lambda m, x: m.bincount((x > 0).long() * m.arange(8)),
])
def test_vmap_matches_pytorch(fn):
    data = np.random.default_rng(3).standard_normal((3, 8))

    def run(m):
        x = m.tensor(data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return m.vmap(lambda v: fn(m, v))(x) if m is leafgrad else torch.func.vmap(lambda v: fn(m, v))(x)
    a, b = both(run)
    assert_same(a, b, check_graph=False)


@pytest.mark.parametrize("call", [
    lambda m: m.histogram(m.tensor(XH[:5]), 3, out=(m.empty(0), m.empty(0, dtype=m.float64))),
    lambda m: m.histogram(m.tensor(XH[:5]), 3, out=(m.empty(0, dtype=m.float32), m.empty(0, dtype=m.float64))),
    lambda m: m.histogram(m.tensor(XH[:5]), 0, out=(m.empty(0, dtype=m.float64), m.empty(0))),
    lambda m: m.histogram(m.tensor(XH[:5]), m.tensor([0.0, 1]), out=(m.empty(0, dtype=m.float64),
                                                                     m.empty(0, dtype=m.float64))),
    lambda m: m.histogram(m.tensor(XH[:5]), m.tensor([0.0, 1], dtype=m.float64),
                          out=(m.empty(0, dtype=m.float64), m.empty(0))),
])
def test_histogram_out_errors(call):
    assert_same(*both(call))


def test_histogram_out_records_not_implemented():
    def fn(m):
        x = m.tensor(XH, requires_grad=True)
        h, e = m.empty(0, dtype=m.float64), m.empty(0, dtype=m.float64)
        r = m.histogram(x, 3, out=(h, e))
        return type(r).__name__, h, e, h.grad_fn is e.grad_fn, both_backward(h)
    assert_same(*both(fn))
