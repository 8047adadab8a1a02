"""``neurodiscovery em train|segment|evaluate``: EM neuron segmentation."""
from __future__ import annotations

import argparse

from ._types import fraction, int_at_least, positive_float

NAME = "em"
HELP = ("EM connectomics: train a boundary U-Net, segment volumes, evaluate (VOI, adapted Rand), "
        "trace objects through sections (skeletons, contact graph)")


def _slices(text: str) -> list[int]:
    """Type: '0-13' or '0,2,5-7' -> list of ints (an unparsable or reversed range is a parser error)."""
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
    """Sub-commands train, segment, evaluate, trace."""
    sub = parser.add_subparsers(dest="em_command", metavar="{train,segment,evaluate,trace}")
    sub.required = True
    _add_train(sub)
    _add_segment(sub)
    _add_evaluate(sub)
    _add_trace(sub)


def _add_train(sub) -> None:
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



def _add_segment(sub) -> None:
    s = sub.add_parser("segment", help="segment a volume (.zarr, .npz, .npy, .tif)")
    s.add_argument("volume")
    s.add_argument("--key", help="array name inside an npz / zarr group")
    s.add_argument("--model", help="checkpoint folder (default: the shipped ISBI-2012 U-Net)")
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



def _add_evaluate(sub) -> None:
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



def _add_trace(sub) -> None:
    r = sub.add_parser("trace", help="link a per-section segmentation across z into 3-D objects; "
                       "skeletons (SWC), contact graph, report")
    r.add_argument("segmentation", help="segmentation (.npz 'labels' [+ 'boundaries'], .npy, .tif, .zarr)")
    r.add_argument("--voxel-size", type=positive_float, nargs="+", required=True, metavar="NM",
                   help="voxel size in nm, z y x (section thickness first), e.g. 50 4 4")
    r.add_argument("--key", help="array name of the labels inside an npz / zarr group")
    r.add_argument("--min-overlap", type=fraction, default=0.3,
                   help="overlap / smaller profile area needed to link two sections (default 0.3)")
    r.add_argument("--max-boundary", type=fraction, default=0.5,
                   help="largest mean boundary probability over a link's overlap (default 0.5)")
    r.add_argument("--max-gap", type=int_at_least(0), default=2, help="blank sections bridged (default 2)")
    r.add_argument("--no-branching", action="store_true",
                   help="link mutual best partners only (no object holds two segments of a section)")
    r.add_argument("--max-segments-per-section", type=int_at_least(1), default=2,
                   help="most 2-D segments of one section an object may hold (default 2: one branch "
                        "per section); links join strongest first and a join past the cap is refused")
    r.add_argument("--min-sections", type=int_at_least(1), default=5,
                   help="span that counts as traced through the stack (default 5)")
    r.add_argument("--gap-voxels", type=int_at_least(0), default=0,
                   help="membrane gap bridged by the contact graph (0: dense labels)")
    r.add_argument("--out", help="run folder (default runs/<timestamp>-em-trace)")


def main(args: argparse.Namespace) -> int:
    """Dispatch to the sub-command."""
    return {"train": _train, "segment": _segment, "evaluate": _evaluate,
            "trace": _trace}[args.em_command](args)


def _train(args) -> int:
    from ..connectomics.em import UNetConfig
    from ..connectomics.em.train import TrainConfig
    from ..pipeline.command import thread_limits
    from ..pipeline.em import run_em_train

    mc = UNetConfig(ndim=2, base_channels=args.base_channels, depth=args.depth, target=args.target)
    tc = TrainConfig(n_iter=args.n_iter, batch_size=args.batch_size, patch_px=args.patch_px,
                     lr=args.lr, loss=args.loss, time_limit_s=args.time_limit_s,
                     n_threads=args.threads, budget_clock=args.budget_clock,
                     max_wall_s=args.max_wall_s)
    with thread_limits(args.threads):
        path, m = run_em_train(args.data, raw_key=args.raw_key, label_key=args.label_key,
                               train_slices=args.train_slices, val_slices=args.val_slices,
                               test_slices=args.test_slices,
                               model_config=mc, train_config=tc, tune=not args.no_tune, seed=args.seed,
                               out=args.out)
    test = (f"test adapted Rand {m['test_adapted_rand_error']:.4f}, VOI {m['test_voi']:.4f}; "
            if "test_voi" in m else "")
    print(f"trained U-Net ({m['n_iter_done']} steps, {m['train_time_s']:.0f} s); {test}run folder: {path}")
    return 0


def _segment(args) -> int:
    from ..pipeline.command import thread_limits
    from ..pipeline.em import run_em_segment

    with thread_limits(args.threads):
        path, n = run_em_segment(args.volume, key=args.key, checkpoint=args.model, tta=args.tta,
                                 per_slice=args.per_slice, blockwise=args.blockwise or None,
                                 block_shape=args.block_shape, halo=args.halo, scheduler=args.scheduler,
                                 workers=args.workers, out=args.out)
    print(f"segmented {args.volume}: {n} objects; run folder: {path}")
    return 0


def _evaluate(args) -> int:
    from ..pipeline.em import run_em_evaluate

    mask = {"auto": "auto", "yes": True, "no": False}[args.gt_is_mask]
    path, m = run_em_evaluate(args.seg, args.gt, seg_key=args.seg_key, truth_key=args.gt_key,
                              slices=args.slices or None,
                              truth_is_mask=mask, out=args.out)
    print(f"adapted Rand error {m['mean_adapted_rand_error']:.4f}, VOI split "
          f"{m['mean_voi_split']:.4f} merge {m['mean_voi_merge']:.4f} "
          f"(mean over {len(m['per_slice'])} slices); run folder: {path}")
    return 0


def _trace(args) -> int:
    from ..connectomics.em import TracingParams
    from ..pipeline.em_trace import run_em_trace

    params = TracingParams(min_overlap=args.min_overlap, max_boundary=args.max_boundary,
                           max_gap_sections=args.max_gap, allow_branching=not args.no_branching,
                           max_segments_per_section=args.max_segments_per_section)
    path = run_em_trace(args.segmentation, args.voxel_size, key=args.key, params=params,
                        min_sections=args.min_sections, gap_voxels=args.gap_voxels, out=args.out)
    print(f"traced {args.segmentation}: run folder {path}")
    return 0
