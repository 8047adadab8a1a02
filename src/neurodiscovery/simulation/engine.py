"""Native engine: build a :class:`~.network.Network` into flat arrays and run it with numba.

Numerics follow NEST's ``iaf_psc_exp`` exactly: the linear subthreshold dynamics are
integrated with exact exponential propagators (no Euler error), a spike emitted in step
``s`` with delay ``d`` steps is added to the synaptic current in step ``s + d``, and a
neuron that fires is clamped at reset for ``round(t_ref / dt)`` steps.

Memory: one synapse costs 8 bytes (int32 holding ``target << bits | delay_steps`` and a
float32 weight in pA), stored in one CSR table by source whose rows are sorted by
(delay, target partition); a table of group offsets costs 4 bytes per
(neuron, delay step, partition).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from .._utils.errors import InputError
from .network import Network, available_memory_bytes, estimate_memory_bytes

__all__ = ["NativeNetwork", "SimulationResult", "build", "simulate", "lif_propagators"]

_PARALLEL_MIN_NEURONS = 20000
_N_PARTS_PARALLEL = 8
_KIND = {"constant": 0, "normal": 1, "uniform": 2}


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


@dataclass
class SimulationResult:
    """Output of a simulation (native or NEST).

    Attributes
    ----------
    spike_times_ms : ndarray (n_spikes,)
        Spike times (ms, end of the step in which threshold was crossed, as in NEST).
    spike_senders : ndarray (n_spikes,) int
        Global neuron index of each spike (populations are contiguous, see ``offsets``).
    population_names, offsets, sizes : list
        Population layout: neurons ``offsets[i] : offsets[i] + sizes[i]`` belong to
        ``population_names[i]``.
    recorded : dict name -> int
        Number of neurons (the first ones of each population) whose spikes were recorded.
    t_start_ms, t_stop_ms : float
        Simulated interval.
    state_times_ms : ndarray (n_samples,)
    state_neurons : ndarray (n_rec,) int
        Global indices of sampled neurons.
    v_mv, i_ex_pa, i_in_pa : ndarray (n_samples, n_rec)
        Sampled membrane potential and synaptic currents (time-major).
    info : dict
        Timings (``build_s``, ``run_s``), synapse count, memory, backend.
    """

    spike_times_ms: np.ndarray
    spike_senders: np.ndarray
    population_names: list
    offsets: list
    sizes: list
    recorded: dict
    t_start_ms: float
    t_stop_ms: float
    state_times_ms: np.ndarray = field(default_factory=lambda: np.zeros(0))
    state_neurons: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    v_mv: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    i_ex_pa: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    i_in_pa: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    info: dict = field(default_factory=dict)

    @property
    def duration_ms(self) -> float:
        return self.t_stop_ms - self.t_start_ms

    def population_slice(self, name: str) -> slice:
        if name not in self.population_names:
            raise InputError(f"unknown population {name!r}; populations are "
                             f"{self.population_names}")
        i = self.population_names.index(name)
        return slice(self.offsets[i], self.offsets[i] + self.sizes[i])

    def spikes_of(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Spike times (ms) and local neuron indices of population ``name``."""
        sl = self.population_slice(name)
        m = (self.spike_senders >= sl.start) & (self.spike_senders < sl.stop)
        return self.spike_times_ms[m], self.spike_senders[m] - sl.start


def _n_parts_for(n: int) -> int:
    # a function of the network size only, so results do not depend on the thread count
    import os

    parts = int(os.environ.get("NEURODISCOVERY_SIM_PARTS", _N_PARTS_PARALLEL))
    return 1 if n < _PARALLEL_MIN_NEURONS else parts


def _delay_bound_steps(d, dt: float) -> int:
    if d.kind == "constant":
        return max(1, int(round(d.a / dt)))
    if d.kind == "normal":
        return max(1, int(round((d.a + 10.0 * d.b) / dt)))
    return max(1, int(round(d.b / dt)))


def _max_delay_steps(net: Network) -> int:
    """Upper bound of the delays (steps) any synapse of ``net`` can draw."""
    dmax = 1
    for pr in net.projections:
        dmax = max(dmax, _delay_bound_steps(pr.delay, net.dt_ms))
        if pr.connectivity.rule == "explicit" and pr.connectivity.delays_ms:
            dmax = max(dmax, int(round(max(pr.connectivity.delays_ms) / net.dt_ms)))
    return dmax


