"""Behavioural time series with timestamps, column names, units and circularity."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._utils.errors import InputError


@dataclass(frozen=True)
class TimeSeries:
    """A sampled behavioural variable.

    Parameters
    ----------
    name : str
        Variable name, e.g. ``"head_direction"``.
    t_s : ndarray, shape (T,)
        Strictly increasing sample times in seconds.
    values : ndarray, shape (T, k)
        Samples; a 1-D input is stored as ``(T, 1)``.
    columns : tuple of str
        One name per column (``("x", "y")``).
    units : str
        Physical units of ``values`` (``"rad"``, ``"m"``, ``"m/s"``...).
    circular : bool
        True for angles in radians (resampled on the circle, wrapped to [0, 2π)).
    meta : dict
        Free-form provenance (e.g. ``n_dropped_nan``); not compared by ``==``.

    Raises
    ------
    InputError
        On non-monotonic timestamps, NaN values or length mismatch. NaN samples
        in a file are tracking gaps: readers drop them (see :meth:`drop_nan`)
        and resampling leaves the gap as NaN rather than inventing values.
    """

    name: str
    t_s: np.ndarray
    values: np.ndarray
    columns: tuple = ()
    units: str = ""
    circular: bool = False
    meta: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        _refuse_complex(self.name, self.t_s, self.values)
        t = np.asarray(self.t_s, dtype=np.float64)
        v = np.asarray(self.values, dtype=np.float64)
        if t.ndim != 1:
            raise InputError(f"behaviour '{self.name}': timestamps must be 1-D, got shape {t.shape}")
        if v.ndim == 1:
            v = v[:, None]
        if v.ndim != 2:
            raise InputError(f"behaviour '{self.name}': values must be (time, features), got shape {v.shape}")
        if len(t) != len(v):
            raise InputError(f"behaviour '{self.name}': {len(t)} timestamps but {len(v)} samples "
                             "(mismatched lengths)")
        if not np.all(np.isfinite(t)):
            raise InputError(f"behaviour '{self.name}': timestamps contain NaN/inf")
        if len(t) > 1 and np.any(np.diff(t) <= 0):
            i = int(np.argmax(np.diff(t) <= 0))
            raise InputError(f"behaviour '{self.name}': timestamps are not strictly increasing "
                             f"(sample {i + 1} at {t[i + 1]:.6g} s follows {t[i]:.6g} s)")
        n_nan = int((~np.isfinite(v)).any(axis=1).sum())
        if n_nan:
            raise InputError(f"behaviour '{self.name}': {n_nan} of {len(v)} samples are NaN/inf; file readers "
                             "treat such samples as tracking gaps, a Python caller must drop them "
                             "(TimeSeries.from_samples with drop_nan=True)")
        cols = tuple(self.columns) if self.columns else tuple(
            [self.name] if v.shape[1] == 1 else [f"{self.name}_{i}" for i in range(v.shape[1])])
        if len(cols) != v.shape[1]:
            raise InputError(f"behaviour '{self.name}': {len(cols)} column names for {v.shape[1]} columns")
        if self.circular:
            v = np.mod(v, 2 * np.pi)
        object.__setattr__(self, "t_s", t)
        object.__setattr__(self, "values", v)
        object.__setattr__(self, "columns", cols)

    def __eq__(self, other) -> bool:
        from ._compare import timeseries_equal

        return isinstance(other, TimeSeries) and timeseries_equal(self, other)

    __hash__ = None

    def __repr__(self) -> str:
        return (f"TimeSeries('{self.name}', columns={self.columns}, units='{self.units}', circular={self.circular}, "
                f"{self.n_samples} samples)")

    @classmethod
    def from_samples(cls, name, t_s, values, drop_nan: bool = False, **kw) -> "TimeSeries":
        """Build a series, optionally dropping NaN samples (recorded in ``meta['n_dropped_nan']``).

        Parameters
        ----------
        name : str
            Variable name.
        t_s : array_like, shape (T,)
            Sample times (s).
        values : array_like, shape (T,) or (T, k)
            Samples.
        drop_nan : bool
            Drop samples with any NaN (tracking gaps) instead of refusing them.
        **kw
            Other :class:`TimeSeries` fields.

        Returns
        -------
        TimeSeries
        """
        _refuse_complex(name, t_s, values)
        t = np.asarray(t_s, dtype=np.float64)
        v = np.asarray(values, dtype=np.float64)
        v2 = v[:, None] if v.ndim == 1 else v
        n_drop = 0
        if drop_nan and v2.ndim == 2 and len(v2) == len(t):
            ok = np.isfinite(v2).all(axis=1) & np.isfinite(t)
            n_drop = int((~ok).sum())
            t, v = t[ok], v2[ok]
        meta = dict(kw.pop("meta", {}) or {})
        meta["n_dropped_nan"] = n_drop
        return cls(name, t, v, meta=meta, **kw)

    @property
    def n_samples(self) -> int:
        """Number of samples."""
        return len(self.t_s)

    @property
    def span_s(self) -> tuple[float, float]:
        """First and last sample time (s); NaN when empty."""
        return (float(self.t_s[0]), float(self.t_s[-1])) if len(self.t_s) else (np.nan, np.nan)

    @property
    def median_dt_s(self) -> float:
        """Median sampling interval (s); NaN with fewer than two samples."""
        return float(np.median(np.diff(self.t_s))) if len(self.t_s) > 1 else np.nan

    def restrict(self, intervals: np.ndarray) -> "TimeSeries":
        """Keep samples inside any of the ``intervals (n, 2)`` (seconds, half-open [start, stop))."""
        keep = in_intervals(self.t_s, intervals)
        return TimeSeries(self.name, self.t_s[keep], self.values[keep], self.columns, self.units,
                          self.circular, dict(self.meta))


def in_intervals(t: np.ndarray, intervals: np.ndarray) -> np.ndarray:
    """Boolean mask of times inside any half-open interval ``[start, stop)``.

    Intervals are sorted and may not overlap (checked by :func:`check_intervals`).

    Parameters
    ----------
    t : ndarray, shape (n_times,)
        Times (s).
    intervals : ndarray, shape (n, 2)
        Intervals (s).

    Returns
    -------
    ndarray of bool, shape (n_times,)
    """
    iv = check_intervals(intervals)
    if len(iv) == 0:
        return np.zeros(len(t), bool)
    idx = np.searchsorted(iv[:, 0], t, side="right") - 1
    ok = idx >= 0
    res = np.zeros(len(t), bool)
    res[ok] = t[ok] < iv[idx[ok], 1]
    return res


def check_intervals(intervals, name: str = "intervals") -> np.ndarray:
    """Validate ``(n, 2)`` [start, stop) intervals in seconds: finite, start < stop, sorted, disjoint.

    Parameters
    ----------
    intervals : array_like, shape (n, 2)
        Intervals in seconds.
    name : str
        What to call them in error messages.

    Returns
    -------
    ndarray, shape (n, 2)
    """
    iv = np.asarray(intervals, dtype=np.float64)
    if iv.ndim == 1 and iv.shape[0] == 2:
        iv = iv[None, :]
    if iv.size == 0:
        return np.zeros((0, 2))
    if iv.ndim != 2 or iv.shape[1] != 2:
        raise InputError(f"{name}: expected shape (n, 2) [start_s, stop_s], got {iv.shape}")
    if not np.all(np.isfinite(iv)):
        raise InputError(f"{name}: contains NaN/inf")
    if np.any(iv[:, 1] <= iv[:, 0]):
        raise InputError(f"{name}: every interval needs start < stop")
    order = np.argsort(iv[:, 0], kind="stable")
    iv = iv[order]
    if len(iv) > 1 and np.any(iv[1:, 0] < iv[:-1, 1]):
        # overlapping intervals are merged: a union is what restriction means
        merged = [iv[0].copy()]
        for s, e in iv[1:]:
            if s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append(np.array([s, e]))
        iv = np.array(merged)
    return iv


def _refuse_complex(name, t_s, values) -> None:
    """Complex samples would lose their imaginary part in the float conversion: refuse them instead."""
    if np.iscomplexobj(values) or np.iscomplexobj(t_s):
        raise InputError(f"behaviour '{name}' holds complex numbers; store real-valued samples (e.g. the real and "
                         "imaginary parts, or magnitude and angle, as separate columns)")
