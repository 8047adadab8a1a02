"""Any benchmark, this source against another commit's, in one run: ratios of every timing it writes.

    PYTHONPATH=src .venv/bin/python benchmarks/compare_src.py --compare-src HEAD~1 -- benchmarks/dynamics.py
    PYTHONPATH=src .venv/bin/python benchmarks/compare_src.py --compare-src 048a0ef --repeat 2 -- benchmarks/jpca.py

The script runs as a fresh process with ``PYTHONPATH`` = this checkout's ``src/`` and with the
``src/`` of ``--compare-src`` (``benchmarks/_revsrc.py``), alternating, ``--repeat`` times. For each
run it records the command's wall and CPU seconds (children included) and the JSON files the
script wrote under ``benchmarks/out/``. It prints the whole-command ratios and, for every number
both versions wrote whose key names a time (``*_s``, ``seconds``, ``time``) or a rate (``per_s``,
``vox_s``), the ratio previous / this (a time) or this / previous (a rate): > 1 means this source
is faster. Best of the repeats for each. Written to ``benchmarks/out/compare_<script>.json``.
Benchmarks with their own same-run comparison (``em.py --compare-src``, ``latents.py
--compare-rev``, ``simulation.py --compare-commit``) time the library call alone; this driver times
whatever the script does, imports included.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
_TIME = re.compile(r"(^|_)(s|seconds|time|time_s|wall|cpu)$|_s$|seconds|_time")
_RATE = re.compile(r"per_s$|vox_s$|per_second|_hz_per")


def _snapshot() -> dict[Path, float]:
    return {p: p.stat().st_mtime for p in OUT.glob("*.json")} if OUT.exists() else {}


def run_once(script: str, args: list[str], src: Path) -> dict:
    """Run ``script args`` with ``src`` first on PYTHONPATH; wall/CPU seconds and the JSON it wrote."""
    before = _snapshot()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    env = dict(os.environ, PYTHONPATH=str(src))
    r = subprocess.run([sys.executable, script, *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    after = _snapshot()
    written = {}
    for p, m in after.items():
        if before.get(p) != m and not p.name.startswith("compare_"):
            try:
                written[p.name] = json.loads(p.read_text())
            except (OSError, ValueError):
                pass
    return {"returncode": r.returncode, "command_wall_s": wall, "command_cpu_s": cpu, "json": written,
            "stdout_tail": r.stdout[-3000:], "stderr_tail": r.stderr[-2000:] if r.returncode else ""}


def _leaves(obj, prefix=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, f"{prefix}{k}/")
    elif isinstance(obj, list) and len(obj) <= 50:
        for i, v in enumerate(obj):
            yield from _leaves(v, f"{prefix}{i}/")
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool) and obj > 0:
        yield prefix.rstrip("/"), float(obj)


def ratios(this: dict, prev: dict) -> dict[str, float]:
    """previous / this for times, this / previous for rates, over the leaves both JSON trees hold."""
    a, b = dict(_leaves(this)), dict(_leaves(prev))
    out = {}
    for key in sorted(set(a) & set(b)):
        last = key.rsplit("/", 1)[-1].lower()
        if _RATE.search(last):
            out[key] = a[key] / b[key]
        elif _TIME.search(last):
            out[key] = b[key] / a[key]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compare-src", required=True, metavar="REV", help="git commit whose src/ is compared")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("script", help="benchmark script, e.g. benchmarks/dynamics.py")
    ap.add_argument("args", nargs=argparse.REMAINDER, help="its arguments (after --)")
    a = ap.parse_args()
    sys.path.insert(0, str(HERE))
    from _revsrc import source_at

    old = source_at(a.compare_src)
    if old is None:
        print(f"--compare-src {a.compare_src}: git revision not available", file=sys.stderr)
        return 2
    args = [x for x in a.args if x != "--"]
    srcs = {"this": HERE.parent / "src", "previous": old}
    runs: dict = {k: [] for k in srcs}
    for _ in range(a.repeat):
        for name, src in srcs.items():
            runs[name].append(run_once(a.script, args, src))
            r = runs[name][-1]
            print(f"{name}: exit {r['returncode']}, {r['command_wall_s']:.1f} s wall, {r['command_cpu_s']:.1f} s CPU",
                  flush=True)
    best = {k: min(v, key=lambda r: r["command_cpu_s"]) for k, v in runs.items()}
    res = {"script": a.script, "args": args, "compare_src": a.compare_src, "repeat": a.repeat,
           "load_average": list(os.getloadavg()), "runs": runs}
    if all(b["returncode"] == 0 for b in best.values()):
        res["command_wall_ratio_previous_over_this"] = best["previous"]["command_wall_s"] / best["this"]["command_wall_s"]
        res["command_cpu_ratio_previous_over_this"] = best["previous"]["command_cpu_s"] / best["this"]["command_cpu_s"]
        print(f"whole command, previous ({a.compare_src}) / this: wall "
              f"{res['command_wall_ratio_previous_over_this']:.2f}x, CPU {res['command_cpu_ratio_previous_over_this']:.2f}x")
        res["ratios"] = ratios(best["this"]["json"], best["previous"]["json"])
        for key, v in res["ratios"].items():
            print(f"  {key}: {v:.2f}x (> 1: this source faster)")
    else:
        print("a run failed; see runs/*/stderr_tail in the JSON", file=sys.stderr)
    OUT.mkdir(exist_ok=True)
    dst = OUT / f"compare_{Path(a.script).stem}.json"
    dst.write_text(json.dumps(res, indent=1, default=float) + "\n")
    print(f"wrote {dst}")
    return 0 if "ratios" in res else 1


if __name__ == "__main__":
    sys.exit(main())
