"""Tensor creation: from data, filled, ranges and random (through _random, which
reproduces PyTorch's CPU generator)."""
import builtins
import math
import warnings

import numpy as np

from . import _dtype, _modes, _tape
from ._tensor import Tensor, wrap


def _infer_dtype(data):
    """PyTorch's inference for nested Python data: any float makes it the default
    float dtype, else any int makes it int64, else bool."""
    kind = -1  # nothing seen yet: an empty list is of the default float dtype
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, Tensor):
            kind = builtins.max(kind, x.dtype._category + (1 if x.dtype._category == 2 else 0))
            if x.dtype._category == 2 and x._data.dtype != _dtype.default_float_np():
                return x.dtype
        elif isinstance(x, (bool, np.bool_)):
            kind = builtins.max(kind, 0)
        elif isinstance(x, (int, np.integer)):
            kind = builtins.max(kind, 1)
        elif isinstance(x, (float, np.floating)):
            kind = builtins.max(kind, 3)
        else:
            raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
    if kind < 0:
        return _dtype.get_default_dtype()
    return (_dtype.bool, _dtype.int64, _dtype.int64, _dtype.get_default_dtype())[kind]


def _check_ragged(data, dim=0):
    if isinstance(data, (list, tuple)) and data:
        lens = {len(x) if isinstance(x, (list, tuple)) else -1 for x in data}
        first = len(data[0]) if isinstance(data[0], (list, tuple)) else -1
        for x in data:
            n = len(x) if isinstance(x, (list, tuple)) else -1
            if n != first:
                raise ValueError(f"expected sequence of length {first} at dim {dim + 1} (got {n})")
        if lens != {-1}:
            for x in data:
                _check_ragged(x, dim + 1)


def _to_array(data, dtype):
    """Python data, arrays or tensors to an ndarray of leafgrad-supported dtype."""
    if isinstance(data, Tensor):
        arr = data._data
        return arr if dtype is None else arr.astype(dtype.np)
    if isinstance(data, np.ndarray):
        if dtype is None:
            _dtype.from_numpy_dtype(data.dtype)
            return data
        return data.astype(dtype.np)
    if isinstance(data, np.generic):
        return np.asarray(data, dtype=None if dtype is None else dtype.np)
    if dtype is None:
        dtype = _infer_dtype(data)
    else:
        _infer_dtype(data)
    _check_ragged(data)
    if isinstance(data, (list, tuple)) and builtins.any(isinstance(x, Tensor) for x in _flat(data)):
        data = _unwrap(data)
    return np.array(data, dtype=dtype.np)


def _flat(data):
    for x in data:
        if isinstance(x, (list, tuple)):
            yield from _flat(x)
        else:
            yield x


