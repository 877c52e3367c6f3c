"""Side by side with PyTorch: tensor_extra's metadata queries, unfold, scatter ops,
narrow_copy, in-place shape ops and aliases (errors, return types, in-place effects)."""
import pytest

from conftest import assert_same, both


def same(fn):
    a, b = both(fn)
    assert_same(a, b)
    return a, b


def _x(m, *shape, grad=False, dtype=None):
    n = 1
    for s in shape:
        n *= s
    t = m.arange(float(n), dtype=dtype or m.float32).reshape(shape) if shape else m.tensor(1.5)
    return t.requires_grad_() if grad else t


# ---------------------------------------------------------------- metadata
@pytest.mark.parametrize("case", [
    lambda m: _x(m, 2, 3).type_as(m.tensor([1])),
    lambda m: _x(m, 2, 3).type_as(m.tensor([1.], dtype=m.float64)),
    lambda m: _x(m, 2, 3, grad=True).type_as(m.tensor([1.], dtype=m.float64)),
    lambda m: _x(m, 2, 3, grad=True).type_as(m.tensor([1.])),
    lambda m: _x(m, 2, 3).type_as(3),
    lambda m: [m.tensor(v).is_nonzero() for v in (0., 2., float("nan"), 0, 1, True, False)],
    lambda m: m.tensor([[3]]).is_nonzero(),
    lambda m: m.tensor([1., 2.]).is_nonzero(),
    lambda m: m.tensor([]).is_nonzero(),
    lambda m: m.is_nonzero(m.tensor([0.])),
    lambda m: m.is_nonzero(1),
    lambda m: (_x(m, 2, 3).is_same_size(m.zeros(2, 3)), _x(m, 2, 3).is_same_size(m.zeros(3, 2)),
               m.is_same_size(m.zeros(()), m.zeros(1))),
    lambda m: _x(m, 2, 3).is_same_size([2, 3]),
    lambda m: [m.zeros(2, dtype=d).itemsize for d in (m.float32, m.float64, m.int64, m.int8, m.bool, m.float16)],
    lambda m: [m.zeros(s).nbytes for s in ((2, 3), (0,), ())] + [_x(m, 2, 3).t().nbytes,
                                                                _x(m, 2, 3).expand(4, 2, 3).nbytes],
    lambda m: (_x(m, 2).is_cpu, str(_x(m, 2).layout), repr(_x(m, 2).layout), _x(m, 2).get_device(),
               m.get_device(_x(m, 2))),
    lambda m: [_x(m, 2, 3).storage_offset(), _x(m, 2, 3)[1].storage_offset(), _x(m, 2, 3)[:, 1:].storage_offset(),
               _x(m, 2, 3)[1, 2].storage_offset(), _x(m, 2, 3)[1:][:, 1].storage_offset(),
               _x(m, 2, 3).t()[2].storage_offset(), _x(m, 8).unfold(0, 3, 2)[1].storage_offset(),
               (_x(m, 2, 3) + 1).storage_offset(), _x(m, 2, 3)[1:].detach().storage_offset(),
               _x(m, 2, 3)[1].data.storage_offset(), _x(m, 2, 3)[1:].detach()[:, 1:].storage_offset(),
               _x(m, 3, 4).diagonal(1).storage_offset(), _x(m, 3, 4).diagonal(-1).storage_offset()],
])
def test_metadata(case):
    same(case)


def test_layout_is_strided():
    import leafgrad
    assert leafgrad.zeros(2).layout is leafgrad.strided
    assert repr(leafgrad.strided) == "torch.strided"


# ---------------------------------------------------------------- unfold
@pytest.mark.parametrize("args", [(0, 8, 1), (0, 3, 0), (1, 2, 1), (0, -1, 1), (0, -1, 0), (0, 8, 0),
                                  (0, 3, -1), (0, 0, 1), (-1, 7, 7), (0, 3.5, 1), (0, True, 1)])
