"""Distances between sets of points: torch.cdist, F.pdist, and torch.renorm.

As PyTorch runs them:

- ``cdist`` has two algorithms. The direct one (``_cdist_forward``, node ``CdistBackward0``)
  takes the p-norm of every difference x1[i] - x2[j]. For p = 2 with
  ``compute_mode="use_mm_for_euclid_dist"``, or the default mode and more than 25 rows in
  either input, it uses the matrix-product formula ``|a|^2 - 2 a.b + |b|^2`` instead
  (``_euclidean_dist``, node ``EuclideanDistBackward0``, clamped at 0 before the square root),
  between the batch-expanded inputs, viewed back to the output shape.
- The derivatives of the direct algorithm and of ``pdist`` are kernels of their own
  (``_cdist_backward``, ``_pdist_backward``) that PyTorch cannot differentiate again: their
  nodes raise on a second backward. The matrix-product path is differentiable twice.
- ``renorm`` scales each slice along ``dim`` whose p-norm exceeds ``maxnorm`` down to it.
"""
import math

import numpy as np

from ._declare import declare, FUNCTIONS, make_inplace, broadcast_error
from ._samples import T, sample
from .._tensor import Tensor, _wrap_dim, _LEGACY_NAMES
from . import activation as _act
from .stats import vector_norm_ as _vector_norm, _vector_norm_forward, _norm_backward, _arr
from .nn_extra import _mT, _total

# ---------------------------------------------------------------- helpers
_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half"}


def _float_arg(fn, name, position, value):
    """PyTorch's argument parser: a ``float`` parameter takes numbers and 0-d tensors."""
    if isinstance(value, Tensor) and value.dim() == 0:
        return float(value.item())
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be float, not {type(value).__name__}")
    return float(value)


def _pair_diffs(a, b):
    """a[..., i, :] - b[..., j, :] for every pair (i, j): shape (..., P, R, M)."""
    return a[..., :, None, :] - b[..., None, :, :]


def _pnorm_last(d, p):
    """The p-norm over the last axis, as PyTorch's distance kernels compute it."""
    ad = np.abs(d)
    if p == 0:
        return np.sum(d != 0, axis=-1).astype(d.dtype)
    if p == 1:
        return np.sum(ad, axis=-1)
    if p == 2:
        return np.sqrt(np.sum(d * d, axis=-1))
    if math.isinf(p):
        return np.max(ad, axis=-1)
    return np.sum(ad ** p, axis=-1) ** (1.0 / p)


