"""PyTorch functions added on top of the core ops: the aliases multiply/subtract, diff,
the gamma family (lgamma, digamma, polygamma), sinc, logcumsumexp, hsplit/vsplit/dsplit,
tril_indices/triu_indices, isin, logspace, diagflat, cartesian_prod, addr, dist,
heaviside, trapezoid/trapz/cumulative_trapezoid and block_diag.

Composites (diff, the splits, diagflat, cartesian_prod, trapezoid, ...) record the nodes
of the ops they are built from, as in PyTorch; their samples ride on those ops' specs.
Their vmap rules are in func/_batching.py with the others.

NumPy has no lgamma, digamma or polygamma; they are computed here in float64 (float32
results are rounded from float64):

* lgamma(x): ``math.lgamma`` element by element (exact to float64), +inf at the poles.
* digamma(x) for x > 0: the recurrence psi(x) = psi(x + 1) - 1/x up to x >= 10, then the
  asymptotic series ln x - 1/(2x) - sum B_2k / (2k x^2k) (7 terms: error below 1e-17);
  for x < 0 the reflection psi(x) = psi(1 - x) - pi / tan(pi x).
* polygamma(n, x) for n >= 1: (-1)^(n+1) n! zeta(n + 1, x), with the Hurwitz zeta
  function summed directly up to x + k >= 10 and finished by Euler-Maclaurin.
"""
import math

import numpy as np

from ._declare import FUNCTIONS, REGISTRY, Spec, declare, make_function, make_inplace
from ._samples import T, sample
from .unary import _float_unary, _via_float64, _check_out_grad, _check_tensor, _type_name
from .stats import _write_out, _like, _arr, _vector_norm_forward, _norm_backward
from .._tensor import Tensor, _wrap_dim, wrap, _LEGACY_NAMES as _TYPE_NAMES
from .. import _creation, _dtype
from ..autograd import grad_mode
from . import activation as _act, pointwise as _pw, compare as _cmp, reshaping as _rs, matrix as _mx
from .shape import stack as _stack

_NAN, _INF = float("nan"), float("inf")


# ====================================================================== aliases
FUNCTIONS["multiply"] = _pw.mul
FUNCTIONS["subtract"] = _pw.sub
Tensor.subtract = _pw.sub
Tensor.subtract_ = Tensor.sub_
Tensor.multiply_ = Tensor.mul_


# ====================================================================== diff
def _int_arg(fn, name, v, position):
    """An int argument as PyTorch's parser takes it: an int (not a bool) or a one-element
    integer tensor."""
    if isinstance(v, Tensor) and v._data.dtype.kind in "iu" and v._data.size == 1:
        return int(v._data.reshape(()))
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be int, not "
                        f"{'Tensor' if isinstance(v, Tensor) else _type_name(v)}")
    return int(v)


def diff(input, n=1, dim=-1, prepend=None, append=None, *, _pos=2):
    """The n-th forward difference along ``dim``, after concatenating ``prepend`` and
    ``append``: as in PyTorch, narrow + sub (logical_xor for bool), so the node is
    SubBackward0."""
    _check_tensor("diff", input)
    n = _int_arg("diff", "n", n, _pos)
    dim = _int_arg("diff", "dim", dim, _pos + 1)
    for name, t in (("prepend", prepend), ("append", append)):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"diff(): argument '{name}' must be Tensor, not {type(t).__name__}")
    if input.dim() == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    dim = _wrap_dim(dim, input.dim())
    for t in (prepend, append):
        if t is not None and t.dim() != input.dim():
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    if prepend is not None or append is not None:
        parts = [t for t in (prepend, input, append) if t is not None]
        input = _rs.cat(parts, dim)
    if n == 0:
        # PyTorch returns a copy made by copy_ (its node is CopyBackwards)
        return input.new_empty(input.shape).copy_(input)
    # more differences than elements: PyTorch stops at an empty result
    for _ in range(min(n, input.shape[dim])):
        length = input.shape[dim] - 1
        later, earlier = input.narrow(dim, 1, length), input.narrow(dim, 0, length)
        input = _cmp.logical_xor(later, earlier) if input._data.dtype.kind == "b" else _pw.sub(later, earlier)
    return input


