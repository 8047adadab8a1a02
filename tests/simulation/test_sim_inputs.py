"""Inputs to chosen neurons and spike-time inputs: against NEST on the same neuron, and closed forms."""
import subprocess
import sys

import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.simulation import build, models
from neurodiscovery.simulation import network as nw


def _nest():
    from neurodiscovery.simulation.nest_backend import nest_available

    if not nest_available():
        pytest.skip("NEST not installed")
    from neurodiscovery.simulation.nest_backend import simulate_nest

    return simulate_nest


def _driven_net(dt=0.1):
    pop = nw.Population("A", 3, nw.LIFParams(tau_syn_ex_ms=2.0, tau_syn_in_ms=5.0, t_ref_ms=2.0, v_th_mv=-55.0))
    return nw.Network(populations=[pop], spike_inputs=[
        nw.SpikeInput("A", [[1.0, 5.0, 5.0, 7.3, 20.0], [3.0], [10.0, 10.1, 10.2, 10.3]], 600.0, delay_ms=1.0,
                      neurons=[0, 1, 2]),
        nw.SpikeInput("A", [4.0, 12.0], -300.0, neurons="1:3")],
        current_inputs=[nw.CurrentInput("A", "sine", amplitude_pa=200.0, frequency_hz=50.0, start_ms=2.0,
                                        stop_ms=40.0, neurons=[2])],
        recorder=nw.Recorder(state_neurons={"A": [0, 1, 2]}, state_interval_ms=dt), dt_ms=dt, seed=3)


def test_spike_times_and_sine_match_nest_iaf_psc_exp():
    """Explicit input spikes (several in one step, excitatory and inhibitory, delays) and a sine current on
    chosen neurons: membrane potential and synaptic currents equal NEST's iaf_psc_exp to float precision."""
    simulate_nest = _nest()
    net = _driven_net()
    a = build(net).run(50.0)
    b = simulate_nest(net, 50.0, n_threads=1)
    n = min(len(a.v_mv), len(b.v_mv))
    assert n >= 495
    np.testing.assert_allclose(a.state_times_ms[:n], b.state_times_ms[:n])
    assert np.abs(a.v_mv[:n] - b.v_mv[:n]).max() < 1e-9
    assert np.abs(a.i_ex_pa[:n] - b.i_ex_pa[:n]).max() < 1e-9
    assert np.abs(a.i_in_pa[:n] - b.i_in_pa[:n]).max() < 1e-9
    np.testing.assert_array_equal(a.spike_times_ms, b.spike_times_ms)
    assert a.spike_times_ms.size >= 1


def test_spike_input_psc_closed_form():
    """One input spike at t with delay d: the synaptic current jumps by w at t + d and decays with tau_syn."""
    pop = nw.Population("A", 1, nw.LIFParams(tau_syn_ex_ms=2.0, v_th_mv=1e3))
    net = nw.Network(populations=[pop], spike_inputs=[nw.SpikeInput("A", [5.0], 100.0, delay_ms=1.5)],
                     recorder=nw.Recorder(state_neurons={"A": [0]}, state_interval_ms=0.1), dt_ms=0.1)
    r = build(net).run(20.0)
    t, i = r.state_times_ms, r.i_ex_pa[:, 0]
    expect = np.where(t >= 6.5 - 1e-9, 100.0 * np.exp(-(t - 6.5) / 2.0), 0.0)
    np.testing.assert_allclose(i, expect, rtol=1e-6, atol=1e-9)


