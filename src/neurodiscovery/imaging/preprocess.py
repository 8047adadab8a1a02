"""Neuropil subtraction, slow baseline and ΔF/F of imaged ROIs.

All functions are time-major: ``(frames, rois)``. Windows are given in seconds and
converted with the imaging rate. The steps and their parameters are written to
``Traces.meta['preprocessing']`` so reports can say exactly what was done.

Handling of awkward traces (documented, never silent):

- **constant** ROI (zero variance): ΔF/F is 0; listed in ``meta['constant_rois']``.
- **non-positive baseline** (e.g. after neuropil subtraction, or a file storing
  already baseline-subtracted traces): ΔF/F divides by a floor of 10 % of the ROI's
  median raw fluorescence; if that is not positive either, the ROI's ``ΔF`` is divided
  by its robust noise SD instead (units of noise SD). Both are listed in
  ``meta['dff_floored_rois']`` / ``meta['dff_noise_scaled_rois']``.
"""
from __future__ import annotations

import numpy as np

from .._utils.errors import InputError

_CHUNK = 64  # ROIs per chunk: bounds the temporaries of long sessions


def _check_2d(x, name: str) -> np.ndarray:
    x = np.asarray(x, float)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise InputError(f"{name} must be (frames, rois), got shape {x.shape}")
    return x


def _window_frames(window_s: float, rate_hz: float, n_frames: int) -> int:
    if not window_s > 0:
        raise InputError(f"baseline window_s must be > 0 s, got {window_s}")
    return int(max(3, min(n_frames, round(window_s * rate_hz))))


def subtract_neuropil(fluorescence, neuropil, coef: float = 0.7) -> np.ndarray:
    """``F - coef · Fneu``, shape (frames, rois).

    Parameters
    ----------
    fluorescence, neuropil : ndarray, shape (frames, rois)
    coef : float
        Contamination ratio ``r`` (0.7 is the suite2p/Chen et al. default), in [0, 2].
    """
    f, n = _check_2d(fluorescence, "fluorescence"), _check_2d(neuropil, "neuropil")
    if f.shape != n.shape:
        raise InputError(f"fluorescence {f.shape} and neuropil {n.shape} differ in shape")
    if not 0 <= coef <= 2:
        raise InputError(f"neuropil coefficient must be in [0, 2], got {coef}")
    return f - coef * n


