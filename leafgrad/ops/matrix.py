"""Matrix ops beyond the plain products: addmm and friends, vdot / outer / inner,
einsum, tensordot, kron, cross, trace, diag / diagonal / diag_embed, tril / triu,
multi_dot and matrix_power. Composite ops are built from primitives as PyTorch builds
them, so the nodes of their graphs carry PyTorch's names."""
import builtins
import string

import numpy as np

from . import _gemm
from ._declare import declare, make_inplace, FUNCTIONS
from ._samples import T, sample
from .._tensor import Tensor, _wrap_dim, _LEGACY_NAMES
from .linalg import mm, matmul, mat1_t_grad
from .._tensor import _C_TYPE_NAMES as _C


def mT(x):
    """The matrix transpose of an array or a Tensor (a differentiable view for Tensors)."""
    return x.mT if type(x) is np.ndarray else np.swapaxes(x, -1, -2)   # (.mT: a fifth of the cost)


def _copy_out(res, out):
    """``out=`` of the linear-algebra functions: ``res`` copied into ``out`` (Tensor.copy_)."""
    if out is None:
        return res
    out.copy_(res)
    return out


def _legacy(dt):
    return _LEGACY_NAMES.get(dt.name, dt.name)


def _same_dtype(a, b, what="self and mat2"):
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_C[a.dtype.name]} != "
                           f"{_C[b.dtype.name]}")


def _expand_check(self_shape, target):
    """PyTorch's expand error when ``self`` does not broadcast to ``target``."""
    lead = len(target) - len(self_shape)
    if lead < 0:
        raise RuntimeError(
            f"expand(torch.DoubleTensor{{{list(self_shape)}}}, size={list(target)}): the number of sizes provided "
            f"({len(target)}) must be greater or equal to the number of dimensions in the tensor ({len(self_shape)})")
    for i in reversed(range(len(self_shape))):
        n = self_shape[i]
        if n != target[lead + i] and n != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({target[lead + i]}) must match the existing size ({n}) at "
                f"non-singleton dimension {lead + i}.  Target sizes: {list(target)}.  Tensor sizes: "
                f"{list(self_shape)}")


def _self_mat2_dtype(self, m2):
    if np.asarray(self).dtype != m2.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_legacy(np.asarray(self).dtype)} and "
                           f"{_legacy(m2.dtype)}")


def _scaled_sum(self, prod, beta, alpha):
    """``alpha * prod + beta * self``; ``prod`` is a fresh product (never aliased), so the
    sum goes into it when the dtypes agree (``self`` expands to prod's shape, checked)."""
    out = prod if alpha == 1 else prod * alpha
    if beta == 0:
        return out
    add = self if beta == 1 else self * beta
    if type(out) is np.ndarray and type(add) is np.ndarray and add.dtype is out.dtype:
        return np.add(out, add, out=out)
    return out + add


# ---------------------------------------------------------------- addmm / addmv / addbmm / baddbmm
def _addmm_forward(self, m1, m2, beta=1, alpha=1):
    if beta == 1 and alpha == 1 and type(self) is _ndarray and m1.ndim == 2 and m2.ndim == 2:
        dt = m2.dtype
        if self.dtype is dt and m1.dtype is dt and m1.shape[1] == m2.shape[0] and (
                self.shape == (m2.shape[1],) or self.shape == (m1.shape[0], m2.shape[1])):
            # (nn.Linear's case, every check passed at once)
            if _gemm.fits(m1, m2):
                return _gemm.linear(m1, m2, self)
            prod = np.matmul(m1, m2)
            return np.add(prod, self, out=prod)
    if m1.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {m1.ndim}-D tensor")
    if m2.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {m2.ndim}-D tensor")
    if m1.shape[1] != m2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({m1.shape[0]}x{m1.shape[1]} and "
                           f"{m2.shape[0]}x{m2.shape[1]})")
    dt = m2.dtype
    if type(self) is not _ndarray or self.dtype != dt:
        _self_mat2_dtype(self, m2)
    if m1.dtype != dt:   # (addmm words it unlike mm)
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_legacy(m1.dtype)} and "
                           f"{_legacy(dt)}")
    shape = (m1.shape[0], m2.shape[1])
    self_shape = np.shape(self)
    if self_shape != shape and self_shape != shape[1:]:    # nn.Linear's bias: (out,)
        _expand_check(self_shape, shape)
    prod = np.matmul(m1, m2)
    if beta == 1 and alpha == 1 and type(self) is _ndarray and type(prod) is _ndarray:
        return np.add(prod, self, out=prod)    # _scaled_sum's common case (self's dtype checked above)
    return _scaled_sum(self, prod, beta, alpha)


_ndarray = np.ndarray


