"""torch.special: PyTorch's SciPy-style names. Most are aliases of ops declared elsewhere,
and record the same nodes as in PyTorch (``special.expit`` records ``SigmoidBackward0``,
``special.gammaln`` ``LgammaBackward0``); ``special.i1`` is the op that ``i0``'s
derivative uses."""
from ._declare import FUNCTIONS
from .math_extra import special_i1

_ALIASES = {
    "expit": "sigmoid", "gammaln": "lgamma", "psi": "digamma", "multigammaln": "mvlgamma",
    **{name: name for name in ("digamma", "erf", "erfc", "erfinv", "exp2", "expm1", "i0", "log1p", "log_softmax",
                               "logit", "logsumexp", "polygamma", "sinc", "softmax", "xlogy")},
}

FUNCTIONS.update({"special." + name: FUNCTIONS[op] for name, op in _ALIASES.items()})
FUNCTIONS["special.i1"] = special_i1


def _round(input, *, decimals=0, out=None):
    """special.round always takes ``decimals`` (torch's round.decimals: RoundBackward1)."""
    return FUNCTIONS["round"](input, decimals=decimals, out=out)


FUNCTIONS["special.round"] = _round
