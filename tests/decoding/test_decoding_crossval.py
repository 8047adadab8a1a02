"""cross_validate_decoders: same folds, no test leakage, shifted control, bad input."""

import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.data import blocked_kfold
from neurodiscovery.decoding import cross_validate_decoders, r2_per_output


def linear_population(T=2500, N=12, seed=0):
    """Counts driven by a smooth 2-D behaviour (so decoders have something to find)."""
    from scipy.ndimage import gaussian_filter1d

    rng = np.random.default_rng(seed)
    # smooth but aperiodic behaviour: a periodic one would survive a circular shift
    y = gaussian_filter1d(rng.normal(size=(T, 2)), 8, axis=0)
    y /= y.std(axis=0)
    W = rng.normal(size=(2, N))
    rate = np.exp(0.5 + 0.6 * y @ W)
    return rng.poisson(rate).astype(float), y


@pytest.fixture(scope="module")
def result():
    X, y = linear_population()
    return cross_validate_decoders(X, y, ["wiener", "kalman", "bayes"], n_splits=4, bins_before=2,
                                   bins_after=2, seed=0), X, y


def test_table_rows_and_metrics(result):
    res, X, y = result
    names = [(r.decoder, r.control) for r in res.table]
    assert names == [(d, c) for d in ("wiener", "kalman", "bayes") for c in ("none", "shifted")]
    for r in res.table:
        folds = [f for f in res.folds if f["decoder"] == r.decoder and f["control"] == r.control]
        assert len(folds) == 4
        assert r.r2_mean == pytest.approx(np.mean([f["r2_mean"] for f in folds]))
        assert {"r2", "pearson_r2_mean", "rmse_mean", "fit_time_s", "r2_pooled_mean"} <= set(r.to_dict())
    assert res.config["gap"] == 4            # bins_before + bins_after
    assert res.config["n_samples"] == len(X) - 4


def test_predictions_cover_every_sample_once_in_time_order(result):
    res, X, y = result
    pr = res.predictions["wiener"]
    np.testing.assert_array_equal(pr.sample_index, np.arange(2, len(X) - 2))
    np.testing.assert_array_equal(pr.y_true, y[2:-2])
    # the table's R^2 is the mean over folds of the per-fold coefficient of determination
    per_fold = [r2_per_output(pr.y_true[pr.fold == k], pr.y_pred[pr.fold == k]).mean()
                for k in range(4)]
    assert res.row("wiener").r2_mean == pytest.approx(np.mean(per_fold))


def test_every_decoder_beats_the_shifted_control(result):
    res, _, _ = result
    for d in ("wiener", "kalman", "bayes"):
        real, ctrl = res.row(d, "none"), res.row(d, "shifted")
        assert real.r2_mean > 0.5
        assert ctrl.r2_mean < 0.1
        assert ctrl.pearson_r2_mean < 0.15
    assert 2500 // 4 <= res.config["shift_offset"] <= 3 * 2500 // 4


def test_test_targets_never_reach_training():
    """Changing the targets inside one test block (and its gap) cannot change that block's predictions."""
    X, y = linear_population(T=1500, seed=1)
    kw = dict(decoders=["wiener", "kalman", "mlp"], n_splits=3, bins_before=2, bins_after=2,
              shuffle_control=False, decoder_params={"mlp": {"max_epochs": 3, "hidden_size": 8}})
    a = cross_validate_decoders(X, y, **kw)
    folds = blocked_kfold(a.config["n_samples"], 3, gap=4)
    te = folds[1][1] + 2                       # sample rows -> time bins (bins_before = 2)
    y2 = y.copy()
    y2[te] = np.random.default_rng(0).normal(size=(len(te), 2)) * 10
    b = cross_validate_decoders(X, y2, **kw)
    for d in ("wiener", "kalman", "mlp"):
        fa, fb = a.predictions[d].fold == 1, b.predictions[d].fold == 1
        np.testing.assert_allclose(a.predictions[d].y_pred[fa], b.predictions[d].y_pred[fb], atol=1e-10)
        # ... while other folds (which train on block 1) do change
        assert not np.allclose(a.predictions[d].y_pred[~fa], b.predictions[d].y_pred[~fb])


