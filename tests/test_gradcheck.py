"""gradcheck / gradgradcheck side by side with torch.autograd.gradcheck."""
import warnings

import pytest

from conftest import assert_same, both, torch
from leafgrad.autograd.function import Function
from leafgrad.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
import importlib
TG = importlib.import_module("torch.autograd.gradcheck")


def GC(mod):
    return TG.gradcheck if mod is torch else gradcheck


def GGC(mod):
    return TG.gradgradcheck if mod is torch else gradgradcheck


def X(mod, dtype="float64", grad=True):
    return mod.tensor([[0.5, -1.2, 2.0], [0.3, 0.1, -0.7]], dtype=getattr(mod, dtype), requires_grad=grad)


def Y(mod, grad=True):
    return mod.tensor([0.4, -0.9, 1.3], dtype=mod.float64, requires_grad=grad)


GOOD = [
    ("square_sum", lambda m, x, y: (x * x).sum(1)),
    ("broadcast_mul", lambda m, x, y: x * y),
    ("two_outputs", lambda m, x, y: (x.exp(), (x * y).sum())),
    ("matmul_tanh", lambda m, x, y: (x @ y).tanh()),
    ("scalar_out", lambda m, x, y: (x.sin() * y).sum()),
]


@pytest.mark.parametrize("fast", [False, True])
@pytest.mark.parametrize("name,f", GOOD, ids=[g[0] for g in GOOD])
def test_passes(name, f, fast):
    assert_same(*both(lambda m: GC(m)(lambda x, y: f(m, x, y), (X(m), Y(m)), fast_mode=fast)))


@pytest.mark.parametrize("fast", [False, True])
@pytest.mark.parametrize("name,f", GOOD, ids=[g[0] for g in GOOD])
def test_gradgradcheck_passes(name, f, fast):
    assert_same(*both(lambda m: GGC(m)(lambda x, y: f(m, x, y), (X(m), Y(m)), fast_mode=fast)))


def test_gradgradcheck_given_grad_outputs():
    def run(m):
        go = m.tensor([1.5, -0.5], dtype=m.float64, requires_grad=True)
        return GGC(m)(lambda x: (x ** 3).sum(1), (X(m),), (go,))
    assert_same(*both(run))


def _wrong_grad(mod):
    """x * x with a backward that forgets the factor 2."""
    base = torch.autograd.Function if mod is torch else Function

    class Half(base):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x
    return Half


def test_mismatch_message_slow():
    a, b = both(lambda m: GC(m)(lambda x: _wrong_grad(m).apply(x).sum(1), (X(m),)))
    assert type(a).__name__ == "GradcheckError"
    assert isinstance(b, GradcheckError) and isinstance(b, RuntimeError)
    assert str(a).startswith("Jacobian mismatch for output 0 with respect to input 0,\nnumerical:tensor(")
    assert_same(a, b)


def test_mismatch_second_input_second_output():
    def f(m):
        H = _wrong_grad(m)
        return lambda x, y: (x.sum(), H.apply(y) + x[0])
    a, b = both(lambda m: GC(m)(f(m), (X(m), Y(m))))
    assert "for output 1 with respect to input 1" in str(a)
    assert_same(a, b)


def test_mismatch_fast_mode():
    a, b = both(lambda m: GC(m)(lambda x: _wrong_grad(m).apply(x).sum(1), (X(m),), fast_mode=True))
    assert type(b).__name__ == "GradcheckError"
    # Same random projections as torch; the scalars may differ in the last bits (summation order).
    ta, tb = str(a).split("\n"), str(b).split("\n")
    assert len(ta) == len(tb)
    for la, lb in zip(ta, tb):
        if la.startswith(("numerical:", "analytical:")):
            assert la.split(":")[0] == lb.split(":")[0]
            assert abs(float(la.split(":")[1]) - float(lb.split(":")[1])) < 1e-12
        else:
            assert la == lb


def test_raise_exception_false():
    assert_same(*both(lambda m: GC(m)(lambda x: _wrong_grad(m).apply(x), (X(m),), raise_exception=False)))
    assert_same(*both(lambda m: GC(m)(lambda x: _wrong_grad(m).apply(x), (X(m),), raise_exception=False,
                                      fast_mode=True)))


def test_float32_warning_and_message():
    def run(m):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            res = GC(m)(lambda x: (x * x).sum(), (X(m, "float32"),), eps=1e-3, atol=1e-2, rtol=1e-2)
        return res, [(type(x.message).__name__, str(x.message)) for x in w]
    a, b = both(run)
    assert a[1] and a[1][0][0] == "UserWarning"
    assert_same(a, b)


def test_float32_failure_values():
    # float32 finite differences are noisy: the default tolerances fail, the same way.
    assert_same(*both(lambda m: GC(m)(lambda x: (x * x).sum(1), (X(m, "float32"),))))


def test_no_input_requires_grad():
    assert_same(*both(lambda m: GC(m)(lambda x: x * 2, (X(m, grad=False),))))


