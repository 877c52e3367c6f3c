"""RNNCell, LSTMCell, GRUCell and the Transformer decoder side (TransformerDecoderLayer, TransformerDecoder,
Transformer) side by side with torch: same seed -> same parameters; same values, gradients, grad_fn names,
reprs, state_dict keys, warnings and errors."""
import warnings

import numpy as np
import pytest

from conftest import torch, leafgrad, both, assert_same, to_numpy


def _init(m):
    return [(n, to_numpy(t), str(t.dtype)) for n, t in m.state_dict().items()]


def _assert_same_init(a, b):
    assert [n for n, _, _ in a] == [n for n, _, _ in b]
    for (n, ta, da), (_, tb, db) in zip(a, b):
        assert da == db, n
        np.testing.assert_array_equal(ta, tb, err_msg=f"initial {n} differs")


def _results_or_errors(a, b):
    """True when both runs returned results; otherwise the errors (or the one error) are compared here."""
    if isinstance(a, BaseException) or isinstance(b, BaseException):
        assert_same(a, b)
        return False
    return True


# ================================================================ cells
CELLS = [
    ("RNNCell", lambda nn, dt: nn.RNNCell(3, 5, dtype=dt)),
    ("RNNCell-relu-nobias", lambda nn, dt: nn.RNNCell(3, 5, bias=False, nonlinearity="relu", dtype=dt)),
    ("RNNCell-relu", lambda nn, dt: nn.RNNCell(4, 2, True, "relu", dtype=dt)),
    ("LSTMCell", lambda nn, dt: nn.LSTMCell(3, 5, dtype=dt)),
    ("LSTMCell-nobias", lambda nn, dt: nn.LSTMCell(4, 3, bias=False, dtype=dt)),
    ("GRUCell", lambda nn, dt: nn.GRUCell(3, 5, dtype=dt)),
    ("GRUCell-nobias", lambda nn, dt: nn.GRUCell(2, 4, False, dtype=dt)),
]


def _cell_hidden(mod, m, lead, dtype):
    h = mod.randn(lead + (m.hidden_size,), dtype=dtype, requires_grad=True)
    if type(m).__name__ == "LSTMCell":
        return [h, mod.randn(lead + (m.hidden_size,), dtype=dtype, requires_grad=True)]
    return [h]


def _run_cell(mod, make, dtype_name, batched, with_hx, steps):
    dtype = getattr(mod, dtype_name)
    mod.manual_seed(7)
    m = make(mod.nn, dtype)
    init = _init(m)
    lead = (3,) if batched else ()
    xs = [mod.randn(lead + (m.input_size,), dtype=dtype, requires_grad=True) for _ in range(steps)]
    hxs = _cell_hidden(mod, m, lead, dtype) if with_hx else []
    state = None if not hxs else (tuple(hxs) if len(hxs) == 2 else hxs[0])
    outs = []
    for x in xs:
        state = m(x, state)
        outs += list(state) if isinstance(state, tuple) else [state]
    loss = sum((o * (i + 1)).sum() for i, o in enumerate(outs))
    loss.backward()
    return dict(repr=repr(m), init=init, outs=outs, grads=[p.grad for p in m.parameters()],
                xgrads=[x.grad for x in xs] + [h.grad for h in hxs])


