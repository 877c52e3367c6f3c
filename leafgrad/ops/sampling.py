"""Sampling an input at arbitrary points: ``affine_grid`` and ``grid_sample``.

``grid_sample`` reads the input at the points of a grid normalised to [-1, 1]; each
output point is a weighted sum of a few input elements (its taps: 1 for nearest, 2 per
spatial dim for bilinear, 4 per dim for bicubic). The taps' positions come from the grid's
values and are constants of the derivative; their weights are polynomials of the
fractional coordinate, which is locally linear in the grid, so the derivative formulas are
written with gather / scatter_add and arithmetic, and differentiate again themselves.
The coordinate rules (unnormalisation, border clipping, reflection) are torch's, from
ATen's GridSampler.h.
"""
import warnings

import numpy as np

from ._declare import declare, FUNCTIONS
from ._samples import T, sample
from .indexing import gather_p, scatter_add_p
from .._tensor import _LEGACY_NAMES

_NF = "nn.functional."
_CUBIC_A = -0.75          # the cubic convolution's parameter, as torch's bicubic kernels use


# ====================================================================== coordinates
def _unnormalize(coord, size, align_corners, nd):
    """Grid values in [-1, 1] to pixel coordinates, and d(pixel)/d(grid). torch's 2-D
    kernels (vectorised) and 3-D ones round differently; a point half-way between two
    pixels lands on the side each one's arithmetic gives."""
    if align_corners:
        scale = (size - 1) / 2.0
        return (coord + 1) * scale, scale
    scale = size / 2.0
    if nd == 2:
        return _fused_multiply_add(coord + 1, scale, -0.5), scale
    return ((coord + 1) * size - 1) / 2.0, scale


def _fused_multiply_add(a, b, c):
    """a * b + c rounded once, as the fused instruction of torch's vectorised 2-D kernel
    (computed in a wider type, then rounded to a's)."""
    wide = np.longdouble if a.dtype == np.float64 else np.float64
    return (a.astype(wide) * wide(b) + wide(c)).astype(a.dtype)


def _clip(coord, size):
    """Clamp into [0, size - 1]; the derivative is 0 on and beyond the bounds (torch's)."""
    inside = (coord > 0) & (coord < size - 1)
    return np.clip(coord, 0, size - 1), inside.astype(coord.dtype)


def _reflect(coord, twice_low, twice_high):
    """Reflect about the bounds twice_low / 2 and twice_high / 2 until inside, and the
    sign the reflections give the derivative."""
    if twice_low == twice_high:
        return np.zeros_like(coord), np.zeros_like(coord)
    low = twice_low / 2.0
    span = (twice_high - twice_low) / 2.0
    shifted = coord - low
    sign = np.where(shifted < 0, -1.0, 1.0).astype(coord.dtype)
    dist = np.abs(shifted)
    extra = np.fmod(dist, span)
    flips = np.floor(dist / span)
    even = flips % 2 == 0
    out = np.where(even, extra + low, span - extra + low)
    return out.astype(coord.dtype), np.where(even, sign, -sign)


def _pad_coordinate(coord, size, padding_mode, align_corners):
    """torch's compute_coordinates: the padding's remap of a pixel coordinate, and its
    derivative."""
    if padding_mode == "border":
        return _clip(coord, size)
    if padding_mode == "reflection":
        if align_corners:
            coord, sign = _reflect(coord, 0, 2 * (size - 1))
        else:
            coord, sign = _reflect(coord, -1, 2 * size - 1)
        coord, inside = _clip(coord, size)
        return coord, sign * inside
    return coord, np.ones_like(coord)


# ====================================================================== taps along one dim
class _DimTaps:
    """The taps of one spatial dim: per tap an index array and a validity mask, the
    fractional coordinate ``t`` (an array of the points) with d t / d grid (``mult``), and
    the weight polynomial of each tap and its derivative."""

    def __init__(self, index, valid, t, mult, weights, slopes):
        self.index, self.valid, self.t, self.mult = index, valid, t, mult
        self.weights, self.slopes = weights, slopes


def _cubic_near(x):
    return ((_CUBIC_A + 2) * x - (_CUBIC_A + 3)) * x * x + 1


