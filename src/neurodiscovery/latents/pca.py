"""PCA of population activity with a scikit-learn interface."""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import PCA

from .._utils.errors import InputError


class PopulationPCA(TransformerMixin, BaseEstimator):
    """PCA on (optionally square-root and z-scored) rates, time-major.

    Parameters
    ----------
    n_components : int
    sqrt : bool
        Square-root transform counts first (stabilises Poisson variance).
    standardize : bool
        Z-score each neuron with training statistics so high-rate units don't dominate.

    Attributes
    ----------
    explained_variance_ratio_ : (n_components,)
    components_ : (n_components, neurons)
    """

    def __init__(self, n_components: int = 10, sqrt: bool = True, standardize: bool = True):
        self.n_components = n_components
        self.sqrt = sqrt
        self.standardize = standardize

    def _prep(self, X):
        X = np.asarray(X, float)
        if X.ndim == 3:
            X = X.reshape(-1, X.shape[-1])
        if X.ndim != 2:
            raise InputError(f"PopulationPCA expects (time, neurons) or (trials, time, neurons), got {X.shape}")
        if not np.all(np.isfinite(X)):
            raise InputError("PopulationPCA: activity contains NaN/inf")
        if not self.sqrt:
            return X
        Z = np.clip(X, 0, None)
        return np.sqrt(Z, out=Z)  # one copy of the activity, not two (a session can be ~1 GB)

    def _scaled(self, Z, owned: bool):
        """``(Z - mean_) / scale_``, in place when ``Z`` is a copy this object made."""
        if not owned:
            return (Z - self.mean_) / self.scale_
        Z -= self.mean_
        Z /= self.scale_
        return Z

    def fit(self, X, y=None):
        """Fit on activity ``X (time, neurons)`` or ``(trials, time, neurons)``; returns self."""
        Z = self._prep(X)
        owned = self.sqrt  # only the square root makes a copy (ours to overwrite)
        self.mean_ = Z.mean(0)
        step = 128  # the standard deviation a block of neurons at a time: one temporary copy of a block
        sd = np.concatenate([Z[:, j:j + step].std(0) for j in range(0, Z.shape[1], step)])
        self.scale_ = np.where(sd > 0, sd, 1.0) if self.standardize else np.ones_like(sd)
        k = min(self.n_components, Z.shape[1], Z.shape[0])
        self.pca_ = PCA(n_components=k, copy=False).fit(self._scaled(Z, owned))  # the scaled copy is ours
        self.components_ = self.pca_.components_
        self.explained_variance_ratio_ = self.pca_.explained_variance_ratio_
        return self

    def transform(self, X):
        """Project ``X`` onto the components: ``(time, components)`` or ``(trials, time, components)``."""
        shape = np.shape(X)
        Z = self._prep(X)
        out = self.pca_.transform(self._scaled(Z, self.sqrt))
        return out.reshape(*shape[:-1], -1) if len(shape) == 3 else out


def condition_separation(trajectories: np.ndarray, conditions: np.ndarray) -> float:
    """Silhouette score of single-trial PC trajectories grouped by condition.

    Parameters
    ----------
    trajectories : (trials, time, pcs)
        Each trial's trajectory is flattened into one vector.
    conditions : (trials,)

    Returns
    -------
    float in [-1, 1]; values near 1 mean trials of a condition cluster apart from others.
    """
    from sklearn.metrics import silhouette_score

    X = np.asarray(trajectories, float).reshape(len(trajectories), -1)
    cond = np.asarray(conditions)
    if len(np.unique(cond)) < 2:
        raise InputError("condition_separation needs at least two conditions")
    return float(silhouette_score(X, cond))
