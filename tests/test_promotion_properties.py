"""Property tests (hypothesis) of type promotion and broadcasting against PyTorch.

Promotion: every binary op in ``leafgrad.ops.REGISTRY`` with two inputs and ``promote``
set is called through the public path of its samples with random dtypes (float16/32/64,
int8/16/32/64, uint8, bool), 0-d or n-d tensors and Python scalars; the result dtype and
shape must be torch's, or both libraries must raise the same exception type.

Broadcasting: random broadcast-compatible shapes for add/sub/mul/div/maximum give
torch's values and gradients.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from conftest import assert_same, both, leafgrad, to_numpy, torch
from leafgrad.ops import REGISTRY
from leafgrad.ops._samples import T

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]
SETTINGS = settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def _resolve(mod, path):
    obj = mod
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _binary_cases():
    """(spec name, public path, keyword arguments) for each distinct way the samples of
    a two-input promoting op call it with a tensor first."""
    cases = []
    for name, spec in REGISTRY.items():
        if spec.promote is None or spec.variadic or len(spec.inputs) != 2:
            continue
        seen = set()
        for s in spec.samples:
            if len(s.args) != 2 or not isinstance(s.args[0], T):
                continue
            if not isinstance(s.args[1], (T, int, float)):
                continue
            kwargs = {k: v for k, v in s.kwargs.items() if not isinstance(v, T)}
            path = s.call or name
            key = (path, tuple(sorted(kwargs.items())))
            if key in seen or path.split(".")[-1].startswith("_"):
                continue
            try:
                _resolve(torch, path)
                _resolve(leafgrad, path)
            except AttributeError:
                continue
            seen.add(key)
            cases.append(pytest.param(name, path, kwargs, id=f"{name}-{path}-{kwargs}".replace(" ", "")))
    return cases


CASES = _binary_cases()


@st.composite
def _tensor_arg(draw):
    dtype = draw(st.sampled_from(DTYPES))
    shape = draw(st.sampled_from([(), (3,), (2, 3)]))
    if dtype == "bool":
        values = np.asarray(draw(st.lists(st.booleans(), min_size=6, max_size=6)))
    else:
        values = np.asarray(draw(st.lists(st.integers(1, 4), min_size=6, max_size=6)), dtype=np.float64)
        if dtype.startswith("float"):
            values = values * 0.75
    arr = values[:int(np.prod(shape))].reshape(shape).astype(dtype)
    return ("tensor", arr)


_scalar_arg = st.one_of(st.booleans().map(lambda v: ("scalar", v)),
                        st.integers(1, 4).map(lambda v: ("scalar", v)),
                        st.sampled_from([0.5, 1.5, 2.0, 3.25]).map(lambda v: ("scalar", v)))


def _build(mod, arg):
    kind, v = arg
    return mod.tensor(np.array(v, copy=True)) if kind == "tensor" else v


def _call(mod, path, a, b, kwargs):
    try:
        return _resolve(mod, path)(_build(mod, a), _build(mod, b), **kwargs)
    except Exception as e:  # noqa: BLE001 - compared as values
        return e


def _is_bool(arg):
    return isinstance(arg[1], bool) if arg[0] == "scalar" else arg[1].dtype == np.bool_


def _is_float(arg):
    return isinstance(arg[1], float) if arg[0] == "scalar" else arg[1].dtype.kind == "f"


#: Differences from torch in ops declared outside ops/binary.py, found by this test and
#: reported; their inputs are left out here so that the rest stays checked.
KNOWN = {}
#: Where only the exception type differs (both raise, same message).
KNOWN_EXCEPTION_TYPE = {}


@pytest.mark.parametrize("name, path, kwargs", CASES)
@SETTINGS
@given(a=_tensor_arg(), b=st.one_of(_tensor_arg(), _scalar_arg))
def test_result_dtype(name, path, kwargs, a, b):
    if any(known(name, a, b, kwargs) for known in KNOWN.values()):
        return
    th = _call(torch, path, a, b, kwargs)
    lg = _call(leafgrad, path, a, b, kwargs)
    if isinstance(th, BaseException) or isinstance(lg, BaseException):
        assert isinstance(th, BaseException) and isinstance(lg, BaseException), (
            f"{path}({a}, {b}): torch gave {th!r}, leafgrad gave {lg!r}")
        if not any(known(name) for known in KNOWN_EXCEPTION_TYPE.values()):
            assert type(th).__name__ == type(lg).__name__, f"{path}: torch raised {th!r}, leafgrad raised {lg!r}"
        return
    assert str(th.dtype) == str(lg.dtype), f"{path}({a}, {b}): dtype torch {th.dtype} vs leafgrad {lg.dtype}"
    assert tuple(th.shape) == tuple(lg.shape)
    if kwargs == {} and not isinstance(b[1], bool) and th.dtype.is_floating_point is False:
        # exact results (integer, bool) must agree too
        assert np.array_equal(to_numpy(th), to_numpy(lg)), f"{path}({a}, {b}): {th} vs {lg}"


@SETTINGS
@given(a=_tensor_arg(), b=st.one_of(_tensor_arg(), _scalar_arg))
def test_result_type(a, b):
    th = torch.result_type(_build(torch, a), _build(torch, b))
    lg = leafgrad.result_type(_build(leafgrad, a), _build(leafgrad, b))
    assert str(th) == str(lg)


def test_cases_cover_binary_ops():
    names = {p.values[0] for p in CASES}
    for op in ("add", "sub", "mul", "div", "pow.Tensor", "eq", "lt", "bitwise_and", "div.Tensor_mode",
               "floor_divide", "remainder.Tensor", "fmod.Tensor", "atan2", "maximum", "minimum", "fmax",
               "fmin", "hypot", "copysign.Tensor"):
        assert op in names, f"{op} is not exercised by the promotion property test"


# ------------------------------------------------------------------ broadcasting
BROADCAST_OPS = ["add", "sub", "mul", "div", "maximum"]


@pytest.mark.parametrize("op", BROADCAST_OPS)
@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3),
       dtypes=st.sampled_from([("float64", "float64"), ("float32", "float32"), ("float32", "float64"),
                               ("float64", "float32")]),
       seed=st.integers(0, 2 ** 32 - 1))
def test_broadcasting(op, shapes, dtypes, seed):
    (sa, sb), out_shape = shapes.input_shapes, shapes.result_shape
    if out_shape == () and dtypes[0] != dtypes[1]:
        # Known engine bug (autograd/engine.py, reported): a formula on 0-d arrays returns a
        # NumPy scalar, which the dtype cast then takes for a Tensor ('numpy.float64' object
        # has no attribute 'to'). Checked separately below as an expected failure.
        return
    rng = np.random.default_rng(seed)
    xa = rng.uniform(-2, 2, sa).astype(dtypes[0])
    xb = rng.uniform(0.5, 2, sb) * rng.choice([-1.0, 1.0], sb)
    xb = np.asarray(xb).astype(dtypes[1])
    cot = rng.standard_normal(out_shape)
    res = []
    for mod in (torch, leafgrad):
        a = mod.tensor(np.array(xa, copy=True), requires_grad=True)
        b = mod.tensor(np.array(xb, copy=True), requires_grad=True)
        out = getattr(mod, op)(a, b)
        g = mod.autograd.grad(out, [a, b], mod.tensor(cot.astype(to_numpy(out).dtype)))
        res.append((out, g[0], g[1]))
    tol = dict(rtol=1e-5, atol=1e-6) if "float32" in dtypes else {}
    assert_same(res[0], res[1], **tol)


@pytest.mark.parametrize("op", BROADCAST_OPS)
@SETTINGS
@given(shapes=st.tuples(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                        hnp.array_shapes(min_dims=1, max_dims=3, max_side=4)))
def test_broadcast_errors(op, shapes):
    """Incompatible shapes raise torch's error (compatible ones work in both)."""
    sa, sb = shapes
    res = []
    for mod in (torch, leafgrad):
        try:
            res.append(tuple(getattr(mod, op)(mod.ones(sa), mod.ones(sb)).shape))
        except Exception as e:  # noqa: BLE001
            res.append(e)
    assert_same(res[0], res[1])


