"""Backward execution. Knows nodes and edges, never a particular op.

1. Count, for every node reachable from the roots, how many edges lead into it.
2. Keep a ready queue ordered as PyTorch's (the most recently created node first, leaf
   accumulators as soon as they are ready), so gradients are summed in PyTorch's order.
3. Pop a node, run it on its one input buffer, reduce and cast each gradient it returns
   to the shape and dtype its target expects, add it into the target's buffer, and push
   the target once all of its inputs have arrived.

No recursion: a chain of a million nodes needs no Python stack.
"""
from heapq import heappop, heappush

import numpy as np

from . import grad_mode
from .anomaly_mode import apply_checked, state as anomaly
from .graph import add_into, run_tensor_hooks, sum_to, sum_to_call
from .. import _tape
from .. import _tensor as T

_ndarray = np.ndarray


def _count_dependencies(roots):
    deps = {}
    stack = []
    for node in roots:
        if node not in deps:
            deps[node] = 0
            stack.append(node)
    while stack:
        for edge in stack.pop()._next:
            if edge is not None:
                nxt = edge[0]
                count = deps.get(nxt)
                if count is None:
                    deps[nxt] = 1
                    stack.append(nxt)
                else:
                    deps[nxt] = count + 1
    return deps


def _needed_nodes(deps, roots, targets):
    """The nodes on some path from a root to a target: the only ones worth running when
    gradients are wanted for ``targets`` alone."""
    remaining = dict(deps)
    order = []
    stack = [n for n in roots if remaining[n] == 0]
    seen = set(stack)
    while stack:
        node = stack.pop()
        order.append(node)
        for edge in node._next:
            if edge is not None:
                nxt = edge[0]
                remaining[nxt] -= 1
                if remaining[nxt] == 0 and nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
    needed = set()
    for node in reversed(order):
        if node in targets:
            needed.add(node)
            continue
        for e in node._next:
            if e is not None and e[0] in needed:
                needed.add(node)
                break
    return needed


def _invalid_gradient(node, index, g, shape):
    return RuntimeError(
        f"Function {node.name()} returned an invalid gradient at index {index} - got "
        f"{list(g.shape)} but expected shape compatible with {list(shape)}")


class GraphTask:
    """What one backward call will run: hooks that span several tensors
    (register_multi_grad_hook) ask it which of their tensors get a gradient."""

    __slots__ = ("deps", "needed", "__weakref__")

    def __init__(self, deps, needed):
        self.deps, self.needed = deps, needed

    def will_run(self, node):
        return node in self.deps and (self.needed is None or node in self.needed)


#: The backward calls in progress, innermost last (a hook may start another backward).
running = []


def run_backward(roots, root_grads, keep_graph, create_graph, targets=None, capture=False):
    """Propagate ``root_grads`` (arrays, or Tensors when ``create_graph``) from the
    ``roots`` edges. ``targets`` is a list of edges: with ``capture`` their gradients are
    returned (autograd.grad) instead of accumulated; without, only they accumulate
    (``backward(inputs=...)``). Returns the captured gradients, None where none arrived."""
    # A step being captured notes the array work done here (with create_graph that work
    # is Tensor ops, which note themselves).
    taping = _tape.recording is not None and not create_graph
    if _tape.recording is not None:
        _tape.recording.ran_backward = True
    root_nodes = [edge[0] for edge in roots]
    deps = _count_dependencies(root_nodes)
    needed = None
    captured = None
    target_slots = None
    if targets is not None:
        target_nodes = {edge[0] for edge in targets if edge is not None}
        needed = _needed_nodes(deps, root_nodes, target_nodes)
        target_slots = {}
        for i, edge in enumerate(targets):
            if edge is not None:   # (None: a view made with grad mode off, which receives nothing)
                target_slots.setdefault(edge[0], []).append((edge[1], i))
        captured = [None] * len(targets)

    _Tensor = T.Tensor
    buffers = {}
    heap = []
    for (node, nr), g in zip(roots, root_grads):
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * len(node._meta)
            if deps[node] == 0:
                heappush(heap, (node._key, node))
        buf[nr] = g if buf[nr] is None else _tape.run_noted(np.add, buf[nr], g) if taping else buf[nr] + g

    running.append(GraphTask(deps, needed))
    state = grad_mode.state
    prev_enabled = state.enabled
    state.enabled = create_graph
    # Derivative formulas meet 0/0 and inf as PyTorch's do, silently (one context per backward).
    quiet = np.errstate(all="ignore")
    quiet.__enter__()
    try:
        owned = set()   # ids of buffers the engine allocated itself (sums): added into in place
        node = heappop(heap)[1] if heap else None
        buf = buffers.pop(node) if node is not None else None
        while node is not None:
            if owned:
                for g in buf:
                    owned.discard(id(g))
            if node._hooked or target_slots is not None and node in target_slots:
                buf = _prelude(node, buf, target_slots, capture, needed, captured, create_graph)
                if buf is None:  # a captured target that stops here
                    node = heappop(heap)[1] if heap else None
                    buf = buffers.pop(node) if node is not None else None
                    continue
            if buf[0] is None and (len(buf) == 1 or all(g is None for g in buf)):
                # Nothing arrived (every producer returned None): nothing to compute, but
                # the nodes beyond still wait on this one.
                outs = (None,) * len(node._next)
            elif anomaly.enabled:
                _tape.refuse("anomaly detection is on")
                outs = apply_checked(node, buf, create_graph)
            else:
                outs = node._apply(buf, create_graph)
            if node._hooked and node._post_hooks is not None:
                outs = _node_post_hooks(node, outs, buf, create_graph)
            if not keep_graph:
                node._release()
            ready = None  # the one node this one made ready, run next without the heap
            index = -1
            for edge in node._next:
                index += 1
                if edge is None:
                    continue
                nxt, nr = edge
                if needed is not None and nxt not in needed:
                    continue
                g = outs[index]
                if g is not None:
                    shape, dtype = nxt._meta[nr]
                    # (a Tensor's own array answers shape and dtype without building a Size
                    # or a leafgrad dtype)
                    a = g._data if create_graph and isinstance(g, _Tensor) else g
                    if a.shape != shape:
                        reduced = sum_to(g, shape) if not taping else _tape.run_noted(*sum_to_call(g, shape))
                        if reduced is None:
                            raise _invalid_gradient(node, index, g, shape)
                        g = reduced
                        a = g._data if create_graph and isinstance(g, _Tensor) else g
                    if a.dtype is not dtype and a.dtype != dtype:
                        g = g.to(T.from_np_dtype(dtype)) if isinstance(g, T.Tensor) else \
                            _astype(g, dtype) if not taping else _tape.run_noted(_astype, g, dtype)
                nbuf = buffers.get(nxt)
                if nbuf is None:
                    nbuf = [None] * len(nxt._meta)
                    nbuf[nr] = g
                elif g is not None:
                    old = nbuf[nr]
                    if old is None:
                        nbuf[nr] = g
                    elif id(old) in owned:
                        if taping:
                            _tape.run_noted(add_into, old, g)
                        else:
                            np.add(old, g, out=old)
                    else:
                        old = nbuf[nr] = _tape.run_noted(np.add, old, g) if taping else old + g
                        if type(old) is _ndarray and not create_graph:   # (not a NumPy scalar)
                            owned.add(id(old))
                left = deps[nxt] - 1
                if left:
                    deps[nxt] = left
                    buffers[nxt] = nbuf
                    continue
                # Ready. Its count is not stored back: nothing reads it again.
                if ready is not None:
                    heappush(heap, (ready._key, ready))
                    buffers[ready] = rbuf
                ready, rbuf = nxt, nbuf
            # The ready queue's order, without pushing and popping the common case: the node
            # just made ready runs next when it comes before everything queued.
            if ready is not None:
                if not heap or ready._key < heap[0][0]:
                    buffers.pop(ready, None)
                    node, buf = ready, rbuf
                    continue
                heappush(heap, (ready._key, ready))
                buffers[ready] = rbuf
            if heap:
                node = heappop(heap)[1]
                buf = buffers.pop(node)
            else:
                node = None
    finally:
        running.pop()
        quiet.__exit__(None, None, None)
        state.enabled = prev_enabled
    return captured


