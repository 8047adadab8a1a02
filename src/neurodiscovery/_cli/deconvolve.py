"""``neurodiscovery deconvolve FILE``: OASIS spike inference written to a new file."""
from __future__ import annotations

NAME = "deconvolve"
HELP = "infer spikes (OASIS) from a calcium-imaging NWB/NPZ and write them to a new file beside it"


def add_arguments(p) -> None:
    from ._types import nonnegative_float, positive_float

    p.add_argument("file", help="imaging NWB (suite2p/CaImAn layout) or neurodiscovery NPZ; never modified")
    p.add_argument("--out", default=None,
                   help="output .nwb or .npz (default: <name>_deconvolved<suffix> beside the input)")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists (never the input)")
    p.add_argument("--model", choices=("auto", "ar1", "ar2"), default="auto",
                   help="AR(1) decay only, AR(2) with the indicator's rise; auto = AR(2) when the rise is known")
    p.add_argument("--tau-decay", default="session",
                   help="decay in seconds, or 'session' (estimated once, default), 'roi' (per ROI), "
                        "'indicator' (known kinetics)")
    p.add_argument("--tau-rise", type=positive_float, default=None, help="rise time in seconds for AR(2)")
    p.add_argument("--neuropil-coef", type=nonnegative_float, default=0.7, help="r in F - r*Fneu (default 0.7)")
    p.add_argument("--baseline", choices=("maximin", "percentile"), default="maximin",
                   help="slow-baseline filter for ΔF/F (default maximin)")
    p.add_argument("--baseline-window", type=positive_float, default=60.0, help="baseline window in seconds (default 60)")
    g = p.add_argument_group("subject (used only where the input's Subject lacks the field; DANDI needs all four)")
    g.add_argument("--subject-id", default=None, help="subject identifier, e.g. 'M12'")
    g.add_argument("--species", default=None, help="Latin binomial ('Mus musculus') or an NCBI taxonomy URL")
    g.add_argument("--sex", choices=("M", "F", "O", "U"), default=None, help="M, F, O (other) or U (unknown)")
    g.add_argument("--age", default=None, help="ISO 8601 duration, e.g. P90D (90 days) or a range P60D/P90D")


def main(args) -> int:
    from ..imaging import deconvolve_file

    tau = args.tau_decay
    try:
        tau = float(tau)
    except ValueError:
        pass
    path = deconvolve_file(args.file, args.out, overwrite=args.overwrite, model=args.model, tau_decay_s=tau,
                           tau_rise_s=args.tau_rise, neuropil_coef=args.neuropil_coef, baseline=args.baseline,
                           window_s=args.baseline_window,
                           subject={"subject_id": args.subject_id, "species": args.species, "sex": args.sex,
                                    "age": args.age})
    print(f"wrote {path}")
    return 0
