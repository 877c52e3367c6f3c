"""torch.linalg decompositions and solvers: inv, det, slogdet, solve, cholesky, qr, eigh,
eigvalsh, svd, svdvals, pinv, lstsq, matrix_rank, norm.

Derivatives follow PyTorch's (FunctionsManual.cpp): each formula is written with
matrix products, transposes and the primitives of this module and ``matrix.py``, so it
runs on arrays in a plain backward and on Tensors (differentiably) with
``create_graph=True``.

Ops that return several tensors give named tuples (``leafgrad.return_types``);
``linalg.norm`` dispatches to stats.py's ``linalg.vector_norm`` / ``linalg.matrix_norm``."""
import builtins

import math

import numpy as np

from ._declare import declare, FUNCTIONS
from ._samples import T, sample
from .stats import _arr, vector_norm, matrix_norm, svd_, svdvals_, _SVD_SQ, _QR_SQ, _QR_TALL, _QR_WIDE
from .matrix import _copy_out, mT, _tril, _triu, _diagonal, _diag_embed, _legacy
from .._tensor import Tensor, wrap
from .. import return_types


def _shape(x):
    return tuple(x.shape) if isinstance(x, Tensor) else np.shape(x)


def _ndim(x):
    return x._data.ndim if isinstance(x, Tensor) else np.ndim(x)


class _LinAlgError(RuntimeError):
    """PyTorch's ``torch.linalg.LinAlgError`` (its class is named ``_LinAlgError``)."""


# ---------------------------------------------------------------- checks
def _check_square(a, name, arg="A"):
    if a.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {arg} must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{name}: {arg} must be batches of square matrices, but they are {a.shape[-2]} by "
                           f"{a.shape[-1]} matrices")


def _check_float(a, name):
    if a.dtype.kind != "f":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {_legacy(a.dtype)}")


def _check_matrix(a, name, arg="A"):
    if a.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {arg} must have at least 2 dimensions.")


def _batch_prefix(a, i):
    return f"(Batch element {i}): " if a.ndim > 2 else ""


def _first_zero_pivot(m):
    """1-based index of the first zero pivot of LU with partial pivoting (LAPACK's getrf info)."""
    m = np.array(m, dtype=np.float64)
    n = m.shape[0]
    for k in range(n):
        p = k + int(np.argmax(np.abs(m[k:, k])))
        if m[p, k] == 0:
            return k + 1
        m[[k, p]] = m[[p, k]]
        m[k + 1:, k] /= m[k, k]
        m[k + 1:, k + 1:] -= np.outer(m[k + 1:, k], m[k, k + 1:])
    return n


def _singular_error(a, name):
    info = _lu_info(a).reshape(-1)
    for i in np.flatnonzero(info)[:1]:
        return _LinAlgError(f"{name}: {_batch_prefix(a, i)}The diagonal element {info[i]} is zero, the inversion "
                            "could not be completed because the input matrix is singular.")
    return _LinAlgError(f"{name}: The input matrix is singular.")


# ---------------------------------------------------------------- inv / det / slogdet
def _inv_forward(a, check_errors=True, name="linalg.inv"):
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        if check_errors:
            raise _singular_error(a, name) from None
    return _per_matrix(np.linalg.inv, a, a.shape)


def _per_matrix(fn, a, out_shape, b=None):
    """``fn`` on each matrix of a batch, NaN where it fails (the ``_ex`` functions)."""
    out = np.full(out_shape, np.nan, a.dtype)
    flat_out = out.reshape((-1,) + out_shape[a.ndim - 2:])
    fa = a.reshape((math.prod(a.shape[:-2]),) + a.shape[-2:])   # (-1 cannot reshape 0x0 matrices)
    fb = None if b is None else np.broadcast_to(b, out_shape[:a.ndim - 2] + b.shape[a.ndim - 2:]).reshape(
        (len(fa),) + b.shape[a.ndim - 2:])
    for i, m in enumerate(fa):
        try:
            flat_out[i] = fn(m) if fb is None else fn(m, fb[i])
        except np.linalg.LinAlgError:
            pass
    return out


def _lu_info(a):
    """PyTorch's ``info`` of an LU factorization per matrix (int32, 0 when invertible)."""
    fa = a.reshape((math.prod(a.shape[:-2]),) + a.shape[-2:])   # (-1 cannot reshape 0x0 matrices)
    info = np.zeros(len(fa), np.int32)
    for i, m in enumerate(fa):
        try:
            np.linalg.inv(m)
        except np.linalg.LinAlgError:
            info[i] = _first_zero_pivot(m)
    return info.reshape(a.shape[:-2])


def _chol_info(a):
    """PyTorch's ``info`` of a Cholesky factorization per matrix (int32): the order of the
    first leading minor that is not positive-definite, 0 when there is none."""
    fa = a.reshape((math.prod(a.shape[:-2]),) + a.shape[-2:])   # (-1 cannot reshape 0x0 matrices)
    info = np.zeros(len(fa), np.int32)
    for i, m in enumerate(fa):
        try:
            np.linalg.cholesky(m)
        except np.linalg.LinAlgError:
            for k in range(1, m.shape[-1] + 1):
                try:
                    np.linalg.cholesky(m[:k, :k])
                except np.linalg.LinAlgError:
                    info[i] = k
                    break
    return info.reshape(a.shape[:-2])


