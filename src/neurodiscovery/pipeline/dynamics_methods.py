"""The three methods of ``dynamics`` (jPCA, forecasting, fixed points): compute, report section, files.

Each ``compute_*`` is pure (no files, no figures) and returns ``(metrics, payload)``; the
section functions (:func:`render_method`) draw the figures through the run's figure writer; :func:`write_files`
saves the arrays (and a fitted network) into the run folder.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .._utils.metrics_schema import array, integer, number, obj, text
from .report import Section

__all__ = ["compute_fixed_points", "compute_forecast", "compute_jpca", "fit_quality_properties", "fitted_network",
           "metrics_properties", "render_method", "write_files"]


def compute_jpca(data, smooth_s: float, n_pcs: int, seed: int) -> tuple[dict, dict]:
    """jPCA of the trials' condition averages: metrics and ``{"jpca", "labels"}``."""
    from ..dynamics import jpca_from_trials

    res, labels = jpca_from_trials(data.counts, data.conditions, data.bin_size_s, smooth_s=smooth_s,
                                   behavior=data.behavior, n_pcs=n_pcs, seed=seed)
    out = res.to_json()
    out.update({f"plane{k + 1}_frequency_hz": float(f) for k, f in enumerate(res.frequencies_hz)})
    out["n_conditions"] = len(labels)
    return out, {"jpca": res, "labels": labels}


def compute_forecast(data, history_bins: int, horizon_bins: int, max_epochs: int, seed: int) -> tuple[dict, dict]:
    """GRU forecasts against persistence and ridge VAR: metrics and ``{"forecast"}``."""
    from ..dynamics import compare_forecasters

    res = compare_forecasters(data.counts, noise="poisson", window=history_bins, max_horizon=horizon_bins,
                              max_epochs=max_epochs, bin_size_s=data.bin_size_s, seed=seed)
    return res.to_json(horizons=(1, horizon_bins)), {"forecast": res}


def fitted_network(fit):
    """The torch module of a fitted network (eval mode; what ``load_circuit`` rebuilds from its checkpoint).

    Parameters
    ----------
    fit : CircuitFit
    """
    from ..dynamics.rnn import build_rate_rnn

    net = build_rate_rnn(fit.config)
    net.load_state_dict(fit.state_dict)
    return net.eval()


def compute_fixed_points(data, y: np.ndarray, te: np.ndarray, checkpoint, max_epochs: int,
                         seed: int) -> tuple[dict, dict]:
    """Fixed points of a rate network (loaded from ``checkpoint`` or fitted to ``y``): metrics and payload.

    ``y`` are the trials' z-scored rates ``(trials, time, neurons)``; ``te`` the test trials the
    loaded network is scored on (the block ``circuit`` tests on).
    """
    from ..dynamics import find_fixed_points, fit_circuit, load_circuit
    from ..dynamics.circuit import score_network
    from .network_report import fit_quality_entries

    u = data.behavior if data.behavior is not None else np.zeros(y.shape[:2] + (0,))
    fit = None
    if checkpoint is not None:
        net = load_circuit(checkpoint, n_observed=y.shape[2], n_inputs=u.shape[2])
        r2 = score_network(net, y[te], u[te])
    else:
        fit = fit_circuit(y, data.behavior, model="low_rank", rank=min(4, y.shape[2]), max_epochs=max_epochs,
                          seed=seed)
        net, r2 = fitted_network(fit), fit.r2_test
    fp, states = _find_points(net.double(), y, u, seed, find_fixed_points)
    metrics = {**fp.to_json(), "circuit_r2_test": r2, **fit_quality_entries(r2, "fixed points"),
               "input_held_at": "mean behaviour" if u.shape[2] else "zero"}
    return metrics, {"fixed_points": fp, "states": states, "fit": fit}


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


def render_method(result, figures) -> list:
    """The report section of a ``dynamics`` result.

    Parameters
    ----------
    result : DynamicsResult
    figures : FigureWriter
    """
    m, p = result.metrics, result.payload
    if result.method == "jpca":
        return [_jpca_section(m, p, figures)]
    if result.method == "forecast":
        return [_forecast_section(m, p, figures)]
    return [_fixed_points_section(m, p, result.params.checkpoint, figures)]


def _jpca_section(m: dict, p: dict, figures) -> Section:
    from ..dynamics.plotting import plot_jpca_plane

    res = p["jpca"]
    figs = [figures.save(plot_jpca_plane(res, k).figure, f"jpca_plane{k + 1}",
                         f"Condition-averaged trajectories in jPCA plane {k + 1} "
                         f"({res.frequencies_hz[k]:.2f} Hz).") for k in range(len(res.frequencies_hz))]
    rows = [{"plane": k + 1, "frequency (Hz)": float(f), "R² of the plane": float(r)}
            for k, (f, r) in enumerate(zip(res.frequencies_hz, res.plane_r2))]
    text = [f"jPCA of {m['n_conditions']} condition averages of {m['n_trials']} trials × {m['n_neurons']} neurons "
            f"({m['bin_size_s']:g} s bins), aligned on {m['aligned_on']}, window {m['window_s'][0]:.3g} to "
            f"{m['window_s'][1]:.3g} s; {m['n_pcs']} PCs explain {m['variance_explained']:.3g} of the variance; the "
            f"rotation (skew-symmetric) fit reaches R² {m['r2_skew']:.3g} against {m['r2_best']:.3g} of the "
            "unconstrained linear fit."]
    return Section("jpca", "Rotational dynamics (jPCA)", text, figs, [("jPCA planes", rows)])


