"""``learn continual`` (command ``learn-continual``): tasks learned in sequence, accuracy and forgetting per rule.

``execute("learn-continual", LearnContinualParams(dataset="digits", rules=("backprop", "ewc")))`` is
the CLI's path; :func:`run_learn_continual` is the keyword form kept for existing callers. The run
folder holds ``continual.md`` (rules x scenario, mean ± SD over seeds), ``metrics.json`` (every
number as a :class:`~neurodiscovery._utils.quantity.Quantity`, plus each seed's accuracy matrix),
``figures/`` (accuracy matrices) and ``report.html``.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .._utils.metrics_schema import array, mapping, number, quantity_field, text
from .._utils.params import Params, option
from .._utils.quantity import quantity
from .command import Command, execute, progress_callback
from .report import Figure, Section, save_figure

__all__ = ["COMMAND", "LearnContinualParams", "LearnContinualResult", "run_learn_continual"]

CONTINUAL_RULES = ("backprop", "fa", "dfa", "three_factor", "ewc", "eprop")  # literal; tested equal to the library's


@dataclass(frozen=True)
class LearnContinualParams(Params):
    """Parameters of ``learn continual`` (the CLI options are generated from these declarations)."""

    dataset: str = option("digits", "split digits (five two-class tasks) or permuted MNIST-1D",
                          choices=("digits", "mnist1d"))
    rules: tuple[str, ...] = option(CONTINUAL_RULES, "learners", choices=CONTINUAL_RULES)
    seeds: int = option(3, "number of seeds, 0..N-1", low=1)
    n_hidden: int = option(100, "hidden units / LIF neurons", low=1, flag="--hidden")
    epochs: int = option(10, "epochs per task", low=1)
    ewc_lambda: float = option(100.0, "EWC penalty strength", unit="1", low=0)
    n_tasks: int = option(5, "permutations of permuted MNIST-1D", low=2)
    n_steps: int = option(30, "time steps of the latency code (e-prop)", low=7, flag="--steps")
    n_threads: int = option(1, "torch and BLAS CPU threads", low=1, flag="--threads")


@dataclass(frozen=True)
class LearnContinualResult:
    """Typed result: one summary row per rule and every run's accuracy matrix."""

    params: LearnContinualParams
    rows: list
    runs: list

    def key_numbers(self) -> list:
        """Average accuracy after the last task per rule (class-incremental, mean over seeds)."""
        return [quantity(f"{r['rule']} average accuracy after the last task (mean over {_seeds(r['seeds'])})",
                         100 * r["average_accuracy_mean"], "%", note=f"SD over seeds {100 * r['average_accuracy_sd']:.1f} %")
                for r in self.rows]

    def to_metrics(self) -> dict:
        """``dataset``, per-rule quantities and the accuracy matrices."""
        return {"dataset": self.params.dataset, "rules": {r["rule"]: _quantities(r) for r in self.rows},
                "accuracy_matrices": {f"{x.rule}__seed{x.seed}": x.accuracy.round(4).tolist() for x in self.runs}}


def compute(params: LearnContinualParams, inputs=None) -> LearnContinualResult:
    """Learn the tasks in sequence with every rule and seed."""
    from ..learning.continual import run_continual

    rows, runs = run_continual(params.dataset, list(dict.fromkeys(params.rules)), seeds=params.seeds,
                               n_hidden=params.n_hidden, n_epochs=params.epochs, ewc_lambda=params.ewc_lambda,
                               n_tasks=params.n_tasks, n_steps=params.n_steps, progress=progress_callback())
    return LearnContinualResult(params, rows, runs)


def render(result: LearnContinualResult, figures) -> list:
    """The table and the seed-0 accuracy matrices."""
    from ..plotting.snn import plot_accuracy_matrix

    figs = []
    for x in result.runs:
        if x.seed != 0:
            continue
        ax = plot_accuracy_matrix(x.accuracy, title=f"{x.rule}, seed 0")
        save_figure(ax.figure, figures.figures_dir, f"matrix_{x.rule}")
        figs.append(Figure(f"matrix_{x.rule}", f"{x.rule}: accuracy on each task after each task (all outputs)."))
    return [Section("continual", "Average accuracy and forgetting", text=[
        "Tasks are learned one after another without replay; R[i, j] is the test accuracy on task j after "
        "training task i. Class-incremental: all ten outputs compete; task-aware: the answer is restricted "
        "to the tested task's classes."], tables=[("per rule", [_table_row(r) for r in result.rows])], figures=figs)]


def _seeds(n: int) -> str:
    return f"{n} seed" + ("s" if n != 1 else "")


def _md(rows: list[dict]) -> str:
    if not rows:
        return ""
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def _table_md(result: LearnContinualResult) -> str:
    return (f"# Continual learning on {result.params.dataset}\n\nAverage accuracy after the last task and forgetting "
            "(mean drop from the best earlier accuracy), percent, mean ± SD over seeds.\n\n"
            + _md([_table_row(r) for r in result.rows]) + "\n")


def _write(result: LearnContinualResult, folder: Path) -> None:
    (folder / "continual.md").write_text(_table_md(result), encoding="utf-8")


def metrics_properties() -> dict:
    """Declared top-level keys of ``learn-continual``'s ``metrics.json``."""
    return {"dataset": text(nullable=False),
            "rules": mapping(mapping(quantity_field(), "average_accuracy, forgetting, task_aware_accuracy, "
                                                       "task_aware_forgetting (percent)"), "rule -> quantities"),
            "accuracy_matrices": mapping(array(array(number("1", "fraction correct on task j after task i"))),
                                         "<rule>__seed<k> -> accuracy matrix R[i, j]")}


def _line(run) -> str:
    return f"{_table_md(run.result)}\nrun folder: {run.path}"


COMMAND = Command(
    "learn-continual", "learn tasks in sequence (split digits, permuted MNIST-1D) with backprop, FA, DFA, node "
    "perturbation, EWC and e-prop; average accuracy and forgetting per rule", LearnContinualParams, compute, render,
    metrics_properties, write=_write, line=_line, title=lambda p, r: f"Continual learning on {p.dataset}")


def run_learn_continual(dataset: str = "digits", rules: Sequence[str] = ("backprop", "ewc", "eprop"), *,
                        out: str | os.PathLike | None = None, progress: Callable[[str], None] | None = None,
                        **params) -> Path:
    """Continual-learning comparison; returns the finished run folder.

    Parameters
    ----------
    dataset : {"digits", "mnist1d"}
        Split digits (five two-class tasks) or permuted MNIST-1D.
    rules : sequence of str
        From :data:`CONTINUAL_RULES`.
    out : path, optional
        Run folder to create (default ``runs/<timestamp>-learn-continual``).
    progress : callable, optional
        Called with one line per finished run.
    **params
        Any other field of :class:`LearnContinualParams` (``seeds``, ``n_hidden``, ``epochs``,
        ``ewc_lambda``, ``n_tasks``, ``n_steps``).
    """
    p = LearnContinualParams(dataset=dataset, rules=tuple(rules), **params)
    return execute(COMMAND, p, out=out, progress=progress).path


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
            out[key] = quantity(f"{r['rule']} {key.replace('_', ' ')}, mean over {_seeds(r['seeds'])}",
                                100 * r[key + "_mean"], "%", note=f"SD over seeds {100 * r[key + '_sd']:.2f} %").to_json()
    return out
