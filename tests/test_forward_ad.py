"""autograd.forward_ad side by side with torch: dual levels, make_dual / unpack_dual,
tangents through ops, in-place ops and views, reverse mode through tangents, errors."""
import warnings

import pytest
import torch

from sidebyside import same, raises_same

with warnings.catch_warnings():   # torch's one-time decomposition loading warns on first use
    warnings.simplefilter("ignore")
    with torch.autograd.forward_ad.dual_level():
        torch.autograd.forward_ad.make_dual(torch.ones(1), torch.ones(1)).sin()


def _fw(T):
    return T.autograd.forward_ad


def test_basic_tangents():
    def prog(T):
        fw = _fw(T)
        x = T.tensor([0.5, -1.0, 2.0])
        with fw.dual_level():
            d = fw.make_dual(x, T.tensor([1.0, 0.5, -2.0]))
            y = (d.sin() * d.exp() + d @ d).log_softmax(0)
            p, t = fw.unpack_dual(y)
            z = T.stack([d, d * 2]).max(dim=0).values
            u = fw.unpack_dual(T.nn.functional.gelu(d, approximate="tanh"))
            plain = fw.unpack_dual(x)
        after = fw.unpack_dual(y)
        return p, t, z.detach(), u.tangent, plain.tangent, after.tangent, type(after).__name__, after._fields
    same(prog, rtol=1e-4)


def test_repr_shows_tangent():
    def prog(T):
        fw = _fw(T)
        with fw.dual_level():
            d = fw.make_dual(T.tensor([1.0, 2.0]), T.tensor([0.5, 0.25]))
            inside = repr(d * 2)
        return inside, repr(d * 2)
    same(prog)


def test_make_dual_is_a_view_and_tangent_graph():
    def prog(T):
        fw = _fw(T)
        x = T.tensor([1.0, 2.0], requires_grad=True)
        with fw.dual_level():
            d = fw.make_dual(x, T.ones(2))
            t = fw.unpack_dual(d.sin() * 2).tangent
            (t.sum() + fw.unpack_dual(d.exp()).tangent.sum()).backward()
            return type(d.grad_fn).__name__, d._base is x, d.is_leaf, t.requires_grad, x.grad
    same(prog)


def test_tangent_that_requires_grad():
    def prog(T):
        fw = _fw(T)
        x = T.tensor([1.0, 2.0])
        v = T.tensor([0.5, -1.0], requires_grad=True)
        with fw.dual_level():
            d = fw.make_dual(x, v)
            t = fw.unpack_dual((d * d).tanh()).tangent
            t.sum().backward()
            return t, v.grad
    same(prog)


def test_inplace_and_views():
    def prog(T):
        fw = _fw(T)
        with fw.dual_level():
            d = fw.make_dual(T.tensor([1.0, 2.0, 3.0]), T.tensor([1.0, 0.0, -1.0]))
            z = T.ones(3)
            z.mul_(d)
            w = d.clone()
            w.exp_()
            v = d[1:] * 3
            r = d.reshape(3, 1).expand(3, 2)
            return (fw.unpack_dual(z).tangent, fw.unpack_dual(w).tangent, fw.unpack_dual(v).tangent,
                    fw.unpack_dual(r).tangent, fw.unpack_dual(d.detach()).tangent)
    same(prog)


def test_integer_and_comparison_outputs():
    def prog(T):
        fw = _fw(T)
        with fw.dual_level():
            d = fw.make_dual(T.tensor([1.0, 3.0, 2.0]), T.tensor([1.0, 1.0, 1.0]))
            return (fw.unpack_dual(d.argmax()).tangent, fw.unpack_dual(d > 1).tangent,
                    fw.unpack_dual(d.sort().values).tangent, fw.unpack_dual(d.sort().indices).tangent)
    same(prog)