#: A batch of two well-conditioned 3x3 matrices (diagonally dominant).
_WELL_B = [[[4.2, 0.3, -0.4], [-0.1, 3.7, 0.2], [0.45, -0.25, 4.1]],
           [[3.8, -0.35, 0.15], [0.05, 4.3, -0.45], [-0.2, 0.4, 3.9]]]

_inv = declare("linalg.inv", _inv_forward, node="LinalgInvExBackward0", public=False,
               samples=[sample(T(3, 3, values=[[3.0, 1, 0.5], [0.2, 2, -1], [1, 0.3, 4]]), call="linalg.inv"),
                        sample(T(2, 3, 3, values=_WELL_B), call="linalg.inv"),
                        sample(T(2, 2, values=[[2.0, 1], [1, 3]]), call="inverse"),
                        sample(T(0, 0), call="linalg.inv")],
               self=lambda grad, result: -(mT(result) @ (grad @ mT(result))))


def inv(A, *, out=None):
    a = A._data
    _check_square(a, "linalg.inv")
    _check_float(a, "linalg.inv")
    return _copy_out(_inv(A), out)


def _mat_expand(x):
    return np.expand_dims(np.expand_dims(x, -1), -1)


def _det_forward(a):
    return np.linalg.det(a)


_det = declare("linalg.det", _det_forward, node="LinalgDetBackward0", public=False,
               samples=[sample(T(3, 3, values=[[3.0, 1, 0.5], [0.2, 2, -1], [1, 0.3, 4]]), call="linalg.det"),
                        sample(T(2, 2, values=[[1.0, 2], [3, 1]]), call="det"),
                        sample(T(2, 3, 3, values=_WELL_B), call="linalg.det")],
               self=lambda grad, self, result: _det_grad(grad, self, result))


def _det_grad(grad, self, result):
    # det * A^{-T}; an exactly singular A (det == 0) gets zeros, as PyTorch's LU path gives.
    if np.all(_arr(result) != 0):
        return _mat_expand(grad * result) * mT(_inv(self))
    return _mat_expand(grad * result) * mT(_pinv(self))


def det(A, *, out=None):
    _check_square(A._data, "linalg.det")
    _check_float(A._data, "linalg.det")
    return _copy_out(_det(A), out)


def _slogdet_forward(a, _tuple=True):
    # ``_tuple``: a parameter keeps calls off make_function's one-input hot path, which
    # turns a tuple result into one array.
    s, l = np.linalg.slogdet(a)
    return np.asarray(s, a.dtype), np.asarray(l, a.dtype)


_slogdet = declare("linalg.slogdet", _slogdet_forward, node="LinalgSlogdetBackward0", public=False,
                   outputs=("sign", "logabsdet"),
                   samples=[sample(T(3, 3, values=[[-3.0, 1, 0.5], [0.2, 2, -1], [1, 0.3, 4]]),
                                   call="linalg.slogdet"),
                            sample(T(2, 3, 3, values=_WELL_B), call="linalg.slogdet")],
                   self=lambda grads, self: _mat_expand(grads[1]) * mT(_inv(self)))


def slogdet(A, *, out=None):
    _check_square(A._data, "linalg.slogdet")
    _check_float(A._data, "linalg.slogdet")
    return return_types.linalg_slogdet(_slogdet(A, _tuple=True))


def pinverse(input, rcond=1e-15):
    return pinv(input, rtol=rcond)


def _torch_slogdet(input):
    _check_square(input._data, "linalg.slogdet")
    _check_float(input._data, "linalg.slogdet")
    return return_types.slogdet(_slogdet(input, _tuple=True))


# ---------------------------------------------------------------- solve
def _is_vector_rhs(a_shape, b_shape):
    return len(b_shape) == 1 or (len(b_shape) == len(a_shape) - 1 and tuple(b_shape) == tuple(a_shape[:-1]))


def _solve_forward(a, b, left=True, vector=False, check_errors=True):
    if not left:
        a = np.swapaxes(a, -1, -2)
        b = np.swapaxes(b, -1, -2)
    bm = b[..., None] if vector else b
    try:
        out = np.linalg.solve(a, bm)
    except np.linalg.LinAlgError:
        if check_errors:
            raise _LinAlgError("torch.linalg.solve: The solver failed because the input matrix is singular.") \
                from None
        batch = np.broadcast_shapes(a.shape[:-2], bm.shape[:-2])
        ab = np.broadcast_to(a, batch + a.shape[-2:])
        out = _per_matrix(np.linalg.solve, ab, batch + bm.shape[-2:], bm)
    return out[..., 0] if vector else out


def _solve_back_fwd(a, b, left, vector, check_errors=True):
    out = _solve_forward(a, b, left, vector, check_errors)
    return np.swapaxes(out, -1, -2) if not left else out


