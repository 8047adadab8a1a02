"""``neurodiscovery latents FILE --method ...``: latent structure of a recording, scored on held-out data."""
from __future__ import annotations

NAME = "latents"
HELP = ("fit a latent model (pca, fa, gpfa, vae, seqvae) and score it on held-out trials and neurons "
        "(co-bps, PSTH R², behaviour R²), or find the head-direction ring without behaviour (ring)")


def add_arguments(p) -> None:
    from ..pipeline.latents import CLI_METHODS
    from ._common import add_recording_argument
    from ._types import int_at_least, positive_float

    add_recording_argument(p)
    p.add_argument("--method", choices=CLI_METHODS, default="gpfa", help="latent method (default gpfa)")
    p.add_argument("--dim", type=int_at_least(1), default=10, help="latent dimension (default 10)")
    p.add_argument("--bin-size", type=positive_float, default=None, help="bin width in seconds (default 0.02; ring 0.1)")
    p.add_argument("--behavior", default=None, help="behaviour to decode from the latents (default: the first)")
    p.add_argument("--epoch", default=None, help="restrict to this epoch (e.g. wake)")
    p.add_argument("--segment", type=positive_float, default=2.0,
                   help="pseudo-trial length in seconds when the recording has no trials (default 2)")
    p.add_argument("--embedding", choices=("tsne", "umap", "pca"), default="tsne",
                   help="display embedding of the latents (umap needs umap-learn)")
    p.add_argument("--max-train-s", type=positive_float, default=None, help="training time limit of vae/seqvae (seconds)")
    p.add_argument("--max-epochs", type=int_at_least(1), default=None, help="epoch limit of vae/seqvae")
    p.add_argument("--threads", type=int_at_least(1), default=1, help="torch and BLAS threads (default 1)")
    p.add_argument("--seed", type=int_at_least(0), default=0)
    p.add_argument("--out", default=None, help="run folder to create (default runs/<timestamp>-latents)")


def main(args) -> int:
    import json

    from .._utils.errors import InputError
    from ._common import load_recording_arg

    if args.threads < 1:
        raise InputError(f"--threads must be >= 1, got {args.threads}")
    rec = load_recording_arg(args.file)
    from ..pipeline.command import thread_limits
    from ..pipeline.latents import run_latents

    with thread_limits(int(args.threads)):
        path = run_latents(rec, args.method, args.dim, bin_size_s=args.bin_size, behavior=args.behavior,
                           epoch=args.epoch, segment_s=args.segment, seed=args.seed,
                           max_train_s=args.max_train_s, max_epochs=args.max_epochs, embedding=args.embedding,
                           out=args.out, config={"file": args.file})
    metrics = json.loads((path / "metrics.json").read_text())
    keys = ("method", "co_bps", "smoothing_co_bps", "psth_r2", "behavior_r2", "train_s", "median_error_deg")
    for k in keys:
        if k in metrics:
            v = metrics[k]
            print(f"{k}: {v:.4g}" if isinstance(v, float) else f"{k}: {v}")
    print(f"run folder: {path}")
    return 0
