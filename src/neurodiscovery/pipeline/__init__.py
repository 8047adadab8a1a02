"""End-to-end jobs that sit on top of every domain package (``analyze``)."""
from .analyze import SECTIONS, AnalysisConfig, analyze
from .dynamics import run_circuit, run_dynamics

__all__ = ["SECTIONS", "AnalysisConfig", "analyze", "run_circuit", "run_dynamics"]
