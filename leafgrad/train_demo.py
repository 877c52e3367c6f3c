"""``python -m leafgrad train``: train a small network on real handwritten digits.

Uses only leafgrad's public API (``leafgrad.nn``, ``leafgrad.optim``,
``leafgrad.utils.data``), written as ordinary PyTorch code. The data is the 8x8 digits
set shipped in ``leafgrad/data/digits.npz`` (UCI optdigits, CC BY 4.0; see
``leafgrad/data/README.md``); nothing is downloaded.

    python -m leafgrad train [--epochs N] [--out DIR] [--model cnn|mlp] [--replay]

With ``--replay`` the forward and backward of each batch go through
``leafgrad.replay.capture``: the same numbers. (Adam steps eagerly: the learning-rate
schedule changes its learning rate every epoch, and a captured optimizer step would be
recorded again after each change. On this small network, data loading, Adam and the
evaluation take most of the time, so the run is only a little faster.)

Prints a progress bar (tqdm when installed, else one line per epoch), the held-out
test accuracy and the wall time, and writes into DIR (default ``out``):
``train_loss_accuracy.png`` (needs matplotlib: ``pip install -e '.[demo]'``),
``model_graph.dot`` and ``model_graph.svg`` (needs Graphviz ``dot``).
"""
import argparse
import os
import shutil
import sys
import time

import numpy as np

DATA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "digits.npz")
N_TEST = 360          # held-out test images, drawn by random_split with a fixed generator seed
SPLIT_SEED = 0
EPOCHS = 25
BATCH_SIZE = 32
LR = 3e-3


def load_digits(path=DATA_PATH):
    """The shipped data: (images uint8 (1797, 8, 8) in 0..16, labels uint8 (1797,))."""
    with np.load(path) as f:
        return f["images"], f["labels"]


def make_model(kind, nn):
    if kind == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 16 x 4 x 4
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 32 x 2 x 2
            nn.Flatten(), nn.Linear(32 * 2 * 2, 10))
    if kind == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    raise ValueError(f"unknown model {kind!r} (choose 'cnn' or 'mlp')")


def _progress(iterable, desc, total):
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable, False
    return tqdm(iterable, desc=desc, total=total, leave=False, file=sys.stdout, ncols=80), True


def accuracy(model, x, y, torch):
    with torch.no_grad():
        pred = model(x).argmax(dim=1)
    return (pred == y).float().mean().item()