def _times(x, s):
    return x if s == 1 else x * s


addmm = declare(
    "addmm", _addmm_forward, inputs=("self", "mat1", "mat2"), method=True, inplace="addmm_",
    samples=[sample(T(3, 2), T(3, 4), T(4, 2)), sample(T(2), T(3, 4), T(4, 2), beta=0.5, alpha=2.0),
             sample(T(1, 1), T(3, 4), T(4, 2), beta=0.0), sample(T(3, 2), T(3, 0), T(0, 2))],
    self=lambda grad, beta=1: _times(grad, beta),
    mat1=lambda grad, mat2, alpha=1: _times(grad @ mT(mat2), alpha),
    mat2=lambda grad, mat1, alpha=1: _times(mat1_t_grad(mat1, grad, mT), alpha))


def _addmv_forward(self, mat, vec, beta=1, alpha=1):
    if mat.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {np.ndim(self)}, {mat.ndim}, {vec.ndim}")
    if mat.shape[1] != vec.shape[0] or np.ndim(self) > 1 or (np.ndim(self) == 1 and np.shape(self)[0] not in (
            1, mat.shape[0])):
        raise RuntimeError(f"size mismatch, got input ({np.shape(self)[0] if np.ndim(self) else 1}), mat "
                           f"({mat.shape[0]}x{mat.shape[1]}), vec ({vec.shape[0]})")
    dts = [np.asarray(self).dtype, mat.dtype, vec.dtype]
    if len(set(dts)) > 1:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {_legacy(dts[0])}, "
                           f"{_legacy(dts[1])}, and {_legacy(dts[2])}")
    return _scaled_sum(self, np.matmul(mat, vec), beta, alpha)


addmv = declare(
    "addmv", _addmv_forward, inputs=("self", "mat", "vec"), method=True, inplace="addmv_",
    samples=[sample(T(3), T(3, 4), T(4)), sample(T(), T(3, 4), T(4), beta=2.0, alpha=-1.0)],
    self=lambda grad, beta=1: _times(grad, beta),
    mat=lambda grad, vec, alpha=1: _times(np.expand_dims(grad, -1) * vec, alpha),
    vec=lambda grad, mat, alpha=1: _times(mT(mat) @ grad, alpha))


def _bmm_check(b1, b2):
    if b1.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if b1.shape[0] != b2.shape[0] or b1.shape[2] != b2.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{b1.shape[0]}, {b1.shape[2]}] but got: [{b2.shape[0]}, {b2.shape[1]}].")
    _same_dtype(b1, b2)


def _addbmm_forward(self, b1, b2, beta=1, alpha=1):
    _self_mat2_dtype(self, b2)
    _bmm_check(b1, b2)
    _expand_check(np.shape(self), (b1.shape[1], b2.shape[2]))
    prod = np.matmul(b1, b2).sum(0) if b1.shape[0] else np.zeros((b1.shape[1], b2.shape[2]), b1.dtype)
    return _scaled_sum(self, prod, beta, alpha)


addbmm = declare(
    "addbmm", _addbmm_forward, inputs=("self", "batch1", "batch2"), method=True, inplace="addbmm_",
    samples=[sample(T(3, 5), T(2, 3, 4), T(2, 4, 5)), sample(T(5), T(2, 3, 4), T(2, 4, 5), beta=0.5, alpha=1.5)],
    self=lambda grad, beta=1: _times(grad, beta),
    batch1=lambda grad, batch2, alpha=1: _times(np.expand_dims(grad, 0) @ mT(batch2), alpha),
    batch2=lambda grad, batch1, alpha=1: _times(mT(batch1) @ np.expand_dims(grad, 0), alpha))


def _baddbmm_forward(self, b1, b2, beta=1, alpha=1):
    dts = [np.asarray(self).dtype, b1.dtype, b2.dtype]
    if len(set(dts)) > 1:
        raise RuntimeError(f"Input dtypes must be the same, got: input {_C[dts[0].name]}, batch1: {_C[dts[1].name]}, "
                           f"batch2: {_C[dts[2].name]}")
    _bmm_check(b1, b2)
    _expand_check(np.shape(self), (b1.shape[0], b1.shape[1], b2.shape[2]))
    return _scaled_sum(self, np.matmul(b1, b2), beta, alpha)


baddbmm = declare(
    "baddbmm", _baddbmm_forward, inputs=("self", "batch1", "batch2"), method=True, inplace="baddbmm_",
    samples=[sample(T(2, 3, 5), T(2, 3, 4), T(2, 4, 5)), sample(T(3, 1), T(2, 3, 4), T(2, 4, 5), beta=-1.0, alpha=0.5)],
    self=lambda grad, beta=1: _times(grad, beta),
    batch1=lambda grad, batch2, alpha=1: _times(grad @ mT(batch2), alpha),
    batch2=lambda grad, batch1, alpha=1: _times(mT(batch1) @ grad, alpha))


