"""File checks shared by the readers: existence, folder, empty, magic bytes."""
from __future__ import annotations

import errno
import os
from pathlib import Path

from .._utils.errors import DataFileError, MissingFileError


def check_exists(path: Path) -> None:
    """Raise a one-line error naming why ``path`` cannot be reached (missing, dangling link, link loop)."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise DataFileError(f"{path} is a symbolic link loop (too many levels of symbolic links)") from None
        if os.path.islink(path):
            raise MissingFileError(f"{path} is a symbolic link to {os.readlink(path)}, which does not exist") from None
        if exc.errno == errno.ENOENT:
            raise MissingFileError(f"no such file: {path}") from None
        raise


def file_head(path: Path, expected: str, n: int = 8) -> bytes:
    """First ``n`` bytes of ``path``; clear errors for a missing path, a folder or an empty file.

    ``expected`` names what the caller wanted (used in the messages), e.g. ``"an NWB file"``.
    """
    check_exists(path)
    if path.is_dir():
        raise DataFileError(f"{path} is a folder, not {expected}")
    if path.stat().st_size == 0:
        raise DataFileError(f"{path} is empty (0 bytes)")
    with open(path, "rb") as fh:
        return fh.read(n)
