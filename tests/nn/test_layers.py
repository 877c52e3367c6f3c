"""nn layers side by side with torch: same seed -> same initial parameters and buffers;
same forward values and gradients; same repr; same errors for bad arguments and input."""
import numpy as np
import pytest

from conftest import torch, leafgrad, both, assert_same, to_numpy


def _x(mod, shape, kind="float", high=None):
    if kind == "long":
        return mod.randint(0, high, shape)
    if kind == "prob":
        return mod.rand(shape)
    if kind == "sign":
        return mod.randint(0, 2, shape).float() * 2 - 1
    if kind == "binary":
        return mod.randint(0, 2, shape).float()
    return mod.randn(shape)


# (id, constructor(nn), inputs: list of (shape, kind, high, requires_grad))
F_ = ("float", None, True)
LAYERS = [
    ("Linear", lambda nn: nn.Linear(5, 3), [((4, 5),) + F_]),
    ("Linear-nobias", lambda nn: nn.Linear(5, 3, bias=False), [((2, 4, 5),) + F_]),
    ("Linear-double", lambda nn: nn.Linear(4, 2, dtype=torch_or_leaf_dtype("float64")), None),
    ("Bilinear", lambda nn: nn.Bilinear(3, 4, 2), [((5, 3),) + F_, ((5, 4),) + F_]),
    ("Identity", lambda nn: nn.Identity(3, foo=1), [((2, 3),) + F_]),
    ("Flatten", lambda nn: nn.Flatten(), [((2, 3, 4),) + F_]),
    ("Flatten-dims", lambda nn: nn.Flatten(0, 1), [((2, 3, 4),) + F_]),
    ("Unflatten", lambda nn: nn.Unflatten(1, (2, 3)), [((4, 6),) + F_]),
    ("Conv1d", lambda nn: nn.Conv1d(3, 4, 3, stride=2, padding=1), [((2, 3, 9),) + F_]),
    ("Conv1d-reflect", lambda nn: nn.Conv1d(2, 2, 3, padding=1, padding_mode="reflect", bias=False),
     [((1, 2, 6),) + F_]),
    ("Conv2d", lambda nn: nn.Conv2d(3, 4, 3), [((2, 3, 6, 5),) + F_]),
    ("Conv2d-groups", lambda nn: nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2),
                                           groups=2), [((2, 4, 7, 6),) + F_]),
    ("Conv2d-same", lambda nn: nn.Conv2d(2, 3, 3, padding="same"), [((1, 2, 5, 5),) + F_]),
    ("Conv2d-circular", lambda nn: nn.Conv2d(2, 3, 3, padding=1, padding_mode="circular"), [((1, 2, 5, 4),) + F_]),
    ("ConvTranspose2d", lambda nn: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1),
     [((2, 3, 4, 4),) + F_]),
    ("ConvTranspose2d-groups", lambda nn: nn.ConvTranspose2d(4, 6, 2, groups=2, bias=False), [((1, 4, 3, 3),) + F_]),
    ("ConvTranspose1d", lambda nn: nn.ConvTranspose1d(3, 2, 3, stride=2), [((2, 3, 5),) + F_]),
    ("MaxPool1d", lambda nn: nn.MaxPool1d(2), [((2, 3, 8),) + F_]),
    ("MaxPool2d", lambda nn: nn.MaxPool2d(3, stride=2, padding=1), [((2, 3, 7, 6),) + F_]),
    ("MaxPool2d-ceil", lambda nn: nn.MaxPool2d(2, ceil_mode=True), [((1, 2, 5, 5),) + F_]),
    ("AvgPool1d", lambda nn: nn.AvgPool1d(3, stride=2), [((2, 3, 9),) + F_]),
    ("AvgPool2d", lambda nn: nn.AvgPool2d(2), [((2, 3, 6, 6),) + F_]),
    ("AvgPool2d-pad", lambda nn: nn.AvgPool2d(3, 2, 1, count_include_pad=False), [((2, 3, 6, 5),) + F_]),
    ("AdaptiveAvgPool2d", lambda nn: nn.AdaptiveAvgPool2d((2, 3)), [((2, 3, 7, 8),) + F_]),
    ("AdaptiveAvgPool1d", lambda nn: nn.AdaptiveAvgPool1d(3), [((2, 3, 7),) + F_]),
    ("BatchNorm1d", lambda nn: nn.BatchNorm1d(4), [((6, 4),) + F_]),
    ("BatchNorm1d-3d", lambda nn: nn.BatchNorm1d(3, momentum=None), [((4, 3, 5),) + F_]),
    ("BatchNorm2d", lambda nn: nn.BatchNorm2d(3), [((2, 3, 4, 4),) + F_]),
    ("BatchNorm2d-noaffine", lambda nn: nn.BatchNorm2d(3, affine=False, track_running_stats=False),
     [((2, 3, 4, 4),) + F_]),
    ("InstanceNorm2d", lambda nn: nn.InstanceNorm2d(3, affine=True), [((2, 3, 4, 4),) + F_]),
    ("LayerNorm", lambda nn: nn.LayerNorm(5), [((3, 5),) + F_]),
    ("LayerNorm-2d", lambda nn: nn.LayerNorm([3, 4], eps=1e-3), [((2, 3, 4),) + F_]),
    ("LayerNorm-nobias", lambda nn: nn.LayerNorm(4, bias=False), [((2, 4),) + F_]),
    ("GroupNorm", lambda nn: nn.GroupNorm(2, 4), [((3, 4, 5),) + F_]),
    ("Dropout", lambda nn: nn.Dropout(0.3), [((4, 10),) + F_]),
    ("Embedding", lambda nn: nn.Embedding(10, 3), [((2, 4), "long", 10, False)]),
    ("Embedding-pad", lambda nn: nn.Embedding(10, 3, padding_idx=-2), [((5,), "long", 10, False)]),
    ("ReLU", lambda nn: nn.ReLU(), [((3, 4),) + F_]),
    ("ReLU6", lambda nn: nn.ReLU6(), [((3, 4),) + F_]),
    ("LeakyReLU", lambda nn: nn.LeakyReLU(0.2), [((3, 4),) + F_]),
    ("GELU", lambda nn: nn.GELU(), [((3, 4),) + F_]),
    ("GELU-tanh", lambda nn: nn.GELU(approximate="tanh"), [((3, 4),) + F_]),
    ("SiLU", lambda nn: nn.SiLU(), [((3, 4),) + F_]),
    ("Mish", lambda nn: nn.Mish(), [((3, 4),) + F_]),
    ("Tanh", lambda nn: nn.Tanh(), [((3, 4),) + F_]),
    ("Sigmoid", lambda nn: nn.Sigmoid(), [((3, 4),) + F_]),
    ("Softplus", lambda nn: nn.Softplus(beta=2, threshold=1), [((3, 4),) + F_]),
    ("ELU", lambda nn: nn.ELU(alpha=0.5), [((3, 4),) + F_]),
    ("CELU", lambda nn: nn.CELU(alpha=2.0), [((3, 4),) + F_]),
    ("SELU", lambda nn: nn.SELU(), [((3, 4),) + F_]),
    ("Hardtanh", lambda nn: nn.Hardtanh(-0.5, 0.5), [((3, 4),) + F_]),
    ("Hardsigmoid", lambda nn: nn.Hardsigmoid(), [((3, 4),) + F_]),
    ("Hardswish", lambda nn: nn.Hardswish(), [((3, 4),) + F_]),
    ("Threshold", lambda nn: nn.Threshold(0.1, 20.0), [((3, 4),) + F_]),
    ("GLU", lambda nn: nn.GLU(), [((3, 4),) + F_]),
    ("LogSigmoid", lambda nn: nn.LogSigmoid(), [((3, 4),) + F_]),
    ("Softsign", lambda nn: nn.Softsign(), [((3, 4),) + F_]),
    ("Tanhshrink", lambda nn: nn.Tanhshrink(), [((3, 4),) + F_]),
    ("Softmax", lambda nn: nn.Softmax(dim=1), [((3, 4),) + F_]),
    ("LogSoftmax", lambda nn: nn.LogSoftmax(dim=-1), [((3, 4),) + F_]),
    ("Softmin", lambda nn: nn.Softmin(dim=0), [((3, 4),) + F_]),
    ("MSELoss", lambda nn: nn.MSELoss(), [((3, 4),) + F_, ((3, 4), "float", None, False)]),
    ("L1Loss-sum", lambda nn: nn.L1Loss(reduction="sum"), [((3, 4),) + F_, ((3, 4), "float", None, False)]),
    ("CrossEntropyLoss", lambda nn: nn.CrossEntropyLoss(), [((5, 4),) + F_, ((5,), "long", 4, False)]),
    ("CrossEntropyLoss-smooth", lambda nn: nn.CrossEntropyLoss(label_smoothing=0.1, reduction="none"),
     [((5, 4),) + F_, ((5,), "long", 4, False)]),
    ("NLLLoss", lambda nn: nn.NLLLoss(), [((5, 4),) + F_, ((5,), "long", 4, False)]),
    ("BCELoss", lambda nn: nn.BCELoss(), [((5, 4), "prob", None, True), ((5, 4), "prob", None, False)]),
    ("BCEWithLogitsLoss", lambda nn: nn.BCEWithLogitsLoss(), [((5, 4),) + F_, ((5, 4), "binary", None, False)]),
    ("SmoothL1Loss", lambda nn: nn.SmoothL1Loss(beta=0.5), [((3, 4),) + F_, ((3, 4), "float", None, False)]),
    ("HuberLoss", lambda nn: nn.HuberLoss(delta=0.5), [((3, 4),) + F_, ((3, 4), "float", None, False)]),
    ("KLDivLoss", lambda nn: nn.KLDivLoss(reduction="batchmean", log_target=True),
     [((3, 4),) + F_, ((3, 4), "float", None, False)]),
    ("MarginRankingLoss", lambda nn: nn.MarginRankingLoss(0.1),
     [((6,),) + F_, ((6,),) + F_, ((6,), "sign", None, False)]),
    ("CosineEmbeddingLoss", lambda nn: nn.CosineEmbeddingLoss(0.2),
     [((4, 3),) + F_, ((4, 3),) + F_, ((4,), "sign", None, False)]),
    ("TripletMarginLoss", lambda nn: nn.TripletMarginLoss(), [((4, 3),) + F_, ((4, 3),) + F_, ((4, 3),) + F_]),
    ("Dropout1d", lambda nn: nn.Dropout1d(0.4), [((3, 8, 5),) + F_]),
    ("Dropout1d-unbatched", lambda nn: nn.Dropout1d(0.4), [((8, 5),) + F_]),
    ("Dropout2d", lambda nn: nn.Dropout2d(0.3), [((2, 8, 3, 3),) + F_]),
    ("Dropout2d-inplace", lambda nn: nn.Dropout2d(0.3, inplace=True), [((2, 8, 3, 3), "float", None, False)]),
    ("Dropout1d-inplace-leaf", lambda nn: nn.Dropout1d(0.4, inplace=True), [((3, 8, 5),) + F_]),
    ("ZeroPad2d", lambda nn: nn.ZeroPad2d((1, 0, 2, 1)), [((1, 2, 3, 3),) + F_]),
    ("ConstantPad1d", lambda nn: nn.ConstantPad1d(2, 3.5), [((1, 2, 3),) + F_]),
    ("ReflectionPad2d", lambda nn: nn.ReflectionPad2d(1), [((1, 2, 3, 4),) + F_]),
    ("ReplicationPad1d", lambda nn: nn.ReplicationPad1d((2, 1)), [((1, 2, 3),) + F_]),
    ("CircularPad2d", lambda nn: nn.CircularPad2d(1), [((1, 2, 3, 3),) + F_]),
    ("ZeroPad3d", lambda nn: nn.ZeroPad3d((1, 0, 2, 1, 0, 1)), [((1, 2, 3, 3, 2),) + F_]),
    ("ConstantPad3d", lambda nn: nn.ConstantPad3d(1, -2.0), [((2, 2, 3, 2),) + F_]),
    ("ReflectionPad3d", lambda nn: nn.ReflectionPad3d((1, 2, 0, 1, 1, 0)), [((1, 2, 3, 4, 3),) + F_]),
    ("ReplicationPad3d", lambda nn: nn.ReplicationPad3d(2), [((1, 2, 3, 2, 3),) + F_]),
    ("CircularPad3d", lambda nn: nn.CircularPad3d(1), [((1, 2, 3, 3, 2),) + F_]),
    ("Upsample", lambda nn: nn.Upsample(scale_factor=2), [((1, 2, 3, 3),) + F_]),
    ("Upsample-bilinear", lambda nn: nn.Upsample(size=(5, 4), mode="bilinear", align_corners=False),
     [((1, 2, 3, 3),) + F_]),
    ("UpsamplingBilinear2d", lambda nn: nn.UpsamplingBilinear2d(scale_factor=2), [((1, 1, 2, 3),) + F_]),
    ("CosineSimilarity", lambda nn: nn.CosineSimilarity(dim=1), [((4, 3),) + F_, ((4, 3),) + F_]),
    ("PairwiseDistance", lambda nn: nn.PairwiseDistance(p=1.0, keepdim=True), [((4, 3),) + F_, ((4, 3),) + F_]),
    ("Unfold", lambda nn: nn.Unfold(2, padding=1), [((1, 2, 3, 3),) + F_]),
    ("Fold", lambda nn: nn.Fold((3, 3), 2), [((1, 8, 4),) + F_]),
    ("PReLU", lambda nn: nn.PReLU(), [((3, 4),) + F_]),
    ("PReLU-channels", lambda nn: nn.PReLU(3, init=0.1), [((2, 3, 4),) + F_]),
    ("Softmax2d", lambda nn: nn.Softmax2d(), [((2, 3, 2, 2),) + F_]),
    ("AdaptiveMaxPool1d", lambda nn: nn.AdaptiveMaxPool1d(3), [((2, 3, 7),) + F_]),
    ("AdaptiveMaxPool2d", lambda nn: nn.AdaptiveMaxPool2d((2, 2)), [((2, 3, 5, 4),) + F_]),
]


