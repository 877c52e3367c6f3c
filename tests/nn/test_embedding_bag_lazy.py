"""EmbeddingBag, channel shuffle and the lazy modules, side by side with torch: values,
gradients, grad_fn names, default initialisation from the same seed, reprs, state_dict
keys and errors. The op sweep checks the declared embedding_bag ops' samples on top of
this; this file checks the wrappers' argument handling and what samples cannot say."""
import numpy as np
import pytest

from conftest import torch, leafgrad, both, assert_same


def _arr(shape, seed=0, dtype="float64"):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _t(mod, shape, seed=0, dtype="float64", grad=True):
    return mod.tensor(_arr(shape, seed, dtype), requires_grad=grad)


def _dt(mod, name):
    return getattr(mod, name)


# ------------------------------------------------------------------ F.embedding_bag
IDX_2D = [[0, 2, 1], [4, 4, 3]]
IDX_1D = [0, 2, 1, 4, 4, 3, 1]
# (id, input, offsets or None, keyword arguments)
BAG_CALLS = [
    ("2d-mean", IDX_2D, None, {}),
    ("2d-sum", IDX_2D, None, dict(mode="sum")),
    ("2d-max", IDX_2D, None, dict(mode="max")),
    ("1d-sum-empty", IDX_1D, [0, 2, 2, 5], dict(mode="sum")),
    ("1d-mean-empty", IDX_1D, [0, 0, 3, 7], dict(mode="mean")),
    ("1d-max-empty", IDX_1D, [0, 2, 2], dict(mode="max")),
    ("1d-mean-last", IDX_1D, [0, 2, 4, 7], dict(mode="mean", include_last_offset=True)),
    ("1d-max-last-early", IDX_1D, [0, 2, 3], dict(mode="max", include_last_offset=True)),
    ("1d-sum-last-empty", IDX_1D, [0, 2, 7, 7], dict(mode="sum", include_last_offset=True)),
    ("pad-mean", IDX_1D, [0, 2, 5], dict(mode="mean", padding_idx=4)),
    ("pad-neg-sum", IDX_2D, None, dict(mode="sum", padding_idx=-1)),
    ("pad-max", IDX_1D, [0, 3, 4], dict(mode="max", padding_idx=4)),
    ("pad-all-mean", [4, 4, 0], [0, 2], dict(mode="mean", padding_idx=4)),
    ("freq-sum", IDX_1D, [0, 3], dict(mode="sum", scale_grad_by_freq=True)),
    ("freq-mean", IDX_2D, None, dict(mode="mean", scale_grad_by_freq=True, padding_idx=2)),
    ("empty-input", [], [0, 0], dict(mode="sum")),
    ("int32", IDX_1D, [0, 4], dict(mode="mean", int32=True)),
]


def _bag_call(idx, offsets, kw, dtype="float64", psw=None):
    kw = dict(kw)
    int32 = kw.pop("int32", False)

    def run(mod):
        itype = mod.int32 if int32 else mod.int64
        w = _t(mod, (5, 3), dtype=dtype)
        off = None if offsets is None else mod.tensor(offsets, dtype=itype)
        ps = None if psw is None else mod.tensor(np.asarray(psw, dtype), requires_grad=True)
        out = mod.nn.functional.embedding_bag(mod.tensor(idx, dtype=itype), w, off, per_sample_weights=ps, **kw)
        cot = mod.tensor(_arr(tuple(out.shape), 1, dtype))
        (out * cot).sum().backward()
        return out, w.grad, None if ps is None else ps.grad
    return run


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", BAG_CALLS, ids=[c[0] for c in BAG_CALLS])
def test_embedding_bag_values_and_grads(case, dtype):
    _, idx, offsets, kw = case
    assert_same(*both(_bag_call(idx, offsets, kw, dtype)))


