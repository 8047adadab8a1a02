import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.decoding import WienerFilter
from neurodiscovery.decoding.inference import block_bootstrap_ci, ridge_shift_null
from neurodiscovery.decoding.nested import nested_cross_validate


def _population(rng, T=3000, n=20, coupled=True):
    """Poisson units cosine-tuned to a random-walk angle (or to an independent one)."""
    theta = np.mod(np.cumsum(rng.normal(0, 0.1, T)), 2 * np.pi)
    drive = theta if coupled else np.mod(np.cumsum(rng.normal(0, 0.1, T)), 2 * np.pi)
    pref = rng.uniform(0, 2 * np.pi, n)
    rate = np.exp(0.5 + 1.2 * np.cos(drive[:, None] - pref))
    return rng.poisson(rate * 0.5).astype(float), theta


def _run(X, y, **kw):
    kw = {"decoders": ("wiener", "bayes"), "circular": True, "bins_before": 1, "bins_after": 1,
          "n_permutations": 30, "n_boot": 200, "seed": 0, **kw}
    return nested_cross_validate(X, y, **kw)


def test_selection_never_reads_the_outer_test_fold(rng):
    """Poisoning the behaviour of one outer test fold leaves that fold's choice untouched."""
    X, th = _population(rng)
    a = _run(X, th, param_grid={"bayes": [{"smoothing_bins": 0.5}, {"smoothing_bins": 3.0}]}, n_permutations=0)
    for k in range(5):
        poisoned = th.copy()
        rows = a.predictions["sample_index"][a.predictions["fold"] == k]
        poisoned[rows] = np.random.default_rng(k).uniform(0, 2 * np.pi, len(rows))
        b = _run(X, poisoned, param_grid={"bayes": [{"smoothing_bins": 0.5}, {"smoothing_bins": 3.0}]}, n_permutations=0)
        assert b.chosen[k] == a.chosen[k]
        np.testing.assert_array_equal(b.validation_r2[k], a.validation_r2[k])
        # the fold's predictions do not depend on its own behaviour either; only its score does
        sel = a.predictions["fold"] == k
        np.testing.assert_array_equal(b.predictions["y_pred"][sel], a.predictions["y_pred"][sel])
        assert b.r2_folds[k] < a.r2_folds[k] - 0.5


def test_headline_has_ci_and_permutation_p(rng):
    X, th = _population(rng)
    r = _run(X, th)
    assert r.r2_pooled > 0.5
    lo, hi = r.ci.r2
    assert lo < r.r2_pooled < hi and hi - lo < 0.3
    assert 0.1 < (r.r2_pooled - lo) / (hi - lo) < 0.9  # the estimate sits inside its interval, not at an edge
    assert r.ci.median_error_deg[0] <= r.median_error_deg <= r.ci.median_error_deg[1]
    assert len(r.null_r2) == 30 and r.p_value == pytest.approx(1 / 31) == r.min_p
    assert r.null_r2.max() < 0.2
    assert set(r.chosen) <= set(r.candidates)
    assert "permutation p" in r.summary() and "(cos, sin)" in r.summary()
    d = r.to_dict()
    assert d["n_permutations"] == 30 and len(d["candidate_table"]) == 2
    assert d["n_units"] == 20 and d["null_r2_quantiles"]["95%"] == pytest.approx(r.null_quantile(0.95))
    assert "smallest attainable p 0.032" in r.summary()
    assert r.ci.method.startswith("circular block bootstrap")
    # the linear null compares the central window's R² (not the headline; close to it on a stationary recording)
    assert r.config["null_shift"] == "linear" and abs(r.null_observed_r2 - r.r2_pooled) < 0.1
    assert "linear shifts" in r.summary() and "central 60%" in r.summary()


def test_null_scheme_is_checked_and_short_recordings_roll(rng):
    X, th = _population(rng, T=300)
    with pytest.raises(InputError, match="null_shift"):
        _run(X, th, null_shift="reversed")
    r = _run(X, th, decoders=("wiener",), bins_before=4, bins_after=4, n_permutations=10)  # window too short for folds
    assert r.config["null_shift"] == "circular" and r.null_observed_r2 == pytest.approx(r.r2_pooled)


