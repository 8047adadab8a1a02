"""``neurodiscovery simulate cuba|column|microcircuit``: run a spiking network model."""
from __future__ import annotations

from ._types import fraction, int_at_least, nonnegative_float, positive_float

NAME = "simulate"
HELP = "simulate a spiking network (cuba, column, microcircuit) with the native engine or NEST"


def add_arguments(parser) -> None:
    parser.add_argument("model", choices=["cuba", "column", "microcircuit"],
                        help="cuba: Brette et al. 2007 benchmark; column: layered cortical "
                             "column with thalamic pulses; microcircuit: Potjans & Diesmann 2014")
    parser.add_argument("--duration", type=positive_float, default=1.0,
                        help="biological time in seconds (default 1.0)")
    parser.add_argument("--scale", type=positive_float, default=None,
                        help="network size: cuba neurons = 4000*scale (expected in-degree stays 80); column "
                             "neurons per layer = 1000*scale; microcircuit: neuron counts x scale (NEST's "
                             "N_scaling) and, unless --k-scale is given, in-degrees x scale too; default 1 "
                             "(microcircuit: 0.1)")
    parser.add_argument("--k-scale", type=positive_float, default=None,
                        help="microcircuit: in-degree scaling with weight and DC compensation "
                             "(NEST's K_scaling); default = --scale, as in NEST's example (so in-degrees "
                             "shrink with --scale; pass --k-scale 1 to keep the full in-degrees)")
    parser.add_argument("--backend", choices=["native", "nest"], default="native")
    parser.add_argument("--seed", type=int_at_least(0), default=1, help="random seed (default 1)")
    parser.add_argument("--threads", type=int_at_least(1), default=None,
                        help="threads (default: all cores this process may use; the native engine uses them "
                             "only while cores are idle)")
    parser.add_argument("--transient", type=nonnegative_float, default=None,
                        help="seconds excluded from statistics (default 0.1 s or 20%%)")
    parser.add_argument("--record-fraction", type=fraction, default=1.0,
                        help="fraction of each population whose spikes are recorded")
    parser.add_argument("--dc-background", action="store_true",
                        help="microcircuit: replace Poisson background by its mean DC")
    parser.add_argument("--network-json", default=None,
                        help="run this saved network description instead of a built-in model")
    parser.add_argument("--protocol", default=None,
                        help="JSON file of interventions (stimulate, lesion, scale_weights, silence) to compare "
                             "with a control run on the same network and seeds; see the README")
    parser.add_argument("--record-vm", type=int_at_least(0), default=0, metavar="N",
                        help="record membrane potential and synaptic currents of the first N neurons of each "
                             "population every step (spikes.npz, figures/membrane.png)")
    parser.add_argument("--out", default=None, help="run folder (default runs/<timestamp>-simulate)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def main(args) -> int:
    import os

    # A simulate command is a dedicated process whose threads meet once per time step
    # (10,000 times per biological second); OpenMP's default sends them to sleep between
    # steps and waking them costs ~50 us each time (full microcircuit: 3.7 -> 2.8 s per
    # biological second when they spin). Threads are only used while a core is idle, and
    # a user's own setting wins. The library itself never changes the environment.
    os.environ.setdefault("OMP_WAIT_POLICY", "active")
    from ..pipeline.simulate import run_simulation

    out = run_simulation(args.model, duration_s=args.duration, scale=args.scale, k_scale=args.k_scale,
                         backend=args.backend, seed=args.seed, n_threads=args.threads, transient_s=args.transient,
                         record_fraction=args.record_fraction, dc_background=args.dc_background,
                         network_json=args.network_json, out=args.out, progress=not args.no_progress,
                         protocol=args.protocol, record_vm=args.record_vm)
    if args.protocol is not None:
        for name, pops in out.info["effects"].items():
            for pop, q in pops.items():
                print(f"{name:>20} {pop:>6}: control {q['control'].format()}, intervention "
                      f"{q['intervention'].format()}")
        print(f"results in {out.path}")
        return 0
    print(f"{'population':>10} {'rate (Hz)':>9} {'mean ISI CV':>11} {'synchrony':>9}")
    for r in out.table:
        print(f"{r.population:>10} {r.rate_hz:9.3f} {r.mean_isi_cv:11.3f} {r.synchrony:9.2f}")
    print("synchrony: variance / mean of the population spike count in 3 ms bins (<= 1000 neurons; "
          "1 = independent Poisson)")
    info = out.info
    print(f"build {info['build_s']:.2f} s, run {info['run_s']:.2f} s ({info['s_per_biological_s']:.2f} s per "
          f"biological second); results in {out.path}")
    return 0
