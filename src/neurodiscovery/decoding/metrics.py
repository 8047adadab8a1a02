"""Decoding metrics, each named for what it is.

* ``r2``: coefficient of determination, ``1 - SS_res / SS_tot`` with ``SS_tot`` around
  the test-fold mean. Can be negative (worse than predicting the mean). This is what
  "R^2" means here.
* ``pearson_r2``: squared Pearson correlation between prediction and truth. It ignores
  offsets and gains (a prediction ``2 y + 5`` scores 1), so it is reported separately
  and never called R^2.
* ``rmse``: root mean squared error, in the target's units.
* angular errors for circular targets, in radians or degrees as named.
* ``accuracy`` / ``balanced_accuracy`` / ``confusion_matrix`` for classification.
"""
from __future__ import annotations

import numpy as np

from .._utils.errors import InputError


def _pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    yt = np.asarray(y_true, dtype=float)
    yp = np.asarray(y_pred, dtype=float)
    if yt.ndim == 1:
        yt = yt[:, None]
    if yp.ndim == 1:
        yp = yp[:, None]
    if yt.shape != yp.shape:
        raise InputError(f"y_true has shape {yt.shape} but y_pred has shape {yp.shape}")
    return yt, yp


def r2_per_output(y_true, y_pred) -> np.ndarray:
    """Coefficient of determination per output column.

    Parameters
    ----------
    y_true, y_pred : array_like, shape (samples,) or (samples, outputs)

    Returns
    -------
    ndarray, shape (outputs,)
        ``1 - sum((y - yhat)^2) / sum((y - mean(y))^2)``; NaN for a constant column.
    """
    yt, yp = _pair(y_true, y_pred)
    ss_res = ((yt - yp) ** 2).sum(axis=0)
    ss_tot = ((yt - yt.mean(axis=0)) ** 2).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ss_tot > 0, 1.0 - ss_res / np.where(ss_tot > 0, ss_tot, 1.0), np.nan)


