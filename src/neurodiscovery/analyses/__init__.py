"""Cross-domain analyses: the science a report runs, as pure functions a Python user calls directly.

This layer sits above the domain packages and below :mod:`neurodiscovery.plotting` and
:mod:`neurodiscovery.pipeline`: a function here may import any domain package (``units``,
``decoding``, ``connectomics``, ...) and returns typed results; it writes no file, draws no figure and
changes no global state. Commands in :mod:`neurodiscovery.pipeline` call these and render the results.

* :mod:`.tuning` — every single-unit tuning test of a report as one family corrected together
  (Benjamini–Hochberg): :func:`compute_tuning_family`; the forward-selected Poisson GLM of what each unit
  encodes once the others are accounted for: :func:`compute_encoding`.
* :mod:`.em_tracing` — a per-section EM segmentation linked into 3-D objects, their skeletons (measured
  with :mod:`neurodiscovery.morphology`) and contact graph: :func:`trace_segmentation` -> :class:`TraceResult`.
"""
from __future__ import annotations

import importlib

_EXPORTS = {"TuningFamily": "tuning", "EncodingAnalysis": "tuning", "compute_tuning_family": "tuning",
            "compute_encoding": "tuning", "TraceResult": "em_tracing", "trace_segmentation": "em_tracing"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
