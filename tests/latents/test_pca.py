import numpy as np
import pytest
from sklearn.decomposition import PCA

from neurodiscovery._utils.errors import InputError
from neurodiscovery.latents import PopulationPCA, condition_separation


def test_matches_sklearn_on_standardised_sqrt(rng):
    X = rng.poisson(3.0, size=(500, 12)).astype(float)
    ours = PopulationPCA(n_components=4).fit(X)
    Z = np.sqrt(X)
    Z = (Z - Z.mean(0)) / Z.std(0)
    ref = PCA(4).fit(Z)
    np.testing.assert_allclose(ours.explained_variance_ratio_, ref.explained_variance_ratio_, rtol=1e-10)


def test_planted_low_rank_recovered(rng):
    latent = rng.normal(size=(2000, 2))
    X = np.exp(0.5 + latent @ rng.normal(0, 0.5, (2, 20)))
    counts = rng.poisson(X)
    p = PopulationPCA(n_components=5).fit(counts)
    assert p.explained_variance_ratio_[:2].sum() > 4 * p.explained_variance_ratio_[2:].sum() / 3


def test_trials_shape_and_separation(rng):
    X = rng.poisson(2.0, size=(30, 10, 8)).astype(float)
    cond = np.repeat([0, 1, 2], 10)
    X[cond == 1, :, :4] += 5
    X[cond == 2, :, 4:] += 5
    p = PopulationPCA(3).fit(X)
    traj = p.transform(X)
    assert traj.shape == (30, 10, 3)
    assert condition_separation(traj, cond) > 0.5
    with pytest.raises(InputError):
        p.fit(np.full((5, 3), np.nan))


def test_copy_false_and_fit_transform_give_the_same_numbers():
    """copy=False overwrites X (no ~1 GB copy for a long session) and changes no number."""
    rng = np.random.default_rng(4)
    X = rng.poisson(rng.uniform(0.2, 3, 40), (3000, 40)).astype(float)
    ref = PopulationPCA(5).fit(X)
    want = ref.transform(X)
    np.testing.assert_array_equal(PopulationPCA(5).fit_transform(X), want)
    Xc = X.copy()
    got = PopulationPCA(5, copy=False).fit_transform(Xc)
    np.testing.assert_array_equal(got, want)
    assert not np.array_equal(Xc, X)  # overwritten, as asked
    Xc = X.copy()
    np.testing.assert_array_equal(ref.transform(X), PopulationPCA(5).fit(X).transform(Xc))
    np.testing.assert_array_equal(Xc, X)  # the default never touches its input
