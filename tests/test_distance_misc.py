"""cdist, pdist, renorm, gumbel_softmax, rrelu, multilabel_margin_loss and
triplet_margin_with_distance_loss (and their modules) side by side with torch: values,
gradients, dtypes, grad_fn names, graphs, second derivatives (or torch's refusal of them),
random streams under a fixed seed, and errors. The op sweep covers the declared samples."""
import warnings

import numpy as np
import pytest

from conftest import assert_same, torch, leafgrad
from test_nn_functional_act_loss import _t, check   # (the same side-by-side helpers)

RNG = np.random.default_rng(11)
A = RNG.standard_normal((3, 5))
B = RNG.standard_normal((4, 5))
A3 = RNG.standard_normal((2, 3, 5))
B3 = RNG.standard_normal((2, 4, 5))
BIG = RNG.standard_normal((30, 5))
BIG3 = RNG.standard_normal((2, 27, 5))
A4 = RNG.standard_normal((2, 1, 3, 5))
B4 = RNG.standard_normal((3, 4, 5))
X = RNG.standard_normal((3, 4))
X3 = RNG.standard_normal((2, 3, 4))
TGT = np.array([[3, 0, -1, 1], [0, 1, 2, 3], [2, -1, 0, 0]])
INF = float("inf")
MM = "use_mm_for_euclid_dist"
NO_MM = "donot_use_mm_for_euclid_dist"


def F(m):
    return m.nn.functional


