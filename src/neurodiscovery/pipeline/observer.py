"""``observer fit`` (a :class:`~.command.Command`, ``observer-fit``) and ``observer simulate`` (a trials CSV).

``execute("observer-fit", ObserverFitParams(data="trials.csv"))`` is the CLI's path;
:func:`run_observer_fit` is the keyword form kept for existing callers. ``observer recover`` lives in
:mod:`.observer_recover`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .._utils.errors import InputError
from .._utils.metrics_schema import any_json, array, boolean, integer, mapping, number, obj, text
from .._utils.params import Params, option
from .._utils.quantity import number_of, quantity
from .command import Command, execute
from .observer_recover import (
    MODELS,
    ObserverRecoverParams,
    ObserverSimulateParams,
    parse_params,
    run_observer_recover,
    run_observer_simulate,
)
from .report import Section

__all__ = ["COMMAND", "ObserverFitParams", "ObserverFitResult", "ObserverRecoverParams", "ObserverSimulateParams",
           "compute", "parse_params", "run_observer_fit", "run_observer_recover", "run_observer_simulate"]

_COMPARE = ("gaussian", "cue-combination", "cue-equal")


@dataclass(frozen=True)
class ObserverFitParams(Params):
    """Parameters of ``observer fit`` (the CLI options are generated from these declarations)."""

    data: str | None = option(None, "trials CSV: stimulus, response[, condition, cue_<name>..., sequence]",
                              positional=True, show_default=False)
    model: str = option("gaussian", "observer model", choices=MODELS)
    seed: int = option(0, "random seed", low=0)
    kind: str = option("gaussian", "psychometric function shape (psychometric model only)",
                       choices=("gaussian", "logistic", "weibull"))
    task: str = option("2afc", "2afc fixes the guess rate at 0.5; yes-no fits it (psychometric model only)",
                       choices=("2afc", "yes-no"))
    n_bootstrap: int = option(200, "parametric-bootstrap refits for 95 % intervals", low=0, flag="--bootstrap")
    cv_folds: int = option(5, "folds of the cross-validated log-likelihood (0 skips)", low=0)

    def model_options(self) -> dict:
        """``kind``/``task`` for the psychometric model, nothing for the others."""
        return {"kind": self.kind, "task": self.task} if self.model == "psychometric" else {}


@dataclass(frozen=True)
class ObserverFitResult:
    """Typed result of ``observer fit``.

    Attributes
    ----------
    params : ObserverFitParams
    data : TrialTable
        The fitted trials.
    fit : ObserverFit
        Maximum-likelihood fit (profile-likelihood and bootstrap intervals).
    comparison : list of dict
        The model and the other cue observers on the same trials (log-likelihood, AIC, BIC, CV).
    best_model_by_bic : str
    cue_test : CueWeightTest or None
        The optimality test of cue combination (trials with single-cue and combined conditions).
    threshold, slope_at_threshold : float or None
        Psychometric model: threshold (stimulus units) and slope there (1 / stimulus unit).
    """

    params: ObserverFitParams
    data: object
    fit: object
    comparison: list
    best_model_by_bic: str
    cue_test: object = None
    threshold: float | None = None
    slope_at_threshold: float | None = None

    def key_numbers(self) -> list:
        """Trials, log-likelihood, BIC, parameters at a bound, and the combined-SD ratio of the cue test."""
        from .observer_report import bound_quantity, cue_section

        fit, model = self.fit, self.params.model
        key = [number_of("trials", self.data.n_trials, "trials"),
               quantity(f"log-likelihood of the {model} observer", fit.loglik, "nat"),
               quantity(f"BIC of the {model} observer", fit.bic, "1", note=f"best by BIC: {self.best_model_by_bic}"),
               bound_quantity(fit)]
        cue = cue_section(self.cue_test)[1]
        if cue:
            r = cue["combined_sd_ratio"]
            key.append(quantity(r["label"], r["value"], "1", interval=tuple(r["interval"]),
                                interval_kind=r["interval_kind"], note=r.get("note")))
        return key

    def to_metrics(self) -> dict:
        """Estimates, standard errors, intervals, bound flags, fit criteria, model comparison, cue test."""
        from .observer_report import bound_quantity, cue_section

        fit = self.fit
        out = {"model": self.params.model, "n_trials": self.data.n_trials, "params": fit.params, "se": fit.se,
               "ci95": fit.ci or {}, "profile_ci95": fit.profile_ci, "at_bound": fit.at_bound,
               "n_at_bound": bound_quantity(fit).value, "loglik": fit.loglik, "aic": fit.aic, "bic": fit.bic,
               "comparison": self.comparison, "best_model_by_bic": self.best_model_by_bic}
        cue = cue_section(self.cue_test)[1]
        if cue:
            out["cue_optimality"] = cue
        if self.threshold is not None:
            out.update(threshold=self.threshold, slope_at_threshold=self.slope_at_threshold)
        return out


def _load(params: ObserverFitParams):
    from .. import theory as th

    if params.data is None:
        raise InputError("observer fit needs a trials CSV (stimulus, response[, condition, cue_<name>...])")
    return th.read_trials(params.data, binary_response=(params.model == "psychometric"))


def _comparison_rows(data, model: str, fit, cv_folds: int, seed: int, model_options: dict) -> list[dict]:
    """The fitted model and the other cue observers on the same trials (AIC, BIC, held-out LL)."""
    import numpy as np

    from .. import theory as th

    compare = [m for m in _COMPARE if m != model] if model in _COMPARE else []
    rows = [{"model": model, "log-likelihood": fit.loglik, "parameters": fit.n_params, "AIC": fit.aic,
             "BIC": fit.bic, "held-out log-likelihood (CV)":
                 th.cross_validated_loglik(data, model, n_folds=cv_folds, seed=seed, **model_options)
                 if cv_folds else np.nan}]
    for m in compare:
        f = th.fit_observer(data, m, seed=seed)
        rows.append({"model": m, "log-likelihood": f.loglik, "parameters": f.n_params, "AIC": f.aic, "BIC": f.bic,
                     "held-out log-likelihood (CV)": th.cross_validated_loglik(data, m, n_folds=cv_folds, seed=seed)
                     if cv_folds else np.nan})
    return rows


def compute(params: ObserverFitParams, data) -> ObserverFitResult:
    """Fit ``params.model`` to ``data``, compare it with the other cue observers, test cue optimality.

    Parameters
    ----------
    params : ObserverFitParams
    data : TrialTable

    Returns
    -------
    ObserverFitResult
    """
    from .. import theory as th

    opts = params.model_options()
    fit = th.fit_observer(data, params.model, n_bootstrap=params.n_bootstrap, seed=params.seed, profile=True, **opts)
    rows = _comparison_rows(data, params.model, fit, params.cv_folds, params.seed, opts)
    best = min(rows, key=lambda r: r["BIC"])["model"]
    thr = slope = None
    if params.model == "psychometric":
        thr, slope = th.threshold_slope(fit.params["threshold"], fit.params["width"], fit.params["lapse"],
                                        fit.params.get("guess", 0.5), params.kind)
    return ObserverFitResult(params, data, fit, rows, best, _cue_test(data, fit, params.seed), thr, slope)


def _cue_test(data, fit, seed: int):
    """The cue-optimality test with the fitted motor SD removed from the single-cue SDs (when below them)."""
    from .. import theory as th
    from .._utils.errors import InputError

    try:
        return th.cue_weight_test(data, seed=seed, motor_sd=float(fit.params.get("sd_motor", 0.0)))
    except InputError:  # the fitted motor SD reaches a single-cue SD: test on the raw SDs, as the classic test
        return th.cue_weight_test(data, seed=seed)


def render(result: ObserverFitResult, figures) -> list:
    """The fit (figures, parameter table with intervals), the model comparison and the cue test."""
    from .observer_report import bound_quantity, cue_section, fit_figures, fit_rows, tradeoff_figure

    p, fit, data = result.params, result.fit, result.data
    figs = fit_figures(figures, data, fit, p.model_options())
    trade = tradeoff_figure(figures, data, fit) if p.model in _COMPARE else None
    figs += [trade] if trade is not None else []
    bq = bound_quantity(fit)
    sections = [Section("fit", f"{p.model} observer: maximum-likelihood fit", figures=figs,
                        text=[f"{data.n_trials} trials. 95 % intervals from the profile likelihood (the other "
                              "parameters re-maximised; an end at a domain bound, e.g. 0 for an SD, where the data "
                              "cannot exclude it); standard errors from the observed information (Hessian), "
                              f"blank at a bound; {p.n_bootstrap} parametric-bootstrap refits for comparison (a "
                              f"bootstrap from a fit at a bound is degenerate). {bq.label}: {bq.format()}"
                              + (f" ({bq.note})." if bq.note else ".")],
                        tables=[("Fitted parameters (stimulus units)", fit_rows(fit))]),
                Section("comparison", "Model comparison", tables=[(
                    "Models fitted to the same trials; lower AIC/BIC is better, higher held-out log-likelihood "
                    f"({p.cv_folds}-fold) is better", result.comparison)],
                    text=[f"BIC prefers the {result.best_model_by_bic} model."])]
    cue_sec = cue_section(result.cue_test)[0]
    if cue_sec is not None:
        sections.append(cue_sec)
    return sections


def metrics_properties() -> dict:
    """Declared top-level keys of ``observer fit``'s ``metrics.json``."""
    par = mapping(number("parameter unit", "in the parameter's own unit: stimulus units for locations, widths "
                                           "and thresholds, 1 for probabilities (lapse, guess)"))
    cmp = obj({"model": text(nullable=False), "log-likelihood": number("nat"), "parameters": integer("1", "parameters"),
               "AIC": number("1"), "BIC": number("1"), "held-out log-likelihood (CV)": number("nat")})
    return {"model": text(nullable=False), "n_trials": integer("1", "trials"), "params": par, "se": par,
            "ci95": mapping(array(number("parameter unit", "95 % parametric-bootstrap interval"))),
            "loglik": number("nat"), "aic": number("1"), "bic": number("1"), "comparison": array(cmp),
            "best_model_by_bic": text(), "threshold": number("stimulus unit"),
            "profile_ci95": mapping(array(number("parameter unit", "95 % profile-likelihood interval; an end at the "
                                                                   "domain's bound where the data cannot exclude it"))),
            "at_bound": mapping(boolean("estimate at the edge of its domain")),
            "n_at_bound": integer("1", "parameters at a bound"),
            "cue_optimality": any_json("predicted vs observed cue weights and combined SD (Quantity objects, rows)"),
            "slope_at_threshold": number("1/stimulus unit")}


