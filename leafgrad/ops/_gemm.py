"""nn.Linear's product ``x @ w.T + b``, in the faster of two layouts that give the same bits.

A BLAS computes ``x @ w.T`` (``w`` a C-contiguous (out, in) weight) with one GEMM call.
It can as well compute ``(w @ x.T).T``: every output is the same dot product of a row of
``x`` with a row of ``w``, built from the same products, accumulated by the same kernel
in the same blocks of the inner dimension. Only the two matrices trade roles, and with
them which one the BLAS packs into its panels. Which way runs faster depends on the
library, the CPU and the shapes. NumPy's OpenBLAS, one thread, on this project's 2-core
AMD EPYC: (32, 784) by (784, 64) takes 56 µs the plain way and 46 µs the other, while
(128, 512) by (512, 10) takes 30 µs against 47 µs.

So the first product of each shape and dtype is computed both ways, on its own operands
and on random ones. If the two results differ in any bit, the plain way is kept for good.
Otherwise both ways are timed and the faster one is kept if it saves at least a tenth.
The choice changes how long a product takes, never its value: the result comes out
C-contiguous either way, with the bias added in the same pass.
"""
import time

import numpy as np

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_flipped = {}   # (x.shape, wt.shape, dtype) -> whether (wt.T @ x.T).T is the faster way


def fits(x, wt):
    """Does ``x @ wt`` (2-D arrays of one dtype whose shapes multiply, as addmm checked)
    have the choice: a float dtype, ``x`` C-contiguous, ``wt`` the transpose of a
    C-contiguous matrix (nn.Linear's ``w.t()``), nothing empty?"""
    return (x.dtype in _FLOATS and x.flags.c_contiguous and wt.T.flags.c_contiguous
            and x.size != 0 and wt.size != 0)


def linear(x, wt, bias):
    """``x @ wt + bias`` for operands that ``fits``; ``bias`` broadcasts to the result
    and has its dtype."""
    key = (x.shape, wt.shape, x.dtype)
    flip = _flipped.get(key)
    if flip is None:
        if len(_flipped) > 1024:
            _flipped.clear()
        flip = _flipped[key] = _faster_flipped(x, wt, bias)
    return _flip(x, wt, bias) if flip else _plain(x, wt, bias)


def _plain(x, wt, bias):
    prod = np.matmul(x, wt)
    return np.add(prod, bias, out=prod)


def _flip(x, wt, bias):
    out = np.empty((x.shape[0], wt.shape[1]), x.dtype)
    return np.add(np.matmul(wt.T, x.T).T, bias, out=out)   # (the transposing read is the bias pass)


def _same_bits(a, b):
    return a.shape == b.shape and np.array_equal(a.view(np.uint8), b.view(np.uint8))


def _faster_flipped(x, wt, bias):
    """Measure once: does ``_flip`` give ``_plain``'s bits, and save a tenth of its time?"""
    probe = np.random.default_rng(0).standard_normal(x.shape).astype(x.dtype)
    for a in (x, probe):
        if not _same_bits(_plain(a, wt, bias), _flip(a, wt, bias)):
            return False
    best = [float("inf"), float("inf")]
    for _ in range(3):
        for i, way in enumerate((_plain, _flip)):
            t0 = time.perf_counter()
            way(x, wt, bias)
            best[i] = min(best[i], time.perf_counter() - t0)
    return best[1] < 0.9 * best[0]
