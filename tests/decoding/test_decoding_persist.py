import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.decoding import (
    KalmanFilterDecoder,
    LogisticDecoder,
    MLPDecoder,
    PoissonBayesDecoder,
    WienerCascade,
    WienerFilter,
)
from neurodiscovery.decoding.persist import load_decoder, save_decoder


@pytest.fixture
def data(rng):
    X = rng.poisson(2, (400, 10)).astype(float)
    y = np.column_stack([X[:, :3].sum(1), X[:, 3:5].sum(1)]) + rng.normal(size=(400, 2))
    return X, y


@pytest.mark.parametrize("make", [lambda: WienerFilter(), lambda: WienerCascade(), lambda: KalmanFilterDecoder(),
                                  lambda: PoissonBayesDecoder(n_bins=8), lambda: PoissonBayesDecoder(circular=True)])
def test_saved_regressor_predicts_identically(tmp_path, data, make):
    X, y = data
    est = make()
    target = np.mod(y[:, 0], 2 * np.pi) if est.get_params().get("circular") else y
    est.fit(X, target)
    folder = save_decoder(est, tmp_path / "dec")
    assert (folder / "state_dict.pt").exists() and (folder / "config.json").exists()
    back = load_decoder(folder)
    assert type(back) is type(est) and back.get_params() == est.get_params()
    np.testing.assert_array_equal(back.predict(X), est.predict(X))


def test_saved_classifier_and_network(tmp_path, data):
    X, y = data
    lab = np.array(["a", "b"])[(y[:, 0] > np.median(y[:, 0])).astype(int)]
    clf = LogisticDecoder().fit(X, lab)
    back = load_decoder(save_decoder(clf, tmp_path / "clf"))
    np.testing.assert_array_equal(back.predict(X), clf.predict(X))
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    net = MLPDecoder(hidden_size=8, max_epochs=3).fit(X, y)
    back = load_decoder(save_decoder(net, tmp_path / "net"))
    np.testing.assert_array_equal(back.predict(X), net.predict(X))


def test_save_refuses_existing_folder_and_foreign_objects(tmp_path, data):
    X, y = data
    est = WienerFilter().fit(X, y)
    save_decoder(est, tmp_path / "d")
    with pytest.raises(InputError, match="exists"):
        save_decoder(est, tmp_path / "d")
    with pytest.raises(InputError, match="not dict"):
        save_decoder({}, tmp_path / "e")
