"""The LU family of torch.linalg: lu_factor, lu_factor_ex, lu, lu_solve, and torch.lu_unpack
(with the deprecated torch.lu / torch.lu_solve forms); then linalg.matrix_exp, and the
composites linalg.vander / torch.vander, linalg.cond, linalg.tensorinv and linalg.tensorsolve.

NumPy has no LU factorization: ``_getrf`` is LU with partial pivoting, vectorised over the
batch, choosing in each column the first row of largest magnitude as LAPACK's getrf does,
so that pivots agree with PyTorch's. Pivots are 1-based int32, as PyTorch's.

Derivatives are PyTorch's (FunctionsManual.cpp: ``lu_factor_ex_backward``,
``linalg_lu_backward``, ``linalg_lu_solve_LU``, ``lu_unpack_backward``), written with matrix
products and the declared primitives (triangular solves, tril / triu, lu_solve itself),
so that they run on arrays in a plain backward and differentiably with ``create_graph``."""
import builtins
import warnings

import numpy as np

from ._declare import declare, FUNCTIONS
from ._samples import T, sample
from .matrix import mT, _tril, _triu, _copy_out, _legacy
from .decomp import _solve_tri, _solve_triangular_forward
from .._tensor import Tensor, wrap
from .. import return_types

_LU_FACTOR = return_types.return_type("linalg_lu_factor", ("LU", "pivots"))
_LU_FACTOR_EX = return_types.return_type("linalg_lu_factor_ex", ("LU", "pivots", "info"))
_LU = return_types.return_type("linalg_lu", ("P", "L", "U"))
_LU_UNPACK = return_types.return_type("lu_unpack", ("P", "L", "U"))
_LU_WITH_INFO = return_types.return_type("_lu_with_info", ("LU", "pivots", "info"))


def _shape(x):
    return tuple(x.shape) if isinstance(x, Tensor) else np.shape(x)


def _dtype(x):
    return x._data.dtype if isinstance(x, Tensor) else x.dtype


def _const_mm(P, x):
    """``P @ x`` for a constant array ``P`` (a permutation) and an array or Tensor ``x``."""
    return (wrap(P) if isinstance(x, Tensor) else P) @ x


def _cat(parts, axis):
    if any(isinstance(x, Tensor) for x in parts):
        parts = [x if isinstance(x, Tensor) else wrap(x) for x in parts]
    return np.concatenate(parts, axis=axis)


# ---------------------------------------------------------------- the factorization
def _getrf(a):
    """LU with partial pivoting of each matrix of ``a`` (..., m, n): (LU, pivots, info) as
    LAPACK's getrf gives them (LU compact, pivots 1-based int32 (..., min(m, n)), info int32
    (...): the 1-based index of the first exactly zero pivot, 0 when there is none)."""
    m, n = a.shape[-2:]
    k = builtins.min(m, n)
    batch = a.shape[:-2]
    nb = int(np.prod(batch, dtype=np.int64))
    lu = np.array(a, dtype=a.dtype, copy=True).reshape((nb, m, n))
    piv = np.empty((nb, k), np.int32)
    info = np.zeros(nb, np.int32)
    rows = np.arange(nb)
    tiny = np.finfo(a.dtype).tiny
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for j in range(k):
            p = j + np.argmax(np.abs(lu[:, j:, j]), axis=1)
            piv[:, j] = p + 1
            swap = p != j
            if swap.any():
                r, pr = rows[swap], p[swap]
                top = lu[r, j].copy()
                lu[r, j] = lu[r, pr]
                lu[r, pr] = top
            d = lu[:, j, j]
            zero = d == 0
            if zero.any():
                info[(info == 0) & zero] = j + 1
            if j + 1 < m:
                # getrf2 scales by the reciprocal of the pivot unless it is tiny; a zero
                # pivot leaves the (all-zero) column as it is
                big = np.abs(d) >= tiny
                recip = np.where(big, 1 / np.where(big, d, 1), 1).astype(a.dtype)
                col = lu[:, j + 1:, j]
                lu[:, j + 1:, j] = np.where(big[:, None], col * recip[:, None],
                                            np.where(zero[:, None], col, col / np.where(zero, 1, d)[:, None]))
                if j + 1 < n:
                    lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j, None] * lu[:, j, None, j + 1:]
    return lu.reshape(a.shape), piv.reshape(batch + (k,)), info.reshape(batch)


def _perm(piv, m):
    """The row permutation of 1-based LAPACK pivots (..., k): ``perm`` (..., m) with
    (P^T A)[i] = A[perm[i]]."""
    batch = piv.shape[:-1]
    k = piv.shape[-1]
    nb = int(np.prod(batch, dtype=np.int64))
    pv = np.asarray(piv, np.int64).reshape((nb, k)) - 1
    perm = np.tile(np.arange(m), (nb, 1))
    rows = np.arange(nb)
    for j in range(k):
        p = pv[:, j]
        top = perm[rows, j].copy()
        perm[rows, j] = perm[rows, p]
        perm[rows, p] = top
    return perm.reshape(batch + (m,))


