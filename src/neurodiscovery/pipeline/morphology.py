"""``morphology FILE.swc|DIR``: per-neuron measures (CSV), Sholl profiles, figures, report."""
from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from .._utils.quantity import number_of, quantity
from ..morphology import MorphologyResult, analyze_morphology, plot_sholl, plot_skeleton_projections
from .command import figure_context, legacy_metrics
from .report import Figure, Section, render_html, save_figure


def _write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _sholl_rows(res: MorphologyResult) -> list[dict]:
    return [{"name": t.name, "radius": float(r), "intersections": int(n)}
            for t, prof in zip(res.trees, res.sholl) for r, n in zip(prof.radii, prof.intersections)]


def _figures(res: MorphologyResult, figdir: Path, max_neurons: int) -> list[Figure]:
    import matplotlib.pyplot as plt

    figs = []
    units = res.trees[0].units
    fig, ax = plt.subplots(figsize=(6, 4))
    for t, prof in zip(res.trees, res.sholl):
        plot_sholl(prof, ax=ax, label=t.name if len(res.trees) <= 10 else None, units=units)
    save_figure(fig, figdir, "sholl")
    figs.append(Figure("sholl", "Sholl profiles: edges crossing spheres around each neuron's root."))
    for i, t in enumerate(res.trees[:max_neurons]):
        fig, axes = plt.subplots(1, 3, figsize=(12, 4))
        plot_skeleton_projections(t, axes)
        stem = f"skeleton_{i:03d}"
        save_figure(fig, figdir, stem)
        figs.append(Figure(stem, f"{t.name}: three orthogonal projections ({units})."))
    return figs


@figure_context()
def run_morphology(path: str | os.PathLike, *, units: str = "um", sholl_radii: int = 20,
                   sholl_center: str = "root", allow_forest: bool = False,
                   out: str | os.PathLike | None = None, max_figures: int = 12) -> Path:
    """Measure every neuron in an SWC file or folder and write a run folder with a report.

    Parameters
    ----------
    path : path
        One ``.swc`` file or a folder of them.
    units : str
        Unit of the files' coordinates (SWC does not record it).
    sholl_radii : int
        Number of evenly spaced Sholl radii per neuron.
    sholl_center : {"root", "centroid"}
    allow_forest : bool
        Accept files with several roots.
    out : path, optional
        Run folder (default ``runs/<timestamp>-morphology``).
    max_figures : int
        Skeleton figures drawn (the first neurons by file name).

    Returns
    -------
    Path
        Run folder with ``measures.csv``, ``sholl.csv``, ``metrics.json``, ``figures/`` and
        ``report.html``.
    """
    from .._utils.runfolder import RunFolder

    res = analyze_morphology(path, units=units, sholl_radii=sholl_radii, sholl_center=sholl_center,
                             allow_forest=allow_forest)
    config = {"input": str(path), "units": units, "sholl_radii": sholl_radii,
              "sholl_center": sholl_center, "allow_forest": allow_forest}
    table = res.table()
    metrics = {"n_neurons": len(table), "neurons": table,
               "median_cable_length": float(np.median([r["cable_length"] for r in table]))}
    with RunFolder("morphology", out=out, config=config) as run:
        _write_csv(run.dir / "measures.csv", table)
        _write_csv(run.dir / "sholl.csv", _sholl_rows(res))
        keys = [number_of("neurons", len(table), "neurons"),
                quantity("median cable length", metrics["median_cable_length"], units)]
        run.write_metrics(legacy_metrics("morphology", {**metrics, "units": units}, keys))
        figs = _figures(res, run.figures, max_figures)
        cols = ("name", "n_nodes", "cable_length", "n_branch_points", "n_tips", "max_strahler_order")
        sec = Section("morphology", "Per-neuron morphology", figures=figs,
                      text=[f"{len(table)} neurons; lengths in {units}. Branch points: nodes with >= 2 "
                            "children; tips: non-root nodes without children (navis conventions)."],
                      tables=[("Measures", [{c: r[c] for c in cols} for r in table])])
        run.write_text("report.html", render_html("morphology", keys, [sec], run.figures, config))
    return run.path
