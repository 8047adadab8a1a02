"""The tuning family is a pure function a Python user calls directly: planted head-direction cells are found
after Benjamini–Hochberg correction over every test."""
from types import SimpleNamespace

import numpy as np

from neurodiscovery.analyses import compute_tuning_family
from neurodiscovery.datasets import make_hd_place_cells


def test_planted_hd_cells_found_after_fdr():
    sim = make_hd_place_cells(n_hd=6, n_place=6, duration_s=240, seed=3)
    rec = sim.to_recording() if hasattr(sim, "to_recording") else sim.recording
    binned = rec.bin(bin_size_s=0.1)
    hd = rec.behavior("head_direction")
    var = SimpleNamespace(label="head_direction", name="head_direction", column=0, circular=True, units=hd.units)
    fam = compute_tuning_family(rec, binned, [var], n_shuffles=99, alpha=0.05, seed=0, primary="head_direction")
    tests = [t for t in fam.tests if t["test"] == "tuning curve"]
    assert len(tests) == rec.n_units
    q = np.array([t["q_value"] for t in tests])
    p = np.array([t["p_value"] for t in tests])
    assert (q >= p - 1e-12).all()  # BH never lowers a p-value
    hd_units = np.asarray(rec.regions) == np.asarray(rec.regions)[0]
    sig = np.array([t["significant_after_fdr"] for t in tests], bool)
    assert sig[hd_units].sum() >= 5  # planted von Mises tuning survives the correction
