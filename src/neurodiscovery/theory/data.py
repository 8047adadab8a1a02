"""Behavioural trials: one documented CSV layout, read with validation.

Layout (one row per trial, header required, comma-separated)::

    condition,stimulus,cue_visual,cue_haptic,response,sequence
    both,0.31,0.56,0.06,0.42,0

- ``stimulus`` (required): the true stimulus value on the trial (stimulus units; for a
  psychometric experiment, the stimulus intensity).
- ``response`` (required): the observer's response. Continuous estimate for the
  Gaussian, cue-combination and Kalman observers; 0/1 (or ``yes``/``no``,
  ``correct``/``incorrect``) for the psychometric model.
- ``condition`` (optional, default ``"all"``): a label; for the Gaussian observer without
  cue columns each condition is one sensory-noise level.
- ``cue_<name>`` (optional, any number): the value presented to cue ``<name>`` on the
  trial; empty or ``nan`` when that cue is absent (single-cue conditions).
- ``sequence`` (optional, integer): for the Kalman observer, rows of one sequence are
  consecutive time steps of a moving stimulus, in file order.
"""
from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._utils.atomic import atomic_output
from .._utils.errors import DataFileError, InputError, MissingFileError

_BINARY = {"1": 1.0, "0": 0.0, "yes": 1.0, "no": 0.0, "correct": 1.0, "incorrect": 0.0,
           "true": 1.0, "false": 0.0}


@dataclass(frozen=True)
class TrialTable:
    """Behavioural trials in memory (all arrays have shape ``(trials,)``).

    Attributes
    ----------
    stimulus : ndarray of float, shape (trials,)
        Stimulus value of each trial.
    response : ndarray of float, shape (trials,)
        Response of each trial (0/1 for psychometric tasks, an estimate for observers).
    condition : ndarray of str, shape (trials,)
        Condition label of each trial.
    cues : dict of str to ndarray of float, shape (trials,)
        Presented value per cue name; NaN where the cue is absent.
    sequence : ndarray of int, shape (trials,), optional
        Sequence id per row (time series for the Kalman observer), in time order.
    """

    stimulus: np.ndarray
    response: np.ndarray
    condition: np.ndarray
    cues: dict = field(default_factory=dict)
    sequence: np.ndarray | None = None

    def __post_init__(self):
        n = len(self.stimulus)
        arrays = {"response": self.response, "condition": self.condition, **{f"cue_{k}": v for k, v in
                                                                               self.cues.items()}}
        if self.sequence is not None:
            arrays["sequence"] = self.sequence
        for name, arr in arrays.items():
            if len(arr) != n:
                raise InputError(f"trial table: {name} has {len(arr)} rows, stimulus has {n}")
        if not np.all(np.isfinite(self.stimulus)):
            raise InputError("trial table: stimulus holds NaN or infinite values")
        if not np.all(np.isfinite(self.response)):
            raise InputError("trial table: response holds NaN or infinite values")

    @property
    def n_trials(self) -> int:
        """Number of trials (rows)."""
        return len(self.stimulus)

    def subset(self, index) -> "TrialTable":
        """Rows ``index`` (boolean mask or integer indices), in that order."""
        idx = np.asarray(index)
        return TrialTable(self.stimulus[idx], self.response[idx], self.condition[idx],
                          {k: v[idx] for k, v in self.cues.items()},
                          None if self.sequence is None else self.sequence[idx])

    def with_response(self, response) -> "TrialTable":
        """The same design with other responses ``response (trials,)`` (simulated data)."""
        return TrialTable(self.stimulus, np.asarray(response, float), self.condition, self.cues, self.sequence)


def _number(text: str, column: str, row: int, path) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{path}: row {row}, column {column!r}: {text!r} is not a number") from None
    if math.isinf(value):
        raise InputError(f"{path}: row {row}, column {column!r} is infinite")
    return value


