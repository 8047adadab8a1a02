"""Section: latent structure — FA (and GPFA) scored NLB-style, t-SNE trajectories, the head-direction ring."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..._utils.errors import NeurodiscoveryError
from ..._utils.quantity import quantity
from ..report import Section
from . import Skipped
from ._inputs import AnalysisInputs, plt


@dataclass(frozen=True)
class LatentsResult:
    """Latent models of the recording, a display embedding and the unsupervised ring.

    Attributes
    ----------
    fits : dict of str to LatentsFit
        :func:`~neurodiscovery.latents.fit_latents` per method (``AnalysisConfig.latent_methods``):
        fitted on held-in neurons of training trials (or ``latent_segment_s`` pseudo-trials of the
        wake epoch), scored on test trials (co-smoothing bits/spike, PSTH R², behaviour R²).
    embedding : ndarray, shape (trials, time, 2) or None
        t-SNE of the first method's latents of test trials (display only).
    embedding_color : ndarray, shape (trials,) or (trials, time), or None
        Condition per trial, or the behaviour per bin (an angle in radians for a circular one).
    color_label : str
    ring : RingResult or None
        :func:`~neurodiscovery.latents.fit_ring` on the head-direction units.
    source : str
        ``"trials"`` or ``"segments"`` (pseudo-trials cut from an epoch).
    segments_first_s : float or None
        When pseudo-trials were cut from only the first this many seconds (``latent_max_s``).
    skipped : dict of str to str
        Part -> why it was not computed.
    timings_s : dict of str to float
    """

    fits: dict
    embedding: np.ndarray | None
    embedding_color: np.ndarray | None
    color_label: str
    ring: object | None
    source: str
    skipped: dict = field(default_factory=dict)
    timings_s: dict = field(default_factory=dict)
    segments_first_s: float | None = None

    def to_metrics(self) -> dict:
        """Held-out scores per method, the ring's error to tracked head direction, skipped parts."""
        methods = {}
        for name, fit in self.fits.items():
            s = fit.result.scores
            methods[name] = {"dim": int(s.dim), "co_bps": _num(s.co_bps), "psth_r2": _num(s.psth_r2),
                             "behavior_r2": _num(s.behavior_r2), "train_s": round(float(s.train_s), 3),
                             "n_test_trials": int(len(fit.result.split.test_trials))}
        ring = None
        if self.ring is not None:
            r = self.ring
            ring = {"median_error_deg": _num(r.median_error_deg), "n_units": int(len(r.unit_ids)),
                    "bin_size_s": float(r.bin_size_s), "n_wake_bins": int(len(r.wake_angle)),
                    "n_sleep_bins": None if r.sleep_angle is None else int(len(r.sleep_angle))}
        return {"source": self.source, "segments_first_s": self.segments_first_s, "methods": methods, "ring": ring, "skipped_parts": dict(self.skipped),
                "timings_s": {k: round(v, 3) for k, v in self.timings_s.items()}}


def _num(x) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def _color(data, sub) -> tuple[np.ndarray | None, str]:
    if data.conditions is not None and len(np.unique(data.conditions)) > 1:
        return np.unique(data.conditions, return_inverse=True)[1][sub], "condition"
    if data.behavior is None:
        return None, ""
    b = data.behavior[sub]
    if not np.isfinite(b).any():
        return None, ""  # untracked throughout the embedded trials
    if _is_cos_sin(b):
        return np.mod(np.arctan2(b[..., 1], b[..., 0]), 2 * np.pi), f"{data.behavior_name} (rad)"
    return b[..., 0], str(data.behavior_name)


def _is_cos_sin(b: np.ndarray) -> bool:
    """A circular behaviour arrives as (cos, sin): two columns on the unit circle."""
    if b.shape[-1] != 2:
        return False
    r = np.hypot(b[..., 0], b[..., 1])
    return bool(np.isfinite(r).any() and np.nanmax(np.abs(r - 1)) < 1e-6)


