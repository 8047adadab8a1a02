"""Run folders for ``neurodiscovery dynamics`` (forecast, jPCA, fixed points) and ``neurodiscovery circuit``."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._utils.errors import InputError
from .._utils.runfolder import RunFolder

METHODS = ("forecast", "jpca", "fixed-points")


@dataclass(frozen=True)
class TrialData:
    """Trials of a recording aligned to an event.

    Attributes
    ----------
    counts : ndarray, shape (trials, time, neurons)
    conditions : ndarray, shape (trials,)
    behavior : ndarray, shape (trials, time, features) or None
    t_s : ndarray, shape (time,)
        Bin centres relative to the event (s).
    bin_size_s : float
    """

    counts: np.ndarray
    conditions: np.ndarray
    behavior: np.ndarray | None
    t_s: np.ndarray
    bin_size_s: float


def trial_data(rec, *, event: str = "start_s", window_s=None, bin_size_s: float = 0.01,
               behaviors: list[str] | None = None) -> TrialData:
    """Align a recording's trials to ``event`` and sample named behaviours at the bin centres.

    ``window_s`` defaults to ``(0, shortest trial duration)``.
    """
    from ..data.binning import resample_behavior
    from ..data.trials import align_trials

    if rec.trials is None or len(rec.trials) == 0:
        raise InputError("this recording has no trial table; dynamics needs trials (trials, time, neurons)")
    if event not in ("start_s", "stop_s") and event not in rec.trials.columns:
        raise InputError(f"trial table has no event column {event!r}; available: start_s, stop_s, "
                         f"{', '.join(rec.trials.columns)}")
    if window_s is None:
        window_s = (0.0, float(np.min(rec.trials.stop_s - rec.trials.start_s)))
    cond_col = "condition" if "condition" in rec.trials.columns else None
    al = align_trials(rec, event=event, window_s=tuple(window_s), bin_size_s=bin_size_s, condition=cond_col)
    cond = al.conditions if al.conditions is not None else np.zeros(len(al.counts), int)
    beh = None
    if behaviors:
        parts = []
        for name in behaviors:
            ts = rec.behavior(name)
            t = (al.event_s[:, None] + al.t_s[None, :]).ravel()
            v = resample_behavior(ts, t, max_gap_s=max(4 * bin_size_s, 0.1))
            if np.isnan(v).any():
                raise InputError(f"behaviour {name!r} is missing (NaN) in {int(np.isnan(v).any(1).sum())} of "
                                 f"the {len(t)} aligned bins; choose a window inside its sampled span")
            parts.append(v.reshape(len(al.counts), len(al.t_s), -1))
        beh = np.concatenate(parts, -1)
    return TrialData(al.counts, np.asarray(cond), beh, al.t_s, float(bin_size_s))


def _fig(run, ax, stem):
    from .report import save_figure

    save_figure(ax.figure, run.figures, stem)


def _setup_mpl():
    import matplotlib

    matplotlib.use("Agg")


def run_dynamics(rec, method: str, *, out=None, event: str = "start_s", window_s=None, bin_size_s: float = 0.01,
                 smooth_s: float = 0.02, behaviors: list[str] | None = None, n_pcs: int = 6, window: int = 20,
                 max_horizon: int = 10, max_epochs: int = 60, checkpoint=None, seed: int = 0,
                 config: dict | None = None) -> tuple[Path, dict]:
    """Run one dynamics method on a recording's trials and write a run folder.

    Parameters
    ----------
    rec : Recording
    method : {"forecast", "jpca", "fixed-points"}
    out : path, optional
        Run folder (default ``runs/<timestamp>-dynamics``).
    event, window_s, bin_size_s : trial alignment.
    smooth_s : float
        Gaussian smoothing (s) of condition averages (jPCA) and of rates (fixed points).
    behaviors : list of str, optional
        jPCA: behaviours whose encoding is removed; fixed points: inputs of the fitted network.
    n_pcs : int
        jPCA dimensions.
    window, max_horizon : int
        Forecasting: history and horizon lengths in bins.
    max_epochs : int
        Training epochs at most (forecasters, rate network).
    checkpoint : path, optional
        Fixed points: a saved rate network (``circuit`` run folder's ``model/``) instead of fitting one.
    seed : int
        Seeds splits, initialisation and training.
    config : dict, optional
        Extra entries recorded in the run folder's ``config.json`` (e.g. the CLI's options).

    Returns
    -------
    (Path, dict) : the run folder and its metrics.
    """
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    data = trial_data(rec, event=event, window_s=window_s, bin_size_s=bin_size_s, behaviors=behaviors)
    _setup_mpl()
    with RunFolder("dynamics", out=out, config=dict(config or {}, method=method)) as run:
        if method == "jpca":
            metrics = _jpca(run, data, smooth_s, n_pcs, seed)
        elif method == "forecast":
            metrics = _forecast(run, data, window, max_horizon, max_epochs, seed)
        else:
            metrics = _fixed_points(run, data, smooth_s, checkpoint, max_epochs, seed)
        metrics = {"method": method, "n_trials": int(data.counts.shape[0]), "n_time_bins": int(data.counts.shape[1]),
                   "n_neurons": int(data.counts.shape[2]), "bin_size_s": data.bin_size_s, **metrics}
        run.write_metrics(metrics)
    return run.path, metrics


def _jpca(run, data: TrialData, smooth_s, n_pcs, seed) -> dict:
    from ..dynamics import condition_averages, jpca
    from ..dynamics.jpca import split_half_averages
    from ..dynamics.plotting import plot_jpca_plane

    avg, labels = condition_averages(data.counts / data.bin_size_s, data.conditions, data.bin_size_s, smooth_s)
    beh = None
    if data.behavior is not None:
        beh = condition_averages(data.behavior, data.conditions, data.bin_size_s, smooth_s)[0]
    halves = split_half_averages(data.counts / data.bin_size_s, data.conditions, data.bin_size_s, smooth_s, seed)
    res = jpca(avg, data.bin_size_s, n_pcs=n_pcs, transform="log", behavior=beh, halves=halves)
    np.savez_compressed(run.dir / "jpca.npz", planes=res.planes, frequencies_hz=res.frequencies_hz,
                        projections=res.projections, conditions=labels, t_s=data.t_s, m_skew=res.m_skew)
    for k in range(len(res.frequencies_hz)):
        _fig(run, plot_jpca_plane(res, k), f"jpca_plane{k + 1}")
    out = res.to_json()
    out.update({f"plane{k + 1}_frequency_hz": float(f) for k, f in enumerate(res.frequencies_hz)})
    out["n_conditions"] = len(labels)
    return out


def _forecast(run, data: TrialData, window, max_horizon, max_epochs, seed) -> dict:
    from ..dynamics import compare_forecasters
    from ..dynamics.plotting import plot_error_growth, plot_forecast_skill

    res = compare_forecasters(data.counts, noise="poisson", window=window, max_horizon=max_horizon,
                              max_epochs=max_epochs, bin_size_s=data.bin_size_s, seed=seed)
    _fig(run, plot_error_growth(res), "error_growth")
    _fig(run, plot_forecast_skill(res), "forecast_skill")
    np.savez_compressed(run.dir / "forecast.npz", horizons=res.horizons,
                        **{f"skill_{m}": res.skill[m] for m in res.models}, **{f"mse_{m}": res.mse[m] for m in res.models})
    return res.to_json(horizons=(1, max_horizon))


def _rates(data: TrialData, smooth_s: float, n_train: int) -> np.ndarray:
    """Smoothed rates z-scored with the training trials' statistics."""
    from scipy.ndimage import gaussian_filter1d

    r = data.counts / data.bin_size_s
    if smooth_s > 0:
        r = gaussian_filter1d(r, smooth_s / data.bin_size_s, axis=1, mode="nearest")
    flat = r[:n_train].reshape(-1, r.shape[2])
    return (r - flat.mean(0)) / (flat.std(0) + 1e-6)


