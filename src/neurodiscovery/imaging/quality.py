"""ROI quality for imaging sessions: SNR from ΔF/F, baseline drift, event rate, mask size, iscell.

Every ROI gets every number: SNR always from ΔF/F (computed with the defaults of
:func:`~neurodiscovery.imaging.compute_dff` when the recording does not hold it, never from
deconvolved activity, whose noise floor is zero), drift in units of the ROI's noise SD (a
fraction of the median would be undefined where the stored fluorescence is centred on zero).
The ROIs whose ΔF/F needed a floored baseline, were rescaled to noise-SD units instead of
ΔF/F, were constant, or whose spike inference came out empty are flagged and counted
(:meth:`RoiQuality.counts`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError
from .._utils.quantity import Quantity, count
from .preprocess import delta_f_over_f, maximin_baseline, robust_noise_sd, subtract_neuropil


@dataclass(frozen=True)
class RoiQuality:
    """Per-ROI quality metrics (each array has shape (rois,)).

    Attributes
    ----------
    roi_ids : ndarray, shape (rois,)
        ROI identifiers.
    snr : ndarray, shape (rois,)
        (99th percentile − median) of the ΔF/F trace over its robust noise SD (NaN only when
        the recording holds neither ΔF/F nor fluorescence).
    baseline_drift : ndarray, shape (rois,)
        Range of the 60 s running 10th percentile of raw fluorescence (of ΔF/F when none is
        held), in units of that trace's robust noise SD; 0 for a constant trace.
    event_rate_hz : ndarray
        Inferred events per second: frames where deconvolved activity exceeds 3 noise SD
        of ΔF/F (or, without deconvolution, upward crossings of 3 SD in ΔF/F).
    mask_size_px : ndarray, shape (rois,)
        Pixels in the ROI mask (NaN when unknown).
    iscell : ndarray, shape (rois,)
        Segmentation's cell probability (NaN when unknown).
    trace_kind : str
        Series the SNR was computed on (``"dff"``, or ``"dff (computed for quality)"``).
    flags : dict of str -> ndarray of bool, shape (rois,)
        ``baseline_floored``, ``noise_scaled`` (not ΔF/F), ``constant``, ``empty_inference``.
    """

    roi_ids: np.ndarray
    snr: np.ndarray
    baseline_drift: np.ndarray
    event_rate_hz: np.ndarray
    mask_size_px: np.ndarray
    iscell: np.ndarray
    trace_kind: str
    flags: dict | None = None

    def rows(self) -> list[dict]:
        """One dict per ROI (for report tables), with its flags."""
        ints = np.issubdtype(np.asarray(self.roi_ids).dtype, np.integer)
        flags = self.flags or {}
        out = []
        for j, i in enumerate(self.roi_ids):
            row = {"roi": int(i) if ints else str(i), "snr": float(self.snr[j]),
                   "baseline_drift_sd": float(self.baseline_drift[j]), "event_rate_hz": float(self.event_rate_hz[j]),
                   "mask_size_px": float(self.mask_size_px[j]), "iscell": float(self.iscell[j])}
            row.update({k: bool(v[j]) for k, v in flags.items()})
            out.append(row)
        return out

    def counts(self) -> dict[str, Quantity]:
        """How many ROIs carry each flag, as counts of all ROIs (for reports, metrics and the CLI)."""
        n = len(self.roi_ids)
        words = {"baseline_floored": "ROIs whose ΔF/F baseline was floored at 10 % of the median raw F",
                 "noise_scaled": "ROIs rescaled to noise-SD units instead of ΔF/F (baseline ≤ 0)",
                 "constant": "constant ROIs (ΔF/F set to 0)",
                 "empty_inference": "ROIs whose inferred activity is all zero"}
        return {k: count(words[k], int(np.sum(v)), n, "ROIs") for k, v in (self.flags or {}).items()}


def _drift_sd(x: np.ndarray, rate_hz: float) -> np.ndarray:
    """Range of the 60 s running 10th percentile over the robust noise SD, per column."""
    win = max(2, int(round(60 * rate_hz)))
    n = max(1, len(x) // win)
    blocks = x[: n * win].reshape(n, win, -1) if len(x) >= win else x[None]
    p10 = np.percentile(blocks, 10, axis=1)
    rng = p10.max(axis=0) - p10.min(axis=0)
    sd = robust_noise_sd(x)
    return np.where(sd > 0, rng / np.where(sd > 0, sd, 1), 0.0)


def _dff_for_quality(trc) -> tuple[np.ndarray | None, dict, str]:
    """ΔF/F the quality numbers use: the held one, or one computed with the defaults."""
    rep = dict(trc.meta.get("dff_report") or {})
    if "dff" in trc.series:
        return trc.series["dff"], rep, "dff"
    if "fluorescence" not in trc.series:
        return None, {}, "none"
    f = trc.series["fluorescence"]
    if "neuropil" in trc.series:
        f = subtract_neuropil(f, trc.series["neuropil"], 0.7)
    dff, rep = delta_f_over_f(f, maximin_baseline(f, trc.rate_hz, 60.0, 0.33), raw=trc.series["fluorescence"])
    return dff, rep, "dff (computed for quality)"


def _flags(trc, rep: dict, n: int) -> dict:
    def mask(cols):
        m = np.zeros(n, bool)
        m[np.asarray(cols or [], int)] = True
        return m

    flags = {"baseline_floored": mask(rep.get("dff_floored_rois")), "noise_scaled": mask(rep.get("dff_noise_scaled_rois")),
             "constant": mask(rep.get("constant_rois"))}
    if "deconvolved" in trc.series:
        flags["empty_inference"] = ~np.any(trc.series["deconvolved"] > 0, axis=0)
    return flags


def roi_quality(traces) -> RoiQuality:
    """Quality of every ROI of a :class:`~neurodiscovery.data.Traces` (or imaging Recording).

    SNR from ΔF/F (computed with default settings when not held), drift from
    ``fluorescence``, event rate from ``deconvolved`` (see :class:`RoiQuality`).

    Parameters
    ----------
    traces : Traces or Recording
        Imaging traces (or a recording holding them).

    Returns
    -------
    RoiQuality
    """
    trc = getattr(traces, "traces", traces)
    if trc is None or not hasattr(trc, "series"):
        raise InputError("roi_quality needs imaging traces (a Traces or a Recording with traces)")
    y, rep, kind = _dff_for_quality(trc)
    n = trc.n_rois
    if y is None:  # only deconvolved activity: no ΔF/F to take an SNR from
        snr, sd = np.full(n, np.nan), robust_noise_sd(trc.series[trc.kind])
        y = trc.series[trc.kind]
    else:
        sd = robust_noise_sd(y)
        spread = np.percentile(y, 99, axis=0) - np.median(y, axis=0)
        snr = np.where(sd > 0, spread / np.where(sd > 0, sd, 1), 0.0)
    drift = _drift_sd(trc.series["fluorescence"] if "fluorescence" in trc.series else y, trc.rate_hz)
    dur = trc.n_frames / trc.rate_hz
    if "deconvolved" in trc.series:
        events = (trc.series["deconvolved"] > 3 * sd[None]).sum(axis=0)
    else:
        above = y - np.median(y, axis=0) > 3 * sd[None]
        events = (above[1:] & ~above[:-1]).sum(axis=0)
    return RoiQuality(np.asarray(trc.rois.roi_ids), snr, drift, events / dur, trc.rois.mask_size_px,
                      trc.rois.iscell, kind, _flags(trc, rep, n))
