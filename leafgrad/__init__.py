"""leafgrad: PyTorch's autograd on NumPy. ``import leafgrad as torch``."""
import warnings as _warnings

# NumPy reports floating-point events (log(0), 0/0, overflow to inf) as RuntimeWarnings;
# PyTorch computes the same inf and nan silently. Silenced only where leafgrad's own code
# (its ops, formulas and replayed tapes) runs NumPy, not in the user's NumPy code.
_warnings.filterwarnings("ignore", message=".* encountered in ", category=RuntimeWarning, module=r"leafgrad(\.|$)")

from . import _dtype  # noqa: E402
from ._dtype import (bool, double, dtype, float, float16, float32, float64, get_default_dtype, half, int,  # noqa: F401
                     int8, int16, int32, int64, long, set_default_dtype, short, uint8)
from ._size import Size  # noqa: F401
from ._tensor import Tensor, device  # noqa: F401
from ._tensor_str import set_printoptions, get_printoptions  # noqa: F401
from ._creation import (tensor, as_tensor, from_numpy, zeros, ones, empty, full, eye, arange, linspace,  # noqa: F401
                        zeros_like, ones_like, empty_like, full_like, rand, randn, randint, rand_like, randn_like,
                        randint_like, randperm, normal, bernoulli, multinomial)
from . import autograd  # noqa: F401
from .autograd import (no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode,  # noqa: F401
                       is_inference_mode_enabled, is_anomaly_enabled, is_anomaly_check_nan_enabled)
from . import ops as _ops

globals().update(_ops.namespace(""))
from . import linalg, nn, return_types, special  # noqa: E402,F401
from . import optim, utils, _random_methods  # noqa: E402,F401
from . import func  # noqa: E402,F401
from . import replay  # noqa: E402,F401
from .serialization import save, load  # noqa: E402,F401

_RANDOM_NAMES = {"manual_seed", "seed", "initial_seed", "Generator", "default_generator", "get_rng_state",
                 "set_rng_state"}


def __getattr__(name):
    # The generator module is imported on first use of the random API.
    if name in _RANDOM_NAMES:
        from . import _random
        return getattr(_random, name)
    raise AttributeError(f"module 'leafgrad' has no attribute '{name}'")


def result_type(tensor1, tensor2):
    return _dtype.result_type_of([tensor1, tensor2])


def promote_types(type1, type2):
    return _dtype.promote_types(type1, type2)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.is_floating_point()


def numel(input):
    return input.numel()


__version__ = "0.1.0"
from .func import vmap  # noqa: E402,F401
