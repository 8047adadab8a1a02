"""Conductance-based neurons (iaf_cond_exp): against NEST's model on the same inputs and against scipy's solve_ivp."""
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from neurodiscovery._utils.errors import InputError
from neurodiscovery.simulation import build
from neurodiscovery.simulation import network as nw

DT = 0.1


def _driven(dt=DT):
    pop = nw.Population("A", 3, nw.CondExpParams(tau_syn_ex_ms=0.5, tau_syn_in_ms=3.0), model="iaf_cond_exp")
    return nw.Network(populations=[pop], spike_inputs=[
        nw.SpikeInput("A", [[1.0, 5.0, 5.0, 7.3, 8.0, 8.2, 8.4, 20.0, 21.0, 21.5, 22.0], [3.0],
                            [10.0, 10.1, 10.2, 10.3]], 30.0, delay_ms=1.0, neurons=[0, 1, 2]),
        nw.SpikeInput("A", [4.0, 12.0, 25.0], -20.0, neurons="1:3")],
        current_inputs=[nw.CurrentInput("A", "sine", amplitude_pa=300.0, frequency_hz=50.0, start_ms=2.0,
                                        stop_ms=40.0, neurons=[2])],
        recorder=nw.Recorder(state_neurons={"A": [0, 1, 2]}, state_interval_ms=dt), dt_ms=dt, seed=3)


def test_cond_exp_matches_nest_iaf_cond_exp():
    """Input spikes (several in one step, excitatory and inhibitory), a sine current, threshold crossings and
    refractoriness: V_m, g_ex, g_in equal NEST's iaf_cond_exp to rounding, spike times identical."""
    from neurodiscovery.simulation.nest_backend import nest_available, simulate_nest

    if not nest_available():
        pytest.skip("NEST not installed")
    net = _driven()
    a = build(net).run(50.0)
    b = simulate_nest(net, 50.0, n_threads=1)
    n = min(len(a.v_mv), len(b.v_mv))
    assert n >= 495
    for k in ("v_mv", "g_ex_ns", "g_in_ns", "i_ex_pa", "i_in_pa"):
        assert np.abs(getattr(a, k)[:n] - getattr(b, k)[:n]).max() < 1e-9, k
    np.testing.assert_array_equal(a.spike_times_ms, b.spike_times_ms)
    np.testing.assert_array_equal(a.spike_senders, b.spike_senders)
    assert a.spike_times_ms.size >= 2


def _reference(p, jumps, t_eval, t_stop):
    """High-accuracy solution (DOP853, tolerances 1e-13) of the subthreshold equations with the conductances
    jumping at the given times; the sample at a jump time is taken after the jump (as the recorder does)."""
    def f(_t, y):
        v, ge, gi = y
        return [(-p.g_l_ns * (v - p.e_l_mv) - ge * (v - p.e_ex_mv) - gi * (v - p.e_in_mv) + p.i_e_pa) / p.c_m_pf,
                -ge / p.tau_syn_ex_ms, -gi / p.tau_syn_in_ms]

    y, t0, out = np.array([p.e_l_mv, 0.0, 0.0]), 0.0, []
    for tb in sorted(jumps) + [t_stop]:
        te = t_eval[(t_eval > t0 + 1e-9) & (t_eval <= tb + 1e-9)]
        te = te if te.size and abs(te[-1] - tb) < 1e-9 else np.append(te, tb)
        Y = solve_ivp(f, (t0, tb), y, method="DOP853", rtol=1e-13, atol=1e-13, t_eval=te).y.T.copy()
        y = Y[-1].copy()
        if tb in jumps:
            y[1:] += jumps[tb]
            Y[-1] = y
        out.append(Y[np.isin(np.round(te, 6), np.round(t_eval, 6))])
        t0 = tb
    return np.concatenate(out)


