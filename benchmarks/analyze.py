"""Time ``neurodiscovery analyze`` on the built-in recording (target: default run <= 60 s on 2 cores).

Runs the default and the ``--quick`` configuration in this process, prints per-stage wall times and the
ratio to the 60 s target, and writes ``benchmarks/out/analyze.json``.

    .venv/bin/python benchmarks/analyze.py
    .venv/bin/python benchmarks/analyze.py --compare-src /tmp/old/src --repeats 2

``--compare-src`` times the default run of another source tree (e.g. ``git archive <commit> src | tar -x
-C /tmp/old``) against this one, interleaved in fresh processes (old, new, old, new, ...), and prints the
CPU-time ratio old / new (>= 0.95: no slowdown beyond noise) and whether the key numbers agree. CPU time is
used because wall time on a shared machine mostly measures the other jobs.
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

from neurodiscovery import datasets
from neurodiscovery._utils.runfolder import write_json
from neurodiscovery.pipeline import AnalysisConfig, analyze

TARGET_S = 60.0


_ONE_RUN = """
import json, tempfile, time
from pathlib import Path
from neurodiscovery import datasets
from neurodiscovery.pipeline import AnalysisConfig, analyze
rec = datasets.load_head_direction()
with tempfile.TemporaryDirectory() as tmp:
    t, c = time.perf_counter(), time.process_time()
    run = analyze(rec, out=Path(tmp) / "run", config=AnalysisConfig(), progress=False)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    kn = json.loads((run / "metrics.json").read_text())["key_numbers"]
print(json.dumps({"wall_s": wall, "cpu_s": cpu, "key_numbers": kn}))
"""


def compare(old_src: str, repeats: int) -> None:
    """Interleaved default runs of ``old_src`` and this tree in fresh processes; CPU-time ratio old / new."""
    new_src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    runs: dict = {"old": [], "new": []}
    for rep in range(repeats):
        for which, src in (("old", old_src), ("new", new_src)):
            r = subprocess.run([sys.executable, "-c", _ONE_RUN], env={**env, "PYTHONPATH": src},
                               capture_output=True, text=True, check=True)
            runs[which].append(json.loads(r.stdout.strip().splitlines()[-1]))
            print(f"{which} #{rep + 1}: {runs[which][-1]['cpu_s']:.1f} s CPU, {runs[which][-1]['wall_s']:.1f} s wall",
                  flush=True)
    cpu = {k: sum(r["cpu_s"] for r in v) / len(v) for k, v in runs.items()}
    same = all(r["key_numbers"] == runs["old"][0]["key_numbers"] for v in runs.values() for r in v)
    print(f"mean CPU old {cpu['old']:.1f} s, new {cpu['new']:.1f} s: ratio old/new {cpu['old'] / cpu['new']:.2f}; "
          f"key numbers {'identical' if same else 'DIFFER'}")
    write_json(Path(__file__).parent / "out" / "analyze_compare.json", {"runs": runs, "mean_cpu_s": cpu,
                                                                         "key_numbers_identical": same})


def main() -> None:
    rec = datasets.load_head_direction()
    out = {}
    for label, cfg in (("default", AnalysisConfig()), ("quick", AnalysisConfig(quick=True))):
        with tempfile.TemporaryDirectory() as tmp:
            t, c = time.perf_counter(), time.process_time()
            run = analyze(rec, out=Path(tmp) / "run", config=cfg, progress=False)
            wall, cpu = time.perf_counter() - t, time.process_time() - c
            m = json.loads((run / "metrics.json").read_text())
        out[label] = {"wall_s": wall, "cpu_s": cpu, "stages_s": m["timings_s"], "key_numbers": m["key_numbers"]}
        # CPU time is the steadier number on a shared machine; wall time is what a user waits
        print(f"{label:>8}: {wall:6.1f} s wall, {cpu:6.1f} s CPU  ({wall / TARGET_S:.2f} x the {TARGET_S:.0f} s target)")
        for k, v in m["timings_s"].items():
            print(f"          {k:<11} {v:6.1f} s")
        for k, v in m["key_numbers"].items():
            print(f"          {k}: {v}")
    write_json(Path(__file__).parent / "out" / "analyze.json", out)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compare-src", default=None, help="another tree's src/ to compare the default run against")
    ap.add_argument("--repeats", type=int, default=2)
    a = ap.parse_args()
    compare(a.compare_src, a.repeats) if a.compare_src else main()
