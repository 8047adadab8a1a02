"""``circuit``: a rate network fitted to a recording's trials, as a :class:`~.command.Command`.

``execute("circuit", CircuitParams(model="low_rank", rank=2), inputs=recording)`` is the CLI's path;
:func:`run_circuit` is the keyword form kept for existing callers. The run folder holds the
checkpoint (``model/``, loadable with :func:`~neurodiscovery.dynamics.load_circuit` and by
``dynamics --method fixed-points --checkpoint``), ``circuit.npz``, figures and ``report.html``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._utils.metrics_schema import array, integer, number, text
from .._utils.params import Params, option
from ..data.trials import AlignedTrials
from .command import Command, execute
from .dynamics import _FILE_HELP, check_window, event_option, window_option

__all__ = ["COMMAND", "CircuitParams", "CircuitResult", "run_circuit"]

_IDENTIFIABILITY = ("connectivity is not identifiable from activity alone; column_space (circuit.npz) and "
                    "input_weights are the constrained parts")


@dataclass(frozen=True)
class CircuitParams(Params):
    """Parameters of ``circuit`` (the CLI options are generated from these declarations).

    The activity is the trials' smoothed rates, z-scored with the training trials' statistics; the
    last 20 % of trials are the test block, each run free from its first bin.
    """

    file: str | None = option(None, _FILE_HELP, positional=True, show_default=False)
    model: str = option("low_rank", "rate network (see neurodiscovery.dynamics.fit_circuit)",
                        choices=("low_rank", "full_rank", "latent"))
    rank: int = option(2, "rank of the connectivity (low_rank)", low=1)
    n_latent: int = option(4, "latent units (latent)", low=1)
    inputs: tuple[str, ...] | None = option(None, "behaviours fed to the network as inputs", show_default=False)
    # the movement onset by default, as dynamics: from trial start an autonomous network cannot time the movement
    # (held-out R² 0.07 from start_s, 0.24 from go_s on builtin:reaching)
    event: str | None = event_option()
    window_s: tuple[float, ...] | None = window_option()
    bin_size_s: float = option(0.02, "bin width", unit="s", low=0, low_open=True, flag="--bin-size")
    smooth_s: float = option(0.05, "Gaussian smoothing SD of the rates", unit="s", low=0, flag="--smooth")
    alpha: float = option(0.2, "dt/tau of the network's Euler update", unit="1", low=0, low_open=True)
    max_epochs: int = option(200, "training epochs at most", low=1)
    seed: int = option(0, "seeds splits, initialisation and training", low=0)
    n_threads: int = option(1, "torch and BLAS threads", low=1, flag="--threads")

    def __post_init__(self) -> None:
        super().__post_init__()
        check_window(self.window_s)


@dataclass(frozen=True)
class CircuitResult:
    """Typed result of ``circuit``.

    Attributes
    ----------
    params : CircuitParams
    fit : CircuitFit
        The fitted network (connectivity, input weights, column space, held-out R²).
    metrics : dict
        The run's own ``metrics.json`` keys (see :func:`metrics_properties`).
    heldout : ndarray, shape (test trials, time, neurons)
        Recorded z-scored rates of the test trials.
    predicted : ndarray, shape (test trials, time, neurons)
        The network run freely from each test trial's first bin.
    """

    params: CircuitParams
    fit: object
    metrics: dict
    heldout: np.ndarray
    predicted: np.ndarray

    def key_numbers(self) -> list:
        """The network's held-out R² first, then validation R², the trial split and the neurons fitted."""
        from .._utils.quantity import count, number_of, quantity
        from .network_report import fit_quantity

        fit, m = self.fit, self.metrics
        return [fit_quantity(m),
                quantity("validation R² (trials used for early stopping)", fit.r2_val),
                count("trials fitted / validated / tested", fit.n_train, fit.n_train + fit.n_val + fit.n_test,
                      "trials", note=f"{fit.n_val} validation and {fit.n_test} test trials, contiguous blocks, "
                                     "test last"),
                number_of("neurons fitted", m["n_neurons"], "neurons")]

    def to_metrics(self) -> dict:
        """The fit's summary, sizes, inputs and fit quality (see :func:`metrics_properties`)."""
        return dict(self.metrics)


def _load(params):
    from ._cli_inputs import load_recording

    return load_recording(params.file)


def _inputs(data: AlignedTrials, idx):
    if data.behavior is None:
        return np.zeros((len(idx), data.counts.shape[1], 0))
    return data.behavior[idx]


