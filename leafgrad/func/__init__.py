"""torch.func: composable function transforms (grad, vjp, jvp, jacrev, jacfwd, hessian,
functional_call) and vmap."""
from ._transforms import (functional_call, grad, grad_and_value, hessian, jacfwd, jacrev, jvp,  # noqa: F401
                          vjp)
from ._vmap import vmap  # noqa: F401

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "functional_call", "vmap"]
