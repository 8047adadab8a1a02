"""Plain-data description of a spiking network (serialisable to JSON).

A :class:`Network` is nothing but dataclasses holding numbers and names: the
populations of leaky integrate-and-fire neurons, the projections between them
(connection rule, weight and delay distributions), the external inputs
(Poisson generators, DC / pulse / step currents), what to record, the time
step and the seed. The same description is built by the native engine
(:func:`neurodiscovery.simulation.simulate`) and by the NEST backend
(:func:`neurodiscovery.simulation.nest_backend.simulate_nest`).

Units are in the field names: ``_ms``, ``_mv``, ``_pf`` (picofarad), ``_pa``
(picoampere), ``_hz``. Synaptic weights are current jumps in pA, as in NEST's
``iaf_psc_exp``: a positive weight enters the excitatory synaptic current, a
negative one the inhibitory current.

Examples
--------
>>> from neurodiscovery.simulation import network as nw
>>> pop = nw.Population("E", 100, nw.LIFParams(i_e_pa=400.0))
>>> net = nw.Network(populations=[pop], dt_ms=0.1, seed=1)
>>> nw.Network.from_json(net.to_json()) == net
True
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass, field

from .._utils.errors import InputError
from ._validate import (
    _as_steps,
    _validate_inputs,
    _validate_populations,
    _validate_projection,
    _validate_recorder,
    validate_plastic,
)
from .components import (
    CondExpParams,
    Connectivity,
    CurrentInput,
    Distribution,
    LIFParams,
    PoissonInput,
    Population,
    Projection,
    Recorder,
    SpikeInput,
    VInit,
    _finite,
    _from_dict,
)

__all__ = [
    "LIFParams", "CondExpParams", "VInit", "Population", "Distribution", "Connectivity", "Projection",
    "PoissonInput", "CurrentInput", "SpikeInput", "Recorder", "Network", "estimate_memory_bytes",
    "available_memory_bytes",
]


@dataclass
class Network:
    """Complete, serialisable description of a spiking network simulation.

    Parameters
    ----------
    populations : list of Population
        Neuron groups, contiguous in the global neuron index in this order.
    projections : list of Projection
        Synapses between populations.
    poisson_inputs, current_inputs : list of PoissonInput, list of CurrentInput
        External drive: Poisson spike trains (rates in Hz) and injected currents (pA).
    spike_inputs : list of SpikeInput
        Spikes at given times (ms) into chosen neurons.
    recorder : Recorder
        What to record.
    dt_ms : float
        Time step (ms).
    seed : int
        Seeds connectivity, initial potentials and input noise.
    name : str
        Label of the network (reports, file names).
    metadata : dict
        Free-form annotations (e.g. the model and scale it was made with).
    """

    populations: list[Population]
    projections: list[Projection] = field(default_factory=list)
    poisson_inputs: list[PoissonInput] = field(default_factory=list)
    current_inputs: list[CurrentInput] = field(default_factory=list)
    spike_inputs: list[SpikeInput] = field(default_factory=list)
    recorder: Recorder = field(default_factory=Recorder)
    dt_ms: float = 0.1
    seed: int = 0
    name: str = "network"
    metadata: dict = field(default_factory=dict)

    def __post_init__(self):
        self.populations = [_from_dict(Population, p, "population") for p in self.populations]
        self.projections = [_from_dict(Projection, p, "projection") for p in self.projections]
        self.poisson_inputs = [_from_dict(PoissonInput, p, "poisson input")
                               for p in self.poisson_inputs]
        self.current_inputs = [_from_dict(CurrentInput, p, "current input")
                               for p in self.current_inputs]
        self.spike_inputs = [_from_dict(SpikeInput, p, "spike input") for p in self.spike_inputs]
        self.recorder = _from_dict(Recorder, self.recorder, "recorder")

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict:
        """Plain-data description (JSON-ready)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Network":
        """Build from a dict ``data`` (e.g. parsed JSON); unknown keys raise :class:`InputError`."""
        return _from_dict(cls, data, "network")

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        """JSON text of :meth:`to_dict`, also written to the file ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=1)
        if path is not None:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        return text

    @classmethod
    def from_json(cls, text_or_path: str | os.PathLike) -> "Network":
        """Read a network from ``text_or_path`` (JSON text or a file written by :meth:`to_json`); validated."""
        from .._utils.errors import DataFileError, MissingFileError

        s = str(text_or_path)
        if not s.lstrip().startswith("{"):
            try:
                with open(s, encoding="utf-8") as fh:
                    s = fh.read()
            except FileNotFoundError:
                raise MissingFileError(f"network JSON file {text_or_path} does not exist") from None
            except (OSError, UnicodeDecodeError) as exc:
                raise DataFileError(f"cannot read network JSON {text_or_path}: {exc.__class__.__name__}: "
                                    f"{getattr(exc, 'strerror', None) or exc}") from None
        try:
            data = json.loads(s)
        except json.JSONDecodeError as exc:
            raise InputError(f"network JSON is not valid: {exc}") from None
        if not isinstance(data, dict):
            raise InputError("network JSON must hold an object with populations, projections, ...")
        return cls.from_dict(data).validate()

    # ------------------------------------------------------------------ helpers
    @property
    def n_neurons(self) -> int:
        """Total number of neurons."""
        return int(sum(p.n for p in self.populations))

    def population(self, name: str) -> Population:
        """The population called ``name`` (one clear error if there is none)."""
        for p in self.populations:
            if p.name == name:
                return p
        raise InputError(f"unknown population {name!r}; populations are "
                         f"{[p.name for p in self.populations]}")

    def offsets(self) -> dict[str, int]:
        """Global index of the first neuron of each population (populations are contiguous)."""
        out, o = {}, 0
        for p in self.populations:
            out[p.name] = o
            o += p.n
        return out

    def steps(self, ms: float) -> int:
        """Number of time steps in ``ms`` milliseconds (must be a multiple of ``dt_ms``)."""
        return _as_steps(ms, self.dt_ms, "duration")

    def check_duration(self, duration_ms: float) -> "Network":
        """Refuse a run of ``duration_ms`` that the inputs do not fit (spike times after its end)."""
        from ._validate import check_within_run

        self.steps(duration_ms)
        check_within_run(self, duration_ms)
        return self

    # ------------------------------------------------------------------ validation
    def validate(self) -> "Network":
        """Check every parameter; raise :class:`InputError` naming the first problem."""
        dt = _finite(self.dt_ms, "dt_ms")
        if dt <= 0:
            raise InputError(f"dt_ms must be > 0, got {dt}")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise InputError(f"seed must be an int, got {self.seed!r}")
        _validate_populations(self.populations, dt)
        sizes = {p.name: p.n for p in self.populations}
        signs = {p.name: p.sign for p in self.populations}
        for pr in self.projections:
            _validate_projection(pr, sizes, signs, dt)
        validate_plastic(self.projections)
        _validate_inputs(self, sizes, dt)
        _validate_recorder(self.recorder, sizes, dt)
        return self


# ---------------------------------------------------------------------- memory estimate
def expected_synapses(net: Network) -> dict[int, float]:
    """Expected number of synapses of each projection (index -> count)."""
    sizes = {p.name: p.n for p in net.populations}
    out = {}
    for i, pr in enumerate(net.projections):
        c = pr.connectivity
        npre, npost = sizes[pr.source], sizes[pr.target]
        if c.rule == "pairwise_bernoulli":
            out[i] = float(c.p) * npre * npost
        elif c.rule == "fixed_indegree":
            out[i] = float(c.k) * npost
        elif c.rule == "fixed_total_number":
            out[i] = float(c.n)
        else:
            out[i] = float(len(c.sources or []))
    return out


def estimate_memory_bytes(net: Network, n_parts: int = 2, ring_slots: int = 64) -> int:
    """Estimated peak memory of the native engine for ``net`` (bytes).

    8 bytes per synapse (int32 packed target+delay, float32 weight), per-partition CSR row
    pointers and per-(partition, source, delay) group offsets, per-neuron state, input
    vectors and the spike history.

    Parameters
    ----------
    net : Network
        The network description.
    n_parts : int
        Neuron partitions the engine will use.
    ring_slots : int
        Length of the spike history in steps (longest delay + 1).

    Returns
    -------
    int
        Bytes.
    """
    n_syn = sum(expected_synapses(net).values())
    # Bernoulli counts fluctuate; 4 sd margin keeps the estimate an upper bound in practice.
    n_syn += 4.0 * math.sqrt(max(n_syn, 1.0))
    n = net.n_neurons
    b = 8.0 * n_syn
    b += 2 * n_parts * (n + 1) * 8.0          # indptr + cursor while building
    b += n * 8.0 * 8                           # V, I_ex, I_in, refractory counters, params
    b += n_parts * n * (ring_slots + 1) * 4.0  # delay-group offsets (int32)
    b += 4 * n * 4.0 + ring_slots * n * 4.0    # input vectors; spike history
    return int(b)


def available_memory_bytes() -> int:
    """Memory available to this process (``MemAvailable`` from /proc/meminfo, else total)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - exotic platforms
        return 1 << 62
