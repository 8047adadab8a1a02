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
from typing import Any

from .._utils.errors import InputError

__all__ = [
    "LIFParams", "VInit", "Population", "Distribution", "Connectivity", "Projection",
    "PoissonInput", "CurrentInput", "Recorder", "Network", "estimate_memory_bytes",
    "available_memory_bytes",
]


def _from_dict(cls, data: Any, where: str):
    """Build dataclass ``cls`` from a dict, refusing unknown keys by name."""
    if isinstance(data, cls):
        return data
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a mapping of parameters, got {type(data).__name__}")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise InputError(f"{where}: unknown parameter name(s) {unknown}; valid names are "
                         f"{sorted(names)}")
    try:
        return cls(**data)
    except TypeError as exc:  # missing required field
        raise InputError(f"{where}: {exc}") from None


def _finite(value, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise InputError(f"{name} must be finite, got {value!r}")
    return v


@dataclass
class LIFParams:
    """Leaky integrate-and-fire neuron with exponential current synapses (NEST ``iaf_psc_exp``).

    ``C_m dV/dt = -(V - E_L) C_m / tau_m + I_ex + I_in + I_e``; each synaptic
    current decays with its own time constant and jumps by the weight (pA) of
    every arriving spike. After a spike ``V`` is clamped to ``v_reset_mv`` for
    ``t_ref_ms``.
    """

    tau_m_ms: float = 10.0
    c_m_pf: float = 250.0
    e_l_mv: float = -65.0
    v_th_mv: float = -50.0
    v_reset_mv: float = -65.0
    t_ref_ms: float = 2.0
    tau_syn_ex_ms: float = 0.5
    tau_syn_in_ms: float = 0.5
    i_e_pa: float = 0.0

    def validate(self, where: str) -> None:
        """Raise :class:`InputError` (naming ``where``) for a non-physical parameter."""
        for name in ("tau_m_ms", "c_m_pf", "tau_syn_ex_ms", "tau_syn_in_ms"):
            v = _finite(getattr(self, name), f"{where}.{name}")
            if v <= 0:
                raise InputError(f"{where}.{name} must be > 0 (time constants and capacitance "
                                 f"are positive), got {v}")
        if _finite(self.t_ref_ms, f"{where}.t_ref_ms") < 0:
            raise InputError(f"{where}.t_ref_ms must be >= 0, got {self.t_ref_ms}")
        for name in ("e_l_mv", "v_th_mv", "v_reset_mv", "i_e_pa"):
            _finite(getattr(self, name), f"{where}.{name}")
        if self.v_reset_mv >= self.v_th_mv:
            raise InputError(f"{where}: v_reset_mv ({self.v_reset_mv}) must be below v_th_mv "
                             f"({self.v_th_mv})")


@dataclass
class VInit:
    """Initial membrane potential: ``kind`` is ``"constant"`` (``a``), ``"normal"`` (mean ``a``,
    sd ``b``) or ``"uniform"`` (``a`` to ``b``), in mV.
    """

    kind: str = "constant"
    a: float | None = None
    b: float = 0.0

    def validate(self, where: str) -> None:
        """Raise :class:`InputError` (naming ``where``) for an unknown kind or bad parameters."""
        if self.kind not in ("constant", "normal", "uniform"):
            raise InputError(f"{where}.kind must be constant, normal or uniform, got {self.kind!r}")
        if self.a is not None:
            _finite(self.a, f"{where}.a")
        _finite(self.b, f"{where}.b")
        if self.kind == "normal" and self.b < 0:
            raise InputError(f"{where}.b (sd) must be >= 0, got {self.b}")


@dataclass
class Population:
    """A group of identical LIF neurons.

    Parameters
    ----------
    name : str
    n : int
        Number of neurons (>= 1).
    params : LIFParams
    v_init : VInit
        Initial membrane potential; ``a=None`` with ``kind="constant"`` means ``e_l_mv``.
    sign : {"excitatory", "inhibitory", None}
        Dale's law: every projection from this population must have weights of this sign.
    """

    name: str
    n: int
    params: LIFParams = field(default_factory=LIFParams)
    v_init: VInit = field(default_factory=VInit)
    sign: str | None = None

    def __post_init__(self):
        self.params = _from_dict(LIFParams, self.params, f"population {self.name!r} params")
        self.v_init = _from_dict(VInit, self.v_init, f"population {self.name!r} v_init")


@dataclass
class Distribution:
    """A scalar distribution: ``"constant"`` (``a``), ``"normal"`` (mean ``a``, sd ``b``),
    ``"uniform"`` (``a`` to ``b``). Normal weights are redrawn until they have the sign of
    their mean (as NEST's ``redraw``), so drawn weights never violate Dale's law.
    """

    kind: str = "constant"
    a: float = 0.0
    b: float = 0.0

    @property
    def mean(self) -> float:
        """Mean of the distribution."""
        return 0.5 * (self.a + self.b) if self.kind == "uniform" else float(self.a)

    def validate(self, where: str) -> None:
        """Raise :class:`InputError` (naming ``where``) for an unknown kind or bad parameters."""
        if self.kind not in ("constant", "normal", "uniform"):
            raise InputError(f"{where}.kind must be constant, normal or uniform, got {self.kind!r}")
        _finite(self.a, f"{where}.a")
        _finite(self.b, f"{where}.b")
        if self.kind == "normal" and self.b < 0:
            raise InputError(f"{where}.b (sd) must be >= 0, got {self.b}")
        if self.kind == "uniform" and self.b < self.a:
            raise InputError(f"{where}: uniform needs a <= b, got {self.a} > {self.b}")


@dataclass
class Connectivity:
    """Connection rule.

    ``rule``: ``"pairwise_bernoulli"`` (each pair with probability ``p``), ``"fixed_indegree"``
    (each target gets ``k`` sources), ``"fixed_total_number"`` (``n`` synapses between the two
    populations, pairs uniform), ``"explicit"`` (``sources``/``targets`` lists of indices
    local to the populations, optionally ``weights_pa``/``delays_ms`` per synapse).
    """

    rule: str = "pairwise_bernoulli"
    p: float | None = None
    k: int | None = None
    n: int | None = None
    sources: list[int] | None = None
    targets: list[int] | None = None
    weights_pa: list[float] | None = None
    delays_ms: list[float] | None = None
    allow_autapses: bool = False
    allow_multapses: bool = True


_RULES = ("pairwise_bernoulli", "fixed_indegree", "fixed_total_number", "explicit")


@dataclass
class Projection:
    """Synapses from population ``source`` to population ``target``.

    ``weight`` is in pA (sign = excitatory/inhibitory), ``delay`` in ms. Random delays are
    rounded to the time grid and redrawn below one step (NEST semantics); constant delays
    must be multiples of ``dt_ms``.
    """

    source: str
    target: str
    connectivity: Connectivity = field(default_factory=Connectivity)
    weight: Distribution = field(default_factory=Distribution)
    delay: Distribution = field(default_factory=lambda: Distribution("constant", 1.5))

    def __post_init__(self):
        w = f"projection {self.source}->{self.target}"
        self.connectivity = _from_dict(Connectivity, self.connectivity, f"{w} connectivity")
        self.weight = _from_dict(Distribution, self.weight, f"{w} weight")
        self.delay = _from_dict(Distribution, self.delay, f"{w} delay")


@dataclass
class PoissonInput:
    """Independent Poisson spike trains to every neuron of ``target`` (NEST
    ``poisson_generator`` connected all-to-all): total rate ``rate_hz`` per neuron, each spike
    a current jump of ``weight_pa``.
    """

    target: str
    rate_hz: float
    weight_pa: float

    def validate(self, where: str) -> None:
        """Raise :class:`InputError` (naming ``where``) for a negative or non-finite rate or weight."""
        if _finite(self.rate_hz, f"{where}.rate_hz") < 0:
            raise InputError(f"{where}.rate_hz must be >= 0, got {self.rate_hz}")
        _finite(self.weight_pa, f"{where}.weight_pa")


@dataclass
class CurrentInput:
    """Injected current into a (random, fixed) fraction of ``target``.

    ``kind``: ``"dc"`` (``amplitude_pa`` between ``start_ms`` and ``stop_ms``), ``"pulses"``
    (``amplitude_pa`` for ``width_ms`` every ``period_ms`` from ``start_ms``), ``"steps"``
    (piecewise constant: ``amplitudes_pa[i]`` from ``times_ms[i]``, NEST
    ``step_current_generator``). Each chosen neuron gets its own gain
    ``1 + amplitude_rel_sd * N(0, 1)`` (drawn once), so amplitudes vary across neurons.
    """

    target: str
    kind: str = "dc"
    amplitude_pa: float = 0.0
    start_ms: float = 0.0
    stop_ms: float | None = None
    period_ms: float | None = None
    width_ms: float | None = None
    times_ms: list[float] | None = None
    amplitudes_pa: list[float] | None = None
    fraction: float = 1.0
    amplitude_rel_sd: float = 0.0

    def validate(self, where: str) -> None:
        """Raise :class:`InputError` (naming ``where``) for an unknown kind or inconsistent timing."""
        if self.kind not in ("dc", "pulses", "steps"):
            raise InputError(f"{where}.kind must be dc, pulses or steps, got {self.kind!r}")
        _finite(self.amplitude_pa, f"{where}.amplitude_pa")
        if _finite(self.start_ms, f"{where}.start_ms") < 0:
            raise InputError(f"{where}.start_ms must be >= 0")
        if not 0 < _finite(self.fraction, f"{where}.fraction") <= 1:
            raise InputError(f"{where}.fraction must be in (0, 1], got {self.fraction}")
        if _finite(self.amplitude_rel_sd, f"{where}.amplitude_rel_sd") < 0:
            raise InputError(f"{where}.amplitude_rel_sd must be >= 0")
        if self.kind == "pulses":
            if self.period_ms is None or self.width_ms is None:
                raise InputError(f"{where}: pulses need period_ms and width_ms")
            if _finite(self.period_ms, f"{where}.period_ms") <= 0 or \
                    _finite(self.width_ms, f"{where}.width_ms") <= 0:
                raise InputError(f"{where}: period_ms and width_ms must be > 0")
        if self.kind == "steps":
            t = self.times_ms or []
            a = self.amplitudes_pa or []
            if len(t) == 0 or len(t) != len(a):
                raise InputError(f"{where}: steps need times_ms and amplitudes_pa of equal, "
                                 f"non-zero length (got {len(t)} and {len(a)})")
            if any(t2 <= t1 for t1, t2 in zip(t, t[1:])):
                raise InputError(f"{where}.times_ms must be strictly increasing")


@dataclass
class Recorder:
    """What to record.

    Parameters
    ----------
    spike_populations : list of str or None
        Populations whose spikes are recorded (None = all).
    spike_fraction : float
        Record spikes of the first ``ceil(fraction * n)`` neurons of each recorded population.
    state_neurons : dict population -> list of local indices
        Neurons whose membrane potential and synaptic currents are sampled.
    state_interval_ms : float
        Sampling interval (multiple of dt).
    """

    spike_populations: list[str] | None = None
    spike_fraction: float = 1.0
    state_neurons: dict[str, list[int]] = field(default_factory=dict)
    state_interval_ms: float = 0.1


@dataclass
class Network:
    """Complete, serialisable description of a spiking network simulation."""

    populations: list[Population]
    projections: list[Projection] = field(default_factory=list)
    poisson_inputs: list[PoissonInput] = field(default_factory=list)
    current_inputs: list[CurrentInput] = field(default_factory=list)
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
        self.recorder = _from_dict(Recorder, self.recorder, "recorder")

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict:
        """Plain-data description (JSON-ready)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Network":
        """Build from a dict (e.g. parsed JSON); unknown keys raise :class:`InputError`."""
        return _from_dict(cls, data, "network")

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        """JSON text of :meth:`to_dict`, also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=1)
        if path is not None:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        return text

    @classmethod
    def from_json(cls, text_or_path: str | os.PathLike) -> "Network":
        """Read a network from JSON text or a file written by :meth:`to_json`; validated."""
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
        """Number of time steps in ``ms`` (must be a multiple of ``dt_ms``)."""
        return _as_steps(ms, self.dt_ms, "duration")

    # ------------------------------------------------------------------ validation
    def validate(self) -> "Network":
        """Check every parameter; raise :class:`InputError` naming the first problem."""
        dt = _finite(self.dt_ms, "dt_ms")
        if dt <= 0:
            raise InputError(f"dt_ms must be > 0, got {dt}")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise InputError(f"seed must be an int, got {self.seed!r}")
        _validate_populations(self.populations)
        sizes = {p.name: p.n for p in self.populations}
        signs = {p.name: p.sign for p in self.populations}
        for pr in self.projections:
            _validate_projection(pr, sizes, signs, dt)
        for kind, inputs in (("poisson input", self.poisson_inputs), ("current input", self.current_inputs)):
            for i, inp in enumerate(inputs):
                if inp.target not in sizes:
                    raise InputError(f"{kind} {i}: unknown population {inp.target!r}")
                inp.validate(f"{kind} {i}")
        _validate_recorder(self.recorder, sizes, dt)
        return self


