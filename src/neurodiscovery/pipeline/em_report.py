"""Reports of ``em segment`` and ``em evaluate``: figures of what was segmented and how it scored."""
from __future__ import annotations

import numpy as np

from .._utils.quantity import count, quantity
from .report import Figure, Section


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


def _segment_figures(raw, labels, boundaries, figures) -> list[Figure]:
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
    figs = [figures.save(fig, "segmentation_slice", f"Section {z}: raw image, boundary probability and the 2-D "
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
    figs.append(figures.save(fig, "segment_counts", "Left: segments per section. Right: segment sizes (voxels, "
                             "log scale)."))
    return figs


def segment_quantities(labels: np.ndarray) -> dict:
    """Typed description of an in-memory segmentation: segments per section, membrane fraction, empty sections.

    Parameters
    ----------
    labels : ndarray (z, y, x) or (y, x) int
        Segment ids (0 = membrane).

    Returns
    -------
    dict of str to Quantity
    """
    labels = labels if labels.ndim == 3 else labels[None]
    nz = int(labels.shape[0])
    per = [len(np.unique(sl[sl > 0])) for sl in labels]
    return {"median_segments_per_section": quantity("median segments per section", float(np.median(per)), "1"),
            "membrane_fraction": quantity("fraction of voxels without a segment (membrane)",
                                          float((labels == 0).mean()), "1"),
            "n_empty_sections": count("sections without any segment", int(sum(not sl.any() for sl in labels)), nz,
                                      "sections")}


def segment_section(result, figures) -> Section:
    """The ``em segment`` section: a section's raw image, boundary map and segments; counts and sizes.

    Parameters
    ----------
    result : EmSegmentResult
    figures : FigureWriter
        Saves the figures of the run.

    Returns
    -------
    Section
    """
    if result.labels is None:  # blockwise: the labels stay on disk
        return Section("segment", "Segmentation", text=[
            f"{result.n_labels} 2-D segments, segmented block by block into segmentation.zarr "
            f"({result.metrics.get('n_blocks')} blocks; watershed on the U-Net boundary map). No ground truth was "
            "given: `em evaluate` scores a segmentation against one; `em trace` links the sections into 3-D "
            "objects."], tables=[("Watershed parameters", [result.watershed_params])])
    labels = result.labels if result.labels.ndim == 3 else result.labels[None]
    raw = result.raw if result.raw is not None and np.shape(result.raw) == labels.shape else None
    figs = _segment_figures(raw, labels, result.boundaries, figures)
    return Section("segment", "Segmentation", figures=figs,
                   text=[f"{result.n_labels} 2-D segments in {labels.shape[0]} sections of {labels.shape[1]} x "
                         f"{labels.shape[2]} pixels (watershed on the U-Net boundary map). No ground truth was "
                         "given: `em evaluate` scores a segmentation against one; `em trace` links the sections "
                         "into 3-D objects."], tables=[("Watershed parameters", [result.watershed_params])])


def evaluate_section(result, figures) -> Section:
    """The ``em evaluate`` section: scores per section, and truth beside the segmentation.

    Parameters
    ----------
    result : EmEvaluateResult
    figures : FigureWriter
        Saves the figures of the run.

    Returns
    -------
    Section
    """
    import matplotlib.pyplot as plt

    ev, seg, truth_labels = result.evaluation, result.segmentation, result.truth_labels
    per = ev.per_slice
    zs = result.sections()
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.5))
    ax[0].plot(zs, [s.adapted_rand_error for s in per], "o-", color="k")
    ax[0].set(xlabel="section (z index)", ylabel="adapted Rand error (0 = perfect)", ylim=(0, None))
    ax[1].plot(zs, [s.voi_split for s in per], "o-", label="VOI split (over-segmentation)")
    ax[1].plot(zs, [s.voi_merge for s in per], "s-", label="VOI merge (under-segmentation)")
    ax[1].set(xlabel="section (z index)", ylabel="variation of information (bits)", ylim=(0, None))
    ax[1].legend(fontsize=8)
    figs = [figures.save(fig, "scores_per_section", "Scores per section: adapted Rand error (ISBI 2012 convention, "
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
        figs.append(figures.save(fig, "truth_vs_segmentation", "Ground-truth instances and the segmentation on one "
                                 "section (random colours; black = membrane)."))
    m = ev.metrics()
    truth_kind = ("an interior mask (instances = its connected components per section)"
                  if ev.truth_was_mask else "instance labels")
    rows = [{"section": z, **r} for z, r in zip(zs, m["per_slice"])]
    return Section("evaluate", "Segmentation scores", figures=figs,
                   tables=[("Scores per section (z index in the truth volume)", rows)],
                   text=[f"{len(per)} sections scored; the truth was {truth_kind}. Mean adapted Rand error "
                         f"{m['mean_adapted_rand_error']:.4f}; VOI split / merge {m['mean_voi_split']:.3f} / "
                         f"{m['mean_voi_merge']:.3f} bits (means over sections). Lower is better for every score."])
