"""``simulate``'s report, files and metrics declarations (single runs and ``--protocol`` runs).

A protocol run folder holds ``network.json``, ``protocol.json``, ``metrics.json`` (per intervention
and population the control and intervention rates with 95 % intervals over trials, and the paired
change), ``summary.json``, ``spikes_control.npz`` and ``spikes_<i>_<name>.npz`` of the first trial, and
``figures/rates_over_time.png`` (one panel per intervention, its windows shaded) and, with recorded
neurons, ``figures/membrane_<condition>.png``.
"""
from __future__ import annotations

import re

from .._utils.metrics_schema import array, integer, mapping, number, obj, quantity_field, text
from .report import Section


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "intervention"


def _state_labels(r) -> list[str]:
    out = []
    for j in r.state_neurons:
        for nm, o, n in zip(r.population_names, r.offsets, r.sizes):
            if o <= j < o + n:
                out.append(f"{nm}[{int(j - o)}]")
    return out


def single_run_figures(figures, res, table, reference, window_ms) -> list:
    """Raster (first 500 ms of the window), rates over time, membrane potentials, rates vs reference."""
    import matplotlib.pyplot as plt

    from ..plotting.spikes import plot_membrane_traces, plot_population_rates, plot_raster, plot_rate_traces
    from ..simulation.analysis import rate_histogram

    out = []
    fig, ax = plt.subplots(figsize=(9, 6))
    t1 = min(window_ms[1], window_ms[0] + 500.0)
    plot_raster(res.spike_times_ms, res.spike_senders, res.population_names, res.offsets, res.sizes,
                max_neurons_per_population=100, time_range_ms=(window_ms[0], t1), ax=ax)
    fig.tight_layout()
    out.append(figures.save(fig, "raster", f"spikes of at most 100 neurons per population, {window_ms[0]:g}-{t1:g} ms"))
    fig, ax = plt.subplots(figsize=(9, 3.5))
    plot_rate_traces({nm: rate_histogram(res, nm, 10.0) for nm in res.population_names if res.recorded.get(nm)},
                     ax=ax)
    ax.set_title("population rates over time (10 ms bins)")
    fig.tight_layout()
    out.append(figures.save(fig, "rates_over_time", "population rates over time (Hz, 10 ms bins)"))
    if res.state_neurons.size:
        fig, ax = plt.subplots(figsize=(9, 3.5))
        plot_membrane_traces(res.state_times_ms, res.v_mv, _state_labels(res), ax=ax)
        fig.tight_layout()
        out.append(figures.save(fig, "membrane", "membrane potentials (mV) of the recorded neurons"))
    fig, ax = plt.subplots(figsize=(6, 4))
    plot_population_rates({r.population: r.rate_hz for r in table}, reference, ax=ax)
    fig.tight_layout()
    out.append(figures.save(fig, "rates", "mean rate per population (Hz)" + (" against the published rates"
                                                                             if reference else "")))
    return out


def protocol_sections(res, figures) -> list:
    """One section: the effects table and the rates over time of each intervention (windows shaded)."""
    import matplotlib.pyplot as plt

    from ..plotting.spikes import plot_membrane_traces, plot_rate_traces

    ivs = res.protocol.interventions
    sec = Section("protocol", "Interventions against the control")
    eff = res.effects()
    sec.tables.append((f"population rates (Hz), mean over {len(res.seeds)} trials with 95 % t intervals",
                       [{"intervention": iv.name, "kind": iv.kind, "population": pop,
                         **{k: q.format() for k, q in d.items()}} for iv in ivs for pop, d in eff[iv.name].items()]))
    fig, axes = plt.subplots(len(ivs), 1, figsize=(9, 2.8 * len(ivs)), squeeze=False, sharex=True)
    ctrl = res.rate_traces("control")
    for ax, iv in zip(axes[:, 0], ivs):
        traces = {f"{nm} control": tr for nm, tr in ctrl.items()}
        traces.update({f"{nm} {iv.name}": tr for nm, tr in res.rate_traces(iv.name).items()})
        plot_rate_traces(traces, ax=ax, windows_ms=iv.windows(res.duration_ms) if iv.windows_ms else None)
        when = "shaded: intervention window" if iv.windows_ms else "acts throughout the run"
        ax.set_title(f"{iv.name} ({iv.kind}); rates over time, mean of {len(res.seeds)} trials; {when}")
    fig.tight_layout()
    sec.figures.append(figures.save(fig, "rates_over_time", "population rates over time (Hz), control and each "
                                                            "intervention, mean over trials"))
    first = res.control[0]
    if first.state_neurons.size:
        labels = _state_labels(first)
        for cond, r in [("control", first)] + [(iv.name, res.runs[iv.name][0]) for iv in ivs]:
            fig, ax = plt.subplots(figsize=(9, 3.5))
            plot_membrane_traces(r.state_times_ms, r.v_mv, labels, ax=ax)
            ax.set_title(f"{cond}: membrane potentials (seed {res.seeds[0]})")
            fig.tight_layout()
            sec.figures.append(figures.save(fig, f"membrane_{_safe(cond)}", f"{cond}: membrane potentials (mV)"))
    return [sec]


def metrics_of(res) -> dict:
    """``metrics.json`` entries of a protocol: per intervention, ``rate_hz[population] = {control, intervention,
    change}``.

    Parameters
    ----------
    res : ProtocolResult
        The runs.
    """
    eff = res.effects()
    out = []
    for iv in res.protocol.interventions:
        out.append({"name": iv.name, "kind": iv.kind, "population": iv.population, "projection": iv.projection,
                    "factor": iv.factor, "measured_in_ms": [list(w) for w in res.measure_windows(iv)],
                    "rate_hz": {nm: {k: q.to_json() for k, q in d.items()} for nm, d in eff[iv.name].items()}})
    return {"interventions": out, "trials": len(res.seeds), "seeds": res.seeds}


def protocol_properties() -> dict:
    """Declared ``metrics.json`` keys of a protocol run (absent from single runs)."""
    rates = obj({k: quantity_field(f"population rate (Hz), {k}, mean over trials with a 95 % interval")
                 for k in ("control", "intervention", "change")})
    intervention = obj({"name": text(nullable=False), "kind": text(nullable=False), "population": text(),
                        "projection": text(), "factor": number("1", "weight multiplier"),
                        "measured_in_ms": array(array(number("ms"))), "rate_hz": mapping(rates)})
    return {"interventions": array(intervention), "trials": integer("1", "trials (seeds)"),
            "seeds": array(integer("1", "seed"))}


def write_protocol(folder, res, backend: str, duration_ms: float, n_neurons: int) -> None:
    """``protocol.json``, ``summary.json`` and the first trial's spikes of every condition into ``folder``.

    Parameters
    ----------
    folder : Path
        The run folder being built.
    res : ProtocolResult
    backend : {"native", "nest"}
    duration_ms : float
        Run length (ms).
    n_neurons : int
    """
    import json

    from .._utils.runfolder import write_json

    (folder / "protocol.json").write_text(json.dumps(res.protocol.to_dict(), indent=1), encoding="utf-8")
    first = res.control[0]
    write_json(folder / "summary.json", {"backend": backend, "duration_ms": duration_ms, "seeds": res.seeds,
                                         "n_neurons": n_neurons, **first.info})
    first.save(folder / "spikes_control.npz")
    for i, iv in enumerate(res.protocol.interventions):
        res.runs[iv.name][0].save(folder / f"spikes_{i + 1}_{_safe(iv.name)}.npz")
