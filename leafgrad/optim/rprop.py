"""Rprop with torch's single-tensor (foreach=False) update order."""
from .._tensor import Tensor
from .. import autograd as _autograd
from .. import _creation
from .optimizer import Optimizer, addcmul_, check_tensor_lr, scalar_state, where as _where

__all__ = ["Rprop"]

# torch refuses capturable=True unless the parameters live on an accelerator; leafgrad has only the CPU.
_CAPTURABLE_DEVICES = ["cuda", "xpu", "hpu", "privateuseone", "xla"]


def _check_lr(lr):
    """torch's learning-rate checks, shared with ASGD (a tensor lr must hold one element)."""
    check_tensor_lr(lr)
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


class Rprop(Optimizer):
    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False,
                 foreach=None, maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
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
            state["step"] = scalar_state(0.0)
            state["prev"] = _creation.zeros_like(p)
            lr = group["lr"]
            state["step_size"] = _creation.full_like(p.grad, float(lr) if isinstance(lr, Tensor) else lr)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        with _autograd.no_grad():
            for group in self.param_groups:
                etaminus, etaplus = group["etas"]
                step_size_min, step_size_max = group["step_sizes"]
                params = [p for p in group["params"] if p.grad is not None]
                for p in params:        # as torch: every state is made before the first update
                    self._init_state(p, group)
                for p in params:
                    if group["capturable"]:
                        raise AssertionError("If capturable=True, params and state_steps must be on supported "
                                             f"devices: {_CAPTURABLE_DEVICES}.")
                    state = self.state[p]
                    grad = p.grad if not group["maximize"] else -p.grad
                    prev, step_size = state["prev"], state["step_size"]
                    state["step"].add_(1)
                    factor = _step_size_factor(grad.mul(prev).sign(), etaminus, etaplus)
                    step_size.mul_(factor).clamp_(step_size_min, step_size_max)
                    # where the gradient changed sign, this step does not move and the next one
                    # sees no previous sign
                    grad = _where(factor.eq(etaminus), 0, grad)
                    addcmul_(p, grad.sign(), step_size, value=-1)
                    prev.copy_(grad)
        return loss


def _step_size_factor(sign, etaminus, etaplus):
    """etaplus where the gradient kept its sign, etaminus where it flipped, 1 where either was 0
    (NaN stays NaN). Three wheres in torch's order, not masked writes: the same numbers, and
    the work has the same shape on every step (a captured step replays it)."""
    sign = _where(sign.gt(0), etaplus, sign)
    sign = _where(sign.lt(0), etaminus, sign)
    return _where(sign.eq(0), 1, sign)
