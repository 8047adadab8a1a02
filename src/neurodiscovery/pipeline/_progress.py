"""Progress lines, the scratch folder and the run result of :func:`~neurodiscovery.pipeline.command.execute`
(re-exported there)."""
from __future__ import annotations

import contextvars
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

__all__ = ["RunResult", "progress_callback", "report_progress", "run_directory", "scratch_folder"]

_PROGRESS: contextvars.ContextVar[Callable[[str], None] | None] = contextvars.ContextVar("nd_progress", default=None)
_RUN_DIR: contextvars.ContextVar[Path | None] = contextvars.ContextVar("nd_run_dir", default=None)


def run_directory() -> Path | None:
    """The (not yet published) folder of the run :func:`execute` is building, or None outside a run.

    Only for results too large for memory that are written as they are computed (a blockwise
    segmentation streams into a zarr store); everything else is written by the ``write`` hook.
    """
    return _RUN_DIR.get()


def scratch_folder(name: str) -> Path:
    """A not-yet-existing folder for a tool that must work on disk (a spike sorter): inside the run folder
    being built when :func:`~neurodiscovery.pipeline.command.execute` runs (removed with it on failure),
    else in a new temporary folder.

    Parameters
    ----------
    name : str
        Folder name.
    """
    import tempfile

    run_dir = _RUN_DIR.get()
    return (run_dir if run_dir is not None else Path(tempfile.mkdtemp(prefix="neurodiscovery-"))) / name


def report_progress(message: str) -> None:
    """Send one progress line to whoever runs the command (nothing when progress is off).

    Parameters
    ----------
    message : str
    """
    cb = _PROGRESS.get()
    if cb is not None:
        cb(message)


def progress_callback() -> Callable[[str], None] | None:
    """The active progress callable (for library functions that take ``progress=``)."""
    return _PROGRESS.get()


@dataclass(frozen=True)
class RunResult:
    """What :func:`execute` returns.

    Attributes
    ----------
    path : Path
        The completed run folder.
    result : object
        The command's typed result.
    metrics : dict
        What was written to ``metrics.json``.
    line : str
        The one line the CLI prints.
    """

    path: Path
    result: Any
    metrics: dict
    line: str = ""
