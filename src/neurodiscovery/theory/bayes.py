"""Closed-form Gaussian inference: sequential conjugate updating and cue combination.

All functions are vectorised over trials; variances add, precisions add, and the
posterior mean is the precision-weighted average of the prior mean and the data
(Ernst & Banks 2002 for cues).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError
from .._utils.validation import check_array


def _positive(value, name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise InputError(f"{name} must be finite and > 0 (a standard deviation), got {value!r}")
    return arr


@dataclass(frozen=True)
class GaussianBelief:
    """Belief after each observation of a sequence.

    Attributes
    ----------
    mean, sd : ndarray, shape (..., trials)
        Posterior mean and SD of the latent mean after observations ``0..t``.
    predictive_mean, predictive_sd : ndarray, shape (..., trials)
        Distribution of observation ``t + 1`` given observations ``0..t``
        (posterior mean; posterior variance plus observation noise).
    """

    mean: np.ndarray
    sd: np.ndarray
    predictive_mean: np.ndarray
    predictive_sd: np.ndarray


def update_gaussian_belief(observations, prior_mean: float, prior_sd: float, noise_sd: float) -> GaussianBelief:
    """Sequential conjugate updating of a Gaussian belief about a fixed latent mean.

    After ``n`` observations ``x_1..x_n ~ N(mu, noise_sd**2)`` with prior ``mu ~
    N(prior_mean, prior_sd**2)``: precision ``1/prior_sd**2 + n/noise_sd**2`` and mean
    ``(prior_mean/prior_sd**2 + sum(x)/noise_sd**2) / precision``, computed for every
    ``n`` at once with cumulative sums.

    Parameters
    ----------
    observations : array_like, shape (..., trials)
        Observations in order along the last axis (several sequences on leading axes).
    prior_mean, prior_sd, noise_sd : float
        Prior and observation-noise parameters (stimulus units).

    Returns
    -------
    GaussianBelief
    """
    x = check_array(observations, "observations", ndim=None)
    if x.ndim == 0 or x.shape[-1] == 0:
        raise InputError("observations must hold at least one trial along the last axis")
    p0, s = _positive(prior_sd, "prior_sd"), _positive(noise_sd, "noise_sd")
    n = np.arange(1, x.shape[-1] + 1)
    precision = 1.0 / p0**2 + n / s**2
    mean = (prior_mean / p0**2 + np.cumsum(x, axis=-1) / s**2) / precision
    sd = np.broadcast_to(np.sqrt(1.0 / precision), mean.shape)
    return GaussianBelief(mean=mean, sd=sd.copy(), predictive_mean=mean.copy(),
                          predictive_sd=np.sqrt(sd**2 + s**2))


@dataclass(frozen=True)
class CombinedCue:
    """Result of reliability-weighted cue combination.

    Attributes
    ----------
    mean : ndarray, shape (...)
        Combined estimate.
    sd : ndarray, shape (...)
        Its standard deviation, ``(sum_i 1/sd_i**2) ** -0.5`` (never above the best cue's).
    weights : ndarray, shape (..., cues)
        Weight of each cue (sum to 1 over present cues).
    """

    mean: np.ndarray
    sd: np.ndarray
    weights: np.ndarray


def combine_cues(values, sds) -> CombinedCue:
    """Optimal (maximum-likelihood) combination of Gaussian cues.

    Parameters
    ----------
    values : array_like, shape (..., cues)
        Cue measurements; NaN marks an absent cue.
    sds : array_like, shape (cues,) or (..., cues)
        Each cue's noise SD.

    Returns
    -------
    CombinedCue
    """
    v = check_array(values, "cue values", ndim=None, allow_nan=True)
    sd = _positive(sds, "cue sds")
    present = np.isfinite(v)
    if not present.any(axis=-1).all():
        raise InputError("every trial needs at least one present (non-NaN) cue")
    prec = np.where(present, 1.0 / np.broadcast_to(sd, v.shape) ** 2, 0.0)
    total = prec.sum(axis=-1)
    w = prec / total[..., None]
    mean = np.sum(w * np.where(present, v, 0.0), axis=-1)
    return CombinedCue(mean=mean, sd=np.sqrt(1.0 / total), weights=w)


@dataclass(frozen=True)
class OptimalityTest:
    """Observed versus optimally predicted combined SD.

    Attributes
    ----------
    single_sd : dict of str to float
        Each cue's SD estimated from its single-cue trials.
    predicted_sd : float
        The optimal combined SD: ``(sum 1/(single_sd**2 - motor_sd**2) + ...) ** -1 + motor_sd**2``, square
        root (``(sum 1/single_sd**2) ** -0.5`` without motor noise).
    observed_sd : float
        SD of the combined-cue trials.
    ratio : float
        ``observed_sd / predicted_sd`` (1 = optimal, > 1 = worse than optimal).
    ci : tuple of float
        Bootstrap confidence interval of ``ratio`` (trials resampled within each condition).
    level : float
        Confidence level of ``ci``.
    motor_sd : float
        Response (motor) noise SD removed from the single-cue SDs before combining them (0: none).
    """

    single_sd: dict
    predicted_sd: float
    observed_sd: float
    ratio: float
    ci: tuple
    level: float
    motor_sd: float = 0.0


def _optimal_sd(sds, motor_sd: float) -> float:
    """Optimal combined SD from single-cue SDs that each include the same motor noise ``motor_sd``.

    Motor noise is added after the cues are combined, so it is removed from each single-cue
    variance, the sensory variances are combined, and it is added back once.
    """
    sensory = np.asarray(sds, float) ** 2 - motor_sd ** 2
    if np.any(sensory <= 0):
        return float("nan")  # a single-cue SD at or below the motor SD: no sensory noise left to combine
    return float(np.sqrt(1.0 / np.sum(1.0 / sensory) + motor_sd ** 2))


def test_cue_optimality(single_cue_errors: dict, combined_errors, *, n_bootstrap: int = 2000,
                        level: float = 0.95, seed: int = 0, motor_sd: float = 0.0) -> OptimalityTest:
    """Compare the combined-cue SD with the optimal prediction from single-cue SDs.

    Parameters
    ----------
    single_cue_errors : dict of str to array_like, each shape (trials,)
        Response minus stimulus on each cue's single-cue trials.
    combined_errors : array_like, shape (trials,)
        Response minus stimulus on the combined trials (no conflict, or conflict removed).
    n_bootstrap : int
        Bootstrap resamples (each condition resampled independently).
    level : float
        Confidence level.
    seed : int
    motor_sd : float
        SD of response noise added after the cues are combined (e.g. a fitted observer's
        ``sd_motor``), in the errors' unit. Every single-cue SD includes it but the combination
        does not reduce it: ignoring it (0) predicts too small a combined SD and rejects an optimal
        observer too often. Held fixed in the bootstrap.

    Returns
    -------
    OptimalityTest
    """
    motor_sd = float(motor_sd)
    if not np.isfinite(motor_sd) or motor_sd < 0:
        raise InputError(f"motor_sd must be a finite SD >= 0, got {motor_sd!r}")
    if len(single_cue_errors) < 2:
        raise InputError("an optimality test needs single-cue errors for at least two cues")
    singles = {k: check_array(v, f"single-cue errors {k!r}", ndim=1, min_len=3) for k, v in single_cue_errors.items()}
    comb = check_array(combined_errors, "combined errors", ndim=1, min_len=3)
    if int(n_bootstrap) < 100:
        raise InputError(f"n_bootstrap must be >= 100, got {n_bootstrap!r}")

    def ratio(sds, c):
        return np.std(c, ddof=1) / _optimal_sd(sds, motor_sd)

    sds = {k: float(np.std(v, ddof=1)) for k, v in singles.items()}
    if min(sds.values()) <= 0 or np.std(comb) <= 0:
        raise InputError("single-cue or combined errors have zero spread; cannot test optimality")
    rng = np.random.default_rng(seed)
    if not np.isfinite(_optimal_sd(list(sds.values()), motor_sd)):
        raise InputError(f"motor SD {motor_sd:.4g} is not below every single-cue SD ({sds}); cannot separate "
                         "sensory from motor noise")
    boot = np.empty(int(n_bootstrap))
    for b in range(int(n_bootstrap)):
        bs = [np.std(v[rng.integers(0, len(v), len(v))], ddof=1) for v in singles.values()]
        boot[b] = ratio(bs, comb[rng.integers(0, len(comb), len(comb))])
    a = (1 - level) / 2
    pred = _optimal_sd(list(sds.values()), motor_sd)
    boot = boot[np.isfinite(boot)]  # resamples whose single-cue SD fell below the motor SD
    return OptimalityTest(single_sd=sds, predicted_sd=pred, observed_sd=float(np.std(comb, ddof=1)),
                          ratio=float(ratio(list(sds.values()), comb)),
                          ci=(float(np.quantile(boot, a)), float(np.quantile(boot, 1 - a))), level=level,
                          motor_sd=motor_sd)


test_cue_optimality.__test__ = False  # a library function, not a pytest test
