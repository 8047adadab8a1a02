"""Value equality and short text summaries for the data containers (arrays compared exactly)."""
from __future__ import annotations

import numpy as np


def arrays_equal(a, b) -> bool:
    """Same shape and values (NaN equal to NaN for float arrays; any dtype)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind == "f" and b.dtype.kind == "f":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.all(a == b)) if a.size else True


def mappings_equal(a, b) -> bool:
    """Same keys and, for each key, equal arrays (or objects with their own ``__eq__``)."""
    if set(a) != set(b):
        return False
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            if not arrays_equal(x, y):
                return False
        elif x != y:
            return False
    return True


def values_equal(x, y) -> bool:
    """Arrays, mappings, dataclasses (compared fields) and plain values, recursively."""
    import dataclasses

    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return arrays_equal(x, y)
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        if type(x) is not type(y):
            return False
        return all(values_equal(getattr(x, f.name), getattr(y, f.name)) for f in dataclasses.fields(x) if f.compare)
    if isinstance(x, dict) or isinstance(y, dict):
        return isinstance(x, dict) and isinstance(y, dict) and set(x) == set(y) and all(
            values_equal(x[k], y[k]) for k in x)
    if isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
        return len(x) == len(y) and all(values_equal(a, b) for a, b in zip(x, y))
    return bool(x == y)


def timeseries_equal(a, b) -> bool:
    return (a.name == b.name and tuple(a.columns) == tuple(b.columns) and a.units == b.units
            and bool(a.circular) == bool(b.circular) and arrays_equal(a.t_s, b.t_s)
            and arrays_equal(a.values, b.values))


def trials_equal(a, b) -> bool:
    return arrays_equal(a.start_s, b.start_s) and arrays_equal(a.stop_s, b.stop_s) and mappings_equal(a.columns,
                                                                                                     b.columns)


def recordings_equal(a, b) -> bool:
    """Spikes, unit table, behaviour, epochs, trials, time support and name all equal (``meta`` ignored)."""
    if a.n_units != b.n_units or a.name != b.name:
        return False
    if not all(arrays_equal(x, y) for x, y in zip(a.spike_times, b.spike_times)):
        return False
    if not (arrays_equal(a.unit_ids, b.unit_ids) and arrays_equal(a.regions.astype(str), b.regions.astype(str))
            and mappings_equal(a.unit_columns, b.unit_columns)):
        return False
    if set(a.behaviors) != set(b.behaviors) or not all(timeseries_equal(a.behaviors[k], b.behaviors[k])
                                                       for k in a.behaviors):
        return False
    if not mappings_equal(a.epochs, b.epochs) or not arrays_equal(a.time_support_s, b.time_support_s):
        return False
    if not values_equal(getattr(a, "traces", None), getattr(b, "traces", None)):
        return False
    if (a.trials is None) != (b.trials is None):
        return False
    return a.trials is None or trials_equal(a.trials, b.trials)


def recording_repr(rec) -> str:
    """A few lines: units per region, span, spikes, behaviours, epochs, trials."""
    regions = ", ".join(f"{r}: {int(np.sum(rec.regions == r))}" for r in rec.region_names())
    t0, t1 = rec.time_support_s
    lines = [(f"Recording '{rec.name}': {rec.n_units} units ({regions or 'none'}), "
             f"{t0:.1f}–{t1:.1f} s ({rec.duration_s:.1f} s), {int(rec.n_spikes.sum()):,} spikes")]
    if rec.unit_columns:
        lines.append("  unit columns: " + ", ".join(rec.unit_columns))
    tr = getattr(rec, "traces", None)
    if tr is not None:
        lines.append(f"  imaging traces: {', '.join(tr.series)} (analysed: {tr.kind}); {len(tr.t_s):,} frames")
    for k, b in rec.behaviors.items():
        rate = f" at {1 / b.median_dt_s:.0f} Hz" if b.n_samples > 1 else ""
        lines.append(f"  behaviour {k}: {', '.join(b.columns)} ({b.units or 'no unit'}"
                     f"{', circular' if b.circular else ''}); {b.n_samples:,} samples{rate}")
    for k, iv in rec.epochs.items():
        lines.append(f"  epoch {k}: {len(iv)} interval{'s' if len(iv) != 1 else ''}, "
                     f"{float((iv[:, 1] - iv[:, 0]).sum()):.1f} s")
    if rec.trials is not None:
        cols = ", ".join(rec.trials.columns)
        lines.append(f"  trials: {len(rec.trials)}" + (f" ({cols})" if cols else ""))
    return "\n".join(lines)
