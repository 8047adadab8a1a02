"""``em evaluate`` as a :class:`~.command.Command` (``em-evaluate``): a segmentation scored against ground truth.

``execute("em-evaluate", EmEvaluateParams(seg="seg.npz", gt="truth.npz"))`` is the CLI's path;
:func:`run_em_evaluate` is the keyword form kept for existing callers.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .._utils.errors import InputError
from .._utils.metrics_schema import array, integer, number
from .._utils.params import Params, option
from .._utils.quantity import number_of, quantity
from .command import Command, execute
from .em import index_ranges, slice_scores_schema

__all__ = ["COMMAND", "EmEvaluateParams", "EmEvaluateResult", "compute", "run_em_evaluate"]


@dataclass(frozen=True)
class EmEvaluateParams(Params):
    """Parameters of ``em evaluate`` (the CLI options are generated from these declarations)."""

    seg: str = option(help="segmentation (.npz 'labels', .npy, .tif, .zarr)", positional=True)
    gt: str = option(help="ground truth (.npz 'membrane_label' interior mask or instances)", positional=True)
    seg_key: str | None = option(None, "array name of the segmentation (default 'labels' in an npz / zarr)",
                                 show_default=False)
    gt_key: str | None = option(None, "array name of the truth (default 'membrane_label' in an npz)",
                                show_default=False)
    slices: tuple[int, ...] | None = option(None, "evaluate only these z slices of the ground truth (when the "
                                            "segmentation covers a subset), e.g. 16-19", low=0, parse=index_ranges,
                                            metavar="Z", show_default=False)
    gt_is_mask: str = option("auto", "treat ground truth as an interior mask and label its connected components "
                             "per slice (auto: if it holds only two values)", choices=("auto", "yes", "no"))


@dataclass(frozen=True)
class EmEvaluateResult:
    """Typed result of ``em evaluate``.

    Attributes
    ----------
    params : EmEvaluateParams
    evaluation : SliceEvaluation
        Scores per slice and over the volume.
    segmentation : ndarray (z, y, x) or (y, x) int
        The scored segmentation.
    truth_labels : ndarray, same shape, int
        The truth instances (connected components of a mask truth).
    """

    params: EmEvaluateParams
    evaluation: object
    segmentation: object
    truth_labels: object

    def key_numbers(self) -> list:
        """Mean adapted Rand error and VOI over the scored sections, and how many were scored."""
        m = self.evaluation.metrics()
        n = len(self.evaluation.per_slice)
        return [quantity("adapted Rand error (mean over slices)", m["mean_adapted_rand_error"], "1",
                         note="0 = perfect; ISBI 2012 convention, truth label 0 not scored"),
                quantity("variation of information (mean over slices)", m["mean_voi"], "bit"),
                quantity("VOI split (over-segmentation, mean)", m["mean_voi_split"], "bit"),
                quantity("VOI merge (under-segmentation, mean)", m["mean_voi_merge"], "bit"),
                number_of("sections scored", n, "sections")]

    def sections(self) -> list[int]:
        """z index in the truth volume of each scored section (``per_slice`` order)."""
        n = len(self.evaluation.per_slice)
        return [int(z) for z in self.params.slices] if self.params.slices else list(range(n))

    def to_metrics(self) -> dict:
        """``mean_<score>``, ``per_slice`` and ``volume`` scores, and the ``sections`` scored."""
        return {**self.evaluation.metrics(), "sections": self.sections()}


def _default_key(path, name: str) -> str | None:
    s = str(path).lower()
    return name if s.endswith(".npz") or (name == "labels" and s.endswith(".zarr")) else None


def _load(params: EmEvaluateParams):
    import numpy as np

    from ..connectomics.em import read_volume

    seg = np.asarray(read_volume(params.seg, params.seg_key or _default_key(params.seg, "labels")))
    gt = np.asarray(read_volume(params.gt, params.gt_key or _default_key(params.gt, "membrane_label")))
    return seg, gt


def compute(params: EmEvaluateParams, inputs) -> EmEvaluateResult:
    """Score the segmentation per slice and as a volume (no files, no figures).

    Parameters
    ----------
    params : EmEvaluateParams
    inputs : (ndarray, ndarray)
        Segmentation and truth, (z, y, x) or (y, x).

    Returns
    -------
    EmEvaluateResult
    """
    from ..connectomics.em import evaluate_slices, label_interior

    seg, gt = inputs
    if params.slices:
        idx = [int(i) for i in params.slices]
        if gt.ndim != 3:
            raise InputError("--slices needs 3D ground truth")
        bad = [i for i in idx if not 0 <= i < len(gt)]
        if bad:
            raise InputError(f"--slices {bad} are outside the volume's {len(gt)} slices")
        if seg.ndim == 3 and len(seg) == len(gt):
            seg = seg[idx]  # a segmentation of the whole stack: score the same slices
        gt = gt[idx]
    mask = {"auto": "auto", "yes": True, "no": False}[params.gt_is_mask]
    ev = evaluate_slices(gt, seg, truth_is_mask=mask)
    return EmEvaluateResult(params, ev, seg, label_interior(gt != 0) if ev.truth_was_mask else gt)


def _render(result: EmEvaluateResult, figures) -> list:
    from .em_report import evaluate_section

    return [evaluate_section(result, figures)]


def metrics_properties() -> dict:
    """Declared top-level keys of ``em evaluate``'s ``metrics.json``."""
    means = {f"mean_{k}": number("bit" if k.startswith("voi") else "1", "mean over slices")
             for k in ("adapted_rand_error", "voi_split", "voi_merge", "voi")}
    return {**means, "per_slice": array(slice_scores_schema()), "volume": slice_scores_schema(),
            "sections": array(integer("1", "z index in the truth volume of each per_slice entry"))}


