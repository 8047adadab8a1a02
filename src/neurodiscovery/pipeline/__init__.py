"""End-to-end jobs that sit on top of every domain package (``analyze``, ``latents``)."""
from .analyze import SECTIONS, AnalysisConfig, analyze
from .latents import run_latents

__all__ = ["SECTIONS", "AnalysisConfig", "analyze", "run_latents"]
