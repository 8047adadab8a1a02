"""``neurodiscovery em train|segment|evaluate``: EM neuron segmentation."""
from __future__ import annotations

import argparse

NAME = "em"
HELP = "EM connectomics: train a boundary U-Net, segment volumes, evaluate (VOI, adapted Rand)"


def _slices(text: str) -> list[int]:
    """'0-13' or '0,2,5-7' -> list of ints (an unparsable or reversed range is a parser error)."""
    out: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
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
        raise argparse.ArgumentTypeError(f"expected slice indices like 0-13 or 0,2,5-7 (>= 0), got {text!r}"
                                         ) from None
    return out


def _triple(low: int):
    """Type: three comma-separated integers z,y,x, each >= ``low``."""
    def parse(text: str) -> tuple[int, int, int]:
        try:
            vals = tuple(int(v) for v in text.split(","))
        except ValueError:
            vals = ()
        if len(vals) != 3 or min(vals) < low:
            raise argparse.ArgumentTypeError(f"expected three comma-separated integers z,y,x >= {low}, "
                                             f"got {text!r}")
        return vals  # type: ignore[return-value]

    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ._types import int_at_least, positive_float

    sub = parser.add_subparsers(dest="em_command", metavar="{train,segment,evaluate}")
    sub.required = True

    t = sub.add_parser("train", help="train a 2D boundary U-Net on an npz of EM slices")
    t.add_argument("data", help="npz with 'raw' (z, y, x) uint8 and 'membrane_label' "
                   "(z, y, x; 0 = membrane, > 0 = interior)")
    t.add_argument("--raw-key", default="raw")
    t.add_argument("--label-key", default="membrane_label")
    t.add_argument("--train-slices", type=_slices, default="0-13", help="e.g. 0-13 (default)")
    t.add_argument("--val-slices", type=_slices, default="14-15",
                   help="validation slices: best-model selection and watershed tuning")
    t.add_argument("--test-slices", type=_slices, default="16-19",
                   help="held-out slices scored at the end ('' to skip)")
    t.add_argument("--base-channels", type=int_at_least(1), default=16)
    t.add_argument("--depth", type=int_at_least(1), default=4)
    t.add_argument("--target", choices=["boundary", "affinities"], default="boundary")
    t.add_argument("--loss", choices=["dice_bce", "balanced_bce"], default="dice_bce")
    t.add_argument("--n-iter", type=int_at_least(1), default=2600)
    t.add_argument("--batch-size", type=int_at_least(1), default=4)
    t.add_argument("--patch-px", type=int_at_least(8), default=192)
    t.add_argument("--lr", type=positive_float, default=3e-3)
    t.add_argument("--time-limit-s", type=positive_float, default=840.0)
    t.add_argument("--budget-clock", choices=["wall", "cpu"], default="wall",
                   help="what --time-limit-s measures: wall seconds, or process CPU seconds / "
                   "threads (the fair budget on a shared machine)")
    t.add_argument("--max-wall-s", type=positive_float, default=None,
                   help="hard wall-clock cap in addition to --time-limit-s")
    t.add_argument("--threads", type=int_at_least(1), default=2)
    t.add_argument("--seed", type=int_at_least(0), default=0)
    t.add_argument("--no-tune", action="store_true", help="skip the watershed parameter search")
    t.add_argument("--out", help="run folder (default runs/<timestamp>-em-train)")

    s = sub.add_parser("segment", help="segment a volume (.zarr, .npz, .npy, .tif)")
    s.add_argument("volume")
    s.add_argument("--key", help="array name inside an npz / zarr group")
    s.add_argument("--model", help="checkpoint (default: the shipped ISBI-2012 U-Net)")
    s.add_argument("--tta", action="store_true", help="average over in-plane flips (4x slower)")
    s.add_argument("--per-slice", dest="per_slice", action="store_true", default=True,
                   help="2D watershed per z slice (default; anisotropic ssTEM)")
    s.add_argument("--3d", dest="per_slice", action="store_false",
                   help="one 3D watershed (isotropic data / 3D models)")
    s.add_argument("--blockwise", action="store_true",
                   help="process block by block with dask (default for .zarr input)")
    s.add_argument("--block-shape", type=_triple(1), default=(16, 256, 256))
    s.add_argument("--halo", type=_triple(0), default=(0, 96, 96))
    s.add_argument("--scheduler", help="dask scheduler: threads (default), synchronous, "
                   "processes, or a dask.distributed address tcp://host:port")
    s.add_argument("--workers", type=int_at_least(1), default=1, help="local dask threads")
    s.add_argument("--threads", type=int_at_least(1), default=2, help="torch threads")
    s.add_argument("--out", help="run folder (default runs/<timestamp>-em-segment)")

    e = sub.add_parser("evaluate", help="score a segmentation against ground truth")
    e.add_argument("seg", help="segmentation (.npz 'labels', .npy, .tif, .zarr)")
    e.add_argument("gt", help="ground truth (.npz 'membrane_label' interior mask or instances)")
    e.add_argument("--seg-key")
    e.add_argument("--gt-key")
    e.add_argument("--slices", type=_slices, help="evaluate only these z slices of the ground truth "
                   "(when the segmentation covers a subset), e.g. 16-19")
    e.add_argument("--gt-is-mask", choices=["auto", "yes", "no"], default="auto",
                   help="treat ground truth as an interior mask and label its connected "
                   "components per slice (auto: if it holds only two values)")
    e.add_argument("--out", help="run folder (default runs/<timestamp>-em-evaluate)")


