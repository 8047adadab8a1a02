"""Simulated recordings whose population decoding R² is known exactly.

A Gaussian AR(1) latent drives Poisson units (log-linear rates). The behaviour is a fixed
linear readout of the units' square-root counts in the same bin plus autocorrelated noise
that is independent of everything neural:

    y(t) = sum_i w_i sqrt(c_i(t)) + e(t),    Var(e) = sigma_e^2

so ``E[y | all spikes] = sum_i w_i sqrt(c_i(t))`` and the best any decoder can do (the
population R², the decoding ceiling) is ``Var(s) / (Var(s) + sigma_e^2)`` with ``s`` the
readout. ``Var(s)`` is computed exactly: units are conditionally independent given the
latent, so ``Var(s) = Var_z(sum_i w_i m_i(z)) + E_z[sum_i w_i^2 v_i(z)]`` with ``m_i, v_i``
the mean and variance of ``sqrt(c_i)`` under a Poisson law (summed over its pmf) and the
expectations over ``z ~ N(0, 1)`` by Gauss–Hermite quadrature. ``sigma_e^2`` is set from the
requested R². A linear decoder of square-root counts (the Wiener filter with ``transform="sqrt"``)
can reach the ceiling, which makes these recordings a check of interval coverage; with
``coupled=False`` the units follow an independent latent and ``true_r2`` is 0 (a null check).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from .._utils.errors import InputError
from .._utils.random import as_rng


@dataclass(frozen=True)
class DecodablePopulation:
    """A simulated recording with its exact decoding ceiling.

    Attributes
    ----------
    counts : (time, units) Poisson spike counts per bin
    behavior : (time,) the decoded variable (a.u.)
    latent : (time,) the AR(1) latent driving the units (unit variance)
    signal : (time,) ``sum_i w_i sqrt(c_i)``: the part of the behaviour the spikes determine
    true_r2 : float  population R² of the best decoder (0 when ``coupled`` is False)
    noise_var : float  variance of the behaviour's spike-independent part
    signal_var : float  population variance of ``signal``
    bin_size_s : float
    seed : int or None
    """

    counts: np.ndarray
    behavior: np.ndarray
    latent: np.ndarray
    signal: np.ndarray
    true_r2: float
    noise_var: float
    signal_var: float
    bin_size_s: float
    seed: int | None


def _ar1(rng, n: int, tau_bins: float) -> np.ndarray:
    """Stationary Gaussian AR(1) series of unit variance and time constant ``tau_bins``."""
    from scipy.signal import lfilter

    phi = float(np.exp(-1.0 / tau_bins))
    e = rng.normal(0.0, np.sqrt(1 - phi ** 2), n)
    e[0] = rng.normal()
    return lfilter([1.0], [1.0, -phi], e)


def _sqrt_poisson_moments(lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of ``sqrt(c)`` for ``c ~ Poisson(lam)`` (any shape), from the pmf."""
    kmax = int(np.ceil(lam.max() + 12 * np.sqrt(lam.max()) + 20))
    k = np.arange(kmax + 1)
    pmf = stats.poisson.pmf(k, lam[..., None])
    m1 = (pmf * np.sqrt(k)).sum(-1)
    return m1, (pmf * k).sum(-1) - m1 ** 2


def signal_variance(base_rate: np.ndarray, gain: np.ndarray, weights: np.ndarray, bin_size_s: float,
                    n_nodes: int = 40) -> float:
    """Population variance of ``sum_i w_i sqrt(c_i)`` with ``c_i ~ Poisson(r_i exp(g_i z) dt)``, ``z ~ N(0, 1)``.

    Parameters
    ----------
    base_rate : (units,) rate (Hz) at ``z = 0``
    gain : (units,) log-rate gain per unit of latent
    weights : (units,) readout weights
    bin_size_s : float
    n_nodes : int  Gauss–Hermite nodes

    Returns
    -------
    float
    """
    x, wq = np.polynomial.hermite_e.hermegauss(n_nodes)
    wq = wq / wq.sum()
    lam = base_rate[None, :] * np.exp(gain[None, :] * x[:, None]) * bin_size_s        # (nodes, units)
    m, v = _sqrt_poisson_moments(lam)
    cond_mean = m @ weights
    mean = wq @ cond_mean
    return float(wq @ (cond_mean - mean) ** 2 + wq @ (v @ weights ** 2))


def make_decodable_population(n_units: int = 20, n_bins: int = 10000, r2: float = 0.6, *, tau_bins: float = 20.0,
                              noise_tau_bins: float = 10.0, bin_size_s: float = 0.05, coupled: bool = True,
                              seed: int | None = 0) -> DecodablePopulation:
    """Poisson units and a behaviour whose population decoding R² is ``r2`` exactly.

    Parameters
    ----------
    n_units : int
        Units (rates 2-20 Hz at the latent's mean, log-rate gains 0.3-0.8 per SD).
    n_bins : int
        Time bins.
    r2 : float
        Population R² of the best decoder, in (0, 1).
    tau_bins : float
        Time constant (bins) of the latent.
    noise_tau_bins : float
        Time constant (bins) of the behaviour's spike-independent noise (autocorrelated, like
        real tracking noise, so the bootstrap has to respect time).
    bin_size_s : float
        Bin width (s).
    coupled : bool
        False: the units follow an independent latent and the behaviour is unrelated to them
        (``true_r2`` = 0); the behaviour keeps the same statistics.
    seed : int or None
        Seeds every draw.

    Returns
    -------
    DecodablePopulation
    """
    if not 0 < r2 < 1:
        raise InputError(f"r2 must be in (0, 1), got {r2!r}")
    if n_units < 1 or n_bins < 100:
        raise InputError(f"needs n_units >= 1 and n_bins >= 100, got {n_units}, {n_bins}")
    rng = as_rng(seed)
    base = rng.uniform(2.0, 20.0, n_units)
    gain = rng.uniform(0.3, 0.8, n_units) * rng.choice([-1.0, 1.0], n_units)
    w = rng.normal(0.0, 1.0, n_units)
    z = _ar1(rng, n_bins, tau_bins)
    counts = rng.poisson(base * np.exp(gain * z[:, None]) * bin_size_s).astype(float)
    sig_var = signal_variance(base, gain, w, bin_size_s)
    noise_var = sig_var * (1.0 / r2 - 1.0)
    e = np.sqrt(noise_var) * _ar1(rng, n_bins, noise_tau_bins)
    signal = np.sqrt(counts) @ w
    if coupled:
        behavior = signal + e
    else:  # the same construction on a second, independent population the recording does not hold
        z2 = _ar1(rng, n_bins, tau_bins)
        behavior = np.sqrt(rng.poisson(base * np.exp(gain * z2[:, None]) * bin_size_s)) @ w + e
    return DecodablePopulation(counts, behavior, z, signal, float(r2) if coupled else 0.0, float(noise_var),
                               sig_var, float(bin_size_s), seed)
