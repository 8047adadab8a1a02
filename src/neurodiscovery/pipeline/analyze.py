"""``analyze``: a recording in, a run folder with an HTML report, figures and metrics out.

The sections are the stages of :mod:`neurodiscovery.pipeline.stages` (summary, quality,
tuning, psth, population, decoding, prediction), each a pure ``compute`` returning a typed
result and a ``render`` turning it into a report :class:`~neurodiscovery.pipeline.report.Section`.
:func:`compute_analysis` gives the results without writing anything and :func:`render_analysis`
their sections; :func:`analyze` runs the registered command (``execute("analyze", ...)``, see
:mod:`~neurodiscovery.pipeline.analyze_command`) into a run folder whose ``metrics.json`` follows
the schema of :mod:`neurodiscovery.pipeline.schema`.

With ``n_processes >= 2`` the stages of :data:`BACKGROUND_STAGES` run (computed and rendered) in
a second process, started first, while this one runs the others; each stage seeds its own
generators, so the results equal a one-process run's.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._utils.errors import InputError
from ._progress import _PROGRESS, report_progress
from .command import thread_limits
from .config import AnalysisConfig
from .report import FigureWriter, Section
from .stages import Skipped, get_stage
from .stages._background import BACKGROUND_STAGES, _Background, resolve_processes
from .stages._inputs import AnalysisInputs

__all__ = ["BACKGROUND_STAGES", "AnalysisResults", "analyze", "compute_analysis", "render_analysis",
           "resolve_processes", "stream_analysis"]


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
    recording_name : str
    """

    results: dict
    timings_s: dict
    config: AnalysisConfig
    recording_name: str = ""

    def __getitem__(self, key: str):
        return self.results[key]

    def metrics(self) -> dict:
        """Per section, the JSON-ready metrics (``{"skipped": reason}`` for skipped sections)."""
        return {k: r.to_metrics() for k, r in self.results.items()}

    def key_numbers(self) -> list:
        """None here: each stage's key numbers are declared by its rendered section."""
        return []

    def to_metrics(self) -> dict:
        """``metrics.json`` besides the stamp and key numbers: per section its metrics, and ``timings_s``."""
        return {**self.metrics(), "timings_s": dict(self.timings_s)}


def _thread_limits(n_threads: int):
    """Limit BLAS (threadpoolctl) and torch intra-op threads, restoring both afterwards."""
    return thread_limits(n_threads, torch=True)


def _prepare(rec, cfg: AnalysisConfig):
    """An imaging recording gets its ROIs selected and the chosen trace computed; spikes pass through."""
    if getattr(rec, "traces", None) is None:
        return rec
    from ..imaging import prepare_imaging

    rec = prepare_imaging(rec, trace=cfg.trace, cell_probability=cfg.iscell_threshold)
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
    if not np.isfinite(rec.firing_rates_hz()).all():  # the data span one instant (e.g. a single spike)
        raise InputError(f"{rec.name}: all {int(rec.n_spikes.sum())} spike(s) fall at one instant and no time "
                         "support is declared, so there is no duration to analyse; declare the recording's "
                         "time support (NWB epochs or timestamps, NPZ time_support_s)")
    if cfg.bin_size_s >= rec.duration_s:
        raise InputError(f"--bin-size {cfg.bin_size_s:g} s is not shorter than the recording "
                         f"({rec.duration_s:g} s); use a bin size well below the recording's duration")
    from ..data import check_binning_memory

    # refuse at once, not after the first stages: counts + behaviours + a lagged design (and a copy)
    lags = cfg.bins_before + cfg.bins_after + 1
    n_cols = sum(rec.behavior(n).values.shape[1] for n in rec.behavior_names)
    from .stages.decoding import unit_cap

    n_dec = min(rec.n_units, unit_cap(cfg, int(np.ceil(float(np.ptp(rec.time_support_s)) / cfg.bin_size_s)),
                                      lags)[0])
    check_binning_memory(rec, cfg.bin_size_s, columns_per_bin=rec.n_units + n_dec * 2 * lags + n_cols + 8,
                         what="the analysis' binned counts and spike-history design",
                         change="use a larger --bin-size, or check the spike times (one spike far from "
                                "the others stretches the time support)")


class _StageLine(str):
    """A progress line that names the stage starting (``.stage``), for callers that log stages."""

    stage: str = ""


def _stages(cfg: AnalysisConfig):
    for i, key in enumerate(cfg.sections, 1):
        line = _StageLine(f"analyze: stage {i}/{len(cfg.sections)}: {key}")
        line.stage = key
        report_progress(line)
        yield get_stage(key)


