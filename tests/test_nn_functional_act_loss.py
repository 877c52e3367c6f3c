"""nn.functional activations and losses side by side with torch: errors, in-place forms,
dropout's random stream, numerical stability at large |x|, graphs of composite calls,
and what the op sweep cannot express."""
import warnings

import numpy as np
import pytest

from conftest import assert_same, both, to_numpy, torch, leafgrad  # noqa: F401

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4))
X3 = RNG.standard_normal((2, 3, 4))
W = RNG.standard_normal((5, 4))
B = RNG.standard_normal(5)
P = RNG.uniform(0.05, 0.95, (3, 4))
W3 = RNG.standard_normal((2, 4, 3))
X5 = RNG.standard_normal((2, 3, 2, 2, 2))
T5 = RNG.integers(0, 3, (2, 2, 2, 2))


def _t(m, a, grad=False, dtype=None):
    t = m.tensor(np.array(a, copy=True))
    if dtype is not None:
        t = t.to(getattr(m, dtype))
    if grad:
        t.requires_grad_(True)
    return t


def check(fn, backward=True):
    """Compare ``fn(module)`` in both libraries; when it returns a tensor requiring grad,
    also the gradients of its sum w.r.t. the inputs the function registers."""
    results = []
    for m in (torch, leafgrad):
        ins = []

        def new(a, grad=True, dtype=None, _m=m, _ins=ins):
            t = _t(_m, a, grad, dtype)
            if grad:
                _ins.append(t)
            return t
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = fn(m, new)
            grads = None
            if backward and isinstance(out, (torch.Tensor, leafgrad.Tensor)) and out.requires_grad:
                grads = m.autograd.grad(out.sum(), ins, allow_unused=True)
            results.append((out, grads))
        except Exception as e:  # noqa: BLE001
            results.append(e)
    assert_same(results[0], results[1])
    return results


