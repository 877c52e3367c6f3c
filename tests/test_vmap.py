"""vmap side by side with torch.func.vmap: in_dims / out_dims, nesting, pytrees, errors,
autograd through and inside vmap, randomness, chunking."""
import numpy as np
import pytest
import torch

import leafgrad
from leafgrad.func._vmap import BatchedTensor


def _np(t):
    if isinstance(t, (tuple, list)):
        return [_np(x) for x in t]
    if isinstance(t, dict):
        return {k: _np(v) for k, v in t.items()}
    if isinstance(t, np.ndarray):
        return t
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    return leafgrad.Tensor.numpy(t.detach(), force=True)


def _same(a, b, rtol=1e-6, atol=1e-9):
    a, b = _np(a), _np(b)
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _same(a[k], b[k], rtol, atol)
        return
    if isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y, rtol, atol)
        return
    assert a.shape == b.shape, f"{a.shape} vs {b.shape}"
    assert a.dtype == b.dtype, f"{a.dtype} vs {b.dtype}"
    np.testing.assert_allclose(b, a, rtol=rtol, atol=atol)


def both(*shapes, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    arrs = [rng.standard_normal(s).astype(dtype) for s in shapes]
    return [torch.tensor(a) for a in arrs], [leafgrad.tensor(a) for a in arrs]


def side_by_side(fn, shapes, **kw):
    """fn(lib) -> the function to vmap; same results from both libraries."""
    th, lg = both(*shapes)
    want = torch.func.vmap(fn(torch), **kw)(*th)
    got = leafgrad.vmap(fn(leafgrad), **kw)(*lg)
    _same(want, got)
    return got


# ------------------------------------------------------------------ namespace
def test_exported_names():
    from leafgrad import func
    assert leafgrad.vmap is func.vmap


# ------------------------------------------------------------------ in_dims / out_dims
@pytest.mark.parametrize("in_dims, shapes", [
    (0, [(3, 4)]), (1, [(4, 3)]), (-1, [(4, 3)]), (-2, [(3, 4)]),
    ((0, None), [(3, 4), (4,)]), ((None, 1), [(4,), (4, 3)]), ((1, 0), [(4, 3), (3, 4)]),
])
def test_in_dims(in_dims, shapes):
    side_by_side(lambda lib: lambda *a: (a[0] * a[1]).sin() if len(a) == 2 else a[0].exp(), shapes,
                 in_dims=in_dims)


@pytest.mark.parametrize("out_dims", [0, 1, -1, 2, (1,)])
def test_out_dims(out_dims):
    side_by_side(lambda lib: lambda x: x.reshape(2, 2) * 2, [(3, 4)], out_dims=out_dims)


def test_out_dims_tuple_and_none():
    side_by_side(lambda lib: lambda x, y: (x * 2, y), [(3, 4), (5,)], in_dims=(0, None), out_dims=(1, None))


def test_nested_pytrees():
    def fn(lib):
        def f(d, t):
            return {"s": d["a"] + d["b"][0], "l": [t[0] * d["b"][1], t[1].sum()]}
        return f
    th, lg = both((3, 4), (4,), (3, 4), (4, 3), (2, 3))
    in_dims = ({"a": 0, "b": (None, 0)}, (1, 1))
    want = torch.func.vmap(fn(torch), in_dims=in_dims)({"a": th[0], "b": (th[1], th[2])}, (th[3], th[4]))
    got = leafgrad.vmap(fn(leafgrad), in_dims=in_dims)({"a": lg[0], "b": (lg[1], lg[2])}, (lg[3], lg[4]))
    _same(want, got)


def test_out_dims_pytree():
    side_by_side(lambda lib: lambda x: {"a": x, "b": (x.sum(), x[0])}, [(3, 4)], out_dims={"a": 1, "b": (0, 0)})


def test_unbatched_output_is_expanded():
    th, lg = both((3, 4), (2,))
    want = torch.func.vmap(lambda x, c: c * 2, in_dims=(0, None))(*th)
    got = leafgrad.vmap(lambda x, c: c * 2, in_dims=(0, None))(*lg)
    _same(want, got)


def test_kwargs_are_not_batched():
    th, lg = both((3, 4))
    _same(torch.func.vmap(lambda x, scale: x * scale)(th[0], scale=3.0),
          leafgrad.vmap(lambda x, scale: x * scale)(lg[0], scale=3.0))


def test_nested_vmap():
    side_by_side(lambda lib: lib.vmap(lambda x: (x.softmax(-1) * x).sum(0)), [(2, 3, 4)])
    side_by_side(lambda lib: lambda x, y: lib.vmap(lambda a: lib.vmap(lambda b: a * b)(y))(x), [(3, 2), (4,)],
                 in_dims=(0, None))


def test_nested_vmap_different_dims():
    th, lg = both((3, 5, 4), (4, 5))
    f_t = torch.func.vmap(torch.func.vmap(lambda a, b: (a * b).sum(), in_dims=(1, 0)), in_dims=(0, None))
    f_l = leafgrad.vmap(leafgrad.vmap(lambda a, b: (a * b).sum(), in_dims=(1, 0)), in_dims=(0, None))
    _same(f_t(*th), f_l(*lg))


# ------------------------------------------------------------------ ops under vmap
@pytest.mark.parametrize("fn, shapes, in_dims", [
    (lambda lib: lambda x, w: x @ w, [(3, 4), (4, 2)], (0, None)),
    (lambda lib: lambda x, w: x @ w, [(3, 4), (3, 4, 2)], (None, 0)),
    (lambda lib: lambda x, w: x @ w, [(3, 5, 4), (3, 4, 2)], 0),
    (lambda lib: lambda x, w: lib.matmul(x, w), [(3, 4), (3, 4)], 0),
    (lambda lib: lambda x: x.reshape(-1, 2).sum(-1), [(3, 2, 4)], 0),
    (lambda lib: lambda x: lib.permute(x, (1, 0)).flatten(), [(3, 2, 4)], 0),
    (lambda lib: lambda x: x[1:, None, ..., 0], [(5, 3, 4, 2)], 0),
    (lambda lib: lambda x: x[[0, 2], :, [1, 1]], [(5, 3, 4, 2)], 0),
    (lambda lib: lambda x: lib.cat([x, x * 2], dim=-1), [(3, 2, 4)], 0),
    (lambda lib: lambda x, y: lib.stack([x, y], dim=1), [(3, 2, 4), (2, 4)], (0, None)),
    (lambda lib: lambda x: x.max(dim=-1).values.sum() + x.sort(dim=0).values.sum(0), [(3, 2, 4)], 0),
    (lambda lib: lambda x: lib.nn.functional.layer_norm(x, (4,)), [(3, 2, 4)], 0),
    (lambda lib: lambda x: lib.nn.functional.log_softmax(x, dim=0), [(3, 2, 4)], 1),
    (lambda lib: lambda x, w: lib.nn.functional.conv2d(x, w, padding=1), [(3, 2, 1, 5, 5), (4, 1, 3, 3)],
     (0, None)),
    (lambda lib: lambda x, w: lib.nn.functional.conv2d(x, w), [(3, 2, 1, 5, 5), (3, 4, 1, 3, 3)], 0),
    (lambda lib: lambda x: lib.nn.functional.max_pool2d(x, 2), [(3, 2, 1, 4, 4)], 0),
    (lambda lib: lambda x: lib.linalg.inv(x @ x.T + 3 * lib.eye(4, dtype=x.dtype)), [(3, 4, 4)], 0),
    (lambda lib: lambda x: lib.einsum("ij,jk->ik", x, x.T), [(3, 2, 4)], 0),
    (lambda lib: lambda x, y: lib.nn.functional.mse_loss(x, y), [(3, 4), (3, 4)], 0),
    (lambda lib: lambda x: x.unbind(-1)[1] + x.split(2, dim=-1)[0].sum(-1), [(3, 2, 4)], 0),
    (lambda lib: lambda x: lib.where(x > 0, x, x.exp() - 1).cumsum(0), [(3, 5)], 0),
])
def test_ops(fn, shapes, in_dims):
    side_by_side(fn, shapes, in_dims=in_dims)


def test_gather_with_batched_index():
    x = np.random.default_rng(0).standard_normal((3, 4, 5))
    idx = np.random.default_rng(1).integers(0, 5, (3, 4, 2))
    want = torch.func.vmap(lambda a, i: torch.gather(a, 1, i))(torch.tensor(x), torch.tensor(idx))
    got = leafgrad.vmap(lambda a, i: leafgrad.gather(a, 1, i))(leafgrad.tensor(x), leafgrad.tensor(idx))
    _same(want, got)


def test_per_sample_loss_with_batched_target():
    x = np.random.default_rng(0).standard_normal((5, 3, 4))
    t = np.random.default_rng(1).integers(0, 4, (5, 3))
    want = torch.func.vmap(torch.nn.functional.cross_entropy)(torch.tensor(x), torch.tensor(t))
    got = leafgrad.vmap(leafgrad.nn.functional.cross_entropy)(leafgrad.tensor(x), leafgrad.tensor(t))
    _same(want, got)


def test_indexing_with_batched_index_tensor():
    x = np.random.default_rng(0).standard_normal((5, 3, 4))
    i = np.random.default_rng(1).integers(0, 4, (5, 2))
    for f in (lambda a, j: a[:, j], lambda a, j: a[j % 3], lambda a, j: a[0, j]):
        _same(torch.func.vmap(f)(torch.tensor(x), torch.tensor(i)),
              leafgrad.vmap(f)(leafgrad.tensor(x), leafgrad.tensor(i)))


def test_inplace_on_batched_tensor():
    def f(x, y):
        z = x.clone()
        z.mul_(2).add_(y)
        z[0] = 1.0
        return z
    side_by_side(lambda lib: f, [(3, 4), (3, 4)])


def test_inplace_on_unbatched_tensor_errors():
    th, lg = both((3, 4))
    with pytest.raises(RuntimeError) as e_t:
        torch.func.vmap(lambda a: torch.ones(4, dtype=a.dtype).copy_(a))(th[0])
    with pytest.raises(RuntimeError) as e_l:
        leafgrad.vmap(lambda a: leafgrad.ones(4, dtype=a.dtype).copy_(a))(lg[0])
    assert str(e_l.value) == str(e_t.value)


def test_logical_views_of_a_batched_tensor():
    seen = {}

    def f(x):
        seen.update(shape=tuple(x.shape), dim=x.dim(), numel=x.numel(), len=len(x), size1=x.size(1),
                    ndim=x.ndim, type=type(x))
        assert [tuple(r.shape) for r in x] == [(4,), (4,)]
        return x
    leafgrad.vmap(f)(leafgrad.randn(3, 2, 4))
    assert seen == dict(shape=(2, 4), dim=2, numel=8, len=2, size1=4, ndim=2, type=BatchedTensor)


def test_repr_inside_vmap():
    out = []
    leafgrad.vmap(lambda x: out.append(repr(x)) or x)(leafgrad.randn(2, 3))
    assert out[0].startswith("BatchedTensor(lvl=1, bdim=0, value=\n    tensor(")


# ------------------------------------------------------------------ errors
def _errors(f_t, f_l):
    with pytest.raises(Exception) as e_t:
        f_t()
    with pytest.raises(Exception) as e_l:
        f_l()
    assert type(e_l.value) is type(e_t.value), (e_t.value, e_l.value)
    assert str(e_l.value) == str(e_t.value)


def add2(a, b):
    return a + b


def ident(a):
    return a


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.vmap(add2, in_dims=(0,))(x, x),
    lambda lib, x: lib.vmap(add2, in_dims=(0, {"a": 0}))(x, x),
    lambda lib, x: lib.vmap(ident, in_dims=[0])(x),
    lambda lib, x: lib.vmap(ident, in_dims=0.5)(x),
    lambda lib, x: lib.vmap(ident, in_dims=(0.5,))(x),
    lambda lib, x: lib.vmap(ident, in_dims=2)(x),
    lambda lib, x: lib.vmap(ident, in_dims=-3)(x),
    lambda lib, x: lib.vmap(add2, in_dims=(0, 0))(x, 3),
    lambda lib, x: lib.vmap(add2)(x, x[:2]),
    lambda lib, x: lib.vmap(ident)(),
    lambda lib, x: lib.vmap(ident, in_dims=None)(x),
    lambda lib, x: lib.vmap(ident, in_dims=(None,))(x),
    lambda lib, x: lib.vmap(lambda a: 3)(x),
    lambda lib, x: lib.vmap(lambda a: (a, 3))(x),
    lambda lib, x: lib.vmap(ident, out_dims=None)(x),
    lambda lib, x: lib.vmap(lambda a: (a, a), out_dims=(0,))(x),
    lambda lib, x: lib.vmap(ident, out_dims="a")(x),
    lambda lib, x: lib.vmap(ident, out_dims=(0, 1))(x),
    lambda lib, x: lib.vmap(ident, out_dims=2)(x),
    lambda lib, x: lib.vmap(ident, randomness="bad")(x),
    lambda lib, x: lib.vmap(ident, chunk_size=0)(x),
    lambda lib, x: lib.vmap(lambda a: a.sum().item())(x),
    lambda lib, x: lib.vmap(lambda a: float(a.sum()))(x),
    lambda lib, x: lib.vmap(lambda a: bool(a.sum() > 0))(x),
    lambda lib, x: lib.vmap(lambda a: a.numpy())(x),
    lambda lib, x: lib.vmap(lambda a: a[a > 0])(x),
    lambda lib, x: lib.vmap(lambda a: lib.masked_select(a, a > 0))(x),
    lambda lib, x: lib.vmap(lambda a: lib.unique(a))(x),
    lambda lib, x: lib.vmap(lambda a: a.shape)(x),
])
def test_errors(call):
    th, lg = both((3, 4))
    _errors(lambda: call(torch, th[0]), lambda: call(leafgrad, lg[0]))


