"""Resampling side by side with torch: 3-D interpolation (nearest, nearest-exact,
trilinear) through F.interpolate and nn.Upsample; values, grad_fn names, first and
second derivatives, module reprs and errors. The op sweep checks each declared op's
samples on top of this; this file checks the public wrappers' argument handling."""
import numpy as np
import pytest

from conftest import torch, leafgrad, both, assert_same


def _arr(shape, seed=0, dtype="float64"):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _t(mod, shape, seed=0, dtype="float64", grad=True):
    return mod.tensor(_arr(shape, seed, dtype), requires_grad=grad)


def _first_and_second(mod, out, x, dtype):
    """d out / d x against a fixed cotangent, and the derivative of its squared norm."""
    g = mod.tensor(_arr(tuple(out.shape), 7, dtype))
    gx, = mod.autograd.grad(out, x, g, create_graph=True)
    if not gx.requires_grad:            # a linear map's gradient does not depend on x
        return gx, None
    ggx, = mod.autograd.grad((gx * gx).sum(), x, allow_unused=True)
    return gx, ggx


# ------------------------------------------------------------------ 3-D interpolation
INTERP3D = [
    dict(scale_factor=2),
    dict(scale_factor=2, mode="nearest-exact"),
    dict(scale_factor=2, mode="trilinear"),
    dict(size=(2, 7, 3)),
    dict(size=5, mode="nearest-exact"),
    dict(size=(4, 2, 6), mode="trilinear"),
    dict(size=(4, 2, 6), mode="trilinear", align_corners=True),
    dict(size=(1, 1, 1), mode="trilinear", align_corners=True),
    dict(scale_factor=(1.7, 0.6, 1.5), mode="trilinear"),
    dict(scale_factor=(1.7, 0.6, 1.5), mode="trilinear", recompute_scale_factor=True),
    dict(scale_factor=(1.7, 0.6, 1.5), mode="trilinear", align_corners=True),
    dict(scale_factor=(1.5, 0.7, 2.5)),
    dict(scale_factor=(1.3, 0.7, 2.1), recompute_scale_factor=True),
    dict(scale_factor=[1.3, 0.7, 2.1], mode="nearest-exact"),
    dict(scale_factor=0.5, mode="nearest-exact", recompute_scale_factor=False),
    dict(size=(2, 3, 2), mode="area"),
]


@pytest.mark.parametrize("kw", INTERP3D, ids=[str(k) for k in INTERP3D])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_interpolate_3d(kw, dtype):
    def run(mod):
        x = _t(mod, (2, 3, 3, 4, 5), 1, dtype)
        out = mod.nn.functional.interpolate(x, **kw)
        return (out,) + _first_and_second(mod, out, x, dtype)
    a, b = both(run)
    assert_same(a[0], b[0])
    assert_same(a[1:], b[1:], "derivatives", check_graph=False)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "trilinear"])
def test_interpolate_3d_backward_of_backward_names(mode):
    """The gradient of a gradient goes through the op's backward as torch names it."""
    def run(mod):
        x = _t(mod, (1, 2, 2, 3, 2), 3)
        y = mod.nn.functional.interpolate(x, scale_factor=2, mode=mode)
        g = mod.ones(tuple(y.shape), dtype=mod.float64, requires_grad=True)
        gx, = mod.autograd.grad(y, x, g, create_graph=True)
        gg, = mod.autograd.grad(gx.sum(), g)
        return type(y.grad_fn).__name__, gx.requires_grad, gg
    a, b = both(run)
    assert a[:2] == b[:2]
    assert_same(a[2], b[2], check_graph=False)


# torch's 1-D and 3-D nearest kernels index an unchanged or exactly doubled size
# differently forward (the general floor rule) and backward (a copy / a repeat): leafgrad
# follows the forward, and its gradient is that forward's adjoint. The values still agree.
@pytest.mark.parametrize("shape,kw", [((1, 2, 3, 4, 5), dict(scale_factor=(1.3, 0.7, 2.1))),
                                      ((1, 2, 3), dict(scale_factor=1.3)),
                                      ((1, 2, 3, 4), dict(scale_factor=(1.3, 2.1))),
                                      ((1, 2, 3, 4), dict(scale_factor=(1.3, 2.6)))])
def test_interpolate_nearest_shortcut_values(shape, kw):
    assert_same(*both(lambda mod: mod.nn.functional.interpolate(_t(mod, shape, 5), **kw)))


def test_interpolate_nearest_2d_shortcut_gradient():
    """torch's 2-D nearest takes its shortcuts both ways, so the gradients agree too."""
    def run(mod):
        x = _t(mod, (1, 2, 3, 4), 6)
        out = mod.nn.functional.interpolate(x, scale_factor=(1.3, 2.1))
        out.backward(mod.tensor(_arr(tuple(out.shape), 8)))
        return out, x.grad
    assert_same(*both(run))