def _P(piv, m, dtype):
    """The permutation matrix P (..., m, m) of pivots: A = P L U."""
    perm = _perm(piv, m)
    return np.swapaxes(np.eye(m, dtype=dtype)[perm], -1, -2)


def _L_U(lu):
    """The unit lower-trapezoidal L (..., m, k) and upper-trapezoidal U (..., k, n) of a
    compact LU (an array or a Tensor; differentiable for Tensors)."""
    m, n = _shape(lu)[-2:]
    k = builtins.min(m, n)
    eye = np.eye(m, k, dtype=_dtype(lu))
    L = _tril(lu[..., :, :k] if k < n else lu, diagonal=-1) + eye
    U = _triu(lu[..., :k, :] if k < m else lu, diagonal=0)
    return L, U


def _lu_error(info, name, ndim):
    flat = info.reshape(-1)
    for i in np.flatnonzero(flat)[:1]:
        prefix = f"(Batch element {i}): " if ndim > 2 else ""
        d = flat[i]
        return RuntimeError(f"torch.{name}: {prefix}U[{d},{d}] is zero and using it on lu_solve would result in a "
                            "division by zero. If you still want to perform the factorization, consider calling "
                            "linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")
    return None


# ---------------------------------------------------------------- derivatives
def _lu_backward(gL, gU, P, L, U, pivot=True):
    """PyTorch's linalg_lu_backward: the gradient of A = P L U from those of L and U."""
    m = _shape(L)[-2]
    n = _shape(U)[-1]
    k = builtins.min(m, n)
    if m == n:
        gA = _tril(mT(L) @ gL, diagonal=-1) + _triu(gU @ mT(U), diagonal=0)
        gA = _solve_tri(mT(U), gA, upper=False, left=False)
        gA = _solve_tri(mT(L), gA, upper=True, left=True, unitriangular=True)
    elif m < n:
        U1 = U[..., :, :k]
        gA = mT(L) @ gL - _triu(gU, diagonal=0) @ mT(U)
        gA = _solve_tri(mT(U1), _tril(gA, diagonal=-1), upper=False, left=False)
        gA = _cat([gA + _triu(gU[..., :, :k], diagonal=0), gU[..., :, k:]], -1)
        gA = _solve_tri(mT(L), gA, upper=True, left=True, unitriangular=True)
    else:
        L1 = L[..., :k, :]
        gA = gU @ mT(U) - mT(L) @ _tril(gL, diagonal=-1)
        gA = _solve_tri(mT(L1), _triu(gA, diagonal=0), upper=True, left=True, unitriangular=True)
        gA = _cat([gA + _tril(gL[..., :k, :], diagonal=-1), gL[..., k:, :]], -2)
        gA = _solve_tri(mT(U), gA, upper=False, left=False)
    return _const_mm(P, gA) if pivot else gA


def _lu_factor_ex_grad(grad, LU, pivots, pivot=True):
    m, n = _shape(LU)[-2:]
    k = builtins.min(m, n)
    L, U = _L_U(LU)
    P = _P(np.asarray(pivots), m, _dtype(LU))
    gL = _tril(grad[..., :, :k] if k < n else grad, diagonal=-1)
    gU = _triu(grad[..., :k, :] if k < m else grad, diagonal=0)
    return _lu_backward(gL, gU, P, L, U, pivot)


def _lu_grad(grads, P, L, U, pivot=True):
    P = P._data if isinstance(P, Tensor) else P   # a constant: P is not differentiable
    return _lu_backward(grads[1], grads[2], P, L, U, pivot)


# ---------------------------------------------------------------- lu_factor / lu_factor_ex
def _lu_factor_ex_forward(a, pivot=True, check_errors=False, name="linalg.lu_factor_ex"):
    lu, piv, info = _getrf(a)
    if check_errors:
        err = _lu_error(info, name, a.ndim)
        if err is not None:
            raise err
    return lu, piv, info


#: Matrices whose pivots are clear (no near-ties), so finite differences keep them.
_SQ = [[1.0, 3.0, -0.5], [4.0, 0.5, 1.2], [-2.0, 1.0, 3.5]]
_SQ_B = [_SQ, [[0.3, -0.2, 2.5], [1.5, 3.0, 0.4], [3.2, -1.0, 0.6]]]
_TALL = [[1.0, 2.5, -0.4], [3.5, -1.0, 0.8], [-0.6, 0.9, 2.8], [2.0, 0.3, -1.1]]
_WIDE = [[0.5, 2.0, -1.0, 0.7], [3.0, -0.8, 0.4, 1.1], [-1.2, 0.6, 2.7, -0.3]]

_lu_factor_ex = declare(
    "linalg.lu_factor_ex", _lu_factor_ex_forward, inputs=("A",), node="LinalgLuFactorExBackward0", public=False,
    outputs=("LU", "pivots", "info"),
    samples=[sample(T(3, 3, values=_SQ), call="linalg.lu_factor_ex"),
             sample(T(2, 3, 3, values=_SQ_B), call="linalg.lu_factor"),
             sample(T(4, 3, values=_TALL), call="linalg.lu_factor"),
             sample(T(3, 4, values=_WIDE), call="linalg.lu_factor_ex"),
             sample(T(3, 3, values=_SQ), call="Tensor.lu")],
    A=_lu_factor_ex_grad)


