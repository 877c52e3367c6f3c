"""rms_norm, pixel_shuffle / pixel_unshuffle, soft margin / hinge / multilabel soft margin /
Poisson / Gaussian / multi margin losses and their modules, side by side with torch: values,
gradients, dtypes, grad_fn names and errors (the op sweep covers derivatives of the samples)."""
import warnings

import numpy as np
import pytest

from conftest import assert_same, torch, leafgrad
from test_nn_functional_act_loss import _t, check   # (the same side-by-side helpers)

RNG = np.random.default_rng(7)
X = RNG.standard_normal((3, 4))
X3 = RNG.standard_normal((2, 3, 4))
W4 = RNG.standard_normal(4)
W34 = RNG.standard_normal((3, 4))
SIGN = np.where(RNG.standard_normal((3, 4)) > 0, 1.0, -1.0)
LABELS = (RNG.standard_normal((3, 4)) > 0).astype(np.float64)
COUNTS = RNG.integers(0, 5, (3, 4)).astype(np.float64)
POS = RNG.uniform(0.1, 2.0, (3, 4))
IMG = RNG.standard_normal((2, 8, 3, 2))
CLS = np.array([0, 3, 1])
IMG2 = RNG.standard_normal((2, 2, 4, 6))
W8 = RNG.uniform(0, 1, 8)
Q4, K4, V4 = RNG.standard_normal((2, 4, 5, 3)), RNG.standard_normal((2, 4, 6, 3)), RNG.standard_normal((2, 4, 6, 3))
V7 = RNG.standard_normal((2, 4, 6, 7))
M56 = RNG.standard_normal((5, 6))
B56 = RNG.standard_normal((5, 6)) > -0.3
B56[1] = False   # a fully masked row: the safe softmax gives zeros there


def F(m):
    return m.nn.functional


