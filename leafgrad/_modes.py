"""The stack of active function transforms: forward-AD levels and vmap levels.

A transform that is active (a ``dual_level``, a ``func.jvp``, a ``vmap``) is a *mode*
on this stack, outermost first. While the stack is not empty every declared op goes
through ``ops._declare.call``, which offers the op to the modes from the innermost
down: the first mode whose level one of the inputs belongs to runs its rule (compute
the tangent, or rewrite the call for the batch dimension). A rule calls ops in turn;
those see only the modes *below* the one running, so each level handles exactly its
own part, and levels nest (``jacfwd(jacfwd(f))``, ``vmap(vmap(f))``, ``vmap(jvp(f))``).

When the stack is empty (the common case) the ops pay one list test and nothing else.
"""
import contextlib

from . import _tape

#: The active modes, outermost first.
STACK = []
#: How many of STACK the op being called may see: a mode's rule sees those below it.
visible = [0]
#: Modes skipped wherever they are on the stack (vmap runs the engine physically, while
#: forward-AD levels above it still carry tangents).
excluded = set()


class Mode:
    """One level of a transform. Subclasses answer two questions about an op call."""

    #: True for a mode that only watches (a step being captured): the ops' own fast
    #: paths may run under it, as long as they report their writes (``carry_inplace``,
    #: ``wrote_into``).
    observes_only = False

    def claims(self, inputs):
        """Does one of the op's inputs belong to this level?"""
        raise NotImplementedError

    def run(self, spec, inputs, params):
        """The op's result at this level (called with this level and those above hidden)."""
        raise NotImplementedError

    def carry_inplace(self, t, result):
        """After an in-place op wrote ``result`` into ``t``: update what this level keeps
        on ``t`` (its tangent, the rest of its batch). Nothing by default."""

    def wrote_into(self, t, kernel, arrays):
        """An in-place op with nothing to record wrote its result straight into ``t`` by
        ``kernel(*arrays)``. Only modes that observe see this (under the others the op
        takes its general way, and ``carry_inplace``)."""

    def random_draw(self):
        """A random number is about to be drawn while this level is active (vmap's
        ``randomness='error'`` refuses it). Nothing by default."""

    def differentiate(self, fn, outputs, inputs, grad_outputs, kwargs):
        """Take over ``autograd.grad`` / ``backward`` (``fn``) for tensors of this level,
        or return NotImplemented (the default)."""
        return NotImplemented

    def random_batch(self):
        """The batch size a fresh random tensor must have at this level (vmap's
        ``randomness='different'``: one draw per sample), or None."""
        return None

    def batch_random(self, t, levels):
        """``t``, drawn with the batch sizes of ``levels`` in front, as a tensor batched
        at those levels."""
        raise NotImplementedError


def differentiate(fn, outputs, inputs, grad_outputs, kwargs):
    """Offer a backward / autograd.grad call to the active transforms."""
    for mode in list(STACK):
        res = mode.differentiate(fn, outputs, inputs, grad_outputs, kwargs)
        if res is not NotImplemented:
            return res
    return NotImplemented


def random_tensor(draw, shape):
    """A fresh random tensor of ``shape`` from ``draw(shape) -> array``. Under vmap with
    ``randomness='different'`` the draw covers every sample (the batch sizes in front, in
    one draw, as PyTorch does) and the result is batched."""
    from ._tensor import wrap
    levels = [m for m in STACK[:visible[0]] if m.random_batch() is not None]
    if not levels:
        return wrap(_tape.call(draw, tuple(shape)))   # (a captured step draws again on replay)
    with drawing_batched():
        arr = draw(tuple(m.random_batch() for m in levels) + tuple(shape))
    return levels[-1].batch_random(wrap(arr), levels)


_drawing = [0]


@contextlib.contextmanager
def drawing_batched():
    """A draw that already covers every sample (``random_draw`` lets it through)."""
    _drawing[0] += 1
    try:
        yield
    finally:
        _drawing[0] -= 1


def is_drawing_batched():
    return _drawing[0] > 0


def dispatch(spec, inputs, params):
    """The result of the innermost visible mode that claims the call, or None."""
    for i in range(visible[0] - 1, -1, -1):
        mode = STACK[i]
        if mode.claims(inputs) and mode not in excluded:
            old = visible[0]
            visible[0] = i
            try:
                return mode.run(spec, inputs, params)
            finally:
                visible[0] = old
    return None


@contextlib.contextmanager
def active(mode):
    """Push ``mode`` for the duration of the block; it becomes the innermost level."""
    push(mode)
    try:
        yield mode
    finally:
        pop(mode)


def push(mode):
    """``mode`` becomes the innermost level (forward_ad.enter_dual_level, vmap)."""
    STACK.append(mode)
    visible[0] = len(STACK)


def pop(mode):
    STACK.remove(mode)
    visible[0] = len(STACK)


@contextlib.contextmanager
def hidden(mode):
    """Hide ``mode`` and every mode above it (run code as that level's rule would)."""
    old = visible[0]
    visible[0] = min(old, STACK.index(mode)) if mode in STACK else old
    try:
        yield
    finally:
        visible[0] = old


@contextlib.contextmanager
def excluding(modes):
    """Skip ``modes`` (only them) for the duration of the block."""
    added = [m for m in modes if m not in excluded]
    excluded.update(added)
    try:
        yield
    finally:
        excluded.difference_update(added)


def refuse_batched(name, *tensors):
    """A function computed from ``_data`` outside the declared ops would see one sample of
    a batched tensor (vmap): refuse it rather than answer for the first sample only."""
    if any(getattr(t, "_batched", False) for t in tensors):
        raise RuntimeError(f"vmap: {name}() has no batching rule in leafgrad yet; call it outside vmap")


def only_observers():
    """Is every active mode one that only watches?"""
    for mode in STACK:
        if not mode.observes_only:
            return False
    return True


def is_active(mode):
    return mode in STACK