def _fixed_points(run, data: TrialData, smooth_s, checkpoint, max_epochs, seed) -> dict:
    import torch

    from ..dynamics import (
        find_fixed_points,
        fit_circuit,
        load_circuit,
        save_circuit,
        split_trials,
    )
    from ..dynamics.plotting import plot_fixed_points

    tr, _, _ = split_trials(len(data.counts))
    y = _rates(data, smooth_s, len(tr))
    u = data.behavior
    n_in = 0 if u is None else u.shape[2]
    if checkpoint is not None:
        net, r2 = load_circuit(checkpoint, n_observed=y.shape[2], n_inputs=n_in), None
    else:
        fit = fit_circuit(y, u, model="low_rank", rank=min(4, y.shape[2]), max_epochs=max_epochs, seed=seed)
        save_circuit(fit, run.dir / "model")
        net = load_circuit(run.dir / "model")
        r2 = fit.r2_test
    net = net.double()
    u_mean = None if u is None else torch.as_tensor(u.reshape(-1, n_in).mean(0), dtype=torch.float64)[None]
    with torch.no_grad():
        states = net(torch.as_tensor(u if u is not None else np.zeros(y.shape[:2] + (0,)), dtype=torch.float64),
                     torch.as_tensor(y[:, 0], dtype=torch.float64) if not hasattr(net, "embed") else None).numpy()
    rng = np.random.default_rng(seed)
    flat = states.reshape(-1, states.shape[2])
    starts = flat[rng.choice(len(flat), min(128, len(flat)), replace=False)]
    starts = starts + 0.01 * flat.std() * rng.standard_normal(starts.shape)
    fp = find_fixed_points(lambda h: net.step(h, None if u_mean is None else u_mean.expand(len(h), -1)),
                           starts, n_iter=400)
    np.savez_compressed(run.dir / "fixed_points.npz", points=fp.points, speed=fp.speed,
                        kinds=np.array(fp.kinds, dtype="U8"), eigenvalues=fp.eigenvalues)
    _fig(run, plot_fixed_points(fp, states[:40]), "fixed_points")
    return {**fp.to_json(), "circuit_r2_test": r2, "input_held_at": "mean behaviour" if u is not None else "zero"}


