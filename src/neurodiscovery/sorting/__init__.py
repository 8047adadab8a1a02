"""Spike sorting through SpikeInterface: raw voltage to curated units that ``analyze`` reads.

:func:`read_raw` opens a raw recording (any SpikeInterface extractor, a saved SpikeInterface folder,
or headerless binary with a probeinterface probe); :func:`sort_recording` band-passes, common-references
(and optionally motion-corrects) it, runs a sorter (:data:`SORTERS`; tridesclous2 by default), computes
SpikeInterface quality metrics and labels each unit good or bad with the Allen Institute's default
thresholds (:data:`ALLEN_THRESHOLDS`), removing none; :func:`sorted_recording` and
:func:`write_units_nwb` write NWB ``Units`` with every metric, the label and mean waveforms. This
package writes no sorter: it drives SpikeInterface (extra ``sorting``).
"""
import importlib

# Names resolve lazily: the ``sort`` command's options read SORTERS, DEFAULT_SORTER and ALLEN_THRESHOLDS while
# the CLI builds its parser, which must not import NWB and scipy (``neurodiscovery --help`` stays instant).
_EXPORTS = {
    **dict.fromkeys(("load_session", "sorted_recording", "write_units_nwb"), "export"),
    **dict.fromkeys(("plot_amplitudes", "plot_drift_map", "plot_isi_histogram", "plot_metric_histogram",
                     "plot_unit_waveforms"), "plots"),
    **dict.fromkeys(("ALLEN_THRESHOLDS", "METRIC_UNITS", "Curation", "compute_analyzer", "curate", "unit_metrics"),
                    "quality"),
    **dict.fromkeys(("RAW_SUFFIXES", "describe_raw", "read_probe", "read_raw"), "raw"),
    **dict.fromkeys(("SortResult", "sort_recording"), "session"),
    **dict.fromkeys(("DEFAULT_SORTER", "MIN_DURATION_S", "SORTERS", "check_sorter", "preprocess", "run_sorter",
                     "sorter_params"), "sorters"),
}

__all__ = [
    "ALLEN_THRESHOLDS", "DEFAULT_SORTER", "METRIC_UNITS", "MIN_DURATION_S", "RAW_SUFFIXES", "SORTERS", "Curation",
    "SortResult", "check_sorter", "compute_analyzer", "curate", "describe_raw", "load_session", "plot_amplitudes",
    "plot_drift_map", "plot_isi_histogram", "plot_metric_histogram", "plot_unit_waveforms", "preprocess",
    "read_probe", "read_raw", "run_sorter", "sort_recording", "sorted_recording", "sorter_params", "unit_metrics",
    "write_units_nwb",
]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
