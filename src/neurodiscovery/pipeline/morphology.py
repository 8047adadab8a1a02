"""``morphology FILE.swc|DIR``: per-neuron measures (CSV), Sholl profiles, figures, report."""
from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from .._utils.quantity import count, quantity
from ..morphology import MorphologyResult, analyze_morphology, plot_sholl, plot_skeleton_projections
from .report import Figure, Section, render_html, save_figure


def _write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _sholl_rows(res: MorphologyResult) -> list[dict]:
    return [{"name": t.name, "radius_um": float(r), "intersections": int(n)}
            for t, prof in zip(res.trees, res.sholl) for r, n in zip(prof.radii, prof.intersections)]


def _figures(res: MorphologyResult, figdir: Path, max_neurons: int) -> list[Figure]:
    import matplotlib.pyplot as plt

    figs = []
    fig, ax = plt.subplots(figsize=(6, 4))
    for t, prof in zip(res.trees, res.sholl):
        plot_sholl(prof, ax=ax, label=t.name if len(res.trees) <= 10 else None, units="µm")
    save_figure(fig, figdir, "sholl")
    figs.append(Figure("sholl", "Sholl profiles: edges crossing spheres around each neuron's root."))
    for i, t in enumerate(res.trees[:max_neurons]):
        fig, axes = plt.subplots(1, 3, figsize=(12, 4))
        plot_skeleton_projections(t, axes)
        stem = f"skeleton_{i:03d}"
        save_figure(fig, figdir, stem)
        figs.append(Figure(stem, f"{t.name}: three orthogonal projections (µm)."))
    return figs


def morphology_metrics(res: MorphologyResult, declared: list[str]) -> dict:
    """Key numbers of a morphology run as typed quantities (all lengths in µm).

    Parameters
    ----------
    res : MorphologyResult
        Measures of trees already converted to µm.
    declared : list of str
        The unit each input tree was read in (its header's, or ``--units``).

    Returns
    -------
    dict of str to Quantity
    """
    table = res.table()
    n = len(table)
    lengths = [r["cable_length_um"] for r in table]
    n_multi = sum(int(r["n_roots"]) > 1 for r in table)
    return {"n_neurons": count("skeletons measured", n, n, "skeletons"),
            "median_cable_length_um": quantity("median cable length", float(np.median(lengths)), "µm"),
            "total_cable_length_um": quantity("total cable length", float(np.sum(lengths)), "µm"),
            "n_multi_root": count("skeletons in several fragments (several roots)", n_multi, n, "skeletons",
                                  note="coordinates read in " + ", ".join(sorted(set(declared))))}


def run_morphology(path: str | os.PathLike, *, units: str | None = None, sholl_radii: int = 20,
                   sholl_center: str = "root", multi_root: str = "measure",
                   out: str | os.PathLike | None = None, max_figures: int = 12) -> Path:
    """Measure every neuron in an SWC file or folder and write a run folder with a report.

    Parameters
    ----------
    path : path
        One ``.swc`` file or a folder of them.
    units : str, optional
        Unit of the coordinates of files whose header declares none (default µm); a file's
        ``# units:`` header decides where present. Every output is in µm.
    sholl_radii : int
        Number of evenly spaced Sholl radii per neuron.
    sholl_center : {"root", "centroid"}
    multi_root : {"measure", "split", "refuse"}
        Files with several roots: see :func:`~neurodiscovery.morphology.analyze_morphology`.
    out : path, optional
        Run folder (default ``runs/<timestamp>-morphology``).
    max_figures : int
        Skeleton figures drawn (the first neurons by file name).

    Returns
    -------
    Path
        Run folder with ``measures.csv`` (lengths in µm, ``_um`` columns), ``sholl.csv``,
        ``metrics.json``, ``figures/`` and ``report.html``.
    """
    from .._utils.runfolder import RunFolder
    from ..morphology import read_swc_collection

    trees = read_swc_collection(path, units=units, allow_forest=True) \
        if isinstance(path, (str, os.PathLike)) else list(path)
    declared = [t.units for t in trees]
    res = analyze_morphology(trees, sholl_radii=sholl_radii, sholl_center=sholl_center,
                             multi_root=multi_root)
    config = {"input": str(path), "units": units, "units_read": sorted(set(declared)),
              "output_units": "um", "sholl_radii": sholl_radii, "sholl_center": sholl_center,
              "multi_root": multi_root}
    table = res.table()
    q = morphology_metrics(res, declared)
    with RunFolder("morphology", out=out, config=config) as run:
        _write_csv(run.dir / "measures.csv", table)
        _write_csv(run.dir / "sholl.csv", _sholl_rows(res))
        run.write_metrics({**{k: v.to_json() for k, v in q.items()}, "neurons": table})
        figs = _figures(res, run.figures, max_figures)
        cols = ("name", "n_nodes", "n_roots", "cable_length_um", "n_branch_points", "n_tips",
                "max_strahler_order")
        multi = {"measure": "measured as one object (fragments summed, as navis does; Sholl centred "
                 "on the root of the largest fragment)", "split": "split into one row per fragment",
                 "refuse": "refused"}[multi_root]
        sec = Section("morphology", "Per-neuron morphology", figures=figs,
                      text=[f"{len(table)} skeletons; coordinates read in "
                            f"{', '.join(sorted(set(declared)))} (the files' headers, else --units) and "
                            "converted: every length and radius below is in µm. Branch points: nodes with "
                            ">= 2 children; tips: non-root nodes without children (navis conventions). "
                            f"{q['n_multi_root'].format()} are in several fragments (several roots): "
                            f"{multi}."],
                      tables=[("Measures (lengths in µm)", [{c: r[c] for c in cols} for r in table])])
        keys = [(v.label, v.format()) for v in q.values()]
        run.write_text("report.html", render_html("morphology", keys, [sec], run.figures, config))
    return run.path