def run_circuit(rec, *, out=None, event: str = "start_s", window_s=None, bin_size_s: float = 0.02,
                smooth_s: float = 0.05, inputs: list[str] | None = None, model: str = "low_rank", rank: int = 2,
                n_latent: int = 4, alpha: float = 0.2, max_epochs: int = 200, seed: int = 0,
                config: dict | None = None) -> tuple[Path, dict]:
    """Fit a rate network to a recording's trials and write a run folder with the checkpoint.

    The activity is the trials' smoothed rates, z-scored with the training trials' statistics;
    ``inputs`` name behaviours fed to the network as inputs. The last 20 % of trials are the
    test block; the held-out R² is on them, each run free from its first bin.

    Parameters
    ----------
    rec : Recording
        Recording with a trial table.
    out : path, optional
        Run folder (default ``runs/<timestamp>-circuit``).
    event : str
        Trial column of the alignment event (s).
    window_s : (float, float), optional
        Window around the event (s); default: the trials' own extent.
    bin_size_s : float
        Bin width (s).
    smooth_s : float
        Gaussian smoothing of the rates (s).
    inputs : list of str, optional
        Behaviours fed to the network as inputs.
    model : {"low_rank", "full_rank", "latent"}
        Rate network (see :func:`~neurodiscovery.dynamics.fit_circuit`).
    rank : int
        Rank of the connectivity for ``"low_rank"``.
    n_latent : int
        Latent units of ``"latent"``.
    alpha : float
        ``dt / tau`` of the Euler update (dimensionless).
    max_epochs : int
        Training epochs at most.
    seed : int
        Seeds splits, initialisation and training.
    config : dict, optional
        Extra entries recorded in the run folder's ``config.json`` (e.g. the CLI's options).

    Returns
    -------
    (Path, dict) : the run folder and its metrics.
    """
    from ..dynamics import fit_circuit, save_circuit, split_trials
    from ..dynamics.circuit import simulate_fit
    from ..dynamics.plotting import plot_connectivity

    data = trial_data(rec, event=event, window_s=window_s, bin_size_s=bin_size_s, behaviors=inputs)
    tr, _, te = split_trials(len(data.counts))
    y = _rates(data, smooth_s, len(tr))
    _setup_mpl()
    with RunFolder("circuit", out=out, config=dict(config or {})) as run:
        fit = fit_circuit(y, data.behavior, model=model, rank=rank, n_latent=n_latent, alpha=alpha,
                          max_epochs=max_epochs, seed=seed)
        save_circuit(fit, run.dir / "model")
        np.savez_compressed(run.dir / "circuit.npz", connectivity=fit.connectivity, input_weights=fit.input_weights,
                            column_space=fit.column_space,
                            **({"embedding": fit.embedding} if fit.embedding is not None else {}))
        _fig(run, plot_connectivity(fit.connectivity), "connectivity")
        _fig(run, _plot_heldout(y[te], simulate_fit(_net(fit), y[te], _inputs(data, te))), "heldout_fit")
        metrics = {**fit.to_json(), "n_trials": len(y), "n_neurons": int(y.shape[2]),
                   "inputs": list(inputs or []), "identifiability": "connectivity is not identifiable from "
                   "activity alone; column_space (circuit.npz) and input_weights are the constrained parts"}
        run.write_metrics(metrics)
    return run.path, metrics


def _inputs(data: TrialData, idx):
    if data.behavior is None:
        return np.zeros((len(idx), data.counts.shape[1], 0))
    return data.behavior[idx]


def _net(fit):
    from ..dynamics.rnn import build_rate_rnn

    net = build_rate_rnn(fit.config)
    net.load_state_dict(fit.state_dict)
    return net.eval()


def _plot_heldout(y, pred):
    import matplotlib.pyplot as plt

    flat = y.reshape(-1, y.shape[2])
    mu = flat.mean(0)
    basis = np.linalg.svd(flat - mu, full_matrices=False)[2][:2].T
    _, ax = plt.subplots(figsize=(4.5, 4))
    for k in range(min(6, len(y))):
        a, b = (y[k] - mu) @ basis, (pred[k] - mu) @ basis
        line, = ax.plot(a[:, 0], a[:, 1], lw=1.2)
        ax.plot(b[:, 0], b[:, 1], "--", color=line.get_color(), lw=1.2)
    ax.set_xlabel("PC1")
    ax.set_ylabel("PC2")
    ax.set_title("held-out trials: recorded (solid) vs model (dashed)")
    return ax
