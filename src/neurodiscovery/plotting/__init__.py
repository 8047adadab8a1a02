"""Every figure of the toolkit: ``plot_*(..., ax=None) -> Axes``, reachable from here.

No computation happens here beyond what display needs; callers pass results computed by the
domain packages. matplotlib itself is imported only when a figure is drawn, and no function here
switches the backend (``matplotlib.use`` is never called; pick the backend yourself).

This package is the one home of the plotting API: the figures of spikes, units, populations,
decoding, latents, statistics, learning and spiking networks live in its own modules; the figures
that draw a domain's own records (skeletons, jPCA planes, EM contacts, dMRI connectomes, spike
sorting, observer models, imaging ROIs) live beside them in that domain's ``plotting`` module and
are re-exported here, loaded on first use (``nd.plotting.plot_sholl`` imports only morphology).

* units: ``plot_unit_raster``, ``plot_quality_scatter``, ``plot_tuning_curve``, ``plot_region_comparison``
* population: ``plot_psth``, ``plot_variance_explained``, ``plot_trajectories_by_value``,
  ``plot_trajectories_by_condition``
* decoding: ``plot_predictions``, ``plot_decoder_comparison``, ``plot_confusion_matrix``
* simulations: ``plot_raster``, ``plot_population_rates``, ``plot_rate_traces``, ``plot_membrane_traces``
* the rest: ``sorted(neurodiscovery.plotting.__all__)``; each function's module is
  ``neurodiscovery.plotting.MODULES``' entry that defines it.
"""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

#: Modules holding public ``plot_*`` functions (relative to ``neurodiscovery``), in listing order.
MODULES = (
    "plotting.units", "plotting.population", "plotting.decoding", "plotting.spikes", "plotting.latents",
    "plotting.stats", "plotting.learning", "plotting.snn", "dynamics.plotting", "morphology.plotting",
    "imaging.plotting", "theory.plotting", "sorting.plots", "connectomics.dmri.plotting",
    "connectomics.em.contacts",
)


def _scan() -> dict[str, str]:
    """``plot_* name -> module`` read from the modules' source (nothing imported)."""
    root = Path(__file__).resolve().parent.parent
    found: dict[str, str] = {}
    for mod in MODULES:
        tree = ast.parse((root / (mod.replace(".", "/") + ".py")).read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("plot_"):
                found[node.name] = mod
    return found


_WHERE: dict[str, str] = {}


def _where() -> dict[str, str]:
    # scanned on first use, so that importing the package costs nothing
    if not _WHERE:
        _WHERE.update(_scan())
    return _WHERE


def __getattr__(name: str):
    if name == "__all__":
        return sorted(_where())
    mod = _where().get(name)
    if mod is None:
        raise AttributeError(f"module 'neurodiscovery.plotting' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"neurodiscovery.{mod}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_where()))