# ---------------------------------------------------------------- vdot / outer / inner
def _vdot_forward(a, b):
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.dtype != b.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {_legacy(a.dtype)} and "
                           f"{_legacy(b.dtype)}")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to "
                           f"have the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements "
                           "respectively")
    return np.vdot(a, b)


vdot = declare("vdot", _vdot_forward, inputs=("self", "other"), method=True,
               samples=[sample(T(4), T(4)), sample(T(0), T(0))],
               self=lambda grad, other: grad * other,
               other=lambda grad, self: grad * self)


def outer(input, vec2):
    """PyTorch's outer: a column view of ``input`` times ``vec2`` (a MulBackward0)."""
    for name, v in (("self", input), ("vec2", vec2)):
        if v.dim() != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.dim()}-D")
    return input.reshape(input.shape[0], 1) * vec2


def inner(input, other):
    if input.dim() == 0 or other.dim() == 0:
        return input * other
    if input._data.dtype != other._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(input.shape)} and {list(other.shape)}")
    return tensordot(input, other, ([-1], [-1]))


def tensordot(a, b, dims=2, out=None):
    """Contract ``dims`` (a count, or a pair of dim lists) by permuting both operands into
    matrices and multiplying them with one mm, as PyTorch does."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.dim() or dims > b.dim():
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da = list(range(a.dim() - dims, a.dim()))
        db = list(range(dims))
        shown_a, shown_b = list(range(-dims, 0)), db
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
        if len(da) != len(db):
            raise RuntimeError("both dimension lists should have same length")
        shown_a, shown_b = da, db
        da = [_wrap_dim(d, a.dim()) for d in da]
        db = [_wrap_dim(d, b.dim()) for d in db]
    for x, y, x0, y0 in zip(da, db, shown_a, shown_b):
        sa, sb = a.shape[x], b.shape[y]
        if sa != sb:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa} in dim {x0} and "
                               f"second has size {sb} in dim {y0}")
    fa = [d for d in range(a.dim()) if d not in da]
    fb = [d for d in range(b.dim()) if d not in db]
    ka = int(np.prod([a.shape[d] for d in da], dtype=np.int64))
    na = int(np.prod([a.shape[d] for d in fa], dtype=np.int64))
    nb = int(np.prod([b.shape[d] for d in fb], dtype=np.int64))
    a2 = a.permute(fa + da).reshape(na, ka)
    b2 = b.permute(db + fb).reshape(ka, nb)
    res = mm(a2, b2).reshape([a.shape[d] for d in fa] + [b.shape[d] for d in fb])
    return _copy_out(res, out)


def kron(input, other):
    """Interleave the dims of both operands, multiply, and fold: an UnsafeViewBackward0."""
    nd = builtins.max(input.dim(), other.dim())
    sa = (1,) * (nd - input.dim()) + tuple(input.shape)
    sb = (1,) * (nd - other.dim()) + tuple(other.shape)
    ra, rb = [], []
    for x, y in zip(sa, sb):
        ra += [x, 1]
        rb += [1, y]
    prod = input.reshape(ra) * other.reshape(rb)
    return prod._unsafe_view(tuple(x * y for x, y in zip(sa, sb)))


# ---------------------------------------------------------------- cross
def _cross_forward(a, b, dim):
    return np.ascontiguousarray(np.cross(a, b, axisa=dim, axisb=dim, axisc=dim))   # (NumPy's puts dim last)


_cross = declare("linalg.cross", _cross_forward, inputs=("self", "other"), node="LinalgCrossBackward0",
                 public=False,
                 samples=[sample(T(4, 3), T(4, 3), call="linalg.cross"), sample(T(3, 2), T(3, 1), dim=0, call="cross"),
                          sample(T(2, 3, 5), T(1, 3, 5), dim=-2, call="linalg.cross"),
                          sample(T(3), T(3), call="cross")],
                 self=lambda grad, other, dim: _cross(other, grad, dim=dim),
                 other=lambda grad, self, dim: _cross(grad, self, dim=dim))


def _cross_shapes(input, other, dim, name):
    if input.dim() != other.dim():
        raise RuntimeError(f"{name}: inputs must have the same number of dimensions.")
    try:
        shape = np.broadcast_shapes(tuple(input.shape), tuple(other.shape))
    except ValueError:
        from ._declare import broadcast_error
        raise broadcast_error(input._data, other._data) from None
    return shape


def linalg_cross(input, other, *, dim=-1, out=None):
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"expected scalar type {_legacy(input._data.dtype)} but found "
                           f"{_legacy(other._data.dtype)}")
    shape = _cross_shapes(input, other, dim, "linalg.cross")
    d = _wrap_dim(dim, len(shape))
    na = input.shape[d - len(shape) + input.dim()] if d - len(shape) + input.dim() >= 0 else 1
    nb = other.shape[d - len(shape) + other.dim()] if d - len(shape) + other.dim() >= 0 else 1
    if na != 3 or nb != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {na} and {nb}")
    return _cross(input, other, dim=d - len(shape))


def cross(input, other, dim=None, *, out=None):
    if dim is None:
        import warnings
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
                      "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree "
                      "with that of linalg.cross in a future release.", UserWarning, stacklevel=2)
        shape = _cross_shapes(input, other, dim, "linalg.cross")
        for i, n in enumerate(shape):
            if n == 3:
                dim = i
                break
        else:
            raise RuntimeError("no dimension of size 3 in input")
    else:
        if input.dim() != other.dim():
            raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
        d = _wrap_dim(dim, input.dim())
        if input.shape[d] != 3 or other.shape[d] != 3:
            raise RuntimeError(f"linalg.cross: inputs dimension {d} must have length 3. Got {input.shape[d]} "
                               f"and {other.shape[d]}")
    return linalg_cross(input, other, dim=dim)


# ---------------------------------------------------------------- trace / diagonals / triangles
def _trace_forward(a):
    if a.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {a.ndim}")
    if a.dtype.kind == "b":
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    return np.trace(a, dtype=np.int64 if a.dtype.kind in "biu" else a.dtype)


trace = declare("trace", _trace_forward, method=True, samples=[sample(T(3, 3)), sample(T(2, 4)), sample(T(4, 2))],
                self=lambda grad, self_shape, self_dtype: grad * np.eye(*self_shape, dtype=self_dtype))


def _diag_len(shape, offset, d1, d2):
    if offset >= 0:
        return builtins.max(0, builtins.min(shape[d1], shape[d2] - offset))
    return builtins.max(0, builtins.min(shape[d1] + offset, shape[d2]))


def _diagonal_view(a, offset=0, dim1=0, dim2=1):
    """A writable view of a diagonal (the diagonal dim goes last), as PyTorch's view."""
    n = _diag_len(a.shape, offset, dim1, dim2)
    start = [0] * a.ndim
    if n:
        if offset >= 0:
            start[dim2] = offset
        else:
            start[dim1] = -offset
    base = a[tuple(builtins.slice(s, None) for s in start)] if n else a
    keep = [d for d in range(a.ndim) if d not in (dim1, dim2)]
    shape = tuple(a.shape[d] for d in keep) + (n,)
    strides = tuple(a.strides[d] for d in keep) + (a.strides[dim1] + a.strides[dim2],)
    return np.lib.stride_tricks.as_strided(base, shape, strides, writeable=a.flags.writeable)


