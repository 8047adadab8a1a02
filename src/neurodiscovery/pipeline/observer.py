"""``observer`` runs: fit an observer model to behaviour, simulate one, or run recovery.

Each run is a run folder (``config.json``, ``metrics.json``, ``figures/``,
``report.html``) built atomically by :class:`~neurodiscovery._utils.runfolder.RunFolder`.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .. import theory as th
from .._utils.errors import InputError
from .._utils.quantity import count, number_of, quantity
from .._utils.runfolder import RunFolder
from .command import figure_context, legacy_metrics
from .observer_report import bound_quantity, cue_section, fit_rows, tradeoff_figure
from .report import Figure, Section, render_html, save_figure

_COMPARE = ("gaussian", "cue-combination", "cue-equal")


def _figure():
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(5, 3.8))


def _fit_figures(run: RunFolder, data: th.TrialTable, fit: th.ObserverFit, options: dict) -> list[Figure]:
    model = th.get_model(fit.model if fit.model != "psychometric" else "psychometric", **options)
    design = model.prepare(data)
    theta = np.array(list(fit.params.values()))
    fig, ax = _figure()
    if fit.model == "psychometric":
        xs = np.linspace(design.x.min(), design.x.max(), 200)
        guess = fit.params.get("guess", 0.5)
        curve = th.psychometric_function(xs, theta[0], theta[1], theta[2], guess, model.kind)
        th.plotting.plot_psychometric(design.x, design.k, design.n, xs, curve, fit.params["threshold"], ax=ax)
        caption = f"Proportion correct per stimulus level and the fitted {model.kind} psychometric function."
    elif fit.model == "kalman":
        seq0 = design.stimulus[0]
        ax.plot(seq0, label="stimulus")
        ax.plot(design.response[0], label="response", alpha=0.7)
        ax.set_xlabel("time step")
        ax.set_ylabel("position (stimulus units)")
        ax.legend(fontsize=7)
        caption = "First sequence: the moving stimulus and the observer's responses."
    else:
        mean, _ = model.moments(theta, design)
        th.plotting.plot_responses(data.stimulus, data.response, data.condition, mean, ax=ax)
        caption = f"Responses per trial against the stimulus and the fitted {fit.model} observer's mean response."
    save_figure(fig, run.figures, "fit")
    figs = [Figure("fit", caption)]
    if fit.model == "gaussian":
        fig, ax = _figure()
        cue = next(k for k in fit.params if k.startswith("sd_") and k not in ("sd_prior", "sd_motor"))
        th.plotting.plot_prior_likelihood_posterior(fit.params["mu_prior"], fit.params["sd_prior"],
                                                    fit.params["mu_prior"] + fit.params["sd_prior"],
                                                    fit.params[cue], ax=ax)
        save_figure(fig, run.figures, "prior_likelihood_posterior")
        figs.append(Figure("prior_likelihood_posterior", f"Fitted prior, the likelihood of a measurement one prior "
                                                         f"SD above the prior mean through cue {cue[3:]!r}, and "
                                                         "the posterior."))
    return figs


def _comparison_rows(data, model: str, fit, cv_folds: int, seed: int, model_options: dict) -> list[dict]:
    """The fitted model and the other cue observers on the same trials (AIC, BIC, held-out LL)."""
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


@figure_context()
def run_observer_fit(data: th.TrialTable | str | os.PathLike, model: str = "gaussian", *, out=None,
                     n_bootstrap: int = 200, cv_folds: int = 5, seed: int = 0, source: str | None = None,
                     **model_options) -> Path:
    """Fit ``model`` to trials, compare with the alternatives, and write a run folder.

    Parameters
    ----------
    data : TrialTable or path
        Trials, or a trials CSV (layout: :mod:`neurodiscovery.theory.data`).
    model : str
        ``gaussian``, ``cue-combination``, ``cue-equal``, ``kalman`` or ``psychometric``.
    out : path, optional
        Run folder to create (default ``runs/<UTC>-observer-fit``).
    n_bootstrap : int
        Parametric-bootstrap refits for 95 % intervals.
    cv_folds : int
        Folds of the cross-validated log-likelihood (0 to skip).
    seed : int
    source : str, optional
        Where the data came from (recorded in ``config.json``).
    **model_options
        ``kind``/``task`` of the psychometric model.

    Returns
    -------
    Path
        The run folder.
    """
    if not isinstance(data, th.TrialTable):
        source = source or str(data)
        data = th.read_trials(data, binary_response=(model == "psychometric"))
    fit = th.fit_observer(data, model, n_bootstrap=n_bootstrap, seed=seed, profile=True, **model_options)
    rows = _comparison_rows(data, model, fit, cv_folds, seed, model_options)
    best_bic = min(rows, key=lambda r: r["BIC"])["model"]
    config = {"model": model, "model_options": model_options, "n_bootstrap": n_bootstrap, "cv_folds": cv_folds,
              "seed": seed, "source": source, "n_trials": data.n_trials}
    with RunFolder("observer-fit", out, config=config) as run:
        figs = _fit_figures(run, data, fit, model_options)
        trade = tradeoff_figure(run, data, fit) if model in _COMPARE else None
        figs += [trade] if trade is not None else []
        cue_sec, cue_metrics = cue_section(data, seed)
        bq = bound_quantity(fit)
        metrics = {"model": model, "n_trials": data.n_trials, "params": fit.params, "se": fit.se, "ci95": fit.ci or {},
                   "profile_ci95": fit.profile_ci, "at_bound": fit.at_bound, "n_at_bound": bq.value,
                   "loglik": fit.loglik, "aic": fit.aic, "bic": fit.bic, "comparison": rows,
                   "best_model_by_bic": best_bic, **({"cue_optimality": cue_metrics} if cue_metrics else {})}
        if model == "psychometric":
            guess = fit.params.get("guess", 0.5)
            thr, slope = th.threshold_slope(fit.params["threshold"], fit.params["width"], fit.params["lapse"], guess,
                                            model_options.get("kind", "gaussian"))
            metrics.update(threshold=thr, slope_at_threshold=slope)
        key = [number_of("trials", data.n_trials, "trials"),
               quantity(f"log-likelihood of the {model} observer", fit.loglik, "nat"),
               quantity(f"BIC of the {model} observer", fit.bic, "1", note=f"best by BIC: {best_bic}"), bq]
        if cue_metrics:
            r = cue_metrics["combined_sd_ratio"]
            key.append(quantity(r["label"], r["value"], "1", interval=tuple(r["interval"]),
                                interval_kind=r["interval_kind"], note=r.get("note")))
        run.write_metrics(legacy_metrics("observer", metrics, key))
        sections = [Section("fit", f"{model} observer: maximum-likelihood fit", figures=figs,
                            text=[f"{data.n_trials} trials. 95 % intervals from the profile likelihood (the other "
                                  "parameters re-maximised; an end at a domain bound, e.g. 0 for an SD, where the data "
                                  "cannot exclude it); standard errors from the observed information (Hessian), "
                                  f"blank at a bound; {n_bootstrap} parametric-bootstrap refits for comparison (a "
                                  f"bootstrap from a fit at a bound is degenerate). {bq.format()}"
                                  + (f" ({bq.note})." if bq.note else ".")],
                            tables=[("Fitted parameters (stimulus units)", fit_rows(fit))]),
                    Section("comparison", "Model comparison", tables=[("Models fitted to the same trials; lower "
                                                                       "AIC/BIC is better, higher held-out "
                                                                       f"log-likelihood ({cv_folds}-fold) is better",
                                                                       rows)],
                            text=[f"BIC prefers the {best_bic} model."])]
        if cue_sec is not None:
            sections.append(cue_sec)
        run.write_text("report.html", render_html(f"Observer fit: {model}", key, sections, run.figures, config))
    return run.path


def run_observer_simulate(model: str, out: str | os.PathLike, *, params: dict | None = None, n_trials: int = 400,
                          seed: int = 0, **model_options) -> tuple[Path, dict]:
    """Simulate ``model`` on its default experiment and write a trials CSV (never overwriting).

    Returns
    -------
    path : Path
        The CSV written.
    params : dict
        Parameters used (given and drawn).
    """
    table, used = th.simulate_observer(model, params, n_trials=n_trials, seed=seed, **model_options)
    return th.write_trials(table, out), used


@figure_context()
def run_observer_recover(model: str = "gaussian", *, n_subjects: int = 30, n_trials: int = 400, out=None,
                         seed: int = 0, model_recovery: bool = True, progress: bool = True,
                         **model_options) -> Path:
    """Parameter recovery for ``model`` (and model recovery among the cue observers) into a run folder.

    ``metrics.json`` holds, per parameter, the median absolute and relative recovery errors,
    and (for the cue observers) the model-recovery confusion matrix and accuracy by BIC.
    """
    import matplotlib.pyplot as plt

    bar = None
    if progress:
        from tqdm.auto import tqdm

        total = n_subjects * (1 + (len(_COMPARE) if model_recovery and model in _COMPARE else 0))
        bar = tqdm(total=total, desc="recovery", unit="subject")

    def tick(_):
        if bar is not None:
            bar.update(1)

    rec = th.recover_parameters(model, n_subjects=n_subjects, n_trials=n_trials, seed=seed, progress=tick,
                                **model_options)
    mrec = th.recover_models(_COMPARE, n_subjects=n_subjects, n_trials=n_trials, seed=seed, progress=tick) \
        if model_recovery and model in _COMPARE else None
    if bar is not None:
        bar.close()
    config = {"model": model, "model_options": model_options, "n_subjects": n_subjects,
              "n_trials_per_condition": n_trials, "seed": seed, "model_recovery": mrec is not None}
    with RunFolder("observer-recover", out, config=config) as run:
        k = len(rec.param_names)
        fig, axes = plt.subplots(1, k, figsize=(3 * k, 3))
        for ax, i in zip(np.atleast_1d(axes), range(k)):
            th.plotting.plot_parameter_recovery(rec.true[:, i], rec.recovered[:, i], rec.param_names[i], ax=ax)
        save_figure(fig, run.figures, "parameter_recovery")
        fig, ax = _figure()
        th.plotting.plot_matrix(rec.error_correlation, rec.param_names, "Correlation of recovery errors",
                                "correlation across subjects", ax=ax)
        save_figure(fig, run.figures, "error_correlation")
        figs = [Figure("parameter_recovery", f"Recovered against true parameters, {n_subjects} simulated subjects, "
                                             f"{n_trials} trials per condition."),
                Figure("error_correlation", "Correlation of recovery errors across subjects: strongly correlated "
                                            "pairs trade off and are weakly identifiable from these data.")]
        rows = [{"parameter": p, "median absolute error": rec.median_abs_error[p],
                 "median relative error": rec.median_rel_error[p]} for p in rec.param_names]
        degenerate = rec.degenerate_subjects()
        dq = count("simulated subjects with a recovered parameter at its bound", len(degenerate), n_subjects,
                   "subjects", note="e.g. an SD fitted at 0: the fit is degenerate; see degenerate_subjects")
        metrics = {"model": model, "n_subjects": n_subjects, "n_trials_per_condition": n_trials,
                   "median_abs_error": rec.median_abs_error, "median_rel_error": rec.median_rel_error,
                   "error_correlation": rec.error_correlation, "param_names": list(rec.param_names),
                   "n_degenerate": dq.value, "degenerate_subjects": degenerate}
        tables = [("Recovery error per parameter over simulated subjects", rows)]
        if degenerate:
            tables.append(("Degenerate subjects: recovered parameters at a bound (the recovery errors above "
                           "include them)", [{"subject": d["subject"], "at bound": ", ".join(d["parameters"])}
                                             for d in degenerate]))
        sections = [Section("parameters", "Parameter recovery", figures=figs, tables=tables,
                            text=[f"{dq.format()} (flagged; an SD at 0 means the fit put all variance elsewhere)."])]
        if mrec is not None:
            fig, ax = _figure()
            th.plotting.plot_matrix(mrec.confusion / mrec.confusion.sum(1, keepdims=True), mrec.models,
                                    "Model recovery (rows: generating, columns: chosen by BIC)",
                                    "fraction of subjects", ax=ax)
            save_figure(fig, run.figures, "model_recovery")
            metrics["model_recovery"] = {"models": list(mrec.models), "confusion": mrec.confusion,
                                         "accuracy": mrec.accuracy, "criterion": mrec.criterion}
            sections.append(Section("models", "Model recovery", figures=[Figure(
                "model_recovery", f"Fraction of {n_subjects} simulated subjects per generating model for which "
                                  f"BIC chose each model; accuracy {mrec.accuracy:.2f}.")]))
        key = [number_of("simulated subjects", n_subjects, "subjects"),
               number_of("trials per condition", n_trials, "trials"), dq]
        if mrec is not None:
            key.append(quantity("model recovery accuracy (BIC)", mrec.accuracy, "1"))
        run.write_metrics(legacy_metrics("observer", metrics, key))
        run.write_text("report.html", render_html(f"Observer recovery: {model}", key, sections, run.figures, config))
    return run.path


def parse_params(items) -> dict:
    """``["mu_prior=0.1", "sd_motor=0.2"]`` -> dict of floats (one clear error per bad item)."""
    out = {}
    for item in items or ():
        name, sep, value = item.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise InputError(f"--param {item!r}: expected NAME=NUMBER") from None
        if not sep:
            raise InputError(f"--param {item!r}: expected NAME=NUMBER")
    return out
