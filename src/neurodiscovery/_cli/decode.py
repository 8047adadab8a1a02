"""``neurodiscovery decode FILE --target NAME``: cross-validated decoder comparison."""
from __future__ import annotations

NAME = "decode"
HELP = ("decode a behaviour from population activity with several decoders on blocked folds "
        "(with a time-shifted chance control); writes a comparison table and figures")


def add_arguments(p) -> None:
    from ._common import add_recording_argument
    from ._types import int_at_least, positive_float

    add_recording_argument(p)
    p.add_argument("--target", required=True, help="behaviour to decode (e.g. head_direction)")
    # the default is resolved by the library: importing the decoders here would slow every command's --help
    p.add_argument("--decoders", default=None,
                   help="comma-separated: wiener, wiener_cascade, kalman, bayes, mlp, gru, lstm "
                        "(default: neurodiscovery.decoding.DEFAULT_DECODERS)")
    p.add_argument("--bin-size", type=positive_float, default=0.05, help="bin width in seconds (default 0.05)")
    p.add_argument("--epoch", default=None, help="restrict to this epoch (e.g. wake)")
    p.add_argument("--regions", default=None, help="comma-separated regions to keep (default all units)")
    p.add_argument("--bins-before", type=int_at_least(0), default=4, help="spike-history bins before (default 4)")
    p.add_argument("--bins-after", type=int_at_least(0), default=4, help="spike-history bins after (default 4)")
    p.add_argument("--n-splits", type=int_at_least(2), default=5, help="blocked cross-validation folds (default 5)")
    p.add_argument("--transform", choices=("sqrt", "none"), default="sqrt",
                   help="feature transform of the counts (Bayes always uses raw counts)")
    p.add_argument("--no-control", action="store_true", help="skip the time-shifted chance control")
    p.add_argument("--seed", type=int_at_least(0), default=0)
    p.add_argument("--quick", action="store_true", help="short network training (smoke runs)")
    p.add_argument("--threads", type=int_at_least(1), default=1,
                   help="torch and BLAS CPU threads (default 1: these small models gain nothing from "
                        "more, and extra threads thrash a shared machine)")
    p.add_argument("--out", default=None, help="run folder to create (default runs/<timestamp>-decode)")
    p.add_argument("--no-progress", action="store_true", help="do not print per-fold progress")


def _split(text):
    return None if text is None else [s.strip() for s in text.split(",") if s.strip()]


def main(args) -> int:
    import sys

    from ..pipeline import run_decode
    from ._common import load_recording_arg

    rec = load_recording_arg(args.file)
    progress = None if args.no_progress else (lambda s: print(s, file=sys.stderr, flush=True))
    path, md = run_decode(rec, args.target, out=args.out, decoders=_split(args.decoders), epoch=args.epoch,
                          bin_size_s=args.bin_size, regions=_split(args.regions), n_splits=args.n_splits,
                          bins_before=args.bins_before, bins_after=args.bins_after, transform=args.transform,
                          shuffle_control=not args.no_control, seed=args.seed, quick=args.quick,
                          n_threads=args.threads, progress=progress, config={"file": args.file})
    print(md)
    print(f"run folder: {path}")
    return 0
