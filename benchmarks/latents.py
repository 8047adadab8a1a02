"""Latent models side by side on the Lorenz benchmark (NLB-style scores) and GPFA against elephant.

For each method: held-out co-smoothing bits/spike, PSTH R², behaviour R² (ridge from latents to the
true Lorenz states, fitted on training trials) and training time (wall and this process's CPU
seconds; on a shared machine the CPU time is the fairer number). GPFA is compared with elephant's
GPFA on the same trials (elephant runs in its own venv, ``benchmarks/.venv-elephant``, created on
first use): converged log-likelihood and the speed ratio. Writes ``benchmarks/out/latents.json``.

    PYTHONPATH=src .venv/bin/python benchmarks/latents.py                 # everything (slow)
    PYTHONPATH=src .venv/bin/python benchmarks/latents.py --methods seqvae --no-elephant
    PYTHONPATH=src .venv/bin/python benchmarks/latents.py --methods gpfa --trials 100   # GPFA vs elephant & HEAD~1
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
VENV = HERE / ".venv-elephant"
ALL = ("smoothing", "pca", "fa", "gpfa", "gaussian_vae", "poisson_vae", "seqvae")

PEER = r'''
import json, sys, time, numpy as np, quantities as pq, neo
from elephant.gpfa import GPFA
z = np.load(sys.argv[1]); counts = z["counts"]; bin_s = float(z["bin_s"]); dim = int(z["dim"])
rng = np.random.default_rng(0)
trials = []
for tr in counts:  # spikes spread inside their bins so elephant's binning gives back the same counts
    sts = []
    for j in range(tr.shape[1]):
        t = np.concatenate([k * bin_s + bin_s * (np.arange(c) + 0.5) / max(c, 1) for k, c in enumerate(tr[:, j].astype(int))])
        sts.append(neo.SpikeTrain(np.sort(t) * pq.s, t_start=0 * pq.s, t_stop=tr.shape[0] * bin_s * pq.s))
    trials.append(sts)
g = GPFA(bin_size=bin_s * pq.s, x_dim=dim, em_max_iters=int(z["max_iter"]), em_tol=float(z["tol"]), verbose=False)
t0 = time.perf_counter(); c0 = time.process_time()
g.fit(trials)
P = g.params_estimated
np.savez(sys.argv[1] + ".params.npz", C=P["C"], d=P["d"], R=np.diag(P["R"]), gamma=P["gamma"])
print(json.dumps({"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
                  "log_likelihood": float(g.fit_info["log_likelihoods"][-1]),
                  "n_iter": len(g.fit_info["log_likelihoods"]),
                  "tau_s": (g.params_estimated["gamma"] ** -0.5 * bin_s).tolist()}))
'''


def _ensure_venv() -> Path | None:
    py = VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        r = subprocess.run([str(py), "-m", "pip", "install", "-q", "elephant", "scikit-learn"], check=False)
        if r.returncode != 0:
            return None
    return py


OURS = r'''
import json, sys, time, numpy as np
from neurodiscovery.latents import GPFA
z = np.load(sys.argv[1])
t0 = time.perf_counter(); c0 = time.process_time()
g = GPFA(int(z["dim"]), bin_size_s=float(z["bin_s"]), max_iter=int(z["max_iter"]), tol=float(z["tol"])).fit(z["counts"])
print(json.dumps({"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
                  "log_likelihood": g.log_likelihood_, "n_iter": g.n_iter_}))
'''

# the ratios the README quotes; a run that prints a much smaller one shows a regression
README_SPEEDUP_CPU = 10.3


def _subprocess_json(py, script: str, data: Path, env: dict) -> dict:
    out = subprocess.run([str(py), "-c", script, str(data)], capture_output=True, text=True,
                         env={**os.environ, **env}, check=False)
    if out.returncode != 0:
        return {"error": "failed: " + (out.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def compare_elephant(counts: np.ndarray, bin_s: float, dim: int, max_iter: int, tol: float,
                     compare_rev: str | None = "HEAD~1", threads: int | None = None) -> dict:
    """Our GPFA, elephant's and ours at commit ``compare_rev`` on the same counts (square-rooted by all).

    Each runs with its defaults in a fresh process whose environment sets ``threads`` BLAS threads
    (None: the machine's default, what a user gets; our GPFA itself limits BLAS to one thread since
    OpenBLAS's threads spin on its small matrices, 1 puts everyone on one thread). CPU seconds are the
    fit's process CPU time (all threads).
    """
    from neurodiscovery.latents import GPFA

    env = {k: str(threads) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS") if threads}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "d.npz"
        np.savez(data, counts=counts, bin_s=bin_s, dim=dim, max_iter=max_iter, tol=tol)
        src = str(HERE.parent / "src")
        res = {"threads": threads, "ours": _subprocess_json(sys.executable, OURS, data, {**env, "PYTHONPATH": src})}
        ours = GPFA(dim, bin_size_s=bin_s, max_iter=max_iter, tol=tol).fit(counts)  # for scoring elephant's fit
        if compare_rev:
            from _revsrc import source_at

            old = source_at(compare_rev)
            res["previous"] = {"rev": compare_rev, **(_subprocess_json(sys.executable, OURS, data, {
                **env, "PYTHONPATH": str(old)}) if old else {"error": "git revision not available"})}
        py = _ensure_venv()
        if py is None:
            res["elephant"] = "elephant could not be installed"
            return res
        (Path(tmp) / "peer.py").write_text(PEER)
        out = subprocess.run([str(py), str(Path(tmp) / "peer.py"), str(data)], capture_output=True,
                             text=True, env={**os.environ, **env, "PYTHONPATH": ""}, check=False)
        if out.returncode != 0:
            res["elephant"] = "failed: " + out.stderr.strip().splitlines()[-1]
            return res
        el = json.loads(out.stdout.strip().splitlines()[-1])
        P = np.load(Path(tmp) / "d.npz.params.npz")
        # elephant's reported log-likelihood is not the exact marginal likelihood of its own parameters
        # (ours matches a brute-force multivariate normal to 1e-10, see tests/latents/test_gpfa.py), so
        # both fitted models are scored with the same exact formula
        el["log_likelihood_reported"] = el.pop("log_likelihood")
        el["log_likelihood"] = float(ours._estep(ours._prep(counts), P["C"], P["d"], P["R"], P["gamma"] ** -0.5)[0])
    res["elephant"] = el
    res["ll_rel_diff"] = abs(ours.log_likelihood_ - el["log_likelihood"]) / abs(el["log_likelihood"])
    res["speedup_cpu"] = el["cpu_s"] / res["ours"]["cpu_s"]
    res["speedup_wall"] = el["wall_s"] / res["ours"]["wall_s"]
    return res


def print_ratios(cmp: dict) -> None:
    """The README's GPFA ratios from this run: to elephant and to the previous commit."""
    o = cmp["ours"]
    line = f"GPFA (BLAS threads in the environment: {cmp['threads'] or 'default'}): ours {o['cpu_s']:.2f} CPU s / {o['wall_s']:.2f} s wall"
    if isinstance(cmp.get("elephant"), dict):
        e = cmp["elephant"]
        line += (f"; elephant {e['cpu_s']:.2f} CPU s / {e['wall_s']:.2f} s wall: {cmp['speedup_cpu']:.1f}x less CPU "
                 f"(README: {README_SPEEDUP_CPU}x), log-likelihood relative difference {cmp['ll_rel_diff']:.1e}")
    prev = cmp.get("previous", {})
    if "cpu_s" in prev:
        line += (f"; {prev['rev']}: {prev['cpu_s']:.2f} CPU s, ratio previous/now {prev['cpu_s'] / o['cpu_s']:.2f}"
                 f" (log-likelihood {prev['log_likelihood']:.6g} vs {o['log_likelihood']:.6g})")
    print(line, flush=True)


def run_methods(methods, n_trials, n_time, n_neurons, dim, seed, seqvae_epochs, seqvae_budget_s) -> list[dict]:
    from neurodiscovery.datasets import make_lorenz_population
    from neurodiscovery.latents import NLBSplit, fit_and_score

    L = make_lorenz_population(n_trials, n_time, n_neurons, seed=seed)
    split = NLBSplit.make(n_trials, n_neurons, seed=seed)
    rows = []
    for m in methods:
        kw = {}
        if m == "seqvae":  # the estimator's defaults, only capped in time (and epochs when asked)
            kw = {"time_budget_s": seqvae_budget_s, **({"max_epochs": seqvae_epochs} if seqvae_epochs else {})}
        c0 = time.process_time()
        res = fit_and_score(m, L.counts, dim=dim if m != "gpfa" else min(dim, 8), bin_size_s=L.bin_size_s,
                            behavior=L.states, split=split, seed=seed, model_kwargs=kw)
        row = {**res.scores.to_dict(), "cpu_s_total": time.process_time() - c0}
        if hasattr(res.model, "history_"):
            row["epochs"] = res.model.history_.n_epochs
        rows.append(row)
        print(f"{m:>13}: co-bps {row['co_bps']:.3f}  PSTH R² {row['psth_r2']:.3f}  behaviour R² "
              f"{row['behavior_r2']:.3f}  train {row['train_s']:.1f} s wall (fit+score CPU {row['cpu_s_total']:.1f} s)",
              flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", default=",".join(ALL))
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--time", type=int, default=100)
    ap.add_argument("--neurons", type=int, default=50)
    ap.add_argument("--dim", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--seqvae-epochs", type=int, default=None, help="default: the estimator's max_epochs")
    ap.add_argument("--seqvae-budget-s", type=float, default=300.0)
    ap.add_argument("--no-elephant", action="store_true")
    ap.add_argument("--elephant-trials", type=int, default=100)
    ap.add_argument("--compare-rev", default="HEAD~1", help="also time GPFA at this git commit ('' to skip)")
    ap.add_argument("--threads", type=int, default=None, help="BLAS threads in the environment of every GPFA run")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    out = {"config": vars(args), "methods": run_methods(methods, args.trials, args.time, args.neurons, args.dim,
                                                        args.seed, args.seqvae_epochs, args.seqvae_budget_s)}
    if not args.no_elephant:
        from neurodiscovery.datasets import make_lorenz_population

        L = make_lorenz_population(args.elephant_trials, 50, 30, bin_size_s=0.02, seed=args.seed)
        cmp = compare_elephant(L.counts, 0.02, 3, 200, 1e-8, args.compare_rev or None, args.threads)
        out["gpfa_vs_elephant"] = cmp
        print(json.dumps(cmp, indent=1))
        print_ratios(cmp)
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "latents.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
