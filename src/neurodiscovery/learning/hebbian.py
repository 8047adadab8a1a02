"""Unsupervised rate-based Hebbian rules: Oja/Sanger (principal components) and BCM.

Both are local: a synapse changes with its presynaptic input, its postsynaptic
response and, for BCM, a sliding threshold the neuron keeps about its own activity.
"""
from __future__ import annotations

import numpy as np

from .._utils.errors import InputError
from .._utils.validation import check_array, check_positive


class OjaPCA:
    """Principal subspace by Oja's rule (one component) or Sanger's generalisation.

    Update per mini-batch of centred inputs ``x`` with outputs ``y = x @ W``:
    ``dW = lr * (x^T y - W @ triu(y^T y)) / batch`` -- for one component Oja's
    ``dw = lr * y * (x - y * w)``. Signals: presynaptic input, postsynaptic output and (for
    later components) the outputs of earlier ones (Sanger's lateral term): local.

    Parameters
    ----------
    n_components : int
    learning_rate : float
        Step size relative to the mean input power (scale-free; below 1 for stability). 0.2
        reaches |cos| > 0.999 with sklearn's first principal component of the digits in 30
        epochs (0.01, the former default, stopped at 0.83).
    n_epochs : int
    batch_size : int
    seed : int
    tol : float
        Converged when every learned vector is an eigenvector of the input covariance to within
        ``tol``: the sine of the angle between ``w`` and ``C w`` (0 at a principal axis);
        otherwise a ``ConvergenceWarning`` names the options to raise.

    Attributes
    ----------
    mean_ : ndarray, shape (features,)
    components_ : ndarray, shape (n_components, features)
        Learned weight vectors (rows), unit norm at convergence.
    converged_ : bool
        Whether ``eigen_residual_`` is below ``tol`` for every component.
    eigen_residual_ : ndarray, shape (n_components,)
        Sine of the angle between each learned vector ``w`` and ``C w`` (C: input covariance).
    """

    def __init__(self, n_components: int = 1, learning_rate: float = 0.2, n_epochs: int = 30,
                 batch_size: int = 16, seed: int = 0, tol: float = 0.05):
        self.n_components = n_components
        self.tol = tol
        self.learning_rate = learning_rate
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.seed = seed

    def fit(self, X) -> OjaPCA:
        """Learn from ``X (samples, features)``; returns self."""
        X = check_array(X, "X (samples, features)", ndim=2, min_len=2)
        lr = check_positive(self.learning_rate, "learning_rate")
        k = int(self.n_components)
        if not 1 <= k <= X.shape[1]:
            raise InputError(f"n_components must be in [1, {X.shape[1]}], got {self.n_components}")
        rng = np.random.default_rng(self.seed)
        self.mean_ = X.mean(axis=0)
        Xc = X - self.mean_
        # Step size relative to the input power keeps lr scale-free across datasets.
        scale = lr / max(float(np.mean(np.sum(Xc ** 2, axis=1))), 1e-12)
        W = rng.normal(size=(X.shape[1], k))
        W /= np.linalg.norm(W, axis=0)
        bs = int(self.batch_size)
        for epoch in range(int(self.n_epochs)):
            step = scale / (1.0 + epoch / 10.0)  # annealed so the weights settle
            order = rng.permutation(len(Xc))
            for start in range(0, len(Xc), bs):
                x = Xc[order[start:start + bs]]
                y = x @ W
                W += step * (x.T @ y - W @ np.triu(y.T @ y)) / len(x)
        self.components_ = W.T.copy()
        CW = Xc.T @ (Xc @ W) / len(Xc)  # covariance times each vector, without forming C
        cos = np.abs(np.sum(W * CW, axis=0)) / np.maximum(np.linalg.norm(W, axis=0) * np.linalg.norm(CW, axis=0), 1e-300)
        self.eigen_residual_ = np.sqrt(np.clip(1.0 - cos ** 2, 0.0, 1.0))
        self.converged_ = bool(self.eigen_residual_.max() < self.tol)
        if not self.converged_:
            _warn(f"OjaPCA did not converge: the learned vectors are {self.eigen_residual_.max():.2g} (sine of the "
                  f"angle to C w) from a principal axis (tol {self.tol:g}); raise n_epochs (now {self.n_epochs}) or "
                  f"learning_rate (now {self.learning_rate:g})")
        return self

    def transform(self, X) -> np.ndarray:
        """Project ``X (samples, features)`` onto the learned components."""
        if not hasattr(self, "components_"):
            raise InputError("this OjaPCA is not fitted yet; call fit(X) first")
        X = check_array(X, "X (samples, features)", ndim=2)
        return (X - self.mean_) @ self.components_.T


