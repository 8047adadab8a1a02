import numpy as np

from neurodiscovery import datasets
from neurodiscovery.units import isi_violations, reach_direction_tuning


def test_reaching_has_refractory_period_and_baseline_between_trials():
    d = datasets.make_reaching(n_trials_per_condition=5, seed=1)
    rec = d.to_recording()
    for st in rec.spike_times:
        assert np.diff(st).min() >= d.refractory_s - 1e-12
        assert isi_violations(st, rec.duration_s)["n_violations"] == 0
    # spikes between trials (baseline), and counts are the binned spikes
    stops = rec.trials.stop_s
    gaps = np.column_stack([stops[:-1], rec.trials.start_s[1:]])
    n_iti = sum(int(np.sum((st >= a) & (st < b))) for st in rec.spike_times for a, b in gaps)
    assert n_iti > 0.5 * 8.0 * d.iti_s * len(gaps) * rec.n_units * 0.5
    assert int(d.counts.sum()) == sum(int(np.sum(np.any([(st >= a) & (st < b) for a, b in
                                                          zip(rec.trials.start_s, stops)], axis=0)))
                                      for st in rec.spike_times)


def test_reaching_rate_kept_despite_refractory(rng):
    from neurodiscovery.datasets._spiking import refractory_spikes

    rate = np.full((2000, 1), 80.0)
    st = refractory_spikes(rate, np.arange(2000) * 0.01, 0.01, 0.002, rng)[0]
    assert abs(len(st) / 20.0 - 80.0) < 4.0 and np.diff(st).min() >= 0.002


def test_reaching_units_tuned_after_fdr():
    """Done-when: >= 0.9 of the reaching units (all cosine-tuned) found tuned after FDR, defaults."""
    d = datasets.make_reaching(seed=0)
    res = reach_direction_tuning(d.to_recording())
    assert res.fraction_tuned >= 0.9
    err = np.angle(np.exp(1j * (res.preferred_direction_rad - d.preferred_direction_rad)))
    assert np.median(np.abs(err)) < np.deg2rad(30)


def test_hd_only_generator():
    gt = datasets.make_head_direction_cells(n_units=4, duration_s=60, seed=3)
    assert gt.recording.n_units == 4 and set(gt.recording.regions) == {"hd"}
    assert gt.place_centre_m.shape == (0, 2)
