"""Uncertainty for cross-validated decoding scores: block-bootstrap intervals and shift nulls.

Both respect time: neighbouring samples are correlated, so the bootstrap resamples
contiguous *blocks* of each test fold (moving-block bootstrap, Künsch 1989), and the
null distribution comes from circular shifts of the behaviour, which keep its
autocorrelation but break its relation to the spikes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError
from .._utils.random import as_rng
from .metrics import angular_error_rad, cossin_to_angles


@dataclass(frozen=True)
class BootstrapCI:
    """Percentile intervals from a moving-block bootstrap of the test predictions.

    Attributes
    ----------
    r2 : (low, high)  for R² (mean over outputs, then over folds, as the point estimate)
    median_error_deg : (low, high) or None  median absolute angular error (circular targets)
    level : float     e.g. 0.95
    n_boot : int
    block_len : int   samples per block
    """

    r2: tuple
    median_error_deg: tuple | None
    level: float
    n_boot: int
    block_len: int


def _block_starts(rng, n: int, block_len: int, n_boot: int) -> np.ndarray:
    n_blocks = int(np.ceil(n / block_len))
    return rng.integers(0, max(n - block_len, 0) + 1, size=(n_boot, n_blocks))


def block_bootstrap_ci(y_true, y_pred, fold, *, circular: bool = False, block_len: int | None = None,
                       n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> BootstrapCI:
    """Moving-block bootstrap interval of a cross-validated R² (and median angular error).

    Within every test fold, ``ceil(n_fold / block_len)`` blocks of ``block_len`` consecutive
    samples are drawn with replacement; each resample's R² is computed per fold (around
    that resample's own mean, like the point estimate), averaged over outputs and folds.
    Block sums come from prefix sums, so 1,000 resamples cost a few array passes.

    Parameters
    ----------
    y_true, y_pred : array_like, shape (samples, outputs)
        Test targets and predictions of all folds, in time order within each fold
        ((cos, sin) for circular targets).
    fold : array_like of int, shape (samples,)
        Outer fold of each sample.
    circular : bool
        Also bootstrap the median absolute angular error (degrees) of the pooled samples.
    block_len : int, optional
        Default: a tenth of the smallest test fold (at least 10 samples).
    n_boot : int
    level : float
        Central coverage of the interval.
    seed : int

    Returns
    -------
    BootstrapCI
    """
    yt = np.asarray(y_true, float)
    yp = np.asarray(y_pred, float)
    fold = np.asarray(fold)
    yt = yt[:, None] if yt.ndim == 1 else yt
    yp = yp[:, None] if yp.ndim == 1 else yp
    if yt.shape != yp.shape or fold.shape != (len(yt),):
        raise InputError(f"y_true {yt.shape}, y_pred {yp.shape} and fold {fold.shape} must align")
    if not 0 < level < 1:
        raise InputError(f"level must be in (0, 1), got {level}")
    folds = np.unique(fold)
    sizes = [int((fold == f).sum()) for f in folds]
    L = int(block_len) if block_len is not None else max(10, min(sizes) // 10)
    if L < 1:
        raise InputError(f"block_len must be >= 1, got {block_len}")
    rng = as_rng(seed)
    r2 = np.zeros(n_boot)
    idx_all = []
    for f in folds:
        sel = np.flatnonzero(fold == f)
        a, b = yt[sel], yp[sel]
        n = len(sel)
        Lf = min(L, n)
        starts = _block_starts(rng, n, Lf, n_boot)                           # (boot, blocks)
        # prefix sums of y, y^2 and squared error, per output
        stats = np.concatenate([a, a ** 2, (a - b) ** 2], axis=1)
        cs = np.vstack([np.zeros(stats.shape[1]), np.cumsum(stats, axis=0)])
        block = cs[starts + Lf] - cs[starts]                                 # (boot, blocks, 3*outputs)
        tot = block.sum(axis=1)
        m = starts.shape[1] * Lf
        k = a.shape[1]
        sy, syy, sse = tot[:, :k], tot[:, k:2 * k], tot[:, 2 * k:]
        ss_tot = syy - sy ** 2 / m
        with np.errstate(invalid="ignore", divide="ignore"):
            r2_f = np.where(ss_tot > 0, 1 - sse / ss_tot, np.nan)
        r2 += np.nanmean(r2_f, axis=1) / len(folds)
        if circular:  # resample indices are built 100 resamples at a time below (all: boot x samples)
            idx_all.append((sel, starts, Lf))
    q = [(1 - level) / 2 * 100, (1 + level) / 2 * 100]
    r2_ci = tuple(float(v) for v in np.nanpercentile(r2, q))
    med_ci = None
    if circular:
        err = np.degrees(angular_error_rad(cossin_to_angles(yt), cossin_to_angles(yp)))
        meds = np.empty(n_boot)
        for s in range(0, n_boot, 100):          # 100 resamples at a time bounds memory
            idx = np.concatenate([sel[(st[s:s + 100, :, None] + np.arange(Lf)).reshape(len(st[s:s + 100]), -1)]
                                  for sel, st, Lf in idx_all], axis=1)
            meds[s:s + 100] = np.median(err[idx], axis=1)
        med_ci = tuple(float(v) for v in np.percentile(meds, q))
    return BootstrapCI(r2_ci, med_ci, float(level), int(n_boot), L)


def ridge_shift_null(X_train, X_test, T, train, test, shifts, lam: float) -> np.ndarray:
    """Test R² of a fixed-penalty ridge refitted on every circular shift of the target.

    The design's centred Gram matrix is eigendecomposed once; each shift only changes
    ``X^T y``, so all shifts are solved with a few matrix products.

    Parameters
    ----------
    X_train, X_test : (n_train, features), (n_test, features) designs of one fold
    T : (samples, outputs) the whole target series (rows indexed by ``train``/``test``)
    train, test : int arrays, row indices of ``T``
    shifts : (n_shifts,) int
    lam : float  absolute ridge penalty (as used by the real fit)

    Returns
    -------
    ndarray, shape (n_shifts,) mean-over-outputs R² on the test rows
    """
    n = len(T)
    mx = X_train.mean(axis=0)
    Xc = X_train - mx
    ev, V = np.linalg.eigh(Xc.T @ Xc)
    ev = np.clip(ev, 0, None)
    d = 1.0 / (ev + lam) if lam > 0 else np.where(ev > ev.max() * 1e-10, 1.0 / np.maximum(ev, 1e-300), 0.0)
    XtV = (X_test - mx) @ V                                                  # (n_test, features)
    out = np.empty(len(shifts))
    for s0 in range(0, len(shifts), 50):
        sh = np.asarray(shifts[s0:s0 + 50])
        # target rows after a roll by k: T[(i - k) mod n]
        Ytr = T[(train[None, :] - sh[:, None]) % n]                          # (S, n_train, outputs)
        Yte = T[(test[None, :] - sh[:, None]) % n]
        my = Ytr.mean(axis=1, keepdims=True)
        Vty = np.einsum("fg,sto,tf->sgo", V, Ytr - my, Xc, optimize=True)    # V^T X^T y per shift
        pred = np.einsum("tg,sgo->sto", XtV, d[None, :, None] * Vty, optimize=True) + my
        ss_res = ((Yte - pred) ** 2).sum(axis=1)
        ss_tot = ((Yte - Yte.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[s0:s0 + len(sh)] = np.nanmean(np.where(ss_tot > 0, 1 - ss_res / ss_tot, np.nan), axis=1)
    return out


def readout_shift_null(F_train, F_test, T, train, test, shifts) -> np.ndarray:
    """Test R² of an affine readout of fixed decoder outputs refitted on every shifted target.

    The cheap null for decoders without a closed form: the decoder trained on the real
    behaviour stays fixed, its outputs on the training and test rows are the features,
    and only an affine map from them to the shifted behaviour is refitted (least squares).

    Parameters
    ----------
    F_train, F_test : (n_train, k), (n_test, k) decoder outputs on the fold's rows
    T, train, test, shifts : as in :func:`ridge_shift_null`
    """
    return ridge_shift_null(F_train, F_test, T, train, test, shifts, 1e-8 * max(len(F_train), 1))
