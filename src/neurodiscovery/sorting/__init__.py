"""Spike sorting through SpikeInterface: raw voltage to curated units that ``analyze`` reads.

:func:`read_raw` opens a raw recording (any SpikeInterface extractor, a saved SpikeInterface folder,
or headerless binary with a probeinterface probe); :func:`sort_recording` band-passes, common-references
(and optionally motion-corrects) it, runs a sorter (:data:`SORTERS`; tridesclous2 by default), computes
SpikeInterface quality metrics and labels each unit good or bad with the Allen Institute's default
thresholds (:data:`ALLEN_THRESHOLDS`), removing none; :func:`sorted_recording` and
:func:`write_units_nwb` write NWB ``Units`` with every metric, the label and mean waveforms. This
package writes no sorter: it drives SpikeInterface (extra ``sorting``).
"""
from .export import load_session, sorted_recording, write_units_nwb
from .plots import plot_amplitudes, plot_drift_map, plot_isi_histogram, plot_metric_histogram, plot_unit_waveforms
from .quality import ALLEN_THRESHOLDS, METRIC_UNITS, Curation, compute_analyzer, curate, unit_metrics
from .raw import RAW_SUFFIXES, describe_raw, read_probe, read_raw
from .session import SortResult, sort_recording
from .sorters import DEFAULT_SORTER, MIN_DURATION_S, SORTERS, check_sorter, preprocess, run_sorter, sorter_params

__all__ = [
    "ALLEN_THRESHOLDS", "DEFAULT_SORTER", "METRIC_UNITS", "MIN_DURATION_S", "RAW_SUFFIXES", "SORTERS", "Curation",
    "SortResult", "check_sorter", "compute_analyzer", "curate", "describe_raw", "load_session", "plot_amplitudes",
    "plot_drift_map", "plot_isi_histogram", "plot_metric_histogram", "plot_unit_waveforms", "preprocess",
    "read_probe", "read_raw", "run_sorter", "sort_recording", "sorted_recording", "sorter_params", "unit_metrics",
    "write_units_nwb",
]
