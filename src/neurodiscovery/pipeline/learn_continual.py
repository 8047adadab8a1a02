"""``learn continual``: tasks learned in sequence, average accuracy and forgetting per rule.

The run folder holds ``continual.md`` (rules x scenario, mean ± SD over seeds), ``metrics.json``
(every number as a :class:`~neurodiscovery._utils.quantity.Quantity`, plus each seed's accuracy
matrix), ``figures/`` (accuracy matrices) and ``report.html``.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from .._utils.quantity import quantity
from .._utils.runfolder import RunFolder
from .learn_spiking import _md
from .report import Figure, Section, render_html, save_figure


def run_learn_continual(dataset: str = "digits", rules: Sequence[str] = ("backprop", "ewc", "eprop"), *,
                        seeds: int = 3, n_hidden: int = 100, n_epochs: int = 10, ewc_lambda: float = 100.0,
                        n_tasks: int = 5, n_steps: int = 20, out: str | os.PathLike | None = None,
                        progress: Callable[[str], None] | None = None) -> Path:
    """Continual-learning comparison; returns the finished run folder.

    Parameters
    ----------
    dataset : {"digits", "mnist1d"}
        Split digits (five two-class tasks) or permuted MNIST-1D.
    rules : sequence of str
        From :data:`neurodiscovery.learning.continual.CONTINUAL_RULES`.
    seeds : int
        Seeds 0 .. seeds-1.
    n_hidden : int
        Hidden units / LIF neurons.
    n_epochs : int
        Epochs per task.
    ewc_lambda : float
        EWC penalty strength (dimensionless).
    n_tasks : int
        Permutations of permuted MNIST-1D.
    n_steps : int
        Time steps of the latency code (e-prop).
    out : path, optional
        Run folder to create (default ``runs/<timestamp>-learn-continual``).
    progress : callable, optional
        Called with one line per finished run.
    """
    from ..learning.continual import run_continual

    config = {"dataset": dataset, "rules": list(rules), "seeds": int(seeds), "n_hidden": int(n_hidden),
              "n_epochs_per_task": int(n_epochs), "ewc_lambda": float(ewc_lambda), "n_tasks": int(n_tasks),
              "n_steps": int(n_steps)}
    with RunFolder("learn-continual", out=out, config=config) as run:
        rows, runs = run_continual(dataset, rules, seeds=seeds, n_hidden=n_hidden, n_epochs=n_epochs,
                                   ewc_lambda=ewc_lambda, n_tasks=n_tasks, n_steps=n_steps, progress=progress)
        table = [_table_row(r) for r in rows]
        run.write_text("continual.md", f"# Continual learning on {dataset}\n\n"
                       "Average accuracy after the last task and forgetting (mean drop from the best earlier "
                       "accuracy), percent, mean ± SD over seeds.\n\n" + _md(table) + "\n")
        metrics = {"dataset": dataset, "rules": {r["rule"]: _quantities(r) for r in rows},
                   "accuracy_matrices": {f"{x.rule}__seed{x.seed}": x.accuracy.round(4).tolist() for x in runs}}
        run.write_metrics(metrics)
        figs = []
        for x in runs:
            if x.seed != 0:
                continue
            from ..plotting.snn import plot_accuracy_matrix

            ax = plot_accuracy_matrix(x.accuracy, title=f"{x.rule}, seed 0")
            save_figure(ax.figure, run.figures, f"matrix_{x.rule}")
            figs.append(Figure(f"matrix_{x.rule}", f"{x.rule}: accuracy on each task after each task (all outputs)."))
        sec = Section("continual", "Average accuracy and forgetting", text=[
            "Tasks are learned one after another without replay; R[i, j] is the test accuracy on task j after "
            "training task i. Class-incremental: all ten outputs compete; task-aware: the answer is restricted "
            "to the tested task's classes."], tables=[("per rule", table)], figures=figs)
        key = [(f"{r['rule']} average accuracy", f"{r['average accuracy (%)']} %") for r in table]
        run.write_text("report.html", render_html(f"Continual learning on {dataset}", key, [sec], run.figures, config))
    return run.path


def _pm(row: dict, key: str) -> str:
    return f"{100 * row[key + '_mean']:.1f} ± {100 * row[key + '_sd']:.1f}"


def _table_row(r: dict) -> dict:
    out = {"rule": r["rule"], "seeds": r["seeds"], "average accuracy (%)": _pm(r, "average_accuracy"),
           "forgetting (%)": _pm(r, "forgetting")}
    if "task_aware_accuracy_mean" in r:
        out["task-aware accuracy (%)"] = _pm(r, "task_aware_accuracy")
        out["task-aware forgetting (%)"] = _pm(r, "task_aware_forgetting")
    return out


def _quantities(r: dict) -> dict:
    out = {}
    for key in ("average_accuracy", "forgetting", "task_aware_accuracy", "task_aware_forgetting"):
        if key + "_mean" in r:
            out[key] = quantity(f"{r['rule']} {key.replace('_', ' ')}, mean over {r['seeds']} seeds",
                                100 * r[key + "_mean"], "%", note=f"SD over seeds {100 * r[key + '_sd']:.2f} %").to_json()
    return out
