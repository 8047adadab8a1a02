"""Observer models of behaviour with closed-form likelihoods.

Each model maps a :class:`~neurodiscovery.theory.data.TrialTable` to a likelihood of the
responses given the stimuli, simulates responses, proposes a default experiment and
samples plausible parameters for recovery studies. Parameters are natural (stimulus
units); each has a domain (``real``, ``positive`` or an interval) that the fitter maps
to an unconstrained space.

Linear-Gaussian cue observers (:class:`GaussianObserver`, :class:`CueCombination`)
measure each present cue ``i`` with noise ``m_i ~ N(c_i, sd_i**2)``, report a weighted
sum ``r = w_0 mu_prior + sum_i w_i m_i + motor`` with ``motor ~ N(0, sd_motor**2)``, so
``r | c ~ N(w_0 mu_prior + sum w_i c_i, sum w_i**2 sd_i**2 + sd_motor**2)`` exactly.
Without ``cue_*`` columns each ``condition`` is one cue (one sensory-noise level) whose
value is the stimulus.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
from numba import njit

from .._utils.errors import InputError
from .data import TrialTable
from .kalman import random_walk_gains

_LOG2PI = np.log(2 * np.pi)


@njit(cache=True)
def _track_filter(K, s):  # pragma: no cover - compiled
    d = np.empty_like(s)
    prev = 0.0
    for t in range(len(s)):
        prev = (1.0 - K[t]) * prev + K[t] * s[t]
        d[t] = prev
    return d


@njit(cache=True)
def _track_loglik(K, s, resp, r, motor):  # pragma: no cover - compiled
    # The estimate is a deterministic filter of s plus filtered measurement noise n_t,
    # n_t = (1 - K_t) n_{t-1} + K_t v_t; responses are n_t + motor noise: a scalar
    # state-space model whose likelihood a Kalman filter gives exactly.
    resid = resp - _track_filter(K, s)
    m, P, total = 0.0, 0.0, 0.0
    for t in range(len(s)):
        m = (1.0 - K[t]) * m
        P = (1.0 - K[t]) ** 2 * P + K[t] ** 2 * r * r
        S = P + motor * motor
        innov = resid[t] - m
        total -= 0.5 * (np.log(2.0 * np.pi) + np.log(S) + innov * innov / S)
        g = P / S
        m = m + g * innov
        P = (1.0 - g) * P
    return total


@dataclass(frozen=True)
class Param:
    """One parameter: name, domain (``"real"``, ``"positive"``, ``"interval"``) and bounds."""

    name: str
    domain: str = "positive"
    low: float = 0.0
    high: float = 1.0


def _normal_loglik(x, mean, var) -> float:
    return float(-0.5 * np.sum(_LOG2PI + np.log(var) + (x - mean) ** 2 / var))


@dataclass(frozen=True)
class CueDesign:
    """Arrays a cue observer's likelihood needs (see :meth:`GaussianObserver.prepare`)."""

    cue_names: tuple
    values: np.ndarray    # (trials, cues), 0 where absent
    present: np.ndarray   # (trials, cues) bool
    response: np.ndarray  # (trials,)
    table: TrialTable


