"""Condition classification with a permutation p-value and a bootstrap interval.

Trials are exchangeable, so both are computed on the cross-validated predictions: every
test trial is predicted by a classifier that never saw its label, hence under "the
activity carries no information about the condition" the test labels are exchangeable
with respect to the predictions. Permuting the labels against the fixed predictions is
then an exact-size test at no refitting cost (within each fold, so the class balance of
every fold is kept); resampling trials gives the interval.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .._utils.errors import InputError
from .._utils.random import as_rng


@dataclass(frozen=True)
class ClassificationStats:
    """Cross-validated accuracy with uncertainty.

    Attributes
    ----------
    decoder : str
    accuracy : float             pooled over all test trials
    accuracy_folds : (folds,)    per test fold
    accuracy_sd : float          SD over folds
    balanced_accuracy : float    mean per-class recall, pooled
    accuracy_ci : (low, high)    trial bootstrap percentile interval
    chance : float               1 / number of classes
    null_accuracy : (n_permutations,)  accuracy with labels permuted within test folds
    p_value : float              ``(1 + #(null >= accuracy)) / (1 + n_permutations)``
    confusion_matrix : (classes, classes) rows = true, columns = predicted
    labels : list
    predictions : (trials,)      cross-validated predicted label of each trial
    config : dict
    """

    decoder: str
    accuracy: float
    accuracy_folds: np.ndarray
    accuracy_sd: float
    balanced_accuracy: float
    accuracy_ci: tuple
    chance: float
    null_accuracy: np.ndarray
    p_value: float
    confusion_matrix: np.ndarray
    labels: list
    predictions: np.ndarray = field(repr=False)
    config: dict = field(repr=False)

    def summary(self) -> str:
        """One sentence: accuracy, interval, fold spread, chance and p, and what they are computed on."""
        c = self.config
        return (f"accuracy {self.accuracy:.3f} (95 % trial-bootstrap CI {self.accuracy_ci[0]:.3f}–"
                f"{self.accuracy_ci[1]:.3f}; fold mean ± SD {np.mean(self.accuracy_folds):.3f} ± {self.accuracy_sd:.3f};"
                f" chance {self.chance:.3f}; permutation p = {self.p_value:.3g}, {len(self.null_accuracy)} label "
                f"permutations) over {c['n_trials']} trials, {c['n_splits']}-fold stratified by condition, {self.decoder}")

    def to_dict(self) -> dict:
        """JSON-ready summary (predictions and the null left out; its size kept)."""
        from .._utils.runfolder import _jsonable

        return _jsonable({"decoder": self.decoder, "accuracy": self.accuracy, "accuracy_folds": self.accuracy_folds,
                          "accuracy_sd": self.accuracy_sd, "balanced_accuracy": self.balanced_accuracy,
                          "accuracy_ci": self.accuracy_ci, "chance": self.chance, "p_value": self.p_value,
                          "n_permutations": len(self.null_accuracy), "confusion_matrix": self.confusion_matrix,
                          "labels": self.labels, "config": self.config})


def classify_with_uncertainty(X, labels, decoder: str = "logistic", *, n_splits: int = 5,
                              n_permutations: int = 1000, n_boot: int = 1000, level: float = 0.95,
                              seed: int = 0, quick: bool = False, decoder_params: dict | None = None
                              ) -> ClassificationStats:
    """Decode trial conditions with one classifier; accuracy with a CI and a permutation p-value.

    Parameters
    ----------
    X : array_like, shape (trials, features) or (trials, time, neurons)
    labels : array_like, shape (trials,)
    decoder : {"logistic", "mlp"}
    n_splits : int
        Stratified trial-wise folds.
    n_permutations : int
        Label permutations within each test fold against the fixed predictions.
    n_boot : int
        Trial resamples for the percentile interval of the pooled accuracy.
    level : float
    seed : int
    quick : bool
    decoder_params : dict, optional
        Constructor parameters of the classifier.
    """
    from ..data import StratifiedTrialKFold
    from .classification import make_classifier

    X = np.asarray(X, dtype=float)
    X = X.reshape(X.shape[0], -1) if X.ndim == 3 else X
    if X.ndim != 2 or not np.isfinite(X).all():
        raise InputError(f"X must be finite (trials, features) or (trials, time, neurons), got shape {X.shape}")
    y = np.asarray(labels)
    if y.shape != (len(X),):
        raise InputError(f"labels must have one entry per trial ({len(X)}), got shape {y.shape}")
    classes = np.unique(y)
    if len(classes) < 2:
        raise InputError("classification target has only one class; nothing to decode")
    folds = list(StratifiedTrialKFold(n_splits, seed=seed).split(X, y))
    pred = np.empty(len(y), dtype=y.dtype)
    fold_id = np.empty(len(y), dtype=int)
    t0 = time.perf_counter()
    for k, (tr, te) in enumerate(folds):
        est = make_classifier(decoder, seed=seed, quick=quick, **(decoder_params or {}))
        pred[te] = est.fit(X[tr], y[tr]).predict(X[te])
        fold_id[te] = k
    fit_s = (time.perf_counter() - t0) / len(folds)
    correct = pred == y
    acc_folds = np.array([correct[fold_id == k].mean() for k in range(len(folds))])
    recall = [correct[y == c].mean() for c in classes]
    rng = as_rng(seed)
    null = np.empty(int(n_permutations))
    for s in range(int(n_permutations)):
        yp = y.copy()
        for k in range(len(folds)):
            idx = np.flatnonzero(fold_id == k)
            yp[idx] = y[rng.permutation(idx)]
        null[s] = np.mean(pred == yp)
    acc = float(correct.mean())
    boots = correct[rng.integers(0, len(y), size=(int(n_boot), len(y)))].mean(axis=1)
    q = [(1 - level) / 2 * 100, (1 + level) / 2 * 100]
    cm = np.zeros((len(classes), len(classes)), dtype=np.int64)
    np.add.at(cm, (np.searchsorted(classes, y), np.searchsorted(classes, pred)), 1)
    p = float((1 + np.sum(null >= acc - 1e-12)) / (1 + len(null))) if len(null) else float("nan")
    return ClassificationStats(decoder, acc, acc_folds, float(acc_folds.std(ddof=1)), float(np.mean(recall)),
                               tuple(float(v) for v in np.percentile(boots, q)), 1.0 / len(classes), null, p, cm,
                               classes.tolist(), pred,
                               {"n_trials": len(y), "n_features": int(X.shape[1]), "n_splits": int(n_splits),
                                "seed": int(seed), "fit_time_s": fit_s, "n_boot": int(n_boot), "level": float(level)})