# ------------------------------------------------------------------ autograd
def test_backward_through_vmap():
    def f(lib):
        return lambda x, w: ((x @ w).tanh() ** 2).sum()
    th, lg = both((5, 3, 4), (4, 2))
    for t in th + lg:
        t.requires_grad_()
    torch.func.vmap(f(torch), in_dims=(0, None))(*th).sum().backward()
    out = leafgrad.vmap(f(leafgrad), in_dims=(0, None))(*lg)
    assert out.requires_grad and type(out) is leafgrad.Tensor
    out.sum().backward()
    _same(th[0].grad, lg[0].grad)
    _same(th[1].grad, lg[1].grad)


def test_backward_through_vmap_in_dim_1():
    th, lg = both((3, 5))
    for t in th + lg:
        t.requires_grad_()
    (torch.func.vmap(lambda x: x.softmax(0)[0], in_dims=1)(th[0]) * torch.arange(5.)).sum().backward()
    (leafgrad.vmap(lambda x: x.softmax(0)[0], in_dims=1)(lg[0]) * leafgrad.arange(5.)).sum().backward()
    _same(th[0].grad, lg[0].grad)


def _grad(f):
    """A small torch.func.grad for the tests: autograd.grad on an alias of the input."""
    def g(x):
        with leafgrad.enable_grad():
            x_ = x if x.requires_grad else x.detach().requires_grad_()
            return leafgrad.autograd.grad(f(x_), x_, create_graph=True)[0]
    return g


