"""Train a rate network on an input -> target task (e.g. the flip-flop) for fixed-point analysis."""
from __future__ import annotations

import numpy as np

from .._utils.errors import InputError
from .._utils.validation import check_array
from .rnn import build_rate_rnn


def train_task_rnn(inputs, targets, *, n_units: int = 64, alpha: float = 1.0, val_fraction: float = 0.2,
                   lr: float = 1e-2, batch_size: int = 64, max_epochs: int = 200, patience: int = 20,
                   time_budget_s: float | None = None, seed: int = 0):
    """Fit a tanh rate network whose readout ``W_out tanh(x) + b`` follows ``targets``.

    Parameters
    ----------
    inputs : array_like, shape (trials, time, n_inputs)
    targets : array_like, shape (trials, time, n_outputs)
    n_units, alpha : network size and ``dt / tau``.
    val_fraction : float
        Last trials used for early stopping.
    lr, batch_size, max_epochs, patience, time_budget_s : training settings.
    seed : int

    Returns
    -------
    module : torch.nn.Module
        The trained network (``.step(x, u)``, ``forward(u)``, ``readout(states)``).
    history : TrainHistory
    """
    import torch

    from .._utils.training import fit_minibatch

    u = check_array(inputs, "inputs (trials, time, n_inputs)", ndim=3)
    y = check_array(targets, "targets (trials, time, n_outputs)", ndim=3)
    if u.shape[:2] != y.shape[:2]:
        raise InputError(f"inputs cover {u.shape[:2]} (trials, time) but targets {y.shape[:2]}; they must match")
    n_val = max(1, round(val_fraction * len(u)))
    if n_val >= len(u):
        raise InputError(f"{len(u)} trials cannot be split into training and validation blocks")
    net = build_rate_rnn({"n_units": int(n_units), "n_inputs": u.shape[2], "n_outputs": y.shape[2],
                          "rank": None, "alpha": float(alpha), "n_observed": None, "seed": int(seed)})
    with torch.no_grad():  # recurrent gain near 1 holds memories longer at the start of training
        net.w.mul_(2.0)

    def loss(module, batch, epoch):
        return torch.mean((module.readout(module(batch[0])) - batch[1]) ** 2)

    def t(a):
        return torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float32)

    hist = fit_minibatch(net, loss, (t(u[:-n_val]), t(y[:-n_val])), (t(u[-n_val:]), t(y[-n_val:])),
                         batch_size=batch_size, lr=lr, max_epochs=max_epochs, patience=patience, seed=seed,
                         grad_clip=1.0, time_budget_s=time_budget_s, desc="task RNN")
    return net, hist
