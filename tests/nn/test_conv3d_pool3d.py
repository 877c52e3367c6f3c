"""3-D convolution, pooling and normalisation, max unpooling and power-average pooling,
side by side with torch: the same initial parameters, forward values, grad_fn names,
gradients (first and, for the functionals, second), repr and errors. The op sweep
(test_ops_sweep.py) checks each declared op's samples on top of this; this file checks
the modules, the public wrappers' argument handling and what the samples cannot say."""
import numpy as np
import pytest

from conftest import torch, leafgrad, both, assert_same, to_numpy


def _arr(shape, seed=0, dtype="float64"):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _t(mod, shape, seed=0, dtype="float64", grad=True):
    return mod.tensor(_arr(shape, seed, dtype), requires_grad=grad)


# ------------------------------------------------------------------ modules
# (id, constructor(nn), input shape, dtype, forward keyword arguments)
MODULES = [
    ("Conv3d", lambda nn: nn.Conv3d(2, 3, 2), (2, 2, 3, 4, 3), "float32", {}),
    ("Conv3d-double", lambda nn: nn.Conv3d(2, 4, (2, 1, 3), stride=(1, 2, 1), padding=(1, 0, 1), dilation=(2, 1, 1),
                                           groups=2, dtype=_dt(nn, "float64")), (2, 2, 4, 5, 5), "float64", {}),
    ("Conv3d-unbatched", lambda nn: nn.Conv3d(2, 2, 3, padding=1, bias=False), (2, 3, 3, 4), "float32", {}),
    ("Conv3d-same", lambda nn: nn.Conv3d(2, 3, (2, 3, 2), padding="same"), (1, 2, 3, 4, 4), "float32", {}),
    ("Conv3d-valid", lambda nn: nn.Conv3d(2, 3, 2, padding="valid"), (1, 2, 3, 3, 3), "float32", {}),
    ("Conv3d-reflect", lambda nn: nn.Conv3d(2, 2, 3, padding=1, padding_mode="reflect"), (1, 2, 3, 4, 3),
     "float32", {}),
    ("Conv3d-replicate", lambda nn: nn.Conv3d(2, 2, (3, 1, 3), padding=(2, 0, 1), padding_mode="replicate"),
     (1, 2, 3, 3, 4), "float32", {}),
    ("Conv3d-circular", lambda nn: nn.Conv3d(2, 2, 2, padding="same", padding_mode="circular"), (1, 2, 3, 3, 3),
     "float32", {}),
    ("ConvTranspose3d", lambda nn: nn.ConvTranspose3d(2, 3, 3, stride=2, padding=1, output_padding=1),
     (2, 2, 2, 3, 2), "float32", {}),
    ("ConvTranspose3d-groups", lambda nn: nn.ConvTranspose3d(4, 2, (2, 1, 2), groups=2, dilation=(1, 1, 2),
                                                             bias=False, dtype=_dt(nn, "float64")),
     (1, 4, 2, 3, 2), "float64", {}),
    ("ConvTranspose3d-output_size", lambda nn: nn.ConvTranspose3d(2, 2, 3, stride=(2, 3, 2), padding=1),
     (1, 2, 2, 2, 3), "float32", {"output_size": (4, 6, 6)}),
    ("ConvTranspose3d-output_size5", lambda nn: nn.ConvTranspose3d(2, 2, 2, stride=2),
     (2, 2, 2, 2), "float32", {"output_size": [2, 5, 4, 5]}),
    ("MaxPool3d", lambda nn: nn.MaxPool3d(2), (2, 3, 4, 4, 5), "float32", {}),
    ("MaxPool3d-pad-ceil", lambda nn: nn.MaxPool3d(3, stride=2, padding=1, ceil_mode=True), (1, 2, 5, 4, 6),
     "float64", {}),
    ("MaxPool3d-dilation", lambda nn: nn.MaxPool3d((2, 2, 3), stride=1, dilation=(2, 1, 1)), (2, 5, 4, 5),
     "float32", {}),
    ("MaxPool3d-indices", lambda nn: nn.MaxPool3d(2, return_indices=True), (1, 2, 4, 4, 4), "float32", {}),
    ("AvgPool3d", lambda nn: nn.AvgPool3d(2), (2, 3, 4, 4, 5), "float32", {}),
    ("AvgPool3d-pad", lambda nn: nn.AvgPool3d(3, 2, 1, ceil_mode=True, count_include_pad=False), (1, 2, 5, 4, 6),
     "float64", {}),
    ("AvgPool3d-divisor", lambda nn: nn.AvgPool3d((2, 1, 2), stride=1, divisor_override=3), (2, 3, 4, 3),
     "float32", {}),
    ("AdaptiveAvgPool3d", lambda nn: nn.AdaptiveAvgPool3d((2, 3, 2)), (2, 3, 5, 7, 4), "float32", {}),
    ("AdaptiveAvgPool3d-none", lambda nn: nn.AdaptiveAvgPool3d((None, 2, 3)), (2, 5, 7, 4), "float64", {}),
    ("AdaptiveAvgPool3d-global", lambda nn: nn.AdaptiveAvgPool3d(1), (2, 3, 3, 4, 2), "float32", {}),
    ("AdaptiveMaxPool3d", lambda nn: nn.AdaptiveMaxPool3d(2), (2, 3, 5, 4, 3), "float32", {}),
    ("AdaptiveMaxPool3d-indices", lambda nn: nn.AdaptiveMaxPool3d((3, None, 2), return_indices=True),
     (2, 5, 4, 3), "float64", {}),
    ("BatchNorm3d", lambda nn: nn.BatchNorm3d(3), (2, 3, 2, 3, 4), "float32", {}),
    ("BatchNorm3d-noaffine", lambda nn: nn.BatchNorm3d(3, affine=False, momentum=None), (2, 3, 2, 2, 3), "float32",
     {}),
    ("BatchNorm3d-nostats", lambda nn: nn.BatchNorm3d(2, track_running_stats=False, dtype=_dt(nn, "float64")),
     (3, 2, 2, 2, 2), "float64", {}),
    ("InstanceNorm3d", lambda nn: nn.InstanceNorm3d(3), (2, 3, 2, 3, 4), "float32", {}),
    ("InstanceNorm3d-affine", lambda nn: nn.InstanceNorm3d(3, affine=True, track_running_stats=True),
     (2, 3, 2, 3, 4), "float32", {}),
    ("InstanceNorm3d-unbatched", lambda nn: nn.InstanceNorm3d(2, affine=True), (2, 3, 2, 3), "float32", {}),
    ("LPPool1d", lambda nn: nn.LPPool1d(2, 3), (2, 3, 8), "float32", {}),
    ("LPPool1d-stride", lambda nn: nn.LPPool1d(1.5, 2, stride=1, ceil_mode=True), (3, 7), "float64", {}),
    ("LPPool2d", lambda nn: nn.LPPool2d(2, (2, 3), stride=(1, 2)), (2, 3, 5, 6), "float32", {}),
    ("LPPool2d-inf", lambda nn: nn.LPPool2d(float("inf"), 2), (2, 3, 4, 4), "float32", {}),
    ("LPPool3d", lambda nn: nn.LPPool3d(3, 2), (2, 2, 4, 4, 4), "float64", {}),
    ("LPPool3d-ceil", lambda nn: nn.LPPool3d(2, (2, 1, 2), stride=2, ceil_mode=True), (2, 5, 3, 5), "float32", {}),
]


