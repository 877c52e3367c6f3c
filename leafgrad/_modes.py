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

#: The active modes, outermost first.
STACK = []
#: How many of STACK the op being called may see: a mode's rule sees those below it.
visible = [0]
#: Modes skipped wherever they are on the stack (vmap runs the engine physically, while
#: forward-AD levels above it still carry tangents).
excluded = set()


class Mode:
    """One level of a transform. Subclasses answer two questions about an op call."""

    def claims(self, inputs):
        """Does one of the op's inputs belong to this level?"""
        raise NotImplementedError

    def run(self, spec, inputs, params):
        """The op's result at this level (called with this level and those above hidden)."""
        raise NotImplementedError

    def carry_inplace(self, t, result):
        """After an in-place op wrote ``result`` into ``t``: update what this level keeps
        on ``t`` (its tangent, the rest of its batch). Nothing by default."""

    def random_draw(self):
        """A random number is about to be drawn while this level is active (vmap's
        ``randomness='error'`` refuses it). Nothing by default."""


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
    old = visible[0]
    STACK.append(mode)
    visible[0] = len(STACK)
    try:
        yield mode
    finally:
        STACK.remove(mode)
        visible[0] = old


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


def is_active(mode):
    return mode in STACK
