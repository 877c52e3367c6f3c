"""Pictures of the backward graph (PyTorch has none built in; this is in the spirit of
the torchviz package, written from scratch).

* ``to_dot(*tensors, params=None, show_saved=False)``: Graphviz DOT text. One node per
  backward node reachable from the tensors' ``grad_fn``; an ``AccumulateGrad`` node is
  drawn as its leaf tensor (a light blue box: name from ``params``, shape, dtype); op
  nodes are grey boxes labelled with their class name (``MulBackward0``); each output
  tensor is a green box with its shape; with ``show_saved=True`` the tensors saved for
  backward are orange boxes joined to their node by dashed edges, and saved non-tensor
  values (shapes, scalars) are listed in the node's label. Edges follow the forward data
  flow: input -> op -> output.
* ``render(*tensors, path, format="svg", ...)``: writes the picture with the Graphviz
  ``dot`` program (or the ``graphviz`` Python package, which also needs ``dot``).
* ``print_graph(t, file=None)``: a plain-text tree; needs nothing.

Every walk is iterative (a chain of a million nodes needs no Python stack).
"""
import io
import shutil
import subprocess
import sys

import numpy as np

from .. import _tensor as T
from .graph import AccumulateGrad

__all__ = ["to_dot", "render", "print_graph"]

OUTPUT_COLOR = "darkolivegreen1"
LEAF_COLOR = "lightblue"
SAVED_COLOR = "orange"
OP_COLOR = "lightgrey"


def _tensors(tensors):
    out = []
    for t in tensors:
        if isinstance(t, (tuple, list)):
            out.extend(_tensors(t))
        elif isinstance(t, T.Tensor):
            out.append(t)
        else:
            raise TypeError(f"expected Tensors, got {type(t).__name__}")
    return out


def _shape(t):
    return "(" + ", ".join(str(n) for n in t.shape) + ("," if t.dim() == 1 else "") + ")"


def _dtype(t):
    return str(t.dtype).replace("torch.", "")


def _names(params):
    if params is None:
        return {}
    if not isinstance(params, dict):
        params = dict(params)
    return {id(v): k for k, v in params.items()}


def _leaf_label(var, names):
    head = names.get(id(var), "")
    return (head + "\n" if head else "") + f"{_shape(var)} {_dtype(var)}"


def _quote(s):
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _edges(node):
    return [e[0] for e in node.next_functions if e[0] is not None]


def _walk(roots):
    """Every node reachable from ``roots``, in first-visit order (depth first, inputs in order)."""
    order, seen = [], set()
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        order.append(node)
        stack.extend(reversed([n for n in _edges(node) if n not in seen]))
    return order


def _saved(node):
    """(name, value) pairs of what ``node`` saved for backward; None when freed."""
    plan = getattr(node, "_plan", None)
    try:
        if plan is not None:
            return [(name, getattr(node, "_saved_" + name)) for name in plan.names]
        if hasattr(type(node), "saved_tensors"):
            return [(f"saved_tensors[{i}]", t) for i, t in enumerate(node.saved_tensors)]
    except RuntimeError:  # freed by a backward without retain_graph
        return None
    return []


def _format_value(v):
    if isinstance(v, np.ndarray):
        return str(tuple(v.tolist())) if v.ndim else str(v.item())
    if isinstance(v, (list, tuple)) and len(v) > 6:
        return f"[{len(v)} items]"
    return str(v)


def to_dot(*tensors, params=None, show_saved=False):
    """The backward graph of ``tensors`` as Graphviz DOT text."""
    outputs = _tensors(tensors)
    names = _names(params)
    lines = ["digraph backward {",
             '    graph [rankdir=TB, ordering=in];',
             '    node [shape=box, style=filled, fontname="monospace", fontsize=10, height=0.2];']
    ids = {}

    def nid(key):
        if key not in ids:
            ids[key] = f"n{len(ids)}"
        return ids[key]

    roots = []
    for t in outputs:
        if t.grad_fn is not None:
            roots.append(t.grad_fn)
    nodes = _walk(roots)
    leaf_ids = {}
    body, edges = [], []
    for node in nodes:
        me = nid(("node", id(node)))
        if isinstance(node, AccumulateGrad):
            var = node.variable
            leaf_ids[id(var)] = me
            body.append(f"    {me} [label={_quote(_leaf_label(var, names))}, fillcolor={LEAF_COLOR}];")
            continue
        label = type(node).__name__
        saved = _saved(node) if show_saved else []
        extra = []
        if saved is None:
            extra.append("(saved tensors freed)")
        else:
            for name, value in saved:
                if isinstance(value, T.Tensor) or value is None or (
                        isinstance(value, (tuple, list)) and value and all(isinstance(v, T.Tensor) for v in value)):
                    continue
                extra.append(f"{name} = {_format_value(value)}")
        if extra:
            label += "\n" + "\n".join(extra)
        body.append(f"    {me} [label={_quote(label)}, fillcolor={OP_COLOR}];")
    for node in nodes:
        me = ids[("node", id(node))]
        for nxt in _edges(node):
            edges.append(f"    {ids[('node', id(nxt))]} -> {me};")
    if show_saved:
        # One box per saved array (the same tensor saved by several nodes, or under several
        # names, is one box listing every name); a saved leaf joins its leaf box.
        boxes = {}
        for node in nodes:
            if isinstance(node, AccumulateGrad):
                continue
            me = ids[("node", id(node))]
            for name, value in _saved(node) or []:
                values = list(value) if isinstance(value, (tuple, list)) else [value]
                for i, v in enumerate(values):
                    if not isinstance(v, T.Tensor):
                        continue
                    label = f"{name}[{i}]" if isinstance(value, (tuple, list)) else name
                    if id(v) in leaf_ids:
                        src = leaf_ids[id(v)]
                    else:
                        key = ("saved", id(v._data))
                        src = nid(key)
                        box = boxes.setdefault(src, [[], v])
                        if label not in box[0]:
                            box[0].append(label)
                    edges.append(f"    {src} -> {me} [style=dashed, dir=none];")
        for src, (labels, v) in boxes.items():
            text = "saved: " + ", ".join(labels) + "\n" + _shape(v) + " " + _dtype(v)
            body.append(f"    {src} [label={_quote(text)}, fillcolor={SAVED_COLOR}];")
    for k, t in enumerate(outputs):
        me = nid(("out", k))
        label = (f"output {k}\n" if len(outputs) > 1 else "output\n") + f"{_shape(t)} {_dtype(t)}"
        if t.grad_fn is None and id(t) in names:
            label = names[id(t)] + "\n" + label
        body.append(f"    {me} [label={_quote(label)}, fillcolor={OUTPUT_COLOR}];")
        if t.grad_fn is not None:
            edges.append(f"    {ids[('node', id(t.grad_fn))]} -> {me};")
    return "\n".join(lines + body + edges + ["}"]) + "\n"


