import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.data import align_to_events, align_trials, gaussian_smooth, psth, sqrt_transform, zscore


def test_align_counts_match_hand():
    st = [np.array([0.95, 1.05, 1.15, 2.05, 3.5])]
    a = align_to_events(st, [1.0, 2.0], (-0.1, 0.2), 0.1)
    assert a.counts.shape == (2, 3, 1)
    np.testing.assert_array_equal(a.counts[0, :, 0], [1, 1, 1])
    np.testing.assert_array_equal(a.counts[1, :, 0], [0, 1, 0])
    np.testing.assert_allclose(a.t_s, [-0.05, 0.05, 0.15])


def test_psth_mean_and_sem():
    x = np.arange(2 * 4 * 3 * 1, dtype=float).reshape(4, 3, 2)  # trials, time, neurons
    out = psth(x, conditions=[0, 0, 1, 1], bin_size_s=0.5)
    mean, sem = out.condition(0)
    assert out.conditions == (0, 1) and out.mean_hz.shape == (2, 3, 2)
    np.testing.assert_array_equal(out.n_trials, [2, 2])
    np.testing.assert_allclose(mean, x[:2].mean(0) / 0.5)
    np.testing.assert_allclose(sem, x[:2].std(0, ddof=1) / np.sqrt(2) / 0.5)


def test_align_trials_from_recording(tiny_recording):
    a = align_trials(tiny_recording, window_s=(-0.2, 0.4), bin_size_s=0.1)
    assert a.counts.shape == (6, 6, 3)
    np.testing.assert_array_equal(a.conditions, [0, 1, 0, 1, 0, 1])


def test_align_rejects_nan_events():
    with pytest.raises(InputError, match="NaN"):
        align_to_events([np.array([1.0])], [np.nan], (-0.1, 0.1), 0.05)


def test_gaussian_smooth_sigma_in_seconds():
    x = np.zeros((201, 1))
    x[100] = 1
    y = gaussian_smooth(x, sigma_s=0.05, bin_size_s=0.01)
    t = (np.arange(201) - 100) * 0.01
    sd = np.sqrt((y[:, 0] * t**2).sum() / y[:, 0].sum())
    assert abs(sd - 0.05) < 0.002


def test_smoothing_respects_segments():
    x = np.r_[np.zeros(50), np.ones(50)][:, None]
    y = gaussian_smooth(x, 0.05, 0.01, segment=np.r_[np.zeros(50), np.ones(50)])
    np.testing.assert_allclose(y[:50], 0)
    np.testing.assert_allclose(y[50:], 1)


def test_transforms():
    np.testing.assert_allclose(sqrt_transform([[4.0, 9.0]]), [[2.0, 3.0]])
    z, m, s = zscore(np.array([[1.0, 5.0], [3.0, 5.0]]))
    np.testing.assert_allclose(z, [[-1, 0], [1, 0]])
    with pytest.raises(InputError):
        sqrt_transform([[-1.0]])