def torch_or_leaf_dtype(name):
    return _DTYPE[0](name)


_DTYPE = [None]


def _named_state(m):
    return [(n, to_numpy(t), str(t.dtype)) for n, t in m.state_dict().items()]


def _run(mod, make, inputs, seed=0, train=True):
    _DTYPE[0] = lambda name: getattr(mod, name)
    mod.manual_seed(seed)
    m = make(mod.nn)
    init_state = _named_state(m)
    m.train(train)
    if inputs is None:
        inputs = [((3, m.in_features),) + F_]
    xs = []
    for shape, kind, high, rg in inputs:
        x = _x(mod, shape, kind, high)
        if kind == "prob":
            x = x.clamp(0.05, 0.95)
        if m.parameters() and next(iter(m.parameters()), None) is not None and x.is_floating_point():
            x = x.to(next(iter(m.parameters())).dtype)
        xs.append(x.requires_grad_(rg))
    out = m(*xs)
    if isinstance(out, tuple):
        out = out[0]
    mod.manual_seed(seed + 1)
    g = mod.randn(out.shape, dtype=out.dtype)
    out.backward(g)
    grads = [(n, p.grad) for n, p in m.named_parameters()]
    xgrads = [x.grad for x in xs]
    return dict(init=init_state, out=out, grads=grads, xgrads=xgrads, state=_named_state(m), repr=repr(m),
                names=[n for n, _ in m.named_parameters()], buffers=[n for n, _ in m.named_buffers()])


