"""``em trace``: 3-D objects, skeletons (SWC) and the contact graph of a segmented stack.

Compute (:func:`trace_segmentation`, a typed :class:`TraceResult`) is separate from the
run folder + report (:func:`run_em_trace`), so a Python user gets the same numbers.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._utils.errors import InputError
from .._utils.quantity import count, number_of, quantity
from ..connectomics.em.contacts import (
    ContactGraph,
    ContactStatistics,
    contact_graph,
    contact_statistics,
    plot_contact_statistics,
)
from ..connectomics.em.skeletons import check_voxel_size, skeletonize, write_skeletons
from ..connectomics.em.tracing import TracedObjects, TracingParams, link_sections
from ..data.swc import SwcTree
from ..morphology import measure_neuron, plot_skeleton_projections
from .command import figure_context, legacy_metrics
from .report import Figure, Section, render_html, save_figure


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


def _write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="") as fh:
        if not rows:
            return
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _figures(res: TraceResult, figdir: Path, n_skeleton_figures: int) -> list[Figure]:
    import matplotlib.pyplot as plt

    figs = []
    runs = res.traced.longest_run()
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.5))
    ax[0].hist(runs, bins=np.arange(runs.max() + 2) + 0.5, color="0.4")
    ax[0].axvline(res.min_sections - 0.5, color="tab:red", ls="--")
    ax[0].set(xlabel="consecutive sections spanned", ylabel="objects", yscale="log")
    long = res.long_objects()
    lengths = [res.measures[i].cable_length / 1000 for i in long if i in res.measures]
    ax[1].hist(lengths, bins=30, color="0.4")
    ax[1].set(xlabel="skeleton cable length (µm)", ylabel=f"objects (>= {res.min_sections} sections)")
    save_figure(fig, figdir, "object_spans")
    figs.append(Figure("object_spans", "Left: sections spanned by each traced object (red: the "
                       f"{res.min_sections}-section mark). Right: skeleton cable length of the objects "
                       "spanning at least that many."))
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
    plot_contact_statistics(res.contacts, res.contact_stats, axes)
    save_figure(fig, figdir, "contact_graph")
    figs.append(Figure("contact_graph", "Contact graph: partners per object, contact areas, local "
                       "clustering. Contacts are touching membranes, not identified synapses."))
    top = sorted(res.measures, key=lambda k: -res.measures[k].cable_length)[:n_skeleton_figures]
    for k in top:
        fig, axes = plt.subplots(1, 3, figsize=(12, 4))
        plot_skeleton_projections(res.skeletons[k], axes)
        save_figure(fig, figdir, f"skeleton_{k}")
        figs.append(Figure(f"skeleton_{k}", f"Skeleton of object {k} (three projections, nm)."))
    return figs


@figure_context()
def run_em_trace(segmentation: str | os.PathLike, voxel_size_nm, *, key: str | None = None,
                 boundaries_key: str | None = "boundaries", out: str | os.PathLike | None = None,
                 params: TracingParams | None = None, min_sections: int = 5, gap_voxels: int = 0,
                 n_skeleton_figures: int = 3, note: str | None = None) -> Path:
    """``neurodiscovery em trace``: run folder with objects, skeletons, contacts and a report.

    Parameters
    ----------
    segmentation : path
        ``.npz`` (``labels``, optionally ``boundaries``), ``.npy``, ``.tif`` or ``.zarr``.
    voxel_size_nm : (z, y, x)
    key, boundaries_key : str, optional
        Array names inside an npz / zarr group.
    out : path, optional
        Run folder (default ``runs/<timestamp>-em-trace``).
    params, min_sections, gap_voxels
        See :func:`trace_segmentation`.
    n_skeleton_figures : int
        Skeleton projection figures for the longest objects.
    note : str, optional
        A sentence added to the report (e.g. "no 3-D ground truth exists for this stack").

    Returns
    -------
    Path
        The run folder: ``objects.npz``, ``objects.csv``, ``skeletons/`` (one SWC per object,
        nm), ``skeletons_all.swc`` (every object in one file), ``contacts.csv``, ``metrics.json``, ``figures/``, ``report.html``.
    """
    from .._utils.runfolder import RunFolder
    from ..connectomics.em.segment import read_volume

    vs = check_voxel_size(voxel_size_nm, ndim=3)
    src = Path(segmentation)
    labels = np.asarray(read_volume(src, key or ("labels" if src.suffix.lower() in (".npz", ".zarr") else None)))
    bnd = _optional_boundaries(src, boundaries_key, labels.shape)
    res = trace_segmentation(labels, vs, boundaries=bnd, params=params, min_sections=min_sections,
                             gap_voxels=gap_voxels)
    p = params or TracingParams()
    config = {"segmentation": str(src), "voxel_size_nm": list(vs), "tracing": p.as_dict(),
              "min_sections": min_sections, "gap_voxels": gap_voxels,
              "used_boundaries": bnd is not None}
    with RunFolder("em-trace", out=out, config=config) as run:
        np.savez_compressed(run.dir / "objects.npz", labels=res.traced.labels)
        _write_csv(run.dir / "objects.csv", res.object_table())
        _write_csv(run.dir / "contacts.csv", [{"object_a": int(a), "object_b": int(b), "area_nm2": float(w)}
                                              for (a, b), w in zip(res.contacts.edges, res.contacts.area_nm2)])
        # the forest of all objects lives beside the folder, which holds one neuron per file
        write_skeletons(res.skeletons, run.dir / "skeletons", (run.dir / "skeletons_all.swc").resolve())
        metrics = res.metrics()
        long = metrics[f"n_objects_spanning_ge_{min_sections}_sections"]
        keys = [number_of("objects traced", res.traced.n_objects, "objects"),
                count(f"objects spanning >= {min_sections} sections", long, res.traced.n_objects, "objects"),
                number_of("contacts between objects", metrics["n_contacts"], "contacts")]
        keys += list(res.merge_quantities().values())
        run.write_metrics(legacy_metrics("em", metrics, keys))
        figs = _figures(res, run.figures, n_skeleton_figures)
        text = [f"{res.traced.n_objects} objects traced through {labels.shape[0]} sections; "
                f"{metrics[f'n_objects_spanning_ge_{min_sections}_sections']} span at least "
                f"{min_sections} consecutive sections."]
        mq = res.merge_quantities()
        if mq:
            text.append(f"{mq['n_objects_multi_segment'].format()} hold more than one segment of some "
                        f"section (at most {mq['max_segments_per_section'].value}, the cap "
                        f"--max-segments-per-section {p.max_segments_per_section}): a branch within a "
                        "section, or two neurites merged. Links join strongest first and a join that "
                        "would exceed the cap is refused. Skeletons (skeletons/, one SWC per object, "
                        "coordinates in nm as their '# units: nm' header says) feed `morphology` directly.")
        text.append(note or "No 3-D ground truth was given with this segmentation: these numbers "
                    "describe the traced objects, they do not measure tracing accuracy.")
        sec = Section("trace", "Objects, skeletons and contacts", text=text, figures=figs,
                      metrics=metrics)
        run.write_text("report.html", render_html(f"em trace — {src.name}", keys, [sec], run.figures, config))
    return run.path


def _optional_boundaries(src: Path, key: str | None, shape: tuple) -> np.ndarray | None:
    """The boundary map stored beside the labels (``em segment`` writes one), if any."""
    if key is None or src.suffix.lower() != ".npz":
        return None
    with np.load(src) as d:
        if key not in d.files:
            return None
        b = d[key].astype(np.float32)
    if b.shape != tuple(shape):
        raise InputError(f"{src}: '{key}' has shape {b.shape} but the labels have shape {shape}")
    return b
