"""Native engine: build a :class:`~.network.Network` into flat arrays and run it with numba.

Numerics follow NEST's ``iaf_psc_exp`` exactly: the linear subthreshold dynamics are
integrated with exact exponential propagators (no Euler error), a spike emitted in step
``s`` with delay ``d`` steps is added to the synaptic current in step ``s + d``, and a
neuron that fires is clamped at reset for ``round(t_ref / dt)`` steps.

The build (``_build*.py``) produces named bundles (``_bundles.py``) that the stepping
kernels (``_kernels.py``) read.

Memory: one synapse costs 8 bytes (int32 holding ``target << bits | delay_steps`` and a
float32 weight in pA), stored in one CSR table by source whose rows are sorted by
(delay, target partition); a table of group offsets costs 4 bytes per
(neuron, delay step, partition).
"""
from __future__ import annotations

import math
import time

import numpy as np

from .._utils.errors import InputError
from ._arrivals import Arrivals, add_arrivals
from ._build import (
    build_delivery,
    build_neurons,
    build_partitions,
    initial_potentials,
    lif_propagators,
    max_delay_steps,
    n_parts_for,
)
from ._build_inputs import build_inputs, current_amplitudes, current_targets
from ._build_synapses import build_synapses, connection_specs
from ._bundles import RunRecord, StepBuffers
from ._interventions import InterventionMixin
from ._plastic import build_plastic, grow_history
from ._threads import _max_threads, _max_threads_available, _other_runnable_processes, choose_threading_layer
from .network import Network, available_memory_bytes, estimate_memory_bytes
from .result import SimulationResult, synaptic_state

__all__ = ["NativeNetwork", "SimulationResult", "build", "simulate", "lif_propagators", "initial_potentials",
           "current_targets", "current_amplitudes"]


def _check_memory(net: Network, max_memory_bytes: int | None) -> None:
    est = estimate_memory_bytes(net, n_parts=n_parts_for(net.n_neurons), ring_slots=max_delay_steps(net) + 1)
    limit = available_memory_bytes() if max_memory_bytes is None else int(max_memory_bytes)
    if est > limit:
        raise InputError(f"network needs an estimated {est / 2**30:.2f} GiB but only "
                         f"{limit / 2**30:.2f} GiB are available; reduce the scale or run "
                         "with the NEST backend on a cluster")


