"""Watershed + agglomeration on planted cells; connected components vs scipy."""
import numpy as np
import pytest
from scipy import ndimage as ndi

from neurodiscovery._utils.errors import InputError
from neurodiscovery.connectomics.em.instances import (
    WatershedParams,
    agglomerate,
    label_interior,
    plain_watershed,
    region_adjacency,
    segment_boundaries,
    threshold_components,
    tune_watershed,
    watershed_agglomerate,
)
from neurodiscovery.connectomics.em.metrics import evaluate


def planted_cells(seed, shape=(128, 128), n_cells=25, noise=0.1):
    """Voronoi cells separated by 2-px membranes; returns (boundary map, instance truth)."""
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, shape[0], (n_cells, 2))
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    d = (yy[..., None] - pts[:, 0]) ** 2 + (xx[..., None] - pts[:, 1]) ** 2
    cells = d.argmin(-1) + 1
    edge = np.zeros(shape, bool)
    edge[:-1] |= cells[:-1] != cells[1:]
    edge[:, :-1] |= cells[:, :-1] != cells[:, 1:]
    membrane = ndi.binary_dilation(edge)
    truth = np.where(membrane, 0, cells)
    bnd = ndi.gaussian_filter(membrane.astype(float), 1.0) * 1.5
    bnd = np.clip(bnd + rng.normal(0, noise, shape), 0, 1)
    return bnd.astype(np.float32), truth


@pytest.mark.parametrize("seed", [0, 1])
def test_watershed_recovers_planted_cells(seed):
    bnd, truth = planted_cells(seed)
    seg = watershed_agglomerate(bnd, WatershedParams(min_size=10))
    s = evaluate(truth, seg)
    assert s.adapted_rand_error < 0.05
    assert s.voi < 0.3
    # baseline that ignores the seeds' geometry does no better
    assert evaluate(truth, plain_watershed(bnd)).adapted_rand_error >= s.adapted_rand_error - 0.02


def test_agglomeration_merges_weak_borders_only():
    labels = np.zeros((10, 30), np.int64)
    labels[:, :10], labels[:, 10:20], labels[:, 20:] = 1, 2, 3
    bnd = np.zeros((10, 30))
    bnd[:, 9:11] = 0.2   # weak border between 1 and 2
    bnd[:, 19:21] = 0.9  # strong border between 2 and 3
    out = agglomerate(labels, bnd, threshold=0.5)
    assert len(np.unique(out[:, :20])) == 1
    assert out[0, 25] != out[0, 5]
    edges, sums, counts = region_adjacency(labels, bnd)
    np.testing.assert_array_equal(edges, [[1, 2], [2, 3]])
    np.testing.assert_allclose(sums / counts, [0.2, 0.9])


def test_agglomeration_uses_pooled_means_after_merge():
    # 1 | 2 on top, 3 below. Borders: 1-2 weak, 1-3 mean 0.3, 2-3 mean 0.7 (5 pairs each).
    labels = np.full((10, 10), 3, np.int64)
    labels[:5, :5], labels[:5, 5:] = 1, 2
    bnd = np.zeros((10, 10))
    bnd[4:6, :5], bnd[4:6, 5:] = 0.3, 0.7
    bnd[:4, 4:6] = 0.1
    # after 1+2 merge the (1+2)-3 border pools to (5*0.3 + 5*0.7) / 10 = 0.5
    assert len(np.unique(agglomerate(labels, bnd, threshold=0.45))) == 2
    assert len(np.unique(agglomerate(labels, bnd, threshold=0.55))) == 1
    assert len(np.unique(agglomerate(labels, bnd, threshold=0.05))) == 3


def test_label_interior_matches_scipy():
    rng = np.random.default_rng(0)
    mask = ndi.binary_opening(rng.random((3, 64, 64)) > 0.4)
    ours = label_interior(mask)
    for z in range(3):
        ref, _ = ndi.label(mask[z])
        assert evaluate(ref, ours[z].astype(np.int64)).adapted_rand_error == pytest.approx(0, abs=1e-12)
    # ids are unique across slices
    ids = [set(np.unique(ours[z])) - {0} for z in range(3)]
    assert not (ids[0] & ids[1]) and not (ids[1] & ids[2])


def test_segment_boundaries_per_slice_ids_unique():
    b0, _ = planted_cells(0, shape=(64, 64), n_cells=6)
    b1, _ = planted_cells(1, shape=(64, 64), n_cells=6)
    seg = segment_boundaries(np.stack([b0, b1]))
    assert not (set(np.unique(seg[0])) & set(np.unique(seg[1])))
    assert seg.min() >= 1
    cc = threshold_components(np.stack([b0, b1]))
    assert cc.max() >= 6


def test_tune_watershed_picks_a_grid_point():
    bnd, truth = planted_cells(3, shape=(96, 96), n_cells=12)
    best, table = tune_watershed(bnd[None], truth[None],
                                 grid={"merge_threshold": [0.05, 0.5]})
    assert len(table) == 2
    assert best.merge_threshold in (0.05, 0.5)
    assert min(t["score"] for t in table) == pytest.approx(
        [t["score"] for t in table if t["merge_threshold"] == best.merge_threshold][0])


def test_bad_boundary_ndim():
    with pytest.raises(InputError, match="2D or 3D"):
        watershed_agglomerate(np.zeros((2, 2, 2, 2)))