def _dt(nn, name):
    """nn's dtype ``name`` (torch.float64 or leafgrad.float64)."""
    return getattr(torch if nn is torch.nn else leafgrad, name)


def _run_module(mod, make, shape, dtype, kwargs, train):
    mod.manual_seed(0)
    m = make(mod.nn)
    init = [(n, to_numpy(t)) for n, t in m.state_dict().items()]
    m.train(train)
    x = _t(mod, shape, 1, dtype)
    out = m(x, **kwargs)
    extra = None
    if isinstance(out, tuple):
        out, extra = out
    g = mod.tensor(_arr(tuple(out.shape), 2, dtype))
    out.backward(g)
    return dict(init=init, out=out, extra=extra, xgrad=x.grad, repr=repr(m),
                grads=[(n, p.grad) for n, p in m.named_parameters()],
                state=[(n, to_numpy(t)) for n, t in m.state_dict().items()])


@pytest.mark.parametrize("name,make,shape,dtype,kwargs", MODULES, ids=[c[0] for c in MODULES])
@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
def test_module_matches_torch(name, make, shape, dtype, kwargs, train):
    a, b = both(lambda mod: _run_module(mod, make, shape, dtype, kwargs, train))
    if isinstance(a, BaseException) or isinstance(b, BaseException):
        assert_same(a, b)
        return
    assert a["repr"] == b["repr"]
    assert [n for n, _ in a["init"]] == [n for n, _ in b["init"]]
    for (n, ta), (_, tb) in zip(a["init"], b["init"]):
        np.testing.assert_array_equal(ta, tb, err_msg=f"initial {n} differs")
    assert_same(a["out"], b["out"])
    assert_same(a["extra"], b["extra"])
    assert_same(a["xgrad"], b["xgrad"], "grad of the input", check_graph=False)
    assert [n for n, _ in a["grads"]] == [n for n, _ in b["grads"]]
    for (n, ga), (_, gb) in zip(a["grads"], b["grads"]):
        assert_same(ga, gb, f"grad of {n}", check_graph=False)
    for (n, ta), (_, tb) in zip(a["state"], b["state"]):
        np.testing.assert_allclose(ta, tb, rtol=1e-5, atol=1e-6, err_msg=f"state {n} after forward differs")


