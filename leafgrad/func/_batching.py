"""Batching rules: each declared op's logical call rewritten as one call on the batch.

A rule gets the op's inputs *peeled* at the level running it (``Arg``: the tensor, whether
it carries this level's batch as its first dimension, and its logical rank), the op's
keyword parameters, and the batch size. It returns outputs whose first dimension is the
batch. Rules call ops, never loop over samples: ``op(name, *inputs, **params)`` runs the
declared op ``name`` (its own levels outside this one still apply).

Rules are grouped by category (banners below) and keyed by ``spec.name``; ``RULES``
must cover every op in ``REGISTRY`` except those in ``DATA_DEPENDENT`` (ops whose output
shape depends on the values, which PyTorch refuses under vmap too) -- a test checks it.
"""
import numpy as np

from .._tensor import Tensor, wrap
from ..ops._declare import REGISTRY, call
from ._vmap import levels_of, peel, mark, BatchedTensor, _PHYS

RULES = {}

#: op name -> PyTorch's error under vmap (the output's shape depends on the data).
DATA_DEPENDENT = {
    "_unique2": "vmap: We do not support batching operators that can output dynamic shape. Attempted to vmap over "
                "aten::_unique2. Please file an issue at https://github.com/pytorch/pytorch/issues if you need this "
                "feature.",
    "unique_dim": "vmap: We do not support batching operators that can output dynamic shape. Attempted to vmap over "
                  "aten::unique_dim. Please file an issue at https://github.com/pytorch/pytorch/issues if you need "
                  "this feature.",
    "masked_select": "vmap: Attempted to vmap over `mask` in torch.masked_select(self, mask) We cannot support this "
                     "because for each batch this would return a differently shaped Tensor. Please file an issue at "
                     "https://github.com/pytorch/pytorch/issues if you need this feature.",
}

#: op name -> why it has no rule: helpers that only backward formulas call. A backward
#: under vmap runs on the physical tensors with the levels hidden (``batched_autograd``),
#: so they never see a batched tensor there; called on one directly they raise.
BACKWARD_ONLY = {n: "a backward-formula helper: backward under vmap runs physically, levels hidden"
                 for n in ("nnf.embedding_dense_backward", "_dep_sum", "_conv_weight", "_pool_scatter",
                           "_pool_gather", "_avg_pool2d_backward", "_separable")}

BOOL_MASK = ("vmap: We do not support batching operators that can support dynamic shape. Attempting to batch over "
             "indexing with a boolean mask.")


class Arg:
    __slots__ = ("t", "b", "r")

    def __init__(self, t, b):
        self.t, self.b = t, b
        self.r = (t.dim() - (1 if b else 0)) if isinstance(t, Tensor) else None

    @property
    def is_tensor(self):
        return isinstance(self.t, Tensor)

    @property
    def lshape(self):
        """The logical shape (without this level's batch)."""
        s = tuple(self.t.shape)
        return s[1:] if self.b else s


class Ctx:
    __slots__ = ("B", "spec", "bparams", "keep")

    def __init__(self, B, spec):
        self.B, self.spec = B, spec
        self.bparams = set()      # parameters that were batched tensors (now physical arrays)
        self.keep = []


def op(name, *inputs, **params):
    spec = REGISTRY[name]
    if spec.variadic:
        inputs = tuple(inputs[0])
    return call(spec, inputs, params)


def run_rule(level, spec, inputs, params):
    name = spec.name
    if name in DATA_DEPENDENT:
        raise RuntimeError(DATA_DEPENDENT[name])
    rule = RULES.get(name)
    if rule is None:
        why = BACKWARD_ONLY.get(name, "not written yet")
        raise RuntimeError(f"vmap: there is no batching rule for the op '{name}' ({why}).")
    args = []
    for x in inputs:
        if type(x) is BatchedTensor and level in levels_of(x):
            args.append(Arg(peel(x, level), True))
        else:
            args.append(Arg(x, False))
    ctx = Ctx(level.size, spec)
    params = dict(params) if params else {}
    for k, v in params.items():
        params[k] = _param(level, ctx, k, v)
    out = rule(ctx, args, params)
    for o in (out if type(out) is tuple else (out,)):
        if isinstance(o, Tensor) and o.dim() == 0:
            raise RuntimeError(f"vmap: the batching rule of '{name}' lost the batch dimension (a bug)")
    if type(out) is tuple:
        return tuple(mark(o, level) if isinstance(o, Tensor) else o for o in out)
    return mark(out, level)


def _param(level, ctx, name, v):
    """A parameter that is the ``_data`` of a tensor batched at this level (a wrapper passed
    an index / mask / target tensor on as an array) becomes its physical array (batch
    first), and ``name`` goes into ``ctx.bparams``."""
    if isinstance(v, np.ndarray) and v.ndim >= 0 and level.tensors:
        t = level.owner_of(v)
        if t is not None:
            ctx.bparams.add(name)
            p = peel(t, level)
            ctx.keep.append(p)      # an outer level recognises p._data while the rule runs
            return p._data
        if level.copied_from(v) is not None:
            raise RuntimeError(f"vmap: {ctx.spec.name}(): the '{name}' argument comes from a tensor batched over "
                               "vmap that was converted to an array before the op (only its first sample would be "
                               "used); this is not supported yet")
    if isinstance(v, tuple) and any(isinstance(x, np.ndarray) for x in v) and level.tensors:
        out = []
        for i, x in enumerate(v):
            out.append(_param(level, ctx, (name, i), x) if isinstance(x, np.ndarray) else x)
        return tuple(out)
    return v


# ---------------------------------------------------------------------- helpers
def _shape_of(t):
    return tuple(t.shape)


def pad_to(a, R):
    """A batched arg viewed with singleton dims after the batch up to logical rank R."""
    if not a.b or a.r >= R:
        return a.t
    s = _shape_of(a.t)
    return op("_unsafe_view", a.t, shape=(s[0],) + (1,) * (R - a.r) + s[1:])


def expand_batch(ctx, a):
    """The tensor of ``a`` with the batch as its first dim (broadcast when unbatched)."""
    if a.b:
        return a.t
    s = _shape_of(a.t)
    return op("expand", op("unsqueeze", a.t, dim=0), size=(ctx.B,) + s)


def fix_dim(ctx, d, r, extra=0):
    """A logical dim (maybe negative, maybe normalised by a wrapper against the physical
    rank) as the dim of the peeled tensor (batch first)."""
    n = r + extra
    lo, hi = -max(n, 1), max(n, 1) - 1
    if not lo <= d <= hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {d})")
    if d < 0:
        d += max(n, 1)
    return d + 1


def _first_batched(args):
    for a in args:
        if a.b:
            return a
    return args[0]


def _is_seq(v):
    return isinstance(v, (tuple, list))


# ====================================================================== elementwise
def elementwise(ctx, args, params, self_full=False):
    R = max((a.r for a in args if a.is_tensor), default=0)
    ins = []
    for i, a in enumerate(args):
        if a.is_tensor and (a.b or self_full and i == 0):
            a2 = Arg(expand_batch(ctx, a), True)
            ins.append(pad_to(a2, R))
        else:
            ins.append(a.t)
    return call(ctx.spec, tuple(ins), params)


def _ew(ctx, args, params):
    return elementwise(ctx, args, params)


def _ew_self(ctx, args, params):
    return elementwise(ctx, args, params, self_full=True)


_EW = """eq ne lt le gt ge where logical_and logical_or logical_xor logical_not bitwise_and bitwise_or bitwise_xor
bitwise_not add sub rsub.Scalar rsub mul div neg reciprocal pow.Scalar pow.Tensor pow.Scalar_self exp log sin cos
tanh_backward sigmoid_backward tanh sqrt sigmoid abs threshold_backward relu sign clamp clamp.Tensor addcmul addcdiv
exp2 expm1 log2 log10 log1p rsqrt tan asin acos atan sinh cosh asinh acosh atanh angle deg2rad rad2deg erf erfc erfinv
logit floor ceil trunc round round.decimals frac sgn nan_to_num isnan isinf isfinite isposinf isneginf signbit
lerp.Scalar lerp.Tensor xlogy xlogy.Scalar_Other xlogy.Scalar_Self logaddexp logaddexp2 div.Tensor_mode floor_divide
remainder.Tensor remainder.Scalar remainder.Scalar_Tensor fmod.Tensor fmod.Scalar atan2 maximum minimum fmax fmin
hypot copysign.Tensor copysign.Scalar nnf.add_scalar nnf.sub_scalar nnf.mul_scalar nnf.div_scalar clamp_min
clamp_max clamp_min.Tensor clamp_max.Tensor
nnf.hardtanh nnf.hardshrink nnf.softshrink nnf.leaky_relu nnf.leaky_relu_ nnf.elu nnf.elu_ nnf.celu nnf.celu_ nnf.gelu nnf.silu nnf.softplus
nnf.mish nnf.hardsigmoid_backward nnf.hardsigmoid nnf.hardswish nnf.log_sigmoid nnf.threshold nnf.threshold_
clone _to_copy alias zero fill nnf._prelu_kernel sinc lgamma digamma polygamma
eq_.Scalar ne_.Scalar lt_.Scalar le_.Scalar gt_.Scalar ge_.Scalar eq_.Tensor ne_.Tensor lt_.Tensor le_.Tensor
gt_.Tensor ge_.Tensor""".split()
for _n in _EW:
    RULES[_n] = _ew