@pytest.mark.parametrize("steps", [1, 3], ids=["1step", "3steps"])
@pytest.mark.parametrize("with_hx", [False, True], ids=["zeros", "hx"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,make", CELLS, ids=[c[0] for c in CELLS])
def test_cell_matches_torch(name, make, dtype, batched, with_hx, steps):
    a, b = both(lambda mod: _run_cell(mod, make, dtype, batched, with_hx, steps))
    if not _results_or_errors(a, b):
        return
    assert a["repr"] == b["repr"]
    _assert_same_init(a["init"], b["init"])
    # values, dtype, shape, requires_grad, is_leaf and grad_fn names of every output
    assert_same(a["outs"], b["outs"], path="outputs")
    assert_same(a["grads"], b["grads"], path="parameter grads", check_graph=False)
    assert_same(a["xgrads"], b["xgrads"], path="input grads", check_graph=False)


@pytest.mark.parametrize("name,make", CELLS, ids=[c[0] for c in CELLS])
def test_cell_double_backward(name, make):
    """Second derivatives through a cell (float64), as torch's."""
    def run(mod):
        mod.manual_seed(3)
        m = make(mod.nn, mod.float64)
        x = mod.randn(2, m.input_size, dtype=mod.float64, requires_grad=True)
        out = m(x)
        out = out[0] * out[1] if isinstance(out, tuple) else out
        gx, = mod.autograd.grad(out.pow(2).sum(), x, create_graph=True)
        return [gx] + list(mod.autograd.grad(gx.sin().sum(), [x] + list(m.parameters())))
    a, b = both(run)
    assert_same(a, b, check_graph=False)


@pytest.mark.parametrize("seed", [0, 1, 1234])
@pytest.mark.parametrize("make", [
    lambda nn: nn.RNNCell(7, 9), lambda nn: nn.LSTMCell(5, 6), lambda nn: nn.GRUCell(8, 3, bias=False),
    lambda nn: nn.modules.rnn.RNNCellBase(4, 5, True, 2),
    lambda nn: nn.Sequential(nn.LSTMCell(3, 4), nn.Linear(4, 2)),
])
def test_cell_same_seed_same_weights(make, seed):
    def run(mod):
        mod.manual_seed(seed)
        m = make(mod.nn)
        return ([(n, tuple(p.shape)) for n, p in m.named_parameters()], [to_numpy(p) for p in m.parameters()],
                to_numpy(mod.rand(3)), repr(m))
    a, b = both(run)
    assert a[0] == b[0] and a[3] == b[3]
    for x, y in zip(a[1] + [a[2]], b[1] + [b[2]]):
        np.testing.assert_array_equal(x, y)


def test_cells_registered_like_torch():
    for name in ("RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"):
        assert getattr(leafgrad.nn, name).__mro__[1].__name__ == getattr(torch.nn, name).__mro__[1].__name__


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_cell_and_layer_share_one_step(cls):
    """A layer and its cell, given the same weights, give bit-identical states (one step function serves both)."""
    nn = leafgrad.nn
    leafgrad.manual_seed(0)
    layer = getattr(nn, cls)(3, 4)
    cell = getattr(nn, cls + "Cell")(3, 4)
    with leafgrad.no_grad():
        for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, n).copy_(getattr(layer, n + "_l0"))
    x = leafgrad.randn(5, 2, 3)
    out, _ = layer(x)
    state = None
    for t in range(5):
        state = cell(x[t], state)
        h = state[0] if isinstance(state, tuple) else state
        np.testing.assert_array_equal(h.detach().numpy(), out[t].detach().numpy())


@pytest.mark.parametrize("case", [
    "rnn_input_size", "rnn_hx_batch", "rnn_hx_size", "rnn_unbatched_2d_hx", "rnn_batched_1d_hx", "rnn_input_3d",
    "rnn_hx_3d", "rnn_bad_nonlinearity", "rnn_nobias_dtype", "lstm_c_size", "lstm_h_batch", "lstm_c_batch",
    "lstm_c_3d", "lstm_input_size", "lstm_input_3d", "gru_input_size", "gru_hx_size", "gru_hx_batch",
    "gru_input_3d", "gru_hx_3d",
])
def test_cell_errors(case):
    def run(mod):
        nn = mod.nn
        mod.manual_seed(0)
        r, l, g = nn.RNNCell(3, 4), nn.LSTMCell(3, 4), nn.GRUCell(3, 4)
        return {
            "rnn_input_size": lambda: r(mod.randn(2, 5)),
            "rnn_hx_batch": lambda: r(mod.randn(2, 3), mod.randn(3, 4)),
            "rnn_hx_size": lambda: r(mod.randn(2, 3), mod.randn(2, 5)),
            "rnn_unbatched_2d_hx": lambda: r(mod.randn(3), mod.randn(2, 4)),
            "rnn_batched_1d_hx": lambda: r(mod.randn(2, 3), mod.randn(4)),
            "rnn_input_3d": lambda: r(mod.randn(2, 2, 3)),
            "rnn_hx_3d": lambda: r(mod.randn(2, 3), mod.randn(1, 2, 4)),
            "rnn_bad_nonlinearity": lambda: nn.RNNCell(3, 4, nonlinearity="foo")(mod.randn(2, 3)),
            "rnn_nobias_dtype": lambda: nn.RNNCell(3, 4, bias=False)(mod.randn(2, 3, dtype=mod.float64)),
            "lstm_c_size": lambda: l(mod.randn(2, 3), (mod.randn(2, 4), mod.randn(2, 5))),
            "lstm_h_batch": lambda: l(mod.randn(2, 3), (mod.randn(3, 4), mod.randn(2, 4))),
            "lstm_c_batch": lambda: l(mod.randn(2, 3), (mod.randn(2, 4), mod.randn(3, 4))),
            "lstm_c_3d": lambda: l(mod.randn(2, 3), (mod.randn(2, 4), mod.randn(1, 2, 4))),
            "lstm_input_size": lambda: l(mod.randn(2, 5)),
            "lstm_input_3d": lambda: l(mod.randn(2, 2, 3)),
            "gru_input_size": lambda: g(mod.randn(2, 5)),
            "gru_hx_size": lambda: g(mod.randn(2, 3), mod.randn(2, 5)),
            "gru_hx_batch": lambda: g(mod.randn(2, 3), mod.randn(3, 4)),
            "gru_input_3d": lambda: g(mod.randn(2, 2, 3)),
            "gru_hx_3d": lambda: g(mod.randn(2, 3), mod.randn(2, 2, 3)),
        }[case]()
    a, b = both(run)
    assert isinstance(a, BaseException), "the case must be an error in torch"
    assert_same(a, b)


# ================================================================ transformer
def _mask(mod, kind, L, S):
    """An attention mask of shape (L, S): causal float, causal bool, or a float band."""
    if kind == "causal_float":
        return mod.nn.Transformer.generate_square_subsequent_mask(L)
    if kind == "causal_bool":
        return mod.ones(L, S, dtype=mod.bool).triu(1)
    if kind == "band_bool":
        return mod.tensor([[abs(i - j) > 2 for j in range(S)] for i in range(L)])
    raise ValueError(kind)


DECODER_LAYERS = [
    ("post_norm_eval", dict(), False),
    ("pre_norm_gelu_train_nodropout", dict(norm_first=True, activation="gelu", dropout=0.0), True),
    ("batch_first_eval", dict(batch_first=True), False),
    ("nobias_train_nodropout", dict(bias=False, dropout=0.0), True),
    ("callable_activation_eval", dict(activation=lambda x: x.sigmoid() * x, layer_norm_eps=1e-3), False),
    ("module_activation_train_nodropout", "module_activation", True),
    ("train_dropout", dict(dropout=0.25), True),
]


def _decoder_layer_kwargs(nn, kw):
    return dict(activation=nn.Tanh(), dropout=0.0) if kw == "module_activation" else kw


@pytest.mark.parametrize("masks", ["nomask", "masks", "float_masks"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("name,kw,train", DECODER_LAYERS, ids=[d[0] for d in DECODER_LAYERS])
def test_transformer_decoder_layer(name, kw, train, batched, masks):
    def run(mod):
        nn = mod.nn
        mod.manual_seed(0)
        kwargs = _decoder_layer_kwargs(nn, kw)
        layer = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, **kwargs)
        layer.train(train)
        bf = kwargs.get("batch_first", False)
        L, S, N = 5, 4, 3

        def shape(T):
            return ((N, T, 8) if bf else (T, N, 8)) if batched else (T, 8)
        tgt = mod.randn(shape(L), requires_grad=True)
        memory = mod.randn(shape(S), requires_grad=True)
        extra = {}
        if masks != "nomask":
            tgt_kpm = mod.tensor([[False] * 4 + [True], [False] * 5, [False, True] + [False] * 3])
            mem_kpm = mod.tensor([[False] * 3 + [True], [True] + [False] * 3, [False] * 4])
            extra = dict(tgt_mask=_mask(mod, "causal_bool", L, L), memory_mask=_mask(mod, "band_bool", L, S),
                         tgt_key_padding_mask=tgt_kpm if batched else tgt_kpm[0],
                         memory_key_padding_mask=mem_kpm if batched else mem_kpm[0])
            if masks == "float_masks":
                extra = {k: mod.zeros(v.shape).masked_fill(v, float("-inf")) for k, v in extra.items()}
        out = layer(tgt, memory, **extra)
        out.pow(2).sum().backward()
        return dict(repr=repr(layer), init=_init(layer), out=out,
                    grads=[p.grad for p in layer.parameters()] + [tgt.grad, memory.grad])
    a, b = both(run)
    if not _results_or_errors(a, b):
        return
    assert a["repr"] == b["repr"]
    _assert_same_init(a["init"], b["init"])
    assert_same(a["out"], b["out"], rtol=1e-4, atol=1e-5)
    assert_same(a["grads"], b["grads"], rtol=1e-3, atol=1e-4, check_graph=False)


@pytest.mark.parametrize("tgt_mask", [None, "causal_float", "causal_bool", "band_bool"])
@pytest.mark.parametrize("tgt_is_causal", [None, False, True])
def test_transformer_decoder_causal_hints(tgt_mask, tgt_is_causal):
    """torch detects a causal tgt_mask when the hint is None and, once told is_causal, ignores the given mask."""
    def run(mod):
        nn = mod.nn
        mod.manual_seed(1)
        layer = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0)
        dec = nn.TransformerDecoder(layer, 2, norm=nn.LayerNorm(8))
        tgt = mod.randn(5, 2, 8, requires_grad=True)
        memory = mod.randn(4, 2, 8)
        mask = None if tgt_mask is None else _mask(mod, tgt_mask, 5, 5)
        out = dec(tgt, memory, tgt_mask=mask, tgt_is_causal=tgt_is_causal)
        out.sum().backward()
        return dict(repr=repr(dec), out=out, grads=[p.grad for p in dec.parameters()] + [tgt.grad])
    a, b = both(run)
    if not _results_or_errors(a, b):
        return
    assert a["repr"] == b["repr"]
    assert_same(a["out"], b["out"], rtol=1e-4, atol=1e-5)
    assert_same(a["grads"], b["grads"], rtol=1e-3, atol=1e-4, check_graph=False)


@pytest.mark.parametrize("memory_is_causal", [False, True])
@pytest.mark.parametrize("with_kpm", [False, True], ids=["nokpm", "kpm"])
def test_transformer_decoder_memory_is_causal(memory_is_causal, with_kpm):
    """memory_is_causal with a non-square (L, S) mask: torch's hint gives the top-left causal mask unless a key
    padding mask is merged in."""
    def run(mod):
        mod.manual_seed(2)
        layer = mod.nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True)
        tgt = mod.randn(2, 5, 8, requires_grad=True)
        memory = mod.randn(2, 6, 8, requires_grad=True)
        kpm = mod.tensor([[False] * 5 + [True], [False] * 6]) if with_kpm else None
        out = layer(tgt, memory, memory_mask=mod.zeros(5, 6), memory_key_padding_mask=kpm,
                    memory_is_causal=memory_is_causal)
        out.sum().backward()
        return out, tgt.grad, memory.grad
    a, b = both(run)
    assert_same(a, b, rtol=1e-4, atol=1e-5)


