"""Run a :class:`~.protocol.Protocol`: the control and each intervention on the same network and seeds.

Each trial ``k`` uses the seed ``net.seed + k`` for the control and for every intervention, so
the connectivity, initial potentials and input noise are identical and only the intervention
differs. Interventions with windows run the simulation in segments and change the built
network between them (:meth:`~.engine.NativeNetwork.scale_weights`,
:meth:`~.engine.NativeNetwork.silence` and their NEST twins), so nothing is rebuilt.

>>> from neurodiscovery.simulation import models
>>> from neurodiscovery.simulation.protocol import Protocol
>>> from neurodiscovery.simulation.experiment import run_protocol
>>> p = Protocol(interventions=[{"name": "GABA-A x0.5", "kind": "scale_weights",
...                              "projection": "I->E", "factor": 0.5}], trials=2)
>>> res = run_protocol(models.cuba(seed=1), p, 1000.0)        # doctest: +SKIP
>>> res.effects()["GABA-A x0.5"]["E"]["intervention"].value     # doctest: +SKIP
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError
from .._utils.quantity import Quantity, quantity
from .network import Network
from .protocol import Intervention, Protocol
from .result import SimulationResult

__all__ = ["ProtocolResult", "run_protocol", "open_backend", "concat_results"]


def open_backend(net: Network, backend: str, total_ms: float, n_threads: int | None = None):
    """Build ``net`` in the native engine or NEST; both return objects with ``run``, ``scale_weights``, ``silence``.

    Parameters
    ----------
    net : Network
        The description.
    backend : {"native", "nest"}
        Which simulator.
    total_ms : float
        Total time the runs will cover (ms).
    n_threads : int, optional
        Threads (native: numba decides; NEST: the cores this process may use).
    """
    if backend == "nest":
        from .nest_backend import NestNetwork

        return NestNetwork(net, total_ms, n_threads=n_threads)
    if backend != "native":
        raise InputError(f"backend must be 'native' or 'nest', got {backend!r}")
    from .engine import build

    return build(net, n_threads=n_threads)


def concat_results(parts: list[SimulationResult]) -> SimulationResult:
    """Consecutive runs of one network joined into one result (spikes and sampled states).

    Parameters
    ----------
    parts : list of SimulationResult
        In time order, each starting where the previous one stopped.
    """
    first = parts[0]
    return dataclasses.replace(
        first, spike_times_ms=np.concatenate([p.spike_times_ms for p in parts]),
        spike_senders=np.concatenate([p.spike_senders for p in parts]), t_stop_ms=parts[-1].t_stop_ms,
        state_times_ms=np.concatenate([p.state_times_ms for p in parts]),
        v_mv=np.concatenate([p.v_mv for p in parts]), i_ex_pa=np.concatenate([p.i_ex_pa for p in parts]),
        i_in_pa=np.concatenate([p.i_in_pa for p in parts]),
        g_ex_ns=np.concatenate([p.g_ex_ns for p in parts]), g_in_ns=np.concatenate([p.g_in_ns for p in parts]),
        info={**first.info, "run_s": sum(p.info.get("run_s", 0.0) for p in parts)})


def _events(iv: Intervention | None, net: Network, duration_ms: float) -> list[tuple[float, str, tuple]]:
    """(time, method, arguments) changes of the built network an intervention makes, in time order."""
    if iv is None or iv.kind == "stimulate":
        return []
    out = []
    for a, b in iv.windows(duration_ms):
        if iv.kind in ("scale_weights", "lesion") and iv.projection is not None:
            f = 0.0 if iv.kind == "lesion" else float(iv.factor)
            for src, tgt in iv.pairs(net):
                out += [(a, "scale_weights", (src, tgt, f)), (b, "scale_weights", (src, tgt, 1.0))]
        else:  # silence, or lesion of a population
            out += [(a, "silence", (iv.population, True)), (b, "silence", (iv.population, False))]
    return sorted((e for e in out if e[0] < duration_ms), key=lambda e: e[0])


def run_condition(net: Network, iv: Intervention | None, duration_ms: float, backend: str = "native",
                  n_threads: int | None = None) -> SimulationResult:
    """Simulate ``net`` for ``duration_ms`` under intervention ``iv`` (None = control).

    Parameters
    ----------
    net : Network
        The network (its seed is used as is).
    iv : Intervention or None
        The intervention, already validated against ``net``.
    duration_ms : float
        Run length (ms).
    backend : {"native", "nest"}
    n_threads : int, optional
    """
    if iv is not None and iv.kind == "stimulate":
        net = dataclasses.replace(net, current_inputs=list(net.current_inputs) + iv.currents(net, duration_ms))
    sim = open_backend(net, backend, duration_ms, n_threads)
    parts, t = [], 0.0
    for when, method, args in _events(iv, net, duration_ms) + [(duration_ms, None, ())]:
        if when > t + 1e-9:
            parts.append(sim.run(round((when - t) / net.dt_ms) * net.dt_ms))
            t = when
        if method is not None:
            getattr(sim, method)(*args)
    return concat_results(parts)


@dataclass
class ProtocolResult:
    """Runs of a protocol: ``control[k]`` and ``runs[name][k]`` for trial ``k``.

    Attributes
    ----------
    protocol : Protocol
    control : list of SimulationResult
    runs : dict of str to list of SimulationResult
    duration_ms, transient_ms : float
        Run length and the start of the analysis window of whole-run interventions (ms).
    seeds : list of int
        Seed of each trial.
    """

    protocol: Protocol
    control: list
    runs: dict
    duration_ms: float
    transient_ms: float
    seeds: list

    def measure_windows(self, iv: Intervention) -> list[tuple[float, float]]:
        """Where an intervention's effect is measured (ms): its windows, or ``[transient, end]`` for the whole run."""
        if iv.windows_ms is None:
            return [(self.transient_ms, self.duration_ms)]
        return iv.windows(self.duration_ms)

    def rates(self, res: SimulationResult, windows: list) -> dict[str, float]:
        """Mean rate (Hz) of each population's recorded neurons within ``windows``."""
        from .analysis import population_rates

        total = sum(b - a for a, b in windows)
        out: dict[str, float] = {}
        for a, b in windows:
            for nm, r in population_rates(res, a, b).items():
                out[nm] = out.get(nm, 0.0) + r * (b - a) / total
        return out

    def effects(self) -> dict[str, dict[str, dict[str, Quantity]]]:
        """``effects()[intervention][population] = {"control", "intervention", "change"}`` rates (Hz) with
        95 % t intervals over trials (paired for the change).
        """
        out = {}
        for iv in self.protocol.interventions:
            win = self.measure_windows(iv)
            ctrl = [self.rates(r, win) for r in self.control]
            intv = [self.rates(r, win) for r in self.runs[iv.name]]
            where = ", ".join(f"{a:g}–{b:g} ms" for a, b in win)
            out[iv.name] = {nm: {
                "control": _mean_q(f"{nm} rate, control ({where})", [c[nm] for c in ctrl]),
                "intervention": _mean_q(f"{nm} rate, {iv.name} ({where})", [c[nm] for c in intv]),
                "change": _mean_q(f"{nm} rate change, {iv.name} minus control ({where}, paired by seed)",
                                  [b[nm] - a[nm] for a, b in zip(ctrl, intv)])}
                for nm in ctrl[0]}
        return out

    def rate_traces(self, condition: str, bin_ms: float | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Population rates over time (Hz) of ``condition`` ("control" or an intervention name), mean over trials.

        Returns
        -------
        dict of str to (centers_ms (n_bins,), rate_hz (n_bins,))
        """
        from .analysis import rate_histogram

        runs = self.control if condition == "control" else self.runs[condition]
        bin_ms = bin_ms or self.protocol.bin_ms
        out = {}
        for nm in runs[0].population_names:
            if runs[0].recorded.get(nm, 0) == 0:
                continue
            hs = [rate_histogram(r, nm, bin_ms, 0.0, self.duration_ms) for r in runs]
            out[nm] = (hs[0][0], np.mean([h[1] for h in hs], axis=0))
        return out


def _mean_q(label: str, values: list[float]) -> Quantity:
    """Mean over trials (Hz) with a 95 % Student-t interval when there are two or more."""
    from scipy import stats

    v = np.asarray(values, float)
    n = v.size
    if n < 2:
        return quantity(label, float(v.mean()), "Hz", note="one trial: no interval (set trials >= 2)")
    half = stats.t.ppf(0.975, n - 1) * v.std(ddof=1) / np.sqrt(n)
    return quantity(label, float(v.mean()), "Hz", interval=(float(v.mean() - half), float(v.mean() + half)),
                    interval_kind=f"95 % Student t over {n} trials (seeds)")


def run_protocol(net: Network, protocol: Protocol, duration_ms: float, transient_ms: float = 100.0,
                 backend: str = "native", n_threads: int | None = None, progress: bool = False) -> ProtocolResult:
    """Run the control and every intervention of ``protocol`` on ``net`` for each trial.

    Parameters
    ----------
    net : Network
        The network; trial ``k`` uses seed ``net.seed + k``.
    protocol : Protocol
        Validated here against ``net`` and ``duration_ms``.
    duration_ms : float
        Length of each run (ms), a multiple of ``net.dt_ms``.
    transient_ms : float
        Start of the analysis window of interventions that last the whole run (ms).
    backend : {"native", "nest"}
    n_threads : int, optional
    progress : bool
        Print one line per finished run.

    Returns
    -------
    ProtocolResult
    """
    net.validate().check_duration(duration_ms)
    protocol.validate(net, duration_ms)
    if not 0 <= transient_ms < duration_ms:
        raise InputError("the transient must be >= 0 and shorter than the run")
    rec = dataclasses.replace(net.recorder, state_neurons={**net.recorder.state_neurons, **protocol.record})
    seeds = [int(net.seed) + k for k in range(protocol.trials)]
    control, runs = [], {iv.name: [] for iv in protocol.interventions}
    for seed in seeds:
        net_k = dataclasses.replace(net, seed=seed, recorder=rec)
        for iv in [None] + list(protocol.interventions):
            res = run_condition(net_k, iv, duration_ms, backend, n_threads)
            (control if iv is None else runs[iv.name]).append(res)
            if progress:
                print(f"seed {seed}: {'control' if iv is None else iv.name} done ({res.info['run_s']:.2f} s)",
                      flush=True)
    return ProtocolResult(protocol=protocol, control=control, runs=runs, duration_ms=float(duration_ms),
                          transient_ms=float(transient_ms), seeds=seeds)