RULES["copy"] = _ew_self


def _fill_tensor(ctx, args, params):
    a, v = args
    if not v.b:
        return elementwise(ctx, args, params, self_full=True)
    # a batched value: the result is the value broadcast over the sample (its gradient sums
    # per sample, which fill's own formula -- a sum over everything -- would not do)
    shape = (ctx.B,) + a.lshape
    val = pad_to(v, a.r)
    if v.t._data.dtype != a.t._data.dtype:
        val = op("_to_copy", val, dtype=a.t._data.dtype)
    # where() keeps self in the graph (a zero gradient, as fill's) without touching its values
    return op("where", np.ones(shape, dtype=bool), val, expand_batch(ctx, a))


RULES["fill.Tensor"] = _fill_tensor


# ====================================================================== dims
def _shift(ctx, v, r, extra=0):
    if v is None:
        return None
    if _is_seq(v):
        return type(v)(fix_dim(ctx, d, r, extra) for d in v)
    return fix_dim(ctx, v, r, extra)


def dim_rule(*names, extra=0, none_all=False, empty_all=False):
    """Shift the dim parameters ``names`` past the batch; ``none_all``: dim=None means
    every logical dim (reductions); ``empty_all``: so does dim=()."""
    def rule(ctx, args, params):
        a = _first_batched(args)
        r = a.r
        if r == 0 and not extra:
            if none_all:
                params = dict(params)
                for n in names:
                    if params.get(n) is None:
                        params[n] = (0,)
            return _scalar_dim(ctx, args, params, names)
        p = dict(params)
        for n in names:
            v = p.get(n, None)
            if v is None and none_all or empty_all and _is_seq(v) and len(v) == 0:
                p[n] = tuple(range(1, r + 1))
            elif n in p:
                p[n] = _shift(ctx, v, r, extra)
        ins = [expand_batch(ctx, x) if x.is_tensor and i == 0 else x.t for i, x in enumerate(args)]
        return call(ctx.spec, tuple(ins), p)
    return rule


def _scalar_dim(ctx, args, params, names):
    """A dim op on a 0-d logical tensor: run it on (B, 1) with dim 1, then drop that dim."""
    a = _first_batched(args)
    x = op("_unsafe_view", expand_batch(ctx, a), shape=(ctx.B, 1))
    p = dict(params)
    for n in names:
        v = p.get(n, None)
        if v is None and n not in p:
            continue
        if v is None or _is_seq(v):
            p[n] = (1,) if v is None or len(v) else ()
        else:
            if v not in (0, -1, 1):   # 1: a wrapper's wrap against the physical rank
                raise IndexError(f"Dimension out of range (expected to be in range of [-1, 0], but got {v})")
            p[n] = 1
    out = call(ctx.spec, (x,) + tuple(x2.t for x2 in args[1:]), p)

    def back(o):
        if isinstance(o, Tensor) and o.dim() == 2:
            return op("_unsafe_view", o, shape=(ctx.B,))
        return o
    return tuple(back(o) for o in out) if type(out) is tuple else back(out)


def _aminmax(ctx, args, params):
    a = args[0]
    if params.get("dim") is None:
        out = op("aminmax", op("_unsafe_view", a.t, shape=(ctx.B, -1 if a.r else 1)), dim=1,
                 keepdim=False)
        if params.get("keepdim") and a.r:
            return tuple(op("_unsafe_view", o, shape=(ctx.B,) + (1,) * a.r) for o in out)
        return out
    return dim_rule("dim")(ctx, args, params)


RULES["aminmax"] = _aminmax

for _n, _d in {"sum.dim_IntList": "dim", "mean.dim": "dim", "nansum": "dim", "var": "dim", "std": "dim",
               "var_mean": "dim", "std_mean": "dim", "linalg_vector_norm": "dim",
               "amax": "dim", "amin": "dim", "logsumexp": "dim"}.items():
    RULES[_n] = dim_rule(_d, none_all=True, empty_all=_n in ("amax", "amin", "logsumexp", "sum.dim_IntList",
                                                              "mean.dim", "nansum", "var", "std", "var_mean",
                                                              "std_mean", "linalg_vector_norm"))
for _n in ("prod.dim_int", "max.dim", "min.dim", "median.dim", "nanmedian.dim", "mode", "kthvalue", "cumsum",
           "cumprod", "cummax", "cummin", "sort", "sort.stable", "topk", "nnf.glu", "nnf._softmax",
           "nnf._log_softmax", "unbind", "split", "split_with_sizes", "unsafe_split", "unsafe_split_with_sizes",
           "select", "slice", "squeeze.dim",
           "squeeze_.dim", "squeeze.dims", "nnf.norm", "nnf._safe_softmax", "logcumsumexp"):
    RULES[_n] = dim_rule("dim")
RULES["transpose"] = dim_rule("dim0", "dim1")
RULES["unsqueeze"] = dim_rule("dim", extra=1)
RULES["flip"] = dim_rule("dims")
RULES["rot90"] = dim_rule("dims")
RULES["diagonal"] = dim_rule("dim1", "dim2")
RULES["diagonal_copy"] = dim_rule("dim1", "dim2")
RULES["diag_embed"] = dim_rule("dim1", "dim2", extra=1)


def _permute(ctx, args, params):
    a = args[0]
    return op("permute", a.t, dims=(0,) + tuple(fix_dim(ctx, d, a.r) for d in params["dims"]))


RULES["permute"] = _permute


def _as_strided(ctx, args, params):
    """Each sample's view of its own storage: the batch's storage with the batch stride
    in front (PyTorch's rule; the offset is the first sample's, as given). As PyTorch, a
    view that reaches outside its sample's memory is refused."""
    from ..ops.strided import geometry, _extent
    p = args[0].t
    size, stride, off = params["size"], params["stride"], params["storage_offset"]
    shape, strides, start = geometry(p._data)
    lo, hi = off, _extent(size, stride, off)
    t_hi = _extent(shape[1:], strides[1:], start)
    if lo < start or hi > t_hi:
        raise RuntimeError(f"result = tensor.as_strided({list(size)}, {list(stride)}, {off}) can access memory "
                           f"outside of `tensor`. `result` can access some memory in range [{lo}, {hi}], but "
                           f"`tensor` can only access some memory in range [{start}, {t_hi}]. This is not "
                           "supported inside of vmap, please try to rewrite the `as_strided` call as a sequence "
                           "of PyTorch view operations")
    return op("as_strided", p, size=(ctx.B,) + size, stride=(strides[0],) + stride, storage_offset=off,
              input_geometry=(shape, strides, start))


RULES["as_strided"] = _as_strided


def _t(ctx, args, params):
    a = args[0]
    if a.r < 2:
        return op("alias", a.t)
    return op("transpose", a.t, dim0=1, dim1=2)


RULES["t"] = _t


def _squeeze_all(ctx, args, params):
    a = args[0]
    dims = tuple(i + 1 for i, s in enumerate(a.lshape) if s == 1)
    return op("squeeze.dims", a.t, dim=dims) if dims else op("alias", a.t)


RULES["squeeze"] = _squeeze_all


def _roll(ctx, args, params):
    a = args[0]
    dims = params.get("dims")
    if dims is None or _is_seq(dims) and len(dims) == 0:
        flat = op("_unsafe_view", a.t, shape=(ctx.B, -1 if a.r else 1))
        out = op("roll", flat, shifts=params["shifts"], dims=(1,) if not _is_seq(params["shifts"]) else (1,))
        return op("_unsafe_view", out, shape=_shape_of(a.t))
    return op("roll", a.t, shifts=params["shifts"], dims=_shift(ctx, dims, a.r))


