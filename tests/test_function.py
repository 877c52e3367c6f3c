"""Side-by-side tests (torch vs leafgrad): torch.autograd.Function and the seed program."""
import contextlib
import io
# ---------------------------------------------------------------- side-by-side helpers
import re
import warnings

import numpy as np
import pytest
import torch

import leafgrad
from conftest import same_message


from sidebyside import _cmp, _is_tensor, _norm, gfn, raises_same, run_prog, same  # noqa: F401


# ------------------------------------------------------------------------------------


def _line_cls(T):
    class line(T.autograd.Function):
        @staticmethod
        def forward(ctx, w, x, b):
            ctx.save_for_backward(w, x, b)
            return w * x + b

        @staticmethod
        def backward(ctx, grad_out):
            w, x, b = ctx.saved_tensors
            return grad_out * x, grad_out * w, grad_out
    return line


def test_seed_program_printed_output():
    """The project's seed program prints identical text under torch and leafgrad."""
    def prog(T):
        buf = io.StringIO()
        T.manual_seed(0)
        line = _line_cls(T)
        w = T.rand(2, 2, requires_grad=True)
        x = T.rand(2, 2, requires_grad=True)
        b = T.rand(2, 2, requires_grad=True)
        out = line.apply(w, x, b)
        out.backward(T.ones(2, 2))
        with contextlib.redirect_stdout(buf):
            print(w, x, b, out)
            print(w.grad, x.grad, b.grad)
        return buf.getvalue()
    r = same(prog)
    assert "grad_fn=<lineBackward>" in r[1]


def test_seed_program_identical_data():
    data = np.random.RandomState(3).rand(3, 2, 2).astype(np.float32)

    def prog(T):
        w, x, b = (T.tensor(d.tolist(), requires_grad=True) for d in data)
        out = _line_cls(T).apply(w, x, b)
        out.backward(T.ones(2, 2))
        return [out, gfn(out), w.grad, x.grad, b.grad, repr(out)]
    same(prog)


def test_needs_input_grad_and_non_tensor_args():
    def prog(T):
        seen = {}

        class Scale(T.autograd.Function):
            @staticmethod
            def forward(ctx, x, k, y, flag):
                ctx.k = k
                seen["nig"] = ctx.needs_input_grad
                ctx.save_for_backward(x, y)
                return x * k + y * (2 if flag else 1)

            @staticmethod
            def backward(ctx, g):
                x, y = ctx.saved_tensors
                return g * ctx.k, None, g * 2, None
        x = T.tensor([1., 2.], requires_grad=True)
        y = T.tensor([3., 4.])
        out = Scale.apply(x, 3., y, True)
        out.sum().backward()
        return [out, gfn(out)[:2], x.grad, y.grad, seen["nig"]]
    same(prog)


def test_function_next_functions_only_tensor_inputs():
    def prog(T):
        x = T.tensor([1., 2.], requires_grad=True)
        y = T.tensor([3., 4.])
        return gfn(_line_cls(T).apply(x, 3., y))
    same(prog)


