"""Where the native engine's time step goes, and how far it is from its memory-traffic floor.

    PYTHONPATH=src .venv/bin/python benchmarks/simulation_profile.py --scale 1     # full microcircuit (~3 GB)

Builds the Potjans-Diesmann microcircuit, runs 50 ms (transient) and 100 ms on one thread, then times
the step's parts on the same network with the kernels themselves, ``--steps`` steps each: the neuron
update with its Poisson input (``_update_part`` over all partitions, no delivery), the same without
Poisson draws, and spike delivery (``_deliver`` replaying the spike history of the run, scaled to the
run's spikes per step). The floor:
synapse bytes the run's spikes stream (8 bytes per synapse event) over the bandwidth of a 256 MB
numpy copy (read + write bytes), one thread. Process CPU seconds per biological second; a loaded
machine inflates them all alike. Writes ``benchmarks/out/simulation_profile.json``. The private kernels
get their arguments by parameter name from the engine's bundles.
"""
from __future__ import annotations

import argparse
import inspect
import json
import time
from pathlib import Path

import numpy as np
from numba import njit

from neurodiscovery.simulation import _kernels as K
from neurodiscovery.simulation import build, models

OUT = Path(__file__).resolve().parent / "out"


@njit
def _update_only(nsteps, s0, nparts, rest):
    for s in range(s0, s0 + nsteps):
        for p in range(nparts):
            K._update_part(p, s, *rest)


@njit
def _deliver_only(nsteps, s0, L, nparts, rest):
    for s in range(s0, s0 + nsteps):
        K._deliver(0, nparts, s0 + (s - s0) % L, *rest)


def _kernel_args(kernel, skip: int, nn, **override) -> tuple:
    """The kernel's arguments after the first ``skip``, by name from the engine's bundles (whose field
    names are the kernels' parameter names), so this script follows changes of the kernels' signatures."""
    vals: dict = {}
    for bundle in (nn.parts, nn.params, nn.state, nn.inputs, nn.delivery, nn.buffers):
        vals.update(bundle._asdict())
    vals.update(s_chunk=0, cur_amp=nn._current_amplitudes(0, 1), **override)
    return tuple(vals[name] for name in list(inspect.signature(kernel.py_func).parameters)[skip:])


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
    nparts = nn.parts.bounds.shape[0] - 1
    rest = _kernel_args(K._update_part, 2, nn)
    rest0 = _kernel_args(K._update_part, 2, nn, pois_ptr=np.zeros_like(nn.inputs.pois_ptr))
    _update_only(1, 10**6, nparts, rest)
    res["update_cpu_s_per_bio_s"] = _cpu(lambda: _update_only(n, 10**6, nparts, rest)) * per
    res["update_no_poisson_cpu_s_per_bio_s"] = _cpu(lambda: _update_only(n, 10**6, nparts, rest0)) * per
    L = d.hist.shape[0]
    s0 = (10**6 // L + 1) * L
    drest = _kernel_args(K._deliver, 3, nn)
    _deliver_only(1, s0, L, nparts, drest)
    replay = d.hist_n.sum() / L  # spikes per step in the replayed history
    spikes_per_step = len(run.spike_senders) / 1000.0
    res["deliver_cpu_s_per_bio_s"] = (_cpu(lambda: _deliver_only(n, s0, L, nparts, drest)) * per
                                      * spikes_per_step / replay)
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
