"""Tuning curves with Skaggs information and time-shift shuffle significance."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError


@dataclass
class TuningCurves:
    """Occupancy-normalised tuning curves of several units to one variable.

    Attributes
    ----------
    centres : (n_bins,) bin centres of the variable (rad for circular variables)
    rates_hz : (n_bins, n_units) mean rate in each bin (NaN where occupancy < ``min_occupancy_s``)
    occupancy_s : (n_bins,)
    mean_rate_hz : (n_units,) mean rate over the bins used
    information_bits_per_spike : (n_units,) Skaggs et al. (1993) information
    peak_to_mean : (n_units,)
    p_value : (n_units,) fraction of time-shifted shuffles with information >= observed
        (with the +1 correction, so never 0)
    preferred : (n_units,) variable value at the peak (circular mean direction for angles)
    circular : bool
    variable : str  name of the variable
    n_shuffles : int  time shifts in the test (a count)
    """

    variable: str
    centres: np.ndarray
    rates_hz: np.ndarray
    occupancy_s: np.ndarray
    mean_rate_hz: np.ndarray
    information_bits_per_spike: np.ndarray
    peak_to_mean: np.ndarray
    p_value: np.ndarray
    preferred: np.ndarray
    circular: bool
    n_shuffles: int


def skaggs_information(rates_hz: np.ndarray, occupancy_s: np.ndarray) -> np.ndarray:
    """Skaggs information (bits/spike): ``Σ p_i (λ_i/λ) log2(λ_i/λ)`` over occupied bins.

    Parameters
    ----------
    rates_hz : (n_bins, n_units)
    occupancy_s : (n_bins,)
    """
    r = np.asarray(rates_hz, float)
    occ = np.asarray(occupancy_s, float)
    ok = (occ > 0) & np.all(np.isfinite(r), axis=1)
    p = occ[ok] / occ[ok].sum()
    r = r[ok]
    lam = p @ r
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = r / lam
        term = np.where(ratio > 0, ratio * np.log2(ratio), 0.0)
    info = p @ term
    return np.where(lam > 0, info, 0.0)


def skaggs_null(sums: np.ndarray, occupancy_s: np.ndarray, divisor: np.ndarray | None = None) -> np.ndarray:
    """Skaggs information (bits/spike) of every shuffle and unit from its spike sums, shape (shuffles, units).

    Equals :func:`skaggs_information` of ``sums[s] / occupancy_s[:, None]`` for each shuffle ``s``
    (same formula and order of operations, compiled), without the ``(bins, shuffles x units)``
    temporaries; occupancies must be positive and the sums finite.

    Parameters
    ----------
    sums : (shuffles, bins, units)
        Spike sums (or smoothed sums) per occupied bin.
    occupancy_s : (bins,)
        Occupancy of each bin (s, > 0): the weights of the information.
    divisor : (bins,), optional
        What the sums are divided by to give rates (default ``occupancy_s``; smoothed maps divide
        smoothed sums by the smoothed occupancy).
    """
    from ._kernels import skaggs_null_kernel

    occ = np.asarray(occupancy_s, dtype=float)
    div = occ if divisor is None else np.asarray(divisor, dtype=float)
    out = np.empty((sums.shape[0], sums.shape[2]))
    skaggs_null_kernel(np.ascontiguousarray(sums, dtype=float), occ, div, out)
    return out


def _binned_tuning(counts, bin_idx, n_bins, bin_size_s, rows=None):
    """Per-bin spike sums ``(n_bins, units)`` and occupancy (s) over the time bins ``rows`` (default all).

    One sparse (n_bins, time) indicator product; left-out time bins get no entry, so the
    counts are never copied to drop them.
    """
    from scipy.sparse import csr_matrix

    t = np.arange(len(bin_idx)) if rows is None else np.flatnonzero(rows)
    b = np.asarray(bin_idx)[t]
    M = csr_matrix((np.ones(len(t)), (b, t)), shape=(n_bins, len(bin_idx)))
    return np.asarray(M @ counts), np.bincount(b, minlength=n_bins) * bin_size_s


def _preferred(rates: np.ndarray, centres: np.ndarray, used: np.ndarray, circular: bool) -> np.ndarray:
    """Preferred value per unit: the rate-weighted circular mean, or the peak bin's centre."""
    if circular:
        w = np.nan_to_num(rates[used])
        return np.mod(np.angle((w * np.exp(1j * centres[used])[:, None]).sum(0)), 2 * np.pi)
    return centres[np.nanargmax(np.where(np.isnan(rates), -np.inf, rates), axis=0)]


