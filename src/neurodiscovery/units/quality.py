"""Unit quality metrics from spike times."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError


def isi_violations(spike_times_s: np.ndarray, duration_s: float, refractory_s: float = 0.0015,
                   censored_s: float = 0.0) -> dict:
    """Refractory-period violations of one unit.

    Returns the fraction of inter-spike intervals shorter than ``refractory_s`` and the
    Hill et al. (2011, J Neurosci 31:8699) contamination estimate
    ``rate_contaminating / rate_unit``, as used by SpikeInterface / Kilosort quality metrics.

    Parameters
    ----------
    spike_times_s : sorted 1-D array (s)
    duration_s : float
        Recording duration the spikes come from.
    refractory_s, censored_s : float
        Refractory period and the censored period (minimum ISI the sorter can output).
    """
    st = np.asarray(spike_times_s, float)
    if duration_s <= 0:
        raise InputError(f"duration_s must be > 0, got {duration_s}")
    n = len(st)
    if n < 2:
        return {"n_violations": 0, "fraction_isi_violations": 0.0, "contamination": 0.0}
    isi = np.diff(st)
    n_v = int(np.sum(isi < refractory_s))
    window_s = 2 * (refractory_s - censored_s)
    # Hill et al.: violations ~ 2 (N - N_c) N_c (t_r - t_c) / T for N_c contaminating spikes; the
    # small-contamination form solves this for N_c / N (SpikeInterface's isi_violations_ratio)
    contamination = n_v * duration_s / (n**2 * window_s) if window_s > 0 else np.nan
    return {"n_violations": n_v, "fraction_isi_violations": n_v / (n - 1), "contamination": float(contamination)}


def isi_cv(spike_times_s: np.ndarray) -> float:
    """Coefficient of variation of the inter-spike intervals (1 for a Poisson process).

    Parameters
    ----------
    spike_times_s : ndarray, shape (n_spikes,)
        Sorted spike times (s).

    Returns
    -------
    float
        NaN with fewer than three spikes.
    """
    isi = np.diff(np.asarray(spike_times_s, float))
    if len(isi) < 2 or isi.mean() == 0:
        return float("nan")
    return float(isi.std(ddof=1) / isi.mean())


@dataclass(frozen=True)
class UnitQuality:
    """Quality metrics of every unit of a recording, one array entry per unit.

    Attributes
    ----------
    unit_ids : ndarray, shape (units,)
    regions : ndarray of str, shape (units,)
    n_spikes : ndarray of int, shape (units,)
    rate_hz : ndarray, shape (units,)
        Spikes per second over the recording's duration.
    fraction_isi_violations : ndarray, shape (units,)
        Fraction of inter-spike intervals shorter than the refractory period.
    contamination : ndarray, shape (units,)
        Hill et al. (2011) contamination estimate.
    isi_cv : ndarray, shape (units,)
        Coefficient of variation of each unit's inter-spike intervals (:func:`isi_cv`).
    refractory_s : float
    """

    unit_ids: np.ndarray
    regions: np.ndarray
    n_spikes: np.ndarray
    rate_hz: np.ndarray
    fraction_isi_violations: np.ndarray
    contamination: np.ndarray
    isi_cv: np.ndarray
    refractory_s: float

    _COLUMNS = ("unit_id", "region", "n_spikes", "rate_hz", "fraction_isi_violations", "contamination", "isi_cv")

    def __len__(self) -> int:
        return len(self.unit_ids)

    def rows(self) -> list[dict]:
        """One JSON-ready dict per unit (``unit_id``, ``region``, ``n_spikes``, ``rate_hz``, ...)."""
        cols = (self.unit_ids, self.regions, self.n_spikes, self.rate_hz, self.fraction_isi_violations,
                self.contamination, self.isi_cv)
        return [{k: (v[i].item() if hasattr(v[i], "item") else v[i]) for k, v in zip(self._COLUMNS, cols)}
                for i in range(len(self))]


def unit_quality(rec, refractory_s: float = 0.0015) -> UnitQuality:
    """Per-unit quality of a recording: rate, refractory-period violations, contamination, CV of ISIs.

    Parameters
    ----------
    rec : Recording
    refractory_s : float
        Refractory period (s) defining a violation.

    Returns
    -------
    UnitQuality
    """
    T = rec.duration_s
    viol, n, cv = [], [], []
    for st in rec.spike_times:  # one read per unit (spike trains left on disk are read on each access)
        viol.append(isi_violations(st, T, refractory_s))
        n.append(len(st))
        cv.append(isi_cv(st))
    return UnitQuality(np.asarray(rec.unit_ids), np.asarray(rec.regions).astype(str), np.array(n, dtype=int),
                       rec.firing_rates_hz(), np.array([v["fraction_isi_violations"] for v in viol], float),
                       np.array([v["contamination"] for v in viol], float), np.array(cv, float),
                       float(refractory_s))
