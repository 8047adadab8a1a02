"""End-to-end jobs that sit on top of every domain package (``analyze``, ``connectome``)."""
from .analyze import SECTIONS, AnalysisConfig, analyze
from .connectome import run_connectome

__all__ = ["SECTIONS", "AnalysisConfig", "analyze", "run_connectome"]
