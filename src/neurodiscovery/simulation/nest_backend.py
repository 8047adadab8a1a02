"""Run a :class:`~.network.Network` in NEST 3 (``pip install nest-simulator``).

The description maps one-to-one onto NEST: populations -> ``iaf_psc_exp`` or ``iaf_cond_exp`` nodes (same
initial potentials as the native engine), projections -> ``nest.Connect`` with the same
rule (``pairwise_bernoulli``, ``fixed_indegree``, ``fixed_total_number``, explicit lists
via ``one_to_one``), normal weights/delays -> ``nest.math.redraw(nest.random.normal(...))``
(sign-preserving weights, delays >= one step), Poisson inputs -> one ``poisson_generator``
per input connected all-to-all (independent trains per neuron), current inputs ->
``dc_generator`` / ``step_current_generator`` per chosen neuron, recorder ->
``spike_recorder`` and ``multimeter``. Connectivity is drawn by NEST's own random numbers,
so runs agree with the native engine statistically, not spike for spike.

Running beyond one machine (MPI)
--------------------------------
NEST distributes neurons round-robin over MPI ranks and threads. Build NEST with MPI
(``-Dwith-mpi=ON``, or conda's ``nest-simulator=*=mpi_openmpi*``), put the simulation in a
script and start it with ``mpirun``::

    # run_mc.py
    from neurodiscovery.simulation import models
    from neurodiscovery.simulation.nest_backend import simulate_nest
    res = simulate_nest(models.microcircuit(scale=1.0, seed=1), 1000.0, n_threads=8)
    res_path = f"spikes_rank{res.info['rank']}.npz"   # each rank holds its local neurons

    $ mpirun -np 4 python run_mc.py

Every rank builds the same description (same seed) and simulates its share; the returned
:class:`~.engine.SimulationResult` holds the spikes of the neurons *local to that rank*
(``info['rank']``, ``info['n_ranks']``), so save one file per rank and concatenate the
spike arrays afterwards. Total threads = ranks x ``n_threads``; keep
``n_threads`` <= cores per rank.
"""
from __future__ import annotations

import time

import numpy as np

from .._utils.errors import InputError, require
from ._nest_inputs import add_inputs
from ._nest_synapses import _EXPLICIT_SALT, _draw, set_tau_minus, synapse_params, synapse_state
from .engine import SimulationResult, initial_potentials
from .network import Network

__all__ = ["simulate_nest", "nest_available"]


def nest_available() -> bool:
    """True if ``import nest`` works."""
    try:
        require("nest", "nest-simulator")
    except ImportError:
        return False
    return True


def _param(nest, d, sign: int, kind: str, dt: float):
    if d.kind == "constant":
        return float(d.a)
    if d.kind == "uniform":
        lo = max(d.a, dt) if kind == "delay" else d.a
        return nest.random.uniform(min=float(lo), max=float(d.b))
    x = nest.random.normal(mean=float(d.a), std=float(d.b))
    if kind == "delay":
        return nest.math.redraw(x, min=dt, max=float("inf"))
    if sign > 0:
        return nest.math.redraw(x, min=0.0, max=float("inf"))
    if sign < 0:
        return nest.math.redraw(x, min=-float("inf"), max=0.0)
    return x


#: NEST 3 stores at most 2**27 - 1 connections per thread (virtual process) and synapse model
#: (``MAX_LCID`` in nest_types.h); beyond it ``Connect`` fails after building for minutes
NEST_MAX_CONNECTIONS_PER_THREAD = 2**27 - 1


def _quiet(nest) -> None:
    """Only errors from NEST (``nest.verbosity`` where it exists; ``set_verbosity`` is deprecated)."""
    level = getattr(getattr(nest, "VerbosityLevel", None), "ERROR", None)
    if level is not None:
        nest.verbosity = level
    else:  # pragma: no cover - NEST < 3.9
        nest.set_verbosity("M_ERROR")


def default_threads() -> int:
    """Cores this process may use (the NEST backend's default thread count)."""
    from ._threads import _max_threads_available

    return _max_threads_available()