def _astype(g, dtype):
    return np.asarray(g).astype(dtype)


def _prelude(node, buf, target_slots, capture, needed, captured, graph):
    """What runs before a node that is hooked or a target of autograd.grad: returns its
    gradients after the hooks, or None when the node is a captured target that stops."""
    hooked = node._hooked
    if target_slots is not None:
        slots = target_slots.get(node)
        if slots is not None:
            # autograd.grad() never accumulates into .grad, and a target runs only
            # when some other target lies beyond it. As in PyTorch, a target that
            # will not run gets its tensor hooks applied before the capture; one
            # that will run is captured before them.
            stops = capture and not any(e is not None and e[0] in needed for e in node._next)
            if stops and hooked and (node._tensor_hooks is not None or node._retain is not None):
                buf = _tensor_pre_hooks(node, buf, graph)
            for nr, i in slots:
                captured[i] = buf[nr]
            if stops:
                return None
    if hooked and (node._tensor_hooks is not None or node._retain is not None):
        buf = _tensor_pre_hooks(node, buf, graph)
    if hooked and node._pre_hooks is not None:
        buf = _node_pre_hooks(node, buf, graph)
    return buf


def _as_tensor(g, graph):
    return g if graph or g is None else T.wrap(g)


def _as_value(t, graph):
    if t is None:
        return None
    return t if graph else t._data


def _tensor_pre_hooks(node, buf, graph):
    _tape.refuse("a tensor hook or retain_grad() runs in backward")
    buf = list(buf)
    if node._tensor_hooks is not None:
        for nr, hooks in node._tensor_hooks.items():
            if buf[nr] is not None and hooks:
                buf[nr] = run_tensor_hooks(hooks, buf[nr], graph)
    if node._retain is not None:
        for nr, ref in node._retain.items():
            tensor = ref()
            g = buf[nr]
            if tensor is None or g is None:
                continue
            if tensor._grad is None:
                tensor._grad = g if graph else T.wrap(np.array(g, copy=True))
            else:
                tensor._grad = tensor._grad + _as_tensor(g, graph)
    return buf


def _check_count(hook, got, expected):
    if len(got) != expected:
        raise RuntimeError(f"hook '{getattr(hook, '__name__', hook)}' has returned an incorrect number of values "
                           f"(got {len(got)}, but expected {expected})")


def _node_pre_hooks(node, buf, graph):
    _tape.refuse("a grad_fn pre-hook runs in backward")
    for hook in tuple(node._pre_hooks.values()):
        out = hook(tuple(_as_tensor(g, graph) for g in buf))
        if out is not None:
            _check_count(hook, out, len(buf))
            buf = [_as_value(t, graph) for t in out]
    return buf


def _node_post_hooks(node, outs, buf, graph):
    _tape.refuse("a grad_fn hook runs in backward")
    grad_outputs = tuple(_as_tensor(g, graph) for g in buf)
    for hook in tuple(node._post_hooks.values()):
        res = hook(tuple(_as_tensor(g, graph) for g in outs), grad_outputs)
        if res is not None:
            _check_count(hook, res, len(outs))
            outs = [_as_value(t, graph) for t in res]
    return outs
