"""End-to-end jobs that sit on top of every domain package (``analyze``).

* :func:`analyze` — a recording into a run folder (report, figures, metrics);
  :func:`compute_analysis` — the same stages' typed results without files.
* :func:`run_decode` — one behaviour's decoder comparison into a run folder (``decode``).
* :class:`AnalysisConfig` — every parameter and threshold, documented.
* :mod:`~neurodiscovery.pipeline.stages` — one module per report section and their registry
  (:data:`SECTIONS`); its docstring says how to add a stage.
* :mod:`~neurodiscovery.pipeline.report` — ``Section``, ``Figure``, ``FigureWriter``,
  ``save_figure``, ``render_html`` for any command that writes a report.
"""
from .analyze import AnalysisResults, analyze, compute_analysis
from .config import AnalysisConfig
from .decode import run_decode
from .schema import METRICS_SCHEMA_VERSION, metrics_schema
from .stages import SECTIONS

__all__ = ["METRICS_SCHEMA_VERSION", "SECTIONS", "AnalysisConfig", "AnalysisResults", "analyze",
           "compute_analysis", "metrics_schema", "run_decode"]
