"""``learn``: train learning rules on a task and write a run folder with a report.

The run folder holds ``comparison.md`` (accuracy table), ``metrics.json`` (table rows and
every seed's chosen learning rate, epochs, validation and test accuracy), ``curves.npz``
(learning curves and gradient alignment), ``figures/`` and ``report.html``.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .._utils.errors import InputError
from .._utils.quantity import quantity
from .._utils.runfolder import RunFolder
from .command import figure_context, legacy_metrics
from .report import Figure, Section, render_html, save_figure


@figure_context()
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
        Rules to train (see :data:`neurodiscovery.learning.SUPERVISED_RULES`).
    reference : bool
        Add ``backprop`` as the reference when it is not among ``rules``.
    hidden_sizes, activation, seeds, learning_rates, n_epochs, batch_size
        Passed to :func:`neurodiscovery.learning.compare_rules` (learning rate and epochs
        are chosen on a validation split; ``None`` means the rule's default grid).
    out : path, optional
        Run folder to create (default ``runs/<timestamp>-learn``).
    progress : callable, optional
        Called with one line of text per finished seed.
    label_column : str
        CSV datasets: the class column's name, or ``"first"``/``"last"`` (header optional).
    """
    from ..learning import compare_rules, load_task, make_rule

    rules = list(dict.fromkeys(rules))
    if not rules:
        raise InputError("no learning rule given")
    for r in rules:
        make_rule(r)
    if reference and "backprop" not in rules:
        rules = ["backprop", *rules]
    if int(seeds) < 1:
        raise InputError(f"--seeds must be >= 1, got {seeds}")
    task = load_task(dataset, label_column=label_column)
    config = {"dataset": str(dataset), "label_column": label_column, "rules": rules, "hidden_sizes": list(hidden_sizes),
              "activation": activation, "seeds": int(seeds), "batch_size": batch_size,
              "learning_rates": None if learning_rates is None else list(learning_rates),
              "n_epochs": n_epochs, "task": task.description}
    with RunFolder("learn", out=out, config=config) as run:
        cmp = compare_rules(task, rules, hidden_sizes=hidden_sizes, activation=activation, seeds=int(seeds),
                            learning_rates=learning_rates, n_epochs=n_epochs, batch_size=batch_size,
                            progress=progress)
        md = cmp.to_markdown()
        run.write_text("comparison.md", f"# Learning rules on {task.name}\n\n{md}\n")
        key = [quantity(f"{r.rule} test accuracy (mean over {len(r.seeds)} seeds)", 100 * r.test_accuracy_mean, "%",
                        note=f"SD over seeds {100 * r.test_accuracy_sd:.1f} %") for r in cmp.results]
        run.write_metrics(legacy_metrics("learn", {
            "task": task.description, "table": cmp.table(),
            "seeds": {r.rule: [_seed_dict(s) for s in r.seeds] for r in cmp.results}}, key))
        _save_curves(run.dir / "curves.npz", cmp)
        sections = _sections(cmp, run.figures)
        run.write_text("report.html", render_html(f"Learning rules on {task.name}", key, sections,
                                                  run.figures, config))
    return run.path


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
