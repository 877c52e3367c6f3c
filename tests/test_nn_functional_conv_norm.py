"""Convolution, pooling, padding, resampling and normalization side by side with torch:
errors, return types, running statistics, float32, graph names, and values the sweep's
samples do not reach."""
import warnings

import numpy as np
import pytest

from conftest import torch, leafgrad, both, assert_same

RNG = np.random.default_rng(7)


def arr(*shape, dtype=np.float64, low=-2.0, high=2.0):
    return RNG.uniform(low, high, size=shape).astype(dtype)


def T(lib, a, grad=False):
    return lib.tensor(np.array(a, copy=True), requires_grad=grad)


def run_both(fn, *arrays, grad=True):
    """fn(lib, *tensors) in both libraries; returns (outputs, grads) pairs for comparison."""
    res = []
    for lib in (torch, leafgrad):
        ts = [T(lib, a, grad and a.dtype.kind == "f") for a in arrays]
        out = fn(lib, *ts)
        outs = out if isinstance(out, tuple) else (out,)
        y = outs[0]
        grads = None
        if grad and y.requires_grad:
            cot = np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)).astype(y.detach().numpy().dtype)
            grads = lib.autograd.grad(y, [t for t in ts if t.requires_grad], lib.tensor(cot), allow_unused=True)
        res.append((out, grads))
    return res


def check(fn, *arrays, grad=True):
    (a, ga), (b, gb) = run_both(fn, *arrays, grad=grad)
    # float32: summation order differs from PyTorch's kernels
    tol = dict(rtol=1e-4, atol=1e-5) if any(x.dtype == np.float32 for x in arrays) else {}
    assert_same(a, b, **tol)
    if ga is not None:
        assert_same(ga, gb, **tol)


def F(lib):
    return lib.nn.functional


# ----------------------------------------------------------------------------- convolution
@pytest.mark.parametrize("kw", [
    dict(), dict(stride=2), dict(padding=2, dilation=2), dict(padding="same"), dict(padding="valid"),
    dict(stride=(2, 1), padding=(1, 0)), dict(groups=2), dict(padding="same", dilation=(2, 1)),
])
def test_conv2d_values_and_grads(kw):
    w = arr(4, 1 if kw.get("groups") else 2, 3, 2)
    check(lambda L, x, w, b: F(L).conv2d(x, w, b, **kw), arr(2, 2, 7, 6), w, arr(4))


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, output_padding=1), dict(groups=2, dilation=2),
                                dict(stride=(1, 2), padding=(0, 1)), dict(stride=1, padding=1, dilation=2)])
def test_conv_transpose2d(kw):
    check(lambda L, x, w, b: F(L).conv_transpose2d(x, w, b, **kw), arr(2, 4, 4, 5), arr(4, 3, 3, 2), arr(6 if kw.get(
        "groups") else 3))


def test_conv1d_and_transpose1d():
    check(lambda L, x, w: F(L).conv1d(x, w, stride=2, padding="valid"), arr(2, 3, 9), arr(5, 3, 3))
    check(lambda L, x, w: F(L).conv1d(x, w, padding="same", dilation=3), arr(2, 3, 9), arr(5, 3, 3))
    check(lambda L, x, w: F(L).conv_transpose1d(x, w, stride=3, output_padding=2), arr(2, 3, 4), arr(3, 2, 3))
    check(lambda L, x, w, b: L.conv1d(x, w, b), arr(3, 9), arr(5, 3, 3), arr(5))


def test_conv_float32_and_graph():
    check(lambda L, x, w, b: F(L).conv2d(x, w, b, padding=1), arr(2, 3, 8, 8, dtype=np.float32),
          arr(4, 3, 3, 3, dtype=np.float32), arr(4, dtype=np.float32))
    check(lambda L, x, w: L.conv_transpose2d(x, w, stride=2), arr(1, 3, 4, 4, dtype=np.float32),
          arr(3, 2, 3, 3, dtype=np.float32))
    # unbatched input: unsqueeze, convolution, squeeze
    check(lambda L, x, w: F(L).conv2d(x, w), arr(3, 5, 5), arr(2, 3, 2, 2))
    check(lambda L, x, w: L.convolution(x, w, None, [1, 1], [1, 1], [1, 1], False, [0, 0], 1),
          arr(1, 3, 5, 5), arr(2, 3, 2, 2))


