"""Honest comparison of learning rules: hyper-parameters on validation data, several seeds.

Protocol for each rule and seed: split the training set into fit/validation parts
(80/20, stratified, by the seed); train with every learning rate of the grid for
``n_epochs``; pick the (learning rate, epoch) with the best validation accuracy; retrain
on the whole training set for that many epochs with that rate (``refit=False``: keep the
best-validation-epoch weights of the selection run instead, half the cost); score once on
the test set.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError
from .._utils.validation import check_positive
from .rules import SUPERVISED_RULES, make_rule
from .tasks import ClassificationTask
from .train import LearningRuleClassifier, TrainingHistory

# Grids measured on digits/MNIST-1D validation splits; node perturbation needs small steps
# and many epochs because its gradient estimate is noisy.
DEFAULT_LEARNING_RATES = {"three_factor": (0.001, 0.003)}
DEFAULT_EPOCHS = {"three_factor": 200}
_LR_GRID = (0.01, 0.03, 0.1)
_EPOCHS = 60


@dataclass(frozen=True)
class SeedResult:
    """One seed of one rule: what validation chose and what the test set said.

    Parameters
    ----------
    seed : int
        Seed of the network initialisation and mini-batch order.
    learning_rate : float
        Learning rate chosen on the validation split (dimensionless step size).
    n_epochs : int
        Epochs chosen on the validation split.
    val_accuracy, test_accuracy : float
        Fraction correct on the validation split (at the chosen settings) and on the test set.
    train_time_s : float
        Wall time of the final training run (s).
    selection_history, final_history : TrainingHistory
        Per-epoch curves of the selection run and of the final (refit) run.
    """

    seed: int
    learning_rate: float
    n_epochs: int
    val_accuracy: float
    test_accuracy: float
    train_time_s: float
    selection_history: TrainingHistory
    final_history: TrainingHistory


@dataclass(frozen=True)
class RuleResult:
    """All seeds of one rule on one task.

    Parameters
    ----------
    rule, task : str
        Rule name and task name.
    sizes : tuple of int
        Layer widths ``(n_inputs, hidden..., n_outputs)``.
    activation : str
        Hidden-layer nonlinearity.
    locality, weight_transport : str, bool
        What signals the rule uses, and whether it needs the forward weights transposed.
    seeds : tuple of SeedResult
        One entry per seed.
    """

    rule: str
    task: str
    sizes: tuple
    activation: str
    locality: str
    weight_transport: bool
    seeds: tuple

    @property
    def test_accuracy(self) -> np.ndarray:
        """Test accuracy of each seed ``(seeds,)``."""
        return np.array([s.test_accuracy for s in self.seeds])

    @property
    def test_accuracy_mean(self) -> float:
        """Mean test accuracy over seeds."""
        return float(self.test_accuracy.mean())

    @property
    def test_accuracy_sd(self) -> float:
        """Sample SD across seeds (0 for one seed)."""
        a = self.test_accuracy
        return float(a.std(ddof=1)) if len(a) > 1 else 0.0

    @property
    def train_time_s_mean(self) -> float:
        """Mean wall time (s) of the final training per seed."""
        return float(np.mean([s.train_time_s for s in self.seeds]))

    def row(self, reference: float | None = None) -> dict:
        """One table row; ``reference`` (backprop's mean accuracy) adds the gap in points."""
        out = {"rule": self.rule, "test_accuracy_mean": self.test_accuracy_mean,
               "test_accuracy_sd": self.test_accuracy_sd, "n_seeds": len(self.seeds),
               "learning_rates": [s.learning_rate for s in self.seeds],
               "epochs": [s.n_epochs for s in self.seeds],
               "train_time_s_mean": self.train_time_s_mean,
               "weight_transport": self.weight_transport}
        if reference is not None:
            out["gap_to_backprop_points"] = 100.0 * (reference - self.test_accuracy_mean)
        return out


@dataclass(frozen=True)
class RuleComparison:
    """Several rules on the same task, network and seeds.

    Parameters
    ----------
    task, description : str
        Task name and a one-line description.
    results : tuple of RuleResult
        One entry per rule, in the order compared.
    """

    task: str
    description: str
    results: tuple

    def result(self, rule: str) -> RuleResult:
        """The result of the rule named ``rule``."""
        for r in self.results:
            if r.rule == rule:
                return r
        raise InputError(f"rule {rule!r} is not in this comparison ({', '.join(self.rules)})")

    @property
    def rules(self) -> list[str]:
        """Rule names in table order."""
        return [r.rule for r in self.results]

    def table(self) -> list[dict]:
        """Rows with test accuracy mean/SD, chosen hyper-parameters, time, gap to backprop."""
        ref = self.result("backprop").test_accuracy_mean if "backprop" in self.rules else None
        return [r.row(ref) for r in self.results]

    def to_markdown(self) -> str:
        """The accuracy table as Markdown (percent, gap in points)."""
        header = ("| rule | test accuracy % (mean ± SD) | seeds | gap to backprop (points) | "
                  "train time / seed (s) |")
        lines = [f"Task: {self.description}", "", header, "|---|---|---|---|---|"]
        for row in self.table():
            gap = row.get("gap_to_backprop_points")
            lines.append(f"| {row['rule']} | {100 * row['test_accuracy_mean']:.1f} ± "
                         f"{100 * row['test_accuracy_sd']:.1f} | {row['n_seeds']} | "
                         f"{'' if gap is None else f'{gap:+.1f}'} | {row['train_time_s_mean']:.1f} |")
        return "\n".join(lines)


def _seed_list(seeds) -> list[int]:
    if isinstance(seeds, (int, np.integer)):
        if seeds < 1:
            raise InputError(f"seeds must be >= 1, got {seeds}")
        return list(range(int(seeds)))
    out = [int(s) for s in seeds]
    if not out:
        raise InputError("seeds is empty; give a count or a list of seeds")
    return out


def evaluate_rule(task: ClassificationTask, rule: str, *, hidden_sizes: Sequence[int] = (128,),
                  activation: str = "tanh", seeds=3, learning_rates: Sequence[float] | None = None,
                  n_epochs: int | None = None, batch_size: int = 32, momentum: float = 0.9,
                  val_fraction: float = 0.2, alignment_every: int = 20, refit: bool = True,
                  progress: Callable[[str], None] | None = None) -> RuleResult:
    """Train and test one rule over several seeds with validation-chosen hyper-parameters.

    Parameters
    ----------
    task : ClassificationTask
        Train/test data.
    rule : str
        One of ``backprop``, ``fa``, ``dfa``, ``three_factor``, ``frozen``.
    hidden_sizes : sequence of int
        Hidden widths, e.g. ``(128,)`` for 64-128-10 on digits.
    activation : str
        Hidden-layer nonlinearity (``tanh``, ``relu``, ``sigmoid``).
    batch_size : int
        Samples per mini-batch.
    momentum : float
        Heavy-ball momentum in [0, 1), the same for every rule.
    alignment_every : int
        Measure the update/gradient angle every this many steps (0: never).
    progress : callable, optional
        Called with one line of text per finished seed.
    seeds : int or sequence of int
        A count (seeds 0..n-1) or explicit seeds.
    learning_rates : sequence of float, optional
        Grid searched on the validation split (default depends on the rule).
    n_epochs : int, optional
        Maximum epochs; the epoch count used is chosen on validation.
    val_fraction : float
        Part of the training set held out for selection.
    refit : bool
        Retrain on the whole training set with the chosen rate and epochs (default), or
        score the selection run's best-validation weights (trained on the fit part only).

    Returns
    -------
    RuleResult
    """
    obj = make_rule(rule)
    lrs = tuple(learning_rates) if learning_rates is not None else DEFAULT_LEARNING_RATES.get(obj.name, _LR_GRID)
    if not lrs:
        raise InputError("learning_rates is empty")
    for lr in lrs:
        check_positive(lr, "learning rate")
    epochs = int(n_epochs) if n_epochs is not None else DEFAULT_EPOCHS.get(obj.name, _EPOCHS)
    if not 0 < val_fraction < 1:
        raise InputError(f"val_fraction must be in (0, 1), got {val_fraction}")
    kw = {"rule": obj.name, "hidden_sizes": tuple(int(h) for h in hidden_sizes), "activation": activation,
          "batch_size": batch_size, "momentum": momentum, "alignment_every": alignment_every}
    results = [_one_seed(task, kw, lrs, epochs, val_fraction, s, refit, progress) for s in _seed_list(seeds)]
    sizes = (task.n_features, *kw["hidden_sizes"], task.n_classes)
    return RuleResult(obj.name, task.name, sizes, activation, obj.locality, obj.weight_transport,
                      tuple(results))


def _one_seed(task, kw, lrs, epochs, val_fraction, seed, refit, progress) -> SeedResult:
    from sklearn.model_selection import train_test_split

    Xf, Xv, yf, yv = train_test_split(task.X_train, task.y_train, test_size=val_fraction,
                                      stratify=task.y_train, random_state=seed)
    best = None
    for lr in lrs:
        clf = LearningRuleClassifier(learning_rate=lr, n_epochs=epochs, seed=seed, **kw)
        try:
            clf.fit(Xf, yf, Xv, yv)
        except InputError:  # diverged at this rate: not a candidate
            continue
        acc = float(np.nanmax(clf.history_.val_accuracy))
        if best is None or acc > best[0]:
            best = (acc, lr, clf.best_epoch_, clf.history_, clf)
    if best is None:
        raise InputError(f"rule {kw['rule']} diverged at every learning rate {lrs}; give smaller ones")
    val_acc, lr, n_ep, hist, final = best
    if refit:
        final = LearningRuleClassifier(learning_rate=lr, n_epochs=n_ep, seed=seed, **kw).fit(
            task.X_train, task.y_train)
    test_acc = final.score(task.X_test, task.y_test)
    if progress is not None:
        progress(f"{kw['rule']:>12s} seed {seed}: lr {lr:g}, {n_ep} epochs, val {val_acc:.3f}, "
                 f"test {test_acc:.3f} ({final.fit_time_s_:.1f} s)")
    return SeedResult(seed, float(lr), int(n_ep), val_acc, test_acc, final.fit_time_s_, hist,
                      final.history_)


def compare_rules(task: ClassificationTask, rules: Sequence[str] = SUPERVISED_RULES,
                  **kwargs) -> RuleComparison:
    """:func:`evaluate_rule` for each rule on the same task and seeds.

    Parameters
    ----------
    task : ClassificationTask
        Train/test data.
    rules : sequence of str
        Rule names (see :func:`~neurodiscovery.learning.rules.make_rule`).
    **kwargs
        Passed to :func:`evaluate_rule`.

    Returns
    -------
    RuleComparison
    """
    rules = list(rules)
    if not rules:
        raise InputError("no rules given")
    for r in rules:
        make_rule(r)
    return RuleComparison(task.name, task.description,
                          tuple(evaluate_rule(task, r, **kwargs) for r in rules))