def _cubic_far(x):
    return ((_CUBIC_A * x - 5 * _CUBIC_A) * x + 8 * _CUBIC_A) * x - 4 * _CUBIC_A


def _cubic_near_slope(x):
    return (3 * (_CUBIC_A + 2) * x - 2 * (_CUBIC_A + 3)) * x


def _cubic_far_slope(x):
    return (3 * _CUBIC_A * x - 10 * _CUBIC_A) * x + 8 * _CUBIC_A


_LINEAR_W = (lambda t: 1 - t, lambda t: t)
_LINEAR_S = (lambda t: -1 + 0 * t, lambda t: 1 + 0 * t)
_CUBIC_W = (lambda t: _cubic_far(t + 1), lambda t: _cubic_near(t), lambda t: _cubic_near(1 - t),
            lambda t: _cubic_far(2 - t))
_CUBIC_S = (lambda t: _cubic_far_slope(t + 1), lambda t: _cubic_near_slope(t),
            lambda t: -_cubic_near_slope(1 - t), lambda t: -_cubic_far_slope(2 - t))


def _in_bounds(index, size):
    return (index >= 0) & (index < size)


def _dim_taps(coord, size, mode, padding_mode, align_corners, nd):
    """The taps of one spatial dim (of ``nd``) for grid values ``coord``."""
    pix, scale = _unnormalize(coord, size, align_corners, nd)
    if mode == "bicubic":
        # the padding remaps each tap's integer position, not the point itself
        base = np.floor(pix)
        index, valid = [], []
        for k in range(4):
            at, _ = _pad_coordinate(base - 1 + k, size, padding_mode, align_corners)
            i = _to_index(at)
            index.append(i)
            valid.append(_in_bounds(i, size))
        return _DimTaps(index, valid, pix - base, np.full_like(pix, scale), _CUBIC_W, _CUBIC_S)
    pix, mult = _pad_coordinate(pix, size, padding_mode, align_corners)
    if mode == "nearest":
        i = _to_index(np.rint(pix))
        # the weight is 1 and the slope 0 whatever the point: t is kept finite for them
        t = np.where(np.isfinite(pix), pix, 0)
        return _DimTaps([i], [_in_bounds(i, size)], t, mult * 0, (lambda t: 1 + 0 * t,), (lambda t: 0 * t,))
    base = np.floor(pix)
    i0 = _to_index(base)
    return _DimTaps([i0, i0 + 1], [_in_bounds(i0, size), _in_bounds(i0 + 1, size)], pix - base, mult * scale,
                    _LINEAR_W, _LINEAR_S)


def _to_index(x):
    """Pixel positions as indices; NaN and infinities land out of bounds (read as zero)."""
    bad = ~np.isfinite(x) | (np.abs(x) > 2 ** 40)
    index = np.where(bad, 0, x).astype(np.int64)
    index[bad] = -(2 ** 41)
    return index


# ====================================================================== taps of all dims
def _all_taps(grid, spatial, mode, padding_mode, align_corners):
    """Per spatial dim (the input's, first to last) its _DimTaps. ``grid``'s last axis
    lists x first, i.e. the input's last spatial dim."""
    nd = len(spatial)
    pts = grid.reshape(grid.shape[0], _points(grid), nd)
    with np.errstate(invalid="ignore"):     # infinite points give NaN fractions, as in torch
        return [_dim_taps(pts[:, :, nd - 1 - d], spatial[d], mode, padding_mode, align_corners, nd)
                for d in range(nd)]


def _combos(dims):
    """Every tap of the product grid: one tap number per dim."""
    combos = [()]
    for taps in dims:
        combos = [c + (k,) for c in combos for k in range(len(taps.index))]
    return combos


def _flat_index(dims, combo, spatial):
    """The tap's flat index into the spatial dims (0 where the tap is out of bounds) and
    its validity."""
    flat = 0
    valid = True
    for d, k in enumerate(combo):
        valid = valid & dims[d].valid[k]
        flat = flat * spatial[d] + dims[d].index[k]
    return np.where(valid, flat, 0), valid