def test_zero_dim_mixed_dtype_gradient():
    def fn(m):
        a = m.tensor(1.5, dtype=m.float32, requires_grad=True)
        b = m.tensor(2.0, dtype=m.float64, requires_grad=True)
        return m.autograd.grad(a * b, [a, b])
    th, lg = fn(torch), fn(leafgrad)
    assert_same(th, lg)


# ------------------------------------------------------------------ nn.functional losses, every dtype pair
LOSS_DTYPES = ["float16", "float32", "float64", "int8", "int16", "int64", "uint8", "bool"]
LOSSES = [("mse_loss", {}), ("l1_loss", {"reduction": "sum"}), ("smooth_l1_loss", {"beta": 0.5}),
          ("smooth_l1_loss", {"beta": 0.0}), ("huber_loss", {"reduction": "none", "delta": 0.5}),
          ("binary_cross_entropy", {}), ("binary_cross_entropy_with_logits", {"reduction": "none"}),
          ("kl_div", {"reduction": "batchmean"}), ("kl_div", {"log_target": True, "reduction": "sum"}),
          ("cosine_similarity", {"dim": -1}), ("pairwise_distance", {})]


def _filled(mod, dtype, shape):
    v = np.ones(shape, dtype=dtype) if dtype == "bool" else np.full(shape, 0.75 if dtype[0] == "f" else 1).astype(dtype)
    return mod.tensor(v)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("fn, kw", LOSSES, ids=lambda v: str(v))