# ------------------------------------------------------------------ errors
ERRORS = {
    "nll_float_target": lambda m, n: m.nn.functional.nll_loss(n(X), n([0., 1, 3], False)),
    "nll_int32_target": lambda m, n: m.nn.functional.nll_loss(n(X), n(np.array([0, 1, 3], np.int32), False)),
    "nll_out_of_bounds": lambda m, n: m.nn.functional.nll_loss(n(X), n([0, 1, 4], False)),
    "nll_negative": lambda m, n: m.nn.functional.nll_loss(n(X), n([0, 1, -1], False)),
    "nll_batch": lambda m, n: m.nn.functional.nll_loss(n(X), n([0, 1], False)),
    "nll_0d": lambda m, n: m.nn.functional.nll_loss(n(1.0), n(0, False)),
    "nll_bad_reduction": lambda m, n: m.nn.functional.nll_loss(n(X), n([0, 1, 3], False), reduction="foo"),
    "nll_weight_size": lambda m, n: m.nn.functional.nll_loss(n(X), n([0, 1, 3], False), weight=n(np.ones(3), False)),
    "nll_weight_dtype": lambda m, n: m.nn.functional.nll_loss(n(X), n([0, 1, 3], False),
                                                             weight=n(np.ones(4), False, "float32")),
    "nll_kd_target": lambda m, n: m.nn.functional.nll_loss(n(X3), n(np.zeros((2, 5), np.int64), False)),
    "nll_1d_target_size": lambda m, n: m.nn.functional.nll_loss(n(X[0]), n([0, 1, 3], False)),
    "ce_multi_target": lambda m, n: m.nn.functional.cross_entropy(n(X), n(np.ones((3, 5)), False)),
    "ce_label_smoothing": lambda m, n: m.nn.functional.cross_entropy(n(X), n([0, 1, 3], False), label_smoothing=1.5),
    "ce_prob_int_target": lambda m, n: m.nn.functional.cross_entropy(n(X), n(np.ones((3, 4), np.int64), False)),
    "mse_bad_reduction": lambda m, n: m.nn.functional.mse_loss(n(X), n(X, False), reduction="foo"),
    "mse_broadcast": lambda m, n: m.nn.functional.mse_loss(n(X), n(np.ones(3), False)),
    "bce_range": lambda m, n: m.nn.functional.binary_cross_entropy(n(X), n(P, False)),
    "bce_shape": lambda m, n: m.nn.functional.binary_cross_entropy(n(P), n(P[0], False)),
    "bcel_shape": lambda m, n: m.nn.functional.binary_cross_entropy_with_logits(n(X), n(P[0], False)),
    "cel_target_dim": lambda m, n: m.nn.functional.cosine_embedding_loss(n(X), n(X), n(np.ones((3, 3)), False)),
    "cel_0d_target": lambda m, n: m.nn.functional.cosine_embedding_loss(n(X), n(X), n(1.0, False)),
    "cel_1d_target": lambda m, n: m.nn.functional.cosine_embedding_loss(n(X[0]), n(X[0]), n([1.0], False)),
    "mrl_dims": lambda m, n: m.nn.functional.margin_ranking_loss(n(X), n(X), n(np.ones(3), False)),
    "tml_dims": lambda m, n: m.nn.functional.triplet_margin_loss(n(X), n(X), n(X[0])),
    "tml_margin": lambda m, n: m.nn.functional.triplet_margin_loss(n(X), n(X), n(X), margin=0.0),
    "one_hot_float": lambda m, n: m.nn.functional.one_hot(n([1., 2.], False)),
    "one_hot_big": lambda m, n: m.nn.functional.one_hot(n([1, 5], False), 3),
    "one_hot_negative": lambda m, n: m.nn.functional.one_hot(n([1, -1], False), 3),
    "one_hot_empty": lambda m, n: m.nn.functional.one_hot(n(np.zeros(0, np.int64), False)),
    "embedding_float": lambda m, n: m.nn.functional.embedding(n([1.], False), n(W)),
    "embedding_oob": lambda m, n: m.nn.functional.embedding(n([5], False), n(W)),
    "embedding_padding": lambda m, n: m.nn.functional.embedding(n([1], False), n(W), padding_idx=5),
    "embedding_padding_neg": lambda m, n: m.nn.functional.embedding(n([1], False), n(W), padding_idx=-6),
    "glu_odd": lambda m, n: m.nn.functional.glu(n(np.ones((3, 3)))),
    "glu_0d": lambda m, n: m.nn.functional.glu(n(1.0)),
    "gelu_approximate": lambda m, n: m.nn.functional.gelu(n(X), approximate="foo"),
    "hardtanh_bounds": lambda m, n: m.nn.functional.hardtanh(n(X), 2.0, 1.0),
    "dropout_p": lambda m, n: m.nn.functional.dropout(n(X), 1.5),
    "dropout_p_neg": lambda m, n: m.nn.functional.dropout(n(X), -0.1),
    "softmax_int": lambda m, n: m.nn.functional.softmax(n([1, 2], False), 0),
    "softmax_dim": lambda m, n: m.nn.functional.softmax(n(X), 2),
    "log_softmax_dim": lambda m, n: m.log_softmax(n(X), -3),
    "linear_shapes": lambda m, n: m.nn.functional.linear(n(X), n(np.ones((5, 3)))),
    "linear_dtype": lambda m, n: m.nn.functional.linear(n(X), n(W, True, "float32")),
    "celu_zero": lambda m, n: m.nn.functional.celu(n(X), 0.0),
    "nll_weight_grad": lambda m, n: m.nn.functional.nll_loss(n(X), n([0, 1, 3], False), weight=n(np.ones(4))),
    "ce_weight_grad": lambda m, n: m.nn.functional.cross_entropy(n(X), n([0, 1, 3], False), weight=n(np.ones(4)),
                                                                 label_smoothing=0.1),
    "bce_weight_grad": lambda m, n: m.nn.functional.binary_cross_entropy(n(P), n(P, False), weight=n(np.ones(4))),
    "bcel_weight_grad": lambda m, n: m.nn.functional.binary_cross_entropy_with_logits(n(X), n(P, False),
                                                                                       weight=n(np.ones(4))),
    "bcel_pos_weight_grad": lambda m, n: m.nn.functional.binary_cross_entropy_with_logits(
        n(X), n(P, False), pos_weight=n(np.ones(4))),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors(name):
    check(ERRORS[name])


# ------------------------------------------------------------------ in-place forms
INPLACE = {
    "relu": ((), "ReluBackward0"), "relu6": ((), "HardtanhBackward0"), "leaky_relu": ((0.2,), "LeakyReluBackward1"),
    "elu": ((0.5,), "EluBackward1"), "selu": ((), "EluBackward1"), "celu": ((0.7,), "CeluBackward1"),
    "hardtanh": ((-0.5, 0.5), "HardtanhBackward0"), "hardsigmoid": ((), "HardsigmoidBackward0"),
    "hardswish": ((), "HardswishBackward0"), "silu": ((), "SiluBackward0"), "mish": ((), "MishBackward0"),
    "threshold": ((0.1, -2.0), "ThresholdBackward1"),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace(name):
    args, node = INPLACE[name]

    def fn(m, n):
        x = n(X * 2)
        y = x * 1
        r = getattr(m.nn.functional, name)(y, *args, inplace=True)
        assert r is y
        return r
    (out, _), _ = check(fn)
    assert type(out.grad_fn).__name__ == node


def test_inplace_leaf_error():
    check(lambda m, n: m.nn.functional.relu(n(X), inplace=True))
    check(lambda m, n: m.nn.functional.elu(n(X), inplace=True))


# ------------------------------------------------------------------ dropout
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("p", [0.3, 0.5, 0.9])
def test_dropout_matches_torch_stream(dtype, p):
    def fn(m, n):
        m.manual_seed(1234)
        x = n(np.linspace(-2, 2, 63).reshape(7, 9), True, dtype)
        a = m.nn.functional.dropout(x, p)
        b = m.nn.functional.dropout(x, p)
        return m.stack([a, b])
    (t_out, t_g), (l_out, l_g) = check(fn)
    assert np.array_equal(to_numpy(t_out), to_numpy(l_out))  # bit for bit
    assert type(l_out.grad_fn).__name__ == "StackBackward0"


def test_dropout_graph_and_edges():
    def fn(m, n):
        x = n(X)
        m.manual_seed(0)
        return m.nn.functional.dropout(x, 0.25)
    (out, _), _ = check(fn)
    assert type(out.grad_fn).__name__ == "MulBackward0"
    check(lambda m, n: m.nn.functional.dropout(n(X), 1.0))
    for p, training in ((0.0, True), (0.5, False)):
        for m in (torch, leafgrad):
            x = _t(m, X, True)
            assert m.nn.functional.dropout(x, p, training) is x


def test_dropout_inplace():
    def fn(m, n):
        m.manual_seed(7)
        y = n(X) * 1
        r = m.nn.functional.dropout(y, 0.4, inplace=True)
        assert r is y
        return r
    (out, _), (lout, _) = check(fn)
    assert np.array_equal(to_numpy(out), to_numpy(lout))


# ------------------------------------------------------------------ stability at large |x|
BIG = np.array([-1e4, -200.0, -90.0, -30.0, -1e-3, 0.0, 1e-3, 30.0, 90.0, 200.0, 1e4])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["softplus", "logsigmoid", "mish", "silu", "gelu", "elu", "selu", "celu",
                                  "hardswish", "sigmoid", "tanh", "softsign", "tanhshrink"])
def test_large_values(name, dtype):
    def fn(m, n):
        return getattr(m.nn.functional, name)(n(BIG, True, dtype))
    (out, grads), _ = check(fn)
    assert np.isfinite(to_numpy(out)).all()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_large_values_softmax_and_losses(dtype):
    big = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [500.0, 400.0, -300.0]])
    check(lambda m, n: m.nn.functional.softmax(n(big, True, dtype), 1))
    check(lambda m, n: m.nn.functional.log_softmax(n(big, True, dtype), 1))
    check(lambda m, n: m.nn.functional.log_softmax(n(big, True, dtype), 0))
    check(lambda m, n: m.nn.functional.cross_entropy(n(big, True, dtype), n([1, 0, 2], False)))
    check(lambda m, n: m.nn.functional.binary_cross_entropy_with_logits(
        n(big, True, dtype), n(np.ones((3, 3)) * 0.3, False, dtype), pos_weight=n([1., 2., 3.], False, dtype)))
    check(lambda m, n: m.nn.functional.binary_cross_entropy(
        n([[0.0, 1.0, 1e-30]], True, dtype), n([[0.3, 0.2, 1.0]], False, dtype)))


