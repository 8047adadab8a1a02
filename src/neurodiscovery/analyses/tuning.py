"""Tuning statistics of a report as one family of tests, corrected together (Benjamini–Hochberg).

:func:`compute_tuning_family` runs every single-unit test the report makes — 1-D tuning
curves to each behavioural variable, 2-D place maps (recordings with 2-D position) and
cosine direction tuning (centre-out trial tables) — and adjusts all their p-values at
once. :func:`compute_encoding` fits the forward-selected Poisson GLM that says which
variables a unit encodes once the others are accounted for (head direction reaches
position through the path; a marginal tuning curve cannot tell them apart).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._utils.errors import InputError


@dataclass(frozen=True)
class TuningFamily:
    """All tuning tests of a report.

    Attributes
    ----------
    curves : dict of label -> TuningCurves   1-D tuning per behavioural variable
    place : PlaceMaps or None
    position_columns : tuple of str or None  the two position columns of the place maps
    direction : DirectionTuning or None      centre-out direction tuning
    tests : list of dict                     one row per (test, unit): raw p and BH-adjusted q
    n_shuffles : int
    alpha : float                            FDR level
    notes : tuple of str                     why a test was not run
    unit_ids, regions : tuple                per unit
    primary : str or None                    label prefix of the primary behaviour
    units : dict of label -> str             physical unit of each variable ("" if unknown)
    """

    curves: dict
    place: object
    position_columns: tuple | None
    direction: object
    tests: list
    n_shuffles: int
    alpha: float
    notes: tuple = field(default=())
    unit_ids: tuple = field(default=())
    regions: tuple = field(default=())
    primary: str | None = None
    units: dict = field(default_factory=dict)

    def to_metrics(self) -> dict:
        """Every test with raw and BH-adjusted p, and the family's settings."""
        m = {"tests": list(self.tests), "n_tests": self.n_tests, "fdr_alpha": self.alpha,
             "n_shuffles": self.n_shuffles, "correction": "Benjamini-Hochberg over all tests of this section"}
        if self.direction is not None:
            d = self.direction
            m["direction_tuning"] = {
                "fraction_tuned_after_fdr": float(np.mean([r["significant_after_fdr"] for r in self.tests
                                                           if r["test"] == "direction tuning"])),
                "window_s": list(d.window_s), "n_trials": d.n_trials,
                "preferred_direction_rad": d.preferred_direction_rad.tolist(), "modulation_hz": d.modulation_hz.tolist(),
                "baseline_hz": d.baseline_hz.tolist(), "r2": d.r2.tolist()}
        return m

    def q_values(self, test: str, variable: str) -> np.ndarray:
        """BH-adjusted p of one test for every unit (NaN where not run)."""
        rows = [r for r in self.tests if r["test"] == test and r["variable"] == variable]
        return np.array([r["q_value"] for r in rows], dtype=float)

    @property
    def n_tests(self) -> int:
        """Number of tests in the family (those that ran)."""
        return sum(np.isfinite(r["p_value"]) for r in self.tests)


def position_columns(binned, name: str = "position") -> tuple[int, int] | None:
    """Indices of the two position columns that span the floor (largest ranges), or None."""
    if name not in binned.behaviors:
        return None
    v = binned.behavior(name)
    if v.shape[1] < 2:
        return None
    ok = np.isfinite(v).all(axis=1)
    if ok.sum() < 50:
        return None
    span = np.ptp(v[ok], axis=0)
    j = np.sort(np.argsort(-span)[:2])
    return int(j[0]), int(j[1])


def _direction_trials(rec):
    tr = rec.trials
    if tr is None or len(tr) < 8 or "direction_rad" not in tr.columns:
        return None
    return "go_s" if "go_s" in tr.columns else "start_s"


