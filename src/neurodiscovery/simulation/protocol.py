"""Experiment protocols: a control run and interventions (stimulate, lesion, scale weights, silence).

A protocol is plain data (JSON)::

    {"trials": 3,
     "record": {"E": [0, 1]},
     "interventions": [
        {"name": "GABA-A block", "kind": "scale_weights", "projection": "I->E", "factor": 0.5},
        {"name": "lesion I", "kind": "lesion", "population": "I"},
        {"name": "cut I->E", "kind": "lesion", "projection": "I->E"},
        {"name": "opto E", "kind": "stimulate", "population": "E", "fraction": 0.2, "seed": 3,
         "amplitude_pa": 200.0, "period_ms": 50.0, "width_ms": 5.0, "windows_ms": [[300, 700]]},
        {"name": "silence I", "kind": "silence", "population": "I", "windows_ms": [[400, 600]]}]}

Every intervention acts during its ``windows_ms`` (default: the whole run) on the same
network, with the same seed and input noise as the control. ``stimulate`` injects a current
(pulses of ``width_ms`` every ``period_ms``, or constant without them) into chosen neurons
(``neurons`` list or ``"start:stop"`` slice, or a seeded random ``fraction``); ``lesion``
silences a population, or sets a projection's weights to zero; ``scale_weights`` multiplies
a projection's weights by ``factor`` ("pharmacology"); ``silence`` keeps a population from
spiking (threshold at +inf, potentials set to reset when the window ends). A projection is
named ``"SOURCE->TARGET"`` and means every synapse between the two populations; ``*`` matches
any population (``"I->*"``: every synapse ``I`` makes, as a GABA-A antagonist acts on all of them).
"""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field

from .._utils.errors import InputError
from .components import _from_dict
from .network import Network

__all__ = ["Intervention", "Protocol", "KINDS"]

KINDS = ("stimulate", "lesion", "scale_weights", "silence")


@dataclass
class Intervention:
    """One manipulation of the network, compared with the control run.

    Parameters
    ----------
    name : str
        Label (unique within the protocol).
    kind : {"stimulate", "lesion", "scale_weights", "silence"}
        What is done (see the module docstring).
    population : str, optional
        Target population (stimulate, silence, lesion of a population).
    projection : str, optional
        ``"SOURCE->TARGET"`` (scale_weights, lesion of a projection); ``*`` matches any population.
    factor : float, optional
        Weight multiplier (scale_weights), >= 0.
    windows_ms : list of [start, stop], optional
        When the intervention acts (ms, on the time grid, non-overlapping); default the whole run.
    amplitude_pa : float
        Stimulation current (pA).
    period_ms, width_ms : float, optional
        Pulse period and width (ms); without them the current is constant within each window.
    neurons : list of int or str, optional
        Stimulated neurons (local indices or ``"start:stop"``).
    fraction : float
        Random fraction of the population stimulated instead, in (0, 1].
    seed : int, optional
        Seed of the random choice (default: the network's seed).
    """

    name: str
    kind: str
    population: str | None = None
    projection: str | None = None
    factor: float | None = None
    windows_ms: list | None = None
    amplitude_pa: float = 0.0
    period_ms: float | None = None
    width_ms: float | None = None
    neurons: list[int] | str | None = None
    fraction: float = 1.0
    seed: int | None = None

    def pair(self) -> tuple[str, str]:
        """(source, target) of ``projection``."""
        parts = [s.strip() for s in str(self.projection).split("->")]
        if len(parts) != 2 or not all(parts):
            raise InputError(f"intervention {self.name!r}: a projection is written 'SOURCE->TARGET', "
                             f"got {self.projection!r}")
        return parts[0], parts[1]

    def pairs(self, net: Network) -> list[tuple[str, str]]:
        """The (source, target) population pairs ``projection`` names; ``*`` matches any population
        (``"I->*"``: every synapse made by ``I``, as a drug acting on all its receptors).
        """
        src, tgt = self.pair()
        have = sorted({(p.source, p.target) for p in net.projections}, key=lambda st: str(st))
        return [(a, b) for a, b in have if src in ("*", a) and tgt in ("*", b)]

    def windows(self, duration_ms: float) -> list[tuple[float, float]]:
        """The windows (ms), the whole run ``(0, duration_ms)`` when none were given."""
        if self.windows_ms is None:
            return [(0.0, float(duration_ms))]
        return [(float(a), float(b)) for a, b in self.windows_ms]

    def validate(self, net: Network, duration_ms: float) -> None:
        """Raise :class:`InputError` naming this intervention and the first problem.

        Parameters
        ----------
        net : Network
            The network it acts on (population and projection names).
        duration_ms : float
            Length of each run (ms); windows must lie within it.
        """
        w = f"intervention {self.name!r}"
        if self.kind not in KINDS:
            raise InputError(f"{w}: kind must be one of {list(KINDS)}, got {self.kind!r}")
        needs_pop = self.kind in ("stimulate", "silence") or (self.kind == "lesion" and self.projection is None)
        if needs_pop:
            if self.population is None:
                raise InputError(f"{w}: {self.kind} needs a population")
            if self.population not in [p.name for p in net.populations]:
                raise InputError(f"{w}: unknown population {self.population!r}; populations are "
                                 f"{[p.name for p in net.populations]}")
        else:
            if self.projection is None:
                raise InputError(f"{w}: {self.kind} needs a projection 'SOURCE->TARGET'")
            pairs = sorted({f"{p.source}->{p.target}" for p in net.projections})
            if not self.pairs(net):
                raise InputError(f"{w}: unknown projection {self.projection!r}; projections are {pairs}")
            plastic = [f"{p.source}->{p.target}" for p in net.projections
                       if p.synapse.plastic and (p.source, p.target) in self.pairs(net)]
            if plastic:
                raise InputError(f"{w}: projection(s) {plastic} are plastic; {self.kind} acts on static "
                                 "projections (change the plastic synapses' parameters in the description)")
        if self.kind == "scale_weights":
            if self.factor is None or not isinstance(self.factor, (int, float)) or not math.isfinite(self.factor) \
                    or self.factor < 0:
                raise InputError(f"{w}: scale_weights needs a finite factor >= 0, got {self.factor!r}")
        elif self.factor is not None:
            raise InputError(f"{w}: factor applies to scale_weights only")
        self._validate_windows(w, net, duration_ms)
        if self.kind == "stimulate":
            from .inputs import select_neurons

            self.currents(net, duration_ms)[0].validate(w)
            select_neurons(self.neurons, net.population(self.population).n, w)

    def _validate_windows(self, w: str, net: Network, duration_ms: float) -> None:
        from ._validate import _as_steps

        if self.windows_ms is not None:
            if not isinstance(self.windows_ms, list) or not self.windows_ms or \
                    not all(isinstance(x, (list, tuple)) and len(x) == 2 for x in self.windows_ms):
                raise InputError(f"{w}: windows_ms must be a non-empty list of [start, stop] pairs (ms)")
        prev = -math.inf
        for a, b in sorted(self.windows(duration_ms)):
            for x in (a, b):
                if not math.isfinite(x) or x < 0:
                    raise InputError(f"{w}: window times must be finite and >= 0 ms, got [{a}, {b}]")
                _as_steps(x, net.dt_ms, f"{w} window time")
            if b <= a:
                raise InputError(f"{w}: window [{a}, {b}] ms ends before it starts")
            if b > duration_ms + 1e-9:
                raise InputError(f"{w}: window [{a}, {b}] ms ends after the run ({duration_ms} ms)")
            if a < prev:
                raise InputError(f"{w}: windows overlap (one starts at {a} ms before the previous ends at {prev} ms)")
            prev = b

    def currents(self, net: Network, duration_ms: float) -> list:
        """The current inputs of a ``stimulate`` intervention, one per window."""
        from .inputs import CurrentInput

        kind = "pulses" if self.period_ms is not None or self.width_ms is not None else "dc"
        return [CurrentInput(self.population, kind, amplitude_pa=float(self.amplitude_pa), start_ms=a, stop_ms=b,
                             period_ms=self.period_ms, width_ms=self.width_ms, neurons=self.neurons,
                             fraction=self.fraction, seed=self.seed)
                for a, b in self.windows(duration_ms)]


