"""Section 2: unit quality (rates, refractory-period violations, CV of ISIs) and a raster."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._utils.quantity import count
from ..report import Section
from ._inputs import AnalysisInputs, plt


@dataclass(frozen=True)
class QualityResult:
    """Per-unit quality and a raster window.

    Attributes
    ----------
    quality : UnitQuality
        :func:`~neurodiscovery.units.unit_quality` of every unit (rate_hz, fraction_isi_violations,
        contamination, isi_cv, ...).
    n_violating : int
        Units whose fraction of ISIs < 1.5 ms exceeds ``isi_violation_fraction``.
    isi_violation_fraction : float
    raster_spikes_s : tuple of ndarray
        Spike times (s) of every unit inside the raster window.
    raster_window_s : tuple of float
        (start, stop) in seconds.
    """

    quality: object
    n_violating: int
    isi_violation_fraction: float
    raster_spikes_s: tuple
    raster_window_s: tuple

    def to_metrics(self) -> dict:
        """``{"units": [row per unit]}``."""
        return {"units": self.quality.rows()}


def compute(inputs: AnalysisInputs, cfg, needs: dict):
    """Quality metrics of every unit and the spikes of a window where behaviour is tracked.

    An imaging recording gets ROI quality instead (:mod:`.roi_quality`).
    """
    from ...units import unit_quality

    rec = inputs.rec
    if getattr(rec, "traces", None) is not None:
        from . import roi_quality

        return roi_quality.compute(inputs, cfg, needs)
    q = unit_quality(rec)
    t0 = rec.time_support_s[0] + rec.duration_s / 2
    pb = inputs.primary_behavior()
    if pb is not None:
        t0 = float(np.median(rec.behavior(pb).t_s))
    win = min(cfg.raster_window_s, rec.duration_s)
    lo, hi = t0 - win / 2, t0 + win / 2
    spikes = tuple(st[(st >= lo) & (st < hi)] for st in rec.spike_times)
    return QualityResult(q, int((q.fraction_isi_violations > cfg.isi_violation_fraction).sum()),
                         float(cfg.isi_violation_fraction), spikes, (float(lo), float(hi)))


def render(res, figures) -> Section:
    """Quality table, rate-vs-CV scatter, raster; the count of violating units as a key number."""
    from ...plotting import plot_quality_scatter, plot_unit_raster
    from . import roi_quality

    if isinstance(res, roi_quality.RoiQualityResult):
        return roi_quality.render(res, figures)

    q = res.quality
    sec = Section("quality", "")
    sec.tables.append(("Per-unit quality (ISI violations: ISIs < 1.5 ms; contamination: Hill et al. 2011)",
                       q.rows()))
    fig, ax = plt().subplots(figsize=(5, 3.5))
    plot_quality_scatter(q.rate_hz, q.fraction_isi_violations, q.isi_cv, q.regions, ax=ax)
    sec.figures.append(figures.save(fig, "quality_rate_vs_cv",
                                    "Firing rate against CV of inter-spike intervals per unit, marker size grows "
                                    "with the fraction of refractory-period violations."))
    lo, hi = res.raster_window_s
    fig, ax = plt().subplots(figsize=(7, 3.5))
    plot_unit_raster(res.raster_spikes_s, lo, hi, regions=q.regions, ax=ax)
    sec.figures.append(figures.save(fig, "raster", f"Spike raster of all units over {hi - lo:.0f} s around "
                                                   f"t = {(lo + hi) / 2:.0f} s, coloured by region."))
    pct = f"{100 * res.isi_violation_fraction:g}"
    sec.key_numbers.append(count(f"units with > {pct} % ISI violations (< 1.5 ms)", res.n_violating, len(q), "units"))
    return sec
