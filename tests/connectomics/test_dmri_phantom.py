"""Phantom signal equals dipy's multi-tensor model; tracking recovers the planted wiring."""
import numpy as np
import pytest

pytest.importorskip("dipy")
from dipy.core.gradients import gradient_table
from dipy.sims.voxel import multi_tensor

from neurodiscovery.connectomics import dmri
from neurodiscovery.connectomics.dmri.phantom import (
    FIBRE_EVALS,
    _gradient_scheme,
    tensor_signal,
)


def test_tensor_signal_equals_dipy_multi_tensor():
    bvals, bvecs = _gradient_scheme()
    gtab = gradient_table(bvals, bvecs=bvecs)
    rng = np.random.default_rng(0)
    d = rng.normal(size=(5, 2, 3))
    d /= np.linalg.norm(d, axis=2, keepdims=True)
    fr = np.c_[np.linspace(0.2, 0.8, 5), 1 - np.linspace(0.2, 0.8, 5)]
    ours = tensor_signal(bvals, bvecs, d, fr)
    for v in range(5):
        ref, _ = multi_tensor(gtab, np.array([FIBRE_EVALS] * 2), S0=100.0, angles=d[v],
                              fractions=100 * fr[v], snr=None)
        np.testing.assert_allclose(ours[v], ref, rtol=1e-10)


@pytest.fixture(scope="module")
def phantom20():
    return dmri.make_phantom(snr=20, seed=0)


def test_phantom_layout(phantom20):
    ph = phantom20
    assert ph.dwi.data.shape == (44, 50, 8, 70) and ph.parcellation.n_regions == 8
    truth = ph.true_adjacency()
    assert truth.sum() == 6 and (truth == truth.T).all() and not truth.diagonal().any()
    assert (ph.fibre_count == 2).sum() > 0  # a crossing exists
    # the noise is Rician with sigma = S0 / SNR: air voxels have mean sigma * sqrt(pi / 2)
    air = ph.dwi.data[0, 0, :, :]
    assert air.mean() == pytest.approx(5.0 * np.sqrt(np.pi / 2), rel=0.05)
    again = dmri.make_phantom(snr=20, seed=0)
    np.testing.assert_array_equal(again.dwi.data, ph.dwi.data)


def test_tensor_fa_in_bundles_and_background(phantom20):
    ph = phantom20
    t = dmri.fit_tensor(ph.dwi, dmri.brain_mask(ph.dwi))
    single = ph.fibre_count == 1
    # FA of the noise-free tensor (1.7, 0.3, 0.3) um^2/ms is 0.80
    assert np.median(t.fa[single]) == pytest.approx(0.80, abs=0.04)
    assert np.median(t.fa[t.mask & (ph.fibre_count == 0)]) < 0.15


def _score(ph, **cfg):
    tr = dmri.run_tractography(ph.dwi, dmri.TrackingConfig(**cfg))
    con = dmri.build_connectome(tr.streamlines, ph.parcellation, fa=tr.tensor.fa)
    return dmri.score_connectome(con, ph), con


def test_phantom_snr20_fast(phantom20):
    score, con = _score(phantom20, seeds_per_voxel=1)
    assert score.fraction_true >= 0.90
    assert score.true_edges_found == score.n_true_edges == 3 and not score.missing_edges
    assert score.false_edge_streamlines == sum(con.counts[con.names.index(a), con.names.index(b)]
                                               for a, b in score.false_edges)
    # along the bundles FA is high; along the edges it is reported per edge
    assert np.nanmin(con.mean_fa[con.counts > 0]) > 0.6


@pytest.mark.slow
@pytest.mark.parametrize("snr, algorithm, floor", [(20, "deterministic", 0.90), (10, "deterministic", 0.85)])
def test_phantom_accuracy_default_settings(snr, algorithm, floor):
    ph = dmri.make_phantom(snr=snr, seed=1)
    score, _ = _score(ph, algorithm=algorithm)
    assert score.fraction_true >= floor and not score.missing_edges
