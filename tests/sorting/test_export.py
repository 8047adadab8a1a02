"""Sorted units to NWB (fast: the ground-truth sorting stands in for a sorter's output)."""
from __future__ import annotations

import numpy as np
import pytest

si = pytest.importorskip("spikeinterface.full")

from neurodiscovery.data import read_recording
from neurodiscovery.sorting import compute_analyzer, curate, sorted_recording, unit_metrics, write_units_nwb


@pytest.fixture(scope="module")
def gt_analyzer():
    rec, gt = si.generate_ground_truth_recording(durations=[12.0], num_channels=6, num_units=4, seed=3,
                                                 generate_sorting_kwargs={"firing_rates": 15.0})
    pre = si.common_reference(si.bandpass_filter(rec, freq_min=300, freq_max=6000, dtype="float32"))
    return compute_analyzer(pre, gt, seed=0), gt


def test_metrics_and_units_nwb_round_trip(gt_analyzer, tmp_path):
    an, gt = gt_analyzer
    m = unit_metrics(an)
    n = np.array([len(gt.get_unit_spike_train(u)) for u in gt.unit_ids])
    np.testing.assert_array_equal(m["num_spikes"].to_numpy(), n)  # every planted spike counted
    np.testing.assert_allclose(m["firing_rate_hz"].to_numpy(), n / 12.0)
    assert (m["isi_violations_ratio"] == 0).all()  # the generator enforces a refractory period
    assert (m["snr"] > 0).all() and set(m.columns) >= {"presence_ratio", "amplitude_cutoff", "d_prime", "l_ratio"}
    cur = curate(m, {"snr": {"greater": float(np.median(m["snr"]))}})  # half the units good, half bad
    rec, detail = sorted_recording(an, m, cur, name="gt")
    p = write_units_nwb(rec, detail, tmp_path / "units.nwb", sampling_rate_hz=gt.get_sampling_frequency(),
                        description="test")
    good = read_recording(p)
    want = [u for u, lab in zip(gt.unit_ids, cur.labels) if lab == "good"]
    assert 0 < good.n_units < len(gt.unit_ids) and good.n_units == len(want)
    fs = gt.get_sampling_frequency()
    for u, st in zip(want, good.spike_times):
        np.testing.assert_allclose(st, np.sort(gt.get_unit_spike_train(u)) / fs)
    every = read_recording(p, all_units=True)
    assert every.n_units == len(gt.unit_ids) and list(every.unit_columns["quality"]) == list(cur.labels)
    np.testing.assert_allclose(every.unit_columns["snr"], m["snr"].to_numpy())


def test_units_nwb_passes_the_nwb_inspector(gt_analyzer, tmp_path, nwb_problems):
    an, gt = gt_analyzer
    m = unit_metrics(an)
    rec, detail = sorted_recording(an, m, curate(m), name="gt")
    subject = {"subject_id": "m1", "species": "Mus musculus", "sex": "M", "age": "P90D"}  # `sort --subject-id ...`
    p = write_units_nwb(rec, detail, tmp_path / "units.nwb", sampling_rate_hz=gt.get_sampling_frequency(),
                        description="test", subject=subject)
    assert nwb_problems(p) == []