def _validate_populations(populations) -> None:
    if not populations:
        raise InputError("network has no populations")
    names = [p.name for p in populations]
    if len(set(names)) != len(names):
        raise InputError(f"population names must be unique, got {names}")
    for p in populations:
        w = f"population {p.name!r}"
        if not isinstance(p.n, int) or isinstance(p.n, bool):
            raise InputError(f"{w}: n must be an int, got {p.n!r}")
        if p.n < 1:
            raise InputError(f"{w} has {p.n} neurons: every population needs at least one "
                             "(is the scale too small?)")
        p.params.validate(f"{w} params")
        p.v_init.validate(f"{w} v_init")
        if p.sign not in (None, "excitatory", "inhibitory"):
            raise InputError(f"{w}.sign must be 'excitatory', 'inhibitory' or None")


def _validate_projection(pr, sizes: dict, signs: dict, dt: float) -> None:
    w = f"projection {pr.source}->{pr.target}"
    for end in (pr.source, pr.target):
        if end not in sizes:
            raise InputError(f"{w}: unknown population {end!r}; populations are {list(sizes)}")
    pr.weight.validate(f"{w} weight")
    pr.delay.validate(f"{w} delay")
    _check_delay(pr.delay, dt, w)
    c = pr.connectivity
    if c.rule not in _RULES:
        raise InputError(f"{w}: unknown rule {c.rule!r}; rules are {list(_RULES)}")
    npre, npost, same = sizes[pr.source], sizes[pr.target], pr.source == pr.target
    if c.rule == "explicit":
        _validate_explicit(c, w, npre, npost, dt)
    else:
        _validate_generated(c, w, npre, same)
    _validate_dale(pr, signs[pr.source], w)


