"""``em train`` as a :class:`~.command.Command` (``em-train``); the other EM commands are ``em-segment``
(:mod:`.em_segment`), ``em-evaluate`` (:mod:`.em_evaluate`) and ``em-trace`` (:mod:`.em_trace`). The science is
in :mod:`neurodiscovery.connectomics.em`.

``execute("em-train", EmTrainParams(data="isbi.npz"))`` is the CLI's path; :func:`run_em_train` is the
keyword form kept for existing callers.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

from .._utils.metrics_schema import array, integer, number, obj
from .._utils.params import Params, option
from .._utils.quantity import number_of, quantity
from .command import Command, execute, progress_callback
from .report import Section

__all__ = ["COMMAND", "EmTrainParams", "EmTrainResult", "compute", "drop_empty_figures", "index_ranges",
           "run_em_train", "slice_scores_schema"]


def index_ranges(text: str) -> tuple[int, ...]:
    """``'0-13'`` or ``'0,2,5-7'`` -> z indices (``''`` -> none).

    Parameters
    ----------
    text : str

    Raises
    ------
    ValueError
        For an unparsable, negative or reversed range.
    """
    out: list[int] = []
    try:
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            if "-" in part[1:]:
                a, b = part.split("-", 1)
                lo, hi = int(a), int(b)
                if lo < 0 or hi < lo:
                    raise ValueError
                out.extend(range(lo, hi + 1))
            else:
                if int(part) < 0:
                    raise ValueError
                out.append(int(part))
    except ValueError:
        raise ValueError(f"expected slice indices like 0-13 or 0,2,5-7 (>= 0), got {text!r}") from None
    return tuple(out)


def drop_empty_figures(folder: Path) -> None:
    """Leave no empty ``figures/`` behind a command that drew nothing.

    Parameters
    ----------
    folder : Path
        The run folder.
    """
    f = Path(folder) / "figures"
    if f.is_dir() and not any(f.iterdir()):
        f.rmdir()


_SLICES = {"low": 0, "parse": index_ranges, "metavar": "Z"}


@dataclass(frozen=True)
class EmTrainParams(Params):
    """Parameters of ``em train`` (the CLI options are generated from these declarations)."""

    data: str = option(help="npz with 'raw' (z, y, x) uint8 and 'membrane_label' (z, y, x; 0 = membrane, "
                       "> 0 = interior)", positional=True)
    raw_key: str = option("raw", "array name of the raw images")
    label_key: str = option("membrane_label", "array name of the labels")
    train_slices: tuple[int, ...] = option(tuple(range(14)), "training slices, e.g. 0-13", **_SLICES)
    val_slices: tuple[int, ...] = option((14, 15), "validation slices: best-model selection and watershed tuning",
                                         **_SLICES)
    test_slices: tuple[int, ...] = option(tuple(range(16, 20)), "held-out slices scored at the end ('' to skip)",
                                          **_SLICES)
    base_channels: int = option(16, "U-Net channels of the first level", low=1)
    depth: int = option(4, "U-Net levels", low=1)
    target: str = option("boundary", "what the network predicts", choices=("boundary", "affinities"))
    loss: str = option("dice_bce", "training loss", choices=("dice_bce", "balanced_bce"))
    n_iter: int = option(2600, "training steps", low=1)
    batch_size: int = option(4, "patches per step", low=1)
    patch_px: int = option(192, "patch side", unit="px", low=8)
    lr: float = option(3e-3, "peak learning rate of the one-cycle schedule (AdamW)", low=0, low_open=True)
    weight_decay: float = option(1e-4, "weight decay (AdamW)", low=0)
    val_every: int = option(100, "steps between validations", low=1)
    elastic_p: float = option(0.5, "probability of an elastic deformation per patch", low=0, high=1)
    patch_z: int = option(8, "sections per crop (3-D models only)", low=1)
    time_limit_s: float = option(840.0, "training budget", unit="s", low=0, low_open=True)
    budget_clock: str = option("wall", "what --time-limit-s measures: wall seconds, or process CPU seconds / threads "
                               "(the fair budget on a shared machine)", choices=("wall", "cpu"))
    max_wall_s: float | None = option(None, "hard wall-clock cap in addition to --time-limit-s", unit="s", low=0,
                                      low_open=True, show_default=False)
    n_threads: int = option(2, "torch threads", low=1, flag="--threads")
    seed: int = option(0, "seeds initialisation, crops and augmentation", low=0)
    tune: bool = option(True, "skip the watershed parameter search", flag="--no-tune")


@dataclass(frozen=True)
class EmTrainResult:
    """Typed result of ``em train``: the params and the :class:`~neurodiscovery.connectomics.em.TrainedSegmenter`."""

    params: EmTrainParams
    trained: object

    def key_numbers(self) -> list:
        """Training time, steps done and (with test slices) the test adapted Rand error."""
        h = self.trained.history
        key = [quantity("U-Net training time", h["train_time_s"], "s"),
               number_of("training steps done", h["n_iter_done"], "steps")]
        if self.trained.test is not None:
            key.append(quantity("test adapted Rand error (mean over test slices)",
                                self.trained.test.mean("adapted_rand_error"), "1"))
        return key

    def to_metrics(self) -> dict:
        """Training time and steps, network size, watershed parameters and the test scores."""
        res, h = self.trained, self.trained.history
        out = {"train_time_s": h["train_time_s"], "train_cpu_s": h["train_cpu_s"], "n_iter_done": h["n_iter_done"],
               "best_iter": h.get("best_iter"), "n_parameters": res.model.n_parameters,
               "watershed_params": res.params.as_dict()}
        if res.test is not None:
            m = res.test.metrics(prefix="test_")
            out.update({k: v for k, v in m.items() if k.startswith("test_")})
            out["test_per_slice"] = m["per_slice"]
        return out


def _load(params: EmTrainParams):
    import numpy as np

    from ..connectomics.em import read_volume

    return read_volume(params.data, params.raw_key), np.asarray(read_volume(params.data, params.label_key))


def configs(params: EmTrainParams):
    """The :class:`~neurodiscovery.connectomics.em.UNetConfig` and ``TrainConfig`` of ``params``."""
    from ..connectomics.em import UNetConfig
    from ..connectomics.em.train import TrainConfig

    p = params
    return (UNetConfig(ndim=2, base_channels=p.base_channels, depth=p.depth, target=p.target),
            TrainConfig(n_iter=p.n_iter, batch_size=p.batch_size, patch_px=p.patch_px, lr=p.lr, loss=p.loss,
                        time_limit_s=p.time_limit_s, n_threads=p.n_threads, budget_clock=p.budget_clock,
                        max_wall_s=p.max_wall_s, weight_decay=p.weight_decay, val_every=p.val_every,
                        elastic_p=p.elastic_p, patch_z=p.patch_z))


def compute(params: EmTrainParams, inputs) -> EmTrainResult:
    """Train the U-Net, tune the watershed on the validation slices, score the test slices (no files).

    Parameters
    ----------
    params : EmTrainParams
    inputs : (ndarray, ndarray)
        Raw slices (z, y, x) and labels (z, y, x; 0 = membrane).

    Returns
    -------
    EmTrainResult
    """
    from ..connectomics.em import train_and_tune

    raw, lab = inputs
    mc, tc = configs(params)
    res = train_and_tune(raw, lab, train_slices=list(params.train_slices), val_slices=list(params.val_slices),
                         test_slices=list(params.test_slices), model_config=mc, train_config=tc, tune=params.tune,
                         seed=params.seed, progress=progress_callback() is not None)
    return EmTrainResult(params, res)


def render(result: EmTrainResult, figures) -> list:
    """What was trained and how the test slices scored."""
    res, p = result.trained, result.params
    h = res.history
    text = [f"U-Net ({p.depth} levels, {p.base_channels} base channels, {res.model.n_parameters} parameters, target "
            f"{p.target}) trained {h['n_iter_done']} steps in {h['train_time_s']:.0f} s on slices "
            f"{list(p.train_slices)}; validation slices {list(p.val_slices)} chose the checkpoint"
            + (" and tuned the watershed." if p.tune and p.val_slices else ".")
            + (" The test slices were never seen in training or tuning." if p.test_slices else "")]
    tables = [("Watershed parameters", [res.params.as_dict()])]
    if res.test is not None:
        tables.append(("Test slices: scores (lower is better; section = z index)",
                       [{"section": int(z), **r} for z, r in zip(p.test_slices, res.test.metrics()["per_slice"])]))
    return [Section("train", "U-Net training", text=text, tables=tables, figures=[_loss_figure(h, p, figures)])]


def _loss_figure(h: dict, p, figures):
    """Training loss per step and validation loss at each check (the best one chose the checkpoint)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.5))
    ax = fig.add_subplot(111)
    ax.plot(range(1, len(h["train_loss"]) + 1), h["train_loss"], color="0.6", lw=0.8, label="training batch")
    val = h.get("val") or []
    if val:
        ax.plot([v["iter"] for v in val], [v["val_loss"] for v in val], "o-", color="C0",
                label=f"validation slices {list(p.val_slices)}")
    ax.set(xlabel="training step", ylabel=f"loss ({p.loss})", title="U-Net training")
    ax.legend(fontsize=8)
    return figures.save(fig, "training_loss", f"Loss per training step and on the validation slices every "
                        f"{p.val_every} steps; the checkpoint kept is the step with the lowest validation loss "
                        f"(step {h.get('best_iter')}).")