def test_conv_same_warns_for_even_kernels():
    for lib in (leafgrad,):  # PyTorch warns once per process
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            F(lib).conv2d(lib.zeros(1, 1, 4, 4), lib.zeros(1, 1, 2, 2), padding="same")
        assert any("padding='same'" in str(x.message) for x in w), lib


def test_conv_double_backward_graph():
    (a, _), (b, _) = run_both(lambda L, x, w: F(L).conv2d(x, w, padding=1), arr(1, 2, 4, 4), arr(3, 2, 3, 3))
    for out, lib in ((a, torch), (b, leafgrad)):
        assert type(out.grad_fn).__name__ == "ConvolutionBackward0"


CONV_ERRORS = [
    lambda L: F(L).conv2d(L.zeros(2, 3), L.zeros(4, 3, 3, 3)),
    lambda L: F(L).conv2d(L.zeros(2, 3, 8, 8), L.zeros(4, 5, 3, 3)),
    lambda L: F(L).conv2d(L.zeros(2, 3, 2, 2), L.zeros(4, 3, 3, 3)),
    lambda L: F(L).conv2d(L.zeros(2, 3, 8, 8), L.zeros(4, 3, 3, 3), stride=2, padding="same"),
    lambda L: F(L).conv2d(L.zeros(2, 3, 8, 8), L.zeros(4, 3, 3, 3), groups=2),
    lambda L: F(L).conv2d(L.zeros(2, 3, 8, 8), L.zeros(4, 3, 3, 3), padding="foo"),
    lambda L: F(L).conv2d(L.zeros(2, 3, 8, 8), L.zeros(4, 3, 3, 3), L.zeros(3)),
    lambda L: F(L).conv2d(L.zeros(2, 3, 8, 8), L.zeros(4, 3, 3, 3, dtype=L.float64)),
    lambda L: F(L).conv1d(L.zeros(2, 3, 8, 8), L.zeros(4, 3, 3)),
    lambda L: F(L).conv_transpose2d(L.zeros(2, 3, 8, 8), L.zeros(3, 2, 3, 3), stride=2, output_padding=2),
    lambda L: F(L).conv_transpose2d(L.zeros(2, 4, 8, 8), L.zeros(3, 2, 3, 3)),
    lambda L: F(L).conv2d(L.zeros(2, 3, 8, 8), L.zeros(4, 3, 3, 3), stride=0),
    lambda L: F(L).conv2d(L.zeros(2, 3, 8, 8), L.zeros(4, 3, 3, 3), padding=-1),
    lambda L: F(L).conv1d(L.zeros(2, 3, 4, dtype=L.float64), L.zeros(2, 3, 1, dtype=L.float64), L.zeros(2)),
    lambda L: F(L).conv2d(L.zeros(1, 3, 4, 4), L.zeros(2, 3, 3)),
    lambda L: F(L).conv1d(L.zeros(1, 3, 4), L.zeros(2, 3, 3, 3)),
]


@pytest.mark.parametrize("i", range(len(CONV_ERRORS)))
def test_conv_errors(i):
    a, b = both(CONV_ERRORS[i])
    assert isinstance(a, Exception), a
    assert_same(a, b)


# ----------------------------------------------------------------------------- pooling
@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1), ceil_mode=True),
                                dict(kernel_size=3, stride=2, ceil_mode=True, padding=1)])
def test_max_pool2d_indices(kw):
    (a, ga), (b, gb) = run_both(lambda L, x: F(L).max_pool2d(x, return_indices=True, **kw), arr(2, 3, 7, 8))
    assert isinstance(b, tuple) and len(b) == 2
    assert_same(a, b)
    assert_same(ga, gb)
    assert str(b[1].dtype) == "torch.int64"


def test_max_pool_ties_and_nan():
    x = np.array([[[[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0], [0.0, np.nan, 5.0, 5.0], [3.0, 3.0, 5.0, 5.0]]]])
    check(lambda L, x: F(L).max_pool2d(x, 2, return_indices=True), x)
    check(lambda L, x: F(L).max_pool2d(x, 2, 1), x[..., :2, :])
    y = np.array([[[[np.nan, 1.0, 1.0, np.nan], [np.nan, 2.0, 3.0, np.nan]]]])
    check(lambda L, x: F(L).max_pool2d(x, 2, return_indices=True), y)


