"""The :class:`Recording`: one way to hold a spike recording with behaviour, epochs and trials.

A Recording is immutable in practice: every transform (:meth:`Recording.restrict`,
:meth:`Recording.select_units`) returns a new object and never edits arrays in place.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from .._utils.errors import InputError
from .lazy import LazySpikeTrains
from .timeseries import TimeSeries, check_intervals, in_intervals
from .traces import Traces
from .trial_table import Trials


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    if a.flags.writeable and a.base is None:
        a.flags.writeable = False
    return a


#: Longest time support accepted (s): 100 days. Longer spans are unit errors (ms or samples read as s) or
#: corrupt timestamps, and would make every binned array absurdly long.
_MAX_SPAN_S = 100 * 86400.0
#: Support (s) given to a recording whose data span a single instant; rates over it are undefined.
_INSTANT_S = 1e-3

@dataclass(frozen=True)
class Recording:
    """Spike times of sorted units, or traces of imaged ROIs, with behaviour, epochs and trials.

    Parameters
    ----------
    spike_times : sequence of ndarray
        One sorted 1-D array of spike times (seconds) per unit, or a
        :class:`~neurodiscovery.data.lazy.LazySpikeTrains` that reads each unit from its NWB
        file when asked (``read_nwb(path, lazy=True)``): every method works on both.
    unit_ids : array_like, optional
        Identifier per unit (default ``0..n-1``).
    regions : array_like of str, optional
        Brain region / electrode location per unit (default ``"unknown"``).
    unit_columns : dict, optional
        Extra per-unit columns (e.g. ``{"depth_um": ...}``).
    behaviors : dict of str -> TimeSeries, optional
    epochs : dict of str -> ndarray (n, 2), optional
        Named sets of [start_s, stop_s) intervals (``"wake"``, ``"sleep"``...).
    trials : Trials, optional
    time_support_s : (2,) array, optional
        Recording span; default from the spikes/behaviour/epochs it holds.
    name : str
        Session identifier used in reports.
    traces : Traces, optional
        Continuous activity of imaged ROIs (calcium imaging). Each ROI is one unit:
        ``spike_times`` is then empty (or holds one train per ROI, e.g. ground truth),
        ``unit_ids`` default to the ROI ids, and binning/alignment use the traces.
    meta : dict
        Free-form provenance (file, restrictions applied); not compared by ``==``.
    """

    spike_times: Sequence[np.ndarray]
    unit_ids: np.ndarray | None = None
    regions: np.ndarray | None = None
    unit_columns: Mapping[str, np.ndarray] = field(default_factory=dict)
    behaviors: Mapping[str, TimeSeries] = field(default_factory=dict)
    epochs: Mapping[str, np.ndarray] = field(default_factory=dict)
    trials: Trials | None = None
    time_support_s: np.ndarray | None = None
    name: str = "recording"
    meta: Mapping = field(default_factory=dict, compare=False)
    traces: Traces | None = None

    def __post_init__(self):
        lazy = isinstance(self.spike_times, LazySpikeTrains)  # a lazy train is checked as it is read
        sts = self.spike_times if lazy else tuple(_checked_train(i, st) for i, st in enumerate(self.spike_times))
        n, default_ids = _unit_count(len(sts), self.traces)
        ids = default_ids if self.unit_ids is None else np.asarray(self.unit_ids)
        regs = np.full(n, "unknown", dtype=object) if self.regions is None else np.asarray(self.regions, dtype=object)
        if len(ids) != n or len(regs) != n:
            raise InputError(f"unit table: {n} units but {len(ids)} ids and {len(regs)} regions "
                             "(mismatched lengths)")
        cols = {}
        for k, v in dict(self.unit_columns).items():
            v = np.asarray(v)
            if len(v) != n:
                raise InputError(f"unit column '{k}' has {len(v)} rows for {n} units (mismatched lengths)")
            cols[str(k)] = v
        behs = {}
        for k, b in dict(self.behaviors).items():
            if not isinstance(b, TimeSeries):
                raise InputError(f"behaviour '{k}' must be a TimeSeries, got {type(b).__name__}")
            behs[str(k)] = b
        eps = {str(k): check_intervals(v, f"epoch '{k}'") for k, v in dict(self.epochs).items()}
        if self.trials is not None and not isinstance(self.trials, Trials):
            raise InputError("trials must be a neurodiscovery.data.Trials table")
        object.__setattr__(self, "spike_times", sts)
        object.__setattr__(self, "unit_ids", ids)
        object.__setattr__(self, "regions", np.array([str(r) for r in regs], dtype=object))
        object.__setattr__(self, "unit_columns", cols)
        object.__setattr__(self, "behaviors", behs)
        object.__setattr__(self, "epochs", eps)
        if self.time_support_s is None:
            object.__setattr__(self, "time_support_s", self._infer_support())
            _check_span(self.time_support_s, "data span")
        else:
            ts = np.asarray(self.time_support_s, float)
            if ts.shape != (2,) or not ts[1] > ts[0]:
                raise InputError(f"time_support_s must be [start_s, stop_s] with start < stop, got {ts}")
            _check_span(ts, "time support")
            object.__setattr__(self, "time_support_s", ts)

    # ------------------------------------------------------------------ basics
    def __eq__(self, other) -> bool:
        """Equal spikes, unit table, behaviour, epochs, trials, time support and name (arrays exact)."""
        from ._compare import recordings_equal

        return isinstance(other, Recording) and recordings_equal(self, other)

    __hash__ = None

    def __repr__(self) -> str:
        from ._compare import recording_repr

        return recording_repr(self)

    def _infer_support(self) -> np.ndarray:
        lo, hi = np.inf, -np.inf
        if self.traces is not None:
            lo, hi = self.traces.span_s
            hi = float(np.nextafter(hi, -np.inf))
        spans = [self.spike_times.span_s()] if isinstance(self.spike_times, LazySpikeTrains) else (
            (st[0], st[-1]) for st in self.spike_times if st.size)
        for a, b in (s for s in spans if s is not None):
            lo, hi = min(lo, a), max(hi, b)
        for b in self.behaviors.values():
            if b.n_samples:
                lo, hi = min(lo, b.t_s[0]), max(hi, b.t_s[-1])
        for iv in self.epochs.values():
            if len(iv):
                lo, hi = min(lo, iv[0, 0]), max(hi, iv[-1, 1])
        if self.trials is not None and len(self.trials):
            lo, hi = min(lo, self.trials.start_s.min()), max(hi, self.trials.stop_s.max())
        if not np.isfinite(lo) or hi <= lo:
            # a single instant has no duration; a nominal 1 ms support keeps binning valid, and rates over it
            # are reported as undefined (firing_rates_hz), never as 1 spike / 1 ms = 1000 Hz
            return np.array([0.0, 1.0]) if not np.isfinite(lo) else np.array([lo, lo + _INSTANT_S])
        return np.array([float(lo), float(np.nextafter(hi, np.inf))])

    @property
    def n_units(self) -> int:
        """Units, or imaged ROIs for an imaging recording."""
        return len(self.unit_ids)

    @property
    def is_imaging(self) -> bool:
        """True when the recording carries imaging traces (its units are ROIs)."""
        return self.traces is not None

    @property
    def duration_s(self) -> float:
        """Length of the time support (s)."""
        return float(self.time_support_s[1] - self.time_support_s[0])

    @property
    def behavior_names(self) -> list[str]:
        """Names of the behaviours, in insertion order."""
        return list(self.behaviors)

    @property
    def n_spikes(self) -> np.ndarray:
        """Spikes per unit, shape (n_units,); zeros for imaged ROIs without spike trains."""
        if not self.spike_times:
            return np.zeros(self.n_units, int)
        if isinstance(self.spike_times, LazySpikeTrains):
            return self.spike_times.n_spikes()
        return np.array([len(s) for s in self.spike_times])

    def firing_rates_hz(self) -> np.ndarray:
        """Mean rate of each unit over the time support (spikes / s), shape (n_units,).

        NaN where the recording spans a single instant (its support was inferred from one time point):
        a rate needs a duration.
        """
        if self.duration_s <= _INSTANT_S:
            return np.full(self.n_units, np.nan)
        return self.n_spikes / self.duration_s

    def behavior(self, name: str) -> TimeSeries:
        """Return the behaviour ``name``; unknown names raise an error listing the available ones."""
        if name not in self.behaviors:
            avail = ", ".join(self.behaviors) or "none (this recording has no behaviour)"
            raise InputError(f"unknown behaviour '{name}'; available: {avail}")
        return self.behaviors[name]

    def epoch(self, name: str) -> np.ndarray:
        """Intervals of the epoch ``name``, shape (n, 2) seconds."""
        if name not in self.epochs:
            avail = ", ".join(self.epochs) or "none"
            raise InputError(f"unknown epoch '{name}'; available: {avail}")
        return self.epochs[name]

    def region_names(self) -> list[str]:
        """Distinct regions in order of first appearance."""
        return list(dict.fromkeys(self.regions.tolist()))

    # ------------------------------------------------------------- transforms
    def _replace(self, **kw) -> "Recording":
        d = dict(spike_times=self.spike_times, unit_ids=self.unit_ids, regions=self.regions,
                 unit_columns=self.unit_columns, behaviors=self.behaviors, epochs=self.epochs,
                 trials=self.trials, time_support_s=self.time_support_s, name=self.name,
                 meta=dict(self.meta), traces=self.traces)
        d.update(kw)
        return Recording(**d)

    def select_units(self, mask_or_index) -> "Recording":
        """New recording with a subset of units: ``mask_or_index (n_units,)`` boolean mask or integer indices."""
        idx = np.arange(self.n_units)[np.asarray(mask_or_index)]
        sts = self.spike_times
        sts = sts.select(idx) if isinstance(sts, LazySpikeTrains) else [sts[i] for i in idx] if sts else []
        return self._replace(spike_times=sts,
                             traces=None if self.traces is None else self.traces.select(idx),
                             unit_ids=self.unit_ids[idx],
                             regions=self.regions[idx],
                             unit_columns={k: v[idx] for k, v in self.unit_columns.items()})

    def restrict(self, epoch: str | None = None, intervals=None) -> "Recording":
        """New recording restricted to the ``epoch`` name or to ``intervals (n, 2)`` in seconds.

        Spikes, behaviour samples, other epochs (intersected) and trials (kept when
        they start inside) follow; the time support becomes the intervals' span.
        """
        if (epoch is None) == (intervals is None):
            raise InputError("restrict: give exactly one of epoch= or intervals=")
        iv = self.epoch(epoch) if epoch is not None else check_intervals(intervals)
        if len(iv) == 0:
            raise InputError("restrict: no intervals to restrict to")
        sts = self.spike_times.restrict(iv) if isinstance(self.spike_times, LazySpikeTrains) else [
            st[in_intervals(st, iv)] for st in self.spike_times]
        behs = {k: b.restrict(iv) for k, b in self.behaviors.items()}
        eps = {}
        for k, e in self.epochs.items():
            inter = _intersect(e, iv)
            if len(inter):
                eps[k] = inter
        tr = self.trials
        if tr is not None:
            tr = tr.subset(in_intervals(tr.start_s, iv))
        trc = self.traces
        if trc is not None:
            trc = trc.restrict(iv)
            if trc is None:
                raise InputError("restrict: fewer than two imaging frames fall inside the intervals")
        return self._replace(spike_times=sts, behaviors=behs, epochs=eps, trials=tr, traces=trc,
                             time_support_s=np.array([iv[0, 0], iv[-1, 1]]),
                             meta={**self.meta, "restricted_to": epoch or iv.tolist()})

    def with_behavior(self, ts: TimeSeries) -> "Recording":
        """New recording with the behaviour ``ts`` (a TimeSeries) added or replaced."""
        behs = dict(self.behaviors)
        behs[ts.name] = ts
        return self._replace(behaviors=behs)

    def with_traces(self, traces: Traces | str) -> "Recording":
        """New recording with ``traces`` (a Traces), or analysing another held series (``traces`` a kind name)."""
        if isinstance(traces, str):
            if self.traces is None:
                raise InputError(f"trace kind '{traces}' asked for, but this recording has no imaging traces")
            traces = self.traces.with_kind(traces)
        return self._replace(traces=traces)

    def bin(self, bin_size_s: float, epoch: str | None = None, intervals=None,
            behaviors: Sequence[str] | None = None, max_gap_s: float | None = None):
        """Bin spikes (or imaging traces) into ``(time, neurons)`` with behaviour resampled on the bins.

        ``bin_size_s``, ``epoch``, ``intervals (n, 2)`` in s, ``behaviors`` and ``max_gap_s``:
        see :func:`neurodiscovery.data.binning.bin_recording`.
        """
        from .binning import bin_recording

        return bin_recording(self, bin_size_s, epoch=epoch, intervals=intervals,
                             behaviors=behaviors, max_gap_s=max_gap_s)

    def summary(self) -> dict:
        """Plain-dict summary (units per region, rates, duration, behaviours with ranges, trials, epochs)."""
        rates = self.firing_rates_hz()
        regions = {}
        spiking = bool(self.spike_times) and bool(np.isfinite(rates).all())
        if not spiking:
            rates = np.zeros(0)
        for r in self.region_names():
            m = self.regions == r
            regions[r] = {"n_units": int(m.sum()),
                          "median_rate_hz": float(np.median(rates[m])) if spiking else None}
        behs = {}
        for k, b in self.behaviors.items():
            behs[k] = {"columns": list(b.columns), "units": b.units, "circular": b.circular,
                       "n_samples": b.n_samples, "t_start_s": b.span_s[0], "t_stop_s": b.span_s[1],
                       "sampling_hz": (1.0 / b.median_dt_s) if b.n_samples > 1 else None,
                       "min": b.values.min(axis=0).tolist() if b.n_samples else [],
                       "max": b.values.max(axis=0).tolist() if b.n_samples else []}
        return {
            "name": self.name,
            "n_units": self.n_units,
            "n_spikes": int(self.n_spikes.sum()),
            "time_support_s": self.time_support_s.tolist(),
            "duration_s": self.duration_s,
            "regions": regions,
            "rate_note": None if spiking or not self.spike_times else
            "undefined: the recording spans a single instant; declare its time support (rates need a duration)",
            "rate_hz": {"min": float(rates.min()) if len(rates) else None,
                        "median": float(np.median(rates)) if len(rates) else None,
                        "max": float(rates.max()) if len(rates) else None},
            "behaviors": behs,
            "epochs": {k: {"n_intervals": len(v), "total_s": float((v[:, 1] - v[:, 0]).sum())}
                       for k, v in self.epochs.items()},
            "trials": None if self.trials is None else {
                "n_trials": len(self.trials), "columns": list(self.trials.columns)},
            "imaging": None if self.traces is None else self.traces.summary(),
        }


def _checked_train(i: int, st) -> np.ndarray:
    """Unit ``i``'s spike times as a read-only float64 array; refuses non-1-D, NaN/inf, unsorted."""
    a = np.asarray(st, dtype=np.float64)
    if a.ndim != 1:
        raise InputError(f"spike_times[{i}]: expected 1-D array of seconds, got shape {a.shape}")
    if a.size and not np.all(np.isfinite(a)):
        raise InputError(f"spike_times[{i}]: contains NaN/inf")
    if a.size > 1 and np.any(np.diff(a) < 0):
        raise InputError(f"spike_times[{i}]: spike times are not sorted (non-monotonic timestamps)")
    return _readonly(a)


def _unit_count(n_trains: int, traces) -> tuple[int, np.ndarray]:
    """Units and default ids: one per spike train, or one per ROI of imaging traces."""
    if traces is None:
        return n_trains, np.arange(n_trains)
    if not isinstance(traces, Traces):
        raise InputError(f"traces must be a neurodiscovery.data.Traces, got {type(traces).__name__}")
    if n_trains not in (0, traces.n_rois):
        raise InputError(f"{n_trains} spike trains for {traces.n_rois} imaged ROIs: give none or one per ROI")
    return traces.n_rois, traces.rois.roi_ids


def _intersect(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection of two sorted disjoint interval sets."""
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i, 0], b[j, 0]), min(a[i, 1], b[j, 1])
        if lo < hi:
            out.append((lo, hi))
        if a[i, 1] < b[j, 1]:
            i += 1
        else:
            j += 1
    return np.array(out, float).reshape(-1, 2)


def _check_span(ts: np.ndarray, what: str) -> None:
    span = float(ts[1] - ts[0])
    if not np.isfinite(span) or span > _MAX_SPAN_S:
        raise InputError(f"the recording's {what} is {span:.3g} s (> 100 days): are the times in ms or samples "
                         "instead of seconds? Convert them to seconds")
