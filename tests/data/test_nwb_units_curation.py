"""NWB Units with a curation label, electrodes and mean waveforms; session data read without units."""
from __future__ import annotations

import numpy as np
import pytest

from neurodiscovery._utils.errors import DataFileError
from neurodiscovery.data import Recording, read_nwb, read_nwb_session, read_recording, write_nwb


def _sorted(tiny_recording):
    rng = np.random.default_rng(0)
    wf = rng.normal(size=(3, 30, 4)).astype(np.float32)
    cols = {"quality": np.array(["good", "bad", "good"]), "snr": np.array([8.0, 1.5, 12.0])}
    rec = Recording(tiny_recording.spike_times, unit_ids=[10, 11, 12], unit_columns=cols,
                    behaviors=tiny_recording.behaviors, trials=tiny_recording.trials, epochs=tiny_recording.epochs)
    el = {"electrode_positions_um": np.column_stack([np.zeros(4), np.arange(4) * 20.0]),
          "unit_electrodes": [[0, 1], [1, 2], [2, 3]], "waveform_mean": wf, "waveform_rate_hz": 30000.0}
    return rec, el, wf


def test_good_units_by_default(tmp_path, tiny_recording):
    rec, el, wf = _sorted(tiny_recording)
    p = write_nwb(rec, tmp_path / "units.nwb", units_detail=el, resolution_s=1 / 30000)
    good = read_recording(p)
    assert list(good.unit_ids) == [10, 12] and "2 of 3" in good.meta["curation"]
    np.testing.assert_array_equal(good.spike_times[1], tiny_recording.spike_times[2])
    every = read_nwb(p, all_units=True)
    assert list(every.unit_ids) == [10, 11, 12] and list(every.unit_columns["quality"]) == ["good", "bad", "good"]
    assert every.behavior_names == tiny_recording.behavior_names and len(every.trials) == 6
    import pynwb

    with pynwb.NWBHDF5IO(str(p), "r") as io:
        nwb = io.read()
        assert len(nwb.electrodes) == 4 and list(nwb.electrodes["rel_y"].data[:]) == [0, 20, 40, 60]
        assert list(nwb.units["electrodes"][1].index) == [1, 2]
        np.testing.assert_allclose(nwb.units["waveform_mean"].data[:], wf)


def test_no_good_unit_is_refused_with_the_option(tmp_path, tiny_recording):
    rec, el, _ = _sorted(tiny_recording)
    bad = Recording(rec.spike_times, unit_ids=rec.unit_ids, unit_columns={"quality": np.array(["bad"] * 3)})
    p = write_nwb(bad, tmp_path / "bad.nwb")
    with pytest.raises(DataFileError, match="all-units"):
        read_nwb(p)
    assert read_nwb(p, all_units=True).n_units == 3


def test_session_without_units(tmp_path, tiny_recording):
    behaviour_only = Recording([], behaviors=tiny_recording.behaviors, trials=tiny_recording.trials,
                               epochs=tiny_recording.epochs)
    p = write_nwb(behaviour_only, tmp_path / "session.nwb")
    s = read_nwb_session(p)
    assert s.n_units == 0 and s.behavior_names == tiny_recording.behavior_names
    assert len(s.trials) == 6 and set(s.epochs) == {"a", "b"}
