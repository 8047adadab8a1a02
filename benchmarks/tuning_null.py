"""CPU time of the tuning stage's circular-shift nulls (1-D tuning curve and 2-D place map), beside another commit.

Synthetic Poisson counts (rate 0.19 spikes per bin, as the 2-hour large session's 27 M spikes over 1,000 units
x 144,000 bins) against a random-walk angle and 2-D path; 1,000 shifts each, as ``analyze`` runs them. Each
tree runs in a fresh process (numba kernels compiled on a warm-up call first, not timed) and reports CPU
seconds; the p-values and information of both trees must be identical.

    PYTHONPATH=src .venv/bin/python benchmarks/tuning_null.py [--bins 24000] [--units 200] [--compare-rev HEAD~1]

Writes ``benchmarks/out/tuning_null.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from neurodiscovery._utils.runfolder import write_json

HERE = Path(__file__).resolve().parent

_RUN = r"""
import json, sys, time
import numpy as np
from neurodiscovery.units import place_maps, tuning_curves
T, U = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
counts = rng.poisson(0.19, size=(T, U)).astype(float)
hd = np.cumsum(rng.normal(0, 0.1, T)) % (2 * np.pi)
pos = np.cumsum(rng.normal(0, 0.01, (T, 2)), 0)
tuning_curves(counts[:500, :2], hd[:500], 0.05, True, n_shuffles=10)                  # compile, not timed
place_maps(counts[:500, :2], pos[:500], 0.05, n_shuffles=10, min_shift_s=1.0)
t0 = time.process_time()
tc = tuning_curves(counts, hd, 0.05, True, n_shuffles=1000, seed=0)
t1 = time.process_time()
pm = place_maps(counts, pos, 0.05, n_shuffles=1000, seed=0)
t2 = time.process_time()
print(json.dumps({"tuning_1d_cpu_s": t1 - t0, "place_maps_cpu_s": t2 - t1,
                  "p": tc.p_value.tolist() + pm.p_value.tolist(),
                  "info": tc.information_bits_per_spike.tolist() + pm.information_bits_per_spike.tolist()}))
"""


def run(src: Path, bins: int, units: int) -> dict:
    """One timing in a fresh process with the package at ``src`` (one BLAS/numba thread)."""
    env = {**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "NUMBA_NUM_THREADS": "1"}
    r = subprocess.run([sys.executable, "-c", _RUN, str(bins), str(units)], env=env, capture_output=True,
                       text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bins", type=int, default=24000)
    ap.add_argument("--units", type=int, default=200)
    ap.add_argument("--compare-rev", default="HEAD~1", help="git revision to time beside this tree ('' to skip)")
    a = ap.parse_args()
    trees = [("new (this tree)", HERE.parent / "src")]
    if a.compare_rev:
        sys.path.insert(0, str(HERE))
        from _revsrc import source_at

        old = source_at(a.compare_rev)
        if old is None:
            raise SystemExit(f"cannot export src/ of {a.compare_rev!r}")
        trees.insert(0, (f"old ({a.compare_rev})", old))
    out = {"bins": a.bins, "units": a.units, "runs": {}}
    for which, src in trees:
        r = out["runs"][which] = run(src, a.bins, a.units)
        print(f"{which}: 1-D tuning null {r['tuning_1d_cpu_s']:.2f} s CPU, place-map null "
              f"{r['place_maps_cpu_s']:.2f} s CPU ({a.units} units x {a.bins} bins, 1,000 shifts)", flush=True)
    if len(trees) == 2:
        o, n = (out["runs"][w] for w, _ in trees)
        same = o["p"] == n["p"] and o["info"] == n["info"]
        out["ratio_old_over_new"] = {k: o[k] / n[k] for k in ("tuning_1d_cpu_s", "place_maps_cpu_s")}
        out["identical"] = same
        print(f"ratio old / new: 1-D {out['ratio_old_over_new']['tuning_1d_cpu_s']:.2f}x, place maps "
              f"{out['ratio_old_over_new']['place_maps_cpu_s']:.2f}x; p-values and information "
              f"{'identical' if same else 'DIFFER'}")
    write_json(HERE / "out" / "tuning_null.json", out)


if __name__ == "__main__":
    main()
