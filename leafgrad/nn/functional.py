"""torch.nn.functional: the ops declared under the "nn.functional." prefix."""
from ..ops import namespace as _namespace

globals().update(_namespace("nn.functional."))
