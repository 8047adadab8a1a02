"""Atomic file output: write to a hidden temporary sibling, rename into place when complete.

An interrupted write never leaves a file that looks finished, and the final file gets the
permissions ``open()`` would give it (``0666 & ~umask``; ``mkstemp`` alone makes 0600, which
colleagues on a shared server could not read).
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import InputError


def current_umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux ``/proc``)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere: set-and-restore (brief, single-threaded CLI)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, *, suffix: str = ".tmp", overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically.

    Parameters
    ----------
    path : path-like
        Final file. Its folder is created if missing.
    suffix : str
        Suffix of the temporary file (some writers choose the format from it, e.g. ``.npz``).
    overwrite : bool
        If False, an existing ``path`` is refused with one line before anything is written.

    Yields
    ------
    Path
        Where to write. Removed if the block raises (or is interrupted).
    """
    path = Path(path)
    if not overwrite and (path.exists() or path.is_symlink()):
        raise InputError(f"{path} already exists; choose another file name (nothing is overwritten)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