@dataclass
class Protocol:
    """A control and the interventions compared with it.

    Parameters
    ----------
    interventions : list of Intervention
        At least one.
    trials : int
        Repetitions, each with its own seed (``seed``, ``seed + 1``, ...) shared by the control and
        every intervention of that trial; intervals are over trials.
    control : bool
        Must be true: every intervention is compared with the control run of the same seed.
    record : dict population -> list of int
        Neurons whose membrane potential and synaptic currents are recorded (first trial).
    bin_ms : float
        Bin of the population rates over time (ms).
    """

    interventions: list = field(default_factory=list)
    trials: int = 3
    control: bool = True
    record: dict = field(default_factory=dict)
    bin_ms: float = 10.0

    def __post_init__(self):
        if not isinstance(self.interventions, list):
            raise InputError("protocol: interventions must be a list")
        self.interventions = [_from_dict(Intervention, iv, f"protocol intervention {i}")
                              for i, iv in enumerate(self.interventions)]

    @classmethod
    def from_json(cls, path) -> "Protocol":
        """Read a protocol from a JSON file ``path`` (unknown keys refused by name)."""
        from .._utils.errors import MissingFileError

        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
        except FileNotFoundError:
            raise MissingFileError(f"protocol file {path} does not exist") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"protocol file {path} is not readable JSON: {exc}") from None
        return _from_dict(cls, data, f"protocol {path}")

    def to_dict(self) -> dict:
        """Plain-data form (JSON-ready)."""
        return dataclasses.asdict(self)

    def validate(self, net: Network, duration_ms: float) -> "Protocol":
        """Check the protocol against ``net`` and the run length; raise :class:`InputError` on the first problem.

        Parameters
        ----------
        net : Network
            The network the protocol runs on.
        duration_ms : float
            Length of each run (ms).
        """
        if self.control is not True:
            raise InputError("protocol: control must be true; every intervention is compared with a control run "
                             "of the same network and seed")
        if not self.interventions:
            raise InputError("protocol: no interventions; list at least one to compare with the control")
        if not isinstance(self.trials, int) or isinstance(self.trials, bool) or self.trials < 1:
            raise InputError(f"protocol: trials must be an int >= 1, got {self.trials!r}")
        names = [iv.name for iv in self.interventions]
        if len(set(names)) != len(names) or "control" in names:
            raise InputError(f"protocol: intervention names must be unique and not 'control', got {names}")
        for iv in self.interventions:
            iv.validate(net, duration_ms)
        if not isinstance(self.bin_ms, (int, float)) or not 0 < self.bin_ms <= duration_ms:
            raise InputError(f"protocol: bin_ms must be > 0 and at most the run ({duration_ms} ms)")
        probe = dataclasses.replace(net.recorder, state_neurons=dict(self.record))
        from ._validate import _validate_recorder

        _validate_recorder(probe, {p.name: p.n for p in net.populations}, net.dt_ms)
        return self