@pytest.mark.parametrize("tol, bound_mv", [(1e-3, 5e-6), (1e-9, 1e-9)])
def test_cond_exp_converges_to_solve_ivp(tol, bound_mv):
    """Subthreshold trace with excitatory and inhibitory conductance jumps and a constant current: with NEST's
    tolerance (1e-3 mV per step) within 5e-6 mV of the exact solution (measured 7e-7), with 1e-9 within 1e-9 mV."""
    prm = nw.CondExpParams(tau_syn_ex_ms=0.5, tau_syn_in_ms=3.0, v_th_mv=1e3, error_tol_mv=tol, i_e_pa=100.0)
    net = nw.Network(populations=[nw.Population("A", 1, prm, model="iaf_cond_exp")], spike_inputs=[
        nw.SpikeInput("A", [1.0, 5.0, 5.0, 7.3, 8.0, 20.0], 30.0, delay_ms=1.0),
        nw.SpikeInput("A", [4.0, 12.0], -20.0, delay_ms=1.0)],
        recorder=nw.Recorder(state_neurons={"A": [0]}, state_interval_ms=DT), dt_ms=DT)
    r = build(net).run(40.0)
    # arrivals one delay after the input spikes; negative weights add |w| to g_in
    jumps = {2.0: (30, 0), 6.0: (60, 0), 8.3: (30, 0), 9.0: (30, 0), 21.0: (30, 0), 5.0: (0, 20), 13.0: (0, 20)}
    ref = _reference(prm, {k: np.array(v, float) for k, v in jumps.items()}, r.state_times_ms, 40.0)
    assert ref.shape == (400, 3)
    assert np.abs(r.v_mv[:, 0] - ref[:, 0]).max() < bound_mv
    assert np.abs(r.g_ex_ns[:, 0] - ref[:, 1]).max() < 1e3 * bound_mv
    assert np.abs(r.g_in_ns[:, 0] - ref[:, 2]).max() < 1e3 * bound_mv
    assert r.v_mv.max() > -60.0  # the inputs moved the membrane


def test_cond_exp_model_choice_checked():
    with pytest.raises(InputError, match="unknown model 'hh'"):
        nw.Population("A", 1, model="hh")
    with pytest.raises(InputError, match="takes CondExpParams"):
        nw.Population("A", 1, nw.LIFParams(), model="iaf_cond_exp")
    with pytest.raises(InputError, match="unknown parameter name"):
        nw.Network.from_dict({"populations": [{"name": "A", "n": 1, "model": "iaf_cond_exp",
                                               "params": {"tau_m_ms": 10.0}}]})
    with pytest.raises(InputError, match="error_tol_mv must be > 0"):
        nw.Network(populations=[nw.Population("A", 1, nw.CondExpParams(error_tol_mv=0.0), model="iaf_cond_exp")]
                   ).validate()
    p = nw.Population("A", 2, {"g_l_ns": 10.0}, model="iaf_cond_exp")
    assert isinstance(p.params, nw.CondExpParams) and p.params.g_l_ns == 10.0


def test_mixed_current_and_conductance_populations_match_nest():
    """A current-based and a conductance-based population in one network (the conductance one driven by the
    other through a projection in nS): both traces equal NEST's, states in the recorder's order."""
    from neurodiscovery.simulation.nest_backend import nest_available, simulate_nest

    if not nest_available():
        pytest.skip("NEST not installed")
    lif = nw.Population("P", 2, nw.LIFParams(tau_syn_ex_ms=2.0, i_e_pa=380.0, v_th_mv=-55.0))
    cond = nw.Population("C", 2, nw.CondExpParams(), model="iaf_cond_exp")
    net = nw.Network(populations=[lif, cond], projections=[nw.Projection(
        "P", "C", nw.Connectivity("explicit", sources=[0, 1, 1], targets=[0, 0, 1], delays_ms=[1.0, 2.0, 1.5]),
        weight=nw.Distribution("constant", 8.0))],
        recorder=nw.Recorder(state_neurons={"C": [1, 0], "P": [0]}, state_interval_ms=DT), dt_ms=DT, seed=1)
    a, b = build(net).run(60.0), simulate_nest(net, 60.0, n_threads=1)
    n = min(len(a.v_mv), len(b.v_mv))
    np.testing.assert_array_equal(a.state_neurons, b.state_neurons)
    for k in ("v_mv", "i_ex_pa", "i_in_pa"):
        assert np.abs(getattr(a, k)[:n] - getattr(b, k)[:n]).max() < 1e-9, k
    assert np.isnan(a.g_ex_ns[:, 2]).all() and np.isnan(b.g_ex_ns[:, 2]).all()  # P[0] is current-based
    assert np.abs(a.g_ex_ns[:n, :2] - b.g_ex_ns[:n, :2]).max() < 1e-9 and a.g_ex_ns[:, :2].max() > 7.0
    np.testing.assert_allclose(a.spike_times_ms, b.spike_times_ms, atol=1e-9)
    assert a.spikes_of("P")[0].size >= 2