class _CueObserver(ABC):
    """Shared machinery of the linear-Gaussian cue observers."""

    name = "cue"
    prior = False

    def prepare(self, data: TrialTable) -> CueDesign:
        """Cue values and presence per trial (conditions become cues without ``cue_*`` columns)."""
        if data.cues:
            names = tuple(data.cues)
            vals = np.column_stack([data.cues[k] for k in names])
        else:
            names = tuple(dict.fromkeys(data.condition.tolist()))
            vals = np.where(data.condition[:, None] == np.array(names)[None, :], data.stimulus[:, None], np.nan)
        present = np.isfinite(vals)
        if not present.any(axis=1).all():
            bad = int((~present.any(axis=1)).sum())
            raise InputError(f"{bad} trial(s) have no cue value; every trial needs at least one cue_* value")
        return CueDesign(names, np.where(present, vals, 0.0), present, data.response, data)

    def params(self, design: CueDesign) -> tuple:
        """Parameter specifications for this design."""
        cues = tuple(Param(f"sd_{k}") for k in design.cue_names)
        head = (Param("mu_prior", "real"), Param("sd_prior")) if self.prior else ()
        return head + cues + (Param("sd_motor"),)

    @abstractmethod
    def _weights(self, theta, design):
        """Cue weights ``(trials, cues)`` and the prior's weight ``(trials,)`` (None without a prior)."""

    def moments(self, theta, design: CueDesign):
        """Mean and variance of the response on every trial, each shape (trials,)."""
        k = len(design.cue_names)
        off = 2 if self.prior else 0
        sds = np.asarray(theta[off:off + k])
        w, w0 = self._weights(theta, design)
        mean = np.sum(w * design.values, axis=1) + (w0 * theta[0] if self.prior else 0.0)
        var = np.sum(w**2 * sds**2, axis=1) + theta[-1] ** 2
        return mean, var

    def loglik(self, theta, design: CueDesign) -> float:
        """Log-likelihood of the responses (natural log)."""
        mean, var = self.moments(np.asarray(theta, float), design)
        return _normal_loglik(design.response, mean, var)

    def simulate(self, theta, design: CueDesign, rng) -> np.ndarray:
        """Responses drawn from the model on the design's trials."""
        mean, var = self.moments(np.asarray(theta, float), design)
        return mean + np.sqrt(var) * rng.standard_normal(len(mean))

    def initial(self, design: CueDesign, rng) -> np.ndarray:
        """A random starting point around the data's scale."""
        spread = float(np.std(design.response)) or 1.0
        theta = [p for p in spread * np.exp(rng.uniform(-1.5, 0.5, len(self.params(design))))]
        if self.prior:
            theta[0] = float(np.mean(design.response) + rng.normal(0, 0.2 * spread))
        return np.array(theta)

    def default_design(self, n_trials: int, seed: int = 0) -> TrialTable:
        """Two single-cue conditions and a combined condition with cue conflicts (±0.2), stimuli ~ N(0, 0.5)."""
        rng = np.random.default_rng(seed)
        n = int(n_trials)
        cond = np.repeat(np.array(["a", "b", "ab"]), n)
        s = rng.normal(0.0, 0.5, 3 * n)
        delta = rng.choice([-0.2, 0.0, 0.2], 3 * n)
        a = np.where(cond == "b", np.nan, s + np.where(cond == "ab", delta, 0.0))
        b = np.where(cond == "a", np.nan, s - np.where(cond == "ab", delta, 0.0))
        return TrialTable(s, np.zeros(3 * n), cond, {"a": a, "b": b})

    def sample_params(self, design: CueDesign, rng) -> np.ndarray:
        """Plausible parameters: cue SDs 0.1–0.3 and 0.4–0.8 (a reliable and an unreliable cue)."""
        sds = [rng.uniform(0.1, 0.3) if i % 2 == 0 else rng.uniform(0.4, 0.8) for i in range(len(design.cue_names))]
        head = [rng.uniform(-0.3, 0.3), rng.uniform(0.3, 0.8)] if self.prior else []
        return np.array(head + sds + [rng.uniform(0.05, 0.2)])


class GaussianObserver(_CueObserver):
    """Bayesian observer with a Gaussian prior ``N(mu_prior, sd_prior**2)``.

    The posterior mean weights the prior and every present cue by its precision:
    ``w_i = (1/sd_i**2) / (1/sd_prior**2 + sum_j 1/sd_j**2)``. Parameters:
    ``mu_prior, sd_prior, sd_<cue>..., sd_motor``.
    """

    name = "gaussian"
    prior = True

    def _weights(self, theta, design):
        k = len(design.cue_names)
        prec = np.where(design.present, 1.0 / np.asarray(theta[2:2 + k]) ** 2, 0.0)
        total = 1.0 / theta[1] ** 2 + prec.sum(axis=1)
        return prec / total[:, None], (1.0 / theta[1] ** 2) / total

    def default_design(self, n_trials: int, seed: int = 0) -> TrialTable:
        """Two sensory-noise levels (single cues ``a``, ``b``), stimuli drawn from the prior N(0, 0.5).

        ``n_trials`` trials per condition; ``seed`` seeds the stimuli.
        """
        table = super().default_design(n_trials, seed)
        return table.subset(table.condition != "ab")


class CueCombination(_CueObserver):
    """Cue combination without a prior (flat prior).

    ``weighting="optimal"``: reliability weights ``w_i ∝ 1/sd_i**2`` (Ernst & Banks 2002);
    ``weighting="equal"``: ``w_i = 1/k`` over the ``k`` present cues. Parameters:
    ``sd_<cue>..., sd_motor``.

    Parameters
    ----------
    weighting : {"optimal", "equal"}
        How the present cues are weighted.
    """

    prior = False

    def __init__(self, weighting: str = "optimal"):
        if weighting not in ("optimal", "equal"):
            raise InputError(f"weighting must be 'optimal' or 'equal', got {weighting!r}")
        self.weighting = weighting
        self.name = "cue-combination" if weighting == "optimal" else "cue-equal"

    def _weights(self, theta, design):
        if self.weighting == "equal":
            w = design.present / design.present.sum(axis=1, keepdims=True)
        else:
            prec = np.where(design.present, 1.0 / np.asarray(theta[:len(design.cue_names)]) ** 2, 0.0)
            w = prec / prec.sum(axis=1, keepdims=True)
        return w, None


