"""``neurodiscovery analyze [FILE]``: the end-to-end analysis into a run folder."""
from __future__ import annotations

NAME = "analyze"
HELP = "analyse a recording (NWB/NPZ; default the built-in head-direction data) into an HTML report"


def add_arguments(p) -> None:
    """Options of ``analyze`` (thresholds not exposed here live in ``AnalysisConfig``)."""
    from ..pipeline import SECTIONS
    from ._common import add_recording_argument
    from ._types import fraction, int_at_least, positive_float

    add_recording_argument(p)
    p.add_argument("--out", default=None, help="run folder to create (must not exist; default runs/<UTC>-analyze)")
    p.add_argument("--quick", action="store_true",
                   help="fast pass: at most 50 tuning shuffles; primary behaviour decoded by wiener,bayes only; "
                        "conditions by the logistic decoder only; short network training")
    p.add_argument("--sections", default=None,
                   help=f"comma-separated subset of: {','.join(SECTIONS)} (needed sections are added)")
    p.add_argument("--bin-size", type=positive_float, default=0.05, help="bin width in seconds (default 0.05)")
    p.add_argument("--decoders", default=None, help="comma-separated regression decoders for every behaviour "
                   "(wiener,wiener_cascade,kalman,bayes,mlp,gru,lstm)")
    p.add_argument("--trace", choices=("deconvolved", "dff", "fluorescence"), default="deconvolved",
                   help="imaging recordings: trace to analyse (default deconvolved: OASIS activity, computed "
                        "from ΔF/F when the file lacks it)")
    p.add_argument("--iscell-threshold", type=fraction, default=0.5,
                   help="imaging recordings: keep ROIs with iscell probability >= this (default 0.5; "
                        "ROIs without iscell are kept)")
    p.add_argument("--seed", type=int_at_least(0), default=0, help="random seed (default 0)")
    p.add_argument("--threads", type=int_at_least(1), default=1, help="BLAS/torch threads (default 1; see AnalysisConfig)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _split(text: str | None) -> tuple | None:
    return None if text is None else tuple(s.strip() for s in text.split(",") if s.strip())


def main(args) -> int:
    """Check the options, load the recording, run :func:`neurodiscovery.pipeline.analyze`."""
    from ..pipeline import SECTIONS, AnalysisConfig, analyze
    from ._common import load_recording_arg

    sections = SECTIONS if args.sections is None else _split(args.sections)
    cfg = AnalysisConfig(bin_size_s=args.bin_size, sections=sections, quick=args.quick,
                         decoders=_split(args.decoders), seed=args.seed, n_threads=args.threads,
                         trace=args.trace, iscell_threshold=args.iscell_threshold)
    rec = load_recording_arg(args.file)
    path = analyze(rec, out=args.out, config=cfg, progress=not args.no_progress,
                   source=args.file or "builtin:head_direction")
    print(f"report: {path / 'report.html'}")
    return 0
