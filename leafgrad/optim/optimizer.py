"""Optimizer base class with torch.optim.Optimizer's param-group and state_dict layout."""
from collections import OrderedDict, defaultdict
import copy
import functools

import numpy as np

from .._tensor import Tensor
from .. import autograd as _autograd
from .. import _creation
from .. import _dtype
from .. import replay

__all__ = ["Optimizer", "required", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]


class _RequiredParameter:
    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj):
    """The type name PyTorch's optimizer messages use (``torch.FloatTensor`` for tensors)."""
    if isinstance(obj, Tensor):
        return obj.type()
    return type(obj).__module__ + "." + type(obj).__qualname__ if type(obj).__module__ != "builtins" \
        else type(obj).__qualname__


# -- torch's fused pointwise CPU kernels ---------------------------------------------------------------------------
# ATen evaluates ``add(x, alpha=a)``, ``addcmul`` and ``lerp`` with a fused multiply-add (one rounding). The public
# ops round once themselves (``add_``/``lerp_`` with a number write into the tensor with BLAS axpy), so the
# optimizers call them directly, except ``addcmul`` on float32: the product of two float32 values is exact in
# float64, so ``fma(a, b, c)`` is float64 ``a * b + c`` rounded to float32 (this double rounding differs from a true
# fma only when the float64 sum lands exactly on a float32 midpoint, about once in 2**29 operations), and outside a
# differentiable step that float64 work is done on the tensors' arrays (``.numpy()``) in reused work arrays rather
# than in the op's fresh temporaries.

_scratch = {}   # float64 work arrays by shape, reused every step (no fresh pages per step)


def _fma64(a, b, c):
    """``a * b + c`` in float64 (the product of float32 values is exact there), in a work
    array reused every step; None when autograd must record the computation (a
    differentiable step) or a or b is neither c's shape nor 0-d."""
    if _autograd.is_grad_enabled() and any(isinstance(x, Tensor) and x.requires_grad for x in (a, b, c)):
        return None
    a, b, c = a.detach().numpy(), b.detach().numpy(), c.detach().numpy()
    if any(x.shape != c.shape and x.shape != () for x in (a, b)):
        return None
    return _fma_arrays(a, b, c)


@replay.kernel
def _fma_arrays(a, b, c):
    buf = _scratch.get(c.shape)
    if buf is None:
        buf = _scratch[c.shape] = np.empty(c.shape, np.float64)
    np.copyto(buf, a)
    np.multiply(buf, b, out=buf)
    np.add(buf, c, out=buf)
    return buf


@replay.kernel
def _rounded(buf):
    """A float64 work array rounded to a new float32 array."""
    return buf.astype(np.float32)


def _fma(a, b, c, into=None):
    """a * b + c rounded once, for tensors a, b, c; written into the tensor ``into`` when
    given (``copy_`` bumps its version)."""
    if c.dtype != _dtype.float32:   # (the op rounds once itself, where ATen does)
        res = c.addcmul(a, b)
    else:
        buf = _fma64(a, b, c)
        if buf is not None and into is not None:
            return into.copy_(_creation.from_numpy(buf))   # rounds once to float32
        if buf is not None:
            res = _creation.from_numpy(_rounded(buf))
        else:
            res = (a.double() * b.double() + c.double()).float()
    return res if into is None else into.copy_(res)


def addcmul(self, t1, t2, value=1.0):
    """self + value * t1 * t2, as fma(value * t1, t2, self)"""
    return _fma(t1 * value, t2, self)


def addcmul_(self, t1, t2, value=1.0):
    if self.dtype != _dtype.float32:
        return self.addcmul_(t1, t2, value=value)
    return _fma(t1 * value, t2, self, into=self)


def addcdiv_(self, t1, t2, value=1.0):
    """self += (value * t1) / t2"""
    return self.add_((t1 * value).div_(t2))


