"""Profile-likelihood intervals that respect parameter bounds, and flags for estimates at a bound.

A standard deviation fitted at (or near) zero sits on the edge of its domain: a Hessian there
is meaningless and a parametric bootstrap from the fit simulates only data with that SD at
zero, so both give zero-width intervals. The profile likelihood does not: for each parameter
the others are re-maximised on a grid moving outward from the estimate, and the interval holds
every value whose profile log-likelihood is within ``chi2_1(level) / 2`` of the maximum (Wilks).
Where the profile stays within that distance all the way to the bound, the bound itself is the
interval's end (a lower limit of 0 for an SD the data cannot tell from zero).
"""
from __future__ import annotations

import numpy as np
from scipy import optimize, stats

#: Free-space distance (log units for SDs, logit units for rates) searched before declaring a bound.
_FREE_LIMIT = {"positive": 14.0, "interval": 12.0, "real": None}


def _profile_at(model, design, specs, z_hat, i, zi, warm, from_free):
    """Profile log-likelihood with free parameter ``i`` fixed at ``zi`` (others re-maximised)."""
    others = [j for j in range(len(z_hat)) if j != i]

    def nll(zo):
        z = np.array(z_hat, float)
        z[i] = zi
        z[others] = zo
        val = -model.loglik(from_free(z, specs), design)
        return val if np.isfinite(val) else 1e300

    if not others:
        return -nll(np.zeros(0)), warm
    res = optimize.minimize(nll, warm, method="L-BFGS-B")
    return -float(res.fun), res.x


def _one_side(model, design, specs, z_hat, ll_hat, i, direction, crit, from_free):
    """Free-space end of the interval on one side, or None when the profile never drops by ``crit``."""
    spec = specs[i]
    limit = _FREE_LIMIT[spec.domain]
    others = [j for j in range(len(z_hat)) if j != i]
    warm = np.asarray(z_hat, float)[others]
    z_in, step = float(z_hat[i]), 0.15
    for _ in range(60):
        z_out = z_in + direction * step
        if limit is not None and abs(z_out) > limit:
            return None
        ll, warm_out = _profile_at(model, design, specs, z_hat, i, z_out, warm, from_free)
        if ll_hat - ll > crit:
            for _ in range(5):  # bisect the crossing between the last inside and outside points
                mid = 0.5 * (z_in + z_out)
                llm, wm = _profile_at(model, design, specs, z_hat, i, mid, warm, from_free)
                if ll_hat - llm > crit:
                    z_out = mid
                else:
                    z_in, warm = mid, wm
            return 0.5 * (z_in + z_out)
        z_in, warm, step = z_out, warm_out, step * 1.8
    return None


def profile_intervals(model, design, specs, z_hat, ll_hat: float, from_free, level: float = 0.95) -> dict:
    """Profile-likelihood interval of every parameter, in natural units, ends clipped to the bounds.

    Parameters
    ----------
    model : observer model
        Has ``loglik(theta, design)``.
    design : model design
        Prepared data.
    specs : sequence of Param
        Parameter specifications (domains and bounds).
    z_hat : ndarray (n_params,)
        Maximum-likelihood estimate in the free (unconstrained) space.
    ll_hat : float
        Maximised log-likelihood.
    from_free : callable
        ``from_free(z, specs)`` -> natural parameters.
    level : float
        Confidence level (0.95: a drop of 1.92 in log-likelihood).

    Returns
    -------
    dict of str to tuple of float
        ``(low, high)`` per parameter; an end the profile never left the level region before
        the domain's bound is the bound (0 for an SD, the interval's end for a rate, ±inf for
        a real parameter).
    """
    crit = stats.chi2.ppf(level, 1) / 2
    out = {}
    for i, p in enumerate(specs):
        ends = []
        for direction in (-1.0, 1.0):
            z = _one_side(model, design, specs, z_hat, ll_hat, i, direction, crit, from_free)
            if z is None:
                bound = {"positive": (0.0, np.inf), "interval": (p.low, p.high),
                         "real": (-np.inf, np.inf)}[p.domain]
                ends.append(bound[0] if direction < 0 else bound[1])
            else:
                zz = np.array(z_hat, float)
                zz[i] = z
                ends.append(float(from_free(zz, specs)[i]))
        out[p.name] = (float(ends[0]), float(ends[1]))
    return out


def at_bound(theta, specs, scale: float, rel: float = 1e-3) -> dict:
    """Which estimates sit at the edge of their domain.

    Parameters
    ----------
    theta : ndarray (n_params,)
        Estimates in natural units.
    specs : sequence of Param
        Parameter specifications.
    scale : float
        The data's scale (e.g. the SD of the responses, stimulus units): an SD below
        ``rel * scale`` is at its bound 0.
    rel : float
        Relative distance counted as "at the bound".

    Returns
    -------
    dict of str to bool
    """
    out = {}
    for v, p in zip(theta, specs):
        if p.domain == "positive":
            out[p.name] = bool(v < rel * max(scale, 1e-12))
        elif p.domain == "interval":
            u = (v - p.low) / (p.high - p.low)
            out[p.name] = bool(u < rel or u > 1 - rel)
        else:
            out[p.name] = False
    return out


def loglik_grid(model, design, theta, i: int, j: int, values_i, values_j) -> np.ndarray:
    """Log-likelihood over a grid of two parameters, the others held at ``theta``.

    Shows trade-offs between parameters (e.g. a sensory SD against the motor SD: both add
    response variance) as a ridge of nearly equal likelihood.

    Parameters
    ----------
    model : observer model
        Has ``loglik(theta, design)``.
    design : model design
        Prepared data.
    theta : ndarray (n_params,)
        Natural parameters; entries ``i`` and ``j`` are replaced on the grid.
    i, j : int
        Indices of the two parameters.
    values_i, values_j : array_like (n_i,), (n_j,)
        Grid values in natural units.

    Returns
    -------
    ndarray (n_j, n_i)
        Log-likelihood (natural log); rows follow ``values_j``.
    """
    out = np.empty((len(values_j), len(values_i)))
    th = np.array(theta, float)
    for b, vj in enumerate(values_j):
        for a, vi in enumerate(values_i):
            th[i], th[j] = vi, vj
            out[b, a] = model.loglik(th, design)
    return out