def _solve_grads(grad, A, result, left=True, vector=False):
    # AX = B: gB = A^{-T} gX, gA = -gB X^T.  XA = B: gB = gX A^{-T}, gA = -X^T gB.
    gB = _solve_t(mT(A), grad, left=left, vector=vector)
    if vector:
        gA = -(np.expand_dims(gB, -1) * np.expand_dims(result, -2))
    elif left:
        gA = -(gB @ mT(result))
    else:
        gA = -(mT(result) @ gB)
    return gA, gB


_solve = declare(
    "linalg.solve", lambda a, b, left=True, vector=False, check_errors=True: _solve_back_fwd(a, b, left, vector,
                                                                                          check_errors),
    inputs=("A", "B"), node="LinalgSolveExBackward0", public=False,
    samples=[sample(T(3, 3, values=[[3.0, 1, 0.5], [0.2, 2, -1], [1, 0.3, 4]]), T(3, 2), call="linalg.solve"),
             sample(T(3, 3, values=[[3.0, 1, 0.5], [0.2, 2, -1], [1, 0.3, 4]]), T(3), call="linalg.solve"),
             sample(T(2, 3, 3, values=np.eye(3) * 3 + np.arange(18).reshape(2, 3, 3) % 5 * 0.1), T(3, 4),
                    call="linalg.solve"),
             sample(T(2, 3, 3, values=np.eye(3) * 3 + np.arange(18).reshape(2, 3, 3) % 4 * 0.2), T(2, 3),
                    call="linalg.solve"),
             sample(T(3, 3, values=[[3.0, 1, 0.5], [0.2, 2, -1], [1, 0.3, 4]]), T(2, 3), left=False,
                    call="linalg.solve")],
    )
# one formula for both inputs (keyed by the pair, as PyTorch's "A, B: ..." entries)
_solve.spec.formulas[("A", "B")] = lambda grad, A, result, left=True, vector=False: _solve_grads(
    grad, A, result, left, vector)


def _solve_t(a, b, left=True, vector=False):
    return _solve(a, b, left=left, vector=vector)


def solve(A, B, *, left=True, out=None):
    return _copy_out(_solve_checked(A, B, left), out)


def _solve_checked(A, B, left, check_errors=True):
    a, b = A._data, B._data
    _check_square(a, "linalg.solve")
    _check_float(a, "linalg.solve")
    if a.dtype != b.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{_legacy(a.dtype)} and B of type {_legacy(b.dtype)} instead")
    vector = left and _is_vector_rhs(a.shape, b.shape)
    n = a.shape[-1]
    if vector:
        if b.shape[-1] != n:
            raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                               f"({n}x{n} and {b.shape[-1]}x1)")
    else:
        if b.ndim < 2:
            raise RuntimeError("linalg.solve: The input tensor B must have at least 2 dimensions.")
        k = b.shape[-2] if left else b.shape[-1]
        if k != n:
            eq = "AX = B" if left else "XA = B"
            raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation {eq} "
                               f"({n}x{n} and {b.shape[-2]}x{b.shape[-1]})")
    if not check_errors:
        return _solve(A, B, left=left, vector=vector, check_errors=False), vector
    return _solve(A, B, left=left, vector=vector)


# ---------------------------------------------------------------- cholesky
def _not_pd(a, name):
    info = _chol_info(a).reshape(-1)
    for i in np.flatnonzero(info)[:1]:
        return _LinAlgError(f"{name}: {_batch_prefix(a, i)}The factorization could not be completed because the "
                            f"input is not positive-definite (the leading minor of order {info[i]} is not "
                            "positive-definite).")


def _cholesky_forward(a, upper=False, check_errors=True, name="linalg.cholesky"):
    try:
        return np.linalg.cholesky(a, upper=upper)
    except np.linalg.LinAlgError:
        if check_errors:
            raise _not_pd(a, name) from None
    return _per_matrix(lambda m: np.linalg.cholesky(m, upper=upper), a, a.shape)


def _cholesky_grad(grad, result, upper=False):
    L, gL = (mT(result), mT(grad)) if upper else (result, grad)
    phi = mT(L) @ gL
    phi = _tril(phi, diagonal=0)
    nd = _ndim(phi)
    phi = phi - 0.5 * _diag_embed(_diagonal(phi, offset=0, dim1=nd - 2, dim2=nd - 1),
                                  offset=0, dim1=nd - 2, dim2=nd - 1)
    Linv = _inv(L)
    gA = mT(Linv) @ (phi @ Linv)
    return 0.5 * (gA + mT(gA))


_SPD3 = [[4.0, 1.0, 0.5], [1.0, 3.0, -0.4], [0.5, -0.4, 2.5]]
_SPD_B = [[[2.0, 0.3], [0.3, 1.0]], [[5.0, -1.0], [-1.0, 2.0]]]

_cholesky = declare("linalg.cholesky", _cholesky_forward, node="LinalgCholeskyExBackward0", public=False,
                    samples=[sample(T(3, 3, values=_SPD3), call="linalg.cholesky", smooth=False),
                             sample(T(3, 3, values=_SPD3), upper=True, call="linalg.cholesky", smooth=False),
                             sample(T(2, 2, 2, values=_SPD_B), call="linalg.cholesky", smooth=False)],
                    self=_cholesky_grad)