def test_unfold_1d(args):
    same(lambda m: _x(m, 7).unfold(*args))


@pytest.mark.parametrize("args", [(0, 1, 1), (0, 2, 1), (1, 1, 1), (-1, 1, 1), (0, 0, 1)])
def test_unfold_0d(args):
    same(lambda m: m.tensor(5., requires_grad=True).unfold(*args))


def test_unfold_is_a_view():
    def f(m):
        x = _x(m, 2, 7)
        u = x.unfold(1, 3, 3)
        x.add_(1)
        return u, u.stride(), u._base is x, x.unfold(dimension=1, size=2, step=2)
    same(f)


def test_unfold_grad_overlapping():
    def f(m):
        x = _x(m, 3, 7, grad=True, dtype=m.float64)
        u = x.unfold(1, 3, 2)
        (u * u).sum().backward()
        return u, x.grad
    same(f)


# ---------------------------------------------------------------- scatter ops, narrow_copy
@pytest.mark.parametrize("case", [
    lambda m: m.select_scatter(_x(m, 3, 4), m.ones(3), 0, 1),
    lambda m: m.select_scatter(_x(m, 3, 4), m.ones(4, dtype=m.float64), 0, 1),
    lambda m: m.select_scatter(_x(m, 3, 4), m.ones(4, dtype=m.int64), 0, -1),
    lambda m: _x(m, 3, 4).select_scatter(m.ones(4, dtype=m.bool), 0, 1),
    lambda m: m.select_scatter(_x(m, 3, 4), m.ones(4), 0, 5),
    lambda m: m.select_scatter(_x(m, 3, 4), m.ones(4), 0, -4),
    lambda m: m.select_scatter(_x(m, 3, 4), m.ones(4), 2, 0),
    lambda m: m.select_scatter(_x(m, 3, 4), m.ones(()), 0, 0),
    lambda m: m.select_scatter(_x(m, 3, 4), m.ones(1, 4), 0, 0),
    lambda m: m.select_scatter(m.tensor(1.), m.tensor(2.), 0, 0),
    lambda m: m.select_scatter(_x(m, 3, 4), 1.0, 0, 0),
    lambda m: m.select_scatter(_x(m, 3, 4), m.ones(4), 0, True),
    lambda m: m.zeros(3, 4, dtype=m.int64).select_scatter(m.ones(4), 0, 1),
    lambda m: m.slice_scatter(_x(m, 3, 4), m.ones(3, 2), 1, 0, 4, 2),
    lambda m: m.slice_scatter(_x(m, 3, 4), m.ones(3, 3), 1, 0, 4, 2),
    lambda m: m.slice_scatter(_x(m, 3, 4), m.ones(3, 2), 1, 0, 4, 0),
    lambda m: m.slice_scatter(_x(m, 3, 4), m.ones(3, 2), 1, 0, 4, -1),
    lambda m: m.slice_scatter(_x(m, 3, 4), m.ones(3, 2), 1, -2),
    lambda m: m.slice_scatter(_x(m, 3, 4), m.ones(3, 0), 1, 10),
    lambda m: m.slice_scatter(_x(m, 3, 4), m.ones(3, 4), 1, -10, 100),
    lambda m: m.slice_scatter(_x(m, 3, 4), m.ones(3, 0), 1, 3, 1),
    lambda m: m.slice_scatter(_x(m, 3, 4), m.ones(3, 4), 2),
    lambda m: m.slice_scatter(_x(m, 3, 4), m.ones(2, 4), start=1),
    lambda m: m.slice_scatter(_x(m, 3, 4), m.ones(3, 2), 1, 0, 4, 2, out=m.zeros(3, 4)),
    lambda m: m.slice_scatter(_x(m, 3, 4, grad=True), m.ones(3, 2), 1, 0, 4, 2, out=m.zeros(3, 4)),
    lambda m: m.slice_scatter(_x(m, 3, 4, grad=True), m.ones(3, 2), 1, 0, 4, 2, out=m.zeros(3, 4)).sum().backward(),
    lambda m: m.slice_scatter(_x(m, 3, 4), m.ones(3, 2), 1, 0, 4, 2, out=m.zeros(3, 4, dtype=m.int64)),
    lambda m: m.slice_scatter(_x(m, 3, 4), m.ones(3, 2), 1, 0, 4, 2, out=m.zeros(2, 4)),
    lambda m: m.slice_scatter(_x(m, 3, 4), m.ones(3, 2), 1, 0, 4, 2, out=m.zeros(3, 4, dtype=m.float64)),
    lambda m: m.diagonal_scatter(_x(m, 3, 4), m.ones(3)),
    lambda m: m.diagonal_scatter(_x(m, 3, 4), m.ones(4)),
    lambda m: m.diagonal_scatter(_x(m, 3, 4), m.ones(3), 1),
    lambda m: m.diagonal_scatter(_x(m, 3, 4), m.ones(2), -1),
    lambda m: m.diagonal_scatter(_x(m, 3, 4), m.ones(3), 0, 0, 0),
    lambda m: m.diagonal_scatter(_x(m, 3, 4), m.ones(3), 0, 1, 0),
    lambda m: m.diagonal_scatter(_x(m, 3, 4), m.ones(3), 0, 1, 2),
    lambda m: m.diagonal_scatter(_x(m, 3, 4), m.ones(0), 5),
    lambda m: _x(m, 2, 3, 4).diagonal_scatter(m.ones(3, 2), 0, 0, 2),
    lambda m: m.narrow_copy(_x(m, 3, 4), 1, 1, 2),
    lambda m: m.narrow_copy(_x(m, 3, 4), 1, 3, 2),
    lambda m: m.narrow_copy(_x(m, 3, 4), 1, -1, 1),
    lambda m: m.narrow_copy(_x(m, 3, 4), 1, -5, 1),
    lambda m: m.narrow_copy(_x(m, 3, 4), 1, 1, -1),
    lambda m: m.narrow_copy(_x(m, 3, 4), 2, 1, 1),
    lambda m: m.narrow_copy(_x(m, 3, 4), -3, 1, 1),
    lambda m: m.narrow_copy(_x(m, 3, 4), 0, 4, 0),
    lambda m: m.narrow_copy(_x(m, 3, 4), 0, -1, 0),
    lambda m: m.narrow_copy(m.tensor(1.), 0, 0, 1),
    lambda m: _x(m, 3, 4).narrow_copy(0, 1, 2),
    lambda m: m.narrow_copy(_x(m, 3, 4), 0, 1, 1, out=m.zeros(1, 4)),
    lambda m: m.narrow_copy(_x(m, 3, 4, grad=True), 0, 1, 1, out=m.zeros(1, 4)),
    lambda m: m.narrow_copy(_x(m, 3, 4), 0, 1, 1, out=m.zeros(1, 4, dtype=m.float64)),
    lambda m: m.narrow_copy(_x(m, 3, 4, dtype=m.int64), 0, 1, 2),
])
def test_scatter_and_narrow_copy(case):
    same(case)


