"""Time ``neurodiscovery analyze`` on the built-in recording (target: default run <= 25 s on 2 cores).

Runs the default, the default with every figure also written as SVG (what every run did before
PNG-only became the default) and the ``--quick`` configuration in this process; prints per-stage wall
times, the ratio to the 54 s baseline (one default run measured on a quiet 2-core machine, issue 19) and
to the 25 s target, and writes ``benchmarks/out/analyze.json``. On a shared machine the times are noisy.

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

BASELINE_S = 54.0
TARGET_S = 25.0


def main() -> None:
    rec = datasets.load_head_direction()
    out = {}
    for label, cfg in (("default", AnalysisConfig()),
                       ("default+svg", AnalysisConfig(figure_formats=("png", "svg"))),
                       ("quick", AnalysisConfig(quick=True))):
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            run = analyze(rec, out=Path(tmp) / "run", config=cfg, progress=False)
            wall = time.perf_counter() - t
            m = json.loads((run / "metrics.json").read_text())
        out[label] = {"wall_s": wall, "stages_s": m["timings_s"], "key_numbers": m["key_numbers"]}
        print(f"{label:>11}: {wall:6.1f} s  ({wall / BASELINE_S:.2f} x the {BASELINE_S:.0f} s baseline, "
              f"{wall / TARGET_S:.2f} x the {TARGET_S:.0f} s target)", flush=True)
        for k, v in m["timings_s"].items():
            print(f"             {k:<11} {v:6.1f} s")
        for k, v in m["key_numbers"].items():
            print(f"             {k}: {v}")
    write_json(Path(__file__).parent / "out" / "analyze.json", out)


if __name__ == "__main__":
    main()
