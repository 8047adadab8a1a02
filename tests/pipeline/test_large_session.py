"""Large sessions: spikes read lazily by the analysis, decoders capped to the most active units."""
import numpy as np
import pytest

from neurodiscovery.data import read_nwb
from neurodiscovery.data.lazy import LazySpikeTrains
from neurodiscovery.datasets.large import make_large_session
from neurodiscovery.pipeline import AnalysisConfig, compute_analysis
from neurodiscovery.pipeline.batch_run import analyze_session
from neurodiscovery.pipeline.stages.decoding import decoding_units


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    return make_large_session(tmp_path_factory.mktemp("large") / "s.nwb", n_units=12, duration_s=300.0, seed=2)


def test_decoding_units_most_spikes_within_mask(session):
    b = read_nwb(session.path, lazy=True).bin(0.05)
    totals = b.counts.sum(0)
    assert decoding_units(b, slice(None), 12) is None  # under the cap: every unit, as before
    top = decoding_units(b, slice(None), 5)  # regions hd (0-5) and place (6-11) take turns: 3 + 2
    hd, place = np.argsort(-totals[:6], kind="stable"), 6 + np.argsort(-totals[6:], kind="stable")
    assert list(top) == sorted([*hd[:3], *place[:2]])
    mask = np.arange(12) >= 6
    sub = decoding_units(b, slice(None), 2, mask)
    assert set(sub) <= set(range(6, 12)) and totals[sub].min() >= np.sort(totals[6:])[-2]
    assert list(decoding_units(b, slice(None), 10, mask)) == list(range(6, 12))


def test_capped_decoding_of_lazy_session(session):
    rec = read_nwb(session.path, lazy=True)
    cfg = AnalysisConfig(sections=("summary", "decoding"), decoders=("wiener",), max_decoding_units=6, n_splits=3, bin_size_s=0.1,
                         n_permutations=9, n_boot=50)
    res = compute_analysis(rec, cfg)
    assert isinstance(rec.spike_times, LazySpikeTrains)
    dec = res["decoding"]
    assert any("read at most 6 of the 12 units (max_decoding_units)" in n for n in dec.notes)
    assert dec.behaviors["head_direction"].r2_pooled > 0.5  # six hd/place units still carry the heading
    assert dec.behaviors["head_direction"].config["n_units"] == 6


def test_batch_task_reads_lazily(session, tmp_path):
    out = analyze_session(session.path, tmp_path / "run", AnalysisConfig(sections=("summary",)), tmp_path / "s.log")
    assert out.ok and out.subject == "synthetic2"
    assert "read 12 units" in (tmp_path / "s.log").read_text()


def test_encoding_capped_to_most_active_units(session):
    rec = read_nwb(session.path, lazy=True)
    res = compute_analysis(rec, AnalysisConfig(sections=("encoding",), max_encoding_units=3, glm_folds=3))
    enc = res["encoding"]
    b = rec.bin(0.05)
    top = sorted(np.argsort(-b.counts.sum(0), kind="stable")[:3])
    assert enc.n_units_total == 12 and list(enc.analysis.unit_ids) == list(rec.unit_ids[top])
    assert len(enc.to_metrics()["units"]) == 3


def test_unit_cap_bounds_the_design_memory():
    """Every unit up to max_decoding_units; fewer only where one design copy would pass DESIGN_BYTES."""
    from neurodiscovery.pipeline.stages._decoding_units import DESIGN_BYTES, unit_cap

    cfg = AnalysisConfig()
    assert cfg.max_decoding_units == 300
    assert unit_cap(cfg, 12_000, 9) == (300, "max_decoding_units")        # 10 min of 50 ms bins: all 300
    assert unit_cap(cfg, 24_000, 9)[0] == 202                              # 20 min: 202 (0.35 GB per copy)
    cap, why = unit_cap(cfg, 144_000, 9)                                   # 2 hours of 50 ms bins
    assert cap * 144_000 * 9 * 8 <= DESIGN_BYTES < (cap + 1) * 144_000 * 9 * 8 and "0.35 GB" in why