# ------------------------------------------------------------------ values, gradients, graphs
CASES = {
    # rms_norm: default eps is the machine epsilon of the computation dtype (float32 for half)
    "rms_norm": lambda m, n: F(m).rms_norm(n(X), (4,)),
    "rms_norm_list": lambda m, n: F(m).rms_norm(n(X3), [3, 4], n(W34)),
    "rms_norm_eps": lambda m, n: F(m).rms_norm(n(X), (4,), n(W4), eps=1e-2),
    "rms_norm_f32": lambda m, n: F(m).rms_norm(n(X, dtype="float32"), (4,), n(W4, dtype="float32")),
    "rms_norm_f32_f64w": lambda m, n: F(m).rms_norm(n(X, dtype="float32"), (4,), n(W4)),
    "rms_norm_f64_f32w": lambda m, n: F(m).rms_norm(n(X), (4,), n(W4, dtype="float32")),
    "rms_norm_half": lambda m, n: F(m).rms_norm(n(X, dtype="float16"), (4,)),
    "rms_norm_half_w": lambda m, n: F(m).rms_norm(n(X, dtype="float16"), (4,), n(W4, dtype="float16")),
    "rms_norm_tiny_half": lambda m, n: F(m).rms_norm(n([[1e-3, 2e-3]], False, "float16"), (2,)),
    "rms_norm_zeros": lambda m, n: F(m).rms_norm(n(np.zeros((2, 3))), (3,)),
    "rms_norm_empty": lambda m, n: F(m).rms_norm(n(np.zeros((0, 3))), (3,)),
    "rms_norm_no_grad": lambda m, n: F(m).rms_norm(n(X, False), (4,)),
    "rms_norm_torch_ns": lambda m, n: m.rms_norm(n(X), [4], n(W4)),
    "pixel_shuffle": lambda m, n: F(m).pixel_shuffle(n(IMG), 2),
    "pixel_shuffle_3d": lambda m, n: F(m).pixel_shuffle(n(IMG[0]), 2),
    "pixel_shuffle_5d": lambda m, n: F(m).pixel_shuffle(n(IMG.reshape(1, 2, 8, 3, 2)), 2),
    "pixel_shuffle_int": lambda m, n: F(m).pixel_shuffle(n(np.arange(16).reshape(1, 4, 2, 2), False), 2),
    "pixel_unshuffle": lambda m, n: F(m).pixel_unshuffle(n(IMG2), 2),
    "pixel_roundtrip": lambda m, n: F(m).pixel_unshuffle(F(m).pixel_shuffle(n(IMG), 2), 2),
    "pixel_shuffle_top": lambda m, n: m.pixel_shuffle(n(IMG), 2),
    "soft_margin": lambda m, n: F(m).soft_margin_loss(n(X), n(SIGN, False)),
    "soft_margin_none": lambda m, n: F(m).soft_margin_loss(n(X), n(SIGN, False), reduction="none"),
    "soft_margin_sum_bcast": lambda m, n: F(m).soft_margin_loss(n(X), n(SIGN[0], False), reduction="sum"),
    "soft_margin_f32_f64": lambda m, n: F(m).soft_margin_loss(n(X, dtype="float32"), n(SIGN, False)),
    "soft_margin_long_target": lambda m, n: F(m).soft_margin_loss(n(X), n(SIGN.astype(np.int64), False)),
    "soft_margin_half_0d": lambda m, n: F(m).soft_margin_loss(n(X, dtype="float16"), n(1.0, False)),
    "soft_margin_legacy": lambda m, n: F(m).soft_margin_loss(n(X), n(SIGN, False), size_average=False),
    "hinge": lambda m, n: F(m).hinge_embedding_loss(n(X), n(SIGN, False)),
    "hinge_margin_none": lambda m, n: F(m).hinge_embedding_loss(n(X), n(SIGN, False), margin=0.3, reduction="none"),
    "hinge_long_target": lambda m, n: F(m).hinge_embedding_loss(n(X), n(SIGN.astype(np.int64), False),
                                                                reduction="sum"),
    "hinge_bcast": lambda m, n: F(m).hinge_embedding_loss(n(X), n(SIGN[0], False)),
    "mlsm": lambda m, n: F(m).multilabel_soft_margin_loss(n(X), n(LABELS, False)),
    "mlsm_weight_none": lambda m, n: F(m).multilabel_soft_margin_loss(n(X), n(LABELS, False), weight=n(POS[0], False),
                                                                      reduction="none"),
    "mlsm_target_grad": lambda m, n: F(m).multilabel_soft_margin_loss(n(X), n(LABELS), reduction="sum"),
    "mlsm_1d": lambda m, n: F(m).multilabel_soft_margin_loss(n(X[0]), n(LABELS[0], False)),
    "poisson": lambda m, n: F(m).poisson_nll_loss(n(X), n(COUNTS, False)),
    "poisson_full": lambda m, n: F(m).poisson_nll_loss(n(X), n(COUNTS, False), full=True, reduction="none"),
    "poisson_rate": lambda m, n: F(m).poisson_nll_loss(n(POS), n(COUNTS), log_input=False, reduction="sum"),
    "poisson_rate_full": lambda m, n: F(m).poisson_nll_loss(n(POS), n(COUNTS, False), log_input=False, full=True,
                                                            eps=1e-3),
    "poisson_legacy": lambda m, n: F(m).poisson_nll_loss(n(X), n(COUNTS, False), reduce=False),
    "gauss": lambda m, n: F(m).gaussian_nll_loss(n(X), n(W34), n(POS)),
    "gauss_full_sum": lambda m, n: F(m).gaussian_nll_loss(n(X), n(W34), n(POS), full=True, reduction="sum"),
    "gauss_homo": lambda m, n: F(m).gaussian_nll_loss(n(X), n(W34, False), n(POS[:, 0]), reduction="none"),
    "gauss_homo_1": lambda m, n: F(m).gaussian_nll_loss(n(X), n(W34, False), n(POS[:, :1])),
    "gauss_float_var": lambda m, n: F(m).gaussian_nll_loss(n(X), n(W34, False), 0.5),
    "gauss_clamped": lambda m, n: F(m).gaussian_nll_loss(n(X), n(W34, False), n(np.zeros((3, 4))), eps=0.1),
    "multi_margin": lambda m, n: F(m).multi_margin_loss(n(X), n(CLS, False)),
    "multi_margin_p2": lambda m, n: F(m).multi_margin_loss(n(X), n(CLS, False), p=2, margin=0.7, reduction="none"),
    "multi_margin_weight": lambda m, n: F(m).multi_margin_loss(n(X), n(CLS, False), weight=n(POS[0], False),
                                                               reduction="sum"),
    "multi_margin_1d": lambda m, n: F(m).multi_margin_loss(n(X[0]), n(2, False), reduction="none"),
    "multi_margin_1d_1": lambda m, n: F(m).multi_margin_loss(n(X[0]), n([2], False), reduction="none"),
    "multi_margin_0d": lambda m, n: F(m).multi_margin_loss(n(1.5), n(0, False)),
    "multi_margin_f32": lambda m, n: F(m).multi_margin_loss(n(X, dtype="float32"), n(CLS, False)),
}