@pytest.mark.parametrize("name,make,inputs", LAYERS, ids=[c[0] for c in LAYERS])
@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
def test_layer_matches_torch(name, make, inputs, train):
    a, b = both(lambda mod: _run(mod, make, inputs, train=train))
    if isinstance(a, BaseException) or isinstance(b, BaseException):
        assert_same(a, b)
        return
    assert a["repr"] == b["repr"]
    assert a["names"] == b["names"]
    assert a["buffers"] == b["buffers"]
    assert [n for n, _, _ in a["init"]] == [n for n, _, _ in b["init"]]
    for (n, ta, da), (_, tb, db) in zip(a["init"], b["init"]):
        assert da == db, n
        np.testing.assert_array_equal(ta, tb, err_msg=f"initial {n} differs")
    assert_same(a["out"], b["out"], check_graph=False)
    assert a["out"].requires_grad == b["out"].requires_grad
    for (n, ga), (_, gb) in zip(a["grads"], b["grads"]):
        assert_same(ga, gb, path=f"grad of {n}", check_graph=False)
    for i, (ga, gb) in enumerate(zip(a["xgrads"], b["xgrads"])):
        assert_same(ga, gb, path=f"grad of input {i}", check_graph=False)
    for (n, ta, da), (_, tb, db) in zip(a["state"], b["state"]):
        assert da == db, n
        np.testing.assert_allclose(ta, tb, rtol=1e-5, atol=1e-6, err_msg=f"state {n} after forward differs")


