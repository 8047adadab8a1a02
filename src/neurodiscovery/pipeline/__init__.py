"""End-to-end jobs that sit on top of every domain package.

* :func:`analyze` — a recording into a run folder (report, figures, metrics);
  :func:`compute_analysis` — the same stages' typed results without files.
* :func:`analyze_many` / :func:`analyze_paths` — many recordings on dask into a batch folder with a
  cross-session summary (:mod:`~neurodiscovery.pipeline.batch`, :mod:`~neurodiscovery.pipeline.summary`).
* :func:`run_decode` — one behaviour's decoder comparison into a run folder (``decode``).
* :func:`run_connectome` — diffusion MRI or a tractogram into a structural connectome (``connectome``).
* :func:`run_dynamics`, :func:`run_circuit` — trial dynamics (forecast, jPCA, fixed points) and circuit fits
  into run folders (``dynamics``, ``circuit``).
* :func:`run_em_train`, :func:`run_em_segment`, :func:`run_em_evaluate` — EM segmentation run folders
  (``em train|segment|evaluate``); :func:`run_em_trace` / :func:`trace_segmentation` — 3-D objects,
  skeletons and contact graph (``em trace``); :func:`run_morphology` — SWC morphology (``morphology``).
* :func:`run_latents` — latent models scored as NLB does, and the head-direction ring (``latents``).
* :func:`run_sort` — raw extracellular voltage to curated units in NWB with a report (``sort``).
* :func:`run_learn` — learning rules vs backprop on a task into a run folder (``learn``).
* :mod:`~neurodiscovery.pipeline.observer` — observer-model fits and recovery (``observer``).
* :class:`AnalysisConfig` — every parameter and threshold, documented.
* :mod:`~neurodiscovery.pipeline.stages` — one module per report section and their registry
  (:data:`SECTIONS`); its docstring says how to add a stage.
* :mod:`~neurodiscovery.pipeline.report` — ``Section``, ``Figure``, ``FigureWriter``,
  ``save_figure``, ``render_html`` for any command that writes a report.
"""
from .analyze import AnalysisResults, analyze, compute_analysis
from .batch import EXIT_SESSIONS_FAILED, BatchResult, SessionOutcome, analyze_many, analyze_paths
from .circuit import run_circuit
from .config import AnalysisConfig
from .connectome import run_connectome
from .decode import run_decode
from .dynamics import run_dynamics
from .em import run_em_evaluate, run_em_segment, run_em_train
from .em_trace import TraceResult, run_em_trace, trace_segmentation
from .latents import run_latents
from .learn import run_learn
from .morphology import run_morphology
from .schema import METRICS_SCHEMA_VERSION, metrics_schema
from .simulate import SimulationRun, run_simulation
from .sort import run_sort
from .stages import SECTIONS

__all__ = [
    "EXIT_SESSIONS_FAILED",
    "METRICS_SCHEMA_VERSION",
    "SECTIONS",
    "AnalysisConfig",
    "AnalysisResults",
    "BatchResult",
    "SessionOutcome",
    "TraceResult",
    "analyze",
    "analyze_many",
    "analyze_paths",
    "compute_analysis",
    "metrics_schema",
    "run_circuit",
    "run_connectome",
    "run_decode",
    "run_dynamics",
    "run_em_evaluate",
    "run_em_segment",
    "run_em_train",
    "run_em_trace",
    "run_latents",
    "run_simulation",
    "SimulationRun",
    "run_learn",
    "run_morphology",
    "run_sort",
    "trace_segmentation",
]