def _sdpa(m, n, q=Q4, k=K4, v=V4, **kw):
    return F(m).scaled_dot_product_attention(n(q), n(k), n(v), **kw)


SDPA = {
    # 4-D, same head size, no dropout: PyTorch's fused CPU kernel (one node)
    "flash": lambda m, n: _sdpa(m, n),
    "flash_causal": lambda m, n: _sdpa(m, n, is_causal=True),
    "flash_causal_long_q": lambda m, n: _sdpa(m, n, q=K4, k=Q4, v=Q4, is_causal=True),
    "flash_bool_mask": lambda m, n: _sdpa(m, n, attn_mask=n(B56, False)),
    "flash_float_mask": lambda m, n: _sdpa(m, n, attn_mask=n(M56, False)),
    "flash_mask_4d": lambda m, n: _sdpa(m, n, attn_mask=n(np.broadcast_to(M56, (2, 4, 5, 6)), False)),
    "flash_f32_mask": lambda m, n: _sdpa(m, n, attn_mask=n(M56, False, "float32")),
    "flash_scale": lambda m, n: _sdpa(m, n, scale=0.3),
    "flash_mask_and_causal": lambda m, n: _sdpa(m, n, attn_mask=n(M56, False), is_causal=True),
    "flash_bool_mask_and_causal": lambda m, n: _sdpa(m, n, attn_mask=n(B56, False), is_causal=True),
    "flash_neg_scale": lambda m, n: _sdpa(m, n, scale=-0.3),
    "flash_gqa": lambda m, n: _sdpa(m, n, k=K4[:, :2], v=V4[:, :2], enable_gqa=True),
    "flash_f32": lambda m, n: F(m).scaled_dot_product_attention(n(Q4, dtype="float32"), n(K4, dtype="float32"),
                                                                n(V4, dtype="float32"), is_causal=True),
    "flash_only_v_grad": lambda m, n: F(m).scaled_dot_product_attention(n(Q4, False), n(K4, False), n(V4)),
    "flash_no_grad": lambda m, n: F(m).scaled_dot_product_attention(n(Q4, False), n(K4, False), n(V4, False)),
    # the math composite
    "math_head_sizes": lambda m, n: _sdpa(m, n, v=V7),
    "math_mask_grad": lambda m, n: _sdpa(m, n, attn_mask=n(M56)),
    "math_bool_mask": lambda m, n: _sdpa(m, n, v=V7, attn_mask=n(B56, False)),
    "math_causal": lambda m, n: _sdpa(m, n, v=V7, is_causal=True),
    "math_3d": lambda m, n: _sdpa(m, n, q=Q4[0], k=K4[0], v=V7[0], scale=0.5),
    "math_2d": lambda m, n: _sdpa(m, n, q=Q4[0, 0], k=K4[0, 0], v=V4[0, 0]),
    "math_5d": lambda m, n: _sdpa(m, n, q=Q4[None], k=K4[None], v=V4[None], is_causal=True),
    "math_bcast_batch": lambda m, n: _sdpa(m, n, k=K4[:1], v=V4[:1]),
    "math_neg_scale": lambda m, n: _sdpa(m, n, v=V7, scale=-0.4, attn_mask=n(M56, False)),
    "math_gqa": lambda m, n: _sdpa(m, n, k=K4[:, :2], v=V7[:, :2], enable_gqa=True),
    "math_ndim_mix": lambda m, n: _sdpa(m, n, k=K4[0], v=V7[0]),
}
CASES.update({"sdpa_" + k: v for k, v in SDPA.items()})

