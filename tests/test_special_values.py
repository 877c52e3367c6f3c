"""Special values against torch: signed zeros bit for bit (-0.0 is kept where PyTorch
keeps it), NaN and inf through relu, clamp, clamp_min/clamp_max, hardtanh, the shrinks,
the elus, fmax/fmin, sign, softmax and cumsum; the clamp family's type promotion,
tensor bounds, grad_fn names, in-place forms and errors; and no NumPy RuntimeWarning
from leafgrad's own computations (PyTorch computes inf and NaN silently)."""
import itertools
import subprocess
import sys

import numpy as np
import pytest

from conftest import assert_same, both

VALUES = [-0.0, 0.0, -1.0, 1.0, float("nan"), float("inf"), float("-inf")]
BOUNDS = [None, 0.0, -0.0, 1.0]


def _bits(pair):
    a, b = (t.detach().numpy() for t in pair)
    assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), f"torch {a}, leafgrad {b}"


SIGNED = {
    "relu": lambda T, x: T.relu(x),
    "F.relu": lambda T, x: T.nn.functional.relu(x),
    "relu_": lambda T, x: x.clone().relu_(),
    "relu6": lambda T, x: T.nn.functional.relu6(x),
    "hardtanh(-0.0, 0.0)": lambda T, x: T.nn.functional.hardtanh(x, -0.0, 0.0),
    "threshold": lambda T, x: T.nn.functional.threshold(x, 0.0, 0.0),
    "clamp_min": lambda T, x: T.clamp_min(x, 0.0),
    "clamp_max(-0.0)": lambda T, x: x.clamp_max(-0.0),
    "clamp_min_": lambda T, x: x.clone().clamp_min_(0.0),
    "maximum": lambda T, x: T.maximum(x, T.zeros(7)),
    "maximum, zeros first": lambda T, x: T.maximum(T.zeros(7), x),
    "minimum": lambda T, x: T.minimum(x, T.zeros(7)),
    "minimum, zeros first": lambda T, x: T.minimum(T.zeros(7), x),
    "fmax": lambda T, x: T.fmax(x, T.zeros(7)),
}


@pytest.mark.parametrize("name", SIGNED)
def test_signed_zeros_nan_and_inf_as_torch(name):
    _bits(both(lambda T: SIGNED[name](T, T.tensor(VALUES))))


@pytest.mark.parametrize("op", ["fmax", "fmin", "relu", "clamp_min", "clamp_max"])
@pytest.mark.parametrize("n", [1, 7, 17, 1000])
def test_ties_of_signed_zeros_at_every_length_as_torch(op, n):
    """PyTorch keeps the first operand (the input) on a tie at every length; NumPy's own
    loops do not agree with each other there. (torch.maximum/minimum themselves answer
    differently in their vectorized and scalar loops, so they are left out.)"""
    def run(T):
        neg, pos = T.full((n,), -0.0), T.zeros(n)
        if op == "relu":
            return T.relu(neg)
        if op in ("clamp_min", "clamp_max"):
            return T.stack([getattr(T, op)(neg, 0.0), getattr(T, op)(pos, -0.0)])
        f = getattr(T, op)
        return T.stack([f(neg, pos), f(pos, neg), f(neg, T.tensor(float("nan"))), f(T.full((n,), float("nan")), neg)])
    _bits(both(run))


@pytest.mark.parametrize("lo, hi", [(lo, hi) for lo, hi in itertools.product(BOUNDS, BOUNDS)
                                    if lo is not None or hi is not None])
@pytest.mark.parametrize("tensor_bounds", [False, True])
def test_clamp_bounds_as_torch(lo, hi, tensor_bounds):
    def run(T):
        wrap = (lambda v: None if v is None else T.tensor(v)) if tensor_bounds else (lambda v: v)
        return T.clamp(T.tensor(VALUES), wrap(lo), wrap(hi))
    _bits(both(run))