# ------------------------------------------------------------------ values, gradients, graphs
CASES = {
    # the direct algorithm (CdistBackward0), every kind of p
    **{f"cdist_p{p}": (lambda p: lambda m, n: m.cdist(n(A), n(B), p=p))(p) for p in (0, 0.5, 1, 1.5, 2, 3, INF)},
    "cdist_batched": lambda m, n: m.cdist(n(A3), n(B3), p=1.5),
    "cdist_broadcast_batch": lambda m, n: m.cdist(n(A4), n(B4), p=3),
    "cdist_batch_vs_2d": lambda m, n: m.cdist(n(A3), n(B), p=1),
    "cdist_f32": lambda m, n: m.cdist(n(A, dtype="float32"), n(B, dtype="float32")),
    "cdist_f32_p_inf": lambda m, n: m.cdist(n(A, dtype="float32"), n(B, dtype="float32"), p=INF),
    "cdist_no_mm_big": lambda m, n: m.cdist(n(BIG), n(B), compute_mode=NO_MM),
    "cdist_mm_mode_p1": lambda m, n: m.cdist(n(A), n(B), p=1, compute_mode=MM),
    "cdist_only_x2_grad": lambda m, n: m.cdist(n(A, False), n(B), p=1.5),
    "cdist_no_grad": lambda m, n: m.cdist(n(A, False), n(B, False)),
    "cdist_p_tensor": lambda m, n: m.cdist(n(A), n(B), p=m.tensor(1.5)),
    "cdist_p_int": lambda m, n: m.cdist(n(A), n(B), p=1),
    "cdist_same_points": lambda m, n: m.cdist(n(A), n(A), p=2),
    "cdist_same_points_p_half": lambda m, n: m.cdist(n(A), n(np.concatenate([A[:1], B])), p=0.5),
    # the matrix-product algorithm (EuclideanDistBackward0, viewed)
    "cdist_mm_rows_x1": lambda m, n: m.cdist(n(BIG), n(B)),
    "cdist_mm_rows_x2": lambda m, n: m.cdist(n(A), n(BIG)),
    "cdist_mm_mode": lambda m, n: m.cdist(n(A), n(B), compute_mode=MM),
    "cdist_mm_batched": lambda m, n: m.cdist(n(BIG3), n(B3)),
    "cdist_mm_batch_vs_2d": lambda m, n: m.cdist(n(A3), n(BIG)),
    "cdist_mm_broadcast": lambda m, n: m.cdist(n(A4), n(B4), compute_mode=MM),
    "cdist_mm_batch_one": lambda m, n: m.cdist(n(A[None]), n(BIG)),
    "cdist_mm_f32": lambda m, n: m.cdist(n(BIG, dtype="float32"), n(B, dtype="float32")),
    "cdist_mm_same_points": lambda m, n: m.cdist(n(A), n(A), compute_mode=MM),
    "cdist_mm_half": lambda m, n: m.cdist(n(BIG, False, "float16"), n(B, False, "float16")),
    # empty inputs always take the direct path
    "cdist_empty_rows": lambda m, n: m.cdist(n(np.zeros((0, 5))), n(B)),
    "cdist_empty_cols": lambda m, n: m.cdist(n(np.zeros((3, 0))), n(np.zeros((4, 0)))),
    "cdist_empty_cols_mm": lambda m, n: m.cdist(n(np.zeros((30, 0))), n(np.zeros((4, 0)))),
    "cdist_empty_batch": lambda m, n: m.cdist(n(np.zeros((0, 3, 5))), n(B)),
    "cdist_empty_mixed_dtypes": lambda m, n: m.cdist(n(np.zeros((0, 5)), dtype="float32"), n(B)),
    "cdist_empty_half": lambda m, n: m.cdist(n(np.zeros((0, 5)), dtype="float16"), n(B, dtype="float16")),
    # pdist
    **{f"pdist_p{p}": (lambda p: lambda m, n: F(m).pdist(n(X), p=p))(p) for p in (0, 0.5, 1, 1.5, 2, 3, INF)},
    "pdist_f32": lambda m, n: F(m).pdist(n(X, dtype="float32")),
    "pdist_torch_ns": lambda m, n: m.pdist(n(X)),
    "pdist_one_row": lambda m, n: F(m).pdist(n(X[:1])),
    "pdist_no_cols": lambda m, n: F(m).pdist(n(np.zeros((3, 0)))),
    "pdist_non_contiguous": lambda m, n: F(m).pdist(n(X).t()),
    "pdist_repeated_row": lambda m, n: F(m).pdist(n(np.concatenate([X, X[:1]]))),
    "pdist_half_one_row": lambda m, n: F(m).pdist(n(X[:1], False, "float16")),   # (no kernel runs)
    # renorm
    "renorm": lambda m, n: m.renorm(n(X), 2, 0, 1.0),
    "renorm_method": lambda m, n: n(X).renorm(1, 1, 0.5),
    "renorm_3d": lambda m, n: m.renorm(n(X3), 3, -1, 1.5),
    "renorm_inf": lambda m, n: m.renorm(n(X), INF, 1, 0.8),
    "renorm_below": lambda m, n: m.renorm(n(X * 0.05), 2, 0, 1.0),
    "renorm_f32": lambda m, n: m.renorm(n(X, dtype="float32"), 2, 0, 1.0),
    "renorm_half": lambda m, n: m.renorm(n(X, False, "float16"), 2, 0, 1.0),
    "renorm_p_tensor": lambda m, n: m.renorm(n(X), m.tensor(2.0), 0, 1.0),
    "renorm_inplace": lambda m, n: (n(X) * 1).renorm_(2, 0, 1.0),
    "renorm_inplace_leaf": lambda m, n: n(X, False).renorm_(2, 1, 0.3),
    "renorm_int_args": lambda m, n: m.renorm(n(X), 1, -1, 1),
    "renorm_bool_p": lambda m, n: m.renorm(n(X), True, 0, 1.0),
    "renorm_out": lambda m, n: m.renorm(n(X, False), 2, 0, 1.0, out=m.empty(3, 4, dtype=m.float64)),
    # rrelu in evaluation mode (deterministic)
    "rrelu_eval": lambda m, n: F(m).rrelu(n(X)),
    "rrelu_eval_bounds": lambda m, n: F(m).rrelu(n(X), 0.1, 0.6),
    "rrelu_eval_f32": lambda m, n: F(m).rrelu(n(X, dtype="float32")),
    "rrelu_eval_inplace": lambda m, n: F(m).rrelu(n(X) * 1, inplace=True),
    "rrelu_": lambda m, n: F(m).rrelu_(n(X) * 1),
    "rrelu_torch_ns": lambda m, n: m.rrelu(n(X), 0.2, 0.3),
    "rrelu_zero": lambda m, n: F(m).rrelu(n(np.array([0.0, -1.0, 1.0]))),
    # multilabel_margin_loss
    "mlm": lambda m, n: F(m).multilabel_margin_loss(n(X), n(TGT, False)),
    "mlm_none": lambda m, n: F(m).multilabel_margin_loss(n(X), n(TGT, False), reduction="none"),
    "mlm_sum": lambda m, n: F(m).multilabel_margin_loss(n(X), n(TGT, False), reduction="sum"),
    "mlm_1d": lambda m, n: F(m).multilabel_margin_loss(n(X[0]), n(TGT[0], False)),
    "mlm_1d_none": lambda m, n: F(m).multilabel_margin_loss(n(X[0]), n(TGT[0], False), reduction="none"),
    "mlm_0d": lambda m, n: F(m).multilabel_margin_loss(n(X[0, 0]), n(np.array(0), False)),
    "mlm_f32": lambda m, n: F(m).multilabel_margin_loss(n(X, dtype="float32"), n(TGT, False)),
    "mlm_all_targets": lambda m, n: F(m).multilabel_margin_loss(n(X), n(np.tile([0, 1, 2, 3], (3, 1)), False)),
    "mlm_no_targets": lambda m, n: F(m).multilabel_margin_loss(n(X), n(-np.ones((3, 4), np.int64), False)),
    "mlm_repeated_target": lambda m, n: F(m).multilabel_margin_loss(n(X), n(np.tile([1, 1, -1, 2], (3, 1)), False)),
    "mlm_legacy": lambda m, n: F(m).multilabel_margin_loss(n(X), n(TGT, False), size_average=False),
    "mlm_module": lambda m, n: m.nn.MultiLabelMarginLoss(reduction="sum")(n(X), n(TGT, False)),
    # triplet_margin_with_distance_loss
    "tmwd": lambda m, n: F(m).triplet_margin_with_distance_loss(n(X), n(X3[0]), n(X3[1])),
    "tmwd_swap_none": lambda m, n: F(m).triplet_margin_with_distance_loss(n(X), n(X3[0]), n(X3[1]), swap=True,
                                                                         margin=0.5, reduction="none"),
    "tmwd_cosine": lambda m, n: F(m).triplet_margin_with_distance_loss(
        n(X), n(X3[0]), n(X3[1]), distance_function=lambda u, v: 1.0 - F(m).cosine_similarity(u, v), swap=True,
        reduction="sum"),
    "tmwd_1d": lambda m, n: F(m).triplet_margin_with_distance_loss(n(X[0]), n(X[1]), n(X[2])),
    "tmwd_module": lambda m, n: m.nn.TripletMarginWithDistanceLoss()(n(X), n(X3[0]), n(X3[1])),
    "tmwd_module_l1": lambda m, n: m.nn.TripletMarginWithDistanceLoss(
        distance_function=m.nn.PairwiseDistance(p=1), margin=2.0, swap=True, reduction="none")(
            n(X), n(X3[0]), n(X3[1])),
}


