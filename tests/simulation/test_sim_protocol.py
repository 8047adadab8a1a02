"""Protocols: interventions equal the edited network they stand for, in both backends; bad protocols refused."""
import dataclasses
import json

import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.simulation import build, models
from neurodiscovery.simulation.experiment import run_condition, run_protocol
from neurodiscovery.simulation.protocol import Intervention, Protocol


def _small(seed=1):
    return models.cuba(n_neurons=600, indegree=80.0, seed=seed)


def _halved_inhibition(net, f=0.5):
    net = dataclasses.replace(net, projections=[dataclasses.replace(p) for p in net.projections])
    for p in net.projections:
        if p.source == "I":
            p.weight = dataclasses.replace(p.weight, a=p.weight.a * f)
    return net


def test_scale_weights_equals_the_edited_network_spike_for_spike():
    """Scaling I->* by 0.5 in the built network gives exactly the spikes of a network built with halved
    inhibitory weights (same connectivity, same noise), and raises the excitatory rate."""
    net = _small()
    iv = Intervention("gaba", "scale_weights", projection="I->*", factor=0.5)
    a = run_condition(net, iv, 300.0)
    b = build(_halved_inhibition(net)).run(300.0)
    np.testing.assert_array_equal(a.spike_times_ms, b.spike_times_ms)
    np.testing.assert_array_equal(a.spike_senders, b.spike_senders)
    c = build(net).run(300.0)
    assert a.spike_times_ms.size > 1.3 * c.spike_times_ms.size


def test_windowed_intervention_segments_equal_an_unsegmented_run():
    """An intervention with factor 1 in a window cuts the run into segments but changes nothing."""
    net = _small()
    iv = Intervention("noop", "scale_weights", projection="E->I", factor=1.0, windows_ms=[[50.0, 120.0]])
    a = run_condition(net, iv, 200.0)
    b = build(net).run(200.0)
    np.testing.assert_array_equal(a.spike_times_ms, b.spike_times_ms)


def test_silence_and_lesion():
    net = _small()
    sil = Intervention("s", "silence", population="I", windows_ms=[[100.0, 200.0]])
    r = run_condition(net, sil, 300.0)
    t, _ = r.spikes_of("I")
    assert not np.any((t > 100.0) & (t <= 200.0)) and np.any(t > 200.0)
    les = run_condition(net, Intervention("l", "lesion", population="I"), 200.0)
    assert les.spikes_of("I")[0].size == 0
    cut = run_condition(net, Intervention("c", "lesion", projection="I->E"), 200.0)
    zero = run_condition(net, Intervention("z", "scale_weights", projection="I->E", factor=0.0), 200.0)
    np.testing.assert_array_equal(cut.spike_times_ms, zero.spike_times_ms)


def test_stimulate_drives_only_chosen_neurons_in_its_window():
    net = models.cuba(n_neurons=600, indegree=1.0, seed=1)  # almost unconnected
    iv = Intervention("opto", "stimulate", population="E", neurons=[0, 1, 2], amplitude_pa=2000.0,
                      period_ms=20.0, width_ms=5.0, windows_ms=[[100.0, 200.0]])
    r = run_condition(net, iv, 300.0)
    c = run_condition(net, None, 300.0)
    before_r, before_c = r.spike_times_ms <= 100.0, c.spike_times_ms <= 100.0
    np.testing.assert_array_equal(r.spike_senders[before_r], c.spike_senders[before_c])
    def win(x):
        return ((x.spike_times_ms > 100.0) & (x.spike_times_ms <= 200.0) & (x.spike_senders < 3))
    assert win(r).sum() > win(c).sum() + 5


def test_protocol_effects_have_intervals_over_trials():
    p = Protocol(interventions=[{"name": "gaba", "kind": "scale_weights", "projection": "I->*", "factor": 0.5}],
                 trials=2, record={"E": [0]})
    res = run_protocol(_small(), p, 300.0, transient_ms=50.0)
    e = res.effects()["gaba"]["E"]
    assert e["intervention"].value > e["control"].value
    assert e["control"].unit == "Hz" and e["control"].interval is not None
    assert res.control[0].v_mv.shape[1] == 1
    assert res.seeds == [1, 2]


