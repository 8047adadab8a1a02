"""Section 6: every behaviour decoded with nested selection, a shift-null p-value and block-bootstrap CIs.

The decoder reported for a behaviour is chosen inside each outer training fold (inner
validation block, same gap); the outer folds only score it. Per-decoder outer scores are
shown for comparison, labelled as such. Trial conditions are decoded by one pre-specified
classifier with a label-permutation p-value and a trial-bootstrap interval.
"""
from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass

import numpy as np

from ..._utils.errors import InputError
from ...decoding.presets import DECODER_PRESETS
from ..report import Section
from . import Skipped
from ._decoding_units import capped_units as _capped
from ._decoding_units import decoding_units, unit_cap  # noqa: F401  (public: analyze's memory check, tests)
from ._inputs import AnalysisInputs

# the named "fast" preset of neurodiscovery.decoding.presets (its docstring gives the measurements)
DECODER_PRESET = "fast"
DECODER_PARAMS = DECODER_PRESETS[DECODER_PRESET]


@dataclass(frozen=True)
class DecodingStageResult:
    """Nested decoding of every behaviour, the primary one per region, and trial conditions.

    Attributes
    ----------
    behaviors : dict of str -> NestedDecodingResult
        Per decoded behaviour, in recording order.
    by_region : dict of str -> NestedDecodingResult
        Primary behaviour decoded by the Wiener filter from each region alone.
    conditions : ClassificationStats or None
        Trial-condition decoding (stratified trial-wise folds, permutation p, bootstrap CI).
    primary : str or None
    notes : tuple of str
    n_splits : int
    bin_size_s : float
    units : dict of str -> str
        Physical units of each decoded behaviour.
    """

    behaviors: dict
    by_region: dict
    conditions: object
    primary: str | None
    notes: tuple
    n_splits: int
    bin_size_s: float
    units: dict

    def to_metrics(self) -> dict:
        """Per behaviour and region: nested headline, CI, null p, per-candidate scores; conditions."""
        m = {"behaviors": {n: r.to_dict() for n, r in self.behaviors.items()},
             "by_region": {n: r.to_dict() for n, r in self.by_region.items()}, "bin_size_s": self.bin_size_s}
        if self.conditions is not None:
            m["conditions"] = self.conditions.to_dict()
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


def _nested(b, name, sl, decoders, cfg, units=None):
    from ...decoding import nested_cross_validate

    circ = b.is_circular(name)
    y = b.behavior(name)[sl]
    X = b.counts[sl] if units is None else b.counts[sl][:, units]
    transform = "sqrt" if (X >= 0).all() else "none"  # signed traces (ΔF/F) stay as they are
    return nested_cross_validate(X, y[:, 0] if circ else y, decoders=decoders, decoder_params=DECODER_PARAMS,
                                 n_splits=cfg.n_splits, bins_before=cfg.bins_before, bins_after=cfg.bins_after,
                                 circular=circ, segment=b.segment[sl], transform=transform, seed=cfg.seed,
                                 quick=cfg.quick,
                                 n_permutations=cfg.n_permutations, n_permutations_slow=cfg.n_permutations_slow,
                                 n_boot=cfg.n_boot,
                                 output_names=None if circ else list(b.columns[name]))


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
        try:
            with _notes(notes, name):
                out[name] = _nested(b, name, sl, decs, cfg, units=_capped(b, sl, cfg, notes))
        except InputError as exc:
            notes.append(f"'{name}': not decoded ({exc}).")
    return out


def _by_region(inputs: AnalysisInputs, cfg, notes: list) -> dict:
    """The primary behaviour from each region alone (Wiener filter: a fair, fast comparison)."""
    b, pb = inputs.binned(), inputs.primary_behavior()
    regions = np.asarray(inputs.rec.regions)
    sl, out = decode_span(b, pb), {}
    for r in dict.fromkeys(regions):
        try:
            with _notes(None, r):
                out[str(r)] = _nested(b, pb, sl, ("wiener",), cfg,
                                      units=_capped(b, sl, cfg, notes, regions == r))
        except InputError as exc:
            notes.append(f"region {r}: not decoded ({exc}).")
    return out


def _conditions(inputs: AnalysisInputs, cfg, notes: list):
    """Trial conditions from sqrt counts in ``condition_bin_s`` bins; conditions with < 2 trials left out."""
    from ...decoding import classify_with_uncertainty

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
        return classify_with_uncertainty(np.sqrt(feats[keep]), a.conditions[keep],
                                         decoder=cfg.condition_classifiers()[0],
                                         n_splits=min(cfg.n_splits, int(counts[counts >= 2].min())),
                                         n_permutations=cfg.n_shuffles, n_boot=cfg.n_boot, seed=cfg.seed,
                                         quick=cfg.quick)
    except InputError as exc:
        notes.append(f"trial conditions: not decoded ({exc}).")
        return None


def compute(inputs: AnalysisInputs, cfg, needs: dict) -> DecodingStageResult | Skipped:
    """Decode every behaviour (nested), the primary one per region, and trial conditions."""
    rec = inputs.rec
    if not rec.behavior_names and not inputs.has_conditions:
        return Skipped("the recording has neither behaviour nor trial conditions to decode.")
    notes: list[str] = []
    behaviors = _behaviors(inputs, cfg, notes) if rec.behavior_names else {}
    pb = inputs.primary_behavior()
    by_region = _by_region(inputs, cfg, notes) if pb in behaviors and len(set(rec.regions)) > 1 else {}
    cres = _conditions(inputs, cfg, notes) if inputs.has_conditions else None
    b = inputs.binned()
    return DecodingStageResult(behaviors, by_region, cres, pb, tuple(notes), cfg.n_splits, float(b.bin_size_s),
                               {n: b.units.get(n, "") for n in behaviors})


