"""Linear algebra side by side with torch: what the op sweep cannot express.

Named-tuple results (slogdet, qr, eigh, svd, lstsq) against torch, with their
gradients; eigh / cholesky checked against finite differences along symmetric
directions (PyTorch's gradients assume symmetric perturbations); errors; out= and
in-place forms; integer results."""
import warnings

import numpy as np
import pytest

from conftest import assert_same, both, leafgrad, to_numpy, torch

SQ = [[3.0, 1.0, 0.5], [-1.0, 2.0, 0.3], [0.4, -0.6, 1.0]]
TALL = [[2.0, -1.0, 0.5], [1.0, 3.0, 0.2], [0.3, 0.4, 2.5], [0.5, -0.2, 0.1]]
WIDE = [[2.0, -1.0, 0.5, 0.7], [1.0, 3.0, 0.2, -0.3], [0.3, 0.4, 2.5, 1.1]]
SPD = [[4.0, 1.0, 0.5], [1.0, 3.0, -0.4], [0.5, -0.4, 2.5]]
SPD_B = [[[2.0, 0.3], [0.3, 1.0]], [[5.0, -1.0], [-1.0, 2.0]]]


def _t(mod, values, grad=False, dtype=None):
    return mod.tensor(values, dtype=dtype or mod.float64, requires_grad=grad)


def _grads_like_torch(fn, values, n_extra=(), seed=0):
    """Forward outputs and first / second derivatives of a random linear function of
    the outputs of ``fn(mod, A, *extra)``, in both libraries."""
    rng = np.random.default_rng(seed)
    res = []
    cots = None
    for mod in (torch, leafgrad):
        A = _t(mod, values, True)
        extra = [_t(mod, e, True) for e in n_extra]
        out = fn(mod, A, *extra)
        outs = [o for o in (out if isinstance(out, tuple) else (out,))]
        diff = [o for o in outs if o.dtype.is_floating_point and o.requires_grad and o.numel()]
        if cots is None:
            cots = [rng.standard_normal(tuple(o.shape)) for o in diff]
        loss = sum((o * mod.tensor(c)).sum() for o, c in zip(diff, cots))
        gs = mod.autograd.grad(loss, [A] + extra, create_graph=True)
        w = [np.ones(tuple(g.shape)) for g in gs]
        s = sum((g * mod.tensor(x)).sum() for g, x in zip(gs, w))
        hs = mod.autograd.grad(s, [A] + extra, allow_unused=True) if s.requires_grad else None
        res.append((out, gs, hs))
    return res


def _check_like_torch(fn, values, extra=(), second=True):
    (t_out, t_g, t_h), (l_out, l_g, l_h) = _grads_like_torch(fn, values, extra)
    assert type(t_out).__name__ == type(l_out).__name__
    assert_same(tuple(t_out) if isinstance(t_out, tuple) else t_out,
                tuple(l_out) if isinstance(l_out, tuple) else l_out, check_graph=True)
    assert_same(list(t_g), list(l_g), "grad", check_graph=False)
    assert (t_h is None) == (l_h is None)
    if second and t_h is not None:
        assert_same([None if h is None else h.detach() for h in t_h],
                    [None if h is None else h.detach() for h in l_h], "second", check_graph=False)


# ------------------------------------------------------------------ named tuples vs torch
@pytest.mark.parametrize("values", [SQ, [SQ, np.array(SQ).T.tolist()]])
def test_slogdet(values):
    _check_like_torch(lambda m, A: m.linalg.slogdet(A), values)
    _check_like_torch(lambda m, A: m.slogdet(A), values)


@pytest.mark.parametrize("values, mode", [(SQ, "reduced"), (TALL, "reduced"), (WIDE, "reduced"),
                                          (WIDE, "complete"), (TALL, "r"), ([SQ, TALL[:3]], "reduced")])
def test_qr(values, mode):
    if mode == "r":
        a, b = both(lambda m: tuple(m.linalg.qr(_t(m, values, True), mode="r")))
        assert_same(a, b)
        return
    _check_like_torch(lambda m, A: m.linalg.qr(A, mode=mode), values)


def _eigh_invariant(m, A, uplo):
    # Eigenvector signs depend on the LAPACK build (PyTorch's vs NumPy's): compare
    # functions of the eigenvectors that do not depend on them.
    r = m.linalg.eigh(A, UPLO=uplo)
    L, V = r
    return L, V * V, (V * L.unsqueeze(-2).exp()) @ V.mT, V[..., :1, :] * V


@pytest.mark.parametrize("values, uplo", [(SPD, "L"), (SPD, "U"), (SPD_B, "L"), (SPD_B, "U")])
def test_eigh(values, uplo):
    _check_like_torch(lambda m, A: _eigh_invariant(m, A, uplo), values)
    _check_like_torch(lambda m, A: m.linalg.eigvalsh(A, UPLO=uplo), values)
    a, b = both(lambda m: type(m.linalg.eigh(_t(m, values), UPLO=uplo)).__name__)
    assert a == b


