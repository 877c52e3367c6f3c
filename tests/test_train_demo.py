"""The training demo (`python -m leafgrad train`) and its shipped data set."""
import os

import numpy as np

from leafgrad import train_demo
from leafgrad.__main__ import main as cli_main


def test_digits_file_shapes_and_dtypes():
    images, labels = train_demo.load_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8
    assert labels.shape == (1797,) and labels.dtype == np.uint8
    assert images.min() == 0 and images.max() == 16
    assert sorted(set(labels.tolist())) == list(range(10))
    assert np.bincount(labels).min() >= 170


def test_one_epoch_prints_accuracy_and_writes_graph(tmp_path, capsys):
    out = tmp_path / "out"
    assert train_demo.main(["--epochs", "1", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    line = [l for l in text.splitlines() if l.startswith("test accuracy:")]
    assert len(line) == 1, text
    acc = float(line[0].split()[2])
    assert 0.5 < acc <= 1.0       # one epoch is far above chance (0.1)
    dot = (out / "model_graph.dot").read_text()
    assert dot.startswith("digraph") and "ConvolutionBackward0" in dot and "AddmmBackward0" in dot
    assert "0.weight" in dot      # parameters are labelled with their names
    assert "wall time:" in text


def test_cli_dispatches_train(tmp_path, capsys):
    assert cli_main(["train", "--epochs", "0", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "test accuracy:" in text
    assert os.path.exists(tmp_path / "model_graph.dot")


def test_replay_trains_to_the_same_numbers(tmp_path):
    quiet = lambda *a, **k: None  # noqa: E731
    eager = train_demo.train(2, str(tmp_path / "a"), "cnn", log=quiet)
    lines = []
    replayed = train_demo.train(2, str(tmp_path / "b"), "cnn", log=lines.append, replay=True)
    assert replayed["history"] == eager["history"]
    assert replayed["test_acc"] == eager["test_acc"] and replayed["train_acc"] == eager["train_acc"]
    done = [l for l in lines if l.startswith("replayed ")]
    assert len(done) == 1 and int(done[0].split()[1]) > 60   # 2 x 45 batches, minus warm-up and checks
