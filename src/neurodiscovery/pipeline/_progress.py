"""Progress lines and the run result of :func:`~neurodiscovery.pipeline.command.execute` (re-exported there)."""
from __future__ import annotations

import contextvars
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

__all__ = ["RunResult", "progress_callback", "report_progress"]

_PROGRESS: contextvars.ContextVar[Callable[[str], None] | None] = contextvars.ContextVar("nd_progress", default=None)


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
