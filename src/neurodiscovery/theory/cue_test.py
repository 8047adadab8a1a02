"""The cue-combination optimality test from a trials table (Ernst & Banks 2002).

Single-cue trials give each cue's response SD; the optimal observer predicts the combined-cue
weights ``w_i = (1/sd_i**2) / sum_j 1/sd_j**2`` and SD ``(sum_j 1/sd_j**2) ** -0.5``. The observed
weights are the coefficients of a regression of the combined-trial responses on the cue values
(conflict trials separate them); the observed combined SD is that regression's residual SD. Motor
(response) noise, added after combination, is removed from the single-cue variances when its SD is
given (``motor_sd``), else they include it, as in the classic test.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .bayes import OptimalityTest, test_cue_optimality
from .data import TrialTable


@dataclass(frozen=True)
class CueWeightTest:
    """Predicted against observed cue weights and combined SD.

    Attributes
    ----------
    cues : tuple of str
        Cue names.
    predicted_weights, observed_weights : dict of str to float
        Optimal weights from the single-cue SDs; regression weights on the combined trials.
    weight_ci : dict of str to tuple
        95 % bootstrap interval of each observed weight (combined trials resampled).
    sd : OptimalityTest
        Observed / predicted combined SD with its bootstrap interval.
    n_single : dict of str to int
        Single-cue trials per cue.
    n_combined : int
        Trials with every cue present.
    """

    cues: tuple
    predicted_weights: dict
    observed_weights: dict
    weight_ci: dict
    sd: OptimalityTest
    n_single: dict
    n_combined: int

    def rows(self) -> list[dict]:
        """One table row per cue."""
        return [{"cue": c, "single-cue SD": self.sd.single_sd[c], "predicted weight": self.predicted_weights[c],
                 "observed weight": self.observed_weights[c], "observed 95% CI low": self.weight_ci[c][0],
                 "observed 95% CI high": self.weight_ci[c][1],
                 "optimal inside CI": bool(self.weight_ci[c][0] <= self.predicted_weights[c] <= self.weight_ci[c][1])}
                for c in self.cues]


def _weights(values: np.ndarray, response: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.column_stack([np.ones(len(values)), values])
    coef, *_ = np.linalg.lstsq(x, response, rcond=None)
    return coef[1:], response - x @ coef


def cue_weight_test(data: TrialTable, *, n_bootstrap: int = 1000, seed: int = 0,
                    motor_sd: float = 0.0) -> CueWeightTest | None:
    """Optimality test of cue combination from single-cue and combined trials, or None without them.

    Parameters
    ----------
    data : TrialTable
        Trials with ``cue_<name>`` values (NaN where absent).
    n_bootstrap : int
        Bootstrap resamples for the intervals (>= 100).
    seed : int
        Seeds the bootstrap.
    motor_sd : float
        Response noise SD added after combination (a fitted observer's ``sd_motor``): removed from
        the single-cue variances before predicting weights and the combined SD (see
        :func:`test_cue_optimality`).

    Returns
    -------
    CueWeightTest or None
        None when the table lacks two cues, three single-cue trials per cue, or combined trials
        with cue conflicts that separate the weights.
    """
    if len(data.cues) < 2:
        return None
    names = tuple(data.cues)
    vals = np.column_stack([data.cues[k] for k in names])
    present = np.isfinite(vals)
    single = {k: present[:, i] & (present.sum(1) == 1) for i, k in enumerate(names)}
    comb = present.all(axis=1)
    if min(int(m.sum()) for m in single.values()) < 3 or comb.sum() < len(names) + 3:
        return None
    cv = vals[comb]
    if np.linalg.matrix_rank(np.column_stack([np.ones(len(cv)), cv])) < len(names) + 1:
        return None  # no conflict: the cue values are collinear and the weights are not separable
    errors = {k: data.response[m] - data.stimulus[m] for k, m in single.items()}
    w_obs, resid = _weights(cv, data.response[comb])
    sd_test = test_cue_optimality(errors, resid, n_bootstrap=max(int(n_bootstrap), 100), seed=seed, motor_sd=motor_sd)
    prec = {k: 1.0 / (sd_test.single_sd[k] ** 2 - sd_test.motor_sd ** 2) for k in names}
    total = sum(prec.values())
    rng = np.random.default_rng(seed)
    boots = np.array([_weights(cv[idx], data.response[comb][idx])[0]
                      for idx in (rng.integers(0, len(cv), len(cv)) for _ in range(max(int(n_bootstrap), 100)))])
    lo, hi = np.quantile(boots, [0.025, 0.975], axis=0)
    return CueWeightTest(names, {k: prec[k] / total for k in names}, dict(zip(names, map(float, w_obs))),
                         {k: (float(a), float(b)) for k, a, b in zip(names, lo, hi)}, sd_test,
                         {k: int(m.sum()) for k, m in single.items()}, int(comb.sum()))
