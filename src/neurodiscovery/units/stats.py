"""Shared statistics for single-unit tests: circular-shift nulls computed at once, BH FDR.

A circular time shift of the spike counts against a behavioural variable keeps both
autocorrelations and breaks their relation; it is the standard null for tuning. The sums
of spikes per behavioural bin under *every* shift are one circular cross-correlation per
(bin, unit), so :func:`shifted_bin_sums` visits each bin holding spikes once per shift (a compiled
loop) instead of re-binning all the data per shuffle: 1,000 shuffles cost well under a
second for a typical session.
"""
from __future__ import annotations

import numpy as np

from .._utils.errors import InputError
from .._utils.random import as_rng


def fdr_bh(p_values, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Benjamini–Hochberg false-discovery-rate adjustment.

    Parameters
    ----------
    p_values : array_like, any shape
        Raw p-values of all the tests of one family (e.g. every unit x variable test of a
        report). NaN entries (tests not run) are left out and stay NaN.
    alpha : float
        FDR level for the ``reject`` mask.

    Returns
    -------
    q_values : ndarray, same shape
        BH-adjusted p-values (``min_{j >= i} p_(j) m / j``, capped at 1).
    reject : ndarray of bool, same shape
        ``q_values <= alpha``.
    """
    p = np.asarray(p_values, dtype=float)
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be in (0, 1), got {alpha}")
    flat = p.ravel()
    ok = np.isfinite(flat)
    if np.any((flat[ok] < 0) | (flat[ok] > 1)):
        raise InputError("p-values must lie in [0, 1]")
    q = np.full(flat.shape, np.nan)
    m = int(ok.sum())
    if m:
        pv = flat[ok]
        order = np.argsort(pv, kind="stable")
        ranked = pv[order] * m / np.arange(1, m + 1)
        adj = np.minimum.accumulate(ranked[::-1])[::-1]
        out = np.empty(m)
        out[order] = np.minimum(adj, 1.0)
        q[ok] = out
    q = q.reshape(p.shape)
    return q, np.where(np.isfinite(q), q <= alpha, False)


def draw_shifts(n_samples: int, n_shifts: int, min_shift: int, seed=None) -> np.ndarray:
    """Distinct circular shifts in ``[min_shift, n_samples - min_shift]`` (fewer if that range is small).

    Parameters
    ----------
    n_samples : int
        Length of the series (samples).
    n_shifts : int
        Shifts wanted.
    min_shift : int
        Shortest shift (samples).
    seed : int or Generator, optional
        Seeds the draw.

    Returns
    -------
    ndarray of int, shape (<= n_shifts,)
    """
    rng = as_rng(seed)
    lo, hi = int(min_shift), int(n_samples) - int(min_shift)
    if hi < lo:  # too short for the minimum shift: any non-zero shift
        lo, hi = 1, int(n_samples) - 1
    if hi < lo:
        return np.zeros(0, dtype=int)
    span = hi - lo + 1
    if span <= n_shifts:
        return np.arange(lo, hi + 1)
    return np.sort(rng.choice(span, size=int(n_shifts), replace=False) + lo)


def _small_integers(a: np.ndarray, chunk: int = 1 << 16) -> bool:
    """Whether every value of ``a`` (time, units) is an integer and each column's absolute sum is below 2**24,
    so that any partial sum is exact in float32 (checked a chunk of rows at a time: no full-size temporaries).
    """
    total = np.zeros(a.shape[1])
    for r0 in range(0, len(a), chunk):
        blk = a[r0:r0 + chunk]
        if not np.array_equal(blk, np.rint(blk)):
            return False
        total += np.abs(blk).sum(axis=0)
    return bool(total.max(initial=0.0) < 2.0 ** 24)


def shifted_bin_sums(counts, bin_idx, n_bins: int, shifts, rows=None) -> np.ndarray:
    """Spike sums per behavioural bin with the counts circularly shifted by each shift.

    ``out[s, b, u] = sum_t [bin_idx[t] == b] * counts[(t - shifts[s]) mod T, u]``, i.e. the
    per-bin sums of ``np.roll(counts, shifts[s], axis=0)``, for all shifts at once.

    Parameters
    ----------
    counts : array_like, shape (time, units)
    bin_idx : array_like of int, shape (time,)
        Behavioural bin of each time bin, in ``[0, n_bins)``.
    n_bins : int
    shifts : array_like of int, shape (n_shifts,)
    rows : array_like of bool, shape (time,), optional
        Use only these time bins: the result is that of ``counts[rows]``, ``bin_idx[rows]``
        (shifts wrap around the kept bins).

    Returns
    -------
    ndarray, shape (n_shifts, n_bins, units)
    """
    c = np.asarray(counts, dtype=float)
    idx = np.asarray(bin_idx, dtype=np.int64)
    shifts = np.asarray(shifts, dtype=np.int64)
    if c.ndim != 2 or idx.shape != (c.shape[0],):
        raise InputError(f"counts {c.shape} must be (time, units) and bin_idx (time,)")
    if len(idx) and (idx.min() < 0 or idx.max() >= n_bins):
        raise InputError(f"bin_idx must lie in [0, {n_bins})")
    if rows is not None:
        rows = np.asarray(rows, dtype=bool)
        if rows.shape != idx.shape:
            raise InputError(f"rows has shape {rows.shape}, expected {idx.shape} like bin_idx")
        idx = idx[rows]
    out = np.zeros((len(shifts), n_bins, c.shape[1]))
    if len(idx) == 0 or len(shifts) == 0 or c.shape[1] == 0:
        return out
    from ._kernels import shifted_sums_kernel

    kept = c if rows is None else c[rows]
    # spike counts (integers) sum exactly in float32 while every unit's total stays below 2**24; twice as many
    # values per vector add as float64. Other values (imaging traces) are summed in float64.
    exact32 = _small_integers(kept)
    dt = np.float32 if exact32 else np.float64
    kept = np.ascontiguousarray(kept, dtype=dt)
    times = np.flatnonzero(kept.any(axis=1)).astype(np.int64)  # only time bins holding spikes move
    acc = np.zeros((len(shifts), n_bins, c.shape[1]), dt)
    shifted_sums_kernel(kept, times, idx, np.mod(shifts, len(idx)).astype(np.int64), acc)
    out[...] = acc
    return out


#: Most values (8 bytes each) of the ``(shifts, bins, units)`` sums held at once by :func:`shifted_null`.
NULL_BLOCK_VALUES = 2**23


def shifted_null(counts, bin_idx, n_bins: int, shifts, statistic, max_values: int = NULL_BLOCK_VALUES,
                 rows=None) -> np.ndarray:
    """A statistic of :func:`shifted_bin_sums` per shift and unit, computed a block of units at a time.

    Memory is bounded by ``max_values`` sums (64 MiB by default; twice that where two blocks are
    computed at once on two free cores) whatever the number of units and shifts: 1,000 units x 1,000 shifts x 400 place-map bins would otherwise be 3.2 GB.

    Parameters
    ----------
    counts : array_like, shape (time, units)
    bin_idx : array_like of int, shape (time,)
    n_bins : int
    shifts : array_like of int, shape (n_shifts,)
    statistic : callable
        Maps sums ``(n_shifts, n_bins, block)`` to values ``(n_shifts, block)``; units must be
        independent (each column only from its own sums).
    max_values : int
        Largest ``n_shifts * n_bins * block`` held at once; a block also holds at most
        ``4 * max_values`` counts (the non-zero bins are listed per block).
    rows : array_like of bool, shape (time,), optional
        Time bins used (:func:`shifted_bin_sums`).

    Returns
    -------
    ndarray, shape (n_shifts, units)
    """
    c = np.asarray(counts, dtype=float)
    shifts = np.asarray(shifts, dtype=np.int64)
    step = max(1, min(int(max_values) // max(1, len(shifts) * int(n_bins)), 4 * int(max_values) // max(1, len(c))))
    out = np.empty((len(shifts), c.shape[1]))

    def block(u0):  # blocks are independent and their kernels release the GIL: two at a time on two free cores
        out[:, u0:u0 + step] = statistic(shifted_bin_sums(c[:, u0:u0 + step], bin_idx, n_bins, shifts, rows))

    from .._utils.runtime import map_threads, worker_threads

    map_threads(block, range(0, c.shape[1], step), worker_threads(2))
    return out


def shift_p_value(observed, null) -> np.ndarray:
    """One-sided p-value ``(1 + #{null >= observed}) / (1 + n_null)`` per column.

    Parameters
    ----------
    observed : array_like, shape (units,)
    null : array_like, shape (n_null, units)
    """
    obs = np.asarray(observed, float)
    nul = np.asarray(null, float)
    if nul.shape[0] == 0:
        return np.full(obs.shape, np.nan)
    # a tolerance so that floating-point ties with the observed value count as exceeding
    exceed = (nul >= obs - 1e-12 * np.maximum(np.abs(obs), 1)).sum(axis=0)
    return (1.0 + exceed) / (1.0 + nul.shape[0])
