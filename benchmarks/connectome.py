"""Structural connectome benchmark: phantom accuracy, per-stage wall time, matrix building speed.

1. Phantom (known wiring) at SNR 20 and 10, noise seeds 0-2: share of streamlines joining truly
   connected regions, true edges found, false edges and the streamlines on them, for CSD
   deterministic (default), CSD probabilistic and CSA deterministic tracking; wall time per stage.
2. Matrix building from 10^6 random streamlines (20 points each) on a 200-region, 64^3 label
   volume: ``build_connectome`` (vectorised end points, counts, sqrt-volume normalisation, lengths)
   against the textbook recipe (dipy ``connectivity_matrix`` + a Python double loop over region
   pairs for the normalisation); the counts must agree exactly; the ratio is printed.
3. Graph measures against bctpy 0.6.1 (a peer, installed into ``benchmarks/.venv-bct`` by this script,
   which reruns that part there) on a connected and a disconnected weighted graph.

Wall times on a shared machine are noisy; the numbers are what this run measured.

    PYTHONPATH=src .venv/bin/python benchmarks/connectome.py [--quick]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from neurodiscovery._utils.runfolder import write_json
from neurodiscovery.connectomics import dmri


def phantom_accuracy(snrs, seeds, configs) -> list[dict]:
    rows = []
    for snr in snrs:
        for seed in seeds:
            t0 = time.perf_counter()
            ph = dmri.make_phantom(snr=snr, seed=seed)
            t_ph = time.perf_counter() - t0
            for label, cfg in configs.items():
                tr = dmri.run_tractography(ph.dwi, dmri.TrackingConfig(seed=seed, **cfg))
                t0 = time.perf_counter()
                con = dmri.build_connectome(tr.streamlines, ph.parcellation, fa=tr.tensor.fa)
                t_con = time.perf_counter() - t0
                t0 = time.perf_counter()
                dmri.graph_metrics(con.counts, n_null=20, seed=seed)
                t_graph = time.perf_counter() - t0
                sc = dmri.score_connectome(con, ph)
                stages = {"phantom": t_ph, **tr.stage_seconds, "connectome": t_con, "graph": t_graph}
                rows.append({"snr": snr, "seed": seed, "method": label, **sc.as_dict(), "stage_seconds": stages})
                print(f"SNR {snr:>4g} seed {seed} {label:<22} true {100 * sc.fraction_true:5.1f} % "
                      f"(of assigned {100 * sc.fraction_true_of_assigned:5.1f} %), true edges "
                      f"{sc.true_edges_found}/{sc.n_true_edges}, false edges {len(sc.false_edges)} "
                      f"({sc.false_edge_streamlines} streamlines), n={sc.n_streamlines}; "
                      + ", ".join(f"{k} {v:.2f}s" for k, v in stages.items()), flush=True)
    return rows


def textbook_matrix(streamlines, labels, affine) -> np.ndarray:
    """The textbook recipe: dipy's counts, then a Python double loop for sqrt(size_i * size_j).

    (The textbook indexes ``M[i, j]`` with ``region_sizes[i]`` of label ``i + 1``, an off-by-one;
    this copy aligns label ``i`` with its own size so that the results can be compared.)
    """
    from dipy.tracking import utils

    m = utils.connectivity_matrix(streamlines, affine, labels).astype(float)
    sizes = np.bincount(labels.ravel())
    n = len(sizes)
    for i in range(1, n):
        for j in range(1, n):
            if sizes[i] > 0 and sizes[j] > 0:
                m[i, j] = m[i, j] / np.sqrt(sizes[i] * sizes[j])
    return m


def matrix_speed(n_streamlines: int, n_points: int = 20, n_regions: int = 200, seed: int = 0) -> dict:
    from dipy.tracking.streamline import Streamlines

    rng = np.random.default_rng(seed)
    shape = (64, 64, 64)
    labels = rng.integers(1, n_regions + 1, size=shape)  # every voxel in a region: no background
    affine = np.diag([2.0, 2.0, 2.0, 1.0])
    pts = rng.uniform(0, 2 * 63, size=(n_streamlines * n_points, 3)).astype(np.float32)
    sl = Streamlines()
    sl._data = pts
    sl._offsets = np.arange(0, n_streamlines * n_points, n_points, dtype=np.int64)
    sl._lengths = np.full(n_streamlines, n_points, dtype=np.int64)
    parc = dmri.make_parcellation(labels, affine)
    t0 = time.perf_counter()
    con = dmri.build_connectome(sl, parc, include_diagonal=True)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = textbook_matrix(sl, labels, affine)
    t_book = time.perf_counter() - t0
    ids = np.asarray(parc.region_ids)
    from dipy.tracking.utils import connectivity_matrix

    counts_equal = bool(np.array_equal(con.counts, connectivity_matrix(sl, affine, labels)[np.ix_(ids, ids)]))
    norm_close = float(np.abs(con.normalized - ref[np.ix_(ids, ids)]).max())
    print(f"{n_streamlines:.0e} streamlines x {n_points} points, {n_regions} regions: ours {t_ours:.2f} s, "
          f"textbook (dipy + double loop) {t_book:.2f} s, ratio {t_book / t_ours:.1f}x; counts equal dipy: "
          f"{counts_equal}; max |normalised difference| {norm_close:.2e}", flush=True)
    return {"n_streamlines": n_streamlines, "n_points": n_points, "n_regions": n_regions, "ours_s": t_ours,
            "textbook_s": t_book, "ratio": t_book / t_ours, "counts_equal_dipy": counts_equal,
            "max_abs_normalized_difference": norm_close}


def _graphs(seed: int = 0, n: int = 30):
    rng = np.random.default_rng(seed)
    w = np.triu(rng.uniform(0.1, 5.0, (n, n)) * (rng.random((n, n)) < 0.3), 1)
    w = w + w.T
    cut = w.copy()
    cut[:5], cut[:, :5] = 0, 0  # five isolated nodes
    return {"connected": w, "disconnected": cut}


def bct_comparison() -> dict:
    """Largest |ours - bctpy| per measure; run inside an environment where ``bct`` imports."""
    import bct

    from neurodiscovery.connectomics.dmri.graph import graph_metrics

    out = {}
    for name, w in _graphs().items():
        m = graph_metrics(w, n_null=0)
        a = (w > 0).astype(float)
        d = bct.distance_wei(bct.weight_conversion(w, "lengths"))[0]
        rc = bct.rich_club_bu(a)[0]
        ours_rc = np.array([m.rich_club[k] for k in sorted(m.rich_club)])
        out[name] = {
            "degree": float(np.abs(bct.degrees_und(w) - m.degree).max()),
            "strength": float(np.abs(bct.strengths_und(w) - m.strength).max()),
            "clustering_onnela": float(np.abs(bct.clustering_coef_wu(w / w.max()) - m.clustering).max()),
            "global_efficiency_weighted": abs(float(bct.efficiency_wei(w)) - m.global_efficiency),
            "char_path_length_weighted": abs(float(bct.charpath(d, include_infinite=False)[0])
                                             - m.char_path_length),
            "local_efficiency_binary": float(np.abs(bct.efficiency_bin(a, local=True)
                                                    - m.local_efficiency_binary).max()),
            # bctpy's entry i is degree > i + 1 and is NaN where fewer than two nodes are that rich;
            # networkx and we start at degree > 0 and stop there
            "rich_club_binary": float(np.abs(rc[np.isfinite(rc)] - ours_rc[1:]).max())
            if np.isfinite(rc).sum() == len(ours_rc) - 1 else float("nan"),
            # not expected to agree: bctpy uses Rubinov & Sporns' modified weighted local efficiency
            "local_efficiency_weighted_rubinov_vs_latora": float(
                np.abs(bct.efficiency_wei(w, local=True) - m.local_efficiency).max()),
        }
    return out


def run_bct() -> dict:
    """bctpy comparison in ``benchmarks/.venv-bct`` (created with this interpreter's packages visible)."""
    try:
        import bct  # noqa: F401

        return bct_comparison()
    except ImportError:
        pass
    venv = Path(__file__).parent / ".venv-bct"
    py = venv / "bin" / "python"
    try:
        if not py.exists():
            subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "bctpy==0.6.1"], check=True)
        res = subprocess.run([str(py), __file__, "--bct-only"], check=True, capture_output=True, text=True)
    except (subprocess.CalledProcessError, OSError) as exc:
        print(f"bctpy comparison skipped: {exc}")
        return {"skipped": str(exc)}
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one noise seed, CSD deterministic, 10^5 streamlines")
    ap.add_argument("--bct-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.bct_only:
        print(json.dumps(bct_comparison()))
        return
    bct_diff = run_bct()
    for graph, diffs in bct_diff.items():
        if isinstance(diffs, dict):
            print(f"bctpy vs ours, {graph} graph: " + ", ".join(f"{k} {v:.1e}" for k, v in diffs.items()))
    configs = {"csd_deterministic": {}}
    if not args.quick:
        configs.update({"csd_probabilistic": {"algorithm": "probabilistic"},
                        "csa_deterministic": {"model": "csa"}})
    seeds = (0,) if args.quick else (0, 1, 2)
    rows = phantom_accuracy((20.0, 10.0), seeds, configs)
    summary = {}
    for r in rows:
        key = f"snr{r['snr']:g}_{r['method']}"
        summary.setdefault(key, []).append(r["fraction_true"])
    for key, vals in summary.items():
        print(f"{key:<30} fraction on true connections: mean {np.mean(vals):.3f}, min {np.min(vals):.3f} "
              f"over {len(vals)} noise seeds")
    speed = matrix_speed(10**5 if args.quick else 10**6)
    out = {"phantom": rows, "phantom_summary": {k: {"mean": float(np.mean(v)), "min": float(np.min(v))}
                                                 for k, v in summary.items()},
           "matrix_speed": speed, "bctpy_max_abs_difference": bct_diff, "quick": args.quick}
    write_json(Path(__file__).parent / "out" / "connectome.json", out)


if __name__ == "__main__":
    main()
