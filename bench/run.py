"""leafgrad benchmark suite: leafgrad against torch (one thread and default threads) and a
hand-written NumPy floor, workload by workload.

Usage::

    python bench/run.py [workload ...] [--repeats N] [--json PATH] [--quick]

Workloads (all by default): overhead mlp mlp_small elementwise hvp conv memory deep_chain
training_loop; see bench/README.md and bench/workloads.py.

Implementations (columns):

* ``leafgrad``  -- ``import leafgrad as torch``, from this repository (eager);
* ``replay``    -- the same leafgrad step wrapped in ``leafgrad.replay.capture`` (for the
  workloads that time a repeated step; see README);
* ``torch@1t``  -- PyTorch with ``torch.set_num_threads(1)``;
* ``torch``     -- PyTorch with its default number of threads;
* ``numpy``     -- the floor: hand-written forward and backward on NumPy arrays;
* ``autograd`` (HIPS) and ``mygrad`` -- only when importable, and only for the workloads
  that have an implementation for them (see README).

Every (workload, implementation) pair runs in its own fresh subprocess (this script
re-invokes itself with ``--worker``), in interleaved order over the repeats (A B C D,
D C B A, ...) so that drift of the machine hits all alike; each subprocess warms up and
times for a budget of seconds; the table shows medians over the repeats and the ratios
leafgrad/torch@1t, leafgrad/torch and leafgrad/numpy.  Every worker also returns a checksum
on fixed data (loss, sums of absolute gradients); the parent warns when they disagree.

leafgrad, numpy and torch@1t run with OMP/OPENBLAS/MKL_NUM_THREADS=1 (unless set in the
environment already), so NumPy's BLAS is single-threaded like torch@1t; the ``torch``
column runs in the unmodified environment.
"""
import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

WORKLOADS = ("overhead", "mlp", "mlp_small", "elementwise", "hvp", "conv", "memory",
             "deep_chain", "training_loop")
ALIASES = {"deep": "deep_chain", "chain": "deep_chain", "training": "training_loop",
           "train": "training_loop", "loop": "training_loop"}
CORE = ("leafgrad", "replay", "torch@1t", "torch", "numpy")
OURS = ("leafgrad", "replay")                # columns with ratios and goals
OPTIONAL = ("autograd", "mygrad")
REFS = ("torch@1t", "torch", "numpy")     # ratio denominators

# workload -> (metric, reference column, limit) for "leafgrad metric <= limit * reference"
GOALS = {
    "overhead": ("total_us_per_op", "torch@1t", 0.5),
    "mlp": ("ms_per_step", "numpy", 1.10),
    "mlp_small": ("ms_per_step", "torch@1t", 0.5),
    "elementwise": ("ms_per_step", "numpy", 1.10),
    "hvp": ("us_per_step", "torch@1t", 0.5),
    "conv": ("ms_per_step", "torch@1t", 1.5),
    "memory": ("peak_increase_MiB", "torch", 1.0),
}
GOAL_TEXT = {
    "overhead": "<= 0.5x torch@1t", "mlp": "<= 1.10x numpy", "mlp_small": "<= 0.5x torch@1t",
    "elementwise": "<= 1.10x numpy", "hvp": "<= 0.5x torch@1t", "conv": "<= 1.5x torch@1t",
    "memory": "<= 1.0x torch", "deep_chain": "bwd/op max/min <= 1.3",
    "training_loop": "growth < 5 MiB",
}
# metrics shown in the table (deep_chain's depend on the lengths and are found at run time)
SHOWN = {
    "overhead": ("total_us_per_op", "forward_us_per_op", "backward_us_per_op"),
    "mlp": ("ms_per_step",), "mlp_small": ("ms_per_step",), "elementwise": ("ms_per_step",),
    "hvp": ("us_per_step",), "conv": ("ms_per_step",),
    "memory": ("peak_increase_MiB",),
    "training_loop": ("rss_growth_MiB", "rss_after_100_MiB", None, "ms_per_step"),
}
SINGLE = {"deep_chain": 1, "training_loop": 1}     # default repeats where 3 would be waste
NO_RATIO = ("rss_growth_MiB", "rss_after_100_MiB", "backward_max_over_min", "total_max_over_min")


def config(quick):
    if quick:
        return {"quick": True, "budget": 0.15, "sample": 0.03, "min_samples": 3}
    return {"quick": False, "budget": 1.0, "sample": 0.2, "min_samples": 5}


# ------------------------------------------------------------------ worker side
def worker(workload, impl, quick):
    sys.path.insert(0, HERE)    # bench/overhead.py, bench/workloads.py
    sys.path.insert(0, ROOT)    # this checkout's leafgrad
    import workloads
    metrics, check = workloads.run(workload, impl, config(quick))
    print(json.dumps({"metrics": metrics, "check": check}))


# ------------------------------------------------------------------ parent side
def _importable(name):
    try:
        return importlib.util.find_spec(name) is not None
    except Exception:
        return False