@pytest.mark.parametrize("seed", [0, 1, 1234])
@pytest.mark.parametrize("make", [
    lambda nn: nn.Linear(20, 30), lambda nn: nn.Conv2d(3, 16, 5), lambda nn: nn.Embedding(40, 8),
    lambda nn: nn.Bilinear(6, 7, 5), lambda nn: nn.ConvTranspose2d(4, 8, 3),
    lambda nn: nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)),
])
def test_same_seed_same_initial_weights(make, seed):
    def run(mod):
        mod.manual_seed(seed)
        return [to_numpy(p) for p in make(mod.nn).parameters()] + [to_numpy(mod.rand(3))]
    a, b = both(run)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


RNNS = [
    ("RNN", lambda nn: nn.RNN(3, 4)),
    ("RNN-relu-2layer", lambda nn: nn.RNN(3, 4, 2, "relu", bias=False)),
    ("RNN-bi-batchfirst", lambda nn: nn.RNN(3, 4, bidirectional=True, batch_first=True)),
    ("LSTM", lambda nn: nn.LSTM(3, 5)),
    ("LSTM-2layer-bi", lambda nn: nn.LSTM(3, 4, num_layers=2, bidirectional=True)),
    ("LSTM-batchfirst-proj", lambda nn: nn.LSTM(3, 5, batch_first=True, proj_size=2)),
    ("GRU", lambda nn: nn.GRU(3, 4)),
    ("GRU-2layer-dropout", lambda nn: nn.GRU(3, 4, 2, dropout=0.4)),
    ("GRU-bi-2layer", lambda nn: nn.GRU(3, 4, 2, bidirectional=True, batch_first=True)),
]


