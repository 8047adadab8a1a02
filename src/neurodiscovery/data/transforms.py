"""Smoothing and variance-stabilising transforms on time-major arrays."""
from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from .._utils.errors import InputError


def gaussian_smooth(x: np.ndarray, sigma_s: float, bin_size_s: float, axis: int = 0,
                    segment: np.ndarray | None = None) -> np.ndarray:
    """Gaussian smoothing along time with the width given in seconds.

    Parameters
    ----------
    x : ndarray, time along ``axis`` (``(time, neurons)`` or ``(trials, time, neurons)`` with axis=1)
    sigma_s : float
        Kernel standard deviation in seconds.
    bin_size_s : float
        Width of one sample in seconds.
    axis : int
        Time axis of ``x``.
    segment : ndarray (time,), optional
        Contiguous-interval labels; smoothing never mixes samples across segments.
    """
    if not sigma_s > 0 or not bin_size_s > 0:
        raise InputError(f"sigma_s and bin_size_s must be > 0 (got {sigma_s}, {bin_size_s})")
    x = np.asarray(x, float)
    sigma_bins = sigma_s / bin_size_s
    if segment is None:
        return gaussian_filter1d(x, sigma_bins, axis=axis, mode="nearest")
    out = np.empty_like(x)
    seg = np.asarray(segment)
    for s in np.unique(seg):
        idx = np.flatnonzero(seg == s)
        sl = [slice(None)] * x.ndim
        if idx[-1] - idx[0] + 1 == len(idx):  # contiguous segment: filter a view into a view, no copies
            sl[axis] = slice(idx[0], idx[-1] + 1)
            gaussian_filter1d(x[tuple(sl)], sigma_bins, axis=axis, mode="nearest", output=out[tuple(sl)])
            continue
        sl[axis] = idx
        out[tuple(sl)] = gaussian_filter1d(x[tuple(sl)], sigma_bins, axis=axis, mode="nearest")
    return out


def sqrt_transform(counts: np.ndarray) -> np.ndarray:
    """Square-root transform (approximately variance-stabilises Poisson counts).

    Parameters
    ----------
    counts : ndarray, any shape
        Non-negative counts.

    Returns
    -------
    ndarray, same shape
    """
    c = np.asarray(counts, float)
    if np.any(c < 0):
        raise InputError("sqrt_transform expects non-negative counts")
    return np.sqrt(c)


def zscore(x: np.ndarray, axis: int = 0, mean=None, std=None, eps: float = 1e-12):
    """Z-score along ``axis``; pass training ``mean``/``std`` to transform test data without leakage.

    Parameters
    ----------
    x : ndarray, e.g. shape (time, features)
        Data.
    axis : int
        Axis the statistics are taken over (samples).
    mean, std : ndarray, optional
        Statistics from the training data, shaped as ``x`` reduced over ``axis`` (keepdims).
    eps : float
        Standard deviations below this count as constant.

    Returns
    -------
    z, mean, std
        Constant columns get std 1 (their z-score is 0), never a division by zero.
    """
    x = np.asarray(x, float)
    if mean is None:
        mean = x.mean(axis=axis, keepdims=True)
    if std is None:
        std = x.std(axis=axis, keepdims=True)
        std = np.where(std < eps, 1.0, std)
    return (x - mean) / std, mean, std