def plot(history, path):
    """Write the loss/accuracy curves; return False when matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    epochs = range(1, len(history["loss"]) + 1)
    fig, ax1 = plt.subplots(figsize=(6, 4))
    ax1.plot(epochs, history["loss"], "o-", color="tab:blue", label="train loss")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("train loss", color="tab:blue")
    ax2 = ax1.twinx()
    ax2.plot(epochs, history["test_acc"], "s-", color="tab:orange", label="test accuracy")
    ax2.set_ylabel("test accuracy", color="tab:orange")
    ax1.set_title("leafgrad: 8x8 digits")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def train(epochs=EPOCHS, out="out", model_kind="cnn", seed=0, log=print, replay=False):
    """Train and report; returns a dict with the final test accuracy and the wall time.
    ``replay``: capture the forward and backward (``leafgrad.replay``)."""
    import leafgrad as torch
    from leafgrad import nn, optim
    from leafgrad.utils.data import DataLoader, TensorDataset, random_split

    start = time.perf_counter()
    torch.manual_seed(seed)
    images, labels = load_digits()
    x = torch.tensor(images.astype(np.float32) / 16.0).unsqueeze(1)   # N x 1 x 8 x 8, in [0, 1]
    y = torch.tensor(labels.astype(np.int64))
    # A fixed split: its own generator, so it does not depend on --seed.
    train_set, test_set = random_split(TensorDataset(x, y), [len(y) - N_TEST, N_TEST],
                                       generator=torch.Generator().manual_seed(SPLIT_SEED))
    x_train, y_train = x[list(train_set.indices)], y[list(train_set.indices)]
    x_test, y_test = x[list(test_set.indices)], y[list(test_set.indices)]
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=BATCH_SIZE, shuffle=True)

    model = make_model(model_kind, nn)
    n_params = sum(p.numel() for p in model.parameters())
    log(f"data: {len(x_train)} training and {len(x_test)} test images of 8x8 digits "
        f"(UCI optdigits, CC BY 4.0)")
    log(f"optimizer: Adam(lr={LR}) with cosine annealing, batch size {BATCH_SIZE}, {epochs} epochs")
    log(f"model ({model_kind}, {n_params} parameters):\n{model}")
    opt = optim.Adam(model.parameters(), lr=LR)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(epochs, 1))
    loss_fn = nn.CrossEntropyLoss()

    def forward_backward(xb, yb):
        loss = loss_fn(model(xb), yb)
        loss.backward()
        return loss
    if replay:
        forward_backward = torch.replay.capture(forward_backward)

    history = {"loss": [], "test_acc": []}
    for epoch in range(1, epochs + 1):
        model.train()
        batches, bar = _progress(loader, f"epoch {epoch}/{epochs}", len(loader))
        total, count = 0.0, 0
        for xb, yb in batches:
            opt.zero_grad()
            loss = forward_backward(xb, yb)
            opt.step()
            total += loss.item() * len(yb)
            count += len(yb)
            if bar:
                batches.set_postfix(loss=f"{loss.item():.3f}")
        if bar:
            batches.close()
        sched.step()
        model.eval()
        history["loss"].append(total / count)
        history["test_acc"].append(accuracy(model, x_test, y_test, torch))
        log(f"epoch {epoch:2d}/{epochs}: train loss {history['loss'][-1]:.4f}  "
            f"test accuracy {history['test_acc'][-1]:.4f}  ({time.perf_counter() - start:.1f} s)")

    test_acc = history["test_acc"][-1] if history["test_acc"] else accuracy(model, x_test, y_test, torch)
    train_acc = accuracy(model, x_train, y_train, torch)
    wall = time.perf_counter() - start
    log(f"train accuracy: {train_acc:.4f}")
    log(f"test accuracy: {test_acc:.4f} ({round(test_acc * N_TEST)}/{N_TEST} held-out images)")
    log(f"wall time: {wall:.1f} s")
    if replay:
        log(f"replayed {forward_backward.replays} of {epochs * len(loader)} forward-backward passes")

    os.makedirs(out, exist_ok=True)
    png = os.path.join(out, "train_loss_accuracy.png")
    if history["loss"] and plot(history, png):
        log(f"wrote {png}")
    elif history["loss"]:
        log("skipped the loss/accuracy plot: matplotlib is not installed "
            "(`pip install -e '.[demo]'` installs it, with tqdm)")

    # A picture of the model's backward graph: the loss of one small batch.
    loss = loss_fn(model(x_test[:4]), y_test[:4])
    params = dict(model.named_parameters())
    dot_path = os.path.join(out, "model_graph.dot")
    with open(dot_path, "w") as f:
        f.write(torch.autograd.graph.to_dot(loss, params=params))
    log(f"wrote {dot_path}")
    if shutil.which("dot") is not None:
        svg = torch.autograd.graph.render(loss, path=os.path.join(out, "model_graph.svg"), params=params)
        log(f"wrote {svg}")
    else:
        log("skipped model_graph.svg: the Graphviz 'dot' program is not on PATH (install it, e.g. "
            "`apt-get install graphviz` or `brew install graphviz`, or render the .dot file with "
            f"any Graphviz viewer: dot -Tsvg {dot_path} -o {os.path.join(out, 'model_graph.svg')})")
    return {"test_acc": test_acc, "train_acc": train_acc, "wall_s": wall, "history": history}


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m leafgrad train",
        description="Train a small network on the 8x8 handwritten digits with leafgrad.")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help=f"training epochs (default {EPOCHS})")
    parser.add_argument("--out", default="out", help="folder for the plot and graph (default out)")
    parser.add_argument("--model", choices=("cnn", "mlp"), default="cnn", help="network (default cnn)")
    parser.add_argument("--seed", type=int, default=0, help="leafgrad.manual_seed value (default 0)")
    parser.add_argument("--replay", action="store_true",
                        help="capture each batch's forward and backward once and replay it (leafgrad.replay)")
    args = parser.parse_args(argv)
    if args.epochs < 0:
        parser.error("--epochs must be >= 0")
    train(args.epochs, args.out, args.model, args.seed, replay=args.replay)
    return 0


if __name__ == "__main__":
    sys.exit(main())
