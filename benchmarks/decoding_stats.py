"""Coverage of the decoding CI and calibration of the decoding permutation null (issue 25).

Run by hand: ``.venv/bin/python benchmarks/decoding_stats.py`` (about 15 min on one core;
``--quick`` for a 2-minute smoke run). Everything is simulated with
:func:`neurodiscovery.datasets.make_decodable_population`, whose population decoding R² is
known exactly (behaviour = linear readout of the units' square-root counts + autocorrelated
noise independent of the spikes):

* **coverage**: ``--coverage N`` recordings (default 100) decoded by
  :func:`neurodiscovery.decoding.nested_cross_validate` (Wiener filter, 5 blocked folds); the
  fraction whose 95 % block-bootstrap interval holds the true population R² (target 0.90-0.98),
  and where the estimate sits inside its interval (target: not in the top or bottom tenth);
* **calibration**: ``--null N`` recordings (default 50) of each kind whose behaviour is unrelated
  to the spikes: the behaviour time-reversed against the spikes, and units following an
  independent latent; the nested procedure (Wiener filter vs Poisson Bayes chosen per fold,
  both refitted on every shift) gives a p-value each; the fraction p < 0.05 (target 0.02-0.10)
  and a Kolmogorov–Smirnov test of uniformity of the p-values.

Two truths: the decoding ceiling (``true_r2``), and the population R² of the decoders the
procedure fitted (each fold's filter scored on fresh bins of the same units), which is what a
cross-validated R² estimates. A filter fitted on finite, autocorrelated data scores below the
ceiling by its estimation error, which grows with the number of features: ``--lags 0`` (20
features) against the default ``--lags 1`` (60). The calibration runs use the default linear-shift
null (``--null-shift circular`` for the older scheme).
Writes ``benchmarks/out/decoding_stats.json`` (``--out``).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from scipy import stats

from neurodiscovery._utils.runfolder import write_json
from neurodiscovery.datasets import make_decodable_population
from neurodiscovery.decoding import nested_cross_validate

OUT = Path(__file__).resolve().parent / "out"


def _fitted_truth(d_seed: int, n_bins: int, r2: float, lags: int, counts, behavior) -> float:
    """Population R² of the decoders the procedure fits (one per fold) on fresh data of the same units.

    The units' parameters are the generator's first draws, so a longer recording with the same seed
    has the same units; its bins after ``n_bins`` are fresh. Mean over folds.
    """
    from neurodiscovery.data import blocked_kfold
    from neurodiscovery.decoding.prepare import prepare_decoding
    from neurodiscovery.decoding.shift_null import fit_predict

    big = make_decodable_population(n_bins=3 * n_bins, r2=r2, noise_tau_bins=5.0, seed=d_seed)
    fresh = prepare_decoding(big.counts[n_bins:], big.behavior[n_bins:], bins_before=lags, bins_after=lags)
    prep = prepare_decoding(counts, behavior, bins_before=lags, bins_after=lags)
    yt = fresh.target[:, 0]
    out = []
    for tr, te in blocked_kfold(prep.n_samples, 5, gap=2 * lags):
        est, _ = fit_predict(prep, "wiener", {}, tr, [te], seed=0, quick=False, gap=2 * lags)
        pred = np.asarray(est.predict(fresh.inputs["flat"](np.arange(fresh.n_samples)))).ravel()
        out.append(1 - np.mean((yt - pred) ** 2) / np.var(yt))
    return float(np.mean(out))


def coverage(n_sets: int, n_bins: int, r2: float, lags: int = 1, fitted: bool = True) -> dict:
    """Fraction of 95 % intervals holding the true R² (the ceiling, and the fitted decoders' population R²)."""
    hits, hits_fit, place, est, width, fit_truth = [], [], [], [], [], []
    for s in range(n_sets):
        d = make_decodable_population(n_bins=n_bins, r2=r2, noise_tau_bins=5.0, seed=1000 + s)
        r = nested_cross_validate(d.counts, d.behavior, decoders=("wiener",), bins_before=lags, bins_after=lags,
                                  n_permutations=0, n_boot=1000, seed=s)
        lo, hi = r.ci.r2
        hits.append(lo <= d.true_r2 <= hi)
        if fitted:
            fit_truth.append(_fitted_truth(1000 + s, n_bins, r2, lags, d.counts, d.behavior))
            hits_fit.append(lo <= fit_truth[-1] <= hi)
        place.append((r.r2_pooled - lo) / (hi - lo))
        est.append(r.r2_pooled)
        width.append(hi - lo)
        print(f"  coverage {s + 1}/{n_sets}: R² {r.r2_pooled:.4f} in [{lo:.4f}, {hi:.4f}]"
              + (f"; fitted decoders' population R² {fit_truth[-1]:.4f}" if fitted else ""), flush=True)
    place = np.array(place)
    return {"n_datasets": n_sets, "n_bins": n_bins, "bins_before_after": lags, "true_r2": r2,
            "coverage": float(np.mean(hits)),
            "coverage_of_fitted_decoders_r2": float(np.mean(hits_fit)) if fitted else None,
            "fitted_decoders_r2_mean": float(np.mean(fit_truth)) if fitted else None,
            "estimate_mean": float(np.mean(est)), "estimate_sd": float(np.std(est, ddof=1)),
            "ci_width_mean": float(np.mean(width)),
            "estimate_place_in_ci": {"min": float(place.min()), "median": float(np.median(place)),
                                     "max": float(place.max())},
            "fraction_in_top_or_bottom_tenth": float(np.mean((place < 0.1) | (place > 0.9)))}


def calibration(n_sets: int, n_bins: int, kind: str, n_permutations: int, null_shift: str = "linear") -> dict:
    """p-values of the nested procedure on behaviour unrelated to the spikes."""
    ps = []
    for s in range(n_sets):
        d = make_decodable_population(n_bins=n_bins, r2=0.6, coupled=kind != "independent", seed=5000 + s)
        y = d.behavior[::-1] if kind == "time_reversed" else d.behavior
        r = nested_cross_validate(d.counts, y, decoders=("wiener", "bayes"), bins_before=1, bins_after=1,
                                  n_permutations=n_permutations, n_boot=100, seed=s, null_shift=null_shift)
        ps.append(r.p_value)
        print(f"  {kind} {s + 1}/{n_sets}: p = {r.p_value:.3f}", flush=True)
    ps = np.array(ps)
    return {"kind": kind, "null_shift": null_shift, "n_datasets": n_sets, "n_bins": n_bins, "n_permutations": n_permutations,
            "fraction_p_below_0.05": float(np.mean(ps < 0.05)), "fraction_p_below_0.10": float(np.mean(ps < 0.10)),
            "ks_uniform_p": float(stats.kstest(ps, "uniform").pvalue), "p_values": ps.tolist()}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--coverage", type=int, default=100, help="recordings for the coverage check")
    ap.add_argument("--null", type=int, default=50, help="recordings of each unrelated kind")
    ap.add_argument("--bins", type=int, default=20000, help="bins per coverage recording")
    ap.add_argument("--null-bins", type=int, default=4000, help="bins per calibration recording")
    ap.add_argument("--permutations", type=int, default=200)
    ap.add_argument("--lags", type=int, default=1, help="bins before and after of the coverage decoders")
    ap.add_argument("--null-shift", default="linear", choices=("linear", "circular"), help="null scheme")
    ap.add_argument("--quick", action="store_true", help="20 coverage and 10 null recordings")
    ap.add_argument("--only", nargs="*", default=("coverage", "calibration"))
    ap.add_argument("--out", default=str(OUT / "decoding_stats.json"), help="JSON written")
    a = ap.parse_args(argv)
    if a.quick:
        a.coverage, a.null = 20, 10
    out: dict = {}
    if "coverage" in a.only:
        t0 = time.perf_counter()
        out["coverage"] = coverage(a.coverage, a.bins, 0.6, a.lags)
        out["coverage"]["time_s"] = time.perf_counter() - t0
        c = out["coverage"]
        print(f"coverage of the true R² {c['true_r2']}: {c['coverage']:.2f} over {c['n_datasets']} recordings "
              f"(target 0.90-0.98); of the fitted decoders' population R² (mean "
              f"{c['fitted_decoders_r2_mean']:.4f}): {c['coverage_of_fitted_decoders_r2']:.2f}; estimate {c['estimate_mean']:.3f} ± {c['estimate_sd']:.3f}; place of the "
              f"estimate in its CI median {c['estimate_place_in_ci']['median']:.2f} "
              f"[{c['estimate_place_in_ci']['min']:.2f}, {c['estimate_place_in_ci']['max']:.2f}]", flush=True)
    if "calibration" in a.only:
        out["calibration"] = []
        for kind in ("time_reversed", "independent"):
            t0 = time.perf_counter()
            c = calibration(a.null, a.null_bins, kind, a.permutations, a.null_shift)
            c["time_s"] = time.perf_counter() - t0
            out["calibration"].append(c)
            print(f"null ({kind}, {a.null_shift} shifts): fraction p < 0.05 = {c['fraction_p_below_0.05']:.3f} over {c['n_datasets']} "
                  f"recordings (target 0.02-0.10); p < 0.10: {c['fraction_p_below_0.10']:.3f}; KS uniformity "
                  f"p = {c['ks_uniform_p']:.2f}", flush=True)
    Path(a.out).parent.mkdir(exist_ok=True, parents=True)
    write_json(a.out, out)
    return out


if __name__ == "__main__":
    main()
