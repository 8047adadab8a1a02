"""STDP and Tsodyks–Markram STP against NEST's stdp_synapse and tsodyks_synapse on the same spikes."""
import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.simulation.plasticity import stdp_weights, tsodyks_amplitudes

DT = 0.1


def _nest_weights(pre_gen, post_gen, model, params, post_params=None):
    """Weights NEST's ``model`` transmits for the given spikes (parrot neurons, weight_recorder);
    returns the parrots' spike times (generator time + one step) and the recorded weights."""
    from neurodiscovery.simulation.nest_backend import nest_available

    if not nest_available():
        pytest.skip("NEST not installed")
    import nest

    nest.ResetKernel()
    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.resolution = DT
    pre, post = nest.Create("parrot_neuron"), nest.Create("parrot_neuron")
    if post_params:
        post.set(post_params)
    for times, parrot in ((pre_gen, pre), (post_gen, post)):
        g = nest.Create("spike_generator", params={"spike_times": [float(t) for t in times]})
        nest.Connect(g, parrot, syn_spec={"delay": DT})
    wr = nest.Create("weight_recorder")
    nest.CopyModel(model, "rec_" + model, {"weight_recorder": wr})
    # receptor 1 of a parrot ignores the spikes, so the synapse sees exactly the given post spikes
    nest.Connect(pre, post, syn_spec={"synapse_model": "rec_" + model, "receptor_type": 1, **params})
    nest.Simulate(float(max(list(pre_gen) + list(post_gen))) + 20.0)
    ev = wr.get("events")
    return np.asarray(pre_gen) + DT, np.asarray(post_gen) + DT, np.asarray(ev["weights"], float)


def _trains(seed):
    rng = np.random.default_rng(seed)
    pre = np.round(np.sort(rng.choice(np.arange(1, 3000), 40, replace=False)) * DT, 1)
    post = np.round(np.sort(rng.choice(np.arange(1, 3000), 40, replace=False)) * DT, 1)
    return pre, post


@pytest.mark.parametrize("mu", [0.0, 1.0])
def test_stdp_matches_nest_stdp_synapse(mu):
    """Additive (mu = 0) and multiplicative (mu = 1) pair-based STDP: every transmitted weight equals NEST's."""
    pre_g, post_g = _trains(1)
    prm = {"weight": 50.0, "delay": 1.5, "tau_plus": 15.0, "lambda": 0.05, "alpha": 1.1, "mu_plus": mu,
           "mu_minus": mu, "Wmax": 100.0}
    pre, post, w_nest = _nest_weights(pre_g, post_g, "stdp_synapse", prm, {"tau_minus": 25.0})
    w = stdp_weights(pre, post, 50.0, delay_ms=1.5, tau_plus_ms=15.0, tau_minus_ms=25.0, lambda_=0.05, alpha=1.1,
                     mu_plus=mu, mu_minus=mu, w_max=100.0)
    assert w_nest.size == pre.size
    np.testing.assert_allclose(w, w_nest, rtol=1e-12, atol=1e-12)
    assert np.ptp(w) > 1.0  # the weights did change


def test_stdp_pair_closed_form():
    """Pre spike at 10 ms, post spike at 21 ms, delay 1 ms, then a later pre spike: additive potentiation
    lambda exp(-(21 + 1 - 10) / tau+) (NEST's convention: the post spike is seen at the synapse one dendritic
    delay later), applied at the next presynaptic spike."""
    w = stdp_weights([10.0, 100.0], [21.0], 50.0, delay_ms=1.0, tau_plus_ms=20.0, lambda_=0.01, alpha=0.0,
                     mu_plus=0.0, mu_minus=0.0, w_max=100.0)
    assert w[0] == 50.0
    np.testing.assert_allclose(w[1], 100.0 * (0.5 + 0.01 * np.exp(-12.0 / 20.0)), rtol=1e-12)


@pytest.mark.parametrize("tau_fac", [0.0, 200.0])
def test_tsodyks_matches_nest_tsodyks_synapse(tau_fac):
    """Depressing (tau_fac = 0) and facilitating Tsodyks–Markram synapses: every PSC amplitude equals NEST's."""
    pre_g, _ = _trains(2)
    prm = {"weight": 250.0, "delay": 1.0, "U": 0.3, "tau_psc": 3.0, "tau_rec": 400.0, "tau_fac": tau_fac,
           "u": 0.3, "x": 1.0, "y": 0.0}
    pre, _, a_nest = _nest_weights(pre_g, [1.0], "tsodyks_synapse", prm)
    a = tsodyks_amplitudes(pre, 250.0, U=0.3, tau_psc_ms=3.0, tau_rec_ms=400.0, tau_fac_ms=tau_fac, u0=0.3)
    np.testing.assert_allclose(a, a_nest, rtol=1e-12, atol=1e-12)
    assert a[1] < a[0] if tau_fac == 0 else True


def test_tsodyks_steady_state_closed_form():
    """Regular spikes at interval T, no facilitation: the amplitude converges to
    U (1 - e^{-T/tau_rec}) / (1 - (1 - U) e^{-T/tau_rec}) (Tsodyks & Markram 1997; two-state limit,
    exact up to O(tau_psc / tau_rec) because resources pass through the active state first)."""
    T, U, tr = 20.0, 0.4, 500.0
    a = tsodyks_amplitudes(np.arange(1, 400) * T, 1.0, U=U, tau_psc_ms=2.0, tau_rec_ms=tr)
    e = np.exp(-T / tr)
    np.testing.assert_allclose(a[-1], U * (1 - e) / (1 - (1 - U) * e), rtol=2 * 2.0 / tr)


def test_plasticity_bad_input():
    with pytest.raises(InputError, match="sorted"):
        stdp_weights([5.0, 1.0], [], 1.0)
    with pytest.raises(InputError, match="w0"):
        stdp_weights([1.0], [], 200.0)
    with pytest.raises(InputError, match="U must"):
        tsodyks_amplitudes([1.0], 1.0, U=0.0)
