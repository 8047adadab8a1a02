"""Section 6: each behaviour (and trial condition) decoded on blocked folds against a shifted control."""
from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass

import numpy as np

from ..._utils.errors import InputError
from ..report import Section
from . import Skipped
from ._inputs import AnalysisInputs

# The steady-state Kalman gain equals the time-varying one after a few dozen bins and
# avoids solving a (features x features) system at every one of ~10^4 bins.
DECODER_PARAMS = {"kalman": {"steady_state": True}}


@dataclass(frozen=True)
class DecodingStageResult:
    """Cross-validated decoding of every behaviour, the primary one per region, and trial conditions.

    Attributes
    ----------
    behaviors : dict of str -> DecodingResult
        Per decoded behaviour, in recording order.
    by_region : tuple of dict
        Primary behaviour decoded by the Wiener filter from each region alone: region, units,
        decoder, r2_mean (and median_angular_error_deg for angles).
    conditions : ClassificationResult or None
        Trial-condition decoding (stratified trial-wise folds, permuted-label control).
    condition_best : dict or None
        Best real classifier row.
    chance : float or None
        1 / number of decoded conditions.
    primary : str or None
    notes : tuple of str
        Behaviours left out and warnings raised while decoding.
    n_splits : int
    """

    behaviors: dict
    by_region: tuple
    conditions: object
    condition_best: dict | None
    chance: float | None
    primary: str | None
    notes: tuple
    n_splits: int

    def to_metrics(self) -> dict:
        """Per-behaviour tables, folds and config; region table; condition decoding."""
        m = {"behaviors": {n: res.to_dict() for n, res in self.behaviors.items()}, "by_region": list(self.by_region)}
        if self.conditions is not None:
            m["conditions"] = self.conditions.to_dict()
            m["condition_accuracy_best"] = self.condition_best["accuracy_mean"]
        return m


