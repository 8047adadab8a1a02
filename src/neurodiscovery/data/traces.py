"""Continuous activity of imaged ROIs: :class:`RoiTable` and :class:`Traces`.

A calcium-imaging session keeps, on one frame clock, several ``(time, rois)`` series of
the same ROIs: raw fluorescence, the neuropil around each ROI, ΔF/F, deconvolved
activity. :class:`Traces` holds them together; ``kind`` names the one analyses use
(:meth:`Traces.with_kind` switches). A :class:`~neurodiscovery.data.Recording` carrying
traces has one unit per ROI, so binning, alignment, splits and decoding work unchanged.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .._utils.errors import InputError

#: series kinds a Traces may hold; "neuropil" is stored but never analysed directly
TRACE_KINDS = ("fluorescence", "neuropil", "dff", "deconvolved", "spikes_inferred")
#: kinds whose samples are event amounts (summed into bins) rather than levels (averaged)
EVENT_KINDS = ("deconvolved", "spikes_inferred")

#: approximate in-vivo kinetics (rise, decay time constants in s) of common indicators: decays as
#: suite2p recommends for its ``tau`` (6f 0.7, 6m 1.0, 6s 1.25-1.5), rises after Chen et al. (2013)
INDICATOR_KINETICS = {"gcamp6f": (0.05, 0.7), "gcamp6m": (0.08, 1.0), "gcamp6s": (0.1, 1.5)}


def indicator_kinetics(indicator: str) -> tuple[float, float]:
    """``(tau_rise_s, tau_decay_s)`` of a known indicator (case and ``-``/space insensitive).

    Parameters
    ----------
    indicator : str
        Indicator name, e.g. ``"GCaMP6f"``.

    Returns
    -------
    tuple of float
        Rise and decay time constants (s).
    """
    key = str(indicator or "").lower().replace("-", "").replace(" ", "").replace("_", "")
    for k, v in INDICATOR_KINETICS.items():
        if k in key:
            return v
    raise InputError(f"unknown indicator kinetics for '{indicator}'; known: GCaMP6f, GCaMP6m, GCaMP6s "
                     "(give tau_decay_s instead)")


def _ro(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class RoiTable:
    """One row per imaged ROI.

    Parameters
    ----------
    roi_ids : ndarray, shape (rois,)
    iscell : ndarray, shape (rois,), optional
        Probability that the ROI is a cell (suite2p ``probcell``, the classifier's output); NaN when unknown.
    centroid_px : ndarray, shape (rois, 2), optional
        ROI centre ``(x, y)`` in pixels; NaN when unknown.
    pixel_masks : tuple of ndarray (k_i, 3), optional
        Per ROI the ``(x, y, weight)`` rows of its mask (NWB ``pixel_mask``).
    image_shape : (int, int), optional
        Field of view ``(height, width)`` in pixels.
    iscell_label : ndarray, shape (rois,), optional
        The curated cell label (suite2p ``iscell`` column 0, what the user chose in the GUI):
        1 cell, 0 not a cell, NaN unknown. It decides over the probability (:meth:`cells`).
    """

    roi_ids: np.ndarray
    iscell: np.ndarray | None = None
    centroid_px: np.ndarray | None = None
    pixel_masks: tuple | None = None
    image_shape: tuple | None = None
    iscell_label: np.ndarray | None = None

    def __post_init__(self):
        ids = np.asarray(self.roi_ids)
        if ids.ndim != 1:
            raise InputError(f"roi_ids must be 1-D, got shape {ids.shape}")
        n = len(ids)
        isc = np.full(n, np.nan) if self.iscell is None else np.asarray(self.iscell, float).reshape(-1)
        cen = np.full((n, 2), np.nan) if self.centroid_px is None else np.asarray(self.centroid_px, float)
        if len(isc) != n or cen.shape != (n, 2):
            raise InputError(f"ROI table: {n} ROIs but iscell has {len(isc)} rows and centroid_px shape "
                             f"{cen.shape} (mismatched lengths)")
        masks = None
        if self.pixel_masks is not None:
            masks = tuple(np.asarray(m, float).reshape(-1, 3) for m in self.pixel_masks)
            if len(masks) != n:
                raise InputError(f"ROI table: {len(masks)} pixel masks for {n} ROIs (mismatched lengths)")
            if self.centroid_px is None:
                cen = np.array([np.average(m[:, :2], axis=0, weights=np.maximum(m[:, 2], 1e-12))
                                if len(m) else [np.nan, np.nan] for m in masks]).reshape(n, 2)
        object.__setattr__(self, "roi_ids", ids)
        lab = np.full(n, np.nan) if self.iscell_label is None else np.asarray(self.iscell_label, float).reshape(-1)
        if len(lab) != n or not np.isin(lab[np.isfinite(lab)], (0.0, 1.0)).all():
            raise InputError(f"ROI table: iscell_label must hold {n} values 1 (cell), 0 (not a cell) or NaN")
        object.__setattr__(self, "iscell", isc)
        object.__setattr__(self, "iscell_label", lab)
        object.__setattr__(self, "centroid_px", cen)
        object.__setattr__(self, "pixel_masks", masks)
        object.__setattr__(self, "image_shape", None if self.image_shape is None
                           else tuple(int(x) for x in self.image_shape))

    def __len__(self) -> int:
        return len(self.roi_ids)

    @property
    def mask_size_px(self) -> np.ndarray:
        """Pixels in each ROI's mask, shape (rois,); NaN without masks."""
        if self.pixel_masks is None:
            return np.full(len(self), np.nan)
        return np.array([float(len(m)) for m in self.pixel_masks])

    def subset(self, idx: np.ndarray) -> RoiTable:
        """Rows ``idx (n,)`` (integer indices) as a new table."""
        idx = np.asarray(idx)
        masks = None if self.pixel_masks is None else tuple(self.pixel_masks[i] for i in idx)
        return RoiTable(self.roi_ids[idx], self.iscell[idx], self.centroid_px[idx], masks, self.image_shape,
                        self.iscell_label[idx])

    def cells(self, cell_probability: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
        """Which ROIs are cells, following suite2p: the curated label decides.

        Parameters
        ----------
        cell_probability : float
            Threshold on the probability, used only for ROIs without a label.

        Returns
        -------
        is_cell : ndarray of bool, shape (rois,)
            Label 1; else probability >= ``cell_probability``; ROIs with neither are kept (True).
        basis : ndarray of str, shape (rois,)
            ``"label"``, ``"probability"`` or ``"unknown"`` per ROI.
        """
        lab, prob = self.iscell_label, self.iscell
        has_lab, has_prob = np.isfinite(lab), np.isfinite(prob)
        is_cell = np.where(has_lab, lab == 1, np.where(has_prob, prob >= cell_probability, True))
        basis = np.where(has_lab, "label", np.where(has_prob, "probability", "unknown"))
        return is_cell.astype(bool), basis


@dataclass(frozen=True)
class Traces:
    """Several ``(time, rois)`` series of the same ROIs on one frame clock.

    Parameters
    ----------
    series : dict of kind -> ndarray (time, rois)
        Kinds from :data:`TRACE_KINDS`; all finite (see :func:`fill_nan_frames`).
    t_s : ndarray, shape (time,)
        Frame times in seconds, strictly increasing.
    kind : str
        The series analyses use (default: ``dff`` if held, else ``deconvolved``, else
        ``fluorescence``).
    rois : RoiTable, optional
        Default: ids ``0..rois-1`` and nothing else known.
    rate_hz : float, optional
        Imaging rate; default ``1 / median frame interval``.
    indicator : str
        Calcium indicator (``"GCaMP6f"``...), ``""`` when unknown.
    meta : dict
        Provenance: ``preprocessing`` steps, ``nan_frames`` report, source series names.
    """

    series: Mapping[str, np.ndarray]
    t_s: np.ndarray
    kind: str | None = None
    rois: RoiTable | None = None
    rate_hz: float | None = None
    indicator: str = ""
    meta: Mapping = field(default_factory=dict, compare=False)

    def __post_init__(self):
        t = np.asarray(self.t_s, float)
        if t.ndim != 1 or len(t) < 2:
            raise InputError(f"traces: frame times must be 1-D with >= 2 frames, got shape {t.shape}")
        if not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
            raise InputError("traces: frame times must be finite and strictly increasing")
        ser = {}
        for k, v in dict(self.series).items():
            if k not in TRACE_KINDS:
                raise InputError(f"traces: unknown kind '{k}'; use one of {', '.join(TRACE_KINDS)}")
            v = np.asarray(v, float)
            if v.ndim == 1:
                v = v[:, None]
            if v.ndim != 2 or v.shape[0] != len(t):
                raise InputError(f"traces: '{k}' has shape {v.shape}, expected ({len(t)} frames, rois)")
            n_bad = int((~np.isfinite(v)).any(axis=1).sum())
            if n_bad:
                raise InputError(f"traces: '{k}' has {n_bad} frames with NaN/inf; fill them with "
                                 "neurodiscovery.data.fill_nan_frames first")
            ser[k] = _ro(v)
        if not ser:
            raise InputError("traces: no series given")
        shapes = {v.shape[1] for v in ser.values()}
        if len(shapes) != 1:
            raise InputError(f"traces: series have different ROI counts {sorted(shapes)}")
        n = shapes.pop()
        rois = RoiTable(np.arange(n)) if self.rois is None else self.rois
        if len(rois) != n:
            raise InputError(f"traces: {n} ROIs in the series but {len(rois)} in the ROI table")
        kind = self.kind or next((k for k in ("dff", "deconvolved", "spikes_inferred", "fluorescence")
                                  if k in ser), None)
        if kind is None or kind == "neuropil" or kind not in ser:
            raise InputError(f"traces: kind '{kind}' is not analysable here; held: {', '.join(ser)}")
        rate = float(self.rate_hz) if self.rate_hz is not None else 1.0 / float(np.median(np.diff(t)))
        if not np.isfinite(rate) or rate <= 0:
            raise InputError(f"traces: rate_hz must be > 0, got {self.rate_hz}")
        object.__setattr__(self, "series", ser)
        object.__setattr__(self, "t_s", _ro(t))
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "rois", rois)
        object.__setattr__(self, "rate_hz", rate)
        object.__setattr__(self, "meta", dict(self.meta))

    @property
    def values(self) -> np.ndarray:
        """The analysed series ``(time, rois)``."""
        return self.series[self.kind]

    @property
    def n_rois(self) -> int:
        """Number of ROIs (columns of every series)."""
        return self.values.shape[1]

    @property
    def n_frames(self) -> int:
        """Number of imaging frames."""
        return len(self.t_s)

    @property
    def kinds(self) -> list[str]:
        """Kinds of the series held (see :data:`TRACE_KINDS`)."""
        return list(self.series)

    @property
    def span_s(self) -> tuple[float, float]:
        """``[first frame, last frame + one frame interval)`` in seconds."""
        return float(self.t_s[0]), float(self.t_s[-1] + 1.0 / self.rate_hz)

    def _replace(self, **kw) -> Traces:
        d = dict(series=self.series, t_s=self.t_s, kind=self.kind, rois=self.rois, rate_hz=self.rate_hz,
                 indicator=self.indicator, meta=dict(self.meta))
        d.update(kw)
        return Traces(**d)

    def with_kind(self, kind: str) -> Traces:
        """Same traces analysed through another held series ``kind`` (``dff``, ``deconvolved``...)."""
        if kind not in self.series:
            raise InputError(f"this recording has no '{kind}' traces; held: "
                             f"{', '.join(k for k in self.series if k != 'neuropil')}")
        return self._replace(kind=kind)

    def with_series(self, kind: str, values: np.ndarray, *, analyse: bool = True, **meta) -> Traces:
        """Add or replace the series ``kind`` with ``values (time, rois)``; ``meta`` entries are merged.

        With ``analyse`` (default) the new series becomes the analysed one.
        """
        ser = dict(self.series)
        ser[kind] = values
        return self._replace(series=ser, kind=kind if analyse else self.kind, meta={**self.meta, **meta})

    def with_meta(self, **meta) -> Traces:
        """Same traces with ``meta`` entries added or replaced."""
        return self._replace(meta={**self.meta, **meta})

    def select(self, idx) -> Traces:
        """ROIs selected by ``idx (rois,)``, a boolean mask or integer indices."""
        idx = np.arange(self.n_rois)[np.asarray(idx)]
        new = {int(old): i for i, old in enumerate(idx)}  # per-ROI column lists in meta follow the selection
        meta = dict(self.meta)
        if isinstance(meta.get("dff_report"), dict):
            meta["dff_report"] = {k: [new[c] for c in v if c in new] if isinstance(v, list) else v
                                  for k, v in meta["dff_report"].items()}
        return self._replace(series={k: v[:, idx] for k, v in self.series.items()}, rois=self.rois.subset(idx),
                             meta=meta)

    def restrict(self, intervals: np.ndarray) -> Traces | None:
        """Frames inside ``intervals (n, 2)`` in s; None when fewer than two remain."""
        from .timeseries import in_intervals

        keep = in_intervals(self.t_s, intervals)
        if keep.sum() < 2:
            return None
        return self._replace(series={k: v[keep] for k, v in self.series.items()}, t_s=self.t_s[keep])

    def summary(self) -> dict:
        """Plain-dict summary: ROIs, frames, rate, indicator, kinds, iscell counts, NaN frames, steps."""
        isc, lab = self.rois.iscell, self.rois.iscell_label
        is_cell, basis = self.rois.cells()
        return {"n_rois": self.n_rois, "n_frames": self.n_frames, "rate_hz": self.rate_hz,
                "indicator": self.indicator or None, "kind": self.kind, "kinds": self.kinds,
                "n_iscell_known": int(np.isfinite(isc).sum()),
                "n_labelled": int(np.isfinite(lab).sum()),
                "n_curated_cells": int((lab == 1).sum()) if np.isfinite(lab).any() else None,
                "n_cells": int(is_cell.sum()), "cells_by": sorted(set(basis.tolist())),
                "n_cells_p50": int((isc >= 0.5).sum()) if np.isfinite(isc).any() else None,
                "nan_frames": self.meta.get("nan_frames"),
                "preprocessing": self.meta.get("preprocessing")}


def fill_nan_frames(values: np.ndarray, rate_hz: float, max_gap_s: float = 2.0, what: str = "traces"):
    """Linearly interpolate NaN frames (dropped frames) in each ROI's trace.

    Parameters
    ----------
    values : ndarray, shape (time, rois)
    rate_hz : float
        Imaging rate, to express gaps in seconds.
    max_gap_s : float
        Longest run of NaN frames that is interpolated; a longer one is an error that
        names it (cut the recording there instead of inventing seconds of activity).
    what : str
        What to call the values in error messages.

    Returns
    -------
    filled : ndarray, shape (time, rois)
    report : dict
        ``n_nan_frames`` (frames where any ROI was NaN), ``n_gaps``, ``longest_gap_s``.
    """
    v = np.array(values, float)
    bad = ~np.isfinite(v)
    if not bad.any():
        return v, {"n_nan_frames": 0, "n_gaps": 0, "longest_gap_s": 0.0}
    frame_bad = bad.any(axis=1)
    edges = np.diff(np.concatenate([[0], frame_bad.astype(int), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    longest = int((stops - starts).max())
    if longest / rate_hz > max_gap_s:
        i = int(np.argmax(stops - starts))
        raise InputError(f"{what}: {longest} consecutive NaN frames ({longest / rate_hz:.2f} s from frame "
                         f"{starts[i]}) exceed max_nan_gap_s={max_gap_s}; restrict to the valid part or raise it")
    x = np.arange(len(v))
    for j in np.flatnonzero(bad.any(axis=0)):
        ok = ~bad[:, j]
        if ok.sum() < 2:
            raise InputError(f"{what}: ROI column {j} has fewer than 2 finite frames")
        v[bad[:, j], j] = np.interp(x[bad[:, j]], x[ok], v[ok, j])
    return v, {"n_nan_frames": int(frame_bad.sum()), "n_gaps": len(starts),
               "longest_gap_s": float(longest / rate_hz)}


def bin_traces(traces: Traces, edges: np.ndarray) -> np.ndarray:
    """Traces on consecutive bins ``[edges[i], edges[i+1])``, shape (n_bins, rois).

    Level kinds (fluorescence, ΔF/F) are averaged over the frames in a bin; event kinds
    (:data:`EVENT_KINDS`) are summed, so a bin holds the activity inferred in it. A bin
    holding no frame (bins shorter than a frame) takes the trace interpolated at its
    centre (times the bin's share of a frame for event kinds).

    Parameters
    ----------
    traces : Traces
        The traces (their analysed kind).
    edges : ndarray, shape (n_bins + 1,)
        Bin edges (s).

    Returns
    -------
    ndarray, shape (n_bins, rois)
    """
    edges = np.asarray(edges, float)
    v, t = traces.values, traces.t_s
    idx = np.searchsorted(t, edges, side="left")
    lo = idx[0]  # cumulate only the frames of this interval
    csum = np.concatenate([np.zeros((1, v.shape[1])), np.cumsum(v[lo:idx[-1]], axis=0)])
    sums = csum[idx[1:] - lo] - csum[idx[:-1] - lo]
    n = (idx[1:] - idx[:-1]).astype(float)
    event = traces.kind in EVENT_KINDS
    out = sums if event else sums / np.maximum(n, 1)[:, None]
    empty = n == 0
    if empty.any():
        centres = (edges[:-1] + edges[1:])[empty] / 2
        interp = np.stack([np.interp(centres, t, v[:, j]) for j in range(v.shape[1])], axis=1)
        if event:
            interp = interp * (np.diff(edges)[empty] * traces.rate_hz)[:, None]
        out[empty] = interp
    return out
