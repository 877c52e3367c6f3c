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


# ------------------------------------------------------------------ grid_sample
def _grid(mod, shape, seed, dtype="float64", spread=1.3):
    values = np.random.default_rng(seed).uniform(-spread, spread, shape).astype(dtype)
    return mod.tensor(values, requires_grad=True)


GRID_CASES = [(mode, pad, ac) for mode in ("bilinear", "nearest", "bicubic")
              for pad in ("zeros", "border", "reflection") for ac in (False, True)]


def _grid_sample_run(mod, xs, gs, dtype, spread, **kw):
    x = _t(mod, xs, 11, dtype)
    g = _grid(mod, gs, 12, dtype, spread)
    out = mod.nn.functional.grid_sample(x, g, **kw)
    w = mod.tensor(_arr(tuple(out.shape), 13, dtype))
    gx, gg = mod.autograd.grad(out, (x, g), w, create_graph=True)
    h = mod.autograd.grad((gx * gx).sum() + (gg * gg).sum() + (gx.sum() * gg.sum()), (x, g), allow_unused=True)
    return out, gx, gg, h


def _compare_grid_sample(a, b, dtype):
    assert_same(a[0], b[0])
    tol = 1e-4 if dtype == "float32" else None
    assert_same(a[1:3], b[1:3], "first derivative", rtol=tol, atol=tol, check_graph=False)
    for i, (ha, hb) in enumerate(zip(a[3], b[3])):
        if ha is None or hb is None:    # an input the first derivative does not depend on
            other = hb if ha is None else ha
            assert other is None or not np.any(other.detach().numpy()), f"second derivative[{i}]"
            continue
        # float32 second derivatives sum many rounded products: error relative to the largest
        scale = float(np.abs(ha.detach().numpy()).max()) if tol else 1.0
        assert_same(ha, hb, f"second derivative[{i}]", rtol=tol, atol=tol and tol * max(scale, 1.0) / 10,
                    check_graph=False)


@pytest.mark.parametrize("mode,padding_mode,align_corners", GRID_CASES, ids=[f"{m}-{p}-{a}" for m, p, a in GRID_CASES])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_grid_sample_2d(mode, padding_mode, align_corners, dtype):
    a, b = both(lambda mod: _grid_sample_run(mod, (2, 3, 4, 5), (2, 3, 4, 2), dtype, 2.3, mode=mode,
                                             padding_mode=padding_mode, align_corners=align_corners))
    _compare_grid_sample(a, b, dtype)


GRID3D = [c for c in GRID_CASES if c[0] != "bicubic"]


@pytest.mark.parametrize("mode,padding_mode,align_corners", GRID3D, ids=[f"{m}-{p}-{a}" for m, p, a in GRID3D])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_grid_sample_3d(mode, padding_mode, align_corners, dtype):
    a, b = both(lambda mod: _grid_sample_run(mod, (2, 2, 3, 4, 3), (2, 2, 3, 2, 3), dtype, 2.3, mode=mode,
                                             padding_mode=padding_mode, align_corners=align_corners))
    _compare_grid_sample(a, b, dtype)


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_on_the_grid_lines(mode, padding_mode, align_corners):
    """Points exactly on pixel centres, corners, the bounds and half-way (rounding ties,
    where the clipping's derivative switches off)."""
    def run(mod):
        x = _t(mod, (1, 2, 3, 4), 14)
        vals = np.array([-1.5, -1.0, -0.75, -0.5, -1 / 3, 0.0, 0.25, 1 / 3, 0.5, 0.75, 1.0, 1.25])
        gx, gy = np.meshgrid(vals, vals[::-1])
        g = mod.tensor(np.stack([gx, gy], -1)[None], requires_grad=True)
        out = mod.nn.functional.grid_sample(x, g, mode=mode, padding_mode=padding_mode, align_corners=align_corners)
        w = mod.tensor(_arr(tuple(out.shape), 15))
        return (out,) + mod.autograd.grad(out, (x, g), w)
    a, b = both(run)
    assert_same(a[0], b[0])
    assert_same(a[1:], b[1:], "derivatives", check_graph=False)