def cholesky(A, *, upper=False, out=None):
    _check_square(A._data, "linalg.cholesky")
    _check_float(A._data, "linalg.cholesky")
    return _copy_out(_cholesky(A, upper=bool(upper)), out)


# ---------------------------------------------------------------- qr
def _qr_forward(a, mode="reduced"):
    if a.size == 0 or mode == "r":
        q, r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced") if a.size else (
            np.zeros(a.shape[:-1] + ((a.shape[-2] if mode == "complete" else builtins.min(a.shape[-2:])),),
                     a.dtype),
            np.zeros(a.shape[:-2] + ((a.shape[-2] if mode == "complete" else builtins.min(a.shape[-2:])),
                                     a.shape[-1]), a.dtype))
        if mode == "r":
            return np.zeros((0,), a.dtype), np.triu(r)
        return q, r
    q, r = np.linalg.qr(a, mode=mode)
    return q, r


def _copyltu(M):
    low = _tril(M, diagonal=-1)
    return _tril(M, diagonal=0) + mT(low)


def _qr_grad(grads, Q, R, self_shape, mode="reduced"):
    if mode == "r":
        raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please "
                           "use linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr.")
    m, n = self_shape[-2], self_shape[-1]
    if mode == "complete" and m > n:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
    gQ, gR = grads
    if m >= n:
        M = R @ mT(gR) - mT(gQ) @ Q
        return (gQ + Q @ _copyltu(M)) @ mT(_inv(R))
    # A = Q [X | Y]: R = [U | V] with U square; X = Q U, Y = Q V
    U = R[..., :, :m]
    gU, gV = gR[..., :, :m], gR[..., :, m:]
    gQ2 = gQ + (Q @ R[..., :, m:]) @ mT(gV)   # Y = Q V also depends on Q
    M = U @ mT(gU) - mT(gQ2) @ Q
    gX = (gQ2 + Q @ _copyltu(M)) @ mT(_inv(U))
    gY = Q @ gV
    return _concat_last(gX, gY)


def _concat_last(a, b):
    return np.concatenate([a, b], axis=-1)


_qr = declare("linalg.qr", _qr_forward, node="LinalgQrBackward0", public=False, outputs=("Q", "R"),
              samples=[sample(T(3, 3, values=_QR_SQ), call="linalg.qr"),
                       sample(T(4, 3, values=_QR_TALL), call="linalg.qr"),
                       sample(T(3, 4, values=_QR_WIDE), call="linalg.qr"),
                       sample(T(3, 4, values=_QR_WIDE), mode="complete", call="linalg.qr"),
                       sample(T(2, 3, 3, values=[_QR_SQ, np.array(_QR_SQ).T.tolist()]), call="linalg.qr")],
              self=_qr_grad)


def qr(A, mode="reduced", *, out=None):
    _check_matrix(A._data, "linalg.qr")
    _check_float(A._data, "linalg.qr")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', "
                           "or 'complete'")
    return return_types.linalg_qr(_qr(A, mode=mode))


# ---------------------------------------------------------------- eigh / eigvalsh
def _eigh_forward(a, UPLO="L"):
    # PyTorch's LAPACK call reads one triangle; NumPy's reads the other of the transposed
    # (row-major) copy: symmetrise from PyTorch's triangle and ask NumPy for the opposite.
    if UPLO == "L":
        low = np.tril(a)
        s = low + np.swapaxes(np.tril(a, -1), -1, -2)
        w, v = np.linalg.eigh(s, UPLO="U")
    else:
        s = np.triu(a) + np.swapaxes(np.triu(a, 1), -1, -2)
        w, v = np.linalg.eigh(s, UPLO="L")
    return w.astype(a.dtype, copy=False), v.astype(a.dtype, copy=False)


def _eigh_grad(grads, eigenvalues, eigenvectors):
    gL, gV = grads
    L, V = eigenvalues, eigenvectors
    VhgV = mT(V) @ gV
    VhgV = 0.5 * (VhgV - mT(VhgV))
    n = _shape(L)[-1]
    E = np.expand_dims(L, -2) - np.expand_dims(L, -1)
    eye = np.eye(n, dtype=_np_dtype(L))
    E = E + eye
    inner = VhgV / E + _diag_embed(gL, offset=0, dim1=_ndim(gL) - 1, dim2=_ndim(gL))
    return V @ (inner @ mT(V))


def _np_dtype(x):
    return x._data.dtype if isinstance(x, Tensor) else x.dtype


#: An SPD matrix whose eigenvector signs NumPy's and PyTorch's LAPACK calls agree on
#: (they need not: eigenvectors are only defined up to sign).
_SPD3_EIGH = [[3.3, -0.22, -0.25], [-0.22, 3.01, 0.69], [-0.25, 0.69, 2.54]]
_eigh = declare("linalg.eigh", _eigh_forward, node="LinalgEighBackward0", public=False,
                outputs=("eigenvalues", "eigenvectors"),
                samples=[sample(T(3, 3, values=_SPD3_EIGH), call="linalg.eigh", smooth=False),
                         sample(T(2, 2, 2, values=_SPD_B), UPLO="U", call="linalg.eigh", smooth=False),
                         sample(T(3, 3, values=_SPD3), call="linalg.eigvalsh", smooth=False),
                         sample(T(2, 2, 2, values=_SPD_B), UPLO="U", call="linalg.eigvalsh", smooth=False)],
                self=_eigh_grad)