CASES.update({
    "prelu": lambda m, n: F(m).prelu(n(X3), n(POS[:, 0])),
    "prelu_one": lambda m, n: F(m).prelu(n(X3), n(POS[0, :1])),
    "prelu_0d_weight": lambda m, n: F(m).prelu(n(X3), n(0.3)),
    "prelu_1d": lambda m, n: F(m).prelu(n(X[0]), n(POS[0, :1])),
    "prelu_0d_input": lambda m, n: F(m).prelu(n(-1.5), n(POS[0, :1])),
    "prelu_4d": lambda m, n: F(m).prelu(n(IMG), n(W8)),
    "prelu_f32": lambda m, n: F(m).prelu(n(X3, dtype="float32"), n(POS[:, 0], dtype="float32")),
    "prelu_torch_ns": lambda m, n: m.prelu(n(X3), n(POS[:, 0])),
    "prelu_method": lambda m, n: n(X3).prelu(n(POS[:, 0])),
})


def _seeded(fn):
    def run(m, n):
        m.manual_seed(11)
        return fn(m, n)
    return run


DROPOUT = {
    "dropout1d": lambda m, n: F(m).dropout1d(n(X3), 0.4),
    "dropout1d_unbatched": lambda m, n: F(m).dropout1d(n(X), 0.4),
    "dropout1d_eval": lambda m, n: F(m).dropout1d(n(X3), 0.4, training=False),
    "dropout1d_p1": lambda m, n: F(m).dropout1d(n(X3), 1.0),
    "dropout2d": lambda m, n: F(m).dropout2d(n(IMG), 0.5),
    "dropout2d_3d": lambda m, n: F(m).dropout2d(n(X3), 0.5),
    "dropout2d_inplace": lambda m, n: F(m).dropout2d(n(IMG, False).clone(), 0.5, inplace=True),
    "dropout3d": lambda m, n: F(m).dropout3d(n(IMG[None]), 0.3),
    "dropout3d_unbatched": lambda m, n: F(m).dropout3d(n(IMG), 0.3),
    "alpha_dropout": lambda m, n: F(m).alpha_dropout(n(X3), 0.2, training=True),
    "alpha_dropout_default_eval": lambda m, n: F(m).alpha_dropout(n(X3), 0.2),
    "alpha_dropout_f32": lambda m, n: F(m).alpha_dropout(n(X3, dtype="float32"), 0.5, True),
    "alpha_dropout_inplace": lambda m, n: F(m).alpha_dropout(n(X3, False).clone(), 0.2, True, True),
    "alpha_dropout_p1": lambda m, n: F(m).alpha_dropout(n(X3), 1.0, True),
    "alpha_dropout_torch_ns": lambda m, n: m.alpha_dropout(n(X3), 0.2, True),
    "feature_alpha_dropout": lambda m, n: F(m).feature_alpha_dropout(n(IMG), 0.3, True),
}
CASES.update({k: _seeded(v) for k, v in DROPOUT.items()})


def test_dropout2d_warnings():
    msgs = []
    for m in (torch, leafgrad):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m.nn.functional.dropout2d(_t(m, X3), 0.5, training=False)
            m.nn.functional.dropout2d(_t(m, X), 0.5, training=False)
            m.nn.functional.dropout3d(_t(m, X3), 0.5, training=False)
        msgs.append([str(x.message) for x in w])
    assert msgs[0] == msgs[1]


def test_sdpa_dropout_same_stream():
    """dropout_p > 0 runs the math path; with the same seed, the same mask as PyTorch's."""
    def run(m, n):
        m.manual_seed(3)
        return _sdpa(m, n, dropout_p=0.4)
    check(run)


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    check(CASES[name])