def _dist_weights(d, dist, p):
    """d dist(i, j) / d x1[i] for each pair, per coordinate: shape (..., P, R, M). The
    cases and the zeros at coincident points are those of PyTorch's backward kernels."""
    dist = dist[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        if p == 0:
            return np.zeros_like(d)
        if p == 1:
            return np.sign(d)
        if math.isinf(p):
            return np.sign(d) * (np.abs(d) == dist)
        if p == 2:
            w = d / dist
        elif p < 2:
            w = np.sign(d) * np.abs(d) ** (p - 1) / dist ** (p - 1)
            if p < 1:
                w = np.where(d == 0, 0, w)
        else:
            w = d * np.abs(d) ** (p - 2) / dist ** (p - 1)
        return np.where(dist == 0, 0, w).astype(d.dtype, copy=False)


def _batch_shape(a, b):
    """The broadcast of the two inputs' batch dims (all but the last two)."""
    sa, sb = tuple(a.shape[:-2]), tuple(b.shape[:-2])
    try:
        return np.broadcast_shapes(sa, sb)
    except ValueError:
        zero = np.zeros(())
        raise broadcast_error(np.broadcast_to(zero, sa), np.broadcast_to(zero, sb)) from None


# ---------------------------------------------------------------- cdist, the direct algorithm
#: How many elements of the pairwise differences the kernels hold at once: they run over
#: blocks of x1's rows, so that large inputs do not need (batch, P, R, M) floats.
_BLOCK = 1 << 22


def _row_blocks(a, b):
    """Slices of x1's rows (axis -2) whose pairwise differences with b fit in _BLOCK."""
    batch = int(np.prod(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]), dtype=np.int64))
    per_row = max(batch * b.shape[-2] * b.shape[-1], 1)
    step = max(1, _BLOCK // per_row)
    return [slice(i, i + step) for i in range(0, a.shape[-2], step)]


def _cdist_fwd(a, b, p=2.0):
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    shape = batch + (a.shape[-2], b.shape[-2])
    if 0 in shape or a.shape[-1] == 0:
        return np.zeros(shape, a.dtype)
    out = np.empty(shape, a.dtype)
    for rows in _row_blocks(a, b):
        out[..., rows, :] = _pnorm_last(_pair_diffs(a[..., rows, :], b), p)
    return out


def _cdist_bwd_fwd(grad, x1, x2, cdist, p=2.0):
    """_cdist_backward: the gradient for x1 (expanded to the batch shape, as PyTorch's;
    the engine sums it down)."""
    batch = np.broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
    if x1.shape[-2] == 0 or x2.shape[-2] == 0 or x1.shape[-1] == 0 or 0 in batch:
        return np.zeros(x1.shape, x1.dtype)
    out = np.empty(batch + x1.shape[-2:], x1.dtype)
    for rows in _row_blocks(x1, x2):
        w = _dist_weights(_pair_diffs(x1[..., rows, :], x2), cdist[..., rows, :], p)
        out[..., rows, :] = np.sum(grad[..., rows, :, None] * w, axis=-2)
    return out


def _not_differentiable(op):
    def formula(grad):
        raise NotImplementedError(f"the derivative for '{op}' is not implemented.")
    return formula


def _cdist_bwd_grad_output(grad, x1, x2, cdist, p=2.0):
    """_cdist_backward is linear in its incoming gradient: this is that linear map's
    transpose. PyTorch has no derivative here (its node raises); leafgrad's forward AD
    derives cdist's tangent from it."""
    x1a, x2a, da = _arr(x1), _arr(x2), _arr(cdist)
    w = _dist_weights(_pair_diffs(x1a, x2a), da, p)
    return (grad[..., :, None, :] * w).sum(-1)


cdist_backward_ = declare(
    "_cdist_backward", _cdist_bwd_fwd, inputs=("grad_output", "x1", "x2", "cdist"),
    node="CdistBackwardBackward0", public=False,
    # PyTorch differentiates none of _cdist_backward's inputs: values only
    samples=[sample(T(3, 4, grad=False), T(3, 2, grad=False), T(4, 2, grad=False), 2.0,
                    T(3, 4, low=0.5, grad=False), call="_cdist_backward", smooth=False),
             sample(T(2, 3, 4, grad=False), T(2, 3, 2, grad=False), T(4, 2, grad=False), 1.5,
                    T(2, 3, 4, low=0.5, grad=False), call="_cdist_backward", smooth=False)],
    grad_output=_cdist_bwd_grad_output, x1=_not_differentiable("_cdist_backward"),
    x2=_not_differentiable("_cdist_backward"), cdist=_not_differentiable("_cdist_backward"))


def _cdist_backward_public(grad, x1, x2, p, cdist):
    """torch._cdist_backward(grad, x1, x2, p, cdist)."""
    return cdist_backward_(grad, x1, x2, cdist, p=float(p))


def _cdist_x1(grad, x1, x2, result, p=2.0):
    return cdist_backward_(grad, x1, x2, result, p=p)


def _cdist_x2(grad, x1, x2, result, p=2.0):
    return cdist_backward_(_mT(grad), x2, x1, _mT(result), p=p)


_CDIST = "cdist"
cdist_forward_ = declare(
    "_cdist_forward", _cdist_fwd, inputs=("x1", "x2"), node="CdistBackward0", public=False,
    # the derivative is _cdist_backward, which PyTorch cannot differentiate: first derivatives only
    samples=[sample(T(3, 5), T(4, 5), call=_CDIST, smooth=False),
             sample(T(2, 3, 5), T(4, 5), 1.0, call=_CDIST, smooth=False),
             sample(T(3, 5), T(4, 5), 0.0, call=_CDIST, smooth=False),
             sample(T(2, 1, 3, 2), T(3, 4, 2), float("inf"), call=_CDIST, smooth=False),
             sample(T(3, 4), T(2, 4), 1.5, call=_CDIST, smooth=False),
             sample(T(3, 4), T(2, 4), 0.5, call=_CDIST, smooth=False),
             sample(T(2, 3, 4), T(2, 2, 4), p=3.0, call=_CDIST, smooth=False),
             sample(T(30, 3), T(4, 3), compute_mode="donot_use_mm_for_euclid_dist", call=_CDIST, smooth=False),
             sample(T(3, 5, dtype="float32"), T(4, 5, dtype="float32"), call=_CDIST, smooth=False)],
    x1=_cdist_x1, x2=_cdist_x2)


# ---------------------------------------------------------------- cdist, the matrix-product algorithm
def _euclid_fwd(a, b):
    """sqrt(clamp_min(|a|^2 - 2 a.b + |b|^2, 0)) as one matrix product of padded operands,
    in ATen's order. Half inputs are computed in float32 with each step rounded to half, as
    ATen's half kernels (which compute in float) round their results."""
    dt = a.dtype
    rounded = _to_half_and_back if dt == np.float16 else _same
    if dt == np.float16:
        a, b = a.astype(np.float32), b.astype(np.float32)
    an = rounded(np.sum(rounded(a * a), axis=-1, keepdims=True))
    bn = rounded(np.sum(rounded(b * b), axis=-1, keepdims=True))
    a_ = np.concatenate([a * -2, an, np.ones_like(an)], axis=-1)
    b_ = np.concatenate([b, np.ones_like(bn), bn], axis=-1)
    sq = rounded(np.matmul(a_, np.swapaxes(b_, -2, -1)))
    return np.sqrt(np.maximum(sq, 0)).astype(dt, copy=False)


def _to_half_and_back(x):
    return x.astype(np.float16).astype(np.float32)


def _same(x):
    return x


def _euclid_grads(grad, x1, x2, result):
    """ATen's _euclidean_dist_backward, in Tensor ops (differentiable again)."""
    ratio = grad / result
    ratio = np.where(result == 0, 0, ratio)     # the subgradient 0 where points coincide
    g1 = x1 * _total(ratio, -1, True) - ratio @ x2
    g2 = x2 * _mT(_total(ratio, -2, True)) - _mT(ratio) @ x1
    return g1, g2


euclidean_dist_ = declare(
    "_euclidean_dist", _euclid_fwd, inputs=("x1", "x2"), node="EuclideanDistBackward0", public=False,
    samples=[sample(T(3, 4), T(5, 4), compute_mode="use_mm_for_euclid_dist", call=_CDIST),
             sample(T(26, 3), T(2, 3), call=_CDIST),
             sample(T(2, 3, 3), T(27, 3), call=_CDIST),
             sample(T(1, 3, 2), T(2, 4, 2), compute_mode="use_mm_for_euclid_dist", call=_CDIST),
             sample(T(2, 1, 3, 2), T(3, 4, 2), compute_mode="use_mm_for_euclid_dist", call=_CDIST),
             sample(T(3, 4, dtype="float32"), T(30, 4, dtype="float32"), call=_CDIST)])
euclidean_dist_.spec.formulas[("x1", "x2")] = _euclid_grads

_MODES = {"use_mm_for_euclid_dist_if_necessary": 0, "use_mm_for_euclid_dist": 1, "donot_use_mm_for_euclid_dist": 2}


def _check_cdist_args(x1, x2, p):
    for name, x in (("X1", x1), ("X2", x2)):
        if x.dim() < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.dim()}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    for name, x in (("X1", x1), ("X2", x2)):
        if x._data.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{_LEGACY_NAMES[x._data.dtype.name]}")
    if not p >= 0:
        raise RuntimeError("cdist only supports non-negative p values")