def _check_eigh_dtype(a):
    if a.dtype.kind != "f":
        raise NotImplementedError(f'"linalg_eigh_cpu" not implemented for \'{_legacy(a.dtype)}\'')


def _uplo(UPLO):
    if UPLO not in ("L", "U", "l", "u"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO.upper()


def eigh(A, UPLO="L", *, out=None):
    _check_square(A._data, "linalg.eigh")
    _check_eigh_dtype(A._data)
    return return_types.linalg_eigh(_eigh(A, UPLO=_uplo(UPLO)))


def eigvalsh(A, UPLO="L", *, out=None):
    _check_square(A._data, "linalg.eigh")
    _check_eigh_dtype(A._data)
    return _copy_out(_eigh(A, UPLO=_uplo(UPLO))[0], out)


# ---------------------------------------------------------------- svd / svdvals
def svd(A, full_matrices=True, *, driver=None, out=None):
    _check_matrix(A._data, "linalg.svd")
    _check_float(A._data, "linalg.svd")
    return return_types.linalg_svd(svd_(A, full_matrices=bool(full_matrices)))


def svdvals(A, *, driver=None, out=None):
    _check_matrix(A._data, "linalg.svd")
    _check_float(A._data, "linalg.svd")
    return _copy_out(svdvals_(A), out)


# ---------------------------------------------------------------- pinv / lstsq / matrix_rank
def _tolerances(a, atol, rtol, smax):
    m, n = a.shape[-2:]
    if rtol is None:
        rtol = 0.0 if atol is not None and np.any(np.asarray(atol) > 0) else np.finfo(a.dtype).eps * builtins.max(m, n)
    atol = 0.0 if atol is None else atol
    return np.maximum(np.asarray(atol, dtype=a.dtype), np.asarray(rtol, dtype=a.dtype) * smax)


def _pinv_forward(a, atol=None, rtol=None, hermitian=False):
    m, n = a.shape[-2:]
    if a.size == 0:
        return np.zeros(a.shape[:-2] + (n, m), a.dtype)
    if hermitian:
        w, v = np.linalg.eigh(a)
        smax = np.max(np.abs(w), axis=-1, keepdims=True)
        tol = _tolerances(a, atol, rtol, smax)
        keep = np.abs(w) > tol
        inv_w = np.where(keep, 1 / np.where(keep, w, 1), 0).astype(a.dtype)
        return (v * np.expand_dims(inv_w, -2)) @ np.swapaxes(v, -1, -2)
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    smax = s[..., :1]
    tol = _tolerances(a, atol, rtol, smax)
    keep = s > tol
    inv_s = np.where(keep, 1 / np.where(keep, s, 1), 0).astype(a.dtype)
    return (np.swapaxes(vh, -1, -2) * np.expand_dims(inv_s, -2)) @ np.swapaxes(u, -1, -2)


def _pinv_grad(grad, self, result):
    m, n = _shape(self)[-2:]
    A, P = self, result
    Ph, gh = mT(P), mT(grad)
    if m <= n:
        K = gh @ P
        KPh = K @ Ph
        return -mT(P @ K) + KPh - (A @ P) @ KPh + (Ph @ P) @ (gh - K @ A)
    K = P @ gh
    PhK = Ph @ K
    return -mT(K @ P) + (gh - A @ K) @ (P @ Ph) + PhK - (PhK @ P) @ A


_pinv = declare("linalg.pinv", _pinv_forward, node="LinalgPinvBackward0", public=False,
                samples=[sample(T(3, 3, values=_SVD_SQ), call="linalg.pinv"),
                         sample(T(4, 3, values=_QR_TALL), call="linalg.pinv"),
                         sample(T(3, 4, values=_QR_WIDE), call="linalg.pinv"),
                         sample(T(2, 3, 4), call="linalg.pinv"),
                         sample(T(3, 3, values=_SPD3), hermitian=True, call="linalg.pinv", smooth=False),
                         sample(T(3, 3, values=_SVD_SQ), rtol=0.5, call="linalg.pinv", smooth=False)],
                self=_pinv_grad)


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):
    a = A._data
    if a.ndim < 2 or a.dtype.kind != "f":
        raise RuntimeError(f"linalg.pinv({_legacy(a.dtype)}{{{list(a.shape)}}}): expected a tensor with 2 or more "
                           "dimensions of float, double, cfloat or cdouble types")
    kw = {}
    if atol is not None:
        kw["atol"] = float(atol) if not isinstance(atol, Tensor) else atol._data
    if rtol is not None:
        kw["rtol"] = float(rtol) if not isinstance(rtol, Tensor) else rtol._data
    if hermitian:
        kw["hermitian"] = True
    return _copy_out(_pinv(A, **kw), out)


