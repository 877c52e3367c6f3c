"""The workloads of ``bench/run.py``, one function per workload and implementation family.

Every workload exists twice:

* ``<workload>_autograd(T, cfg)`` -- written once against the public torch API and run with
  ``T = leafgrad`` and ``T = torch`` (``nn.Linear``, ``nn.functional``, ``optim.SGD``,
  ``autograd.grad``, ``from_numpy`` ...);
* ``<workload>_numpy(cfg)`` -- the floor: the same math on plain float32 NumPy arrays with
  a hand-written backward pass (no graph, no Tensor objects).

All data comes from NumPy with a fixed seed (``_rng``), so every implementation sees the same
inputs and initial weights.  Each function returns ``(metrics, check)``: ``metrics`` is a
dict of numbers, ``check`` a short list of floats (losses, sums of absolute gradients on the
fixed data) that the parent compares across implementations.

``cfg`` is a dict: ``quick`` (bool), ``budget`` (seconds of timed work per process),
``sample`` (seconds per timed sample) and ``min_samples``.
"""
import gc
import statistics
import time

import numpy as np
from numpy.lib.stride_tricks import as_strided

F32 = np.float32
LR = 0.01
perf = time.perf_counter


# ------------------------------------------------------------------ helpers
def _rng(seed=0):
    return np.random.default_rng(seed)


def time_step(step, cfg):
    """Median seconds per call of ``step()``: a few warm-up calls, then samples of ``n``
    calls each (``n`` chosen so that a sample lasts about ``cfg['sample']`` seconds) until
    ``cfg['budget']`` seconds and at least ``cfg['min_samples']`` samples are done."""
    step()
    t0 = perf()
    step()
    one = max(perf() - t0, 1e-7)
    n = max(1, int(round(cfg["sample"] / one)))
    samples = []
    start = perf()
    while len(samples) < cfg["min_samples"] or (perf() - start < cfg["budget"]
                                               and len(samples) < 200):
        t0 = perf()
        for _ in range(n):
            step()
        samples.append((perf() - t0) / n)
    return {"median_s": statistics.median(samples), "samples": len(samples), "calls_per_sample": n}


def replayed(T, step, cfg):
    """The ``replay`` column: the same step through ``leafgrad.replay.capture``."""
    return T.replay.capture(step) if cfg.get("replay") else step


def _status_kib(field):
    """A field of /proc/self/status in KiB (Linux), or None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def rss_mib():
    kib = _status_kib("VmRSS")
    if kib is None:
        import resource
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss   # best effort: the peak
    return kib / 1024


def reset_peak():
    """Reset the kernel's high-water mark of RSS (Linux >= 4.0); False when impossible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_mib():
    kib = _status_kib("VmHWM")
    if kib is None:
        import resource
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024


def _abs_sum(a):
    return float(np.abs(np.asarray(a, dtype=np.float64)).sum())


def _t2np(t):
    return t.detach().numpy()


def _load(T, module, weight, bias):
    with T.no_grad():
        module.weight.copy_(T.from_numpy(weight))
        module.bias.copy_(T.from_numpy(bias))
    return module


# ------------------------------------------------------------------ overhead (bench/overhead.py)
def overhead_autograd(T, cfg):
    import overhead
    iters, warmup = (20, 3) if cfg["quick"] else (200, 20)
    if cfg.get("replay"):
        return _overhead_replay(T, iters, warmup)
    fwd, bwd, grad = overhead._autograd_worker(T, iters, warmup)
    return _overhead_metrics(fwd, bwd), [_abs_sum(grad)]


def _overhead_replay(T, iters, warmup):
    """overhead.py's chain as one captured call (forward and backward are not apart)."""
    import overhead

    def forward_backward(x):
        y = x
        for _ in range(overhead.STEPS):
            y = (y * 1.0001 + 0.001).tanh() - 0.0001
        y.sum().backward()
        return x.grad

    step = T.replay.capture(forward_backward)
    T.manual_seed(0)
    times = []
    for i in range(warmup + iters):
        x = T.rand(overhead.SHAPE, requires_grad=True)
        t0 = perf()
        step(x)
        if i >= warmup:
            times.append(perf() - t0)
    grad = step(T.tensor(overhead.CHECK_X, requires_grad=True))
    return {"total_us_per_op": statistics.median(times) / overhead.N_OPS * 1e6}, [_abs_sum(grad.tolist())]


def overhead_numpy(cfg):
    import overhead
    iters, warmup = (20, 3) if cfg["quick"] else (200, 20)
    fwd, bwd, grad = overhead._numpy_worker(iters, warmup)
    return _overhead_metrics(fwd, bwd), [_abs_sum(grad)]


def _overhead_metrics(fwd, bwd):
    import overhead
    us = 1e6 / overhead.N_OPS
    return {"forward_us_per_op": statistics.median(fwd) * us,
            "backward_us_per_op": statistics.median(bwd) * us,
            "total_us_per_op": statistics.median([f + b for f, b in zip(fwd, bwd)]) * us}


