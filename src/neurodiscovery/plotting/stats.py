"""Figures for the statistics of a report: place maps, direction tuning, GLM attribution, nulls."""
from __future__ import annotations

import numpy as np

from ._base import get_ax


def plot_place_map(place_maps, unit: int, ax=None, title: str | None = None, colorbar: bool = True):
    """Smoothed rate map of one unit (:class:`~neurodiscovery.units.PlaceMaps`); white = unvisited.

    The title gives the spatial information (bits/spike), the shuffle p and the peak rate.

    Parameters
    ----------
    place_maps : PlaceMaps
        Rate maps of all units.
    unit : int
        Index of the unit drawn.
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when omitted).
    title : str, optional
        Axes title.
    colorbar : bool
        Draw a colour bar (Hz).
    """
    ax = get_ax(ax, figsize=(3.2, 3.0))
    r = place_maps.rates_hz[:, :, unit]
    xe, ye = place_maps.x_edges_m, place_maps.y_edges_m
    im = ax.pcolormesh(xe, ye, np.ma.masked_invalid(r).T, cmap="viridis", shading="flat")
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    info = place_maps.information_bits_per_spike[unit]
    p = place_maps.p_value[unit]
    ax.set_title(title or f"unit {unit}: {info:.2f} bits/spike, p = {p:.3g}", fontsize=8)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, label="rate (Hz)", fraction=0.046, pad=0.04)
    return ax


def plot_direction_tuning(tuning, unit: int, ax=None, direction_labels=None):
    """Rate (Hz) against reach direction (°) of one unit with its cosine fit and preferred direction.

    ``tuning`` is a :class:`~neurodiscovery.units.DirectionTuning`; error bars are SEM over trials.

    Parameters
    ----------
    tuning : DirectionTuning
        Per-direction rates and cosine fits.
    unit : int
        Index of the unit drawn.
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when omitted).
    direction_labels : sequence of str, optional
        Tick label of each direction.
    """
    ax = get_ax(ax, figsize=(3.4, 2.6))
    d = np.degrees(tuning.directions_rad)
    ax.errorbar(d, tuning.mean_rate_hz[:, unit], yerr=tuning.sem_rate_hz[:, unit], fmt="o", ms=3, color="k",
                lw=0.8, label="mean ± SEM over trials")
    grid = np.linspace(0, 2 * np.pi, 181)
    fit = tuning.baseline_hz[unit] + tuning.modulation_hz[unit] * np.cos(grid - tuning.preferred_direction_rad[unit])
    ax.plot(np.degrees(grid), fit, color="C3", lw=1.2, label="cosine fit")
    ax.axvline(np.degrees(tuning.preferred_direction_rad[unit]), color="C3", ls=":", lw=0.8,
               label="preferred direction")
    ax.set_xlim(0, 360)
    ax.set_xticks([0, 90, 180, 270, 360])
    ax.set_xlabel("reach direction (°)")
    ax.set_ylabel("rate (Hz)")
    ax.set_title(f"unit {unit}: q = {tuning.q_value[unit]:.3g}", fontsize=8)
    return ax


def plot_glm_attribution(encoding, groups=None, ax=None):
    """Number of units whose forward-selected GLM contains each variable set, per group (e.g. region).

    ``encoding`` is a :class:`~neurodiscovery.units.EncodingModels`.

    Parameters
    ----------
    encoding : EncodingModels
        Forward-selected GLMs of the units.
    groups : array_like of str, shape (units,), optional
        Group of each unit (e.g. region); one bar set per group.
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when omitted).
    """
    ax = get_ax(ax, figsize=(5, 3))
    labels = encoding.selected_labels()
    groups = np.asarray(groups if groups is not None else ["all"] * len(labels)).astype(str)
    models = sorted(set(labels), key=lambda m: (m == "none", m.count("+"), m))
    gnames = list(dict.fromkeys(groups.tolist()))
    width = 0.8 / max(len(gnames), 1)
    for i, g in enumerate(gnames):
        counts = [int(np.sum((groups == g) & (np.asarray(labels) == m))) for m in models]
        ax.bar(np.arange(len(models)) + i * width - 0.4 + width / 2, counts, width, label=g, color=f"C{i}")
    ax.set_xticks(np.arange(len(models)))
    ax.set_xticklabels([m.replace("head_direction", "HD").replace("+", " + ") for m in models], rotation=20,
                       ha="right", fontsize=8)
    ax.set_ylabel("units")
    ax.set_xlabel("variables in the selected model")
    ax.legend(fontsize=7, frameon=False, title="region", title_fontsize=7)
    ax.figure.tight_layout()
    return ax


def plot_null_distribution(null, observed: float, ax=None, xlabel: str = "cross-validated R²",
                           p_value: float | None = None):
    """Histogram of a permutation/shift null with the observed value as a vertical line.

    Parameters
    ----------
    null : array_like, shape (n_null,)
        Null statistics (refitted on shifted/permuted data).
    observed : float
        The statistic on the real data.
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when omitted).
    xlabel : str
        Name and unit of the statistic.
    p_value : float, optional
        Shown in the legend.
    """
    ax = get_ax(ax, figsize=(4, 2.6))
    null = np.asarray(null, float)
    ax.hist(null, bins=min(30, max(5, len(null) // 4)), color="0.6", label=f"null ({len(null)} shifts)")
    ax.axvline(observed, color="C3", lw=1.5, label="observed" + (f" (p = {p_value:.3g})" if p_value else ""))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count")
    ax.legend(fontsize=7, frameon=False)
    ax.figure.tight_layout()
    return ax
