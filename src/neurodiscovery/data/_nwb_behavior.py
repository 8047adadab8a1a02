"""Behaviour of an NWB file: Position, CompassDirection, SpatialSeries and BehavioralTimeSeries.

Read from ``processing/*`` and ``acquisition``; see :mod:`neurodiscovery.data.io_nwb` for the
naming rules (``position`` columns, ``head_direction`` from Euler angles).
"""
from __future__ import annotations

import json

import numpy as np

from .timeseries import TimeSeries

_ANGLE_UNITS = {"radian", "radians", "rad"}
#: NWB's spelled-out spatial units (what the Inspector accepts) and the short forms recordings use
_SPATIAL_UNITS = {"m": "meters", "cm": "centimeters", "mm": "millimeters", "um": "micrometers",
                  "µm": "micrometers", "px": "pixels", "": "n.a."}
_SHORT_UNITS = {v: k for k, v in _SPATIAL_UNITS.items() if k != "um"}
_DEGREE_UNITS = {"degree", "degrees", "deg"}


def _series_times(s) -> np.ndarray:
    if s.timestamps is not None:
        return np.asarray(s.timestamps[:], float)
    n = s.data.shape[0]
    return float(s.starting_time or 0.0) + np.arange(n) / float(s.rate)


def _behavior_containers(nwb):
    """Yield (container, kind) for behaviour interfaces in processing modules and acquisition."""
    from pynwb.base import TimeSeries as NWBTimeSeries
    from pynwb.behavior import BehavioralTimeSeries, CompassDirection, Position, SpatialSeries

    places = [nwb.acquisition]
    places += [m.data_interfaces for m in nwb.processing.values()]
    for place in places:
        for obj in place.values():
            if isinstance(obj, CompassDirection):
                yield "compass", list(obj.spatial_series.values())
            elif isinstance(obj, Position):
                yield "position", list(obj.spatial_series.values())
            elif isinstance(obj, BehavioralTimeSeries):
                yield "generic", list(obj.time_series.values())
            elif isinstance(obj, SpatialSeries):
                yield "generic", [obj]
            elif isinstance(obj, NWBTimeSeries) and place is not nwb.acquisition \
                    and getattr(obj, "data", None) is not None:
                yield "generic", [obj]


def _make_ts(name, s, circular=None) -> TimeSeries:
    data = np.asarray(s.data[:], float)
    unit = (s.unit or "").strip()
    unit = _SHORT_UNITS.get(unit, unit)
    circ = circular if circular is not None else unit.lower() in _ANGLE_UNITS
    if unit.lower() in _DEGREE_UNITS:
        data, unit, circ = np.deg2rad(data), "rad", True
    if circ:
        unit = "rad"
    cols = None
    desc = getattr(s, "description", "") or ""
    if desc.startswith("{"):
        try:
            cols = json.loads(desc).get("columns")
        except (ValueError, AttributeError):
            cols = None
    kw = {"columns": tuple(cols)} if cols and len(cols) == (data.shape[1] if data.ndim == 2 else 1) else {}
    return TimeSeries.from_samples(name, _series_times(s), data, drop_nan=True, units=unit,
                                   circular=bool(circ), **kw)


def _read_behaviors(nwb) -> dict[str, TimeSeries]:
    out: dict[str, TimeSeries] = {}

    def put(name, ts):
        base, k = name, 2
        while name in out:
            name = f"{base}_{k}"
            k += 1
        if ts.name != name:
            ts = TimeSeries(name, ts.t_s, ts.values, ts.columns, ts.units, ts.circular, ts.meta)
        out[name] = ts

    for kind, series in _behavior_containers(nwb):
        names = [s.name for s in series]
        if kind == "compass" and {"rx", "ry", "rz"} <= set(names):
            for s in series:
                put("head_direction" if s.name == "ry" else f"compass_{s.name}", _make_ts(s.name, s, True))
            continue
        if kind == "position" and len(series) > 1 and all(len(s.data.shape) == 1 for s in series) \
                and set(names) <= {"x", "y", "z"} and len({s.data.shape[0] for s in series}) == 1:
            t = _series_times(series[0])
            vals = np.stack([np.asarray(s.data[:], float) for s in series], axis=1)
            put("position", TimeSeries.from_samples("position", t, vals, drop_nan=True,
                                                    columns=tuple(names),
                                                    units=_SHORT_UNITS.get(series[0].unit or "", series[0].unit or "")))
            continue
        for s in series:
            put(s.name, _make_ts(s.name, s, True if kind == "compass" else None))
    return out


def behavior_acquisition_names(nwb) -> set[str]:
    """Names of the acquisition objects :func:`_read_behaviors` turns into behaviours."""
    from pynwb.base import TimeSeries as NWBTimeSeries
    from pynwb.behavior import BehavioralTimeSeries, CompassDirection, Position, SpatialSeries

    kinds = (CompassDirection, Position, BehavioralTimeSeries, SpatialSeries)
    return {k for k, v in nwb.acquisition.items() if isinstance(v, kinds)
            or (isinstance(v, NWBTimeSeries) and type(v).__name__ in ("TimeSeries", "SpatialSeries"))}


def regular_timing(t_s: np.ndarray, rtol: float = 1e-6) -> dict:
    """``starting_time`` + ``rate`` when samples are evenly spaced (within ``rtol``), else ``timestamps``.

    Parameters
    ----------
    t_s : ndarray, shape (samples,)
        Sample times (s).
    rtol : float
        Largest relative deviation of an interval from the mean interval still counted as regular.

    Returns
    -------
    dict
        Keyword arguments for a pynwb TimeSeries.
    """
    t = np.asarray(t_s, float)
    if len(t) > 2:
        step = (t[-1] - t[0]) / (len(t) - 1)
        if step > 0 and np.abs(np.diff(t) - step).max() <= rtol * step:
            return {"starting_time": float(t[0]), "rate": float(1.0 / step)}
    return {"timestamps": t}


def add_behaviors(nwb, rec) -> None:
    """Circular behaviours to CompassDirection, ``position`` to Position, others to BehavioralTimeSeries.

    Evenly sampled behaviours are written as ``starting_time`` + ``rate`` (NWB best practice);
    column names travel in the series description (JSON) so a round trip keeps them.

    Parameters
    ----------
    nwb : pynwb.NWBFile
        File being built.
    rec : Recording
        Its ``behaviors`` are written to ``processing/behavior``.
    """
    from pynwb.behavior import BehavioralTimeSeries, CompassDirection, Position

    if not rec.behaviors:
        return
    mod = nwb.create_processing_module("behavior", "behavioural variables")
    compass, pos, other = CompassDirection(), Position(), BehavioralTimeSeries()
    for name, b in rec.behaviors.items():
        kw = dict(name=name, data=b.values if b.values.shape[1] > 1 else b.values[:, 0],
                  description=json.dumps({"columns": list(b.columns)}), **regular_timing(b.t_s))
        if b.circular:
            compass.create_spatial_series(reference_frame="unknown", unit="radians", **kw)
        elif name == "position":  # the recording's declared unit, never a default "meters"
            pos.create_spatial_series(reference_frame="unknown", unit=_SPATIAL_UNITS.get(b.units or "", b.units),
                                      **kw)
        else:
            other.create_timeseries(unit=b.units or "unknown", **kw)
    for c in (compass, pos, other):
        if (getattr(c, "spatial_series", None) or getattr(c, "time_series", None)):
            mod.add(c)
