"""nn.Module API side by side with torch: registration, traversal orders, state_dict,
load errors, reprs, hooks, modes, conversions, containers and Parameter."""
import copy
import pickle

import numpy as np
import pytest

from conftest import torch, leafgrad, both, assert_same, to_numpy


def _net(nn):
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 3)
            self.register_buffer("scale", nn.Parameter(torch_like(nn).ones(3)).detach())
            self.register_buffer("tmp", torch_like(nn).zeros(2), persistent=False)
            self.act = nn.ReLU()

        def forward(self, x):
            return self.act(self.fc(x)) * self.scale

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch_like(nn).ones(2, 3))
            self.blocks = nn.ModuleList([Block(), Block()])
            self.head = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
            self.bn = nn.BatchNorm1d(3)
            self.shared = self.head[0]
            self.none_param = None
            self.register_parameter("missing", None)

        def forward(self, x):
            for b in self.blocks:
                x = b(x)
            return self.head(self.bn(x)) + self.w.sum()

    return Net()


def torch_like(nn):
    return torch if nn is torch.nn else leafgrad


def _mk(mod, seed=0):
    mod.manual_seed(seed)
    return _net(mod.nn)


def test_traversal_orders():
    def run(mod):
        m = _mk(mod)
        return dict(
            params=[n for n, _ in m.named_parameters()],
            params_dup=[n for n, _ in m.named_parameters(remove_duplicate=False)],
            params_prefix=[n for n, _ in m.named_parameters(prefix="model", recurse=False)],
            buffers=[n for n, _ in m.named_buffers()],
            children=[n for n, _ in m.named_children()],
            modules=[n for n, _ in m.named_modules()],
            modules_dup=[n for n, _ in m.named_modules(remove_duplicate=False)],
            modules_prefix=[n for n, _ in m.named_modules(prefix="root")],
            nparams=len(list(m.parameters())), nbufs=len(list(m.buffers())),
            nmods=len(list(m.modules())), nchildren=len(list(m.children())),
            types=[type(x).__name__ for x in m.modules()],
            state=list(m.state_dict().keys()),
            meta=list(m.state_dict()._metadata.items()),
            state_prefix=list(m.state_dict(prefix="p.").keys()),
        )
    a, b = both(run)
    assert a == b


def test_repr():
    a, b = both(lambda mod: repr(_mk(mod)))
    assert a == b
    a, b = both(lambda mod: repr(mod.nn.Sequential(mod.nn.Conv2d(1, 2, 3, bias=False, groups=1, dilation=2),
                                                   mod.nn.MaxPool2d(2), mod.nn.Flatten(), mod.nn.Dropout(),
                                                   mod.nn.Embedding(5, 2, padding_idx=0, max_norm=1.0),
                                                   mod.nn.LeakyReLU(inplace=True), mod.nn.Unflatten(1, (2, 2)),
                                                   mod.nn.AvgPool1d(2), mod.nn.ConvTranspose2d(2, 2, 2, stride=2),
                                                   mod.nn.ModuleDict({"a": mod.nn.ELU(), "b": mod.nn.GELU()}),
                                                   mod.nn.ModuleList(), mod.nn.Identity(),
                                                   mod.nn.Softmax(1), mod.nn.Hardtanh(inplace=True),
                                                   mod.nn.Conv1d(2, 2, 1, padding_mode="reflect", padding=1))))
    assert a == b