PSW_CALLS = [
    ("2d", IDX_2D, None, {}, [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]),
    ("1d-empty", IDX_1D, [0, 2, 2, 5], {}, [0.5, -1.0, 2.0, 1.5, 0.25, -0.75, 3.0]),
    ("pad", IDX_1D, [0, 3], dict(padding_idx=4), [0.5, -1.0, 2.0, 1.5, 0.25, -0.75, 3.0]),
    ("last", IDX_1D, [0, 3, 7], dict(include_last_offset=True), [0.5, -1.0, 2.0, 1.5, 0.25, -0.75, 3.0]),
    ("freq", IDX_1D, [0, 3], dict(scale_grad_by_freq=True), [0.5, -1.0, 2.0, 1.5, 0.25, -0.75, 3.0]),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", PSW_CALLS, ids=[c[0] for c in PSW_CALLS])
def test_embedding_bag_per_sample_weights(case, dtype):
    _, idx, offsets, kw, psw = case
    assert_same(*both(_bag_call(idx, offsets, dict(kw, mode="sum"), dtype, psw)))


def test_embedding_bag_per_sample_weights_graph():
    """A 2-D input's per_sample_weights are flattened by a view, as in torch."""
    def run(mod):
        psw = mod.ones(2, 3, requires_grad=True)
        out = mod.nn.functional.embedding_bag(mod.tensor(IDX_2D), _t(mod, (5, 3)), mode="sum", per_sample_weights=psw)
        return [None if f is None else type(f).__name__ for f, _ in out.grad_fn.next_functions]
    assert_same(*both(run))


def test_embedding_bag_max_ties_and_unused_rows():
    def run(mod):
        w = mod.tensor([[1., 5., 2.], [1., 5., 3.], [0., 0., 0.], [7., -1., 3.]], requires_grad=True)
        out = mod.nn.functional.embedding_bag(mod.tensor([0, 1, 2, 3, 1]), w, mod.tensor([0, 2]), mode="max")
        out.backward(mod.ones_like(out))
        return out, w.grad
    assert_same(*both(run))


def test_embedding_bag_max_norm_renormalises_in_place():
    def run(mod):
        w = _t(mod, (5, 3), grad=False) * 3
        w.requires_grad_()
        out = mod.nn.functional.embedding_bag(mod.tensor([0, 2, 2, 4]), w, mod.tensor([0, 1]), max_norm=1.5,
                                              norm_type=1.0, mode="sum")
        out.sum().backward()
        return out, w.detach(), w.grad, w._version
    assert_same(*both(run))


def test_embedding_bag_max_norm_rows_not_looked_up_stay():
    def run(mod):
        w = _t(mod, (5, 3), grad=False) * 3
        mod.nn.functional.embedding_bag(mod.tensor([[1, 3]]), w, max_norm=1.0)
        return w
    assert_same(*both(run))


def test_embedding_bag_create_graph_first_derivative():
    def run(mod):
        w = _t(mod, (5, 3))
        out = mod.nn.functional.embedding_bag(mod.tensor(IDX_2D), w, mode="mean")
        (g,) = mod.autograd.grad((out * out).sum(), w, create_graph=True)
        return g.detach()
    assert_same(*both(run))


BAG_ERRORS = [
    ("1d-no-offsets", lambda m, w: m.nn.functional.embedding_bag(m.tensor([0, 1]), w)),
    ("offsets-2d", lambda m, w: m.nn.functional.embedding_bag(m.tensor([0, 1]), w, m.tensor([[0]]))),
    ("offsets0", lambda m, w: m.nn.functional.embedding_bag(m.tensor([0, 1]), w, m.tensor([1]))),
    ("offsets0-int32", lambda m, w: m.nn.functional.embedding_bag(m.tensor([0, 1], dtype=m.int32), w,
                                                                  m.tensor([1, 2], dtype=m.int32))),
    ("offsets-last", lambda m, w: m.nn.functional.embedding_bag(m.tensor([0, 1]), w, m.tensor([0, 3]))),
    ("offsets-decreasing", lambda m, w: m.nn.functional.embedding_bag(m.tensor([0, 1, 2]), w, m.tensor([0, 2, 1]))),
    ("mode", lambda m, w: m.nn.functional.embedding_bag(m.tensor([[0, 1]]), w, mode="min")),
    ("max-freq", lambda m, w: m.nn.functional.embedding_bag(m.tensor([[0, 1]]), w, mode="max",
                                                            scale_grad_by_freq=True)),
    ("max-sparse", lambda m, w: m.nn.functional.embedding_bag(m.tensor([[0, 1]]), w, mode="max", sparse=True)),
    ("psw-mean", lambda m, w: m.nn.functional.embedding_bag(m.tensor([[0, 1]]), w, per_sample_weights=m.ones(1, 2))),
    ("psw-shape", lambda m, w: m.nn.functional.embedding_bag(m.tensor([[0, 1]]), w, mode="sum",
                                                             per_sample_weights=m.ones(2))),
    ("psw-dtype", lambda m, w: m.nn.functional.embedding_bag(m.tensor([[0, 1]]), w, mode="sum",
                                                             per_sample_weights=m.ones(1, 2, dtype=m.float64))),
    ("index-high", lambda m, w: m.nn.functional.embedding_bag(m.tensor([[0, 7]]), w)),
    ("index-negative", lambda m, w: m.nn.functional.embedding_bag(m.tensor([[0, -1]]), w)),
    ("index-1d", lambda m, w: m.nn.functional.embedding_bag(m.tensor([0, 7, 1, 2]), w, m.tensor([0, 3]))),
    ("index-max", lambda m, w: m.nn.functional.embedding_bag(m.tensor([0, 7, 1]), w, m.tensor([0, 1]), mode="max")),
    ("index-max-neg", lambda m, w: m.nn.functional.embedding_bag(m.tensor([[0, -1]]), w, mode="max")),
    ("index-double", lambda m, w: m.nn.functional.embedding_bag(m.tensor([0, 7]), w.double(), m.tensor([0, 1]))),
    ("index-padding", lambda m, w: m.nn.functional.embedding_bag(m.tensor([0, 1, 2, 7]), w, m.tensor([0, 1, 2, 3]),
                                                                 padding_idx=1)),
    ("last-offset-none", lambda m, w: m.nn.functional.embedding_bag(m.tensor([0, 1]), w,
                                                                    m.tensor([], dtype=m.int64),
                                                                    include_last_offset=True)),
    ("last-offset-decreasing", lambda m, w: m.nn.functional.embedding_bag(m.tensor([0, 1, 2]), w, m.tensor([0, 2, 1]),
                                                                          include_last_offset=True)),
    ("float-indices", lambda m, w: m.nn.functional.embedding_bag(m.tensor([0., 1.]), w, m.tensor([0, 1]))),
    ("float-offsets", lambda m, w: m.nn.functional.embedding_bag(m.tensor([0, 1]), w, m.tensor([0., 1.]))),
    ("padding-range", lambda m, w: m.nn.functional.embedding_bag(m.tensor([[0, 1]]), w, padding_idx=9)),
    ("padding-range-neg", lambda m, w: m.nn.functional.embedding_bag(m.tensor([[0, 1]]), w, padding_idx=-6)),
    ("weight-1d", lambda m, w: m.nn.functional.embedding_bag(m.tensor([[0, 1]]), w[0])),
    ("input-3d", lambda m, w: m.nn.functional.embedding_bag(m.tensor([[[0, 1]]]), w)),
    ("module-padding", lambda m, w: m.nn.EmbeddingBag(5, 3, padding_idx=5)),
    ("module-padding-neg", lambda m, w: m.nn.EmbeddingBag(5, 3, padding_idx=-6)),
    ("module-weight-shape", lambda m, w: m.nn.EmbeddingBag(4, 3, _weight=w)),
    ("pretrained-1d", lambda m, w: m.nn.EmbeddingBag.from_pretrained(w[0])),
]


@pytest.mark.parametrize("case", BAG_ERRORS, ids=[c[0] for c in BAG_ERRORS])
def test_embedding_bag_errors(case):
    a, b = both(lambda m: case[1](m, m.ones(5, 3)))
    assert isinstance(a, Exception), a
    assert_same(a, b)


def test_embedding_bag_offsets_with_2d_input():
    """The message names the offsets' class, which is leafgrad's own Tensor here."""
    a, b = both(lambda m: m.nn.functional.embedding_bag(m.tensor([[0, 1]]), m.ones(5, 3), m.tensor([0])))
    assert type(a) is type(b) is ValueError
    assert str(b) == str(a).replace("<class 'torch.Tensor'>", str(leafgrad.Tensor))


# ------------------------------------------------------------------ nn.EmbeddingBag
BAG_MODULES = [
    ("default", dict()),
    ("sum-pad", dict(mode="sum", padding_idx=2)),
    ("max-norm", dict(mode="max", max_norm=1.0, norm_type=1.5, padding_idx=-2, include_last_offset=True)),
    ("freq", dict(scale_grad_by_freq=True, mode="mean")),
    ("double", dict(dtype="float64")),
]


@pytest.mark.parametrize("case", BAG_MODULES, ids=[c[0] for c in BAG_MODULES])
def test_embedding_bag_module(case):
    kw = case[1]

    def run(mod):
        mod.manual_seed(0)
        args = dict(kw)
        if "dtype" in args:
            args["dtype"] = _dt(mod, args["dtype"])
        m = mod.nn.EmbeddingBag(6, 3, **args)
        init = m.weight.detach().clone()
        out = m(mod.tensor([1, 2, 5, 5, 0, 3]), mod.tensor([0, 1, 4]))
        out.sum().backward()
        return repr(m), init, out, m.weight.grad, list(m.state_dict()), m.weight.dtype, m.padding_idx
    assert_same(*both(run))


def test_embedding_bag_module_per_sample_weights():
    def run(mod):
        mod.manual_seed(1)
        m = mod.nn.EmbeddingBag(4, 2, mode="sum")
        psw = mod.tensor([[0.5, 2.0], [1.0, -1.0]], requires_grad=True)
        out = m(mod.tensor([[0, 3], [1, 1]]), per_sample_weights=psw)
        out.sum().backward()
        return out, psw.grad, m.weight.grad
    assert_same(*both(run))


@pytest.mark.parametrize("freeze", [True, False])
def test_embedding_bag_from_pretrained(freeze):
    def run(mod):
        m = mod.nn.EmbeddingBag.from_pretrained(mod.arange(12.).reshape(4, 3), freeze=freeze, mode="max",
                                                padding_idx=1)
        return repr(m), m.weight.requires_grad, m(mod.tensor([[0, 3], [1, 2]])), m.include_last_offset
    assert_same(*both(run))


# ------------------------------------------------------------------ channel_shuffle
SHUFFLES = [("3d", (2, 6, 3), 3), ("4d", (1, 4, 2, 3), 2), ("5d", (2, 6, 1, 2, 2), 6), ("one-group", (1, 3, 2), 1)]


@pytest.mark.parametrize("path", ["channel_shuffle", "nn.functional.channel_shuffle", "module"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", SHUFFLES, ids=[c[0] for c in SHUFFLES])
def test_channel_shuffle(case, dtype, path):
    _, shape, groups = case

    def run(mod):
        fn = {"channel_shuffle": mod.channel_shuffle, "nn.functional.channel_shuffle":
              mod.nn.functional.channel_shuffle, "module": mod.nn.ChannelShuffle(groups)}[path]
        x = _t(mod, shape, dtype=dtype)
        out = fn(x, groups) if path != "module" else fn(x)
        (g,) = mod.autograd.grad((out * mod.tensor(_arr(shape, 1, dtype))).sum(), x, create_graph=True)
        (h,) = mod.autograd.grad((g * g).sum(), x)
        return out, out.is_contiguous(), g, h
    assert_same(*both(run))


def test_channel_shuffle_integer_and_repr():
    def run(mod):
        m = mod.nn.ChannelShuffle(3)
        return repr(m), m(mod.arange(12).reshape(1, 6, 2)), list(m.state_dict())
    assert_same(*both(run))


SHUFFLE_ERRORS = [
    ("groups-4", lambda m: m.channel_shuffle(m.ones(2, 6, 3), 4)),
    ("groups-0", lambda m: m.nn.functional.channel_shuffle(m.ones(2, 6, 3), 0)),
    ("groups-neg", lambda m: m.channel_shuffle(m.ones(2, 6, 3), -1)),
    ("1d", lambda m: m.channel_shuffle(m.ones(6), 2)),
    ("2d", lambda m: m.channel_shuffle(m.ones(6, 4), 2)),
    ("float-groups", lambda m: m.channel_shuffle(m.ones(2, 6, 3), 2.0)),
    ("module-groups", lambda m: m.nn.ChannelShuffle(4)(m.ones(2, 6, 3))),
]


@pytest.mark.parametrize("case", SHUFFLE_ERRORS, ids=[c[0] for c in SHUFFLE_ERRORS])
def test_channel_shuffle_errors(case):
    a, b = both(case[1])
    assert isinstance(a, Exception), a
    assert_same(a, b)


# ------------------------------------------------------------------ lazy modules
def _shapes(mod):
    """Parameter and buffer names, classes and shapes (placeholders: their class only)."""
    out = []
    for name, t in list(mod.named_parameters()) + list(mod.named_buffers()):
        lazy = type(t).__name__.startswith("Uninitialized")
        out.append((name, type(t).__name__, None if lazy else tuple(t.shape), t.requires_grad))
    return out


# (id, constructor(nn), input shape)
LAZY = [
    ("Linear", lambda nn: nn.LazyLinear(3), (2, 4)),
    ("Linear-nobias", lambda nn: nn.LazyLinear(3, bias=False), (2, 5, 4)),
    ("Linear-1d", lambda nn: nn.LazyLinear(2), (4,)),
    ("Conv1d", lambda nn: nn.LazyConv1d(4, 3), (2, 2, 6)),
    ("Conv1d-unbatched", lambda nn: nn.LazyConv1d(4, 3, padding=1), (2, 6)),
    ("Conv2d", lambda nn: nn.LazyConv2d(4, 3, stride=2, padding=1, groups=2, bias=False), (1, 2, 5, 5)),
    ("Conv2d-mode", lambda nn: nn.LazyConv2d(2, 3, padding=1, padding_mode="reflect"), (1, 3, 4, 4)),
    ("Conv3d", lambda nn: nn.LazyConv3d(2, (1, 2, 1)), (1, 2, 3, 3, 3)),
    ("ConvTranspose1d", lambda nn: nn.LazyConvTranspose1d(4, 3), (2, 2, 5)),
    ("ConvTranspose2d", lambda nn: nn.LazyConvTranspose2d(4, 3, stride=2, output_padding=1), (1, 2, 3, 3)),
    ("ConvTranspose3d", lambda nn: nn.LazyConvTranspose3d(2, 2, groups=2, dilation=2), (1, 2, 3, 3, 3)),
    ("BatchNorm1d", lambda nn: nn.LazyBatchNorm1d(), (4, 3)),
    ("BatchNorm2d", lambda nn: nn.LazyBatchNorm2d(affine=False), (2, 3, 4, 4)),
    ("BatchNorm3d", lambda nn: nn.LazyBatchNorm3d(momentum=None, bias=False), (2, 3, 2, 2, 2)),
    ("BatchNorm1d-nostats", lambda nn: nn.LazyBatchNorm1d(track_running_stats=False), (4, 3, 2)),
    ("InstanceNorm1d", lambda nn: nn.LazyInstanceNorm1d(), (2, 3, 5)),
    ("InstanceNorm2d", lambda nn: nn.LazyInstanceNorm2d(eps=1e-3), (3, 4, 4)),
    ("InstanceNorm3d", lambda nn: nn.LazyInstanceNorm3d(affine=True, track_running_stats=False), (1, 2, 2, 3, 2)),
]


@pytest.mark.parametrize("case", LAZY, ids=[c[0] for c in LAZY])
def test_lazy_module(case):
    _, make, shape = case

    def run(mod):
        mod.manual_seed(7)
        m = make(mod.nn)
        before = (repr(m), type(m).__name__, _shapes(m), m.has_uninitialized_params(), list(m.state_dict()))
        x = _t(mod, shape, dtype="float32")
        out = m(x)
        out.sum().backward()
        after = (repr(m), type(m).__name__, _shapes(m), hasattr(m, "_initialize_hook"),
                 {k: v for k, v in m.state_dict().items()})
        grads = [p.grad for p in m.parameters()]
        return before, out, x.grad, after, grads, m(x)
    assert_same(*both(run))


def test_lazy_same_seed_same_weights_as_eager():
    """The lazy module draws its weights at the first forward, in the order the eager
    module draws them at construction."""
    def run(mod):
        mod.manual_seed(11)
        lazy = mod.nn.Sequential(mod.nn.LazyConv2d(3, 2), mod.nn.LazyLinear(4))
        lazy(mod.ones(1, 2, 3, 3))
        mod.manual_seed(11)
        eager = mod.nn.Sequential(mod.nn.Conv2d(2, 3, 2), mod.nn.Linear(2, 4))
        return list(lazy.state_dict().values()), list(eager.state_dict().values())
    a, b = both(run)
    assert_same(a, b)
    assert_same(a[0], a[1])


def test_uninitialized_parameter_and_buffer():
    def run(mod):
        p = mod.nn.parameter.UninitializedParameter()
        q = mod.nn.UninitializedParameter(requires_grad=False, dtype=mod.float64)
        b = mod.nn.UninitializedBuffer()
        facts = [repr(p), str(p), p.requires_grad, tuple(p.size()), p.dtype, repr(b), b.requires_grad,
                 isinstance(p, mod.nn.Parameter), isinstance(b, mod.nn.Parameter), q.requires_grad, q.dtype]
        p.materialize((2, 3))
        q.materialize((4,))
        b.materialize((3,), dtype=mod.float64)
        return facts, [type(p).__name__, tuple(p.shape), p.requires_grad, type(q).__name__, q.dtype, q.requires_grad,
                       type(b).__name__, tuple(b.shape), b.dtype, b.requires_grad]
    assert_same(*both(run))


def test_lazy_state_dict_before_forward_and_deepcopy():
    import copy

    def run(mod):
        m = mod.nn.LazyLinear(3)
        sd = m.state_dict()
        c = copy.deepcopy(m)
        return ([(k, type(v).__name__, repr(v)) for k, v in sd.items()], repr(c), type(c.weight).__name__,
                c.weight is not m.weight)
    assert_same(*both(run))


def test_lazy_load_state_dict_materialises():
    def run(mod):
        mod.manual_seed(2)
        src = mod.nn.Linear(5, 3)
        m = mod.nn.LazyLinear(3)
        res = m.load_state_dict(src.state_dict())
        facts = (type(m).__name__, type(m.weight).__name__, tuple(m.weight.shape), m.in_features, repr(m),
                 tuple(res.missing_keys), tuple(res.unexpected_keys))
        out = m(mod.ones(2, 5))
        return facts, out, type(m).__name__, m.in_features, m.weight.detach()
    assert_same(*both(run))


def test_lazy_batchnorm_load_state_dict():
    def run(mod):
        src = mod.nn.BatchNorm2d(4)
        src(_t(mod, (3, 4, 2, 2), dtype="float32"))
        m = mod.nn.LazyBatchNorm2d()
        m.load_state_dict(src.state_dict())
        return type(m).__name__, m.running_mean, m.num_batches_tracked, m(mod.ones(2, 4, 1, 1)).detach()
    assert_same(*both(run))


def _lazy_error_cases():
    def shape_of_placeholder(m):
        return m.nn.LazyLinear(3).weight.shape

    def linear_wrong_loaded_features(m):
        lin = m.nn.LazyLinear(3)
        lin.load_state_dict(m.nn.Linear(5, 3).state_dict())
        return lin(m.ones(2, 4))

    def share_memory(m):
        return m.nn.UninitializedBuffer().share_memory_()

    def base_initialize(m):
        class Lazy(m.nn.modules.lazy.LazyModuleMixin, m.nn.Module):
            def forward(self, x):
                return x
        return Lazy()(m.ones(1))
    return [
        ("shape", shape_of_placeholder),
        ("linear-loaded", linear_wrong_loaded_features),
        ("share-memory", share_memory),
        ("no-initialize_parameters", base_initialize),
        ("conv-rank", lambda m: m.nn.LazyConv2d(4, 3)(m.ones(2, 5, 5, 5, 5))),
        ("conv-groups", lambda m: m.nn.LazyConv2d(4, 3, groups=2)(m.ones(1, 3, 5, 5))),
        ("convT-rank", lambda m: m.nn.LazyConvTranspose1d(4, 3)(m.ones(5))),
        ("bn-rank", lambda m: m.nn.LazyBatchNorm2d()(m.ones(3, 5))),
        ("in-rank", lambda m: m.nn.LazyInstanceNorm1d()(m.ones(3, 5, 2, 2))),
    ]


LAZY_ERRORS = _lazy_error_cases()


@pytest.mark.parametrize("case", LAZY_ERRORS, ids=[c[0] for c in LAZY_ERRORS])
def test_lazy_errors(case):
    a, b = both(case[1])
    assert isinstance(a, Exception), a
    assert_same(a, b)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_two_forwards_with_max_norm_then_backward(mode):
    """The second forward rescales rows in place; the first forward's backward still runs
    (torch saves no weight for these modes)."""
    def run(mod):
        mod.manual_seed(5)
        m = mod.nn.EmbeddingBag(6, 3, mode=mode, max_norm=0.5)
        a = m(mod.tensor([[0, 1], [2, 3]]))
        b = m(mod.tensor([[1, 4], [5, 5]]))
        (a.sum() + 2 * b.sum()).backward()
        return a, b, m.weight.grad, m.weight.detach()
    assert_same(*both(run))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_create_graph_gradient(mode):
    """Under create_graph the gradient depends on grad_output, as in torch (whose node,
    EmbeddingBagBackwardBackward0, refuses a further backward; leafgrad's goes on)."""
    def run(mod):
        w = _t(mod, (5, 3))
        out = mod.nn.functional.embedding_bag(mod.tensor(IDX_2D), w, mode=mode)
        (g,) = mod.autograd.grad((out * out).sum(), w, create_graph=True)
        return g.requires_grad, g.detach()
    assert_same(*both(run))


@pytest.mark.parametrize("convert", ["double", "to"])
def test_lazy_dtype_change_before_forward(convert):
    def run(mod):
        mod.manual_seed(4)
        seq = mod.nn.Sequential(mod.nn.LazyLinear(3), mod.nn.LazyBatchNorm1d())
        seq = seq.double() if convert == "double" else seq.to(mod.float64)
        before = [(n, type(t).__name__, t.dtype) for n, t in list(seq.named_parameters()) + list(seq.named_buffers())]
        out = seq(mod.ones(4, 2, dtype=mod.float64))
        return before, out, [type(m).__name__ for m in seq], seq[1].running_mean
    assert_same(*both(run))


def test_lazy_state_dict_into_lazy_and_into_eager():
    def run(mod):
        m = mod.nn.LazyLinear(3)
        res = m.load_state_dict(mod.nn.LazyLinear(3).state_dict())
        try:
            mod.nn.Linear(2, 3).load_state_dict(mod.nn.LazyLinear(3).state_dict())
            eager = None
        except Exception as e:  # noqa: BLE001 - compared as a value
            eager = e
        return str(res), type(m).__name__, type(m.weight).__name__, eager
    assert_same(*both(run))


def test_embedding_bag_old_argument_order_warns_and_swaps():
    import warnings

    def run(mod):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = mod.nn.functional.embedding_bag(_t(mod, (5, 3)), mod.tensor([[0, 1], [4, 4]]))
        return out, [(w.category.__name__, str(w.message)) for w in caught]
    assert_same(*both(run))
