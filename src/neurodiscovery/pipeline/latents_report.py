"""Report sections, figures and saved arrays of ``latents`` (see :mod:`.latents`)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .report import Section

__all__ = ["render", "write"]


def render(result, figures) -> list:
    """The held-out scores table and figures of a trial method, or the ring's figures.

    Parameters
    ----------
    result : LatentsResult
    figures : FigureWriter
    """
    return _ring_section(result, figures) if result.ring is not None else _trial_section(result, figures)


def write(result, folder: Path) -> None:
    """Save the model (``model/`` checkpoint or ``model.npz``) and ``latents.npz``.

    Parameters
    ----------
    result : LatentsResult
    folder : Path
        The run folder.
    """
    folder = Path(folder)
    if result.ring is not None:
        r = result.ring
        np.savez_compressed(folder / "model.npz", curve=r.model.curve_, curve_angle=r.model.curve_angle_,
                            unit_ids=r.unit_ids)
        arrays = {"wake_t_s": r.wake_t_s, "wake_angle": r.wake_angle, "wake_embedding": r.wake_embedding}
        if r.sleep_angle is not None:
            arrays.update(sleep_t_s=r.sleep_t_s, sleep_angle=r.sleep_angle, sleep_embedding=r.sleep_embedding)
        np.savez_compressed(folder / "latents.npz", **arrays)
        return
    d, res = result.fit.data, result.fit.result
    _save_model(folder, res.model, result.metrics["method"])
    np.savez_compressed(folder / "latents.npz", latents=res.latents, t_s=d.abs_t_s,
                        train_trials=res.split.train_trials, test_trials=res.split.test_trials,
                        heldin=res.split.heldin, heldout=res.split.heldout)


def _save_model(folder: Path, model, name: str) -> None:
    if hasattr(model, "save"):
        model.save(folder / "model", metadata={"method": name})
    elif name == "gpfa":
        np.savez_compressed(folder / "model.npz", C=model.C_, d=model.d_, R=model.R_, tau_s=model.tau_s_)
    elif name == "fa":
        np.savez_compressed(folder / "model.npz", components=model.fa_.components_, mean=model.fa_.mean_,
                            noise_variance=model.noise_variance_)
    elif name == "pca":
        np.savez_compressed(folder / "model.npz", components=model.components_, mean=model.mean_,
                            scale=model.scale_)


def _trial_section(result, figures) -> list:
    d, res, s, base = result.fit.data, result.fit.result, result.fit.result.scores, result.baseline
    name, bin_size_s = result.metrics["method"], result.params.bin_s
    text = [(f"{name} with {s.dim} latent dimensions on {d.counts.shape[0]} {d.source} of {d.counts.shape[1]} bins "
             f"× {d.counts.shape[2]} neurons ({bin_size_s} s bins). Scores are on {len(res.split.test_trials)} "
             f"test trials; co-smoothing predicts {len(res.split.heldout)} held-out neurons from the latents "
             "of the held-in ones (readout fitted on training trials).")]
    figs = _trial_figures(figures, result, [base, s])
    return [Section("latents", f"Latent structure: {name}", text, figs,
                    [("Held-out scores", [r.to_dict() for r in (base, s)])])]


def _trial_figures(figures, result, scores) -> list:
    import matplotlib.pyplot as plt

    from ..latents import embed
    from ..plotting.latents import plot_factors_vs_truth, plot_method_scores, plot_trajectories

    d, res, embedding, seed = result.fit.data, result.fit.result, result.params.embedding, result.params.seed
    out = []
    te = res.split.test_trials
    F = res.latents
    color = None
    if d.conditions is not None and len(np.unique(d.conditions)) > 1:
        color = d.conditions[te]
    elif d.behavior is not None:
        # trials without tracking (e.g. sleep) have no colour: draw the test trials that have one
        tracked = np.isfinite(d.behavior[te][..., 0]).any(axis=1)
        te = te[tracked] if tracked.any() else te
        color = d.behavior[te][..., 0] if tracked.any() else None
    k = min(3, F.shape[-1])
    ax = plot_trajectories(F[te][..., :k] if k >= 2 else np.concatenate([F[te], F[te]], -1), color,
                           title="latent trajectories (test trials)")
    out.append(figures.save(ax.figure, "trajectories", "First latent dimensions of test trials, coloured by "
                                                       "condition or behaviour."))
    sub = F[te][: max(1, 3000 // F.shape[1])]
    if sub.size and F.shape[-1] >= 2:
        E = embed(sub, embedding, 2, seed=seed)
        c = None if color is None else np.asarray(color)[: len(sub)]
        ax = plot_trajectories(E, c, title=f"{embedding} of latents (test trials)")
        out.append(figures.save(ax.figure, "embedding", f"{embedding} embedding of test-trial latents (for "
                                                        "display only)."))
    ax = plot_method_scores(scores, "co_bps")
    out.append(figures.save(ax.figure, "co_bps", "Held-out co-smoothing bits/spike against the smoothing baseline."))
    if d.behavior is not None and np.isfinite(scores[-1].behavior_r2):
        from sklearn.linear_model import RidgeCV

        tr = res.split.train_trials
        B = d.behavior
        ok = np.all(np.isfinite(B[tr].reshape(-1, B.shape[-1])), 1)
        # the display readout is refitted on training trials only, as the scored one is
        m = RidgeCV().fit(F[tr].reshape(-1, F.shape[-1])[ok], B[tr].reshape(-1, B.shape[-1])[ok])
        fig, ax = plt.subplots(figsize=(7, 3.2))
        names, ylabel = result.behavior_labels
        plot_factors_vs_truth(m.predict(F[te[0]]), B[te[0]], ax=ax, labels=names, ylabel=ylabel,
                              bin_size_s=d.bin_size_s,
                              title=f"{d.behavior_name} from latents, one test trial "
                                    f"(R² all test trials {scores[-1].behavior_r2:.2f})")
        out.append(figures.save(fig, "behavior_from_latents", "Behaviour predicted linearly from latents (fitted on "
                                                              "training trials) on one test trial."))
    return out


def _ring_section(result, figures) -> list:
    from .._utils.quantity import Quantity
    from ..plotting.latents import plot_ring, plot_ring_decoding

    r = result.ring
    figs = []
    col = r.wake_hd if r.wake_hd is not None and np.isfinite(r.wake_hd).any() else r.wake_angle
    ax = plot_ring(r.wake_embedding, col, r.model.curve_, title="wake: Isomap ring (colour: tracked HD)")
    figs.append(figures.save(ax.figure, "ring_wake", "Wake population activity embedded without behaviour; colour "
                                                     "is the tracked head direction, black the fitted closed curve."))
    if r.alignment is not None:
        tr = np.flatnonzero(np.isfinite(r.wake_hd))
        sec = tr[len(tr) // 2:]
        ax = plot_ring_decoding(r.wake_t_s[sec], r.alignment.apply(r.wake_angle[sec]), r.wake_hd[sec],
                                title=f"second half of wake: median error {r.median_error_deg:.1f}°")
        figs.append(figures.save(ax.figure, "ring_decoding", "Ring angle (offset and direction fitted on the first "
                                                             "half) against the tracked head direction on the "
                                                             "second half."))
    if r.sleep_embedding is not None:
        q = Quantity(**result.metrics["sleep_off_ring"])
        ax = plot_ring(r.sleep_embedding, r.sleep_angle, r.model.curve_, title="sleep on the wake ring")
        figs.append(figures.save(ax.figure, "ring_sleep", "Sleep activity mapped into the wake embedding; colour is "
                                                          "the ring angle (no tracking during sleep); grey: "
                                                          f"{q.format()} off the ring, without an angle."))
    text = [(f"{len(r.unit_ids)} units; Isomap (5 neighbours, 3-D) of smoothed square-root counts in "
             f"{r.bin_size_s} s bins; a closed curve gives the angle. Only an offset and a direction are fitted "
             "to tracking (first half of wake); the error is measured on the second half.")]
    return [Section("ring", "Head-direction ring (unsupervised)", text, figs, [])]
