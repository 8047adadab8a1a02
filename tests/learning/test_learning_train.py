"""Rules learn on small fast runs; the estimator contract; bad input is one clear line."""
import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.learning import (
    LearningRuleClassifier,
    evaluate_rule,
    load_digits_task,
)


@pytest.fixture(scope="module")
def digits():
    return load_digits_task()


@pytest.mark.parametrize("rule,lr,epochs,floor", [
    ("backprop", 0.05, 8, 0.93), ("fa", 0.05, 8, 0.92), ("dfa", 0.05, 8, 0.92),
    ("three_factor", 0.003, 25, 0.80)])
def test_rules_learn_digits(digits, rule, lr, epochs, floor):
    clf = LearningRuleClassifier(rule, hidden_sizes=(32,), learning_rate=lr, n_epochs=epochs,
                                 alignment_every=10, seed=0).fit(digits.X_train, digits.y_train)
    assert clf.score(digits.X_test, digits.y_test) >= floor
    h = clf.history_
    assert h.train_loss[-1] < 0.6 * h.train_loss[0]
    hidden_angle = h.alignment_rad[:, 0]
    if rule == "backprop":
        np.testing.assert_allclose(hidden_angle, 0.0, atol=1e-3)  # float32 training
    else:  # the update descends: positively aligned with the gradient on average
        assert np.cos(hidden_angle[len(hidden_angle) // 2:]).mean() > 0.05
        assert np.all(hidden_angle > 1e-3)


def test_feedback_alignment_aligns_over_training(digits):
    clf = LearningRuleClassifier("fa", hidden_sizes=(32,), learning_rate=0.05, n_epochs=6,
                                 alignment_every=5, seed=1).fit(digits.X_train, digits.y_train)
    a = clf.history_.alignment_rad[:, 0]
    assert np.mean(a[-10:]) < np.mean(a[:2]) - 0.2  # radians: the forward weights learn the feedback


def test_deep_network_trains(digits):
    clf = LearningRuleClassifier("dfa", hidden_sizes=(24, 24, 24, 24), activation="tanh",
                                 learning_rate=0.02, n_epochs=6, seed=0).fit(digits.X_train, digits.y_train)
    assert clf.score(digits.X_test, digits.y_test) > 0.85
    assert clf.history_.alignment_rad.shape[1] == 5


def test_evaluate_rule_selects_on_validation(digits):
    res = evaluate_rule(digits, "backprop", hidden_sizes=(16,), seeds=2, learning_rates=(0.03, 0.1),
                        n_epochs=4)
    assert len(res.seeds) == 2 and res.sizes == (64, 16, 10)
    for s in res.seeds:
        assert s.learning_rate in (0.03, 0.1)
        assert 1 <= s.n_epochs <= 4
        assert s.val_accuracy == pytest.approx(np.nanmax(s.selection_history.val_accuracy))
        assert len(s.final_history.train_loss) == s.n_epochs  # retrained for the chosen epochs
    assert 0.8 < res.test_accuracy_mean <= 1.0
    row = res.row(reference=0.99)
    assert row["gap_to_backprop_points"] == pytest.approx(100 * (0.99 - res.test_accuracy_mean))


def test_string_labels_and_predict(rng):
    X = np.vstack([rng.normal(-1, 0.3, (40, 3)), rng.normal(1, 0.3, (40, 3))])
    y = np.array(["left"] * 40 + ["right"] * 40)
    clf = LearningRuleClassifier("fa", hidden_sizes=(8,), learning_rate=0.05, n_epochs=20).fit(X, y)
    assert set(clf.predict(X)) <= {"left", "right"}
    assert clf.score(X, y) > 0.95
    assert clf.predict_proba(X).shape == (80, 2)
    np.testing.assert_allclose(clf.predict_proba(X).sum(1), 1.0)


def test_same_seed_same_result(digits):
    kw = {"hidden_sizes": (8,), "learning_rate": 0.05, "n_epochs": 2, "seed": 3}
    a = LearningRuleClassifier("three_factor", **kw).fit(digits.X_train[:200], digits.y_train[:200])
    b = LearningRuleClassifier("three_factor", **kw).fit(digits.X_train[:200], digits.y_train[:200])
    np.testing.assert_array_equal(a.net_.weights[0], b.net_.weights[0])


@pytest.mark.parametrize("kwargs,fit_args,match", [
    ({}, (np.zeros((10, 3)), np.zeros(9)), "length mismatch"),
    ({"rule": "hebbian"}, (np.zeros((10, 3)), np.arange(10) % 2), "unknown learning rule"),
    ({"learning_rate": 0.0}, (np.zeros((10, 3)), np.arange(10) % 2), "learning_rate must be > 0"),
    ({"learning_rate": -1}, (np.zeros((10, 3)), np.arange(10) % 2), "learning_rate must be > 0"),
    ({}, (np.zeros((10, 3)), np.zeros(10)), "single class"),
    ({"activation": "step"}, (np.zeros((10, 3)), np.arange(10) % 2), "unknown activation"),
])
def test_bad_input_one_clear_line(kwargs, fit_args, match):
    with pytest.raises(InputError, match=match) as exc:
        LearningRuleClassifier(**kwargs).fit(*fit_args)
    assert "\n" not in str(exc.value)


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_divergence_is_reported():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 4)), np.arange(64) % 2
    with pytest.raises(InputError, match="diverged"):
        LearningRuleClassifier(learning_rate=1e38, n_epochs=3).fit(X, y)  # float32 overflows


def test_evaluate_without_refit_scores_best_validation_weights(digits):
    res = evaluate_rule(digits, "fa", hidden_sizes=(16,), seeds=[4], learning_rates=(0.05,), n_epochs=3,
                        refit=False)
    s = res.seeds[0]
    assert s.final_history is s.selection_history and len(s.final_history.train_loss) == 3
    assert s.val_accuracy == pytest.approx(np.nanmax(s.selection_history.val_accuracy))
