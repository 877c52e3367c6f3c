"""Adamax with torch's single-tensor update order."""
from .. import autograd as _autograd
from .. import _creation
from .optimizer import Optimizer, addcdiv_, scalar_state, step_value
from .adam import _check_adam_args, _maximum

__all__ = ["Adamax"]


class Adamax(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        with _autograd.no_grad():
            for group in self.param_groups:
                beta1, beta2 = group["betas"]
                lr, eps, wd, maximize = group["lr"], group["eps"], group["weight_decay"], group["maximize"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = scalar_state(0.0)
                        state["exp_avg"] = _creation.zeros_like(p)
                        state["exp_inf"] = _creation.zeros_like(p)
                    exp_avg, exp_inf, step_t = state["exp_avg"], state["exp_inf"], state["step"]
                    grad = p.grad if not maximize else -p.grad
                    step_t.add_(1)
                    if wd != 0:
                        grad = grad.add(p, alpha=wd)
                    exp_avg.lerp_(grad, 1 - beta1)
                    exp_inf.copy_(_maximum(exp_inf.mul_(beta2), grad.abs().add_(eps)))
                    addcdiv_(p, exp_avg, exp_inf, value=step_value(step_t, lambda s: -(lr / (1 - beta1 ** s)), p))
        return loss