def first_span(rec, epoch: str | None, max_s: float):
    """``rec`` restricted to the first ``max_s`` seconds of ``epoch`` (else of its time support).

    The recording itself when it is no longer; spikes read lazily stay on disk.
    """
    iv = rec.epoch(epoch) if epoch is not None else rec.time_support_s[None, :]
    ends = np.cumsum(iv[:, 1] - iv[:, 0])
    if ends[-1] <= max_s:
        return rec
    k = int(np.searchsorted(ends, max_s))
    cut = iv[: k + 1].copy()
    cut[-1, 1] = cut[-1, 0] + max_s - (ends[k - 1] if k else 0.0)
    return rec.restrict(intervals=cut)


def _fits(inputs: AnalysisInputs, cfg, epoch, skipped, timings) -> dict:
    from ...latents import fit_latents

    rec = inputs.rec if inputs.has_trials else first_span(inputs.rec, epoch, cfg.latent_max_s)
    n_heldin = rec.n_units - max(1, round(rec.n_units * 0.25))
    dim = max(1, min(cfg.latent_dim, n_heldin))
    fits = {}
    for name in cfg.latent_methods:
        t0 = time.perf_counter()
        try:
            fits[name] = fit_latents(rec, name, dim, bin_size_s=cfg.latent_bin_s, behavior=inputs.primary_behavior(),
                                     epoch=epoch, segment_s=cfg.latent_segment_s, seed=cfg.seed)
        except NeurodiscoveryError as exc:
            skipped[name] = str(exc)
        timings[name] = time.perf_counter() - t0
    return fits