def main(args: argparse.Namespace) -> int:
    return {"train": _train, "segment": _segment, "evaluate": _evaluate}[args.em_command](args)


def _check_slices(idx: list[int], n: int, what: str) -> None:
    from .._utils.errors import InputError

    bad = [i for i in idx if not 0 <= i < n]
    if bad:
        raise InputError(f"{what} {bad} are outside the volume's {n} slices")


def _train(args) -> int:
    import numpy as np
    import torch

    from .._utils.errors import InputError
    from .._utils.runfolder import RunFolder
    from ..connectomics.em import (TrainConfig, UNetConfig, evaluate, label_interior, predict,
                                   save_checkpoint, segment_boundaries, train_unet)
    from ..connectomics.em.instances import WatershedParams, tune_watershed
    from ..connectomics.em.segment import check_volume, read_volume

    torch.set_num_threads(args.threads)
    raw = check_volume(read_volume(args.data, args.raw_key), "raw")
    lab = np.asarray(read_volume(args.data, args.label_key))
    if lab.shape != raw.shape:
        raise InputError(f"labels have shape {lab.shape} but raw has shape {raw.shape}")
    tr, va, te = args.train_slices, args.val_slices, args.test_slices
    for idx, what in ((tr, "train slices"), (va, "validation slices"), (te, "test slices")):
        _check_slices(idx, len(raw), what)
    if not tr:
        raise InputError("no training slices selected")
    if set(te) & (set(tr) | set(va)):
        raise InputError("test slices overlap the training/validation slices")
    mc = UNetConfig(ndim=2, base_channels=args.base_channels, depth=args.depth, target=args.target)
    tc = TrainConfig(n_iter=args.n_iter, batch_size=args.batch_size, patch_px=args.patch_px,
                     lr=args.lr, loss=args.loss, time_limit_s=args.time_limit_s,
                     n_threads=args.threads, budget_clock=args.budget_clock,
                     max_wall_s=args.max_wall_s)
    config = {"data": str(args.data), "train_slices": tr, "val_slices": va, "test_slices": te,
              "seed": args.seed, "model": mc.__dict__, "train": tc.__dict__}
    with RunFolder("em-train", out=args.out, config=config) as run:
        model, hist = train_unet(raw[tr], lab[tr], raw[va] if va else None,
                                 lab[va] if va else None, mc, tc, seed=args.seed, progress=True)
        run.write_json("history.json", hist)
        params = WatershedParams()
        metrics: dict = {"train_time_s": hist["train_time_s"], "train_cpu_s": hist["train_cpu_s"],
                         "n_iter_done": hist["n_iter_done"],
                         "best_iter": hist.get("best_iter"), "n_parameters": model.n_parameters}
        if va and not args.no_tune:
            vb = predict(model, raw[va], batch_size=2)
            if mc.target != "boundary":
                from ..connectomics.em import affinities_to_boundary

                vb = affinities_to_boundary(vb)
            params, table = tune_watershed(vb, label_interior(lab[va] != 0))
            run.write_json("watershed_tuning.json", table)
        metrics["watershed_params"] = params.as_dict()
        if te:
            tb = predict(model, raw[te], batch_size=2)
            if mc.target != "boundary":
                from ..connectomics.em import affinities_to_boundary

                tb = affinities_to_boundary(tb)
            seg = segment_boundaries(tb, params)
            truth = label_interior(lab[te] != 0)
            per = [evaluate(truth[i], seg[i]).as_dict() for i in range(len(te))]
            metrics["test_per_slice"] = per
            for k in ("adapted_rand_error", "voi_split", "voi_merge", "voi"):
                metrics[f"test_{k}"] = float(np.mean([p[k] for p in per]))
        save_checkpoint(model, run.dir / "model.pt",
                        metadata={"train_slices": tr, "val_slices": va, "seed": args.seed,
                                  "data": str(args.data), "watershed_params": params.as_dict(),
                                  **{k: v for k, v in metrics.items() if k.startswith("test_")
                                     and k != "test_per_slice"}})
        run.write_metrics(metrics)
    print(f"trained U-Net ({metrics['n_iter_done']} steps, {metrics['train_time_s']:.0f} s); "
          + (f"test adapted Rand {metrics['test_adapted_rand_error']:.4f}, VOI "
             f"{metrics['test_voi']:.4f}; " if te else "") + f"run folder: {run.path}")
    return 0