CASES = {
    "int input, float bound": lambda T: T.clamp_min(T.tensor([1, -2, 3]), 0.5),
    "int input, int bound": lambda T: T.clamp_max(T.tensor([1, -2, 3]), 2),
    "int input, float tensor bound": lambda T: T.tensor([1, -2, 3]).clamp_min(T.tensor(0.5)),
    "clamp: tensor and number bounds": lambda T: T.clamp(T.tensor([1.0, -2.0, 3.0]), T.tensor(0.0), 1.0),
    "clamp: int input, tensor min": lambda T: T.clamp(T.tensor([1, -2, 3]), T.tensor(0.5)),
    "clamp: int input, tensor max only": lambda T: T.clamp(T.tensor([1, -2, 3]), max=T.tensor(0.5)),
    "clamp: int input, int tensor and number": lambda T: T.clamp(T.tensor([1, -2, 3]), T.tensor(0), 1),
    "clamp: int input, int and float": lambda T: T.clamp(T.tensor([1, -2, 3]), 0, 2.5),
    "clamp: double input, float bound tensor": lambda T: T.clamp(T.tensor([1.0, -2.0]).double(), T.tensor(0.5)),
    "clamp: float input, 0-d double bound": lambda T: T.clamp(T.tensor([1.0, -2.0]), T.tensor(0.5, dtype=T.float64)),
    "clamp: bool input": lambda T: T.clamp(T.tensor([True, False]), 0),
    "clamp: bool input, bool tensor": lambda T: T.clamp(T.tensor([True, False]), T.tensor(True)),
    "clamp: per-element int bounds": lambda T: T.clamp(T.tensor([1, -2, 3]), T.tensor([0, 5, 1])),
    "clip": lambda T: T.clip(T.tensor([1, -2, 3]), 0.5, 2),
    "clamp_: tensor bound": lambda T: T.tensor([1.0, -2.0, 3.0]).clamp_(T.tensor(0.5)),
    "grad_fn clamp, tensor min": lambda T: T.clamp(T.tensor([1.0, -2.0], requires_grad=True), T.tensor(0.0)),
    "grad_fn clamp, tensor max": lambda T: T.clamp(T.tensor([1.0, -2.0], requires_grad=True), max=T.tensor(0.0)),
    "grad_fn clamp_min, number": lambda T: T.clamp_min(T.tensor([1.0, -2.0], requires_grad=True), 0.0),
    "grad_fn clamp_min, tensor": lambda T: T.clamp_min(T.tensor([1.0, -2.0], requires_grad=True),
                                                       T.tensor([0.0, 4.0])),
    "grad_fn clamp_max, number": lambda T: T.clamp_max(T.tensor([1.0, -2.0], requires_grad=True), 0.0),
    "grad_fn clamp_max, tensor": lambda T: T.clamp_max(T.tensor([1.0, -2.0], requires_grad=True),
                                                       T.tensor([0.0, 4.0])),
    "bad bound type": lambda T: T.clamp_min(T.tensor([1.0]), "a"),
    "bad clamp bound type": lambda T: T.clamp(T.tensor([1.0]), 0, "b"),
    "missing bound": lambda T: T.clamp_min(T.tensor([1.0])),
    "no bounds": lambda T: T.clamp(T.tensor([1.0])),
    "a list as bound": lambda T: T.clamp_max(T.tensor([1.0]), [1.0]),
    "clamp: a 0-d tensor beside a number is a number": lambda T: T.clamp(
        T.tensor([1.0, -2.0, 3.0], requires_grad=True), T.tensor(0.0), 1.0),
    "clamp: a 1-d tensor beside a number": lambda T: T.clamp(T.tensor([1.0, -2.0]), T.tensor([0.0, 0.0]), 1.0),
    "clamp: a 0-d tensor requiring grad beside a number": lambda T: T.clamp(
        T.tensor([1.0]), 0.0, T.tensor(1.0, requires_grad=True)),
    "bool: clamp, number bounds": lambda T: T.clamp(T.tensor([True, False]), True, False),
    "bool: clamp, max": lambda T: T.clamp(T.tensor([True, False]), max=False),
    "bool: clamp_min, number": lambda T: T.clamp_min(T.tensor([True, False]), True),
    "bool: clamp_max, number": lambda T: T.clamp_max(T.tensor([True, False]), True),
    "bool: clamp_min, tensor": lambda T: T.clamp_min(T.tensor([True, False]), T.tensor(True)),
    "bool: clamp, one tensor": lambda T: T.clamp(T.tensor([True, False]), None, T.tensor(False)),
    "bool: clamp, two tensors": lambda T: T.clamp(T.tensor([True, False]), T.tensor(True), T.tensor(True)),
    "bool: clamp_ in place": lambda T: T.tensor([True, False]).clamp_(True),
}


@pytest.mark.parametrize("name", CASES)
def test_clamp_family_as_torch(name):
    torch_result, leafgrad_result = both(CASES[name])
    assert_same(torch_result, leafgrad_result)


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8", "bool"])
@pytest.mark.parametrize("call", ["clamp_(0.5)", "clamp_min_(0.5)", "clamp_max_(0.5)", "clamp_(max=2.5)",
                                  "clamp_(T.tensor(0.5))"])
