"""End-to-end jobs that sit on top of every domain package (``analyze``)."""
from .analyze import SECTIONS, AnalysisConfig, analyze

__all__ = ["SECTIONS", "AnalysisConfig", "analyze"]
