"""Deploy a trained spiking network on the native event-driven engine (:mod:`neurodiscovery.simulation`).

:func:`to_network` writes a :class:`~neurodiscovery.simulation.Network`: hidden and output
populations of ``iaf_psc_exp`` neurons with the training model's parameters (rest 0 mV,
threshold ``threshold_mv``, reset to rest, no refractory period, equal excitatory and inhibitory
synaptic time constants), explicit synapses carrying the trained weights (pA) with a one-step
delay, and one single-neuron relay population per input channel. A relay is driven by a
one-step current pulse at each of its input spikes, strong enough to fire it in that step, so it
re-emits the input spike train exactly. :func:`run_on_engine` simulates each sample and
returns the output spikes on the training model's step grid; :func:`export_agreement` compares
them with the torch forward pass.

The engine stores weights in float32 and integrates in float64: the comparison runs the torch
model in float64 on the same float32 weights.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError

__all__ = ["to_network", "run_on_engine", "export_agreement", "ExportAgreement"]


def _lif(cfg):
    from ..simulation import LIFParams

    return LIFParams(tau_m_ms=cfg.tau_m_ms, c_m_pf=cfg.c_m_pf, e_l_mv=0.0, v_th_mv=cfg.threshold_mv,
                     v_reset_mv=0.0, t_ref_ms=0.0, tau_syn_ex_ms=cfg.tau_syn_ms, tau_syn_in_ms=cfg.tau_syn_ms)


def _explicit(src: str, tgt: str, w: np.ndarray, dt: float, skip_diagonal: bool = False):
    from ..simulation import Connectivity, Distribution, Projection

    i, j = np.nonzero(w != 0)
    if skip_diagonal:
        keep = i != j
        i, j = i[keep], j[keep]
    conn = Connectivity("explicit", sources=i.tolist(), targets=j.tolist(),
                        weights_pa=w[i, j].astype(float).tolist(), delays_ms=[dt] * len(i))
    return Projection(src, tgt, conn, Distribution("constant", 0.0), Distribution("constant", dt))


def to_network(net, x: np.ndarray) -> object:
    """The engine description of ``net`` receiving one sample's input spikes ``x``.

    Parameters
    ----------
    net : SpikingNetwork
        Trained network.
    x : ndarray, shape (n_steps, n_inputs)
        Input spikes (0/1) of one sample.

    Returns
    -------
    neurodiscovery.simulation.Network
        Populations ``in0 .. in{n_inputs-1}`` (relays), ``hidden``, ``output``.
    """
    from ..simulation import CurrentInput, Network, Population, Recorder

    cfg = net.config
    if cfg.neuron != "iaf_psc_exp":
        raise InputError(f"only networks of the engine's iaf_psc_exp neuron export, not {cfg.neuron!r}")
    dt = float(cfg.dt_ms)
    x = np.asarray(x)
    n_in, n_h, n_out = net.sizes
    if x.ndim != 2 or x.shape[1] != n_in:
        raise InputError(f"input spikes must have shape (n_steps, {n_in}), got {x.shape}")
    lif = _lif(cfg)
    _, _, p20, _ = cfg.propagators()
    pulse_pa = 2.0 * cfg.threshold_mv / p20  # fires the relay within the step it is applied
    w_in = net.w_in.detach().numpy().astype(np.float32)
    pops, projs, currents = [], [], []
    for i in range(n_in):
        pops.append(Population(f"in{i}", 1, lif))
        steps = np.flatnonzero(x[:, i] > 0)
        if steps.size:
            times, amps = _pulse_steps(steps, dt, pulse_pa)
            currents.append(CurrentInput(f"in{i}", "steps", times_ms=times, amplitudes_pa=amps))
        projs.append(_explicit(f"in{i}", "hidden", w_in[i:i + 1], dt))
    pops += [Population("hidden", n_h, lif), Population("output", n_out, lif)]
    if net.w_rec is not None:
        projs.append(_explicit("hidden", "hidden", net.w_rec.detach().numpy().astype(np.float32), dt, True))
    projs.append(_explicit("hidden", "output", net.w_out.detach().numpy().astype(np.float32), dt))
    return Network(populations=pops, projections=projs, current_inputs=currents,
                   recorder=Recorder(spike_populations=["hidden", "output"]), dt_ms=dt, seed=0,
                   name="trained_snn", metadata={"model": "learning.SpikingNetwork export"})


def _pulse_steps(steps: np.ndarray, dt: float, amp: float) -> tuple[list, list]:
    """Step-current times/amplitudes: ``amp`` during each run of consecutive spike steps, 0 after it."""
    times, amps = [], []
    breaks = np.flatnonzero(np.diff(steps) > 1)
    starts = np.concatenate([[steps[0]], steps[breaks + 1]])
    ends = np.concatenate([steps[breaks], [steps[-1]]])
    for a, b in zip(starts.tolist(), ends.tolist()):
        times += [a * dt, (b + 1) * dt]
        amps += [amp, 0.0]
    return times, amps


def run_on_engine(net, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Simulate every sample on the native engine.

    Parameters
    ----------
    net : SpikingNetwork
        Trained network.
    X : ndarray, shape (samples, n_steps, n_inputs)
        Input spikes (0/1).

    Returns
    -------
    hidden, output : ndarray, shape (samples, n_steps, n_hidden) and (samples, n_steps, n_outputs)
        Spikes (0/1) on the model's step grid.
    synaptic_events : int
        Count of synaptic events the engine delivered (each spike times the out-degree of its
        neuron, inputs included), over all samples.
    """
    from ..simulation import simulate

    X = np.asarray(X)
    n_in, n_h, n_out = net.sizes
    dt = float(net.config.dt_ms)
    n_steps = X.shape[1]
    hid = np.zeros((len(X), n_steps, n_h), np.uint8)
    out = np.zeros((len(X), n_steps, n_out), np.uint8)
    events = 0
    for b in range(len(X)):
        nw = to_network(net, X[b])
        res = simulate(nw, duration_ms=n_steps * dt)
        outdeg = _out_degree(nw)
        events += int(sum(outdeg[f"in{i}"] * int(X[b, :, i].sum()) for i in range(n_in)))
        for name, arr in (("hidden", hid), ("output", out)):
            t, i = res.spikes_of(name)
            steps = np.rint(np.asarray(t) / dt).astype(int) - 1  # a spike of step s is stamped (s + 1) dt
            arr[b, steps, np.asarray(i, int)] = 1
            events += int(outdeg[name] if np.isscalar(outdeg[name]) else outdeg[name][np.asarray(i, int)].sum())
    return hid, out, events


