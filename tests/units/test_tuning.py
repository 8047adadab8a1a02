import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.units import skaggs_information, tuning_curves


def test_skaggs_closed_form():
    # a unit firing only in one of two equally occupied bins carries exactly 1 bit/spike
    info = skaggs_information(np.array([[10.0], [0.0]]), np.array([5.0, 5.0]))
    assert np.isclose(info[0], 1.0)
    # uniform firing carries none
    assert np.isclose(skaggs_information(np.array([[3.0], [3.0]]), np.array([1.0, 4.0]))[0], 0.0)


def test_recovers_planted_von_mises(rng):
    T, dt = 60000, 0.02
    theta = np.mod(np.cumsum(rng.normal(0, 0.15, T)), 2 * np.pi)
    pref = np.array([1.0, 4.0])
    rate = 1 + 30 * np.exp(4 * (np.cos(theta[:, None] - pref) - 1))
    counts = rng.poisson(rate * dt)
    tc = tuning_curves(counts, theta, dt, circular=True, n_shuffles=50, seed=0)
    err = np.angle(np.exp(1j * (tc.preferred - pref)))
    assert np.all(np.abs(err) < 0.05)
    assert np.all(tc.p_value < 0.05)
    true = 1 + 30 * np.exp(4 * (np.cos(tc.centres[:, None] - pref) - 1))
    assert np.nanmax(np.abs(tc.rates_hz - true) / true.max()) < 0.15


def test_untuned_unit_not_significant(rng):
    T, dt = 30000, 0.02
    theta = np.mod(np.cumsum(rng.normal(0, 0.15, T)), 2 * np.pi)
    counts = rng.poisson(5 * dt, size=(T, 1))
    tc = tuning_curves(counts, theta, dt, circular=True, n_shuffles=100, seed=1)
    assert tc.p_value[0] > 0.05


def test_constant_variable_rejected():
    with pytest.raises(InputError, match="constant"):
        tuning_curves(np.ones((100, 1)), np.ones(100), 0.1, circular=False)