def test_autograd_grad_inside_vmap():
    f_t = lambda x: (x.sin() ** 2).sum()  # noqa: E731
    th, lg = both((4, 3))
    want = torch.func.vmap(torch.func.grad(f_t))(th[0])
    got = leafgrad.vmap(_grad(lambda x: (x.sin() ** 2).sum()))(lg[0])
    _same(want, got)


def test_autograd_grad_inside_vmap_create_graph_and_backward():
    th, lg = both((4, 3))
    th[0].requires_grad_()
    lg[0].requires_grad_()
    torch.func.vmap(torch.func.grad(lambda x: (x.sin() ** 2).sum()))(th[0]).sum().backward()
    leafgrad.vmap(lambda x: leafgrad.autograd.grad((x.sin() ** 2).sum(), x, create_graph=True)[0])(
        lg[0]).sum().backward()
    _same(th[0].grad, lg[0].grad)


def test_vmap_of_grad_of_grad():
    th, lg = both((4, 3))
    want = torch.func.vmap(torch.func.grad(lambda x: torch.func.grad(lambda y: (y ** 3).sum())(x).sum()))(th[0])
    got = leafgrad.vmap(_grad(lambda x: _grad(lambda y: (y ** 3).sum())(x).sum()))(lg[0])
    _same(want, got)


