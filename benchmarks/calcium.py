"""Calcium imaging: preprocessing time and OASIS spike inference (speed, accuracy) vs oasis-deconv.

Session: 1,000 ROIs x 30 minutes at 30 Hz (54,000 frames), GCaMP6f-like kernel (rise 0.05 s,
decay 0.7 s), Poisson spikes at 0.2-2 Hz, neuropil r = 0.7, shot noise at SNR 6 (one-spike ΔF/F
peak over the ΔF/F noise SD). Measured in this process:

1. preprocessing of the whole session (neuropil subtraction, maximin baseline 60 s, ΔF/F) —
   target <= 30 s on 2 cores; the running-percentile baseline is timed too;
2. spike inference over all ROIs: ours (session decay estimate + AR(2)), and oasis-deconv's
   own default (``deconvolve(y, penalty=1)``: AR(1), decay from the autocovariance);
3. our overhead: ours with a fixed AR(1) decay against ``oasis.functions.deconvolve`` with the
   same decay, on the same ROIs (identical output; the difference is our wrapper);
4. accuracy: Pearson r of inferred activity with the true spike counts in 100 ms bins
   (median over ROIs), for each method, on the same traces.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/calcium.py [--rois 1000] [--minutes 30]

Numbers on a shared 2-core machine are noisy; the JSON (benchmarks/out/calcium.json) keeps them.
"""
from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np

from neurodiscovery._utils.runfolder import write_json
from neurodiscovery.datasets.calcium import _causal_conv, calcium_kernel
from neurodiscovery.imaging import deconvolve_traces, robust_noise_sd
from neurodiscovery.imaging.preprocess import delta_f_over_f, maximin_baseline, percentile_baseline, subtract_neuropil

RATE, TAU_R, TAU_D, AMP, SNR = 30.0, 0.05, 0.7, 0.2, 6.0


def make_session(n_rois: int, n_frames: int, seed: int = 0):
    """Raw fluorescence and neuropil (float64) and the true spikes per frame (uint8)."""
    rng = np.random.default_rng(seed)
    h = calcium_kernel(RATE, TAU_R, TAU_D)
    rates = rng.uniform(0.2, 2.0, n_rois)
    spikes = rng.poisson(rates / RATE, (n_frames, n_rois)).astype(np.uint8)
    f = np.empty((n_frames, n_rois))
    neu = np.empty((n_frames, n_rois))
    shared = np.cumsum(rng.standard_normal(n_frames)) * 0.002  # slow common neuropil wander
    for a in range(0, n_rois, 100):  # chunks bound the temporaries
        b = min(a + 100, n_rois)
        c = AMP * _causal_conv(spikes[:, a:b].astype(float), h)
        f0 = rng.uniform(300, 800, b - a)
        fn = f0 * 0.6 * (1 + 0.05 * shared[:, None] + 0.02 * rng.standard_normal((n_frames, b - a)))
        clean = f0 * (1 + c) + 0.7 * fn
        sigma = AMP * f0 / SNR
        f[:, a:b] = clean + sigma * np.sqrt(clean / (f0 + 0.7 * f0 * 0.6)) * rng.standard_normal(clean.shape)
        neu[:, a:b] = fn
    return f, neu, spikes


def binned_r(activity: np.ndarray, spikes: np.ndarray, k: int = 3) -> float:
    n = len(activity) // k
    s = activity[: n * k].reshape(n, k, -1).sum(1)
    c = spikes[: n * k].reshape(n, k, -1).sum(1).astype(float)
    r = [np.corrcoef(s[:, j], c[:, j])[0, 1] for j in range(c.shape[1]) if c[:, j].std() > 0 and s[:, j].std() > 0]
    return float(np.median(r))


def oasis_loop(y: np.ndarray, **kw) -> np.ndarray:
    from oasis.functions import deconvolve

    out = np.zeros_like(y)
    our_sn = kw.pop("_our_sn", False)  # the same noise SD we pass, so outputs are comparable
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for j in range(y.shape[1]):
            extra = {"sn": float(robust_noise_sd(y[:, j])[0])} if our_sn else {}
            out[:, j] = deconvolve(y[:, j], penalty=1, **kw, **extra)[1]
    return out


def accuracy_vs_snr(snrs=(10.0, 5.0, 2.0), seeds=(0, 1)) -> dict:
    """Median r (100 ms bins) and decay estimate on tuned HD/place ROIs (600 s, GCaMP6f) per SNR.

    The defaults of :func:`neurodiscovery.imaging.infer_spikes` (ΔF/F, session decay, AR(2) with the
    indicator's rise) against the true spike counts; oasis-deconv's default on the same ΔF/F.
    """
    from neurodiscovery.datasets import make_calcium_imaging
    from neurodiscovery.imaging import infer_spikes

    out = {}
    for snr in snrs:
        rows = []
        for seed in seeds:
            d = make_calcium_imaging(snr=snr, seed=seed, n_noncell=0)
            rec = infer_spikes(d.recording)
            dff = rec.traces.series["dff"]
            rows.append({"seed": seed, "r_ours": binned_r(rec.traces.series["deconvolved"], d.spike_counts),
                         "r_dff": binned_r(dff.clip(0), d.spike_counts),
                         "r_oasis_default": binned_r(oasis_loop(dff), d.spike_counts),
                         "tau_decay_s": rec.traces.meta["deconvolution"]["tau_decay_s"]})
            print(f"SNR {snr:>4g} seed {seed}: median r ours {rows[-1]['r_ours']:.3f}, oasis default "
                  f"{rows[-1]['r_oasis_default']:.3f}, ΔF/F {rows[-1]['r_dff']:.3f}; decay "
                  f"{rows[-1]['tau_decay_s']:.3f} s (planted {d.tau_decay_s})")
        out[str(snr)] = rows
    return out


