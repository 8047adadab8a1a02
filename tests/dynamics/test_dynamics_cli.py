"""``neurodiscovery dynamics`` and ``neurodiscovery circuit`` end to end on small synthetic recordings."""
import json

import numpy as np
import pytest

from neurodiscovery.cli import main
from neurodiscovery.data import write_recording
from neurodiscovery.datasets import make_reaching


@pytest.fixture(scope="module")
def reach_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("reach") / "reach.npz"
    write_recording(make_reaching(n_trials_per_condition=4, n_neurons=20, seed=0).to_recording(), path)
    return path


def test_jpca_cli_writes_frequencies(reach_file, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["dynamics", str(reach_file), "--method", "jpca", "--event", "go_s", "--window", "0,0.7",
                 "--behaviors", "hand_velocity", "--n-pcs", "4", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_conditions"] == 8 and metrics["n_time_bins"] == 70
    # only 4 trials per condition: loose bounds, the Done-when scale is a slow test
    assert 2.0 < metrics["plane1_frequency_hz"] < 4.0
    assert (out / "figures" / "jpca_plane1.png").exists() and (out / "jpca.npz").exists()
    assert "plane1_frequency_hz" in capsys.readouterr().out


def test_forecast_cli(reach_file, tmp_path):
    out = tmp_path / "fc"
    assert main(["dynamics", str(reach_file), "--method", "forecast", "--history", "5", "--horizon", "3",
                 "--max-epochs", "1", "--bin-size", "0.02", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics) >= {"rnn", "var", "persistence"}
    assert (out / "figures" / "error_growth.png").exists()


def test_circuit_then_fixed_points_from_its_checkpoint(reach_file, tmp_path):
    out = tmp_path / "circ"
    assert main(["circuit", str(reach_file), "--max-epochs", "2", "--bin-size", "0.05", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert np.isfinite(metrics["r2_test"]) and metrics["n_neurons"] == 20
    assert (out / "model" / "state_dict.pt").exists()
    fp = tmp_path / "fp"
    assert main(["dynamics", str(reach_file), "--method", "fixed-points", "--bin-size", "0.05",
                 "--checkpoint", str(out / "model"), "--out", str(fp)]) == 0
    assert json.loads((fp / "metrics.json").read_text())["n_points"] >= 1


def test_bad_input_exits_2_with_one_line(reach_file, tmp_path, capsys):
    assert main(["dynamics", str(reach_file), "--method", "jpca", "--event", "nope"]) == 2
    assert "no event column 'nope'" in capsys.readouterr().err
    assert main(["dynamics", str(reach_file), "--method", "forecast", "--history", "200"]) == 2
    assert "longer than" in capsys.readouterr().err
    other = tmp_path / "other.npz"
    write_recording(make_reaching(n_trials_per_condition=2, n_neurons=12, seed=1).to_recording(), other)
    circ = tmp_path / "c12"
    assert main(["circuit", str(other), "--max-epochs", "1", "--bin-size", "0.05", "--out", str(circ)]) == 0
    capsys.readouterr()
    assert main(["dynamics", str(reach_file), "--method", "fixed-points", "--bin-size", "0.05",
                 "--checkpoint", str(circ / "model")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "12 neurons but the data has 20" in err[0]
