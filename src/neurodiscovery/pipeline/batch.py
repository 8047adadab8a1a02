"""``analyze`` over many recordings on dask: one task per session, resumable, with a summary.

Layout of a batch run folder::

    <batch>/
      batch.json             sources, session names and the analysis configuration
      <session>/             one complete single-session run folder per analysed recording
      logs/<session>.log     what each session did (stages, timing, the error of a failure)
      summary.json, sessions.csv, summary.html, figures/   across sessions (pipeline.summary)

Each session folder is built by :class:`~neurodiscovery._utils.runfolder.RunFolder` in a hidden
``.<session>.partial-*`` sibling and renamed only when complete, so an interrupted batch leaves
finished sessions intact and nothing half-written that looks complete; ``resume=True`` skips
the complete ones and deletes the partial leftovers.

Modules: :mod:`~neurodiscovery.pipeline.batch_files` finds the recordings and names the sessions,
:mod:`~neurodiscovery.pipeline.batch_run` runs one dask task per session (spikes read lazily from
NWB files, so a worker holds one unit's spikes at a time), this module prepares the folder and
writes the summary (:mod:`~neurodiscovery.pipeline.summary`).

Exit codes of ``neurodiscovery analyze`` with several recordings: 0 all sessions complete,
:data:`EXIT_SESSIONS_FAILED` (3) some failed (listed in the summary), 2 wrong input (no
recordings, a glob that matches nothing, a scheduler that does not answer).
"""
from __future__ import annotations

import datetime as _dt
import json
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .._utils.errors import InputError
from .._utils.runfolder import write_json
from .batch_files import RECORDING_SUFFIXES, find_recordings, is_complete_run, session_names, subject_of
from .batch_run import (
    SCHEDULER_TIMEOUT_S,
    SessionOutcome,
    analyze_session,
    close_quietly,
    interrupted_message,
    open_client_quietly,
    run_on_dask,
)
from .config import AnalysisConfig

__all__ = ["EXIT_SESSIONS_FAILED", "RECORDING_SUFFIXES", "SCHEDULER_TIMEOUT_S", "BatchResult", "SessionOutcome",
           "analyze_many", "analyze_paths", "analyze_session", "find_recordings", "is_complete_run"]

#: Exit code of ``neurodiscovery analyze`` when at least one session of a batch failed.
EXIT_SESSIONS_FAILED = 3


@dataclass(frozen=True)
class BatchResult:
    """A finished batch: its folder and one :class:`SessionOutcome` per recording (input order).

    Attributes
    ----------
    path : Path
        The batch folder (absolute): ``batch.json``, one run folder per session, ``logs/`` and the summary.
    sessions : tuple of SessionOutcome
        One per recording, in input order: ``"done"`` (analysed now), ``"resumed"`` (complete from an
        earlier run) or ``"failed"`` with its one-line error.
    """

    path: Path
    sessions: tuple

    @property
    def failed(self) -> tuple:
        """Outcomes of the sessions that failed."""
        return tuple(s for s in self.sessions if not s.ok)

    @property
    def exit_code(self) -> int:
        """0 when every session is complete, else :data:`EXIT_SESSIONS_FAILED`."""
        return EXIT_SESSIONS_FAILED if self.failed else 0


def _prepare_folder(out: Path, files, names, config: AnalysisConfig, resume: bool) -> None:
    cfg = json.loads(json.dumps(asdict(config), default=list))
    meta = out / "batch.json"
    if resume:
        if not meta.is_file():
            raise InputError(f"--resume needs an existing batch folder; {out} has no batch.json")
        old = json.loads(meta.read_text())
        if old.get("analysis") != cfg:
            raise InputError(f"{out} was analysed with other options; resume with the same options "
                             "or choose a new --out")
        for partial in out.glob(".*.partial-*"):  # leftovers of an interrupted run: never complete
            shutil.rmtree(partial, ignore_errors=True)
    elif out.exists():
        raise InputError(f"output folder {out} already exists; choose another --out or pass --resume")
    out.mkdir(parents=True, exist_ok=True)
    write_json(meta, {"command": "analyze-batch", "analysis": cfg,
                      "sessions": [{"name": n, "source": str(f)} for f, n in zip(files, names)]})


