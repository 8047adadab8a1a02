"""Wiener filter and Wiener cascade against closed forms and sklearn."""
import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, Ridge

from neurodiscovery._utils.errors import InputError
from neurodiscovery.decoding import WienerCascade, WienerFilter


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.poisson(3, size=(1500, 20)).astype(float)
    B = rng.normal(size=(20, 2))
    y = X @ B + rng.normal(size=(1500, 2)) * 2 + 5
    return X, y


def test_alpha_zero_is_ordinary_least_squares(data):
    X, y = data
    ours = WienerFilter(alpha=0.0).fit(X, y)
    ref = LinearRegression().fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_.T, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-8, atol=1e-8)


def test_ridge_matches_sklearn_with_same_penalty(data):
    X, y = data
    alpha_rel = 0.05
    ours = WienerFilter(alpha=alpha_rel).fit(X, y)
    Xc = X - X.mean(0)
    lam = alpha_rel * (Xc ** 2).sum() / X.shape[1]
    ref = Ridge(alpha=lam).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_.T, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-7)


def test_auto_alpha_chosen_on_trailing_validation_block(data):
    X, y = data
    m = WienerFilter(alpha="auto", validation_gap=5).fit(X, y)
    assert m.alpha_ in m.validation_r2_
    assert m.validation_r2_[m.alpha_] == max(m.validation_r2_.values())
    # with plenty of data and a true linear model, little shrinkage is best
    assert m.alpha_ <= 0.1
    ols = WienerFilter(alpha=0.0).fit(X, y)
    assert m.score(X, y) > ols.score(X, y) - 0.01


def test_auto_alpha_shrinks_when_features_are_noise():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 150))
    y = X[:, 0] + rng.normal(size=300) * 3
    m = WienerFilter().fit(X, y)
    assert m.alpha_ > 1e-3
    assert m.predict(X).shape == (300,)


def test_cascade_recovers_planted_cubic_nonlinearity():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(3000, 10))
    u = X @ rng.normal(size=10) / 3
    y = u + 0.5 * u ** 3 + 0.05 * rng.normal(size=3000)   # monotone output nonlinearity
    Xtr, Xte, ytr, yte = X[:2000], X[2000:], y[:2000], y[2000:]
    lin = WienerFilter(alpha=0.0).fit(Xtr, ytr)
    cas = WienerCascade(degree=3, alpha=0.0).fit(Xtr, ytr)
    r2 = lambda p: 1 - ((yte - p) ** 2).sum() / ((yte - yte.mean()) ** 2).sum()  # noqa: E731
    assert r2(cas.predict(Xte)) > 0.95
    assert r2(cas.predict(Xte)) > r2(lin.predict(Xte)) + 0.1


def test_bad_alpha():
    X = np.ones((30, 2)) + np.arange(30)[:, None]
    with pytest.raises(InputError, match="alpha"):
        WienerFilter(alpha="best").fit(X, X[:, 0])
    with pytest.raises(InputError, match="alpha"):
        WienerFilter(alpha=-1).fit(X, X[:, 0])


def test_alpha_chosen_on_several_inner_blocks():
    from neurodiscovery.decoding import WienerFilter

    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 10))
    w = rng.normal(size=(10, 2))
    y = X @ w + 0.1 * rng.normal(size=(600, 2))
    three = WienerFilter(n_validation_blocks=3, validation_gap=2).fit(X, y)
    # well-posed data: weak shrinkage is chosen and the planted weights are recovered
    assert three.alpha_ <= 1e-2
    np.testing.assert_allclose(three.coef_, w, atol=0.02)
    assert len(three.validation_r2_) == len(three.alphas)
    # strongly collinear, noisy features: the inner blocks pick real shrinkage
    Z = np.repeat(rng.normal(size=(600, 1)), 10, axis=1) + 1e-3 * rng.normal(size=(600, 10))
    yz = Z[:, :1] + rng.normal(size=(600, 1))
    assert WienerFilter(n_validation_blocks=3, validation_gap=2).fit(Z, yz).alpha_ > 1e-6
