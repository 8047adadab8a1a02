"""``analyze``: a recording in, a run folder with an HTML report, figures and metrics out.

Stages (each adapts to what the recording holds and says why when it is skipped):

1. ``summary``     units per region, rates, durations, epochs, behaviours
2. ``quality``     firing rate, ISI violations, CV of ISI, raster of a window
3. ``tuning``      tuning curves to each behavioural variable (circular for angles),
                   Skaggs information, time-shift shuffle significance, region comparison
4. ``psth``        trial-averaged PSTHs per condition with SEM (when trials exist)
5. ``population``  PCA variance explained, trajectories coloured by behaviour/condition
6. ``decoding``    each behaviour (and trial condition) decoded by several decoders on
                   blocked folds against a time-shifted control; per-region decoding
7. ``prediction``  the best decoder's predicted-vs-true traces per behaviour
"""
from __future__ import annotations

import contextlib
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .._utils.errors import InputError
from .._utils.runfolder import RunFolder
from .report import Figure, Section, render_html, save_figure

SECTIONS = ("summary", "quality", "tuning", "psth", "population", "decoding", "prediction")


@dataclass
class AnalysisConfig:
    """Parameters of an ``analyze`` run (all recorded in ``config.json``).

    Attributes
    ----------
    bin_size_s : float
        Bin width for tuning, PCA and decoding.
    sections : tuple of str
        Which stages to run (see :data:`SECTIONS`).
    quick : bool
        Fast pass: fewer shuffles, linear decoders only, short network training.
    decoders : tuple of str, optional
        Regression decoders for continuous behaviour (default depends on ``quick``).
    n_splits, bins_before, bins_after : int
        Blocked cross-validation and spike-history window.
    n_shuffles : int
        Time-shift shuffles for tuning significance.
    smooth_s : float
        Gaussian smoothing (s) before PCA.
    seed : int
    n_threads : int
        BLAS and torch threads. One is the default: these problems are small (10^4 bins x
        10^2 features), and on a busy 2-core machine extra threads spin-wait and run
        5-30x slower than one.
    """

    bin_size_s: float = 0.05
    sections: tuple = SECTIONS
    quick: bool = False
    decoders: tuple | None = None
    n_splits: int = 5
    bins_before: int = 4
    bins_after: int = 4
    n_shuffles: int = 200
    smooth_s: float = 0.1
    psth_bin_s: float = 0.02
    seed: int = 0
    n_threads: int = 1
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        bad = [s for s in self.sections if s not in SECTIONS]
        if bad:
            raise InputError(f"unknown section(s) {', '.join(bad)}; available: {', '.join(SECTIONS)}")
        if not self.bin_size_s > 0:
            raise InputError(f"bin_size_s must be > 0, got {self.bin_size_s}")
        if self.quick:
            self.n_shuffles = min(self.n_shuffles, 50)

    def regression_decoders(self, primary: bool) -> tuple:
        if self.decoders is not None:
            return tuple(self.decoders)
        if self.quick:
            return ("wiener", "bayes") if primary else ("wiener",)
        return ("wiener", "kalman", "bayes", "mlp") if primary else ("wiener",)


