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

Exit codes of ``neurodiscovery analyze`` with several recordings: 0 all sessions complete,
:data:`EXIT_SESSIONS_FAILED` (3) some failed (listed in the summary), 2 wrong input (no
recordings, a glob that matches nothing, a scheduler that does not answer).
"""
from __future__ import annotations

import datetime as _dt
import glob
import json
import shutil
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

from .._utils.errors import InputError, MissingFileError
from .._utils.runfolder import write_json
from .config import AnalysisConfig

__all__ = ["EXIT_SESSIONS_FAILED", "BatchResult", "SessionOutcome", "analyze_many", "analyze_paths", "analyze_session",
           "find_recordings", "is_complete_run"]

#: Exit code of ``neurodiscovery analyze`` when at least one session of a batch failed.
EXIT_SESSIONS_FAILED = 3
#: File suffixes searched for in folders.
RECORDING_SUFFIXES = (".nwb", ".npz")
#: Seconds a ``scheduler`` address gets to answer before the batch stops with an InputError.
SCHEDULER_TIMEOUT_S = 10
_RUN_FILES = ("config.json", "metrics.json", "report.html")


@dataclass(frozen=True)
class SessionOutcome:
    """What happened to one recording of a batch.

    Attributes
    ----------
    name : str
        Session folder name inside the batch folder.
    source : str
        The recording file.
    status : str
        ``"done"`` (analysed now), ``"resumed"`` (complete from an earlier run) or ``"failed"``.
    error : str or None
        One line: the failure's type and message.
    wall_s : float
        Seconds the analysis took (0 for resumed sessions).
    subject : str or None
        Subject id from the NWB file's ``general/subject``, when it names one.
    """

    name: str
    source: str
    status: str
    error: str | None = None
    wall_s: float = 0.0
    subject: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the session folder is complete."""
        return self.status in ("done", "resumed")


@dataclass(frozen=True)
class BatchResult:
    """A finished batch: its folder and one :class:`SessionOutcome` per recording (input order)."""

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


def _expand(arg: str) -> list[Path]:
    p = Path(arg)
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


def _session_names(files: list[Path]) -> list[str]:
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


def _subject(path: Path) -> str | None:
    """``general/subject/subject_id`` of an NWB file (None for NPZ or when absent)."""
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


def _one_line(exc: BaseException) -> str:
    msg = " ".join(str(exc).split()) or "(no message)"
    return f"{type(exc).__name__}: {msg}"[:500]


def analyze_session(source: str | Path, out: str | Path, config: AnalysisConfig, log_path: str | Path,
                    name: str | None = None) -> SessionOutcome:
    """Read one recording and analyse it into the run folder ``out``; the task of a batch.

    Never raises for a bad recording or a failing stage: the failure becomes the outcome's
    one-line ``error`` (and its traceback goes to the log), so the other sessions go on.

    Parameters
    ----------
    source : path
        NWB or NPZ file.
    out : path
        Session run folder to create (must not exist).
    config : AnalysisConfig
    log_path : path
        Log file of this session (stages with times, the error of a failure).
    name : str, optional
        Session name (default the folder name of ``out``).
    """
    from ..data import read_recording
    from .analyze import analyze

    source, out, log_path = Path(source), Path(out), Path(log_path)
    name = name or out.name
    log_path.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    subject = _subject(source)
    with open(log_path, "a", encoding="utf-8") as log:
        def say(text: str) -> None:
            stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%H:%M:%S")
            log.write(f"{stamp} {text}\n")
            log.flush()

        say(f"start {source}")
        try:
            rec = read_recording(source)
            say(f"read {rec.n_units} units, {int(rec.n_spikes.sum())} spikes")
            analyze(rec, out=out, config=config, progress=False, source=str(source),
                    on_stage=lambda key: say(f"stage {key}"))
        except Exception as exc:  # any failure of one session is reported, the batch goes on
            say(f"failed: {_one_line(exc)}")
            log.write(traceback.format_exc())
            return SessionOutcome(name, str(source), "failed", _one_line(exc), time.perf_counter() - t0, subject)
        wall = time.perf_counter() - t0
        say(f"done in {wall:.1f} s")
    return SessionOutcome(name, str(source), "done", None, wall, subject)