def _unwrap(data):
    if isinstance(data, (list, tuple)):
        return [_unwrap(x) for x in data]
    return data.item() if isinstance(data, Tensor) else data


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new leaf tensor holding a copy of ``data``."""
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
                      "or sourceTensor.detach().clone().requires_grad_(True), rather than "
                      "torch.tensor(sourceTensor).", UserWarning, stacklevel=2)
    arr = np.array(_to_array(data, dtype), copy=True)
    return _leaf(arr, requires_grad, constant=_python_values(data))


def _python_values(data):
    """Is ``data`` made of Python numbers only (no array or tensor whose values may change)?"""
    if isinstance(data, (list, tuple)):
        return all(_python_values(x) for x in data)
    return isinstance(data, (bool, int, float, complex))


def _leaf(arr, requires_grad, constant=False):
    if constant and _tape.recording is not None:
        # Built from Python values only: a step being captured makes it again from a
        # pristine copy on every replay (the step may change it in place).
        pristine = arr.copy()
        pristine.flags.writeable = False
        arr = _tape.run_noted(np.ndarray.copy, pristine)
    t = arr if isinstance(arr, Tensor) else wrap(arr)
    if requires_grad:
        if t._data.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t.requires_grad_(True)
    return t


def as_tensor(data, dtype=None, device=None):
    """Share memory with ``data`` where possible (tensors and ndarrays of the same dtype)."""
    if isinstance(data, Tensor):
        return data if dtype is None or dtype.np == data._data.dtype else data.to(dtype)
    return wrap(_to_array(data, dtype))


def from_numpy(ndarray):
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    return wrap(ndarray)


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    out = tuple(int(s) for s in size)
    for s in out:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(out)}")
    return out


def _float_dtype(dtype):
    return _dtype.get_default_dtype() if dtype is None else dtype


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None):
    return _leaf(np.zeros(_size(size), _float_dtype(dtype).np), requires_grad, constant=True)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None):
    return _leaf(np.ones(_size(size), _float_dtype(dtype).np), requires_grad, constant=True)


def empty(*size, dtype=None, device=None, requires_grad=False, memory_format=None, out=None):
    # Zero-filled rather than uninitialised: the same cost here, and deterministic.
    return _leaf(np.zeros(_size(size), _float_dtype(dtype).np), requires_grad, constant=True)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, out=None):
    if dtype is None:
        dtype = _dtype.result_type_of([fill_value])
    return _leaf(np.full(_size((size,)), fill_value, dtype.np), requires_grad, constant=True)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False, out=None):
    return _leaf(np.eye(n, n if m is None else m, dtype=_float_dtype(dtype).np), requires_grad, constant=True)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None):
    if end is None:
        start, end = 0, start
    vals = [x.item() if isinstance(x, Tensor) else x for x in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        dtype = _dtype.get_default_dtype() if builtins.any(isinstance(v, float) for v in vals) else _dtype.int64
    start, end, step = vals
    n = builtins.max(math.ceil((end - start) / step), 0)
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    # Computed in float64 then cast, as PyTorch computes start + i * step.
    return _leaf((start + np.arange(n, dtype=np.float64) * step).astype(dtype.np) if dtype.is_floating_point
                 else np.arange(start, start + n * step, step, dtype=dtype.np)[:n], requires_grad, constant=True)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False, out=None):
    dtype = _float_dtype(dtype)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    # PyTorch fills the first half from start and the second half from end.
    i = np.arange(steps, dtype=np.float64)
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    half = steps // 2 if steps > 1 else 1   # (one step is start)
    vals = np.where(i < half, start + step * i, end - step * (steps - 1 - i))
    return _leaf(vals.astype(dtype.np), requires_grad, constant=True)


def _like(fn):
    def like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None, **kwargs):
        return fn(input.shape, *kwargs.pop("_args", ()), dtype=input.dtype if dtype is None else dtype,
                  requires_grad=requires_grad, **kwargs)
    like.__name__ = fn.__name__ + "_like"
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return full(input.shape, fill_value, dtype=input.dtype if dtype is None else dtype, requires_grad=requires_grad)


# ---------------------------------------------------------------------- random
def _random(draw, shape, requires_grad):
    """A random leaf of ``shape`` (batched under vmap with randomness='different')."""
    return _leaf(_modes.random_tensor(draw, shape), requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    dtype = _float_dtype(dtype)
    return _random(lambda shape: _rng().uniform(shape, dtype.np, generator=generator), _size(size), requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    dtype = _float_dtype(dtype)
    return _random(lambda shape: _rng().normal(shape, dtype.np, generator=generator), _size(size), requires_grad)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    dtype = _dtype.int64 if dtype is None else dtype
    return _random(lambda shape: _rng().randint(low, high, shape, dtype.np, generator=generator), _size((size,)),
                   requires_grad)


def rand_like(input, *, dtype=None, generator=None, requires_grad=False, **kwargs):
    return rand(input.shape, dtype=input.dtype if dtype is None else dtype, generator=generator,
                requires_grad=requires_grad)


def randn_like(input, *, dtype=None, generator=None, requires_grad=False, **kwargs):
    return randn(input.shape, dtype=input.dtype if dtype is None else dtype, generator=generator,
                 requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, requires_grad=False, **kwargs):
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=input.dtype if dtype is None else dtype)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    dtype = _dtype.int64 if dtype is None else dtype
    return _leaf(_rng().randperm(n, dtype.np, generator=generator), requires_grad)


# ---------------------------------------------------------------------- Tensor.new_*
def _new_method(fn):
    def method(self, *size, dtype=None, device=None, requires_grad=False, **kwargs):
        return fn(*size, dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad, **kwargs)
    return method


Tensor.new_zeros = _new_method(zeros)
Tensor.new_ones = _new_method(ones)
Tensor.new_empty = _new_method(empty)
Tensor.new_full = lambda self, size, fill_value, *, dtype=None, device=None, requires_grad=False: full(
    size, fill_value, dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad)
Tensor.new_tensor = lambda self, data, *, dtype=None, device=None, requires_grad=False: tensor(
    data, dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad)


def _rng():
    from . import _random
    return _random


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, requires_grad=False):
    """Samples from N(mean, std): tensor mean and/or std (broadcast), or numbers with ``size``."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        _modes.refuse_batched("normal", mean, std)
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        return wrap(_rng().normal_tensor(m, s, generator=generator))
    if size is None:
        raise TypeError("normal() received an invalid combination of arguments - got (float, float), but expected "
                        "one of (Tensor mean, Tensor std), (Tensor mean, float std), (float mean, Tensor std) or "
                        "(float mean, float std, tuple of ints size)")
    dtype = _float_dtype(dtype)
    return _random(lambda shape: _rng().normal(shape, dtype.np, mean, std, generator=generator), _size((size,)),
                   requires_grad)


def bernoulli(input, p=None, *, generator=None, out=None):
    """Draws 0/1 with probabilities ``input`` (or the number ``p``), in ``input``'s dtype."""
    _modes.refuse_batched("bernoulli", input)
    if p is not None:
        return wrap(_rng().bernoulli(float(p), input._data.shape, input._data.dtype, generator=generator))
    return wrap(_rng().bernoulli(input._data, generator=generator))


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Indices drawn from the rows of ``input`` (non-negative weights)."""
    _modes.refuse_batched("multinomial", input)
    return wrap(_rng().multinomial(input._data, num_samples, replacement, generator=generator))


Tensor.bernoulli = bernoulli
Tensor.multinomial = multinomial
