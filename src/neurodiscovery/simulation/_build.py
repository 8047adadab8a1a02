"""Build steps "neurons", "partitions" and "delivery" of the native engine.

:class:`~.engine.NativeNetwork` calls the steps in order: neurons and partitions (here),
connection specs and synapses (:mod:`._build_synapses`), external inputs
(:mod:`._build_inputs`), delivery tables (here). Each returns named records
(:mod:`._bundles`); numerics and random streams are those of NEST's ``iaf_psc_exp`` build
(see :mod:`.engine`).
"""
from __future__ import annotations

import math

import numpy as np

from .._utils.errors import InputError
from ._bundles import SALT_INITIAL_V, Delivery, NeuronParams, NeuronState, Partitions
from .network import Network

_PARALLEL_MIN_NEURONS = 20000
_N_PARTS_PARALLEL = 8


def lif_propagators(tau_m_ms: float, c_m_pf: float, tau_syn_ms: float, dt_ms: float):
    """Exact propagators of the LIF with exponential current synapse over one step.

    Parameters
    ----------
    tau_m_ms : float
        Membrane time constant (ms).
    c_m_pf : float
        Membrane capacitance (pF).
    tau_syn_ms : float
        Synaptic current time constant (ms).
    dt_ms : float
        Time step (ms).

    Returns
    -------
    P22, P21, P20, P11 : float
        ``V <- P22 V + P21 I_syn + P20 I_e`` (mV, pA) and ``I_syn <- P11 I_syn``.
    """
    h = dt_ms
    P22 = math.exp(-h / tau_m_ms)
    P11 = math.exp(-h / tau_syn_ms)
    P20 = tau_m_ms / c_m_pf * (1.0 - P22)
    if abs(tau_m_ms - tau_syn_ms) < 1e-9 * tau_m_ms:
        # degenerate case tau_syn == tau_m: the limit of the general formula
        P21 = h / c_m_pf * P22
    else:
        # tau_s tau_m / (C (tau_m - tau_s)) (e^{-h/tau_m} - e^{-h/tau_s}), written with expm1
        # so that nearly equal time constants do not cancel catastrophically
        diff = -P22 * math.expm1(h / tau_m_ms - h / tau_syn_ms)
        P21 = tau_syn_ms * tau_m_ms / (c_m_pf * (tau_m_ms - tau_syn_ms)) * diff
    return P22, P21, P20, P11


def n_parts_for(n: int) -> int:
    """Partitions of a network of ``n`` neurons: a function of its size only, so results do
    not depend on the thread count (``NEURODISCOVERY_SIM_PARTS`` overrides the default 8)."""
    import os

    parts = int(os.environ.get("NEURODISCOVERY_SIM_PARTS", _N_PARTS_PARALLEL))
    return 1 if n < _PARALLEL_MIN_NEURONS else parts


def _delay_bound_steps(d, dt: float) -> int:
    if d.kind == "constant":
        return max(1, int(round(d.a / dt)))
    if d.kind == "normal":
        return max(1, int(round((d.a + 10.0 * d.b) / dt)))
    return max(1, int(round(d.b / dt)))


def max_delay_steps(net: Network) -> int:
    """Upper bound of the delays (steps) any synapse of ``net`` can draw."""
    dmax = 1
    for pr in net.projections:
        dmax = max(dmax, _delay_bound_steps(pr.delay, net.dt_ms))
        if pr.connectivity.rule == "explicit" and pr.connectivity.delays_ms:
            dmax = max(dmax, int(round(max(pr.connectivity.delays_ms) / net.dt_ms)))
    return dmax


def initial_potentials(net: Network) -> np.ndarray:
    """Initial membrane potentials (mV), shape (n_neurons,), drawn from ``net.seed``
    (shared by the native and NEST backends so both start from the same state)."""
    rng = np.random.default_rng([net.seed, SALT_INITIAL_V])
    out = []
    for p in net.populations:
        vi = p.v_init
        a = p.params.e_l_mv if vi.a is None else vi.a
        if vi.kind == "constant":
            out.append(np.full(p.n, float(a)))
        elif vi.kind == "normal":
            out.append(rng.normal(a, vi.b, p.n))
        else:
            out.append(rng.uniform(a, vi.b, p.n))
    return np.concatenate(out)


def _cond_row(q) -> list[float]:
    """One row of ``NeuronParams.cond`` from :class:`~.components.CondExpParams`."""
    return [q.g_l_ns, q.c_m_pf, q.e_l_mv, q.e_ex_mv, q.e_in_mv, q.tau_syn_ex_ms, q.tau_syn_in_ms,
            q.error_tol_mv]


