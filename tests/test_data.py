"""leafgrad.utils.data against torch.utils.data: orders, batches, collation, splits, errors."""
import collections

import numpy as np
import pytest
import torch
import torch.utils.data as TD

import leafgrad
import leafgrad.utils.data as LD

LIBS = ((torch, TD), (leafgrad, LD))


def plain(x):
    """Nested structure with tensors replaced by (dtype name, shape, values)."""
    if isinstance(x, (torch.Tensor, leafgrad.Tensor)):
        return ("T", str(x.dtype), tuple(x.shape), x.tolist())
    if isinstance(x, dict):
        return {"__type__": type(x).__name__, **{k: plain(v) for k, v in x.items()}}
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [plain(v) for v in x])
    return x


def both(fn):
    out = []
    for lib, data in LIBS:
        try:
            out.append(plain(fn(lib, data)))
        except Exception as e:  # noqa: BLE001
            out.append((type(e), str(e)))
    return out


def same(fn):
    a, b = both(fn)
    assert a == b
    return a


def tensor_ds(lib, data, n=10):
    return data.TensorDataset(lib.arange(n), lib.arange(n, dtype=lib.float32) * 0.5)


@pytest.mark.parametrize("seed", [0, 1, 1234])
@pytest.mark.parametrize("bs,drop_last", [(1, False), (3, False), (3, True), (4, True), (10, False), (16, False)])
def test_shuffle_order_matches_torch(seed, bs, drop_last):
    def fn(lib, data):
        lib.manual_seed(seed)
        dl = data.DataLoader(tensor_ds(lib, data), batch_size=bs, shuffle=True, drop_last=drop_last)
        epochs = [[b for b in dl] for _ in range(3)]
        return epochs, len(dl), lib.rand(2)   # the default generator ends in the same state
    same(fn)


def test_shuffle_with_generator():
    def fn(lib, data):
        g = lib.Generator()
        g.manual_seed(7)
        dl = data.DataLoader(tensor_ds(lib, data, 13), batch_size=4, shuffle=True, generator=g)
        return [list(dl), list(dl), lib.rand(3)]
    same(fn)


def test_sequential_and_explicit_samplers():
    def fn(lib, data):
        lib.manual_seed(5)
        ds = tensor_ds(lib, data, 11)
        out = [list(data.DataLoader(ds, batch_size=4))]
        out.append(list(data.DataLoader(ds, sampler=data.SubsetRandomSampler([1, 3, 5, 7, 9]), batch_size=2)))
        out.append(list(data.RandomSampler(ds, replacement=True, num_samples=70)))
        out.append(list(data.RandomSampler(ds, num_samples=25)))
        g = lib.Generator().manual_seed(3)
        out.append(list(data.RandomSampler(ds, generator=g)))
        out.append(list(data.WeightedRandomSampler([0.1, 0.9, 0.4, 0.7], 12)))
        out.append(list(data.WeightedRandomSampler([0.1, 0.9, 0.4, 0.7], 3, replacement=False)))
        out.append(list(data.BatchSampler(data.SequentialSampler(range(10)), 3, False)))
        out.append(list(data.BatchSampler(data.SequentialSampler(range(10)), 3, True)))
        out.append(len(data.BatchSampler(range(10), 3, False)))
        bs = data.BatchSampler(data.RandomSampler(ds), 5, False)
        out.append(list(data.DataLoader(ds, batch_sampler=bs)))
        out.append(list(data.DataLoader(ds, batch_size=None))[:3])
        out.append(lib.rand(2))
        return out
    same(fn)


def test_random_split():
    def fn(lib, data):
        out = []
        g = lib.Generator().manual_seed(42)
        out.append([list(s.indices) for s in data.random_split(range(10), [3, 7], generator=g)])
        g = lib.Generator().manual_seed(42)
        out.append([list(s.indices) for s in data.random_split(range(30), [0.3, 0.3, 0.4], generator=g)])
        out.append([list(s.indices) for s in data.random_split(range(11), [0.5, 0.5], generator=g)])
        lib.manual_seed(0)
        parts = data.random_split(tensor_ds(lib, data), [4, 6])
        out.append([[p[i] for i in range(len(p))] for p in parts])
        return out
    same(fn)


@pytest.mark.parametrize("args", [([3, 3],), ([0.5, 0.6],), ([1.2, -0.2],)])
def test_random_split_errors(args):
    same(lambda lib, data: data.random_split(range(10), *args))


Point = collections.namedtuple("Point", "x y")