def test_param_repr_and_type():
    a, b = both(lambda mod: (repr(mod.nn.Parameter(mod.tensor([1.0, 2.0]))),
                             repr(mod.nn.Parameter(mod.zeros(2, dtype=mod.float64), requires_grad=False)),
                             repr(mod.nn.Parameter()), mod.nn.Parameter(mod.ones(1)).is_leaf,
                             type(mod.nn.Parameter(mod.ones(1)) * 2).__name__,
                             isinstance(mod.nn.Parameter(mod.ones(1)), mod.Tensor)))
    assert a == b
    assert_same(*both(lambda mod: mod.nn.Parameter(mod.ones(2, dtype=mod.int64))))
    assert_same(*both(lambda mod: mod.nn.Parameter(mod.ones(2, dtype=mod.int64), requires_grad=False)))
    p = leafgrad.nn.Parameter(leafgrad.ones(2))
    q = copy.deepcopy(p)
    assert type(q) is leafgrad.nn.Parameter and q.requires_grad and q is not p
    r = pickle.loads(pickle.dumps(p))
    assert type(r) is leafgrad.nn.Parameter and r.requires_grad


def test_parameter_shares_data():
    def run(mod):
        t = mod.zeros(3)
        p = mod.nn.Parameter(t)
        t.add_(1)
        return p.detach().clone(), p.requires_grad
    assert_same(*both(run))


def test_state_dict_and_load_roundtrip():
    def run(mod):
        m = _mk(mod, 0)
        m2 = _mk(mod, 1)
        sd = m.state_dict()
        res = m2.load_state_dict(sd)
        out = [repr(res), res.missing_keys, res.unexpected_keys]
        out += [(k, to_numpy(v)) for k, v in m2.state_dict().items()]
        out.append(all(not v.requires_grad for v in sd.values()))
        out.append([v.requires_grad for v in m.state_dict(keep_vars=True).values()])
        return out
    a, b = both(run)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        if isinstance(x, tuple):
            assert x[0] == y[0]
            np.testing.assert_array_equal(x[1], y[1])
        else:
            assert x == y


@pytest.mark.parametrize("case", ["size", "missing", "unexpected", "nonstrict", "other_model", "not_mapping",
                                  "not_tensor", "nested_unexpected", "scalar_bc"])
