"""``python -m leafgrad``: a guided tour of the autograd model.

Every step runs ordinary PyTorch code (``import leafgrad as torch``) and prints what
it does and why. ``main(argv)`` dispatches on the first argument so that more
subcommands can be added later; with no argument it runs the walkthrough.
"""
import sys
import textwrap

USAGE = """\
usage: python -m leafgrad [COMMAND]

commands:
  demo    walk through the autograd model step by step (the default)
  train   train a small CNN on real handwritten digits and report its test accuracy
          (options: --epochs N, --out DIR; `python -m leafgrad train --help`)
"""


def _section(title):
    print()
    print(title)
    print("-" * len(title))


def _say(text):
    print(textwrap.fill(textwrap.dedent(text).strip(), width=88))


def _show(label, value):
    text = repr(value)
    if "\n" in text:
        print(f"{label} =")
        print(textwrap.indent(text, "    "))
    else:
        print(f"{label} = {text}")


def walkthrough(torch=None):
    """Run the tour. ``torch`` is the module to tour (leafgrad by default); passing
    the real ``torch`` prints the same walkthrough for comparison."""
    if torch is None:
        import leafgrad as torch

    print("leafgrad: PyTorch's autograd on NumPy. Code below is plain PyTorch code,")
    print("run after `import leafgrad as torch`.")

    # ------------------------------------------------------------------ leaves
    _section("1. Leaves and non-leaves")
    _say("""A tensor you create yourself is a leaf. If it has requires_grad=True, autograd
         records every operation that uses it. Results of recorded operations are non-leaves:
         they remember how they were made (grad_fn) instead of storing a gradient.""")
    torch.manual_seed(0)
    a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    c = torch.tensor([4.0, 5.0, 6.0])
    b = a * 2
    d = c * 2
    for name, t in (("a", a), ("c", c), ("b = a * 2", b), ("d = c * 2", d)):
        print(f"{name:10} is_leaf={t.is_leaf!s:5}  requires_grad={t.requires_grad!s:5}  "
              f"grad_fn={t.grad_fn}")
    _say("""d depends on no tensor that requires grad, so nothing was recorded: it is a leaf
         again, like c.""")

    # ------------------------------------------------------------------ grad vs grad_fn
    _section("2. grad versus grad_fn")
    _say(""".grad_fn is the node of the backward graph that produced a tensor;
         next_functions are the edges to the nodes of its inputs. A leaf that requires grad
         is reached through an AccumulateGrad node, which writes into its .grad.""")
    y = (a * a).sum()
    _show("y = (a * a).sum()", y)
    print("y.grad_fn                 =", y.grad_fn)
    print("y.grad_fn.next_functions  =", y.grad_fn.next_functions)
    mul_node = y.grad_fn.next_functions[0][0]
    print("MulBackward0.next_functions =", mul_node.next_functions)
    print("a.grad before backward    =", a.grad)
    y.backward()
    print("a.grad after y.backward() =", a.grad, "  (d/da sum(a*a) = 2a)")

    # ------------------------------------------------------------------ retain_grad
    _section("3. retain_grad on an intermediate")
    _say("""Only leaves keep .grad. Call .retain_grad() on a non-leaf to keep the gradient
         that flows through it.""")
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    z = (h * h).sum()
    z.backward()
    print("h = x * 3, z = (h * h).sum()")
    print("h.retains_grad =", h.retains_grad)
    print("h.grad =", h.grad, "  (dz/dh = 2h)")
    print("x.grad =", x.grad, "  (dz/dx = 2h * 3)")

    # ------------------------------------------------------------------ explicit gradient
    _section("4. backward of a non-scalar output needs a `gradient`")
    _say("""backward() without arguments only works for a scalar. For a tensor output, pass
         the vector v of the vector-Jacobian product v^T J you want.""")
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    try:
        y.backward()
    except RuntimeError as e:
        print("y.backward() ->", type(e).__name__ + ":", e)
    y.backward(torch.tensor([1.0, 0.1, 0.01]))
    print("y = x * x; y.backward(torch.tensor([1.0, 0.1, 0.01]))")
    print("x.grad =", x.grad, "  (2x * v)")

    # ------------------------------------------------------------------ retain_graph
    _section("5. retain_graph=True to backward twice")
    _say("""backward frees the values the graph saved for the derivative. A second backward
         through the same graph fails, unless the first one kept them with retain_graph=True.
         Gradients accumulate into .grad across calls.""")
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    try:
        y.backward()
    except RuntimeError as e:
        print("second y.backward() ->", type(e).__name__ + ":")
        print(textwrap.indent(textwrap.fill(str(e), width=84), "    "))
    x.grad = None
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    print("after backward(retain_graph=True): x.grad =", x.grad)
    y.backward()
    print("after a second backward:            x.grad =", x.grad, " (accumulated: twice as much)")

    # ------------------------------------------------------------------ create_graph
    _section("6. create_graph=True for a second derivative")
    _say("""With create_graph=True the backward pass is itself recorded, so the gradient has a
         grad_fn and can be differentiated again.""")
    x = torch.tensor(2.0, requires_grad=True)
    y = x ** 3
    (dy,) = torch.autograd.grad(y, x, create_graph=True)
    print("y = x ** 3 at x = 2")
    print("dy/dx   =", dy, "  (3x^2)")
    (d2y,) = torch.autograd.grad(dy, x)
    print("d2y/dx2 =", d2y, "  (6x)")

    # ------------------------------------------------------------------ autograd.grad
    _section("7. torch.autograd.grad and allow_unused")
    _say("""autograd.grad returns gradients instead of accumulating them into .grad. Asking
         for an input the output does not depend on is an error, unless allow_unused=True,
         which gives None for it.""")
    p = torch.tensor([1.0, 2.0], requires_grad=True)
    q = torch.tensor([3.0, 4.0], requires_grad=True)
    out = (p * p).sum()
    try:
        torch.autograd.grad(out, (p, q), retain_graph=True)
    except RuntimeError as e:
        print("autograd.grad(out, (p, q)) ->", type(e).__name__ + ":")
        print(textwrap.indent(textwrap.fill(str(e), width=84), "    "))
    gp, gq = torch.autograd.grad(out, (p, q), allow_unused=True)
    print("autograd.grad(out, (p, q), allow_unused=True) =", (gp, gq))
    print("p.grad =", p.grad, "  (untouched)")

    # ------------------------------------------------------------------ grad modes
    _section("8. Grad modes")
    _say("""no_grad stops recording; enable_grad turns it back on inside; set_grad_enabled(flag)
         picks either; inference_mode is no_grad for tensors that will never meet autograd.""")
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with torch.no_grad():
        y = x * 2
        with torch.enable_grad():
            w = x * 2
    print("under no_grad:              (x * 2).requires_grad =", y.requires_grad, " grad_fn =", y.grad_fn)
    print("enable_grad inside no_grad: (x * 2).requires_grad =", w.requires_grad, " grad_fn =", w.grad_fn)
    for flag in (False, True):
        with torch.set_grad_enabled(flag):
            y = x * 2
        print(f"set_grad_enabled({flag!s:5}):    (x * 2).requires_grad = {y.requires_grad}")
    with torch.inference_mode():
        y = x * 2
    print("inference_mode:             (x * 2).requires_grad =", y.requires_grad,
          " is_inference =", y.is_inference())
    print("torch.is_grad_enabled() outside all of them =", torch.is_grad_enabled())

    # ------------------------------------------------------------------ custom Function
    _section("9. A custom autograd.Function")
    _say("""A Function defines forward and backward itself. forward saves what backward needs
         with ctx.save_for_backward; backward returns one gradient per input of forward.""")

    class line(torch.autograd.Function):
        @staticmethod
        def forward(ctx, w, x, b):
            ctx.save_for_backward(w, x, b)
            return w * x + b

        @staticmethod
        def backward(ctx, grad_out):
            w, x, b = ctx.saved_tensors
            return grad_out * x, grad_out * w, grad_out

    torch.manual_seed(0)
    w, x, b = (torch.rand(2, 2, requires_grad=True) for _ in range(3))
    out = line.apply(w, x, b)
    out.backward(torch.ones(2, 2))
    _show("w", w)
    _show("x", x)
    _show("b", b)
    _show("out = line.apply(w, x, b)", out)
    _show("w.grad (= x)", w.grad)
    _show("x.grad (= w)", x.grad)
    _show("b.grad (= 1)", b.grad)

    # ------------------------------------------------------------------ transforms
    _section("10. Forward mode and torch.func")
    _say("""Forward mode pushes a tangent t through the ops: one pass gives J t. torch.func's
         transforms compose: hessian is jacfwd(jacrev(f)), and vmap runs a function on a
         whole batch at once (here: one gradient per sample).""")
    fw = torch.autograd.forward_ad
    x = torch.tensor([0.5, 1.0, 2.0])
    with fw.dual_level():
        y = fw.make_dual(x, torch.ones(3)).sin()
        print("tangent of sin(x) along t = 1:", fw.unpack_dual(y).tangent, "  (cos x)")
    f = lambda v: (v ** 3).sum()  # noqa: E731
    print("torch.func.grad(f)(x)    =", torch.func.grad(f)(x), "  (f = sum(x^3): 3x^2)")
    print("torch.func.hessian(f)(x) =")
    print("   ", str(torch.func.hessian(f)(x)).replace("\n", "\n    "), "  (diag 6x)")
    w = torch.tensor([1.0, -2.0, 0.5])
    batch = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    per_sample = torch.vmap(torch.func.grad(lambda w, xi: (w * xi).sum() ** 2), in_dims=(None, 0))(w, batch)
    print("vmap(grad(loss), in_dims=(None, 0))(w, batch) =")
    print("   ", str(per_sample).replace("\n", "\n    "), "  (2 (w.x) x per row)")
    print()
    print("Done. See README.md and docs/autograd.md for how it works.")


def _train(args):
    from .train_demo import main as train_main
    return train_main(args)


# Each command takes the arguments after its name; one that takes none is called bare.
COMMANDS = {"demo": walkthrough, "train": _train}
TAKES_ARGS = {"train"}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:
        walkthrough()
        return 0
    cmd = argv[0]
    if cmd in ("-h", "--help", "help"):
        print(USAGE, end="")
        return 0
    fn = COMMANDS.get(cmd)
    if fn is None or (len(argv) > 1 and cmd not in TAKES_ARGS):
        print(USAGE, end="", file=sys.stderr)
        return 2
    if cmd in TAKES_ARGS:
        return fn(argv[1:]) or 0
    fn()
    return 0


if __name__ == "__main__":
    sys.exit(main())