def test_jacobian_rows_inside_vmap():
    """vmap over grad_outputs: the rows of a Jacobian (what jacrev does)."""
    x_t = torch.randn(3, dtype=torch.float64, requires_grad=True)
    x_l = leafgrad.tensor(x_t.detach().numpy(), requires_grad=True)
    y_t, y_l = x_t.sin() * x_t.sum(), x_l.sin() * x_l.sum()
    eye_t, eye_l = torch.eye(3, dtype=torch.float64), leafgrad.eye(3, dtype=leafgrad.float64)
    want = torch.func.vmap(lambda v: torch.autograd.grad(y_t, x_t, v, retain_graph=True)[0])(eye_t)
    got = leafgrad.vmap(lambda v: leafgrad.autograd.grad(y_l, x_l, v, retain_graph=True)[0])(eye_l)
    _same(want, got)


def test_per_sample_gradients_with_batched_alias():
    """Per-sample gradients of a loss w.r.t. shared weights: the weights are lifted to the
    active levels first (what func.grad under vmap should do), so each sample gets its own."""
    from leafgrad.func._vmap import lift
    th, lg = both((4, 3), (5, 4, 3))

    def loss_t(w, x):
        return ((x @ w.T) ** 2).sum()
    want = torch.func.vmap(torch.func.grad(loss_t), in_dims=(None, 0))(th[0], th[1])

    def per_sample(w, x):
        return _grad(lambda v: ((x @ v.T) ** 2).sum())(lift(w))
    got = leafgrad.vmap(per_sample, in_dims=(None, 0))(lg[0], lg[1])
    _same(want, got)


