"""``dynamics``: population dynamics of a recording's trials (forecast, jPCA, fixed points), as a :class:`~.command.Command`.

``execute("dynamics", DynamicsParams(method="jpca"), inputs=recording)`` is the CLI's path;
:func:`run_dynamics` is the keyword form kept for existing callers. The methods live in
:mod:`.dynamics_methods`; ``circuit`` is in :mod:`.circuit`. Trials come as one :class:`~neurodiscovery.data.AlignedTrials` from
:func:`neurodiscovery.data.trial_tensor` (windows kept inside their trials), as in ``circuit`` and ``analyze``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._utils.errors import InputError
from .._utils.params import Params, option
from ..data.trial_tensor import trial_tensor
from ..data.trials import AlignedTrials
from .command import Command, execute

__all__ = ["COMMAND", "METHODS", "DynamicsParams", "DynamicsResult", "run_dynamics"]

METHODS = ("forecast", "jpca", "fixed-points")


def _rates(data: AlignedTrials, smooth_s: float, n_train: int) -> np.ndarray:
    """Smoothed rates z-scored with the training trials' statistics."""
    from scipy.ndimage import gaussian_filter1d

    r = data.counts / data.bin_size_s
    if smooth_s > 0:
        r = gaussian_filter1d(r, smooth_s / data.bin_size_s, axis=1, mode="nearest")
    flat = r[:n_train].reshape(-1, r.shape[2])
    return (r - flat.mean(0)) / (flat.std(0) + 1e-6)


def check_window(window_s) -> None:
    """InputError unless ``window_s`` is None or ``(start, stop)`` with ``start < stop`` (s).

    Parameters
    ----------
    window_s : sequence of float or None
    """
    if window_s is not None and (len(window_s) != 2 or not window_s[0] < window_s[1]):
        raise InputError(f"window_s (--window) must be START,STOP in seconds relative to the event with START < "
                         f"STOP, got {','.join(f'{v:g}' for v in window_s) or 'nothing'}")


_FILE_HELP = ("NWB or NPZ recording with a trial table ('builtin:reaching' for the built-in reaching session; "
              "default: the built-in head-direction recording, which has none)")
_WINDOW_HELP = "START,STOP around the event, within the trial and its gaps"


def event_option():
    """The ``--event`` option of the trial commands (dynamics, circuit): one declaration for both."""
    return option(None, "trial-table column to align to (default: the movement onset the trial table declares, "
                  "e.g. go_s, else start_s)", show_default=False)


def window_option():
    """The ``--window`` option of the trial commands (dynamics, circuit): one declaration for both."""
    return option(None, _WINDOW_HELP + " (default: 0 to the shortest event-to-trial-end time)", unit="s",
                  flag="--window", show_default=False)


@dataclass(frozen=True)
class DynamicsParams(Params):
    """Parameters of ``dynamics`` (the CLI options are generated from these declarations)."""

    method: str = option(help="forecast: GRU vs persistence/VAR; jpca: rotational planes; fixed-points: of a "
                         "fitted rate network", choices=METHODS)
    file: str | None = option(None, _FILE_HELP, positional=True, show_default=False)
    event: str | None = event_option()
    window_s: tuple[float, ...] | None = window_option()
    bin_size_s: float = option(0.01, "bin width", unit="s", low=0, low_open=True, flag="--bin-size")
    smooth_s: float = option(0.02, "Gaussian smoothing SD of condition averages (jpca) and rates (fixed points)",
                             unit="s", low=0, flag="--smooth")
    behaviors: tuple[str, ...] | None = option(None, "behaviours: jPCA removes their encoding; fixed points use "
                                               "them as inputs", show_default=False)
    n_pcs: int = option(6, "jPCA dimensions (even)", low=2)
    history_bins: int = option(20, "forecasting history window in bins", low=1, flag="--history")
    horizon_bins: int = option(10, "longest forecast horizon in bins", low=1, flag="--horizon")
    max_epochs: int = option(60, "network training epochs (forecasters, rate network)", low=1)
    checkpoint: str | None = option(None, "fixed points: a saved rate network (a circuit run's model/) instead of "
                                    "fitting one")
    seed: int = option(0, "seeds splits, initialisation and training", low=0)
    n_threads: int = option(1, "torch and BLAS threads", low=1, flag="--threads")

    def __post_init__(self) -> None:
        super().__post_init__()
        check_window(self.window_s)


