"""Leak-free cross-validation splits.

Time series: neighbouring bins are correlated (and spike-history features reach
``bins_before``/``bins_after`` bins away), so random K-fold leaks test information
into training. :func:`blocked_kfold` uses contiguous test blocks and removes every
training sample within ``gap`` samples of the test block. Trials: whole trials go to
one side, stratified by condition (:class:`StratifiedTrialKFold`).
"""
from __future__ import annotations

import numpy as np

from .._utils.errors import InputError


def blocked_kfold(n_samples: int, n_splits: int = 5, gap: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Contiguous K-fold over time with a gap.

    Parameters
    ----------
    n_samples : int
    n_splits : int
        Number of contiguous test blocks (>= 2).
    gap : int
        Samples removed from training on each side of the test block; use at least
        the longest lag of any feature (``max(bins_before, bins_after)``).

    Returns
    -------
    list of (train_idx, test_idx)
    """
    n_samples, n_splits, gap = int(n_samples), int(n_splits), int(gap)
    if n_splits < 2:
        raise InputError(f"n_splits must be >= 2, got {n_splits}")
    if gap < 0:
        raise InputError(f"gap must be >= 0 samples, got {gap}")
    if n_samples < n_splits * (1 + 2 * gap) + 1:
        raise InputError(f"{n_samples} samples are too few for {n_splits} folds with a gap of {gap}")
    bounds = np.linspace(0, n_samples, n_splits + 1).round().astype(int)
    idx = np.arange(n_samples)
    folds = []
    for k in range(n_splits):
        lo, hi = bounds[k], bounds[k + 1]
        test = idx[lo:hi]
        train = idx[(idx < lo - gap) | (idx >= hi + gap)]
        folds.append((train, test))
    return folds


class BlockedKFold:
    """scikit-learn splitter for :func:`blocked_kfold` (``split(X)`` yields train/test indices).

    Parameters
    ----------
    n_splits : int
        Number of contiguous test blocks.
    gap : int
        Samples (bins) dropped from the training set on each side of the test block.
    """

    def __init__(self, n_splits: int = 5, gap: int = 0):
        self.n_splits = n_splits
        self.gap = gap

    def split(self, X, y=None, groups=None):
        """Yield ``(train, test)`` index arrays of contiguous blocks (``X``: ``(samples, ...)``).

        ``y`` and ``groups`` are ignored (scikit-learn splitter interface).
        """
        yield from blocked_kfold(len(X), self.n_splits, self.gap)

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """Number of folds (``X``, ``y`` and ``groups`` are ignored)."""
        return self.n_splits

    def __repr__(self) -> str:
        return f"BlockedKFold(n_splits={self.n_splits}, gap={self.gap})"


def validation_block(train_idx: np.ndarray, fraction: float = 0.2, gap: int = 0):
    """Split training indices into an inner fit set and a trailing validation block.

    The validation block is the last ``fraction`` of the *longest contiguous run* of
    training samples, separated from the fit samples by ``gap``; hyper-parameters are
    chosen on it, never on the test fold.

    Parameters
    ----------
    train_idx : ndarray of int, shape (n_train,)
        Training sample indices (sorted).
    fraction : float
        Fraction of the longest contiguous run used for validation.
    gap : int
        Samples (bins) dropped between the fit samples and the validation block.

    Returns
    -------
    fit_idx, val_idx : ndarray of int
    """
    tr = np.asarray(train_idx)
    if len(tr) < 4:
        raise InputError(f"{len(tr)} training samples are too few to hold out a validation block")
    breaks = np.flatnonzero(np.diff(tr) != 1) + 1
    runs = np.split(np.arange(len(tr)), breaks)
    longest = max(runs, key=len)
    n_val = max(1, int(round(fraction * len(longest))))
    val_pos = longest[-n_val:]
    val = tr[val_pos]
    lo, hi = val[0], val[-1]
    fit = tr[(tr < lo - gap) | (tr > hi + gap)]
    if len(fit) == 0:
        raise InputError("no training samples left after holding out the validation block")
    return fit, val


class StratifiedTrialKFold:
    """Trial-wise K-fold stratified by condition (each trial wholly in train or test).

    Parameters
    ----------
    n_splits : int
    seed : int or None
        Shuffles trials within each condition before assignment.
    """

    def __init__(self, n_splits: int = 5, seed: int | None = 0):
        self.n_splits = n_splits
        self.seed = seed

    def split(self, X, y, groups=None):
        """Yield ``(train, test)`` trial indices, every condition in every fold (``y``: ``(trials,)``).

        ``X (trials, ...)`` only sets the number of trials; ``groups`` is ignored.
        """
        from sklearn.model_selection import StratifiedKFold

        if int(self.n_splits) < 2:
            raise InputError(f"n_splits must be >= 2, got {self.n_splits}")
        y = np.asarray(y)
        if len(y) != len(X):
            raise InputError(f"conditions has {len(y)} entries for {len(X)} trials (mismatched lengths)")
        _, counts = np.unique(y, return_counts=True)
        if counts.min() < self.n_splits:
            raise InputError(f"the rarest condition has {counts.min()} trials; need >= n_splits={self.n_splits}")
        skf = StratifiedKFold(self.n_splits, shuffle=self.seed is not None,
                              random_state=self.seed)
        yield from skf.split(np.zeros(len(y)), y)

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """Number of folds (``X``, ``y`` and ``groups`` are ignored)."""
        return self.n_splits