def tuning_curves(counts: np.ndarray, variable: np.ndarray, bin_size_s: float, circular: bool,
                  n_bins: int = 36, value_range=None, n_shuffles: int = 1000, min_shift_s: float = 20.0,
                  min_occupancy_s: float = 0.5, name: str = "variable", seed=0) -> TuningCurves:
    """Tuning of each unit to one variable sampled on the same bins as the counts.

    Parameters
    ----------
    counts : (time, units) spike counts
    variable : (time,) the variable on the bins (NaN bins are ignored)
    bin_size_s : float
    circular : bool
        Angles in radians: bins span [0, 2π) and the preferred value is the circular mean.
    n_bins : int
    value_range : (lo, hi), optional
        Default: 1st–99th percentile for linear variables.
    n_shuffles : int
        Circular time shifts of the spike counts relative to the variable (each by at
        least ``min_shift_s``, distinct), which keep both autocorrelations intact. All
        shifts are computed at once (:func:`~neurodiscovery.units.stats.shifted_bin_sums`),
        so the default 1,000 (enough for a Benjamini–Hochberg correction over ~100 tests)
        costs little.
    min_shift_s : float
        Shortest circular shift (s).
    min_occupancy_s : float
        Bins visited for less than this (s) are NaN.
    name : str
        Name of the variable (kept in the result).
    seed : int or Generator
        Seeds the shuffle offsets (default 0, reproducible).
    """
    counts = np.asarray(counts, float)
    v = np.asarray(variable, float)
    if counts.ndim != 2 or v.shape != (counts.shape[0],):
        raise InputError(f"tuning_curves: counts {counts.shape} must be (time, units) and variable (time,)")
    ok = np.isfinite(v)
    if ok.sum() < 10:
        raise InputError(f"tuning_curves: only {int(ok.sum())} bins have a defined '{name}'")
    c, v = (counts, v) if ok.all() else (counts[ok], v[ok])  # no copy of the counts without gaps
    if circular:
        edges = np.linspace(0, 2 * np.pi, n_bins + 1)
        v = np.mod(v, 2 * np.pi)
    else:
        lo, hi = value_range if value_range is not None else np.percentile(v, [1, 99])
        if not hi > lo:
            raise InputError(f"tuning_curves: '{name}' is constant; nothing to tune to")
        edges = np.linspace(lo, hi, n_bins + 1)
    idx = np.clip(np.digitize(v, edges) - 1, 0, n_bins - 1)
    inside = circular | ((v >= edges[0]) & (v <= edges[-1]))
    n = len(c)  # tracked bins (the shuffle test needs more than two minimum shifts of them)
    rows = None if inside.all() else inside  # bins outside the range are left out, the counts not copied
    sums, occ = _binned_tuning(c, idx, n_bins, bin_size_s, rows)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where(occ[:, None] >= min_occupancy_s, sums / occ[:, None], np.nan)
    used = occ >= min_occupancy_s
    info = skaggs_information(rates[used], occ[used])
    mean_rate = (sums[used].sum(0) / occ[used].sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        ptm = np.nanmax(rates, axis=0) / mean_rate
    centres = (edges[:-1] + edges[1:]) / 2
    pref = _preferred(rates, centres, used, circular)
    # shuffle control: circular shifts of the counts against the variable
    min_shift = int(np.ceil(min_shift_s / bin_size_s))
    if n_shuffles > 0 and n > 2 * min_shift:
        from .stats import draw_shifts, shift_p_value, shifted_null

        shifts = draw_shifts(int(inside.sum()), int(n_shuffles), min_shift, seed)

        def info_of(s_sums):                                               # (shuffles, bins, block)
            return skaggs_null(s_sums[:, used, :], occ[used])

        s_info = shifted_null(c, idx, n_bins, shifts, info_of, rows=rows)     # units a block at a time
        p = shift_p_value(info, s_info)
    else:
        p = np.full(c.shape[1], np.nan)
    return TuningCurves(name, centres, rates, occ, mean_rate, info, ptm, p, pref, circular, n_shuffles)
