"""torch.linalg: the ops declared under the "linalg." prefix."""
from .ops import namespace as _namespace

globals().update(_namespace("linalg."))
