"""Tracing where the boundary map is 3-D: one seeded 3-D watershed, then agglomeration.

Used by :func:`~.tracing.trace_boundaries` with ``mode="3d"``.
"""
from __future__ import annotations

import numpy as np

from ..._utils.errors import InputError
from .instances import WatershedParams
from .tracing import (
    TracedObjects,
    TracingParams,
    _drop_small,
    _relabel,
    _summarise,
    _unique_ids,
    section_links,
)
from .tracing_merge import _components


def _bridge_lost(b: np.ndarray, missing_sections, threshold: float, sigma_px: float,
                 min_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Lost sections replaced by the mean of their nearest usable neighbours.

    A section is lost when listed, or when fewer than ``min_size`` pixels of its in-plane
    smoothed map lie below ``threshold`` (a blank section). In 3-D it would be a wall of
    membrane cutting every object in two.
    """
    from scipy import ndimage as ndi

    lost = {int(z) for z in (missing_sections if missing_sections is not None else [])}
    if any(not 0 <= z < len(b) for z in lost):
        raise InputError(f"missing sections {sorted(lost)} must lie within the {len(b)} sections")
    smooth = ndi.gaussian_filter(b, (0, sigma_px, sigma_px))
    lost |= {z for z in range(len(b)) if (smooth[z] < threshold).sum() < max(min_size, 1)}
    usable = [z for z in range(len(b)) if z not in lost]
    if not usable:
        raise InputError("the boundary map is empty: every section is membrane (or listed as missing)")
    out = b.copy()
    for z in sorted(lost):
        below = [u for u in usable if u < z][-1:]
        above = [u for u in usable if u > z][:1]
        out[z] = np.mean([b[u] for u in below + above], axis=0)
    return out, np.asarray(sorted(lost), np.int64)


def trace_3d(b: np.ndarray, w: WatershedParams, p: TracingParams, missing_sections) -> TracedObjects:
    """3-D seeded watershed, then agglomeration of its objects by links between sections.

    Seeds are the 3-D connected interiors (smoothed boundary < ``w.threshold``, eroded by
    one in-plane pixel so a thin noisy membrane cannot join two cells); distance-transform
    maxima instead give hundreds of seeds per tube on anisotropic stacks. A branch whose
    interior meets its parent's only across a membrane is a separate 3-D basin: the
    section links (:func:`~.tracing.section_links`, with boundary evidence) join such basins.

    Parameters
    ----------
    b : ndarray (z, y, x) float32 in [0, 1]
        Membrane probability.
    w : WatershedParams
        ``threshold`` (membrane level) and ``sigma_seeds_px`` (in-plane smoothing) are used.
    p : TracingParams
        Link rules, ``min_size_voxels`` and ``grow_px``.
    missing_sections : sequence of int or None
        Sections known to be lost; blank sections are found too.

    Returns
    -------
    TracedObjects
    """
    import cc3d
    from scipy import ndimage as ndi
    from skimage.segmentation import watershed

    s = max(w.sigma_seeds_px, 0.0)
    b, lost = _bridge_lost(b, missing_sections, w.threshold, s, p.min_size_voxels)
    flood = ndi.gaussian_filter(b, (0, s, s))
    interior = ndi.gaussian_filter(b, (0.5 * s, s, s)) < w.threshold
    interior = ndi.binary_erosion(interior, np.ones((1, 3, 3), bool))
    seeds = _drop_small(cc3d.connected_components(interior, connectivity=6).astype(np.int64),
                        p.min_size_voxels)
    if not seeds.any():
        raise InputError("no object interior found: every voxel is at or above the membrane threshold "
                         f"{w.threshold}")
    seg = watershed(flood, markers=seeds).astype(np.int64)
    seg[flood >= w.threshold] = 0
    ids = _unique_ids(seg, 0)  # one id per (section, 3-D object)
    same = np.unique(np.stack([seg[ids > 0], ids[ids > 0]], 1), axis=0)
    pairs = [np.stack([same[:-1, 1], same[1:, 1]], 1)[same[:-1, 0] == same[1:, 0]]]
    for z in range(len(ids) - 1):
        pairs.append(section_links(ids[z], ids[z + 1], b[z], b[z + 1], p))
    pairs = np.concatenate(pairs)
    comp = _components(int(ids.max()), pairs)
    out = np.where(ids > 0, comp[ids], 0)
    out = _relabel(_drop_small(out, p.min_size_voxels)).astype(np.int64)
    if p.grow_px > 0:
        from skimage.segmentation import expand_labels

        out = np.stack([expand_labels(sl, p.grow_px) for sl in out])
    return _summarise(out, lost, int(len(pairs)))
