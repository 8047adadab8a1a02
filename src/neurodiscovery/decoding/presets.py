"""Named decoder settings shared by every command (``analyze``, ``decode``) and Python users.

A preset maps decoder names to constructor parameters (``decoder_params`` of
:func:`~neurodiscovery.decoding.cross_validate_decoders` and
:func:`~neurodiscovery.decoding.nested_cross_validate`); a decoder a preset does not name keeps its
class defaults. Commands record the preset's name and content in ``config.json``.

``"reference"``
    The decoders' class defaults (MLP: batches of 128, lr 1e-3, patience 10; time-varying Kalman gain).
    ``decode``'s default: the decoder comparison it reports is of the documented estimators.
``"fast"``
    For the many fits of nested selection (``analyze``'s default). The steady-state Kalman gain equals
    the time-varying one after a few dozen bins and avoids solving a (features x features) system at
    every one of ~10^4 bins. The MLP trains on large batches at a large step with early stopping after
    5 epochs without validation gain; it is most of the decoding stage (10 fits: inner and outer, 5
    folds). Batches of 128 / lr 1e-3 / patience 10 took 24.6 s per fold; 512 / 3e-3 / 5 took 9.7 s.
    On the built-in recording's nested head-direction decoding (one thread, same loaded machine, back
    to back; CPU of the whole nested run): 512 / 3e-3: R² 0.886, median error 7.31°, 27.6 s;
    768 / 4e-3: R² 0.891, 7.24°, 21.3 s; 1024 / 5e-3: R² 0.881, 7.33°, 19.8 s; 1024 / 3e-3: R² 0.862;
    hidden 64: R² 0.885, 7.50°.
"""
from __future__ import annotations

import copy

from .._utils.errors import InputError

__all__ = ["DECODER_PRESETS", "decoder_preset"]

#: Preset name -> {decoder: constructor parameters}.
DECODER_PRESETS: dict[str, dict[str, dict]] = {
    "reference": {},
    "fast": {"kalman": {"steady_state": True}, "mlp": {"batch_size": 768, "lr": 4e-3, "patience": 5}},
}


def decoder_preset(name: str) -> dict[str, dict]:
    """A copy of the decoder parameters of preset ``name`` (see the module docstring).

    Parameters
    ----------
    name : str
        A key of :data:`DECODER_PRESETS`.

    Returns
    -------
    dict of str -> dict
        ``decoder_params`` for the cross-validation functions.

    Raises
    ------
    InputError
        For an unknown preset (the message lists the known ones).
    """
    if name not in DECODER_PRESETS:
        raise InputError(f"unknown decoder preset '{name}'; available: {', '.join(DECODER_PRESETS)}")
    return copy.deepcopy(DECODER_PRESETS[name])
