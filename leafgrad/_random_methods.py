"""In-place random fills on tensors (Tensor.uniform_, normal_, bernoulli_, exponential_,
random_), drawing from leafgrad._random exactly as torch's CPU generator does."""
import numpy as np

from . import _random
from ._tensor import Tensor
from .ops._declare import check_inplace


def _fill(t, values):
    check_inplace(t)
    t._data[...] = values
    t._vc[0] += 1
    return t


def uniform_(self, from_=0, to=1, *, generator=None):
    return _fill(self, _random.uniform(self._data.shape, self._data.dtype, from_, to, generator=generator))


def normal_(self, mean=0, std=1, *, generator=None):
    return _fill(self, _random.normal(self._data.shape, self._data.dtype, mean, std, generator=generator))


def bernoulli_(self, p=0.5, *, generator=None):
    if isinstance(p, Tensor):
        p = p._data
    return _fill(self, _random.bernoulli(p, self._data.shape, self._data.dtype, generator=generator))


def exponential_(self, lambd=1, *, generator=None):
    return _fill(self, _random.exponential(self._data.shape, self._data.dtype, lambd, generator=generator))


def random_(self, from_=None, to=None, *, generator=None, **kwargs):
    # random_() / random_(to) / random_(from, to) as torch's overloads
    if "from" in kwargs:
        from_ = kwargs.pop("from")
    if kwargs:
        raise TypeError(f"random_() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if from_ is not None and to is None:
        return _fill(self, _random.random_(self._data.shape, self._data.dtype, high=from_, generator=generator))
    if from_ is None and to is None:
        return _fill(self, _random.random_(self._data.shape, self._data.dtype, generator=generator))
    return _fill(self, _random.random_(self._data.shape, self._data.dtype, 0 if from_ is None else from_, to,
                                       generator=generator))


for _name, _fn in (("uniform_", uniform_), ("normal_", normal_), ("bernoulli_", bernoulli_),
                   ("exponential_", exponential_), ("random_", random_)):
    _fn.__qualname__ = "Tensor." + _name
    setattr(Tensor, _name, _fn)

del _name, _fn, np
