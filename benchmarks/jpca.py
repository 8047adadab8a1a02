"""jPCA plane error against the amount of data, next to an oracle that knows the planted latents.

For each data size (conditions x trials per condition of ``make_reaching``) and generator
seeds 0..9, two numbers per planted plane (3 Hz: ``loading[:, 2:]``, 1.5 Hz: ``loading[:, :2]``,
in log-rate neuron space), both the largest principal angle in degrees:

- ``jpca``: what ``dynamics FILE --method jpca --event go_s --window 0,0.7 --behaviors
  hand_velocity --n-pcs 4`` computes (:func:`jpca_from_trials` on the counts 0-0.7 s after go);
- ``oracle``: a Poisson GLM per neuron given every trial's TRUE latents and hand velocity
  (``log rate = b + C z + W v``, the generator's own model), fitted by Newton's method on the
  same counts and window. It knows everything jPCA has to estimate except the loadings, so its
  error is what the counts alone leave: the information limit of the metric.

The oracle's error falls as ``1/sqrt(trials)`` (log-log slope -0.5), jPCA's a little slower
(-0.4; probably the small bias of the log(rate + 1 Hz) transform, 1.9-5.2 deg on noise-free
rates), 1.1-1.6x the oracle's from 160 to 1,280 trials. At the generator's defaults (8 x 20
trials) the oracle itself misses the 1.5 Hz plane by ~10 deg, so a 10 deg criterion needs more
data; with 32 conditions (Churchland et al. 2012 used 27-108) both planes are under 10 deg for
every seed.
More neurons help little: each neuron's loading error is its own, and the angle is about the
ratio of the error norm to the loading norm, both growing as sqrt(neurons). Measured (8 x 20,
seeds 0-4; 30 / 60 / 120 neurons): oracle 8.8 / 8.2 / 7.6 deg (3 Hz) and 11.3 / 11.0 / 10.0 deg
(1.5 Hz), jPCA 10.2 / 9.0 / 8.7 and 16.0 / 13.8 / 12.6 deg.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/jpca.py [--seeds 10] [--quick]

Writes ``benchmarks/out/jpca.json``. Took 23 min on a shared 2-core machine at load average ~10 (``--quick``: 8
and 32 conditions, 3 seeds).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from neurodiscovery._utils.runfolder import write_json
from neurodiscovery.datasets import make_reaching
from neurodiscovery.dynamics import jpca_from_trials, largest_principal_angle_deg

GO = slice(30, 100)  # 0-0.7 s after movement onset (go_s = 0.3 s, 10 ms bins)
SIZES = ((8, 20), (16, 20), (8, 40), (32, 20), (8, 80), (64, 20))
PLANTED_HZ = (3.0, 1.5)


def poisson_glm(x: np.ndarray, y: np.ndarray, n_iter: int = 12) -> np.ndarray:
    """Maximum-likelihood Poisson GLM of every neuron at once (Newton's method).

    x : (samples, p) with an intercept column; y : (samples, neurons) counts. Returns (neurons, p).
    """
    beta = np.zeros((y.shape[1], x.shape[1]))
    beta[:, 0] = np.log(y.mean(0) + 1e-3)
    for _ in range(n_iter):
        mu = np.exp(x @ beta.T)
        hess = np.einsum("sp,sn,sq->npq", x, mu, x)
        beta = beta + np.linalg.solve(hess, (x.T @ (y - mu)).T[..., None])[..., 0]
    return beta


def oracle_angles(d) -> tuple[float, float]:
    """Plane angles (3 Hz, 1.5 Hz) of loadings fitted with the true latents and velocity known."""
    x = np.hstack([d.latents[:, GO].reshape(-1, 4), d.velocity[:, GO].reshape(-1, 2)])
    x = np.hstack([np.ones((len(x), 1)), x])
    c = poisson_glm(x, d.counts[:, GO].reshape(-1, d.counts.shape[2]))[:, 1:5]
    return (largest_principal_angle_deg(c[:, 2:], d.loading[:, 2:]),
            largest_principal_angle_deg(c[:, :2], d.loading[:, :2]))


def jpca_angles(d) -> tuple[float, float, float, float]:
    """Plane angles (3 Hz, 1.5 Hz) and frequencies (Hz) of jPCA as the CLI runs it."""
    res, _ = jpca_from_trials(d.counts[:, GO], d.conditions, d.bin_size_s, smooth_s=0.02,
                              behavior=d.velocity[:, GO], n_pcs=4, seed=0)
    return (largest_principal_angle_deg(res.planes[0], d.loading[:, 2:]),
            largest_principal_angle_deg(res.planes[1], d.loading[:, :2]), *res.frequencies_hz[:2])


def run(sizes, seeds) -> list[dict]:
    rows = []
    for n_cond, n_trials in sizes:
        t0 = time.perf_counter()
        est, orc = [], []
        for seed in seeds:
            d = make_reaching(n_conditions=n_cond, n_trials_per_condition=n_trials, seed=seed)
            est.append(jpca_angles(d))
            orc.append(oracle_angles(d))
        est, orc = np.array(est), np.array(orc)
        freq_err = np.abs(est[:, 2:] / PLANTED_HZ - 1)
        row = {"n_conditions": n_cond, "n_trials_per_condition": n_trials, "n_trials": n_cond * n_trials,
               "seeds": list(seeds), "jpca_deg": est[:, :2].tolist(), "oracle_deg": orc.tolist(),
               "frequencies_hz": est[:, 2:].tolist(), "max_frequency_rel_error": freq_err.max(0).tolist()}
        rows.append(row)
        print(f"{n_cond:3d} x {n_trials:3d} ({n_cond * n_trials:5d} trials)  jPCA 3 Hz {est[:, 0].mean():5.1f}"
              f" (max {est[:, 0].max():5.1f})  1.5 Hz {est[:, 1].mean():5.1f} (max {est[:, 1].max():5.1f})  |"
              f"  oracle 3 Hz {orc[:, 0].mean():5.1f} (max {orc[:, 0].max():5.1f})  1.5 Hz {orc[:, 1].mean():5.1f}"
              f" (max {orc[:, 1].max():5.1f})  | max freq error {100 * freq_err.max():4.1f} %"
              f"  [{time.perf_counter() - t0:.0f} s]", flush=True)
    return rows


def slopes(rows) -> dict:
    """Log-log slope of the mean angle against the number of trials (-0.5 is 1/sqrt(data))."""
    n = np.log([r["n_trials"] for r in rows])
    out = {}
    for key in ("jpca_deg", "oracle_deg"):
        for k, name in enumerate(("3hz", "1.5hz")):
            y = np.log([np.mean(np.array(r[key])[:, k]) for r in rows])
            out[f"{key[:-4]}_{name}"] = float(np.polyfit(n, y, 1)[0])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--quick", action="store_true", help="8 and 32 conditions x 20 trials, 3 seeds")
    args = ap.parse_args()
    sizes, seeds = (((8, 20), (32, 20)), range(3)) if args.quick else (SIZES, range(args.seeds))
    rows = run(sizes, seeds)
    sl = slopes(rows)
    print("log-log slope of mean angle vs trials (-0.5 = 1/sqrt):", {k: round(v, 2) for k, v in sl.items()})
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    write_json(out / "jpca.json", {"window_s_after_go": [0.0, 0.7], "sizes": rows, "loglog_slopes": sl})


if __name__ == "__main__":
    main()
