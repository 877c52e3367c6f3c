"""leafgrad.save / leafgrad.load without pickle.

A file is a ZIP archive holding ``leafgrad/header.json`` and one ``leafgrad/data/<n>`` entry of raw
little-endian bytes per tensor (or NumPy array). The JSON header describes the object: nested dicts
(including OrderedDict, with any JSON-describable keys), lists, tuples, ``None``, bools, ints, floats (stored
exactly, as hex), strings, bytes, dtypes, ``Size`` and tensors (dtype, shape, requires_grad, whether it is an
``nn.Parameter``). Loading only ever builds those types, so a file cannot run code. The whole object is decoded
and checked before it is returned; a truncated, corrupted or foreign file raises a RuntimeError naming the
problem. The same tensor object saved twice loads as one object.
"""
import base64
import collections
import io
import json
import math
import os
import zipfile

import numpy as np

from ._tensor import Tensor
from . import _dtype
from ._size import Size

__all__ = ["save", "load"]

_MAGIC = "leafgrad-serialization"
_VERSION = 1
_HEADER = "leafgrad/header.json"
_DATA = "leafgrad/data/"
# element types a file may hold: NumPy little-endian type strings
_NP_TYPES = {"|b1": np.bool_, "|u1": np.uint8, "|i1": np.int8, "<i2": np.int16, "<i4": np.int32, "<i8": np.int64,
             "<f2": np.float16, "<f4": np.float32, "<f8": np.float64, "<u2": np.uint16, "<u4": np.uint32,
             "<u8": np.uint64}
_MAX_DEPTH = 200


def _le(dt):
    """The little-endian NumPy type string of an array dtype."""
    dt = np.dtype(dt).newbyteorder("<") if np.dtype(dt).itemsize > 1 else np.dtype(dt)
    return dt.str


def _parameter_class():
    from . import nn
    return getattr(nn, "Parameter", None)


