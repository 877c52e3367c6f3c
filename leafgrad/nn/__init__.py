"""torch.nn: modules, parameters, initialisation and functional ops."""
from .. import _random_methods  # noqa: F401  (Tensor.uniform_, normal_, ... used by init)
from . import functional  # noqa: F401
from . import init  # noqa: F401
from .parameter import Parameter, Buffer, UninitializedParameter, UninitializedBuffer  # noqa: F401
from .modules import *  # noqa: F401,F403
from . import utils  # noqa: F401