def _local_t(grid, dims, nd):
    """Each dim's fractional coordinate as a function of ``grid`` (array or Tensor):
    mult * grid + offset, the offset chosen so that the value is the forward's."""
    pts = grid.reshape(grid.shape[0], _points(grid), nd)
    out = []
    for d, taps in enumerate(dims):
        g = pts[:, :, nd - 1 - d]
        # where t does not move with the grid (mult 0), a NaN grid value must not reach it
        still = taps.mult == 0
        with np.errstate(invalid="ignore"):
            offset = taps.t - np.where(still, 0, taps.mult * _values(g))
        out.append(np.where(still, 0, g) * taps.mult + offset)
    return out


def _points(grid):
    """How many points a grid holds per batch element (explicit: -1 fails on empty)."""
    return int(np.prod(grid.shape[1:-1]))


def _values(x):
    return x if isinstance(x, np.ndarray) else x.detach().numpy()


def _tap_weight(dims, combo, ts, valid, slope_dim=None):
    """The product of the dims' weights for one tap (one factor replaced by its slope for
    ``slope_dim``), zero where the tap is out of bounds."""
    w = valid.astype(_values(ts[0]).dtype)
    for d, k in enumerate(combo):
        poly = dims[d].slopes[k] if d == slope_dim else dims[d].weights[k]
        w = poly(ts[d]) * w
    return w


def _per_channel(index, c):
    """A tap's flat index (N, P) repeated for each of ``c`` channels: (N, C, P)."""
    return np.ascontiguousarray(np.broadcast_to(index[:, None, :], (index.shape[0], c, index.shape[1])))


def _gather_tap(flat_input, index):
    """Input values (N, C, P) at one tap's flat index (N, P)."""
    return gather_p(flat_input, dim=2, index=_per_channel(index, flat_input.shape[1]))


def _backward_taps(grad, shape, grid, mode, padding_mode, align_corners):
    """What both derivatives start from: the taps of every grid point, their local
    coordinates, and the output's gradient as (N, C, points)."""
    gvals = _values(grid)
    dims = _all_taps(gvals, shape[2:], mode, padding_mode, align_corners)
    ts = _local_t(grid, dims, len(shape) - 2)
    return dims, ts, grad.reshape(shape[0], shape[1], _points(gvals))


# ====================================================================== forward and derivatives
def _grid_sampler_forward(input, grid, mode, padding_mode, align_corners):
    n, c = input.shape[:2]
    spatial = input.shape[2:]
    nd = len(spatial)
    dims = _all_taps(grid, spatial, mode, padding_mode, align_corners)
    ts = [taps.t for taps in dims]
    flat = input.reshape(n, c, int(np.prod(spatial)))
    out = np.zeros((n, c, _points(grid)), input.dtype)
    for combo in _combos(dims):
        index, valid = _flat_index(dims, combo, spatial)
        w = _tap_weight(dims, combo, ts, valid)
        out += np.take_along_axis(flat, np.broadcast_to(index[:, None, :], out.shape), 2) * w[:, None, :]
    return out.reshape((n, c) + grid.shape[1:-1])


def _input_grad(grad, input_shape, input_dtype, grid, mode, padding_mode, align_corners):
    """Each output's gradient scattered back to its taps, times the tap's weight."""
    spatial = input_shape[2:]
    n, c = input_shape[:2]
    dims, ts, g = _backward_taps(grad, tuple(input_shape), grid, mode, padding_mode, align_corners)
    total = np.zeros((n, c, int(np.prod(spatial))), input_dtype)
    for combo in _combos(dims):
        index, valid = _flat_index(dims, combo, spatial)
        # a tap out of bounds sends nothing back, even where its weight is NaN (as torch)
        w = np.where(valid, _tap_weight(dims, combo, ts, valid), 0)
        total = scatter_add_p(total, g * w[:, None, :], dim=2, index=_per_channel(index, c))
    return total.reshape(tuple(input_shape))


def _grid_grad(grad, input, grid, mode, padding_mode, align_corners):
    """Per grid coordinate: the output's gradient times the taps' values times the slope of
    their weights along that coordinate."""
    shape = tuple(input.shape)
    spatial = shape[2:]
    nd = len(spatial)
    n, c = shape[:2]
    dims, ts, g = _backward_taps(grad, shape, grid, mode, padding_mode, align_corners)
    flat = input.reshape(n, c, int(np.prod(spatial)))
    per_dim = [0.0] * nd
    for combo in _combos(dims):
        index, valid = _flat_index(dims, combo, spatial)
        seen = (g * _gather_tap(flat, index)).sum(1)
        for d in range(nd):
            per_dim[d] = per_dim[d] + seen * _tap_weight(dims, combo, ts, valid, slope_dim=d) * dims[d].mult
    # the grid's last axis lists the input's spatial dims last first
    return np.stack(per_dim[::-1], -1).reshape(tuple(grid.shape))


