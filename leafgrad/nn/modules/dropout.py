"""Dropout, Dropout1d, Dropout2d."""
import warnings

import leafgrad
from .. import functional as F
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d"]


class _DropoutNd(Module):
    __constants__ = ["p", "inplace"]

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)


def _feature_dropout(input, p, training):
    """ATen's feature_dropout: one Bernoulli(1 - p) draw per (batch, channel), scaled by 1/(1 - p)."""
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        return input * leafgrad.zeros((), dtype=input.dtype)
    noise_shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)
    noise = leafgrad.empty(noise_shape, dtype=input.dtype).bernoulli_(1 - p)
    noise.div_(1 - p)
    return input * noise


class Dropout1d(_DropoutNd):
    def forward(self, input):
        inp_dim = input.dim()
        if inp_dim not in (2, 3):
            raise RuntimeError(
                f"dropout1d: Expected 2D or 3D input, but received a {inp_dim}D input. Note that dropout1d "
                "exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel "
                "dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
        if inp_dim == 2:
            return _feature_dropout(input.unsqueeze(0), self.p, self.training).squeeze(0)
        return _feature_dropout(input, self.p, self.training)


class Dropout2d(_DropoutNd):
    def forward(self, input):
        inp_dim = input.dim()
        if inp_dim not in (3, 4):
            warnings.warn(
                f"dropout2d: Received a {inp_dim}-D input to dropout2d, which is deprecated and will result in "
                "an error in a future release. To retain the behavior and silence this warning, please use "
                "dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D "
                "inputs).", stacklevel=2)
        if inp_dim == 3:
            warnings.warn(
                "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior "
                "is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This "
                "behavior will change in a future release to interpret the input as one without a batch "
                "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please "
                "switch to using dropout1d instead.", stacklevel=2)
        return _feature_dropout(input, self.p, self.training)