def test_eigh_reads_one_triangle():
    vals = np.array(SPD)
    vals[0, 2] = 7.0  # only the upper triangle changes
    a, b = both(lambda m: _eigh_invariant(m, _t(m, vals.tolist()), "L"))
    assert_same(a, b)
    a, b = both(lambda m: _eigh_invariant(m, _t(m, vals.tolist()), "U"))
    assert_same(a, b)


@pytest.mark.parametrize("values, full", [(SQ, True), (SQ, False), ([SQ, SPD], False)])
def test_svd(values, full):
    _check_like_torch(lambda m, A: m.linalg.svd(A, full_matrices=full), values)


@pytest.mark.parametrize("values", [SQ, TALL, WIDE])
def test_svd_gauge_invariant(values):
    # U and V of non-square matrices are fixed up to signs that depend on the LAPACK build:
    # compare gauge-invariant functions of them.
    _check_like_torch(lambda m, A: (lambda r: r.U @ m.diag_embed(r.S) @ r.Vh)(m.linalg.svd(A, full_matrices=False)),
                      values)
    _check_like_torch(lambda m, A: (lambda r: r.U[:, :2] @ r.U[:, :2].mT)(m.linalg.svd(A, full_matrices=True)),
                      values)


@pytest.mark.parametrize("a, b, driver", [(TALL, [[1.0, 2], [0, 1], [3, -1], [0.5, 0.2]], None),
                                          (WIDE, [[1.0], [2.0], [-1.0]], "gelsd"),
                                          (TALL, [[1.0, 2], [0, 1], [3, -1], [0.5, 0.2]], "gelsd"),
                                          (SQ, [1.0, 2.0, 3.0], None)])
def test_lstsq(a, b, driver):
    def fn(m, A, B):
        r = m.linalg.lstsq(A, B, driver=driver)
        return r
    (t_out, t_g, _), (l_out, l_g, _) = _grads_like_torch(fn, a, (b,))
    assert type(t_out).__name__ == type(l_out).__name__ == "linalg_lstsq"
    assert_same(tuple(t_out), tuple(l_out))
    assert_same(list(t_g), list(l_g), "grad", check_graph=False)


@pytest.mark.parametrize("fn", [
    lambda m, A: m.linalg.inv(A), lambda m, A: m.linalg.det(A), lambda m, A: m.linalg.slogdet(A),
    lambda m, A: m.linalg.cholesky(A), lambda m, A: m.linalg.eigvalsh(A), lambda m, A: m.linalg.svdvals(A),
    lambda m, A: m.linalg.pinv(A), lambda m, A: m.linalg.solve(A, A[0]), lambda m, A: m.linalg.qr(A),
    lambda m, A: m.linalg.matrix_power(A, -2), lambda m, A: m.linalg.norm(A, 2)])
def test_float32(fn):
    def run(m):
        A = m.tensor(SPD, dtype=m.float32, requires_grad=True)
        out = fn(m, A)
        outs = tuple(out) if isinstance(out, tuple) else (out,)
        loss = sum((o * (m.arange(o.numel()).reshape(o.shape) + 1).to(o.dtype)).sum() for o in outs)
        (g,) = m.autograd.grad(loss, [A])
        return outs, g
    a, b = both(run)
    assert_same(a, b, rtol=1e-4, atol=1e-5)


def test_singular_det_gradient():
    def run(m):
        A = m.tensor([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]], dtype=m.float64, requires_grad=True)
        return m.autograd.grad(m.linalg.det(A), [A])[0]
    a, b = both(run)
    assert_same(a, b)


def test_lstsq_gelsy_underdetermined():
    # PyTorch's CPU gelsy on wide matrices reads uninitialised rows of its padded B and its
    # answer changes from call to call; LAPACK's gelsy gives the minimum-norm solution.
    for a, b in [(WIDE, [[1.0], [2.0], [-1.0]]), ([[1.0, 2, 0], [2, 4, 1]], [[1.0], [2.0]])]:
        r = leafgrad.linalg.lstsq(leafgrad.tensor(a, dtype=leafgrad.float64), leafgrad.tensor(b, dtype=leafgrad.float64))
        assert np.allclose(to_numpy(r.solution), np.linalg.pinv(np.array(a)) @ np.array(b))
        assert int(r.rank) == np.linalg.matrix_rank(np.array(a))


