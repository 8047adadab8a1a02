"""Run folder for ``neurodiscovery circuit``: a rate network fitted to a recording's trials."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .._utils.quantity import number_of, quantity
from .._utils.runfolder import RunFolder
from .command import figure_context, legacy_metrics
from .dynamics import TrialData, _fig, _rates, trial_data
from .network_report import fit_quality_entries, write_network_report

__all__ = ["run_circuit"]


@figure_context()
def run_circuit(rec, *, out=None, event: str = "start_s", window_s=None, bin_size_s: float = 0.02,
                smooth_s: float = 0.05, inputs: list[str] | None = None, model: str = "low_rank", rank: int = 2,
                n_latent: int = 4, alpha: float = 0.2, max_epochs: int = 200, seed: int = 0,
                config: dict | None = None) -> tuple[Path, dict]:
    """Fit a rate network to a recording's trials and write a run folder with the checkpoint.

    The activity is the trials' smoothed rates, z-scored with the training trials' statistics;
    ``inputs`` name behaviours fed to the network as inputs. The last 20 % of trials are the
    test block; the held-out R² is on them, each run free from its first bin.

    Parameters
    ----------
    rec : Recording
        Recording with a trial table.
    out : path, optional
        Run folder (default ``runs/<timestamp>-circuit``).
    event : str
        Trial column of the alignment event (s).
    window_s : (float, float), optional
        Window around the event (s); default: the trials' own extent.
    bin_size_s : float
        Bin width (s).
    smooth_s : float
        Gaussian smoothing of the rates (s).
    inputs : list of str, optional
        Behaviours fed to the network as inputs.
    model : {"low_rank", "full_rank", "latent"}
        Rate network (see :func:`~neurodiscovery.dynamics.fit_circuit`).
    rank : int
        Rank of the connectivity for ``"low_rank"``.
    n_latent : int
        Latent units of ``"latent"``.
    alpha : float
        ``dt / tau`` of the Euler update (dimensionless).
    max_epochs : int
        Training epochs at most.
    seed : int
        Seeds splits, initialisation and training.
    config : dict, optional
        Extra entries recorded in the run folder's ``config.json`` (e.g. the CLI's options).

    Returns
    -------
    (Path, dict) : the run folder and its metrics.
    """
    from ..dynamics import fit_circuit, save_circuit, split_trials
    from ..dynamics.circuit import simulate_fit
    from ..dynamics.plotting import plot_connectivity

    data = trial_data(rec, event=event, window_s=window_s, bin_size_s=bin_size_s, behaviors=inputs)
    tr, _, te = split_trials(len(data.counts))
    y = _rates(data, smooth_s, len(tr))
    with RunFolder("circuit", out=out, config=dict(config or {})) as run:
        fit = fit_circuit(y, data.behavior, model=model, rank=rank, n_latent=n_latent, alpha=alpha,
                          max_epochs=max_epochs, seed=seed)
        save_circuit(fit, run.dir / "model")
        np.savez_compressed(run.dir / "circuit.npz", connectivity=fit.connectivity, input_weights=fit.input_weights,
                            column_space=fit.column_space,
                            **({"embedding": fit.embedding} if fit.embedding is not None else {}))
        _fig(run, plot_connectivity(fit.connectivity), "connectivity")
        _fig(run, _plot_heldout(y[te], simulate_fit(_net(fit), y[te], _inputs(data, te))), "heldout_fit")
        metrics = {**fit.to_json(), "n_trials": len(y), "n_neurons": int(y.shape[2]),
                   "inputs": list(inputs or []), "identifiability": "connectivity is not identifiable from "
                   "activity alone; column_space (circuit.npz) and input_weights are the constrained parts",
                   **fit_quality_entries(fit.r2_test, "connectivity and input weights")}
        warn = metrics["fit_warning"]
        metrics = legacy_metrics("circuit", metrics, [
            quantity(f"held-out R² of the {fit.model} network (free-running test trials)", fit.r2_test, "1",
                     note=f"last {fit.n_test} of {len(y)} trials" + (f"; warning: {warn}" if warn else "")),
            number_of("neurons fitted", int(y.shape[2]), "neurons")])
        run.write_metrics(metrics)
        _report(run, fit, metrics)
    return run.path, metrics


def _report(run, fit, metrics) -> None:
    from .._utils.quantity import count, quantity

    key = [quantity("validation R² (trials used for early stopping)", fit.r2_val),
           count("trials fitted / validated / tested", fit.n_train, fit.n_train + fit.n_val + fit.n_test, "trials",
                 note=f"{fit.n_val} validation and {fit.n_test} test trials, contiguous blocks, test last")]
    text = [f"A {fit.model.replace('_', '-')} tanh rate network fitted by backpropagation through whole trials.",
            metrics["identifiability"] + "."]
    write_network_report(run, "Circuit fit", metrics, key, text,
                         [("heldout_fit", "Held-out trials in the first two PCs: recorded (solid) and the network "
                                          "run freely from each trial's first bin (dashed)."),
                          ("connectivity", "Fitted recurrent connectivity W (not identifiable from activity "
                                           "alone; see the text).")])


def _inputs(data: TrialData, idx):
    if data.behavior is None:
        return np.zeros((len(idx), data.counts.shape[1], 0))
    return data.behavior[idx]


def _net(fit):
    from ..dynamics.rnn import build_rate_rnn

    net = build_rate_rnn(fit.config)
    net.load_state_dict(fit.state_dict)
    return net.eval()


def _plot_heldout(y, pred):
    import matplotlib.pyplot as plt

    flat = y.reshape(-1, y.shape[2])
    mu = flat.mean(0)
    basis = np.linalg.svd(flat - mu, full_matrices=False)[2][:2].T
    _, ax = plt.subplots(figsize=(4.5, 4))
    for k in range(min(6, len(y))):
        a, b = (y[k] - mu) @ basis, (pred[k] - mu) @ basis
        line, = ax.plot(a[:, 0], a[:, 1], lw=1.2)
        ax.plot(b[:, 0], b[:, 1], "--", color=line.get_color(), lw=1.2)
    ax.set_xlabel("PC1")
    ax.set_ylabel("PC2")
    ax.set_title("held-out trials: recorded (solid) vs model (dashed)")
    return ax
