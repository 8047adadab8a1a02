"""Time ``neurodiscovery analyze`` on the built-in recording (target: default run <= 60 s on 2 cores).

Runs the default and the ``--quick`` configuration in this process, prints per-stage wall times and the
ratio to the 60 s target, and writes ``benchmarks/out/analyze.json``.

    .venv/bin/python benchmarks/analyze.py
"""
from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from neurodiscovery import datasets
from neurodiscovery._utils.runfolder import write_json
from neurodiscovery.pipeline import AnalysisConfig, analyze

TARGET_S = 60.0


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
    main()
