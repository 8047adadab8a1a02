"""Build steps of the native engine: a validated :class:`~.network.Network` into flat arrays.

:class:`~.engine.NativeNetwork` calls them in order: neurons, partitions, connection
specs, synapses, external inputs, delivery tables, recorder. Each returns named records
(:mod:`._bundles`); numerics and random streams are those of NEST's ``iaf_psc_exp`` build
(see :mod:`.engine`).
"""
from __future__ import annotations

import math

import numpy as np

from .._utils.errors import InputError
from ._bundles import (
    SALT_CURRENT_TARGETS,
    SALT_EXPLICIT,
    SALT_INITIAL_V,
    SALT_MULTINOMIAL,
    Delivery,
    ExplicitSpec,
    ExternalInput,
    GeneratedSpec,
    NeuronParams,
    NeuronState,
    Partitions,
    WeightDelay,
)
from .network import Network

_KIND = {"constant": 0, "normal": 1, "uniform": 2}
_PARALLEL_MIN_NEURONS = 20000
_N_PARTS_PARALLEL = 8


def lif_propagators(tau_m_ms: float, c_m_pf: float, tau_syn_ms: float, dt_ms: float):
    """Exact propagators of the LIF with exponential current synapse over one step.

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


def build_neurons(net: Network) -> tuple[NeuronParams, NeuronState, bool]:
    """Per-population propagators and thresholds, the initial state, and whether excitatory
    and inhibitory synaptic currents need separate buffers (different time constants)."""
    dt, pops = float(net.dt_ms), net.populations
    P = np.array([lif_propagators(p.params.tau_m_ms, p.params.c_m_pf, p.params.tau_syn_ex_ms, dt)
                  for p in pops])
    Pi = np.array([lif_propagators(p.params.tau_m_ms, p.params.c_m_pf, p.params.tau_syn_in_ms, dt)
                   for p in pops])
    el = np.array([p.params.e_l_mv for p in pops])
    el_of = np.repeat(el, [p.n for p in pops])
    prm = NeuronParams(
        P22=np.ascontiguousarray(P[:, 0]), P21ex=np.ascontiguousarray(P[:, 1]),
        P21in=np.ascontiguousarray(Pi[:, 1]), P20=np.ascontiguousarray(P[:, 2]),
        P11ex=np.ascontiguousarray(P[:, 3]), P11in=np.ascontiguousarray(Pi[:, 3]),
        th=np.array([p.params.v_th_mv for p in pops]) - el,
        vr=np.array([p.params.v_reset_mv for p in pops]) - el,
        nref=np.array([int(round(p.params.t_ref_ms / dt)) for p in pops], np.int32),
        ie=np.array([p.params.i_e_pa for p in pops]), el_of=el_of)
    n = net.n_neurons
    state = NeuronState(y=initial_potentials(net) - el_of, iex=np.zeros(n), iin=np.zeros(n),
                        ref=np.zeros(n, np.int32))
    split = bool(any(p.params.tau_syn_ex_ms != p.params.tau_syn_in_ms for p in pops))
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


def _weight_sign(net: Network, pr) -> int:
    sg = net.population(pr.source).sign
    if sg == "excitatory":
        return 1
    if sg == "inhibitory":
        return -1
    m = pr.weight.mean
    return 1 if m > 0 else -1 if m < 0 else 0


def _explicit_spec(net: Network, i: int, pr, pre0: int, post0: int, dmax: int) -> ExplicitSpec:
    c, dt = pr.connectivity, float(net.dt_ms)
    src = pre0 + np.asarray(c.sources or [], np.int64)
    tgt = post0 + np.asarray(c.targets or [], np.int64)
    erng = np.random.default_rng([net.seed, SALT_EXPLICIT, i])
    w = (np.asarray(c.weights_pa, float) if c.weights_pa is not None
         else _draw_numpy(pr.weight, len(src), erng, _weight_sign(net, pr)))
    d = (np.rint(np.asarray(c.delays_ms, float) / dt).astype(np.int64) if c.delays_ms is not None
         else _draw_delays_numpy(pr.delay, len(src), erng, dt, dmax))
    return ExplicitSpec(src=src, tgt=tgt, w=w.astype(float), d=d.astype(np.int64))


def connection_specs(net: Network, bounds: np.ndarray, dmax: int) -> list:
    """One :class:`ExplicitSpec` or :class:`GeneratedSpec` per projection, in order."""
    off, size = net.offsets(), {p.name: p.n for p in net.populations}
    none2, none1 = np.zeros((1, 1), np.int64), np.zeros(1, np.int64)
    specs = []
    for i, pr in enumerate(net.projections):
        c = pr.connectivity
        pre0, npre, post0, npost = off[pr.source], size[pr.source], off[pr.target], size[pr.target]
        if c.rule == "explicit":
            specs.append(_explicit_spec(net, i, pr, pre0, post0, dmax))
            continue
        wd = WeightDelay(_KIND[pr.weight.kind], float(pr.weight.a), float(pr.weight.b), _weight_sign(net, pr),
                         _KIND[pr.delay.kind], float(pr.delay.a), float(pr.delay.b), i)
        geo = dict(pre0=pre0, npre=npre, post0=post0, npost=npost, autapses=bool(c.allow_autapses),
                   multapses=bool(c.allow_multapses), wd=wd)
        if c.rule == "pairwise_bernoulli":
            specs.append(GeneratedSpec("source", 0, float(c.p), split=none2, indeg=none1, **geo))
        elif c.rule == "fixed_total_number" and (c.allow_autapses or pr.source != pr.target) \
                and c.allow_multapses:
            # n uniform pairs == multinomial out-degrees, each split multinomially over the
            # target partitions, targets uniform inside: generated source-major
            trng = np.random.default_rng([net.seed, SALT_MULTINOMIAL, i])
            outdeg = trng.multinomial(int(c.n), np.full(npre, 1.0 / npre))
            lo = np.clip(bounds[:-1], post0, post0 + npost)
            hi = np.clip(bounds[1:], post0, post0 + npost)
            split = trng.multinomial(outdeg, (hi - lo) / float(npost)).astype(np.int64)  # (npre, nparts)
            specs.append(GeneratedSpec("source", 2, 0.0, split=split, indeg=none1, **geo))
        else:
            if c.rule == "fixed_indegree":
                indeg = np.full(npost, int(c.k), np.int64)
            else:
                # total number without autapses/multapses: in-degrees multinomial, then
                # sources per target (target-major)
                trng = np.random.default_rng([net.seed, SALT_MULTINOMIAL, i])
                indeg = trng.multinomial(int(c.n), np.full(npost, 1.0 / npost)).astype(np.int64)
            specs.append(GeneratedSpec("random", 1, 0.0, split=none2, indeg=indeg, **geo))
    return specs


def _connect(K, spec, fill, bounds, counts, cursor, packed, weights, shift, dt, dmax, seed):
    """Count (``fill=False``) or write the synapses of one spec (two passes regenerate the
    same connectivity from the same streams)."""
    if counts is None:
        counts = np.zeros((1, 1), np.int64)
    if isinstance(spec, ExplicitSpec):
        K.connect_explicit(fill, spec.src, spec.tgt, spec.w, spec.d, bounds, counts, cursor, packed, weights,
                           shift)
        return
    seed = int(seed) & (2**63 - 1)
    if spec.method == "source":
        if spec.rule == 2 and not fill:
            counts[:, spec.pre0:spec.pre0 + spec.npre] += spec.split.T
            return
        K.connect_source_major(fill, spec.rule, spec.param, spec.pre0, spec.npre, spec.post0, spec.npost,
                               spec.autapses, spec.split, bounds, counts, cursor, packed, weights, shift,
                               spec.wd, dt, dmax, seed)
        return
    K.connect_random(fill, spec.rule, spec.param, spec.pre0, spec.npre, spec.post0, spec.npost, spec.autapses,
                     spec.multapses, spec.indeg, bounds, counts, cursor, packed, weights, shift, spec.wd, dt, dmax,
                     seed)


def build_synapses(K, net: Network, specs: list, bounds: np.ndarray, shift: int, dmax: int):
    """One CSR row per source holding its synapses onto every partition (partition sub-rows
    in order); target and weight of a synapse share 8 contiguous bytes so delivery streams
    one array. Returns ``(syn (n_syn, 2) int32, rowptr (N + 1,) int64)``."""
    N, nparts, dt = net.n_neurons, len(bounds) - 1, float(net.dt_ms)
    counts = np.zeros((nparts, N), np.int64)
    cursor = np.zeros((nparts, N), np.int64)
    dummy_i, dummy_f = np.zeros(1, np.int32), np.zeros(1, np.float32)
    for sp in specs:
        _connect(K, sp, False, bounds, counts, cursor, dummy_i, dummy_f, shift, dt, dmax, net.seed)
    rowptr = np.zeros(N + 1, np.int64)
    np.cumsum(counts.sum(axis=0), out=rowptr[1:])
    cursor = np.empty((nparts, N), np.int64)
    cursor[0] = rowptr[:-1]
    for p in range(1, nparts):
        cursor[p] = cursor[p - 1] + counts[p - 1]
    n_syn = int(counts.sum())
    del counts
    syn = np.empty((n_syn, 2), np.int32)
    packed, weights = syn[:, 0], syn[:, 1].view(np.float32)
    for sp in specs:
        _connect(K, sp, True, bounds, None, cursor, packed, weights, shift, dt, dmax, net.seed)
    return syn, rowptr


def current_targets(net: Network) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each current input: global indices of the chosen neurons and their gains."""
    offs = net.offsets()
    out = []
    for k, ci in enumerate(net.current_inputs):
        n = net.population(ci.target).n
        crng = np.random.default_rng([net.seed, SALT_CURRENT_TARGETS, k])
        m = max(1, int(round(ci.fraction * n)))
        tgt = np.sort(crng.choice(n, size=m, replace=False)) if m < n else np.arange(n)
        gain = 1.0 + ci.amplitude_rel_sd * crng.standard_normal(m)
        out.append((offs[ci.target] + tgt, gain))
    return out


