"""Circuit inference against a planted low-rank network; bad input gives one line."""
import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.datasets.circuits import make_planted_circuit
from neurodiscovery.dynamics import (
    fit_circuit,
    largest_principal_angle_deg,
    load_circuit,
    save_circuit,
    split_trials,
)


@pytest.fixture(scope="module")
def small_circuit():
    return make_planted_circuit(n_neurons=24, rank=2, n_trials=40, n_time=40, seed=2)


def test_low_rank_fit_recovers_column_space(small_circuit):
    p = small_circuit
    fit = fit_circuit(p.activity, p.inputs, model="low_rank", rank=2, alpha=p.alpha, max_epochs=15, seed=0)
    assert largest_principal_angle_deg(fit.column_space, p.m) < 15
    assert largest_principal_angle_deg(fit.input_weights, p.input_weights) < 15
    assert fit.r2_test > 0.9
    assert fit.connectivity.shape == (24, 24) and np.linalg.matrix_rank(fit.connectivity, tol=1e-6) == 2


def test_latent_circuit_embedding_is_orthonormal(small_circuit):
    p = small_circuit
    fit = fit_circuit(p.activity, p.inputs, model="latent", n_latent=p.latent_dim, alpha=p.alpha, max_epochs=5)
    q = fit.embedding
    assert np.allclose(q.T @ q, np.eye(p.latent_dim), atol=1e-5)
    # the activity lives in span(m, B): the embedding must hold nearly all of its variance
    clean = p.clean.reshape(-1, 24) - p.clean.reshape(-1, 24).mean(0)
    assert np.sum((clean @ q) ** 2) / np.sum(clean ** 2) > 0.99
    assert fit.r2_test > 0.9


def test_checkpoint_of_another_size_is_one_line(small_circuit, tmp_path):
    p = small_circuit
    fit = fit_circuit(p.activity, p.inputs, max_epochs=1, alpha=p.alpha)
    save_circuit(fit, tmp_path / "m")
    net = load_circuit(tmp_path / "m", n_observed=24, n_inputs=3)
    assert net.n_units == 24
    with pytest.raises(InputError, match="24 neurons but the data has 30"):
        load_circuit(tmp_path / "m", n_observed=30)


def test_bad_inputs(small_circuit):
    p = small_circuit
    with pytest.raises(InputError, match="fewer than the 3 blocks"):
        split_trials(2)
    with pytest.raises(InputError, match="same trials and time bins"):
        fit_circuit(p.activity, p.inputs[:, :-1])
    with pytest.raises(InputError, match="model must be"):
        fit_circuit(p.activity, p.inputs, model="rank2")