def _diff_method(self, n=1, dim=-1, prepend=None, append=None):
    return diff(self, n, dim, prepend, append, _pos=1)


FUNCTIONS["diff"] = diff
Tensor.diff = _diff_method
# diff's samples ride on sub's spec (its node)
_pw.sub.spec.samples += [
    sample(T(3, 4), call="diff"), sample(T(3, 4), 2, 0, call="diff"), sample(T(5), 3, call="Tensor.diff"),
    sample(T(3, 4), prepend=T(3, 1), append=T(3, 2), call="diff"), sample(T(2, 3), n=4, call="diff"),
    sample(T(4, 2), dim=0, append=T(1, 2, dtype="float32"), call="diff"),
    sample(T(4, low=-5, high=5, dtype="int64"), call="diff"), sample(T(4, dtype="bool"), call="diff")]


# ====================================================================== gamma family
def _lgamma_one(x):
    try:
        return math.lgamma(x)
    except ValueError:  # the poles 0, -1, -2, ...
        return _INF


_lgamma_obj = np.frompyfunc(_lgamma_one, 1, 1)


def lgamma64(x):
    """log|Gamma(x)| of a float64 array."""
    x = np.asarray(x, dtype=np.float64)
    return np.asarray(_lgamma_obj(x), dtype=np.float64).reshape(x.shape)


# Bernoulli numbers B_2, B_4, ..., B_16
_B2K = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)
_SHIFT = 10.0   # recurrences run until the argument is at least this


def _digamma_pos(x):
    """digamma of a float64 array of positive (or nan / +inf) values."""
    acc = np.zeros_like(x)
    x = x.copy()
    low = x < _SHIFT
    while low.any():
        acc[low] -= 1.0 / x[low]
        x[low] += 1.0
        low = x < _SHIFT
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        z = 1.0 / (x * x)
        # sum_{k=1..7} B_2k / (2k) z^k, in Horner form
        series = np.zeros_like(x)
        for k in range(7, 0, -1):
            series = (series + _B2K[k - 1] / (2 * k)) * z
        return acc + np.log(x) - 0.5 / x - series


def digamma64(x):
    """digamma of a float64 array, with PyTorch's values at the poles: -inf at +0,
    +inf at -0, nan at the negative integers and at -inf."""
    x = np.asarray(x, dtype=np.float64)
    neg = x < 0
    with np.errstate(invalid="ignore", divide="ignore"):
        r = _digamma_pos(np.where(neg, 1.0 - x, np.where(x == 0, 1.0, x)))
        if neg.any():
            r = np.where(neg, r - math.pi / np.tan(math.pi * np.where(neg, x, 0.5)), r)
            r = np.where(neg & (x == np.floor(x)), _NAN, r)  # poles (and -inf)
    return np.where(x == 0, np.copysign(_INF, -x), r)


def _hurwitz_zeta(s, q):
    """zeta(s, q) = sum_k (q + k)^-s for an integer s >= 2 and a float64 array q."""
    q = np.asarray(q, dtype=np.float64)
    acc = np.zeros_like(q)
    a = q.copy()
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        finite = np.isfinite(a)
        low = (a < _SHIFT) & finite
        while low.any():
            acc[low] += a[low] ** -s
            a[low] += 1.0
            low = (a < _SHIFT) & finite
        # Euler-Maclaurin tail: a^(1-s)/(s-1) + a^-s/2 + sum_j B_2j/(2j)! s(s+1)..(s+2j-2) a^(-s-2j+1)
        tail = a ** (1 - s) / (s - 1) + 0.5 * a ** -s
        coef = float(s)
        power = a ** (-s - 1)
        fact = 2.0
        for j in range(1, 9):
            tail = tail + _B2K[j - 1] / fact * coef * power
            coef *= (s + 2 * j - 1) * (s + 2 * j)
            fact *= (2 * j + 1) * (2 * j + 2)
            power = power / (a * a)
        r = acc + tail
    # poles at q = 0, -1, -2, ...
    return np.where((q <= 0) & (q == np.floor(q)), _INF, r)


def polygamma64(n, x):
    """The n-th derivative of digamma of a float64 array."""
    if n == 0:
        return digamma64(x)
    sign = 1.0 if n % 2 else -1.0
    return sign * math.factorial(n) * _hurwitz_zeta(n + 1, x)


