"""The issue's Done-when runs at full scale (slow: minutes of training on 2 cores)."""
import json

import pytest

from neurodiscovery.datasets import make_lorenz_population
from neurodiscovery.latents import NLBSplit, fit_and_score

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lorenz():
    return make_lorenz_population(n_trials=1000, n_time=100, n_neurons=50, seed=0)


@pytest.fixture(scope="module")
def scored(lorenz):
    split = NLBSplit.make(1000, 50, seed=0)
    out = {}
    for m in ("smoothing", "gpfa", "gaussian_vae", "poisson_vae", "seqvae"):
        out[m] = fit_and_score(m, lorenz.counts, dim=8, bin_size_s=lorenz.bin_size_s, behavior=lorenz.states,
                               split=split).scores  # every model with its default settings
        print(out[m])  # the numbers quoted in the README (visible with pytest -s)
    return out


def test_seqvae_factors_map_to_lorenz_states(scored):
    assert scored["seqvae"].behavior_r2 >= 0.9


def test_cobps_ordering(scored):
    assert scored["seqvae"].co_bps > scored["gpfa"].co_bps > scored["smoothing"].co_bps > 0


def test_poisson_vae_beats_gaussian_vae(scored):
    assert scored["poisson_vae"].co_bps > scored["gaussian_vae"].co_bps
    assert scored["poisson_vae"].recon_bps > scored["gaussian_vae"].recon_bps


def test_cli_seqvae_on_lorenz_recording(lorenz, tmp_path):
    from neurodiscovery.cli import main
    from neurodiscovery.data import write_recording

    path = tmp_path / "lorenz.npz"
    write_recording(lorenz.to_recording(), path)
    out = tmp_path / "run"
    assert main(["latents", str(path), "--method", "seqvae", "--dim", "8", "--bin-size", "0.01",
                 "--out", str(out)]) == 0
    m = json.loads((out / "metrics.json").read_text())
    print({k: m[k] for k in ("co_bps", "smoothing_co_bps", "behavior_r2", "psth_r2", "train_s", "training")})
    assert m["behavior"] == "lorenz_state" and m["behavior_r2"] >= 0.9
    assert m["co_bps"] > m["smoothing_co_bps"] > 0
    assert m["psth_r2"] is None  # Lorenz trials do not repeat conditions


def test_poisson_vae_beats_smoothing_on_400_trials():
    # the set: before, both VAEs stopped at epoch 1-3 (co-bps Gaussian 0.346, Poisson 0.378 vs smoothing
    # 0.526); measured after: Poisson VAE 0.541 (behaviour R² 0.931 vs 0.918), Gaussian VAE 0.501
    lz = make_lorenz_population(n_trials=400, n_time=100, n_neurons=50, seed=0)
    split = NLBSplit.make(400, 50, seed=0)
    s = {m: fit_and_score(m, lz.counts, dim=8, bin_size_s=lz.bin_size_s, behavior=lz.states, split=split).scores
         for m in ("smoothing", "poisson_vae")}
    assert s["poisson_vae"].co_bps > s["smoothing"].co_bps
    assert s["poisson_vae"].behavior_r2 > 0.9
