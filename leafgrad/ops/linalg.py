"""Matrix products. ``matmul`` is composed from the primitives as PyTorch composes it,
so its nodes (MmBackward0, MvBackward0, DotBackward0, BmmBackward0, views) match."""
import numpy as np

from ._declare import declare, FUNCTIONS
from .shape import squeeze_inplace_dim
from ._samples import T, sample
from .._tensor import Tensor, _LEGACY_NAMES, _C_TYPE_NAMES


def _check_dtypes(a, b, name):
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_C_TYPE_NAMES[a.dtype.name]} != "
                           f"{_C_TYPE_NAMES[b.dtype.name]}")


def _mm_forward(a, b):
    if a.ndim != 2:
        raise RuntimeError(f"self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
                           f"{b.shape[0]}x{b.shape[1]})")
    _check_dtypes(a, b, "mm")
    return np.matmul(a, b)


def mat1_t_grad(mat1, grad, transpose):
    """``transpose(mat1) @ grad``, the gradient of a right-hand matrix. On arrays it is
    computed as ``(grad.T @ mat1).T``: the same products, laid out so that after the
    transpose of a weight used as ``w.t()`` (nn.Linear) the gradient is C-contiguous, as
    PyTorch lays it out, and reaches ``.grad`` and the optimizer without a transposing copy.
    On Tensors (a graph of the derivative) ``transpose`` keeps the op's own nodes."""
    if type(grad) is np.ndarray and type(mat1) is np.ndarray and grad.ndim == 2 and mat1.ndim == 2:
        return (grad.T @ mat1).T
    return transpose(mat1) @ grad


mm = declare("mm", _mm_forward, inputs=("self", "mat2"), method=True,
             samples=[sample(T(3, 4), T(4, 2)), sample(T(1, 3), T(3, 1))],
             self=lambda grad, mat2: grad @ np.transpose(mat2),
             mat2=lambda grad, self: mat1_t_grad(self, grad, np.transpose))


def _mv_forward(a, v):
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.ndim}, {v.ndim}")
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x{a.shape[1]}), "
                           f"vec ({v.shape[0]})")
    _check_dtypes(a, v, "mv")
    return np.matmul(a, v)


mv = declare("mv", _mv_forward, inputs=("self", "vec"), method=True, samples=[sample(T(3, 4), T(4))],
             self=lambda grad, vec: np.multiply.outer(grad, vec) if isinstance(grad, np.ndarray)
             else grad.unsqueeze(1) * vec,
             vec=lambda grad, self: np.transpose(self) @ grad)


def _dot_forward(a, b):
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to "
                           "have the same number of elements, but got {} and {} elements respectively"
                           .format(a.shape[0], b.shape[0]))
    if a.dtype != b.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{_LEGACY_NAMES[a.dtype.name]} and {_LEGACY_NAMES[b.dtype.name]}")
    return np.dot(a, b)


dot = declare("dot", _dot_forward, inputs=("self", "tensor"), method=True, samples=[sample(T(4), T(4))],
              self=lambda grad, tensor: grad * tensor,
              tensor=lambda grad, self: grad * self)


def _bmm_forward(a, b):
    if a.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError(f"batch2 must be a 3D tensor")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    _check_dtypes(a, b, "bmm")
    return np.matmul(a, b)


bmm = declare("bmm", _bmm_forward, inputs=("self", "mat2"), method=True,
              samples=[sample(T(2, 3, 4), T(2, 4, 5))],
              self=lambda grad, mat2: grad @ np.swapaxes(mat2, 1, 2),
              mat2=lambda grad, self: np.swapaxes(self, 1, 2) @ grad)


def matmul(input, other):
    """PyTorch's matmul: dot, mv, mm, or a batched product that folds batch dims into
    mm where it can and broadcasts them into bmm otherwise."""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"matmul(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    da, db = input.dim(), other.dim()
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D")
    if da == 1 and db == 1:
        return dot(input, other)
    if da == 2 and db == 1:
        return mv(input, other)
    if da == 1 and db == 2:
        if input.shape[0] != other.shape[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied (1x{input.shape[0]} and "
                               f"{other.shape[0]}x{other.shape[1]})")
        return squeeze_inplace_dim(mm(input.unsqueeze(0), other), dim=0)
    if da == 2 and db == 2:
        return mm(input, other)
    if da >= 3 and db <= 2:
        # Fold the batch dims of the left operand into rows: one mm.
        a = input
        if db == 1:
            out = mm(a.reshape(-1, a.shape[-1]), other.unsqueeze(1))
            return out._unsafe_view(a.shape[:-1])
        if a.shape[-1] != other.shape[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.numel() // a.shape[-1]}x"
                               f"{a.shape[-1]} and {other.shape[0]}x{other.shape[1]})")
        out = mm(a.reshape(-1, a.shape[-1]), other)
        return out._unsafe_view(a.shape[:-1] + (other.shape[1],))
    if da == 1:
        # vector @ batch of matrices: folded as (batch^T @ vector), as PyTorch does.
        return matmul(other.transpose(-1, -2), input)
    # General case: broadcast batch dims, then one bmm.
    a = input.unsqueeze(0) if da == 1 else input
    b = other.unsqueeze(-1) if db == 1 else other
    if a.shape[-1] != b.shape[-2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{int(np.prod(a.shape[:-2]))}, {a.shape[-1]}] but got: "
                           f"[{int(np.prod(b.shape[:-2]))}, {b.shape[-2]}].")
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    n, k, m = a.shape[-2], a.shape[-1], b.shape[-1]
    a3 = a.expand(batch + (n, k)).reshape(-1, n, k)
    b3 = b.expand(batch + (k, m)).reshape(-1, k, m)
    out = bmm(a3, b3)._unsafe_view(batch + (n, m))
    if da == 1:
        out = out.squeeze(-2)
    if db == 1:
        out = out.squeeze(-1)
    return out


REGISTRY_SAMPLES = [sample(T(4), T(4)), sample(T(3, 4), T(4)), sample(T(4), T(4, 2)), sample(T(3, 4), T(4, 2)),
                    sample(T(2, 3, 4), T(4, 5)), sample(T(2, 3, 4), T(4)), sample(T(2, 3, 4), T(2, 4, 5)),
                    sample(T(4), T(2, 4, 5)), sample(T(2, 1, 3, 4), T(5, 4, 2))]
mm.spec.samples += [sample(*s.args, call="matmul") for s in REGISTRY_SAMPLES]
FUNCTIONS["matmul"] = matmul
Tensor.matmul = Tensor.__matmul__ = matmul
Tensor.__rmatmul__ = lambda self, other: matmul(other, self)
from .._tensor import HANDLED_UFUNCS  # noqa: E402
HANDLED_UFUNCS[np.matmul] = matmul
