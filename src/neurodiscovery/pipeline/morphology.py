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
from .._utils.quantity import count, number_of, quantity
from .command import Command, execute
from .report import Section

__all__ = ["COMMAND", "MorphologyParams", "MorphologyRunResult", "run_morphology"]


@dataclass(frozen=True)
class MorphologyParams(Params):
    """Parameters of ``morphology`` (the CLI options are generated from these declarations)."""

    path: str = option(help="an .swc file or a folder of .swc files", positional=True)
    units: str = option("auto", "unit of the coordinates of files whose header declares none (nm, um, mm); auto: "
                        "the header's ('# units: nm', navis's '# Meta: {\"units\": ...}'), else um. Outputs are in um")
    sholl_radii: int = option(20, "evenly spaced Sholl radii per neuron", low=1)
    sholl_center: str = option("root", "centre of the Sholl spheres", choices=("root", "centroid"))
    multi_root: str = option("measure", "files with several roots (an EM object in fragments): measure as one object "
                             "(lengths summed over fragments, as navis does), split into one row per fragment, or "
                             "refuse", choices=("measure", "split", "refuse"))
    max_figures: int = option(12, "skeleton figures drawn (the first neurons by file name)", low=0)


@dataclass(frozen=True)
class MorphologyRunResult:
    """Typed result of ``morphology``: the params and the :class:`~neurodiscovery.morphology.MorphologyResult`."""

    params: MorphologyParams
    morphology: object
    units_read: tuple = ()

    def key_numbers(self) -> list:
        """Skeletons measured, their median and total cable length (µm), and how many are in fragments."""
        import numpy as np

        table = self.morphology.table()
        n = len(table)
        lengths = [r["cable_length_um"] for r in table]
        multi = sum(int(r["n_roots"]) > 1 for r in table)
        return [number_of("skeletons measured", n, "skeletons"),
                quantity("median cable length", float(np.median(lengths)), "µm"),
                quantity("total cable length", float(np.sum(lengths)), "µm"),
                count("skeletons in several fragments (several roots)", multi, n, "skeletons",
                      note="coordinates read in " + ", ".join(self.units_read))]

    def to_metrics(self) -> dict:
        """Per-neuron measures (µm), their count, median cable length and the units read and written."""
        table = self.morphology.table()
        k = self.key_numbers()
        return {"n_neurons": len(table), "neurons": table, "units": "um", "units_read": list(self.units_read),
                "median_cable_length": k[1].value, "n_multi_root": k[3].value}


def _load(params: MorphologyParams):
    return params.path


def compute(params: MorphologyParams, path) -> MorphologyRunResult:
    """Measure every neuron of ``path`` (an SWC file or folder; no files written, no figures)."""
    from ..morphology import analyze_morphology, read_swc_collection

    trees = read_swc_collection(path, units=None if params.units == "auto" else params.units, allow_forest=True)
    units_read = tuple(sorted({t.units for t in trees}))
    res = analyze_morphology(trees, sholl_radii=params.sholl_radii, sholl_center=params.sholl_center,
                             multi_root=params.multi_root)
    return MorphologyRunResult(params, res, units_read)


def render(result: MorphologyRunResult, figures) -> list:
    """The measures table, the Sholl profiles and skeleton projections of the first neurons."""
    from matplotlib.figure import Figure

    from ..morphology import plot_sholl, plot_skeleton_projections

    res, units = result.morphology, "um"
    table = res.table()
    cols = ("name", "n_nodes", "n_roots", "cable_length_um", "n_branch_points", "n_tips", "max_strahler_order")
    multi = {"measure": "measured as one object (fragments summed, as navis does; Sholl centred on the root of the "
             "largest fragment)", "split": "split into one row per fragment", "refuse": "refused"}[result.params.multi_root]
    sec = Section("morphology", "Per-neuron morphology",
                  text=[f"{len(table)} skeletons; coordinates read in {', '.join(result.units_read)} (the files' headers, "
                        "else --units) and converted: every length and radius is in µm. Branch points: nodes with >= 2 "
                        "children; tips: non-root nodes without children (navis conventions). "
                        f"{result.key_numbers()[3].format()} are in several fragments: {multi}."],
                  tables=[("Measures (lengths in µm)", [{c: r[c] for c in cols} for r in table])])
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot(111)
    for t, prof in zip(res.trees, res.sholl):
        plot_sholl(prof, ax=ax, label=t.name if len(res.trees) <= 10 else None, units=units)
    sec.figures.append(figures.save(fig, "sholl", "Sholl profiles: edges crossing spheres around each neuron's root."))
    for i, t in enumerate(res.trees[:result.params.max_figures]):
        fig = Figure(figsize=(12, 4))
        plot_skeleton_projections(t, fig.subplots(1, 3))
        sec.figures.append(figures.save(fig, f"skeleton_{i:03d}", f"{t.name}: three orthogonal projections (µm)."))
    return [sec]


def _write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _write(result: MorphologyRunResult, folder: Path) -> None:
    res = result.morphology
    _write_csv(folder / "measures.csv", res.table())
    _write_csv(folder / "sholl.csv", [{"name": t.name, "radius_um": float(r), "intersections": int(n)}
                                      for t, prof in zip(res.trees, res.sholl)
                                      for r, n in zip(prof.radii, prof.intersections)])


def metrics_properties() -> dict:
    """Declared top-level keys of ``morphology``'s ``metrics.json``."""
    lengths = ("cable_length", "mean_segment_length", "max_path_length_to_root", "mean_tip_path_length",
               "radius_mean", "radius_median", "radius_min", "radius_max")
    row = obj({"name": text(nullable=False), "units": text(),
               **{k: integer("1", k[2:]) for k in ("n_nodes", "n_roots", "n_branch_points", "n_tips", "n_segments")},
               "max_strahler_order": integer("1", "Strahler order"),
               **{f"{k}_um": number("µm", "converted from the file's unit") for k in lengths}})
    return {"n_neurons": integer("1", "neurons"), "neurons": array(row), "units": text("length unit of the outputs (um)"),
            "units_read": array(text(), "length units the files declared (or --units)"),
            "median_cable_length": number("µm", "median over skeletons"),
            "n_multi_root": integer("1", "skeletons with several roots")}


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
        ``multi_root``, ``max_figures``).

    Returns
    -------
    Path
        Run folder with ``measures.csv``, ``sholl.csv``, ``metrics.json``, ``figures/`` and ``report.html``.
    """
    return execute(COMMAND, MorphologyParams(path=str(path), **params), out=out).path
