"""Single-unit analyses: quality metrics, tuning curves with shift nulls, place maps, direction
tuning, confound-aware Poisson GLMs, and Benjamini–Hochberg FDR across a report's tests.

Imports only :mod:`neurodiscovery.data` and :mod:`neurodiscovery._utils`.
"""
from .direction import (
           DirectionTuning,
           direction_tuning,
           reach_direction_tuning,
           window_rates,
)
from .glm import EncodingModels, UnitEncoding, encoding_glm, fit_poisson
from .place import PlaceMaps, place_maps
from .quality import UnitQuality, isi_cv, isi_violations, unit_quality
from .stats import draw_shifts, fdr_bh, shift_p_value, shifted_bin_sums
from .tuning import TuningCurves, skaggs_information, tuning_curves

__all__ = ["DirectionTuning", "EncodingModels", "PlaceMaps", "TuningCurves", "UnitEncoding", "UnitQuality", "direction_tuning",
           "draw_shifts", "encoding_glm", "fdr_bh", "fit_poisson", "isi_cv", "isi_violations", "place_maps",
           "reach_direction_tuning", "shift_p_value", "shifted_bin_sums", "skaggs_information", "tuning_curves",
           "unit_quality", "window_rates"]