def test_scatter_is_a_copy():
    def f(m):
        x = _x(m, 3, 4)
        r = m.select_scatter(x, m.ones(4), 0, 1)
        n = m.narrow_copy(x, 0, 0, 1)
        x.add_(1)
        return r, n, x
    same(f)


def test_scatter_grads_both_inputs():
    def f(m):
        a = _x(m, 3, 4, grad=True)
        b = m.ones(3, 2, dtype=m.float64, requires_grad=True)
        r = m.slice_scatter(a, b, 1, 1, None, 2)
        (r * m.arange(12.).reshape(3, 4)).sum().backward()
        return r, a.grad, b.grad
    same(f)


# ---------------------------------------------------------------- in-place shape ops
@pytest.mark.parametrize("call", [
    lambda t: t.squeeze_(), lambda t: t.squeeze_(0), lambda t: t.squeeze_(1), lambda t: t.squeeze_((0, 1)),
    lambda t: t.squeeze_(-1), lambda t: t.squeeze_(3), lambda t: t.squeeze_((0, 0)), lambda t: t.unsqueeze_(0),
    lambda t: t.unsqueeze_(-1), lambda t: t.unsqueeze_(4), lambda t: t.t_(), lambda t: t.transpose_(0, 1),
    lambda t: t.swapaxes_(0, -1), lambda t: t.swapdims_(1, 0), lambda t: t.transpose_(0, 2),
])
@pytest.mark.parametrize("grad", [False, True])
def test_inplace_shape(call, grad):
    def f(m):
        x = m.arange(3., requires_grad=grad)
        y = x.reshape(1, 3) * 2
        before = y._version
        r = call(y)
        out = [r is y, y, y.stride(), y._version - before]
        if grad:
            (y * m.arange(3.).reshape(y.shape)).sum().backward()
            out.append(x.grad)
        return out
    same(f)