_POLES = (-2, -1, 0)
_GAMMA_EDGES = [sample(T(6, low=0.01, high=0.2)), sample(T(5, low=8.0, high=40.0)),
                sample(T(6, low=-4.0, high=-0.1, away=(-4, -3, -2, -1))),
                sample(T(values=[-3.0, -2.5, -1.0, -0.0, 0.0, 0.5, 1.0, 2.0, 1e-8, 7.5, 30.0, 1e300,
                                 _INF, -_INF, _NAN]), smooth=False)]

lgamma = _float_unary("lgamma", _via_float64(lgamma64), lambda grad, self: grad * digamma(self),
                      away=_POLES, int_low=1, int_high=6, extra=_GAMMA_EDGES)
digamma = _float_unary("digamma", _via_float64(digamma64), lambda grad, self: grad * _polygamma(self, n=1),
                       away=_POLES, int_low=1, int_high=6, extra=_GAMMA_EDGES[:3] + [
                           # (trigamma at the poles: PyTorch gives large finite numbers; see the tests)
                           sample(T(values=[-2.5, -0.0, 0.0, 0.5, 1.0, 2.0, 1e-8, 7.5, 30.0, 1e300, _INF, _NAN]),
                                  smooth=False)])


def _polygamma_forward(a, n):
    return _via_float64(lambda x: polygamma64(n, x))(a)


_polygamma = declare(
    "polygamma", _polygamma_forward, promote="float", public=False,
    samples=[sample(1, T(3, 4, away=_POLES), call="polygamma"), sample(2, T(5, low=0.1, high=3.0), call="polygamma"),
             sample(0, T(4, away=_POLES), call="polygamma"), sample(3, T(), call="polygamma"),
             sample(T(4, low=0.5, high=20.0), 1, call="Tensor.polygamma"),
             sample(1, T(4, dtype="float32", low=0.5, high=3.0), call="polygamma"),
             sample(2, T(0, 3), call="polygamma"),
             sample(1, T(4, low=1, high=5, dtype="int64"), call="polygamma", smooth=False),
             sample(2, T(values=[0.5, 1.0, 7.5, 30.0, 1e-8, -2.5]), call="polygamma", smooth=False)],
    self=lambda grad, self, n: grad * _polygamma(self, n=n + 1))


