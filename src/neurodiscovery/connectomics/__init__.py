"""Connectomics: reconstruction of neural circuits from imaging data (:mod:`.em` for electron
microscopy, :mod:`.dmri` for diffusion MRI structural connectomes).

Both subpackages load on first attribute access (``nd.connectomics.em``), so importing this package
pulls in neither torch nor dipy.
"""
from __future__ import annotations

import importlib

_SUBPACKAGES = ("dmri", "em")
__all__ = list(_SUBPACKAGES)


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBPACKAGES))
