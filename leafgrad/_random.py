"""Random number generation that reproduces torch 2.13's CPU generator bit for bit.

torch's CPU generator is a 32-bit Mersenne Twister (MT19937) seeded with
``init_genrand(seed & 0xffffffff)``.  This is exactly the generator that numpy
keeps in ``np.random.MT19937`` (and that the legacy ``RandomState`` seeds the
same way), so the state lives in a numpy bit generator and words are drawn in
bulk.  Every sampler below then applies, with numpy, the same transformation
that ATen applies to each word, in the same order, consuming the same number
of words, so that mixed sequences of calls stay in step with torch.

See docs/random.md for what is bit-identical and what is not.

Nothing here imports torch; numpy is the only dependency.
"""

import math
import operator
import os
import warnings

import numpy as np

from . import _modes
from ._tensor import _C_TYPE_NAMES, _LEGACY_NAMES

__all__ = [
    "Generator", "default_generator", "manual_seed", "seed", "initial_seed",
    "get_rng_state", "set_rng_state", "uniform", "normal", "normal_tensor",
    "randint", "random_", "randperm", "bernoulli", "exponential", "multinomial",
    "DEFAULT_SEED",
]

# Seed of a freshly constructed torch.Generator() (c10 default_rng_seed_val).
DEFAULT_SEED = 67280421310721

_MT_N = 624
_STATE_BYTES = 5056          # sizeof(CPUGeneratorImplState) on 64-bit Linux
_U64_MAX = (1 << 64) - 1
_I64_MIN = -(1 << 63)
_I64_MAX = (1 << 63) - 1

_f32 = np.float32
_f64 = np.float64

# --------------------------------------------------------------------------
# dtype helpers
# --------------------------------------------------------------------------

_FLOATS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))

_INT_T_NAME = {
    np.dtype(np.int8): "int8_t", np.dtype(np.uint8): "uint8_t",
    np.dtype(np.int16): "int16_t", np.dtype(np.int32): "int32_t",
    np.dtype(np.int64): "int64_t", np.dtype(np.uint16): "uint16_t",
    np.dtype(np.uint32): "uint32_t", np.dtype(np.uint64): "uint64_t",
}

# mantissa digits (std::numeric_limits<T>::digits)
_DIGITS = {np.dtype(np.float16): 11, np.dtype(np.float32): 24, np.dtype(np.float64): 53}


def _dt(dtype):
    return np.dtype(dtype)


def _tname(dt):
    """torch's ScalarType name (in "not implemented for 'X'" messages)."""
    return _LEGACY_NAMES.get(np.dtype(dt).name, str(dt))


def _not_impl(kernel, dt):
    return NotImplementedError('"%s" not implemented for \'%s\'' % (kernel, _tname(dt)))


def _shape(shape):
    if shape is None:
        return ()
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    shape = tuple(operator.index(s) for s in shape)
    for s in shape:
        if s < 0:
            raise RuntimeError("Trying to create tensor with negative dimension %d: [%s]"
                               % (s, ", ".join(str(v) for v in shape)))
    return shape


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _fmt(v):
    """Format a double like C++ ostream's default (%g) does."""
    return "%g" % v


def _gen(generator):
    if _modes.STACK:
        for mode in list(_modes.STACK):
            mode.random_draw()
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError("generator must be a leafgrad Generator, got %r" % type(generator))
    return generator


def _to_half(x):
    """static_cast<c10::Half>(double) converts double -> float -> half."""
    return np.asarray(x, dtype=np.float64).astype(np.float32).astype(np.float16)


def _cast_double(x, dt):
    """static_cast<scalar_t>(double) for a floating scalar_t."""
    if dt == np.float16:
        return _to_half(x)
    return np.asarray(x).astype(dt)


def _round_int_to_bits(v, p):
    """Round the integer v to p significant bits (round half to even)."""
    a = abs(v)
    b = a.bit_length()
    if b <= p:
        return v
    sh = b - p
    q, r = divmod(a, 1 << sh)
    half = 1 << (sh - 1)
    if r > half or (r == half and (q & 1)):
        q += 1
    a = q << sh
    return -a if v < 0 else a


def _int_to_float_value(v, dt):
    """int(static_cast<int64_t>(static_cast<T>(v))) for integer v, T floating."""
    if dt == np.float16:
        # int64 -> c10::Half goes through float
        f = _round_int_to_bits(v, 24)
        return int(np.float16(np.float32(f)))
    return _round_int_to_bits(v, _DIGITS[dt])


# --------------------------------------------------------------------------
# exact floating point building blocks
# --------------------------------------------------------------------------

_SPLIT = 134217729.0  # 2**27 + 1, Veltkamp splitting constant


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _two_prod(a, b):
    p = a * b
    t = _SPLIT * a
    ah = t - (t - a)
    al = a - ah
    t = _SPLIT * b
    bh = t - (t - b)
    bl = b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _add_round_odd(a, b):
    """a + b rounded to odd (inexact results get an odd last mantissa bit)."""
    s, e = _two_sum(a, b)
    fix = (e != 0) & ((s.view(np.int64) & 1) == 0)
    if fix.any():
        s = s.copy()
        s[fix] = np.nextafter(s[fix], np.where(e[fix] > 0, np.inf, -np.inf))
    return s


