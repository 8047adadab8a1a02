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


def test_shifted_sums_exact_for_counts_and_traces(monkeypatch):
    """Counts are summed in float32 (exact below 2**24 per unit), other values in float64; two blocks at a time
    on two threads give the one-thread null."""
    from neurodiscovery._utils import runtime
    from neurodiscovery.units.stats import shifted_null

    rng = np.random.default_rng(8)
    idx = rng.integers(0, 5, 400)
    shifts = np.array([3, 120, 399])
    for c in (rng.poisson(0.6, (400, 4)).astype(float), rng.gamma(0.5, 1.3, (400, 4)),
              np.full((400, 4), 2.0 ** 20)):  # integers whose total passes 2**24: summed in float64
        out = shifted_bin_sums(c, idx, 5, shifts)
        for s, k in enumerate(shifts):
            ref = np.zeros((5, 4))
            for t in range(400):  # sequential float64 sums in the kernel's order: bin t lands at t + k
                ref[idx[(t + k) % 400]] += c[t]
            np.testing.assert_array_equal(out[s], ref)
            np.testing.assert_allclose(out[s], [np.roll(c, k, axis=0)[idx == b].sum(0) for b in range(5)])
    stat = lambda s: s.max(1) - s.min(1)  # noqa: E731
    got = []
    for n in (1, 2):
        monkeypatch.setattr(runtime, "worker_threads", lambda max_threads=2, n=n: n)
        got.append(shifted_null(c, idx, 5, shifts, stat, max_values=3 * 5))
    np.testing.assert_array_equal(got[0], got[1])


def test_compiled_nulls_equal_the_reference_formulas():
    """The null's compiled Skaggs information (1-D, and smoothed 2-D maps) equals skaggs_information of the
    rates, and the place-map null equals smoothing each shifted map with scipy."""
    from neurodiscovery.units import place_maps, skaggs_information
    from neurodiscovery.units.place import _maps
    from neurodiscovery.units.stats import draw_shifts
    from neurodiscovery.units.tuning import skaggs_null

    rng = np.random.default_rng(9)
    sums = rng.poisson(3.0, (6, 10, 4)).astype(float)
    occ = rng.uniform(0.5, 2.0, 10)
    ref = np.stack([skaggs_information(sums[s] / occ[:, None], occ) for s in range(6)])
    np.testing.assert_allclose(skaggs_null(sums, occ), ref, rtol=1e-12, atol=1e-15)
    from neurodiscovery.units.place import _edges
    from neurodiscovery.units.stats import shift_p_value

    t = np.arange(3000)
    pos = np.column_stack([np.sin(t / 50.0), np.cos(t / 73.0)])
    counts = rng.poisson(0.3 + 0.5 * (pos[:, :1] > 0), (3000, 3)).astype(float)
    pm = place_maps(counts, pos, 0.05, n_bins=8, n_shuffles=40, min_shift_s=1.0, seed=2)
    xe, ye = _edges(pos, None, 8, 8)
    flat = np.clip(np.digitize(pos[:, 0], xe) - 1, 0, 7) * 8 + np.clip(np.digitize(pos[:, 1], ye) - 1, 0, 7)
    s_sums = shifted_bin_sums(counts, flat, 64, draw_shifts(3000, 40, 20, 2))
    good = pm.occupancy_s >= pm.min_occupancy_s
    null = np.column_stack([skaggs_information(_maps(s_sums[:, :, u].reshape(-1, 8, 8), pm.occupancy_s, 1.5,
                                                     good)[:, good].T, pm.occupancy_s[good]) for u in range(3)])
    np.testing.assert_array_equal(pm.p_value, shift_p_value(pm.information_bits_per_spike, null))
