"""torch.autograd.functional side by side with PyTorch: values, shapes, tuple nesting,
requires_grad of the results, strict-mode and bad-input errors."""
import pytest

from conftest import assert_same, both, torch
from leafgrad.autograd import functional as LF
import torch.autograd.functional as TF


def same(pair, create_graph=False):
    """Values, dtypes, shapes, nesting and requires_grad; grad_fn names only without
    create_graph (the derivative graph's own node names are not what is tested here)."""
    a, b = pair
    assert_same(a, b, check_graph=not create_graph)
    flags = lambda r: [t.requires_grad for t in _flat(r)]  # noqa: E731
    assert flags(a) == flags(b)


def _flat(r):
    if isinstance(r, (tuple, list)):
        return [t for x in r for t in _flat(x)]
    return [r] if hasattr(r, "requires_grad") else []


def F(mod):
    return TF if mod is torch else LF


def X(mod, *shape, seed=0, grad=False):
    import numpy as np
    rng = np.random.default_rng(seed + len(shape))
    vals = rng.uniform(-1, 1, shape).tolist() if shape else 0.7
    return mod.tensor(vals, dtype=mod.float64, requires_grad=grad)


# functions of one tensor / of a tuple, returning one tensor / a tuple
def f_one_one(x):
    return (x * x).sum(0) * 2 + x[0]


def f_one_many(x):
    return x.exp(), (x ** 3).sum()


def f_many_one(x, y):
    return (x.sin() * y.sum()).sum(-1)


def f_many_many(x, y):
    return x * 2 + y[0], (x * x).sum() * y


def scalar_one(x):
    return (x.exp() * x).sum()


def scalar_many(x, y):
    return (x * x).sum() * y.sum() + (y ** 3).sum()


CASES = [
    ("one_one", f_one_one, lambda m: X(m, 3, 2)),
    ("one_many", f_one_many, lambda m: X(m, 3)),
    ("many_one", f_many_one, lambda m: (X(m, 2, 3), X(m, 4))),
    ("many_many", f_many_many, lambda m: (X(m, 3), X(m, 3, seed=5))),
    ("scalar_in", lambda x: x * x, lambda m: X(m)),
]


