"""Kalman observers: linear-Gaussian state-space filtering of a moving stimulus.

A Kalman observer tracks a latent stimulus ``x_t = A x_{t-1} + w_t`` (``w ~ N(0, Q)``)
from measurements ``y_t = C x_t + v_t`` (``v ~ N(0, R)``). :func:`kalman_filter` gives
the filtered means, covariances and the log-likelihood of the measurements (sum of the
innovations' Gaussian log densities); :func:`steady_state_gain` the gain the filter
converges to, from the discrete algebraic Riccati equation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg

from .._utils.errors import InputError
from .._utils.validation import check_array


@dataclass(frozen=True)
class KalmanFiltered:
    """Output of :func:`kalman_filter`.

    Attributes
    ----------
    mean : ndarray, shape (time, state_dim)
        Filtered state means ``E[x_t | y_1..y_t]``.
    cov : ndarray, shape (time, state_dim, state_dim)
        Filtered covariances.
    gain : ndarray, shape (time, state_dim, obs_dim)
        Kalman gain used at each step.
    loglik : float
        ``log p(y_1..y_T)`` (natural log).
    """

    mean: np.ndarray
    cov: np.ndarray
    gain: np.ndarray
    loglik: float


def _matrices(A, C, Q, R, m0, P0):
    A = np.atleast_2d(np.asarray(A, float))
    d = A.shape[0]
    C = np.atleast_2d(np.asarray(C, float))
    Q, R = np.atleast_2d(np.asarray(Q, float)), np.atleast_2d(np.asarray(R, float))
    m0 = np.atleast_1d(np.asarray(m0, float))
    P0 = np.atleast_2d(np.asarray(P0, float))
    p = C.shape[0]
    shapes = {"A": (A.shape, (d, d)), "C": (C.shape, (p, d)), "Q": (Q.shape, (d, d)), "R": (R.shape, (p, p)),
              "initial mean": (m0.shape, (d,)), "initial cov": (P0.shape, (d, d))}
    for name, (got, want) in shapes.items():
        if got != want:
            raise InputError(f"Kalman observer: {name} has shape {got}, expected {want}")
    for name, M in (("Q", Q), ("R", R), ("initial cov", P0)):
        if not np.all(np.isfinite(M)) or np.any(np.linalg.eigvalsh((M + M.T) / 2) < -1e-12):
            raise InputError(f"Kalman observer: {name} must be a finite positive semi-definite covariance")
    return A, C, Q, R, m0, P0


def kalman_filter(y, A, C, Q, R, initial_mean, initial_cov) -> KalmanFiltered:
    """Filter measurements ``y`` with a linear-Gaussian state-space model.

    Parameters
    ----------
    y : array_like, shape (time,) or (time, obs_dim)
        Measurements.
    A : array_like, shape (state_dim, state_dim)
        Transition matrix.
    C : array_like, shape (obs_dim, state_dim)
        Measurement matrix.
    Q, R : array_like, shapes (state_dim, state_dim) and (obs_dim, obs_dim)
        Process and measurement noise covariances.
    initial_mean, initial_cov : array_like, shapes (state_dim,) and (state_dim, state_dim)
        Prior of the first state (before the first measurement), as in pykalman.

    Returns
    -------
    KalmanFiltered
    """
    A, C, Q, R, m, P = _matrices(A, C, Q, R, initial_mean, initial_cov)
    Y = check_array(y, "measurements y", ndim=(1, 2), min_len=1)
    Y = Y[:, None] if Y.ndim == 1 else Y
    if Y.shape[1] != C.shape[0]:
        raise InputError(f"measurements have {Y.shape[1]} dimensions, C expects {C.shape[0]}")
    T, d, p = len(Y), A.shape[0], C.shape[0]
    means, covs, gains = np.empty((T, d)), np.empty((T, d, d)), np.empty((T, d, p))
    loglik = 0.0
    for t in range(T):
        if t > 0:
            m, P = A @ m, A @ P @ A.T + Q
        S = C @ P @ C.T + R
        innov = Y[t] - C @ m
        cho = linalg.cho_factor(S)
        K = linalg.cho_solve(cho, C @ P.T).T
        loglik -= 0.5 * (innov @ linalg.cho_solve(cho, innov) + 2 * np.log(np.diag(cho[0])).sum()
                         + p * np.log(2 * np.pi))
        m = m + K @ innov
        P = P - K @ C @ P
        P = (P + P.T) / 2
        means[t], covs[t], gains[t] = m, P, K
    return KalmanFiltered(mean=means, cov=covs, gain=gains, loglik=float(loglik))


def steady_state_gain(A, C, Q, R) -> np.ndarray:
    """Steady-state Kalman gain from the discrete algebraic Riccati equation.

    Solves ``P = A P A' - A P C' (C P C' + R)^-1 C P A' + Q`` for the predicted
    covariance ``P`` (``scipy.linalg.solve_discrete_are`` on the dual system) and
    returns ``K = P C' (C P C' + R)^-1``, shape ``(state_dim, obs_dim)``.

    Parameters
    ----------
    A : array_like, shape (state_dim, state_dim)
        Transition matrix.
    C : array_like, shape (obs_dim, state_dim)
        Measurement matrix.
    Q, R : array_like, shapes (state_dim, state_dim) and (obs_dim, obs_dim)
        Process and measurement noise covariances.

    Returns
    -------
    ndarray, shape (state_dim, obs_dim)
    """
    d = np.atleast_2d(np.asarray(A, float)).shape[0]
    A, C, Q, R, _, _ = _matrices(A, C, Q, R, np.zeros(d), np.eye(d))
    try:
        P = linalg.solve_discrete_are(A.T, C.T, Q, R)
    except (linalg.LinAlgError, ValueError) as exc:
        raise InputError(f"no steady state for this Kalman observer ({exc}); the model must be "
                         "detectable and stabilisable") from None
    return P @ C.T @ np.linalg.inv(C @ P @ C.T + R)


def random_walk_gains(n_steps: int, process_sd: float, measurement_sd: float) -> np.ndarray:
    """Gains of a 1-D random-walk Kalman observer that trusts its first measurement fully.

    The predicted variance before the first measurement is infinite (``K_1 = 1``), then
    ``P_pred = P + q``, ``K = P_pred / (P_pred + r)``, ``P = (1 - K) P_pred``.

    Parameters
    ----------
    n_steps : int
        Number of measurements.
    process_sd, measurement_sd : float
        SDs of the random-walk steps and of the measurement noise, in the stimulus units
        (``q = process_sd**2``, ``r = measurement_sd**2``).

    Returns
    -------
    ndarray, shape (n_steps,)
    """
    q, r = float(process_sd) ** 2, float(measurement_sd) ** 2
    K = np.empty(int(n_steps))
    if len(K) == 0:
        return K
    K[0], P = 1.0, r  # infinite prior variance: the first measurement is taken as it is
    for t in range(1, len(K)):
        P_pred = P + q
        K[t] = P_pred / (P_pred + r)
        P = (1 - K[t]) * P_pred
    return K
