"""Sorted units out: a :class:`~neurodiscovery.data.Recording` and the NWB ``Units`` that ``analyze`` reads.

Every unit the sorter found is written, with its curation label in the ``quality`` column (``good`` /
``bad``), the criteria it failed, every quality metric, its peak channel, position on the probe and mean
waveform; :func:`~neurodiscovery.data.read_nwb` then reads the good units by default (``all_units=True``,
``analyze --all-units``, reads them all).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._utils.errors import InputError
from ..data import Recording, read_nwb_session, write_nwb

__all__ = ["sorted_recording", "write_units_nwb"]


def _spike_trains(sorting) -> list[np.ndarray]:
    """Spike times (s) of each unit on the recording's clock (its time vector, else 0 at the first sample)."""
    out = []
    for u in sorting.unit_ids:
        try:
            t = sorting.get_unit_spike_train(u, segment_index=0, return_times=True)
        except Exception:  # no registered recording: sample index / rate
            t = sorting.get_unit_spike_train(u, segment_index=0) / sorting.get_sampling_frequency()
        out.append(np.sort(np.asarray(t, float)))
    return out


def _unit_geometry(analyzer) -> dict[str, np.ndarray]:
    """Peak channel (name), unit x/y position on the probe (µm, monopolar triangulation)."""
    t = np.asarray(analyzer.get_extension("templates").get_data(operator="average"))
    peak = np.argmax(np.abs(t).max(axis=1), axis=1)  # channel of each unit's largest deflection
    names = np.asarray(analyzer.channel_ids).astype(str)
    loc = analyzer.get_extension("unit_locations").get_data()
    return {"peak_channel": names[peak],
            "x_um": np.asarray(loc[:, 0], float), "depth_um": np.asarray(loc[:, 1], float)}


def sorted_recording(analyzer, metrics, curation, *, session: Recording | None = None,
                     name: str = "sorted") -> tuple[Recording, dict]:
    """The sorted units as a Recording (all of them, labelled) and the probe details NWB stores with them.

    Parameters
    ----------
    analyzer : spikeinterface.SortingAnalyzer
        With templates and unit locations (:func:`~neurodiscovery.sorting.compute_analyzer`).
    metrics : pandas.DataFrame
        Quality metrics, one row per unit in ``analyzer.unit_ids`` order.
    curation : Curation
        Labels from :func:`~neurodiscovery.sorting.curate`.
    session : Recording, optional
        Behaviour, trials, epochs and subject to carry (:func:`~neurodiscovery.data.read_nwb_session`);
        it must share the recording's clock.
    name : str
        Session name.

    Returns
    -------
    rec : Recording
        One unit per sorted unit; unit columns: ``quality``, ``curation_failed``, every metric,
        ``peak_channel``, ``x_um``, ``depth_um``.
    units_detail : dict
        For :func:`~neurodiscovery.data.write_nwb` ``units_detail``: contact positions (µm), each unit's
        channels, mean waveforms (units, samples, channels) in µV and their sampling rate (Hz).
    """
    trains = _spike_trains(analyzer.sorting)
    cols: dict[str, np.ndarray] = {"quality": np.asarray(curation.labels, str),
                                   "curation_failed": np.asarray(curation.failed, str)}
    cols.update({k: metrics[k].to_numpy(float) for k in metrics.columns})
    cols.update(_unit_geometry(analyzer))
    sparsity = analyzer.sparsity
    chans = [[int(c) for c in (sparsity.unit_id_to_channel_indices[u] if sparsity is not None
                               else range(analyzer.get_num_channels()))] for u in analyzer.unit_ids]
    detail = {"electrode_positions_um": np.asarray(analyzer.get_channel_locations(), float),
              "unit_electrodes": chans, "waveform_rate_hz": float(analyzer.sampling_frequency),
              "waveform_mean": np.asarray(analyzer.get_extension("templates").get_data(operator="average"),
                                          np.float32)}
    ids = np.asarray(analyzer.unit_ids)
    ids = ids.astype(np.int64) if ids.dtype.kind in "iu" else np.arange(len(ids))
    kw, meta = {}, {}
    if session is not None:
        kw = dict(behaviors=session.behaviors, epochs=session.epochs, trials=session.trials)
        _check_clock(trains, session)
        meta = {k: session.meta[k] for k in ("nwb", "subject") if k in session.meta}
    rec = Recording(trains, unit_ids=ids, unit_columns=cols, name=name,
                    time_support_s=np.array([0.0, analyzer.get_total_duration()]) if session is None else None,
                    meta=meta, **kw)
    return rec, detail


def _check_clock(trains, session: Recording) -> None:
    spikes = [t for t in trains if t.size]
    if not spikes:
        return
    lo, hi = min(t[0] for t in spikes), max(t[-1] for t in spikes)
    s_lo, s_hi = session.time_support_s
    if hi < s_lo or lo > s_hi:
        raise InputError(f"the sorted spikes ({lo:.1f}-{hi:.1f} s) and the session ({s_lo:.1f}-{s_hi:.1f} s) do "
                         "not overlap: the --session file is on another clock or belongs to another recording")


def write_units_nwb(rec: Recording, units_detail: dict, path: str | os.PathLike, *, sampling_rate_hz: float,
                    description: str, subject: dict | None = None, electrode_location: str = "root") -> Path:
    """Write the sorted units (and any session data they carry) to a new NWB file.

    Parameters
    ----------
    rec : Recording
        From :func:`sorted_recording`.
    units_detail : dict
        From :func:`sorted_recording`.
    path : path-like
        The ``.nwb`` file (must not exist).
    sampling_rate_hz : float
        The recording's sampling rate (Hz): ``Units.resolution`` is its period.
    description : str
        Session description stored in the file (sorter, preprocessing).
    subject : dict, optional
        Subject fields used where the carried session has none (see ``write_nwb``).
    electrode_location : str
        Brain area of the electrodes: an Allen CCF acronym for mice (the NWB Inspector checks it); default
        "root", the CCF's whole-brain term, for recordings that do not say where the probe sits.

    Returns
    -------
    Path
    """
    units_detail = {"electrode_location": electrode_location, **units_detail}
    return write_nwb(rec, path, units_detail=units_detail, resolution_s=1.0 / float(sampling_rate_hz),
                     command="sort", session_description=description, subject=subject)


def load_session(path: str | os.PathLike | None) -> Recording | None:
    """The behaviour/trials/epochs of ``--session FILE.nwb`` (None when no file is given).

    Parameters
    ----------
    path : path-like or None
        An NWB file.
    """
    return None if path is None else read_nwb_session(path)
