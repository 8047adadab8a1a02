"""Intervals at a bound (profile likelihood), bound flags, cue-combination test: planted truth."""
import json

import numpy as np
import pytest

from neurodiscovery import theory as th

PLANTED = {"sd_a": 0.2, "sd_b": 0.5, "sd_motor": 0.1}


def test_sd_at_its_bound_is_flagged_and_its_interval_reaches_zero():
    # motor noise planted at (numerically) zero: the estimate sits on the bound
    table, _ = th.simulate_observer("cue-combination", {**PLANTED, "sd_motor": 1e-9}, n_trials=100, seed=1)
    fit = th.fit_observer(table, "cue-combination", seed=1, profile=True, n_bootstrap=20)
    assert fit.at_bound == {"sd_a": False, "sd_b": False, "sd_motor": True}
    lo, hi = fit.profile_ci["sd_motor"]
    assert lo == 0.0 and 0.02 < hi < 0.5  # the data cannot exclude 0, nor motor noise up to hi
    b_lo, b_hi = fit.ci["sd_motor"]
    assert b_hi - b_lo < 1e-3  # the bootstrap from a fit at the bound is degenerate (the old answer)
    assert all(lo < fit.params[k] < hi for k, (lo, hi) in fit.profile_ci.items() if k != "sd_motor")


@pytest.mark.slow
def test_profile_interval_coverage_on_planted_parameters():
    n, hits = 40, {k: 0 for k in PLANTED}
    for seed in range(n):
        table, _ = th.simulate_observer("cue-combination", PLANTED, n_trials=60, seed=100 + seed)
        fit = th.fit_observer(table, "cue-combination", seed=seed, n_starts=2, profile=True)
        for k, v in PLANTED.items():
            hits[k] += fit.profile_ci[k][0] <= v <= fit.profile_ci[k][1]
    # 95 % intervals: fewer than 34 of 40 hits has probability < 2 % under correct coverage
    assert all(h >= 34 for h in hits.values()), hits


def _cue_table(weighting, seed):
    model = th.get_model("cue-combination" if weighting == "optimal" else "cue-equal")
    table = model.default_design(400, seed=seed)
    design = model.prepare(table)
    theta = np.array([0.1, 0.6, 0.05])
    return table.with_response(model.simulate(theta, design, np.random.default_rng(seed + 1000)))


def test_cue_weight_test_detects_equal_weighting():
    t = th.cue_weight_test(_cue_table("equal", 0), seed=0)
    pred, obs = t.predicted_weights, t.observed_weights
    assert pred["a"] > 0.9 and abs(obs["a"] - 0.5) < 0.1  # equal weights, not reliability weights
    assert not any(r["optimal inside CI"] for r in t.rows())
    assert t.sd.ci[0] > 1.0  # worse than optimal combined SD
    opt = th.cue_weight_test(_cue_table("optimal", 0), seed=0)
    assert abs(opt.observed_weights["a"] - opt.predicted_weights["a"]) < 0.1
    assert th.cue_weight_test(_cue_table("optimal", 0).subset(np.arange(800))) is None  # no combined trials


def test_observer_fit_report_shows_bounds_tradeoff_and_cue_test(tmp_path):
    from neurodiscovery.pipeline.observer import run_observer_fit

    table = _cue_table("equal", 1)
    run = run_observer_fit(table, "cue-combination", out=tmp_path / "fit", n_bootstrap=0, cv_folds=0)
    m = json.loads((run / "metrics.json").read_text())
    assert set(m["profile_ci95"]) == {"sd_a", "sd_b", "sd_motor"}
    assert m["key_numbers"]["parameters at a bound of their domain"]["of"] == 3
    assert m["n_at_bound"] == sum(m["at_bound"].values())
    assert m["cue_optimality"]["combined_sd_ratio"]["interval"][0] > 1
    assert (run / "figures" / "sensory_motor_tradeoff.png").exists()
    assert "predicted against observed" in (run / "report.html").read_text()


def test_recovery_flags_degenerate_subjects():
    rec = th.recover_parameters("cue-combination", n_subjects=4, n_trials=15, seed=3, n_starts=1)
    assert rec.at_bound.shape == (4, 3)
    flagged = {d["subject"] for d in rec.degenerate_subjects()}
    assert flagged == set(np.flatnonzero(rec.at_bound.any(axis=1)).tolist())
    for d in rec.degenerate_subjects():
        i = [rec.param_names.index(p) for p in d["parameters"]]
        assert np.all(rec.recovered[d["subject"], i] < 1e-3 * 1.0)