def test_load_state_dict_errors(case):
    def run(mod):
        nn = mod.nn
        mod.manual_seed(0)
        m = nn.Linear(2, 2)
        if case == "size":
            return m.load_state_dict({"weight": mod.zeros(3, 2), "bias": mod.zeros(2)})
        if case == "missing":
            return m.load_state_dict({"weight": mod.zeros(2, 2)})
        if case == "unexpected":
            return m.load_state_dict({"weight": mod.zeros(2, 2), "bias": mod.zeros(2), "extra": mod.zeros(1),
                                      "a.b": mod.zeros(1)})
        if case == "nonstrict":
            r = m.load_state_dict({"weight": mod.zeros(2, 2), "extra": mod.zeros(1)}, strict=False)
            return repr(r), r.missing_keys, r.unexpected_keys, m.weight.detach().clone()
        if case == "other_model":
            s = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2))
            return s.load_state_dict(_mk(mod).state_dict())
        if case == "not_mapping":
            return m.load_state_dict([("weight", mod.zeros(2, 2))])
        if case == "not_tensor":
            return m.load_state_dict({"weight": [[0.0, 0.0], [0.0, 0.0]], "bias": mod.zeros(2)})
        if case == "nested_unexpected":
            s = nn.Sequential(nn.Linear(2, 2))
            sd = s.state_dict()
            sd["0.foo"] = mod.zeros(1)
            sd["1.weight"] = mod.zeros(1)
            return s.load_state_dict(sd)
        if case == "scalar_bc":
            class M(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.s = nn.Parameter(mod.tensor(1.0))
            mm = M()
            mm.load_state_dict({"s": mod.tensor([3.0])})
            return mm.s.detach().clone()
    assert_same(*both(run))


def test_load_state_dict_keeps_param_objects_and_version():
    def run(mod):
        mod.manual_seed(0)
        m = mod.nn.Linear(2, 2)
        w = m.weight
        v = w._version
        m.load_state_dict({"weight": mod.ones(2, 2), "bias": mod.zeros(2)})
        return m.weight is w, w._version - v, w.detach().clone(), w.requires_grad
    assert_same(*both(run))


@pytest.mark.parametrize("case", ["param_bad_type", "param_nonleaf", "buffer_bad_type", "module_bad_type",
                                  "name_dot", "name_empty", "exists", "before_init", "getattr",
                                  "buffer_dot", "add_module_bad", "del", "reassign", "module_none",
                                  "init_args", "no_forward", "train_bad", "param_name_type"])
def test_registration_errors(case):
    def run(mod):
        nn = mod.nn
        m = nn.Module()
        if case == "param_bad_type":
            m.register_parameter("w", mod.zeros(2))
        if case == "param_nonleaf":
            m.register_parameter("w", nn.Parameter(mod.zeros(2)) * 2)
        if case == "buffer_bad_type":
            m.register_buffer("b", 3)
        if case == "module_bad_type":
            m.add_module("x", 3)
        if case == "name_dot":
            m.register_parameter("a.b", None)
        if case == "name_empty":
            m.register_buffer("", None)
        if case == "exists":
            m.foo = 1
            m.register_buffer("foo", mod.zeros(1))
        if case == "before_init":
            class Bad(nn.Module):
                def __init__(self):
                    self.w = nn.Parameter(mod.zeros(1))
            Bad()
        if case == "getattr":
            return nn.Linear(1, 1).nope
        if case == "buffer_dot":
            m.register_buffer("a.b", None)
        if case == "add_module_bad":
            m.add_module("a.b", nn.ReLU())
        if case == "del":
            lin = nn.Linear(1, 1)
            del lin.bias
            return [n for n, _ in lin.named_parameters()], hasattr(lin, "bias")
        if case == "reassign":
            lin = nn.Linear(1, 1)
            lin.weight = mod.zeros(1, 1)
        if case == "module_none":
            s = nn.Sequential(nn.ReLU())
            s.x = nn.Tanh()
            s.x = None
            s.register_buffer("buf", mod.zeros(1))
            s.buf = mod.ones(2)
            s.p = nn.Parameter(mod.zeros(1))
            s.p = None
            s.buf2 = mod.zeros(1)
            return repr(s), list(s.state_dict().keys()), [n for n, _ in s.named_children()]
        if case == "init_args":
            nn.Module(3)
        if case == "no_forward":
            m(1)
        if case == "train_bad":
            m.train("yes")
        if case == "param_name_type":
            m.register_parameter(1, None)
        return None
    assert_same(*both(run))


def test_train_eval_apply_requires_grad_zero_grad():
    def run(mod):
        m = _mk(mod)
        out = [m.training]
        m.eval()
        out.append([x.training for x in m.modules()])
        m.train()
        out.append([x.training for x in m.modules()])
        names = []
        m.apply(lambda x: names.append(type(x).__name__))
        out.append(names)
        m.requires_grad_(False)
        out.append([p.requires_grad for p in m.parameters()])
        m.requires_grad_()
        x = mod.ones(4, 3)
        m(x).sum().backward()
        out.append([p.grad is not None for p in m.parameters()])
        m.zero_grad(set_to_none=False)
        out.append([float(p.grad.abs().sum()) for p in m.parameters()])
        m.zero_grad()
        out.append([p.grad is None for p in m.parameters()])
        return out
    a, b = both(run)
    assert a == b


def test_forward_matches_and_bn_running_stats():
    def run(mod):
        m = _mk(mod)
        mod.manual_seed(5)
        x = mod.randn(4, 3)
        y = m(x)
        y.sum().backward()
        m.eval()
        z = m(x)
        return [y, z] + [p.grad for p in m.parameters()] + list(m.state_dict().values())
    a, b = both(run)
    assert_same(a, b, check_graph=False)


def test_hooks():
    def run(mod):
        nn = mod.nn
        mod.manual_seed(0)
        m = nn.Linear(2, 2)
        log = []

        def pre(module, args):
            log.append(("pre", type(module).__name__, len(args)))
            return (args[0] * 2,)

        def pre_single(module, args):
            log.append("pre_single")
            return args[0] + 1

        def post(module, args, out):
            log.append(("post", tuple(out.shape)))
            return out * 10

        def post_kw(module, args, kwargs, out):
            log.append(("post_kw", sorted(kwargs)))

        def pre_kw(module, args, kwargs):
            log.append(("pre_kw", sorted(kwargs)))
            return args, kwargs

        h1 = m.register_forward_pre_hook(pre)
        h2 = m.register_forward_hook(post)
        h3 = m.register_forward_pre_hook(pre_single, prepend=True)
        h4 = m.register_forward_hook(post_kw, with_kwargs=True)
        h5 = m.register_forward_pre_hook(pre_kw, with_kwargs=True)
        x = mod.ones(1, 2)
        y1 = m(x)
        h1.remove()
        h2.remove()
        y2 = m(x)
        h3.remove()
        h4.remove()
        h5.remove()
        y3 = m(x)
        return log, y1, y2, y3
    assert_same(*both(run))


def test_to_float_double_half():
    def run(mod):
        m = _mk(mod)
        w = m.head[0].weight
        m.double()
        out = [str(p.dtype) for p in m.parameters()] + [str(b.dtype) for b in m.buffers()]
        out.append(m.head[0].weight is w)
        m.to(mod.float32)
        out += [str(p.dtype) for p in m.parameters()]
        m.to(dtype=mod.float16)
        out += [str(b.dtype) for b in m.buffers()]
        m.float()
        out.append(m(mod.ones(2, 3, dtype=mod.float32)).dtype)
        return out
    a, b = both(run)
    assert [str(x) for x in a] == [str(x) for x in b]
    assert_same(*both(lambda mod: mod.nn.Linear(1, 1).to(mod.int64)))


def test_sequential():
    def run(mod):
        nn = mod.nn
        mod.manual_seed(0)
        s = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
        out = [len(s), type(s[0]).__name__, type(s[-1]).__name__, repr(s[1:]), type(s[1:]).__name__,
               [type(x).__name__ for x in s]]
        s.append(nn.Sigmoid())
        out.append(repr(s))
        s[1] = nn.Tanh()
        del s[0]
        out.append(repr(s))
        s.insert(0, nn.Linear(2, 3))
        out.append(list(s.state_dict().keys()))
        out.append(s(mod.ones(4, 2)))
        s2 = nn.Sequential(__import__("collections").OrderedDict([("a", nn.ReLU()), ("b", nn.Tanh())]))
        out.append(repr(s2))
        out.append(repr(s + s2))
        out.append(repr(s.pop(0)))
        return out
    assert_same(*both(run))
    assert_same(*both(lambda mod: mod.nn.Sequential(mod.nn.ReLU())[3]))
    assert_same(*both(lambda mod: mod.nn.Sequential(mod.nn.ReLU()) + 1))


def test_modulelist_moduledict():
    def run(mod):
        nn = mod.nn
        mod.manual_seed(0)
        ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
        ml.append(nn.ReLU())
        ml.extend([nn.ReLU(), nn.ReLU()])
        ml.insert(1, nn.Tanh())
        out = [len(ml), repr(ml), repr(ml[1:3]), [n for n, _ in ml.named_parameters()]]
        del ml[0]
        out.append(repr(ml))
        md = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Linear(1, 2)})
        md["c"] = nn.Tanh()
        out += [list(md.keys()), repr(md), "a" in md, len(md), [k for k in md]]
        md.update([("d", nn.ReLU())])
        out.append(repr(md.pop("a")))
        out.append(list(md.keys()))
        return out
    assert_same(*both(run))
    assert_same(*both(lambda mod: mod.nn.ModuleList([mod.nn.ReLU()])[2]))
    assert_same(*both(lambda mod: mod.nn.ModuleList(mod.nn.ReLU())))


