"""dMRI input validation: gradients, label grids, lookup tables, tractogram spaces."""
import numpy as np
import pytest

pytest.importorskip("dipy")
nib = pytest.importorskip("nibabel")

from neurodiscovery._utils.errors import InputError, MissingFileError
from neurodiscovery.connectomics import dmri
from neurodiscovery.connectomics.dmri.io import check_same_grid


def _scheme(n_dw=12, seed=0):
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(n_dw, 3))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return np.r_[0.0, np.full(n_dw, 1000.0)], np.r_[np.zeros((1, 3)), v]


def test_make_dwi_accepts_fsl_layout_and_nan_b0_direction():
    bvals, bvecs = _scheme()
    bvecs[0] = np.nan  # dipy's own small_64D.bvec does this for its b0
    d = dmri.make_dwi(np.ones((3, 3, 3, 13)), np.eye(4), bvals, bvecs.T * 1.02)
    assert d.bvecs.shape == (13, 3)
    np.testing.assert_allclose(np.linalg.norm(d.bvecs[1:], axis=1), 1.0)
    assert (d.bvecs[0] == 0).all() and d.gtab.b0s_mask[0]


@pytest.mark.parametrize("change, message", [
    (lambda b, v: (b[:-1], v), "bvals has 12 values but the DWI has 13 volumes"),
    (lambda b, v: (b, v[:-1]), "bvecs has 12 directions but the DWI has 13 volumes"),
    (lambda b, v: (b, np.where(np.arange(13)[:, None] == 4, 0.0, v)), "bvecs row 4 has zero length but b = 1000"),
    (lambda b, v: (b, v * np.where(np.arange(13)[:, None] == 2, 0.5, 1.0)), "bvecs row 2 has length 0.500"),
    (lambda b, v: (np.full(13, 1000.0), v), "no b0 volume"),
])
def test_make_dwi_rejects_bad_gradients(change, message):
    bvals, bvecs = change(*_scheme())
    with pytest.raises(InputError, match=message):
        dmri.make_dwi(np.ones((3, 3, 3, 13)), np.eye(4), bvals, bvecs)


def test_load_dwi_reads_dipy_small_64d():
    from dipy.data import get_fnames

    d = dmri.load_dwi(*get_fnames(name="small_64D"))
    assert d.data.shape == (10, 10, 10, 65) and d.b0_mask.sum() == 1


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(MissingFileError, match="does not exist"):
        dmri.load_dwi(tmp_path / "nope.nii.gz", tmp_path / "b", tmp_path / "v")


def test_lookup_table_both_layouts(tmp_path):
    fs = tmp_path / "lut.txt"
    fs.write_text("# FreeSurfer style\n0 Unknown 0 0 0 0\n17 Left-Hippocampus 220 216 20 0\n\n")
    csv = tmp_path / "lut.csv"
    csv.write_text("id,name\n3,motor\n7,visual\n")
    assert dmri.read_lookup_table(fs) == {0: "Unknown", 17: "Left-Hippocampus"}
    assert dmri.read_lookup_table(csv) == {3: "motor", 7: "visual"}
    lab = np.zeros((4, 4, 4), int)
    lab[0], lab[3] = 3, 9
    p = dmri.make_parcellation(lab, np.eye(4), dmri.read_lookup_table(csv))
    assert p.region_ids == (3, 9) and p.names == ("motor", "label_9")
    np.testing.assert_array_equal(p.region_volumes_vox, [16, 16])


def test_parcellation_rejects_bad_labels():
    with pytest.raises(InputError, match="must be >= 0"):
        dmri.make_parcellation(-np.ones((2, 2, 2)), np.eye(4))
    with pytest.raises(InputError, match="fractional"):
        dmri.make_parcellation(np.full((2, 2, 2), 1.5), np.eye(4))
    with pytest.raises(InputError, match="no region"):
        dmri.make_parcellation(np.zeros((2, 2, 2), int), np.eye(4))


def test_grid_mismatch_messages():
    with pytest.raises(InputError, match=r"shape \(4, 4, 4\) but the DWI has shape \(5, 5, 5\)"):
        check_same_grid((4, 4, 4), np.eye(4), (5, 5, 5), np.eye(4), "labels", "the DWI")
    with pytest.raises(InputError, match="different affine"):
        check_same_grid((4, 4, 4), np.diag([2, 2, 2, 1.0]), (4, 4, 4), np.eye(4), "labels", "the DWI")


