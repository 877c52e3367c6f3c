"""ASGD (averaged SGD) with torch's single-tensor (foreach=False) update order."""
from .._tensor import Tensor
from .. import autograd as _autograd
from .. import _creation
from .optimizer import Optimizer, addcmul_, scalar_state, step_value, where as _where
from .rprop import _CAPTURABLE_DEVICES, _check_lr

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
            grad = grad.add(p, alpha=wd)
        # torch reads eta into a Python float and steps with it (see step_value)
        p.mul_(step_value(eta, lambda e: 1 - lambd * e, p))
        addcmul_(p, grad, step_value(eta, lambda e: -e, p))   # p.add_(grad, alpha=-eta)
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
