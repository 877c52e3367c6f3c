"""torch.linalg's LU family (lu_factor, lu_factor_ex, lu, lu_solve, torch.lu_unpack and the
deprecated torch.lu / torch.lu_solve) side by side with torch: what the op sweep cannot
express (pivots and info over many matrices, singular inputs, errors, named tuples,
broadcasting, first and second derivatives of several outputs, vmap with batched pivots)."""
import warnings

import numpy as np
import pytest

from conftest import assert_same, both, leafgrad, to_numpy, torch

SQ = [[1.0, 3.0, -0.5], [4.0, 0.5, 1.2], [-2.0, 1.0, 3.5]]
TALL = [[1.0, 2.5, -0.4], [3.5, -1.0, 0.8], [-0.6, 0.9, 2.8], [2.0, 0.3, -1.1]]
WIDE = [[0.5, 2.0, -1.0, 0.7], [3.0, -0.8, 0.4, 1.1], [-1.2, 0.6, 2.7, -0.3]]
SINGULAR = [[1.0, 2.0], [2.0, 4.0]]


def _t(mod, values, grad=False, dtype=None):
    return mod.tensor(values, dtype=dtype or mod.float64, requires_grad=grad)


def _piv(mod, values):
    return mod.tensor(values, dtype=mod.int32)