# ------------------------------------------------------------------ graphs of composite calls
COMPOSITE = {
    "linear_2d": lambda m, n: m.nn.functional.linear(n(X), n(W), n(B)),
    "linear_2d_nobias": lambda m, n: m.nn.functional.linear(n(X), n(W)),
    "linear_3d": lambda m, n: m.nn.functional.linear(n(X3), n(W), n(B)),
    "linear_3d_nobias": lambda m, n: m.nn.functional.linear(n(X3), n(W)),
    "linear_1d": lambda m, n: m.nn.functional.linear(n(X[0]), n(W), n(B)),
    "linear_1d_nobias": lambda m, n: m.nn.functional.linear(n(X[0]), n(W)),
    "linear_noncontig": lambda m, n: m.nn.functional.linear(n(X3).transpose(0, 1), n(W), n(B)),
    "linear_4d": lambda m, n: m.nn.functional.linear(n(X3.reshape(2, 3, 1, 4)), n(W), n(B)),
    "bilinear": lambda m, n: m.nn.functional.bilinear(n(X), n(X[:, :3]), n(W3),
                                                      n(np.ones(2))),
    "softsign": lambda m, n: m.nn.functional.softsign(n(X)),
    "tanhshrink": lambda m, n: m.nn.functional.tanhshrink(n(X)),
    "softmin": lambda m, n: m.nn.functional.softmin(n(X), 1),
    "softmax_dtype": lambda m, n: m.nn.functional.softmax(n(X, True, "float32"), 1, dtype=m.float64),
    "softmin_dtype": lambda m, n: m.nn.functional.softmin(n(X, True, "float32"), 1, dtype=m.float64),
    "torch_softmax": lambda m, n: m.softmax(n(X), 0),
    "tensor_log_softmax": lambda m, n: n(X).log_softmax(-1),
    "softmax_implicit_dim": lambda m, n: m.nn.functional.softmax(n(X3)),
    "normalize": lambda m, n: m.nn.functional.normalize(n(X)),
    "normalize_p1": lambda m, n: m.nn.functional.normalize(n(X3), p=1, dim=-1),
    "normalize_zero_row": lambda m, n: m.nn.functional.normalize(n(np.zeros((2, 3))), dim=0),
    "cosine_similarity": lambda m, n: m.nn.functional.cosine_similarity(n(X), n(X[::-1].copy())),
    "cosine_similarity_bcast": lambda m, n: m.nn.functional.cosine_similarity(n(X3), n(X[0]), dim=-1),
    "pairwise_distance": lambda m, n: m.nn.functional.pairwise_distance(n(X), n(X[::-1].copy()), keepdim=True),
    "pairwise_distance_1d": lambda m, n: m.nn.functional.pairwise_distance(n(X[0]), n(X[1]), p=3.0),
    "embedding": lambda m, n: m.nn.functional.embedding(n([[0, 2], [4, 2]], False), n(W)),
    "embedding_padding": lambda m, n: m.nn.functional.embedding(n([[0, 2], [4, 2]], False), n(W), padding_idx=2),
    "one_hot": lambda m, n: m.nn.functional.one_hot(n([[0, 2], [4, 2]], False)),
    "one_hot_classes": lambda m, n: m.nn.functional.one_hot(n([0, 2], False), 6),
    "mse_sum": lambda m, n: m.nn.functional.mse_loss(n(X), n(P), reduction="sum"),
    "mse_bcast": lambda m, n: m.nn.functional.mse_loss(n(X), n(P[0])),
    "mse_int_target": lambda m, n: m.nn.functional.mse_loss(n(X), n(np.ones((3, 4), np.int64), False)),
    "mse_float32_target": lambda m, n: m.nn.functional.mse_loss(n(X), n(P, True, "float32")),
    "l1": lambda m, n: m.nn.functional.l1_loss(n(X), n(P)),
    "l1_bcast": lambda m, n: m.nn.functional.l1_loss(n(X), n(P[0])),
    "smooth_l1_beta0": lambda m, n: m.nn.functional.smooth_l1_loss(n(X), n(P), beta=0.0),
    "huber_none": lambda m, n: m.nn.functional.huber_loss(n(X), n(P), reduction="none", delta=0.3),
    "nll_3d_none": lambda m, n: m.nn.functional.nll_loss(n(X3), n(np.zeros((2, 4), np.int64), False),
                                                         reduction="none"),
    "nll_5d": lambda m, n: m.nn.functional.nll_loss(n(X5), n(T5, False)),
    "nll_all_ignored": lambda m, n: m.nn.functional.nll_loss(n(X), n([-100, -100, -100], False)),
    "nll_uint8": lambda m, n: m.nn.functional.nll_loss(n(X), n(np.array([0, 1, 3], np.uint8), False)),
    "nll_legacy_reduce": lambda m, n: m.nn.functional.nll_loss(n(X), n([0, 1, 3], False), reduce=False),
    "ce": lambda m, n: m.nn.functional.cross_entropy(n(X), n([0, 1, 3], False)),
    "ce_none": lambda m, n: m.nn.functional.cross_entropy(n(X), n([0, 1, 3], False), reduction="none"),
    "ce_1d": lambda m, n: m.nn.functional.cross_entropy(n(X[0]), n(2, False)),
    "ce_probs": lambda m, n: m.nn.functional.cross_entropy(n(X), n(P)),
    "ce_probs_sum": lambda m, n: m.nn.functional.cross_entropy(n(X), n(P), reduction="sum"),
    "ce_probs_none_ls": lambda m, n: m.nn.functional.cross_entropy(n(X), n(P), reduction="none", label_smoothing=0.2),
    "ce_probs_weight": lambda m, n: m.nn.functional.cross_entropy(n(X), n(P, False),
                                                                  weight=n(np.arange(1., 5.), False)),
    "ce_ls": lambda m, n: m.nn.functional.cross_entropy(n(X), n([0, 1, 3], False), label_smoothing=0.1),
    "ce_ls_none_ignore": lambda m, n: m.nn.functional.cross_entropy(n(X), n([0, -100, 3], False), reduction="none",
                                                                    label_smoothing=0.1),
    "ce_ls_weight": lambda m, n: m.nn.functional.cross_entropy(n(X), n([0, 1, 1], False), label_smoothing=0.1,
                                                               weight=n(np.arange(1., 5.), False), ignore_index=0),
    "ce_kd_ls": lambda m, n: m.nn.functional.cross_entropy(n(X3), n(np.array([[0, 1, 2, 0], [2, 2, 1, 0]]), False),
                                                           label_smoothing=0.25, reduction="sum"),
    "ce_float32": lambda m, n: m.nn.functional.cross_entropy(n(X, True, "float32"), n([0, 1, 3], False)),
    "bce_weight": lambda m, n: m.nn.functional.binary_cross_entropy(n(P), n(P[::-1].copy()), weight=n(B[:4], False)),
    "bce_none": lambda m, n: m.nn.functional.binary_cross_entropy(n(P), n(P[::-1].copy()), reduction="none"),
    "bcel_pos_weight": lambda m, n: m.nn.functional.binary_cross_entropy_with_logits(
        n(X), n(P), pos_weight=n([1., 2., 3., 0.5], False), weight=n(np.arange(3.).reshape(3, 1), False)),
    "kl_mean": lambda m, n: m.nn.functional.kl_div(n(X), n(P)),
    "kl_batchmean": lambda m, n: m.nn.functional.kl_div(n(X), n(P), reduction="batchmean"),
    "kl_batchmean_0d": lambda m, n: m.nn.functional.kl_div(n(0.5), n(0.3), reduction="batchmean"),
    "kl_log_target": lambda m, n: m.nn.functional.kl_div(n(X), n(X[::-1].copy()), log_target=True),
    "kl_zero_target": lambda m, n: m.nn.functional.kl_div(n(X), n(np.where(P > 0.5, P, 0.0), False),
                                                          reduction="sum"),
    "cel": lambda m, n: m.nn.functional.cosine_embedding_loss(n(X), n(X[::-1].copy()), n([1, -1, 1], False)),
    "cel_margin": lambda m, n: m.nn.functional.cosine_embedding_loss(n(X), n(X[::-1].copy()), n([-1, -1, 1], False),
                                                                     margin=-0.5, reduction="none"),
    "mrl": lambda m, n: m.nn.functional.margin_ranking_loss(n(X[0]), n(X[1]), n([1., -1, 1, -1])),
    "mrl_target_grad": lambda m, n: m.nn.functional.margin_ranking_loss(n(X[0]), n(X[1]), n([1., -1, 1, -1]),
                                                                        reduction="none"),
    "tml": lambda m, n: m.nn.functional.triplet_margin_loss(n(X), n(X[::-1].copy()), n(X * 2)),
    "tml_swap": lambda m, n: m.nn.functional.triplet_margin_loss(n(X), n(X[::-1].copy()), n(X * 2), swap=True,
                                                                 reduction="sum"),
}


