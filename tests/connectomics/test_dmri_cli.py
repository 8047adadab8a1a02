"""`neurodiscovery connectome` end to end on dipy's bundled data, and bad input as one line."""
import json
import os

import numpy as np
import pytest

pytest.importorskip("dipy")
nib = pytest.importorskip("nibabel")

from neurodiscovery.cli import main

FILES = os.path.join(os.path.dirname(pytest.importorskip("dipy.data").__file__), "files")


def _run(argv):
    return main(["connectome", *[str(a) for a in argv], "--no-progress"])


def _one_line_error(capsys, rc, match):
    err = capsys.readouterr().err.strip()
    assert rc == 2, err
    assert "\n" not in err and "Traceback" not in err
    assert match in err, err


def test_tracks300_with_grid_labels(tmp_path):
    out = tmp_path / "run"
    assert _run(["--tractogram", os.path.join(FILES, "tracks300.trk"), "--labels", "grid:3",
                 "--n-null", "2", "--out", out]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["connectivity"]["n_streamlines"] == 300 and m["connectivity"]["n_regions"] == 27
    counts = np.load(out / "connectome_counts.npy")
    assert counts.sum() == 2 * (300 - m["connectivity"]["n_self"])  # symmetric, diagonal off
    header = (out / "connectome_counts.csv").read_text().splitlines()[0].split(",")
    assert header[:2] == ["region", "grid_0_0_0"] and len(header) == 28
    g = json.loads((out / "graph_metrics.json").read_text())
    assert set(g["degree"]) == set(header[1:])
    html = (out / "report.html").read_text()
    assert "data:image/png;base64" in html and "Graph measures" in html


def test_small_64d_dwi_end_to_end(tmp_path, capsys):
    out = tmp_path / "run"
    dwi, bval, bvec = (os.path.join(FILES, f"small_64D.{e}") for e in ("nii", "bval", "bvec"))
    # defaults: a 20 mm crop holding only brain, where median_otsu keeps only 117 bright voxels;
    # the auto mask sees that the voxels Otsu drops are tissue, not background, and keeps all
    assert _run([dwi, "--bvals", bval, "--bvecs", bvec, "--labels", "grid:3", "--n-null", "4", "--out", out]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["tractography"]["brain_mask_voxels"] == 1000 and "tissue, not background" in m["tractography"]["brain_mask_rule"]
    assert m["tractography"]["n_streamlines"] > 100 and m["connectivity"]["n_edges"] > 10
    assert (out / "streamlines.trk").exists() and (out / "figures" / "fa.png").exists()
    fa = np.load(out / "connectome_mean_fa.npy")
    assert np.all((fa[np.isfinite(fa)] > 0) & (fa[np.isfinite(fa)] <= 1))
    q, c = m["key_numbers"], m["connectivity"]
    # self-connections are counted apart from streamlines joining two different regions
    between = q["streamlines joining two different regions"]
    assert between["value"] == c["n_assigned"] - c["n_self"] == c["n_between_regions"] and c["n_self"] > 0
    assert q["streamlines starting and ending in one region (self-connections)"]["value"] == c["n_self"]
    assert between["of"] == c["n_streamlines"]
    assert q["global efficiency, weighted (counts; distance = 1/weight)"]["unit"] == "streamlines"
    g = json.loads((out / "graph_metrics.json").read_text())
    sigma = q["small-world sigma (binary)"]
    if g["n_components"] > 1:  # undefined on a disconnected graph: null with the reason, never 0.0
        assert sigma["value"] is None and "components" in sigma["note"]
    # forcing median_otsu leaves no streamline: one line that names --brain-mask none
    rc = _run([dwi, "--bvals", bval, "--bvecs", bvec, "--labels", "grid:2", "--brain-mask", "median_otsu",
               "--out", tmp_path / "r2"])
    _one_line_error(capsys, rc, "--brain-mask none")


def test_auto_mask_rules():
    from dipy.data import get_fnames

    from neurodiscovery.connectomics.dmri import make_phantom
    from neurodiscovery.connectomics.dmri.io import load_dwi, make_dwi
    from neurodiscovery.connectomics.dmri.reconstruction import auto_brain_mask

    f = get_fnames(name="small_64D")
    dwi = load_dwi(str(f[0]), str(f[1]), str(f[2]))
    mask, rule = auto_brain_mask(dwi)
    assert mask.all() and "every voxel" in rule
    # pre-masked: the user's zeros decide, exactly
    data = dwi.data.copy()
    data[:3] = 0
    pre, rule = auto_brain_mask(make_dwi(data, dwi.affine, dwi.bvals, dwi.bvecs))
    assert "pre-masked" in rule and pre.sum() == 700 and not pre[:3].any()
    # a volume with air around the brain (the phantom): median_otsu is kept
    ph = make_phantom(snr=20, seed=0)
    m, rule = auto_brain_mask(ph.dwi)
    assert rule.startswith("median_otsu") and 0.05 < m.mean() < 0.95


@pytest.fixture
def tiny_dwi(tmp_path):
    rng = np.random.default_rng(0)
    v = rng.normal(size=(12, 3))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    bvecs = np.r_[np.zeros((1, 3)), v]
    nib.save(nib.Nifti1Image(rng.uniform(50, 100, (6, 6, 6, 13)).astype(np.float32), np.eye(4)),
             tmp_path / "dwi.nii.gz")
    lab = np.zeros((6, 6, 6), np.int16)
    lab[:2], lab[-2:] = 1, 2
    nib.save(nib.Nifti1Image(lab, np.eye(4)), tmp_path / "labels.nii.gz")
    nib.save(nib.Nifti1Image(lab[:5], np.eye(4)), tmp_path / "labels_shape.nii.gz")
    nib.save(nib.Nifti1Image(lab, np.diag([2.0, 2, 2, 1])), tmp_path / "labels_affine.nii.gz")
    np.savetxt(tmp_path / "ok.bval", np.r_[0, np.full(12, 1000)][None], fmt="%g")
    np.savetxt(tmp_path / "short.bval", np.r_[0, np.full(11, 1000)][None], fmt="%g")
    np.savetxt(tmp_path / "ok.bvec", bvecs.T)
    zero = bvecs.copy()
    zero[5] = 0
    np.savetxt(tmp_path / "zero.bvec", zero.T)
    return tmp_path


@pytest.mark.parametrize("bval, bvec, labels, match", [
    ("short.bval", "ok.bvec", "labels.nii.gz", "bvals has 12 values but the DWI has 13 volumes"),
    ("ok.bval", "zero.bvec", "labels.nii.gz", "bvecs row 5 has zero length but b = 1000"),
    ("ok.bval", "ok.bvec", "labels_shape.nii.gz", "has shape (5, 6, 6) but the DWI dwi.nii.gz has shape (6, 6, 6)"),
    ("ok.bval", "ok.bvec", "labels_affine.nii.gz", "different affine"),
])
def test_bad_dwi_inputs_are_one_line(tiny_dwi, capsys, bval, bvec, labels, match):
    t = tiny_dwi
    rc = _run([t / "dwi.nii.gz", "--bvals", t / bval, "--bvecs", t / bvec, "--labels", t / labels,
               "--out", t / "run"])
    _one_line_error(capsys, rc, match)
    assert not (t / "run").exists()


def test_bad_tractograms_are_one_line(tiny_dwi, capsys):
    t = tiny_dwi
    empty = nib.streamlines.Tractogram([], affine_to_rasmm=np.eye(4))
    nib.streamlines.save(empty, str(t / "empty.tck"))
    far = nib.streamlines.Tractogram([np.array([[100.0, 100, 100], [120, 100, 100]], np.float32)],
                                     affine_to_rasmm=np.eye(4))
    nib.streamlines.save(far, str(t / "far.tck"))
    rc = _run(["--tractogram", t / "empty.tck", "--labels", t / "labels.nii.gz"])
    _one_line_error(capsys, rc, "contains no streamlines")
    rc = _run(["--tractogram", t / "far.tck", "--labels", t / "labels.nii.gz"])
    _one_line_error(capsys, rc, "in another space than its reference image")
    rc = _run(["--tractogram", t / "far.tck", t / "dwi.nii.gz", "--labels", t / "labels.nii.gz"])
    _one_line_error(capsys, rc, "give exactly one input")


@pytest.mark.slow
def test_phantom_cli_end_to_end(tmp_path):
    out = tmp_path / "run"
    assert _run(["--phantom", "20", "--n-null", "5", "--out", out]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["phantom"]["fraction_true"] >= 0.9 and not m["phantom"]["missing_edges"]


def _trk(path, streamlines, affine, shape):
    hdr = {nib.streamlines.Field.VOXEL_TO_RASMM: affine, nib.streamlines.Field.DIMENSIONS: shape,
           nib.streamlines.Field.VOXEL_SIZES: np.sqrt((affine[:3, :3] ** 2).sum(0))}
    nib.streamlines.save(nib.streamlines.Tractogram(streamlines, affine_to_rasmm=np.eye(4)), str(path), header=hdr)


def test_tractogram_with_reference_fa_and_lut(tiny_dwi, capsys):
    t = tiny_dwi
    line = np.array([[0.0, 2, 2], [2.5, 2, 2], [5.0, 2, 2]], np.float32)  # region 1 -> region 2
    _trk(t / "ok.trk", [line, line + [0, 1, 1]], np.eye(4), (6, 6, 6))
    fa = np.full((6, 6, 6), 0.5, np.float32)
    fa[5] = 0.8
    nib.save(nib.Nifti1Image(fa, np.eye(4)), t / "fa.nii.gz")
    (t / "lut.txt").write_text("1 left\n2 right\n")
    out = t / "run"
    assert _run(["--tractogram", t / "ok.trk", "--labels", t / "labels.nii.gz", "--lut", t / "lut.txt",
                 "--reference", t / "dwi.nii.gz", "--fa", t / "fa.nii.gz", "--n-null", "0", "--out", out]) == 0
    assert (out / "connectome_counts.csv").read_text().splitlines()[1] == "left,0,2"
    np.testing.assert_allclose(np.load(out / "connectome_mean_fa.npy")[0, 1], (0.5 + 0.5 + 0.8) / 3, rtol=1e-6)
    np.testing.assert_allclose(np.load(out / "connectome_mean_length_mm.npy")[0, 1], 5.0, rtol=1e-6)
    # a .trk made on another grid than its reference is refused with one line
    _trk(t / "other.trk", [line], np.diag([2.0, 2, 2, 1]), (3, 3, 3))
    rc = _run(["--tractogram", t / "other.trk", "--labels", t / "labels.nii.gz", "--out", t / "r2"])
    _one_line_error(capsys, rc, "it is in another space")
    rc = _run(["--tractogram", t / "ok.trk", "--labels", t / "labels.nii.gz", "--reference",
               t / "labels_affine.nii.gz", "--out", t / "r3"])
    _one_line_error(capsys, rc, "different affine")


def test_bad_masks_and_option_mixes_are_one_line(tiny_dwi, capsys):
    t = tiny_dwi
    rc = _run([t / "dwi.nii.gz", "--bvals", t / "ok.bval", "--bvecs", t / "ok.bvec", "--labels",
               t / "labels.nii.gz", "--brain-mask", t / "labels_shape.nii.gz"])
    _one_line_error(capsys, rc, "brain mask labels_shape.nii.gz has shape (5, 6, 6) but the DWI has shape")
    rc = _run(["--phantom", "20", "--labels", t / "labels.nii.gz"])
    _one_line_error(capsys, rc, "--phantom brings its own gradients and labels")
    rc = _run([t / "dwi.nii.gz", "--labels", t / "labels.nii.gz"])
    _one_line_error(capsys, rc, "a DWI needs --bvals and --bvecs")


def test_small_64d_runs_with_no_options_but_its_gradient_files(tmp_path, capsys):
    dwi, bval, bvec = (os.path.join(FILES, f"small_64D.{e}") for e in ("nii", "bval", "bvec"))
    assert _run([dwi, "--bvals", bval, "--bvecs", bvec, "--n-null", "2", "--out", tmp_path / "run"]) == 0
    err = capsys.readouterr().err
    assert "grid of boxes" in err and "not anatomy" in err  # the default regions are said to be boxes
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert m["tractography"]["n_streamlines"] > 100 and m["connectivity"]["n_edges"] > 10
