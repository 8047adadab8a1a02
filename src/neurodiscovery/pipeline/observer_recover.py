"""``observer simulate`` (a trials CSV) and ``observer recover`` as a :class:`~.command.Command` (``observer-recover``): parameter recovery of an observer
model on simulated subjects, and model recovery among the cue observers.

``execute("observer-recover", ObserverRecoverParams(model="gaussian"))`` is the CLI's path;
:func:`run_observer_recover` is the keyword form kept for existing callers.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .._utils.errors import InputError
from .._utils.metrics_schema import array, integer, mapping, number, obj, text
from .._utils.params import Params, option
from .._utils.quantity import count, number_of
from .command import Command, execute, progress_callback
from .report import Section

__all__ = ["COMMAND", "MODELS", "ObserverRecoverParams", "ObserverRecoverResult", "ObserverSimulateParams", "compute",
           "parse_params", "run_observer_recover", "run_observer_simulate"]

#: Observer models of ``observer fit|recover|simulate``.
MODELS = ("gaussian", "cue-combination", "cue-equal", "kalman", "psychometric")
_COMPARE = ("gaussian", "cue-combination", "cue-equal")


@dataclass(frozen=True)
class ObserverRecoverParams(Params):
    """Parameters of ``observer recover`` (the CLI options are generated from these declarations)."""

    model: str = option("gaussian", "observer model", choices=MODELS)
    seed: int = option(0, "random seed", low=0)
    kind: str = option("gaussian", "psychometric function shape (psychometric model only)",
                       choices=("gaussian", "logistic", "weibull"))
    task: str = option("2afc", "2afc fixes the guess rate at 0.5; yes-no fits it (psychometric model only)",
                       choices=("2afc", "yes-no"))
    n_trials: int = option(400, "trials per condition", low=5, flag="--trials")
    n_subjects: int = option(30, "simulated subjects", low=2, flag="--subjects")
    model_recovery: bool = option(True, "skip model recovery among the cue models", flag="--no-model-recovery")

    def model_options(self) -> dict:
        """``kind``/``task`` for the psychometric model, nothing for the others."""
        return {"kind": self.kind, "task": self.task} if self.model == "psychometric" else {}


@dataclass(frozen=True)
class ObserverSimulateParams(Params):
    """Parameters of ``observer simulate`` (writes a trials CSV, not a run folder)."""

    model: str = option("gaussian", "observer model", choices=MODELS)
    seed: int = option(0, "random seed", low=0)
    kind: str = option("gaussian", "psychometric function shape (psychometric model only)",
                       choices=("gaussian", "logistic", "weibull"))
    task: str = option("2afc", "2afc fixes the guess rate at 0.5; yes-no fits it (psychometric model only)",
                       choices=("2afc", "yes-no"))
    n_trials: int = option(400, "trials per condition (per level: psychometric; steps per sequence: kalman)",
                           low=1, flag="--trials")
    params: tuple[str, ...] | None = option(None, "parameter value NAME=VALUE; the others are drawn from the model's "
                                            "range", flag="--param", metavar="NAME=VALUE",
                                            repeat=True, show_default=False)


@dataclass(frozen=True)
class ObserverRecoverResult:
    """Typed result of ``observer recover``.

    Attributes
    ----------
    params : ObserverRecoverParams
    recovery : ParameterRecovery
        True and recovered parameters per simulated subject, errors and their correlation.
    model_recovery : ModelRecovery or None
        Confusion of the cue observers by BIC (cue models with ``model_recovery``).
    """

    params: ObserverRecoverParams
    recovery: object
    model_recovery: object = None

    def degenerate(self):
        """Subjects with a recovered parameter at its bound, as a typed count."""
        return count("simulated subjects with a recovered parameter at its bound",
                     len(self.recovery.degenerate_subjects()), self.params.n_subjects, "subjects",
                     note="e.g. an SD fitted at 0: the fit is degenerate; see degenerate_subjects")

    def key_numbers(self) -> list:
        """Subjects, trials per condition, degenerate subjects and the model-recovery accuracy."""
        p = self.params
        key = [number_of("simulated subjects", p.n_subjects, "subjects"),
               number_of("trials per condition", p.n_trials, "trials"), self.degenerate()]
        if self.model_recovery is not None:
            conf = self.model_recovery.confusion
            key.append(count(f"simulated datasets whose generating model {self.model_recovery.criterion.upper()} "
                             "chose", int(conf.trace()), int(conf.sum()), "simulated datasets",
                             note=f"model recovery over {', '.join(self.model_recovery.models)}"))
        return key

    def to_metrics(self) -> dict:
        """Median absolute and relative errors per parameter, error correlation, degenerate subjects, confusion."""
        rec, p = self.recovery, self.params
        out = {"model": p.model, "n_subjects": p.n_subjects, "n_trials_per_condition": p.n_trials,
               "median_abs_error": rec.median_abs_error, "median_rel_error": rec.median_rel_error,
               "error_correlation": rec.error_correlation, "param_names": list(rec.param_names),
               "n_degenerate": self.degenerate().value, "degenerate_subjects": rec.degenerate_subjects()}
        m = self.model_recovery
        if m is not None:
            out["model_recovery"] = {"models": list(m.models), "confusion": m.confusion, "accuracy": m.accuracy,
                                     "criterion": m.criterion}
        return out


def compute(params: ObserverRecoverParams, inputs=None) -> ObserverRecoverResult:
    """Simulate subjects from ``params.model``, refit them, and (cue models) recover the model by BIC.

    Parameters
    ----------
    params : ObserverRecoverParams
    inputs : None
        Nothing is read.

    Returns
    -------
    ObserverRecoverResult
    """
    from .. import theory as th

    p = params
    both = p.model_recovery and p.model in _COMPARE
    bar = None
    if progress_callback() is not None:
        from tqdm.auto import tqdm

        bar = tqdm(total=p.n_subjects * (1 + (len(_COMPARE) if both else 0)), desc="recovery", unit="subject")

    def tick(_):
        if bar is not None:
            bar.update(1)

    try:
        rec = th.recover_parameters(p.model, n_subjects=p.n_subjects, n_trials=p.n_trials, seed=p.seed, progress=tick,
                                    **p.model_options())
        mrec = th.recover_models(_COMPARE, n_subjects=p.n_subjects, n_trials=p.n_trials, seed=p.seed,
                                 progress=tick) if both else None
    finally:
        if bar is not None:
            bar.close()
    return ObserverRecoverResult(p, rec, mrec)


def render(result: ObserverRecoverResult, figures) -> list:
    """Recovered against true parameters, the error correlation, degenerate subjects, model recovery."""
    import matplotlib.pyplot as plt
    import numpy as np

    from .. import theory as th

    rec, p = result.recovery, result.params
    k = len(rec.param_names)
    fig, axes = plt.subplots(1, k, figsize=(3 * k, 3))
    for ax, i in zip(np.atleast_1d(axes), range(k)):
        th.plotting.plot_parameter_recovery(rec.true[:, i], rec.recovered[:, i], rec.param_names[i], ax=ax)
    figs = [figures.save(fig, "parameter_recovery", f"Recovered against true parameters, {p.n_subjects} simulated "
                         f"subjects, {p.n_trials} trials per condition.")]
    fig, ax = plt.subplots(figsize=(5, 3.8))
    th.plotting.plot_matrix(rec.error_correlation, rec.param_names, "Correlation of recovery errors",
                            "correlation across subjects", ax=ax)
    figs.append(figures.save(fig, "error_correlation", "Correlation of recovery errors across subjects: strongly "
                             "correlated pairs trade off and are weakly identifiable from these data."))
    rows = [{"parameter": n, "median absolute error": rec.median_abs_error[n],
             "median relative error": rec.median_rel_error[n]} for n in rec.param_names]
    degenerate = rec.degenerate_subjects()
    tables = [("Recovery error per parameter over simulated subjects", rows)]
    if degenerate:
        tables.append(("Degenerate subjects: recovered parameters at a bound (the recovery errors above include "
                       "them)", [{"subject": d["subject"], "at bound": ", ".join(d["parameters"])}
                                 for d in degenerate]))
    sections = [Section("parameters", "Parameter recovery", figures=figs, tables=tables,
                        text=[f"{result.degenerate().label}: {result.degenerate().format()} (flagged; an SD at 0 means the fit put all variance "
                              "elsewhere)."])]
    m = result.model_recovery
    if m is not None:
        fig, ax = plt.subplots(figsize=(5, 3.8))
        th.plotting.plot_matrix(m.confusion / m.confusion.sum(1, keepdims=True), m.models,
                                "Model recovery (rows: generating, columns: chosen by BIC)", "fraction of subjects",
                                ax=ax)
        sections.append(Section("models", "Model recovery", figures=[figures.save(
            fig, "model_recovery", f"Fraction of {p.n_subjects} simulated subjects per generating model for which "
                                   f"BIC chose each model; accuracy {m.accuracy:.2f}.")]))
    return sections


def metrics_properties() -> dict:
    """Declared top-level keys of ``observer recover``'s ``metrics.json``."""
    par = mapping(number("parameter unit", "in the parameter's own unit (stimulus units; 1 for probabilities)"))
    return {"model": text(nullable=False), "n_subjects": integer("1", "simulated subjects"),
            "n_trials_per_condition": integer("1", "trials"), "median_abs_error": par,
            "median_rel_error": mapping(number("1", "relative error")),
            "error_correlation": array(array(number("1", "correlation"))), "param_names": array(text()),
            "n_degenerate": integer("1", "simulated subjects with a recovered parameter at its bound"),
            "degenerate_subjects": array(obj({"subject": integer("1", "subject index"), "parameters": array(text())})),
            "model_recovery": obj({"models": array(text()), "confusion": array(array(integer("1", "subjects"))),
                                   "accuracy": number("1"), "criterion": text()})}


