"""Section: population dynamics on trials — jPCA planes of condition averages, forecasting skill."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._utils.errors import InputError
from ..._utils.quantity import quantity
from ..report import Section
from . import Skipped
from ._inputs import AnalysisInputs, plt, trial_event


@dataclass(frozen=True)
class DynamicsResult:
    """jPCA and forecasting on the trials aligned to their main event.

    Attributes
    ----------
    summary : DynamicsSummary
        :func:`~neurodiscovery.dynamics.summarize_dynamics` output: ``jpca`` (rotational
        planes of the condition averages) and ``forecast`` (held-out skill of the GRU, ridge
        VAR and persistence), each None with its reason in ``summary.skipped``.
    event : str
        Trial-table column the trials are aligned to; the analysed window starts there.
    window_s : tuple of float
        Analysed window relative to the event (s).
    bin_size_s : float
    n_trials, n_conditions : int
    behavior : str or None
        Behaviour whose instantaneous encoding was removed before jPCA.
    horizons : tuple of int
        Forecast horizons (bins) reported in the metrics.
    """

    summary: object
    event: str
    window_s: tuple
    bin_size_s: float
    n_trials: int
    n_conditions: int
    behavior: str | None
    horizons: tuple

    def to_metrics(self) -> dict:
        """Alignment, jPCA (plane frequencies in Hz, plane R², rotation fraction) and forecast skill."""
        s = self.summary
        m = {"event": self.event, "window_s": list(self.window_s), "bin_size_s": self.bin_size_s,
             "n_trials": self.n_trials, "n_conditions": self.n_conditions, "behavior_removed": self.behavior,
             "jpca": None if s.jpca is None else s.jpca.to_json(),
             "forecast": None if s.forecast is None else s.forecast.to_json(horizons=self.horizons),
             "skipped_parts": dict(s.skipped)}
        return m


def _behavior(inputs: AnalysisInputs) -> str | None:
    """The primary behaviour when it is linear (its encoding is removed before jPCA), else None."""
    pb = inputs.primary_behavior()
    if pb is None or inputs.rec.behavior(pb).circular:
        return None
    return pb


def _window(inputs: AnalysisInputs, event: str) -> tuple[float, float]:
    """From the event to the end of the shortest trial (the epoch where the dynamics unfold)."""
    tr = inputs.rec.trials
    ev = tr.start_s if event == "start_s" else tr.column(event)
    return 0.0, float(np.min(tr.stop_s - ev))


def compute(inputs: AnalysisInputs, cfg, needs: dict) -> DynamicsResult | Skipped:
    """jPCA on condition-averaged rates and the GRU forecaster against persistence and ridge VAR."""
    from ...data.trial_tensor import trial_tensor
    from ...dynamics import summarize_dynamics

    if not inputs.has_trials:
        return Skipped("the recording has no trials (jPCA and forecasting need trials aligned to an event).")
    event = trial_event(inputs.rec.trials)
    window = _window(inputs, event)
    min_bins = cfg.forecast_window + cfg.forecast_horizon + 1
    if window[1] < min_bins * cfg.dynamics_bin_s:
        return Skipped(f"trials last {window[1]:.2f} s after '{event}'; the dynamics section needs at least "
                       f"{min_bins * cfg.dynamics_bin_s:.2f} s ({min_bins} bins of {cfg.dynamics_bin_s} s).")
    beh = _behavior(inputs)
    try:
        data = trial_tensor(inputs.rec, event=event, window_s=window, bin_size_s=cfg.dynamics_bin_s,
                          behaviors=[beh] if beh else None)
    except InputError:
        beh = None  # the behaviour is not sampled throughout the trials: jPCA without removing it
        data = trial_tensor(inputs.rec, event=event, window_s=window, bin_size_s=cfg.dynamics_bin_s)
    n_cond = len(np.unique(data.conditions)) if inputs.has_conditions else 1
    summary = summarize_dynamics(data.counts, data.conditions, data.bin_size_s, smooth_s=cfg.dynamics_smooth_s,
                                 behavior=data.behavior, n_pcs=cfg.dynamics_n_pcs,
                                 forecast_window=cfg.forecast_window, max_horizon=cfg.forecast_horizon,
                                 forecast_epochs=cfg.forecast_epochs, time_budget_s=cfg.forecast_time_budget_s,
                                 seed=cfg.seed)
    if summary.jpca is None and summary.forecast is None:
        return Skipped("; ".join(f"{k}: {v}" for k, v in summary.skipped.items()))
    return DynamicsResult(summary, event, window, float(data.bin_size_s), int(data.counts.shape[0]), n_cond, beh,
                          tuple(sorted({1, int(cfg.forecast_horizon)})))


def _render_jpca(res: DynamicsResult, sec: Section, figures) -> None:
    from ...dynamics.plotting import plot_jpca_plane

    jp = res.summary.jpca
    n = min(2, len(jp.frequencies_hz))
    if n == 0:
        sec.text.append("jPCA found no rotational plane (the skew-symmetric fit is zero).")
        return
    fig, axs = plt().subplots(1, n, figsize=(4.4 * n, 4), squeeze=False)
    for k in range(n):
        plot_jpca_plane(jp, k, ax=axs[0, k])
    ev = res.event.replace("_s", "")
    sec.figures.append(figures.save(fig, "jpca_planes",
                                    f"Condition-averaged trajectories (one colour per condition, dot = {ev}) in the "
                                    f"{n} fastest jPCA planes; titles give each plane's rotation frequency and "
                                    "the fraction of the derivative it explains."))
    rows = [{"plane": k + 1, "frequency (Hz)": f"{f:.2f}", "R² of the derivative": f"{r:.2f}"}
            for k, (f, r) in enumerate(zip(jp.frequencies_hz, jp.plane_r2))]
    sec.tables.append(("jPCA rotational planes (fastest first)", rows))
    removed = f"after removing the instantaneous encoding of {res.behavior}, " if res.behavior else ""
    sec.text.append(f"jPCA on {res.n_conditions} condition averages ({res.n_trials} trials, "
                    f"{res.bin_size_s * 1000:.0f} ms bins, {res.window_s[1]:.2f} s from {ev}), {removed}"
                    f"in the top {jp.pcs.shape[1]} PCs ({jp.variance_explained:.0%} of the condition-average "
                    f"variance): a pure rotation explains R² = {jp.r2_skew:.2f} of the derivative, an unconstrained "
                    f"linear fit {jp.r2_best:.2f} (rotation fraction {jp.rotation_fraction:.2f}).")
    sec.key_numbers += [quantity(f"jPCA plane {k + 1} rotation frequency", f, "Hz")
                        for k, f in enumerate(jp.frequencies_hz[:n])]
    sec.key_numbers.append(quantity("jPCA rotation fraction (R² of the rotation / R² of the linear fit)",
                                    jp.rotation_fraction, "1"))


def _render_forecast(res: DynamicsResult, sec: Section, figures) -> None:
    from ...dynamics.plotting import plot_error_growth, plot_forecast_skill

    fc = res.summary.forecast
    fig, axs = plt().subplots(1, 2, figsize=(10, 3.6))
    plot_forecast_skill(fc, ax=axs[0])
    plot_error_growth(fc, ax=axs[1])
    sec.figures.append(figures.save(fig, "forecast_skill",
                                    f"Held-out forecasting on the last {fc.n_test} trials: Poisson log-likelihood "
                                    "(bits/spike relative to each unit's training-mean rate; left) and mean squared "
                                    "error (right) of free-running rollouts against the horizon, for the GRU, "
                                    "ridge VAR and persistence (settings chosen on a validation block)."))
    rows = [{"model": m, **{f"{h} bin(s) ahead": f"{fc.skill_at(m, h):.3f}" for h in res.horizons}}
            for m in fc.models]
    sec.tables.append(("Held-out forecast skill (bits/spike vs mean rate)", rows))
    h1 = {m: fc.skill_at(m, 1) for m in fc.models}
    best = max(h1, key=h1.get)
    sec.text.append(f"Forecasting {fc.n_train} training / {fc.n_val} validation / {fc.n_test} test trials: "
                    f"one bin ahead the best model is {best} ({h1[best]:.3f} bits/spike).")
    sec.key_numbers += [quantity(f"Forecast skill 1 bin ahead ({'GRU' if m == 'rnn' else m.upper()}, held-out trials)",
                                 h1[m], "bits/spike", note="relative to each unit's training-mean rate")
                        for m in ("rnn", "var") if m in h1]


def render(res: DynamicsResult, figures) -> Section:
    """jPCA planes and a table of their frequencies; forecast skill and error growth."""
    sec = Section("dynamics", "")
    if res.summary.jpca is not None:
        _render_jpca(res, sec, figures)
    if res.summary.forecast is not None:
        _render_forecast(res, sec, figures)
    for part, reason in res.summary.skipped.items():
        sec.text.append(f"{'jPCA' if part == 'jpca' else 'Forecasting'} skipped: {reason}")
    return sec
