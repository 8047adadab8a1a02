"""Spike inference with OASIS (Friedrich, Zhou & Paninski 2017) through ``oasis-deconv``.

Each ROI's trace ``y`` (ΔF/F, or baseline-subtracted fluorescence) is modelled as
``y = b + c + noise`` with calcium ``c`` an AR(1) (decay only) or AR(2) (rise and decay)
process driven by non-negative activity ``s``. OASIS solves the noise-constrained
sparse non-negative problem ``min |s|_1`` s.t. ``|y - b - c|² = σ² T`` (``penalty=1``).
For AR(2), OASIS's constrained solver is ~10× slower; we solve the constrained AR(1)
problem for the baseline ``b`` and the multiplier ``λ`` meeting the noise constraint,
then OASIS's AR(2) (``oasisAR2``) with that ``λ`` and ``b``.

The decay time constant comes from, in this order of preference:

- ``tau_decay_s=<float>``: given;
- ``"indicator"``: the indicator's known kinetics (:data:`neurodiscovery.data.INDICATOR_KINETICS`);
- ``"session"`` (default) / ``"roi"``: estimated from the traces by :func:`estimate_decay`,
  once for the session (median over up to 40 of the highest-SNR ROIs) or per ROI.

Why not the autocovariance estimate OASIS ships: on behaviourally tuned cells the
rates themselves are correlated over seconds, and the autocovariance then reports
that timescale (2-3 × the planted 0.7 s decay on our synthetic place/HD cells).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError
from .preprocess import robust_noise_sd

#: the L1 weight of :func:`estimate_decay`, in units of each ROI's noise SD
DECAY_LAMBDA_SD = 1.5


def _oasis():
    from .._utils.errors import require

    return require("oasis", "oasis-deconv  (or: pip install neurodiscovery[imaging])")


def _ar1_objective(y: np.ndarray, tau_s: float, rate_hz: float, lam: float) -> float:
    from oasis.oasis_methods import oasisAR1

    c, s = oasisAR1(y, float(np.exp(-1.0 / (tau_s * rate_hz))), lam=lam)
    return 0.5 * float(np.sum((y - c) ** 2)) + lam * float(np.sum(s))


def estimate_decay(y, rate_hz: float, *, bounds_s: tuple[float, float] = (0.1, 5.0),
                   max_frames: int = 9000) -> float:
    """Decay time constant (s) of one trace by profile MAP over the AR(1) decay.

    For each candidate decay, OASIS solves ``min ½|y - c|² + λ|s|₁`` with ``λ`` =
    :data:`DECAY_LAMBDA_SD` × the trace's robust noise SD; the decay with the lowest
    objective wins (a 24-point log grid over ``bounds_s``, refined by a bounded scalar
    search between the neighbours). A too-short decay needs many spikes to hold each
    transient up (penalised by λ); a too-long one cannot follow the decays (residual).
    λ = 1.5 SD was chosen on the synthetic generator (GCaMP6f/m/s, SNR 2-8): decays
    within 10 % there; it is a calibrated heuristic, not a likelihood.

    Parameters
    ----------
    y : ndarray, shape (frames,)
        ΔF/F (or baseline-subtracted) trace.
    rate_hz : float
    bounds_s : (float, float)
        Search range in seconds.
    max_frames : int
        Use at most this many frames (the first ones) to bound the cost.
    """
    from scipy.optimize import minimize_scalar

    y = np.ascontiguousarray(np.asarray(y, float)[:max_frames])
    sd = float(robust_noise_sd(y)[0])
    if not sd > 0:
        return float("nan")
    lam = DECAY_LAMBDA_SD * sd
    grid = np.exp(np.linspace(np.log(bounds_s[0]), np.log(bounds_s[1]), 24))
    objs = np.array([_ar1_objective(y, t, rate_hz, lam) for t in grid])
    i = int(np.argmin(objs))
    lo, hi = np.log(grid[max(i - 1, 0)]), np.log(grid[min(i + 1, len(grid) - 1)])
    r = minimize_scalar(lambda lt: _ar1_objective(y, np.exp(lt), rate_hz, lam), bounds=(lo, hi),
                        method="bounded", options={"xatol": 0.01})
    return float(np.exp(r.x)) if r.fun <= objs[i] else float(grid[i])


@dataclass(frozen=True)
class Deconvolution:
    """Result of :func:`deconvolve_traces`.

    Attributes
    ----------
    activity : ndarray, shape (frames, rois)
        Inferred activity ``s`` (in the input's units, e.g. ΔF/F per frame).
    calcium : ndarray, shape (frames, rois)
        Denoised calcium ``c`` (without the baseline).
    tau_decay_s, tau_rise_s : ndarray, shape (rois,)
        Time constants used (rise 0 for AR(1)); NaN for constant ROIs.
    noise_sd, baseline : ndarray, shape (rois,)
    model : str
        ``"ar1"`` or ``"ar2"``.
    decay_source : str
        ``"given"``, ``"indicator"``, ``"session"`` or ``"roi"``.
    constant_rois : list of int
        ROIs with zero variance (activity 0, not deconvolved).
    """

    activity: np.ndarray
    calcium: np.ndarray
    tau_decay_s: np.ndarray
    tau_rise_s: np.ndarray
    noise_sd: np.ndarray
    baseline: np.ndarray
    model: str
    decay_source: str
    constant_rois: list


def _known_indicator(indicator: str) -> bool:
    from ..data import indicator_kinetics

    try:
        indicator_kinetics(indicator)
        return True
    except InputError:
        return False


def _decays(y: np.ndarray, rate_hz: float, tau_decay_s, indicator: str, sd: np.ndarray):
    """Per-ROI decay (s) and its source, following the module's order of preference."""
    n = y.shape[1]
    if isinstance(tau_decay_s, (int, float, np.floating)) and not isinstance(tau_decay_s, bool):
        if not tau_decay_s > 0:
            raise InputError(f"tau_decay_s must be > 0 s, got {tau_decay_s}")
        return np.full(n, float(tau_decay_s)), "given"
    if tau_decay_s == "indicator":
        from ..data import indicator_kinetics

        if not indicator or indicator == "unknown":
            raise InputError("decay from the indicator asked for, but the recording names no indicator; "
                             "give tau_decay_s in seconds or 'session'")
        return np.full(n, indicator_kinetics(indicator)[1]), "indicator"
    if tau_decay_s not in ("session", "roi"):
        raise InputError(f"tau_decay_s must be seconds, 'session', 'roi' or 'indicator', got {tau_decay_s!r}")
    ok = np.flatnonzero(sd > 0)
    if len(ok) == 0:
        return np.full(n, np.nan), tau_decay_s
    if tau_decay_s == "roi":
        return np.array([estimate_decay(y[:, j], rate_hz) if sd[j] > 0 else np.nan for j in range(n)]), "roi"
    snr = (np.percentile(y[:, ok], 99, axis=0) - np.median(y[:, ok], axis=0)) / sd[ok]
    best = ok[np.argsort(-snr)[:40]]
    return np.full(n, float(np.median([estimate_decay(y[:, j], rate_hz) for j in best]))), "session"


def deconvolve_traces(y, rate_hz: float, *, model: str = "auto", tau_decay_s="session",
                      tau_rise_s: float | None = None, indicator: str = "") -> Deconvolution:
    """OASIS spike inference on every column of ``y``.

    Parameters
    ----------
    y : ndarray, shape (frames, rois)
        ΔF/F (preferred) or baseline-subtracted fluorescence, finite.
    rate_hz : float
        Imaging rate.
    model : {"auto", "ar1", "ar2"}
        AR(2) adds the indicator's rise (``tau_rise_s`` or the indicator's kinetics);
        ``"auto"`` is AR(2) when a rise is known, else AR(1). AR(1) ignores the rise, so
        its events trail the spikes by about a frame at 30 Hz with GCaMP6f.
    tau_decay_s : float or {"session", "roi", "indicator"}
        See the module notes.
    tau_rise_s : float, optional
        Rise time for AR(2) (seconds).
    indicator : str
        Calcium indicator, for ``"indicator"`` decays and AR(2) rises.

    Returns
    -------
    Deconvolution
    """
    _oasis()
    from oasis.functions import deconvolve

    y = np.asarray(y, float)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or not np.all(np.isfinite(y)):
        raise InputError("deconvolution needs finite (frames, rois) traces; fill NaN frames first")
    if model not in ("auto", "ar1", "ar2"):
        raise InputError(f"model must be 'auto', 'ar1' or 'ar2', got {model!r}")
    if model == "auto":
        known = tau_rise_s is not None or _known_indicator(indicator)
        model = "ar2" if known else "ar1"
    if not rate_hz > 0:
        raise InputError(f"rate_hz must be > 0, got {rate_hz}")
    sd = np.where(np.ptp(y, axis=0) > 0, robust_noise_sd(y), 0.0)
    tau_d, source = _decays(y, rate_hz, tau_decay_s, indicator, sd)
    tau_r = np.zeros(y.shape[1])
    if model == "ar2":
        if tau_rise_s is None:
            from ..data import indicator_kinetics

            if not indicator or indicator == "unknown":
                raise InputError("AR(2) needs a rise time: give tau_rise_s or a recording with a known indicator")
            tau_rise_s = indicator_kinetics(indicator)[0]
        if not tau_rise_s > 0:
            raise InputError(f"tau_rise_s must be > 0 s, got {tau_rise_s}")
        tau_r[:] = tau_rise_s
    s_out, c_out = np.zeros_like(y), np.zeros_like(y)
    base, constant = np.zeros(y.shape[1]), []
    for j in range(y.shape[1]):
        if not sd[j] > 0 or not np.isfinite(tau_d[j]):
            constant.append(j)
            base[j] = y[0, j]
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # oasis warns on short traces / deprecated paths
            res = deconvolve(y[:, j], tau_d=float(tau_d[j]), framerate=float(rate_hz), sn=float(sd[j]), penalty=1)
            if model == "ar2":  # the AR(1) solution's baseline and multiplier drive OASIS's AR(2)
                res = deconvolve(y[:, j], tau_d=float(tau_d[j]), tau_r=float(tau_r[j]), framerate=float(rate_hz),
                                 penalty=None, lam=float(res[4]), b=float(res[2]))[:2] + (res[2],)
        # s >= 0 by the model; oasisAR2 can leave round-off negatives of ~1e-17
        c_out[:, j], s_out[:, j], base[j] = res[0], np.maximum(res[1], 0.0), float(res[2])
    tau_d[constant] = np.nan
    return Deconvolution(s_out, c_out, tau_d, np.where(np.isnan(tau_d), np.nan, tau_r), sd, base,
                         model, source, constant)