def polygamma(n, input, *, out=None):
    """The n-th derivative of digamma (n = 0: digamma itself)."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    _check_tensor("polygamma", input, position=2)
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    if out is None:
        return _polygamma(input, n=n)
    _check_out_grad("polygamma", (input,))
    with grad_mode.no_grad():
        return _write_out(out, _polygamma(input, n=n), "polygamma")


def _polygamma_method(self, n):
    return polygamma(n, self)


FUNCTIONS["polygamma"] = polygamma
Tensor.polygamma = _polygamma_method
Tensor.polygamma_ = make_inplace(_polygamma_method)


# ====================================================================== sinc
def _sinc_grad(grad, self):
    # (pi x cos(pi x) - sin(pi x)) / (pi x^2), 0 at x = 0; the formula runs on a nonzero
    # stand-in there so that no 0/0 reaches its own derivative.
    zero = self == 0
    safe = np.where(zero, 1.0, self)
    px = safe * math.pi
    return grad * np.where(zero, 0.0, (np.cos(px) * px - np.sin(px)) / (px * safe))


def _sinc_forward(a):
    with np.errstate(invalid="ignore"):  # sin(inf) / inf: nan, as in PyTorch
        return np.sinc(a)


sinc = _float_unary("sinc", _sinc_forward, _sinc_grad,
                    extra=[sample(T(values=[-3.0, -1.0, -0.5, 0.0, 1e-8, 0.5, 2.0, _INF, _NAN]), smooth=False)])


# ====================================================================== logcumsumexp
def _logcumsumexp_forward(a, dim):
    if a.ndim == 0:
        return a.copy()
    return np.logaddexp.accumulate(a, axis=dim)


def _logcumsumexp_backward(grad, self, result, dim):
    # d result_k / d x_i = exp(x_i - result_k) for k >= i: the (i, k) matrix of those
    # exponents (never above 0, -inf below the diagonal), summed against grad over k.
    shape = np.shape(_arr(self))
    if len(shape) == 0 or 0 in shape:
        return grad
    last = len(shape) - 1
    x, r, g = (np.swapaxes(t, dim, last) if dim != last else t for t in (self, result, grad))
    n = shape[dim]
    upper = np.triu(np.ones((n, n), dtype=bool))
    e = np.where(_like(self, upper), np.expand_dims(x, -1) - np.expand_dims(r, -2), -_INF)
    out = np.sum(np.exp(e) * np.expand_dims(g, -2), axis=-1)
    return np.swapaxes(out, dim, last) if dim != last else out


_logcumsumexp = declare(
    "logcumsumexp", _logcumsumexp_forward, public=False,
    samples=[sample(T(3, 4), 1, call="logcumsumexp"), sample(T(3, 4), -2, call="logcumsumexp"),
             sample(T(), 0, call="logcumsumexp"), sample(T(2, 3, 4), dim=1, call="Tensor.logcumsumexp"),
             sample(T(3, 0), 0, call="logcumsumexp"), sample(T(5, dtype="float32"), 0, call="logcumsumexp"),
             # (large values, each row within a few units: PyTorch's own forward-mode formula
             # underflows across wider spreads)
             sample(T(values=[[1000.0, 1000.5, 999.0], [-1000.0, -999.0, -1001.0]]), 1, call="logcumsumexp")],
    self=_logcumsumexp_backward)


def logcumsumexp(input, dim, *, out=None):
    """log(cumsum(exp(x))) along ``dim``, computed stably."""
    _check_tensor("logcumsumexp", input)
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for '{_TYPE_NAMES[input._data.dtype.name]}'")
    dim = _wrap_dim(dim, input.dim())
    if out is None:
        return _logcumsumexp(input, dim=dim)
    _check_out_grad("logcumsumexp", (input,))
    with grad_mode.no_grad():
        return _write_out(out, _logcumsumexp(input, dim=dim), "logcumsumexp")


FUNCTIONS["logcumsumexp"] = logcumsumexp
Tensor.logcumsumexp = logcumsumexp


# ====================================================================== hsplit, vsplit, dsplit
def _directional_split(name, min_dims, dim_of):
    def split(input, indices_or_sections):
        _check_tensor(name, input)
        nd = input.dim()
        if nd < min_dims:
            raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, but got a tensor "
                               f"with {nd} dimensions!")
        dim = dim_of(nd)
        ios = indices_or_sections
        if isinstance(ios, (int, np.integer)) and not isinstance(ios, bool):
            size = input.shape[dim]
            if ios == 0 or size % ios:
                raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                                   f"dimension {size} is not divisible by the split_size {ios}!")
        elif not isinstance(ios, (list, tuple)):
            raise TypeError(f"{name}() received an invalid combination of arguments - got "
                            f"(Tensor, {_type_name(ios)}), but expected one of:\n"
                            " * (Tensor input, int sections)\n"
                            f"      didn't match because some of the arguments have invalid types: "
                            f"(Tensor, !{_type_name(ios)}!)\n"
                            " * (Tensor input, tuple of ints indices)\n"
                            f"      didn't match because some of the arguments have invalid types: "
                            f"(Tensor, !{_type_name(ios)}!)\n")
        return _rs.tensor_split(input, ios, dim)

    def method(self, *indices_or_sections):
        # x.hsplit(2) splits in sections, x.hsplit(2, 3) and x.hsplit([2, 3]) at indices
        ios = indices_or_sections[0] if len(indices_or_sections) == 1 else list(indices_or_sections)
        return split(self, ios)

    split.__name__ = method.__name__ = name
    FUNCTIONS[name] = split
    setattr(Tensor, name, method)
    return split


hsplit = _directional_split("hsplit", 1, lambda nd: 1 if nd > 1 else 0)
vsplit = _directional_split("vsplit", 2, lambda nd: 0)
dsplit = _directional_split("dsplit", 3, lambda nd: 2)
# their samples ride on slice's spec (the node of each piece)
REGISTRY["slice"].samples += [
    sample(T(4, 6), 3, call="hsplit"), sample(T(4, 6), [1, 3], call="hsplit"), sample(T(6), 2, call="hsplit"),
    sample(T(4, 3), 2, call="vsplit"), sample(T(2, 3, 4), [1], call="dsplit"), sample(T(2, 3, 4), 2, 3,
                                                                                        call="Tensor.dsplit")]


# ====================================================================== tril_indices, triu_indices
def _tri_indices(name, np_fn):
    def indices(row, col, offset=0, *, dtype=None, device=None, layout=None, requires_grad=False):
        dt = np.dtype(np.int64) if dtype is None else np.dtype(dtype.np)
        if dt.kind not in "iu":
            raise NotImplementedError(f"\"{name}\" not implemented for '{_TYPE_NAMES[dt.name]}'")
        if row < 0:
            raise RuntimeError(f"row must be non-negative, got{row}")
        if col < 0:
            raise RuntimeError(f"col must be non-negative, got{col}")
        rows, cols = np_fn(row, offset, col)   # row-major order, as PyTorch lists them
        return wrap(np.stack([rows, cols]).astype(dt).reshape(2, -1))
    indices.__name__ = name
    FUNCTIONS[name] = indices
    return indices


tril_indices = _tri_indices("tril_indices", np.tril_indices)
triu_indices = _tri_indices("triu_indices", np.triu_indices)


# ====================================================================== isin
def isin(elements, test_elements, *, assume_unique=False, invert=False, out=None):
    """Whether each of ``elements`` is in ``test_elements`` (either may be a number)."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError(
            f"isin() received an invalid combination of arguments - got ({_type_name(elements)}, "
            f"{_type_name(test_elements)}), but expected one of:\n"
            " * (Tensor elements, Tensor test_elements, *, bool assume_unique = False, bool invert = False, "
            "Tensor out = None)\n"
            " * (Number element, Tensor test_elements, *, bool assume_unique = False, bool invert = False, "
            "Tensor out = None)\n"
            " * (Tensor elements, Number test_element, *, bool assume_unique = False, bool invert = False, "
            "Tensor out = None)\n")
    a, b = (x._data if isinstance(x, Tensor) else np.asarray(x) for x in (elements, test_elements))
    for x in (a, b):
        if x.dtype.kind == "b":
            raise RuntimeError("Unsupported input type encountered for isin(): Bool")
    return _write_out(out, wrap(np.isin(a, b, invert=bool(invert))), "isin")


