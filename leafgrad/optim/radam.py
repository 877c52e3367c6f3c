"""RAdam with torch's single-tensor update order."""
from .. import autograd as _autograd
from .. import _creation
from .optimizer import Optimizer, addcmul_, scalar_state, step_value, where as _where
from .adam import _check_adam_args

__all__ = ["RAdam"]


class RAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        with _autograd.no_grad():
            for group in self.param_groups:
                beta1, beta2 = group["betas"]
                lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
                decoupled, maximize = group["decoupled_weight_decay"], group["maximize"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = scalar_state(0.0)
                        state["exp_avg"] = _creation.zeros_like(p)
                        state["exp_avg_sq"] = _creation.zeros_like(p)
                    exp_avg, exp_avg_sq, step_t = state["exp_avg"], state["exp_avg_sq"], state["step"]
                    grad = p.grad if not maximize else -p.grad
                    step_t.add_(1)
                    if wd != 0:
                        if decoupled:
                            p.mul_(1 - lr * wd)
                        else:
                            grad = grad.add(p, alpha=wd)
                    exp_avg.lerp_(grad, 1 - beta1)
                    addcmul_(exp_avg_sq.mul_(beta2), grad, grad, value=1 - beta2)

                    # PyTorch's Python numbers from the step count (see step_value).
                    rho_inf = 2 / (1 - beta2) - 1

                    def rho(step):
                        return rho_inf - 2 * step * (beta2 ** step) / (1 - beta2 ** step)

                    def rect(step):   # 1.0 while the variance is not tractable yet
                        r = rho(step)
                        return ((r - 4) * (r - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * r)) ** 0.5 \
                            if r > 5.0 else 1.0

                    bias_corrected_exp_avg = exp_avg / step_value(step_t, lambda s: 1 - beta1 ** s, p)
                    # PyTorch steps without the adaptive factor and rect while rho_t <= 5. Both
                    # updates are one expression here, with those factors 1.0 then (which changes
                    # no bit), so that a captured step replays every step. (number / tensor is
                    # reciprocal(tensor) * number, as for the Python number PyTorch divides by.)
                    adaptive = exp_avg_sq.sqrt().add_(eps).reciprocal() * step_value(
                        step_t, lambda s: (1 - beta2 ** s) ** 0.5, p)
                    tractable = step_value(step_t, lambda s: float(rho(s) > 5.0), p) > 0
                    adaptive = _where(tractable, adaptive, _creation.ones_like(adaptive))
                    p.add_(bias_corrected_exp_avg * lr * adaptive * step_value(step_t, rect, p), alpha=-1.0)
        return loss
