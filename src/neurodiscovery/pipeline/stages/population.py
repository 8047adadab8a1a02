"""Section 5: population structure by PCA (behaving period; condition trajectories with trials)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._utils.quantity import number_of, quantity
from ..report import Section
from . import Skipped
from ._inputs import AnalysisInputs, plt


@dataclass(frozen=True)
class TrialPCA:
    """PCA of condition-averaged trials.

    Attributes
    ----------
    trajectories : ndarray, shape (trials, time, components)
        Single trials projected on the PCs of the condition means.
    conditions : ndarray, shape (trials,)
    explained_variance_ratio : ndarray, shape (components,)
    silhouette : float
        Separation of the single trials by condition in the top 3 PCs (1 = separate, 0 = overlapping).
    """

    trajectories: np.ndarray
    conditions: np.ndarray
    explained_variance_ratio: np.ndarray
    silhouette: float


@dataclass(frozen=True)
class PopulationResult:
    """PCA of the smoothed population activity.

    Attributes
    ----------
    explained_variance_ratio : ndarray, shape (components,)
    n_components_80pct : int or None
        PCs needed for 80 % of the variance (None when all fitted PCs hold less).
    pcs : ndarray, shape (bins, components)
        Projection of the analysed bins.
    behavior : str or None
        Primary behaviour the PC scatter is coloured by.
    behavior_values : ndarray, shape (bins,) or None
    behavior_label : str
    circular : bool
    smooth_s : float
    n_bins : int
    bin_size_s : float
    trials : TrialPCA or None
    """

    explained_variance_ratio: np.ndarray
    n_components_80pct: int | None
    pcs: np.ndarray
    behavior: str | None
    behavior_values: np.ndarray | None
    behavior_label: str
    circular: bool
    smooth_s: float
    n_bins: int
    bin_size_s: float
    trials: TrialPCA | None

    def to_metrics(self) -> dict:
        """Explained variance, 80 % component count, bins; trial-PCA silhouette when trials exist."""
        m = {"explained_variance_ratio": self.explained_variance_ratio.tolist(),
             "n_components_80pct": self.n_components_80pct, "smooth_s": self.smooth_s, "n_bins": self.n_bins}
        if self.trials is not None:
            m["trial_pca_condition_silhouette"] = self.trials.silhouette
            m["trial_pca_explained_variance_ratio"] = self.trials.explained_variance_ratio.tolist()
        return m


def _trial_pca(inputs: AnalysisInputs, cfg) -> TrialPCA:
    from ...data import gaussian_smooth
    from ...latents import PopulationPCA, condition_separation

    a = inputs.alignment().aligned
    Xt = gaussian_smooth(a.counts, cfg.smooth_s / 2, a.bin_size_s, axis=1)
    cond = a.conditions
    cond_mean = np.stack([Xt[cond == c].mean(0) for c in np.unique(cond)])
    tp = PopulationPCA(n_components=min(6, inputs.rec.n_units)).fit(cond_mean)
    traj = tp.transform(Xt)
    return TrialPCA(traj, cond, tp.explained_variance_ratio_, condition_separation(traj[:, :, :3], cond))


def compute(inputs: AnalysisInputs, cfg, needs: dict) -> PopulationResult | Skipped:
    """PCA of smoothed counts (the tracked period when long enough) and of condition-averaged trials."""
    from ...data import gaussian_smooth
    from ...latents import PopulationPCA

    rec = inputs.rec
    if rec.n_units < 3:
        return Skipped(f"PCA needs at least 3 units; this recording has {rec.n_units}.")
    b = inputs.binned()
    X = gaussian_smooth(b.counts, cfg.smooth_s, b.bin_size_s, segment=b.segment)
    pb = inputs.primary_behavior()
    mask = np.ones(b.n_bins, bool)
    if pb is not None and b.valid(pb).sum() > cfg.min_pca_bins:
        mask = b.valid(pb)  # PCA on the behaving period, where the trajectories mean something
    Xm = X if mask.all() else X[mask]  # no copy of a session's activity when all of it is used
    pca = PopulationPCA(n_components=min(cfg.max_pcs, rec.n_units), copy=False)  # Xm is ours to overwrite
    pcs = pca.fit_transform(Xm)
    evr = pca.explained_variance_ratio_
    n80 = int(np.searchsorted(np.cumsum(evr), 0.8) + 1) if np.cumsum(evr)[-1] >= 0.8 else None
    values, label, circ = None, "", False
    if pb is not None:
        ts = rec.behavior(pb)
        values, circ = b.behavior(pb)[mask, 0], bool(ts.circular)
        label = f"{pb} ({ts.units or 'a.u.'}; {ts.columns[0]})"
    trials = _trial_pca(inputs, cfg) if inputs.has_conditions else None
    return PopulationResult(evr, n80, pcs, pb, values, label, circ, float(cfg.smooth_s), int(mask.sum()),
                            float(b.bin_size_s), trials)


def render(res: PopulationResult, figures) -> Section:
    """Variance explained, PC scatter coloured by behaviour, condition trajectories."""
    from ...plotting import plot_trajectories_by_condition, plot_trajectories_by_value, plot_variance_explained

    sec = Section("population", "")
    pyplot = plt()
    fig, ax = pyplot.subplots(figsize=(4, 3))
    plot_variance_explained(res.explained_variance_ratio, ax=ax)
    sec.figures.append(figures.save(fig, "pca_variance", "Fraction of variance of the smoothed, square-root, "
                                                         "z-scored population activity explained by each "
                                                         "principal component."))
    if res.behavior is not None:
        fig, ax = pyplot.subplots(figsize=(4.8, 3.6))
        plot_trajectories_by_value(res.pcs, res.behavior_values, res.circular, res.behavior_label, ax=ax)
        sec.figures.append(figures.save(fig, "pca_by_behavior",
                                        f"Population state in PC1–PC2 at every {res.bin_size_s * 1000:.0f} ms "
                                        f"bin, coloured by {res.behavior}."))
    if res.trials is not None:
        fig, ax = pyplot.subplots(figsize=(4.8, 3.6))
        plot_trajectories_by_condition(res.trials.trajectories, res.trials.conditions, ax=ax)
        sec.figures.append(figures.save(fig, "pca_trajectories_by_condition",
                                        "Condition-averaged population trajectories in the top two PCs of the "
                                        "condition means (dot = trial start)."))
        sil = res.trials.silhouette
        sec.text.append(f"Single-trial trajectories (top 3 PCs) separate by condition with silhouette {sil:.2f} "
                        "(1 = perfectly separated clusters, 0 = overlapping).")
        sec.key_numbers.append(quantity("PCA condition separation (silhouette)", sil, "1"))
    n80 = res.n_components_80pct
    sec.key_numbers.append(number_of("PCs for 80 % variance", n80, "PCs") if n80 else
                           quantity("PCs for 80 % variance", None, note=f"more than the "
                                    f"{len(res.explained_variance_ratio)} PCs computed"))
    return sec
