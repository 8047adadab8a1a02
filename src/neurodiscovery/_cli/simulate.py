"""``neurodiscovery simulate cuba|column|microcircuit``: run a spiking network model."""
from __future__ import annotations

NAME = "simulate"
HELP = "simulate a spiking network (cuba, column, microcircuit) with the native engine or NEST"


def add_arguments(parser) -> None:
    from ._types import fraction, int_at_least, nonnegative_float, positive_float

    parser.add_argument("model", choices=["cuba", "column", "microcircuit"],
                        help="cuba: Brette et al. 2007 benchmark; column: layered cortical "
                             "column with thalamic pulses; microcircuit: Potjans & Diesmann 2014")
    parser.add_argument("--duration", type=positive_float, default=1.0,
                        help="biological time in seconds (default 1.0)")
    parser.add_argument("--scale", type=positive_float, default=None,
                        help="network size: cuba neurons = 4000*scale, column neurons per layer "
                             "= 1000*scale, microcircuit N_scaling (in-degrees preserved); "
                             "default 1 (microcircuit: 0.1)")
    parser.add_argument("--k-scale", type=positive_float, default=None,
                        help="microcircuit: in-degree scaling with weight and DC compensation "
                             "(NEST's K_scaling); default = --scale, as in NEST's example")
    parser.add_argument("--backend", choices=["native", "nest"], default="native")
    parser.add_argument("--seed", type=int_at_least(0), default=1)
    parser.add_argument("--threads", type=int_at_least(1), default=None, help="threads (default: all cores)")
    parser.add_argument("--transient", type=nonnegative_float, default=None,
                        help="seconds excluded from statistics (default 0.1 s or 20%%)")
    parser.add_argument("--record-fraction", type=fraction, default=1.0,
                        help="fraction of each population whose spikes are recorded")
    parser.add_argument("--dc-background", action="store_true",
                        help="microcircuit: replace Poisson background by its mean DC")
    parser.add_argument("--network-json", default=None,
                        help="run this saved network description instead of a built-in model")
    parser.add_argument("--out", default=None, help="run folder (default runs/<timestamp>-simulate)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def main(args) -> int:
    import os

    import numpy as np

    # A simulate command is a dedicated process whose threads meet once per time step
    # (10,000 times per biological second); OpenMP's default sends them to sleep between
    # steps and waking them costs ~50 us each time (full microcircuit: 3.7 -> 2.8 s per
    # biological second when they spin). Threads are only used while a core is idle, and
    # a user's own setting wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "active")

    from .._utils.errors import InputError
    from .._utils.runfolder import RunFolder
    from ..simulation import analysis, models
    from ..simulation.network import Network

    if not args.duration > 0:
        raise InputError(f"--duration must be > 0 s, got {args.duration}")
    scale = args.scale
    if scale is not None and not scale > 0:
        raise InputError(f"--scale must be > 0, got {scale}")
    reference = None
    if args.network_json:
        net = Network.from_json(args.network_json)
        net.seed = args.seed
    elif args.model == "cuba":
        net = models.cuba(n_neurons=int(round(4000 * (scale or 1.0))), seed=args.seed,
                          record_fraction=args.record_fraction)
    elif args.model == "column":
        net = models.column(scale=scale or 1.0, seed=args.seed,
                            record_fraction=args.record_fraction)
    else:
        sc = 0.1 if scale is None else scale
        net = models.microcircuit(scale=sc, k_scale=sc if args.k_scale is None else args.k_scale,
                                  seed=args.seed,
                                  poisson_input=not args.dc_background,
                                  record_fraction=args.record_fraction)
        reference = models.MICROCIRCUIT_REFERENCE_RATES_HZ
    duration_ms = round(args.duration * 1000.0 / net.dt_ms) * net.dt_ms
    transient_ms = (min(100.0, 0.2 * duration_ms) if args.transient is None
                    else args.transient * 1000.0)
    if not 0 <= transient_ms < duration_ms:
        raise InputError("--transient must be >= 0 and shorter than --duration")
    config = {"model": args.model, "duration_s": args.duration, "scale": scale,
              "k_scale": args.k_scale, "backend": args.backend, "seed": args.seed, "threads": args.threads,
              "transient_s": transient_ms / 1000.0, "n_neurons": net.n_neurons}
    with RunFolder("simulate", out=args.out, config=config) as run:
        net.validate()
        run.write_text("network.json", net.to_json())
        if args.backend == "nest":
            from ..simulation.nest_backend import simulate_nest

            res = simulate_nest(net, duration_ms, n_threads=args.threads or 1,
                                progress=not args.no_progress)
        else:
            from ..simulation import build

            nn = build(net, n_threads=args.threads)
            res = nn.run(duration_ms, progress=not args.no_progress)
        table = analysis.population_table(res, transient_ms, duration_ms, reference)
        summary = {"model": args.model, "backend": args.backend,
                   "duration_ms": duration_ms, "analysis_window_ms": [transient_ms, duration_ms],
                   "n_neurons": net.n_neurons, "n_spikes": int(res.spike_times_ms.size),
                   "populations": table, **{k: v for k, v in res.info.items()}}
        run.write_json("summary.json", summary)
        run.write_metrics({r["population"] + "_rate_hz": r["rate_hz"] for r in table})
        np.savez_compressed(run.dir / "spikes.npz", times_ms=res.spike_times_ms,
                            senders=res.spike_senders,
                            population_names=np.array(res.population_names),
                            offsets=np.array(res.offsets), sizes=np.array(res.sizes))
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from ..plotting.spikes import plot_population_rates, plot_raster

        fig, ax = plt.subplots(figsize=(9, 6))
        t1 = min(duration_ms, transient_ms + 500.0)
        plot_raster(res.spike_times_ms, res.spike_senders, res.population_names, res.offsets,
                    res.sizes, max_neurons_per_population=100,
                    time_range_ms=(transient_ms, t1), ax=ax)
        fig.tight_layout()
        fig.savefig(run.figures / "raster.png", dpi=120)
        plt.close(fig)
        fig, ax = plt.subplots(figsize=(6, 4))
        plot_population_rates({r["population"]: r["rate_hz"] for r in table}, reference, ax=ax)
        fig.tight_layout()
        fig.savefig(run.figures / "rates.png", dpi=120)
        plt.close(fig)
    print(f"{'population':>10} {'rate_hz':>8} {'cv_isi':>7} {'sync':>7}")
    for r in table:
        print(f"{r['population']:>10} {r['rate_hz']:8.3f} {r['cv_isi']:7.3f} {r['synchrony']:7.2f}")
    print(f"build {res.info['build_s']:.2f} s, run {res.info['run_s']:.2f} s "
          f"({res.info['s_per_biological_s']:.2f} s per biological second); "
          f"results in {run.path}")
    return 0