def build_inputs(K, net: Network) -> ExternalInput:
    """Poisson inversion tables per population and the neuron-to-current-input table."""
    dt, N = float(net.dt_ms), net.n_neurons
    pp, lam, pw = [0], [], []
    for p in net.populations:
        for pi in net.poisson_inputs:
            if pi.target != p.name or pi.rate_hz == 0:
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


def _draw_numpy(d, n, rng, sign):
    if d.kind == "constant":
        return np.full(n, d.a)
    out = rng.normal(d.a, d.b, n) if d.kind == "normal" else rng.uniform(d.a, d.b, n)
    for _ in range(100):
        bad = (out < 0) if sign > 0 else (out > 0) if sign < 0 else np.zeros(n, bool)
        if not bad.any():
            break
        m = int(bad.sum())
        out[bad] = rng.normal(d.a, d.b, m) if d.kind == "normal" else rng.uniform(d.a, d.b, m)
    return out


def _draw_delays_numpy(d, n, rng, dt, dmax):
    if d.kind == "constant":
        return np.full(n, int(round(d.a / dt)), np.int64)
    out = np.zeros(n, np.int64)
    todo = np.ones(n, bool)
    while todo.any():
        m = int(todo.sum())
        x = rng.normal(d.a, d.b, m) if d.kind == "normal" else rng.uniform(d.a, d.b, m)
        out[todo] = np.where(x >= dt * (1 - 1e-9), np.rint(x / dt), -1).astype(np.int64)
        todo = (out < 1) | (out > dmax)
    return out