@pytest.mark.parametrize("call", [lambda t: t.squeeze_(), lambda t: t.unsqueeze_(0), lambda t: t.t_()])
def test_inplace_shape_leaf(call):
    same(lambda m: call(m.zeros(1, 3, requires_grad=True)))


def test_inplace_shape_0d_and_3d():
    same(lambda m: [m.tensor(1.).t_().shape, m.tensor(1.).squeeze_(0).shape, m.tensor(1.).squeeze_((0,)).shape,
                    m.tensor(1.).unsqueeze_(0).shape])
    same(lambda m: m.zeros(2, 3, 4).t_())


def test_inplace_shape_no_grad_leaf():
    def f(m):
        a = m.zeros(2, requires_grad=True)
        with m.no_grad():
            a.unsqueeze_(0)
        return a, a.is_leaf, a._version
    same(f)


def test_inplace_shape_on_view():
    def f(m):
        a = m.arange(6., requires_grad=True)
        b = a.clone().view(2, 3) * 1
        v = b[0]
        v.unsqueeze_(0)
        out = [v.shape, v._version, b._version, type(v.grad_fn).__name__, type(b.grad_fn).__name__]
        v.mul_(2)
        out += [type(b.grad_fn).__name__, b]
        (b * m.arange(6.).view(2, 3)).sum().backward()
        return out + [a.grad]
    same(f)


# ---------------------------------------------------------------- fill_diagonal_
@pytest.mark.parametrize("case", [
    lambda m: m.zeros(3, 4).fill_diagonal_(5),
    lambda m: m.zeros(7, 3).fill_diagonal_(5, wrap=True),
    lambda m: m.zeros(7, 3).fill_diagonal_(5),
    lambda m: m.zeros(4, 3).fill_diagonal_(5, wrap=True),
    lambda m: m.zeros(3, 7).fill_diagonal_(5, wrap=True),
    lambda m: m.zeros(3, 3, 3).fill_diagonal_(1),
    lambda m: m.zeros(3, 3, 4).fill_diagonal_(1),
    lambda m: m.zeros(3).fill_diagonal_(1),
    lambda m: m.zeros(3, 4, dtype=m.int64).fill_diagonal_(2.7),
    lambda m: m.zeros(3, 3).fill_diagonal_(m.tensor(2.)),
    lambda m: m.zeros(3, 3).t().fill_diagonal_(1),
    lambda m: m.zeros(3, 3, requires_grad=True).fill_diagonal_(2.),
])
def test_fill_diagonal(case):
    same(case)


def test_fill_diagonal_grad():
    def f(m):
        a = m.arange(21., requires_grad=True)
        b = a.view(7, 3) * 1
        r = b.fill_diagonal_(2., wrap=True)
        (b * b).sum().backward()
        return r is b, b, a.grad, b._version
    same(f)


