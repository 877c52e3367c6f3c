"""torch.normal, torch.bernoulli and torch.multinomial draw what torch draws."""
import numpy as np
import pytest

from sidebyside import same


@pytest.mark.parametrize("case", ["tensor_tensor", "tensor_float", "float_tensor", "float_float_size"])
def test_normal(case):
    def prog(T):
        T.manual_seed(3)
        m, s = T.arange(20.).reshape(4, 5), T.full((4, 5), 0.5)
        args = {"tensor_tensor": (m, s), "tensor_float": (m, 2.0), "float_tensor": (1.0, s),
                "float_float_size": (1.0, 2.0, (3, 7))}[case]
        return [T.normal(*args), T.rand(2)]
    same(prog)


def test_bernoulli_and_multinomial():
    def prog(T):
        T.manual_seed(5)
        p = T.rand(6, 4)
        w = T.tensor([[0.1, 0.5, 0.4], [0.7, 0.2, 0.1]])
        return [T.bernoulli(p), p.bernoulli(), T.bernoulli(p, 0.3), T.multinomial(w, 2),
                T.multinomial(w, 5, replacement=True), w.multinomial(1), T.rand(2)]
    same(prog)
