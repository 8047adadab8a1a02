"""The figures and sections of ``sort``'s report (waveforms, amplitudes, drift map, ISIs, metrics, curation)."""
from __future__ import annotations

import numpy as np

from .report import FigureWriter, Section

__all__ = ["sort_sections"]

_MAX_ISI_UNITS = 16


def _peak_waveforms(res) -> np.ndarray:
    """(n_units, n_samples) mean waveform on each unit's peak channel (µV)."""
    t = np.asarray(res.analyzer.get_extension("templates").get_data(operator="average"), float)
    peak = np.argmax(np.abs(t).max(axis=1), axis=1)
    return t[np.arange(len(t)), :, peak]


def _per_unit(res, name: str) -> list[np.ndarray]:
    """A spike-level extension (``spike_amplitudes``) split into one array per unit."""
    return [np.asarray(v) for v in res.analyzer.get_extension(name).get_data(outputs="by_unit")[0].values()]


def _trains(res) -> list[np.ndarray]:
    s = res.analyzer.sorting
    fs = s.get_sampling_frequency()
    return [s.get_unit_spike_train(u, segment_index=0) / fs for u in s.unit_ids]


def _figures(res, fw: FigureWriter) -> list:
    import matplotlib.pyplot as plt

    from ..sorting import (
        plot_amplitudes,
        plot_drift_map,
        plot_isi_histogram,
        plot_metric_histogram,
        plot_unit_waveforms,
    )

    labels, ids = res.curation.labels, list(res.analyzer.unit_ids)
    fs = res.analyzer.sampling_frequency
    trains = _trains(res)
    figs = []
    fig, ax = plt.subplots(figsize=(max(6, 0.5 * len(ids)), 3.5))
    plot_unit_waveforms(_peak_waveforms(res), fs, labels, ids, ax=ax)
    figs.append(fw.save(fig, "waveforms", "Mean waveform of each unit on its peak channel (good black, bad red)."))
    fig, ax = plt.subplots(figsize=(8, 3.5))
    plot_amplitudes(trains, _per_unit(res, "spike_amplitudes"), labels, ax=ax)
    figs.append(fw.save(fig, "amplitudes", "Spike amplitude over time per unit: steady bands are stable units; "
                                          "a band cut at the bottom is a unit losing spikes below threshold."))
    loc = res.analyzer.get_extension("spike_locations").get_data()
    vec = res.analyzer.sorting.to_spike_vector()
    amp = res.analyzer.get_extension("spike_amplitudes").get_data()
    fig, ax = plt.subplots(figsize=(8, 4))
    plot_drift_map(vec["sample_index"] / fs, loc["y"], amp, ax=ax)
    figs.append(fw.save(fig, "drift_map", "Drift map: every spike's estimated depth against time (darker = larger); "
                                         "slanted bands mean the probe moved."))
    n = min(len(ids), _MAX_ISI_UNITS)
    cols = min(4, n)
    fig, axes = plt.subplots(int(np.ceil(n / cols)), cols, figsize=(3 * cols, 2.2 * np.ceil(n / cols)), squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        if i < n:
            plot_isi_histogram(trains[i], ax=ax, title=f"unit {ids[i]} ({labels[i]})")
        else:
            ax.axis("off")
    figs.append(fw.save(fig, "isi_histograms", f"Inter-spike intervals of the first {n} of {len(ids)} units; the "
                                              "red line is the 1.5 ms refractory period of the ISI-violation metric."))
    from ..sorting import METRIC_UNITS

    names = [c for c in res.metrics.columns if c != "isi_violations_count"]
    cols = 4
    fig, axes = plt.subplots(int(np.ceil(len(names) / cols)), cols, figsize=(12, 2.4 * np.ceil(len(names) / cols)),
                             squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        if i < len(names):
            plot_metric_histogram(res.metrics[names[i]].to_numpy(float), names[i], labels,
                                  res.curation.thresholds.get(names[i]), ax=ax, unit=METRIC_UNITS[names[i]])
        else:
            ax.axis("off")
    figs.append(fw.save(fig, "metric_distributions", "Quality metrics over units (good black, bad red; dashed: "
                                                    "curation thresholds)."))
    return figs


def curation_rows(res) -> list[dict]:
    """One row per unit: id, label, failed criteria and every metric (rounded for display)."""
    rows = []
    for i, uid in enumerate(res.analyzer.unit_ids):
        row = {"unit": int(uid) if np.issubdtype(type(uid), np.integer) else str(uid),
               "label": str(res.curation.labels[i]), "failed": res.curation.failed[i] or "-"}
        for c in res.metrics.columns:
            v = float(res.metrics.iloc[i][c])
            row[c] = round(v, 4) if np.isfinite(v) else None
        rows.append(row)
    return rows


def sort_sections(res, fw: FigureWriter, key_numbers: list) -> list[Section]:
    """The report's sections: sorting summary with figures, and the curation table.

    Parameters
    ----------
    res : SortResult
        The sort.
    fw : FigureWriter
        Saves figures into the run folder.
    key_numbers : list of (str, str)
        Shown at the top of the report.
    """
    steps = ", ".join(s["step"] + (f" {s.get('freq_min_hz')}-{s.get('freq_max_hz')} Hz" if "freq_min_hz" in s
                                   else f" ({s.get('operator') or s.get('preset')})") for s in res.preprocessing)
    text = [f"Preprocessing: {steps}; sorter {res.sorter} with {res.params}. Quality metrics from SpikeInterface; "
            "presence ratio over 100 equal bins as the Allen Institute computes it.",
            "Curation labels units, never removes them: good = every threshold met ("
            + "; ".join(f"{k} {'≤ ' + str(v['less']) if 'less' in v else ''}"
                        f"{'≥ ' + str(v['greater']) if 'greater' in v else ''}" for k, v in res.curation.thresholds.items())
            + "). analyze reads the good units of units.nwb by default (--all-units reads every unit)."]
    main = Section("sorting", "Sorted units", text=text, figures=_figures(res, fw), key_numbers=key_numbers)
    table = Section("curation", "Curation", tables=[("Every unit with its label and metrics", curation_rows(res))])
    return [main, table]
