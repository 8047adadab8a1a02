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

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .._utils.errors import InputError
from .._utils.runfolder import RunFolder
from .command import figure_context, thread_limits, validate_metrics
from .config import AnalysisConfig
from .report import FigureWriter, Section, render_html
from .schema import METRICS_SCHEMA_VERSION, schema_stamp
from .stages import Skipped, get_stage
from .stages._background import BACKGROUND_STAGES, _Background, resolve_processes
from .stages._inputs import AnalysisInputs

__all__ = ["BACKGROUND_STAGES", "AnalysisResults", "analyze", "compute_analysis", "resolve_processes"]


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
        with figure_context(), _Background(recording, cfg, figures) as bg, _thread_limits(cfg.n_threads):
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
                   "key_numbers": {q.label: q.to_json() for q in key_numbers}, "timings_s": timings}
        validate_metrics("analyze", metrics)
        run.write_metrics(metrics)
        html = render_html(f"neurodiscovery analysis — {recording.name}", key_numbers, sections,
                           run.figures, run_cfg)
        run.write_text("report.html", html)
    return run.path