def _validate_generated(c, w: str, npre: int, same: bool) -> None:
    if c.rule == "pairwise_bernoulli":
        if c.p is None or not 0 <= _finite(c.p, f"{w}.p") <= 1:
            raise InputError(f"{w}: pairwise_bernoulli needs 0 <= p <= 1, got {c.p!r}")
    elif c.rule == "fixed_indegree":
        if c.k is None or int(c.k) != c.k or c.k < 0:
            raise InputError(f"{w}: fixed_indegree needs an int k >= 0, got {c.k!r}")
        avail = npre - (1 if same and not c.allow_autapses else 0)
        if not c.allow_multapses and c.k > avail:
            raise InputError(f"{w}: k={c.k} exceeds the {avail} possible sources without multapses")
        if c.k > 0 and avail < 1:
            raise InputError(f"{w}: no possible source (one neuron, no autapses)")
    else:
        if c.n is None or int(c.n) != c.n or c.n < 0:
            raise InputError(f"{w}: fixed_total_number needs an int n >= 0, got {c.n!r}")
        if c.n > 0 and same and not c.allow_autapses and npre < 2:
            raise InputError(f"{w}: no possible source (one neuron, no autapses)")


def _validate_explicit(c, w: str, npre: int, npost: int, dt: float) -> None:
    s, t = c.sources or [], c.targets or []
    if len(s) != len(t):
        raise InputError(f"{w}: explicit sources and targets differ in length ({len(s)} vs {len(t)})")
    if s and (min(s) < 0 or max(s) >= npre or min(t) < 0 or max(t) >= npost):
        raise InputError(f"{w}: explicit indices out of range (source < {npre}, target < {npost})")
    for nm in ("weights_pa", "delays_ms"):
        v = getattr(c, nm)
        if v is not None and len(v) != len(s):
            raise InputError(f"{w}: explicit {nm} has {len(v)} entries for {len(s)} synapses")
    for d in c.delays_ms or []:
        _check_delay(Distribution("constant", d), dt, w)


