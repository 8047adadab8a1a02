"""External inputs of the NEST backend: Poisson, step-current and spike generators on the chosen neurons.

Each input reaches the neurons the native engine chooses (:func:`._build_inputs.input_targets`,
same seed and salts), so both backends drive the same cells.
"""
from __future__ import annotations

import numpy as np

from ._build_inputs import current_targets, input_targets
from ._bundles import SALT_POISSON_TARGETS, SALT_SPIKE_TARGETS
from .network import Network


def current_schedule(ci, dt: float, duration_ms: float) -> tuple[list, list]:
    """Change times (ms) and amplitudes (pA) of a current input for a ``step_current_generator``.

    Parameters
    ----------
    ci : CurrentInput
        The input.
    dt : float
        Time step (ms).
    duration_ms : float
        Simulated time (ms); pulses and sines are listed up to it.

    Returns
    -------
    times, amplitudes : list of float
        Times at which the current changes (ms) and its value from then on (pA).
    """
    stop = duration_ms if ci.stop_ms is None else min(ci.stop_ms, duration_ms)
    if ci.kind == "dc":
        times, amps = [max(ci.start_ms, dt)], [ci.amplitude_pa]
        if ci.stop_ms is not None:
            times.append(ci.stop_ms)
            amps.append(0.0)
    elif ci.kind == "pulses":
        times, amps = [], []
        t = ci.start_ms
        while t < stop:
            times += [max(t, dt), t + ci.width_ms]
            amps += [ci.amplitude_pa, 0.0]
            t += ci.period_ms
    elif ci.kind == "sine":
        # the native engine samples the sine at the start of each step; list every step
        t = np.arange(int(round(ci.start_ms / dt)), int(round(stop / dt))) * dt
        a = ci.amplitude_pa * np.sin(2.0 * np.pi * ci.frequency_hz * (t - ci.start_ms) * 1e-3 + ci.phase_rad)
        times, amps = [max(x, dt) for x in t] + [stop], list(a) + [0.0]
    else:
        times = [max(x, dt) for x in ci.times_ms]
        amps = list(ci.amplitudes_pa)
    return times, amps


def _dedupe(times: list, amps: list) -> tuple[list, list]:
    """Keep the last amplitude of equal change times (NEST needs them strictly increasing)."""
    out_t, out_a = [], []
    for t, a in zip(times, amps):
        if out_t and abs(t - out_t[-1]) < 1e-9:
            out_a[-1] = a
        else:
            out_t.append(t)
            out_a.append(a)
    return out_t, out_a


def _node(net: Network, nodes: dict, j: int):
    """The NEST node of global neuron index ``j``."""
    offs = net.offsets()
    pop = next(p.name for p in net.populations if offs[p.name] <= j < offs[p.name] + p.n)
    return nodes[pop][int(j - offs[pop])]


def add_inputs(nest, net: Network, nodes: dict, dt: float, duration_ms: float) -> None:
    """Poisson generators, one step-current generator per current-driven neuron, spike generators.

    Parameters
    ----------
    nest : module
        The imported ``nest`` module (kernel already set up).
    net : Network
        The network description.
    nodes : dict
        Population name -> NEST NodeCollection.
    dt : float
        Time step (ms).
    duration_ms : float
        Simulated time (ms).
    """
    offs = net.offsets()
    targeted = [pi for pi in net.poisson_inputs if not pi.whole_population]
    chosen = dict(zip(map(id, targeted), input_targets(net, targeted, SALT_POISSON_TARGETS)))
    for pi in net.poisson_inputs:
        if pi.rate_hz == 0:
            continue
        pg = nest.Create("poisson_generator", params={"rate": float(pi.rate_hz)})
        if pi.whole_population:
            tgt = nodes[pi.target]
        else:
            tgt = nodes[pi.target][sorted(int(j - offs[pi.target]) for j in chosen[id(pi)][0])]
        nest.Connect(pg, tgt, "all_to_all", {"weight": float(pi.weight_pa), "delay": dt})
    for ci, (tg, gain) in zip(net.current_inputs, current_targets(net)):
        times, amps = current_schedule(ci, dt, duration_ms)
        # a generator's current reaches the neuron one connection delay after its change time:
        # connect with one step and change one step early, so it acts when the native engine's does
        times, amps = _dedupe([max(x - dt, dt) for x in times], amps)
        for j, g in zip(tg, gain):
            gen = nest.Create("step_current_generator", params={
                "amplitude_times": [float(x) for x in times],
                "amplitude_values": [float(a * g) for a in amps]})
            nest.Connect(gen, _node(net, nodes, int(j)), syn_spec={"delay": dt})
    for si, (tg, _) in zip(net.spike_inputs, input_targets(net, net.spike_inputs, SALT_SPIKE_TARGETS)):
        rows = si.times_ms if si.per_neuron() else [si.times_ms] * len(tg)
        delay = dt if si.delay_ms is None else float(si.delay_ms)
        for j, row in zip(tg, rows):
            gen = nest.Create("spike_generator", params={"spike_times": [float(t) for t in row]})
            nest.Connect(gen, _node(net, nodes, int(j)), syn_spec={"weight": float(si.weight_pa), "delay": delay})
