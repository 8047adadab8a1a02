"""Tracing neurites through serial sections: 2-D segments linked across z into 3-D objects.

Linking is an agglomeration on the region adjacency graph *between* sections: every pair
of segments in consecutive usable sections that overlap in (y, x) is a candidate edge,
weighted by its overlap counted on interior pixels only (boundary evidence: pixels whose
membrane probability exceeds ``max_boundary`` do not count). Each segment keeps the edge
to its best-overlapping partner when the overlap covers enough of both (see
:func:`section_links`). Connected components of the kept edges are the 3-D objects.

Sections without any segment (blank or lost sections) are bridged: a section is linked to
the next usable one up to ``max_gap_sections`` away, and a bridged section receives the
object id wherever the sections on both sides agree. Where the boundary map is itself 3-D
(isotropic data, 3-D models) :func:`trace_boundaries` with ``mode="3d"`` runs one 3-D
watershed + agglomeration instead. :func:`~.tracing_blockwise.trace_blockwise` links
zarr volumes block by block with the same result.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..._utils.errors import InputError
from .instances import WatershedParams, segment_boundaries
from .tracing_merge import capped_components, link_priority, section_of_ids, segments_per_section


@dataclass(frozen=True)
class TracingParams:
    """Parameters of section linking.

    Parameters
    ----------
    min_overlap : float in (0, 1]
        Overlap with the best partner / own interior area required for a segment's link.
    min_partner_overlap : float in [0, 1]
        The same overlap / the partner's interior area, also required (stops small
        profiles touching a large one from chaining cells together).
    allow_branching : bool
        Keep one-sided (branch) links; False keeps mutual best partners only, the
        merge-averse choice for dense segmentations whose neurites move far between
        sections (on ISBI 2012, branch links chain most cells into one object).
    max_boundary : float in [0, 1]
        Pixels with a higher membrane probability do not count as overlap (used only with
        a boundary map).
    max_gap_sections : int
        Blank sections that may be bridged between two linked sections.
    max_segments_per_section : int or None
        Largest number of 2-D segments of any one section an object may hold: links are merged
        strongest first and a merge past this cap is refused (see :mod:`.tracing_merge`); 2 lets
        a neurite branch once per section. None: plain connected components of the links.
    min_size_voxels : int
        2-D segments smaller than this are dropped before linking (noise specks).
    grow_px : float
        :func:`trace_boundaries` only: traced objects are grown in-plane by this many pixels
        into the voxels left unlabelled (the membrane margin that thresholding removes).
    """

    min_overlap: float = 0.3
    min_partner_overlap: float = 0.1
    allow_branching: bool = True
    max_boundary: float = 0.5
    max_gap_sections: int = 2
    max_segments_per_section: int | None = 2
    min_size_voxels: int = 20
    grow_px: float = 2.0

    def __post_init__(self):
        if not 0 < self.min_overlap <= 1 or not 0 <= self.max_boundary <= 1 \
                or not 0 <= self.min_partner_overlap <= 1:
            raise InputError("min_overlap must be in (0, 1], min_partner_overlap and max_boundary in [0, 1]")
        if self.max_gap_sections < 0 or self.min_size_voxels < 0 or self.grow_px < 0:
            raise InputError("max_gap_sections, min_size_voxels and grow_px must be >= 0")
        if self.max_segments_per_section is not None and self.max_segments_per_section < 1:
            raise InputError("max_segments_per_section must be >= 1 (or None for no cap)")

    def as_dict(self) -> dict:
        """Plain dict (for config.json)."""
        return asdict(self)


@dataclass(frozen=True)
class TracedObjects:
    """3-D objects traced through a stack.

    Attributes
    ----------
    labels : ndarray (z, y, x) uint32
        Object ids 1..n_objects; 0 = no object (membrane, background).
    first_section, last_section : ndarray (n_objects,) int64
        First and last section holding object ``k + 1``.
    n_sections : ndarray (n_objects,) int64
        Sections in which the object has voxels.
    size_voxels : ndarray (n_objects,) int64
    missing_sections : ndarray (n_missing,) int64
        Sections that held no segment and were bridged.
    n_links : int
        Kept links between sections.
    max_segments_per_section : ndarray (n_objects,) int64 or None
        The most 2-D segments of one section that object ``k + 1`` holds (1 for an unbranched
        neurite); None where the tracer has no 2-D segments (``mode="3d"``).
    """

    labels: np.ndarray
    first_section: np.ndarray
    last_section: np.ndarray
    n_sections: np.ndarray
    size_voxels: np.ndarray
    missing_sections: np.ndarray
    n_links: int
    max_segments_per_section: np.ndarray | None = None

    @property
    def n_objects(self) -> int:
        """Number of traced objects."""
        return int(len(self.size_voxels))

    def longest_run(self) -> np.ndarray:
        """Consecutive sections spanned, ``last - first + 1`` per object, ``(n_objects,)``."""
        return self.last_section - self.first_section + 1


def section_links(la: np.ndarray, lb: np.ndarray, ba: np.ndarray | None = None,
                  bb: np.ndarray | None = None, params: TracingParams | None = None,
                  return_priority: bool = False):
    """Links between the segments of two sections (best-match overlap with boundary evidence).

    A pixel counts toward an overlap only when it is labelled in both sections and, with
    a boundary map, its mean membrane probability is at most ``max_boundary`` (pixels on
    a membrane say nothing about continuity). Every segment proposes one link, to the
    segment of the other section it overlaps most, if the overlap covers at least
    ``min_overlap`` of the proposer and ``min_partner_overlap`` of the partner. Mutual
    proposals are kept (the neurite continues); of the one-sided proposals a segment
    receives, only the strongest is kept (a bifurcation: the branch's best partner is the
    parent it leaves), so many small profiles over one large profile cannot chain
    unrelated cells together.

    Parameters
    ----------
    la, lb : ndarray (y, x) int
        Segment ids (0 = none) of two sections, ids unique across the stack.
    ba, bb : ndarray (y, x) float, optional
        Boundary probability of the two sections (boundary evidence).
    params : TracingParams, optional
    return_priority : bool
        Also return each link's merge priority (:func:`.tracing_merge.link_priority`).

    Returns
    -------
    ndarray (n_links, 2) int64
        Linked (id in ``la``, id in ``lb``) pairs.
    ndarray (n_links,) float
        Only with ``return_priority``: merge priority (mutual links first, then by overlap).
    """
    p = params or TracingParams()
    a, b = la.ravel().astype(np.int64), lb.ravel().astype(np.int64)
    counted = (a > 0) & (b > 0)
    if ba is not None and bb is not None:
        interior = 0.5 * (ba.ravel() + bb.ravel()) <= p.max_boundary
        counted &= interior
        own_a, own_b = (a > 0) & (ba.ravel() <= p.max_boundary), (b > 0) & (bb.ravel() <= p.max_boundary)
    else:
        own_a, own_b = a > 0, b > 0
    if not counted.any():
        empty = np.zeros((0, 2), np.int64)
        return (empty, np.zeros(0)) if return_priority else empty
    pairs, counts = np.unique(np.stack([a[counted], b[counted]], 1), axis=0, return_counts=True)
    sizes = []
    for col, own in ((0, own_a), (1, own_b)):
        ids, size = np.unique((a, b)[col][own], return_counts=True)
        sizes.append(_lookup(ids, size, pairs[:, col]))
    keep, mutual = decide_links(pairs, counts, sizes[0], sizes[1], p, return_mutual=True)
    if return_priority:
        return pairs[keep], link_priority(counts[keep], mutual[keep])
    return pairs[keep]


def _lookup(keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    """``values`` at ``query`` in sorted ``keys``; 0 where a query is not a key."""
    if len(keys) == 0:
        return np.zeros(len(query), values.dtype)
    pos = np.clip(np.searchsorted(keys, query), 0, len(keys) - 1)
    return np.where(keys[pos] == query, values[pos], 0)


def decide_links(pairs: np.ndarray, counts: np.ndarray, size_a: np.ndarray, size_b: np.ndarray,
                 params: TracingParams | None = None, return_mutual: bool = False):
    """Which overlapping pairs of two sections' segments are kept as links.

    The decision of :func:`section_links` from its sufficient statistics, so that overlap
    counts summed over blocks (:func:`~.tracing_blockwise.trace_blockwise`) give the same
    links as one pass over whole sections.

    Parameters
    ----------
    pairs : ndarray (n, 2) int
        Distinct overlapping (id in section a, id in section b) pairs.
    counts : ndarray (n,) int
        Interior pixels each pair shares.
    size_a, size_b : ndarray (n,) int
        Interior pixels of the pair's segment in section a / in section b.
    params : TracingParams, optional
    return_mutual : bool
        Also return which pairs are mutual best partners.

    Returns
    -------
    ndarray (n,) bool
        Kept pairs.
    ndarray (n,) bool
        Only with ``return_mutual``: pairs proposed by both sides.
    """
    p = params or TracingParams()
    sizes = (size_a, size_b)
    proposals = np.zeros((2, len(pairs)), bool)  # proposed by the a side / by the b side
    for col in (0, 1):
        order = np.lexsort((-counts, pairs[:, col]))  # per segment, largest overlap first
        first = np.ones(len(order), bool)
        first[1:] = pairs[order[1:], col] != pairs[order[:-1], col]
        best = order[first]
        ok = (counts[best] >= p.min_overlap * sizes[col][best]) & \
             (counts[best] >= p.min_partner_overlap * sizes[1 - col][best])
        proposals[col, best[ok]] = True
    keep = proposals[0] & proposals[1]  # mutual best partners: the neurite continues
    for col in ((0, 1) if p.allow_branching else ()):
        # one-sided proposals are branches; a profile takes at most one (bifurcation),
        # the strongest, so many small profiles over a large one cannot chain cells
        cand = np.flatnonzero(proposals[col] & ~proposals[1 - col])
        if cand.size:
            order = cand[np.lexsort((-counts[cand], pairs[cand, 1 - col]))]
            first = np.ones(len(order), bool)
            first[1:] = pairs[order[1:], 1 - col] != pairs[order[:-1], 1 - col]
            keep[order[first]] = True
    return (keep, proposals[0] & proposals[1]) if return_mutual else keep


def _unique_ids(labels: np.ndarray, min_size: int) -> np.ndarray:
    """Per-section ids made unique over the stack; segments under ``min_size`` dropped."""
    out = np.zeros(labels.shape, np.int64)
    offset = 0
    for z in range(labels.shape[0]):
        sl = labels[z].astype(np.int64)
        ids, inv, cnt = np.unique(sl, return_inverse=True, return_counts=True)
        new = np.arange(len(ids)) + offset + 1
        new[(ids == 0) | (cnt < min_size)] = 0
        out[z] = new[inv.reshape(sl.shape)]
        offset = int(new.max()) if new.max() > 0 else offset
    return out


def link_sections(labels: np.ndarray, boundaries: np.ndarray | None = None,
                  params: TracingParams | None = None,
                  missing_sections=None) -> TracedObjects:
    """Link per-section 2-D segments across z into 3-D objects.

    Parameters
    ----------
    labels : ndarray (z, y, x) int
        2-D segments per section (0 = none); ids need not be unique across sections.
    boundaries : ndarray (z, y, x) float, optional
        Membrane probability; adds boundary evidence to every link.
    params : TracingParams, optional
    missing_sections : sequence of int, optional
        Sections known to be lost; sections without any segment are treated as lost too.

    Returns
    -------
    TracedObjects
    """
    p = params or TracingParams()
    lab = np.asarray(labels)
    if lab.ndim != 3 or lab.size == 0:
        raise InputError(f"segmentation must be a non-empty 3-D (z, y, x) volume, got shape {lab.shape}")
    if lab.dtype.kind not in "iub":
        raise InputError(f"segmentation must hold integer labels, got dtype {lab.dtype}")
    if boundaries is not None and np.shape(boundaries) != lab.shape:
        raise InputError(f"boundaries have shape {np.shape(boundaries)} but the segmentation has "
                         f"shape {lab.shape}")
    ids = _unique_ids(lab, p.min_size_voxels)
    if not ids.any():
        raise InputError("the segmentation is empty: no labelled voxels (after dropping segments "
                         f"under {p.min_size_voxels} voxels)")
    lost = set(int(z) for z in (missing_sections if missing_sections is not None else []))
    if any(not 0 <= z < len(ids) for z in lost):
        raise InputError(f"missing sections {sorted(lost)} must lie within the {len(ids)} sections")
    for z in lost:
        ids[z] = 0  # a lost section's content is not trusted; it is bridged instead
    usable = [z for z in range(len(ids)) if z not in lost and ids[z].any()]
    pairs, prio, bridges = [], [], []
    for z0, z1 in zip(usable[:-1], usable[1:]):
        if z1 - z0 - 1 > p.max_gap_sections:
            continue
        b0 = None if boundaries is None else np.asarray(boundaries[z0], np.float32)
        b1 = None if boundaries is None else np.asarray(boundaries[z1], np.float32)
        pz, qz = section_links(ids[z0], ids[z1], b0, b1, p, return_priority=True)
        pairs.append(pz)
        prio.append(qz)
        if z1 - z0 > 1:
            bridges.append((z0, z1))
    pairs = np.concatenate(pairs) if pairs else np.zeros((0, 2), np.int64)
    prio = np.concatenate(prio) if prio else np.zeros(0)
    section_of = section_of_ids(ids)
    comp = capped_components(int(ids.max()) + 1, pairs, prio, section_of, p.max_segments_per_section)
    # consecutive object ids over the components that own voxels
    used = np.unique(comp[ids[ids > 0]])
    remap = np.zeros(comp.max() + 1, np.uint32)
    remap[used] = np.arange(1, len(used) + 1, dtype=np.uint32)
    obj_of = remap[comp]
    obj_of[0] = 0
    out = obj_of[ids]
    for z0, z1 in bridges:
        agree = np.where(out[z0] == out[z1], out[z0], 0)
        for z in range(z0 + 1, z1):
            out[z] = agree
    segs = segments_per_section(obj_of, section_of, int(out.max()))
    return _summarise(out, np.asarray(sorted(set(range(len(ids))) - set(usable)), np.int64),
                      int(len(pairs)), segs)


def _summarise(out: np.ndarray, missing: np.ndarray, n_links: int,
               segs: np.ndarray | None = None) -> TracedObjects:
    n = int(out.max())
    present = np.zeros((n + 1, out.shape[0]), bool)
    for z in range(out.shape[0]):
        present[np.unique(out[z]), z] = True
    present = present[1:]
    first = np.argmax(present, axis=1)
    last = out.shape[0] - 1 - np.argmax(present[:, ::-1], axis=1)
    size = np.bincount(out.ravel(), minlength=n + 1)[1:]
    return TracedObjects(out.astype(np.uint32), first.astype(np.int64), last.astype(np.int64),
                         present.sum(axis=1).astype(np.int64), size.astype(np.int64), missing,
                         n_links, segs)


def trace_boundaries(boundaries: np.ndarray, *, mode: str = "sections",
                     watershed: WatershedParams | None = None,
                     params: TracingParams | None = None, missing_sections=None) -> TracedObjects:
    """3-D objects from a membrane-probability stack.

    Parameters
    ----------
    boundaries : ndarray (z, y, x) float in [0, 1]
    mode : {"sections", "3d"}
        ``"sections"``: 2-D watershed + agglomeration per section, then
        :func:`link_sections` (anisotropic serial sections). ``"3d"``: lost sections
        bridged, one 3-D watershed seeded by connected interiors, then agglomeration of
        its objects by the section links (a boundary map predicted in 3-D), see
        :func:`~.tracing_3d.trace_3d`.
    watershed : WatershedParams, optional
        Voxels whose (smoothed) boundary probability is >= ``watershed.threshold`` are
        membrane and get no object.
    params : TracingParams, optional
    missing_sections : sequence of int, optional

    Returns
    -------
    TracedObjects
    """
    import cc3d
    from scipy import ndimage as ndi

    b = np.asarray(boundaries, np.float32)
    if b.ndim != 3 or b.size == 0:
        raise InputError(f"boundaries must be a non-empty 3-D (z, y, x) volume, got shape {b.shape}")
    if mode not in ("sections", "3d"):
        raise InputError(f"mode must be 'sections' or '3d', got {mode!r}")
    w = watershed or WatershedParams()
    p = params or TracingParams()
    sig = (0, w.sigma_boundary_px, w.sigma_boundary_px) if mode == "sections" else w.sigma_boundary_px
    membrane = ndi.gaussian_filter(b, sig) >= w.threshold
    if mode == "3d":
        from .tracing_3d import trace_3d

        return trace_3d(b, w, p, missing_sections)
    seg = segment_boundaries(b, w, per_slice=True).astype(np.int64)
    seg[membrane] = 0
    # masking can leave a watershed basin in pieces (specks beyond its membrane): each
    # connected piece becomes its own 2-D segment, so specks fall under min_size_voxels
    seg = np.stack([cc3d.connected_components(sl, connectivity=4) for sl in seg]).astype(np.int64)
    traced = link_sections(seg, b, p, missing_sections)
    if p.grow_px <= 0:
        return traced
    from skimage.segmentation import expand_labels

    grown = np.stack([expand_labels(sl, p.grow_px) for sl in traced.labels])
    return _summarise(grown, traced.missing_sections, traced.n_links, traced.max_segments_per_section)


def _relabel(seg: np.ndarray) -> np.ndarray:
    from skimage.segmentation import relabel_sequential

    return relabel_sequential(seg)[0].astype(np.uint32)


def _drop_small(seg: np.ndarray, min_size: int) -> np.ndarray:
    sizes = np.bincount(seg.ravel())
    small = sizes < min_size
    small[0] = False
    return np.where(small[seg], 0, seg)
