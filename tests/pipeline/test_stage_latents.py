"""The ``latents`` section: FA scored on held-out units, t-SNE trajectories, the unsupervised HD ring."""

import numpy as np
import pytest

from neurodiscovery import datasets
from neurodiscovery._utils.errors import InputError
from neurodiscovery.pipeline import AnalysisConfig, analyze, compute_analysis
from neurodiscovery.pipeline.stages.latents import LatentsResult

from .test_analyze import _check_report


def test_ring_recovers_planted_head_direction():
    rec = datasets.make_hd_place_cells(n_hd=6, n_place=6, duration_s=240, seed=1).recording
    res = compute_analysis(rec, AnalysisConfig(sections=("latents",), latent_embedding_points=300))["latents"]
    assert isinstance(res, LatentsResult) and res.source == "segments"
    ring = res.ring
    assert len(ring.unit_ids) == 6  # the planted HD units (region "hd"), not the place cells
    # offset and direction fitted on the first half of wake; error on the second half
    assert ring.median_error_deg < 25
    assert set(res.fits) == {"fa"} and res.fits["fa"].result.scores.dim == 5
    assert res.embedding.ndim == 3 and res.embedding.shape[-1] == 2
    # head direction colours the embedding as an angle (radians)
    assert res.color_label.startswith("head_direction") and np.nanmax(res.embedding_color) < 2 * np.pi


def test_unknown_latent_method_refused():
    with pytest.raises(InputError, match="unknown latent method.*bogus"):
        AnalysisConfig(latent_methods=("fa", "bogus"))
    with pytest.raises(InputError, match="latent_embedding"):
        AnalysisConfig(latent_embedding="mds")


def test_rendered_section_on_trials(tmp_path):
    rec = datasets.make_reaching(n_trials_per_condition=10, n_neurons=30, seed=2).to_recording()
    cfg = AnalysisConfig(sections=("summary", "latents"), latent_embedding_points=400)
    run = analyze(rec, out=tmp_path / "run", config=cfg, progress=False)
    sections, m = _check_report(run)
    lat = m["latents"]
    assert "latents" in sections and lat["source"] == "trials"
    assert lat["methods"]["fa"]["co_bps"] > 0  # latents predict held-out units better than their mean rates
    assert lat["ring"] is None and "head-direction" in lat["skipped_parts"]["ring"]
    assert (run / "figures" / "latent_tsne_trajectories.png").exists()
    assert "Latent co-bps (fa, held-out)" in m["key_numbers"]
