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


def _spikes_from_counts(counts: np.ndarray, t0_s: np.ndarray, bin_size_s: float, rng) -> list[np.ndarray]:
    """Spike times from ``(time, neurons)`` counts, uniform within each bin starting at ``t0_s``."""
    out = []
    for j in range(counts.shape[1]):
        c = counts[:, j].astype(np.int64)
        starts = np.repeat(t0_s, c)
        out.append(np.sort(starts + rng.uniform(0, bin_size_s, size=starts.size)))
    return out


# --------------------------------------------------------------------------- reaching
@dataclass
class ReachingData:
    """Synthetic centre-out reaching session.

    Attributes
    ----------
    counts : (trials, time, neurons) spike counts
    rates_hz : (trials, time, neurons) true rates
    velocity : (trials, time, 2) hand velocity (m/s)
    latents : (trials, time, n_latent) rotational latent state
    conditions : (trials,) int reach condition; ``directions_rad[conditions]`` is the reach angle
    directions_rad : (n_conditions,)
    preferred_direction_rad : (neurons,) planted cosine-tuning preferred directions
    loading : (neurons, n_latent) latent loading matrix C
    baseline_log_rate : (neurons,)
    bin_size_s : float
    t_s : (time,) bin centres relative to trial start; movement onset at ``go_s``
    spike_times : list of (n_spikes,) arrays, optional
        Spike times (s) of each neuron on the continuous session (trials laid end to end
        with ``iti_s`` between them); ``counts`` are these spikes binned per trial.
    iti_s : float
        Inter-trial interval (s); neurons fire at a baseline rate that varies from trial to trial.
    refractory_s : float
        Absolute refractory period of the spike trains (s).
    go_s : float
        Movement onset within each trial (s).
    seed : int or None
        Seeds every random draw (None: fresh entropy).
    """

    counts: np.ndarray
    rates_hz: np.ndarray
    velocity: np.ndarray
    latents: np.ndarray
    conditions: np.ndarray
    directions_rad: np.ndarray
    preferred_direction_rad: np.ndarray
    loading: np.ndarray
    baseline_log_rate: np.ndarray
    bin_size_s: float
    t_s: np.ndarray
    go_s: float
    seed: int | None
    spike_times: list | None = None
    iti_s: float = 0.5
    refractory_s: float = 0.0

    def trial_starts_s(self) -> np.ndarray:
        """Start time (s) of each trial on the continuous session."""
        return np.arange(self.counts.shape[0]) * (self.counts.shape[1] * self.bin_size_s + self.iti_s)

    def to_recording(self, iti_s: float | None = None):
        """The session as a Recording with a trial table (trials ``iti_s`` apart).

        Spikes are the generated spike trains (with their refractory period and the
        baseline firing between trials). Behaviour ``hand_velocity`` (m/s) is sampled at bin
        centres, zero between trials; trial columns: ``condition``, ``direction_rad``,
        ``go_s`` (absolute movement onset).
        """
        from ..data import Recording, TimeSeries, Trials

        if iti_s is not None and self.spike_times is not None and not np.isclose(iti_s, self.iti_s):
            raise InputError(f"these spikes were generated with iti_s={self.iti_s}; "
                             "pass iti_s to make_reaching instead")
        iti_s = self.iti_s if iti_s is None else float(iti_s)
        rng = np.random.default_rng(None if self.seed is None else self.seed + 1)
        n_tr, n_t, n_n = self.counts.shape
        trial_len = n_t * self.bin_size_s
        starts = np.arange(n_tr) * (trial_len + iti_s)
        t0 = (starts[:, None] + np.arange(n_t)[None, :] * self.bin_size_s).ravel()
        spikes = (self.spike_times if self.spike_times is not None
                  else _spikes_from_counts(self.counts.reshape(-1, n_n), t0, self.bin_size_s, rng))
        n_iti = int(round(iti_s / self.bin_size_s))
        vel_t, vel = [], []
        for k in range(n_tr):
            tt = starts[k] + (np.arange(n_t + n_iti) + 0.5) * self.bin_size_s
            vv = np.vstack([self.velocity[k], np.zeros((n_iti, 2))])
            vel_t.append(tt)
            vel.append(vv)
        beh = TimeSeries("hand_velocity", np.concatenate(vel_t), np.vstack(vel), ("vx", "vy"), "m/s")
        trials = Trials(starts, starts + trial_len,
                        {"condition": self.conditions, "direction_rad": self.directions_rad[self.conditions],
                         "go_s": starts + self.go_s})
        return Recording(spikes, regions=np.full(n_n, "M1"), behaviors={"hand_velocity": beh},
                         trials=trials, time_support_s=np.array([0.0, starts[-1] + trial_len + iti_s]),
                         name=f"synthetic_reaching_seed{self.seed}")


