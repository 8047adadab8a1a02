"""ISBI 2012 slices 0-19, shipped U-Net: `em segment -> em trace -> morphology` with defaults.

No 3-D truth exists for these slices; what can be checked is that the default tracing does not
merge (at 50 nm sections a neurite rarely branches twice within one section, so no object may
hold more than 3 segments of one section), that long objects are traced, and that the chain runs.
"""
import csv
import json
from pathlib import Path

import numpy as np
import pytest

from neurodiscovery.cli import main

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "isbi2012_slices00-19.npz"


@pytest.mark.slow
@pytest.mark.needs_shared
def test_isbi_segment_trace_morphology_chain(tmp_path):
    if not DATA.exists():
        pytest.skip("shared ISBI data not available")
    seg, trace, morph = tmp_path / "seg", tmp_path / "trace", tmp_path / "morph"
    assert main(["em", "segment", str(DATA), "--key", "raw", "--out", str(seg)]) == 0
    assert (seg / "report.html").exists() and list((seg / "figures").glob("*.png"))
    assert main(["em", "trace", str(seg / "segmentation.npz"), "--voxel-size", "50", "4", "4",
                 "--out", str(trace)]) == 0
    m = json.loads((trace / "metrics.json").read_text())
    assert m["n_objects_spanning_ge_5_sections"] > 50
    assert m["max_segments_per_section"] <= 3
    rows = list(csv.DictReader(open(trace / "objects.csv")))
    assert max(int(r["max_segments_per_section"]) for r in rows) <= 3
    assert m["n_objects_multi_segment"] == sum(int(r["max_segments_per_section"]) > 1 for r in rows)
    sizes = np.array([int(r["size_voxels"]) for r in rows])
    assert sizes.max() < 0.2 * sizes.sum()  # no giant merged object (main's default held 71 %)
    assert "more than one segment" in (trace / "report.html").read_text()
    assert main(["morphology", str(trace / "skeletons"), "--out", str(morph)]) == 0
    lengths = [float(r["cable_length_um"]) for r in csv.DictReader(open(morph / "measures.csv"))]
    # a 2 x 2 x 1 µm volume: every skeleton is shorter than a few µm
    assert 0 < np.median(lengths) < 5 and max(lengths) < 60
