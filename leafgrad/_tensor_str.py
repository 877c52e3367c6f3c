"""Tensor printing: PyTorch's ``repr(tensor)`` layout, reproduced on NumPy.

The goal is character-for-character agreement with ``torch/_tensor_str.py``
(torch 2.13) for dense CPU tensors.  The rules that matter are:

* One *formatter* is built for the whole tensor (or, when the tensor is
  summarised, for just the elements that will be displayed).  It decides a
  single style -- integer, fixed-point, or scientific -- and a single column
  width, so every element lines up.
* Floating point styles are chosen from the non-zero finite values only:
  - "int mode" when every such value is integral (printed as ``1.``);
  - scientific notation when max/min > 1000, max > 1e8 or min < 1e-4
    (``sci_mode`` in the print options can force it on or off);
  - otherwise fixed point with ``precision`` decimals.
  Zeros, ``inf`` and ``nan`` never contribute to the column width, which is
  why e.g. ``inf`` can stick out of an otherwise aligned column.
* Numbers are rendered with Python's own ``format`` on Python scalars (the
  exact float64 value of the stored number), exactly as torch does after
  ``.tolist()``/``.item()``.
* Rows wrap so that a line holds ``(linewidth - indent) // (width + 2)``
  elements; continuation lines are indented one past the opening bracket.
* Arrays with more than ``threshold`` elements are summarised: along every
  dimension longer than ``2 * edgeitems`` only the first and last
  ``edgeitems`` entries are shown, separated by ``...``.
* Trailing items (``size=...``, ``dtype=...``, ``requires_grad=True`` ...)
  follow the closing bracket, each on the same line unless that would pass
  ``linewidth``, in which case it starts a new line indented by the prefix.

Nothing here imports torch; the module works on plain ``numpy.ndarray``s.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from typing import Any, Iterator, Sequence

import numpy as np

__all__ = [
    "format_tensor",
    "set_printoptions",
    "get_printoptions",
    "printoptions",
]


# ---------------------------------------------------------------------------
# Print options
# ---------------------------------------------------------------------------


@dataclasses.dataclass
class _PrintOptions:
    # Field order matters: get_printoptions() returns them in this order,
    # matching torch._tensor_str.get_printoptions().
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()

# The named profiles accepted by set_printoptions(profile=...).
# Each gives (precision, threshold, edgeitems, linewidth).
_PROFILES = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set the options used by :func:`format_tensor` (same semantics as torch).

    ``profile`` ('default', 'short' or 'full') is applied first, then any
    explicitly given option overrides it.  An unknown profile name is ignored,
    as in torch.  Note that ``sci_mode`` is *always* assigned, so calling this
    function without ``sci_mode`` returns it to automatic (``None``).
    """
    if profile is not None and profile in _PROFILES:
        (
            PRINT_OPTS.precision,
            PRINT_OPTS.threshold,
            PRINT_OPTS.edgeitems,
            PRINT_OPTS.linewidth,
        ) = _PROFILES[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """Current print options, as keyword arguments for :func:`set_printoptions`."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Temporarily change the print options inside a ``with`` block."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


# ---------------------------------------------------------------------------
# Element formatting
# ---------------------------------------------------------------------------


def _extreme_values(values: np.ndarray) -> list:
    """Python scalars among which the longest printed string is found.

    For every format torch uses (``str(int)``, ``{:.Nf}``, ``{:.Ne}``) the
    length of the text depends only on the sign and on how far the magnitude
    is from 1, and grows monotonically with |x| or with |exponent|.  Within
    each sign the longest text therefore belongs to the value of largest or
    smallest magnitude, so formatting those four candidates gives the same
    maximum width as formatting every element (which torch does, slowly).
    """
    candidates = []
    for part in (values[values > 0], values[values < 0], values[values == 0]):
        if part.size:
            candidates.append(part.min().item())
            candidates.append(part.max().item())
    return candidates


class _Formatter:
    """Chooses one style and column width for a set of real values."""

    def __init__(self, values: np.ndarray) -> None:
        values = values.reshape(-1)
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1

        if not self.floating:
            # Integers and bools print as str(); bool's min/max are
            # False/True, so the same extreme-value trick covers them.
            for value in _extreme_values(values):
                self.max_width = max(self.max_width, len(str(value)))
            return

        nonzero_finite = values[np.isfinite(values) & (values != 0)]
        if nonzero_finite.size == 0:
            # Only zeros / inf / nan: keep int mode (zeros print as "0.").
            # Even a forced sci_mode is not applied in this case.
            return

        magnitudes = np.abs(nonzero_finite).astype(np.float64)
        smallest = magnitudes.min()
        largest = magnitudes.max()

        self.int_mode = bool(np.all(nonzero_finite == np.ceil(nonzero_finite)))

        if PRINT_OPTS.sci_mode is None:
            # (The ratio may overflow to inf for extreme float64 ranges; that
            # still means "scientific", so silence numpy's warning.)
            with np.errstate(over="ignore"):
                ratio = largest / smallest
            self.sci_mode = bool(ratio > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4)
        else:
            self.sci_mode = bool(PRINT_OPTS.sci_mode)

        precision = PRINT_OPTS.precision
        for value in _extreme_values(nonzero_finite):
            if self.sci_mode:
                width = len(f"{value:.{precision}e}")
            elif self.int_mode:
                width = len(f"{value:.0f}") + 1  # room for the trailing "."
            else:
                width = len(f"{value:.{precision}f}")
            self.max_width = max(self.max_width, width)

    def width(self) -> int:
        return self.max_width

    def format(self, value: Any) -> str:
        """Right-align one Python scalar in the column width."""
        if self.floating:
            precision = PRINT_OPTS.precision
            if self.sci_mode:
                text = f"{value:{self.max_width}.{precision}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if math.isfinite(value):
                    text += "."  # mark the tensor as floating point
            else:
                text = f"{value:.{precision}f}"
        else:
            text = f"{value}"
        return text.rjust(self.max_width)


class _ComplexFormatter:
    """Formats complex values as ``real+imagj`` using two real formatters."""

    def __init__(self, real: _Formatter, imag: _Formatter) -> None:
        self.real = real
        self.imag = imag

    def width(self) -> int:
        # Both parts plus the "j"; the sign between them is part of the
        # imaginary column (it is printed with a sign or gets a "+").
        return self.real.width() + self.imag.width() + 1

    def format(self, value: complex) -> str:
        real_text = self.real.format(value.real)
        imag_text = (self.imag.format(value.imag) + "j").lstrip()
        if imag_text[0] in "+-":
            return real_text + imag_text
        return real_text + "+" + imag_text


def _make_formatter(values: np.ndarray) -> _Formatter | _ComplexFormatter:
    if values.dtype.kind == "c":
        return _ComplexFormatter(_Formatter(values.real), _Formatter(values.imag))
    return _Formatter(values)


# ---------------------------------------------------------------------------
# Layout
# ---------------------------------------------------------------------------


def _summarized_values(array: np.ndarray) -> np.ndarray:
    """The elements that a summarised print actually shows.

    Along each dimension longer than 2*edgeitems only the first and last
    edgeitems entries are kept.  (With edgeitems == 0 nothing is printed
    except "...", so the values chosen then do not matter.)
    """
    edge = PRINT_OPTS.edgeitems
    if array.ndim == 0 or edge <= 0:
        return array
    index = []
    for size in array.shape:
        if size > 2 * edge:
            index.append(np.r_[0:edge, size - edge : size])
        else:
            index.append(np.arange(size))
    return array[np.ix_(*index)]


def _vector_str(row: np.ndarray, indent: int, summarize: bool, formatter) -> str:
    """A 1-D array as "[a, b, c]", wrapped to the line width."""
    edge = PRINT_OPTS.edgeitems
    # Every element takes its width plus ", ".
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / (formatter.width() + 2)))

    if summarize and not edge:
        items = ["..."]
    elif summarize and row.shape[0] > 2 * edge:
        # " ..." is an ordinary item, hence the two spaces in "3,  ..., 7".
        items = (
            [formatter.format(v) for v in row[:edge].tolist()]
            + [" ..."]
            + [formatter.format(v) for v in row[-edge:].tolist()]
        )
    else:
        items = [formatter.format(v) for v in row.tolist()]

    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _array_str(array: np.ndarray, indent: int, summarize: bool, formatter) -> str:
    """Recursive body: nested brackets, one level of indent per dimension."""
    if array.ndim == 0:
        return formatter.format(array.item())
    if array.ndim == 1:
        return _vector_str(array, indent, summarize, formatter)

    edge = PRINT_OPTS.edgeitems
    size = array.shape[0]

    def sub(i: int) -> str:
        return _array_str(array[i], indent + 1, summarize, formatter)

    if summarize and size > 2 * edge:
        parts = [sub(i) for i in range(edge)] + ["..."] + [sub(i) for i in range(size - edge, size)]
    else:
        parts = [sub(i) for i in range(size)]

    # Sub-arrays of a k-d array are separated by k-1 newlines: matrix rows sit
    # on consecutive lines, 3-D slices have a blank line between them, etc.
    separator = "," + "\n" * (array.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(parts) + "]"


def _tensor_str(array: np.ndarray, indent: int) -> str:
    """The bracketed data part of the repr (without prefix or suffixes)."""
    if array.size == 0:
        return "[]"
    summarize = array.size > PRINT_OPTS.threshold
    shown = _summarized_values(array) if summarize else array
    return _array_str(array, indent, summarize, _make_formatter(shown))


def _add_suffixes(text: str, suffixes: Sequence[str], indent: int) -> str:
    """Append ", suffix" items and the closing ")" to ``prefix + data``."""
    pieces = [text]
    # Length of the last line.  torch counts this as len - rfind("\n") + 1,
    # i.e. two more than the true length when there is no newline and one
    # more otherwise; the wrap decision depends on it, so keep the quirk.
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            pieces.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            pieces.append(", " + suffix)
            last_line_len += len(suffix) + 2
    pieces.append(")")
    return "".join(pieces)


def format_tensor(
    array: np.ndarray,
    *,
    dtype_suffix: str | None,
    extras: Sequence[str] = (),
    prefix: str = "tensor(",
) -> str:
    """The full repr of a tensor holding ``array``, as torch prints it.

    array:        the data; any shape (0-d and empty included).  Supported
                  dtypes: bool, signed/unsigned integers, float16/32/64 and
                  complex64/128.
    dtype_suffix: e.g. ``'torch.float64'``, or None to leave the dtype out.
                  torch hides it for the default float dtype, int64 and bool
                  (and the default complex dtype) -- but for *empty* tensors
                  it hides only the default float dtype, so the caller should
                  pass e.g. ``'torch.int64'`` for an empty int64 tensor.
    extras:       already formatted trailing items, e.g. ``['requires_grad=True']``
                  or ``['grad_fn=<MulBackward0>']``; they follow the dtype.
    prefix:       text before the data; continuation lines are indented by
                  its length.

    Example: ``tensor([1.0000, 2.5000], dtype=torch.float64, requires_grad=True)``.
    """
    array = np.asarray(array)
    indent = len(prefix)
    suffixes = []

    # torch shows the shape when it cannot be read off the printed data:
    # for empty tensors that are not 1-D, and whenever edgeitems == 0
    # (everything is elided).  It comes before the dtype.
    shape_text = "size=" + str(tuple(int(n) for n in array.shape))
    if array.size == 0:
        if array.ndim != 1:
            suffixes.append(shape_text)
    elif not PRINT_OPTS.edgeitems:
        suffixes.append(shape_text)

    if dtype_suffix is not None:
        suffixes.append("dtype=" + dtype_suffix)
    suffixes.extend(extras)

    return _add_suffixes(prefix + _tensor_str(array, indent), suffixes, indent)
