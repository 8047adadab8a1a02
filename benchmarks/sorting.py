"""Spike sorters side by side on SpikeInterface ground-truth recordings, with and without drift.

Recordings (SpikeInterface generators, seeded): ``static32`` (``generate_ground_truth_recording``: 32
channels, 10 units, 2 min), ``drift32`` (``generate_drifting_recording``: the 32-contact toy probe, 10
units, 2 min, ±20 µm zigzag drift from 10 s, period 100 s), and with ``--large`` ``static384`` (384
channels, 100 units). Each recording is saved once as int16 in a SpikeInterface folder; each sorter runs
on it in a child process, exactly as ``neurodiscovery sort`` does (``sorting.sort_recording``: band-pass,
common median reference, the sorter, quality metrics, Allen-threshold curation), which reports its wall
time, CPU time and peak resident memory (``ru_maxrss``).

Against ground truth (SpikeInterface ``compare_sorter_to_ground_truth``, exhaustive): accuracy, precision
and recall per ground-truth unit; well-detected units (accuracy >= 0.8); false-positive sorted units
(SpikeInterface's definition: matching no ground-truth unit above 0.2 agreement); and what the automatic
curation does: how many sorted units matched to well-detected units it keeps (labels good) and how many
false-positive units it rejects (labels bad). The ground-truth SNR of each unit is reported, because units
below SNR ~4 are at the detection limit of every sorter.

Writes ``benchmarks/out/sorting.json`` and prints a markdown table.

    PYTHONPATH=src .venv/bin/python benchmarks/sorting.py [--sorters mountainsort5,spykingcircus2]
        [--recordings static32,drift32] [--seed 0] [--duration 120] [--large] [--jobs 1]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"

_CHILD = r"""
import json, resource, sys, time, warnings
warnings.filterwarnings("ignore")
import numpy as np
import spikeinterface.full as si
from neurodiscovery.sorting import sort_recording
si.set_global_job_kwargs(progress_bar=False)
folder, gt_folder, sorter, work, seed, n_jobs = sys.argv[1:7]
rec, gt = si.load(folder), si.load(gt_folder)
t, c = time.perf_counter(), time.process_time()
res = sort_recording(rec, sorter, folder=work, seed=int(seed), n_jobs=int(n_jobs))
wall, cpu = time.perf_counter() - t, time.process_time() - c
sorting = res.analyzer.sorting
cmp = si.compare_sorter_to_ground_truth(gt, sorting, exhaustive_gt=True)
perf = cmp.get_performance()
well = [str(u) for u in cmp.get_well_detected_units(well_detected_score=0.8)]  # ids of *sorted* units
match = {str(k): str(v) for k, v in cmp.hungarian_match_12.items()}
labels = {str(u): lab for u, lab in zip(sorting.unit_ids, res.curation.labels)}
kept = sum(1 for u in well if labels.get(u) == "good")
# false positive: matched to no ground-truth unit and agreeing with none above 0.2 (SpikeInterface's definition,
# computed here from the agreement matrix because get_false_positive_units fails on int32 unit ids)
best = cmp.agreement_scores.max(axis=0)
matched = set(match.values())
fp = [str(u) for u in sorting.unit_ids if str(u) not in matched and float(best[u]) < 0.2]
rejected = sum(1 for u in fp if labels.get(u) == "bad")
ru = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print("RESULT " + json.dumps({
    "wall_s": wall, "cpu_s": cpu + kids.ru_utime + kids.ru_stime, "peak_rss_gib": max(ru.ru_maxrss, kids.ru_maxrss) / 2**20,
    "timings_s": res.timings_s, "n_sorted": int(len(sorting.unit_ids)), "n_gt": int(len(gt.unit_ids)),
    "accuracy": perf["accuracy"].astype(float).tolist(), "precision": perf["precision"].astype(float).tolist(),
    "recall": perf["recall"].astype(float).tolist(), "gt_unit_ids": [str(u) for u in perf.index],
    "well_detected": len(well), "false_positive": len(fp), "curation_kept_well": kept,
    "curation_rejected_fp": rejected, "n_good": int(res.curation.n_good), "labels": labels,
    "failed": {str(u): f for u, f in zip(sorting.unit_ids, res.curation.failed)}, "well_detected_ids": well}))