def _diagonal_backward_forward(grad, shape, offset, dim1, dim2):
    out = np.zeros(shape, grad.dtype)
    _diagonal_view(out, offset, dim1, dim2)[...] = grad
    return out


diagonal_backward = declare(
    "_diagonal_backward", _diagonal_backward_forward, node="DiagonalBackwardBackward0", public=False,
    samples=[sample(T(3), shape=(3, 4), offset=0, dim1=0, dim2=1, call="_diagonal_backward")],
    self=lambda grad, offset, dim1, dim2: _diagonal(grad, offset=offset, dim1=dim1, dim2=dim2))

_diagonal = declare(
    "diagonal", _diagonal_view, node="DiagonalBackward0", view=True, public=False,
    samples=[sample(T(3, 4), call="diagonal"), sample(T(3, 4), 1, call="diagonal"),
             sample(T(2, 3, 4), -1, 0, 2, call="diagonal"), sample(T(2, 4, 3), offset=-2, dim1=-1, dim2=-2,
                                                                       call="diagonal"),
             sample(T(2, 3, 3), call="linalg.diagonal"), sample(T(3, 4), 5, call="diagonal")],
    self=lambda grad, self_shape, offset, dim1, dim2: diagonal_backward(grad, shape=self_shape, offset=offset,
                                                                         dim1=dim1, dim2=dim2))


def _diag_dims(input, dim1, dim2, nd):
    d1, d2 = _wrap_dim(dim1, nd), _wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def diagonal(input, offset=0, dim1=0, dim2=1):
    d1, d2 = _diag_dims(input, dim1, dim2, input.dim())
    return _diagonal(input, offset=int(offset), dim1=d1, dim2=d2)


def linalg_diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return diagonal(A, offset, dim1, dim2)


