"""Connectome counts equal dipy's connectivity_matrix; normalisation, lengths, FA, radial search."""
import numpy as np
import pytest

pytest.importorskip("dipy")
from dipy.tracking.utils import connectivity_matrix

from neurodiscovery._utils.errors import InputError
from neurodiscovery.connectomics import dmri


def _random_case(seed=0, n=2000):
    """Labels with gaps in their ids (0 background, 3, 7, 12, 40), an oblique affine, random lines."""
    rng = np.random.default_rng(seed)
    shape = (12, 14, 9)
    lab = rng.choice([0, 3, 7, 12, 40], size=shape, p=[0.3, 0.2, 0.2, 0.2, 0.1])
    c, s = np.cos(0.3), np.sin(0.3)
    aff = np.array([[2 * c, -2 * s, 0, -10], [2 * s, 2 * c, 0, 5], [0, 0, 2.5, 3], [0, 0, 0, 1]])
    vox = rng.uniform(-0.49, np.array(shape) - 0.51, size=(n, 5, 3))  # inside the grid
    world = vox @ aff[:3, :3].T + aff[:3, 3]
    lens = rng.integers(1, 6, n)
    return [w[:k].astype(np.float32) for w, k in zip(world, lens)], lab, aff


@pytest.mark.parametrize("seed", [0, 1])
def test_counts_equal_dipy_connectivity_matrix(seed):
    sl, lab, aff = _random_case(seed)
    parc = dmri.make_parcellation(lab, aff)
    con = dmri.build_connectome(sl, parc, include_diagonal=True)
    ref = connectivity_matrix(dmri.tractogram.as_streamlines(sl), aff, lab, symmetric=True)
    ids = np.array(parc.region_ids)
    np.testing.assert_array_equal(con.counts, ref[np.ix_(ids, ids)])
    # streamlines touching background are exactly dipy's row/column 0
    assert con.n_streamlines - con.n_assigned == ref[0].sum()
    no_diag = dmri.build_connectome(sl, parc)
    assert np.diag(no_diag.counts).sum() == 0 and no_diag.n_self == np.trace(ref[np.ix_(ids, ids)])


def test_counts_equal_dipy_on_tracks300():
    import os

    import dipy.data

    path = os.path.join(os.path.dirname(dipy.data.__file__), "files", "tracks300.trk")
    tg = dmri.load_tractogram(path, None)
    parc = dmri.grid_parcellation(tg.streamlines, n_per_axis=4)
    con = dmri.build_connectome(tg.streamlines, parc, include_diagonal=True)
    ref = connectivity_matrix(tg.streamlines, parc.affine, parc.labels, symmetric=True)
    ids = np.array(parc.region_ids)
    np.testing.assert_array_equal(con.counts, ref[np.ix_(ids, ids)])
    assert con.n_assigned == 300 and con.counts.sum() > 0


def test_normalisation_matches_textbook_double_loop():
    sl, lab, aff = _random_case(3, n=500)
    parc = dmri.make_parcellation(lab, aff)
    con = dmri.build_connectome(sl, parc, include_diagonal=True)
    size = parc.region_volumes_vox
    expect = np.zeros(con.counts.shape)
    for i in range(len(size)):
        for j in range(len(size)):
            expect[i, j] = con.counts[i, j] / np.sqrt(size[i] * size[j])
    np.testing.assert_allclose(con.normalized, expect, rtol=1e-12)