def _check_kernel_dtypes(x1, x2):
    """The direct kernel dispatches on x1's dtype (float and double only), then wants x2's."""
    d1, d2 = x1._data.dtype, x2._data.dtype
    if d1 == np.float16:
        raise NotImplementedError("\"cdist\" not implemented for 'Half'")
    if d1 != d2:
        raise RuntimeError(f"expected scalar type {_LEGACY_NAMES[d1.name]} but found {_LEGACY_NAMES[d2.name]}")


def _check_matmul_dtypes(a, b):
    """The errors of the matrix product of the padded operands, (..., P, M + 2) @ (..., M + 2, R):
    mm's for a 2-D right operand; bmm's otherwise, whose small products (under 400
    multiply-adds per matrix) go through a kernel that names the dtypes the other way round."""
    d1, d2 = a._data.dtype, b._data.dtype
    if d1 == d2:
        return
    if b.dim() == 2:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_CPP_NAMES[d1.name]} != "
                           f"{_CPP_NAMES[d2.name]}")
    if (a.shape[-1] + 2) * a.shape[-2] * b.shape[-2] < 400:
        d1, d2 = d2, d1
    raise RuntimeError(f"expected scalar type {_LEGACY_NAMES[d2.name]} but found {_LEGACY_NAMES[d1.name]}")


