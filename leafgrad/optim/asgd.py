"""ASGD (averaged SGD) with torch's single-tensor (foreach=False) update order."""
import numpy as np

from .._tensor import Tensor
from .. import autograd as _autograd
from .. import _creation
from .. import _dtype
from .. import replay
from .optimizer import Optimizer, add, addcmul_, scalar_state, step_value
from .rprop import _CAPTURABLE_DEVICES, _check_lr, _where

__all__ = ["ASGD"]


class ASGD(Optimizer):
    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)

    def _init_state(self, p, group):
        state = self.state[p]
        if len(state) == 0:
            lr = group["lr"]
            state["step"] = scalar_state(0.0)
            state["eta"] = scalar_state(float(lr) if isinstance(lr, Tensor) else lr)
            state["mu"] = scalar_state(1.0)
            state["ax"] = _creation.zeros_like(p)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        with _autograd.no_grad():
            for group in self.param_groups:
                params = [p for p in group["params"] if p.grad is not None]
                for p in params:        # as torch: every state is made before the first update
                    self._init_state(p, group)
                for p in params:
                    if group["capturable"]:
                        raise AssertionError("If capturable=True, params, mus, etas, and state_steps must be on "
                                             f"supported devices: {_CAPTURABLE_DEVICES}.")
                    self._update(p, p.grad, self.state[p], group)
        return loss

    @staticmethod
    def _update(p, grad, state, group):
        lambd, alpha, t0, wd = group["lambd"], group["alpha"], group["t0"], group["weight_decay"]
        lr = group["lr"]
        if isinstance(lr, Tensor) and lr.dim() != 0:
            lr = lr.squeeze()
        step_t, eta, mu, ax = state["step"], state["eta"], state["mu"], state["ax"]
        if group["maximize"]:
            grad = -grad
        step_t.add_(1)
        if wd != 0:
            grad = _added(grad, p, wd)
        # torch reads eta into a Python float and steps with it (see step_value)
        p.mul_(step_value(eta, lambda e: 1 - lambd * e, p))
        _add_scaled_(p, grad, step_value(eta, lambda e: -e, p))
        # torch averages while mu != 1 and copies the parameter while mu == 1 (all steps up to t0).
        # Both in one expression chosen by a where, so that a captured step replays either.
        averaged = ax + (p - ax).mul_(mu)
        averaging = step_value(mu, lambda m: float(m != 1), mu) > 0
        ax.copy_(_where(averaging, averaged, p))
        if isinstance(lr, Tensor):
            # torch's arithmetic on the tensor lr, in lr's dtype (step_t holds the step count exactly)
            eta.copy_(lr / ((1 + lambd * lr * step_t) ** alpha))
        else:
            eta.copy_(step_value(step_t, lambda s: lr / ((1 + lambd * lr * s) ** alpha), eta))
        mu.copy_(step_value(step_t, lambda s: 1 / max(1, s - t0), mu))


# torch's add(other, alpha=a) rounds once (a fused multiply-add) in float64 as in float32; the shared helpers
# (optimizer.add, add_) do that in float32 only, so float64 takes _fma_f64 here.

def _is_f64(*tensors):
    return all(t.dtype == _dtype.float64 for t in tensors)


def _fma_f64_of(a, b, c):
    return _creation.from_numpy(_fma_f64(a.detach().numpy(), b.detach().numpy() if isinstance(b, Tensor) else b,
                                         c.detach().numpy()))


def _added(base, other, alpha):
    """``base.add(other, alpha=alpha)`` for a number ``alpha``, as a new tensor."""
    return _fma_f64_of(other, alpha, base) if _is_f64(base, other) else add(base, other, alpha)


def _add_scaled_(p, grad, alpha):
    """``p.add_(grad, alpha=alpha)`` for a 0-d tensor ``alpha``."""
    if _is_f64(p, grad):
        return p.copy_(_fma_f64_of(grad, alpha, p))
    return addcmul_(p, grad, alpha)


# -- a float64 fused multiply-add in NumPy (Boldo & Melquiond, "Emulation of FMA and correctly rounded sums:
# proved algorithms using rounding to odd", 2008): the exact product as two doubles (Dekker), added to c exactly
# (Knuth's two-sum), the low parts summed with rounding to odd, then one rounding to nearest. Exact for operands
# away from overflow and underflow, which covers an optimizer's parameters and gradients.

def _two_sum(a, b):
    s = a + b
    b_part = s - a
    return s, (a - (s - b_part)) + (b - b_part)


def _split(a):
    c = 134217729.0 * a          # 2**27 + 1
    hi = c - (c - a)
    return hi, a - hi


def _two_product(a, b):
    p = a * b
    a_hi, a_lo = _split(a)
    b_hi, b_lo = _split(b)
    return p, ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo


def _round_to_odd_sum(a, b):
    """a + b rounded to odd: exact sums as they are, the others to the neighbour with an odd last bit."""
    s, err = _two_sum(a, b)
    even = (s.view(np.int64) & 1) == 0
    toward = np.nextafter(s, np.where(err > 0, np.inf, -np.inf))
    return np.where((err != 0) & even, toward, s)


@replay.kernel
def _fma_f64(a, b, c):
    """a * b + c rounded once, for float64 arrays (b may be 0-d)."""
    a, b = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(b, np.float64))
    prod_hi, prod_lo = _two_product(a, b)
    sum_hi, sum_lo = _two_sum(c, prod_hi)
    return sum_hi + _round_to_odd_sum(sum_lo, prod_lo)
