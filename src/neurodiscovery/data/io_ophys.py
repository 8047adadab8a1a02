"""Calcium imaging (ophys) in NWB and NPZ: ROIs, their traces, imaging rate and indicator.

Reading follows what suite2p, CaImAn and the NWB conversion tools write: every
``RoiResponseSeries`` inside ``Fluorescence``/``DfOverF`` containers of any processing
module (usually ``processing/ophys``), the ``PlaneSegmentation`` their ``rois`` point to
(pixel or image masks, ``iscell`` as one probability column or suite2p's two columns
``[iscell, probcell]``) and the imaging plane (``indicator``, ``imaging_rate``).

A series' kind comes from the JSON ``{"kind": ...}`` neurodiscovery writes in its
description, else from its container/series name: ``*neuropil*`` → neuropil,
``*deconv*``/``spks`` → deconvolved, a ``DfOverF`` container or ``*dff*`` → ΔF/F,
anything else → fluorescence.

Files in the wild
-----------------
- A series stored ``(rois, time)`` instead of NWB's ``(time, rois)`` is recognised
  against its segmentation's ROI count, transposed, and noted in ``meta['transposed']``.
- A series whose ROI count matches neither axis is an error naming both counts.
- NaN frames (dropped frames) are interpolated up to ``max_nan_gap_s`` and reported in
  ``meta['nan_frames']``; longer gaps are an error.
- No timestamps and no rate: an error saying so (pynwb cannot even build such a
  series); ``rate_hz=`` overrides a wrong rate.
"""
from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np

from .._utils.errors import DataFileError, InputError
from .traces import TRACE_KINDS, RoiTable, Traces, fill_nan_frames


def _kind_of(container, series) -> str:
    desc = getattr(series, "description", "") or ""
    if desc.startswith("{"):
        try:
            k = json.loads(desc).get("kind")
            if k in TRACE_KINDS:
                return k
        except (ValueError, AttributeError):
            pass
    names = f"{container.name} {series.name}".lower()
    if "neuropil" in names or "fneu" in names:
        return "neuropil"
    if "deconv" in names or "spks" in names:
        return "deconvolved"
    if "spikes_inferred" in names or "spikesinferred" in names:
        return "spikes_inferred"
    if type(container).__name__ == "DfOverF" or "dff" in names or "dfof" in names:
        return "dff"
    return "fluorescence"


def _declared(series) -> bool:
    """True when the series' description is neurodiscovery's JSON naming its kind."""
    return (getattr(series, "description", "") or "").startswith('{"kind"')


def _roi_series(nwb):
    """Yield (kind, series) for every RoiResponseSeries in Fluorescence/DfOverF containers."""
    from pynwb.ophys import DfOverF, Fluorescence, RoiResponseSeries

    for mod in nwb.processing.values():
        for obj in mod.data_interfaces.values():
            if isinstance(obj, (Fluorescence, DfOverF)):
                for s in obj.roi_response_series.values():
                    yield _kind_of(obj, s), s
            elif isinstance(obj, RoiResponseSeries):
                yield _kind_of(obj, obj), obj


def no_timing_error(path, exc: Exception) -> DataFileError | None:
    """The one-line error for a series pynwb refuses because it has neither timestamps nor a rate."""
    if "'timestamps' or 'rate' must be specified" not in str(exc):
        return None
    return DataFileError(f"{path}: a series has no timestamps and no imaging rate, so its frame times are "
                         "unknown; write a rate (starting_time with its rate attribute) into the file")


def has_ophys(nwb) -> bool:
    """True when the file holds ROI response series (calcium imaging)."""
    return next(_roi_series(nwb), None) is not None