def _euclidean_path(x1, x2, batch):
    """ATen's cdist_impl for the matrix-product formula: both inputs expanded to the batch,
    made contiguous and viewed as (batch product, rows, cols), unless the batch is one."""
    r1, r2, c = x1.shape[-2], x2.shape[-2], x1.shape[-1]
    n = int(np.prod(batch, dtype=np.int64))
    out_shape = tuple(batch) + (r1, r2)
    if n == 1:
        _check_matmul_dtypes(x1, x2)
        return euclidean_dist_(x1, x2).view(out_shape)
    a = x1.expand(tuple(batch) + (r1, c)).contiguous().view(n, r1, c)
    b = x2.expand(tuple(batch) + (r2, c)).contiguous().view(n, r2, c)
    _check_matmul_dtypes(a, b)
    return euclidean_dist_(a, b).view(out_shape)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distance between each row of x1 and each row of x2, batched."""
    if compute_mode not in _MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    _act._tensor_args("cdist", ("x1", x1), ("x2", x2))
    p = _float_arg("cdist", "p", 3, p)
    _check_cdist_args(x1, x2, p)
    mode = _MODES[compute_mode]
    batch = _batch_shape(x1, x2)
    r1, r2 = x1.shape[-2], x2.shape[-2]
    empty = x1.numel() == 0 or x2.numel() == 0 or 0 in batch
    if not empty and p == 2 and (mode == 1 or mode == 0 and (r1 > 25 or r2 > 25)):
        return _euclidean_path(x1, x2, batch)
    if not empty:
        _check_kernel_dtypes(x1, x2)
    elif x2._data.dtype != x1._data.dtype:
        x2 = x2.to(x1.dtype)    # no kernel runs on empty inputs: the result takes x1's dtype
    return cdist_forward_(x1, x2, p=p)


# ---------------------------------------------------------------- pdist
# (The kernels take leading batch dims, which only vmap's rule passes.)
def _pdist_fwd(a, p=2.0):
    i, j = np.triu_indices(a.shape[-2], 1)
    if a.shape[-1] == 0:
        return np.zeros(a.shape[:-2] + (i.size,), a.dtype)
    return np.asarray(_pnorm_last(a[..., i, :] - a[..., j, :], p), a.dtype)


def _square(v, n):
    """Condensed pairs (i < j) as the symmetric (..., n, n) matrix, zeros on the diagonal."""
    i, j = np.triu_indices(n, 1)
    full = np.zeros(v.shape[:-1] + (n, n), v.dtype)
    full[..., i, j] = v
    full[..., j, i] = v
    return full


def _pdist_bwd_fwd(grad, x, pdist, p=2.0):
    n = x.shape[-2]
    if p == 0 or grad.size == 0 or x.size == 0:
        return np.zeros(x.shape, x.dtype)
    w = _dist_weights(_pair_diffs(x, x), _square(pdist, n), p)
    return np.asarray(np.sum(_square(grad, n)[..., None] * w, axis=-2), x.dtype)


def _pdist_bwd_grad_output(grad, self, pdist, p=2.0):
    """_pdist_backward's transpose in its incoming gradient (PyTorch has none; forward AD
    uses it). Pair (i, j) moved x[i] by w and x[j] by -w."""
    xa, da = _arr(self), _arr(pdist)
    i, j = np.triu_indices(xa.shape[-2], 1)
    w = _dist_weights(xa[..., i, :] - xa[..., j, :], da, p)
    return ((grad[..., i, :] - grad[..., j, :]) * w).sum(-1)


pdist_backward_ = declare(
    "_pdist_backward", _pdist_bwd_fwd, inputs=("grad_output", "self", "pdist"), node="PdistBackwardBackward0",
    public=False,
    samples=[sample(T(6, grad=False), T(4, 3, grad=False), 2.0, T(6, low=0.5, grad=False), call="_pdist_backward",
                    smooth=False),
             sample(T(3, grad=False), T(3, 2, grad=False), 3.0, T(3, low=0.5, grad=False), call="_pdist_backward",
                    smooth=False)],
    grad_output=_pdist_bwd_grad_output, self=_not_differentiable("_pdist_backward"),
    pdist=_not_differentiable("_pdist_backward"))


def _pdist_backward_public(grad, self, p, pdist):
    """torch._pdist_backward(grad, self, p, pdist)."""
    return pdist_backward_(grad, self, pdist, p=float(p))


_PDIST = "nn.functional.pdist"
pdist_forward_ = declare(
    "_pdist_forward", _pdist_fwd, node="PdistBackward0", public=False,
    samples=[sample(T(4, 3), call=_PDIST, smooth=False), sample(T(4, 3), 1.0, call=_PDIST, smooth=False),
             sample(T(3, 2), 0.0, call=_PDIST, smooth=False),
             sample(T(4, 3), float("inf"), call=_PDIST, smooth=False),
             sample(T(5, 2), 1.5, call=_PDIST, smooth=False), sample(T(3, 4), p=3.0, call=_PDIST, smooth=False),
             sample(T(4, 3, dtype="float32"), call="pdist", smooth=False)],
    self=lambda grad, self, result, p=2.0: pdist_backward_(grad, self, result, p=p))


def pdist(input, p=2):
    """The distances between each pair of rows of a 2-D input: the upper triangle of
    cdist(input, input), row by row."""
    _act._tensor_args("pdist", ("input", input))
    p = _float_arg("pdist", "p", 2, p)
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if input._data.dtype.kind != "f":
        raise RuntimeError("pdist only supports floating-point dtypes")
    if not p >= 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n, m = input.shape
    if input._data.dtype == np.float16 and n > 1 and m > 0:    # (no kernel runs otherwise)
        raise NotImplementedError("\"pdist\" not implemented for 'Half'")
    return pdist_forward_(input.contiguous(), p=p)


# ---------------------------------------------------------------- renorm
def _other_dims(ndim, dim, lead):
    """The dims a slice's norm runs over: all but ``dim`` and the ``lead`` batch dims that
    vmap's rule puts in front."""
    return tuple(d for d in range(lead, ndim) if d != dim)