DECODERS = [
    ("post_norm_eval_norm", dict(), False, True, 2),
    ("pre_norm_train_nodropout_nonorm", dict(norm_first=True, dropout=0.0), True, False, 3),
    ("batch_first_gelu_eval", dict(batch_first=True, activation="gelu"), False, True, 1),
]


@pytest.mark.parametrize("masks", [False, True], ids=["nomask", "masks"])
@pytest.mark.parametrize("name,kw,train,with_norm,num_layers", DECODERS, ids=[d[0] for d in DECODERS])
def test_transformer_decoder(name, kw, train, with_norm, num_layers, masks):
    def run(mod):
        nn = mod.nn
        mod.manual_seed(0)
        layer = nn.TransformerDecoderLayer(8, 4, dim_feedforward=12, **kw)
        dec = nn.TransformerDecoder(layer, num_layers, norm=nn.LayerNorm(8) if with_norm else None)
        dec.train(train)
        bf = kw.get("batch_first", False)
        tgt = mod.randn((3, 5, 8) if bf else (5, 3, 8), requires_grad=True)
        memory = mod.randn((3, 6, 8) if bf else (6, 3, 8), requires_grad=True)
        extra = {}
        if masks:
            extra = dict(tgt_mask=nn.Transformer.generate_square_subsequent_mask(5),
                         memory_key_padding_mask=mod.tensor([[False] * 5 + [True], [False] * 6, [False] * 6]))
        out = dec(tgt, memory, **extra)
        out.pow(2).sum().backward()
        return dict(repr=repr(dec), init=_init(dec), num_layers=dec.num_layers, out=out,
                    grads=[p.grad for p in dec.parameters()] + [tgt.grad, memory.grad])
    a, b = both(run)
    if not _results_or_errors(a, b):
        return
    assert a["repr"] == b["repr"] and a["num_layers"] == b["num_layers"]
    _assert_same_init(a["init"], b["init"])
    assert_same(a["out"], b["out"], rtol=1e-4, atol=1e-5)
    assert_same(a["grads"], b["grads"], rtol=1e-3, atol=1e-4, check_graph=False)