def test_lstsq_gelsy_truncated_rank():
    # Rank cut by rcond: gelsy truncates the column-pivoted QR, not the SVD. (PyTorch's
    # CPU answer here changes between calls, as if its pivot array were uninitialised:
    # with LAPACK's pivoting, column 1 leads and x = R^T c / |R|^2 for R = [13, 28.25] / |a_1|.)
    A = leafgrad.tensor([[1.0, 2], [2, 4.5], [1, 2]], dtype=leafgrad.float64)
    B = leafgrad.tensor([[1.0], [2], [0]], dtype=leafgrad.float64)
    r = leafgrad.linalg.lstsq(A, B, rcond=0.5)
    n1 = np.sqrt(28.25)
    row = np.array([13.0, 28.25]) / n1
    c0 = 11.0 / n1
    assert np.allclose(to_numpy(r.solution).ravel(), row * c0 / row.dot(row))
    assert int(r.rank) == 1


# ------------------------------------------------------------------ symmetric finite differences
def _sym_fd(fn, values, eps=1e-6, seed=0):
    """Gradient of ``sum(c * fn(A))`` along symmetric directions: compare <g, D> with the
    finite difference of the loss along random symmetric D."""
    rng = np.random.default_rng(seed)
    A0 = np.array(values, dtype=np.float64)
    A = leafgrad.tensor(A0, requires_grad=True)
    outs = fn(A)
    outs = outs if isinstance(outs, tuple) else (outs,)
    cots = [rng.standard_normal(tuple(o.shape)) for o in outs]

    def loss(x):
        with leafgrad.no_grad():
            o = fn(leafgrad.tensor(x))
        o = o if isinstance(o, tuple) else (o,)
        return sum(float(np.sum(to_numpy(a) * c)) for a, c in zip(o, cots))

    total = sum((o * leafgrad.tensor(c)).sum() for o, c in zip(outs, cots))
    (g,) = leafgrad.autograd.grad(total, [A])
    g = to_numpy(g)
    for _ in range(3):
        D = rng.standard_normal(A0.shape)
        D = D + np.swapaxes(D, -1, -2)
        fd = (loss(A0 + eps * D) - loss(A0 - eps * D)) / (2 * eps)
        assert np.isclose(np.sum(g * D), fd, rtol=1e-4, atol=1e-6), (np.sum(g * D), fd)


@pytest.mark.parametrize("values", [SPD, SPD_B])
def test_symmetric_finite_differences(values):
    _sym_fd(lambda A: tuple(leafgrad.linalg.eigh(A)), values)
    _sym_fd(lambda A: leafgrad.linalg.eigvalsh(A), values)
    _sym_fd(lambda A: leafgrad.linalg.cholesky(A), values)
    _sym_fd(lambda A: leafgrad.linalg.cholesky(A, upper=True), values)


@pytest.mark.parametrize("values", [SPD, SPD_B])
def test_cholesky_second_derivative(values):
    _check_like_torch(lambda m, A: m.linalg.cholesky(A), values)
    _check_like_torch(lambda m, A: m.linalg.cholesky(A, upper=True), values)


# ------------------------------------------------------------------ einsum
@pytest.mark.parametrize("eq, shapes", [
    ("ij,jk", [(3, 4), (4, 5)]), ("ba,ab", [(3, 4), (4, 3)]), ("Ab,bA", [(2, 3), (3, 2)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]), ("i...->...", [(3, 2, 2)]),
    ("bii->bi", [(2, 3, 3)]), ("ij,ij->ij", [(2, 3), (2, 3)]), ("i,j,k->ijk", [(2,), (3,), (2,)]),
    ("ij,kj->ik", [(1, 3), (4, 3)]), (" i j , j k -> i k ", [(2, 3), (3, 2)]), ("iji->j", [(3, 2, 3)])])
def test_einsum_more(eq, shapes):
    rng = np.random.default_rng(1)
    vals = [rng.standard_normal(s).tolist() for s in shapes]
    _check_like_torch(lambda m, A, *rest: m.einsum(eq, A, *rest), vals[0], vals[1:])


@pytest.mark.parametrize("fn", [
    lambda m: m.einsum("ij", m.ones(2, 3), m.ones(3)),
    lambda m: m.einsum("ijk", m.ones(2, 3)),
    lambda m: m.einsum("ij->k", m.ones(2, 3)),
    lambda m: m.einsum("ij,jk", m.ones(2, 3), m.ones(3, 2, dtype=m.float64)),
])
def test_einsum_errors(fn):
    a, b = both(fn)
    assert type(a).__name__ == type(b).__name__, (a, b)


# ------------------------------------------------------------------ errors
SINGULAR = [[1.0, 2.0], [2.0, 4.0]]


