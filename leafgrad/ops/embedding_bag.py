"""nn.functional.embedding_bag: sums, means or maxima of bags of embedding rows.

The Python wrapper does what ATen's checks do and turns input/offsets into plain NumPy
arrays, one entry per looked-up index: the row it reads (``indices``), the bag it falls in
(``bags``) and the factor it is added with (``coef``: 1 for sum, 1/bag size for mean, 0 for
padding entries). The declared ops then need no loops: a sum or mean bag is a scatter-add
of scaled rows, a max bag gathers, per column, its largest row. The three ops (sum/mean,
max, sum with per_sample_weights) all show PyTorch's one node, EmbeddingBagBackward0; the
last also differentiates with respect to the weights.
"""
import warnings

import numpy as np

from ._declare import declare, FUNCTIONS, refuse_batched
from ._samples import T, sample
from .._tensor import Tensor, _LEGACY_NAMES
from . import activation as _act

F = "nn.functional."
_MODES = ("sum", "mean", "max")


# ---------------------------------------------------------------- forward kernels
def _bag_sum(rows, bags, num_bags, dim, dtype):
    out = np.zeros((num_bags, dim), dtype)
    np.add.at(out, bags, rows)
    return out


def _max_rows(weight, indices, bags, used, num_bags):
    """Per bag and column, the row holding the bag's largest value (the first of ties; -1 for
    an empty bag)."""
    vals = np.where(used[:, None], weight[indices], -np.inf)
    best = np.full((num_bags, weight.shape[1]), -np.inf, weight.dtype)
    np.maximum.at(best, bags, vals)
    winner = used[:, None] & (vals == best[bags])
    pos = np.where(winner, np.arange(indices.size)[:, None], indices.size)
    first = np.full(best.shape, indices.size, np.int64)
    np.minimum.at(first, bags, pos)
    return np.where(first < indices.size, np.append(indices, -1)[np.minimum(first, indices.size)], -1)


def _bag_max(weight, max_rows):
    """Per bag and column, the value of the winning row; 0 for empty bags."""
    cols = np.arange(weight.shape[1])
    found = max_rows >= 0
    return np.where(found, weight[np.where(found, max_rows, 0), cols], 0).astype(weight.dtype)


def _max_fwd(weight, *, indices, bags, coef, num_bags):
    max_rows = _max_rows(weight, indices, bags, coef > 0, num_bags)
    return _bag_max(weight, max_rows), max_rows


def _fwd(weight, *, indices, bags, coef, num_bags, freq):
    rows = weight[indices] * coef.astype(weight.dtype)[:, None]
    return _bag_sum(rows, bags, num_bags, weight.shape[1], weight.dtype)


def _weighted_fwd(weight, per_sample_weights, *, indices, bags, coef, num_bags, freq):
    rows = weight[indices] * (per_sample_weights * coef.astype(weight.dtype))[:, None]
    return _bag_sum(rows, bags, num_bags, weight.shape[1], weight.dtype)


# ---------------------------------------------------------------- derivative formulas
# Written with indexing, products and embedding's dense backward (a scatter-add), which
# arrays and Tensors both answer, so the plain and the create_graph backward share them.
def _cast_like(arr, x):
    """The constant array ``arr`` in the dtype of ``x`` (an array or a Tensor)."""
    return arr.astype(x._data.dtype if isinstance(x, Tensor) else x.dtype)


def _scatter_rows(rows, indices, num_rows):
    return _act.embedding_backward(rows, indices=indices, num_weights=num_rows, padding_idx=-1)


def _grad_rows(grad, bags, factor):
    """Each entry's share of its bag's gradient: grad[bag] * factor."""
    return grad[bags] * factor[:, None]


def _freq_scaled(coef, indices, freq):
    return coef if freq is None else coef / freq[indices]


def _weight_grad(grad, weight_shape, indices, bags, coef, freq):
    factor = _cast_like(_freq_scaled(coef, indices, freq), grad)
    return _scatter_rows(_grad_rows(grad, bags, factor), indices, weight_shape[0])


def _max_weight_grad(grad, weight_shape, max_indices):
    """Each bag's gradient goes, per column, to the row that won the max."""
    num, dim = weight_shape
    max_rows = max_indices._data if isinstance(max_indices, Tensor) else np.asarray(max_indices)
    found = max_rows >= 0
    flat = (np.where(found, max_rows, 0) * dim + np.arange(dim)).reshape(-1)
    g = (grad * _cast_like(found, grad)).reshape(-1, 1)
    return _scatter_rows(g, flat, num * dim).reshape(num, dim)


def _weighted_weight_grad(grad, weight_shape, per_sample_weights, indices, bags, coef, freq):
    factor = per_sample_weights * _cast_like(_freq_scaled(coef, indices, freq), grad)
    return _scatter_rows(_grad_rows(grad, bags, factor), indices, weight_shape[0])


def _sample_weights_grad(grad, weight, indices, bags, coef):
    return (grad[bags] * weight[indices]).sum(-1) * _cast_like(coef, grad)