def test_parameterlist_parameterdict():
    def run(mod):
        nn = mod.nn
        pl = nn.ParameterList([nn.Parameter(mod.zeros(2)), mod.ones(3, 2)])
        pl.append(mod.ones(1, dtype=mod.float64))
        out = [len(pl), repr(pl), [n for n, _ in pl.named_parameters()], [type(p).__name__ for p in pl]]
        pd = nn.ParameterDict({"b": nn.Parameter(mod.zeros(2)), "a": mod.ones(1)})
        pd["c"] = mod.ones(2, 2)
        out += [list(pd.keys()), repr(pd), [n for n, _ in pd.named_parameters()], "a" in pd, len(pd)]
        return out
    assert_same(*both(run))


def test_deepcopy_and_pickle():
    leafgrad.manual_seed(0)
    m = _net(leafgrad.nn)
    m2 = copy.deepcopy(m)
    assert repr(m2) == repr(m)
    for (n1, p1), (n2, p2) in zip(m.named_parameters(), m2.named_parameters()):
        assert n1 == n2 and p1 is not p2 and type(p2) is leafgrad.nn.Parameter
        np.testing.assert_array_equal(to_numpy(p1), to_numpy(p2))
    m3 = pickle.loads(pickle.dumps(m.head))
    assert repr(m3) == repr(m.head)


