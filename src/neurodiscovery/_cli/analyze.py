"""``neurodiscovery analyze [PATH ...]``: the end-to-end analysis into a run folder.

The options are generated from :class:`~neurodiscovery.pipeline.analyze_command.AnalyzeParams`; the
one library call is :func:`~neurodiscovery.pipeline.analyze_command.run_analyze`. One recording gives
a single run folder; several (files, folders, glob patterns) give a batch folder with one run folder
per session and a cross-session summary, run on dask.

Exit codes: 0 done; 2 wrong input (bad file of a single analysis, no recordings, a pattern
matching nothing, a scheduler that does not answer); 3 some sessions of a batch failed (they are
listed in ``summary.html``/``summary.json`` with their error; the others are complete).
"""
from __future__ import annotations

import sys

NAME = "analyze"
HELP = ("analyse recordings (NWB/NPZ files, folders, globs; default the built-in head-direction data) "
        "into HTML reports; several run as a batch on dask (exit 3 if some sessions failed)")


def add_arguments(p) -> None:
    """Options of ``analyze``, generated from ``AnalyzeParams`` (other thresholds live in ``AnalysisConfig``)."""
    from .._utils.params import add_arguments as add
    from ..pipeline.analyze_command import AnalyzeParams

    add(p, AnalyzeParams)
    p.add_argument("--out", default=None, help="run folder to create (must not exist; default runs/<UTC>-analyze); "
                   "with several recordings the batch folder")
    p.add_argument("--no-progress", action="store_true", help="do not print progress lines")


def main(args) -> int:
    """Build the parameters, call :func:`~neurodiscovery.pipeline.analyze_command.run_analyze`, print its line."""
    from .._utils.params import from_namespace
    from ..pipeline.analyze_command import AnalyzeParams, run_analyze

    params = from_namespace(AnalyzeParams, args)
    progress = None if args.no_progress else (lambda s: print(s, file=sys.stderr, flush=True))
    res = run_analyze(params, out=args.out, progress=progress)
    if not hasattr(res, "sessions"):
        print(res.line)
        return 0
    n_ok = len(res.sessions) - len(res.failed)
    print(f"summary: {res.path / 'summary.html'} ({n_ok}/{len(res.sessions)} sessions complete)")
    for s in res.failed:
        print(f"failed: {s.name}: {s.error}")
    return res.exit_code
