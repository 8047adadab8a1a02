"""`neurodiscovery decode` end to end."""
import json
from pathlib import Path

import numpy as np
import pytest

from neurodiscovery.cli import main

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
NWB = SHARED / "A2929-200711_adn_ca1_head_direction.nwb"


@pytest.mark.needs_shared
def test_decode_head_direction_file(tmp_path, capsys):
    if not NWB.exists():
        pytest.skip("shared data folder not present")
    out = tmp_path / "run"
    rc = main(["decode", str(NWB), "--target", "head_direction", "--decoders", "wiener,bayes",
               "--bin-size", "0.05", "--epoch", "wake", "--out", str(out), "--no-progress"])
    assert rc == 0
    assert "wiener" in capsys.readouterr().out
    for f in ("comparison.md", "comparison.json", "metrics.json", "config.json", "predictions.npz",
              "figures/comparison_r2.png", "figures/predicted_vs_true_wiener.png",
              "figures/predicted_vs_true_bayes.png"):
        assert (out / f).exists(), f
    table = json.loads((out / "comparison.json").read_text())["table"]
    w = next(r for r in table if r["decoder"] == "wiener" and r["control"] == "none")
    assert w["r2_mean"] >= 0.75
    assert "median |angle error|" in (out / "comparison.md").read_text()
    with np.load(out / "predictions.npz") as z:
        t = z["wiener__t_s"]
        assert (np.diff(t) > 0).all() and 670 < t[0] < 1200
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["target"] == "head_direction" and "versions" in cfg


def test_decode_builtin_reaching(tmp_path):
    out = tmp_path / "reach"
    rc = main(["decode", "builtin:reaching", "--target", "hand_velocity", "--decoders", "wiener,kalman",
               "--bin-size", "0.02", "--bins-before", "3", "--bins-after", "2", "--n-splits", "3",
               "--out", str(out), "--no-progress"])
    assert rc == 0
    md = (out / "comparison.md").read_text()
    assert "R² vx" in md and "kalman" in md


def test_bad_input_exits_2_with_one_line(tmp_path, capsys):
    rc = main(["decode", "builtin:reaching", "--target", "speed", "--decoders", "wiener",
               "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert rc == 2
    assert "unknown target 'speed'; available behaviours: hand_velocity" in err
    assert not (tmp_path / "x").exists()
    rc = main(["decode", "builtin:reaching", "--target", "hand_velocity", "--decoders", "svm"])
    assert rc == 2 and "unknown decoder(s) svm" in capsys.readouterr().err
