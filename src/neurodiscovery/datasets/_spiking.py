"""Spike trains with an absolute refractory period from piecewise-constant rates."""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _dead_time_keep(t, tau):  # pragma: no cover - compiled
    """Keep a spike only if it comes at least ``tau`` after the last kept spike."""
    keep = np.zeros(t.shape[0], dtype=np.bool_)
    last = -np.inf
    for i in range(t.shape[0]):
        if t[i] - last >= tau:
            keep[i] = True
            last = t[i]
    return keep


def refractory_spikes(rate_hz: np.ndarray, t0_s: np.ndarray, bin_size_s: float, refractory_s: float,
                      rng) -> list[np.ndarray]:
    """Spike times from rates held constant within bins, with an absolute refractory period.

    A Poisson process at ``rate / (1 - rate * refractory)`` thinned by a dead time after
    every kept spike has (for a constant rate) exactly the requested rate, and no
    inter-spike interval shorter than ``refractory_s``.

    Parameters
    ----------
    rate_hz : (bins, neurons) rate per bin
    t0_s : (bins,) start time of each bin (s), increasing
    bin_size_s : float
    refractory_s : float
        Absolute refractory period (s); 0 gives a plain Poisson process.
    rng : numpy Generator

    Returns
    -------
    list of ndarray, one sorted spike-time array (s) per neuron
    """
    rate = np.asarray(rate_hz, dtype=float)
    tau = float(refractory_s)
    # the dead time removes a fraction rate*tau of the spikes; drive harder to compensate
    # (capped so that the compensation stays finite for rates near 1/tau)
    boosted = rate / np.clip(1.0 - rate * tau, 0.2, None)
    out = []
    for j in range(rate.shape[1]):
        n = rng.poisson(boosted[:, j] * bin_size_s)
        t = np.sort(np.repeat(t0_s, n) + rng.uniform(0, bin_size_s, size=int(n.sum())))
        out.append(t[_dead_time_keep(t, tau)] if tau > 0 else t)
    return out