def test_grid_sample_single_pixel_and_empty():
    def run(mod):
        F = mod.nn.functional
        x = _t(mod, (1, 2, 1, 1), 16)
        g = _grid(mod, (1, 2, 2, 2), 17, spread=1.5)
        outs = [F.grid_sample(x, g, padding_mode=p, align_corners=ac) for p in ("zeros", "border", "reflection")
                for ac in (False, True)]
        e = F.grid_sample(mod.zeros(0, 2, 3, 4), mod.zeros(0, 2, 2, 2), align_corners=False)
        grads = mod.autograd.grad(sum(o.sum() for o in outs), (x, g))
        return outs, e, grads
    assert_same(*both(run))


def test_grid_sample_default_align_corners_warns():
    for mod in (torch, leafgrad):
        with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior has changed"):
            mod.nn.functional.grid_sample(mod.zeros(1, 1, 2, 2), mod.zeros(1, 1, 1, 2))
        with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior has changed"):
            mod.nn.functional.affine_grid(mod.zeros(1, 2, 3), (1, 1, 2, 2))
        with pytest.warns(UserWarning, match="affine_grid behavior has changed for unit-size grids"):
            mod.nn.functional.affine_grid(mod.zeros(1, 2, 3), (1, 1, 1, 2), align_corners=True)


def test_grid_sample_vmap():
    def run(mod):
        x = _t(mod, (3, 1, 2, 3, 4), 18)
        g = _grid(mod, (3, 1, 2, 2, 2), 19)
        return mod.func.vmap(lambda a, b: mod.nn.functional.grid_sample(a, b, mode="bicubic",
                                                                         align_corners=False))(x, g)
    assert_same(*both(run), check_graph=False)


def _x4(m):
    return m.zeros(1, 2, 3, 4)


GRID_ERRORS = [
    lambda F, m: F.grid_sample(_x4(m), m.zeros(1, 2, 3, 2), mode="area", align_corners=False),
    lambda F, m: F.grid_sample(_x4(m), m.zeros(1, 2, 3, 2), padding_mode="circular", align_corners=False),
    lambda F, m: F.grid_sample(_x4(m), m.zeros(1, 2, 3, 2, dtype=m.float64), align_corners=False),
    lambda F, m: F.grid_sample(_x4(m).double(), m.zeros(1, 2, 3, 2), align_corners=False),
    lambda F, m: F.grid_sample(_x4(m), m.zeros(1, 2, 3, 3), align_corners=False),
    lambda F, m: F.grid_sample(_x4(m), m.zeros(2, 2, 3, 2), align_corners=False),
    lambda F, m: F.grid_sample(_x4(m)[0], m.zeros(2, 3, 2), align_corners=False),
    lambda F, m: F.grid_sample(_x4(m), m.zeros(1, 2, 3, 2, 3), align_corners=False),
    lambda F, m: F.grid_sample(m.zeros(1, 2, 3, 4, 5), m.zeros(1, 2, 3, 2, 3), mode="bicubic", align_corners=False),
    lambda F, m: F.grid_sample(m.zeros(1, 2, 3, 4, 5), m.zeros(1, 2, 3, 3), align_corners=False),
    lambda F, m: F.grid_sample(m.zeros(1, 2, 3, 4), m.zeros(1, 2, 3, 1, 2), align_corners=False),
    lambda F, m: F.grid_sample(m.zeros(1, 2, 0, 4), m.zeros(1, 2, 3, 2), align_corners=False),
    lambda F, m: F.grid_sample(m.zeros(1, 2, 3, 4, dtype=m.int64), m.zeros(1, 2, 3, 2, dtype=m.int64),
                               align_corners=False),
    lambda F, m: F.grid_sample(m.zeros(1, 2, 3, 4, 2, dtype=m.int64), m.zeros(1, 2, 3, 2, 3, dtype=m.int64),
                               align_corners=False),
]


@pytest.mark.parametrize("i", range(len(GRID_ERRORS)))
def test_grid_sample_errors(i):
    a, b = both(lambda mod: GRID_ERRORS[i](mod.nn.functional, mod))
    assert isinstance(a, BaseException), "torch accepted it"
    assert_same(a, b)


# ------------------------------------------------------------------ affine_grid
AFFINE = [((2, 2, 3), (2, 3, 4, 5)), ((1, 2, 3), (1, 1, 1, 4)), ((2, 3, 4), (2, 3, 2, 3, 4)),
          ((1, 3, 4), (1, 1, 1, 3, 1))]