def _seeded(fn, seed=5):
    def run(m, n):
        m.manual_seed(seed)
        return fn(m, n)
    return run


RANDOM = {
    "rrelu_train": lambda m, n: F(m).rrelu(n(X), training=True),
    "rrelu_train_f32": lambda m, n: F(m).rrelu(n(X3, dtype="float32"), 0.05, 0.9, training=True),
    "rrelu_train_inplace": lambda m, n: F(m).rrelu(n(X) * 1, training=True, inplace=True),
    "rrelu_train_equal_bounds": lambda m, n: F(m).rrelu(n(X), 0.2, 0.2, training=True),
    "rrelu_train_then_draw": lambda m, n: (F(m).rrelu(n(X), training=True), m.rand(3)),
    "rrelu_train_torch_ns": lambda m, n: m.rrelu(n(X), training=True),
    "rrelu_train_": lambda m, n: F(m).rrelu_(n(X) * 1, 0.1, 0.2, True),
    "rrelu_train_0d": lambda m, n: F(m).rrelu(n(-0.7), training=True),
    "rrelu_train_non_contiguous": lambda m, n: F(m).rrelu(n(X).t(), training=True),
    "rrelu_module_train": lambda m, n: m.nn.RReLU(0.1, 0.3)(n(X3)),
    "rrelu_module_eval": lambda m, n: m.nn.RReLU(0.1, 0.3).eval()(n(X3)),
    "rrelu_module_inplace": lambda m, n: m.nn.RReLU(inplace=True)(n(X3) * 1),
    "gumbel": lambda m, n: F(m).gumbel_softmax(n(X)),
    "gumbel_tau_dim": lambda m, n: F(m).gumbel_softmax(n(X3), tau=0.5, dim=1),
    "gumbel_hard": lambda m, n: F(m).gumbel_softmax(n(X), hard=True),
    "gumbel_hard_dim0": lambda m, n: F(m).gumbel_softmax(n(X3), tau=2.0, hard=True, dim=0),
    "gumbel_f32": lambda m, n: F(m).gumbel_softmax(n(X, dtype="float32"), hard=True),
    "gumbel_then_draw": lambda m, n: (F(m).gumbel_softmax(n(X)), m.rand(2)),
}
CASES.update({k: _seeded(v) for k, v in RANDOM.items()})


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    check(CASES[name])