INSTALL_HINT = (
    "Rendering the graph needs the Graphviz 'dot' program, which was not found on PATH. Install it with your "
    "system's package manager (Debian/Ubuntu: `apt-get install graphviz`; macOS: `brew install graphviz`; "
    "conda: `conda install graphviz`), or `pip install graphviz` together with that system package. "
    "Without it, `to_dot(...)` still gives the DOT text (paste it into any Graphviz viewer) and "
    "`print_graph(...)` prints a text tree.")


def render(*tensors, path, format="svg", params=None, show_saved=False):
    """Draw the graph into ``path`` (``.svg``/``.png`` added when missing) and return the path."""
    if format not in ("svg", "png", "pdf"):
        raise ValueError(f"format must be 'svg', 'png' or 'pdf', got {format!r}")
    text = to_dot(*tensors, params=params, show_saved=show_saved)
    path = str(path)
    if not path.endswith("." + format):
        path = f"{path}.{format}"
    exe = shutil.which("dot")
    if exe is not None:
        proc = subprocess.run([exe, f"-T{format}", "-o", path], input=text.encode(), capture_output=True)
        if proc.returncode != 0:
            raise RuntimeError(f"dot failed ({proc.returncode}): {proc.stderr.decode(errors='replace')}")
        return path
    try:
        import graphviz  # noqa: F401  (the Python package; it runs the same program)
    except ImportError:
        raise RuntimeError(INSTALL_HINT) from None
    try:
        data = graphviz.Source(text).pipe(format=format)
    except Exception as e:  # graphviz.ExecutableNotFound and friends
        raise RuntimeError(INSTALL_HINT + f" ({type(e).__name__}: {e})") from None
    with open(path, "wb") as f:
        f.write(data)
    return path


def print_graph(t, file=None, params=None):
    """Print the backward graph of ``t`` (a Tensor or several) as an indented tree.
    A node reached a second time (a shared subexpression) is printed once with its
    inputs; later visits say ``(see above)``."""
    names = _names(params)
    out = file if file is not None else sys.stdout
    buf = io.StringIO()
    shown = set()
    for k, tensor in enumerate(_tensors([t])):
        buf.write(f"output{'' if k == 0 and not isinstance(t, (tuple, list)) else ' ' + str(k)}: "
                  f"{_shape(tensor)} {_dtype(tensor)}\n")
        if tensor.grad_fn is None:
            buf.write("└─ (no grad_fn: " + ("leaf requiring grad" if tensor.requires_grad else
                                            "does not require grad") + ")\n")
            continue
        stack = [(tensor.grad_fn, "", True)]
        while stack:
            node, prefix, last = stack.pop()
            branch = "└─ " if last else "├─ "
            if isinstance(node, AccumulateGrad):
                var = node.variable
                name = names.get(id(var))
                text = "AccumulateGrad" + (f" {name}" if name else "") + f" {_shape(var)} {_dtype(var)}"
            else:
                text = type(node).__name__
            if node in shown and not isinstance(node, AccumulateGrad):
                buf.write(f"{prefix}{branch}{text} (see above)\n")
                continue
            shown.add(node)
            buf.write(f"{prefix}{branch}{text}\n")
            kids = _edges(node)
            child_prefix = prefix + ("   " if last else "│  ")
            for i in reversed(range(len(kids))):
                stack.append((kids[i], child_prefix, i == len(kids) - 1))
    out.write(buf.getvalue())
