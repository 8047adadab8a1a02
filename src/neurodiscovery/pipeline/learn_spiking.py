"""``learn spiking`` (command ``learn-spiking``): train LIF networks with BPTT / e-prop.

``execute("learn-spiking", LearnSpikingParams(task="randman", rules=("bptt", "eprop")))`` is the
CLI's path; :func:`run_learn_spiking` is the keyword form kept for existing callers. The folder
holds ``accuracy.md`` (rules x seeds), ``energy.md`` (synaptic operations vs MLP MACs),
``communication.md`` (numbers sent backwards per update), ``metrics.json``, ``curves.npz``,
``figures/`` (learning curves, rasters of the trained network) and ``report.html``.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._utils.errors import InputError
from .._utils.metrics_schema import array, boolean, integer, mapping, number, obj, quantity_field, text
from .._utils.params import Params, option
from .._utils.quantity import count, quantity
from .command import Command, execute, progress_callback
from .learn_continual import _md, _seeds
from .report import Figure, Section, save_figure

__all__ = ["COMMAND", "LearnSpikingParams", "LearnSpikingResult", "run_learn_spiking"]

SNN_RULES = ("bptt", "eprop", "eprop-random")  # literal (parsing stays import-light); tested equal to the library's
NEURONS = ("iaf_psc_exp", "synaptic")


@dataclass(frozen=True)
class LearnSpikingParams(Params):
    """Parameters of ``learn spiking`` (the CLI options are generated from these declarations)."""

    task: str = option("randman", "randman, digits, mnist1d or a CSV file with a 'label' column")
    rule: str = option("bptt", "learning rule", choices=SNN_RULES)
    rules: tuple[str, ...] | None = option(None, "several rules (default: --rule)", choices=SNN_RULES,
                                           show_default=False)
    seeds: int = option(3, "number of seeds, 0..N-1", low=1)
    encoding: str = option("latency", "spike code of feature tasks", choices=("latency", "rate"))
    n_steps: int = option(30, "time steps per sample", low=2, flag="--steps")
    dt_ms: float = option(1.0, "time step", unit="ms", low=0, low_open=True, flag="--dt-ms")
    threshold_mv: float = option(1.0, "spike threshold above rest", unit="mV", low=0, low_open=True,
                                 flag="--threshold-mv")
    neuron: str = option("iaf_psc_exp", "the engine's exact-integration neuron, or snnTorch's discrete "
                         "Synaptic (reset to zero; no export, no e-prop)", choices=NEURONS)
    n_hidden: int = option(100, "hidden LIF neurons", low=1, flag="--hidden")
    recurrent: bool = option(False, "recurrent hidden layer")
    n_outputs: int | None = option(None, "output neurons (default: number of classes)", low=1, flag="--outputs",
                                   show_default=False)
    epochs: int = option(20, "training epochs", low=1)
    batch_size: int = option(64, "samples per update", low=1)
    lr: float = option(2e-3, "Adam learning rate (its step is in the weights' unit)", unit="pA", low=0,
                       low_open=True)
    export_samples: int = option(20, "test samples re-run on the native engine to check the export (0 skips)",
                                 low=0)
    n_threads: int = option(1, "torch and BLAS CPU threads", low=1, flag="--threads")


@dataclass(frozen=True)
class LearnSpikingResult:
    """Typed result of ``learn spiking``: the encoded task, the fits per rule and the measured tables."""

    params: LearnSpikingParams
    data: object
    fits: dict
    accuracy_rows: list
    accuracy: dict
    energy_rows: list
    energy: dict
    communication: list
    export: dict | None

    def key_numbers(self) -> list:
        """Test accuracy per rule and the output spikes the engine reproduced."""
        out = [quantity(f"{r} test accuracy (mean over {_seeds(len(fs))})", self.accuracy[r]["test_accuracy"]["value"],
                        "%", note=self.accuracy[r]["test_accuracy"].get("note")) for r, fs in self.fits.items()]
        if self.export is not None:
            e = self.export["output_spikes_reproduced"]
            out.append(count("output spikes reproduced on the native engine", e["value"], e["of"], "output spikes",
                             note=e.get("note")))
        return out

    def to_metrics(self) -> dict:
        """``task``, ``accuracy``, ``energy``, ``communication`` and ``export``."""
        return {"task": self.data.description, "accuracy": self.accuracy, "energy": self.energy,
                "communication": self.communication, "export": self.export}


def compute(params: LearnSpikingParams, inputs=None) -> LearnSpikingResult:
    """Train every rule and seed; count operations; check the export on the native engine."""
    from ..learning.encoding import load_spike_task
    from ..learning.energy import communication_table
    from ..learning.snn_train import train_snn
    from ..learning.spiking import LIFConfig

    rules = list(dict.fromkeys(params.rules)) if params.rules else [params.rule]
    cfg = LIFConfig(dt_ms=params.dt_ms, threshold_mv=params.threshold_mv, neuron=params.neuron)
    if cfg.neuron != "iaf_psc_exp" and any(r != "bptt" for r in rules):
        raise InputError(f"--neuron {cfg.neuron} trains with bptt only (e-prop is derived for iaf_psc_exp)")
    data = load_spike_task(params.task, encoding=params.encoding, n_steps=params.n_steps, dt_ms=params.dt_ms)
    if params.n_outputs is not None and params.n_outputs < data.n_classes:
        raise InputError(f"{data.n_classes} classes but --outputs {params.n_outputs}; use at least {data.n_classes}")
    fits = {r: [train_snn(data, r, n_hidden=params.n_hidden, recurrent=params.recurrent, n_epochs=params.epochs,
                          batch_size=params.batch_size, lr=params.lr, seed=s, config=cfg, n_outputs=params.n_outputs,
                          progress=progress_callback()) for s in range(params.seeds)] for r in rules}
    acc_rows, acc = _accuracy_rows(fits)
    energy_rows, energy = _energy(data, fits)
    first = next(iter(fits.values()))[0]
    n_in, n_h, n_out = first.network.sizes
    comm = communication_table([n_in, n_h, n_out], data.n_steps)
    export = None
    if params.export_samples > 0 and cfg.neuron == "iaf_psc_exp":
        export = _export(first, data.X_test[:params.export_samples])
    return LearnSpikingResult(params, data, fits, acc_rows, acc, energy_rows, energy, comm, export)


def _export(fit, X) -> dict:
    from ..learning.export import export_agreement

    ag = export_agreement(fit.network, X)
    return {"output_spikes_reproduced": count(
                "output spikes of the torch forward pass reproduced by the native engine", ag.matched_output_spikes,
                max(ag.torch_output_spikes, ag.engine_output_spikes), "output spikes",
                note=f"{ag.n_samples} test samples, rule {fit.rule}, seed 0").to_json(),
            "hidden_agreement": quantity("hidden (sample, step, neuron) entries that agree", ag.hidden_agreement).to_json(),
            "engine_synaptic_events": count("synaptic events delivered by the engine", ag.synaptic_events,
                                            ag.synaptic_events, "events", note=f"over {ag.n_samples} samples").to_json()}


def run_learn_spiking(task: str = "randman", rules: Sequence[str] = ("bptt",), *, seeds: int = 3,
                      out: str | os.PathLike | None = None, progress: Callable[[str], None] | None = None,
                      **params) -> Path:
    """Train spiking networks on one task; returns the finished run folder.

    Parameters
    ----------
    task : str
        ``randman``, ``digits``, ``mnist1d`` or a CSV path (``label`` column + numeric features).
    rules : sequence of str
        ``bptt``, ``eprop``, ``eprop-random``.
    seeds : int
        Seeds 0 .. seeds-1 per rule.
    out : path, optional
        Run folder to create (default ``runs/<timestamp>-learn-spiking``).
    progress : callable, optional
        Called with one line per epoch.
    **params
        Any other field of :class:`LearnSpikingParams` (``n_steps``, ``dt_ms``, ``threshold_mv``,
        ``n_hidden``, ``epochs``, ``lr``, ...).
    """
    if not list(rules):
        raise InputError("no learning rule given")
    p = LearnSpikingParams(task=str(task), rules=tuple(rules), seeds=seeds, **params)
    return execute(COMMAND, p, out=out, progress=progress).path


def _accuracy_rows(fits) -> tuple[list[dict], dict]:
    rows, metrics = [], {}
    for rule, fs in fits.items():
        acc = 100 * np.array([f.test_accuracy for f in fs])
        sd = float(acc.std(ddof=1)) if len(acc) > 1 else 0.0
        ep = float(np.mean([np.mean(f.epoch_time_s) for f in fs]))
        rows.append({"rule": rule, "test accuracy (%)": f"{acc.mean():.1f} ± {sd:.1f}", "seeds": len(fs),
                     "s / epoch": f"{ep:.2f}", "spikes / sample": f"{np.mean([f.test_spikes_per_sample for f in fs]):.1f}"})
        metrics[rule] = {"test_accuracy": quantity(f"{rule} test accuracy, mean over {_seeds(len(fs))}", acc.mean(), "%",
                                                   note=f"SD over seeds {sd:.2f} %").to_json(),
                         "test_accuracy_per_seed": [round(float(a), 3) for a in acc],
                         "epoch_time": quantity(f"{rule} training time per epoch", ep, "s").to_json()}
    return rows, metrics


def _energy(data, fits) -> tuple[list[dict], dict]:
    from ..learning.energy import mlp_accuracy_by_width, spike_features, synaptic_operations
    from ..learning.tasks import ClassificationTask

    rows, metrics = [], {"snn": {}}
    for rule, fs in fits.items():
        ops = synaptic_operations(fs[0].network, data.X_test[:256])
        rows.append({"model": f"SNN {rule} (seed 0)", "test accuracy (%)": f"{100 * fs[0].test_accuracy:.1f}",
                     "operations / inference": f"{ops['synops_per_sample']:.0f} SynOps (additions)",
                     "neuron updates / inference": f"{ops['neuron_updates_per_sample']:.0f}"})
        metrics["snn"][rule] = {k: quantity(f"{rule} {k.replace('_', ' ')}", v, "1").to_json() for k, v in ops.items()}
    feats = ClassificationTask(data.name, spike_features(data.X_train), data.y_train,
                               spike_features(data.X_test), data.y_test, "spike features")
    mlps = mlp_accuracy_by_width(feats)
    for m in mlps:
        rows.append({"model": f"MLP {feats.n_features}-{m['hidden']}-{feats.n_classes} (backprop)",
                     "test accuracy (%)": f"{100 * m['test_accuracy']:.1f}",
                     "operations / inference": f"{m['macs_per_sample']} MACs", "neuron updates / inference": "-"})
    metrics["mlp"] = [{"hidden": m["hidden"], "macs": quantity("MLP multiply-accumulates per inference",
                                                              m["macs_per_sample"], "1").to_json(),
                       "test_accuracy": quantity("MLP test accuracy", 100 * m["test_accuracy"], "%").to_json()}
                      for m in mlps]
    return rows, metrics


def render(result: LearnSpikingResult, figures) -> list:
    """Accuracy, learning curves, rasters, operations, communication and export sections."""
    return _sections(figures.figures_dir, result.data, result.fits, result.accuracy_rows, result.energy_rows,
                     result.communication, result.export)


def _write(result: LearnSpikingResult, folder: Path) -> None:
    data = result.data
    (folder / "accuracy.md").write_text(f"# Spiking networks on {data.name}\n\n{data.description}\n\n"
                                        f"{_md(result.accuracy_rows)}\n", encoding="utf-8")
    (folder / "energy.md").write_text("# Operations per inference\n\nSynOps: spikes x out-degree (one addition each); "
                                      "MACs: multiply-accumulates of an MLP on the same inputs. Counts, not joules.\n\n"
                                      f"{_md(result.energy_rows)}\n", encoding="utf-8")
    (folder / "communication.md").write_text("# Numbers sent backwards per sample and update\n\n"
                                             f"{_md(result.communication)}\n", encoding="utf-8")
    np.savez_compressed(folder / "curves.npz", **{f"{r}__seed{f.seed}__train_loss": np.array(f.train_loss)
                                                   for r, fs in result.fits.items() for f in fs})


def metrics_properties() -> dict:
    """Declared top-level keys of ``learn-spiking``'s ``metrics.json``."""
    acc = obj({"test_accuracy": quantity_field("mean over seeds"),
               "test_accuracy_per_seed": array(number("%", "test accuracy of each seed")),
               "epoch_time": quantity_field("mean training time per epoch")})
    mlp = obj({"hidden": integer("1", "hidden units"), "macs": quantity_field("multiply-accumulates per inference"),
               "test_accuracy": quantity_field()})
    comm = obj({"rule": text(nullable=False), "error_values": integer("1", "error values sent back per sample"),
                "feedback_messages": integer("1", "numbers sent along feedback connections per sample"),
                "weight_transport": boolean("the feedback needs the forward weights"),
                "stored_per_sample": integer("1", "numbers kept per sample for the update")})
    export = obj({"output_spikes_reproduced": quantity_field(), "hidden_agreement": quantity_field(),
                  "engine_synaptic_events": quantity_field()})
    return {"task": text(), "accuracy": mapping(acc, "rule -> test accuracy"),
            "energy": obj({"snn": mapping(mapping(quantity_field()), "rule -> operation counts per inference"),
                           "mlp": array(mlp, "backprop MLPs of several widths on the same inputs")}),
            "communication": array(comm, "numbers sent backwards per sample and update, per rule"),
            "export": {"anyOf": [{"type": "null"}, export]}}