def _write(result: EmTrainResult, folder: Path) -> None:
    from .._utils.runfolder import write_json
    from ..connectomics.em import save_checkpoint

    res, p = result.trained, result.params
    write_json(folder / "history.json", res.history)
    if res.tuning_table:
        write_json(folder / "watershed_tuning.json", res.tuning_table)
    save_checkpoint(res.model, folder / "model", metadata=res.checkpoint_metadata(
        train_slices=list(p.train_slices), val_slices=list(p.val_slices), seed=p.seed, data=str(p.data)))
    drop_empty_figures(folder)


def slice_scores_schema() -> dict:
    """Schema of one set of segmentation scores (a slice, or the volume)."""
    return obj({"adapted_rand_error": number("1"), "adapted_rand_precision": number("1"),
                "adapted_rand_recall": number("1"), "voi_split": number("bit"), "voi_merge": number("bit"),
                "voi_split_all": number("bit"), "voi_merge_all": number("bit"), "voi": number("bit"),
                "n_true": integer("1", "true objects"), "n_test": integer("1", "segmented objects")}, required=())


def metrics_properties() -> dict:
    """Declared top-level keys of ``em train``'s ``metrics.json``."""
    means = {f"test_{k}": number("bit" if k.startswith("voi") else "1", "mean over test slices")
             for k in ("adapted_rand_error", "voi_split", "voi_merge", "voi")}
    return {"train_time_s": number("s"), "train_cpu_s": number("s"), "n_iter_done": integer("1", "steps"),
            "best_iter": integer("1", "step", nullable=True), "n_parameters": integer("1", "network parameters"),
            "watershed_params": obj({"threshold": number("1"), "sigma_seeds_px": number("px"),
                                     "min_seed_distance_px": integer("px"), "sigma_boundary_px": number("px"),
                                     "merge_threshold": number("1"), "min_size": integer("voxel")}, required=()),
            **means, "test_per_slice": array(slice_scores_schema())}


