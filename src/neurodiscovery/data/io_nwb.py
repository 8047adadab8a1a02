"""Read and write NWB 2.x recordings with pynwb.

Calcium-imaging files (ROI response series, no Units) are read by
:func:`neurodiscovery.data.io_ophys.read_ophys_nwb`. Reading covers Units (spike times; region from the ``location`` column or the
electrodes' location), trials, epochs and other interval tables, and behaviour
from ``processing/*`` *and* ``acquisition`` (many converted files keep Position and
CompassDirection in acquisition): Position, CompassDirection, SpatialSeries and
BehavioralTimeSeries. NaN behaviour samples are tracking gaps: they are dropped
and counted in ``TimeSeries.meta['n_dropped_nan']``.

Naming: a Position whose series are 1-D ``x``/``y``/``z`` becomes one behaviour
``position`` with those columns; a CompassDirection with Euler angles
``rx``/``ry``/``rz`` (motion-capture export, y axis vertical) gives ``head_direction``
= ``ry`` (yaw) plus ``compass_rx``/``compass_rz``; any other series keeps its name.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from .._utils.errors import DataFileError, InputError
from ._files import file_head
from ._nwb_behavior import _read_behaviors
from ._nwb_derive import file_meta
from ._nwb_ecephys import curation_rows
from .nwb_write import write_nwb
from .recording import Recording, Trials

__all__ = ["read_nwb", "write_nwb", "recording_name"]

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def _check_hdf5(path: Path) -> None:
    if file_head(path, "an NWB file") != HDF5_MAGIC:
        raise DataFileError(f"{path} is not an NWB file (not HDF5; NWB 2.x files are HDF5)")


def _table_columns(table, skip) -> dict[str, np.ndarray]:
    cols = {}
    for c in table.colnames:
        if c in skip:
            continue
        try:
            v = np.asarray(table[c].data[:])
        except Exception:  # ragged/reference columns are not per-row scalars
            continue
        if v.ndim == 1 and v.dtype.kind in "biufUSO":
            if v.dtype.kind in "SO":
                v = np.array([x.decode() if isinstance(x, bytes) else str(x) for x in v])
            cols[c] = v
    return cols


def _read_intervals(nwb):
    epochs: dict[str, list] = {}
    if nwb.epochs is not None and len(nwb.epochs):
        starts = np.asarray(nwb.epochs["start_time"].data[:], float)
        stops = np.asarray(nwb.epochs["stop_time"].data[:], float)
        tags = nwb.epochs["tags"][:] if "tags" in nwb.epochs.colnames else [[] for _ in starts]
        for i, (a, b) in enumerate(zip(starts, stops)):
            names = list(tags[i]) if len(tags[i]) else [f"epoch_{i}"]
            for nm in names:
                epochs.setdefault(str(nm), []).append((a, b))
    for name, table in nwb.intervals.items():
        if name in ("epochs", "trials") or len(table) == 0:
            continue
        starts = np.asarray(table["start_time"].data[:], float)
        stops = np.asarray(table["stop_time"].data[:], float)
        epochs.setdefault(name, []).extend(zip(starts, stops))
    return {k: np.array(v, float) for k, v in epochs.items()}


def _unit_selection(units_arg, ids: np.ndarray, regions: list[str]) -> np.ndarray:
    """Row positions of the requested units (by id, or all units of the named regions)."""
    if units_arg is None:
        return np.arange(len(ids))
    wanted = list(units_arg) if not isinstance(units_arg, str) else [units_arg]
    rows = []
    for w in wanted:
        if isinstance(w, str) and w in regions:
            rows.extend(i for i, r in enumerate(regions) if r == w)
            continue
        hit = np.flatnonzero(ids == w)
        if len(hit) == 0:
            raise InputError(f"unit '{w}' is neither a unit id nor a region of this file; ids "
                             f"{ids.min()}..{ids.max()}, regions {sorted(set(regions))}")
        rows.append(int(hit[0]))
    rows = np.unique(rows)
    if len(rows) == 0:
        raise InputError("units= selected no units")
    return rows


def _check_read_warnings(path: Path, caught, damaged: str) -> None:
    """Refuse (or warn about) a file whose groups or links hdmf could not follow; pass other warnings on.

    hdmf reports a damaged group as a ``BrokenLinkWarning`` and then simply leaves the
    group out, so without this a damaged file reads as one without behaviour or epochs.
    """
    lost = []
    for w in caught:
        text = " ".join(str(w.message).split())
        if w.category.__name__ == "BrokenLinkWarning" or "broken" in text.lower():
            lost.append(text.rsplit(" at ", 1)[-1] if " at /" in text else text)
        elif not issubclass(w.category, (ResourceWarning, DeprecationWarning)):
            warnings.warn(f"NWB reader on {path.name}: {text}", stacklevel=4)
    if not lost:
        return
    what = ", ".join(lost[:4]) + (f" and {len(lost) - 4} more" if len(lost) > 4 else "")
    if damaged == "warn":
        warnings.warn(f"{path} is damaged: could not read {what}; these are missing from the recording",
                      stacklevel=4)
        return
    raise DataFileError(f"{path} is damaged: its groups {what} cannot be read (broken links); "
                        "restore the file from a good copy (from Python, read_nwb(..., damaged='warn') "
                        "loads what is left)")


def _read_file(io, path: Path, damaged: str):
    """The NWBFile of an open reader; unreadable or damaged files raise DataFileError."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            nwb = io.read()
        except Exception as exc:
            from .io_ophys import no_timing_error

            if no_timing_error(path, exc):
                raise no_timing_error(path, exc) from None
            raise DataFileError(f"{path} is not a readable NWB file ({type(exc).__name__}: {exc})") from None
    _check_read_warnings(path, caught, damaged)
    return nwb


