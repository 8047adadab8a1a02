"""Shared input preparation for cross-validated decoding: validation, designs, targets."""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError
from .crossval import _drop_silent
from .crossval import _targets as _cv_targets
from .design import lagged_design, n_lags


@dataclass(frozen=True)
class PreparedDecoding:
    """Designs and targets of the usable samples (NaN targets dropped), in time order.

    Attributes
    ----------
    inputs : dict of layout -> callable(rows) -> array
        ``"flat"`` (rows, lags*neurons), ``"seq"`` (rows, lags, neurons), ``"sum"`` (rows,
        neurons) raw counts summed over the window (for the Poisson Bayes decoder).
    target : (samples, outputs)  ((cos, sin) for circular targets)
    theta : (samples,) angles in radians, or None
    sample_index : (samples,) time bin of each sample
    circular : bool
    n_samples : int
    config : dict  lags, transform, neurons, dropped neurons / NaN targets, output names
    """

    inputs: dict
    target: np.ndarray
    theta: np.ndarray | None
    sample_index: np.ndarray
    circular: bool
    n_samples: int
    config: dict


def _targets(X, y):
    y = np.asarray(y, dtype=float)
    if X.ndim == 3:
        if y.ndim == 2 and y.shape[:2] == X.shape[:2]:
            y = y[..., None]
        if y.ndim != 3 or y.shape[:2] != X.shape[:2]:
            raise InputError(f"y must be (trials, time, outputs) matching X {X.shape[:2]}, got {y.shape}")
        return y.reshape(-1, y.shape[-1])
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2:
        raise InputError(f"y must be (time,) or (time, outputs), got shape {y.shape}")
    if len(y) != len(X):
        raise InputError(f"length mismatch: X has {len(X)} time bins but y has {len(y)}")
    return y


def prepare_decoding(X, y, *, bins_before: int = 4, bins_after: int = 4, bins_current: bool = True,
                     circular: bool = False, segment=None, transform: str = "sqrt",
                     output_names=None) -> PreparedDecoding:
    """Validate counts and behaviour and build the spike-history designs once.

    Parameters are those of :func:`~neurodiscovery.decoding.cross_validate_decoders`.
    All-zero neurons and NaN-target samples are dropped, each with a warning.
    """
    from .._utils.validation import check_array

    X = check_array(X, "spike counts X (time, neurons)", ndim=(2, 3))
    y_flat = _targets(X, y)
    if np.isinf(y_flat).any():
        raise InputError(f"y contains {int(np.isinf(y_flat).sum())} infinite values")
    # the same checks, warnings and target encoding as cross_validate_decoders
    X, silent = _drop_silent(X)
    theta, target, names = _cv_targets(y_flat, circular, output_names)
    if transform not in ("sqrt", "none"):
        raise InputError(f"transform must be 'sqrt' or 'none', got {transform!r}")
    if transform == "sqrt" and (X < 0).any():
        raise InputError("spike counts X must be non-negative for transform='sqrt' (use 'none' for signed traces)")
    Xf = np.sqrt(X) if transform == "sqrt" else X
    bb, ba = int(bins_before), int(bins_after)
    flat, sidx = lagged_design(Xf, bb, ba, bins_current, flat=True, segment=segment)
    # the Bayes decoder reads raw counts summed over the window: kept as that sum (a 1/n_lags of the
    # window's size); the sequence design of the recurrent networks is built only if one asks for it
    lag_sum = lagged_design(X, bb, ba, bins_current, flat=False, segment=segment)[0].sum(axis=1)
    seq_cache: dict = {}

    def seq(rows):
        if "seq" not in seq_cache:
            seq_cache["seq"] = lagged_design(Xf, bb, ba, bins_current, flat=False, segment=segment)[0]
        return seq_cache["seq"][keep[rows]]

    valid = np.isfinite(target[sidx]).all(axis=1)
    n_nan = int((~valid).sum())
    if n_nan:
        warnings.warn(f"dropped {n_nan} of {len(valid)} samples whose target is NaN (e.g. no tracking); "
                      "they are not used for training or testing", UserWarning, stacklevel=3)
    keep = np.flatnonzero(valid)
    sidx = sidx[keep]
    inputs = {"flat": lambda rows: flat[keep[rows]], "seq": seq, "sum": lambda rows: lag_sum[keep[rows]]}
    config = {"bins_before": bb, "bins_after": ba, "bins_current": bool(bins_current),
              "n_lags": n_lags(bb, ba, bins_current), "circular": bool(circular), "transform": transform,
              "n_samples": len(sidx), "n_neurons": int(X.shape[-1]), "dropped_silent_neurons": silent.tolist(),
              "n_nan_targets_dropped": n_nan, "output_names": names, "trials": bool(X.ndim == 3)}
    return PreparedDecoding(inputs, target[sidx], None if theta is None else theta[sidx], sidx, bool(circular),
                            len(sidx), config)
