"""``neurodiscovery morphology FILE.swc|DIR``: per-neuron measures, Sholl profiles, report."""
from __future__ import annotations

NAME = "morphology"
HELP = ("neuron morphology from SWC skeletons: cable length, branch points, tips, Strahler order, "
        "Sholl profiles; writes measures.csv, figures and a report")


def add_arguments(p) -> None:
    from ._types import int_at_least

    """Arguments of ``morphology``."""
    p.add_argument("path", help="an .swc file or a folder of .swc files")
    p.add_argument("--units", default="um", help="unit of the SWC coordinates (default um)")
    p.add_argument("--sholl-radii", type=int_at_least(1), default=20, help="Sholl radii per neuron (default 20)")
    p.add_argument("--sholl-center", choices=("root", "centroid"), default="root")
    p.add_argument("--allow-forest", action="store_true",
                   help="accept files with several roots (fragments) instead of refusing them")
    p.add_argument("--out", default=None, help="run folder (default runs/<timestamp>-morphology)")


def main(args) -> int:
    """Run ``morphology``."""
    from ..pipeline.morphology import run_morphology

    path = run_morphology(args.path, units=args.units, sholl_radii=args.sholl_radii,
                          sholl_center=args.sholl_center, allow_forest=args.allow_forest,
                          out=args.out)
    print(f"morphology of {args.path}: run folder {path}")
    return 0
