"""VOI and adapted Rand error against skimage.metrics on the same inputs."""
import numpy as np
import pytest
from skimage.metrics import adapted_rand_error as sk_are
from skimage.metrics import variation_of_information as sk_voi

from neurodiscovery._utils.errors import InputError
from neurodiscovery.connectomics.em.metrics import (
    adapted_rand_error,
    contingency_table,
    evaluate,
    variation_of_information,
)


def _pair(seed, shape=(40, 50), n_true=30, n_test=20):
    rng = np.random.default_rng(seed)
    # blocky labels (not pure noise) so the tables have realistic structure
    true = np.kron(rng.integers(0, n_true, (shape[0] // 5, shape[1] // 5)), np.ones((5, 5), int))
    test = true.copy()
    flip = rng.random(shape) < 0.2
    test[flip] = rng.integers(0, n_test, flip.sum())
    return true, test


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_voi_equals_skimage(seed):
    true, test = _pair(seed)
    ours = variation_of_information(true, test)
    np.testing.assert_allclose(ours, sk_voi(true, test), atol=1e-6)
    ours_fg = variation_of_information(true, test, ignore_labels=(0,))
    np.testing.assert_allclose(ours_fg, sk_voi(true, test, ignore_labels=[0]), atol=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_adapted_rand_equals_skimage(seed):
    true, test = _pair(seed)
    np.testing.assert_allclose(adapted_rand_error(true, test), sk_are(true, test), atol=1e-6)
    np.testing.assert_allclose(adapted_rand_error(true, test, alpha=0.2),
                               sk_are(true, test, alpha=0.2), atol=1e-6)


def test_evaluate_matches_skimage_3d_and_large_ids():
    true, test = _pair(5, shape=(30, 30))
    true3 = np.stack([true, np.roll(true, 3, 0)])
    test3 = np.stack([test, test]).astype(np.int64) * 1_000_003 + 7  # huge, sparse ids
    s = evaluate(true3, test3)
    t_small = np.unique(test3, return_inverse=True)[1].reshape(test3.shape)
    np.testing.assert_allclose([s.voi_split, s.voi_merge],
                               sk_voi(true3, t_small, ignore_labels=[0]), atol=1e-6)
    np.testing.assert_allclose([s.voi_split_all, s.voi_merge_all], sk_voi(true3, t_small),
                               atol=1e-6)
    np.testing.assert_allclose(s.adapted_rand_error, sk_are(true3, t_small)[0], atol=1e-6)


def test_perfect_and_closed_form():
    true = np.array([[1, 1, 2, 2]])
    assert evaluate(true, true).adapted_rand_error == 0.0
    assert evaluate(true, true).voi == 0.0
    # merging two equal halves: H(true | test) = 1 bit, no split
    split, merge = variation_of_information(true, np.ones_like(true))
    assert split == pytest.approx(0.0) and merge == pytest.approx(1.0)
    # splitting one object into two equal halves: 1 bit of split
    split, merge = variation_of_information(np.ones_like(true), true)
    assert split == pytest.approx(1.0) and merge == pytest.approx(0.0)


def test_contingency_is_sparse_counts():
    true = np.array([0, 0, 1, 1, 1, 5])
    test = np.array([3, 3, 3, 4, 4, 4])
    c = contingency_table(true, test).toarray()
    np.testing.assert_array_equal(c, [[2, 0], [1, 2], [0, 1]])
    c_fg = contingency_table(true, test, ignore_labels=(0,)).toarray()
    np.testing.assert_array_equal(c_fg, [[1, 2], [0, 1]])


def test_shape_mismatch_is_input_error():
    with pytest.raises(InputError, match="shape"):
        evaluate(np.ones((4, 4), int), np.ones((4, 5), int))


def test_float_labels_rejected():
    with pytest.raises(InputError, match="integer"):
        evaluate(np.ones((4, 4)), np.ones((4, 4), int))


def test_all_background_truth_rejected():
    with pytest.raises(InputError, match="foreground|ignored"):
        evaluate(np.zeros((4, 4), int), np.ones((4, 4), int))
