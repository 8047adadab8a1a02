"""Spike-history design matrices."""
import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.decoding import lagged_design, n_lags, window_sum


def naive_design(X, bb, ba, bc):
    rows = []
    for t in range(bb, len(X) - ba):
        lags = list(range(t - bb, t)) + ([t] if bc else []) + list(range(t + 1, t + ba + 1))
        rows.append(np.stack([X[i] for i in lags]))
    return np.array(rows)


@pytest.mark.parametrize("bb,ba,bc", [(0, 0, True), (3, 0, True), (0, 2, True), (2, 3, True),
                                      (2, 3, False), (3, 0, False), (0, 2, False)])
def test_matches_explicit_loop(bb, ba, bc):
    X = np.arange(40 * 3, dtype=float).reshape(40, 3)
    seq, idx = lagged_design(X, bb, ba, bc, flat=False)
    ref = naive_design(X, bb, ba, bc)
    np.testing.assert_array_equal(seq, ref)
    np.testing.assert_array_equal(idx, np.arange(bb, 40 - ba))
    flat, _ = lagged_design(X, bb, ba, bc, flat=True)
    assert flat.shape == (len(ref), n_lags(bb, ba, bc) * 3)
    np.testing.assert_array_equal(flat, ref.reshape(len(ref), -1))  # lag-major columns


def test_sequence_is_a_view_not_a_copy():
    X = np.random.default_rng(0).poisson(2, size=(10_000, 50)).astype(float)
    seq, _ = lagged_design(X, 4, 4, flat=False)
    assert np.shares_memory(seq, X)
    assert seq.base is not None and seq.nbytes > X.nbytes  # 9x the data, no new memory
    seq_edge, _ = lagged_design(X, 4, 0, bins_current=False, flat=False)
    assert np.shares_memory(seq_edge, X)


def test_trials_never_cross_boundaries():
    X = np.arange(3 * 10 * 2, dtype=float).reshape(3, 10, 2)
    seq, idx = lagged_design(X, 2, 1, flat=False)
    assert seq.shape == (3 * 7, 4, 2)
    np.testing.assert_array_equal(idx[:7], np.arange(2, 9))
    np.testing.assert_array_equal(idx[7:14], 10 + np.arange(2, 9))
    np.testing.assert_array_equal(seq[7], X[1, 0:4])


def test_segments_drop_windows_across_holes():
    X = np.arange(20, dtype=float)[:, None]
    seg = np.r_[np.zeros(10, int), np.ones(10, int)]
    _, idx = lagged_design(X, 1, 1, segment=seg)
    np.testing.assert_array_equal(idx, np.r_[1:9, 11:19])


def test_window_sum():
    X = np.ones((12, 4))
    seq, _ = lagged_design(X, 2, 2, flat=False)
    np.testing.assert_array_equal(window_sum(seq), np.full((8, 4), 5.0))


def test_too_few_samples_for_lags():
    with pytest.raises(InputError, match="too few time bins"):
        lagged_design(np.ones((5, 3)), 4, 4)


def test_bad_lag_arguments():
    with pytest.raises(InputError, match="bins_before"):
        lagged_design(np.ones((50, 3)), -1, 2)
    with pytest.raises(InputError, match="empty"):
        lagged_design(np.ones((50, 3)), 0, 0, bins_current=False)