def build_neurons(net: Network) -> tuple[NeuronParams, NeuronState, bool]:
    """Per-population propagators and thresholds, the initial state, and whether excitatory
    and inhibitory synaptic inputs need separate buffers (different time constants, or
    conductance neurons, whose inhibitory conductance has its own reversal potential)."""
    dt, pops = float(net.dt_ms), net.populations
    cond = np.array([_cond_row(p.params) + [dt] if p.model == "iaf_cond_exp" else [0.0] * 9 for p in pops])
    # conductance populations (model 1) are integrated by the RKF45 kernel, which never reads these
    # propagators; identity values keep one row per population so the arrays index by population
    lif = [p.params if p.model == "iaf_psc_exp" else None for p in pops]
    P = np.array([lif_propagators(q.tau_m_ms, q.c_m_pf, q.tau_syn_ex_ms, dt) if q else (1.0, 0, 0, 1.0)
                  for q in lif])
    Pi = np.array([lif_propagators(q.tau_m_ms, q.c_m_pf, q.tau_syn_in_ms, dt) if q else (1.0, 0, 0, 1.0)
                   for q in lif])
    el = np.array([p.params.e_l_mv for p in pops])
    el_of = np.repeat(el, [p.n for p in pops])
    prm = NeuronParams(
        P22=np.ascontiguousarray(P[:, 0]), P21ex=np.ascontiguousarray(P[:, 1]),
        P21in=np.ascontiguousarray(Pi[:, 1]), P20=np.ascontiguousarray(P[:, 2]),
        P11ex=np.ascontiguousarray(P[:, 3]), P11in=np.ascontiguousarray(Pi[:, 3]),
        th=np.array([p.params.v_th_mv for p in pops]) - el,
        vr=np.array([p.params.v_reset_mv for p in pops]) - el,
        nref=np.array([int(round(p.params.t_ref_ms / dt)) for p in pops], np.int32),
        ie=np.array([p.params.i_e_pa for p in pops]), el_of=el_of,
        model=np.array([1 if p.model == "iaf_cond_exp" else 0 for p in pops], np.int64), cond=cond)
    n = net.n_neurons
    state = NeuronState(y=initial_potentials(net) - el_of, iex=np.zeros(n), iin=np.zeros(n),
                        ref=np.zeros(n, np.int32), hint=np.full(n, dt))
    split = bool(any(p.model == "iaf_cond_exp" or p.params.tau_syn_ex_ms != p.params.tau_syn_in_ms
                     for p in pops))
    return prm, state, split


def _expected_work(net: Network) -> np.ndarray:
    """Expected work per neuron: incoming synapses (delivery) plus a constant for the update
    and Poisson draws."""
    off, size = net.offsets(), {p.name: p.n for p in net.populations}
    work = np.full(net.n_neurons, 50.0)
    for pr in net.projections:
        c, o, n = pr.connectivity, off[pr.target], size[pr.target]
        if c.rule == "pairwise_bernoulli":
            work[o:o + n] += c.p * size[pr.source]
        elif c.rule == "fixed_indegree":
            work[o:o + n] += c.k
        elif c.rule == "fixed_total_number":
            work[o:o + n] += c.n / n
        else:
            np.add.at(work, o + np.asarray(c.targets or [], np.int64), 1.0)
    return work


def build_partitions(net: Network, n_parts: int) -> Partitions:
    """Partitions balanced by expected work, cut into (population, range) segments so the
    update loop reads each population's parameters once."""
    N = net.n_neurons
    cw = np.cumsum(_expected_work(net))
    bounds = [0] + [int(np.searchsorted(cw, cw[-1] * k / n_parts)) for k in range(1, n_parts)] + [N]
    bounds = np.maximum.accumulate(np.array(bounds, np.int64))
    offsets = np.cumsum([0] + [p.n for p in net.populations[:-1]])
    segs, lo, hi = [], [], []
    for p in range(n_parts):
        lo.append(len(segs))
        for q, (o, n) in enumerate(zip(offsets, [p_.n for p_ in net.populations])):
            s0, s1 = max(bounds[p], o), min(bounds[p + 1], o + n)
            if s1 > s0:
                segs.append((q, s0, s1))
        hi.append(len(segs))
    return Partitions(bounds=bounds, seg_lo=np.array(lo, np.int64), seg_hi=np.array(hi, np.int64),
                      seg_pop=np.array(segs, np.int64).reshape(-1, 3))


def build_delivery(K, syn: np.ndarray, rowptr: np.ndarray, bounds: np.ndarray, shift: int, split: bool) -> Delivery:
    """Spikes are delivered when their delay ends: each source's row sorted by (delay,
    partition) with an offset table, and a spike history covering the longest delay drawn."""
    N, nparts, n_syn = len(rowptr) - 1, len(bounds) - 1, len(syn)
    dmask = (1 << shift) - 1
    L = (K.max_delay(syn[:, 0], dmask) if n_syn else 1) + 1
    off = np.zeros((N, L * nparts + 1), np.int32)
    if n_syn:
        max_row = int(np.diff(rowptr).max())
        if max_row >= 2**31:
            raise InputError("a neuron has 2**31 or more outgoing synapses")
        K.sort_rows_by_delay(rowptr, syn, dmask, shift, bounds, off, max_row)
    # (L, N) but only the rows' first entries are ever written: pages stay uncommitted
    return Delivery(rowptr=rowptr, off=off, syn=syn, synw=syn.view(np.float32), shift=shift,
                    inp_ex=np.zeros(N, np.float32), inp_in=np.zeros(N if split else 1, np.float32), split=split,
                    hist=np.empty((L, N), np.int32), hist_n=np.zeros(L, np.int64))
