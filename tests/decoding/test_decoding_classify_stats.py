import numpy as np

from neurodiscovery.decoding.classify_stats import classify_with_uncertainty


def test_informative_trials_significant(rng):
    y = np.repeat(np.arange(4), 25)
    X = rng.normal(size=(100, 12)) + 1.5 * np.eye(4)[y] @ rng.normal(size=(4, 12))
    r = classify_with_uncertainty(X, y, n_permutations=300, n_boot=300)
    assert r.accuracy > 0.6 and r.p_value == 1 / 301
    assert r.accuracy_ci[0] <= r.accuracy <= r.accuracy_ci[1]
    assert abs(np.mean(r.null_accuracy) - 0.25) < 0.03
    assert r.confusion_matrix.sum() == 100 and "permutation p" in r.summary()


def test_uninformative_trials_not_significant(rng):
    y = np.repeat(np.arange(4), 25)
    r = classify_with_uncertainty(rng.normal(size=(100, 12)), y, n_permutations=300, n_boot=300)
    assert r.p_value > 0.05 and r.accuracy_ci[0] < 0.25 + 0.05
