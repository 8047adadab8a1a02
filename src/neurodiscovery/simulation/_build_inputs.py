"""Build step "inputs" of the native engine: Poisson tables, current-input targets and amplitudes."""
from __future__ import annotations

import math

import numpy as np

from ._bundles import SALT_CURRENT_TARGETS, ExternalInput
from .network import Network


def input_targets(net: Network, inputs: list, salt: int) -> list[tuple[np.ndarray, np.random.Generator]]:
    """For each input: global indices of the chosen neurons, and the random stream that chose them.

    The stream ``default_rng([seed, salt, k])`` (``seed`` the input's own or the network's)
    draws the random ``fraction`` first, so later draws from it (gains) follow the choice.
    """
    from .inputs import select_neurons

    offs = net.offsets()
    out = []
    for k, inp in enumerate(inputs):
        n = net.population(inp.target).n
        crng = np.random.default_rng([net.seed if inp.seed is None else inp.seed, salt, k])
        chosen = select_neurons(inp.neurons, n, f"input {k}")
        if chosen is not None:
            tgt = np.asarray(chosen, np.int64)
        else:
            m = max(1, int(round(inp.fraction * n)))
            tgt = np.sort(crng.choice(n, size=m, replace=False)) if m < n else np.arange(n)
        out.append((offs[inp.target] + tgt, crng))
    return out


def current_targets(net: Network) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each current input: global indices of the chosen neurons and their gains."""
    return [(tg, 1.0 + ci.amplitude_rel_sd * crng.standard_normal(len(tg)))
            for ci, (tg, crng) in zip(net.current_inputs, input_targets(net, net.current_inputs,
                                                                         SALT_CURRENT_TARGETS))]


def build_inputs(K, net: Network) -> ExternalInput:
    """Poisson inversion tables per population and the neuron-to-current-input table."""
    dt, N = float(net.dt_ms), net.n_neurons
    pp, lam, pw = [0], [], []
    for p in net.populations:
        for pi in net.poisson_inputs:
            # inputs to chosen neurons arrive as sparse arrivals (._arrivals)
            if pi.target != p.name or pi.rate_hz == 0 or not pi.whole_population:
                continue
            total = pi.rate_hz * dt * 1e-3
            # keep each table short: split large means (a sum of independent Poisson
            # variables is Poisson)
            nsplit = max(1, int(math.ceil(total / 8.0)))
            lam.extend([total / nsplit] * nsplit)
            pw.extend([pi.weight_pa] * nsplit)
        pp.append(len(lam))
    cdf, kf = _poisson_tables(np.array(lam, float))
    rows = current_targets(net)
    if rows:
        j = np.concatenate([tg for tg, _ in rows])
        order = np.argsort(j, kind="stable")
        cur_idx = np.concatenate([np.full(len(tg), k) for k, (tg, _) in enumerate(rows)])[order].astype(np.int64)
        cur_gain = np.concatenate([g for _, g in rows])[order].astype(float)
        cur_ptr = np.concatenate([[0], np.cumsum(np.bincount(j, minlength=N))]).astype(np.int64)
    else:
        cur_idx, cur_gain, cur_ptr = np.zeros(0, np.int64), np.zeros(0), np.zeros(N + 1, np.int64)
    # one random stream per neuron: draws depend on neither partitions nor threads
    return ExternalInput(pois_ptr=np.array(pp, np.int64), pois_cdf=cdf, pois_kf=kf, pois_w=np.array(pw, float),
                         rng=K.neuron_streams(int(net.seed) & (2**63 - 1), N), cur_ptr=cur_ptr, cur_idx=cur_idx,
                         cur_gain=cur_gain, curbuf=np.zeros(N))


def current_amplitudes(net: Network, s0: int, n: int) -> np.ndarray:
    """(n, n_inputs) amplitudes (pA) of the current inputs during steps ``s0 .. s0 + n``."""
    cis = net.current_inputs
    out = np.zeros((max(n, 1), max(len(cis), 1)))
    if not cis:
        return out
    t = (s0 + np.arange(n)) * net.dt_ms  # start of each step
    for k, ci in enumerate(cis):
        stop = np.inf if ci.stop_ms is None else ci.stop_ms
        on = (t >= ci.start_ms - 1e-9) & (t < stop - 1e-9)
        if ci.kind == "dc":
            a = np.where(on, ci.amplitude_pa, 0.0)
        elif ci.kind == "sine":
            ph = 2.0 * np.pi * ci.frequency_hz * (t - ci.start_ms) * 1e-3 + ci.phase_rad
            a = np.where(on, ci.amplitude_pa * np.sin(ph), 0.0)
        elif ci.kind == "pulses":
            ph = np.mod(t - ci.start_ms + 1e-9, ci.period_ms)
            a = np.where(on & (ph < ci.width_ms), ci.amplitude_pa, 0.0)
        else:
            tt = np.asarray(ci.times_ms, float)
            aa = np.asarray(ci.amplitudes_pa, float)
            i = np.searchsorted(tt, t + 1e-9, side="right") - 1
            a = np.where((i >= 0) & on, aa[np.clip(i, 0, None)], 0.0)
        out[:n, k] = a
    return out


def _poisson_tables(lams: np.ndarray, tail: float = 1e-2):
    """CDF tables (n, K) for Poisson inversion sampling, and per table the number of
    leading entries ``kf`` after which less than ``tail`` of the mass remains (the draws
    beyond them take a scalar search: rare enough not to cost, and exact).

    The CDF is computed with scipy and its last entry forced to 1 so the search always
    stops; sampling counts the entries below a uniform u (see ``_update_part``).
    """
    from scipy.stats import poisson

    if lams.size == 0:
        return np.ones((1, 1)), np.ones(1, np.int64)
    kmax = int(np.max(lams) + 12.0 * math.sqrt(np.max(lams)) + 30)
    k = np.arange(kmax + 1)
    cdf = poisson.cdf(k[None, :], lams[:, None])
    cdf[:, -1] = 1.0
    kf = np.array([min(int(np.searchsorted(c, 1.0 - tail, side="left")) + 1, kmax + 1)
                   for c in cdf], np.int64)
    return np.ascontiguousarray(cdf), kf
