"""Which recordings a batch analyses: files, folders and glob patterns to session names.

Also the per-file facts the batch records without analysing anything: whether a session's run
folder is complete (:func:`is_complete_run`) and the subject an NWB file names.
"""
from __future__ import annotations

import glob
from pathlib import Path

import numpy as np

from .._utils.errors import InputError, MissingFileError

__all__ = ["RECORDING_SUFFIXES", "find_recordings", "is_complete_run", "session_names", "subject_of"]

#: File suffixes searched for in folders.
RECORDING_SUFFIXES = (".nwb", ".npz")
_RUN_FILES = ("config.json", "metrics.json", "report.html")


def _expand(arg: str) -> list[Path]:
    p = Path(arg)
    if p.is_dir() and ((p / "spike_times.npy").is_file() or (p / "params.py").is_file()):
        return [p]  # a phy / Kilosort output folder is one recording
    if p.is_dir():
        found = sorted(f for f in p.rglob("*") if f.suffix.lower() in RECORDING_SUFFIXES and f.is_file()
                       and not f.name.startswith("."))
        if not found:
            raise InputError(f"no .nwb or .npz recordings under the folder {p}")
        return found
    if p.is_file():
        return [p]
    if glob.has_magic(arg):
        found = sorted(Path(f) for f in glob.glob(arg, recursive=True) if Path(f).is_file())
        if not found:
            raise InputError(f"the pattern {arg!r} matches no files")
        return found
    raise MissingFileError(f"{p} does not exist (give recording files, folders or glob patterns)")


def find_recordings(paths) -> list[Path]:
    """Recording files named by files, folders (searched recursively) and glob patterns.

    Parameters
    ----------
    paths : str or sequence of str
        Files are taken as given (unreadable ones fail later, as sessions); folders give their
        ``*.nwb`` and ``*.npz`` files; patterns are expanded with :mod:`glob` (``**`` recurses).

    Returns
    -------
    list of Path
        Resolved, without duplicates, in the order given.

    Raises
    ------
    InputError
        Nothing given, a folder with no recordings, a pattern that matches nothing.
    MissingFileError
        A path that does not exist and is not a pattern.
    """
    paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
    if not paths:
        raise InputError("no recordings given: name files, folders or glob patterns")
    out = {}
    for arg in paths:
        for f in _expand(str(arg)):
            out.setdefault(f.resolve(), None)
    return list(out)


def session_names(files: list[Path]) -> list[str]:
    """Folder-safe, distinct session names (file stems; ``-2``, ``-3``... on clashes)."""
    from .report import slugify

    names, used = [], set()
    for f in files:
        base = slugify(f.stem)
        name, k = base, 1
        while name.lower() in used or name in ("logs", "figures"):
            k += 1
            name = f"{base}-{k}"
        used.add(name.lower())
        names.append(name)
    return names


def is_complete_run(folder: str | Path) -> bool:
    """Whether ``folder`` is a complete ``analyze`` run folder (config, metrics and report present)."""
    folder = Path(folder)
    return folder.is_dir() and all((folder / f).is_file() for f in _RUN_FILES)


def subject_of(path: Path) -> str | None:
    """``general/subject/subject_id`` of an NWB file or the ``subject`` of an NPZ file (None when absent)."""
    if Path(path).suffix.lower() == ".npz":
        try:
            with np.load(path, allow_pickle=False) as z:
                return str(z["subject"]) if "subject" in z.files else None
        except Exception:  # unreadable: the analysis itself reports the problem
            return None
    try:
        import h5py

        with h5py.File(path, "r") as f:
            v = f.get("general/subject/subject_id")
            if v is None:
                return None
            v = v[()]
            return v.decode() if isinstance(v, bytes) else str(v)
    except Exception:  # not HDF5 or unreadable: the analysis itself reports the problem
        return None