def _graph(t):
    names, seen, stack = [], set(), [t.grad_fn]
    while stack:
        g = stack.pop()
        if g is None or id(g) in seen:
            continue
        seen.add(id(g))
        names.append(type(g).__name__)
        stack += [x for x, _ in g.next_functions]
    return sorted(names)


@pytest.mark.parametrize("name", sorted(COMPOSITE))
def test_composite(name):
    (t_out, _), (l_out, _) = check(COMPOSITE[name])
    if isinstance(t_out, torch.Tensor) and t_out.grad_fn is not None:
        assert _graph(t_out) == _graph(l_out)


def test_embedding_padding_and_max_norm():
    def fn(m, n):
        w = n(W * 3)
        out = m.nn.functional.embedding(n([[0, 2], [4, 2]], False), w, padding_idx=2)
        g, = m.autograd.grad(out.sum(), w)
        return g
    _, (g, _) = check(fn, backward=False)
    assert np.all(to_numpy(g)[2] == 0)

    def fn2(m, n):
        w = n(W * 3, False)
        out = m.nn.functional.embedding(n([0, 2, 2], False), w, max_norm=1.5)
        return out, w, w._version
    check(fn2, backward=False)


def test_softmax_implicit_dim_warns():
    for m in (torch, leafgrad):
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
            m.nn.functional.softmax(_t(m, X), _stacklevel=3)


