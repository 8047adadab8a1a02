"""Unit quality metrics from spike times."""
from __future__ import annotations

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
    """Coefficient of variation of the inter-spike intervals (1 for a Poisson process)."""
    isi = np.diff(np.asarray(spike_times_s, float))
    if len(isi) < 2 or isi.mean() == 0:
        return float("nan")
    return float(isi.std(ddof=1) / isi.mean())


def unit_quality(rec, refractory_s: float = 0.0015) -> list[dict]:
    """Per-unit table: id, region, spikes, rate (Hz), ISI-violation fraction, contamination, CV of ISI."""
    rows = []
    T = rec.duration_s
    for i, st in enumerate(rec.spike_times):
        v = isi_violations(st, T, refractory_s)
        rows.append({"unit_id": rec.unit_ids[i].item() if hasattr(rec.unit_ids[i], "item") else rec.unit_ids[i],
                     "region": str(rec.regions[i]), "n_spikes": int(len(st)), "rate_hz": len(st) / T,
                     "fraction_isi_violations": v["fraction_isi_violations"],
                     "contamination": v["contamination"], "isi_cv": isi_cv(st)})
    return rows
