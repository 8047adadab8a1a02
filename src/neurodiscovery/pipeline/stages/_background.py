"""The second process of a two-process ``analyze`` run (:attr:`AnalysisConfig.n_processes`).

The stages of :data:`BACKGROUND_STAGES` are computed in a forked process while the first runs
the others; a stage split in ``PARTS`` has its first part computed there and the rest here, then
merged. Each stage seeds its own generators, so results equal a one-process run's.
"""
from __future__ import annotations

import time

from . import REGISTRY

#: Stages run in the second process of a two-process run: those the stage registry marks
#: ``concurrent`` (decoding, about 60 % of a default run's CPU time; ``prediction``, which draws from
#: decoding's result, runs in the first process while it would otherwise wait).
BACKGROUND_STAGES = tuple(s.key for s in REGISTRY if s.concurrent)


def _quiet_child() -> None:
    """Signals in the forked child: the parent reports interruptions, the child just stops.

    The child inherits the CLI's SIGTERM handler (which raises to clean up a run folder the child does not
    own); when the parent shuts the pool down, that would print the child's traceback to the user.
    """
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _in_worker_process() -> bool:
    """Whether this process is a worker of a pool or a dask cluster (its cores are already shared out)."""
    import multiprocessing
    import sys

    if multiprocessing.current_process().daemon:
        return True
    if "distributed" in sys.modules:
        try:
            sys.modules["distributed"].get_worker()
            return True
        except ValueError:
            pass
    return False


def resolve_processes(n_processes: int | None) -> int:
    """Processes a run uses: ``n_processes`` (at most 2), or for None 2 when >= 2 cores are free to it.

    Parameters
    ----------
    n_processes : int or None
        :attr:`AnalysisConfig.n_processes`.

    Returns
    -------
    int
        1 or 2. None gives 1 inside a daemon or dask worker process (a batch shares the cores
        out by session) and on a single core. Always 1 off Linux (the second process is forked).
    """
    import os
    import sys

    if not sys.platform.startswith("linux"):
        return 1  # the second process is forked, which only Linux makes safe for numpy/torch state
    if n_processes is not None:
        return min(int(n_processes), 2)
    if _in_worker_process():
        return 1
    n_cpu = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 2 if n_cpu >= 2 else 1


#: What each forked second process works on, by token, set before the fork (inherited, so a large
#: recording is not pickled through a pipe): (recording, cfg, keys, figures folder, formats).
_FORK_TASKS: dict = {}


def _stages_in_worker(token: int) -> dict:
    """Compute (and, given a figures folder, render) the task's stages in order; the second process's task.

    Returns ``{key: (result, section or None, seconds)}``.
    """
    recording, cfg, keys, figures_dir, formats = _FORK_TASKS[token]
    from ..._utils.runtime import cap_worker_threads
    from ..analyze import _compute, _render, _thread_limits
    from ..report import FigureWriter
    from . import get_stage
    from ._inputs import AnalysisInputs

    inputs = AnalysisInputs(recording, cfg.bin_size_s, cfg.psth_bin_s)
    figures = None if figures_dir is None else FigureWriter(figures_dir, formats)
    results, out = {}, {}
    with _thread_limits(cfg.n_threads), cap_worker_threads(None):  # the first process's cap is not ours
        for key in keys:
            stage, t = get_stage(key), time.perf_counter()
            mod = stage.load()
            if hasattr(mod, "PARTS"):  # the first process computes the other parts, merges and renders
                part = mod.compute_part(inputs, cfg, {k: results[k] for k in stage.needs}, mod.PARTS[0])
                out[key] = (part, None, time.perf_counter() - t)
                continue
            results[key] = _compute(stage, inputs, cfg, results)
            sec = None if figures is None else _render(stage, results[key], figures)
            out[key] = (results[key], sec, time.perf_counter() - t)
    return out


class _Background:
    """The :data:`BACKGROUND_STAGES` of a run, started in a second (forked) process.

    ``get(key)`` waits for them; None (the caller computes the stage itself) when no second
    process runs or it could not finish (e.g. it was killed): a stage's own errors propagate.
    """

    def __init__(self, recording, cfg, figures):
        self.keys = tuple(k for k in cfg.sections if k in BACKGROUND_STAGES)
        here = [k for k in cfg.sections if k not in self.keys]
        self._pool = self._future = self._out = self._cap = None
        self._figures = figures
        if resolve_processes(cfg.n_processes) < 2 or not self.keys or not here:
            self.keys = ()
            return
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # fork: a spawned child would re-run the user's script (a script without a __main__ guard would
        # run twice) and re-import torch & co.; the child sets its own thread limits before any work
        self._token = id(self)
        _FORK_TASKS[self._token] = (recording, cfg, self.keys, None if figures is None else figures.figures_dir,
                                    None if figures is None else figures.formats)
        self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"),
                                         initializer=_quiet_child)
        self._future = self._pool.submit(_stages_in_worker, self._token)
        from ..._utils.runtime import cap_worker_threads

        # while the second process works, this one computes on one thread (it gets the spare core)
        self._cap = cap_worker_threads(1)
        self._cap.__enter__()

    def collect(self, stage, inputs, cfg, results):
        """``(result, section or None, seconds)`` of a background stage, or None (compute it here).

        A stage split in ``PARTS`` has its other parts computed here while the worker runs, then merged.
        """
        if stage.key not in self.keys:
            return None
        mod, t = stage.load(), time.perf_counter()
        needs = {k: results[k] for k in stage.needs}
        rest = {p: mod.compute_part(inputs, cfg, needs, p) for p in getattr(mod, "PARTS", ())[1:]}
        got = self.get(stage.key)
        if got is None or not rest:
            return got
        return mod.merge(inputs, cfg, {mod.PARTS[0]: got[0], **rest}), None, max(got[2], time.perf_counter() - t)

    def get(self, key: str):
        if key not in self.keys:
            return None
        if self._out is None:
            from concurrent.futures.process import BrokenProcessPool

            try:
                self._out = self._future.result()
            except BrokenProcessPool:
                self.keys, self._out = (), {}
                return None
            for _, sec, _ in self._out.values():  # the worker's figure names, reserved in this run's writer
                for f in (sec.figures if sec is not None else ()):
                    if self._figures.stem_for(f.stem) != f.stem:
                        raise RuntimeError(f"figure name {f.stem!r} written by two stages")
        return self._out[key]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._pool is None:
            return False
        if exc[0] is not None:  # this run failed or was interrupted: stop the worker now, not when it is done
            for proc in list((getattr(self._pool, "_processes", None) or {}).values()):
                proc.terminate()
        self._pool.shutdown(wait=True, cancel_futures=True)
        _FORK_TASKS.pop(self._token, None)
        self._cap.__exit__(None, None, None)
        return False
