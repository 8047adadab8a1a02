"""``neurodiscovery latents``: run folders, metrics and one-line errors (tiny data; the scale runs are slow)."""
import json

import numpy as np
import pytest

from neurodiscovery.cli import main


@pytest.fixture(scope="module")
def lorenz_file(tmp_path_factory):
    from neurodiscovery.data import write_recording
    from neurodiscovery.datasets import make_lorenz_population

    rec = make_lorenz_population(n_trials=40, n_time=30, n_neurons=12, base_rate_hz=30.0, seed=1).to_recording()
    path = tmp_path_factory.mktemp("lz") / "lorenz.npz"
    write_recording(rec, path)
    return path


def test_cli_gpfa_run_folder(lorenz_file, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["latents", str(lorenz_file), "--method", "gpfa", "--dim", "3", "--bin-size", "0.01",
                 "--embedding", "pca", "--out", str(out)]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["method"] == "gpfa" and m["dim"] == 3 and m["behavior"] == "lorenz_state"
    assert m["n_trials"] == 40 and m["n_time_bins"] == 30 and m["n_test_trials"] == 8
    for k in ("co_bps", "smoothing_co_bps", "behavior_r2"):
        assert np.isfinite(m[k])
    # Lorenz trials start from different states and carry no conditions: no PSTH to compare with
    assert m["psth_r2"] is None and "do not repeat conditions" in m["psth_r2_note"]
    assert m["behavior_r2"] > 0.2  # the Lorenz state is linearly readable from GPFA latents
    assert (out / "model.npz").exists() and (out / "latents.npz").exists() and (out / "report.html").exists()
    assert (out / "figures" / "trajectories.png").exists()
    printed = capsys.readouterr().out.strip().splitlines()  # one line: key numbers with units, the run folder
    assert len(printed) == 1 and "co-bps (gpfa, held-out)" in printed[0] and "bits/spike" in printed[0]


def test_cli_seqvae_saves_loadable_model(lorenz_file, tmp_path):
    from neurodiscovery.latents import SeqVAE

    out = tmp_path / "run"
    assert main(["latents", str(lorenz_file), "--method", "seqvae", "--dim", "3", "--bin-size", "0.01",
                 "--max-epochs", "1", "--embedding", "pca", "--out", str(out)]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["training"]["epochs"] == 1 and np.isfinite(m["co_bps"])
    model = SeqVAE.load(out / "model")
    assert model.n_features_in_ == 9 and model.n_outputs_ == 12  # 3 of 12 neurons held out


@pytest.mark.parametrize("argv, msg", [
    (["--method", "gpfa", "--dim", "50"], "larger than the number of neurons"),
    (["--method", "nope"], None),
])
def test_cli_bad_input_one_line(lorenz_file, tmp_path, capsys, argv, msg):
    if msg is None:
        assert main(["latents", str(lorenz_file), *argv]) == 2  # a parser error: one line, status 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
        return
    assert main(["latents", str(lorenz_file), "--bin-size", "0.01", "--out", str(tmp_path / "r"), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert msg in err and len(err.splitlines()) == 1
    assert not (tmp_path / "r").exists()


def test_too_few_trials_to_hold_out():
    from neurodiscovery._utils.errors import InputError
    from neurodiscovery.latents import fit_and_score

    with pytest.raises(InputError, match="too few to hold any out"):
        fit_and_score("fa", np.ones((2, 10, 6)), dim=2)