@pytest.mark.parametrize("fn", [
    lambda m: m.linalg.inv(_t(m, SINGULAR)),
    lambda m: m.linalg.inv(_t(m, [np.eye(2).tolist(), SINGULAR])),
    lambda m: m.linalg.inv(_t(m, [[0.0, 0.0], [0.0, 1.0]])),
    lambda m: m.linalg.inv(m.ones(2, 3)),
    lambda m: m.linalg.inv(m.ones(3)),
    lambda m: m.linalg.inv(m.ones(2, 2, dtype=m.int64)),
    lambda m: m.inverse(m.ones(2, 3)),
    lambda m: m.linalg.det(m.ones(2, 3)),
    lambda m: m.det(m.ones(3)),
    lambda m: m.linalg.slogdet(m.ones(2, 3)),
    lambda m: m.linalg.solve(_t(m, SINGULAR), _t(m, [1.0, 2.0])),
    lambda m: m.linalg.solve(m.eye(2), m.ones(3)),
    lambda m: m.linalg.solve(m.eye(2), m.ones(2, 3), left=False),
    lambda m: m.linalg.solve(m.eye(2), m.ones(3, 3)),
    lambda m: m.linalg.solve(m.ones(2, 3), m.ones(2)),
    lambda m: m.linalg.cholesky(_t(m, SINGULAR) - 1),
    lambda m: m.linalg.cholesky(-m.eye(3)),
    lambda m: m.linalg.cholesky(m.ones(2, 3)),
    lambda m: m.linalg.qr(m.ones(3)),
    lambda m: m.linalg.qr(m.ones(2, 2), mode="x"),
    lambda m: m.linalg.eigh(m.ones(2, 3)),
    lambda m: m.linalg.eigh(m.eye(2), UPLO="X"),
    lambda m: m.linalg.eigvalsh(m.ones(2, 3)),
    lambda m: m.linalg.svd(m.ones(3)),
    lambda m: m.linalg.svdvals(m.ones(3)),
    lambda m: m.linalg.pinv(m.ones(3)),
    lambda m: m.linalg.lstsq(m.ones(3, 2), m.ones(4, 1)),
    lambda m: m.linalg.norm(m.ones(2, 2, 2), 2),
    lambda m: m.linalg.matrix_rank(m.ones(3)),
    lambda m: m.linalg.matrix_power(m.ones(2, 3), 2),
    lambda m: m.linalg.matrix_power(m.ones(3), 2),
    lambda m: m.linalg.matrix_power(_t(m, SINGULAR), -1),
    lambda m: m.linalg.multi_dot([m.ones(2, 3)]),
    lambda m: m.linalg.multi_dot([m.ones(2, 3), m.ones(4, 5)]),
    lambda m: m.linalg.multi_dot([m.ones(2, 3, 3), m.ones(3, 5)]),
    lambda m: m.linalg.multi_dot([m.ones(2, 3), m.ones(3), m.ones(3)]),
    lambda m: m.tensordot(m.ones(2, 3), m.ones(4, 5), 1),
    lambda m: m.tensordot(m.ones(2, 3), m.ones(3, 5), ([1, 0], [0])),
    lambda m: m.linalg.cross(m.ones(2, 2), m.ones(2, 2)),
    lambda m: m.linalg.cross(m.ones(2, 3), m.ones(3)),
    lambda m: m.cross(m.ones(3, 2), m.ones(3, 2), dim=1),
    lambda m: m.trace(m.ones(3)),
    lambda m: m.diag(m.ones(2, 2, 2)),
    lambda m: m.diagonal(m.ones(2, 2), 0, 1, 1),
    lambda m: m.diagonal(m.ones(2, 2), 0, 0, 2),
    lambda m: m.tril(m.ones(3)),
    lambda m: m.triu(m.ones(3)),
    lambda m: m.addmm(m.ones(2, 2), m.ones(2, 3), m.ones(4, 2)),
    lambda m: m.addmm(m.ones(3, 3), m.ones(2, 3), m.ones(3, 2)),
    lambda m: m.addmm(m.ones(2, 2), m.ones(3), m.ones(3, 2)),
    lambda m: m.addmv(m.ones(2), m.ones(2, 3), m.ones(4)),
    lambda m: m.baddbmm(m.ones(2, 2, 2), m.ones(2, 2, 3), m.ones(3, 3, 2)),
    lambda m: m.addbmm(m.ones(2, 2), m.ones(2, 2), m.ones(2, 2, 2)),
    lambda m: m.vdot(m.ones(2, 2), m.ones(2, 2)),
    lambda m: m.vdot(m.ones(2), m.ones(3)),
    lambda m: m.outer(m.ones(2, 2), m.ones(2)),
    lambda m: m.inner(m.ones(2, 3), m.ones(2, 4)),
    # dtypes
    lambda m: m.addmm(m.ones(2, 2, dtype=m.float64), m.ones(2, 2), m.ones(2, 2)),
    lambda m: m.addmm(m.ones(2, 2), m.ones(2, 2), m.ones(2, 2, dtype=m.float64)),
    lambda m: m.addmm(m.ones(2), m.ones(2, 2, dtype=m.float64), m.ones(2, 2)),
    lambda m: m.nn.functional.linear(m.ones(3, 2, dtype=m.float64), m.ones(4, 2), m.ones(4)),
    lambda m: m.addmv(m.ones(2), m.ones(2, 2), m.ones(2, dtype=m.float64)),
    lambda m: m.addmv(m.ones(2, dtype=m.float64), m.ones(2, 2), m.ones(2)),
    lambda m: m.addbmm(m.ones(2, 2, dtype=m.float64), m.ones(2, 2, 2), m.ones(2, 2, 2)),
    lambda m: m.baddbmm(m.ones(2, 2, 2, dtype=m.float64), m.ones(2, 2, 2), m.ones(2, 2, 2)),
    lambda m: m.tensordot(m.ones(2, 3), m.ones(3, 2, dtype=m.float64), 1),
    lambda m: m.inner(m.ones(2), m.ones(2, dtype=m.float64)),
    lambda m: m.vdot(m.ones(2), m.ones(2, dtype=m.float64)),
    lambda m: m.linalg.cross(m.ones(3), m.ones(3, dtype=m.float64)),
    lambda m: m.linalg.cross(m.ones(3, dtype=m.int64), m.ones(3, dtype=m.float64)),
    lambda m: m.linalg.multi_dot([m.ones(2, 3), m.ones(3, 2, dtype=m.float64)]),
    lambda m: m.linalg.eigh(m.ones(2, 2, dtype=m.int64)),
    lambda m: m.linalg.eigvalsh(m.ones(2, 2, dtype=m.int64)),
    lambda m: m.linalg.norm(m.ones(2, 2, dtype=m.int64)),
    lambda m: m.linalg.norm(m.ones(2, 2, dtype=m.float64), dtype=m.float32),
    lambda m: m.linalg.matrix_rank(m.ones(2, 2, dtype=m.int64)),
    lambda m: m.linalg.det(m.ones(2, 2, dtype=m.int64)),
    lambda m: m.linalg.svd(m.ones(2, 2, dtype=m.int64)),
    lambda m: m.linalg.lstsq(m.ones(2, 2), m.ones(2, 2, dtype=m.float64)),
    lambda m: m.linalg.pinv(m.ones(2, 2, dtype=m.int64)),
    lambda m: m.trace(m.ones(2, 2, dtype=m.bool)),
    # einsum
    lambda m: m.einsum("ij,jk", m.ones(2, 3), m.ones(4, 5)),
    lambda m: m.einsum("ij->ii", m.ones(2, 3)),
    lambda m: m.einsum("ii", m.ones(2, 3)),
    lambda m: m.einsum("ij->k", m.ones(2, 3)),
])
def test_errors(fn):
    a, b = both(fn)
    assert_same(a, b)