def test_inplace_clamp_of_integers_to_a_float_bound_raises_as_torch(dtype, call):
    def run(T):
        x = T.tensor([1, 0], dtype=getattr(T, dtype))
        eval("x." + call, {"x": x, "T": T})
    torch_error, leafgrad_error = both(run)
    assert isinstance(torch_error, RuntimeError)
    assert_same(torch_error, leafgrad_error)


@pytest.mark.parametrize("op", ["clamp_min", "clamp_max"])
def test_gradients_of_tensor_bounds_as_torch(op):
    rng = np.random.default_rng(0)
    x0, b0 = rng.standard_normal((3, 4)), rng.standard_normal(4)

    def run(T):
        x = T.tensor(x0, requires_grad=True)
        b = T.tensor(b0, requires_grad=True)
        getattr(T, op)(x, b).pow(2).sum().backward()
        return x.grad, b.grad
    torch_grads, leafgrad_grads = both(run)
    assert_same(torch_grads, leafgrad_grads)


# ---------------------------------------------------------------- the shrinks and the in-place F forms
SHRINK_VALUES = [-1.0, -0.5, -0.2, -0.0, 0.0, 0.3, 0.5, 2.0, float("nan"), float("inf"), float("-inf")]
SHRINKS = {
    "F.hardshrink": lambda T, x: T.nn.functional.hardshrink(x),
    "F.hardshrink(-1)": lambda T, x: T.nn.functional.hardshrink(x, -1.0),
    "torch.hardshrink": lambda T, x: T.hardshrink(x, 0.2),
    "Tensor.hardshrink": lambda T, x: x.hardshrink(),
    "F.softshrink": lambda T, x: T.nn.functional.softshrink(x),
    "F.softshrink(0.2)": lambda T, x: T.nn.functional.softshrink(x, 0.2),
    "nn.Hardshrink": lambda T, x: T.nn.Hardshrink(0.3)(x),
    "nn.Softshrink": lambda T, x: T.nn.Softshrink()(x),
}
ELUS = {
    "F.elu": lambda T, x: T.nn.functional.elu(x),
    "F.selu": lambda T, x: T.nn.functional.selu(x),
    "F.celu": lambda T, x: T.nn.functional.celu(x, 0.5),
}


def _value_and_grad(fn, dtype):
    """(torch's, leafgrad's) ``(fn(x), d sum(fn(x)) / dx)`` on the special values."""
    def run(T):
        x = T.tensor(SHRINK_VALUES, dtype=getattr(T, dtype), requires_grad=True)
        y = fn(T, x)
        y.sum().backward()
        return y, x.grad
    return both(run)