def _segment(args) -> int:
    from pathlib import Path

    import numpy as np
    import torch

    from .._utils.errors import InputError
    from .._utils.runfolder import RunFolder
    from ..connectomics.em import segment_blockwise, segment_volume
    from ..connectomics.em.model import default_checkpoint_path
    from ..connectomics.em.segment import default_params, load_model, read_volume

    torch.set_num_threads(args.threads)
    src = Path(args.volume)
    ckpt = Path(args.model) if args.model else default_checkpoint_path()
    model, meta = load_model(ckpt)  # validates the checkpoint before any work
    params = default_params(meta)
    is_zarr = src.suffix.lower() == ".zarr" or src.is_dir()
    config = {"volume": str(src), "model": str(ckpt), "tta": args.tta,
              "per_slice": args.per_slice, "watershed_params": params.as_dict()}
    if is_zarr or args.blockwise:
        config.update(block_shape=args.block_shape, halo=args.halo, scheduler=args.scheduler,
                      workers=args.workers)
    with RunFolder("em-segment", out=args.out, config=config) as run:
        if is_zarr or args.blockwise:
            if not is_zarr:
                # stage an in-memory file as zarr so the blockwise path reads it lazily
                import zarr

                from ..connectomics.em.segment import check_volume

                vol = check_volume(read_volume(src, args.key))
                staged = run.dir / "input.zarr"
                z = zarr.open_array(str(staged), mode="w", shape=vol.shape,
                                    chunks=tuple(args.block_shape), dtype=vol.dtype)
                z[...] = vol
                src_path, key = str(staged), None
            else:
                import zarr

                src_path, key = str(src), args.key
                obj = zarr.open(src_path, mode="r")
                arr = obj[key] if key else obj
                if not hasattr(arr, "shape"):
                    raise InputError(f"{src} is a zarr group; name the array with --key")
                if arr.ndim != 3:
                    raise InputError(f"volume must be 3D (z, y, x), got {arr.ndim} dimensions "
                                     f"(shape {arr.shape})")
                if min(arr.shape) == 0:
                    raise InputError(f"volume is empty (shape {arr.shape})")
            info = segment_blockwise(src_path, run.dir / "segmentation.zarr", ckpt,
                                     source_key=key, block_shape=args.block_shape,
                                     halo=args.halo, params=params, per_slice=args.per_slice,
                                     tta=args.tta, scheduler=args.scheduler,
                                     num_workers=args.workers, progress=True)
            if not is_zarr:
                import shutil

                shutil.rmtree(run.dir / "input.zarr")
            run.write_metrics({k: v for k, v in info.items() if k != "out"})
            n = info["n_labels"]
        else:
            vol = read_volume(src, args.key)
            labels, bnd = segment_volume(vol, model, params, tta=args.tta,
                                         per_slice=args.per_slice, progress=True)
            np.savez_compressed(run.dir / "segmentation.npz", labels=labels,
                                boundaries=bnd.astype(np.float16))
            n = int(len(np.unique(labels)))
            run.write_metrics({"n_labels": n, "shape": list(labels.shape)})
    print(f"segmented {src.name}: {n} objects; run folder: {run.path}")
    return 0


