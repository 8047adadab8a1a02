"""``simulate``: a spiking network simulated into a run folder, as a :class:`~.command.Command`.

``execute("simulate", SimulateParams(model="cuba", protocol="gabaa.json"))`` is the CLI's path;
:func:`run_simulation` is the keyword form kept for existing callers. The folder holds
``network.json`` (the exact description simulated), ``spikes.npz``
(:meth:`~neurodiscovery.simulation.SimulationResult.save`), ``summary.json`` (timings and per-population
statistics), ``metrics.json``, ``figures/`` (raster, rates over time, rates against the reference,
membrane potentials) and ``config.json``; with ``--protocol`` the files of :mod:`._simulate_protocol`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .._utils.errors import InputError
from .._utils.metrics_schema import array, integer, mapping, number, obj, text
from .._utils.params import Params, option
from .._utils.quantity import quantity
from .command import Command, execute, progress_callback
from .report import Section

__all__ = ["COMMAND", "SimulateParams", "SimulateResult", "SimulationRun", "run_simulation"]

MODELS = ("cuba", "column", "microcircuit")


@dataclass(frozen=True)
class SimulateParams(Params):
    """Parameters of ``simulate`` (the CLI options are generated from these declarations)."""

    model: str = option("cuba", "built-in model: cuba (Brette et al. 2007 benchmark), column (layered cortical "
                        "column with thalamic pulses), microcircuit (Potjans & Diesmann 2014); only a label with "
                        "--network-json", positional=True, choices=MODELS)
    duration_s: float = option(1.0, "biological time, rounded to whole time steps", unit="s", low=0, low_open=True,
                               flag="--duration")
    scale: float | None = option(None, "network size: cuba neurons = 4000*scale (expected in-degree stays 80); "
                                 "column neurons per layer = 1000*scale; microcircuit: neuron counts x scale "
                                 "(NEST's N_scaling) and, unless --k-scale is given, in-degrees x scale too "
                                 "(default 1; microcircuit 0.1)", low=0, low_open=True, show_default=False)
    k_scale: float | None = option(None, "microcircuit: in-degree scaling with weight and DC compensation (NEST's "
                                   "K_scaling); default = --scale, as in NEST's example (so in-degrees shrink with "
                                   "--scale; pass --k-scale 1 to keep the full in-degrees)", low=0, low_open=True,
                                   show_default=False)
    backend: str = option("native", "simulator: the native engine or NEST", choices=("native", "nest"))
    seed: int = option(1, "random seed (also replaces the seed of a --network-json description)", low=0)
    n_threads: int | None = option(None, "threads (default: all cores this process may use; the native engine "
                                   "uses them only while cores are idle)", low=1, flag="--threads",
                                   show_default=False)
    transient_s: float | None = option(None, "time excluded from statistics (default 0.1 s or 20 % of the "
                                       "duration, whichever is shorter)", unit="s", low=0, flag="--transient",
                                       show_default=False)
    record_fraction: float = option(1.0, "fraction of each population whose spikes are recorded", low=0,
                                    low_open=True, high=1)
    dc_background: bool = option(False, "microcircuit: replace the Poisson background by its mean DC")
    network_json: str | None = option(None, "run this saved network description instead of a built-in model",
                                      show_default=False)
    protocol: str | None = option(None, "JSON file of interventions (stimulate, lesion, scale_weights, silence) "
                                  "compared with a control run on the same network and seeds; see the README",
                                  show_default=False)
    record_vm: int = option(0, "record membrane potential and synaptic currents of the first N neurons of each "
                            "population every step (spikes.npz, figures/membrane.png)", low=0, metavar="N")


@dataclass(frozen=True)
class SimulateInputs:
    """What ``simulate`` runs: the network, its JSON as given, the protocol (or None), reference rates (or None)."""

    network: object
    network_json: str
    protocol: object
    reference: dict | None
    duration_ms: float
    transient_ms: float


@dataclass(frozen=True)
class SimulateResult:
    """Typed result of ``simulate``: one run (``run``, ``table``) or a protocol's runs (``protocol``)."""

    params: SimulateParams
    inputs: SimulateInputs
    run: object
    table: tuple
    protocol: object
    info: dict

    def key_numbers(self) -> list:
        """Mean rate per population (single run) or control and intervention rates (protocol)."""
        if self.protocol is not None:
            eff = self.protocol.effects()
            return [q for iv in self.protocol.protocol.interventions for d in eff[iv.name].values()
                    for q in (d["control"], d["intervention"])]
        w = f"analysis window {self.inputs.transient_ms:g}-{self.inputs.duration_ms:g} ms"
        return [quantity(f"{r.population} mean rate", r.rate_hz, "Hz", note=w) for r in self.table]

    def to_metrics(self) -> dict:
        """Model, backend, analysis window, per-population statistics, timings and the protocol's effects."""
        from ._simulate_protocol import metrics_of

        i = self.inputs
        out = {"model": self.params.model, "backend": self.params.backend, "n_neurons": i.network.n_neurons,
               "duration_ms": i.duration_ms, "analysis_window_ms": [i.transient_ms, i.duration_ms],
               "populations": {r.population: r.to_dict() for r in self.table},
               "timing": {k: float(self.info[k]) for k in ("build_s", "run_s", "s_per_biological_s")}}
        if self.protocol is not None:
            out.update(metrics_of(self.protocol))
        return out