def test_get_submodule_parameter_buffer():
    def run(mod):
        m = _mk(mod)
        return (type(m.get_submodule("blocks.1.fc")).__name__, tuple(m.get_parameter("head.2.bias").shape),
                tuple(m.get_buffer("bn.running_mean").shape))
    assert_same(*both(run))
    assert_same(*both(lambda mod: _mk(mod).get_submodule("blocks.5")))
    assert_same(*both(lambda mod: _mk(mod).get_parameter("head.0.nope")))


def test_clip_grad_and_vector():
    def run(mod):
        nn = mod.nn
        mod.manual_seed(0)
        m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
        m(mod.randn(5, 3)).pow(2).sum().backward()
        out = [nn.utils.clip_grad_norm_(m.parameters(), 0.5)]
        out += [p.grad.clone() for p in m.parameters()]
        out.append(nn.utils.clip_grad_norm_(m.parameters(), 0.1, norm_type=float("inf")))
        out.append(nn.utils.clip_grad_norm_(m[0].weight, 0.1, norm_type=1))
        nn.utils.clip_grad_value_(m.parameters(), 0.01)
        out += [p.grad.clone() for p in m.parameters()]
        out.append(nn.utils.clip_grad_norm_([], 1.0))
        v = nn.utils.parameters_to_vector(m.parameters())
        out.append(v)
        nn.utils.vector_to_parameters(v * 2, m.parameters())
        out += [p.detach().clone() for p in m.parameters()]
        return out
    assert_same(*both(run))

    def nonfinite(mod):
        p = mod.nn.Parameter(mod.ones(2))
        p.grad = mod.tensor([float("inf"), 1.0])
        return mod.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert_same(*both(nonfinite))
    assert_same(*both(lambda mod: mod.nn.utils.vector_to_parameters([1.0], [])))


def test_training_loop_same_numbers():
    def run(mod):
        nn = mod.nn
        mod.manual_seed(42)
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 3))
        loss_fn = nn.CrossEntropyLoss()
        x = mod.randn(16, 4)
        y = mod.randint(0, 3, (16,))
        losses = []
        for _ in range(5):
            model.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            with mod.no_grad():
                for p in model.parameters():
                    p -= 0.1 * p.grad
            losses.append(loss.item())
        return losses, [p.detach().clone() for p in model.parameters()]
    a, b = both(run)
    np.testing.assert_allclose(a[0], b[0], rtol=1e-5)
    assert_same(a[1], b[1], rtol=1e-4, atol=1e-5)


