"""A long, many-unit synthetic session written straight to NWB (for memory-bounded batch analysis).

:func:`make_large_session` draws head-direction and place cells (the tuning model of
:func:`~neurodiscovery.datasets.make_hd_place_cells`) along the real rat trajectory, played
forwards and backwards in turn until the session is long enough (so position stays continuous
and head direction, the movement direction, reverses with it). Spikes are drawn one unit at a
time, so generating never holds a ``(time, units)`` rate matrix: 1,000 units over 2 hours
need about the memory of their spike times (~25 M spikes, ~0.2 GB).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._utils.errors import InputError
from .._utils.random import as_rng


@dataclass(frozen=True)
class LargeSession:
    """What :func:`make_large_session` wrote, with its ground truth.

    Attributes
    ----------
    path : Path
        The NWB file.
    n_units, duration_s, n_spikes : int, float, int
        Units, session length (s) and total spikes written.
    n_hd : int
        Head-direction units (the first ``n_hd``, region ``"hd"``); the rest are place cells.
    hd_preferred_rad : ndarray, shape (n_hd,)
        Preferred head direction of each head-direction unit (rad).
    place_centre_m : ndarray, shape (n_units - n_hd, 2)
        Place-field centre of each place cell (m).
    """

    path: Path
    n_units: int
    duration_s: float
    n_spikes: int
    n_hd: int
    hd_preferred_rad: np.ndarray
    place_centre_m: np.ndarray


def _long_trajectory(duration_s: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Sample times (s), positions ``(n, 2)`` m and the sample interval of a ``duration_s`` path."""
    from .builtin import load_rat_trajectory

    _, pos = load_rat_trajectory()
    dt = 0.02  # the shipped path is sampled at 50 Hz
    n = int(np.floor(duration_s / dt))
    period = np.concatenate([pos, pos[-2:0:-1]])  # forwards then backwards: no jump at the seams
    reps = int(np.ceil(n / len(period)))
    return np.arange(n) * dt, np.tile(period, (reps, 1))[:n], dt


def make_large_session(path: str | os.PathLike, n_units: int = 1000, duration_s: float = 7200.0,
                       seed: int = 0, hd_fraction: float = 0.5, overwrite: bool = False) -> LargeSession:
    """Write a synthetic session of ``n_units`` over ``duration_s`` to an NWB file.

    Parameters
    ----------
    path : path
        NWB file to write (refused if it exists unless ``overwrite``).
    n_units : int
        Units (default 1,000): the first ``round(hd_fraction * n_units)`` are head-direction
        cells (region ``"hd"``), the others place cells (region ``"place"``).
    duration_s : float
        Session length in seconds (default 7,200: two hours); behaviour at 50 Hz.
    seed : int
        Seeds the tuning parameters and the spikes.
    hd_fraction : float
        Share of head-direction units, in [0, 1].
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    LargeSession
        The path, sizes and planted preferred directions / field centres.

    Notes
    -----
    Rates are held constant within each 20 ms tracking sample and spikes drawn as a Poisson
    process (as in :func:`~neurodiscovery.datasets.make_hd_place_cells`); the behaviours are
    ``position`` (m), ``head_direction`` (rad, the smoothed movement direction) and ``speed``
    (m/s), with one ``wake`` epoch over the whole session.
    """
    from ..data import Recording, TimeSeries, simulated_subject, write_recording
    from .synthetic import heading_from_trajectory

    if not (isinstance(n_units, (int, np.integer)) and n_units >= 1):
        raise InputError(f"n_units must be an integer >= 1, got {n_units!r}")
    if not (np.isfinite(duration_s) and duration_s >= 1.0):
        raise InputError(f"duration_s must be at least 1 s, got {duration_s!r}")
    if not 0.0 <= hd_fraction <= 1.0:
        raise InputError(f"hd_fraction must be in [0, 1], got {hd_fraction!r}")
    path = Path(path)
    if path.exists() and not overwrite:
        raise InputError(f"{path} exists; choose another path or pass overwrite=True")
    rng = as_rng(seed)
    t, pos, dt = _long_trajectory(float(duration_s))
    hd = heading_from_trajectory(t, pos)
    n_hd = int(round(hd_fraction * n_units))
    pref, kappa = rng.uniform(0, 2 * np.pi, n_hd), rng.uniform(2.0, 6.0, n_hd)
    hd_peak, hd_base = rng.uniform(15, 40, n_hd), rng.uniform(0.2, 1.5, n_hd)
    centre, width = rng.uniform(0.1, 0.9, (n_units - n_hd, 2)), rng.uniform(0.06, 0.12, n_units - n_hd)
    pl_peak, pl_base = rng.uniform(8, 20, n_units - n_hd), rng.uniform(0.1, 0.5, n_units - n_hd)
    spikes = []
    for j in range(n_units):  # one unit at a time: never a (time, units) rate matrix
        if j < n_hd:
            rate = hd_base[j] + (hd_peak[j] - hd_base[j]) * np.exp(kappa[j] * (np.cos(hd - pref[j]) - 1))
        else:
            k = j - n_hd
            d2 = ((pos - centre[k]) ** 2).sum(1)
            rate = pl_base[k] + (pl_peak[k] - pl_base[k]) * np.exp(-d2 / (2 * width[k] ** 2))
        c = rng.poisson(rate * dt)
        starts = np.repeat(t, c)
        spikes.append(np.sort(starts + rng.uniform(0, dt, size=starts.size)))
    speed = np.linalg.norm(np.gradient(pos, t, axis=0), axis=1)
    mid = t + dt / 2
    behs = {"position": TimeSeries("position", mid, pos, ("x", "y"), "m"),
            "head_direction": TimeSeries("head_direction", mid, hd, ("head_direction",), "rad", True),
            "speed": TimeSeries("speed", mid, speed, ("speed",), "m/s")}
    span = np.array([0.0, len(t) / 50.0])  # n samples at exactly 50 Hz
    rec = Recording(spikes, regions=np.array(["hd"] * n_hd + ["place"] * (n_units - n_hd)), behaviors=behs,
                    epochs={"wake": span[None, :]}, time_support_s=span,
                    name=f"synthetic_large_{n_units}u_{int(duration_s)}s_seed{seed}",
                    meta={"subject": f"synthetic{seed}", "simulated": True})
    n_spikes = int(rec.n_spikes.sum())
    write_recording(rec, path, overwrite=overwrite, command="make_large_session",
                    subject={**simulated_subject("large head-direction/place session", seed), "subject_id": None})
    return LargeSession(path, int(n_units), float(span[1]), n_spikes, n_hd, pref, centre)
