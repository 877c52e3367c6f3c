"""In-place ops on views: the base's history is rewritten to go through the change
(PyTorch's CopySlices), knowing nothing of the op, only how to replay the view."""
import numpy as np

from .. import _tape
from .._tensor import replay_view, wrap
from ..autograd.graph import Node, _next_seq, gradient_edge
from ._declare import _INTERNAL_OVERLAP, _writable, constant, shows_twice


class CopySlices(Node):
    """New history of a base after an in-place op on one of its views: the view's region
    takes the gradient of the op's result, the rest flows to the old base."""

    __slots__ = ("_view_fn", "_mask", "_overlap")
    _cname = "torch::autograd::CopySlices"

    def _apply(self, grads, graph):
        if self._overlap:   # (an expanded view that fill_ wrote: PyTorch's copy of its gradient refuses it)
            raise RuntimeError(_INTERNAL_OVERLAP)
        g = grads[0]
        # (on arrays, a captured step notes the where; on Tensors the ops note themselves)
        g_base = np.where(self._mask, 0, g) if graph else _tape.call(np.where, self._mask, 0, g)
        g_view = replay_view(self._view_fn, g if graph else wrap(g))
        return (g_base, g_view if graph else g_view._data)


def rebase_view(view, result):
    base = view._base
    with _tape.paused():   # (the mask follows from shapes alone: a constant of the graph)
        mask = np.zeros(base._data.shape, dtype=bool)
        _writable(replay_view(view._view_fn, wrap(mask))._data)[...] = True   # (an expanded view too)
    constant(mask)
    node = CopySlices()
    node._next = (gradient_edge(base) if base._requires_grad else None,
                  (result._grad_fn, result._out_nr))
    node._key = -_next_seq()
    node._meta = ((base._data.shape, base._data.dtype),)
    node._view_fn = view._view_fn
    node._mask = mask
    node._overlap = shows_twice(view._data)
    base._grad_fn = node
    base._out_nr = 0
    base._requires_grad = True