def _evaluate(args) -> int:
    import numpy as np

    from .._utils.errors import InputError
    from .._utils.runfolder import RunFolder
    from ..connectomics.em import evaluate, label_interior
    from ..connectomics.em.segment import read_volume

    seg = np.asarray(read_volume(args.seg, args.seg_key or _seg_key(args.seg)))
    gt = np.asarray(read_volume(args.gt, args.gt_key or _gt_key(args.gt)))
    if args.slices:
        idx = args.slices
        if gt.ndim != 3:
            raise InputError("--slices needs 3D ground truth")
        _check_slices(idx, len(gt), "--slices")
        if seg.ndim == 3 and len(seg) == len(gt):
            seg = seg[idx]  # a segmentation of the whole stack: score the same slices
        gt = gt[idx]
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
    is_mask = args.gt_is_mask == "yes" or (args.gt_is_mask == "auto" and len(np.unique(gt)) <= 2)
    truth = label_interior(gt != 0) if is_mask else gt
    if not truth.any():
        raise InputError("ground truth has no foreground (all labels are 0)")
    seg3 = seg[None] if seg.ndim == 2 else seg
    tr3 = truth[None] if truth.ndim == 2 else truth
    per = [evaluate(tr3[z], seg3[z]).as_dict() for z in range(len(tr3))]
    metrics = {f"mean_{k}": float(np.mean([p[k] for p in per]))
               for k in ("adapted_rand_error", "voi_split", "voi_merge", "voi")}
    metrics["per_slice"] = per
    metrics["volume"] = evaluate(tr3, seg3).as_dict()
    with RunFolder("em-evaluate", out=args.out,
                   config={"seg": str(args.seg), "gt": str(args.gt), "slices": args.slices,
                           "gt_is_mask": bool(is_mask)}) as run:
        run.write_metrics(metrics)
    print(f"adapted Rand error {metrics['mean_adapted_rand_error']:.4f}, VOI split "
          f"{metrics['mean_voi_split']:.4f} merge {metrics['mean_voi_merge']:.4f} "
          f"(mean over {len(per)} slices); run folder: {run.path}")
    return 0


def _seg_key(path: str) -> str | None:
    return "labels" if path.lower().endswith(".npz") or path.lower().endswith(".zarr") else None


def _gt_key(path: str) -> str | None:
    return "membrane_label" if path.lower().endswith(".npz") else None