def _diag_embed_forward(a, offset=0, dim1=-2, dim2=-1):
    nd = a.ndim + 1
    n = a.shape[-1] + builtins.abs(offset) if a.ndim else 1 + builtins.abs(offset)
    rest = list(a.shape[:-1])
    shape = []
    for d in range(nd):
        shape.append(n if d in (dim1, dim2) else rest.pop(0))
    out = np.zeros(shape, a.dtype)
    _diagonal_view(out, offset, dim1, dim2)[...] = a
    return out


_diag_embed = declare(
    "diag_embed", _diag_embed_forward, node="DiagEmbedBackward0", public=False,
    samples=[sample(T(3), call="diag_embed"), sample(T(2, 3), 1, call="diag_embed"),
             sample(T(2, 3), offset=-1, dim1=0, dim2=2, call="diag_embed"), sample(T(4), call="diag"),
             sample(T(3), -2, call="diag")],
    self=lambda grad, offset, dim1, dim2: _diagonal(grad, offset=offset, dim1=dim1, dim2=dim2))


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    nd = input.dim() + 1
    d1, d2 = _diag_dims(input, dim1, dim2, nd)
    return _diag_embed(input, offset=int(offset), dim1=d1, dim2=d2)


_diagonal_copy = declare(
    "diagonal_copy", lambda a, offset=0, dim1=0, dim2=1: _diagonal_view(a, offset, dim1, dim2).copy(),
    node="DiagonalBackward0_copy", public=False,
    samples=[sample(T(3, 4), call="diag"), sample(T(3, 4), -1, call="diag"), sample(T(3, 3), 1, call="Tensor.diag")],
    self=lambda grad, self_shape, offset, dim1, dim2: diagonal_backward(grad, shape=self_shape, offset=offset,
                                                                         dim1=dim1, dim2=dim2))


def diag(input, diagonal=0, *, out=None):
    nd = input.dim()
    if nd == 1:
        res = _diag_embed(input, offset=int(diagonal), dim1=0, dim2=1)
    elif nd == 2:
        res = _diagonal_copy(input, offset=int(diagonal), dim1=0, dim2=1)
    else:
        raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " f"{nd}D")
    return _copy_out(res, out)


def _tri_check(a, name):
    if a.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")


def _tril_forward(a, diagonal=0):
    _tri_check(a, "tril")
    return np.tril(a, diagonal)


def _triu_forward(a, diagonal=0):
    _tri_check(a, "triu")
    return np.triu(a, diagonal)


_tril = declare("tril", _tril_forward, public=False,
                samples=[sample(T(3, 4), call="tril"), sample(T(2, 3, 3), -1, call="tril"),
                         sample(T(3, 4), diagonal=2, call="Tensor.tril")],
                self=lambda grad, diagonal=0: _tril(grad, diagonal=diagonal))
_triu = declare("triu", _triu_forward, public=False,
                samples=[sample(T(3, 4), call="triu"), sample(T(2, 3, 3), 1, call="triu"),
                         sample(T(4, 3), diagonal=-1, call="Tensor.triu")],
                self=lambda grad, diagonal=0: _triu(grad, diagonal=diagonal))


def tril(input, diagonal=0, *, out=None):
    res = _tril(input, diagonal=int(diagonal))
    return _copy_out(res, out)


def triu(input, diagonal=0, *, out=None):
    res = _triu(input, diagonal=int(diagonal))
    return _copy_out(res, out)


# ---------------------------------------------------------------- einsum
_LETTERS = string.ascii_letters


def _parse_einsum(equation, shapes):
    """The equation with ellipses spelled out as letters and an explicit output:
    (input subscripts, output subscripts)."""
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, rhs = eq.split("->", 1)
        explicit = True
    else:
        lhs, rhs, explicit = eq, None, False
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise RuntimeError(f"einsum(): more operands were provided than specified in the equation"
                           if len(terms) < len(shapes) else
                           "einsum(): fewer operands were provided than specified in the equation")
    used = set(c for c in eq if c.isalpha())
    spare = [c for c in _LETTERS if c not in used]
    ell_nd = 0
    for t, s in zip(terms, shapes):
        if "..." in t:
            ell_nd = builtins.max(ell_nd, len(s) - (len(t) - 3))
    ell = "".join(spare[:ell_nd])
    out_terms = []
    for i, (t, s) in enumerate(zip(terms, shapes)):
        for c in t.replace("...", ""):
            if not c.isalpha():
                raise RuntimeError(f"einsum(): invalid subscript given at index {lhs.index(c)} in the equation "
                                   "string, subscripts must be in [a-zA-Z]")
        if "..." in t:
            n = len(s) - (len(t) - 3)
            t = t.replace("...", ell[ell_nd - n:] if n else "")
        if len(t) != len(s):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(t)}) does not match the "
                               f"number of dimensions ({len(s)}) for operand {i}"
                               + ("" if "..." in terms[i] else " and no ellipsis was given"))
        out_terms.append(t)
    if explicit:
        out = rhs.replace("...", ell)
    else:
        counts = {}
        for t in out_terms:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted((c for c in counts if counts[c] == 1 and c not in ell),
                                   key=lambda c: (c.isupper() is False, c)))
    for c in out:
        if out.count(c) > 1:
            raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
    # size checks (a size-1 dim broadcasts, as PyTorch allows)
    sizes = {}
    for i, (t, s) in enumerate(zip(out_terms, shapes)):
        own = {}
        for c, n in zip(t, s):
            if c in own and own[c] != n:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {i} but the sizes don't match, "
                                   f"{n} != {own[c]}")
            own[c] = n
        for c, n in own.items():
            if c in sizes and sizes[c] != n and n != 1 and sizes[c] != 1:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {i} which does not broadcast "
                                   f"with previously seen size {sizes[c]}")
            if n != 1 or c not in sizes:
                sizes[c] = n
    return out_terms, out, sizes


