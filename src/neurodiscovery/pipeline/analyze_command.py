"""``analyze`` on the command protocol: :class:`AnalyzeParams` -> :func:`~.command.execute` -> run folder.

``execute("analyze", AnalyzeParams(quick=True), inputs=recording)`` runs one recording through the
stages of :mod:`~neurodiscovery.pipeline.stages` (``compute`` = the stages' computations, ``render``
= their report sections) and returns a :class:`~neurodiscovery.pipeline.command.RunResult`.
:func:`run_analyze` is the CLI's one call: one recording -> that run, several -> a batch on dask
(:class:`~neurodiscovery.pipeline.batch.BatchResult`, exit code 3 when some sessions failed).

The defaults of the options are those of :class:`~neurodiscovery.pipeline.config.AnalysisConfig`
(read from its fields, never written twice); :attr:`AnalyzeParams.config` is the configuration a
run uses.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from .._utils.errors import InputError
from .._utils.params import Params, option
from .batch_run import DEFAULT_WORKERS
from .command import Command, execute
from .config import QUICK_CONDITION_CLASSIFIERS, QUICK_DECODERS, QUICK_SHUFFLES, TRACES, AnalysisConfig
from .schema import METRICS_SCHEMA_VERSION, metrics_schema
from .stages import SECTIONS

__all__ = ["COMMAND", "AnalyzeParams", "run_analyze"]

_CONFIG_FIELDS = {f.name: f for f in dataclasses.fields(AnalysisConfig)}


def _d(name: str):
    """The default of :class:`AnalysisConfig` field ``name`` (the one place it is written)."""
    return _CONFIG_FIELDS[name].default


#: Fields of :class:`AnalyzeParams` that are fields of :class:`AnalysisConfig` too.
_SHARED = ("quick", "sections", "bin_size_s", "decoders", "trace", "iscell_threshold", "all_units", "seed",
           "n_threads")


@dataclass(frozen=True)
class AnalyzeParams(Params):
    """Parameters of ``analyze`` (the CLI options are generated from these declarations).

    Thresholds without an option are fields of :class:`AnalysisConfig`; pass one as ``analysis``
    (the options here left at their defaults take its values; one set in both must agree).
    """

    paths: tuple[str, ...] = option(
        (), "NWB/NPZ files, folders (searched recursively) or glob patterns (default: the built-in "
        "head-direction recording; 'builtin:NAME' for another built-in dataset)", positional=True, show_default=False)
    quick: bool = option(_d("quick"), f"fast pass: at most {QUICK_SHUFFLES} tuning shuffles; primary behaviour "
                         f"decoded by {','.join(QUICK_DECODERS)} only; conditions by the "
                         f"{','.join(QUICK_CONDITION_CLASSIFIERS)} decoder only; short network training")
    sections: tuple[str, ...] = option(_d("sections"), f"subset of: {','.join(SECTIONS)} (needed sections are "
                                       "added)", show_default=False)
    bin_size_s: float = option(_d("bin_size_s"), "bin width", unit="s", low=0, low_open=True, flag="--bin-size")
    decoders: tuple[str, ...] | None = option(
        _d("decoders"), "regression decoders for every behaviour (wiener,wiener_cascade,kalman,bayes,mlp,gru,lstm)",
        show_default=False)
    svg: bool = option(False, "also write every figure as SVG (default PNG only)")
    trace: str = option(_d("trace"), "imaging recordings: trace to analyse (deconvolved: OASIS activity, computed "
                        "from ΔF/F when the file lacks it)", choices=TRACES)
    iscell_threshold: float | None = option(
        _d("iscell_threshold"), "imaging recordings: the curated suite2p iscell label decides which ROIs are "
        "cells; ROIs without a label are kept when their cell probability is >= this", low=0, high=1,
        flag="--cell-probability", aliases=("--iscell-threshold",))
    all_units: bool = option(_d("all_units"), "analyse every unit, not only those a curation labelled good (NWB "
                             "'quality' column, phy cluster_group.tsv / cluster_KSLabel.tsv)")
    seed: int = option(_d("seed"), "random seed", low=0)
    n_threads: int = option(_d("n_threads"), "BLAS/torch threads (see AnalysisConfig.n_threads)", low=1,
                            flag="--threads")
    workers: int | None = option(None, f"batch: local dask worker processes (default {DEFAULT_WORKERS}, one "
                                 "thread each)", low=1, show_default=False)
    scheduler: str | None = option(None, "batch: address of a running dask.distributed scheduler, e.g. "
                                   "tcp://host:8786", show_default=False)
    resume: bool = option(False, "batch: continue in --out, skipping sessions whose run folder is complete")
    analysis: AnalysisConfig | None = option(None, "every other threshold (AnalysisConfig)", cli=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        base = self.analysis or AnalysisConfig()
        for name in _SHARED:  # an option left at its default takes the base configuration's value
            mine, theirs = getattr(self, name), getattr(base, name)
            if mine != _d(name) and theirs != _d(name) and mine != theirs:
                raise InputError(f"{name} is {mine!r} here and {theirs!r} in analysis; give it once")
            if mine == _d(name):
                object.__setattr__(self, name, theirs)
        if "svg" in base.figure_formats:
            object.__setattr__(self, "svg", True)
        formats = (*base.figure_formats, "svg") if self.svg else base.figure_formats
        cfg = dataclasses.replace(base, **{n: getattr(self, n) for n in _SHARED}, figure_formats=formats)
        object.__setattr__(self, "sections", cfg.sections)
        object.__setattr__(self, "_config", cfg)

    @property
    def config(self) -> AnalysisConfig:
        """The :class:`AnalysisConfig` of the run (the base ``analysis`` with these options applied)."""
        return self._config

    @classmethod
    def from_config(cls, config: AnalysisConfig | None, **kw) -> "AnalyzeParams":
        """Parameters running ``config`` (default all defaults); ``kw``: other fields (``paths``, ...)."""
        return cls(analysis=config, **kw)

    def to_json(self) -> dict:
        """The options and, under ``analysis``, the whole configuration the run uses."""
        out = super().to_json()
        out["analysis"] = dataclasses.asdict(self.config)
        return out


def _is_builtin(paths: tuple) -> bool:
    return len(paths) <= 1 and (not paths or str(paths[0]).startswith("builtin:"))


def _one_file(params: AnalyzeParams) -> Path:
    from .batch_files import find_recordings

    files = find_recordings(params.paths)
    if len(files) != 1:
        raise InputError(f"{len(files)} recordings match {' '.join(params.paths)}: several run as a batch "
                         "(neurodiscovery.pipeline.run_analyze or the CLI)")
    return files[0]


def _load(params: AnalyzeParams):
    from ._cli_inputs import load_recording
    from .analyze import _check_recording

    if _is_builtin(params.paths):
        rec = load_recording(params.paths[0] if params.paths else None, all_units=params.all_units)
    else:
        from ..data import read_recording

        rec = read_recording(_one_file(params), lazy=True, all_units=params.all_units)  # spikes stay on disk
    _check_recording(rec, params.config)  # refuse (e.g. too many bins) before torch and the stages load
    return rec


def _describe(params: AnalyzeParams, recording, result=None) -> dict:
    if params.paths:
        source = params.paths[0] if _is_builtin(params.paths) else str(_one_file(params))
    else:
        source = str(recording.meta.get("source") or "builtin:head_direction")
    return {"recording": recording.name, "source": source, "metrics_schema_version": METRICS_SCHEMA_VERSION}


def _compute(params: AnalyzeParams, recording):
    from .analyze import compute_analysis

    return compute_analysis(recording, params.config)


def _render(results, figures) -> list:
    from .analyze import render_analysis

    return render_analysis(results, figures)


def _stream(params: AnalyzeParams, recording, figures):
    from .analyze import stream_analysis

    return stream_analysis(recording, params.config, figures)


def _metrics_properties() -> dict:
    return {k: v for k, v in metrics_schema()["properties"].items() if k not in ("schema", "key_numbers")}


COMMAND = Command(
    "analyze", "analyse recordings (NWB/NPZ files, folders, globs; default the built-in head-direction data) "
    "into HTML reports; several run as a batch on dask (exit 3 if some sessions failed)", AnalyzeParams,
    _compute, _render, _metrics_properties, load=_load, stream=_stream, describe=_describe,
    formats=lambda p: p.config.figure_formats, schema_document=metrics_schema, schema_version=METRICS_SCHEMA_VERSION,
    title=lambda p, r: f"neurodiscovery analysis — {r.recording_name}")


def run_analyze(params: AnalyzeParams | None = None, *, out: str | Path | None = None, progress=None):
    """``analyze`` of what ``params.paths`` names: one recording -> its run, several -> a batch.

    Parameters
    ----------
    params : AnalyzeParams, optional
        Default all defaults (the built-in head-direction recording).
    out : path, optional
        The run folder (one recording) or the batch folder (several); must not exist unless
        ``params.resume``.
    progress : callable, optional
        Receives progress lines (a batch shows a bar over sessions when given).

    Returns
    -------
    RunResult or BatchResult
        ``RunResult`` for one recording; for several, the
        :class:`~neurodiscovery.pipeline.batch.BatchResult` (``exit_code`` 3 when some failed).
    """
    params = params or AnalyzeParams()
    batch_only = params.resume or params.scheduler is not None or params.workers is not None
    if _is_builtin(params.paths):
        if batch_only:
            raise InputError("--resume, --scheduler and --workers apply to recordings on disk (files, folders, "
                             "globs), not to a built-in dataset")
        return execute(COMMAND, params, out=out, progress=progress)
    from .batch import analyze_many
    from .batch_files import find_recordings

    files = find_recordings(params.paths)
    if len(files) == 1 and not params.resume and params.scheduler is None:
        return execute(COMMAND, params, out=out, progress=progress)
    return analyze_many(files, out=out, config=params.config, workers=params.workers, scheduler=params.scheduler,
                        resume=params.resume, progress=progress is not None)
