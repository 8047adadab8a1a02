"""Rasters, unit-quality summaries and tuning curves."""
from __future__ import annotations

import numpy as np

from ._base import get_ax


def plot_unit_raster(spike_times, t_start_s: float, t_stop_s: float, regions=None, ax=None, max_units: int = 200):
    """Spike raster between two times; colour by region.

    Parameters
    ----------
    spike_times : list of ndarray
        Spike times (s) of each unit, each shape (n_spikes,).
    t_start_s, t_stop_s : float
        Time window (s).
    regions : array_like of str, shape (n_units,), optional
        Region of each unit (colour).
    ax : matplotlib Axes, optional
        Axes to draw on (default: a new figure).
    max_units : int
        Units drawn at most (the first ones).

    Returns
    -------
    matplotlib Axes
    """
    ax = get_ax(ax, figsize=(7, 3.5))
    regs = list(dict.fromkeys(regions)) if regions is not None else [None]
    colours = {r: f"C{i}" for i, r in enumerate(regs)}
    for i, st in enumerate(spike_times[:max_units]):
        s = st[(st >= t_start_s) & (st < t_stop_s)]
        r = regions[i] if regions is not None else None
        ax.vlines(s, i + 0.6, i + 1.4, color=colours[r], lw=0.6)
    if regions is not None:
        for r in regs:
            ax.plot([], [], color=colours[r], label=str(r))
        ax.legend(loc="upper right", fontsize=7, frameon=False)
    ax.set_xlim(t_start_s, t_stop_s)
    ax.set_ylim(0.4, min(len(spike_times), max_units) + 0.6)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("unit")
    return ax


def plot_quality_scatter(rates_hz, isi_viol, isi_cv, regions, ax=None):
    """Firing rate (Hz, log) against CV of ISI, marker size by ISI-violation fraction.

    Parameters
    ----------
    rates_hz : array_like, shape (n_units,)
        Mean firing rate of each unit (Hz).
    isi_viol : array_like, shape (n_units,)
        Fraction of ISIs shorter than the refractory period.
    isi_cv : array_like, shape (n_units,)
        Coefficient of variation of the ISIs (dimensionless).
    regions : array_like of str, shape (n_units,)
        Region of each unit (colour).
    ax : matplotlib Axes, optional
        Axes to draw on (default: a new figure).

    Returns
    -------
    matplotlib Axes
    """
    ax = get_ax(ax)
    regions = np.asarray(regions)
    for i, r in enumerate(dict.fromkeys(regions)):
        m = regions == r
        ax.scatter(np.asarray(rates_hz)[m], np.asarray(isi_cv)[m],
                   s=20 + 2000 * np.asarray(isi_viol)[m], color=f"C{i}", label=str(r), alpha=0.8)
    for v in (0.0, 0.01, 0.05):   # marker-size key
        ax.scatter([], [], s=20 + 2000 * v, color="0.6", alpha=0.8, label=f"{v * 100:g} % of ISIs < 1.5 ms")
    r = np.asarray(rates_hz, float)
    if np.any(np.isfinite(r) & (r > 0)):  # a log axis needs a positive rate (one-spike or silent units have none)
        ax.set_xscale("log")
    ax.set_xlabel("firing rate (Hz)")
    ax.set_ylabel("CV of inter-spike intervals")
    ax.axhline(1.0, color="grey", lw=0.6, ls=":")
    ax.legend(fontsize=7, frameon=False, title="region; marker size = ISI violations", title_fontsize=7)
    return ax


#: A circular variable is drawn on polar axes only when its visited bins span at least this arc
#: (rad); pitch, or roll of a head that never turns over, fills a fraction of the circle and is
#: drawn on a linear axis in degrees instead.
FULL_CIRCLE_MIN_ARC_RAD = 1.5 * np.pi


def angular_span_rad(centres, rates_hz) -> float:
    """Arc (rad) of the circle covered by the bins with a finite rate: 2π minus the largest empty gap.

    Parameters
    ----------
    centres : array_like, shape (n_bins,)
        Bin centres (rad), evenly spaced over the circle.
    rates_hz : array_like, shape (n_bins,)
        Rates (Hz); NaN marks bins not visited (enough).

    Returns
    -------
    float
        Covered arc in radians, in [0, 2π].
    """
    c = np.mod(np.asarray(centres, float), 2 * np.pi)
    ok = np.isfinite(np.asarray(rates_hz, float))
    if ok.sum() == 0:
        return 0.0
    v = np.sort(c[ok])
    width = 2 * np.pi / len(c)
    gaps = np.diff(np.r_[v, v[0] + 2 * np.pi])
    return float(min(2 * np.pi, 2 * np.pi - gaps.max() + width))


