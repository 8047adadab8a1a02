"""Surrogate-gradient BPTT: neurodiscovery vs snnTorch on the same SNN, side by side in one run.

Tasks: Randman (Zenke & Vogels 2021; 10 classes, 20 inputs, 30 steps) and latency-coded sklearn
digits (64 inputs, 20 steps). Network: inputs -> 100 LIF -> 10 LIF, current-based synapses
(tau_syn 5 ms, tau_m 10 ms, dt 1 ms), threshold 1, reset to zero, fast-sigmoid surrogate (slope
10), loss = cross-entropy of output spike counts (snnTorch's ``ce_count_loss``), Adam 2e-3,
batch 64, the same batch order, the same initial weights (snnTorch's ``Synaptic`` adds the
current to the membrane directly, so its weights are ours times the propagator ``P21``), one
torch thread each. Adam's step is in weight units, so ours uses the learning rate 2e-3 / P21,
which is snnTorch's 2e-3 on its weights.

The same SNN: ours runs ``LIFConfig(neuron="synaptic")``, snnTorch's ``Synaptic`` update
(reset to zero with its delayed reset, current not reset, no delay between layers). Before
training, both forward passes run on the initial weights and the test inputs (float64) and the
fraction of identical hidden and output spikes is printed. Ours with the engine's neuron
(``iaf_psc_exp``: one-step delay per layer, current continues after a spike) is trained too,
from the same weights, and reported beside them.

snnTorch runs in its own virtual environment, ``benchmarks/.venv-snntorch``, made here on first
use: ``snntorch==1.0.0`` installed with pip, and the main environment's torch 2.13.0 (CPU) made
visible through a ``.pth`` file rather than downloading a second copy of torch.

    python benchmarks/spiking.py [--epochs 15] [--seeds 3] [--json out.json]
    python benchmarks/spiking.py --mnist      # latency-coded MNIST from a CSV (benchmarks/spiking_mnist.py)

Prints accuracy and seconds per epoch of both, the accuracy gap (points) and the time ratio.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-snntorch"


def ensure_venv() -> Path:
    """Python of the snnTorch venv, created on first use."""
    py = VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(VENV)], check=True)
        import site

        sp = next(Path(p) for p in site.getsitepackages() if p.endswith("site-packages"))
        vsp = next((VENV / "lib").glob("python*/site-packages"))
        subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(vsp),
                        "snntorch==1.0.0"], check=True)
        # torch 2.13.0 (CPU), numpy: the main environment's copies, appended after the venv's own packages
        (vsp / "zz_main_env.pth").write_text(str(sp) + "\n")
    return py


def snntorch_worker(npz: str, out: str) -> None:
    """Train the same network with snnTorch (runs inside the snnTorch venv)."""
    import snntorch as snn
    import torch
    from snntorch import functional as SF
    from snntorch import surrogate

    torch.set_num_threads(1)
    d = np.load(npz)
    p = json.loads(str(d["params"]))
    Xtr, ytr = torch.as_tensor(d["X_train"]), torch.as_tensor(d["y_train"]).long()
    Xte, yte = torch.as_tensor(d["X_test"]), torch.as_tensor(d["y_test"]).long()
    fc1 = torch.nn.Linear(Xtr.shape[2], p["n_hidden"], bias=False)
    fc2 = torch.nn.Linear(p["n_hidden"], 10 if "n_out" not in p else p["n_out"], bias=False)
    with torch.no_grad():
        fc1.weight.copy_(torch.as_tensor(d["w_in"]).T * p["p21"])
        fc2.weight.copy_(torch.as_tensor(d["w_out"]).T * p["p21"])
    grad = surrogate.fast_sigmoid(slope=p["slope"])
    l1 = snn.Synaptic(alpha=p["alpha"], beta=p["beta"], threshold=1.0, spike_grad=grad, reset_mechanism="zero")
    l2 = snn.Synaptic(alpha=p["alpha"], beta=p["beta"], threshold=1.0, spike_grad=grad, reset_mechanism="zero")
    params = list(fc1.parameters()) + list(fc2.parameters())
    opt = torch.optim.Adam(params, lr=p["lr"])
    loss_fn = SF.ce_count_loss()

    def forward(x):
        syn1, mem1 = l1.reset_mem()
        syn2, mem2 = l2.reset_mem()
        spk = []
        for t in range(x.shape[1]):
            s1, syn1, mem1 = l1(fc1(x[:, t]), syn1, mem1)
            s2, syn2, mem2 = l2(fc2(s1), syn2, mem2)
            spk.append(s2)
        return torch.stack(spk)  # (steps, batch, out): snnTorch's time-first convention

    with torch.no_grad():  # the initial network's spikes on the test inputs, float64, for the equality check
        fc1.double(), fc2.double()
        l1.alpha, l1.beta, l2.alpha, l2.beta = (t.double() for t in (l1.alpha, l1.beta, l2.alpha, l2.beta))
        syn1, mem1 = l1.reset_mem()
        syn2, mem2 = l2.reset_mem()
        h0, o0 = [], []
        for t in range(Xte.shape[1]):
            s1, syn1, mem1 = l1(fc1(Xte[:, t].double()), syn1, mem1)
            s2, syn2, mem2 = l2(fc2(s1.double()), syn2, mem2)  # snnTorch's spikes are float32
            h0.append(s1)
            o0.append(s2)
        np.savez(out + ".init.npz", hidden=torch.stack(h0, 1).numpy(), output=torch.stack(o0, 1).numpy())
        fc1.float(), fc2.float()
        l1.alpha, l1.beta, l2.alpha, l2.beta = (t.float() for t in (l1.alpha, l1.beta, l2.alpha, l2.beta))
        l1.reset_mem(), l2.reset_mem()
    rng = np.random.default_rng(p["seed"])  # train_snn's batch order
    times, losses = [], []
    for _ in range(p["epochs"]):
        t0 = time.perf_counter()
        order = rng.permutation(len(ytr))
        batch_losses = []
        for i in range(0, len(order), p["batch_size"]):
            idx = torch.as_tensor(order[i:i + p["batch_size"]])
            opt.zero_grad()
            loss = loss_fn(forward(Xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            batch_losses.append(float(loss.detach()))
        times.append(time.perf_counter() - t0)
        losses.append(float(np.mean(batch_losses)))
    with torch.no_grad():
        acc = float((forward(Xte).sum(0).argmax(1) == yte).float().mean())
    Path(out).write_text(json.dumps({"test_accuracy": acc, "epoch_time_s": times, "train_loss": losses}))


def run_task(task, epochs: int, py: Path, seed: int = 0) -> dict:
    """Ours (snnTorch's neuron, then the engine's) and snnTorch on one task and seed; the same initial weights,
    batch order and hyperparameters."""
    import torch

    from neurodiscovery.learning.snn_train import train_snn
    from neurodiscovery.learning.spiking import LIFConfig, SpikingNetwork

    torch.set_num_threads(1)
    cfg = LIFConfig(dt_ms=task.dt_ms, neuron="synaptic")
    p22, p21, _, p11 = cfg.propagators()
    init = SpikingNetwork.init(task.n_inputs, 100, task.n_classes, False, cfg, seed=seed)
    params = {"n_hidden": 100, "n_out": task.n_classes, "alpha": p11, "beta": p22, "p21": p21, "seed": seed,
              "slope": cfg.surrogate_slope, "lr": 2e-3, "batch_size": 64, "epochs": epochs}
    with tempfile.TemporaryDirectory() as tmp:
        npz, out = os.path.join(tmp, "task.npz"), os.path.join(tmp, "out.json")
        np.savez(npz, X_train=task.X_train, y_train=task.y_train, X_test=task.X_test, y_test=task.y_test,
                 w_in=init.w_in.detach().numpy(), w_out=init.w_out.detach().numpy(), params=json.dumps(params))
        net0 = SpikingNetwork(init.w_in.detach().double(), init.w_out.detach().double(), config=cfg)
        with torch.no_grad():
            fw0 = net0.forward(task.X_test)
        # Adam's step is in weight units and snnTorch's weights are ours times P21: lr / P21 is the same step
        kw = dict(n_hidden=100, n_epochs=epochs, batch_size=64, lr=2e-3 / p21, seed=seed)
        ours = train_snn(task, "bptt", config=cfg, **kw)
        engine = train_snn(task, "bptt", config=LIFConfig(dt_ms=task.dt_ms), **kw)
        subprocess.run([str(py), __file__, "--worker", npz, out], check=True)
        peer = json.loads(Path(out).read_text())
        ref = np.load(out + ".init.npz")
        same = [(fw0.hidden.numpy() == ref["hidden"]), (fw0.output.numpy() == ref["output"])]
    return {"task": task.name, "seed": seed, "epochs": epochs,
            "init_spikes_identical_fraction": float(sum(m.sum() for m in same) / sum(m.size for m in same)),
            "init_spike_count_snntorch": int(ref["hidden"].sum() + ref["output"].sum()),
            "ours_accuracy": ours.test_accuracy, "snntorch_accuracy": peer["test_accuracy"],
            "ours_engine_neuron_accuracy": engine.test_accuracy,
            "ours_epoch_s": float(np.median(ours.epoch_time_s)), "snntorch_epoch_s": float(np.median(peer["epoch_time_s"])),
            "ours_engine_neuron_epoch_s": float(np.median(engine.epoch_time_s)),
            # mean training loss per epoch of both: equal until float32 rounding differences grow
            "ours_train_loss": ours.train_loss, "snntorch_train_loss": peer["train_loss"]}


def summarise(task_rows: list) -> dict:
    """Mean and SD over seeds of one task's rows; the gap of the mean accuracies (points) and the time ratio."""
    out = {"task": task_rows[0]["task"], "epochs": task_rows[0]["epochs"], "seeds": len(task_rows),
           "init_spikes_identical_fraction": min(r["init_spikes_identical_fraction"] for r in task_rows)}
    for k in ("ours_accuracy", "snntorch_accuracy", "ours_engine_neuron_accuracy", "ours_epoch_s",
              "snntorch_epoch_s", "ours_engine_neuron_epoch_s"):
        v = np.array([r[k] for r in task_rows])
        out[k], out[k + "_sd"] = float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0
    out["accuracy_gap_points"] = 100 * (out["ours_accuracy"] - out["snntorch_accuracy"])
    out["per_seed"] = task_rows
    out["time_ratio_ours_over_snntorch"] = out["ours_epoch_s"] / out["snntorch_epoch_s"]
    return out