def _check_lu_input(A, name, dims_name=None):
    a = A._data
    if a.ndim < 2:
        raise RuntimeError(f"{dims_name or name}: Expected tensor with 2 or more dimensions. Got size: "
                           f"{list(a.shape)} instead")
    if a.dtype.kind != "f" or a.dtype == np.float16:
        raise NotImplementedError(f"\"lu_cpu\" not implemented for '{_legacy(a.dtype)}'")


def _check_pivot(pivot):
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    _check_lu_input(A, "linalg.lu_factor_ex", "torch.lu_factor")
    _check_pivot(pivot)
    res = _lu_factor_ex(A, pivot=True, check_errors=bool(check_errors), name="linalg.lu_factor_ex")
    return _out_tuple(_LU_FACTOR_EX(res), out)


def lu_factor(A, *, pivot=True, out=None):
    _check_lu_input(A, "linalg.lu_factor", "torch.lu_factor")
    _check_pivot(pivot)
    LU, piv, _ = _lu_factor_ex(A, pivot=True, check_errors=True, name="linalg.lu_factor")
    return _out_tuple(_LU_FACTOR((LU, piv)), out)


def _out_tuple(res, out):
    if out is None:
        return res
    for o, r in zip(out, res):
        o.copy_(r)
    return type(res)(tuple(out))


def torch_lu(A, pivot=True, get_infos=False, out=None):
    warnings.warn(
        "torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex and will be removed "
        "in a future PyTorch release.\nLU, pivots = torch.lu(A, compute_pivots)\nshould be replaced with\n"
        "LU, pivots = torch.linalg.lu_factor(A, compute_pivots)\nand\n"
        "LU, pivots, info = torch.lu(A, compute_pivots, get_infos=True)\nshould be replaced with\n"
        "LU, pivots, info = torch.linalg.lu_factor_ex(A, compute_pivots)", UserWarning, stacklevel=2)
    _check_lu_input(A, "linalg.lu_factor_ex", "torch.lu_factor")
    _check_pivot(pivot)
    LU, piv, info = _lu_factor_ex(A, pivot=True)   # (torch.lu never raises for a singular matrix)
    return _LU_WITH_INFO((LU, piv, info)) if get_infos else (LU, piv)


# ---------------------------------------------------------------- lu
def _lu_forward(a, pivot=True):
    lu, piv, _ = _getrf(a)
    L, U = _L_U(lu)
    return _P(piv, a.shape[-2], a.dtype), L, U


_lu = declare(
    "linalg.lu", _lu_forward, inputs=("A",), node="LinalgLuBackward0", public=False, outputs=("P", "L", "U"),
    samples=[sample(T(3, 3, values=_SQ), call="linalg.lu"),
             sample(T(2, 3, 3, values=_SQ_B), call="linalg.lu"),
             sample(T(4, 3, values=_TALL), call="linalg.lu"),
             sample(T(3, 4, values=_WIDE), call="linalg.lu")],
    A=_lu_grad)


def lu(A, *, pivot=True, out=None):
    _check_lu_input(A, "linalg.lu", "linalg.lu")
    _check_pivot(pivot)
    P, L, U = _lu(A, pivot=True)
    return _out_tuple(_LU((P.detach(), L, U)), out)


# ---------------------------------------------------------------- lu_unpack
def _lu_unpack_forward(a, pivots, unpack_data=True, unpack_pivots=True):
    m, n = a.shape[-2:]
    k = builtins.min(m, n)
    if unpack_data:
        L, U = _L_U(a)
    else:
        L = U = np.zeros((0,), a.dtype)
    if unpack_pivots:
        piv = np.broadcast_to(pivots, a.shape[:-2] + (k,)) if pivots.shape[-1:] == (k,) else pivots
        P = _P(piv, m, a.dtype)
    else:
        P = np.zeros((0,), a.dtype)
    return P, L, U


def _lu_unpack_grad(grads, LU_data_shape, unpack_data=True):
    if not unpack_data:
        return np.zeros(LU_data_shape, _dtype(grads[1]))
    gL, gU = grads[1], grads[2]
    m, n = LU_data_shape[-2:]
    gL = _tril(gL, diagonal=-1)
    gU = _triu(gU, diagonal=0)
    if m == n:
        return gL + gU
    if m < n:   # L (m, m), U (m, n)
        return _cat([gL, np.zeros(_shape(gL)[:-1] + (n - m,), _dtype(gL))], -1) + gU
    return gL + _cat([gU, np.zeros(_shape(gU)[:-2] + (m - n, n), _dtype(gU))], -2)


