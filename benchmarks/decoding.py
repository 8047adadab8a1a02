"""Decoding benchmark: neurodiscovery vs Neural_Decoding (KordingLab) vs the textbook MLP recipe.

Run by hand (``.venv/bin/python benchmarks/decoding.py [--quick]``). Everything runs in this
process on the *same* inputs and the *same* blocked folds:

* data: the built-in real head-direction recording (ADn + CA1), wake epoch, 50 ms bins,
  4 bins before and after, target (cos, sin) of head direction; blocked 5-fold CV with
  a gap of 8 samples (:func:`neurodiscovery.data.blocked_kfold`);
* shared decoders (Wiener filter, Wiener cascade, Kalman filter) on identical features
  (raw counts as Neural_Decoding's examples use, then square-rooted counts, our default),
  ours vs Neural_Decoding's. Neural_Decoding's Kalman ``predict`` reads the
  first *test* output to initialise (ours starts from the training mean), so its R^2 is
  printed twice: as their API gives it, and started from the training mean; its naive
  Bayes decoder handles 2-D position only and its neural networks need keras, so those
  are not compared;
* the textbook recipe: one MLP (128-64, dropout 0.5), full batch, 100 Adam epochs,
  no early stopping, no scaling, scored here with the true R² on the same folds;
* recurrent decoders: our mini-batch training with early stopping vs a textbook-style
  full-batch Adam loop on the same network, initialisation and data, run until it
  reaches our best validation loss; the speed ratio is time-to-that-loss.

Neural_Decoding is installed with pip into this environment if missing (it is pure
Python with no dependencies); it uses ``np.NaN``, removed in numpy 2, which is patched
back before import. Torch and BLAS run on one thread for everyone (fair on a shared
2-core machine). Timings on a shared machine are noisy: the script repeats the
recurrent comparison ``--repeats`` times and reports the median.

Writes ``benchmarks/out/decoding.json``.
"""
from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "out"


def import_neural_decoding(install: bool):
    np.NaN = np.nan  # Neural_Decoding still spells it np.NaN (removed in numpy 2)
    try:
        return importlib.import_module("Neural_Decoding.decoders")
    except ImportError:
        if not install:
            return None
        print("installing neural-decoding (pure Python, no dependencies) ...", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "neural-decoding"], check=True)
        importlib.invalidate_caches()
        return importlib.import_module("Neural_Decoding.decoders")


def load_head_direction(bins_before=4, bins_after=4):
    from neurodiscovery import datasets
    from neurodiscovery.decoding import angles_to_cossin, lagged_design

    rec = datasets.load_head_direction()
    b = rec.bin(0.05, epoch="wake", behaviors=["head_direction"])
    theta = b.behavior("head_direction")[:, 0]
    flat, sidx = lagged_design(b.counts, bins_before, bins_after, segment=b.segment)
    seq, _ = lagged_design(b.counts, bins_before, bins_after, flat=False, segment=b.segment)
    ok = np.isfinite(theta[sidx])
    return flat[ok], np.ascontiguousarray(seq[ok]), angles_to_cossin(theta[sidx][ok]), sidx[ok]


def r2_mean(y, p):
    from neurodiscovery.decoding import r2_per_output

    return float(np.mean(r2_per_output(y, p)))


def textbook_mlp(Xtr, ytr, Xte, seed):
    """The textbook recipe: full batch, 100 epochs, Adam 1e-3, no scaling, no early stopping."""
    import torch
    import torch.nn as nn

    torch.manual_seed(seed)  # the recipe seeds globally; we only reproduce it here
    model = nn.Sequential(nn.Linear(Xtr.shape[1], 128), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, ytr.shape[1]))
    opt = torch.optim.Adam(model.parameters(), lr=0.001)
    crit = nn.MSELoss()
    Xt, yt = torch.tensor(Xtr, dtype=torch.float32), torch.tensor(ytr, dtype=torch.float32)
    for _ in range(100):
        opt.zero_grad()
        loss = crit(model(Xt), yt)
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        return model(torch.tensor(Xte, dtype=torch.float32)).numpy().astype(float)


