"""Spiking-network benchmark: native engine vs Brian2, NEST and the textbook dense loop.

Run by hand (minutes; uses both cores)::

    .venv/bin/python benchmarks/simulation.py                 # everything, microcircuit at scale 0.1
    .venv/bin/python benchmarks/simulation.py --mc-scale 1    # full-scale microcircuit (~3 GB)
    .venv/bin/python benchmarks/simulation.py --only cuba4000,dense

Every measurement runs in its own subprocess, so "whole command" times include Python
start-up, imports and loading the cached numba kernels, and peak RSS is per run. Peers:
Brian2 (C++ standalone) and NEST 3 live in their own virtual environments,
``benchmarks/.venv-brian2`` and ``benchmarks/.venv-nest``, created here with pip on first
use (Brian2 pins numpy < 2.4, which conflicts with the main environment). NEST runs the
*same* network description through :mod:`neurodiscovery.simulation.nest_backend`.
Results are printed side by side with ratios and written to ``benchmarks/out/simulation.json``.
The machine is shared: timings are noisy, so each key number is the best of ``--repeat``.
Every subprocess runs with ``OMP_WAIT_POLICY=active`` unless set (as ``neurodiscovery
simulate`` does): OpenMP threads spin between time steps, for us and for NEST alike.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
PY = sys.executable

# anchors (../shared/DESIGN.md), wall seconds per biological second on this machine kind
ANCHORS = {
    "brian2_standalone_run": {4000: 0.07, 20000: 0.40, 80000: 1.97},
    "nest_2threads": {4000: 0.33, 20000: 3.8, 80000: 27.0},
    "nest_1thread": {4000: 1.3, 20000: 7.3, 80000: 64.0},
    "textbook_dense_10000": 286.0,
    "nest_microcircuit_full": {"s_per_bio_s": 114.0, "connect_s": 101.0, "peak_gb": 14.4},
}
MC_REF = {"L23E": 0.903, "L23I": 2.965, "L4E": 4.414, "L4I": 5.876, "L5E": 7.569,
          "L5I": 8.633, "L6E": 1.105, "L6I": 7.829}

NATIVE = textwrap.dedent("""
    import json, resource, sys, time
    t0 = time.perf_counter()
    from neurodiscovery.simulation import models, build, analysis
    kind, arg, dur, seed, transient = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    if kind == "cuba":
        net = models.cuba(int(arg), seed=seed)
    elif kind == "microcircuit":
        net = models.microcircuit(scale=arg, k_scale=float(sys.argv[6]), seed=seed)
    else:
        net = models.column(scale=arg, seed=seed)
    nn = build(net)
    c0 = time.process_time()
    res = nn.run(dur)
    run_cpu = time.process_time() - c0
    total = time.perf_counter() - t0
    rates = analysis.population_rates(res, transient, dur)
    print(json.dumps({"build_s": res.info["build_s"], "run_s": res.info["run_s"], "run_cpu_s": run_cpu,
                      "total_s": total, "n_synapses": res.info["n_synapses"],
                      "n_threads": res.info["n_threads"], "rates_hz": rates,
                      "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}))
""")

NEST = textwrap.dedent("""
    import json, resource, sys, time
    t0 = time.perf_counter()
    from neurodiscovery.simulation import models, analysis
    from neurodiscovery.simulation.nest_backend import simulate_nest
    kind, arg, dur, seed, transient, threads = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
    net = models.cuba(int(arg), seed=seed) if kind == "cuba" else models.microcircuit(scale=arg, k_scale=float(sys.argv[7]), seed=seed)
    res = simulate_nest(net, dur, n_threads=threads)
    total = time.perf_counter() - t0
    print(json.dumps({"build_s": res.info["build_s"], "run_s": res.info["run_s"], "total_s": total,
                      "n_synapses": res.info["n_synapses"],
                      "rates_hz": analysis.population_rates(res, transient, dur),
                      "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}))
""")

BRIAN = textwrap.dedent("""
    import json, resource, sys, time, tempfile
    t0 = time.perf_counter()
    from brian2 import *
    n, dur, seed_, transient = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    d = tempfile.mkdtemp(prefix="brian2_cuba_")
    set_device("cpp_standalone", directory=d, build_on_run=False)
    prefs.devices.cpp_standalone.openmp_threads = 0
    defaultclock.dt = 0.1*ms
    taum, taue, taui = 20*ms, 5*ms, 10*ms
    Vt, Vr, El = -50*mV, -60*mV, -49*mV
    eqs = '''dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
             dge/dt = -ge/taue : volt
             dgi/dt = -gi/taui : volt'''
    P = NeuronGroup(n, eqs, threshold='v>Vt', reset='v = Vr', refractory=5*ms, method='exact')
    P.v = 'Vr + rand() * (Vt - Vr)'
    P.ge = 0*mV
    P.gi = 0*mV
    ne = int(round(0.8*n))
    p = 80.0 / n if n > 80 else 1.0  # (brian2's star import shadows min)
    we, wi = (60*0.27/10)*mV, (-20*4.5/10)*mV
    Ce = Synapses(P, P, on_pre='ge += we', delay=0.1*ms)
    Ci = Synapses(P, P, on_pre='gi += wi', delay=0.1*ms)
    Ce.connect('i<ne and i!=j', p=p)
    Ci.connect('i>=ne and i!=j', p=p)
    s_mon = SpikeMonitor(P)
    seed(seed_)
    run(dur*ms)
    t1 = time.perf_counter()
    device.build(directory=d, compile=True, run=True, debug=False)
    t2 = time.perf_counter()
    i = np.asarray(s_mon.i); t = np.asarray(s_mon.t/ms)
    m = t > transient
    rates = {"E": float(np.sum(m & (i < ne)) / ne / ((dur - transient)*1e-3)),
             "I": float(np.sum(m & (i >= ne)) / (n - ne) / ((dur - transient)*1e-3))}
    print(json.dumps({"run_s": float(device._last_run_time), "build_and_run_s": t2 - t1,
                      "total_s": t2 - t0, "rates_hz": rates,
                      "peak_rss_gb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20}))
""")

DENSE = textwrap.dedent("""
    # the textbook's BrainRegionSimulation step, as printed (dense N x N float64 weights,
    # np.dot of the weight matrix with the spike vector every 0.1 ms step)
    import json, sys, time
    import numpy as np
    n, steps = int(sys.argv[1]), int(sys.argv[2])
    rng = np.random.default_rng(0)
    w = (rng.random((n, n)) < 0.1) * rng.normal(0, 0.1, (n, n))
    np.fill_diagonal(w, 0)
    w[rng.choice(n, size=int(0.2 * n), replace=True)] *= -5
    v = np.full(n, -70.0); refr = np.zeros(n)
    t0 = time.perf_counter()
    for s in range(steps):
        ext = rng.normal(16.0, 3.0, n)
        nr = refr <= 0
        v[nr] += 0.1 * (-(v[nr] + 70.0) + ext[nr]) / 20.0
        spiked = v >= -55.0
        v[spiked] = -75.0
        refr[spiked] = 2.0
        refr -= 0.1
        syn = np.dot(w, spiked.astype(float))
        v[nr] += syn[nr]
    el = time.perf_counter() - t0
    print(json.dumps({"run_s": el, "steps": steps, "s_per_bio_s": el / (steps * 1e-4)}))
""")


def _env():
    env = dict(os.environ)
    # the setting `neurodiscovery simulate` uses (threads spin between time steps instead of
    # sleeping); the same for every simulator here, NEST's OpenMP threads included
    env.setdefault("OMP_WAIT_POLICY", "active")
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _run(python, code, *args, timeout=3600, src=None, serial=False):
    t = time.perf_counter()
    env = _env()
    if serial:
        env["NUMBA_NUM_THREADS"] = "1"
    if src is not None:  # another checkout's package (the engine of an earlier commit)
        env["PYTHONPATH"] = str(src) + os.pathsep + env["PYTHONPATH"]
    p = subprocess.run([str(python), "-c", code, *map(str, args)], capture_output=True,
                       text=True, env=env, timeout=timeout)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        raise RuntimeError(p.stderr[-2000:])
    out = json.loads(p.stdout.strip().splitlines()[-1])
    out["command_wall_s"] = wall
    return out


def _venv(name: str, packages: list[str]) -> Path | None:
    """Create benchmarks/.venv-<name> with pip (once); None if that fails."""
    d = ROOT / "benchmarks" / f".venv-{name}"
    py = d / "bin" / "python"
    if py.exists():
        return py
    print(f"creating {d} with {packages} ...", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(d)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", *packages], check=True,
                       timeout=1800)
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"  could not install {packages}: {exc}")
        return None
    return py


def compare_engines(rev: str, repeat: int, seed: int) -> dict:
    """Same-run speed of this engine against the engine of commit ``rev``.

    ``rev`` is checked out (``git worktree add --detach``) under ``benchmarks/.engine-<rev>``;
    both engines then run the same networks alternately (old, new, old, new, ...) on one
    thread, so that load changes on a shared machine hit both alike, and the ratio of the
    medians of the simulation's *process CPU time* is reported (old / new, > 1 means the
    new engine is faster). On a loaded machine wall time mostly measures waiting for a core;
    CPU time of a single-threaded run does not. Networks: CUBA N = 4000 for 5 s and the
    microcircuit at scale 0.1 for 1 s.
    """
    import statistics

    tree = ROOT / "benchmarks" / f".engine-{rev[:12]}"
    if not tree.exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), rev], check=True,
                       capture_output=True)
    cases = {"cuba4000": ("cuba", 4000, 5000.0, 100.0), "microcircuit0.1": ("microcircuit", 0.1, 1000.0, 100.0, 1.0)}
    out = {}
    for name, case in cases.items():
        for src in (tree / "src", None):  # compile/cache both engines first
            _run(PY, NATIVE, case[0], case[1], 50.0, seed, 0.0, *case[4:], src=src, serial=True)
        old, new = [], []
        for _ in range(repeat):
            old.append(_run(PY, NATIVE, *case[:2], case[2], seed, case[3], *case[4:], src=tree / "src",
                            serial=True)["run_cpu_s"])
            new.append(_run(PY, NATIVE, *case[:2], case[2], seed, case[3], *case[4:], serial=True)["run_cpu_s"])
        ratio = statistics.median(old) / statistics.median(new)
        out[name] = {"old_run_cpu_s": old, "new_run_cpu_s": new, "ratio_old_over_new": ratio}
        print(f"[engine vs {rev[:10]}] {name}: simulation CPU time median old {statistics.median(old):.3f} s, new "
              f"{statistics.median(new):.3f} s (alternating, {repeat} each, 1 thread): ratio old/new {ratio:.3f}",
              flush=True)
    return out


def _best(fn, repeat):
    runs = [fn() for _ in range(repeat)]
    return min(runs, key=lambda r: r.get("run_s", 0.0)), runs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="cuba4000,cuba80000,microcircuit,dense,brian2,nest",
                    help="comma list of: cuba4000, cuba80000, microcircuit, dense, brian2, nest")
    ap.add_argument("--mc-scale", type=float, default=0.1)
    ap.add_argument("--compare-commit", default=None, metavar="REV",
                    help="only compare this engine with the engine of git commit REV (same run, alternating)")
    ap.add_argument("--mc-k-scale", type=float, default=None,
                    help="microcircuit in-degree scale (default: 1, in-degrees preserved)")
    ap.add_argument("--mc-duration", type=float, default=1500.0, help="ms (first 500 dropped)")
    ap.add_argument("--duration", type=float, default=1000.0, help="CUBA biological ms")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--nest-threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    if args.compare_commit:
        OUT.mkdir(parents=True, exist_ok=True)
        res = compare_engines(args.compare_commit, max(args.repeat, 3), args.seed)
        (OUT / "simulation_engine_compare.json").write_text(json.dumps(res, indent=2))
        return 0
    only = set(args.only.split(","))
    dur = args.duration
    results: dict = {"anchors": ANCHORS, "machine": os.uname().nodename,
                     "cores": os.cpu_count(), "note": "shared 2-core machine: timings noisy"}
    rows = []

    def row(name, ours, peer, peer_name):
        ratio = peer / ours if ours and peer else float("nan")
        rows.append((name, ours, peer, peer_name, ratio))

    brian_py = _venv("brian2", ["brian2", "numpy<2.4"]) if "brian2" in only else None
    nest_py = _venv("nest", ["nest-simulator", "numpy", "scipy"]) if "nest" in only else None
    results["brian2_available"] = brian_py is not None
    results["nest_available"] = nest_py is not None

    for n in (4000, 80000):
        key = f"cuba{n}"
        if key not in only:
            continue
        print(f"[{key}] native ...", flush=True)
        _run(PY, NATIVE, "cuba", n, 100.0, args.seed, 0.0)  # make sure kernels are cached
        best, runs = _best(lambda: _run(PY, NATIVE, "cuba", n, dur, args.seed, 100.0),
                           args.repeat)
        r = {"native": best, "native_runs": runs}
        per = best["run_s"] / (dur * 1e-3)
        row(f"CUBA N={n} run phase (s/bio s) vs Brian2 anchor", per,
            ANCHORS["brian2_standalone_run"][n], "brian2 anchor")
        row(f"CUBA N={n} run phase vs NEST 2-thr anchor", per, ANCHORS["nest_2threads"][n],
            "nest anchor")
        if brian_py is not None:
            print(f"[{key}] brian2 standalone ...", flush=True)
            try:
                b = _run(brian_py, BRIAN, n, dur, args.seed, 100.0)
                r["brian2"] = b
                row(f"CUBA N={n} run phase vs Brian2 (this run)", per,
                    b["run_s"] / (dur * 1e-3), "brian2 measured")
                row(f"CUBA N={n} whole command vs Brian2 build+run", best["command_wall_s"],
                    b["total_s"], "brian2 total")
                for pop in ("E", "I"):
                    r.setdefault("rate_rel_diff_vs_brian2", {})[pop] = \
                        (best["rates_hz"][pop] - b["rates_hz"][pop]) / b["rates_hz"][pop]
            except Exception as exc:  # noqa: BLE001 - report and continue
                r["brian2_error"] = str(exc)[-500:]
        if nest_py is not None:
            print(f"[{key}] nest ({args.nest_threads} threads) ...", flush=True)
            try:
                nn = _run(nest_py, NEST, "cuba", n, dur, args.seed, 100.0, args.nest_threads)
                r["nest"] = nn
                row(f"CUBA N={n} run phase vs NEST (this run)", per,
                    nn["run_s"] / (dur * 1e-3), f"nest {args.nest_threads} thr")
                for pop in ("E", "I"):
                    r.setdefault("rate_rel_diff_vs_nest", {})[pop] = \
                        (best["rates_hz"][pop] - nn["rates_hz"][pop]) / nn["rates_hz"][pop]
            except Exception as exc:  # noqa: BLE001
                r["nest_error"] = str(exc)[-500:]
        results[key] = r

    if "microcircuit" in only:
        sc = args.mc_scale
        ks = 1.0 if args.mc_k_scale is None else args.mc_k_scale
        print(f"[microcircuit] native scale {sc} k_scale {ks} ...", flush=True)
        m = _run(PY, NATIVE, "microcircuit", sc, args.mc_duration, args.seed, 500.0, ks)
        per = m["run_s"] / (args.mc_duration * 1e-3)
        m["s_per_bio_s"] = per
        m["rel_error_vs_reference"] = {k: (m["rates_hz"][k] - v) / v for k, v in MC_REF.items()}
        mkey = f"microcircuit_scale{sc:g}"
        results[mkey] = {"scale": sc, "k_scale": ks, "native": m}
        if sc == 1.0:
            row("microcircuit full scale s/bio s vs NEST anchor", per,
                ANCHORS["nest_microcircuit_full"]["s_per_bio_s"], "nest anchor")
            row("microcircuit full scale build s vs NEST connect", m["build_s"],
                ANCHORS["nest_microcircuit_full"]["connect_s"], "nest anchor")
            row("microcircuit full scale peak GB vs NEST", m["peak_rss_gb"],
                ANCHORS["nest_microcircuit_full"]["peak_gb"], "nest anchor")
        if nest_py is not None and sc <= 0.1:
            try:
                nn = _run(nest_py, NEST, "microcircuit", sc, args.mc_duration, args.seed, 500.0,
                          args.nest_threads, ks)
                results[mkey]["nest"] = nn
                m["rel_diff_vs_nest"] = {k: (m["rates_hz"][k] - v) / v
                                         for k, v in nn["rates_hz"].items() if v}
                row(f"microcircuit scale {sc} s/bio s vs NEST (this run)", per,
                    nn["run_s"] / (args.mc_duration * 1e-3), f"nest {args.nest_threads} thr")
            except Exception as exc:  # noqa: BLE001
                results[mkey]["nest_error"] = str(exc)[-500:]

    if "dense" in only:
        print("[dense] textbook dense loop N=10000, 200 steps ...", flush=True)
        d = _run(PY, DENSE, 10000, 200)
        results["dense_textbook_10000"] = d
        if "cuba4000" in only or "cuba80000" in only:
            pass
        # native on the same size: CUBA with N = 10000 (sparse, in-degree 80)
        nat = _run(PY, NATIVE, "cuba", 10000, dur, args.seed, 100.0)
        results["native_cuba_10000"] = nat
        row("N=10000 native vs textbook dense (s/bio s)", nat["run_s"] / (dur * 1e-3),
            d["s_per_bio_s"], "textbook dense")

    results["ratios"] = [{"what": a, "ours": b, "peer": c, "peer_name": d, "speedup": e}
                         for a, b, c, d, e in rows]
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "simulation.json"
    merged = json.loads(path.read_text()) if path.exists() else {}
    # keep earlier measurements of parts not rerun (e.g. --only microcircuit)
    ratios = [r for r in merged.get("ratios", [])
              if r["what"] not in {x["what"] for x in results["ratios"]}]
    merged.update(results)
    merged["ratios"] = ratios + results["ratios"]
    with open(path, "w") as fh:
        json.dump(merged, fh, indent=1, default=float)
    print()
    print(f"{'measurement':58s} {'ours':>9s} {'peer':>9s}  {'peer is':18s} {'peer/ours':>9s}")
    for a, b, c, d, e in rows:
        print(f"{a:58s} {b:9.3f} {c:9.3f}  {d:18s} {e:9.2f}")
    for key in ("cuba4000", "cuba80000"):
        if key in results:
            r = results[key]
            print(f"{key}: native rates {r['native']['rates_hz']}, whole command "
                  f"{r['native']['command_wall_s']:.2f} s (build {r['native']['build_s']:.2f} s)")
            for peer in ("brian2", "nest"):
                if peer in r:
                    print(f"   {peer}: rates {r[peer]['rates_hz']}  rel diff "
                          f"{r.get('rate_rel_diff_vs_' + peer)}")
                if peer + "_error" in r:
                    print(f"   {peer} failed: {r[peer + '_error'][-300:]}")
    mkey = f"microcircuit_scale{args.mc_scale:g}"
    if mkey in results:
        m = results[mkey]["native"]
        if "nest" in results[mkey]:
            print(f"   NEST same network: rates {results[mkey]['nest']['rates_hz']}, "
                  f"{results[mkey]['nest']['run_s'] / (args.mc_duration * 1e-3):.1f} s/bio s")
        print(f"microcircuit scale {args.mc_scale}: {m['s_per_bio_s']:.2f} s/bio s, build "
              f"{m['build_s']:.1f} s, peak RSS {m['peak_rss_gb']:.2f} GB, "
              f"{m['n_synapses']:.3g} synapses")
        for k, v in MC_REF.items():
            print(f"   {k:5s} {m['rates_hz'][k]:7.3f} Hz  ref {v:6.3f}  "
                  f"rel err {m['rel_error_vs_reference'][k]:+.1%}")
    print(f"\nwritten {OUT / 'simulation.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
