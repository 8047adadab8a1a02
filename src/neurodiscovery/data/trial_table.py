"""The trial table of a :class:`~neurodiscovery.data.Recording`: one row per trial, with its columns."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from .._utils.errors import InputError


@dataclass(frozen=True)
class Trials:
    """Trial table: one row per trial.

    Parameters
    ----------
    start_s, stop_s : ndarray, shape (n_trials,)
        Trial bounds in seconds.
    columns : dict of str -> ndarray (n_trials,)
        Per-trial columns, e.g. ``condition``, ``outcome`` or event times such as ``go_s``.
    """

    start_s: np.ndarray
    stop_s: np.ndarray
    columns: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self):
        s = np.asarray(self.start_s, float)
        e = np.asarray(self.stop_s, float)
        if s.ndim != 1 or s.shape != e.shape:
            raise InputError(f"trials: start_s {s.shape} and stop_s {e.shape} must be 1-D of equal length")
        if np.any(~np.isfinite(s)) or np.any(~np.isfinite(e)) or np.any(e <= s):
            raise InputError("trials: every trial needs finite start_s < stop_s")
        cols = {}
        for k, v in dict(self.columns).items():
            v = np.asarray(v)
            if v.shape != s.shape:
                raise InputError(f"trials: column '{k}' has {v.shape[0] if v.ndim else 0} rows, "
                                 f"expected {len(s)} (mismatched lengths)")
            cols[str(k)] = v
        object.__setattr__(self, "start_s", s)
        object.__setattr__(self, "stop_s", e)
        object.__setattr__(self, "columns", cols)

    def __len__(self) -> int:
        return len(self.start_s)

    def __eq__(self, other) -> bool:
        from ._compare import trials_equal

        return isinstance(other, Trials) and trials_equal(self, other)

    __hash__ = None

    def column(self, name: str) -> np.ndarray:
        """The column ``name`` as ``(trials,)`` (``start_s``/``stop_s`` or an extra column)."""
        if name in ("start", "start_s", "start_time"):
            return self.start_s
        if name in ("stop", "stop_s", "stop_time"):
            return self.stop_s
        if name not in self.columns:
            raise InputError(f"trials have no column '{name}'; available: "
                             f"{', '.join(['start_s', 'stop_s', *self.columns])}")
        return self.columns[name]

    def subset(self, mask: np.ndarray) -> "Trials":
        """Trials selected by ``mask (trials,)``, a boolean mask or integer indices."""
        return Trials(self.start_s[mask], self.stop_s[mask], {k: v[mask] for k, v in self.columns.items()})
