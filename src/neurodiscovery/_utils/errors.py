"""Exception hierarchy.

Every error a user can cause derives from :class:`NeurodiscoveryError`, so the
CLI can print one line and exit with status 2 instead of a traceback.
"""
from __future__ import annotations


class NeurodiscoveryError(Exception):
    """Base class of all user-facing errors raised by neurodiscovery."""


class InputError(NeurodiscoveryError, ValueError):
    """Bad input: wrong shape, units, NaN, unknown name, out-of-range parameter."""


class DataFileError(NeurodiscoveryError, ValueError):
    """A file exists but is not a readable recording (corrupt, wrong format, missing field)."""


class MissingFileError(NeurodiscoveryError, FileNotFoundError):
    """A file or folder the user named does not exist."""


class MissingDependencyError(NeurodiscoveryError, ImportError):
    """An optional dependency is needed for this feature; the message names the pip install."""


def require(module: str, extra: str | None = None):
    """Import an optional dependency or raise a clear install hint.

    Parameters
    ----------
    module : str
        Importable module name, e.g. ``"pynapple"``.
    extra : str, optional
        pip requirement to suggest; defaults to ``module``.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on environment
        raise MissingDependencyError(
            f"this feature needs the optional package '{module}': pip install {extra or module}"
        ) from exc
