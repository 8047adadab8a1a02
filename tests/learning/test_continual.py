"""Continual learning: metrics against hand-computed values, task splits, catastrophic forgetting, CLI errors."""
from __future__ import annotations

import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.cli import main as cli_main
from neurodiscovery.learning.continual import average_accuracy, continual_tasks, forgetting, run_continual


def test_average_accuracy_and_forgetting_by_hand():
    R = np.array([[0.9, 0.1, 0.0],
                  [0.5, 0.8, 0.2],
                  [0.3, 0.6, 0.7]])
    assert average_accuracy(R) == pytest.approx((0.3 + 0.6 + 0.7) / 3)
    assert forgetting(R) == pytest.approx(((0.9 - 0.3) + (0.8 - 0.6)) / 2)


def test_split_digits_has_five_two_class_tasks():
    tasks = continual_tasks("digits")
    assert [t["classes"] for t in tasks] == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]
    for t in tasks:
        assert set(np.unique(t["y_train"])) == set(t["classes"])
        assert t["X_train"].min() >= 0 and t["X_train"].max() <= 1


def test_backprop_forgets_earlier_classes_catastrophically():
    rows, runs = run_continual("digits", ["backprop"], seeds=1, n_hidden=32, n_epochs=10)
    assert np.diag(runs[0].accuracy_task_aware).min() > 0.9  # each task is learned ...
    assert rows[0]["forgetting_mean"] > 0.8  # ... and forgotten when all ten outputs compete
    assert rows[0]["task_aware_accuracy_mean"] > rows[0]["average_accuracy_mean"]
    with pytest.raises(InputError, match="unknown continual-learning rule"):
        run_continual("digits", ["sgd"])


@pytest.mark.parametrize("argv, match", [
    (["learn", "spiking", "--task", "imagenet"], "unknown task"),
    (["learn", "spiking", "--rule", "stdp"], "--rule: invalid choice: 'stdp'"),
    (["learn", "spiking", "--rule", "eprop", "--neuron", "synaptic"], "trains with bptt only"),
    (["learn", "spiking", "--dt-ms", "0"], "--dt-ms"),
    (["learn", "spiking", "--threshold-mv", "-1"], "threshold"),
    (["learn", "spiking", "--task", "digits", "--outputs", "5"], "10 classes but --outputs 5"),
    (["learn", "continual", "--dataset", "cifar"], "--dataset: invalid choice: 'cifar'"),
    (["learn", "continual", "--rules", "backprop,sgd"], "unknown value 'sgd'"),
])
def test_learn_spiking_bad_input_is_one_line_exit_2(argv, match, capsys, tmp_path):
    assert cli_main([*argv, "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and match in err


def test_csv_without_labels_is_one_line_exit_2(tmp_path, capsys):
    f = tmp_path / "x.csv"
    f.write_text("a,b\n1,2\n3,4\n")
    assert cli_main(["learn", "spiking", "--task", str(f), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no 'label' column" in err
