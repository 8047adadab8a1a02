"""``morphology FILE.swc|DIR``: per-neuron measures (CSV), Sholl profiles, figures, report.

A :class:`~.command.Command`: ``execute("morphology", MorphologyParams(path="neurons/"))`` is the CLI's
path; :func:`run_morphology` is the keyword form kept for existing callers.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from .._utils.metrics_schema import array, integer, number, obj, text
from .._utils.params import Params, option
from .._utils.quantity import number_of, quantity
from .command import Command, execute
from .report import Section

__all__ = ["COMMAND", "MorphologyParams", "MorphologyRunResult", "run_morphology"]


@dataclass(frozen=True)
class MorphologyParams(Params):
    """Parameters of ``morphology`` (the CLI options are generated from these declarations)."""

    path: str = option(help="an .swc file or a folder of .swc files", positional=True)
    units: str = option("um", "unit of the SWC coordinates (SWC does not record it)")
    sholl_radii: int = option(20, "evenly spaced Sholl radii per neuron", low=1)
    sholl_center: str = option("root", "centre of the Sholl spheres", choices=("root", "centroid"))
    allow_forest: bool = option(False, "accept files with several roots (fragments) instead of refusing them")
    max_figures: int = option(12, "skeleton figures drawn (the first neurons by file name)", low=0)


@dataclass(frozen=True)
class MorphologyRunResult:
    """Typed result of ``morphology``: the params and the :class:`~neurodiscovery.morphology.MorphologyResult`."""

    params: MorphologyParams
    morphology: object

    def key_numbers(self) -> list:
        """Neurons measured and their median cable length (in the files' unit)."""
        import numpy as np

        table = self.morphology.table()
        return [number_of("neurons", len(table), "neurons"),
                quantity("median cable length", float(np.median([r["cable_length"] for r in table])),
                         self.params.units)]

    def to_metrics(self) -> dict:
        """Per-neuron measures, their count, median cable length and the length unit."""
        table = self.morphology.table()
        return {"n_neurons": len(table), "neurons": table, "units": self.params.units,
                "median_cable_length": self.key_numbers()[1].value}


def _load(params: MorphologyParams):
    return params.path


def compute(params: MorphologyParams, path) -> MorphologyRunResult:
    """Measure every neuron of ``path`` (an SWC file or folder; no files written, no figures)."""
    from ..morphology import analyze_morphology

    res = analyze_morphology(path, units=params.units, sholl_radii=params.sholl_radii,
                             sholl_center=params.sholl_center, allow_forest=params.allow_forest)
    return MorphologyRunResult(params, res)


def render(result: MorphologyRunResult, figures) -> list:
    """The measures table, the Sholl profiles and skeleton projections of the first neurons."""
    from matplotlib.figure import Figure

    from ..morphology import plot_sholl, plot_skeleton_projections

    res, units = result.morphology, result.params.units
    table = res.table()
    cols = ("name", "n_nodes", "cable_length", "n_branch_points", "n_tips", "max_strahler_order")
    sec = Section("morphology", "Per-neuron morphology",
                  text=[f"{len(table)} neurons; lengths in {units}. Branch points: nodes with >= 2 children; tips: "
                        "non-root nodes without children (navis conventions)."],
                  tables=[("Measures", [{c: r[c] for c in cols} for r in table])])
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot(111)
    for t, prof in zip(res.trees, res.sholl):
        plot_sholl(prof, ax=ax, label=t.name if len(res.trees) <= 10 else None, units=units)
    sec.figures.append(figures.save(fig, "sholl", "Sholl profiles: edges crossing spheres around each neuron's root."))
    for i, t in enumerate(res.trees[:result.params.max_figures]):
        fig = Figure(figsize=(12, 4))
        plot_skeleton_projections(t, fig.subplots(1, 3))
        sec.figures.append(figures.save(fig, f"skeleton_{i:03d}", f"{t.name}: three orthogonal projections ({units})."))
    return [sec]


def _write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _write(result: MorphologyRunResult, folder: Path) -> None:
    res = result.morphology
    _write_csv(folder / "measures.csv", res.table())
    _write_csv(folder / "sholl.csv", [{"name": t.name, "radius": float(r), "intersections": int(n)}
                                      for t, prof in zip(res.trees, res.sholl)
                                      for r, n in zip(prof.radii, prof.intersections)])


def metrics_properties() -> dict:
    """Declared top-level keys of ``morphology``'s ``metrics.json``."""
    lengths = ("cable_length", "mean_segment_length", "max_path_length_to_root", "mean_tip_path_length",
               "radius_mean", "radius_median", "radius_min", "radius_max")
    row = obj({"name": text(nullable=False), "units": text(),
               **{k: integer("1", k[2:]) for k in ("n_nodes", "n_roots", "n_branch_points", "n_tips", "n_segments")},
               "max_strahler_order": integer("1", "Strahler order"),
               **{k: number("units", "in the files' length unit (metrics 'units')") for k in lengths}})
    return {"n_neurons": integer("1", "neurons"), "neurons": array(row), "units": text("length unit of the SWC files"),
            "median_cable_length": number("units", "in the files' length unit (metrics 'units')")}


COMMAND = Command(
    "morphology", "neuron morphology from SWC skeletons: cable length, branch points, tips, Strahler order, Sholl "
    "profiles; writes measures.csv, figures and a report", MorphologyParams, compute, render, metrics_properties,
    load=_load, write=_write, uses_torch=lambda p: False,
    line=lambda run: f"morphology of {run.result.params.path}: run folder {run.path}",
    title=lambda p, r: "morphology")


def run_morphology(path: str | os.PathLike, *, out: str | os.PathLike | None = None, **params) -> Path:
    """Measure every neuron in an SWC file or folder and write a run folder with a report.

    Parameters
    ----------
    path : path
        One ``.swc`` file or a folder of them.
    out : path, optional
        Run folder (default ``runs/<timestamp>-morphology``).
    **params
        Any field of :class:`MorphologyParams` (``units``, ``sholl_radii``, ``sholl_center``,
        ``allow_forest``, ``max_figures``).

    Returns
    -------
    Path
        Run folder with ``measures.csv``, ``sholl.csv``, ``metrics.json``, ``figures/`` and ``report.html``.
    """
    return execute(COMMAND, MorphologyParams(path=str(path), **params), out=out).path
