"""``em trace`` as a :class:`~.command.Command` (``em-trace``): 3-D objects, skeletons (SWC) and the contact graph
of a segmented stack.

The science is :func:`neurodiscovery.analyses.trace_segmentation` (a typed :class:`TraceResult`, no files);
``execute("em-trace", EmTraceParams(segmentation="seg.npz", voxel_size_nm=(50, 4, 4)))`` is the CLI's path and
:func:`run_em_trace` the keyword form kept for existing callers.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from .._utils.errors import InputError
from .._utils.metrics_schema import array, integer, number
from .._utils.params import Params, option
from .._utils.quantity import count, number_of
from .command import Command, execute
from .report import Section

__all__ = ["COMMAND", "EmTraceParams", "EmTraceResult", "compute", "run_em_trace"]


def __getattr__(name: str):  # TraceResult, trace_segmentation moved to neurodiscovery.analyses; still found here
    if name in ("TraceResult", "trace_segmentation"):
        from ..analyses import em_tracing

        return getattr(em_tracing, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class EmTraceParams(Params):
    """Parameters of ``em trace`` (the CLI options are generated from these declarations).

    The tracing fields carry the names and defaults of :class:`~neurodiscovery.connectomics.em.TracingParams`
    (a test keeps them equal).
    """

    segmentation: str = option(help="segmentation (.npz 'labels' [+ 'boundaries'], .npy, .tif, .zarr)",
                               positional=True)
    voxel_size_nm: tuple[float, ...] = option(help="voxel size z y x, section thickness first, e.g. 50 4 4",
                                              unit="nm", low=0, low_open=True, flag="--voxel-size", nargs="+",
                                              metavar="NM")
    key: str | None = option(None, "array name of the labels inside an npz / zarr group (default 'labels')",
                             show_default=False)
    boundaries_key: str | None = option("boundaries", "array name of the boundary map beside the labels in an npz "
                                        "(used when present)")
    min_overlap: float = option(0.3, "overlap / smaller profile area needed to link two sections", low=0,
                                low_open=True, high=1)
    min_partner_overlap: float = option(0.1, "the same overlap / the partner's area, also required (stops small "
                                        "profiles chaining cells together)", low=0, high=1)
    max_boundary: float = option(0.5, "pixels with a higher membrane probability do not count as overlap (with a "
                                 "boundary map)", low=0, low_open=True, high=1)
    max_gap_sections: int = option(2, "blank sections bridged", low=0, flag="--max-gap")
    allow_branching: bool = option(True, "link mutual best partners only (no object holds two segments of a "
                                   "section)", flag="--no-branching")
    max_segments_per_section: int | None = option(
        2, "most 2-D segments of one section an object may hold (2: one branch per section); links join strongest "
        "first and a join past the cap is refused (None in Python: no cap)", low=1)
    min_size_voxels: int = option(20, "2-D segments smaller than this are dropped before linking", unit="voxel", low=0)
    grow_px: float = option(2.0, "in-plane growth of traced objects into unlabelled voxels (boundary tracing only)",
                            unit="px", low=0)
    min_sections: int = option(5, "span that counts as traced through the stack", unit="sections", low=1)
    gap_voxels: int = option(0, "membrane gap bridged by the contact graph (0: dense labels)", unit="voxel", low=0)
    n_skeleton_figures: int = option(3, "skeleton figures of the longest objects", low=0, flag="--skeleton-figures")
    note: str | None = option(None, "a sentence for the report (e.g. 'no 3-D ground truth exists for this stack')",
                              cli=False)

    def tracing(self):
        """The :class:`~neurodiscovery.connectomics.em.TracingParams` of these parameters."""
        from ..connectomics.em.tracing import TracingParams

        names = set(TracingParams.__dataclass_fields__)
        return TracingParams(**{k: getattr(self, k) for k in names})


@dataclass(frozen=True)
class EmTraceResult:
    """Typed result of ``em trace``: the params, the :class:`TraceResult` and whether boundaries were used."""

    params: EmTraceParams
    trace: object
    used_boundaries: bool = False

    def key_numbers(self) -> list:
        """Objects, objects spanning ``min_sections``, contacts, and objects holding several segments of a section."""
        res, k = self.trace, self.params.min_sections
        n = res.traced.n_objects
        long = int(len(res.long_objects()))
        return [number_of("objects traced", n, "objects"),
                count(f"objects spanning >= {k} sections", long, n, "objects"),
                count("objects with a skeleton", len(res.skeletons), n, "objects",
                      note="objects too small to skeletonise (under the dust threshold's voxels) have none"),
                number_of("contacts between objects", int(len(res.contacts.edges)), "contacts"),
                *res.merge_quantities().values()]

    def to_metrics(self) -> dict:
        """Object, link, skeleton and contact counts, spans and cable lengths (nm), contact-graph statistics."""
        return self.trace.metrics()


def _load(params: EmTraceParams):
    import numpy as np

    from ..connectomics.em.segment import read_volume

    src = Path(params.segmentation)
    labels = np.asarray(read_volume(src, params.key or ("labels" if src.suffix.lower() in (".npz", ".zarr")
                                                       else None)))
    return labels, _optional_boundaries(src, params.boundaries_key, labels.shape)


def _optional_boundaries(src: Path, key: str | None, shape: tuple):
    """The boundary map stored beside the labels (``em segment`` writes one), if any."""
    import numpy as np

    if key is None or src.suffix.lower() != ".npz":
        return None
    with np.load(src) as d:
        if key not in d.files:
            return None
        b = d[key].astype(np.float32)
    if b.shape != tuple(shape):
        raise InputError(f"{src}: '{key}' has shape {b.shape} but the labels have shape {shape}")
    return b


def compute(params: EmTraceParams, inputs) -> EmTraceResult:
    """Link sections into 3-D objects, skeletonise them and build their contact graph (no files).

    Parameters
    ----------
    params : EmTraceParams
    inputs : (ndarray, ndarray or None)
        Labels (z, y, x) and the boundary probability (z, y, x) when there is one.

    Returns
    -------
    EmTraceResult
    """
    from ..analyses.em_tracing import trace_segmentation

    labels, bnd = inputs
    res = trace_segmentation(labels, params.voxel_size_nm, boundaries=bnd, params=params.tracing(),
                             min_sections=params.min_sections, gap_voxels=params.gap_voxels)
    return EmTraceResult(params, res, bnd is not None)


def _figures(res, figures, n_skeleton_figures: int) -> list:
    import matplotlib.pyplot as plt
    import numpy as np

    from ..connectomics.em.contacts import plot_contact_statistics
    from ..morphology import plot_skeleton_projections

    runs = res.traced.longest_run()
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.5))
    ax[0].hist(runs, bins=np.arange(runs.max() + 2) + 0.5, color="0.4")
    ax[0].axvline(res.min_sections - 0.5, color="tab:red", ls="--")
    ax[0].set(xlabel="consecutive sections spanned", ylabel="objects", yscale="log")
    lengths = [res.measures[i].cable_length / 1000 for i in res.long_objects() if i in res.measures]
    ax[1].hist(lengths, bins=30, color="0.4")
    ax[1].set(xlabel="skeleton cable length (µm)", ylabel=f"objects (>= {res.min_sections} sections)")
    figs = [figures.save(fig, "object_spans", "Left: sections spanned by each traced object (red: the "
                         f"{res.min_sections}-section mark). Right: skeleton cable length of the objects spanning "
                         "at least that many.")]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
    plot_contact_statistics(res.contacts, res.contact_stats, axes)
    figs.append(figures.save(fig, "contact_graph", "Contact graph: partners per object, contact areas, local "
                             "clustering. Contacts are touching membranes, not identified synapses."))
    for k in sorted(res.measures, key=lambda k: -res.measures[k].cable_length)[:n_skeleton_figures]:
        fig, axes = plt.subplots(1, 3, figsize=(12, 4))
        plot_skeleton_projections(res.skeletons[k], axes)
        figs.append(figures.save(fig, f"skeleton_{k}", f"Skeleton of object {k} (three projections, nm)."))
    return figs


def render(result: EmTraceResult, figures) -> list:
    """Spans, cable lengths, contacts and the longest skeletons, with what the numbers do not measure."""
    res, p = result.trace, result.params
    long = int(len(res.long_objects()))
    text = [f"{res.traced.n_objects} objects traced through {res.traced.labels.shape[0]} sections; {long} span at "
            f"least {p.min_sections} consecutive sections."]
    mq = res.merge_quantities()
    if mq:
        text.append(f"{mq['n_objects_multi_segment'].format()} hold more than one segment of some section (at most "
                    f"{mq['max_segments_per_section'].value}, the cap --max-segments-per-section "
                    f"{p.max_segments_per_section}): a branch within a section, or two neurites merged. Links join "
                    "strongest first and a join that would exceed the cap is refused. Skeletons (skeletons/, one SWC "
                    "per object, coordinates in nm as their '# units: nm' header says) feed `morphology` directly.")
    text.append(p.note or "No 3-D ground truth was given with this segmentation: these numbers describe the traced "
                "objects, they do not measure tracing accuracy.")
    return [Section("trace", "Objects, skeletons and contacts", text=text,
                    figures=_figures(res, figures, p.n_skeleton_figures))]


def _write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="") as fh:
        if not rows:
            return
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _write(result: EmTraceResult, folder: Path) -> None:
    import numpy as np

    from ..connectomics.em.skeletons import write_skeletons

    res = result.trace
    np.savez_compressed(folder / "objects.npz", labels=res.traced.labels)
    _write_csv(folder / "objects.csv", res.object_table())
    _write_csv(folder / "contacts.csv", [{"object_a": int(a), "object_b": int(b), "area_nm2": float(w)}
                                         for (a, b), w in zip(res.contacts.edges, res.contacts.area_nm2)])
    # the forest of all objects lives beside the folder, which holds one neuron per file
    write_skeletons(res.skeletons, folder / "skeletons", (folder / "skeletons_all.swc").resolve())


def metrics_properties() -> dict:
    """Declared top-level keys of ``em trace``'s ``metrics.json`` (and ``n_objects_spanning_ge_<k>_sections``)."""
    n = integer
    return {"n_objects": n("1", "objects"), "n_links": n("1", "links"), "missing_sections": array(n("1", "index")),
            "span_sections_quartiles_long": array(number("1", "sections")),
            "cable_length_nm_quartiles_long": array(number("nm")), "n_skeletons": n("1", "skeletons"),
            "n_contacts": n("1", "contacts"), "mean_degree": number("1", "contacts per object"),
            "max_degree": n("1", "contacts"), "mean_clustering": number("1"), "density": number("1"),
            "median_strength_nm2": number("nm^2", "summed contact area per object"),
            "n_objects_multi_segment": n("1", "objects holding more than one 2-D segment of some section"),
            "max_segments_per_section": n("1", "most 2-D segments of one section in one object"),
            "__pattern__": {"^n_objects_spanning_ge_[0-9]+_sections$": n("1", "objects")}}