def test_lift_under_nested_vmap():
    from leafgrad.func._vmap import lift
    th, lg = both((4, 3), (2, 5, 3))

    def loss_t(w, x):
        return ((x * w).sum(-1) ** 2).sum()
    want = torch.func.vmap(torch.func.vmap(torch.func.grad(loss_t), in_dims=(None, 0)), in_dims=(None, 0))(*th)
    got = leafgrad.vmap(leafgrad.vmap(lambda w, x: _grad(lambda v: ((x * v).sum(-1) ** 2).sum())(lift(w)),
                                      in_dims=(None, 0)), in_dims=(None, 0))(*lg)
    _same(want, got)


# ------------------------------------------------------------------ randomness, chunks
def test_randomness_error_mode():
    th, lg = both((3, 4))
    _errors(lambda: torch.func.vmap(lambda a: a * torch.rand(4, dtype=a.dtype))(th[0]),
            lambda: leafgrad.vmap(lambda a: a * leafgrad.rand(4, dtype=a.dtype))(lg[0]))
    _errors(lambda: torch.func.vmap(lambda a: torch.nn.functional.dropout(a, 0.5))(th[0]),
            lambda: leafgrad.vmap(lambda a: leafgrad.nn.functional.dropout(a, 0.5))(lg[0]))


def test_randomness_same():
    x = leafgrad.ones(3, 4)
    leafgrad.manual_seed(0)
    same = leafgrad.vmap(lambda a: a * leafgrad.rand(4), randomness="same")(x)
    assert np.allclose(same.numpy()[0], same.numpy()[1])
    like = leafgrad.vmap(lambda a: leafgrad.rand_like(a) + a, randomness="same")(x)
    assert like.shape == (3, 4) and np.allclose(like.numpy()[0], like.numpy()[2])
    torch.manual_seed(0)
    want = torch.func.vmap(lambda a: a * torch.rand(4), randomness="same")(torch.ones(3, 4))
    _same(want, same)


def test_randomness_different_refuses_draws_it_does_not_batch():
    with pytest.raises(RuntimeError, match="randomness='different' covers"):
        leafgrad.vmap(lambda a: a * leafgrad.randperm(4), randomness="different")(leafgrad.ones(3, 4))
    out = leafgrad.vmap(lambda a: a * 2, randomness="different")(leafgrad.ones(3, 4))   # no draw: fine
    assert out.shape == (3, 4)


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 10])
def test_chunk_size(chunk_size):
    side_by_side(lambda lib: lambda x, y: (x.exp() @ y, x.sum()), [(5, 3, 4), (4, 2)], in_dims=(0, None),
                 chunk_size=chunk_size, out_dims=(1, 0))


