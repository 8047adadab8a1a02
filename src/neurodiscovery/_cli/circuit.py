"""``neurodiscovery circuit FILE``: fit a recurrent rate network to a recording's trials."""
from __future__ import annotations

NAME = "circuit"
HELP = ("fit a tanh rate network (low-rank, full-rank or latent circuit) to trial activity by backpropagation "
        "through whole trials; reports connectivity, input weights and the held-out fit")


def add_arguments(p) -> None:
    from ._common import add_recording_argument
    from ._types import int_at_least, nonnegative_float, positive_float

    add_recording_argument(p)
    p.add_argument("--model", default="low_rank", choices=("low_rank", "full_rank", "latent"))
    p.add_argument("--rank", type=int_at_least(1), default=2, help="rank of the connectivity (low_rank; default 2)")
    p.add_argument("--n-latent", type=int_at_least(1), default=4, help="latent units (latent; default 4)")
    p.add_argument("--inputs", default=None, help="comma-separated behaviours fed to the network as inputs")
    p.add_argument("--event", default="start_s", help="trial-table column to align to (default start_s)")
    p.add_argument("--window", default=None, help="START,STOP seconds around --event")
    p.add_argument("--bin-size", type=positive_float, default=0.02, help="bin width in seconds (default 0.02)")
    p.add_argument("--smooth", type=nonnegative_float, default=0.05, help="Gaussian smoothing SD in seconds (default 0.05)")
    p.add_argument("--alpha", type=positive_float, default=0.2, help="dt/tau of the network update (default 0.2)")
    p.add_argument("--max-epochs", type=int_at_least(1), default=200)
    p.add_argument("--seed", type=int_at_least(0), default=0)
    p.add_argument("--threads", type=int_at_least(1), default=1, help="torch/BLAS threads (default 1)")
    p.add_argument("--out", default=None, help="run folder to create (default runs/<timestamp>-circuit)")


def main(args) -> int:
    import json

    from ..pipeline.circuit import run_circuit
    from ._common import load_recording_arg
    from .dynamics import _threads, _window

    rec = load_recording_arg(args.file)
    inputs = [b.strip() for b in args.inputs.split(",") if b.strip()] if args.inputs else None
    with _threads(args.threads):
        path, metrics = run_circuit(rec, out=args.out, event=args.event, window_s=_window(args.window),
                                    bin_size_s=args.bin_size, smooth_s=args.smooth, inputs=inputs, model=args.model,
                                    rank=args.rank, n_latent=args.n_latent, alpha=args.alpha,
                                    max_epochs=args.max_epochs, seed=args.seed,
                                    config={k: v for k, v in vars(args).items() if not k.startswith("_")})
    print(json.dumps({k: v for k, v in metrics.items() if not isinstance(v, (dict, list))}, indent=1))
    print(f"run folder: {path}")
    return 0
