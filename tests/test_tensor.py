"""Side-by-side tests (torch vs leafgrad): tensor creation, dtypes, promotion, metadata, conversions, repr."""
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


# ---------------------------------------------------------------- creation
@pytest.mark.parametrize("data", [
    [1., 2.], [1, 2], [True, False], [[1, 2], [3, 4]], [[1., 2], [3, 4]], [1, 2.5], [True, 2],
    3, 3.5, True, [[1], [2]], [[[1.5]]],
    [],
    [[]],
])
def test_tensor_dtype_inference(data):
    same(lambda T: (T.tensor(data), repr(T.tensor(data)), T.tensor(data).dtype))


def test_tensor_ragged_error():
    raises_same(lambda T: T.tensor([[1, 2], [3]]))


@pytest.mark.parametrize("dt", ["float16", "float32", "float64", "int8", "int16", "int32", "int64",
                                "uint8", "bool"])
def test_tensor_explicit_dtypes(dt):
    def prog(T):
        t = T.tensor([[0, 1], [2, 3]], dtype=getattr(T, dt))
        return t, repr(t), str(t.dtype), t.is_floating_point(), t.element_size()
    same(prog)


def test_dtype_aliases():
    same(lambda T: [str(getattr(T, n)) for n in ("float", "double", "half", "long", "int", "short", "bool")])


def test_tensor_requires_grad_int_refused():
    raises_same(lambda T: T.tensor([1, 2], requires_grad=True))


def test_as_tensor_and_from_numpy_share_memory():
    def prog(T):
        a = np.array([1., 2., 3.])
        t = T.from_numpy(a)
        u = T.as_tensor(a)
        a[0] = 10.
        t[1] = 20.
        return t, u, a.tolist(), T.as_tensor([1, 2]), T.as_tensor(a, dtype=T.float32)
    same(prog)


def test_from_numpy_dtypes():
    def prog(T):
        return [T.from_numpy(np.zeros(2, dtype=d)) for d in ("float32", "float64", "int32", "int64", "uint8",
                                                                "bool", "float16", "int16", "int8")]
    same(prog)


def test_factories():
    def prog(T):
        return [T.zeros(2, 3), T.ones((2,)), T.zeros(2, dtype=T.int64), T.full((2, 2), 7.),
                T.full((2,), 3), T.full((2,), True), T.eye(3), T.eye(2, 3), T.arange(5), T.arange(1., 4.),
                T.arange(0, 1, 0.25), T.arange(5, dtype=T.float32), T.linspace(0, 1, 5), T.linspace(-1, 1, 3),
                T.linspace(0, 2, 1), T.linspace(3, -2, 1), T.linspace(0, 1, 0),
                T.empty(2, 3).shape, T.empty(0).shape, T.ones(2, 3, requires_grad=True), T.zeros(())]
    same(prog)


def test_like_factories():
    def prog(T):
        x = T.tensor([[1, 2], [3, 4]], dtype=T.int32)
        y = T.tensor([1., 2.], requires_grad=True)
        return [T.zeros_like(x), T.ones_like(x), T.full_like(x, 5), T.empty_like(x).shape,
                T.empty_like(x).dtype, T.zeros_like(y), T.ones_like(y, dtype=T.float64),
                T.ones_like(y, requires_grad=True), T.full_like(y, 2.5)]
    same(prog)


def test_default_dtype():
    def prog(T):
        old = T.get_default_dtype()
        try:
            T.set_default_dtype(T.float64)
            r = [T.get_default_dtype(), T.tensor([1., 2.]), T.zeros(2), T.tensor(1.5), T.arange(0., 2.),
                 T.tensor([1, 2]), T.tensor([1, 2]) * 1.5]
        finally:
            T.set_default_dtype(old)
        return r + [T.get_default_dtype(), T.tensor([1.])]
    same(prog)


def test_set_default_dtype_int_refused():
    def prog(T):
        old = T.get_default_dtype()
        try:
            T.set_default_dtype(T.int64)
        finally:
            T.set_default_dtype(old)
    raises_same(prog)


