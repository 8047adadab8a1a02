"""``decode``: cross-validated decoder comparison of one behaviour, as a :class:`~.command.Command`.

``execute("decode", DecodeParams(target="head_direction"), inputs=recording)`` is the CLI's path;
:func:`run_decode` is the keyword form kept for existing callers.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .._utils.errors import InputError
from .._utils.metrics_schema import integer, mapping, number, obj, text
from .._utils.params import Params, option
from .._utils.quantity import count, quantity
from .command import Command, execute, progress_callback
from .report import Section

__all__ = ["COMMAND", "DecodeParams", "DecodeResult", "run_decode"]

_DECODER_NAMES = ("wiener", "wiener_cascade", "kalman", "bayes", "mlp", "gru", "lstm")
_NETWORKS = ("mlp", "gru", "lstm")


@dataclass(frozen=True)
class DecodeParams(Params):
    """Parameters of ``decode`` (the CLI options are generated from these declarations)."""

    target: str = option(help="behaviour to decode (e.g. head_direction)")
    file: str | None = option(None, "NWB or NPZ recording (default: the built-in head-direction recording; "
                              "'builtin:NAME' for another built-in dataset)", positional=True, show_default=False)
    decoders: tuple[str, ...] | None = option(
        None, "decoders: wiener, wiener_cascade, kalman, bayes, mlp, gru, lstm "
        "(default: neurodiscovery.decoding.DEFAULT_DECODERS)", choices=_DECODER_NAMES, show_default=False)
    bin_size_s: float = option(0.05, "bin width", unit="s", low=0, low_open=True, flag="--bin-size")
    epoch: str | None = option(None, "restrict to this epoch (e.g. wake)")
    regions: tuple[str, ...] | None = option(None, "regions to keep (default all units)", show_default=False)
    bins_before: int = option(4, "spike-history bins before", low=0)
    bins_after: int = option(4, "spike-history bins after", low=0)
    n_splits: int = option(5, "blocked cross-validation folds", low=2)
    preset: str = option("reference", "named decoder settings of neurodiscovery.decoding.DECODER_PRESETS "
                         "(analyze uses 'fast')", choices=("reference", "fast"))
    transform: str = option("sqrt", "feature transform of the counts (Bayes always uses raw counts)",
                            choices=("sqrt", "none"))
    shuffle_control: bool = option(True, "skip the time-shifted chance control", flag="--no-control")
    seed: int = option(0, "random seed", low=0)
    quick: bool = option(False, "short network training (smoke runs)")
    n_threads: int = option(1, "torch and BLAS CPU threads (1: these small models gain nothing from more, and "
                            "extra threads thrash a shared machine)", low=1, flag="--threads")

    def __post_init__(self) -> None:
        if self.decoders is not None:
            unknown = [d for d in self.decoders if d not in _DECODER_NAMES]
            if unknown or not self.decoders:
                raise InputError(f"unknown decoder(s) {', '.join(unknown) or '(none given)'}; "
                                 f"available: {', '.join(_DECODER_NAMES)}")
        super().__post_init__()


@dataclass(frozen=True)
class DecodeResult:
    """Typed result of ``decode``: the params and the :class:`~neurodiscovery.decoding.DecodingResult`."""

    params: DecodeParams
    decoding: object

    def key_numbers(self) -> list:
        """Held-out R² of every decoder on the real behaviour, and the samples scored."""
        res = self.decoding
        n_used, n_silent = _units(res)
        out = [count("time bins scored", res.config["n_samples"],
                     res.config["n_samples"] + res.config["n_nan_targets_dropped"], "time bins",
                     note="bins whose behaviour is undefined (NaN) are dropped"),
               count("units decoded from", n_used, n_used + n_silent, "units",
                     note="units without a spike in the analysed bins are dropped")]
        for r in res.table:
            if r.control == "none":
                out.append(quantity(f"{r.decoder}: {self.params.target} R² (held-out folds, mean)", r.r2_mean, "1"))
        return out

    def to_metrics(self) -> dict:
        """``target``, per-decoder scores and sample counts."""
        res = self.decoding
        summary = {r.decoder + ("" if r.control == "none" else f"[{r.control}]"):
                   {k: v for k, v in r.to_dict().items() if not isinstance(v, list)} for r in res.table}
        circular = bool(res.config.get("circular"))
        n_used, n_silent = _units(res)
        # a circular target is decoded as (cos, sin): its RMSE is on the unit circle, not in the angle's unit
        return {"target": self.params.target, "target_units": res.config.get("target_units") or None,
                "rmse_units": "1" if circular else (res.config.get("target_units") or None),
                "n_units": n_used, "n_units_dropped_silent": n_silent,
                "decoders": summary, "n_samples": res.config["n_samples"],
                "n_nan_targets_dropped": res.config["n_nan_targets_dropped"]}


def _units(res) -> tuple[int, int]:
    """``(units decoded from, silent units dropped)`` of a decoding result."""
    return int(res.config.get("n_neurons", 0)), len(res.config.get("dropped_silent_neurons") or ())


def _describe(params: DecodeParams, recording, result=None) -> dict:
    """``config.json`` entries: the decoders actually run (the default list resolved) and the recording."""
    from ..decoding import DEFAULT_DECODERS, decoder_preset

    return {"decoders_used": list(DEFAULT_DECODERS if params.decoders is None else params.decoders),
            "decoder_settings": decoder_preset(params.preset) or "library defaults",
            "recording": getattr(recording, "name", None), "n_units_in_file": int(getattr(recording, "n_units", 0))}


def _load(params: DecodeParams):
    from ._cli_inputs import load_recording

    return load_recording(params.file)


def compute(params: DecodeParams, recording) -> DecodeResult:
    """Cross-validate the decoders of ``params.target`` on ``recording`` (no files, no figures)."""
    from ..decoding import DEFAULT_DECODERS, decode_recording, decoder_preset

    decoders = list(DEFAULT_DECODERS if params.decoders is None else params.decoders)
    res = decode_recording(recording, params.target, epoch=params.epoch, bin_size_s=params.bin_size_s,
                           decoders=decoders, regions=None if params.regions is None else list(params.regions),
                           n_splits=params.n_splits, bins_before=params.bins_before, bins_after=params.bins_after,
                           transform=params.transform, shuffle_control=params.shuffle_control, seed=params.seed,
                           quick=params.quick, decoder_params=decoder_preset(params.preset),
                           progress=progress_callback())
    return DecodeResult(params, res)


def render(result: DecodeResult, figures) -> list:
    """The comparison table and figures (bars of R², up to 60 s of predictions per decoder)."""
    res, target = result.decoding, result.params.target
    sec = Section("comparison", f"Decoding '{target}'")
    sec.tables.append((f"{target}: cross-validated scores (held-out folds)",
                       [{k: v for k, v in r.to_dict().items() if not isinstance(v, list)} for r in res.table]))
    sec.figures += _figures(figures, res, target)
    return [sec]


def _write(result: DecodeResult, folder: Path) -> None:
    import numpy as np

    res, target = result.decoding, result.params.target
    md = res.to_markdown()
    (folder / "comparison.md").write_text(f"# Decoding '{target}'\n\n{md}\n", encoding="utf-8")
    from .._utils.runfolder import write_json

    write_json(folder / "comparison.json", res.to_json())
    arrays = {}
    for name, pr in res.predictions.items():
        arrays.update({f"{name}__{k}": np.asarray(v) for k, v in pr.arrays().items()})
        arrays[f"{name}__t_s"] = res.t_s[pr.sample_index]
    np.savez_compressed(folder / "predictions.npz", **arrays)


def _figures(figures, res, target: str) -> list:
    """Decoder comparison bars and, per decoder, up to 60 s of the first test fold's predictions."""
    from matplotlib.figure import Figure

    from ..plotting import plot_decoder_comparison, plot_predictions

    circ = res.config["circular"]
    fig = Figure(figsize=(6, 3.5))
    plot_decoder_comparison(res.table, "r2_mean", title=f"{target}: cross-validated R²", ax=fig.add_subplot(111))
    out = [figures.save(fig, "comparison_r2", f"{target}: held-out R² of every decoder (bars) and of the "
                                             "time-shifted chance control")]
    outs = res.config["output_names"]
    for name, pr in res.predictions.items():
        t = res.t_s[pr.sample_index]
        # the first test fold's contiguous stretch, at most 60 s, keeps the traces readable
        first = pr.fold == pr.fold[0]
        n_show = int(min(first.sum(), max(1, round(60.0 / max(res.config["bin_size_s"], 1e-9)))))
        yt, yp = (pr.theta_true[:, None], pr.theta_pred[:, None]) if circ else (pr.y_true, pr.y_pred)
        k = yt.shape[1]
        fig = Figure(figsize=(9, 3 if circ else 2.4 * k))
        axes = fig.subplots(k, 1, squeeze=False)
        for j in range(k):
            plot_predictions(yt[:n_show, j], yp[:n_show, j], t[:n_show], ax=axes[j, 0], circular=circ, label=name,
                             ylabel=f"{target} (deg)" if circ else str(outs[j]))
        row = res.row(name)
        ttl = f"{name}: R² {row.r2_mean:.3f}"
        if circ:
            ttl += f", median error {row.median_angular_error_deg:.1f}°"
        fig.suptitle(ttl)
        out.append(figures.save(fig, f"predicted_vs_true_{name}", f"{name}: predicted and true {target}, first "
                                                                  "test fold (at most 60 s)"))
    return out