def _out_degree(nw) -> dict:
    deg: dict = {p.name: (np.zeros(p.n, int) if p.n > 1 else 0) for p in nw.populations}
    for pr in nw.projections:
        src = np.asarray(pr.connectivity.sources, int)
        if np.isscalar(deg[pr.source]):
            deg[pr.source] += len(src)
        else:
            deg[pr.source] = deg[pr.source] + np.bincount(src, minlength=len(deg[pr.source]))
    return deg


@dataclass(frozen=True)
class ExportAgreement:
    """Output spikes of the engine vs the torch forward pass.

    Attributes
    ----------
    matched_output_spikes : int
        Output spikes (neuron, step) present in both.
    torch_output_spikes, engine_output_spikes : int
        Output spike counts of each.
    hidden_agreement : float
        Fraction of hidden (sample, step, neuron) entries that agree.
    synaptic_events : int
        Synaptic events delivered by the engine over all samples.
    n_samples : int
        Samples simulated.
    """

    matched_output_spikes: int
    torch_output_spikes: int
    engine_output_spikes: int
    hidden_agreement: float
    synaptic_events: int
    n_samples: int

    @property
    def fraction_reproduced(self) -> float:
        """Matched output spikes over the larger of the two counts (1.0 when neither spikes)."""
        d = max(self.torch_output_spikes, self.engine_output_spikes)
        return 1.0 if d == 0 else self.matched_output_spikes / d


def export_agreement(net, X: np.ndarray) -> ExportAgreement:
    """Run ``X`` through the torch model (float64) and the engine; count matching output spikes.

    Parameters
    ----------
    net : SpikingNetwork
        Trained network.
    X : ndarray, shape (samples, n_steps, n_inputs)
        Input spikes (0/1).

    Returns
    -------
    ExportAgreement
    """
    import torch

    from .spiking import SpikingNetwork

    f32 = [None if w is None else torch.as_tensor(w.detach().numpy().astype(np.float32)) for w in
           (net.w_in, net.w_out, net.w_rec)]
    ref = SpikingNetwork(*f32, config=net.config)
    with torch.no_grad():
        fw = ref.forward(np.asarray(X), dtype=torch.float64)
    th, to = fw.hidden.numpy().astype(np.uint8), fw.output.numpy().astype(np.uint8)
    eh, eo, events = run_on_engine(net, X)
    return ExportAgreement(int((to & eo).sum()), int(to.sum()), int(eo.sum()), float((th == eh).mean()),
                           events, len(X))
