"""leafgrad._tensor_str must print exactly what torch prints.

Every check builds a NumPy array, formats it with ``format_tensor`` and
compares the text with ``repr()`` of the torch tensor holding the same data,
under the same print options (set on both libraries).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leafgrad._tensor_str import format_tensor, get_printoptions, set_printoptions

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _reset_printoptions():
    """Every test starts and ends with default options in both libraries."""
    set_printoptions(profile="default")
    torch.set_printoptions(profile="default")
    yield
    set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


def both_printoptions(**kwargs):
    set_printoptions(**kwargs)
    torch.set_printoptions(**kwargs)


def dtype_suffix(t: torch.Tensor) -> str | None:
    """The dtype text torch shows, decided the way torch decides it."""
    if t.numel() == 0:
        # Empty tensors hide only the default floating dtype.
        hidden = (torch.get_default_dtype(),)
    else:
        hidden = (torch.get_default_dtype(), torch.complex64, torch.int64, torch.bool)
    return None if t.dtype in hidden else str(t.dtype)


def as_torch(a: np.ndarray) -> torch.Tensor:
    # np.array(copy) keeps 0-d arrays 0-d and makes negative strides positive.
    return torch.from_numpy(np.array(a, copy=True))


def check(a: np.ndarray, *, requires_grad: bool = False, prefix: str = "tensor(") -> str:
    """Assert format_tensor(a) == repr(torch tensor of a); return the text."""
    a = np.asarray(a)
    t = as_torch(a)
    extras = []
    if requires_grad:
        t.requires_grad_()
        extras.append("requires_grad=True")
    expected = repr(t)
    got = format_tensor(a, dtype_suffix=dtype_suffix(t), extras=extras, prefix=prefix)
    assert got == expected, f"\nexpected:\n{expected}\ngot:\n{got}"
    return got


# ---------------------------------------------------------------------------
# Basic values
# ---------------------------------------------------------------------------


def test_doc_example():
    got = format_tensor(
        np.array([1.0, 2.5]), dtype_suffix="torch.float64", extras=["requires_grad=True"]
    )
    assert got == "tensor([1.0000, 2.5000], dtype=torch.float64, requires_grad=True)"


@pytest.mark.parametrize(
    "values",
    [
        [1.0, 2.5],
        [0.1, 0.2, 0.3],
        [1.23456789, -9.87654321],
        [0.00015, 0.5],  # min just above 1e-4: fixed point
        [-1.5, 0.0, 1.5],
        [0.333333, 100.5],
        [999.999, 1.0],
        [0.99995, 0.00049999],  # rounding up to 1.0000 / 0.0005
        [123456.789],
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_fixed_point(values, dtype):
    with np.errstate(over="ignore"):
        check(np.array(values, dtype=dtype))


@pytest.mark.parametrize(
    "values",
    [
        [1.0, 2.0, 3.0],
        [-1.0, 0.0, 10.0],
        [100.0, -2000.0],
        [1e7, 3.0],  # ratio > 1000 -> scientific even though integral
        [1e8, 1e8],  # max == 1e8 is not > 1e8
        [2e8],
        [12345.0],
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_integral_floats(values, dtype):
    check(np.array(values, dtype=dtype))


@pytest.mark.parametrize(
    "values",
    [
        [1e-5],  # min < 1e-4
        [1e-4],  # exactly 1e-4 (float32 rounding decides)
        [1e9, 1.0],  # max > 1e8
        [1.0, 1000.0],  # ratio exactly 1000: not scientific
        [1.0, 1000.5],  # ratio just above 1000
        [1e-30, 1e30, -5.0],  # three-digit exponents in float64
        [1e-300, 1e300],
        [-1e-10, 3.5],
        [1.5e10, -2.25e-3, 0.0],
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scientific(values, dtype):
    with np.errstate(over="ignore", under="ignore"):
        check(np.array(values, dtype=dtype))


@pytest.mark.parametrize(
    "values",
    [
        [np.inf, 1.0],
        [np.inf, -np.inf, np.nan],
        [np.nan],
        [np.nan, 1.5, -2.25],
        [np.inf, 1e-6, 3.0],
        [-np.inf, 0.0, 12345.0],
        [np.nan, 100.0, 1e9],
        [0.0, 0.0],
        [-0.0],
        [-0.0, 0.0, 1.0],
        [-0.0, 0.5],
        [-0.0, 1e-6],  # "-0.0000e+00" is wider than the column
        [-0.0, np.inf],
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_special_values(values, dtype):
    with np.errstate(over="ignore"):
        check(np.array(values, dtype=dtype))


@pytest.mark.parametrize(
    "a",
    [
        np.array(3.0, dtype=np.float32),
        np.array(3.5, dtype=np.float32),
        np.array(-0.0, dtype=np.float32),
        np.array(np.nan, dtype=np.float64),
        np.array(-np.inf, dtype=np.float16),
        np.array(1e-8, dtype=np.float64),
        np.array(True),
        np.array(False),
        np.array(-7, dtype=np.int64),
        np.array(255, dtype=np.uint8),
        np.array(-128, dtype=np.int8),
        np.array(2**40, dtype=np.int64),
    ],
)
def test_zero_dim(a):
    check(a)


def test_zero_dim_literals():
    assert format_tensor(np.array(3.0, np.float32), dtype_suffix=None) == "tensor(3.)"
    assert format_tensor(np.array(True), dtype_suffix=None) == "tensor(True)"


@pytest.mark.parametrize(
    "a",
    [
        np.array([True, False, True]),
        np.array([True, True]),
        np.array([[True], [False]]),
        np.array([-3, 0, 12, 100], dtype=np.int64),
        np.array([1, 2, 3], dtype=np.int32),
        np.array([-128, 127, 0], dtype=np.int8),
        np.array([-32768, 5], dtype=np.int16),
        np.array([0, 255, 7], dtype=np.uint8),
        np.array([2**62, -(2**63), 1], dtype=np.int64),
        np.array([[1, -20], [300, 4000]], dtype=np.int32),
        np.arange(100, dtype=np.int64) * 123457,
    ],
)
def test_bool_and_int(a):
    check(a)


def test_float16_and_float64_values():
    check(np.array([0.1, 65504.0, -0.00006103515625], dtype=np.float16))
    check(np.array([0.1, 1 / 3, 2 / 3], dtype=np.float64))
    check(np.array([1.0, 2.0, 1.0e-12], dtype=np.float64))
    check(np.linspace(-3, 3, 50, dtype=np.float16))
    check(np.linspace(-3, 3, 50, dtype=np.float64))


# ---------------------------------------------------------------------------
# Layout: nesting, wrapping, summarisation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape", [(2, 3), (3, 1), (1, 3), (2, 3, 4), (2, 1, 2, 3), (2, 2, 2, 2, 2), (1, 1, 1)]
)
def test_nested_brackets(shape):
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape) - 5
    check(a)
    check(a / 3)
    check(a.astype(np.int64))


def test_nested_text():
    got = check(np.arange(8, dtype=np.float32).reshape(2, 2, 2))
    assert got == (
        "tensor([[[0., 1.],\n"
        "         [2., 3.]],\n"
        "\n"
        "        [[4., 5.],\n"
        "         [6., 7.]]])"
    )


@pytest.mark.parametrize(
    "a",
    [
        np.linspace(-1, 1, 40, dtype=np.float32),
        np.arange(60, dtype=np.int64),
        np.arange(60, dtype=np.int64) * 10**12,
        np.random.default_rng(0).standard_normal((3, 30)).astype(np.float32),
        np.random.default_rng(1).standard_normal((2, 3, 25)),
        np.random.default_rng(2).standard_normal(100).astype(np.float32) * 1e6,
        np.ones((2, 100), dtype=bool),
    ],
)
def test_line_wrapping(a):
    check(a)
    if a.dtype.kind == "f":
        check(a, requires_grad=True)


@pytest.mark.parametrize(
    "shape",
    [
        (1001,),
        (2000,),
        (7, 1000),
        (1000, 7),
        (6, 200),  # first dimension not longer than 2*edgeitems
        (40, 50),
        (11, 11, 11),
        (2, 3, 500),
        (10, 10, 10, 10),
        (6, 6, 6, 6),  # summarised but no dimension is cut
        (3, 5, 7, 11),
    ],
)
def test_summarisation(shape):
    rng = np.random.default_rng(sum(shape))
    a = rng.standard_normal(shape).astype(np.float32)
    check(a)
    check(np.arange(a.size).reshape(shape))
    check(a * 1e-6, requires_grad=True)


def test_summarised_values_drive_the_formatter():
    # The huge value is hidden by summarisation, so it must not force
    # scientific notation or widen the column.
    a = np.ones(2000, dtype=np.float32)
    a[1000] = 1e12
    check(a)
    b = np.ones((40, 40), dtype=np.int64)
    b[20, 20] = -(10**15)
    check(b)


def test_threshold_boundary():
    check(np.arange(1000, dtype=np.float32))  # exactly threshold: full
    check(np.arange(1001, dtype=np.float32))


def test_summarised_text():
    got = check(np.arange(2000))
    assert got == "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"
    got = check(np.arange(2000).reshape(40, 50))
    assert "        ...,\n" in got


# ---------------------------------------------------------------------------
# Empty tensors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(0,), (0, 3), (3, 0), (2, 0, 4), (0, 0)])
@pytest.mark.parametrize(
    "dtype", [np.float32, np.float64, np.float16, np.int64, np.int32, np.uint8, bool]
)
def test_empty(shape, dtype):
    check(np.zeros(shape, dtype=dtype))
    if np.dtype(dtype).kind == "f":
        check(np.zeros(shape, dtype=dtype), requires_grad=True)


def test_empty_text():
    assert check(np.zeros(0, np.float32)) == "tensor([])"
    assert check(np.zeros((0, 3), np.int32)) == "tensor([], size=(0, 3), dtype=torch.int32)"
    assert check(np.zeros(0, np.int64)) == "tensor([], dtype=torch.int64)"


# ---------------------------------------------------------------------------
# Suffixes and prefixes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("n", range(1, 12))
@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.float32, np.int32])
def test_suffix_wrapping(n, dtype):
    # Lines of varying length, so the suffixes cross the 80-column limit.
    a = (np.arange(n) * 1.25 - 3).astype(dtype)
    check(a)
    if np.dtype(dtype).kind == "f":
        check(a, requires_grad=True)
        check(a.reshape(1, n), requires_grad=True)


def test_grad_fn_extra():
    base = torch.randn(3, 7, dtype=torch.float64, requires_grad=True)
    for t in (base * 2, base.sum(), base[0] + 1):
        name = type(t.grad_fn).__name__
        a = t.detach().numpy()
        got = format_tensor(a, dtype_suffix="torch.float64", extras=[f"grad_fn=<{name}>"])
        assert got == repr(t)


def test_custom_prefix():
    class MyTensor(torch.Tensor):
        pass

    a = np.arange(30, dtype=np.float32).reshape(3, 10) / 7
    t = torch.from_numpy(a.copy()).as_subclass(MyTensor)
    got = format_tensor(a, dtype_suffix=None, prefix="MyTensor(")
    assert got == repr(t)
    got = format_tensor(a.astype(np.float64), dtype_suffix="torch.float64", prefix="MyTensor(")
    assert got == repr(t.double())


def test_parameter_reuse():
    p = torch.nn.Parameter(torch.randn(2, 30))
    body = format_tensor(p.detach().numpy(), dtype_suffix=None, extras=["requires_grad=True"])
    assert repr(p) == "Parameter containing:\n" + body


# ---------------------------------------------------------------------------
# Complex (beyond the required dtypes, but cheap to match)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a",
    [
        np.array([1 + 2j, -3.5 - 0.25j]),
        np.array([1 + 0j, -0.0 - 0.0j, complex(np.nan, np.inf)], dtype=np.complex64),
        np.array(2 - 1j, dtype=np.complex64),
        np.array([[1e-6 + 1j, 3 + 4e5j]], dtype=np.complex128),
        (np.arange(40) + 1j * np.arange(40)[::-1]).astype(np.complex64),
    ],
)
def test_complex(a):
    check(a)


# ---------------------------------------------------------------------------
# Print options
# ---------------------------------------------------------------------------


def test_get_printoptions_matches_torch():
    assert get_printoptions() == torch._tensor_str.get_printoptions()
    assert list(get_printoptions()) == list(torch._tensor_str.get_printoptions())
    for kwargs in (
        dict(profile="short"),
        dict(profile="full"),
        dict(precision=7, sci_mode=True),
        dict(threshold=5, edgeitems=1, linewidth=40),
        dict(profile="short", precision=6),
    ):
        both_printoptions(**kwargs)
        assert get_printoptions() == torch._tensor_str.get_printoptions()
    # Omitting sci_mode resets it to automatic, as in torch.
    both_printoptions(sci_mode=True)
    both_printoptions(precision=3)
    assert get_printoptions()["sci_mode"] is None
    assert get_printoptions() == torch._tensor_str.get_printoptions()


SAMPLES = [
    np.array([1.123456789, -22.5, 0.0], dtype=np.float64),
    np.array([1.0, 2.0, 300.0], dtype=np.float32),
    np.array([1e-7, 5.0], dtype=np.float32),
    np.array([np.inf, np.nan, 0.0, -0.0], dtype=np.float32),
    np.zeros(3, dtype=np.float32),
    np.arange(30, dtype=np.int32).reshape(3, 10),
    np.random.default_rng(3).standard_normal((4, 5, 6)).astype(np.float32),
    np.random.default_rng(4).standard_normal(2000),
    np.arange(2000).reshape(20, 100),
    np.ones((3, 400), dtype=bool),
    np.array(2.5, dtype=np.float32),
    np.zeros((0, 2), dtype=np.float32),
]


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(precision=2),
        dict(precision=0),
        dict(precision=8),
        dict(threshold=5),
        dict(threshold=0),
        dict(threshold=5, edgeitems=1),
        dict(threshold=5, edgeitems=0),
        dict(edgeitems=0),
        dict(edgeitems=5),
        dict(linewidth=40),
        dict(linewidth=200),
        dict(linewidth=10),
        dict(sci_mode=True),
        dict(sci_mode=False),
        dict(sci_mode=True, precision=2),
        dict(profile="short"),
        dict(profile="full"),
        dict(profile="full", linewidth=120),
        dict(profile="default"),
    ],
    ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()),
)
def test_printoptions(kwargs):
    both_printoptions(**kwargs)
    for a in SAMPLES:
        check(a)
        if a.dtype.kind == "f":
            check(a, requires_grad=True)


def test_precision_doc_example():
    set_printoptions(precision=2)
    assert format_tensor(np.array([1.12345]), dtype_suffix=None) == "tensor([1.12])"
    set_printoptions(threshold=5)
    assert (
        format_tensor(np.arange(10), dtype_suffix=None) == "tensor([0, 1, 2,  ..., 7, 8, 9])"
    )


# ---------------------------------------------------------------------------
# Property test
# ---------------------------------------------------------------------------

DTYPES = [
    np.float16,
    np.float32,
    np.float64,
    np.int8,
    np.int16,
    np.int32,
    np.int64,
    np.uint8,
    np.bool_,
    np.complex64,
]
KINDS = ["normal", "tiny", "huge", "mixed", "integral", "big_integral", "special", "zeros"]


def make_array(shape, dtype, kind, seed) -> np.ndarray:
    """Random data of the given shape, dtype and value range."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.random(shape) < 0.5
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        span = {"tiny": 10, "normal": 1000}.get(kind, None)
        lo, hi = (info.min, info.max) if span is None else (max(info.min, -span), min(info.max, span))
        return rng.integers(lo, hi, size=shape, dtype=dtype, endpoint=True)

    base = rng.standard_normal(shape)
    if kind == "tiny":
        values = base * 1e-6
    elif kind == "huge":
        values = base * 1e12
    elif kind == "mixed":
        values = base * 10.0 ** rng.uniform(-9, 12, size=shape)
    elif kind == "integral":
        values = np.round(base * 50)
    elif kind == "big_integral":
        values = np.round(base * 1e6)
    elif kind == "special":
        values = base * 10.0 ** rng.uniform(-3, 3, size=shape)
        choice = rng.integers(0, 6, size=shape)
        values = np.where(choice == 0, np.inf, values)
        values = np.where(choice == 1, -np.inf, values)
        values = np.where(choice == 2, np.nan, values)
        values = np.where(choice == 3, -0.0, values)
    elif kind == "zeros":
        values = np.where(rng.random(shape) < 0.5, 0.0, -0.0)
    else:
        values = base
    with np.errstate(over="ignore", invalid="ignore"):
        if dtype.kind == "c":
            values = values + 1j * np.roll(np.asarray(values), 1)
        return np.asarray(values).astype(dtype)