def _validate_dale(pr, sign, w: str) -> None:
    c, wmean = pr.connectivity, pr.weight.mean
    if sign == "excitatory" and (wmean < 0 or (pr.weight.kind == "uniform" and pr.weight.a < 0)):
        raise InputError(f"{w}: Dale's law: {pr.source} is excitatory but the weight distribution is negative")
    if sign == "inhibitory" and (wmean > 0 or (pr.weight.kind == "uniform" and pr.weight.b > 0)):
        raise InputError(f"{w}: Dale's law: {pr.source} is inhibitory but the weight distribution is positive")
    if c.rule == "explicit" and c.weights_pa is not None and sign is not None:
        bad = [x for x in c.weights_pa if (x < 0 if sign == "excitatory" else x > 0)]
        if bad:
            raise InputError(f"{w}: Dale's law: {len(bad)} explicit weights have the wrong sign for {sign} "
                             f"population {pr.source}")


def _validate_recorder(r, sizes: dict, dt: float) -> None:
    for nm in (r.spike_populations or []):
        if nm not in sizes:
            raise InputError(f"recorder: unknown population {nm!r}")
    if not 0 < _finite(r.spike_fraction, "recorder.spike_fraction") <= 1:
        raise InputError("recorder.spike_fraction must be in (0, 1]")
    for nm, idx in r.state_neurons.items():
        if nm not in sizes:
            raise InputError(f"recorder.state_neurons: unknown population {nm!r}")
        if any(int(i) != i or i < 0 or i >= sizes[nm] for i in idx):
            raise InputError(f"recorder.state_neurons[{nm!r}]: indices must be in [0, {sizes[nm]})")
    if r.state_neurons:
        _as_steps(r.state_interval_ms, dt, "recorder.state_interval_ms")


def _as_steps(ms: float, dt: float, name: str) -> int:
    v = _finite(ms, name)
    if v < 0:
        raise InputError(f"{name} must be >= 0, got {v}")
    n = round(v / dt)
    if abs(n * dt - v) > 1e-6 * max(dt, abs(v)):
        raise InputError(f"{name} = {v} ms is not a multiple of dt_ms = {dt} ms")
    return int(n)


def _check_delay(d: Distribution, dt: float, where: str) -> None:
    if d.kind == "constant":
        if d.a <= 0:
            raise InputError(f"{where}: delay must be > 0 ms, got {d.a}")
        n = _as_steps(d.a, dt, f"{where} delay")
        if n < 1:
            raise InputError(f"{where}: delay {d.a} ms is shorter than one time step")
    elif d.kind == "normal":
        if d.a <= 0:
            raise InputError(f"{where}: mean delay must be > 0 ms, got {d.a}")
    else:
        if d.a < 0:
            raise InputError(f"{where}: delays must be >= 0 ms, got uniform low {d.a}")
        if d.b < dt:
            raise InputError(f"{where}: uniform delay range lies below one time step")


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