def _renorm_fwd(a, p=2.0, dim=0, maxnorm=1.0, lead=0):
    """Each slice along ``dim`` times maxnorm / (norm + 1e-7) where its norm exceeds maxnorm.
    As ATen: the norm of a half input in float32; the factor divided in double, cast back."""
    x = a.astype(np.float32) if a.dtype == np.float16 else a
    norm = _vector_norm_forward(x, p, _other_dims(a.ndim, dim, lead), True)
    wide = (norm + np.asarray(1e-7, norm.dtype)).astype(np.float64)
    factor = np.where(norm.astype(np.float64) > maxnorm, maxnorm / wide, 1.0).astype(a.dtype)
    return a * factor


def _renorm_grad(grad, self, p=2.0, dim=0, maxnorm=1.0, lead=0):
    """PyTorch's renorm_backward: where the slice was scaled, the derivative of
    x * maxnorm / (norm + 1e-7); elsewhere the identity."""
    dims = _other_dims(len(np.shape(_arr(self))), dim, lead)
    if isinstance(self, Tensor):
        norm = _vector_norm(self, ord=p, dim=dims, keepdim=True)
    else:
        norm = _vector_norm_forward(self, p, dims, True)
    grad_out = _total(self * grad, dims, True)
    nb = _norm_backward(grad_out, self, norm, p, dims, True)
    invnorm = 1.0 / (norm + 1e-7)
    factor = invnorm * maxnorm
    return np.where(norm > maxnorm, factor * grad - (factor * invnorm) * nb, grad)


