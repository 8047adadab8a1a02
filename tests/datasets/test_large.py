"""make_large_session: a long many-unit NWB session, generated a unit at a time, with its ground truth."""
import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.data import read_nwb
from neurodiscovery.datasets.large import make_large_session
from neurodiscovery.units import place_maps, tuning_curves


def test_planted_tuning_recovered_from_lazy_file(tmp_path):
    s = make_large_session(tmp_path / "big.nwb", n_units=40, duration_s=1500.0, seed=3)
    rec = read_nwb(s.path, lazy=True)
    assert rec.n_units == 40 and int(rec.n_spikes.sum()) == s.n_spikes and s.n_hd == 20
    assert rec.duration_s == pytest.approx(1500.0) and rec.meta["subject"] == "synthetic3"
    assert list(rec.regions[:20]) == ["hd"] * 20 and list(rec.regions[20:]) == ["place"] * 20
    pos = rec.behavior("position").values  # played forwards then backwards: no jump at the seams
    assert np.abs(np.diff(pos, axis=0)).max() < 0.05
    b = rec.bin(0.05)
    tc = tuning_curves(b.counts[:, :20], b.behavior("head_direction")[:, 0], 0.05, True, n_shuffles=0)
    err = np.angle(np.exp(1j * (tc.preferred - s.hd_preferred_rad)))
    assert np.abs(err).max() < np.deg2rad(15)  # every planted preferred direction recovered
    pm = place_maps(b.counts[:, 20:], b.behavior("position"), 0.05, n_shuffles=0)
    assert np.median(np.linalg.norm(pm.peak_xy - s.place_centre_m, axis=1)) < 0.1


def test_seeded_and_refuses_overwrite(tmp_path):
    a = make_large_session(tmp_path / "a.nwb", n_units=3, duration_s=60.0, seed=1)
    b = make_large_session(tmp_path / "b.nwb", n_units=3, duration_s=60.0, seed=1)
    np.testing.assert_array_equal(read_nwb(a.path).spike_times[0], read_nwb(b.path).spike_times[0])
    with pytest.raises(InputError, match="exists"):
        make_large_session(a.path, n_units=3, duration_s=60.0)
    with pytest.raises(InputError, match="n_units"):
        make_large_session(tmp_path / "c.nwb", n_units=0)
