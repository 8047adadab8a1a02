"""2-D place maps: occupancy-normalised, smoothed rate maps with spatial information and a shuffle test."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError
from .stats import draw_shifts, shift_p_value, shifted_null
from .tuning import skaggs_information


@dataclass(frozen=True)
class PlaceMaps:
    """Smoothed 2-D rate maps of several units.

    Attributes
    ----------
    x_edges_m, y_edges_m : (nx + 1,), (ny + 1,) bin edges (units of the position, usually m)
    rates_hz : (nx, ny, units) smoothed spikes / smoothed occupancy; NaN where the raw
        occupancy is below ``min_occupancy_s``
    occupancy_s : (nx, ny) raw time spent per bin
    information_bits_per_spike : (units,) Skaggs information of the smoothed maps
    p_value : (units,) circular-shift test of the information (+1 correction)
    peak_xy : (units, 2) centre of the bin with the highest rate
    peak_rate_hz : (units,)
    smoothing_bins : float  Gaussian SD in bins, applied to spikes and occupancy alike
    min_occupancy_s : float  bins visited for less than this (s) are NaN
    n_shuffles : int  circular shifts in the test (a count)
    """

    x_edges_m: np.ndarray
    y_edges_m: np.ndarray
    rates_hz: np.ndarray
    occupancy_s: np.ndarray
    information_bits_per_spike: np.ndarray
    p_value: np.ndarray
    peak_xy: np.ndarray
    peak_rate_hz: np.ndarray
    smoothing_bins: float
    min_occupancy_s: float
    n_shuffles: int


def _smooth2d(a: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing over the two spatial axes of ``(..., nx, ny)`` arrays."""
    if sigma <= 0:
        return a
    from scipy.ndimage import gaussian_filter

    sig = (0,) * (a.ndim - 2) + (sigma, sigma)
    return gaussian_filter(a, sig, mode="constant", truncate=3.0)


def _smoothing_matrix(n: int, sigma: float) -> np.ndarray:
    """``K`` (n, n) with ``K @ a`` equal to :func:`_smooth2d`'s Gaussian along one axis of length ``n``."""
    if sigma <= 0:
        return np.eye(n)
    from scipy.ndimage import gaussian_filter1d

    return gaussian_filter1d(np.eye(n), sigma, axis=0, mode="constant", truncate=3.0)


def _maps(sums: np.ndarray, occ_s: np.ndarray, sigma: float, ok: np.ndarray) -> np.ndarray:
    """Smoothed rate maps from per-bin spike sums ``(..., nx, ny)`` and occupancy ``(nx, ny)``."""
    occ_sm = _smooth2d(occ_s, sigma)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = _smooth2d(sums, sigma) / occ_sm
    return np.where(ok, r, np.nan)


