"""scikit-learn estimator checks.

Every decoder passes ``check_estimator`` except where documented below:

* ``PoissonBayesDecoder`` needs non-negative counts: it carries the ``positive_only``
  input tag, so the checks feed it non-negative data.
* ``KalmanFilterDecoder`` treats rows as consecutive time samples; predicting one row
  at a time therefore differs from predicting them all at once (the filter carries its
  state), so the subset-invariance checks are expected failures.
* The torch decoders pass but take ~1 min each: marked slow.
"""
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from neurodiscovery.decoding import (
    GRUDecoder,
    KalmanFilterDecoder,
    LogisticDecoder,
    LSTMDecoder,
    MLPClassifierDecoder,
    MLPDecoder,
    PoissonBayesDecoder,
    WienerCascade,
    WienerFilter,
)

KALMAN_XFAIL = {
    "check_methods_subset_invariance": "filter state carries over between consecutive rows",
    "check_methods_sample_order_invariance": "rows are time-ordered samples of one filter run",
}


def _expected(est):
    if isinstance(est, KalmanFilterDecoder):
        return KALMAN_XFAIL
    if isinstance(est, PoissonBayesDecoder):
        return {"check_regressor_multioutput": "decodes 1-D or 2-D behaviour (a grid over >2 dims is too large)"}
    return {}


FAST = [WienerFilter(), WienerCascade(), KalmanFilterDecoder(), KalmanFilterDecoder(steady_state=True),
        LogisticDecoder(Cs=(0.1, 1.0, 10.0)), PoissonBayesDecoder()]
SLOW = [MLPDecoder(hidden_size=16, max_epochs=100, batch_size=32),
        GRUDecoder(hidden_size=16, max_epochs=100, batch_size=32),
        LSTMDecoder(hidden_size=16, max_epochs=100, batch_size=32),
        MLPClassifierDecoder(hidden_size=16, max_epochs=30)]


@parametrize_with_checks(FAST, expected_failed_checks=_expected)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.slow
@parametrize_with_checks(SLOW, expected_failed_checks=_expected)
def test_sklearn_compatible_torch(estimator, check):
    check(estimator)
