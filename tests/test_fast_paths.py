"""The shortcuts taken for speed give exactly what the general paths give.

Each shortcut is compared with the slow path it replaces (bit for bit) or with PyTorch:
numbers passed to NumPy as cached 0-d arrays, the direct broadcast view, the engine's
in-place sums and hand-over of a just-ready node, and the layout of accumulated gradients.
No timings here: the benchmarks in bench/ measure speed.
"""
import numpy as np
import pytest

from conftest import assert_same, both, leafgrad, to_numpy
from leafgrad.ops._declare import _scalar, broadcast_to

VALUES = [1.0001, 0.001, -0.0001, 0.1, 1 / 3, 2.5, -7.0, 1e-8, 1e-30, 1e-45, 3e38, -3.4e38, 65504.0,
          65519.0, 1e300, float("inf"), float("nan"), 0.0, -0.0, 1, 3, -2, 2 ** 23 + 1, 2 ** 24 + 1, 2 ** 60]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_cached_number_rounds_as_numpy(dtype):
    a = (np.random.default_rng(0).standard_normal(64) * 100).astype(dtype)
    with np.errstate(all="ignore"):
        for v in VALUES:
            z = _scalar(v, a.dtype)
            for f in (np.add, np.subtract, np.multiply, np.true_divide):
                for r1, r2 in ((f(a, v), f(a, z)), (f(v, a), f(z, a))):
                    assert r1.dtype == r2.dtype, (v, f)
                    assert np.array_equal(r1, r2, equal_nan=True), (v, f)
                    assert np.array_equal(np.signbit(r1), np.signbit(r2)), (v, f)


def test_cached_numbers_are_read_only():
    z = _scalar(1.0001, np.dtype(np.float32))
    assert isinstance(z, np.ndarray) and not z.flags.writeable
    t = leafgrad.ones(3) * 1.0001
    t.add_(1.0)   # the result owns its memory; the cached number is untouched
    assert float(_scalar(1.0001, np.dtype(np.float32))) == float(np.float32(1.0001))


@pytest.mark.parametrize("src,shape", [((), (8,)), ((), ()), ((), (2, 0, 3)), ((1,), (3, 4)), ((4, 1), (4, 8)),
                                       ((1, 5), (3, 1, 5)), ((2, 3), (2, 3)), ((0,), (3, 0)), ((3, 1), (3, 0)),
                                       ((2,), (3, 2))])
def test_broadcast_view_is_numpys(src, shape):
    a = np.arange(int(np.prod(src)), dtype=np.float32).reshape(src) + 1
    got, want = broadcast_to(a, shape), np.broadcast_to(a, shape)
    assert got.shape == want.shape and got.dtype == want.dtype and np.array_equal(got, want)
    assert got is a or not got.flags.writeable
    assert np.array_equal(broadcast_to(np.float32(2.0), shape), np.broadcast_to(np.float32(2.0), shape))


@pytest.mark.parametrize("src,shape", [((3,), (4,)), ((2, 3), (3,)), ((2, 1), (3, 4))])
def test_broadcast_view_errors_as_numpy(src, shape):
    a = np.ones(src, np.float32)
    with pytest.raises(ValueError) as want:
        np.broadcast_to(a, shape)
    with pytest.raises(ValueError) as got:
        broadcast_to(a, shape)
    assert str(got.value) == str(want.value)


def test_fan_in_sums_do_not_touch_shared_gradients():
    # x feeds five consumers whose formulas pass one gradient object along (add, identity
    # views): the engine sums them in place only into arrays it allocated itself.
    def run(m):
        x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        seen = []
        y = x + 0.0
        y.register_hook(lambda g: seen.append(g.clone()))
        z = y + y + y * 2.0 + y.view(3) + y.reshape(3)
        z.sum().backward()
        w = x * 1.0
        (w + w + w).sum().backward()
        return x.grad, seen
    assert_same(*both(run))


def test_many_paths_and_retained_grads():
    def run(m):
        x = m.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
        a = x.tanh()
        a.retain_grad()
        b = a * a + a.exp() + a.sum(0, keepdim=True) + a.mean(1, keepdim=True)
        c = (b * x + b).sum()
        g, = m.autograd.grad(c, x, create_graph=True)
        (g.sum() + c).backward()
        return x.grad, a.grad
    assert_same(*both(run))


