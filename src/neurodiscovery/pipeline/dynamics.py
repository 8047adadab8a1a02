"""Run folders for ``neurodiscovery dynamics`` (forecast, jPCA, fixed points); ``circuit`` is in :mod:`.circuit`."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._utils.errors import InputError
from .._utils.runfolder import RunFolder
from .command import figure_context, legacy_metrics

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
    event: str = "start_s"
    window_s: tuple = (0.0, 0.0)


def trial_data(rec, *, event: str | None = None, window_s=None, bin_size_s: float = 0.01,
               behaviors: list[str] | None = None) -> TrialData:
    """Align a recording's trials to ``event`` and sample named behaviours at the bin centres.

    ``event`` defaults to the movement onset the trial table declares (``go_s``,
    ``move_onset_time``, ...; see :func:`~neurodiscovery.data.trials.movement_event`), else trial
    start. ``window_s`` defaults to ``(0, shortest time from the event to its trial's end)``; a
    window that reaches into a neighbouring trial is refused.
    """
    from ..data.binning import resample_behavior
    from ..data.trials import align_trials, check_window_in_trials, movement_event

    if rec.trials is None or len(rec.trials) == 0:
        raise InputError("this recording has no trial table; dynamics needs trials (trials, time, neurons)")
    if event is None:
        event = movement_event(rec.trials) or "start_s"
    if event not in ("start_s", "stop_s") and event not in rec.trials.columns:
        raise InputError(f"trial table has no event column {event!r}; available: start_s, stop_s, "
                         f"{', '.join(rec.trials.columns)}")
    if window_s is None:
        window_s = (0.0, float(np.min(rec.trials.stop_s - np.asarray(rec.trials.column(event), float))))
        if not window_s[1] > 0:
            raise InputError(f"event {event!r} falls at or after the end of some trial; pass --window START,STOP")
    check_window_in_trials(rec.trials, event, window_s)
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
    return TrialData(al.counts, np.asarray(cond), beh, al.t_s, float(bin_size_s), event,
                     (float(window_s[0]), float(window_s[1])))


def _fig(run, ax, stem):
    from .report import save_figure

    save_figure(ax.figure, run.figures, stem)


@figure_context()
def run_dynamics(rec, method: str, *, out=None, event: str | None = None, window_s=None, bin_size_s: float = 0.01,
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
    event, window_s, bin_size_s : trial alignment (see :func:`trial_data`: the default event is the
        declared movement onset, else trial start).
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
    with RunFolder("dynamics", out=out, config=dict(config or {}, method=method)) as run:
        if method == "jpca":
            metrics = _jpca(run, data, smooth_s, n_pcs, seed)
        elif method == "forecast":
            metrics = _forecast(run, data, window, max_horizon, max_epochs, seed)
        else:
            metrics = _fixed_points(run, data, smooth_s, checkpoint, max_epochs, seed)
        metrics = {"method": method, "n_trials": int(data.counts.shape[0]), "n_time_bins": int(data.counts.shape[1]),
                   "n_neurons": int(data.counts.shape[2]), "bin_size_s": data.bin_size_s,
                   "aligned_on": data.event, "window_s": list(data.window_s), **metrics}
        metrics = legacy_metrics("dynamics", metrics, _key_numbers(method, metrics))
        run.write_metrics(metrics)
        if method == "fixed-points":
            _fixed_points_report(run, metrics, checkpoint)
    return run.path, metrics


def _key_numbers(method: str, m: dict) -> list:
    """Typed key numbers of a ``dynamics`` run (from its metrics)."""
    from .._utils.quantity import count, number_of, quantity

    out = [number_of("trials", m["n_trials"], "trials")]
    if method == "jpca":
        out += [quantity("jPCA plane 1 rotation frequency", m["frequencies_hz"][0] if m["frequencies_hz"] else None,
                         "Hz"),
                quantity("jPCA rotation fraction (R² of the rotation / R² of the linear fit)",
                         m["rotation_fraction"], "1"),
                quantity(f"jPCA window start after {m['aligned_on']}", m["window_s"][0], "s"),
                quantity(f"jPCA window stop after {m['aligned_on']}", m["window_s"][1], "s")]
    elif method == "forecast":
        unit = "bits/spike" if m["metric"] == "bits_per_spike" else "1"
        for model in ("rnn", "var", "persistence"):
            if isinstance(m.get(model), dict) and f"{m['metric']}_h1" in m[model]:
                out.append(quantity(f"forecast skill 1 bin ahead ({model}, held-out trials)",
                                    m[model][f"{m['metric']}_h1"], unit))
    else:
        stable = m.get("n_stable", 0)
        out.append(count("stable fixed points", stable, m["n_points"], "fixed points"))
        if m.get("circuit_r2_test") is not None:
            out.append(quantity("held-out R² of the fitted circuit", m["circuit_r2_test"], "1",
                                note=f"warning: {m['fit_warning']}" if m.get("fit_warning") else None))
    return out


def _jpca(run, data: TrialData, smooth_s, n_pcs, seed) -> dict:
    from ..dynamics import jpca_from_trials
    from ..dynamics.plotting import plot_jpca_plane

    res, labels = jpca_from_trials(data.counts, data.conditions, data.bin_size_s, smooth_s=smooth_s,
                                   behavior=data.behavior, n_pcs=n_pcs, seed=seed)
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
    from ..dynamics import find_fixed_points, fit_circuit, load_circuit, save_circuit, split_trials
    from ..dynamics.circuit import score_network
    from ..dynamics.plotting import plot_fixed_points
    from .network_report import fit_quality_entries

    tr, _, te = split_trials(len(data.counts))
    y = _rates(data, smooth_s, len(tr))
    u = data.behavior if data.behavior is not None else np.zeros(y.shape[:2] + (0,))
    if checkpoint is not None:
        net = load_circuit(checkpoint, n_observed=y.shape[2], n_inputs=u.shape[2])
        # the loaded network's fit on this recording's test block (the block circuit also tests on)
        r2 = score_network(net, y[te], u[te])
    else:
        fit = fit_circuit(y, data.behavior, model="low_rank", rank=min(4, y.shape[2]), max_epochs=max_epochs,
                          seed=seed)
        save_circuit(fit, run.dir / "model")
        net, r2 = load_circuit(run.dir / "model"), fit.r2_test
    fp, states = _find_points(net.double(), y, u, seed, find_fixed_points)
    np.savez_compressed(run.dir / "fixed_points.npz", points=fp.points, speed=fp.speed,
                        kinds=np.array(fp.kinds, dtype="U8"), eigenvalues=fp.eigenvalues)
    _fig(run, plot_fixed_points(fp, states[:40]), "fixed_points")
    return {**fp.to_json(), "circuit_r2_test": r2, **fit_quality_entries(r2, "fixed points"),
            "input_held_at": "mean behaviour" if u.shape[2] else "zero"}


def _fixed_points_report(run, metrics: dict, checkpoint) -> None:
    from .._utils.quantity import count
    from .network_report import write_network_report

    n = metrics["n_points"]
    key = [count(f"{kind} fixed points", metrics[f"n_{kind}"], n, "points found") for kind in ("stable", "saddle")
           if f"n_{kind}" in metrics]
    src = f"the saved network {checkpoint}" if checkpoint is not None else "a low-rank rate network fitted here"
    text = [f"Fixed points of {src}, searched from {min(128, metrics['n_trials'] * metrics['n_time_bins'])} "
            f"states of its own trajectories, inputs held at {metrics['input_held_at']}; {n} distinct points."]
    write_network_report(run, "Fixed points", metrics, key, text,
                         [("fixed_points", "Fixed points over the network's trajectories (first 40 trials).")])


def _find_points(net, y, u, seed, find_fixed_points):
    """Fixed points of ``net`` searched from perturbed states of its own trajectories."""
    import torch

    n_in = u.shape[2]
    u_mean = torch.as_tensor(u.reshape(-1, n_in).mean(0), dtype=torch.float64)[None] if n_in else None
    with torch.no_grad():
        states = net(torch.as_tensor(u, dtype=torch.float64),
                     torch.as_tensor(y[:, 0], dtype=torch.float64) if not hasattr(net, "embed") else None).numpy()
    rng = np.random.default_rng(seed)
    flat = states.reshape(-1, states.shape[2])
    starts = flat[rng.choice(len(flat), min(128, len(flat)), replace=False)]
    starts = starts + 0.01 * flat.std() * rng.standard_normal(starts.shape)
    fp = find_fixed_points(lambda h: net.step(h, None if u_mean is None else u_mean.expand(len(h), -1)),
                           starts, n_iter=400)
    return fp, states