class _Context:
    """State shared by the stages of one run."""

    def __init__(self, rec, cfg: AnalysisConfig, figures: Path):
        self.derived: list[str] = []
        if "position" in rec.behaviors and "speed" not in rec.behaviors:
            from ..data import speed_from_position

            try:
                rec = rec.with_behavior(speed_from_position(rec.behavior("position")))
                self.derived.append("speed (from position, 0.1 s smoothing)")
            except InputError:
                pass  # too few samples: the position-based sections still run
        self.rec, self.cfg, self.figures = rec, cfg, figures
        self.binned = None
        self.aligned = None
        self.key_numbers: list[tuple[str, str]] = []
        self.decoding: dict = {}

    def fig(self, fig, stem: str, caption: str) -> Figure:
        save_figure(fig, self.figures, stem)
        return Figure(stem, caption)

    def get_binned(self):
        if self.binned is None:
            self.binned = self.rec.bin(self.cfg.bin_size_s)
        return self.binned

    def get_aligned(self):
        """Trials aligned to their main event (``go_s``-like column, else start), cached.

        The window spans one median trial length, starting where trials start relative
        to the event; counts use ``psth_bin_s`` bins.
        """
        if self.aligned is None:
            from ..data import align_trials

            tr = self.rec.trials
            event = _trial_event(tr)
            dur = float(np.median(tr.stop_s - tr.start_s))
            lo = float(np.median(tr.start_s - tr.column(event)))
            self.aligned_event, self.aligned_window = event, (lo, lo + dur)
            cond = "condition" if "condition" in tr.columns else None
            self.aligned = align_trials(self.rec, event=event, window_s=self.aligned_window,
                                        bin_size_s=self.cfg.psth_bin_s, condition=cond)
        return self.aligned

    def behaviour_variables(self):
        """(label, behaviour name, column index, circular, units) for every behaviour column."""
        out = []
        for name in self.rec.behavior_names:
            ts = self.rec.behavior(name)
            for j, col in enumerate(ts.columns):
                label = name if len(ts.columns) == 1 else f"{name}.{col}"
                out.append((label, name, j, ts.circular, ts.units))
        return out

    def primary_behaviour(self) -> str | None:
        names = self.rec.behavior_names
        if not names:
            return None
        for pref in ("head_direction", "position", "hand_velocity"):
            if pref in names:
                return pref
        return names[0]


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


# ----------------------------------------------------------------------------- stages
def stage_summary(ctx: _Context) -> Section:
    rec = ctx.rec
    s = rec.summary()
    sec = Section("summary", "1. Recording summary", metrics=s)
    sec.text.append(f"{rec.n_units} units, {int(rec.n_spikes.sum())} spikes over {rec.duration_s:.1f} s "
                    f"({rec.time_support_s[0]:.1f}–{rec.time_support_s[1]:.1f} s).")
    sec.tables.append(("Units per region", [{"region": r, "units": d["n_units"],
                                             "median rate (Hz)": d["median_rate_hz"]}
                                            for r, d in s["regions"].items()]))
    if s["epochs"]:
        sec.tables.append(("Epochs", [{"epoch": k, "intervals": v["n_intervals"], "total (s)": v["total_s"]}
                                      for k, v in s["epochs"].items()]))
    if s["behaviors"]:
        sec.tables.append(("Behaviours", [{"behaviour": k, "columns": ", ".join(b["columns"]),
                                           "units": b["units"] or "–", "circular": b["circular"],
                                           "samples": b["n_samples"], "rate (Hz)": b["sampling_hz"] or float("nan"),
                                           "span (s)": f"{b['t_start_s']:.1f}–{b['t_stop_s']:.1f}"}
                                          for k, b in s["behaviors"].items()]))
    else:
        sec.text.append("This recording holds no behaviour: tuning, behaviour decoding and prediction are skipped.")
    if ctx.derived:
        sec.text.append("Derived behaviour: " + "; ".join(ctx.derived) + ".")
    if s["trials"]:
        sec.text.append(f"{s['trials']['n_trials']} trials with columns: {', '.join(s['trials']['columns'])}.")
    ctx.key_numbers += [("units", str(rec.n_units)),
                        ("regions", ", ".join(f"{r} ({d['n_units']})" for r, d in s["regions"].items())),
                        ("duration", f"{rec.duration_s:.0f} s")]
    return sec


def stage_quality(ctx: _Context) -> Section:
    from ..plotting.units import quality_scatter, raster
    from ..units import unit_quality

    rec = ctx.rec
    rows = unit_quality(rec)
    sec = Section("quality", "2. Unit quality", metrics={"units": rows})
    sec.tables.append(("Per-unit quality (ISI violations: ISIs < 1.5 ms; contamination: Hill et al. 2011)", rows))
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    quality_scatter([r["rate_hz"] for r in rows], [r["fraction_isi_violations"] for r in rows],
                    [r["isi_cv"] for r in rows], rec.regions, ax=ax)
    sec.figures.append(ctx.fig(fig, "quality_rate_vs_cv",
                               "Firing rate against CV of inter-spike intervals per unit, marker size grows "
                               "with the fraction of refractory-period violations."))
    # raster of a 10 s window where behaviour is tracked (or the middle of the recording)
    t0 = rec.time_support_s[0] + rec.duration_s / 2
    pb = ctx.primary_behaviour()
    if pb is not None:
        t0 = float(np.median(rec.behavior(pb).t_s))
    win = min(10.0, rec.duration_s)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    raster(rec.spike_times, t0 - win / 2, t0 + win / 2, regions=rec.regions, ax=ax)
    sec.figures.append(ctx.fig(fig, "raster", f"Spike raster of all units over {win:.0f} s around "
                                              f"t = {t0:.0f} s, coloured by region."))
    viol = np.array([r["fraction_isi_violations"] for r in rows])
    ctx.key_numbers.append(("units with > 1 % ISI violations", f"{int((viol > 0.01).sum())} / {len(rows)}"))
    return sec