def test_circular_target_reports_angular_error():
    rng = np.random.default_rng(2)
    T = 3000
    theta = np.mod(np.cumsum(rng.normal(0, 0.1, T)), 2 * np.pi)
    pref = np.linspace(0, 2 * np.pi, 10, endpoint=False)
    X = rng.poisson(0.2 + 3 * np.exp(2 * (np.cos(theta[:, None] - pref) - 1))).astype(float)
    res = cross_validate_decoders(X, theta, ["wiener", "bayes"], circular=True, n_splits=3,
                                  bins_before=1, bins_after=1)
    assert res.config["output_names"] == ["cos", "sin"]
    for d in ("wiener", "bayes"):
        assert res.row(d).median_angular_error_deg < 30
        assert res.row(d, "shifted").median_angular_error_deg > 60
    pr = res.predictions["bayes"]
    np.testing.assert_allclose(pr.theta_true, theta[1:-1])
    md = res.to_markdown()
    assert "median |angle error|" in md and "bayes" in md
    js = res.to_json()
    assert js["config"]["circular"] is True


def test_json_round_trip(result, tmp_path):
    import json

    res, _, _ = result
    res.to_json(tmp_path / "r.json")
    back = json.loads((tmp_path / "r.json").read_text())
    assert back["table"][0]["decoder"] == "wiener"


# ---------------------------------------------------------------- bad input
def test_unknown_decoder_lists_available():
    X, y = linear_population(T=300)
    with pytest.raises(InputError, match="unknown decoder 'svm'; available: wiener"):
        cross_validate_decoders(X, y, ["svm"])


def test_too_few_samples_for_the_lags():
    X, y = linear_population(T=40)
    with pytest.raises(InputError, match="too few samples for the lags"):
        cross_validate_decoders(X, y, ["wiener"], bins_before=4, bins_after=4)
    with pytest.raises(InputError, match="too few time bins"):
        cross_validate_decoders(X[:5], y[:5], ["wiener"], bins_before=4, bins_after=4)


def test_all_zero_neurons_dropped_with_warning():
    X, y = linear_population(T=800)
    X = np.column_stack([X[:, :3], np.zeros(len(X)), X[:, 3:], np.zeros(len(X))])
    with pytest.warns(UserWarning, match=r"dropped 2 all-zero neuron\(s\) \(column index \[3, 13\]\)"):
        res = cross_validate_decoders(X, y, ["wiener"], shuffle_control=False)
    assert res.config["dropped_silent_neurons"] == [3, 13]
    assert res.config["n_neurons"] == 12


def test_nan_targets_dropped_and_counted():
    X, y = linear_population(T=800)
    y = y.copy()
    y[100:150] = np.nan
    y[500, 1] = np.nan
    with pytest.warns(UserWarning, match="dropped 51 of 792 samples whose target is NaN"):
        res = cross_validate_decoders(X, y, ["wiener"], shuffle_control=False)
    assert res.config["n_nan_targets_dropped"] == 51
    assert res.config["n_samples"] == 792 - 51
    assert not np.isin(np.r_[100:150, 500], res.predictions["wiener"].sample_index).any()


def test_nan_features_and_length_mismatch():
    X, y = linear_population(T=300)
    X[3, 2] = np.nan
    with pytest.raises(InputError, match="NaN"):
        cross_validate_decoders(X, y, ["wiener"])
    with pytest.raises(InputError, match="length mismatch"):
        cross_validate_decoders(np.ones((300, 3)), np.ones(299), ["wiener"])


def test_circular_target_needs_one_angle():
    X, y = linear_population(T=300)
    with pytest.raises(InputError, match="one angle column"):
        cross_validate_decoders(X, y, ["wiener"], circular=True)