@dataclass(frozen=True)
class TrackDesign:
    """Sequences of a moving stimulus and the responses (see :class:`KalmanObserverModel`)."""

    stimulus: tuple   # one (time,) array per sequence
    response: tuple
    table: TrialTable


class KalmanObserverModel:
    """Tracking a random-walk stimulus with a Kalman filter, then reporting with motor noise.

    The observer measures ``m_t = s_t + v_t`` (``v ~ N(0, sd_measurement**2)``), assumes a random
    walk with step SD ``sd_process``, and reports ``r_t = x̂_t + e_t`` (``e ~ N(0, sd_motor**2)``).
    Its estimate is a deterministic filter of the stimulus plus filtered measurement noise, an
    AR(1) process with time-varying coefficient ``1 - K_t``; the exact likelihood of the responses
    is computed by a scalar Kalman filter on that noise. Parameters: ``sd_process,
    sd_measurement, sd_motor``.
    """

    name = "kalman"

    def prepare(self, data: TrialTable) -> TrackDesign:
        """Split the rows of ``data`` into sequences (one sequence without a ``sequence`` column)."""
        seq = np.zeros(data.n_trials, int) if data.sequence is None else data.sequence
        ids = list(dict.fromkeys(seq.tolist()))
        stim = tuple(data.stimulus[seq == i] for i in ids)
        if min(len(s) for s in stim) < 3:
            raise InputError("every sequence needs at least 3 time steps for the Kalman observer")
        return TrackDesign(stim, tuple(data.response[seq == i] for i in ids), data)

    def params(self, design: TrackDesign) -> tuple:
        """Parameter specifications (``design`` sets their scales)."""
        return (Param("sd_process"), Param("sd_measurement"), Param("sd_motor"))

    @staticmethod
    def _deterministic(K, s):
        return _track_filter(np.ascontiguousarray(K, dtype=np.float64), np.ascontiguousarray(s, dtype=np.float64))

    def loglik(self, theta, design: TrackDesign) -> float:
        """Exact log-likelihood of all sequences' responses in ``design`` at ``theta (n_params,)``."""
        q, r, motor = (float(x) for x in theta)
        if not (q > 0 and r > 0 and motor > 0):
            return -np.inf
        total = 0.0
        for s, resp in zip(design.stimulus, design.response):
            K = random_walk_gains(len(s), q, r)
            total += _track_loglik(K, np.ascontiguousarray(s, dtype=np.float64),
                                   np.ascontiguousarray(resp, dtype=np.float64), r, motor)
        return float(total)

    def simulate(self, theta, design: TrackDesign, rng) -> np.ndarray:
        """Responses drawn with ``rng`` at ``theta (n_params,)``, concatenated in the row order of ``design``."""
        q, r, motor = (float(x) for x in theta)
        out = []
        for s in design.stimulus:
            K = random_walk_gains(len(s), q, r)
            est = self._deterministic(K, s + r * rng.standard_normal(len(s)))
            out.append(est + motor * rng.standard_normal(len(s)))
        resp = np.empty(design.table.n_trials)
        seq = np.zeros(design.table.n_trials, int) if design.table.sequence is None else design.table.sequence
        for i, block in zip(dict.fromkeys(seq.tolist()), out):
            resp[seq == i] = block
        return resp

    def initial(self, design: TrackDesign, rng) -> np.ndarray:
        """A random start (from ``rng``) at the scales of the stimulus steps and residuals of ``design``."""
        step = float(np.median([np.std(np.diff(s)) for s in design.stimulus])) or 1.0
        return step * np.exp(rng.uniform(-1.0, 1.0, 3))

    def default_design(self, n_trials: int, seed: int = 0) -> TrialTable:
        """Four random-walk sequences of ``n_trials`` steps (step SD 0.1), drawn from ``seed``."""
        rng = np.random.default_rng(seed)
        n = int(n_trials)
        s = np.cumsum(0.1 * rng.standard_normal((4, n)), axis=1).ravel()
        return TrialTable(s, np.zeros(4 * n), np.array(["track"] * (4 * n)), {}, np.repeat(np.arange(4), n))

    def sample_params(self, design: TrackDesign, rng) -> np.ndarray:
        """Plausible parameters drawn with ``rng`` (process SD near the true step SD of ``design``)."""
        return np.array([rng.uniform(0.05, 0.2), rng.uniform(0.1, 0.4), rng.uniform(0.02, 0.1)])