def _fma64(a, b, c):
    """Correctly rounded fused multiply-add on float64 arrays (no overflow)."""
    a = np.asarray(a, np.float64)
    b = np.broadcast_to(np.asarray(b, np.float64), a.shape)
    c = np.broadcast_to(np.asarray(c, np.float64), a.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        uh, ul = _two_prod(a, b)
        th, tl = _two_sum(c, ul)
        vh, vl = _two_sum(uh, th)
        r = vh + _add_round_odd(tl, vl)
        bad = ~np.isfinite(r)
        if bad.any():                 # infinities / overflow: no rounding subtleties
            r[bad] = (a * b + c)[bad]
    return r


def _fma32(a, b, c):
    """Correctly rounded float32 fma(a, b, c) for float32 inputs.

    The product of two floats is exact in double; the sum rounded to double is
    then rounded to float.  That double rounding is only wrong when the double
    sum lands exactly on a float midpoint while being inexact; those (rare)
    elements are recomputed with round-to-odd.
    """
    p = a.astype(np.float64) * b
    s = p + c
    tie = (s.view(np.uint64) & 0x1FFFFFFF) == 0x10000000
    if tie.any():
        idx = np.nonzero(tie)
        pp = p[idx]
        cc = np.broadcast_to(np.asarray(c, np.float64), s.shape)[idx]
        ss, ee = _two_sum(pp, cc)
        fix = (ee != 0)
        ss[fix] = np.nextafter(ss[fix], np.where(ee[fix] > 0, np.inf, -np.inf))
        s[idx] = ss
    return s.astype(np.float32)


# --------------------------------------------------------------------------
# libm-exact transcendental functions (glibc, as called by ATen)
# --------------------------------------------------------------------------

def _map_libm(fn, x):
    x = np.asarray(x, np.float64)
    return np.fromiter(map(fn, x.ravel().tolist()), np.float64, x.size).reshape(x.shape)


def _log1p(x):
    """glibc log1p on float64.

    numpy's log1p is not bit-identical to the C library's, and glibc picks an
    FMA-compiled variant of its fdlibm-based log1p at run time on FMA capable
    CPUs, so the C library itself is called (through math.log1p) element by
    element: identical to what ATen gets on the same machine by construction."""
    return _map_libm(math.log1p, x)


_LIBM_OK = {}


def _selfcheck(name, fast, ref, make_samples):
    """Is numpy's `fast` bit-identical to the C library's `ref`?  (checked once)"""
    ok = _LIBM_OK.get(name)
    if ok is None:
        try:
            samples = make_samples()
            ok = bool(np.array_equal(fast(samples), _map_libm(ref, samples), equal_nan=True))
        except Exception:  # pragma: no cover - defensive
            ok = False
        _LIBM_OK[name] = ok
    return ok


def _trig_samples():
    rng = np.random.RandomState(54321)
    u = (rng.randint(0, 2 ** 31, size=4000).astype(np.float64) * 2.0 ** 22
         + rng.randint(0, 2 ** 22, size=4000)) * 2.0 ** -53
    return np.concatenate([2.0 * math.pi * u, [0.0, math.pi, 2 * math.pi, 1e-300]])


def _sin(x):
    if _selfcheck("sin", np.sin, math.sin, _trig_samples):
        return np.sin(x)
    return _map_libm(math.sin, x)


def _cos(x):
    if _selfcheck("cos", np.cos, math.cos, _trig_samples):
        return np.cos(x)
    return _map_libm(math.cos, x)


def _log(x):
    """glibc log on float64.  numpy's log differs from glibc in the last bit for
    a fraction of inputs, so the C library is called element by element."""
    return _map_libm(math.log, x)


# --------------------------------------------------------------------------
# avx_mathfun (ATen/native/cpu/avx_mathfun.h) in float32, as compiled by GCC
# with -mfma: multiply-add pairs are contracted into fused multiply-adds.
# --------------------------------------------------------------------------

_SQRTHF = _f32(0.707106781186547524)
_LOG_P = [_f32(v) for v in (7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1,
                            -1.2420140846E-1, 1.4249322787E-1, -1.6668057665E-1,
                            2.0000714765E-1, -2.4999993993E-1, 3.3333331174E-1)]
_LOG_Q1 = _f32(-2.12194440e-4)
_LOG_Q2 = _f32(0.693359375)
_DP1 = _f32(-0.78515625)
_DP2 = _f32(-2.4187564849853515625e-4)
_DP3 = _f32(-3.77489497744594108e-8)
_SINC = [_f32(v) for v in (-1.9515295891E-4, 8.3321608736E-3, -1.6666654611E-1)]
_COSC = [_f32(v) for v in (2.443315711809948E-005, -1.388731625493765E-003,
                           4.166664568298827E-002)]
_FOPI = _f32(1.27323954473516)
_TWO_PI_F = _f32(2.0 * math.pi)
_ONE_F = _f32(1.0)
_HALF_F = _f32(0.5)


def _d(v):
    return _f64(v)


def _log256(x):
    """log256_ps for float32 x in [2**-24, 1] (no zero/denormal inputs here)."""
    xi = x.view(np.int32)
    e = ((xi >> 23) - 0x7F).astype(np.float32) + _ONE_F
    m = ((xi & np.int32(~0x7F800000)) | np.int32(0x3F000000)).view(np.float32)
    mask = m < _SQRTHF
    e -= mask.astype(np.float32)
    xm = m - _ONE_F
    xm = np.where(mask, xm + m, xm)
    z = xm * xm
    y = _fma32(np.full(xm.shape, _LOG_P[0]), xm.astype(np.float64), _d(_LOG_P[1]))
    x64 = xm.astype(np.float64)
    for p in _LOG_P[2:]:
        y = _fma32(y, x64, _d(p))
    y = y * xm
    y = _fma32(y, z.astype(np.float64), (e * _LOG_Q1).astype(np.float64))
    y = y - z * _HALF_F
    r = xm + y
    r = r + e * _LOG_Q2
    return r


def _sincos256(x):
    """sincos256_ps for float32 x >= 0."""
    y = x * _FOPI
    j = y.astype(np.int32)
    j = (j + 1) & ~1
    y = j.astype(np.float32)
    sin_neg = (j & 4) != 0
    cos_neg = ((j - 2) & 4) == 0
    poly = (j & 2) == 0
    x = x + y * _DP1
    x = x + y * _DP2
    x = _fma32(y, _d(_DP3), x.astype(np.float64))
    z = x * x
    z64 = z.astype(np.float64)
    yc = _fma32(np.full(x.shape, _COSC[0]), z64, _d(_COSC[1]))
    yc = _fma32(yc, z64, _d(_COSC[2]))
    yc = yc * z
    yc = _fma32(yc, z64, -(z * _HALF_F).astype(np.float64))
    yc = yc + _ONE_F
    ys = _fma32(np.full(x.shape, _SINC[0]), z64, _d(_SINC[1]))
    ys = _fma32(ys, z64, _d(_SINC[2]))
    ys = ys * z
    x64 = x.astype(np.float64)
    ys = _fma32(ys, x64, x64)
    s = np.where(poly, ys, yc)
    c = np.where(poly, yc, ys)
    np.negative(s, out=s, where=sin_neg)
    np.negative(c, out=c, where=cos_neg)
    return s, c


def _normal_fill16_f32(u, mean, std):
    """NormalFill16<float> (AVX2) applied to rows of 16 float32 uniforms."""
    u1 = _ONE_F - u[:, :8]
    u2 = np.ascontiguousarray(u[:, 8:])
    radius = np.sqrt(_f32(-2.0) * _log256(u1))
    s, c = _sincos256(_TWO_PI_F * u2)
    out = np.empty(u.shape, np.float32)
    n1 = radius * c
    n2 = radius * s
    mean32 = _f32(mean)
    std32 = _f32(std)
    if std32 == 1 and mean32 == 0:          # fma(n, 1, mean) == n + mean
        out[:, :8] = n1 + mean32
        out[:, 8:] = n2 + mean32
    else:
        out[:, :8] = _fma32(n1, _d(std32), _d(mean32))
        out[:, 8:] = _fma32(n2, _d(std32), _d(mean32))
    return out


def _normal_fill16_f64(u, mean, std):
    """NormalFill16<double> (scalar template) on rows of 16 double uniforms."""
    u1 = 1.0 - u[:, :8]
    u2 = u[:, 8:]
    radius = np.sqrt(-2.0 * _log(u1))
    theta = (2.0 * math.pi) * u2
    n1 = radius * _cos(theta)
    n2 = radius * _sin(theta)
    out = np.empty(u.shape, np.float64)
    if std == 1.0 and mean == 0.0:          # fma(n, 1, mean) == n + mean
        out[:, :8] = n1 + mean
        out[:, 8:] = n2 + mean
    else:
        out[:, :8] = _fma64(n1, std, mean)
        out[:, 8:] = _fma64(n2, std, mean)
    return out


# --------------------------------------------------------------------------
# Generator
# --------------------------------------------------------------------------

def _init_genrand(seed32):
    key = [0] * _MT_N
    s = seed32 & 0xFFFFFFFF
    key[0] = s
    for j in range(1, _MT_N):
        s = (1812433253 * (s ^ (s >> 30)) + j) & 0xFFFFFFFF
        key[j] = s
    return np.array(key, dtype=np.uint32)


def _unpack_seed(seed):
    try:
        s = operator.index(seed)
    except TypeError:
        raise TypeError("manual_seed expected a long, but got %s" % type(seed).__name__)
    if s < _I64_MIN or s > _U64_MAX:
        raise ValueError("Overflow when unpacking long long")
    return s & _U64_MAX


def _nondeterministic_seed():
    return int.from_bytes(os.urandom(8), "little")


class Generator:
    """CPU random generator with torch.Generator's semantics and stream."""

    def __init__(self, device="cpu"):
        dev = "cpu" if device is None else str(getattr(device, "type", device))
        if dev.split(":")[0] != "cpu":
            raise RuntimeError("leafgrad only has CPU generators, got device %r" % (device,))
        self.device = "cpu"
        self._bg = np.random.MT19937(0)
        self._rs = np.random.RandomState(self._bg)
        self._set_seed(DEFAULT_SEED)

    # -- seeding / state ----------------------------------------------------
    def _set_seed(self, s):
        self._seed = s
        self._bg.state = {"bit_generator": "MT19937",
                          "state": {"key": _init_genrand(s), "pos": _MT_N}}
        self._next_at_end = 0       # torch's `next_` while a refill is pending
        self._normal_d = None       # cached second Box-Muller double
        self._normal_f = None       # cached float sample (kept for state round trips)

    def manual_seed(self, seed):
        self._set_seed(_unpack_seed(seed))
        return self

    def seed(self):
        s = _nondeterministic_seed()
        self._set_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        st = self._bg.state["state"]
        key = np.asarray(st["key"], dtype=np.uint32)
        pos = int(st["pos"])
        if pos >= _MT_N:
            left, nxt = 1, self._next_at_end
        else:
            left, nxt = _MT_N + 1 - pos, pos
        buf = np.zeros(_STATE_BYTES, np.uint8)
        buf[0:8] = np.frombuffer(np.uint64(self._seed).tobytes(), np.uint8)
        buf[8:16] = np.frombuffer(np.array([left, 1], "<i4").tobytes(), np.uint8)
        buf[16:24] = np.frombuffer(np.uint64(nxt).tobytes(), np.uint8)
        buf[24:24 + 8 * _MT_N] = np.frombuffer(key.astype("<u8").tobytes(), np.uint8)
        o = 24 + 8 * _MT_N
        nd = self._normal_d
        buf[o:o + 24] = np.frombuffer(np.array([0.0, 0.0 if nd is None else nd, 0.0],
                                               "<f8").tobytes(), np.uint8)
        buf[o + 24:o + 28] = np.frombuffer(np.array([0 if nd is None else 1], "<i4").tobytes(),
                                           np.uint8)
        nf = self._normal_f
        buf[o + 32:o + 36] = np.frombuffer(np.array([0.0 if nf is None else nf],
                                                    "<f4").tobytes(), np.uint8)
        buf[o + 36] = 0 if nf is None else 1
        return buf

    def set_state(self, state):
        arr = np.asarray(state)
        if arr.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        arr = np.ascontiguousarray(arr).reshape(-1)
        if arr.size != _STATE_BYTES:
            raise RuntimeError("Expected a CPUGeneratorImplState of size %d but found the "
                               "input RNG state size to be %d" % (_STATE_BYTES, arr.size))
        raw = arr.tobytes()
        seed_ = int(np.frombuffer(raw, "<u8", 1, 0)[0])
        left, seeded = (int(v) for v in np.frombuffer(raw, "<i4", 2, 8))
        nxt = int(np.frombuffer(raw, "<u8", 1, 16)[0]) & 0xFFFFFFFF
        key = np.frombuffer(raw, "<u8", _MT_N, 24).astype(np.uint32)
        o = 24 + 8 * _MT_N
        normal_y = float(np.frombuffer(raw, "<f8", 1, o + 8)[0])
        normal_valid = int(np.frombuffer(raw, "<i4", 1, o + 24)[0])
        nf = float(np.frombuffer(raw, "<f4", 1, o + 32)[0])
        nf_valid = raw[o + 36]
        if not (seeded != 0 and 0 < left <= _MT_N and nxt <= _MT_N):
            raise RuntimeError("Invalid mt19937 state")
        if left == 1:
            pos, next_at_end = _MT_N, nxt
        else:
            pos, next_at_end = nxt, 0
        self._seed = seed_
        self._bg.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}
        self._next_at_end = next_at_end
        self._normal_d = normal_y if normal_valid else None
        self._normal_f = nf if nf_valid else None
        return self

    def __repr__(self):
        return "<leafgrad.Generator device='cpu' initial_seed=%d>" % self._seed

    # -- raw streams ---------------------------------------------------------
    def _words(self, n):
        """n raw 32-bit outputs of the engine (torch's generator->random())."""
        if n <= 0:
            return np.empty(0, np.uint32)
        self._next_at_end = _MT_N
        return self._rs.randint(0, 1 << 32, size=n, dtype=np.uint32)

    def _words64(self, n):
        """n values of generator->random64(): (first << 32) | second."""
        w = self._words(2 * n).reshape(n, 2).astype(np.uint64)
        return (w[:, 0] << np.uint64(32)) | w[:, 1]

    def _uniform24(self, n):
        """uniform_real_distribution<float>(0, 1): 24 random bits."""
        return (self._words(n) & 0xFFFFFF).astype(np.float32) * _f32(2.0 ** -24)

    def _uniform53(self, n):
        """uniform_real_distribution<double>(0, 1): 53 of the 64 random bits."""
        w = self._words(2 * n).reshape(n, 2)
        hi = (w[:, 0] & 0x1FFFFF).astype(np.float64)
        return (hi * 4294967296.0 + w[:, 1]) * 2.0 ** -53


