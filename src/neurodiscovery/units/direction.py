"""Classic direction tuning for centre-out tasks (Georgopoulos et al. 1982).

Each unit's firing rate in a movement window is regressed on the reach direction,
``rate = b0 + b1 cos(theta) + b2 sin(theta)``; the preferred direction is
``atan2(b2, b1)`` and the modulation depth ``sqrt(b1^2 + b2^2)``. Significance: the
trial labels are permuted (trials are exchangeable under "no tuning"), all permutations
solved at once, and the p-values of all units corrected by Benjamini–Hochberg.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError
from .._utils.random import as_rng
from .stats import fdr_bh


@dataclass(frozen=True)
class DirectionTuning:
    """Cosine direction tuning of several units.

    Attributes
    ----------
    directions_rad : (n_directions,) distinct reach directions
    mean_rate_hz : (n_directions, units) mean rate per direction in the window
    sem_rate_hz : (n_directions, units) standard error over trials
    baseline_hz, modulation_hz : (units,) ``b0`` and ``sqrt(b1^2 + b2^2)`` of the cosine fit
    preferred_direction_rad : (units,) in [0, 2 pi)
    r2 : (units,) fraction of the trial-to-trial rate variance the cosine explains
    p_value : (units,) permutation p of ``r2`` (+1 correction)
    q_value : (units,) Benjamini–Hochberg adjusted over the units given
    tuned : (units,) ``q_value <= alpha``
    window_s : (start, stop) relative to the alignment event
    n_trials, n_permutations : int
    alpha : float
    """

    directions_rad: np.ndarray
    mean_rate_hz: np.ndarray
    sem_rate_hz: np.ndarray
    baseline_hz: np.ndarray
    modulation_hz: np.ndarray
    preferred_direction_rad: np.ndarray
    r2: np.ndarray
    p_value: np.ndarray
    q_value: np.ndarray
    tuned: np.ndarray
    window_s: tuple
    n_trials: int
    n_permutations: int
    alpha: float

    @property
    def fraction_tuned(self) -> float:
        """Fraction of units tuned after the FDR correction."""
        return float(np.mean(self.tuned)) if len(self.tuned) else float("nan")


def _cosine_r2(rates: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares cosine fit for a batch of direction labellings.

    rates (trials, units); theta (n_perm, trials). Returns beta (n_perm, 3, units) and R^2 (n_perm, units).
    """
    X = np.stack([np.ones_like(theta), np.cos(theta), np.sin(theta)], axis=-1)      # (P, trials, 3)
    XtX = np.einsum("ptk,ptl->pkl", X, X)
    Xty = np.einsum("ptk,tu->pku", X, rates)
    beta = np.linalg.solve(XtX + 1e-12 * np.eye(3), Xty)                               # (P, 3, units)
    ss_tot = ((rates - rates.mean(0)) ** 2).sum(0)
    # explained sum of squares of a model with an intercept: beta^T X^T y - n ybar^2
    ss_reg = np.einsum("pku,pku->pu", beta, Xty) - len(rates) * rates.mean(0) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = np.where(ss_tot > 0, ss_reg / ss_tot, 0.0)
    return beta, r2


