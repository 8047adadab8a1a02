"""The numba seeded watershed against scikit-image's and against a heapq reference with the documented ties."""
from __future__ import annotations

import heapq

import numpy as np
import pytest
from scipy import ndimage as ndi
from skimage.segmentation import watershed as sk_watershed

from neurodiscovery.connectomics.em._watershed import watershed


def _reference(image: np.ndarray, markers: np.ndarray) -> np.ndarray:
    """Priority flood as documented: key (max(value, popped cost), age), markers ranked in raveled order."""
    out = markers.astype(np.int64).ravel().copy()
    img = image.astype(np.float64).ravel()
    shape = image.shape
    heap = [(img[i], r, i) for r, i in enumerate(np.flatnonzero(out))]
    heapq.heapify(heap)
    age = len(heap)
    while heap:
        cost, _, i = heapq.heappop(heap)
        coord = np.unravel_index(i, shape)
        for d in range(len(shape)):
            for step in (-1, 1):
                c = list(coord)
                c[d] += step
                if not 0 <= c[d] < shape[d]:
                    continue
                j = int(np.ravel_multi_index(c, shape))
                if out[j]:
                    continue
                out[j] = out[i]
                age += 1
                heapq.heappush(heap, (max(img[j], cost), age, j))
    return out.reshape(shape)


def _smooth_map(rng, shape):
    return ndi.gaussian_filter(rng.random(shape), 2.0).astype(np.float32)


@pytest.mark.parametrize("shape", [(64, 80), (12, 20, 24)])
def test_equals_skimage_on_continuous_maps(shape):
    """Without exactly tied seeds the labels are scikit-image's, pixel for pixel (2D and 3D)."""
    rng = np.random.default_rng(0)
    img = _smooth_map(rng, shape)
    seeds, n = ndi.label(img < np.quantile(img, 0.05))
    assert n >= 3
    ours = watershed(img, seeds)
    np.testing.assert_array_equal(ours, sk_watershed(img, markers=seeds))
    # the size filter's case: most pixels are markers, a few regions dissolved
    kept = np.where(np.isin(ours, [1, 2]), 0, ours)
    np.testing.assert_array_equal(watershed(img, kept), sk_watershed(img, markers=kept))


def test_ties_follow_the_documented_order():
    """Heavily tied values: equal to an independent heapq flood with seeds ranked in raveled order."""
    rng = np.random.default_rng(1)
    for _ in range(60):
        shape = tuple(int(s) for s in rng.integers(1, 9, size=rng.integers(1, 4)))
        img = (rng.integers(0, 3, size=shape) * rng.choice([1.0, -1.0])).astype(np.float32)
        mk = np.where(rng.random(shape) < 0.25, rng.integers(1, 5, size=shape), 0)
        if not mk.any():
            continue
        np.testing.assert_array_equal(watershed(img, mk), _reference(img, mk))


def test_every_connected_pixel_labelled_and_seeds_kept():
    """Every pixel gets a seed's label; seeds keep theirs; -0.0 and 0.0 are one value."""
    img = np.array([[0.0, -0.0, 1.0], [-0.0, 0.0, 2.0]], np.float32)
    mk = np.array([[0, 0, 0], [0, 0, 5]])
    out = watershed(img, mk)
    assert (out == 5).all()
    mk2 = np.array([[7, 0, 0], [0, 0, 5]])
    out2 = watershed(img, mk2)
    assert out2[0, 0] == 7 and out2[1, 2] == 5 and (out2 > 0).all()
    np.testing.assert_array_equal(out2, _reference(img, mk2))