FUNCTIONS["isin"] = isin


# ====================================================================== logspace
def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, layout=None, requires_grad=False,
             out=None):
    """``base ** linspace(start, end, steps)``."""
    start, end = (float(x.item()) if isinstance(x, Tensor) else x for x in (start, end))
    exps = _creation.linspace(start, end, steps, dtype=_dtype.float64)._data
    dt = _dtype.get_default_dtype() if dtype is None else dtype
    with np.errstate(over="ignore"):
        vals = np.power(float(base), exps)
    res = _creation.tensor(vals.astype(dt.np), requires_grad=requires_grad)
    return res if out is None else _write_out(out, res, "logspace")


FUNCTIONS["logspace"] = logspace


# ====================================================================== diagflat, cartesian_prod
def diagflat(input, offset=0):
    """A matrix with the flattened ``input`` on diagonal ``offset``."""
    _check_tensor("diagflat", input)
    return _mx.diag_embed(input.reshape(-1), offset)


FUNCTIONS["diagflat"] = diagflat
Tensor.diagflat = diagflat


def cartesian_prod(*tensors):
    """The rows of all combinations of the elements of the 1-D ``tensors``."""
    for t in tensors:
        if t.dim() != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    grids = _rs.meshgrid(*tensors, indexing="ij")
    return _stack([g.reshape(-1) for g in grids], 1)


FUNCTIONS["cartesian_prod"] = cartesian_prod

# their samples ride on the specs of their nodes
REGISTRY["diag_embed"].samples += [sample(T(2, 3), call="diagflat"), sample(T(4), 1, call="diagflat"),
                                   sample(T(), call="Tensor.diagflat"), sample(T(3), -2, call="diagflat")]
REGISTRY["stack"].samples += [sample(T(2), T(3), call="cartesian_prod"),
                              sample(T(2), T(3), T(2), call="cartesian_prod")]