def check_tensor_lr(lr):
    """torch's check of a tensor learning rate: it must hold one element."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")


def to_scalar(x):
    """A one-element tensor hyperparameter as a 0-d tensor (which ops take for a number, as
    torch's ``_to_scalar``); anything else as it is."""
    return x.squeeze() if isinstance(x, Tensor) and x.dim() != 0 else x


def where(cond, a, b):
    """leafgrad.where (looked up when called: the optimizers load before the top-level namespace)."""
    from .. import where as _where
    return _where(cond, a, b)


@replay.kernel
def _from_step(fn, dtype, *state):
    return np.array(fn(*[a.item() for a in state]), dtype)


def step_value(step_t, fn, like, *more):
    """``fn(step count, *values of more)``, a Python float computed as PyTorch's
    single-tensor optimizers compute it (``.item()`` of the 0-d state tensors ``step_t``
    and ``more`` first), as a 0-d tensor of ``like``'s dtype: the value a Python number
    takes in an op on ``like``. Computed in a kernel, so that a captured step
    (leafgrad.replay) computes it again from the new state."""
    return _creation.from_numpy(_from_step(fn, like.detach().numpy().dtype, step_t.numpy(),
                                           *[t.numpy() for t in more]))


def scalar_state(value=0.0):
    """A 0-d step counter / running product, float64 only when that is the default dtype (as torch)."""
    dt = _dtype.float64 if _dtype.get_default_dtype() == _dtype.float64 else _dtype.float32
    return _creation.tensor(value, dtype=dt)


class _RemovableHandle:
    _next_id = 0

    def __init__(self, hooks):
        self.hooks = hooks
        self.id = _RemovableHandle._next_id
        _RemovableHandle._next_id += 1

    def remove(self):
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


_global_step_pre_hooks = OrderedDict()
_global_step_post_hooks = OrderedDict()


def register_optimizer_step_pre_hook(hook):
    """A hook ``hook(optimizer, args, kwargs)`` run before every optimizer's ``step``."""
    handle = _RemovableHandle(_global_step_pre_hooks)
    _global_step_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook):
    """A hook ``hook(optimizer, args, kwargs)`` run after every optimizer's ``step``."""
    handle = _RemovableHandle(_global_step_post_hooks)
    _global_step_post_hooks[handle.id] = hook
    return handle


def _with_step_hooks(step):
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        for hook in list(_global_step_pre_hooks.values()) + list(self._optimizer_step_pre_hooks.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(f"{hook} must return None or a tuple of (new_args, new_kwargs), but got "
                                       f"{result}.")
        out = step(self, *args, **kwargs)
        self._optimizer_step_code()
        for hook in list(self._optimizer_step_post_hooks.values()) + list(_global_step_post_hooks.values()):
            hook(self, args, kwargs)
        return out
    wrapper._with_hooks = True
    return wrapper


class Optimizer:
    """Base class of all optimizers (``torch.optim.Optimizer``)."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_with_hooks", False):
            cls.step = _with_step_hooks(step)

    def _optimizer_step_code(self):
        """Entry point for profilers and debuggers; does nothing."""

    def _hook_dicts(self):
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
                     "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                self.__dict__[name] = OrderedDict()

    def _register(self, name, hook, prepend=False):
        self._hook_dicts()
        hooks = self.__dict__[name]
        handle = _RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_step_pre_hook(self, hook):
        return self._register("_optimizer_step_pre_hooks", hook)

    def register_step_post_hook(self, hook):
        return self._register("_optimizer_step_post_hooks", hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        return self._register("_optimizer_state_dict_pre_hooks", hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        return self._register("_optimizer_state_dict_post_hooks", hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        return self._register("_optimizer_load_state_dict_pre_hooks", hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        return self._register("_optimizer_load_state_dict_post_hooks", hook, prepend)

    def __init__(self, params, defaults):
        self._hook_dicts()
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
        self._hook_dicts()

    def __repr__(self):
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            if i:
                lines.append("")        # as torch: a blank line between groups
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
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
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
        out = {"state": state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            result = hook(self, out)
            if result is not None:
                out = result
        return out

    @staticmethod
    def _cast_state(param, value, key):
        # As torch: state tensors are taken over (not copied); floating ones are cast to the parameter's dtype
        # when the parameter is floating point; 'step' is kept as it is.
        if isinstance(value, Tensor):
            if key != "step" and param.is_floating_point():
                return value.to(dtype=param.dtype)
            return value
        if isinstance(value, dict):
            return {k: Optimizer._cast_state(param, v, k) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(Optimizer._cast_state(param, v, key) for v in value)
        return value

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
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
                state[k] = v
        new_groups = []
        for g, s in zip(groups, saved_groups):
            s = {k: v for k, v in s.items()}
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
            new_groups.append(s)
        self.__setstate__({"state": state, "param_groups": new_groups})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)