def check_nest_size(net: Network, n_threads: int, n_ranks: int = 1) -> None:
    """Refuse, before building, a network whose connections exceed NEST's per-thread limit.

    Parameters
    ----------
    net : Network
        The network description.
    n_threads : int
        Threads per MPI rank.
    n_ranks : int
        MPI ranks.

    Raises
    ------
    InputError
        Naming the expected connection count, the limit and the thread count that fits.
    """
    import math

    from .network import expected_synapses

    n = float(sum(expected_synapses(net).values()))
    n += sum(net.population(pi.target).n for pi in net.poisson_inputs)  # generator connections
    # targets are spread round-robin over threads; 2 % margin for Bernoulli fluctuations
    per_vp = 1.02 * n / (n_threads * n_ranks)
    if per_vp >= NEST_MAX_CONNECTIONS_PER_THREAD:
        need = int(math.ceil(1.02 * n / NEST_MAX_CONNECTIONS_PER_THREAD))
        raise InputError(
            f"NEST stores at most {NEST_MAX_CONNECTIONS_PER_THREAD:,} connections per thread and this network has "
            f"about {n:,.0f} connections ({n / (n_threads * n_ranks):,.0f} per thread with {n_threads * n_ranks} "
            f"threads); run NEST "
            f"with at least {need} threads in all (--threads {need}, or MPI ranks x threads), or reduce --scale")


def simulate_nest(net: Network, duration_ms: float, n_threads: int | None = None,
                  progress: bool = False) -> SimulationResult:
    """Build ``net`` in NEST and simulate ``duration_ms``.

    Parameters
    ----------
    net : Network
        The network description (validated here).
    duration_ms : float
        Simulated (biological) time in ms; a multiple of ``net.dt_ms``.
    n_threads : int, optional
        NEST threads per MPI rank (default: the cores this process may use).
    progress : bool
        NEST's own progress printout (``print_time``).

    Returns
    -------
    SimulationResult
        ``info`` holds ``build_s``, ``run_s``, ``rank``, ``n_ranks``.

    Raises
    ------
    MissingDependencyError
        If NEST is not installed (``pip install nest-simulator``).
    InputError
        For a network too large for NEST's per-thread connection limit at ``n_threads``.
    """
    return NestNetwork(net, duration_ms, n_threads=n_threads, progress=progress).run(duration_ms)


class NestNetwork:
    """A network built in NEST, simulated in consecutive runs (the NEST twin of :class:`~.engine.NativeNetwork`).

    Parameters
    ----------
    net : Network
        The network description (validated here).
    total_ms : float
        Total time the runs will cover (ms): pulse and sine currents are scheduled up to it.
    n_threads : int, optional
        NEST threads per MPI rank (default: the cores this process may use).
    progress : bool
        NEST's own progress printout (``print_time``).
    """

    def __init__(self, net: Network, total_ms: float, n_threads: int | None = None, progress: bool = False):
        net.validate()
        n_threads = default_threads() if n_threads is None else int(n_threads)
        if n_threads < 1:
            raise InputError(f"n_threads must be >= 1, got {n_threads}")
        nest = require("nest", "nest-simulator")
        check_nest_size(net, n_threads, int(nest.NumProcesses()))
        if net.check_duration(total_ms).steps(total_ms) == 0:
            raise InputError("duration_ms must be at least one time step")
        self.net, self.nest, self.n_threads = net, nest, n_threads
        dt = float(net.dt_ms)
        t0 = time.perf_counter()
        nest.ResetKernel()
        _quiet(nest)
        nest.SetKernelStatus({"resolution": dt, "local_num_threads": n_threads,
                              "rng_seed": int(net.seed) % (2**31 - 1) + 1, "print_time": bool(progress)})
        self.nodes, self.first_id = _create_populations(nest, net)
        set_tau_minus(net, self.nodes)
        for i, pr in enumerate(net.projections):
            _connect_projection(nest, net, pr, self.nodes, self.first_id, dt, i)
        add_inputs(nest, net, self.nodes, dt, total_ms)
        self.sr, self.recorded, self.mm, self.st_global = _add_recorders(nest, net, self.nodes)
        self.build_s = time.perf_counter() - t0
        self.t_ms = 0.0
        self._saved = {}

    def run(self, duration_ms: float) -> SimulationResult:
        """Simulate ``duration_ms`` more milliseconds; returns the spikes and states of this run.

        Parameters
        ----------
        duration_ms : float
            Biological time (ms), a multiple of the time step.
        """
        nest, net = self.nest, self.net
        if net.steps(duration_ms) == 0:
            raise InputError("duration_ms must be at least one time step")
        t1 = time.perf_counter()
        nest.Simulate(float(duration_ms))
        run_s = time.perf_counter() - t1
        offs = net.offsets()
        ev = self.sr.get("events")
        self.sr.n_events = 0  # the next run returns only its own spikes
        times = np.asarray(ev["times"], float)
        senders = _to_global(net, self.first_id, np.asarray(ev["senders"], np.int64))
        order = np.lexsort((senders, times))
        res = SimulationResult(
            spike_times_ms=times[order], spike_senders=senders[order],
            population_names=[p.name for p in net.populations], offsets=[offs[p.name] for p in net.populations],
            sizes=[p.n for p in net.populations], recorded=self.recorded,
            t_start_ms=self.t_ms, t_stop_ms=self.t_ms + float(duration_ms),
            info={"backend": "nest", "build_s": self.build_s, "run_s": run_s, "n_threads": self.n_threads,
                  "rank": int(nest.Rank()), "n_ranks": int(nest.NumProcesses()),
                  "n_synapses": int(nest.GetKernelStatus("num_connections")),
                  "s_per_biological_s": run_s / (duration_ms * 1e-3)})
        self.t_ms += float(duration_ms)
        if self.mm is not None:
            events = []
            for m, rec_from in self.mm:
                e = m.get("events")
                m.n_events = 0
                events.append((e, _to_global(net, self.first_id, np.asarray(e["senders"], np.int64)), rec_from))
            _read_state(net, res, events, self.st_global)
        return res

    def scale_weights(self, source: str, target: str, factor: float) -> None:
        """Multiply the weights of every synapse from population ``source`` to ``target`` by ``factor``
        (relative to the weights as built; factor 1 restores them).
        """
        key = (source, target)
        if any(p.synapse.plastic and (p.source, p.target) == key for p in self.net.projections):
            raise InputError(f"projection {source}->{target} is plastic; scale_weights acts on static projections")
        conns = self.nest.GetConnections(self.nodes[source], self.nodes[target])
        if key not in self._saved:
            self._saved[key] = np.asarray(conns.get("weight"), float)
        conns.set(weight=list(self._saved[key] * float(factor)))

    def synapse_state(self, source: str, target: str) -> dict:
        """Weights (and Tsodyks state) of a plastic projection, as :meth:`~.engine.NativeNetwork.synapse_state`.

        Parameters
        ----------
        source, target : str
            Population names of a projection with a plastic synapse model.
        """
        return synapse_state(self.nest, self.net, self.nodes, source, target)

    def silence(self, population: str, on: bool) -> None:
        """Silence ``population`` (threshold at +inf: no spikes) or end its silence (potentials set to
        reset, threshold restored).
        """
        p = self.net.population(population).params
        pop = self.nodes[population]
        if on:
            pop.set(V_th=1e300)
        else:
            pop.set(V_m=p.v_reset_mv, V_th=p.v_th_mv)


