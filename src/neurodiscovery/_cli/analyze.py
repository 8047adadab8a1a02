"""``neurodiscovery analyze [PATH ...]``: the end-to-end analysis into a run folder.

One recording gives a single run folder; several (files, folders, glob patterns) give a batch
folder with one run folder per session and a cross-session summary, run on dask.

Exit codes: 0 done; 2 wrong input (bad file of a single analysis, no recordings, a pattern
matching nothing, a scheduler that does not answer); 3 some sessions of a batch failed (they are
listed in ``summary.html``/``summary.json`` with their error; the others are complete).
"""
from __future__ import annotations

NAME = "analyze"
HELP = ("analyse recordings (NWB/NPZ files, folders, globs; default the built-in head-direction data) "
        "into HTML reports; several run as a batch on dask (exit 3 if some sessions failed)")


def add_arguments(p) -> None:
    """Options of ``analyze`` (thresholds not exposed here live in ``AnalysisConfig``)."""
    from ..pipeline import SECTIONS
    from ..pipeline.config import QUICK_CONDITION_CLASSIFIERS, QUICK_DECODERS, QUICK_SHUFFLES
    from ._types import fraction, int_at_least, positive_float

    p.add_argument("paths", nargs="*", default=None,
                   help="NWB/NPZ files, folders (searched recursively) or glob patterns (default: the built-in "
                        "head-direction recording; 'builtin:NAME' for another built-in dataset)")
    p.add_argument("--out", default=None, help="run folder to create (must not exist; default runs/<UTC>-analyze); "
                   "with several recordings the batch folder")
    p.add_argument("--workers", type=int_at_least(1), default=None,
                   help="batch: local dask worker processes (default 2, one thread each)")
    p.add_argument("--scheduler", default=None,
                   help="batch: address of a running dask.distributed scheduler, e.g. tcp://host:8786")
    p.add_argument("--resume", action="store_true",
                   help="batch: continue in --out, skipping sessions whose run folder is complete")
    p.add_argument("--quick", action="store_true",
                   help=f"fast pass: at most {QUICK_SHUFFLES} tuning shuffles; primary behaviour decoded by "
                        f"{','.join(QUICK_DECODERS)} only; conditions by the {','.join(QUICK_CONDITION_CLASSIFIERS)} "
                        "decoder only; short network training")
    p.add_argument("--sections", default=None,
                   help=f"comma-separated subset of: {','.join(SECTIONS)} (needed sections are added)")
    p.add_argument("--bin-size", type=positive_float, default=0.05, help="bin width in seconds (default 0.05)")
    p.add_argument("--decoders", default=None, help="comma-separated regression decoders for every behaviour "
                   "(wiener,wiener_cascade,kalman,bayes,mlp,gru,lstm)")
    p.add_argument("--svg", action="store_true", help="also write every figure as SVG (default PNG only)")
    p.add_argument("--trace", choices=("deconvolved", "dff", "fluorescence"), default="deconvolved",
                   help="imaging recordings: trace to analyse (default deconvolved: OASIS activity, computed "
                        "from ΔF/F when the file lacks it)")
    p.add_argument("--cell-probability", "--iscell-threshold", dest="iscell_threshold", type=fraction, default=0.5,
                   help="imaging recordings: the curated suite2p iscell label decides which ROIs are cells; "
                        "ROIs without a label are kept when their cell probability is >= this (default 0.5)")
    p.add_argument("--all-units", action="store_true",
                   help="analyse every unit, not only those a curation labelled good (NWB 'quality' column, "
                        "phy cluster_group.tsv / cluster_KSLabel.tsv)")
    p.add_argument("--seed", type=int_at_least(0), default=0, help="random seed (default 0)")
    p.add_argument("--threads", type=int_at_least(1), default=1, help="BLAS/torch threads (default 1; see AnalysisConfig)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _split(text: str | None) -> tuple | None:
    return None if text is None else tuple(s.strip() for s in text.split(",") if s.strip())


def main(args) -> int:
    """Check the options, run :func:`neurodiscovery.pipeline.analyze` or :func:`~neurodiscovery.pipeline.analyze_paths`."""
    from .._utils.errors import InputError
    from ..pipeline import SECTIONS, AnalysisConfig, analyze, analyze_paths
    from ._common import load_recording_arg

    sections = SECTIONS if args.sections is None else _split(args.sections)
    cfg = AnalysisConfig(bin_size_s=args.bin_size, sections=sections, quick=args.quick,
                         decoders=_split(args.decoders), seed=args.seed, n_threads=args.threads,
                         figure_formats=("png", "svg") if args.svg else ("png",),
                         trace=args.trace, iscell_threshold=args.iscell_threshold, all_units=args.all_units)
    paths = args.paths or []
    if len(paths) <= 1 and (not paths or paths[0].startswith("builtin:")):
        if args.resume or args.scheduler or args.workers:
            raise InputError("--resume, --scheduler and --workers apply to recordings on disk (files, folders, "
                             "globs), not to a built-in dataset")
        source = paths[0] if paths else None
        path = analyze(load_recording_arg(source, all_units=args.all_units), out=args.out, config=cfg, progress=not args.no_progress,
                       source=source or "builtin:head_direction")
        print(f"report: {path / 'report.html'}")
        return 0
    res = analyze_paths(paths, out=args.out, config=cfg, workers=args.workers, scheduler=args.scheduler,
                        resume=args.resume, progress=not args.no_progress)
    if not hasattr(res, "sessions"):
        print(f"report: {res / 'report.html'}")
        return 0
    n_ok = len(res.sessions) - len(res.failed)
    print(f"summary: {res.path / 'summary.html'} ({n_ok}/{len(res.sessions)} sessions complete)")
    for s in res.failed:
        print(f"failed: {s.name}: {s.error}")
    return res.exit_code
