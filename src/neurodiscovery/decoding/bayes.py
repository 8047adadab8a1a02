"""Poisson naive-Bayes decoder for position or angle."""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin

from .._utils.errors import InputError
from ._common import MultiOutputMixin, restore_shape, validate_fit, validate_predict


def _smooth(a: np.ndarray, sigma_bins: float, circular: bool) -> np.ndarray:
    """Gaussian smoothing over the leading grid axes (wrapping if circular)."""
    if sigma_bins <= 0:
        return a
    from scipy.ndimage import gaussian_filter1d

    mode = "wrap" if circular else "nearest"
    out = a
    for ax in range(a.ndim - 1):  # last axis is neurons
        out = gaussian_filter1d(out, sigma_bins, axis=ax, mode=mode)
    return out


class PoissonBayesDecoder(MultiOutputMixin, RegressorMixin, BaseEstimator):
    """Poisson naive-Bayes decoder over a grid of behavioural values.

    Each neuron's expected count in one sample is its tuning curve ``f_i(s)`` (mean count
    per occupied grid bin, Gaussian-smoothed); counts are independent Poisson given
    ``s``. The posterior over grid bins is
    ``log p(s | n) = sum_i [n_i log f_i(s) - f_i(s)] + log prior(s) + const``.

    Parameters
    ----------
    n_bins : int
        Grid bins per behavioural dimension.
    circular : bool or "auto"
        The target is one angle in radians (grid on [0, 2 pi), wrap-around smoothing,
        circular-mean estimate, predictions in [0, 2 pi)). ``"auto"`` (default) reads it
        from the behaviour's metadata: ``y`` given as a
        :class:`~neurodiscovery.data.TimeSeries` (or any object with a ``circular``
        attribute) decides; a plain array is linear.
    prior : {"uniform", "occupancy"}
        Flat prior over the visited range, or the training occupancy (how often each
        grid bin was visited).
    smoothing_bins : float
        Standard deviation of the Gaussian smoothing of tuning curves and occupancy,
        in grid bins.
    estimate : {"mean", "map"}
        Posterior mean (circular mean for angles) or the most probable grid bin.
    min_rate : float
        Floor for expected counts per sample (spike count, same time base as ``X``, not Hz), so a neuron
        firing where its tuning curve says 0 does not veto a location.

    Attributes
    ----------
    tuning_ : ndarray, shape (*grid, n_neurons)  expected count per sample at each grid bin
    log_prior_ : ndarray, shape grid
    grid_centers_ : list of ndarray              centres of the grid bins per dimension
    """

    def __init__(self, n_bins=36, circular="auto", prior="uniform", smoothing_bins=1.0,
                 estimate="mean", min_rate=1e-3):
        self.n_bins = n_bins
        self.circular = circular
        self.prior = prior
        self.smoothing_bins = smoothing_bins
        self.estimate = estimate
        self.min_rate = min_rate

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True  # spike counts
        return tags

    def _bin_index(self, y: np.ndarray) -> np.ndarray:
        idx = []
        for d in range(y.shape[1]):
            edges = self.grid_edges_[d]
            i = np.searchsorted(edges, y[:, d], side="right") - 1
            idx.append(np.clip(i, 0, len(edges) - 2))
        return np.stack(idx, axis=1)

    def fit(self, X, y, sample_index=None):
        """Estimate tuning curves and the prior.

        Parameters
        ----------
        X : array_like, shape (samples, neurons)
            Non-negative spike counts per sample (e.g. summed over a window).
        y : array_like, shape (samples,) or (samples, dims)
            Behaviour: one angle (radians) if ``circular``; 1-D or 2-D position otherwise.
        sample_index : ignored
            Accepted for a uniform decoder interface.
        """
        if self.circular == "auto":
            self.circular_ = bool(getattr(y, "circular", False))
        elif isinstance(self.circular, (bool, np.bool_)):
            self.circular_ = bool(self.circular)
        else:
            raise InputError(f"circular must be True, False or 'auto', got {self.circular!r}")
        y = getattr(y, "values", y)   # a TimeSeries: its samples
        X, y, self._y_1d = validate_fit(self, X, y)
        if np.any(X < 0):
            raise InputError("Negative values in data passed to PoissonBayesDecoder.fit: it needs "
                             "non-negative spike counts")
        if self.prior not in ("uniform", "occupancy"):
            raise InputError(f"prior must be 'uniform' or 'occupancy', got {self.prior!r}")
        if self.estimate not in ("mean", "map"):
            raise InputError(f"estimate must be 'mean' or 'map', got {self.estimate!r}")
        if int(self.n_bins) != self.n_bins or self.n_bins < 2:
            raise InputError(f"n_bins must be an integer >= 2, got {self.n_bins!r}")
        if y.shape[1] > 2:
            raise InputError(f"PoissonBayesDecoder decodes 1-D or 2-D behaviour, got {y.shape[1]} columns")
        if self.circular_ and y.shape[1] != 1:
            raise InputError("circular=True needs one angle column (radians)")
        nb = int(self.n_bins)
        if self.circular_:
            y = np.mod(y, 2 * np.pi)
            self.grid_edges_ = [np.linspace(0, 2 * np.pi, nb + 1)]
        else:
            self.grid_edges_ = []
            for d in range(y.shape[1]):
                lo, hi = float(y[:, d].min()), float(y[:, d].max())
                if hi <= lo:
                    hi = lo + 1.0
                self.grid_edges_.append(np.linspace(lo, hi, nb + 1))
        self.grid_centers_ = [(e[1:] + e[:-1]) / 2 for e in self.grid_edges_]
        shape = tuple(nb for _ in range(y.shape[1]))
        flat = np.ravel_multi_index(tuple(self._bin_index(y).T), shape)
        n_cells = int(np.prod(shape))
        occ = np.bincount(flat, minlength=n_cells).astype(float).reshape(shape)
        sums = np.zeros((n_cells, X.shape[1]))
        np.add.at(sums, flat, X)
        sums = sums.reshape(shape + (X.shape[1],))
        sig = float(self.smoothing_bins)
        occ_s = _smooth(occ[..., None], sig, self.circular_)[..., 0]
        sums_s = _smooth(sums, sig, self.circular_)
        # grid bins never visited (even after smoothing) get each neuron's mean rate
        mean_rate = X.mean(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            tuning = np.where(occ_s[..., None] > 1e-9, sums_s / occ_s[..., None], mean_rate)
        self.tuning_ = np.maximum(tuning, float(self.min_rate))
        if self.prior == "occupancy":
            p = occ_s / occ_s.sum()
            with np.errstate(divide="ignore"):
                self.log_prior_ = np.log(np.maximum(p, 1e-12))
        else:
            # uniform over the visited range (whole circle for angles)
            self.log_prior_ = np.zeros(shape) if self.circular_ else np.where(occ_s > 1e-9, 0.0, -np.inf)
        self.occupancy_ = occ
        return self

    def predict_log_posterior(self, X) -> np.ndarray:
        """Normalised log posterior over the flattened grid, shape (samples, grid cells).

        Parameters
        ----------
        X : array_like, shape (samples, neurons)
            Non-negative spike counts per sample, on the same window as in :meth:`fit`.

        Returns
        -------
        ndarray, shape (samples, grid cells)
            Natural-log posterior of each grid cell (C order over ``grid_centers_``); each row's
            exponential sums to 1.
        """
        X = validate_predict(self, X)
        if np.any(X < 0):
            raise InputError("Negative values in data passed to PoissonBayesDecoder: it needs "
                             "non-negative spike counts")
        f = self.tuning_.reshape(-1, self.tuning_.shape[-1])       # (cells, neurons)
        logp = X @ np.log(f).T - f.sum(axis=1)[None, :] + self.log_prior_.ravel()[None, :]
        logp -= logp.max(axis=1, keepdims=True)
        logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))
        return logp

    def predict(self, X):
        """Decoded behaviour, shape like ``y`` in fit (angles in [0, 2 pi) if circular).

        Parameters
        ----------
        X : array_like, shape (samples, neurons)
            Non-negative spike counts per sample, on the same window as in :meth:`fit`.

        Returns
        -------
        ndarray, shape (samples,) or (samples, dims)
            Posterior mean (circular mean for an angle, in radians) or most probable grid-bin centre, in the
            units of ``y``.
        """
        post = np.exp(self.predict_log_posterior(X))
        mesh = np.meshgrid(*self.grid_centers_, indexing="ij")
        centers = np.stack([m.ravel() for m in mesh], axis=1)          # (cells, dims)
        if self.estimate == "map":
            out = centers[np.argmax(post, axis=1)]
        elif self.circular_:
            c = post @ np.cos(centers[:, 0])
            s = post @ np.sin(centers[:, 0])
            out = np.mod(np.arctan2(s, c), 2 * np.pi)[:, None]
        else:
            out = post @ centers
        return restore_shape(out, self._y_1d)
