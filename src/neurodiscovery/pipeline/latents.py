"""``latents``: fit one latent method to a recording and score it on held-out data, as a :class:`~.command.Command`.

``execute("latents", LatentsParams(method="gpfa", dim=10), inputs=recording)`` is the CLI's path;
:func:`run_latents` is the keyword form kept for existing callers. The run folder holds
``metrics.json`` (held-out co-bps, PSTH R², behaviour R², training time; for ``ring`` the median
error to tracked head direction), ``figures/``, the saved model (``model/`` checkpoint for torch
models, ``model.npz`` for the others), ``latents.npz`` and ``report.html``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .._utils.errors import InputError
from .._utils.metrics_schema import any_json, integer, number, obj, quantity_field, text
from .._utils.params import Params, option
from .._utils.quantity import count, quantity
from .command import Command, execute

__all__ = ["CLI_METHODS", "COMMAND", "LatentsParams", "LatentsResult", "run_latents"]

CLI_METHODS = ("pca", "fa", "gpfa", "vae", "gaussian_vae", "seqvae", "ring", "smoothing")
_TORCH = ("vae", "gaussian_vae", "seqvae")


@dataclass(frozen=True)
class LatentsParams(Params):
    """Parameters of ``latents`` (the CLI options are generated from these declarations)."""

    file: str | None = option(None, "NWB or NPZ recording (default: the built-in head-direction recording; "
                              "'builtin:NAME' for another built-in dataset)", positional=True, show_default=False)
    method: str = option("gpfa", "latent method (vae is the Poisson VAE; ring: the head-direction ring found "
                         "without behaviour)", choices=CLI_METHODS)
    dim: int = option(10, "latent dimension (not used by ring, which is 3-D Isomap -> 1-D angle)", low=1)
    bin_size_s: float | None = option(None, "bin width (s); default 0.02, ring 0.1", unit="s", low=0,
                                      low_open=True, flag="--bin-size", show_default=False)
    behavior: str | None = option(None, "behaviour to decode from the latents (default: the first)")
    epoch: str | None = option(None, "restrict to this epoch (e.g. wake)")
    segment_s: float = option(2.0, "pseudo-trial length when the recording has no trials", unit="s", low=0,
                              low_open=True, flag="--segment")
    embedding: str = option("tsne", "display embedding of the latents (umap needs umap-learn)",
                            choices=("tsne", "umap", "pca"))
    max_train_s: float | None = option(None, "training time limit of vae/seqvae", unit="s", low=0, low_open=True)
    max_epochs: int | None = option(None, "epoch limit of vae/seqvae", low=1)
    seed: int = option(0, "random seed", low=0)
    n_threads: int = option(1, "torch and BLAS threads", low=1, flag="--threads")

    @property
    def bin_s(self) -> float:
        """The bin width used: ``bin_size_s``, else 0.1 s for ``ring`` and 0.02 s otherwise."""
        return self.bin_size_s or (0.1 if self.method == "ring" else 0.02)


@dataclass(frozen=True)
class LatentsResult:
    """Typed result of ``latents``.

    Attributes
    ----------
    params : LatentsParams
    recording : str
        Name of the recording.
    metrics : dict
        The run's own ``metrics.json`` keys (see :func:`metrics_properties`).
    fit : LatentsFit or None
        Trial methods: data, split, model, latents and scores.
    baseline : Scores or None
        Trial methods: the smoothing baseline on the same split.
    ring : RingResult or None
        ``ring``: the fitted ring and its angles.
    behavior_labels : (list of str, str) or None
        Legend names of the behaviour's columns and its axis label (name and unit).
    """

    params: LatentsParams
    recording: str
    metrics: dict
    fit: object = None
    baseline: object = None
    ring: object = None
    behavior_labels: tuple | None = None

    def key_numbers(self) -> list:
        """Held-out co-bps (method and smoothing baseline), behaviour R² and training time; ring: HD error."""
        m = self.metrics
        if self.ring is not None:
            return [quantity("median HD error (second half of wake)", m["median_error_deg"], "deg"),
                    count("units on the ring (head-direction regions; all units when none is labelled)",
                          m["n_units"], m.get("n_units_total", m["n_units"]), "units")]
        name = m["method"]
        held = f"{m['n_heldout_neurons']} held-out neurons of {m['n_test_trials']} test trials"
        return [quantity(f"co-bps ({name}, held-out)", m["co_bps"], "bits/spike", note=held),
                quantity("smoothing co-bps (baseline, held-out)", m["smoothing_co_bps"], "bits/spike", note=held),
                quantity(f"behaviour R² from {name} latents (held-out)", m["behavior_r2"], "1"),
                quantity("training time", m["train_s"], "s")]

    def to_metrics(self) -> dict:
        """The method's scores, sizes and split (see :func:`metrics_properties`)."""
        return dict(self.metrics)


