"""Linear-algebra pieces of jPCA: skew-symmetric fits, rotation planes, noise-robust axes and
instrumented designs, and the joint removal of behaviour encoding (used by :func:`.jpca.jpca`).
"""
from __future__ import annotations

import numpy as np

from .._utils.errors import InputError


def _skew_basis(k: int) -> np.ndarray:
    """(k(k-1)/2, k, k) basis of the skew-symmetric matrices."""
    iu = np.triu_indices(k, 1)
    out = np.zeros((len(iu[0]), k, k))
    for n, (i, j) in enumerate(zip(*iu)):
        out[n, i, j], out[n, j, i] = 1.0, -1.0
    return out


def fit_skew_symmetric(x: np.ndarray, dx: np.ndarray) -> np.ndarray:
    """Least-squares skew-symmetric ``M`` minimising ``|dx - x M|²`` (closed form).

    Parameters
    ----------
    x, dx : ndarray, shape (samples, k)

    Returns
    -------
    ndarray, shape (k, k), with ``M = -M.T``.
    """
    k = x.shape[1]
    basis = _skew_basis(k)
    # each skew basis matrix maps x to a design column; the problem is ordinary least squares
    design = np.einsum("sk,bkj->sjb", x, basis).reshape(-1, len(basis))
    coef, *_ = np.linalg.lstsq(design, dx.reshape(-1), rcond=None)
    return np.einsum("b,bij->ij", coef, basis)


def _r2(dx: np.ndarray, pred: np.ndarray) -> float:
    return float(1.0 - np.sum((dx - pred) ** 2) / np.sum((dx - dx.mean(0)) ** 2))


def _rotation_planes(m_skew: np.ndarray):
    """Real orthonormal planes and angular speeds (rad per unit time) of a skew-symmetric matrix."""
    vals, vecs = np.linalg.eig(m_skew)
    order = np.argsort(-vals.imag)
    planes, omegas = [], []
    for i in order:
        if vals[i].imag <= 1e-12:
            continue
        v = vecs[:, i]
        q, _ = np.linalg.qr(np.stack([v.real, v.imag], 1))
        # orient the basis so that x M rotates from the first axis toward the second
        if q[:, 0] @ m_skew @ q[:, 1] < 0:
            q[:, 1] *= -1
        planes.append(q)
        omegas.append(vals[i].imag)
    return planes, np.asarray(omegas)


def remove_behavior_encoding(x: np.ndarray, behavior: np.ndarray, bin_size_s: float, n_pcs: int,
                             n_iter: int = 50, whiten: bool = True) -> np.ndarray:
    """Remove instantaneous behaviour encoding consistent with rotational latent dynamics.

    Model: ``x = z + b W`` (condition-mean-subtracted), where the latent part ``z`` obeys
    ``dz/dt = z A`` with ``A = P M Pᵀ`` skew-symmetric inside the top ``n_pcs`` PCs of ``z``
    and ``b W`` encodes behaviour (e.g. hand velocity) instantaneously. Plain regression of
    ``x`` on ``b`` would also strip the part of the latent trajectories that correlates with
    behaviour (and so bend their rotation); here ``W`` and ``M`` are fitted jointly by
    alternating least squares, so only what the dynamics cannot explain is attributed to
    behaviour.

    Parameters
    ----------
    x : ndarray, shape (conditions, time, neurons)
    behavior : ndarray, shape (conditions, time, features)
    bin_size_s : float
    n_pcs : int
    n_iter : int
        Alternations (the fit changes little after a few dozen).

    Returns
    -------
    ndarray, shape (conditions, time, neurons)
        ``x - b W`` (condition mean subtracted).
    """
    y_full, v = x - x.mean(0), behavior - behavior.mean(0)
    f = v.shape[-1]
    # alternate inside a small PC space holding both latents and behaviour encoding: the
    # Kronecker system grows with the square of its dimension
    q = min(y_full.shape[-1], n_pcs + 2 * f + 2)
    basis = np.linalg.svd(y_full.reshape(-1, y_full.shape[-1]), full_matrices=False)[2][:q].T
    y = y_full @ basis
    dy, ym = np.diff(y, axis=1).reshape(-1, q) / bin_size_s, (0.5 * (y[:, 1:] + y[:, :-1])).reshape(-1, q)
    dv, vm = np.diff(v, axis=1).reshape(-1, f) / bin_size_s, (0.5 * (v[:, 1:] + v[:, :-1])).reshape(-1, f)
    w = np.zeros((f, q))
    for _ in range(int(n_iter)):
        z = y - v @ w
        _, sv, vt = np.linalg.svd(z.reshape(-1, q), full_matrices=False)
        p = vt[:n_pcs].T
        # skew-symmetric in whitened PC coordinates, as in :func:`jpca`
        sd = sv[:n_pcs] / np.sqrt(z.shape[0] * z.shape[1]) if whiten else np.ones(n_pcs)
        zr = z @ (p / sd)
        m = fit_skew_symmetric((0.5 * (zr[:, 1:] + zr[:, :-1])).reshape(-1, n_pcs),
                               np.diff(zr, axis=1).reshape(-1, n_pcs) / bin_size_s)
        a = (p / sd) @ m @ (p * sd).T
        # d(y - vW)/dt = (y - vW) A is linear in W: (I ⊗ dv - Aᵀ ⊗ vm) vec(W) = vec(dy - ym A)
        design = np.kron(np.eye(q), dv) - np.kron(a.T, vm)
        sol, *_ = np.linalg.lstsq(design, (dy - ym @ a).reshape(-1, order="F"), rcond=None)
        w = sol.reshape((f, q), order="F")
    return y_full - v @ (w @ basis.T)


