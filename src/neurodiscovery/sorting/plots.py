"""Figures of a sorting: waveforms, amplitudes over time, drift map, ISI histograms, metric distributions.

Every function draws on one Axes (``ax=None`` makes one) and returns it; units labelled good are drawn
in black, the others in red, so a reader sees what the curation kept.
"""
from __future__ import annotations

import numpy as np

__all__ = ["plot_amplitudes", "plot_drift_map", "plot_isi_histogram", "plot_metric_histogram",
           "plot_unit_waveforms"]

_COLOR = {"good": "black"}


def _ax(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


def plot_unit_waveforms(waveforms_uv, sampling_rate_hz: float, labels, unit_ids, ax=None):
    """Each unit's mean waveform on its peak channel, side by side.

    Parameters
    ----------
    waveforms_uv : ndarray, shape (n_units, n_samples)
        Peak-channel mean waveforms (µV).
    sampling_rate_hz : float
        Samples per second (Hz).
    labels : sequence of str, length n_units
        Curation labels (good in black, others in red).
    unit_ids : sequence, length n_units
        Names written under each waveform.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = _ax(ax)
    w = np.asarray(waveforms_uv, float)
    n_s = w.shape[1]
    t_ms = np.arange(n_s) / sampling_rate_hz * 1e3
    step = t_ms[-1] * 1.25 if n_s > 1 else 1.0
    for i, (row, lab, uid) in enumerate(zip(w, labels, unit_ids)):
        ax.plot(t_ms + i * step, row, color=_COLOR.get(lab, "tab:red"), lw=1)
        ax.text(i * step + t_ms[-1] / 2, np.nanmin(w), str(uid), ha="center", va="top", fontsize=7)
    ax.set_xticks([])
    ax.set_xlabel(f"units (each {t_ms[-1]:.1f} ms wide)")
    ax.set_ylabel("mean waveform, peak channel (µV)")
    return ax


def plot_amplitudes(spike_times_s, amplitudes_uv, labels, ax=None, max_points: int = 20000, seed: int = 0):
    """Spike amplitude against time for every unit (a subsample of at most ``max_points`` spikes).

    Parameters
    ----------
    spike_times_s : sequence of ndarray
        Per unit, spike times (s).
    amplitudes_uv : sequence of ndarray
        Per unit, spike amplitudes (µV), same lengths as ``spike_times_s``.
    labels : sequence of str
        Curation label per unit.
    ax : matplotlib Axes, optional
    max_points : int
        Points drawn at most (uniform random subsample).
    seed : int
        Seed of the subsample.

    Returns
    -------
    matplotlib Axes
    """
    ax = _ax(ax)
    rng = np.random.default_rng(seed)
    total = sum(len(t) for t in spike_times_s)
    frac = min(1.0, max_points / max(total, 1))
    for t, a, lab in zip(spike_times_s, amplitudes_uv, labels):
        keep = rng.random(len(t)) < frac
        ax.scatter(np.asarray(t)[keep], np.asarray(a)[keep], s=1, alpha=0.4, color=_COLOR.get(lab, "tab:red"),
                   rasterized=True)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("spike amplitude (µV)")
    return ax


def plot_drift_map(times_s, depth_um, amplitudes_uv, ax=None, max_points: int = 50000, seed: int = 0):
    """Drift map: every spike's estimated depth against time, shaded by amplitude.

    Parameters
    ----------
    times_s : ndarray, shape (n_spikes,)
        Spike times (s).
    depth_um : ndarray, shape (n_spikes,)
        Spike depth along the probe (µm).
    amplitudes_uv : ndarray, shape (n_spikes,)
        Spike amplitudes (µV); larger ones are darker.
    ax : matplotlib Axes, optional
    max_points : int
        Spikes drawn at most (uniform random subsample).
    seed : int
        Seed of the subsample.

    Returns
    -------
    matplotlib Axes
    """
    ax = _ax(ax)
    t, d, a = (np.asarray(x, float) for x in (times_s, depth_um, amplitudes_uv))
    if len(t) > max_points:
        keep = np.random.default_rng(seed).choice(len(t), max_points, replace=False)
        t, d, a = t[keep], d[keep], a[keep]
    mag = np.abs(a)
    hi = np.percentile(mag, 95) if mag.size else 1.0
    ax.scatter(t, d, s=1, c=np.clip(mag / max(hi, 1e-12), 0, 1), cmap="Greys", vmin=0, vmax=1, rasterized=True)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("depth on probe (µm)")
    return ax


def plot_isi_histogram(spike_times_s, ax=None, max_ms: float = 50.0, bin_ms: float = 0.5,
                       refractory_ms: float = 1.5, title: str | None = None):
    """Inter-spike-interval histogram of one unit with its refractory period marked.

    Parameters
    ----------
    spike_times_s : ndarray, shape (n_spikes,)
        Spike times (s).
    ax : matplotlib Axes, optional
    max_ms, bin_ms : float
        Range and bin width of the histogram (ms).
    refractory_ms : float
        Refractory period drawn as a red line (ms; 1.5 ms as in the ISI-violation metric).
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = _ax(ax)
    isi_ms = np.diff(np.sort(np.asarray(spike_times_s, float))) * 1e3
    ax.hist(isi_ms[isi_ms < max_ms], bins=np.arange(0, max_ms + bin_ms, bin_ms), color="0.3")
    ax.axvline(refractory_ms, color="tab:red", lw=1)
    ax.set_xlabel("ISI (ms)")
    ax.set_ylabel("count")
    if title:
        ax.set_title(title, fontsize=8)
    return ax


def plot_metric_histogram(values, name: str, labels, bound: dict | None = None, ax=None, unit: str = "1"):
    """Distribution of one quality metric over units, split by curation label, with its threshold.

    Parameters
    ----------
    values : ndarray, shape (n_units,)
        The metric per unit (NaN values are left out).
    name : str
        Metric name.
    labels : sequence of str, length n_units
        Curation label per unit.
    bound : dict, optional
        ``{"less": x}`` / ``{"greater": y}`` drawn as dashed lines.
    ax : matplotlib Axes, optional
    unit : str
        Unit of the metric ("1" dimensionless).

    Returns
    -------
    matplotlib Axes
    """
    ax = _ax(ax)
    v = np.asarray(values, float)
    lab = np.asarray(labels, str)
    ok = np.isfinite(v)
    if ok.any():
        bins = np.histogram_bin_edges(v[ok], bins=min(20, max(5, ok.sum())))
        ax.hist([v[ok & (lab == "good")], v[ok & (lab != "good")]], bins=bins, stacked=True,
                color=["black", "tab:red"], label=["good", "bad"])
    for key in ("less", "greater"):
        if bound and key in bound:
            ax.axvline(bound[key], color="tab:blue", ls="--", lw=1)
    ax.set_xlabel(name if unit == "1" else f"{name} ({unit})")
    ax.set_ylabel("units")
    return ax