@pytest.mark.parametrize("shapes", [((), ()), ((3,), (3,)), ((2, 3), (3,)), ((3,), ())], ids=str)
def test_loss_dtype_pairs(fn, kw, shapes):
    """Result dtype, or the same exception type and message, for every pair of dtypes."""
    for da in LOSS_DTYPES:
        for db in LOSS_DTYPES:
            th, lg = both(lambda m: getattr(m.nn.functional, fn)(_filled(m, da, shapes[0]), _filled(m, db, shapes[1]),
                                                                **kw))
            if isinstance(th, BaseException) or isinstance(lg, BaseException):
                assert (type(th).__name__, str(th)) == (type(lg).__name__, str(lg)), (da, db)
            else:
                assert (str(th.dtype), tuple(th.shape)) == (str(lg.dtype), tuple(lg.shape)), (da, db)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("fn", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
                                "binary_cross_entropy_with_logits", "kl_div", "cosine_similarity",
                                "pairwise_distance", "linear"])
@pytest.mark.parametrize("first", [True, False])
@pytest.mark.parametrize("number", [True, 2, 1.5])
def test_loss_number_operand(fn, first, number):
    """A Python number where a tensor belongs: torch's AttributeError (torch.functional code calling
    .size()) or the argument parser's TypeError."""
    def run(m):
        t = m.full((3,), 0.5)
        args = (number, t) if first else (t, number)
        return getattr(m.nn.functional, fn)(*args)
    assert_same(*both(run))


def _grads(fn, da, db, **kw):
    def run(m):
        x = m.tensor(np.array([0.2, 0.7, 0.45]).astype(da), requires_grad=True)
        y = m.tensor(np.array([0.9, 0.1, 0.5]).astype(db), requires_grad=True)
        kw2 = {k: m.tensor(np.array(v).astype(db)) if isinstance(v, list) else v for k, v in kw.items()}
        out = getattr(m.nn.functional, fn)(x, y, **kw2)
        return (out,) + m.autograd.grad(out.sum(), [x, y])
    return both(run)


@pytest.mark.parametrize("da, db", [("float32", "float64"), ("float64", "float32"), ("float16", "float32"),
                                    ("float32", "float16")])
@pytest.mark.parametrize("fn, kw", [("huber_loss", {}), ("huber_loss", {"delta": 0.3, "reduction": "none"}),
                                    ("mse_loss", {}), ("smooth_l1_loss", {"beta": 0.3}),
                                    ("binary_cross_entropy_with_logits", {}),
                                    ("binary_cross_entropy_with_logits", {"pos_weight": [0.5, 2.0, 1.0],
                                                                          "weight": [1.0, 0.5, 2.0]})])
def test_loss_mixed_float_values(fn, kw, da, db):
    """Values and gradients for mixed float dtypes: huber_loss keeps the input's dtype (and its
    backward refuses mixed dtypes, as ATen's does), binary_cross_entropy_with_logits the target's."""
    th, lg = _grads(fn, da, db, **kw)
    tol = dict(rtol=2e-3, atol=2e-3) if "float16" in (da, db) else dict(rtol=1e-5, atol=1e-6)
    assert_same(th, lg, **tol)