def pearson_r2_per_output(y_true, y_pred) -> np.ndarray:
    """Squared Pearson correlation per output (NOT the coefficient of determination).

    Parameters
    ----------
    y_true, y_pred : array_like, shape (samples,) or (samples, outputs)
        Observed and predicted behaviour on the same samples (same shape; 1-D means one output).

    Returns
    -------
    ndarray, shape (outputs,)
        ``corr(y, yhat)^2``, blind to offsets and gains; NaN for a constant column.
    """
    yt, yp = _pair(y_true, y_pred)
    a = yt - yt.mean(axis=0)
    b = yp - yp.mean(axis=0)
    den = np.sqrt((a ** 2).sum(axis=0) * (b ** 2).sum(axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(den > 0, (a * b).sum(axis=0) / np.where(den > 0, den, 1.0), np.nan)
    return r ** 2


def rmse_per_output(y_true, y_pred) -> np.ndarray:
    """Root mean squared error per output, in the target's units.

    Parameters
    ----------
    y_true, y_pred : array_like, shape (samples,) or (samples, outputs)
        Observed and predicted behaviour on the same samples (same shape; 1-D means one output).

    Returns
    -------
    ndarray, shape (outputs,)
        ``sqrt(mean((y - yhat)^2))`` per column, in the same units as ``y_true``.
    """
    yt, yp = _pair(y_true, y_pred)
    return np.sqrt(((yt - yp) ** 2).mean(axis=0))


def angles_to_cossin(theta_rad) -> np.ndarray:
    """Angles (radians), shape (samples,) or (samples, 1) -> (samples, 2) as (cos, sin).

    Parameters
    ----------
    theta_rad : array_like, shape (samples,) or (samples, 1)
        One angle per sample, in radians.

    Returns
    -------
    ndarray, shape (samples, 2)
        Columns ``cos(theta)`` and ``sin(theta)`` (a circular target a linear decoder can fit).
    """
    th = np.asarray(theta_rad, dtype=float)
    if th.ndim == 2:
        if th.shape[1] != 1:
            raise InputError(f"a circular target must be one angle per sample, got shape {th.shape}")
        th = th[:, 0]
    return np.column_stack([np.cos(th), np.sin(th)])


def cossin_to_angles(y_cossin) -> np.ndarray:
    """(samples, 2) (cos, sin) pairs -> angles in [0, 2 pi) radians (the norm is ignored).

    Parameters
    ----------
    y_cossin : array_like, shape (samples, 2)
        Cosine and sine columns, e.g. a decoder's prediction of :func:`angles_to_cossin` output.

    Returns
    -------
    ndarray, shape (samples,)
        ``atan2(sin, cos)`` wrapped to [0, 2 pi), in radians.
    """
    y = np.asarray(y_cossin, dtype=float)
    if y.ndim != 2 or y.shape[1] != 2:
        raise InputError(f"expected (samples, 2) cos/sin columns, got shape {y.shape}")
    return np.mod(np.arctan2(y[:, 1], y[:, 0]), 2 * np.pi)


def angular_error_rad(theta_true, theta_pred) -> np.ndarray:
    """Absolute wrapped angular difference in [0, pi] radians, per sample.

    Parameters
    ----------
    theta_true, theta_pred : array_like, broadcastable shapes, e.g. (samples,)
        True and predicted angles in radians.

    Returns
    -------
    ndarray, the broadcast shape
        ``|theta_pred - theta_true|`` wrapped onto the circle, in radians.
    """
    d = np.asarray(theta_pred, dtype=float) - np.asarray(theta_true, dtype=float)
    return np.abs(np.angle(np.exp(1j * d)))


def median_angular_error_deg(theta_true, theta_pred) -> float:
    """Median absolute angular error in degrees.

    Parameters
    ----------
    theta_true, theta_pred : array_like, broadcastable shapes, e.g. (samples,)
        True and predicted angles in radians.

    Returns
    -------
    float
        Median over samples of :func:`angular_error_rad`, converted to degrees.
    """
    return float(np.degrees(np.median(angular_error_rad(theta_true, theta_pred))))


def regression_metrics(y_true, y_pred, circular: bool = False) -> dict:
    """All regression metrics for one prediction.

    Parameters
    ----------
    y_true, y_pred : array_like, shape (samples, outputs)
        For ``circular=True``: the (cos, sin) representation, shape (samples, 2).
    circular : bool
        Add ``median_angular_error_deg`` and ``mean_angular_error_deg``.

    Returns
    -------
    dict
        ``r2`` (per output list), ``r2_mean``, ``pearson_r2`` (per output), ``pearson_r2_mean``,
        ``rmse`` (per output), ``rmse_mean`` and the angular errors if circular.
    """
    r2 = r2_per_output(y_true, y_pred)
    pr2 = pearson_r2_per_output(y_true, y_pred)
    rmse = rmse_per_output(y_true, y_pred)
    out = {
        "r2": r2.tolist(), "r2_mean": float(np.nanmean(r2)) if np.isfinite(r2).any() else float("nan"),
        "pearson_r2": pr2.tolist(),
        "pearson_r2_mean": float(np.nanmean(pr2)) if np.isfinite(pr2).any() else float("nan"),
        "rmse": rmse.tolist(), "rmse_mean": float(rmse.mean()),
    }
    if circular:
        th_t = cossin_to_angles(y_true)
        th_p = cossin_to_angles(y_pred)
        err = angular_error_rad(th_t, th_p)
        out["median_angular_error_deg"] = float(np.degrees(np.median(err)))
        out["mean_angular_error_deg"] = float(np.degrees(np.mean(err)))
    return out


def classification_metrics(y_true, y_pred, labels=None) -> dict:
    """Accuracy, balanced accuracy (mean per-class recall) and confusion matrix.

    Parameters
    ----------
    y_true, y_pred : array_like, shape (samples,)
        True and predicted class labels of the same samples.
    labels : array_like, shape (classes,), optional
        Class order of the confusion matrix; every label in ``y_true``/``y_pred`` must be in it.
        Default: the sorted union of both. Classes absent from ``y_true`` do not enter the balanced accuracy.

    Returns
    -------
    dict
        ``accuracy``, ``balanced_accuracy``, ``confusion_matrix`` (rows = true class,
        columns = predicted class, in ``labels`` order) and ``labels``.
    """
    yt = np.asarray(y_true)
    yp = np.asarray(y_pred)
    if labels is None:
        labels = np.unique(np.concatenate([yt, yp]))
    labels = np.asarray(labels)
    pos = {lab: i for i, lab in enumerate(labels.tolist())}
    cm = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for a, b in zip(yt.tolist(), yp.tolist()):
        cm[pos[a], pos[b]] += 1
    support = cm.sum(axis=1)
    present = support > 0
    recall = np.diag(cm)[present] / support[present]
    return {
        "accuracy": float(np.mean(yt == yp)) if len(yt) else float("nan"),
        "balanced_accuracy": float(recall.mean()) if present.any() else float("nan"),
        "confusion_matrix": cm.tolist(),
        "labels": labels.tolist(),
    }
