"""Plots for spiking networks that learn: rasters of a trained network, learning curves, accuracy matrices.

Each function takes ``ax=None`` (a new figure is made) and returns the Axes; the numbers
come from :mod:`neurodiscovery.learning`.
"""
from __future__ import annotations

import numpy as np

from ._base import get_ax

__all__ = ["plot_layer_raster", "plot_epoch_curves", "plot_accuracy_matrix"]


def plot_layer_raster(layers, dt_ms: float, ax=None, title: str = ""):
    """Spike raster of one sample through the layers, stacked bottom (input) to top (output).

    Parameters
    ----------
    layers : list of (str, ndarray)
        Layer name and its spikes, shape (n_steps, n_neurons), 0/1.
    dt_ms : float
        Time step in ms.
    ax : matplotlib Axes, optional
        Where to draw.
    title : str
        Axes title.
    """
    ax = get_ax(ax, figsize=(6, 4))
    base = 0
    for k, (name, s) in enumerate(layers):
        t, i = np.nonzero(np.asarray(s))
        ax.plot((t + 1) * dt_ms, base + i, "|", color=f"C{k}", ms=3, label=f"{name} ({len(t)} spikes)")
        base += np.asarray(s).shape[1] + 2
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron (input, hidden, output)")
    ax.legend(fontsize=7, loc="upper right")
    ax.set_title(title)
    return ax


def plot_epoch_curves(curves, ax=None, ylabel: str = "training loss", log: bool = True):
    """One line per run of a value per epoch.

    Parameters
    ----------
    curves : list of (str, sequence of float)
        Label and the per-epoch values (one entry per epoch).
    ax : matplotlib Axes, optional
        Where to draw.
    ylabel : str
        Axis label (name and unit of the value).
    log : bool
        Logarithmic y axis.
    """
    ax = get_ax(ax, figsize=(5.5, 3.5))
    colors: dict = {}
    for label, y in curves:
        rule = label.split(" seed")[0]
        c = colors.setdefault(rule, f"C{len(colors)}")
        ax.plot(np.arange(1, len(y) + 1), y, color=c, lw=1, label=rule if rule not in ax.get_legend_handles_labels()[1] else None)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    if log:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    return ax


def plot_accuracy_matrix(R, ax=None, title: str = ""):
    """Accuracy on task j (columns) after training on task i (rows), ``R`` shape (n_tasks, n_tasks), fractions.

    Parameters
    ----------
    R : ndarray, shape (n_tasks, n_tasks)
        Accuracy fractions.
    ax : matplotlib Axes, optional
        Where to draw.
    title : str
        Axes title.
    """
    ax = get_ax(ax, figsize=(4, 3.5))
    R = np.asarray(R)
    im = ax.imshow(100 * R, vmin=0, vmax=100, cmap="viridis")
    for i in range(R.shape[0]):
        for j in range(R.shape[1]):
            ax.text(j, i, f"{100 * R[i, j]:.0f}", ha="center", va="center", fontsize=7,
                    color="w" if R[i, j] < 0.6 else "k")
    ax.set_xlabel("tested on task")
    ax.set_ylabel("after training task")
    ax.figure.colorbar(im, ax=ax, label="accuracy (%)")
    ax.set_title(title)
    return ax