# ---------------------------------------------------------------- put
@pytest.mark.parametrize("case", [
    lambda m: m.zeros(3, 4).put_(m.tensor([0, 5, -1]), m.tensor([1., 2, 3])),
    lambda m: m.zeros(3, 4).put_(m.tensor([0, 0]), m.tensor([1., 2]), accumulate=True),
    lambda m: m.zeros(3, 4).put_(m.tensor([12]), m.tensor([1.])),
    lambda m: m.zeros(3, 4).put_(m.tensor([-13]), m.tensor([1.])),
    lambda m: m.zeros(3, 4).put_(m.tensor([1, 2]), m.tensor([1.])),
    lambda m: m.zeros(3, 4).put_(m.tensor([1.]), m.tensor([1.])),
    lambda m: m.zeros(3, 4).put_(m.tensor([1]), m.tensor([1.], dtype=m.float64)),
    lambda m: m.put(m.zeros(3, 4), m.tensor([1]), m.tensor([1.], dtype=m.float64)),
    lambda m: m.put(m.zeros(3, 4), m.tensor([1, 2], dtype=m.int32), m.tensor([1., 2])),
    lambda m: m.put(m.zeros(3, 4), m.tensor([1, 2, 3]), m.tensor([1], dtype=m.float64)),
    lambda m: m.put(m.zeros(3, 4), m.tensor([1, 20]), m.tensor([1., 2])),
    lambda m: m.put(m.zeros(3, 4), [1], m.tensor([1.])),
    lambda m: m.put(m.zeros(3, 4, dtype=m.int64), m.tensor([1, 2]), m.tensor([7, 8]), True),
    lambda m: m.zeros(3, 4).put(m.tensor([[1], [2]]), m.tensor([7., 8])),
    lambda m: m.randn(3, requires_grad=True).put_(m.tensor([1]), m.tensor([1.])),
    lambda m: m.zeros(3).expand(2, 3).put_(m.tensor([1]), m.tensor([1.])),
])
def test_put(case):
    same(case)


def test_put_inplace_grad():
    def f(m):
        a = m.arange(6., requires_grad=True)
        s = m.tensor([10., 20.], requires_grad=True)
        b = a * 1
        r = b.put_(m.tensor([4, 1]), s)
        (b * m.arange(6.)).sum().backward()
        return r is b, b, a.grad, s.grad, b._version
    same(f)


# ---------------------------------------------------------------- unique_consecutive
@pytest.mark.parametrize("case", [
    lambda m: m.unique_consecutive(m.tensor([1, 1, 2, 2, 3, 1, 1, 2])),
    lambda m: m.unique_consecutive(m.tensor([1, 1, 2, 2, 3, 1, 1, 2]), return_inverse=True, return_counts=True),
    lambda m: m.unique_consecutive(m.tensor([1, 1, 2, 2, 3, 1, 1, 2]), return_counts=True),
    lambda m: type(m.unique_consecutive(m.tensor([1, 1, 2]), return_counts=True)).__name__,
    lambda m: m.tensor([[1, 1], [2, 2]]).unique_consecutive(return_inverse=True),
    lambda m: m.unique_consecutive(m.tensor([[1, 3], [1, 3], [2, 3]]), dim=0, return_inverse=True, return_counts=True),
    lambda m: m.unique_consecutive(m.tensor([[1, 3], [1, 3], [2, 3]]), dim=1, return_inverse=True, return_counts=True),
    lambda m: m.unique_consecutive(m.tensor([1., 1, float("nan"), float("nan")]), return_counts=True),
    lambda m: m.unique_consecutive(m.tensor([]), return_inverse=True, return_counts=True),
    lambda m: m.unique_consecutive(m.tensor(3.), return_inverse=True, return_counts=True),
    lambda m: m.unique_consecutive(m.tensor(3.), dim=0),
    lambda m: m.unique_consecutive(m.zeros(0, 2), dim=0, return_inverse=True, return_counts=True),
    lambda m: m.unique_consecutive(m.zeros(2, 0), dim=0, return_inverse=True, return_counts=True),
    lambda m: m.unique_consecutive(m.tensor([[1, 3], [1, 3]]), dim=2),
    lambda m: m.unique_consecutive(m.tensor([True, True, False])),
    lambda m: m.unique_consecutive(m.tensor([[1, 3], [1, 3], [2, 3]]).t(), dim=0),
    lambda m: m.unique_consecutive(m.tensor([1., 1.], requires_grad=True), return_counts=True),
    lambda m: m.unique_consecutive(m.tensor([1., 1.], requires_grad=True)).sum().backward(),
])
def test_unique_consecutive(case):
    same(case)


