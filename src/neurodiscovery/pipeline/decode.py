"""``decode``: cross-validated decoder comparison of one behaviour into a run folder."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .._utils.errors import InputError
from .._utils.runfolder import RunFolder

__all__ = ["run_decode"]


def run_decode(recording, target: str, *, out: str | Path | None = None, decoders=None,
               epoch: str | None = None, bin_size_s: float = 0.05, regions=None, n_splits: int = 5,
               bins_before: int = 4, bins_after: int = 4, transform: str = "sqrt", shuffle_control: bool = True,
               seed: int = 0, quick: bool = False, n_threads: int = 1, progress=None,
               config: dict | None = None) -> tuple[Path, str]:
    """Decode ``target`` with several decoders on blocked folds and write a run folder.

    Parameters
    ----------
    recording : Recording
    target : str
        Behaviour name.
    out : path, optional
        Run folder to create (must not exist); default ``runs/<UTC>-decode``.
    decoders : sequence of str, optional
        Default :data:`neurodiscovery.decoding.DEFAULT_DECODERS`.
    epoch, bin_size_s, regions, n_splits, bins_before, bins_after, transform, shuffle_control, seed, quick
        As in :func:`~neurodiscovery.decoding.decode_recording` (``bin_size_s`` in seconds).
    n_threads : int
        torch and BLAS threads while decoding.
    progress : callable, optional
        Called with a status line after every fold.
    config : dict, optional
        Extra entries for ``config.json`` (e.g. the command line).

    Returns
    -------
    (Path, str)
        The run folder (``comparison.md``, ``comparison.json``, ``metrics.json``,
        ``predictions.npz`` with ``<decoder>__<array>`` and ``<decoder>__t_s``, ``figures/``) and
        the Markdown comparison table.
    """
    from threadpoolctl import threadpool_limits

    from ..decoding import DEFAULT_DECODERS, REGRESSORS, decode_recording

    decoders = list(DEFAULT_DECODERS if decoders is None else decoders)
    unknown = [d for d in decoders if d not in REGRESSORS]
    if unknown or not decoders:
        raise InputError(f"unknown decoder(s) {', '.join(unknown) or '(none given)'}; "
                         f"available: {', '.join(REGRESSORS)}")
    if int(n_threads) < 1:
        raise InputError(f"n_threads (--threads) must be >= 1, got {n_threads}")
    params = {"target": target, "decoders": decoders, "epoch": epoch, "bin_size_s": bin_size_s, "regions": regions,
              "n_splits": n_splits, "bins_before": bins_before, "bins_after": bins_after, "transform": transform,
              "shuffle_control": shuffle_control, "seed": seed, "quick": quick, "n_threads": n_threads}
    if any(d in ("mlp", "gru", "lstm") for d in decoders):
        import torch

        torch.set_num_threads(int(n_threads))
    with RunFolder("decode", out=out, config={**(config or {}), **params}) as run:
        with threadpool_limits(int(n_threads)):
            res = decode_recording(recording, target, epoch=epoch, bin_size_s=bin_size_s, decoders=decoders,
                                   regions=regions, n_splits=n_splits, bins_before=bins_before,
                                   bins_after=bins_after, transform=transform, shuffle_control=shuffle_control,
                                   seed=seed, quick=quick, progress=progress)
        md = res.to_markdown()
        run.write_text("comparison.md", f"# Decoding '{target}'\n\n{md}\n")
        run.write_json("comparison.json", res.to_json())
        summary = {r.decoder + ("" if r.control == "none" else f"[{r.control}]"):
                   {k: v for k, v in r.to_dict().items() if not isinstance(v, list)} for r in res.table}
        run.write_metrics({"target": target, "decoders": summary, "n_samples": res.config["n_samples"],
                           "n_nan_targets_dropped": res.config["n_nan_targets_dropped"]})
        arrays = {}
        for name, pr in res.predictions.items():
            arrays.update({f"{name}__{k}": np.asarray(v) for k, v in pr.arrays().items()})
            arrays[f"{name}__t_s"] = res.t_s[pr.sample_index]
        np.savez_compressed(run.dir / "predictions.npz", **arrays)
        _figures(run.figures, res, target)
    return run.path, md


def _figures(figures: Path, res, target: str) -> None:
    """Decoder comparison bars and, per decoder, up to 60 s of the first test fold's predictions."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plotting import plot_decoder_comparison, plot_predictions

    circ = res.config["circular"]
    ax = plot_decoder_comparison(res.table, "r2_mean", title=f"{target}: cross-validated R²")
    ax.figure.tight_layout()
    ax.figure.savefig(figures / "comparison_r2.png", dpi=120)
    plt.close(ax.figure)
    outs = res.config["output_names"]
    for name, pr in res.predictions.items():
        t = res.t_s[pr.sample_index]
        # the first test fold's contiguous stretch, at most 60 s, keeps the traces readable
        first = pr.fold == pr.fold[0]
        n_show = int(min(first.sum(), max(1, round(60.0 / max(res.config["bin_size_s"], 1e-9)))))
        yt, yp = (pr.theta_true[:, None], pr.theta_pred[:, None]) if circ else (pr.y_true, pr.y_pred)
        k = yt.shape[1]
        fig, axes = plt.subplots(k, 1, figsize=(9, 3 if circ else 2.4 * k), squeeze=False)
        for j in range(k):
            plot_predictions(yt[:n_show, j], yp[:n_show, j], t[:n_show], ax=axes[j, 0], circular=circ, label=name,
                             ylabel=f"{target} (deg)" if circ else str(outs[j]))
        row = res.row(name)
        ttl = f"{name}: R² {row.r2_mean:.3f}"
        if circ:
            ttl += f", median error {row.median_angular_error_deg:.1f}°"
        fig.suptitle(ttl)
        fig.tight_layout()
        fig.savefig(figures / f"predicted_vs_true_{name}.png", dpi=120)
        plt.close(fig)
