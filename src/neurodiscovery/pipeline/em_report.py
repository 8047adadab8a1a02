"""Reports of ``em segment`` and ``em evaluate``: figures of what was segmented and how it scored."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .._utils.quantity import count, quantity
from .report import Figure, Section, render_html, save_figure


def _label_rgb(labels: np.ndarray, seed: int = 0) -> np.ndarray:
    """Random colours per label (0 black), ``(y, x, 3)`` float in [0, 1]."""
    lab = np.asarray(labels, np.int64)
    ids, inv = np.unique(lab, return_inverse=True)
    colours = np.random.default_rng(seed).uniform(0.2, 1.0, (len(ids), 3))
    if ids[0] == 0:
        colours[0] = 0.0
    return colours[inv.reshape(lab.shape)]


def _pixel_axes(ax, title: str) -> None:
    ax.set(title=title, xlabel="x (pixels)", ylabel="y (pixels)")


def _segment_figures(raw, labels, boundaries, figdir: Path) -> list[Figure]:
    import matplotlib.pyplot as plt

    z = len(labels) // 2
    panels = [p for p in ("raw", "boundaries") if {"raw": raw, "boundaries": boundaries}[p] is not None]
    fig, axes = plt.subplots(1, len(panels) + 1, figsize=(4.4 * (len(panels) + 1), 4.2))
    axes = np.atleast_1d(axes)
    for ax, name in zip(axes, panels):
        if name == "raw":
            ax.imshow(raw[z], cmap="gray")
            _pixel_axes(ax, f"raw, section {z}")
        else:
            im = ax.imshow(boundaries[z], cmap="magma", vmin=0, vmax=1)
            fig.colorbar(im, ax=ax, fraction=0.046, label="membrane probability")
            _pixel_axes(ax, "U-Net boundary map")
    axes[-1].imshow(_label_rgb(labels[z]), interpolation="nearest")
    _pixel_axes(axes[-1], f"segments ({len(np.unique(labels[z][labels[z] > 0]))})")
    save_figure(fig, figdir, "segmentation_slice")
    figs = [Figure("segmentation_slice", f"Section {z}: raw image, boundary probability and the 2-D "
                   "segments (random colours; black = membrane, no segment).")]
    per = [len(np.unique(sl[sl > 0])) for sl in labels]
    sizes = np.bincount(labels[labels > 0].ravel().astype(np.int64))
    sizes = sizes[sizes > 0]
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.5))
    ax[0].bar(np.arange(len(per)), per, color="0.4")
    ax[0].set(xlabel="section (z index)", ylabel="segments")
    if sizes.size:
        ax[1].hist(sizes, bins=np.logspace(0, np.log10(max(sizes.max(), 10)), 40), color="0.4")
    ax[1].set(xscale="log", yscale="log", xlabel="segment size (voxels)", ylabel="segments")
    save_figure(fig, figdir, "segment_counts")
    figs.append(Figure("segment_counts", "Left: segments per section. Right: segment sizes (voxels, "
                       "log scale)."))
    return figs


def write_segment_report(run, src: Path, labels: np.ndarray, boundaries: np.ndarray | None,
                         raw: np.ndarray | None, config: dict) -> list:
    """Figures and ``report.html`` of ``em segment`` (labels in memory); returns its key numbers.

    Parameters
    ----------
    run : RunFolder
        The open run folder.
    src : Path
        The segmented volume.
    labels : ndarray (z, y, x) int
        Segment ids (0 = membrane).
    boundaries : ndarray (z, y, x) float or None
        Membrane probability in [0, 1].
    raw : ndarray (z, y, x) or None
        The EM images.
    config : dict
        Written into the report.

    Returns
    -------
    list of Quantity
        Key numbers for ``metrics.json``.
    """
    labels = labels if labels.ndim == 3 else labels[None]
    n = int(len(np.unique(labels[labels > 0])))
    nz = int(labels.shape[0])
    empty = int(sum(not sl.any() for sl in labels))
    per = [len(np.unique(sl[sl > 0])) for sl in labels]
    q = {"median_segments_per_section": quantity("median segments per section", float(np.median(per)), "1"),
         "membrane_fraction": quantity("fraction of voxels without a segment (membrane)",
                                       float((labels == 0).mean()), "1"),
         "n_empty_sections": count("sections without any segment", empty, nz, "sections")}
    metrics = {**{k: v.to_json() for k, v in q.items()}, "shape": list(labels.shape)}
    if raw is not None and np.shape(raw) != labels.shape:
        raw = None
    figs = _segment_figures(raw, labels, boundaries, run.figures)
    sec = Section("segment", "Segmentation", figures=figs, metrics=metrics,
                  text=[f"{n} 2-D segments in {nz} sections of {labels.shape[1]} x {labels.shape[2]} "
                        "pixels (watershed on the U-Net boundary map). No ground truth was given: "
                        "`em evaluate` scores a segmentation against one; `em trace` links the sections "
                        "into 3-D objects."])
    keys = [(v.label, v.format()) for v in q.values()]
    run.write_text("report.html", render_html(f"em segment — {src.name}", keys, [sec], run.figures, config))
    return list(q.values())


def write_evaluate_report(run, ev, seg: np.ndarray, truth_labels: np.ndarray | None, metrics: dict,
                          config: dict, slice_ids=None) -> None:
    """Figures and ``report.html`` of ``em evaluate``.

    Parameters
    ----------
    run : RunFolder
        The open run folder.
    ev : SliceEvaluation
        Scores per slice and over the volume.
    seg : ndarray (z, y, x) or (y, x) int
        The scored segmentation.
    truth_labels : ndarray, same shape, int, or None
        The truth instances (drawn beside the segmentation).
    metrics : dict
        The metrics already written.
    config : dict
        Written into the report.
    slice_ids : sequence of int, optional
        z index of each scored slice in the original stack (default 0..n-1).
    """
    import matplotlib.pyplot as plt

    per = ev.per_slice
    zs = list(slice_ids) if slice_ids else list(range(len(per)))
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.5))
    ax[0].plot(zs, [s.adapted_rand_error for s in per], "o-", color="k")
    ax[0].set(xlabel="section (z index)", ylabel="adapted Rand error (0 = perfect)", ylim=(0, None))
    ax[1].plot(zs, [s.voi_split for s in per], "o-", label="VOI split (over-segmentation)")
    ax[1].plot(zs, [s.voi_merge for s in per], "s-", label="VOI merge (under-segmentation)")
    ax[1].set(xlabel="section (z index)", ylabel="variation of information (bits)", ylim=(0, None))
    ax[1].legend(fontsize=8)
    save_figure(fig, run.figures, "scores_per_section")
    figs = [Figure("scores_per_section", "Scores per section: adapted Rand error (ISBI 2012 convention, "
                   "truth label 0 not scored) and the two halves of the variation of information.")]
    if truth_labels is not None:
        s3 = seg[None] if seg.ndim == 2 else seg
        t3 = truth_labels[None] if truth_labels.ndim == 2 else truth_labels
        z = len(s3) // 2
        fig, ax = plt.subplots(1, 2, figsize=(9, 4.2))
        ax[0].imshow(_label_rgb(t3[z]), interpolation="nearest")
        _pixel_axes(ax[0], f"ground truth, section {zs[z]}")
        ax[1].imshow(_label_rgb(s3[z], seed=1), interpolation="nearest")
        _pixel_axes(ax[1], "segmentation")
        save_figure(fig, run.figures, "truth_vs_segmentation")
        figs.append(Figure("truth_vs_segmentation", "Ground-truth instances and the segmentation on "
                           "one section (random colours; black = membrane)."))
    n = len(per)
    truth_kind = ("an interior mask (instances = its connected components per section)"
                  if ev.truth_was_mask else "instance labels")
    keys = [("adapted Rand error (mean over sections)", f"{metrics['mean_adapted_rand_error']:.4f} over {n} sections"),
            ("VOI split / merge (bits, mean)", f"{metrics['mean_voi_split']:.3f} / {metrics['mean_voi_merge']:.3f}")]
    sec = Section("evaluate", "Segmentation scores", figures=figs, metrics=metrics,
                  text=[f"{n} sections scored; the truth was {truth_kind}. Lower is better for every score."])
    run.write_text("report.html", render_html("em evaluate", keys, [sec], run.figures, config))