def test_nest_protocol_scale_and_silence_match_edited_network():
    from neurodiscovery.simulation.nest_backend import nest_available, simulate_nest

    if not nest_available():
        pytest.skip("NEST not installed")
    net = models.cuba(n_neurons=300, seed=2)
    iv = Intervention("gaba", "scale_weights", projection="I->*", factor=0.5)
    a = run_condition(net, iv, 100.0, backend="nest", n_threads=1)
    b = simulate_nest(_halved_inhibition(net), 100.0, n_threads=1)
    np.testing.assert_array_equal(a.spike_times_ms, b.spike_times_ms)
    r = run_condition(net, Intervention("s", "silence", population="I", windows_ms=[[20.0, 60.0]]), 100.0,
                      backend="nest", n_threads=1)
    t, _ = r.spikes_of("I")
    assert not np.any((t > 20.0) & (t <= 60.0))


@pytest.mark.parametrize("iv,match", [
    ({"name": "x", "kind": "silence", "population": "Q"}, "unknown population 'Q'"),
    ({"name": "x", "kind": "scale_weights", "projection": "E->Q", "factor": 0.5}, "unknown projection"),
    ({"name": "x", "kind": "scale_weights", "projection": "I->E", "factor": -1}, "factor >= 0"),
    ({"name": "x", "kind": "silence", "population": "I", "windows_ms": [[10, 50], [40, 60]]}, "overlap"),
    ({"name": "x", "kind": "silence", "population": "I", "windows_ms": [[-10, 50]]}, ">= 0"),
    ({"name": "x", "kind": "silence", "population": "I", "windows_ms": [[10, 500]]}, "after the run"),
    ({"name": "x", "kind": "drug", "population": "I"}, "kind must be"),
    ({"name": "x", "kind": "stimulate", "population": "E", "neurons": [10**6]}, "outside"),
])
def test_bad_protocols_refused(iv, match):
    with pytest.raises(InputError, match=match):
        Protocol(interventions=[iv]).validate(_small(), 200.0)


def test_protocol_without_control_or_interventions_refused():
    with pytest.raises(InputError, match="control"):
        Protocol(interventions=[{"name": "x", "kind": "lesion", "population": "I"}], control=False).validate(
            _small(), 200.0)
    with pytest.raises(InputError, match="no interventions"):
        Protocol().validate(_small(), 200.0)
    with pytest.raises(InputError, match="unknown parameter"):
        Protocol(interventions=[{"name": "x", "kind": "lesion", "population": "I", "strength": 2}])


def test_cli_protocol_writes_metrics_and_refuses_bad_input(tmp_path, capsys):
    from neurodiscovery.cli import main

    prot = tmp_path / "p.json"
    prot.write_text(json.dumps({"trials": 2, "interventions": [
        {"name": "gaba", "kind": "scale_weights", "projection": "I->*", "factor": 0.5}]}))
    out = tmp_path / "run"
    assert main(["simulate", "cuba", "--scale", "0.15", "--duration", "0.3", "--protocol", str(prot),
                 "--record-vm", "1", "--out", str(out), "--no-progress"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    e = m["interventions"][0]["rate_hz"]["E"]
    assert e["control"]["unit"] == "Hz" and e["intervention"]["value"] > e["control"]["value"]
    assert (out / "figures" / "rates_over_time.png").exists() and (out / "figures" / "membrane_control.png").exists()
    capsys.readouterr()
    for bad in ({"interventions": [{"name": "x", "kind": "silence", "population": "Q"}]},
                {"control": False, "interventions": [{"name": "x", "kind": "lesion", "population": "I"}]}):
        prot.write_text(json.dumps(bad))
        assert main(["simulate", "cuba", "--scale", "0.15", "--duration", "0.3", "--protocol", str(prot),
                     "--out", str(tmp_path / "bad"), "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
        assert not (tmp_path / "bad").exists()
