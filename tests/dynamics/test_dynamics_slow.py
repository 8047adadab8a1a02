"""Done-when checks at full scale (slow: minutes on 2 cores)."""
import json

import numpy as np
import pytest
import torch

from neurodiscovery.cli import main
from neurodiscovery.data import write_recording
from neurodiscovery.datasets import make_lorenz_population, make_reaching
from neurodiscovery.datasets.circuits import make_flipflop, make_planted_circuit
from neurodiscovery.dynamics import (
    compare_forecasters,
    find_fixed_points,
    fit_circuit,
    largest_principal_angle_deg,
    select_latent_dim,
    train_task_rnn,
)

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", ["lorenz", "reaching"])
def test_forecaster_beats_baselines_at_1_and_10_bins(name):
    torch.set_num_threads(1)
    d = make_lorenz_population(seed=0) if name == "lorenz" else make_reaching(seed=0)
    res = compare_forecasters(d.counts, window=20, max_horizon=10, seed=0)
    for h in (1, 10):
        assert res.skill_at("rnn", h) > res.skill_at("var", h)
        assert res.skill_at("rnn", h) > res.skill_at("persistence", h)


@pytest.mark.parametrize("seed", range(10))
def test_jpca_cli_recovers_planted_planes_and_frequencies(seed, tmp_path):
    # 32 reach conditions (Churchland et al. 2012 used 27-108) x the default 20 trials. At the generator's default
    # 8 conditions an oracle that knows every trial's true latents and velocity misses the 1.5 Hz plane by ~10 deg
    # from the same counts (test_reaching_planes_information_limit), so < 10 deg needs more data; the errors of
    # both fall as 1/sqrt(trials) (benchmarks/jpca.py). Measured at 32 x 20, seeds 0-9 (0-0.7 s after go):
    # jPCA 3 Hz plane <= 7.1 deg, 1.5 Hz plane <= 7.9 deg, frequencies within 7 %.
    d = make_reaching(n_conditions=32, seed=seed)
    path = tmp_path / "reach.npz"
    write_recording(d.to_recording(), path)
    out = tmp_path / "run"
    assert main(["dynamics", str(path), "--method", "jpca", "--event", "go_s", "--window", "0,0.7",
                 "--behaviors", "hand_velocity", "--n-pcs", "4", "--out", str(out)]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["n_conditions"] == 32
    assert m["plane1_frequency_hz"] == pytest.approx(3.0, rel=0.1)
    assert m["plane2_frequency_hz"] == pytest.approx(1.5, rel=0.1)
    planes = np.load(out / "jpca.npz")["planes"]
    assert largest_principal_angle_deg(planes[0], d.loading[:, 2:]) < 10
    assert largest_principal_angle_deg(planes[1], d.loading[:, :2]) < 10


def test_flipflop_has_8_stable_points_and_saddles():
    torch.set_num_threads(1)
    task = make_flipflop(n_bits=3, n_trials=256, n_time=100, seed=0)
    net, _ = train_task_rnn(task.inputs, task.targets, n_units=32, alpha=1.0, lr=5e-3, batch_size=16,
                            max_epochs=150, patience=30, seed=0)
    net = net.double()
    with torch.no_grad():
        states = net(torch.as_tensor(task.inputs[:32])).reshape(-1, 32).numpy()
    rng = np.random.default_rng(0)
    starts = states[rng.choice(len(states), 256)] + 0.05 * rng.standard_normal((256, 32))
    fp = find_fixed_points(lambda h: net.step(h), starts, n_iter=500)
    assert fp.count("stable") == 8
    assert fp.count("saddle") >= 1
    fixed = np.array([k != "slow" for k in fp.kinds])
    assert np.all(fp.speed[fixed] < 1e-6)
    # each stable point stores one of the 8 bit patterns: the readout's signs differ between them
    with torch.no_grad():
        out = net.readout(torch.as_tensor(fp.points[[k == "stable" for k in fp.kinds]])).numpy()
    assert len({tuple(np.sign(o)) for o in out}) == 8


def test_planted_rank2_circuit_recovered():
    torch.set_num_threads(1)
    p = make_planted_circuit(n_neurons=60, rank=2, seed=0)
    fit = fit_circuit(p.activity, p.inputs, model="low_rank", rank=2, alpha=p.alpha, max_epochs=100, seed=0)
    assert largest_principal_angle_deg(fit.column_space, p.m) < 15
    assert fit.r2_test >= 0.9
    dim, _ = select_latent_dim(p.activity, p.inputs, dims=(3, 4, 5, 6, 7), alpha=p.alpha, max_epochs=20)
    assert dim == p.latent_dim


def test_reaching_planes_information_limit():
    """Why the jPCA test above uses 32 conditions: at the generator's default size (8 conditions x 20 trials) even
    an oracle that knows every trial's true latents and velocity, fitting each neuron's loadings by Poisson maximum
    likelihood on the same counts and window (0-0.7 s after go), misses the planted 1.5 Hz plane by more than
    10 deg on seed 0; with 4x the conditions the same oracle is well under it."""
    from sklearn.linear_model import PoissonRegressor

    go = slice(30, 100)

    def oracle_slow_plane_deg(d):
        x = np.hstack([d.latents[:, go].reshape(-1, 4), d.velocity[:, go].reshape(-1, 2)])
        y = d.counts[:, go].reshape(-1, d.counts.shape[2])
        loading = np.array([PoissonRegressor(alpha=0, max_iter=300).fit(x, y[:, i]).coef_[:4]
                            for i in range(y.shape[1])])
        return largest_principal_angle_deg(loading[:, :2], d.loading[:, :2])

    assert oracle_slow_plane_deg(make_reaching(seed=0)) > 10
    assert oracle_slow_plane_deg(make_reaching(n_conditions=32, seed=0)) < 8
