"""``neurodiscovery morphology FILE.swc|DIR``: per-neuron measures, Sholl profiles, report."""
from __future__ import annotations

NAME = "morphology"
HELP = ("neuron morphology from SWC skeletons: cable length, branch points, tips, Strahler order, "
        "Sholl profiles; writes measures.csv, figures and a report")


def add_arguments(p) -> None:
    from ._types import int_at_least

    """Arguments of ``morphology``."""
    p.add_argument("path", help="an .swc file or a folder of .swc files")
    p.add_argument("--units", default=None,
                   help="unit of the coordinates of files whose header declares none (nm, um, mm; default "
                        "um); a file's '# units:' header decides. Outputs are always in um")
    p.add_argument("--sholl-radii", type=int_at_least(1), default=20, help="Sholl radii per neuron (default 20)")
    p.add_argument("--sholl-center", choices=("root", "centroid"), default="root")
    p.add_argument("--multi-root", choices=("measure", "split", "refuse"), default="measure",
                   help="files with several roots (an EM object in fragments): measure as one object "
                        "(default; lengths summed over fragments), split into one row per fragment, or refuse")
    p.add_argument("--out", default=None, help="run folder (default runs/<timestamp>-morphology)")


def main(args) -> int:
    """Run ``morphology``."""
    from ..pipeline.morphology import run_morphology

    path = run_morphology(args.path, units=args.units, sholl_radii=args.sholl_radii,
                          sholl_center=args.sholl_center, multi_root=args.multi_root,
                          out=args.out)
    print(f"morphology of {args.path}: run folder {path}")
    return 0