TRANSFORMERS = [
    ("defaults_small_eval", dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2,
                                 dim_feedforward=16), False),
    ("train_nodropout", dict(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=2, dim_feedforward=16,
                             dropout=0.0), True),
    ("batch_first_norm_first_gelu_eval", dict(d_model=8, nhead=4, num_encoder_layers=2, num_decoder_layers=1,
                                              dim_feedforward=12, activation="gelu", batch_first=True,
                                              norm_first=True, layer_norm_eps=1e-6), False),
    ("nobias_train_nodropout", dict(d_model=6, nhead=3, num_encoder_layers=1, num_decoder_layers=1,
                                    dim_feedforward=10, dropout=0.0, bias=False), True),
    ("float64_eval", dict(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16,
                          dtype="float64"), False),
    ("float64_train_nodropout", dict(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                                     dim_feedforward=8, dropout=0.0, dtype="float64"), True),
    # leafgrad's dropout draws torch's masks from the same seed, so even training with dropout matches
    ("train_dropout", dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16,
                           dropout=0.2), True),
]


def _transformer_kwargs(mod, kw):
    kw = dict(kw)
    if "dtype" in kw:
        kw["dtype"] = getattr(mod, kw["dtype"])
    return kw


@pytest.mark.parametrize("masks", [False, True], ids=["nomask", "masks"])
@pytest.mark.parametrize("name,kw,train", TRANSFORMERS, ids=[t[0] for t in TRANSFORMERS])
def test_transformer(name, kw, train, masks):
    def run(mod):
        nn = mod.nn
        mod.manual_seed(0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = nn.Transformer(**_transformer_kwargs(mod, kw))
        model.train(train)
        d, bf, dtype = model.d_model, model.batch_first, kw.get("dtype", "float32")
        N, S, L = 3, 6, 5
        src = mod.randn((N, S, d) if bf else (S, N, d), dtype=getattr(mod, dtype), requires_grad=True)
        tgt = mod.randn((N, L, d) if bf else (L, N, d), dtype=getattr(mod, dtype), requires_grad=True)
        extra = {}
        if masks:
            extra = dict(src_mask=_mask(mod, "band_bool", S, S), tgt_mask=model.generate_square_subsequent_mask(L),
                         memory_mask=_mask(mod, "band_bool", L, S),
                         src_key_padding_mask=mod.tensor([[False] * 5 + [True], [False] * 6, [False] * 6]),
                         tgt_key_padding_mask=mod.tensor([[False] * 5, [False] * 4 + [True], [False] * 5]),
                         memory_key_padding_mask=mod.tensor([[False] * 5 + [True], [False] * 6, [False] * 6]))
            if dtype == "float64":
                extra["tgt_mask"] = model.generate_square_subsequent_mask(L, dtype=mod.float64)
        out = model(src, tgt, **extra)
        out.pow(2).sum().backward()
        return dict(repr=repr(model), init=_init(model), attrs=(model.d_model, model.nhead, model.batch_first),
                    warnings=[str(w.message) for w in caught], out=out,
                    grads=[p.grad for p in model.parameters()] + [src.grad, tgt.grad])
    a, b = both(run)
    if not _results_or_errors(a, b):
        return
    assert a["repr"] == b["repr"] and a["attrs"] == b["attrs"]
    assert a["warnings"] == b["warnings"]
    _assert_same_init(a["init"], b["init"])
    assert_same(a["out"], b["out"], rtol=1e-4, atol=1e-5)
    assert_same(a["grads"], b["grads"], rtol=1e-3, atol=1e-4, check_graph=False)


@pytest.mark.parametrize("train", [True, False], ids=["train_nodropout", "eval"])
@pytest.mark.parametrize("with_masks", [False, True], ids=["nomask", "masks"])
def test_transformer_unbatched(with_masks, train):
    def run(mod):
        nn = mod.nn
        mod.manual_seed(5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = nn.Transformer(8, 2, 1, 2, 16, dropout=0.0).train(train)
        src, tgt = mod.randn(6, 8, requires_grad=True), mod.randn(4, 8, requires_grad=True)
        extra = {}
        if with_masks:
            extra = dict(tgt_mask=model.generate_square_subsequent_mask(4),
                         src_key_padding_mask=mod.tensor([False] * 5 + [True]),
                         memory_key_padding_mask=mod.tensor([False] * 5 + [True]))
        out = model(src, tgt, **extra)
        out.sum().backward()
        return out, [p.grad for p in model.parameters()], src.grad, tgt.grad
    a, b = both(run)
    assert_same(a[0], b[0], rtol=1e-4, atol=1e-5)
    assert_same(a[1:], b[1:], rtol=1e-3, atol=1e-4, check_graph=False)


@pytest.mark.parametrize("seed", [0, 3])
def test_transformer_default_size_same_seed_same_weights(seed):
    """A full-width nn.Transformer (d_model 512, 8 heads): its draws in torch's order, then xavier_uniform_ over every
    matrix."""
    def run(mod):
        mod.manual_seed(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = mod.nn.Transformer(num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=64)
        return [(n, to_numpy(p)) for n, p in model.state_dict().items()] + [("after", to_numpy(mod.rand(2)))]
    a, b = both(run)
    assert [n for n, _ in a] == [n for n, _ in b]
    for (n, x), (_, y) in zip(a, b):
        np.testing.assert_array_equal(x, y, err_msg=n)


def test_transformer_custom_encoder_decoder():
    def run(mod):
        nn = mod.nn
        mod.manual_seed(0)
        enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 1,
                                    enable_nested_tensor=False)
        dec = nn.Sequential()  # a custom decoder may be anything: torch only stores it and re-draws its matrices
        model = nn.Transformer(8, 2, custom_encoder=enc, custom_decoder=nn.TransformerDecoder(
            nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0), 1))
        other = nn.Transformer(8, 2, custom_decoder=dec, num_encoder_layers=1, dropout=0.0)
        src, tgt = mod.randn(4, 2, 8, requires_grad=True), mod.randn(3, 2, 8, requires_grad=True)
        out = model(src, tgt)
        out.sum().backward()
        return dict(repr=repr(model) + repr(other), init=_init(model) + _init(other), out=out,
                    grads=[p.grad for p in model.parameters()] + [src.grad, tgt.grad])
    a, b = both(run)
    assert a["repr"] == b["repr"]
    _assert_same_init(a["init"], b["init"])
    assert_same(a["out"], b["out"], rtol=1e-4, atol=1e-5)
    assert_same(a["grads"], b["grads"], rtol=1e-3, atol=1e-4, check_graph=False)


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("padding", ["left_aligned", "not_left_aligned", "none"])
def test_transformer_inference_nested_path(batch_first, padding):
    """Under no_grad in eval mode torch runs the encoder on nested tensors: padded source positions come out as
    zeros (before the final norm), which the decoder then attends to."""
    def run(mod):
        nn = mod.nn
        mod.manual_seed(4)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = nn.Transformer(8, 2, 2, 1, 16, batch_first=batch_first).eval()
        src = mod.randn((3, 6, 8) if batch_first else (6, 3, 8))
        tgt = mod.randn((3, 4, 8) if batch_first else (4, 3, 8))
        kpm = {"left_aligned": mod.tensor([[False] * 4 + [True] * 2, [False] * 6, [False] * 5 + [True]]),
               "not_left_aligned": mod.tensor([[True] + [False] * 5, [False] * 6, [False] * 6]),
               "none": None}[padding]
        with mod.no_grad():
            memory = model.encoder(src, src_key_padding_mask=kpm)
            out = model(src, tgt, src_key_padding_mask=kpm)
        return memory, out
    assert_same(*both(run), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dtype", [None, "float64"])
@pytest.mark.parametrize("sz", [0, 1, 4])
def test_generate_square_subsequent_mask(sz, dtype):
    def run(mod):
        kw = {} if dtype is None else dict(dtype=getattr(mod, dtype))
        return mod.nn.Transformer.generate_square_subsequent_mask(sz, **kw)
    assert_same(*both(run))


def test_transformer_nested_tensor_warnings():
    def run(mod):
        nn = mod.nn
        out = []
        for kw in (dict(), dict(batch_first=True), dict(batch_first=True, norm_first=True),
                   dict(batch_first=True, bias=False), dict(batch_first=True, activation=nn.Tanh()),
                   dict(batch_first=True, layer_norm_eps=1e-3)):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, **kw), 1)
                odd = nn.TransformerEncoder(nn.TransformerEncoderLayer(9, 3, 16, batch_first=True), 1)
            out.append(([str(w.message) for w in caught], enc.use_nested_tensor, odd.use_nested_tensor))
        return out
    a, b = both(run)
    assert a == b