def _forecast_section(m: dict, p: dict, figures) -> Section:
    from ..dynamics.plotting import plot_error_growth, plot_forecast_skill

    res = p["forecast"]
    figs = [figures.save(plot_error_growth(res).figure, "error_growth", "Forecast error against the horizon, "
                                                                       "same test bins at every horizon."),
            figures.save(plot_forecast_skill(res).figure, "forecast_skill", "Held-out forecasting skill of each "
                                                                            "model against the horizon.")]
    rows = [{"model": k, **m[k]} for k in res.models if isinstance(m.get(k), dict)]
    text = [f"Forecasts of {m['n_test']} held-out trials ({m['n_train']} training, {m['n_val']} validation trials "
            f"choose the baselines' settings); skill in {m['metric'].replace('_', ' ')} at 1 bin and at the longest "
            "horizon."]
    return Section("forecast", "Forecasting skill", text, figs, [("Held-out skill", rows)])


def _fixed_points_section(m: dict, p: dict, checkpoint, figures) -> Section:
    from ..dynamics.plotting import plot_fixed_points
    from .network_report import network_section

    src = f"the saved network {checkpoint}" if checkpoint is not None else "a low-rank rate network fitted here"
    text = [f"Fixed points of {src}, searched from {min(128, m['n_trials'] * m['n_time_bins'])} states of its own "
            f"trajectories, inputs held at {m['input_held_at']}; {m['n_points']} distinct points."]
    fig = figures.save(plot_fixed_points(p["fixed_points"], p["states"][:40]).figure, "fixed_points",
                       "Fixed points over the network's trajectories (first 40 trials).")
    return network_section("Fixed points", m, text, [fig])


def write_files(result, folder: Path) -> None:
    """``jpca.npz``, ``forecast.npz`` or ``fixed_points.npz`` (and ``model/`` of a network fitted here).

    Parameters
    ----------
    result : DynamicsResult
    folder : Path
        The run folder.
    """
    folder, p = Path(folder), result.payload
    if result.method == "jpca":
        res = p["jpca"]
        np.savez_compressed(folder / "jpca.npz", planes=res.planes, frequencies_hz=res.frequencies_hz,
                            projections=res.projections, conditions=p["labels"], t_s=result.data.t_s,
                            m_skew=res.m_skew)
    elif result.method == "forecast":
        res = p["forecast"]
        np.savez_compressed(folder / "forecast.npz", horizons=res.horizons,
                            **{f"skill_{m}": res.skill[m] for m in res.models},
                            **{f"mse_{m}": res.mse[m] for m in res.models})
    else:
        from ..dynamics import save_circuit

        fp = p["fixed_points"]
        if p["fit"] is not None:
            save_circuit(p["fit"], folder / "model")
        np.savez_compressed(folder / "fixed_points.npz", points=fp.points, speed=fp.speed,
                            kinds=np.array(fp.kinds, dtype="U8"), eigenvalues=fp.eigenvalues)


def fit_quality_properties() -> dict:
    """Declared ``metrics.json`` keys of a network's fit quality (``circuit``, fixed points)."""
    from .._utils.metrics_schema import quantity_field

    return {"fit_r2_test": quantity_field("held-out R² of the network the claims are read off"),
            "fit_r2_threshold": number("1", "held-out R² below which the run warns (dynamics.MIN_FIT_R2)"),
            "fit_warning": text("why the network's claims are weak; null when the fit reaches the threshold")}


def metrics_properties() -> dict:
    """Declared top-level keys of ``dynamics``' ``metrics.json`` (common keys, then each method's)."""
    n = integer
    skill = {"type": "object", "description": "held-out skill at horizon k bins",
             "patternProperties": {"^bits_per_spike_h[0-9]+$": number("bits/spike"), "^r2_h[0-9]+$": number("1")},
             "additionalProperties": False}
    common = {"method": {"enum": ["forecast", "jpca", "fixed-points"]}, "n_trials": n("1", "trials"),
              "n_time_bins": n("1", "time bins per trial"), "n_neurons": n("1", "neurons"),
              "bin_size_s": number("s", "bin width"), "aligned_on": text("trial-table event the trials are aligned to"),
              "window_s": array(number("s", "window start / stop relative to the event"))}
    jpca = {"frequencies_hz": array(number("Hz")), "plane_r2": array(number("1")), "r2_skew": number("1"),
            "r2_best": number("1"), "rotation_fraction": number("1"), "variance_explained": number("1"),
            "n_pcs": n("1", "PCs"), "n_conditions": n("1", "conditions"), "plane1_frequency_hz": number("Hz")}
    forecast = {"metric": {"enum": ["bits_per_spike", "r2"]}, "noise": text(), "n_train": n("1", "trials"),
                "n_val": n("1", "trials"), "n_test": n("1", "trials"),
                "chosen": obj({"persistence_bins": n("1", "bins"), "var_order": n("1", "lags"),
                               "var_alpha": number("1", "ridge penalty"), "rnn_epochs": n("1", "epochs"),
                               "rnn_best_epoch": n("1", "epoch", nullable=True), "rnn_train_s": number("s")},
                              required=()),
                "rnn": skill, "var": skill, "persistence": skill}
    fixed = {"n_points": n("1", "fixed points"), **{f"n_{k}": n("1", f"{k} points") for k in
                                                     ("stable", "saddle", "unstable", "marginal", "slow")},
             "max_speed_fixed": number("1/step", "largest |F(h) - h| of a non-slow point (network state units)"),
             "circuit_r2_test": number("1", "held-out R² of the network on the test trials"),
             "input_held_at": text(), **fit_quality_properties()}
    # the frequency of every jPCA plane is also written as plane<k>_frequency_hz
    return {**common, **jpca, **forecast, **fixed,
            "__pattern__": {"^plane[0-9]+_frequency_hz$": number("Hz")}}