def stage_tuning(ctx: _Context) -> Section:
    from ..plotting.units import region_comparison, tuning_curve
    from ..units import tuning_curves

    rec, cfg = ctx.rec, ctx.cfg
    sec = Section("tuning", "3. Tuning curves")
    variables = ctx.behaviour_variables()
    if not variables:
        sec.skipped = "the recording holds no behavioural variables to tune to."
        return sec
    b = ctx.get_binned()
    plt = _plt()
    regions = np.asarray(rec.regions)
    results = {}
    rows = []
    for vi, (label, name, j, circ, units) in enumerate(variables):
        v = b.behavior(name)[:, j]
        if np.isfinite(v).sum() < 50:
            sec.text.append(f"'{label}': fewer than 50 bins with tracking; not analysed.")
            continue
        try:
            tc = tuning_curves(b.counts, v, b.bin_size_s, circ, n_shuffles=cfg.n_shuffles,
                               name=label, seed=cfg.seed + vi)
        except InputError as exc:
            sec.text.append(f"'{label}': {exc}")
            continue
        results[label] = tc
        for r in dict.fromkeys(regions):
            m = regions == r
            rows.append({"variable": label, "region": r, "units": int(m.sum()),
                         "significant (p<0.05)": int((tc.p_value[m] < 0.05).sum()),
                         "median info (bits/spike)": float(np.median(tc.information_bits_per_spike[m])),
                         "median peak/mean": float(np.nanmedian(tc.peak_to_mean[m]))})
    sec.tables.append(("Tuning by variable and region (significance: information vs "
                       f"{cfg.n_shuffles} time-shifted shuffles)", rows))
    sec.metrics["by_variable_region"] = rows
    sec.metrics["units"] = {
        label: [{"unit_id": rec.unit_ids[i].item() if hasattr(rec.unit_ids[i], "item") else rec.unit_ids[i],
                 "region": regions[i], "information_bits_per_spike": float(tc.information_bits_per_spike[i]),
                 "peak_to_mean": float(tc.peak_to_mean[i]), "p_value": float(tc.p_value[i]),
                 "preferred": float(tc.preferred[i]), "mean_rate_hz": float(tc.mean_rate_hz[i])}
                for i in range(rec.n_units)] for label, tc in results.items()}
    # figures: curves of every unit (up to 24) for the primary variable(s); others top-6 units
    pb = ctx.primary_behaviour()
    for label, tc in results.items():
        primary = label == pb or label.startswith(f"{pb}.")
        order = np.argsort(-tc.information_bits_per_spike)
        idx = np.sort(order[: (24 if primary else 6)]) if primary else order[:6]
        n = len(idx)
        ncol = min(6, n)
        nrow = int(np.ceil(n / ncol))
        fig = plt.figure(figsize=(2.1 * ncol, 2.2 * nrow))
        for k, i in enumerate(idx):
            ax = fig.add_subplot(nrow, ncol, k + 1, projection="polar" if tc.circular else None)
            tuning_curve(tc.centres, tc.rates_hz[:, i], tc.circular,
                         label=f"{regions[i]} u{rec.unit_ids[i]} p={tc.p_value[i]:.2g}", ax=ax,
                         units=label, color=f"C{list(dict.fromkeys(regions)).index(regions[i])}")
        kind = "angle (rad); radius = rate (Hz)" if tc.circular else "rate (Hz) vs value"
        sec.figures.append(ctx.fig(fig, f"tuning_{label.replace('.', '_')}",
                                   f"Tuning curves to {label} ({kind}) for the "
                                   f"{'units' if primary else 'six most informative units'}; "
                                   "title gives region, unit and shuffle p-value."))
    # region comparison on the primary variable
    prim = [l for l in results if l == pb or l.startswith(f"{pb}.")]
    if prim and len(set(regions)) > 1:
        tc = results[prim[0]]
        fig, axs = plt.subplots(1, 2, figsize=(7, 3))
        region_comparison({r: tc.information_bits_per_spike[regions == r] for r in dict.fromkeys(regions)},
                          f"{prim[0]} information (bits/spike)", ax=axs[0])
        region_comparison({r: tc.peak_to_mean[regions == r] for r in dict.fromkeys(regions)},
                          f"{prim[0]} peak / mean rate", ax=axs[1])
        sec.figures.append(ctx.fig(fig, "region_comparison",
                                   f"Region comparison of {prim[0]} tuning: information per spike and "
                                   "peak-to-mean ratio per unit (bar = median)."))
        for r in dict.fromkeys(regions):
            m = regions == r
            ctx.key_numbers.append((f"{r}: {prim[0]}-tuned units (p<0.05)",
                                    f"{int((tc.p_value[m] < 0.05).sum())} / {int(m.sum())}, "
                                    f"median peak/mean {np.nanmedian(tc.peak_to_mean[m]):.1f}"))
        sec.metrics["region_comparison"] = {
            r: {"variable": prim[0], "n_units": int((regions == r).sum()),
                "n_significant": int((tc.p_value[regions == r] < 0.05).sum()),
                "median_information_bits_per_spike": float(np.median(tc.information_bits_per_spike[regions == r])),
                "median_peak_to_mean": float(np.nanmedian(tc.peak_to_mean[regions == r]))}
            for r in dict.fromkeys(regions)}
    return sec


