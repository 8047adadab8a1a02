"""Spike-train statistics of a :class:`~.engine.SimulationResult`.

All functions take the result (or spike arrays) and a time window, and ignore neurons
whose spikes were not recorded.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .._utils.errors import InputError
from .engine import SimulationResult

__all__ = ["population_rates", "mean_isi_cv", "PopulationStats", "fano_factor", "synchrony", "population_table",
           "rate_histogram"]


def _window(res: SimulationResult, t_start_ms, t_stop_ms):
    a = res.t_start_ms if t_start_ms is None else float(t_start_ms)
    b = res.t_stop_ms if t_stop_ms is None else float(t_stop_ms)
    if not b > a:
        raise InputError(f"empty analysis window [{a}, {b}) ms")
    return a, b


def _pop_spikes(res, name, a, b):
    t, i = res.spikes_of(name)
    m = (t > a) & (t <= b) & (i < res.recorded[name])
    return t[m], i[m]


def population_rates(res: SimulationResult, t_start_ms: float | None = None,
                     t_stop_ms: float | None = None) -> dict[str, float]:
    """Mean firing rate (Hz) of each population over its recorded neurons (silent included)."""
    a, b = _window(res, t_start_ms, t_stop_ms)
    out = {}
    for nm in res.population_names:
        n = res.recorded[nm]
        if n == 0:
            continue
        t, _ = _pop_spikes(res, nm, a, b)
        out[nm] = float(len(t) / n / ((b - a) * 1e-3))
    return out


def mean_isi_cv(res: SimulationResult, name: str, t_start_ms: float | None = None,
                t_stop_ms: float | None = None, min_spikes: int = 3) -> float:
    """Population mean of each neuron's ISI coefficient of variation.

    The CV of inter-spike intervals (SD / mean) is computed per neuron with at least
    ``min_spikes`` spikes, then averaged over those neurons (NaN if none). Poisson firing
    gives 1, regular firing 0. (:func:`neurodiscovery.units.isi_cv` is the CV of one spike
    train.)
    """
    a, b = _window(res, t_start_ms, t_stop_ms)
    t, i = _pop_spikes(res, name, a, b)
    if t.size == 0:
        return float("nan")
    order = np.lexsort((t, i))
    t, i = t[order], i[order]
    isi = np.diff(t)
    same = i[1:] == i[:-1]
    isi, owner = isi[same], i[1:][same]
    counts = np.bincount(i)
    ok = counts >= min_spikes
    if not ok.any():
        return float("nan")
    n = np.bincount(owner, minlength=counts.size).astype(float)
    s1 = np.bincount(owner, isi, minlength=counts.size)
    s2 = np.bincount(owner, isi * isi, minlength=counts.size)
    keep = ok & (n > 1)
    mean = s1[keep] / n[keep]
    var = s2[keep] / n[keep] - mean ** 2
    cv = np.sqrt(np.maximum(var, 0.0)) / mean
    return float(np.mean(cv)) if cv.size else float("nan")


def _counts(res, name, a, b, bin_ms):
    edges = np.arange(a, b + 1e-9, bin_ms)
    if edges.size < 3:
        raise InputError(f"window of {b - a} ms holds fewer than 2 bins of {bin_ms} ms")
    return edges


def fano_factor(res: SimulationResult, name: str, bin_ms: float = 100.0,
                t_start_ms: float | None = None, t_stop_ms: float | None = None) -> float:
    """Mean over neurons (with spikes) of the Fano factor (variance / mean) of their spike
    counts in ``bin_ms`` windows. Poisson trains give 1.
    """
    a, b = _window(res, t_start_ms, t_stop_ms)
    edges = _counts(res, name, a, b, bin_ms)
    t, i = _pop_spikes(res, name, a, b)
    n = res.recorded[name]
    if t.size == 0 or n == 0:
        return float("nan")
    h, _, _ = np.histogram2d(i, t, bins=[np.arange(n + 1) - 0.5, edges])
    mean = h.mean(axis=1)
    keep = mean > 0
    return float(np.mean(h[keep].var(axis=1) / mean[keep])) if keep.any() else float("nan")


def synchrony(res: SimulationResult, name: str, bin_ms: float = 3.0,
              t_start_ms: float | None = None, t_stop_ms: float | None = None,
              max_neurons: int | None = None) -> float:
    """Synchrony as in Potjans & Diesmann (2014): variance / mean of the population spike
    count histogram in ``bin_ms`` bins (1 for independent Poisson neurons, larger when
    neurons fire together). Weak pairwise correlations raise it in proportion to the number
    of neurons, so compare populations with the same ``max_neurons`` (first neurons used).
    """
    a, b = _window(res, t_start_ms, t_stop_ms)
    edges = _counts(res, name, a, b, bin_ms)
    t, i = _pop_spikes(res, name, a, b)
    if max_neurons is not None:
        t = t[i < max_neurons]
    if t.size == 0:
        return float("nan")
    h, _ = np.histogram(t, edges)
    return float(h.var() / h.mean()) if h.mean() > 0 else float("nan")


def rate_histogram(res: SimulationResult, name: str, bin_ms: float = 5.0,
                   t_start_ms: float | None = None, t_stop_ms: float | None = None):
    """Population rate (Hz per neuron) in ``bin_ms`` bins.

    Returns
    -------
    centers_ms : ndarray (n_bins,)
    rate_hz : ndarray (n_bins,)
    """
    a, b = _window(res, t_start_ms, t_stop_ms)
    edges = _counts(res, name, a, b, bin_ms)
    t, _ = _pop_spikes(res, name, a, b)
    h, _ = np.histogram(t, edges)
    n = max(res.recorded[name], 1)
    return 0.5 * (edges[1:] + edges[:-1]), h / n / (bin_ms * 1e-3)


@dataclass(frozen=True)
class PopulationStats:
    """Activity statistics of one population over the analysis window.

    Attributes
    ----------
    population : str
    n, recorded : int
        Size and number of recorded neurons.
    rate_hz : float
        Mean firing rate per recorded neuron (Hz).
    mean_isi_cv : float
        Population mean of the neurons' ISI coefficients of variation (:func:`mean_isi_cv`).
    fano_factor : float
        Mean spike-count Fano factor over neurons (:func:`fano_factor`, 100 ms windows or half
        the window if shorter).
    synchrony : float
        Variance / mean of the population spike-count histogram in 3 ms bins over at most 1000
        neurons (:func:`synchrony`; 1 for independent Poisson neurons).
    reference_rate_hz, rate_rel_error : float
        Reference rate and ``(rate - reference) / reference`` (NaN without a reference).
    """

    population: str
    n: int
    recorded: int
    rate_hz: float
    mean_isi_cv: float
    fano_factor: float
    synchrony: float
    reference_rate_hz: float = float("nan")
    rate_rel_error: float = float("nan")

    def to_dict(self) -> dict:
        """JSON-ready fields."""
        return asdict(self)


def population_table(res: SimulationResult, t_start_ms: float | None = None,
                     t_stop_ms: float | None = None,
                     reference_rates_hz: dict[str, float] | None = None) -> list[PopulationStats]:
    """One :class:`PopulationStats` per recorded population (reference rates where given)."""
    a, b = _window(res, t_start_ms, t_stop_ms)
    rows = []
    for nm, r in population_rates(res, a, b).items():
        ref = (reference_rates_hz or {}).get(nm, float("nan"))
        rows.append(PopulationStats(
            population=nm, n=res.sizes[res.population_names.index(nm)], recorded=res.recorded[nm], rate_hz=r,
            mean_isi_cv=mean_isi_cv(res, nm, a, b), fano_factor=fano_factor(res, nm, min(100.0, (b - a) / 2), a, b),
            synchrony=synchrony(res, nm, 3.0, a, b, max_neurons=1000), reference_rate_hz=ref,
            rate_rel_error=(r - ref) / ref if ref == ref and ref else float("nan")))
    return rows
