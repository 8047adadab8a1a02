"""The user's curation decides (suite2p iscell label), and quality numbers say what they count.

Fixture: a suite2p-layout NWB with 92 ROIs of which 20 are labelled cells; the classifier's
probability disagrees (89 ROIs have p >= 0.5, 3 labelled cells have p < 0.5); 30 ROIs store F
and Fneu centred on zero; suite2p's own Deconvolved series is in the file.
"""
import hashlib
import json

import h5py
import numpy as np

from neurodiscovery.cli import main as cli_main
from neurodiscovery.data import read_recording
from neurodiscovery.imaging import prepare_imaging, roi_quality, select_cells

from .conftest import CENTRED_ROIS, EMPTY_SPKS_ROIS, N_CURATED, N_ROIS, curated_iscell, curated_spks

ISCELL = "processing/ophys/ImageSegmentation/PlaneSegmentation/iscell"


def test_the_label_decides_and_the_probability_only_fills_gaps(curated_s2p):
    rec = read_recording(curated_s2p)
    label, prob = curated_iscell()
    np.testing.assert_array_equal(rec.traces.rois.iscell_label, label)
    np.testing.assert_allclose(rec.traces.rois.iscell, prob)
    assert (prob >= 0.5).sum() == 89  # what a probability threshold would have analysed
    for p in (0.1, 0.5, 0.99):  # the threshold cannot override a label
        kept = select_cells(rec, p)
        np.testing.assert_array_equal(kept.unit_ids, np.arange(N_CURATED))
    step = kept.traces.meta["preprocessing"][-1]
    assert step["kept_by_label"] == 20 and step["n_labelled"] == 92 and step["kept_by_probability"] == 0
    # ROIs without a label fall back to the probability
    rois = rec.traces.rois
    lab = rois.iscell_label.copy()
    lab[N_CURATED:] = np.nan
    partial = rec.with_traces(rec.traces._replace(rois=rois.__class__(rois.roi_ids, rois.iscell, rois.centroid_px,
                                                                      rois.pixel_masks, rois.image_shape, lab)))
    kept = select_cells(partial, 0.9)
    expect = np.r_[np.arange(N_CURATED), N_CURATED + np.flatnonzero(prob[N_CURATED:] >= 0.9)]
    np.testing.assert_array_equal(kept.unit_ids, expect)


def test_info_json_reports_the_curated_count(curated_s2p, capsys):
    assert cli_main(["info", str(curated_s2p), "--json"]) == 0
    im = json.loads(capsys.readouterr().out)["imaging"]
    assert (im["n_rois"], im["n_curated_cells"], im["n_cells"], im["n_labelled"]) == (N_ROIS, N_CURATED, N_CURATED, 92)
    assert im["n_cells_p50"] == 89


def test_deconvolve_keeps_curation_series_and_says_what_it_made(curated_s2p, tmp_path, nwb_problems, capsys):
    digest = hashlib.sha256(curated_s2p.read_bytes()).hexdigest()
    out = tmp_path / "dec.nwb"
    assert cli_main(["deconvolve", str(curated_s2p), "--out", str(out), "--subject-id", "M1", "--species",
                     "Mus musculus", "--sex", "F", "--age", "P90D"]) == 0
    assert hashlib.sha256(curated_s2p.read_bytes()).hexdigest() == digest
    with h5py.File(curated_s2p) as a, h5py.File(out) as b:
        np.testing.assert_array_equal(b[ISCELL][:], a[ISCELL][:])  # curation untouched (both columns)
        s2p = "processing/ophys/Deconvolved/Deconvolved/data"
        np.testing.assert_array_equal(b[s2p][:], a[s2p][:])  # suite2p's own inference kept
        assert "DeconvolvedOASIS" in b["processing/ophys"]
    back = read_recording(out)
    assert back.traces.meta["source_series"]["deconvolved"] == "DeconvolvedOASIS"
    assert "Deconvolved" in back.traces.meta["ignored_series"]
    np.testing.assert_array_equal(back.traces.rois.iscell_label, curated_iscell()[0])
    assert nwb_problems(out) == []
    said = capsys.readouterr().err  # the counts reach the command line
    assert f"rescaled to noise-SD units instead of ΔF/F (baseline ≤ 0): {len(CENTRED_ROIS)} of {N_ROIS} ROIs" in said


def test_quality_snr_from_dff_drift_everywhere_and_special_rois_counted(curated_s2p, curated_calcium):
    rec = read_recording(curated_s2p)  # holds F, Fneu and suite2p's sparse Deconvolved, no ΔF/F
    q = roi_quality(rec)
    assert q.trace_kind == "dff (computed for quality)"
    cells = np.arange(N_CURATED)
    assert np.median(q.snr[cells]) > 5  # the sparse deconvolved series would give 0 (noise floor 0)
    assert np.isfinite(q.baseline_drift).all()  # including the 30 zero-centred ROIs
    c = q.counts()
    assert (c["noise_scaled"].value, c["noise_scaled"].of) == (len(CENTRED_ROIS), N_ROIS)
    np.testing.assert_array_equal(np.flatnonzero(q.flags["noise_scaled"]), CENTRED_ROIS)
    empty = ~np.any(curated_spks(curated_calcium) > 0, axis=0)  # planted all-zero rows and quiet ROIs
    assert set(EMPTY_SPKS_ROIS) <= set(np.flatnonzero(empty))
    np.testing.assert_array_equal(q.flags["empty_inference"], empty)
    assert c["empty_inference"].value == empty.sum()
    assert c["noise_scaled"].format() == "30 of 92 ROIs"


def test_analyze_analyses_exactly_the_labelled_cells(curated_s2p, tmp_path):
    from neurodiscovery.pipeline import AnalysisConfig
    from neurodiscovery.pipeline.analyze import analyze  # the package attribute can be the submodule

    rec = prepare_imaging(read_recording(curated_s2p), trace="dff")
    np.testing.assert_array_equal(rec.unit_ids, np.arange(N_CURATED))
    run = analyze(read_recording(curated_s2p), out=tmp_path / "run", progress=False,
                  config=AnalysisConfig(sections=("quality",), trace="dff"))
    m = json.loads((run / "metrics.json").read_text())
    assert [r["roi"] for r in m["quality"]["rois"]] == list(range(N_CURATED))
    assert m["quality"]["counts"]["noise_scaled"]["of"] == N_CURATED
    assert "median ROI SNR (ΔF/F)" in m["key_numbers"]


def test_round_trips_keep_curation_and_the_imaging_plane(curated_s2p, tmp_path):
    import warnings

    from neurodiscovery.data import write_recording

    rec = read_recording(curated_s2p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no subject in the input: said, tested elsewhere
        nwb = read_recording(write_recording(rec, tmp_path / "again.nwb"))
    npz = read_recording(write_recording(rec, tmp_path / "again.npz"))
    for back in (nwb, npz):
        np.testing.assert_array_equal(back.traces.rois.iscell_label, rec.traces.rois.iscell_label)
        np.testing.assert_allclose(back.traces.rois.iscell, rec.traces.rois.iscell)
    plane = nwb.traces.meta["imaging_plane_meta"]
    assert (plane["excitation_lambda"], plane["emission_lambda"], plane["location"]) == (920.0, 510.0, "CA1")
    assert nwb.meta["nwb"]["not_carried"] == []  # the microscope travels with the plane
