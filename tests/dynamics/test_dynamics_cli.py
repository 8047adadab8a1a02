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
    printed = capsys.readouterr().out.strip().splitlines()  # one line: key numbers with units, the run folder
    assert len(printed) == 1 and "jPCA plane 1 rotation frequency" in printed[0] and " Hz" in printed[0]


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
                 "--smooth", "0.05", "--checkpoint", str(out / "model"),
                 "--out", str(fp)]) == 0
    fpm = json.loads((fp / "metrics.json").read_text())
    assert fpm["n_points"] >= 1
    # fit quality beside every claim: both runs report the network's held-out R² and warn below the threshold
    for folder, m in ((out, metrics), (fp, fpm)):
        r2 = m["fit_r2_test"]["value"]
        assert m["fit_r2_threshold"] == 0.5 and (m["fit_warning"] is not None) == (r2 < 0.5)
        html = (folder / "report.html").read_text()
        assert "held-out R² of the fitted network" in html and f"{r2:.3g}" in html
        assert ("Warning:" in html) == (r2 < 0.5)
    # the same network scored on the same test block (same smoothing) gives the same R²
    assert fpm["fit_r2_test"]["value"] == pytest.approx(metrics["r2_test"], abs=1e-4)


def test_fit_quality_warns_on_a_network_fitted_to_noise(tmp_path):
    from neurodiscovery.dynamics import MIN_FIT_R2, fit_quality
    from neurodiscovery.pipeline.dynamics import run_dynamics

    q, warn = fit_quality(0.8, "fixed points")
    assert warn is None and q.value == 0.8 and q.unit == "1"
    assert "0.16" in fit_quality(0.16, "fixed points")[1] and MIN_FIT_R2 == 0.5
    # independent Poisson units repeated over trials: nothing for a network to reproduce, so it must warn
    rec = make_reaching(n_trials_per_condition=3, n_neurons=10, seed=2).to_recording()
    rng = np.random.default_rng(0)
    noise = [np.sort(rng.uniform(0, rec.duration_s, rng.poisson(8 * rec.duration_s))) for _ in range(10)]
    rec = type(rec)(noise, regions=np.full(10, "noise"), trials=rec.trials, time_support_s=rec.time_support_s)
    path, m = run_dynamics(rec, "fixed-points", out=tmp_path / "fp", bin_size_s=0.05, max_epochs=5)
    assert m["fit_r2_test"]["value"] < MIN_FIT_R2 and "below 0.5" in m["fit_warning"]
    assert "Warning:" in (path / "report.html").read_text()


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
