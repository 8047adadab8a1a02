"""``learn``: train learning rules on a task, as a :class:`~.command.Command`.

``execute("learn", LearnParams(rule="dfa", dataset="digits"))`` is the CLI's path; :func:`run_learn`
is the keyword form kept for existing callers. The run folder holds ``comparison.md`` (accuracy
table), ``metrics.json`` (table rows and every seed's chosen learning rate, epochs, validation and
test accuracy), ``curves.npz`` (learning curves and gradient alignment), ``figures/`` and
``report.html``.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._utils.errors import InputError
from .._utils.metrics_schema import array, boolean, integer, mapping, number, obj, text
from .._utils.params import Params, option
from .._utils.quantity import quantity
from .command import Command, execute, progress_callback
from .learn_continual import _seeds
from .report import Figure, Section, save_figure

__all__ = ["COMMAND", "LearnParams", "LearnResult", "run_learn"]

#: kept literal (parsing stays import-light); equal to neurodiscovery.learning.SUPERVISED_RULES (tested)
LEARN_RULES = ("backprop", "fa", "dfa", "three_factor", "frozen")


@dataclass(frozen=True)
class LearnParams(Params):
    """Parameters of ``learn`` (the CLI options are generated from these declarations)."""

    dataset: str = option("digits", "digits, mnist1d, or a CSV file of class labels and numeric features")
    rule: str = option("fa", "the rule trained beside backprop", choices=LEARN_RULES)
    rules: tuple[str, ...] | None = option(None, "several rules (default: --rule; 'learn compare': all)",
                                           choices=LEARN_RULES, show_default=False)
    reference: bool = option(True, "do not add backprop as the reference", flag="--no-reference")
    label_column: str = option("label", "CSV: the class column's header name, or first / last (the file may "
                               "then have no header)", metavar="NAME|first|last")
    seeds: int = option(3, "number of seeds, 0..N-1", low=1)
    hidden: tuple[int, ...] = option((128,), "hidden widths (count of units per layer)", low=1)
    activation: str = option("tanh", "hidden nonlinearity", choices=("tanh", "relu"))
    learning_rates: tuple[float, ...] | None = option(
        None, "learning rates searched on the validation split (default: each rule's own grid)", low=0,
        low_open=True, flag="--lr", show_default=False)
    epochs: int | None = option(None, "maximum epochs (default: per rule)", low=1, show_default=False)
    batch_size: int = option(32, "samples per update", low=1)
    n_threads: int = option(1, "torch and BLAS CPU threads", low=1, flag="--threads")


@dataclass(frozen=True)
class LearnResult:
    """Typed result of ``learn``: the params, the task's description and the rule comparison."""

    params: LearnParams
    task: str
    comparison: object

    def key_numbers(self) -> list:
        """Held-out test accuracy of every rule (mean over seeds)."""
        return [quantity(f"{r.rule} test accuracy (mean over {_seeds(len(r.seeds))})", 100 * r.test_accuracy_mean, "%",
                         note=f"SD over seeds {100 * r.test_accuracy_sd:.1f} %") for r in self.comparison.results]

    def to_metrics(self) -> dict:
        """``task``, ``table`` and every seed's selection."""
        cmp = self.comparison
        return {"task": self.task, "table": cmp.table(),
                "seeds": {r.rule: [_seed_dict(s) for s in r.seeds] for r in cmp.results}}


def _rules(params: LearnParams) -> list[str]:
    rules = list(dict.fromkeys(params.rules)) if params.rules else [params.rule]
    if params.reference and "backprop" not in rules:
        rules = ["backprop", *rules]
    return rules


def compute(params: LearnParams, inputs=None) -> LearnResult:
    """Train every rule on the task (learning rate and epochs chosen on a validation split)."""
    from ..learning import compare_rules, load_task

    task = load_task(params.dataset, label_column=params.label_column)
    cmp = compare_rules(task, _rules(params), hidden_sizes=list(params.hidden), activation=params.activation,
                        seeds=params.seeds, learning_rates=None if params.learning_rates is None else
                        list(params.learning_rates), n_epochs=params.epochs, batch_size=params.batch_size,
                        progress=progress_callback())
    return LearnResult(params, task.description, cmp)


def render(result: LearnResult, figures) -> list:
    """Accuracy table, learning curves and gradient-alignment figures."""
    return _sections(result.comparison, figures.figures_dir)


def _write(result: LearnResult, folder: Path) -> None:
    cmp = result.comparison
    (folder / "comparison.md").write_text(f"# Learning rules on {result.params.dataset}\n\n{cmp.to_markdown()}\n",
                                          encoding="utf-8")
    _save_curves(folder / "curves.npz", cmp)


def metrics_properties() -> dict:
    """Declared top-level keys of ``learn``'s ``metrics.json``."""
    row = obj({"rule": text(nullable=False), "test_accuracy_mean": number("1", "fraction correct, mean over seeds"),
               "test_accuracy_sd": number("1", "SD over seeds"), "n_seeds": integer("1", "seeds"),
               "learning_rates": array(number("1", "learning rate chosen on validation")),
               "epochs": array(integer("1", "epochs")), "train_time_s_mean": number("s"),
               "weight_transport": boolean(), "locality": text(),
               "gap_to_backprop_points": number("percentage points", "backprop accuracy minus this rule's")},
              required=("rule", "test_accuracy_mean"), extra=True)
    seed = obj({"seed": integer("1", "seed"), "learning_rate": number("1"), "n_epochs": integer("1", "epochs"),
                "val_accuracy": number("1", "fraction correct"), "test_accuracy": number("1", "fraction correct"),
                "train_time_s": number("s")})
    return {"task": text(), "table": array(row), "seeds": mapping(array(seed), "rule -> one entry per seed")}


