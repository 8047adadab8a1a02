"""Raster and population-rate plots of spiking simulations (display only)."""
from __future__ import annotations

import numpy as np

__all__ = ["plot_raster", "plot_population_rates", "plot_rate_traces", "plot_membrane_traces"]


def _ax(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(8, 5))
    return ax


def plot_raster(spike_times_ms, spike_senders, population_names=None, offsets=None,
                sizes=None, max_neurons_per_population: int = 100, time_range_ms=None,
                ax=None):
    """Spike raster of (at most ``max_neurons_per_population`` of) each population.

    Parameters
    ----------
    spike_times_ms, spike_senders : ndarray (n_spikes,)
        Spike times (ms) and global neuron indices.
    population_names, offsets, sizes : list, optional
        Population layout (as in ``SimulationResult``); populations are stacked top-down.
    max_neurons_per_population : int
        Neurons drawn per population (the first ones).
    time_range_ms : (start, stop), optional
        Time window in ms (default: all spikes).
    ax : matplotlib Axes, optional
        Axes to draw on (default: a new figure).

    Returns
    -------
    matplotlib Axes
    """
    ax = _ax(ax)
    t = np.asarray(spike_times_ms, float)
    s = np.asarray(spike_senders)
    if time_range_ms is not None:
        m = (t >= time_range_ms[0]) & (t <= time_range_ms[1])
        t, s = t[m], s[m]
    if population_names is None:
        population_names, offsets, sizes = ["all"], [0], [int(s.max()) + 1 if s.size else 1]
    row, ticks = 0, []
    for k, (nm, o, n) in enumerate(zip(population_names, offsets, sizes)):
        m = min(n, max_neurons_per_population)
        sel = (s >= o) & (s < o + m)
        ax.plot(t[sel], -(row + s[sel] - o), "|", ms=2, color=f"C{k % 10}")
        ticks.append((-(row + m / 2), nm))
        row += m
    ax.set_yticks([p for p, _ in ticks], [n for _, n in ticks])
    ax.set_xlabel("time (ms)")
    if time_range_ms is not None:
        ax.set_xlim(*time_range_ms)
    ax.set_title("spike raster")
    return ax


def plot_population_rates(rates_hz: dict, reference_hz: dict | None = None, ax=None):
    """Horizontal bars of population rates (Hz), with reference rates as markers.

    Parameters
    ----------
    rates_hz : dict of str to float
        Mean rate (Hz) per population.
    reference_hz : dict of str to float, optional
        Reference rate (Hz) per population (e.g. published values).
    ax : matplotlib Axes, optional
        Axes to draw on (default: a new figure).

    Returns
    -------
    matplotlib Axes
    """
    ax = _ax(ax)
    names = list(rates_hz)
    y = np.arange(len(names))[::-1]
    ax.barh(y, [rates_hz[n] for n in names], color="0.5", label="simulated")
    if reference_hz:
        ax.plot([reference_hz.get(n, np.nan) for n in names], y, "r|", ms=14, mew=2,
                label="reference")
        ax.legend(loc="lower right")
    ax.set_yticks(y, names)
    ax.set_xlabel("rate (Hz)")
    ax.set_title("population rates")
    return ax


def plot_rate_traces(traces: dict, ax=None, windows_ms=None):
    """Population rate over time, with intervention windows shaded.

    Parameters
    ----------
    traces : dict of str to (ndarray, ndarray)
        ``traces[name] = (centers_ms, rate_hz)``: bin centres (ms) and rates (Hz), each shape (n_bins,).
        Names ending in "control" are drawn dashed.
    ax : matplotlib Axes, optional
        Axes to draw on (default: a new figure).
    windows_ms : list of (float, float), optional
        Time windows (ms) to shade, e.g. when an intervention acted.

    Returns
    -------
    matplotlib Axes
    """
    ax = _ax(ax)
    for a, b in windows_ms or []:
        ax.axvspan(a, b, color="C1", alpha=0.15, lw=0)
    for nm, (c, r) in traces.items():
        ax.plot(c, r, lw=1, label=nm, ls="--" if str(nm).endswith("control") else "-")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("rate (Hz)")
    ax.legend(fontsize="small", ncol=2)
    return ax


def plot_membrane_traces(times_ms, v_mv, labels, ax=None):
    """Membrane potentials of recorded neurons over time.

    Parameters
    ----------
    times_ms : ndarray (n_samples,)
        Sample times (ms).
    v_mv : ndarray (n_samples, n_neurons)
        Membrane potentials (mV).
    labels : list of str
        One label per neuron (column of ``v_mv``).
    ax : matplotlib Axes, optional
        Axes to draw on (default: a new figure).

    Returns
    -------
    matplotlib Axes
    """
    ax = _ax(ax)
    for k, lab in enumerate(labels):
        ax.plot(times_ms, v_mv[:, k], lw=0.8, label=lab)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("membrane potential (mV)")
    if len(labels) <= 12:
        ax.legend(fontsize="small", ncol=2)
    return ax
