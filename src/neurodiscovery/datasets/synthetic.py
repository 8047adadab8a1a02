"""Seeded synthetic datasets that return their ground truth.

Each generator takes ``seed`` and returns a dataclass holding both the simulated
observations and the parameters/latents that produced them, so tests can check
that an analysis recovers what was planted.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError
from .._utils.random import as_rng
from ._spike_times import spikes_from_counts as _spikes_from_counts
from .reaching import ReachingData, make_reaching  # noqa: F401  (re-exported)


@dataclass
class LorenzPopulation:
    """Poisson population driven by Lorenz latents.

    Attributes
    ----------
    counts : (trials, time, neurons)
    rates_hz : (trials, time, neurons)
    states : (trials, time, 3) true Lorenz states, z-scored over the dataset
    loading : (neurons, 3)
    baseline_log_rate : (neurons,)
        Log of the baseline rate in Hz of each neuron.
    bin_size_s : float
    seed : int or None
        Seeds every random draw (None: fresh entropy).
    """

    counts: np.ndarray
    rates_hz: np.ndarray
    states: np.ndarray
    loading: np.ndarray
    baseline_log_rate: np.ndarray
    bin_size_s: float
    seed: int | None

    def to_recording(self):
        """Trials laid end to end as a Recording; behaviour ``lorenz_state`` holds the true latents."""
        from ..data import Recording, TimeSeries, Trials

        rng = np.random.default_rng(None if self.seed is None else self.seed + 1)
        n_tr, n_t, n_n = self.counts.shape
        L = n_t * self.bin_size_s
        starts = np.arange(n_tr) * L
        t0 = (starts[:, None] + np.arange(n_t)[None, :] * self.bin_size_s).ravel()
        spikes = _spikes_from_counts(self.counts.reshape(-1, n_n), t0, self.bin_size_s, rng)
        beh = TimeSeries("lorenz_state", t0 + self.bin_size_s / 2, self.states.reshape(-1, 3), ("x", "y", "z"), "a.u.")
        return Recording(spikes, regions=np.full(n_n, "synthetic"), behaviors={"lorenz_state": beh},
                         trials=Trials(starts, starts + L),  # no conditions: every trial starts elsewhere
                         time_support_s=np.array([0.0, n_tr * L]), name=f"synthetic_lorenz_seed{self.seed}")


def _lorenz_rk4(x0, n_steps, dt, sigma=10.0, rho=28.0, beta=8.0 / 3.0):
    def f(x):
        return np.array([sigma * (x[1] - x[0]), x[0] * (rho - x[2]) - x[1], x[0] * x[1] - beta * x[2]])

    out = np.empty((n_steps, 3))
    x = np.asarray(x0, float)
    for i in range(n_steps):
        out[i] = x
        k1 = f(x)
        k2 = f(x + dt / 2 * k1)
        k3 = f(x + dt / 2 * k2)
        k4 = f(x + dt * k3)
        x = x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return out


def make_lorenz_population(n_trials: int = 50, n_time: int = 100, n_neurons: int = 30,
                           bin_size_s: float = 0.01, base_rate_hz: float = 10.0, gain: float = 0.8,
                           lorenz_dt: float = 0.01, seed: int | None = 0) -> LorenzPopulation:
    """Lorenz states → log-rates → Poisson counts (the LFADS/NLB synthetic benchmark recipe).

    Each trial starts from a different point on the attractor (after burn-in); the
    states are z-scored over the whole dataset, and each neuron's log-rate is
    ``log(base_rate_hz) + gain · C·z`` with random loadings ``C ~ N(0, 1/3)``.

    Parameters
    ----------
    n_trials, n_time, n_neurons : int
        Trials, time bins per trial and neurons.
    bin_size_s : float
        Bin width (s).
    base_rate_hz : float
        Baseline firing rate (Hz).
    gain : float
        Log-rate modulation per z-scored latent unit (dimensionless).
    lorenz_dt : float
        Integration step of the Lorenz system in its own (dimensionless) time units, per bin.
    seed : int or None
        Seeds every random draw (None: fresh entropy).

    Returns
    -------
    LorenzPopulation
    """
    if n_trials < 1 or n_time < 2 or n_neurons < 1:
        raise InputError("make_lorenz_population needs n_trials >= 1, n_time >= 2, n_neurons >= 1")
    rng = as_rng(seed)
    burn = _lorenz_rk4(rng.normal(0, 1, 3) + [0, 0, 25], 1000 + n_trials * 37, lorenz_dt)
    starts = burn[1000::37][:n_trials]
    states = np.stack([_lorenz_rk4(s, n_time, lorenz_dt) for s in starts])
    mu, sd = states.reshape(-1, 3).mean(0), states.reshape(-1, 3).std(0)
    z = (states - mu) / sd
    C = rng.normal(0, 1 / np.sqrt(3), size=(n_neurons, 3))
    b = np.log(base_rate_hz) + rng.normal(0, 0.2, n_neurons)
    rates = np.exp(b + gain * z @ C.T)
    counts = rng.poisson(rates * bin_size_s).astype(float)
    return LorenzPopulation(counts, rates, z, C, b, bin_size_s, seed if isinstance(seed, (int, np.integer)) else None)


# --------------------------------------------------------------------------- HD & place cells
@dataclass
class HDPlaceCells:
    """Head-direction and place cells driven by a real rat trajectory.

    Attributes
    ----------
    recording : Recording
        Units in regions ``"hd"`` then ``"place"``; behaviours ``position`` (m),
        ``head_direction`` (rad), ``speed`` (m/s).
    hd_preferred_rad, hd_kappa, hd_peak_hz, hd_base_hz : (n_hd,) von Mises tuning parameters
    place_centre_m : (n_place, 2)
        Place-field centres (m).
    place_width_m, place_peak_hz, place_base_hz : (n_place,)
        Gaussian field width (m), in-field peak rate (Hz) and out-of-field rate (Hz).
    """

    recording: object
    hd_preferred_rad: np.ndarray
    hd_kappa: np.ndarray
    hd_peak_hz: np.ndarray
    hd_base_hz: np.ndarray
    place_centre_m: np.ndarray
    place_width_m: np.ndarray
    place_peak_hz: np.ndarray
    place_base_hz: np.ndarray

    def hd_tuning_hz(self, angle_rad: np.ndarray) -> np.ndarray:
        """True HD tuning curves at ``angle_rad``: shape (len(angle_rad), n_hd)."""
        a = np.asarray(angle_rad)[:, None]
        shape = np.exp(self.hd_kappa * (np.cos(a - self.hd_preferred_rad) - 1))
        return self.hd_base_hz + (self.hd_peak_hz - self.hd_base_hz) * shape

    def place_tuning_hz(self, pos_m: np.ndarray) -> np.ndarray:
        """True place fields at positions ``pos_m``, shape (n, 2) in m: rates in Hz, shape (n, n_place)."""
        d2 = ((np.asarray(pos_m)[:, None, :] - self.place_centre_m[None]) ** 2).sum(-1)
        return self.place_base_hz + (self.place_peak_hz - self.place_base_hz) * np.exp(
            -d2 / (2 * self.place_width_m**2))


def heading_from_trajectory(t_s: np.ndarray, pos_m: np.ndarray, smooth_s: float = 0.2) -> np.ndarray:
    """Movement direction (rad, [0, 2π)) from a trajectory, velocity smoothed over ``smooth_s``.

    Used as a stand-in for head direction: the trajectory has no head tracking.
    """
    from scipy.ndimage import gaussian_filter1d

    dt = np.median(np.diff(t_s))
    v = np.gradient(pos_m, t_s, axis=0)
    v = gaussian_filter1d(v, smooth_s / dt, axis=0, mode="nearest")
    return np.mod(np.arctan2(v[:, 1], v[:, 0]), 2 * np.pi)


def make_hd_place_cells(n_hd: int = 20, n_place: int = 30, duration_s: float | None = None,
                        seed: int | None = 0) -> HDPlaceCells:
    """Poisson head-direction (von Mises) and place (Gaussian field) cells on a real trajectory.

    The trajectory (600 s, 50 Hz) is the real rat path shipped with the package;
    head direction is its smoothed movement direction. Spikes are drawn as an
    inhomogeneous Poisson process with the rate held constant within each 20 ms
    tracking sample.

    Parameters
    ----------
    n_hd, n_place : int
        Head-direction and place cells.
    duration_s : float, optional
        Shorter session in s (default: all 600 s).
    seed : int or None
        Seeds every random draw (None: fresh entropy).

    Returns
    -------
    HDPlaceCells
    """
    from ..data import Recording, TimeSeries
    from .builtin import load_rat_trajectory

    rng = as_rng(seed)
    t, pos = load_rat_trajectory()
    if duration_s is not None:
        keep = t < t[0] + float(duration_s)
        if keep.sum() < 10:
            raise InputError(f"duration_s={duration_s} is too short for the 50 Hz trajectory")
        t, pos = t[keep], pos[keep]
    hd = heading_from_trajectory(t, pos)
    dt = float(np.median(np.diff(t)))
    truth = HDPlaceCells(
        recording=None,
        hd_preferred_rad=rng.uniform(0, 2 * np.pi, n_hd), hd_kappa=rng.uniform(2.0, 6.0, n_hd),
        hd_peak_hz=rng.uniform(15, 40, n_hd), hd_base_hz=rng.uniform(0.2, 1.5, n_hd),
        place_centre_m=rng.uniform(0.1, 0.9, (n_place, 2)), place_width_m=rng.uniform(0.06, 0.12, n_place),
        place_peak_hz=rng.uniform(8, 20, n_place), place_base_hz=rng.uniform(0.1, 0.5, n_place))
    rates = np.hstack([truth.hd_tuning_hz(hd), truth.place_tuning_hz(pos)])
    counts = rng.poisson(rates * dt).astype(float)
    spikes = _spikes_from_counts(counts, t, dt, rng)
    speed = np.linalg.norm(np.gradient(pos, t, axis=0), axis=1)
    behs = {"position": TimeSeries("position", t + dt / 2, pos, ("x", "y"), "m"),
            "head_direction": TimeSeries("head_direction", t + dt / 2, hd, ("head_direction",), "rad", True),
            "speed": TimeSeries("speed", t + dt / 2, speed, ("speed",), "m/s")}
    regions = np.array(["hd"] * n_hd + ["place"] * n_place)
    truth.recording = Recording(spikes, regions=regions, behaviors=behs,
                                epochs={"wake": np.array([[t[0], t[-1] + dt]])},
                                time_support_s=np.array([t[0], t[-1] + dt]), name=f"synthetic_hd_place_seed{seed}")
    return truth


def make_head_direction_cells(n_units: int = 20, duration_s: float | None = None, seed: int | None = 0
                              ) -> HDPlaceCells:
    """Units tuned ONLY to head direction, on the real rat trajectory (a confound test set).

    Heading is the smoothed movement direction of the real path, so it is coupled to
    position (the rat runs along walls in set directions): marginal place maps of these
    units look spatially structured although position has no effect on their rate. An
    encoding analysis that accounts for head direction should attribute them to head
    direction alone. Same tuning model as :func:`make_hd_place_cells` with no place cells
    (all units in region ``"hd"``).

    Parameters
    ----------
    n_units : int
        Head-direction cells.
    duration_s : float, optional
        Shorter session in s (default: all 600 s).
    seed : int or None
        Seeds every random draw (None: fresh entropy).

    Returns
    -------
    HDPlaceCells
    """
    if n_units < 1:
        raise InputError(f"make_head_direction_cells needs n_units >= 1, got {n_units}")
    gt = make_hd_place_cells(n_hd=n_units, n_place=0, duration_s=duration_s, seed=seed)
    rec = gt.recording
    object.__setattr__(rec, "name", f"synthetic_hd_only_seed{seed}")
    return gt
