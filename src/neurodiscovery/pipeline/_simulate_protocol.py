"""``simulate --protocol``: a control and interventions on the same network, into one run folder.

The folder holds ``network.json``, ``protocol.json``, ``metrics.json`` (per intervention and
population the control and intervention rates with 95 % intervals over trials, and the
paired change), ``summary.json``, ``spikes_control.npz`` and ``spikes_<i>_<name>.npz`` of the first trial, and
``figures/rates_over_time.png`` (one panel per intervention, its windows shaded) and, with
recorded neurons, ``figures/membrane_<condition>.png``.
"""
from __future__ import annotations

import re


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "intervention"


def _figures(run, res) -> None:
    import matplotlib.pyplot as plt

    from ..plotting.spikes import plot_membrane_traces, plot_rate_traces

    ivs = res.protocol.interventions
    fig, axes = plt.subplots(len(ivs), 1, figsize=(9, 2.8 * len(ivs)), squeeze=False, sharex=True)
    ctrl = res.rate_traces("control")
    for ax, iv in zip(axes[:, 0], ivs):
        traces = {f"{nm} control": tr for nm, tr in ctrl.items()}
        traces.update({f"{nm} {iv.name}": tr for nm, tr in res.rate_traces(iv.name).items()})
        plot_rate_traces(traces, ax=ax, windows_ms=iv.windows(res.duration_ms) if iv.windows_ms else None)
        when = "shaded: intervention window" if iv.windows_ms else "acts throughout the run"
        ax.set_title(f"{iv.name} ({iv.kind}); rates over time, mean of {len(res.seeds)} trials; {when}")
    fig.tight_layout()
    fig.savefig(run.figures / "rates_over_time.png", dpi=110)
    plt.close(fig)
    first = res.control[0]
    if first.state_neurons.size:
        labels = _state_labels(first)
        for cond, r in [("control", first)] + [(iv.name, res.runs[iv.name][0]) for iv in ivs]:
            fig, ax = plt.subplots(figsize=(9, 3.5))
            plot_membrane_traces(r.state_times_ms, r.v_mv, labels, ax=ax)
            ax.set_title(f"{cond}: membrane potentials (seed {res.seeds[0]})")
            fig.tight_layout()
            fig.savefig(run.figures / f"membrane_{_safe(cond)}.png", dpi=110)
            plt.close(fig)


def _state_labels(r) -> list[str]:
    out = []
    for j in r.state_neurons:
        for nm, o, n in zip(r.population_names, r.offsets, r.sizes):
            if o <= j < o + n:
                out.append(f"{nm}[{int(j - o)}]")
    return out


def metrics_of(res) -> dict:
    """``metrics.json`` of a protocol: per intervention, ``rate_hz[population] = {control, intervention, change}``.

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


def run_protocol_into(run, net, protocol, duration_ms: float, transient_ms: float, backend: str,
                      n_threads, progress: bool):
    """Run ``protocol`` on ``net`` and write its files into the open run folder ``run``.

    Parameters
    ----------
    run : RunFolder
        Open run folder.
    net : Network
        The network.
    protocol : Protocol
        The protocol (validated here).
    duration_ms, transient_ms : float
        Run length and start of the analysis window of whole-run interventions (ms).
    backend : {"native", "nest"}
    n_threads : int or None
    progress : bool

    Returns
    -------
    ProtocolResult
    """
    from ..simulation.experiment import run_protocol

    res = run_protocol(net, protocol, duration_ms, transient_ms, backend=backend, n_threads=n_threads,
                       progress=progress)
    run.write_text("protocol.json", __import__("json").dumps(protocol.to_dict(), indent=1))
    from .legacy_schemas import legacy_metrics

    eff = res.effects()
    run.write_metrics(legacy_metrics("simulate", metrics_of(res), [
        q for iv in protocol.interventions for d in eff[iv.name].values() for q in (d["control"], d["intervention"])]))
    first = res.control[0]
    run.write_json("summary.json", {"backend": backend, "duration_ms": duration_ms, "seeds": res.seeds,
                                    "n_neurons": net.n_neurons, **first.info})
    first.save(run.dir / "spikes_control.npz")
    for i, iv in enumerate(protocol.interventions):
        res.runs[iv.name][0].save(run.dir / f"spikes_{i + 1}_{_safe(iv.name)}.npz")
    _figures(run, res)
    return res
