"""Running a batch's sessions on dask: the per-session task, the client, the progress bar.

One task per session (:func:`analyze_session`): it never raises for a bad recording or a
failing stage, so a failure becomes a :class:`SessionOutcome` and the other sessions go on.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import signal
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from .._utils.errors import InputError
from .batch_files import subject_of
from .config import AnalysisConfig

__all__ = ["SCHEDULER_TIMEOUT_S", "SessionOutcome", "analyze_session", "open_client", "run_on_dask"]

#: Seconds a ``scheduler`` address gets to answer before the batch stops with an InputError.
SCHEDULER_TIMEOUT_S = 10


#: Worker processes of a batch's local dask cluster when none are named (one thread each).
DEFAULT_WORKERS = 2


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
    subject = subject_of(source)
    with open(log_path, "a", encoding="utf-8") as log:
        def say(text: str) -> None:
            stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%H:%M:%S")
            log.write(f"{stamp} {text}\n")
            log.flush()

        say(f"start {source}")
        try:
            # spikes stay on disk until a stage bins them
            rec = read_recording(source, lazy=True, all_units=bool(getattr(config, "all_units", False)))
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


def open_client_quietly(workers: int | None, scheduler: str | None, box: list) -> None:
    """:func:`open_client` with the workers shielded from Ctrl-C; ``box`` receives ``[client, cluster]``
    before a Ctrl-C that came during start-up is raised, so the caller can always shut them down.

    Parameters
    ----------
    workers, scheduler
        As in :func:`open_client`.
    box : list
        Emptied and filled with the client and the cluster (None when connecting to ``scheduler``).
    """
    with _workers_ignore_sigint():
        box[:] = open_client(workers, scheduler)


def open_client(workers: int | None, scheduler: str | None):
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
    cluster = LocalCluster(n_workers=workers or DEFAULT_WORKERS, threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(cluster), cluster


@contextlib.contextmanager
def _workers_ignore_sigint():
    """Start worker processes with SIGINT ignored (an ignored disposition survives fork and exec).

    Ctrl-C reaches the whole process group; only this process should react, by shutting the cluster down
    once and quietly. (A blocked signal mask is not inherited by multiprocessing's spawned workers, so the
    disposition is used; a Ctrl-C in the few seconds while the workers start is therefore not seen, and a
    second one stops the batch.)
    """
    import os

    main = threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    # the worker processes (and multiprocessing's resource tracker) read these at start: a batch's outcome
    # per session is reported by us, and their shutdown warnings would only bury that one line
    env = {"DASK_LOGGING__DISTRIBUTED": "critical",
           "PYTHONWARNINGS": "ignore:resource_tracker:UserWarning"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if main:
            signal.signal(signal.SIGINT, old)


def close_quietly(client, cluster) -> None:
    """Shut a client (and its LocalCluster) down after an interruption without dask's shutdown chatter.

    Parameters
    ----------
    client : distributed.Client
        The batch's client.
    cluster : distributed.LocalCluster or None
        Its cluster when this batch started one.
    """
    import logging

    for name in ("distributed", "tornado", "asyncio"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    with contextlib.suppress(BaseException):
        client.close(timeout=5)
    if cluster is not None:
        with contextlib.suppress(BaseException):
            cluster.close(timeout=5)


def interrupted_message(out: Path, names: list[str]) -> str:
    """Tidy an interrupted batch folder and say what is left.

    Sessions that finished are kept (with ``batch.json``, so ``--resume`` continues); unfinished sessions'
    partial folders are removed; a batch in which no session finished is removed entirely.

    Parameters
    ----------
    out : Path
        Batch folder.
    names : list of str
        Session names of the batch.

    Returns
    -------
    str
        One line for the user.
    """
    import shutil

    from .batch_files import is_complete_run

    done = [n for n in names if is_complete_run(out / n)]
    if not done:
        shutil.rmtree(out, ignore_errors=True)
        return f"no session had finished; the batch folder {out} was removed"
    for partial in out.glob(".*.partial-*"):
        shutil.rmtree(partial, ignore_errors=True)
    return (f"{len(done)} of {len(names)} sessions finished and are kept in {out}; to continue, run the same "
            f"command with --out {out} --resume")


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


def run_on_dask(client, todo: list[tuple], config, out: Path, progress: bool) -> dict:
    """Submit one task per session, wait with a bar over sessions; return name -> outcome."""
    import logging

    from distributed import wait

    # an interrupt inside distributed's sync() makes its IO loop log a NameError traceback (a dask bug); the
    # interruption itself is reported in one line by the caller
    logging.getLogger("tornado.application").setLevel(logging.CRITICAL)
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
