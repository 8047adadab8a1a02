"""Synapse models of a projection: static, pair-based STDP (NEST ``stdp_synapse``) or Tsodyks–Markram
short-term plasticity (NEST ``tsodyks_synapse``).

The rules are those of :mod:`.plasticity` (which computes them on given spike trains); with a
plastic synapse model on a :class:`~.components.Projection` the native engine and the NEST
backend run them on every synapse of the projection during a network simulation.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .._utils.errors import InputError

__all__ = ["SynapseModel", "SYNAPSE_MODELS"]

SYNAPSE_MODELS = ("static_synapse", "stdp_synapse", "tsodyks_synapse")


@dataclass
class SynapseModel:
    """How a projection's synapses change with activity (parameter names as :mod:`.plasticity`).

    Parameters
    ----------
    model : {"static_synapse", "stdp_synapse", "tsodyks_synapse"}
        No plasticity; pair-based STDP; Tsodyks–Markram short-term plasticity.
    tau_plus_ms, tau_minus_ms : float
        STDP: time constants of the presynaptic and postsynaptic traces (ms). As in NEST the
        postsynaptic trace belongs to the target neuron, so every STDP projection onto one
        population must use the same ``tau_minus_ms``.
    lambda_ : float
        STDP learning rate (dimensionless).
    alpha : float
        STDP depression / potentiation ratio (dimensionless).
    mu_plus, mu_minus : float
        STDP weight dependence: 0 additive, 1 multiplicative.
    w_max : float
        STDP maximum weight (pA, or nS onto conductance neurons); weights stay in ``[0, w_max]``.
    U : float
        Tsodyks–Markram utilisation increment, in (0, 1].
    tau_psc_ms, tau_rec_ms, tau_fac_ms : float
        Tsodyks–Markram time constants (ms): active-resource decay, recovery, facilitation
        (0 = none).
    u0, x0, y0 : float or None
        Tsodyks–Markram initial utilisation (None = ``U``), recovered and active fractions.
    """

    model: str = "static_synapse"
    tau_plus_ms: float = 20.0
    tau_minus_ms: float = 20.0
    lambda_: float = 0.01
    alpha: float = 1.0
    mu_plus: float = 1.0
    mu_minus: float = 1.0
    w_max: float = 100.0
    U: float = 0.5
    tau_psc_ms: float = 3.0
    tau_rec_ms: float = 800.0
    tau_fac_ms: float = 0.0
    u0: float | None = None
    x0: float = 1.0
    y0: float = 0.0

    @property
    def plastic(self) -> bool:
        """True for STDP and short-term plasticity."""
        return self.model != "static_synapse"

    def validate(self, where: str, weight) -> None:
        """Raise :class:`InputError` (naming ``where``) for an unknown model or bad parameters.

        Parameters
        ----------
        where : str
            Name of the projection, for messages.
        weight : Distribution
            The projection's weight distribution (STDP weights must be >= 0).
        """
        if self.model not in SYNAPSE_MODELS:
            raise InputError(f"{where}: unknown synapse model {self.model!r}; models are {list(SYNAPSE_MODELS)}")
        vals = {k: getattr(self, k) for k in ("tau_plus_ms", "tau_minus_ms", "lambda_", "alpha", "mu_plus",
                                              "mu_minus", "w_max", "U", "tau_psc_ms", "tau_rec_ms", "tau_fac_ms",
                                              "x0", "y0")}
        for k, v in vals.items():
            if not (isinstance(v, (int, float)) and math.isfinite(v)):
                raise InputError(f"{where} synapse.{k} must be a finite number, got {v!r}")
        if self.model == "stdp_synapse":
            for k in ("tau_plus_ms", "tau_minus_ms", "w_max"):
                if vals[k] <= 0:
                    raise InputError(f"{where} synapse.{k} must be > 0, got {vals[k]}")
            if self.lambda_ < 0 or self.alpha < 0:
                raise InputError(f"{where}: synapse.lambda_ and synapse.alpha must be >= 0")
            lo = weight.a if weight.kind != "normal" else weight.mean
            if lo < 0:
                raise InputError(f"{where}: STDP weights must be >= 0 (potentiation is bounded by w_max > 0); "
                                 "put inhibitory plasticity on a static or tsodyks projection")
        elif self.model == "tsodyks_synapse":
            if not 0 < self.U <= 1:
                raise InputError(f"{where} synapse.U must be in (0, 1], got {self.U}")
            if self.tau_psc_ms <= 0 or self.tau_rec_ms <= 0 or self.tau_fac_ms < 0 \
                    or self.tau_psc_ms == self.tau_rec_ms:
                raise InputError(f"{where}: synapse tau_psc_ms and tau_rec_ms must be > 0 and different, "
                                 "tau_fac_ms >= 0")
            u0 = self.U if self.u0 is None else self.u0
            if not (0 <= u0 <= 1 and 0 <= self.x0 <= 1 and 0 <= self.y0 <= 1 and self.x0 + self.y0 <= 1):
                raise InputError(f"{where}: synapse u0, x0, y0 must lie in [0, 1] with x0 + y0 <= 1")
