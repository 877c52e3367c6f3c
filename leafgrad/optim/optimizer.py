"""Optimizer base class with torch.optim.Optimizer's param-group and state_dict layout."""
from collections import defaultdict
import copy

import numpy as np

from .._tensor import Tensor
from .. import autograd as _autograd
from .. import _creation
from .. import _dtype

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj):
    if isinstance(obj, Tensor):
        return {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor", "float16": "torch.HalfTensor",
                "int64": "torch.LongTensor", "int32": "torch.IntTensor", "int16": "torch.ShortTensor",
                "int8": "torch.CharTensor", "uint8": "torch.ByteTensor", "bool": "torch.BoolTensor"}.get(
                    str(obj.dtype).replace("torch.", ""), "torch.Tensor")
    return type(obj).__module__ + "." + type(obj).__qualname__ if type(obj).__module__ != "builtins" \
        else type(obj).__qualname__


# -- torch's fused pointwise CPU kernels, composed from Tensor ops ------------------------------------------------
# ATen evaluates ``add(x, alpha=a)``, ``addcmul`` and ``lerp`` with a fused multiply-add (one rounding). For float32
# the product of two float32 values is exact in float64, so ``fma(a, b, c)`` is computed as float64 ``a * b + c``
# rounded to float32 (this double rounding differs from a true fma only when the float64 sum lands exactly on a
# float32 midpoint, about once in 2**29 operations). Other dtypes use an unfused multiply-add.

def _f32(x):
    """A Python scalar as the float32 value ATen's float kernels use."""
    return float(np.float32(x))


def _fma(a, b, c):
    """a * b + c rounded once, for float32 tensor c (a, b tensors or Python scalars)."""
    if c.dtype != _dtype.float32:
        return c + a * b
    a64 = a.double() if isinstance(a, Tensor) else _f32(a)
    b64 = b.double() if isinstance(b, Tensor) else _f32(b)
    return (a64 * b64 + c.double()).float()


def add(self, other, alpha=1.0):
    """self.add(other, alpha=alpha)"""
    if alpha == 1:
        return self + other
    return _fma(other, alpha, self)


def add_(self, other, alpha=1.0):
    """self.add_(other, alpha=alpha)"""
    if alpha == 1:
        return self.add_(other)
    if self.dtype != _dtype.float32:
        return self.add_(other, alpha=alpha)
    return self.copy_(_fma(other, alpha, self))


def addcmul(self, t1, t2, value=1.0):
    """self + value * t1 * t2, as fma(value * t1, t2, self)"""
    return _fma(t1 * value, t2, self)


def addcmul_(self, t1, t2, value=1.0):
    if self.dtype != _dtype.float32:
        return self.add_((t1 * value).mul_(t2))
    return self.copy_(addcmul(self, t1, t2, value))


def addcdiv_(self, t1, t2, value=1.0):
    """self += (value * t1) / t2"""
    return self.add_((t1 * value).div_(t2))


def lerp_(self, end, weight):
    """self.lerp_(end, weight) for a scalar weight: fma(w, end - self, self) for |w| < 0.5, else
    fma(w - 1, end - self, end)."""
    if self.dtype != _dtype.float32:
        return self.lerp_(end, weight)
    w = _f32(weight)
    diff = end - self
    if abs(w) < 0.5:
        return self.copy_(_fma(diff, w, self))
    return self.copy_(_fma(diff, _f32(w - 1), end))


def scalar_state(value=0.0):
    return _creation.tensor(value, dtype=_float32())


def _float32():
    return _dtype.float32


class Optimizer:
    """Base class of all optimizers (``torch.optim.Optimizer``)."""

    def __init__(self, params, defaults):
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got " + _typename(params))
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self):
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group.keys()):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)

    def add_param_group(self, param_group):
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)
        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(param))
            if not self.defaults.get("differentiable", None) and not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        if len(param_group["params"]) != len({id(p) for p in param_group["params"]}):
            import warnings
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
        if seen & {id(p) for p in param_group["params"]}:
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        g = p.grad
                        if g.grad_fn is not None:
                            g = g.detach()
                            p.grad = g
                        g.zero_()

    def _closure_loss(self, closure):
        if closure is None:
            return None
        with _autograd.enable_grad():
            return closure()

    def step(self, closure=None):
        raise NotImplementedError

    # -- state_dict ------------------------------------------------------------------------------------------------
    def state_dict(self):
        index = {}
        start = 0
        groups = []
        for group in self.param_groups:
            for p in group["params"]:
                if id(p) not in index:
                    index[id(p)] = start
                    start += 1
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state and index[id(p)] not in state:
                    state[index[id(p)]] = self.state[p]
        return {"state": state, "param_groups": groups}

    @staticmethod
    def _cast_state(param, value, key):
        if isinstance(value, Tensor):
            if key != "step":
                if param.is_floating_point() and value.is_floating_point():
                    return value.to(dtype=param.dtype).clone()
                return value.clone()
            return value.clone()
        if isinstance(value, dict):
            return {k: Optimizer._cast_state(param, v, k) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(Optimizer._cast_state(param, v, key) for v in value)
        return value

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        groups = self.param_groups
        saved_groups = [dict(g) for g in state_dict["param_groups"]]
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = {}
        for g, s in zip(groups, saved_groups):
            for old, p in zip(s["params"], g["params"]):
                id_map[old] = p
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                state[p] = self._cast_state(p, v, None) if not isinstance(v, dict) else \
                    {kk: self._cast_state(p, vv, kk) for kk, vv in v.items()}
            else:
                state[k] = copy.deepcopy(v)
        new_groups = []
        for g, s in zip(groups, saved_groups):
            s = {k: v for k, v in s.items()}
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
            new_groups.append(s)
        self.__setstate__({"state": state, "param_groups": new_groups})