def test_mean_length_and_fa_per_edge():
    lab = np.zeros((20, 5, 5), int)
    lab[:2], lab[-2:] = 1, 2
    parc = dmri.make_parcellation(lab, np.eye(4))
    fa = np.zeros(lab.shape)
    fa[:10], fa[10:] = 0.2, 0.6
    a = np.array([[0.0, 2, 2], [19.0, 2, 2]])  # 19 mm, two points: FA (0.2 + 0.6) / 2
    b = np.array([[1.0, 1, 1], [10.0, 1, 1], [18.0, 1, 1]])  # 17 mm, FA (0.2 + 0.6 + 0.6) / 3
    con = dmri.build_connectome([a, b, a[::-1]], parc, fa=fa)
    assert con.counts[0, 1] == con.counts[1, 0] == 3
    assert con.mean_length_mm[0, 1] == pytest.approx((19 + 17 + 19) / 3)
    assert con.mean_fa[1, 0] == pytest.approx((0.4 + 1.4 / 3 + 0.4) / 3)
    assert np.isnan(con.mean_fa[0, 0]) and np.isnan(con.mean_length_mm[0, 0])


def test_radial_search_assigns_near_endpoints_only():
    lab = np.zeros((30, 5, 5), int)
    lab[:3], lab[-3:] = 1, 2
    parc = dmri.make_parcellation(lab, np.diag([2.0, 2, 2, 1]))
    near = np.array([[8.0, 4, 4], [52.0, 4, 4]])  # voxels 4 and 26: both 4 mm from a region
    far = np.array([[16.0, 4, 4], [52.0, 4, 4]])  # voxel 8: 12 mm away
    assert dmri.build_connectome([near, far], parc).counts.sum() == 0
    con = dmri.build_connectome([near, far], parc, radial_search_mm=4.0)
    assert con.counts[0, 1] == 1
    np.testing.assert_array_equal(con.endpoint_labels, [[1, 2], [0, 2]])
    with pytest.raises(InputError, match="radial_search_mm"):
        dmri.assign_endpoints([near], parc, radial_search_mm=-1)


def test_endpoints_outside_volume_are_unassigned_not_errors():
    parc = dmri.make_parcellation(np.ones((4, 4, 4), int), np.eye(4))
    con = dmri.build_connectome([np.array([[1.0, 1, 1], [100.0, 1, 1]]),
                                 np.array([[-5.0, 1, 1], [2.0, 2, 2]])], parc, include_diagonal=True)
    assert con.n_assigned == 0 and con.counts.sum() == 0


def test_save_writes_named_csv_and_npy(tmp_path):
    sl, lab, aff = _random_case(4, n=100)
    parc = dmri.make_parcellation(lab, aff, {3: "motor", 7: "visual"})
    con = dmri.build_connectome(sl, parc)
    con.save(tmp_path)
    rows = (tmp_path / "connectome_counts.csv").read_text().splitlines()
    assert rows[0] == "region,motor,visual,label_12,label_40"
    assert rows[1].split(",")[0] == "motor"
    np.testing.assert_array_equal(np.load(tmp_path / "connectome_counts.npy"), con.counts)
    assert [int(v) for v in rows[2].split(",")[1:]] == con.counts[1].tolist()


def test_empty_streamlines_rejected():
    parc = dmri.make_parcellation(np.ones((2, 2, 2), int), np.eye(4))
    with pytest.raises(InputError, match="no streamlines"):
        dmri.build_connectome([], parc)


def test_sliced_streamline_views_give_the_same_connectome():
    sl, lab, aff = _random_case(5, n=300)
    parc = dmri.make_parcellation(lab, aff)
    fa = np.random.default_rng(0).random(lab.shape)
    packed = dmri.tractogram.as_streamlines(sl)
    view = packed[::3]  # offsets into the shared buffer, not packed
    a = dmri.build_connectome(view, parc, fa=fa, include_diagonal=True)
    b = dmri.build_connectome([np.asarray(s) for s in view], parc, fa=fa, include_diagonal=True)
    np.testing.assert_array_equal(a.counts, b.counts)
    np.testing.assert_array_equal(a.endpoint_labels, b.endpoint_labels)
    np.testing.assert_allclose(a.mean_fa, b.mean_fa, equal_nan=True)
    np.testing.assert_allclose(a.mean_length_mm, b.mean_length_mm, equal_nan=True)