def _has_impl(impl, workload):
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    import workloads
    if impl == "replay":
        return workload in workloads.REPLAYED
    if impl in CORE:
        return True
    return hasattr(workloads, f"{workload}_{workloads.OPTIONAL[impl]}")


def run_worker(workload, impl, quick):
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if impl != "torch":
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(var, "1")
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", impl, workload]
    if quick:
        cmd.append("--quick")
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT, timeout=900)
    except subprocess.TimeoutExpired:
        return {"error": "timed out after 900 s"}
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip()
                else f"exit status {proc.returncode}", "stderr": proc.stderr[-4000:]}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall_s"] = wall
    return out


def _close(a, b, rtol=2e-3):
    return abs(a - b) <= rtol * max(abs(a), abs(b), 1e-6)


def check_agreement(workload, runs, impls):
    """Warn when the checksums of the implementations disagree beyond float32 tolerance."""
    heads = {n: next((r["check"] for r in runs[n] if "check" in r), None) for n in impls}
    heads = {n: c for n, c in heads.items() if c is not None}
    if not heads:
        return []
    ref_name = next((n for n in ("torch@1t", "torch", "numpy") if n in heads), next(iter(heads)))
    ref = heads[ref_name]
    warnings = []
    for n, c in heads.items():
        if len(c) != len(ref) or not all(_close(a, b) for a, b in zip(c, ref)):
            warnings.append(f"{workload}: checksums differ: {ref_name} {ref} vs {n} {c}")
    return warnings