class NativeNetwork(InterventionMixin):
    """A network built for the native engine; call :meth:`run` (repeatedly) to simulate.

    Parameters
    ----------
    net : Network
        Description (validated here).
    n_threads : int, optional
        numba threads to use (default: all numba threads). Threads meet once per time
        step. The library never changes the process environment: on a dedicated machine
        ``OMP_WAIT_POLICY=active`` (set before the first simulation; the ``neurodiscovery
        simulate`` command does) keeps them spinning between steps, ~25 % faster for the
        full microcircuit; on a shared machine ``OMP_WAIT_POLICY=passive`` lets waiting
        threads sleep instead of stealing the core that does the work.
    max_memory_bytes : int, optional
        Refuse to build when the estimated memory exceeds this (default: available RAM).
    parallel : bool, optional
        Force the multi-threaded (True) or single-threaded (False) kernel. Default: threads
        if ``n_threads > 1`` was given, else only while a core is idle (see
        :meth:`_use_parallel`). Results are identical either way.
    verbose : bool
        Print the network size and build time.
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
        _check_memory(net, max_memory_bytes)
        from numba import get_num_threads, set_num_threads

        choose_threading_layer()

        from . import _kernels as K

        self._K = K
        if n_threads is not None:
            if int(n_threads) < 1:
                raise InputError(f"n_threads must be >= 1, got {n_threads}")
            set_num_threads(min(int(n_threads), _max_threads()))
        self.n_threads = get_num_threads()
        self.dt_ms = float(net.dt_ms)
        self.names = [p.name for p in net.populations]
        self.sizes = [p.n for p in net.populations]
        self.offsets = list(np.cumsum([0] + self.sizes[:-1]).astype(int))
        self.N = net.n_neurons
        self._build(K, net)
        self.step = 0
        self._parallel_checked = None
        self._load_kernels()
        self.build_s = time.perf_counter() - t0
        self.memory_bytes = int(self.delivery.syn.nbytes + self.delivery.rowptr.nbytes + self.delivery.off.nbytes
                                + self.delivery.inp_ex.nbytes + self.delivery.inp_in.nbytes + 8 * 8 * self.N)
        if verbose:
            print(f"built {self.N} neurons, {self.n_synapses} synapses in {self.build_s:.1f} s")

    def _build(self, K, net: Network) -> None:
        """The build steps in order: neurons, partitions, synapses, external inputs, delivery
        tables, recorder (:mod:`._build`, :mod:`._build_synapses`, :mod:`._build_inputs`).
        """
        self.params, self.state, split = build_neurons(net)
        self.n_parts = n_parts_for(self.N)
        self.parts = build_partitions(net, self.n_parts)
        dmax = max_delay_steps(net)
        shift = max(1, int(dmax).bit_length())
        if (self.N << shift) >= 2**31:
            raise InputError(f"{self.N} neurons with delays up to {dmax} steps do not fit the "
                             "packed 32-bit synapse format; shorten the maximum delay")
        self.shift, self.dmask, self.dmax = shift, (1 << shift) - 1, dmax
        specs = connection_specs(net, self.parts.bounds, dmax)
        syn, rowptr = build_synapses(K, net, specs, self.parts.bounds, shift, dmax)
        self.n_synapses = len(syn)
        syn, rowptr, self.plastic, self._plastic_index = build_plastic(net, syn, rowptr, shift, split)
        self.inputs = build_inputs(K, net)
        self.arrivals = Arrivals(net)
        self.delivery = build_delivery(K, syn, rowptr, self.parts.bounds, shift, split)
        width = int(np.max(np.diff(self.parts.bounds))) or 1
        self.buffers = StepBuffers(out_spk=np.zeros((self.n_parts, width), np.int64),
                                   out_n=np.zeros(self.n_parts, np.int64),
                                   scratch=np.zeros((self.n_parts, 2, K._CHUNK)))
        self._build_recorder(net)

    def _build_recorder(self, net: Network) -> None:
        """Which neurons' spikes are recorded (the first ``spike_fraction`` of each recorded
        population) and whose state is sampled every ``state_interval_ms``.
        """
        r, off = net.recorder, dict(zip(self.names, self.offsets))
        rec_pops = r.spike_populations if r.spike_populations is not None else self.names
        self.rec_mask = np.zeros(self.N, np.bool_)
        self.recorded = {}
        for nm, o, size in zip(self.names, self.offsets, self.sizes):
            m = int(math.ceil(r.spike_fraction * size)) if nm in rec_pops else 0
            self.rec_mask[o:o + m] = True
            self.recorded[nm] = m
        self.st_idx = np.array([off[nm] + int(i) for nm, idx in r.state_neurons.items() for i in idx], np.int64)
        self.st_every = max(1, int(round(r.state_interval_ms / self.dt_ms))) if self.st_idx.size else 1

    @property
    def packed(self) -> np.ndarray:
        """(n_synapses,) int32: ``target << shift | delay_steps`` of every synapse."""
        return self.delivery.syn[:, 0]

    @property
    def weights(self) -> np.ndarray:
        """(n_synapses,) float32 weights (pA), a view into the synapse table."""
        return self.delivery.syn[:, 1].view(np.float32)

    def connections(self):
        """All synapses as flat arrays (for inspection and tests; allocates 24 B/synapse).

        Returns
        -------
        sources, targets : ndarray (n_synapses,) int64
            Global neuron indices.
        weights_pa : ndarray (n_synapses,) float32
        delays_ms : ndarray (n_synapses,) float64
        """
        src = np.repeat(np.arange(self.N), np.diff(self.delivery.rowptr))
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
        this.
        """
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

    def _call(self, runner, s0, s1, s_chunk0, amp, rec: RunRecord):
        return runner(s0, s1, s_chunk0, *self.parts, *self.params, *self.state, *self.inputs, amp, *self.delivery,
                      *self.buffers, *rec, *self.plastic, self.n_threads)

    def _record(self, rec_t, rec_i, n_rec, st_y, st_e, st_i, n_st) -> RunRecord:
        return RunRecord(rec_mask=self.rec_mask, rec_t=rec_t, rec_i=rec_i, n_rec=n_rec, st_idx=self.st_idx,
                         st_every=self.st_every, st_y=st_y, st_iex=st_e, st_iin=st_i, n_st=n_st)

    def _load_kernels(self) -> None:
        """Load (or compile, on the very first use) the stepping kernels with a run of zero
        steps, so that loading is part of the build and ``run_s`` is simulation only.
        """
        amp = self._current_amplitudes(0, 1)
        e = np.empty(1, np.int64)
        st = np.zeros((1, self.st_idx.size))
        runners = [self._K.run_serial] + ([self._K.run_parallel] if self.n_parts > 1 else [])
        for runner in runners:
            self._call(runner, 0, 0, 0, amp, self._record(e, e.copy(), np.zeros(1, np.int64), st, st.copy(),
                                                          st.copy(), np.zeros(1, np.int64)))

    def _current_amplitudes(self, s0: int, n: int) -> np.ndarray:
        return current_amplitudes(self.net, s0, n)

    def _check_run_memory(self, cap: int, n_steps: int, max_memory_bytes: int | None) -> None:
        """Refuse a run whose recording buffers (spikes at an assumed 20 Hz mean rate, state
        samples) would not fit: the estimate, the limit and what to change, before allocating.
        """
        n_samples = n_steps // self.st_every + 1 if self.st_idx.size else 0
        need = 16 * cap + 3 * 8 * n_samples * self.st_idx.size
        limit = available_memory_bytes() if max_memory_bytes is None else int(max_memory_bytes)
        if need > limit:
            raise InputError(f"recording {n_steps * self.dt_ms / 1000:.3g} s of this network needs an estimated "
                             f"{need / 2**30:.2f} GiB (spikes of {int(self.rec_mask.sum())} recorded neurons at "
                             f"20 Hz, {n_samples} state samples) but the limit is {limit / 2**30:.2f} GiB of "
                             "available memory; simulate a shorter duration, record a smaller fraction, or run "
                             "in several shorter calls")

    def _run_chunk(self, runner, s, s1, amp, rec_t, rec_i, n_rec, st_y, st_e, st_i, n_st):
        """Steps ``[s, s1)``: the kernel runs up to the next step with sparse arrivals (:mod:`._arrivals`),
        which are added to that step's input buffers; a full spike buffer is grown and the kernel resumed.
        Returns the (possibly grown) spike buffers.
        """
        if self.arrivals.empty:
            a_steps = a_idx = a_w = np.zeros(0, np.int64)
        else:
            a_steps, a_idx, a_w = self.arrivals.chunk(s, s1)
        cuts = np.unique(a_steps)
        bounds = np.searchsorted(a_steps, cuts)
        bounds = np.append(bounds, a_steps.size)
        nxt = 0  # index of the next arrival step not yet added
        done = s
        d = self.delivery
        while done < s1:
            if nxt < cuts.size and cuts[nxt] == done:
                add_arrivals(d.inp_ex, d.inp_in, d.split, a_idx[bounds[nxt]:bounds[nxt + 1]],
                             a_w[bounds[nxt]:bounds[nxt + 1]])
                nxt += 1
            stop = int(cuts[nxt]) if nxt < cuts.size else s1
            done = self._call(runner, done, stop, s, amp, self._record(rec_t, rec_i, n_rec, st_y, st_e, st_i, n_st))
            if done < stop:  # spike buffer or postsynaptic history full: grow and resume
                if int(n_rec[0]) + self.N > rec_t.size:
                    rec_t = np.concatenate([rec_t, np.empty_like(rec_t)])
                    rec_i = np.concatenate([rec_i, np.empty_like(rec_i)])
                self.plastic = grow_history(self.plastic, self.N)
        return rec_t, rec_i

    def run(self, duration_ms: float, progress: bool = False,
            chunk_ms: float | None = None, max_memory_bytes: int | None = None) -> SimulationResult:
        """Simulate ``duration_ms`` more milliseconds; returns spikes and states of this run.

        Parameters
        ----------
        duration_ms : float
            Biological time to simulate (multiple of ``dt_ms``).
        progress : bool
            Show a tqdm progress bar in biological time.
        chunk_ms : float, optional
            Biological time per kernel call (progress granularity); default 100 ms.
        max_memory_bytes : int, optional
            Refuse runs whose recording buffers would exceed this (default: available RAM).
        """
        if not (isinstance(duration_ms, (int, float)) and math.isfinite(duration_ms) and duration_ms > 0):
            raise InputError(f"duration_ms must be finite and > 0, got {duration_ms!r}")
        K = self._K
        n_steps = self.net.steps(duration_ms)
        if n_steps == 0:
            raise InputError("duration_ms must be at least one time step")
        dt = self.dt_ms
        chunk = max(1, int(round((chunk_ms or 100.0) / dt)))
        n_rec_neurons = int(self.rec_mask.sum())
        cap = int(n_rec_neurons * duration_ms * 1e-3 * 20.0) + self.N + 1024
        self._check_run_memory(cap, n_steps, max_memory_bytes)
        runner = K.run_parallel if self._use_parallel() else K.run_serial
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
                rec_t, rec_i = self._run_chunk(runner, s, s1, amp, rec_t, rec_i, n_rec, st_y, st_e, st_i, n_st)
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
        i_ex, i_in, g_ex, g_in = synaptic_state(self.net, self.st_idx, st_y[:ns], st_e[:ns], st_i[:ns])
        return SimulationResult(
            spike_times_ms=(rec_t[:nr] + 1) * dt,
            spike_senders=rec_i[:nr].copy(),
            population_names=list(self.names), offsets=[int(o) for o in self.offsets],
            sizes=list(self.sizes), recorded=dict(self.recorded),
            t_start_ms=s_start * dt, t_stop_ms=s_end * dt,
            state_times_ms=(np.arange(ns) + 1) * self.st_every * dt + s_start * dt,
            state_neurons=self.st_idx.copy(), v_mv=st_y[:ns], i_ex_pa=i_ex, i_in_pa=i_in, g_ex_ns=g_ex,
            g_in_ns=g_in,
            info={"backend": "native", "build_s": self.build_s, "run_s": run_s,
                  "n_neurons": self.N, "n_synapses": self.n_synapses,
                  "n_threads": self.n_threads, "n_parts": self.n_parts,
                  "parallel_kernel": runner is K.run_parallel,
                  "engine_memory_bytes": self.memory_bytes,
                  "s_per_biological_s": run_s / (n_steps * dt * 1e-3)})


def build(net: Network, n_threads: int | None = None,
          max_memory_bytes: int | None = None) -> NativeNetwork:
    """Build ``net`` for the native engine (connectivity, state, inputs).

    Parameters
    ----------
    net : Network
        Description (validated here).
    n_threads : int, optional
        numba threads to use (default: all); see :class:`NativeNetwork`.
    max_memory_bytes : int, optional
        Refuse to build when the estimated memory exceeds this (default: available RAM).

    Returns
    -------
    NativeNetwork
    """
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
    net.validate().check_duration(duration_ms)
    nn = build(net, n_threads=n_threads, max_memory_bytes=max_memory_bytes)
    return nn.run(duration_ms, progress=progress, max_memory_bytes=max_memory_bytes)
