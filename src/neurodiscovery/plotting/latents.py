"""Figures of latent structure: trajectories, method comparison, factors vs truth, the HD ring."""
from __future__ import annotations

import numpy as np

from ._base import get_ax


def plot_trajectories(traj: np.ndarray, color=None, ax=None, *, max_trials: int = 30, cmap: str = "viridis",
                      title: str | None = None):
    """Single-trial latent trajectories in 2-D or 3-D.

    Parameters
    ----------
    traj : (trials, time, 2 or 3)
    color : (trials,) or (trials, time), optional
        Condition per trial (one colour per trial) or behaviour per bin (colour along the path).
    ax : Axes, optional (a 3-D Axes for 3-D trajectories; created when omitted)
    max_trials : int
        At most this many trials are drawn.
    cmap : str
        Colormap of the conditions or the behaviour.
    title : str, optional
        Axes title.
    """
    import matplotlib.pyplot as plt

    T = np.asarray(traj, float)[:max_trials]
    d3 = T.shape[-1] >= 3
    if ax is None:
        fig = plt.figure(figsize=(5, 4))
        ax = fig.add_subplot(111, projection="3d" if d3 else None)
    cm = plt.get_cmap(cmap)
    c = None if color is None else np.asarray(color, float)[:max_trials]
    if c is not None and not np.isfinite(c).any():
        c = None  # no colour value at all (e.g. behaviour untracked): one colour per trial instead
    lo, hi = (np.nanmin(c), np.nanmax(c)) if c is not None else (0, 1)
    span = (hi - lo) or 1.0
    for i, tr in enumerate(T):
        coords = [tr[:, 0], tr[:, 1]] + ([tr[:, 2]] if d3 else [])
        if c is not None and c.ndim == 2:
            ax.plot(*coords, color="0.8", lw=0.5)
            if d3:
                ax.scatter(*coords, c=c[i], cmap=cmap, vmin=lo, vmax=hi, s=3)
            else:
                ax.scatter(*coords, c=c[i], cmap=cmap, vmin=lo, vmax=hi, s=3)
        else:
            col = cm((c[i] - lo) / span) if c is not None else cm(i / max(len(T) - 1, 1))
            ax.plot(*coords, color=col, lw=0.8)
        ax.scatter(*[x[:1] for x in coords], color="k", s=6)
    ax.set_xlabel("dim 1")
    ax.set_ylabel("dim 2")
    if d3:
        ax.set_zlabel("dim 3")
    if title:
        ax.set_title(title)
    return ax


def plot_method_scores(rows, metric: str = "co_bps", ax=None, title: str | None = None):
    """Bar chart of one score per method (rows: dicts or ``LatentScores``).

    Parameters
    ----------
    rows : sequence of dict or LatentScores
        One row per method (with ``method`` and the metric).
    metric : str
        Score drawn (e.g. ``co_bps``, bits/spike).
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when omitted).
    title : str, optional
        Axes title.
    """
    ax = get_ax(ax, figsize=(6, 3.2))
    rows = [r.to_dict() if hasattr(r, "to_dict") else dict(r) for r in rows]
    names = [r["method"] for r in rows]
    vals = [float(r[metric]) for r in rows]
    ax.bar(range(len(vals)), vals, color="tab:blue")
    ax.set_xticks(range(len(vals)), names, rotation=30, ha="right")
    ax.axhline(0, color="k", lw=0.6)
    ax.set_ylabel(metric)
    ax.set_title(title or f"{metric} on held-out trials")
    return ax