@pytest.mark.parametrize("name,fn,make", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("create_graph", [False, True])
def test_jacobian(name, fn, make, create_graph):
    same(both(lambda m: F(m).jacobian(fn, make(m), create_graph=create_graph)), create_graph)


@pytest.mark.parametrize("name,fn,make", CASES, ids=[c[0] for c in CASES])
def test_jacobian_vectorize_and_forward_mode(name, fn, make):
    assert_same(*both(lambda m: F(m).jacobian(fn, make(m), vectorize=True)))
    assert_same(*both(lambda m: F(m).jacobian(fn, make(m), vectorize=True, strategy="forward-mode")))


def test_jacobian_of_inputs_requiring_grad_with_create_graph():
    def run(m):
        x = X(m, 3, grad=True)
        j = F(m).jacobian(lambda t: t ** 3, x, create_graph=True)
        (g,) = m.autograd.grad(j.sum(), x)
        return j, g
    same(both(run), True)


@pytest.mark.parametrize("name,fn,make", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("create_graph", [False, True])
def test_vjp_jvp(name, fn, make, create_graph):
    def vjp(m):
        inp = make(m)
        out = fn(*(inp if isinstance(inp, tuple) else (inp,)))
        v = tuple(o.detach() * 0.5 + 1 for o in out) if isinstance(out, tuple) else out.detach() * 0.5 + 1
        return F(m).vjp(fn, inp, v, create_graph=create_graph)

    def jvp(m):
        inp = make(m)
        v = tuple(t * -0.3 + 0.2 for t in inp) if isinstance(inp, tuple) else inp * -0.3 + 0.2
        return F(m).jvp(fn, inp, v, create_graph=create_graph)
    same(both(vjp), create_graph)
    same(both(jvp), create_graph)


SCALAR_CASES = [
    ("one", scalar_one, lambda m: X(m, 2, 2)),
    ("many", scalar_many, lambda m: (X(m, 3), X(m, 2))),
    ("zero_d", lambda x: x.exp() * x, lambda m: X(m)),
]


@pytest.mark.parametrize("name,fn,make", SCALAR_CASES, ids=[c[0] for c in SCALAR_CASES])
@pytest.mark.parametrize("create_graph", [False, True])
def test_hessian_hvp_vhp(name, fn, make, create_graph):
    same(both(lambda m: F(m).hessian(fn, make(m), create_graph=create_graph)), create_graph)
    same(both(lambda m: F(m).hessian(fn, make(m), vectorize=True, outer_jacobian_strategy="forward-mode")), True)

    def v_for(m):
        inp = make(m)
        return inp, (tuple(t.cos() for t in inp) if isinstance(inp, tuple) else inp.cos())
    for op in ("hvp", "vhp"):
        same(both(lambda m: getattr(F(m), op)(fn, *v_for(m), create_graph=create_graph)), create_graph)


def test_v_none_single_element():
    assert_same(*both(lambda m: F(m).vjp(lambda x: (x * x).sum(), X(m, 3))))
    assert_same(*both(lambda m: F(m).jvp(lambda x: x * 3, X(m))))
    assert_same(*both(lambda m: F(m).hvp(lambda x: x ** 3, X(m))))
    assert_same(*both(lambda m: F(m).vhp(lambda x: x ** 3, X(m))))


def test_unused_input_gives_zeros_and_strict_errors():
    fn = lambda x, y: x * 2  # noqa: E731
    assert_same(*both(lambda m: F(m).jacobian(fn, (X(m, 2), X(m, 3)))))
    assert_same(*both(lambda m: F(m).jacobian(fn, (X(m, 2), X(m, 3)), strict=True)))
    assert_same(*both(lambda m: F(m).vjp(fn, (X(m, 2), X(m, 3)), X(m, 2), strict=True)))
    assert_same(*both(lambda m: F(m).vjp(fn, (X(m, 2), X(m, 3)), X(m, 2))))
    assert_same(*both(lambda m: F(m).jvp(fn, (X(m, 2), X(m, 3)), (X(m, 2), X(m, 3)), strict=True)))
    # output not depending on the input at all
    assert_same(*both(lambda m: F(m).jacobian(lambda x: m.ones(2, dtype=m.float64), X(m, 2), strict=True)))
    # linear function: hessian's jacobian independent of the input
    assert_same(*both(lambda m: F(m).hessian(lambda x: x.sum(), X(m, 2), strict=True)))
    assert_same(*both(lambda m: F(m).hessian(lambda x: x.sum(), X(m, 2))))
    assert_same(*both(lambda m: F(m).hvp(lambda x: x.sum(), X(m, 2), X(m, 2), strict=True)))
    assert_same(*both(lambda m: F(m).vhp(lambda x: x.sum(), X(m, 2), X(m, 2), strict=True)))


BAD = [
    ("not_callable", lambda m: F(m).jacobian(3, X(m, 2))),
    ("input_list_entry", lambda m: F(m).jacobian(lambda x: x, (X(m, 2), 3))),
    ("input_not_tensor", lambda m: F(m).vjp(lambda x: x, [1.0, 2.0])),
    ("output_not_tensor", lambda m: F(m).jacobian(lambda x: 3.0, X(m, 2))),
    ("v_wrong_size", lambda m: F(m).vjp(lambda x: x * 2, X(m, 2), X(m, 3))),
    ("v_wrong_size_tuple", lambda m: F(m).jvp(lambda x, y: x * y, (X(m, 2), X(m, 2)), (X(m, 2), X(m, 3)))),
    ("v_wrong_len", lambda m: F(m).jvp(lambda x, y: x * y, (X(m, 2), X(m, 2)), (X(m, 2),))),
    ("v_tuple_for_single", lambda m: F(m).vjp(lambda x: x * 2, X(m, 2), (X(m, 2), X(m, 2)))),
    ("v_none_not_scalar", lambda m: F(m).vjp(lambda x: x * 2, X(m, 2))),
    ("jvp_v_none", lambda m: F(m).jvp(lambda x: x * 2, X(m, 2))),
    ("hvp_v_none", lambda m: F(m).hvp(lambda x: x.sum(), X(m, 2))),
    ("hvp_not_scalar", lambda m: F(m).hvp(lambda x: x * 2, X(m, 2), X(m, 2))),
    ("vhp_tuple_out", lambda m: F(m).vhp(lambda x: (x.sum(), x.sum()), X(m, 2), X(m, 2))),
    ("hessian_not_scalar", lambda m: F(m).hessian(lambda x: x * 2, X(m, 2))),
    ("hessian_tuple_out", lambda m: F(m).hessian(lambda x: (x.sum(),), X(m, 2))),
    ("forward_needs_vectorize", lambda m: F(m).jacobian(lambda x: x, X(m, 2), strategy="forward-mode")),
    ("forward_create_graph", lambda m: F(m).jacobian(lambda x: x, X(m, 2), strategy="forward-mode",
                                                     create_graph=True)),
    ("forward_strict", lambda m: F(m).jacobian(lambda x: x, X(m, 2), strategy="forward-mode", strict=True)),
    ("bad_strategy", lambda m: F(m).jacobian(lambda x: x, X(m, 2), strategy="sideways")),
    ("bad_outer_strategy", lambda m: F(m).hessian(lambda x: x.sum(), X(m, 2), outer_jacobian_strategy="up")),
    ("vectorize_strict", lambda m: F(m).jacobian(lambda x: x, X(m, 2), vectorize=True, strict=True)),
    ("strict_output_no_grad", lambda m: F(m).vjp(lambda x: x.detach(), X(m, 2), X(m, 2), strict=True)),
]


@pytest.mark.parametrize("name,fn", BAD, ids=[b[0] for b in BAD])
def test_bad_input(name, fn):
    a, b = both(fn)
    assert isinstance(a, Exception), a
    assert_same(a, b)


def test_inputs_not_modified_and_grad_mode_restored():
    def run(m):
        x = X(m, 3, grad=True)
        with m.no_grad():
            out, j = F(m).vjp(lambda t: t * t, x, X(m, 3))
        return out, j, x.grad, m.is_grad_enabled()
    assert_same(*both(run))