# ---------------------------------------------------------------- sum_to_size, new_empty_strided, aliases
def _chain(t):
    names, fn = [], t.grad_fn
    while fn is not None and type(fn).__name__ != "AccumulateGrad":
        names.append(type(fn).__name__)
        fn = fn.next_functions[0][0]
    return names


@pytest.mark.parametrize("size", [(3, 1), (1, 3, 1), (2, 3, 4), (4,), ((3, 1),), ([1, 1],), (3, 5), (5,),
                                  (1, 2, 3, 4), ()])
def test_sum_to_size(size):
    def f(m):
        x = m.arange(24., requires_grad=True).reshape(2, 3, 4)
        r = x.sum_to_size(*size)
        return r, r is x, _chain(r)
    same(f)


@pytest.mark.parametrize("case", [
    lambda m: (lambda t: (t.shape, t.stride(), t.dtype, t.requires_grad))(
        m.ones(2, 3).new_empty_strided((2, 3), (1, 2))),
    lambda m: (lambda t: (t.shape, t.stride(), t.dtype, t.requires_grad))(
        m.ones(2, dtype=m.float64).new_empty_strided([4], [2], requires_grad=True)),
    lambda m: (lambda t: (t.shape, t.stride(), t.dtype))(m.ones(2).new_empty_strided((0, 3), (3, 1), dtype=m.int64)),
    lambda m: m.ones(2, 3).new_empty_strided((2, 3), (1,)),
])
def test_new_empty_strided(case):
    same(case)


@pytest.mark.parametrize("name", ["negative_", "absolute_"])
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_unary_aliases(name, dtype):
    same(lambda m: getattr(m.tensor([1, -2, 0], dtype=getattr(m, dtype)), name)())


@pytest.mark.parametrize("name", ["greater_", "greater_equal_", "less_", "less_equal_", "not_equal_"])
@pytest.mark.parametrize("other", [2, 2.5, "t"])
def test_compare_aliases(name, other):
    def f(m):
        x = m.tensor([1., 2., 3.])
        i = m.tensor([1, 2, 3])
        o = m.tensor([2., 1., 3.]) if other == "t" else other
        return getattr(x, name)(o), getattr(i, name)(o), x, i
    same(f)


# ---------------------------------------------------------------- index_reduce
_SRC = [[2., 3], [4, 5], [6, 7]]


