"""Gaussian-process factor analysis (Yu et al. 2009, J Neurophysiol 102:614), vectorised EM.

Each latent ``x_i(t)`` is a Gaussian process with a squared-exponential kernel of its own
timescale ``tau_i`` (plus a small fixed white part ``eps``); neurons are ``y_t = C x_t + d +
noise`` with diagonal noise ``R``. Trials of equal length share one posterior covariance,
so the E-step is a single Cholesky factorisation per distinct trial length and one matrix
product for all trials' posterior means.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.optimize import minimize
from sklearn.base import BaseEstimator, TransformerMixin

from .._utils.errors import InputError
from ._checks import check_activity, check_dim, check_n_neurons


def _kernel(T: int, tau_bins: float, eps: float) -> np.ndarray:
    d = np.arange(T)[:, None] - np.arange(T)[None, :]
    return (1 - eps) * np.exp(-(d ** 2) / (2 * tau_bins ** 2)) + eps * np.eye(T)


def _as_groups(X) -> dict[int, np.ndarray]:
    """Trials grouped by length: ``{T: (n_T, T, neurons)}``."""
    if isinstance(X, (list, tuple)):
        trials = [check_activity(x, f"trial {i}", ndim=(2,)) for i, x in enumerate(X)]
        if len({t.shape[1] for t in trials}) > 1:
            raise InputError("all trials must have the same number of neurons")
        groups: dict[int, list] = {}
        for t in trials:
            groups.setdefault(t.shape[0], []).append(t)
        return {T: np.stack(v) for T, v in groups.items()}
    a = check_activity(X, "activity")
    return {a.shape[1]: a}


class GPFA(TransformerMixin, BaseEstimator):
    """GPFA fitted by exact EM, with orthonormalised latents.

    Parameters
    ----------
    n_components : int
        Latent dimension.
    bin_size_s : float
        Bin width in seconds (only used to report timescales in seconds).
    tau_init_s : float
        Initial GP timescale in seconds.
    eps : float
        Fixed white-noise part of each GP kernel (Yu et al. use 1e-3).
    sqrt : bool
        Square-root the counts first (Yu et al.'s variance stabilisation).
    max_iter : int
        Maximum EM iterations.
    tol : float
        Stop when the relative log-likelihood change is below this.
    min_var_frac : float
        Floor of each neuron's private variance as a fraction of its total variance.
    seed : int
        Unused by the deterministic EM (kept for the package-wide interface).

    Attributes
    ----------
    C_, d_, R_ : (neurons, k), (neurons,), (neurons,)
        Loadings, offsets and private variances.
    tau_s_ : (k,)
        GP timescales in seconds.
    log_likelihood_ : float
        Training log-likelihood at convergence (natural log, summed over trials).
    ll_history_ : list of float
    n_iter_ : int
    orth_ : (k, k)
        Maps latents to orthonormalised latents (ordered by the variance they explain).
    """

    def __init__(self, n_components: int = 3, bin_size_s: float = 0.02, tau_init_s: float = 0.1,
                 eps: float = 1e-3, sqrt: bool = True, max_iter: int = 200, tol: float = 1e-6,
                 min_var_frac: float = 0.01, seed: int = 0):
        self.n_components = n_components
        self.bin_size_s = bin_size_s
        self.tau_init_s = tau_init_s
        self.eps = eps
        self.sqrt = sqrt
        self.max_iter = max_iter
        self.tol = tol
        self.min_var_frac = min_var_frac
        self.seed = seed

    # ----------------------------------------------------------------- data
    def _prep(self, X) -> dict[int, np.ndarray]:
        groups = _as_groups(X)
        if self.sqrt:
            if any(np.any(g < 0) for g in groups.values()):
                raise InputError("GPFA(sqrt=True) needs non-negative counts")
            groups = {T: np.sqrt(g) for T, g in groups.items()}
        return groups

    # --------------------------------------------------------------- E-step
    def _estep(self, groups, C, d, R, tau_bins, stats: bool = True):
        p = C.shape[1]
        CR = C / R[:, None]
        CRC = C.T @ CR
        ll, out = 0.0, {}
        for T, Y in groups.items():
            Kinv = np.zeros((p * T, p * T))
            logdet_k = 0.0
            for i in range(p):
                cf = cho_factor(_kernel(T, tau_bins[i], self.eps), lower=True)
                sl = slice(i * T, (i + 1) * T)
                Kinv[sl, sl] = cho_solve(cf, np.eye(T))
                logdet_k += 2 * np.log(np.diag(cf[0])).sum()
            M = Kinv + np.kron(CRC, np.eye(T))
            cf = cho_factor(M, lower=True)
            Sigma = cho_solve(cf, np.eye(p * T))
            Yc = Y - d
            b = (Yc @ CR).transpose(0, 2, 1).reshape(len(Y), p * T)
            mean = b @ Sigma
            n, q = len(Y), Y.shape[2]
            quad = np.einsum("ntq,ntq->", Yc, Yc / R) - np.einsum("nk,nk->", b, mean)
            logdet = T * np.log(R).sum() + logdet_k + 2 * np.log(np.diag(cf[0])).sum()
            ll += -0.5 * (n * q * T * math.log(2 * math.pi) + n * logdet + quad)
            out[T] = (mean.reshape(n, p, T), Sigma)
        return ll, out

    # --------------------------------------------------------------- M-step
    def _mstep(self, groups, post, tau_bins, var_floor):
        p = len(tau_bins)
        Sxx = np.zeros((p + 1, p + 1))
        Sxy = None
        Syy = 0.0
        N = 0
        for T, Y in groups.items():
            mean, Sigma = post[T]
            X1 = np.concatenate([mean.transpose(0, 2, 1), np.ones((len(Y), T, 1))], axis=2).reshape(-1, p + 1)
            Yf = Y.reshape(-1, Y.shape[2])
            diag_blocks = Sigma.reshape(p, T, p, T).diagonal(axis1=1, axis2=3).sum(-1)  # Σ_t Σ_t
            Sxx += X1.T @ X1
            Sxx[:p, :p] += len(Y) * diag_blocks
            Sxy = X1.T @ Yf if Sxy is None else Sxy + X1.T @ Yf
            Syy = Syy + (Yf ** 2).sum(0)
            N += len(Yf)
        Cd = np.linalg.solve(Sxx, Sxy).T
        R = (Syy - np.einsum("qk,kq->q", Cd, Sxy)) / N
        return Cd[:, :p], Cd[:, p], np.maximum(R, var_floor)

    def _learn_tau(self, groups, post, tau_bins):
        """One joint L-BFGS over all log-timescales (the objective is a sum over latents)."""
        p = len(tau_bins)
        terms = []
        for T, Y in groups.items():
            mean, Sigma = post[T]
            S = np.stack([mean[:, i, :].T @ mean[:, i, :] + len(Y) * Sigma[i * T:(i + 1) * T, i * T:(i + 1) * T]
                          for i in range(p)])
            d2 = (np.arange(T)[:, None] - np.arange(T)[None, :]) ** 2.0
            terms.append((len(Y), S, d2, np.eye(T)))

        def f(lt):
            # all latents at once: batched Cholesky and inverse of the (p, T, T) kernels
            tau = np.exp(lt)[:, None, None]
            val, grad = 0.0, np.zeros(p)
            for n, S, d2, eye in terms:
                se = (1 - self.eps) * np.exp(-d2 / (2 * tau ** 2))
                L = np.linalg.cholesky(se + self.eps * eye)
                Kinv = np.linalg.inv(se + self.eps * eye)
                dK = se * d2 / tau ** 2
                A = Kinv @ S @ Kinv
                val += n * np.log(np.diagonal(L, axis1=1, axis2=2)).sum() + 0.5 * np.sum(Kinv * S)
                grad += 0.5 * n * np.sum(Kinv * dK, axis=(1, 2)) - 0.5 * np.sum(A * dK, axis=(1, 2))
            return val, grad

        res = minimize(f, np.log(tau_bins), jac=True, method="L-BFGS-B",
                       bounds=[(math.log(0.5), math.log(1e4))] * p, options={"maxiter": 8})
        return np.exp(res.x)

    # ------------------------------------------------------------------ API
    def fit(self, X, y=None) -> GPFA:
        """Fit by EM on ``(trials, time, neurons)`` counts (or a list of ``(time, neurons)`` trials)."""
        from sklearn.decomposition import FactorAnalysis

        groups = self._prep(X)
        q = next(iter(groups.values())).shape[2]
        p = check_dim(self.n_components, q)
        if self.bin_size_s <= 0 or self.tau_init_s <= 0:
            raise InputError("bin_size_s and tau_init_s must be > 0")
        flat = np.concatenate([g.reshape(-1, q) for g in groups.values()])
        var = flat.var(0)
        if np.any(var <= 0):
            raise InputError(f"{int((var <= 0).sum())} neuron(s) never change (e.g. no spikes); drop them before GPFA")
        fa = FactorAnalysis(n_components=p, random_state=int(self.seed)).fit(flat)
        C, d, R = fa.components_.T.copy(), flat.mean(0), np.maximum(fa.noise_variance_, self.min_var_frac * var)
        tau = np.full(p, self.tau_init_s / self.bin_size_s)
        hist = []
        for it in range(int(self.max_iter)):
            ll, post = self._estep(groups, C, d, R, tau)
            hist.append(ll)
            if it > 1 and abs(hist[-1] - hist[-2]) < self.tol * abs(hist[-2]):
                break
            C, d, R = self._mstep(groups, post, tau, self.min_var_frac * var)
            tau = self._learn_tau(groups, post, tau)
        self.C_, self.d_, self.R_, self.tau_bins_ = C, d, R, tau
        self.tau_s_ = tau * self.bin_size_s
        self.log_likelihood_ = float(hist[-1])
        self.ll_history_ = [float(v) for v in hist]
        self.n_iter_ = len(hist)
        self.n_features_in_ = q
        U, s, Vt = np.linalg.svd(C, full_matrices=False)
        self.orth_ = np.diag(s) @ Vt
        self.C_orth_ = U
        return self

    def _posterior(self, X, C=None, R=None, d=None):
        groups = self._prep(X)
        for g in groups.values():
            check_n_neurons(g, self.n_features_in_, "this GPFA model")
        C = self.C_ if C is None else C
        ll, post = self._estep(groups, C, self.d_ if d is None else d, self.R_ if R is None else R, self.tau_bins_)
        return groups, ll, post

    def transform(self, X) -> np.ndarray:
        """Orthonormalised posterior-mean latents, ``(trials, time, k)`` (list in, list out)."""
        _, _, post = self._posterior(X)
        out = {T: (m.transpose(0, 2, 1) @ self.orth_.T) for T, (m, _) in post.items()}
        return self._ungroup(X, out)

    def score(self, X, y=None) -> float:
        """Log-likelihood of ``X`` under the fitted model (natural log, summed over trials)."""
        return float(self._posterior(X)[1])

    def predict_leave_neuron_out(self, X) -> np.ndarray:
        """Each neuron predicted from the posterior given all *other* neurons (Yu et al.'s cross-validation).

        Returns the prediction on the model's scale (square-rooted counts when ``sqrt=True``).
        """
        groups = self._prep(X)
        out = {T: np.empty_like(g) for T, g in groups.items()}
        q = self.n_features_in_
        for j in range(q):
            keep = np.arange(q) != j
            sub = {T: g[:, :, keep] for T, g in groups.items()}
            _, post = self._estep(sub, self.C_[keep], self.d_[keep], self.R_[keep], self.tau_bins_)
            for T, (m, _) in post.items():
                out[T][:, :, j] = m.transpose(0, 2, 1) @ self.C_[j] + self.d_[j]
        return self._ungroup(X, out)

    @staticmethod
    def _ungroup(X, out: dict[int, np.ndarray]):
        if not isinstance(X, (list, tuple)):
            return next(iter(out.values()))
        pos = {T: 0 for T in out}
        res = []
        for x in X:
            T = np.shape(x)[0]
            res.append(out[T][pos[T]])
            pos[T] += 1
        return res
