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


# ---------------------------------------------------------------- plasticity inside a network simulation
def _plastic_net(mu=1.0, n_a=20, n_b=8, seed=0):
    """A (driven by explicit input spikes) -> B through STDP and A -> C through Tsodyks–Markram synapses,
    all-to-all with delays 1-3 ms; B and C fire from a constant current plus the plastic input."""
    from neurodiscovery.simulation import network as nw

    rng = np.random.default_rng(seed)
    lif = dict(tau_syn_ex_ms=2.0, tau_syn_in_ms=2.0, v_th_mv=-55.0, e_l_mv=-70.0, v_reset_mv=-70.0, t_ref_ms=2.0)
    pops = [nw.Population(nm, n, nw.LIFParams(i_e_pa=ie, **lif), nw.VInit("uniform", -70.0, -56.0), "excitatory")
            for nm, n, ie in (("A", n_a, 0.0), ("B", n_b, 300.0), ("C", n_b, 300.0))]
    src, tgt = (a.ravel().tolist() for a in np.meshgrid(np.arange(n_a), np.arange(n_b), indexing="ij"))
    conn = nw.Connectivity("explicit", sources=src, targets=tgt,
                           delays_ms=(rng.integers(10, 30, len(src)) * DT).round(1).tolist())
    stdp = nw.Projection("A", "B", conn, weight=nw.Distribution("constant", 40.0), synapse={
        "model": "stdp_synapse", "lambda_": 0.05, "alpha": 1.1, "mu_plus": mu, "mu_minus": mu, "w_max": 100.0,
        "tau_plus_ms": 15.0, "tau_minus_ms": 25.0})
    tso = nw.Projection("A", "C", conn, weight=nw.Distribution("constant", 150.0), synapse={
        "model": "tsodyks_synapse", "U": 0.3, "tau_psc_ms": 2.0, "tau_rec_ms": 300.0, "tau_fac_ms": 100.0})
    times = [np.round(np.sort(rng.choice(np.arange(1, 3000), 25, replace=False)) * DT, 1).tolist()
             for _ in range(n_a)]
    return nw.Network(populations=pops, projections=[stdp, tso], dt_ms=DT, seed=1,
                      spike_inputs=[nw.SpikeInput("A", times, 3000.0, delay_ms=1.0, neurons=list(range(n_a)))],
                      recorder=nw.Recorder(state_neurons={"C": [0]}, state_interval_ms=DT))


@pytest.mark.parametrize("mu", [0.0, 1.0])
def test_network_stdp_and_tsodyks_match_nest(mu):
    """During a network run (three consecutive runs of 100 ms), STDP weights and Tsodyks states equal NEST's
    stdp_synapse / tsodyks_synapse to 1e-10, and every spike is the same. NEST sends a spike's weight update
    one min-delay batch later, so synapses whose source fired in the last 2 ms of a run are compared later."""
    from neurodiscovery.simulation import build
    from neurodiscovery.simulation.nest_backend import NestNetwork, nest_available

    if not nest_available():
        pytest.skip("NEST not installed")
    net = _plastic_net(mu)
    a, b = build(net), NestNetwork(net, 300.0, n_threads=1)
    for _ in range(3):
        ra, rb = a.run(100.0), b.run(100.0)
        np.testing.assert_allclose(ra.spike_times_ms, rb.spike_times_ms, atol=1e-9)
        np.testing.assert_array_equal(ra.spike_senders, rb.spike_senders)
        settled = ~np.isin(np.arange(20), ra.spike_senders[ra.spike_times_ms > ra.t_stop_ms - 2.0])
        for proj, keys in ((("A", "B"), ["weights"]), (("A", "C"), ["u", "x", "y"])):
            sa, sb = a.synapse_state(*proj), b.synapse_state(*proj)
            np.testing.assert_array_equal(sa["sources"], sb["sources"])
            np.testing.assert_array_equal(sa["targets"], sb["targets"])
            ok = settled[sa["sources"]]
            assert ok.sum() > 100
            for k in keys:
                np.testing.assert_allclose(sa[k][ok], sb[k][ok], rtol=0, atol=1e-10)
    assert np.ptp(a.synapse_state("A", "B")["weights"]) > 5.0  # STDP moved the weights


def test_network_plasticity_equals_given_spike_rules():
    """Without NEST: each synapse's weight after a network run equals stdp_weights on that synapse's recorded
    pre/post spikes, and the Tsodyks input current of a C neuron equals the sum of tsodyks_amplitudes PSCs."""
    from neurodiscovery.simulation import build

    net = _plastic_net(0.0)
    nn = build(net)
    res = nn.run(300.0)
    t_a, i_a = res.spikes_of("A")
    t_b, i_b = res.spikes_of("B")
    st = nn.synapse_state("A", "B")
    conn = net.projections[0].connectivity
    delay = {(s, t): d for s, t, d in zip(conn.sources, conn.targets, conn.delays_ms)}
    for s, t, w in zip(st["sources"], st["targets"], st["weights"]):
        pre, post = t_a[i_a == s], t_b[i_b == t]
        expect = stdp_weights(pre, post, 40.0, delay_ms=delay[(s, t)], tau_plus_ms=15.0, tau_minus_ms=25.0,
                              lambda_=0.05, alpha=1.1, mu_plus=0.0, mu_minus=0.0, w_max=100.0)
        assert abs(w - (expect[-1] if pre.size else 40.0)) < 1e-10
    assert np.ptp(st["weights"]) > 5.0
    # Tsodyks: the excitatory current of C[0] jumps by the amplitudes of its synapses one delay after each spike
    t = res.state_times_ms
    cur = np.zeros_like(t)
    for s in range(20):
        amp = tsodyks_amplitudes(t_a[i_a == s], 150.0, U=0.3, tau_psc_ms=2.0, tau_rec_ms=300.0, tau_fac_ms=100.0)
        for ts, am in zip(t_a[i_a == s] + delay[(s, 0)], amp):
            cur += np.where(t >= ts - 1e-9, am * np.exp(-(t - ts) / 2.0), 0.0)
    assert cur.max() > 100.0
    np.testing.assert_allclose(res.i_ex_pa[:, 0], cur, rtol=1e-5, atol=1e-3)


def test_plastic_projection_checks():
    from neurodiscovery.simulation import build
    from neurodiscovery.simulation import network as nw

    net = _plastic_net()
    net.projections[0].weight = nw.Distribution("constant", -5.0)
    net.populations[0].sign = None
    with pytest.raises(InputError, match="STDP weights must be >= 0"):
        net.validate()
    with pytest.raises(InputError, match="unknown synapse model"):
        nw.Projection("A", "B", synapse={"model": "hebb"}).synapse.validate("p", nw.Distribution())
    net = _plastic_net()
    net.projections.append(nw.Projection("A", "B", nw.Connectivity("pairwise_bernoulli", p=0.1),
                                         weight=nw.Distribution("constant", 1.0)))
    with pytest.raises(InputError, match="not the only projection"):
        net.validate()
    nn = build(_plastic_net())
    with pytest.raises(InputError, match="is plastic"):
        nn.scale_weights("A", "B", 0.5)
    with pytest.raises(InputError, match="no plastic projection"):
        nn.synapse_state("B", "A")


def test_protocol_refuses_scaling_a_plastic_projection():
    from neurodiscovery.simulation.protocol import Protocol

    prot = Protocol(interventions=[{"name": "drug", "kind": "scale_weights", "projection": "A->*", "factor": 0.5}])
    with pytest.raises(InputError, match="are plastic"):
        prot.validate(_plastic_net(), 300.0)