def test_targeted_current_and_poisson_reach_only_chosen_neurons():
    """A current to neurons [1, 3] and Poisson input to the slice 4:6 reach exactly those; the Poisson mean
    synaptic current is rate x weight x tau_syn (closed form, within sampling error)."""
    prm = nw.LIFParams(v_th_mv=1e6, tau_syn_ex_ms=5.0)
    rate, w = 20000.0, 10.0
    net = nw.Network(populations=[nw.Population("A", 8, prm)],
                     current_inputs=[nw.CurrentInput("A", "dc", amplitude_pa=100.0, neurons=[1, 3])],
                     poisson_inputs=[nw.PoissonInput("A", rate, w, neurons="4:6")],
                     recorder=nw.Recorder(state_neurons={"A": list(range(8))}, state_interval_ms=0.1), seed=5)
    r = build(net).run(1000.0)
    v = r.v_mv[-1]
    assert np.all(v[[1, 3]] > -64.0) and np.allclose(v[[0, 2, 6, 7]], -65.0)
    ie = r.i_ex_pa[2000:]
    assert np.all(ie[:, [0, 1, 2, 3, 6, 7]] == 0)
    expect = rate * w * 5.0e-3  # pA
    sem = w * np.sqrt(rate * 2.5e-3) / np.sqrt(0.8 / 0.01)  # sd of shot noise / sqrt(independent samples)
    assert np.all(np.abs(ie[:, [4, 5]].mean(0) - expect) < 5 * sem)


def test_random_fraction_is_seeded_and_reproducible():
    from neurodiscovery.simulation._build_inputs import current_targets

    pops = [nw.Population("A", 100)]
    def mk(s):
        return (nw.Network(populations=pops, current_inputs=[nw.CurrentInput("A", fraction=0.2, seed=s)]))
    a, b, c = (current_targets(mk(s))[0][0] for s in (1, 1, 2))
    assert a.size == 20 and np.array_equal(a, b) and not np.array_equal(a, c)


@pytest.mark.parametrize("kw,match", [
    (dict(spike_inputs=[nw.SpikeInput("A", [0.0], 1.0)]), "> 0"),
    (dict(spike_inputs=[nw.SpikeInput("A", [1.05], 1.0)]), "multiple of dt"),
    (dict(spike_inputs=[nw.SpikeInput("A", [[1.0], [2.0]], 1.0, neurons=[0])]), "2 lists for 1"),
    (dict(spike_inputs=[nw.SpikeInput("B", [1.0], 1.0)]), "unknown population 'B'"),
    (dict(current_inputs=[nw.CurrentInput("A", neurons=[7])]), "outside"),
    (dict(current_inputs=[nw.CurrentInput("A", neurons="3:1")]), "slice"),
    (dict(poisson_inputs=[nw.PoissonInput("A", 1.0, 1.0, neurons=[0], fraction=0.5)]), "not both"),
])
def test_bad_inputs_refused(kw, match):
    with pytest.raises(InputError, match=match):
        nw.Network(populations=[nw.Population("A", 4)], **kw).validate()


def test_spike_times_after_the_run_refused():
    from neurodiscovery.simulation import simulate

    net = nw.Network(populations=[nw.Population("A", 2)], spike_inputs=[nw.SpikeInput("A", [1.0, 30.0], 5.0)])
    with pytest.raises(InputError, match="30.0 ms lies outside the run"):
        simulate(net, 20.0)
    assert simulate(net, 30.0).t_stop_ms == 30.0


def test_off_grid_refractory_period_refused():
    with pytest.raises(InputError, match="t_ref_ms = 2.05 ms is not a multiple"):
        nw.Network(populations=[nw.Population("A", 1, nw.LIFParams(t_ref_ms=2.05))], dt_ms=0.1).validate()


def test_import_nest_before_native_run_does_not_crash():
    """Two OpenMP runtimes (NEST's and numba's) in one process crashed nest.ResetKernel; run in a subprocess."""
    _nest()
    code = ("import nest\nfrom neurodiscovery.simulation import models, build\n"
            "from neurodiscovery.simulation.nest_backend import simulate_nest\n"
            "net = models.cuba(n_neurons=400, seed=1)\nbuild(net).run(20.0)\nsimulate_nest(net, 20.0)\nprint('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-500:]


def test_nest_too_many_connections_refused_up_front():
    from neurodiscovery.simulation.nest_backend import check_nest_size

    net = models.make_model("microcircuit", scale=1.0, seed=1)
    with pytest.raises(InputError, match=r"at least 3 threads"):
        check_nest_size(net, 2)
    check_nest_size(net, 3)
