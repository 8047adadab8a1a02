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
        If False, an existing ``path`` is refused with one line before anything is written, and the
        finished file is published exclusively (a hard link that fails if ``path`` appeared meanwhile),
        so of two concurrent writers exactly one wins and the other is told, instead of one output being
        silently replaced.

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
        if overwrite:
            os.replace(tmp, path)
        else:
            _publish_exclusive(Path(tmp), path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _publish_exclusive(tmp: Path, path: Path) -> None:
    """Move ``tmp`` to ``path`` only if ``path`` does not exist, atomically (no check-then-rename race)."""
    try:
        os.link(tmp, path)  # fails with EEXIST if another writer got there first
    except FileExistsError:
        raise InputError(f"{path} was created by another process while this one was writing; "
                         "nothing was overwritten (choose another file name)") from None
    except OSError:
        # file systems without hard links: reserve the name with an exclusive create, then replace that empty file
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            raise InputError(f"{path} was created by another process while this one was writing; "
                             "nothing was overwritten (choose another file name)") from None
        os.replace(tmp, path)