COMMAND = Command(
    "observer-recover", "parameter (and model) recovery of an observer model on simulated subjects, into a run "
    "folder with a report", ObserverRecoverParams, compute, render, metrics_properties, uses_torch=lambda p: False,
    title=lambda p, r: f"Observer recovery: {p.model}",
    metrics_required=("model", "n_subjects", "n_trials_per_condition", "median_abs_error", "median_rel_error",
                      "error_correlation", "param_names", "n_degenerate", "degenerate_subjects"))


def run_observer_recover(model: str = "gaussian", *, out=None, progress: bool = True, **params) -> Path:
    """Parameter recovery for ``model`` (and model recovery among the cue observers) into a run folder.

    Parameters
    ----------
    model : str
        An observer model (:data:`MODELS`).
    out : path, optional
        Run folder to create (default ``runs/<UTC>-observer-recover``).
    progress : bool
        Progress bar over subjects.
    **params
        Any field of :class:`ObserverRecoverParams` (``n_subjects``, ``n_trials``, ``seed``, ``model_recovery``,
        ``kind``, ``task``).

    Returns
    -------
    Path
        The run folder; ``metrics.json`` holds, per parameter, the median absolute and relative recovery
        errors and (cue observers) the model-recovery confusion matrix and accuracy by BIC.
    """
    return execute(COMMAND, ObserverRecoverParams(model=model, **params), out=out,
                   progress=(lambda s: None) if progress else None).path


def run_observer_simulate(model: str, out: str | os.PathLike, *, params: dict | None = None, n_trials: int = 400,
                          seed: int = 0, **model_options) -> tuple[Path, dict]:
    """Simulate ``model`` on its default experiment and write a trials CSV (never overwriting).

    Parameters
    ----------
    model : str
        An observer model (:data:`~.observer_recover.MODELS`).
    out : path
        CSV file to create.
    params : dict, optional
        Parameter values; the others are drawn from the model's range.
    n_trials : int
        Trials per condition.
    seed : int
    **model_options
        ``kind``/``task`` of the psychometric model.

    Returns
    -------
    path : Path
        The CSV written.
    params : dict
        Parameters used (given and drawn).
    """
    from .. import theory as th

    table, used = th.simulate_observer(model, params, n_trials=n_trials, seed=seed, **model_options)
    return th.write_trials(table, out), used


def parse_params(items) -> dict:
    """``["mu_prior=0.1", "sd_motor=0.2"]`` -> dict of floats (one clear error per bad item).

    Parameters
    ----------
    items : sequence of str or None
    """
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