def _load(params: SimulateParams) -> SimulateInputs:
    """The network (built-in model or ``network_json``), state recording, protocol; all checked up front."""
    from ..simulation import make_model
    from ..simulation.models import reference_rates
    from ..simulation.network import Network

    if params.network_json is not None:
        net = Network.from_json(params.network_json)
        net.seed = params.seed
        reference = None
    else:
        net = make_model(params.model, scale=params.scale, k_scale=params.k_scale, seed=params.seed,
                         record_fraction=params.record_fraction, dc_background=params.dc_background)
        reference = reference_rates(params.model)
    if params.record_vm:
        net.recorder.state_neurons = {p.name: list(range(min(params.record_vm, p.n))) for p in net.populations}
        net.recorder.state_interval_ms = net.dt_ms
    duration_ms = round(params.duration_s * 1000.0 / net.dt_ms) * net.dt_ms
    transient_ms = min(100.0, 0.2 * duration_ms) if params.transient_s is None else params.transient_s * 1000.0
    if not 0 <= transient_ms < duration_ms:
        raise InputError("the transient (--transient) must be shorter than the duration (--duration)")
    net.validate().check_duration(duration_ms)
    prot = None
    if params.protocol is not None:
        from ..simulation.protocol import Protocol

        prot = Protocol.from_json(params.protocol)
        prot.validate(net, duration_ms)
    if params.backend == "nest":
        from ..simulation.nest_backend import check_nest_size, default_threads

        check_nest_size(net, params.n_threads or default_threads())
    return SimulateInputs(net, net.to_json(), prot, reference, duration_ms, transient_ms)


def compute(params: SimulateParams, inputs: SimulateInputs) -> SimulateResult:
    """Simulate once, or run the protocol's control and interventions (no files, no figures)."""
    from ..simulation import analysis

    progress = progress_callback() is not None
    net, i = inputs.network, inputs
    if inputs.protocol is not None:
        from ..simulation.experiment import run_protocol

        pres = run_protocol(net, inputs.protocol, i.duration_ms, i.transient_ms, backend=params.backend,
                            n_threads=params.n_threads, progress=progress)
        return SimulateResult(params, inputs, None, (), pres, dict(pres.control[0].info))
    if params.backend == "nest":
        from ..simulation.nest_backend import simulate_nest

        res = simulate_nest(net, i.duration_ms, n_threads=params.n_threads, progress=progress)
    else:
        from ..simulation import build

        res = build(net, n_threads=params.n_threads).run(i.duration_ms, progress=progress)
    table = analysis.population_table(res, i.transient_ms, i.duration_ms, i.reference)
    return SimulateResult(params, inputs, res, tuple(table), None, dict(res.info))


def render(result: SimulateResult, figures) -> list:
    """Rates table and figures (raster, rates over time, membrane potentials, rates vs reference), or the
    protocol's rates over time with the intervention windows shaded.
    """
    from ._simulate_protocol import protocol_sections, single_run_figures

    if result.protocol is not None:
        return protocol_sections(result.protocol, figures)
    sec = Section("simulation", "Population activity")
    sec.tables.append(("statistics per population over the analysis window", [r.to_dict() for r in result.table]))
    sec.figures += single_run_figures(figures, result.run, result.table, result.inputs.reference,
                                      (result.inputs.transient_ms, result.inputs.duration_ms))
    return [sec]


def _write(result: SimulateResult, folder: Path) -> None:
    from .._utils.runfolder import write_json
    from ._simulate_protocol import write_protocol

    (folder / "network.json").write_text(result.inputs.network_json, encoding="utf-8")
    p, i = result.params, result.inputs
    if result.protocol is not None:
        write_protocol(folder, result.protocol, p.backend, i.duration_ms, i.network.n_neurons)
        return
    write_json(folder / "summary.json", {
        "model": p.model, "backend": p.backend, "duration_ms": i.duration_ms,
        "analysis_window_ms": [i.transient_ms, i.duration_ms], "n_neurons": i.network.n_neurons,
        "n_spikes": int(result.run.spike_times_ms.size), "populations": [r.to_dict() for r in result.table],
        **result.info})
    result.run.save(folder / "spikes.npz")


