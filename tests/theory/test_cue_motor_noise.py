"""The cue-optimality test on an optimal observer with motor noise: motor noise is added after the cues
are combined, so it must be removed from the single-cue SDs before predicting the combined SD."""
import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.theory import simulate_observer, test_cue_optimality
from neurodiscovery.theory.cue_test import cue_weight_test


def _ratios(motor_known: bool, n_seeds: int = 10) -> np.ndarray:
    planted = {"sd_a": 0.2, "sd_b": 0.3, "sd_motor": 0.3}
    out = []
    for seed in range(n_seeds):
        table, truth = simulate_observer("cue-combination", planted, n_trials=300, seed=seed)
        t = cue_weight_test(table, n_bootstrap=100, seed=seed, motor_sd=truth["sd_motor"] if motor_known else 0.0)
        out.append(t.sd.ratio)
    return np.array(out)


def test_optimal_observer_with_motor_noise_scores_ratio_one():
    # closed form: single-cue variances .04 + .09 = .13 and .09 + .09 = .18; the combined variance is
    # .04 * .09 / .13 + .09; combining the single-cue variances as if all sensory predicts
    # 1 / (1/.13 + 1/.18): a ratio of 1.25 for an optimal observer
    expected_biased = np.sqrt(0.04 * 0.09 / 0.13 + 0.09) / np.sqrt(1 / (1 / 0.13 + 1 / 0.18))
    assert abs(_ratios(False).mean() - expected_biased) < 0.05
    assert abs(_ratios(True).mean() - 1.0) < 0.03


def test_motor_sd_must_sit_below_single_cue_sds():
    rng = np.random.default_rng(0)
    singles = {"a": rng.normal(0, 0.2, 200), "b": rng.normal(0, 0.3, 200)}
    with pytest.raises(InputError, match="motor SD"):
        test_cue_optimality(singles, rng.normal(0, 0.2, 200), n_bootstrap=100, motor_sd=0.25)
    with pytest.raises(InputError, match="motor_sd"):
        test_cue_optimality(singles, rng.normal(0, 0.2, 200), n_bootstrap=100, motor_sd=-1)