COMMAND = Command(
    "observer-fit", "fit an observer model to a trials CSV (profile-likelihood intervals, model comparison, cue "
    "optimality test) into a run folder with a report", ObserverFitParams, compute, render, metrics_properties,
    load=_load, uses_torch=lambda p: False, title=lambda p, r: f"Observer fit: {p.model}",
    metrics_required=("model", "n_trials", "params", "se", "ci95", "profile_ci95", "at_bound", "n_at_bound", "loglik",
                      "aic", "bic", "comparison", "best_model_by_bic"))


def run_observer_fit(data, model: str = "gaussian", *, out=None, source: str | None = None, **params) -> Path:
    """Fit ``model`` to trials, compare with the alternatives, and write a run folder.

    Parameters
    ----------
    data : TrialTable or path
        Trials, or a trials CSV (layout: :mod:`neurodiscovery.theory.data`).
    model : str
        ``gaussian``, ``cue-combination``, ``cue-equal``, ``kalman`` or ``psychometric``.
    out : path, optional
        Run folder to create (default ``runs/<UTC>-observer-fit``).
    source : str, optional
        Where a TrialTable came from (recorded in ``config.json``).
    **params
        Any field of :class:`ObserverFitParams` (``n_bootstrap``, ``cv_folds``, ``seed``, ``kind``, ``task``).

    Returns
    -------
    Path
        The run folder.
    """
    from .. import theory as th

    if isinstance(data, th.TrialTable):
        p = ObserverFitParams(data=source, model=model, **params)
        return execute(COMMAND, p, inputs=data, out=out).path
    return execute(COMMAND, ObserverFitParams(data=str(data), model=model, **params), out=out).path
