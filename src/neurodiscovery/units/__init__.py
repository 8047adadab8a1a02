"""Single-unit analyses: quality metrics (rates, ISI violations, CV) and tuning curves.

Imports only :mod:`neurodiscovery.data` and :mod:`neurodiscovery._utils`.
"""
from .quality import UnitQuality, isi_cv, isi_violations, unit_quality
from .tuning import TuningCurves, skaggs_information, tuning_curves

__all__ = ["TuningCurves", "UnitQuality", "isi_cv", "isi_violations", "skaggs_information", "tuning_curves", "unit_quality"]