@pytest.mark.parametrize("batch", [
    [1, 2, 3], [1.5, 2.5], [True, False], ["a", "b"], [b"a", b"b"],
    [(1, 2.0), (3, 4.0)], [[1, 2], [3, 4]], [{"a": 1, "b": [1.0, 2.0]}, {"a": 2, "b": [3.0, 4.0]}],
    [Point(1, 2.0), Point(3, 4.0)], [(1, "x"), (2, "y")],
    [np.array([1.0, 2.0], dtype=np.float32), np.array([3.0, 4.0], dtype=np.float32)],
    [np.int32(3), np.int32(4)], [np.float64(1.5), np.float64(2.5)],
    [[1, 2], [3]], [object(), object()], [np.array(["a"]), np.array(["b"])],
])
def test_default_collate(batch):
    same(lambda lib, data: data.default_collate(batch))


def test_collate_tensors_and_convert():
    def fn(lib, data):
        batch = [(lib.tensor([1.0, 2.0]), lib.tensor(3)), (lib.tensor([4.0, 5.0]), lib.tensor(6))]
        return [data.default_collate(batch), data.default_convert([np.arange(3), (np.float32(2.0), "s")]),
                data.default_convert({"a": np.ones(2)})]
    same(fn)


def test_custom_collate_and_dataset():
    class Squares:
        def __len__(self):
            return 7

        def __getitem__(self, i):
            return {"x": i, "y": float(i * i)}

    def fn(lib, data):
        lib.manual_seed(1)
        dl = data.DataLoader(Squares(), batch_size=3, shuffle=True)
        dl2 = data.DataLoader(Squares(), batch_size=2, collate_fn=lambda b: [d["x"] for d in b])
        return list(dl), list(dl2), len(dl), len(dl2)
    same(fn)


def test_iterable_dataset():
    def fn(lib, data):
        class Stream(data.IterableDataset):
            def __iter__(self):
                return iter(range(7))
        out = [list(data.DataLoader(Stream(), batch_size=3)), list(data.DataLoader(Stream(), batch_size=3,
                                                                                   drop_last=True))]
        out.append(list(data.DataLoader(Stream(), batch_size=None)))
        out.append(list(data.ChainDataset([Stream(), Stream()]))[:9])
        return out
    same(fn)


def test_concat_subset_stack():
    def fn(lib, data):
        a, b = tensor_ds(lib, data, 3), tensor_ds(lib, data, 4)
        cat = a + b
        out = [len(cat), cat.cumulative_sizes, [cat[i] for i in range(7)], cat[-1], cat[-7]]
        sub = data.Subset(cat, [6, 0, 2])
        out += [len(sub), sub[0], list(data.DataLoader(sub, batch_size=2))]
        st = data.StackDataset(range(3), [5, 6, 7])
        out += [st[1], len(st), data.StackDataset(a=range(2), b="xy")[1]]
        return out
    same(fn)


@pytest.mark.parametrize("make", [
    lambda lib, data: data.ConcatDataset([range(2)])[-3],
    lambda lib, data: data.ConcatDataset([]),
    lambda lib, data: data.TensorDataset(lib.zeros(2), lib.zeros(3)),
    lambda lib, data: data.Dataset()[0],
    lambda lib, data: data.DataLoader(range(3), batch_size=2, sampler=[0, 1], shuffle=True),
    lambda lib, data: data.DataLoader(range(3), batch_size=2, batch_sampler=[[0, 1]]),
    lambda lib, data: data.DataLoader(range(3), batch_size=None, drop_last=True),
    lambda lib, data: data.DataLoader(range(3), num_workers=-1),
    lambda lib, data: data.BatchSampler(range(3), 0, False),
    lambda lib, data: data.BatchSampler(range(3), 2, 1),
    lambda lib, data: data.RandomSampler(range(3), replacement=1),
    lambda lib, data: data.RandomSampler(range(3), num_samples=0),
    lambda lib, data: data.StackDataset(range(2), range(3)),
    lambda lib, data: setattr(data.DataLoader(range(3)), "batch_size", 4),
])
def test_errors(make):
    same(make)


def test_num_workers_accepted():
    dl = LD.DataLoader(tensor_ds(leafgrad, LD), batch_size=4, num_workers=2)
    assert [b[0].tolist() for b in dl] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert LD.get_worker_info() is None


def test_iterator_object():
    for lib, data in LIBS:
        dl = data.DataLoader(range(10), batch_size=3)
        it = iter(dl)
        assert len(it) == 4 and iter(it) is it
        assert next(it).tolist() == [0, 1, 2]
        assert [b.tolist() for b in it] == [[3, 4, 5], [6, 7, 8], [9]]
        with pytest.raises(StopIteration):
            next(it)
