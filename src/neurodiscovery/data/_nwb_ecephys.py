"""NWB extracellular pieces: the electrodes table and the Units' ``electrodes`` column; the session reader.

Used by :func:`~neurodiscovery.data.write_nwb` (``electrodes=``) and the spike-sorting output, and by
:func:`read_nwb_session`, which reads a session's behaviour, trials and epochs whether or not the file
has sorted units (raw recordings' NWB files often have none).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._utils.errors import DataFileError, InputError

#: The label a curation column must hold for a unit to be read by default (phy, Allen, SpikeInterface).
GOOD_LABEL = "good"
#: Units-table columns holding a curation label, in the order they are looked for.
CURATION_COLUMNS = ("quality",)


def check_electrodes(electrodes: dict, n_units: int) -> None:
    """Refuse an electrodes description whose columns or unit rows do not fit."""
    need = {"x_um", "y_um", "unit_electrodes"}
    if not need <= set(electrodes):
        raise InputError(f"electrodes needs keys {sorted(need)}, got {sorted(electrodes)}")
    n = len(electrodes["x_um"])
    if len(electrodes["y_um"]) != n:
        raise InputError("electrodes x_um and y_um differ in length")
    ue = electrodes["unit_electrodes"]
    if len(ue) != n_units:
        raise InputError(f"unit_electrodes has {len(ue)} rows for {n_units} units")
    for rows in ue:
        if len(rows) and (min(rows) < 0 or max(rows) >= n):
            raise InputError(f"unit_electrodes refers to electrode rows outside 0..{n - 1}")


def add_electrodes(nwb, electrodes: dict) -> None:
    """Add a device, one electrode group and the electrodes table, then link each unit to its electrodes.

    ``electrodes`` keys: ``x_um``, ``y_um`` (contact positions, µm), ``unit_electrodes`` (per unit, the
    electrode rows it is measured on), optional ``location`` (str per electrode, default ``"unknown"``),
    ``channel_name`` (str per electrode), ``device`` and ``description``.
    """
    n = len(electrodes["x_um"])
    dev = nwb.create_device(name=str(electrodes.get("device", "probe")))
    group = nwb.create_electrode_group(name="probe", description=str(electrodes.get("description", "probe")),
                                       location="unknown", device=dev)
    loc = electrodes.get("location", ["unknown"] * n)
    names = electrodes.get("channel_name", [str(i) for i in range(n)])
    nwb.add_electrode_column(name="channel_name", description="channel name in the raw recording")
    nwb.add_electrode_column(name="rel_x", description="contact x position on the probe (um)")
    nwb.add_electrode_column(name="rel_y", description="contact y position on the probe (um)")
    for i in range(n):
        nwb.add_electrode(group=group, location=str(loc[i]), channel_name=str(names[i]),
                          rel_x=float(electrodes["x_um"][i]), rel_y=float(electrodes["y_um"][i]))
    ue = [np.asarray(r, int) for r in electrodes["unit_electrodes"]]
    nwb.units.electrode_table = nwb.electrodes  # the predefined ``electrodes`` column then points at it
    nwb.units.add_column(name="electrodes", description="electrodes each unit was measured on",
                         data=[[int(i) for i in r] for r in ue], index=True, table=True)


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
    import pynwb

    from ._nwb_behavior import _read_behaviors
    from .io_nwb import _check_hdf5, _read_file, _read_intervals, _subject_meta, _trials
    from .recording import Recording

    path = Path(path)
    _check_hdf5(path)
    try:
        io = pynwb.NWBHDF5IO(str(path), "r", load_namespaces=True)
    except Exception as exc:
        raise DataFileError(f"{path} could not be opened as NWB: {exc}") from None
    try:
        nwb = _read_file(io, path, "error")
        return Recording([], behaviors=_read_behaviors(nwb), epochs=_read_intervals(nwb), trials=_trials(nwb),
                         name=str(nwb.identifier), meta={"source": str(path), **_subject_meta(nwb)})
    finally:
        io.close()
