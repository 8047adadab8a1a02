"""Spike trains left in their NWB file and read one unit at a time, when a computation asks.

A :class:`LazySpikeTrains` is a sequence of spike-time arrays like the list a
:class:`~neurodiscovery.data.Recording` usually holds, but each ``trains[i]`` reads unit
``i``'s slice of the file's flat ``units/spike_times`` dataset (its ``spike_times_index``
gives the bounds). Binning, quality metrics and rasters iterate over units, so a worker holds
one unit's spikes at a time instead of every spike of the session. Selecting units and
restricting to intervals give new lazy sequences (nothing is read); a restriction is applied to
each train as it is read.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .._utils.errors import DataFileError

__all__ = ["LazySpikeTrains"]


class LazySpikeTrains(Sequence):
    """Spike trains of NWB units read from disk on demand.

    Parameters
    ----------
    path : path
        The HDF5 (NWB) file.
    starts, ends : array_like of int, shape (n_units,)
        Bounds of each unit's spikes in the flat dataset (``ends`` is ``spike_times_index``).
    dataset : str
        HDF5 path of the flat spike-time dataset (seconds).
    intervals : ndarray, shape (n, 2), optional
        Keep only spikes inside these sorted, disjoint [start_s, stop_s) intervals.

    Notes
    -----
    Each read returns a sorted, read-only float64 array (a unit stored unsorted is sorted on
    reading, as :func:`~neurodiscovery.data.read_nwb` does). The file is opened on first read
    and kept open per process; pickling (dask workers) carries the path, not the handle.
    """

    def __init__(self, path: str | os.PathLike, starts, ends, dataset: str = "units/spike_times",
                 intervals: np.ndarray | None = None):
        self.path = Path(path)
        self.starts = np.asarray(starts, np.int64)
        self.ends = np.asarray(ends, np.int64)
        if self.starts.shape != self.ends.shape or self.starts.ndim != 1 or np.any(self.ends < self.starts):
            raise DataFileError(f"{self.path}: spike_times_index is not a valid set of per-unit bounds")
        self.dataset = str(dataset)
        self.intervals = None if intervals is None else np.asarray(intervals, float).reshape(-1, 2)
        self._h5 = None

    # --------------------------------------------------------------- sequence
    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return self.select(np.arange(len(self))[i])
        i = int(i)
        if not -len(self) <= i < len(self):
            raise IndexError(f"unit {i} out of range for {len(self)} units")
        a, b = int(self.starts[i]), int(self.ends[i])
        st = np.asarray(self._data()[a:b], dtype=np.float64)
        if st.size > 1 and np.any(np.diff(st) < 0):
            st = np.sort(st)
        if not np.all(np.isfinite(st)):
            raise DataFileError(f"{self.path}: unit {i} has NaN/inf spike times")
        if self.intervals is not None:
            from .timeseries import in_intervals

            st = st[in_intervals(st, self.intervals)]
        st.setflags(write=False)
        return st

    def _data(self):
        if self._h5 is None:
            import h5py

            self._h5 = h5py.File(self.path, "r")
        return self._h5[self.dataset]

    def close(self) -> None:
        """Close the file handle (a later read opens it again)."""
        if self._h5 is not None:
            self._h5.close()
            self._h5 = None

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k != "_h5"} | {"_h5": None}

    def __repr__(self) -> str:
        return f"LazySpikeTrains({len(self)} units from {self.path.name}{', restricted' if self.intervals is not None else ''})"

    # ------------------------------------------------------------- views
    def select(self, index) -> "LazySpikeTrains":
        """The trains of units ``index`` (integer positions or a boolean mask), still on disk."""
        idx = np.arange(len(self))[np.asarray(index)]
        return LazySpikeTrains(self.path, self.starts[idx], self.ends[idx], self.dataset, self.intervals)

    def restrict(self, intervals: np.ndarray) -> "LazySpikeTrains":
        """The same units keeping only spikes inside ``intervals`` ``(n, 2)`` s (sorted, disjoint)."""
        iv = np.asarray(intervals, float).reshape(-1, 2)
        if self.intervals is not None:
            from .recording import _intersect

            iv = _intersect(self.intervals, iv)
        return LazySpikeTrains(self.path, self.starts, self.ends, self.dataset, iv)

    # ------------------------------------------------------------- summaries
    def n_spikes(self) -> np.ndarray:
        """Spikes per unit, shape (n_units,): from the index alone unless restricted."""
        if self.intervals is None:
            return self.ends - self.starts
        return np.array([len(self[i]) for i in range(len(self))], dtype=np.int64)

    def span_s(self) -> tuple[float, float] | None:
        """Earliest and latest spike (s) over all units (one unit in memory at a time), or None."""
        lo, hi = np.inf, -np.inf
        for i in range(len(self)):
            st = self[i]
            if st.size:
                lo, hi = min(lo, st[0]), max(hi, st[-1])
        return None if not np.isfinite(lo) else (float(lo), float(hi))