UPSAMPLE = [
    dict(scale_factor=2),
    dict(scale_factor=(2, 1, 1.5), mode="nearest-exact"),
    dict(size=(4, 5, 3), mode="trilinear"),
    dict(scale_factor=1.5, mode="trilinear", align_corners=True),
    dict(scale_factor=1.5, mode="trilinear", recompute_scale_factor=True),
    dict(size=3, mode="nearest"),
]


@pytest.mark.parametrize("kw", UPSAMPLE, ids=[str(k) for k in UPSAMPLE])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_upsample_module_3d(kw, dtype):
    def run(mod):
        m = mod.nn.Upsample(**kw)
        x = _t(mod, (1, 2, 3, 2, 4), 2, dtype)
        out = m(x)
        out.backward(mod.tensor(_arr(tuple(out.shape), 4, dtype)))
        return repr(m), out, x.grad
    a, b = both(run)
    assert a[0] == b[0]
    assert_same(a[1], b[1])
    assert_same(a[2], b[2], check_graph=False)


def test_interpolate_3d_integer_and_empty():
    def run(mod):
        F = mod.nn.functional
        xi = mod.arange(2 * 2 * 3 * 2).reshape(1, 2, 2, 3, 2).to(mod.uint8)
        e = mod.zeros(0, 2, 2, 3, 2, requires_grad=True)
        out = F.interpolate(e, scale_factor=2, mode="trilinear")
        out.sum().backward()
        return F.interpolate(xi, scale_factor=2), F.interpolate(xi, size=(3, 2, 5), mode="nearest-exact"), out, e.grad
    assert_same(*both(run))


INTERP_ERRORS = [
    lambda F, m: F.interpolate(m.zeros(1, 2, 3, 4), size=3, mode="trilinear"),
    lambda F, m: F.interpolate(m.zeros(1, 2, 3), size=3, mode="trilinear"),
    lambda F, m: F.interpolate(m.zeros(1, 2, 3, 4, 5), size=3, mode="bilinear"),
    lambda F, m: F.interpolate(m.zeros(1, 2, 3, 4, 5), size=3, mode="linear"),
    lambda F, m: F.interpolate(m.zeros(1, 2, 3, 4, 5, 6), size=3, mode="nearest"),
    lambda F, m: F.interpolate(m.zeros(1, 2, 3, 4, 5, 6), size=3, mode="trilinear"),
    lambda F, m: F.interpolate(m.zeros(1, 2, 3, 4, 5), size=3, mode="trilinear", antialias=True),
    lambda F, m: F.interpolate(m.zeros(1, 2, 3, 4, 5), size=(3, 4), mode="trilinear"),
    lambda F, m: F.interpolate(m.zeros(1, 2, 3, 4, 5), scale_factor=(2, 2), mode="nearest"),
    lambda F, m: F.interpolate(m.zeros(1, 2, 3, 4, 5), scale_factor=2, mode="nearest", align_corners=True),
    lambda F, m: F.interpolate(m.zeros(1, 2, 3, 4, 5), size=3, scale_factor=2, mode="trilinear"),
    lambda F, m: F.interpolate(m.zeros(1, 2, 3, 4, 5), mode="trilinear"),
    lambda F, m: F.interpolate(m.zeros(1, 2, 3, 4, 5), size=[3, 4], mode="trilinear"),
    lambda F, m: F.interpolate(m.zeros(1, 2, 3, 4, 5, dtype=m.int64), scale_factor=2),
    lambda F, m: F.interpolate(m.zeros(1, 2, 3, 4, 5, dtype=m.int32), scale_factor=2, mode="nearest-exact"),
    lambda F, m: F.interpolate(m.zeros(1, 2, 3, 4, 5, dtype=m.uint8), scale_factor=2, mode="trilinear"),
    lambda F, m: F.interpolate(m.zeros(1, 2, 3, 4, 5, dtype=m.bool), scale_factor=2),
    lambda F, m: F.interpolate(m.zeros(1, 2, 3, 4, dtype=m.int16), scale_factor=2),
    lambda F, m: F.interpolate(m.zeros(1, 2, 3, dtype=m.int64), scale_factor=2, mode="linear"),
]


@pytest.mark.parametrize("i", range(len(INTERP_ERRORS)))
def test_interpolate_3d_errors(i):
    a, b = both(lambda mod: INTERP_ERRORS[i](mod.nn.functional, mod))
    assert isinstance(a, BaseException), "torch accepted it"
    assert_same(a, b)