def test_integer_pooling():
    x = np.arange(-20, 29).reshape(1, 1, 7, 7)
    for kw in (dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)):
        a, b = both(lambda L: F(L).max_pool2d(L.tensor(x), return_indices=True, **kw))
        assert_same(a, b)
        a, b = both(lambda L: F(L).avg_pool2d(L.tensor(x), **kw))
        assert_same(a, b)
    a, b = both(lambda L: F(L).pad(L.tensor(x), (1, 2)))
    assert_same(a, b)


def test_max_pool1d_and_adaptive():
    check(lambda L, x: F(L).max_pool1d(x, 3, 2, 1, return_indices=True), arr(2, 3, 10))
    check(lambda L, x: L.max_pool1d_with_indices(x, 2), arr(2, 3, 10))
    check(lambda L, x: F(L).adaptive_max_pool2d(x, (3, 2), return_indices=True), arr(2, 3, 7, 5))
    check(lambda L, x: F(L).adaptive_max_pool1d(x, 4), arr(2, 3, 9))


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
                                dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                                dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), ceil_mode=True,
                                     count_include_pad=False),
                                dict(kernel_size=2, stride=1, divisor_override=5)])
def test_avg_pool2d(kw):
    check(lambda L, x: F(L).avg_pool2d(x, **kw), arr(2, 3, 7, 8))
    check(lambda L, x: F(L).avg_pool2d(x, **kw), arr(2, 3, 7, 8, dtype=np.float32))


def test_avg_pool1d_adaptive_avg():
    check(lambda L, x: F(L).avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), arr(2, 3, 10))
    check(lambda L, x: L.avg_pool1d(x, 2), arr(2, 3, 10))
    check(lambda L, x: F(L).adaptive_avg_pool2d(x, (4, 3)), arr(2, 3, 7, 5))
    check(lambda L, x: F(L).adaptive_avg_pool2d(x, 1), arr(2, 3, 7, 5))
    check(lambda L, x: F(L).adaptive_avg_pool2d(x, (None, 2)), arr(2, 3, 7, 5))
    check(lambda L, x: F(L).adaptive_avg_pool1d(x, 4), arr(2, 3, 9))
    check(lambda L, x: L.adaptive_avg_pool1d(x, 4), arr(2, 3, 9, dtype=np.float32))


POOL_ERRORS = [
    lambda L: F(L).max_pool2d(L.zeros(1, 1, 4, 4), 2, padding=2),
    lambda L: F(L).avg_pool2d(L.zeros(1, 1, 4, 4), 2, padding=2),
    lambda L: F(L).max_pool2d(L.zeros(1, 1, 4, 4), 2, stride=0),
]


@pytest.mark.parametrize("i", range(len(POOL_ERRORS)))
def test_pool_errors(i):
    a, b = both(POOL_ERRORS[i])
    assert isinstance(a, Exception), a
    assert_same(a, b)


# ----------------------------------------------------------------------------- fold / unfold
def test_unfold_fold():
    check(lambda L, x: F(L).unfold(x, (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)), arr(2, 3, 6, 7))
    check(lambda L, x: F(L).fold(x, (6, 7), (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)),
          arr(2, 18, 24))
    check(lambda L, x: F(L).fold(F(L).unfold(x, 3, padding=1), (5, 5), 3, padding=1), arr(1, 2, 5, 5))


@pytest.mark.parametrize("fn", [lambda L: F(L).fold(L.zeros(1, 12, 5), (4, 4), 2),
                                lambda L: F(L).fold(L.zeros(2, 3, 4, 5), 2, 2),
                                lambda L: F(L).unfold(L.zeros(2, 3), 2)])
def test_unfold_errors(fn):
    a, b = both(fn)
    assert isinstance(a, Exception)
    assert_same(a, b)


# ----------------------------------------------------------------------------- padding
@pytest.mark.parametrize("mode, pad, shape", [
    ("constant", (1, 2), (2, 3)), ("constant", (-1, 2, 0, -1), (2, 3, 4)), ("constant", (1, 1, 2, 0, 1, 1), (2, 3, 4)),
    ("reflect", (2, 3), (2, 3, 5)), ("reflect", (1, 2, 3, 1), (1, 2, 5, 4)), ("reflect", (2, 2, 1, 1), (2, 4, 4)),
    ("replicate", (3, 1), (2, 5)), ("replicate", (1, 2, 3, 4), (1, 2, 3, 4)),
    ("circular", (2, 1), (2, 3, 4)), ("circular", (1, 2, 3, 0), (1, 2, 3, 4)),
])
def test_pad(mode, pad, shape):
    check(lambda L, x: F(L).pad(x, pad, mode=mode), arr(*shape))
    check(lambda L, x: F(L).pad(x, pad, mode=mode), arr(*shape, dtype=np.float32))