# ====================================================================== addr
def _addr_check(self, vec1, vec2, beta=1, alpha=1):
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        nd = np.ndim(_arr(v))
        if nd != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {nd}-D")


def _addr_forward(a, v1, v2, beta=1, alpha=1):
    """beta * a + alpha * outer(v1, v2) (or and / or for bool)."""
    boolean = a.dtype.kind == "b"
    if a.dtype.kind in "biu":
        for name, x in (("beta", beta), ("alpha", alpha)):
            if isinstance(x, float):
                raise RuntimeError(f"For integral input tensors, argument {name} must not be a floating point number.")
    prod = np.logical_and.outer(v1, v2) if boolean else np.multiply.outer(v1, v2)
    if alpha != 1:
        prod = prod & bool(alpha) if boolean else prod * alpha
    _mx._expand_check(a.shape, prod.shape)
    if beta == 0:   # self takes no part, not even its NaNs
        return prod.astype(a.dtype, copy=False)
    if boolean:
        return (a & bool(beta)) | prod
    return (a * beta if beta != 1 else a) + prod


addr = declare(
    "addr", _addr_forward, inputs=("self", "vec1", "vec2"), promote="common", method=True, inplace="addr_",
    check=_addr_check,
    samples=[sample(T(3, 4), T(3), T(4)), sample(T(4), T(3), T(4), beta=0.5, alpha=2.0),
             sample(T(3, 4), T(3), T(4), beta=0), sample(T(3, 1), T(3), T(4), alpha=-1.5),
             sample(T(3, 4), T(3), T(4), call="Tensor.addr"),
             sample(T(3, 4, low=-5, high=5, dtype="int64"), T(3, low=-5, high=5, dtype="int64"),
                    T(4, low=-5, high=5, dtype="int64"), alpha=2, smooth=False)],
    self=lambda grad, beta=1: grad * beta if beta != 1 else grad,
    # (sums of products rather than matmul, which would refuse mixed dtypes)
    vec1=lambda grad, vec2, alpha=1: np.sum(grad * (vec2 * alpha if alpha != 1 else vec2), axis=1),
    vec2=lambda grad, vec1, alpha=1: np.sum(grad * np.expand_dims(vec1 * alpha if alpha != 1 else vec1, 1), axis=0))


# ====================================================================== dist
def _dist_forward(a, b, p=2):
    if a.dtype.kind not in "fc":
        raise RuntimeError("norm(): input dtype should be either floating point or complex. "
                           f"Got {_TYPE_NAMES[a.dtype.name]} instead.")
    return _vector_norm_forward(a - b, p, None)


def _dist_backward(grad, self, other, result, p=2):
    return _norm_backward(grad, self - other, result, p, None)   # (None for p = 0, as in PyTorch)


_dist = declare(
    "dist", _dist_forward, inputs=("self", "other"), promote="common", public=False,
    samples=[sample(T(3, 4), T(3, 4), call="dist"), sample(T(3, 4), T(4), 3, call="dist"),
             sample(T(3, 1, away=(0,)), T(4, away=(0,)), 1, call="dist"),
             sample(T(3, 4), T(3, 4), float("inf"), smooth=False, call="dist"),
             sample(T(4), T(4, dtype="float32"), p=1.5, call="dist"), sample(T(), T(), call="Tensor.dist")],
    self=_dist_backward,
    other=lambda grad, self, other, result, p=2: None if p == 0 else -_dist_backward(grad, self, other, result, p))


def dist(input, other, p=2, *, _pos=2):
    """The p-norm of input - other (broadcast)."""
    _check_tensor("dist", input)
    _check_tensor("dist", other, "other", _pos)
    _pw._no_bool(input, other)   # (PyTorch subtracts first)
    return _dist(input, other) if p == 2 else _dist(input, other, p=p)


def _dist_method(self, other, p=2):
    return dist(self, other, p, _pos=1)


FUNCTIONS["dist"] = dist
Tensor.dist = _dist_method


# ====================================================================== heaviside
def _heaviside_forward(a, values):
    if a.dtype != values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    return np.where(a == 0, values, a > 0).astype(a.dtype)


def _heaviside_not_differentiable(grad):
    raise RuntimeError("derivative for aten::heaviside is not implemented")