class NativeNetwork:
    """A network built for the native engine; call :meth:`run` (repeatedly) to simulate.

    Parameters
    ----------
    net : Network
        Description (validated here).
    n_threads : int, optional
        numba threads to use (default: all numba threads). Threads meet once per time
        step; on a dedicated machine ``OMP_WAIT_POLICY=active`` in the environment (set
        before the first simulation; ``neurodiscovery simulate`` does) keeps them spinning
        instead of sleeping between steps, ~25 % faster for the full microcircuit.
    max_memory_bytes : int, optional
        Refuse to build when the estimated memory exceeds this (default: available RAM).
    parallel : bool, optional
        Force the multi-threaded (True) or single-threaded (False) kernel. Default: threads
        if ``n_threads > 1`` was given, else only while a core is idle (see
        :meth:`_use_parallel`). Results are identical either way.
    """

    def __init__(self, net: Network, n_threads: int | None = None,
                 max_memory_bytes: int | None = None, verbose: bool = False,
                 parallel: bool | None = None):
        t0 = time.perf_counter()
        # None: decide at run time from the machine load; True/False: force
        self.parallel = parallel if parallel is not None else (
            True if n_threads is not None and int(n_threads) > 1 else None)
        net.validate()
        self.net = net
        est = estimate_memory_bytes(net, n_parts=_n_parts_for(net.n_neurons),
                                    ring_slots=_max_delay_steps(net) + 1)
        limit = available_memory_bytes() if max_memory_bytes is None else int(max_memory_bytes)
        if est > limit:
            raise InputError(f"network needs an estimated {est / 2**30:.2f} GiB but only "
                             f"{limit / 2**30:.2f} GiB are available; reduce the scale or run "
                             "with the NEST backend on a cluster")
        import os

        # threads that spin at the per-step barrier steal the CPU from the thread doing
        # the work when the machine is shared; sleeping waiters cost ~10 us per step instead
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        from numba import get_num_threads, set_num_threads

        from . import _kernels as K

        self._K = K
        if n_threads is not None:
            if int(n_threads) < 1:
                raise InputError(f"n_threads must be >= 1, got {n_threads}")
            set_num_threads(min(int(n_threads), _max_threads()))
        self.n_threads = get_num_threads()
        dt = float(net.dt_ms)
        self.dt_ms = dt
        pops = net.populations
        self.names = [p.name for p in pops]
        self.sizes = [p.n for p in pops]
        self.offsets = list(np.cumsum([0] + self.sizes[:-1]).astype(int))
        off = dict(zip(self.names, self.offsets))
        pidx = {nm: i for i, nm in enumerate(self.names)}
        N = net.n_neurons
        self.N = N

        # ---------------------------------------------------------------- neurons
        P = np.array([lif_propagators(p.params.tau_m_ms, p.params.c_m_pf,
                                      p.params.tau_syn_ex_ms, dt) for p in pops])
        Pi = np.array([lif_propagators(p.params.tau_m_ms, p.params.c_m_pf,
                                       p.params.tau_syn_in_ms, dt) for p in pops])
        self.P22, self.P21ex, self.P20, self.P11ex = (np.ascontiguousarray(P[:, i]) for i in range(4))
        self.P21in, self.P11in = np.ascontiguousarray(Pi[:, 1]), np.ascontiguousarray(Pi[:, 3])
        self.el = np.array([p.params.e_l_mv for p in pops])
        self.th = np.array([p.params.v_th_mv for p in pops]) - self.el
        self.vr = np.array([p.params.v_reset_mv for p in pops]) - self.el
        self.nref = np.array([int(round(p.params.t_ref_ms / dt)) for p in pops], np.int32)
        self.ie = np.array([p.params.i_e_pa for p in pops])
        self.split = bool(any(p.params.tau_syn_ex_ms != p.params.tau_syn_in_ms for p in pops))
        self.el_of = np.repeat(self.el, self.sizes)
        y = initial_potentials(net) - self.el_of
        self.y = y
        self.iex = np.zeros(N)
        self.iin = np.zeros(N)
        self.ref = np.zeros(N, np.int32)

        # ---------------------------------------------------------------- partitions
        nparts = _n_parts_for(N)
        self.n_parts = nparts
        # balance partitions by expected work per neuron: incoming synapses (delivery) plus
        # a constant for the update and Poisson draws
        work = np.full(N, 50.0)
        for pr in net.projections:
            c, o, n = pr.connectivity, off[pr.target], self.sizes[pidx[pr.target]]
            npre = self.sizes[pidx[pr.source]]
            if c.rule == "pairwise_bernoulli":
                work[o:o + n] += c.p * npre
            elif c.rule == "fixed_indegree":
                work[o:o + n] += c.k
            elif c.rule == "fixed_total_number":
                work[o:o + n] += c.n / n
            else:
                np.add.at(work, o + np.asarray(c.targets or [], np.int64), 1.0)
        cw = np.cumsum(work)
        bounds = [0] + [int(np.searchsorted(cw, cw[-1] * k / nparts)) for k in range(1, nparts)] + [N]
        self.part_bounds = np.maximum.accumulate(np.array(bounds, np.int64))
        # segments = (population, range) pieces of each partition, so the update loop reads
        # each population's parameters once
        segs, lo_, hi_ = [], [], []
        for p in range(nparts):
            lo_.append(len(segs))
            a, b = self.part_bounds[p], self.part_bounds[p + 1]
            for q, (o, n) in enumerate(zip(self.offsets, self.sizes)):
                s0, s1 = max(a, o), min(b, o + n)
                if s1 > s0:
                    segs.append((q, s0, s1))
            hi_.append(len(segs))
        self.seg_pop = np.array(segs, np.int64).reshape(-1, 3)
        self.seg_lo = np.array(lo_, np.int64)
        self.seg_hi = np.array(hi_, np.int64)

        # ---------------------------------------------------------------- synapses
        dmax = _max_delay_steps(net)
        shift = max(1, int(dmax).bit_length())
        if (N << shift) >= 2**31:
            raise InputError(f"{N} neurons with delays up to {dmax} steps do not fit the "
                             "packed 32-bit synapse format; shorten the maximum delay")
        self.shift, self.dmask, self.dmax = shift, (1 << shift) - 1, dmax
        counts = np.zeros((nparts, N), np.int64)
        specs = []
        for i, pr in enumerate(net.projections):
            c = pr.connectivity
            pre0, npre = off[pr.source], self.sizes[pidx[pr.source]]
            post0, npost = off[pr.target], self.sizes[pidx[pr.target]]
            wmean = pr.weight.mean
            sg = net.population(pr.source).sign
            wsign = 1 if sg == "excitatory" else -1 if sg == "inhibitory" else \
                (1 if wmean > 0 else -1 if wmean < 0 else 0)
            if c.rule == "explicit":
                src = pre0 + np.asarray(c.sources or [], np.int64)
                tgt = post0 + np.asarray(c.targets or [], np.int64)
                erng = np.random.default_rng([net.seed, 11, i])
                if c.weights_pa is not None:
                    w = np.asarray(c.weights_pa, float)
                else:
                    w = _draw_numpy(pr.weight, len(src), erng, wsign)
                if c.delays_ms is not None:
                    d = np.rint(np.asarray(c.delays_ms, float) / dt).astype(np.int64)
                else:
                    d = _draw_delays_numpy(pr.delay, len(src), erng, dt, dmax)
                specs.append(("explicit", src, tgt, w, d))
                continue
            wd = (_KIND[pr.weight.kind], float(pr.weight.a), float(pr.weight.b), wsign,
                  _KIND[pr.delay.kind], float(pr.delay.a), float(pr.delay.b), i)
            same = pr.source == pr.target
            if c.rule == "pairwise_bernoulli":
                specs.append(("source", 0, float(c.p), pre0, npre, post0, npost,
                              bool(c.allow_autapses), np.zeros((1, 1), np.int64)) + wd)
                continue
            if c.rule == "fixed_total_number" and (c.allow_autapses or not same) \
                    and c.allow_multapses:
                # n uniform pairs == multinomial out-degrees, each split multinomially over
                # the target partitions, targets uniform inside: generated source-major
                trng = np.random.default_rng([net.seed, 13, i])
                outdeg = trng.multinomial(int(c.n), np.full(npre, 1.0 / npre))
                lo = np.clip(self.part_bounds[:-1], post0, post0 + npost)
                hi = np.clip(self.part_bounds[1:], post0, post0 + npost)
                pv = (hi - lo) / float(npost)
                split = trng.multinomial(outdeg, pv).astype(np.int64)  # (npre, nparts)
                specs.append(("source", 2, 0.0, pre0, npre, post0, npost,
                              bool(c.allow_autapses), split) + wd)
                continue
            if c.rule == "fixed_indegree":
                indeg = np.full(npost, int(c.k), np.int64)
            else:
                # total number without autapses/multapses: in-degrees multinomial, then
                # sources per target (target-major)
                trng = np.random.default_rng([net.seed, 13, i])
                indeg = trng.multinomial(int(c.n), np.full(npost, 1.0 / npost)).astype(np.int64)
            specs.append(("random", 1, 0.0, pre0, npre, post0, npost,
                          bool(c.allow_autapses), bool(c.allow_multapses), indeg) + wd)
        dummy_i = np.zeros(1, np.int32)
        dummy_f = np.zeros(1, np.float32)
        cursor = np.zeros((nparts, N), np.int64)
        for sp in specs:
            self._connect(sp, False, counts, cursor, dummy_i, dummy_f, dt, net.seed)
        n_syn = int(counts.sum())
        # one CSR row per source holding its synapses onto every partition (partition
        # sub-rows in order); target and weight of a synapse share 8 contiguous bytes so
        # delivery streams one array
        rowptr = np.zeros(N + 1, np.int64)
        np.cumsum(counts.sum(axis=0), out=rowptr[1:])
        cursor = np.empty((nparts, N), np.int64)
        cursor[0] = rowptr[:-1]
        for p in range(1, nparts):
            cursor[p] = cursor[p - 1] + counts[p - 1]
        del counts
        self.syn = np.empty((n_syn, 2), np.int32)
        self.packed = self.syn[:, 0]
        self.weights = self.syn[:, 1].view(np.float32)
        for sp in specs:
            self._connect(sp, True, None, cursor, self.packed, self.weights, dt, net.seed)
        del cursor
        self.rowptr = rowptr
        self.n_synapses = n_syn

        # ---------------------------------------------------------------- inputs
        pp, lam, pw = [0], [], []
        for q, nm in enumerate(self.names):
            for pi in net.poisson_inputs:
                if pi.target != nm or pi.rate_hz == 0:
                    continue
                total = pi.rate_hz * dt * 1e-3
                # keep each table short: split large means (a sum of independent Poisson
                # variables is Poisson)
                nsplit = max(1, int(math.ceil(total / 8.0)))
                for _ in range(nsplit):
                    lam.append(total / nsplit)
                    pw.append(pi.weight_pa)
            pp.append(len(lam))
        self.pois_ptr = np.array(pp, np.int64)
        # pois_kf: per table, the number of CDF entries summed in vector form
        self.pois_cdf, self.pois_kf = _poisson_tables(np.array(lam, float))
        self.pois_w = np.array(pw, float)
        # one random stream per neuron: draws depend on neither partitions nor threads
        self.rng = K.neuron_streams(int(net.seed) & (2**63 - 1), N)
        rows_j, rows_k, rows_g = [], [], []
        for k, (tg, gain) in enumerate(current_targets(net)):
            rows_j.append(tg)
            rows_k.append(np.full(len(tg), k))
            rows_g.append(gain)
        if rows_j:
            j = np.concatenate(rows_j)
            order = np.argsort(j, kind="stable")
            self.cur_idx = np.concatenate(rows_k)[order].astype(np.int64)
            self.cur_gain = np.concatenate(rows_g)[order].astype(float)
            self.cur_ptr = np.concatenate([[0], np.cumsum(np.bincount(j, minlength=N))]).astype(np.int64)
        else:
            self.cur_idx = np.zeros(0, np.int64)
            self.cur_gain = np.zeros(0)
            self.cur_ptr = np.zeros(N + 1, np.int64)

        # ---------------------------------------------------------------- delivery tables
        # spikes are delivered when their delay ends: each source's row is sorted by
        # (delay, partition) with an offset table, and a spike history covers the longest
        # delay actually drawn
        L = (K.max_delay(self.packed, self.dmask) if n_syn else 1) + 1
        self.syn_off = np.zeros((N, L * nparts + 1), np.int32)
        if n_syn:
            max_row = int(np.diff(rowptr).max())
            if max_row >= 2**31:
                raise InputError("a neuron has 2**31 or more outgoing synapses")
            K.sort_rows_by_delay(rowptr, self.syn, self.dmask, self.shift, self.part_bounds,
                                 self.syn_off, max_row)
        self.synw = self.syn.view(np.float32)
        self.inp_ex = np.zeros(N, np.float32)
        self.inp_in = np.zeros(N if self.split else 1, np.float32)
        # (L, N) but only the rows' first entries are ever written: pages stay uncommitted
        self.hist = np.empty((L, N), np.int32)
        self.hist_n = np.zeros(L, np.int64)
        self.curbuf = np.zeros(N)
        self.out_spk = np.zeros((nparts, int(np.max(np.diff(self.part_bounds))) or 1), np.int64)
        self.out_n = np.zeros(nparts, np.int64)
        self.scratch = np.zeros((nparts, 2, K._CHUNK))  # per-partition Poisson work space
        r = net.recorder
        rec_pops = r.spike_populations if r.spike_populations is not None else self.names
        self.rec_mask = np.zeros(N, np.bool_)
        self.recorded = {}
        for nm in self.names:
            if nm in rec_pops:
                q = pidx[nm]
                m = int(math.ceil(r.spike_fraction * self.sizes[q]))
                self.rec_mask[self.offsets[q]:self.offsets[q] + m] = True
                self.recorded[nm] = m
            else:
                self.recorded[nm] = 0
        st = []
        for nm, idx in r.state_neurons.items():
            st.extend(off[nm] + int(i) for i in idx)
        self.st_idx = np.array(st, np.int64)
        self.st_every = max(1, int(round(r.state_interval_ms / dt))) if st else 1
        self.step = 0
        self._parallel_checked = None
        self._load_kernels()
        self.build_s = time.perf_counter() - t0
        self.memory_bytes = int(self.syn.nbytes + self.rowptr.nbytes + self.syn_off.nbytes
                                + self.inp_ex.nbytes + self.inp_in.nbytes + 8 * 8 * N)
        if verbose:
            print(f"built {N} neurons, {n_syn} synapses in {self.build_s:.1f} s")

    def _connect(self, sp, fill, counts, cursor, packed, weights, dt, seed):
        K = self._K
        if counts is None:
            counts = np.zeros((1, 1), np.int64)
        if sp[0] == "explicit":
            _, src, tgt, w, d = sp
            K.connect_explicit(fill, src, tgt, w.astype(float), d.astype(np.int64),
                               self.part_bounds, counts, cursor, packed, weights, self.shift)
            return
        if sp[0] == "source":
            (_, rule, param, pre0, npre, post0, npost, aut, split,
             wk, wa, wb, wsign, dk, da, db, i) = sp
            if rule == 2 and not fill:
                counts[:, pre0:pre0 + npre] += split.T
                return
            K.connect_source_major(fill, rule, param, pre0, npre, post0, npost, aut, split,
                                   self.part_bounds, counts, cursor, packed, weights,
                                   self.shift, wk, wa, wb, wsign, dk, da, db, dt, self.dmax,
                                   int(seed) & (2**63 - 1), i)
            return
        (_, rule, param, pre0, npre, post0, npost, aut, mult, indeg,
         wk, wa, wb, wsign, dk, da, db, i) = sp
        K.connect_random(fill, rule, param, pre0, npre, post0, npost, aut, mult, indeg,
                         self.part_bounds, counts, cursor, packed, weights, self.shift,
                         wk, wa, wb, wsign, dk, da, db, dt, self.dmax, int(seed) & (2**63 - 1),
                         i)

    def connections(self):
        """All synapses as flat arrays (for inspection and tests; allocates 24 B/synapse).

        Returns
        -------
        sources, targets : ndarray (n_synapses,) int64
            Global neuron indices.
        weights_pa : ndarray (n_synapses,) float32
        delays_ms : ndarray (n_synapses,) float64
        """
        src = np.repeat(np.arange(self.N), np.diff(self.rowptr))
        tgt = (self.packed >> self.shift).astype(np.int64)
        d = (self.packed & self.dmask).astype(np.int64) * self.dt_ms
        return src, tgt, self.weights.copy(), d

    # -------------------------------------------------------------------------- running
    def _use_parallel(self) -> bool:
        """Threads synchronise once per time step (10,000 times per biological second). That
        pays on idle cores but costs more than it gains when other processes compete for
        them (measured here: 51 vs 27 s per biological second for the full microcircuit on
        a loaded 2-core machine), so unless threads were requested explicitly they are used
        only while a core is free for each thread beyond this one. Results do not depend on
        this."""
        if self.n_parts == 1 or self.n_threads == 1:
            return False
        if self.parallel is not None:
            return bool(self.parallel)
        now = time.monotonic()
        if self._parallel_checked is not None and now - self._parallel_checked[0] < 1.0:
            return self._parallel_checked[1]  # back-to-back short runs: reuse the last look
        busy = _other_runnable_processes()
        use = True if busy is None else busy <= _max_threads_available() - self.n_threads
        self._parallel_checked = (now, use)
        return use

    def _call(self, runner, s0, s1, s_chunk0, amp, rec_t, rec_i, n_rec, st_y, st_e, st_i, n_st):
        return runner(s0, s1, s_chunk0, self.part_bounds, self.seg_lo, self.seg_hi,
                      self.seg_pop, self.y, self.iex, self.iin, self.ref,
                      self.P22, self.P21ex, self.P21in, self.P20, self.P11ex,
                      self.P11in, self.th, self.vr, self.nref, self.ie,
                      self.pois_ptr, self.pois_cdf, self.pois_kf, self.pois_w,
                      self.rng, self.cur_ptr, self.cur_idx, self.cur_gain, amp,
                      self.curbuf,
                      self.rowptr, self.syn_off, self.syn, self.synw,
                      self.shift, self.inp_ex, self.inp_in, self.split,
                      self.hist, self.hist_n, self.out_spk, self.out_n,
                      self.rec_mask, rec_t, rec_i, n_rec, self.st_idx,
                      self.st_every, st_y, st_e, st_i, n_st, self.el_of,
                      self.n_threads, self.scratch)

    def _load_kernels(self) -> None:
        """Load (or compile, on the very first use) the stepping kernels with a run of zero
        steps, so that loading is part of the build and ``run_s`` is simulation only."""
        amp = self._current_amplitudes(0, 1)
        e = np.empty(1, np.int64)
        st = np.zeros((1, self.st_idx.size))
        runners = [self._K.run_serial] + ([self._K.run_parallel] if self.n_parts > 1 else [])
        for runner in runners:
            self._call(runner, 0, 0, 0, amp, e, e.copy(), np.zeros(1, np.int64), st, st.copy(),
                       st.copy(), np.zeros(1, np.int64))

    def _current_amplitudes(self, s0: int, n: int) -> np.ndarray:
        return current_amplitudes(self.net, s0, n)

    def run(self, duration_ms: float, progress: bool = False,
            chunk_ms: float | None = None) -> SimulationResult:
        """Simulate ``duration_ms`` more milliseconds; returns spikes and states of this run.

        Parameters
        ----------
        duration_ms : float
            Biological time to simulate (multiple of ``dt_ms``).
        progress : bool
            Show a tqdm progress bar in biological time.
        chunk_ms : float, optional
            Biological time per kernel call (progress granularity); default 100 ms.
        """
        K = self._K
        n_steps = self.net.steps(duration_ms)
        if n_steps == 0:
            raise InputError("duration_ms must be at least one time step")
        dt = self.dt_ms
        chunk = max(1, int(round((chunk_ms or 100.0) / dt)))
        runner = K.run_parallel if self._use_parallel() else K.run_serial
        n_rec_neurons = int(self.rec_mask.sum())
        cap = int(n_rec_neurons * duration_ms * 1e-3 * 20.0) + self.N + 1024
        rec_t = np.empty(cap, np.int64)
        rec_i = np.empty(cap, np.int64)
        n_rec = np.zeros(1, np.int64)
        n_samples = n_steps // self.st_every + 1 if self.st_idx.size else 0
        st_y = np.zeros((n_samples, self.st_idx.size))
        st_e = np.zeros_like(st_y)
        st_i = np.zeros_like(st_y)
        n_st = np.zeros(1, np.int64)
        s_start, s_end = self.step, self.step + n_steps
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=round(duration_ms, 6), unit="ms", desc="simulating (biological time)")
        t0 = time.perf_counter()
        s = s_start
        try:
            while s < s_end:
                s1 = min(s + chunk, s_end)
                amp = self._current_amplitudes(s, s1 - s)
                done = s
                while done < s1:
                    done = self._call(runner, done, s1, s, amp, rec_t, rec_i, n_rec,
                                      st_y, st_e, st_i, n_st)
                    if done < s1:  # spike buffer full: grow and resume
                        rec_t = np.concatenate([rec_t, np.empty_like(rec_t)])
                        rec_i = np.concatenate([rec_i, np.empty_like(rec_i)])
                if bar is not None:
                    bar.update(round((s1 - s) * dt, 6))
                s = s1
        finally:
            if bar is not None:
                bar.close()
            self.step = s
        run_s = time.perf_counter() - t0
        nr = int(n_rec[0])
        ns = int(n_st[0])
        return SimulationResult(
            spike_times_ms=(rec_t[:nr] + 1) * dt,
            spike_senders=rec_i[:nr].copy(),
            population_names=list(self.names), offsets=[int(o) for o in self.offsets],
            sizes=list(self.sizes), recorded=dict(self.recorded),
            t_start_ms=s_start * dt, t_stop_ms=s_end * dt,
            state_times_ms=(np.arange(ns) + 1) * self.st_every * dt + s_start * dt,
            state_neurons=self.st_idx.copy(), v_mv=st_y[:ns], i_ex_pa=st_e[:ns],
            i_in_pa=st_i[:ns],
            info={"backend": "native", "build_s": self.build_s, "run_s": run_s,
                  "n_neurons": self.N, "n_synapses": self.n_synapses,
                  "n_threads": self.n_threads, "n_parts": self.n_parts,
                  "parallel_kernel": runner is K.run_parallel,
                  "engine_memory_bytes": self.memory_bytes,
                  "s_per_biological_s": run_s / (n_steps * dt * 1e-3)})