def print_row(r: dict) -> None:
    """One line per task."""
    def pm(k):
        return f"{100 * r[k]:.1f} ± {100 * r[k + '_sd']:.1f} %"

    print(f"{r['task']:8s} ({r['seeds']} seeds, {r['epochs']} epochs) initial forward: "
          f"{100 * r['init_spikes_identical_fraction']:.3f} % of spike slots identical | accuracy ours {pm('ours_accuracy')}"
          f"  snnTorch {pm('snntorch_accuracy')}  (gap {r['accuracy_gap_points']:+.1f} points) | s/epoch ours "
          f"{r['ours_epoch_s']:.2f}  snnTorch {r['snntorch_epoch_s']:.2f}  ratio {r['time_ratio_ours_over_snntorch']:.2f}"
          f" | ours, engine neuron: {pm('ours_engine_neuron_accuracy')}, {r['ours_engine_neuron_epoch_s']:.2f} s/epoch",
          flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", nargs=2)
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--seeds", type=int, default=None, help="default 3 (snnTorch comparison), 1 (--mnist)")
    ap.add_argument("--mnist", action="store_true", help="only the MNIST-CSV part (spiking_mnist.py)")
    ap.add_argument("--json", default=str(HERE / "out" / "spiking.json"))
    a = ap.parse_args()
    if a.worker:
        snntorch_worker(*a.worker)
        return
    if a.seeds is None:
        a.seeds = 1 if a.mnist else 3
    if a.mnist:
        from spiking_mnist import main as mnist_main

        mnist_main(a.json, a.seeds)
        return
    from neurodiscovery.learning.encoding import load_spike_task, make_randman

    py = ensure_venv()
    rows = []
    for task in (make_randman(n_steps=30, seed=0), load_spike_task("digits", n_steps=20)):
        rows.append(summarise([run_task(task, a.epochs, py, seed) for seed in range(a.seeds)]))
        print_row(rows[-1])
    Path(a.json).parent.mkdir(parents=True, exist_ok=True)
    Path(a.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
