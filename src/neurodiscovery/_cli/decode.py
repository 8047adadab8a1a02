"""``neurodiscovery decode FILE --target NAME``: cross-validated decoder comparison."""
from __future__ import annotations

NAME = "decode"
HELP = ("decode a behaviour from population activity with several decoders on blocked folds "
        "(with a time-shifted chance control); writes a comparison table and figures")


def add_arguments(p) -> None:
    from ._common import add_recording_argument

    add_recording_argument(p)
    p.add_argument("--target", required=True, help="behaviour to decode (e.g. head_direction)")
    # the default is resolved in main: importing the decoders here would slow every command's --help
    p.add_argument("--decoders", default=None,
                   help="comma-separated: wiener, wiener_cascade, kalman, bayes, mlp, gru, lstm "
                        "(default: neurodiscovery.decoding.DEFAULT_DECODERS)")
    p.add_argument("--bin-size", type=float, default=0.05, help="bin width in seconds (default 0.05)")
    p.add_argument("--epoch", default=None, help="restrict to this epoch (e.g. wake)")
    p.add_argument("--regions", default=None, help="comma-separated regions to keep (default all units)")
    p.add_argument("--bins-before", type=int, default=4, help="spike-history bins before (default 4)")
    p.add_argument("--bins-after", type=int, default=4, help="spike-history bins after (default 4)")
    p.add_argument("--n-splits", type=int, default=5, help="blocked cross-validation folds (default 5)")
    p.add_argument("--transform", choices=("sqrt", "none"), default="sqrt",
                   help="feature transform of the counts (Bayes always uses raw counts)")
    p.add_argument("--no-control", action="store_true", help="skip the time-shifted chance control")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="short network training (smoke runs)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch and BLAS CPU threads (default 1: these small models gain nothing from "
                        "more, and extra threads thrash a shared machine)")
    p.add_argument("--out", default=None, help="run folder to create (default runs/<timestamp>-decode)")
    p.add_argument("--no-progress", action="store_true", help="do not print per-fold progress")


def main(args) -> int:
    from .._utils.errors import InputError
    from ..decoding import DEFAULT_DECODERS, REGRESSORS
    from ._common import load_recording_arg

    if args.decoders is None:
        decoders = list(DEFAULT_DECODERS)
    else:
        decoders = [d.strip() for d in args.decoders.split(",") if d.strip()]
    if args.threads < 1:
        raise InputError(f"--threads must be >= 1, got {args.threads}")

    unknown = [d for d in decoders if d not in REGRESSORS]
    if unknown or not decoders:
        raise InputError(f"unknown decoder(s) {', '.join(unknown) or '(none given)'}; "
                         f"available: {', '.join(REGRESSORS)}")
    rec = load_recording_arg(args.file)
    if any(d in ("mlp", "gru", "lstm") for d in decoders):
        import torch

        torch.set_num_threads(int(args.threads))
    from threadpoolctl import threadpool_limits

    with threadpool_limits(int(args.threads)):
        return _run(args, rec, decoders)


def _run(args, rec, decoders) -> int:
    import sys

    import numpy as np

    from .._utils.runfolder import RunFolder
    from ..decoding import decode_recording

    config = {k: v for k, v in vars(args).items() if not k.startswith("_")}
    progress = None if args.no_progress else (lambda s: print(s, file=sys.stderr, flush=True))
    regions = None if args.regions is None else [r.strip() for r in args.regions.split(",") if r.strip()]
    with RunFolder("decode", out=args.out, config=config) as run:
        res = decode_recording(rec, args.target, epoch=args.epoch, bin_size_s=args.bin_size,
                               decoders=decoders, regions=regions, n_splits=args.n_splits,
                               bins_before=args.bins_before, bins_after=args.bins_after,
                               transform=args.transform, shuffle_control=not args.no_control,
                               seed=args.seed, quick=args.quick, progress=progress)
        md = res.to_markdown()
        run.write_text("comparison.md", f"# Decoding '{args.target}'\n\n{md}\n")
        run.write_json("comparison.json", res.to_json())
        summary = {r["decoder"] + ("" if r["control"] == "none" else f"[{r['control']}]"):
                   {k: v for k, v in r.items() if not isinstance(v, list)} for r in res.table}
        run.write_metrics({"target": args.target, "decoders": summary,
                           "n_samples": res.config["n_samples"],
                           "n_nan_targets_dropped": res.config["n_nan_targets_dropped"]})
        t_s = res.t_s
        arrays = {}
        for name, pr in res.predictions.items():
            for key, val in pr.items():
                arrays[f"{name}__{key}"] = np.asarray(val)
            arrays[f"{name}__t_s"] = t_s[pr["sample_index"]]
        np.savez_compressed(run.dir / "predictions.npz", **arrays)
        _figures(run, res, args.target)
        print(md)
    print(f"run folder: {run.path}")
    return 0


def _figures(run, res, target) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plotting.decoding import plot_decoder_comparison, plot_predictions

    circ = res.config["circular"]
    ax = plot_decoder_comparison(res.table, "r2_mean", title=f"{target}: cross-validated R²")
    ax.figure.tight_layout()
    ax.figure.savefig(run.figures / "comparison_r2.png", dpi=120)
    plt.close(ax.figure)
    outs = res.config["output_names"]
    for name, pr in res.predictions.items():
        t = res.t_s[pr["sample_index"]]
        # the first test fold's contiguous stretch, at most 60 s, keeps the traces readable
        first = pr["fold"] == pr["fold"][0]
        n_show = int(min(first.sum(), max(1, round(60.0 / max(res.config["bin_size_s"], 1e-9)))))
        if circ:
            fig, axes = plt.subplots(1, 1, figsize=(9, 3))
            plot_predictions(pr["theta_true"][:n_show], pr["theta_pred"][:n_show], t[:n_show], ax=axes,
                             circular=True, label=name, ylabel=f"{target} (deg)")
        else:
            k = pr["y_true"].shape[1]
            fig, axes = plt.subplots(k, 1, figsize=(9, 2.4 * k), squeeze=False)
            for j in range(k):
                plot_predictions(pr["y_true"][:n_show, j], pr["y_pred"][:n_show, j], t[:n_show],
                                 ax=axes[j, 0], label=name, ylabel=str(outs[j]))
        row = next(r for r in res.table if r["decoder"] == name and r["control"] == "none")
        ttl = f"{name}: R² {row['r2_mean']:.3f}"
        if circ:
            ttl += f", median error {row['median_angular_error_deg']:.1f}°"
        fig.suptitle(ttl)
        fig.tight_layout()
        fig.savefig(run.figures / f"predicted_vs_true_{name}.png", dpi=120)
        plt.close(fig)
