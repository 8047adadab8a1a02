"""Section 2 for imaging recordings: ROI quality (SNR, baseline drift, event rate, mask size, iscell).

:mod:`.quality` hands an imaging recording to :func:`compute` here and renders the
:class:`RoiQualityResult` with :func:`render`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._utils.quantity import quantity
from ..report import Section
from ._inputs import AnalysisInputs, plt


@dataclass(frozen=True)
class RoiQualityResult:
    """Per-ROI quality of an imaging recording.

    Attributes
    ----------
    quality : RoiQuality
        :func:`~neurodiscovery.imaging.roi_quality` of the analysed ROIs.
    regions : tuple of str
    traces : Traces
        The analysed traces (for the example-trace figure).
    window_s : tuple of float
        (start, stop) of the example-trace window in seconds.
    """

    quality: object
    regions: tuple
    traces: object
    window_s: tuple

    def to_metrics(self) -> dict:
        """``{"rois": [row per ROI], "trace": kind, "snr_trace": kind, "counts": {flag: Quantity JSON}}``."""
        rows = self.quality.rows()
        for r, reg in zip(rows, self.regions):
            r["region"] = reg
        return {"rois": rows, "trace": self.traces.kind, "snr_trace": self.quality.trace_kind,
                "counts": {k: q.to_json() for k, q in self.quality.counts().items()}}


def compute(inputs: AnalysisInputs, cfg, needs: dict) -> RoiQualityResult:
    """ROI quality of every analysed ROI and a window of example traces."""
    from ...imaging import roi_quality

    rec = inputs.rec
    q = roi_quality(rec.traces)
    flagged = [c for c in q.counts().values() if c.value]
    if flagged:  # on the command line too, not only in the report
        import warnings

        warnings.warn("imaging: " + "; ".join(f"{c.label}: {c.format()}" for c in flagged), stacklevel=2)
    t0 = float(rec.traces.t_s[0] + rec.duration_s / 2)
    pb = inputs.primary_behavior()
    if pb is not None:
        t0 = float(np.median(rec.behavior(pb).t_s))
    win = min(cfg.raster_window_s * 3, rec.duration_s)
    return RoiQualityResult(q, tuple(str(r) for r in rec.regions), rec.traces, (t0 - win / 2, t0 + win / 2))


def render(res: RoiQualityResult, figures) -> Section:
    """ROI table, SNR-vs-event-rate scatter, example traces; the median SNR as a key number."""
    from ...imaging import plot_roi_quality, plot_roi_traces

    q = res.quality
    sec = Section("quality", "")
    sec.text.append(f"Imaging recording: ROI quality instead of spike-sorting quality. SNR = (99th percentile − "
                    f"median) of ΔF/F ({q.trace_kind}) over its robust noise SD; events = frames where the deconvolved "
                    "activity exceeds 3 noise SD; drift = range of the 60 s 10th-percentile fluorescence in units of "
                    "its noise SD.")
    counts = q.counts()
    if counts:
        sec.text.append("ΔF/F and inference special cases: " + "; ".join(
            f"{c.label}: {c.format()}" for c in counts.values()) + ".")
    sec.tables.append(("Per-ROI quality", res.to_metrics()["rois"]))
    fig, ax = plt().subplots(figsize=(5, 3.5))
    plot_roi_quality(q, ax=ax)
    sec.figures.append(figures.save(fig, "roi_quality", "SNR against inferred event rate per ROI; marker size "
                                                        "grows with the mask, colour is the iscell probability."))
    fig, ax = plt().subplots(figsize=(7, 4))
    order = np.argsort(-q.snr)[:8]
    plot_roi_traces(res.traces, rois=np.sort(order), window_s=res.window_s, ax=ax)
    lo, hi = res.window_s
    sec.figures.append(figures.save(fig, "roi_traces", f"ΔF/F (scaled) of the 8 highest-SNR ROIs over {hi - lo:.0f} s "
                                                       "around the middle of the tracked period, with the inferred "
                                                       "activity as bars when it was computed."))
    snr = q.snr[np.isfinite(q.snr)]
    sec.key_numbers.append(quantity("median ROI SNR (ΔF/F)", float(np.median(snr)) if len(snr) else None, "1",
                                    note=None if len(snr) else "undefined: no ΔF/F trace"))
    for k in ("baseline_floored", "noise_scaled", "empty_inference"):
        if k in counts and counts[k].value:
            sec.key_numbers.append(counts[k])
    return sec