_bag = declare(
    "embedding_bag", _fwd, inputs=("weight",), node="EmbeddingBagBackward0", public=False,
    weight=_weight_grad,
    samples=[sample(T(2, 3, dtype="int64", low=0, high=5, grad=False), T(5, 4), mode="sum", call=F + "embedding_bag"),
             sample(T(2, 3, dtype="int64", low=0, high=5, grad=False), T(5, 4), call=F + "embedding_bag"),
             sample(T(values=[0, 2, 1, 4, 4, 3], dtype="int64", grad=False), T(5, 4),
                    T(values=[0, 2, 2], dtype="int64", grad=False), mode="mean", padding_idx=4,
                    call=F + "embedding_bag", smooth=False),
             sample(T(values=[0, 2, 1, 4, 4, 3], dtype="int64", grad=False), T(5, 4),
                    T(values=[0, 2, 2, 3], dtype="int64", grad=False), mode="sum", include_last_offset=True,
                    scale_grad_by_freq=True, call=F + "embedding_bag", smooth=False)])  # (not a true gradient)

# max: a second output, the winning row per bag and column, is what backward keeps (as in
# PyTorch: not the weight, which max_norm may rescale in place before backward runs).
_max_bag = declare(
    "embedding_bag_max", _max_fwd, inputs=("weight",), node="EmbeddingBagBackward0", public=False,
    outputs=("result", "max_indices"),
    weight=_max_weight_grad,
    samples=[sample(T(2, 3, dtype="int64", low=0, high=5, grad=False), T(5, 4), mode="max",
                    call=F + "embedding_bag", smooth=False),
             sample(T(values=[0, 2, 1, 4, 4, 3], dtype="int64", grad=False), T(5, 4),
                    T(values=[0, 2, 2, 6], dtype="int64", grad=False), mode="max", include_last_offset=True,
                    padding_idx=1, call=F + "embedding_bag", smooth=False)])

_weighted_bag = declare(
    "embedding_bag_weighted", _weighted_fwd, inputs=("weight", "per_sample_weights"),
    node="EmbeddingBagBackward0", public=False,
    weight=_weighted_weight_grad, per_sample_weights=_sample_weights_grad,
    samples=[sample(T(values=[0, 2, 1, 4, 4, 3], dtype="int64", grad=False), T(5, 4),
                    T(values=[0, 2, 2], dtype="int64", grad=False), mode="sum", per_sample_weights=T(6),
                    call=F + "embedding_bag", smooth=False),  # (PyTorch has no double backward here)
             sample(T(2, 3, dtype="int64", low=0, high=5, grad=False), T(5, 4), mode="sum",
                    per_sample_weights=T(2, 3), padding_idx=2, call=F + "embedding_bag", smooth=False)])


# ---------------------------------------------------------------- checks (ATen's wording)
def _type_name(t):
    return f"torch.{_LEGACY_NAMES[t._data.dtype.name]}Tensor"


def _check_index_dtype(t):
    if t._data.dtype.kind not in "iu":
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {_type_name(t)} instead (while checking arguments for embedding_bag)")


def _check_offsets(offsets, length, include_last_offset, fast):
    off = offsets._data
    if include_last_offset and not off.size:
        raise RuntimeError("include_last_offset: number of offset should be at least 1")
    if off.size and off[0] != 0:
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {off[0]}\n[ {_type_name(offsets)}{{}} ]")
    if off.size and off[-1] > length:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {length} but got "
                           f"offsets[-1] of {off[-1]}")
    if np.any(np.diff(off) < 0):
        # (PyTorch's other kernels do not check; leafgrad refuses decreasing offsets everywhere)
        if fast and include_last_offset:
            raise RuntimeError("Your input appears to be incorrect: the last offset value should be the size of "
                               "the indices tensor, but it seems not to be the case.")
        raise RuntimeError("Expected i < index_size to be true, but got false.  (Could this error message be "
                           "improved?  If so, please report an enhancement request to PyTorch.)")


def _check_indices(idx, num, fast):
    bad = np.flatnonzero((idx < 0) | (idx >= num))
    if not bad.size:
        return
    if fast:
        raise RuntimeError(f"Index {bad[0]} of input takes value {idx[bad[0]]} which is not in the valid "
                           f"range [0, {num})")
    raise RuntimeError(f"embedding_bag: Expected idx >= 0 && idx < num_embeddings but found idx to be {idx[bad[0]]}")


def _fast_kernel(weight, mode, padding_idx):
    """Whether PyTorch runs its float32 sum/mean kernel, whose checks word errors differently."""
    return weight._data.dtype == np.float32 and mode != "max" and padding_idx is None


def _padding_index(padding_idx, num):
    """padding_idx as a row number (-1: none), after ATen's range check."""
    if padding_idx is None:
        return -1
    if not -num <= padding_idx < num:
        raise RuntimeError(f"padding_idx must be within the number of embeddings, -{num} through {num - 1}, "
                           f"but got {padding_idx}")
    return padding_idx % num


# ---------------------------------------------------------------- bag layout
def _bag_of_entries(starts, length):
    """The bag of each entry (by its position among the bag starts)."""
    return np.searchsorted(starts, np.arange(length), side="right") - 1