#: A two-process run (``AnalysisConfig.n_processes``) computes ``PARTS[0]`` (every behaviour's nested
#: decoding, most of the stage) in the second process and the rest (per-region decoding, trial
#: conditions) in the first meanwhile; :func:`merge` assembles exactly what :func:`compute` returns.
PARTS = ("behaviors", "rest")


def compute_part(inputs: AnalysisInputs, cfg, needs: dict, part: str):
    """One of :data:`PARTS`: ``(behaviors, notes)`` or ``(by_region, region_notes, conditions, condition_notes)``.

    The per-region decoding is computed whenever the primary behaviour has enough tracked bins;
    :func:`merge` keeps it only if the primary behaviour was decoded (as :func:`compute` does).
    """
    rec = inputs.rec
    if not rec.behavior_names and not inputs.has_conditions:
        return Skipped("the recording has neither behaviour nor trial conditions to decode.")
    if part == PARTS[0]:
        notes: list[str] = []
        return (_behaviors(inputs, cfg, notes) if rec.behavior_names else {}), notes
    b, pb = inputs.binned(), inputs.primary_behavior()
    rnotes: list[str] = []
    by_region = {}
    if pb is not None and len(set(rec.regions)) > 1 and b.valid(pb).any():
        if b.valid(pb)[decode_span(b, pb)].sum() >= cfg.min_decoding_bins:
            by_region = _by_region(inputs, cfg, rnotes)
    cnotes: list[str] = []
    cres = _conditions(inputs, cfg, cnotes) if inputs.has_conditions else None
    return by_region, rnotes, cres, cnotes


def merge(inputs: AnalysisInputs, cfg, parts: dict) -> DecodingStageResult | Skipped:
    """The stage result from :func:`compute_part`'s outputs (keyed by :data:`PARTS`), equal to :func:`compute`'s."""
    first, rest = parts[PARTS[0]], parts[PARTS[1]]
    if isinstance(first, Skipped):
        return first
    (behaviors, notes), (by_region, rnotes, cres, cnotes) = first, rest
    pb = inputs.primary_behavior()
    if pb not in behaviors or len(set(inputs.rec.regions)) < 2:
        by_region, rnotes = {}, []
    b = inputs.binned()
    return DecodingStageResult(behaviors, by_region, cres, pb, tuple(notes + rnotes + cnotes), cfg.n_splits,
                               float(b.bin_size_s), {n: b.units.get(n, "") for n in behaviors})


def render(res: DecodingStageResult, figures) -> Section:
    """Headline table (nested choice, CI, p), per-decoder comparison, regions, conditions, null figure."""
    from ..._utils.quantity import quantity
    from ..stats_sections import decoding_rows, headline_quantities, render_nested

    sec = Section("decoding", "", text=list(res.notes))
    if res.behaviors:
        sec.tables.append((f"Decoding each behaviour: decoder chosen inside every training fold (nested "
                           f"{res.n_splits}-fold blocked cross-validation); R² of all test folds pooled with its "
                           "95 % circular-block-bootstrap CI, per-fold R² mean ± SD, p against the chosen decoders "
                           "refitted on shifts of the behaviour (linear shifts of a central window unless noted)",
                           decoding_rows(res.behaviors, res.bin_size_s, res.units)))
    if res.primary in res.behaviors:
        text, tables, figs, _ = render_nested(res.primary, res.behaviors[res.primary], fig=figures.save,
                                              bin_size_s=res.bin_size_s)
        sec.text += text
        sec.tables += tables
        sec.figures += figs
        sec.key_numbers += headline_quantities(res.primary, res.behaviors[res.primary], res.bin_size_s)
    if res.by_region:
        sec.tables.append((f"Decoding {res.primary} from each region alone (Wiener filter; same folds, CI and "
                           "null as above)", decoding_rows(res.by_region, res.bin_size_s, res.units, key="region")))
    if res.conditions is not None:
        c = res.conditions
        sec.text.append(f"Trial conditions: {c.summary()}.")
        sec.tables.append(("Trial-condition decoding (one pre-specified classifier; stratified trial-wise folds)",
                           [{"classifier": c.decoder, "accuracy (pooled test trials)": c.accuracy,
                             "95 % CI (trial bootstrap)": f"{c.accuracy_ci[0]:.2f}–{c.accuracy_ci[1]:.2f}",
                             "fold mean ± SD": f"{np.mean(c.accuracy_folds):.2f} ± {c.accuracy_sd:.2f}",
                             "balanced accuracy": c.balanced_accuracy, "chance": c.chance,
                             "permutation p": c.p_value, "trials": c.config["n_trials"]}]))
        sec.key_numbers.append(quantity(f"condition decoding accuracy ({c.decoder}, pooled test trials)", c.accuracy,
                                        "1", interval=tuple(c.accuracy_ci), interval_kind="95 % CI, trial bootstrap",
                                        test="label permutation", p=c.p_value, note=f"chance {c.chance:.2f}"))
    return sec
