"""torch.nn.Parameter: a leaf tensor that modules register as a parameter."""
from .._tensor import Tensor


class Parameter(Tensor):
    """A Tensor that, assigned as a Module attribute, is added to its parameters."""

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from .. import empty
            data = empty(0)
        out = object.__new__(cls)
        out._adopt(data.detach())
        if requires_grad and not data.is_floating_point():
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        out.requires_grad_(requires_grad)
        return out

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (self.detach(), self.requires_grad))


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)


class Buffer(Tensor):
    """torch.nn.Buffer: marks a tensor to be registered as a buffer on assignment."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            from .. import empty
            data = empty(0)
        out = object.__new__(cls)
        out._adopt(data.detach())
        out.persistent = persistent
        return out

    def __init__(self, data=None, *, persistent=True):
        pass