def _nest_params(p) -> tuple[str, dict]:
    """NEST model name and parameters of population ``p``."""
    q = p.params
    common = {"C_m": q.c_m_pf, "E_L": q.e_l_mv, "V_th": q.v_th_mv, "V_reset": q.v_reset_mv, "t_ref": q.t_ref_ms,
              "tau_syn_ex": q.tau_syn_ex_ms, "tau_syn_in": q.tau_syn_in_ms, "I_e": q.i_e_pa}
    if p.model == "iaf_cond_exp":
        if q.error_tol_mv != 1e-3:
            raise InputError(f"population {p.name!r}: NEST's iaf_cond_exp integrates with a fixed error tolerance "
                             f"of 1e-3 mV, got error_tol_mv={q.error_tol_mv}; use the native backend or 1e-3")
        return "iaf_cond_exp", {**common, "g_L": q.g_l_ns, "E_ex": q.e_ex_mv, "E_in": q.e_in_mv}
    return "iaf_psc_exp", {**common, "tau_m": q.tau_m_ms}


def _create_populations(nest, net: Network) -> tuple[dict, dict]:
    """One node collection per population (its model), started at the engine's initial potentials."""
    v0 = initial_potentials(net)
    offs = net.offsets()
    nodes = {}
    first_id = {}
    for p in net.populations:
        model, prm = _nest_params(p)
        pop = nest.Create(model, p.n, params=prm)
        pop.set(V_m=list(v0[offs[p.name]:offs[p.name] + p.n]))
        nodes[p.name] = pop
        first_id[p.name] = int(pop[0].global_id)
    return nodes, first_id