def _load(params: LatentsParams):
    from ._cli_inputs import load_recording

    return load_recording(params.file)


def _model_kwargs(method, max_train_s, max_epochs) -> dict:
    kw = {}
    if method in ("seqvae", "poisson_vae", "gaussian_vae"):
        if max_train_s is not None:
            kw["time_budget_s"] = float(max_train_s)
        if max_epochs is not None:
            kw["max_epochs"] = int(max_epochs)
    return kw


def compute(params: LatentsParams, rec) -> LatentsResult:
    """Fit ``params.method`` to ``rec`` and score it on held-out trials and neurons (no files, no figures)."""
    if rec.n_units == 0:
        raise InputError(f"{rec.name} has no units: there is no population activity to fit latents to")
    if params.method == "ring":
        return _ring(params, rec)
    if getattr(rec, "traces", None) is not None and not getattr(rec, "spike_times", None):
        # every method is scored by the Poisson likelihood of held-out neurons' spike counts (co-bps)
        raise InputError(f"{rec.name} holds imaging traces, not spikes: latents scores held-out neurons' spike "
                         "counts (co-bps, bits/spike) and needs a spike recording; run 'analyze' for imaging data")
    import numpy as np

    from ..latents import fit_and_score, fit_latents

    name = {"vae": "poisson_vae"}.get(params.method, params.method)
    fit = fit_latents(rec, name, params.dim, bin_size_s=params.bin_s, behavior=params.behavior, epoch=params.epoch,
                      segment_s=params.segment_s, seed=params.seed,
                      model_kwargs=_model_kwargs(name, params.max_train_s, params.max_epochs))
    d, res = fit.data, fit.result
    base = fit_and_score("smoothing", d.counts, bin_size_s=params.bin_s, behavior=d.behavior,
                         conditions=d.conditions, split=res.split, seed=params.seed).scores
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
    labels = _behavior_labels(rec, d.behavior_name, d.behavior.shape[-1]) if d.behavior is not None else None
    return LatentsResult(params, rec.name, metrics, fit=fit, baseline=base, behavior_labels=labels)


def _behavior_labels(rec, name, k) -> tuple:
    """Legend names of the behaviour's ``k`` columns and its axis label (name and unit)."""
    ts = rec.behavior(name)
    if ts.circular:  # decoded as (cos, sin) of the angle
        return [f"cos {name}", f"sin {name}"], f"{name} (cos, sin)"
    return [str(c) for c in ts.columns][:k], f"{name} ({ts.units or 'no unit recorded'})"


def _ring(params: LatentsParams, rec) -> LatentsResult:
    import numpy as np

    from .._utils.quantity import count
    from ..latents import fit_ring

    r = fit_ring(rec, bin_size_s=params.bin_s, seed=params.seed)
    metrics = {"method": "ring", "n_units": len(r.unit_ids), "n_units_total": int(rec.n_units),
               "unit_ids": r.unit_ids.tolist(),
               "bin_size_s": r.bin_size_s, "median_error_deg": r.median_error_deg, "fit_s": r.fit_s,
               "n_wake_bins": len(r.wake_angle), "n_sleep_bins": 0 if r.sleep_angle is None else len(r.sleep_angle),
               "alignment": None if r.alignment is None else {"sign": r.alignment.sign,
                                                              "offset_rad": r.alignment.offset_rad}}
    if r.sleep_embedding is not None:
        off = int(np.isnan(r.sleep_angle).sum())
        metrics["sleep_off_ring"] = count("sleep bins off the wake ring (farther than 99 % of wake bins; no angle "
                                          "given)", off, len(r.sleep_angle), "sleep bins").to_json()
        metrics["off_ring_distance"] = r.model.off_ring_distance_
    return LatentsResult(params, rec.name, metrics, ring=r)


