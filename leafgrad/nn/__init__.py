"""torch.nn (functional part so far)."""
from . import functional  # noqa: F401