# ------------------------------------------------------------------ max unpooling
# (id, pooling dims, pool kwargs, input shape, unpool kwargs)
UNPOOL = [
    ("1d", 1, dict(kernel_size=2), (2, 3, 8), dict(kernel_size=2)),
    ("1d-unbatched-size", 1, dict(kernel_size=3, stride=2, padding=1), (3, 9),
     dict(kernel_size=3, stride=2, padding=1, output_size=[9])),
    ("2d", 2, dict(kernel_size=2), (2, 3, 4, 6), dict(kernel_size=2)),
    ("2d-size", 2, dict(kernel_size=2), (1, 2, 5, 5), dict(kernel_size=2, output_size=(5, 5))),
    ("2d-size4", 2, dict(kernel_size=3, stride=2, padding=1), (2, 3, 5, 6),
     dict(kernel_size=3, stride=2, padding=1, output_size=(2, 3, 5, 6))),
    ("2d-unbatched", 2, dict(kernel_size=(2, 3)), (3, 4, 6), dict(kernel_size=(2, 3))),
    ("3d", 3, dict(kernel_size=2), (2, 2, 4, 4, 6), dict(kernel_size=2)),
    ("3d-size", 3, dict(kernel_size=2, stride=(2, 1, 2)), (1, 2, 5, 4, 5),
     dict(kernel_size=2, stride=(2, 1, 2), output_size=(5, 4, 5))),
    ("3d-unbatched", 3, dict(kernel_size=(1, 2, 2)), (2, 3, 4, 4), dict(kernel_size=(1, 2, 2))),
]


@pytest.mark.parametrize("name,nd,pool_kw,shape,unpool_kw", UNPOOL, ids=[c[0] for c in UNPOOL])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("module", [False, True], ids=["functional", "module"])
def test_max_unpool(name, nd, pool_kw, shape, unpool_kw, dtype, module):
    def run(mod):
        F = mod.nn.functional
        x = _t(mod, shape, 3, dtype)
        pooled, idx = getattr(F, f"max_pool{nd}d")(x, return_indices=True, **pool_kw)
        if module:
            kw = dict(unpool_kw)
            size = kw.pop("output_size", None)
            out = getattr(mod.nn, f"MaxUnpool{nd}d")(**kw)(pooled, idx, output_size=size)
        else:
            out = getattr(F, f"max_unpool{nd}d")(pooled, idx, **unpool_kw)
        g = mod.tensor(_arr(tuple(out.shape), 4, dtype))
        gx, = mod.autograd.grad(out, x, g, create_graph=True)
        ggx, = mod.autograd.grad((gx * gx).sum(), x)
        return out, gx, ggx
    a, b = both(run)
    assert_same(a, b)


