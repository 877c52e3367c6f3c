"""axpy (``y += a * x``, in place) from the BLAS library that NumPy itself links.

NumPy has no fused multiply-add, while ATen computes ``add``/``sub`` with ``alpha`` and
``lerp`` as one: ``x * a + y`` rounded once. A BLAS axpy on a CPU with FMA instructions
does exactly that, element by element, in one pass over memory and without temporaries,
where the NumPy emulation (``pointwise.fused_multiply_add``) makes several passes in
float64. An optimizer's ``p.add_(grad, alpha=-lr)`` is the main user.

The routine is reached through ctypes, in the libraries NumPy loaded (its wheels bundle
OpenBLAS with prefixed symbols; other builds link a system BLAS or MKL). Whether a given
library fuses is a property of its kernels and of the CPU, so a routine is used only
after it is seen to round once here: every element of short and long vectors, aligned
or not, is a case where one rounding and two roundings differ, and signed zeros must
keep their sign. Where no routine passes, ``has_axpy`` says so and callers use the
emulation. Nothing here is needed for correctness; it is found once, on first use.
"""
import ctypes
import glob
import os
import sys

import numpy as np

_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)

# (symbol pattern, its integer type): NumPy >= 2 wheels (scipy-openblas, ILP64), NumPy 1.x
# wheels (OpenBLAS ILP64 with a suffix), then a plain CBLAS (LP64).
_SYMBOLS = (("scipy_cblas_{}axpy64_", ctypes.c_int64), ("cblas_{}axpy64_", ctypes.c_int64),
            ("cblas_{}axpy", ctypes.c_int))

# A product that lands exactly between two floats, and a small addend past it: one rounding
# gives the upper neighbour; rounding the product first gives the lower (ties to even).
# float32: 97 * 172961 = 2**24 + 1; float64: 321 * 28059810762433 = 2**53 + 1.
_PROBES = {_F32: (97.0, 172961.0, 2.0 ** -30, 2.0 ** 24 + 2),
           _F64: (321.0, 28059810762433.0, 2.0 ** -30, 2.0 ** 53 + 2)}

_routines = None   # dtype -> (C function, its float type, the function without argtypes, its int type)


def has_axpy(dtype):
    """Is there an ``axpy`` for arrays of ``dtype`` here?"""
    return dtype in (_routines if _routines is not None else _find())


def axpy(alpha, x, y):
    """``y += alpha * x`` rounded once per element, in place (where ``has_axpy``). ``x``
    and ``y``: C-contiguous arrays of one float dtype and one size that do not overlap;
    ``alpha``: a number (converted to their dtype, as ATen converts a scalar)."""
    fn, ctype = _routines[y.dtype][:2]
    n = y.size
    if -1e-37 < alpha < 1e-37 and ctype(alpha).value == 0:
        # BLAS skips the work when alpha is 0, but 0 * inf is NaN; the product is exact then
        np.add(y, np.multiply(x, y.dtype.type(alpha)), out=y)
    elif n:
        # (a pointer through the buffer protocol is three times cheaper than .ctypes.data,
        # which read-only arrays still need)
        try:
            xp = ctypes.byref(ctype.from_buffer(x))
        except TypeError:
            xp = x.ctypes.data
        fn(n, float(alpha), xp, 1, ctypes.byref(ctype.from_buffer(y)), 1)


def axpy_into(y):
    """``axpy`` with ``y`` fixed: a function of ``(alpha, x)`` that skips finding y's
    routine and pointer on each call (a replay's update of a parameter whose array stays).

    It calls the routine through a second handle without ``argtypes``, with arguments
    already made as C values: converting six Python arguments costs twice the call
    itself on the small arrays of a small model (0.8 µs against 0.35 µs here)."""
    _, ctype, raw, itype = _routines[y.dtype]
    n = y.size
    try:
        yp = ctypes.byref(ctype.from_buffer(y))
    except (TypeError, ValueError):   # (read-only or empty: the plain call, which says why or does nothing)
        return lambda alpha, x: axpy(alpha, x, y)
    n_c, one = itype(n), itype(1)

    def into(alpha, x):
        if -1e-37 < alpha < 1e-37:
            return axpy(alpha, x, y)
        try:
            xp = ctypes.byref(ctype.from_buffer(x))
        except TypeError:
            xp = ctypes.c_void_p(x.ctypes.data)
        raw(n_c, ctype(alpha), xp, one, yp, one)
    return into


axpy.bind_last = axpy_into   # (what a replay's tape calls where y is the same array each time)


def _find():
    global _routines
    routines = {}
    for path in _libraries():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for dtype, letter, ctype in ((_F32, "s", ctypes.c_float), (_F64, "d", ctypes.c_double)):
            if dtype in routines:
                continue
            for pattern, itype in _SYMBOLS:
                fn = getattr(lib, pattern.format(letter), None)
                if fn is None:
                    continue
                fn.restype = None
                fn.argtypes = [itype, ctype, ctypes.c_void_p, itype, ctypes.c_void_p, itype]
                if _rounds_once(fn, ctype, dtype):
                    raw = lib[pattern.format(letter)]   # (a second handle, for calls with C values: axpy_into)
                    raw.restype = None
                    routines[dtype] = (fn, ctype, raw, itype)
                    break
    _routines = routines
    return routines


def _libraries():
    """Paths of the BLAS libraries NumPy may use: those its wheel bundles, Apple's Accelerate
    on macOS, then (Linux) any BLAS already mapped into this process."""
    base = os.path.dirname(np.__file__)
    paths = []
    for folder in (os.path.join(base, os.pardir, "numpy.libs"), os.path.join(base, ".dylibs")):
        paths += sorted(os.path.realpath(p) for p in glob.glob(os.path.join(folder, "*"))
                        if "blas" in os.path.basename(p).lower())
    if sys.platform == "darwin":   # (NumPy's macOS arm64 wheels link Apple's Accelerate)
        paths.append("/System/Library/Frameworks/Accelerate.framework/Accelerate")
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1]
                name = os.path.basename(path).lower()
                if path.startswith("/") and ("blas" in name or "mkl_rt" in name) and path not in paths:
                    paths.append(path)
    except OSError:
        pass
    return paths


def _rounds_once(fn, ctype, dtype):
    """Does ``fn`` compute a fused multiply-add at every position of vectors of many
    lengths and alignments, and keep the sign of zero sums?"""
    a, x0, y0, want = _PROBES[dtype]
    try:
        for n in (1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1000, (1 << 17) + 3):
            for offset in (0, 1):
                x = np.full(n + offset, x0, dtype)[offset:]
                y = np.full(n + offset, y0, dtype)[offset:]
                fn(n, ctype(a), x.ctypes.data, 1, y.ctypes.data, 1)
                if not (y == want).all():
                    return False
        for a, x0 in ((1.0, -0.0), (-1.0, 0.0)):   # (-0) + (-0) is -0
            x = np.full(37, x0, dtype)
            y = np.full(37, -0.0, dtype)
            fn(37, ctype(a), x.ctypes.data, 1, y.ctypes.data, 1)
            if not (np.signbit(y).all() and (y == 0).all()):
                return False
    except Exception:   # (a symbol with another signature: not one to use)
        return False
    return True