def _roi_table(seg, rows: np.ndarray) -> RoiTable:
    cols = set(seg.colnames)
    ids = np.asarray(seg.id.data[:])[rows]
    iscell, label = _iscell_columns(seg)
    iscell = None if iscell is None else iscell[rows]
    label = None if label is None else label[rows]
    masks, shape = None, None
    if "pixel_mask" in cols:
        masks = []
        for i in rows:
            m = np.asarray([tuple(p) for p in seg["pixel_mask"][int(i)]], float).reshape(-1, 3)
            masks.append(m[m[:, 2] > 0])  # rows of weight 0 stand for pixels outside the ROI (some writers pad masks with them)
    elif "image_mask" in cols:
        masks = []
        for i in rows:
            img = np.asarray(seg["image_mask"][int(i)], float)
            shape = img.shape
            y, x = np.nonzero(img)
            masks.append(np.column_stack([x, y, img[y, x]]))
    if masks is not None and not any(len(m) for m in masks):
        masks = None
    return RoiTable(ids, iscell=iscell, pixel_masks=masks, image_shape=shape, iscell_label=label)


def _iscell_columns(seg) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``(probability, label)`` from a PlaneSegmentation's ``iscell`` (suite2p: ``[iscell, probcell]``).

    Two columns: the first is the curated label, the second the classifier's probability.
    One column: all values 0/1 is a label, anything else a probability.
    """
    if "iscell" not in seg.colnames:
        return None, None
    v = np.asarray(seg["iscell"].data[:], float)
    if v.ndim == 2 and v.shape[1] > 1:
        return v[:, 1], v[:, 0]
    v = v.reshape(len(v), -1)[:, 0]
    return (None, v) if np.isin(v[np.isfinite(v)], (0.0, 1.0)).all() else (v, None)


def _plane_meta(plane) -> dict | None:
    """The imaging plane's description, wavelengths, device and optical channel (carried into files we write)."""
    if plane is None:
        return None
    dev, ch = getattr(plane, "device", None), (list(getattr(plane, "optical_channel", []) or []) or [None])[0]

    def num(v):
        return float(v) if v is not None else None

    return {"name": plane.name, "description": plane.description, "excitation_lambda": num(plane.excitation_lambda),
            "location": plane.location, "indicator": plane.indicator,
            "device": getattr(dev, "name", None), "device_description": getattr(dev, "description", None),
            "device_manufacturer": getattr(dev, "manufacturer", None),
            "channel": getattr(ch, "name", None), "channel_description": getattr(ch, "description", None),
            "emission_lambda": num(getattr(ch, "emission_lambda", None))}


def _as_time_major(data: np.ndarray, n_rois: int, name: str, path) -> tuple[np.ndarray, bool]:
    if data.ndim == 1:
        data = data[:, None]
    if data.shape[1] == n_rois:
        return data, False
    if data.shape[0] == n_rois:
        return data.T, True
    raise DataFileError(f"{path}: series '{name}' has shape {data.shape} but its segmentation has "
                        f"{n_rois} ROIs: the ROI counts do not match")


def _frame_times(series, plane_rate, rate_hz, n_frames, path) -> tuple[np.ndarray, float | None]:
    if rate_hz is not None:
        return float(getattr(series, "starting_time", None) or 0.0) + np.arange(n_frames) / float(rate_hz), \
            float(rate_hz)
    if series.timestamps is not None:
        t = np.asarray(series.timestamps[:], float)
        if len(t) != n_frames:
            raise DataFileError(f"{path}: series '{series.name}' has {n_frames} frames but {len(t)} timestamps")
        return t, None
    rate = series.rate if series.rate else plane_rate
    if rate is None or not np.isfinite(rate) or rate <= 0:
        raise DataFileError(f"{path}: series '{series.name}' has no timestamps and no imaging rate; "
                            "give the frame rate (read_ophys_nwb(..., rate_hz=30.0))")
    return float(series.starting_time or 0.0) + np.arange(n_frames) / float(rate), float(rate)