# ------------------------------------------------------------------ errors
def _mixed(s1, s2, d1, d2):
    return lambda m, n: m.cdist(n(np.ones(s1), False, d1), n(np.ones(s2), False, d2))


ERRORS = {
    "cdist_negative_p": lambda m, n: m.cdist(n(A), n(B), p=-1),
    "cdist_negative_p_mm": lambda m, n: m.cdist(n(BIG), n(B), p=-1.0),
    "cdist_nan_p": lambda m, n: m.cdist(n(A), n(B), p=float("nan")),
    "cdist_negative_p_empty": lambda m, n: m.cdist(n(np.zeros((0, 5))), n(B), p=-1),
    "cdist_columns": lambda m, n: m.cdist(n(A), n(X)),
    "cdist_1d_x1": lambda m, n: m.cdist(n(A[0]), n(B)),
    "cdist_1d_x2": lambda m, n: m.cdist(n(A), n(B[0])),
    "cdist_long": lambda m, n: m.cdist(n(np.ones((3, 5), np.int64), False), n(np.ones((4, 5), np.int64), False)),
    "cdist_long_mm": lambda m, n: m.cdist(n(np.ones((30, 5), np.int64), False), n(B, False)),
    "cdist_long_x2": lambda m, n: m.cdist(n(A, False), n(np.ones((4, 5), np.int64), False)),
    "cdist_bool": lambda m, n: m.cdist(n(A > 0, False), n(B > 0, False)),
    "cdist_long_negative_p": lambda m, n: m.cdist(n(np.ones((3, 5), np.int64), False),
                                                 n(np.ones((4, 5), np.int64), False), p=-1),
    "cdist_half": lambda m, n: m.cdist(n(A, False, "float16"), n(B, False, "float16")),
    "cdist_half_x2": lambda m, n: m.cdist(n(A, False, "float32"), n(B, False, "float16")),
    "cdist_mixed": _mixed((3, 5), (4, 5), "float32", "float64"),
    "cdist_mixed_rev": _mixed((3, 5), (4, 5), "float64", "float32"),
    "cdist_mixed_mm": _mixed((30, 5), (4, 5), "float32", "float64"),
    "cdist_mixed_mm_3d_x1": _mixed((1, 30, 5), (4, 5), "float64", "float32"),
    "cdist_mixed_mm_3d_x2": _mixed((30, 5), (1, 4, 5), "float32", "float64"),
    "cdist_mixed_mm_batched": _mixed((2, 30, 5), (2, 4, 5), "float64", "float32"),
    "cdist_mixed_mm_half": _mixed((30, 5), (4, 5), "float16", "float32"),
    # bmm names the dtypes the other way round for products under 400 multiply-adds
    "cdist_mixed_mm_small_bmm": lambda m, n: m.cdist(n(A3, False, "float32"), n(B3, False), compute_mode=MM),
    "cdist_mixed_mm_threshold": _mixed((2, 15, 5), (2, 4, 5), "float32", "float64"),
    "cdist_mixed_mm_below": _mixed((2, 14, 5), (2, 4, 5), "float32", "float64"),
    "cdist_bad_mode": lambda m, n: m.cdist(n(A), n(B), compute_mode="foo"),
    "cdist_batch_mismatch": lambda m, n: m.cdist(n(A3), n(np.ones((3, 4, 5)))),
    "cdist_batch_mismatch_mm": lambda m, n: m.cdist(n(BIG3), n(np.ones((3, 4, 5)))),
    "cdist_p_str": lambda m, n: m.cdist(n(A), n(B), p="a"),
    "cdist_x1_list": lambda m, n: m.cdist([[1.0]], n(B)),
    "pdist_3d": lambda m, n: F(m).pdist(n(X3)),
    "pdist_1d": lambda m, n: F(m).pdist(n(X[0])),
    "pdist_long": lambda m, n: F(m).pdist(n(np.ones((3, 3), np.int64), False)),
    "pdist_negative_p": lambda m, n: F(m).pdist(n(X), p=-1),
    "pdist_half": lambda m, n: F(m).pdist(n(X, False, "float16")),
    "mlm_half": lambda m, n: F(m).multilabel_margin_loss(n(X, False, "float16"), n(TGT.astype(np.int32), False)),
    "renorm_p0": lambda m, n: m.renorm(n(X), 0, 0, 1.0),
    "renorm_negative_p": lambda m, n: m.renorm(n(X), -1, 0, 1.0),
    "renorm_negative_maxnorm": lambda m, n: m.renorm(n(X), 2, 0, -1.0),
    "renorm_negative_maxnorm_frac": lambda m, n: m.renorm(n(X), 2, 0, -0.5),
    "renorm_dim": lambda m, n: m.renorm(n(X), 2, 2, 1.0),
    "renorm_1d": lambda m, n: m.renorm(n(X[0]), 2, 0, 1.0),
    "renorm_long": lambda m, n: m.renorm(n(np.ones((3, 4), np.int64), False), 2, 0, 1.0),
    "renorm_leaf_inplace": lambda m, n: n(X).renorm_(2, 0, 1.0),
    "renorm_p_str": lambda m, n: m.renorm(n(X), "a", 0, 1.0),
    "renorm_maxnorm_str": lambda m, n: m.renorm(n(X), 2, 0, "a"),
    "renorm_method_maxnorm_str": lambda m, n: n(X).renorm(2, 0, "a"),
    "renorm_dim_float": lambda m, n: m.renorm(n(X), 2, 0.5, 1.0),
    "rrelu_long": lambda m, n: F(m).rrelu(n(np.ones(3, np.int64), False)),
    "rrelu_long_train": lambda m, n: F(m).rrelu(n(np.ones(3, np.int64), False), training=True),
    "rrelu_half_train": lambda m, n: F(m).rrelu(n(X, False, "float16"), training=True),
    "rrelu_bounds": lambda m, n: F(m).rrelu(n(X), 0.5, 0.1, training=True),
    "rrelu_bounds_eval": lambda m, n: F(m).rrelu(n(X), 0.5, 0.1),
    "mlm_int32_target": lambda m, n: F(m).multilabel_margin_loss(n(X), n(TGT.astype(np.int32), False)),
    "mlm_float_target": lambda m, n: F(m).multilabel_margin_loss(n(X), n(TGT.astype(np.float64), False)),
    "mlm_target_shape": lambda m, n: F(m).multilabel_margin_loss(n(X), n(TGT[:2], False)),
    "mlm_target_range": lambda m, n: F(m).multilabel_margin_loss(n(X), n(TGT + 2, False)),
    "mlm_target_below": lambda m, n: F(m).multilabel_margin_loss(n(X), n(TGT - 3, False)),
    "mlm_0d_range": lambda m, n: F(m).multilabel_margin_loss(n(X[0, 0]), n(np.array(3), False)),
    "mlm_3d": lambda m, n: F(m).multilabel_margin_loss(n(X3), n(np.zeros((2, 3, 4), np.int64), False)),
    "mlm_bad_reduction": lambda m, n: F(m).multilabel_margin_loss(n(X), n(TGT, False), reduction="foo"),
    "mlm_long_input": lambda m, n: F(m).multilabel_margin_loss(n(TGT, False), n(TGT, False)),
    "tmwd_margin": lambda m, n: F(m).triplet_margin_with_distance_loss(n(X), n(X), n(X), margin=0),
    "tmwd_reduction": lambda m, n: F(m).triplet_margin_with_distance_loss(n(X), n(X), n(X), reduction="foo"),
    "tmwd_dims": lambda m, n: F(m).triplet_margin_with_distance_loss(n(X), n(X[0]), n(X)),
    "tmwd_module_margin": lambda m, n: m.nn.TripletMarginWithDistanceLoss(margin=-1.0),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors(name):
    results = check(ERRORS[name])
    assert isinstance(results[0], Exception), "torch raised nothing: the case tests nothing"


# ------------------------------------------------------------------ second derivatives
def _second(m, fn, arrays):
    ins = [m.tensor(a, requires_grad=True) for a in arrays]
    out = fn(m, *ins)
    gs = m.autograd.grad(out.sum(), ins, create_graph=True)
    names = [type(g.grad_fn).__name__ for g in gs]
    try:
        hs = m.autograd.grad(sum((g * g).sum() for g in gs), ins, allow_unused=True)
    except Exception as e:  # noqa: BLE001
        return names, e
    return names, hs


SECOND = {
    "cdist_direct": (lambda m, a, b: m.cdist(a, b, p=1.5), (A, B)),
    "cdist_direct_p2": (lambda m, a, b: m.cdist(a, b), (A, B)),
    "cdist_mm": (lambda m, a, b: m.cdist(a, b), (BIG, B)),
    "cdist_mm_batched": (lambda m, a, b: m.cdist(a, b, compute_mode=MM), (A4, B4)),
    "pdist": (lambda m, a: m.nn.functional.pdist(a, p=3), (X,)),
    "renorm": (lambda m, a: m.renorm(a, 2, 1, 0.5), (X,)),
    "rrelu": (lambda m, a: m.nn.functional.rrelu(a), (X,)),
    "mlm": (lambda m, a: m.nn.functional.multilabel_margin_loss(a, m.tensor(TGT)), (X,)),
    "tmwd": (lambda m, a, p: m.nn.functional.triplet_margin_with_distance_loss(a, p, m.tensor(X3[1])), (X, X3[0])),
}


@pytest.mark.parametrize("name", sorted(SECOND))
def test_second_derivative_or_torchs_refusal(name):
    fn, arrays = SECOND[name]
    assert_same(_second(torch, fn, arrays), _second(leafgrad, fn, arrays))


def _node_names(t):
    """The grad_fn names of t's graph, depth first (inputs in order)."""
    out, stack = [], [t.grad_fn]
    while stack:
        node = stack.pop()
        if node is None:
            continue
        out.append(type(node).__name__)
        stack.extend(n for n, _ in reversed(node.next_functions))
    return out


@pytest.mark.parametrize("shapes", [((3, 5), (30, 5)), ((2, 3, 5), (30, 5)), ((2, 27, 5), (2, 4, 5)),
                                    ((1, 3, 5), (30, 5)), ((2, 1, 3, 5), (3, 30, 5)), ((3, 5), (4, 5))])
def test_cdist_graph(shapes):
    """The matrix-product path's graph: expand / clone / view of each input where ATen has them."""
    names = []
    for m in (torch, leafgrad):
        a = m.tensor(RNG.standard_normal(shapes[0]), requires_grad=True)
        b = m.tensor(RNG.standard_normal(shapes[1]), requires_grad=True)
        names.append(_node_names(m.cdist(a, b)))
    assert names[0] == names[1]


def test_cdist_backward_kernels():
    """_cdist_backward and _pdist_backward (torch.ops.aten's) give the first derivatives."""
    g, x1, x2 = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 3, 5)), RNG.standard_normal((4, 5))
    for p in (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, INF):
        d = torch.cdist(torch.tensor(x1), torch.tensor(x2), p=p)
        want = torch.ops.aten._cdist_backward(torch.tensor(g), torch.tensor(x1), torch.tensor(x2), p, d)
        got = leafgrad.ops.FUNCTIONS["_cdist_backward"](leafgrad.tensor(g), leafgrad.tensor(x1),
                                                        leafgrad.tensor(x2), p, leafgrad.tensor(d.numpy()))
        assert_same(want, got, f"_cdist_backward p={p}")
        dp = torch.pdist(torch.tensor(x2), p=p)
        gp = RNG.standard_normal(dp.shape)
        want = torch.ops.aten._pdist_backward(torch.tensor(gp), torch.tensor(x2), p, dp)
        got = leafgrad.ops.FUNCTIONS["_pdist_backward"](leafgrad.tensor(gp), leafgrad.tensor(x2), p,
                                                        leafgrad.tensor(dp.numpy()))
        assert_same(want, got, f"_pdist_backward p={p}")


