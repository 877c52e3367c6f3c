"""Shared helpers for comparing leafgrad with PyTorch.

``both(fn)`` runs ``fn(torch)`` and ``fn(leafgrad)`` (the module is passed in as the
namespace, as in ``import leafgrad as torch``) and returns both results; an exception
raised by either call is returned as a value, so error behaviour can be compared too.
``assert_same(a, b)`` compares two such results recursively.
"""
import math
import os
import sys

import numpy as np
import pytest
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import leafgrad  # noqa: E402

__all__ = ["torch", "leafgrad", "both", "assert_same", "to_numpy", "is_tensor"]


def both(fn):
    """``(fn(torch), fn(leafgrad))``; an exception raised by a call is its result."""
    out = []
    for mod in (torch, leafgrad):
        try:
            out.append(fn(mod))
        except Exception as e:  # noqa: BLE001 - exceptions are compared as values
            out.append(e)
    return tuple(out)


def is_tensor(x):
    return isinstance(x, (torch.Tensor, leafgrad.Tensor))


def to_numpy(t):
    """The values of a torch or leafgrad tensor as a NumPy array (a copy)."""
    if isinstance(t, torch.Tensor) and t._is_zerotensor():  # torch's efficient zeros (e.g. abs'' )
        return np.zeros(tuple(t.shape), dtype=torch.empty((), dtype=t.dtype).numpy().dtype)
    return np.array(t.detach().numpy(), copy=True)


def _grad_fn_name(t):
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def _tol(dtype_str):
    if "float16" in dtype_str or "bfloat16" in dtype_str:
        return 1e-3, 1e-3
    if "float32" in dtype_str:
        return 1e-5, 1e-6
    return 1e-6, 1e-9


def assert_same(a, b, path="result", rtol=None, atol=None, check_graph=True):
    """Assert that ``a`` (from torch) and ``b`` (from leafgrad) are the same.

    Tensors: values (allclose, NaNs equal), ``str(dtype)``, shape and, when
    ``check_graph``, ``requires_grad``, ``is_leaf`` and the grad_fn class name.
    Numbers, strings, None, tuples/lists (element-wise) and exceptions (same type name,
    same message) are compared as well.
    """
    if isinstance(a, BaseException) or isinstance(b, BaseException):
        assert isinstance(a, BaseException) and isinstance(b, BaseException), (
            f"{path}: torch gave {a!r}, leafgrad gave {b!r}")
        assert type(a).__name__ == type(b).__name__, (
            f"{path}: torch raised {type(a).__name__}: {a}, leafgrad raised {type(b).__name__}: {b}")
        assert same_message(str(a), str(b)), f"{path}: messages differ:\n torch:    {a}\n leafgrad: {b}"
        return
    if is_tensor(a) or is_tensor(b):
        assert is_tensor(a) and is_tensor(b), f"{path}: torch gave {type(a)}, leafgrad gave {type(b)}"
        assert str(a.dtype) == str(b.dtype), f"{path}: dtype torch {a.dtype} vs leafgrad {b.dtype}"
        assert tuple(a.shape) == tuple(b.shape), f"{path}: shape torch {tuple(a.shape)} vs leafgrad {tuple(b.shape)}"
        if check_graph:
            assert a.requires_grad == b.requires_grad, (
                f"{path}: requires_grad torch {a.requires_grad} vs leafgrad {b.requires_grad}")
            assert a.is_leaf == b.is_leaf, f"{path}: is_leaf torch {a.is_leaf} vs leafgrad {b.is_leaf}"
            assert _grad_fn_name(a) == _grad_fn_name(b), (
                f"{path}: grad_fn torch {_grad_fn_name(a)} vs leafgrad {_grad_fn_name(b)}")
        x, y = to_numpy(a), to_numpy(b)
        r, t = _tol(str(a.dtype))
        r = r if rtol is None else rtol
        t = t if atol is None else atol
        if x.dtype.kind in "biu":
            assert np.array_equal(x, y), f"{path}: values differ\n torch:    {x}\n leafgrad: {y}"
        else:
            assert np.allclose(x, y, rtol=r, atol=t, equal_nan=True), (
                f"{path}: values differ (max abs diff {np.nanmax(np.abs(x - y)) if x.size else 0})\n"
                f" torch:    {x}\n leafgrad: {y}")
        return
    if isinstance(a, torch.Size) or type(b).__name__ == "Size":
        assert tuple(a) == tuple(b) and type(a).__name__ == type(b).__name__, f"{path}: {a!r} vs {b!r}"
        return
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        assert isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)), (
            f"{path}: torch gave {type(a).__name__}, leafgrad gave {type(b).__name__}")
        assert len(a) == len(b), f"{path}: length torch {len(a)} vs leafgrad {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{i}]", rtol, atol, check_graph)
        return
    if isinstance(a, dict) or isinstance(b, dict):
        assert isinstance(a, dict) and isinstance(b, dict), f"{path}: {a!r} vs {b!r}"
        assert list(a) == list(b), f"{path}: keys {list(a)} vs {list(b)}"
        for k in a:
            assert_same(a[k], b[k], f"{path}[{k!r}]", rtol, atol, check_graph)
        return
    if isinstance(a, (bool, np.bool_)) or isinstance(b, (bool, np.bool_)):
        assert bool(a) == bool(b) and type(a).__name__ == type(b).__name__, f"{path}: {a!r} vs {b!r}"
        return
    if isinstance(a, (int, float, complex, np.number)) and isinstance(b, (int, float, complex, np.number)):
        assert type(a).__name__ == type(b).__name__, f"{path}: type {type(a).__name__} vs {type(b).__name__}"
        if isinstance(a, float) and math.isnan(a):
            assert math.isnan(b), f"{path}: {a!r} vs {b!r}"
        else:
            r = 1e-6 if rtol is None else rtol
            assert a == b or abs(a - b) <= (atol or 0) + r * abs(a), f"{path}: {a!r} vs {b!r}"
        return
    if isinstance(a, (torch.dtype,)) or type(b).__name__ == "dtype":
        assert str(a) == str(b), f"{path}: {a} vs {b}"
        return
    assert a == b, f"{path}: torch gave {a!r}, leafgrad gave {b!r}"


@pytest.fixture
def same():
    return assert_same


def same_message(torch_msg, leafgrad_msg):
    """leafgrad keeps PyTorch's message word for word and may append lines of hints."""
    return leafgrad_msg == torch_msg or leafgrad_msg.startswith(torch_msg + "\n")