def read_ophys_traces(nwb, path="file", *, rate_hz: float | None = None,
                      max_nan_gap_s: float = 2.0) -> Traces:
    """All ROI response series of an open NWB file as one :class:`Traces`.

    Series must share one segmentation and frame count; of several series of one kind the
    one neurodiscovery wrote (its description declares the kind) is kept, else the first;
    the others are named in ``meta['ignored_series']`` (``deconvolve`` keeps suite2p's
    ``Deconvolved`` beside its own ``DeconvolvedOASIS``).
    """
    found: dict[str, object] = {}
    ignored = []
    for kind, s in _roi_series(nwb):
        if kind in found and not (_declared(s) and not _declared(found[kind])):
            ignored.append(s.name)
            continue
        if kind in found:
            ignored.append(found[kind].name)
        found[kind] = s
    analysed = next((k for k, s in found.items() if _declared(s) and '"analysed": true' in s.description), None)
    if not found:
        raise DataFileError(f"{path} holds no RoiResponseSeries (no calcium-imaging traces)")
    first = next(iter(found.values()))
    seg, rows = first.rois.table, np.asarray(first.rois.data[:], int)
    plane = getattr(seg, "imaging_plane", None)
    plane_rate = getattr(plane, "imaging_rate", None)
    series, transposed, nan_report = {}, [], {}
    t_s, rate = None, None
    for kind, s in found.items():
        if s.rois.table is not seg or len(s.rois.data) != len(rows):
            raise DataFileError(f"{path}: series '{s.name}' refers to {len(s.rois.data)} ROIs of "
                                f"'{s.rois.table.name}', '{first.name}' to {len(rows)} of '{seg.name}'")
        data, tr = _as_time_major(np.asarray(s.data[:], float), len(rows), s.name, path)
        if tr:
            transposed.append(s.name)
        if t_s is None:
            t_s, rate = _frame_times(s, plane_rate, rate_hz, data.shape[0], path)
        elif data.shape[0] != len(t_s):
            raise DataFileError(f"{path}: series '{s.name}' has {data.shape[0]} frames, "
                                f"'{first.name}' has {len(t_s)}")
        r = rate or 1.0 / float(np.median(np.diff(t_s)))
        try:
            series[kind], rep = fill_nan_frames(data, r, max_nan_gap_s, what=f"{path}: series '{s.name}'")
        except InputError as exc:
            raise DataFileError(str(exc)) from None
        if rep["n_nan_frames"]:
            nan_report[kind] = rep
    meta = {"source_series": {k: s.name for k, s in found.items()}, "transposed": transposed,
            "nan_frames": nan_report or None, "ignored_series": ignored,
            "imaging_plane": getattr(plane, "name", None), "location": getattr(plane, "location", None),
            "imaging_plane_meta": _plane_meta(plane)}
    if "region" in seg.colnames:
        meta["regions"] = [str(x) for x in np.asarray(seg["region"].data[:])[rows]]
    return Traces(series, t_s, kind=analysed, rois=_roi_table(seg, rows), rate_hz=rate,
                  indicator=str(getattr(plane, "indicator", "") or ""), meta=meta)


def _ophys_file_meta(nwb, trc: Traces) -> dict:
    """:func:`file_meta`, minus the microscope the imaging plane metadata carries."""
    from ._nwb_derive import file_meta

    meta = file_meta(nwb)
    dev = (trc.meta.get("imaging_plane_meta") or {}).get("device")
    meta["not_carried"] = [x for x in meta["not_carried"] if x != f"device {dev}"]
    return meta


