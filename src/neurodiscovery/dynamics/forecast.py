"""Forecasting population activity: a recurrent forecaster, persistence and ridge-VAR baselines.

Every forecaster reads a history window of ``window`` bins of ``(time, neurons)`` activity and
predicts the next bin; k-step forecasts are free-running rollouts that feed each prediction
back as the next input. Windows are strided views
(:func:`numpy.lib.stride_tricks.sliding_window_view`), never copied in a Python loop.
Counts use a Poisson loss (the network outputs log-rates per bin), continuous data a
Gaussian (squared-error) loss.
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._utils.errors import InputError
from .._utils.validation import check_array

_NOISE = ("poisson", "gaussian")


def as_trials(x, name: str = "activity") -> np.ndarray:
    """``(time, neurons)`` -> ``(1, time, neurons)``; ``(trials, time, neurons)`` unchanged."""
    a = check_array(x, f"{name} (trials, time, neurons) or (time, neurons)", ndim=(2, 3))
    return a[None] if a.ndim == 2 else a


def make_windows(x, window: int, horizon: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """History windows and the bin ``horizon`` steps after each, from every trial.

    Parameters
    ----------
    x : array_like, shape (trials, time, neurons) or (time, neurons)
    window : int
        History length in bins.
    horizon : int
        Target offset: 1 is the next bin after the window.

    Returns
    -------
    inputs : ndarray, shape (samples, window, neurons)
        A read-only strided view per trial, concatenated over trials.
    targets : ndarray, shape (samples, neurons)
    """
    a = as_trials(x)
    window, horizon = int(window), int(horizon)
    if window < 1 or horizon < 1:
        raise InputError(f"window and horizon must be >= 1 bins, got window={window}, horizon={horizon}")
    if window + horizon > a.shape[1]:
        raise InputError(f"a history window of {window} bins plus a horizon of {horizon} is longer than the "
                         f"{a.shape[1]} time bins per trial; use a shorter --window")
    n_s = a.shape[1] - window - horizon + 1
    views = sliding_window_view(a, window, axis=1)[:, :n_s]  # (trials, n_s, neurons, window)
    inputs = np.moveaxis(views, -1, -2).reshape(-1, window, a.shape[2])
    targets = a[:, window + horizon - 1:window + horizon - 1 + n_s].reshape(-1, a.shape[2])
    return inputs, targets


def poisson_log_likelihood(counts: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Poisson log-likelihood (nats) of ``counts`` under expected counts ``rate``, elementwise.

    Parameters
    ----------
    counts : ndarray, any shape
        Observed counts per bin.
    rate : ndarray, same shape as ``counts``
        Expected counts per bin (> 0).

    Returns
    -------
    ndarray, same shape
    """
    from scipy.special import gammaln

    r = np.maximum(rate, 1e-9)
    return counts * np.log(r) - r - gammaln(counts + 1)


class _Forecaster(ABC):
    """Shared rollout for every forecaster: predict, append, slide."""

    window: int

    @abstractmethod
    def predict_next(self, history: np.ndarray) -> np.ndarray:
        """Next-bin prediction from ``history`` (samples, window, features) -> (samples, features)."""

    def rollout(self, history, n_steps: int) -> np.ndarray:
        """Free-running forecast of ``n_steps`` bins after each history window.

        Parameters
        ----------
        history : array_like, shape (samples, window, neurons)
        n_steps : int

        Returns
        -------
        ndarray, shape (samples, n_steps, neurons)
            Predicted expected activity (expected counts per bin for Poisson data).
        """
        h = np.array(history, dtype=float)
        if h.ndim != 3 or h.shape[1] < self.window:
            raise InputError(f"history must be (samples, >= {self.window}, neurons), got {h.shape}")
        h = h[:, -self.window:]
        out = np.empty((h.shape[0], int(n_steps), h.shape[2]))
        for k in range(int(n_steps)):
            out[:, k] = self.predict_next(h)
            h = np.concatenate([h[:, 1:], out[:, k:k + 1]], axis=1)
        return out


class PersistenceForecaster(_Forecaster):
    """Predict the mean of the last ``n_last`` bins (``n_last = 1`` is classic persistence).

    Parameters
    ----------
    n_last : int
        Bins averaged (more bins suit noisy counts).
    noise : {"poisson", "gaussian"}
        Observation model (Poisson predictions are floored at 1e-3 counts).
    """

    def __init__(self, n_last: int = 1, noise: str = "gaussian"):
        self.n_last, self.noise = n_last, noise

    def fit(self, x=None):
        """Nothing is learned (``x``, the activity, is ignored); returns self."""
        self.window = int(self.n_last)
        return self

    def predict_next(self, history: np.ndarray) -> np.ndarray:
        """Next-bin prediction from ``history`` (samples, window, features) -> (samples, features)."""
        pred = np.asarray(history)[:, -self.n_last:].mean(axis=1)
        # a zero-count history would predict rate 0 and an infinite Poisson penalty
        return np.maximum(pred, 1e-3) if self.noise == "poisson" else pred


