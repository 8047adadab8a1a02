"""``neurodiscovery observer simulate|fit|recover``: Bayesian observer models of behaviour."""
from __future__ import annotations

import argparse

from ._types import int_at_least

NAME = "observer"
HELP = "Bayesian observer models: simulate responses, fit them to a trials CSV, run parameter/model recovery"
_MODELS = ("gaussian", "cue-combination", "cue-equal", "kalman", "psychometric")


def _common(p, *, psychometric: bool = True) -> None:
    p.add_argument("--model", choices=_MODELS, default="gaussian", help="observer model (default gaussian)")
    p.add_argument("--seed", type=int_at_least(0), default=0, help="random seed (default 0)")
    if psychometric:
        p.add_argument("--kind", choices=("gaussian", "logistic", "weibull"), default="gaussian",
                       help="psychometric function shape (psychometric model only)")
        p.add_argument("--task", choices=("2afc", "yes-no"), default="2afc",
                       help="2afc fixes the guess rate at 0.5; yes-no fits it (psychometric model only)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="observer_command", metavar="{simulate,fit,recover}")
    sub.required = True
    s = sub.add_parser("simulate", help="write a trials CSV simulated from chosen parameters")
    _common(s)
    s.add_argument("--out", required=True, help="CSV file to create (never overwritten)")
    s.add_argument("--trials", type=int_at_least(1), default=400,
                   help="trials per condition (per level: psychometric; steps per sequence: kalman)")
    s.add_argument("--param", action="append", metavar="NAME=VALUE",
                   help="parameter value (repeatable); the others are drawn from the model's range")
    f = sub.add_parser("fit", help="fit a model to a trials CSV into a run folder with a report")
    f.add_argument("data", help="trials CSV: stimulus, response[, condition, cue_<name>..., sequence]")
    _common(f)
    f.add_argument("--out", default=None, help="run folder to create (default runs/<UTC>-observer-fit)")
    f.add_argument("--bootstrap", type=int_at_least(0), default=200, help="parametric-bootstrap refits (200)")
    f.add_argument("--cv-folds", type=int_at_least(0), default=5, help="cross-validation folds (0 skips)")
    r = sub.add_parser("recover", help="parameter (and model) recovery on simulated subjects")
    _common(r)
    r.add_argument("--out", default=None, help="run folder to create (default runs/<UTC>-observer-recover)")
    r.add_argument("--trials", type=int_at_least(5), default=400, help="trials per condition (default 400)")
    r.add_argument("--subjects", type=int_at_least(2), default=30, help="simulated subjects (default 30)")
    r.add_argument("--no-model-recovery", action="store_true", help="skip model recovery among the cue models")
    r.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _options(args) -> dict:
    return {"kind": args.kind, "task": args.task} if args.model == "psychometric" else {}


def main(args) -> int:
    from ..pipeline import observer as obs

    if args.observer_command == "simulate":
        path, used = obs.run_observer_simulate(args.model, args.out, params=obs.parse_params(args.param),
                                               n_trials=args.trials, seed=args.seed, **_options(args))
        print(f"trials: {path}  parameters: " + ", ".join(f"{k}={v:.4g}" for k, v in used.items()))
    elif args.observer_command == "fit":
        path = obs.run_observer_fit(args.data, args.model, out=args.out, n_bootstrap=args.bootstrap,
                                    cv_folds=args.cv_folds, seed=args.seed, **_options(args))
        print(f"report: {path / 'report.html'}")
    else:
        path = obs.run_observer_recover(args.model, n_subjects=args.subjects, n_trials=args.trials, out=args.out,
                                        seed=args.seed, model_recovery=not args.no_model_recovery,
                                        progress=not args.no_progress, **_options(args))
        print(f"report: {path / 'report.html'}")
    return 0
