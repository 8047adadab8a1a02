import numpy as np

from neurodiscovery.units import isi_cv, isi_violations, unit_quality


def test_isi_cv_poisson_and_regular(rng):
    poisson = np.cumsum(rng.exponential(0.1, 20000))
    assert abs(isi_cv(poisson) - 1.0) < 0.03
    assert isi_cv(np.arange(0, 10, 0.1)) < 1e-9


def test_isi_violations_counts_and_contamination(rng):
    # a clean unit with an absolute refractory period of 2 ms has no violations
    clean = np.cumsum(0.002 + rng.exponential(0.05, 5000))
    v = isi_violations(clean, clean[-1])
    assert v["n_violations"] == 0 and v["contamination"] == 0
    # mixing in an independent Poisson train produces violations at the expected rate
    T = 1000.0
    unit = np.cumsum(0.002 + rng.exponential(0.1, int(T / 0.102)))
    unit = unit[unit < T]
    noise = np.sort(rng.uniform(0, T, len(unit) // 10))
    mixed = np.sort(np.r_[unit, noise])
    v = isi_violations(mixed, T, refractory_s=0.0015)
    assert v["n_violations"] > 0
    # Hill et al. estimate (small-contamination form) recovers ~ 10/110 contamination within a factor 2
    assert 0.04 < v["contamination"] < 0.2


def test_unit_quality_table(tiny_recording):
    q = unit_quality(tiny_recording)
    rows = q.rows()
    np.testing.assert_array_equal(q.n_spikes, [50, 120, 7])
    assert [r["unit_id"] for r in rows] == [10, 11, 12]
    np.testing.assert_allclose([r["rate_hz"] for r in rows], np.array([50, 120, 7]) / tiny_recording.duration_s)