# PyTorch records heaviside with a node named NotImplemented whose backward raises; its
# spec stays out of REGISTRY (there is no derivative for the sweep to check).
_heaviside_spec = Spec("heaviside", _heaviside_forward, ("self", "values"),
                       {("self", "values"): _heaviside_not_differentiable}, ("result",), "NotImplemented", None, False)
_heaviside = make_function(_heaviside_spec)


def heaviside(input, values, *, out=None):
    """0 where input < 0, values where input == 0, 1 where input > 0."""
    _check_tensor("heaviside", input)
    _check_tensor("heaviside", values, "values", 2)
    return _write_out(out, _heaviside(input, values), "heaviside")


FUNCTIONS["heaviside"] = heaviside
Tensor.heaviside = heaviside
Tensor.heaviside_ = make_inplace(heaviside)


# ====================================================================== trapezoid, cumulative_trapezoid
_SIGNATURES = {
    "trapezoid": " * (Tensor y, Tensor x, *, int dim = -1)\n * (Tensor y, *, Number dx = 1, int dim = -1)\n",
    "trapz": " * (Tensor y, *, float dx = 1, int dim = -1)\n * (Tensor y, Tensor x, *, int dim = -1)\n",
    "cumulative_trapezoid": " * (Tensor y, Tensor x, *, int dim = -1)\n * (Tensor y, *, Number dx = 1, int dim = -1)\n"}


def _trapezoid_args(name, y, x, dx, dim):
    """Checks shared by trapezoid and cumulative_trapezoid; the wrapped dim."""
    if x is not None and not isinstance(x, Tensor) or x is not None and dx is not None:
        got = ", ".join(["Tensor"] + ([_type_name(x) if not isinstance(x, Tensor) else "Tensor"]
                                      if x is not None else []) + ([f"dx={_type_name(dx)}"] if dx is not None else []))
        raise TypeError(f"{name}() received an invalid combination of arguments - got ({got}), but expected one "
                        f"of:\n{_SIGNATURES[name]}")
    if y.dim() == 0:
        raise IndexError("slice() cannot be applied to a 0-dim tensor." if name == "cumulative_trapezoid" else
                         f"Dimension specified as {dim} but tensor has no dimensions")
    dim = _wrap_dim(dim, y.dim())
    if name == "trapz" and isinstance(dx, bool):
        dx = float(dx)   # (trapz takes dx as a float)
    name = "trapezoid" if name == "trapz" else name   # (ATen's messages)
    if x is None:
        if y._data.dtype.kind == "b":
            raise RuntimeError(f"{name}: received a bool input for `y`, but bool is not supported")
        if isinstance(dx, bool) or isinstance(dx, complex):
            raise RuntimeError(f"{name}: Currently, we only support dx as a real number.")
    elif y._data.dtype.kind == "b" or x._data.dtype.kind == "b":
        raise RuntimeError(f"{name}: received a bool input for `x` or `y`, but bool is not supported")
    return dim


def _spacing(name, y, x, dim):
    """The differences of x along dim, shaped to broadcast against y's (as in PyTorch: a
    1-D x lies along dim, a lower-rank x gets leading ones)."""
    if x.dim() == 1:
        if x.shape[0] != y.shape[dim]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        x = x.view([x.shape[0] if d == dim else 1 for d in range(y.dim())])
    elif x.dim() < y.dim():
        x = x.view([1] * (y.dim() - x.dim()) + list(x.shape))
    return _pw.sub(_cut(x, dim, 1, None), _cut(x, dim, 0, -1))


def _cut(t, dim, start, end):
    return t[(slice(None),) * dim + (slice(start, end),)]


