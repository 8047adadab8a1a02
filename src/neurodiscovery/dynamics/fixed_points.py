"""Fixed and slow points of a recurrent map (Sussillo & Barak 2013).

For a discrete-time update ``h -> F(h)`` under constant input, minimise
``q(h) = 1/2 |F(h) - h|²`` from many initial states at once (one batched torch
optimisation, float64), polish with Newton steps on ``F(h) - h = 0``, merge duplicates and
classify each point by the eigenvalues of the Jacobian ``dF/dh``: all ``|λ| < 1`` is stable,
some above and some below is a saddle, and an eigenvalue within ``marginal_tol`` of 1 with
the rest inside marks a marginally stable direction (line or ring attractor).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError
from .._utils.validation import check_array

KINDS = ("stable", "saddle", "unstable", "marginal", "slow")


@dataclass(frozen=True)
class FixedPoints:
    """Fixed/slow points found by :func:`find_fixed_points`.

    Attributes
    ----------
    points : ndarray, shape (n_points, units)
    speed : ndarray, shape (n_points,)
        ``|F(h) - h|`` at each point: state change per step, in the units of the state.
    kinds : tuple of str
        ``"stable"``, ``"saddle"``, ``"unstable"``, ``"marginal"`` (line/ring attractor
        direction) or ``"slow"`` (``speed`` above ``fixed_tol``).
    eigenvalues : ndarray, shape (n_points, units), complex
        Jacobian eigenvalues, sorted by decreasing modulus.
    n_unstable : ndarray, shape (n_points,)
        Eigenvalues with ``|λ| > 1 + marginal_tol``.
    """

    points: np.ndarray
    speed: np.ndarray
    kinds: tuple
    eigenvalues: np.ndarray
    n_unstable: np.ndarray

    def count(self, kind: str) -> int:
        """Number of points of ``kind``."""
        return sum(k == kind for k in self.kinds)

    def to_json(self) -> dict:
        """JSON-ready counts per kind and the largest residual."""
        return {"n_points": len(self.kinds), **{f"n_{k}": self.count(k) for k in KINDS},
                "max_speed_fixed": float(max((s for s, k in zip(self.speed, self.kinds) if k != "slow"),
                                             default=float("nan")))}


def _classify(eig: np.ndarray, speed: float, fixed_tol: float, marginal_tol: float) -> tuple[str, int]:
    mod = np.abs(eig)
    n_up = int(np.sum(mod > 1 + marginal_tol))
    if speed > fixed_tol:
        return "slow", n_up
    if n_up == 0:
        return ("marginal" if np.any(np.abs(mod - 1) <= marginal_tol) else "stable"), 0
    return ("saddle" if np.any(mod < 1 - marginal_tol) else "unstable"), n_up


def _dedup(points: np.ndarray, speed: np.ndarray, tol: float) -> np.ndarray:
    """Indices of unique points (slowest kept first), merging those within ``tol`` (Euclidean)."""
    keep: list[int] = []
    for i in np.argsort(speed):
        if all(np.linalg.norm(points[i] - points[j]) > tol for j in keep):
            keep.append(int(i))
    return np.asarray(keep, dtype=int)


def find_fixed_points(step: Callable, initial_states, *, n_iter: int = 2000, lr: float = 1e-2,
                      newton_steps: int = 20, fixed_tol: float = 1e-6, slow_tol: float = 1e-2,
                      dedup_tol: float = 1e-3, marginal_tol: float = 1e-3) -> FixedPoints:
    """Find fixed and slow points of ``step`` from a batch of initial states.

    Parameters
    ----------
    step : callable
        ``step(h) -> F(h)`` on a float64 torch tensor ``(batch, units)`` (inputs held constant
        inside it), differentiable by torch.
    initial_states : array_like, shape (n_starts, units)
        E.g. states visited by the network, plus small noise.
    n_iter, lr : Adam iterations and learning rate on ``q(h)``.
    newton_steps : int
        Newton iterations on ``F(h) - h = 0`` after Adam (quadratic convergence near a point).
    fixed_tol : float
        ``|F(h) - h|`` below which a point is fixed; above it (but below ``slow_tol``) it is slow.
    slow_tol : float
        Points with larger speed are discarded.
    dedup_tol : float
        Distance under which two points are the same.
    marginal_tol : float
        Eigenvalue moduli within this of 1 count as marginal.

    Returns
    -------
    FixedPoints
    """
    import torch

    h0 = check_array(initial_states, "initial_states (n_starts, units)", ndim=2, min_len=1)
    h = torch.tensor(h0, dtype=torch.float64, requires_grad=True)
    try:
        with torch.no_grad():
            out = step(h)
    except RuntimeError as exc:  # a shape clash inside the network's matmul
        raise InputError(f"step cannot be applied to states of shape {tuple(h.shape)} ({str(exc).splitlines()[0]}); "
                         "the initial states must have the network's number of units") from None
    if tuple(out.shape) != tuple(h.shape):
        raise InputError(f"step maps states of shape {tuple(h.shape)} to {tuple(out.shape)}; the initial "
                         "states must have the network's number of units")
    opt = torch.optim.Adam([h], lr=float(lr))
    for _ in range(int(n_iter)):
        opt.zero_grad()
        q = 0.5 * ((step(h) - h) ** 2).sum(1)
        q.sum().backward()
        opt.step()
    x = h.detach()
    jac_fn = torch.func.vmap(torch.func.jacrev(lambda v: step(v[None])[0]))
    eye = torch.eye(x.shape[1], dtype=torch.float64)
    for _ in range(int(newton_steps)):
        with torch.no_grad():
            r = step(x) - x
        jac = jac_fn(x).detach()
        try:
            dx = torch.linalg.solve(jac - eye, -r.unsqueeze(-1)).squeeze(-1).detach()
        except RuntimeError:  # a singular system (marginal direction): keep the Adam solution
            break
        # Newton from afar can jump to another basin: accept a step only where it lowers the speed
        with torch.no_grad():
            better = (step(x + dx) - (x + dx)).norm(dim=1) < r.norm(dim=1)
        x = torch.where(better[:, None], x + dx, x)
    with torch.no_grad():
        speed = (step(x) - x).norm(dim=1).detach().numpy()
    pts = x.detach().numpy()
    ok = np.isfinite(speed) & (speed < slow_tol)
    pts, speed = pts[ok], speed[ok]
    keep = _dedup(pts, speed, dedup_tol) if len(pts) else np.zeros(0, int)
    pts, speed = pts[keep], speed[keep]
    eigs = np.zeros((len(pts), h0.shape[1]), complex)
    kinds, n_up = [], []
    if len(pts):
        jac = jac_fn(torch.as_tensor(pts)).detach().numpy()
        for i, j in enumerate(jac):
            e = np.linalg.eigvals(j)
            eigs[i] = e[np.argsort(-np.abs(e))]
            k, n = _classify(e, float(speed[i]), fixed_tol, marginal_tol)
            kinds.append(k)
            n_up.append(n)
    return FixedPoints(pts, speed, tuple(kinds), eigs, np.asarray(n_up, int))