_lu_unpack = declare(
    "lu_unpack", _lu_unpack_forward, inputs=("LU_data",), node="LuUnpackBackward0", public=False,
    outputs=("P", "L", "U"),
    samples=[sample(T(3, 3, values=_SQ), T(3, dtype="int32", values=[2, 3, 3]), call="lu_unpack"),
             sample(T(2, 3, 3), T(2, 3, dtype="int32", values=[[3, 2, 3], [1, 3, 3]]), call="lu_unpack"),
             sample(T(4, 3), T(3, dtype="int32", values=[4, 4, 3]), call="lu_unpack"),
             sample(T(3, 4), T(3, dtype="int32", values=[2, 2, 3]), call="lu_unpack"),
             sample(T(3, 3), T(3, dtype="int32", values=[3, 2, 3]), unpack_pivots=False, call="lu_unpack")],
    LU_data=_lu_unpack_grad)


def _check_pivots_dtype(piv, name):
    if piv.dtype != np.int32:
        raise RuntimeError(f"{name}: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype.\n"
                           "Note: this function is intended to be used with the output produced by "
                           "torch.linalg.lu_factor")


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    a = LU_data._data
    if a.ndim < 2:
        raise RuntimeError(f"torch.lu_unpack: Expected tensor with 2 or more dimensions. Got size: {list(a.shape)} "
                           "instead")
    piv = LU_pivots._data
    _check_pivots_dtype(piv, "torch.lu_unpack")
    m = a.shape[-2]
    if unpack_pivots and piv.size and (piv.min() < 1 or piv.max() > m):
        raise RuntimeError("pivots passed to lu_unpack must be between 1 and LU.size(-2) inclusive.Did you properly "
                           "pass the result of lu_factor?")
    P, L, U = _lu_unpack(LU_data, pivots=piv, unpack_data=bool(unpack_data), unpack_pivots=bool(unpack_pivots))
    return _out_tuple(_LU_UNPACK((P.detach(), L, U)), out)


# ---------------------------------------------------------------- lu_solve
def _permute_rows(b, perm, inverse=False):
    """P^T b (rows ``b[perm]``), or P b (``inverse``), for perm (..., n) and b (..., n, k)."""
    batch = np.broadcast_shapes(perm.shape[:-1], b.shape[:-2])
    perm = np.broadcast_to(perm, batch + perm.shape[-1:])
    if inverse:
        perm = np.argsort(perm, axis=-1)
    b = np.broadcast_to(b, batch + b.shape[-2:])
    return np.take_along_axis(b, perm[..., None], axis=-2)


def _lu_solve_left(lu, b, pivots, adjoint):
    n = lu.shape[-1]
    perm = _perm(pivots, n)
    if not adjoint:   # A X = B:  X = U^-1 L^-1 P^T B
        y = _solve_triangular_forward(lu, _permute_rows(b, perm), upper=False, unitriangular=True)
        return _solve_triangular_forward(lu, y, upper=True)
    # A^T X = B:  U^T L^T P^T X = B
    luT = np.swapaxes(lu, -1, -2)
    y = _solve_triangular_forward(luT, b, upper=False)
    y = _solve_triangular_forward(luT, y, upper=True, unitriangular=True)
    return _permute_rows(y, perm, inverse=True)


def _lu_solve_forward(LU, B, pivots, left=True, adjoint=False):
    if left:
        return _lu_solve_left(LU, B, pivots, adjoint)
    # X op(A) = B  <=>  op(A)^T X^T = B^T
    return np.swapaxes(_lu_solve_left(LU, np.swapaxes(B, -1, -2), pivots, not adjoint), -1, -2)


def _lu_solve_B_grad(grad, LU, pivots, left=True, adjoint=False):
    return _lu_solve(LU, grad, pivots=pivots, left=left, adjoint=not adjoint)


def _lu_solve_LU_grad(grad, LU, pivots, result, left=True, adjoint=False):
    gB = _lu_solve(LU, grad, pivots=pivots, left=left, adjoint=not adjoint)
    X = result
    if left:
        gA = -(X @ mT(gB)) if adjoint else -(gB @ mT(X))
    else:
        gA = -(mT(gB) @ X) if adjoint else -(mT(X) @ gB)
    # A = P L U with L = tril(LU, -1) + I, U = triu(LU)
    n = _shape(LU)[-1]
    L, U = _L_U(LU)
    PtgA = _const_mm(np.swapaxes(_P(np.asarray(pivots), n, _dtype(LU)), -1, -2), gA)
    return _tril(PtgA @ mT(U), diagonal=-1) + _triu(mT(L) @ PtgA, diagonal=0)


#: A compact LU (unit lower L below the diagonal, a well-conditioned U on and above it).
_LU3 = [[3.0, 1.0, -0.5], [0.4, 2.5, 0.7], [-0.6, 0.3, 2.0]]
_LU3B = [_LU3, [[2.2, -0.4, 1.0], [-0.2, 3.1, 0.5], [0.5, -0.7, 2.6]]]

