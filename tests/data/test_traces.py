"""Imaging traces in the data layer: validation, NaN frames, binning, alignment, selection."""
import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.data import (
    Recording,
    RoiTable,
    TimeSeries,
    Traces,
    Trials,
    align_trials,
    bin_traces,
    fill_nan_frames,
)


def _traces(rng, n_frames=300, n_rois=4, rate=10.0, **kw):
    t = np.arange(n_frames) / rate
    return Traces({"dff": rng.normal(size=(n_frames, n_rois)),
                   "deconvolved": rng.exponential(size=(n_frames, n_rois))}, t, rate_hz=rate, **kw)


def test_validation_messages(rng):
    t = np.arange(10) / 10
    with pytest.raises(InputError, match="NaN"):
        Traces({"dff": np.full((10, 2), np.nan)}, t)
    with pytest.raises(InputError, match="expected \\(10 frames"):
        Traces({"dff": np.zeros((9, 2))}, t)
    with pytest.raises(InputError, match="unknown kind"):
        Traces({"calcium": np.zeros((10, 2))}, t)
    with pytest.raises(InputError, match="not analysable"):
        Traces({"neuropil": np.zeros((10, 2))}, t)
    with pytest.raises(InputError, match="3 in the ROI table"):
        Traces({"dff": np.zeros((10, 2))}, t, rois=RoiTable(np.arange(3)))
    with pytest.raises(InputError, match="different ROI counts"):
        Traces({"dff": np.zeros((10, 2)), "fluorescence": np.zeros((10, 3))}, t)


def test_fill_nan_frames_linear_and_reported():
    v = np.arange(20.0)[:, None] * np.array([[1.0, 2.0]])
    v[5:7, 0] = np.nan
    v[12, 1] = np.nan
    filled, rep = fill_nan_frames(v, rate_hz=10.0, max_gap_s=1.0)
    np.testing.assert_allclose(filled, np.arange(20.0)[:, None] * np.array([[1.0, 2.0]]))
    assert rep == {"n_nan_frames": 3, "n_gaps": 2, "longest_gap_s": pytest.approx(0.2)}
    v[0:15, 0] = np.nan
    with pytest.raises(InputError, match="15 consecutive NaN frames"):
        fill_nan_frames(v, rate_hz=10.0, max_gap_s=1.0)


def test_bin_traces_mean_for_levels_sum_for_events(rng):
    trc = _traces(rng)
    edges = np.arange(0, 30.01, 0.5)  # 5 frames per bin
    np.testing.assert_allclose(bin_traces(trc, edges), trc.values.reshape(60, 5, 4).mean(1))
    ev = trc.with_kind("deconvolved")
    np.testing.assert_allclose(bin_traces(ev, edges), ev.values.reshape(60, 5, 4).sum(1))
    fine = bin_traces(trc, np.arange(0, 1.0, 0.05))  # bins shorter than a frame are interpolated
    np.testing.assert_allclose(fine[2], trc.values[1])  # bin [0.10, 0.15) holds frame 1
    np.testing.assert_allclose(fine[1], 0.25 * trc.values[0] + 0.75 * trc.values[1])  # empty: centre 0.075


def test_recording_with_traces_bins_restricts_selects(rng):
    trc = _traces(rng, rois=RoiTable([7, 8, 9, 10], iscell=[0.9, 0.1, 0.8, np.nan]))
    pos = TimeSeries("x", np.arange(0, 30, 0.02), np.sin(np.arange(0, 30, 0.02)))
    rec = Recording([], behaviors={"x": pos}, traces=trc, trials=Trials([1.0, 5.0], [2.0, 6.0]))
    assert rec.is_imaging and rec.n_units == 4 and list(rec.unit_ids) == [7, 8, 9, 10]
    np.testing.assert_allclose(rec.time_support_s, [0.0, 30.0])
    b = rec.bin(0.5)
    assert b.signal == "dff" and b.counts.shape == (60, 4) and b.behavior("x").shape == (60, 1)
    sub = rec.select_units([0, 2])
    np.testing.assert_array_equal(sub.traces.values, trc.values[:, [0, 2]])
    assert list(sub.traces.rois.iscell) == [0.9, 0.8]
    r = rec.restrict(intervals=[[10.0, 20.0]])
    assert r.traces.n_frames == 100 and r.traces.t_s[0] == pytest.approx(10.0)
    al = align_trials(rec, window_s=(0.0, 1.0), bin_size_s=0.5, condition=None)
    assert al.signal == "dff" and al.counts.shape == (2, 2, 4)
    np.testing.assert_allclose(al.counts[0, 0], trc.values[10:15].mean(0))
    assert rec.with_traces("deconvolved").bin(0.5).signal == "deconvolved"
    s = rec.summary()
    assert s["imaging"]["n_rois"] == 4 and s["n_units"] == 4 and s["rate_hz"]["median"] is None
    with pytest.raises(InputError, match="2 spike trains for 4 imaged ROIs"):
        Recording([np.array([1.0]), np.array([2.0])], traces=trc)
    with pytest.raises(InputError, match="no 'fluorescence' traces"):
        rec.with_traces("fluorescence")


def test_imaging_recording_to_pynapple(rng):
    pytest.importorskip("pynapple")
    from neurodiscovery.data import to_pynapple

    trc = _traces(rng)
    d = to_pynapple(Recording([], traces=trc, epochs={"a": [[0, 10]]}))
    np.testing.assert_array_equal(np.asarray(d["traces"].values), trc.values)
    assert "units" not in d and len(d["a"]) == 1
