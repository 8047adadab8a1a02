"""Kalman filter decoder (Wu et al. 2003) whose predictions use neural data only.

State ``x_t`` = behaviour (outputs), observation ``z_t`` = neural features::

    x_t = A x_{t-1} + w_t,   w_t ~ N(0, W)
    z_t = H x_t + q_t,       q_t ~ N(0, Q)

with or without offsets (see :class:`KalmanFilterDecoder`); ``A, W, H, Q`` are
least-squares estimates from training data. At prediction time the filter starts
from the training mean and covariance of the state, not from the test behaviour
(Neural_Decoding's ``KalmanFilterRegression.predict`` reads the first test output).
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin

from .._utils.errors import InputError
from ._common import MultiOutputMixin, resolve_validation_gap, restore_shape, validate_fit, validate_predict


def _lstsq_cov(resid: np.ndarray, n: int) -> np.ndarray:
    return resid.T @ resid / max(n, 1)


DEFAULT_REGS = (0.0, 0.01, 0.03, 0.1, 0.3, 1.0)


class KalmanFilterDecoder(MultiOutputMixin, RegressorMixin, BaseEstimator):
    """Kalman filter decoder, parameters by least squares, steady-state option.

    Two variants of the linear-Gaussian model are fitted:

    * ``offsets=True``: means are removed, so both equations carry an offset
      (``x_t = A x_{t-1} + b + w_t``, ``z_t = H x_t + d + q_t``);
    * ``offsets=False``: the model of Wu et al. (2003) and Neural_Decoding, fitted on raw
      data without offsets. ``Q`` then also holds the part of the mean firing that ``H x``
      does not explain, which makes the filter discount the direction of overall
      population rate; on real recordings whose rates drift this often decodes better.

    With ``"auto"`` (the default) the variant and the ridge ``reg`` on ``Q`` are chosen on
    ``n_validation_blocks`` contiguous validation blocks inside the training data (blocked
    K-fold with ``validation_gap``), scored with the steady-state filter (fast, and equal
    to the full filter once its covariance has converged), then the chosen model is
    refitted on all training data. Test data is never seen.

    Parameters
    ----------
    noise_scale : float
        Divides the state-noise covariance ``W`` (Neural_Decoding's ``C``): values > 1
        trust the dynamics more and smooth more. 1 is the maximum-likelihood fit.
    steady_state : bool
        Use the constant (steady-state) Kalman gain from the discrete algebraic Riccati
        equation instead of the time-varying gain; faster for long recordings and equal
        to the full filter once its covariance has converged.
    reg : float or "auto"
        Ridge added to ``Q`` as ``reg * mean(diag(Q)) * I`` (shrinkage towards a scaled
        identity). Keeps ``Q`` invertible when features are collinear (overlapping lags)
        and steadies it when there are many features. ``"auto"`` picks it from ``regs``.
    offsets : bool or "auto"
        Fit the model with offsets (centred) or without (Wu et al. 2003), see above.
    regs : sequence of float
        Candidates for ``reg="auto"``.
    validation_gap : int or "auto"
        Samples dropped between inner fit and validation blocks. ``"auto"`` (default): the
        spike-history window's length, read from the lag-major design
        (:func:`~neurodiscovery.decoding.infer_n_lags`).
    n_validation_blocks : int
        Number of inner validation blocks for the ``"auto"`` choices.

    Attributes
    ----------
    A_ : ndarray, shape (outputs, outputs)       state transition
    W_ : ndarray, shape (outputs, outputs)       state noise covariance (after ``noise_scale``)
    H_ : ndarray, shape (features, outputs)      observation matrix
    Q_ : ndarray, shape (features, features)     observation noise covariance (after ``reg``)
    offsets_ : bool                              the variant used
    reg_ : float                                 the ridge used
    validation_r2_ : dict or None
        Mean inner-validation R^2 per ``(offsets, reg)`` tried (``"auto"`` only).
    state_mean_ : ndarray, shape (outputs,)      training mean of the state
    feature_mean_ : ndarray, shape (features,)
    initial_state_mean_ : ndarray, shape (outputs,)
        Prior mean of the first predicted state: the training mean (``offsets=True``) or
        zero (``offsets=False``, the model has no offset).
    initial_state_covariance_ : ndarray, shape (outputs, outputs)
        Second moment of the training states about ``initial_state_mean_``, the prior
        covariance of the first predicted state.
    transition_offset_, observation_offset_ : ndarray
        Offsets of the model written on raw data:
        ``x_t = A x_{t-1} + transition_offset_``, ``z_t = H x_t + observation_offset_``
        (zero when ``offsets_`` is False).
    gain_ : ndarray, shape (outputs, features)   steady-state gain (``steady_state=True``)
    """

    def __init__(self, noise_scale=1.0, steady_state=False, reg="auto", offsets=False,
                 regs=DEFAULT_REGS, validation_gap="auto", n_validation_blocks=3):
        self.noise_scale = noise_scale
        self.steady_state = steady_state
        self.reg = reg
        self.offsets = offsets
        self.regs = regs
        self.validation_gap = validation_gap
        self.n_validation_blocks = n_validation_blocks

    def _candidates(self):
        if isinstance(self.offsets, str):
            if self.offsets != "auto":
                raise InputError(f"offsets must be True, False or 'auto', got {self.offsets!r}")
            offs = (True, False)
        else:
            offs = (bool(self.offsets),)
        if isinstance(self.reg, str):
            if self.reg != "auto":
                raise InputError(f"reg must be a number >= 0 or 'auto', got {self.reg!r}")
            regs = tuple(float(r) for r in np.atleast_1d(np.asarray(self.regs, dtype=float)))
            if len(regs) == 0 or not all(np.isfinite(r) and r >= 0 for r in regs):
                raise InputError("regs must be a non-empty sequence of numbers >= 0")
        else:
            r = float(self.reg)
            if not (np.isfinite(r) and r >= 0):
                raise InputError(f"reg must be >= 0, got {self.reg!r}")
            regs = (r,)
        return [(o, r) for o in offs for r in regs]

    def fit(self, X, y, sample_index=None):
        """Estimate ``A, W, H, Q`` by least squares (choosing the variant and ridge if "auto").

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
        n = len(X)
        idx = np.arange(n) if sample_index is None else np.asarray(sample_index)
        if len(idx) != n:
            raise InputError(f"sample_index has {len(idx)} entries for {n} samples")
        if len(np.flatnonzero(np.diff(idx) == 1)) < 1:
            raise InputError("the Kalman filter needs consecutive time samples to fit its dynamics")
        candidates = self._candidates()
        self.validation_r2_ = None
        self.validation_gap_ = resolve_validation_gap(self.validation_gap, X, idx)
        # without usable validation blocks: the requested variant (offsets if "auto"), no ridge
        best = (candidates[0][0] if not isinstance(self.offsets, str) else True,
                candidates[0][1] if not isinstance(self.reg, str) else 0.0)
        if len(candidates) > 1:
            scores = self._validation_scores(X, y, idx, candidates)
            if scores is not None:
                self.validation_r2_ = dict(zip(candidates, scores.tolist()))
                best = candidates[int(np.argmax(scores))]
        self.offsets_, self.reg_ = bool(best[0]), float(best[1])
        fitted = _fit_model(X, y, idx, self.offsets_, self.reg_, float(self.noise_scale))
        for key, val in fitted.items():
            setattr(self, key, val)
        if self.steady_state:
            self.prior_covariance_ss_ = self._steady_prior()
            self.gain_ = _gain(self.prior_covariance_ss_, self.H_, self.Q_)
        return self

    def _validation_scores(self, X, y, idx, candidates):
        """Mean R^2 of each candidate over the inner validation blocks (None if too short)."""
        from ..data.splits import blocked_kfold

        if self.n_validation_blocks < 2:
            raise InputError(f"n_validation_blocks must be >= 2, got {self.n_validation_blocks!r}")
        try:
            splits = blocked_kfold(len(X), int(self.n_validation_blocks), int(self.validation_gap_))
        except InputError:
            return None
        scores = np.zeros(len(candidates))
        for fit_pos, val_pos in splits:
            if len(fit_pos) < 4 * X.shape[1] or len(val_pos) < 10:
                return None  # too little data for the inner fits to mean anything
            yv = y[val_pos]
            ss_tot = ((yv - yv.mean(axis=0)) ** 2).sum(axis=0)
            ss_tot = np.where(ss_tot > 0, ss_tot, 1.0)
            base = {}  # one least-squares fit per variant; the ridge only changes Q
            for c, (off, reg) in enumerate(candidates):
                if off not in base:
                    try:
                        base[off] = _fit_model(X[fit_pos], y[fit_pos], idx[fit_pos], off, 0.0,
                                               float(self.noise_scale))
                    except (InputError, np.linalg.LinAlgError):
                        base[off] = None  # e.g. no consecutive pairs in this inner block
                m = base[off]
                r2 = -np.inf
                if m is not None:
                    try:
                        Q = _ridge(m["Q_"], reg)
                        P = _riccati(m["A_"], m["W_"], m["H_"], Q, m["initial_state_covariance_"])
                        pred = _steady_filter(X[val_pos] - m["_cz"], m["A_"], m["H_"],
                                              _gain(P, m["H_"], Q))
                        r2 = np.mean(1 - ((yv - pred - m["_cx"]) ** 2).sum(axis=0) / ss_tot)
                    except (InputError, np.linalg.LinAlgError):
                        pass
                scores[c] += r2 / len(splits)
        return scores if np.any(np.isfinite(scores)) else None

    def _steady_prior(self) -> np.ndarray:
        """Converged one-step prior covariance (DARE, Riccati iteration if that fails)."""
        return _riccati(self.A_, self.W_, self.H_, self.Q_, self.initial_state_covariance_)

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
        zs = X - self._cz
        A, W, H, Q = self.A_, self.W_, self.H_, self.Q_
        k = len(A)
        out = np.empty((len(zs), k))
        x_prior = np.zeros(k)  # initial_state_mean_ in shifted coordinates
        if self.steady_state:
            return restore_shape(_steady_filter(zs, A, H, self.gain_) + self._cx, self._y_1d)
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
        return restore_shape(out + self._cx, self._y_1d)


def _fit_model(X, y, idx, offsets: bool, reg: float, noise_scale: float) -> dict:
    """Least-squares ``A, W, H, Q`` of one model variant; returns the fitted attributes."""
    state_mean = y.mean(axis=0)
    feature_mean = X.mean(axis=0)
    cx = state_mean if offsets else np.zeros_like(state_mean)
    cz = feature_mean if offsets else np.zeros_like(feature_mean)
    xs, zs = y - cx, X - cz
    n = len(X)
    consecutive = np.flatnonzero(np.diff(idx) == 1)
    if len(consecutive) < 1:
        raise InputError("the Kalman filter needs consecutive time samples to fit its dynamics")
    x1, x2 = xs[consecutive], xs[consecutive + 1]
    # A = X2 X1^T (X1 X1^T)^-1 in column-state notation; lstsq is the stable spelling
    A = np.linalg.lstsq(x1, x2, rcond=None)[0].T
    resid = x2 - x1 @ A.T
    W = _lstsq_cov(resid, len(consecutive)) / noise_scale
    H = np.linalg.lstsq(xs, zs, rcond=None)[0].T
    rz = zs - xs @ H.T
    Q = _ridge(_lstsq_cov(rz, n), reg)
    k = len(A)
    return {
        "A_": A, "W_": W, "H_": H, "Q_": Q,
        "state_mean_": state_mean, "feature_mean_": feature_mean,
        "initial_state_mean_": cx.copy(),
        "initial_state_covariance_": _lstsq_cov(xs, n),
        "transition_offset_": (np.eye(k) - A) @ cx,
        "observation_offset_": cz - H @ cx,
        "_cx": cx, "_cz": cz,
    }


def _ridge(Q: np.ndarray, reg: float) -> np.ndarray:
    """``Q + reg * mean(diag(Q)) * I`` (shrinkage towards a scaled identity)."""
    if reg <= 0:
        return Q
    return Q + reg * max(float(np.mean(np.diag(Q))), 1e-12) * np.eye(len(Q))


def _gain(P: np.ndarray, H: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """Kalman gain ``P H^T (H P H^T + Q)^+`` for prior covariance ``P``."""
    S = H @ P @ H.T + Q
    return P @ H.T @ np.linalg.pinv(S, hermitian=True)


def _riccati(A, W, H, Q, P0) -> np.ndarray:
    """Converged one-step prior covariance, from the DARE (Riccati iteration if that fails)."""
    from scipy.linalg import solve_discrete_are

    try:
        P = solve_discrete_are(A.T, H.T, W, Q)
        if np.all(np.isfinite(P)):
            return (P + P.T) / 2
    except (np.linalg.LinAlgError, ValueError):
        pass
    P = P0.copy()
    for _ in range(100_000):
        K = _gain(P, H, Q)
        P_new = A @ (P - K @ H @ P) @ A.T + W
        if np.max(np.abs(P_new - P)) <= 1e-13 * max(1.0, np.max(np.abs(P))):
            return (P_new + P_new.T) / 2
        P = P_new
    raise InputError("the Kalman filter's Riccati recursion did not converge; "
                     "use steady_state=False")


def _steady_filter(zs: np.ndarray, A: np.ndarray, H: np.ndarray, G: np.ndarray) -> np.ndarray:
    """Steady-state filter from a zero prior mean: ``x_t = F x_{t-1} + G z_t``, ``F = (I - G H) A``.

    The recursion runs on the ``outputs``-dimensional state; ``G z_t`` for all ``t`` is
    one matrix product.
    """
    k = len(A)
    F = (np.eye(k) - G @ H) @ A
    U = zs @ G.T
    fast = _modal_recursion(F, U)
    if fast is not None:
        return fast
    out = np.empty_like(U)
    x = np.zeros(k)
    for t in range(len(U)):
        x = F @ x + U[t]
        out[t] = x
    return out


def _modal_recursion(F: np.ndarray, U: np.ndarray) -> np.ndarray | None:
    """``x_t = F x_{t-1} + U_t`` from ``x_{-1} = 0`` as one first-order IIR filter per eigenmode of ``F``.

    In the eigenbasis ``F = P diag(lam) P^-1`` the state's modes evolve independently, so the
    time loop runs in compiled code (:func:`scipy.signal.lfilter`). None when ``F`` is not
    safely diagonalisable (nearly repeated eigenvalues): the caller then loops in Python.
    """
    from scipy.signal import lfilter

    lam, P = np.linalg.eig(F)
    if not np.all(np.isfinite(lam)) or np.linalg.cond(P) > 1e6:
        return None
    W = np.linalg.solve(P, U.T.astype(complex))          # (modes, time)
    for i, li in enumerate(lam):
        W[i] = lfilter([1.0], [1.0, -li], W[i])
    return np.real(P @ W).T
