"""Anomaly detection: remember where each node was created, and when a backward fails or
returns NaN, say which node and show the forward code that made it."""
import traceback
import warnings

import numpy as np


class _Anomaly:
    # Process-wide, as in PyTorch.
    enabled = False
    check_nan = True


state = _Anomaly()


def is_anomaly_enabled():
    return state.enabled


def is_anomaly_check_nan_enabled():
    return state.check_nan


def _warn_enabled():
    warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                  "enabled for debugging.", UserWarning, stacklevel=3)


class detect_anomaly:
    """Context manager (and decorator) enabling anomaly detection inside it."""

    def __init__(self, check_nan=True):
        self.prev = (state.enabled, state.check_nan)
        self.check_nan = check_nan
        _warn_enabled()

    def __enter__(self):
        self.prev = (state.enabled, state.check_nan)
        state.enabled, state.check_nan = True, self.check_nan

    def __exit__(self, *exc):
        state.enabled, state.check_nan = self.prev

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """Turn anomaly detection on or off; as a context manager, restores the previous
    setting on exit."""

    def __init__(self, mode, check_nan=True):
        self.prev = (state.enabled, state.check_nan)
        state.enabled, state.check_nan = bool(mode), check_nan

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        state.enabled, state.check_nan = self.prev


def forward_trace():
    """The Python stack of the op being recorded, for the node to keep."""
    return "".join(traceback.format_stack()[:-3])


def _report(node):
    trace = node._trace
    where = (f"Traceback of forward call that caused the error:\n{trace}" if trace else
             "No forward pass information available. Enable detect anomaly during forward pass for more "
             "information.")
    warnings.warn(f"Error detected in {node.name()}. {where}", UserWarning, stacklevel=4)


def apply_checked(node, buf, graph):
    """Run a node as the engine would, reporting its forward trace when it fails and
    refusing NaN gradients when asked to."""
    try:
        outs = node._apply(buf, graph)
    except Exception:
        _report(node)
        raise
    if state.check_nan:
        for i, g in enumerate(outs):
            if g is not None and np.isnan(np.asarray(g._data if hasattr(g, "_data") else g)).any():
                _report(node)
                raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
    return outs
