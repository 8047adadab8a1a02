"""Recording-level imaging: cell selection, trace choice, files, CLI, tuning and decoding end to end."""
import hashlib

import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.cli import main as cli_main
from neurodiscovery.data import read_recording
from neurodiscovery.imaging import (
    plot_roi_quality,
    plot_roi_traces,
    prepare_imaging,
    roi_quality,
    select_cells,
)


def test_select_cells_threshold_and_zero_left(small_calcium):
    rec = small_calcium.recording
    kept = select_cells(rec, 0.5)  # no labels: the probability decides
    assert kept.n_units == 8 and set(kept.regions) == {"hd", "place"}
    assert kept.traces.meta["preprocessing"][-1] == {
        "step": "cells", "cell_probability": 0.5, "n_rois": 10, "kept": 8, "kept_by_label": 0,
        "kept_by_probability": 8, "kept_by_unknown": 0, "n_labelled": 0}
    with pytest.raises(InputError, match="no ROI of 2 is a cell"):
        select_cells(rec.select_units([8, 9]), 1.0)


def test_prepare_imaging_chooses_the_trace(small_calcium):
    dff = prepare_imaging(small_calcium.recording, trace="dff")
    assert dff.traces.kind == "dff" and dff.bin(0.1).signal == "dff" and "deconvolved" not in dff.traces.series
    raw = prepare_imaging(small_calcium.recording, trace="fluorescence", cell_probability=None)
    assert raw.traces.kind == "fluorescence" and raw.n_units == 10
    with pytest.raises(InputError, match="trace must be one of"):
        prepare_imaging(small_calcium.recording, trace="spikes")


def test_roi_quality_separates_cells_from_noncells(small_calcium, small_inferred):
    q = roi_quality(small_inferred)
    cells = small_calcium.recording.regions != "noncell"
    assert q.snr[cells].min() > q.snr[~cells].max()
    assert q.event_rate_hz[~cells].max() < 0.2 < np.median(q.event_rate_hz[cells])
    assert np.isfinite(q.baseline_drift).all() and np.all(q.mask_size_px > 20)
    assert len(q.rows()) == 10
    assert plot_roi_quality(q) is not None and plot_roi_traces(small_calcium.recording) is not None


def test_cli_deconvolve_writes_a_new_file_and_info_shows_imaging(suite2p_file, tmp_path, capsys):
    src = suite2p_file()
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    out = tmp_path / "inferred.npz"
    assert cli_main(["deconvolve", str(src), "--out", str(out), "--tau-decay", "indicator"]) == 0
    assert hashlib.sha256(src.read_bytes()).hexdigest() == digest  # the input is never changed
    rec = read_recording(out)
    assert rec.traces.kind == "deconvolved" and {"dff", "fluorescence", "neuropil"} <= set(rec.traces.kinds)
    assert rec.traces.meta["deconvolution"]["tau_decay_s"] == 0.7
    capsys.readouterr()
    assert cli_main(["info", str(src)]) == 0
    text = capsys.readouterr().out
    assert "10 ROIs, 8 curated cells (iscell label; 10 labelled); 30.00 Hz imaging rate" in text
    assert "indicator GCaMP6f" in text
    assert cli_main(["deconvolve", str(src), "--out", str(src)]) == 2
    assert "input is never changed" in capsys.readouterr().err
    assert cli_main(["deconvolve", str(src), "--out", str(out)]) == 2  # exists, no --overwrite


def test_nwb_round_trip_keeps_series_rois_and_regions(small_calcium, tmp_path):
    from neurodiscovery.data import write_recording
    from neurodiscovery.imaging import infer_spikes

    rec = infer_spikes(small_calcium.recording, tau_decay_s=0.7)
    back = read_recording(write_recording(rec, tmp_path / "x.nwb"))
    for k in rec.traces.kinds:
        np.testing.assert_allclose(back.traces.series[k], rec.traces.series[k])
    assert back.traces.kind == "deconvolved" and list(back.regions) == list(rec.regions)
    np.testing.assert_allclose(back.traces.rois.iscell, rec.traces.rois.iscell)
    np.testing.assert_array_equal(back.traces.rois.mask_size_px, rec.traces.rois.mask_size_px)
    assert back.traces.meta["source_series"]["deconvolved"] == "DeconvolvedOASIS"  # says what made it


@pytest.fixture(scope="module")
def hd_imaging():
    from neurodiscovery.datasets import make_calcium_imaging

    return make_calcium_imaging(n_hd=16, n_place=0, n_noncell=2, duration_s=300, snr=6.0, seed=11)


def test_tuned_rois_found_tuned_and_decoded(hd_imaging):
    from neurodiscovery.decoding import decode_recording
    from neurodiscovery.imaging import describe_preprocessing
    from neurodiscovery.units.tuning import tuning_curves

    rec = prepare_imaging(hd_imaging.recording)  # default: deconvolved, iscell >= 0.5
    assert rec.n_units == 16 and rec.traces.kind == "deconvolved"
    text = describe_preprocessing(rec)
    assert "OASIS-deconvolved activity of 16 ROIs" in text and "F − 0.7·Fneu" in text
    assert "16 of 18 ROIs (0 by the curated iscell label of 0 labelled ROIs, 16 unlabelled" in text
    b = rec.bin(0.1)
    tc = tuning_curves(b.counts, b.behavior("head_direction")[:, 0], 0.1, True, n_shuffles=50, seed=0)
    assert np.all(tc.p_value <= 1 / 51 + 1e-12)  # every tuned ROI beats all 50 time-shift shuffles
    err = np.angle(np.exp(1j * (tc.preferred - hd_imaging.tuning.hd_preferred_rad)))
    assert np.median(np.abs(err)) < np.deg2rad(15)
    res = decode_recording(rec, "head_direction", bin_size_s=0.1, decoders=("wiener",), n_splits=3)
    assert res.row("wiener").r2_mean >= 0.7
