"""Gaussian-process factor analysis (Yu et al. 2009, J Neurophysiol 102:614), vectorised EM.

Each latent ``x_i(t)`` is a Gaussian process with a squared-exponential kernel of its own
timescale ``tau_i`` (plus a small fixed white part ``eps``); neurons are ``y_t = C x_t + d +
noise`` with diagonal noise ``R``. Trials of equal length share one posterior covariance,
so the E-step is a single Cholesky factorisation (and Cholesky inverse) per distinct trial
length and one matrix product for all trials' posterior means; the data's sums and sums of
squares are formed once. The timescale update is one safeguarded Newton step per latent
(generalised EM), whose kernel inverses the next E-step reuses.
Its matrices are small: OpenBLAS threads spin longer than they save, so it runs on one BLAS thread.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.linalg.lapack import dpotrf as potrf
from scipy.linalg.lapack import dpotri as potri
from sklearn.base import BaseEstimator, TransformerMixin

from .._utils.errors import InputError
from .._utils.runtime import blas_threads as _blas_threads
from ._checks import check_activity, check_dim, check_n_neurons


def _kernel(T: int, tau_bins: float, eps: float) -> np.ndarray:
    d = np.arange(T)[:, None] - np.arange(T)[None, :]
    return (1 - eps) * np.exp(-(d ** 2) / (2 * tau_bins ** 2)) + eps * np.eye(T)


def _spd_inverses(K: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverses of a stack of SPD matrices ``(p, T, T)`` and their log-determinants ``(p,)``.

    LAPACK's Cholesky inverse (potrf + potri) per matrix: half the work of a general inverse,
    and the log-determinant comes with the factor.
    """
    out = np.empty_like(K)
    logdet = np.empty(len(K))
    for i, k in enumerate(K):
        c, info = potrf(k, lower=1)
        if info != 0:
            raise InputError("a GPFA kernel is not positive definite; increase eps")
        logdet[i] = 2 * np.log(np.diagonal(c)).sum()
        inv, _ = potri(c, lower=1, overwrite_c=1)  # lower triangle; the upper one is zero
        out[i] = inv + inv.T
        out[i].flat[::len(k) + 1] *= 0.5
    return out, logdet


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
    n_threads : int or None
        BLAS threads while fitting and inferring (restored afterwards); ``None`` keeps the process's
        setting. One thread is fastest for GPFA's small matrices (see the module docstring).

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
                 min_var_frac: float = 0.01, seed: int = 0, n_threads: int | None = 1):
        self.n_components = n_components
        self.bin_size_s = bin_size_s
        self.tau_init_s = tau_init_s
        self.eps = eps
        self.sqrt = sqrt
        self.max_iter = max_iter
        self.tol = tol
        self.min_var_frac = min_var_frac
        self.seed = seed
        self.n_threads = n_threads

    # ----------------------------------------------------------------- data
    def _prep(self, X) -> dict[int, np.ndarray]:
        groups = _as_groups(X)
        if self.sqrt:
            if any(np.any(g < 0) for g in groups.values()):
                raise InputError("GPFA(sqrt=True) needs non-negative counts")
            groups = {T: np.sqrt(g) for T, g in groups.items()}
        return groups

    # --------------------------------------------------------------- E-step
    def _kernel_inverses(self, T: int, tau_bins) -> tuple[np.ndarray, float]:
        """``K_i^{-1}`` stacked ``(p, T, T)`` and ``Σ_i log|K_i|``, reusing the timescale update's last values."""
        key = (T, self.eps, np.asarray(tau_bins, float).tobytes())
        cache = getattr(self, "_kcache", {})
        if key not in cache:
            d2 = (np.arange(T)[:, None] - np.arange(T)[None, :]) ** 2.0
            tau = np.asarray(tau_bins, float)[:, None, None]
            cache[key] = _spd_inverses((1 - self.eps) * np.exp(-d2 / (2 * tau ** 2)) + self.eps * np.eye(T))
        Kinv, logdet = cache[key]
        return Kinv, float(logdet.sum())

    @staticmethod
    def _moments(groups) -> dict:
        """Per trial length: counts as ``(samples, neurons)``, their sums and sums of squares (fixed during EM)."""
        out = {}
        for T, Y in groups.items():
            Yf = Y.reshape(-1, Y.shape[2])
            out[T] = (Yf, Yf.sum(0), np.einsum("ij,ij->j", Yf, Yf))
        return out

    def _estep(self, groups, C, d, R, tau_bins, mom: dict | None = None):
        p = C.shape[1]
        CR = C / R[:, None]
        CRC = C.T @ CR
        mom = mom or self._moments(groups)
        ll, out = 0.0, {}
        idx = np.arange(p)
        for T, Y in groups.items():
            Kinv, logdet_k = self._kernel_inverses(T, tau_bins)
            tt = np.arange(T)
            # M = blockdiag(K_i^{-1}) + CᵀR⁻¹C ⊗ I_T, the posterior precision shared by all trials of length T
            M = np.zeros((p * T, p * T))
            M4 = M.reshape(p, T, p, T)
            M4[:, tt, :, tt] = CRC
            M4[idx, :, idx, :] += Kinv
            c, info = potrf(M, lower=1, overwrite_a=1)
            if info != 0:
                raise InputError("GPFA posterior precision is not positive definite; lower n_components")
            logdet_m = 2 * np.log(np.diagonal(c)).sum()
            Sigma, _ = potri(c, lower=1, overwrite_c=1)
            Sigma += Sigma.T  # potri fills the lower triangle (the upper one is zero)
            Sigma.flat[::p * T + 1] *= 0.5
            n, q = len(Y), Y.shape[2]
            Yf, Sy, Syy = mom[T]
            b = (Yf @ CR - d @ CR).reshape(n, T, p).transpose(0, 2, 1).reshape(n, p * T)
            mean = b @ Sigma
            # Σ (y - d)ᵀ R⁻¹ (y - d) from the fixed sums, without forming y - d
            quad = np.sum((Syy - 2 * d * Sy + n * T * d ** 2) / R) - np.einsum("nk,nk->", b, mean)
            logdet = T * np.log(R).sum() + logdet_k + logdet_m
            ll += -0.5 * (n * q * T * math.log(2 * math.pi) + n * logdet + quad)
            out[T] = (mean.reshape(n, p, T), Sigma)
        return ll, out

    # --------------------------------------------------------------- M-step
    def _mstep(self, groups, post, tau_bins, var_floor, mom: dict | None = None):
        p = len(tau_bins)
        mom = mom or self._moments(groups)
        Sxx = np.zeros((p + 1, p + 1))
        Sxy = 0.0
        Syy = 0.0
        N = 0
        for T, Y in groups.items():
            mean, Sigma = post[T]
            Yf, Sy, Syy_T = mom[T]
            Xf = mean.transpose(1, 0, 2).reshape(p, -1)  # (p, trials * T), the order of Yf's rows
            diag_blocks = Sigma.reshape(p, T, p, T).diagonal(axis1=1, axis2=3).sum(-1)  # Σ_t Σ_t
            Sxx[:p, :p] += Xf @ Xf.T + len(Y) * diag_blocks
            Sxx[:p, p] += Xf.sum(1)
            Sxx[p, p] += len(Yf)
            Sxy = Sxy + np.vstack([Xf @ Yf, Sy])
            Syy = Syy + Syy_T
            N += len(Yf)
        Sxx[p, :p] = Sxx[:p, p]
        Cd = np.linalg.solve(Sxx, Sxy).T
        R = (Syy - np.einsum("qk,kq->q", Cd, Sxy)) / N
        return Cd[:, :p], Cd[:, p], np.maximum(R, var_floor)

    def _learn_tau(self, groups, post, tau_bins, n_steps: int = 4):
        """A safeguarded Newton step on each log-timescale (the objective separates over latents).

        A latent's step is kept only if it lowers that latent's objective (otherwise it is
        shrunk, up to ``n_steps`` tries), so EM never decreases the likelihood. The kernel
        inverses of the accepted timescales are kept for the next E-step.
        """
        p = len(tau_bins)
        terms = []
        for T, Y in groups.items():
            mean, Sigma = post[T]
            idx = np.arange(p)
            S = mean.transpose(1, 2, 0) @ mean.transpose(1, 0, 2) + len(Y) * Sigma.reshape(p, T, p, T)[idx, :, idx, :]
            d2 = (np.arange(T)[:, None] - np.arange(T)[None, :]) ** 2.0
            terms.append((T, len(Y), S, d2, np.eye(T)))

        def evaluate(lt, derivs: bool):
            """Objective per latent and the kernel inverses (with ``derivs``: also both derivatives).

            The kernel inverses of the current timescales come from the E-step's cache.
            """
            tau2 = np.exp(2 * lt)[:, None, None]
            f, g, h, inv = np.zeros(p), np.zeros(p), np.zeros(p), {}
            for T, n, S, d2, eye in terms:
                u = d2 / tau2
                se = (1 - self.eps) * np.exp(-0.5 * u)
                cached = self._kcache.get((T, self.eps, key)) if derivs else None
                Kinv, logdet = cached if cached is not None else _spd_inverses(se + self.eps * eye)
                inv[T] = (Kinv, logdet)
                f += 0.5 * n * logdet + 0.5 * np.einsum("pij,pij->p", Kinv, S)
                if derivs:
                    dK = se * u  # dK/dlog(tau); d²K/dlog(tau)² = dK (u - 2)
                    A = Kinv @ S @ Kinv
                    G = 0.5 * n * Kinv - 0.5 * A
                    B = Kinv @ dK
                    g += np.einsum("pij,pij->p", G, dK)
                    h += (np.einsum("pij,pij->p", G, dK * (u - 2)) - 0.5 * n * np.einsum("pij,pji->p", B, B)
                          + np.einsum("pij,pij->p", B, dK @ A))
            return f, g, h, inv

        lo, hi = math.log(0.5), math.log(1e4)
        key = np.asarray(tau_bins, float).tobytes()
        lt = np.log(np.asarray(tau_bins, float))
        f, g, h, inv = evaluate(lt, True)
        scale = np.ones(p)
        for _ in range(int(n_steps)):
            # Newton where the objective is convex, else a bounded step downhill; a rejected latent
            # retries a shorter step from the derivatives at its kept point
            step = scale * np.clip(np.where(h > 0, -g / np.where(h > 0, h, 1.0), -np.sign(g)), -1.0, 1.0)
            new = np.clip(lt + step, lo, hi)
            f2, _, _, inv2 = evaluate(new, False)
            ok = f2 <= f
            lt, f = np.where(ok, new, lt), np.where(ok, f2, f)
            inv = {T: (np.where(ok[:, None, None], inv2[T][0], inv[T][0]), np.where(ok, inv2[T][1], inv[T][1]))
                   for T in inv}
            # one accepted step per latent and EM iteration suffices (generalised EM)
            scale = np.where(ok, 0.0, 0.25 * scale)
            if not scale.any():
                break
        tau = np.exp(lt)
        self._kcache = {(T, self.eps, tau.tobytes()): (Kinv, ld) for T, (Kinv, ld) in inv.items()}
        return tau

    # ------------------------------------------------------------------ API
    def fit(self, X, y=None) -> GPFA:
        """Fit by EM on ``(trials, time, neurons)`` counts (or a list of ``(time, neurons)`` trials).

        Parameters
        ----------
        X : ndarray, shape (trials, time, neurons), or list of ndarray of shape (time, neurons)
            Spike counts per bin (square-rooted internally when ``sqrt=True``); trials in a list may differ in length.
        y : None
            Ignored (scikit-learn transformer interface).

        Returns
        -------
        GPFA
            ``self``, fitted.
        """
        with _blas_threads(self.n_threads):
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
            self._kcache = {}
            mom = self._moments(groups)
            for it in range(int(self.max_iter)):
                ll, post = self._estep(groups, C, d, R, tau, mom)
                hist.append(ll)
                if it > 1 and abs(hist[-1] - hist[-2]) < self.tol * abs(hist[-2]):
                    break
                C, d, R = self._mstep(groups, post, tau, self.min_var_frac * var, mom)
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
        with _blas_threads(self.n_threads):
            ll, post = self._estep(groups, C, self.d_ if d is None else d, self.R_ if R is None else R, self.tau_bins_)
        return groups, ll, post

    def transform(self, X) -> np.ndarray:
        """Orthonormalised posterior-mean latents, ``(trials, time, k)`` (list in, list out).

        Parameters
        ----------
        X : ndarray, shape (trials, time, neurons), or list of ndarray of shape (time, neurons)
            Spike counts per bin of the neurons the model was fitted on (square-rooted internally when ``sqrt=True``); trials in a list may differ in length.

        Returns
        -------
        ndarray, shape (trials, time, k), or list of ndarray of shape (time, k)
            Latents ordered by the variance they explain, in the form ``X`` came in.
        """
        _, _, post = self._posterior(X)
        out = {T: (m.transpose(0, 2, 1) @ self.orth_.T) for T, (m, _) in post.items()}
        return self._ungroup(X, out)

    def score(self, X, y=None) -> float:
        """Log-likelihood of ``X`` under the fitted model (natural log, summed over trials).

        Parameters
        ----------
        X : ndarray, shape (trials, time, neurons), or list of ndarray of shape (time, neurons)
            Spike counts per bin (square-rooted internally when ``sqrt=True``); trials in a list may differ in length.
        y : None
            Ignored (scikit-learn interface).

        Returns
        -------
        float
            Log-likelihood of the (square-rooted when ``sqrt=True``) counts, in nats.
        """
        return float(self._posterior(X)[1])

    def predict_leave_neuron_out(self, X) -> np.ndarray:
        """Each neuron predicted from the posterior given all *other* neurons (Yu et al.'s cross-validation).

        Parameters
        ----------
        X : ndarray, shape (trials, time, neurons), or list of ndarray of shape (time, neurons)
            Spike counts per bin (square-rooted internally when ``sqrt=True``); trials in a list may differ in length.

        Returns
        -------
        ndarray, shape (trials, time, neurons), or list of ndarray of shape (time, neurons)
            The prediction on the model's scale (square-rooted counts when ``sqrt=True``), in the form ``X``
            came in.
        """
        groups = self._prep(X)
        out = {T: np.empty_like(g) for T, g in groups.items()}
        q = self.n_features_in_
        with _blas_threads(self.n_threads):
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
