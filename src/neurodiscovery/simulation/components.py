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
from .inputs import CurrentInput, PoissonInput, SpikeInput
from .synapses import SynapseModel

__all__ = ["LIFParams", "CondExpParams", "NEURON_MODELS", "VInit", "Population", "Distribution", "Connectivity", "Projection", "PoissonInput",
           "CurrentInput", "SpikeInput", "Recorder"]


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
class CondExpParams:
    """Leaky integrate-and-fire neuron with exponential conductance synapses (NEST ``iaf_cond_exp``).

    ``C_m dV/dt = -g_L (V - E_L) - g_ex (V - E_ex) - g_in (V - E_in) + I_e``; each
    conductance decays with its own time constant and jumps by the weight (nS) of every
    arriving spike (positive weights excite, negative ones add ``|w|`` to ``g_in``).
    After a spike ``V`` is clamped to ``v_reset_mv`` for ``t_ref_ms``. The defaults are NEST's.

    The equations are integrated as NEST does (GSL's embedded Runge–Kutta–Fehlberg 4(5) with
    the step adapted to an absolute error ``error_tol_mv`` per step, and the right-hand side
    using ``min(V, V_th)``), so traces equal NEST's to rounding; a smaller ``error_tol_mv``
    converges to the exact solution of the equations (checked against scipy's ``solve_ivp``).

    Parameters
    ----------
    c_m_pf : float
        Membrane capacitance (pF).
    g_l_ns : float
        Leak conductance (nS); the membrane time constant is ``c_m_pf / g_l_ns`` (ms).
    e_l_mv : float
        Leak reversal (resting) potential (mV).
    v_th_mv : float
        Spike threshold (mV).
    v_reset_mv : float
        Reset potential (mV); below ``v_th_mv``.
    t_ref_ms : float
        Absolute refractory period (ms).
    e_ex_mv, e_in_mv : float
        Reversal potentials of the excitatory and inhibitory conductances (mV).
    tau_syn_ex_ms, tau_syn_in_ms : float
        Decay time constants of the excitatory and inhibitory conductances (ms).
    i_e_pa : float
        Constant external current (pA).
    error_tol_mv : float
        Absolute error allowed per integration step (NEST's fixed value 1e-3).
    """

    c_m_pf: float = 250.0
    g_l_ns: float = 16.6667
    e_l_mv: float = -70.0
    v_th_mv: float = -55.0
    v_reset_mv: float = -60.0
    t_ref_ms: float = 2.0
    e_ex_mv: float = 0.0
    e_in_mv: float = -85.0
    tau_syn_ex_ms: float = 0.2
    tau_syn_in_ms: float = 2.0
    i_e_pa: float = 0.0
    error_tol_mv: float = 1e-3

    def validate(self, where: str) -> None:
        """Raise :class:`InputError` (naming ``where``) for a non-physical parameter."""
        for name in ("c_m_pf", "g_l_ns", "tau_syn_ex_ms", "tau_syn_in_ms", "error_tol_mv"):
            v = _finite(getattr(self, name), f"{where}.{name}")
            if v <= 0:
                raise InputError(f"{where}.{name} must be > 0, got {v}")
        if _finite(self.t_ref_ms, f"{where}.t_ref_ms") < 0:
            raise InputError(f"{where}.t_ref_ms must be >= 0, got {self.t_ref_ms}")
        for name in ("e_l_mv", "v_th_mv", "v_reset_mv", "e_ex_mv", "e_in_mv", "i_e_pa"):
            _finite(getattr(self, name), f"{where}.{name}")
        if self.v_reset_mv >= self.v_th_mv:
            raise InputError(f"{where}: v_reset_mv ({self.v_reset_mv}) must be below v_th_mv "
                             f"({self.v_th_mv})")


#: Neuron models a population may use: name -> parameter class
NEURON_MODELS = {"iaf_psc_exp": LIFParams, "iaf_cond_exp": CondExpParams}


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
    """A group of identical neurons.

    Parameters
    ----------
    name : str
        Unique population name (projections and inputs refer to it).
    n : int
        Number of neurons (>= 1).
    params : LIFParams or CondExpParams
        Neuron parameters shared by the population (the class of ``model``).
    v_init : VInit
        Initial membrane potential; ``a=None`` with ``kind="constant"`` means ``e_l_mv``.
    sign : {"excitatory", "inhibitory", None}
        Dale's law: every projection from this population must have weights of this sign.
    model : {"iaf_psc_exp", "iaf_cond_exp"}
        Neuron model: current synapses (weights onto it in pA) or conductance synapses
        (weights in nS), as NEST's models of the same name.
    """

    name: str
    n: int
    params: LIFParams | CondExpParams | None = None
    v_init: VInit = field(default_factory=VInit)
    sign: str | None = None
    model: str = "iaf_psc_exp"

    def __post_init__(self):
        if self.model not in NEURON_MODELS:
            raise InputError(f"population {self.name!r}: unknown model {self.model!r}; models are "
                             f"{sorted(NEURON_MODELS)}")
        cls = NEURON_MODELS[self.model]
        if self.params is None:
            self.params = cls()
        elif not isinstance(self.params, dict) and not isinstance(self.params, cls):
            raise InputError(f"population {self.name!r}: model {self.model!r} takes {cls.__name__} parameters, "
                             f"got {type(self.params).__name__}")
        self.params = _from_dict(cls, self.params, f"population {self.name!r} params")
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
    synapse : SynapseModel
        Static (default), STDP or Tsodyks–Markram synapses (:mod:`.synapses`).
    """

    source: str
    target: str
    connectivity: Connectivity = field(default_factory=Connectivity)
    weight: Distribution = field(default_factory=Distribution)
    delay: Distribution = field(default_factory=lambda: Distribution("constant", 1.5))
    synapse: SynapseModel = field(default_factory=SynapseModel)

    def __post_init__(self):
        w = f"projection {self.source}->{self.target}"
        self.connectivity = _from_dict(Connectivity, self.connectivity, f"{w} connectivity")
        self.weight = _from_dict(Distribution, self.weight, f"{w} weight")
        self.delay = _from_dict(Distribution, self.delay, f"{w} delay")
        self.synapse = _from_dict(SynapseModel, self.synapse, f"{w} synapse")


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
