"""Components of a :class:`~.network.Network`: neurons, populations, projections, inputs, recorder.

Plain dataclasses holding numbers and names (units in the field names: ``_ms``, ``_mv``,
``_pf``, ``_pa``, ``_hz``); each checks its own parameters in ``validate``. The checks that
need the whole network (names, sizes, Dale's law, delays on the time grid) are in
:mod:`._validate`.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from .._utils.errors import InputError

__all__ = ["LIFParams", "VInit", "Population", "Distribution", "Connectivity", "Projection", "PoissonInput",
           "CurrentInput", "Recorder"]


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
    missing = sorted(f.name for f in dataclasses.fields(cls) if f.name not in data
                     and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
    if missing:
        raise InputError(f"{where}: missing required parameter(s) {missing}")
    from .._utils.validation import check_field_types

    try:
        obj = cls(**data)
    except TypeError as exc:  # a value of the wrong kind deep in a constructor
        raise InputError(f"{where}: a parameter has the wrong type ({exc})") from None
    check_field_types(obj, where)  # JSON strings where numbers belong fail here, not mid-simulation
    return obj


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

    Parameters
    ----------
    tau_m_ms : float
        Membrane time constant (ms).
    c_m_pf : float
        Membrane capacitance (pF).
    e_l_mv : float
        Resting potential (mV).
    v_th_mv : float
        Spike threshold (mV).
    v_reset_mv : float
        Reset potential after a spike (mV); below ``v_th_mv``.
    t_ref_ms : float
        Absolute refractory period (ms).
    tau_syn_ex_ms, tau_syn_in_ms : float
        Decay time constants of the excitatory and inhibitory synaptic currents (ms).
    i_e_pa : float
        Constant external current (pA).
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
    """Initial membrane potential of a population's neurons.

    Parameters
    ----------
    kind : {"constant", "normal", "uniform"}
        Distribution of the initial potentials.
    a : float or None
        Value (constant), mean (normal) or lower bound (uniform), in mV; None with
        ``kind="constant"`` means the resting potential ``e_l_mv``.
    b : float
        Standard deviation (normal) or upper bound (uniform), in mV; unused for constant.
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
        Unique population name (projections and inputs refer to it).
    n : int
        Number of neurons (>= 1).
    params : LIFParams
        Neuron parameters shared by the population.
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
    """A scalar distribution of synaptic weights (pA) or delays (ms).

    Normal weights are redrawn until they have the sign of their mean (as NEST's
    ``redraw``), so drawn weights never violate Dale's law.

    Parameters
    ----------
    kind : {"constant", "normal", "uniform"}
        Distribution family.
    a : float
        Value (constant), mean (normal) or lower bound (uniform), in the units of the
        quantity drawn (pA for weights, ms for delays).
    b : float
        Standard deviation (normal) or upper bound (uniform), same units as ``a``.
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

    Parameters
    ----------
    rule : {"pairwise_bernoulli", "fixed_indegree", "fixed_total_number", "explicit"}
        Each pair with probability ``p``; each target gets ``k`` sources; ``n`` synapses
        between the two populations, pairs uniform; or the synapses listed in ``sources``
        and ``targets``.
    p : float, optional
        Connection probability (pairwise_bernoulli), a fraction in [0, 1].
    k : int, optional
        In-degree count per target (fixed_indegree).
    n : int, optional
        Total number of synapses, a count (fixed_total_number).
    sources, targets : list of int, optional
        Explicit synapses: one entry per synapse, indices local to the source and target
        populations (same length).
    weights_pa : list of float, optional
        Explicit weights in pA, one per synapse (default: drawn from the projection's weight).
    delays_ms : list of float, optional
        Explicit delays in ms, one per synapse (default: drawn from the projection's delay).
    allow_autapses, allow_multapses : bool
        Whether a neuron may connect to itself, and a pair more than once.
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


@dataclass
class Projection:
    """Synapses from population ``source`` to population ``target``.

    Random delays are rounded to the time grid and redrawn below one step (NEST
    semantics); constant delays must be multiples of ``dt_ms``.

    Parameters
    ----------
    source, target : str
        Population names.
    connectivity : Connectivity
        Connection rule.
    weight : Distribution
        Synaptic weight in pA (sign = excitatory/inhibitory).
    delay : Distribution
        Transmission delay in ms (default constant 1.5 ms).
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
    ``poisson_generator`` connected all-to-all).

    Parameters
    ----------
    target : str
        Population name.
    rate_hz : float
        Total input rate per neuron (Hz).
    weight_pa : float
        Current jump of each input spike (pA).
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

    Each chosen neuron gets its own gain ``1 + amplitude_rel_sd * N(0, 1)`` (drawn once),
    so amplitudes vary across neurons.

    Parameters
    ----------
    target : str
        Population name.
    kind : {"dc", "pulses", "steps"}
        ``amplitude_pa`` between ``start_ms`` and ``stop_ms``; ``amplitude_pa`` for
        ``width_ms`` every ``period_ms`` from ``start_ms``; or piecewise constant
        ``amplitudes_pa[i]`` from ``times_ms[i]`` (NEST ``step_current_generator``).
    amplitude_pa : float
        Current of dc and pulses (pA).
    start_ms : float
        Onset (ms).
    stop_ms : float, optional
        End (ms); None = until the end of the simulation.
    period_ms, width_ms : float, optional
        Pulse period and pulse width (ms), pulses only.
    times_ms : list of float, optional
        Step times in ms, strictly increasing, one per step (steps only).
    amplitudes_pa : list of float, optional
        Step currents in pA, one per entry of ``times_ms``.
    fraction : float
        Fraction of the population that receives the current, in (0, 1].
    amplitude_rel_sd : float
        Relative (dimensionless) standard deviation of the per-neuron gain.
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
        Sampling interval in ms (multiple of dt).
    """

    spike_populations: list[str] | None = None
    spike_fraction: float = 1.0
    state_neurons: dict[str, list[int]] = field(default_factory=dict)
    state_interval_ms: float = 0.1
