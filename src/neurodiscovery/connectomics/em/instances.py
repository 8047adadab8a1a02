"""From a boundary-probability map to neuron instances.

Pipeline (per 2D slice for anisotropic ssTEM, or in 3D):

1. *Seeds*: the distance transform of the thresholded interior (``boundary < threshold``), smoothed, and
   its local maxima, so one seed sits in the middle of each cell profile even where a membrane gap joins two.
2. *Seeded watershed* on the (smoothed) boundary map: fragments whose borders follow the membranes.
3. *Agglomeration* on the region adjacency graph: repeatedly merge the two adjacent regions whose shared
   border has the lowest mean boundary probability, until that mean exceeds ``merge_threshold`` (the "mean
   affinity" criterion of waterz, Funke et al. 2019).
4. *Size filter*: regions smaller than ``min_size`` voxels are dissolved and re-flooded from the others.

:func:`label_interior` builds instance truth from a binary interior mask with
connected-components-3d.
"""
from __future__ import annotations

import heapq
from dataclasses import asdict, dataclass

import numpy as np
from scipy import ndimage as ndi

from ..._utils.errors import InputError
from ._checks import check_watershed_params


def label_interior(mask: np.ndarray, per_slice: bool = True, connectivity: int | None = None
                   ) -> np.ndarray:
    """Connected components of a foreground mask (ISBI ground truth: interior = 255).

    Parameters
    ----------
    mask : ndarray (y, x) or (z, y, x)
        Non-zero = cell interior.
    per_slice : bool
        For 3D input, label each z slice separately (ids stay unique over the volume);
        ssTEM truth is defined per section.
    connectivity : int, optional
        cc3d connectivity (4/8 in 2D, 6/18/26 in 3D); default 4 (2D) / 6 (3D), so
        objects touching only at a corner through a membrane are not joined.

    Returns
    -------
    ndarray of uint32, same shape, 0 = background.
    """
    import cc3d

    m = np.asarray(mask) != 0
    if m.ndim == 2 or (m.ndim == 3 and not per_slice):
        conn = connectivity or (4 if m.ndim == 2 else 6)
        return cc3d.connected_components(m, connectivity=conn).astype(np.uint32)
    if m.ndim != 3:
        raise InputError(f"mask must be 2D or 3D, got shape {m.shape}")
    out = np.zeros(m.shape, np.uint32)
    offset = 0
    for z in range(m.shape[0]):
        lab = cc3d.connected_components(m[z], connectivity=connectivity or 4).astype(np.uint32)
        lab[lab > 0] += offset
        offset = max(offset, int(lab.max()))
        out[z] = lab
    return out


@dataclass
class WatershedParams:
    """Parameters of :func:`watershed_agglomerate` (defaults tuned on ISBI slices 0-15).

    Parameters
    ----------
    threshold : float
        Boundary probability below which a voxel counts as interior for the seed
        distance transform.
    sigma_seeds_px : float
        Gaussian smoothing of the distance transform before finding maxima (pixels).
    min_seed_distance_px : int
        Minimum distance between seeds (pixels).
    sigma_boundary_px : float
        Gaussian smoothing of the boundary map flooded by the watershed (pixels).
    merge_threshold : float
        Stop agglomerating when the lowest mean boundary probability between two
        adjacent regions exceeds this.
    min_size : int
        Regions with fewer voxels are dissolved and re-flooded.
    """

    threshold: float = 0.5
    sigma_seeds_px: float = 1.0
    min_seed_distance_px: int = 3
    sigma_boundary_px: float = 0.5
    merge_threshold: float = 0.5
    min_size: int = 30

    def __post_init__(self):
        check_watershed_params(self)

    def as_dict(self) -> dict:
        """Plain dict of the parameters (JSON-serialisable)."""
        return asdict(self)


