"""Psychometric functions with guess and lapse rates, as an observer model.

``psi(x) = guess + (1 - guess - lapse) * F(x)`` with ``F`` a cumulative Gaussian
``Phi((x - threshold) / width)``, a logistic ``1 / (1 + exp(-(x - threshold) / width))``
or a Weibull ``1 - exp(-(x / scale) ** shape)`` written with its 50 % point as
``threshold`` (``scale = threshold / ln(2) ** (1 / shape)``, ``shape = width``).
``threshold`` is where ``F = 0.5`` and the slope is ``d psi / dx`` there, as psignifit
reports them. Responses are 0/1 per trial; for 2AFC the guess rate is fixed at 0.5, for
yes/no it is a free parameter in [0, 0.5]; the lapse rate is free in [0, 0.2].
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from .._utils.errors import InputError
from .data import TrialTable
from .observers import Param

KINDS = ("gaussian", "logistic", "weibull")


def psychometric_function(x, threshold: float, width: float, lapse: float = 0.0, guess: float = 0.5,
                          kind: str = "gaussian") -> np.ndarray:
    """Probability of a positive/correct response at stimulus ``x`` (shape of ``x``).

    Parameters
    ----------
    x : array_like, any shape
        Stimulus values (non-negative for Weibull).
    threshold : float
        Stimulus value where ``F = 0.5`` (stimulus units).
    width : float
        Spread of ``F`` in stimulus units (Gaussian SD, logistic scale) or the Weibull shape (dimensionless).
    lapse : float
        Lapse rate, a probability in [0, 0.2].
    guess : float
        Guess rate, a probability (0.5 for 2AFC).
    kind : {"gaussian", "logistic", "weibull"}
        Form of ``F``.

    Returns
    -------
    ndarray, same shape as ``x``
    """
    x = np.asarray(x, float)
    if kind == "gaussian":
        F = special.ndtr((x - threshold) / width)
    elif kind == "logistic":
        F = special.expit((x - threshold) / width)
    elif kind == "weibull":
        if np.any(x < 0):
            raise InputError("a Weibull psychometric function needs non-negative stimulus values")
        scale = threshold / np.log(2) ** (1.0 / width)
        F = -np.expm1(-((x / scale) ** width))
    else:
        raise InputError(f"unknown psychometric kind {kind!r}; choose one of {', '.join(KINDS)}")
    return guess + (1.0 - guess - lapse) * F


def threshold_slope(threshold: float, width: float, lapse: float, guess: float, kind: str) -> tuple:
    """``(threshold, slope)``: the 50 % point of ``F`` and ``d psi / dx`` there (per stimulus unit).

    Parameters
    ----------
    threshold : float
        Stimulus value where ``F = 0.5`` (stimulus units).
    width : float
        Spread of ``F`` in stimulus units (Gaussian SD, logistic scale) or the Weibull shape (dimensionless).
    lapse : float
        Lapse rate, a probability in [0, 0.2].
    guess : float
        Guess rate, a probability (0.5 for 2AFC).
    kind : {"gaussian", "logistic", "weibull"}
        Form of ``F``.

    Returns
    -------
    tuple of float
    """
    if kind == "gaussian":
        dF = stats.norm.pdf(0.0) / width
    elif kind == "logistic":
        dF = 0.25 / width
    else:
        # F = 1 - exp(-(x/scale)^k), at F = 0.5: dF/dx = 0.5 * k * ln2 / threshold
        dF = 0.5 * width * np.log(2) / threshold
    return float(threshold), float((1.0 - guess - lapse) * dF)


@dataclass(frozen=True)
class LevelDesign:
    """Trials pooled by stimulus level: level ``x``, correct/positive count ``k``, trials ``n``."""

    x: np.ndarray
    k: np.ndarray
    n: np.ndarray
    table: TrialTable


class PsychometricModel:
    """Psychometric function fitted by maximum likelihood (Bernoulli per trial).

    Parameters
    ----------
    kind : {"gaussian", "logistic", "weibull"}
    task : {"2afc", "yes-no"}
        2AFC fixes the guess rate at 0.5; yes/no fits it.
    """

    def __init__(self, kind: str = "gaussian", task: str = "2afc"):
        if kind not in KINDS:
            raise InputError(f"unknown psychometric kind {kind!r}; choose one of {', '.join(KINDS)}")
        if task not in ("2afc", "yes-no"):
            raise InputError(f"task must be '2afc' or 'yes-no', got {task!r}")
        self.kind, self.task = kind, task
        self.name = "psychometric"

    def prepare(self, data: TrialTable) -> LevelDesign:
        """Pool the 0/1 responses of the trials ``data`` by stimulus level."""
        r = data.response
        if not np.all((r == 0) | (r == 1)):
            raise InputError("psychometric responses must be 0 or 1 (correct/incorrect or yes/no)")
        if self.kind == "weibull" and np.any(data.stimulus < 0):
            raise InputError("a Weibull psychometric function needs non-negative stimulus values")
        x, inv = np.unique(data.stimulus, return_inverse=True)
        if len(x) < 3:
            raise InputError(f"a psychometric fit needs at least 3 stimulus levels, got {len(x)}")
        return LevelDesign(x, np.bincount(inv, weights=r, minlength=len(x)), np.bincount(inv, minlength=len(x)),
                           data)

    def params(self, design: LevelDesign) -> tuple:
        """Parameter specifications (threshold, width, lapse[, guess]); ``design`` sets the threshold's range."""
        lo, hi = float(design.x.min()), float(design.x.max())
        span = max(hi - lo, 1e-9)
        thr = Param("threshold", "interval", lo - span, hi + span) if self.kind != "weibull" else \
            Param("threshold", "interval", 1e-9, hi + 2 * span)
        out = (thr, Param("width"), Param("lapse", "interval", 0.0, 0.2))
        return out + ((Param("guess", "interval", 0.0, 0.5),) if self.task == "yes-no" else ())

    def _psi(self, theta, x):
        guess = theta[3] if self.task == "yes-no" else 0.5
        return psychometric_function(x, theta[0], theta[1], theta[2], guess, self.kind)

    def loglik(self, theta, design: LevelDesign) -> float:
        """Bernoulli log-likelihood of all trials of ``design`` at parameters ``theta (n_params,)``."""
        p = np.clip(self._psi(theta, design.x), 1e-12, 1 - 1e-12)
        return float(np.sum(design.k * np.log(p) + (design.n - design.k) * np.log1p(-p)))

    def simulate(self, theta, design: LevelDesign, rng) -> np.ndarray:
        """0/1 responses ``(trials,)`` drawn trial by trial from ``design`` at ``theta (n_params,)`` with ``rng``."""
        p = self._psi(theta, design.table.stimulus)
        return (rng.random(len(p)) < p).astype(float)

    def initial(self, design: LevelDesign, rng) -> np.ndarray:
        """Start near the middle of the tested range of ``design`` (jittered with ``rng``)."""
        lo, hi = design.x.min(), design.x.max()
        theta = [rng.uniform(lo + 0.25 * (hi - lo), hi - 0.25 * (hi - lo)) if self.kind != "weibull"
                 else rng.uniform(0.3, 0.7) * hi, (hi - lo) * rng.uniform(0.1, 0.4) if self.kind != "weibull"
                 else rng.uniform(1.0, 4.0), rng.uniform(0.005, 0.05)]
        return np.array(theta + ([rng.uniform(0.05, 0.3)] if self.task == "yes-no" else []))

    def default_design(self, n_trials: int, seed: int = 0) -> TrialTable:
        """Seven stimulus levels from 0.2 to 2.0 (method of constant stimuli), ``n_trials`` each.

        ``seed`` is accepted for a uniform interface (the design is not random).
        """
        x = np.repeat(np.linspace(0.2, 2.0, 7), int(n_trials))
        return TrialTable(x, np.zeros(len(x)), np.array(["all"] * len(x)))

    def sample_params(self, design: LevelDesign, rng) -> np.ndarray:
        """Threshold 0.8–1.4, width 0.2–0.5 (shape 2–5 for Weibull), lapse 0–0.05.

        Drawn with ``rng``; ``design`` is accepted for a uniform interface.
        """
        width = rng.uniform(2.0, 5.0) if self.kind == "weibull" else rng.uniform(0.2, 0.5)
        theta = [rng.uniform(0.8, 1.4), width, rng.uniform(0.0, 0.05)]
        return np.array(theta + ([rng.uniform(0.0, 0.2)] if self.task == "yes-no" else []))
