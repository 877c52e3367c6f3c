"""Backward-graph pictures: the DOT text is parsed back and its nodes, edges and labels checked."""
import io
import re
import shutil

import pytest

import leafgrad as lg
from leafgrad.autograd.function import Function
from leafgrad.autograd.graphviz import INSTALL_HINT, print_graph, render, to_dot

NODE = re.compile(r'^\s*(n\d+) \[label="((?:[^"\\]|\\.)*)", fillcolor=(\w+)\];$')
EDGE = re.compile(r"^\s*(n\d+) -> (n\d+)( \[style=dashed, dir=none\])?;$")


def parse(dot):
    lines = dot.strip().splitlines()
    assert lines[0] == "digraph backward {" and lines[-1] == "}"
    nodes, edges, saved_edges = {}, [], []
    for line in lines[1:-1]:
        m = NODE.match(line)
        if m:
            nodes[m.group(1)] = (m.group(2).replace("\\n", "\n"), m.group(3))
            continue
        m = EDGE.match(line)
        if m:
            (saved_edges if m.group(3) else edges).append((m.group(1), m.group(2)))
            continue
        assert line.strip().startswith(("graph ", "node ")), line
    for a, b in edges + saved_edges:
        assert a in nodes and b in nodes
    return nodes, edges, saved_edges


def by_label(nodes, text):
    return [k for k, (label, _) in nodes.items() if label.split("\n")[0] == text]


def mlp():
    x = lg.randn(4, 3, dtype=lg.float64)
    w1 = lg.randn(3, 5, dtype=lg.float64, requires_grad=True)
    b1 = lg.zeros(5, dtype=lg.float64, requires_grad=True)
    w2 = lg.randn(5, 1, dtype=lg.float64, requires_grad=True)
    loss = ((x @ w1 + b1).relu() @ w2).pow(2).mean() if hasattr(lg.Tensor, "relu") else \
        ((x @ w1 + b1).tanh() @ w2).pow(2).mean()
    return loss, dict(w1=w1, b1=b1, w2=w2)


def test_mlp_nodes_edges_labels():
    loss, params = mlp()
    nodes, edges, saved = parse(to_dot(loss, params=params))
    ops = [label.split("\n")[0] for label, color in nodes.values() if color == "lightgrey"]
    leaves = {label for label, color in nodes.values() if color == "lightblue"}
    outs = [label for label, color in nodes.values() if color == "darkolivegreen1"]
    act = "ReluBackward0" if "ReluBackward0" in ops else "TanhBackward0"
    assert sorted(ops) == sorted(["MeanBackward0", "PowBackward0", "MmBackward0", act, "AddBackward0",
                                  "MmBackward0"])
    assert leaves == {"w1\n(3, 5) float64", "b1\n(5,) float64", "w2\n(5, 1) float64"}
    assert outs == ["output\n() float64"]
    # a tree: every node but the output has exactly one edge out, edges follow the data flow
    assert len(edges) == len(nodes) - 1 and not saved
    (out,) = [k for k, (_, c) in nodes.items() if c == "darkolivegreen1"]
    (mean,) = by_label(nodes, "MeanBackward0")
    assert (mean, out) in edges
    (w1,) = [k for k, (lab, _) in nodes.items() if lab.startswith("w1")]
    assert [b for a, b in edges if a == w1] and all(nodes[b][0] == "MmBackward0" for a, b in edges if a == w1)


def test_unnamed_leaves_and_no_params():
    loss, _ = mlp()
    nodes, _, _ = parse(to_dot(loss))
    assert sorted(lab for lab, c in nodes.values() if c == "lightblue") == [
        "(3, 5) float64", "(5, 1) float64", "(5,) float64"]


def test_shared_subexpression_is_one_node():
    a = lg.tensor([1.0, 2.0], requires_grad=True)
    h = a.exp()
    y = h * h + h
    nodes, edges, _ = parse(to_dot(y, params={"a": a}))
    (exp,) = by_label(nodes, "ExpBackward0")
    (mul,) = by_label(nodes, "MulBackward0")
    (add,) = by_label(nodes, "AddBackward0")
    assert len(nodes) == 5  # leaf, exp, mul, add, output
    assert edges.count((exp, mul)) == 2 and edges.count((exp, add)) == 1 and (mul, add) in edges
    text = io.StringIO()
    print_graph(y, file=text, params={"a": a})
    out = text.getvalue()
    assert out.count("ExpBackward0") == 3 and out.count("ExpBackward0 (see above)") == 2
    assert "AccumulateGrad a (2,) float32" in out


def test_custom_function_and_saved_tensors():
    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2

    x = lg.tensor([1.0, 2.0, 3.0], dtype=lg.float64, requires_grad=True)
    y = Cube.apply(x * 2).sum()
    nodes, edges, saved = parse(to_dot(y, params={"x": x}, show_saved=True))
    (cube,) = by_label(nodes, "CubeBackward")
    (mul,) = by_label(nodes, "MulBackward0")
    assert (mul, cube) in edges
    saved_boxes = [k for k, (lab, c) in nodes.items() if c == "orange"]
    labels = sorted(nodes[k][0] for k in saved_boxes)
    assert "saved: saved_tensors[0]\n(3,) float64" in labels
    # MulBackward0 by a number saves it (as a 0-d tensor, as PyTorch does)
    assert any(b == mul for _, b in saved)
    assert all(b in (cube, mul) for _, b in saved)
    without = parse(to_dot(y, params={"x": x}))
    assert len(without[0]) == len(nodes) - len(saved_boxes)