class BCM:
    """Bienenstock-Cooper-Munro neurons with a sliding modification threshold.

    Each neuron sees one input pattern per step (drawn at random) and responds
    ``y = max(w . x, 0)``; ``dw = lr * x * y * (y - theta)``, and ``theta`` tracks the
    running mean of ``y**2`` with time constant ``tau_theta`` (steps). Signals:
    presynaptic input, postsynaptic response and the neuron's own activity history:
    local. With linearly independent patterns each neuron ends up responding to one of them.

    Parameters
    ----------
    n_neurons : int
        Independent neurons (different initial weights and input sequences).
    learning_rate : float
    tau_theta : float
        Threshold time constant in steps (faster than learning keeps it stable).
    n_steps : int
    seed : int
    scale_inputs : bool
        Learn on the patterns divided by their RMS norm (default), so that the rule behaves the
        same for rates in Hz (~10) as for rates of order 1; ``weights_`` are returned for the
        patterns as given. Without it, rate-scale inputs make every update overshoot and BCM
        silences every neuron.

    Attributes
    ----------
    weights_ : ndarray, shape (n_neurons, inputs)
        For the patterns as given (responses ``max(weights_ @ x, 0)``).
    input_scale_ : float
        The RMS pattern norm the patterns were divided by (1 without ``scale_inputs``).
    n_silent_ : int
        Neurons that respond to no pattern at the end (a ``RuntimeWarning`` says so).

    Notes
    -----
    The default ``learning_rate`` 0.02 applies to RMS-normalised patterns; it made every neuron
    selective (selectivity > 0.7) on 4 random and 5 near-orthogonal patterns at any input scale,
    where 0.05 and above silence neurons.
    theta_ : ndarray, shape (n_neurons,)
    responses_ : ndarray, shape (n_neurons, patterns)
        Final response of each neuron to each pattern.
    selectivity_ : ndarray, shape (n_neurons,)
        ``1 - mean response / max response`` (Bienenstock et al. 1982): 0 for equal
        responses, ``1 - 1/patterns`` for a neuron that answers one pattern only.
    """

    def __init__(self, n_neurons: int = 10, learning_rate: float = 0.02, tau_theta: float = 10.0,
                 n_steps: int = 20000, seed: int = 0, scale_inputs: bool = True):
        self.scale_inputs = scale_inputs
        self.n_neurons = n_neurons
        self.learning_rate = learning_rate
        self.tau_theta = tau_theta
        self.n_steps = n_steps
        self.seed = seed

    def fit(self, patterns) -> BCM:
        """Learn from ``patterns (n_patterns, inputs)`` (non-negative rates); returns self."""
        P = check_array(patterns, "patterns (patterns, inputs)", ndim=2, min_len=2)
        if (P < 0).any():
            raise InputError("patterns must be non-negative firing rates")
        lr = check_positive(self.learning_rate, "learning_rate")
        tau = check_positive(self.tau_theta, "tau_theta")
        n = int(self.n_neurons)
        rng = np.random.default_rng(self.seed)
        s = float(np.sqrt(np.mean(np.sum(P ** 2, axis=1)))) if self.scale_inputs else 1.0
        s = s if s > 0 else 1.0
        original, P = P, P / s
        w = rng.uniform(0.0, 1.0, (n, P.shape[1])) / P.shape[1]
        theta = np.full(n, np.mean((w @ P.T) ** 2))
        for _ in range(int(self.n_steps)):
            x = P[rng.integers(len(P), size=n)]
            y = np.maximum(np.einsum("ni,ni->n", w, x), 0.0)
            w += lr * x * (y * (y - theta))[:, None]
            theta += (y * y - theta) / tau
        self.weights_, self.theta_, self.input_scale_ = w / s, theta, s
        self.responses_ = np.maximum(self.weights_ @ original.T, 0.0)
        mx = self.responses_.max(axis=1)
        self.selectivity_ = np.where(mx > 0, 1.0 - self.responses_.mean(axis=1) / np.where(mx > 0, mx, 1), 0.0)
        self.n_silent_ = int((mx <= 0).sum())
        if self.n_silent_:
            _warn(f"BCM: {self.n_silent_} of {n} neurons respond to no pattern (silenced); lower learning_rate "
                  f"(now {self.learning_rate:g}){'' if self.scale_inputs else ' or set scale_inputs=True'}",
                  RuntimeWarning)
        return self


def _warn(message: str, category=None) -> None:
    import warnings

    if category is None:
        from sklearn.exceptions import ConvergenceWarning as category
    warnings.warn(message, category, stacklevel=3)
