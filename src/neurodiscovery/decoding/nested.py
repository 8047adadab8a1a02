"""Nested cross-validation: the decoder reported as "best" is chosen without the test data.

Inside every outer training fold, each candidate (a decoder and its parameters) is fitted
on the training data minus a trailing validation block (the same ``gap`` separates them)
and scored on that block; the candidate with the highest validation R² is refitted on the
whole training fold and scored on the outer test fold. The outer folds only score. Every
candidate is also scored on the outer folds, labelled as a per-decoder comparison: taking
the maximum of *those* would choose on test data.

For the chosen decoders, a null distribution of the pooled cross-validated R² comes from
refitting them on shifts of the behaviour (:mod:`.shift_null`), and a circular block
bootstrap gives intervals for R² and the median angular error (:mod:`.inference`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .._utils.errors import InputError
from .crossval import REGRESSORS
from .inference import BootstrapCI, block_bootstrap_ci
from .metrics import cossin_to_angles, r2_per_output, regression_metrics
from .prepare import prepare_decoding
from .shift_null import LINEAR_MARGIN, refit_shift_null
from .shift_null import fit_predict as _fit_predict


@dataclass(frozen=True)
class NestedDecodingResult:
    """Outcome of :func:`nested_cross_validate`.

    Attributes
    ----------
    candidates : tuple of str      candidate labels (``"bayes(smoothing_bins=2)"``)
    chosen : tuple of str          candidate chosen in each outer fold (on its inner validation block)
    validation_r2 : (folds, candidates) inner validation R² that made the choice
    test_r2_by_candidate : (folds, candidates) outer test R² of every candidate (comparison only)
    r2_folds : (folds,) outer test R² of the chosen candidate (mean over outputs)
    r2_mean, r2_sd : mean and SD over folds of ``r2_folds``, each fold's R² taken around that fold's own
                  mean (a spread across the session; not the headline)
    r2_pooled : float  the headline (:data:`HEADLINE_R2`): R² of all test predictions pooled, around their
                  common mean, mean over outputs; the CI and the p-value are of this number
    r2_per_output : (outputs,) mean over folds
    ci : BootstrapCI              block-bootstrap intervals
    median_error_deg : float or None   pooled median absolute angular error (circular targets)
    rmse_mean : float             mean over folds and outputs, in the target's units
    null_r2 : (shifts,)           pooled R² of the procedure refitted on shifts of the behaviour
    p_value : float               ``(1 + #(null >= null_observed_r2)) / (1 + shifts)``; at least :attr:`min_p`
    null_scheme : tuple of str    how each fold's null was refitted
    null_observed_r2 : float      what the null is compared with: the unshifted pooled R² of the chosen
                  decoders on the null's folds (``shift="linear"``: folds of the central window, so not
                  the headline; ``"circular"``: the headline)
    predictions : dict            ``y_true``, ``y_pred``, ``sample_index``, ``fold`` (+ angles)
    config : dict
    """

    candidates: tuple
    chosen: tuple
    validation_r2: np.ndarray
    test_r2_by_candidate: np.ndarray
    r2_folds: np.ndarray
    r2_mean: float
    r2_sd: float
    r2_pooled: float
    r2_per_output: np.ndarray
    ci: BootstrapCI
    median_error_deg: float | None
    rmse_mean: float
    null_r2: np.ndarray
    p_value: float
    null_scheme: tuple
    null_observed_r2: float
    predictions: dict = field(repr=False)
    config: dict = field(repr=False)

    @property
    def min_p(self) -> float:
        """Smallest attainable permutation p: ``1 / (1 + shifts)``."""
        return 1.0 / (1 + len(self.null_r2))

    def null_quantile(self, q: float) -> float:
        """Quantile ``q`` (0-1) of the null R² (NaN without a null)."""
        return float(np.quantile(self.null_r2, q)) if len(self.null_r2) else float("nan")

    def null_description(self) -> str:
        """What the p-value compares (one clause, for reports)."""
        k = len(self.null_r2)
        if self.config.get("null_shift", "circular") == "circular":
            return f"{k} circular shifts of the behaviour, the chosen decoders refitted on each"
        m = self.config.get("null_margin", 0.2)
        return (f"R² {self.null_observed_r2:.3f} of the central {1 - 2 * m:.0%} of the samples against {k} "
                f"linear shifts of the behaviour by up to {m:.0%} of the samples without wrap-around, the chosen "
                f"decoders refitted on each")

    def candidate_table(self) -> list[dict]:
        """Per-candidate outer-fold scores (comparison only; not used to choose)."""
        rows = []
        for j, c in enumerate(self.candidates):
            s = self.test_r2_by_candidate[:, j]
            rows.append({"candidate": c, "test_r2_mean": float(np.mean(s)), "test_r2_sd": float(np.std(s, ddof=1))
                         if len(s) > 1 else float("nan"), "validation_r2_mean": float(np.mean(self.validation_r2[:, j])),
                         "times_chosen": int(sum(ch == c for ch in self.chosen))})
        return rows

    def summary(self) -> str:
        """One sentence stating the number and what it is computed on."""
        c = self.config
        target = "(cos, sin) of the angle" if c["circular"] else ", ".join(c["output_names"])
        s = (f"R² {self.r2_pooled:.3f} (pooled over {len(self.r2_folds)} blocked test folds; "
             f"{int(self.ci.level * 100)} % block-bootstrap CI {self.ci.r2[0]:.3f} to {self.ci.r2[1]:.3f}; "
             f"per-fold R² {self.r2_mean:.3f} ± {self.r2_sd:.3f}, mean ± SD) on "
             f"{target}; decoder chosen inside each training fold: {', '.join(sorted(set(self.chosen)))}; "
             f"permutation p = {self.p_value:.3g} ({self.null_description()}; smallest attainable p "
             f"{self.min_p:.2g}; null R² median {self.null_quantile(0.5):.2f}, 95th percentile "
             f"{self.null_quantile(0.95):.2f})")
        if self.median_error_deg is not None:
            s += (f"; median angular error {self.median_error_deg:.1f}° (CI {self.ci.median_error_deg[0]:.1f}"
                  f"–{self.ci.median_error_deg[1]:.1f}°)")
        return s

    def to_dict(self) -> dict:
        """JSON-ready summary (predictions left out)."""
        from .._utils.runfolder import _jsonable

        d = {k: getattr(self, k) for k in ("candidates", "chosen", "r2_folds", "r2_mean", "r2_sd", "r2_pooled",
                                            "r2_per_output", "min_p",
                                            "median_error_deg", "rmse_mean", "p_value", "null_scheme",
                                            "null_observed_r2")}
        d.update(validation_r2=self.validation_r2, test_r2_by_candidate=self.test_r2_by_candidate,
                 r2_ci=self.ci.r2, r2_ci_method=self.ci.method, headline_r2=HEADLINE_R2,
                 n_units=self.config.get("n_units"), median_error_ci_deg=self.ci.median_error_deg,
                 ci_level=self.ci.level,
                 n_boot=self.ci.n_boot, bootstrap_block_len=self.ci.block_len, n_permutations=len(self.null_r2),
                 null_r2_quantiles={f"{q}%": self.null_quantile(q / 100) if len(self.null_r2) else None
                                    for q in (5, 50, 95)},
                 candidate_table=self.candidate_table(), config=self.config)
        return _jsonable(d)


#: What the headline R² is (written beside it in metrics.json and the report).
HEADLINE_R2 = ("pooled R²: one sum of squares over all held-out test samples around their common mean (mean over "
               "outputs). It estimates the population R² (the fraction of the behaviour's variance the decoder "
               "explains); the mean of per-fold R² around each fold's own mean does not credit a decoder for "
               "following the behaviour's drift between folds and falls below the population R² whenever "
               "the behaviour is autocorrelated (about 0.01 below it on simulated recordings; "
               "benchmarks/decoding_stats.py)")


def _label(name: str, params: dict) -> str:
    if not params:
        return name
    return f"{name}(" + ", ".join(f"{k}={v}" for k, v in sorted(params.items())) + ")"


def _candidates(decoders, param_grid, decoder_params=None) -> list[tuple[str, str, dict]]:
    decoders = [decoders] if isinstance(decoders, str) else list(decoders)
    if not decoders:
        raise InputError("no decoders given; available: " + ", ".join(REGRESSORS))
    grid = dict(param_grid or {})
    out = []
    for d in decoders:
        if d not in REGRESSORS:
            raise InputError(f"unknown decoder '{d}'; available: {', '.join(REGRESSORS)}")
        base = dict((decoder_params or {}).get(d, {}))
        for params in grid.get(d, [{}]):
            out.append((_label(d, params), d, {**base, **params}))
    labels = [c[0] for c in out]
    if len(set(labels)) != len(labels):
        raise InputError(f"duplicate candidates: {labels}")
    return out


def _r2_mean(y, p) -> float:
    return float(regression_metrics(y, p)["r2_mean"])


def _outer_folds(n: int, n_splits: int, gap: int):
    """Blocked outer folds and the fewest samples they need (refused with one line below it)."""
    from ..data import blocked_kfold

    needed = max(n_splits * (1 + 2 * gap) + 1, n_splits * 40)
    if n < needed:
        raise InputError(f"too few samples for nested cross-validation: {n} usable samples; {n_splits} folds with "
                         f"a gap of {gap} and an inner validation block need at least {needed}")
    return blocked_kfold(n, n_splits, gap=gap), needed


def nested_cross_validate(X, y, decoders=("wiener", "kalman", "bayes", "mlp"), *, param_grid: dict | None = None,
                          decoder_params: dict | None = None,
                          n_splits: int = 5, bins_before: int = 4, bins_after: int = 4, bins_current: bool = True,
                          circular: bool = False, gap: int | None = None, segment=None, transform: str = "sqrt",
                          validation_fraction: float = 0.25, n_permutations: int = 200,
                          n_permutations_slow: int = 24, null_shift: str = "linear", n_boot: int = 1000,
                          block_len: int | None = None, ci_level: float = 0.95, seed: int = 0, quick: bool = False,
                          output_names=None, progress=None) -> NestedDecodingResult:
    """Nested blocked cross-validation with a shift-null p-value and block-bootstrap intervals.

    Parameters
    ----------
    X : array_like, shape (time, neurons) or (trials, time, neurons)
        Binned spike counts.
    y : array_like, shape (time,), (time, outputs) or (trials, time, outputs)
        Behaviour on the same bins (one angle in radians if ``circular``; decoded as (cos, sin)).
    decoders : sequence of str
        Candidate decoders (names of :data:`~neurodiscovery.decoding.REGRESSORS`).
    param_grid : dict of str -> list of dict, optional
        Parameter settings per decoder, each a separate candidate, e.g.
        ``{"bayes": [{"smoothing_bins": 1}, {"smoothing_bins": 2}]}``.
    decoder_params : dict of str -> dict, optional
        Fixed constructor parameters per decoder, shared by all its candidates (not part of
        the candidate labels), e.g. ``{"kalman": {"steady_state": True}}``.
    n_splits, bins_before, bins_after, bins_current, circular, gap, segment, transform
        As in :func:`~neurodiscovery.decoding.cross_validate_decoders` (``gap`` defaults to
        ``bins_before + bins_after`` and also separates each inner fit set from its
        validation block).
    validation_fraction : float
        Length of the inner validation block (fraction of the longest contiguous run of
        training samples, taken from its end).
    n_permutations : int
        Shifts of the behaviour (each at least ``max(gap, n/20)`` samples) for the
        null when every fold chose a decoder that refits fast (Wiener, Poisson Bayes). On every
        shift the decoder chosen in each fold is refitted from scratch on the shifted training
        fold and scored on the shifted test fold (:func:`~.shift_null.refit_shift_null`): the
        null is what the procedure scores on behaviour unrelated to the spikes. The choice
        among candidates is kept per fold (repeating it would refit every candidate, networks
        included, on every shift). The smallest attainable p is ``1 / (1 + shifts)``.
    n_permutations_slow : int
        Shifts when some fold chose a decoder whose refit costs a full fit (Kalman, networks):
        each costs 0.3-3 s per fold on ~10^4 samples.
    null_shift : {"linear", "circular"}
        ``"linear"``: the central 60 % of the samples decoded against the behaviour slid by up to
        20 % of the samples without wrap-around (Harris 2020); the p-value compares that window's
        unshifted R² (:attr:`NestedDecodingResult.null_observed_r2`) with its shifts.
        ``"circular"``: the whole behaviour rolled, compared with the headline. See
        :mod:`.shift_null` for why linear is the default.
    n_boot, block_len, ci_level
        Moving-block bootstrap (:func:`~neurodiscovery.decoding.inference.block_bootstrap_ci`).
    seed, quick, output_names, progress
        As in :func:`~neurodiscovery.decoding.cross_validate_decoders`.

    Returns
    -------
    NestedDecodingResult
    """
    cands = _candidates(decoders, param_grid, decoder_params)
    prep = prepare_decoding(X, y, bins_before=bins_before, bins_after=bins_after, bins_current=bins_current,
                            circular=circular, segment=segment, transform=transform, output_names=output_names)
    n = prep.n_samples
    gap = bins_before + bins_after if gap is None else int(gap)
    folds, needed = _outer_folds(n, n_splits, gap)
    null_shift = _null_scheme(null_shift, n, needed)
    from .._utils.runtime import map_threads
    from .shift_null import null_threads

    # outer folds are independent (every fit seeded): two at a time on two free cores, the same results
    outer = map_threads(lambda k: _outer_fold(prep, cands, k, len(folds), *folds[k], gap=gap,
                                              validation_fraction=validation_fraction, seed=seed, quick=quick,
                                              progress=progress), range(len(folds)),
                        null_threads(prep.inputs["flat"](np.arange(1)).nbytes * n))
    config = {**prep.config, "candidates": [c[0] for c in cands], "n_splits": int(n_splits), "gap": int(gap),
              "validation_fraction": float(validation_fraction), "n_permutations": int(n_permutations),
              "n_permutations_slow": int(n_permutations_slow), "null_shift": str(null_shift),
              "null_margin": LINEAR_MARGIN if null_shift == "linear" else 0.0, "n_units": int(prep.config.get("n_neurons", 0)),
              "seed": int(seed), "quick": bool(quick), "selection": "highest inner validation R² (mean over outputs)"}
    return _assemble(prep, cands, folds, outer, config, n_boot=n_boot, block_len=block_len, ci_level=ci_level,
                     seed=seed, quick=quick)


def _null_scheme(null_shift: str, n: int, needed: int) -> str:
    """The null's shift scheme: ``"circular"`` where the linear scheme's central window is too short for the folds."""
    if null_shift not in ("linear", "circular"):
        raise InputError(f"null_shift must be 'linear' or 'circular', got {null_shift!r}")
    return "circular" if null_shift == "linear" and n - 2 * int(n * LINEAR_MARGIN) < needed else null_shift


@dataclass(frozen=True)
class _OuterFold:
    """One outer fold: every candidate's inner validation and outer test R², the chosen one's outputs."""

    val_r2: np.ndarray
    test_r2: np.ndarray
    chosen: str
    pred_test: np.ndarray
    model: tuple  # (decoder name, constructor parameters, fitted estimator)


def _outer_fold(prep, cands, k, n_folds, tr, te, *, gap, validation_fraction, seed, quick, progress) -> _OuterFold:
    """Choose a candidate on the inner validation block of ``tr``; score every candidate on ``te``."""
    from ..data.splits import validation_block

    T = prep.target
    fit_rows, val_rows = validation_block(tr, fraction=validation_fraction, gap=gap)
    val_r2 = np.full(len(cands), np.nan)
    test_r2 = np.full(len(cands), np.nan)
    for j, (_, name, params) in enumerate(cands):
        _, (pv,) = _fit_predict(prep, name, params, fit_rows, [val_rows], seed=seed, quick=quick, gap=gap)
        val_r2[j] = _r2_mean(T[val_rows], pv)
    best = int(np.nanargmax(np.where(np.isfinite(val_r2), val_r2, -np.inf)))
    chosen = pred = model = None
    for j, (label, name, params) in enumerate(cands):
        t0 = time.perf_counter()
        est, (pt,) = _fit_predict(prep, name, params, tr, [te], seed=seed, quick=quick, gap=gap)
        test_r2[j] = _r2_mean(T[te], pt)
        if j == best:
            chosen, pred, model = label, pt, (name, params, est)
        if progress is not None:
            progress(f"fold {k + 1}/{n_folds} {label}: validation R² {val_r2[j]:.3f}, "
                     f"test R² {test_r2[j]:.3f} ({time.perf_counter() - t0:.1f} s)")
    return _OuterFold(val_r2, test_r2, chosen, pred, model)


def _assemble(prep, cands, folds, outer, config, *, n_boot, block_len, ci_level, seed, quick):
    """Headline R² over folds, block-bootstrap CI, shift-null p-value and predictions of the chosen decoders."""
    T, circular = prep.target, prep.circular
    preds = [o.pred_test for o in outer]
    test_rows = np.concatenate([te for _, te in folds])
    fold_id = np.concatenate([np.full(len(te), k) for k, (_, te) in enumerate(folds)])
    y_pred = np.concatenate(preds)
    y_true = T[test_rows]
    per_fold = [regression_metrics(T[te], p, circular=circular) for (_, te), p in zip(folds, preds)]
    r2_folds = np.array([m["r2_mean"] for m in per_fold])
    r2_mean = float(r2_folds.mean())
    med = None
    if circular:
        from .metrics import angular_error_rad

        med = float(np.degrees(np.median(angular_error_rad(cossin_to_angles(y_true), cossin_to_angles(y_pred)))))
    ci = block_bootstrap_ci(y_true, y_pred, fold_id, circular=circular, block_len=block_len, n_boot=n_boot,
                            level=ci_level, seed=seed)
    null, schemes, observed = refit_shift_null(prep, folds, [o.model for o in outer],
                                               n_permutations=config["n_permutations"],
                                               n_permutations_slow=config["n_permutations_slow"], gap=config["gap"],
                                               seed=seed, quick=quick, shift=config["null_shift"],
                                               margin=config["null_margin"])
    r2_pooled = float(np.mean(r2_per_output(y_true, y_pred)))
    p_value = float((1 + np.sum(null >= observed - 1e-12)) / (1 + len(null))) if len(null) else float("nan")
    pr = {"y_true": y_true, "y_pred": y_pred, "sample_index": prep.sample_index[test_rows], "fold": fold_id}
    if circular:
        pr["theta_true"] = prep.theta[test_rows]
        pr["theta_pred"] = cossin_to_angles(y_pred)
    return NestedDecodingResult(
        tuple(c[0] for c in cands), tuple(o.chosen for o in outer), np.array([o.val_r2 for o in outer]),
        np.array([o.test_r2 for o in outer]), r2_folds, r2_mean,
        float(r2_folds.std(ddof=1)) if len(r2_folds) > 1 else float("nan"), r2_pooled,
        np.mean([m["r2"] for m in per_fold], axis=0), ci, med, float(np.mean([m["rmse_mean"] for m in per_fold])),
        null, p_value, tuple(schemes), observed, pr, config)