def draws_polar(circular: bool, centres, rates_hz) -> bool:
    """Whether :func:`plot_tuning_curve` draws this curve on polar axes (see :data:`FULL_CIRCLE_MIN_ARC_RAD`)."""
    return bool(circular) and angular_span_rad(centres, rates_hz) >= FULL_CIRCLE_MIN_ARC_RAD


def _arc_degrees(centres, rates_hz) -> np.ndarray:
    """Bin centres in degrees, unwrapped so that the visited arc is contiguous (within -180..360)."""
    c = np.mod(np.asarray(centres, float), 2 * np.pi)
    ok = np.isfinite(np.asarray(rates_hz, float))
    v = np.sort(c[ok])
    gaps = np.diff(np.r_[v, v[0] + 2 * np.pi])
    start = v[(np.argmax(gaps) + 1) % len(v)]  # the first visited bin after the largest empty gap
    x = np.mod(c - start, 2 * np.pi) + start
    if start > np.pi:
        x = x - 2 * np.pi
    return np.degrees(x)


def plot_tuning_curve(centres, rates_hz, circular: bool, label: str = "", units: str = "", ax=None, color=None):
    """One tuning curve: polar for angles (rad) that fill the circle, linear otherwise. Rates in Hz.

    Parameters
    ----------
    centres : array_like, shape (n_bins,)
        Bin centres of the variable (rad when ``circular``).
    rates_hz : array_like, shape (n_bins,)
        Rate in each bin (Hz; NaN for bins not visited).
    circular : bool
        The variable is an angle in radians. It is drawn on polar axes when its visited bins
        span at least :data:`FULL_CIRCLE_MIN_ARC_RAD` (:func:`draws_polar`), else on a linear axis
        in degrees over the visited arc (a given ``ax`` must match: polar exactly when ``draws_polar``).
    label : str
        Title (e.g. the unit).
    units : str
        Name and unit of the variable, shown on its axis (e.g. ``"pitch (rad)"``).
    ax : matplotlib Axes, optional
        Axes to draw on (default: a new figure).
    color : optional
        Matplotlib colour.

    Returns
    -------
    matplotlib Axes
    """
    name = units or ("angle" if circular else "value")
    if draws_polar(circular, centres, rates_hz):
        ax = get_ax(ax, polar=True, figsize=(3, 3))
        c = np.r_[centres, centres[:1]]
        r = np.r_[rates_hz, rates_hz[:1]]
        ax.plot(c, r, color=color)
        ax.set_title(label, fontsize=8)
        ax.tick_params(labelsize=6)
        ax.set_xlabel(f"{name}; radius: rate (Hz)", fontsize=6)
        return ax
    ax = get_ax(ax, figsize=(3, 2.5))
    x, y = np.asarray(centres, float), np.asarray(rates_hz, float)
    if circular:
        x = _arc_degrees(x, y)
        name = name.replace("(rad)", "").strip() + " (deg; visited arc only)"
    order = np.argsort(x)
    ax.plot(x[order], y[order], color=color)
    ax.set_title(label, fontsize=8)
    ax.set_xlabel(name, fontsize=7)
    ax.set_ylabel("rate (Hz)", fontsize=7)
    ax.tick_params(labelsize=6)
    return ax


def plot_region_comparison(values_by_region: dict, ylabel: str, ax=None):
    """Strip plot + median of one per-unit metric in each region.

    Parameters
    ----------
    values_by_region : dict of str to array_like
        Per-unit values, shape (n_units_in_region,), for each region.
    ylabel : str
        Axis label (name and unit of the metric).
    ax : matplotlib Axes, optional
        Axes to draw on (default: a new figure).

    Returns
    -------
    matplotlib Axes
    """
    ax = get_ax(ax, figsize=(4, 3))
    for i, (r, v) in enumerate(values_by_region.items()):
        v = np.asarray(v, float)
        ax.scatter(np.full(len(v), i) + np.linspace(-0.15, 0.15, len(v)), v, color=f"C{i}", s=18)
        if len(v):
            ax.hlines(np.nanmedian(v), i - 0.3, i + 0.3, color="k")
    ax.set_xticks(range(len(values_by_region)))
    ax.set_xticklabels([str(r) for r in values_by_region])
    ax.set_xlabel("region")
    ax.set_ylabel(ylabel)
    return ax