def _gelsy_one(a, b, rcond):
    """LAPACK gelsy on one matrix: QR with column pivoting, the rank as the largest
    leading block of R whose condition stays below 1/rcond, then the minimum-norm
    solution of the truncated system. Returns (solution, rank)."""
    m, n = a.shape
    r = np.array(a, dtype=np.float64)
    q = np.eye(m)
    perm = np.arange(n)
    k = builtins.min(m, n)
    for j in range(k):
        norms = np.linalg.norm(r[j:, j:], axis=0)
        p = j + int(np.argmax(norms))
        if p != j:
            r[:, [j, p]] = r[:, [p, j]]
            perm[[j, p]] = perm[[p, j]]
        x = r[j:, j].copy()
        alpha = np.linalg.norm(x)
        if alpha == 0:
            continue
        v = x
        v[0] += np.copysign(alpha, x[0])
        v /= np.linalg.norm(v)
        r[j:, :] -= 2.0 * np.outer(v, v @ r[j:, :])
        q[:, j:] -= 2.0 * np.outer(q[:, j:] @ v, v)
    # The condition number of R's leading j x j block grows with j (singular values
    # interlace): the rank is the largest j whose block stays below 1/rcond.
    def ok(j):
        sv = np.linalg.svd(r[:j, :j], compute_uv=False)
        return sv[-1] > rcond * sv[0]
    rank = 0
    if k and r[0, 0] != 0 and ok(k):
        rank = k
    elif k and r[0, 0] != 0:
        lo, hi = 1, k - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if ok(mid):
                lo = mid
            else:
                hi = mid - 1
        rank = lo
    c = q.T @ b
    x = np.zeros((n,) + b.shape[1:])
    if rank:
        x[perm] = np.linalg.pinv(r[:rank, :]) @ c[:rank]
    return x.astype(a.dtype), rank


def _lstsq_forward(a, b, rcond=None, driver="gelsy", vector=False):
    if vector:
        b = b[..., None]
    m, n = a.shape[-2:]
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    if rcond is None:
        rcond = np.finfo(a.dtype).eps * builtins.max(m, n)
    gelsy = driver == "gelsy" and a.size and b.size
    if gelsy:
        s = None
    else:
        s = np.linalg.svd(a, compute_uv=False) if a.size else np.zeros(a.shape[:-2] + (0,), a.dtype)
        smax = s[..., :1] if s.shape[-1] else np.zeros(s.shape[:-1] + (1,), a.dtype)
        rank = np.sum(s > rcond * smax, axis=-1).astype(np.int64) if s.shape[-1] else \
            np.zeros(s.shape[:-1], np.int64)
    if gelsy:
        ab = np.broadcast_to(a, batch + a.shape[-2:]).reshape((-1,) + a.shape[-2:])
        bb = np.broadcast_to(b, batch + b.shape[-2:]).reshape((-1,) + b.shape[-2:])
        sols = [_gelsy_one(x, y, rcond) for x, y in zip(ab, bb)]
        x = np.stack([s_[0] for s_ in sols]).reshape(batch + (n, b.shape[-1]))
        rank = np.array([s_[1] for s_ in sols], np.int64).reshape(batch)
    else:
        x = (_pinv_forward(a, rtol=rcond) @ b).astype(a.dtype, copy=False)
    empty = np.zeros((0,), a.dtype)
    res = empty
    if driver in ("gelsd", "gelss", "gels") and m > n and np.all(rank == n):
        r = a @ x - b
        res = np.sum(r * r, axis=-2).astype(a.dtype)  # (..., 1) for a vector B too, as PyTorch
    sv = s.astype(a.dtype) if driver in ("gelsd", "gelss") else empty
    if driver == "gels":
        rank = np.zeros((0,), np.int64)
    else:
        rank = np.broadcast_to(rank, batch).copy()
    return (x[..., 0] if vector else x), res, rank, sv


def _lstsq_grads(grads, self, b, solution, vector=False):
    gX, gR = grads[0], grads[1]
    X = solution
    if vector:
        gX, b, X = np.expand_dims(gX, -1), np.expand_dims(b, -1), np.expand_dims(X, -1)
    P = _pinv(self)
    gA = _pinv_grad(gX @ mT(b), self, P)
    gB = mT(P) @ gX
    if _shape(gR) != (0,):
        # residuals = sum over rows of (A X - B)^2; at the optimum A^T (A X - B) = 0
        Rg = (self @ X - b) * (2 * np.expand_dims(gR, -2))
        gA = gA + Rg @ mT(X)
        gB = gB - Rg
    if vector:
        gB = gB[..., 0]
    return gA, gB


_lstsq = declare("linalg.lstsq", _lstsq_forward, inputs=("self", "b"), node="LinalgLstsqBackward0", public=False,
                 outputs=("solution", "residuals", "rank", "singular_values"),
                 samples=[sample(T(4, 3, values=_QR_TALL), T(4, 2), call="linalg.lstsq"),
                          sample(T(3, 4, values=_QR_WIDE), T(3, 2), call="linalg.lstsq"),
                          sample(T(3, 3, values=_SVD_SQ), T(3, 1), driver="gelsd", call="linalg.lstsq"),
                          sample(T(4, 3, values=_QR_TALL), T(4, 2), driver="gelsd", call="linalg.lstsq"),
                          sample(T(4, 3, values=_QR_TALL), T(4), driver="gelss", call="linalg.lstsq")],
                 )