def summarize(runs, impls):
    summary = {}
    for n in impls:
        ok = [r["metrics"] for r in runs[n] if "metrics" in r]
        if not ok:
            continue
        keys = [k for k, v in ok[0].items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
        summary[n] = {k: statistics.median(m[k] for m in ok) for k in keys}
    return summary


def ratios_of(summary):
    out = {}
    for ours in OURS:
        if ours not in summary:
            continue
        for ref in REFS:
            if ref in summary:
                out[f"{ours}/{ref}"] = {
                    k: (v / summary[ref][k] if summary[ref].get(k) else None)
                    for k, v in summary[ours].items() if k in summary[ref]}
    return out


def goals_of(workload, summary):
    """The goal, judged for the eager column and for the replay column."""
    return {ours: g for ours in OURS if (g := goal_of(workload, summary, ours)) is not None}


def goal_of(workload, summary, ours="leafgrad"):
    lg = summary.get(ours)
    if lg is None:
        return None
    if workload in GOALS:
        metric, ref, limit = GOALS[workload]
        if ref not in summary or not summary[ref].get(metric):
            return None
        value = lg[metric] / summary[ref][metric]
        return {"value": value, "limit": limit, "met": value <= limit, "text": GOAL_TEXT[workload]}
    if workload == "deep_chain" and "backward_max_over_min" in lg:
        value = lg["backward_max_over_min"]
        return {"value": value, "limit": 1.3, "met": value <= 1.3, "text": GOAL_TEXT[workload]}
    if workload == "training_loop" and "rss_growth_MiB" in lg:
        value = lg["rss_growth_MiB"]
        return {"value": value, "limit": 5.0, "met": value < 5.0, "text": GOAL_TEXT[workload]}
    return None


def _fmt(v):
    if v is None:
        return "-"
    a = abs(v)
    if a >= 1000:
        return f"{v:.0f}"
    if a >= 100:
        return f"{v:.1f}"
    if a >= 10:
        return f"{v:.2f}"
    return f"{v:.3f}"


def shown_metrics(workload, summary):
    if workload == "deep_chain":
        keys = {k for m in summary.values() for k in m}
        lens = sorted({int(k.split("@")[1]) for k in keys if "@" in k})
        return ([f"backward_us_per_op@{L}" for L in lens] + ["backward_max_over_min"]
                + [f"forward_us_per_op@{L}" for L in lens]
                + [f"total_us_per_op@{L}" for L in lens] + ["total_max_over_min"])
    if workload == "training_loop":
        keys = next(iter(summary.values())).keys() if summary else []
        end = [k for k in keys if k.startswith("rss_after_") and k != "rss_after_100_MiB"]
        return ["rss_growth_MiB", "rss_after_100_MiB"] + end + ["ms_per_step"]
    return list(SHOWN[workload])


def print_table(results, impls_all):
    cols = [n for n in impls_all if any(n in r["summary"] for r in results.values())]
    pairs = [(o, r) for o in OURS for r in REFS if o in cols and (o == "leafgrad" or r != "torch")]
    short = {"leafgrad": "lg/", "replay": "rp/"}
    head = (f"{'workload':14} {'metric':27}" + "".join(f"{n:>10}" for n in cols)
            + "".join(f"{short[o] + r.replace('torch@1t', 't@1t'):>11}" for o, r in pairs)
            + f"   {'goal':24} met (eager, replay)")
    print(head)
    print("-" * len(head))
    for workload, res in results.items():
        summary, ratios, goals = res["summary"], res["ratios"], res.get("goals") or {"leafgrad": res.get("goal")}
        if not summary:
            print(f"{workload:14} (no results: {res.get('errors')})")
            continue
        for i, metric in enumerate(shown_metrics(workload, summary)):
            line = f"{workload if i == 0 else '':14} {metric:27}"
            line += "".join(f"{_fmt(summary[n].get(metric)) if n in summary else '-':>10}" for n in cols)
            for o, ref in pairs:
                r = ratios.get(f"{o}/{ref}", {}).get(metric)
                line += f"{'-' if r is None or metric in NO_RATIO else f'{r:.2f}x':>11}"
            goal = goals.get("leafgrad") or goals.get("replay")
            if i == 0 and goal:
                marks = ", ".join(f"{'yes' if g['met'] else 'NO'} ({_fmt(g['value'])})" if g else "-"
                                  for g in (goals.get(o) for o in OURS if o in cols))
                line += f"   {goal['text']:24} {marks}"
            print(line)
    print()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("workloads", nargs="*", help=f"any of {', '.join(WORKLOADS)} (default: all)")
    ap.add_argument("--repeats", type=int, default=None,
                    help="fresh processes per implementation and workload (default 3, and 1 for "
                         "deep_chain and training_loop, which repeat inside the process or "
                         "measure memory)")
    ap.add_argument("--json", metavar="PATH", help="write the results as JSON")
    ap.add_argument("--quick", action="store_true", help="smoke mode: tiny budgets and lengths")
    ap.add_argument("--table", metavar="PATH", help="print the table of an earlier --json file")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.table:
        with open(args.table) as f:
            saved = json.load(f)
        print_table(saved["results"], list(CORE + OPTIONAL))
        for w in saved.get("warnings", []):
            print("warning: " + w)
        return 0

    chosen = [ALIASES.get(w, w) for w in args.workloads] or list(WORKLOADS)
    for w in chosen:
        if w not in WORKLOADS:
            ap.error(f"unknown workload {w!r}; choose from {', '.join(WORKLOADS)}")

    if args.worker:
        worker(chosen[0], args.worker, args.quick)
        return 0

    impls_all = [n for n in CORE if not n.startswith("torch") or _importable("torch")]
    impls_all += [n for n in OPTIONAL if _importable(n)]
    if not _importable("torch"):
        print("torch not importable: skipping the torch columns", file=sys.stderr)

    started = time.time()
    results, warnings = {}, []
    for workload in chosen:
        impls = [n for n in impls_all if _has_impl(n, workload)]
        runs = {n: [] for n in impls}
        repeats = args.repeats or SINGLE.get(workload, 3)
        for r in range(repeats):
            order = impls if r % 2 == 0 else impls[::-1]
            for n in order:
                res = run_worker(workload, n, args.quick)
                runs[n].append(res)
                if "error" in res:
                    msg = f"{workload}/{n} failed: {res['error']}"
                    warnings.append(msg)
                    print("  " + msg, file=sys.stderr)
                    continue
                m = res["metrics"]
                key = (GOALS.get(workload, (None,))[0]
                       or {"deep_chain": "backward_max_over_min",
                           "training_loop": "rss_growth_MiB"}[workload])
                print(f"  {workload:13} repeat {r + 1}/{repeats} {n:9} {key} "
                      f"{_fmt(m.get(key)):>9}  ({res['wall_s']:.1f} s)", file=sys.stderr)
        summary = summarize(runs, impls)
        ratios = ratios_of(summary)
        results[workload] = {"summary": summary, "ratios": ratios, "goal": goal_of(workload, summary),
                             "goals": goals_of(workload, summary),
                             "runs": runs,
                             "errors": {n: [r["error"] for r in runs[n] if "error" in r]
                                        for n in impls if any("error" in r for r in runs[n])}}
        warnings += check_agreement(workload, runs, impls)

    elapsed = time.time() - started
    print()
    print(f"leafgrad benchmark suite: {args.repeats or 3} fresh process(es) per implementation and "
          f"workload ({'' if args.repeats else '1 for deep_chain and training_loop; '}medians)"
          f"{' (--quick)' if args.quick else ''}; {elapsed:.0f} s")
    print()
    print_table(results, impls_all)
    for w in warnings:
        print("warning: " + w)

    if args.json:
        info = {
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "quick": args.quick,
            "repeats": args.repeats or {w: SINGLE.get(w, 3) for w in chosen}, "config": config(args.quick),
            "python": platform.python_version(), "machine": platform.machine(),
            "processor": platform.processor(), "cpu_count": os.cpu_count(),
            "versions": _versions(), "goals": GOAL_TEXT, "elapsed_s": elapsed,
            "warnings": warnings, "results": results,
        }
        with open(args.json, "w") as f:
            json.dump(info, f, indent=2)
    return 0


def _versions():
    out = {}
    for mod in ("numpy", "torch", "autograd", "mygrad"):
        try:
            out[mod] = __import__(mod).__version__
        except Exception:
            pass
    return out


if __name__ == "__main__":
    sys.exit(main())
