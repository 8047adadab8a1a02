"""Synthetic centre-out reaching: rotational latent dynamics, cosine tuning, refractory spike trains."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError
from .._utils.random import as_rng
from ._spike_times import spikes_from_counts as _spikes_from_counts

__all__ = ["ReachingData", "make_reaching"]


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


def _rotational_latents(ang: np.ndarray, t: np.ndarray, go_s: float) -> np.ndarray:
    """(trials, time, 4) latents: two decaying rotations (1.5 and 3 Hz) from a state set by the reach angle at go."""
    n_lat = 4
    latents = np.zeros((len(ang), len(t), n_lat))
    omegas, decay = (2 * np.pi * 1.5, 2 * np.pi * 3.0), 1.0
    for k in range(len(ang)):
        a = ang[k]
        x0 = np.array([np.cos(a), np.sin(a), np.cos(2 * a), np.sin(2 * a)])
        dt_go = np.clip(t - go_s, 0, None)
        env = np.exp(-decay * dt_go) * (t >= go_s - 0.1)
        for p, w in enumerate(omegas):
            c, s = np.cos(w * dt_go), np.sin(w * dt_go)
            latents[k, :, 2 * p] = env * (c * x0[2 * p] - s * x0[2 * p + 1])
            latents[k, :, 2 * p + 1] = env * (s * x0[2 * p] + c * x0[2 * p + 1])
    return latents


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
    latents = _rotational_latents(ang, t, go_s)
    n_lat = latents.shape[-1]
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
