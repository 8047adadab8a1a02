"""Observer models: psychometric fits against psignifit 4, and the recovery protocols.

Run by hand::

    .venv/bin/python benchmarks/theory.py             # psignifit comparison + recovery numbers
    .venv/bin/python benchmarks/theory.py --quick     # fewer datasets, no recovery

psignifit (Schütt et al. 2016, the field's reference; 4.x is its Python port) is installed
into ``benchmarks/.venv-psignifit`` (made here once, with this venv's packages visible) and
run in a subprocess on the same simulated data. Both fit a cumulative-Gaussian or logistic
psychometric function with a free lapse rate to 2AFC data (guess rate 0.5); we compare the
threshold (F = 0.5) and the slope of psi at the threshold. psignifit reports a Bayesian MAP
estimate with its default priors, ours the maximum-likelihood estimate: they agree closely
but not exactly. Writes ``benchmarks/out/theory.json``.
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

ROOT = Path(__file__).resolve().parents[1]
if not os.environ.get("PYTHONPATH"):  # benchmarks/compare_src.py sets it to another commit's source
    sys.path.insert(0, str(ROOT / "src"))

from neurodiscovery import theory as th  # noqa: E402

PEER = r"""
import json, sys, time
import numpy as np, psignifit
d = np.load(sys.argv[1])
out = []
for i in range(int(d["n"])):
    data = d[f"data{i}"]
    t0 = time.perf_counter()
    r = psignifit.psignifit(data, sigmoid=str(d["sigmoid"]), experiment_type="2AFC")
    dt = time.perf_counter() - t0
    thr = float(r.parameter_estimate["threshold"])
    out.append({"threshold": thr, "slope": float(r.slope(thr)), "lapse": float(r.parameter_estimate["lambda"]),
                "fit_s": dt})
print(json.dumps(out))
"""


def _venv() -> Path | None:
    d = ROOT / "benchmarks" / ".venv-psignifit"
    py = d / "bin" / "python"
    if not py.exists():
        print(f"creating {d} (psignifit) ...", flush=True)
        try:
            subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(d)], check=True)
            subprocess.run([str(py), "-m", "pip", "install", "-q", "psignifit>=4.3"], check=True, timeout=900)
        except (subprocess.SubprocessError, OSError) as exc:
            print(f"  could not install psignifit: {exc}")
            return None
    return py


def _datasets(kind: str, n: int, seed: int):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        true = {"threshold": rng.uniform(0.8, 1.4), "width": rng.uniform(0.2, 0.4), "lapse": rng.uniform(0.01, 0.05)}
        table, _ = th.simulate_observer("psychometric", true, n_trials=100, seed=int(rng.integers(2**31)), kind=kind)
        out.append((table, true))
    return out


def compare_psignifit(kind: str, n: int, seed: int = 0) -> dict:
    """Fit ``n`` simulated 2AFC datasets with both tools; relative threshold/slope differences and times."""
    sets = _datasets(kind, n, seed)
    ours, t_ours = [], 0.0
    for table, _ in sets:
        t0 = time.perf_counter()
        fit = th.fit_observer(table, "psychometric", kind=kind)
        t_ours += time.perf_counter() - t0
        ours.append(th.threshold_slope(fit.params["threshold"], fit.params["width"], fit.params["lapse"], 0.5, kind))
    py = _venv()
    if py is None:
        return {"kind": kind, "error": "psignifit not installable here"}
    with tempfile.TemporaryDirectory() as tmp:
        arrays = {"n": n, "sigmoid": "norm" if kind == "gaussian" else "logistic"}
        for i, (table, _) in enumerate(sets):
            x, inv = np.unique(table.stimulus, return_inverse=True)
            k = np.bincount(inv, weights=table.response)
            arrays[f"data{i}"] = np.column_stack([x, k, np.bincount(inv)])
        np.savez(Path(tmp) / "d.npz", **arrays)
        script = Path(tmp) / "peer.py"
        script.write_text(PEER)
        t0 = time.perf_counter()
        res = subprocess.run([str(py), str(script), str(Path(tmp) / "d.npz")], capture_output=True, text=True,
                             timeout=3600)
        wall_peer = time.perf_counter() - t0
    if res.returncode != 0:
        return {"kind": kind, "error": res.stderr.strip().splitlines()[-1]}
    peer = json.loads(res.stdout.strip().splitlines()[-1])
    thr_rel = np.array([abs(o[0] - p["threshold"]) / p["threshold"] for o, p in zip(ours, peer)])
    slope_rel = np.array([abs(o[1] - p["slope"]) / p["slope"] for o, p in zip(ours, peer)])
    t_peer = sum(p["fit_s"] for p in peer)
    return {"kind": kind, "n_datasets": n, "trials_per_dataset": 700,
            "threshold_rel_diff_median": float(np.median(thr_rel)), "threshold_rel_diff_max": float(thr_rel.max()),
            "slope_rel_diff_median": float(np.median(slope_rel)), "slope_rel_diff_max": float(slope_rel.max()),
            "ours_s_per_fit": t_ours / n, "psignifit_s_per_fit": t_peer / n, "psignifit_wall_s": wall_peer,
            "speed_ratio_psignifit_over_ours": (t_peer / n) / (t_ours / n)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    n = 5 if args.quick else 20
    results = {"psignifit": [compare_psignifit(k, n) for k in ("gaussian", "logistic")]}
    for r in results["psignifit"]:
        if "error" in r:
            print(f"{r['kind']}: {r['error']}")
            continue
        print(f"{r['kind']:9s} psychometric, {r['n_datasets']} datasets x {r['trials_per_dataset']} 2AFC trials: "
              f"threshold |ours - psignifit| / psignifit median {r['threshold_rel_diff_median']:.2%} "
              f"(max {r['threshold_rel_diff_max']:.2%}), slope median {r['slope_rel_diff_median']:.2%} "
              f"(max {r['slope_rel_diff_max']:.2%}); {r['ours_s_per_fit'] * 1e3:.0f} ms vs "
              f"{r['psignifit_s_per_fit'] * 1e3:.0f} ms per fit: ratio {r['speed_ratio_psignifit_over_ours']:.1f}x")
    if not args.quick:
        t0 = time.perf_counter()
        rec = th.recover_parameters("gaussian", n_subjects=30, n_trials=400, seed=0)
        t_rec = time.perf_counter() - t0
        t0 = time.perf_counter()
        mrec = th.recover_models(n_subjects=30, n_trials=400, seed=0)
        t_mrec = time.perf_counter() - t0
        results["parameter_recovery"] = {"median_abs_error": rec.median_abs_error,
                                         "median_rel_error": rec.median_rel_error, "wall_s": t_rec}
        results["model_recovery"] = {"confusion": mrec.confusion.tolist(), "accuracy": mrec.accuracy,
                                     "wall_s": t_mrec}
        print("parameter recovery (Gaussian observer, 30 subjects, 400 trials x 2 noise levels): "
              + ", ".join(f"{k} abs {rec.median_abs_error[k]:.3f} rel {rec.median_rel_error[k]:.1%}"
                          for k in rec.param_names) + f" ({t_rec:.0f} s)")
        print(f"model recovery by BIC (30 subjects per model, 400 trials x 3 conditions): accuracy "
              f"{mrec.accuracy:.2f}, confusion {mrec.confusion.tolist()} ({t_mrec:.0f} s)")
    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "theory.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
