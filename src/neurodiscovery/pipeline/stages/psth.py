"""Section 4: trial-averaged PSTHs per condition (when the recording has trials)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..report import Section
from . import Skipped
from ._inputs import AnalysisInputs, plt, unit_label


@dataclass(frozen=True)
class PsthResult:
    """Trial-averaged rates per condition.

    Attributes
    ----------
    psth : PSTH
        :func:`~neurodiscovery.data.psth` record: ``conditions``, ``mean_hz`` and ``sem_hz``
        ``(conditions, time, neurons)``, ``t_s`` (time from the event, s).
    event : str
        Trial-table column the trials are aligned to.
    window_s : tuple of float
        Window around the event (s).
    n_trials : int
    n_trials_per_condition : dict
    top_units : ndarray
        Indices of the most condition-modulated units (variance of the condition means).
    unit_ids, regions : tuple
    bin_size_s : float
    condition_labels : tuple of str
        Legend label per condition: the reach direction (°) when the trials carry ``direction_rad``.
    """

    psth: object
    event: str
    window_s: tuple
    n_trials: int
    n_trials_per_condition: dict
    top_units: np.ndarray
    unit_ids: tuple
    regions: tuple
    bin_size_s: float
    condition_labels: tuple = ()

    def to_metrics(self) -> dict:
        """Event, window, trial counts and condition names."""
        return {"event": self.event, "window_s": list(self.window_s), "n_trials": self.n_trials,
                "conditions": [str(c) for c in self.psth.conditions],
                "n_trials_per_condition": dict(self.n_trials_per_condition)}


def compute(inputs: AnalysisInputs, cfg, needs: dict) -> PsthResult | Skipped:
    """PSTHs of every unit per condition, aligned to the trials' main event."""
    from ...data import psth

    if not inputs.has_trials:
        return Skipped("the recording has no trials.")
    al = inputs.alignment()
    a = al.aligned
    ps = psth(a)
    modulation = ps.mean_hz.var(axis=0).mean(axis=0)  # variance over conditions, mean over time
    top = np.argsort(-modulation)[:cfg.n_psth_units]
    per_cond = {str(c): int((a.conditions == c).sum()) if a.conditions is not None else len(a.counts)
                for c in ps.conditions}
    rec = inputs.rec
    return PsthResult(ps, al.event, tuple(al.window_s), len(a.counts), per_cond, top,
                      tuple(unit_label(u) for u in rec.unit_ids), tuple(str(r) for r in rec.regions),
                      float(cfg.psth_bin_s), _condition_labels(rec.trials, ps.conditions))


def _condition_labels(trials, conditions) -> tuple:
    """Reach direction in degrees per condition when the trial table has ``direction_rad``, else the name."""
    if trials is None or "direction_rad" not in trials.columns or "condition" not in trials.columns:
        return tuple(str(c) for c in conditions)
    cond, ang = np.asarray(trials.column("condition")), np.asarray(trials.column("direction_rad"), float)
    out = []
    for c in conditions:
        a = ang[cond == c]
        deg = np.degrees(np.angle(np.mean(np.exp(1j * a)))) % 360 if len(a) else np.nan
        out.append(f"{deg:.0f}°" if np.isfinite(deg) else str(c))
    return tuple(out)


def render(res: PsthResult, figures) -> Section:
    """PSTHs (±SEM) of the most modulated units."""
    from ...plotting import plot_psth

    ps, event = res.psth, res.event.replace("_s", "")
    sec = Section("psth", "")
    pyplot = plt()
    ncol = 3
    nrow = max(2, int(np.ceil(len(res.top_units) / ncol)))
    fig, axs = pyplot.subplots(nrow, ncol, figsize=(10, 2.75 * nrow), squeeze=False)
    cmap = pyplot.get_cmap("hsv", len(ps.conditions) + 1)
    for k, i in enumerate(res.top_units):
        ax = axs.flat[k]
        for ci, c in enumerate(ps.conditions):
            lab = res.condition_labels[ci] if len(res.condition_labels) == len(ps.conditions) else str(c)
            plot_psth(ps.t_s, ps.mean_hz[ci][:, i], ps.sem_hz[ci][:, i], label=lab, ax=ax, color=cmap(ci))
        ax.axvline(0, color="k", lw=0.5, ls=":")
        ax.set_title(f"unit {res.unit_ids[i]} ({res.regions[i]})", fontsize=8)
        ax.set_xlabel(f"time from {event} (s)")
    for ax in list(axs.flat)[len(res.top_units):]:
        ax.set_visible(False)
    reach = len(res.condition_labels) == len(ps.conditions) and all(x.endswith("°") for x in res.condition_labels)
    axs.flat[0].legend(fontsize=6, frameon=False, ncol=2, title="reach direction" if reach else "condition",
                       title_fontsize=6)
    sec.figures.append(figures.save(fig, "psth_by_condition",
                                    f"Trial-averaged firing rate (Hz, ±SEM band) per condition for the "
                                    f"{len(res.top_units)} most condition-modulated units, aligned to {event}."))
    w = res.window_s
    sec.text.append(f"{res.n_trials} trials aligned to '{res.event}' in a {w[0]:.2f}…{w[1]:.2f} s window, "
                    f"{res.bin_size_s * 1000:.0f} ms bins, {len(ps.conditions)} condition(s).")
    return sec