# ------------------------------------------------------------------ one op run per call
def test_each_op_runs_once_on_the_batch():
    from leafgrad.ops import REGISTRY
    spec = REGISTRY["sin"]
    calls = []
    fwd = spec.forward

    def counting(*a, **k):
        calls.append(np.shape(a[0]))
        return fwd(*a, **k)
    spec.forward = counting
    try:
        leafgrad.vmap(lambda x: x.sin())(leafgrad.randn(7, 3))
    finally:
        spec.forward = fwd
    assert calls == [(7, 3)]


# ------------------------------------------------------------------ index tensors, arg-reductions
@pytest.mark.parametrize("fn", [
    lambda lib: lambda a: a.argmax(-1),
    lambda lib: lambda a: a.argmax(),
    lambda lib: lambda a: a.argmin(0, keepdim=True),
    lambda lib: lambda a: a.argsort(-1, descending=True),
    lambda lib: lambda a: a.gather(-1, a.argsort(-1)),
])
def test_arg_reductions(fn):
    th, lg = both((3, 4, 5))
    _same(torch.func.vmap(fn(torch))(th[0]), leafgrad.vmap(fn(leafgrad))(lg[0]))


@pytest.mark.parametrize("fn, extra", [
    (lambda lib: lambda a, m: a.masked_fill(m, 0.5), lambda rng: rng.random((3, 4, 5)) > 0.5),
    (lambda lib: lambda a, i: a.scatter_add(0, i, a[:2]), lambda rng: rng.integers(0, 4, (3, 2, 5))),
    (lambda lib: lambda a, i: a.scatter(0, i, 1.0), lambda rng: rng.integers(0, 4, (3, 2, 5))),
    (lambda lib: lambda a, j: a.index_select(1, j), lambda rng: rng.integers(0, 5, (3, 2))),
    (lambda lib: lambda a, j: a.index_select(0, j % 4), lambda rng: rng.integers(0, 5, (3, 2))),
    (lambda lib: lambda a, i: lib.take_along_dim(a, i, 0), lambda rng: rng.integers(0, 4, (3, 2, 5))),
    (lambda lib: lambda a, j: lib.nn.functional.embedding(j, a), lambda rng: rng.integers(0, 4, (3, 2))),
])
def test_batched_index_tensors(fn, extra):
    rng = np.random.default_rng(0)
    x, e = rng.standard_normal((3, 4, 5)), extra(rng)
    _same(torch.func.vmap(fn(torch))(torch.tensor(x), torch.tensor(e)),
          leafgrad.vmap(fn(leafgrad))(leafgrad.tensor(x), leafgrad.tensor(e)))


def test_index_converted_by_a_wrapper_is_refused_not_ignored():
    """take() normalises its index to a new array before the op: rather than silently use
    the first sample's index, vmap says so."""
    rng = np.random.default_rng(0)
    x, i = leafgrad.tensor(rng.standard_normal((3, 4, 5))), leafgrad.tensor(rng.integers(0, 20, (3, 2)))
    with pytest.raises(RuntimeError, match="first sample"):
        leafgrad.vmap(leafgrad.take)(x, i)


@pytest.mark.parametrize("fn", [
    lambda a: (a > 0).all(), lambda a: (a > 0).any(-1), lambda a: (a > 0).all(0, keepdim=True),
    lambda a: a.count_nonzero(), lambda a: (a > 0).count_nonzero(1),
])
def test_boolean_reductions(fn):
    th, lg = both((3, 4, 5))
    _same(torch.func.vmap(fn)(th[0]), leafgrad.vmap(fn)(lg[0]))


def test_nonzero_is_refused_as_in_pytorch():
    th, lg = both((3, 4))
    _errors(lambda: torch.func.vmap(lambda a: a.nonzero())(th[0]), lambda: leafgrad.vmap(lambda a: a.nonzero())(lg[0]))


