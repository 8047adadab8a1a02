import h5py
import numpy as np
import pytest

from neurodiscovery import NeurodiscoveryError
from neurodiscovery._utils.errors import DataFileError, MissingFileError
from neurodiscovery.data import read_nwb, read_recording, write_nwb


def test_shared_file_counts(shared_hd_nwb):
    rec = read_recording(shared_hd_nwb)
    assert rec.n_units == 15
    assert (rec.regions == "adn").sum() == 7 and (rec.regions == "ca1").sum() == 8
    assert rec.n_spikes.sum() == 98794
    assert {"sleep", "wake"} <= set(rec.epochs)
    np.testing.assert_allclose(rec.epoch("wake"), [[600, 1200]])
    hd = rec.behavior("head_direction")
    assert hd.circular and hd.columns == ("ry",)
    assert 670 < hd.t_s[0] < 671 and hd.values.min() >= 0 and hd.values.max() < 2 * np.pi
    assert rec.behavior("position").values.shape[1] == 3
    assert len(rec.epoch("sleep_ripples")) == 594


def test_roundtrip_exact_spikes_and_behaviour(tiny_recording, tmp_path):
    p = write_nwb(tiny_recording, tmp_path / "r.nwb")
    back = read_nwb(p)
    assert back.n_units == 3
    for a, b in zip(tiny_recording.spike_times, back.spike_times):
        np.testing.assert_array_equal(a, b)  # exact
    assert list(back.regions) == ["adn", "adn", "ca1"]
    assert list(back.unit_ids) == [10, 11, 12]
    for name in ("head_direction", "position"):
        a, b = tiny_recording.behavior(name), back.behavior(name)
        np.testing.assert_allclose(a.t_s, b.t_s, rtol=0, atol=1e-9)
        np.testing.assert_allclose(a.values, b.values, rtol=0, atol=1e-9)
        assert a.columns == b.columns and a.circular == b.circular
    np.testing.assert_allclose(back.epoch("a"), [[0, 5]])
    np.testing.assert_array_equal(back.trials.column("condition"), [0, 1, 0, 1, 0, 1])


def test_write_never_overwrites(tiny_recording, tmp_path):
    p = write_nwb(tiny_recording, tmp_path / "r.nwb")
    before = p.read_bytes()
    with pytest.raises(NeurodiscoveryError, match="exists"):
        write_nwb(tiny_recording, p)
    assert p.read_bytes() == before


def test_missing_file(tmp_path):
    with pytest.raises(MissingFileError, match="no such file"):
        read_recording(tmp_path / "nope.nwb")


def test_not_nwb(tmp_path):
    p = tmp_path / "x.nwb"
    p.write_text("hello, I am text")
    with pytest.raises(DataFileError, match="not a recording"):
        read_recording(p)


def test_corrupt_nwb(shared_hd_nwb, tmp_path):
    p = tmp_path / "trunc.nwb"
    p.write_bytes(shared_hd_nwb.read_bytes()[:200_000])
    with pytest.raises(DataFileError):
        read_recording(p)


def test_plain_hdf5_is_not_nwb(tmp_path):
    p = tmp_path / "plain.h5"
    with h5py.File(p, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(DataFileError):
        read_recording(p)


def test_nwb_without_units(tmp_path):
    import datetime as dt

    import pynwb

    nwb = pynwb.NWBFile(session_description="x", identifier="x",
                        session_start_time=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
    p = tmp_path / "nounits.nwb"
    with pynwb.NWBHDF5IO(str(p), "w") as io:
        io.write(nwb)
    with pytest.raises(DataFileError, match="no Units table"):
        read_recording(p)


def test_read_selected_units_only(shared_hd_nwb):
    full = read_nwb(shared_hd_nwb)
    part = read_nwb(shared_hd_nwb, units=[3, 9])
    assert list(part.unit_ids) == [3, 9] and list(part.regions) == ["adn", "ca1"]
    np.testing.assert_array_equal(part.spike_times[0], full.spike_times[3])
    np.testing.assert_array_equal(part.spike_times[1], full.spike_times[9])
    adn = read_nwb(shared_hd_nwb, units=["adn"])
    assert adn.n_units == 7 and set(adn.regions) == {"adn"}
    assert adn.behavior_names == full.behavior_names  # behaviour and epochs still read
    with pytest.raises(NeurodiscoveryError, match="neither a unit id nor a region"):
        read_nwb(shared_hd_nwb, units=["v1"])
