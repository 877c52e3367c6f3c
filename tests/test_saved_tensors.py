"""Saved tensors side by side with torch: grad_fn._saved_* and saved_tensors_hooks."""
import pytest

from sidebyside import same


def test_saved_attributes_of_common_ops():
    def prog(T):
        x = T.tensor([1., 2.], requires_grad=True)
        w = T.tensor([3., 4.], requires_grad=True)
        m = x * w
        e = x.exp()
        s = x * 2
        return [m.grad_fn._saved_self, m.grad_fn._saved_other, e.grad_fn._saved_result,
                s.grad_fn._saved_other, s.grad_fn._saved_self]
    same(prog)


def test_saved_tensors_hooks_order_and_gradients():
    def prog(T):
        log = []

        def pack(t):
            log.append(("pack", tuple(t.shape)))
            return t.detach().clone() * 1

        def unpack(t):
            log.append(("unpack", tuple(t.shape)))
            return t

        x = T.tensor([1., 2.], requires_grad=True)
        with T.autograd.graph.saved_tensors_hooks(pack, unpack):
            z = (x * x).exp()
        z.sum().backward()
        return [log, x.grad]
    same(prog)


@pytest.mark.parametrize("ctx", ["save_on_cpu", "identity_hooks"])
def test_hooks_take_over_version_checks(ctx):
    # With hooks the saved value is whatever pack returned: PyTorch no longer checks versions.
    def prog(T):
        x = T.tensor([1., 2.], requires_grad=True)
        a = x * 1
        hooks = (T.autograd.graph.save_on_cpu() if ctx == "save_on_cpu"
                 else T.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t))
        with hooks:
            b = a.sin()
        b.sum().backward()
        return x.grad
    same(prog)


def test_unpack_must_return_a_tensor():
    def prog(T):
        x = T.tensor([1., 2.], requires_grad=True)
        with T.autograd.graph.saved_tensors_hooks(lambda t: 1, lambda t: t):
            y = (x * x).sum()
        y.backward()
    ra = same(prog)
    assert ra[0] == "exc"