def _declare_sampler(nd, samples):
    return declare(f"grid_sampler_{nd}d", _grid_sampler_forward, inputs=("input", "grid"),
                   node=f"GridSampler{nd}DBackward0", public=False, samples=samples,
                   input=_input_grad, grid=_grid_grad)


grid_sampler_2d = _declare_sampler(2, [
    sample(T(2, 3, 4, 5), T(2, 3, 2, 2, low=-1.2, high=1.2), align_corners=False, call=_NF + "grid_sample"),
    sample(T(1, 2, 3, 4), T(1, 4, 3, 2, low=-1.3, high=1.3), align_corners=True, call=_NF + "grid_sample"),
    sample(T(1, 2, 4, 3), T(1, 3, 3, 2, low=-1.5, high=1.5), padding_mode="border", align_corners=False,
           call=_NF + "grid_sample"),
    sample(T(1, 2, 4, 3), T(1, 3, 3, 2, low=-2.5, high=2.5), padding_mode="reflection", align_corners=False,
           call=_NF + "grid_sample"),
    sample(T(1, 2, 4, 3), T(1, 3, 3, 2, low=-2.5, high=2.5), padding_mode="reflection", align_corners=True,
           call=_NF + "grid_sample"),
    sample(T(1, 2, 4, 5), T(1, 2, 3, 2, low=-1.2, high=1.2), mode="bicubic", align_corners=False,
           call=_NF + "grid_sample"),
    sample(T(1, 2, 4, 5), T(1, 2, 3, 2, low=-1.5, high=1.5), mode="bicubic", padding_mode="border",
           align_corners=True, call=_NF + "grid_sample"),
    sample(T(1, 2, 4, 5), T(1, 2, 3, 2, low=-2.0, high=2.0), mode="bicubic", padding_mode="reflection",
           align_corners=False, call=_NF + "grid_sample"),
    sample(T(1, 2, 4, 5), T(1, 2, 3, 2, low=-1.2, high=1.2), mode="nearest", align_corners=False,
           call=_NF + "grid_sample", smooth=False),
    sample(T(1, 2, 3, 4, dtype="float32"), T(1, 3, 2, 2, low=-1.0, high=1.0, dtype="float32"),
           align_corners=False, call=_NF + "grid_sample"),
])
grid_sampler_3d = _declare_sampler(3, [
    sample(T(1, 2, 3, 4, 3), T(1, 2, 3, 2, 3, low=-1.2, high=1.2), align_corners=False, call=_NF + "grid_sample"),
    sample(T(2, 1, 3, 2, 4), T(2, 2, 2, 2, 3, low=-2.0, high=2.0), padding_mode="reflection", align_corners=True,
           call=_NF + "grid_sample"),
    sample(T(1, 2, 3, 2, 3), T(1, 2, 2, 2, 3, low=-1.5, high=1.5), padding_mode="border", align_corners=False,
           call=_NF + "grid_sample"),
    sample(T(1, 2, 3, 2, 3), T(1, 2, 2, 2, 3, low=-1.2, high=1.2), mode="nearest", align_corners=True,
           call=_NF + "grid_sample", smooth=False),
])


# ====================================================================== grid_sample
_GRID_SAMPLE_DEFAULT = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since "
                        "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
                        "documentation of grid_sample for details.")