@pytest.mark.parametrize("name", SHRINKS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_shrinks_values_and_gradients_as_torch(name, dtype):
    (y1, g1), (y2, g2) = _value_and_grad(SHRINKS[name], dtype)
    _bits((y1, y2))
    _bits((g1, g2))
    assert type(y1.grad_fn).__name__ == type(y2.grad_fn).__name__


@pytest.mark.parametrize("name", ELUS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_elus_keep_negative_zero_and_pass_nan_gradients_as_torch(name, dtype):
    """Bits at -0.0; elsewhere the exponential may differ by an ulp (SLEEF against NumPy)."""
    torch_result, leafgrad_result = _value_and_grad(ELUS[name], dtype)
    assert_same(torch_result, leafgrad_result)
    zero = SHRINK_VALUES.index(-0.0)
    assert np.signbit(torch_result[0].detach().numpy()[zero]) == np.signbit(leafgrad_result[0].detach().numpy()[zero])


@pytest.mark.parametrize("call", ["F.hardshrink(T.tensor([1, 2]))", "F.softshrink(T.tensor([1, 2]))",
                                  "F.softshrink(T.tensor([1.0]), -1.0)",
                                  "F.softshrink(T.tensor([1.0], dtype=T.float64), -0.5)"])
def test_shrink_errors_as_torch(call):
    torch_error, leafgrad_error = both(lambda T: eval(call, {"T": T, "F": T.nn.functional}))
    assert isinstance(torch_error, Exception)
    assert_same(torch_error, leafgrad_error)


@pytest.mark.parametrize("call", ["relu_(x)", "elu_(x)", "elu_(x, 0.5)", "selu_(x)", "celu_(x, 2.0)",
                                  "leaky_relu_(x, 0.2)", "hardtanh_(x)", "hardtanh_(x, -0.5, 0.5)",
                                  "threshold_(x, 0.1, 20.0)"])
def test_inplace_functional_forms_as_torch(call):
    def run(T):
        leaf = T.tensor([-2.0, -0.5, -0.0, 0.05, 0.7, 3.0], requires_grad=True)
        x = leaf * 1.0
        y = eval("F." + call, {"F": T.nn.functional, "x": x})
        assert y is x
        y.pow(2).sum().backward()
        return y, leaf.grad, x._version
    torch_result, leafgrad_result = both(run)
    assert_same(torch_result, leafgrad_result)


@pytest.mark.parametrize("call", ["T.sign(x)", "T.sgn(x)", "x.sign()", "T.sign(T.tensor([True, False]))"])
def test_sign_of_nan_is_zero_as_torch(call):
    x_values = [float("nan"), -0.0, 0.0, -2.0, 3.0, float("-inf")]
    assert_same(*both(lambda T: eval(call, {"T": T, "x": T.tensor(x_values)})))


def test_softmax_of_rows_with_inf_as_torch():
    rows = [[float("inf"), -float("inf"), 1.0], [-float("inf")] * 3, [float("inf"), 1.0, 2.0],
            [-float("inf"), 1.0, 2.0], [1.0, float("nan"), 2.0]]
    for call in ("x.softmax(1)", "x.log_softmax(1)", "x.t().softmax(0)", "T.nn.functional.softmin(x, 1)",
                 "x.logsumexp(1)"):
        assert_same(*both(lambda T: eval(call, {"T": T, "x": T.tensor(rows)})), path=call)


@pytest.mark.parametrize("values", [[-0.0, -0.0, 1.0], [[-0.0], [-0.0]], [-0.0]])
def test_cumsum_starts_from_positive_zero_as_torch(values):
    _bits(both(lambda T: T.cumsum(T.tensor(values), 0)))
    _bits(both(lambda T: T.tensor(values).cumsum(-1)))


def test_no_numpy_warnings_from_leafgrads_computations():
    """Run in a fresh interpreter with warnings shown (pytest's own filters would hide them)."""
    code = """if True:
        import numpy as np, leafgrad as T
        x = T.tensor([0.0, -1.0, 1.0], requires_grad=True)
        (x.log() + x / 0 + x.sqrt() + T.tensor([1e38]) * 10).sum().backward()
        T.tensor([[float("inf"), 1.0]]).softmax(1)
        step = T.replay.capture(lambda a: (a.log() * 2).sum())
        for _ in range(4):
            step(T.tensor([0.0, 1.0]))
        np.log(np.zeros(1))   # the user's own NumPy code still warns
    """
    out = subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    warnings_shown = [line for line in out.stderr.splitlines() if "RuntimeWarning" in line]
    assert len(warnings_shown) == 1 and "<string>" in warnings_shown[0], out.stderr


@pytest.mark.parametrize("weight", [0.3, 0.7, -0.4, 1.5, "tensor"])
@pytest.mark.parametrize("n", [3, 100, 4099])
def test_float32_lerp_is_torchs_fused_multiply_add(weight, n):
    """PyTorch's float32 lerp rounds once (a fused multiply-add); a two-rounding formula
    differs from it in about a third of the elements."""
    rng = np.random.default_rng(n)
    a, b = rng.standard_normal(n).astype(np.float32), (3 * rng.standard_normal(n)).astype(np.float32)
    w = rng.uniform(-1, 2, n).astype(np.float32)
    _bits(both(lambda T: T.lerp(T.from_numpy(a.copy()), T.from_numpy(b.copy()),
                                T.from_numpy(w.copy()) if weight == "tensor" else weight)))


FUSED = {
    "add alpha": lambda T, a, b, c: T.add(a, b, alpha=0.3),
    "add_ alpha": lambda T, a, b, c: a.clone().add_(b, alpha=2.5),
    "sub alpha": lambda T, a, b, c: T.sub(a, b, alpha=0.3),
    "rsub alpha": lambda T, a, b, c: T.rsub(a, b, alpha=0.7),
    "addcmul": lambda T, a, b, c: T.addcmul(a, b, c),
    "addcmul value": lambda T, a, b, c: T.addcmul(a, b, c, value=0.3),
    "addcdiv value": lambda T, a, b, c: T.addcdiv(a, b, c, value=0.3),
    "pow 3": lambda T, a, b, c: a.pow(3),
    "pow -2": lambda T, a, b, c: c.pow(-2),
    "pow -0.5": lambda T, a, b, c: c.pow(-0.5),
    "pow -1 backward": lambda T, a, b, c: T.autograd.grad(c.pow(-1).sum(), c)[0],
    "pow 3 backward": lambda T, a, b, c: T.autograd.grad(a.pow(3).sum(), a)[0],
}


@pytest.mark.parametrize("name", FUSED)
def test_float32_fused_and_shortcut_arithmetic_is_torchs_bits(name):
    """ATen fuses x * y + z (one rounding) in add/sub/rsub with alpha and in addcmul, orders
    addcdiv as (value * t1) / t2, and computes pow 3, -2 and -0.5 as x*x*x, 1/(x*x) and
    1/sqrt(x); unfused or libm forms differ from it in the last bit of a third of the elements."""
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal(4099).astype(np.float32), (3 * rng.standard_normal(4099)).astype(np.float32)
    c = rng.uniform(0.5, 2.0, 4099).astype(np.float32)

    def run(T):
        a_, b_, c_ = (T.from_numpy(v.copy()).requires_grad_() for v in (a, b, c))
        return FUSED[name](T, a_, b_, c_)
    _bits(both(run))


FUSED_64 = {k: FUSED[k] for k in ("add alpha", "add_ alpha", "sub alpha", "rsub alpha", "addcmul", "addcmul value")}
FUSED_64["lerp 0.3"] = lambda T, a, b, c: T.lerp(a, b, 0.3)
FUSED_64["lerp 0.8"] = lambda T, a, b, c: T.lerp(a, b, 0.8)
FUSED_64["lerp tensor"] = lambda T, a, b, c: T.lerp(a, b, c - 1)
FUSED_64["add alpha 3"] = lambda T, a, b, c: T.add(a, b, alpha=3)
FUSED_64["add alpha 0.5"] = lambda T, a, b, c: T.add(a, b, alpha=0.5)


@pytest.mark.parametrize("name", FUSED_64)
def test_float64_fused_multiply_add_is_torchs_bits(name):
    """ATen rounds x * y + z once in float64 too: an unfused formula differs in about one
    element in ten. NumPy has no fma, so leafgrad builds it from exact transformations;
    infinities, NaN, signed zeros, huge and tiny operands keep torch's values."""
    rng = np.random.default_rng(11)
    n = 4099
    a = rng.standard_normal(n) * rng.choice([1e-3, 1.0, 1e5], n)
    b, c = 3 * rng.standard_normal(n), rng.uniform(0.5, 2.0, n)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, 1e308, -1e308, 1e-300, 2.0])
    a[:10], b[10:20], b[20:30], a[20:30] = special, special, special, special[::-1]

    def run(T):
        a_, b_, c_ = (T.from_numpy(v.copy()) for v in (a, b, c))
        return FUSED_64[name](T, a_, b_, c_)
    _bits(both(run))


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, maximize=True)), ("Adamax", dict(weight_decay=0.1)),
    ("ASGD", dict(t0=10, weight_decay=0.1))])
