"""The EM steps the CLI runs, as library calls: predict boundaries, evaluate slices,
train + tune (each written once, used by ``em train|segment|evaluate`` and by Python users).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..._utils.errors import InputError
from .instances import WatershedParams, label_interior
from .metrics import SegmentationScores, evaluate

if TYPE_CHECKING:  # torch loads only when a model is used
    from .model import UNet, UNetConfig
    from .train import TrainConfig

_SCORES = ("adapted_rand_error", "voi_split", "voi_merge", "voi")


def predict_boundaries(model: "UNet", volume: np.ndarray, *, tta: bool = False, batch_size: int = 4,
                       progress: bool = False) -> np.ndarray:
    """Membrane probability of an image or volume, whatever the model's target.

    Parameters
    ----------
    model : UNet
        Boundary models are used as they are; affinity models are turned into a boundary
        map with :func:`~.inference.affinities_to_boundary`.
    volume : ndarray (y, x) or (z, y, x)
        EM intensities.
    tta : bool
        Average over in-plane flips (boundary models only).
    batch_size : int
        Slices (2D) or crops (3D) per forward pass.
    progress : bool
        Show a progress bar.

    Returns
    -------
    ndarray float32, same shape as ``volume``
    """
    from .inference import affinities_to_boundary, predict

    out = predict(model, volume, tta=tta, batch_size=batch_size, progress=progress)
    return out if model.config.target == "boundary" else affinities_to_boundary(out)


@dataclass(frozen=True)
class SliceEvaluation:
    """Scores of a segmentation per z slice and over the whole volume.

    Attributes
    ----------
    per_slice : tuple of SegmentationScores
        One entry per scored slice (ISBI convention: truth label 0 not scored).
    volume : SegmentationScores
        The same metrics over all scored slices at once.
    truth_was_mask : bool
        Whether the truth was a binary interior mask turned into per-slice components.
    """

    per_slice: tuple
    volume: SegmentationScores
    truth_was_mask: bool

    def mean(self, name: str) -> float:
        """Mean over slices of the score ``name`` (``adapted_rand_error``, ``voi_split``, ``voi_merge``, ``voi``)."""
        if name not in _SCORES:
            raise InputError(f"score must be one of {_SCORES}, got {name!r}")
        return float(np.mean([getattr(s, name) for s in self.per_slice]))

    def metrics(self, prefix: str = "mean_") -> dict[str, Any]:
        """Flat metrics: ``<prefix><score>`` means (``prefix`` default ``mean_``), ``per_slice`` dicts, ``volume`` dict."""
        out: dict[str, Any] = {f"{prefix}{k}": self.mean(k) for k in _SCORES}
        out["per_slice"] = [s.as_dict() for s in self.per_slice]
        out["volume"] = self.volume.as_dict()
        return out


def evaluate_slices(truth, segmentation, *, truth_is_mask: bool | str = "auto") -> SliceEvaluation:
    """Score a segmentation slice by slice (and as a volume) against ground truth.

    Parameters
    ----------
    truth : ndarray (y, x) or (z, y, x) int
        Instance labels (0 = membrane, not scored), or a binary interior mask.
    segmentation : ndarray, same shape, int
    truth_is_mask : bool or "auto"
        Treat ``truth`` as an interior mask and label its connected components per slice;
        ``"auto"``: when it holds at most two values.

    Returns
    -------
    SliceEvaluation
    """
    seg, gt = np.asarray(segmentation), np.asarray(truth)
    for name, a in (("segmentation", seg), ("ground truth", gt)):
        if a.ndim not in (2, 3):
            raise InputError(f"{name} must be 2D or 3D, got {a.ndim} dimensions (shape {a.shape})")
        if a.size == 0:
            raise InputError(f"{name} is empty (shape {a.shape})")
        if a.dtype.kind not in "iub":
            raise InputError(f"{name} must hold integer labels, got dtype {a.dtype}")
    if seg.shape != gt.shape:
        raise InputError(f"ground truth has shape {gt.shape} but the segmentation has shape "
                         f"{seg.shape}; they must match voxel for voxel")
    if truth_is_mask not in (True, False, "auto"):
        raise InputError(f"truth_is_mask must be True, False or 'auto', got {truth_is_mask!r}")
    is_mask = truth_is_mask is True or (truth_is_mask == "auto" and len(np.unique(gt)) <= 2)
    tr = label_interior(gt != 0) if is_mask else gt
    if not tr.any():
        raise InputError("ground truth has no foreground (all labels are 0)")
    tr3 = tr[None] if tr.ndim == 2 else tr
    seg3 = seg[None] if seg.ndim == 2 else seg
    per = tuple(evaluate(tr3[z], seg3[z]) for z in range(len(tr3)))
    return SliceEvaluation(per, evaluate(tr3, seg3), bool(is_mask))


@dataclass(frozen=True)
class TrainedSegmenter:
    """Result of :func:`train_and_tune`.

    Attributes
    ----------
    model : UNet
        Best-validation model (eval mode).
    history : dict
        Training history (losses, timing) from :func:`~.train.train_unet`.
    params : WatershedParams
        Tuned on the validation slices (defaults when there are none or tuning is off).
    tuning_table : list of dict
        Every grid point with its validation scores (empty without tuning).
    test : SliceEvaluation or None
        Scores on the held-out test slices.
    """

    model: Any
    history: dict
    params: WatershedParams
    tuning_table: list
    test: SliceEvaluation | None

    def checkpoint_metadata(self, **extra) -> dict[str, Any]:
        """Facts stored with the weights: tuned parameters, test scores, ``extra``."""
        meta: dict[str, Any] = {"watershed_params": self.params.as_dict(), **extra}
        if self.test is not None:
            meta.update({f"test_{k}": self.test.mean(k) for k in _SCORES})
        return meta


def _check_split(n: int, train: Sequence[int], val: Sequence[int], test: Sequence[int]) -> None:
    for idx, what in ((train, "train slices"), (val, "validation slices"), (test, "test slices")):
        bad = [i for i in idx if not 0 <= int(i) < n]
        if bad:
            raise InputError(f"{what} {bad} are outside the volume's {n} slices")
    if not len(train):
        raise InputError("no training slices selected")
    if set(test) & (set(train) | set(val)):
        raise InputError("test slices overlap the training/validation slices")
    if set(val) & set(train):
        # validation picks the best model and tunes the watershed: on training slices it would select for
        # memorisation and report an optimistic score
        raise InputError(f"validation slices {sorted(set(val) & set(train))} are also training slices; choose "
                         "disjoint --train-slices and --val-slices (or --val-slices '' for none)")


def train_and_tune(raw: np.ndarray, labels: np.ndarray, *, train_slices: Sequence[int],
                   val_slices: Sequence[int] = (), test_slices: Sequence[int] = (),
                   model_config: "UNetConfig | None" = None, train_config: "TrainConfig | None" = None,
                   tune: bool = True, seed: int = 0, progress: bool = False) -> TrainedSegmenter:
    """Train a U-Net, tune the watershed on validation slices, score held-out test slices.

    Parameters
    ----------
    raw : ndarray (z, y, x)
        EM intensities.
    labels : ndarray (z, y, x) int
        0 = membrane, > 0 = interior (binary mask or instance ids).
    train_slices, val_slices, test_slices : sequence of int
        Disjoint z indices; validation slices select the best checkpoint and tune the
        watershed; test slices are only scored.
    model_config, train_config : optional
    tune : bool
        Grid-search :class:`WatershedParams` on the validation slices.
    seed : int
        Seeds initialisation, crops and augmentation.
    progress : bool
        Show progress bars.

    Returns
    -------
    TrainedSegmenter
    """
    from .instances import segment_boundaries, tune_watershed
    from .segment import check_volume
    from .train import train_unet

    raw = check_volume(raw, "raw")
    lab = np.asarray(labels)
    if lab.shape != raw.shape:
        raise InputError(f"labels have shape {lab.shape} but raw has shape {raw.shape}")
    tr, va, te = (list(map(int, s)) for s in (train_slices, val_slices, test_slices))
    _check_split(len(raw), tr, va, te)
    model, hist = train_unet(raw[tr], lab[tr], raw[va] if va else None, lab[va] if va else None,
                             model_config, train_config, seed=seed, progress=progress)
    params, table = WatershedParams(), []
    if va and tune:
        vb = predict_boundaries(model, raw[va], batch_size=2)
        params, table = tune_watershed(vb, label_interior(lab[va] != 0))
    test = None
    if te:
        seg = segment_boundaries(predict_boundaries(model, raw[te], batch_size=2), params)
        test = evaluate_slices(label_interior(lab[te] != 0), seg.astype(np.int64), truth_is_mask=False)
    return TrainedSegmenter(model, hist, params, table, test)