def test_single_tensor_input_and_non_tensor_args():
    assert_same(*both(lambda m: GC(m)(lambda x: x * 2, X(m))))
    assert_same(*both(lambda m: GC(m)(lambda x, k: x * k, (X(m), 3.0))))
    assert_same(*both(lambda m: GC(m)(lambda x, y: x * y, (X(m), Y(m, grad=False)))))


def test_no_differentiable_outputs():
    # outputs that do not require grad: the numerical Jacobian must be zero
    assert_same(*both(lambda m: GC(m)(lambda x: x.detach() * 2, (X(m),))))
    assert_same(*both(lambda m: GC(m)(lambda x: m.zeros(2, dtype=m.float64), (X(m),))))


def test_nondeterministic_backward():
    def make(m):
        base = torch.autograd.Function if m is torch else Function
        calls = [0]

        class Noisy(base):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                calls[0] += 1
                return g * 2 + (1e-3 if calls[0] % 2 else 0.0)
        return Noisy
    assert_same(*both(lambda m: GC(m)(lambda x: make(m).apply(x), (X(m),), atol=1e-2)))
    assert_same(*both(lambda m: GC(m)(lambda x: make(m).apply(x), (X(m),), atol=1e-2, nondet_tol=1e-2)))


def test_backward_not_multiplied_by_grad_output():
    def make(m):
        base = torch.autograd.Function if m is torch else Function

        class Bad(base):
            @staticmethod
            def forward(ctx, x):
                return x.sum()

            @staticmethod
            def backward(ctx, g):
                return m.ones(2, 3, dtype=m.float64) * (g != 0) + (g == 0) * 1.0
        return Bad
    assert_same(*both(lambda m: GC(m)(lambda x: make(m).apply(x), (X(m),))))


def test_gradgradcheck_detects_wrong_double_backward():
    def make(m):
        base = torch.autograd.Function if m is torch else Function

        class Cube(base):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * 3 * x.detach() ** 2  # right first derivative, no second
        return Cube
    assert_same(*both(lambda m: GC(m)(lambda x: make(m).apply(x), (X(m),))))
    a, b = both(lambda m: GGC(m)(lambda x: make(m).apply(x), (X(m),), raise_exception=False))
    assert_same(a, b)


def test_flag_errors():
    assert_same(*both(lambda m: GC(m)(lambda x: x, (X(m),), check_backward_ad=False)))
    assert_same(*both(lambda m: GC(m)(lambda x: x, (X(m),), check_batched_grad=True, check_backward_ad=False,
                                      check_forward_ad=True)))
    assert_same(*both(lambda m: GGC(m)(lambda x: x, (X(m),), check_rev_over_rev=False)))


def test_forward_ad_and_batched_grad_options():
    assert_same(*both(lambda m: GC(m)(lambda x, y: (x * y).exp(), (X(m), Y(m)), check_forward_ad=True)))
    assert_same(*both(lambda m: GC(m)(lambda x, y: (x * y).exp(), (X(m), Y(m)), check_batched_grad=True)))
    assert_same(*both(lambda m: GC(m)(lambda x: (x * x).sum(1), (X(m),), check_forward_ad=True,
                                      check_backward_ad=False, fast_mode=True)))


def test_expanded_input_rejected():
    assert_same(*both(lambda m: GC(m)(lambda x: x * 2, (m.ones(3, 1, dtype=m.float64).expand(3, 4)
                                                         .requires_grad_(),))))


def test_leafgrad_ops_pass():
    import leafgrad as lg
    x = lg.tensor([[0.5, -1.2, 2.0], [0.3, 0.1, -0.7]], dtype=lg.float64, requires_grad=True)
    w = lg.tensor([[0.2, 0.1], [-0.4, 0.3], [0.9, -0.5]], dtype=lg.float64, requires_grad=True)
    assert gradcheck(lambda x, w: (x @ w).sigmoid().log().sum(), (x, w))
    assert gradgradcheck(lambda x, w: (x @ w).tanh(), (x, w))
    assert gradcheck(lambda x: x.softmax(-1) if hasattr(x, "softmax") else x.exp(), (x,))


def test_gradgradcheck_random_grad_outputs_follow_manual_seed():
    """Same seed, same random grad_outputs as torch: a failing check prints the same numbers."""
    def make(m):
        base = torch.autograd.Function if m is torch else Function

        class Cube(base):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * 3 * x.detach() ** 2
        return Cube

    def run(m):
        m.manual_seed(7)
        return GGC(m)(lambda x: make(m).apply(x), (X(m),))
    a, b = both(run)
    assert type(a).__name__ == "GradcheckError"
    assert_same(a, b)


def test_check_undefined_grad_multi_output_function():
    def make(m):
        base = torch.autograd.Function if m is torch else Function

        class Two(base):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * 2, x.exp()

            @staticmethod
            def backward(ctx, g1, g2):
                (x,) = ctx.saved_tensors
                return g1 * 2 + g2 * x.exp()
        return Two
    assert_same(*both(lambda m: GC(m)(lambda x: make(m).apply(x), (X(m),))))
    assert_same(*both(lambda m: GGC(m)(lambda x: make(m).apply(x), (X(m),))))