def _trial_event(trials):
    for c in ("go_s", "movement_onset_s", "stimulus_s", "cue_s"):
        if c in trials.columns:
            return c
    return "start_s"


def stage_psth(ctx: _Context) -> Section:
    from ..data import psth
    from ..plotting.population import psth as plot_psth

    rec, cfg = ctx.rec, ctx.cfg
    sec = Section("psth", "4. Trial-averaged PSTHs")
    if rec.trials is None or len(rec.trials) == 0:
        sec.skipped = "the recording has no trials."
        return sec
    a = ctx.get_aligned()
    event, window = ctx.aligned_event, ctx.aligned_window
    ps = psth(a)
    conds = list(ps)
    # units with the largest condition modulation (variance of condition means)
    means = np.stack([ps[c][0] for c in conds])  # cond, time, neuron
    modulation = means.var(axis=0).mean(axis=0)
    top = np.argsort(-modulation)[:6]
    plt = _plt()
    fig, axs = plt.subplots(2, 3, figsize=(10, 5.5), squeeze=False)
    cmap = plt.get_cmap("hsv", len(conds) + 1)
    for k, i in enumerate(top):
        ax = axs.flat[k]
        for ci, c in enumerate(conds):
            plot_psth(a.t_s, ps[c][0][:, i], ps[c][1][:, i], label=str(c), ax=ax, color=cmap(ci))
        ax.axvline(0, color="k", lw=0.5, ls=":")
        ax.set_title(f"unit {rec.unit_ids[i]} ({rec.regions[i]})", fontsize=8)
        ax.set_xlabel(f"time from {event.replace('_s', '')} (s)")
    for ax in list(axs.flat)[len(top):]:
        ax.set_visible(False)
    axs.flat[0].legend(fontsize=6, frameon=False, ncol=2, title="condition", title_fontsize=6)
    sec.figures.append(ctx.fig(fig, "psth_by_condition",
                               f"Trial-averaged firing rate (Hz, ±SEM band) per condition for the six most "
                               f"condition-modulated units, aligned to {event.replace('_s', '')}."))
    sec.metrics = {"event": event, "window_s": list(window), "n_trials": len(a.counts),
                   "conditions": [str(c) for c in conds],
                   "n_trials_per_condition": {str(c): int((a.conditions == c).sum()) if a.conditions is not None
                                              else len(a.counts) for c in conds}}
    sec.text.append(f"{len(a.counts)} trials aligned to '{event}' in a {window[0]:.2f}…{window[1]:.2f} s window, "
                    f"{cfg.psth_bin_s * 1000:.0f} ms bins, {len(conds)} condition(s).")
    return sec