def _without_units(nwb, path: Path):
    """A file without (or with an empty) Units table: its ROI traces if it has them, else DataFileError."""
    from .io_ophys import has_ophys

    if has_ophys(nwb):
        from .io_ophys import read_ophys_nwb

        return read_ophys_nwb(path)
    if any(type(o).__name__ == "TwoPhotonSeries" for o in nwb.acquisition.values()):
        raise DataFileError(f"{path} holds raw two-photon movies but no ROI traces; run a "
                            "segmentation (suite2p, CaImAn) and read its NWB output")
    raise DataFileError(f"{path} has no Units table (no sorted spike times): nothing to analyse"
                        if nwb.units is None else f"{path} has an empty Units table (0 units): nothing to analyse")


def _unit_regions(nwb, units) -> list[str]:
    """Region per unit: the ``location`` column, else the electrodes' or electrode group's location."""
    if "location" in units.colnames:
        return [str(x) for x in units["location"].data[:]]
    if "electrodes" in units.colnames and nwb.electrodes is not None:
        loc = nwb.electrodes["location"].data[:]
        return [str(loc[units["electrodes"][i].index[0]]) if len(units["electrodes"][i]) else "unknown"
                for i in range(len(units))]
    if "electrode_group" in units.colnames:
        return [str(g.location) for g in units["electrode_group"].data[:]]
    return ["unknown"] * len(units)


def _spike_trains(path: Path, units, rows: np.ndarray, lazy: bool):
    """Spike trains of units ``rows``: left on disk (lazy), one read of all, or one read per unit."""
    ends = np.asarray(units.spike_times_index.data[:], np.int64)
    starts = np.concatenate([[0], ends[:-1]])
    if lazy:
        from .lazy import LazySpikeTrains

        return LazySpikeTrains(path, starts[rows], ends[rows], dataset=units.spike_times.data.name)
    data = units.spike_times.data
    if len(rows) < len(ends):  # only the requested units' slices leave the disk
        return [np.sort(np.asarray(data[starts[i]:ends[i]], float)) for i in rows]
    from .._utils.resources import array_bytes, check_allocation

    check_allocation(array_bytes(data.shape), f"reading {path}'s spike times (declared shape {data.shape})",
                     "read a subset of units (read_nwb(path, units=[...])) or lazily (lazy=True)")
    flat = np.asarray(data[:], float)  # one read, not one per unit
    return [np.sort(flat[a:b]) for a, b in zip(starts, ends)]


