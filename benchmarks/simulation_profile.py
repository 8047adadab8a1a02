"""Where the native engine's time step goes, and how far it is from its memory-traffic floor.

    PYTHONPATH=src .venv/bin/python benchmarks/simulation_profile.py --scale 1     # full microcircuit (~3 GB)

Builds the Potjans-Diesmann microcircuit, runs 50 ms (transient) and 100 ms on one thread, then times
the step's parts on the same network with the kernels themselves, ``--steps`` steps each: the neuron
update with its Poisson input (``_update_part`` over all partitions, no delivery), the same without
Poisson draws, and spike delivery (``_deliver`` replaying the spike history of the run). The floor:
synapse bytes the run's spikes stream (8 bytes per synapse event) over the bandwidth of a 256 MB
numpy copy (read + write bytes), one thread. Process CPU seconds per biological second; a loaded
machine inflates them all alike. Writes ``benchmarks/out/simulation_profile.json``. The helper
kernels below call the engine's private kernels: when their arguments change, update them here.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from numba import njit

from neurodiscovery.simulation import _kernels as K
from neurodiscovery.simulation import build, models

OUT = Path(__file__).resolve().parent / "out"


@njit
def _update_only(nsteps, s0, parts, params, state, inputs, amp, inp_ex, inp_in, split, buffers):
    nparts = parts[0].shape[0] - 1
    for s in range(s0, s0 + nsteps):
        for p in range(nparts):
            K._update_part(p, s, 0, parts[1], parts[2], parts[3], state[0], state[1], state[2], state[3],
                           params[0], params[1], params[2], params[3], params[4], params[5], params[6],
                           params[7], params[8], params[9], inputs[0], inputs[1], inputs[2], inputs[3],
                           inputs[4], inputs[5], inputs[6], inputs[7], amp, inputs[8],
                           inp_ex, inp_in, split, buffers[0], buffers[1], buffers[2])


@njit
def _deliver_only(nsteps, s0, nparts, hist, hist_n, rowptr, off, syn, synw, shift, inp_ex, inp_in, split):
    L = hist.shape[0]
    for s in range(s0, s0 + nsteps):
        K._deliver(0, nparts, s0 + (s - s0) % L, hist, hist_n, rowptr, off, syn, synw, shift, inp_ex, inp_in,
                   split)


def _cpu(fn) -> float:
    c = time.process_time()
    fn()
    return time.process_time() - c


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    t = time.perf_counter()
    nn = build(models.microcircuit(scale=a.scale, seed=a.seed), n_threads=1)
    res = {"scale": a.scale, "neurons": nn.N, "synapses": int(nn.delivery.syn.shape[0]),
           "build_s": time.perf_counter() - t}
    nn.run(50.0)
    c = time.process_time()
    run = nn.run(100.0)
    res["step_cpu_s_per_bio_s"] = (time.process_time() - c) * 10
    d, n, per = nn.delivery, a.steps, 1e4 / a.steps  # 1e4 steps of 0.1 ms per biological second
    amp = nn._current_amplitudes(0, 1)
    args = (tuple(nn.parts), tuple(nn.params), tuple(nn.state), tuple(nn.inputs), amp, d.inp_ex, d.inp_in,
            d.split, tuple(nn.buffers))
    no_pois = list(nn.inputs)
    no_pois[0] = np.zeros_like(no_pois[0])
    args0 = args[:3] + (tuple(no_pois),) + args[4:]
    _update_only(1, 10**6, *args)
    res["update_cpu_s_per_bio_s"] = _cpu(lambda: _update_only(n, 10**6, *args)) * per
    res["update_no_poisson_cpu_s_per_bio_s"] = _cpu(lambda: _update_only(n, 10**6, *args0)) * per
    L = d.hist.shape[0]
    s0 = (10**6 // L + 1) * L
    dargs = (nn.parts[0].shape[0] - 1, d.hist, d.hist_n, d.rowptr, d.off, d.syn, d.synw, d.shift, d.inp_ex,
             d.inp_in, d.split)
    _deliver_only(1, s0, *dargs)
    replay = d.hist_n.sum() / L  # spikes per step in the replayed history
    spikes_per_step = len(run.spike_senders) / 1000.0
    res["deliver_cpu_s_per_bio_s"] = _cpu(lambda: _deliver_only(n, s0, *dargs)) * per * spikes_per_step / replay
    events = np.diff(d.rowptr)[run.spike_senders].sum() / 1000.0
    a_ = np.ones(2**25)
    b_ = np.empty_like(a_)
    np.copyto(b_, a_)
    t = time.perf_counter()
    for _ in range(5):
        np.copyto(b_, a_)
    bw = 5 * 2 * a_.nbytes / (time.perf_counter() - t)
    res.update(spikes_per_step=spikes_per_step, synapse_events_per_step=events, copy_bandwidth_gb_s=bw / 1e9,
               synapse_gb_per_bio_s=events * 8 * 1e4 / 1e9, floor_s_per_bio_s=events * 8 * 1e4 / bw)
    res["poisson_cpu_s_per_bio_s"] = res["update_cpu_s_per_bio_s"] - res["update_no_poisson_cpu_s_per_bio_s"]
    for k in ("step", "update", "poisson", "deliver"):
        print(f"{k:8s} {res[k + '_cpu_s_per_bio_s']:.3f} CPU s per biological second")
    print(f"synapse traffic {res['synapse_gb_per_bio_s']:.2f} GB per biological second; numpy copy "
          f"{res['copy_bandwidth_gb_s']:.1f} GB/s -> floor {res['floor_s_per_bio_s']:.3f} s; the step is "
          f"{res['step_cpu_s_per_bio_s'] / res['floor_s_per_bio_s']:.1f}x the floor, delivery "
          f"{res['deliver_cpu_s_per_bio_s'] / res['floor_s_per_bio_s']:.1f}x (one thread)")
    OUT.mkdir(exist_ok=True)
    (OUT / "simulation_profile.json").write_text(json.dumps(res, indent=1, default=float) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