def _einsum_forward(*arrays, terms, out, sizes):
    # NumPy does not broadcast size-1 labelled dims: expand them first.
    ops = [np.broadcast_to(a, tuple(sizes[c] if n == 1 else n for c, n in zip(t, a.shape)))
           if any(n == 1 and sizes[c] != 1 for c, n in zip(t, a.shape)) else a for a, t in zip(arrays, terms)]
    return np.einsum(",".join(terms) + "->" + out, *ops, optimize=len(ops) > 2)


def _unique(t):
    seen = ""
    for c in t:
        if c not in seen:
            seen += c
    return seen


def _einsum_grads(grad, tensors, terms, out, sizes):
    grads = []
    for i, t in enumerate(terms):
        others = [(x, s) for j, (x, s) in enumerate(zip(tensors, terms)) if j != i]
        avail = set(out).union(*[set(s) for _, s in others]) if others else set(out)
        target = "".join(c for c in _unique(t) if c in avail)
        g = _einsum_call([grad] + [x for x, _ in others], terms=[out] + [s for _, s in others], out=target,
                         sizes=sizes)
        full = _unique(t)
        if target != full:
            # labels summed away inside this operand only: the gradient is constant along them
            shape = []
            for c in full:
                shape.append(sizes[c] if c in target else 1)
            g = np.reshape(g, tuple(shape))
            g = np.broadcast_to(g, tuple(sizes[c] for c in full))
        if full != t:
            g = einsum_diag(g, unique=full, term=t, shape=tuple(sizes[c] for c in t))
        grads.append(g)
    return grads


def _einsum_diag_forward(g, unique, term, shape):
    out = np.zeros(shape, g.dtype)
    np.einsum(f"{term}->{unique}", out)[...] = g
    return out


# The adjoint of taking a generalized diagonal (repeated labels in one operand).
einsum_diag = declare(
    "_einsum_diag", _einsum_diag_forward, node="DiagonalBackwardBackward0", public=False,
    samples=[sample(T(3), unique="i", term="ii", shape=(3, 3), call="_einsum_diag")],
    self=lambda grad, unique, term: _einsum_call([grad], terms=[term], out=unique, sizes={}))


def _einsum_spec(node):
    return declare("einsum" + {"ViewBackward0": "", "PermuteBackward0": ".permute", "SumBackward1": ".sum",
                               "MulBackward0": ".mul"}[node],
                   _einsum_forward, inputs=("*tensors",), node=node, public=False,
                   tensors=lambda grad, tensors, terms, out, sizes: _einsum_grads(grad, tensors, terms, out, sizes))


_einsum_view = _einsum_spec("ViewBackward0")
_einsum_perm = _einsum_spec("PermuteBackward0")
_einsum_sum = _einsum_spec("SumBackward1")
_einsum_mul = _einsum_spec("MulBackward0")
_einsum_view.spec.samples = [
    sample("ij,jk->ik", T(3, 4), T(4, 5), call="einsum"), sample("ij,jk", T(3, 4), T(4, 5), call="einsum"),
    sample("bij,bjk->bik", T(2, 3, 4), T(2, 4, 5), call="einsum"),
    sample("...ij,jk", T(2, 3, 4), T(4, 5), call="einsum"), sample("i,i->", T(4), T(4), call="einsum"),
    sample("ij,jk,kl->il", T(2, 3), T(3, 4), T(4, 2), call="einsum"),
    sample("ij,i->j", T(3, 4), T(3), call="einsum"), sample("ij,jk->ki", [T(3, 4), T(4, 2)], call="einsum"),
    sample("b...,b...->b", T(2, 3, 4), T(2, 3, 4), call="einsum"),
    sample("ii,ij->j", T(3, 3), T(3, 2), call="einsum")]
