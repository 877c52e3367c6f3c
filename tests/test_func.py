"""leafgrad.func side by side with torch.func: grad, grad_and_value, vjp, jvp, jacrev,
jacfwd, hessian, functional_call, their compositions, pytrees and errors."""
import warnings

import numpy as np
import pytest
import torch

from sidebyside import same, raises_same

# torch loads its forward-AD decompositions on first use, warning about torch.jit.script
# once; load them here so that the side-by-side warning checks see only the programs'.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    torch.func.jvp(torch.sin, (torch.ones(1),), (torch.ones(1),))

X = [0.5, -1.0, 2.0]
W = [[1.0, 0.5, -0.3], [0.2, -1.0, 0.4]]


def _xw(T, dtype=None):
    return T.tensor(X, dtype=dtype), T.tensor(W, dtype=dtype)


def _loss(T, W):
    return lambda x: (W @ x).tanh().pow(2).sum()


# ------------------------------------------------------------------ values
FUNCS = {
    "tanh_mlp": lambda T, W: lambda x: (W @ x).tanh().pow(2).sum(),
    "softmax": lambda T, W: lambda x: T.log_softmax(W @ x, 0)[1],
    "norm": lambda T, W: lambda x: T.linalg.vector_norm(x * x.exp()),
    "cumprod": lambda T, W: lambda x: x.cumprod(0).sum() + x.sin().prod(),
}


@pytest.mark.parametrize("name", FUNCS)
def test_grad(name):
    same(lambda T: T.func.grad(FUNCS[name](T, _xw(T)[1]))(_xw(T)[0]))


@pytest.mark.parametrize("name", FUNCS)
def test_hessian(name):
    same(lambda T: T.func.hessian(FUNCS[name](T, _xw(T)[1]))(_xw(T)[0]), rtol=1e-4)


@pytest.mark.parametrize("outer", ["jacfwd", "jacrev"])
@pytest.mark.parametrize("inner", ["jacfwd", "jacrev"])
def test_jacobian_of_jacobian(outer, inner):
    same(lambda T: getattr(T.func, outer)(getattr(T.func, inner)(FUNCS["tanh_mlp"](T, _xw(T)[1])))(_xw(T)[0]),
         rtol=1e-4)


@pytest.mark.parametrize("jac", ["jacfwd", "jacrev"])
def test_jacobian_shapes(jac):
    def prog(T):
        x, W = _xw(T)
        J = getattr(T.func, jac)
        return (J(lambda x: (W @ x).tanh())(x),
                J(lambda x: x.outer(x))(x),                              # out (3, 3), in (3,)
                J(lambda m: m.sum(0))(W),                                # out (3,), in (2, 3)
                J(lambda s: s * x)(T.tensor(2.0)),                       # 0-d input
                J(lambda x: x.sum())(x),                                  # 0-d output
                J(lambda a, b: a * b + b.sin(), argnums=(0, 1))(x, x * 2),
                J(lambda a, b: (a * b, a.exp()), argnums=1)(x, x * 2),    # tuple output
                J(lambda d: d["a"] * d["b"].sum())({"a": x, "b": x.cos()}))  # dict input
    same(prog, rtol=1e-4)


def test_jacobian_has_aux():
    same(lambda T: T.func.jacrev(lambda x: (x.sin(), x.cos()), has_aux=True)(_xw(T)[0]))
    same(lambda T: T.func.jacfwd(lambda x: (x.sin(), {"c": x.cos()}), has_aux=True)(_xw(T)[0]))


def test_grad_argnums_and_aux():
    def prog(T):
        x, W = _xw(T)
        f = lambda a, b, c: ((a * b).sum() * c, a.mean())  # noqa: E731
        return (T.func.grad(lambda a, b: (a * b).sin().sum(), argnums=(0, 1))(x, x * 2),
                T.func.grad(lambda a, b: (a * b).sin().sum(), argnums=-1)(x, x * 2),
                T.func.grad(f, argnums=(2, 0), has_aux=True)(x, x * 2, T.tensor(3.0)),
                T.func.grad_and_value(f, has_aux=True)(x, x, T.tensor(3.0)),
                T.func.grad_and_value(lambda a: (a ** 3).sum())(x),
                T.func.grad(lambda p: (p["w"] @ p["x"]).sum())({"w": W, "x": x}),
                T.func.grad(lambda p: p[0].sum() * p[1][0].sum())((x, [x * 3])))
    same(prog)


def test_grad_of_grad_and_closures():
    def prog(T):
        x = T.tensor(0.7)
        g = T.func.grad
        inner = lambda x: g(lambda y: (x * y).sin())(x)  # noqa: E731  d/dy sin(xy) at y = x
        y = T.tensor(1.5, requires_grad=True)
        h = g(lambda a: (a * y).sin())(T.tensor(0.3))     # closes over y: keeps its graph
        h.backward()
        return g(g(lambda t: t.sin() * t.exp()))(x), g(inner)(x), h, y.grad, g(g(g(lambda t: t ** 4)))(x)
    same(prog)