@dataclass(frozen=True)
class DynamicsResult:
    """Typed result of ``dynamics``.

    Attributes
    ----------
    params : DynamicsParams
    data : AlignedTrials
        The aligned trials.
    metrics : dict
        The run's own ``metrics.json`` keys (see :func:`metrics_properties`).
    payload : dict
        The method's objects: ``jpca`` and ``labels``; ``forecast``; or ``fixed_points``, ``states``
        and ``fit`` (the network fitted here, None with a checkpoint).
    """

    params: DynamicsParams
    data: AlignedTrials
    metrics: dict
    payload: dict

    @property
    def method(self) -> str:
        """The method run."""
        return self.params.method

    def key_numbers(self) -> list:
        """Trials and the method's headline numbers (the network's held-out R² first for fixed points)."""
        from .._utils.quantity import count, number_of, quantity
        from .network_report import fit_quantity

        m = self.metrics
        out = [number_of("trials", m["n_trials"], "trials")]
        if self.method == "jpca":
            f = m["frequencies_hz"]
            out += [quantity("jPCA plane 1 rotation frequency", f[0] if f else None, "Hz"),
                    quantity("jPCA rotation fraction (R² of the rotation / R² of the linear fit)",
                             m["rotation_fraction"], "1"),
                    quantity(f"jPCA window start after {m['aligned_on']}", m["window_s"][0], "s"),
                    quantity(f"jPCA window stop after {m['aligned_on']}", m["window_s"][1], "s")]
        elif self.method == "forecast":
            unit = "bits/spike" if m["metric"] == "bits_per_spike" else "1"
            out += [quantity(f"forecast skill 1 bin ahead ({model}, held-out trials)", m[model][f"{m['metric']}_h1"],
                             unit) for model in ("rnn", "var", "persistence")
                    if isinstance(m.get(model), dict) and f"{m['metric']}_h1" in m[model]]
        else:
            out.insert(0, fit_quantity(m))
            out += [count(f"{kind} fixed points", m[f"n_{kind}"], m["n_points"], "fixed points")
                    for kind in ("stable", "saddle") if f"n_{kind}" in m]
        return out

    def to_metrics(self) -> dict:
        """The run's own keys (see :func:`metrics_properties`)."""
        return dict(self.metrics)


def _load(params):
    from ._cli_inputs import load_recording

    return load_recording(params.file)


def compute(params: DynamicsParams, rec) -> DynamicsResult:
    """Align ``rec``'s trials and run ``params.method`` on them (no files, no figures)."""
    from . import dynamics_methods as dm

    data = trial_tensor(rec, event=params.event, window_s=params.window_s, bin_size_s=params.bin_size_s,
                      behaviors=None if params.behaviors is None else list(params.behaviors))
    if params.method == "jpca":
        metrics, payload = dm.compute_jpca(data, params.smooth_s, params.n_pcs, params.seed)
    elif params.method == "forecast":
        metrics, payload = dm.compute_forecast(data, params.history_bins, params.horizon_bins, params.max_epochs,
                                               params.seed)
    else:
        from ..dynamics import split_trials

        tr, _, te = split_trials(len(data.counts))
        metrics, payload = dm.compute_fixed_points(data, _rates(data, params.smooth_s, len(tr)), te,
                                                   params.checkpoint, params.max_epochs, params.seed)
    metrics = {"method": params.method, "n_trials": int(data.counts.shape[0]),
               "n_time_bins": int(data.counts.shape[1]), "n_neurons": int(data.counts.shape[2]),
               "bin_size_s": data.bin_size_s, "aligned_on": data.event, "window_s": list(data.window_s), **metrics}
    return DynamicsResult(params, data, metrics, payload)


def _line(run) -> str:
    from ._lines import key_line

    return key_line(run, f"dynamics {run.result.params.method}", n=5)


def _metrics_properties() -> dict:
    from .dynamics_methods import metrics_properties

    return metrics_properties()


def _render(result, figures):
    from .dynamics_methods import render_method

    return render_method(result, figures)


def _write(result, folder):
    from .dynamics_methods import write_files

    write_files(result, folder)


COMMAND = Command(
    "dynamics", "population dynamics of a recording's trials: forecasting skill vs persistence/VAR, jPCA rotational "
    "planes (frequencies in Hz), or fixed points of a fitted rate network", DynamicsParams, compute, _render,
    _metrics_properties, load=_load, write=_write, line=_line,
    title=lambda p, r: {"jpca": "Rotational dynamics (jPCA)", "forecast": "Forecasting skill"}.get(p.method,
                                                                                                 "Fixed points"),
    uses_torch=lambda p: p.method != "jpca", schema_version=2,
    metrics_required=("method", "n_trials", "n_time_bins", "n_neurons", "bin_size_s", "aligned_on", "window_s"))


def run_dynamics(rec, method: str, *, out=None, window: int | None = None, max_horizon: int | None = None,
                 config: dict | None = None, **params) -> tuple[Path, dict]:
    """Run one dynamics method on a recording's trials and write a run folder.

    Parameters
    ----------
    rec : Recording
    method : {"forecast", "jpca", "fixed-points"}
    out : path, optional
        Run folder (default ``runs/<UTC>-dynamics``).
    window, max_horizon : int, optional
        Forecasting history and horizon in bins (``history_bins``, ``horizon_bins`` of
        :class:`DynamicsParams`).
    config : dict, optional
        Extra entries recorded in ``config.json``.
    **params
        Any other field of :class:`DynamicsParams` (``event``, ``window_s``, ``bin_size_s``,
        ``smooth_s``, ``behaviors``, ``n_pcs``, ``max_epochs``, ``checkpoint``, ``seed``).

    Returns
    -------
    (Path, dict) : the run folder and its metrics.
    """
    if window is not None:
        params["history_bins"] = window
    if max_horizon is not None:
        params["horizon_bins"] = max_horizon
    run = execute(COMMAND, DynamicsParams(method=method, **params), inputs=rec, out=out, config=config)
    return run.path, run.metrics