RULES["roll"] = _roll


def _cross(ctx, args, params):
    R = max(a.r for a in args)
    ins = [pad_to(Arg(expand_batch(ctx, a), True), R) for a in args]
    shape = np.broadcast_shapes(*[tuple(t.shape) for t in ins])
    ins = [op("expand", t, size=shape) for t in ins]
    return op("linalg.cross", *ins, dim=fix_dim(ctx, params["dim"], R))


RULES["linalg.cross"] = _cross


# ====================================================================== full reductions
def _flat(ctx, a):
    return op("_unsafe_view", a.t, shape=(ctx.B, -1 if a.r else 1)) if a.r != 1 else a.t


def _reduce_all(target, **extra):
    def rule(ctx, args, params):
        a = args[0]
        p = dict(params)
        p.update(extra)
        if target in ("sum.dim_IntList", "mean.dim", "amax", "amin"):
            p["dim"] = tuple(range(1, a.r + 1))
            p.setdefault("keepdim", False)
            return op(target, a.t, **p)
        out = op(target, _flat(ctx, a), dim=1, **p)
        return out[0] if type(out) is tuple else out
    return rule


RULES["sum"] = _reduce_all("sum.dim_IntList")
RULES["mean"] = _reduce_all("mean.dim")
def _evenly(value_of):
    """max / min / median / nanmedian of the whole sample: the value, with the gradient
    spread evenly over the elements equal to it (NaNs counting as equal to a NaN result),
    as the full reductions' backward does -- one masked sum on the batch."""
    def rule(ctx, args, params):
        from ..autograd import grad_mode
        a = args[0]
        x = _flat(ctx, a) if a.r != 1 else a.t
        with grad_mode.no_grad():
            v = op("unsqueeze", value_of(x), dim=1)
            mask = op("logical_or", op("eq", x, v), op("logical_and", op("isnan", x), op("isnan", v)))
            count = op("sum.dim_IntList", mask, dim=(1,), keepdim=False)
        picked = op("where", mask, x, op("zero", op("slice", x, dim=1, start=0, end=1, step=1)))
        return op("div", op("sum.dim_IntList", picked, dim=(1,), keepdim=False), count)
    return rule


def _dim_values(name):
    return lambda x: op(name, x, dim=1, keepdim=False)[0]


RULES["max"] = _evenly(lambda x: op("amax", x, dim=(1,), keepdim=False))
RULES["min"] = _evenly(lambda x: op("amin", x, dim=(1,), keepdim=False))
RULES["prod"] = _reduce_all("prod.dim_int", keepdim=False)
RULES["median"] = _evenly(_dim_values("median.dim"))
RULES["nanmedian"] = _evenly(_dim_values("nanmedian.dim"))


def _trace(ctx, args, params):
    return op("sum.dim_IntList", op("diagonal", args[0].t, offset=0, dim1=1, dim2=2), dim=(1,), keepdim=False)


RULES["trace"] = _trace


# ====================================================================== shapes
def _view(ctx, args, params):
    a = args[0]
    shape = tuple(params["shape"])
    return call(ctx.spec, (a.t,), dict(params, shape=(ctx.B,) + shape))


RULES["view"] = _view
RULES["_unsafe_view"] = _view


def _expand(ctx, args, params):
    a = args[0]
    size = tuple(params["size"])
    x = pad_to(a, len(size))
    s = _shape_of(x)[1:]
    target = tuple(s[i] if v == -1 else v for i, v in enumerate(size))
    return op("expand", x, size=(ctx.B,) + target)


RULES["expand"] = _expand


def _repeat(ctx, args, params):
    a = args[0]
    reps = tuple(params["repeats"])
    x = pad_to(a, len(reps))
    return op("repeat", x, repeats=(1,) + reps)


RULES["repeat"] = _repeat


def _last_dims(ctx, args, params):
    """Ops on the trailing dims (NumPy broadcasts them over leading ones): batch in front;
    unbatched tensors get the batch too so that their shapes line up."""
    ins = [expand_batch(ctx, a) if a.is_tensor else a.t for a in args]
    return call(ctx.spec, tuple(ins), params)


for _n in ("tril", "triu", "linalg.inv", "linalg.det", "linalg.slogdet", "linalg.cholesky", "cholesky", "linalg.qr",
           "linalg.eigh", "linalg.pinv", "linalg.svd", "linalg.solve_triangular", "linalg.lstsq",
           "nnf.pixel_shuffle", "nnf.pixel_unshuffle"):
    RULES[_n] = _last_dims


def _linalg2(ctx, args, params):
    """solve / solve_triangular / lstsq: leading dims broadcast, so both operands get the
    batch and are padded to a common logical rank (a vector right side one less)."""
    A, Bm = args[0], args[1]
    if params.get("vector"):
        ra = max(A.r, Bm.r + 1)
        rb = ra - 1
    else:
        ra = rb = max(A.r, Bm.r)
    ins = [pad_to(Arg(expand_batch(ctx, A), True), ra), pad_to(Arg(expand_batch(ctx, Bm), True), rb)]
    return call(ctx.spec, tuple(ins) + tuple(a.t for a in args[2:]), params)


for _n in ("linalg.solve", "linalg.solve_triangular", "linalg.lstsq"):
    RULES[_n] = _linalg2


def _cat(ctx, args, params, stack=False):
    R = max(a.r for a in args)
    ins = [expand_batch(ctx, a) for a in args]
    d = params.get("dim", 0)
    if stack:
        d = fix_dim(ctx, d, R, 1)
    else:
        nonempty = [a for a in args if not (a.r == 1 and a.lshape[0] == 0)]
        d = fix_dim(ctx, d, max((a.r for a in nonempty), default=R))
    return call(ctx.spec, tuple(ins), dict(params, dim=d))


RULES["cat"] = _cat
RULES["stack"] = lambda ctx, args, params: _cat(ctx, args, params, stack=True)


def _diag_backward(ctx, args, params):
    a = args[0]
    shape = tuple(params["shape"])
    r = len(shape)
    return op("_diagonal_backward", a.t, shape=(ctx.B,) + shape, offset=params["offset"],
              dim1=fix_dim(ctx, params["dim1"], r), dim2=fix_dim(ctx, params["dim2"], r))


RULES["_diagonal_backward"] = _diag_backward


def _batch_key(key):
    if not isinstance(key, tuple):
        key = (key,)
    return (slice(None),) + key


def _embed(ctx, args, params):
    a = args[0]
    return op("_embed", a.t, shape=(ctx.B,) + tuple(params["shape"]), key=_batch_key(params["key"]))


RULES["_embed"] = _embed


def _adv_positions(key):
    return [i for i, k in enumerate(key) if isinstance(k, (np.ndarray, list))]


def _index(ctx, args, params):
    a = args[0]
    key = params["indices"]
    key = key if isinstance(key, tuple) else (key,)
    key = _expand_ellipsis(key, a.r)
    key = _bool_to_int(key)
    out = op("index", a.t, indices=(slice(None),) + key)
    pos = _adv_positions(key)
    if pos and pos != list(range(pos[0], pos[0] + len(pos))):
        nd = np.broadcast(*[np.asarray(key[i]) for i in pos]).ndim
        out = op("permute", out, dims=(nd,) + tuple(i for i in range(out.dim()) if i != nd))
    return out


def _bool_to_int(key):
    """An (unbatched) boolean mask as the integer indices of its True entries."""
    out = []
    for k in key:
        if isinstance(k, np.ndarray) and k.dtype.kind == "b" and k.ndim:
            out.extend(np.nonzero(k))
        else:
            out.append(k)
    return tuple(out)


def _expand_ellipsis(key, r):
    if not any(k is Ellipsis for k in key):
        return tuple(key)
    used = sum(1 for k in key if k is not None and k is not Ellipsis)
    out = []
    done = False
    for k in key:
        if k is Ellipsis and not done:
            out.extend([slice(None)] * (r - used))
            done = True
        elif k is not Ellipsis:
            out.append(k)
    return tuple(out)


RULES["index"] = _index