def metrics_properties() -> dict:
    """Declared top-level keys of ``latents``' ``metrics.json`` (trial methods, or ``ring``)."""
    n = integer
    return {"method": text(nullable=False), "dim": n("1", "latent dimensions"),
            "co_bps": number("bits/spike", "co-smoothing of held-out neurons, test trials"),
            "psth_r2": number("1"), "behavior_r2": number("1"),
            "psth_r2_note": text("why the PSTH R² is not reported (trials do not repeat conditions)"),
            "recon_bps": number("bits/spike", "held-in neurons reconstructed, test trials"),
            "train_s": number("s", "fitting wall time"),
            "smoothing_co_bps": number("bits/spike", "co-smoothing of the smoothing baseline"),
            "n_trials": n("1", "trials"), "n_time_bins": n("1", "bins per trial"), "n_neurons": n("1", "neurons"),
            "n_train_trials": n("1", "trials"), "n_test_trials": n("1", "trials"),
            "n_heldout_neurons": n("1", "neurons"), "behavior": text(), "trials_from": text(),
            "training": obj({"epochs": n("1", "epochs"), "best_epoch": n("1", "epoch", nullable=True),
                             "stopped": text()}, required=()),
            # method "ring"
            "n_units": n("1", "units"), "n_units_total": n("1", "units in the recording (ring: of which n_units used)"),
            "unit_ids": any_json("unit ids of the file"),
            "bin_size_s": number("s"), "median_error_deg": number("deg", "second half of wake"),
            "fit_s": number("s"), "n_wake_bins": n("1", "bins"), "n_sleep_bins": n("1", "bins"),
            "sleep_off_ring": quantity_field("sleep bins off the wake ring (no angle given)"),
            "off_ring_distance": number("1", "distance from wake activity (square-root counts) beyond which a "
                                             "bin is off the ring"),
            "alignment": {"anyOf": [{"type": "null"}, obj({"sign": integer("1", "+1 or -1"),
                                                              "offset_rad": number("rad")})]}}




def _line(run) -> str:
    from ._lines import key_line

    return key_line(run, f"latents {run.result.params.method}", n=4)


def _render(result, figures):
    from .latents_report import render

    return render(result, figures)


def _write(result, folder):
    from .latents_report import write

    write(result, folder)


COMMAND = Command(
    "latents", "fit a latent model (pca, fa, gpfa, vae, seqvae) and score it on held-out trials and neurons "
    "(co-bps, PSTH R², behaviour R²), or find the head-direction ring without behaviour (ring)", LatentsParams,
    compute, _render, metrics_properties, load=_load, write=_write, line=_line,
    title=lambda p, r: f"Latent structure ({p.method}) — {r.recording}",
    uses_torch=lambda p: p.method in _TORCH, schema_version=2, metrics_required=("method",))


def run_latents(rec, method: str | None = None, dim: int | None = None, *, out=None, config: dict | None = None,
                **params) -> Path:
    """Fit ``method`` to ``rec`` and write a run folder; returns its path.

    Parameters
    ----------
    rec : Recording
    method : str, optional
        One of :data:`CLI_METHODS` (``vae`` is the Poisson VAE); default :class:`LatentsParams`'.
    dim : int, optional
        Latent dimension (not used by ``ring``); default :class:`LatentsParams`'.
    out : path, optional
        Run folder to create (default ``runs/<UTC>-latents``).
    config : dict, optional
        Extra entries for ``config.json``.
    **params
        Any other field of :class:`LatentsParams` (``bin_size_s``, ``behavior``, ``epoch``,
        ``segment_s``, ``seed``, ``max_train_s``, ``max_epochs``, ``embedding``).
    """
    given = {k: v for k, v in (("method", method), ("dim", dim)) if v is not None}
    run = execute(COMMAND, LatentsParams(**given, **params), inputs=rec, out=out,
                  config={"recording": rec.name, **(config or {})})
    return run.path