def test_linalg_error_class():
    a, b = both(lambda m: m.linalg.inv(_t(m, SINGULAR)))
    assert isinstance(b, leafgrad.linalg.LinAlgError) and isinstance(b, RuntimeError)
    assert type(a).__name__ == type(b).__name__ == "_LinAlgError"


@pytest.mark.parametrize("fn", [
    lambda m: (lambda A: m.autograd.grad(m.linalg.qr(A, mode="r").R.sum(), [A]))(_t(m, TALL, True)),
    lambda m: (lambda A: m.autograd.grad(m.linalg.qr(A, mode="complete").R.sum(), [A]))(_t(m, TALL, True)),
])
def test_qr_backward_errors(fn):
    a, b = both(fn)
    assert_same(a, b)


# ------------------------------------------------------------------ results, out=, in-place
@pytest.mark.parametrize("fn", [
    lambda m: m.linalg.matrix_rank(_t(m, SINGULAR)),
    lambda m: m.linalg.matrix_rank(_t(m, [SQ, SINGULAR + [[0, 0]]][0])),
    lambda m: m.linalg.matrix_rank(_t(m, [[[1.0, 2], [2, 4]], [[1.0, 0], [0, 1]]])),
    lambda m: m.linalg.matrix_rank(_t(m, SQ), atol=1.5),
    lambda m: m.linalg.matrix_rank(_t(m, SQ), rtol=0.3),
    lambda m: m.linalg.matrix_rank(_t(m, SPD), hermitian=True),
    lambda m: m.linalg.lstsq(_t(m, SINGULAR), _t(m, [[1.0], [2.0]])).rank,
    lambda m: m.linalg.lstsq(_t(m, [SQ, SPD]), _t(m, [[[1.0], [2.0], [0.0]]])).rank,
    lambda m: m.linalg.norm(_t(m, SQ), "nuc"),
    lambda m: m.linalg.norm(_t(m, SQ), 2, keepdim=True),
    lambda m: m.linalg.norm(_t(m, [SQ, SPD]), "fro", dim=(0, 2)),
    lambda m: m.linalg.norm(_t(m, [SQ, SPD]), 1, dim=(2, 1), keepdim=True),
    lambda m: m.linalg.norm(_t(m, [SQ, SPD]), float("inf"), dim=(0, 1)),
    lambda m: m.linalg.norm(_t(m, [SQ, SPD]), -2, dim=(1, 2)),
    lambda m: m.linalg.norm(_t(m, [SQ, SPD]), 2, dim=(2, 0), keepdim=True),
    lambda m: m.linalg.norm(_t(m, [SQ, SPD]), "nuc", dim=(0, 2)),
    lambda m: m.linalg.norm(_t(m, [SQ, SPD]), 1, dim=(0, 2)),
    lambda m: m.linalg.norm(_t(m, [SQ, SPD]), -1, dim=(2, 1)),
    lambda m: m.linalg.norm(_t(m, [SQ, SPD]), dim=1, keepdim=True),
    lambda m: m.linalg.norm(_t(m, [SQ, SPD]), 3.5, dim=(-1,)),
    lambda m: m.linalg.norm(_t(m, SQ), dtype=m.float32),
    lambda m: m.linalg.norm(_t(m, SQ, dtype=m.float32), dtype=m.float64),
    lambda m: m.linalg.norm(_t(m, [1.0, 0.0, -2.0]), 0),
    lambda m: m.linalg.norm(_t(m, [1.0, 0.0, -2.0]), -float("inf")),
    lambda m: m.linalg.norm(_t(m, SQ, dtype=m.float32)),
    lambda m: m.linalg.pinv(_t(m, SINGULAR)),
    lambda m: m.linalg.pinv(_t(m, SQ), atol=1.0),
    lambda m: m.linalg.det(_t(m, SQ, dtype=m.float32)),
    lambda m: m.linalg.inv(_t(m, SQ, dtype=m.float32)),
    lambda m: m.linalg.inv(m.ones(0, 0)),
    lambda m: m.linalg.svdvals(_t(m, SQ, dtype=m.float32)),
    lambda m: m.linalg.eigvalsh(_t(m, SPD, dtype=m.float32)),
    lambda m: m.trace(m.arange(9).reshape(3, 3)),
    lambda m: m.tril(m.arange(9).reshape(3, 3), -1),
    lambda m: m.triu(m.arange(12).reshape(3, 4), 1),
    lambda m: m.diag(m.arange(3), 1),
    lambda m: m.diag(m.arange(12).reshape(3, 4), -1),
    lambda m: m.diagonal(m.arange(24).reshape(2, 3, 4), 1, -1, 0),
    lambda m: m.diag_embed(m.arange(6).reshape(2, 3), 1, 0, 2),
    lambda m: m.einsum("ij->ji", m.arange(6).reshape(2, 3)),
    lambda m: m.kron(m.arange(4).reshape(2, 2), m.arange(3)),
    lambda m: m.outer(m.arange(3), m.arange(2)),
    lambda m: m.linalg.cross(m.arange(6).reshape(2, 3), m.arange(3).reshape(1, 3)),
    lambda m: m.linalg.matrix_power(_t(m, SQ), -3),
    lambda m: m.linalg.matrix_power(_t(m, [SQ, SPD]), 4),
    lambda m: m.einsum(m.ones(2, 3), [0, 1], m.ones(3, 4), [1, 2], [0, 2]),
    lambda m: m.einsum(m.ones(2, 3), [0, 1], m.ones(3, 4), [1, 2]),
    lambda m: m.einsum(m.ones(2, 3), [Ellipsis, 1], m.ones(3, 4), [1, 2]),
    lambda m: m.einsum(m.ones(2, 3), [30, 1], m.ones(3, 4), [1, 2]),
    lambda m: m.einsum("i,i", m.ones(0), m.ones(0)),
    lambda m: m.einsum("ij,jk", m.ones(2, 3, dtype=m.int64), m.ones(3, 2, dtype=m.int64)),
    lambda m: m.addmm(m.ones(2, 2), m.ones(2, 2), m.ones(2, 2), out=m.empty(2, 2)),
    lambda m: m.baddbmm(m.ones(2, 2, 2), m.ones(2, 2, 2), m.ones(2, 2, 2), out=m.empty(2, 2, 2)),
    lambda m: m.addmm(m.ones(2, 2, dtype=m.int64), m.ones(2, 2, dtype=m.int64), m.ones(2, 2, dtype=m.int64),
                      beta=2, alpha=3),
    lambda m: m.trace(m.ones(2, 2, dtype=m.int32)),
    lambda m: m.tril(m.ones(2, 2, dtype=m.bool)),
    lambda m: m.kron(m.ones(2, 2, dtype=m.int32), m.ones(2)),
    lambda m: m.outer(m.ones(2, dtype=m.int32), m.ones(2)),
    lambda m: m.linalg.inv(m.ones(0, 2, 2)),
    lambda m: m.linalg.det(m.ones(0, 2, 2)),
    lambda m: tuple(m.linalg.svd(m.ones(0, 2, 3))),
    lambda m: tuple(m.linalg.eigh(m.ones(0, 2, 2))),
    lambda m: tuple(m.linalg.qr(m.ones(0, 3, 2))),
    lambda m: tuple(m.linalg.qr(m.ones(3, 0))),
    lambda m: m.linalg.cholesky(m.ones(0, 2, 2)),
    lambda m: m.linalg.pinv(m.ones(0, 2, 3)),
    lambda m: m.linalg.matrix_rank(m.ones(0, 2, 3)),
    lambda m: m.diag(m.ones(0)),
    lambda m: m.trace(m.ones(0, 0)),
    lambda m: m.linalg.norm(m.ones(0)),
    lambda m: tuple(m.linalg.slogdet(m.zeros(2, 2))),
    lambda m: m.linalg.det(m.zeros(2, 2)),
    lambda m: m.pinverse(_t(m, SINGULAR)),
    lambda m: m.cross(_t(m, SQ), _t(m, SPD)),
])
def test_values(fn):
    a, b = both(fn)
    assert_same(a, b)


