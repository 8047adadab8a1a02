"""Tasks (digits, MNIST-1D offline, CSV), the learn CLI and its run folder."""
import json

import numpy as np
import pytest

from neurodiscovery._utils.errors import DataFileError, InputError
from neurodiscovery.cli import main as cli_main
from neurodiscovery.learning import load_csv_task, load_task


def test_digits_split_is_fixed_and_stratified():
    a, b = load_task("digits"), load_task("digits")
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert len(a.y_train) + len(a.y_test) == 1797 and a.n_features == 64 and a.n_classes == 10
    assert 0 <= a.X_train.min() and a.X_train.max() <= 1


def test_mnist1d_generated_offline(monkeypatch, tmp_path):
    pytest.importorskip("mnist1d")
    import requests

    def no_network(*a, **k):
        raise AssertionError("mnist1d tried to download")

    monkeypatch.setattr(requests, "get", no_network)
    monkeypatch.chdir(tmp_path)
    state = np.random.get_state()[1].copy()
    t = load_task("mnist1d")
    assert t.X_train.shape == (4000, 40) and t.X_test.shape == (1000, 40)
    assert sorted(np.unique(t.y_train)) == list(range(10))
    assert list(tmp_path.iterdir()) == []  # no cached pickle written
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # global RNG left alone


def _write(path, text):
    path.write_text(text)
    return path


def test_csv_task(tmp_path, rng):
    X = rng.normal(size=(40, 3))
    y = np.where(X[:, 0] > 0, "a", "b")
    lines = ["f1,label,f2,f3"] + [f"{x[0]},{lab},{x[1]},{x[2]}" for x, lab in zip(X, y)]
    t = load_csv_task(_write(tmp_path / "d.csv", "\n".join(lines) + "\n"))
    assert t.n_features == 3 and len(t.y_train) + len(t.y_test) == 40
    np.testing.assert_allclose(t.X_train.mean(0), 0, atol=1e-12)


def test_csv_label_column_first_last_and_headerless(tmp_path, rng):
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    # the common header-less numeric layout: label last (or first), no header row
    last = _write(tmp_path / "last.csv", "\n".join(f"{a},{b},{c},{k}" for (a, b, c), k in zip(X, y)) + "\n")
    first = _write(tmp_path / "first.csv", "\n".join(f"{k},{a},{b},{c}" for (a, b, c), k in zip(X, y)) + "\n")
    named = _write(tmp_path / "named.csv", "x,y,z,cls\n" + last.read_text())
    tasks = [load_csv_task(last, label_column="last"), load_csv_task(first, label_column="first"),
             load_csv_task(named, label_column="cls"), load_csv_task(named, label_column="last")]
    for t in tasks:  # every row is data (no header row swallowed), same split, same features
        assert t.n_features == 3 and len(t.y_train) + len(t.y_test) == 40
        np.testing.assert_array_equal(t.y_train, tasks[0].y_train)
        np.testing.assert_allclose(t.X_train, tasks[0].X_train)
    with pytest.raises(DataFileError, match="--label-column"):
        load_csv_task(last)  # default 'label' on a header-less file: one line naming the option
    out = tmp_path / "run"
    assert cli_main(["learn", "--rule", "fa", "--dataset", str(last), "--label-column", "last", "--seeds", "1",
                     "--epochs", "1", "--hidden", "8", "--lr", "0.05", "--no-reference", "--out", str(out)]) == 0


@pytest.mark.parametrize("text,match", [
    ("a,b\n1,2\n3,4\n", "no 'label' column"),
    ("label,x\n0,1\n1,oops\n0,2\n1,3\n", "not a number"),
    ("label,x\n0,1\n1,2,3\n", "has 3 fields"),
])
def test_csv_errors(tmp_path, text, match):
    with pytest.raises(DataFileError, match=match) as exc:
        load_csv_task(_write(tmp_path / "bad.csv", text))
    assert "\n" not in str(exc.value)


def test_unknown_dataset():
    with pytest.raises(InputError, match="unknown dataset"):
        load_task("cifar")


def test_learn_cli_writes_run_folder(tmp_path, capsys):
    out = tmp_path / "run"
    rc = cli_main(["learn", "--rule", "dfa", "--dataset", "digits", "--seeds", "2", "--epochs", "2",
                   "--hidden", "16", "--lr", "0.05", "--out", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "| dfa |" in text and "| backprop |" in text
    for f in ("comparison.md", "metrics.json", "config.json", "report.html", "curves.npz",
              "figures/accuracy.png", "figures/alignment_dfa.png", "figures/learning_curves.png"):
        assert (out / f).is_file(), f
    m = json.loads((out / "metrics.json").read_text())
    assert [r["rule"] for r in m["table"]] == ["backprop", "dfa"]
    assert len(m["seeds"]["dfa"]) == 2 and all(s["n_epochs"] <= 2 for s in m["seeds"]["dfa"])
    html = (out / "report.html").read_text()
    assert "Alignment with the gradient" in html and "data:image/png;base64" in html


@pytest.mark.parametrize("argv,match", [
    (["learn", "--rule", "hebb"], "--rule: invalid choice: 'hebb'"),
    (["learn", "--lr", "0"], "--lr: must be > 0"),
    (["learn", "--lr", "fast"], "--lr: expected a number, got 'fast'"),
    (["learn", "--dataset", "nope.csv"], "does not exist"),
    (["learn", "--seeds", "0"], "--seeds: must be >= 1"),
])
def test_learn_cli_errors(argv, match, capsys, tmp_path):
    assert cli_main([*argv, "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert match in err and len(err.splitlines()) == 1
    assert not (tmp_path / "r").exists()


def test_learn_compare_parses():
    from neurodiscovery.cli import build_parser

    args = build_parser().parse_args(["learn", "compare", "--dataset", "mnist1d"])
    assert args.action == "compare" and args.dataset == "mnist1d"
    assert build_parser().parse_args(["learn"]).action is None  # no action: train --rule with backprop
    assert build_parser().parse_args(["learn", "compare"]).rules == ("backprop", "fa", "dfa", "three_factor", "frozen")


def test_command_literals_are_the_librarys():
    from neurodiscovery.learning import SUPERVISED_RULES
    from neurodiscovery.learning.continual import CONTINUAL_RULES
    from neurodiscovery.learning.snn_train import SNN_RULES
    from neurodiscovery.learning.spiking import NEURONS
    from neurodiscovery.pipeline import learn, learn_continual, learn_spiking

    assert learn.LEARN_RULES == tuple(SUPERVISED_RULES)
    assert learn_continual.CONTINUAL_RULES == CONTINUAL_RULES
    assert learn_spiking.SNN_RULES == SNN_RULES and learn_spiking.NEURONS == NEURONS
