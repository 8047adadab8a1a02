"""Binning spikes to time-major counts and resampling behaviour onto the same bins."""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .._utils.errors import InputError
from .timeseries import TimeSeries, check_intervals
from .traces import bin_traces


@dataclass(frozen=True)
class BinnedRecording:
    """Spike counts ``(time, neurons)`` with behaviour on the same bins.

    Attributes
    ----------
    counts : ndarray, shape (time, neurons)
        Spike counts per bin (float64 so transforms stay in place-free float).
    t_s : ndarray, shape (time,)
        Bin centres in seconds.
    bin_size_s : float
    segment : ndarray, shape (time,)
        Index of the contiguous interval each bin belongs to; lags must not cross segments.
    unit_ids, regions : ndarray, shape (neurons,)
    behaviors : dict of str -> ndarray (time, k)
        Behaviour resampled at bin centres; NaN where there was no tracking (gaps are
        reported in ``gap_report``, never filled).
    circular : dict of str -> bool
    columns : dict of str -> tuple of str
    units : dict of str -> str
    gap_report : dict of str -> dict
        Per behaviour: ``n_bins``, ``n_nan_bins``, ``fraction_nan``.
    signal : str
        What ``counts`` holds: ``"spike_counts"``, or the imaging trace kind binned
        (``"dff"``: mean ΔF/F per bin; ``"deconvolved"``: activity summed per bin; see
        :func:`neurodiscovery.data.traces.bin_traces`).
    """

    counts: np.ndarray
    t_s: np.ndarray
    bin_size_s: float
    segment: np.ndarray
    unit_ids: np.ndarray
    regions: np.ndarray
    behaviors: dict = field(default_factory=dict)
    circular: dict = field(default_factory=dict)
    columns: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)
    gap_report: dict = field(default_factory=dict)
    signal: str = "spike_counts"

    @property
    def n_bins(self) -> int:
        """Number of time bins."""
        return self.counts.shape[0]

    @property
    def n_units(self) -> int:
        """Number of units (columns of ``counts``)."""
        return self.counts.shape[1]

    @property
    def behavior_names(self) -> list[str]:
        """Names of the binned behaviours."""
        return list(self.behaviors)

    def behavior(self, name: str) -> np.ndarray:
        """Behaviour ``name`` as ``(time, k)`` on the bins; unknown names list the available ones."""
        if name not in self.behaviors:
            avail = ", ".join(self.behaviors) or "none"
            raise InputError(f"unknown behaviour '{name}'; available: {avail}")
        return self.behaviors[name]

    def is_circular(self, name: str) -> bool:
        """Whether behaviour ``name`` is an angle in radians."""
        self.behavior(name)
        return bool(self.circular[name])

    def valid(self, name: str) -> np.ndarray:
        """Boolean mask ``(time,)`` of bins where the behaviour ``name`` is defined."""
        return np.isfinite(self.behavior(name)).all(axis=1)

    def rates_hz(self) -> np.ndarray:
        """Counts divided by the bin width: rates in Hz, ``(time, units)``."""
        return self.counts / self.bin_size_s


def bin_edges(intervals: np.ndarray, bin_size_s: float) -> list[np.ndarray]:
    """Bin edges per interval; each interval holds ``floor(length / bin_size_s)`` whole bins."""
    out = []
    for start, stop in intervals:
        n = int(np.floor((stop - start) / bin_size_s + 1e-9))
        if n >= 1:
            out.append(start + bin_size_s * np.arange(n + 1))
    return out


def bin_spikes(spike_times: Sequence[np.ndarray], edges: np.ndarray) -> np.ndarray:
    """Count spikes of each unit in consecutive bins ``[edges[i], edges[i+1])``.

    Parameters
    ----------
    spike_times : sequence of sorted 1-D arrays (seconds)
    edges : ndarray, shape (n_bins + 1,)

    Returns
    -------
    ndarray, shape (n_bins, n_units), float64
    """
    counts = np.empty((len(edges) - 1, len(spike_times)))
    for j, st in enumerate(spike_times):
        counts[:, j] = np.diff(np.searchsorted(st, edges, side="left"))
    return counts