_lu_solve = declare(
    "linalg.lu_solve", _lu_solve_forward, inputs=("LU", "B"), node="LinalgLuSolveBackward0", public=False,
    samples=[sample(T(3, 3, values=_LU3), T(3, dtype="int32", values=[2, 3, 3]), T(3, 2), call="linalg.lu_solve"),
             sample(T(3, 3, values=_LU3), T(3, dtype="int32", values=[3, 2, 3]), T(3, 2), adjoint=True,
                    call="linalg.lu_solve"),
             sample(T(3, 3, values=_LU3), T(3, dtype="int32", values=[2, 2, 3]), T(2, 3), left=False,
                    call="linalg.lu_solve"),
             sample(T(3, 3, values=_LU3), T(3, dtype="int32", values=[1, 3, 3]), T(4, 3), left=False, adjoint=True,
                    call="linalg.lu_solve"),
             sample(T(2, 3, 3, values=_LU3B), T(2, 3, dtype="int32", values=[[2, 3, 3], [3, 3, 3]]), T(3, 1),
                    call="linalg.lu_solve"),
             sample(T(3, 3, values=_LU3), T(3, dtype="int32", values=[2, 3, 3]), T(2, 3, 2), call="linalg.lu_solve"),
             sample(T(3, 2), T(3, 3, values=_LU3), T(3, dtype="int32", values=[3, 3, 3]), call="lu_solve")],
    LU=_lu_solve_LU_grad, B=_lu_solve_B_grad)


def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    a, b, piv = LU._data, B._data, pivots._data
    if a.ndim < 2:
        raise RuntimeError("torch.linalg.lu_solve: The input tensor A must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"torch.linalg.lu_solve: A must be batches of square matrices, but they are "
                           f"{a.shape[-2]} by {a.shape[-1]} matrices")
    if a.dtype.kind != "f":
        raise RuntimeError(f"torch.linalg.lu_solve: Expected a floating point or complex tensor as input. Got "
                           f"{_legacy(a.dtype)}")
    if b.ndim < 2:
        raise RuntimeError("linalg.lu_solve: The input tensor B must have at least 2 dimensions.")
    if a.dtype != b.dtype:
        raise RuntimeError(f"linalg.lu_solve: Expected LU and B to have the same dtype, but found LU of type "
                           f"{_legacy(a.dtype)} and B of type {_legacy(b.dtype)} instead")
    if a.dtype == np.float16:
        raise NotImplementedError("\"linalg.lu_solve_cpu\" not implemented for 'Half'")
    n = a.shape[-1]
    if (b.shape[-2] if left else b.shape[-1]) != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation {eq} "
                           f"({n}x{n} and {b.shape[-2]}x{b.shape[-1]})")
    if piv.shape != a.shape[:-1]:
        if piv.shape[-1:] != (n,):
            raise RuntimeError("linalg.lu_solve: Number of pivots per batch should be same as the dimension of the "
                               "matrix")
        raise RuntimeError(f"linalg.lu_solve: Expected LU.shape[:-1] and pivots.shape to be the same, but got "
                           f"pivots with shape {list(piv.shape)} instead")
    if piv.dtype != np.int32:
        raise RuntimeError("linalg.lu_solve: pivots should be a Tensor of scalar type torch.int32")
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        from ._declare import broadcast_error
        raise broadcast_error(np.empty(b.shape[:-2]), np.empty(a.shape[:-2])) from None
    if piv.size:
        if piv.min() < 1:
            raise RuntimeError("Pivots given to lu_solve must all be greater or equal to 1. Did you properly pass "
                               "the result of lu_factor?")
        if piv.max() > n:
            raise RuntimeError("Pivots given to lu_solve must all be smaller or equal to LU.size(-2). Did you "
                               "properly pass the result of lu_factor?")
    return _copy_out(_lu_solve(LU, B, pivots=piv, left=bool(left), adjoint=bool(adjoint)), out)


def torch_lu_solve(b, LU_data, LU_pivots, *, out=None):
    warnings.warn(
        "torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be removed in a future PyTorch "
        "release.\nNote that torch.linalg.lu_solve has its arguments reversed.\nX = torch.lu_solve(B, LU, pivots)\n"
        "should be replaced with\nX = torch.linalg.lu_solve(LU, pivots, B)", UserWarning, stacklevel=2)
    return lu_solve(LU_data, LU_pivots, b, out=out)


# ---------------------------------------------------------------- install
FUNCTIONS.update({
    "linalg.lu_factor": lu_factor, "linalg.lu_factor_ex": lu_factor_ex, "linalg.lu": lu,
    "linalg.lu_solve": lu_solve, "lu_unpack": lu_unpack, "lu": torch_lu, "lu_solve": torch_lu_solve})
Tensor.lu = torch_lu
Tensor.lu_solve = torch_lu_solve


