import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.data import BlockedKFold, StratifiedTrialKFold, blocked_kfold, validation_block


@pytest.mark.parametrize("n,k,gap", [(100, 5, 4), (1003, 7, 10), (50, 2, 0)])
def test_blocked_kfold_no_leak(n, k, gap):
    folds = blocked_kfold(n, k, gap)
    all_test = np.concatenate([te for _, te in folds])
    np.testing.assert_array_equal(np.sort(all_test), np.arange(n))  # each sample tested once
    for tr, te in folds:
        assert np.all(np.diff(te) == 1)  # contiguous
        dist = np.abs(tr[:, None] - te[None, :]).min()
        assert dist > gap  # no training sample within the gap
        assert len(np.intersect1d(tr, te)) == 0


def test_sklearn_splitter_matches():
    X = np.zeros((200, 3))
    a = list(BlockedKFold(4, 3).split(X))
    b = blocked_kfold(200, 4, 3)
    for (tr1, te1), (tr2, te2) in zip(a, b):
        np.testing.assert_array_equal(tr1, tr2)
        np.testing.assert_array_equal(te1, te2)


def test_too_few_samples():
    with pytest.raises(InputError, match="too few"):
        blocked_kfold(10, 5, 3)


def test_validation_block_inside_training():
    tr, te = blocked_kfold(500, 5, 4)[2]
    fit, val = validation_block(tr, 0.2, gap=4)
    assert np.all(np.isin(val, tr)) and np.all(np.isin(fit, tr))
    assert np.abs(fit[:, None] - val[None, :]).min() > 4
    assert np.abs(val[:, None] - te[None, :]).min() > 4


def test_stratified_trials():
    y = np.repeat(np.arange(4), 10)
    X = np.zeros((40, 5, 3))
    for tr, te in StratifiedTrialKFold(5, seed=0).split(X, y):
        assert len(np.intersect1d(tr, te)) == 0
        np.testing.assert_array_equal(np.bincount(y[te]), [2, 2, 2, 2])
    with pytest.raises(InputError, match="rarest condition"):
        list(StratifiedTrialKFold(5).split(X[:8], np.array([0, 0, 0, 0, 0, 0, 1, 1])))


def test_stratified_needs_two_splits():
    with pytest.raises(InputError, match="n_splits must be >= 2"):
        list(StratifiedTrialKFold(1).split(np.zeros((4, 1)), np.array([0, 0, 1, 1])))