def compute(params: CircuitParams, rec) -> CircuitResult:
    """Fit the rate network to ``rec``'s trials and score it on the test block (no files, no figures)."""
    from ..data.trial_tensor import trial_tensor
    from ..dynamics import fit_circuit, split_trials
    from ..dynamics.circuit import simulate_fit
    from .dynamics import _rates
    from .dynamics_methods import fitted_network
    from .network_report import fit_quality_entries

    inputs = None if params.inputs is None else list(params.inputs)
    data = trial_tensor(rec, event=params.event, window_s=params.window_s, bin_size_s=params.bin_size_s,
                      behaviors=inputs)
    tr, _, te = split_trials(len(data.counts))
    y = _rates(data, params.smooth_s, len(tr))
    fit = fit_circuit(y, data.behavior, model=params.model, rank=params.rank, n_latent=params.n_latent,
                      alpha=params.alpha, max_epochs=params.max_epochs, seed=params.seed)
    metrics = {**fit.to_json(), "n_trials": len(y), "n_neurons": int(y.shape[2]), "inputs": list(inputs or []),
               "aligned_on": data.event, "window_s": [float(w) for w in data.window_s],
               "identifiability": _IDENTIFIABILITY,
               **fit_quality_entries(fit.r2_test, "connectivity and input weights")}
    return CircuitResult(params, fit, metrics, y[te], simulate_fit(fitted_network(fit), y[te], _inputs(data, te)))


def render(result: CircuitResult, figures) -> list:
    """The fit-quality section with the held-out trajectories and the connectivity."""
    from ..dynamics.plotting import plot_connectivity
    from .network_report import network_section

    fit = result.fit
    text = [f"A {fit.model.replace('_', '-')} tanh rate network fitted by backpropagation through whole trials.",
            result.metrics["identifiability"] + "."]
    figs = [figures.save(_plot_heldout(result.heldout, result.predicted).figure, "heldout_fit",
                         "Held-out trials in the first two PCs: recorded (solid) and the network run freely from "
                         "each trial's first bin (dashed)."),
            figures.save(plot_connectivity(fit.connectivity).figure, "connectivity",
                         "Fitted recurrent connectivity W (not identifiable from activity alone; see the text).")]
    return [network_section("Circuit fit", result.metrics, text, figs)]


def _write(result: CircuitResult, folder: Path) -> None:
    from ..dynamics import save_circuit

    fit = result.fit
    save_circuit(fit, Path(folder) / "model")
    np.savez_compressed(Path(folder) / "circuit.npz", connectivity=fit.connectivity, input_weights=fit.input_weights,
                        column_space=fit.column_space,
                        **({"embedding": fit.embedding} if fit.embedding is not None else {}))


def _plot_heldout(y, pred):
    import matplotlib.pyplot as plt

    flat = y.reshape(-1, y.shape[2])
    mu = flat.mean(0)
    basis = np.linalg.svd(flat - mu, full_matrices=False)[2][:2].T
    _, ax = plt.subplots(figsize=(5.5, 4))  # wide enough for the whole title
    for k in range(min(6, len(y))):
        a, b = (y[k] - mu) @ basis, (pred[k] - mu) @ basis
        line, = ax.plot(a[:, 0], a[:, 1], lw=1.2)
        ax.plot(b[:, 0], b[:, 1], "--", color=line.get_color(), lw=1.2)
    ax.set_xlabel("PC1")
    ax.set_ylabel("PC2")
    ax.set_title("held-out trials: recorded (solid) vs model (dashed)")
    return ax


def metrics_properties() -> dict:
    """Declared top-level keys of ``circuit``'s ``metrics.json``."""
    from .dynamics_methods import fit_quality_properties

    n = integer
    return {"model": text(nullable=False), "r2_test": number("1", "held-out R² (test trials, free-running)"),
            "r2_val": number("1", "validation R²"), "n_units": n("1", "network units observed"),
            "n_train": n("1", "training trials"), "n_val": n("1", "validation trials"),
            "n_test": n("1", "test trials"), "train_s": number("s", "training wall time"),
            "connectivity_singular_values": array(number("1", "singular value of the connectivity (dt/tau units)")),
            "n_trials": n("1", "trials"), "n_neurons": n("1", "neurons"), "inputs": array(text()),
            "identifiability": text(), "aligned_on": text("trial-table column the trials are aligned to"),
            "window_s": array(number("s", "window start and stop around the event")), **fit_quality_properties()}


def _line(run) -> str:
    from ._lines import key_line

    return key_line(run, f"circuit {run.result.params.model}", n=5)


COMMAND = Command(
    "circuit", "fit a tanh rate network (low-rank, full-rank or latent circuit) to trial activity by backpropagation "
    "through whole trials; reports connectivity, input weights and the held-out fit", CircuitParams, compute, render,
    metrics_properties, load=_load, write=_write, line=_line, title=lambda p, r: "Circuit fit")


def run_circuit(rec, *, out=None, config: dict | None = None, **params) -> tuple[Path, dict]:
    """Fit a rate network to a recording's trials and write a run folder with the checkpoint.

    Parameters
    ----------
    rec : Recording
        Recording with a trial table.
    out : path, optional
        Run folder (default ``runs/<UTC>-circuit``).
    config : dict, optional
        Extra entries recorded in ``config.json``.
    **params
        Any field of :class:`CircuitParams` (``event``, ``window_s``, ``bin_size_s``, ``smooth_s``,
        ``inputs``, ``model``, ``rank``, ``n_latent``, ``alpha``, ``max_epochs``, ``seed``).

    Returns
    -------
    (Path, dict) : the run folder and its metrics.
    """
    run = execute(COMMAND, CircuitParams(**params), inputs=rec, out=out, config=config)
    return run.path, run.metrics