def stage_population(ctx: _Context) -> Section:
    from ..data import gaussian_smooth
    from ..latents import PopulationPCA, condition_separation
    from ..plotting.population import trajectories_by_condition, trajectories_by_value, variance_explained

    rec, cfg = ctx.rec, ctx.cfg
    sec = Section("population", "5. Population structure (PCA)")
    if rec.n_units < 3:
        sec.skipped = f"PCA needs at least 3 units; this recording has {rec.n_units}."
        return sec
    b = ctx.get_binned()
    X = gaussian_smooth(b.counts, cfg.smooth_s, b.bin_size_s, segment=b.segment)
    pb = ctx.primary_behaviour()
    mask = np.ones(b.n_bins, bool)
    if pb is not None and b.valid(pb).sum() > 100:
        mask = b.valid(pb)  # PCA on the behaving period, where the trajectories mean something
    pca = PopulationPCA(n_components=min(10, rec.n_units)).fit(X[mask])
    pcs = pca.transform(X[mask])
    evr = pca.explained_variance_ratio_
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4, 3))
    variance_explained(evr, ax=ax)
    sec.figures.append(ctx.fig(fig, "pca_variance", "Fraction of variance of the smoothed, square-root, z-scored "
                                                    "population activity explained by each principal component."))
    n80 = int(np.searchsorted(np.cumsum(evr), 0.8) + 1) if np.cumsum(evr)[-1] >= 0.8 else None
    sec.metrics = {"explained_variance_ratio": evr.tolist(), "n_components_80pct": n80,
                   "smooth_s": cfg.smooth_s, "n_bins": int(mask.sum())}
    if pb is not None:
        ts = rec.behavior(pb)
        val = b.behavior(pb)[mask, 0]
        fig, ax = plt.subplots(figsize=(4.8, 3.6))
        trajectories_by_value(pcs, val, ts.circular, f"{pb} ({ts.units or 'a.u.'}; {ts.columns[0]})", ax=ax)
        sec.figures.append(ctx.fig(fig, "pca_by_behaviour", f"Population state in PC1–PC2 at every "
                                                          f"{b.bin_size_s * 1000:.0f} ms bin, coloured by {pb}."))
    if rec.trials is not None and len(rec.trials) and "condition" in rec.trials.columns:
        a = ctx.get_aligned()
        Xt = gaussian_smooth(a.counts, cfg.smooth_s / 2, a.bin_size_s, axis=1)
        cond = a.conditions
        cond_mean = np.stack([Xt[cond == c].mean(0) for c in np.unique(cond)])
        tp = PopulationPCA(n_components=min(6, rec.n_units)).fit(cond_mean)
        traj = tp.transform(Xt)
        fig, ax = plt.subplots(figsize=(4.8, 3.6))
        trajectories_by_condition(traj, cond, ax=ax)
        sec.figures.append(ctx.fig(fig, "pca_trajectories_by_condition",
                                   "Condition-averaged population trajectories in the top two PCs of the "
                                   "condition means (dot = trial start)."))
        sil = condition_separation(traj[:, :, :3], cond)
        sec.metrics["trial_pca_condition_silhouette"] = sil
        sec.metrics["trial_pca_explained_variance_ratio"] = tp.explained_variance_ratio_.tolist()
        sec.text.append(f"Single-trial trajectories (top 3 PCs) separate by condition with silhouette {sil:.2f} "
                        "(1 = perfectly separated clusters, 0 = overlapping).")
        ctx.key_numbers.append(("PCA condition separation (silhouette)", f"{sil:.2f}"))
    ctx.key_numbers.append(("PCs for 80 % variance", str(n80) if n80 else f"> {len(evr)}"))
    return sec


@contextlib.contextmanager
def _thread_limits(n_threads: int):
    """Limit BLAS (threadpoolctl) and torch intra-op threads, restoring both afterwards."""
    from threadpoolctl import threadpool_limits

    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(int(n_threads))
    try:
        with threadpool_limits(int(n_threads)):
            yield
    finally:
        torch.set_num_threads(old)


