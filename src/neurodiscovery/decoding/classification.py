"""Classification decoders for trial conditions: logistic regression and an MLP."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from .._utils.errors import InputError
from ._common import validate_fit, validate_predict
from .metrics import classification_metrics
from .neural import MLPClassifierDecoder

DEFAULT_CS = tuple(np.logspace(-3, 2, 6).tolist())


class LogisticDecoder(ClassifierMixin, BaseEstimator):
    """Multinomial logistic regression on z-scored features, ``C`` chosen on held-out trials.

    Parameters
    ----------
    C : float or "auto"
        Inverse L2 strength. ``"auto"`` picks from ``Cs`` by balanced accuracy on a
        stratified random ``validation_fraction`` of the training trials (trials are
        exchangeable), then refits on all training trials.
    Cs : sequence of float
    validation_fraction : float
    class_weight : None or "balanced"
        "balanced" reweights classes inversely to their frequency.
    max_iter : int
    seed : int or None
        Seeds the validation split (default 0; None: not reproducible).

    Attributes
    ----------
    classes_, C_, model_ (the fitted sklearn LogisticRegression), mean_, scale_
    """

    def __init__(self, C="auto", Cs=DEFAULT_CS, validation_fraction=0.25, class_weight="balanced",
                 max_iter=2000, seed=0):
        self.C = C
        self.Cs = Cs
        self.validation_fraction = validation_fraction
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.seed = seed

    def _model(self, C):
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=float(C), class_weight=self.class_weight, max_iter=int(self.max_iter))

    def fit(self, X, y):
        """Fit on ``X`` (trials, features) and labels ``y`` (trials,)."""
        from sklearn.model_selection import train_test_split
        from sklearn.utils.multiclass import check_classification_targets

        X, y, _ = validate_fit(self, X, y, y_numeric=False, multi_output=False)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise InputError(f"classification target has only one class ({self.classes_[0]!r}); "
                             "need at least 2 classes to train a classifier")
        self.mean_ = X.mean(axis=0)
        sd = X.std(axis=0)
        self.scale_ = np.where(sd > 1e-12, sd, 1.0)
        Z = (X - self.mean_) / self.scale_
        self.validation_scores_ = None
        if isinstance(self.C, str):
            if self.C != "auto":
                raise InputError(f"C must be a number or 'auto', got {self.C!r}")
            _, counts = np.unique(y, return_counts=True)
            n_val = int(round(self.validation_fraction * len(y)))
            Cs = list(self.Cs)
            if counts.min() >= 2 and n_val >= len(counts) and len(y) - n_val >= len(counts) and len(Cs) > 1:
                fit_i, val_i = train_test_split(np.arange(len(y)), test_size=n_val, stratify=y,
                                                random_state=self.seed)
                scores = []
                for C in Cs:
                    m = self._model(C).fit(Z[fit_i], y[fit_i])
                    scores.append(classification_metrics(y[val_i], m.predict(Z[val_i]),
                                                         self.classes_)["balanced_accuracy"])
                self.validation_scores_ = dict(zip(Cs, scores))
                self.C_ = float(Cs[int(np.argmax(scores))])
            else:
                self.C_ = 1.0
        else:
            if not float(self.C) > 0:
                raise InputError(f"C must be > 0, got {self.C!r}")
            self.C_ = float(self.C)
        self.model_ = self._model(self.C_).fit(Z, y)
        self.n_iter_ = self.model_.n_iter_
        return self

    def predict_proba(self, X):
        """Class probabilities ``(samples, classes)`` for features ``X (samples, features)``."""
        X = validate_predict(self, X)
        return self.model_.predict_proba((X - self.mean_) / self.scale_)

    def decision_function(self, X):
        """Decision scores of the logistic model for ``X (samples, features)``."""
        X = validate_predict(self, X)
        return self.model_.decision_function((X - self.mean_) / self.scale_)

    def predict(self, X):
        """Predicted class label per row of ``X (samples, features)``."""
        X = validate_predict(self, X)
        return self.model_.predict((X - self.mean_) / self.scale_)


CLASSIFIERS = {"logistic": LogisticDecoder, "mlp": MLPClassifierDecoder}


@dataclass
class ClassificationResult:
    """Cross-validated comparison of classification decoders.

    Attributes
    ----------
    table : list of dict
        One row per decoder and control (``"none"`` or ``"permuted"``): ``accuracy_mean``,
        ``balanced_accuracy_mean``, per-fold ``accuracy_folds`` / ``balanced_accuracy_folds``,
        ``chance_accuracy`` (1 / classes), ``fit_time_s``.
    confusion_matrices : dict of str -> list of lists
        Per decoder, summed over test folds; rows = true class, columns = predicted, in
        ``labels`` order.
    labels : list
    config : dict
    """

    table: list = field(default_factory=list)
    confusion_matrices: dict = field(default_factory=dict)
    labels: list = field(default_factory=list)
    config: dict = field(default_factory=dict)

    def best(self, metric: str = "accuracy_mean") -> dict:
        """The row of the best real (unpermuted) classifier by ``metric``."""
        rows = [r for r in self.table if r["control"] == "none"]
        if not rows:
            raise InputError("no classifier was run on the real labels")
        return max(rows, key=lambda r: r[metric])

    def to_dict(self) -> dict:
        """JSON-ready summary: table, confusion matrices, labels, config."""
        return {"table": self.table, "confusion_matrices": self.confusion_matrices,
                "labels": self.labels, "config": self.config}

    def to_json(self, path=None) -> dict:
        """JSON-ready dict (also written to ``path`` if given)."""
        from .._utils.runfolder import _jsonable, write_json

        if path is not None:
            write_json(path, self.to_dict())
        return _jsonable(self.to_dict())

    def to_markdown(self) -> str:
        """Comparison table in Markdown (accuracy, balanced accuracy, chance, fit time)."""
        lines = ["| decoder | control | accuracy | balanced accuracy | chance | fit time / fold (s) |",
                 "|---|---|---|---|---|---|"]
        for r in self.table:
            lines.append(f"| {r['decoder']} | {r['control']} | {r['accuracy_mean']:.3f} | "
                         f"{r['balanced_accuracy_mean']:.3f} | {r['chance_accuracy']:.3f} | {r['fit_time_s']:.2f} |")
        return "\n".join(lines)


def make_classifier(name: str, seed: int = 0, quick: bool = False, **params):
    """Instantiate a classification decoder by name (``"logistic"`` or ``"mlp"``).

    Parameters
    ----------
    name : str
        A key of :data:`CLASSIFIERS`: ``"logistic"`` (:class:`LogisticDecoder`) or ``"mlp"``
        (:class:`~neurodiscovery.decoding.MLPClassifierDecoder`).
    seed : int
        Seed of the decoder (validation split, network initialisation).
    quick : bool
        Shorter MLP training (at most 60 epochs, patience 10); no effect on the logistic decoder.
    **params
        Further constructor parameters; they override the above.

    Returns
    -------
    estimator
        An unfitted scikit-learn-style classifier.

    Raises
    ------
    InputError
        For an unknown ``name``.
    """
    if name not in CLASSIFIERS:
        raise InputError(f"unknown classifier '{name}'; available: {', '.join(CLASSIFIERS)}")
    base = {"seed": seed}
    if name == "mlp" and quick:
        base.update(max_epochs=60, patience=10)
    base.update(params)
    return CLASSIFIERS[name](**base)


def cross_validate_classifiers(X, labels, decoders=("logistic", "mlp"), *, n_splits=5, seed=0,
                               quick=False, shuffle_control=True, decoder_params=None):
    """Decode trial conditions with several classifiers on the same trial-wise folds.

    Parameters
    ----------
    X : array_like, shape (trials, features) or (trials, time, neurons)
        Per-trial features; 3-D input is flattened to ``time * neurons`` features.
    labels : array_like, shape (trials,)
        Condition of each trial.
    decoders : sequence of str
        Names from :data:`CLASSIFIERS`.
    n_splits : int
        Stratified trial-wise folds (:class:`~neurodiscovery.data.StratifiedTrialKFold`).
    seed : int
        Seeds folds, validation splits, networks and the shuffle control.
    quick : bool
        Shorter MLP training (see :func:`make_classifier`); recorded in the result's config.
    shuffle_control : bool
        Also decode randomly permuted labels (control ``"permuted"``: the chance level;
        trials are exchangeable, so a permutation is the right null here).
    decoder_params : dict of str -> dict, optional
        Extra constructor parameters per decoder.

    Returns
    -------
    ClassificationResult
    """
    from ..data import StratifiedTrialKFold

    X = np.asarray(X, dtype=float)
    if X.ndim == 3:
        X = X.reshape(X.shape[0], -1)
    if X.ndim != 2:
        raise InputError(f"X must be (trials, features) or (trials, time, neurons), got shape {X.shape}")
    if not np.isfinite(X).all():
        raise InputError(f"X contains {int((~np.isfinite(X)).sum())} NaN/inf values")
    labels = np.asarray(labels)
    if labels.shape != (len(X),):
        raise InputError(f"labels must have one entry per trial ({len(X)}), got shape {labels.shape}")
    classes = np.unique(labels)
    if len(classes) < 2:
        raise InputError(f"classification target has only one class ({classes[0]!r}); "
                         "nothing to decode")
    decoder_params = decoder_params or {}
    rng = np.random.default_rng(seed)
    shuffled = rng.permutation(labels)
    folds = list(StratifiedTrialKFold(n_splits, seed=seed).split(X, labels))
    rows, cms = [], {}
    for name in decoders:
        for control, lab in (("none", labels), ("permuted", shuffled)):
            if control == "permuted" and not shuffle_control:
                continue
            acc, bacc, times = [], [], []
            cm = np.zeros((len(classes), len(classes)), dtype=np.int64)
            for tr, te in folds:
                est = make_classifier(name, seed=seed, quick=quick, **decoder_params.get(name, {}))
                t0 = time.perf_counter()
                est.fit(X[tr], lab[tr])
                times.append(time.perf_counter() - t0)
                m = classification_metrics(lab[te], est.predict(X[te]), classes)
                acc.append(m["accuracy"])
                bacc.append(m["balanced_accuracy"])
                cm += np.asarray(m["confusion_matrix"])
            if control == "none":
                cms[name] = cm.tolist()
            rows.append({"decoder": name, "control": control, "accuracy_mean": float(np.mean(acc)),
                         "balanced_accuracy_mean": float(np.mean(bacc)), "accuracy_folds": acc,
                         "balanced_accuracy_folds": bacc, "fit_time_s": float(np.mean(times)),
                         "chance_accuracy": 1.0 / len(classes)})
    return ClassificationResult(table=rows, confusion_matrices=cms, labels=classes.tolist(),
                                config={"decoders": list(decoders), "n_splits": int(n_splits), "seed": seed,
                                        "n_trials": int(len(X)), "n_features": int(X.shape[1]),
                                        "quick": bool(quick)})