# ------------------------------------------------------------------ MLP (mlp, mlp_small, training_loop)
MLP_SIZES = {"mlp": ((784, 512, 512, 10), 128), "mlp_small": ((784, 64, 64, 10), 32)}


def mlp_data(sizes, batch, seed=0, batches=1):
    """Inputs, labels and nn.Linear-style (out, in) weights, U(-1/sqrt(in), 1/sqrt(in))."""
    rng = _rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / np.sqrt(fan_in)
        params.append((rng.uniform(-bound, bound, (fan_out, fan_in)).astype(F32),
                       rng.uniform(-bound, bound, fan_out).astype(F32)))
    xs = [rng.standard_normal((batch, sizes[0]), dtype=F32) for _ in range(batches)]
    ys = [rng.integers(0, sizes[-1], batch).astype(np.int64) for _ in range(batches)]
    return xs, ys, params


def _mlp_model(T, params):
    nn = T.nn
    layers = []
    for W, b in params:
        layers += [_load(T, nn.Linear(W.shape[1], W.shape[0]), W, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def _mlp_step_autograd(T, params, lr=LR):
    model = _mlp_model(T, params)
    opt = T.optim.SGD(model.parameters(), lr=lr)
    loss_fn = T.nn.CrossEntropyLoss()

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return model, step


def _mlp_check_autograd(model, loss):
    lins = [m for m in model if hasattr(m, "weight")]
    return [loss.item(), _abs_sum(_t2np(lins[0].weight.grad)), _abs_sum(_t2np(lins[-1].weight.grad))]


def _mlp_step_numpy(params, lr=LR):
    Ws = [W.copy() for W, _ in params]
    bs = [b.copy() for _, b in params]
    L = len(Ws)
    neg_lr = F32(-lr)

    def step(x, y):
        B = x.shape[0]
        rows = np.arange(B)
        acts, pre = [x], []
        h = x
        for i in range(L):
            z = h @ Ws[i].T
            z += bs[i]
            if i < L - 1:
                pre.append(z)
                h = np.maximum(z, F32(0))
                acts.append(h)
        # cross-entropy (mean over the batch) and its gradient softmax - onehot
        m = z.max(axis=1, keepdims=True)
        e = np.exp(z - m)
        s = e.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(s[:, 0]) + m[:, 0] - z[rows, y])
        g = e / s
        g[rows, y] -= F32(1)
        g /= F32(B)
        grads = [None] * L
        for i in reversed(range(L)):
            gW = g.T @ acts[i]
            gb = g.sum(axis=0)
            if i > 0:
                g = g @ Ws[i]
                g *= pre[i - 1] > 0
            grads[i] = (gW, gb)
        for i, (gW, gb) in enumerate(grads):   # SGD, in place
            gW *= neg_lr
            Ws[i] += gW
            gb *= neg_lr
            bs[i] += gb
        return loss, grads

    return step


def _mlp_workload_autograd(T, cfg, name):
    sizes, batch = MLP_SIZES[name]
    (x,), (y,), params = mlp_data(sizes, batch)
    model, step = _mlp_step_autograd(T, params)
    step = replayed(T, step, cfg)
    xt, yt = T.from_numpy(x), T.from_numpy(y)
    check = _mlp_check_autograd(model, step(xt, yt))
    t = time_step(lambda: step(xt, yt), cfg)
    return {"ms_per_step": t["median_s"] * 1e3, "samples": t["samples"]}, check


def _mlp_workload_numpy(cfg, name):
    sizes, batch = MLP_SIZES[name]
    (x,), (y,), params = mlp_data(sizes, batch)
    step = _mlp_step_numpy(params)
    loss, grads = step(x, y)
    # the SGD update scaled the gradients by -lr in place
    check = [float(loss), _abs_sum(grads[0][0]) / LR, _abs_sum(grads[-1][0]) / LR]
    t = time_step(lambda: step(x, y), cfg)
    return {"ms_per_step": t["median_s"] * 1e3, "samples": t["samples"]}, check


def mlp_autograd(T, cfg):
    return _mlp_workload_autograd(T, cfg, "mlp")


def mlp_numpy(cfg):
    return _mlp_workload_numpy(cfg, "mlp")


def mlp_small_autograd(T, cfg):
    return _mlp_workload_autograd(T, cfg, "mlp_small")


def mlp_small_numpy(cfg):
    return _mlp_workload_numpy(cfg, "mlp_small")


# ------------------------------------------------------------------ elementwise
EW_SHAPE = (512, 1024)
GELU_K = 0.7978845608028654     # sqrt(2 / pi)
GELU_C = 0.044715
LN_EPS = 1e-5


def ew_data():
    rng = _rng(1)
    x = rng.standard_normal(EW_SHAPE, dtype=F32)
    g = (1.0 + 0.1 * rng.standard_normal(EW_SHAPE[1])).astype(F32)
    b = (0.1 * rng.standard_normal(EW_SHAPE[1])).astype(F32)
    return x, g, b


def elementwise_autograd(T, cfg):
    x0, g0, b0 = ew_data()
    x = T.from_numpy(x0).requires_grad_()
    g = T.from_numpy(g0).requires_grad_()
    b = T.from_numpy(b0).requires_grad_()

    def step():
        x.grad = g.grad = b.grad = None
        mu = x.mean(-1, keepdim=True)
        xc = x - mu
        var = (xc * xc).mean(-1, keepdim=True)
        r = (var + LN_EPS).rsqrt()
        h = xc * r * g + b
        u = h + GELU_C * (h * h * h)
        t = (GELU_K * u).tanh()
        o = 0.5 * h * (1 + t)
        loss = (o * o).mean()
        loss.backward()
        return loss

    step = replayed(T, step, cfg)

    loss = step()
    check = [loss.item(), _abs_sum(_t2np(x.grad)), _abs_sum(_t2np(g.grad)), _abs_sum(_t2np(b.grad))]
    t = time_step(step, cfg)
    return {"ms_per_step": t["median_s"] * 1e3, "samples": t["samples"]}, check


def elementwise_numpy(cfg):
    x, g, b = ew_data()
    D = x.shape[-1]
    N = x.size

    def step():
        mu = x.mean(-1, keepdims=True)
        xc = x - mu
        var = (xc * xc).mean(-1, keepdims=True)
        r = F32(1) / np.sqrt(var + F32(LN_EPS))
        xn = xc * r
        h = xn * g + b
        h2 = h * h
        u = h + F32(GELU_C) * (h2 * h)
        t = np.tanh(F32(GELU_K) * u)
        o = F32(0.5) * h * (F32(1) + t)
        loss = (o * o).mean()
        # backward
        do = o * F32(2 / N)
        dh = do * (F32(0.5) * (F32(1) + t)
                   + F32(0.5) * h * (F32(1) - t * t) * F32(GELU_K) * (F32(1) + F32(3 * GELU_C) * h2))
        dg = (dh * xn).sum(axis=0)
        db = dh.sum(axis=0)
        dxn = dh * g
        dxc = dxn * r
        dr = (dxn * xc).sum(axis=-1, keepdims=True)
        dvar = dr * F32(-0.5) * (r * r * r)
        dxc += dvar * F32(2 / D) * xc
        dx = dxc - dxc.mean(-1, keepdims=True)
        return loss, dx, dg, db

    loss, dx, dg, db = step()
    check = [float(loss), _abs_sum(dx), _abs_sum(dg), _abs_sum(db)]
    t = time_step(step, cfg)
    return {"ms_per_step": t["median_s"] * 1e3, "samples": t["samples"]}, check


# ------------------------------------------------------------------ hvp
HVP_N = 256


def hvp_data():
    rng = _rng(2)
    W = (rng.standard_normal((HVP_N, HVP_N)) / np.sqrt(HVP_N)).astype(F32)
    x = rng.standard_normal(HVP_N, dtype=F32)
    v = rng.standard_normal(HVP_N, dtype=F32)
    return W, x, v


def hvp_autograd(T, cfg):
    W0, x0, v0 = hvp_data()
    W, v = T.from_numpy(W0), T.from_numpy(v0)
    x = T.from_numpy(x0).requires_grad_()

    def step():
        f = (W @ x).tanh().pow(2).sum()
        g, = T.autograd.grad(f, x, create_graph=True)
        hv, = T.autograd.grad(g @ v, x)
        return g, hv

    step = replayed(T, step, cfg)

    g, hv = step()
    check = [_abs_sum(_t2np(g)), _abs_sum(_t2np(hv))]
    t = time_step(step, cfg)
    return {"us_per_step": t["median_s"] * 1e6, "samples": t["samples"]}, check


def hvp_numpy(cfg):
    W, x, v = hvp_data()

    def step():
        t = np.tanh(W @ x)
        s = F32(1) - t * t                        # tanh'
        g = W.T @ (F32(2) * t * s)                # d/dx sum tanh(Wx)^2
        hv = W.T @ ((F32(2) - F32(6) * t * t) * s * (W @ v))
        return g, hv

    g, hv = step()
    check = [_abs_sum(g), _abs_sum(hv)]
    t = time_step(step, cfg)
    return {"us_per_step": t["median_s"] * 1e6, "samples": t["samples"]}, check


# ------------------------------------------------------------------ conv (LeNet-sized)
CONV_BATCH = 64


def conv_data():
    rng = _rng(3)

    def unif(shape, fan_in):
        bound = 1.0 / np.sqrt(fan_in)
        return rng.uniform(-bound, bound, shape).astype(F32)

    p = {
        "c1w": unif((6, 1, 5, 5), 25), "c1b": unif(6, 25),
        "c2w": unif((16, 6, 5, 5), 150), "c2b": unif(16, 150),
        "f1w": unif((120, 256), 256), "f1b": unif(120, 256),
        "f2w": unif((84, 120), 120), "f2b": unif(84, 120),
        "f3w": unif((10, 84), 84), "f3b": unif(10, 84),
    }
    x = rng.random((CONV_BATCH, 1, 28, 28), dtype=F32)
    y = rng.integers(0, 10, CONV_BATCH).astype(np.int64)
    return x, y, p


def conv_autograd(T, cfg):
    x0, y0, p = conv_data()
    nn, F = T.nn, T.nn.functional
    c1 = _load(T, nn.Conv2d(1, 6, 5), p["c1w"], p["c1b"])
    c2 = _load(T, nn.Conv2d(6, 16, 5), p["c2w"], p["c2b"])
    f1 = _load(T, nn.Linear(256, 120), p["f1w"], p["f1b"])
    f2 = _load(T, nn.Linear(120, 84), p["f2w"], p["f2b"])
    f3 = _load(T, nn.Linear(84, 10), p["f3w"], p["f3b"])
    mods = [c1, c2, f1, f2, f3]
    opt = T.optim.SGD([q for m in mods for q in m.parameters()], lr=LR)
    x, y = T.from_numpy(x0), T.from_numpy(y0)

    def step():
        opt.zero_grad()
        h = F.max_pool2d(F.relu(c1(x)), 2)
        h = F.max_pool2d(F.relu(c2(h)), 2)
        h = F.relu(f1(h.flatten(1)))
        h = F.relu(f2(h))
        loss = F.cross_entropy(f3(h), y)
        loss.backward()
        opt.step()
        return loss

    step = replayed(T, step, cfg)

    loss = step()
    check = [loss.item(), _abs_sum(_t2np(c1.weight.grad)), _abs_sum(_t2np(c2.weight.grad)),
             _abs_sum(_t2np(f3.weight.grad))]
    t = time_step(step, cfg)
    return {"ms_per_step": t["median_s"] * 1e3, "samples": t["samples"]}, check


def _im2col(x, k):
    """Columns (B, C*k*k, OH*OW) of a valid, stride-1 convolution on NCHW ``x``: a strided
    view of the windows, copied once; the innermost axis stays the contiguous width."""
    B, C, H, W = x.shape
    OH, OW = H - k + 1, W - k + 1
    s0, s1, s2, s3 = x.strides
    win = as_strided(x, (B, C, k, k, OH, OW), (s0, s1, s2, s3, s2, s3), writeable=False)
    return win.reshape(B, C * k * k, OH * OW), (OH, OW)


def _conv_fwd(x, Wm, b, k):
    """Conv on NCHW ``x``; ``Wm`` is (out, C*k*k).  Returns the output and the columns."""
    col, (OH, OW) = _im2col(x, k)
    out = np.matmul(Wm, col)                       # (B, O, OH*OW)
    out += b[:, None]
    return out.reshape(x.shape[0], -1, OH, OW), col


def _conv_bwd(g, col, Wm, x_shape, k, need_input):
    """Gradients of the weight (O, C*k*k), the bias and (optionally) the input."""
    B, O = g.shape[:2]
    g3 = g.reshape(B, O, -1)
    gW = np.matmul(g3, col.transpose(0, 2, 1)).sum(axis=0)   # (O, C*k*k), batched
    gb = g3.sum(axis=(0, 2))
    if not need_input:
        return gW, gb, None
    dcol = np.matmul(Wm.T, g3)                          # (B, C*k*k, OH*OW)
    Bx, C, H, W = x_shape
    OH, OW = H - k + 1, W - k + 1
    d = dcol.reshape(B, C, k, k, OH, OW)
    dx = np.zeros(x_shape, dtype=F32)
    for i in range(k):
        for j in range(k):
            dx[:, :, i:i + OH, j:j + OW] += d[:, :, i, j]
    return gW, gb, dx


def _pool_fwd(a):
    """2x2 max pool, stride 2, NCHW: the max of the four strided quarters."""
    q = (a[:, :, 0::2, 0::2], a[:, :, 0::2, 1::2], a[:, :, 1::2, 0::2], a[:, :, 1::2, 1::2])
    return np.maximum(np.maximum(q[0], q[1]), np.maximum(q[2], q[3])), q


def _pool_bwd(g, q, out):
    """Route ``g`` to the positions that held the max (ties get it more than once; after a
    ReLU the only likely ties are zeros, which the ReLU mask then clears)."""
    B, C, H2, W2 = out.shape
    d = np.empty((B, C, 2 * H2, 2 * W2), dtype=F32)
    for (i, j), qi in zip(((0, 0), (0, 1), (1, 0), (1, 1)), q):
        np.multiply(g, qi == out, out=d[:, :, i::2, j::2])
    return d


def conv_numpy(cfg):
    x, y, p = conv_data()
    k = 5
    P = {name: (a.reshape(a.shape[0], -1) if name in ("c1w", "c2w") else a).copy()
         for name, a in p.items()}
    B = x.shape[0]
    rows = np.arange(B)
    neg_lr = F32(-LR)
    zero = F32(0)

    def step():
        z1, col1 = _conv_fwd(x, P["c1w"], P["c1b"], k)                 # (B,6,24,24)
        a1 = np.maximum(z1, zero)
        p1, q1 = _pool_fwd(a1)                                         # (B,6,12,12)
        z2, col2 = _conv_fwd(p1, P["c2w"], P["c2b"], k)                # (B,16,8,8)
        a2 = np.maximum(z2, zero)
        p2, q2 = _pool_fwd(a2)                                         # (B,16,4,4)
        f0 = p2.reshape(B, 256)
        z3 = f0 @ P["f1w"].T
        z3 += P["f1b"]
        a3 = np.maximum(z3, zero)
        z4 = a3 @ P["f2w"].T
        z4 += P["f2b"]
        a4 = np.maximum(z4, zero)
        z = a4 @ P["f3w"].T
        z += P["f3b"]
        m = z.max(axis=1, keepdims=True)
        e = np.exp(z - m)
        s = e.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(s[:, 0]) + m[:, 0] - z[rows, y])
        g = e / s
        g[rows, y] -= F32(1)
        g /= F32(B)
        G = {}
        G["f3w"], G["f3b"] = g.T @ a4, g.sum(0)
        g = (g @ P["f3w"]) * (z4 > 0)
        G["f2w"], G["f2b"] = g.T @ a3, g.sum(0)
        g = (g @ P["f2w"]) * (z3 > 0)
        G["f1w"], G["f1b"] = g.T @ f0, g.sum(0)
        g = (g @ P["f1w"]).reshape(p2.shape)
        g = _pool_bwd(g, q2, p2) * (z2 > 0)                            # (B,16,8,8)
        G["c2w"], G["c2b"], g = _conv_bwd(g, col2, P["c2w"], p1.shape, k, True)
        g = _pool_bwd(g, q1, p1) * (z1 > 0)                            # (B,6,24,24)
        G["c1w"], G["c1b"], _ = _conv_bwd(g, col1, P["c1w"], x.shape, k, False)
        for name, grad in G.items():                                   # SGD, in place
            grad *= neg_lr
            P[name] += grad
        return loss, G

    loss, G = step()
    check = [float(loss), _abs_sum(G["c1w"]), _abs_sum(G["c2w"]), _abs_sum(G["f3w"])]
    check = [check[0]] + [c / LR for c in check[1:]]                   # grads were scaled by -lr
    t = time_step(step, cfg)
    return {"ms_per_step": t["median_s"] * 1e3, "samples": t["samples"]}, check


