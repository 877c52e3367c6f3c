"""nn.init's eye_, dirac_, orthogonal_, sparse_ and the deprecated names without the underscore, side by side
with torch (same seed, same values; errors with torch's types and messages)."""
import warnings

import numpy as np
import pytest

from conftest import torch, leafgrad, both, assert_same, to_numpy


def _filled(fn, shape, dtype="float32", seed=3, param=True):
    """``fn(nn.init, t)`` on a fresh tensor in both libraries: (returned the tensor?, requires_grad, is_leaf,
    values, the generator's next draw)."""
    def run(mod):
        mod.manual_seed(seed)
        t = mod.empty(shape, dtype=getattr(mod, dtype))
        if param:
            t = mod.nn.Parameter(t)
        out = fn(mod.nn.init, t)
        return out is t, t.requires_grad, t.is_leaf, to_numpy(t), to_numpy(mod.rand(3))
    return both(run)


def _assert_same_fill(a, b):
    assert not isinstance(a, BaseException) and not isinstance(b, BaseException), (a, b)
    assert a[:3] == b[:3]
    assert a[3].dtype == b[3].dtype and a[3].shape == b[3].shape
    assert a[3].tobytes() == b[3].tobytes()
    assert a[4].tobytes() == b[4].tobytes()       # the same number of draws from the generator


# -- eye_ --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (1, 1), (0, 3)], ids=str)
def test_eye_(shape, dtype):
    _assert_same_fill(*_filled(lambda init, t: init.eye_(t), shape, dtype, param=dtype != "int64"))


def test_eye_on_a_transposed_view_writes_through():
    def run(mod):
        base = mod.full((5, 3), 7.0)
        mod.nn.init.eye_(base.t())
        return base
    assert_same(*both(run), rtol=0, atol=0)


@pytest.mark.parametrize("shape", [(3,), (), (2, 3, 4)], ids=str)
def test_eye_errors(shape):
    a, b = both(lambda mod: mod.nn.init.eye_(mod.empty(shape)))
    assert isinstance(a, ValueError)
    assert_same(a, b)


# -- dirac_ ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,groups", [((4, 4, 3), 1), ((6, 2, 5), 3), ((4, 2, 3, 3), 2), ((3, 16, 5, 5), 1),
                                          ((6, 4, 4, 2), 3), ((2, 3, 3, 3, 3), 1), ((4, 1, 2, 3, 4), 2),
                                          ((8, 3, 1), 4), ((0, 3, 3), 1)], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dirac_(shape, groups, dtype):
    _assert_same_fill(*_filled(lambda init, t: init.dirac_(t, groups), shape, dtype))


@pytest.mark.parametrize("shape,groups", [((4, 2), 1), ((4,), 1), ((2, 2, 2, 2, 2, 2), 1), ((5, 2, 3), 2),
                                          ((4, 2, 3, 3), 3), ((4, 2, 3), 0)], ids=str)
def test_dirac_errors(shape, groups):
    a, b = both(lambda mod: mod.nn.init.dirac_(mod.empty(shape), groups=groups))
    assert isinstance(a, (ValueError, ZeroDivisionError))
    assert_same(a, b)


# -- orthogonal_ -------------------------------------------------------------------------------------------------

ORTHO_SHAPES = [(3, 5), (5, 3), (6, 2), (1, 4), (4, 1), (4, 3, 2, 2), (2, 3, 5), (20, 17), (17, 20), (64, 64)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", ORTHO_SHAPES, ids=str)
@pytest.mark.parametrize("gain", [1, 0.5, 3.0])
def test_orthogonal_(shape, dtype, gain):
    """The same normal draws in torch's order, the same QR sign correction and layout. torch's QR is MKL's LAPACK,
    NumPy's is OpenBLAS's (and computes float32 in float64), so the values agree to a few units of rounding,
    not bit for bit."""
    a, b = _filled(lambda init, t: init.orthogonal_(t, gain=gain), shape, dtype)
    assert a[:3] == b[:3]
    assert a[3].dtype == b[3].dtype and a[3].shape == b[3].shape
    eps = np.finfo(a[3].dtype).eps
    np.testing.assert_allclose(b[3], a[3], rtol=0, atol=32 * eps * gain)
    assert a[4].tobytes() == b[4].tobytes()
    rows = shape[0]
    flat = b[3].reshape(rows, -1).astype(np.float64) / gain
    small = flat @ flat.T if rows <= flat.shape[1] else flat.T @ flat
    np.testing.assert_allclose(small, np.eye(small.shape[0]), atol=100 * eps)


def test_orthogonal_with_a_generator():
    def run(mod):
        mod.manual_seed(0)
        g = mod.Generator().manual_seed(42)
        w = mod.nn.init.orthogonal_(mod.empty(6, 4), gain=2.0, generator=g)
        return w, mod.rand(2), mod.empty(3).normal_(generator=g)
    a, b = both(run)
    assert_same(a[0], b[0], rtol=0, atol=1e-6)
    assert_same(a[1:], b[1:], rtol=0, atol=0)


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0, 2, 2)], ids=str)
def test_orthogonal_of_an_empty_tensor_draws_nothing(shape):
    _assert_same_fill(*_filled(lambda init, t: init.orthogonal_(t), shape))


