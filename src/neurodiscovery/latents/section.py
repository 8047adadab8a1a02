"""The computation behind ``analyze``'s latent-structure section (pure: compute -> typed result)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .._utils.errors import NeurodiscoveryError
from .recording import LatentsFit, RingResult, fit_latents, fit_ring, hd_units


@dataclass(frozen=True)
class LatentStructure:
    """What the latent-structure section shows.

    Attributes
    ----------
    fa, gpfa : LatentsFit or None
        Factor analysis and GPFA on the recording's trials (or 2 s segments), scored on held-out trials.
    seqvae : LatentsFit or None
        LFADS-style seqVAE factors (only with a trial table; trained within ``seqvae_budget_s``).
    ring : RingResult or None
        The unsupervised head-direction ring (only when head-direction units are present).
    embedding : (trials, time, 2) or None
        t-SNE/UMAP of the GPFA latents of the test trials, for display.
    embedding_color : (trials,) or (trials, time) or None
        Condition per trial or first behaviour column per bin, for colouring the embedding.
    skipped : dict of str -> str
        Why a part was not computed.
    timings_s : dict of str -> float
    """

    fa: LatentsFit | None
    gpfa: LatentsFit | None
    seqvae: LatentsFit | None
    ring: RingResult | None
    embedding: np.ndarray | None
    embedding_color: np.ndarray | None
    skipped: dict = field(default_factory=dict)
    timings_s: dict = field(default_factory=dict)

    def metrics(self) -> dict:
        """Flat numbers for ``metrics.json`` (held-out scores, ring error)."""
        out = {}
        for name in ("fa", "gpfa", "seqvae"):
            fit = getattr(self, name)
            if fit is not None:
                out[name] = {k: v for k, v in fit.result.scores.to_dict().items() if k != "method"}
        if self.ring is not None:
            out["ring"] = {"median_error_deg": self.ring.median_error_deg, "n_units": len(self.ring.unit_ids)}
        out["skipped"] = dict(self.skipped)
        out["timings_s"] = dict(self.timings_s)
        return out


def latent_structure(rec, *, dim: int = 5, bin_size_s: float = 0.02, epoch: str | None = None,
                     seqvae_budget_s: float = 60.0, embedding: str = "tsne", seed: int = 0) -> LatentStructure:
    """FA and GPFA (and, with trials, a seqVAE) scored on held-out data, a display embedding, and the HD ring.

    Parameters
    ----------
    rec : Recording
    dim : int
        Latent dimension (reduced to the held-in neuron count when larger).
    bin_size_s : float
        Bin width of the trial models in seconds.
    epoch : str, optional
        Epoch to cut into segments when the recording has no trials (default ``"wake"`` if present).
    seqvae_budget_s : float
        Training-time budget of the seqVAE (0 skips it).
    embedding : {"tsne", "umap", "pca"}
    seed : int
    """
    from .embedding import embed

    skipped, timings = {}, {}
    if epoch is None and (rec.trials is None or len(rec.trials) < 2) and "wake" in rec.epochs:
        epoch = "wake"
    n_heldin = rec.n_units - max(1, round(rec.n_units * 0.25))
    k = max(1, min(dim, n_heldin))
    fits = {}
    for name in ("fa", "gpfa", "seqvae"):
        if name == "seqvae" and (rec.trials is None or len(rec.trials) < 20 or seqvae_budget_s <= 0):
            skipped[name] = "needs a trial table with at least 20 trials" if seqvae_budget_s > 0 else "disabled"
            fits[name] = None
            continue
        t0 = time.perf_counter()
        kw = {"time_budget_s": float(seqvae_budget_s)} if name == "seqvae" else None
        try:
            fits[name] = fit_latents(rec, name, k, bin_size_s=bin_size_s, epoch=epoch, seed=seed, model_kwargs=kw)
        except NeurodiscoveryError as exc:
            fits[name], skipped[name] = None, str(exc)
        timings[name] = time.perf_counter() - t0
    emb = color = None
    g = fits.get("gpfa")
    if g is not None and g.result.latents.shape[-1] >= 2:
        t0 = time.perf_counter()
        te = g.result.split.test_trials
        sub = te[: max(1, 2000 // g.result.latents.shape[1])]
        emb = embed(g.result.latents[sub], embedding, 2, seed=seed)
        d = g.data
        if d.conditions is not None and len(np.unique(d.conditions)) > 1:
            color = d.conditions[sub]
        elif d.behavior is not None:
            color = d.behavior[sub][..., 0]
        timings["embedding"] = time.perf_counter() - t0
    ring = None
    if len(hd_units(rec)) >= 3:
        t0 = time.perf_counter()
        try:
            ring = fit_ring(rec, seed=seed)
        except NeurodiscoveryError as exc:
            skipped["ring"] = str(exc)
        timings["ring"] = time.perf_counter() - t0
    else:
        skipped["ring"] = "no head-direction units (region adn/hd/pos)"
    return LatentStructure(fits["fa"], fits["gpfa"], fits["seqvae"], ring, emb, color, skipped, timings)