def compute_tuning_family(rec, binned, variables, *, n_shuffles: int = 1000, alpha: float = 0.05,
                          seed: int = 0, direction_window_s=(0.0, 0.4), primary: str | None = None) -> TuningFamily:
    """Run every tuning test of a report and correct them together.

    Parameters
    ----------
    rec : Recording
    binned : BinnedRecording
        ``rec`` binned (counts and behaviour on the same bins).
    variables : list of (label, behaviour name, column, circular, units)
        The behavioural variables to tune to (one 1-D test per unit each); objects with
        ``label``, ``name``, ``column``, ``circular`` attributes work too.
    n_shuffles : int
        Circular shifts per test (1-D tuning and place maps); also the permutations of
        the direction test.
    alpha : float
        Benjamini–Hochberg FDR level over all tests.
    seed : int
    direction_window_s : (float, float)
        Rate window after the trial event for direction tuning (s).
    """
    from ..units import fdr_bh, place_maps, reach_direction_tuning, tuning_curves

    ids, regions = np.asarray(rec.unit_ids), np.asarray(rec.regions).astype(str)
    curves, tests, notes, units = {}, [], [], {}

    def add(test, variable, stat_name, values, p):
        for i in range(rec.n_units):
            tests.append({"test": test, "variable": variable, "unit_id": _uid(ids[i]), "region": str(regions[i]), "statistic": stat_name, "value": float(values[i]),
                          "p_value": float(p[i])})

    for vi, var in enumerate(variables):
        label, name, j, circ, unit = ((var.label, var.name, var.column, var.circular, var.units)
                                      if hasattr(var, "label") else tuple(var[:5]))
        units[label] = unit or ""
        v = binned.behavior(name)[:, j]
        if np.isfinite(v).sum() < 50:
            notes.append(f"'{label}': fewer than 50 bins with tracking; not analysed.")
            continue
        try:
            tc = tuning_curves(binned.counts, v, binned.bin_size_s, circ, n_shuffles=n_shuffles, name=label,
                               seed=seed + vi)
        except InputError as exc:
            notes.append(f"'{label}': {exc}")
            continue
        curves[label] = tc
        add("tuning curve", label, "information (bits/spike)", tc.information_bits_per_spike, tc.p_value)
    place, cols = None, position_columns(binned)
    if cols is not None:
        pos = binned.behavior("position")[:, list(cols)]
        try:
            place = place_maps(binned.counts, pos, binned.bin_size_s, n_shuffles=n_shuffles, seed=seed + 101)
            names = binned.columns.get("position", ("x", "y", "z"))
            cols = (str(names[cols[0]]), str(names[cols[1]]))
            units["position"] = binned.units.get("position", "")
            add("place map", f"position ({cols[0]}, {cols[1]})", "spatial information (bits/spike)",
                place.information_bits_per_spike, place.p_value)
        except InputError as exc:
            notes.append(f"place maps: {exc}")
            cols = None
    direction = None
    event = _direction_trials(rec)
    if event is not None:
        try:
            direction = reach_direction_tuning(rec, event=event, window_s=direction_window_s,
                                               n_permutations=n_shuffles, seed=seed + 202)
            add("direction tuning", "reach direction", "cosine R²", direction.r2, direction.p_value)
        except InputError as exc:
            notes.append(f"direction tuning: {exc}")
    q, rej = fdr_bh([r["p_value"] for r in tests], alpha) if tests else (np.zeros(0), np.zeros(0, bool))
    for r, qi, si in zip(tests, q, rej):
        r["q_value"] = float(qi)
        r["significant_after_fdr"] = bool(si)
    return TuningFamily(curves, place, cols, direction, tests, int(n_shuffles), float(alpha), tuple(notes),
                        tuple(_uid(u) for u in ids), tuple(regions.tolist()), primary, units)


def _uid(u):
    return u.item() if hasattr(u, "item") else u


@dataclass(frozen=True)
class EncodingAnalysis:
    """Forward-selected Poisson GLMs of the units of a recording (see :func:`compute_encoding`)."""

    models: object
    unit_ids: np.ndarray
    regions: np.ndarray
    variables: tuple
    position_columns: tuple | None
    bin_size_s: float


def compute_encoding(rec, binned, *, n_folds: int = 10, alpha: float = 0.05) -> EncodingAnalysis | None:
    """Poisson GLM (head direction, 2-D position, speed) per unit with forward selection, or None.

    Needs at least two of the three covariates (otherwise there is nothing to disentangle)
    and spike counts (not imaging traces: a Poisson model needs counts). Bins where any
    covariate is untracked are left out.
    """
    from ..units import encoding_glm

    if getattr(rec, "is_imaging", False):
        return None

    kw = {}
    if "head_direction" in binned.behaviors and binned.is_circular("head_direction"):
        kw["head_direction"] = binned.behavior("head_direction")[:, 0]
    cols = position_columns(binned)
    if cols is not None:
        kw["position"] = binned.behavior("position")[:, list(cols)]
    if "speed" in binned.behaviors:
        kw["speed"] = binned.behavior("speed")[:, 0]
    if len(kw) < 2:
        return None
    models = encoding_glm(binned.counts, binned.bin_size_s, n_folds=n_folds, alpha=alpha, **kw)
    names = binned.columns.get("position", ())
    pcols = None if cols is None else tuple(str(names[c]) if c < len(names) else str(c) for c in cols)
    return EncodingAnalysis(models, np.asarray(rec.unit_ids), np.asarray(rec.regions).astype(str), tuple(kw),
                            pcols, float(binned.bin_size_s))