def test_pad_value():
    check(lambda L, x: F(L).pad(x, (1, 1), value=-3.5), arr(2, 3))
    check(lambda L, x: L.constant_pad_nd(x, (1, 1), 2.0), arr(2, 3))


PAD_ERRORS = [
    lambda L: F(L).pad(L.zeros(2, 3, 3), (3, 3), mode="reflect"),
    lambda L: F(L).pad(L.zeros(2, 3, 3), (1, 1, 1)),
    lambda L: F(L).pad(L.zeros(1, 2, 4, 4), (1, 1), mode="reflect"),
]


@pytest.mark.parametrize("i", range(len(PAD_ERRORS)))
def test_pad_errors(i):
    a, b = both(PAD_ERRORS[i])
    assert isinstance(a, Exception), a
    assert_same(a, b)


# ----------------------------------------------------------------------------- interpolate
@pytest.mark.parametrize("kw", [
    dict(scale_factor=2), dict(size=(5, 3)), dict(scale_factor=0.5), dict(scale_factor=1.7), dict(size=7),
    dict(scale_factor=2, mode="bilinear"), dict(size=(5, 9), mode="bilinear"),
    dict(size=(5, 9), mode="bilinear", align_corners=True), dict(scale_factor=0.6, mode="bilinear"),
    dict(scale_factor=(1.5, 2.5), mode="bilinear", align_corners=False), dict(size=(3, 7), mode="nearest-exact"),
    dict(scale_factor=1.5, mode="nearest-exact"), dict(size=(3, 2), mode="area"), dict(size=1, mode="bilinear",
                                                                                align_corners=True),
])
def test_interpolate_2d(kw):
    check(lambda L, x: F(L).interpolate(x, **kw), arr(2, 3, 4, 6))
    check(lambda L, x: F(L).interpolate(x, **kw), arr(1, 2, 4, 6, dtype=np.float32))


@pytest.mark.parametrize("kw", [dict(scale_factor=2), dict(size=5), dict(scale_factor=3, mode="linear"),
                                dict(size=4, mode="linear", align_corners=True)])
def test_interpolate_1d(kw):
    check(lambda L, x: F(L).interpolate(x, **kw), arr(2, 3, 7))


INTERP_ERRORS = [
    lambda L: F(L).interpolate(L.zeros(1, 1, 4, 4), size=3, scale_factor=2),
    lambda L: F(L).interpolate(L.zeros(1, 1, 4, 4)),
    lambda L: F(L).interpolate(L.zeros(1, 1, 4, 4), scale_factor=2, align_corners=True),
]


@pytest.mark.parametrize("i", range(len(INTERP_ERRORS)))
def test_interpolate_errors(i):
    a, b = both(INTERP_ERRORS[i])
    assert isinstance(a, Exception), a
    assert_same(a, b)


# ----------------------------------------------------------------------------- normalization
def test_layer_norm():
    check(lambda L, x, w, b: F(L).layer_norm(x, (3, 4), w, b, eps=1e-3), arr(2, 3, 4), arr(3, 4), arr(3, 4))
    check(lambda L, x: F(L).layer_norm(x, [4]), arr(2, 3, 4, dtype=np.float32))
    check(lambda L, x, w, b: L.layer_norm(x, (4,), w, b), arr(5, 4), arr(4), arr(4))


def test_group_norm_and_instance_norm():
    check(lambda L, x, w, b: F(L).group_norm(x, 2, w, b), arr(2, 4, 3, 3), arr(4), arr(4))
    check(lambda L, x: L.group_norm(x, 3), arr(2, 6, 5, dtype=np.float32))
    check(lambda L, x, w, b: F(L).instance_norm(x, weight=w, bias=b), arr(2, 3, 4, 4), arr(3), arr(3))


def test_batch_norm_running_stats():
    x = arr(4, 3, 5)
    res = []
    for lib in (torch, leafgrad):
        rm, rv = lib.zeros(3, dtype=lib.float64), lib.ones(3, dtype=lib.float64)
        y = F(lib).batch_norm(T(lib, x, True), rm, rv, training=True, momentum=0.3)
        y2 = F(lib).batch_norm(T(lib, x), rm, rv, training=True)
        ev = F(lib).batch_norm(T(lib, x, True), rm, rv)
        res.append((y, y2, ev, rm, rv, rm._version))
    assert_same(*res)


