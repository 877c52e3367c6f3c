"""Per-op overhead: leafgrad against torch (one thread) and a hand-written NumPy floor.

The workload is dominated by bookkeeping, not arithmetic: 1000 elementwise ops on a
float32 tensor of shape (8,)::

    x = rand(8, requires_grad=True)
    y = x
    for _ in range(250):
        y = (y * 1.0001 + 0.001).tanh() - 0.0001     # 4 ops
    y.sum().backward()

Three implementations, each timed in its own fresh subprocess (this script re-invokes
itself with ``--worker NAME``), interleaved over the repeats (A B C, C B A, A B C, ...)
so that drift of the machine hits all of them alike:

* ``leafgrad`` -- ``import leafgrad as torch``
* ``torch``    -- PyTorch on CPU with ``torch.set_num_threads(1)``
* ``numpy``    -- the floor: the same math on plain arrays with a hand-written
  reverse pass (no graph, no Tensor objects)

Each worker warms up, then times many iterations and reports the median forward and
backward times; the parent reports the median over repeats, in microseconds per op
(1000 ops per iteration), and the ratios leafgrad/torch and leafgrad/numpy.

Usage::

    python bench/overhead.py [--repeats 5] [--iters 200] [--warmup 20] [--json PATH]

Run it from the repository root (or with leafgrad importable). torch is optional:
without it the torch column is skipped.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

STEPS = 250          # loop iterations
OPS_PER_STEP = 4     # mul, add, tanh, sub
N_OPS = STEPS * OPS_PER_STEP
SHAPE = 8
NAMES = ("leafgrad", "torch", "numpy")
CHECK_X = [0.05 + 0.1 * i for i in range(SHAPE)]   # a fixed input to compare gradients on


# ------------------------------------------------------------------ workers
def _autograd_worker(torch, iters, warmup):
    torch.manual_seed(0)
    perf = time.perf_counter

    def run(x=None):
        x = torch.rand(SHAPE, requires_grad=True) if x is None else x
        t0 = perf()
        y = x
        for _ in range(STEPS):
            y = (y * 1.0001 + 0.001).tanh() - 0.0001
        s = y.sum()
        t1 = perf()
        s.backward()
        t2 = perf()
        return t1 - t0, t2 - t1, x.grad

    for _ in range(warmup):
        run()
    fwd, bwd = [], []
    for _ in range(iters):
        f, b, grad = run()
        fwd.append(f)
        bwd.append(b)
    grad = run(torch.tensor(CHECK_X, requires_grad=True))[2]
    return fwd, bwd, [float(v) for v in grad.tolist()]


def _numpy_worker(iters, warmup):
    import numpy as np

    rng = np.random.default_rng(0)
    perf = time.perf_counter
    c1, c2, c3 = np.float32(1.0001), np.float32(0.001), np.float32(0.0001)

    def run(x=None):
        x = rng.random(SHAPE, dtype=np.float32) if x is None else x
        t0 = perf()
        # Forward: keep what the reverse pass needs (the tanh outputs), as autograd does.
        saved = []
        y = x
        for _ in range(STEPS):
            a = y * c1
            b = a + c2
            t = np.tanh(b)
            saved.append(t)
            y = t - c3
        s = y.sum()
        t1 = perf()
        # Reverse pass: d sum / dy = 1; sub and add pass the gradient through,
        # tanh multiplies by 1 - t^2, mul by the constant.
        g = np.ones_like(y)
        for t in reversed(saved):
            g = g * (np.float32(1) - t * t)
            g = g * c1
        grad = g.copy()
        t2 = perf()
        del s
        return t1 - t0, t2 - t1, grad

    for _ in range(warmup):
        run()
    fwd, bwd = [], []
    for _ in range(iters):
        f, b, grad = run()
        fwd.append(f)
        bwd.append(b)
    grad = run(np.array(CHECK_X, dtype=np.float32))[2]
    return fwd, bwd, [float(v) for v in grad.tolist()]


def worker(name, iters, warmup):
    if name == "leafgrad":
        import leafgrad
        fwd, bwd, grad = _autograd_worker(leafgrad, iters, warmup)
    elif name == "torch":
        import torch
        torch.set_num_threads(1)
        fwd, bwd, grad = _autograd_worker(torch, iters, warmup)
    elif name == "numpy":
        fwd, bwd, grad = _numpy_worker(iters, warmup)
    else:
        raise SystemExit(f"unknown worker {name!r}")
    us = 1e6 / N_OPS
    out = {
        "name": name,
        "forward_us_per_op": statistics.median(fwd) * us,
        "backward_us_per_op": statistics.median(bwd) * us,
        "total_us_per_op": statistics.median([f + b for f, b in zip(fwd, bwd)]) * us,
        "check_grad": grad,
    }
    print(json.dumps(out))


# ------------------------------------------------------------------ parent
def _has_torch():
    try:
        import importlib.util
        return importlib.util.find_spec("torch") is not None
    except Exception:
        return False


def _run_worker(name, iters, warmup):
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    # Keep NumPy / BLAS single-threaded too, for a like-for-like comparison.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    proc = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--worker", name,
         "--iters", str(iters), "--warmup", str(warmup)],
        env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"worker {name} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5, help="fresh subprocesses per implementation")
    ap.add_argument("--iters", type=int, default=200, help="timed iterations per subprocess")
    ap.add_argument("--warmup", type=int, default=20, help="untimed iterations per subprocess")
    ap.add_argument("--json", metavar="PATH", help="write the results as JSON")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        worker(args.worker, args.iters, args.warmup)
        return 0

    names = [n for n in NAMES if n != "torch" or _has_torch()]
    if "torch" not in names:
        print("torch not installed: skipping the torch column", file=sys.stderr)
    runs = {n: [] for n in names}
    for r in range(args.repeats):
        order = names if r % 2 == 0 else names[::-1]
        for n in order:
            res = _run_worker(n, args.iters, args.warmup)
            runs[n].append(res)
            print(f"  repeat {r + 1}/{args.repeats} {n:8} total {res['total_us_per_op']:7.2f} us/op",
                  file=sys.stderr)

    keys = ("forward_us_per_op", "backward_us_per_op", "total_us_per_op")
    summary = {n: {k: statistics.median(x[k] for x in runs[n]) for k in keys} for n in names}

    # The three must compute the same gradient (to float32 rounding) on CHECK_X.
    heads = {n: runs[n][0]["check_grad"] for n in names}
    ref = heads[names[0]]
    print(f"gradient check on a fixed input: {', '.join(f'{v:.6g}' for v in ref[:3])} ...",
          file=sys.stderr)
    for n in names[1:]:
        if any(abs(a - b) > 1e-4 * max(1.0, abs(a)) for a, b in zip(ref, heads[n])):
            print(f"warning: gradients differ: {names[0]} {ref} vs {n} {heads[n]}", file=sys.stderr)

    print(f"overhead workload: {N_OPS} elementwise ops on float32 ({SHAPE},), then sum().backward()")
    print(f"{args.repeats} fresh processes each, {args.iters} timed iterations after {args.warmup} "
          "warm-up; medians")
    print()
    print(f"{'':10} {'forward':>10} {'backward':>10} {'total':>10}   (us per op)")
    for n in names:
        s = summary[n]
        print(f"{n:10} {s['forward_us_per_op']:10.2f} {s['backward_us_per_op']:10.2f} "
              f"{s['total_us_per_op']:10.2f}")
    ratios = {}
    for other in ("torch", "numpy"):
        if other in summary:
            ratios[f"leafgrad/{other}"] = {
                k.split("_")[0]: summary["leafgrad"][k] / summary[other][k] for k in keys}
    print()
    for label, r in ratios.items():
        print(f"{label:15} forward {r['forward']:6.2f}x  backward {r['backward']:6.2f}x  "
              f"total {r['total']:6.2f}x")

    if args.json:
        info = {
            "workload": {"ops": N_OPS, "shape": [SHAPE], "dtype": "float32"},
            "repeats": args.repeats, "iters": args.iters, "warmup": args.warmup,
            "python": platform.python_version(), "machine": platform.machine(),
            "cpu_count": os.cpu_count(),
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "us_per_op": summary, "ratios": ratios, "runs": runs,
        }
        with open(args.json, "w") as f:
            json.dump(info, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
