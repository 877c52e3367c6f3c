"""leafgrad.save / leafgrad.load: round trips, and damaged or foreign files give a RuntimeError."""
import collections
import io
import json
import pickle
import zipfile

import numpy as np
import pytest
import torch

import leafgrad
import leafgrad.optim  # noqa: F401
from leafgrad.serialization import load, save

save_ = getattr(leafgrad, "save", save)
load_ = getattr(leafgrad, "load", load)


def roundtrip(obj):
    buf = io.BytesIO()
    save_(obj, buf)
    buf.seek(0)
    return load_(buf)


def same(a, b):
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, leafgrad.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and a.requires_grad == b.requires_grad
        assert a.is_leaf and b.is_leaf
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    elif isinstance(a, dict):
        assert list(a.keys()) == list(b.keys())
        for k in a:
            same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    else:
        assert a == b


DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3), (2, 0, 4), (1, 2, 3, 2)])
def test_tensor_roundtrip(dtype, shape):
    rng = np.random.RandomState(0)
    a = np.asarray(rng.randn(*shape) * 50).astype(dtype)
    t = leafgrad.tensor(a)
    same(t, roundtrip(t))


def test_values_exact_and_flags():
    x = leafgrad.tensor([1e-30, -0.0, float("inf"), float("nan"), 3.1415927], requires_grad=True)
    y = roundtrip(x)
    assert y.requires_grad and y.is_leaf and y.grad_fn is None
    np.testing.assert_array_equal(x.detach().numpy().view(np.int32), y.detach().numpy().view(np.int32))
    z = (x * 2)                                          # non-leaf: saved as its data
    assert not roundtrip(z.detach()).requires_grad
    assert roundtrip(z).requires_grad                    # torch keeps requires_grad as well, as a leaf
    assert roundtrip(z).is_leaf


def test_noncontiguous_and_views():
    base = leafgrad.arange(12, dtype=leafgrad.float32).reshape(3, 4)
    obj = {"t": base.t(), "col": base[:, 1], "step": base[::2]}
    same({k: v.contiguous() for k, v in obj.items()}, roundtrip(obj))


def test_nested_plain_values():
    obj = collections.OrderedDict(
        a=1, b=2.5, c=None, d=True, e="text ☃", f=b"\x00\x01", g=[1, (2, [3.0, None])], h={1: "x", (1, 2): "y"},
        i=2 ** 80, j=-1e-300, k=float("inf"), n=float("nan"), dt=leafgrad.float64, sz=leafgrad.Size([2, 3]),
        arr=np.arange(5, dtype=np.int32), empty=[], etuple=(), edict={})
    out = roundtrip(obj)
    assert type(out) is collections.OrderedDict
    same(obj, out)
    assert type(roundtrip({"a": 1})) is dict


def test_shared_tensors_stay_shared():
    x = leafgrad.tensor([1.0, 2.0], requires_grad=True)
    out = roundtrip({"a": x, "b": [x, x]})
    assert out["a"] is out["b"][0] is out["b"][1]


