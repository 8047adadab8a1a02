"""Neuropil subtraction, baselines and ΔF/F against closed forms and brute force."""
import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.imaging import (
    delta_f_over_f,
    maximin_baseline,
    percentile_baseline,
    robust_noise_sd,
    subtract_neuropil,
)


def test_neuropil_subtraction_recovers_planted_signal(rng):
    own, neu = rng.uniform(100, 200, (500, 3)), rng.uniform(50, 80, (500, 3))
    np.testing.assert_allclose(subtract_neuropil(own + 0.6 * neu, neu, 0.6), own)
    with pytest.raises(InputError, match="differ in shape"):
        subtract_neuropil(own, neu[:, :2])
    with pytest.raises(InputError, match="in \\[0, 2\\]"):
        subtract_neuropil(own, neu, -1)


def test_maximin_tracks_a_drifting_floor_under_transients(rng):
    rate, n = 30.0, 30 * 600
    t = np.arange(n) / rate
    floor = 100 + 20 * np.sin(2 * np.pi * t / 600)  # slow drift over the session
    events = np.zeros(n)
    events[rng.choice(n, 300, replace=False)] = 1
    trans = 50 * np.convolve(events, np.exp(-np.arange(60) / 20))[:n]
    f = floor + trans + rng.normal(0, 1, n)
    f0 = maximin_baseline(f, rate, window_s=30, sigma_s=0.33)[:, 0]
    assert np.median(np.abs(f0 - floor)) < 2.0  # within two noise SD; transients are 50
    p0 = percentile_baseline(f, rate, window_s=30, percentile=8)[:, 0]
    assert np.median(np.abs(p0 - floor)) < 3.0


def test_percentile_baseline_matches_brute_force_on_its_grid(rng):
    f = rng.normal(size=(400, 2)).cumsum(0)
    win = 41
    out = percentile_baseline(f, rate_hz=10.0, window_s=4.1, percentile=20)
    x = np.pad(f, ((20, 20), (0, 0)), mode="reflect")
    for c in (0, 2, 100, 398):  # grid points (step = win // 20 = 2)
        np.testing.assert_allclose(out[c], np.percentile(x[c:c + win], 20, axis=0))


def test_dff_closed_form_and_awkward_traces(rng):
    f0 = np.full((100, 4), 200.0)
    f = f0 * (1 + np.linspace(0, 1, 100)[:, None])
    f[:, 1] = 5.0  # constant ROI
    f[:, 2] -= 300.0  # baseline pushed negative (e.g. over-subtracted neuropil)
    raw = f.copy()
    raw[:, 3] = -f[:, 3]  # and a ROI whose raw trace is negative too
    base = f0.copy()
    base[:, 2] = f[:, 2].min()
    base[:, 3] = -100.0
    dff, rep = delta_f_over_f(f, base, raw=raw)
    np.testing.assert_allclose(dff[:, 0], np.linspace(0, 1, 100))
    assert rep["constant_rois"] == [1] and np.all(dff[:, 1] == 0)
    assert 2 in rep["dff_floored_rois"] and 3 in rep["dff_noise_scaled_rois"]
    assert np.all(np.isfinite(dff))


def test_robust_noise_sd_ignores_sparse_transients(rng):
    x = rng.normal(0, 2.0, (20000, 1))
    x[::500] += 100
    assert robust_noise_sd(x)[0] == pytest.approx(2.0, rel=0.05)
