"""jPCA on trials: the default alignment is the declared movement onset, windows stay inside their trials."""
import json

import numpy as np
import pytest

from neurodiscovery.cli import main
from neurodiscovery.data import write_recording
from neurodiscovery.datasets import make_reaching


@pytest.fixture(scope="module")
def reach_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("reach_default") / "reach.npz"
    write_recording(make_reaching(seed=0).to_recording(), path)  # the built-in 'reaching' session
    return path


def test_default_alignment_recovers_planted_rotations(reach_file, tmp_path):
    # planted: two rotational planes at 3 and 1.5 Hz starting at movement onset (go_s = 0.3 s into each trial);
    # aligned on trial start the fit mixed 0.3 s of baseline in and reported 2.30 / 1.25 Hz
    out = tmp_path / "run"
    assert main(["dynamics", str(reach_file), "--method", "jpca", "--out", str(out)]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["aligned_on"] == "go_s" and m["window_s"] == pytest.approx([0.0, 0.7])
    assert m["plane1_frequency_hz"] == pytest.approx(3.0, rel=0.08)
    assert m["plane2_frequency_hz"] == pytest.approx(1.5, rel=0.08)


def test_window_into_next_trial_is_refused(reach_file, capsys):
    # 1-s trials 0.5 s apart: a 5-s window would pool the next three trials into each one
    assert main(["dynamics", str(reach_file), "--method", "jpca", "--event", "start_s", "--window", "0,5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "runs into a neighbouring trial in 159 of 160 trials" in err[0]
    assert "(-0.5, 1.5)" in err[0]  # the longest window that fits: the gaps on either side
    # a window into the gap after the trial (not into the next trial) is fine
    assert main(["dynamics", str(reach_file), "--method", "jpca", "--event", "start_s", "--window=-0.2,1.4",
                 "--out", str(reach_file.parent / "gap_ok")]) == 0


def test_export_reaching_n_conditions(tmp_path, capsys):
    from neurodiscovery.data import read_recording

    path = tmp_path / "r4.npz"
    assert main(["datasets", "export", "reaching", str(path), "--n-conditions", "4"]) == 0
    rec = read_recording(path)
    assert sorted(np.unique(rec.trials.column("condition"))) == [0, 1, 2, 3]
    assert np.allclose(np.unique(rec.trials.column("direction_rad")), np.arange(4) * np.pi / 2)
    capsys.readouterr()
    assert main(["datasets", "export", "lorenz", str(tmp_path / "l.npz"), "--n-conditions", "4"]) == 2
    assert "reaching" in capsys.readouterr().err