def test_optimizer_state_dict_roundtrip(tmp_path):
    params = [leafgrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True), leafgrad.tensor([0.5], requires_grad=True)]
    opt = leafgrad.optim.Adam(params, lr=0.01, amsgrad=True)
    for _ in range(3):
        opt.zero_grad()
        ((params[0] ** 2).sum() + (params[1] * 3).sum()).backward()
        opt.step()
    sd = opt.state_dict()
    path = tmp_path / "opt.lg"
    save_({"optimizer": sd, "params": params, "epoch": 3}, path)
    out = load_(str(path))
    same(sd, out["optimizer"])
    assert out["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert all(p.requires_grad for p in out["params"])
    opt2 = leafgrad.optim.Adam(out["params"], lr=0.01, amsgrad=True)
    opt2.load_state_dict(out["optimizer"])
    same(opt.state_dict(), opt2.state_dict())


def test_path_and_file_objects(tmp_path):
    x = leafgrad.arange(4)
    p = tmp_path / "x.lg"
    save_(x, p)
    same(x, load_(p))
    same(x, load_(str(p)))
    with open(p, "rb") as fh:
        same(x, load_(fh))
    with open(tmp_path / "y.lg", "wb") as fh:
        save_([x], fh)
    same([x], load_(tmp_path / "y.lg", map_location="cpu", weights_only=True))


def test_file_is_a_zip_with_json_header():
    buf = io.BytesIO()
    save_({"w": leafgrad.ones(2)}, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        header = json.loads(zf.read("leafgrad/header.json"))
    assert header["format"] == "leafgrad-serialization"
    assert not any(isinstance(v, bytes) for v in header)


def test_unsupported_objects_refused():
    class Thing:
        pass
    for obj in (Thing(), {"a": Thing()}, {1, 2}, lambda: 1):
        with pytest.raises(TypeError, match="leafgrad.save: cannot store objects of type"):
            save_(obj, io.BytesIO())


def _blob(obj):
    buf = io.BytesIO()
    save_(obj, buf)
    return buf.getvalue()


SAMPLE = {"w": leafgrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True), "b": leafgrad.arange(3),
          "meta": [1, "x", None, 2.5]}


def test_every_truncation_raises():
    data = _blob(SAMPLE)
    for n in range(len(data)):
        with pytest.raises(RuntimeError, match="leafgrad.load: "):
            load_(io.BytesIO(data[:n]))


def test_every_byte_flip_raises_or_loads_correctly():
    data = _blob(SAMPLE)
    for i in range(len(data)):
        bad = bytearray(data)
        bad[i] ^= 0x5A
        try:
            out = load_(io.BytesIO(bytes(bad)))
        except RuntimeError as e:
            assert str(e).startswith("leafgrad.load: ")
        else:
            same(SAMPLE, out)        # a flip in a field the reader does not use (e.g. a timestamp)


def _zip(entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for k, v in entries.items():
            zf.writestr(k, v)
    return buf.getvalue()


GOOD_HEADER = {"format": "leafgrad-serialization", "version": 1, "byteorder": "little",
               "tensors": [{"t": "tensor", "data": 0, "dtype": "float32", "shape": [2], "requires_grad": False}],
               "data": [{"dtype": "<f4", "nbytes": 8}], "root": {"t": "ref", "v": 0}}


def _with(**changes):
    h = json.loads(json.dumps(GOOD_HEADER))
    for k, v in changes.items():
        if k.startswith("t0_"):
            h["tensors"][0][k[3:]] = v
        else:
            h[k] = v
    return h


@pytest.mark.parametrize("data,match", [
    (b"", "is empty"),
    (b"hello world, not a checkpoint", "not a leafgrad file"),
    (pickle.dumps({"a": 1}, protocol=2), "pickle"),
    (_zip({"other.txt": "x"}), "not a leafgrad file"),
    (_zip({"leafgrad/header.json": "{not json"}), "corrupted"),
    (_zip({"leafgrad/header.json": "[]"}), "corrupted"),
    (_zip({"leafgrad/header.json": json.dumps(_with(format="npz"))}), "corrupted"),
    (_zip({"leafgrad/header.json": json.dumps(_with(version=99))}), "newer format version"),
    (_zip({"leafgrad/header.json": json.dumps(GOOD_HEADER)}), "missing"),
    (_zip({"leafgrad/header.json": json.dumps(GOOD_HEADER), "leafgrad/data/0": b"\x00" * 7}), "wrong size"),
    (_zip({"leafgrad/header.json": json.dumps(_with(t0_shape=[3])), "leafgrad/data/0": b"\x00" * 8}), "elements"),
    (_zip({"leafgrad/header.json": json.dumps(_with(t0_dtype="object")), "leafgrad/data/0": b"\x00" * 8}),
     "unknown dtype"),
    (_zip({"leafgrad/header.json": json.dumps(_with(data=[{"dtype": "|O", "nbytes": 8}])),
           "leafgrad/data/0": b"\x00" * 8}), "unknown dtype"),
    (_zip({"leafgrad/header.json": json.dumps(_with(t0_dtype="int64")), "leafgrad/data/0": b"\x00" * 8}),
     "dtype"),
    (_zip({"leafgrad/header.json": json.dumps(_with(root={"t": "ref", "v": 5})), "leafgrad/data/0": b"\x00" * 8}),
     "bad tensor reference"),
    (_zip({"leafgrad/header.json": json.dumps(_with(root={"t": "pickle", "v": "cos\nsystem\n"})),
           "leafgrad/data/0": b"\x00" * 8}), "unknown object kind"),
    (_zip({"leafgrad/header.json": json.dumps(_with(root={"t": "dict", "k": [{"t": "list", "v": []}],
                                                          "v": [{"t": "none"}]})),
           "leafgrad/data/0": b"\x00" * 8}), "not hashable"),
    (_zip({"leafgrad/header.json": json.dumps(_with(root={"t": "list", "v": [{"t": "float", "v": "zz"}]})),
           "leafgrad/data/0": b"\x00" * 8}), "corrupted"),
    (_zip({"leafgrad/header.json": "[" * 100000 + "]" * 100000}), "corrupted"),   # nesting beyond the recursion limit

])
def test_foreign_and_malformed_files(data, match):
    with pytest.raises(RuntimeError, match=match):
        load_(io.BytesIO(data))


def test_torch_checkpoint_is_refused(tmp_path):
    p = tmp_path / "t.pt"
    torch.save({"w": torch.ones(2)}, p)
    with pytest.raises(RuntimeError, match="PyTorch checkpoint"):
        load_(p)
    p2 = tmp_path / "legacy.pt"
    torch.save({"w": torch.ones(2)}, p2, _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="pickle"):
        load_(p2)


def test_missing_file_and_text_mode(tmp_path):
    with pytest.raises(RuntimeError, match="cannot read"):
        load_(tmp_path / "nope.lg")
    save_(leafgrad.ones(1), tmp_path / "a.lg")
    with open(tmp_path / "a.lg", "r", encoding="latin-1") as fh:
        with pytest.raises(RuntimeError, match="binary mode"):
            load_(fh)
