"""neurodiscovery: neural data analysis, decoding, simulation and connectomics.

Import cost is kept low: subpackages load their heavy dependencies (torch,
pynwb, numba, dask) only when used.

>>> import neurodiscovery as nd
>>> rec = nd.datasets.load_head_direction()          # doctest: +SKIP
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

from ._utils.errors import NeurodiscoveryError  # noqa: E402

_SUBPACKAGES = ("analyses", "cli", "connectomics", "data", "datasets", "decoding", "dynamics", "imaging", "latents", "learning", "morphology", "pipeline", "plotting", "simulation", "sorting", "theory", "units")


def __getattr__(name: str):
    # Lazy subpackage import keeps `import neurodiscovery` under a second.
    if name in _SUBPACKAGES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'neurodiscovery' has no attribute {name!r}")


def __dir__():
    # the subpackages are listed although they load only on first use
    return sorted(set(globals()) | set(_SUBPACKAGES))


__all__ = ["NeurodiscoveryError", "__version__", *_SUBPACKAGES]