def test_float64_and_mixed_dtypes():
    def prog(T):
        fw = _fw(T)
        with fw.dual_level():
            d = fw.make_dual(T.tensor([1.0, 2.0], dtype=T.float64), T.tensor([0.5, 1.0], dtype=T.float64))
            e = fw.make_dual(T.tensor([3.0, 4.0]), T.tensor([1.0, -1.0]))
            return fw.unpack_dual(d * e).tangent, fw.unpack_dual(d + 1).tangent, fw.unpack_dual(e / d).tangent
    same(prog)


def test_custom_level_argument():
    def prog(T):
        fw = _fw(T)
        with fw.dual_level() as lvl:
            d = fw.make_dual(T.tensor([1.0]), T.tensor([2.0]), level=lvl)
            return lvl, fw.unpack_dual(d.exp(), level=lvl).tangent
    same(prog)


ERRORS = {
    "no level": lambda T: _fw(T).make_dual(T.ones(2), T.ones(2)),
    "nested": lambda T: [_fw(T).dual_level().__enter__(), _fw(T).dual_level().__enter__()],
    "size": lambda T: _run_in_level(T, lambda fw: fw.make_dual(T.ones(2), T.ones(3))),
    "int primal": lambda T: _run_in_level(T, lambda fw: fw.make_dual(T.ones(2, dtype=T.int64), T.ones(2))),
    "int tangent": lambda T: _run_in_level(T, lambda fw: fw.make_dual(T.ones(2), T.ones(2, dtype=T.int64))),
    "exit twice": lambda T: [_fw(T).enter_dual_level(), _fw(T).exit_dual_level(), _fw(T).exit_dual_level()],
}


def _run_in_level(T, fn):
    fw = _fw(T)
    with fw.dual_level():
        return fn(fw)


@pytest.mark.parametrize("name", ERRORS)
def test_errors(name):
    import leafgrad
    try:
        raises_same(ERRORS[name])
    finally:
        for mod in (torch, leafgrad):   # leave no level behind
            while True:
                try:
                    mod.autograd.forward_ad.exit_dual_level()
                except RuntimeError:
                    break


def test_custom_function_jvp():
    def prog(T):
        fw = _fw(T)

        class Scale(T.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                ctx.save_for_forward(x)
                ctx.k = k
                return x * k

            @staticmethod
            def backward(ctx, g):
                return g * ctx.k, None

            @staticmethod
            def jvp(ctx, tx, tk):
                (x,) = ctx.saved_tensors
                return tx * ctx.k + x * 0

        class NoJvp(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2

        with fw.dual_level():
            d = fw.make_dual(T.tensor([1.0, 2.0]), T.tensor([1.0, -1.0]))
            a = fw.unpack_dual(Scale.apply(d, 3.0))
            b = fw.unpack_dual(Scale.apply(T.ones(2), 3.0))
            try:
                NoJvp.apply(d)
                err = None
            except NotImplementedError as e:
                err = str(e)
        return tuple(a), tuple(b), err
    same(prog)


def test_views_share_tangents():
    """The tangent of a view is a view of the tangent: in-place changes through a view
    reach the base's tangent, and the base's reach the views'."""
    def prog(T):
        fw = _fw(T)
        with fw.dual_level():
            t = T.ones(3)
            d = fw.make_dual(T.tensor([1., 2., 3.]), t)
            e = d.clone()
            v = e[1:]
            v.mul_(3)
            z = T.zeros(3)
            z[0] = d[2] * 5
            w = T.zeros(2, 3)
            row = w[1]
            row.copy_(d)
            col = w[:, 0]
            w.mul_(2)
            d.mul_(4)
            return [fw.unpack_dual(x).tangent for x in (e, v, z, w, row, col, d)] + [t]
    same(prog)


def test_float64_tangent_of_float32_tensor():
    """PyTorch keeps the tangent's dtype: float64 tangents flow through float32 ops."""
    def prog(T):
        fw = _fw(T)
        with fw.dual_level():
            d = fw.make_dual(T.tensor([1.0, 2.0]), T.tensor([0.5, -1.0], dtype=T.float64))
            return [fw.unpack_dual(x).tangent for x in (d, d.sin(), d * 2, d.exp().sum())]
    same(prog)