def metrics_properties() -> dict:
    """Declared top-level keys of ``decode``'s ``metrics.json``."""
    row = obj({"decoder": text(nullable=False), "control": text(nullable=False), "nonlinear": {"type": "boolean"},
               "r2_mean": number("1", "R², mean over outputs and held-out folds"),
               "pearson_r2_mean": number("1", "squared Pearson correlation, mean"),
               "rmse_mean": number("rmse_units", "root mean squared error in metrics rmse_units (the "
                                   "behaviour's unit; '1' for a circular behaviour, scored on its (cos, sin))"),
               "r2_pooled_mean": number("1", "R² of all held-out predictions pooled"),
               "fit_time_s": number("s", "mean fit time per fold"),
               "n_folds": integer("1", "cross-validation folds"),
               "median_angular_error_deg": number("deg", "circular targets: median absolute angular error")},
              required=("decoder", "control", "r2_mean", "n_folds"))
    return {"target": text(nullable=False), "target_units": text("unit of the decoded behaviour"),
            "rmse_units": text("unit of every rmse_mean: the behaviour's, or '1' for a circular behaviour "
                               "(decoded and scored as cos and sin of the angle)"),
            "n_units": integer("1", "units the decoders read (silent units dropped)"),
            "n_units_dropped_silent": integer("1", "units without a spike in the analysed bins, dropped"),
            "decoders": mapping(row, "decoder (with [shifted] for the chance control) -> scores"),
            "n_samples": integer("1", "time bins scored"),
            "n_nan_targets_dropped": integer("1", "time bins dropped because the behaviour is undefined")}


