"""Every differentiable op, each declared once (see _declare.py). Importing this
package installs the ops' methods on Tensor and fills FUNCTIONS, from which the
namespaces (``leafgrad``, ``leafgrad.linalg``, ``leafgrad.nn.functional``) are built."""
from . import compare, pointwise, reduction, shape, linalg  # noqa: F401
from . import unary, binary, stats, sorting, matrix, decomp, reshaping, indexing  # noqa: F401
from . import activation, loss, conv, normalization  # noqa: F401
from . import nn_extra, extra  # noqa: F401
from . import distance  # noqa: F401
from . import sampling  # noqa: F401
from . import embedding_bag, channel_shuffle  # noqa: F401
from . import lu  # noqa: F401
from . import tensor_extra  # noqa: F401
from . import stats_extra  # noqa: F401
from . import math_extra  # noqa: F401
from . import special  # noqa: F401
from ._declare import FUNCTIONS, REGISTRY  # noqa: F401


def namespace(prefix):
    """The public functions registered under ``prefix`` (e.g. "linalg."), unprefixed."""
    return {name[len(prefix):]: fn for name, fn in FUNCTIONS.items()
            if name.startswith(prefix) and "." not in name[len(prefix):] and not name[len(prefix):].startswith("_")}
from . import special_fns  # noqa: F401
from . import strided  # noqa: F401