def metrics_properties() -> dict:
    """Declared top-level keys of ``simulate``'s ``metrics.json``."""
    from ._simulate_protocol import protocol_properties

    pop = obj({"population": text(nullable=False), "n": integer("1", "neurons"),
               "recorded": integer("1", "neurons whose spikes were recorded"),
               "rate_hz": number("Hz", "mean rate per recorded neuron in the analysis window"),
               "mean_isi_cv": number("1", "mean coefficient of variation of the inter-spike intervals"),
               "fano_factor": number("1", "mean spike-count Fano factor (100 ms windows)"),
               "synchrony": number("1", "variance / mean of the population count in 3 ms bins (1 = Poisson)"),
               "reference_rate_hz": number("Hz", "published rate (null without one)"),
               "rate_rel_error": number("1", "(rate - reference) / reference")})
    return {"model": text(nullable=False), "backend": text(nullable=False),
            "n_neurons": integer("1", "neurons simulated"), "duration_ms": number("ms", "biological time"),
            "analysis_window_ms": array(number("ms"), "[start, stop] of the statistics"),
            "populations": mapping(pop, "population -> statistics (single runs; empty with a protocol)"),
            "timing": obj({"build_s": number("s", "network build"), "run_s": number("s", "simulation"),
                           "s_per_biological_s": number("s", "wall-clock seconds per simulated second")}),
            **protocol_properties()}


def _line(run) -> str:
    res = run.result
    if res.protocol is not None:
        eff = res.protocol.effects()
        rows = [f"{name:>20} {pop:>6}: control {q['control'].format()}, intervention {q['intervention'].format()}"
                for name, pops in eff.items() for pop, q in pops.items()]
        return "\n".join(rows + [f"results in {run.path}"])
    rows = [f"{'population':>10} {'rate (Hz)':>9} {'mean ISI CV':>11} {'synchrony':>9}"]
    rows += [f"{r.population:>10} {r.rate_hz:9.3f} {r.mean_isi_cv:11.3f} {r.synchrony:9.2f}" for r in res.table]
    info = res.info
    rows += ["synchrony: variance / mean of the population spike count in 3 ms bins (<= 1000 neurons; "
             "1 = independent Poisson)",
             f"build {info['build_s']:.2f} s, run {info['run_s']:.2f} s ({info['s_per_biological_s']:.2f} s per "
             f"biological second); results in {run.path}"]
    return "\n".join(rows)


COMMAND = Command(
    "simulate", "simulate a spiking network (cuba, column, microcircuit or a saved description) with the native "
    "engine or NEST; --protocol compares interventions with a control", SimulateParams, compute, render,
    metrics_properties, load=_load, write=_write, line=_line, uses_torch=lambda p: False, schema_version=2,
    title=lambda p, r: f"neurodiscovery simulate — {p.model if p.network_json is None else p.network_json}",
    describe=lambda p, inputs, result=None: {"n_neurons": inputs.network.n_neurons, "transient_s": inputs.transient_ms / 1e3},
    metrics_required=("model", "backend", "n_neurons", "duration_ms", "analysis_window_ms", "populations",
                      "timing"))


@dataclass(frozen=True)
class SimulationRun:
    """What :func:`run_simulation` produced.

    Attributes
    ----------
    path : Path
        The run folder.
    table : list of PopulationStats
        Statistics per population over the analysis window (empty with a protocol).
    info : dict
        Engine facts (``build_s``, ``run_s``, ``s_per_biological_s``, ...; ``effects`` with a protocol).
    """

    path: Path
    table: list
    info: dict


def run_simulation(model: str = "cuba", *, out=None, progress: bool = True, **params) -> SimulationRun:
    """Simulate a built-in model (or a saved network description) into a run folder.

    Parameters
    ----------
    model : {"cuba", "column", "microcircuit"}
        Built-in model (see :func:`~neurodiscovery.simulation.make_model`).
    out : path, optional
        Run folder to create (must not exist); default ``runs/<UTC>-simulate``.
    progress : bool
        Show the engine's progress bar.
    **params
        Any field of :class:`SimulateParams` (``duration_s``, ``scale``, ``backend``, ``protocol``, ...).

    Returns
    -------
    SimulationRun
    """
    run = execute(COMMAND, SimulateParams(model=model, **params), out=out,
                  progress=(lambda s: None) if progress else None)
    r = run.result
    info = {**r.info, "effects": r.protocol.effects()} if r.protocol is not None else dict(r.info)
    return SimulationRun(run.path, list(r.table), info)