# ---------------------------------------------------------------- type promotion
def test_promotion_spec_cases():
    def prog(T):
        i = T.tensor([1, 2])
        f = T.tensor([1., 2.])
        b = T.tensor([True, False])
        return [(i * 1.5).dtype, (f * T.tensor(2., dtype=T.float64)).dtype, (i / i).dtype, (i / i),
                T.tensor([1, 2], dtype=T.int32).sum().dtype, (b + b).dtype, (b + b),
                (i + True).dtype, (b * 2).dtype, (b * 2.5).dtype, (f + 1).dtype]
    same(prog)


_DTS = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


@pytest.mark.parametrize("a", _DTS)
@pytest.mark.parametrize("b", _DTS)
def test_result_type_pairs(a, b):
    def prog(T):
        x = T.ones(2, dtype=getattr(T, a))
        y = T.ones(2, dtype=getattr(T, b))
        z = T.ones((), dtype=getattr(T, b))
        return [T.result_type(x, y), (x + y).dtype, T.result_type(x, z), (x * z).dtype,
                T.promote_types(getattr(T, a), getattr(T, b))]
    same(prog)


def _scalar_cases():
    for a in _DTS:
        for scalar in (1, 2.5, True, -3, 1000):
            yield a, scalar


@pytest.mark.parametrize("a,scalar", list(_scalar_cases()))
def test_result_type_scalars(a, scalar):
    same(lambda T: [T.result_type(T.ones(2, dtype=getattr(T, a)), scalar),
                    (T.ones(2, dtype=getattr(T, a)) + scalar).dtype])


# ---------------------------------------------------------------- metadata
def test_shape_size_dim():
    def prog(T):
        t = T.zeros(2, 3, 4)
        s = T.tensor(5.)
        return [t.shape, repr(t.shape), t.size(), t.size(1), t.size(-1), t.dim(), t.ndim, t.numel(),
                s.shape, repr(s.shape), s.dim(), s.numel(), T.Size([2, 3]), repr(T.Size([2, 3])),
                t.shape == (2, 3, 4), str(t.dtype), repr(t.device), str(t.device), t.device.type,
                T.numel(t), T.is_tensor(t), T.is_tensor(3)]
    same(prog)


def test_size_out_of_range():
    raises_same(lambda T: T.zeros(2, 3).size(2))


def test_item_tolist():
    def prog(T):
        return [T.tensor(2.5).item(), T.tensor([3]).item(), T.tensor(True).item(), T.tensor([[1, 2]]).tolist(),
                T.tensor([1.5, 2.]).tolist(), T.tensor(7).tolist(), T.tensor([True]).tolist(),
                type(T.tensor(3).item()).__name__, type(T.tensor([1.5]).tolist()[0]).__name__]
    same(prog)


def test_item_multi_element_error():
    raises_same(lambda T: T.tensor([1., 2.]).item())


def test_numpy():
    def prog(T):
        t = T.tensor([1., 2.])
        a = t.numpy()
        a[0] = 9.
        return t, a, T.tensor([1, 2]).numpy()
    same(prog)


def test_numpy_refuses_requires_grad():
    raises_same(lambda T: T.tensor([1., 2.], requires_grad=True).numpy())


def test_numpy_refuses_nonleaf():
    raises_same(lambda T: (T.tensor([1., 2.], requires_grad=True) * 2).numpy())


def test_numpy_detach_ok():
    same(lambda T: T.tensor([1., 2.], requires_grad=True).detach().numpy())


def test_conversions():
    def prog(T):
        t = T.tensor([1.7, -2.2, 0.])
        return [t.float(), t.double(), t.long(), t.int(), t.bool(), t.half(), t.to(T.int16), t.to(T.float64),
                t.to(dtype=T.uint8), T.tensor([1, 0]).float(), t.to("cpu"), t.to(t)]
    same(prog)


def test_conversions_keep_graph():
    def prog(T):
        x = T.tensor([1., 2.], requires_grad=True)
        y = x.double()
        z = x.float()
        w = x.to(T.float32)
        (y * y).sum().backward()
        return [y, gfn(y), z is x, w is x, x.grad]
    same(prog)


def test_conversion_to_int_drops_grad():
    same(lambda T: [T.tensor([1., 2.], requires_grad=True).long(),
                    T.tensor([1., 2.], requires_grad=True).to(T.bool)])