@pytest.mark.parametrize("bias", [True, False])
def test_linear_weight_gradient_is_c_contiguous_as_in_torch(bias):
    def run(m):
        m.manual_seed(0)
        lin = m.nn.Linear(5, 3, bias=bias)
        x = m.ones(4, 5)
        lin(x).pow(2).sum().backward()
        return lin.weight.grad.is_contiguous(), lin.weight.grad.stride()
    a, b = both(run)
    assert a == b


def test_addmm_weight_gradient_values():
    rng = np.random.default_rng(1)
    x0, w0, b0 = (rng.standard_normal(s).astype(np.float32) for s in ((6, 5), (4, 5), (4,)))

    def run(m):
        x = m.tensor(x0, requires_grad=True)
        w = m.tensor(w0, requires_grad=True)
        b = m.tensor(b0, requires_grad=True)
        y = m.addmm(b, x, w.t()) + m.nn.functional.linear(x, w, b)
        (y * y).sum().backward()
        return x.grad, w.grad, b.grad
    a, b = both(run)
    for ga, gb in zip(a, b):
        np.testing.assert_allclose(to_numpy(ga), to_numpy(gb), rtol=1e-5, atol=1e-5)


def test_long_chain_order_and_values():
    # A chain handed from node to node without the ready queue, with side branches that
    # must wait for it: gradients are summed in PyTorch's order.
    def run(m):
        x = m.tensor([0.3, -0.2], requires_grad=True)
        y = x
        branches = []
        for i in range(200):
            y = (y * 1.0001 + 0.001).tanh() - 0.0001
            if i % 37 == 0:
                branches.append(y * 0.5)
        (y.sum() + sum(b.sum() for b in branches)).backward()
        return x.grad
    assert_same(*both(run))


# ---------------------------------------------------------------- relu / threshold backward
_SPECIAL = [1.0, -1.0, 2.5, -3.0, 0.0, -0.0, float("inf"), float("-inf"), float("nan"), 1e-45, -1e-45]
_INT_OF = {2: np.int16, 4: np.int32, 8: np.int64}


def _bits(a):
    a = np.ascontiguousarray(a)
    return a.view(_INT_OF[a.itemsize])


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("threshold", [0, 0.0, 0.5, -1.0])
def test_threshold_backward_bit_identical_to_torch(dtype, threshold):
    """``self <= threshold ? 0 : grad``: +0.0 where cut (even for inf / nan grads), grad's own
    bits elsewhere (-0.0, inf, nan kept), nan in self lets grad through."""
    from leafgrad.ops.pointwise import threshold_backward
    import torch
    g = np.array([[a for a in _SPECIAL] for _ in _SPECIAL], dtype)
    s = np.array([[b for _ in _SPECIAL] for b in _SPECIAL], dtype)
    want = torch.ops.aten.threshold_backward(torch.from_numpy(g), torch.from_numpy(s), threshold).numpy()
    for got in (threshold_backward(g, s, threshold=threshold),                       # a plain backward
                threshold_backward(leafgrad.from_numpy(g), leafgrad.from_numpy(s), threshold=threshold)._data,
                threshold_backward(g.T, s.T, threshold=threshold).T,                 # strided operands
                threshold_backward(g[::2], s[::2], threshold=threshold)):
        assert got.dtype == want[:got.shape[0]].dtype
        assert np.array_equal(_bits(got), _bits(want if got.shape == want.shape else want[::2]))


def test_relu_backward_special_values_match_torch():
    def program(T):
        x = T.tensor([float("nan"), -1.0, 0.0, -0.0, 2.0, float("inf"), float("-inf"), 3.0], requires_grad=True)
        y = T.relu(x)
        y.backward(T.tensor([5.0, float("inf"), float("nan"), -1.0, -0.0, float("nan"), float("-inf"), -2.0]))
        return y, x.grad

    (ty, tg), (ly, lg) = program(__import__("torch")), program(leafgrad)
    assert np.array_equal(ty.detach().numpy(), ly.detach().numpy(), equal_nan=True)
    assert np.array_equal(_bits(tg.numpy()), _bits(lg.numpy()))


def test_threshold_keeps_nan_as_torch():
    import torch
    x = [float("nan"), 0.1, 0.2, -1.0, float("inf"), float("-inf")]
    want = torch.nn.functional.threshold(torch.tensor(x), 0.1, 2.0).numpy()
    got = leafgrad.nn.functional.threshold(leafgrad.tensor(x), 0.1, 2.0).numpy()
    assert np.array_equal(_bits(want), _bits(got))


