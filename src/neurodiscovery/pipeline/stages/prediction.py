"""Section 7: held-out predictions of the best decoder of every decoded behaviour."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..report import Section
from . import Skipped
from ._inputs import AnalysisInputs, plt

_SUMMARY = ("decoder", "r2_mean", "pearson_r2_mean", "rmse_mean", "median_angular_error_deg")


@dataclass(frozen=True)
class BehaviorPrediction:
    """A window of cross-validated (test-fold) predictions of one behaviour.

    Attributes
    ----------
    behavior : str
    best : DecoderScore
        The best real decoder's scores.
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
        """Per behaviour: the best decoder and its scores."""
        return {p.behavior: {k: v for k, v in p.best.to_dict().items() if k in _SUMMARY} for p in self.predictions}


def _window(inputs: AnalysisInputs, cfg, name: str, dr) -> BehaviorPrediction:
    b = inputs.binned()
    best = dr.best()
    p = dr.predictions[best.decoder]
    idx = np.asarray(p.sample_index)
    circ = p.circular
    # bins are contiguous within a fold: show the middle of the test predictions
    n_show = int(min(len(idx), round(cfg.prediction_window_s / b.bin_size_s)))
    start = max(len(idx) // 2 - n_show // 2, 0)
    sel = slice(start, start + n_show)
    if circ:
        yt, yp = np.asarray(p.theta_true)[sel, None], np.asarray(p.theta_pred)[sel, None]
        labels = (f"{name} (deg)",)
    else:
        yt, yp = np.asarray(p.y_true), np.asarray(p.y_pred)
        yt, yp = (yt if yt.ndim == 2 else yt[:, None])[sel], (yp if yp.ndim == 2 else yp[:, None])[sel]
        labels = tuple(f"{c} ({b.units[name] or 'a.u.'})" for c in b.columns[name][: yt.shape[1]])
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
                             label=p.best.decoder, max_points=len(p.t_s), ylabel=p.labels[j])
        axs[-1, 0].set_xlabel("time from start of decoded span (s; test folds)")
        span = len(p.t_s) * p.bin_size_s
        sec.figures.append(figures.save(fig, f"prediction_{p.behavior}",
                                        f"True (grey) and cross-validated predicted (orange, {p.best.decoder}) "
                                        f"{p.behavior} over {span:.0f} s of held-out test data."))
    sec.tables.append(("Best decoder per behaviour", [{"behavior": n, **v} for n, v in res.to_metrics().items()]))
    return sec
