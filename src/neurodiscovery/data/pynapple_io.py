"""Conversion to and from pynapple objects (TsGroup, TsdFrame, IntervalSet)."""
from __future__ import annotations

import numpy as np

from .._utils.errors import InputError, require
from .recording import Recording
from .timeseries import TimeSeries


def to_pynapple(rec: Recording) -> dict:
    """Return ``{"units": TsGroup, "<behaviour>": TsdFrame, "<epoch>": IntervalSet}``.

    An imaging recording gives ``"traces"`` (TsdFrame of the analysed trace, one column per ROI)
    instead of ``"units"``.

    The TsGroup carries ``region`` and extra unit columns as metadata.
    """
    nap = require("pynapple")
    if rec.traces is not None and not rec.spike_times:  # imaging: ROI traces as one TsdFrame
        out = {"traces": nap.TsdFrame(t=rec.traces.t_s, d=rec.traces.values,
                                      columns=[str(i) for i in rec.unit_ids])}
        out.update({n: nap.TsdFrame(t=b.t_s, d=b.values, columns=list(b.columns)) for n, b in rec.behaviors.items()})
        out.update({n: nap.IntervalSet(start=iv[:, 0], end=iv[:, 1]) for n, iv in rec.epochs.items()})
        return out
    units = nap.TsGroup({i: nap.Ts(t=st) for i, st in enumerate(rec.spike_times)},
                        time_support=nap.IntervalSet(*rec.time_support_s))
    units.set_info(region=np.asarray(rec.regions, dtype=str), unit_id=np.asarray(rec.unit_ids))
    for k, v in rec.unit_columns.items():
        units.set_info(**{k: np.asarray(v)})
    out = {"units": units}
    for name, b in rec.behaviors.items():
        out[name] = nap.TsdFrame(t=b.t_s, d=b.values, columns=list(b.columns))
    for name, iv in rec.epochs.items():
        out[name] = nap.IntervalSet(start=iv[:, 0], end=iv[:, 1])
    return out


def from_pynapple(units, behaviors: dict | None = None, epochs: dict | None = None,
                  circular: set | None = None, name: str = "pynapple") -> Recording:
    """Build a :class:`Recording` from a TsGroup, dict of Tsd/TsdFrame and dict of IntervalSet.

    Parameters
    ----------
    units : pynapple.TsGroup
        A ``region`` (or ``location``) metadata column becomes the unit region.
    behaviors : dict of str -> Tsd or TsdFrame
    epochs : dict of str -> IntervalSet
    circular : set of str
        Behaviour names that are angles in radians.
    """
    require("pynapple")
    circular = set(circular or ())
    keys = list(units.keys())
    spikes = [np.asarray(units[k].t, float) for k in keys]
    info = units.metadata if hasattr(units, "metadata") else units._metadata
    regions = None
    for col in ("region", "location"):
        if col in getattr(info, "columns", []):
            regions = np.asarray(info[col]).astype(str)
            break
    behs = {}
    for bname, tsd in (behaviors or {}).items():
        d = np.asarray(tsd.values if hasattr(tsd, "values") else tsd.d, float)
        cols = tuple(str(c) for c in getattr(tsd, "columns", [])) if d.ndim == 2 else ()
        behs[bname] = TimeSeries.from_samples(bname, np.asarray(tsd.t, float), d, drop_nan=True,
                                              columns=cols, circular=bname in circular,
                                              units="rad" if bname in circular else "")
    eps = {}
    for ename, iset in (epochs or {}).items():
        eps[ename] = np.column_stack([np.asarray(iset.start, float), np.asarray(iset.end, float)])
    if not keys:
        raise InputError("from_pynapple: the TsGroup holds no units")
    return Recording(spikes, unit_ids=np.asarray(keys), regions=regions, behaviors=behs,
                     epochs=eps, name=name, meta={"format": "pynapple"})