def test_gelu_erf_accuracy():
    x = np.linspace(-8, 8, 1001)
    for dtype in ("float32", "float64"):
        a, b = both(lambda m: m.nn.functional.gelu(_t(m, x, False, dtype)))
        assert_same(a, b)


def test_namespaces():
    F = leafgrad.nn.functional
    for name in ["relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish", "softplus", "softsign",
                 "hardtanh", "hardsigmoid", "hardswish", "logsigmoid", "tanhshrink", "threshold", "glu", "softmax",
                 "log_softmax", "softmin", "normalize", "linear", "bilinear", "dropout", "embedding", "one_hot",
                 "cosine_similarity", "pairwise_distance", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
                 "nll_loss", "cross_entropy", "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
                 "cosine_embedding_loss", "margin_ranking_loss", "triplet_margin_loss"]:
        assert callable(getattr(F, name)), name
    for name in ["softmax", "log_softmax", "selu", "celu", "threshold", "cosine_similarity", "pairwise_distance",
                 "bilinear"]:
        assert callable(getattr(leafgrad, name)), name
    assert callable(leafgrad.Tensor.softmax) and callable(leafgrad.Tensor.log_softmax)


def test_float32_stays_float32():
    for name in ["elu", "gelu", "silu", "mish", "softplus", "logsigmoid", "hardswish", "hardsigmoid", "leaky_relu"]:
        check(lambda m, n: getattr(m.nn.functional, name)(n(X, True, "float32")))
    check(lambda m, n: m.nn.functional.mse_loss(n(X, True, "float32"), n(P, False, "float32")))
    check(lambda m, n: m.nn.functional.binary_cross_entropy(n(P, True, "float32"), n(P, False, "float32")))
    check(lambda m, n: m.nn.functional.gelu(n(X, True, "float32"), approximate="tanh"))