# ---------------------------------------------------------------- matrix_exp
# PyTorch's algorithm (LinearAlgebra.cpp, after Bader, Blanes and Casas, "Computing the
# Matrix Exponential with an Optimized Taylor Polynomial Approximation", 2019): a single
# matrix gets the Taylor polynomial of the lowest degree (1, 2, 4, 8, 12, 18) that its
# 1-norm allows; a batch of several matrices, and matrices of large norm, get degree 18
# with scaling and squaring.
_THETAS = {
    np.dtype(np.float32): (1.192092800768788e-07, 5.978858893805233e-04, 5.116619363445086e-02,
                           5.800524627688768e-01, 1.461661507209034e+00, 3.010066362817634e+00),
    np.dtype(np.float64): (2.220446049250313e-16, 2.580956802971767e-08, 3.397168839976962e-04,
                           4.991228871115323e-02, 2.996158913811580e-01, 1.090863719290036e+00)}

_B12 = ((9.0198e-16, 0.46932117595418237389, -0.20099424927047284052, -0.04623946134063071740),
        (5.31597895759871264183, 1.19926790417132231573, 0.01179296240992997031, 0.01108844528519167989),
        (0.18188869982170434744, 0.05502798439925399070, 0.09351590770535414968, 0.00610700528898058230),
        (-2.0861320e-13, -0.13181061013830184015, -0.02027855540589259079, -0.00675951846863086359))

_B18 = ((0., -1.00365581030144618291e-01, -8.02924648241156932449e-03, -8.92138498045729985177e-04, 0.),
        (0., 3.97849749499645077844e-01, 1.36783778460411720168e+00, 4.98289622525382669416e-01,
         -6.37898194594723280150e-04),
        (-1.09676396052962061844e+01, 1.68015813878906206114e+00, 5.71779846478865511061e-02,
         -6.98210122488052056106e-03, 3.34975017086070470649e-05),
        (-9.04316832390810593223e-02, -6.76404519071381882256e-02, 6.75961301770459654925e-02,
         2.95552570429315521194e-02, -1.39180257516060693404e-05),
        (0., 0., -9.23364619367118555360e-02, -1.69364939002081722752e-02, -1.40086798182036094347e-05))


def _powers(a, count):
    """The first ``count`` of I, A, A^2, A^3, A^6 (for a batch (b, n, n))."""
    n = a.shape[-1]
    out = [np.broadcast_to(np.eye(n, dtype=a.dtype), a.shape), a]
    if count > 2:
        out.append(a @ a)
    if count > 3:
        out.append(a @ out[2])
    if count > 4:
        out.append(out[3] @ out[3])
    return out


def _lincomb(mats, coefs, dtype):
    out = None
    for m, c in zip(mats, coefs):
        term = dtype.type(c) * m
        out = term if out is None else out + term
    return out


def _t1(a):
    I, A = _powers(a, 2)
    return I + A


def _t2(a):
    I, A, A2 = _powers(a, 3)
    return I + A + A2 / 2


def _t4(a):
    dt = a.dtype
    I, A, A2 = _powers(a, 3)
    return I + A + A2 @ _lincomb((I, A, A2), (1 / 2.0, 1 / 6.0, 1 / 24.0), dt)


def _t8(a):
    dt = a.dtype
    sqrt_177 = 0.1330413469565007072504e+2
    x3 = float(dt.type(2. / 3.))
    x1 = x3 * ((1. + sqrt_177) / 88.)
    x2 = x3 * ((1. + sqrt_177) / 352.)
    x4 = (-271. + 29. * sqrt_177) / (315. * x3)
    x5 = (-11. + 11. * sqrt_177) / (1260. * x3)
    x6 = (-99. + 11. * sqrt_177) / (5040. * x3)
    x7 = (89. - sqrt_177) / (5040. * x3)
    y2 = (857. - 58. * sqrt_177) / 630.
    I, A, A2 = _powers(a, 3)
    A4 = A2 @ _lincomb((A, A2), (x1, x2), dt)
    A8 = _lincomb((A2, A4), (x3, 1.0), dt) @ _lincomb((I, A, A2, A4), (x4, x5, x6, x7), dt)
    return _lincomb((I, A, A2, A8), (1.0, 1.0, y2, 1.0), dt)


def _t12(a):
    dt = a.dtype
    As = _powers(a, 4)
    Bs = [_lincomb(As, row, dt) for row in _B12]
    Bs[2] = Bs[2] + Bs[3] @ Bs[3]
    return Bs[0] + (Bs[1] + Bs[2]) @ Bs[2]


def _t18(a):
    dt = a.dtype
    As = _powers(a, 5)
    Bs = [_lincomb(As, row, dt) for row in _B18]
    Bs[3] = Bs[3] + Bs[0] @ Bs[4]
    return Bs[1] + (Bs[2] + Bs[3]) @ Bs[3]


def _t18_scale_square(a, norm, theta):
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.maximum(np.ceil(np.log2(norm / a.dtype.type(theta))), 0)
    s = np.where(np.isfinite(s), s, 0) if not np.all(np.isfinite(s)) else s
    res = _t18(a * np.power(a.dtype.type(2), -s.astype(a.dtype))[:, None, None])
    times = s.astype(np.int64)
    for step in range(int(times.max()) if times.size else 0):
        todo = times > step
        res[todo] = res[todo] @ res[todo]
    return res