def _save(path, streamlines, affine, shape):
    t = nib.streamlines.Tractogram(streamlines, affine_to_rasmm=np.eye(4))
    if str(path).endswith(".trk"):
        hdr = {nib.streamlines.Field.VOXEL_TO_RASMM: affine, nib.streamlines.Field.DIMENSIONS: shape,
               nib.streamlines.Field.VOXEL_SIZES: np.sqrt((affine[:3, :3] ** 2).sum(0))}
        nib.streamlines.save(t, str(path), header=hdr)
    else:
        nib.streamlines.save(t, str(path))


def _parc(shape=(10, 10, 10), affine=None):
    lab = np.zeros(shape, int)
    lab[:3], lab[-3:] = 1, 2
    return dmri.make_parcellation(lab, np.eye(4) if affine is None else affine)


@pytest.mark.parametrize("ext", [".trk", ".tck"])
def test_tractogram_roundtrip_and_space_checks(tmp_path, ext):
    sl = [np.array([[1.0, 5, 5], [8.0, 5, 5]], np.float32), np.array([[1.0, 2, 2], [2.0, 2, 2], [8, 2, 2]], np.float32)]
    ok = tmp_path / f"ok{ext}"
    _save(ok, sl, np.eye(4), (10, 10, 10))
    tg = dmri.load_tractogram(ok, _parc())
    assert len(tg) == 2
    np.testing.assert_allclose(tg.streamlines[1], sl[1], atol=1e-5)
    far = tmp_path / f"far{ext}"  # the same lines 50 mm away: another space
    _save(far, [s + 50 for s in sl], np.eye(4), (10, 10, 10))
    with pytest.raises(InputError, match="outside the reference volume; it is in another space"):
        dmri.load_tractogram(far, _parc())
    empty = tmp_path / f"empty{ext}"
    _save(empty, [], np.eye(4), (10, 10, 10))
    with pytest.raises(InputError, match="contains no streamlines"):
        dmri.load_tractogram(empty, _parc())


def test_trk_header_of_another_grid_is_refused(tmp_path):
    p = tmp_path / "t.trk"
    _save(p, [np.array([[1.0, 5, 5], [8.0, 5, 5]], np.float32)], np.diag([2.0, 2, 2, 1]), (5, 5, 5))
    with pytest.raises(InputError, match="made on a \\(5, 5, 5\\) grid with another affine"):
        dmri.load_tractogram(p, _parc())


def test_unknown_tractogram_format(tmp_path):
    p = tmp_path / "t.vtk"
    p.write_text("x")
    with pytest.raises(InputError, match="unknown format '.vtk'"):
        dmri.load_tractogram(p, _parc())


def test_save_trk_roundtrip(tmp_path):
    sl = [np.array([[1.0, 5, 5], [8.0, 5, 5]], np.float32)]
    aff = np.diag([2.0, 2, 2, 1])
    dmri.save_trk(tmp_path / "s.trk", sl, aff, (10, 10, 10))
    tg = dmri.load_tractogram(tmp_path / "s.trk", _parc(affine=aff))
    np.testing.assert_allclose(tg.streamlines[0], sl[0], atol=1e-5)


def test_box_and_grid_parcellations():
    p = dmri.box_parcellation((4, 6, 2), np.eye(4), n_per_axis=2)
    assert p.n_regions == 8 and set(p.region_volumes_vox) == {6}
    g = dmri.grid_parcellation([np.array([[0.0, 0, 0], [9.0, 9, 9]])], n_per_axis=3)
    assert g.n_regions == 27
    with pytest.raises(InputError, match="n_per_axis"):
        dmri.box_parcellation((2, 2, 2), np.eye(4), n_per_axis=3)


def test_trx_roundtrip_and_space_check(tmp_path):
    pytest.importorskip("trx")
    from dipy.io.stateful_tractogram import Space, StatefulTractogram
    from dipy.io.streamline import save_tractogram

    ref = nib.Nifti1Image(np.zeros((10, 10, 10), np.uint8), np.eye(4))
    sl = [np.array([[1.0, 5, 5], [8.0, 5, 5]], np.float32)]
    save_tractogram(StatefulTractogram(sl, ref, Space.RASMM), str(tmp_path / "t.trx"), bbox_valid_check=False)
    tg = dmri.load_tractogram(tmp_path / "t.trx", _parc())
    np.testing.assert_allclose(tg.streamlines[0], sl[0], atol=1e-5)
    with pytest.raises(InputError, match=r"made on a \(10, 10, 10\) grid with another affine"):
        dmri.load_tractogram(tmp_path / "t.trx", _parc(affine=np.diag([2.0, 2, 2, 1])))