# ------------------------------------------------------------------ edge inputs: empty, 0-d, integer dtypes
E0 = np.zeros((0, 4))
I2 = np.array([[1, -2], [3, 0]])
EDGE = {
    "mse_empty": lambda m: m.nn.functional.mse_loss(m.tensor(E0, requires_grad=True), m.tensor(E0)),
    "l1_empty": lambda m: m.nn.functional.l1_loss(m.tensor(E0, requires_grad=True), m.tensor(E0)),
    "nll_empty": lambda m: m.nn.functional.nll_loss(m.tensor(E0, requires_grad=True), m.tensor(np.zeros(0, np.int64))),
    "nll_empty_sum": lambda m: m.nn.functional.nll_loss(m.tensor(E0, requires_grad=True),
                                                        m.tensor(np.zeros(0, np.int64)), reduction="sum"),
    "ce_empty": lambda m: m.nn.functional.cross_entropy(m.tensor(E0, requires_grad=True),
                                                        m.tensor(np.zeros(0, np.int64))),
    "ce_probs_empty": lambda m: m.nn.functional.cross_entropy(m.tensor(E0, requires_grad=True), m.tensor(E0)),
    "bce_empty": lambda m: m.nn.functional.binary_cross_entropy(m.tensor(E0, requires_grad=True), m.tensor(E0)),
    "softmax_empty": lambda m: m.nn.functional.softmax(m.tensor(E0, requires_grad=True), 0),
    "normalize_out": lambda m: (lambda o: (m.nn.functional.normalize(m.tensor([[3., 4.]]), out=o), o))(m.zeros(1, 2)),
    "one_hot_list": lambda m: m.nn.functional.one_hot([1, 2]),
    "softmax_0d": lambda m: m.nn.functional.softmax(m.tensor(2., requires_grad=True), 0),
    "log_softmax_0d": lambda m: m.nn.functional.log_softmax(m.tensor(2., requires_grad=True), -1),
    "nll_1d_target1": lambda m: m.nn.functional.nll_loss(m.tensor([1., 2., 3.], requires_grad=True), m.tensor([1]),
                                                         reduction="none"),
    "embedding_int32": lambda m: m.nn.functional.embedding(m.tensor([1, 2], dtype=m.int32), m.ones(3, 2)),
    "embedding_negative": lambda m: m.nn.functional.embedding(m.tensor([-1]), m.ones(3, 2)),
    "linear_0d_bias": lambda m: m.nn.functional.linear(m.ones(2, 3, 4), m.ones(5, 4), m.tensor(1., requires_grad=True)),
    "linear_int": lambda m: m.nn.functional.linear(m.ones(2, 4, dtype=m.int64), m.ones(5, 4, dtype=m.int64)),
    "linear_float_int": lambda m: m.nn.functional.linear(m.ones(2, 2), m.tensor(I2)),
    "cosine_similarity_int": lambda m: m.nn.functional.cosine_similarity(m.tensor([[1, 2]]), m.tensor([[2, 1]])),
    "dropout_int": lambda m: m.nn.functional.dropout(m.tensor([1, 2])),
    "ce_probs_ignore_index": lambda m: m.nn.functional.cross_entropy(m.ones(2, 3), m.ones(2, 3), ignore_index=1),
    "kl_int": lambda m: m.nn.functional.kl_div(m.tensor([1, 2]), m.tensor([1, 3])),
    "bce_target_dtype": lambda m: m.nn.functional.binary_cross_entropy(m.ones(2, 2) * 0.5, m.tensor(I2)),
    "mse_float_int": lambda m: m.nn.functional.mse_loss(m.ones(2, 2), m.tensor(I2)),
    "relu6_int": lambda m: m.nn.functional.relu6(m.tensor([1, -2, 9])),
    "hardtanh_int": lambda m: m.nn.functional.hardtanh(m.tensor([1, -2, 9])),
    "l1_int": lambda m: m.nn.functional.l1_loss(m.tensor(I2), m.tensor(I2)),
    "ce_int": lambda m: m.nn.functional.cross_entropy(m.tensor(I2), m.tensor([0, 1])),
    "pairwise_distance_int": lambda m: m.nn.functional.pairwise_distance(m.tensor(I2), m.tensor(I2[::-1].copy())),
    "cosine_embedding_int": lambda m: m.nn.functional.cosine_embedding_loss(m.tensor(I2), m.tensor(I2[::-1].copy()),
                                                                            m.tensor([1, -1])),
    "margin_ranking_int": lambda m: m.nn.functional.margin_ranking_loss(m.tensor(I2[0]), m.tensor(I2[1]),
                                                                        m.tensor([1, -1]), margin=0.5),
    "margin_ranking_int_int_margin": lambda m: m.nn.functional.margin_ranking_loss(m.tensor(I2[0]), m.tensor(I2[1]),
                                                                                   m.tensor([1, -1])),
    "triplet_int": lambda m: m.nn.functional.triplet_margin_loss(m.tensor(I2), m.tensor(I2[::-1].copy()),
                                                                 m.tensor(I2 * 2)),
    "softsign_int": lambda m: m.nn.functional.softsign(m.tensor(I2)),
    "threshold_int": lambda m: m.nn.functional.threshold(m.tensor(I2), 0, 5),
    "bilinear_int": lambda m: m.nn.functional.bilinear(m.tensor(I2), m.tensor(I2), m.ones(1, 2, 2, dtype=m.long)),
    "embedding_int_weight": lambda m: m.nn.functional.embedding(m.tensor([0]), m.tensor(I2)),
    "relu6_float32": lambda m: m.nn.functional.relu6(m.tensor([1., 7.], dtype=m.float32)),
    "softmax_float16": lambda m: m.nn.functional.softmax(m.tensor([1., -7.], dtype=m.float16), 0),
}
for _n in ["leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish", "softplus", "hardsigmoid", "hardswish",
           "logsigmoid", "glu", "log_softmax", "softmin", "normalize"]:
    EDGE["int_" + _n] = (lambda n: lambda m: getattr(m.nn.functional, n)(m.tensor(I2)))(_n)
