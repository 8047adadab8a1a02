"""Neural population dynamics: forecasting, jPCA, fixed points and circuit inference.

- :func:`compare_forecasters` / :class:`RNNForecaster`, :class:`VARForecaster`,
  :class:`PersistenceForecaster`: next-bin and free-running k-step forecasts.
- :func:`jpca`: rotational planes, frequencies and the rotational fraction of the dynamics.
- :func:`find_fixed_points`: fixed and slow points of a recurrent map, classified by the Jacobian.
- :func:`fit_circuit`: full-rank, low-rank and latent-circuit rate networks fitted by BPTT.
  Connectivity is not identifiable from activity alone; see :mod:`.circuit`.

torch is imported only inside the functions that train or run networks.
"""
from __future__ import annotations

from .circuit import (
           MODELS,
           CircuitFit,
           fit_circuit,
           load_circuit,
           save_circuit,
           select_latent_dim,
           split_trials,
)
from .fit_quality import MIN_FIT_R2, fit_quality
from .fixed_points import FixedPoints, find_fixed_points
from .forecast import (
           PersistenceForecaster,
           RNNForecaster,
           VARForecaster,
           make_windows,
           poisson_log_likelihood,
)
from .forecast_compare import ForecastComparison, compare_forecasters
from .jpca import (
           JPCAResult,
           condition_averages,
           jpca,
           jpca_from_trials,
           largest_principal_angle_deg,
           split_half_averages,
)
from .summary import DynamicsSummary, summarize_dynamics
from .tasks import train_task_rnn

__all__ = ["MIN_FIT_R2", "MODELS", "CircuitFit", "DynamicsSummary", "FixedPoints", "ForecastComparison", "JPCAResult",
           "PersistenceForecaster", "RNNForecaster", "VARForecaster", "compare_forecasters",
           "condition_averages", "find_fixed_points", "fit_circuit", "fit_quality", "jpca", "jpca_from_trials",
           "largest_principal_angle_deg", "load_circuit", "make_windows", "poisson_log_likelihood",
           "save_circuit", "select_latent_dim", "split_half_averages", "split_trials", "summarize_dynamics",
           "train_task_rnn"]
