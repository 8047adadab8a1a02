"""EM tracing of a segmented stack: sections linked into 3-D objects, their skeletons and contact graph.

Cross-domain (:mod:`neurodiscovery.connectomics.em` for linking and contacts, :mod:`neurodiscovery.morphology`
for the skeleton measures); pure: nothing is written. ``neurodiscovery em trace`` renders
:func:`trace_segmentation`'s :class:`TraceResult` into a run folder.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError
from .._utils.quantity import count, quantity
from ..connectomics.em.contacts import ContactGraph, ContactStatistics, contact_graph, contact_statistics
from ..connectomics.em.skeletons import check_voxel_size, skeletonize
from ..connectomics.em.tracing import TracedObjects, TracingParams, link_sections
from ..data.swc import SwcTree
from ..morphology import measure_neuron

__all__ = ["TraceResult", "trace_segmentation"]


@dataclass(frozen=True)
class TraceResult:
    """Everything ``em trace`` computes.

    Attributes
    ----------
    traced : TracedObjects
    skeletons : dict of int to SwcTree
        Per object (objects below the skeleton size threshold have none).
    measures : dict of int to NeuronMeasures
        Morphology of each skeleton (lengths in nm).
    contacts : ContactGraph
    contact_stats : ContactStatistics
    voxel_size_nm : tuple (z, y, x)
    min_sections : int
        Objects spanning at least this many consecutive sections are "traced through".
    """

    traced: TracedObjects
    skeletons: dict
    measures: dict
    contacts: ContactGraph
    contact_stats: ContactStatistics
    voxel_size_nm: tuple
    min_sections: int

    def long_objects(self) -> np.ndarray:
        """Ids of objects spanning >= ``min_sections`` consecutive sections."""
        return np.flatnonzero(self.traced.longest_run() >= self.min_sections) + 1

    def object_table(self) -> list[dict]:
        """One row per object: span, size and skeleton measures (NaN without a skeleton)."""
        t = self.traced
        rows = []
        for k in range(t.n_objects):
            m = self.measures.get(k + 1)
            rows.append({"object_id": k + 1, "first_section": int(t.first_section[k]),
                         "last_section": int(t.last_section[k]), "n_sections": int(t.n_sections[k]),
                         "size_voxels": int(t.size_voxels[k]),
                         "max_segments_per_section": int(t.max_segments_per_section[k])
                         if t.max_segments_per_section is not None else -1,
                         "cable_length_nm": m.cable_length if m else float("nan"),
                         "n_branch_points": m.n_branch_points if m else -1,
                         "n_tips": m.n_tips if m else -1})
        return rows

    def metrics(self) -> dict:
        """Scalar results for metrics.json."""
        runs = self.traced.longest_run()
        long = runs >= self.min_sections
        lengths = [self.measures[i].cable_length for i in self.long_objects() if i in self.measures]
        return {"n_objects": self.traced.n_objects, "n_links": self.traced.n_links,
                "missing_sections": self.traced.missing_sections.tolist(),
                f"n_objects_spanning_ge_{self.min_sections}_sections": int(long.sum()),
                "span_sections_quartiles_long": np.percentile(runs[long], [25, 50, 75]).tolist()
                if long.any() else [],
                "cable_length_nm_quartiles_long": np.percentile(lengths, [25, 50, 75]).tolist()
                if lengths else [],
                "n_skeletons": len(self.skeletons), "n_contacts": int(len(self.contacts.edges)),
                **{k: q.value for k, q in self.merge_quantities().items()},
                **self.contact_stats.summary()}

    def merge_quantities(self) -> dict:
        """How many objects hold more than one 2-D segment of some section (typed quantities).

        Returns
        -------
        dict of str to Quantity
            Empty where the tracer kept no 2-D segments (3-D mode).
        """
        segs = self.traced.max_segments_per_section
        if segs is None or not len(segs):
            return {}
        n = self.traced.n_objects
        return {"n_objects_multi_segment": count(
                    "objects holding more than one segment of some section (branches or merges)",
                    int((segs > 1).sum()), n, "objects"),
                "max_segments_per_section": quantity(
                    "most segments of one section in one object", int(segs.max()), "1",
                    note="capped by --max-segments-per-section")}


def trace_segmentation(labels, voxel_size_nm, *, boundaries=None, params: TracingParams | None = None,
                       missing_sections=None, min_sections: int = 5, gap_voxels: int = 0,
                       dust_voxels: int = 100) -> TraceResult:
    """Link sections into 3-D objects, skeletonise them and build their contact graph.

    Parameters
    ----------
    labels : ndarray (z, y, x) int
        Per-section segmentation (e.g. ``em segment``'s ``labels``), 0 = none.
    voxel_size_nm : (z, y, x)
        Section thickness and pixel size, nm.
    boundaries : ndarray (z, y, x) float, optional
        Membrane probability (boundary evidence for the links).
    params : TracingParams, optional
    missing_sections : sequence of int, optional
    min_sections : int
        Span that counts as traced through the stack.
    gap_voxels : int
        Membrane gap bridged by the contact graph (0 for dense segmentations).
    dust_voxels : int
        Objects smaller than this get no skeleton.

    Returns
    -------
    TraceResult
    """
    vs = check_voxel_size(voxel_size_nm, ndim=3)
    lab = np.asarray(labels)
    if lab.ndim != 3:
        raise InputError(f"segmentation must be 3-D (z, y, x), got shape {lab.shape}; "
                         "--voxel-size needs one entry per axis")
    if int(min_sections) < 1:
        raise InputError(f"min_sections must be >= 1, got {min_sections}")
    traced = link_sections(lab, boundaries, params, missing_sections)
    skels: dict[int, SwcTree] = skeletonize(traced.labels, vs, dust_voxels=dust_voxels)
    measures = {k: measure_neuron(t) for k, t in skels.items()}
    graph = contact_graph(traced.labels, vs, gap_voxels=gap_voxels)
    return TraceResult(traced, skels, measures, graph, contact_statistics(graph), vs, int(min_sections))
