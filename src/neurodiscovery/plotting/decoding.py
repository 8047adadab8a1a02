"""Plots for decoding results: predicted vs true traces, decoder comparison, confusion matrix.

Each function takes ``ax=None`` (a new figure is made) and returns the Axes; nothing is
computed here beyond what is displayed.
"""
from __future__ import annotations

import numpy as np

from ._base import get_ax


def plot_predictions(y_true, y_pred, t_s=None, ax=None, circular: bool = False, label: str = "",
                     max_points: int = 3000, ylabel: str = ""):
    """Predicted vs true behaviour over time for one output.

    Parameters
    ----------
    y_true, y_pred : array_like, shape (samples,)
        One output (for ``circular``: angles in radians, plotted in degrees, points not
        joined across the 0/360 wrap).
    t_s : array_like, shape (samples,), optional
        Time of each sample in seconds (default: sample number).
    ax : matplotlib Axes, optional
    circular : bool
    label : str
        Decoder name for the legend.
    max_points : int
        Show at most this many consecutive samples (the start of the series) so the
        traces stay readable.
    ylabel : str
    """
    ax = get_ax(ax, figsize=(8, 3))
    yt = np.asarray(y_true, float)[:max_points]
    yp = np.asarray(y_pred, float)[:max_points]
    t = np.arange(len(yt)) if t_s is None else np.asarray(t_s, float)[:max_points]
    if circular:
        ax.plot(t, np.degrees(np.mod(yt, 2 * np.pi)), ".", ms=2, color="0.3", label="true")
        ax.plot(t, np.degrees(np.mod(yp, 2 * np.pi)), ".", ms=2, color="C1", label=f"decoded {label}".strip())
        ax.set_ylim(0, 360)
        ax.set_ylabel(ylabel or "angle (deg)")
    else:
        ax.plot(t, yt, color="0.3", lw=1, label="true")
        ax.plot(t, yp, color="C1", lw=1, label=f"decoded {label}".strip())
        ax.set_ylabel(ylabel)
    ax.set_xlabel("time (s)" if t_s is not None else "sample")
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    return ax


def plot_decoder_comparison(table, metric: str = "r2_mean", ax=None, title: str = ""):
    """Bar chart of one metric per decoder, real target vs shifted/permuted control.

    Parameters
    ----------
    table : list of DecoderScore or dict
        Rows with ``decoder``, ``control`` and ``metric`` (``DecodingResult.table`` or
        ``ClassificationResult.table``).
    metric : str
    ax : matplotlib Axes, optional
    title : str
    """
    ax = get_ax(ax, figsize=(6, 3.5))
    rows = [r if isinstance(r, dict) else r.to_dict() for r in table]
    names = list(dict.fromkeys(r["decoder"] for r in rows))
    real = {r["decoder"]: r[metric] for r in rows if r["control"] == "none"}
    ctrl = {r["decoder"]: r[metric] for r in rows if r["control"] != "none"}
    x = np.arange(len(names))
    ax.bar(x - 0.2, [real.get(n, np.nan) for n in names], 0.4, label="decoded", color="C0")
    if ctrl:
        # a very negative chance R^2 would squash the plot: clip the control bars at the axis
        vals = np.array([ctrl.get(n, np.nan) for n in names], float)
        lo = min(-0.25, np.nanmin([real.get(n, 0.0) for n in names]) - 0.1)
        ax.bar(x + 0.2, np.maximum(vals, lo), 0.4, label="control (chance)", color="0.7")
        for xi, v in zip(x, vals):
            if np.isfinite(v) and v < lo:  # clipped: print the true value on the bar
                ax.text(xi + 0.2, lo, f"{v:.2g}", ha="center", va="bottom", fontsize=7, rotation=90)
        ax.set_ylim(bottom=lo)
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xticks(x)
    ax.set_xticklabels(names, rotation=30, ha="right")
    ax.set_ylabel(metric.replace("_", " "))
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8, frameon=False)
    return ax


def plot_confusion_matrix(cm, labels=None, ax=None, normalize: bool = True, title: str = ""):
    """Confusion matrix (rows = true class, columns = predicted), row-normalised by default.

    Parameters
    ----------
    cm : array_like, shape (n_classes, n_classes)
        Counts.
    labels : sequence of str, optional
        Class names, one per row.
    ax : matplotlib Axes, optional
        Axes to draw on (default: a new figure).
    normalize : bool
        Show each row as fractions of its true class.
    title : str
        Axes title.

    Returns
    -------
    matplotlib Axes
    """
    ax = get_ax(ax, figsize=(4, 3.5))
    cm = np.asarray(cm, float)
    if normalize:
        tot = cm.sum(axis=1, keepdims=True)
        cm = np.divide(cm, tot, out=np.zeros_like(cm), where=tot > 0)
    im = ax.imshow(cm, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    labels = list(range(len(cm))) if labels is None else list(labels)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels)
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.figure.colorbar(im, ax=ax, fraction=0.046, label="fraction of true class" if normalize else "count")
    if title:
        ax.set_title(title)
    return ax