def _line(run) -> str:
    return f"{(run.path / 'accuracy.md').read_text()}\nrun folder: {run.path}"


COMMAND = Command(
    "learn-spiking", "train LIF networks (bptt, eprop, eprop-random) on Randman, latency- or rate-coded digits, "
    "MNIST-1D or a CSV; accuracy, operations per inference, numbers sent backwards, export to the engine",
    LearnSpikingParams, compute, render, metrics_properties, write=_write, line=_line,
    title=lambda p, r: f"Spiking networks on {r.data.name}")


def _sections(figures_dir, data, fits, acc_rows, energy_rows, comm, export) -> list[Section]:
    import torch

    from ..plotting.snn import plot_epoch_curves, plot_layer_raster

    ax = plot_epoch_curves([(f"{r} seed {f.seed}", f.train_loss) for r, fs in fits.items() for f in fs])
    save_figure(ax.figure, figures_dir, "training_loss")
    ax = plot_epoch_curves([(f"{r} seed {f.seed}", 100 * np.array(f.train_accuracy)) for r, fs in fits.items()
                            for f in fs], ylabel="training accuracy (%)", log=False)
    save_figure(ax.figure, figures_dir, "training_accuracy")
    figs = [Figure("training_loss", "Mean mini-batch cross-entropy per epoch, one line per seed."),
            Figure("training_accuracy", "Mini-batch training accuracy per epoch.")]
    for r, fs in fits.items():
        with torch.no_grad():
            fw = fs[0].network.forward(data.X_test[:1])
        ax = plot_layer_raster([("input", data.X_test[0]), ("hidden", fw.hidden[0].numpy()),
                                ("output", fw.output[0].numpy())], data.dt_ms,
                               title=f"{r}, seed 0: test sample 0 (label {data.y_test[0]})")
        save_figure(ax.figure, figures_dir, f"raster_{r}")
        figs.append(Figure(f"raster_{r}", f"Spikes of the network trained by {r} on one test sample."))
    acc = Section("accuracy", "Held-out test accuracy", text=[data.description,
                  "Fixed epochs and learning rate; the test part is scored once after the last epoch."],
                  tables=[("test accuracy per rule (mean ± SD over seeds)", acc_rows)], figures=figs)
    energy = Section("energy", "Operations per inference", text=[
        "SynOps are counted from the spikes (each spike costs one addition per outgoing synapse); the MLPs get "
        "the same inputs as features. A MAC costs about 5x an addition in 45 nm CMOS (Horowitz 2014); memory "
        "access, which dominates on real chips, is not counted."], tables=[("operations", energy_rows)])
    comm_s = Section("communication", "Numbers sent backwards per update", tables=[("per sample", comm)])
    out = [acc, energy, comm_s]
    if export is not None:
        e = export["output_spikes_reproduced"]
        out.append(Section("export", "Deployment on the native engine", text=[
            f"{e['value']} of {e['of']} output spikes of the torch forward pass (float64, float32 weights) were "
            f"reproduced by the event-driven engine ({e['note']})."]))
    return out