_lstsq.spec.formulas[("self", "b")] = _lstsq_grads


def lstsq(A, B, rcond=None, *, driver=None):
    a, b = A._data, B._data
    if a.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if b.ndim < 1:
        raise RuntimeError("torch.linalg.lstsq: other must have at least 1 dimension.")
    _check_float(a, "torch.linalg.lstsq")
    if a.dtype != b.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got "
                           f"input's dtype {_legacy(a.dtype)} and other's dtype {_legacy(b.dtype)}")
    vector = b.ndim == a.ndim - 1
    if (b.shape[-1] if vector else b.shape[-2]) != a.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    driver = driver or "gelsy"
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    x, res, rank, sv = _lstsq(A, B, rcond=rcond, driver=driver, vector=vector)
    return return_types.linalg_lstsq((x, res, rank, sv.detach()))


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None, out=None):
    a = A._data
    if a.ndim < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at least 2 dimensions.")
    if a.dtype.kind != "f":
        raise RuntimeError("This function doesn't handle types other than float and double")
    if tol is not None:
        atol, rtol = tol, 0.0
    if a.size == 0:
        return wrap(np.zeros(a.shape[:-2], np.int64))
    if hermitian:
        s = np.abs(np.linalg.eigvalsh(a))
        smax = np.max(s, axis=-1, keepdims=True)
    else:
        s = np.linalg.svd(a, compute_uv=False)
        smax = s[..., :1]
    atol = atol._data if isinstance(atol, Tensor) else atol
    rtol = rtol._data if isinstance(rtol, Tensor) else rtol
    t = _tolerances(a, atol, rtol, smax)
    return _copy_out(wrap(np.sum(s > t, axis=-1).astype(np.int64)), out)


# ---------------------------------------------------------------- norms
def norm(A, ord=None, dim=None, keepdim=False, *, out=None, dtype=None):
    nd = A.dim()
    if dtype is None and A._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{_legacy(A._data.dtype)}")
    if dtype is not None:
        if A._data.dtype.kind == "f" and np.dtype(dtype.np).itemsize < A._data.dtype.itemsize:
            raise RuntimeError(f"linalg.vector_norm: the dtype of the input ({_legacy(A._data.dtype)}) should be "
                               f"convertible without narrowing to the specified dtype ({_legacy(dtype.np)})")
        A = A.to(dtype)
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 1:
            res = vector_norm(A, 2 if ord is None else ord, dims, keepdim)
        elif len(dims) == 2:
            res = matrix_norm(A, "fro" if ord is None else ord, dims, keepdim)
        else:
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dims)}")
    elif ord is None:
        res = vector_norm(A, 2, None, keepdim)
    else:
        if nd not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                               f"Got {nd}D.")
        res = vector_norm(A, ord, None, keepdim) if nd == 1 else matrix_norm(A, ord, (-2, -1), keepdim)
    return _copy_out(res, out)


# ---------------------------------------------------------------- solve_triangular
def _tri_operand(a, upper, unitriangular):
    t = np.triu(a) if upper else np.tril(a)
    if unitriangular:
        t = t.copy()
        idx = np.arange(a.shape[-1])
        t[..., idx, idx] = 1
    return t


def _solve_triangular_forward(a, b, upper, left=True, unitriangular=False):
    t = _tri_operand(a, upper, unitriangular)
    if not left:
        t, b = np.swapaxes(t, -1, -2), np.swapaxes(b, -1, -2)
    try:
        x = np.linalg.solve(t, b)
    except np.linalg.LinAlgError:
        # a zero on the diagonal: substitute as trsm does, giving infs and NaNs
        x = _substitute(t, b, upper if left else not upper)
    return np.swapaxes(x, -1, -2) if not left else x


