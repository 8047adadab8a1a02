"""read_nwb(lazy=True): spike trains stay in the file and read one unit at a time, with the eager answers."""
import pickle

import h5py
import numpy as np
import pytest

from neurodiscovery._utils.errors import DataFileError
from neurodiscovery.data import read_nwb, read_recording, write_nwb
from neurodiscovery.data.lazy import LazySpikeTrains


@pytest.fixture
def nwb_path(tiny_recording, tmp_path):
    return write_nwb(tiny_recording, tmp_path / "r.nwb")


def test_lazy_equals_eager(nwb_path):
    eager, lazy = read_nwb(nwb_path), read_nwb(nwb_path, lazy=True)
    assert isinstance(lazy.spike_times, LazySpikeTrains) and lazy == eager
    np.testing.assert_array_equal(lazy.n_spikes, eager.n_spikes)
    np.testing.assert_array_equal(lazy.time_support_s, eager.time_support_s)
    np.testing.assert_array_equal(lazy.bin(0.1).counts, eager.bin(0.1).counts)
    assert read_recording(nwb_path, lazy=True) == eager


def test_views_stay_lazy_and_match(nwb_path):
    eager, lazy = read_nwb(nwb_path), read_nwb(nwb_path, lazy=True)
    iv = np.array([[0.5, 2.0], [3.0, 4.5]])
    r = lazy.restrict(intervals=iv)
    assert isinstance(r.spike_times, LazySpikeTrains) and r == eager.restrict(intervals=iv)
    np.testing.assert_array_equal(r.n_spikes, eager.restrict(intervals=iv).n_spikes)
    s = lazy.select_units([2, 0])
    assert isinstance(s.spike_times, LazySpikeTrains) and s == eager.select_units([2, 0])
    assert s.restrict(intervals=iv) == eager.select_units([2, 0]).restrict(intervals=iv)
    np.testing.assert_array_equal(lazy.spike_times[-1], eager.spike_times[-1])
    assert [len(x) for x in lazy.spike_times[1:]] == [len(x) for x in eager.spike_times[1:]]
    with pytest.raises(IndexError):
        lazy.spike_times[3]


def test_units_subset_and_pickle(nwb_path):
    lazy = read_nwb(nwb_path, units=["ca1"], lazy=True)
    assert lazy.n_units == 1 and lazy == read_nwb(nwb_path, units=["ca1"])
    lazy.spike_times[0]  # opens the file
    back = pickle.loads(pickle.dumps(lazy))  # a dask task carries the path, not the open handle
    assert back == lazy
    lazy.spike_times.close()
    assert back.spike_times[0].flags.writeable is False


def test_unsorted_unit_is_sorted_on_read(nwb_path):
    with h5py.File(nwb_path, "r+") as f:
        d = f["units/spike_times"]
        end = int(f["units/spike_times_index"][0])
        d[:end] = d[:end][::-1]
    eager, lazy = read_nwb(nwb_path), read_nwb(nwb_path, lazy=True)
    assert lazy == eager and np.all(np.diff(lazy.spike_times[0]) >= 0)


def test_nan_spike_time_refused_on_read(nwb_path):
    with h5py.File(nwb_path, "r+") as f:
        f["units/spike_times"][0] = np.nan
    with pytest.raises(DataFileError, match="NaN"):  # the time support reads every unit once
        read_nwb(nwb_path, lazy=True)


def test_bad_index_refused(tmp_path):
    with pytest.raises(DataFileError, match="spike_times_index"):
        LazySpikeTrains(tmp_path / "x.nwb", [0, 5], [5, 3])
