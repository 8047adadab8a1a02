"""``simulate`` runs: a spiking network simulated into a run folder.

The folder holds ``network.json`` (the exact description simulated), ``spikes.npz``
(:meth:`~neurodiscovery.simulation.SimulationResult.save`), ``summary.json`` (timings and
per-population statistics), ``metrics.json`` (rate per population), ``figures/`` (raster,
rates against the reference) and ``config.json``.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from .._utils.errors import InputError
from .._utils.quantity import quantity
from .._utils.runfolder import RunFolder
from .command import figure_context, legacy_metrics


@dataclass(frozen=True)
class SimulationRun:
    """What :func:`run_simulation` produced.

    Attributes
    ----------
    path : Path
        The run folder.
    table : list of PopulationStats
        Statistics per population over the analysis window.
    info : dict
        Engine facts: ``build_s``, ``run_s``, ``s_per_biological_s``, synapse count, threads.
    """

    path: Path
    table: list
    info: dict


def _figures(run: RunFolder, res, table, reference, window_ms) -> None:
    import matplotlib.pyplot as plt

    from ..plotting.spikes import plot_population_rates, plot_raster

    fig, ax = plt.subplots(figsize=(9, 6))
    t1 = min(window_ms[1], window_ms[0] + 500.0)
    plot_raster(res.spike_times_ms, res.spike_senders, res.population_names, res.offsets, res.sizes,
                max_neurons_per_population=100, time_range_ms=(window_ms[0], t1), ax=ax)
    fig.tight_layout()
    fig.savefig(run.figures / "raster.png", dpi=120)
    plt.close(fig)
    from ..plotting.spikes import plot_membrane_traces, plot_rate_traces
    from ..simulation.analysis import rate_histogram
    from ._simulate_protocol import _state_labels

    fig, ax = plt.subplots(figsize=(9, 3.5))
    plot_rate_traces({nm: rate_histogram(res, nm, 10.0) for nm in res.population_names if res.recorded.get(nm)},
                     ax=ax)
    ax.set_title("population rates over time (10 ms bins)")
    fig.tight_layout()
    fig.savefig(run.figures / "rates_over_time.png", dpi=120)
    plt.close(fig)
    if res.state_neurons.size:
        fig, ax = plt.subplots(figsize=(9, 3.5))
        plot_membrane_traces(res.state_times_ms, res.v_mv, _state_labels(res), ax=ax)
        fig.tight_layout()
        fig.savefig(run.figures / "membrane.png", dpi=120)
        plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 4))
    plot_population_rates({r.population: r.rate_hz for r in table}, reference, ax=ax)
    fig.tight_layout()
    fig.savefig(run.figures / "rates.png", dpi=120)
    plt.close(fig)


@figure_context()
def run_simulation(model: str = "cuba", *, duration_s: float = 1.0, scale: float | None = None,
                   k_scale: float | None = None, backend: str = "native", seed: int = 1,
                   n_threads: int | None = None, transient_s: float | None = None, record_fraction: float = 1.0,
                   dc_background: bool = False, network_json: str | os.PathLike | None = None,
                   out=None, progress: bool = True, protocol: str | os.PathLike | None = None,
                   record_vm: int = 0) -> SimulationRun:
    """Simulate a built-in model (or a saved network description) into a run folder.

    Parameters
    ----------
    model : {"cuba", "column", "microcircuit"}
        Built-in model (see :func:`~neurodiscovery.simulation.make_model`); ignored with
        ``network_json`` except as a label.
    duration_s : float
        Biological time (s), rounded to whole time steps.
    scale, k_scale, record_fraction, dc_background, seed
        Passed to :func:`~neurodiscovery.simulation.make_model` (``seed`` also overrides the
        seed of a network read from ``network_json``).
    backend : {"native", "nest"}
    n_threads : int, optional
        Threads (default: the native engine decides; NEST: the cores this process may use).
    transient_s : float, optional
        Start of the analysis window (default 0.1 s or 20 % of the duration, whichever is
        shorter).
    network_json : path, optional
        A network saved with :meth:`~neurodiscovery.simulation.Network.to_json`.
    out : path, optional
        Run folder to create (default ``runs/<UTC>-simulate``).
    progress : bool
    protocol : path, optional
        Protocol JSON (:class:`~neurodiscovery.simulation.protocol.Protocol`): control and interventions on
        the same network and seeds; ``table`` is then empty and ``info["effects"]`` holds the rates.
    record_vm : int
        Record membrane potential and synaptic currents of each population's first ``record_vm`` neurons.

    Returns
    -------
    SimulationRun
    """
    from ..simulation import make_model
    from ..simulation.models import reference_rates
    from ..simulation.network import Network

    if not (math.isfinite(duration_s) and duration_s > 0):
        raise InputError(f"duration must be finite and > 0 s, got {duration_s}")
    if backend not in ("native", "nest"):
        raise InputError(f"backend must be 'native' or 'nest', got {backend!r}")
    if network_json is not None:
        net = Network.from_json(network_json)
        net.seed = seed
        reference = None
    else:
        net = make_model(model, scale=scale, k_scale=k_scale, seed=seed, record_fraction=record_fraction,
                         dc_background=dc_background)
        reference = reference_rates(model)
    _record_first(net, record_vm)
    prot = _load_protocol(protocol)
    duration_ms = round(duration_s * 1000.0 / net.dt_ms) * net.dt_ms
    transient_ms = min(100.0, 0.2 * duration_ms) if transient_s is None else transient_s * 1000.0
    if not 0 <= transient_ms < duration_ms:
        raise InputError("the transient must be >= 0 and shorter than the duration")
    config = {"model": model, "network_json": None if network_json is None else str(network_json),
              "duration_s": duration_s, "scale": scale, "k_scale": k_scale, "backend": backend, "seed": seed,
              "threads": n_threads, "transient_s": transient_ms / 1000.0, "record_fraction": record_fraction,
              "dc_background": dc_background, "n_neurons": net.n_neurons, "record_vm": record_vm,
              "protocol": None if protocol is None else str(protocol)}
    net.validate().check_duration(duration_ms)
    if prot is not None:
        prot.validate(net, duration_ms)
    with RunFolder("simulate", out=out, config=config) as run:
        run.write_text("network.json", net.to_json())
        if prot is not None:
            from ._simulate_protocol import run_protocol_into

            pres = run_protocol_into(run, net, prot, duration_ms, transient_ms, backend, n_threads, progress)
            table, info = [], {**pres.control[0].info, "effects": pres.effects()}
        else:
            table, info = _single_run(run, net, model, backend, duration_ms, transient_ms, reference, n_threads,
                                      progress)
    return SimulationRun(path=run.path, table=table, info=info)


def _load_protocol(path):
    """The protocol read from ``path``, or None without one."""
    if path is None:
        return None
    from ..simulation.protocol import Protocol

    return Protocol.from_json(path)


def _record_first(net, record_vm: int) -> None:
    """Record membrane potential and synaptic currents of the first ``record_vm`` neurons of each population."""
    if not isinstance(record_vm, int) or isinstance(record_vm, bool) or record_vm < 0:
        raise InputError(f"record_vm must be an int >= 0, got {record_vm!r}")
    if record_vm:
        net.recorder.state_neurons = {p.name: list(range(min(record_vm, p.n))) for p in net.populations}
        net.recorder.state_interval_ms = net.dt_ms


def _single_run(run, net, model, backend, duration_ms, transient_ms, reference, n_threads, progress):
    """One run of ``net`` into the open run folder: summary, metrics, spikes, figures."""
    from ..simulation import analysis

    if backend == "nest":
        from ..simulation.nest_backend import simulate_nest

        res = simulate_nest(net, duration_ms, n_threads=n_threads, progress=progress)
    else:
        from ..simulation import build

        res = build(net, n_threads=n_threads).run(duration_ms, progress=progress)
    table = analysis.population_table(res, transient_ms, duration_ms, reference)
    run.write_json("summary.json", {
        "model": model, "backend": backend, "duration_ms": duration_ms,
        "analysis_window_ms": [transient_ms, duration_ms], "n_neurons": net.n_neurons,
        "n_spikes": int(res.spike_times_ms.size), "populations": [r.to_dict() for r in table], **res.info})
    run.write_metrics(legacy_metrics("simulate", {r.population + "_rate_hz": r.rate_hz for r in table}, [
        quantity(f"{r.population} mean rate", r.rate_hz, "Hz",
                 note=f"analysis window {transient_ms:g}-{duration_ms:g} ms") for r in table]))
    res.save(run.dir / "spikes.npz")
    _figures(run, res, table, reference, (transient_ms, duration_ms))
    return table, dict(res.info)
