"""Run folders of ``em train|segment|evaluate`` (the science is in :mod:`neurodiscovery.connectomics.em`)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Sequence

import numpy as np

from .._utils.errors import InputError
from .._utils.quantity import number_of, quantity
from .command import legacy_metrics


def _drop_empty_figures(run) -> None:
    """These commands draw nothing: leave no empty ``figures/`` behind."""
    f = run.dir / "figures"
    if f.is_dir() and not any(f.iterdir()):
        f.rmdir()


def run_em_train(data: str | os.PathLike, *, raw_key: str = "raw", label_key: str = "membrane_label",
                 train_slices: Sequence[int], val_slices: Sequence[int] = (),
                 test_slices: Sequence[int] = (), model_config=None, train_config=None,
                 tune: bool = True, seed: int = 0, out: str | os.PathLike | None = None,
                 progress: bool = True) -> tuple[Path, dict]:
    """Train + tune + test (:func:`~neurodiscovery.connectomics.em.train_and_tune`) into a run folder.

    Parameters
    ----------
    data : path
        ``.npz`` (or zarr) holding the raw slices (z, y, x) and their labels (z, y, x).
    raw_key, label_key : str
        Array names of the raw images and of the labels (0 = membrane, > 0 = interior).
    train_slices, val_slices, test_slices : sequence of int
        z indices of the training, validation (model selection, watershed tuning) and test slices.
    model_config : UNetConfig, optional
        Architecture (default :class:`~neurodiscovery.connectomics.em.UNetConfig`).
    train_config : TrainConfig, optional
        Optimiser, augmentation and time budget.
    tune : bool
        Tune the watershed on the validation slices.
    seed : int
        Seeds initialisation, crops and augmentation.
    out : path, optional
        Run folder to create (default ``runs/<timestamp>-<command>``); never overwritten.
    progress : bool
        Show progress bars.

    Returns
    -------
    path : Path
        Run folder with ``model/`` (checkpoint folder), ``history.json``,
        ``watershed_tuning.json`` (when tuned), ``metrics.json``, ``config.json``.
    metrics : dict
    """
    from dataclasses import asdict

    from .._utils.runfolder import RunFolder
    from ..connectomics.em import UNetConfig, read_volume, save_checkpoint, train_and_tune
    from ..connectomics.em.train import TrainConfig

    raw = read_volume(data, raw_key)
    lab = np.asarray(read_volume(data, label_key))
    mc, tc = model_config or UNetConfig(), train_config or TrainConfig()
    tr, va, te = list(train_slices), list(val_slices), list(test_slices)
    config = {"data": str(data), "train_slices": tr, "val_slices": va, "test_slices": te,
              "seed": seed, "model": asdict(mc), "train": asdict(tc), "tune": tune}
    with RunFolder("em-train", out=out, config=config) as run:
        res = train_and_tune(raw, lab, train_slices=tr, val_slices=va, test_slices=te,
                             model_config=mc, train_config=tc, tune=tune, seed=seed, progress=progress)
        h = res.history
        run.write_json("history.json", h)
        if res.tuning_table:
            run.write_json("watershed_tuning.json", res.tuning_table)
        metrics = {"train_time_s": h["train_time_s"], "train_cpu_s": h["train_cpu_s"],
                   "n_iter_done": h["n_iter_done"], "best_iter": h.get("best_iter"),
                   "n_parameters": res.model.n_parameters, "watershed_params": res.params.as_dict()}
        if res.test is not None:
            m = res.test.metrics(prefix="test_")
            metrics.update({k: v for k, v in m.items() if k.startswith("test_")})
            metrics["test_per_slice"] = m["per_slice"]
        save_checkpoint(res.model, run.dir / "model", metadata=res.checkpoint_metadata(
            train_slices=tr, val_slices=va, seed=seed, data=str(data)))
        key = [quantity("U-Net training time", h["train_time_s"], "s"),
               number_of("training steps done", h["n_iter_done"], "steps")]
        if "test_adapted_rand_error" in metrics:
            key.append(quantity("test adapted Rand error (mean over test slices)",
                                metrics["test_adapted_rand_error"], "1"))
        run.write_metrics(legacy_metrics("em", metrics, key))
        _drop_empty_figures(run)
    return run.path, metrics


def _zarr_source(src: Path, key: str | None) -> tuple[str, str | None]:
    from ..connectomics.em.blockwise import open_zarr

    obj = open_zarr(src)
    arr = obj[key] if key else obj
    if not hasattr(arr, "shape"):
        raise InputError(f"{src} is a zarr group; name the array with --key")
    if arr.ndim != 3:
        raise InputError(f"volume must be 3D (z, y, x), got {arr.ndim} dimensions (shape {arr.shape})")
    if min(arr.shape) == 0:
        raise InputError(f"volume is empty (shape {arr.shape})")
    return str(src), key


def _stage_as_zarr(src: Path, key, folder: Path, block_shape) -> tuple[str, None]:
    """Copy an in-memory volume file into ``folder/input.zarr`` so the blockwise path reads it lazily."""
    import zarr

    from ..connectomics.em import check_volume, read_volume

    vol = check_volume(read_volume(src, key))
    z = zarr.open_array(str(folder / "input.zarr"), mode="w", shape=vol.shape, chunks=tuple(block_shape),
                        dtype=vol.dtype)
    z[...] = vol
    return str(folder / "input.zarr"), None


def run_em_segment(volume: str | os.PathLike, *, key: str | None = None,
                   checkpoint: str | os.PathLike | None = None, tta: bool = False,
                   per_slice: bool = True, blockwise: bool | None = None,
                   block_shape: Sequence[int] = (16, 256, 256), halo: Sequence[int] = (0, 96, 96),
                   scheduler: str | None = None, workers: int = 1,
                   out: str | os.PathLike | None = None, progress: bool = True) -> tuple[Path, int]:
    """Segment a volume file into a run folder (in memory, or blockwise for zarr / on request).

    Parameters
    ----------
    volume : path
        EM volume (z, y, x): ``.zarr``, ``.npz``, ``.npy`` or ``.tif``.
    key : str, optional
        Array name inside an npz / zarr group.
    checkpoint : path, optional
        Checkpoint folder (default: the shipped ISBI-2012 U-Net).
    tta : bool
        Average over in-plane flips (4x slower).
    per_slice : bool
        Watershed each z slice on its own (2D model, anisotropic sections).
    blockwise : bool, optional
        Segment block by block with dask (default: for zarr input only).
    block_shape, halo : sequence of int
        Core block (bz, by, bx) and context (hz, hy, hx) in voxels, blockwise only.
    scheduler : str, optional
        dask scheduler (see :func:`~neurodiscovery.connectomics.em.segment_blockwise`).
    workers : int
        Local dask workers.
    out : path, optional
        Run folder to create (default ``runs/<timestamp>-<command>``); never overwritten.
    progress : bool
        Show progress bars.

    Returns
    -------
    path : Path
        Run folder with ``segmentation.npz`` (``labels``, float16 ``boundaries``) or
        ``segmentation.zarr`` (blockwise), ``metrics.json``, ``config.json``; in memory also
        ``report.html`` and ``figures/`` (a section, segment counts and sizes).
    n_labels : int
    """
    from .._utils.runfolder import RunFolder
    from ..connectomics.em import (
        default_checkpoint_path,
        default_params,
        load_model,
        read_volume,
        segment_blockwise,
    )

    src = Path(volume)
    ckpt = Path(checkpoint) if checkpoint else default_checkpoint_path()
    model, meta = load_model(ckpt)  # validates the checkpoint before any work
    params = default_params(meta)
    is_zarr = src.suffix.lower() == ".zarr" or src.is_dir()
    blockwise = is_zarr if blockwise is None else (blockwise or is_zarr)
    config = {"volume": str(src), "model": str(ckpt), "tta": tta, "per_slice": per_slice,
              "watershed_params": params.as_dict()}
    if blockwise:
        config.update(block_shape=list(block_shape), halo=list(halo), scheduler=scheduler, workers=workers)
    with RunFolder("em-segment", out=out, config=config) as run:
        if blockwise:
            src_path, zkey = _zarr_source(src, key) if is_zarr else _stage_as_zarr(src, key, run.dir, block_shape)
            info = segment_blockwise(src_path, run.dir / "segmentation.zarr", ckpt, source_key=zkey,
                                     block_shape=block_shape, halo=halo, params=params,
                                     per_slice=per_slice, tta=tta, scheduler=scheduler,
                                     num_workers=workers, progress=progress)
            if not is_zarr:
                shutil.rmtree(run.dir / "input.zarr")
            n, metrics = int(info["n_labels"]), {k: v for k, v in info.items() if k != "out"}
            extra = []
        else:
            n, metrics, extra = _segment_in_memory(run, src, read_volume(src, key), model, params, tta, per_slice,
                                                   progress, config)
        run.write_metrics(legacy_metrics("em", metrics, [number_of("segments (2-D, ids unique over the stack)", n,
                                                                   "segments"), *extra]))
        _drop_empty_figures(run)
    return run.path, n


def _segment_in_memory(run, src, raw, model, params, tta, per_slice, progress, config) -> tuple[int, dict, list]:
    """Segment a volume in memory into ``segmentation.npz``; figures and report; (segments, metrics, key numbers)."""
    from ..connectomics.em import segment_volume
    from .em_report import write_segment_report

    labels, bnd = segment_volume(raw, model, params, tta=tta, per_slice=per_slice, progress=progress)
    np.savez_compressed(run.dir / "segmentation.npz", labels=labels, boundaries=bnd.astype(np.float16))
    n = int(len(np.unique(labels[labels > 0])))  # segments; the membrane label 0 is not one
    extra = write_segment_report(run, src, labels, bnd, np.asarray(raw), config)
    return n, {"n_labels": n, "shape": list(labels.shape)}, extra


def run_em_evaluate(segmentation: str | os.PathLike, truth: str | os.PathLike, *,
                    seg_key: str | None = None, truth_key: str | None = None,
                    slices: Sequence[int] | None = None, truth_is_mask: bool | str = "auto",
                    out: str | os.PathLike | None = None) -> tuple[Path, dict]:
    """Score a segmentation file against a ground-truth file (per slice + volume) into a run folder.

    Parameters
    ----------
    segmentation, truth : path
        Label volumes (z, y, x) or one slice (y, x): ``.npz``, ``.npy``, ``.tif`` or ``.zarr``.
    seg_key, truth_key : str, optional
        Array names (default ``labels`` and ``membrane_label`` in an npz).
    truth_is_mask : bool or "auto"
        The truth is a binary interior mask (instances are its connected components per
        slice) rather than instance ids; ``"auto"`` decides from its values.
    out : path, optional
        Run folder to create (default ``runs/<timestamp>-<command>``); never overwritten.
    slices : sequence of int, optional
        Score only these z slices of the truth (and of the segmentation when it covers
        the whole stack).

    Returns
    -------
    path : Path
    metrics : dict
        ``mean_<score>``, ``per_slice``, ``volume``.
    """
    from .._utils.runfolder import RunFolder
    from ..connectomics.em import evaluate_slices, read_volume

    def default_key(p, name):
        s = str(p).lower()
        return name if s.endswith(".npz") or (name == "labels" and s.endswith(".zarr")) else None

    seg = np.asarray(read_volume(segmentation, seg_key or default_key(segmentation, "labels")))
    gt = np.asarray(read_volume(truth, truth_key or default_key(truth, "membrane_label")))
    if slices:
        idx = [int(i) for i in slices]
        if gt.ndim != 3:
            raise InputError("--slices needs 3D ground truth")
        bad = [i for i in idx if not 0 <= i < len(gt)]
        if bad:
            raise InputError(f"--slices {bad} are outside the volume's {len(gt)} slices")
        if seg.ndim == 3 and len(seg) == len(gt):
            seg = seg[idx]  # a segmentation of the whole stack: score the same slices
        gt = gt[idx]
    ev = evaluate_slices(gt, seg, truth_is_mask=truth_is_mask)
    metrics = ev.metrics()
    config = {"seg": str(segmentation), "gt": str(truth), "slices": list(slices) if slices else None,
              "gt_is_mask": ev.truth_was_mask}
    from ..connectomics.em import label_interior
    from .em_report import write_evaluate_report

    truth_labels = label_interior(gt != 0) if ev.truth_was_mask else gt
    with RunFolder("em-evaluate", out=out, config=config) as run:
        run.write_metrics(legacy_metrics("em", metrics, [
            quantity("adapted Rand error (mean over slices)", metrics["mean_adapted_rand_error"], "1"),
            quantity("variation of information (mean over slices)", metrics["mean_voi"], "bit")]))
        write_evaluate_report(run, ev, seg, truth_labels, metrics, config, slices)
    return run.path, metrics