def _check_grid_sampler(input, grid, mode):
    """torch's checks, in its order."""
    if input.dtype != grid.dtype:
        raise RuntimeError(f"expected scalar type {_LEGACY_NAMES[input._data.dtype.name]} but found "
                           f"{_LEGACY_NAMES[grid._data.dtype.name]}")
    ins, gs = list(input.shape), list(grid.shape)
    if ins[0] != gs[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {ins} and grid with sizes {gs}")
    if gs[-1] != len(ins) - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {len(ins) - 2} in last dimension, but got "
                           f"grid with sizes {gs}")
    for d in range(2, len(ins)):
        if ins[d] <= 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                               f"sizes {ins} with dimension {d} being empty")
    want = 4 if len(ins) == 4 else 5
    if len(ins) != want or len(gs) != want:
        raise RuntimeError(f"grid_sampler(): expected {want}D input and grid with same number of dimensions, but got "
                           f"input with sizes {ins} and grid with sizes {gs}")
    if mode == "bicubic" and want == 5:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if input._data.dtype.kind != "f":
        kernel = "grid_sampler_2d_cpu_kernel_impl" if want == 4 else "grid_sampler3d_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_LEGACY_NAMES[input._data.dtype.name]}'")


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_GRID_SAMPLE_DEFAULT, stacklevel=2)
        align_corners = False
    _check_grid_sampler(input, grid, mode)
    op = grid_sampler_2d if input.dim() == 4 else grid_sampler_3d
    return op(input, grid, mode=mode, padding_mode=padding_mode, align_corners=bool(align_corners))


# ====================================================================== affine_grid
def _linspace_from_neg_one(steps, align_corners):
    """The base grid's coordinates along one dim: pixel centres (or corners) in [-1, 1]."""
    if steps <= 1:
        return np.zeros(max(steps, 0))
    r = np.linspace(-1.0, 1.0, steps)
    return r if align_corners else r * (steps - 1) / steps


def _base_grid(spatial, align_corners, dtype):
    """(prod(spatial), nd + 1): per output point its (x, y[, z], 1), x along the last dim."""
    axes = [_linspace_from_neg_one(s, align_corners) for s in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")
    cols = [m.reshape(-1) for m in mesh[::-1]] + [np.ones(int(np.prod(spatial)))]
    return np.stack(cols, -1).astype(dtype)


def _affine_grid_forward(theta, size, align_corners):
    spatial = tuple(size[2:])
    base = _base_grid(spatial, align_corners, theta.dtype)
    out = np.matmul(base[None], np.swapaxes(theta, 1, 2))
    return out.reshape((size[0],) + spatial + (len(spatial),))


def _affine_grid_back(grad, theta_dtype, size, align_corners):
    """d theta[n, i, j] = sum over points of grad[n, p, i] * base[p, j]."""
    spatial = tuple(size[2:])
    nd = len(spatial)
    base = _base_grid(spatial, align_corners, theta_dtype)
    g = grad.reshape(size[0], int(np.prod(spatial)), nd, 1)
    return (g * base[None, :, None, :]).sum(1)


affine_grid_generator = declare(
    "affine_grid_generator", _affine_grid_forward, inputs=("theta",), node="AffineGridGeneratorBackward0",
    public=False,
    samples=[sample(T(2, 2, 3), (2, 3, 4, 5), align_corners=False, call=_NF + "affine_grid"),
             sample(T(1, 2, 3), (1, 1, 3, 1), align_corners=True, call=_NF + "affine_grid"),
             sample(T(2, 3, 4), (2, 3, 2, 3, 4), align_corners=False, call=_NF + "affine_grid"),
             sample(T(1, 3, 4, dtype="float32"), (1, 2, 3, 2, 2), align_corners=True, call=_NF + "affine_grid")],
    theta=_affine_grid_back)


_UNIT_GRID = ("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when align_corners=True. "
              "This is not an intended use case of affine_grid. See the documentation of affine_grid for details.")


def affine_grid(theta, size, align_corners=None):
    if align_corners is None:
        warnings.warn(_GRID_SAMPLE_DEFAULT, stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) == 4:
        if theta.dim() != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. "
                             f"Got {theta.shape}.")
    elif len(size) == 5:
        if theta.dim() != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. "
                             f"Got {theta.shape}.")
    else:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn(_UNIT_GRID, stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        # torch multiplies the base grid (batch size[0]) by theta's transpose with bmm
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{size[0]}, {len(spatial) + 1}] but got: [{theta.shape[0]}, {len(spatial) + 1}].")
    return affine_grid_generator(theta, size=tuple(int(s) for s in size), align_corners=bool(align_corners))


FUNCTIONS.update({_NF + "grid_sample": grid_sample, _NF + "affine_grid": affine_grid})