def initial_potentials(net: Network) -> np.ndarray:
    """Initial membrane potentials (mV), shape (n_neurons,), drawn from ``net.seed``
    (shared by the native and NEST backends so both start from the same state)."""
    rng = np.random.default_rng([net.seed, 7])
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


def current_targets(net: Network) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each current input: global indices of the chosen neurons and their gains."""
    offs = net.offsets()
    out = []
    for k, ci in enumerate(net.current_inputs):
        n = net.population(ci.target).n
        crng = np.random.default_rng([net.seed, 17, k])
        m = max(1, int(round(ci.fraction * n)))
        tgt = np.sort(crng.choice(n, size=m, replace=False)) if m < n else np.arange(n)
        gain = 1.0 + ci.amplitude_rel_sd * crng.standard_normal(m)
        out.append((offs[ci.target] + tgt, gain))
    return out


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


def _other_runnable_processes(samples: int = 5, interval_s: float = 0.005) -> float | None:
    """Threads of other processes ready to run right now (median of a few samples of
    ``/proc/loadavg``'s running count minus this process's running threads, which include
    spinning OpenMP workers), or None where /proc does not exist. An instantaneous count,
    unlike the one-minute load average, is not inflated by work that has just finished."""
    import glob

    counts = []
    for i in range(samples):
        try:
            with open("/proc/loadavg") as fh:
                running = int(fh.read().split()[3].split("/")[0])
        except (OSError, ValueError, IndexError):
            return None
        own = 0
        for stat in glob.glob("/proc/self/task/*/stat"):
            try:
                with open(stat) as fh:
                    # state is the field after the parenthesised command name
                    own += fh.read().rsplit(")", 1)[1].split()[0] == "R"
            except (OSError, IndexError):
                pass
        counts.append(max(running - max(own, 1), 0))
        if i + 1 < samples:
            time.sleep(interval_s)
    return float(np.median(counts))


def _max_threads_available() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


def _max_threads() -> int:
    from numba import config

    return int(config.NUMBA_NUM_THREADS)


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


def build(net: Network, n_threads: int | None = None,
          max_memory_bytes: int | None = None) -> NativeNetwork:
    """Build ``net`` for the native engine (connectivity, state, inputs)."""
    return NativeNetwork(net, n_threads=n_threads, max_memory_bytes=max_memory_bytes)


def simulate(net: Network, duration_ms: float, progress: bool = False,
             n_threads: int | None = None, max_memory_bytes: int | None = None) -> SimulationResult:
    """Build and run ``net`` for ``duration_ms`` with the native engine.

    Parameters
    ----------
    net : Network
    duration_ms : float
        Biological time (ms), a multiple of ``net.dt_ms``.
    progress : bool
        tqdm progress bar in biological time.
    n_threads : int, optional
    max_memory_bytes : int, optional
        Refuse networks whose estimated memory is larger (default: available RAM).

    Returns
    -------
    SimulationResult
    """
    nn = build(net, n_threads=n_threads, max_memory_bytes=max_memory_bytes)
    return nn.run(duration_ms, progress=progress)
