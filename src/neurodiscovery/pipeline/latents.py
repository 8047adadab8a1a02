"""``neurodiscovery latents``: fit one latent method to a recording, score it, write a run folder.

The run folder holds ``metrics.json`` (held-out co-bps, PSTH R², behaviour R², training
time; for ``ring`` the median error to tracked head direction), ``figures/``, the saved
model (``model/`` checkpoint for torch models, ``model.npz`` for the others),
``latents.npz`` and ``report.html``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .._utils.errors import InputError
from .._utils.quantity import number_of, quantity
from .command import figure_context, legacy_metrics
from .report import Figure, Section, render_html, save_figure

CLI_METHODS = ("pca", "fa", "gpfa", "vae", "gaussian_vae", "seqvae", "ring", "smoothing")


@figure_context()
def run_latents(rec, method: str = "gpfa", dim: int = 10, *, bin_size_s: float | None = None,
                behavior: str | None = None, epoch: str | None = None, segment_s: float = 2.0,
                seed: int = 0, max_train_s: float | None = None, max_epochs: int | None = None,
                embedding: str = "tsne", out=None, config: dict | None = None) -> Path:
    """Fit ``method`` to ``rec`` and write a run folder; returns its path.

    Parameters
    ----------
    rec : Recording
    method : one of ``CLI_METHODS`` (``vae`` is the Poisson VAE)
    dim : int
        Latent dimension (not used by ``ring``, which is 3-D Isomap → 1-D angle).
    bin_size_s : float, optional
        Default 0.1 s for ``ring``, 0.02 s otherwise.
    behavior, epoch, segment_s : see :func:`neurodiscovery.latents.trial_counts`.
    seed : int
    max_train_s, max_epochs : training limits of the torch models.
    embedding : {"tsne", "umap", "pca"}
        Display embedding of the test-trial latents.
    out : path, optional
        Run folder to create (default ``runs/<timestamp>-latents``).
    config : dict, optional
        Extra entries for ``config.json`` (e.g. the CLI arguments).
    """
    from .._utils.runfolder import RunFolder

    if method not in CLI_METHODS:
        raise InputError(f"unknown method '{method}'; available: {', '.join(CLI_METHODS)}")
    if rec.n_units == 0:
        raise InputError(f"{rec.name} has no units: there is no population activity to fit latents to")
    bin_size_s = bin_size_s or (0.1 if method == "ring" else 0.02)
    cfg = {"method": method, "dim": dim, "bin_size_s": bin_size_s, "behavior": behavior, "epoch": epoch,
           "segment_s": segment_s, "seed": seed, "max_train_s": max_train_s, "max_epochs": max_epochs,
           "embedding": embedding, "recording": rec.name, **(config or {})}
    with RunFolder("latents", out=out, config=cfg) as run:
        if method == "ring":
            sections, key, metrics = _ring(rec, run, bin_size_s, seed)
        else:
            sections, key, metrics = _trials(rec, run, method, dim, bin_size_s, behavior, epoch, segment_s,
                                             seed, max_train_s, max_epochs, embedding)
        metrics = legacy_metrics("latents", metrics, key)
        run.write_metrics(metrics)
        run.write_text("report.html", render_html(f"Latent structure ({method}) — {rec.name}", key, sections,
                                                  run.figures, run.config))
    return run.path


def _model_kwargs(method, max_train_s, max_epochs):
    kw = {}
    if method in ("seqvae", "poisson_vae", "gaussian_vae"):
        if max_train_s is not None:
            kw["time_budget_s"] = float(max_train_s)
        if max_epochs is not None:
            kw["max_epochs"] = int(max_epochs)
    return kw


def _trials(rec, run, method, dim, bin_size_s, behavior, epoch, segment_s, seed, max_train_s, max_epochs,
            embedding):
    from ..latents import fit_and_score, fit_latents

    name = {"vae": "poisson_vae"}.get(method, method)
    fit = fit_latents(rec, name, dim, bin_size_s=bin_size_s, behavior=behavior, epoch=epoch,
                      segment_s=segment_s, seed=seed, model_kwargs=_model_kwargs(name, max_train_s, max_epochs))
    d, res = fit.data, fit.result
    base = fit_and_score("smoothing", d.counts, bin_size_s=bin_size_s, behavior=d.behavior,
                         conditions=d.conditions, split=res.split, seed=seed).scores
    s = res.scores
    metrics = {"method": name, **{k: v for k, v in s.to_dict().items() if k != "method"},
               "smoothing_co_bps": base.co_bps, "n_trials": int(d.counts.shape[0]),
               "n_time_bins": int(d.counts.shape[1]), "n_neurons": int(d.counts.shape[2]),
               "n_train_trials": len(res.split.train_trials), "n_test_trials": len(res.split.test_trials),
               "n_heldout_neurons": len(res.split.heldout), "behavior": d.behavior_name, "trials_from": d.source}
    if not np.isfinite(s.psth_r2):
        metrics["psth_r2_note"] = ("not reported: the test trials do not repeat conditions (no condition labels, "
                                   "or one trial per condition), so a trial-averaged PSTH would average unrelated "
                                   "trials")
    if hasattr(res.model, "history_"):
        h = res.model.history_
        metrics["training"] = {"epochs": h.n_epochs, "best_epoch": h.best_epoch, "stopped": h.stopped}
    _save_model(run, res.model, name)
    np.savez_compressed(run.dir / "latents.npz", latents=res.latents, t_s=d.t_s,
                        train_trials=res.split.train_trials, test_trials=res.split.test_trials,
                        heldin=res.split.heldin, heldout=res.split.heldout)
    figs = _trial_figures(run, d, res, [base, s], embedding, seed, rec)
    text = [(f"{name} with {s.dim} latent dimensions on {d.counts.shape[0]} {d.source} of {d.counts.shape[1]} bins "
             f"× {d.counts.shape[2]} neurons ({bin_size_s} s bins). Scores are on {len(res.split.test_trials)} "
             f"test trials; co-smoothing predicts {len(res.split.heldout)} held-out neurons from the latents "
             "of the held-in ones (readout fitted on training trials).")]
    rows = [r.to_dict() for r in (base, s)]
    held = f"{len(res.split.heldout)} held-out neurons of {len(res.split.test_trials)} test trials"
    key = [quantity(f"co-bps ({name}, held-out)", s.co_bps, "bits/spike", note=held),
           quantity("smoothing co-bps (baseline, held-out)", base.co_bps, "bits/spike", note=held),
           quantity(f"behaviour R² from {name} latents (held-out)", s.behavior_r2, "1"),
           quantity("training time", s.train_s, "s")]
    sec = Section("latents", f"Latent structure: {name}", text, figs, [("Held-out scores", rows)], metrics)
    return [sec], key, metrics


def _save_model(run, model, name):
    if hasattr(model, "save"):
        model.save(run.dir / "model", metadata={"method": name})
    elif name == "gpfa":
        np.savez_compressed(run.dir / "model.npz", C=model.C_, d=model.d_, R=model.R_, tau_s=model.tau_s_)
    elif name == "fa":
        np.savez_compressed(run.dir / "model.npz", components=model.fa_.components_, mean=model.fa_.mean_,
                            noise_variance=model.noise_variance_)
    elif name == "pca":
        np.savez_compressed(run.dir / "model.npz", components=model.components_, mean=model.mean_,
                            scale=model.scale_)


def _behavior_labels(rec, name, k):
    """Legend names of the behaviour's ``k`` columns and its axis label (name and unit)."""
    ts = rec.behavior(name)
    if ts.circular:  # decoded as (cos, sin) of the angle
        return [f"cos {name}", f"sin {name}"], f"{name} (cos, sin)"
    cols = [str(c) for c in ts.columns][:k]
    return cols, f"{name} ({ts.units or 'no unit recorded'})"


