import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.latents import PoissonReadout, behavior_r2, bits_per_spike, psth_r2


def test_bits_per_spike_matches_nlb_tools(rng):
    ev = pytest.importorskip("nlb_tools.evaluation")
    spikes = rng.poisson(0.3, size=(20, 40, 7)).astype(float)
    rates = rng.gamma(2.0, 0.15, size=spikes.shape)
    rates[0, 0, :3] = 0.0  # zero rates are clipped at 1e-9 by both
    spikes[1, 2, 4] = np.nan  # NaN counts are ignored by both
    ours = bits_per_spike(rates, spikes)
    theirs = ev.bits_per_spike(rates.copy(), spikes.copy())
    assert abs(ours - theirs) < 1e-9
    assert bits_per_spike(np.broadcast_to(np.nanmean(spikes, (0, 1)), spikes.shape), spikes) == pytest.approx(0, abs=1e-12)


def test_bits_per_spike_positive_for_true_rates(rng):
    r = np.exp(rng.normal(-1, 0.8, size=(50, 30, 5)))
    n = rng.poisson(r).astype(float)
    assert bits_per_spike(r, n) > 0.1
    with pytest.raises(InputError):
        bits_per_spike(r, np.zeros_like(n))


def test_poisson_readout_recovers_weights(rng):
    F = rng.normal(size=(20000, 3))
    W = np.array([[0.5, -0.3], [0.0, 0.4], [-0.6, 0.2]])
    b = np.array([-1.0, 0.5])
    Y = rng.poisson(np.exp(F @ W + b)).astype(float)
    ro = PoissonReadout(alpha=0.0, standardize=False).fit(F, Y)
    assert np.allclose(ro.coef_, W, atol=0.05)
    assert np.allclose(ro.intercept_, b, atol=0.05)
    assert ro.predict(F[:4].reshape(2, 2, 3)).shape == (2, 2, 2)


def test_psth_and_behavior_r2(rng):
    true = np.exp(np.sin(np.linspace(0, 6, 50)))[None, :, None] * np.ones((40, 50, 3)) * 0.5
    counts = rng.poisson(true).astype(float)
    assert psth_r2(true, counts, smooth_bins=1.0) > 0.8
    assert psth_r2(np.ones_like(true) * true.mean(), counts, smooth_bins=1.0) < 0.05
    F = rng.normal(size=(10, 20, 4))
    B = F @ rng.normal(size=(4, 2)) + 0.05 * rng.normal(size=(10, 20, 2))
    assert behavior_r2(F[:7], B[:7], F[7:], B[7:]) > 0.95
    assert behavior_r2(F[:7], B[:7], rng.normal(size=(3, 20, 4)), B[7:]) < 0.2


def test_psth_r2_only_where_trials_repeat_conditions():
    from neurodiscovery.datasets import make_reaching
    from neurodiscovery.latents import fit_and_score
    from neurodiscovery.latents.evaluation import repeats_conditions

    assert not repeats_conditions(None) and not repeats_conditions([0, 1, 2])
    assert repeats_conditions([0, 1, 1])
    r = make_reaching(n_conditions=4, n_trials_per_condition=10, n_neurons=20, seed=0)
    # planted repeats: 2 test trials per condition at least -> a PSTH R² that reflects the planted tuning
    s = fit_and_score("smoothing", r.counts, bin_size_s=r.bin_size_s, conditions=r.conditions).scores
    assert 0 < s.psth_r2 <= 1
    # the same trials without condition labels (like pseudo-trials of a continuous recording): not reported
    # (before: one grand average of unrelated trials; -0.70 on pseudo-trials of the built-in recording)
    s = fit_and_score("smoothing", r.counts, bin_size_s=r.bin_size_s).scores
    assert np.isnan(s.psth_r2) and np.isfinite(s.co_bps)
