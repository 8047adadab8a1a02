import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.units import (
    direction_tuning,
    draw_shifts,
    fdr_bh,
    place_maps,
    shift_p_value,
    shifted_bin_sums,
)


def test_fdr_matches_scipy(rng):
    from scipy.stats import false_discovery_control

    p = rng.uniform(size=200) ** 3
    q, rej = fdr_bh(p, 0.05)
    np.testing.assert_allclose(q, false_discovery_control(p))
    assert np.array_equal(rej, q <= 0.05)


def test_fdr_keeps_shape_and_nan():
    p = np.array([[0.001, np.nan], [0.04, 0.5]])
    q, rej = fdr_bh(p)
    assert q.shape == p.shape and np.isnan(q[0, 1]) and not rej[0, 1]
    # three tests: 0.001*3/1, 0.04*3/2, 0.5
    np.testing.assert_allclose(q[[0, 1, 1], [0, 0, 1]], [0.003, 0.06, 0.5])
    with pytest.raises(InputError):
        fdr_bh([1.5])


def test_shifted_sums_equal_rolled_binning(rng):
    c = rng.poisson(0.7, (500, 3)).astype(float)
    idx = rng.integers(0, 6, 500)
    shifts = np.array([0, 1, 77, 499, 250])
    out = shifted_bin_sums(c, idx, 6, shifts)
    for s, k in enumerate(shifts):
        rolled = np.roll(c, k, axis=0)
        ref = np.stack([rolled[idx == b].sum(0) for b in range(6)])
        np.testing.assert_allclose(out[s], ref)


def test_draw_shifts_distinct_and_bounded():
    s = draw_shifts(1000, 300, 100, seed=0)
    assert len(np.unique(s)) == 300 and s.min() >= 100 and s.max() <= 900
    assert len(draw_shifts(50, 1000, 10, seed=0)) == 31  # all of 10..40


def test_shift_p_value_plus_one():
    p = shift_p_value(np.array([5.0, 0.0]), np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]))
    np.testing.assert_allclose(p, [1 / 4, 1.0])


def test_direction_tuning_recovers_cosine(rng):
    n_tr = 160
    th = np.repeat(np.arange(8) * np.pi / 4, 20)
    pd = rng.uniform(0, 2 * np.pi, 12)
    rates = 10 + 6 * np.cos(th[:, None] - pd) + rng.normal(0, 3, (n_tr, 12))
    rates = np.hstack([rates, 10 + rng.normal(0, 3, (n_tr, 4))])     # 4 untuned units
    res = direction_tuning(rates, th, n_permutations=500, seed=1)
    err = np.angle(np.exp(1j * (res.preferred_direction_rad[:12] - pd)))
    assert np.max(np.abs(err)) < np.deg2rad(15)
    np.testing.assert_allclose(res.modulation_hz[:12], 6, atol=1.5)
    assert res.tuned[:12].all() and res.tuned[12:].sum() <= 1
    assert res.p_value.min() >= 1 / 501


def test_place_maps_find_planted_fields():
    from neurodiscovery import datasets

    gt = datasets.make_hd_place_cells(n_hd=3, n_place=5, duration_s=300, seed=2)
    b = gt.recording.bin(0.05)
    pm = place_maps(b.counts, b.behavior("position"), b.bin_size_s, n_shuffles=200, seed=0)
    assert pm.rates_hz.shape == (20, 20, 8)
    err = np.linalg.norm(pm.peak_xy[3:] - gt.place_centre_m, axis=1)
    assert np.all(err < 0.1), err
    assert np.all(pm.p_value[3:] < 0.01)
    assert np.all(pm.information_bits_per_spike[3:] > 3 * pm.information_bits_per_spike[:3].max())
    with pytest.raises(InputError, match="position"):
        place_maps(b.counts, b.behavior("position")[:, :1], b.bin_size_s)


def test_shifted_null_in_unit_blocks_equals_all_at_once():
    """The memory-bounded null (a few units at a time) is the one computed from all sums at once."""
    from neurodiscovery.units.stats import shifted_bin_sums, shifted_null

    rng = np.random.default_rng(5)
    counts = rng.poisson(0.4, (500, 7)).astype(float)
    idx = rng.integers(0, 6, 500)
    shifts = np.array([40, 97, 250, 311])

    def stat(s):  # (shifts, bins, units) -> (shifts, units), one column per unit
        return (s ** 2).sum(1) / (1 + s.sum(1))

    whole = stat(shifted_bin_sums(counts, idx, 6, shifts))
    np.testing.assert_array_equal(shifted_null(counts, idx, 6, shifts, stat, max_values=4 * 6 * 2), whole)
    np.testing.assert_array_equal(shifted_null(counts, idx, 6, shifts, stat), whole)


def test_shifted_sums_rows_equal_the_subset_copied():
    """``rows=`` gives exactly the sums of ``counts[rows]`` (shifts wrap around the kept bins)."""
    from neurodiscovery.units.stats import shifted_null

    rng = np.random.default_rng(6)
    counts = rng.poisson(0.5, (300, 5)).astype(float)
    idx = rng.integers(0, 4, 300)
    rows = rng.random(300) > 0.2
    shifts = np.array([0, 31, 77, 150])
    np.testing.assert_array_equal(shifted_bin_sums(counts, idx, 4, shifts, rows=rows),
                                  shifted_bin_sums(counts[rows], idx[rows], 4, shifts))
    stat = lambda s: s.max(1) - s.min(1)  # noqa: E731
    np.testing.assert_array_equal(shifted_null(counts, idx, 4, shifts, stat, max_values=8, rows=rows),
                                  stat(shifted_bin_sums(counts[rows], idx[rows], 4, shifts)))
