"""File checks shared by the readers: existence, folder, empty, magic bytes."""
from __future__ import annotations

from pathlib import Path

from .._utils.errors import DataFileError, MissingFileError


def file_head(path: Path, expected: str, n: int = 8) -> bytes:
    """First ``n`` bytes of ``path``; clear errors for a missing path, a folder or an empty file.

    ``expected`` names what the caller wanted (used in the messages), e.g. ``"an NWB file"``.
    """
    if not path.exists():
        raise MissingFileError(f"no such file: {path}")
    if path.is_dir():
        raise DataFileError(f"{path} is a folder, not {expected}")
    if path.stat().st_size == 0:
        raise DataFileError(f"{path} is empty (0 bytes)")
    with open(path, "rb") as fh:
        return fh.read(n)
