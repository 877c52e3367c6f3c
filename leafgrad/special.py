"""torch.special: the ops registered under the "special." prefix."""
from .ops import namespace as _namespace

globals().update(_namespace("special."))
