"""PSTHs, PCA variance and PC-space trajectories."""
from __future__ import annotations

import numpy as np

from ._base import get_ax


def plot_psth(t_s, mean_hz, sem_hz, label=None, ax=None, color=None):
    """Trial-averaged rate (Hz) with a ±SEM band against time from the event (s).

    Parameters
    ----------
    t_s : array_like, shape (n_bins,)
        Bin centres relative to the event (s).
    mean_hz, sem_hz : array_like, shape (n_bins,)
        Mean rate and its standard error (Hz).
    label : str, optional
        Legend label.
    ax : matplotlib Axes, optional
        Axes to draw on (default: a new figure).
    color : optional
        Matplotlib colour.

    Returns
    -------
    matplotlib Axes
    """
    ax = get_ax(ax)
    line = ax.plot(t_s, mean_hz, label=label, color=color, lw=1)[0]
    if sem_hz is not None and np.all(np.isfinite(sem_hz)):
        ax.fill_between(t_s, mean_hz - sem_hz, mean_hz + sem_hz, color=line.get_color(), alpha=0.25, lw=0)
    ax.set_xlabel("time from event (s)")
    ax.set_ylabel("rate (Hz)")
    return ax


def plot_variance_explained(ratio, ax=None):
    """Bar and cumulative curve of PCA explained-variance ratios.

    Parameters
    ----------
    ratio : array_like, shape (n_components,)
        Fraction of variance explained by each component.
    ax : matplotlib Axes, optional
        Axes to draw on (default: a new figure).

    Returns
    -------
    matplotlib Axes
    """
    ax = get_ax(ax, figsize=(4, 3))
    k = np.arange(1, len(ratio) + 1)
    ax.bar(k, ratio, color="C0", label="per PC")
    ax.plot(k, np.cumsum(ratio), "k.-", label="cumulative")
    ax.set_xlabel("principal component")
    ax.set_ylabel("fraction of variance explained")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7, frameon=False)
    return ax


def plot_trajectories_by_value(pcs, value, circular: bool, label: str, ax=None):
    """Scatter of time points in PC1-PC2 coloured by a behavioural value (cyclic map for angles).

    Parameters
    ----------
    pcs : array_like, shape (time, pcs)
        Projections onto the principal components (pcs >= 2).
    value : array_like, shape (time,)
        Behavioural value at each time point (rad when ``circular``).
    circular : bool
        The value is an angle in radians.
    label : str
        Colour-bar label (name and unit).
    ax : matplotlib Axes, optional
        Axes to draw on (default: a new figure).

    Returns
    -------
    matplotlib Axes
    """
    ax = get_ax(ax, figsize=(4.5, 3.5))
    sc = ax.scatter(pcs[:, 0], pcs[:, 1], c=value, s=2, cmap="twilight" if circular else "viridis", alpha=0.6)
    ax.figure.colorbar(sc, ax=ax, label=label)
    ax.set_xlabel("PC1 (a.u.)")
    ax.set_ylabel("PC2 (a.u.)")
    return ax


def plot_trajectories_by_condition(traj, conditions, ax=None):
    """Condition-averaged trajectories in PC1-PC2, one colour per condition.

    Parameters
    ----------
    traj : array_like, shape (trials, time, pcs)
        Projections of each trial onto the principal components (pcs >= 2).
    conditions : array_like, shape (trials,)
        Condition label of each trial.
    ax : matplotlib Axes, optional
        Axes to draw on (default: a new figure).

    Returns
    -------
    matplotlib Axes
    """
    ax = get_ax(ax, figsize=(4.5, 3.5))
    conds = np.unique(conditions)
    import matplotlib.pyplot as plt

    cmap = plt.get_cmap("hsv", len(conds) + 1)
    for i, c in enumerate(conds):
        m = traj[conditions == c].mean(0)
        ax.plot(m[:, 0], m[:, 1], color=cmap(i), lw=1.2, label=str(c))
        ax.plot(m[0, 0], m[0, 1], "o", color=cmap(i), ms=3)
    ax.set_xlabel("PC1 (a.u.)")
    ax.set_ylabel("PC2 (a.u.)")
    ax.legend(fontsize=6, frameon=False, ncol=2, title="condition", title_fontsize=7)
    return ax