def test_clone_contiguous_equal():
    def prog(T):
        x = T.tensor([[1., 2.], [3., 4.]], requires_grad=True)
        c = x.clone()
        d = x.detach().clone()
        t = x.t()
        tc = t.contiguous()
        return [c, gfn(c), d, x.contiguous() is x, t.is_contiguous(), tc.is_contiguous(), tc, gfn(tc),
                T.equal(x, c), x.equal(x.detach()), T.equal(x, x.t()), T.equal(T.tensor([1, 2]), T.tensor([1., 2.])),
                T.equal(T.zeros(2), T.zeros(3)), x.is_floating_point(), T.tensor([1]).is_floating_point(),
                T.is_floating_point(T.tensor([True]))]
    same(prog)


# ---------------------------------------------------------------- repr
@pytest.mark.parametrize("expr", [
    "T.tensor(3.)", "T.tensor(3)", "T.tensor([1., 2.5])", "T.tensor([[1, 2], [3, 4]])", "T.zeros(2, 3)",
    "T.tensor([True, False])", "T.tensor([1., 2.], dtype=T.float64)", "T.tensor([1., 2.], dtype=T.float16)",
    "T.tensor([1, 2], dtype=T.int32)", "T.tensor([1, 2], dtype=T.uint8)", "T.tensor([1, 2], dtype=T.int8)",
    "T.tensor([], dtype=T.int64)", "T.zeros(0, 3)", "T.tensor([1e-8, 1.])", "T.tensor([1e10, 1.])",
    "T.tensor([1., 2.], requires_grad=True)", "T.tensor([1., 2.], requires_grad=True) * 2",
    "T.tensor([1., 2.], requires_grad=True).sum()", "T.tensor([1., 2.], dtype=T.float64, requires_grad=True)",
    "T.tensor([[1., 2.]], requires_grad=True).t()", "T.tensor(2., requires_grad=True) + 1",
    "T.tensor([1., 2.], requires_grad=True).double()", "T.arange(12.).reshape(3, 4)",
    "T.tensor([float('nan'), float('inf'), -float('inf')])", "T.tensor([1.5], dtype=T.float64) * 2",
    "T.ones(3, requires_grad=True).detach()", "T.tensor(5, dtype=T.int16)", "T.tensor(1.5, dtype=T.float16)",
    "T.zeros(2, 2, dtype=T.bool)",
])
def test_repr(expr):
    def prog(T):
        t = eval(expr)
        return repr(t), str(t)
    same(prog)


def test_repr_grad_fn():
    def prog(T):
        x = T.tensor([1., 2.], requires_grad=True)
        y = x * 2
        return [repr(y.grad_fn).split(" object at")[0], str(y.grad_fn).startswith("<MulBackward0 object at"),
                repr(x.grad_fn)]
    same(prog)


def test_tensor_from_tensor_warns():
    def prog(T):
        x = T.tensor([1., 2.], requires_grad=True)
        y = T.tensor(x)
        return [y, y.requires_grad, y.is_leaf]
    same(prog)


def test_tensor_from_numpy_inputs():
    def prog(T):
        return [T.tensor(np.array([1, 2], dtype=np.int32)), T.tensor(np.float64(2.5)), T.tensor(np.array(3.)),
                T.tensor(np.array([True])), T.tensor([np.float32(1.5), 2]), T.as_tensor(np.arange(3))]
    same(prog)


def test_data_attribute():
    def prog(T):
        x = T.tensor([1., 2.], requires_grad=True)
        d = x.data
        d.mul_(2.)
        return [x, d, d.requires_grad, d.is_leaf, x._version, d._version]
    same(prog)


def test_item_and_tolist_of_requires_grad():
    def prog(T):
        x = T.tensor([1.5, 2.], requires_grad=True)
        return [x.sum().item(), x.tolist(), int(x[0]), bool(x[0])]
    same(prog)


def test_float_of_requires_grad_warns():
    # torch emits this warning once per process (C++ warn-once), so check leafgrad against the fixed text.
    msg = ("Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
           "Consider using tensor.detach() first.")
    x = leafgrad.tensor([1.5, 2.], requires_grad=True)
    leafgrad._tensor._warned_scalar = False  # warn-once state, as torch's
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        v = float(x.sum())
    assert v == 3.5
    assert [(m.category, str(m.message)) for m in w] == [(UserWarning, msg)]


def test_bool_of_multi_element_error():
    raises_same(lambda T: bool(T.tensor([1., 2.])))
