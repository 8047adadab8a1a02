"""EM tracing: accuracy on the neurite phantom over many seeds, skeletonisation throughput
against calling kimimaro directly, and tracing time per section.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/em_trace.py [--seeds 10] [--modes sections 3d]

Accuracy (per phantom: 48 sections x 192 x 192 px, 40 x 8 x 8 nm voxels, 5 neurons with one
branch each, boundary noise sd 0.25, 5 % missing sections): VOI split + merge of the traced
objects against the true neurons; the relative error of skeleton cable length against the
arbor's true medial-axis length, per traced object spanning > 20 sections (against the neuron
holding most of its voxels: a neuron split by the tracer counts each piece against the whole
arbor) and per true neuron (summed over the traced objects lying mostly inside it); branch-point F1 over all skeletons with a match
radius of 320 nm (8 sections). Throughput: voxels / s of :func:`skeletonize` (kimimaro +
tick removal + SWC trees + smoothing) and of ``kimimaro.skeletonize`` alone with the same
TEASAR parameters, best of 3 runs each, in this process; the ratio is what we add.
Writes ``benchmarks/out/em_trace.json``. Timings on a shared machine are noisy.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from neurodiscovery._utils.runfolder import write_json
from neurodiscovery.connectomics.em import evaluate, skeletonize, trace_boundaries
from neurodiscovery.datasets import make_neurite_phantom
from neurodiscovery.morphology import measure_neuron, topology

TOL_NM = 320.0


def score(ph, traced, skels):
    """Cable-length errors per object and per neuron; branch points (true pos., found, true)."""
    errs, tp, found = [], 0, 0
    runs = traced.longest_run()
    per_neuron = np.zeros(len(ph.cable_length_nm))
    for oid, tree in skels.items():
        votes = np.bincount(ph.labels[traced.labels == oid], minlength=len(per_neuron) + 1)
        true = int(votes[1:].argmax()) + 1
        length = measure_neuron(tree).cable_length
        if 2 * votes[true] > votes.sum():  # mostly inside one neuron: part of its arbor
            per_neuron[true - 1] += length
        if runs[oid - 1] > 20:  # the criterion: tubes longer than 20 sections
            errs.append(length / ph.cable_length_nm[true - 1] - 1)
        bp = tree.xyz[topology(tree).n_children >= 2][:, ::-1]
        tb = ph.branch_points_nm[ph.branch_neuron == true]
        found += len(bp)
        if len(bp) and len(tb):
            d = np.linalg.norm(bp[:, None] - tb[None], axis=2)
            tp += int(min((d.min(0) <= TOL_NM).sum(), (d.min(1) <= TOL_NM).sum()))
    return errs, list(per_neuron / ph.cable_length_nm - 1), tp, found, len(ph.branch_points_nm)


def accuracy(n_seeds: int, mode: str = "sections") -> dict:
    rows, errs, neuron_errs, tp, found, true = [], [], [], 0, 0, 0
    t_trace, n_sections = 0.0, 0
    for seed in range(n_seeds):
        ph = make_neurite_phantom(seed=seed)
        t = time.perf_counter()
        tr = trace_boundaries(ph.boundaries, mode=mode)
        t_trace += time.perf_counter() - t
        n_sections += ph.boundaries.shape[0]
        s = evaluate(ph.labels.astype(np.int64), tr.labels.astype(np.int64))
        e, en, a, b, c = score(ph, tr, skeletonize(tr.labels, ph.voxel_size_nm))
        errs, neuron_errs = errs + e, neuron_errs + en
        tp, found, true = tp + a, found + b, true + c
        rows.append({"seed": seed, "voi": s.voi_split + s.voi_merge, "n_objects": tr.n_objects,
                     "length_errors_objects": [float(x) for x in e],
                     "length_errors_neurons": [float(x) for x in en],
                     "bp_tp": a, "bp_found": b, "bp_true": c})
        print(f"seed {seed}: VOI {rows[-1]['voi']:.4f}, {tr.n_objects} objects, length errors: "
              f"objects {np.round(e, 3).tolist()}, neurons {np.round(en, 3).tolist()}, "
              f"branch points {a}/{b} found, {c} true")
    prec, rec = tp / max(found, 1), tp / max(true, 1)
    out = {"mode": mode, "per_seed": rows, "max_voi": max(r["voi"] for r in rows),
           "branch_point_f1": 2 * prec * rec / max(prec + rec, 1e-12), "branch_point_tolerance_nm": TOL_NM,
           "tracing_s_per_section": t_trace / n_sections}
    for name, x in (("objects", errs), ("neurons", neuron_errs)):
        x = np.asarray(x)
        out[f"length_error_{name}"] = {"n": len(x), "n_within_5pct": int((np.abs(x) <= 0.05).sum()),
                                       "min": float(x.min()), "max": float(x.max()),
                                       "median": float(np.median(x))}
    lo, ln = out["length_error_objects"], out["length_error_neurons"]
    print(f"mode {mode}: max VOI {out['max_voi']:.4f}; |length error| <= 5 %: {lo['n_within_5pct']}/"
          f"{lo['n']} objects (> 20 sections; range {lo['min']:+.3f} to {lo['max']:+.3f}), "
          f"{ln['n_within_5pct']}/{ln['n']} neurons (range {ln['min']:+.3f} to {ln['max']:+.3f}); "
          f"branch-point F1 {out['branch_point_f1']:.3f}; tracing "
          f"{1000 * out['tracing_s_per_section']:.0f} ms / section (192 x 192 px)")
    return out


def throughput() -> dict:
    import kimimaro

    ph = make_neurite_phantom(shape=(64, 384, 384), n_neurons=14, seed=0)
    tr = trace_boundaries(ph.boundaries)
    lab = tr.labels
    vz, vy, vx = ph.voxel_size_nm

    def ours():
        skeletonize(lab, ph.voxel_size_nm)

    def direct():
        kimimaro.skeletonize(lab.T, teasar_params={"scale": 1.5, "const": 12 * vx, "pdrf_scale": 100000,
                                                   "pdrf_exponent": 4}, anisotropy=(vx, vy, vz),
                             dust_threshold=100, progress=False, fix_branching=True, fix_borders=True)

    best = {}
    for name, f in (("neurodiscovery", ours), ("kimimaro", direct)) * 3:
        t = time.perf_counter()
        f()
        best[name] = min(best.get(name, np.inf), time.perf_counter() - t)
    vps = {k: lab.size / v for k, v in best.items()}
    out = {"volume_shape": list(lab.shape), "n_objects": tr.n_objects, "voxels_per_s": vps,
           "ratio_ours_over_kimimaro": vps["neurodiscovery"] / vps["kimimaro"]}
    print(f"skeletonisation of {lab.shape} ({tr.n_objects} objects): neurodiscovery "
          f"{vps['neurodiscovery'] / 1e6:.2f} M voxels/s, kimimaro alone {vps['kimimaro'] / 1e6:.2f} M voxels/s, "
          f"ratio {out['ratio_ours_over_kimimaro']:.2f}")
    return out


def blockwise() -> dict:
    """trace_blockwise on zarr (blocks of 16 x 96 x 96) against link_sections in memory."""
    import tempfile

    import zarr

    from neurodiscovery.connectomics.em import link_sections, segment_boundaries, trace_blockwise

    ph = make_neurite_phantom(seed=0)
    seg = segment_boundaries(ph.boundaries, per_slice=True).astype(np.int64)
    seg[ph.boundaries >= 0.5] = 0
    t = time.perf_counter()
    ref = link_sections(seg, ph.boundaries)
    t_mem = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        for name, arr in (("seg", seg), ("b", ph.boundaries)):
            zarr.create_array(f"{tmp}/{name}.zarr", shape=arr.shape, chunks=(16, 96, 96),
                              dtype=arr.dtype)[:] = arr
        t = time.perf_counter()
        res = trace_blockwise(f"{tmp}/seg.zarr", f"{tmp}/out.zarr", boundaries=f"{tmp}/b.zarr",
                              block_shape=(16, 96, 96))
        t_blk = time.perf_counter() - t
        equal = bool(np.array_equal(np.asarray(zarr.open_array(f"{tmp}/out.zarr/labels")[:]), ref.labels))
    out = {"shape": list(seg.shape), "block_shape": [16, 96, 96], "n_blocks": res.n_blocks,
           "in_memory_s": t_mem, "blockwise_s": t_blk, "equal_to_in_memory": equal}
    print(f"blockwise linking {res.n_blocks} blocks: {t_blk:.2f} s vs {t_mem:.2f} s in memory, "
          f"labels equal: {equal}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--modes", nargs="+", default=["sections", "3d"], choices=["sections", "3d"],
                    help="trace_boundaries modes to score")
    ap.add_argument("--no-throughput", action="store_true", help="accuracy only")
    args = ap.parse_args()
    res = {"accuracy": {m: accuracy(args.seeds, m) for m in args.modes}}
    if not args.no_throughput:
        res["throughput"] = throughput()
        res["blockwise"] = blockwise()
    write_json(Path(__file__).parent / "out" / "em_trace.json", res)


if __name__ == "__main__":
    main()