def test_mm_path_clamps_before_sqrt():
    """Nearly equal points: the matrix product can go below 0; the result is clamped to 0,
    and differs from the direct algorithm's as torch's does."""
    a = np.array([[1.0, 2.0, 3.0]], np.float32)
    b = np.array([[1.0, 2.0, 3.0001], [1.0, 2.0, 3.0]], np.float32)
    for mode in (MM, NO_MM):
        want = torch.cdist(torch.tensor(a), torch.tensor(b), compute_mode=mode)
        got = leafgrad.cdist(leafgrad.tensor(a), leafgrad.tensor(b), compute_mode=mode)
        assert_same(want, got, mode, rtol=0, atol=0)


# ------------------------------------------------------------------ modules, warnings, misc
def test_module_reprs():
    for build in (lambda m: m.nn.MultiLabelMarginLoss(), lambda m: m.nn.MultiLabelMarginLoss(reduction="none"),
                  lambda m: m.nn.TripletMarginWithDistanceLoss(),
                  lambda m: m.nn.TripletMarginWithDistanceLoss(distance_function=m.nn.PairwiseDistance(p=1),
                                                               margin=2.0, swap=True, reduction="sum"),
                  lambda m: m.nn.RReLU(), lambda m: m.nn.RReLU(0.1, 0.3, inplace=True)):
        assert repr(build(torch)) == repr(build(leafgrad))
    t, lg = torch.nn.TripletMarginWithDistanceLoss(margin=0.5), leafgrad.nn.TripletMarginWithDistanceLoss(margin=0.5)
    assert (t.margin, t.swap, t.reduction) == (lg.margin, lg.swap, lg.reduction)


