"""Checks of :class:`~neurodiscovery.pipeline.config.AnalysisConfig` names (decoders, latent methods,
formats, processes): one-line :class:`~neurodiscovery._utils.errors.InputError` listing what is available."""
from __future__ import annotations

import numbers

from .._utils.errors import InputError


def _check_names(names, allowed, label: str) -> tuple:
    names = (names,) if isinstance(names, str) else tuple(names)
    bad = [d for d in names if d not in allowed]
    if bad or not names:
        raise InputError(f"unknown {label}: {', '.join(map(str, bad)) or '(none given)'}; "
                         f"available: {', '.join(allowed)}")
    return names


def _check_processes(n) -> None:
    if n is not None and not (isinstance(n, numbers.Integral) and n >= 1):
        raise InputError(f"n_processes must be an integer >= 1 or None (automatic), got {n!r}")


def _check_decoders(names, label: str) -> tuple:
    from ..decoding import REGRESSORS

    return _check_names(names, REGRESSORS, f"decoder(s) in {label}")


def _check_latent_methods(names) -> tuple:
    from ..latents import METHODS

    return _check_names(names, METHODS, "latent method(s) in latent_methods")