@pytest.mark.parametrize("case", [
    "batch_mismatch", "batch_mismatch_batch_first", "feature_mismatch", "bad_activation", "decoder_bad_activation",
    "tgt_is_causal_without_mask", "memory_is_causal_without_mask", "int_key_padding_mask", "nhead_divides",
])
def test_transformer_errors(case):
    def run(mod):
        nn = mod.nn
        mod.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if case == "bad_activation":
                return nn.Transformer(8, 2, 1, 1, 16, activation="tanh")
            if case == "decoder_bad_activation":
                return nn.TransformerDecoderLayer(8, 2, activation="swish")
            if case == "nhead_divides":
                return nn.TransformerDecoderLayer(8, 3)
            bf = case == "batch_mismatch_batch_first"
            model = nn.Transformer(8, 2, 1, 1, 16, batch_first=bf)
        if case in ("batch_mismatch", "batch_mismatch_batch_first"):
            return model(mod.randn(4, 2, 8), mod.randn(4, 3, 8) if not bf else mod.randn(3, 4, 8))
        if case == "feature_mismatch":
            return model(mod.randn(4, 2, 8), mod.randn(3, 2, 6))
        if case == "tgt_is_causal_without_mask":
            return model.decoder(mod.randn(3, 2, 8), mod.randn(4, 2, 8), tgt_is_causal=True)
        if case == "memory_is_causal_without_mask":
            return model.decoder(mod.randn(3, 2, 8), mod.randn(4, 2, 8), memory_is_causal=True)
        if case == "int_key_padding_mask":
            return model(mod.randn(4, 2, 8), mod.randn(3, 2, 8), src_key_padding_mask=mod.zeros(2, 4,
                                                                                                 dtype=mod.int64))
    a, b = both(run)
    assert isinstance(a, BaseException), "the case must be an error in torch"
    assert_same(a, b)