def test_gumbel_eps_warning():
    msgs = []
    for m in (torch, leafgrad):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m.nn.functional.gumbel_softmax(_t(m, X), eps=1e-3)
        msgs.append([(x.category.__name__, str(x.message)) for x in w])
    assert msgs[0] == msgs[1] and msgs[0]


def test_gumbel_hard_is_one_hot_with_soft_gradient():
    """Straight through: the value is one-hot, the gradient the soft sample's."""
    out = []
    for m in (torch, leafgrad):
        m.manual_seed(9)
        x = _t(m, X3, True)
        y = m.nn.functional.gumbel_softmax(x, tau=0.7, hard=True, dim=-1)
        w = m.tensor(RNG.standard_normal((2, 3, 4)) if m is torch else out[0][2])
        g, = m.autograd.grad((y * w).sum(), x)
        out.append((y, g, w.numpy() if m is torch else None))
    assert_same(out[0][:2], out[1][:2])
    assert np.array_equal(out[1][0].detach().numpy().sum(-1), np.ones((2, 3)))


def test_rrelu_under_vmap():
    """Evaluation mode batches; training mode draws, which vmap refuses with torch's message."""
    x = RNG.standard_normal((2, 3))
    got = leafgrad.vmap(lambda t: leafgrad.nn.functional.rrelu(t))(leafgrad.tensor(x))
    assert_same(torch.nn.functional.rrelu(torch.tensor(x)), got)
    errs = []
    for m in (torch, leafgrad):
        try:
            (torch.func.vmap if m is torch else leafgrad.vmap)(
                lambda t, m=m: m.nn.functional.rrelu(t, training=True))(m.tensor(x))
        except RuntimeError as e:
            errs.append(e)
    assert len(errs) == 2
    assert_same(errs[0], errs[1])


