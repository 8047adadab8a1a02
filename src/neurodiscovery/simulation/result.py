"""The output of a simulation (native engine or NEST): spikes, sampled states, timings."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._utils.errors import InputError

__all__ = ["SimulationResult", "synaptic_state"]


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
        Sampled membrane potential and synaptic currents (time-major; pA, positive
        depolarises). For ``iaf_cond_exp`` neurons the currents are ``-g (V - E_rev)``.
    g_ex_ns, g_in_ns : ndarray (n_samples, n_rec)
        Sampled synaptic conductances (nS) of ``iaf_cond_exp`` neurons; NaN for current-based ones.
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
    g_ex_ns: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    g_in_ns: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    info: dict = field(default_factory=dict)

    @property
    def duration_ms(self) -> float:
        """Simulated time (ms)."""
        return self.t_stop_ms - self.t_start_ms

    def population_slice(self, name: str) -> slice:
        """Global neuron indices of population ``name``."""
        if name not in self.population_names:
            raise InputError(f"unknown population {name!r}; populations are "
                             f"{self.population_names}")
        i = self.population_names.index(name)
        return slice(self.offsets[i], self.offsets[i] + self.sizes[i])

    def save(self, path) -> Path:
        """Write the spikes (and sampled states) to the ``.npz`` file ``path`` atomically (never overwriting).

        Layout: ``times_ms`` (n_spikes,), ``senders`` (n_spikes,) global indices,
        ``population_names``, ``offsets``, ``sizes``, ``recorded`` (per population),
        ``t_start_ms``, ``t_stop_ms``, ``state_times_ms``, ``state_neurons``, ``v_mv``,
        ``i_ex_pa``, ``i_in_pa``, ``g_ex_ns``, ``g_in_ns``. Read it back with :meth:`load` (``allow_pickle=False``).
        """
        from .._utils.atomic import atomic_output

        path = Path(path)
        with atomic_output(path, suffix=".npz", overwrite=False) as tmp:
            np.savez_compressed(tmp, times_ms=self.spike_times_ms, senders=self.spike_senders,
                                population_names=np.array(self.population_names), offsets=np.array(self.offsets),
                                sizes=np.array(self.sizes),
                                recorded=np.array([self.recorded.get(n, 0) for n in self.population_names]),
                                t_start_ms=self.t_start_ms, t_stop_ms=self.t_stop_ms,
                                state_times_ms=self.state_times_ms, state_neurons=self.state_neurons,
                                v_mv=self.v_mv, i_ex_pa=self.i_ex_pa, i_in_pa=self.i_in_pa,
                                g_ex_ns=self.g_ex_ns, g_in_ns=self.g_in_ns)
        return path

    @classmethod
    def load(cls, path) -> "SimulationResult":
        """Read a result written by :meth:`save` to the file ``path`` (no pickle)."""
        from .._utils.errors import DataFileError

        try:
            with np.load(path, allow_pickle=False) as z:
                names = [str(n) for n in z["population_names"]]
                return cls(spike_times_ms=z["times_ms"], spike_senders=z["senders"], population_names=names,
                           offsets=[int(o) for o in z["offsets"]], sizes=[int(n) for n in z["sizes"]],
                           recorded=dict(zip(names, (int(r) for r in z["recorded"]))),
                           t_start_ms=float(z["t_start_ms"]), t_stop_ms=float(z["t_stop_ms"]),
                           state_times_ms=z["state_times_ms"], state_neurons=z["state_neurons"],
                           v_mv=z["v_mv"], i_ex_pa=z["i_ex_pa"], i_in_pa=z["i_in_pa"],
                           **{k: z[k] for k in ("g_ex_ns", "g_in_ns") if k in z.files})
        except (OSError, KeyError, ValueError) as exc:
            raise DataFileError(f"{path} is not a simulation result written by SimulationResult.save "
                                f"({type(exc).__name__}: {str(exc)[:120]})") from None

    def spikes_of(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Spike times (ms) and local neuron indices of population ``name``."""
        sl = self.population_slice(name)
        m = (self.spike_senders >= sl.start) & (self.spike_senders < sl.stop)
        return self.spike_times_ms[m], self.spike_senders[m] - sl.start


def synaptic_state(net, neurons: np.ndarray, v_mv: np.ndarray, a: np.ndarray, b: np.ndarray):
    """Currents and conductances of sampled neurons from the two synaptic state variables.

    Parameters
    ----------
    net : Network
        The simulated network (which populations are conductance-based, their reversal potentials).
    neurons : ndarray (n_rec,) int
        Global indices of the sampled neurons.
    v_mv : ndarray (n_samples, n_rec)
        Membrane potentials (mV).
    a, b : ndarray (n_samples, n_rec)
        Excitatory and inhibitory synaptic state: currents (pA) of ``iaf_psc_exp`` neurons,
        conductances (nS, >= 0) of ``iaf_cond_exp`` neurons.

    Returns
    -------
    i_ex_pa, i_in_pa, g_ex_ns, g_in_ns : ndarray (n_samples, n_rec)
        Currents (positive depolarises; ``-g (V - E_rev)`` for conductance neurons) and
        conductances (NaN for current-based neurons).
    """
    i_ex, i_in = np.array(a, float), np.array(b, float)
    g_ex, g_in = np.full_like(i_ex, np.nan), np.full_like(i_in, np.nan)
    offs = net.offsets()
    for p in net.populations:
        if p.model != "iaf_cond_exp":
            continue
        col = (neurons >= offs[p.name]) & (neurons < offs[p.name] + p.n)
        g_ex[:, col], g_in[:, col] = i_ex[:, col], i_in[:, col]
        i_ex[:, col] = -g_ex[:, col] * (v_mv[:, col] - p.params.e_ex_mv)
        i_in[:, col] = -g_in[:, col] * (v_mv[:, col] - p.params.e_in_mv)
    return i_ex, i_in, g_ex, g_in
