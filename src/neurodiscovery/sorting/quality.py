"""Quality metrics of sorted units (SpikeInterface) and the threshold curation that labels them.

Metrics (SpikeInterface ``quality_metrics``): SNR (peak amplitude over noise MAD), ISI violations
(Hill et al. 2011 ratio, 1.5 ms refractory period), presence ratio (fraction of 100 equal bins of the
recording with spikes, as the Allen Institute's ecephys pipeline computes it), amplitude cutoff (fraction
of spikes estimated missing below detection; undefined, hence ``bad``, for units under 100 spikes), firing rate, isolation distance and L-ratio
(Mahalanobis, on principal components), d′ (LDA) and drift (peak-to-peak and standard deviation of the
unit's depth over 60-s intervals, µm).

Curation (:func:`curate`) labels every unit ``good`` or ``bad`` and never removes one; the default
thresholds are the Allen Institute's (AllenSDK ``get_units`` defaults for Visual Coding Neuropixels):
ISI violations ≤ 0.5, amplitude cutoff ≤ 0.1, presence ratio ≥ 0.9 (:data:`ALLEN_THRESHOLDS`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError
from ._si import job_kwargs, si

__all__ = ["ALLEN_THRESHOLDS", "METRIC_UNITS", "Curation", "compute_analyzer", "curate", "unit_metrics"]

#: The Allen Institute's default "good unit" thresholds: metric -> {"less"/"greater": bound} (inclusive).
ALLEN_THRESHOLDS: dict[str, dict] = {
    "isi_violations_ratio": {"less": 0.5},
    "amplitude_cutoff": {"less": 0.1},
    "presence_ratio": {"greater": 0.9},
}

#: Metric column -> unit ("1" dimensionless); the columns written to metrics, NWB and the report.
METRIC_UNITS: dict[str, str] = {
    "num_spikes": "spikes", "firing_rate_hz": "Hz", "presence_ratio": "1", "snr": "1",
    "isi_violations_ratio": "1", "isi_violations_count": "violations", "amplitude_cutoff": "1",
    "amplitude_median_uv": "µV", "drift_ptp_um": "µm", "drift_std_um": "µm", "drift_mad_um": "µm",
    "isolation_distance": "1", "l_ratio": "1", "d_prime": "1",
}

# SpikeInterface's column -> ours (a physical unit goes into the name, as everywhere in this package)
_RENAME = {"firing_rate": "firing_rate_hz", "amplitude_median": "amplitude_median_uv", "drift_ptp": "drift_ptp_um",
           "drift_std": "drift_std_um", "drift_mad": "drift_mad_um"}

_METRICS = ["num_spikes", "firing_rate", "presence_ratio", "snr", "isi_violation", "amplitude_cutoff",
            "amplitude_median", "drift", "mahalanobis", "d_prime"]


def compute_analyzer(recording, sorting, *, seed: int = 0, n_jobs: int = 1, max_spikes_per_unit: int = 500,
                     ms_before: float = 1.0, ms_after: float = 2.0):
    """A SpikeInterface ``SortingAnalyzer`` (in memory) with waveforms, templates, amplitudes, locations, PCs.

    Parameters
    ----------
    recording : spikeinterface.BaseRecording
        The preprocessed (filtered, referenced) recording the sorting came from, with its probe.
    sorting : spikeinterface.BaseSorting
        The sorter's output.
    seed : int
        Seed of the random spike subset used for waveforms and principal components.
    n_jobs : int
        Workers for chunked steps.
    max_spikes_per_unit : int
        Waveforms per unit for templates and principal components.
    ms_before, ms_after : float
        Waveform window around each spike (ms).

    Returns
    -------
    spikeinterface.SortingAnalyzer
    """
    sif = si()
    jk = job_kwargs(n_jobs)
    an = sif.create_sorting_analyzer(sorting, recording, format="memory", sparse=True, job_kwargs=jk)
    an.compute("random_spikes", max_spikes_per_unit=int(max_spikes_per_unit), seed=int(seed))
    an.compute("waveforms", ms_before=ms_before, ms_after=ms_after, **jk)
    an.compute(["templates", "noise_levels"], **jk)
    an.compute(["spike_amplitudes", "spike_locations"], **jk)
    an.compute("unit_locations", method="monopolar_triangulation")
    an.compute("principal_components", n_components=3, mode="by_channel_local", **jk)
    return an


def unit_metrics(analyzer, *, n_jobs: int = 1):
    """Quality metrics of every unit (SpikeInterface ``quality_metrics``), Allen-style presence ratio.

    Parameters
    ----------
    analyzer : spikeinterface.SortingAnalyzer
        From :func:`compute_analyzer`.
    n_jobs : int
        Workers for the principal-component metrics.

    Returns
    -------
    pandas.DataFrame
        One row per unit (index: unit id), the columns of :data:`METRIC_UNITS` that could be computed
        (NaN where a metric is undefined for a unit, e.g. too few spikes).
    """
    duration = analyzer.get_total_duration()
    # Allen: presence over 100 equal bins. Amplitude cutoff from a 100-bin amplitude histogram, defined from
    # 100 spikes on (SpikeInterface's default asks 500, which leaves most units of a short recording undefined)
    params = {"presence_ratio": {"bin_duration_s": duration / 100.0},
              "amplitude_cutoff": {"num_histogram_bins": 100, "histogram_smoothing_value": 3,
                                   "amplitudes_bins_min_ratio": 1},
              "drift": {"interval_s": min(60.0, duration / 2.0), "min_spikes_per_interval": 10}}
    ext = analyzer.compute("quality_metrics", metric_names=_METRICS, metric_params=params, seed=0,
                           **job_kwargs(n_jobs))
    df = ext.get_data().rename(columns=_RENAME)
    return df[[c for c in METRIC_UNITS if c in df.columns]].astype(float)


@dataclass(frozen=True)
class Curation:
    """Labels of a threshold curation; no unit is removed.

    Attributes
    ----------
    labels : ndarray of str, shape (n_units,)
        ``"good"`` or ``"bad"`` per unit, in the metrics' row order.
    failed : list of str, length n_units
        Per unit, the criteria it failed (``"amplitude_cutoff 0.23 > 0.1"``), ``""`` for good units.
    thresholds : dict
        Metric -> ``{"less"|"greater": bound}`` (inclusive bounds).
    """

    labels: np.ndarray
    failed: list
    thresholds: dict

    @property
    def n_good(self) -> int:
        """Units labelled good."""
        return int((self.labels == "good").sum())


def curate(metrics, thresholds: dict | None = None) -> Curation:
    """Label units good or bad from their metrics (SpikeInterface ``threshold_metrics_label_units``).

    A unit is good when every metric lies within its bound (bounds inclusive) and none is NaN.

    Parameters
    ----------
    metrics : pandas.DataFrame
        One row per unit (:func:`unit_metrics`).
    thresholds : dict, optional
        Metric -> ``{"less": x}`` and/or ``{"greater": y}``; default :data:`ALLEN_THRESHOLDS`.

    Returns
    -------
    Curation
    """
    thresholds = ALLEN_THRESHOLDS if thresholds is None else thresholds
    missing = [k for k in thresholds if k not in metrics.columns]
    if missing:
        raise InputError(f"curation thresholds name metrics that were not computed: {missing}; available: "
                         f"{list(metrics.columns)}")
    for k, t in thresholds.items():
        if not t or set(t) - {"less", "greater"}:
            raise InputError(f"threshold for {k} must give 'less' and/or 'greater', got {t}")
    from spikeinterface.curation import threshold_metrics_label_units

    lab = threshold_metrics_label_units(metrics, thresholds, pass_label="good", fail_label="bad", nan_policy="fail")
    labels = np.asarray(lab["label"].reindex(metrics.index).to_numpy(), dtype=str)
    failed = []
    for uid in metrics.index:
        why = []
        for k, t in thresholds.items():
            v = float(metrics.at[uid, k])
            if not np.isfinite(v):
                why.append(f"{k} undefined")
            elif "less" in t and v > t["less"]:
                why.append(f"{k} {v:.3g} > {t['less']}")
            elif "greater" in t and v < t["greater"]:
                why.append(f"{k} {v:.3g} < {t['greater']}")
        failed.append("; ".join(why))
    return Curation(labels, failed, {k: dict(v) for k, v in thresholds.items()})
