"""Second hardening round (issue 27), data layer: items 3, 4 and 7, each one line, exit 2, no traceback."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError, NeurodiscoveryError
from neurodiscovery.data import Recording, TimeSeries, read_recording, write_npz, write_nwb

SRC = Path(__file__).resolve().parents[2] / "src"


def _cli(args, cwd):
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"}
    p = subprocess.run([sys.executable, "-m", "neurodiscovery.cli", *map(str, args)], cwd=cwd, env=env,
                       capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def test_one_spike_rate_is_undefined_not_1000_hz(tmp_path):
    rec = Recording([np.array([1.0])], name="one")
    assert np.isnan(rec.firing_rates_hz()).all()
    s = rec.summary()
    assert s["rate_hz"]["median"] is None and "single instant" in s["rate_note"]
    # with a declared support the rate is the count over it
    assert Recording([np.array([1.0])], time_support_s=[0, 10]).firing_rates_hz() == pytest.approx([0.1])


def test_analyze_one_spike_file_is_refused_in_one_line(tmp_path):
    path = write_nwb(Recording([np.array([1.0])], name="one"), tmp_path / "one_spike.nwb")
    rc, out, err = _cli(["info", path], tmp_path)
    assert rc == 0 and "1000" not in out and "undefined" in out
    rc, out, err = _cli(["analyze", "--quick", "--no-progress", path, "--out", tmp_path / "run"], tmp_path)
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "time support" in err and not (tmp_path / "run").exists()


@pytest.mark.parametrize("ptr, what", [(np.array([[0, 1]]), "1-D"), (np.array([0.0, 0.5]), "fractional"),
                                       (np.array(["0", "1"]), "integer")])
def test_bad_spike_offsets_name_the_problem(tmp_path, ptr, what):
    good = dict(np.load(write_npz(Recording([np.array([1.0, 2.0])]), tmp_path / "ok.npz")))
    good["spike_ptr"] = ptr
    np.savez(tmp_path / "bad.npz", **good)
    with pytest.raises(NeurodiscoveryError, match=what):
        read_recording(tmp_path / "bad.npz")
    good["spike_ptr"] = np.array([0.0, 2.0])  # whole-number floats index correctly
    np.savez(tmp_path / "float.npz", **good)
    assert read_recording(tmp_path / "float.npz").n_spikes.tolist() == [2]


def test_complex_behaviour_and_absurd_time_support_are_refused():
    with pytest.raises(InputError, match="complex"):
        TimeSeries("hd", np.arange(3.0), np.exp(1j * np.arange(3.0)))
    with pytest.raises(InputError, match="100 days"):
        Recording([np.array([0.0, 1e12])])
    with pytest.raises(InputError, match="100 days"):
        Recording([np.array([0.0, 1.0])], time_support_s=[0, 1e12])


def test_npz_nan_behaviour_samples_are_gaps(tmp_path):
    rec = Recording([np.array([0.5, 1.5])], behaviors={"x": TimeSeries("x", np.arange(4.0), np.arange(4.0))})
    d = dict(np.load(write_npz(rec, tmp_path / "r.npz")))
    d["behavior__x__values"] = np.array([[0.0], [np.nan], [2.0], [3.0]])
    np.savez(tmp_path / "gap.npz", **d)
    b = read_recording(tmp_path / "gap.npz").behavior("x")
    assert b.t_s.tolist() == [0.0, 2.0, 3.0] and b.meta["n_dropped_nan"] == 1


@pytest.mark.parametrize("method", ["fa", "ring"])
def test_latents_on_zero_units_names_the_cause(tmp_path, method):
    path = write_npz(Recording([], time_support_s=[0, 10], name="empty"), tmp_path / "zero.npz")
    rc, out, err = _cli(["latents", path, "--method", method, "--out", tmp_path / "l"], tmp_path)
    assert rc == 2 and "no units" in err and "--segment" not in err and "--dim" not in err, err