def compare_shared(flat, y, sidx, folds, nd, quick):
    from neurodiscovery.decoding import KalmanFilterDecoder, MLPDecoder, WienerCascade, WienerFilter

    rows = []
    specs = [
        ("wiener", lambda: WienerFilter(validation_gap=8), (lambda: nd.WienerFilterRegression()) if nd else None),
        ("wiener_cascade", lambda: WienerCascade(validation_gap=8),
         (lambda: nd.WienerCascadeRegression(degree=3)) if nd else None),
        ("kalman", lambda: KalmanFilterDecoder(validation_gap=8), (lambda: nd.KalmanFilterRegression(C=1)) if nd else None),
    ]
    for name, ours_f, theirs_f in specs:
        res = {"decoder": name, "ours_r2": [], "theirs_r2": [], "ours_fit_s": [], "theirs_fit_s": []}
        for tr, te in folds:
            m = ours_f()
            t0 = time.perf_counter()
            m.fit(flat[tr], y[tr], sample_index=sidx[tr])
            res["ours_fit_s"].append(time.perf_counter() - t0)
            res["ours_r2"].append(r2_mean(y[te], m.predict(flat[te])))
            if theirs_f is not None:
                t = theirs_f()
                t0 = time.perf_counter()
                t.fit(flat[tr], y[tr])
                res["theirs_fit_s"].append(time.perf_counter() - t0)
                # their Kalman predict needs the test outputs (it starts from y_test[0])
                p = t.predict(flat[te], y[te]) if name == "kalman" else t.predict(flat[te])
                res["theirs_r2"].append(r2_mean(y[te], np.asarray(p)))
                if name == "kalman":
                    # the same filter started honestly (first state = training mean, as ours)
                    y0 = y[te].copy()
                    y0[0] = y[tr].mean(axis=0)
                    res["theirs_honest_r2"] = res.get("theirs_honest_r2", []) + [
                        r2_mean(y[te], np.asarray(t.predict(flat[te], y0)))]
        rows.append(res)
    # feedforward networks: ours (mini-batch, early stopping) vs the textbook recipe
    res = {"decoder": "mlp", "ours_r2": [], "theirs_r2": [], "ours_fit_s": [], "theirs_fit_s": [],
           "textbook_r2": [], "textbook_fit_s": []}
    for k, (tr, te) in enumerate(folds):
        m = MLPDecoder(validation_gap=8, seed=k, **({"max_epochs": 20} if quick else {}))
        t0 = time.perf_counter()
        m.fit(flat[tr], y[tr], sample_index=sidx[tr])
        res["ours_fit_s"].append(time.perf_counter() - t0)
        res["ours_r2"].append(r2_mean(y[te], m.predict(flat[te])))
        t0 = time.perf_counter()
        p = textbook_mlp(flat[tr], y[tr], flat[te], seed=k)
        res["textbook_fit_s"].append(time.perf_counter() - t0)
        res["textbook_r2"].append(r2_mean(y[te], p))
    rows.append(res)
    return rows


def recurrent_speed(seq, y, sidx, folds, kind, repeats, cap_s, quick):
    """Our mini-batch training vs a full-batch Adam loop to the same validation loss."""
    import torch

    from neurodiscovery.decoding import GRUDecoder, LSTMDecoder
    from neurodiscovery.decoding._common import validation_split
    from neurodiscovery.decoding.neural import _build_module

    cls = {"gru": GRUDecoder, "lstm": LSTMDecoder}[kind]
    tr, te = folds[0]
    out = []
    for rep in range(repeats):
        est = cls(validation_gap=8, seed=rep, **({"max_epochs": 15} if quick else {}))
        est.fit(seq[tr], y[tr], sample_index=sidx[tr])
        target = est.best_val_loss_
        ours_to_target = est.epoch_end_s_[est.best_epoch_]
        ours_r2 = r2_mean(y[te], est.predict(seq[te]))
        # full-batch loop on the same network, initialisation, scaling and validation block
        fit_pos, val_pos = validation_split(len(tr), est.validation_fraction, est.validation_gap, sidx[tr])
        Xs = ((seq[tr] - est.x_mean_) / est.x_scale_).astype(np.float32)
        Ys = ((y[tr] - est.y_mean_) / est.y_scale_).astype(np.float32)
        Xf, Yf = torch.as_tensor(Xs[fit_pos]), torch.as_tensor(Ys[fit_pos])
        Xv, Yv = torch.as_tensor(Xs[val_pos]), torch.as_tensor(Ys[val_pos])
        g = torch.Generator().manual_seed(rep)
        net = _build_module(kind, seq.shape[2], y.shape[1], est.hidden_size, est.n_layers, 0.0, g)
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)   # textbook optimiser and rate
        loss_fn = torch.nn.MSELoss()
        t0 = time.perf_counter()
        reached, epochs, best_fb = None, 0, np.inf
        while time.perf_counter() - t0 < cap_s:
            net.train()
            opt.zero_grad()
            loss = loss_fn(net(Xf), Yf)
            loss.backward()
            opt.step()
            epochs += 1
            net.eval()
            with torch.no_grad():
                v = float(loss_fn(net(Xv), Yv))
            best_fb = min(best_fb, v)
            if v <= target:
                reached = time.perf_counter() - t0
                break
        fb_time = reached if reached is not None else time.perf_counter() - t0
        out.append({"repeat": rep, "target_val_loss": target, "ours_time_to_target_s": ours_to_target,
                    "ours_total_fit_s": est.fit_time_s_, "ours_epochs": est.n_epochs_, "ours_r2_fold0": ours_r2,
                    "full_batch_time_s": fb_time, "full_batch_epochs": epochs,
                    "full_batch_reached": reached is not None, "full_batch_best_val_loss": best_fb,
                    "ratio_vs_time_to_target": fb_time / ours_to_target,
                    "ratio_vs_total_fit": fb_time / est.fit_time_s_})
    return out