COMMAND = Command(
    "em-trace", "link a per-section segmentation across z into 3-D objects; skeletons (SWC), contact graph, report",
    EmTraceParams, compute, render, metrics_properties, load=_load, write=_write, uses_torch=lambda p: False,
    title=lambda p, r: f"em trace — {Path(p.segmentation).name}",
    metrics_required=("n_objects", "n_links", "missing_sections", "n_skeletons", "n_contacts"),
    line=lambda run: f"traced {run.result.params.segmentation}: run folder {run.path}")


def run_em_trace(segmentation: str | os.PathLike, voxel_size_nm, *, out: str | os.PathLike | None = None,
                 params=None, **kwargs) -> Path:
    """``neurodiscovery em trace``: run folder with objects, skeletons, contacts and a report.

    Parameters
    ----------
    segmentation : path
        ``.npz`` (``labels``, optionally ``boundaries``), ``.npy``, ``.tif`` or ``.zarr``.
    voxel_size_nm : (z, y, x)
        Section thickness and pixel size (nm).
    out : path, optional
        Run folder (default ``runs/<timestamp>-em-trace``).
    params : TracingParams, optional
        Its fields become the matching :class:`EmTraceParams` fields.
    **kwargs
        Any other field of :class:`EmTraceParams` (``key``, ``boundaries_key``, ``min_sections``,
        ``gap_voxels``, ``n_skeleton_figures``, ``note``).

    Returns
    -------
    Path
        The run folder: ``objects.npz``, ``objects.csv``, ``skeletons/`` (one SWC per object, nm),
        ``skeletons_all.swc`` (every object in one file), ``contacts.csv``, ``metrics.json``, ``figures/``,
        ``report.html``.
    """
    if params is not None:
        from dataclasses import asdict

        names = set(EmTraceParams.__dataclass_fields__)
        kwargs = {**{k: v for k, v in asdict(params).items() if k in names}, **kwargs}
    p = EmTraceParams(segmentation=str(segmentation), voxel_size_nm=tuple(float(v) for v in voxel_size_nm), **kwargs)
    return execute(COMMAND, p, out=out).path
