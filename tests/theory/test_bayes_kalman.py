"""Closed forms: conjugate updating, cue combination, Kalman filtering (against pykalman)."""
import numpy as np
import pytest
from scipy import stats

from neurodiscovery._utils.errors import InputError
from neurodiscovery.theory import (
    combine_cues,
    kalman_filter,
    random_walk_gains,
    steady_state_gain,
    test_cue_optimality,
    update_gaussian_belief,
)
from neurodiscovery.theory.data import TrialTable
from neurodiscovery.theory.observers import KalmanObserverModel


def test_sequential_update_equals_one_step_at_a_time():
    rng = np.random.default_rng(0)
    x = rng.normal(1.0, 2.0, (3, 25))
    b = update_gaussian_belief(x, prior_mean=-1.0, prior_sd=0.5, noise_sd=2.0)
    for row in range(3):
        m, v = -1.0, 0.25
        for t in range(25):  # textbook conjugate update, one observation at a time
            k = v / (v + 4.0)
            m, v = m + k * (x[row, t] - m), (1 - k) * v
            assert b.mean[row, t] == pytest.approx(m, rel=1e-12)
            assert b.sd[row, t] == pytest.approx(np.sqrt(v), rel=1e-12)
            assert b.predictive_sd[row, t] == pytest.approx(np.sqrt(v + 4.0), rel=1e-12)


def test_combined_sd_matches_simulation_within_one_percent():
    sds = np.array([0.5, 1.0, 2.0])
    rng = np.random.default_rng(1)
    n = 400_000
    m = 3.0 + sds * rng.standard_normal((n, 3))
    comb = combine_cues(m, sds)
    predicted = combine_cues(np.zeros((1, 3)), sds).sd[0]
    assert predicted == pytest.approx((1 / 0.25 + 1 + 0.25) ** -0.5)
    assert np.std(comb.mean) == pytest.approx(predicted, rel=0.01)
    np.testing.assert_allclose(comb.weights[0], (1 / sds**2) / np.sum(1 / sds**2))
    # an absent cue drops out of the weights
    part = combine_cues(np.array([[1.0, np.nan, 3.0]]), sds)
    assert part.weights[0, 1] == 0 and part.mean[0] == pytest.approx((1 / 0.25 + 3 / 4) / (1 / 0.25 + 1 / 4))


def test_optimality_test_accepts_optimal_and_rejects_equal_weighting():
    rng = np.random.default_rng(2)
    sa, sb, n = 0.3, 1.2, 600
    singles = {"a": sa * rng.standard_normal(n), "b": sb * rng.standard_normal(n)}
    optimal = combine_cues(np.column_stack([sa * rng.standard_normal(n), sb * rng.standard_normal(n)]),
                           [sa, sb]).mean
    equal = 0.5 * (sa * rng.standard_normal(n) + sb * rng.standard_normal(n))
    ok = test_cue_optimality(singles, optimal, n_bootstrap=500)
    bad = test_cue_optimality(singles, equal, n_bootstrap=500)
    assert ok.ci[0] < 1.0 < ok.ci[1]
    assert bad.ci[0] > 1.0 and bad.ratio > 1.5
    with pytest.raises(InputError):
        test_cue_optimality({"a": singles["a"]}, optimal)


def test_kalman_filter_equals_pykalman():
    pykalman = pytest.importorskip("pykalman")
    rng = np.random.default_rng(3)
    A = np.array([[1.0, 0.1], [0.0, 0.95]])
    C = np.array([[1.0, 0.0], [0.5, 1.0]])
    Q, R = np.diag([0.01, 0.05]), np.array([[0.2, 0.05], [0.05, 0.3]])
    m0, P0 = np.array([0.5, -0.2]), np.eye(2) * 2
    y = rng.normal(size=(120, 2)).cumsum(0) * 0.1
    ours = kalman_filter(y, A, C, Q, R, m0, P0)
    kf = pykalman.KalmanFilter(transition_matrices=A, observation_matrices=C, transition_covariance=Q,
                               observation_covariance=R, initial_state_mean=m0, initial_state_covariance=P0)
    means, covs = kf.filter(y)
    np.testing.assert_allclose(ours.mean, means, atol=1e-8)
    np.testing.assert_allclose(ours.cov, covs, atol=1e-8)
    assert ours.loglik == pytest.approx(kf.loglikelihood(y), abs=1e-8)


def test_steady_state_gain_is_the_limit_of_the_filter_gains():
    K = steady_state_gain([[1.0]], [[1.0]], [[0.04]], [[0.25]])
    assert random_walk_gains(200, 0.2, 0.5)[-1] == pytest.approx(K[0, 0], rel=1e-10)
    filt = kalman_filter(np.zeros(300), 1.0, 1.0, 0.04, 0.25, 0.0, 1e12)
    np.testing.assert_allclose(filt.gain[:50, 0, 0], random_walk_gains(50, 0.2, 0.5), rtol=1e-8)


def test_kalman_observer_likelihood_equals_the_multivariate_normal():
    """Responses are linear in the stimulus and the noises: compare with the explicit Gaussian."""
    rng = np.random.default_rng(4)
    T, q, r, motor = 30, 0.15, 0.4, 0.07
    s = np.cumsum(0.1 * rng.standard_normal(T))
    K = random_walk_gains(T, q, r)
    L = np.zeros((T, T))  # estimate_t = sum_j L[t, j] * measurement_j
    for t in range(T):
        for j in range(t + 1):
            L[t, j] = K[j] * np.prod(1 - K[j + 1:t + 1])
    resp = L @ s + rng.normal(0, 0.3, T)
    cov = r**2 * L @ L.T + motor**2 * np.eye(T)
    expected = stats.multivariate_normal(L @ s, cov).logpdf(resp)
    model = KalmanObserverModel()
    design = model.prepare(TrialTable(s, resp, np.array(["x"] * T)))
    assert model.loglik([q, r, motor], design) == pytest.approx(expected, rel=1e-10)
