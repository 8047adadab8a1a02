"""End-to-end jobs that sit on top of every domain package (``analyze``)."""
from .analyze import SECTIONS, AnalysisConfig, analyze
from .learn import run_learn

__all__ = ["SECTIONS", "AnalysisConfig", "analyze", "run_learn"]
