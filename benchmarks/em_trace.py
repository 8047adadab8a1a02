"""EM tracing: accuracy on the neurite phantom over many seeds, skeletonisation throughput
against calling kimimaro directly, and tracing time per section.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/em_trace.py [--seeds 10] [--modes sections 3d]

Accuracy (per phantom: 48 sections x 192 x 192 px, 40 x 8 x 8 nm voxels, 5 neurons with one
branch each, boundary noise sd 0.25, 5 % missing sections): VOI split + merge of the traced
objects against the true neurons; per traced object the relative error of its skeleton's
cable length against the arbor's true medial-axis length (objects spanning > 20 sections);
branch-point F1 over all skeletons with a match
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
    """Cable-length errors per object and branch-point (true positives, found, true)."""
    errs, tp, found = [], 0, 0
    runs = traced.longest_run()
    for oid, tree in skels.items():
        true = int(np.bincount(ph.labels[traced.labels == oid], minlength=2)[1:].argmax()) + 1
        if runs[oid - 1] > 20:  # the criterion: tubes longer than 20 sections
            errs.append(measure_neuron(tree).cable_length / ph.cable_length_nm[true - 1] - 1)
        bp = tree.xyz[topology(tree).n_children >= 2][:, ::-1]
        tb = ph.branch_points_nm[ph.branch_neuron == true]
        found += len(bp)
        if len(bp) and len(tb):
            d = np.linalg.norm(bp[:, None] - tb[None], axis=2)
            tp += int(min((d.min(0) <= TOL_NM).sum(), (d.min(1) <= TOL_NM).sum()))
    return errs, tp, found, len(ph.branch_points_nm)


def accuracy(n_seeds: int, mode: str = "sections") -> dict:
    rows, errs, tp, found, true = [], [], 0, 0, 0
    t_trace, n_sections = 0.0, 0
    for seed in range(n_seeds):
        ph = make_neurite_phantom(seed=seed)
        t = time.perf_counter()
        tr = trace_boundaries(ph.boundaries, mode=mode)
        t_trace += time.perf_counter() - t
        n_sections += ph.boundaries.shape[0]
        s = evaluate(ph.labels.astype(np.int64), tr.labels.astype(np.int64))
        e, a, b, c = score(ph, tr, skeletonize(tr.labels, ph.voxel_size_nm))
        errs += e
        tp, found, true = tp + a, found + b, true + c
        rows.append({"seed": seed, "voi": s.voi_split + s.voi_merge, "n_objects": tr.n_objects,
                     "max_abs_length_error": float(np.max(np.abs(e))), "bp_tp": a, "bp_found": b,
                     "bp_true": c})
        print(f"seed {seed}: VOI {rows[-1]['voi']:.4f}, {tr.n_objects} objects, "
              f"length errors {np.round(e, 3).tolist()}, branch points {a}/{b} found, {c} true")
    errs = np.abs(np.asarray(errs))
    prec, rec = tp / max(found, 1), tp / max(true, 1)
    out = {"mode": mode, "per_seed": rows, "max_voi": max(r["voi"] for r in rows),
           "fraction_objects_length_within_5pct": float((errs <= 0.05).mean()),
           "median_abs_length_error": float(np.median(errs)), "max_abs_length_error": float(errs.max()),
           "branch_point_f1": 2 * prec * rec / max(prec + rec, 1e-12), "branch_point_tolerance_nm": TOL_NM,
           "tracing_s_per_section": t_trace / n_sections}
    print(f"mode {mode}: max VOI {out['max_voi']:.4f}; objects with |length error| <= 5 %: "
          f"{out['fraction_objects_length_within_5pct']:.2f} (median {out['median_abs_length_error']:.3f}, "
          f"max {out['max_abs_length_error']:.3f}); branch-point F1 {out['branch_point_f1']:.3f}; "
          f"tracing {1000 * out['tracing_s_per_section']:.0f} ms / section (192 x 192 px)")
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
        kimimaro.skeletonize(lab.T, teasar_params={"scale": 1.5, "const": 12 * vx}, anisotropy=(vx, vy, vz),
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
