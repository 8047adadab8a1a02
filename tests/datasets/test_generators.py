import numpy as np
import pytest

from neurodiscovery import datasets
from neurodiscovery._utils.errors import InputError


def _r2(true, est):
    return 1 - np.sum((true - est) ** 2) / np.sum((true - true.mean()) ** 2)


def test_hd_tuning_recovered_from_10_minutes():
    gt = datasets.make_hd_place_cells(n_hd=12, n_place=4, seed=3)
    rec = gt.recording
    b = rec.bin(0.02)
    hd = b.behavior("head_direction")[:, 0]
    ok = np.isfinite(hd)
    edges = np.linspace(0, 2 * np.pi, 37)
    idx = np.digitize(hd[ok], edges) - 1
    occ_s = np.bincount(idx, minlength=36) * b.bin_size_s
    centres = (edges[:-1] + edges[1:]) / 2
    true = gt.hd_tuning_hz(centres)
    r2s = []
    for j in range(12):
        est = np.bincount(idx, weights=b.counts[ok, j], minlength=36) / occ_s
        r2s.append(_r2(true[:, j], est))
    assert min(r2s) >= 0.9, r2s


def test_place_fields_peak_near_planted_centre():
    gt = datasets.make_hd_place_cells(n_hd=2, n_place=6, seed=1)
    b = gt.recording.bin(0.02)
    pos = b.behavior("position")
    ok = np.isfinite(pos).all(1)
    edges = np.linspace(0, 1, 21)
    ix = np.clip(np.digitize(pos[ok, 0], edges) - 1, 0, 19)
    iy = np.clip(np.digitize(pos[ok, 1], edges) - 1, 0, 19)
    occ = np.zeros((20, 20))
    np.add.at(occ, (ix, iy), b.bin_size_s)
    for j in range(6):
        cnt = np.zeros((20, 20))
        np.add.at(cnt, (ix, iy), b.counts[ok, 2 + j])
        rate = np.where(occ > 0.5, cnt / np.maximum(occ, 1e-9), 0)
        px, py = np.unravel_index(np.argmax(rate), rate.shape)
        peak = np.array([(edges[px] + edges[px + 1]) / 2, (edges[py] + edges[py + 1]) / 2])
        assert np.linalg.norm(peak - gt.place_centre_m[j]) < 0.15


def test_reaching_preferred_directions_recovered():
    d = datasets.make_reaching(n_trials_per_condition=30, n_neurons=40, seed=2)
    # regress log mean rate during movement on reach direction (cos, sin) -> preferred direction
    move = (d.t_s > d.go_s + 0.1) & (d.t_s < d.go_s + 0.3)
    r = d.counts[:, move, :].mean(1)  # trials x neurons
    X = np.column_stack([np.ones(len(r)), np.cos(d.directions_rad[d.conditions]),
                         np.sin(d.directions_rad[d.conditions])])
    beta = np.linalg.lstsq(X, r, rcond=None)[0]
    est = np.arctan2(beta[2], beta[1])
    err = np.angle(np.exp(1j * (est - d.preferred_direction_rad)))
    # latent rotations add a condition-dependent component, so allow a spread
    assert np.median(np.abs(err)) < np.deg2rad(30)


def test_reaching_recording_has_trials():
    rec = datasets.make_reaching(n_trials_per_condition=3, seed=0).to_recording()
    assert len(rec.trials) == 24
    assert set(np.unique(rec.trials.column("condition"))) == set(range(8))
    assert rec.behavior("hand_velocity").values.shape[1] == 2


def test_lorenz_states_recoverable():
    d = datasets.make_lorenz_population(n_trials=20, n_time=100, n_neurons=40, seed=0)
    # true log-rates are linear in the states: regress states from log true rates
    X = np.log(d.rates_hz.reshape(-1, 40))
    Y = d.states.reshape(-1, 3)
    X1 = np.column_stack([np.ones(len(X)), X])
    pred = X1 @ np.linalg.lstsq(X1, Y, rcond=None)[0]
    assert min(_r2(Y[:, i], pred[:, i]) for i in range(3)) > 0.99
    # and from smoothed spike counts a linear readout still recovers most variance
    from neurodiscovery.data import gaussian_smooth

    S = gaussian_smooth(d.counts, 0.03, d.bin_size_s, axis=1).reshape(-1, 40)
    S1 = np.column_stack([np.ones(len(S)), S])
    pred = S1 @ np.linalg.lstsq(S1, Y, rcond=None)[0]
    assert np.mean([_r2(Y[:, i], pred[:, i]) for i in range(3)]) > 0.6


def test_seeded_reproducible():
    a = datasets.make_reaching(n_trials_per_condition=2, seed=7)
    b = datasets.make_reaching(n_trials_per_condition=2, seed=7)
    np.testing.assert_array_equal(a.counts, b.counts)


def test_builtin_head_direction_loads_without_shared():
    rec = datasets.load_head_direction()
    assert rec.n_units == 15 and "head_direction" in rec.behavior_names


def test_unknown_dataset():
    with pytest.raises(InputError, match="available: head_direction"):
        datasets.load("mnist")