def test_max_unpool_repeated_index_keeps_the_last():
    def run(mod):
        x = mod.arange(1.0, 7.0).reshape(1, 1, 6).requires_grad_()
        out = mod.nn.functional.max_unpool1d(x, mod.tensor([[[1, 1, 1, 2, 2, 0]]]), 2)
        out.backward(mod.arange(12.0).reshape(1, 1, 12))
        return out, x.grad
    assert_same(*both(run))


# ------------------------------------------------------------------ functionals: values, first and second derivatives
CALLS = [
    ("conv3d", lambda F, x, w: F.conv3d(x, w, None, 1, 1), (2, 2, 3, 3, 4), (3, 2, 2, 2, 2)),
    ("conv3d-stride-groups", lambda F, x, w: F.conv3d(x, w, stride=(2, 1, 2), dilation=(1, 2, 1), groups=2),
     (1, 4, 4, 5, 5), (2, 2, 2, 2, 1)),
    ("conv3d-unbatched", lambda F, x, w: F.conv3d(x, w, padding="same"), (2, 3, 3, 3), (2, 2, 3, 1, 2)),
    ("conv_transpose3d", lambda F, x, w: F.conv_transpose3d(x, w, stride=2, padding=(0, 1, 0), output_padding=1),
     (1, 2, 2, 3, 2), (2, 3, 2, 3, 2)),
    ("conv_transpose3d-dilation", lambda F, x, w: F.conv_transpose3d(x, w, dilation=3, output_padding=(2, 0, 1)),
     (1, 2, 2, 2, 2), (2, 1, 2, 2, 2)),
    ("torch.conv3d", lambda F, x, w: F.__torch__.conv3d(x, w, None, (1, 2, 1)), (1, 2, 3, 4, 3), (2, 2, 2, 2, 2)),
    ("torch.conv_transpose3d", lambda F, x, w: F.__torch__.conv_transpose3d(x, w, None, 2), (1, 2, 2, 2, 2),
     (2, 2, 2, 2, 2)),
    ("conv_transpose1d-output_padding-dilation", lambda F, x, w: F.conv_transpose1d(x, w, dilation=3,
                                                                                    output_padding=2),
     (1, 2, 4), (2, 2, 2)),
    ("max_pool3d", lambda F, x, w: F.max_pool3d(x, 2, 1, 1, 2) * w.sum(), (1, 2, 4, 4, 4), (1,)),
    ("max_pool3d-ceil", lambda F, x, w: F.max_pool3d(x, (2, 3, 2), 2, ceil_mode=True) * w.sum(), (2, 3, 5, 5),
     (1,)),
    ("torch.max_pool3d", lambda F, x, w: F.__torch__.max_pool3d(x, 2, [], 0, 1, True) * w.sum(), (1, 2, 3, 5, 3),
     (1,)),
    ("max_pool3d_with_indices", lambda F, x, w: F.max_pool3d_with_indices(x, 2)[0] * w.sum(), (1, 2, 4, 4, 4),
     (1,)),
    ("avg_pool3d", lambda F, x, w: F.avg_pool3d(x, 3, 2, 1, count_include_pad=False) * w.sum(), (1, 2, 5, 4, 5),
     (1,)),
    ("adaptive_avg_pool3d", lambda F, x, w: F.adaptive_avg_pool3d(x, (2, 3, 2)) * w.sum(), (2, 5, 4, 3), (1,)),
    ("adaptive_max_pool3d", lambda F, x, w: F.adaptive_max_pool3d(x, 2) * w.sum(), (1, 2, 5, 4, 3), (1,)),
    ("adaptive_max_pool3d_with_indices", lambda F, x, w: F.adaptive_max_pool3d_with_indices(x, 2)[0] * w.sum(),
     (1, 2, 5, 4, 3), (1,)),
    ("lp_pool1d", lambda F, x, w: F.lp_pool1d(x, 2, 2) * w.sum(), (2, 3, 6), (1,)),
    ("lp_pool2d", lambda F, x, w: F.lp_pool2d(x, 3, (2, 2), 1) * w.sum(), (2, 4, 4), (1,)),
    ("lp_pool3d", lambda F, x, w: F.lp_pool3d(x, 2.5, 2, ceil_mode=True) * w.sum(), (1, 2, 3, 4, 5), (1,)),
    ("lp_pool3d-neg-inf", lambda F, x, w: F.lp_pool3d(x, -float("inf"), 2) * w.sum(), (1, 2, 4, 4, 4), (1,)),
    ("interpolate-area-3d", lambda F, x, w: F.interpolate(x, size=(2, 3, 2), mode="area") * w.sum(),
     (1, 2, 3, 5, 4), (1,)),
    ("batch_norm-5d", lambda F, x, w: F.batch_norm(x, None, None, w, None, True), (2, 3, 2, 2, 3), (3,)),
    ("instance_norm-5d", lambda F, x, w: F.instance_norm(x, weight=w), (2, 3, 2, 2, 3), (3,)),
]