for _n in ["mse_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"]:
    EDGE["int_" + _n] = (lambda n: lambda m: getattr(m.nn.functional, n)(m.tensor(I2), m.tensor(I2)))(_n)
EDGE["int_nll_loss"] = lambda m: m.nn.functional.nll_loss(m.tensor(I2), m.tensor([0, 1]))


@pytest.mark.parametrize("name", sorted(EDGE))
def test_edge(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b = both(EDGE[name])
    assert_same(a, b)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "elu", "silu", "gelu", "mish", "hardtanh"])
def test_modified_output_or_input_detected(name):
    def fn(m, modify_input):
        x = m.tensor(np.array(X), requires_grad=True)
        h = x * 1
        f = getattr(m.nn.functional, name)
        y = f(h, 1) if "softmax" in name else f(h)
        (h if modify_input else y).add_(1)
        return m.autograd.grad(y.sum(), x)
    for modify_input in (False, True):
        a, b = both(lambda m: fn(m, modify_input))
        assert_same(a, b)


@pytest.mark.parametrize("p", [0, 0.5, 1, 2, 3, float("inf"), -float("inf")])
def test_pairwise_distance_norm_orders(p):
    """at::norm's node (NormBackward1) with every order; p=0 has no gradient (None), ties and zeros."""
    def fn(m):
        x = _t(m, [[1., 2, 0], [0.5, -1, 3]], grad=True)
        y = _t(m, [[1., 0, 0], [0.5, -2, 1]])
        o = m.nn.functional.pairwise_distance(x, y, p=p)
        return o, type(o.grad_fn).__name__, m.autograd.grad(o.sum(), x, allow_unused=True)
    assert_same(*both(fn))


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0,)])
@pytest.mark.parametrize("p", [float("inf"), -float("inf"), 2.0])
def test_pairwise_distance_empty(shape, p):
    """+-inf norms of empty inputs: fine unless the reduced dim is empty (torch's error)."""
    def fn(m):
        x = m.zeros(*shape, requires_grad=True)
        o = m.nn.functional.pairwise_distance(x, x * 1, p=p)
        return o, m.autograd.grad(o.sum(), x)
    assert_same(*both(fn))


@pytest.mark.parametrize("name", ["elu", "selu", "celu", "leaky_relu", "relu", "hardtanh", "relu6"])
def test_inplace_forms_graph(name):
    """F.<act>(x, inplace=True) on a non-leaf: same tensor returned, torch's node, gradient."""
    def fn(m):
        x = _t(m, X, grad=True)
        h = x * 1
        y = getattr(m.nn.functional, name)(h, inplace=True)
        return y is h, type(y.grad_fn).__name__, y, m.autograd.grad(y.sum(), x)
    assert_same(*both(fn))


def test_threshold_inplace_positional():
    def fn(m):
        x = _t(m, X, grad=True)
        y = m.nn.functional.threshold(x.clone(), 0.1, -1.0, True)
        return type(y.grad_fn).__name__, y, m.autograd.grad(y.sum(), x)
    assert_same(*both(fn))