default_generator = Generator()
default_generator._set_seed(_nondeterministic_seed())


def manual_seed(seed):
    """torch.manual_seed: seed the default generator and return it."""
    return default_generator.manual_seed(int(seed))


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)


# --------------------------------------------------------------------------
# uniform_ / rand
# --------------------------------------------------------------------------

def _finfo_bounds(dt):
    fi = np.finfo(dt)
    return float(fi.min), float(fi.max)


def uniform(shape, dtype=np.float32, low=0.0, high=1.0, generator=None):
    """torch.rand / Tensor.uniform_(low, high)."""
    shape = _shape(shape)
    dt = _dt(dtype)
    if dt not in _FLOATS:
        raise _not_impl("check_uniform_bounds", dt)
    frm, to = float(low), float(high)
    lo, hi = _finfo_bounds(dt)
    name = _C_TYPE_NAMES[np.dtype(dt).name]   # as caffe2::TypeMeta prints it
    if not (lo <= frm <= hi):
        raise RuntimeError("from is out of bounds for %s" % name)
    if not (lo <= to <= hi):
        raise RuntimeError("to is out of bounds for %s" % name)
    if not frm <= to:
        raise RuntimeError("uniform_ expects to return a [from, to) range, but found from=%s > to=%s"
                           % (_fmt(frm), _fmt(to)))
    if not (to - frm) <= hi:
        raise RuntimeError("uniform_ expects to-from <= std::numeric_limits<%s>::max(), but found "
                           "to=%s and from=%s which result in to-from to exceed the limit"
                           % (_tname(dt), _fmt(to), _fmt(frm)))
    n = _numel(shape)
    if n == 0:
        return np.empty(shape, dt)
    g = _gen(generator)
    if dt == np.float64:
        x = g._uniform53(n)
        if frm == 0.0 and to == 1.0:
            v = x
        else:
            v = _fma64(x, to - frm, frm)
        to_s, from_s = to, frm
    else:
        f32 = _f32(frm)
        t32 = _f32(to)
        x = g._uniform24(n)
        if f32 == 0 and t32 == 1:
            v = x
        else:
            v = _fma32(x, _d(t32 - f32), _d(f32))
        if dt == np.float16:
            v = v.astype(np.float16)
            to_s, from_s = _to_half(to)[()], _to_half(frm)[()]
        else:
            to_s, from_s = t32, f32
    v = np.where(v == to_s, from_s, v).astype(dt, copy=False)
    return v.reshape(shape)


