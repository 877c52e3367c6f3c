"""In-place random fills on tensors (Tensor.uniform_, normal_, bernoulli_, exponential_,
random_), drawing from leafgrad._random exactly as torch's CPU generator does."""
import numpy as np

from . import _modes, _random
from ._tensor import Tensor
from .ops._declare import check_inplace, refuse_batched


def _perm(a):
    return sorted(range(a.ndim), key=lambda d: -abs(a.strides[d]))


def _memory_order(a):
    """``a`` with its axes ordered as torch's TensorIterator walks a non-contiguous tensor: by
    decreasing stride, so values are drawn in memory order."""
    if a.flags.c_contiguous:
        return a
    return a.transpose(_perm(a))


def _fill(t, make):
    """Write ``make(shape, contiguous)`` into ``t`` in memory order."""
    check_inplace(t)
    target = t.random_fill_target() if t._batched else None
    if target is not None:      # vmap, randomness='different': one draw for the whole batch
        view = _memory_order(target)
        with _modes.drawing_batched():
            view[...] = make(view.shape, target.flags.c_contiguous)
    else:
        view = _memory_order(t._data)
        view[...] = make(view.shape, t._data.flags.c_contiguous)
        if t._batched:
            t.share_first_sample()   # vmap, randomness='same': every sample gets the same draw
    t._vc[0] += 1
    return t


def uniform_(self, from_=0, to=1, *, generator=None):
    dt = self._data.dtype
    return _fill(self, lambda shape, _: _random.uniform(shape, dt, from_, to, generator=generator))


def normal_(self, mean=0, std=1, *, generator=None):
    dt = self._data.dtype

    def make(shape, contiguous):
        n = int(np.prod(shape))
        if contiguous or n == 0:
            return _random.normal(shape, dt, mean, std, generator=generator)
        # ATen draws a non-contiguous tensor element by element (no 16-wide fill)
        if not float(std) >= 0.0:
            return _random.normal(shape, dt, mean, std, generator=generator)
        v = _random._normal_scalar(_random._gen(generator), n, float(mean), float(std))
        return _random._cast_double(v, np.dtype(dt)).reshape(shape)
    return _fill(self, make)


def bernoulli_(self, p=0.5, *, generator=None):
    dt = self._data.dtype
    if isinstance(p, Tensor):
        refuse_batched("bernoulli_", p)
        p = p._data
        shape = self._data.shape
        if p.ndim > len(shape):
            from ._tensor import legacy_type_name
            raise RuntimeError(
                f"expand({legacy_type_name(p.dtype)}{{{list(p.shape)}}}, size={list(shape)}): the number of sizes "
                f"provided ({len(shape)}) must be greater or equal to the number of dimensions in the tensor "
                f"({p.ndim})")
        else:
            for i in range(p.ndim - 1, -1, -1):
                j = len(shape) - p.ndim + i
                if p.shape[i] != 1 and p.shape[i] != shape[j]:
                    raise RuntimeError(
                        f"The expanded size of the tensor ({shape[j]}) must match the existing size ({p.shape[i]}) "
                        f"at non-singleton dimension {j}.  Target sizes: {list(shape)}.  Tensor sizes: "
                        f"{list(p.shape)}")
        if not self._data.flags.c_contiguous and p.ndim:
            try:
                p = np.broadcast_to(p, self._data.shape).transpose(_perm(self._data))
            except ValueError:
                pass    # _random.bernoulli reports the size mismatch as torch does
    return _fill(self, lambda shape, _: _random.bernoulli(p, shape, dt, generator=generator))


def exponential_(self, lambd=1, *, generator=None):
    dt = self._data.dtype
    return _fill(self, lambda shape, _: _random.exponential(shape, dt, lambd, generator=generator))


def random_(self, from_=None, to=None, *, generator=None, **kwargs):
    # random_() / random_(to) / random_(from, to) as torch's overloads
    if "from" in kwargs:
        from_ = kwargs.pop("from")
    if kwargs:
        raise TypeError(f"random_() got an unexpected keyword argument '{next(iter(kwargs))}'")
    dt = self._data.dtype
    if from_ is not None and to is None:
        return _fill(self, lambda shape, _: _random.random_(shape, dt, high=from_, generator=generator))
    if from_ is None and to is None:
        return _fill(self, lambda shape, _: _random.random_(shape, dt, generator=generator))
    return _fill(self, lambda shape, _: _random.random_(shape, dt, 0 if from_ is None else from_, to,
                                                         generator=generator))


for _name, _fn in (("uniform_", uniform_), ("normal_", normal_), ("bernoulli_", bernoulli_),
                   ("exponential_", exponential_), ("random_", random_)):
    _fn.__qualname__ = "Tensor." + _name
    setattr(Tensor, _name, _fn)

del _name, _fn
