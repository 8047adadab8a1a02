"""One training loop for the package's torch models: mini-batches, early stopping, seeded.

Latent-variable models, forecasters and circuit models differ in their loss, not in how
they are trained, so they share :func:`fit_minibatch`: AdamW on shuffled mini-batches
(shuffling drawn from a ``torch.Generator`` seeded by ``seed``), the validation loss
after every epoch, the best-validation weights restored at the end, and optional
gradient clipping, a wall-time budget and a progress bar.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Sequence

from .errors import InputError, require


@dataclass(frozen=True)
class TrainHistory:
    """What happened during :func:`fit_minibatch`.

    Attributes
    ----------
    train_loss, val_loss : tuple of float
        Mean loss per epoch (``val_loss`` is NaN per epoch when there is no validation data).
    best_epoch : int
        Epoch (0-based) whose weights were kept.
    best_val_loss : float
        Validation loss of the kept weights (NaN without validation data).
    n_epochs : int
        Epochs run.
    stopped : str
        ``"patience"``, ``"max_epochs"`` or ``"time_budget"``.
    wall_s : float
        Training wall time in seconds.
    """

    train_loss: tuple
    val_loss: tuple
    best_epoch: int
    best_val_loss: float
    n_epochs: int
    stopped: str
    wall_s: float


def _check(batch_size, lr, max_epochs, patience, weight_decay) -> None:
    if int(batch_size) != batch_size or batch_size < 1:
        raise InputError(f"batch_size must be a positive integer, got {batch_size!r}")
    if not (math.isfinite(lr) and lr > 0):
        raise InputError(f"learning rate must be finite and > 0, got {lr!r}")
    if int(max_epochs) != max_epochs or max_epochs < 1:
        raise InputError(f"max_epochs must be a positive integer, got {max_epochs!r}")
    if int(patience) != patience or patience < 1:
        raise InputError(f"patience must be a positive integer, got {patience!r}")
    if not (math.isfinite(weight_decay) and weight_decay >= 0):
        raise InputError(f"weight_decay must be finite and >= 0, got {weight_decay!r}")


def _n_samples(tensors: Sequence) -> int:
    n = {int(t.shape[0]) for t in tensors}
    if len(n) != 1:
        raise InputError(f"training tensors disagree in their first (sample) dimension: {sorted(n)}")
    return n.pop()


def _optimizer(module, lr: float, weight_decay: float, lr_plateau: tuple[float, int] | None):
    """AdamW and a step function of the validation loss.

    The step is ``ReduceLROnPlateau(factor, patience)`` down to ``1e-3 * lr`` for
    ``lr_plateau = (factor, patience)``, and a no-op for None.
    """
    torch = require("torch")
    opt = torch.optim.AdamW(module.parameters(), lr=lr, weight_decay=weight_decay)
    if lr_plateau is None:
        return opt, lambda v: None
    factor, patience = lr_plateau
    if not 0 < factor < 1 or int(patience) != patience or patience < 0:
        raise InputError(f"lr_plateau must be (factor in (0, 1), patience >= 0), got {lr_plateau!r}")
    return opt, torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=float(factor), patience=int(patience),
                                                           threshold=1e-4, min_lr=1e-3 * lr).step


def _validate(module, val_loss_fn: Callable, val: Sequence | None, epoch: int, lr_step) -> float:
    """The validation loss (NaN without validation data), which also steps the learning-rate schedule."""
    if val is None:
        return math.nan
    v = evaluate_loss(module, val_loss_fn, val, epoch=epoch)
    lr_step(v)
    return v


def evaluate_loss(module, loss_fn: Callable, tensors: Sequence, *, epoch: int = 0, batch_size: int = 256) -> float:
    """Sample-weighted mean of ``loss_fn`` over ``tensors`` in eval mode, without gradients."""
    torch = require("torch")
    n = _n_samples(tensors)
    was_training = module.training
    module.eval()
    total = 0.0
    with torch.no_grad():
        for s in range(0, n, batch_size):
            batch = tuple(t[s:s + batch_size] for t in tensors)
            total += float(loss_fn(module, batch, epoch)) * len(batch[0])
    module.train(was_training)
    return total / max(n, 1)


def fit_minibatch(module, loss_fn: Callable, train: Sequence, val: Sequence | None = None, *,
                  batch_size: int = 64, lr: float = 1e-3, weight_decay: float = 0.0, max_epochs: int = 100,
                  patience: int = 10, min_rel_improvement: float = 1e-4, seed: int = 0,
                  grad_clip: float | None = None, time_budget_s: float | None = None,
                  val_loss_fn: Callable | None = None, progress: bool = False,
                  desc: str = "training", lr_plateau: tuple[float, int] | None = None,
                  min_epochs: int = 0) -> TrainHistory:
    """Train ``module`` in place with AdamW on shuffled mini-batches and early stopping.

    Parameters
    ----------
    module : torch.nn.Module
        Model to train (its parameters are updated in place; the best-validation weights
        are loaded back at the end).
    loss_fn : callable
        ``loss_fn(module, batch, epoch) -> scalar tensor``: mean loss over a batch, where
        ``batch`` is a tuple holding the same slice of every tensor in ``train``. ``epoch``
        lets a loss schedule terms (e.g. KL warm-up).
    train : sequence of torch.Tensor
        Training tensors sharing their first (sample) dimension, e.g. ``(trials, time, neurons)``.
    val : sequence of torch.Tensor, optional
        Validation tensors; without them training runs ``max_epochs`` and keeps the last weights.
    batch_size, lr, weight_decay, max_epochs : optimiser settings.
    patience : int
        Epochs without a relative validation improvement of ``min_rel_improvement`` before stopping.
    seed : int
        Seeds the shuffling generator (initialise the module's weights from ``seed`` yourself).
    grad_clip : float, optional  maximum gradient norm.
    time_budget_s : float, optional  stop after the epoch that crosses this wall time (seconds).
    val_loss_fn : callable, optional
        Loss used for validation (defaults to ``loss_fn``), e.g. without coordinated dropout.
    progress, desc : bool, str  show a tqdm bar over epochs, labelled ``desc``.
    lr_plateau : (factor, patience), optional
        Multiply the learning rate by ``factor`` after ``patience`` epochs without validation improvement.
    min_epochs : int
        Epochs that never count against ``patience`` (e.g. a KL warm-up, while the objective still
        changes); the best weights are tracked from epoch 0.

    Returns
    -------
    TrainHistory
    """
    torch = require("torch")
    _check(batch_size, lr, max_epochs, patience, weight_decay)
    n = _n_samples(train)
    if n == 0:
        raise InputError("no training samples")
    if val is not None and _n_samples(val) == 0:
        val = None
    val_loss_fn = val_loss_fn or loss_fn
    gen = torch.Generator().manual_seed(int(seed))
    opt, lr_step = _optimizer(module, float(lr), float(weight_decay), lr_plateau if val is not None else None)
    bar = _epoch_bar(int(max_epochs), desc) if progress else None
    t0 = time.perf_counter()
    tr_hist, va_hist = [], []
    stop = _EarlyStopping(int(patience), min_rel_improvement, int(min_epochs))
    stopped = "max_epochs"
    for epoch in range(int(max_epochs)):
        tr_hist.append(_train_epoch(torch, module, opt, loss_fn, train, n, int(batch_size), gen, epoch,
                                    grad_clip, desc))
        va_hist.append(v := _validate(module, val_loss_fn, val, epoch, lr_step))
        if bar is not None:
            bar.update(1)
            bar.set_postfix(train=f"{tr_hist[-1]:.4g}", val=f"{v:.4g}")
        if val is not None and stop.update(v, epoch, module):
            stopped = "patience"
            break
        if time_budget_s is not None and time.perf_counter() - t0 > float(time_budget_s):
            stopped = "time_budget"
            break
    if bar is not None:
        bar.close()
    if stop.state is not None:
        module.load_state_dict(stop.state)
    else:
        stop.epoch = len(tr_hist) - 1
    module.eval()
    return TrainHistory(train_loss=tuple(tr_hist), val_loss=tuple(va_hist), best_epoch=int(stop.epoch),
                        best_val_loss=float(stop.best) if stop.state is not None else math.nan,
                        n_epochs=len(tr_hist), stopped=stopped, wall_s=time.perf_counter() - t0)


def _epoch_bar(total: int, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="epoch", leave=False)


def _train_epoch(torch, module, opt, loss_fn, train, n: int, batch_size: int, gen, epoch: int, grad_clip,
                 desc: str) -> float:
    """One pass over shuffled mini-batches; the sample-weighted mean training loss."""
    module.train()
    order = torch.randperm(n, generator=gen)
    total = 0.0
    for s in range(0, n, batch_size):
        idx = order[s:s + batch_size]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(module, tuple(t[idx] for t in train), epoch)
        if not torch.isfinite(loss.detach()):
            raise InputError(f"{desc}: the loss became {float(loss)} at epoch {epoch}; lower the learning "
                             "rate or check the data for extreme values")
        loss.backward()
        if grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(module.parameters(), float(grad_clip))
        opt.step()
        total += float(loss.detach()) * len(idx)
    return total / n


class _EarlyStopping:
    """Best validation loss so far, its epoch and weights, and epochs since a relative improvement.

    Epochs before ``min_epochs`` never count against the patience.
    """

    def __init__(self, patience: int, min_rel_improvement: float, min_epochs: int = 0):
        self.patience, self.min_rel, self.min_epochs = patience, min_rel_improvement, min_epochs
        self.best, self.epoch, self.state, self.bad = math.inf, 0, None, 0

    def update(self, v: float, epoch: int, module) -> bool:
        """Record epoch ``epoch``'s validation loss ``v``; True when patience has run out."""
        if v < self.best - self.min_rel * abs(self.best) or not math.isfinite(self.best):
            self.best, self.epoch, self.bad = v, epoch, 0
            self.state = {k: t.detach().clone() for k, t in module.state_dict().items()}
            return False
        if epoch + 1 > self.min_epochs:
            self.bad += 1
        return self.bad >= self.patience