def _open_client(workers: int | None, scheduler: str | None):
    """A dask client: to ``scheduler`` if given, else to a new LocalCluster of worker processes."""
    from .._utils.errors import require

    require("distributed", "distributed")
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            return Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT_S}s"), None
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(f"the dask scheduler {scheduler} did not answer within {SCHEDULER_TIMEOUT_S} s "
                             f"({type(exc).__name__}); check the address or start one with `dask scheduler`"
                             ) from None
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise InputError(f"workers must be an integer >= 1, got {workers!r}")
    cluster = LocalCluster(n_workers=workers or 2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    return Client(cluster), cluster


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


def _stage_of(log_path: Path) -> str:
    try:
        lines = log_path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    stages = [ln.split(" stage ", 1)[1] for ln in lines if " stage " in ln]
    return stages[-1] if stages else ""


def _running_stages(pending: list, logs: Path, show: int = 3) -> str:
    """``"s1: tuning, s4: decoding"`` for the first ``show`` pending sessions that have started."""
    started = []
    for n in pending:
        if (logs / f"{n}.log").exists():
            started.append(f"{n}: {_stage_of(logs / f'{n}.log') or 'reading'}")
            if len(started) == show:
                break
    return ", ".join(started)


def _run_on_dask(client, todo: list[tuple], config, out: Path, progress: bool) -> dict:
    """Submit one task per session, wait with a bar over sessions; return name -> outcome."""
    from distributed import wait
    from tqdm.auto import tqdm

    futures = {client.submit(analyze_session, str(f), str(out / n), config, str(out / "logs" / f"{n}.log"), n,
                             key=f"analyze-{n}-{time.time_ns()}", pure=False): (n, f) for f, n in todo}
    outcomes = {}
    pending = set(futures)
    with tqdm(total=len(futures), desc="sessions", unit="session", disable=not progress) as bar:
        while pending:
            try:
                done, pending = wait(pending, timeout=1.0, return_when="FIRST_COMPLETED")
            except TimeoutError:
                done = set()
            for fut in done:
                n, f = futures[fut]
                try:
                    outcomes[n] = fut.result()
                except Exception as exc:  # the worker died (memory, signal): the session failed
                    outcomes[n] = SessionOutcome(n, str(f), "failed", _one_line(exc))
                bar.update(1)
            bar.set_postfix_str(_running_stages(sorted(futures[x][0] for x in pending), out / "logs"))
    return outcomes


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
    names = _session_names(files)
    if out is None:
        stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S_%fZ")
        out = Path(runs_root) / f"{stamp}-analyze-batch"
    out = Path(out).resolve()
    _prepare_folder(out, files, names, cfg, resume)
    outcomes, todo = {}, []
    for f, n in zip(files, names):
        folder = out / n
        if resume and is_complete_run(folder):
            outcomes[n] = SessionOutcome(n, str(f), "resumed", subject=_subject(f))
            continue
        if folder.exists():  # incomplete by an older layout: keep it aside, never reuse it
            folder.rename(out / f".{n}.incomplete-{time.time_ns()}")
        todo.append((f, n))
    if todo:
        own, cluster = (client, None) if client is not None else _open_client(workers, scheduler)
        try:
            outcomes.update(_run_on_dask(own, todo, cfg, out, progress))
        finally:
            if client is None:
                own.close()
                if cluster is not None:
                    cluster.close()
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

        return analyze(read_recording(files[0]), out=out, config=config, progress=progress,
                       source=str(files[0]))
    return analyze_many(files, out=out, config=config, workers=workers, scheduler=scheduler,
                        resume=resume, progress=progress)