def resample_behavior(ts: TimeSeries, t_s: np.ndarray, max_gap_s: float) -> np.ndarray:
    """Interpolate a behaviour at times ``t_s`` without inventing data across gaps.

    Angles are interpolated on the circle (via the unwrapped angle, so a step from
    6.2 rad to 0.1 rad passes through 2π, not through π). A query time outside the
    sampled span, or between two samples further apart than ``max_gap_s``, gets NaN.

    Parameters
    ----------
    ts : TimeSeries
        The behaviour.
    t_s : ndarray, shape (n_times,)
        Query times (s).
    max_gap_s : float
        Longest sampling gap bridged by interpolation (s).

    Returns
    -------
    ndarray, shape (len(t_s), k)
    """
    out = np.full((len(t_s), ts.values.shape[1]), np.nan)
    if ts.n_samples < 2:
        return out
    t = ts.t_s
    j = np.searchsorted(t, t_s, side="right")
    inside = (j > 0) & (j < len(t)) | (t_s == t[-1])
    jj = np.clip(j, 1, len(t) - 1)
    gap = t[jj] - t[jj - 1]
    ok = inside & (gap <= max_gap_s)
    if not ok.any():
        return out
    for c in range(ts.values.shape[1]):
        v = ts.values[:, c]
        if ts.circular:
            out[ok, c] = np.mod(np.interp(t_s[ok], t, np.unwrap(v)), 2 * np.pi)
        else:
            out[ok, c] = np.interp(t_s[ok], t, v)
    return out


def check_binning_memory(rec, bin_size_s: float, *, epoch: str | None = None, intervals=None,
                         columns_per_bin: int | None = None, what: str = "binning",
                         change: str | None = None, max_memory_gb: float | None = None) -> int:
    """Refuse, before any allocation, a binning whose arrays would exceed the memory limit.

    Parameters
    ----------
    rec : Recording
    bin_size_s : float
        Bin width (s).
    epoch, intervals : optional
        As in :func:`bin_recording` (default: the time support).
    columns_per_bin : int, optional
        8-byte values stored per bin; default units + all behaviour columns + 3 (edges,
        centres, segment labels). Callers that build more per bin (a lagged design) pass more.
    what, change : str, optional
        Wording of the refusal (what is built, what to change).
    max_memory_gb : float, optional
        Explicit limit; default from :mod:`neurodiscovery._utils.resources`.

    Returns
    -------
    int
        The estimate in bytes.

    Raises
    ------
    ResourceError
        The estimate exceeds the limit (message: estimate, limit, what to change).
    """
    from .._utils.resources import array_bytes, check_allocation

    iv = rec.epoch(epoch) if epoch is not None else (
        check_intervals(intervals) if intervals is not None else rec.time_support_s[None, :])
    span = float(np.sum(iv[:, 1] - iv[:, 0])) if len(iv) else 0.0
    n_bins = float(np.sum(np.floor((iv[:, 1] - iv[:, 0]) / bin_size_s))) if len(iv) else 0.0
    if columns_per_bin is None:
        columns_per_bin = rec.n_units + 3 + sum(rec.behavior(n).values.shape[1] for n in rec.behavior_names)
    need = array_bytes((n_bins, columns_per_bin))
    check_allocation(need, f"{what} ({n_bins:.3g} bins of {bin_size_s:g} s over {span:.6g} s, "
                           f"x {columns_per_bin} values per bin for {rec.n_units} units)",
                     change or "use a larger bin size (--bin-size) or an epoch, or check the spike times "
                     "(one spike far from the others stretches the time support)", max_memory_gb=max_memory_gb)
    return need


