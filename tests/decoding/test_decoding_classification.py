"""Classification decoders on the synthetic reaching task (planted condition structure)."""
import numpy as np
import pytest

from neurodiscovery import datasets
from neurodiscovery._utils.errors import InputError
from neurodiscovery.decoding import LogisticDecoder, classification_metrics, cross_validate_classifiers


@pytest.fixture(scope="module")
def reach():
    r = datasets.make_reaching(n_trials_per_condition=12, n_neurons=40, seed=0)
    # features: spike counts in 100 ms windows over the trial (square-rooted)
    n_tr, n_t, n_n = r.counts.shape
    feats = np.sqrt(r.counts.reshape(n_tr, n_t // 10, 10, n_n).sum(2))
    return feats.reshape(n_tr, -1), r.conditions


def test_metrics_closed_form():
    y = np.array([0, 0, 0, 0, 1, 1, 2, 2])
    p = np.array([0, 0, 0, 1, 1, 0, 2, 2])
    m = classification_metrics(y, p)
    assert m["accuracy"] == pytest.approx(6 / 8)
    assert m["balanced_accuracy"] == pytest.approx((3 / 4 + 1 / 2 + 1) / 3)
    assert m["confusion_matrix"] == [[3, 1, 0], [1, 1, 0], [0, 0, 2]]


def test_conditions_decoded_far_above_chance(reach):
    X, cond = reach
    res = cross_validate_classifiers(X, cond, ["logistic", "mlp"], n_splits=4, seed=0, quick=True,
                                     decoder_params={"logistic": {"Cs": (0.01, 0.1)}})
    for d in ("logistic", "mlp"):
        real = next(r for r in res.table if r["decoder"] == d and r["control"] == "none")
        perm = next(r for r in res.table if r["decoder"] == d and r["control"] == "permuted")
        assert real["balanced_accuracy_mean"] > 0.8
        assert perm["balanced_accuracy_mean"] < 0.3          # chance is 1/8
        cm = np.array(res.confusion_matrices[d])
        assert cm.sum() == len(cond) and cm.shape == (8, 8)
        assert np.trace(cm) / cm.sum() == pytest.approx(real["accuracy_mean"], abs=0.05)
    assert "balanced accuracy" in res.to_markdown()
    assert res.to_json()["labels"] == list(range(8))


def test_logistic_chooses_C_on_training_trials_only(reach):
    X, cond = reach
    m = LogisticDecoder(seed=0).fit(X[:80], cond[:80])
    assert m.C_ in m.validation_scores_
    assert m.validation_scores_[m.C_] == max(m.validation_scores_.values())


def test_one_class_target():
    X = np.random.default_rng(0).normal(size=(40, 5))
    with pytest.raises(InputError, match="only one class"):
        cross_validate_classifiers(X, np.zeros(40, int), ["logistic"])
    with pytest.raises(InputError, match="only one class"):
        LogisticDecoder().fit(X, np.ones(40, int))


def test_mismatched_labels():
    with pytest.raises(InputError, match="one entry per trial"):
        cross_validate_classifiers(np.ones((10, 3)), np.arange(9) % 2, ["logistic"])
