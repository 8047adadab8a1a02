"""Continual learning: tasks learned one after another, accuracy on all of them tracked.

Benchmarks (made offline):

* ``digits``: split digits, five two-class tasks (0/1, 2/3, ..., 8/9) of sklearn's 8x8 digits.
  One 10-way output layer; scored *class-incremental* (argmax over all ten outputs) and
  *task-incremental* (argmax over the current task's two classes, the task being known at test).
* ``mnist1d``: permuted MNIST-1D, ``n_tasks`` tasks, each a fixed random permutation of the 40
  inputs (the first is the identity), all ten classes every time (domain-incremental).

Learners: the MLP rules of :mod:`~neurodiscovery.learning.rules` (``backprop``, ``fa``, ``dfa``,
``three_factor`` = node perturbation) trained by SGD with momentum; ``ewc`` = backprop plus
elastic weight consolidation (Kirkpatrick et al. 2017: a quadratic penalty
``lambda/2 sum F (w - w*)^2`` with the diagonal empirical Fisher ``F`` summed over past tasks);
and ``eprop`` = the spiking network of :mod:`~neurodiscovery.learning.spiking` trained by e-prop
on latency-coded inputs.

``R[i, j]`` is the test accuracy on task ``j`` after training on task ``i``. Average accuracy is
the mean of the last row; forgetting is the mean over tasks ``j < last`` of
``max_{i < last} R[i, j] - R[last, j]`` (Chaudhry et al. 2018).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError

__all__ = ["CONTINUAL_RULES", "ContinualRun", "continual_tasks", "run_continual", "average_accuracy",
           "forgetting"]

CONTINUAL_RULES = ("backprop", "fa", "dfa", "three_factor", "ewc", "eprop")
_LR = {"backprop": 0.03, "fa": 0.03, "dfa": 0.03, "three_factor": 0.003, "ewc": 0.03}


@dataclass
class ContinualRun:
    """Accuracy matrices of one rule and seed.

    Attributes
    ----------
    rule : str
        Learner.
    seed : int
        Seed of weights, batches and feedback.
    accuracy : ndarray, shape (n_tasks, n_tasks)
        ``R[i, j]``: fraction correct on task ``j`` after task ``i`` (all outputs compete).
    accuracy_task_aware : ndarray or None, shape (n_tasks, n_tasks)
        Same with the answer restricted to task ``j``'s classes (split digits only).
    """

    rule: str
    seed: int
    accuracy: np.ndarray
    accuracy_task_aware: np.ndarray | None = None


def average_accuracy(R: np.ndarray) -> float:
    """Mean accuracy over all tasks after the last one, ``R (n_tasks, n_tasks)`` (fraction)."""
    return float(np.mean(np.asarray(R)[-1]))


def forgetting(R: np.ndarray) -> float:
    """Mean drop from the best earlier accuracy to the final one over tasks but the last, ``R (n_tasks, n_tasks)``."""
    R = np.asarray(R)
    if len(R) < 2:
        return 0.0
    return float(np.mean([R[:-1, j].max() - R[-1, j] for j in range(len(R) - 1)]))


def continual_tasks(dataset: str, n_tasks: int = 5, seed: int = 0) -> list[dict]:
    """The task sequence: dicts with ``X_train, y_train, X_test, y_test`` (features) and ``classes``.

    Parameters
    ----------
    dataset : {"digits", "mnist1d"}
        Split digits or permuted MNIST-1D.
    n_tasks : int
        Permuted MNIST-1D: number of permutations (split digits always has five tasks).
    seed : int
        Seeds the digits split and the permutations.

    Returns
    -------
    list of dict
    """
    from .tasks import load_task

    if dataset not in ("digits", "mnist1d"):
        raise InputError(f"unknown continual dataset {dataset!r}; use digits or mnist1d")
    base = load_task(dataset, seed=seed)
    lo, hi = base.X_train.min(0), base.X_train.max(0)
    span = np.where(hi > lo, hi - lo, 1.0)
    Xtr, Xte = np.clip((base.X_train - lo) / span, 0, 1), np.clip((base.X_test - lo) / span, 0, 1)
    if dataset == "digits":
        out = []
        for k in range(5):
            cl = [2 * k, 2 * k + 1]
            a, b = np.isin(base.y_train, cl), np.isin(base.y_test, cl)
            out.append({"X_train": Xtr[a], "y_train": base.y_train[a], "X_test": Xte[b], "y_test": base.y_test[b],
                        "classes": cl})
        return out
    if int(n_tasks) < 1:
        raise InputError(f"n_tasks must be >= 1, got {n_tasks}")
    rng = np.random.default_rng(seed)
    perms = [np.arange(Xtr.shape[1])] + [rng.permutation(Xtr.shape[1]) for _ in range(int(n_tasks) - 1)]
    return [{"X_train": Xtr[:, p], "y_train": base.y_train, "X_test": Xte[:, p], "y_test": base.y_test,
             "classes": list(range(10))} for p in perms]


def _score(scores: np.ndarray, y: np.ndarray, classes) -> tuple[float, float]:
    full = float((scores.argmax(1) == y).mean())
    cl = np.asarray(classes)
    aware = float((cl[scores[:, cl].argmax(1)] == y).mean())
    return full, aware


class _MLPLearner:
    def __init__(self, rule: str, n_in: int, n_hidden: int, seed: int, ewc_lambda: float):
        from .network import MLP
        from .rules import make_rule

        self.net = MLP.init([n_in, n_hidden, 10], "tanh", seed=seed)
        self.rng = np.random.default_rng(seed)
        self.rule = make_rule("backprop" if rule == "ewc" else rule)
        self.rule.setup(self.net, self.rng)
        self.lr, self.ewc = _LR[rule], (rule == "ewc")
        self.lam = float(ewc_lambda)
        self.fisher = None
        self.anchor = None

    def fit_task(self, X, y, n_epochs: int, batch_size: int = 32) -> None:
        T = np.eye(10)[y]
        vel = [np.zeros_like(w) for w in self.net.weights + self.net.biases]
        for _ in range(n_epochs):
            order = self.rng.permutation(len(X))
            for s in range(0, len(X), batch_size):
                idx = order[s:s + batch_size]
                gw, gb, _ = self.rule.gradients(self.net, X[idx], T[idx], self.rng)
                grads = list(gw) + list(gb)
                if self.fisher is not None:
                    params = self.net.weights + self.net.biases
                    grads = [g + self.lam * f * (p - a) for g, f, p, a in zip(grads, self.fisher, params, self.anchor)]
                for k, (p, g) in enumerate(zip(self.net.weights + self.net.biases, grads)):
                    vel[k] = 0.9 * vel[k] - self.lr * g
                    p += vel[k]
        if self.ewc:
            self._consolidate(X, T)

    def _consolidate(self, X, T, n_samples: int = 200) -> None:
        from .rules import backprop_gradients

        idx = self.rng.permutation(len(X))[:n_samples]
        fis = [np.zeros_like(p) for p in self.net.weights + self.net.biases]
        for i in idx:
            gw, gb, _ = backprop_gradients(self.net, X[i:i + 1], T[i:i + 1])
            for f, g in zip(fis, list(gw) + list(gb)):
                f += g ** 2 / len(idx)
        self.fisher = fis if self.fisher is None else [a + b for a, b in zip(self.fisher, fis)]
        self.anchor = [p.copy() for p in self.net.weights + self.net.biases]

    def scores(self, X) -> np.ndarray:
        return self.net.predict_proba(X)


class _SNNLearner:
    def __init__(self, n_in: int, n_hidden: int, seed: int, n_steps: int):
        import torch

        from .spiking import LIFConfig, SpikingNetwork

        self.net = SpikingNetwork.init(n_in, n_hidden, 10, False, LIFConfig(), seed)
        self.opt = torch.optim.Adam(self.net.parameters, lr=2e-3)
        self.rng = np.random.default_rng(seed)
        self.n_steps = n_steps

    def _encode(self, X):
        from .encoding import latency_encode

        return latency_encode(X, self.n_steps)

    def fit_task(self, X, y, n_epochs: int, batch_size: int = 32) -> None:
        import torch

        from .snn_train import _step

        S = torch.as_tensor(self._encode(X))
        for _ in range(n_epochs):
            order = self.rng.permutation(len(X))
            for s in range(0, len(X), batch_size):
                idx = order[s:s + batch_size]
                _step(self.net, "eprop", S[idx], y[idx], self.opt, None)

    def scores(self, X) -> np.ndarray:
        import torch

        with torch.no_grad():
            c = self.net.forward(self._encode(X)).counts.numpy()
        return c + 1e-3 * np.arange(c.shape[1])[::-1] / c.shape[1]  # ties: lowest index, as argmax


def _one_run(rule, tasks, seed, n_hidden, n_epochs, ewc_lambda, n_steps) -> ContinualRun:
    n_in = tasks[0]["X_train"].shape[1]
    if rule == "eprop":
        learner = _SNNLearner(n_in, n_hidden, seed, n_steps)
    else:
        learner = _MLPLearner(rule, n_in, n_hidden, seed, ewc_lambda)
    n = len(tasks)
    R, Ra = np.zeros((n, n)), np.zeros((n, n))
    for i, t in enumerate(tasks):
        epochs = n_epochs * (3 if rule == "three_factor" else 1)  # its noisy estimate needs more steps
        learner.fit_task(t["X_train"], t["y_train"], epochs)
        for j, u in enumerate(tasks):
            R[i, j], Ra[i, j] = _score(learner.scores(u["X_test"]), u["y_test"], u["classes"])
    aware = Ra if len(tasks[0]["classes"]) < 10 else None
    return ContinualRun(rule, seed, R, aware)


def run_continual(dataset: str = "digits", rules: Sequence[str] = CONTINUAL_RULES, seeds: int = 3,
                  n_hidden: int = 100, n_epochs: int = 10, ewc_lambda: float = 100.0, n_tasks: int = 5,
                  n_steps: int = 20, progress: Callable[[str], None] | None = None) -> tuple[list[dict], list]:
    """Train each rule on the task sequence for seeds ``0 .. seeds-1``.

    Parameters
    ----------
    dataset : {"digits", "mnist1d"}
        Split digits or permuted MNIST-1D.
    rules : sequence of str
        Learners from :data:`CONTINUAL_RULES`.
    seeds : int
        Number of seeds.
    n_hidden : int
        Hidden units (MLP) or LIF neurons (e-prop).
    n_epochs : int
        Epochs per task (node perturbation gets three times as many).
    ewc_lambda : float
        EWC penalty strength (dimensionless).
    n_tasks : int
        Permutations of permuted MNIST-1D.
    n_steps : int
        Time steps of the latency code (e-prop).
    progress : callable, optional
        Called with one line per finished run.

    Returns
    -------
    rows : list of dict
        Per rule: ``average_accuracy_mean/sd``, ``forgetting_mean/sd`` (fractions, over seeds) and, for
        split digits, the same for the task-aware score.
    runs : list of ContinualRun
        Every rule and seed.
    """
    rules = list(dict.fromkeys(rules))
    bad = [r for r in rules if r not in CONTINUAL_RULES]
    if bad or not rules:
        raise InputError(f"unknown continual-learning rule(s) {bad}; use {', '.join(CONTINUAL_RULES)}")
    if int(seeds) < 1 or int(n_epochs) < 1:
        raise InputError("seeds and n_epochs must be >= 1")
    tasks = continual_tasks(dataset, n_tasks)
    runs, rows = [], []
    for rule in rules:
        mine = []
        for s in range(int(seeds)):
            mine.append(_one_run(rule, tasks, s, n_hidden, int(n_epochs), ewc_lambda, n_steps))
            if progress is not None:
                progress(f"{rule} seed {s}: average accuracy {average_accuracy(mine[-1].accuracy):.3f}")
        runs += mine
        rows.append(_row(rule, mine))
    return rows, runs


def _row(rule: str, runs: list[ContinualRun]) -> dict:
    def ms(vals):
        v = np.asarray(vals, float)
        return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0

    row = {"rule": rule, "seeds": len(runs)}
    row["average_accuracy_mean"], row["average_accuracy_sd"] = ms([average_accuracy(r.accuracy) for r in runs])
    row["forgetting_mean"], row["forgetting_sd"] = ms([forgetting(r.accuracy) for r in runs])
    if runs[0].accuracy_task_aware is not None:
        row["task_aware_accuracy_mean"], row["task_aware_accuracy_sd"] = ms(
            [average_accuracy(r.accuracy_task_aware) for r in runs])
        row["task_aware_forgetting_mean"], row["task_aware_forgetting_sd"] = ms(
            [forgetting(r.accuracy_task_aware) for r in runs])
    return row