# ---------------------------------------------------------------- nll_loss / cross_entropy
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_nll_common_case_is_the_general_path(dtype, reduction):
    """Without weight and ignored targets, nll_loss takes one value per row; with a weight of
    ones it runs the general formulas: the same bits, forward and backward, special values
    and special incoming gradients included."""
    from leafgrad.ops.loss import _nll_fwd, _nll_grad_of
    rng = np.random.default_rng(0)
    a = rng.standard_normal((33, 7)).astype(dtype)
    a[0, :] = np.inf
    a[1, :] = np.nan
    a[2, :] = -0.0
    t = rng.integers(0, 7, 33)
    ones = np.ones(7, dtype)
    fast = _nll_fwd(a, t, None, reduction)
    general = _nll_fwd(a, t, ones, reduction)
    assert fast.dtype == general.dtype and np.array_equal(_bits(fast), _bits(general))
    b = a[3:]   # finite
    assert np.array_equal(_bits(_nll_fwd(b, t[3:], None, reduction)), _bits(_nll_fwd(b, t[3:], ones, reduction)))
    for g in (1.0, -2.5, 0.0, -0.0, np.inf, -np.inf, np.nan):
        g = np.asarray(g, dtype)
        with np.errstate(invalid="ignore"):
            fast = _nll_grad_of(g, a.shape, t, None, reduction, -100)
            general = _nll_grad_of(g, a.shape, t, ones, reduction, -100)
        assert fast.dtype == general.dtype and np.array_equal(_bits(fast), _bits(general))


@pytest.mark.parametrize("kw", [{}, {"weight": [1.0, 2.0, 0.5, 0.0]}, {"ignore_index": 2}, {"target": [0, -100, 3]},
                                {"reduction": "sum"}, {"reduction": "none"},
                                {"reduction": "none", "weight": [1.0, 2.0, 0.5, 0.0]}])
@pytest.mark.parametrize("g", [1.0, 3.3, -2.5, float("inf"), float("nan")])
@pytest.mark.parametrize("batch", [3, 11])
def test_nll_backward_bits_match_torch(kw, g, batch):
    """nll_loss's input gradient is PyTorch's bit for bit: -(weight * (g / total_weight))
    at the targets, +0.0 elsewhere and at ignored targets, whatever the incoming g (inf,
    nan, negative) is."""
    import torch
    kw = dict(kw)
    target = kw.pop("target", [0, 2, 3, 1, 2, 0, 3, 3, 1, 0, 2][:batch])
    target = (target * batch)[:batch]
    x = np.random.default_rng(2).standard_normal((batch, 4)).astype(np.float32)

    def grad_of(T):
        xt = T.tensor(x, requires_grad=True)
        extra = {k: T.tensor(v) if k == "weight" else v for k, v in kw.items()}
        loss = T.nn.functional.nll_loss(xt, T.tensor(target), **extra)
        loss.backward(T.full(tuple(loss.shape), g))
        return xt.grad.numpy()

    assert np.array_equal(_bits(grad_of(torch)), _bits(grad_of(leafgrad)))


@pytest.mark.parametrize("target", [[0, 3, 9], [0, -1, 2], [-100, 3, 2], [2, -5, 2]])
def test_nll_target_bounds_errors_match_torch(target):
    import torch
    from conftest import same_message

    def run(T):
        x = T.tensor(np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32), requires_grad=True)
        try:
            return T.nn.functional.cross_entropy(x, T.tensor(target)).item()
        except Exception as e:   # noqa: BLE001
            return type(e).__name__, str(e)

    want, got = run(torch), run(leafgrad)
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and want[0] == got[0] and same_message(want[1], got[1]), (want, got)
    else:
        assert abs(want - got) < 1e-6