COMMAND = Command(
    "em-train", "train a 2D boundary U-Net on an npz of EM slices (watershed tuned on validation slices, test slices "
    "scored); writes the checkpoint, history and a report", EmTrainParams, compute, render, metrics_properties,
    load=_load, write=_write, title=lambda p, r: f"em train — {Path(p.data).name}",
    metrics_required=("train_time_s", "train_cpu_s", "n_iter_done", "best_iter", "n_parameters", "watershed_params"),
    line=lambda run: "trained U-Net ({n_iter_done} steps, {train_time_s:.0f} s); ".format(**run.metrics)
    + ("test adapted Rand {test_adapted_rand_error:.4f}, VOI {test_voi:.4f}; ".format(**run.metrics)
       if "test_voi" in run.metrics else "") + f"run folder: {run.path}")


def run_em_train(data: str | os.PathLike, *, out: str | os.PathLike | None = None, model_config=None,
                 train_config=None, progress: bool = True, **params) -> tuple[Path, dict]:
    """Train + tune + test (:func:`~neurodiscovery.connectomics.em.train_and_tune`) into a run folder.

    Parameters
    ----------
    data : path
        ``.npz`` (or zarr) holding the raw slices (z, y, x) and their labels (z, y, x).
    out : path, optional
        Run folder to create (default ``runs/<timestamp>-em-train``); never overwritten.
    model_config, train_config : UNetConfig, TrainConfig, optional
        Their fields become the matching :class:`EmTrainParams` fields.
    progress : bool
        Show progress bars.
    **params
        Any field of :class:`EmTrainParams` (``train_slices``, ``val_slices``, ``test_slices``, ``tune``,
        ``seed``, ``raw_key``, ``label_key``, ...).

    Returns
    -------
    path : Path
        Run folder with ``model/`` (checkpoint folder), ``history.json``, ``watershed_tuning.json`` (when
        tuned), ``metrics.json``, ``report.html``, ``config.json``.
    metrics : dict
    """
    names = {f for f in EmTrainParams.__dataclass_fields__}
    for cfg in (model_config, train_config):
        if cfg is not None:
            params = {**{k: v for k, v in asdict(cfg).items() if k in names}, **params}
    p = EmTrainParams(data=str(data), **{k: tuple(v) if isinstance(v, range) else v for k, v in params.items()})
    run = execute(COMMAND, p, out=out, progress=(lambda s: None) if progress else None)
    return run.path, run.metrics