renorm_ = declare(
    "renorm", _renorm_fwd, node="RenormBackward0", public=False,
    samples=[sample(T(3, 4), 2, 0, 1.0, call="renorm"), sample(T(3, 4), 1, 1, 0.5, call="Tensor.renorm"),
             sample(T(2, 3, 2), 3.0, -1, 1.5, call="renorm"),
             sample(T(3, 4), float("inf"), 0, 1.0, call="renorm", smooth=False),
             sample(T(3, 4, low=-0.2, high=0.2), 2, 0, 1.0, call="renorm"),
             sample(T(3, 4), 2, 0, 1.0, call="Tensor.renorm_", prep="clone")],
    self=_renorm_grad)


def _number_arg(fn, name, position, value):
    """PyTorch's argument parser for a ``Scalar``: a number (kept as given, as the node's
    saved value shows) or a 0-d tensor."""
    if isinstance(value, Tensor) and value.dim() == 0:
        return value.item()
    if not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Number, not "
                        f"{type(value).__name__}")
    return value


def _renorm_check(input, p, dim, maxnorm, first):
    """The arguments checked in PyTorch's order; ``first``: the position of ``p`` (1 for the
    method, 2 for the function)."""
    _act._tensor_args("renorm", ("input", input))
    p = _number_arg("renorm", "p", first, p)
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"renorm(): argument 'dim' (position {first + 1}) must be int, not {type(dim).__name__}")
    maxnorm = _number_arg("renorm", "maxnorm", first + 2, maxnorm)
    if not p > 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm:g}")
    if input.dim() <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.dim()} dimensions")
    dim = _wrap_dim(int(dim), input.dim())
    if input._data.dtype.kind != "f":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{_LEGACY_NAMES[input._data.dtype.name]}")
    return p, dim, maxnorm


def renorm(input, p, dim, maxnorm, *, out=None, _first=2):
    """Each sub-tensor along ``dim`` with p-norm above ``maxnorm`` rescaled to norm ``maxnorm``."""
    p, dim, maxnorm = _renorm_check(input, p, dim, maxnorm, _first)
    res = renorm_(input, p=p, dim=dim, maxnorm=maxnorm)
    if out is not None:
        out.copy_(res)
        return out
    return res


def _renorm_method(self, p, dim, maxnorm):
    return renorm(self, p, dim, maxnorm, _first=1)


FUNCTIONS.update({"cdist": cdist, "renorm": renorm, "pdist": pdist, "nn.functional.pdist": pdist,
                  "_cdist_backward": _cdist_backward_public, "_pdist_backward": _pdist_backward_public})
Tensor.renorm = _renorm_method
Tensor.renorm_ = make_inplace(_renorm_method)