def plot_factors_vs_truth(pred: np.ndarray, true: np.ndarray, ax=None, *, labels=None, title: str | None = None,
                          ylabel: str | None = None, bin_size_s: float | None = None):
    """Linearly mapped latents (dashed) over the true variables (solid) of one trial, ``(time, k)``.

    Parameters
    ----------
    pred, true : ndarray, shape (time, k)
        Variables predicted from the latents and their recorded values.
    ax : matplotlib Axes, optional
    labels : sequence of str, optional
        Name of each of the ``k`` variables (e.g. ``["x", "y", "z"]``), shown in the legend.
    title : str, optional
    ylabel : str, optional
        Name and unit of the variables' axis (e.g. ``"hand_velocity (m/s)"``).
    bin_size_s : float, optional
        Bin width: the time axis is in seconds from the trial start when given, in bins otherwise.

    Returns
    -------
    matplotlib Axes
    """
    ax = get_ax(ax, figsize=(6, 3.2))
    P, T = np.atleast_2d(np.asarray(pred, float).T).T, np.atleast_2d(np.asarray(true, float).T).T
    t = np.arange(len(T)) * bin_size_s if bin_size_s else np.arange(len(T))
    for j in range(T.shape[1]):
        lab = labels[j] if labels is not None and j < len(labels) else f"variable {j + 1}"
        line, = ax.plot(t, T[:, j], lw=1.4, label=f"{lab} recorded")
        ax.plot(t, P[:, j], "--", color=line.get_color(), lw=1.2, label=f"{lab} from latents")
    ax.set_xlabel("time from trial start (s)" if bin_size_s else "time bin")
    ax.set_ylabel(ylabel or "value")
    ax.legend(fontsize=7, ncol=2)
    if title:
        ax.set_title(title)
    return ax


def plot_ring(embedding: np.ndarray, angle: np.ndarray, curve: np.ndarray | None = None, ax=None, *,
              title: str | None = None, max_points: int = 4000):
    """The ring in its embedding (first two dimensions), points coloured by an angle (radians).

    Parameters
    ----------
    embedding : ndarray, shape (time, d), d >= 2
        Embedded population states.
    angle : ndarray, shape (time,)
        Angle colouring each point (radians).
    curve : ndarray, shape (m, 2), optional
        The fitted ring, drawn as a closed line.
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when omitted).
    title : str, optional
        Axes title.
    max_points : int
        At most this many points (a seeded subset) are drawn.
    """
    ax = get_ax(ax, figsize=(4.5, 4))
    E = np.asarray(embedding, float)
    a = np.asarray(angle, float)
    step = max(1, len(E) // max_points)
    ok = np.isfinite(a[::step])
    sc = ax.scatter(E[::step][ok, 0], E[::step][ok, 1], c=a[::step][ok], cmap="hsv", vmin=0, vmax=2 * np.pi, s=4)
    if (~ok).any():
        ax.scatter(E[::step][~ok, 0], E[::step][~ok, 1], color="0.7", s=3)
    if curve is not None:
        C = np.vstack([curve, curve[:1]])
        ax.plot(C[:, 0], C[:, 1], "k-", lw=1.5)
    ax.figure.colorbar(sc, ax=ax, label="angle (rad)")
    ax.set_xlabel("Isomap 1")
    ax.set_ylabel("Isomap 2")
    if title:
        ax.set_title(title)
    return ax


def plot_ring_decoding(t_s: np.ndarray, decoded: np.ndarray, true: np.ndarray | None = None, ax=None, *,
                       title: str | None = None):
    """Ring angle over time (dots), with the tracked angle (line) when given; radians → degrees.

    Parameters
    ----------
    t_s : ndarray, shape (time,)
        Time of each bin (s).
    decoded : ndarray, shape (time,)
        Angle read from the ring (radians).
    true : ndarray, shape (time,), optional
        Tracked angle (radians).
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when omitted).
    title : str, optional
        Axes title.
    """
    ax = get_ax(ax, figsize=(8, 2.6))
    ax.plot(t_s, np.degrees(decoded), ".", ms=2, color="tab:red", label="ring angle")
    if true is not None:
        ax.plot(t_s, np.degrees(true), ".", ms=1, color="k", label="tracked")
    ax.set_ylim(0, 360)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("angle (deg)")
    ax.legend(fontsize=7, markerscale=4)
    if title:
        ax.set_title(title)
    return ax
