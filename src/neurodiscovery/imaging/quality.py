"""ROI quality for imaging sessions: SNR, baseline drift, event rate, mask size, iscell."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError
from .preprocess import robust_noise_sd


@dataclass(frozen=True)
class RoiQuality:
    """Per-ROI quality metrics (each array has shape (rois,)).

    Attributes
    ----------
    roi_ids : ndarray, shape (rois,)
        ROI identifiers.
    snr : ndarray, shape (rois,)
        (99th percentile − median) of the ΔF/F trace over its robust noise SD.
    baseline_drift : ndarray, shape (rois,)
        Range of the 60 s running 10th percentile of raw fluorescence over its median
        (fraction; from ΔF/F in ΔF/F units when no fluorescence is held).
    event_rate_hz : ndarray
        Inferred events per second: frames where deconvolved activity exceeds 3 noise SD
        of ΔF/F (or, without deconvolution, upward crossings of 3 SD in ΔF/F).
    mask_size_px : ndarray, shape (rois,)
        Pixels in the ROI mask (NaN when unknown).
    iscell : ndarray, shape (rois,)
        Segmentation's cell probability (NaN when unknown).
    trace_kind : str
        Series the SNR was computed on.
    """

    roi_ids: np.ndarray
    snr: np.ndarray
    baseline_drift: np.ndarray
    event_rate_hz: np.ndarray
    mask_size_px: np.ndarray
    iscell: np.ndarray
    trace_kind: str

    def rows(self) -> list[dict]:
        """One dict per ROI (for report tables)."""
        return [{"roi": int(i) if np.issubdtype(np.asarray(self.roi_ids).dtype, np.integer) else str(i),
                 "snr": float(s), "baseline_drift": float(d), "event_rate_hz": float(e),
                 "mask_size_px": float(m), "iscell": float(c)}
                for i, s, d, e, m, c in zip(self.roi_ids, self.snr, self.baseline_drift, self.event_rate_hz,
                                            self.mask_size_px, self.iscell)]


def _drift(x: np.ndarray, rate_hz: float, relative: bool) -> np.ndarray:
    win = max(2, int(round(60 * rate_hz)))
    n = max(1, len(x) // win)
    blocks = x[: n * win].reshape(n, win, -1) if len(x) >= win else x[None]
    p10 = np.percentile(blocks, 10, axis=1)
    rng = p10.max(axis=0) - p10.min(axis=0)
    if not relative:
        return rng
    med = np.median(x, axis=0)
    return np.where(med > 0, rng / np.where(med > 0, med, 1), np.nan)


def roi_quality(traces) -> RoiQuality:
    """Quality of every ROI of a :class:`~neurodiscovery.data.Traces` (or imaging Recording).

    Uses the ``dff`` series when held (else the analysed one) for SNR, ``fluorescence``
    for drift, ``deconvolved`` for the event rate (see :class:`RoiQuality`).

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
    kind = "dff" if "dff" in trc.series else trc.kind
    y = trc.series[kind]
    sd = robust_noise_sd(y)
    spread = np.percentile(y, 99, axis=0) - np.median(y, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        snr = np.where(sd > 0, spread / np.where(sd > 0, sd, 1), 0.0)
    if "fluorescence" in trc.series:
        drift = _drift(trc.series["fluorescence"], trc.rate_hz, True)
    else:
        drift = _drift(y, trc.rate_hz, False)
    dur = trc.n_frames / trc.rate_hz
    if "deconvolved" in trc.series:
        events = (trc.series["deconvolved"] > 3 * sd[None]).sum(axis=0)
    else:
        above = y - np.median(y, axis=0) > 3 * sd[None]
        events = (above[1:] & ~above[:-1]).sum(axis=0)
    return RoiQuality(np.asarray(trc.rois.roi_ids), snr, drift, events / dur, trc.rois.mask_size_px,
                      trc.rois.iscell, kind)