def test_out_and_inplace():
    def fn(m):
        A = _t(m, SQ)
        o = m.empty(3, 3, dtype=m.float64)
        r1 = m.linalg.inv(A, out=o)
        o2 = m.empty(3, dtype=m.float64)
        m.diag(A, out=o2)
        B = A.clone()
        B.tril_(-1)
        C = A.clone()
        C.triu_()
        o3 = m.empty(3, 3, dtype=m.float64)
        m.linalg.matrix_power(A, 2, out=o3)
        return o, r1 is o, o2, B, C, o3
    a, b = both(fn)
    assert_same(a, b)


def test_inplace_tril_records():
    def fn(m):
        A = _t(m, SQ, True)
        B = A * 1
        B.triu_(1)
        (g,) = m.autograd.grad(B.sum(), [A])
        return type(B.grad_fn).__name__, g
    a, b = both(fn)
    assert_same(a, b)


def test_diagonal_is_a_view():
    def fn(m):
        A = m.zeros(3, 3)
        d = A.diagonal()
        d += 1
        e = m.diagonal(A, 1)
        e.fill_(5)
        return A, d._base is A
    a, b = both(fn)
    assert_same(a, b)


def test_diagonal_view_gradient():
    def fn(m):
        A = _t(m, SQ, True)
        B = A * 2
        B.diagonal().mul_(3)
        (g,) = m.autograd.grad(B.sum(), [A])
        return g
    a, b = both(fn)
    assert_same(a, b)


