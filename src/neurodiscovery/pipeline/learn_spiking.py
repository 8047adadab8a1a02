"""``learn spiking``: train LIF networks with BPTT / e-prop and write a run folder.

The folder holds ``accuracy.md`` (rules x seeds), ``energy.md`` (synaptic operations vs MLP
MACs), ``communication.md`` (numbers sent backwards per update), ``metrics.json`` (every number
as a :class:`~neurodiscovery._utils.quantity.Quantity`), ``curves.npz``, ``figures/`` (learning
curves, rasters of the trained network) and ``report.html``.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .._utils.errors import InputError
from .._utils.quantity import count, quantity
from .._utils.runfolder import RunFolder
from .report import Figure, Section, render_html, save_figure


def _md(rows: list[dict]) -> str:
    if not rows:
        return ""
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def spike_features(X: np.ndarray) -> np.ndarray:
    """Features an MLP gets from spike trains ``X (samples, n_steps, n_inputs)``: earliness of the first spike
    (1 at step 0, 0 when silent) when every input spikes at most once, else the spike count per step.
    """
    X = np.asarray(X)
    n_steps = X.shape[1]
    if X.sum(1).max() <= 1:
        first = np.where(X.any(1), X.argmax(1), n_steps)
        return 1.0 - first / n_steps
    return X.sum(1) / n_steps


def run_learn_spiking(task: str = "randman", rules: Sequence[str] = ("bptt",), *, seeds: int = 3,
                      encoding: str = "latency", n_steps: int = 30, dt_ms: float = 1.0, threshold_mv: float = 1.0,
                      n_hidden: int = 100, recurrent: bool = False, n_outputs: int | None = None,
                      n_epochs: int = 20, batch_size: int = 64, lr: float = 2e-3, export_samples: int = 20,
                      out: str | os.PathLike | None = None,
                      progress: Callable[[str], None] | None = None) -> Path:
    """Train spiking networks on one task; returns the finished run folder.

    Parameters
    ----------
    task : str
        ``randman``, ``digits``, ``mnist1d`` or a CSV path (``label`` column + numeric features).
    rules : sequence of str
        ``bptt``, ``eprop``, ``eprop-random``.
    seeds : int
        Seeds 0 .. seeds-1 per rule.
    encoding : {"latency", "rate"}
        Spike code of feature tasks.
    n_steps : int
        Time steps per sample.
    dt_ms : float
        Time step (ms), > 0.
    threshold_mv : float
        Spike threshold above rest (mV), > 0.
    n_hidden : int
        Hidden LIF neurons.
    recurrent : bool
        Recurrent hidden layer.
    n_outputs : int, optional
        Output neurons (default: number of classes).
    n_epochs, batch_size, lr
        Training epochs, samples per update and Adam learning rate.
    export_samples : int
        Test samples run on the native engine to check the export (0: skip).
    out : path, optional
        Run folder to create (default ``runs/<timestamp>-learn-spiking``).
    progress : callable, optional
        Called with one line per epoch.
    """
    from ..learning.encoding import load_spike_task
    from ..learning.snn_train import _check_rule, train_snn
    from ..learning.spiking import LIFConfig

    rules = list(dict.fromkeys(rules))
    if not rules:
        raise InputError("no learning rule given")
    for r in rules:
        _check_rule(r)
    if int(seeds) < 1:
        raise InputError(f"--seeds must be >= 1, got {seeds}")
    cfg = LIFConfig(dt_ms=float(dt_ms), threshold_mv=float(threshold_mv))
    data = load_spike_task(task, encoding=encoding, n_steps=int(n_steps), dt_ms=float(dt_ms))
    if n_outputs is not None and int(n_outputs) < data.n_classes:
        raise InputError(f"{data.n_classes} classes but --outputs {n_outputs}; use at least {data.n_classes}")
    config = {"task": str(task), "rules": rules, "seeds": int(seeds), "encoding": encoding, "n_steps": int(n_steps),
              "neuron": cfg.to_dict(), "n_hidden": int(n_hidden), "recurrent": bool(recurrent),
              "n_outputs": n_outputs, "n_epochs": int(n_epochs), "batch_size": int(batch_size), "lr": float(lr),
              "data": data.description}
    with RunFolder("learn-spiking", out=out, config=config) as run:
        fits = {r: [train_snn(data, r, n_hidden=n_hidden, recurrent=recurrent, n_epochs=n_epochs,
                              batch_size=batch_size, lr=lr, seed=s, config=cfg, n_outputs=n_outputs,
                              progress=progress) for s in range(int(seeds))] for r in rules}
        _write(run, data, fits, int(export_samples), config)
    return run.path


def _accuracy_rows(fits) -> tuple[list[dict], dict]:
    rows, metrics = [], {}
    for rule, fs in fits.items():
        acc = 100 * np.array([f.test_accuracy for f in fs])
        sd = float(acc.std(ddof=1)) if len(acc) > 1 else 0.0
        ep = float(np.mean([np.mean(f.epoch_time_s) for f in fs]))
        rows.append({"rule": rule, "test accuracy (%)": f"{acc.mean():.1f} ± {sd:.1f}", "seeds": len(fs),
                     "s / epoch": f"{ep:.2f}", "spikes / sample": f"{np.mean([f.test_spikes_per_sample for f in fs]):.1f}"})
        metrics[rule] = {"test_accuracy": quantity(f"{rule} test accuracy, mean over {len(fs)} seeds", acc.mean(), "%",
                                                   note=f"SD over seeds {sd:.2f} %").to_json(),
                         "test_accuracy_per_seed": [round(float(a), 3) for a in acc],
                         "epoch_time": quantity(f"{rule} training time per epoch", ep, "s").to_json()}
    return rows, metrics


def _energy(data, fits) -> tuple[list[dict], dict]:
    from ..learning.energy import mlp_accuracy_by_width, synaptic_operations
    from ..learning.tasks import ClassificationTask

    rows, metrics = [], {}
    for rule, fs in fits.items():
        ops = synaptic_operations(fs[0].network, data.X_test[:256])
        rows.append({"model": f"SNN {rule} (seed 0)", "test accuracy (%)": f"{100 * fs[0].test_accuracy:.1f}",
                     "operations / inference": f"{ops['synops_per_sample']:.0f} SynOps (additions)",
                     "neuron updates / inference": f"{ops['neuron_updates_per_sample']:.0f}"})
        metrics[rule] = {k: quantity(f"{rule} {k.replace('_', ' ')}", v, "1").to_json() for k, v in ops.items()}
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


def _write(run, data, fits, export_samples: int, config: dict) -> None:
    from ..learning.energy import communication_table

    acc_rows, acc_metrics = _accuracy_rows(fits)
    energy_rows, energy_metrics = _energy(data, fits)
    first = next(iter(fits.values()))[0]
    n_in, n_h, n_out = first.network.sizes
    comm = communication_table([n_in, n_h, n_out], data.n_steps)
    run.write_text("accuracy.md", f"# Spiking networks on {data.name}\n\n{data.description}\n\n{_md(acc_rows)}\n")
    run.write_text("energy.md", "# Operations per inference\n\nSynOps: spikes x out-degree (one addition each); "
                   "MACs: multiply-accumulates of an MLP on the same inputs. Counts, not joules.\n\n"
                   f"{_md(energy_rows)}\n")
    run.write_text("communication.md", "# Numbers sent backwards per sample and update\n\n"
                   f"{_md(comm)}\n")
    metrics = {"task": data.description, "accuracy": acc_metrics, "energy": energy_metrics, "communication": comm}
    if export_samples > 0:
        from ..learning.export import export_agreement

        ag = export_agreement(first.network, data.X_test[:export_samples])
        metrics["export"] = {
            "output_spikes_reproduced": count("output spikes of the torch forward pass reproduced by the native engine",
                                              ag.matched_output_spikes, max(ag.torch_output_spikes, ag.engine_output_spikes),
                                              "output spikes", note=f"{ag.n_samples} test samples, rule {first.rule}, seed 0").to_json(),
            "hidden_agreement": quantity("hidden (sample, step, neuron) entries that agree", ag.hidden_agreement).to_json(),
            "engine_synaptic_events": count("synaptic events delivered by the engine", ag.synaptic_events, ag.synaptic_events,
                                            "events", note=f"over {ag.n_samples} samples").to_json()}
    np.savez_compressed(run.dir / "curves.npz", **{f"{r}__seed{f.seed}__train_loss": np.array(f.train_loss)
                                                    for r, fs in fits.items() for f in fs})
    run.write_metrics(metrics)
    sections = _sections(run, data, fits, acc_rows, energy_rows, comm, metrics.get("export"))
    key = [(f"{r['rule']} test accuracy", r["test accuracy (%)"] + " %") for r in acc_rows]
    if "export" in metrics:
        e = metrics["export"]["output_spikes_reproduced"]
        key.append(("output spikes reproduced on the engine", f"{e['value']} of {e['of']}"))
    run.write_text("report.html", render_html(f"Spiking networks on {data.name}", key, sections, run.figures, config))


def _sections(run, data, fits, acc_rows, energy_rows, comm, export) -> list[Section]:
    import torch

    from ..plotting.snn import plot_epoch_curves, plot_layer_raster

    ax = plot_epoch_curves([(f"{r} seed {f.seed}", f.train_loss) for r, fs in fits.items() for f in fs])
    save_figure(ax.figure, run.figures, "training_loss")
    ax = plot_epoch_curves([(f"{r} seed {f.seed}", 100 * np.array(f.train_accuracy)) for r, fs in fits.items()
                            for f in fs], ylabel="training accuracy (%)", log=False)
    save_figure(ax.figure, run.figures, "training_accuracy")
    figs = [Figure("training_loss", "Mean mini-batch cross-entropy per epoch, one line per seed."),
            Figure("training_accuracy", "Mini-batch training accuracy per epoch.")]
    for r, fs in fits.items():
        with torch.no_grad():
            fw = fs[0].network.forward(data.X_test[:1])
        ax = plot_layer_raster([("input", data.X_test[0]), ("hidden", fw.hidden[0].numpy()),
                                ("output", fw.output[0].numpy())], data.dt_ms,
                               title=f"{r}, seed 0: test sample 0 (label {data.y_test[0]})")
        save_figure(ax.figure, run.figures, f"raster_{r}")
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