def _flat(out):
    if isinstance(out, tuple):
        res = []
        for o in out:
            res += _flat(o)
        return res
    return [out]


@pytest.mark.parametrize("with_hx", [False, True], ids=["zeros", "hx"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("name,make", RNNS, ids=[n for n, _ in RNNS])
def test_rnn_matches_torch(name, make, train, batched, with_hx):
    def run(mod):
        mod.manual_seed(3)
        m = make(mod.nn)
        init_state = _named_state(m)
        m.train(train)
        T, B = 5, 2
        shape = ((B, T) if m.batch_first else (T, B)) if batched else (T,)
        x = mod.randn(shape + (m.input_size,), requires_grad=True)
        args = [x]
        hxs = []
        if with_hx:
            nd = 2 if m.bidirectional else 1
            hsize = m.proj_size or m.hidden_size
            lead = (m.num_layers * nd, B) if batched else (m.num_layers * nd,)
            h0 = mod.randn(lead + (hsize,), requires_grad=True)
            hxs = [h0]
            if m.mode == "LSTM":
                c0 = mod.randn(lead + (m.hidden_size,), requires_grad=True)
                hxs.append(c0)
                args.append((h0, c0))
            else:
                args.append(h0)
        outs = _flat(m(*args))
        loss = sum((o * (i + 1)).sum() for i, o in enumerate(outs))
        loss.backward()
        return dict(repr=repr(m), init=init_state, names=[n for n, _ in m.named_parameters()],
                    outs=[o.detach() for o in outs], shapes=[tuple(o.shape) for o in outs],
                    grads=[p.grad for p in m.parameters()], xg=[x.grad] + [h.grad for h in hxs])
    a, b = both(run)
    if isinstance(a, BaseException) or isinstance(b, BaseException):
        assert_same(a, b)
        return
    assert a["repr"] == b["repr"] and a["names"] == b["names"] and a["shapes"] == b["shapes"]
    for (n, ta, _), (_, tb, _) in zip(a["init"], b["init"]):
        np.testing.assert_array_equal(ta, tb, err_msg=n)
    assert_same(a["outs"], b["outs"], check_graph=False, rtol=1e-5, atol=1e-6)
    assert_same(a["grads"], b["grads"], check_graph=False, rtol=1e-4, atol=1e-5)
    assert_same(a["xg"], b["xg"], check_graph=False, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("case", [
    "rnn_input_size", "rnn_input_dim", "rnn_hx_size", "rnn_hx_dim_batched", "rnn_hx_dim_unbatched",
    "lstm_input_dim", "lstm_h_size", "lstm_c_size", "lstm_hx_dim", "gru_input_dim", "gru_dtype",
    "bad_nonlinearity", "proj_rnn", "bad_dropout", "zero_hidden", "proj_too_big", "bias_type",
])
def test_rnn_errors(case):
    def run(mod):
        nn = mod.nn
        mod.manual_seed(0)
        if case == "rnn_input_size":
            return nn.RNN(3, 4)(mod.randn(5, 2, 2))
        if case == "rnn_input_dim":
            return nn.RNN(3, 4)(mod.randn(5, 2, 2, 3))
        if case == "rnn_hx_size":
            return nn.RNN(3, 4, 2)(mod.randn(5, 2, 3), mod.zeros(1, 2, 4))
        if case == "rnn_hx_dim_batched":
            return nn.RNN(3, 4)(mod.randn(5, 2, 3), mod.zeros(2, 4))
        if case == "rnn_hx_dim_unbatched":
            return nn.RNN(3, 4)(mod.randn(5, 3), mod.zeros(1, 2, 4))
        if case == "lstm_input_dim":
            return nn.LSTM(3, 4)(mod.randn(3))
        if case == "lstm_h_size":
            return nn.LSTM(3, 4)(mod.randn(5, 2, 3), (mod.zeros(1, 3, 4), mod.zeros(1, 2, 4)))
        if case == "lstm_c_size":
            return nn.LSTM(3, 4)(mod.randn(5, 2, 3), (mod.zeros(1, 2, 4), mod.zeros(1, 2, 5)))
        if case == "lstm_hx_dim":
            return nn.LSTM(3, 4)(mod.randn(5, 2, 3), (mod.zeros(2, 4), mod.zeros(1, 2, 4)))
        if case == "gru_input_dim":
            return nn.GRU(3, 4)(mod.randn(1, 1, 1, 3))
        if case == "gru_dtype":
            return nn.GRU(3, 4)(mod.randn(5, 2, 3, dtype=mod.float64))
        if case == "bad_nonlinearity":
            return nn.RNN(3, 4, nonlinearity="sigmoid")
        if case == "proj_rnn":
            return nn.GRU(3, 4, proj_size=2)
        if case == "bad_dropout":
            return nn.LSTM(3, 4, dropout=1.5)
        if case == "zero_hidden":
            return nn.LSTM(3, 0)
        if case == "proj_too_big":
            return nn.LSTM(3, 4, proj_size=4)
        if case == "bias_type":
            return nn.GRU(3, 4, bias=1)
    assert_same(*both(run))


@pytest.mark.parametrize("case", [
    "linear_in", "conv_channels", "conv_groups", "conv_padding_mode", "conv_same_stride", "bn_dim", "bn2d_dim",
    "dropout_p", "groupnorm_div", "embedding_pad", "embedding_index", "conv_input_dim", "layernorm_shape",
    "flatten_type", "unflatten_type",
    "maxpool_too_small",
    "convT_padding_mode",
])
def test_layer_errors(case):
    def run(mod):
        nn = mod.nn
        mod.manual_seed(0)
        if case == "linear_in":
            return nn.Linear(3, 2)(mod.randn(4, 5))
        if case == "conv_channels":
            return nn.Conv2d(3, 4, 3)(mod.randn(1, 2, 5, 5))
        if case == "conv_groups":
            return nn.Conv2d(3, 4, 3, groups=2)
        if case == "conv_padding_mode":
            # the message shows a set: its order is not fixed, compare the rest
            try:
                nn.Conv2d(3, 4, 3, padding_mode="foo")
            except ValueError as e:
                return sorted(str(e).replace(",", " ").replace("{", " ").replace("}", " ").split())
        if case == "conv_same_stride":
            return nn.Conv2d(3, 4, 3, stride=2, padding="same")
        if case == "bn_dim":
            return nn.BatchNorm1d(3)(mod.randn(2, 3, 4, 5))
        if case == "bn2d_dim":
            return nn.BatchNorm2d(3)(mod.randn(2, 3))
        if case == "dropout_p":
            return nn.Dropout(1.5)
        if case == "groupnorm_div":
            return nn.GroupNorm(3, 4)
        if case == "embedding_pad":
            return nn.Embedding(3, 2, padding_idx=5)
        if case == "embedding_index":
            return nn.Embedding(3, 2)(mod.tensor([0, 3]))
        if case == "conv_input_dim":
            return nn.Conv1d(2, 2, 1)(mod.randn(2))
        if case == "layernorm_shape":
            return nn.LayerNorm(4)(mod.randn(2, 3))
        if case == "flatten_type":
            return repr(nn.Unflatten(1.5, (2, 2)))
        if case == "unflatten_type":
            return nn.Unflatten(1, [2, 2.0])
        if case == "maxpool_too_small":
            return nn.MaxPool2d(3)(mod.randn(1, 1, 2, 2))
        if case == "convT_padding_mode":
            return nn.ConvTranspose2d(2, 2, 2, padding_mode="reflect")
    assert_same(*both(run))


MHAS = [
    ("plain", dict(), False),
    ("bias_kv_zero_attn", dict(add_bias_kv=True, add_zero_attn=True), False),
    ("kdim_vdim", dict(kdim=6, vdim=5), False),
    ("batch_first_nobias", dict(batch_first=True, bias=False), False),
    ("dropout_train", dict(dropout=0.3), True),
]


@pytest.mark.parametrize("masks", [False, True], ids=["nomask", "masks"])
@pytest.mark.parametrize("name,kw,train", MHAS, ids=[m[0] for m in MHAS])
def test_multihead_attention(name, kw, train, masks):
    def run(mod):
        mod.manual_seed(0)
        a = mod.nn.MultiheadAttention(8, 2, **kw)
        a.train(train)
        L, S, N = 5, 4, 3
        bf = kw.get("batch_first", False)
        q = mod.randn((N, L, 8) if bf else (L, N, 8), requires_grad=True)
        k = mod.randn((N, S, kw.get("kdim", 8)) if bf else (S, N, kw.get("kdim", 8)))
        v = mod.randn((N, S, kw.get("vdim", 8)) if bf else (S, N, kw.get("vdim", 8)))
        extra = {}
        if masks:
            extra = dict(attn_mask=mod.tensor([[False, False, True, False]] * L),
                         key_padding_mask=mod.tensor([[False, False, False, True], [False] * 4,
                                                      [True, False, False, False]]))
        o, w = a(q, k, v, **extra)
        (o.sum() + w.pow(2).sum()).backward()
        o2, w2 = a(q[0] if bf else q[:, 0], k[0] if bf else k[:, 0], v[0] if bf else v[:, 0],
                   average_attn_weights=False)
        return dict(repr=repr(a), names=[n for n, _ in a.named_parameters()],
                    init=[p.detach().clone() for p in a.parameters()], o=o, w=w, o2=o2, w2=w2,
                    grads=[p.grad for p in a.parameters()] + [q.grad])
    a, b = both(run)
    if isinstance(a, BaseException) or isinstance(b, BaseException):
        assert_same(a, b)
        return
    assert a["repr"] == b["repr"] and a["names"] == b["names"]
    assert_same(a["init"], b["init"], rtol=0, atol=0, check_graph=False)
    for key in ("o", "w", "o2", "w2", "grads"):
        assert_same(a[key], b[key], path=key, rtol=1e-4, atol=1e-5, check_graph=False)


ENCODERS = [
    ("post_norm_eval", dict(), False),
    ("pre_norm_gelu_eval", dict(norm_first=True, activation="gelu"), False),
    ("batch_first_train_nodropout", dict(batch_first=True, dropout=0.0), True),
    ("nobias_train_nodropout", dict(bias=False, dropout=0.0), True),
]


@pytest.mark.parametrize("masks", [False, True], ids=["nomask", "masks"])
@pytest.mark.parametrize("name,kw,train", ENCODERS, ids=[e[0] for e in ENCODERS])
def test_transformer_encoder(name, kw, train, masks):
    def run(mod):
        nn = mod.nn
        mod.manual_seed(0)
        layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, **kw)
        enc = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8), enable_nested_tensor=False)
        enc.train(train)
        bf = kw.get("batch_first", False)
        x = mod.randn((3, 5, 8) if bf else (5, 3, 8), requires_grad=True)
        extra = {}
        if masks:
            extra = dict(mask=mod.triu(mod.full((5, 5), float("-inf")), diagonal=1),
                         src_key_padding_mask=mod.tensor([[False] * 4 + [True], [False] * 5, [False] * 5]))
        out = enc(x, **extra)
        out.pow(2).sum().backward()
        return dict(repr=repr(enc), names=[n for n, _ in enc.named_parameters()],
                    init=[p.detach().clone() for p in enc.parameters()], out=out,
                    grads=[p.grad for p in enc.parameters()] + [x.grad])
    a, b = both(run)
    if isinstance(a, BaseException) or isinstance(b, BaseException):
        assert_same(a, b)
        return
    assert a["repr"] == b["repr"] and a["names"] == b["names"]
    assert_same(a["init"], b["init"], rtol=0, atol=0, check_graph=False)
    assert_same(a["out"], b["out"], rtol=1e-4, atol=1e-5, check_graph=False)
    assert_same(a["grads"], b["grads"], rtol=1e-3, atol=1e-4, check_graph=False)
