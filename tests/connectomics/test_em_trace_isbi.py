"""ISBI 2012 slices 0-19, shipped U-Net: objects traced through >= 5 sections (no 3-D truth exists)."""
import json
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "isbi2012_slices00-19.npz"


@pytest.mark.slow
@pytest.mark.needs_shared
def test_isbi_trace_reports_long_objects(tmp_path):
    if not DATA.exists():
        pytest.skip("shared ISBI data not available")
    from neurodiscovery.connectomics.em import segment_volume
    from neurodiscovery.pipeline.em_trace import run_em_trace

    labels, bnd = segment_volume(np.load(DATA)["raw"])
    np.savez_compressed(tmp_path / "seg.npz", labels=labels, boundaries=bnd.astype(np.float16))
    from neurodiscovery.connectomics.em import TracingParams

    run = run_em_trace(tmp_path / "seg.npz", (50.0, 4.0, 4.0), out=tmp_path / "trace",
                       params=TracingParams(allow_branching=False))
    m = json.loads((run / "metrics.json").read_text())
    assert m["n_objects_spanning_ge_5_sections"] > 50
    # mutual best-partner links do not chain the dense labels into one giant object
    sizes = [int(r.split(",")[4]) for r in (run / "objects.csv").read_text().splitlines()[1:]]
    assert max(sizes) < 0.2 * sum(sizes)
    assert len(m["cable_length_nm_quartiles_long"]) == 3
    assert (run / "figures" / "object_spans.png").exists()
    assert "No 3-D ground truth" in (run / "report.html").read_text()