class _Writer:
    def __init__(self):
        self.blobs = []      # raw bytes per data entry
        self.memo = {}       # id(array) -> data entry index
        self.tensor_memo = {}  # id(tensor) -> index in the tensor table
        self.refs = []       # the tensor table
        self.keep = []       # keep saved objects alive so ids stay unique

    def array(self, arr):
        key = id(arr)
        if key in self.memo:
            return self.memo[key]
        a = np.ascontiguousarray(arr)
        code = _le(a.dtype)
        if code not in _NP_TYPES:
            raise TypeError(f"leafgrad.save: cannot store arrays of dtype {a.dtype}")
        self.blobs.append((code, a.astype(code, copy=False).tobytes()))
        self.memo[key] = len(self.blobs) - 1
        self.keep.append(arr)
        return self.memo[key]

    def encode(self, obj, depth=0):
        if depth > _MAX_DEPTH:
            raise RuntimeError("leafgrad.save: the object is nested too deeply")
        d = depth + 1
        if obj is None:
            return {"t": "none"}
        if obj is True or obj is False:
            return {"t": "bool", "v": obj}
        if isinstance(obj, Tensor):
            key = id(obj)
            if key in self.tensor_memo:
                return {"t": "ref", "v": self.tensor_memo[key]}
            arr = obj.detach().numpy()
            idx = self.array(arr)
            node = {"t": "tensor", "data": idx, "dtype": obj.dtype.name, "shape": list(arr.shape),
                    "requires_grad": bool(obj.requires_grad)}
            param_cls = _parameter_class()
            if param_cls is not None and isinstance(obj, param_cls):
                node["parameter"] = True
            self.keep.append(obj)
            self.tensor_memo[key] = len(self.refs)
            self.refs.append(node)
            return {"t": "ref", "v": self.tensor_memo[key]}
        if isinstance(obj, np.ndarray):
            return {"t": "ndarray", "data": self.array(obj), "shape": list(obj.shape)}
        if isinstance(obj, (int, np.integer)) and not isinstance(obj, (bool, np.bool_)):
            return {"t": "int", "v": str(int(obj))}
        if isinstance(obj, (float, np.floating)):
            return {"t": "float", "v": float(obj).hex()}
        if isinstance(obj, np.bool_):
            return {"t": "bool", "v": bool(obj)}
        if isinstance(obj, str):
            return {"t": "str", "v": obj}
        if isinstance(obj, (bytes, bytearray)):
            return {"t": "bytes", "v": base64.b64encode(bytes(obj)).decode("ascii")}
        if isinstance(obj, _dtype.dtype):
            return {"t": "dtype", "v": obj.name}
        if isinstance(obj, Size):
            return {"t": "size", "v": [int(s) for s in obj]}
        if isinstance(obj, dict):
            kind = "odict" if isinstance(obj, collections.OrderedDict) else "dict"
            if type(obj) not in (dict, collections.OrderedDict, collections.defaultdict):
                raise TypeError(f"leafgrad.save: cannot store objects of type {type(obj).__qualname__} (only "
                                "tensors, dicts, lists, tuples, numbers, strings, bytes, bools and None)")
            return {"t": kind, "k": [self.encode(k, d) for k in obj], "v": [self.encode(v, d) for v in obj.values()]}
        if isinstance(obj, list) and type(obj) is list:
            return {"t": "list", "v": [self.encode(v, d) for v in obj]}
        if isinstance(obj, tuple) and type(obj) is tuple:
            return {"t": "tuple", "v": [self.encode(v, d) for v in obj]}
        raise TypeError(f"leafgrad.save: cannot store objects of type {type(obj).__qualname__} (only tensors, "
                        "dicts, lists, tuples, numbers, strings, bytes, bools and None)")


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Save ``obj`` (tensors and nested containers of tensors and plain values) to a path or binary file."""
    w = _Writer()
    root = w.encode(obj)
    header = {"format": _MAGIC, "version": _VERSION, "byteorder": "little", "tensors": w.refs, "root": root,
              "data": [{"dtype": code, "nbytes": len(b)} for code, b in w.blobs]}
    text = json.dumps(header, allow_nan=False, separators=(",", ":"))
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            _write_zip(fh, text, w.blobs)
    else:
        _write_zip(f, text, w.blobs)


def _write_zip(fh, text, blobs):
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(_HEADER, text)
        for i, (_, b) in enumerate(blobs):
            zf.writestr(f"{_DATA}{i}", b)


class _Corrupt(Exception):
    pass


def _need(cond, what):
    if not cond:
        raise _Corrupt(what)


class _Reader:
    def __init__(self, zf, header):
        self.zf = zf
        _need(isinstance(header, dict), "the header is not a JSON object")
        _need(header.get("format") == _MAGIC, "the header does not name the leafgrad format")
        version = header.get("version")
        _need(isinstance(version, int) and not isinstance(version, bool), "the header has no format version")
        if version > _VERSION:
            raise RuntimeError(f"leafgrad.load: the file was written by a newer format version ({version}); this "
                               f"version of leafgrad reads version {_VERSION}")
        _need(header.get("byteorder") == "little", "unknown byte order")
        self.data_specs = header.get("data")
        self.refs = header.get("tensors")
        _need(isinstance(self.data_specs, list), "the header has no data table")
        _need(isinstance(self.refs, list), "the header has no tensor table")
        self.arrays = {}
        self.tensors = {}
        self.root = header.get("root")
        _need(self.root is not None, "the header has no root object")

    def raw(self, idx, shape):
        _need(isinstance(idx, int) and not isinstance(idx, bool) and 0 <= idx < len(self.data_specs),
              f"bad data entry index {idx!r}")
        _need(isinstance(shape, list) and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0
                                              for s in shape), f"bad shape {shape!r}")
        spec = self.data_specs[idx]
        _need(isinstance(spec, dict) and spec.get("dtype") in _NP_TYPES, f"data entry {idx} has an unknown dtype")
        dt = np.dtype(spec["dtype"])
        if idx not in self.arrays:
            name = f"{_DATA}{idx}"
            try:
                info = self.zf.getinfo(name)
            except KeyError:
                raise _Corrupt(f"data entry {name} is missing") from None
            _need(info.file_size == spec.get("nbytes"), f"data entry {name} has the wrong size")
            _need(info.file_size % dt.itemsize == 0, f"data entry {name} has the wrong size")
            buf = self.zf.read(name)
            _need(len(buf) == info.file_size, f"data entry {name} is truncated")
            self.arrays[idx] = np.frombuffer(buf, dtype=dt)
        flat = self.arrays[idx]
        _need(flat.size == math.prod(shape), f"data entry {idx} does not hold {shape} elements")
        return flat.reshape(shape).astype(dt.newbyteorder("="), copy=True)

    def tensor(self, ref):
        _need(isinstance(ref, int) and not isinstance(ref, bool) and 0 <= ref < len(self.refs),
              f"bad tensor reference {ref!r}")
        if ref in self.tensors:
            return self.tensors[ref]
        node = self.refs[ref]
        _need(isinstance(node, dict) and node.get("t") == "tensor", f"tensor {ref} is malformed")
        name = node.get("dtype")
        _need(isinstance(name, str) and name in _dtype._BY_NAME, f"tensor {ref} has an unknown dtype {name!r}")
        dt = _dtype._BY_NAME[name]
        arr = self.raw(node.get("data"), node.get("shape"))
        _need(arr.dtype == dt.np, f"tensor {ref} does not match its data's dtype")
        rg = node.get("requires_grad", False)
        _need(isinstance(rg, bool), f"tensor {ref} has a bad requires_grad flag")
        _need(not rg or dt.is_floating_point, f"tensor {ref} of dtype {name} cannot require grad")
        from ._creation import from_numpy
        t = from_numpy(arr)
        if node.get("parameter"):
            param_cls = _parameter_class()
            if param_cls is not None:
                t = param_cls(t, requires_grad=rg)
            else:
                t.requires_grad_(rg)
        elif rg:
            t.requires_grad_(True)
        self.tensors[ref] = t
        return t

    def decode(self, node, depth=0):
        _need(depth <= _MAX_DEPTH + 1, "the object is nested too deeply")
        _need(isinstance(node, dict) and isinstance(node.get("t"), str), "malformed object description")
        t, d = node["t"], depth + 1
        v = node.get("v")
        if t == "none":
            return None
        if t == "bool":
            _need(isinstance(v, bool), "malformed bool")
            return v
        if t == "int":
            _need(isinstance(v, str) and len(v) < 5000, "malformed int")
            return int(v)
        if t == "float":
            _need(isinstance(v, str), "malformed float")
            return float.fromhex(v)
        if t == "str":
            _need(isinstance(v, str), "malformed str")
            return v
        if t == "bytes":
            _need(isinstance(v, str), "malformed bytes")
            return base64.b64decode(v.encode("ascii"), validate=True)
        if t == "dtype":
            _need(v in _dtype._BY_NAME, f"unknown dtype {v!r}")
            return _dtype._BY_NAME[v]
        if t == "size":
            _need(isinstance(v, list) and all(isinstance(s, int) and not isinstance(s, bool) for s in v),
                  "malformed Size")
            return Size(v)
        if t == "ref":
            return self.tensor(v)
        if t == "ndarray":
            return self.raw(node.get("data"), node.get("shape"))
        if t in ("list", "tuple"):
            _need(isinstance(v, list), f"malformed {t}")
            items = [self.decode(x, d) for x in v]
            return items if t == "list" else tuple(items)
        if t in ("dict", "odict"):
            keys = node.get("k")
            _need(isinstance(keys, list) and isinstance(v, list) and len(keys) == len(v), "malformed dict")
            out = collections.OrderedDict() if t == "odict" else {}
            for k, x in zip(keys, v):
                key = self.decode(k, d)
                try:
                    hash(key)
                except TypeError:
                    raise _Corrupt("a dict key is not hashable") from None
                out[key] = self.decode(x, d)
            return out
        raise _Corrupt(f"unknown object kind {t!r}")


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Load an object saved by :func:`save` from a path or binary file. Never executes code from the file."""
    name = os.fspath(f) if isinstance(f, (str, os.PathLike)) else getattr(f, "name", "<file>")
    try:
        if isinstance(f, (str, os.PathLike)):
            with open(f, "rb") as fh:
                data = fh.read()
        else:
            data = f.read()
            if isinstance(data, str):
                raise RuntimeError("leafgrad.load: the file must be opened in binary mode")
    except OSError as e:
        raise RuntimeError(f"leafgrad.load: cannot read {name}: {e}") from e
    return _load_bytes(bytes(data), name)


