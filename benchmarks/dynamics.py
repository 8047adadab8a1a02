"""Dynamics timings: the mini-batch forecaster vs the textbook's full-batch loop, and the circuit fit.

The textbook forecasts the next bin with an LSTM trained full batch on windows built in a
Python loop. Both loops here train the same LSTM (hidden 64, 20-bin window, Poisson loss) on
the same Lorenz-population windows; the textbook loop runs until its validation loss reaches
the best validation loss of the mini-batch loop (or its time budget ends), and the ratio of
wall times is printed. The circuit fit is timed on the planted rank-2 network (N = 60).
Timings on a shared 2-core machine are noisy.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/dynamics.py
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from neurodiscovery._utils.runfolder import write_json
from neurodiscovery.datasets import make_lorenz_population
from neurodiscovery.datasets.circuits import make_planted_circuit
from neurodiscovery.dynamics import (
    RNNForecaster,
    fit_circuit,
    largest_principal_angle_deg,
)
from neurodiscovery.dynamics.forecast import split_blocked

WINDOW, HIDDEN, TEXTBOOK_BUDGET_S = 20, 64, 600.0


def _textbook_windows(a):
    """Windows the textbook's way: a Python loop over every start, copied into a list."""
    xs, ys = [], []
    for trial in a:
        for s in range(len(trial) - WINDOW):
            xs.append(trial[s:s + WINDOW])
            ys.append(trial[s + WINDOW])
    return np.array(xs), np.array(ys)


def textbook_full_batch(train, val, mean, scale, target, seed=0):
    """Full-batch Adam on all windows per step until the validation loss reaches ``target``."""
    t0 = time.perf_counter()
    xs, ys = _textbook_windows(train)
    xv, yv = _textbook_windows(val)
    xs, xv = [torch.as_tensor((v - mean) / scale, dtype=torch.float32) for v in (xs, xv)]
    ys, yv = [torch.as_tensor(v, dtype=torch.float32) for v in (ys, yv)]
    torch.manual_seed(seed)
    lstm, head = torch.nn.LSTM(train.shape[2], HIDDEN, batch_first=True), torch.nn.Linear(HIDDEN, train.shape[2])
    opt = torch.optim.Adam([*lstm.parameters(), *head.parameters()], lr=3e-3)
    loss_fn = torch.nn.PoissonNLLLoss(log_input=True, full=False)
    steps, best = 0, np.inf
    while time.perf_counter() - t0 < TEXTBOOK_BUDGET_S:
        opt.zero_grad()
        loss = loss_fn(head(lstm(xs)[0][:, -1]), ys)
        loss.backward()
        opt.step()
        steps += 1
        with torch.no_grad():
            best = min(best, float(loss_fn(head(lstm(xv)[0][:, -1]), yv)))
        if best <= target:
            break
    return {"wall_s": time.perf_counter() - t0, "steps": steps, "best_val_loss": best, "reached": best <= target}


def forecaster_benchmark(seed=0):
    d = make_lorenz_population(seed=seed)
    train, val = split_blocked(d.counts, 0.2, WINDOW)
    t0 = time.perf_counter()
    model = RNNForecaster(window=WINDOW, cell="lstm", hidden_size=HIDDEN, noise="poisson", seed=seed).fit(train, val)
    ours = {"wall_s": time.perf_counter() - t0, "epochs": model.history_.n_epochs,
            "best_val_loss": model.history_.best_val_loss}
    flat = train.reshape(-1, train.shape[2])
    book = textbook_full_batch(train, val, flat.mean(0), flat.std(0) + 1e-6, ours["best_val_loss"], seed)
    return {"minibatch": ours, "textbook_full_batch": book, "ratio_textbook_over_ours": book["wall_s"] / ours["wall_s"]}


def circuit_benchmark(seed=0):
    p = make_planted_circuit(seed=seed)
    out = {}
    for model in ("low_rank", "full_rank"):
        t0 = time.perf_counter()
        fit = fit_circuit(p.activity, p.inputs, model=model, rank=2, alpha=p.alpha, max_epochs=100, seed=seed)
        out[model] = {"wall_s": time.perf_counter() - t0, "r2_test": fit.r2_test,
                      "column_space_angle_deg": largest_principal_angle_deg(fit.column_space, p.m)}
    return out


def main() -> None:
    torch.set_num_threads(1)
    res = {"forecaster": forecaster_benchmark(), "circuit": circuit_benchmark()}
    f = res["forecaster"]
    print(f"forecaster (LSTM, Lorenz): mini-batch {f['minibatch']['wall_s']:.1f} s to val loss "
          f"{f['minibatch']['best_val_loss']:.4f}; textbook full batch {f['textbook_full_batch']['wall_s']:.1f} s "
          f"(reached: {f['textbook_full_batch']['reached']}, best {f['textbook_full_batch']['best_val_loss']:.4f}); "
          f"ratio {f['ratio_textbook_over_ours']:.1f}x")
    for k, v in res["circuit"].items():
        print(f"circuit {k}: {v['wall_s']:.1f} s, held-out R² {v['r2_test']:.3f}, "
              f"column-space angle {v['column_space_angle_deg']:.1f} deg")
    write_json(Path(__file__).parent / "out" / "dynamics.json", res)


if __name__ == "__main__":
    main()