def _layout(idx, off, include_last_offset, padding_idx):
    """(bags, used, num_bags): each entry's bag, whether it counts, and the number of bags."""
    num_bags = off.size - 1 if include_last_offset else off.size
    bags = _bag_of_entries(off, idx.size) if off.size else np.zeros(idx.size, np.int64)
    # As PyTorch's CPU kernel does, the last bag runs to the end of the input even where
    # include_last_offset puts its end earlier.
    used = (idx != padding_idx) & (num_bags > 0)
    bags = np.clip(bags, 0, max(num_bags - 1, 0))
    return bags, used, num_bags


def _mean_coef(bags, used, num_bags):
    """1 / (entries that count in the entry's bag), 0 for entries that do not count."""
    sizes = np.bincount(bags[used], minlength=max(num_bags, 1))
    return np.where(used, 1.0 / np.maximum(sizes[bags], 1), 0.0)


def _frequencies(idx, num):
    """The count each row's gradient is divided by under scale_grad_by_freq, per row.

    PyTorch's CPU kernel walks the distinct indices in sorted order and, for the r-th of
    them, divides by the count of ``sorted(indices)[r]`` rather than of the index itself;
    the same numbers come out here."""
    counts = np.bincount(idx, minlength=num)
    distinct = np.unique(idx)
    freq = np.ones(num)
    freq[distinct] = counts[np.sort(idx)[:distinct.size]]
    return freq


def _renorm_rows(weight, idx, max_norm, norm_type):
    """torch.embedding_renorm_ without grad: rows looked up whose norm exceeds max_norm are
    scaled, in place, to max_norm."""
    rows = np.unique(idx)
    w = weight._data
    norms = np.sum(np.abs(w[rows]) ** norm_type, axis=1) ** (1.0 / norm_type)
    scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1).astype(w.dtype)
    w[rows] = w[rows] * scale[:, None]
    weight._vc[0] += 1


# ---------------------------------------------------------------- the public function
def _flatten_input(input, offsets, per_sample_weights, include_last_offset):
    """As F.embedding_bag does: a 2-D input is bags of equal length."""
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets)}")
        off = np.arange(0, input.numel(), max(input.shape[1], 1), dtype=np.int64)
        if input.shape[1] == 0:
            off = np.zeros(input.shape[0], np.int64)
        psw = per_sample_weights.reshape(-1) if per_sample_weights is not None else None
        return input._data.reshape(-1), off, psw, False
    if input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        return input._data, None, per_sample_weights, include_last_offset
    raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    if weight._data.dtype == np.int64 and input._data.dtype.kind == "f":
        # the argument order of old releases, embedding_bag(weight, input, ...)
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, "
                      "input, ...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.",
                      stacklevel=2)
        weight, input = input, weight
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, "
                         f"then it must have the same shape as the input ({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    idx, off, psw, include_last_offset = _flatten_input(input, offsets, per_sample_weights, include_last_offset)
    if mode not in _MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    _check_index_dtype(input)
    # The bag layout is read from the indices' values, and max_norm writes the table in place.
    refuse_batched("embedding_bag", input, offsets, *([weight] if max_norm is not None else []))
    if max_norm is not None:
        _renorm_rows(weight, idx.astype(np.int64) % max(weight.shape[0], 1), max_norm, norm_type)
    if psw is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                                  "on GitHub.")
    fast = _fast_kernel(weight, mode, padding_idx)
    if off is None:
        _check_index_dtype(offsets)
        _check_offsets(offsets, idx.size, include_last_offset, fast)
        off = offsets._data.astype(np.int64)
    if psw is not None and psw._data.dtype != weight._data.dtype:
        raise RuntimeError("Expected tensor for argument #1 'weight' to have the same type as tensor for argument "
                           f"#1 'per_sample_weights'; but type {_type_name(weight)} does not equal "
                           f"{_type_name(psw)} (while checking arguments for embedding_bag)")
    num = weight.shape[0]
    pad = _padding_index(padding_idx, num)
    idx = idx.astype(np.int64)
    _check_indices(idx, num, fast)
    bags, used, num_bags = _layout(idx, off, include_last_offset, pad)
    freq = _frequencies(idx, num) if scale_grad_by_freq else None
    if num_bags == 0:       # (include_last_offset with a single offset: no bag reads anything)
        idx, bags, used = idx[:0], bags[:0], used[:0]
        psw = psw[:0] if psw is not None else None
    if psw is not None:
        return _weighted_bag(weight, psw, indices=idx, bags=bags, coef=used.astype(np.float64),
                             num_bags=num_bags, freq=freq)
    coef = _mean_coef(bags, used, num_bags) if mode == "mean" else used.astype(np.float64)
    if mode == "max":
        return _max_bag(weight, indices=idx, bags=bags, coef=coef, num_bags=num_bags)[0]
    return _bag(weight, indices=idx, bags=bags, coef=coef, num_bags=num_bags, freq=freq)


FUNCTIONS[F + "embedding_bag"] = embedding_bag