def test_log_softmax_plain_forms_are_the_expression():
    """The forward and backward of log_softmax computed in their temporaries' memory give
    the bits of the plain expressions."""
    from leafgrad.ops.activation import _log_softmax_fwd, _log_softmax_grad
    rng = np.random.default_rng(2)
    for dtype in (np.float16, np.float32, np.float64):
        a = (rng.standard_normal((5, 6)) * 4).astype(dtype)
        a[0, 0] = np.inf
        a[1, :] = -np.inf
        a[2, 3] = np.nan
        for dim in (0, 1):
            with np.errstate(all="ignore"):
                m = np.max(a, axis=dim, keepdims=True, initial=-np.inf)   # (subtracted as it is: inf rows are NaN)
                want = (a - m) - np.log(np.sum(np.exp(a - m), axis=dim, keepdims=True))
                got = _log_softmax_fwd(a, dim)
                assert got.dtype == want.dtype and np.array_equal(_bits(got), _bits(want))
                g = rng.standard_normal((5, 6)).astype(dtype)
                r = _log_softmax_fwd(a[3:], dim)
                want = g[3:] - np.exp(r) * np.sum(g[3:], axis=dim, keepdims=True)
                got = _log_softmax_grad(g[3:], r, dim)
                assert got.dtype == want.dtype and np.array_equal(_bits(got), _bits(want))


def test_copy_shape_errors_unchanged():
    import torch
    from conftest import same_message
    # shapes that do not broadcast, then shapes whose broadcast is larger than the destination
    for dst, src in (((3,), (4,)), ((2, 3), (3, 2)), ((2, 3), (2, 2)), ((4, 3), (2, 3)), ((2, 0), (3,)),
                     ((), (2,)), ((), (1,)), ((2, 1), (2, 3)), ((1,), (3,)), ((3,), (2, 3)), ((2, 3), (4, 1, 3)),
                     ((2,), (1, 2))):
        msgs = []
        for T in (torch, leafgrad):
            with pytest.raises(RuntimeError) as e:
                T.zeros(dst).copy_(T.ones(src))
            msgs.append(str(e.value))
        assert same_message(*msgs), msgs


# ---------------------------------------------------------------- nn.Linear's product: two layouts
@pytest.mark.parametrize("shape", [(32, 784, 64), (8, 32, 32), (1, 5, 3), (5, 3, 1), (128, 512, 10)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("flip", [False, True])
def test_linear_product_layouts_give_the_same_bits(shape, dtype, flip, monkeypatch):
    """x @ w.T + b computed either way (the measured choice forced) has the plain way's
    bits and layout."""
    from leafgrad.ops import _gemm
    rng = np.random.default_rng(7)
    n, k, m = shape
    x = rng.standard_normal((n, k)).astype(dtype)
    w = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal(m).astype(dtype)
    assert _gemm.fits(x, w.T)
    if min(shape) > 1:   # (a matrix with a dimension of 1 is both C- and F-contiguous)
        assert not _gemm.fits(np.asfortranarray(x), w.T) and not _gemm.fits(x, np.ascontiguousarray(w.T))
    monkeypatch.setitem(_gemm._flipped, (x.shape, w.T.shape, x.dtype), flip)
    got = _gemm.linear(x, w.T, b)
    assert got.flags.c_contiguous and np.array_equal(_bits(got), _bits(np.matmul(x, w.T) + b))


def test_linear_product_keeps_the_plain_layout_when_bits_could_differ(monkeypatch):
    """Where the two layouts disagree in any bit (another BLAS), the plain one is kept."""
    from leafgrad.ops import _gemm
    x, w = np.ones((4, 3), np.float32), np.ones((2, 3), np.float32)
    monkeypatch.setattr(_gemm, "_same_bits", lambda a, b: False)
    assert _gemm._faster_flipped(x, w.T, np.zeros(2, np.float32)) is False


def test_nn_linear_forward_is_the_same_either_way(monkeypatch):
    """An nn.Linear step gives the same bits whichever layout its product takes."""
    from leafgrad.ops import _gemm
    rng = np.random.default_rng(3)
    x = rng.standard_normal((32, 20)).astype(np.float32)

    def run(flip):
        monkeypatch.setattr(_gemm, "_flipped", {((32, 20), (20, 16), np.dtype(np.float32)): flip})
        leafgrad.manual_seed(0)
        lin = leafgrad.nn.Linear(20, 16)
        xt = leafgrad.from_numpy(x).requires_grad_()
        out = lin(xt)
        out.square().sum().backward()
        return [_bits(a) for a in (out.detach().numpy(), xt.grad.numpy(), lin.weight.grad.numpy())]
    assert all(np.array_equal(a, b) for a, b in zip(run(False), run(True)))