def test_float64_optimizer_steps_are_torchs_bits(name, kwargs):
    """The optimizers' add(alpha=), addcmul and lerp round once in float64, as torch's do, so
    that a float64 trajectory on the same gradients stays bit-identical over many steps.
    (The optimizers that take square roots are left out: torch's sqrt is not correctly
    rounded, about one in a hundred float64 roots differs in its last bit.)"""
    def run(T):
        rng = np.random.default_rng(3)
        p = T.from_numpy(rng.standard_normal((7, 5))).requires_grad_()
        opt = getattr(T.optim, name)([p], **kwargs)
        for _ in range(30):
            opt.zero_grad()
            p.grad = T.from_numpy(rng.standard_normal((7, 5)))
            opt.step()
        return p.detach()
    _bits(both(run))


@pytest.mark.parametrize("z", [1.0, 1 + 2.0 ** -52, -1.5 - 2.0 ** -52])
@pytest.mark.parametrize("n", [50, 40000])
def test_float64_fused_multiply_add_just_below_a_midpoint_as_torch(z, n):
    """x * y + z a hair below the midpoint between two floats: the rounded low parts land
    exactly on it, and tie-to-even would choose the wrong neighbour (a naive two-step sum
    differs from torch in every element here). Long arrays go in slices."""
    k = np.arange(1, n + 1, dtype=np.float64) % 5000 + 1
    x, y = 2.0 ** -53 * (1 + k * 2.0 ** -52), 1 - k * 2.0 ** -52
    _bits(both(lambda T: T.addcmul(T.full((n,), z, dtype=T.float64), T.from_numpy(x.copy()),
                                    T.from_numpy(y.copy()))))
