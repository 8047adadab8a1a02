"""Observer fitting: likelihoods against brute force, planted parameters, recovery protocols."""
import numpy as np
import pytest
from scipy import stats

from neurodiscovery._utils.errors import InputError
from neurodiscovery.theory import (
    TrialTable,
    fit_observer,
    get_model,
    psychometric_function,
    recover_models,
    recover_parameters,
    simulate_observer,
    threshold_slope,
)


def test_gaussian_observer_likelihood_by_hand():
    table = TrialTable(np.array([0.3, -0.5]), np.array([0.1, -0.2]), np.array(["ab", "a"]),
                       {"a": np.array([0.4, -0.5]), "b": np.array([0.2, np.nan])})
    mu, sp, sa, sb, sm = 0.1, 0.6, 0.2, 0.5, 0.1
    m = get_model("gaussian")
    prec = np.array([1 / sp**2, 1 / sa**2, 1 / sb**2])
    w = prec / prec.sum()
    ll0 = stats.norm.logpdf(0.1, w[0] * mu + w[1] * 0.4 + w[2] * 0.2, np.sqrt(w[1]**2 * sa**2 + w[2]**2 * sb**2
                                                                               + sm**2))
    w1 = prec[:2] / prec[:2].sum()
    ll1 = stats.norm.logpdf(-0.2, w1[0] * mu + w1[1] * -0.5, np.sqrt(w1[1]**2 * sa**2 + sm**2))
    assert m.loglik([mu, sp, sa, sb, sm], m.prepare(table)) == pytest.approx(ll0 + ll1, rel=1e-12)


def test_fit_recovers_planted_cue_combination_with_intervals():
    table, true = simulate_observer("cue-combination", {"sd_a": 0.2, "sd_b": 0.6, "sd_motor": 0.1},
                                    n_trials=1500, seed=5)
    fit = fit_observer(table, "cue-combination", n_bootstrap=40, seed=1)
    assert fit.params["sd_a"] == pytest.approx(0.2, rel=0.1)
    assert fit.params["sd_b"] == pytest.approx(0.6, rel=0.1)
    for name in ("sd_a", "sd_b"):
        lo, hi = fit.ci[name]
        assert lo < fit.params[name] < hi and lo < true[name] < hi
        assert 0 < fit.se[name] < 0.1
    assert fit.bic == pytest.approx(fit.n_params * np.log(fit.n_trials) - 2 * fit.loglik)


@pytest.mark.parametrize("kind", ["gaussian", "logistic", "weibull"])
def test_psychometric_fit_recovers_threshold_and_slope(kind):
    width = 3.0 if kind == "weibull" else 0.3
    table, _ = simulate_observer("psychometric", {"threshold": 1.0, "width": width, "lapse": 0.03},
                                 n_trials=3000, seed=2, kind=kind)
    fit = fit_observer(table, "psychometric", kind=kind)
    thr, slope = threshold_slope(fit.params["threshold"], fit.params["width"], fit.params["lapse"], 0.5, kind)
    true_thr, true_slope = threshold_slope(1.0, width, 0.03, 0.5, kind)
    assert thr == pytest.approx(true_thr, rel=0.03)
    assert slope == pytest.approx(true_slope, rel=0.1)
    h = 1e-6  # slope is d psi / dx at the threshold
    num = (psychometric_function(true_thr + h, 1.0, width, 0.03, 0.5, kind)
           - psychometric_function(true_thr - h, 1.0, width, 0.03, 0.5, kind)) / (2 * h)
    assert true_slope == pytest.approx(num, rel=1e-6)
    assert psychometric_function(1.0, 1.0, width, 0.03, 0.5, kind) == pytest.approx(0.5 + 0.47 * 0.5)


def test_kalman_observer_fit_recovers_planted_noise():
    table, true = simulate_observer("kalman", {"sd_process": 0.1, "sd_measurement": 0.3, "sd_motor": 0.05},
                                    n_trials=300, seed=3)
    fit = fit_observer(table, "kalman")
    assert fit.params["sd_process"] == pytest.approx(0.1, rel=0.25)
    assert fit.params["sd_measurement"] == pytest.approx(0.3, rel=0.15)


def test_parameter_recovery_small():
    rec = recover_parameters("gaussian", n_subjects=6, n_trials=400, seed=1)
    assert rec.true.shape == rec.recovered.shape == (6, 5)
    assert rec.median_abs_error["mu_prior"] < 0.05
    assert rec.median_rel_error["sd_prior"] < 0.2


@pytest.mark.slow
def test_parameter_recovery_done_when():
    rec = recover_parameters("gaussian", n_subjects=30, n_trials=400, seed=0)
    assert rec.median_abs_error["mu_prior"] <= 0.03
    for p in ("sd_prior", "sd_a", "sd_b"):
        assert rec.median_rel_error[p] <= 0.15
    i, j = rec.param_names.index("sd_b"), rec.param_names.index("sd_motor")
    assert rec.error_correlation[i, j] < -0.3  # the sensory/motor trade-off is visible


def test_model_recovery_small():
    res = recover_models(n_subjects=2, n_trials=200, seed=2)
    assert res.confusion.sum() == 6
    assert res.accuracy >= 2 / 3


@pytest.mark.slow
def test_model_recovery_done_when():
    res = recover_models(n_subjects=30, n_trials=400, seed=0)
    assert res.accuracy >= 0.9


def test_bad_fits_are_refused():
    tiny = TrialTable(np.array([0.1, 0.2]), np.array([0.0, 0.1]), np.array(["a", "a"]))
    with pytest.raises(InputError, match="cannot constrain"):
        fit_observer(tiny, "gaussian")
    with pytest.raises(InputError, match="unknown observer model"):
        fit_observer(tiny, "bogus")
    with pytest.raises(InputError, match="0 or 1"):
        fit_observer(TrialTable(np.arange(9.0), np.full(9, 0.5), np.array(["a"] * 9)), "psychometric")
    with pytest.raises(InputError, match="outside its domain"):
        simulate_observer("gaussian", {"sd_prior": -1.0})
    with pytest.raises(InputError, match="unknown parameter"):
        simulate_observer("gaussian", {"sd_bogus": 1.0})
