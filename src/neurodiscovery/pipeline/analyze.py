"""``analyze``: a recording in, a run folder with an HTML report, figures and metrics out.

The sections are the stages of :mod:`neurodiscovery.pipeline.stages` (summary, quality,
tuning, psth, population, decoding, prediction), each a pure ``compute`` returning a typed
result and a ``render`` turning it into a report :class:`~neurodiscovery.pipeline.report.Section`.
:func:`compute_analysis` gives the results without writing anything; :func:`analyze` also
renders them into a run folder whose ``metrics.json`` follows the schema of
:mod:`neurodiscovery.pipeline.schema`.

With ``n_processes >= 2`` the stages of :data:`BACKGROUND_STAGES` run (computed and rendered) in
a second process, started first, while this one runs the others; each stage seeds its own
generators, so the results equal a one-process run's.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .._utils.errors import InputError
from .._utils.runfolder import RunFolder
from .config import AnalysisConfig
from .report import FigureWriter, Section, render_html
from .schema import METRICS_SCHEMA_VERSION, schema_stamp
from .stages import Skipped, get_stage
from .stages._inputs import AnalysisInputs

__all__ = ["BACKGROUND_STAGES", "AnalysisResults", "analyze", "compute_analysis", "resolve_processes"]

#: Stages run in the second process of a two-process run: decoding is about 60 % of a default
#: run's CPU time, the others together the rest (``prediction``, which draws from decoding's
#: result, runs in the first process while it would otherwise wait).
BACKGROUND_STAGES = ("decoding",)


@dataclass(frozen=True)
class AnalysisResults:
    """Typed results of every stage that ran.

    Attributes
    ----------
    results : dict of str -> result
        Per section key, the stage's result dataclass or :class:`~neurodiscovery.pipeline.stages.Skipped`.
    timings_s : dict of str -> float
        Wall time per stage (s).
    config : AnalysisConfig
    """

    results: dict
    timings_s: dict
    config: AnalysisConfig

    def __getitem__(self, key: str):
        return self.results[key]

    def metrics(self) -> dict:
        """Per section, the JSON-ready metrics (``{"skipped": reason}`` for skipped sections)."""
        return {k: r.to_metrics() for k, r in self.results.items()}


@contextlib.contextmanager
def _thread_limits(n_threads: int):
    """Limit BLAS (threadpoolctl) and torch intra-op threads, restoring both afterwards."""
    import torch
    from threadpoolctl import threadpool_limits

    old = torch.get_num_threads()
    torch.set_num_threads(int(n_threads))
    try:
        with threadpool_limits(int(n_threads)):
            yield
    finally:
        torch.set_num_threads(old)


def _prepare(rec, cfg: AnalysisConfig):
    """An imaging recording gets its ROIs selected and the chosen trace computed; spikes pass through."""
    if getattr(rec, "traces", None) is None:
        return rec
    from ..imaging import prepare_imaging

    rec = prepare_imaging(rec, trace=cfg.trace, iscell_threshold=cfg.iscell_threshold)
    v = rec.traces.values
    if not (v.max(axis=0) > v.min(axis=0)).any():
        raise InputError(f"every ROI's {rec.traces.kind} trace is constant ({rec.n_units} ROIs): nothing to analyse")
    return rec


def _check_recording(rec, cfg: AnalysisConfig) -> None:
    if rec.n_units == 0:
        raise InputError("the recording has zero units: nothing to analyse")
    if getattr(rec, "traces", None) is None and rec.n_spikes.sum() == 0:
        raise InputError("the recording's units have no spikes: nothing to analyse")
    if getattr(rec, "traces", None) is not None:
        return  # imaging: frames are already binned
    from ..data import check_binning_memory

    # refuse at once, not after the first stages: counts + behaviours + a lagged design (and a copy)
    lags = cfg.bins_before + cfg.bins_after + 1
    n_cols = sum(rec.behavior(n).values.shape[1] for n in rec.behavior_names)
    check_binning_memory(rec, cfg.bin_size_s, columns_per_bin=rec.n_units * (2 * lags + 1) + n_cols + 8,
                         what="the analysis' binned counts and spike-history design",
                         change="use a larger --bin-size, or check the spike times (one spike far from "
                                "the others stretches the time support)")


def _stages(cfg: AnalysisConfig, progress: bool, on_stage=None):
    from tqdm.auto import tqdm

    bar = tqdm(cfg.sections, desc="analyze", unit="stage", disable=not progress)
    for key in bar:
        bar.set_postfix_str(key)
        if on_stage is not None:
            on_stage(key)
        yield get_stage(key)
    bar.close()


def _compute(stage, inputs, cfg, results):
    return stage.load().compute(inputs, cfg, {k: results[k] for k in stage.needs})


def _render(stage, result, figures: FigureWriter) -> Section:
    title = f"{stage.number}. {stage.title}"
    if isinstance(result, Skipped):
        return Section(stage.key, title, skipped=result.reason, metrics=result.to_metrics())
    sec = stage.load().render(result, figures)
    sec.key, sec.title, sec.metrics = stage.key, title, result.to_metrics()
    return sec


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
    inputs = AnalysisInputs(recording, cfg.bin_size_s, cfg.psth_bin_s)
    figures = None if figures_dir is None else FigureWriter(figures_dir, formats)
    results, out = {}, {}
    with _thread_limits(cfg.n_threads):
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

    def __init__(self, recording, cfg: AnalysisConfig, figures: FigureWriter | None):
        self.keys = tuple(k for k in cfg.sections if k in BACKGROUND_STAGES)
        here = [k for k in cfg.sections if k not in self.keys]
        self._pool = self._future = self._out = None
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
        self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
        self._future = self._pool.submit(_stages_in_worker, self._token)

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
        return False


def compute_analysis(recording, config: AnalysisConfig | None = None, progress: bool = False) -> AnalysisResults:
    """Compute every requested stage of ``analyze`` without writing files or drawing figures.

    Parameters
    ----------
    recording : Recording
    config : AnalysisConfig, optional
    progress : bool
        Show a per-stage progress bar (stderr).

    Returns
    -------
    AnalysisResults
        ``results["tuning"].curves["head_direction"]`` etc.
    """
    cfg = config or AnalysisConfig()
    _check_recording(recording, cfg)
    recording = _prepare(recording, cfg)
    inputs = AnalysisInputs(recording, cfg.bin_size_s, cfg.psth_bin_s)
    results, timings = {}, {}
    with _Background(recording, cfg, None) as bg, _thread_limits(cfg.n_threads):
        for stage in _stages(cfg, progress):
            t = time.perf_counter()
            got = bg.collect(stage, inputs, cfg, results)
            results[stage.key] = _compute(stage, inputs, cfg, results) if got is None else got[0]
            timings[stage.key] = time.perf_counter() - t if got is None else got[2]
    return AnalysisResults(results, timings, cfg)


def analyze(recording, out: str | Path | None = None, config: AnalysisConfig | None = None,
            runs_root: str | Path = "runs", progress: bool = True, source: str | None = None,
            on_stage=None) -> Path:
    """Run the full analysis of one recording into a new run folder.

    Parameters
    ----------
    recording : Recording
    out : path, optional
        Run folder to create (must not exist); default ``runs/<UTC>-analyze``.
    config : AnalysisConfig, optional
        Default :class:`AnalysisConfig` ``()``.
    runs_root : path
        Parent of the default run folder.
    progress : bool
        Show a per-stage progress bar (stderr).
    source : str, optional
        Where the recording came from, for ``config.json``.
    on_stage : callable, optional
        Called with each stage's key as it starts (batch runs log and show it).

    Returns
    -------
    Path
        The completed run folder (``report.html``, ``figures/``, ``metrics.json``,
        ``config.json``). A failure removes the partial folder.
    """
    cfg = config or AnalysisConfig()
    _check_recording(recording, cfg)
    run_cfg = {"analysis": asdict(cfg), "recording": recording.name, "source": source or
               str(recording.meta.get("source", "in-memory")), "seed": cfg.seed,
               "metrics_schema_version": METRICS_SCHEMA_VERSION}
    with RunFolder("analyze", out=out, root=runs_root, config=run_cfg) as run:
        recording = _prepare(recording, cfg)
        inputs = AnalysisInputs(recording, cfg.bin_size_s, cfg.psth_bin_s)
        figures = FigureWriter(run.figures, cfg.figure_formats)
        results, sections, timings = {}, [], {}
        with _Background(recording, cfg, figures) as bg, _thread_limits(cfg.n_threads):
            for stage in _stages(cfg, progress, on_stage):
                t = time.perf_counter()
                got = bg.collect(stage, inputs, cfg, results)
                if got is None:
                    results[stage.key] = _compute(stage, inputs, cfg, results)
                    sections.append(_render(stage, results[stage.key], figures))
                    timings[stage.key] = time.perf_counter() - t
                else:
                    results[stage.key], sec, timings[stage.key] = got
                    sections.append(_render(stage, results[stage.key], figures) if sec is None else sec)
        key_numbers = [kn for s in sections for kn in s.key_numbers]
        metrics = {"schema": schema_stamp(), **{s.key: s.metrics for s in sections},
                   "key_numbers": dict(key_numbers), "timings_s": timings}
        run.write_metrics(metrics)
        html = render_html(f"neurodiscovery analysis — {recording.name}", key_numbers, sections,
                           run.figures, run_cfg)
        run.write_text("report.html", html)
    return run.path