def maximin_baseline(f, rate_hz: float, window_s: float = 60.0, sigma_s: float = 0.33) -> np.ndarray:
    """Slow baseline: smoothing over ``sigma_s``, running minimum, then running maximum.

    The maximum of the minimum over the same window tracks the floor of the trace
    between transients without sagging into them (suite2p's "maximin"). The smoothing is
    a mean over consecutive blocks of ``sigma_s`` (the block means are where the running
    filters work, so a 30-minute session costs one pass over the frames), and the
    baseline is interpolated linearly from block centres back to frames. ``sigma_s=0``
    filters the frames themselves.

    Parameters
    ----------
    f : array_like, shape (frames, rois)
        Fluorescence traces.
    rate_hz : float
        Imaging frame rate (Hz).
    window_s : float
        Baseline window (s).
    sigma_s : float
        Smoothing block (s).

    Returns
    -------
    ndarray, shape (frames, rois)
    """
    from scipy.ndimage import maximum_filter1d, minimum_filter1d

    f = _check_2d(f, "traces")
    n = len(f)
    k = int(max(1, min(n // 3, round(sigma_s * rate_hz))))
    win = max(1, _window_frames(window_s, rate_hz, n) // k)
    nb = n // k
    # linear interpolation from block centres ((i + 0.5) k - 0.5) to frames, all ROIs at once
    pos = np.clip((np.arange(n) - (k - 1) / 2) / k, 0, nb - 1)
    i0 = np.minimum(pos.astype(int), max(nb - 2, 0))
    w = (pos - i0)[:, None]
    i1 = np.minimum(i0 + 1, nb - 1)
    out = np.empty_like(f)
    for a in range(0, f.shape[1], _CHUNK):
        x = f[: nb * k, a:a + _CHUNK]
        x = x.reshape(nb, k, -1).mean(axis=1) if k > 1 else x
        x = maximum_filter1d(minimum_filter1d(x, win, axis=0, mode="nearest"), win, axis=0, mode="nearest")
        if k == 1:
            out[:, a:a + _CHUNK] = x
            continue
        lo = x[i0]
        hi = x[i1]
        hi -= lo
        hi *= w
        hi += lo
        out[:, a:a + _CHUNK] = hi
    return out


def percentile_baseline(f, rate_hz: float, window_s: float = 60.0, percentile: float = 8.0) -> np.ndarray:
    """Running ``percentile`` over a centred window, evaluated every window/20 and interpolated.

    Parameters
    ----------
    f : array_like, shape (frames, rois)
        Fluorescence traces.
    rate_hz : float
        Imaging frame rate (Hz).
    window_s : float
        Baseline window (s).
    percentile : float
        Percentile (0-100).

    Returns
    -------
    ndarray, shape (frames, rois)
    """
    f = _check_2d(f, "traces")
    if not 0 <= percentile <= 100:
        raise InputError(f"percentile must be in [0, 100], got {percentile}")
    n = len(f)
    win = _window_frames(window_s, rate_hz, n)
    step = max(1, win // 20)
    half = win // 2
    centres = np.arange(0, n, step)
    out = np.empty_like(f)
    for a in range(0, f.shape[1], _CHUNK // 4):
        x = np.pad(f[:, a:a + _CHUNK // 4], ((half, win - half - 1), (0, 0)), mode="reflect")
        views = np.lib.stride_tricks.sliding_window_view(x, win, axis=0)[centres]  # (G, rois, win)
        grid = np.percentile(views, percentile, axis=-1)
        for j in range(grid.shape[1]):
            out[:, a + j] = np.interp(np.arange(n), centres, grid[:, j])
    return out


def robust_noise_sd(x) -> np.ndarray:
    """Noise SD per column from the median absolute first difference (insensitive to transients).

    ``1.4826 · median|Δx| / √2``, shape (rois,).

    Parameters
    ----------
    x : array_like, shape (frames, rois)
        Traces.

    Returns
    -------
    ndarray, shape (rois,)
    """
    x = _check_2d(x, "traces")
    d = np.diff(x, axis=0)
    return 1.4826 * np.median(np.abs(d - np.median(d, axis=0)), axis=0) / np.sqrt(2)


def delta_f_over_f(f, f0, raw=None) -> tuple[np.ndarray, dict]:
    """``(F - F0) / F0`` with the documented handling of non-positive baselines.

    Parameters
    ----------
    f, f0 : ndarray, shape (frames, rois)
        Trace and its baseline.
    raw : ndarray, shape (frames, rois), optional
        Raw fluorescence before neuropil subtraction, for the 10 % floor (default ``f``).

    Returns
    -------
    dff : ndarray, shape (frames, rois)
    report : dict
        ``constant_rois``, ``dff_floored_rois``, ``dff_noise_scaled_rois`` (column indices).
    """
    f, f0 = _check_2d(f, "traces"), _check_2d(f0, "baseline")
    raw = f if raw is None else _check_2d(raw, "raw fluorescence")
    step = max(1, len(raw) // 20000)  # the floor needs the median only roughly
    floor = 0.1 * np.median(raw[::step], axis=0)
    constant = np.flatnonzero(f.max(axis=0) == f.min(axis=0))
    low = f0.min(axis=0)
    odd = np.flatnonzero((low <= 0) | (low < floor))
    with np.errstate(divide="ignore", invalid="ignore"):
        dff = (f - f0) / f0
    floored, scaled = [], []
    for j in odd:
        if floor[j] > 0:
            den = np.maximum(f0[:, j], floor[j])
            floored.append(int(j))
        else:
            sd = robust_noise_sd(f[:, j])[0]
            den = sd if sd > 0 else 1.0
            scaled.append(int(j))
        dff[:, j] = (f[:, j] - f0[:, j]) / den
    dff[:, constant] = 0.0
    return dff, {"constant_rois": constant.tolist(), "dff_floored_rois": floored,
                 "dff_noise_scaled_rois": scaled}