# --------------------------------------------------------------------------
# normal_ / randn / torch.normal
# --------------------------------------------------------------------------

def _normal_scalar(g, n, mean, std):
    """at::normal_distribution<double> used element by element (size < 16).

    Box-Muller yields two values; the second one is cached in the generator and
    returned by the next call (even by a later tensor)."""
    out = [0.0] * n
    i = 0
    if n and g._normal_d is not None:
        out[0] = g._normal_d
        g._normal_d = None
        i = 1
    pairs = (n - i + 1) // 2
    if pairs:
        u = g._uniform53(2 * pairs).tolist()
        for p in range(pairs):
            u1 = u[2 * p]
            u2 = u[2 * p + 1]
            r = math.sqrt(-2.0 * math.log1p(-u2))
            theta = 2.0 * math.pi * u1
            out[i] = r * math.cos(theta)
            i += 1
            if i < n:
                out[i] = r * math.sin(theta)
                i += 1
            else:
                g._normal_d = r * math.sin(theta)
    v = np.array(out, dtype=np.float64)
    if std == 1.0 and mean == 0.0:
        return v + mean                      # fma(v, 1, mean)
    return _fma64(v, std, mean)


def _normal_fill(g, n, dt, mean, std):
    """normal_fill (size >= 16, contiguous)."""
    k = n // 16
    tail = n % 16
    if dt == np.float64:
        u = g._uniform53(n + (16 if tail else 0))
        fill = _normal_fill16_f64
        out = np.empty(n, np.float64)
    elif dt == np.float32:
        u = g._uniform24(n + (16 if tail else 0))
        fill = _normal_fill16_f32
        out = np.empty(n, np.float32)
    else:
        # reduced precision: uniforms are drawn 16 at a time into a buffer, so
        # the tail block uses the words right after the last full block
        u = g._uniform24(16 * k + (16 if tail else 0))
        fill = _normal_fill16_f32
        out = np.empty(n, np.float32)
    tail_at = n if dt != np.float16 else 16 * k
    block = 1 << 13
    for b in range(0, k, block):
        e = min(k, b + block)
        out[16 * b:16 * e] = fill(u[16 * b:16 * e].reshape(e - b, 16), mean, std).ravel()
    if tail:
        out[n - 16:] = fill(u[tail_at:tail_at + 16].reshape(1, 16), mean, std).ravel()
    if dt == np.float16:
        out = out.astype(np.float16)
    return out


