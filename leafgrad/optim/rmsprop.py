"""RMSprop with torch's single-tensor update order."""
from .. import autograd as _autograd
from .. import _creation
from .optimizer import Optimizer, addcdiv_, addcmul, addcmul_, scalar_state

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        with _autograd.no_grad():
            for group in self.param_groups:
                lr, alpha, eps, wd = group["lr"], group["alpha"], group["eps"], group["weight_decay"]
                momentum, centered, maximize = group["momentum"], group["centered"], group["maximize"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = scalar_state(0.0)
                        state["square_avg"] = _creation.zeros_like(p)
                        if momentum > 0:
                            state["momentum_buffer"] = _creation.zeros_like(p)
                        if centered:
                            state["grad_avg"] = _creation.zeros_like(p)
                    grad = p.grad if not maximize else -p.grad
                    square_avg = state["square_avg"]
                    state["step"].add_(1)
                    if wd != 0:
                        grad = grad.add(p, alpha=wd)
                    addcmul_(square_avg.mul_(alpha), grad, grad, value=1 - alpha)
                    if centered:
                        grad_avg = state["grad_avg"]
                        grad_avg.lerp_(grad, 1 - alpha)
                        avg = addcmul(square_avg, grad_avg, grad_avg, value=-1).sqrt_()
                    else:
                        avg = square_avg.sqrt()
                    avg = avg.add_(eps)
                    if momentum > 0:
                        buf = state["momentum_buffer"]
                        addcdiv_(buf.mul_(momentum), grad, avg)
                        p.add_(buf, alpha=-lr)
                    else:
                        addcdiv_(p, grad, avg, value=-lr)
        return loss
