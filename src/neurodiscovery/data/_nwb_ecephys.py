"""Curated units and sessions without units, for the spike-sorting path.

:func:`curation_rows` picks the units a curation column labels good (read by default, as phy users and the
Allen Institute's SDK expect); :func:`read_nwb_session` reads a session's behaviour, trials and epochs
whether or not the file has sorted units (raw recordings' NWB files often have none).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

#: The label a curation column must hold for a unit to be read by default (phy, Allen, SpikeInterface).
GOOD_LABEL = "good"
#: Units-table columns holding a curation label, in the order they are looked for.
CURATION_COLUMNS = ("quality",)


def curation_rows(colnames, column_data, all_units: bool) -> tuple[np.ndarray | None, str | None]:
    """Rows of the units labelled good in a curation column, or None when the file has none / all asked.

    Parameters
    ----------
    colnames : sequence of str
        The Units table's columns.
    column_data : callable
        ``column_data(name)`` returns that column as an array.
    all_units : bool
        Keep every unit (no selection).

    Returns
    -------
    rows : ndarray or None
        Positions of the good units.
    note : str or None
        What was selected (for ``Recording.meta``).
    """
    col = next((c for c in CURATION_COLUMNS if c in colnames), None)
    if col is None or all_units:
        return None, None
    labels = np.array([x.decode() if isinstance(x, bytes) else str(x) for x in column_data(col)])
    rows = np.flatnonzero(labels == GOOD_LABEL)
    return rows, (f"kept the {len(rows)} of {len(labels)} units whose '{col}' is '{GOOD_LABEL}' "
                  "(all_units=True / --all-units keeps every unit)")


def read_nwb_session(path: str | os.PathLike):
    """Read an NWB session's behaviour, trials, epochs and subject, without its units.

    Parameters
    ----------
    path : path-like
        An NWB 2.x file (with or without a Units table; raw-data files usually have none).

    Returns
    -------
    Recording
        Zero units; ``behaviors``, ``trials``, ``epochs`` and ``meta['subject']`` from the file.
    """
    from ._nwb_behavior import _read_behaviors
    from ._nwb_derive import file_meta
    from .io_nwb import _read_file, _read_intervals, _subject_meta, _trials, open_nwb, recording_name
    from .recording import Recording

    path = Path(path)
    io = open_nwb(path)
    try:
        nwb = _read_file(io, path, "error")
        # the session's name, not its identifier (a uuid4 in files this package writes)
        return Recording([], behaviors=_read_behaviors(nwb), epochs=_read_intervals(nwb), trials=_trials(nwb),
                         name=recording_name(nwb), meta={"source": str(path), "nwb": file_meta(nwb),
                                                         **_subject_meta(nwb)})
    finally:
        io.close()
