"""SpikeInterface import with the install hint of the ``sorting`` extra, and silenced progress output."""
from __future__ import annotations

from .._utils.errors import MissingDependencyError

INSTALL_HINT = "pip install 'neurodiscovery[sorting]'"


def si():
    """``spikeinterface.full``, or MissingDependencyError naming the ``sorting`` extra."""
    try:
        import spikeinterface.full as si_full
    except ImportError as exc:
        raise MissingDependencyError(f"spike sorting needs SpikeInterface (not installed: {exc.name}): "
                                     f"{INSTALL_HINT}") from None
    return si_full


def job_kwargs(n_jobs: int = 1) -> dict:
    """SpikeInterface's chunked-processing options: ``n_jobs`` workers, one-second chunks, no progress bars."""
    return {"n_jobs": int(n_jobs), "chunk_duration": "1s", "progress_bar": False}
