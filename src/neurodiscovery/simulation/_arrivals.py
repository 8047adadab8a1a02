"""Sparse external arrivals of the native engine: spike inputs and Poisson drives to chosen neurons.

Inputs that reach only some neurons do not enter the stepping kernels (whose Poisson
draws are per population, vectorised and untouched by this): their arrivals are listed
per step here, and :meth:`~.engine.NativeNetwork.run` stops the kernel before each step
that has some, adds them to that step's synaptic input buffers (where spikes of the
network arrive too) and resumes. A network without such inputs runs exactly as before.
"""
from __future__ import annotations

import numpy as np

from ._build_inputs import input_targets
from ._bundles import SALT_POISSON_DRAWS, SALT_POISSON_TARGETS, SALT_SPIKE_TARGETS
from .network import Network


class Arrivals:
    """The sparse inputs of ``net`` and, per run chunk, their (step, neuron, weight) arrivals.

    Parameters
    ----------
    net : Network
        A validated network description.
    """

    def __init__(self, net: Network):
        dt = float(net.dt_ms)
        steps, idx, w = [], [], []
        for si, (tg, _) in zip(net.spike_inputs, input_targets(net, net.spike_inputs, SALT_SPIKE_TARGETS)):
            d = 1 if si.delay_ms is None else int(round(si.delay_ms / dt))
            rows = si.times_ms if si.per_neuron() else [si.times_ms] * len(tg)
            for j, row in zip(tg, rows):
                # a spike at t (= end of step round(t/dt) - 1) acts d steps later, as a network spike
                s = np.rint(np.asarray(row, float) / dt).astype(np.int64) - 1 + d
                steps.append(s)
                idx.append(np.full(s.size, j, np.int64))
                w.append(np.full(s.size, float(si.weight_pa)))
        def cat(x, t):
            return (np.concatenate(x).astype(t) if x else np.zeros(0, t))
        s, i, ww = cat(steps, np.int64), cat(idx, np.int64), cat(w, float)
        order = np.argsort(s, kind="stable")
        self.spike_steps, self.spike_idx, self.spike_w = s[order], i[order], ww[order]
        self.poisson = []
        targeted = [pi for pi in net.poisson_inputs if not pi.whole_population]
        for k, (pi, (tg, _)) in enumerate(zip(targeted, input_targets(net, targeted, SALT_POISSON_TARGETS))):
            if pi.rate_hz > 0:
                rng = np.random.default_rng([int(net.seed), SALT_POISSON_DRAWS, k])
                self.poisson.append((tg, pi.rate_hz * dt * 1e-3, float(pi.weight_pa), rng))

    @property
    def empty(self) -> bool:
        """True when the network has no sparse inputs."""
        return self.spike_steps.size == 0 and not self.poisson

    @property
    def last_spike_step(self) -> int:
        """Step of the last spike-input arrival (-1 if none)."""
        return int(self.spike_steps[-1]) if self.spike_steps.size else -1

    def chunk(self, s0: int, s1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Arrivals during steps ``[s0, s1)`` sorted by step: steps, global neuron indices, weights (pA).

        Poisson counts are drawn here, chunk by chunk, from one stream per input in step
        order, so they do not depend on how a run is cut into chunks.
        """
        a, b = np.searchsorted(self.spike_steps, [s0, s1])
        steps, idx, w = [self.spike_steps[a:b]], [self.spike_idx[a:b]], [self.spike_w[a:b]]
        for tg, lam, wt, rng in self.poisson:
            c = rng.poisson(lam, size=(s1 - s0, tg.size))
            r, col = np.nonzero(c)
            steps.append(s0 + r)
            idx.append(tg[col])
            w.append(c[r, col] * wt)
        s, i, ww = np.concatenate(steps), np.concatenate(idx), np.concatenate(w)
        order = np.argsort(s, kind="stable")
        return s[order], i[order], ww[order]


def add_arrivals(inp_ex: np.ndarray, inp_in: np.ndarray, split: bool, idx: np.ndarray, w: np.ndarray) -> None:
    """Add one step's arrivals to the synaptic input buffers (inhibitory ones apart when ``split``)."""
    w32 = w.astype(np.float32)
    if split:
        neg = w32 < 0
        np.add.at(inp_in, idx[neg], w32[neg])
        np.add.at(inp_ex, idx[~neg], w32[~neg])
    else:
        np.add.at(inp_ex, idx, w32)