def direction_tuning(rates_hz, directions_rad, *, n_permutations: int = 1000, alpha: float = 0.05,
                     window_s=(np.nan, np.nan), seed: int = 0) -> DirectionTuning:
    """Cosine tuning of each unit to reach direction, with a permutation test and FDR.

    Parameters
    ----------
    rates_hz : array_like, shape (trials, units)
        Firing rate of each unit in a fixed window of each trial (spikes / window length).
    directions_rad : array_like, shape (trials,)
        Reach direction of each trial (radians).
    n_permutations : int
        Random permutations of the trial labels for the null of ``r2``.
    alpha : float
        FDR level of ``tuned``.
    window_s : (float, float)
        The window the rates come from (stored for the report).
    seed : int

    Returns
    -------
    DirectionTuning
    """
    r = np.asarray(rates_hz, dtype=float)
    th = np.mod(np.asarray(directions_rad, dtype=float), 2 * np.pi)
    if r.ndim != 2 or th.shape != (r.shape[0],):
        raise InputError(f"direction_tuning: rates {r.shape} must be (trials, units) and directions (trials,)")
    if not np.all(np.isfinite(r)) or not np.all(np.isfinite(th)):
        raise InputError("direction_tuning: rates and directions must be finite")
    dirs = np.unique(np.round(th, 9))
    if len(dirs) < 3:
        raise InputError(f"direction_tuning needs at least 3 distinct directions, got {len(dirs)}")
    beta, r2 = _cosine_r2(r, th[None, :])
    beta, r2 = beta[0], r2[0]
    rng = as_rng(seed)
    null = np.empty((int(n_permutations), r.shape[1]))
    for s in range(0, int(n_permutations), 200):       # 200 permutations per batch bounds memory
        e = min(int(n_permutations), s + 200)
        perm = np.stack([rng.permutation(th) for _ in range(e - s)])
        null[s:e] = _cosine_r2(r, perm)[1]
    p = (1 + (null >= r2 - 1e-12).sum(0)) / (1 + len(null)) if len(null) else np.full(r.shape[1], np.nan)
    q, tuned = fdr_bh(p, alpha)
    lab = np.searchsorted(dirs, np.round(th, 9))
    mean = np.stack([r[lab == k].mean(0) for k in range(len(dirs))])
    sem = np.stack([r[lab == k].std(0, ddof=1) / np.sqrt(max((lab == k).sum(), 1))
                    if (lab == k).sum() > 1 else np.full(r.shape[1], np.nan) for k in range(len(dirs))])
    return DirectionTuning(dirs, mean, sem, beta[0], np.hypot(beta[1], beta[2]),
                           np.mod(np.arctan2(beta[2], beta[1]), 2 * np.pi), r2, p, q, tuned,
                           tuple(float(w) for w in window_s), int(r.shape[0]), int(n_permutations), float(alpha))


def window_rates(rec, event: str = "go_s", window_s=(0.0, 0.4)) -> np.ndarray:
    """Firing rate (Hz) of every unit in ``window_s`` around a trial event.

    Parameters
    ----------
    rec : Recording
        With a trial table holding the ``event`` column (absolute times, s).
    event : str
        Trial column of event times (``"start_s"`` for trial starts).
    window_s : (float, float)
        Window relative to the event (s).

    Returns
    -------
    ndarray, shape (trials, units)
    """
    if rec.trials is None or len(rec.trials) == 0:
        raise InputError("window_rates needs a recording with trials")
    lo, hi = float(window_s[0]), float(window_s[1])
    if not hi > lo:
        raise InputError(f"window_s must be (start, stop) with start < stop, got {window_s}")
    t0 = np.asarray(rec.trials.column(event), dtype=float)
    out = np.empty((len(t0), rec.n_units))
    for u, st in enumerate(rec.spike_times):
        out[:, u] = np.searchsorted(st, t0 + hi) - np.searchsorted(st, t0 + lo)
    return out / (hi - lo)


def reach_direction_tuning(rec, *, event: str = "go_s", window_s=(0.0, 0.4), direction: str = "direction_rad",
                           n_permutations: int = 1000, alpha: float = 0.05, seed: int = 0) -> DirectionTuning:
    """:func:`direction_tuning` of a centre-out Recording (trial columns ``event`` and ``direction``).

    The default window is the first 400 ms after movement onset (``go_s``).

    Parameters
    ----------
    rec : Recording
        Recording with a trial table.
    event : str
        Trial column of the alignment event (s).
    window_s : (float, float)
        Window after the event (s) whose spike rate is tuned.
    direction : str
        Trial column of the reach direction (rad).
    n_permutations : int
        Direction shuffles of the permutation test.
    alpha : float
        FDR level of ``tuned``.
    seed : int
        Seeds the permutations.

    Returns
    -------
    DirectionTuning
    """
    if rec.trials is None:
        raise InputError("reach_direction_tuning needs a recording with a trial table")
    rates = window_rates(rec, event, window_s)
    return direction_tuning(rates, rec.trials.column(direction), n_permutations=n_permutations, alpha=alpha,
                            window_s=window_s, seed=seed)
