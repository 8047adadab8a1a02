"""Linear baselines on trial-structured counts: Gaussian smoothing and factor analysis."""
from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import FactorAnalysis

from .._utils.errors import InputError
from ._checks import check_activity, check_dim, check_n_neurons


class GaussianSmoothing(TransformerMixin, BaseEstimator):
    """Square-root counts smoothed in time within each trial (the NLB smoothing baseline).

    Parameters
    ----------
    sigma_bins : float
        Gaussian kernel standard deviation in bins.
    """

    def __init__(self, sigma_bins: float = 4.0):
        self.sigma_bins = sigma_bins

    def fit(self, X, y=None) -> GaussianSmoothing:
        """Learn nothing but the input shape (smoothing has no parameters); returns self.

        Parameters
        ----------
        X : array_like, shape (time, neurons) or (trials, time, neurons)
            Spike counts per bin; only the number of neurons is kept.
        y : None
            Ignored (scikit-learn transformer interface).

        Returns
        -------
        GaussianSmoothing
            ``self``.
        """
        X = check_activity(X, "counts", ndim=(2, 3))
        if not self.sigma_bins > 0:
            raise InputError(f"sigma_bins must be > 0, got {self.sigma_bins}")
        self.n_features_in_ = X.shape[-1]
        return self

    def transform(self, X) -> np.ndarray:
        """Smoothed ``sqrt(counts)``, same shape as ``X`` (time is axis -2)."""
        X = check_activity(X, "counts", ndim=(2, 3), counts=True)
        check_n_neurons(X, self.n_features_in_, "this smoother")
        return gaussian_filter1d(np.sqrt(X), float(self.sigma_bins), axis=-2, mode="nearest")


class PopulationFA(TransformerMixin, BaseEstimator):
    """Factor analysis of (square-root) counts, time bins as samples (scikit-learn underneath).

    Parameters
    ----------
    n_components : int
    sqrt : bool
        Square-root transform the counts first.
    seed : int

    Attributes
    ----------
    fa_ : sklearn.decomposition.FactorAnalysis
    components_ : (k, neurons)
        Loadings, ordered and orthonormalised as for GPFA (by the variance they explain).
    noise_variance_ : (neurons,)
    """

    def __init__(self, n_components: int = 5, sqrt: bool = True, seed: int = 0):
        self.n_components = n_components
        self.sqrt = sqrt
        self.seed = seed

    def _prep(self, X):
        X = check_activity(X, "counts", ndim=(2, 3), counts=False)
        if self.sqrt:
            if np.any(X < 0):
                raise InputError("PopulationFA(sqrt=True) needs non-negative counts")
            X = np.sqrt(X)
        return X

    def fit(self, X, y=None) -> PopulationFA:
        """Fit factor analysis to counts ``(time, neurons)`` or ``(trials, time, neurons)``; returns self.

        Parameters
        ----------
        X : array_like, shape (time, neurons) or (trials, time, neurons)
            Spike counts (or other activity, with ``sqrt=False``) per bin; every time bin of every trial
            is one sample.
        y : None
            Ignored (scikit-learn transformer interface).

        Returns
        -------
        PopulationFA
            ``self``, fitted.
        """
        X = self._prep(X)
        flat = X.reshape(-1, X.shape[-1])
        k = check_dim(self.n_components, flat.shape[1])
        # exact SVD: for tens of units it is ~6x faster than the randomized default, same likelihood
        self.fa_ = FactorAnalysis(n_components=k, svd_method="lapack", random_state=int(self.seed)).fit(flat)
        U, s, Vt = np.linalg.svd(self.fa_.components_.T, full_matrices=False)
        self.orth_ = np.diag(s) @ Vt
        self.components_ = U.T
        self.noise_variance_ = self.fa_.noise_variance_
        self.n_features_in_ = flat.shape[1]
        return self

    def transform(self, X) -> np.ndarray:
        """Orthonormalised posterior-mean factors, same leading shape as ``X``."""
        X = self._prep(X)
        check_n_neurons(X, self.n_features_in_, "this FA model")
        z = self.fa_.transform(X.reshape(-1, X.shape[-1])) @ self.orth_.T
        return z.reshape(*X.shape[:-1], -1)