COMMAND = Command(
    "em-evaluate", "score a segmentation against ground truth (adapted Rand error, VOI split/merge, per slice and "
    "volume) into a run folder with a report", EmEvaluateParams, compute, _render, metrics_properties, load=_load,
    uses_torch=lambda p: False, title=lambda p, r: "em evaluate",
    line=lambda run: (f"adapted Rand error {run.metrics['mean_adapted_rand_error']:.4f}, VOI split "
                      f"{run.metrics['mean_voi_split']:.4f} merge {run.metrics['mean_voi_merge']:.4f} (mean over "
                      f"{len(run.metrics['per_slice'])} slices); run folder: {run.path}"))


def run_em_evaluate(segmentation: str | os.PathLike, truth: str | os.PathLike, *, seg_key: str | None = None,
                    truth_key: str | None = None, slices=None, truth_is_mask: bool | str = "auto",
                    out: str | os.PathLike | None = None) -> tuple[Path, dict]:
    """Score a segmentation file against a ground-truth file (per slice + volume) into a run folder.

    Parameters
    ----------
    segmentation, truth : path
        Label volumes (z, y, x) or one slice (y, x): ``.npz``, ``.npy``, ``.tif`` or ``.zarr``.
    seg_key, truth_key : str, optional
        Array names (default ``labels`` and ``membrane_label`` in an npz).
    slices : sequence of int, optional
        Score only these z slices of the truth (and of the segmentation when it covers the whole stack).
    truth_is_mask : bool or "auto"
        The truth is a binary interior mask (instances are its connected components per slice).
    out : path, optional
        Run folder to create (default ``runs/<timestamp>-em-evaluate``); never overwritten.

    Returns
    -------
    path : Path
    metrics : dict
        ``mean_<score>``, ``per_slice``, ``volume``.
    """
    mask = truth_is_mask if isinstance(truth_is_mask, str) else ("yes" if truth_is_mask else "no")
    p = EmEvaluateParams(seg=str(segmentation), gt=str(truth), seg_key=seg_key, gt_key=truth_key,
                         slices=tuple(slices) if slices else None, gt_is_mask=mask)
    run = execute(COMMAND, p, out=out)
    return run.path, run.metrics