dims = st.sampled_from([0, 1, 2, 3, 4, 5, 7, 8, 13])
shapes = st.one_of(
    st.lists(dims, min_size=0, max_size=4).map(tuple),
    # Shapes with more than 1000 elements, to exercise summarisation.
    st.sampled_from([(1200,), (3, 400), (400, 3), (11, 12, 13), (2, 7, 8, 10), (4, 4, 4, 20)]),
)
arrays = st.builds(
    make_array,
    shapes,
    st.sampled_from(DTYPES),
    st.sampled_from(KINDS),
    st.integers(0, 2**32 - 1),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=arrays, requires_grad=st.booleans())
def test_property_default_options(a, requires_grad):
    check(a, requires_grad=requires_grad and a.dtype.kind in "fc")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    a=arrays,
    precision=st.integers(0, 8),
    threshold=st.sampled_from([0, 1, 10, 100, 1000, float("inf")]),
    edgeitems=st.integers(0, 4),
    linewidth=st.sampled_from([10, 40, 80, 120]),
    sci_mode=st.sampled_from([None, True, False]),
)
def test_property_printoptions(a, precision, threshold, edgeitems, linewidth, sci_mode):
    both_printoptions(
        precision=precision,
        threshold=threshold,
        edgeitems=edgeitems,
        linewidth=linewidth,
        sci_mode=sci_mode,
    )
    try:
        check(a)
    finally:
        both_printoptions(profile="default")


# ---------------------------------------------------------------------------
# Input layouts
# ---------------------------------------------------------------------------


def test_non_contiguous_inputs():
    base = np.random.default_rng(5).standard_normal((6, 7)).astype(np.float32)
    check(base.T)
    check(base[::-1, ::2])
    check(np.broadcast_to(np.arange(3.0), (4, 3)))
    check(np.arange(3000)[::-1])


def test_subnormals_and_float_extremes():
    check(np.array([1e-45, 1.0], dtype=np.float32))
    check(np.array([np.finfo(np.float32).max, -np.finfo(np.float32).max], dtype=np.float32))
    check(np.array([5e-324, 1.7e308], dtype=np.float64))
    check(np.array([6e-08, 65504.0], dtype=np.float16))


def test_suffix_wraps_onto_new_line():
    a = np.arange(7, dtype=np.float64) + 0.5
    got = check(a, requires_grad=True)
    assert got == (
        "tensor([0.5000, 1.5000, 2.5000, 3.5000, 4.5000, 5.5000, 6.5000],\n"
        "       dtype=torch.float64, requires_grad=True)"
    )