# ------------------------------------------------------------------ errors
ERRORS = {
    "rms_norm_int_shape": lambda m, n: F(m).rms_norm(n(X), 4),
    "rms_norm_empty_shape": lambda m, n: F(m).rms_norm(n(X), ()),
    "rms_norm_bad_shape": lambda m, n: F(m).rms_norm(n(X), (3,)),
    "rms_norm_bad_shape_3d": lambda m, n: F(m).rms_norm(n(X3), (5, 3, 4)),
    "rms_norm_too_long": lambda m, n: F(m).rms_norm(n(X), (2, 3, 4)),
    "rms_norm_weight": lambda m, n: F(m).rms_norm(n(X), (4,), n(np.ones(3))),
    "rms_norm_long": lambda m, n: F(m).rms_norm(n(np.arange(4), False), (4,)),
    "shuffle_factor": lambda m, n: F(m).pixel_shuffle(n(IMG), 3),
    "shuffle_2d": lambda m, n: F(m).pixel_shuffle(n(X), 2),
    "shuffle_zero": lambda m, n: F(m).pixel_shuffle(n(IMG), 0),
    "shuffle_negative": lambda m, n: F(m).pixel_shuffle(n(IMG), -1),
    "shuffle_float": lambda m, n: F(m).pixel_shuffle(n(IMG), 2.0),
    "unshuffle_width": lambda m, n: F(m).pixel_unshuffle(n(IMG), 2),
    "unshuffle_height": lambda m, n: F(m).pixel_unshuffle(n(X3[:1, :, :3].transpose(0, 2, 1)), 2),
    "unshuffle_2d": lambda m, n: F(m).pixel_unshuffle(n(X), 2),
    "unshuffle_zero": lambda m, n: F(m).pixel_unshuffle(n(IMG), 0),
    "unshuffle_float": lambda m, n: F(m).pixel_unshuffle(n(IMG), 2.0),
    "soft_margin_target_grad": lambda m, n: F(m).soft_margin_loss(n(X), n(SIGN)),
    "soft_margin_shape": lambda m, n: F(m).soft_margin_loss(n(X), n(np.ones((2, 4)), False)),
    "soft_margin_output_shape": lambda m, n: F(m).soft_margin_loss(n(X[0]), n(SIGN, False)),
    "soft_margin_number": lambda m, n: F(m).soft_margin_loss(n(X), 1.0),
    "soft_margin_long": lambda m, n: F(m).soft_margin_loss(n(np.ones(3, np.int64), False),
                                                           n(np.ones(3, np.int64), False)),
    "soft_margin_bool": lambda m, n: F(m).soft_margin_loss(n(X > 0, False), n(X > 0, False)),
    "soft_margin_reduction": lambda m, n: F(m).soft_margin_loss(n(X), n(SIGN, False), reduction="x"),
    "hinge_shape": lambda m, n: F(m).hinge_embedding_loss(n(X), n(np.ones((2, 4)), False)),
    "hinge_reduction": lambda m, n: F(m).hinge_embedding_loss(n(X), n(SIGN, False), reduction="x"),
    "mlsm_shape": lambda m, n: F(m).multilabel_soft_margin_loss(n(X), n(np.ones((2, 4)), False)),
    "mlsm_reduction": lambda m, n: F(m).multilabel_soft_margin_loss(n(X), n(LABELS, False), reduction="x"),
    "poisson_shape": lambda m, n: F(m).poisson_nll_loss(n(X), n(np.ones((2, 4)), False)),
    "poisson_reduction": lambda m, n: F(m).poisson_nll_loss(n(X), n(COUNTS, False), reduction="x"),
    "gauss_negative_var": lambda m, n: F(m).gaussian_nll_loss(n(X), n(W34), n(-POS)),
    "gauss_negative_float": lambda m, n: F(m).gaussian_nll_loss(n(X), n(W34), -1.0),
    "gauss_var_size": lambda m, n: F(m).gaussian_nll_loss(n(X), n(W34), n(POS[:2])),
    "gauss_reduction": lambda m, n: F(m).gaussian_nll_loss(n(X), n(W34), n(POS), reduction="x"),
    "mm_p": lambda m, n: F(m).multi_margin_loss(n(X), n(CLS, False), p=3),
    "mm_weight_dim": lambda m, n: F(m).multi_margin_loss(n(X), n(CLS, False), weight=n(np.ones((1, 4)), False)),
    "mm_out_of_range": lambda m, n: F(m).multi_margin_loss(n(X), n([0, 1, 4], False)),
    "mm_negative": lambda m, n: F(m).multi_margin_loss(n(X), n([0, 1, -1], False)),
    "mm_target_size": lambda m, n: F(m).multi_margin_loss(n(X), n([0, 1], False)),
    "mm_target_2d": lambda m, n: F(m).multi_margin_loss(n(X), n([[0, 1, 2]], False)),
    "mm_1d_target_size": lambda m, n: F(m).multi_margin_loss(n(X[0]), n([1, 2], False)),
    "mm_float_target": lambda m, n: F(m).multi_margin_loss(n(X), n([0., 1, 2], False)),
    "mm_int32_target": lambda m, n: F(m).multi_margin_loss(n(X), n(np.array([0, 1, 2], np.int32), False)),
    "mm_weight_size": lambda m, n: F(m).multi_margin_loss(n(X), n(CLS, False), weight=n(np.ones(3), False)),
    "mm_weight_dtype": lambda m, n: F(m).multi_margin_loss(n(X), n(CLS, False),
                                                          weight=n(np.ones(4), False, "float32")),
    "mm_weight_grad": lambda m, n: F(m).multi_margin_loss(n(X), n(CLS, False), weight=n(np.ones(4))),
    "mm_3d": lambda m, n: F(m).multi_margin_loss(n(X3), n([1], False)),
    "mm_empty_classes": lambda m, n: F(m).multi_margin_loss(n(np.zeros((2, 0))), n([0, 1], False)),
    "mm_long_input": lambda m, n: F(m).multi_margin_loss(n(np.ones((3, 4), np.int64), False), n(CLS, False)),
    "mm_1d_out_of_range": lambda m, n: F(m).multi_margin_loss(n(1.5), n(1, False)),
    "mm_reduction": lambda m, n: F(m).multi_margin_loss(n(X), n(CLS, False), reduction="x"),
    "prelu_dtype": lambda m, n: F(m).prelu(n(X3), n(POS[:, 0], dtype="float32")),
    "prelu_weight_2d": lambda m, n: F(m).prelu(n(X3), n(POS[:1, :3])),
    "prelu_channels": lambda m, n: F(m).prelu(n(X3), n(POS[0, :2])),
    "prelu_1d_channels": lambda m, n: F(m).prelu(n(X[0]), n(POS[0])),
    "prelu_0d_input_channels": lambda m, n: F(m).prelu(n(1.5), n(POS[:, 0])),
    "prelu_long": lambda m, n: F(m).prelu(n(np.ones(3, np.int64), False), n(np.ones(1, np.int64), False)),
    "prelu_number": lambda m, n: F(m).prelu(n(X3), 0.2),
    "dropout1d_4d": lambda m, n: F(m).dropout1d(n(IMG), 0.5),
    "dropout1d_p": lambda m, n: F(m).dropout1d(n(X3), 1.5),
    "dropout2d_p": lambda m, n: F(m).dropout2d(n(IMG), -0.1),
    "dropout3d_p": lambda m, n: F(m).dropout3d(n(IMG), 2.0),
    "alpha_dropout_p": lambda m, n: F(m).alpha_dropout(n(X3), 1.5),
    "feature_alpha_dropout_p": lambda m, n: F(m).feature_alpha_dropout(n(X3), -1.0),
    "feature_alpha_dropout_1d": lambda m, n: F(m).feature_alpha_dropout(n(X[0]), 0.5, True),
    "sdpa_1d": lambda m, n: _sdpa(m, n, q=X[0], k=X[0], v=X[0]),
    "sdpa_dtype": lambda m, n: F(m).scaled_dot_product_attention(n(Q4), n(K4, dtype="float32"), n(V4)),
    "sdpa_int_mask": lambda m, n: _sdpa(m, n, attn_mask=n(np.zeros((5, 6), np.int64), False)),
    "sdpa_mask_and_causal_math": lambda m, n: _sdpa(m, n, v=V7, attn_mask=n(M56, False), is_causal=True),
    "sdpa_mask_shape_math": lambda m, n: _sdpa(m, n, v=V7, attn_mask=n(M56[:4], False)),
    "sdpa_mask_shape_flash": lambda m, n: _sdpa(m, n, attn_mask=n(M56[:4], False)),
    "sdpa_mask_too_big_flash": lambda m, n: _sdpa(m, n, attn_mask=n(np.zeros((3, 4, 5, 6)), False)),
    "sdpa_mask_too_big_math": lambda m, n: _sdpa(m, n, v=V7, attn_mask=n(np.zeros((3, 2, 4, 5, 6)), False)),
    "sdpa_kv_len": lambda m, n: _sdpa(m, n, v=V7[:, :, :5]),
    "sdpa_head_size": lambda m, n: _sdpa(m, n, k=K4[..., :2], v=V7),
    "sdpa_not_tensor": lambda m, n: F(m).scaled_dot_product_attention(n(Q4), 1.0, n(V4)),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors(name):
    res = check(ERRORS[name])
    assert isinstance(res[0], Exception), "torch accepted the call: not an error case"


# ------------------------------------------------------------------ modules
MODULES = {
    "RMSNorm": (lambda nn: nn.RMSNorm(4), [X]),
    "RMSNorm-2d-eps": (lambda nn: nn.RMSNorm([3, 4], eps=1e-3), [X3]),
    "RMSNorm-noaffine": (lambda nn: nn.RMSNorm(4, elementwise_affine=False), [X]),
    "PixelShuffle": (lambda nn: nn.PixelShuffle(2), [IMG]),
    "PixelUnshuffle": (lambda nn: nn.PixelUnshuffle(2), [IMG2]),
    "SoftMarginLoss": (lambda nn: nn.SoftMarginLoss(reduction="sum"), [X, SIGN]),
    "HingeEmbeddingLoss": (lambda nn: nn.HingeEmbeddingLoss(margin=0.5), [X, SIGN]),
    "MultiLabelSoftMarginLoss": (lambda nn: nn.MultiLabelSoftMarginLoss(reduction="none"), [X, LABELS]),
    "PoissonNLLLoss": (lambda nn: nn.PoissonNLLLoss(full=True), [X, COUNTS]),
    "PoissonNLLLoss-rate": (lambda nn: nn.PoissonNLLLoss(log_input=False, eps=1e-4), [POS, COUNTS]),
    "GaussianNLLLoss": (lambda nn: nn.GaussianNLLLoss(full=True, eps=1e-3), [X, W34, POS]),
    "MultiMarginLoss": (lambda nn: nn.MultiMarginLoss(p=2, margin=0.5), [X, CLS]),
    "PReLU": (lambda nn: nn.PReLU(), [X]),
    "PReLU-channels": (lambda nn: nn.PReLU(3, init=0.1), [X3]),
    "Dropout3d-eval": (lambda nn: nn.Dropout3d(0.3).eval(), [IMG[None]]),
    "AlphaDropout-eval": (lambda nn: nn.AlphaDropout(0.3, inplace=True).eval(), [X3]),
    "FeatureAlphaDropout-eval": (lambda nn: nn.FeatureAlphaDropout().eval(), [IMG]),
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module(name):
    make, arrays = MODULES[name]

    def run(m, n):
        m.manual_seed(5)
        mod = make(m.nn)
        ins = [n(a, grad=a.dtype.kind == "f" and i == 0) if isinstance(a, np.ndarray) else a
               for i, a in enumerate(arrays)]
        out = mod(*ins)
        params = [(k, tuple(p.shape), p.requires_grad) for k, p in mod.named_parameters()]
        return out, repr(mod), params, list(mod.state_dict())
    check(run)


def test_module_weights_get_gradients():
    for_both = []
    for m in (torch, leafgrad):
        mod = m.nn.RMSNorm([3, 4])
        with m.no_grad():
            mod.weight.copy_(m.tensor(W34))
        mod(_t(m, X3, dtype="float32")).pow(2).sum().backward()
        for_both.append(mod.weight.grad)
    assert_same(for_both[0], for_both[1])


@pytest.mark.parametrize("name", ["Dropout3d", "AlphaDropout", "FeatureAlphaDropout"])
def test_dropout_modules_train(name):
    def run(m, n):
        m.manual_seed(2)
        mod = getattr(m.nn, name)(0.4)
        return mod(n(IMG[None] if name == "Dropout3d" else IMG)), repr(mod)
    check(run)


MODULE_ERRORS = {
    "MultiMarginLoss-p": lambda nn, m: nn.MultiMarginLoss(p=3),
    "MultiMarginLoss-weight": lambda nn, m: nn.MultiMarginLoss(weight=m.ones(2, 2)),
    "GaussianNLLLoss-positional": lambda nn, m: nn.GaussianNLLLoss(True),
    "RMSNorm-shape": lambda nn, m: nn.RMSNorm(3)(m.ones(2, 4)),
    "PReLU-1d-channels": lambda nn, m: nn.PReLU(3)(m.ones(3)),
    "PReLU-0d": lambda nn, m: nn.PReLU(3)(m.ones(())),
    "AlphaDropout-p": lambda nn, m: nn.AlphaDropout(1.5),
    "Dropout3d-p": lambda nn, m: nn.Dropout3d(-0.5),
}


@pytest.mark.parametrize("name", sorted(MODULE_ERRORS))
def test_module_errors(name):
    res = check(lambda m, n: MODULE_ERRORS[name](m.nn, m))
    assert isinstance(res[0], Exception)