class _F:
    """nn.functional with the top namespace at hand (for ``torch.conv3d``)."""

    def __init__(self, mod):
        self.__torch__ = mod
        self._f = mod.nn.functional

    def __getattr__(self, name):
        return getattr(self._f, name)


@pytest.mark.parametrize("name,fn,xs,ws", CALLS, ids=[c[0] for c in CALLS])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_functional_matches_torch(name, fn, xs, ws, dtype):
    def run(mod):
        x, w = _t(mod, xs, 5, dtype), _t(mod, ws, 6, dtype)
        out = fn(_F(mod), x, w)
        g = mod.tensor(_arr(tuple(out.shape), 7, dtype))
        gx, gw = mod.autograd.grad(out, (x, w), g, create_graph=True)
        h = mod.autograd.grad((gx * gx).sum() + (gw * gw).sum(), (x, w), allow_unused=True)
        return out, gx, gw, h
    a, b = both(run)
    assert_same(a[0], b[0])
    assert_same(a[1:3], b[1:3], "first derivative", check_graph=False)
    tol = 1e-4 if dtype == "float32" else None
    for i, (ha, hb) in enumerate(zip(*(r[3] for r in (a, b)))):
        if ha is None or hb is None:  # an unused input in one library is zeros in the other
            ha, hb = (np.zeros(tuple((hb if ha is None else ha).shape)) if h is None else to_numpy(h)
                      for h in (ha, hb))
            np.testing.assert_allclose(ha, hb, atol=1e-9)
            continue
        assert_same(ha, hb, f"second derivative[{i}]", rtol=tol, atol=tol, check_graph=False)


@pytest.mark.parametrize("name", ["max_pool3d", "avg_pool3d", "adaptive_max_pool3d", "adaptive_avg_pool3d",
                                  "max_unpool3d"])
def test_double_backward_node_names(name):
    """The backward of a 3-D pooling's backward is named as PyTorch names it."""
    def run(mod):
        F = mod.nn.functional
        x = _t(mod, (1, 2, 4, 4, 4), 8)
        if name == "max_unpool3d":
            p, i = F.max_pool3d(x, 2, return_indices=True)
            y = F.max_unpool3d(p, i, 2)
        elif name.startswith("adaptive"):
            y = getattr(F, name)(x, 2)
        else:
            y = getattr(F, name)(x, 2)
        gx, = mod.autograd.grad((y * y).sum(), x, create_graph=True)
        return type(y.grad_fn).__name__, type(gx.grad_fn).__name__
    a, b = both(run)
    assert a[0] == b[0]
    if name in ("max_pool3d", "avg_pool3d", "max_unpool3d"):
        assert a[1] == b[1]


def test_integer_pooling():
    def run(mod):
        x = mod.tensor(np.arange(2 * 3 * 4 * 4 * 5).reshape(2, 3, 4, 4, 5) % 17 - 8)
        return (mod.nn.functional.max_pool3d(x, 2), mod.nn.functional.avg_pool3d(x, 2),
                mod.nn.functional.max_pool3d(x, 2, return_indices=True)[1])
    assert_same(*both(run))


def test_empty_batch():
    def run(mod):
        F = mod.nn.functional
        x = mod.zeros(0, 2, 4, 4, 4, requires_grad=True)
        w = mod.ones(3, 2, 2, 2, 2, requires_grad=True)
        outs = (F.conv3d(x, w), F.max_pool3d(x, 2), F.avg_pool3d(x, 2), F.adaptive_max_pool3d(x, 2),
                F.adaptive_avg_pool3d(x, 3))
        sum(o.sum() for o in outs).backward()
        return outs, x.grad, w.grad
    assert_same(*both(run))