class VARForecaster(_Forecaster):
    """Ridge vector autoregression of order ``order`` (all neurons' lags predict each neuron).

    Parameters
    ----------
    order : int
        Lags (bins) used.
    alpha : float
        Ridge penalty (on standardised lags).
    noise : {"poisson", "gaussian"}
        For Poisson data predictions are floored at a small positive rate.
    """

    def __init__(self, order: int = 5, alpha: float = 1.0, noise: str = "gaussian"):
        self.order, self.alpha, self.noise = order, alpha, noise

    def fit(self, x):
        """Fit on ``x (trials, time, neurons)`` (or ``(time, neurons)``) activity; returns self."""
        self.window = int(self.order)
        xi, y = make_windows(x, self.window)
        f = xi.reshape(len(xi), -1)
        self.mean_, self.scale_ = f.mean(0), f.std(0) + 1e-8
        fz = (f - self.mean_) / self.scale_
        self.y_mean_ = y.mean(0)
        gram = fz.T @ fz + float(self.alpha) * np.eye(fz.shape[1])
        self.coef_ = np.linalg.solve(gram, fz.T @ (y - self.y_mean_))
        return self

    def predict_next(self, history: np.ndarray) -> np.ndarray:
        """Next-bin prediction from ``history`` (samples, window, features) -> (samples, features)."""
        h = np.asarray(history)[:, -self.window:]
        pred = ((h.reshape(len(h), -1) - self.mean_) / self.scale_) @ self.coef_ + self.y_mean_
        return np.maximum(pred, 1e-3) if self.noise == "poisson" else pred


def _net(cell: str, n_in: int, hidden: int, seed: int):
    import torch

    torch.manual_seed(int(seed))

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            rnn = torch.nn.GRU if cell == "gru" else torch.nn.LSTM
            self.rnn = rnn(n_in, hidden, batch_first=True)
            self.out = torch.nn.Linear(hidden, n_in)

        def forward(self, x):
            h, _ = self.rnn(x)
            return self.out(h[:, -1])

    return Net()


class RNNForecaster(_Forecaster):
    """GRU/LSTM next-bin forecaster trained on mini-batches of strided windows.

    Parameters
    ----------
    window : int
        History bins.
    cell : {"gru", "lstm"}
    hidden_size : int
    noise : {"poisson", "gaussian"}
        Poisson: outputs are log expected counts per bin, loss is the Poisson NLL.
    lr, batch_size, max_epochs, patience, weight_decay : training settings (see ``_utils.training.fit_minibatch``).
    lr_decay, lr_patience : float, int
        The learning rate is multiplied by ``lr_decay`` after ``lr_patience`` epochs without a
        validation improvement, so training settles into the optimum instead of stopping at the
        first noisy epoch (it used to keep epoch 1 of 8 at a constant 3e-3).
    val_fraction : float
        Fraction of trials (the last ones; or the last span of time for a single trial) held
        out as the blocked validation span for early stopping.
    time_budget_s : float, optional
    seed : int

    Attributes
    ----------
    module_ : torch.nn.Module
    history_ : TrainHistory
    """

    def __init__(self, window: int = 20, cell: str = "gru", hidden_size: int = 64, noise: str = "poisson",
                 lr: float = 1e-3, batch_size: int = 128, max_epochs: int = 60, patience: int = 8,
                 weight_decay: float = 1e-4, lr_decay: float = 0.3, lr_patience: int = 1, val_fraction: float = 0.2,
                 time_budget_s: float | None = None, seed: int = 0):
        self.window, self.cell, self.hidden_size, self.noise = window, cell, hidden_size, noise
        self.lr, self.batch_size, self.max_epochs, self.patience = lr, batch_size, max_epochs, patience
        self.weight_decay, self.lr_decay, self.lr_patience = weight_decay, lr_decay, lr_patience
        self.val_fraction, self.time_budget_s, self.seed = val_fraction, time_budget_s, seed

    def _check(self):
        if self.cell not in ("gru", "lstm"):
            raise InputError(f"cell must be 'gru' or 'lstm', got {self.cell!r}")
        if self.noise not in _NOISE:
            raise InputError(f"noise must be one of {_NOISE}, got {self.noise!r}")
        if not 0 < self.val_fraction < 1:
            raise InputError(f"val_fraction must be in (0, 1), got {self.val_fraction}")

    def _tensor_windows(self, a):
        import torch

        xi, y = make_windows(a, self.window)
        xz = (xi - self.in_mean_) / self.in_scale_
        return torch.as_tensor(xz, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32)

    def _loss(self, module, batch, epoch):
        import torch

        out = module(batch[0])
        if self.noise == "poisson":
            return torch.nn.functional.poisson_nll_loss(out, batch[1], log_input=True, full=False)
        return torch.mean((out - batch[1]) ** 2)

    def fit(self, x, val=None):
        """Fit to ``x (trials, time, neurons)`` activity; ``val`` overrides the blocked validation span."""
        from .._utils.training import fit_minibatch

        self._check()
        a = as_trials(x)
        if self.noise == "poisson" and a.min() < 0:
            raise InputError("noise='poisson' needs non-negative counts; use noise='gaussian' for continuous data")
        train, val = (a, as_trials(val)) if val is not None else split_blocked(a, self.val_fraction, self.window)
        make_windows(train, self.window)  # fails early, with one line, on a too-long window
        flat = train.reshape(-1, train.shape[2])
        self.in_mean_, self.in_scale_ = flat.mean(0), flat.std(0) + 1e-6
        self.module_ = _net(self.cell, a.shape[2], int(self.hidden_size), self.seed)
        if self.noise == "poisson":
            import torch

            with torch.no_grad():  # start at each neuron's mean count, not at exp(0) = 1 per bin
                self.module_.out.bias.copy_(torch.as_tensor(np.log(flat.mean(0) + 1e-3), dtype=torch.float32))
        self.history_ = fit_minibatch(self.module_, self._loss, self._tensor_windows(train),
                                      self._tensor_windows(val), batch_size=self.batch_size, lr=self.lr,
                                      weight_decay=float(self.weight_decay), max_epochs=self.max_epochs,
                                      patience=self.patience, seed=self.seed, grad_clip=1.0,
                                      time_budget_s=self.time_budget_s, desc="forecaster",
                                      lr_plateau=None if self.lr_decay >= 1 else (float(self.lr_decay),
                                                                                  int(self.lr_patience)))
        return self

    def predict_next(self, history: np.ndarray) -> np.ndarray:
        """Next-bin prediction from ``history`` (samples, window, features) -> (samples, features)."""
        import torch

        h = (np.asarray(history)[:, -self.window:] - self.in_mean_) / self.in_scale_
        with torch.no_grad():
            out = self.module_(torch.as_tensor(h, dtype=torch.float32)).double().numpy()
        return np.exp(out) if self.noise == "poisson" else out