def bin_recording(rec, bin_size_s: float, epoch: str | None = None, intervals=None,
                  behaviors: Sequence[str] | None = None, max_gap_s: float | None = None) -> BinnedRecording:
    """Bin a :class:`~neurodiscovery.data.Recording` to ``(time, neurons)`` counts.

    Parameters
    ----------
    rec : Recording
    bin_size_s : float
        Bin width in seconds (> 0 and shorter than the data).
    epoch : str, optional
        Bin only inside this epoch's intervals. Default: the recording's time support.
    intervals : array_like, shape (n, 2), optional
        Explicit [start_s, stop_s) intervals in seconds (instead of ``epoch``).
    behaviors : list of str, optional
        Behaviours to resample (default all).
    max_gap_s : float, optional
        Longest sampling gap bridged by interpolation; default ``max(5 × median sample
        interval, bin_size_s)``.

    An imaging recording (``rec.traces``) is binned from its analysed trace kind
    (:func:`~neurodiscovery.data.traces.bin_traces`); ``signal`` says which.
    """
    try:
        bin_size_s = float(bin_size_s)
    except (TypeError, ValueError):
        raise InputError(f"bin_size_s must be a number of seconds, got {bin_size_s!r}") from None
    if not np.isfinite(bin_size_s) or bin_size_s <= 0:
        raise InputError(f"bin_size_s must be > 0 seconds, got {bin_size_s}")
    if epoch is not None and intervals is not None:
        raise InputError("give epoch= or intervals=, not both")
    if epoch is not None:
        iv = rec.epoch(epoch)
    elif intervals is not None:
        iv = check_intervals(intervals)
    else:
        iv = rec.time_support_s[None, :]
    longest = float((iv[:, 1] - iv[:, 0]).max()) if len(iv) else 0.0
    if bin_size_s > longest:
        raise InputError(f"bin_size_s={bin_size_s} s is longer than the data "
                         f"(longest interval {longest:.6g} s)")
    names = rec.behavior_names if behaviors is None else list(behaviors)
    cols = sum(rec.behavior(n).values.shape[1] for n in names if n in rec.behavior_names)
    check_binning_memory(rec, bin_size_s, intervals=iv, columns_per_bin=rec.n_units + cols + 3)
    edges_list = bin_edges(iv, bin_size_s)
    trc = getattr(rec, "traces", None)
    parts = [bin_traces(trc, e) if trc is not None else bin_spikes(rec.spike_times, e) for e in edges_list]
    counts = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)  # one interval: no copy
    del parts
    t_s = np.concatenate([(e[:-1] + e[1:]) / 2 for e in edges_list])
    segment = np.concatenate([np.full(len(e) - 1, i) for i, e in enumerate(edges_list)])
    names = rec.behavior_names if behaviors is None else list(behaviors)
    behs, circ, cols, units, report = {}, {}, {}, {}, {}
    for name in names:
        ts = rec.behavior(name)
        gap = max_gap_s if max_gap_s is not None else max(5 * ts.median_dt_s, bin_size_s)
        vals = resample_behavior(ts, t_s, gap) if ts.n_samples >= 2 else np.full((len(t_s), ts.values.shape[1]), np.nan)
        behs[name], circ[name], cols[name], units[name] = vals, ts.circular, ts.columns, ts.units
        n_nan = int((~np.isfinite(vals)).any(axis=1).sum())
        report[name] = {"n_bins": len(t_s), "n_nan_bins": n_nan, "fraction_nan": n_nan / max(len(t_s), 1)}
        if n_nan == len(t_s):
            warnings.warn(f"behaviour '{name}' has no samples inside the binned interval(s); all bins NaN",
                          stacklevel=3)
    return BinnedRecording(counts=counts, t_s=t_s, bin_size_s=bin_size_s, segment=segment,
                           unit_ids=np.asarray(rec.unit_ids), regions=np.asarray(rec.regions),
                           behaviors=behs, circular=circ, columns=cols, units=units, gap_report=report,
                           signal="spike_counts" if trc is None else trc.kind)