def test_rrelu_training_draws_again_on_replay():
    """A captured training step with nn.RReLU draws new noise on every replay, the same
    numbers as the eager step under the same seed."""
    from test_replay import _run_side_by_side, _data
    nn = leafgrad.nn

    def make():
        leafgrad.manual_seed(0)
        model = nn.Sequential(nn.Linear(20, 16), nn.RReLU(0.05, 0.5), nn.Linear(16, 4))
        opt = leafgrad.optim.SGD(model.parameters(), lr=0.1)

        def step(x, y):
            opt.zero_grad()
            loss = leafgrad.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss
        return model, opt, step
    x, y = _data()
    step = _run_side_by_side(make, [(x, y)] * 6)
    assert step.replays == 3


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rrelu_noise_bit_for_bit(dtype):
    """The training noise is torch's to the last bit (bounds rounded to the tensor's precision,
    a plain multiply-add in double)."""
    x = -np.abs(RNG.standard_normal(500))
    outs = []
    for m in (torch, leafgrad):
        m.manual_seed(21)
        outs.append(m.nn.functional.rrelu(_t(m, x, dtype=dtype), 0.1, 0.7, training=True))
    assert_same(outs[0], outs[1], rtol=0, atol=0)


def test_cdist_half_matrix_product_bit_for_bit():
    """Half inputs on the matrix-product path: each step rounded to half, as ATen's kernels."""
    a, b = RNG.standard_normal((40, 16)) * 3, RNG.standard_normal((30, 16)) * 3
    outs = [m.cdist(_t(m, a, dtype="float16"), _t(m, b, dtype="float16")) for m in (torch, leafgrad)]
    assert_same(outs[0], outs[1], rtol=0, atol=0)


def test_saved_values():
    """What the nodes show as _saved_*: numbers as given (renorm keeps an int p)."""
    got = []
    for m in (torch, leafgrad):
        x = _t(m, X, True)
        n1 = m.renorm(x, 2, 0, 1).grad_fn
        n2 = m.cdist(x, _t(m, X3[0]), p=1.5).grad_fn
        n3 = m.nn.functional.pdist(x, p=3).grad_fn
        got.append([n1._saved_p, n1._saved_dim, n1._saved_maxnorm, n1._saved_self, n2._saved_p, n2._saved_x1,
                    n2._saved_x2, n2._saved_result, n3._saved_p, n3._saved_self, n3._saved_result])
    assert [type(v).__name__ for v in got[0]] == [type(v).__name__ for v in got[1]]
    assert_same(got[0], got[1])
