"""Kalman filter decoder vs an independent textbook filter (and pykalman when installed)."""
import inspect

import numpy as np
import pytest

from neurodiscovery.decoding import KalmanFilterDecoder


def simulate_lgssm(n=3000, n_obs=8, seed=0):
    """Planted linear-Gaussian state-space model: 2-D rotating state, linear observations."""
    rng = np.random.default_rng(seed)
    th = 0.1
    A = 0.97 * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    W = np.array([[0.05, 0.01], [0.01, 0.04]])
    H = rng.normal(size=(n_obs, 2))
    c = rng.uniform(1, 3, n_obs)          # observation offsets (like baseline firing)
    Q = np.diag(rng.uniform(0.2, 0.6, n_obs))
    x = np.zeros((n, 2))
    x[0] = rng.multivariate_normal([0, 0], W)
    Lw, Lq = np.linalg.cholesky(W), np.linalg.cholesky(Q)
    for t in range(1, n):
        x[t] = A @ x[t - 1] + Lw @ rng.standard_normal(2)
    z = x @ H.T + c + rng.standard_normal((n, n_obs)) @ Lq.T
    return z, x, dict(A=A, W=W, H=H, Q=Q, c=c)


def textbook_filter(z, A, W, H, Q, b, d, m0, P0):
    """Textbook Kalman filter (covariance form, explicit inverse), written independently.

    x_t = A x_{t-1} + b + w,  z_t = H x_t + d + q;  prior of the first state N(m0, P0).
    """
    m, P = m0.copy(), P0.copy()
    out = []
    for t in range(len(z)):
        if t > 0:
            m = A @ m + b
            P = A @ P @ A.T + W
        S = H @ P @ H.T + Q
        K = P @ H.T @ np.linalg.inv(S)
        m = m + K @ (z[t] - (H @ m + d))
        P = (np.eye(len(m)) - K @ H) @ P
        out.append(m.copy())
    return np.array(out)


@pytest.fixture(scope="module")
def fitted():
    z, x, truth = simulate_lgssm()
    kf = KalmanFilterDecoder(offsets=True, reg=0.0).fit(z[:2000], x[:2000])
    return kf, z, x, truth


def test_least_squares_parameters_match_closed_form(fitted):
    kf, z, x, _ = fitted
    xs = x[:2000] - x[:2000].mean(0)
    zs = z[:2000] - z[:2000].mean(0)
    X1, X2 = xs[:-1].T, xs[1:].T                          # column-state notation (Wu et al. 2003)
    A = X2 @ X1.T @ np.linalg.inv(X1 @ X1.T)
    W = (X2 - A @ X1) @ (X2 - A @ X1).T / (X1.shape[1])
    H = zs.T @ xs @ np.linalg.inv(xs.T @ xs)
    Q = (zs.T - H @ xs.T) @ (zs.T - H @ xs.T).T / len(xs)
    for got, want in ((kf.A_, A), (kf.W_, W), (kf.H_, H), (kf.Q_, Q)):
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10)


def test_recovers_planted_parameters(fitted):
    kf, _, _, truth = fitted
    np.testing.assert_allclose(kf.A_, truth["A"], atol=0.03)
    np.testing.assert_allclose(kf.H_, truth["H"], atol=0.15)
    np.testing.assert_allclose(np.diag(kf.Q_), np.diag(truth["Q"]), rtol=0.15)


def test_equals_textbook_filter(fitted):
    kf, z, x, _ = fitted
    ztest = z[2000:]
    ours = kf.predict(ztest)
    ref = textbook_filter(ztest, kf.A_, kf.W_, kf.H_, kf.Q_, kf.transition_offset_, kf.observation_offset_,
                          kf.state_mean_, kf.initial_state_covariance_)
    np.testing.assert_allclose(ours, ref, atol=1e-6, rtol=0)
    # and it decodes: far better than predicting the mean
    r2 = 1 - ((x[2000:] - ours) ** 2).sum(0) / ((x[2000:] - x[2000:].mean(0)) ** 2).sum(0)
    assert r2.min() > 0.7


def test_equals_pykalman(fitted):
    pykalman = pytest.importorskip("pykalman")
    kf, z, _, _ = fitted
    ref = pykalman.KalmanFilter(
        transition_matrices=kf.A_, observation_matrices=kf.H_, transition_covariance=kf.W_,
        observation_covariance=kf.Q_, transition_offsets=kf.transition_offset_,
        observation_offsets=kf.observation_offset_, initial_state_mean=kf.state_mean_,
        initial_state_covariance=kf.initial_state_covariance_).filter(z[2000:])[0]
    np.testing.assert_allclose(kf.predict(z[2000:]), ref, atol=1e-6, rtol=0)


def test_steady_state_matches_full_filter_after_convergence(fitted):
    kf, z, _, _ = fitted
    ss = KalmanFilterDecoder(steady_state=True, offsets=True, reg=0.0).fit(z[:2000], fitted[2][:2000])
    full, fast = kf.predict(z[2000:]), ss.predict(z[2000:])
    np.testing.assert_allclose(fast[200:], full[200:], atol=1e-6)


def test_predict_uses_neural_data_only(fitted):
    kf, z, x, _ = fitted
    assert list(inspect.signature(kf.predict).parameters) == ["X"]
    # starts from the training mean, not the first test output
    first = kf.predict(z[2000:2001])
    P0 = kf.initial_state_covariance_
    S = kf.H_ @ P0 @ kf.H_.T + kf.Q_
    m0 = kf.initial_state_mean_
    np.testing.assert_allclose(m0, x[:2000].mean(0))
    expected = m0 + P0 @ kf.H_.T @ np.linalg.solve(S, z[2000] - kf.H_ @ m0 - kf.observation_offset_)
    np.testing.assert_allclose(first[0], expected, atol=1e-9)