def _print_rows(rows, feats):
    out = []
    for r in rows:
        def m(k):
            return float(np.mean(r[k])) if r.get(k) else float("nan")
        s = {"features": feats, "decoder": r["decoder"], "ours_r2": m("ours_r2"),
             "neural_decoding_r2": m("theirs_r2"), "textbook_r2": m("textbook_r2"),
             "ours_fit_s": m("ours_fit_s"), "neural_decoding_fit_s": m("theirs_fit_s"),
             "textbook_fit_s": m("textbook_fit_s"), "folds": r}
        out.append(s)
        print(f"{r['decoder']:<16}{s['ours_r2']:>9.3f}{s['neural_decoding_r2']:>9.3f}{s['textbook_r2']:>10.3f}"
              f"{s['ours_fit_s']:>9.3f}{s['neural_decoding_fit_s']:>9.3f}{s['textbook_fit_s']:>10.3f}", flush=True)
        if r.get("theirs_honest_r2"):
            s["neural_decoding_honest_start_r2"] = m("theirs_honest_r2")
            print(f"{'':<16}ND Kalman started from the training mean instead of the first test output: "
                  f"R2 {s['neural_decoding_honest_start_r2']:.3f}", flush=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer epochs, 1 repeat, short cap (smoke run)")
    ap.add_argument("--repeats", type=int, default=2, help="repeats of the recurrent speed comparison")
    ap.add_argument("--cap-s", type=float, default=150.0, help="time cap for the full-batch loop (s)")
    ap.add_argument("--no-install", action="store_true", help="do not pip-install neural-decoding")
    ap.add_argument("--skip-recurrent", action="store_true")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    import torch
    from threadpoolctl import threadpool_limits

    from neurodiscovery.data import blocked_kfold

    torch.set_num_threads(1)
    nd = import_neural_decoding(install=not args.no_install)
    with threadpool_limits(1):
        flat, seq, y, sidx = load_head_direction()
        folds = blocked_kfold(len(y), 5, gap=8)
        print(f"head direction, wake, 50 ms bins, 4+1+4 lags: {len(y)} samples x {flat.shape[1]} features; "
              f"blocked 5-fold, gap 8. Neural_Decoding: {'yes' if nd else 'not installed'}", flush=True)
        summary = []
        for feats in ("raw", "sqrt"):
            X = flat if feats == "raw" else np.sqrt(flat)
            rows = compare_shared(X, y, sidx, folds, nd, args.quick)
            print(f"\n{feats} counts: R^2 (coefficient of determination, mean of cos/sin, mean over folds) "
                  "and fit time per fold")
            print(f"{'decoder':<16}{'ours R2':>9}{'ND R2':>9}{'textbook':>10}{'ours s':>9}{'ND s':>9}{'textbk s':>10}")
            summary += _print_rows(rows, feats)
        rec = {}
        if not args.skip_recurrent:
            reps = 1 if args.quick else args.repeats
            cap = min(args.cap_s, 60.0) if args.quick else args.cap_s
            print(f"\nrecurrent decoders, fold 1: our mini-batch training vs full-batch Adam (lr 1e-3) "
                  f"to the same validation loss ({reps} repeat(s), cap {cap:.0f} s)")
            for kind in ("gru", "lstm"):
                res = recurrent_speed(seq, y, sidx, folds, kind, reps, cap, args.quick)
                rec[kind] = res
                for r in res:
                    print(f"  {kind} rep {r['repeat']}: target val loss {r['target_val_loss']:.4f}; ours "
                          f"{r['ours_time_to_target_s']:.1f} s to it ({r['ours_total_fit_s']:.1f} s total, "
                          f"{r['ours_epochs']} epochs, R2 {r['ours_r2_fold0']:.3f}); full batch "
                          f"{'reached it in' if r['full_batch_reached'] else 'NOT reached in'} "
                          f"{r['full_batch_time_s']:.1f} s ({r['full_batch_epochs']} epochs, best "
                          f"{r['full_batch_best_val_loss']:.4f}) -> speed ratio "
                          f"{'>' if not r['full_batch_reached'] else ''}{r['ratio_vs_time_to_target']:.1f}x "
                          f"(vs our total fit {r['ratio_vs_total_fit']:.1f}x)", flush=True)
                med = float(np.median([r["ratio_vs_time_to_target"] for r in res]))
                med_tot = float(np.median([r["ratio_vs_total_fit"] for r in res]))
                print(f"  {kind}: median speed ratio {med:.1f}x to the same validation loss "
                      f"({med_tot:.1f}x counting our whole early-stopped fit)")
    OUT.mkdir(parents=True, exist_ok=True)
    import platform

    out = {"benchmark": "decoding", "data": "built-in head direction, wake, 50 ms, 4+1+4 lags, raw and sqrt counts",
           "folds": "blocked 5-fold, gap 8", "threads": 1, "quick": args.quick,
           "machine": platform.platform(), "shared": summary, "recurrent": rec,
           "neural_decoding_installed": nd is not None}
    (OUT / "decoding.json").write_text(json.dumps(out, indent=2, default=float))
    print(f"\nwrote {OUT / 'decoding.json'} (timings on a shared machine are noisy)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
