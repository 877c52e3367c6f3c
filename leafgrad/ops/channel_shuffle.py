"""torch.channel_shuffle (= nn.functional.channel_shuffle): channels split into ``groups``
groups and interleaved, (N, g * k, *) -> (N, k * g, *). One ATen op with its own node,
ChannelShuffleBackward0; its derivative is the shuffle back, by C / groups groups."""
import numpy as np

from ._declare import declare, FUNCTIONS
from ._samples import T, sample


def _shuffle_fwd(a, groups):
    n, c, *rest = a.shape
    # (N, g, C/g, *) -> (N, C/g, g, *): the channel that was k-th of group i becomes i-th of group k
    x = a.reshape(n, groups, c // groups, *rest).swapaxes(1, 2)
    return np.ascontiguousarray(x).reshape(a.shape)


_shuffle = declare(
    "channel_shuffle", _shuffle_fwd, node="ChannelShuffleBackward0", public=False,
    samples=[sample(T(2, 6, 3), 3, call="channel_shuffle"),
             sample(T(1, 4, 2, 3), 2, call="nn.functional.channel_shuffle"),
             sample(T(2, 6, 1, 2, 1), 6, call="channel_shuffle"),
             sample(T(1, 3, 2), 1, call="channel_shuffle")],
    self=lambda grad, groups: _shuffle(grad, groups=grad.shape[1] // groups))


def channel_shuffle(input, groups):
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)):
        raise TypeError(f"channel_shuffle(): argument 'groups' (position 2) must be int, not {type(groups).__name__}")
    if input.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes "
                           f"{list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    if input.shape[1] % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {input.shape[1]} channels and "
                           f"{groups} groups.")
    return _shuffle(input, groups=int(groups))


FUNCTIONS["channel_shuffle"] = FUNCTIONS["nn.functional.channel_shuffle"] = channel_shuffle