def split_blocked(a: np.ndarray, fraction: float, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Split off the last ``fraction`` of trials (or of time, for one trial) as a contiguous block."""
    n_tr, n_t = a.shape[:2]
    if n_tr >= 2:
        n_val = max(1, round(fraction * n_tr))
        if n_val >= n_tr:
            raise InputError(f"{n_tr} trials cannot be split into training and validation blocks")
        return a[:-n_val], a[-n_val:]
    n_val = round(fraction * n_t)
    if n_val < window + 1 or n_t - n_val < window + 1:
        raise InputError(f"{n_t} time bins are too few for a blocked validation span with a {window}-bin window")
    return a[:, :-n_val], a[:, -n_val:]


def horizon_predictions(model: _Forecaster, x, horizons, window: int) -> dict:
    """Predicted and true activity at each horizon, for the same target bins at every horizon.

    Each target bin ``t`` (every bin from ``window + max(horizons) - 1`` to the trial's end) is
    forecast ``h`` bins ahead from the history window that ends at bin ``t - h``. Holding the
    targets fixed makes the horizons comparable: with a fixed set of *history windows* instead,
    longer horizons score later bins of the trial, and on trial-structured data (rates that fall
    late in the trial) the error then fell with the horizon for reasons unrelated to forecasting.

    Parameters
    ----------
    model : forecaster
        Fitted forecaster with ``rollout``.
    x : array_like, shape (trials, time, neurons) or (time, neurons)
        Held-out activity.
    horizons : sequence of int
        Horizons in bins (>= 1).
    window : int
        History length in bins.

    Returns
    -------
    dict : horizon -> (pred, true), each ``(samples, neurons)``; ``true`` is the same array for
        every horizon.
    """
    a = as_trials(x)
    h_max = int(max(horizons))
    make_windows(a, window, h_max)  # one clear line when a trial is too short
    xi, _ = make_windows(a, window, 1)  # histories ending at every bin from window - 1 to T - 2
    n_win = a.shape[1] - window
    roll = model.rollout(xi, h_max).reshape(a.shape[0], n_win, h_max, a.shape[2])
    n_s = a.shape[1] - window - h_max + 1
    true = a[:, window + h_max - 1:window + h_max - 1 + n_s].reshape(-1, a.shape[2])
    out = {}
    for h in horizons:
        first = h_max - int(h)  # the history ending h bins before the first target
        out[int(h)] = (roll[:, first:first + n_s, int(h) - 1].reshape(-1, a.shape[2]), true)
    return out


def score(pred: np.ndarray, true: np.ndarray, noise: str, train_mean: np.ndarray) -> float:
    """Forecast skill: Poisson log-likelihood in bits per spike against each neuron's training-mean
    rate (counts), or R² pooled over neurons (continuous data).
    """
    if noise == "poisson":
        ll = poisson_log_likelihood(true, pred).sum()
        ll0 = poisson_log_likelihood(true, np.broadcast_to(train_mean, true.shape)).sum()
        return float((ll - ll0) / (max(true.sum(), 1.0) * math.log(2)))
    return float(1.0 - np.sum((true - pred) ** 2) / np.sum((true - true.mean(0)) ** 2))
