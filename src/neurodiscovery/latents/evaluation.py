"""Neural Latents Benchmark-style scores: co-smoothing bits/spike, PSTH R², behaviour R².

Bits/spike follows ``nlb_tools.evaluation.bits_per_spike`` exactly: the Poisson negative
log-likelihood ``Σ r − n·log r + log n!`` of the predicted rates, minus that of each
neuron's mean count (the null), divided by the total number of spikes and by ln 2; NaN
counts are ignored and zero rates are replaced by 1e-9.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln

from .._utils.errors import InputError


def poisson_nll(rates: np.ndarray, counts: np.ndarray) -> float:
    """Total Poisson negative log-likelihood ``Σ r − n log r + log n!`` (NaN counts ignored).

    Parameters
    ----------
    rates, counts : ndarray of equal shape
        Expected counts per bin (not Hz) and observed counts.
    """
    r = np.asarray(rates, float)
    n = np.asarray(counts, float)
    if r.shape != n.shape:
        raise InputError(f"rates {r.shape} and counts {n.shape} must have the same shape")
    keep = ~np.isnan(n)
    r, n = r[keep], n[keep]
    if np.any(np.isnan(r)) or np.any(r < 0):
        raise InputError("predicted rates must be finite and >= 0")
    r = np.where(r == 0, 1e-9, r)
    return float(np.sum(r - n * np.log(r) + gammaln(n + 1.0)))


def bits_per_spike(rates: np.ndarray, counts: np.ndarray) -> float:
    """Bits per spike of predicted rates against each neuron's mean rate (NLB definition).

    Parameters
    ----------
    rates : ndarray, (..., neurons)
        Predicted expected counts per bin, e.g. ``(trials, time, neurons)``.
    counts : ndarray, same shape
        Observed spike counts (NaN entries are ignored).

    Returns
    -------
    float
        ``(NLL_null − NLL_model) / total spikes / ln 2``; > 0 means better than the mean rate.
    """
    n = np.asarray(counts, float)
    axes = tuple(range(n.ndim - 1))
    null = np.broadcast_to(np.nanmean(n, axis=axes, keepdims=True), n.shape)
    total = np.nansum(n)
    if total <= 0:
        raise InputError("bits_per_spike needs at least one spike in the evaluated counts")
    return (poisson_nll(null, n) - poisson_nll(rates, n)) / total / np.log(2)


class PoissonReadout:
    """Poisson GLM ``counts ≈ exp(F W + b)`` for all output neurons at once (L2 on ``W``).

    This is how latents are scored on held-out neurons: the readout is fitted on training
    trials and predicts the held-out neurons of test trials from their latents.

    Parameters
    ----------
    alpha : float
        L2 penalty per sample (like scikit-learn's ``PoissonRegressor``).
    standardize : bool
        Z-score the features with training statistics first.
    """

    def __init__(self, alpha: float = 1e-3, standardize: bool = True):
        self.alpha = alpha
        self.standardize = standardize

    def fit(self, F: np.ndarray, Y: np.ndarray) -> PoissonReadout:
        """Fit on features ``F (samples, k)`` and counts ``Y (samples, outputs)``."""
        F = np.asarray(F, float).reshape(-1, np.shape(F)[-1])
        Y = np.asarray(Y, float).reshape(-1, np.shape(Y)[-1])
        if len(F) != len(Y):
            raise InputError(f"features have {len(F)} samples but counts have {len(Y)}")
        self.mean_ = F.mean(0) if self.standardize else np.zeros(F.shape[1])
        sd = F.std(0) if self.standardize else np.ones(F.shape[1])
        self.scale_ = np.where(sd > 0, sd, 1.0)
        Z = np.column_stack([(F - self.mean_) / self.scale_, np.ones(len(F))])
        k, m, n = Z.shape[1], Y.shape[1], len(Y)
        b0 = np.log(np.maximum(Y.mean(0), 1e-6))
        pen = np.ones((k, 1))
        pen[-1] = 0.0

        def fun(w):
            W = w.reshape(k, m)
            eta = np.clip(Z @ W, -30, 30)
            mu = np.exp(eta)
            f = (mu - Y * eta).sum() / n + 0.5 * self.alpha * (pen * W ** 2).sum()
            g = Z.T @ (mu - Y) / n + self.alpha * pen * W
            return f, g.ravel()

        w0 = np.zeros((k, m))
        w0[-1] = b0
        res = minimize(fun, w0.ravel(), jac=True, method="L-BFGS-B", options={"maxiter": 500})
        W = res.x.reshape(k, m)
        self.coef_, self.intercept_ = W[:-1], W[-1]
        return self

    def predict(self, F: np.ndarray) -> np.ndarray:
        """Expected counts per bin, shape ``F.shape[:-1] + (outputs,)``."""
        F = np.asarray(F, float)
        Z = (F.reshape(-1, F.shape[-1]) - self.mean_) / self.scale_
        out = np.exp(np.clip(Z @ self.coef_ + self.intercept_, -30, 30))
        return out.reshape(*F.shape[:-1], -1)


def psth_r2(rates: np.ndarray, counts: np.ndarray, conditions: np.ndarray | None = None,
            smooth_bins: float = 2.0) -> float:
    """R² of condition-averaged predicted rates against condition-averaged (smoothed) counts.

    Parameters
    ----------
    rates, counts : ndarray, shape (trials, time, neurons)
        Predicted expected spike counts per bin (not Hz) and observed spike counts of the same trials.
    conditions : (trials,), optional
        Condition labels (one condition when omitted).
    smooth_bins : float
        Gaussian width (bins) applied to the observed PSTH, as NLB smooths its reference PSTHs.

    Returns
    -------
    float
        R² over (condition, time) per neuron, averaged over neurons (NaN for flat neurons skipped).
    """
    from scipy.ndimage import gaussian_filter1d

    r = np.asarray(rates, float)
    c = np.asarray(counts, float)
    if r.shape != c.shape or r.ndim != 3:
        raise InputError(f"psth_r2 needs (trials, time, neurons) arrays of one shape, got {r.shape}, {c.shape}")
    cond = np.zeros(len(r), int) if conditions is None else np.asarray(conditions)
    pred, true = [], []
    for k in np.unique(cond):
        m = cond == k
        pred.append(r[m].mean(0))
        true.append(gaussian_filter1d(c[m].mean(0), smooth_bins, axis=0) if smooth_bins > 0 else c[m].mean(0))
    P = np.concatenate(pred).reshape(-1, r.shape[2])
    T = np.concatenate(true).reshape(-1, r.shape[2])
    ss_tot = ((T - T.mean(0)) ** 2).sum(0)
    ok = ss_tot > 0
    if not ok.any():
        return float("nan")
    return float(np.mean(1 - ((T - P) ** 2).sum(0)[ok] / ss_tot[ok]))


def repeats_conditions(conditions) -> bool:
    """Whether trials repeat conditions, so that a condition-averaged PSTH means something.

    Parameters
    ----------
    conditions : (trials,) array_like or None
        Condition label of each (test) trial; None when the trials carry no condition (e.g.
        pseudo-trials cut from a continuous recording, or trials from different initial states).

    Returns
    -------
    bool
        True when labels are given and at least one condition holds two or more trials.
    """
    if conditions is None:
        return False
    _, n = np.unique(np.asarray(conditions), return_counts=True)
    return bool(n.size and n.max() >= 2)


def behavior_r2(F_train: np.ndarray, B_train: np.ndarray, F_test: np.ndarray, B_test: np.ndarray,
                alphas=(1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0)) -> float:
    """Ridge from features to behaviour, fitted on training data, R² on test data.

    The ridge penalty is chosen by cross-validation *within the training data*
    (``RidgeCV``); the test data are only scored. Samples with NaN behaviour are dropped.

    Parameters
    ----------
    F_train, F_test : ndarray, shape (..., k)
        Features (latents or rates) of the training and test samples; leading axes are flattened.
    B_train, B_test : ndarray, shape (..., b)
        Behaviour on the same samples (leading shape as the features'; 1-D means one column).
    alphas : sequence of float
        Candidate ridge penalties (on z-scored features); ``RidgeCV`` picks one by leave-one-out
        cross-validation on the training samples only.

    Returns
    -------
    float
        Variance-weighted R² over behaviour columns on the test samples.
    """
    from sklearn.linear_model import RidgeCV
    from sklearn.metrics import r2_score

    def flat(a):
        a = np.asarray(a, float)
        return a.reshape(-1, a.shape[-1]) if a.ndim > 1 else a[:, None]

    Ftr, Btr, Fte, Bte = flat(F_train), flat(B_train), flat(F_test), flat(B_test)
    ktr = np.all(np.isfinite(Btr), 1)
    kte = np.all(np.isfinite(Bte), 1)
    if ktr.sum() < 2 or kte.sum() < 2:
        raise InputError("behavior_r2 needs at least 2 training and 2 test samples with finite behaviour")
    mu, sd = Ftr[ktr].mean(0), Ftr[ktr].std(0)
    sd = np.where(sd > 0, sd, 1.0)
    model = RidgeCV(alphas=alphas).fit((Ftr[ktr] - mu) / sd, Btr[ktr])
    return float(r2_score(Bte[kte], model.predict((Fte[kte] - mu) / sd), multioutput="variance_weighted"))


@dataclass(frozen=True)
class LatentScores:
    """Held-out scores of one latent method (every number on test trials).

    Attributes
    ----------
    method : str
    dim : int
        Latent dimension (neurons for smoothing).
    co_bps : float
        Co-smoothing bits/spike on held-out neurons of test trials.
    psth_r2 : float
        PSTH R² of the predicted held-out rates on test trials; NaN where trials do not repeat
        conditions (see :func:`repeats_conditions`), since a PSTH then averages unrelated trials.
    behavior_r2 : float
        Ridge R² from latents (fitted on training trials) to behaviour on test trials; NaN without behaviour.
    recon_bps : float
        Bits/spike of the held-in neurons of test trials reconstructed by the model (NaN if it has no
        count reconstruction).
    train_s : float
        Wall time of fitting the model (seconds).
    """

    method: str
    dim: int
    co_bps: float
    psth_r2: float
    behavior_r2: float
    recon_bps: float
    train_s: float

    def to_dict(self) -> dict:
        """JSON-ready fields."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}
