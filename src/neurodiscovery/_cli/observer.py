"""``neurodiscovery observer simulate|fit|recover``: Bayesian observer models of behaviour.

``fit`` and ``recover`` run the registered commands ``observer-fit`` and ``observer-recover``; ``simulate``
writes a trials CSV (no run folder). Every option is generated from the parameters dataclasses of
:mod:`neurodiscovery.pipeline.observer`.
"""
from __future__ import annotations

from ._command import cli_group


def _add_simulate(p) -> None:
    from .._utils.params import add_arguments
    from ..pipeline.observer_recover import ObserverSimulateParams

    add_arguments(p, ObserverSimulateParams)
    p.add_argument("--out", required=True, help="CSV file to create (never overwritten)")


def _simulate(args) -> int:
    from .._utils.params import from_namespace
    from ..pipeline.observer_recover import ObserverSimulateParams, parse_params, run_observer_simulate

    p = from_namespace(ObserverSimulateParams, args)
    opts = {"kind": p.kind, "task": p.task} if p.model == "psychometric" else {}
    path, used = run_observer_simulate(p.model, args.out, params=parse_params(p.params), n_trials=p.n_trials,
                                       seed=p.seed, **opts)
    print(f"trials: {path}  parameters: " + ", ".join(f"{k}={v:.4g}" for k, v in used.items()))
    return 0


NAME, HELP, add_arguments, main = cli_group(
    "observer", "Bayesian observer models: simulate responses, fit them to a trials CSV, run parameter/model recovery",
    extra={"simulate": ("write a trials CSV simulated from chosen parameters", _add_simulate, _simulate)})