def _seeds(boundary: np.ndarray, p: WatershedParams) -> np.ndarray:
    """Local maxima of the smoothed interior distance transform, labelled 1..n."""
    interior = boundary < p.threshold
    dist = ndi.distance_transform_edt(interior).astype(np.float32)
    if p.sigma_seeds_px > 0:
        dist = ndi.gaussian_filter(dist, p.sigma_seeds_px)
    size = 2 * int(p.min_seed_distance_px) + 1
    peaks = (dist == ndi.maximum_filter(dist, size=size, mode="nearest")) & interior & (dist > 0)
    # a plateau gives several adjacent maxima: one seed per connected plateau
    lab, _ = ndi.label(peaks, structure=np.ones((3,) * boundary.ndim))
    return lab


def region_adjacency(labels: np.ndarray, boundary: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges between touching regions with the summed boundary value along their border.

    Parameters
    ----------
    labels : ndarray of int (*spatial), 0 = no region
    boundary : ndarray of float, same shape

    Returns
    -------
    edges : ndarray (n_edges, 2) int64, ``u < v``
    sums : ndarray (n_edges,) float64
        Sum over neighbouring voxel pairs across the border of the pair's mean boundary value.
    counts : ndarray (n_edges,) int64
        Number of such voxel pairs.
    """
    us, vs, vals = [], [], []
    for ax in range(labels.ndim):
        a = [slice(None)] * labels.ndim
        b = [slice(None)] * labels.ndim
        a[ax], b[ax] = slice(None, -1), slice(1, None)
        la, lb = labels[tuple(a)], labels[tuple(b)]
        diff = (la != lb) & (la != 0) & (lb != 0)
        if not diff.any():
            continue
        x, y = la[diff].astype(np.int64), lb[diff].astype(np.int64)
        us.append(np.minimum(x, y))
        vs.append(np.maximum(x, y))
        vals.append(0.5 * (boundary[tuple(a)][diff] + boundary[tuple(b)][diff]))
    if not us:
        return np.zeros((0, 2), np.int64), np.zeros(0), np.zeros(0, np.int64)
    u, v, val = np.concatenate(us), np.concatenate(vs), np.concatenate(vals).astype(np.float64)
    key = u * (int(labels.max()) + 1) + v
    uk, inv, counts = np.unique(key, return_inverse=True, return_counts=True)
    sums = np.bincount(inv.ravel(), weights=val, minlength=len(uk))
    n = int(labels.max()) + 1
    return np.stack([uk // n, uk % n], axis=1), sums, counts


def agglomerate(labels: np.ndarray, boundary: np.ndarray, threshold: float) -> np.ndarray:
    """Greedy mean-boundary agglomeration of a fragment image.

    Parameters
    ----------
    labels : ndarray of int, shape (*spatial)
        Fragments (0 = none).
    boundary : ndarray of float, same shape, boundary probability in [0, 1]
    threshold : float
        Merge while the lowest mean boundary between adjacent regions is below this.

    Returns
    -------
    ndarray, same shape and dtype: merged labels (ids are a subset of the input ids).
    """
    edges, sums, counts = region_adjacency(labels, boundary)
    if len(edges) == 0:
        return labels
    n = int(labels.max()) + 1
    parent = np.arange(n)
    # adjacency: node -> {neighbour: [sum, count]}; merged nodes are folded into the larger
    adj: dict[int, dict[int, list]] = {}
    for (u, v), s, c in zip(edges.tolist(), sums.tolist(), counts.tolist()):
        adj.setdefault(u, {})[v] = [s, c]
        adj.setdefault(v, {})[u] = [s, c]
    heap = [(s / c, u, v) for (u, v), s, c in zip(edges.tolist(), sums.tolist(), counts.tolist())]
    heapq.heapify(heap)
    while heap:
        w, u, v = heapq.heappop(heap)
        if w >= threshold:
            break
        # stale entries: an endpoint was merged away or the edge weight changed
        if u not in adj or v not in adj or v not in adj[u]:
            continue
        s, c = adj[u][v]
        if abs(s / c - w) > 1e-12:
            continue
        if len(adj[u]) < len(adj[v]):
            u, v = v, u  # keep u, fold the smaller neighbourhood v into it
        parent[v] = u
        nv = adj.pop(v)
        del adj[u][v]
        for k, (sk, ck) in nv.items():
            if k == u:
                continue
            del adj[k][v]
            cur = adj[u].get(k)
            if cur is None:
                cur = [sk, ck]
            else:
                cur = [cur[0] + sk, cur[1] + ck]
            adj[u][k] = cur
            adj[k][u] = cur
            heapq.heappush(heap, (cur[0] / cur[1], min(u, k), max(u, k)))
    # resolve chains of merges to their roots
    root = parent.copy()
    while True:
        nxt = root[root]
        if np.array_equal(nxt, root):
            break
        root = nxt
    return root[labels].astype(labels.dtype)


def _size_filter(labels: np.ndarray, flood: np.ndarray, min_size: int) -> np.ndarray:
    from ._watershed import watershed

    if min_size <= 1:
        return labels
    small = np.bincount(labels.ravel()) < min_size
    small[0] = False
    if not small.any():
        return labels
    kept = np.where(small[labels], 0, labels)
    return labels if not kept.any() else watershed(flood, markers=kept).astype(labels.dtype, copy=False)


def watershed_agglomerate(boundary: np.ndarray, params: WatershedParams | None = None
                          ) -> np.ndarray:
    """Instances from one boundary map (2D slice or 3D volume), see module docstring.

    Parameters
    ----------
    boundary : ndarray (y, x) or (z, y, x), float in [0, 1]
        Membrane probability.
    params : WatershedParams, optional

    Returns
    -------
    ndarray of uint32, same shape; every voxel gets a label >= 1 (ids consecutive).
    """
    from skimage.segmentation import relabel_sequential

    from ._watershed import watershed  # scikit-image's flooding, faster (see that module)

    p = params or WatershedParams()
    b = np.asarray(boundary, dtype=np.float32)
    if b.ndim not in (2, 3):
        raise InputError(f"boundary map must be 2D or 3D, got shape {b.shape}")
    flood = ndi.gaussian_filter(b, p.sigma_boundary_px) if p.sigma_boundary_px > 0 else b
    seeds = _seeds(b, p)
    if seeds.max() == 0:
        return np.ones(b.shape, np.uint32)  # no interior anywhere: one region
    frag = watershed(flood, markers=seeds)
    seg = agglomerate(frag.astype(np.int64), flood, p.merge_threshold)
    seg = _size_filter(seg, flood, p.min_size)
    return relabel_sequential(seg)[0].astype(np.uint32)


def segment_boundaries(boundary: np.ndarray, params: WatershedParams | None = None,
                       per_slice: bool = True) -> np.ndarray:
    """Instance segmentation of a boundary volume, slice by slice or in 3D.

    Parameters
    ----------
    boundary : ndarray (y, x) or (z, y, x), float in [0, 1]
    params : WatershedParams, optional
    per_slice : bool
        3D input: segment each z slice on its own (ids unique over the volume), the
        right choice for a 2D model on anisotropic ssTEM; False runs one 3D watershed.

    Returns
    -------
    ndarray of uint32, same shape, labels >= 1.
    """
    b = np.asarray(boundary)
    if b.ndim == 2 or not per_slice:
        return watershed_agglomerate(b, params)
    if b.ndim != 3:
        raise InputError(f"boundary map must be 2D or 3D, got shape {b.shape}")
    out = np.zeros(b.shape, np.uint32)
    offset = 0
    for z in range(b.shape[0]):
        s = watershed_agglomerate(b[z], params)
        out[z] = s + offset
        offset += int(s.max())
    return out


def threshold_components(boundary: np.ndarray, threshold: float = 0.5, per_slice: bool = True
                         ) -> np.ndarray:
    """Baseline: connected components of ``boundary < threshold`` (membranes stay 0).

    Parameters
    ----------
    boundary : ndarray, shape (y, x) or (z, y, x)
        Membrane probability in [0, 1].
    threshold : float
        Probability below which a voxel is interior.
    per_slice : bool
        Label each z slice on its own.

    Returns
    -------
    ndarray of int, same shape as ``boundary``
    """
    return label_interior(np.asarray(boundary) < threshold, per_slice=per_slice)


def plain_watershed(boundary: np.ndarray, threshold: float = 0.5, per_slice: bool = True
                    ) -> np.ndarray:
    """Baseline: skimage watershed on the boundary map from connected interior components.

    Parameters
    ----------
    boundary : ndarray, shape (y, x) or (z, y, x)
        Membrane probability in [0, 1].
    threshold : float
        Probability below which a voxel is interior (the seeds).
    per_slice : bool
        Watershed each z slice on its own.

    Returns
    -------
    ndarray of int, same shape as ``boundary``
    """
    from skimage.segmentation import watershed

    b = np.asarray(boundary, np.float32)
    if b.ndim == 3 and per_slice:
        out = np.zeros(b.shape, np.int64)
        off = 0
        for z in range(b.shape[0]):
            s = watershed(b[z], markers=label_interior(b[z] < threshold))
            out[z] = s + off
            off += int(s.max())
        return out
    return watershed(b, markers=label_interior(b < threshold, per_slice=False))


def tune_watershed(boundaries: np.ndarray, truth: np.ndarray, grid: dict | None = None,
                   base: WatershedParams | None = None, objective: str = "arand+voi"
                   ) -> tuple[WatershedParams, list[dict]]:
    """Grid search of watershed/agglomeration parameters against instance truth.

    Use only slices that are not part of the evaluation (here: ISBI training slices).

    Parameters
    ----------
    boundaries : ndarray (z, y, x) float
        Predicted membrane probability.
    truth : ndarray (z, y, x) int
        Instance truth, 0 = membrane (not scored).
    grid : dict of {param name: list of values}, optional
        Default (72 points, the grid used for the shipped checkpoint) searches
        ``threshold``, ``merge_threshold``, ``min_seed_distance_px`` and ``min_size``.
    base : WatershedParams, optional
        Values of the parameters not in ``grid``.
    objective : {"arand+voi", "arand", "voi"}
        Minimised mean-over-slices score (``arand+voi`` = adapted Rand + VOI / 4).

    Returns
    -------
    best : WatershedParams
    table : list of dict (one per grid point, with its scores)
    """
    import itertools

    from .metrics import evaluate

    b = np.asarray(boundaries)
    t = np.asarray(truth)
    if b.shape != t.shape or b.ndim != 3:
        raise InputError(f"boundaries and truth must both be (z, y, x) of one shape, got "
                         f"{b.shape} and {t.shape}")
    grid = grid or {"threshold": [0.3, 0.5, 0.7],
                    "merge_threshold": [0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
                    "min_seed_distance_px": [2, 4], "min_size": [30, 100]}
    base_d = (base or WatershedParams()).as_dict()
    unknown = set(grid) - set(base_d)
    if unknown:
        raise InputError(f"unknown watershed parameters in grid: {sorted(unknown)}")
    table = []
    best, best_score = None, np.inf
    names = list(grid)
    for values in itertools.product(*[grid[n] for n in names]):
        p = WatershedParams(**{**base_d, **dict(zip(names, values))})
        scores = [evaluate(t[z], watershed_agglomerate(b[z], p)) for z in range(len(b))]
        arand = float(np.mean([s.adapted_rand_error for s in scores]))
        voi = float(np.mean([s.voi for s in scores]))
        score = {"arand+voi": arand + voi / 4, "arand": arand, "voi": voi}[objective]
        table.append({**p.as_dict(), "adapted_rand_error": arand, "voi": voi, "score": score})
        if score < best_score:
            best, best_score = p, score
    return best, table