def _read_rows(path: Path) -> tuple[list[str], dict[str, list[str]]]:
    """Header and stripped text columns of a CSV; one clear error for unreadable or ragged files."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataFileError(f"{path} is not a readable CSV text file ({exc.__class__.__name__})") from None
    if not rows:
        raise DataFileError(f"{path} is empty")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in ("stimulus", "response") if c not in header]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)} (header: {', '.join(header)})")
    if len(set(header)) != len(header):
        raise InputError(f"{path}: duplicate column names in the header")
    body = [r for r in rows[1:] if any(x.strip() for x in r)]
    if not body:
        raise InputError(f"{path} has a header but no trials")
    cols: dict[str, list] = {h: [] for h in header}
    for i, r in enumerate(body, start=2):
        if len(r) != len(header):
            raise InputError(f"{path}: row {i} has {len(r)} fields, the header has {len(header)}")
        for h, x in zip(header, r):
            cols[h].append(x.strip())
    return header, cols


def _binary(texts: list[str], path) -> np.ndarray:
    out = []
    for i, x in enumerate(texts, 2):
        key = x.lower()
        if key in ("1.0", "0.0"):
            key = key[0]
        if key not in _BINARY:
            raise InputError(f"{path}: row {i}: response {x!r} is not 0/1 (yes/no, correct/incorrect), "
                             "as a 2AFC/yes-no psychometric model needs")
        out.append(_BINARY[key])
    return np.array(out)


def read_trials(path: str | os.PathLike, *, binary_response: bool = False) -> TrialTable:
    """Read and validate a trials CSV (layout in the module docstring).

    Parameters
    ----------
    path : path-like
    binary_response : bool
        Accept ``yes/no``, ``correct/incorrect``, ``true/false`` and require 0/1 responses
        (psychometric model).

    Returns
    -------
    TrialTable

    Raises
    ------
    MissingFileError, DataFileError, InputError
        One line naming the file, row and column at fault.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"trials file {path} does not exist" if not path.exists()
                               else f"{path} is not a file")
    header, cols = _read_rows(path)
    n = len(cols["stimulus"])

    def numbers(name: str) -> np.ndarray:
        return np.array([math.nan if (x == "" and name.startswith("cue_")) else _number(x, name, i, path)
                         for i, x in enumerate(cols[name], 2)])

    stim = numbers("stimulus")
    resp = _binary(cols["response"], path) if binary_response else numbers("response")
    for name, arr in (("stimulus", stim), ("response", resp)):
        if np.isnan(arr).any():
            raise InputError(f"{path}: column {name!r} has {int(np.isnan(arr).sum())} missing value(s)")
    cond = np.array(cols["condition"] if "condition" in cols else ["all"] * n, dtype=str)
    cues = {h[4:]: numbers(h) for h in header if h.startswith("cue_")}
    seq = None
    if "sequence" in cols:
        seq_f = numbers("sequence")
        if np.isnan(seq_f).any() or np.any(seq_f != np.round(seq_f)):
            raise InputError(f"{path}: column 'sequence' must hold integer ids")
        seq = seq_f.astype(int)
    return TrialTable(stim, resp, cond, cues, seq)


def write_trials(table: TrialTable, path: str | os.PathLike) -> Path:
    """Write ``table`` as a trials CSV atomically; an existing file is never overwritten.

    Parameters
    ----------
    table : TrialTable
        The trials.
    path : path
        CSV file to create.

    Returns
    -------
    Path
    """
    path = Path(path)
    header = ["condition", "stimulus", *(f"cue_{k}" for k in table.cues), "response"]
    if table.sequence is not None:
        header.append("sequence")
    with atomic_output(path, overwrite=False) as tmp, open(tmp, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for i in range(table.n_trials):
            row = [table.condition[i], repr(float(table.stimulus[i]))]
            row += ["" if np.isnan(v[i]) else repr(float(v[i])) for v in table.cues.values()]
            row.append(repr(float(table.response[i])))
            if table.sequence is not None:
                row.append(str(int(table.sequence[i])))
            w.writerow(row)
    return path
