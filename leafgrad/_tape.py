"""The hook through which a step being captured (``leafgrad.replay``) records its work.

While ``leafgrad.replay.capture`` records a step, ``recording`` is its recorder: every
piece of array work that the step does (an op's forward through the transform stack,
a derivative formula in the engine, an accumulation into ``.grad``, an optimizer's
fused update) is *noted* as ``out = fn(*args)``, so that it can be run again later on
new arrays without the Python around it. Everywhere else ``recording`` is None, and
the code that could note something pays one attribute test.

This module imports nothing from leafgrad: every layer may use it.
"""
import contextlib
import functools

#: The recorder of the step being captured, or None.
recording = None

#: The functions marked ``kernel``: a replay treats their arrays as the caller's (a kernel
#: may keep or return memory it owns, such as an optimizer's work array).
kernels = set()


#: Functions whose result is a fresh copy of their first argument (a new ``.grad``): a
#: replay may hand over the argument itself where the tape made that array's memory in the
#: same call and nothing reads it afterwards, as PyTorch's AccumulateGrad takes over a
#: gradient nobody else holds.
copies = set()


def note(fn, args, out):
    """Record that ``out = fn(*args)`` (``out``: an array, a tuple of them, or None for
    a function that writes into one of its arguments)."""
    recording.note(fn, args, out)


def read(what):
    """A tensor's value was read into Python (``item()``, ``bool()``, ...)."""
    if recording is not None:
        recording.read(what)


def refuse(reason):
    """The step does something a tape cannot replay (a hook, anomaly mode, ...)."""
    if recording is not None:
        recording.refuse(reason)


def call(fn, *args):
    """``fn(*args)``, noted as one call when a step is being captured."""
    return fn(*args) if recording is None else run_noted(fn, *args)


def run_noted(fn, *args):
    """``fn(*args)``, noted as one call (the work inside it is not noted again)."""
    with paused():
        out = fn(*args)
    note(fn, args, out)
    return out


@contextlib.contextmanager
def paused():
    """Run a noted function's body without noting the work inside it again."""
    global recording
    rec, recording = recording, None
    try:
        yield
    finally:
        recording = rec


def kernel(fn):
    """Mark ``fn`` (NumPy arrays and numbers in, an array or None out) as one step of
    a captured tape: a replay calls it again on that step's arrays. Functions that
    change tensor data outside the declared ops (an optimizer's fused update) are
    written this way so that a captured step sees them."""
    kernels.add(fn)

    @functools.wraps(fn)
    def run(*args):
        return call(fn, *args)
    return run