def compute(inputs: AnalysisInputs, cfg, needs: dict) -> LatentsResult | Skipped:
    """FA/GPFA on trials (or wake segments), t-SNE of test-trial latents, the HD ring when HD units exist."""
    from ...latents import embed, fit_ring, hd_units

    rec = inputs.rec
    if rec.n_units < 4:
        return Skipped(f"latent models need at least 4 units (3 held in, 1 held out); this recording has "
                       f"{rec.n_units}.")
    skipped, timings = {}, {}
    epoch = "wake" if not inputs.has_trials and "wake" in rec.epochs else None
    fits = _fits(inputs, cfg, epoch, skipped, timings)
    emb = color = None
    label, source = "", next(iter(fits.values())).data.source if fits else ""
    if fits and cfg.latent_embedding != "none":
        first = next(iter(fits.values()))
        lat = first.result.latents
        if lat.shape[-1] >= 2:
            t0 = time.perf_counter()
            te = np.asarray(first.result.split.test_trials)
            if first.data.behavior is not None:  # tracked trials first, so the colours mean something
                tracked = np.isfinite(first.data.behavior[te]).all(axis=(1, 2))
                te = te[np.argsort(~tracked, kind="stable")]
            sub = te[: max(1, cfg.latent_embedding_points // lat.shape[1])]
            emb = embed(lat[sub], cfg.latent_embedding, 2, seed=cfg.seed)
            color, label = _color(first.data, sub)
            timings["embedding"] = time.perf_counter() - t0
    ring = None
    if len(hd_units(rec)) >= 3:
        t0 = time.perf_counter()
        try:
            ring = fit_ring(rec, bin_size_s=cfg.ring_bin_s, seed=cfg.seed,
                            behavior="head_direction" if "head_direction" in rec.behaviors else None)
        except NeurodiscoveryError as exc:
            skipped["ring"] = str(exc)
        timings["ring"] = time.perf_counter() - t0
    else:
        skipped["ring"] = "fewer than 3 units in a head-direction region (adn, ad, hd, pos, postsubiculum)."
    if not fits and ring is None:
        return Skipped("; ".join(f"{k}: {v}" for k, v in skipped.items()))
    cut = not inputs.has_trials and first_span(rec, epoch, cfg.latent_max_s) is not rec
    return LatentsResult(fits, emb, color, label, ring, source, skipped, timings,
                         float(cfg.latent_max_s) if cut and source == "segments" else None)


def _render_ring(ring, sec: Section, figures) -> None:
    from ...plotting.latents import plot_ring, plot_ring_decoding

    pyplot = plt()
    n = 2 if ring.sleep_embedding is not None else 1
    fig, axs = pyplot.subplots(1, n, figsize=(4.8 * n, 4), squeeze=False)
    curve = getattr(ring.model, "curve_", None)
    plot_ring(ring.wake_embedding, ring.wake_angle, curve, ax=axs[0, 0], title="wake: ring angle")
    if n == 2:
        plot_ring(ring.sleep_embedding, ring.sleep_angle, curve, ax=axs[0, 1], title="sleep on the same ring")
    sec.figures.append(figures.save(fig, "hd_ring",
                                    f"Unsupervised ring of {len(ring.unit_ids)} head-direction units: embedding of "
                                    f"smoothed {ring.bin_size_s * 1000:.0f} ms activity (no behaviour used), the "
                                    "fitted closed curve (black) and each bin's angle along it"
                                    + ("; right: the sleep epoch mapped onto the same ring." if n == 2 else ".")))
    if ring.alignment is not None and ring.wake_hd is not None:
        fig, ax = pyplot.subplots(figsize=(9, 2.8))
        half = len(ring.wake_t_s) // 2
        sl = slice(half, min(len(ring.wake_t_s), half + int(round(120 / ring.bin_size_s))))
        plot_ring_decoding(ring.wake_t_s[sl], ring.alignment.apply(ring.wake_angle[sl]), ring.wake_hd[sl], ax=ax,
                           title=f"ring angle vs tracked head direction (median error "
                                 f"{ring.median_error_deg:.1f}°)")
        sec.figures.append(figures.save(fig, "hd_ring_vs_tracking",
                                        "Ring angle (red), after fitting only an offset and a direction on the first "
                                        "half of wake, against the tracked head direction (black) over 120 s of "
                                        "the second half."))
        sec.key_numbers.append(quantity("HD ring median error (unsupervised)", ring.median_error_deg, "deg"))
    if ring.sleep_angle is not None:
        off = int(np.isnan(ring.sleep_angle).sum())
        sec.text.append(f"The sleep epoch ({len(ring.sleep_angle)} bins, no tracking) is mapped onto the ring "
                        f"found during wake; {off} of {len(ring.sleep_angle)} sleep bins lie farther from it than "
                        "99 % of wake bins and get no angle (grey).")


def render(res: LatentsResult, figures) -> Section:
    """Held-out score table, t-SNE trajectories, the ring figures."""
    from ...plotting.latents import plot_trajectories

    sec = Section("latents", "")
    if res.fits:
        rows = [{"method": n, "dim": m["dim"], "co-bps (held-out neurons)": _fmt(m["co_bps"]),
                 "PSTH R²": _fmt(m["psth_r2"]), "behaviour R²": _fmt(m["behavior_r2"]), "fit (s)": f"{m['train_s']:.1f}"}
                for n, m in res.to_metrics()["methods"].items()]
        sec.tables.append(("Latent models on held-out trials (NLB-style co-smoothing)", rows))
        what = "trials" if res.source == "trials" else "2 s wake segments" + (
            f" (cut from the first {res.segments_first_s:g} s)" if res.segments_first_s else "")
        sec.text.append(f"Each model is fitted on the held-in 75 % of the units over the training {what} and "
                        "predicts the held-out units of the test trials from its latents (bits/spike above a "
                        "mean-rate model); behaviour R² is a ridge readout of the latents, fitted on training trials.")
        best = max(res.fits, key=lambda n: res.fits[n].result.scores.co_bps)
        sec.key_numbers.append(quantity(f"Latent co-bps ({best}, held-out)", res.fits[best].result.scores.co_bps,
                                        "bits/spike", note="held-out units of test trials, above a mean-rate model"))
    if res.embedding is not None:
        fig, ax = plt().subplots(figsize=(5, 4))
        cmap = "hsv" if "rad" in res.color_label else "viridis"
        plot_trajectories(res.embedding, res.embedding_color, ax=ax, cmap=cmap,
                          title=f"t-SNE of {next(iter(res.fits))} latents")
        sec.figures.append(figures.save(fig, "latent_tsne_trajectories",
                                        f"t-SNE of the latents of {len(res.embedding)} test trials "
                                        f"(dot = trial start), coloured by {res.color_label or 'trial'}; "
                                        "distances in t-SNE are not metric (display only)."))
    if res.ring is not None:
        _render_ring(res.ring, sec, figures)
    for part, reason in res.skipped.items():
        sec.text.append(f"{part} skipped: {reason}")
    return sec


def _fmt(x) -> str:
    return "n/a" if x is None else f"{x:.3f}"