# ------------------------------------------------------------------ errors
def _x5(mod):
    return mod.randn(2, 3, 4, 5, 6)


def _one_bad(m, shape, value):
    """Valid unpooling indices but one (PyTorch's threads report whichever bad index they
    meet last, so a test has one)."""
    idx = np.zeros(shape, np.int64)
    idx.flat[7] = value
    return m.tensor(idx)


ERRORS = [
    lambda m, F: F.conv3d(m.randn(2, 3, 4, 5), m.randn(2, 3, 2, 2, 2)),
    lambda m, F: F.conv3d(_x5(m), m.randn(2, 3, 2, 2)),
    lambda m, F: F.conv3d(_x5(m), m.randn(2, 3, 5, 2, 2)),
    lambda m, F: F.conv3d(m.randn(2, 3), m.randn(2, 3, 2, 2, 2)),
    lambda m, F: F.conv3d(_x5(m), m.randn(2, 3, 2, 2, 2), m.randn(3)),
    lambda m, F: F.conv3d(_x5(m), m.randn(2, 3, 2, 2, 2), stride=(2, 2), padding="same"),
    lambda m, F: F.conv_transpose3d(_x5(m), m.randn(3, 2, 2, 2, 2), stride=2, output_padding=2),
    lambda m, F: F.conv_transpose3d(_x5(m), m.randn(3, 2, 2, 2, 2), stride=(2, 2, 2), output_padding=(0, 0, 3)),
    lambda m, F: F.conv_transpose3d(m.randn(2, 3, 4, 5), m.randn(3, 2, 2, 2, 2)),
    lambda m, F: F.conv_transpose2d(m.randn(2, 3, 4), m.randn(3, 2, 2, 2)),
    lambda m, F: F.conv2d(m.randn(2, 3, 4), m.randn(2, 3, 2, 2)),
    lambda m, F: m.nn.Conv3d(2, 3, 2, stride=2, padding="same"),
    lambda m, F: m.nn.ConvTranspose3d(2, 3, 2, padding_mode="reflect"),
    lambda m, F: m.nn.ConvTranspose3d(2, 2, 2, stride=2)(_x5(m)[:, :2], output_size=(9, 10, 30)),
    lambda m, F: m.nn.ConvTranspose3d(2, 2, 2, stride=2)(_x5(m)[:, :2], output_size=(9, 10)),
    lambda m, F: F.max_pool3d(m.randn(2, 3, 4), 2),
    lambda m, F: F.max_pool3d(_x5(m), 0, 1),
    lambda m, F: F.max_pool3d(_x5(m), 2, 0),
    lambda m, F: F.max_pool3d(_x5(m), 2, 1, -1),
    lambda m, F: F.max_pool3d(_x5(m), 2, 1, 2),
    lambda m, F: F.max_pool3d(_x5(m), 7, 1, 0),
    lambda m, F: F.max_pool3d(_x5(m), 2, 1, 0, 0),
    lambda m, F: F.max_pool3d(_x5(m), (2, 2), 1),
    lambda m, F: F.max_pool3d(_x5(m), 2, (1, 1)),
    lambda m, F: F.max_pool3d(_x5(m), 2, 1, (1, 1)),
    lambda m, F: F.max_pool3d(_x5(m), 2, 1, 0, (1, 1)),
    lambda m, F: F.max_pool3d(m.randn(2, 0, 4, 5, 6), 2),
    lambda m, F: F.max_pool2d(_x5(m)[0], 0, 1),
    lambda m, F: F.max_pool2d(_x5(m)[0], 2, 0),
    lambda m, F: F.max_pool2d(_x5(m)[0], 2, 1, -1),
    lambda m, F: F.max_pool2d(_x5(m)[0], 7, 1, 0),
    lambda m, F: F.max_pool2d(_x5(m)[0], 2, 1, 0, 0),
    lambda m, F: F.avg_pool2d(_x5(m)[0], 0, 1),
    lambda m, F: F.avg_pool2d(_x5(m)[0], 7),
    lambda m, F: F.avg_pool1d(_x5(m)[0, 0], 0, 1),
    lambda m, F: F.avg_pool1d(_x5(m)[0, 0], 7),
    lambda m, F: F.max_pool1d(_x5(m)[0, 0], 0, 1),
    lambda m, F: F.max_pool1d(_x5(m)[0, 0], 2, 0),
    lambda m, F: F.max_pool1d(_x5(m)[0, 0], 2, 1, -1),
    lambda m, F: F.max_pool1d(_x5(m)[0, 0], 2, 1, 2),
    lambda m, F: F.max_pool1d(_x5(m)[0, 0], 7, 1, 0),
    lambda m, F: F.max_pool1d(_x5(m)[0, 0], 2, 1, 0, 0),
    lambda m, F: F.avg_pool3d(m.randn(2, 3, 4), 2),
    lambda m, F: F.avg_pool3d(_x5(m), 0, 1),
    lambda m, F: F.avg_pool3d(_x5(m), 2, 0),
    lambda m, F: F.avg_pool3d(_x5(m), 2, 1, -1),
    lambda m, F: F.avg_pool3d(_x5(m), 2, 1, 2),
    lambda m, F: F.avg_pool3d(_x5(m), 5, 1, 1),
    lambda m, F: F.avg_pool3d(_x5(m), (2, 2)),
    lambda m, F: F.avg_pool3d(_x5(m), 2, (1, 1)),
    lambda m, F: F.avg_pool3d(_x5(m), 2, 1, (1, 1)),
    lambda m, F: F.avg_pool3d(_x5(m), 2, divisor_override=0),
    lambda m, F: F.avg_pool3d(m.randn(2, 0, 4, 5, 6), 2),
    lambda m, F: F.adaptive_avg_pool3d(m.randn(2, 3, 4), 2),
    lambda m, F: F.adaptive_max_pool3d(m.randn(2, 3, 4), 2),
    lambda m, F: F.adaptive_avg_pool3d(_x5(m), (2, 3)),
    lambda m, F: F.adaptive_max_pool3d(_x5(m), (2, 3)),
    lambda m, F: F.adaptive_avg_pool3d(m.randn(3, 4, 0, 6), 2),
    lambda m, F: F.adaptive_max_pool3d(m.randn(2, 0, 4, 5, 6), 2),
    lambda m, F: F.adaptive_avg_pool3d(_x5(m), -1),
    lambda m, F: F.adaptive_max_pool3d(_x5(m).long(), 2),
    lambda m, F: F.adaptive_avg_pool3d(_x5(m).long(), 2),
    lambda m, F: F.max_unpool3d(*F.max_pool3d(_x5(m), 2, return_indices=True), 2, output_size=(6, 7, 9)),
    lambda m, F: F.max_unpool3d(*F.max_pool3d(_x5(m), 2, return_indices=True), 2, output_size=(7, 9)),
    lambda m, F: F.max_unpool3d(m.randn(2, 3, 2, 2, 3), _one_bad(m, (2, 3, 2, 2, 3), 75), 2, output_size=(3, 5, 5)),
    lambda m, F: F.max_unpool3d(F.max_pool3d(_x5(m), 2), m.zeros(2, 3, 2, 2, 3, dtype=m.int32), 2),
    lambda m, F: F.max_unpool3d(F.max_pool3d(_x5(m), 2), m.zeros(2, 1, 2, 2, 3, dtype=m.int64), 2),
    lambda m, F: F.max_unpool3d(m.randn(2, 2, 3), m.zeros(2, 2, 3, dtype=m.int64), 2),
    lambda m, F: F.max_unpool3d(*F.max_pool3d(_x5(m), 2, return_indices=True), 2, stride=0),
    lambda m, F: F.max_unpool3d(F.max_pool3d(_x5(m), 2).long(), m.zeros(2, 3, 2, 2, 3, dtype=m.int64), 2),
    lambda m, F: F.max_unpool2d(m.randn(3, 2, 2), m.full((3, 2, 2), 40, dtype=m.int64), 2),
    lambda m, F: F.max_unpool2d(m.randn(3, 2, 2), m.zeros(3, 2, 2, dtype=m.int32), 2),
    lambda m, F: F.max_unpool2d(m.randn(3, 2, 2), m.zeros(3, 1, 2, dtype=m.int64), 2),
    lambda m, F: F.max_unpool2d(m.randn(3, 2), m.zeros(3, 2, dtype=m.int64), 2),
    lambda m, F: F.max_unpool2d(m.randn(3, 2, 2), m.zeros(3, 2, 2, dtype=m.int64), 2, padding=3),
    lambda m, F: F.max_unpool1d(m.randn(3, 2), m.full((3, 2), 7, dtype=m.int64), 2, output_size=[5]),
    lambda m, F: F.max_unpool1d(m.randn(3, 2), m.zeros(3, 2, dtype=m.int64), 2, output_size=[9]),
    lambda m, F: m.nn.BatchNorm3d(3)(m.randn(2, 3, 4, 5)),
    lambda m, F: m.nn.InstanceNorm3d(3)(m.randn(3, 4, 5)),
    lambda m, F: m.nn.InstanceNorm3d(3, affine=True)(m.randn(2, 4, 3, 4, 5)),
]