def trapezoid(y, x=None, *, dx=None, dim=-1, _name="trapezoid"):
    """The integral of y along dim by the trapezoid rule, at points x or spacing dx."""
    _check_tensor(_name, y, "y")
    dim = _trapezoid_args(_name, y, x, dx, dim)
    if y.shape[dim] == 0:   # no samples: 0, as in NumPy
        return _creation.zeros([n for d, n in enumerate(y.shape) if d != dim], dtype=y.dtype)
    if x is None:
        # with constant spacing: dx * (sum(y) - (y_first + y_last) / 2)
        ends = _pw.add(y.select(dim, 0), y.select(dim, -1))
        return _act.mul_scalar(_pw.sub(y.sum(dim), _act.mul_scalar(ends, other=0.5)),
                               other=float(1 if dx is None else dx))
    pairs = _pw.add(_cut(y, dim, 0, -1), _cut(y, dim, 1, None))
    return _act.div_scalar(_pw.mul(pairs, _spacing("trapezoid", y, x, dim)).sum(dim), other=2.0)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running integral of y along dim by the trapezoid rule."""
    _check_tensor("cumulative_trapezoid", y, "y")
    dim = _trapezoid_args("cumulative_trapezoid", y, x, dx, dim)
    pairs = _pw.add(_cut(y, dim, 0, -1), _cut(y, dim, 1, None))
    if x is None:
        return _act.mul_scalar(pairs, other=float(1 if dx is None else dx) / 2.0).cumsum(dim)
    return _act.div_scalar(_pw.mul(pairs, _spacing("cumulative_trapezoid", y, x, dim)).cumsum(dim), other=2.0)


def trapz(y, x=None, *, dx=None, dim=-1):
    """trapezoid's older name."""
    return trapezoid(y, x, dx=dx, dim=dim, _name="trapz")


FUNCTIONS.update(trapezoid=trapezoid, trapz=trapz, cumulative_trapezoid=cumulative_trapezoid)
# their samples ride on the specs of their last nodes
REGISTRY["nnf.mul_scalar"].samples += [sample(T(3, 4), call="trapezoid"), sample(T(5), dx=0.5, call="trapz"),
                                       sample(T(3, 4), dim=0, dx=2, call="trapezoid")]
REGISTRY["nnf.div_scalar"].samples += [
    sample(T(3, 4), T(4), call="trapezoid"), sample(T(3, 4), T(3, 4), dim=0, call="trapz"),
    sample(T(2, 3, 4), T(3, 4), dim=1, call="trapezoid"), sample(T(3, 4), T(4), call="cumulative_trapezoid"),
    sample(T(4, 3), T(4), dim=0, call="cumulative_trapezoid")]
REGISTRY["cumsum"].samples += [sample(T(3, 4), call="cumulative_trapezoid"),
                               sample(T(4, 2), dx=0.5, dim=0, call="cumulative_trapezoid")]


# ====================================================================== block_diag
def _as_block(shape):
    """A block's 2-D shape: a 0-d tensor is 1 x 1, a 1-D one a row."""
    return (1, 1) if len(shape) == 0 else (1, shape[0]) if len(shape) == 1 else tuple(shape)


def _block_diag_forward(*arrays):
    blocks = [_as_block(a.shape) for a in arrays]
    out = np.zeros((sum(r for r, _ in blocks), sum(c for _, c in blocks)), dtype=arrays[0].dtype)
    r0 = c0 = 0
    for a, (r, c) in zip(arrays, blocks):
        out[r0:r0 + r, c0:c0 + c] = a.reshape(r, c)
        r0, c0 = r0 + r, c0 + c
    return out


def _block_diag_backward(grad, tensors_shapes):
    pieces, r0, c0 = [], 0, 0
    for shape in tensors_shapes:
        r, c = _as_block(shape)
        pieces.append(grad[r0:r0 + r, c0:c0 + c].reshape(shape))
        r0, c0 = r0 + r, c0 + c
    return pieces


_block_diag = declare(
    "block_diag", _block_diag_forward, inputs=("*tensors",), public=False,
    samples=[sample(T(2, 3), T(1, 2), call="block_diag"), sample(T(), T(3), T(2, 1), call="block_diag"),
             sample(T(0, 2), T(2, 0), T(2, 2), call="block_diag"), sample(T(2, 2), call="block_diag")],
    tensors=_block_diag_backward)


def block_diag(*tensors):
    """A block-diagonal matrix of the (at most 2-D) ``tensors``."""
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {_type_name(t)}")
        if t.dim() > 2:
            raise RuntimeError("torch.block_diag: Input tensors must have 2 or fewer dimensions. Input "
                               f"{i} has {t.dim()} dimensions")
    if not tensors:
        return _creation.zeros(1, 0)
    target = _dtype.result_type_of(list(tensors))
    return _block_diag([t if t._data.dtype == target.np else t.to(target) for t in tensors])


FUNCTIONS["block_diag"] = block_diag
