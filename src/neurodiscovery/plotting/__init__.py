"""Matplotlib figures: every function is ``plot_*(..., ax=None) -> Axes``.

No computation happens here beyond what display needs; callers pass results computed by the
domain packages. matplotlib itself is imported only when a figure is drawn.

* units: :func:`plot_unit_raster`, :func:`plot_quality_scatter`, :func:`plot_tuning_curve`,
  :func:`plot_region_comparison`
* population: :func:`plot_psth`, :func:`plot_variance_explained`,
  :func:`plot_trajectories_by_value`, :func:`plot_trajectories_by_condition`
* decoding: :func:`plot_predictions`, :func:`plot_decoder_comparison`, :func:`plot_confusion_matrix`
* simulations: :func:`plot_raster`, :func:`plot_population_rates`, :func:`plot_rate_traces`,
  :func:`plot_membrane_traces`
"""
from .decoding import plot_confusion_matrix, plot_decoder_comparison, plot_predictions
from .population import plot_psth, plot_trajectories_by_condition, plot_trajectories_by_value, plot_variance_explained
from .spikes import plot_membrane_traces, plot_population_rates, plot_raster, plot_rate_traces
from .units import plot_quality_scatter, plot_region_comparison, plot_tuning_curve, plot_unit_raster

__all__ = ["plot_confusion_matrix", "plot_decoder_comparison", "plot_population_rates", "plot_predictions",
           "plot_membrane_traces", "plot_psth", "plot_quality_scatter", "plot_raster", "plot_rate_traces",
           "plot_region_comparison",
           "plot_trajectories_by_condition", "plot_trajectories_by_value", "plot_tuning_curve",
           "plot_unit_raster", "plot_variance_explained"]