def test_vjp_and_jvp():
    def prog(T):
        x, W = _xw(T)
        out, fn = T.func.vjp(lambda a, b: (a * b).tanh(), x, x * 2)
        out2, fn2, aux = T.func.vjp(lambda a: ((a.exp(), a.sum()), a.max()), x, has_aux=True)
        j = T.func.jvp(lambda a, b: (W @ (a * b)).sin(), (x, x * 2), (T.ones(3), x))
        j2 = T.func.jvp(lambda a: (a.exp(), a.mean()), (x,), (x,), has_aux=False)
        j3 = T.func.jvp(lambda a: (a.exp(), a.mean()), (x,), (x,), has_aux=True)
        j4 = T.func.jvp(lambda a: T.zeros(2), (x,), (x,))
        return out, fn(T.ones(3)), fn(x), out2, fn2((T.ones(3), T.tensor(2.0))), aux, j, j2, j3, j4
    same(prog)


def test_jvp_of_vjp_and_vjp_of_jvp():
    def prog(T):
        x, W = _xw(T)
        f = lambda a: (W @ a).tanh()  # noqa: E731
        hvp = T.func.jvp(lambda a: T.func.grad(lambda b: f(b).pow(2).sum())(a), (x,), (T.ones(3),))
        _, fn = T.func.vjp(lambda a: T.func.jvp(f, (a,), (T.ones(3),))[1], x)
        return hvp, fn(T.ones(2))
    same(prog, rtol=1e-4)


def test_float64_and_results_outside_graph():
    def prog(T):
        x, W = _xw(T, T.float64)
        g = T.func.grad(lambda a: (W @ a).exp().sum())(x)
        H = T.func.hessian(lambda a: (W @ a).exp().sum())(x)
        return g, H, g.requires_grad, H.requires_grad
    same(prog)


def test_functional_call():
    def prog(T):
        T.manual_seed(0)
        m = T.nn.Sequential(T.nn.Linear(3, 4), T.nn.Tanh(), T.nn.Linear(4, 2))
        x = T.tensor([X, [1.0, 2.0, 3.0]])
        params = {k: v.detach() * 2 for k, v in m.named_parameters()}
        out = T.func.functional_call(m, params, (x,))
        grads = T.func.grad(lambda p: T.func.functional_call(m, p, (x,)).pow(2).sum())(params)
        bn = T.nn.BatchNorm1d(3)
        out_bn = T.func.functional_call(bn, {"running_mean": T.ones(3)}, x)
        split = T.func.functional_call(m, ({"0.weight": params["0.weight"]}, {"2.bias": T.zeros(2)}), x)
        return out, grads, out_bn, bn.running_mean, split, m(x)
    same(prog)


def test_functional_call_errors():
    raises_same(lambda T: T.func.functional_call(T.nn.Linear(2, 2), {"bogus": T.zeros(2)}, (T.ones(2),),
                                                 strict=True))
    raises_same(lambda T: T.func.functional_call(T.nn.Linear(2, 2), {"weight": T.zeros(2, 2)}, (T.ones(2),),
                                                 strict=True))
    raises_same(lambda T: T.func.functional_call(T.nn.Linear(2, 2), ({"weight": T.zeros(2, 2)},
                                                                      {"weight": T.zeros(2, 2)}), (T.ones(2),)))


