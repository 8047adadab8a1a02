"""Training spiking networks: surrogate-gradient BPTT (autograd) or e-prop (forward only), with Adam.

:func:`train_snn` trains one seed; :func:`compare_snn_rules` trains several rules over seeds on
the same task and returns a table of test accuracy (mean ± SD over seeds) and time per epoch.
The test part is scored once, after the last epoch; learning curves use the training part.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .._utils.errors import InputError
from .spiking import LIFConfig, SpikingNetwork

__all__ = ["SNN_RULES", "SNNFit", "train_snn", "compare_snn_rules"]

SNN_RULES = ("bptt", "eprop", "eprop-random")


@dataclass
class SNNFit:
    """One trained spiking network.

    Attributes
    ----------
    rule : str
        ``bptt``, ``eprop`` or ``eprop-random``.
    seed : int
        Seed of weights, feedback and batch order.
    network : SpikingNetwork
        The trained network.
    test_accuracy : float
        Fraction of test samples classified correctly.
    train_loss, train_accuracy : list of float
        Per epoch: mean training loss and training accuracy (fraction) of the mini-batches.
    epoch_time_s : list of float
        Wall time of each epoch in seconds.
    test_spikes_per_sample : float
        Mean hidden + output spike count per test sample.
    validation_accuracy : list of float
        Per epoch: accuracy (fraction) on the ``validation`` samples given to :func:`train_snn`
        (empty without them); for choosing the number of epochs without reading the test part.
    """

    rule: str
    seed: int
    network: SpikingNetwork
    test_accuracy: float
    train_loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    epoch_time_s: list = field(default_factory=list)
    test_spikes_per_sample: float = float("nan")
    validation_accuracy: list = field(default_factory=list)


def _check_rule(rule: str) -> str:
    if rule not in SNN_RULES:
        raise InputError(f"unknown spiking learning rule {rule!r}; use one of {', '.join(SNN_RULES)}")
    return rule


def _step(net, rule, xb, yb, opt, feedback):
    import torch

    from .eprop import eprop_gradients

    opt.zero_grad()
    if rule == "bptt":
        fw = net.forward(xb)
        loss = net.loss(fw, yb)
        loss.backward()
        counts, value = fw.counts.detach(), float(loss.detach())
    else:
        grads, value, counts = eprop_gradients(net, xb, yb, feedback)
        for name, g in grads.items():
            getattr(net, name).grad = g
    opt.step()
    if net.w_rec is not None:
        with torch.no_grad():
            net.w_rec.fill_diagonal_(0.0)
    return value, (counts.argmax(1).numpy() == np.asarray(yb)).mean()


def _epoch(net, rule, X, y, order, batch_size, opt, feedback) -> tuple[list, list]:
    """One pass over the training set in mini-batches of ``order``; losses and accuracies per batch."""
    losses, accs = [], []
    for i in range(0, len(order), batch_size):
        idx = order[i:i + batch_size]
        loss, acc = _step(net, rule, X[idx], y[idx], opt, feedback)
        losses.append(loss)
        accs.append(acc)
    return losses, accs


def train_snn(task, rule: str = "bptt", n_hidden: int = 100, recurrent: bool = False, n_epochs: int = 20,
              batch_size: int = 64, lr: float = 2e-3, seed: int = 0, config: LIFConfig | None = None,
              n_outputs: int | None = None, progress: Callable[[str], None] | None = None,
              validation: tuple | None = None) -> SNNFit:
    """Train a spiking network on a :class:`~neurodiscovery.learning.encoding.SpikeTask`.

    Parameters
    ----------
    task : SpikeTask
        Input spikes and labels.
    rule : {"bptt", "eprop", "eprop-random"}
        Surrogate-gradient BPTT (autograd), symmetric e-prop or random-feedback e-prop.
    n_hidden : int
        Hidden LIF neurons.
    recurrent : bool
        Recurrent hidden layer.
    n_epochs : int
        Passes over the training set.
    batch_size : int
        Samples per update.
    lr : float
        Adam learning rate.
    seed : int
        Seeds weights, feedback and batch order.
    config : LIFConfig, optional
        Neuron parameters; its ``dt_ms`` must equal the task's.
    n_outputs : int, optional
        Output neurons (default: the number of classes); fewer than the classes is an error.
    progress : callable, optional
        Called with one line per epoch.
    validation : (ndarray, ndarray), optional
        Input spikes ``(samples, n_steps, n_inputs)`` and labels ``(samples,)`` scored after every
        epoch into ``SNNFit.validation_accuracy`` (e.g. a held-out part of the training set).

    Returns
    -------
    SNNFit
    """
    import torch

    _check_rule(rule)
    cfg = config or LIFConfig(dt_ms=task.dt_ms)
    if abs(cfg.dt_ms - task.dt_ms) > 1e-12:
        raise InputError(f"the network's dt_ms ({cfg.dt_ms}) differs from the task's ({task.dt_ms})")
    n_out = task.n_classes if n_outputs is None else int(n_outputs)
    if n_out < task.n_classes:
        raise InputError(f"{task.n_classes} classes but only {n_out} output neurons; use at least "
                         f"{task.n_classes} outputs")
    if int(n_epochs) < 1 or int(batch_size) < 1 or not lr > 0:
        raise InputError("n_epochs and batch_size must be >= 1 and lr > 0")
    torch.manual_seed(seed)  # only for torch ops without a generator argument
    net = SpikingNetwork.init(task.n_inputs, n_hidden, n_out, recurrent, cfg, seed)
    feedback = None
    if rule == "eprop-random":
        from .eprop import random_feedback

        feedback = random_feedback(net, seed)
    opt = torch.optim.Adam(net.parameters, lr=lr)
    rng = np.random.default_rng(seed)
    Xtr = torch.as_tensor(task.X_train)
    fit = SNNFit(rule, int(seed), net, float("nan"))
    for epoch in range(int(n_epochs)):
        t0 = time.perf_counter()
        losses, accs = _epoch(net, rule, Xtr, task.y_train, rng.permutation(len(task.y_train)), batch_size, opt,
                              feedback)
        fit.epoch_time_s.append(time.perf_counter() - t0)
        fit.train_loss.append(float(np.mean(losses)))
        fit.train_accuracy.append(float(np.mean(accs)))
        if validation is not None:
            fit.validation_accuracy.append(float((net.predict(validation[0]) == np.asarray(validation[1])).mean()))
        if progress is not None:
            progress(f"{rule} seed {seed} epoch {epoch + 1}/{n_epochs}: loss {fit.train_loss[-1]:.3f}, "
                     f"train accuracy {fit.train_accuracy[-1]:.3f}, {fit.epoch_time_s[-1]:.1f} s")
    fit.test_accuracy = float((net.predict(task.X_test) == task.y_test).mean())
    with torch.no_grad():
        fw = net.forward(task.X_test[:256])
    fit.test_spikes_per_sample = float((fw.hidden.sum() + fw.output.sum()) / len(fw.counts))
    return fit


def compare_snn_rules(task, rules: Sequence[str] = SNN_RULES, seeds: int = 3, **kw) -> list[dict]:
    """Train each rule on ``task`` for seeds ``0 .. seeds-1``; one table row per rule.

    Parameters
    ----------
    task : SpikeTask
        Input spikes and labels.
    rules : sequence of str
        Rules from :data:`SNN_RULES`.
    seeds : int
        Number of seeds.
    **kw
        Passed to :func:`train_snn`.

    Returns
    -------
    rows : list of dict
        ``rule``, ``test_accuracy_mean``, ``test_accuracy_sd`` (fractions), ``epoch_time_s`` and
        ``fits`` (the :class:`SNNFit` of every seed).
    """
    rows = []
    for r in rules:
        _check_rule(r)
    for rule in rules:
        fits = [train_snn(task, rule, seed=s, **kw) for s in range(int(seeds))]
        acc = np.array([f.test_accuracy for f in fits])
        rows.append({"rule": rule, "test_accuracy_mean": float(acc.mean()),
                     "test_accuracy_sd": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0,
                     "epoch_time_s": float(np.mean([np.mean(f.epoch_time_s) for f in fits])),
                     "fits": fits})
    return rows
