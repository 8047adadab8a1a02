"""Format dispatch: :func:`read_recording` and :func:`write_recording` by file suffix/content."""
from __future__ import annotations

import os
from pathlib import Path

from .._utils.errors import DataFileError
from ._files import file_head
from .recording import Recording


def read_recording(path: str | os.PathLike, lazy: bool = False) -> Recording:
    """Read an NWB (``.nwb``, HDF5) or neurodiscovery NPZ (``.npz``) recording.

    Parameters
    ----------
    path : path
        The file; its suffix picks the reader.
    lazy : bool
        NWB files only: leave spike times in the file and read each unit when a computation
        asks (:func:`~neurodiscovery.data.read_nwb` ``lazy=True``); NPZ files are read whole.

    Returns
    -------
    Recording

    Raises
    ------
    MissingFileError
        The file does not exist.
    DataFileError
        The file is not a recording neurodiscovery can read (names the problem).
    """
    path = Path(path)
    head = file_head(path, "an .nwb or .npz recording file")
    if head.startswith(b"\x89HDF"):
        from .io_nwb import read_nwb

        return read_nwb(path, lazy=lazy)
    if head.startswith(b"PK"):
        from .io_npz import read_npz

        return read_npz(path)
    raise DataFileError(f"{path} is not a recording: expected NWB 2.x (HDF5) or neurodiscovery .npz")


def write_recording(rec: Recording, path: str | os.PathLike, overwrite: bool = False, **nwb_options) -> Path:
    """Write to NWB or NPZ chosen by the suffix of ``path``.

    Parameters
    ----------
    rec : Recording
        The recording.
    path : path
        ``.nwb`` or ``.npz`` file to write.
    overwrite : bool
        Replace an existing file (default: refuse).
    **nwb_options
        NWB only: ``subject``, ``resolution_s``, ``source``, ``units_detail``, ``command``,
        ``session_description`` of :func:`~neurodiscovery.data.write_nwb` (NPZ files hold none of these).

    Returns
    -------
    Path
    """
    path = Path(path)
    if path.suffix.lower() == ".nwb":
        from .nwb_write import write_nwb

        return write_nwb(rec, path, overwrite=overwrite, **nwb_options)
    if path.suffix.lower() == ".npz":
        from .io_npz import write_npz

        return write_npz(rec, path, overwrite=overwrite)
    raise DataFileError(f"cannot tell the format from '{path.name}': use a .nwb or .npz suffix")