def _load_bytes(data, name):
    if len(data) == 0:
        raise RuntimeError(f"leafgrad.load: {name} is empty")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        if data[:2] == b"\x80\x02" or data[:1] == b"\x80":
            raise RuntimeError(f"leafgrad.load: {name} is a pickle file (legacy torch.save format?); leafgrad does "
                               "not unpickle files, as that could run arbitrary code") from None
        raise RuntimeError(f"leafgrad.load: {name} is not a leafgrad file, or it is truncated or corrupted "
                           "(not a readable ZIP archive)") from None
    except Exception as e:  # noqa: BLE001 - any failure of the zip reader means a damaged file
        raise RuntimeError(f"leafgrad.load: {name} is corrupted ({type(e).__name__}: {e})") from None
    with zf:
        names = zf.namelist()
        if _HEADER not in names:
            if any(n.endswith("/data.pkl") or n == "data.pkl" for n in names):
                raise RuntimeError(f"leafgrad.load: {name} is a PyTorch checkpoint (pickle-based); leafgrad does "
                                   "not unpickle files, as that could run arbitrary code")
            raise RuntimeError(f"leafgrad.load: {name} is not a leafgrad file (a ZIP archive without "
                               f"{_HEADER})")
        try:
            raw = zf.read(_HEADER)
            header = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
            reader = _Reader(zf, header)
            return reader.decode(reader.root)
        except RuntimeError as e:
            if str(e).startswith("leafgrad.load:"):
                raise
            raise RuntimeError(f"leafgrad.load: {name} is corrupted ({e})") from None
        except _Corrupt as e:
            raise RuntimeError(f"leafgrad.load: {name} is corrupted: {e}") from None
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, TypeError, UnicodeDecodeError,
                RecursionError, MemoryError, OverflowError, IndexError, AttributeError) as e:
            raise RuntimeError(f"leafgrad.load: {name} is corrupted ({type(e).__name__}: {e})") from None


def _reject_constant(c):
    raise ValueError(f"invalid JSON constant {c}")