@pytest.mark.parametrize("theta_shape,size", AFFINE, ids=[str(s) for _, s in AFFINE])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_affine_grid(theta_shape, size, align_corners, dtype):
    def run(mod):
        import warnings
        theta = _t(mod, theta_shape, 20, dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = mod.nn.functional.affine_grid(theta, size, align_corners=align_corners)
        w = mod.tensor(_arr(tuple(out.shape), 21, dtype), requires_grad=True)
        gt, = mod.autograd.grad(out, theta, w, create_graph=True)
        gw, = mod.autograd.grad(gt.sum(), w)
        return out, gt, gw
    a, b = both(run)
    assert_same(a[0], b[0])
    assert_same(a[1:], b[1:], "derivatives", check_graph=False)


def test_affine_grid_feeds_grid_sample():
    """The usual spatial-transformer pipeline, differentiated through both."""
    def run(mod):
        F = mod.nn.functional
        theta = mod.tensor([[[0.9, -0.2, 0.1], [0.3, 1.1, -0.05]]], dtype=mod.float64, requires_grad=True)
        x = _t(mod, (1, 2, 5, 6), 22)
        out = F.grid_sample(x, F.affine_grid(theta, (1, 2, 4, 3), align_corners=False), align_corners=False)
        out.pow(2).sum().backward()
        return out, theta.grad, x.grad
    assert_same(*both(run))


AFFINE_ERRORS = [
    lambda F, m: F.affine_grid(m.zeros(2, 2, 3, dtype=m.int64), (2, 3, 4, 5), align_corners=False),
    lambda F, m: F.affine_grid(m.zeros(2, 2, 3), (2, 3, 4), align_corners=False),
    lambda F, m: F.affine_grid(m.zeros(2, 2, 3), (2, 3, 4, 5, 6, 7), align_corners=False),
    lambda F, m: F.affine_grid(m.zeros(2, 3, 3), (2, 3, 4, 5), align_corners=False),
    lambda F, m: F.affine_grid(m.zeros(2, 3), (2, 3, 4, 5), align_corners=False),
    lambda F, m: F.affine_grid(m.zeros(2, 2, 3), (2, 3, 4, 5, 6), align_corners=False),
    lambda F, m: F.affine_grid(m.zeros(2, 2, 3), (3, 3, 4, 5), align_corners=False),
    lambda F, m: F.affine_grid(m.zeros(2, 3, 4), (1, 3, 4, 5, 6), align_corners=False),
    lambda F, m: F.affine_grid(m.zeros(2, 2, 3), (2, 3, 0, 5), align_corners=False),
    lambda F, m: F.affine_grid(m.zeros(2, 2, 3), [2, 3, 4, 0], align_corners=False),
]


@pytest.mark.parametrize("i", range(len(AFFINE_ERRORS)))
def test_affine_grid_errors(i):
    a, b = both(lambda mod: AFFINE_ERRORS[i](mod.nn.functional, mod))
    assert isinstance(a, BaseException), "torch accepted it"
    assert_same(a, b)


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_grid_sample_non_finite_points(mode):
    """NaN and infinite grid values with zero padding: the values and the input's gradient
    (taps out of bounds send nothing back) are torch's."""
    def run(mod):
        x = _t(mod, (1, 2, 2, 3), 23)
        g = mod.tensor([[[[float("nan"), 0.3], [0.2, float("inf")], [-float("inf"), 0.1], [0.4, -0.6]]]],
                       dtype=mod.float64, requires_grad=True)
        out = mod.nn.functional.grid_sample(x, g, mode=mode, align_corners=False)
        gx, = mod.autograd.grad(out.sum(), x)
        return out, gx
    assert_same(*both(run))


@pytest.mark.parametrize("shape,kw", [((1, 2, 3), dict(scale_factor=1.14, mode="linear")),
                                      ((1, 2, 3, 2), dict(scale_factor=(1.14, 2), mode="bilinear")),
                                      ((1, 2, 3, 2, 4), dict(scale_factor=(1.14, 2, 1.2), mode="trilinear")),
                                      ((1, 2, 3, 4, 4), dict(scale_factor=(0.9, 1.1, 1.5), mode="trilinear"))])
def test_interpolate_linear_unchanged_size_is_a_copy(shape, kw):
    """A dim whose size a scale factor leaves unchanged is copied, not resampled at 1/scale."""
    def run(mod):
        x = _t(mod, shape, 24)
        out = mod.nn.functional.interpolate(x, **kw)
        out.backward(mod.tensor(_arr(tuple(out.shape), 25)))
        return out, x.grad
    assert_same(*both(run))