@pytest.mark.parametrize("requires", [(True, False), (False, True)])
def test_huber_backward_mixed_dtypes(requires):
    def run(m):
        x = m.full((3,), 0.5, requires_grad=requires[0])
        y = m.full((3,), 0.2, dtype=m.float64, requires_grad=requires[1])
        out = m.nn.functional.huber_loss(x, y)
        out.backward()
        return out
    assert_same(*both(run))


@pytest.mark.parametrize("x, t", [([0.5, 2.0], [2.0, 0.5]), ([2.0, 0.5], [2.0, 0.5]), ([0.5, 0.5], [0.5, float("nan")]),
                                  ([float("nan"), 0.5], [0.5, 0.5]), ([0.5, 0.5], [0.5, -0.0])])
def test_bce_range_checks(x, t):
    """The kernel checks each element's input, then its target."""
    assert_same(*both(lambda m: m.nn.functional.binary_cross_entropy(m.tensor(x), m.tensor(t))))


@pytest.mark.parametrize("fn, kw", [("binary_cross_entropy", "weight"), ("binary_cross_entropy_with_logits", "weight"),
                                    ("binary_cross_entropy_with_logits", "pos_weight"), ("huber_loss", "weight"),
                                    ("mse_loss", "weight"), ("l1_loss", "weight")])
@pytest.mark.parametrize("wshape", [(3,), (2, 3), (), (2,)], ids=str)
@pytest.mark.parametrize("dtypes", [("float32", "float32", "float64"), ("float32", "float64", "int16"),
                                    ("float16", "float32", "bool"), ("bool", "bool", "float32"),
                                    ("float32", "float16", "float32")], ids=str)
def test_loss_weights(fn, kw, wshape, dtypes):
    def run(m):
        a, b, w = dtypes
        return getattr(m.nn.functional, fn)(_filled(m, a, (3,)), _filled(m, b, (3,)), **{kw: _filled(m, w, wshape)})
    th, lg = both(run)
    if isinstance(th, BaseException) or isinstance(lg, BaseException):
        assert_same(th, lg)
    else:
        assert (str(th.dtype), tuple(th.shape)) == (str(lg.dtype), tuple(lg.shape))


@pytest.mark.parametrize("dtypes", [("float32", "float32", "bool"), ("bool", "bool", "float32"), ("bool", "bool", "bool"),
                                    ("float32", "bool", "bool"), ("float16", "float64", "int64")], ids=str)
def test_margin_ranking_bool_operands(dtypes):
    def run(m):
        a, b, c = dtypes
        return m.nn.functional.margin_ranking_loss(_filled(m, a, (3,)), _filled(m, b, (3,)), _filled(m, c, (3,)))
    th, lg = both(run)
    if isinstance(th, BaseException) or isinstance(lg, BaseException):
        assert_same(th, lg)
    else:
        assert str(th.dtype) == str(lg.dtype)


@pytest.mark.parametrize("case", range(9))
def test_nll_loss_check_order(case):
    """Shapes, then the target's dtype, the weight's size, the kernel's input dtype, the weight's
    dtype and the targets' bounds, as ATen checks them."""
    def run(m):
        i16, i32, i64 = m.int16, m.int32, m.int64
        x = m.ones(2, 3, dtype=i16)
        return [lambda: m.nn.functional.nll_loss(x, m.ones(2, dtype=i32)),
                lambda: m.nn.functional.nll_loss(x, m.ones(2, 2, dtype=i32)),
                lambda: m.nn.functional.nll_loss(x, m.ones(2, dtype=i64), weight=m.ones(3)),
                lambda: m.nn.functional.nll_loss(x, m.ones(2, dtype=i64), weight=m.ones(4)),
                lambda: m.nn.functional.nll_loss(m.ones(2, 3), m.ones(2, dtype=i32), weight=m.ones(3, dtype=m.float64)),
                lambda: m.nn.functional.nll_loss(m.ones(2, 3), m.ones(2, dtype=i64), weight=m.ones(3, dtype=m.float64)),
                lambda: m.nn.functional.nll_loss(x, m.ones(2, dtype=i64) * 5),
                lambda: m.nn.functional.nll_loss(m.ones(2, 3, 4, 4, dtype=i16), m.ones(2, 4, 4, dtype=i64)),
                lambda: m.nn.functional.nll_loss(m.ones(2, 3, 4, dtype=i16), m.ones(2, 4, dtype=i32))][case]()
    assert_same(*both(run))
