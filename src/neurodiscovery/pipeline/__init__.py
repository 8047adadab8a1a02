"""End-to-end jobs that sit on top of every domain package (``analyze``, EM, morphology)."""
from .analyze import SECTIONS, AnalysisConfig, analyze
from .em import run_em_evaluate, run_em_segment, run_em_train
from .em_trace import TraceResult, run_em_trace, trace_segmentation
from .morphology import run_morphology

__all__ = ["SECTIONS", "AnalysisConfig", "TraceResult", "analyze", "run_em_evaluate", "run_em_segment",
           "run_em_train", "run_em_trace", "run_morphology", "trace_segmentation"]
