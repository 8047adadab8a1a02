"""jPCA against planted rotations (closed forms and the reaching generator's noise-free rates)."""
import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.datasets import make_reaching
from neurodiscovery.dynamics import (
    condition_averages,
    jpca,
    largest_principal_angle_deg,
)
from neurodiscovery.dynamics.jpca import fit_skew_symmetric


def _rotations(freqs_hz, n_neurons=30, n_cond=8, n_t=80, dt=0.01, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n_t) * dt
    lat = np.zeros((n_cond, n_t, 2 * len(freqs_hz)))
    for c in range(n_cond):
        for p, f in enumerate(freqs_hz):
            a0 = rng.uniform(0, 2 * np.pi)
            amp = rng.uniform(0.5, 1.5)
            lat[c, :, 2 * p] = amp * np.cos(2 * np.pi * f * t + a0)
            lat[c, :, 2 * p + 1] = amp * np.sin(2 * np.pi * f * t + a0)
    loading = np.linalg.qr(rng.normal(size=(n_neurons, lat.shape[2])))[0]
    return lat @ loading.T, loading


def test_skew_fit_recovers_planted_matrix(rng):
    m = rng.normal(size=(4, 4))
    m = m - m.T
    x = rng.normal(size=(200, 4))
    assert np.allclose(fit_skew_symmetric(x, x @ m), m, atol=1e-10)


def test_planted_planes_and_frequencies():
    # random phases and amplitudes over 8 conditions: not isotropic, planes orthogonal -> plain jPCA
    x, loading = _rotations([3.0, 1.5])
    res = jpca(x, 0.01, n_pcs=4, whiten=False)
    # the discrete-time central difference slightly shortens the rotation angle: (sin wdt)/dt
    assert res.frequencies_hz == pytest.approx([3.0, 1.5], rel=0.01)
    assert largest_principal_angle_deg(res.planes[0], loading[:, :2]) < 1.0
    assert largest_principal_angle_deg(res.planes[1], loading[:, 2:4]) < 1.0
    assert res.rotation_fraction > 0.99
    assert res.projections.shape == (8, 80, 4)


def test_whitening_recovers_non_orthogonal_planes():
    # conditions spread evenly around both planes, planes 60 deg apart and rotating on ellipses
    n_cond, t = 12, np.arange(100) * 0.01
    phase = 2 * np.pi * np.arange(n_cond) / n_cond
    lat = np.concatenate([np.stack([np.cos(2 * np.pi * f * t[None] + k * phase[:, None]),
                                    np.sin(2 * np.pi * f * t[None] + k * phase[:, None])], -1)
                          for k, f in ((1, 3.0), (2, 1.5))], -1)
    rng = np.random.default_rng(1)
    q = np.linalg.qr(rng.normal(size=(30, 4)))[0]
    loading = np.stack([q[:, 0], 2 * q[:, 1], 0.5 * q[:, 0] + 0.87 * q[:, 2], q[:, 3] + 0.3 * q[:, 1]], 1)
    x = lat @ loading.T
    white, plain = jpca(x, 0.01, n_pcs=4), jpca(x, 0.01, n_pcs=4, whiten=False)
    assert white.frequencies_hz == pytest.approx([3.0, 1.5], rel=0.01)
    assert largest_principal_angle_deg(white.planes[0], loading[:, :2]) < 0.5
    assert largest_principal_angle_deg(white.planes[1], loading[:, 2:]) < 0.5
    # plain jPCA's planes are orthogonal, so at least one is tilted
    assert max(largest_principal_angle_deg(plain.planes[0], loading[:, :2]),
               largest_principal_angle_deg(plain.planes[1], loading[:, 2:])) > 5


def test_reaching_rates_with_velocity_encoding_removed():
    d = make_reaching(seed=3, n_trials_per_condition=5)
    rates, _ = condition_averages(d.rates_hz, d.conditions, d.bin_size_s)
    vel, _ = condition_averages(d.velocity, d.conditions, d.bin_size_s)
    go = slice(30, 100)
    plain = jpca(rates, d.bin_size_s, n_pcs=4, transform="log", time_slice=go)
    fixed = jpca(rates, d.bin_size_s, n_pcs=4, transform="log", time_slice=go, behavior=vel)
    slow_plane = d.loading[:, :2]  # 1.5 Hz, shares (cos, sin) of the reach angle with velocity
    # velocity tuning tilts the slow plane unless its encoding is removed
    assert largest_principal_angle_deg(plain.planes[1], slow_plane) > 20
    assert largest_principal_angle_deg(fixed.planes[1], slow_plane) < 10
    assert largest_principal_angle_deg(fixed.planes[0], d.loading[:, 2:]) < 10
    assert fixed.frequencies_hz == pytest.approx([3.0, 1.5], rel=0.05)


def test_bad_inputs():
    x, _ = _rotations([2.0])
    with pytest.raises(InputError, match="even"):
        jpca(x, 0.01, n_pcs=3)
    with pytest.raises(InputError, match="2 conditions"):
        jpca(x[:1], 0.01, n_pcs=2)
    with pytest.raises(InputError, match="behavior"):
        jpca(x, 0.01, n_pcs=2, behavior=np.zeros((8, 5, 2)))
    with pytest.raises(InputError, match="mismatched"):
        condition_averages(np.zeros((4, 5, 2)), [0, 1, 0], 0.01)
