"""Spiking network simulation: network description, native numba engine, models, analysis.

>>> from neurodiscovery.simulation import models, simulate
>>> net = models.cuba(n_neurons=4000, seed=1)                    # doctest: +SKIP
>>> res = simulate(net, duration_ms=1000.0)                      # doctest: +SKIP
"""
from __future__ import annotations

from .engine import NativeNetwork, SimulationResult, build, lif_propagators, simulate
from .models import make_model
from .network import (
    CondExpParams,
    Connectivity,
    CurrentInput,
    Distribution,
    LIFParams,
    Network,
    PoissonInput,
    Population,
    Projection,
    Recorder,
    SpikeInput,
    VInit,
    estimate_memory_bytes,
)

__all__ = [
    "CondExpParams", "Connectivity", "CurrentInput", "Distribution", "LIFParams", "Network", "PoissonInput",
    "Population", "Projection", "Recorder", "SpikeInput", "VInit", "NativeNetwork", "SimulationResult",
    "build", "simulate", "lif_propagators", "estimate_memory_bytes", "make_model",
]
