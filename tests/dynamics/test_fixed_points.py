"""Fixed points against closed forms: independent bistable units (a planted 3-bit flip-flop) and linear maps."""
import numpy as np
import pytest
import torch

from neurodiscovery._utils.errors import InputError
from neurodiscovery.dynamics import find_fixed_points


def test_three_bistable_units_have_8_stable_points_and_saddles():
    # F(h) = tanh(2h) per unit: stable at ±x*, unstable at 0; 3 units -> 8 stable, 18 saddles, 1 source
    rng = np.random.default_rng(0)
    starts = rng.uniform(-1.2, 1.2, size=(400, 3))
    starts[:60] *= 0.05  # some starts near the origin, where the unstable points are
    fp = find_fixed_points(lambda h: torch.tanh(2 * h), starts, n_iter=300, lr=0.05)
    xstar = 0.957504024
    stable = fp.points[[k == "stable" for k in fp.kinds]]
    assert fp.count("stable") == 8
    assert np.allclose(np.sort(np.abs(stable).ravel()), xstar, atol=1e-6)
    assert fp.count("saddle") >= 6
    fixed = fp.speed[[k != "slow" for k in fp.kinds]]
    assert np.all(fixed < 1e-6)
    saddle = fp.n_unstable[[k == "saddle" for k in fp.kinds]]
    assert set(saddle) <= {1, 2}


def test_linear_map_classification(rng):
    c = rng.normal(size=3)
    for diag, kind in (([0.5, 0.2, -0.3], "stable"), ([1.5, 0.2, 0.1], "saddle"), ([1.5, 1.2, 2.0], "unstable")):
        a = torch.as_tensor(np.diag(diag), dtype=torch.float64)
        fp = find_fixed_points(lambda h, a=a: h @ a.T + torch.as_tensor(c), rng.normal(size=(5, 3)), n_iter=10)
        expected = np.linalg.solve(np.eye(3) - np.diag(diag), c)
        assert fp.kinds == (kind,)
        assert np.allclose(fp.points[0], expected, atol=1e-8)


def test_ring_attractor_is_marginal():
    # h -> h + 0.1 (1 - |h|²) h: every point of the unit circle is fixed, tangent eigenvalue exactly 1
    def step(h):
        return h + 0.1 * (1 - (h ** 2).sum(1, keepdim=True)) * h

    fp = find_fixed_points(step, np.array([[1.1, 0.3], [-0.2, 0.7]]), n_iter=500, lr=0.01, newton_steps=0)
    ring = [k == "marginal" for k in fp.kinds]
    assert sum(ring) == 2
    assert np.allclose(np.linalg.norm(fp.points[ring], axis=1), 1.0, atol=1e-3)


def test_wrong_state_size_is_one_line():
    w = torch.zeros(4, 4, dtype=torch.float64)
    with pytest.raises(InputError, match="number of units"):
        find_fixed_points(lambda h: torch.tanh(h @ w), np.zeros((3, 5)))
