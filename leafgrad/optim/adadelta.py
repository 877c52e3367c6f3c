"""Adadelta with torch's single-tensor update order."""
from .. import autograd as _autograd
from .. import _creation
from .optimizer import Optimizer, addcmul_, scalar_state, to_scalar

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        with _autograd.no_grad():
            for group in self.param_groups:
                lr, rho, eps, wd, maximize = (to_scalar(group["lr"]), group["rho"], group["eps"], group["weight_decay"],
                                              group["maximize"])
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = scalar_state(0.0)
                        state["square_avg"] = _creation.zeros_like(p)
                        state["acc_delta"] = _creation.zeros_like(p)
                    square_avg, acc_delta = state["square_avg"], state["acc_delta"]
                    state["step"].add_(1)
                    grad = p.grad if not maximize else -p.grad
                    if wd != 0:
                        grad = grad.add(p, alpha=wd)
                    addcmul_(square_avg.mul_(rho), grad, grad, value=1 - rho)
                    std = square_avg.add(eps).sqrt_()
                    delta = acc_delta.add(eps).sqrt_()
                    delta.div_(std).mul_(grad)
                    addcmul_(acc_delta.mul_(rho), delta, delta, value=1 - rho)
                    p.add_(delta, alpha=-lr)
        return loss