def _index_backward(ctx, args, params):
    a = args[0]
    key = _bool_to_int(_expand_ellipsis(tuple(params["indices"]), len(params["shape"])))
    pos = _adv_positions(key)
    g = a.t
    if pos and pos != list(range(pos[0], pos[0] + len(pos))):
        nd = np.broadcast(*[np.asarray(key[i]) for i in pos]).ndim
        g = op("permute", g, dims=tuple(range(1, nd + 1)) + (0,) + tuple(range(nd + 1, g.dim())))
    return op("_index_backward", g, shape=(ctx.B,) + tuple(params["shape"]), indices=(slice(None),) + key)


RULES["_index_backward"] = _index_backward


def _copy_slices(ctx, args, params):
    a, v = args
    x = expand_batch(ctx, a)
    key = _expand_ellipsis(params["key"] if isinstance(params["key"], tuple) else (params["key"],), a.r)
    if v.b:
        target = np.empty(a.lshape, dtype=bool)[key].ndim
        val = pad_to(v, target)
    else:
        val = v.t
    return op("_copy_slices", x, val, key=(slice(None),) + key)


RULES["_copy_slices"] = _copy_slices


# ====================================================================== matrix products
def _matmul(x, y):
    from ..ops.linalg import matmul
    return matmul(x, y)


def _mm(ctx, args, params):
    a, b = args
    return _matmul(a.t, b.t)


def _mv(ctx, args, params):
    a, v = args
    if v.b:
        return op("squeeze.dim", _matmul(a.t, op("unsqueeze", v.t, dim=2)), dim=2)
    return _matmul(a.t, v.t)


def _dot(ctx, args, params):
    a, b = args
    if a.b and b.b:
        return op("sum.dim_IntList", op("mul", a.t, b.t), dim=(1,), keepdim=False)
    return _matmul(a.t, b.t) if a.b else _matmul(b.t, a.t)


RULES["mm"] = _mm
RULES["bmm"] = _mm
RULES["mv"] = _mv
RULES["dot"] = _dot
RULES["vdot"] = _dot


def _addmm_like(product, reduce_batch=False):
    def rule(ctx, args, params):
        s, m1, m2 = args
        pb = m1.b or m2.b
        prod = product(ctx, [m1, m2], {}) if pb else _matmul(m1.t, m2.t)
        if reduce_batch:
            prod = op("sum.dim_IntList", prod, dim=(1,) if pb else (0,), keepdim=False)
        alpha, beta = params.get("alpha", 1), params.get("beta", 1)
        if alpha != 1:
            prod = op("mul", prod, alpha)
        if beta == 0:       # self takes no part (not even its NaNs), but stays in the graph
            st = op("mul", pad_to(s, prod.dim() - 1 if pb else prod.dim()) if s.b else s.t, 0)
            return op("add", prod, op("where", op("isnan", st), 0.0, st))
        R = prod.dim() - 1 if pb else prod.dim()
        st = pad_to(s, R) if s.b else s.t
        if beta != 1:
            st = op("mul", st, beta)
        return op("add", prod, st)
    return rule


RULES["addmm"] = _addmm_like(_mm)
RULES["addmv"] = _addmm_like(_mv)
RULES["baddbmm"] = _addmm_like(_mm)
RULES["addbmm"] = _addmm_like(_mm, reduce_batch=True)


def _einsum(ctx, args, params):
    terms = list(params["terms"])
    used = set("".join(terms) + params["out"])
    letter = next(c for c in "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkjihgfedcba" if c not in used)
    new_terms = [(letter + t) if a.b else t for a, t in zip(args, terms)]
    sizes = dict(params["sizes"])
    sizes[letter] = ctx.B
    return call(ctx.spec, tuple(a.t for a in args), dict(params, terms=new_terms, out=letter + params["out"],
                                                           sizes=sizes))


for _n in ("einsum", "einsum.permute", "einsum.sum", "einsum.mul"):
    RULES[_n] = _einsum


def _einsum_diag(ctx, args, params):
    letter = next(c for c in "ZYXWVUTSRQPONMLKJIHGFEDCBA" if c not in params["term"] + params["unique"])
    return op("_einsum_diag", args[0].t, unique=letter + params["unique"], term=letter + params["term"],
              shape=(ctx.B,) + tuple(params["shape"]))


RULES["_einsum_diag"] = _einsum_diag


# ====================================================================== nn: folding the batch into N
def fold_rule(n_spatial, min_rank=None):
    """Ops on (N, C, *spatial) or (C, *spatial) inputs: the batch folds into N (or becomes N
    when the logical input has none); every tensor input is folded the same way."""
    def rule(ctx, args, params):
        a = args[0]
        full = n_spatial + 2
        if a.r == full:
            ins = []
            for x in args:
                if x.is_tensor and x.r == full:
                    t = expand_batch(ctx, x)
                    s = _shape_of(t)
                    ins.append(op("_unsafe_view", t, shape=(s[0] * s[1],) + s[2:]))
                else:
                    ins.append(x.t)
            out = call(ctx.spec, tuple(ins), params)
            N = a.lshape[0]

            def unfold(o):
                if not isinstance(o, Tensor):
                    return o
                s = _shape_of(o)
                return op("_unsafe_view", o, shape=(ctx.B, N) + s[1:])
            return tuple(unfold(o) for o in out) if type(out) is tuple else unfold(out)
        ins = [expand_batch(ctx, x) if x.is_tensor else x.t for x in args]
        return call(ctx.spec, tuple(ins), params)
    return rule


for _n in ("max_pool2d_with_indices", "avg_pool2d", "adaptive_max_pool2d", "adaptive_avg_pool2d", "upsample_nearest2d",
           "_upsample_nearest_exact2d", "upsample_bilinear2d", "upsample_bicubic2d", "_upsample_bilinear2d_aa",
           "_upsample_bicubic2d_aa", "_upsample_lanczos2d_aa", "reflection_pad2d", "replication_pad2d", "im2col"):
    RULES[_n] = fold_rule(2)
for _n in ("upsample_nearest1d", "_upsample_nearest_exact1d", "upsample_linear1d", "reflection_pad1d",
           "replication_pad1d", "col2im"):
    RULES[_n] = fold_rule(1)
for _n in ("reflection_pad3d", "replication_pad3d"):
    RULES[_n] = fold_rule(3)


def _constant_pad(ctx, args, params):
    return op("constant_pad_nd", args[0].t, **params)   # pads trailing dims only


RULES["constant_pad_nd"] = _constant_pad


def _pad_circular(ctx, args, params):
    return _last_dims(ctx, args, params)


RULES["_pad_circular"] = _pad_circular