def _normal_core(g, n, dt, mean, std):
    if n >= 16:
        return _normal_fill(g, n, dt, mean, std)
    return _cast_double(_normal_scalar(g, n, mean, std), dt)


def normal(shape, dtype=np.float32, mean=0.0, std=1.0, generator=None):
    """torch.randn / Tensor.normal_(mean, std) / torch.normal(float, float, size)."""
    shape = _shape(shape)
    dt = _dt(dtype)
    mean = float(mean)
    std = float(std)
    if not std >= 0.0:
        raise RuntimeError("normal expects std >= 0.0, but found std %s" % _fmt(std))
    n = _numel(shape)
    if n == 0:
        return np.empty(shape, dt)
    if dt not in _FLOATS:
        raise _not_impl("normal_kernel_cpu", dt)
    return _normal_core(_gen(generator), n, dt, mean, std).reshape(shape)


def normal_tensor(mean, std, generator=None):
    """torch.normal(mean, std) where mean and/or std are arrays.

    An ``np.ndarray`` (0-d included) plays the role of a Tensor; a Python/numpy
    scalar plays the role of a float argument.  Follows ATen: the output is
    filled with normal(0, 1) (or normal(0, std) when only mean is a tensor) in
    the output dtype and then multiplied by std and shifted by mean."""
    mean_t = isinstance(mean, np.ndarray)
    std_t = isinstance(std, np.ndarray)
    if not (mean_t or std_t):
        raise TypeError("normal_tensor needs mean and/or std to be an ndarray")
    g = _gen(generator)
    if std_t:
        if np.iscomplexobj(std):
            raise RuntimeError("normal expects standard deviation to be non-complex")
        if std.size and not bool((std >= 0).all()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    if mean_t and std_t:
        shape = np.broadcast_shapes(mean.shape, std.shape)
        dt = mean.dtype
        if dt not in _FLOATS:
            raise _not_impl("normal_kernel_cpu", dt)
        n = _numel(shape)
        out = _normal_core(g, n, dt, 0.0, 1.0).reshape(shape) if n else np.empty(shape, dt)
        out = (out * std).astype(dt, copy=False)
        return (out + mean).astype(dt, copy=False)
    if mean_t:
        s = float(std)
        if not s >= 0.0:
            raise RuntimeError("normal expects std >= 0.0, but found std %s" % _fmt(s))
        dt = mean.dtype
        shape = mean.shape
        if dt not in _FLOATS:
            raise _not_impl("normal_kernel_cpu", dt)
        n = _numel(shape)
        out = _normal_core(g, n, dt, 0.0, s).reshape(shape) if n else np.empty(shape, dt)
        return (out + mean).astype(dt, copy=False)
    # scalar mean, tensor std
    dt = std.dtype
    shape = std.shape
    if dt not in _FLOATS:
        raise _not_impl("normal_kernel_cpu", dt)
    n = _numel(shape)
    out = _normal_core(g, n, dt, 0.0, 1.0).reshape(shape) if n else np.empty(shape, dt)
    m = np.array(float(mean), dtype=np.float64).astype(dt) if dt != np.float16 else _to_half(float(mean))
    out = (out * std).astype(dt, copy=False)
    return (out + m).astype(dt, copy=False)


# --------------------------------------------------------------------------
# random_ / randint
# --------------------------------------------------------------------------

def _int_bounds(dt):
    if dt == np.bool_:
        return 0, 1
    ii = np.iinfo(dt)
    return int(ii.min), int(ii.max)


def _check_i64(v):
    v = operator.index(v)
    if v < _I64_MIN or v > _I64_MAX:
        raise ValueError("Overflow when unpacking long long")
    return v


def _update_from(frm, dt):
    digits = _DIGITS[dt]
    fp1 = _int_to_float_value(frm + 1, dt)
    if fp1 < frm:
        f_ = abs(frm + 1)
        n = f_.bit_length() - 1
        frm = fp1 + (1 << (n - digits + 1))
    return frm


def _update_to(to, dt):
    digits = _DIGITS[dt]
    tm1 = _int_to_float_value(to - 1, dt)
    if tm1 >= to:
        t_ = abs(to - 1)
        n = t_.bit_length() - 1
        to = tm1 - (1 << (n - digits + 1))
    return to


def _check_from_to_in_range(frm, to_inc, dt):
    name = _C_TYPE_NAMES.get(np.dtype(dt).name, str(dt))
    if dt in _FLOATS:
        lo, hi = _finfo_bounds(dt)
        if not (lo <= frm <= hi):
            raise RuntimeError("from is out of bounds for %s" % name)
        if not (lo <= to_inc <= hi):
            raise RuntimeError("to - 1 is out of bounds for %s" % name)
        digits = _DIGITS[dt]
        for v, what in ((frm, "from"), (to_inc, "to - 1")):
            if v < -(1 << digits) or v > (1 << digits):
                warnings.warn(
                    "%s is out of bounds [-(2^%d), 2^%d]. Due to precision limitations %s can "
                    "support discrete uniform distribution only within this range. This warning "
                    "will become an error in version 1.7 release, please fix the code in advance"
                    % (what, digits, digits, name), UserWarning, stacklevel=4)
    elif dt == np.uint64:
        if not (0 <= frm <= _I64_MAX):
            raise RuntimeError("from is out of bounds for %s" % name)
        if not (0 <= to_inc <= _I64_MAX):
            raise RuntimeError("to - 1 is out of bounds for %s" % name)
    else:
        lo, hi = _int_bounds(dt)
        if not (lo <= frm <= hi):
            raise RuntimeError("from is out of bounds for %s" % name)
        if not (lo <= to_inc <= hi):
            raise RuntimeError("to - 1 is out of bounds for %s" % name)


_FROM_TO_DTYPES = _FLOATS + tuple(np.dtype(t) for t in (
    np.int8, np.uint8, np.int16, np.int32, np.int64, np.bool_, np.uint16, np.uint32, np.uint64))
_RANDOM_DTYPES = _FLOATS + tuple(np.dtype(t) for t in (
    np.int8, np.uint8, np.int16, np.int32, np.int64, np.bool_))


def _int64_to_dtype(v, dt):
    """static_cast<scalar_t>(int64 array)."""
    if dt == np.bool_:
        return v != 0
    if dt == np.float16:
        return v.astype(np.float32).astype(np.float16)
    return v.astype(dt)


def _from_to_kernel(g, n, dt, rng, base):
    if rng >= (1 << 28):
        val = g._words64(n)
    else:
        val = g._words(n).astype(np.uint64)
    v = (val % np.uint64(rng)) + np.uint64(base & _U64_MAX)
    return _int64_to_dtype(v.view(np.int64), dt)


def _random_from_to(shape, dt, frm, to, to_given, generator):
    n = _numel(shape)
    if dt not in _FROM_TO_DTYPES:
        raise _not_impl("random_from_to_kernel_cpu", dt)
    frm = _check_i64(frm)
    if to_given:
        to = _check_i64(to)
        if not frm < to:
            raise RuntimeError("random_ expects 'from' to be less than 'to', but got from=%d >= to=%d"
                               % (frm, to))
        if dt in _FLOATS:
            frm = _update_from(frm, dt)
            to = _update_to(to, dt)
            if not frm < to:
                raise RuntimeError("random_ expects 'from' casted to dtype to be less than 'to' "
                                   "casted to dtype, but got from=%d >= to=%d" % (frm, to))
        _check_from_to_in_range(frm, to - 1, dt)
        if n == 0:
            return np.empty(shape, dt)
        rng = (to - frm) & _U64_MAX
        return _from_to_kernel(_gen(generator), n, dt, rng, frm).reshape(shape)
    if frm != _I64_MIN:
        if dt in _FLOATS:
            to_inc = min(1 << _DIGITS[dt], _I64_MAX)
            frm = _update_from(frm, dt)
            if not frm < to_inc:
                raise RuntimeError("random_ expects 'from' casted to dtype to be less than or equal "
                                   "to 'to_inc' casted to dtype, but got from=%d > to_inc=%d"
                                   % (frm, to_inc))
        else:
            to_inc = _int_bounds(dt)[1] if dt != np.uint64 else (1 << 64) - 1
            if dt == np.uint64:
                to_inc = -1   # static_cast<int64_t>(UINT64_MAX)
        _check_from_to_in_range(frm, to_inc, dt)
        if n == 0:
            return np.empty(shape, dt)
        rng = (to_inc - frm + 1) & _U64_MAX
        return _from_to_kernel(_gen(generator), n, dt, rng, frm).reshape(shape)
    # [int64 min, int64 max]: 2**64 values
    if n == 0:
        return np.empty(shape, dt)
    if dt not in (np.dtype(np.int64), np.dtype(np.float64), np.dtype(np.float32)):
        if dt.kind in "iu" and dt.itemsize < 8 and dt not in (np.dtype(np.uint16), np.dtype(np.uint32)):
            raise RuntimeError("random_full_64_bits_range_kernel_cpu handles only int64, double, "
                               "float and bfloat16")
        raise _not_impl("random_full_64_bits_range_kernel_cpu", dt)
    v = _gen(generator)._words64(n).view(np.int64)
    return _int64_to_dtype(v, dt).reshape(shape)


def _random_plain(shape, dt, generator):
    n = _numel(shape)
    if n == 0:
        return np.empty(shape, dt)
    if dt not in _RANDOM_DTYPES:
        raise _not_impl("random_kernel_cpu", dt)
    g = _gen(generator)
    if dt == np.bool_:
        return ((g._words(n) & 1) != 0).reshape(shape)
    if dt == np.int64:
        v = g._words64(n) % np.uint64(1 << 63)
        return v.view(np.int64).reshape(shape)
    if dt == np.float64:
        v = g._words64(n) % np.uint64((1 << 53) + 1)
        return v.astype(np.float64).reshape(shape)
    w = g._words(n)
    if dt == np.float32:
        return (w % np.uint32((1 << 24) + 1)).astype(np.float32).reshape(shape)
    if dt == np.float16:
        return (w % np.uint32((1 << 11) + 1)).astype(np.float32).astype(np.float16).reshape(shape)
    mod = _int_bounds(dt)[1] + 1
    return (w.astype(np.uint64) % np.uint64(mod)).astype(dt).reshape(shape)


def random_(shape, dtype=np.int64, low=None, high=None, generator=None):
    """Tensor.random_ on a new tensor of the given shape and dtype.

    * ``random_(shape, dt)``               -> ``t.random_()``
    * ``random_(shape, dt, high=b)``       -> ``t.random_(b)``      ([0, b))
    * ``random_(shape, dt, a, b)``         -> ``t.random_(a, b)``   ([a, b))
    * ``random_(shape, dt, a)``            -> ``t.random_(a, None)`` ([a, max of dtype])
    """
    shape = _shape(shape)
    dt = _dt(dtype)
    if low is None and high is None:
        return _random_plain(shape, dt, generator)
    if low is None:
        low = 0
    return _random_from_to(shape, dt, low, high, high is not None, generator)


def randint(low, high, shape, dtype=np.int64, generator=None):
    """torch.randint(low, high, size, dtype=...)."""
    shape = _shape(shape)
    dt = _dt(dtype)
    return _random_from_to(shape, dt, low, high, True, generator)


# --------------------------------------------------------------------------
# randperm
# --------------------------------------------------------------------------

_RANDPERM_SMALL = 4294967295 // 20


def _group_order(t):
    """Stable argsort of non-negative integers t < 2**32 (LSD radix, 2 passes)."""
    o = np.argsort((t & 0xFFFF).astype(np.uint16), kind="stable")
    if t.size and int(t.max()) > 0xFFFF:
        o = o[np.argsort((t[o] >> 16).astype(np.uint16), kind="stable")]
    return o


def _same_target_links(t):
    """For steps 0..m-1 with targets t: previous step with the same target
    (-1 if none), and for every target value its last step."""
    m = t.size
    order = _group_order(t) if t.size and int(t.max()) < (1 << 32) else np.lexsort((np.arange(m), t))
    ts = t[order]
    same = np.zeros(m, bool)
    same[1:] = ts[1:] == ts[:-1]
    prev = np.full(m, -1, np.int64)
    prev[order[same]] = order[np.nonzero(same)[0] - 1]
    last = np.ones(m, bool)
    last[:-1] = ~same[1:]
    return prev, ts[last], order[last]


def _resolve(ptr):
    """Follow ptr (ptr[i] <= i, roots point to themselves) to the roots."""
    ptr = ptr.copy()
    active = np.nonzero(ptr != np.arange(ptr.size))[0]
    while active.size:
        cur = ptr[active]
        nxt = ptr[cur]
        moved = nxt != cur
        ptr[active] = nxt
        active = active[moved]
    return ptr


def _perm_from_swaps(j, n):
    """r = arange(n); for i in range(n - 1): swap r[i], r[j[i]]  (j[i] >= i).

    Position i is final after step i and receives what position j[i] held just
    before step i.  That is what the last earlier step k with the same target
    put there, namely A(k) = what position k held just before step k, or the
    original value j[i].  A(i) itself is A(last earlier step targeting i) or i:
    a forest of pointers resolved by pointer jumping, no Python loop."""
    m = n - 1
    prev, tgt, lastk = _same_target_links(j)
    # last step k < i with j[k] == i; the group's last step may be i itself
    selfhit = lastk == tgt
    lastk = np.where(selfhit, prev[lastk], lastk)
    ptr = np.arange(n, dtype=np.int64)
    ok = lastk >= 0
    ptr[tgt[ok]] = lastk[ok]
    A = _resolve(ptr)
    r = np.empty(n, np.int64)
    r[:m] = np.where(prev >= 0, A[np.maximum(prev, 0)], j)
    r[m] = A[m]
    return r


def _perm_inside_out(z, n):
    """r = empty(n); for i in range(n): r[i] = r[z[i]]; r[z[i]] = i  (z[i] <= i).

    Position p ends with the last step i > p that targets it; otherwise with the
    value written at step p, which is the latest earlier step targeting z[p]
    (or z[p] == p itself), else, recursively, the value written at step z[p]."""
    prev, tgt, lastk = _same_target_links(z)
    steps = np.arange(n, dtype=np.int64)
    # value written at step p: terminal if a previous step shares the target or z[p] == p
    term = (prev >= 0) | (z == steps)
    val = np.where(prev >= 0, prev, steps)
    ptr = np.where(term, steps, z)
    root = _resolve(ptr)
    V = val[root]
    r = V.copy()
    later = lastk > tgt
    r[tgt[later]] = lastk[later]
    return r


def randperm(n, dtype=np.int64, generator=None):
    """torch.randperm(n, dtype=...)."""
    n = operator.index(n)
    dt = _dt(dtype)
    if n < 0:
        raise RuntimeError("n must be non-negative, got%d" % n)
    if dt == np.bool_:
        raise _not_impl("randperm", dt)
    if dt == np.float32 and n > (1 << 24) + 1:
        raise RuntimeError("n cannot be greater than 2^24+1 for Float type.")
    if dt == np.float16 and n > (1 << 11) + 1:
        raise RuntimeError("n cannot be greater than 2049 for Half type.")
    if dt.kind in "iu" and n > 0 and n - 1 > _int_bounds(dt)[1]:
        raise RuntimeError("value cannot be converted to type %s without overflow" % _INT_T_NAME[dt])
    if dt not in _FLOATS and dt.kind not in "iu":
        raise _not_impl("randperm", dt)
    g = _gen(generator)
    if n < _RANDPERM_SMALL:
        if n <= 1:
            r = np.arange(n, dtype=np.int64)
        else:
            w = g._words(n - 1).astype(np.int64)
            j = w % np.arange(n, 1, -1, dtype=np.int64) + np.arange(n - 1, dtype=np.int64)
            r = _perm_from_swaps(j, n)
    else:
        z = g._words64(n) % np.arange(1, n + 1, dtype=np.uint64)
        r = _perm_inside_out(z.astype(np.int64), n)
    if dt == np.float16:
        return r.astype(np.float32).astype(np.float16)
    return r.astype(dt)


# --------------------------------------------------------------------------
# bernoulli
# --------------------------------------------------------------------------

_BERN_SELF_DTYPES = _FLOATS + tuple(np.dtype(t) for t in (
    np.int8, np.uint8, np.int16, np.int32, np.int64, np.bool_))


def bernoulli(p, shape=None, dtype=None, generator=None):
    """torch.bernoulli(p_tensor) / Tensor.bernoulli_(p) / Tensor.bernoulli_(p_tensor).

    ``p`` a Python float -> scalar kernel (one 64-bit draw per element, double
    compare); ``p`` an ndarray -> tensor kernel, broadcast to ``shape`` (default
    ``p.shape``), double compare if p is float64 else float compare of 24 bits.
    ``dtype`` defaults to p's dtype (float32 for a scalar p)."""
    g = _gen(generator)
    if not isinstance(p, np.ndarray):
        pv = float(p)
        shape = _shape(shape)
        dt = _dt(np.float32 if dtype is None else dtype)
        if not (0 <= pv <= 1):
            raise RuntimeError("bernoulli_ expects p to be in [0, 1], but got p=%s" % _fmt(pv))
        n = _numel(shape)
        if n == 0:
            return np.empty(shape, dt)
        if dt not in _BERN_SELF_DTYPES:
            raise _not_impl("bernoulli_scalar_cpu_", dt)
        res = g._uniform53(n) < pv
        return res.astype(dt).reshape(shape)
    shape = p.shape if shape is None else _shape(shape)
    dt = p.dtype if dtype is None else _dt(dtype)
    n = _numel(shape)
    if n == 0:
        return np.empty(shape, dt)
    if dt not in _BERN_SELF_DTYPES:
        raise _not_impl("bernoulli_tensor_cpu_self_", dt)
    if p.dtype not in _FLOATS:
        raise _not_impl("bernoulli_tensor_cpu_p_", p.dtype)
    try:
        pb = np.broadcast_to(p, shape)
    except ValueError:
        raise RuntimeError("The expanded size of the tensor (%s) must match the existing size (%s)"
                           % (list(shape), list(p.shape)))
    if p.size and not bool(((p >= 0) & (p <= 1)).all()):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could "
                           "this error message be improved?  If so, please report an enhancement "
                           "request to PyTorch.)")
    if p.dtype == np.float64:
        u = g._uniform53(n).reshape(shape)
        res = u < pb
    else:
        u = g._uniform24(n).reshape(shape)
        res = u < pb.astype(np.float32)
    return res.astype(dt)


