"""External inputs of a :class:`~.network.Network`: Poisson drives, injected currents, spike times.

Every input reaches a chosen set of neurons of one population: ``neurons`` lists them
(local indices, or a slice ``"start:stop"``), or ``fraction`` draws a random subset (with
``seed``, default the network's seed); by default the whole population. Units are in the
field names (``_ms``, ``_pa``, ``_hz``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .._utils.errors import InputError

__all__ = ["PoissonInput", "CurrentInput", "SpikeInput", "select_neurons"]


def _num(value, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise InputError(f"{name} must be finite, got {value!r}")
    return v


def select_neurons(neurons, size: int, where: str) -> list[int] | None:
    """Local indices named by ``neurons`` (a list of ints or a ``"start:stop"`` slice), checked against ``size``.

    Parameters
    ----------
    neurons : list of int, str or None
        Local indices, or a slice ``"start:stop"`` (either end may be omitted), or None (no list).
    size : int
        Number of neurons of the target population.
    where : str
        Name of the input in error messages.

    Returns
    -------
    list of int or None
        The indices (unique, in the order given), or None when ``neurons`` is None.
    """
    if neurons is None:
        return None
    if isinstance(neurons, str):
        parts = neurons.split(":")
        try:
            if len(parts) != 2:
                raise ValueError
            a = int(parts[0]) if parts[0].strip() else 0
            b = int(parts[1]) if parts[1].strip() else size
        except ValueError:
            raise InputError(f"{where}.neurons: a slice is written 'start:stop', got {neurons!r}") from None
        if not 0 <= a < b <= size:
            raise InputError(f"{where}.neurons slice {neurons!r} must lie within 0:{size} and be non-empty")
        return list(range(a, b))
    try:
        idx = [int(i) for i in neurons]
    except (TypeError, ValueError):
        raise InputError(f"{where}.neurons must be a list of neuron indices or 'start:stop'") from None
    if any(i != j for i, j in zip(idx, neurons)):
        raise InputError(f"{where}.neurons must be whole numbers")
    if not idx:
        raise InputError(f"{where}.neurons is empty; list at least one neuron")
    bad = [i for i in idx if not 0 <= i < size]
    if bad:
        raise InputError(f"{where}.neurons {bad[:5]} outside the population's 0..{size - 1}")
    if len(set(idx)) != len(idx):
        raise InputError(f"{where}.neurons lists a neuron twice")
    return idx


class _Targeted:
    """Shared checks of ``neurons``, ``fraction`` and ``seed``."""

    def _validate_targets(self, where: str) -> None:
        if not 0 < _num(self.fraction, f"{where}.fraction") <= 1:
            raise InputError(f"{where}.fraction must be in (0, 1], got {self.fraction}")
        if self.neurons is not None and self.fraction != 1.0:
            raise InputError(f"{where}: give either neurons or fraction, not both")
        if self.seed is not None and (not isinstance(self.seed, int) or isinstance(self.seed, bool)
                                      or self.seed < 0):
            raise InputError(f"{where}.seed must be an int >= 0, got {self.seed!r}")

    @property
    def whole_population(self) -> bool:
        """True when the input reaches every neuron of its population."""
        return self.neurons is None and self.fraction == 1.0


@dataclass
class PoissonInput(_Targeted):
    """Independent Poisson spike trains to each chosen neuron of ``target`` (NEST
    ``poisson_generator`` connected to each of them).

    Parameters
    ----------
    target : str
        Population name.
    rate_hz : float
        Total input rate per neuron (Hz).
    weight_pa : float
        Current jump of each input spike (pA).
    neurons : list of int or str, optional
        Local indices of the driven neurons, or a slice ``"start:stop"`` (default: all).
    fraction : float
        Random fraction of the population driven instead, in (0, 1].
    seed : int, optional
        Seed of the random choice of ``fraction`` (default: the network's seed).
    """

    target: str
    rate_hz: float
    weight_pa: float
    neurons: list[int] | str | None = None
    fraction: float = 1.0
    seed: int | None = None

    def validate(self, where: str) -> None:
        """Raise :class:`InputError` (naming ``where``) for a negative or non-finite rate or weight."""
        if _num(self.rate_hz, f"{where}.rate_hz") < 0:
            raise InputError(f"{where}.rate_hz must be >= 0, got {self.rate_hz}")
        _num(self.weight_pa, f"{where}.weight_pa")
        self._validate_targets(where)


@dataclass
class CurrentInput(_Targeted):
    """Injected current into chosen neurons of ``target``.

    Each chosen neuron gets its own gain ``1 + amplitude_rel_sd * N(0, 1)`` (drawn once),
    so amplitudes vary across neurons.

    Parameters
    ----------
    target : str
        Population name.
    kind : {"dc", "pulses", "steps", "sine"}
        ``amplitude_pa`` between ``start_ms`` and ``stop_ms``; ``amplitude_pa`` for
        ``width_ms`` every ``period_ms`` from ``start_ms``; piecewise constant
        ``amplitudes_pa[i]`` from ``times_ms[i]`` (NEST ``step_current_generator``); or
        ``amplitude_pa * sin(2 pi frequency_hz (t - start_ms) + phase_rad)`` between
        ``start_ms`` and ``stop_ms`` (sampled at the start of each step).
    amplitude_pa : float
        Current of dc, pulses and the sine's amplitude (pA).
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
    frequency_hz, phase_rad : float
        Sine frequency (Hz) and phase at ``start_ms`` (radians), sine only.
    neurons : list of int or str, optional
        Local indices of the driven neurons, or a slice ``"start:stop"`` (default: all).
    fraction : float
        Random fraction of the population that receives the current instead, in (0, 1].
    seed : int, optional
        Seed of the random choice and the gains (default: the network's seed).
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
    frequency_hz: float = 0.0
    phase_rad: float = 0.0
    neurons: list[int] | str | None = None
    fraction: float = 1.0
    seed: int | None = None
    amplitude_rel_sd: float = 0.0

    def validate(self, where: str) -> None:
        """Raise :class:`InputError` (naming ``where``) for an unknown kind or inconsistent timing."""
        if self.kind not in ("dc", "pulses", "steps", "sine"):
            raise InputError(f"{where}.kind must be dc, pulses, steps or sine, got {self.kind!r}")
        _num(self.amplitude_pa, f"{where}.amplitude_pa")
        if _num(self.start_ms, f"{where}.start_ms") < 0:
            raise InputError(f"{where}.start_ms must be >= 0")
        if self.stop_ms is not None and _num(self.stop_ms, f"{where}.stop_ms") <= self.start_ms:
            raise InputError(f"{where}: stop_ms ({self.stop_ms}) must be after start_ms ({self.start_ms})")
        self._validate_targets(where)
        if _num(self.amplitude_rel_sd, f"{where}.amplitude_rel_sd") < 0:
            raise InputError(f"{where}.amplitude_rel_sd must be >= 0")
        if self.kind == "pulses":
            if self.period_ms is None or self.width_ms is None:
                raise InputError(f"{where}: pulses need period_ms and width_ms")
            if _num(self.period_ms, f"{where}.period_ms") <= 0 or _num(self.width_ms, f"{where}.width_ms") <= 0:
                raise InputError(f"{where}: period_ms and width_ms must be > 0")
        if self.kind == "sine":
            if _num(self.frequency_hz, f"{where}.frequency_hz") <= 0:
                raise InputError(f"{where}: a sine needs frequency_hz > 0")
            _num(self.phase_rad, f"{where}.phase_rad")
        if self.kind == "steps":
            t = self.times_ms or []
            a = self.amplitudes_pa or []
            if len(t) == 0 or len(t) != len(a):
                raise InputError(f"{where}: steps need times_ms and amplitudes_pa of equal, "
                                 f"non-zero length (got {len(t)} and {len(a)})")
            if any(t2 <= t1 for t1, t2 in zip(t, t[1:])):
                raise InputError(f"{where}.times_ms must be strictly increasing")


@dataclass
class SpikeInput(_Targeted):
    """Spikes at given times into chosen neurons of ``target`` (NEST ``spike_generator``).

    A spike at time ``t`` changes the target's synaptic current at ``t + delay_ms``, as a
    spike of a network neuron at ``t`` does.

    Parameters
    ----------
    target : str
        Population name.
    times_ms : list of float, or list of list of float
        Spike times (ms, on the time grid, > 0): one list for every chosen neuron, or one
        list per chosen neuron (in the order of ``neurons``).
    weight_pa : float
        Current jump of each spike (pA; negative = inhibitory).
    delay_ms : float, optional
        Transmission delay (ms, a multiple of the time step); default one step.
    neurons : list of int or str, optional
        Local indices of the driven neurons, or a slice ``"start:stop"`` (default: all).
    fraction : float
        Random fraction of the population driven instead, in (0, 1].
    seed : int, optional
        Seed of the random choice of ``fraction`` (default: the network's seed).
    """

    target: str
    times_ms: list
    weight_pa: float
    delay_ms: float | None = None
    neurons: list[int] | str | None = None
    fraction: float = 1.0
    seed: int | None = None

    def per_neuron(self) -> bool:
        """True when ``times_ms`` holds one list per chosen neuron."""
        return bool(self.times_ms) and isinstance(self.times_ms[0], (list, tuple))

    def validate(self, where: str) -> None:
        """Raise :class:`InputError` (naming ``where``) for bad times, weight or delay."""
        _num(self.weight_pa, f"{where}.weight_pa")
        self._validate_targets(where)
        if not isinstance(self.times_ms, (list, tuple)):
            raise InputError(f"{where}.times_ms must be a list of spike times (ms)")
        rows = self.times_ms if self.per_neuron() else [self.times_ms]
        for row in rows:
            if not isinstance(row, (list, tuple)):
                raise InputError(f"{where}.times_ms mixes numbers and lists")
            t = [_num(x, f"{where}.times_ms") for x in row]
            if any(x <= 0 for x in t):
                raise InputError(f"{where}.times_ms must be > 0 ms (a spike at 0 has no step before it)")
            if any(b < a for a, b in zip(t, t[1:])):
                raise InputError(f"{where}.times_ms must be sorted")