def _principal_axes(xc: np.ndarray, halves: list, n_pcs: int):
    """Top principal axes, their signal variances and the variance fraction they hold.

    With two half averages the covariance is their symmetrised cross-covariance: the noise of
    disjoint trials is independent, so it drops out of the axes and of the variances (the
    averages' own covariance adds the noise variance, unequal across neurons under Poisson
    noise, which tilts the axes toward noisy neurons and inflates every variance).
    """
    flat = xc.reshape(-1, xc.shape[-1])
    total = np.sum(flat**2)
    if not halves:
        _, s, vt = np.linalg.svd(flat, full_matrices=False)
        return vt[:n_pcs].T, s[:n_pcs] ** 2 / len(flat), float(np.sum(s[:n_pcs] ** 2) / total)
    a, b = ((h - h.mean(0)).reshape(-1, xc.shape[-1]) for h in halves)
    vals, vecs = np.linalg.eigh(0.5 * (a.T @ b + b.T @ a))
    top = np.argsort(-vals)[:n_pcs]
    if vals[top[-1]] <= 0:
        raise InputError(f"the two halves share fewer than n_pcs={n_pcs} dimensions of signal; lower n_pcs")
    return vecs[:, top], vals[top] / len(a), float(np.sum(vals[top]) / total)


def _orthonormal(a: np.ndarray) -> np.ndarray:
    """Orthonormal basis of ``a``'s columns keeping their order and orientation (Gram-Schmidt)."""
    q, r = np.linalg.qr(a)
    return q * np.sign(np.diag(r))


def _instrumented(a: np.ndarray, b: np.ndarray, mean: np.ndarray, pcs: np.ndarray, dt: float):
    """Stacked instrumental-variable design: each half's state, projected on the other half's
    column space, regresses that half's derivative (the noise of the two halves is independent).
    """
    def mid_diff(h):
        r = (h - mean) @ pcs
        return (0.5 * (r[:, 1:] + r[:, :-1])).reshape(-1, pcs.shape[1]), np.diff(r, axis=1).reshape(-1, pcs.shape[1]) / dt

    (xa, da), (xb, db) = mid_diff(a), mid_diff(b)
    qa, qb = np.linalg.qr(xa)[0], np.linalg.qr(xb)[0]
    return (np.vstack([qa @ (qa.T @ xb), qb @ (qb.T @ xa)]),
            np.vstack([qa @ (qa.T @ db), qb @ (qb.T @ da)]))
