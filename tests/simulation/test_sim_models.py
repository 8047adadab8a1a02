"""Models (structure and sane dynamics), analysis against planted spike trains, CLI, NEST."""
import json
import math

import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError, MissingDependencyError
from neurodiscovery.simulation import analysis, build, models, simulate
from neurodiscovery.simulation.engine import SimulationResult


def test_psp_to_psc_matches_nest_example():
    # NEST's microcircuit example: 0.15 mV -> 87.81 pA for C=250 pF, tau_m=10, tau_s=0.5 ms
    assert 0.15 * models.psp_to_psc(250.0, 10.0, 0.5) == pytest.approx(87.81, abs=0.01)


def test_cuba_rates_sane():
    res = simulate(models.cuba(4000, seed=2), 400.0)
    rates = analysis.population_rates(res, 100.0, 400.0)
    for pop in ("E", "I"):
        assert 2.0 < rates[pop] < 20.0
    # E and I neurons see the same inputs statistically: similar rates
    assert rates["E"] == pytest.approx(rates["I"], rel=0.15)


def test_cuba_connectivity_statistics():
    net = models.cuba(2000, seed=1)
    s, t, w, d = build(net).connections()
    assert len(s) == pytest.approx(2000 * 1999 * 0.04, rel=0.02)
    ne = 1600
    assert np.all(w[s < ne] > 0) and np.all(w[s >= ne] < 0)  # Dale
    assert np.all(d == pytest.approx(0.1))


def test_column_is_sound():
    net = models.column(neurons_per_layer=200, seed=0)
    net.validate()
    sizes = {p.name: p.n for p in net.populations}
    for lay in ("L1", "L23", "L4", "L5", "L6"):
        assert sizes[lay + "i"] == 40 and sizes[lay + "e"] == 160  # fixed 20 % subset
    nn = build(net)
    s, _, w, _ = nn.connections()
    sign = np.zeros(nn.N)
    for p, o in zip(net.populations, nn.offsets):
        sign[o:o + p.n] = 1 if p.sign == "excitatory" else -1
    assert np.all(np.sign(w) == sign[s])  # every neuron's outgoing weights have one sign
    res = nn.run(300.0)
    t4, _ = res.spikes_of("L4e")
    # thalamic pulses (0-5 ms, 100-105 ms, ...) drive L4: more L4 spikes right after pulses
    phase = np.mod(t4, 100.0)
    assert np.mean(phase < 10.0) > 2 * 0.1  # 10 % expected without pulses
    rates = analysis.population_rates(res, 100.0, 300.0)
    assert all(0.5 < r < 20.0 for r in rates.values())


def test_microcircuit_structure():
    net = models.microcircuit(scale=0.1, seed=0)
    sizes = [p.n for p in net.populations]
    assert sizes == [2068, 583, 2192, 548, 485, 106, 1440, 295]
    n_syn, _ = models.microcircuit_synapse_numbers(1.0)
    assert n_syn.sum() == pytest.approx(2.99e8, rel=0.01)
    # k_scale compensation: weights up by 1/sqrt(k), a positive DC added
    a = models.microcircuit(scale=0.1, k_scale=0.25)
    w_full = net.projections[0].weight.a
    w_k = a.projections[0].weight.a
    assert w_k == pytest.approx(w_full / math.sqrt(0.25))
    assert all(p.params.i_e_pa > 0 for p in a.populations)


def _planted(times, senders, n, dur):
    return SimulationResult(np.asarray(times, float), np.asarray(senders, int), ["A"], [0], [n],
                            {"A": n}, 0.0, dur)


def test_analysis_on_planted_trains():
    rng = np.random.default_rng(0)
    n, dur, rate = 200, 20000.0, 10.0
    t, s = [], []
    for i in range(n):
        k = rng.poisson(rate * dur / 1000)
        t.append(np.sort(rng.uniform(0, dur, k)))
        s.append(np.full(k, i))
    res = _planted(np.concatenate(t), np.concatenate(s), n, dur)
    assert analysis.population_rates(res)["A"] == pytest.approx(rate, rel=0.02)
    assert analysis.mean_isi_cv(res, "A") == pytest.approx(1.0, abs=0.05)
    assert analysis.fano_factor(res, "A", 100.0) == pytest.approx(1.0, abs=0.05)
    assert analysis.synchrony(res, "A", 3.0) == pytest.approx(1.0, abs=0.1)
    # perfectly regular, synchronous trains: CV 0, synchrony = n
    tt = np.tile(np.arange(5.0, dur, 100.0), n)
    ss = np.repeat(np.arange(n), len(np.arange(5.0, dur, 100.0)))
    reg = _planted(tt, ss, n, dur)
    assert analysis.mean_isi_cv(reg, "A") == pytest.approx(0.0, abs=1e-9)
    assert analysis.synchrony(reg, "A", 3.0) > 0.9 * n
    rows = analysis.population_table(res, reference_rates_hz={"A": 10.0})
    assert rows[0].rate_rel_error == pytest.approx(0.0, abs=0.02)