_einsum_perm.spec.samples = [sample("ii->i", T(3, 3), call="einsum"), sample("ij->ji", T(3, 4), call="einsum"),
                             sample("ijk->kji", T(2, 3, 4), call="einsum"), sample("ji", T(3, 4), call="einsum"),
                             sample("...i->i...", T(2, 3, 4), call="einsum")]
_einsum_sum.spec.samples = [sample("ii", T(3, 3), call="einsum"), sample("ij->j", T(3, 4), call="einsum"),
                            sample("iij->j", T(3, 3, 2), call="einsum"), sample("i->", T(4), call="einsum")]
_einsum_mul.spec.samples = [sample("i,j->ij", T(3), T(4), call="einsum"), sample("i,i->i", T(3), T(3), call="einsum"),
                            sample("ii,i->i", T(3, 3), T(3), call="einsum")]


def _einsum_call(tensors, terms, out, sizes):
    """Pick the spec whose node name is the one PyTorch's einsum ends its graph with."""
    summed = set("".join(terms)) - set(out)
    if len(tensors) == 1:
        spec = _einsum_sum if summed else _einsum_perm
    else:
        shared = [c for c in summed if builtins.sum(c in t for t in terms) > 1]
        spec = _einsum_view if shared else _einsum_mul
    if not sizes:
        sizes = {}
        for t, x in zip(terms, tensors):
            for c, n in zip(t, x.shape if isinstance(x, Tensor) else np.shape(x)):
                if n != 1 or c not in sizes:
                    sizes[c] = n
    return spec(list(tensors), terms=list(terms), out=out, sizes=sizes)


def _sublist_equation(args):
    """einsum(op1, [0, 1], op2, [1, 2], [0, 2]): the sublist format as an equation."""
    def term(sub):
        return "".join("..." if x is Ellipsis else _LETTERS[26 + x] if x < 26 else _LETTERS[x - 26] for x in sub)
    ops, terms = [], []
    args = list(args)
    while len(args) >= 2:
        ops.append(args.pop(0))
        terms.append(term(args.pop(0)))
    eq = ",".join(terms)
    if args:
        eq += "->" + term(args[0])
    return eq, tuple(ops)


def einsum(*args):
    if args and isinstance(args[0], Tensor):
        equation, operands = _sublist_equation(args)
    else:
        equation, operands = args[0], args[1:]
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    for o in operands:
        if not isinstance(o, Tensor):
            raise TypeError(f"einsum(): argument 'operands' must be tuple of Tensors, not {type(o).__name__}")
    dt = operands[0]._data.dtype
    for o in operands[1:]:
        if o._data.dtype != dt:
            raise RuntimeError(f"expected scalar type {_legacy(dt)} but found {_legacy(o._data.dtype)}")
    terms, out, sizes = _parse_einsum(equation, [tuple(o.shape) for o in operands])
    for c in out:
        if c not in sizes:
            raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input operand")
    return _einsum_call(operands, terms, out, sizes)


# ---------------------------------------------------------------- multi_dot / matrix_power
def multi_dot(tensors, *, out=None):
    tensors = list(tensors)
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    first, last = tensors[0], tensors[-1]
    if first.dim() not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {first.dim()}D")
    if last.dim() not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {last.dim()}D")
    for i in range(1, n - 1):
        if tensors[i].dim() != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {tensors[i].dim()}D")
    out_shape = []
    if first.dim() == 2:
        out_shape.append(first.shape[0])
    if last.dim() == 2:
        out_shape.append(last.shape[1])
    mats = list(tensors)
    if first.dim() == 1:
        mats[0] = first.unsqueeze(0)
    if last.dim() == 1:
        mats[-1] = last.unsqueeze(-1)
    dt = mats[0]._data.dtype
    for i in range(1, n):
        if mats[i]._data.dtype != dt:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                               f"{_C[dt.name]} and tensor {i} {_C[mats[i]._data.dtype.name]}")
        if mats[i - 1].shape[1] != mats[i].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i - 1} and {i} with shapes {list(mats[i - 1].shape)} "
                               f"and {list(mats[i].shape)} cannot be multiplied")
    if n == 2:
        res = mm(mats[0], mats[1])
    else:
        dims = [m.shape[0] for m in mats] + [mats[-1].shape[1]]
        cost = [[0] * n for _ in range(n)]
        split = [[0] * n for _ in range(n)]
        for length in range(1, n):
            for i in range(n - length):
                j = i + length
                cost[i][j] = None
                for k in range(i, j):
                    c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                    if cost[i][j] is None or c < cost[i][j]:
                        cost[i][j], split[i][j] = c, k

        def chain(i, j):
            if i == j:
                return mats[i]
            k = split[i][j]
            return mm(chain(i, k), chain(k + 1, j))
        res = chain(0, n - 1)
    res = res.view(out_shape)
    return _copy_out(res, out)


