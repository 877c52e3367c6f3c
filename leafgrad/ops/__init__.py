"""Every differentiable op, each declared once (see _declare.py). Importing this
package installs the ops' methods on Tensor."""
from . import compare, pointwise, reduction, shape, linalg  # noqa: F401
from ._declare import FUNCTIONS, REGISTRY  # noqa: F401
