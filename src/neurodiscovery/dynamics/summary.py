"""The computation behind a report's dynamics section: jPCA planes and forecasting skill on trials."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._utils.errors import InputError
from .forecast_compare import ForecastComparison, compare_forecasters
from .jpca import JPCAResult, jpca_from_trials


@dataclass(frozen=True)
class DynamicsSummary:
    """jPCA on condition averages and forecasting skill against persistence/VAR.

    Attributes
    ----------
    jpca : JPCAResult or None
    forecast : ForecastComparison or None
    skipped : dict of str to str
        Why a part was skipped (too few conditions, trials too short, ...).
    """

    jpca: JPCAResult | None
    forecast: ForecastComparison | None
    skipped: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        """JSON-ready jPCA and forecasting summaries (None where skipped)."""
        return {"jpca": None if self.jpca is None else self.jpca.to_json(),
                "forecast": None if self.forecast is None else self.forecast.to_json(), "skipped": self.skipped}


def summarize_dynamics(counts, conditions, bin_size_s: float, *, smooth_s: float = 0.03, behavior=None,
                       n_pcs: int = 6, forecast_window: int = 10, max_horizon: int = 10,
                       forecast_epochs: int = 30, time_budget_s: float | None = 60.0, seed: int = 0
                       ) -> DynamicsSummary:
    """jPCA on condition-averaged rates and a held-out forecasting comparison, each skipped with a reason
    when the trials cannot support it.

    Parameters
    ----------
    counts : array_like, shape (trials, time, neurons)
        Spike counts aligned to an event.
    conditions : array_like, shape (trials,)
    bin_size_s : float
    smooth_s : float
        Gaussian smoothing (s) of the condition averages.
    behavior : array_like, shape (trials, time, features), optional
        Behaviour whose instantaneous encoding is removed before jPCA.
    n_pcs : int
        jPCA dimensions.
    forecast_window, max_horizon : int
        Forecasting history and horizon, in bins.
    forecast_epochs : int
        Training epochs of the RNN forecaster.
    time_budget_s : float, optional
        Wall-time budget of the forecaster training (s).
    seed : int
    """
    skipped, jp, fc = {}, None, None
    counts = np.asarray(counts, float)
    try:
        jp, _ = jpca_from_trials(counts, conditions, bin_size_s, smooth_s=smooth_s, behavior=behavior,
                                 n_pcs=n_pcs, seed=seed)
    except InputError as exc:
        skipped["jpca"] = str(exc)
    try:
        fc = compare_forecasters(counts, noise="poisson", window=forecast_window, max_horizon=max_horizon,
                                 max_epochs=forecast_epochs, time_budget_s=time_budget_s, bin_size_s=bin_size_s,
                                 seed=seed)
    except InputError as exc:
        skipped["forecast"] = str(exc)
    return DynamicsSummary(jp, fc, skipped)