def _connect_projection(nest, net: Network, pr, nodes: dict, first_id: dict, dt: float,
                        pr_index: int = 0) -> None:
    c = pr.connectivity
    src, tgt = nodes[pr.source], nodes[pr.target]
    sg = net.population(pr.source).sign
    wm = pr.weight.mean
    sign = 1 if sg == "excitatory" else -1 if sg == "inhibitory" else int(np.sign(wm))
    if c.rule == "explicit":
        s = np.asarray(c.sources or [], int)
        t = np.asarray(c.targets or [], int)
        if s.size == 0:
            return
        # NEST's array connection takes numbers only, so unlisted weights/delays are drawn here
        rng = np.random.default_rng([int(net.seed), _EXPLICIT_SALT, pr_index])
        syn = {**synapse_params(pr),
               "weight": (np.asarray(c.weights_pa, float) if c.weights_pa is not None
                          else _draw(pr.weight, sign, "weight", dt, s.size, rng)),
               "delay": (np.asarray(c.delays_ms, float) if c.delays_ms is not None
                         else _draw(pr.delay, 0, "delay", dt, s.size, rng))}
        nest.Connect(s + first_id[pr.source], t + first_id[pr.target],
                     {"rule": "one_to_one"}, syn)
        return
    conn = {"allow_autapses": bool(c.allow_autapses),
            "allow_multapses": bool(c.allow_multapses)}
    if c.rule == "pairwise_bernoulli":
        conn.update(rule="pairwise_bernoulli", p=float(c.p))
    elif c.rule == "fixed_indegree":
        conn.update(rule="fixed_indegree", indegree=int(c.k))
    else:
        conn.update(rule="fixed_total_number", N=int(c.n))
    syn = {**synapse_params(pr),
           "weight": _param(nest, pr.weight, sign, "weight", dt),
           "delay": _param(nest, pr.delay, 0, "delay", dt)}
    nest.Connect(src, tgt, conn, syn)


def _add_recorders(nest, net: Network, nodes: dict):
    """Spike recorder on each recorded population's first neurons; multimeter on the state neurons."""
    offs = net.offsets()
    rec = net.recorder
    rec_pops = rec.spike_populations if rec.spike_populations is not None else \
        [p.name for p in net.populations]
    sr = nest.Create("spike_recorder")
    recorded = {}
    for p in net.populations:
        if p.name in rec_pops:
            m = int(np.ceil(rec.spike_fraction * p.n))
            nest.Connect(nodes[p.name][:m], sr)
            recorded[p.name] = m
        else:
            recorded[p.name] = 0
    mm = []
    chosen = [(nm, int(i)) for nm, idx in rec.state_neurons.items() for i in idx]
    # one multimeter per neuron model: the synaptic state is a current (pA) or a conductance (nS)
    for model, rec_from in (("iaf_psc_exp", ["V_m", "I_syn_ex", "I_syn_in"]), ("iaf_cond_exp", ["V_m", "g_ex", "g_in"])):
        mine = [(nm, i) for nm, i in chosen if net.population(nm).model == model]
        if mine:
            m = nest.Create("multimeter", params={"interval": float(rec.state_interval_ms), "record_from": rec_from})
            for nm, i in mine:
                nest.Connect(m, nodes[nm][i])
            mm.append((m, rec_from))
    return sr, recorded, mm or None, [offs[nm] + i for nm, i in chosen]


def _to_global(net: Network, first_id: dict, senders: np.ndarray) -> np.ndarray:
    """NEST global ids to the network's neuron indices."""
    offs = net.offsets()
    out = np.empty(len(senders), np.int64)
    for p in net.populations:
        m = (senders >= first_id[p.name]) & (senders < first_id[p.name] + p.n)
        out[m] = senders[m] - first_id[p.name] + offs[p.name]
    return out


def _read_state(net: Network, res: SimulationResult, events: list, st_global: list) -> None:
    """Multimeter events ``[(events, senders as global indices, record_from), ...]`` into ``res``'s
    (time, neuron) state arrays (currents and conductances as :func:`~.result.synaptic_state`).
    """
    from .result import synaptic_state

    ts = np.unique(np.concatenate([np.asarray(e["times"], float) for e, _, _ in events]))
    cols = {g: k for k, g in enumerate(st_global)}
    v = np.full((ts.size, len(st_global)), np.nan)
    a, b = v.copy(), v.copy()
    for e, snd, rec_from in events:
        row = np.searchsorted(ts, np.asarray(e["times"], float))
        col = np.array([cols[g] for g in snd], int)
        v[row, col] = e["V_m"]
        a[row, col] = e[rec_from[1]]
        b[row, col] = e[rec_from[2]]
    neurons = np.array(st_global)
    res.state_times_ms, res.state_neurons, res.v_mv = ts, neurons, v
    res.i_ex_pa, res.i_in_pa, res.g_ex_ns, res.g_in_ns = synaptic_state(net, neurons, v, a, b)
