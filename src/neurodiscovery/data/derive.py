"""Behavioural variables derived from others (speed from position)."""
from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from .._utils.errors import InputError
from .timeseries import TimeSeries


def speed_from_position(position: TimeSeries, smooth_s: float = 0.1, columns=None,
                        max_gap_s: float | None = None) -> TimeSeries:
    """Running speed from a position series.

    Parameters
    ----------
    position : TimeSeries
        Positions ``(T, k)``; its ``units`` (e.g. ``"m"``) become ``"<units>/s"``.
    smooth_s : float
        Gaussian smoothing of the position before differentiation (tracking jitter
        otherwise dominates the derivative).
    columns : sequence of str, optional
        Columns to use (default: all).
    max_gap_s : float, optional
        Samples separated by more than this (default 5 × median interval) start a new
        stretch; speed is never computed across a tracking gap.
    """
    if position.circular:
        raise InputError("speed_from_position: the position series is circular (an angle)")
    if position.n_samples < 3:
        raise InputError("speed_from_position: need at least 3 position samples")
    cols = list(position.columns) if columns is None else list(columns)
    missing = [c for c in cols if c not in position.columns]
    if missing:
        raise InputError(f"speed_from_position: unknown column(s) {missing}; available {list(position.columns)}")
    idx = [position.columns.index(c) for c in cols]
    t, x = position.t_s, position.values[:, idx]
    dt = position.median_dt_s
    gap = 5 * dt if max_gap_s is None else max_gap_s
    breaks = np.flatnonzero(np.diff(t) > gap) + 1
    speed = np.empty(len(t))
    for seg in np.split(np.arange(len(t)), breaks):
        if len(seg) < 3:
            speed[seg] = np.nan
            continue
        xs = gaussian_filter1d(x[seg], smooth_s / dt, axis=0, mode="nearest") if smooth_s > 0 else x[seg]
        v = np.gradient(xs, t[seg], axis=0)
        speed[seg] = np.linalg.norm(v, axis=1)
    ok = np.isfinite(speed)
    units = f"{position.units}/s" if position.units else "a.u./s"
    return TimeSeries("speed", t[ok], speed[ok], ("speed",), units, False,
                      {"derived_from": position.name, "columns": cols, "smooth_s": smooth_s})
