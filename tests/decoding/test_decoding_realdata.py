"""Targets on the built-in real head-direction recording and the synthetic reaching task."""
import numpy as np
import pytest

from neurodiscovery import datasets
from neurodiscovery._utils.errors import InputError
from neurodiscovery.decoding import cross_validate_decoders, decode_recording

HD = dict(epoch="wake", bin_size_s=0.05, bins_before=4, bins_after=4, n_splits=5, seed=0)


@pytest.fixture(scope="module")
def hd_rec():
    return datasets.load_head_direction()


def test_head_direction_linear_and_bayes(hd_rec):
    with pytest.warns(UserWarning, match="target is NaN"):
        res = decode_recording(hd_rec, "head_direction", decoders=["wiener", "kalman", "bayes"], **HD)
    assert res.config["circular"] and res.config["gap"] == 8
    assert res.config["n_nan_targets_dropped"] > 1000      # no tracking before 670 s
    w = res.row("wiener")
    assert w.r2_mean >= 0.75                              # issue target (measured 0.79)
    for d in ("wiener", "kalman", "bayes"):
        real, ctrl = res.row(d), res.row(d, "shifted")
        assert real.median_angular_error_deg < 12
        assert ctrl.median_angular_error_deg > 60
        assert real.r2_mean > ctrl.r2_mean + 0.7


@pytest.mark.slow
def test_head_direction_nonlinear_beats_wiener(hd_rec):
    res = decode_recording(hd_rec, "head_direction",
                           decoders=["wiener", "wiener_cascade", "bayes", "mlp", "gru", "lstm"], **HD)
    w = res.row("wiener").r2_mean
    best = res.best(among=("wiener_cascade", "bayes", "mlp", "gru", "lstm"))
    assert w >= 0.75
    assert best.r2_mean >= w + 0.05                       # measured: GRU 0.910 vs Wiener 0.791
    for r in res.table:
        if r.control == "none":
            assert np.isfinite(r.median_angular_error_deg)


def test_unknown_target_lists_available(hd_rec):
    with pytest.raises(InputError, match=r"unknown target 'speed'; available behaviours: .*head_direction"):
        decode_recording(hd_rec, "speed", decoders=["wiener"])
    with pytest.raises(InputError, match="unknown region"):
        decode_recording(hd_rec, "head_direction", regions=["v1"], decoders=["wiener"])


def _reaching():
    r = datasets.make_reaching(n_trials_per_condition=8, n_neurons=60, seed=0)
    n_tr, n_t, n_n = r.counts.shape
    X = r.counts.reshape(n_tr, n_t // 2, 2, n_n).sum(2)          # 20 ms bins
    V = r.velocity.reshape(n_tr, n_t // 2, 2, 2).mean(2)
    return X, V


REACH = dict(n_splits=3, bins_before=3, bins_after=2, seed=0)


def _assert_beats_shift(res, names):
    for d in names:
        real, ctrl = res.row(d), res.row(d, "shifted")
        assert real.r2_mean > ctrl.r2_mean + 0.2, d
        assert real.pearson_r2_mean > 5 * ctrl.pearson_r2_mean + 0.1, d


def test_reaching_every_fast_decoder_beats_shuffle():
    X, V = _reaching()
    names = ["wiener", "wiener_cascade", "kalman", "bayes", "mlp"]
    res = cross_validate_decoders(X, V, names, quick=True,
                                  decoder_params={"bayes": {"prior": "occupancy"},
                                                  "mlp": {"batch_size": 32, "max_epochs": 30}}, **REACH)
    _assert_beats_shift(res, names)


@pytest.mark.slow
def test_reaching_recurrent_decoders_beat_shuffle():
    X, V = _reaching()
    names = ["mlp", "gru", "lstm"]
    res = cross_validate_decoders(X, V, names, **REACH)
    _assert_beats_shift(res, names)
