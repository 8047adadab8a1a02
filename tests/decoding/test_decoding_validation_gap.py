"""Stand-alone decoders hold their inner validation samples out by the spike-history window (issue 11).

With the default ``validation_gap="auto"`` no inner fit sample's window shares a time bin with
a validation sample's window: the gap is read from the lag-major design itself.
"""
import numpy as np
import pytest

from neurodiscovery.data.splits import blocked_kfold
from neurodiscovery.decoding import (
    GRUDecoder,
    KalmanFilterDecoder,
    MLPDecoder,
    WienerCascade,
    WienerFilter,
    infer_n_lags,
    lagged_design,
)
from neurodiscovery.decoding._common import validation_split

BB, BA = 3, 2  # window of 6 bins: samples closer than 6 bins apart share a bin


def _data(seed=0, n_time=600, n_neurons=7):
    rng = np.random.default_rng(seed)
    counts = rng.poisson(1.5, size=(n_time, n_neurons)).astype(float)
    X, sidx = lagged_design(counts, BB, BA, flat=True)
    y = np.sin(np.arange(n_time) / 15.0)[sidx][:, None] + 0.1 * rng.standard_normal((len(sidx), 1))
    return counts, X, y, sidx


def _windows_disjoint(sidx, fit_pos, val_pos) -> bool:
    """True if no fit sample's window [t - BB, t + BA] shares a bin with a validation sample's."""
    t_fit, t_val = sidx[fit_pos], sidx[val_pos]
    d = np.abs(t_fit[:, None] - t_val[None, :])
    return bool((d > BB + BA).all())


def test_infer_n_lags_reads_the_design_and_rejects_other_features():
    counts, X, _, sidx = _data()
    assert infer_n_lags(X, sidx) == BB + BA + 1
    assert infer_n_lags(counts) == 1  # one bin per row: no lag structure
    rng = np.random.default_rng(1)
    assert infer_n_lags(rng.standard_normal((50, 12))) == 1
    assert infer_n_lags(np.zeros((50, 12))) == 1  # all-zero data proves nothing


@pytest.mark.parametrize("make", [WienerFilter, lambda: WienerFilter(n_validation_blocks=1)])
def test_wiener_default_gap_separates_windows(make):
    _, X, y, sidx = _data()
    est = make().fit(X, y, sample_index=sidx)
    assert est.validation_gap_ == BB + BA + 1
    splits = est._validation_splits(len(X), sidx, est.validation_gap_)
    assert splits and all(_windows_disjoint(sidx, f, v) for f, v in splits)
    # the old default (no gap) lets neighbouring windows overlap: the check can fail
    old = est._validation_splits(len(X), sidx, 0)
    assert not all(_windows_disjoint(sidx, f, v) for f, v in old)


def test_wiener_cascade_and_kalman_default_gap():
    _, X, y, sidx = _data()
    casc = WienerCascade().fit(X, y, sample_index=sidx)
    assert casc.wiener_.validation_gap_ == BB + BA + 1
    kal = KalmanFilterDecoder().fit(X, y, sample_index=sidx)
    assert kal.validation_gap_ == BB + BA + 1
    splits = blocked_kfold(len(X), kal.n_validation_blocks, kal.validation_gap_)
    assert all(_windows_disjoint(sidx, f, v) for f, v in splits)


def test_torch_decoders_default_gap():
    counts, X, y, sidx = _data(n_time=300)
    mlp = MLPDecoder(hidden_size=8, max_epochs=2, batch_size=64).fit(X, y, sample_index=sidx)
    assert mlp.validation_gap_ == BB + BA + 1
    f, v = validation_split(len(X), mlp.validation_fraction, mlp.validation_gap_, sidx)
    assert _windows_disjoint(sidx, f, v)
    seq, _ = lagged_design(counts, BB, BA, flat=False)
    gru = GRUDecoder(hidden_size=4, max_epochs=1, batch_size=64).fit(seq, y, sample_index=sidx)
    assert gru.validation_gap_ == BB + BA + 1
    # an explicit gap is kept as given
    assert MLPDecoder(hidden_size=4, max_epochs=1, validation_gap=2).fit(X, y).validation_gap_ == 2


def test_bad_gap_is_an_input_error():
    from neurodiscovery._utils.errors import InputError

    _, X, y, sidx = _data(n_time=200)
    with pytest.raises(InputError, match="validation_gap"):
        WienerFilter(validation_gap="wide").fit(X, y)
    with pytest.raises(InputError, match="validation_gap"):
        KalmanFilterDecoder(validation_gap=-1).fit(X, y)