def _compute(stage, inputs, cfg, results):
    return stage.load().compute(inputs, cfg, {k: results[k] for k in stage.needs})


def _render(stage, result, figures: FigureWriter) -> Section:
    title = f"{stage.number}. {stage.title}"
    if isinstance(result, Skipped):
        return Section(stage.key, title, skipped=result.reason, metrics=result.to_metrics())
    sec = stage.load().render(result, figures)
    sec.key, sec.title, sec.metrics = stage.key, title, result.to_metrics()
    return sec


def _stderr_lines(enabled: bool, on_stage=None):
    """A progress callable printing lines to stderr (when ``enabled``) and passing stage keys to ``on_stage``."""
    def say(line: str) -> None:
        if on_stage is not None and getattr(line, "stage", ""):
            on_stage(line.stage)
        if enabled:
            print(line, file=sys.stderr, flush=True)

    return say if enabled or on_stage is not None else None


def compute_analysis(recording, config: AnalysisConfig | None = None, progress: bool = False) -> AnalysisResults:
    """Compute every requested stage of ``analyze`` without writing files or drawing figures.

    Parameters
    ----------
    recording : Recording
    config : AnalysisConfig, optional
    progress : bool
        Print a line per stage (stderr).

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
    token = _PROGRESS.set(_stderr_lines(True)) if progress else None
    try:
        with _Background(recording, cfg, None) as bg, _thread_limits(cfg.n_threads):
            for stage in _stages(cfg):
                t = time.perf_counter()
                got = bg.collect(stage, inputs, cfg, results)
                results[stage.key] = _compute(stage, inputs, cfg, results) if got is None else got[0]
                timings[stage.key] = time.perf_counter() - t if got is None else got[2]
    finally:
        if token is not None:
            _PROGRESS.reset(token)
    return AnalysisResults(results, timings, cfg, recording.name)


def render_analysis(results: AnalysisResults, figures: FigureWriter) -> list:
    """The report sections of computed stages (figures saved through ``figures``).

    Parameters
    ----------
    results : AnalysisResults
        From :func:`compute_analysis`.
    figures : FigureWriter

    Returns
    -------
    list of Section
        In report order; each carries its metrics and key numbers.
    """
    return [_render(get_stage(key), res, figures) for key, res in results.results.items()]


def stream_analysis(recording, config: AnalysisConfig, figures: FigureWriter):
    """Compute and render the stages interleaved: :func:`render_analysis` of :func:`compute_analysis`, faster.

    With two processes (:attr:`AnalysisConfig.n_processes`) the :data:`BACKGROUND_STAGES` are computed
    and drawn in the second while this one computes and draws the others, so the drawing overlaps
    the decoding (the path :func:`~neurodiscovery.pipeline.command.execute` takes).

    Parameters
    ----------
    recording : Recording
    config : AnalysisConfig
    figures : FigureWriter

    Returns
    -------
    (AnalysisResults, list of Section)
    """
    cfg = config
    _check_recording(recording, cfg)
    recording = _prepare(recording, cfg)
    inputs = AnalysisInputs(recording, cfg.bin_size_s, cfg.psth_bin_s)
    results, sections, timings = {}, [], {}
    with _Background(recording, cfg, figures) as bg:
        for stage in _stages(cfg):
            t = time.perf_counter()
            got = bg.collect(stage, inputs, cfg, results)
            if got is None:
                results[stage.key] = _compute(stage, inputs, cfg, results)
                sections.append(_render(stage, results[stage.key], figures))
                timings[stage.key] = time.perf_counter() - t
            else:
                results[stage.key], sec, timings[stage.key] = got
                sections.append(_render(stage, results[stage.key], figures) if sec is None else sec)
    return AnalysisResults(results, timings, cfg, recording.name), sections


def analyze(recording, out: str | Path | None = None, config: AnalysisConfig | None = None,
            runs_root: str | Path = "runs", progress: bool = True, source: str | None = None,
            on_stage=None) -> Path:
    """Run the full analysis of one recording into a new run folder (``execute("analyze", ...)``).

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
        Print a line per stage (stderr).
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
    from .analyze_command import AnalyzeParams
    from .command import execute

    params = AnalyzeParams.from_config(config)
    about = {"source": source or str(recording.meta.get("source", "in-memory"))}
    return execute("analyze", params, inputs=recording, out=out, runs_root=runs_root,
                   progress=_stderr_lines(progress, on_stage), config=about).path