def _line(run) -> str:
    return f"{run.result.comparison.to_markdown()}\nrun folder: {run.path}"


COMMAND = Command(
    "learn", "train an MLP with a brain-inspired learning rule (fa, dfa, three_factor, frozen) and backprop as "
    "reference ('learn compare': every rule); validation-chosen learning rate and epochs, several seeds",
    LearnParams, compute, render, metrics_properties, write=_write, line=_line,
    title=lambda p, r: f"Learning rules on {p.dataset}")


def run_learn(dataset: str = "digits", rules: Sequence[str] = ("fa",), *, reference: bool = True,
              hidden_sizes: Sequence[int] = (128,), activation: str = "tanh", seeds: int = 3,
              learning_rates: Sequence[float] | None = None, n_epochs: int | None = None,
              batch_size: int = 32, out: str | os.PathLike | None = None,
              progress: Callable[[str], None] | None = None, label_column: str = "label") -> Path:
    """Compare learning rules on one task; returns the finished run folder.

    Parameters
    ----------
    dataset : str
        ``"digits"``, ``"mnist1d"`` or a CSV path (``label`` column + numeric features).
    rules : sequence of str
        Rules from :data:`LEARN_RULES`.
    reference : bool
        Add ``backprop`` as the reference when it is not among ``rules``.
    hidden_sizes, activation, seeds, learning_rates, n_epochs, batch_size
        See :class:`LearnParams` (learning rate and epochs are chosen on a validation split;
        ``None`` means the rule's default grid).
    out : path, optional
        Run folder to create (default ``runs/<timestamp>-learn``).
    progress : callable, optional
        Called with one line of text per finished seed.
    label_column : str
        CSV datasets: the class column's name, or ``"first"``/``"last"`` (header optional).
    """
    rules = tuple(dict.fromkeys(rules))
    if not rules:
        raise InputError("no learning rule given")
    params = LearnParams(dataset=str(dataset), rules=rules, reference=reference, label_column=label_column,
                         seeds=seeds, hidden=tuple(hidden_sizes), activation=activation,
                         learning_rates=None if learning_rates is None else tuple(learning_rates),
                         epochs=n_epochs, batch_size=batch_size)
    return execute(COMMAND, params, out=out, progress=progress).path


def _seed_dict(s) -> dict:
    return {"seed": s.seed, "learning_rate": s.learning_rate, "n_epochs": s.n_epochs,
            "val_accuracy": s.val_accuracy, "test_accuracy": s.test_accuracy, "train_time_s": s.train_time_s}


def _save_curves(path: Path, cmp) -> None:
    arrays = {}
    for r in cmp.results:
        for s in r.seeds:
            p = f"{r.rule}__seed{s.seed}__"
            arrays[p + "val_accuracy"] = s.selection_history.val_accuracy
            arrays[p + "train_loss"] = s.selection_history.train_loss
            arrays[p + "alignment_step"] = s.final_history.alignment_step
            arrays[p + "alignment_rad"] = s.final_history.alignment_rad
    np.savez_compressed(path, **arrays)


def _sections(cmp, figures_dir: Path) -> list[Section]:
    """Report sections; figures are written into ``figures_dir``."""
    from ..plotting.learning import (
        plot_alignment,
        plot_learning_curves,
        plot_rule_accuracy,
    )

    ax = plot_rule_accuracy(cmp)
    save_figure(ax.figure, figures_dir, "accuracy")
    table = Section("accuracy", "Held-out test accuracy", text=[
        cmp.description,
        ("Learning rate and number of epochs were chosen per seed on a 20 % validation split of the "
         "training set; the model was then retrained on the whole training set and scored once on "
         "the test set. Mean ± SD over seeds; gap = backprop mean minus rule mean (points).")],
        tables=[("test accuracy per rule", cmp.table())],
        figures=[Figure("accuracy", "Test accuracy per rule (bar: mean, error bar: SD, dots: seeds).")],
        metrics={"table": cmp.table()})
    ax = plot_learning_curves(cmp.results)
    save_figure(ax.figure, figures_dir, "learning_curves")
    ax = plot_learning_curves(cmp.results, which="train_loss")
    save_figure(ax.figure, figures_dir, "training_loss")
    curves = Section("curves", "Learning curves", text=[
        "Selection runs at the chosen learning rate: validation accuracy and training loss per epoch."],
        figures=[Figure("learning_curves", "Validation accuracy per epoch, one line per seed."),
                 Figure("training_loss", "Mean mini-batch training loss per epoch.")])
    figs = []
    for r in cmp.results:
        if r.rule == "backprop":
            continue  # its update is the gradient: angle 0 by construction
        ax = plot_alignment(r.seeds[0].final_history, label=r.rule)
        save_figure(ax.figure, figures_dir, f"alignment_{r.rule}")
        caption = (f"{r.rule} ({r.locality}): angle between its weight update and the true gradient "
                   f"of the same mini-batch, per layer (seed {r.seeds[0].seed}).")
        figs.append(Figure(f"alignment_{r.rule}", caption))
    align = Section("alignment", "Alignment with the gradient", text=[
        ("Below 90° the rule's update still descends the loss; feedback alignment's hidden "
         "updates start near 90° and align as the forward weights adapt to the fixed feedback.")],
        figures=figs, skipped=None if figs else "only backprop was run")
    return [table, curves, align]