def matrix_power(A, n, *, out=None):
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if n == 0:
        from .._creation import eye
        res = A.clone().copy_(eye(A.shape[-1], dtype=A.dtype).expand(A.shape))
    else:
        inverted = n < 0
        if inverted:
            A = FUNCTIONS["linalg.inv"](A)
            n = -n
        if n == 1:
            res = A if inverted else A.clone()
        elif n == 2:
            res = matmul(A, A)
        elif n == 3:
            res = matmul(matmul(A, A), A)
        else:
            z = res = None
            while n > 0:
                bit = n % 2
                n //= 2
                z = A if z is None else matmul(z, z)
                if bit:
                    res = z if res is None else matmul(res, z)
    return _copy_out(res, out)


# ---------------------------------------------------------------- samples of composite ops
mm.spec.samples += [
    sample(T(3), T(4), call="outer"), sample(T(3), T(2), call="ger"), sample(T(2, 3), T(4, 3), call="inner"),
    sample(T(3), T(3), call="inner"), sample(T(2, 3, 4), T(3, 4, 2), call="tensordot"),
    sample(T(2, 3, 4), T(3, 4, 5), dims=([1, 2], [0, 1]), call="tensordot"),
    sample(T(3, 4), T(4, 3), dims=([0, 1], [1, 0]), call="tensordot"),
    sample(T(2, 3), T(3, 2), 1, call="tensordot"), sample(T(2, 3), T(2, 2), call="kron"),
    sample(T(3), T(2, 2), call="kron"), sample([T(2, 3), T(3, 4)], call="linalg.multi_dot"),
    sample([T(3), T(3, 4), T(4, 2), T(2)], call="linalg.multi_dot"),
    sample([T(2, 3), T(3, 4), T(4, 2)], call="linalg.multi_dot"),
    sample(T(3, 3), 3, call="linalg.matrix_power"), sample(T(2, 3, 3), 5, call="linalg.matrix_power"),
    sample(T(3, 3), 1, call="linalg.matrix_power"), sample(T(3, 3), 0, call="linalg.matrix_power"),
    sample(T(3, 3), 2, call="matrix_power"), sample(T(3, 3), T(), call="inner")]


def _np_einsum(subscripts, *operands, out=None, optimize=False, **kwargs):
    """``np.einsum`` given Tensors (a formula under ``create_graph=True``): leafgrad's einsum."""
    from .._tensor import wrap
    if out is not None:
        return NotImplemented
    return einsum(subscripts, *[o if isinstance(o, Tensor) else wrap(np.asarray(o)) for o in operands])


# ---------------------------------------------------------------- install
def _with_out(fn):
    def op(*args, out=None, **kwargs):
        return _copy_out(fn(*args, **kwargs), out)
    op.__name__ = op.__qualname__ = fn.__name__
    op.spec = fn.spec
    return op


for _fn in (addmm, addmv, addbmm, baddbmm, vdot):
    FUNCTIONS[_fn.__name__] = _with_out(_fn)
FUNCTIONS.update({
    "outer": outer, "ger": outer, "inner": inner, "tensordot": tensordot, "kron": kron, "cross": cross,
    "linalg.cross": linalg_cross, "diagonal": diagonal, "linalg.diagonal": linalg_diagonal,
    "diag_embed": diag_embed, "diag": diag, "tril": tril, "triu": triu, "einsum": einsum,
    "linalg.multi_dot": multi_dot, "linalg.matrix_power": matrix_power, "matrix_power": matrix_power,
    "linalg.matmul": matmul, "_diagonal_backward": diagonal_backward, "_einsum_diag": einsum_diag})
for _name, _fn in dict(outer=outer, ger=outer, inner=inner, kron=kron, cross=cross, diagonal=diagonal,
                       diag_embed=diag_embed, diag=diag, tril=tril, triu=triu, matrix_power=matrix_power).items():
    setattr(Tensor, _name, _fn)
Tensor.tril_ = make_inplace(tril)
Tensor.triu_ = make_inplace(triu)
from .._tensor import HANDLED_FUNCTIONS  # noqa: E402
HANDLED_FUNCTIONS.update({
    np.diagonal: lambda a, offset=0, axis1=0, axis2=1: diagonal(a, offset, axis1, axis2),
    np.tril: lambda m, k=0: tril(m, k), np.triu: lambda m, k=0: triu(m, k),
    np.trace: lambda a, **k: trace(a), np.einsum: _np_einsum})
