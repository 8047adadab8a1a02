"""``neurodiscovery dynamics FILE --method forecast|jpca|fixed-points``: population dynamics of trials."""
from __future__ import annotations

NAME = "dynamics"
HELP = ("population dynamics of a recording's trials: forecasting skill vs persistence/VAR, jPCA rotational "
        "planes (frequencies in Hz), or fixed points of a fitted rate network")


def _window(text):
    from .._utils.errors import InputError

    if text is None:
        return None
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise InputError(f"--window must be 'START,STOP' in seconds relative to --event, got {text!r}") from None
    return lo, hi


def add_arguments(p) -> None:
    from ._common import add_recording_argument
    from ._types import int_at_least, nonnegative_float, positive_float

    add_recording_argument(p)
    p.add_argument("--method", required=True, choices=("forecast", "jpca", "fixed-points"))
    p.add_argument("--event", default=None, help="trial-table column to align to (default: the movement onset "
                                                 "the trial table declares, e.g. go_s, else start_s)")
    p.add_argument("--window", default=None, help="START,STOP seconds around --event, within the trial and its "
                                                   "gaps (default: 0 to the shortest event-to-trial-end time)")
    p.add_argument("--bin-size", type=positive_float, default=0.01, help="bin width in seconds (default 0.01)")
    p.add_argument("--smooth", type=nonnegative_float, default=0.02, help="Gaussian smoothing SD in seconds (default 0.02)")
    p.add_argument("--behaviors", default=None,
                   help="comma-separated behaviours: jPCA removes their encoding; fixed points use them as inputs")
    p.add_argument("--n-pcs", type=int_at_least(2), default=6, help="jPCA dimensions (even; default 6)")
    p.add_argument("--history", type=int_at_least(1), default=20, help="forecasting history window in bins (default 20)")
    p.add_argument("--horizon", type=int_at_least(1), default=10, help="longest forecast horizon in bins (default 10)")
    p.add_argument("--max-epochs", type=int_at_least(1), default=60, help="network training epochs (default 60)")
    p.add_argument("--checkpoint", default=None, help="fixed points: a saved rate network (a circuit run's model/)")
    p.add_argument("--seed", type=int_at_least(0), default=0)
    p.add_argument("--threads", type=int_at_least(1), default=1, help="torch/BLAS threads (default 1)")
    p.add_argument("--out", default=None, help="run folder to create (default runs/<timestamp>-dynamics)")


def main(args) -> int:
    import json

    from ..pipeline.dynamics import run_dynamics
    from ._common import load_recording_arg

    rec = load_recording_arg(args.file)
    behaviors = [b.strip() for b in args.behaviors.split(",") if b.strip()] if args.behaviors else None
    with _threads(args.threads):
        path, metrics = run_dynamics(rec, args.method, out=args.out, event=args.event,
                                     window_s=_window(args.window), bin_size_s=args.bin_size, smooth_s=args.smooth,
                                     behaviors=behaviors, n_pcs=args.n_pcs, window=args.history,
                                     max_horizon=args.horizon, max_epochs=args.max_epochs,
                                     checkpoint=args.checkpoint, seed=args.seed,
                                     config={k: v for k, v in vars(args).items() if not k.startswith("_")})
    print(json.dumps({k: v for k, v in metrics.items() if not isinstance(v, (dict, list))}, indent=1))
    print(f"run folder: {path}")
    return 0


def _threads(n: int):
    """Context limiting torch and BLAS to ``n`` threads, restoring both afterwards."""
    from .._utils.errors import InputError
    from ..pipeline.command import thread_limits

    if n < 1:
        raise InputError(f"--threads must be >= 1, got {n}")
    return thread_limits(int(n))