# ------------------------------------------------------------------ forward AD and vmap
def _jvp(f, x, t):
    import leafgrad.autograd.forward_ad as fwAD
    with fwAD.dual_level():
        return fwAD.unpack_dual(f(fwAD.make_dual(x, t))).tangent


def test_jacfwd_is_vmap_of_jvp():
    th, lg = both((3,))
    want = torch.func.jacfwd(lambda v: (v.sin() * v.sum()).exp())(th[0])
    got = leafgrad.vmap(lambda t: _jvp(lambda v: (v.sin() * v.sum()).exp(), lg[0], t), out_dims=1)(
        leafgrad.eye(3, dtype=leafgrad.float64))
    _same(want, got)


def test_jvp_of_vmap():
    th, lg = both((3,))
    want = torch.func.jvp(lambda v: torch.vmap(lambda r: (r * v).sum())(torch.stack([v, v * 2])), (th[0],),
                          (torch.ones(3, dtype=torch.float64),))[1]
    got = _jvp(lambda v: leafgrad.vmap(lambda r: (r * v).sum())(leafgrad.stack([v, v * 2])), lg[0],
               leafgrad.ones(3, dtype=leafgrad.float64))
    _same(want, got)


# ------------------------------------------------------------------ modules
def _copy_module(tm, lm):
    lm.load_state_dict({k: leafgrad.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    tm.eval()
    lm.eval()


def test_vmap_over_a_cnn_and_backward():
    torch.manual_seed(0)

    def build(lib):
        nn = lib.nn
        return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(0),
                             nn.Linear(64, 10), nn.LayerNorm(10), nn.Tanh())
    tm, lm = build(torch), build(leafgrad)
    _copy_module(tm, lm)
    x = np.random.default_rng(0).standard_normal((5, 1, 8, 8)).astype(np.float32)
    want, got = torch.vmap(tm)(torch.tensor(x)), leafgrad.vmap(lm)(leafgrad.tensor(x))
    _same(want, got, rtol=1e-4, atol=1e-5)
    want.square().sum().backward()
    got.square().sum().backward()
    _same(tm[0].weight.grad, lm[0].weight.grad, rtol=1e-4, atol=1e-5)


def test_vmap_over_a_transformer_layer():
    torch.manual_seed(0)
    tm = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    lm = leafgrad.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    _copy_module(tm, lm)
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 8)).astype(np.float32)
    _same(torch.vmap(tm)(torch.tensor(x)), leafgrad.vmap(lm)(leafgrad.tensor(x)), rtol=1e-4, atol=1e-5)


def test_batch_norm_running_stats_refused_as_torch():
    from sidebyside import raises_same

    def prog(T):
        bn = T.nn.BatchNorm1d(3)
        return T.vmap(bn)(T.ones(4, 2, 3))
    raises_same(prog)


def test_randomness_same_inplace_fills_every_sample():
    from sidebyside import same

    def prog(T):
        T.manual_seed(0)

        def f(r):
            r = r.clone()
            r.uniform_()
            return r + T.rand(4)
        a = T.vmap(f, randomness="same")(T.zeros(3, 4))
        b = T.vmap(lambda r: T.nn.functional.dropout(r + 1, 0.5), randomness="same")(T.zeros(3, 4))
        return a, b
    same(prog)


def test_randomness_different_matches_torch():
    """One draw covers the batch (the batch sizes in front), as PyTorch draws it."""
    from sidebyside import same

    def prog(T):
        out = []
        for fn in (lambda r: r.clone().uniform_(),
                   lambda r: T.nn.functional.dropout(r + 1, 0.5),
                   lambda r: r + T.rand(4),
                   lambda r: r + T.randn_like(r),
                   lambda r: r + T.randint(0, 5, (4,)),
                   lambda r: r + T.normal(0.0, 2.0, (4,))):
            T.manual_seed(0)
            out.append(T.vmap(fn, randomness="different")(T.zeros(3, 4)))
        T.manual_seed(0)
        out.append(T.vmap(T.vmap(lambda r: r + T.rand(()), randomness="different"), randomness="different")(
            T.zeros(2, 3)))
        return out
    same(prog)