# --------------------------------------------------------------------------
# exponential_
# --------------------------------------------------------------------------

def _exponential_core(g, n, dt, lambd):
    u = g._uniform53(n)
    v = (-1.0 / lambd) * _log1p(-u)
    return _cast_double(v, dt)


def exponential(shape, dtype=np.float32, lambd=1.0, generator=None):
    """Tensor.exponential_(lambd) on a new tensor."""
    shape = _shape(shape)
    dt = _dt(dtype)
    lambd = float(lambd)
    if not lambd > 0.0:
        raise RuntimeError("exponential_ expects lambda > 0.0, but found lambda=%s" % _fmt(lambd))
    n = _numel(shape)
    if n == 0:
        return np.empty(shape, dt)
    if dt not in _FLOATS:
        raise RuntimeError("Exponential distribution is a continuous probability distribution. "
                           "dtype must be a floating point but you specified %s" % _tname(dt))
    return _exponential_core(_gen(generator), n, dt, lambd).reshape(shape)


# --------------------------------------------------------------------------
# multinomial
# --------------------------------------------------------------------------

def multinomial(probs, num_samples, replacement=False, generator=None):
    """torch.multinomial(probs, num_samples, replacement) -> int64 array."""
    probs = np.asarray(probs)
    n_sample = operator.index(num_samples)
    if not (0 < probs.ndim <= 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if probs.dtype not in _FLOATS:
        raise RuntimeError("multinomial only supports floating-point dtypes for input, got: %s"
                           % _tname(probs.dtype))
    if not n_sample > 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n_cat = probs.shape[-1]
    if not (replacement or n_sample <= n_cat):
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if n_cat > (1 << 24):
        raise RuntimeError("number of categories cannot exceed 2^24")
    out_shape = (n_sample,) if probs.ndim == 1 else (probs.shape[0], n_sample)
    if _numel(out_shape) == 0:
        return np.empty(out_shape, np.int64)
    g = _gen(generator)
    dt = probs.dtype
    p2 = probs[None] if probs.ndim == 1 else probs
    if not replacement or n_sample == 1:
        # Gumbel-max fast path: argmax / topk of p / q with q ~ Exp(1)
        if probs.size == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                               "operation has no identity.")
        if not bool((probs.max() < np.inf) & (probs.min() >= 0)):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if bool((p2.sum(axis=1) == 0).any()):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        q = _exponential_core(g, probs.size, dt, 1.0).reshape(p2.shape)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            q = (p2 / q).astype(dt, copy=False)
        if n_sample == 1:
            res = np.argmax(q, axis=-1)[:, None]
        else:
            # topk(largest, sorted); equal keys keep index order (see docs)
            idx = np.argsort(-q.astype(np.float64), axis=-1, kind="stable")
            res = idx[:, :n_sample]
        return res.astype(np.int64).reshape(out_shape)
    # multinomial_with_replacement kernel: per row, cumulative distribution in
    # the accumulation dtype, then one 53-bit uniform per sample and a
    # lower-bound binary search
    acc = np.float64 if dt == np.float64 else np.float32
    n_dist = p2.shape[0]
    res = np.empty((n_dist, n_sample), np.int64)
    for i in range(n_dist):
        row = p2[i].astype(acc)
        if not bool((row >= 0).all()):
            raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
        if not bool(np.isfinite(row).all()):
            raise RuntimeError("invalid multinomial distribution (encountering probability entry = "
                               "infinity or NaN)")
        cum = np.cumsum(row, dtype=acc)
        total = cum[-1] if n_cat else acc(0)
        if not total > 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        cum = (cum / total).astype(acc, copy=False)
        cum[-1] = 1
        u = g._uniform53(n_sample)
        res[i] = np.searchsorted(cum.astype(np.float64), u, side="left")
    return res.reshape(out_shape)
