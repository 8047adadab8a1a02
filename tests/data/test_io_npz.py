import numpy as np
import pytest

from neurodiscovery._utils.errors import DataFileError
from neurodiscovery.data import read_recording, write_npz


def test_npz_roundtrip(tiny_recording, tmp_path):
    p = write_npz(tiny_recording, tmp_path / "r.npz")
    back = read_recording(p)
    for a, b in zip(tiny_recording.spike_times, back.spike_times):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(back.behavior("position").values, tiny_recording.behavior("position").values)
    assert back.behavior("head_direction").circular
    assert list(back.regions) == ["adn", "adn", "ca1"]
    np.testing.assert_array_equal(back.trials.column("condition"), tiny_recording.trials.column("condition"))
    np.testing.assert_allclose(back.time_support_s, tiny_recording.time_support_s)


def test_npz_never_unpickles(tmp_path):
    p = tmp_path / "evil.npz"
    np.savez(p, spike_times=np.array([object()], dtype=object), spike_ptr=np.array([0, 1]))
    with pytest.raises(DataFileError, match="pickle"):
        read_recording(p)


def test_npz_missing_field(tmp_path):
    p = tmp_path / "other.npz"
    np.savez(p, foo=np.arange(3))
    with pytest.raises(DataFileError, match="missing field.*spike_ptr"):
        read_recording(p)


def test_empty_file(tmp_path):
    p = tmp_path / "empty.nwb"
    p.write_bytes(b"")
    with pytest.raises(DataFileError, match="empty"):
        read_recording(p)