def _substitute(t, b, upper):
    n = t.shape[-1]
    batch = np.broadcast_shapes(t.shape[:-2], b.shape[:-2])
    t = np.broadcast_to(t, batch + t.shape[-2:])
    x = np.zeros(batch + b.shape[-2:], np.result_type(t, b))
    b = np.broadcast_to(b, x.shape)
    order = range(n - 1, -1, -1) if upper else range(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in order:
            rest = slice(i + 1, n) if upper else slice(0, i)
            acc = b[..., i, :] - np.einsum("...j,...jk->...k", t[..., i, rest], x[..., rest, :])
            x[..., i, :] = acc / t[..., i, i:i + 1]
    return x


def _solve_triangular_grads(grad, self, result, upper, left=True, unitriangular=False):
    gB = _solve_tri(mT(self), grad, upper=not upper, left=left, unitriangular=unitriangular)
    gA = -(gB @ mT(result)) if left else -(mT(result) @ gB)
    k = 1 if unitriangular else 0
    gA = _triu(gA, diagonal=k) if upper else _tril(gA, diagonal=-k)
    return gA, gB


_U3 = [[2.0, 0.5, -1.0], [0.0, 1.5, 0.3], [0.0, 0.0, 3.0]]
_solve_tri = declare(
    "linalg.solve_triangular", _solve_triangular_forward, inputs=("self", "B"),
    node="LinalgSolveTriangularBackward0", public=False,
    samples=[sample(T(3, 3, values=_U3), T(3, 2), upper=True, call="linalg.solve_triangular"),
             sample(T(3, 3, values=np.array(_U3).T.tolist()), T(2, 3), upper=False, left=False,
                    call="linalg.solve_triangular"),
             sample(T(3, 3, values=_U3), T(2, 3, 2), upper=True, unitriangular=True, call="linalg.solve_triangular")])
_solve_tri.spec.formulas[("self", "B")] = _solve_triangular_grads


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    a, b = A._data, B._data
    _check_square(a, "linalg.solve_triangular")
    if b.ndim < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least 2 dimensions.")
    if a.dtype != b.dtype:
        raise RuntimeError(f"linalg.solve_triangular: Expected A and B to have the same dtype, but found A of type "
                           f"{_legacy(a.dtype)} and B of type {_legacy(b.dtype)} instead")
    n = a.shape[-1]
    if (b.shape[-2] if left else b.shape[-1]) != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the equation {eq} "
                           f"({n}x{n} and {b.shape[-2]}x{b.shape[-1]})")
    return _copy_out(_solve_tri(A, B, upper=bool(upper), left=bool(left), unitriangular=bool(unitriangular)), out)


# ---------------------------------------------------------------- legacy torch.* forms and small composites

_legacy_cholesky = declare("cholesky", _cholesky_forward, node="CholeskyBackward0", public=False,
                           samples=[sample(T(3, 3, values=_SPD3), call="cholesky", smooth=False),
                                    sample(T(3, 3, values=_SPD3), True, call="cholesky", smooth=False)],
                           self=_cholesky_grad)


def torch_cholesky(input, upper=False, *, out=None):
    import warnings
    warnings.warn("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a future "
                  "PyTorch release.", UserWarning, stacklevel=2)
    _check_square(input._data, "linalg.cholesky")
    _check_float(input._data, "linalg.cholesky")
    return _copy_out(_legacy_cholesky(input, upper=bool(upper)), out)


def torch_svd(input, some=True, compute_uv=True, *, out=None):
    U, S, Vh = svd(input, full_matrices=not some)
    if not compute_uv:
        from .._creation import zeros_like
        return return_types.svd((zeros_like(U), S, zeros_like(Vh).mT))
    return return_types.svd((U, S, Vh.mT))


def torch_qr(input, some=True, *, out=None):
    Q, R = qr(input, mode="reduced" if some else "complete")
    return return_types.qr((Q, R))


def logdet(input):
    sign, logabs = _torch_slogdet(input)
    from .compare import where
    return where(sign == -1, float("nan"), logabs)


def vecdot(x, y, *, dim=-1, out=None):
    from .reduction import sum as _sum
    return _copy_out(_sum(x * y, dim), out)


# ---------------------------------------------------------------- the _ex variants


def inv_ex(A, *, check_errors=False, out=None):
    a = A._data
    _check_square(a, "linalg.inv_ex")
    _check_float(a, "linalg.inv_ex")
    res = _inv(A, check_errors=bool(check_errors), name="linalg.inv_ex")
    return return_types.linalg_inv_ex((res, wrap(_lu_info(a))))


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    a = A._data
    _check_square(a, "linalg.cholesky_ex")
    _check_float(a, "linalg.cholesky_ex")
    res = _cholesky(A, upper=bool(upper), check_errors=bool(check_errors), name="linalg.cholesky_ex")
    return return_types.linalg_cholesky_ex((res, wrap(_chol_info(a))))


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    if check_errors:
        res = _solve_checked(A, B, left)
    else:
        res, _ = _solve_checked(A, B, left, check_errors=False)
    return return_types.linalg_solve_ex((res, wrap(_lu_info(A._data))))


# ---------------------------------------------------------------- install
FUNCTIONS.update({
    "linalg.inv": inv, "inverse": inv, "linalg.det": det, "det": det, "linalg.slogdet": slogdet,
    "slogdet": _torch_slogdet, "linalg.solve": solve, "linalg.cholesky": cholesky, "linalg.qr": qr,
    "linalg.eigh": eigh, "linalg.eigvalsh": eigvalsh, "linalg.svd": svd, "linalg.svdvals": svdvals,
    "linalg.pinv": pinv, "linalg.lstsq": lstsq, "linalg.matrix_rank": matrix_rank, "linalg.norm": norm,
    "linalg.LinAlgError": _LinAlgError, "pinverse": pinverse, "linalg.inv_ex": inv_ex,
    "linalg.cholesky_ex": cholesky_ex, "linalg.solve_ex": solve_ex, "linalg.solve_triangular": solve_triangular,
    "cholesky": torch_cholesky, "svd": torch_svd, "qr": torch_qr, "logdet": logdet, "linalg.vecdot": vecdot})
for _name, _fn in dict(inverse=inv, det=det, slogdet=_torch_slogdet, pinverse=pinverse, cholesky=torch_cholesky,
                       svd=torch_svd, qr=torch_qr, logdet=logdet).items():
    setattr(Tensor, _name, _fn)