def _trial_figures(run, d, res, scores, embedding, seed, rec):
    import matplotlib.pyplot as plt

    from ..latents import embed
    from ..plotting.latents import (
        plot_factors_vs_truth,
        plot_method_scores,
        plot_trajectories,
    )

    figs = []
    te = res.split.test_trials
    F = res.latents
    color = None
    if d.conditions is not None and len(np.unique(d.conditions)) > 1:
        color = d.conditions[te]
    elif d.behavior is not None:
        color = d.behavior[te][..., 0]
    k = min(3, F.shape[-1])
    ax = plot_trajectories(F[te][..., :k] if k >= 2 else np.concatenate([F[te], F[te]], -1), color,
                           title="latent trajectories (test trials)")
    save_figure(ax.figure, run.figures, "trajectories")
    figs.append(Figure("trajectories", "First latent dimensions of test trials, coloured by condition or behaviour."))
    sub = F[te][: max(1, 3000 // F.shape[1])]
    if sub.size and F.shape[-1] >= 2:
        E = embed(sub, embedding, 2, seed=seed)
        c = None if color is None else np.asarray(color)[: len(sub)]
        ax = plot_trajectories(E, c, title=f"{embedding} of latents (test trials)")
        save_figure(ax.figure, run.figures, "embedding")
        figs.append(Figure("embedding", f"{embedding} embedding of test-trial latents (for display only)."))
    ax = plot_method_scores(scores, "co_bps")
    save_figure(ax.figure, run.figures, "co_bps")
    figs.append(Figure("co_bps", "Held-out co-smoothing bits/spike against the smoothing baseline."))
    if d.behavior is not None and np.isfinite(scores[-1].behavior_r2):
        from sklearn.linear_model import RidgeCV

        tr = res.split.train_trials
        B = d.behavior
        ok = np.all(np.isfinite(B[tr].reshape(-1, B.shape[-1])), 1)
        m = RidgeCV().fit(F[tr].reshape(-1, F.shape[-1])[ok], B[tr].reshape(-1, B.shape[-1])[ok])
        fig, ax = plt.subplots(figsize=(7, 3.2))
        names, ylabel = _behavior_labels(rec, d.behavior_name, B.shape[-1])
        plot_factors_vs_truth(m.predict(F[te[0]]), B[te[0]], ax=ax, labels=names, ylabel=ylabel,
                              bin_size_s=d.bin_size_s,
                              title=f"{d.behavior_name} from latents, one test trial "
                                    f"(R² all test trials {scores[-1].behavior_r2:.2f})")
        save_figure(fig, run.figures, "behavior_from_latents")
        figs.append(Figure("behavior_from_latents", "Behaviour predicted linearly from latents (fitted on "
                                                     "training trials) on one test trial."))
    return figs


def _ring(rec, run, bin_size_s, seed):
    from ..latents import fit_ring
    from ..plotting.latents import plot_ring, plot_ring_decoding

    r = fit_ring(rec, bin_size_s=bin_size_s, seed=seed)
    metrics = {"method": "ring", "n_units": len(r.unit_ids), "unit_ids": r.unit_ids.tolist(),
               "bin_size_s": r.bin_size_s, "median_error_deg": r.median_error_deg, "fit_s": r.fit_s,
               "n_wake_bins": len(r.wake_angle), "n_sleep_bins": 0 if r.sleep_angle is None else len(r.sleep_angle),
               "alignment": None if r.alignment is None else {"sign": r.alignment.sign,
                                                              "offset_rad": r.alignment.offset_rad}}
    np.savez_compressed(run.dir / "model.npz", curve=r.model.curve_, curve_angle=r.model.curve_angle_,
                        unit_ids=r.unit_ids)
    arrays = {"wake_t_s": r.wake_t_s, "wake_angle": r.wake_angle, "wake_embedding": r.wake_embedding}
    if r.sleep_angle is not None:
        arrays.update(sleep_t_s=r.sleep_t_s, sleep_angle=r.sleep_angle, sleep_embedding=r.sleep_embedding)
    np.savez_compressed(run.dir / "latents.npz", **arrays)
    figs = []
    col = r.wake_hd if r.wake_hd is not None and np.isfinite(r.wake_hd).any() else r.wake_angle
    ax = plot_ring(r.wake_embedding, col, r.model.curve_, title="wake: Isomap ring (colour: tracked HD)")
    save_figure(ax.figure, run.figures, "ring_wake")
    figs.append(Figure("ring_wake", "Wake population activity embedded without behaviour; colour is the tracked "
                                    "head direction, black the fitted closed curve."))
    if r.alignment is not None:
        tr = np.flatnonzero(np.isfinite(r.wake_hd))
        sec = tr[len(tr) // 2:]
        ax = plot_ring_decoding(r.wake_t_s[sec], r.alignment.apply(r.wake_angle[sec]), r.wake_hd[sec],
                                title=f"second half of wake: median error {r.median_error_deg:.1f}°")
        save_figure(ax.figure, run.figures, "ring_decoding")
        figs.append(Figure("ring_decoding", "Ring angle (offset and direction fitted on the first half) against "
                                            "the tracked head direction on the second half."))
    if r.sleep_embedding is not None:
        from .._utils.quantity import count

        off = int(np.isnan(r.sleep_angle).sum())
        q = count("sleep bins off the wake ring (farther than 99 % of wake bins; no angle given)", off,
                  len(r.sleep_angle), "sleep bins")
        metrics["sleep_off_ring"] = q.to_json()
        metrics["off_ring_distance"] = r.model.off_ring_distance_
        ax = plot_ring(r.sleep_embedding, r.sleep_angle, r.model.curve_, title="sleep on the wake ring")
        save_figure(ax.figure, run.figures, "ring_sleep")
        figs.append(Figure("ring_sleep", "Sleep activity mapped into the wake embedding; colour is the ring angle "
                                         f"(no tracking during sleep); grey: {q.format()} off the ring, without "
                                         "an angle."))
    text = [(f"{len(r.unit_ids)} units; Isomap (5 neighbours, 3-D) of smoothed square-root counts in "
             f"{r.bin_size_s} s bins; a closed curve gives the angle. Only an offset and a direction are fitted "
             "to tracking (first half of wake); the error is measured on the second half.")]
    key = [quantity("median HD error (second half of wake)", r.median_error_deg, "deg"),
           number_of("units", len(r.unit_ids), "units")]
    return [Section("ring", "Head-direction ring (unsupervised)", text, figs, [], metrics)], key, metrics
