"""The demo (`python -m leafgrad`) prints, run with leafgrad, what it prints run with torch:
the same code, the same numbers, graphs and messages (leafgrad's hint lines aside)."""
import contextlib
import io
import re
import warnings

import torch

import leafgrad
from leafgrad.__main__ import walkthrough


def _printed(mod):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        walkthrough(mod)
    text = re.sub(r" at 0x[0-9a-f]+", "", buf.getvalue())
    # leafgrad's hints follow PyTorch's message, wrapped into the same paragraph
    return re.sub(r" Hint: [^\n]*\n(    [^\n]*\n)*", "\n", text)


def test_walkthrough_prints_what_torch_prints():
    assert _printed(leafgrad) == _printed(torch)