@contextlib.contextmanager
def _notes(sec, label):
    """Turn warnings raised inside (e.g. NaN targets dropped) into report notes, not stderr noise."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    if sec is not None:
        for w in {str(w.message) for w in caught}:
            sec.text.append(f"'{label}': {w}")


def _decode_span(b, name):
    """Bins from the first to the last tracked sample of a behaviour (NaN gaps inside stay NaN)."""
    ok = b.valid(name)
    idx = np.flatnonzero(ok)
    return slice(idx[0], idx[-1] + 1)


# The steady-state Kalman gain equals the time-varying one after a few dozen bins and
# avoids solving a (features x features) system at every one of ~10^4 bins.
_DECODER_PARAMS = {"kalman": {"steady_state": True}}


def stage_decoding(ctx: _Context) -> Section:
    from ..decoding import cross_validate_classifiers, cross_validate_decoders

    rec, cfg = ctx.rec, ctx.cfg
    sec = Section("decoding", "6. Decoding behaviour from population activity")
    names = [n for n in rec.behavior_names]
    has_trials = rec.trials is not None and len(rec.trials) and "condition" in rec.trials.columns
    if not names and not has_trials:
        sec.skipped = "the recording has neither behaviour nor trial conditions to decode."
        return sec
    b = ctx.get_binned()
    pb = ctx.primary_behaviour()
    rows = []
    for name in names:
        sl = _decode_span(b, name) if b.valid(name).any() else None
        if sl is None or b.valid(name)[sl].sum() < 200:
            sec.text.append(f"'{name}': fewer than 200 tracked bins; not decoded.")
            continue
        circ = b.is_circular(name)
        y = b.behavior(name)[sl]
        decs = cfg.regression_decoders(primary=name == pb)
        if y.shape[1] > 1:
            decs = tuple(d for d in decs if d != "bayes" or y.shape[1] <= 2)
        try:
            with _notes(sec, name):
                res = cross_validate_decoders(b.counts[sl], y[:, 0] if circ else y, decoders=decs,
                                              n_splits=cfg.n_splits, bins_before=cfg.bins_before,
                                              bins_after=cfg.bins_after, circular=circ, segment=b.segment[sl],
                                              seed=cfg.seed, quick=cfg.quick, decoder_params=_DECODER_PARAMS,
                                              output_names=None if circ else list(b.columns[name]))
        except InputError as exc:
            sec.text.append(f"'{name}': not decoded ({exc}).")
            continue
        ctx.decoding[name] = res
        for r in res.table:
            rows.append({"behaviour": name, **{k: v for k, v in r.items() if k not in ("r2",)}})
    # per-region decoding of the primary behaviour (linear decoder: a fair, fast comparison)
    region_rows = []
    regions = np.asarray(rec.regions)
    if pb in ctx.decoding and len(set(regions)) > 1:
        sl = _decode_span(b, pb)
        circ = b.is_circular(pb)
        y = b.behavior(pb)[sl]
        for r in dict.fromkeys(regions):
            m = regions == r
            try:
                with _notes(None, r):
                    res = cross_validate_decoders(b.counts[sl][:, m], y[:, 0] if circ else y, decoders=("wiener",),
                                                  n_splits=cfg.n_splits, bins_before=cfg.bins_before,
                                                  bins_after=cfg.bins_after, circular=circ, segment=b.segment[sl],
                                                  seed=cfg.seed, shuffle_control=False)
            except InputError as exc:
                sec.text.append(f"region {r}: not decoded ({exc}).")
                continue
            row = res.table[0]
            region_rows.append({"region": r, "units": int(m.sum()), "decoder": "wiener",
                                "r2_mean": row["r2_mean"],
                                **({"median_angular_error_deg": row.get("median_angular_error_deg")} if circ else {})})
    if rows:
        show = ["behaviour", "decoder", "control", "r2_mean", "pearson_r2_mean", "rmse_mean",
                "median_angular_error_deg", "fit_time_s"]
        sec.tables.append(("Blocked 5-fold cross-validation (gap = spike-history window); control = behaviour "
                           "circularly shifted in time (chance)",
                           [{k: r.get(k) for k in show if k in r} for r in rows]))
    if region_rows:
        sec.tables.append((f"Decoding {pb} from each region alone (Wiener filter)", region_rows))
    sec.metrics = {"behaviours": {n: res.to_dict() for n, res in ctx.decoding.items()},
                   "by_region": region_rows}
    # trial conditions
    if has_trials:
        a = ctx.get_aligned()
        # coarser bins for trial features: 5 PSTH bins summed
        k = max(1, int(round(0.1 / a.bin_size_s)))
        nt = a.counts.shape[1] // k
        feats = a.counts[:, : nt * k].reshape(len(a.counts), nt, k, -1).sum(2)
        # conditions with fewer than 2 trials cannot be both trained and tested on
        labels, counts = np.unique(a.conditions, return_counts=True)
        keep_labels = labels[counts >= 2]
        if len(keep_labels) < len(labels):
            sec.text.append(f"trial conditions with < 2 trials left out of condition decoding: "
                            f"{', '.join(map(str, labels[counts < 2]))}.")
        keep = np.isin(a.conditions, keep_labels)
        try:
            if len(keep_labels) < 2:
                raise InputError(f"needs at least two conditions with >= 2 trials each, found {len(keep_labels)}")
            cres = cross_validate_classifiers(np.sqrt(feats[keep]), a.conditions[keep],
                                              decoders=("logistic",) if cfg.quick else ("logistic", "mlp"),
                                              n_splits=min(cfg.n_splits, int(counts[counts >= 2].min())),
                                              seed=cfg.seed, quick=cfg.quick)
            ctable = cres.table
            sec.tables.append(("Trial-condition decoding (stratified trial-wise folds; control = permuted labels)",
                               [{k2: v for k2, v in r.items() if not isinstance(v, (list, dict))} for r in ctable]))
            sec.metrics["conditions"] = cres.to_dict()
            best = max((r for r in ctable if r.get("control") in (None, "none")), key=lambda r: r["accuracy_mean"])
            ctx.key_numbers.append(("condition decoding accuracy",
                                    f"{best['accuracy_mean']:.2f} ({best['decoder']}; chance "
                                    f"{1 / len(keep_labels):.2f})"))
            sec.metrics["condition_accuracy_best"] = best["accuracy_mean"]
        except InputError as exc:
            sec.text.append(f"trial conditions: not decoded ({exc}).")
    if pb in ctx.decoding:
        res = ctx.decoding[pb]
        real = [r for r in res.table if r["control"] == "none"]
        best = max(real, key=lambda r: r["r2_mean"])
        txt = f"R² {best['r2_mean']:.2f} ({best['decoder']})"
        if best.get("median_angular_error_deg") is not None:
            txt += f", median error {best['median_angular_error_deg']:.1f}°"
        ctx.key_numbers.append((f"{pb} decoding (best)", txt))
        ctrl = [r for r in res.table if r["control"] != "none"]
        if ctrl:
            ctx.key_numbers.append((f"{pb} decoding, shifted control (best)",
                                    f"R² {max(r['r2_mean'] for r in ctrl):.2f}"))
    return sec


def stage_prediction(ctx: _Context) -> Section:
    sec = Section("prediction", "7. Behaviour prediction with the best decoder")
    if not ctx.decoding:
        sec.skipped = ("no behaviour was decoded (the decoding section was not run or the recording "
                       "holds no behaviour).")
        return sec
    plt = _plt()
    b = ctx.get_binned()
    summary = {}
    for name, res in ctx.decoding.items():
        real = [r for r in res.table if r["control"] == "none"]
        best = max(real, key=lambda r: r["r2_mean"])
        p = res.predictions[best["decoder"]]
        idx = np.asarray(p["sample_index"])
        circ = "theta_true" in p
        # a 60 s window of test predictions (bins are contiguous within a fold)
        n_show = int(min(len(idx), round(60 / b.bin_size_s)))
        start = len(idx) // 2 - n_show // 2
        sel = slice(max(start, 0), max(start, 0) + n_show)
        t = idx[sel] * b.bin_size_s
        if circ:
            fig, ax = plt.subplots(figsize=(8, 2.8))
            ax.plot(t, np.asarray(p["theta_true"])[sel], ".", ms=2, color="k", label="true")
            ax.plot(t, np.asarray(p["theta_pred"])[sel], ".", ms=2, color="C1", label=f"{best['decoder']}")
            ax.set_ylabel(f"{name} (rad)")
        else:
            yt, yp = np.asarray(p["y_true"]), np.asarray(p["y_pred"])
            k = yt.shape[1] if yt.ndim == 2 else 1
            fig, axs = plt.subplots(k, 1, figsize=(8, 1.8 * k + 0.6), squeeze=False, sharex=True)
            for j in range(k):
                ax = axs[j, 0]
                ax.plot(t, (yt[:, j] if yt.ndim == 2 else yt)[sel], color="k", lw=0.8, label="true")
                ax.plot(t, (yp[:, j] if yp.ndim == 2 else yp)[sel], color="C1", lw=0.8, label=best["decoder"])
                ax.set_ylabel(f"{b.columns[name][j]} ({b.units[name] or 'a.u.'})", fontsize=7)
        ax.set_xlabel("time from start of decoded span (s; test folds)")
        ax.legend(fontsize=7, frameon=False, loc="upper right")
        sec.figures.append(ctx.fig(fig, f"prediction_{name}",
                                   f"True (black) and cross-validated predicted (orange, {best['decoder']}) "
                                   f"{name} over {n_show * b.bin_size_s:.0f} s of held-out test data."))
        summary[name] = {k: best[k] for k in ("decoder", "r2_mean", "pearson_r2_mean", "rmse_mean",
                                                "median_angular_error_deg") if k in best}
    sec.metrics = summary
    sec.tables.append(("Best decoder per behaviour", [{"behaviour": n, **v} for n, v in summary.items()]))
    return sec


STAGES = {"summary": stage_summary, "quality": stage_quality, "tuning": stage_tuning, "psth": stage_psth,
          "population": stage_population, "decoding": stage_decoding, "prediction": stage_prediction}


def _check_recording(rec) -> None:
    if rec.n_units == 0:
        raise InputError("the recording has zero units: nothing to analyse")
    if rec.n_spikes.sum() == 0:
        raise InputError("the recording's units have no spikes: nothing to analyse")


def analyze(recording, out: str | Path | None = None, config: AnalysisConfig | None = None,
            runs_root: str | Path = "runs", progress: bool = True, source: str | None = None) -> Path:
    """Run the full analysis of one recording into a new run folder.

    Parameters
    ----------
    recording : Recording
    out : path, optional
        Run folder to create (must not exist); default ``runs/<UTC>-analyze``.
    config : AnalysisConfig
    progress : bool
        Show a per-stage progress bar (stderr).

    Returns
    -------
    Path of the completed run folder (``report.html``, ``figures/``, ``metrics.json``,
    ``config.json``). A failure removes the partial folder.
    """
    from tqdm.auto import tqdm

    cfg = config or AnalysisConfig()
    _check_recording(recording)
    run_cfg = {"analysis": asdict(cfg), "recording": recording.name, "source": source or
               str(recording.meta.get("source", "in-memory")), "seed": cfg.seed}
    with RunFolder("analyze", out=out, root=runs_root, config=run_cfg) as run:
        ctx = _Context(recording, cfg, run.figures)
        sections, timings = [], {}
        todo = [s for s in SECTIONS if s in cfg.sections]
        bar = tqdm(todo, desc="analyze", unit="stage", disable=not progress)
        with _thread_limits(cfg.n_threads):
            for name in bar:
                bar.set_postfix_str(name)
                t = time.perf_counter()
                sections.append(STAGES[name](ctx))
                timings[name] = time.perf_counter() - t
        bar.close()
        metrics = {s.key: ({"skipped": s.skipped} if s.skipped else s.metrics) for s in sections}
        metrics["key_numbers"] = dict(ctx.key_numbers)
        metrics["timings_s"] = timings
        run.write_metrics(metrics)
        html = render_html(f"neurodiscovery analysis — {recording.name}", ctx.key_numbers, sections,
                           run.figures, run_cfg)
        run.write_text("report.html", html)
    return run.path
