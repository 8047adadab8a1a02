"""Conversion to and from pynapple objects (TsGroup, TsdFrame, IntervalSet), lossless both ways."""
from __future__ import annotations

import numpy as np

from .._utils.errors import InputError, require
from .recording import Recording, Trials
from .timeseries import TimeSeries

#: key of the plain dict that :func:`to_pynapple` adds so :func:`from_pynapple` can restore everything
INFO_KEY = "neurodiscovery"
_UNIT_INFO = ("rate", "region", "location", "unit_id")


def to_pynapple(rec: Recording) -> dict:
    """Return ``{"units": TsGroup, "<behaviour>": TsdFrame, "<epoch>": IntervalSet, ...}``.

    The TsGroup carries ``region``, ``unit_id`` and every extra unit column as metadata;
    trials (if any) are an IntervalSet under ``"trials"`` with the trial columns as
    metadata. ``"neurodiscovery"`` holds a plain dict (name, time support, behaviour units
    and circularity, which keys are epochs / trials) so that
    ``from_pynapple(to_pynapple(rec)) == rec``.

    An imaging recording gives ``"traces"`` (TsdFrame of the analysed trace, one column per ROI)
    instead of ``"units"``.

    Parameters
    ----------
    rec : Recording
        The recording.

    Returns
    -------
    dict
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
    info = {"name": rec.name, "time_support_s": rec.time_support_s.tolist(), "behaviors": {}, "epochs": [],
            "trials": None, "unit_columns": list(rec.unit_columns)}
    for name, b in rec.behaviors.items():
        out[name] = nap.TsdFrame(t=b.t_s, d=b.values, columns=list(b.columns))
        info["behaviors"][name] = {"units": b.units, "circular": bool(b.circular), "columns": list(b.columns)}
    for name, iv in rec.epochs.items():
        out[name] = nap.IntervalSet(start=iv[:, 0], end=iv[:, 1])
        info["epochs"].append(name)
    if rec.trials is not None:
        key = "trials" if "trials" not in out else "trials_table"
        tr = nap.IntervalSet(start=rec.trials.start_s, end=rec.trials.stop_s)
        if len(rec.trials) and rec.trials.columns:
            tr.set_info(**{k: np.asarray(v) for k, v in rec.trials.columns.items()})
        out[key] = tr
        info["trials"] = {"key": key, "columns": list(rec.trials.columns), "n": len(rec.trials)}
    out[INFO_KEY] = info
    return out


def _unit_table(units):
    info = units.metadata if hasattr(units, "metadata") else units._metadata
    cols = list(getattr(info, "columns", []))
    regions = None
    for col in ("region", "location"):
        if col in cols:
            regions = np.asarray(info[col]).astype(str)
            break
    ids = np.asarray(info["unit_id"]) if "unit_id" in cols else np.asarray(list(units.keys()))
    extra = {c: np.asarray(info[c]) for c in cols if c not in _UNIT_INFO}
    return ids, regions, extra


def _from_bundle(bundle: dict, circular, name) -> Recording:
    """Rebuild a Recording from the dict :func:`to_pynapple` returned."""
    if "units" not in bundle:
        raise InputError("from_pynapple: the dict has no 'units' TsGroup (expected what to_pynapple returns)")
    info = bundle.get(INFO_KEY) or {}
    nap = require("pynapple")
    beh_info = info.get("behaviors")
    if beh_info is None:   # a dict assembled by hand: Tsd/TsdFrame are behaviour, IntervalSets epochs
        behs = {k: v for k, v in bundle.items() if isinstance(v, (nap.Tsd, nap.TsdFrame))}
        eps = {k: v for k, v in bundle.items() if isinstance(v, nap.IntervalSet)}
        return from_pynapple(bundle["units"], behs, eps, circular=circular, name=name)
    rec = from_pynapple(bundle["units"], {k: bundle[k] for k in beh_info},
                        {k: bundle[k] for k in info.get("epochs", [])},
                        circular={k for k, v in beh_info.items() if v["circular"]} | set(circular or ()),
                        name=info.get("name", name))
    behs = {}
    for k, ts in rec.behaviors.items():
        meta = beh_info[k]
        behs[k] = TimeSeries(k, ts.t_s, ts.values, tuple(meta["columns"]), meta["units"], meta["circular"],
                             dict(ts.meta))
    trials = None
    if info.get("trials"):
        iset = bundle[info["trials"]["key"]]
        cols = {}
        if info["trials"]["columns"]:
            md = iset.metadata
            cols = {c: np.asarray(md[c]) for c in info["trials"]["columns"]}
        trials = Trials(np.asarray(iset.start, float), np.asarray(iset.end, float), cols)
    return rec._replace(behaviors=behs, trials=trials, time_support_s=np.asarray(info["time_support_s"], float),
                        meta={"format": "pynapple"})


def from_pynapple(units, behaviors: dict | None = None, epochs: dict | None = None,
                  circular: set | None = None, name: str = "pynapple") -> Recording:
    """Build a :class:`Recording` from pynapple objects.

    Parameters
    ----------
    units : pynapple.TsGroup, or the dict :func:`to_pynapple` returns
        With the dict, everything else is read from it and the round trip is lossless:
        ``from_pynapple(to_pynapple(rec)) == rec``. A TsGroup's ``region`` (or
        ``location``) metadata becomes the unit region, ``unit_id`` the unit ids, and any
        other metadata column (except pynapple's ``rate``) a unit column.
    behaviors : dict of str -> Tsd or TsdFrame
    epochs : dict of str -> IntervalSet
    circular : set of str
        Behaviour names that are angles in radians.
    name : str
    """
    require("pynapple")
    if isinstance(units, dict):
        if behaviors is not None or epochs is not None:
            raise InputError("from_pynapple: pass either the dict from to_pynapple or a TsGroup with "
                             "behaviors/epochs, not both")
        return _from_bundle(units, circular, name)
    if not hasattr(units, "keys") or not hasattr(units, "time_support"):
        raise InputError(f"from_pynapple expects a pynapple TsGroup or the dict to_pynapple returns, "
                         f"got {type(units).__name__}")
    circular = set(circular or ())
    keys = list(units.keys())
    if not keys:
        raise InputError("from_pynapple: the TsGroup holds no units")
    spikes = [np.asarray(units[k].t, float) for k in keys]
    ids, regions, extra = _unit_table(units)
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
    return Recording(spikes, unit_ids=ids, regions=regions, unit_columns=extra, behaviors=behs,
                     epochs=eps, name=name, meta={"format": "pynapple"})