def test_bootstrap_is_centred_on_a_slow_behaviour(rng):
    """A slowly drifting behaviour: the interval surrounds the pooled R² (the resample-mean version sat below it)."""
    n = 6000
    y = np.convolve(rng.normal(size=n + 400), np.ones(400) / 20, mode="valid")[:n, None]   # slow
    p = y + rng.normal(0, 0.5 * y.std(), (n, 1))
    fold = np.repeat(np.arange(5), n // 5)
    ci = block_bootstrap_ci(y, p, fold, n_boot=500)
    est = 1 - ((y - p) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    assert 0.2 < (est - ci.r2[0]) / (ci.r2[1] - ci.r2[0]) < 0.8


def test_null_refits_the_chosen_decoder_from_scratch(rng):
    """Every null draw equals the chosen decoder refitted by hand on the shifted behaviour (pooled R²)."""
    from neurodiscovery.data import blocked_kfold
    from neurodiscovery.decoding import PoissonBayesDecoder, angles_to_cossin
    from neurodiscovery.decoding.prepare import prepare_decoding
    from neurodiscovery.decoding.shift_null import draw_shifts, refit_shift_null

    X, th = _population(rng, T=1500)
    prep = prepare_decoding(X, th, bins_before=1, bins_after=1, circular=True)
    folds = blocked_kfold(prep.n_samples, 3, gap=2)
    models = [("bayes", {}, None)] * 3
    null, schemes, obs = refit_shift_null(prep, folds, models, n_permutations=4, n_permutations_slow=2, gap=2,
                                          seed=3, quick=True, shift="circular")
    shifts = draw_shifts(prep.n_samples, 4, 2, 3)
    assert len(null) == 4 and "from scratch" in schemes[0]
    test = np.concatenate([te for _, te in folds])
    for s, k in enumerate([0, *shifts]):
        null_s = obs if s == 0 else null[s - 1]
        T, TH = np.roll(prep.target, k, axis=0), np.roll(prep.theta, k)
        pred = np.concatenate([angles_to_cossin(PoissonBayesDecoder(n_bins=36, circular=True).fit(
            prep.inputs["sum"](tr), TH[tr]).predict(prep.inputs["sum"](te))) for tr, te in folds])
        r2 = 1 - ((T[test] - pred) ** 2).sum(0) / ((T[test] - T[test].mean(0)) ** 2).sum(0)
        assert null_s == pytest.approx(r2.mean(), abs=1e-10)
    # a slow decoder in any fold caps the null at n_permutations_slow draws
    slow, _, _ = refit_shift_null(prep, folds, [models[0], models[1], ("kalman", {}, None)], n_permutations=4,
                               n_permutations_slow=2, gap=2, seed=3, quick=True)
    assert len(slow) == 2


def test_linear_null_slides_the_behaviour_over_a_central_window(rng):
    """Linear shifts: window folds of the central 60 %, target row i -> i - k with no wrap, Wiener exact."""
    from neurodiscovery.data import blocked_kfold
    from neurodiscovery.decoding.prepare import prepare_decoding
    from neurodiscovery.decoding.shift_null import draw_shifts, refit_shift_null

    X, th = _population(rng, T=1500)
    prep = prepare_decoding(X, th, bins_before=1, bins_after=1, circular=True)
    n = prep.n_samples
    folds = blocked_kfold(n, 3, gap=2)
    ests = [WienerFilter().fit(prep.inputs["flat"](tr), prep.target[tr]) for tr, _ in folds]
    null, _, obs = refit_shift_null(prep, folds, [("wiener", {}, e) for e in ests], n_permutations=6,
                                    n_permutations_slow=2, gap=2, seed=1, quick=True)
    shifts = draw_shifts(n, 6, 2, 1, max_shift=int(n * 0.2))
    assert (np.abs(shifts) >= n // 20).all() and (np.abs(shifts) <= int(n * 0.2)).all() and (shifts < 0).any()
    m = int(n * 0.2)
    win = np.arange(m, n - m)
    wf = [(win[a], win[b]) for a, b in blocked_kfold(len(win), 3, gap=2)]
    test = np.concatenate([te for _, te in wf])
    for s, k in enumerate([0, *shifts]):
        sse = 0.0
        for (tr, te), e in zip(wf, ests):
            Xtr, Xte = prep.inputs["flat"](tr), prep.inputs["flat"](te)
            w = WienerFilter(alpha=float(e.alpha_)).fit(Xtr, prep.target[tr - k])
            sse = sse + ((prep.target[te - k] - w.predict(Xte)) ** 2).sum(0)
        yt = prep.target[test - k]
        r2 = float(np.mean(1 - sse / ((yt - yt.mean(0)) ** 2).sum(0)))
        assert (obs if s == 0 else null[s - 1]) == pytest.approx(r2, abs=1e-8)


def test_null_is_the_same_on_one_or_two_threads(rng, monkeypatch):
    """Refits on shifts run two at a time (threads) give exactly the one-at-a-time null (seeded, independent)."""
    from neurodiscovery.data import blocked_kfold
    from neurodiscovery.decoding import shift_null
    from neurodiscovery.decoding.prepare import prepare_decoding

    X, th = _population(rng, T=1200, n=8)
    prep = prepare_decoding(X, th, bins_before=1, bins_after=1, circular=True)
    folds = blocked_kfold(prep.n_samples, 3, gap=2)
    models = [("mlp", {"max_epochs": 3, "hidden_size": 8}, None), ("bayes", {}, None), ("kalman", {}, None)]
    nulls = []
    for n in (1, 2):
        monkeypatch.setattr(shift_null, "null_threads", lambda *a, n=n: n)
        nulls.append(shift_null.refit_shift_null(prep, folds, models, n_permutations=4, n_permutations_slow=3,
                                                 gap=2, seed=1, quick=True)[0])
    assert len(nulls[0]) == 3
    np.testing.assert_array_equal(nulls[0], nulls[1])
    runs = []
    for n in (1, 2):  # outer folds two at a time, too
        monkeypatch.setattr(shift_null, "null_threads", lambda *a, n=n: n)
        runs.append(_run(X, th, decoders=("wiener", "bayes", "kalman"), n_permutations=3, n_permutations_slow=2,
                         n_boot=50))
    assert runs[0].chosen == runs[1].chosen
    for k in ("validation_r2", "test_r2_by_candidate", "r2_folds", "null_r2"):
        np.testing.assert_array_equal(getattr(runs[0], k), getattr(runs[1], k))


def test_unrelated_behaviour_is_not_significant(rng):
    X, th = _population(rng, coupled=False)
    r = _run(X, th, decoders=("wiener",), n_permutations=60)
    assert r.p_value > 0.05
    assert r.ci.r2[0] < 0.05


def test_ridge_shift_null_equals_refitting(rng):
    X = rng.normal(size=(400, 6))
    T = np.column_stack([np.sin(np.arange(400) / 20), np.cos(np.arange(400) / 13)])
    tr, te = np.arange(0, 300), np.arange(320, 400)
    shifts = np.array([57, 123, 250])
    wf = WienerFilter(alpha=0.3).fit(X[tr], T[tr])
    lam = 0.3 * wf._scale(X[tr] - X[tr].mean(0))
    got = ridge_shift_null(X[tr], X[te], T, tr, te, shifts, lam)
    for s, k in enumerate(shifts):
        Ts = np.roll(T, k, axis=0)
        p = WienerFilter(alpha=0.3).fit(X[tr], Ts[tr]).predict(X[te])
        r2 = 1 - ((Ts[te] - p) ** 2).sum(0) / ((Ts[te] - Ts[te].mean(0)) ** 2).sum(0)
        assert got[s] == pytest.approx(r2.mean(), abs=1e-8)


def test_block_bootstrap_narrows_with_more_data(rng):
    def ci_width(n):
        y = rng.normal(size=(n, 1))
        p = y + rng.normal(size=(n, 1))
        return np.diff(block_bootstrap_ci(y, p, np.repeat(np.arange(4), n // 4), n_boot=300).r2)[0]

    assert ci_width(8000) < 0.6 * ci_width(800)
    with pytest.raises(InputError):
        block_bootstrap_ci(np.zeros((5, 1)), np.zeros((4, 1)), np.zeros(5))


def test_bad_inputs(rng):
    X, th = _population(rng, T=300)
    with pytest.raises(InputError, match="unknown decoder"):
        _run(X, th, decoders=("nope",))
    with pytest.raises(InputError, match="too few samples"):
        _run(X[:100], th[:100])