def timed(fn, *a, **kw):
    t = time.perf_counter()
    r = fn(*a, **kw)
    return r, time.perf_counter() - t


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rois", type=int, default=1000)
    p.add_argument("--minutes", type=float, default=30.0)
    p.add_argument("--subset", type=int, default=200, help="ROIs for the overhead comparison")
    p.add_argument("--preprocess-only", action="store_true", help="time the preprocessing and stop")
    p.add_argument("--snr-only", action="store_true",
                   help="only the accuracy-vs-SNR table on the tuned synthetic ROIs (make_calcium_imaging)")
    args = p.parse_args()
    import oasis.functions  # noqa: F401  (import time, ~seconds, is not inference time)
    if args.snr_only:
        write_json(Path(__file__).parent / "out" / "calcium_snr.json", accuracy_vs_snr())
        return
    n_frames = int(args.minutes * 60 * RATE)
    print(f"session: {args.rois} ROIs x {n_frames} frames ({args.minutes:g} min at {RATE:g} Hz), SNR {SNR:g}")
    (f, neu, spikes), t_gen = timed(make_session, args.rois, n_frames)
    print(f"  generated in {t_gen:.1f} s")
    out = {"n_rois": args.rois, "n_frames": n_frames, "rate_hz": RATE, "snr": SNR, "tau_decay_s": TAU_D}

    t0 = time.perf_counter()
    fc = subtract_neuropil(f, neu, 0.7)
    f0 = maximin_baseline(fc, RATE, 60.0, 0.33)
    dff, _ = delta_f_over_f(fc, f0, raw=f)
    t_pre = time.perf_counter() - t0
    _, t_pct = timed(percentile_baseline, fc[:, :100], RATE, 60.0, 8.0)
    del f0, fc, neu
    print(f"preprocessing (neuropil, maximin 60 s, dF/F): {t_pre:.1f} s  (target 30 s: {t_pre / 30:.2f} x)")
    print(f"  running-percentile baseline, 100 ROIs: {t_pct:.1f} s (x{args.rois / 100:g} for the session)")
    out["preprocess_s"], out["percentile_baseline_100rois_s"] = t_pre, t_pct
    out["load_average_1min"] = os.getloadavg()[0]
    print(f"  (1-minute load average now {out['load_average_1min']:.1f} on this machine)")
    if args.preprocess_only:
        write_json(Path(__file__).parent / "out" / "calcium_preprocess.json", out)
        return

    ours, t_ours = timed(deconvolve_traces, dff, RATE, indicator="GCaMP6f")
    oas, t_oas = timed(oasis_loop, dff)
    total = n_frames * args.rois
    for name, act, t in (("ours: session decay + AR(2)", ours.activity, t_ours), ("oasis default (AR(1), acov)", oas, t_oas)):
        print(f"{name:<30} {t:7.1f} s  {total / t:12,.0f} ROI-frames/s  {n_frames / t:9,.0f} session frames/s"
              f"  median r(100 ms) {binned_r(act, spikes):.3f}")
    print(f"  our decay estimate {np.nanmedian(ours.tau_decay_s):.3f} s (planted {TAU_D}); "
          f"time ratio ours/oasis {t_ours / t_oas:.2f}")
    out["ours"] = {"s": t_ours, "roi_frames_per_s": total / t_ours, "median_r": binned_r(ours.activity, spikes),
                   "tau_decay_s": float(np.nanmedian(ours.tau_decay_s)), "model": ours.model}
    out["oasis_default"] = {"s": t_oas, "roi_frames_per_s": total / t_oas, "median_r": binned_r(oas, spikes)}

    sub = dff[:, : args.subset]
    ours_fixed, t_of = timed(deconvolve_traces, sub, RATE, model="ar1", tau_decay_s=TAU_D)
    oas_fixed, t_ob = timed(oasis_loop, sub, tau_d=TAU_D, framerate=RATE, _our_sn=True)
    same = float(np.max(np.abs(ours_fixed.activity - oas_fixed)))
    print(f"overhead, {args.subset} ROIs, AR(1) tau {TAU_D} s: ours {t_of:.1f} s, oasis {t_ob:.1f} s "
          f"(ratio {t_of / t_ob:.2f}); max |difference| {same:.1e}; median r ours {binned_r(ours_fixed.activity, spikes[:, : args.subset]):.3f}")
    out["overhead"] = {"n_rois": args.subset, "ours_s": t_of, "oasis_s": t_ob, "ratio": t_of / t_ob,
                       "max_abs_diff": same}
    write_json(Path(__file__).parent / "out" / "calcium.json", out)


if __name__ == "__main__":
    main()
