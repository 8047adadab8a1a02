"""Calcium imaging: neuropil subtraction, ΔF/F, OASIS spike inference and ROI quality.

Array functions work on ``(frames, rois)``; the recording-level steps
(:func:`compute_dff`, :func:`infer_spikes`, :func:`select_cells`, :func:`prepare_imaging`)
take and return an imaging :class:`~neurodiscovery.data.Recording` and record what they
did in ``traces.meta['preprocessing']``. Spike inference uses the ``oasis-deconv``
package (Friedrich, Zhou & Paninski 2017), extra ``imaging``.
"""
from .deconvolve import Deconvolution, deconvolve_traces, estimate_decay
from .plotting import plot_roi_quality, plot_roi_traces
from .preprocess import (
                         delta_f_over_f,
                         maximin_baseline,
                         percentile_baseline,
                         robust_noise_sd,
                         subtract_neuropil,
)
from .quality import RoiQuality, roi_quality
from .session import (
                         DEFAULT_TRACE,
                         TRACE_CHOICES,
                         compute_dff,
                         deconvolve_file,
                         deconvolve_output_path,
    describe_preprocessing,
                         infer_spikes,
                         prepare_imaging,
                         select_cells,
                         write_deconvolved,
)

__all__ = [
                         "DEFAULT_TRACE",
                         "TRACE_CHOICES",
                         "Deconvolution",
                         "RoiQuality",
                         "compute_dff",
                         "deconvolve_file",
                         "deconvolve_output_path",
    "describe_preprocessing",
                         "deconvolve_traces",
                         "delta_f_over_f",
                         "estimate_decay",
                         "infer_spikes",
                         "maximin_baseline",
                         "percentile_baseline",
                         "plot_roi_quality",
                         "plot_roi_traces",
                         "prepare_imaging",
                         "robust_noise_sd",
                         "roi_quality",
                         "select_cells",
                         "subtract_neuropil",
                         "write_deconvolved",
]