def test_cli_simulate(tmp_path):
    from neurodiscovery.cli import main

    out = tmp_path / "run"
    assert main(["simulate", "cuba", "--duration", "0.2", "--scale", "0.25", "--out", str(out),
                 "--no-progress"]) == 0
    assert (out / "figures" / "raster.png").exists() and (out / "figures" / "rates.png").exists()
    summary = json.loads((out / "summary.json").read_text())
    assert {r["population"] for r in summary["populations"]} == {"E", "I"}
    assert main(["simulate", "microcircuit", "--scale", "0.00001", "--out",
                 str(tmp_path / "bad")]) == 2
    assert not (tmp_path / "bad").exists()


def test_nest_backend_missing_or_consistent():
    from neurodiscovery.simulation.nest_backend import nest_available, simulate_nest

    net = models.cuba(400, seed=1)
    if not nest_available():
        with pytest.raises(MissingDependencyError, match="pip install nest-simulator"):
            simulate_nest(net, 100.0)
        return
    res = simulate_nest(net, 100.0)  # pragma: no cover - only where NEST is installed
    assert res.spike_times_ms.size > 0


def test_result_save_load_round_trip(tmp_path):
    from neurodiscovery.simulation import SimulationResult

    res = simulate(models.cuba(400, seed=3), 100.0)
    path = res.save(tmp_path / "spikes.npz")
    back = SimulationResult.load(path)
    np.testing.assert_array_equal(back.spike_times_ms, res.spike_times_ms)
    np.testing.assert_array_equal(back.spike_senders, res.spike_senders)
    assert back.population_names == res.population_names and back.recorded == res.recorded
    with pytest.raises(InputError, match="already exists"):
        res.save(path)


def test_make_model_registry():
    net = models.make_model("cuba", scale=0.1, seed=4)
    assert net.n_neurons == 400 and net.seed == 4
    assert models.make_model("microcircuit").n_neurons == models.microcircuit(scale=0.1).n_neurons
    with pytest.raises(InputError, match="unknown model"):
        models.make_model("hodgkin")
    with pytest.raises(InputError, match="scale"):
        models.make_model("cuba", scale=float("inf"))


def test_run_refuses_recording_that_cannot_fit():
    nn = build(models.cuba(400, seed=1))
    with pytest.raises(InputError, match="GiB"):
        nn.run(1e12, max_memory_bytes=2**30)
    with pytest.raises(InputError, match="finite"):
        nn.run(float("inf"))


@pytest.mark.parametrize("argv,flag", [
    (["--duration", "inf"], "--duration"), (["--duration", "-1"], "--duration"), (["--threads", "0"], "--threads"),
    (["--seed", "-1"], "--seed"), (["--record-fraction", "2"], "--record-fraction"), (["--scale", "nan"], "--scale"),
])
def test_cli_simulate_rejects_bad_options(argv, flag, capsys):
    from neurodiscovery.cli import main

    assert main(["simulate", "cuba", *argv]) == 2
    err = capsys.readouterr().err
    assert flag in err and err.count("\n") == 1


def test_cli_simulate_bad_network_json(tmp_path, capsys):
    from neurodiscovery.cli import main

    net = models.cuba(400, seed=1)
    text = json.loads(net.to_json())
    text["dt_ms"] = "abc"
    bad = tmp_path / "net.json"
    bad.write_text(json.dumps(text))
    assert main(["simulate", "cuba", "--network-json", str(bad), "--out", str(tmp_path / "r")]) == 2
    assert main(["simulate", "cuba", "--network-json", str(tmp_path / "none.json"), "--out",
                 str(tmp_path / "r2")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all("Traceback" not in e for e in err)
    assert not (tmp_path / "r").exists() and not (tmp_path / "r2").exists()


def test_nest_explicit_projection_without_listed_weights_matches_native():
    """Explicit synapses whose weights/delays come from the projection's distributions run in NEST
    (NEST's array connection takes numbers only) and give the native engine's PSP."""
    from neurodiscovery.simulation import (
        Connectivity,
        CurrentInput,
        Distribution,
        LIFParams,
        Network,
        Population,
        Projection,
        Recorder,
    )
    from neurodiscovery.simulation.nest_backend import nest_available, simulate_nest

    if not nest_available():
        pytest.skip("NEST is not installed")
    net = Network(populations=[Population("S", 1, LIFParams(v_th_mv=-64.0, t_ref_ms=1000.0)),
                               Population("T", 2, LIFParams(tau_syn_ex_ms=5.0))],
                  projections=[Projection("S", "T", Connectivity("explicit", sources=[0, 0], targets=[0, 1]),
                                          Distribution("constant", 300.0), Distribution("constant", 1.2))],
                  current_inputs=[CurrentInput("S", "steps", times_ms=[2.0, 3.0], amplitudes_pa=[5000.0, 0.0])],
                  recorder=Recorder(state_neurons={"T": [0, 1]}), dt_ms=0.1)
    peer = simulate_nest(net, 40.0)  # NEST first: the reverse order segfaulted in ResetKernel once
    ours = simulate(net, 40.0)
    np.testing.assert_allclose(peer.spike_times_ms, ours.spike_times_ms)  # the step current acts at 2 ms in both
    at = np.searchsorted(ours.state_times_ms, peer.state_times_ms)  # NEST's multimeter starts one step later
    np.testing.assert_allclose(ours.state_times_ms[at], peer.state_times_ms)
    assert peer.v_mv.max() > -63.0  # the PSP arrived
    np.testing.assert_allclose(peer.v_mv, ours.v_mv[at], atol=0.01)