# ------------------------------------------------------------------ memory
MEM_LAYERS, MEM_WIDTH, MEM_BATCH = 20, 1024, 256


def mem_data():
    rng = _rng(4)
    scale = np.sqrt(2.0 / MEM_WIDTH)
    Ws = [(rng.standard_normal((MEM_WIDTH, MEM_WIDTH), dtype=F32) * F32(scale)) for _ in range(MEM_LAYERS)]
    x = rng.standard_normal((MEM_BATCH, MEM_WIDTH), dtype=F32)
    return x, Ws


def _mem_measure(run):
    gc.collect()
    exact = reset_peak()
    base_rss = rss_mib()
    base_peak = peak_mib()
    t0 = perf()
    check = run()
    dt = perf() - t0
    peak = peak_mib()
    # With the peak reset, VmHWM - VmRSS(before) is the increase; without it, the best we
    # can do is the growth of the (process-lifetime) peak.
    increase = peak - base_rss if exact else peak - base_peak
    return {"peak_increase_MiB": increase, "baseline_rss_MiB": base_rss,
            "after_rss_MiB": rss_mib(), "seconds": dt, "exact_peak": exact}, check


def memory_autograd(T, cfg):
    x0, W0 = mem_data()
    x = T.from_numpy(x0)
    Ws = [T.from_numpy(W).requires_grad_() for W in W0]

    def run():
        h = x
        for i, W in enumerate(Ws):
            h = h @ W
            if i < len(Ws) - 1:
                h = h.relu()
        loss = (h * h).mean()
        loss.backward()
        return [loss.item(), _abs_sum(_t2np(Ws[0].grad)), _abs_sum(_t2np(Ws[-1].grad))]

    return _mem_measure(run)


