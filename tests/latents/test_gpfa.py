import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.latents import GPFA
from neurodiscovery.latents.gpfa import _kernel


def _planted(rng, n=40, T=40, q=15, taus=(2.5, 8.0)):
    p = len(taus)
    C = rng.normal(0, 1, (q, p))
    d = rng.uniform(1, 2, q)
    R = rng.uniform(0.1, 0.3, q)
    X = np.stack([np.stack([rng.multivariate_normal(np.zeros(T), _kernel(T, t, 1e-3)) for t in taus], 1)
                  for _ in range(n)])
    Y = X @ C.T + d + rng.normal(0, 1, (n, T, q)) * np.sqrt(R)
    return Y, C, R, np.array(taus)


def test_gpfa_recovers_planted_model(rng):
    Y, C, R, taus = _planted(rng)
    m = GPFA(2, bin_size_s=1.0, tau_init_s=5.0, sqrt=False, max_iter=60, tol=1e-7).fit(Y)
    assert np.all(np.diff(m.ll_history_) > -1e-6 * abs(m.ll_history_[0]))  # EM never decreases the likelihood
    assert np.allclose(np.sort(m.tau_s_), taus, rtol=0.2)
    P, Ph = C @ np.linalg.pinv(C), m.C_ @ np.linalg.pinv(m.C_)
    assert np.abs(P - Ph).max() < 0.05
    assert np.allclose(m.R_, R, atol=0.06)
    Z = m.transform(Y)
    assert Z.shape == (len(Y), Y.shape[1], 2)
    # orthonormalised latents are ordered by the variance they explain
    assert Z[..., 0].var() > Z[..., 1].var()


def test_gpfa_leave_neuron_out_beats_mean(rng):
    Y, *_ = _planted(rng, n=20)
    m = GPFA(2, bin_size_s=1.0, sqrt=False, max_iter=30).fit(Y[:15])
    pred = m.predict_leave_neuron_out(Y[15:])
    err = ((pred - Y[15:]) ** 2).mean()
    assert err < 0.6 * ((Y[15:] - m.d_) ** 2).mean()
    # trials of different lengths go through the same model
    out = m.transform([Y[15], Y[16][:25]])
    assert [o.shape for o in out] == [(40, 2), (25, 2)]
    assert m.score(Y[15:]) > GPFA(2, bin_size_s=1.0, sqrt=False, max_iter=1).fit(Y[:15]).score(Y[15:])


def test_gpfa_bad_input(rng):
    counts = rng.poisson(1.0, (5, 10, 4)).astype(float)
    with pytest.raises(InputError, match="larger than the number of neurons"):
        GPFA(5).fit(counts)
    bad = counts.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        GPFA(2).fit(bad)
    m = GPFA(2, max_iter=3).fit(counts)
    with pytest.raises(InputError, match="fitted on 4 neurons"):
        m.transform(counts[:, :, :3])


def test_gpfa_log_likelihood_is_the_exact_marginal(rng):
    """The E-step's log-likelihood equals a brute-force multivariate normal on the stacked trial."""
    from scipy.stats import multivariate_normal

    Y, *_ = _planted(rng, n=3, T=12, q=5)
    m = GPFA(2, bin_size_s=1.0, sqrt=False, max_iter=5).fit(Y)
    T = Y.shape[1]
    cov = np.kron(np.eye(T), np.diag(m.R_))
    for i in range(2):
        cov += np.kron(_kernel(T, m.tau_bins_[i], m.eps), np.outer(m.C_[:, i], m.C_[:, i]))
    brute = sum(multivariate_normal(np.tile(m.d_, T), cov).logpdf(y.ravel()) for y in Y)
    assert m.score(Y) == pytest.approx(brute, rel=1e-9)


def test_gpfa_timescale_step_reaches_the_brute_force_optimum(rng):
    """Repeated Newton steps on fixed posterior moments land on each latent's exact minimiser."""
    from scipy.optimize import minimize_scalar

    Y, *_ = _planted(rng, n=10, T=30, q=8)
    m = GPFA(2, bin_size_s=1.0, tau_init_s=4.0, sqrt=False, max_iter=3).fit(Y)
    groups = m._prep(Y)
    _, post = m._estep(groups, m.C_, m.d_, m.R_, m.tau_bins_)
    mean, Sigma = post[30]
    tau = np.array([2.0, 20.0])
    for _ in range(15):
        tau = m._learn_tau(groups, post, tau)
    for i in range(2):
        S = mean[:, i].T @ mean[:, i] + len(Y) * Sigma[i * 30:(i + 1) * 30, i * 30:(i + 1) * 30]

        def objective(lt):
            K = _kernel(30, np.exp(lt), m.eps)
            return 0.5 * len(Y) * np.linalg.slogdet(K)[1] + 0.5 * np.trace(np.linalg.solve(K, S))

        best = minimize_scalar(objective, bounds=(np.log(0.5), np.log(1e4)), method="bounded",
                               options={"xatol": 1e-8}).x
        assert np.log(tau[i]) == pytest.approx(best, abs=1e-4)


def test_gpfa_runs_on_one_blas_thread_and_restores_the_setting(rng, monkeypatch):
    """OpenBLAS threads spin on GPFA's small matrices (the 10x-vs-elephant regression), so EM runs on one."""
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads():
        return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}

    seen = []
    estep = GPFA._estep
    monkeypatch.setattr(GPFA, "_estep", lambda self, *a, **k: (seen.append(blas_threads()), estep(self, *a, **k))[1])
    Y, *_ = _planted(rng, n=6, T=15, q=6)
    with threadpool_limits(2, user_api="blas"):
        m = GPFA(2, bin_size_s=1.0, sqrt=False, max_iter=3).fit(Y)
        m.transform(Y)
        assert blas_threads() == {2}  # the caller's setting is back
        seen_default = list(seen)
        seen.clear()
        GPFA(2, bin_size_s=1.0, sqrt=False, max_iter=2, n_threads=None).fit(Y)
    assert seen_default and all(s == {1} for s in seen_default)
    assert seen and all(s == {2} for s in seen)