def test_encoder_mismatched_mask_types_warn():
    def run(mod):
        mod.manual_seed(0)
        enc = mod.nn.TransformerEncoder(mod.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 1,
                                        enable_nested_tensor=False)
        x = mod.randn(4, 2, 8)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = enc(x, mask=mod.zeros(4, 4), src_key_padding_mask=mod.tensor([[False] * 3 + [True], [False] * 4]))
        return [str(w.message) for w in caught], out
    a, b = both(run)
    assert a[0] == b[0] and a[0]
    assert_same(a[1], b[1], rtol=1e-4, atol=1e-5)


def test_multihead_attention_mask_types_as_torch():
    """MultiheadAttention canonicalises its masks as torch's does: a bool padding mask beside
    a float attn_mask warns (and gives torch's values), an integer mask is an AssertionError."""
    def run(mod):
        mod.manual_seed(0)
        mha = mod.nn.MultiheadAttention(8, 2)
        x = mod.randn(4, 2, 8)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out, weights = mha(x, x, x, key_padding_mask=mod.tensor([[False] * 3 + [True], [False] * 4]),
                               attn_mask=mod.zeros(4, 4))
        try:
            mha(x, x, x, attn_mask=mod.zeros(4, 4, dtype=mod.int64))
        except AssertionError as e:
            error = str(e)
        return [str(w.message) for w in caught], out, weights, error
    a, b = both(run)
    assert a[0] == b[0] and a[0] and a[3] == b[3]
    assert_same(a[1], b[1], rtol=1e-4, atol=1e-5)
    assert_same(a[2], b[2], rtol=1e-4, atol=1e-5)
