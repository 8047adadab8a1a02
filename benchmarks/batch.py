"""Time batch ``analyze`` of 12 synthetic sessions: 1 and 2 local worker processes, and a LocalCluster.

Each session is a seeded HD/place-cell recording (12 units, 300 s) written to NWB; every batch runs
the same ``--quick`` analysis. Prints wall times, the speed-up of 2 workers over 1 (the machine's
other load makes these noisy: read them as such), and writes ``benchmarks/out/batch.json``.

    PYTHONPATH=src .venv/bin/python benchmarks/batch.py [--sessions 12] [--duration 300]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from neurodiscovery import datasets
from neurodiscovery._utils.runfolder import write_json
from neurodiscovery.data import write_recording
from neurodiscovery.pipeline import AnalysisConfig, analyze_many


def _sessions(folder: Path, n: int, duration_s: float) -> None:
    for i in range(n):
        rec = datasets.make_hd_place_cells(n_hd=6, n_place=6, duration_s=duration_s, seed=i).recording
        write_recording(rec, folder / f"session{i:02d}.nwb")


def _time(label: str, folder: Path, out: Path, cfg: AnalysisConfig, **kw) -> dict:
    t = time.perf_counter()
    res = analyze_many([str(folder)], out=out / label, config=cfg, progress=False, **kw)
    wall = time.perf_counter() - t
    row = {"wall_s": wall, "n_sessions": len(res.sessions), "n_failed": len(res.failed),
           "session_wall_s": [s.wall_s for s in res.sessions]}
    print(f"{label:>14}: {wall:7.1f} s for {len(res.sessions)} sessions ({len(res.failed)} failed)", flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=12)
    ap.add_argument("--duration", type=float, default=300.0)
    args = ap.parse_args()
    from distributed import LocalCluster

    cfg = AnalysisConfig(quick=True)
    out = {"config": {"sessions": args.sessions, "duration_s": args.duration, "quick": True}}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "in").mkdir()
        _sessions(tmp / "in", args.sessions, args.duration)
        out["workers_1"] = _time("1 worker", tmp / "in", tmp, cfg, workers=1)
        out["workers_2"] = _time("2 workers", tmp / "in", tmp, cfg, workers=2)
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
            out["local_cluster"] = _time("LocalCluster", tmp / "in", tmp, cfg, scheduler=c.scheduler_address)
    out["speedup_2_vs_1"] = out["workers_1"]["wall_s"] / out["workers_2"]["wall_s"]
    print(f"speed-up of 2 workers over 1: {out['speedup_2_vs_1']:.2f}x")
    write_json(Path(__file__).parent / "out" / "batch.json", out)


if __name__ == "__main__":
    main()
