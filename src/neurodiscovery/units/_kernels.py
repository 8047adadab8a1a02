"""numba kernel for circular-shift nulls (compiled on first use, cached on disk)."""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def shifted_sums_kernel(times, weights, unit, bin_idx, shifts, out):  # pragma: no cover - compiled
    """``out[s, bin_idx[(times[i] + shifts[s]) % T], unit[i]] += weights[i]`` for all s, i.

    A spike at time bin ``t`` lands at ``t + k`` when the counts are rolled by ``k``; only
    bins with spikes are visited, so the cost is (non-zero bins) x (shifts).
    """
    T = bin_idx.shape[0]
    for s in range(shifts.shape[0]):
        k = shifts[s]
        for i in range(times.shape[0]):
            j = times[i] + k
            if j >= T:
                j -= T
            out[s, bin_idx[j], unit[i]] += weights[i]


@njit(cache=True, nogil=True)
def poisson_eta(cols, vals, w):  # pragma: no cover - compiled
    """Linear predictor of a row-sparse design: ``eta[r] = sum_k vals[r, k] * w[cols[r, k]]``."""
    n, K = cols.shape
    eta = np.empty(n)
    for r in range(n):
        s = 0.0
        for k in range(K):
            s += vals[r, k] * w[cols[r, k]]
        eta[r] = s
    return eta


@njit(cache=True, nogil=True)
def poisson_grad_hess(cols, vals, y, eta, weight, p):  # pragma: no cover - compiled
    """Gradient ``X^T W (mu - y)`` and Hessian ``X^T W diag(mu) X`` of the Poisson loss,
    ``mu = exp(eta)``, rows weighted by ``weight`` (0 leaves a row out)."""
    n, K = cols.shape
    g = np.zeros(p)
    H = np.zeros((p, p))
    for r in range(n):
        if weight[r] == 0.0:
            continue
        m = np.exp(min(eta[r], 50.0)) * weight[r]
        d = m - y[r] * weight[r]
        for a in range(K):
            ca = cols[r, a]
            va = vals[r, a]
            if va == 0.0:
                continue
            g[ca] += d * va
            mv = m * va
            for b in range(K):
                H[ca, cols[r, b]] += mv * vals[r, b]
    return g, H