def memory_numpy(cfg):
    x, Ws = mem_data()

    def run():
        acts, pre = [x], []
        h = x
        for i, W in enumerate(Ws):
            z = h @ W
            if i < len(Ws) - 1:
                pre.append(z)
                h = np.maximum(z, F32(0))
                acts.append(h)
        loss = (z * z).mean()
        g = z * F32(2 / z.size)
        grads = [None] * len(Ws)
        for i in reversed(range(len(Ws))):
            grads[i] = acts[i].T @ g
            if i > 0:
                g = g @ Ws[i].T
                g *= pre[i - 1] > 0
        del acts, pre, g
        return [float(loss), _abs_sum(grads[0]), _abs_sum(grads[-1])]

    return _mem_measure(run)


# ------------------------------------------------------------------ deep chain
CHAIN_C = 0.999999


def chain_lengths(cfg):
    return (1000, 10_000) if cfg["quick"] else (10_000, 100_000, 1_000_000)


def _chain_reps(L):
    return max(1, min(5, 300_000 // L))


def _chain_metrics(results, lengths):
    m = {}
    for L in lengths:
        fwd = statistics.median(r[0] for r in results[L])
        bwd = statistics.median(r[1] for r in results[L])
        m[f"forward_us_per_op@{L}"] = fwd / L * 1e6
        m[f"backward_us_per_op@{L}"] = bwd / L * 1e6
        m[f"total_us_per_op@{L}"] = statistics.median(r[0] + r[1] for r in results[L]) / L * 1e6
    for kind in ("backward", "total"):
        per_op = [m[f"{kind}_us_per_op@{L}"] for L in lengths]
        m[f"{kind}_max_over_min"] = max(per_op) / min(per_op)
    return m


def _time_chains(cfg, leaf, c, grad_of):
    """deep_chain for an autograd library: ``leaf()`` a fresh scalar that requires grad,
    ``c`` the constant to multiply by, ``grad_of(x)`` its gradient as a float."""
    lengths = chain_lengths(cfg)
    results, check = {}, []
    for L in lengths:
        results[L] = []
        for _ in range(_chain_reps(L)):
            x = leaf()
            t0 = perf()
            y = x
            for _ in range(L):
                y = y * c
            t1 = perf()
            y.backward()
            t2 = perf()
            results[L].append((t1 - t0, t2 - t1))
            g = grad_of(x)
            del x, y
            gc.collect()
        check.append(g)
    return _chain_metrics(results, lengths), check


def deep_chain_autograd(T, cfg):
    return _time_chains(cfg, lambda: T.from_numpy(np.array(1.0, dtype=F32)).requires_grad_(), CHAIN_C,
                        lambda x: float(x.grad.item()))


def deep_chain_numpy(cfg):
    lengths = chain_lengths(cfg)
    results, check = {}, []
    c = F32(CHAIN_C)
    for L in lengths:
        results[L] = []
        for _ in range(_chain_reps(L)):
            x = np.array(1.0, dtype=F32)
            t0 = perf()
            y = x
            for _ in range(L):
                y = y * c
            t1 = perf()
            g = np.ones_like(y)
            for _ in range(L):
                g = g * c
            t2 = perf()
            results[L].append((t1 - t0, t2 - t1))
        check.append(float(g))
    return _chain_metrics(results, lengths), check


# ------------------------------------------------------------------ training loop
def train_steps(cfg):
    return 1000 if cfg["quick"] else 10_000


def training_loop_autograd(T, cfg):
    sizes, batch = MLP_SIZES["mlp_small"]
    xs, ys, params = mlp_data(sizes, batch, seed=5, batches=8)
    xs = [T.from_numpy(x) for x in xs]
    ys = [T.from_numpy(y) for y in ys]
    model, step = _mlp_step_autograd(T, params)
    step = replayed(T, step, cfg)
    total = 0.0

    def loop(a, b):
        nonlocal total
        for i in range(a, b):
            loss = step(xs[i % 8], ys[i % 8])
            total += loss.item()

    return _train_measure(loop, cfg, lambda: total)


def training_loop_numpy(cfg):
    sizes, batch = MLP_SIZES["mlp_small"]
    xs, ys, params = mlp_data(sizes, batch, seed=5, batches=8)
    step = _mlp_step_numpy(params)
    total = 0.0

    def loop(a, b):
        nonlocal total
        for i in range(a, b):
            loss, _ = step(xs[i % 8], ys[i % 8])
            total += float(loss)

    return _train_measure(loop, cfg, lambda: total)


def _train_measure(loop, cfg, total):
    n = train_steps(cfg)
    t0 = perf()
    loop(0, 100)
    rss100 = rss_mib()
    loop(100, n)
    dt = perf() - t0
    rss_n = rss_mib()
    return {"rss_after_100_MiB": rss100, f"rss_after_{n}_MiB": rss_n,
            "rss_growth_MiB": rss_n - rss100, "ms_per_step": dt / n * 1e3}, [total() / n]


# ------------------------------------------------------------------ optional columns
# HIPS autograd (``autograd``) and ``mygrad``: used only when importable, for the workloads
# below (a workload without ``<workload>_hips`` / ``<workload>_mygrad`` shows "-").  HIPS
# autograd computes value and gradient in one call, so only totals exist for it; mygrad has
# no higher-order derivatives (no hvp).  mygrad turns Python floats into float64, so the
# constants here are float32 scalars.
def _hips():
    import autograd
    import autograd.numpy as anp
    return autograd, anp


def overhead_hips(cfg):
    import overhead
    autograd, anp = _hips()
    iters, warmup = (20, 3) if cfg["quick"] else (200, 20)
    c1, c2, c3 = F32(1.0001), F32(0.001), F32(0.0001)

    def f(x):
        y = x
        for _ in range(overhead.STEPS):
            y = anp.tanh(y * c1 + c2) - c3
        return anp.sum(y)

    df = autograd.grad(f)
    rng = _rng(0)
    times = []
    for i in range(warmup + iters):
        x = rng.random(overhead.SHAPE, dtype=F32)
        t0 = perf()
        df(x)
        times.append(perf() - t0)
    grad = df(np.array(overhead.CHECK_X, dtype=F32))
    return ({"total_us_per_op": statistics.median(times[warmup:]) * 1e6 / overhead.N_OPS},
            [_abs_sum(grad)])


def overhead_mygrad(cfg):
    import mygrad as mg
    import overhead
    iters, warmup = (20, 3) if cfg["quick"] else (200, 20)
    c1, c2, c3 = F32(1.0001), F32(0.001), F32(0.0001)
    rng = _rng(0)

    def run(x0):
        x = mg.tensor(x0)
        t0 = perf()
        y = x
        for _ in range(overhead.STEPS):
            y = mg.tanh(y * c1 + c2) - c3
        s = mg.sum(y)
        t1 = perf()
        s.backward()
        t2 = perf()
        return t1 - t0, t2 - t1, x.grad

    res = [run(rng.random(overhead.SHAPE, dtype=F32)) for _ in range(warmup + iters)][warmup:]
    grad = run(np.array(overhead.CHECK_X, dtype=F32))[2]
    return _overhead_metrics([r[0] for r in res], [r[1] for r in res]), [_abs_sum(grad)]


def _mlp_hips(cfg, name):
    autograd, anp = _hips()
    from autograd.scipy.special import logsumexp
    sizes, batch = MLP_SIZES[name]
    (x,), (y,), params = mlp_data(sizes, batch)
    rows = np.arange(batch)
    L = len(params)

    def loss(params):
        h = x
        for i, (W, b) in enumerate(params):
            h = anp.dot(h, W.T) + b
            if i < L - 1:
                h = anp.maximum(h, F32(0))
        return anp.mean(logsumexp(h, axis=1) - h[rows, y])

    vg = autograd.value_and_grad(loss)
    state = [list(params)]

    def step():
        value, grads = vg(state[0])
        state[0] = [(W - F32(LR) * gW, b - F32(LR) * gb) for (W, b), (gW, gb) in zip(state[0], grads)]
        return value, grads

    value, grads = step()
    check = [float(value), _abs_sum(grads[0][0]), _abs_sum(grads[-1][0])]
    t = time_step(step, cfg)
    return {"ms_per_step": t["median_s"] * 1e3, "samples": t["samples"]}, check


def _mlp_mygrad(cfg, name):
    import mygrad as mg
    from mygrad.nnet.activations import relu
    from mygrad.nnet.losses import softmax_crossentropy
    sizes, batch = MLP_SIZES[name]
    (x,), (y,), params = mlp_data(sizes, batch)
    ps = [(mg.tensor(W.copy()), mg.tensor(b.copy())) for W, b in params]
    L = len(ps)

    def step():
        h = x
        for i, (W, b) in enumerate(ps):
            h = mg.matmul(h, W.T) + b
            if i < L - 1:
                h = relu(h)
        loss = softmax_crossentropy(h, y)
        loss.backward()
        for W, b in ps:
            W.data -= F32(LR) * W.grad
            b.data -= F32(LR) * b.grad
        return loss

    loss = step()
    check = [float(loss.item()), _abs_sum(ps[0][0].grad), _abs_sum(ps[-1][0].grad)]
    t = time_step(step, cfg)
    return {"ms_per_step": t["median_s"] * 1e3, "samples": t["samples"]}, check


def mlp_hips(cfg):
    return _mlp_hips(cfg, "mlp")


def mlp_small_hips(cfg):
    return _mlp_hips(cfg, "mlp_small")


def mlp_mygrad(cfg):
    return _mlp_mygrad(cfg, "mlp")


def mlp_small_mygrad(cfg):
    return _mlp_mygrad(cfg, "mlp_small")


def _ew_loss(xp, x, g, b):
    """The elementwise workload's loss written against a NumPy-like namespace ``xp``."""
    mu = xp.mean(x, axis=-1, keepdims=True)
    xc = x - mu
    var = xp.mean(xc * xc, axis=-1, keepdims=True)
    h = xc / xp.sqrt(var + F32(LN_EPS)) * g + b
    u = h + F32(GELU_C) * (h * h * h)
    t = xp.tanh(F32(GELU_K) * u)
    o = F32(0.5) * h * (F32(1) + t)
    return xp.mean(o * o)


def elementwise_hips(cfg):
    autograd, anp = _hips()
    x, g, b = ew_data()
    vg = autograd.value_and_grad(lambda p: _ew_loss(anp, *p))

    def step():
        return vg((x, g, b))

    value, (dx, dg, db) = step()
    check = [float(value), _abs_sum(dx), _abs_sum(dg), _abs_sum(db)]
    t = time_step(step, cfg)
    return {"ms_per_step": t["median_s"] * 1e3, "samples": t["samples"]}, check


def elementwise_mygrad(cfg):
    import mygrad as mg
    x0, g0, b0 = ew_data()
    x, g, b = mg.tensor(x0), mg.tensor(g0), mg.tensor(b0)

    def step():
        loss = _ew_loss(mg, x, g, b)
        loss.backward()
        return loss

    loss = step()
    check = [float(loss.item()), _abs_sum(x.grad), _abs_sum(g.grad), _abs_sum(b.grad)]
    t = time_step(step, cfg)
    return {"ms_per_step": t["median_s"] * 1e3, "samples": t["samples"]}, check


def hvp_hips(cfg):
    autograd, anp = _hips()
    W, x, v = hvp_data()
    g = autograd.grad(lambda x: anp.sum(anp.tanh(anp.dot(W, x)) ** 2))
    hvp = autograd.grad(lambda x: anp.dot(g(x), v))
    check = [_abs_sum(g(x)), _abs_sum(hvp(x))]
    t = time_step(lambda: hvp(x), cfg)      # g is computed inside hvp
    return {"us_per_step": t["median_s"] * 1e6, "samples": t["samples"]}, check


def memory_hips(cfg):
    autograd, anp = _hips()
    x, Ws = mem_data()

    def loss(Ws):
        h = x
        for i, W in enumerate(Ws):
            h = anp.dot(h, W)
            if i < len(Ws) - 1:
                h = anp.maximum(h, F32(0))
        return anp.mean(h * h)

    def run():
        value, grads = autograd.value_and_grad(loss)(Ws)
        return [float(value), _abs_sum(grads[0]), _abs_sum(grads[-1])]

    return _mem_measure(run)


def memory_mygrad(cfg):
    import mygrad as mg
    from mygrad.nnet.activations import relu
    x, W0 = mem_data()
    Ws = [mg.tensor(W) for W in W0]

    def run():
        h = x
        for i, W in enumerate(Ws):
            h = mg.matmul(h, W)
            if i < len(Ws) - 1:
                h = relu(h)
        loss = mg.mean(h * h)
        loss.backward()
        return [float(loss.item()), _abs_sum(Ws[0].grad), _abs_sum(Ws[-1].grad)]

    return _mem_measure(run)


def deep_chain_hips(cfg):
    autograd, _ = _hips()
    lengths = chain_lengths(cfg)
    m, check = {}, []
    c = F32(CHAIN_C)
    for L in lengths:
        def f(x):
            y = x
            for _ in range(L):
                y = y * c
            return y
        df = autograd.grad(f)
        times = []
        for _ in range(_chain_reps(L)):
            t0 = perf()
            g = df(np.array(1.0, dtype=F32))
            times.append(perf() - t0)
            gc.collect()
        m[f"total_us_per_op@{L}"] = statistics.median(times) / L * 1e6
        check.append(float(g))
    per_op = [m[f"total_us_per_op@{L}"] for L in lengths]
    m["total_max_over_min"] = max(per_op) / min(per_op)
    return m, check


def deep_chain_mygrad(cfg):
    import mygrad as mg
    return _time_chains(cfg, lambda: mg.tensor(np.array(1.0, dtype=F32)), F32(CHAIN_C), lambda x: float(x.grad))


OPTIONAL = {"autograd": "hips", "mygrad": "mygrad"}    # column -> function suffix
WORKLOADS = ("overhead", "mlp", "mlp_small", "elementwise", "hvp", "conv", "memory",
             "deep_chain", "training_loop")


# workloads with a ``replay`` column (a captured step); memory and deep_chain time single
# calls, which a capture would only run eagerly
REPLAYED = ("overhead", "mlp", "mlp_small", "elementwise", "hvp", "conv", "training_loop")


def run(workload, impl, cfg):
    """Run one workload in this process for one implementation; return (metrics, check)."""
    if impl == "numpy":
        return globals()[workload + "_numpy"](cfg)
    if impl in OPTIONAL:
        return globals()[f"{workload}_{OPTIONAL[impl]}"](cfg)
    if impl in ("leafgrad", "replay"):
        import leafgrad as T
        if impl == "replay":
            if workload not in REPLAYED:
                raise ValueError(f"no replay column for {workload}")
            cfg = dict(cfg, replay=True)
    elif impl in ("torch", "torch@1t"):
        import torch as T
        if impl == "torch@1t":
            T.set_num_threads(1)
    else:
        raise ValueError(f"unknown implementation {impl!r}")
    return globals()[workload + "_autograd"](T, cfg)