def make_reaching(n_conditions: int = 8, n_trials_per_condition: int = 20, n_neurons: int = 60,
                  trial_duration_s: float = 1.0, bin_size_s: float = 0.01, go_s: float = 0.3,
                  peak_speed_m_s: float = 0.3, baseline_rate_hz: float = 8.0, iti_s: float = 0.5,
                  refractory_s: float = 0.002, iti_variability: float = 0.3, seed: int | None = 0
                  ) -> ReachingData:
    """Centre-out reaching with condition-dependent rotational dynamics and cosine tuning.

    Each trial reaches toward one of ``n_conditions`` directions. Hand velocity has a
    bell-shaped speed profile starting at ``go_s``. A 4-D latent state made of two
    rotating planes (frequencies 1.5 and 3 Hz, slight decay) starts from a
    condition-dependent initial state at movement onset — the rotational structure
    reported in motor cortex (Churchland et al. 2012). Each neuron's log-rate is
    ``b + C·latent + k·(v · u_pd)``: latent dynamics plus cosine tuning to velocity
    with preferred direction ``u_pd``. Between trials (``iti_s``) every neuron fires at
    its baseline rate times a log-normal factor drawn per trial and neuron (SD
    ``iti_variability`` in log units). Spikes come from these rates with an absolute
    refractory period ``refractory_s`` (dead-time-thinned Poisson, rate-compensated), and
    ``counts`` are the spikes binned per trial.

    Parameters
    ----------
    n_conditions : int
        Reach directions, evenly spaced (>= 2).
    n_trials_per_condition : int
        Trials per direction.
    n_neurons : int
        Simulated neurons.
    trial_duration_s, bin_size_s : float
        Trial length and bin width (s).
    go_s : float
        Movement onset within each trial (s).
    peak_speed_m_s : float
        Peak hand speed (m/s).
    baseline_rate_hz : float
        Typical baseline firing rate (Hz).
    iti_s : float
        Inter-trial interval (s).
    refractory_s : float
        Absolute refractory period (s).
    iti_variability : float
        SD of the per-trial log-normal baseline factor between trials (log units, dimensionless).
    seed : int or None
        Seeds every random draw (None: fresh entropy).

    Returns
    -------
    ReachingData
    """
    if n_conditions < 2 or n_trials_per_condition < 1 or n_neurons < 1:
        raise InputError("make_reaching needs n_conditions >= 2, n_trials_per_condition >= 1, n_neurons >= 1")
    rng = as_rng(seed)
    n_t = int(round(trial_duration_s / bin_size_s))
    t = (np.arange(n_t) + 0.5) * bin_size_s
    dirs = np.arange(n_conditions) * 2 * np.pi / n_conditions
    conditions = np.repeat(np.arange(n_conditions), n_trials_per_condition)
    rng.shuffle(conditions)
    n_tr = len(conditions)
    # speed profile: minimum-jerk-like bump over 0.4 s after go
    tau = np.clip((t - go_s) / 0.4, 0, 1)
    speed = peak_speed_m_s * (30 * tau**2 * (1 - tau) ** 2) / 1.875
    jitter = 1 + 0.1 * rng.standard_normal(n_tr)
    ang = dirs[conditions] + 0.05 * rng.standard_normal(n_tr)
    velocity = (speed[None, :, None] * jitter[:, None, None]
                * np.stack([np.cos(ang), np.sin(ang)], -1)[:, None, :])
    # rotational latent dynamics from a condition-dependent initial state at go
    n_lat = 4
    latents = np.zeros((n_tr, n_t, n_lat))
    omegas, decay = (2 * np.pi * 1.5, 2 * np.pi * 3.0), 1.0
    for k in range(n_tr):
        a = ang[k]
        x0 = np.array([np.cos(a), np.sin(a), np.cos(2 * a), np.sin(2 * a)])
        dt_go = np.clip(t - go_s, 0, None)
        env = np.exp(-decay * dt_go) * (t >= go_s - 0.1)
        for p, w in enumerate(omegas):
            c, s = np.cos(w * dt_go), np.sin(w * dt_go)
            latents[k, :, 2 * p] = env * (c * x0[2 * p] - s * x0[2 * p + 1])
            latents[k, :, 2 * p + 1] = env * (s * x0[2 * p] + c * x0[2 * p + 1])
    C = rng.normal(0, 0.5, size=(n_neurons, n_lat))
    pd = rng.uniform(0, 2 * np.pi, n_neurons)
    gain = rng.uniform(2.0, 4.0, n_neurons)  # per (m/s)
    b = np.log(baseline_rate_hz) + rng.normal(0, 0.3, n_neurons)
    u = np.stack([np.cos(pd), np.sin(pd)], -1)  # (neurons, 2)
    log_rate = b + latents @ C.T + gain * (velocity @ u.T)
    rates = np.exp(log_rate)
    spikes, counts = _session_spikes(rates, b, bin_size_s, iti_s, refractory_s, iti_variability, rng)
    return ReachingData(counts, rates, velocity, latents, conditions, dirs, pd, C, b, bin_size_s, t,
                        go_s, seed if isinstance(seed, (int, np.integer)) else None, spikes, float(iti_s),
                        float(refractory_s))


def _session_spikes(rates, b, bin_size_s, iti_s, refractory_s, iti_variability, rng):
    """Spike trains of the whole session (trials + baseline between them) and per-trial counts."""
    from ._spiking import refractory_spikes

    n_tr, n_t, n_n = rates.shape
    n_iti = int(round(iti_s / bin_size_s))
    iti_rate = np.exp(b[None, :] + iti_variability * rng.standard_normal((n_tr, n_n)))
    full = np.concatenate([rates, np.repeat(iti_rate[:, None, :], n_iti, axis=1)], axis=1)
    t0 = np.arange(n_tr * (n_t + n_iti)) * bin_size_s
    spikes = refractory_spikes(full.reshape(-1, n_n), t0, bin_size_s, refractory_s, rng)
    edges = (np.arange(n_tr)[:, None] * (n_t + n_iti) + np.arange(n_t + 1)[None, :]) * bin_size_s
    counts = np.empty((n_tr, n_t, n_n))
    for j, st in enumerate(spikes):
        c = np.diff(np.searchsorted(st, edges.ravel()).reshape(n_tr, n_t + 1), axis=1)
        counts[:, :, j] = c
    return spikes, counts


# --------------------------------------------------------------------------- Lorenz
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
                         trials=Trials(starts, starts + L, {"condition": np.zeros(n_tr, int)}),
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