def _trials(nwb) -> Trials | None:
    if nwb.trials is None or not len(nwb.trials):
        return None
    return Trials(np.asarray(nwb.trials["start_time"].data[:], float),
                  np.asarray(nwb.trials["stop_time"].data[:], float),
                  _table_columns(nwb.trials, {"start_time", "stop_time", "timeseries", "tags"}))


def read_nwb(path: str | os.PathLike, units=None, damaged: str = "error", lazy: bool = False,
             all_units: bool = False) -> Recording:
    """Read an NWB 2.x file into a :class:`Recording`.

    Parameters
    ----------
    path : path
    units : sequence of unit ids and/or region names, optional
        Read only these units (e.g. ``units=["adn"]`` or ``units=[0, 3]``). Their spike
        times are sliced from the file's flat spike-time dataset on disk, so the spikes of
        the other units are never read. Default: all units, in one vectorised read.
    damaged : {"error", "warn"}
        A file whose groups or links cannot be read (hdmf's broken-link warnings) is
        refused (default), or read with a warning naming the groups that were lost.
    lazy : bool
        Leave the spike times in the file: ``spike_times`` is then a
        :class:`~neurodiscovery.data.lazy.LazySpikeTrains` that reads one unit when asked
        (binning, quality metrics), so memory holds one unit's spikes at a time, not the
        session's (1,000 units over 2 hours: ~27 M spikes, 0.2 GB as float64).
    all_units : bool
        A Units table with a curation column (``quality``: phy, Allen, ``neurodiscovery sort``) is read
        as its units labelled ``good`` only (the curation is respected; ``meta['curation']`` says how
        many were kept); True reads every unit.

    Raises
    ------
    MissingFileError, DataFileError
        Missing file, not HDF5/NWB, corrupt file, no Units table (a calcium-imaging
        file is named as such).
    """

    if damaged not in ("error", "warn"):
        raise InputError(f"damaged must be 'error' or 'warn', got {damaged!r}")
    path = Path(path)
    io = open_nwb(path)
    try:
        nwb = _read_file(io, path, damaged)
        table = nwb.units
        if table is None or len(table) == 0:
            return _without_units(nwb, path)
        ids, regions = np.asarray(table.id.data[:]), _unit_regions(nwb, table)
        extra = _table_columns(table, {"spike_times", "location", "electrodes", "electrode_group",
                                       "waveform_mean", "waveform_sd", "waveforms", "obs_intervals"})
        rows = _unit_selection(units, ids, regions)
        good, note = curation_rows(table.colnames, lambda c: table[c].data[:], all_units)
        if good is not None:
            rows = rows[np.isin(rows, good)]
            if len(rows) == 0:
                raise DataFileError(f"{path}: no unit is labelled good in its curation column; "
                                    "read every unit with --all-units (all_units=True)")
        return Recording(_spike_trains(path, table, rows, lazy), unit_ids=ids[rows],
                         regions=[regions[i] for i in rows], unit_columns={k: v[rows] for k, v in extra.items()},
                         behaviors=_read_behaviors(nwb), epochs=_read_intervals(nwb), trials=_trials(nwb),
                         name=recording_name(nwb), meta={"source": str(path), "format": "nwb",
                                                         "nwb": file_meta(nwb), **_subject_meta(nwb),
                                                         **({"curation": note} if note else {})})
    finally:
        io.close()


def open_nwb(path: Path):
    """``pynwb.NWBHDF5IO`` of ``path`` for reading, after the HDF5 check; one line when it cannot be opened."""
    import pynwb

    _check_hdf5(path)
    try:
        return pynwb.NWBHDF5IO(str(path), "r", load_namespaces=True)
    except Exception as exc:  # noqa: BLE001 - hdmf raises many types for a file it cannot follow
        raise DataFileError(f"{path} could not be opened as NWB: {exc}") from None


def recording_name(nwb) -> str:
    """The session's name: ``session_id`` (what neurodiscovery writes the name to), else the identifier."""
    return str(nwb.session_id or nwb.identifier)


def _subject_meta(nwb) -> dict:
    """``{"subject": id}`` when the file names its subject (batch summaries group by it)."""
    sid = getattr(nwb.subject, "subject_id", None) if nwb.subject is not None else None
    return {"subject": str(sid)} if sid else {}
