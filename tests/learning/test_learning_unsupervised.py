"""Oja -> first principal component, BCM selectivity, STDP exponential window."""
import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.learning import (
    BCM,
    OjaPCA,
    STDPParams,
    fit_stdp_window,
    stdp_weight_change,
    stdp_window,
)


def _gaussian(rng, variances, n=2000):
    d = len(variances)
    rot = np.linalg.qr(rng.normal(size=(d, d)))[0]
    cov = rot @ np.diag(variances) @ rot.T
    return rng.multivariate_normal(np.arange(d, dtype=float), cov, n), rot


def test_oja_converges_to_first_pc(rng):
    X, rot = _gaussian(rng, [4.0, 2.0, 1.0, 0.5, 0.25, 0.1])
    w = OjaPCA(n_components=1, learning_rate=0.05, seed=3).fit(X).components_[0]
    pc1 = np.linalg.eigh(np.cov(X.T))[1][:, -1]
    assert abs(w @ pc1) / np.linalg.norm(w) >= 0.99
    assert np.linalg.norm(w) == pytest.approx(1.0, abs=0.01)
    # the population PC too (planted), not just the sample one
    assert abs(w @ rot[:, 0]) >= 0.99


def test_sanger_recovers_leading_subspace(rng):
    X, _ = _gaussian(rng, [6.0, 3.0, 1.0, 0.3])
    m = OjaPCA(n_components=2, learning_rate=0.05, n_epochs=60, seed=1).fit(X)
    evecs = np.linalg.eigh(np.cov(X.T))[1][:, ::-1][:, :2]
    np.testing.assert_allclose(np.abs(m.components_ @ evecs), np.eye(2), atol=0.05)
    assert m.transform(X).shape == (len(X), 2)


def test_bcm_becomes_selective(rng):
    patterns = rng.uniform(0, 1, (4, 20))
    # equal norms, so which pattern a neuron picks depends on its start, not on the loudest input
    patterns *= (np.linalg.norm(patterns, axis=1).mean() / np.linalg.norm(patterns, axis=1))[:, None]
    m = BCM(n_neurons=8, n_steps=15000, seed=0).fit(patterns)
    # an unselective neuron scores ~0, a perfectly selective one 1 - 1/4
    assert np.all(m.selectivity_ > 0.7)
    top = np.sort(m.responses_, axis=1)
    assert np.all(top[:, -2] < 0.1 * top[:, -1])  # second-best pattern nearly silent
    initial = BCM(n_neurons=8, n_steps=1, seed=0).fit(patterns)
    assert np.all(initial.selectivity_ < 0.3)
    assert len(np.unique(m.responses_.argmax(1))) >= 2  # neurons pick different patterns


def test_bcm_rejects_negative_rates():
    with pytest.raises(InputError, match="non-negative"):
        BCM().fit(-np.ones((3, 4)))


def test_stdp_window_time_constants():
    p = STDPParams(a_plus=0.01, a_minus=0.012, tau_plus_ms=16.8, tau_minus_ms=33.7)
    d = np.concatenate([-np.arange(1.0, 100.0, 3.0), np.arange(1.0, 100.0, 3.0)])
    dw = stdp_window(d, p, dt_ms=0.1)
    assert np.all(dw[d > 0] > 0) and np.all(dw[d < 0] < 0)
    fit = fit_stdp_window(d, dw)
    assert fit.tau_plus_ms == pytest.approx(16.8, rel=0.1)
    assert fit.tau_minus_ms == pytest.approx(33.7, rel=0.1)
    assert fit.a_plus == pytest.approx(0.01, rel=0.1)
    assert fit.a_minus == pytest.approx(0.012, rel=0.1)


def test_stdp_window_from_noisy_poisson_trains(rng):
    """Window read off many random spike trains (all-to-all pairing) by regression."""
    p = STDPParams(a_plus=0.005, a_minus=0.005, tau_plus_ms=20.0, tau_minus_ms=40.0)
    dt, n_t, n_syn = 1.0, 1000, 300
    pre = rng.random((n_t, n_syn)) < 0.005
    post = rng.random((n_t, n_syn)) < 0.005
    dw = stdp_weight_change(pre, post, dt, p)
    # closed form for all-to-all pairs: sum over pairs of the window
    ti = [np.flatnonzero(pre[:, j]) for j in range(n_syn)]
    to = [np.flatnonzero(post[:, j]) for j in range(n_syn)]
    expect = np.array([sum(p.a_plus * np.exp(-(b - a) * dt / p.tau_plus_ms) if b > a else
                           (-p.a_minus * np.exp((b - a) * dt / p.tau_minus_ms) if b < a else 0.0)
                           for a in i for b in o) for i, o in zip(ti, to)])
    np.testing.assert_allclose(dw, expect, atol=1e-12)


def test_stdp_bounds_and_shapes():
    pre = np.zeros((50, 3), bool)
    post = np.zeros((50, 3), bool)
    pre[10], post[12] = True, True
    w = stdp_weight_change(pre, post, 1.0, STDPParams(a_plus=0.5), w_init=0.9, w_max=1.0)
    np.testing.assert_allclose(w, 1.0)
    with pytest.raises(InputError, match="same shape"):
        stdp_weight_change(pre, post[:, :2], 1.0)
    with pytest.raises(InputError, match="tau_plus_ms"):
        STDPParams(tau_plus_ms=0)


def test_oja_converges_on_digits_by_default_and_warns_when_it_does_not():
    import warnings

    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA
    from sklearn.exceptions import ConvergenceWarning

    X = load_digits().data
    pc = PCA(1).fit(X).components_[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = OjaPCA(n_components=1, seed=0).fit(X)
    w = m.components_[0]
    assert abs(w @ pc) / np.linalg.norm(w) > 0.999 and m.converged_
    with pytest.warns(ConvergenceWarning, match="n_epochs"):
        slow = OjaPCA(n_components=1, learning_rate=0.01, seed=0).fit(X)  # the former default: |cos| 0.83
    assert not slow.converged_ and abs(slow.components_[0] @ pc) / np.linalg.norm(slow.components_[0]) < 0.95


def test_bcm_at_firing_rate_scale_inputs():
    rng = np.random.default_rng(0)
    patterns = np.eye(5) * 0.9 + 0.1 * rng.uniform(0, 1, (5, 5))
    unit = BCM(n_neurons=10, seed=0).fit(patterns)
    hz = BCM(n_neurons=10, seed=0).fit(10.0 * patterns)  # the same patterns as rates in Hz
    assert hz.n_silent_ == 0 and hz.selectivity_.min() > 0.7
    np.testing.assert_allclose(hz.selectivity_, unit.selectivity_, atol=1e-9)  # scale-free
    np.testing.assert_allclose(hz.responses_, unit.responses_, rtol=1e-9)  # learned on the same normalised rates
    with pytest.warns(RuntimeWarning, match="silenced"):
        raw = BCM(n_neurons=10, seed=0, scale_inputs=False).fit(10.0 * patterns)  # the former behaviour
    assert raw.n_silent_ == 10