def test_return_types_repr():
    a, b = both(lambda m: (type(m.linalg.eigh(m.eye(2))).__name__, m.linalg.eigh(m.eye(2))._fields
                           if hasattr(m.linalg.eigh(m.eye(2)), "_fields") else None))
    assert a[0] == b[0]
    r = leafgrad.linalg.svd(leafgrad.eye(2))
    assert repr(r).startswith("torch.return_types.linalg_svd(\nU=")
    assert r.S is r[1]


@pytest.mark.parametrize("fn", [
    lambda m: tuple(m.linalg.inv_ex(_t(m, SINGULAR)))[1],
    lambda m: tuple(m.linalg.inv_ex(m.stack([_t(m, SINGULAR), m.eye(2, dtype=m.float64)])))[1],
    lambda m: m.linalg.inv_ex(_t(m, SINGULAR), check_errors=True),
    lambda m: tuple(m.linalg.inv_ex(_t(m, SQ, True))),
    lambda m: tuple(m.linalg.cholesky_ex(_t(m, SPD, True))),
    lambda m: tuple(m.linalg.inv_ex(m.zeros(0, 0))), lambda m: tuple(m.linalg.inv_ex(m.zeros(2, 0, 0))),
    lambda m: tuple(m.linalg.cholesky_ex(m.zeros(3, 0, 0))),
    lambda m: tuple(m.linalg.cholesky_ex(_t(m, SPD, True), upper=True)),
    lambda m: tuple(m.linalg.cholesky_ex(_t(m, [[1.0, 2], [2, 3]])))[1],
    lambda m: m.linalg.cholesky_ex(_t(m, [[1.0, 2], [2, 3]]), check_errors=True),
    lambda m: tuple(m.linalg.solve_ex(_t(m, SQ, True), _t(m, [1.0, 2.0, 3.0]))),
    lambda m: tuple(m.linalg.solve_ex(_t(m, SINGULAR), m.ones(3, 2, 2, dtype=m.float64)))[1],
    lambda m: tuple(m.linalg.solve_ex(_t(m, SINGULAR), m.ones(2, dtype=m.float64)))[1],
    lambda m: type(m.linalg.solve_ex(m.eye(2), m.ones(2))).__name__,
    lambda m: type(m.linalg.inv_ex(m.eye(2))).__name__,
    lambda m: type(m.linalg.cholesky_ex(m.eye(2))).__name__,
])
def test_ex_variants(fn):
    a, b = both(fn)
    assert_same(a, b)