def _convolution(ctx, args, params):
    x, w, b = args
    B = ctx.B
    g = params["groups"]
    if not w.b and not (b.is_tensor and b.b):
        xs = _shape_of(x.t)
        xt = op("_unsafe_view", x.t, shape=(xs[0] * xs[1],) + xs[2:])
        out = call(ctx.spec, (xt, w.t, b.t), params)
        s = _shape_of(out)
        return op("_unsafe_view", out, shape=(B, xs[1]) + s[1:])
    # A batched weight: the batch becomes groups. x (B, N, C, *) -> (N, B*C, *).
    xt = expand_batch(ctx, x)
    xs = _shape_of(xt)
    xt = op("_unsafe_view", op("transpose", xt, dim0=0, dim1=1).contiguous(), shape=(xs[1], B * xs[2]) + xs[3:])
    wt = expand_batch(ctx, w)
    ws = _shape_of(wt)
    wt = op("_unsafe_view", wt, shape=(B * ws[1],) + ws[2:])
    bt = None
    if b.is_tensor:
        bt = op("_unsafe_view", expand_batch(ctx, b), shape=(-1,))
    out = call(ctx.spec, (xt, wt, bt), dict(params, groups=g * B))
    s = _shape_of(out)
    out = op("_unsafe_view", out, shape=(s[0], B, s[1] // B) + s[2:])
    return op("transpose", out, dim0=0, dim1=1)


RULES["convolution"] = _convolution


def _layer_norm(ctx, args, params):
    from ..ops.normalization import layer_norm
    x, w, b = args
    ns = params["normalized_shape"]
    R = max(a.r for a in args if a.is_tensor)
    wt = pad_to(w, R) if w.is_tensor and w.b else w.t
    bt = pad_to(b, R) if b.is_tensor and b.b else b.t
    if (w.is_tensor and w.b) or (b.is_tensor and b.b):
        y = layer_norm(expand_batch(ctx, x), ns, None, None, params["eps"])
        if wt is not None:
            y = op("mul", y, wt)
        if bt is not None:
            y = op("add", y, bt)
        return y
    return layer_norm(x.t, ns, w.t, b.t, params["eps"])


RULES["native_layer_norm"] = _layer_norm


def _group_norm(ctx, args, params):
    from ..ops.normalization import group_norm
    x, w, b = args
    if (w.is_tensor and w.b) or (b.is_tensor and b.b):
        raise RuntimeError("vmap: group_norm over a batched weight or bias is not supported")
    xt = expand_batch(ctx, x)
    s = _shape_of(xt)
    y = group_norm(op("_unsafe_view", xt, shape=(s[0] * s[1],) + s[2:]), params["group"], w.t, b.t, params["eps"])
    return op("_unsafe_view", y, shape=s)


RULES["native_group_norm"] = _group_norm


def _batch_norm(ctx, args, params):
    from ..ops.normalization import batch_norm, _bn3
    x, w, b = args
    if (w.is_tensor and w.b) or (b.is_tensor and b.b):
        raise RuntimeError("vmap: batch_norm with a batched weight or bias is not supported")
    if not params["training"]:
        # Running statistics (mu, rstd: the wrapper took them from the unbatched buffers):
        # the batch folds into N; xhat is recomputed from the whole batch.
        xt = expand_batch(ctx, x)
        s = tuple(xt.shape)
        xf = op("_unsafe_view", xt, shape=(s[0] * s[1],) + s[2:])
        xhat = (_bn3(_PHYS.__get__(xf)) - params["mu"]) * params["rstd"] if type(xf) is not BatchedTensor else \
            params["xhat"]
        y = call(ctx.spec, (xf, w.t, b.t), dict(params, xhat=xhat))
        return op("_unsafe_view", y, shape=s)
    # Per-sample statistics: the batch folds into the channels. (B, N, C, *) -> (N, B*C, *).
    xt = expand_batch(ctx, x)
    s = _shape_of(xt)
    xt = op("_unsafe_view", op("transpose", xt, dim0=0, dim1=1), shape=(s[1], s[0] * s[2]) + s[3:])
    wt = None if w.t is None else op("repeat", w.t, repeats=(ctx.B,))
    bt = None if b.t is None else op("repeat", b.t, repeats=(ctx.B,))
    y = batch_norm(xt, None, None, wt, bt, True, 0.1, params["eps"])
    y = op("_unsafe_view", y, shape=(s[1], s[0], s[2]) + s[3:])
    return op("transpose", y, dim0=0, dim1=1)


RULES["native_batch_norm"] = _batch_norm


# ====================================================================== losses
def _pointwise_loss(ctx, args, params):
    red = params.get("reduction", "mean")
    R = max(a.r for a in args if a.is_tensor)
    ins = [pad_to(a, R) if a.is_tensor and a.b else a.t for a in args]
    out = call(ctx.spec, tuple(expand_batch(ctx, Arg(t, True)) if i == 0 and not args[0].b else t
                               for i, t in enumerate(ins)), dict(params, reduction="none"))
    if red == "none":
        return out
    dims = tuple(range(1, out.dim()))
    if not dims:
        return out
    return op("sum.dim_IntList" if red == "sum" else "mean.dim", out, dim=dims, keepdim=False)


for _n in ("nnf.mse_loss", "nnf.smooth_l1_loss", "nnf.huber_loss", "nnf.binary_cross_entropy",
           "nnf.binary_cross_entropy_with_logits", "nnf.soft_margin_loss"):
    RULES[_n] = _pointwise_loss


def _embedding(ctx, args, params):
    w, idx = args
    if not w.b:
        return call(ctx.spec, (w.t, idx.t), params)
    # A batched weight (B, V, D): offset each sample's indices into the flattened table.
    ws = _shape_of(w.t)
    flat = op("_unsafe_view", w.t, shape=(ws[0] * ws[1], ws[2]))
    it = expand_batch(ctx, idx)
    offs = np.arange(ctx.B).reshape((ctx.B,) + (1,) * (it.dim() - 1)) * ws[1]
    from .._tensor import wrap
    pad = params.get("padding_idx", -1)
    p = dict(params, padding_idx=-1)
    out = call(ctx.spec, (flat, op("add", it, wrap(offs.astype(np.int64)))), p)
    if pad is not None and pad >= 0:
        # the padding row gets no gradient: take those entries from a detached copy
        keep = op("unsqueeze", op("eq", it, pad), dim=it.dim())
        out = op("where", keep, out.detach(), out)
    return out


RULES["nnf.embedding"] = _embedding


def _gather(ctx, args, params):
    a = args[0]
    idx = np.asarray(params["index"])
    x = expand_batch(ctx, a)
    if idx.ndim == max(a.r, 1):
        idx = np.broadcast_to(idx, (ctx.B,) + idx.shape)
    return call(ctx.spec, (x,), dict(params, dim=fix_dim(ctx, params["dim"], a.r), index=idx))


RULES["gather"] = _gather


def _index_select(ctx, args, params):
    a = args[0]
    d = fix_dim(ctx, params["dim"], a.r)
    if "index" not in ctx.bparams:
        return call(ctx.spec, (expand_batch(ctx, a),), dict(params, dim=d))
    # a batched index: a gather along the dim with the index broadcast over the other dims
    idx = np.asarray(params["index"]).reshape(ctx.B, -1)
    shape = list((ctx.B,) + a.lshape)
    shape[d] = idx.shape[1]
    view = [ctx.B] + [1] * a.r
    view[d] = idx.shape[1]
    return op("gather", expand_batch(ctx, a), dim=d, index=np.broadcast_to(idx.reshape(view), tuple(shape)))


RULES["index_select"] = _index_select


def _take(ctx, args, params):
    a = args[0]
    flat = op("_unsafe_view", a.t, shape=(ctx.B, -1))
    idx = np.asarray(params["index"])
    if "index" not in ctx.bparams:
        idx = np.broadcast_to(idx, (ctx.B,) + idx.shape)
    n = int(np.prod(a.lshape, dtype=np.int64))
    # the sample's flat positions, offset into the flattened batch
    idx = idx + (np.arange(ctx.B) * n).reshape((ctx.B,) + (1,) * (idx.ndim - 1))
    out = call(ctx.spec, (op("_unsafe_view", flat, shape=(-1,)),), dict(params, index=idx))
    return out


RULES["take"] = _take


def _masked_fill(ctx, args, params):
    a = args[0]
    mask = np.asarray(params["mask"])
    mb = "mask" in ctx.bparams
    R = max(a.r, mask.ndim - (1 if mb else 0))
    x = pad_to(Arg(expand_batch(ctx, a), True), R)
    if mb:
        mask = mask.reshape((ctx.B,) + (1,) * (R - mask.ndim + 1) + mask.shape[1:])
    if len(args) > 1 and args[1].is_tensor and args[1].b:
        # a batched 0-d value: an elementwise where (masked_fill's value formula sums everything)
        return op("where", np.broadcast_to(mask, tuple(x.shape)) if not mb else mask, pad_to(args[1], R), x)
    return call(ctx.spec, (x,) + tuple(y.t for y in args[1:]), dict(params, mask=mask))


RULES["masked_fill.Scalar"] = _masked_fill
RULES["masked_fill.Tensor"] = _masked_fill


# ====================================================================== index parameters
def _bidx(ctx, params, name, r):
    """An index parameter with the batch in front (broadcast when it was not batched)."""
    idx = np.asarray(params[name])
    if name in ctx.bparams:
        return idx
    return np.broadcast_to(idx, (ctx.B,) + idx.shape)


def scatter_rule(ctx, args, params):
    """scatter / scatter_add / scatter_reduce / _gather: index and src batched like self."""
    a = args[0]
    if a.r == 0:
        raise RuntimeError(f"vmap: {ctx.spec.name} on a 0-d tensor is not supported")
    ins = [expand_batch(ctx, x) if x.is_tensor else x.t for x in args]
    p = dict(params, dim=fix_dim(ctx, params["dim"], a.r), index=_bidx(ctx, params, "index", a.r))
    return call(ctx.spec, tuple(ins), p)


for _n in ("scatter_add", "scatter.src", "scatter.value", "scatter.reduce", "scatter.value_reduce",
           "scatter_reduce", "_gather"):
    RULES[_n] = scatter_rule


def _scatter_zeros(ctx, args, params):
    a = args[0]
    r = len(params["shape"])
    return call(ctx.spec, (expand_batch(ctx, a),), dict(params, dim=fix_dim(ctx, params["dim"], r),
                                                        index=_bidx(ctx, params, "index", r),
                                                        shape=(ctx.B,) + tuple(params["shape"])))


RULES["_scatter_zeros"] = _scatter_zeros
RULES["_scatter_add_zeros"] = _scatter_zeros


def index_along_rule(ctx, args, params):
    """index_add / index_copy / index_fill: a 1-D index along ``dim``, the same per sample."""
    if "index" in ctx.bparams:
        raise RuntimeError(f"vmap: {ctx.spec.name} with a batched index is not supported")
    a = args[0]
    if ctx.spec.name == "index_fill.int_Tensor" and args[1].b:
        # a batched 0-d value: where() over the filled positions
        d = fix_dim(ctx, params["dim"], a.r) - 1
        mask = np.zeros(a.lshape, dtype=bool)
        key = [slice(None)] * a.r
        key[d] = np.asarray(params["index"]).reshape(-1)
        mask[tuple(key)] = True
        return op("where", np.broadcast_to(mask, (ctx.B,) + a.lshape), pad_to(args[1], a.r), expand_batch(ctx, a))
    ins = [expand_batch(ctx, x) if x.is_tensor and (i == 0 or x.r == a.r) else
           pad_to(x, a.r) if x.is_tensor and x.b else x.t for i, x in enumerate(args)]
    return call(ctx.spec, tuple(ins), dict(params, dim=fix_dim(ctx, params["dim"], max(a.r, 1)) if a.r else 1))


for _n in ("index_add", "index_copy", "index_fill.int_Scalar", "index_fill.int_Tensor"):
    RULES[_n] = index_along_rule


def _index_put(ctx, args, params):
    a, v = args
    key = _bool_to_int(_expand_ellipsis(tuple(params["indices"]), a.r))
    if any(isinstance(k, tuple) for k in ctx.bparams):
        raise RuntimeError("vmap: index_put with batched indices is not supported")
    pos = _adv_positions(key)
    if pos and pos != list(range(pos[0], pos[0] + len(pos))):
        raise RuntimeError("vmap: index_put with non-adjacent advanced indices is not supported")
    x = expand_batch(ctx, a)
    val = v.t
    if v.b:
        target = np.empty(a.lshape, dtype=bool)[key].ndim
        val = pad_to(v, target)
    return call(ctx.spec, (x, val), dict(params, indices=(slice(None),) + key))


RULES["index_put"] = _index_put


def _masked_scatter(ctx, args, params):
    a, src = args
    mask = np.asarray(params["mask"])
    if "mask" in ctx.bparams:
        raise RuntimeError("vmap: masked_scatter with a batched mask is not supported")
    shape = np.broadcast_shapes(a.lshape, mask.shape)
    m = np.broadcast_to(mask, shape)
    cnt = int(m.sum())
    x = op("expand", pad_to(Arg(expand_batch(ctx, a), True), len(shape)), size=(ctx.B,) + shape)
    s = expand_batch(ctx, src)
    vals = op("slice", op("_unsafe_view", s, shape=(ctx.B, -1)), dim=1, start=0, end=cnt, step=1)
    return op("index_put", op("clone", x), vals, indices=(slice(None),) + tuple(np.nonzero(m)), accumulate=False)


RULES["masked_scatter"] = _masked_scatter


def _nll(ctx, args, params):
    from .._tensor import wrap
    a = args[0]
    t = np.asarray(params["target"])
    tb = "target" in ctx.bparams
    x = expand_batch(ctx, a)
    s = tuple(x.shape)
    if a.r == 1:
        tt = t if tb else np.broadcast_to(t, (ctx.B,))
        xf = x
    else:
        tt = (t if tb else np.broadcast_to(t, (ctx.B,) + t.shape)).reshape((-1,) + t.shape[1 if tb else 0:][1:])
        xf = op("_unsafe_view", x, shape=(s[0] * s[1],) + s[2:])
    red = params.get("reduction", "mean")
    out = call(ctx.spec, (xf,), dict(params, target=np.ascontiguousarray(tt), reduction="none"))
    if a.r > 1:
        out = op("_unsafe_view", out, shape=(ctx.B,) + tuple(t.shape[1:] if tb else t.shape))
    if red == "none":
        return out
    dims = tuple(range(1, out.dim()))
    total = op("sum.dim_IntList", out, dim=dims, keepdim=False) if dims else out
    if red == "sum":
        return total
    w = params.get("weight")
    tb_full = t if tb else np.broadcast_to(t, (ctx.B,) + t.shape)
    ign = tb_full == params.get("ignore_index", -100)
    safe = np.where(ign, 0, tb_full)
    wv = np.ones(s[1 if a.r == 1 else 2], x._data.dtype) if w is None else np.asarray(w, x._data.dtype)
    wt = np.where(ign, 0, wv[safe]).reshape(ctx.B, -1).sum(1).astype(x._data.dtype)
    return op("div", total, wrap(wt))


RULES["nnf.nll_loss"] = _nll


def _multi_margin(ctx, args, params):
    """Samples' rows stacked into one (rows, C) call with reduction='none', reduced per sample."""
    a = args[0]
    x = expand_batch(ctx, a)
    t = np.asarray(params["target"])
    tt = t if "target" in ctx.bparams else np.broadcast_to(t, (ctx.B,) + t.shape)
    s = tuple(x.shape)
    xf = op("_unsafe_view", x, shape=(-1, s[-1] if a.r else 1))
    rows = np.ascontiguousarray(tt).reshape(-1)
    w = params.get("weight")
    wb = w is not None and "weight" in ctx.bparams
    out = call(ctx.spec, (xf,), dict(params, target=rows, reduction="none", weight=None if wb else w))
    if wb:   # a weight per sample: each row's loss is scaled by its sample's weight of its target
        from .._tensor import wrap
        w = np.asarray(w)
        out = op("mul", out, wrap(w[np.repeat(np.arange(ctx.B), rows.size // ctx.B), rows]))
    out = op("_unsafe_view", out, shape=(ctx.B,) + (s[1:2] if a.r == 2 else tt.shape[1:]))
    red = params.get("reduction", "mean")
    dims = tuple(range(1, out.dim()))
    if red == "none" or not dims:
        return out
    return op("sum.dim_IntList" if red == "sum" else "mean.dim", out, dim=dims, keepdim=False)


RULES["nnf.multi_margin_loss"] = _multi_margin


def _sdpa_flash(ctx, args, params):
    """Attention on the trailing dims: the batch in front of every input; a batched mask
    gets ones between the batch and its own dims to line up with (B, N, H, L, S)."""
    ins = [expand_batch(ctx, a) for a in args]
    p = params
    if "attn_mask" in ctx.bparams:
        m = np.asarray(params["attn_mask"])
        p = dict(params, attn_mask=m.reshape((m.shape[0],) + (1,) * (5 - m.ndim) + m.shape[1:]))
    return call(ctx.spec, tuple(ins), p)


RULES["nnf.sdpa_flash_cpu"] = _sdpa_flash
RULES["nnf.nll_loss2d"] = _nll


def _trilinear(ctx, args, params):
    """bilinear / linear: ``_trilinear(i1, w, i2)`` contracts the trailing dims; leading dims
    broadcast, so the batch goes in front of every batched input."""
    i1, w, i2 = args
    terms = [("Z" if a.b else "") + t for a, t in zip(args, ("bi", "oij", "bj"))]
    sizes = {"Z": ctx.B, "b": i1.lshape[0], "i": w.lshape[1], "j": w.lshape[2], "o": w.lshape[0]}
    return op("einsum", [a.t for a in args], terms=terms, out="Zbo", sizes=sizes)


RULES["nnf._trilinear"] = _trilinear


def zero_d(rule):
    """Run ``rule`` on 0-d logical inputs as 1-element vectors, then drop that dim again."""
    def wrapped(ctx, args, params):
        if args[0].r != 0:
            return rule(ctx, args, params)
        args2 = [Arg(op("_unsafe_view", expand_batch(ctx, a), shape=(ctx.B, 1)), True)
                 if a.is_tensor and a.r == 0 and (i == 0 or a.b) else a for i, a in enumerate(args)]
        p = dict(params)
        for k in ("index",):
            if k in p:
                idx = np.asarray(p[k])
                p[k] = idx.reshape(idx.shape + (1,)) if (k in ctx.bparams or idx.ndim == 0) else idx
        out = rule(ctx, args2, p)

        def back(o):
            return op("_unsafe_view", o, shape=(ctx.B,)) if isinstance(o, Tensor) and o.dim() == 2 else o
        return tuple(back(o) for o in out) if type(out) is tuple else back(out)
    return wrapped


for _n in ("gather", "index_select", "index_add", "index_copy", "index_fill.int_Scalar", "index_fill.int_Tensor",
           "scatter_add", "scatter.src", "scatter.value", "scatter.reduce", "scatter.value_reduce", "scatter_reduce",
           "_gather"):
    RULES[_n] = zero_d(RULES[_n])


# ---------------------------------------------------------------- addr, dist, block_diag (ops/extra.py)
def _addr_batched(ctx, args, params):
    """vmap's rule for addr: the outer product by broadcasting, then as addmm's rule."""
    s, v1, v2 = args
    prod = op("mul", op("unsqueeze", v1.t, dim=2 if v1.b else 1), op("unsqueeze", v2.t, dim=1 if v2.b else 0))
    alpha, beta = params.get("alpha", 1), params.get("beta", 1)
    if alpha != 1:
        prod = op("mul", prod, alpha)
    st = pad_to(s, 2) if s.b else s.t
    if beta == 0:   # self stays in the graph with a zero gradient, its NaNs dropped
        st = op("mul", st, 0)
        return op("add", prod, op("where", op("isnan", st), 0.0, st))
    if beta != 1:
        st = op("mul", st, beta)
    return op("add", prod, st)


def _dist_batched(ctx, args, params):
    """vmap's rule for dist: the vector norm of each sample's difference."""
    a, b = args
    rank = max(a.r, b.r)
    d = op("sub", pad_to(a, rank) if a.b else a.t, pad_to(b, rank) if b.b else b.t)
    return op("linalg_vector_norm", d, ord=params.get("p", 2), dim=tuple(range(1, rank + 1)), keepdim=False)


def _block_diag_batched(ctx, args, params):
    """vmap's rule for block_diag: each block padded with zeros to full width, then the
    rows of blocks joined (two cats, whatever the batch size)."""
    from ..ops.extra import _as_block
    blocks = [_as_block(a.lshape) for a in args]
    width = sum(c for _, c in blocks)
    rows, c0 = [], 0
    for a, (r, c) in zip(args, blocks):
        t = expand_batch(ctx, a)
        if a.r < 2:
            t = op("_unsafe_view", t, shape=(ctx.B, r, c))
        dt = t._data.dtype
        parts = [wrap(np.zeros((ctx.B, r, c0), dt))] if c0 else []
        parts.append(t)
        if width - c0 - c:
            parts.append(wrap(np.zeros((ctx.B, r, width - c0 - c), dt)))
        rows.append(op("cat", parts, dim=2) if len(parts) > 1 else t)
        c0 += c
    return op("cat", rows, dim=1) if len(rows) > 1 else rows[0]


RULES.update(addr=_addr_batched, dist=_dist_batched, block_diag=_block_diag_batched)


# ---------------------------------------------------------------- cdist, pdist, renorm (ops/distance.py)
def _broadcast_batch_dims(ctx, args, params):
    """Ops on the trailing two dims whose leading dims broadcast between the inputs
    (cdist's kernels, _euclidean_dist): every tensor padded to the common logical rank,
    with the batch in front."""
    R = max(a.r for a in args if a.is_tensor)
    ins = [pad_to(Arg(expand_batch(ctx, a), True), R) if a.is_tensor else a.t for a in args]
    return call(ctx.spec, tuple(ins), params)


def _renorm_batched(ctx, args, params):
    """renorm with the batch as one more leading dim that the slices' norms leave out."""
    a = args[0]
    dim = fix_dim(ctx, params.get("dim", 0), a.r)
    return call(ctx.spec, (a.t,), dict(params, dim=dim, lead=params.get("lead", 0) + 1))


RULES.update({"_cdist_forward": _broadcast_batch_dims, "_cdist_backward": _broadcast_batch_dims,
              "_euclidean_dist": _broadcast_batch_dims, "_pdist_forward": _last_dims,
              "_pdist_backward": _last_dims, "renorm": _renorm_batched})


# ---------------------------------------------------------------- rrelu, multilabel_margin_loss (ops/nn_extra.py)
def _multilabel_margin(ctx, args, params):
    """Samples' rows stacked into one (rows, C) call with reduction='none', reduced per sample."""
    a = args[0]
    x = expand_batch(ctx, a)
    t = np.asarray(params["target"])
    tt = t if "target" in ctx.bparams else np.broadcast_to(t, (ctx.B,) + t.shape)
    c = a.lshape[-1] if a.r else 1
    out = call(ctx.spec, (op("_unsafe_view", x, shape=(-1, c)),),
               dict(params, target=np.ascontiguousarray(tt).reshape(-1, c), reduction="none"))
    out = op("_unsafe_view", out, shape=(ctx.B,) + (a.lshape[:1] if a.r == 2 else ()))
    red = params.get("reduction", "mean")
    if red == "none" or a.r < 2:
        return out
    return op("sum.dim_IntList" if red == "sum" else "mean.dim", out, dim=(1,), keepdim=False)


for _n in ("nnf.rrelu_with_noise", "nnf.rrelu_with_noise_", "nnf.rrelu_with_noise_backward"):
    RULES[_n] = _ew      # (in evaluation: training's noise is refused under vmap, as PyTorch does)
RULES["nnf.multilabel_margin_loss"] = _multilabel_margin
BACKWARD_ONLY["nnf.multilabel_margin_loss_backward"] = ("a backward-formula helper: backward under vmap runs "
                                                         "physically, levels hidden")


# ====================================================================== 3-D pooling, max unpooling
for _n in ("max_pool3d_with_indices", "avg_pool3d", "adaptive_max_pool3d", "adaptive_avg_pool3d"):
    RULES[_n] = fold_rule(3)
BACKWARD_ONLY.update({n: "a backward-formula helper: backward under vmap runs physically, levels hidden"
                      for n in ("_pool_scatter3d", "_avg_pool3d_backward")})


def _max_unpool(ctx, args, params):
    """max_unpool writes along the flat trailing dims of any leading ones: the input and
    the indices both get the batch in front (the indices may be batched themselves)."""
    x = expand_batch(ctx, args[0])
    idx = np.asarray(params["indices"])
    shape = tuple(_shape_of(x))
    if idx.shape != shape:
        idx = np.broadcast_to(idx, shape)
    return call(ctx.spec, (x,), dict(params, indices=idx))


RULES["max_unpool2d"] = RULES["max_unpool3d"] = _max_unpool


# ====================================================================== 3-D interpolation
for _n in ("upsample_nearest3d", "_upsample_nearest_exact3d", "upsample_trilinear3d"):
    RULES[_n] = fold_rule(3)


# ====================================================================== grid sampling
# input (N, C, *spatial) and grid (N, *out, nd) have the same rank: the batch folds into N
# of both; affine_grid's theta (N, nd, nd + 1) gets the batch folded into N the same way.
RULES["grid_sampler_2d"] = fold_rule(2)
RULES["grid_sampler_3d"] = fold_rule(3)


def _affine_grid_generator(ctx, args, params):
    """theta (B, N, nd, nd + 1) folds into B * N matrices, and ``size``'s batch with it."""
    theta = expand_batch(ctx, args[0])
    s = _shape_of(theta)
    folded = op("_unsafe_view", theta, shape=(s[0] * s[1],) + s[2:])
    size = tuple(params["size"])
    out = call(ctx.spec, (folded,), dict(params, size=(s[0] * size[0],) + size[1:]))
    return op("_unsafe_view", out, shape=(ctx.B, s[1]) + tuple(_shape_of(out))[1:])


RULES["affine_grid_generator"] = _affine_grid_generator


# ====================================================================== embedding_bag
def _bags_per_sample(ctx, params, table_rows):
    """embedding_bag's layout repeated for each of the B samples: sample b reads rows
    offset by b * table_rows (0 for a shared table) and fills bags offset by b * num_bags."""
    B, n = ctx.B, params["num_bags"]
    idx, bags = np.asarray(params["indices"]), np.asarray(params["bags"])
    out = dict(params, num_bags=B * n, coef=np.tile(params["coef"], B),
               indices=(idx[None] + (np.arange(B) * table_rows)[:, None]).reshape(-1),
               bags=(bags[None] + (np.arange(B) * n)[:, None]).reshape(-1))
    if params.get("freq") is not None:
        out["freq"] = np.tile(params["freq"], B)
    return out


def _flat_table(ctx, w):
    """A batched weight (B, V, D) as one table of B * V rows."""
    if not w.b:
        return w.t, 0
    s = _shape_of(w.t)
    return op("_unsafe_view", w.t, shape=(s[0] * s[1], s[2])), s[1]


def _embedding_bag(ctx, args, params):
    table, rows = _flat_table(ctx, args[0])
    p = _bags_per_sample(ctx, params, rows)
    ins = (table,)
    if len(args) > 1:     # per_sample_weights, one row per sample
        ins += (op("_unsafe_view", expand_batch(ctx, args[1]), shape=(-1,)),)
    out = call(ctx.spec, ins, p)
    return op("_unsafe_view", out, shape=(ctx.B, params["num_bags"], _shape_of(out)[-1]))


def _embedding_bag_max(ctx, args, params):
    table, rows = _flat_table(ctx, args[0])
    out, winners = call(ctx.spec, (table,), _bags_per_sample(ctx, params, rows))
    shape = (ctx.B, params["num_bags"], _shape_of(out)[-1])
    # winning rows back to each sample's own table (-1 stays: an empty bag)
    w = winners._data.reshape(shape)
    local = np.where(w >= 0, w - (np.arange(ctx.B) * rows)[:, None, None], -1)
    return op("_unsafe_view", out, shape=shape), wrap(local)


RULES["embedding_bag"] = RULES["embedding_bag_weighted"] = _embedding_bag
RULES["embedding_bag_max"] = _embedding_bag_max


# ====================================================================== channel_shuffle
def _channel_shuffle(ctx, args, params):
    """The batch folded into the leading (N) dim, which the shuffle leaves alone."""
    x = args[0].t
    s = _shape_of(x)
    out = call(ctx.spec, (op("_unsafe_view", x, shape=(s[0] * s[1],) + s[2:]),), params)
    return op("_unsafe_view", out, shape=s)


RULES["channel_shuffle"] = _channel_shuffle


# ====================================================================== LU (ops/lu.py)
RULES["linalg.lu_factor_ex"] = RULES["linalg.lu"] = _last_dims


def _lu_pivots(ctx, params, lead):
    """The ``pivots`` parameter with the batch in front (its physical array when it was a
    batched tensor, else broadcast), then ``lead`` singleton dims."""
    piv = np.asarray(params["pivots"])
    if "pivots" not in ctx.bparams:
        piv = np.broadcast_to(piv, (ctx.B,) + piv.shape)
    return piv.reshape((ctx.B,) + (1,) * lead + piv.shape[1:])


def _lu_unpack_batched(ctx, args, params):
    """lu_unpack works on the trailing dims: LU and its pivots both get the batch in front.
    The empty outputs of unpack_pivots=False / unpack_data=False get a batch dim too."""
    a = expand_batch(ctx, args[0])
    out = call(ctx.spec, (a,), dict(params, pivots=_lu_pivots(ctx, params, 0)))
    return tuple(op("expand", op("unsqueeze", o, dim=0), size=(ctx.B, 0)) if o.dim() == 1 and o.shape[0] == 0
                 and a.dim() > 1 else o for o in out)


def _lu_solve_batched(ctx, args, params):
    """lu_solve: LU (with its pivots) and B broadcast over their leading dims, so all get
    the batch in front and are padded to a common logical rank."""
    LU, Bm = args[0], args[1]
    R = max(LU.r, Bm.r)
    lu = pad_to(Arg(expand_batch(ctx, LU), True), R)
    b = pad_to(Arg(expand_batch(ctx, Bm), True), R)
    return call(ctx.spec, (lu, b), dict(params, pivots=_lu_pivots(ctx, params, R - LU.r)))


RULES["lu_unpack"] = _lu_unpack_batched
RULES["linalg.lu_solve"] = _lu_solve_batched
RULES["linalg.matrix_exp"] = _last_dims    # (a batch takes degree 18 with scaling and squaring, as PyTorch's vmap)
RULES["_reshape_alias"] = _view   # (linalg.tensorinv's final reshape)


# ====================================================================== tensor_extra, stats_extra, math_extra, special
BACKWARD_ONLY["_unfold_backward"] = BACKWARD_ONLY["_diag_strided_backward"] = (
    "a backward-formula helper: backward under vmap runs physically, levels hidden")
DATA_DEPENDENT["unique_consecutive"] = (
    "vmap: We do not support batching operators that can output dynamic shape. Attempted to vmap over "
    "aten::unique_consecutive. Please file an issue at https://github.com/pytorch/pytorch/issues if you need "
    "this feature.")


def _unfold(ctx, args, params):
    a = args[0]
    x = expand_batch(ctx, a)
    if a.r == 0:   # a 0-d sample: its windows are the sample itself (size 1) or nothing
        col = op("_unsafe_view", x, shape=(ctx.B, 1))
        return col if params["size"] == 1 else op("slice", col, dim=1, start=0, end=0, step=1)
    return call(ctx.spec, (x,), dict(params, dimension=fix_dim(ctx, params["dimension"], a.r)))


def _scatter_like(*names):
    """select/slice/diagonal_scatter: both tensors get the batch, the named dims shift."""
    def rule(ctx, args, params):
        r = args[0].r
        ins = tuple(expand_batch(ctx, x) if x.is_tensor else x.t for x in args)
        p = dict(params)
        for n in names:
            p[n] = fix_dim(ctx, p[n], r)
        return call(ctx.spec, ins, p)
    return rule


def _put(ctx, args, params):
    """put: flat indices into each sample, offset to that sample's place in the batch."""
    a, index, source = args
    x = expand_batch(ctx, a)
    n = 1
    for s in a.lshape:
        n *= s
    idx = index.t._data
    if not index.b:
        idx = np.broadcast_to(idx, (ctx.B,) + idx.shape)
    offsets = (np.arange(ctx.B, dtype=np.int64) * n).reshape((ctx.B,) + (1,) * (idx.ndim - 1))
    flat = (idx % n if n else idx) + offsets
    src = expand_batch(ctx, source)
    return call(ctx.spec, (x, wrap(np.ascontiguousarray(flat)), src), params)


def _diag_strided(ctx, args, params):
    return call(ctx.spec, (expand_batch(ctx, args[0]),), dict(params, lead=params.get("lead", 0) + 1))


def _index_reduce(ctx, args, params):
    if args[0].r:
        return RULES["scatter_reduce"](ctx, args, params)
    # 0-d samples: as (B, 1) rows, each reduced into its one element
    x, s = (op("_unsafe_view", expand_batch(ctx, a), shape=(ctx.B, 1)) for a in args)
    out = call(ctx.spec, (x, s), dict(params, dim=1, index=np.zeros((ctx.B, 1), np.int64)))
    return op("_unsafe_view", out, shape=(ctx.B,))


def _whole_batch(ctx, args, params):
    """bincount / histogram: every tensor argument gets the batch (the forward then works
    row by row, in one call)."""
    ins = tuple(expand_batch(ctx, x) if x.is_tensor else x.t for x in args)
    return call(ctx.spec, ins, dict(params, _batched=True))


RULES.update({
    "_diag_strided": _diag_strided, "unfold": _unfold, "narrow_copy": dim_rule("dim"),
    "select_scatter": _scatter_like("dim"), "slice_scatter": _scatter_like("dim"),
    "slice_scatter.out": _scatter_like("dim"), "diagonal_scatter": _scatter_like("dim1", "dim2"),
    "put": _put, "index_reduce": _index_reduce, "squeeze_": RULES["squeeze"], "squeeze_.dims": RULES["squeeze.dims"],
    "unsqueeze_": RULES["unsqueeze"], "t_": RULES["t"], "transpose_": RULES["transpose"],
    "bincount": _whole_batch, "histogram": _whole_batch,
    "cholesky_inverse": _last_dims, "cholesky_solve": _linalg2,   # (leading dims broadcast, as in linalg.solve)
})
for _n in ("gcd", "lcm", "ldexp", "nextafter", "frexp", "i0", "special_i1", "mvlgamma", "special_entr",
           "special_xlog1py", "special_xlog1py.other_scalar", "special_xlog1py.self_scalar", "special_erfcx",
           "special_log_ndtr", "special_ndtri", "special_i0e", "special_i1e"):
    RULES[_n] = _ew