# ------------------------------------------------------------------ factorization values
@pytest.mark.parametrize("shape", [(50, 4, 4), (30, 6, 6), (20, 5, 8), (20, 8, 5), (6, 16, 16), (2, 40, 40)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", ["normal", "integers"])
def test_lu_factor_ex_matches_lapack(shape, dtype, kind):
    """Pivots and info exactly as LAPACK's getrf (integer matrices have ties and singular
    members), LU to rounding."""
    rng = np.random.default_rng(sum(shape))
    a = rng.standard_normal(shape) if kind == "normal" else rng.integers(-3, 4, shape).astype(float)
    a = a.astype(dtype)
    t = torch.linalg.lu_factor_ex(torch.tensor(a))
    g = leafgrad.linalg.lu_factor_ex(leafgrad.tensor(a))
    np.testing.assert_array_equal(to_numpy(g.pivots), to_numpy(t.pivots))
    np.testing.assert_array_equal(to_numpy(g.info), to_numpy(t.info))
    tol = 1e-9 if dtype == "float64" else 1e-3
    np.testing.assert_allclose(to_numpy(g.LU), to_numpy(t.LU), rtol=tol, atol=tol)
    assert str(g.LU.dtype) == str(t.LU.dtype) and str(g.pivots.dtype) == "torch.int32"


@pytest.mark.parametrize("values", [SQ, TALL, WIDE, [SQ, np.array(SQ).T.tolist()], SINGULAR,
                                    [[0.0, 0.0], [0.0, 0.0]], [[1.0, 2, 3], [2, 4, 6]], [[1.0, 2], [2, 4], [3, 6]]])
@pytest.mark.parametrize("fn", [
    lambda m, A: m.linalg.lu_factor_ex(A),
    lambda m, A: m.linalg.lu(A),
    lambda m, A: m.lu_unpack(*m.linalg.lu_factor_ex(A)[:2]),
    lambda m, A: m.lu_unpack(*m.linalg.lu_factor_ex(A)[:2], unpack_data=False),
    lambda m, A: m.lu_unpack(*m.linalg.lu_factor_ex(A)[:2], unpack_pivots=False),
])
def test_named_tuples(values, fn):
    a, b = both(lambda m: fn(m, _t(m, values, True)))
    assert type(a).__name__ == type(b).__name__
    assert a._fields if hasattr(a, "_fields") else True
    assert_same(tuple(a), tuple(b))
    assert [f for f in dir(type(a)) if f in ("LU", "pivots", "info", "P", "L", "U")] == \
        [f for f in dir(type(b)) if f in ("LU", "pivots", "info", "P", "L", "U")]


def test_fields_and_reprs():
    A = leafgrad.tensor(SQ, dtype=leafgrad.float64)
    r = leafgrad.linalg.lu_factor(A)
    assert type(r).__name__ == "linalg_lu_factor" and r.LU is r[0] and r.pivots is r[1]
    assert repr(r).startswith("torch.return_types.linalg_lu_factor(\nLU=tensor(")
    r = leafgrad.linalg.lu_factor_ex(A)
    assert r.info.dtype == leafgrad.int32 and r.info.shape == ()
    r = leafgrad.linalg.lu(A)
    assert type(r).__name__ == "linalg_lu" and (r.P, r.L, r.U) == tuple(r)


@pytest.mark.parametrize("shape", [(0, 0), (2, 0, 0), (0, 3, 3), (2, 0, 3), (3, 0)])
def test_empty(shape):
    for fn in (lambda m: m.linalg.lu_factor_ex(m.zeros(shape, dtype=m.float64)),
               lambda m: m.linalg.lu(m.zeros(shape, dtype=m.float64))):
        a, b = both(fn)
        assert_same(tuple(a), tuple(b))


# ------------------------------------------------------------------ singular inputs and errors
@pytest.mark.parametrize("fn", [
    lambda m: m.linalg.lu_factor(_t(m, SINGULAR)),
    lambda m: m.linalg.lu_factor(_t(m, [np.eye(2).tolist(), SINGULAR])),
    lambda m: m.linalg.lu_factor(_t(m, [SINGULAR])),
    lambda m: m.linalg.lu_factor(_t(m, [[1.0, 2, 3], [2, 4, 6]])),
    lambda m: m.linalg.lu_factor_ex(_t(m, [np.eye(2).tolist(), SINGULAR]), check_errors=True),
    lambda m: m.linalg.lu_factor_ex(_t(m, [np.eye(2).tolist(), SINGULAR])),
    lambda m: m.linalg.lu(_t(m, SINGULAR)),
    lambda m: m.linalg.lu_factor(_t(m, [1.0, 2.0])),
    lambda m: m.linalg.lu_factor_ex(_t(m, [1.0, 2.0])),
    lambda m: m.linalg.lu(_t(m, [1.0, 2.0])),
    lambda m: m.linalg.lu_factor(m.ones(2, 2, dtype=m.int64)),
    lambda m: m.linalg.lu(m.ones(2, 2, dtype=m.float16)),
    lambda m: m.linalg.lu_factor(_t(m, SQ), pivot=False),
    lambda m: m.linalg.lu_factor_ex(_t(m, SQ), pivot=False),
    lambda m: m.linalg.lu(_t(m, SQ), pivot=False),
    lambda m: m.lu_unpack(_t(m, SQ), _piv(m, [1, 2, 3]).long()),
    lambda m: m.lu_unpack(_t(m, SQ), _piv(m, [1, 2, 7])),
    lambda m: m.lu_unpack(_t(m, SQ), _piv(m, [0, 2, 3])),
    lambda m: m.lu_unpack(_t(m, [1.0, 2.0, 3.0]), _piv(m, [1, 2, 3])),
])
def test_singular_and_errors(fn):
    a, b = both(fn)
    assert_same(a, b)


LU3 = [[3.0, 1.0, -0.5], [0.4, 2.5, 0.7], [-0.6, 0.3, 2.0]]
PIV = [2, 3, 3]


@pytest.mark.parametrize("fn", [
    lambda m: m.linalg.lu_solve(_t(m, LU3), _piv(m, PIV), _t(m, [1.0, 2.0, 3.0])),
    lambda m: m.linalg.lu_solve(_t(m, LU3), _piv(m, PIV), m.ones(4, 2, dtype=m.float64)),
    lambda m: m.linalg.lu_solve(_t(m, LU3), _piv(m, PIV), m.ones(2, 4, dtype=m.float64), left=False),
    lambda m: m.linalg.lu_solve(_t(m, LU3), _piv(m, PIV), m.ones(3, 2, dtype=m.float64), left=False),
    lambda m: m.linalg.lu_solve(_t(m, LU3), _piv(m, PIV).long(), m.ones(3, 2, dtype=m.float64)),
    lambda m: m.linalg.lu_solve(_t(m, LU3), _piv(m, PIV), m.ones(3, 2)),
    lambda m: m.linalg.lu_solve(_t(m, LU3)[:, :2], _piv(m, PIV), m.ones(3, 2, dtype=m.float64)),
    lambda m: m.linalg.lu_solve(_t(m, LU3), _piv(m, PIV[:2]), m.ones(3, 2, dtype=m.float64)),
    lambda m: m.linalg.lu_solve(_t(m, LU3), _piv(m, [PIV, PIV]), m.ones(3, 2, dtype=m.float64)),
    lambda m: m.linalg.lu_solve(_t(m, [LU3, LU3]), _piv(m, PIV), m.ones(3, 2, dtype=m.float64)),
    lambda m: m.linalg.lu_solve(_t(m, [LU3, LU3]), _piv(m, [PIV, PIV]), m.ones(3, 3, 2, dtype=m.float64)),
    lambda m: m.linalg.lu_solve(_t(m, LU3), _piv(m, [2, 5, 3]), m.ones(3, 2, dtype=m.float64)),
    lambda m: m.linalg.lu_solve(_t(m, LU3), _piv(m, [2, 0, 3]), m.ones(3, 2, dtype=m.float64)),
    lambda m: m.linalg.lu_solve(_t(m, LU3).int(), _piv(m, PIV), m.ones(3, 2, dtype=m.float64)),
    lambda m: m.linalg.lu_solve(_t(m, [1.0, 2.0, 3.0]), _piv(m, PIV), m.ones(3, 2, dtype=m.float64)),
    lambda m: m.linalg.lu_solve(_t(m, LU3).half(), _piv(m, PIV), m.ones(3, 2, dtype=m.float16)),
])
def test_lu_solve_errors(fn):
    a, b = both(fn)
    assert_same(a, b)


def test_lu_solve_singular_gives_inf_nan():
    a, b = both(lambda m: m.linalg.lu_solve(m.zeros(3, 3, dtype=m.float64), _piv(m, [1, 2, 3]),
                                            m.ones(3, 2, dtype=m.float64)))
    assert_same(a, b)


# ------------------------------------------------------------------ derivatives
def _grads_like_torch(fn, values, extra=(), seed=0, second=True):
    """Outputs, first derivatives of a random linear function of the differentiable
    outputs and second derivatives (ones-weighted) in both libraries, compared."""
    rng = np.random.default_rng(seed)
    cots = None
    res = []
    for mod in (torch, leafgrad):
        ins = [_t(mod, values, True)] + [_t(mod, e, True) for e in extra]
        out = fn(mod, *ins)
        outs = list(out) if isinstance(out, tuple) else [out]
        diff = [o for o in outs if o.dtype.is_floating_point and o.requires_grad and o.numel()]
        if cots is None:
            cots = [rng.standard_normal(tuple(o.shape)) for o in diff]
        loss = sum((o * mod.tensor(c)).sum() for o, c in zip(diff, cots))
        gs = mod.autograd.grad(loss, ins, create_graph=second)
        hs = None
        if second:
            s = sum((g * mod.tensor(np.cos(np.arange(g.numel())).reshape(tuple(g.shape)))).sum() for g in gs)
            hs = mod.autograd.grad(s, ins, allow_unused=True)
        res.append((out, gs, hs))
    (t_out, t_g, t_h), (l_out, l_g, l_h) = res
    assert type(t_out).__name__ == type(l_out).__name__
    assert_same(tuple(t_out) if isinstance(t_out, tuple) else t_out,
                tuple(l_out) if isinstance(l_out, tuple) else l_out, check_graph=True)
    assert_same(list(t_g), list(l_g), "grad", check_graph=False)
    if second:
        assert_same([None if h is None else h.detach() for h in t_h],
                    [None if h is None else h.detach() for h in l_h], "second", check_graph=False)


@pytest.mark.parametrize("values", [SQ, TALL, WIDE, [SQ, np.array(SQ).T.tolist()], [TALL, TALL[::-1]],
                                    [WIDE, WIDE[::-1]]])
@pytest.mark.parametrize("fn", [
    lambda m, A: m.linalg.lu_factor(A),
    lambda m, A: m.linalg.lu_factor_ex(A),
    lambda m, A: m.linalg.lu(A),
    lambda m, A: m.linalg.lu(A).L,
    lambda m, A: m.linalg.lu(A).U,
    lambda m, A: m.lu_unpack(*m.linalg.lu_factor(A)),
    lambda m, A: m.lu_unpack(*m.linalg.lu_factor(A)).U,
])
def test_factorization_grads(values, fn):
    _grads_like_torch(fn, values)


_B = [[0.5, -1.0], [2.0, 0.3], [-0.7, 1.1]]


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [False, True])
@pytest.mark.parametrize("lu_vals, b_vals", [
    (SQ, _B), ([SQ, np.array(SQ).T.tolist()], _B), (SQ, [_B, _B[::-1]]), (SQ, [[_B], [_B[::-1]]]),
])
def test_lu_solve_grads(left, adjoint, lu_vals, b_vals):
    def fn(m, A, B):
        LU, piv = m.linalg.lu_factor(A)
        return m.linalg.lu_solve(LU, piv, B if left else B.mT, left=left, adjoint=adjoint)
    _grads_like_torch(fn, lu_vals, (b_vals,))


def test_lu_solve_solves():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((4, 5, 5))
    B = rng.standard_normal((4, 5, 2))
    LU, piv = leafgrad.linalg.lu_factor(leafgrad.tensor(A))
    for left, adjoint in [(True, False), (True, True), (False, False), (False, True)]:
        X = leafgrad.linalg.lu_solve(LU, piv, leafgrad.tensor(B if left else np.swapaxes(B, -1, -2)), left=left,
                                     adjoint=adjoint).numpy()
        opA = np.swapaxes(A, -1, -2) if adjoint else A
        got = opA @ X if left else X @ opA
        np.testing.assert_allclose(got, B if left else np.swapaxes(B, -1, -2), atol=1e-10)


def test_float32_grads():
    for mod in (torch, leafgrad):
        A = mod.tensor(SQ, requires_grad=True)
        LU, piv = mod.linalg.lu_factor(A)
        (g,) = mod.autograd.grad(mod.linalg.lu_solve(LU, piv, mod.ones(3, 2)).sum(), [A])
        assert str(g.dtype) == "torch.float32"


# ------------------------------------------------------------------ deprecated forms
def test_torch_lu_and_lu_solve():
    for get_infos in (False, True):
        a, b = both(lambda m: m.lu(_t(m, SQ, True), get_infos=get_infos))
        assert type(a).__name__ == type(b).__name__
        assert_same(tuple(a), tuple(b))
    a, b = both(lambda m: m.lu(_t(m, SINGULAR)))    # no error for a singular matrix
    assert_same(tuple(a), tuple(b))
    a, b = both(lambda m: _t(m, SQ, True).lu())
    assert_same(tuple(a), tuple(b))
    a, b = both(lambda m: m.lu_solve(_t(m, _B, True), *m.linalg.lu_factor(_t(m, SQ, True))))
    assert_same(a, b)
    a, b = both(lambda m: _t(m, _B, True).lu_solve(*m.linalg.lu_factor(_t(m, SQ))))
    assert_same(a, b)
    with pytest.warns(UserWarning, match="torch.lu is deprecated"):
        leafgrad.lu(_t(leafgrad, SQ))
    with pytest.warns(UserWarning, match="torch.lu_solve is deprecated"):
        leafgrad.lu_solve(_t(leafgrad, _B), *leafgrad.linalg.lu_factor(_t(leafgrad, SQ)))


def test_out():
    for mod in (torch, leafgrad):
        LU, piv = mod.empty(3, 3, dtype=mod.float64), mod.empty(3, dtype=mod.int32)
        r = mod.linalg.lu_factor(_t(mod, SQ), out=(LU, piv))
        assert r[0] is LU and r[1] is piv
    a, b = both(lambda m: (lambda o: (m.linalg.lu_factor(_t(m, SQ), out=o), o)[1])(
        (m.empty(3, 3, dtype=m.float64), m.empty(3, dtype=m.int32))))
    assert_same(a, b)


# ------------------------------------------------------------------ vmap
def test_vmap_with_batched_pivots():
    rng = np.random.default_rng(5)
    A = rng.standard_normal((3, 4, 4))
    B = rng.standard_normal((3, 4, 2))

    def f(m, a, b):
        LU, piv = m.linalg.lu_factor(a)
        P, L, U = m.lu_unpack(LU, piv)
        return m.linalg.lu_solve(LU, piv, b), P, L, U

    t = torch.vmap(lambda a, b: f(torch, a, b))(torch.tensor(A), torch.tensor(B))
    g = leafgrad.vmap(lambda a, b: f(leafgrad, a, b))(leafgrad.tensor(A), leafgrad.tensor(B))
    assert_same(tuple(t), tuple(g), check_graph=False)
    # B batched, LU not (and the other way round)
    LU0, piv0 = torch.linalg.lu_factor(torch.tensor(A[0]))
    t = torch.vmap(lambda b: torch.linalg.lu_solve(LU0, piv0, b))(torch.tensor(B))
    L0, p0 = leafgrad.linalg.lu_factor(leafgrad.tensor(A[0]))
    g = leafgrad.vmap(lambda b: leafgrad.linalg.lu_solve(L0, p0, b))(leafgrad.tensor(B))
    assert_same(t, g, check_graph=False)
    t = torch.vmap(lambda a: torch.linalg.lu_solve(*torch.linalg.lu_factor(a), torch.tensor(B[0])))(torch.tensor(A))
    g = leafgrad.vmap(lambda a: leafgrad.linalg.lu_solve(*leafgrad.linalg.lu_factor(a), leafgrad.tensor(B[0])))(
        leafgrad.tensor(A))
    assert_same(t, g, check_graph=False)


def test_no_warnings_for_linalg_forms():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        A = _t(leafgrad, SQ)
        leafgrad.linalg.lu_solve(*leafgrad.linalg.lu_factor(A), _t(leafgrad, _B))
        leafgrad.linalg.lu(A)


# ------------------------------------------------------------------ matrix_exp
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("scale", [1e-17, 1e-9, 1e-5, 1e-3, 0.03, 0.2, 0.5, 1.0, 3.0, 20.0])
@pytest.mark.parametrize("shape", [(4, 4), (1, 5, 5), (3, 4, 4), (2, 1, 3, 3)])
def test_matrix_exp_values(dtype, scale, shape):
    """Each degree of PyTorch's Taylor scheme (a single matrix by its norm; a batch at
    degree 18 with scaling and squaring) reproduced to rounding."""
    rng = np.random.default_rng(int(scale * 1000) % 97 + len(shape))
    a = (rng.standard_normal(shape) * scale / np.sqrt(shape[-1])).astype(dtype)
    t = torch.linalg.matrix_exp(torch.tensor(a)).numpy()
    g = leafgrad.linalg.matrix_exp(leafgrad.tensor(a)).numpy()
    assert g.dtype == t.dtype
    tol = 1e-13 if dtype == "float64" else 2e-5   # (squaring amplifies float32 rounding)
    np.testing.assert_allclose(g, t, rtol=tol, atol=tol * np.abs(t).max())


@pytest.mark.parametrize("values", [
    [[0.1, 0.3, -0.2], [0.05, -0.1, 0.2], [0.3, 0.1, 0.15]],
    [[1e-4, -2e-5], [3e-5, 5e-5]],
    [[1.0, 2.0, -0.5], [-1.5, 0.3, 1.2], [0.7, -2.2, 0.4]],
    [[[0.4, -0.3], [0.2, 0.1]], [[2.0, 1.0], [-1.0, 0.5]]],
    [[0.7]],
])
@pytest.mark.parametrize("fn", [lambda m, A: m.linalg.matrix_exp(A), lambda m, A: m.matrix_exp(A),
                                lambda m, A: A.matrix_exp()])
def test_matrix_exp_grads(values, fn):
    _grads_like_torch(fn, values)


@pytest.mark.parametrize("fn", [
    lambda m: m.linalg.matrix_exp(m.ones(3, dtype=m.float64)),
    lambda m: m.linalg.matrix_exp(m.ones(3, 2, dtype=m.float64)),
    lambda m: m.linalg.matrix_exp(m.ones(3, 3, dtype=m.int64)),
    lambda m: m.matrix_exp(m.ones(3, 3, dtype=m.int64)),
    lambda m: m.linalg.matrix_exp(m.zeros(0, 0, dtype=m.float64, requires_grad=True)),
    lambda m: m.linalg.matrix_exp(m.zeros(2, 0, 0, dtype=m.float64)),
    lambda m: m.linalg.matrix_exp(m.tensor([[float("nan"), 0.0], [0.0, 1.0]])),
    lambda m: m.linalg.matrix_exp(m.tensor([[float("inf"), 0.0], [0.0, 1.0]])),
    lambda m: m.linalg.matrix_exp(m.tensor([[[float("nan"), 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]])),
])
def test_matrix_exp_edges_and_errors(fn):
    a, b = both(fn)
    assert_same(a, b)


def test_matrix_exp_vmap():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((4, 3, 3))
    t = torch.vmap(torch.linalg.matrix_exp)(torch.tensor(a))
    g = leafgrad.vmap(leafgrad.linalg.matrix_exp)(leafgrad.tensor(a))
    assert_same(t, g, check_graph=False)


# ------------------------------------------------------------------ vander, cond, tensorinv, tensorsolve
X3 = [1.0, 2.0, 3.0]


@pytest.mark.parametrize("fn", [
    lambda m: m.linalg.vander(_t(m, X3, True)),
    lambda m: m.linalg.vander(_t(m, X3, True), N=2),
    lambda m: m.linalg.vander(_t(m, X3, True), N=5),
    lambda m: m.linalg.vander(_t(m, [[1.0, 2.0], [3.0, -4.0]], True)),
    lambda m: m.linalg.vander(m.tensor([1, 2, 3], dtype=m.int32)),
    lambda m: m.linalg.vander(m.tensor(2.0, requires_grad=True), N=3),
    lambda m: m.linalg.vander(m.tensor(2.0)),
    lambda m: m.linalg.vander(m.tensor([True])),
    lambda m: m.linalg.vander(m.tensor(X3), N=1),
    lambda m: m.vander(_t(m, X3, True)),
    lambda m: m.vander(_t(m, X3, True), N=2, increasing=True),
    lambda m: m.vander(_t(m, X3, True), increasing=True),
    lambda m: m.vander(m.tensor([1, 2, 3], dtype=m.int32)),
    lambda m: m.vander(m.tensor([True, False])),
    lambda m: m.vander(m.tensor([1.0, 2.0], dtype=m.float16)),
    lambda m: m.vander(m.tensor(X3), N=0),
    lambda m: m.vander(m.tensor(X3), N=1),
    lambda m: m.vander(m.tensor(X3), N=-1),
    lambda m: m.vander(m.ones(2, 3)),
])
def test_vander(fn):
    a, b = both(fn)
    assert_same(a, b)


@pytest.mark.parametrize("fn", [lambda m, x: m.linalg.vander(x), lambda m, x: m.linalg.vander(x, N=4)])
def test_vander_grads(fn):
    _grads_like_torch(fn, [0.5, -1.5, 2.0])


@pytest.mark.parametrize("N, increasing", [(None, False), (4, True), (2, False)])
def test_torch_vander_grads(N, increasing):
    """torch.vander's backward raises in torch 2.13 (its cumprod_ on a view of the result
    modifies what cumprod saved for backward: a version-counter error, a torch bug);
    leafgrad's in-place cumprod_ differentiates through a snapshot, so its gradient is
    checked against linalg.vander's (the same matrix, columns reversed when decreasing)."""
    x = [0.5, -1.5, 2.0]
    a = leafgrad.tensor(x, dtype=leafgrad.float64, requires_grad=True)
    v = leafgrad.vander(a, N=N, increasing=increasing)
    w = leafgrad.tensor(np.cos(np.arange(v.numel())).reshape(tuple(v.shape)))
    (g,) = leafgrad.autograd.grad((v * w).sum(), [a])
    b = leafgrad.tensor(x, dtype=leafgrad.float64, requires_grad=True)
    ref = leafgrad.linalg.vander(b, N=N or 3)
    ref = ref if increasing else ref.flip(-1)
    (h,) = leafgrad.autograd.grad((ref * w).sum(), [b])
    np.testing.assert_allclose(g.numpy(), h.numpy(), rtol=1e-12)
    ta = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        torch.vander(ta, N=N, increasing=increasing).sum().backward()


NEAR_SINGULAR = [[1.0, 2.0], [2.0, 4.001]]
_P_VALUES = [None, 2, -2, "fro", "nuc", float("inf"), -float("inf"), 1, -1, 1.0, -1.0, 2.0]


@pytest.mark.parametrize("p", _P_VALUES)
@pytest.mark.parametrize("values", [SQ, [SQ, np.array(SQ).T.tolist()], NEAR_SINGULAR, [[0.0, 0.0], [0.0, 0.0]],
                                    np.zeros((2, 0, 0)).tolist(), [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [1.0, 2.0]])
def test_cond(p, values):
    a, b = both(lambda m: m.linalg.cond(_t(m, values, True) if np.size(values) else m.zeros(2, 0, 0,
                                                                                            dtype=m.float64), p))
    assert_same(a, b, rtol=1e-9)


@pytest.mark.parametrize("p", _P_VALUES + [3, 0.5, "abc", -3.5])
@pytest.mark.parametrize("dtype", ["int64", "float32"])
def test_cond_dtypes_and_errors(p, dtype):
    a, b = both(lambda m: m.linalg.cond(m.tensor(SQ).to(getattr(m, dtype)), p))
    assert_same(a, b)


@pytest.mark.parametrize("p", [None, 2, -2, "nuc"])
@pytest.mark.parametrize("values", [SQ, [SQ, np.array(SQ).T.tolist()], [[1.0, 2.0, 3.0], [4.0, 5.0, -6.0]]])
def test_cond_grads(p, values):
    if p == "nuc" and np.shape(values)[-1] != np.shape(values)[-2]:
        return
    _grads_like_torch(lambda m, A: m.linalg.cond(A, p), values)


@pytest.mark.parametrize("p", ["fro", float("inf"), -float("inf"), 1, -1])
def test_cond_backward_through_inverse_raises(p):
    """PyTorch's cond for 'fro' and +-1 / +-inf fills the inverse from linalg.inv_ex in place,
    so that backward raises its version-counter error; so does leafgrad's."""
    def fn(m):
        A = _t(m, SQ, True)
        return m.autograd.grad(m.linalg.cond(A, p), [A])
    a, b = both(fn)
    assert_same(a, b)


_RNG = np.random.default_rng(0)
A4 = np.eye(24).reshape(4, 6, 8, 3) * 3 + _RNG.standard_normal((4, 6, 8, 3)) * 0.3
A3 = np.eye(6).reshape(6, 2, 3) * 2 + _RNG.standard_normal((6, 2, 3)) * 0.3
B23 = _RNG.standard_normal((2, 3))


@pytest.mark.parametrize("fn", [
    lambda m: m.linalg.tensorinv(_t(m, A4, True), ind=2),
    lambda m: m.linalg.tensorinv(_t(m, A3, True), ind=1),
    lambda m: m.linalg.tensorinv(_t(m, np.eye(6) * 2, True), ind=1),
    lambda m: m.linalg.tensorinv(_t(m, A4), ind=0),
    lambda m: m.linalg.tensorinv(_t(m, A4), ind=1),
    lambda m: m.linalg.tensorinv(m.zeros(2, 2, 2, 2, dtype=m.float64)),
    lambda m: m.linalg.tensorinv(m.zeros(2, 2, 2, 2, dtype=m.int64)),
    lambda m: m.linalg.tensorinv(_t(m, [[1.0, 2.0], [3.0, 4.0]])),
    lambda m: m.linalg.tensorinv(m.zeros(0, 0, dtype=m.float64, requires_grad=True), ind=1),
    lambda m: m.linalg.tensorsolve(_t(m, A3.transpose(1, 2, 0), True), _t(m, B23, True)),
    lambda m: m.linalg.tensorsolve(_t(m, A3, True), _t(m, B23, True), dims=(0,)),
    lambda m: m.linalg.tensorsolve(_t(m, A3.transpose(1, 0, 2), True), _t(m, B23), dims=(1,)),
    lambda m: m.linalg.tensorsolve(_t(m, A3), _t(m, B23), dims=0),
    lambda m: m.linalg.tensorsolve(m.ones(2, 3, 5, dtype=m.float64), _t(m, B23)),
    lambda m: m.linalg.tensorsolve(m.zeros(2, 3, 6, dtype=m.float64), _t(m, B23)),
    lambda m: m.linalg.tensorsolve(m.ones(2, 3, 6, dtype=m.float64), m.ones(2, 3)),
    lambda m: m.linalg.tensorsolve(m.ones(2, 3, 6, dtype=m.int64), m.ones(2, 3, dtype=m.int64)),
    lambda m: m.linalg.tensorsolve(m.ones(2, 3, 6, dtype=m.float64), m.ones(6, dtype=m.float64)),
    lambda m: m.linalg.tensorsolve(_t(m, np.eye(6) * 2, True), m.ones(6, dtype=m.float64)),
])
def test_tensorinv_tensorsolve(fn):
    a, b = both(fn)
    assert_same(a, b)


@pytest.mark.parametrize("fn, values, extra", [
    (lambda m, A: m.linalg.tensorinv(A, ind=2), A4[:2, :3, :3, :2], ()),
    (lambda m, A: m.linalg.tensorinv(A, ind=1), A3, ()),
    (lambda m, A, B: m.linalg.tensorsolve(A, B), A3.transpose(1, 2, 0), (B23,)),
    (lambda m, A, B: m.linalg.tensorsolve(A, B, dims=(0,)), A3, (B23,)),
])
def test_tensorinv_tensorsolve_grads(fn, values, extra):
    _grads_like_torch(fn, values, extra)
