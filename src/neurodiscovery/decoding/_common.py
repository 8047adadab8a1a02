"""Shared input handling for the decoders (private)."""
from __future__ import annotations

import numpy as np

from .._utils.errors import InputError

#: fewer training samples than this and a decoder skips its inner validation block
#: (hyper-parameters fall back to their defaults)
MIN_SAMPLES_FOR_VALIDATION = 20


def validate_fit(est, X, y, *, allow_nd=False, y_numeric=True, multi_output=True):
    """Validate training data through scikit-learn (sets ``n_features_in_``).

    Returns ``X`` (float64), ``y`` (2-D float for regression, 1-D labels for
    classification) and whether a regression ``y`` was 1-D.
    """
    from sklearn.utils.validation import validate_data

    if y is None:
        raise InputError(f"{type(est).__name__} requires y to be passed, but the target y is None")
    X, y = validate_data(est, X, y, reset=True, dtype=np.float64, allow_nd=allow_nd,
                         multi_output=multi_output, y_numeric=y_numeric, ensure_min_samples=2)
    if y_numeric:
        y = np.asarray(y, dtype=np.float64)
        was_1d = y.ndim == 1
        if was_1d:
            y = y[:, None]
        return X, y, was_1d
    return X, np.asarray(y), True


def validate_predict(est, X, *, allow_nd=False):
    """Validate prediction input against the fitted feature count."""
    from sklearn.utils.validation import check_is_fitted, validate_data

    check_is_fitted(est)
    return validate_data(est, X, reset=False, dtype=np.float64, allow_nd=allow_nd)


def validation_split(n_samples: int, fraction: float, gap: int, sample_index=None):
    """Positions of the inner fit set and the trailing validation block.

    The validation block is the end of the training data (the last ``fraction`` of its
    longest contiguous run when ``sample_index`` is given), separated from the fit
    samples by ``gap`` samples, via :func:`neurodiscovery.data.splits.validation_block`.

    Returns
    -------
    (fit_pos, val_pos) : arrays of int positions into the training rows, or
    ``(None, None)`` when there are too few samples to hold a block out.
    """
    if not 0 < fraction < 1:
        raise InputError(f"validation_fraction must be in (0, 1), got {fraction!r}")
    if n_samples < MIN_SAMPLES_FOR_VALIDATION:
        return None, None
    from ..data.splits import validation_block

    idx = np.arange(n_samples) if sample_index is None else np.asarray(sample_index)
    if len(idx) != n_samples:
        raise InputError(f"sample_index has {len(idx)} entries for {n_samples} samples")
    if np.any(np.diff(idx) <= 0):
        raise InputError("sample_index must be strictly increasing (time-ordered samples)")
    try:
        fit_idx, val_idx = validation_block(idx, fraction=fraction, gap=int(gap))
    except InputError:
        return None, None
    fit_pos = np.searchsorted(idx, fit_idx)
    val_pos = np.searchsorted(idx, val_idx)
    if len(fit_pos) < 2 or len(val_pos) < 2:
        return None, None
    return fit_pos, val_pos


def resolve_validation_gap(gap, X, sample_index=None, n_lags: int | None = None) -> int:
    """Samples between inner fit and validation blocks: ``gap``, or for ``"auto"`` the window length.

    Parameters
    ----------
    gap : int or "auto"
    X : ndarray, shape (samples, features) or (samples, lags, neurons)
    sample_index : array_like of int, optional
    n_lags : int, optional
        Lags known to the caller (> 1 is trusted); otherwise read from ``X``.

    Returns
    -------
    int
        ``n_lags`` for a window of ``n_lags`` bins (0 for a single bin): a fit sample and a
        validation sample are then more than ``n_lags - 1`` bins apart, so their windows
        share no bin.
    """
    if isinstance(gap, str):
        if gap != "auto":
            raise InputError(f"validation_gap must be a non-negative integer or 'auto', got {gap!r}")
        from .design import infer_n_lags

        X = np.asarray(X)
        if n_lags is not None and int(n_lags) > 1:
            lags = int(n_lags)
        elif X.ndim == 3:
            lags = X.shape[1]
        else:
            lags = infer_n_lags(X, sample_index)
        return lags if lags > 1 else 0
    if int(gap) != gap or gap < 0:
        raise InputError(f"validation_gap must be a non-negative integer or 'auto', got {gap!r}")
    return int(gap)


def restore_shape(pred: np.ndarray, was_1d: bool) -> np.ndarray:
    return pred[:, 0] if was_1d else pred


class MultiOutputMixin:
    """scikit-learn tags: regression decoders predict several behaviour columns at once."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