def _matrix_exp_forward(a):
    n = a.shape[-1]
    if n == 0:
        return a.copy()
    if n == 1:
        return np.exp(a)
    a3 = a.reshape((-1, n, n))
    thetas = _THETAS[np.dtype(np.float32) if a.dtype == np.float32 else np.dtype(np.float64)]
    with np.errstate(invalid="ignore"):
        norm = np.max(np.sum(np.abs(a3), axis=-2), axis=-1)
    if a3.shape[0] > 1:
        return _t18_scale_square(a3, norm, thetas[-1]).reshape(a.shape)
    res = np.full(a3.shape, np.nan, a.dtype)
    for i, fn in enumerate((_t1, _t2, _t4, _t8, _t12)):
        lower = -1 if i == 0 else thetas[i - 1]
        sel = (lower < norm) & (norm <= thetas[i])
        if sel.any():
            res[sel] = fn(a3[sel])
    sel = norm >= thetas[-2]
    if sel.any():
        res[sel] = _t18_scale_square(a3[sel], norm[sel], thetas[-1])
    return res.reshape(a.shape)


def _matrix_exp_grad(grad, self):
    """PyTorch's linalg_matrix_exp_differential (adjoint): exp of the block matrix
    [[A^T, G], [0, A^T]], whose top-right block is the gradient."""
    A = mT(self)
    n = _shape(self)[-1]
    zeros = np.zeros(_shape(self), _dtype(self))
    meta = _cat([_cat([A, grad], -1), _cat([zeros, A], -1)], -2)
    return _matrix_exp(meta)[..., :n, n:]


_matrix_exp = declare(
    "linalg.matrix_exp", _matrix_exp_forward, node="LinalgMatrixExpBackward0", public=False,
    samples=[sample(T(3, 3, values=[[0.1, 0.3, -0.2], [0.05, -0.1, 0.2], [0.3, 0.1, 0.15]]),
                    call="linalg.matrix_exp"),                                    # degree 12
             sample(T(3, 3, values=[[0.01, 0.03, -0.02], [0.005, -0.01, 0.002], [0.003, 0.001, 0.015]]),
                    call="matrix_exp"),                                           # degree 8
             sample(T(2, 2, values=[[1e-4, -2e-5], [3e-5, 5e-5]]), call="Tensor.matrix_exp"),   # degree 4
             sample(T(3, 3, values=[[1.0, 2.0, -0.5], [-1.5, 0.3, 1.2], [0.7, -2.2, 0.4]]),
                    call="linalg.matrix_exp"),                                    # scaling and squaring
             sample(T(2, 3, 3), call="linalg.matrix_exp"),                         # a batch: degree 18
             sample(T(1, 1), call="linalg.matrix_exp"),
             sample(T(0, 0), call="linalg.matrix_exp")],
    self=_matrix_exp_grad)


def matrix_exp(A):
    from .decomp import _check_square, _check_float
    _check_square(A._data, "linalg.matrix_exp")
    _check_float(A._data, "linalg.matrix_exp")
    return _matrix_exp(A)


FUNCTIONS.update({"linalg.matrix_exp": matrix_exp, "matrix_exp": matrix_exp})
Tensor.matrix_exp = matrix_exp


# ---------------------------------------------------------------- vander
# Composites, built from leafgrad's ops as PyTorch builds them (so their graphs carry the
# same node names: CatBackward0 for linalg.vander, FlipBackward0 / CopySlices for torch.vander).
def linalg_vander(x, *, N=None):
    F = FUNCTIONS
    a = x._data
    if a.dtype.kind not in "fiu":
        raise RuntimeError(f"linalg.vander supports floating point, complex, and integer tensors, but got "
                           f"{_legacy(a.dtype)}")
    x_ = x.unsqueeze(-1) if a.ndim == 0 else x
    shape = list(x_.shape)
    n = shape[-1] if N is None else int(N)
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    result = F["cumprod"](x_.unsqueeze(-1).expand(*shape, n - 1), -1)
    return F["cat"]([result.new_ones(shape + [1]), result], -1)


def vander(x, N=None, increasing=False):
    from .. import _dtype as D
    a = x._data
    if a.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = a.shape[0]
    if N is not None:
        n = int(N)
        if n < 0:
            raise RuntimeError("N must be non-negative.")
    dt = D.promote_types(x.dtype, D.int64)
    result = x.new_empty((a.shape[0], n), dtype=dt)
    if n > 0:
        result.fill_(1)
        if n > 1:
            result[:, 1:].copy_(x.unsqueeze(1))
            result[:, 1:].cumprod_(1)
    return result if increasing else FUNCTIONS["flip"](result, [1])


# ---------------------------------------------------------------- cond
def _cond_ord_str(ord):
    """How PyTorch's message shows ord (std::to_string of the Scalar)."""
    if isinstance(ord, bool) or isinstance(ord, (int, np.integer)):
        return str(int(ord))
    f = float(ord)
    return ("inf" if f > 0 else "-inf") if np.isinf(f) else f"{f:.6f}"