def _line(run) -> str:
    from ._lines import key_line

    # one line; the full table is comparison.md in the run folder
    return key_line(run, f"decode {run.result.params.target}", n=6)


COMMAND = Command(
    "decode", "decode a behaviour from population activity with several decoders on blocked folds (with a "
    "time-shifted chance control); writes a comparison table and figures", DecodeParams, compute, render,
    metrics_properties, load=_load, write=_write, line=_line, describe=_describe,
    title=lambda p, r: f"neurodiscovery decode — {p.target}",
    uses_torch=lambda p: p.decoders is None or any(d in _NETWORKS for d in p.decoders))


def run_decode(recording, target: str, *, out: str | Path | None = None, progress=None, config: dict | None = None,
               **params) -> tuple[Path, str]:
    """Decode ``target`` with several decoders on blocked folds and write a run folder.

    Parameters
    ----------
    recording : Recording
    target : str
        Behaviour name.
    out : path, optional
        Run folder to create (must not exist); default ``runs/<UTC>-decode``.
    progress : callable, optional
        Called with a status line after every fold.
    config : dict, optional
        Extra entries for ``config.json``.
    **params
        Any field of :class:`DecodeParams` (``decoders``, ``bin_size_s``, ``n_splits``, ...).

    Returns
    -------
    (Path, str)
        The run folder (``comparison.md``, ``comparison.json``, ``metrics.json``,
        ``predictions.npz`` with ``<decoder>__<array>`` and ``<decoder>__t_s``, ``figures/``,
        ``report.html``) and the Markdown comparison table.
    """
    run = execute(COMMAND, DecodeParams(target=target, **params), inputs=recording, out=out, progress=progress,
                  config=config)
    return run.path, run.result.decoding.to_markdown()