@pytest.mark.parametrize("shape,dtype", [((3,), "float32"), ((), "float32"), ((3, 3), "int64")], ids=str)
def test_orthogonal_errors(shape, dtype):
    a, b = both(lambda mod: mod.nn.init.orthogonal_(mod.zeros(shape, dtype=getattr(mod, dtype))))
    assert isinstance(a, Exception)
    assert_same(a, b)


# -- sparse_ -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(3, 5), (10, 7), (50, 40), (1, 1), (300, 5), (0, 3), (4, 0)], ids=str)
@pytest.mark.parametrize("sparsity,std", [(0.1, 0.01), (0.5, 1.0), (0.0, 0.3), (1.0, 0.3), (1.7, 0.2),
                                          (-0.3, 0.2)])
def test_sparse_(shape, dtype, sparsity, std):
    """normal_ first, then one randperm of the rows per column, from the global generator (as torch)."""
    _assert_same_fill(*_filled(lambda init, t: init.sparse_(t, sparsity, std=std), shape, dtype))


def test_sparse_default_std_and_generator():
    def run(mod):
        mod.manual_seed(5)
        g = mod.Generator().manual_seed(9)
        a = mod.nn.init.sparse_(mod.empty(8, 6), 0.25)
        b = mod.nn.init.sparse_(mod.empty(8, 6), 0.5, generator=g)    # randperm still draws from the default one
        return a, b, mod.rand(2), mod.empty(2).normal_(generator=g)
    assert_same(*both(run), rtol=0, atol=0)


@pytest.mark.parametrize("shape", [(3,), (2, 3, 4), ()], ids=str)
def test_sparse_errors(shape):
    a, b = both(lambda mod: mod.nn.init.sparse_(mod.empty(shape), 0.1))
    assert isinstance(a, ValueError)
    assert_same(a, b)


# -- the deprecated names ----------------------------------------------------------------------------------------

ALIASES = [
    ("uniform", lambda init, t: init.uniform(t, -0.5, 2.0)),
    ("normal", lambda init, t: init.normal(t, 1.0, std=0.1)),
    ("constant", lambda init, t: init.constant(t, 0.75)),
    ("eye", lambda init, t: init.eye(t[0, 0])),
    ("dirac", lambda init, t: init.dirac(t, groups=2)),
    ("xavier_uniform", lambda init, t: init.xavier_uniform(t, gain=2.0)),
    ("xavier_normal", lambda init, t: init.xavier_normal(t)),
    ("kaiming_uniform", lambda init, t: init.kaiming_uniform(t, a=0.2, mode="fan_out")),
    ("kaiming_normal", lambda init, t: init.kaiming_normal(t, nonlinearity="relu")),
    ("orthogonal", lambda init, t: init.orthogonal(t[:, :, 0, 0])),
    ("sparse", lambda init, t: init.sparse(t[0, 0], 0.3, std=0.5)),
]


@pytest.mark.parametrize("name,fn", ALIASES, ids=[n for n, _ in ALIASES])
def test_deprecated_names_warn_and_fill(name, fn):
    def run(mod):
        mod.manual_seed(4)
        t = mod.zeros(4, 2, 3, 3)       # (some calls fill a part of it)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fn(mod.nn.init, t)
        return t, [(w.category, str(w.message), w.filename) for w in caught], mod.rand(2)
    a, b = both(run)
    assert a[1] == b[1] == [(FutureWarning, f"`nn.init.{name}` is now deprecated in favor of `nn.init.{name}_`.",
                             __file__)]
    tol = dict(rtol=0, atol=1e-6) if name == "orthogonal" else dict(rtol=0, atol=0)
    assert_same(a[0], b[0], **tol)
    assert_same(a[2], b[2], rtol=0, atol=0)


@pytest.mark.parametrize("name", [n for n, _ in ALIASES])
def test_deprecated_names_metadata(name):
    t, lg = getattr(torch.nn.init, name), getattr(leafgrad.nn.init, name)
    assert (lg.__name__, lg.__doc__) == (t.__name__, t.__doc__)


def test_deprecated_name_raises_as_the_new_one():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        a, b = both(lambda mod: mod.nn.init.dirac(mod.empty(3, 3)))
    assert isinstance(a, ValueError)
    assert_same(a, b)


def test_all_names():
    assert leafgrad.nn.init.__all__ == torch.nn.init.__all__
    for name in torch.nn.init.__all__:
        assert callable(getattr(leafgrad.nn.init, name))
