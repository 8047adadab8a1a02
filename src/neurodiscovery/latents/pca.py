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
    copy : bool
        False lets ``fit``, ``transform`` and ``fit_transform`` overwrite a float64 ``X`` with its
        scaled square root instead of copying it (a 2-hour, 1,000-unit session is 1 GB per copy).

    Attributes
    ----------
    explained_variance_ratio_ : (n_components,)
    components_ : (n_components, neurons)
    """

    def __init__(self, n_components: int = 10, sqrt: bool = True, standardize: bool = True, copy: bool = True):
        self.n_components = n_components
        self.sqrt = sqrt
        self.standardize = standardize
        self.copy = copy

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
        Z = np.clip(X, 0, None, out=None if self.copy or not X.flags.writeable else X)
        return np.sqrt(Z, out=Z)  # at most one copy of the activity, not two

    def _scaled(self, Z, owned: bool):
        """``(Z - mean_) / scale_``, in place when ``Z`` is a copy this object made."""
        if not owned:
            return (Z - self.mean_) / self.scale_
        Z -= self.mean_
        Z /= self.scale_
        return Z

    def _fit_scaled(self, X) -> np.ndarray:
        """Fit on ``X``; return the prepared, scaled activity the PCA was fitted on (left unchanged)."""
        Z = self._prep(X)
        self.mean_ = Z.mean(0)
        step = 128  # the standard deviation a block of neurons at a time: one temporary copy of a block
        sd = np.concatenate([Z[:, j:j + step].std(0) for j in range(0, Z.shape[1], step)])
        self.scale_ = np.where(sd > 0, sd, 1.0) if self.standardize else np.ones_like(sd)
        k = min(self.n_components, Z.shape[1], Z.shape[0])
        Z = self._scaled(Z, self.sqrt or not self.copy)  # in place on the square root's copy or a given X
        self.pca_ = PCA(n_components=k).fit(Z)  # copy=True: full/randomized solvers centre a copy
        self.components_ = self.pca_.components_
        self.explained_variance_ratio_ = self.pca_.explained_variance_ratio_
        return Z

    def fit(self, X, y=None):
        """Fit on activity ``X (time, neurons)`` or ``(trials, time, neurons)``; returns self.

        Parameters
        ----------
        X : array_like, shape (time, neurons) or (trials, time, neurons)
            Spike counts or rates per bin; every time bin of every trial is one sample (a writable float64
            array is overwritten with the prepared, scaled activity when ``copy=False``).
        y : None
            Ignored (scikit-learn transformer interface).

        Returns
        -------
        PopulationPCA
            ``self``, fitted.
        """
        self._fit_scaled(X)
        return self

    def fit_transform(self, X, y=None):
        """``fit(X).transform(X)`` with one preparation of ``X`` (the same numbers, one copy less).

        Parameters
        ----------
        X : array_like, shape (time, neurons) or (trials, time, neurons)
            Activity as in :meth:`fit` (overwritten likewise when ``copy=False``).
        y : None
            Ignored (scikit-learn transformer interface).

        Returns
        -------
        ndarray, shape (time, components) or (trials, time, components)
            The projection of ``X`` onto the fitted components.
        """
        shape = np.shape(X)
        Z = self._fit_scaled(X)
        out = self.pca_.transform(Z)
        return out.reshape(*shape[:-1], -1) if len(shape) == 3 else out

    def transform(self, X):
        """Project ``X`` onto the components: ``(time, components)`` or ``(trials, time, components)``."""
        shape = np.shape(X)
        Z = self._prep(X)
        out = self.pca_.transform(self._scaled(Z, self.sqrt or not self.copy))
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