def test_multiple_outputs_and_non_tensor_output():
    def prog(T):
        class Split(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2, x * 3, "tag", 7

            @staticmethod
            def backward(ctx, g1, g2, g3, g4):
                return g1 * 2 + g2 * 3
        x = T.tensor([1., 2.], requires_grad=True)
        a, b, s, n = Split.apply(x)
        (a.sum() + (b * b).sum()).backward()
        return [a, b, s, n, gfn(a), a.grad_fn is b.grad_fn, a.output_nr, b.output_nr, x.grad]
    same(prog)


def test_unused_output_gets_zero_grad_materialized():
    def prog(T):
        seen = []

        class Two(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, g1, g2):
                seen.append(g2.clone())
                return g1 * 2 + g2 * 3
        x = T.tensor([1., 2.], requires_grad=True)
        a, b = Two.apply(x)
        a.sum().backward()
        return [x.grad, seen]
    same(prog)


def test_set_materialize_grads_false():
    def prog(T):
        seen = []

        class Two(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(False)
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, g1, g2):
                seen.append(g2)
                return g1 * 2 if g2 is None else g1 * 2 + g2 * 3
        x = T.tensor([1., 2.], requires_grad=True)
        a, b = Two.apply(x)
        a.sum().backward()
        return [x.grad, seen]
    same(prog)


def test_none_gradient_returned():
    def prog(T):
        class F(T.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                return x * y

            @staticmethod
            def backward(ctx, g):
                return None, g
        x = T.tensor([1., 2.], requires_grad=True)
        y = T.tensor([3., 4.], requires_grad=True)
        F.apply(x, y).sum().backward()
        return [x.grad, y.grad]
    same(prog)


def test_wrong_number_of_gradients_too_many():
    def prog(T):
        class F(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g, g
        x = T.tensor([1., 2.], requires_grad=True)
        F.apply(x).sum().backward()
    raises_same(prog)


def test_wrong_number_of_gradients_too_few():
    def prog(T):
        class F(T.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                return x * y

            @staticmethod
            def backward(ctx, g):
                return g
        x = T.tensor([1., 2.], requires_grad=True)
        F.apply(x, x).sum().backward()
    raises_same(prog)


def test_extra_none_gradients_allowed():
    def prog(T):
        class F(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2, None, None
        x = T.tensor([1., 2.], requires_grad=True)
        F.apply(x).sum().backward()
        return x.grad
    same(prog)


def test_wrong_gradient_shape():
    def prog(T):
        class F(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.sum()

            @staticmethod
            def backward(ctx, g):
                return T.ones(3)
        x = T.tensor([1., 2.], requires_grad=True)
        F.apply(x).backward()
    raises_same(prog)


def test_gradient_broadcastable_shape_is_reduced():
    def prog(T):
        class F(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.sum()

            @staticmethod
            def backward(ctx, g):
                return T.ones(3, 2)
        x = T.tensor([1., 2.], requires_grad=True)
        F.apply(x).backward()
        return x.grad
    same(prog)


def test_saved_tensors_after_release():
    def prog(T):
        class F(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * 2

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * x
        x = T.tensor([1., 2.], requires_grad=True)
        y = F.apply(x)
        y.sum().backward()
        return y.grad_fn.saved_tensors
    raises_same(prog)


def test_backward_twice_through_function():
    def prog(T):
        class F(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * 2

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * x
        x = T.tensor([1., 2.], requires_grad=True)
        y = F.apply(x).sum()
        y.backward()
        y.backward()
    raises_same(prog)


def test_mark_dirty():
    def prog(T):
        class AddOne(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1.)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g
        x = T.tensor([1., 2.], requires_grad=True)
        y = x * 1.
        z = AddOne.apply(y)
        v = y._version
        (z * z).sum().backward()
        return [z is y, z, gfn(z), x.grad, y.is_leaf]
    same(prog)


def test_mark_dirty_version():
    def prog(T):
        class AddOne(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1.)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g
        x = T.tensor([1., 2.], requires_grad=True)
        y = x * 1.
        AddOne.apply(y)
        return y._version
    same(prog)


def test_mark_dirty_on_leaf_error():
    def prog(T):
        class AddOne(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1.)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g
        x = T.tensor([1., 2.], requires_grad=True)
        AddOne.apply(x)
    raises_same(prog)


def test_mark_non_differentiable():
    def prog(T):
        class SortLike(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = x * 2
                mask = x > 1.5
                m = x * 0
                ctx.mark_non_differentiable(m)
                return y, m, mask

            @staticmethod
            def backward(ctx, gy, gm, gmask):
                return gy * 2
        x = T.tensor([1., 2.], requires_grad=True)
        y, m, mask = SortLike.apply(x)
        y.sum().backward()
        return [y, m, mask, m.requires_grad, m.grad_fn, mask.requires_grad, x.grad]
    same(prog)


def test_setup_context_form():
    def prog(T):
        class Mul(T.autograd.Function):
            @staticmethod
            def forward(x, y):
                return x * y

            @staticmethod
            def setup_context(ctx, inputs, output):
                x, y = inputs
                ctx.save_for_backward(x, y)

            @staticmethod
            def backward(ctx, g):
                x, y = ctx.saved_tensors
                return g * y, g * x
        x = T.tensor([1., 2.], requires_grad=True)
        y = T.tensor([3., 4.], requires_grad=True)
        out = Mul.apply(x, y)
        out.sum().backward()
        return [out, gfn(out), x.grad, y.grad]
    same(prog)


def test_once_differentiable():
    def prog(T):
        class Sq(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            @T.autograd.function.once_differentiable
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 2 * x * g
        x = T.tensor([1., 2.], requires_grad=True)
        y = Sq.apply(x).sum()
        (g,) = T.autograd.grad(y, x, create_graph=True)
        r = [g.detach(), g.requires_grad, gfn(g)]
        try:
            g.sum().backward()
        except RuntimeError as e:
            r.append(str(e).split("\n")[0])  # leafgrad appends hint lines
        return r
    same(prog)


def test_once_differentiable_plain():
    def prog(T):
        class Sq(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            @T.autograd.function.once_differentiable
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 2 * x * g
        x = T.tensor([1., 2.], requires_grad=True)
        Sq.apply(x).sum().backward()
        return x.grad
    same(prog)


def test_double_backward_through_function():
    def prog(T):
        class Cube(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 3 * x * x * g
        x = T.tensor([1., 2., -1.5], requires_grad=True)
        y = Cube.apply(x).sum()
        (g,) = T.autograd.grad(y, x, create_graph=True)
        (g2,) = T.autograd.grad(g.sum(), x)
        return [g.detach(), g2, g.requires_grad]
    same(prog)


def test_function_no_input_requires_grad():
    def prog(T):
        x = T.tensor([1., 2.])
        out = _line_cls(T).apply(x, x, x)
        return [out, out.grad_fn, out.requires_grad, out.is_leaf]
    same(prog)


def test_function_under_no_grad():
    def prog(T):
        x = T.tensor([1., 2.], requires_grad=True)
        with T.no_grad():
            out = _line_cls(T).apply(x, x, x)
        return [out, out.grad_fn, out.requires_grad]
    same(prog)


def test_function_returns_input_unchanged():
    def prog(T):
        class Ident(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x

            @staticmethod
            def backward(ctx, g):
                return g * 5
        x = T.tensor([1., 2.], requires_grad=True)
        y = Ident.apply(x)
        y.sum().backward()
        return [y is x, y.is_leaf, gfn(y), x.grad]
    same(prog)


def test_calling_forward_directly_and_instantiating():
    def prog(T):
        line = _line_cls(T)
        return [type(line.apply).__name__ in ("method", "builtin_function_or_method"),
                issubclass(line, T.autograd.Function)]
    same(prog)


def test_backward_returns_wrong_dtype_is_cast():
    def prog(T):
        class F(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return (g * 2).double()
        x = T.tensor([1., 2.], requires_grad=True)
        F.apply(x).sum().backward()
        return x.grad
    same(prog)


def test_save_intermediate_and_output():
    def prog(T):
        class Exp(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                e = x.exp()
                ctx.save_for_backward(e)
                return e

            @staticmethod
            def backward(ctx, g):
                (e,) = ctx.saved_tensors
                return g * e
        x = T.tensor([0., 1.], requires_grad=True)
        y = Exp.apply(x)
        (y * 2).sum().backward()
        return [y, x.grad, gfn(y)]
    same(prog)


def test_saved_output_modified_inplace_error():
    def prog(T):
        class Exp(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                e = x.exp()
                ctx.save_for_backward(e)
                return e

            @staticmethod
            def backward(ctx, g):
                (e,) = ctx.saved_tensors
                return g * e
        x = T.tensor([0., 1.], requires_grad=True)
        y = Exp.apply(x)
        y.add_(1.)
        y.sum().backward()
    raises_same(prog)


def test_save_for_backward_non_tensor_error():
    def prog(T):
        class F(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x, 3)
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g
        F.apply(T.tensor([1.], requires_grad=True))
    raises_same(prog)


def test_function_saved_none():
    def prog(T):
        class F(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x, None)
                return x * 2

            @staticmethod
            def backward(ctx, g):
                x, n = ctx.saved_tensors
                return g * 2 if n is None else g
        x = T.tensor([1.], requires_grad=True)
        F.apply(x).sum().backward()
        return x.grad
    same(prog)


def test_function_int_output_not_requires_grad():
    def prog(T):
        class ArgLike(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return (x > 1.5).long(), x * 2

            @staticmethod
            def backward(ctx, gi, gx):
                return gx * 2
        x = T.tensor([1., 2.], requires_grad=True)
        i, y = ArgLike.apply(x)
        y.sum().backward()
        return [i, i.requires_grad, y, x.grad]
    same(prog)
