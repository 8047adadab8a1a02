"""Issue 28's bar: the default sorter on a generated 32-channel, 10-unit, 2-minute recording detects at least 7
units with accuracy >= 0.8 against ground truth, and ``analyze`` runs to a report on the NWB ``sort`` writes."""
from __future__ import annotations

import numpy as np
import pytest

si = pytest.importorskip("spikeinterface.full")

from neurodiscovery.cli import main
from neurodiscovery.data import read_recording


@pytest.mark.slow
def test_sort_recovers_ground_truth_and_analyze_reads_it(tmp_path, capsys):
    rec, gt = si.generate_ground_truth_recording(durations=[120.0], num_channels=32, num_units=10, seed=0)
    rec.save(folder=tmp_path / "raw", n_jobs=1, progress_bar=False)
    run = tmp_path / "run"
    assert main(["sort", str(tmp_path / "raw"), "--out", str(run)]) == 0
    for f in ("units.nwb", "units.csv", "metrics.json", "report.html", "config.json"):
        assert (run / f).is_file()
    every = read_recording(run / "units.nwb", all_units=True)
    fs = gt.get_sampling_frequency()
    found = si.NumpySorting.from_unit_dict({str(u): np.round(t * fs).astype(np.int64)
                                            for u, t in zip(every.unit_ids, every.spike_times)}, fs)
    cmp = si.compare_sorter_to_ground_truth(gt, found, exhaustive_gt=True)
    assert len(cmp.get_well_detected_units(well_detected_score=0.8)) >= 7
    good = read_recording(run / "units.nwb")
    assert 0 < good.n_units <= every.n_units
    assert set(np.unique(every.unit_columns["quality"])) <= {"good", "bad"}
    capsys.readouterr()
    assert main(["analyze", str(run / "units.nwb"), "--quick", "--no-progress", "--out", str(tmp_path / "a")]) == 0
    assert (tmp_path / "a" / "report.html").is_file()