def analyze_many(paths, out: str | Path | None = None, config: AnalysisConfig | None = None, *,
                 workers: int | None = None, scheduler: str | None = None, client=None,
                 resume: bool = False, runs_root: str | Path = "runs", progress: bool = True) -> BatchResult:
    """Analyse many recordings, one dask task per session, into a batch run folder.

    Parameters
    ----------
    paths : str or sequence of str
        Files, folders (searched recursively for ``*.nwb``/``*.npz``) and glob patterns
        (:func:`find_recordings`).
    out : path, optional
        Batch folder; default ``runs/<UTC>-analyze-batch``. Must not exist unless ``resume``.
    config : AnalysisConfig, optional
        The same analysis for every session.
    workers : int, optional
        Worker processes of the local cluster (default 2; one thread each).
    scheduler : str, optional
        Address of a running dask.distributed scheduler (``tcp://host:8786``) instead.
    client : distributed.Client, optional
        An existing client (e.g. of a ``LocalCluster`` you made); overrides both.
    resume : bool
        Re-use ``out``: complete session folders are kept and not analysed again; the
        summary is rebuilt over all sessions.
    runs_root : path
        Parent of the default ``out`` (ignored when ``out`` is given).
    progress : bool
        One bar over sessions with the stage of a running one (stderr).

    Returns
    -------
    BatchResult
        ``exit_code`` is 0 or :data:`EXIT_SESSIONS_FAILED`; failures carry a one-line error.

    Raises
    ------
    InputError
        No recordings, a pattern matching nothing, an existing ``out`` without ``resume``, a
        scheduler that does not answer within :data:`SCHEDULER_TIMEOUT_S`.
    """
    from .summary import write_summary

    cfg = config or AnalysisConfig()
    files = find_recordings(paths)
    names = session_names(files)
    if out is None:
        stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S_%fZ")
        out = Path(runs_root) / f"{stamp}-analyze-batch"
    out = Path(out).resolve()
    _prepare_folder(out, files, names, cfg, resume)
    outcomes, todo = {}, []
    for f, n in zip(files, names):
        folder = out / n
        if resume and is_complete_run(folder):
            outcomes[n] = SessionOutcome(n, str(f), "resumed", subject=subject_of(f))
            continue
        if folder.exists():  # incomplete by an older layout: keep it aside, never reuse it
            folder.rename(out / f".{n}.incomplete-{time.time_ns()}")
        todo.append((f, n))
    if todo:
        box = [client, None]
        try:
            if client is None:
                open_client_quietly(workers, scheduler, box)
            outcomes.update(run_on_dask(box[0], todo, cfg, out, progress))
        except BaseException as exc:  # Ctrl-C / SIGTERM: stop the cluster once, keep what finished
            if client is None and box[0] is not None:
                close_quietly(*box)
            if not isinstance(exc, Exception):
                exc.user_message = interrupted_message(out, names)  # the CLI prints this one line
            raise
        if client is None:
            box[0].close()
            if box[1] is not None:
                box[1].close()
    result = BatchResult(out, tuple(outcomes[n] for n in names))
    write_summary(result)
    return result


def analyze_paths(paths, out: str | Path | None = None, config: AnalysisConfig | None = None, *,
                  workers: int | None = None, scheduler: str | None = None, resume: bool = False,
                  progress: bool = True):
    """``analyze`` of what a user named: one recording -> its run folder, several -> a batch.

    Parameters
    ----------
    paths : sequence of str
        Files, folders and glob patterns (:func:`find_recordings`).
    out, config, workers, scheduler, resume, progress
        As in :func:`analyze_many` (``out`` is the single run folder for one recording).

    Returns
    -------
    Path or BatchResult
        The single-session run folder when the paths name exactly one recording and neither
        ``resume`` nor ``scheduler`` is given (a bad file then raises DataFileError), else the
        batch's result.
    """
    files = find_recordings(paths)
    if len(files) == 1 and not resume and scheduler is None:
        from ..data import read_recording
        from .analyze import analyze

        all_units = bool(getattr(config, "all_units", False))
        return analyze(read_recording(files[0], lazy=True, all_units=all_units), out=out, config=config,
                       progress=progress,
                       source=str(files[0]))
    return analyze_many(files, out=out, config=config, workers=workers, scheduler=scheduler,
                        resume=resume, progress=progress)