def test_instance_norm_running_stats():
    x = arr(2, 3, 6)
    res = []
    for lib in (torch, leafgrad):
        rm, rv = lib.zeros(3, dtype=lib.float64), lib.ones(3, dtype=lib.float64)
        y = F(lib).instance_norm(T(lib, x, True), rm, rv, momentum=0.2)
        res.append((y, rm, rv))
    assert_same(*res)


def test_batch_norm_float32_eval():
    rm, rv = arr(3, dtype=np.float32), arr(3, dtype=np.float32, low=0.5)
    check(lambda L, x, w, b: F(L).batch_norm(x, T(L, rm), T(L, rv), w, b, eps=1e-3),
          arr(4, 3, 2, 2, dtype=np.float32), arr(3, dtype=np.float32), arr(3, dtype=np.float32))


def test_local_response_norm():
    check(lambda L, x: F(L).local_response_norm(x, 3), arr(2, 5, 4))
    check(lambda L, x: F(L).local_response_norm(x, 2, alpha=0.1, beta=0.5, k=2.0), arr(2, 4, 3, 3))


NORM_ERRORS = [
    lambda L: F(L).batch_norm(L.zeros(2, 3), None, None),
    lambda L: F(L).batch_norm(L.zeros(1, 3), None, None, training=True),
    lambda L: F(L).layer_norm(L.zeros(2, 3), (5,)),
    lambda L: F(L).layer_norm(L.zeros(2, 4), (4,), weight=L.zeros(3)),
    lambda L: F(L).group_norm(L.zeros(2, 3, 4), 2),
    lambda L: F(L).instance_norm(L.zeros(1, 3, 1)),
    lambda L: F(L).batch_norm(L.zeros(4, 3, dtype=L.float64), L.zeros(3), L.ones(3), training=True),
    lambda L: F(L).layer_norm(L.zeros(4, 3, dtype=L.float64), (3,), L.ones(3)),
    lambda L: F(L).group_norm(L.zeros(4, 3, dtype=L.float64), 3, L.ones(3)),
]


@pytest.mark.parametrize("i", range(len(NORM_ERRORS)))
def test_norm_errors(i):
    a, b = both(NORM_ERRORS[i])
    assert isinstance(a, Exception), a
    assert_same(a, b)


def test_public_names():
    for name in ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "max_pool1d", "max_pool2d",
                 "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d",
                 "adaptive_max_pool2d", "unfold", "fold", "pad", "interpolate", "layer_norm", "group_norm",
                 "batch_norm", "instance_norm", "local_response_norm"]:
        assert callable(getattr(leafgrad.nn.functional, name)), name
    for name in ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "convolution", "max_pool1d",
                 "max_pool2d", "avg_pool1d", "adaptive_avg_pool1d", "adaptive_max_pool1d", "layer_norm",
                 "group_norm", "batch_norm", "instance_norm", "constant_pad_nd"]:
        assert hasattr(torch, name) and callable(getattr(leafgrad, name)), name


def test_torch_namespace_forms():
    check(lambda L, x: L.adaptive_max_pool1d(x, 3), arr(2, 3, 8))
    check(lambda L, x, w, b: L.instance_norm(x, w, b, None, None, True, 0.1, 1e-5, False), arr(2, 3, 5), arr(3),
          arr(3))
    check(lambda L, x, w, b: L.batch_norm(x, w, b, None, None, True, 0.1, 1e-5, False), arr(4, 3, 5), arr(3),
          arr(3))
    check(lambda L, x, w: L.group_norm(x, 1, w), arr(2, 3, 5), arr(3))


def test_second_derivative_through_conv_and_pool():
    """A gradient penalty: d/dw |d loss / dx|^2 through conv, max pool and batch norm."""
    x, w = arr(2, 2, 6, 6), arr(3, 2, 3, 3)
    out = []
    for lib in (torch, leafgrad):
        xt, wt = T(lib, x, True), T(lib, w, True)
        h = F(lib).max_pool2d(F(lib).conv2d(xt, wt, padding=1), 2)
        h = F(lib).batch_norm(h, None, None, training=True)
        loss = (h * h * h).sum()
        gx, = lib.autograd.grad(loss, xt, create_graph=True)
        pen = (gx * gx).sum()
        gw, = lib.autograd.grad(pen, wt)
        out.append((gx.detach(), gw))
    assert_same(*out)
