"""Section: held-out predictions of every decoded behaviour by the decoder chosen inside each training fold."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..report import Section
from . import Skipped
from ._inputs import AnalysisInputs, plt


@dataclass(frozen=True)
class BehaviorPrediction:
    """A window of cross-validated (test-fold) predictions of one behaviour.

    Attributes
    ----------
    behavior : str
    best : dict
        The nested choice's scores: decoder(s) chosen in the folds shown, R² (mean, SD, CI), p.
    t_s : ndarray, shape (samples,)
        Time from the start of the decoded span (s).
    y_true, y_pred : ndarray, shape (samples, outputs)
        Angles in radians (one output) for circular behaviours.
    circular : bool
    labels : tuple of str
        Axis label per output (column and units).
    bin_size_s : float
    """

    behavior: str
    best: object
    t_s: np.ndarray
    y_true: np.ndarray
    y_pred: np.ndarray
    circular: bool
    labels: tuple
    bin_size_s: float


@dataclass(frozen=True)
class PredictionResult:
    """Best-decoder predictions per behaviour (``predictions``) and the window length shown (s)."""

    predictions: tuple
    window_s: float

    def to_metrics(self) -> dict:
        """Per behaviour: the decoder chosen in the folds shown and the nested scores."""
        return {p.behavior: dict(p.best) for p in self.predictions}


def _window(inputs: AnalysisInputs, cfg, name: str, res) -> BehaviorPrediction:
    b = inputs.binned()
    p = res.predictions
    idx = np.asarray(p["sample_index"])
    circ = bool(res.config["circular"])
    # bins are contiguous within a fold: show the middle of the test predictions
    n_show = int(min(len(idx), round(cfg.prediction_window_s / b.bin_size_s)))
    start = max(len(idx) // 2 - n_show // 2, 0)
    sel = slice(start, start + n_show)
    if circ:
        yt, yp = np.asarray(p["theta_true"])[sel, None], np.asarray(p["theta_pred"])[sel, None]
        labels = (f"{name} (deg)",)
    else:
        yt, yp = np.asarray(p["y_true"])[sel], np.asarray(p["y_pred"])[sel]
        labels = tuple(f"{c} ({b.units[name] or 'a.u.'})" for c in b.columns[name][: yt.shape[1]])
    shown = sorted({res.chosen[int(k)] for k in np.unique(np.asarray(p["fold"])[sel])})
    best = {"decoder": ", ".join(shown), "r2_pooled": res.r2_pooled, "r2_mean": res.r2_mean, "r2_sd_over_folds": res.r2_sd,
            "r2_ci": list(res.ci.r2), "p_value": res.p_value, "rmse_mean": res.rmse_mean,
            "median_angular_error_deg": res.median_error_deg}
    return BehaviorPrediction(name, best, idx[sel] * b.bin_size_s, yt, yp, circ, labels, float(b.bin_size_s))


def compute(inputs: AnalysisInputs, cfg, needs: dict) -> PredictionResult | Skipped:
    """The best decoder's test-fold predictions over ``prediction_window_s`` per decoded behaviour."""
    dec = needs["decoding"]
    if isinstance(dec, Skipped) or not dec.behaviors:
        return Skipped("no behaviour was decoded (the recording holds no behaviour, or too little of it).")
    return PredictionResult(tuple(_window(inputs, cfg, n, dr) for n, dr in dec.behaviors.items()),
                            float(cfg.prediction_window_s))


def render(res: PredictionResult, figures) -> Section:
    """True vs predicted traces (:func:`~neurodiscovery.plotting.plot_predictions`) and a best-decoder table."""
    from ...plotting import plot_predictions

    sec = Section("prediction", "")
    for p in res.predictions:
        k = p.y_true.shape[1]
        fig, axs = plt().subplots(k, 1, figsize=(8, 1.8 * k + 1.0), squeeze=False, sharex=True)
        for j in range(k):
            plot_predictions(p.y_true[:, j], p.y_pred[:, j], p.t_s, ax=axs[j, 0], circular=p.circular,
                             label=p.best["decoder"], max_points=len(p.t_s), ylabel=p.labels[j])
        axs[-1, 0].set_xlabel("time from start of decoded span (s; test folds)")
        span = len(p.t_s) * p.bin_size_s
        sec.figures.append(figures.save(fig, f"prediction_{p.behavior}",
                                        f"True (grey) and cross-validated predicted (orange, {p.best['decoder']}: "
                                        f"the decoder chosen inside the training folds shown) {p.behavior} over "
                                        f"{span:.0f} s of held-out test data."))
    rows = [{"behavior": n, "decoder (folds shown)": v["decoder"], "R² (pooled test folds)": v["r2_pooled"],
             "R² 95 % CI": f"{v['r2_ci'][0]:.3f} to {v['r2_ci'][1]:.3f}", "permutation p": v["p_value"]}
            for n, v in res.to_metrics().items()]
    sec.tables.append(("Nested choice of decoder per behaviour (scores over all test folds)", rows))
    return sec