@pytest.mark.parametrize("idx", range(len(ERRORS)))
def test_errors_match_torch(idx):
    def run(mod):
        mod.manual_seed(0)
        return ERRORS[idx](mod, mod.nn.functional)
    a, b = both(run)
    assert isinstance(a, BaseException), f"torch raised nothing: {a!r}"
    assert_same(a, b)


# ------------------------------------------------------------------ vmap
def _stack_map(fn, xs):
    return leafgrad.stack([fn(*x) for x in zip(*xs)])


@pytest.mark.parametrize("case", ["conv3d", "conv3d-batched-weight", "conv_transpose3d-batched-weight",
                                  "max_pool3d", "avg_pool3d", "adaptive_max_pool3d", "adaptive_avg_pool3d",
                                  "unpool-batched-indices", "unpool-unbatched-indices", "lp_pool3d"])
def test_vmap_matches_a_loop(case):
    F = leafgrad.nn.functional
    B = 3
    x = leafgrad.tensor(_arr((B, 2, 2, 4, 4, 4), 9))
    w = leafgrad.tensor(_arr((B, 3, 2, 2, 2, 2), 10))
    pooled, idx = F.max_pool3d(x.reshape(B * 2, 2, 4, 4, 4), 2, return_indices=True)
    pooled, idx = pooled.reshape(B, 2, 2, 2, 2, 2), idx.reshape(B, 2, 2, 2, 2, 2)
    if case == "conv3d":
        fn, args, dims = (lambda a: F.conv3d(a, w[0], None, 1, 1)), (x,), 0
    elif case == "conv3d-batched-weight":
        fn, args, dims = (lambda a, b: F.conv3d(a, b, stride=2)), (x, w), 0
    elif case == "conv_transpose3d-batched-weight":
        wt = leafgrad.tensor(_arr((B, 2, 3, 2, 2, 2), 11))
        fn, args, dims = (lambda a, b: F.conv_transpose3d(a, b, stride=2, output_padding=1)), (x, wt), 0
    elif case == "unpool-batched-indices":
        fn, args, dims = (lambda p, i: F.max_unpool3d(p, i, 2)), (pooled, idx), 0
    elif case == "unpool-unbatched-indices":
        fn, args, dims = (lambda p: F.max_unpool3d(p, idx[1], 2)), (pooled,), 0
    elif case == "lp_pool3d":
        fn, args, dims = (lambda a: F.lp_pool3d(a, 2, 2)), (x,), 0
    else:
        fn, args, dims = (lambda a: getattr(F, case)(a, 2)), (x,), 0
    got = leafgrad.vmap(fn, in_dims=dims)(*args)
    want = _stack_map(fn, args)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-12)


def test_vmap_unpool_gradient():
    F = leafgrad.nn.functional
    x = leafgrad.tensor(_arr((3, 1, 2, 4, 4, 4), 12), requires_grad=True)

    def f(a):
        p, i = F.max_pool3d(a, 2, return_indices=True)
        return F.max_unpool3d(p * p, i, 2)
    y = leafgrad.vmap(f)(x)
    g, = leafgrad.autograd.grad(y.sum(), x)
    x2 = leafgrad.tensor(x.detach().numpy(), requires_grad=True)
    g2, = leafgrad.autograd.grad(sum(f(x2[k]).sum() for k in range(3)), x2)
    np.testing.assert_allclose(g.numpy(), g2.numpy())