"""


def _gt_snr(rec, gt) -> list[float]:
    import spikeinterface.full as si

    pre = si.common_reference(si.bandpass_filter(rec, freq_min=300, freq_max=6000, dtype="float32"))
    an = si.create_sorting_analyzer(gt, pre, format="memory", sparse=True)
    an.compute(["random_spikes", "templates", "noise_levels"], progress_bar=False)
    return [float(v) for v in si.compute_quality_metrics(an, metric_names=["snr"])["snr"]]


def make_recording(name: str, seed: int, duration_s: float, folder: Path):
    """Generate, save (int16) and return ``(recording folder, ground-truth folder, gt SNRs)``."""
    import spikeinterface.full as si
    from spikeinterface.generation import generate_drifting_recording

    if name == "static32":
        rec, gt = si.generate_ground_truth_recording(durations=[duration_s], num_channels=32, num_units=10, seed=seed)
    elif name == "static384":
        rec, gt = si.generate_ground_truth_recording(durations=[duration_s], num_channels=384, num_units=100,
                                                     seed=seed)
    elif name == "drift32":
        motion = {"drift_start_um": [0, 20], "drift_stop_um": [0, -20], "drift_step_um": 1,
                  "displacement_sampling_frequency": 5.0,
                  "motion_list": [{"drift_mode": "zigzag", "non_rigid_gradient": None, "t_start_drift": 10.0,
                                   "t_end_drift": None, "period_s": 100}]}
        _, rec, gt = generate_drifting_recording(num_units=10, duration=duration_s, probe_name="Neuronexus-32",
                                                 generate_displacement_vector_kwargs=motion, seed=seed)
    else:
        raise SystemExit(f"unknown recording {name}")
    scale = 4.0  # µV per int16 step: noise (~5-8 µV SD) stays well resolved
    rec_i16 = si.scale(rec, gain=1 / scale, dtype="int16")
    rec_i16.set_channel_gains(scale)
    rec_i16.set_channel_offsets(0.0)
    rec_folder, gt_folder = folder / f"{name}_rec", folder / f"{name}_gt"
    saved = rec_i16.save(folder=rec_folder, n_jobs=1, chunk_duration="1s", progress_bar=False)
    gt.save(folder=gt_folder)
    return rec_folder, gt_folder, _gt_snr(saved, gt)


def run_one(rec_folder: Path, gt_folder: Path, sorter: str, work: Path, seed: int, n_jobs: int) -> dict:
    """One sorter on one saved recording in a child process; its RESULT line as a dict (or the error)."""
    r = subprocess.run([sys.executable, "-c", _CHILD, str(rec_folder), str(gt_folder), sorter, str(work), str(seed),
                        str(n_jobs)], capture_output=True, text=True)
    for line in r.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return {"error": (r.stderr.strip().splitlines() or ["no output"])[-1]}


def table(rows: list[dict]) -> str:
    """Markdown table of the results."""
    head = ("| recording | sorter | well detected (acc ≥ 0.8) | false-positive units | sorted units | "
            "median accuracy / precision / recall | curation keeps well-detected | curation rejects false | "
            "wall (s) | CPU (s) | peak RSS (GiB) |\n|---|---|---|---|---|---|---|---|---|---|---|")
    out = [head]
    for r in rows:
        if "error" in r:
            out.append(f"| {r['recording']} | {r['sorter']} | failed: {r['error'][:80]} |||||||||")
            continue
        import numpy as np

        med = "/".join(f"{np.median(r[k]):.2f}" for k in ("accuracy", "precision", "recall"))
        out.append(f"| {r['recording']} | {r['sorter']} | {r['well_detected']} of {r['n_gt']} | "
                   f"{r['false_positive']} | {r['n_sorted']} | {med} | {r['curation_kept_well']} of "
                   f"{r['well_detected']} | {r['curation_rejected_fp']} of {r['false_positive']} | "
                   f"{r['wall_s']:.0f} | {r['cpu_s']:.0f} | {r['peak_rss_gib']:.2f} |")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sorters", default="tridesclous2,spykingcircus2")
    ap.add_argument("--recordings", default="static32,drift32")
    ap.add_argument("--large", action="store_true", help="also static384 (384 channels, 100 units)")
    ap.add_argument("--duration", type=float, default=120.0, help="recording length (s)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--out", default=str(OUT / "sorting.json"))
    args = ap.parse_args(argv)
    names = [n for n in args.recordings.split(",") if n] + (["static384"] if args.large else [])
    rows, snrs = [], {}
    with tempfile.TemporaryDirectory(prefix="nd-sorting-bench-") as tmp:
        tmp = Path(tmp)
        for name in names:
            t = time.perf_counter()
            rec_f, gt_f, snr = make_recording(name, args.seed, args.duration, tmp)
            snrs[name] = snr
            print(f"{name}: generated in {time.perf_counter() - t:.0f} s; ground-truth SNR "
                  f"{sorted(round(s, 1) for s in snr)}", flush=True)
            for sorter in args.sorters.split(","):
                res = run_one(rec_f, gt_f, sorter, tmp / f"work_{name}_{sorter}", args.seed, args.jobs)
                rows.append({"recording": name, "sorter": sorter, **res})
                print(table([rows[-1]]).splitlines()[-1], flush=True)
    print(table(rows))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    from neurodiscovery._utils.runfolder import write_json

    write_json(args.out, {"seed": args.seed, "duration_s": args.duration, "gt_snr": snrs, "rows": rows,
                          "well_detected_threshold": 0.8})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