def test_cnn_and_rnn_training_same_numbers():
    def run(mod):
        nn = mod.nn

        class CNN(nn.Module):
            def __init__(self):
                super().__init__()
                self.features = nn.Sequential(
                    nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Conv2d(4, 8, 3), nn.GroupNorm(2, 8), nn.GELU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
                self.rnn = nn.GRU(8, 6, batch_first=True)
                self.drop = nn.Dropout(0.25)
                self.head = nn.Linear(6, 3)

            def forward(self, x):
                f = self.features(x)
                seq, h = self.rnn(f.unsqueeze(1).expand(-1, 2, -1))
                return self.head(self.drop(h[-1]))

        mod.manual_seed(123)
        model = CNN()
        loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
        x = mod.randn(6, 1, 8, 8)
        y = mod.randint(0, 3, (6,))
        losses = []
        for _ in range(4):
            model.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            with mod.no_grad():
                for p in model.parameters():
                    p.add_(p.grad, alpha=-0.05)
            losses.append(loss.item())
        model.eval()
        with mod.no_grad():
            ev = model(x)
        return losses, ev, list(model.state_dict().values())
    a, b = both(run)
    np.testing.assert_allclose(a[0], b[0], rtol=1e-5)
    assert_same(a[1], b[1], rtol=1e-4, atol=1e-5)
    assert_same(a[2], b[2], rtol=1e-4, atol=1e-5)


def test_module_to_device_and_hooks_on_state_dict():
    def run(mod):
        lin = mod.nn.Linear(2, 2)
        calls = []
        lin.register_load_state_dict_post_hook(lambda m, keys: calls.append((list(keys.missing_keys),
                                                                             list(keys.unexpected_keys))))
        lin.load_state_dict({"weight": mod.zeros(2, 2)}, strict=False)
        out = lin.to("cpu") is lin, str(lin.to(mod.device("cpu"), dtype=mod.float64).weight.dtype), calls
        return out
    assert_same(*both(run))
    assert_same(*both(lambda mod: mod.nn.Linear(1, 1).cuda()))


def test_embedding_from_pretrained():
    def run(mod):
        w = mod.arange(6.0).reshape(3, 2)
        e = mod.nn.Embedding.from_pretrained(w, padding_idx=1)
        e2 = mod.nn.Embedding.from_pretrained(w, freeze=False)
        return repr(e), e.weight.requires_grad, e2.weight.requires_grad, e(mod.tensor([2, 1]))
    assert_same(*both(run))


@pytest.mark.parametrize("case", ["plain", "replace_input_grad", "pre_hook_scales", "no_input_grad", "tuple_out",
                                  "removed", "bad_len"])
def test_full_backward_hooks(case):
    def run(mod):
        nn = mod.nn
        mod.manual_seed(0)
        lin = nn.Linear(3, 2)
        log = []

        def hook(m, gin, gout):
            log.append(("hook", type(m).__name__, [None if g is None else g.clone() for g in gin],
                        [None if g is None else g.clone() for g in gout]))
            if case == "replace_input_grad":
                return tuple(None if g is None else g * 10 for g in gin)
            if case == "bad_len":
                return (gin[0], gin[0])

        def pre(m, gout):
            log.append(("pre", [g.clone() for g in gout]))
            if case == "pre_hook_scales":
                return tuple(g * 2 for g in gout)

        h = lin.register_full_backward_hook(hook)
        lin.register_full_backward_pre_hook(pre)
        x = mod.randn(4, 3, requires_grad=(case != "no_input_grad"))
        if case == "removed":
            h.remove()
        if case == "tuple_out":
            class Two(nn.Module):
                def forward(self, a, b):
                    return a * 2, b * 3
            two = Two()
            two.register_full_backward_hook(hook)
            b = mod.randn(4, 3)
            o1, o2 = two(x, b)
            (o1.sum() + o2.pow(2).sum()).backward()
            return log, x.grad
        y = lin(x)
        (y * mod.arange(2.0)).sum().backward()
        return log, x.grad, lin.weight.grad
    assert_same(*both(run), check_graph=False)
