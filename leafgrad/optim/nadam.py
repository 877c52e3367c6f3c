"""NAdam with torch's single-tensor update order."""
from .. import autograd as _autograd
from .. import _creation
from .optimizer import Optimizer, addcdiv_, addcmul_, scalar_state, step_value
from .adam import _check_adam_args

__all__ = ["NAdam"]


class NAdam(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        with _autograd.no_grad():
            for group in self.param_groups:
                beta1, beta2 = group["betas"]
                lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
                momentum_decay, decoupled = group["momentum_decay"], group["decoupled_weight_decay"]
                maximize = group["maximize"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = scalar_state(0.0)
                        state["mu_product"] = scalar_state(1.0)
                        state["exp_avg"] = _creation.zeros_like(p)
                        state["exp_avg_sq"] = _creation.zeros_like(p)
                    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                    mu_product, step_t = state["mu_product"], state["step"]
                    grad = p.grad if not maximize else -p.grad
                    step_t.add_(1)
                    if wd != 0:
                        if decoupled:
                            p.mul_(1 - lr * wd)
                        else:
                            grad = grad.add(p, alpha=wd)

                    # The Python numbers of PyTorch's update, from the step count and the
                    # running product of the momentum factors (see step_value).
                    def mu(step):
                        return beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))

                    def grad_factor(step, mp):
                        return -lr * (1.0 - mu(step)) / (1.0 - mp)

                    def avg_factor(step, mp):
                        return (-lr * mu(step + 1)) / (1.0 - mp * mu(step + 1))

                    mu_product.mul_(step_value(step_t, mu, mu_product))
                    exp_avg.lerp_(grad, 1 - beta1)
                    addcmul_(exp_avg_sq.mul_(beta2), grad, grad, value=1 - beta2)
                    denom = exp_avg_sq.div(step_value(step_t, lambda s: 1 - beta2 ** s, p)).sqrt()
                    denom.add_(eps)
                    addcdiv_(p, grad, denom, value=step_value(step_t, grad_factor, p, mu_product))
                    addcdiv_(p, exp_avg, denom, value=step_value(step_t, avg_factor, p, mu_product))
        return loss
