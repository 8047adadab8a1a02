"""End-to-end jobs that sit on top of every domain package.

* :func:`analyze` — a recording into a run folder (report, figures, metrics);
  :func:`compute_analysis` — the same stages' typed results without files, :func:`render_analysis` their
  sections; :class:`AnalyzeParams` / :func:`run_analyze` — the ``analyze`` command (one recording or a batch).
* :func:`analyze_many` / :func:`analyze_paths` — many recordings on dask into a batch folder with a
  cross-session summary (:mod:`~neurodiscovery.pipeline.batch`, :mod:`~neurodiscovery.pipeline.summary`).
* :func:`run_decode` — one behaviour's decoder comparison into a run folder (``decode``).
* :func:`run_connectome` — diffusion MRI or a tractogram into a structural connectome (``connectome``).
* :func:`run_dynamics`, :func:`run_circuit` — trial dynamics (forecast, jPCA, fixed points) and circuit fits
  into run folders (``dynamics``, ``circuit``).
* :func:`run_em_train`, :func:`run_em_segment`, :func:`run_em_evaluate` — EM segmentation run folders
  (``em train|segment|evaluate``, commands ``em-train`` ...); :func:`run_em_trace` (``em-trace``) and
  :func:`trace_segmentation` (in :mod:`neurodiscovery.analyses`) — 3-D objects,
  skeletons and contact graph (``em trace``); :func:`run_morphology` — SWC morphology (``morphology``).
* :func:`run_latents` — latent models scored as NLB does, and the head-direction ring (``latents``).
* :func:`run_sort` / :class:`SortParams` — raw extracellular voltage to curated units in NWB with a report
  (``sort``).
* :func:`run_learn` — learning rules vs backprop on a task into a run folder (``learn``).
* :mod:`~neurodiscovery.pipeline.observer` — observer-model fits and recovery (``observer``).
* :mod:`~neurodiscovery.pipeline.command` — the command protocol: :func:`execute` runs any registered
  command (``Params`` -> ``compute`` -> typed result -> ``render`` -> run folder); :func:`command_schema`
  gives the generated JSON Schema of its ``metrics.json``; its docstring says how to add a command.
* :class:`AnalysisConfig` — every parameter and threshold, documented.
* :mod:`~neurodiscovery.pipeline.stages` — one module per report section and their registry
  (:data:`SECTIONS`); its docstring says how to add a stage.
* :mod:`~neurodiscovery.pipeline.report` — ``Section``, ``Figure``, ``FigureWriter``,
  ``save_figure``, ``render_html`` for any command that writes a report.
"""

import importlib
import sys
import types

# Names resolve lazily (the CLI imports this package to build its parser; --help must stay instant).
_EXPORTS = {
    "AnalysisResults": "analyze", "analyze": "analyze", "compute_analysis": "analyze", "render_analysis": "analyze",
    "AnalyzeParams": "analyze_command", "run_analyze": "analyze_command", "SortParams": "sort",
    "EXIT_SESSIONS_FAILED": "batch", "BatchResult": "batch", "SessionOutcome": "batch", "analyze_many": "batch",
    "analyze_paths": "batch", "run_circuit": "circuit", "AnalysisConfig": "config", "run_connectome": "connectome",
    "DecodeParams": "decode", "run_decode": "decode", "run_dynamics": "dynamics", "run_em_evaluate": "em_evaluate",
    "run_em_segment": "em_segment", "run_em_train": "em", "TraceResult": "em_trace", "run_em_trace": "em_trace",
    "trace_segmentation": "em_trace", "run_latents": "latents", "run_learn": "learn",
    "run_morphology": "morphology", "run_sort": "sort", "METRICS_SCHEMA_VERSION": "schema", "metrics_schema": "schema",
    "SimulateParams": "simulate", "SimulationRun": "simulate", "run_simulation": "simulate", "SECTIONS": "stages",
    "Command": "command", "RunResult": "command", "command_names": "command", "command_schema": "command",
    "execute": "command", "get_command": "command",
    "LatentsParams": "latents", "DynamicsParams": "dynamics", "CircuitParams": "circuit", "DeconvolveParams": "deconvolve",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))


class _Package(types.ModuleType):
    """The package's module type: ``analyze`` stays the function when its submodule is imported.

    Importing ``neurodiscovery.pipeline.analyze`` (the module) makes the import system bind the submodule
    onto this package under the same name as the function users call (``nd.pipeline.analyze(...)``); that
    binding is skipped so the name keeps resolving to the function through :func:`__getattr__`.
    """

    def __setattr__(self, name, value):
        if isinstance(value, types.ModuleType) and _EXPORTS.get(name) == name:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
