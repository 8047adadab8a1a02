"""Input checks that turn bad arrays into one clear :class:`InputError`."""
from __future__ import annotations

import numbers
from typing import Sequence

import numpy as np

from .errors import InputError


def check_array(
    x,
    name: str,
    ndim: int | Sequence[int] | None = None,
    dtype=float,
    allow_nan: bool = False,
    min_len: int = 0,
) -> np.ndarray:
    """Convert ``x`` to an ndarray and validate it.

    Parameters
    ----------
    x : array_like
    name : str
        Name used in the error message (e.g. ``"spike_counts (time, neurons)"``).
    ndim : int or sequence of int, optional
        Allowed numbers of dimensions.
    dtype : numpy dtype or None
        Target dtype (``None`` keeps the input's).
    allow_nan : bool
        If False, NaN or inf raise an error naming how many there are.
    min_len : int
        Minimum length of the first axis.
    """
    try:
        arr = np.asarray(x, dtype=dtype) if dtype is not None else np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name}: cannot convert to a numeric array ({exc})") from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            raise InputError(
                f"{name}: expected {' or '.join(str(a) for a in allowed)} dimensions, "
                f"got shape {arr.shape}"
            )
    if arr.ndim and arr.shape[0] < min_len:
        raise InputError(f"{name}: needs at least {min_len} rows, got {arr.shape[0]}")
    if not allow_nan and arr.dtype.kind in "fc":
        bad = ~np.isfinite(arr)
        if bad.any():
            raise InputError(f"{name}: contains {int(bad.sum())} NaN/inf values")
    return arr


def check_positive(value: float, name: str, allow_zero: bool = False) -> float:
    """Check a scalar parameter is a finite positive number (units are in ``name``)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise InputError(f"{name} must be {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    return v


def check_same_length(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise if two arrays disagree on their first axis."""
    if len(a) != len(b):
        raise InputError(f"length mismatch: {name_a} has {len(a)} rows but {name_b} has {len(b)}")


_NOUNS = {"int": "an integer", "float": "a number", "str": "a string", "bool": "true or false", "dict": "a mapping"}
_TYPES = {"int": (numbers.Integral,), "float": (numbers.Real,), "str": (str,), "bool": (bool, np.bool_),
          "dict": (dict,)}


def check_field_types(obj, where: str) -> None:
    """Refuse a dataclass whose fields do not hold the type their annotation names (config files are untrusted).

    ``"depth": "four"`` in a checkpoint's config would otherwise surface as ``invalid literal for int()`` deep in
    a model, and ``True`` would pass as 1. Annotations ``int``, ``float``, ``str``, ``bool`` and ``dict`` are
    checked; others are left to the class.
    """
    from dataclasses import fields

    for f in fields(obj):
        ann = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
        ok = _TYPES.get(ann)
        v = getattr(obj, f.name)
        if ok is None:
            continue
        if (isinstance(v, (bool, np.bool_)) and ann != "bool") or not isinstance(v, ok):
            raise InputError(f"{where}: {f.name} must be {_NOUNS[ann]}, got {v!r}")
