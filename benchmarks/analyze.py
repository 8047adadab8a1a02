"""Time ``neurodiscovery analyze`` on the built-in recording (target: default run <= 25 s on 2 cores).

Runs the default (two processes: the decoding stage in the second, see
``AnalysisConfig.n_processes``), the default in one process, the default with every figure also
written as SVG, and the ``--quick`` configuration, each in a fresh process (imports included, as a
user pays them); prints wall time, CPU time of the run's main process and of its second process,
per-stage wall times, the ratio to the 54 s baseline (one default run measured on a quiet 2-core
machine, issue 19) and to the 25 s target, and writes ``benchmarks/out/analyze.json``.

On a shared machine wall time mostly measures the other jobs. The CPU columns are steadier: with
two processes the wall time on two free cores is about the larger of the two processes' CPU times
(printed as "critical path"), since neither waits for the other until the decoding stage.

    .venv/bin/python benchmarks/analyze.py
    .venv/bin/python benchmarks/analyze.py --compare-src /tmp/old/src --repeats 2

``--compare-src`` times the default run of another source tree (e.g. ``git archive <commit> src | tar -x
-C /tmp/old``) against this one, interleaved in fresh processes (old, new, old, new, ...), and prints the
CPU-time ratio old / new (both processes of the same default configuration; >= 0.95: no slowdown beyond noise)
and whether the key numbers agree (they differ in form across a metrics-layout change such as issue 24's typed key
numbers). CPU time is used because wall time on a shared machine mostly measures the other jobs.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from neurodiscovery._utils.runfolder import write_json

BASELINE_S = 54.0
TARGET_S = 25.0


_ONE_RUN = """
import json, resource, sys, tempfile, time
t0 = time.perf_counter()
from pathlib import Path
from neurodiscovery import datasets
from neurodiscovery.pipeline import AnalysisConfig, analyze
cfg = AnalysisConfig(**json.loads(sys.argv[1]))
rec = datasets.load_head_direction()
with tempfile.TemporaryDirectory() as tmp:
    run = analyze(rec, out=Path(tmp) / "run", config=cfg, progress=False)
    wall = time.perf_counter() - t0
    m = json.loads((run / "metrics.json").read_text())
own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall_s": wall, "cpu_s": own.ru_utime + own.ru_stime, "cpu_second_process_s":
                  kids.ru_utime + kids.ru_stime, "stages_s": m["timings_s"], "key_numbers": m["key_numbers"]}))
"""


def one_run(config: dict, src: str | None = None) -> dict:
    """One ``analyze`` of the built-in recording in a fresh process (imports and start-up included)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    if src is not None:
        env["PYTHONPATH"] = src
    r = subprocess.run([sys.executable, "-c", _ONE_RUN, json.dumps(config)], env=env, capture_output=True,
                       text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def compare(old_src: str, repeats: int) -> None:
    """Interleaved default runs of ``old_src`` and this tree in fresh processes; CPU-time ratio old / new."""
    new_src = str(Path(__file__).resolve().parents[1] / "src")
    runs: dict = {"old": [], "new": []}
    for rep in range(repeats):
        for which, src in (("old", old_src), ("new", new_src)):
            runs[which].append(one_run({}, src))  # the same (default) configuration for both trees
            r = runs[which][-1]
            print(f"{which} #{rep + 1}: {r['cpu_s']:.1f} s CPU main + {r['cpu_second_process_s']:.1f} s second "
                  f"process, {r['wall_s']:.1f} s wall", flush=True)
    # both processes' CPU: a run that falls back to one process moves the decoding into the main process
    cpu = {k: sum(r["cpu_s"] + r["cpu_second_process_s"] for r in v) / len(v) for k, v in runs.items()}
    same = all(r["key_numbers"] == runs["old"][0]["key_numbers"] for v in runs.values() for r in v)
    print(f"mean CPU (both processes) old {cpu['old']:.1f} s, new {cpu['new']:.1f} s: ratio old/new "
          f"{cpu['old'] / cpu['new']:.2f}; "
          f"key numbers {'identical' if same else 'DIFFER'}")
    write_json(Path(__file__).parent / "out" / "analyze_compare.json", {"runs": runs, "mean_cpu_s": cpu,
                                                                         "key_numbers_identical": same})


RUNS = (("default", {}), ("default, 1 process", {"n_processes": 1}),
        ("default+svg", {"figure_formats": ["png", "svg"]}), ("quick", {"quick": True}))


def main(only: list | None = None) -> None:
    out = {}
    for label, cfg in RUNS:
        if only and label not in only:
            continue
        r = out[label] = one_run(cfg)
        wall, cpu, cpu2 = r["wall_s"], r["cpu_s"], r["cpu_second_process_s"]
        print(f"{label:>19}: {wall:6.1f} s wall ({wall / BASELINE_S:.2f} x the {BASELINE_S:.0f} s baseline, "
              f"{wall / TARGET_S:.2f} x the {TARGET_S:.0f} s target); CPU {cpu:.1f} s main + {cpu2:.1f} s second "
              f"process; critical path {max(cpu, cpu2):.1f} s ({max(cpu, cpu2) / BASELINE_S:.2f} x baseline)",
              flush=True)
        for k, v in r["stages_s"].items():
            print(f"{'':>21}{k:<11} {v:6.1f} s wall")
        for k, v in r["key_numbers"].items():
            print(f"{'':>21}{k}: {v}")
    write_json(Path(__file__).parent / "out" / "analyze.json",
               {"baseline_s": BASELINE_S, "target_s": TARGET_S, "runs": out})


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compare-src", default=None, help="another tree's src/ to compare the default run against")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--only", nargs="*", default=None, help="labels of the runs to time (default all)")
    a = ap.parse_args()
    compare(a.compare_src, a.repeats) if a.compare_src else main(a.only)
