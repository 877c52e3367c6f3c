"""torch.special as leafgrad.special: the same functions, values, gradients and nodes."""
import numpy as np
import pytest

import leafgrad
from conftest import assert_same, both, torch

_X = [0.3, 1.5, 2.2, 0.05]      # inside every function's domain (logit, erfinv take (0, 1))
_P = [0.3, 0.7, 0.45, 0.05]

CALLS = {
    "expit": lambda S, x: S.expit(x),
    "gammaln": lambda S, x: S.gammaln(x),
    "psi": lambda S, x: S.psi(x),
    "digamma": lambda S, x: S.digamma(x),
    "multigammaln": lambda S, x: S.multigammaln(x + 2, 3),
    "erf": lambda S, x: S.erf(x),
    "erfc": lambda S, x: S.erfc(x),
    "erfinv": lambda S, p: S.erfinv(p),
    "exp2": lambda S, x: S.exp2(x),
    "expm1": lambda S, x: S.expm1(x),
    "i0": lambda S, x: S.i0(x),
    "i1": lambda S, x: S.i1(x),
    "log1p": lambda S, x: S.log1p(x),
    "log_softmax": lambda S, x: S.log_softmax(x, 0),
    "softmax": lambda S, x: S.softmax(x, dim=0),
    "logit": lambda S, p: S.logit(p),
    "logsumexp": lambda S, x: S.logsumexp(x, 0),
    "polygamma": lambda S, x: S.polygamma(1, x),
    "round": lambda S, x: S.round(x * 3),
    "round decimals": lambda S, x: S.round(x * 3, decimals=1),
    "sinc": lambda S, x: S.sinc(x),
    "xlogy": lambda S, x: S.xlogy(x, x + 1),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", CALLS)
def test_special_functions_as_torch(name, dtype):
    def run(T):
        x = T.tensor(_P if name in ("erfinv", "logit") else _X, dtype=getattr(T, dtype), requires_grad=True)
        y = CALLS[name](T.special, x)
        g, = T.autograd.grad(y.sum(), x)
        return y, y.grad_fn.name(), g
    (y1, n1, g1), (y2, n2, g2) = both(run)
    assert n1 == n2
    assert_same(y1, y2, rtol=1e-6 if dtype == "float32" else 1e-9)
    assert_same(g1, g2, rtol=1e-6 if dtype == "float32" else 1e-9)


def test_the_namespace_has_what_it_lists():
    names = {n for n in dir(leafgrad.special) if not n.startswith("_")}
    assert {n.split()[0] for n in CALLS} <= names and all(hasattr(torch.special, n) for n in names)