ERRORS = {
    "grad non-scalar": lambda T: T.func.grad(lambda x: x)(T.ones(2)),
    "grad non-tensor": lambda T: T.func.grad(lambda x: 1.0)(T.ones(2)),
    "grad argnum range": lambda T: T.func.grad(lambda x: x.sum(), argnums=2)(T.ones(2)),
    "grad argnums dup": lambda T: T.func.grad(lambda x: x.sum(), argnums=(0, 0))(T.ones(2)),
    "grad argnums empty": lambda T: T.func.grad(lambda x: x.sum(), argnums=())(T.ones(2)),
    "grad argnums type": lambda T: T.func.grad(lambda x: x.sum(), argnums=[0])(T.ones(2)),
    "grad argnum type": lambda T: T.func.grad(lambda x: x.sum(), argnums=(0.0,))(T.ones(2)),
    "grad aux": lambda T: T.func.grad(lambda x: x.sum(), has_aux=True)(T.ones(2)),
    "grad non-tensor input": lambda T: T.func.grad(lambda x: T.ones(()) * x)(2.0),
    "jvp primals": lambda T: T.func.jvp(lambda x: x.sum(), T.ones(2), T.ones(2)),
    "jvp sizes": lambda T: T.func.jvp(lambda x: x.sum(), (T.ones(2),), (T.ones(3),)),
    "jvp structure": lambda T: T.func.jvp(lambda x: x.sum(), (T.ones(2),), [T.ones(2)]),
    "jvp structure nested": lambda T: T.func.jvp(lambda x, y: x, (T.ones(2), T.ones(2)), [T.ones(2), T.ones(2)]),
    "jvp output": lambda T: T.func.jvp(lambda x: 3, (T.ones(2),), (T.ones(2),)),
    "jvp strict": lambda T: T.func.jvp(lambda x: T.zeros(2), (T.ones(2),), (T.ones(2),), strict=True),
    "jvp aux": lambda T: T.func.jvp(lambda x: x, (T.ones(2),), (T.ones(2),), has_aux=True),
    "vjp int output": lambda T: T.func.vjp(lambda x: x.int(), T.ones(2)),
    "vjp cotangent shape": lambda T: T.func.vjp(lambda x: x * 2, T.ones(2))[1](T.ones(3)),
    "vjp cotangent structure": lambda T: T.func.vjp(lambda x: x * 2, T.ones(2))[1]((T.ones(2),)),
    "vjp cotangent structure nested": lambda T: T.func.vjp(lambda x: (x, {"a": x}), T.ones(2))[1]((T.ones(2),)),
    "vjp aux": lambda T: T.func.vjp(lambda x: x * 2, T.ones(2), has_aux=True),
    "jacrev chunk": lambda T: T.func.jacrev(lambda x: x.sin(), chunk_size=0)(T.ones(2)),
    "jacfwd randomness": lambda T: T.func.jacfwd(lambda x: x, randomness="bogus")(T.ones(2)),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors(name):
    raises_same(ERRORS[name])


def test_vjp_fn_reusable():
    def prog(T):
        x = T.tensor(X)
        _, fn = T.func.vjp(lambda a: a.exp() * a, x)
        return fn(T.ones(3)), fn(T.ones(3) * 2), fn(x)
    same(prog)


def test_jacrev_matches_autograd_functional():
    import leafgrad
    x = leafgrad.tensor(np.linspace(-1, 1, 5))
    f = lambda a: (a.sin() * a.sum()).exp()  # noqa: E731
    a = leafgrad.func.jacrev(f)(x).numpy()
    b = leafgrad.autograd.functional.jacobian(f, x).numpy()
    c = leafgrad.func.jacfwd(f)(x).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-6)
    np.testing.assert_allclose(c, b, rtol=1e-6)


def test_with_vmap():
    """Per-sample gradients, batched Jacobians and Hessians: vmap around the transforms,
    and the transforms around vmap."""
    def prog(T):
        T.manual_seed(0)
        w = T.tensor(W)
        xs = T.tensor([X, [1.0, 0.0, -0.5], [0.3, 0.3, 0.3], [2.0, -1.0, 1.0]])
        loss = lambda w, x: (w @ x).tanh().pow(2).sum()  # noqa: E731
        per_sample = T.vmap(T.func.grad(loss), in_dims=(None, 0))(w, xs)
        both_args = T.vmap(T.func.grad(loss, argnums=(0, 1)), in_dims=(None, 0))(w, xs)
        jac = T.vmap(T.func.jacrev(lambda x: (w @ x).sin()))(xs)
        jacf = T.vmap(T.func.jacfwd(lambda x: (w @ x).sin()))(xs)
        hess = T.vmap(T.func.hessian(lambda x: loss(w, x)))(xs)
        outer = T.func.jacrev(lambda x: T.vmap(lambda r: (r * x).sum())(xs))(T.tensor(X))
        model = T.nn.Linear(3, 2)
        params = {k: v.detach() for k, v in model.named_parameters()}
        ys = T.tensor([0, 1, 1, 0])

        def sample_loss(p, x, y):
            out = T.func.functional_call(model, p, (x.unsqueeze(0),))
            return T.nn.functional.cross_entropy(out, y.unsqueeze(0))
        ps = T.vmap(T.func.grad(sample_loss), in_dims=(None, 0, 0))(params, xs, ys)
        return per_sample, both_args, jac, jacf, hess, outer, ps
    same(prog, rtol=1e-4)


def test_jacrev_rows_at_once_and_in_chunks():
    def prog(T):
        x = T.tensor([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]])
        f = lambda a: (a @ a.T).exp().tanh()  # noqa: E731
        return (T.func.jacrev(f)(x), T.func.jacrev(f, chunk_size=1)(x), T.func.jacrev(f, chunk_size=3)(x),
                T.func.jacrev(lambda a: a[:0].sum(0))(x))
    same(prog, rtol=1e-4)