def test_saved_leaf_joins_leaf_box_and_freed_saved():
    w = lg.tensor([1.0, 2.0], dtype=lg.float64, requires_grad=True)
    v = lg.tensor([3.0, 4.0], dtype=lg.float64, requires_grad=True)
    y = (w * v).sum()
    nodes, edges, saved = parse(to_dot(y, params={"w": w, "v": v}, show_saved=True))
    (mul,) = by_label(nodes, "MulBackward0")
    leaf_ids = {k for k, (_, c) in nodes.items() if c == "lightblue"}
    assert sorted(saved) == sorted((k, mul) for k in leaf_ids)
    assert not [k for k, (_, c) in nodes.items() if c == "orange"]
    y.backward()
    nodes, _, saved = parse(to_dot(y, show_saved=True))
    assert "(saved tensors freed)" in nodes[by_label(nodes, "MulBackward0")[0]][0]


def test_multiple_outputs():
    x = lg.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    a = x.sum(0)
    b = (x * 2).exp()
    c = x.detach()
    nodes, edges, _ = parse(to_dot(a, (b, c), params={"x": x}))
    outs = sorted(lab for lab, col in nodes.values() if col == "darkolivegreen1")
    assert outs == ["output 0\n(2,) float32", "output 1\n(2, 2) float32", "output 2\n(2, 2) float32"]
    (leaf,) = [k for k, (_, c) in nodes.items() if c == "lightblue"]
    assert [b for a, b in edges if a == leaf].__len__() == 2  # x feeds SumBackward0 and MulBackward0
    assert len(nodes) == 1 + 3 + 3  # leaf, Sum/Mul/Exp, three outputs


def test_multi_output_node():
    class Two(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 3

    x = lg.tensor([3.0, 1.0, 2.0], requires_grad=True)
    a, b = Two.apply(x)
    y = a.sum() + b.exp().sum()
    nodes, edges, _ = parse(to_dot(y, a, params={"x": x}))
    (two,) = by_label(nodes, "TwoBackward")
    (sum_a,) = [k for k in by_label(nodes, "SumBackward0") if (two, k) in edges]
    (exp,) = by_label(nodes, "ExpBackward0")
    assert (two, exp) in edges and len([e for e in edges if e[0] == two]) == 3  # Sum, Exp, output a
    outs = [k for k, (_, c) in nodes.items() if c == "darkolivegreen1"]
    assert len(outs) == 2 and any((two, o) in edges for o in outs)  # output 1 is a, straight from Two
    assert sum_a


def test_long_chain_is_iterative():
    x = lg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    nodes, edges, _ = parse(to_dot(y))
    assert len(nodes) == 3002 and len(edges) == 3001
    buf = io.StringIO()
    print_graph(y, file=buf)
    assert buf.getvalue().count("MulBackward0") == 3000


def test_leaf_and_no_grad_outputs():
    x = lg.tensor([1.0], requires_grad=True)
    nodes, edges, _ = parse(to_dot(x, params={"x": x}))
    assert list(nodes.values()) == [("x\noutput\n(1,) float32", "darkolivegreen1")] and not edges
    buf = io.StringIO()
    print_graph(lg.ones(2), file=buf)
    assert "does not require grad" in buf.getvalue()
    with pytest.raises(TypeError):
        to_dot(3)


def test_label_quoting():
    x = lg.tensor([1.0], requires_grad=True)
    nodes, _, _ = parse(to_dot(x * 2, params={'we"ird\\x': x}))
    assert any(lab.startswith('we\\"ird\\\\x') for lab, _ in nodes.values())


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_render(tmp_path, fmt):
    loss, params = mlp()
    path = render(loss, path=tmp_path / "graph", format=fmt, params=params, show_saved=True)
    assert path.endswith("." + fmt)
    data = open(path, "rb").read()
    if fmt == "svg":
        assert b"<svg" in data and b"MmBackward0" in data and b"w1" in data
    else:
        assert data.startswith(b"\x89PNG")


def test_render_without_dot(monkeypatch, tmp_path):
    import builtins
    monkeypatch.setattr(shutil, "which", lambda name: None)
    real_import = builtins.__import__

    def no_graphviz(name, *a, **k):
        if name == "graphviz":
            raise ImportError(name)
        return real_import(name, *a, **k)
    monkeypatch.setattr(builtins, "__import__", no_graphviz)
    x = lg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="apt-get install graphviz") as e:
        render(x * 2, path=tmp_path / "g")
    assert str(e.value) == INSTALL_HINT
    with pytest.raises(ValueError):
        render(x * 2, path=tmp_path / "g", format="gif")
