"""Poisson naive-Bayes decoder on planted tuning curves."""
import numpy as np
import pytest
from scipy.stats import poisson

from neurodiscovery._utils.errors import InputError
from neurodiscovery.decoding import PoissonBayesDecoder, median_angular_error_deg


def hd_population(n=6000, n_cells=12, dt_s=0.1, seed=0):
    rng = np.random.default_rng(seed)
    theta = np.mod(np.cumsum(rng.normal(0, 0.15, n)), 2 * np.pi)
    pref = np.linspace(0, 2 * np.pi, n_cells, endpoint=False)
    rate_hz = 1 + 30 * np.exp(3 * (np.cos(theta[:, None] - pref[None, :]) - 1))
    counts = rng.poisson(rate_hz * dt_s).astype(float)
    return counts, theta, pref, dt_s


def test_decodes_planted_head_direction():
    counts, theta, pref, dt = hd_population()
    m = PoissonBayesDecoder(circular=True).fit(counts[:4000], theta[:4000])
    pred = m.predict(counts[4000:])
    assert pred.shape == (2000,)
    assert ((pred >= 0) & (pred < 2 * np.pi)).all()
    assert median_angular_error_deg(theta[4000:], pred) < 12.0
    # estimated tuning curve peaks where they were planted
    centers = m.grid_centers_[0]
    peaks = centers[np.argmax(m.tuning_, axis=0)]
    err = np.degrees(np.abs(np.angle(np.exp(1j * (peaks - pref)))))
    assert err.max() <= 15.0


def test_log_posterior_is_poisson_likelihood_times_prior():
    counts, theta, _, _ = hd_population(n=3000, seed=1)
    m = PoissonBayesDecoder(circular=True, prior="occupancy", n_bins=24).fit(counts, theta)
    f = m.tuning_.reshape(-1, counts.shape[1])
    lp = m.predict_log_posterior(counts[:5])
    for i in range(5):
        ref = poisson.logpmf(counts[i][None, :], f).sum(axis=1) + m.log_prior_.ravel()
        ref = ref - np.logaddexp.reduce(ref)
        np.testing.assert_allclose(lp[i], ref, atol=1e-9)


def test_occupancy_prior_helps_when_behaviour_is_biased():
    rng = np.random.default_rng(3)
    n = 8000
    x = np.clip(rng.normal(0.3, 0.12, n), 0, 1)   # animal mostly near x = 0.3 of a 1 m track
    centers = np.linspace(0, 1, 8)
    rate = 0.5 + 4 * np.exp(-((x[:, None] - centers) ** 2) / (2 * 0.1 ** 2))
    counts = rng.poisson(rate * 0.05).astype(float)  # sparse counts: the prior matters
    err = {}
    for prior in ("uniform", "occupancy"):
        m = PoissonBayesDecoder(prior=prior, n_bins=40).fit(counts[:6000], x[:6000])
        err[prior] = np.mean(np.abs(m.predict(counts[6000:]) - x[6000:]))
    assert err["occupancy"] < err["uniform"]


def test_two_dimensional_position():
    rng = np.random.default_rng(4)
    n = 6000
    pos = np.cumsum(rng.normal(0, 0.02, (n, 2)), axis=0)
    pos = np.abs(np.mod(pos + 1, 2) - 1)  # reflect into the unit box
    fields = rng.uniform(0, 1, (30, 2))
    rate = 0.2 + 15 * np.exp(-((pos[:, None, :] - fields[None]) ** 2).sum(-1) / (2 * 0.12 ** 2))
    counts = rng.poisson(rate * 0.25).astype(float)
    m = PoissonBayesDecoder(n_bins=20).fit(counts[:4500], pos[:4500])
    pred = m.predict(counts[4500:])
    assert pred.shape == (1500, 2)
    assert np.median(np.linalg.norm(pred - pos[4500:], axis=1)) < 0.1


def test_bad_inputs():
    with pytest.raises(InputError, match="non-negative spike counts"):
        PoissonBayesDecoder().fit(-np.ones((50, 3)), np.linspace(0, 1, 50))
    with pytest.raises(InputError, match="1-D or 2-D"):
        PoissonBayesDecoder().fit(np.ones((50, 3)), np.ones((50, 3)))
    with pytest.raises(InputError, match="prior"):
        PoissonBayesDecoder(prior="flat").fit(np.ones((50, 3)), np.linspace(0, 1, 50))


def test_circular_detected_from_behaviour_metadata():
    from neurodiscovery.data import TimeSeries

    rng = np.random.default_rng(3)
    T = 4000
    theta = np.mod(np.cumsum(rng.normal(0, 0.2, T)), 2 * np.pi)
    pref = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    X = rng.poisson(np.exp(1 + 1.5 * np.cos(theta[:, None] - pref)) * 0.2).astype(float)
    ts = TimeSeries("head_direction", np.arange(T) * 0.05, theta, units="rad", circular=True)
    est = PoissonBayesDecoder().fit(X, ts)
    assert est.circular_ and est.grid_edges_[0][-1] == pytest.approx(2 * np.pi)
    err = np.angle(np.exp(1j * (est.predict(X).ravel() - theta)))
    assert np.median(np.abs(err)) < 0.3
    assert not PoissonBayesDecoder().fit(X, theta).circular_   # a bare array is linear unless told
