"""Format dispatch: :func:`read_recording` and :func:`write_recording` by file suffix/content."""
from __future__ import annotations

import os
from pathlib import Path

from .._utils.errors import DataFileError, InputError
from ._files import file_head
from .recording import Recording


def read_recording(path: str | os.PathLike, lazy: bool = False, all_units: bool = False) -> Recording:
    """Read an NWB (``.nwb``, HDF5) or neurodiscovery NPZ (``.npz``) recording, or a sorter's output folder.

    Parameters
    ----------
    path : path
        The file (its content picks the reader), or a folder: phy / Kilosort output
        (:func:`~neurodiscovery.data.read_phy`) or a SpikeInterface sorting folder.
    lazy : bool
        NWB files only: leave spike times in the file and read each unit when a computation
        asks (:func:`~neurodiscovery.data.read_nwb` ``lazy=True``); NPZ files are read whole.
    all_units : bool
        Read every unit, not only those a curation labelled good (NWB ``quality`` column, phy's
        ``cluster_group.tsv`` / ``cluster_KSLabel.tsv``, a SpikeInterface ``quality`` property).

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
    if path.is_dir():
        return _read_folder(path, all_units)
    head = file_head(path, "an .nwb or .npz recording file")
    try:
        if head.startswith(b"\x89HDF"):
            from .io_nwb import read_nwb

            return read_nwb(path, lazy=lazy, all_units=all_units)
        if head.startswith(b"PK"):
            from .io_npz import read_npz

            return read_npz(path)
    except InputError as err:  # a content check deep in the reader: say which file it is about
        if str(path) in str(err) or path.name in str(err):
            raise
        raise type(err)(f"{path}: {err}") from err
    raise DataFileError(f"{path} is not a recording: expected NWB 2.x (HDF5) or neurodiscovery .npz")


def _read_folder(path: Path, all_units: bool) -> Recording:
    from .io_phy import is_phy_folder, read_phy, read_si_sorting

    if is_phy_folder(path):
        return read_phy(path, all_units=all_units)
    if (path / "si_folder.json").is_file() or (path / "spikes.npy").is_file():
        return read_si_sorting(path, all_units=all_units)
    if not any(path.iterdir()):
        raise DataFileError(f"{path} is an empty folder; expected a phy/Kilosort output folder (spike_times.npy, "
                            "params.py) or a SpikeInterface sorting folder")
    raise DataFileError(f"{path} is a folder but not a phy/Kilosort output (no spike_times.npy or params.py) nor "
                        "a SpikeInterface sorting folder; give an .nwb/.npz file or a sorter's output folder")


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