def test_sample_index_excludes_non_consecutive_pairs():
    z, x, _ = simulate_lgssm(n=1200, seed=1)
    idx = np.r_[np.arange(0, 500), np.arange(700, 1200)]
    a = KalmanFilterDecoder(offsets=True, reg=0.0).fit(z[idx], x[idx], sample_index=idx)
    xs = x[idx] - x[idx].mean(0)
    pairs = np.flatnonzero(np.diff(idx) == 1)
    A = np.linalg.lstsq(xs[pairs], xs[pairs + 1], rcond=None)[0].T
    np.testing.assert_allclose(a.A_, A, rtol=1e-10)


def test_singular_observation_noise_falls_back_to_textbook_form():
    z, x, _ = simulate_lgssm(n=800, n_obs=4, seed=2)
    zdup = np.column_stack([z, z[:, :1]])       # duplicated feature: Q is singular
    kf = KalmanFilterDecoder(offsets=True, reg=0.0).fit(zdup[:600], x[:600])
    assert kf._information_terms() is None
    pred = kf.predict(zdup[600:])
    # a duplicated feature with identical noise carries no new information: same estimate
    ref = KalmanFilterDecoder(offsets=True, reg=0.0).fit(z[:600], x[:600]).predict(z[600:])
    np.testing.assert_allclose(pred, ref, atol=1e-6)


def test_model_without_offsets_matches_wu_closed_form_and_textbook_filter():
    """offsets=False is Wu et al. (2003) / Neural_Decoding's model: LS on raw data."""
    z, x, _ = simulate_lgssm(n=1500, seed=3)
    x = x + np.array([0.5, -0.3])  # a state mean the offset-free model must carry in A
    kf = KalmanFilterDecoder(offsets=False, reg=0.0).fit(z[:1000], x[:1000])
    X, Z = x[:1000].T, z[:1000].T
    X1, X2 = X[:, :-1], X[:, 1:]
    A = X2 @ X1.T @ np.linalg.inv(X1 @ X1.T)
    W = (X2 - A @ X1) @ (X2 - A @ X1).T / X1.shape[1]
    H = Z @ X.T @ np.linalg.inv(X @ X.T)
    Q = (Z - H @ X) @ (Z - H @ X).T / X.shape[1]
    for got, want in ((kf.A_, A), (kf.W_, W), (kf.H_, H), (kf.Q_, Q)):
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10)
    np.testing.assert_array_equal(kf.initial_state_mean_, 0.0)
    np.testing.assert_array_equal(kf.transition_offset_, 0.0)
    ref = textbook_filter(z[1000:], A, W, H, Q, np.zeros(2), np.zeros(len(Q)), np.zeros(2),
                          x[:1000].T @ x[:1000] / 1000)
    np.testing.assert_allclose(kf.predict(z[1000:]), ref, atol=1e-6)


def test_default_is_the_offset_free_model_with_a_chosen_ridge():
    z, x, _ = simulate_lgssm(n=1500, seed=8)
    kf = KalmanFilterDecoder().fit(z, x)
    assert kf.offsets_ is False and kf.reg_ in kf.regs
    assert set(kf.validation_r2_) == {(False, r) for r in kf.regs}


def test_ridge_on_observation_noise():
    z, x, _ = simulate_lgssm(n=1200, seed=4)
    a = KalmanFilterDecoder(offsets=True, reg=0.0).fit(z, x)
    b = KalmanFilterDecoder(offsets=True, reg=0.3).fit(z, x)
    np.testing.assert_allclose(b.Q_, a.Q_ + 0.3 * np.mean(np.diag(a.Q_)) * np.eye(len(a.Q_)))


def test_auto_choice_on_inner_validation_blocks():
    """With large planted offsets the model with offsets must win on validation; the
    choice is the argmax of the recorded validation scores and the refit uses it."""
    z, x, truth = simulate_lgssm(n=3000, seed=5)
    z = z + 10 * truth["c"]  # strong baseline firing the offset-free model cannot explain
    kf = KalmanFilterDecoder(offsets="auto", validation_gap=2).fit(z[:2000], x[:2000])
    scores = kf.validation_r2_
    assert len(scores) == 2 * 6
    assert max(scores, key=scores.get) == (kf.offsets_, kf.reg_)
    assert kf.offsets_ is True
    fixed = KalmanFilterDecoder(offsets=kf.offsets_, reg=kf.reg_).fit(z[:2000], x[:2000])
    np.testing.assert_allclose(kf.predict(z[2000:]), fixed.predict(z[2000:]), atol=1e-12)


def test_auto_falls_back_when_too_short_for_validation():
    z, x, _ = simulate_lgssm(n=40, seed=6)
    kf = KalmanFilterDecoder(offsets="auto").fit(z, x)
    assert kf.validation_r2_ is None and kf.offsets_ is True and kf.reg_ == 0.0
    # an explicit variant is kept even when the ridge cannot be chosen
    kf = KalmanFilterDecoder(offsets=False, reg="auto").fit(z, x)
    assert kf.validation_r2_ is None and kf.offsets_ is False and kf.reg_ == 0.0


@pytest.mark.parametrize("kw", [dict(offsets="maybe"), dict(reg=-1.0), dict(reg="best"),
                                dict(regs=()), dict(noise_scale=0.0)])
def test_bad_parameters_are_named(kw):
    z, x, _ = simulate_lgssm(n=300, seed=7)
    from neurodiscovery._utils.errors import InputError

    with pytest.raises(InputError, match=next(iter(kw)).rstrip("s") if "regs" not in kw else "regs"):
        KalmanFilterDecoder(**kw).fit(z, x)