@contextlib.contextmanager
def _notes(notes: list | None, label: str):
    """Turn warnings raised inside (e.g. NaN targets dropped) into report notes, not stderr noise."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    if notes is not None:
        notes += [f"'{label}': {w}" for w in dict.fromkeys(str(w.message) for w in caught)]


def decode_span(b, name: str) -> slice:
    """Bins from the first to the last tracked sample of a behaviour (NaN gaps inside stay NaN)."""
    idx = np.flatnonzero(b.valid(name))
    return slice(idx[0], idx[-1] + 1)


def _decode(b, name, sl, decoders, cfg, units=None, control=True, **kw):
    from ...decoding import cross_validate_decoders

    circ = b.is_circular(name)
    y = b.behavior(name)[sl]
    X = b.counts[sl] if units is None else b.counts[sl][:, units]
    kw.setdefault("transform", "sqrt" if (X >= 0).all() else "none")  # signed traces (ΔF/F) stay as they are
    return cross_validate_decoders(X, y[:, 0] if circ else y, decoders=decoders, n_splits=cfg.n_splits,
                                   bins_before=cfg.bins_before, bins_after=cfg.bins_after, circular=circ,
                                   segment=b.segment[sl], seed=cfg.seed, shuffle_control=control, **kw)


def _behaviors(inputs: AnalysisInputs, cfg, notes: list) -> dict:
    b, pb = inputs.binned(), inputs.primary_behavior()
    out = {}
    for name in inputs.rec.behavior_names:
        valid = b.valid(name)
        sl = decode_span(b, name) if valid.any() else None
        if sl is None or valid[sl].sum() < cfg.min_decoding_bins:
            notes.append(f"'{name}': fewer than {cfg.min_decoding_bins} tracked bins; not decoded.")
            continue
        decs = cfg.regression_decoders(primary=name == pb)
        if b.behavior(name).shape[1] > 2 or (b.counts < 0).any():  # grid grows as n_bins ** outputs; Poisson
            decs = tuple(d for d in decs if d != "bayes")
        circ = b.is_circular(name)
        try:
            with _notes(notes, name):
                out[name] = _decode(b, name, sl, decs, cfg, quick=cfg.quick, decoder_params=DECODER_PARAMS,
                                    output_names=None if circ else list(b.columns[name]))
        except InputError as exc:
            notes.append(f"'{name}': not decoded ({exc}).")
    return out


def _by_region(inputs: AnalysisInputs, cfg, notes: list) -> list[dict]:
    """The primary behaviour from each region alone (Wiener filter: a fair, fast comparison)."""
    b, pb = inputs.binned(), inputs.primary_behavior()
    regions = np.asarray(inputs.rec.regions)
    sl, circ, rows = decode_span(b, pb), b.is_circular(pb), []
    for r in dict.fromkeys(regions):
        m = regions == r
        try:
            with _notes(None, r):
                res = _decode(b, pb, sl, ("wiener",), cfg, units=m, control=False)
        except InputError as exc:
            notes.append(f"region {r}: not decoded ({exc}).")
            continue
        row = res.row("wiener")
        rows.append({"region": r, "units": int(m.sum()), "decoder": "wiener", "r2_mean": row.r2_mean,
                     **({"median_angular_error_deg": row.median_angular_error_deg} if circ else {})})
    return rows


def _conditions(inputs: AnalysisInputs, cfg, notes: list):
    """Trial conditions from sqrt counts in ``condition_bin_s`` bins; conditions with < 2 trials left out."""
    from ...decoding import cross_validate_classifiers

    a = inputs.alignment().aligned
    k = max(1, int(round(cfg.condition_bin_s / a.bin_size_s)))
    nt = a.counts.shape[1] // k
    feats = a.counts[:, : nt * k].reshape(len(a.counts), nt, k, -1).sum(2)
    labels, counts = np.unique(a.conditions, return_counts=True)
    keep_labels = labels[counts >= 2]  # a condition needs a trial to train on and one to test on
    if len(keep_labels) < len(labels):
        notes.append(f"trial conditions with < 2 trials left out of condition decoding: "
                     f"{', '.join(map(str, labels[counts < 2]))}.")
    keep = np.isin(a.conditions, keep_labels)
    try:
        if len(keep_labels) < 2:
            raise InputError(f"needs at least two conditions with >= 2 trials each, found {len(keep_labels)}")
        cres = cross_validate_classifiers(np.sqrt(feats[keep]), a.conditions[keep],
                                          decoders=cfg.condition_classifiers(),
                                          n_splits=min(cfg.n_splits, int(counts[counts >= 2].min())),
                                          seed=cfg.seed, quick=cfg.quick)
    except InputError as exc:
        notes.append(f"trial conditions: not decoded ({exc}).")
        return None, None, None
    return cres, cres.best(), 1 / len(keep_labels)


def compute(inputs: AnalysisInputs, cfg, needs: dict) -> DecodingStageResult | Skipped:
    """Decode every behaviour, the primary one per region, and trial conditions."""
    rec = inputs.rec
    if not rec.behavior_names and not inputs.has_conditions:
        return Skipped("the recording has neither behaviour nor trial conditions to decode.")
    notes: list[str] = []
    behaviors = _behaviors(inputs, cfg, notes) if rec.behavior_names else {}
    pb = inputs.primary_behavior()
    by_region = _by_region(inputs, cfg, notes) if pb in behaviors and len(set(rec.regions)) > 1 else []
    cres = best = chance = None
    if inputs.has_conditions:
        cres, best, chance = _conditions(inputs, cfg, notes)
    return DecodingStageResult(behaviors, tuple(by_region), cres, best, chance, pb, tuple(notes), cfg.n_splits)


_SHOW = ("behavior", "decoder", "control", "r2_mean", "pearson_r2_mean", "rmse_mean", "median_angular_error_deg",
         "fit_time_s")


def render(res: DecodingStageResult, figures) -> Section:
    """Decoder tables (real vs shifted control), region table, condition table; best results as key numbers."""
    sec = Section("decoding", "", text=list(res.notes))
    rows = [{"behavior": n, **r.to_dict()} for n, dr in res.behaviors.items() for r in dr.table]
    if rows:
        sec.tables.append((f"Blocked {res.n_splits}-fold cross-validation (gap = spike-history window); "
                           "control = behaviour circularly shifted in time (chance)",
                           [{k: r.get(k) for k in _SHOW if k in r} for r in rows]))
    if res.by_region:
        sec.tables.append((f"Decoding {res.primary} from each region alone (Wiener filter)", list(res.by_region)))
    if res.conditions is not None:
        sec.tables.append(("Trial-condition decoding (stratified trial-wise folds; control = permuted labels)",
                           [{k: v for k, v in r.items() if not isinstance(v, (list, dict))}
                            for r in res.conditions.table]))
        best = res.condition_best
        sec.key_numbers.append(("condition decoding accuracy", f"{best['accuracy_mean']:.2f} ({best['decoder']}; "
                                                               f"chance {res.chance:.2f})"))
    if res.primary in res.behaviors:
        dr = res.behaviors[res.primary]
        best = dr.best()
        txt = f"R² {best.r2_mean:.2f} ({best.decoder})"
        if best.median_angular_error_deg is not None:
            txt += f", median error {best.median_angular_error_deg:.1f}°"
        sec.key_numbers.append((f"{res.primary} decoding (best)", txt))
        if dr.controls():
            sec.key_numbers.append((f"{res.primary} decoding, shifted control (best)",
                                    f"R² {max(r.r2_mean for r in dr.controls()):.2f}"))
    return sec