U3 = [[2.0, 0.5, -1.0], [0.0, 1.5, 0.3], [0.0, 0.0, 3.0]]


@pytest.mark.parametrize("fn", [
    lambda m: tuple(m.svd(_t(m, SQ, True))),
    lambda m: tuple(m.svd(_t(m, SQ, True), compute_uv=False)),
    lambda m: type(m.svd(_t(m, SQ))).__name__,
    lambda m: tuple(m.qr(_t(m, TALL, True))),
    lambda m: tuple(m.qr(_t(m, TALL, True), some=False)),
    lambda m: type(m.qr(_t(m, SQ))).__name__,
    lambda m: m.cholesky(_t(m, SPD, True)),
    lambda m: m.cholesky(_t(m, SPD, True), upper=True),
    lambda m: m.logdet(_t(m, SPD, True)),
    lambda m: m.logdet(_t(m, [[-1.0, 0], [0, 1]])),
    lambda m: m.logdet(m.zeros(2, 2)),
    lambda m: _t(m, SPD, True).logdet(),
    lambda m: m.linalg.vecdot(_t(m, SQ, True), _t(m, SPD)),
    lambda m: m.linalg.vecdot(_t(m, SQ, True), _t(m, SPD), dim=0),
    lambda m: m.linalg.solve_triangular(_t(m, U3, True), _t(m, SQ), upper=True),
    lambda m: m.linalg.solve_triangular(_t(m, SQ, True), _t(m, SPD), upper=False, left=False),
    lambda m: m.linalg.solve_triangular(_t(m, SQ, True), _t(m, SPD), upper=True, unitriangular=True),
    lambda m: m.linalg.solve_triangular(m.eye(2), m.ones(2), upper=True),
    lambda m: m.linalg.solve_triangular(m.eye(2), m.ones(3, 1), upper=True),
    lambda m: m.linalg.solve_triangular(m.zeros(2, 2), m.ones(2, 1), upper=True),
])
def test_more_forms(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b = both(fn)
    assert_same(a, b)


@pytest.mark.parametrize("upper, left, unit", [(True, True, False), (False, False, False), (True, False, True)])
def test_solve_triangular_grads(upper, left, unit):
    b = np.arange(6.0).reshape(3, 2).tolist() if left else np.arange(6.0).reshape(2, 3).tolist()
    _check_like_torch(lambda m, A, B: m.linalg.solve_triangular(A, B, upper=upper, left=left, unitriangular=unit),
                      SQ, (b,))


def test_svd_legacy_grads():
    _check_like_torch(lambda m, A: m.svd(A), SQ)
    _check_like_torch(lambda m, A: m.qr(A), TALL)


@pytest.mark.parametrize("fn", [
    lambda m, A: m.linalg.pinv(A, hermitian=True),
    lambda m, A: m.linalg.pinv(A, atol=0.1),
    lambda m, A: m.linalg.norm(A, 2, dim=(2, 0), keepdim=True),
    lambda m, A: m.linalg.norm(A, "nuc", dim=(0, 2)),
    lambda m, A: m.linalg.norm(A, -2, dim=(1, 2)),
    lambda m, A: m.linalg.norm(A, 1, dim=(0, 2), keepdim=True),
    lambda m, A: m.linalg.norm(A, float("-inf"), dim=(2, 1)),
    lambda m, A: m.linalg.norm(A, 3.0, dim=1),
    lambda m, A: m.linalg.norm(A, dim=(0, 1)),
    lambda m, A: m.linalg.norm(A),
    lambda m, A: m.linalg.det(A),
    lambda m, A: m.linalg.inv(A),
    lambda m, A: m.linalg.matrix_power(A, 5),
    lambda m, A: m.linalg.matrix_power(A, -1),
    lambda m, A: m.diagonal(A, 1, 2, 0),
    lambda m, A: m.einsum("bij,bjk,bkl->bil", A, A, A),
    lambda m, A: m.einsum("bii->b", A),
    lambda m, A: m.tril(A, -1) @ m.triu(A),
])
def test_batched_grads(fn):
    _check_like_torch(fn, [SQ, SPD], ())


def test_pinv_hermitian_grad():
    _check_like_torch(lambda m, A: m.linalg.pinv(A, hermitian=True), SPD)
