"""Held-out comparison of the recurrent forecaster with persistence and ridge-VAR baselines."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError
from .forecast import (
    PersistenceForecaster,
    RNNForecaster,
    VARForecaster,
    as_trials,
    horizon_predictions,
    make_windows,
    score,
    split_blocked,
)


@dataclass(frozen=True)
class ForecastComparison:
    """Held-out forecasting skill of each model.

    Attributes
    ----------
    models : tuple of str
        ``("rnn", "var", "persistence")``.
    horizons : ndarray, shape (n_horizons,)
        Horizons (bins) of the error-growth curve, 1..max_horizon.
    skill : dict of str to ndarray, shape (n_horizons,)
        Per model, skill on the test trials at every horizon: Poisson log-likelihood in bits
        per spike relative to each neuron's training-mean rate (``noise="poisson"``) or R².
    mse : dict of str to ndarray, shape (n_horizons,)
        Per model, mean squared error per bin and neuron at every horizon (error growth), on the
        same test target bins at every horizon (see :func:`~.forecast.horizon_predictions`).
    noise : str
    chosen : dict
        Baseline settings chosen on the validation block (``var_order``, ``var_alpha``,
        ``persistence_bins``) and the network's training summary.
    n_train, n_val, n_test : int
        Trials (or time bins, for a single trial) in each contiguous block.
    bin_size_s : float or None
    mse_mean_rate : float or None
        MSE of predicting each neuron's training-mean activity on the same target bins: the level
        a forecast without information reaches.
    """

    models: tuple
    horizons: np.ndarray
    skill: dict
    mse: dict
    noise: str
    chosen: dict
    n_train: int
    n_val: int
    n_test: int
    bin_size_s: float | None = None
    mse_mean_rate: float | None = None

    def skill_at(self, model: str, horizon: int) -> float:
        """Skill of ``model`` at ``horizon`` bins."""
        return float(self.skill[model][int(horizon) - 1])

    def to_json(self, horizons=(1, 10)) -> dict:
        """Metrics summary at the selected ``horizons`` (in bins)."""
        metric = "bits_per_spike" if self.noise == "poisson" else "r2"
        out = {"metric": metric, "noise": self.noise, "chosen": self.chosen,
               "n_train": self.n_train, "n_val": self.n_val, "n_test": self.n_test}
        for m in self.models:
            out[m] = {f"{metric}_h{h}": self.skill_at(m, h) for h in horizons if h <= len(self.horizons)}
        return out


def _choose_baselines(train, val, window, noise, horizon_fit=1):
    """Pick persistence bins and VAR (order, alpha) by 1-step skill on the validation block."""
    mean = train.reshape(-1, train.shape[2]).mean(0)
    best_p, best_v = (-np.inf, 1), (-np.inf, (1, 1.0))
    for n_last in sorted({1, 2, 5, 10, window} & set(range(1, window + 1))):
        pred, true = horizon_predictions(PersistenceForecaster(n_last, noise).fit(), val, [horizon_fit], window)[1]
        best_p = max(best_p, (score(pred, true, noise, mean), n_last))
    for order in sorted({1, 2, 5, 10} & set(range(1, window + 1))):
        for alpha in (0.1, 1.0, 10.0, 100.0, 1e3, 1e4):
            model = VARForecaster(order, alpha, noise).fit(train)
            pred, true = horizon_predictions(model, val, [horizon_fit], window)[1]
            best_v = max(best_v, (score(pred, true, noise, mean), (order, alpha)))
    return best_p[1], best_v[1]


def compare_forecasters(x, *, noise: str = "poisson", window: int = 20, max_horizon: int = 20,
                        test_fraction: float = 0.2, val_fraction: float = 0.2, cell: str = "gru",
                        hidden_size: int = 64, max_epochs: int = 60, time_budget_s: float | None = None,
                        bin_size_s: float | None = None, seed: int = 0) -> ForecastComparison:
    """Train the recurrent forecaster and the baselines, and score rollouts on held-out trials.

    The last ``test_fraction`` of trials is the test block; of the rest, the last
    ``val_fraction`` is the validation block used for early stopping and to choose the
    baselines' settings. Test data is read only for the final scores.

    Parameters
    ----------
    x : array_like, shape (trials, time, neurons) or (time, neurons)
        Spike counts (``noise="poisson"``) or continuous activity (``noise="gaussian"``).
    noise : {"poisson", "gaussian"}
    window : int
        History bins.
    max_horizon : int
        Longest rollout (bins) of the error-growth curve.
    test_fraction, val_fraction : float
    cell, hidden_size, max_epochs, time_budget_s : network settings.
    bin_size_s : float, optional
        Recorded in the result for plotting horizons in seconds.
    seed : int

    Returns
    -------
    ForecastComparison
    """
    a = as_trials(x)
    if not 0 < test_fraction < 1:
        raise InputError(f"test_fraction must be in (0, 1), got {test_fraction}")
    make_windows(a, window, max_horizon)
    rest, test = split_blocked(a, test_fraction, window + max_horizon)
    train, val = split_blocked(rest, val_fraction, window + 1)
    p_bins, (order, alpha) = _choose_baselines(train, val, int(window), noise)
    rnn = RNNForecaster(window=window, cell=cell, hidden_size=hidden_size, noise=noise, max_epochs=max_epochs,
                        time_budget_s=time_budget_s, seed=seed).fit(train, val=val)
    models = {"rnn": rnn, "var": VARForecaster(order, alpha, noise).fit(np.concatenate([train, val])
                                                                         if train.shape[0] > 1 else rest),
              "persistence": PersistenceForecaster(p_bins, noise).fit()}
    mean = rest.reshape(-1, a.shape[2]).mean(0)
    horizons = np.arange(1, int(max_horizon) + 1)
    skill, mse = {}, {}
    for name, model in models.items():
        preds = horizon_predictions(model, test, horizons, int(window))
        skill[name] = np.array([score(*preds[h], noise, mean) for h in horizons])
        mse[name] = np.array([np.mean((preds[h][0] - preds[h][1]) ** 2) for h in horizons])
        mse_mean = float(np.mean((preds[1][1] - mean) ** 2))  # same targets at every horizon
    unit = 0 if a.shape[0] > 1 else 1
    hist = rnn.history_
    chosen = {"persistence_bins": int(p_bins), "var_order": int(order), "var_alpha": float(alpha),
              "rnn_epochs": hist.n_epochs, "rnn_best_epoch": hist.best_epoch, "rnn_train_s": round(hist.wall_s, 2)}
    return ForecastComparison(tuple(models), horizons, skill, mse, noise, chosen, train.shape[unit],
                              val.shape[unit], test.shape[unit], bin_size_s, mse_mean)
