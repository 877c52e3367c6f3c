"""Hints leafgrad adds after PyTorch's message (which stays word for word the first line)."""
import pytest
import torch

import leafgrad


def _message(T, prog):
    with pytest.raises(RuntimeError) as info:
        prog(T)
    return str(info.value)


def _no_grad_output(T):
    x = T.ones(2, requires_grad=True)
    with T.no_grad():
        y = (x * 2).sum()
    y.backward()


def _detached_output(T):
    x = T.ones(2, requires_grad=True)
    (x.detach() * 3).sum().backward()


def _backward_twice(T):
    x = T.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()


@pytest.mark.parametrize("prog, hint", [
    (_no_grad_output, "grad mode was off"),
    (_detached_output, ".detach()"),
    (_backward_twice, "MulBackward0"),
])
def test_first_line_is_torchs_then_a_hint(prog, hint):
    theirs, ours = _message(torch, prog), _message(leafgrad, prog)
    assert ours.startswith(theirs + "\n")
    assert hint in ours[len(theirs):]


def test_no_graph_hint_warns_against_requires_grad_on_the_loss():
    assert "requires_grad=True" in _message(leafgrad, _no_grad_output).split("\n", 1)[1]
