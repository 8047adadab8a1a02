"""``neurodiscovery datasets [export NAME PATH]``: list or export built-in datasets."""
from __future__ import annotations

NAME = "datasets"
HELP = "list built-in datasets, or export one to an NWB/NPZ file"


def add_arguments(p) -> None:
    from ._types import int_at_least

    sub = p.add_subparsers(dest="action", metavar="ACTION")
    sub.add_parser("list", help="list built-in datasets (default)", description="list built-in datasets")
    ex = sub.add_parser("export", help="write a built-in dataset to PATH (.nwb or .npz)",
                        description="write a built-in dataset to PATH (.nwb or .npz)")
    ex.add_argument("name", help="dataset name (see 'neurodiscovery datasets list')")
    ex.add_argument("path", help="output file; suffix .nwb or .npz picks the format; never overwritten")
    ex.add_argument("--seed", type=int_at_least(0), default=0, help="seed for synthetic datasets (default 0)")
    ex.add_argument("--n-conditions", type=int_at_least(2), default=None,
                    help="reaching only: number of reach directions (default 8)")


def main(args) -> int:
    from ..datasets import DATASETS

    if getattr(args, "action", None) in (None, "list"):
        for name, (desc, _) in DATASETS.items():
            print(f"{name:<16} {desc}")
        return 0
    from ..datasets import export

    out, rec = export(args.name, args.path, seed=args.seed, n_conditions=args.n_conditions)
    print(f"wrote {args.name} ({rec.n_units} units, {rec.duration_s:.0f} s) to {out}")
    return 0