@pytest.mark.filterwarnings("ignore:index_reduce")
@pytest.mark.parametrize("case", [
    lambda m: m.ones(3, 2).index_reduce(0, m.tensor([0, 2, 0]), m.tensor(_SRC), "prod"),
    lambda m: m.ones(3, 2).index_reduce(0, m.tensor([0, 2, 0]), m.tensor(_SRC), "mean", include_self=False),
    lambda m: m.ones(3, 2).index_reduce(0, m.tensor([0, 2, 0]), m.tensor(_SRC), "amin", include_self=False),
    lambda m: m.ones(3, 2).index_reduce(0, m.tensor([0, 2, 0]), m.tensor(_SRC), "sum"),
    lambda m: m.ones(3, 2).index_reduce(0, m.tensor([0, 2, 0]), m.tensor(_SRC[:2]), "amax"),
    lambda m: m.ones(3, 2).index_reduce(0, m.tensor([0, 3]), m.tensor(_SRC[:2]), "amax"),
    lambda m: m.ones(3, 2).index_reduce(0, m.tensor([0, -1]), m.tensor(_SRC[:2]), "amax"),
    lambda m: m.ones(3, 2).index_reduce(0, m.tensor([0., 1]), m.tensor(_SRC[:2]), "amax"),
    lambda m: m.ones(3, 2).index_reduce(0, m.tensor([0, 1], dtype=m.int32), m.tensor(_SRC[:2]), "amax"),
    lambda m: m.ones(3, 2).index_reduce(0, m.tensor([[0, 1]]), m.tensor(_SRC[:2]), "amax"),
    lambda m: m.ones(3, 2).index_reduce(0, m.tensor([0, 1]), m.tensor(_SRC[:2], dtype=m.float64), "amax"),
    lambda m: m.ones(3, 2).index_reduce(0, m.tensor([0, 1]), m.tensor([[2., 3, 4], [4, 5, 6]]), "amax"),
    lambda m: m.ones(3, 2).index_reduce(2, m.tensor([0, 1]), m.tensor(_SRC[:2]), "amax"),
    lambda m: m.ones(3, 2).index_reduce(-1, m.tensor([0, 1]), m.tensor(_SRC), "amin"),
    lambda m: m.index_reduce(m.ones(3, 2), 1, m.tensor([0, 1]), m.tensor(_SRC), "amin", out=m.zeros(3, 2)),
    lambda m: m.tensor(1.).index_reduce(0, m.tensor([0]), m.tensor(3.), "prod"),
    lambda m: m.tensor([1, 2]).index_reduce(0, m.tensor([0, 0]), m.tensor([3, 4]), "mean"),
    lambda m: m.tensor([1, 2]).index_reduce_(0, m.tensor([0, 0]), m.tensor([3, 4]), "amax", include_self=False),
    lambda m: m.ones(3, 2, requires_grad=True).index_reduce(0, m.tensor([0, 2, 0]), m.tensor(_SRC), "prod"),
    lambda m: m.ones(3, 2, requires_grad=True).index_reduce_(0, m.tensor([0, 2, 0]), m.tensor(_SRC), "prod"),
])
def test_index_reduce(case):
    same(case)


@pytest.mark.filterwarnings("ignore:index_reduce")
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce_inplace_grad(reduce, include_self):
    def f(m):
        a = m.tensor([[1., 2], [0, 4], [5, 6]], requires_grad=True)
        s = m.tensor([[2., 0], [4, 5], [6, 0]], requires_grad=True)
        b = a * 1
        r = b.index_reduce_(0, m.tensor([0, 2, 0]), s, reduce, include_self=include_self)
        (b * m.arange(6.).view(3, 2)).sum().backward()
        return r is b, b, a.grad, s.grad, b._version
    same(f)


def test_inplace_shape_without_grad_on_views_and_non_views():
    def view(m):
        a = m.arange(3., requires_grad=True)
        b = (a * 2).reshape(1, 3)
        with m.no_grad():
            b.squeeze_(0)
        b.sum().backward()
        return b.shape, b.requires_grad, a.grad   # (torch names the node AsStridedBackward0)
    same(view)

    def plain(m):
        a = m.arange(3., requires_grad=True)
        b = a * 2
        with m.no_grad():
            b.unsqueeze_(0)
        out = [b, b.shape]
        b.sum().backward()
        return out + [a.grad]
    same(plain)


def test_inplace_shape_retained_grad():
    def f(m):
        a = m.arange(3., requires_grad=True)
        b = (a * 2).reshape(1, 3)
        b.retain_grad()
        b.squeeze_(0)
        b.sum().backward()
        return b.grad, a.grad
    same(f)


def test_torch_negative_():
    def f(m):
        x = m.tensor([1., -2.])
        r = m.negative_(x)
        return r is x, x, x._version
    same(f)
