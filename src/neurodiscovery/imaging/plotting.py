"""Figures for imaging sessions: ROI traces with inferred activity, ROI quality."""
from __future__ import annotations

import numpy as np


def _ax(ax, figsize):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # never switches the user's backend

    return plt.figure(figsize=figsize).add_subplot(111)


def plot_roi_traces(traces, rois=None, *, window_s: tuple[float, float] | None = None, kind: str | None = None,
                    overlay: str | None = "deconvolved", ax=None):
    """Stacked traces of a few ROIs, each scaled to its range, with inferred activity below.

    Parameters
    ----------
    traces : Traces or Recording with traces
    rois : sequence of int, optional
        Column indices (default the first 8).
    window_s : (float, float), optional
        Time window in seconds (default the first 60 s).
    kind : str, optional
        Series to draw (default ``dff`` if held, else the analysed one).
    overlay : str or None
        Series drawn as bars under each trace (default ``deconvolved`` when held).
    ax : matplotlib Axes, optional
        Axes to draw on (default: a new figure).

    Returns
    -------
    matplotlib Axes
    """
    trc = getattr(traces, "traces", None) or traces
    ax = _ax(ax, (7, 4))
    kind = kind or ("dff" if "dff" in trc.series else trc.kind)
    rois = list(range(min(8, trc.n_rois))) if rois is None else list(rois)
    t = trc.t_s
    lo, hi = window_s if window_s is not None else (t[0], t[0] + 60)
    m = (t >= lo) & (t < hi)
    for row, j in enumerate(rois):
        y = trc.series[kind][m, j]
        span = np.ptp(y) or 1.0
        ax.plot(t[m], row + 0.8 * (y - y.min()) / span, lw=0.6, color=f"C{row % 10}")
        if overlay and overlay in trc.series and overlay != kind:
            s = trc.series[overlay][m, j]
            top = s.max() or 1.0
            ax.vlines(t[m][s > 0], row - 0.05, row - 0.05 + 0.2 * s[s > 0] / top, color="k", lw=0.5)
    ax.set_yticks(range(len(rois)), [str(trc.rois.roi_ids[j]) for j in rois])
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"ROI ({kind}, scaled)")
    return ax


def plot_roi_quality(quality, ax=None):
    """ROI SNR against inferred event rate, marker size by mask size, colour by ``iscell``.

    Parameters
    ----------
    quality : RoiQuality
        Per-ROI quality measures (see :func:`~neurodiscovery.imaging.roi_quality`).
    ax : matplotlib Axes, optional
        Axes to draw on (default: a new figure).

    Returns
    -------
    matplotlib Axes
    """
    ax = _ax(ax, (5, 3.5))
    size = np.nan_to_num(quality.mask_size_px, nan=30.0)
    colour = np.nan_to_num(quality.iscell, nan=1.0)
    sc = ax.scatter(quality.event_rate_hz, quality.snr, s=10 + size / 3, c=colour, cmap="viridis",
                    vmin=0, vmax=1, alpha=0.85)
    ax.figure.colorbar(sc, ax=ax, label="iscell probability")
    ax.set_xlabel("inferred event rate (Hz)")
    ax.set_ylabel(f"SNR ({quality.trace_kind})")
    return ax