def read_ophys_nwb(path: str | os.PathLike, *, rate_hz: float | None = None, max_nan_gap_s: float = 2.0):
    """Read a calcium-imaging NWB file into a :class:`~neurodiscovery.data.Recording`.

    Parameters
    ----------
    path : path
    rate_hz : float, optional
        Imaging rate to use when the file has neither timestamps nor a rate (overrides them).
    max_nan_gap_s : float
        Longest run of NaN frames that is interpolated (see module notes).

    Returns
    -------
    Recording
        ``traces`` holds every series found; behaviour, epochs and trials as for spikes.
    """
    import pynwb

    from .io_nwb import _check_hdf5, _read_behaviors, _read_intervals, _subject_meta, _table_columns, recording_name
    from .recording import Recording, Trials

    path = Path(path)
    _check_hdf5(path)
    try:
        with pynwb.NWBHDF5IO(str(path), "r", load_namespaces=True) as io, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nwb = io.read()
            trc = read_ophys_traces(nwb, path, rate_hz=rate_hz, max_nan_gap_s=max_nan_gap_s)
            trials = None
            if nwb.trials is not None and len(nwb.trials):
                trials = Trials(np.asarray(nwb.trials["start_time"].data[:], float),
                                np.asarray(nwb.trials["stop_time"].data[:], float),
                                _table_columns(nwb.trials, {"start_time", "stop_time", "timeseries", "tags"}))
            regions = trc.meta.get("regions") or [trc.meta.get("location") or "unknown"] * trc.n_rois
            return Recording([], regions=regions, behaviors=_read_behaviors(nwb),
                             epochs=_read_intervals(nwb), trials=trials, traces=trc,
                             name=recording_name(nwb), meta={"source": str(path), "format": "nwb",
                                                             "nwb": _ophys_file_meta(nwb, trc), **_subject_meta(nwb)})
    except (DataFileError, InputError):
        raise
    except Exception as exc:
        if no_timing_error(path, exc):
            raise no_timing_error(path, exc) from None
        raise DataFileError(f"{path} is not a readable ophys NWB file ({type(exc).__name__}: {exc})") from None


def traces_to_npz(trc: Traces) -> dict:
    """NPZ fields (``traces__*``, ``roi__*``) for :mod:`neurodiscovery.data.io_npz`."""
    d = {"traces__t_s": np.asarray(trc.t_s), "traces__rate_hz": np.array(trc.rate_hz),
         "traces__kind": np.array(trc.kind), "traces__indicator": np.array(trc.indicator),
         "traces__meta": np.array(json.dumps(trc.meta, default=str)),
         "roi__ids": np.asarray(trc.rois.roi_ids), "roi__iscell": trc.rois.iscell,
         "roi__iscell_label": trc.rois.iscell_label,
         "roi__centroid_px": trc.rois.centroid_px}
    if d["roi__ids"].dtype == object:
        d["roi__ids"] = d["roi__ids"].astype(str)
    for k, v in trc.series.items():
        d[f"traces__series__{k}"] = np.asarray(v)
    if trc.rois.pixel_masks is not None:
        d["roi__mask_ptr"] = np.concatenate([[0], np.cumsum([len(m) for m in trc.rois.pixel_masks])])
        d["roi__masks"] = np.concatenate(trc.rois.pixel_masks).reshape(-1, 3)
    if trc.rois.image_shape is not None:
        d["roi__image_shape"] = np.asarray(trc.rois.image_shape)
    return d


def traces_from_npz(z, keys: set, path) -> Traces | None:
    """Inverse of :func:`traces_to_npz`; None when the file holds no traces."""
    if "traces__t_s" not in keys:
        return None
    series = {k[len("traces__series__"):]: z[k] for k in keys if k.startswith("traces__series__")}
    masks = None
    if "roi__mask_ptr" in keys:
        ptr, flat = z["roi__mask_ptr"], z["roi__masks"]
        masks = [flat[ptr[i]:ptr[i + 1]] for i in range(len(ptr) - 1)]
    rois = RoiTable(z["roi__ids"], z["roi__iscell"] if "roi__iscell" in keys else None,
                    z["roi__centroid_px"] if "roi__centroid_px" in keys else None, masks,
                    tuple(z["roi__image_shape"]) if "roi__image_shape" in keys else None,
                    z["roi__iscell_label"] if "roi__iscell_label" in keys else None)
    try:
        meta = json.loads(str(z["traces__meta"])) if "traces__meta" in keys else {}
    except ValueError:
        meta = {}
    return Traces(series, z["traces__t_s"], kind=str(z["traces__kind"]), rois=rois,
                  rate_hz=float(z["traces__rate_hz"]), indicator=str(z["traces__indicator"]), meta=meta)
