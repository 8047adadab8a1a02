"""Reading imaging NWB files written with suite2p's conventions, including files in the wild."""
import numpy as np
import pytest

from neurodiscovery._utils.errors import DataFileError
from neurodiscovery.data import read_recording
from neurodiscovery.data.io_ophys import read_ophys_nwb


def test_suite2p_layout_is_read(suite2p_file, small_calcium):
    rec = read_recording(suite2p_file())
    trc, truth = rec.traces, small_calcium.recording.traces
    assert rec.is_imaging and rec.n_units == truth.n_rois == 10
    assert set(trc.kinds) == {"fluorescence", "neuropil"} and trc.kind == "fluorescence"
    assert trc.rate_hz == pytest.approx(30.0) and trc.indicator == "GCaMP6f"
    np.testing.assert_allclose(trc.series["fluorescence"], truth.series["fluorescence"], rtol=1e-6)
    np.testing.assert_allclose(trc.rois.iscell, truth.rois.iscell, rtol=1e-12)  # probcell column
    np.testing.assert_array_equal(trc.rois.mask_size_px, truth.rois.mask_size_px)
    np.testing.assert_allclose(trc.rois.centroid_px, truth.rois.centroid_px, atol=1.0)
    assert {"position", "head_direction"} <= set(rec.behavior_names)
    assert rec.regions[0] == "CA1"


@pytest.mark.filterwarnings("ignore:.*oriented incorrectly:UserWarning")
def test_transposed_series_is_detected(suite2p_file, small_calcium):
    rec = read_recording(suite2p_file(transpose=True))
    assert sorted(rec.traces.meta["transposed"]) == ["Fluorescence", "Neuropil"]
    np.testing.assert_allclose(rec.traces.series["neuropil"], small_calcium.recording.traces.series["neuropil"],
                               rtol=1e-6)


def test_nan_frames_are_interpolated_and_reported(suite2p_file, small_calcium):
    rec = read_recording(suite2p_file(nan_frames=[100, 101, 500]))
    rep = rec.traces.meta["nan_frames"]["fluorescence"]
    assert rep["n_nan_frames"] == 3 and rep["n_gaps"] == 2
    f, g = rec.traces.series["fluorescence"], small_calcium.recording.traces.series["fluorescence"]
    np.testing.assert_allclose(f[100], g[99] + (g[102] - g[99]) / 3, rtol=1e-5)  # linear across the gap
    assert np.isfinite(f).all()


def test_long_nan_gap_is_one_clear_error(suite2p_file):
    with pytest.raises(DataFileError, match="consecutive NaN frames"):
        read_recording(suite2p_file(nan_frames=range(200, 300)))


def test_roi_count_mismatch_is_named(suite2p_file):
    with pytest.raises(DataFileError, match="Neuropil.*ROIs"):
        read_recording(suite2p_file(neuropil_rois=7))


def test_no_rate_and_no_timestamps(suite2p_file):
    with pytest.raises(DataFileError, match="no timestamps and no imaging rate"):
        read_recording(suite2p_file(no_rate=True))


def test_rate_override(suite2p_file):
    rec = read_ophys_nwb(suite2p_file(), rate_hz=15.0)
    assert rec.traces.rate_hz == 15.0 and rec.traces.t_s[1] - rec.traces.t_s[0] == pytest.approx(1 / 15)
