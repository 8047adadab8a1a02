"""Kalman filter decoder (Wu et al. 2003) whose predictions use neural data only.

State ``x_t`` = behaviour (outputs), observation ``z_t`` = neural features::

    x_t = A x_{t-1} + w_t,   w_t ~ N(0, W)
    z_t = H x_t + q_t,       q_t ~ N(0, Q)

(with means removed: both equations hold for centred ``x`` and ``z``). ``A, W, H, Q``
are least-squares estimates from training data. At prediction time the filter starts
from the training mean and covariance of the state, not from the test behaviour
(Neural_Decoding's ``KalmanFilterRegression.predict`` reads the first test output).
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin

from .._utils.errors import InputError
from ._common import MultiOutputMixin, restore_shape, validate_fit, validate_predict


def _lstsq_cov(resid: np.ndarray, n: int) -> np.ndarray:
    return resid.T @ resid / max(n, 1)


class KalmanFilterDecoder(MultiOutputMixin, RegressorMixin, BaseEstimator):
    """Kalman filter decoder, parameters by least squares, steady-state option.

    Parameters
    ----------
    noise_scale : float
        Divides the state-noise covariance ``W`` (Neural_Decoding's ``C``): values > 1
        trust the dynamics more and smooth more. 1 is the maximum-likelihood fit.
    steady_state : bool
        Use the constant (steady-state) Kalman gain from the discrete algebraic Riccati
        equation instead of the time-varying gain; faster for long recordings and equal
        to the full filter once its covariance has converged.
    reg : float
        Ridge added to ``Q`` as ``reg * mean(diag(Q)) * I``; 0 by default. Keeps ``Q``
        invertible when features are collinear (e.g. overlapping lags).

    Attributes
    ----------
    A_ : ndarray, shape (outputs, outputs)       state transition
    W_ : ndarray, shape (outputs, outputs)       state noise covariance (after ``noise_scale``)
    H_ : ndarray, shape (features, outputs)      observation matrix
    Q_ : ndarray, shape (features, features)     observation noise covariance
    state_mean_ : ndarray, shape (outputs,)      training mean of the state
    feature_mean_ : ndarray, shape (features,)
    initial_state_covariance_ : ndarray, shape (outputs, outputs)
        Covariance of the training states, the prior of the first predicted state.
    transition_offset_, observation_offset_ : ndarray
        Offsets of the same model written on raw (uncentred) data:
        ``x_t = A x_{t-1} + transition_offset_``, ``z_t = H x_t + observation_offset_``.
    gain_ : ndarray, shape (outputs, features)   steady-state gain (``steady_state=True``)
    """

    def __init__(self, noise_scale=1.0, steady_state=False, reg=0.0):
        self.noise_scale = noise_scale
        self.steady_state = steady_state
        self.reg = reg

    def fit(self, X, y, sample_index=None):
        """Estimate ``A, W, H, Q`` by least squares.

        Parameters
        ----------
        X : array_like, shape (samples, features)
            Neural features, time-ordered.
        y : array_like, shape (samples,) or (samples, outputs)
            Behaviour (the state).
        sample_index : array_like of int, optional
            Time index of each sample. Transition pairs ``(t-1, t)`` are used only where
            the indices are consecutive, so a cross-validation fold's hole (or a gap of
            dropped samples) is not mistaken for one time step.
        """
        X, y, self._y_1d = validate_fit(self, X, y)
        if not (np.isfinite(self.noise_scale) and self.noise_scale > 0):
            raise InputError(f"noise_scale must be > 0, got {self.noise_scale!r}")
        if self.reg < 0:
            raise InputError(f"reg must be >= 0, got {self.reg!r}")
        n = len(X)
        idx = np.arange(n) if sample_index is None else np.asarray(sample_index)
        if len(idx) != n:
            raise InputError(f"sample_index has {len(idx)} entries for {n} samples")
        self.state_mean_ = y.mean(axis=0)
        self.feature_mean_ = X.mean(axis=0)
        xs = y - self.state_mean_
        zs = X - self.feature_mean_
        consecutive = np.flatnonzero(np.diff(idx) == 1)
        if len(consecutive) < 1:
            raise InputError("the Kalman filter needs consecutive time samples to fit its dynamics")
        x1, x2 = xs[consecutive], xs[consecutive + 1]
        # A = X2 X1^T (X1 X1^T)^-1 in column-state notation; lstsq is the stable spelling
        self.A_ = np.linalg.lstsq(x1, x2, rcond=None)[0].T
        resid = x2 - x1 @ self.A_.T
        self.W_ = _lstsq_cov(resid, len(consecutive)) / float(self.noise_scale)
        self.H_ = np.linalg.lstsq(xs, zs, rcond=None)[0].T
        rz = zs - xs @ self.H_.T
        Q = _lstsq_cov(rz, n)
        if self.reg > 0:
            Q = Q + self.reg * max(float(np.mean(np.diag(Q))), 1e-12) * np.eye(len(Q))
        self.Q_ = Q
        self.initial_state_covariance_ = _lstsq_cov(xs, n)
        k = len(self.A_)
        self.transition_offset_ = (np.eye(k) - self.A_) @ self.state_mean_
        self.observation_offset_ = self.feature_mean_ - self.H_ @ self.state_mean_
        if self.steady_state:
            self.prior_covariance_ss_ = self._steady_prior()
            P = self.prior_covariance_ss_
            S = self.H_ @ P @ self.H_.T + self.Q_
            self.gain_ = P @ self.H_.T @ np.linalg.pinv(S, hermitian=True)
        return self

    def _steady_prior(self) -> np.ndarray:
        """Converged one-step prior covariance, from the DARE (Riccati iteration if that fails)."""
        from scipy.linalg import solve_discrete_are

        A, W, H, Q = self.A_, self.W_, self.H_, self.Q_
        try:
            P = solve_discrete_are(A.T, H.T, W, Q)
            if np.all(np.isfinite(P)):
                return (P + P.T) / 2
        except (np.linalg.LinAlgError, ValueError):
            pass
        P = self.initial_state_covariance_.copy()
        for _ in range(100_000):
            S = H @ P @ H.T + Q
            K = P @ H.T @ np.linalg.pinv(S, hermitian=True)
            P_new = A @ (P - K @ H @ P) @ A.T + W
            if np.max(np.abs(P_new - P)) <= 1e-13 * max(1.0, np.max(np.abs(P))):
                return (P_new + P_new.T) / 2
            P = P_new
        raise InputError("the Kalman filter's Riccati recursion did not converge; "
                         "use steady_state=False")

    def _information_terms(self):
        """``H^T Q^-1`` (outputs, features) and ``H^T Q^-1 H``, or None if Q is not positive definite."""
        from scipy.linalg import LinAlgError, cho_factor, cho_solve

        if np.linalg.cond(self.Q_) > 1e10:  # (near-)singular: duplicated or constant features
            return None
        try:
            c = cho_factor(self.Q_, lower=True, check_finite=False)
        except LinAlgError:
            return None
        HtQi = cho_solve(c, self.H_, check_finite=False).T
        return HtQi, HtQi @ self.H_

    def predict(self, X):
        """Filtered state estimate ``E[x_t | z_1..z_t]`` for each time-ordered sample.

        The gain is computed in information form (matrix inversion lemma),
        ``K = (I + P H^T Q^-1 H)^-1 P H^T Q^-1``, so each step costs
        ``outputs x outputs`` work however many features there are; it is algebraically
        the textbook ``P H^T (H P H^T + Q)^-1``, which is used (with a pseudo-inverse) if
        ``Q`` is singular, e.g. for duplicated features.

        Parameters
        ----------
        X : array_like, shape (samples, features)
            Neural features of one contiguous stretch of time, in order.

        Returns
        -------
        ndarray, shape (samples,) or (samples, outputs)
        """
        X = validate_predict(self, X)
        zs = X - self.feature_mean_
        A, W, H, Q = self.A_, self.W_, self.H_, self.Q_
        k = len(A)
        out = np.empty((len(zs), k))
        x_prior = np.zeros(k)  # centred training mean
        if self.steady_state:
            G = self.gain_
            for t in range(len(zs)):
                x_post = x_prior + G @ (zs[t] - H @ x_prior)
                out[t] = x_post
                x_prior = A @ x_post
            return restore_shape(out + self.state_mean_, self._y_1d)
        P_prior = self.initial_state_covariance_.copy()
        eye = np.eye(k)
        info = self._information_terms()
        if info is not None:
            HtQi, M = info
            U = zs @ HtQi.T  # H^T Q^-1 z_t for every t in one product
            for t in range(len(zs)):
                P_post = np.linalg.solve(eye + P_prior @ M, P_prior)
                x_post = x_prior + P_post @ (U[t] - M @ x_prior)
                out[t] = x_post
                x_prior = A @ x_post
                P_prior = A @ P_post @ A.T + W
        else:
            for t in range(len(zs)):
                S = H @ P_prior @ H.T + Q
                # pseudo-inverse: S is singular exactly when features are redundant, and the
                # innovation then lies in S's range, so this is the exact filter
                K = P_prior @ H.T @ np.linalg.pinv(S, hermitian=True)
                x_post = x_prior + K @ (zs[t] - H @ x_prior)
                P_post = (eye - K @ H) @ P_prior
                out[t] = x_post
                x_prior = A @ x_post
                P_prior = A @ P_post @ A.T + W
        return restore_shape(out + self.state_mean_, self._y_1d)