def _cond_helper(A, ord):
    F = FUNCTIONS
    inverse, info = F["linalg.inv_ex"](A)
    info = info.unsqueeze(-1).unsqueeze(-1)
    # in place, as PyTorch: inv_ex saved its output for backward, so a backward through
    # this path raises PyTorch's "modified by an inplace operation" error, as PyTorch's does
    inverse.masked_fill_(info > 0, float("inf"))
    res = F["linalg.matrix_norm"](A, ord) * F["linalg.matrix_norm"](inverse, ord)
    res.nan_to_num_(float("inf"), float("inf"), float("-inf"))
    return res


def _cond_empty(a):
    return wrap(np.zeros(a.shape[:-2], a.dtype if a.dtype.kind == "f" else np.float32))


def cond(A, p=None, *, out=None):
    from .decomp import _check_square, _check_float
    F = FUNCTIONS
    a = A._data
    if isinstance(p, str):
        _check_square(a, f"linalg.cond(ord={p})")
        if p not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
        if a.size == 0:
            return _copy_out(_cond_empty(a), out)
        if p == "nuc":
            # the definition through the singular values (matrix_norm('nuc') of an inverse
            # with infinities would raise)
            _check_float(a, "linalg.svd")
            s = F["linalg.svdvals"](A)
            return _copy_out(s.sum(-1) * s.reciprocal().sum(-1), out)
        _check_float(a, "linalg.inv")
        return _copy_out(_cond_helper(A, p), out)
    if a.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    ord = 2 if p is None else p
    if abs(float(ord)) not in (1.0, 2.0, float("inf")):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {float(ord):g}")
    if a.size == 0:
        return _copy_out(_cond_empty(a), out)
    if abs(float(ord)) == 2.0:
        s = F["linalg.svdvals"](A)
        smax, smin = s[..., :1], s[..., -1:]
        res = smin / smax if float(ord) == -2.0 else smax / smin
        return _copy_out(res.squeeze(-1), out)
    _check_square(a, f"linalg.cond(ord={_cond_ord_str(ord)})")
    _check_float(a, "linalg.inv")
    return _copy_out(_cond_helper(A, ord), out)


# ---------------------------------------------------------------- tensorinv / tensorsolve
_reshape_alias = declare(
    "_reshape_alias", lambda a, shape: a.reshape(shape, copy=False), node="ReshapeAliasBackward0", view=True,
    public=False,
    samples=[sample(T(6, 2, 3, values=np.eye(6).reshape(6, 2, 3) * 2 + np.arange(36).reshape(6, 2, 3) % 5 * 0.1),
                    ind=1, call="linalg.tensorinv"),
             sample(T(2, 3, 3, 2, values=np.eye(6).reshape(2, 3, 3, 2) * 3 + np.arange(36).reshape(2, 3, 3, 2) % 7
                      * 0.1), call="linalg.tensorinv")],
    self=lambda grad, self_shape: grad.reshape(self_shape))


def tensorinv(A, ind=2, *, out=None):
    from .decomp import _check_float, _singular_error, _lu_info
    a = A._data
    ind = int(ind)
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    end, start = list(a.shape[ind:]), list(a.shape[:ind])
    p_end, p_start = int(np.prod(end, dtype=np.int64)), int(np.prod(start, dtype=np.int64))
    if p_end != p_start:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {p_end} != {p_start}")
    _check_float(a, "linalg.inv")
    m = A.reshape(p_end, p_end)
    if m._data.size and _lu_info(m._data).any():
        raise _singular_error(m._data, "inv")
    if not p_end:   # (an empty inverse is reshaped as a plain view, as PyTorch's)
        return _copy_out(FUNCTIONS["linalg.inv"](m).reshape(end + start), out)
    inverse = FUNCTIONS["linalg.inv_ex"](m)[0]
    return _copy_out(_reshape_alias(inverse, shape=tuple(end + start)), out)


def tensorsolve(A, B, dims=None, *, out=None):
    a, b = A._data, B._data
    nd = a.ndim
    A_ = A
    if dims is not None:
        if not isinstance(dims, (tuple, list)):
            raise TypeError(f"linalg_tensorsolve(): argument 'dims' must be tuple of ints, not {type(dims).__name__}")
        dims = list(dims)
        A_ = FUNCTIONS["movedim"](A_, dims, list(range(nd - len(dims), nd)))
    result_shape = list(A_.shape[b.ndim:])
    rp = int(np.prod(result_shape, dtype=np.int64))
    op = int(np.prod(b.shape, dtype=np.int64))
    if rp != op:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
                           f"prod(self.shape[:other.ndim]), but got {rp} != {op}")
    res = FUNCTIONS["linalg.solve"](A_.reshape(rp, rp), B.flatten())
    return _copy_out(res.reshape(result_shape), out)


FUNCTIONS.update({"linalg.vander": linalg_vander, "vander": vander, "linalg.cond": cond,
                  "linalg.tensorinv": tensorinv, "linalg.tensorsolve": tensorsolve})
