"""NAdam with torch's single-tensor update order."""
from .. import autograd as _autograd
from .. import _creation
from .optimizer import Optimizer, add, addcdiv_, addcmul_, lerp_, scalar_state
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
                    step = step_t.item()
                    bias_correction2 = 1 - beta2 ** step
                    if wd != 0:
                        if decoupled:
                            p.mul_(1 - lr * wd)
                        else:
                            grad = add(grad, p, wd)
                    mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
                    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
                    mu_product.mul_(mu)
                    lerp_(exp_avg, grad, 1 - beta1)
                    addcmul_(exp_avg_sq.mul_(beta2), grad, grad, value=1 - beta2)
                    denom = exp_avg_sq.div(bias_correction2).sqrt()
                    mp = mu_product.item()
                    mu_product_next = mp * mu_next
                    denom.add_(eps)
                    addcdiv_(p, grad, denom, value=(-lr * (1.0 - mu) / (1.0 - mp)))
                    addcdiv_(p, exp_avg, denom, value=(-lr * mu_next) / (1.0 - mu_product_next))
        return loss