def _tracked(c: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The bins with a finite position (a copy of the counts only when tracking has gaps)."""
    ok = np.isfinite(pos).all(axis=1)
    if ok.sum() < 10:
        raise InputError(f"place_maps: only {int(ok.sum())} bins have a tracked position")
    return (c, pos) if ok.all() else (c[ok], pos[ok])


def _edges(pos: np.ndarray, extent, nx: int, ny: int) -> tuple[np.ndarray, np.ndarray]:
    """Spatial bin edges over ``extent`` (default: the tracked range)."""
    if extent is None:
        extent = ((pos[:, 0].min(), pos[:, 0].max()), (pos[:, 1].min(), pos[:, 1].max()))
    (x0, x1), (y0, y1) = extent
    if not (x1 > x0 and y1 > y0):
        raise InputError("place_maps: the position does not span an area (constant x or y)")
    return np.linspace(x0, x1, nx + 1), np.linspace(y0, y1, ny + 1)


def place_maps(counts, position, bin_size_s: float, *, n_bins: int | tuple = 20, extent=None,
               smoothing_bins: float = 1.5, min_occupancy_s: float = 0.2, n_shuffles: int = 1000,
               min_shift_s: float = 20.0, seed: int = 0) -> PlaceMaps:
    """Occupancy-normalised 2-D rate maps with spatial information and a circular-shift test.

    Parameters
    ----------
    counts : array_like, shape (time, units)
        Spike counts per time bin.
    position : array_like, shape (time, 2)
        Position on the same bins (NaN = not tracked; those bins are left out).
    bin_size_s : float
        Duration of one time bin.
    n_bins : int or (int, int)
        Spatial bins per axis.
    extent : ((xmin, xmax), (ymin, ymax)), optional
        Default: the tracked range.
    smoothing_bins : float
        Gaussian SD in spatial bins applied to the spike sums and to the occupancy before
        dividing (so sparsely visited bins borrow from their neighbours).
    min_occupancy_s : float
        Bins visited for less than this are NaN (not drawn, not in the information).
    n_shuffles : int
        Circular time shifts (each at least ``min_shift_s``) of the counts against the path.
    min_shift_s : float
        Shortest circular shift (s).
    seed : int
        Seeds the shifts.

    Returns
    -------
    PlaceMaps
    """
    c = np.asarray(counts, dtype=float)
    pos = np.asarray(position, dtype=float)
    if c.ndim != 2 or pos.shape != (c.shape[0], 2):
        raise InputError(f"place_maps: counts {c.shape} must be (time, units) and position (time, 2)")
    if not bin_size_s > 0:
        raise InputError(f"bin_size_s must be > 0, got {bin_size_s}")
    c, pos = _tracked(c, pos)
    nx, ny = (int(n_bins), int(n_bins)) if np.isscalar(n_bins) else (int(n_bins[0]), int(n_bins[1]))
    xe, ye = _edges(pos, extent, nx, ny)
    ix = np.clip(np.digitize(pos[:, 0], xe) - 1, 0, nx - 1)
    iy = np.clip(np.digitize(pos[:, 1], ye) - 1, 0, ny - 1)
    flat = ix * ny + iy
    occ = (np.bincount(flat, minlength=nx * ny) * bin_size_s).reshape(nx, ny)
    sums = np.zeros((nx * ny, c.shape[1]))
    np.add.at(sums, flat, c)
    sums = np.moveaxis(sums.reshape(nx, ny, -1), -1, 0)                 # (units, nx, ny)
    good = occ >= min_occupancy_s
    rates = _maps(sums, occ, smoothing_bins, good)                       # (units, nx, ny)
    info = skaggs_information(rates[:, good].T, occ[good])
    shifts = draw_shifts(len(c), int(n_shuffles), int(np.ceil(min_shift_s / bin_size_s)), seed)
    if len(shifts):
        occ_sm = _smooth2d(occ, smoothing_bins)
        kx, ky = _smoothing_matrix(nx, smoothing_bins), _smoothing_matrix(ny, smoothing_bins)

        def info_of(s_sums):                                             # (shuffles, bins, block)
            # the smoothing is linear and each map small: smoothed and scored one map at a time, compiled
            from ._kernels import smoothed_skaggs_null_kernel

            out = np.empty((s_sums.shape[0], s_sums.shape[2]))
            smoothed_skaggs_null_kernel(np.ascontiguousarray(s_sums), kx, ky, good.ravel(), occ[good],
                                        occ_sm[good], out)
            return out

        null = shifted_null(c, flat, nx * ny, shifts, info_of)          # units a block at a time
        p = shift_p_value(info, null)
    else:
        p = np.full(c.shape[1], np.nan)
    masked = np.where(np.isfinite(rates), rates, -np.inf).reshape(c.shape[1], -1)
    best = np.argmax(masked, axis=1)
    xc, yc = (xe[:-1] + xe[1:]) / 2, (ye[:-1] + ye[1:]) / 2
    peak_xy = np.column_stack([xc[best // ny], yc[best % ny]])
    return PlaceMaps(xe, ye, np.moveaxis(rates, 0, -1), occ, info, p, peak_xy,
                     masked[np.arange(c.shape[1]), best], float(smoothing_bins), float(min_occupancy_s),
                     len(shifts))
