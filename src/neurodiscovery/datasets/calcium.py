"""Synthetic two-photon calcium imaging with ground truth, on the real rat trajectory.

Spikes of head-direction and place cells (as :func:`make_hd_place_cells`) are drawn
per frame, convolved with a GCaMP-like double-exponential kernel (ΔF/F per spike
``amplitude``), and turned into raw fluorescence with neuropil contamination, a slow
baseline drift and shot noise:

``F = F0 · (1 + drift + c) + r · Fneu + noise``, ``noise ~ N(0, σ² · F / F_base)``

where ``σ = amplitude · F0 / snr``: the **SNR is the peak ΔF/F of one spike over the
noise SD of ΔF/F at baseline**. The neuropil ``Fneu`` is a slow shared signal plus a
per-ROI one, recorded with a third of the ROI's noise; subtracting ``r · Fneu`` with the
planted ``r`` leaves the ROI's own fluorescence.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError
from .._utils.random import as_rng


@dataclass
class CalciumImaging:
    """A synthetic imaging session and its ground truth.

    Attributes
    ----------
    recording : Recording
        ``traces`` with ``fluorescence`` and ``neuropil`` series (ROIs in regions ``"hd"``,
        ``"place"``, then ``"noncell"``: masks, centroids, ``iscell`` probabilities) and
        behaviours ``position`` (m), ``head_direction`` (rad), ``speed`` (m/s).
    spike_counts : ndarray, shape (frames, rois)
        True spikes per frame (all zero for the non-cell ROIs).
    calcium_dff : ndarray, shape (frames, rois)
        Noise-free ΔF/F of each ROI's own calcium.
    tuning : HDPlaceCells
        Planted tuning (``hd_*`` and ``place_*`` parameters) of the cell ROIs.
    tau_rise_s, tau_decay_s, amplitude, snr, neuropil_coef, rate_hz : float
    indicator : str
    """

    recording: object
    spike_counts: np.ndarray
    calcium_dff: np.ndarray
    tuning: object
    tau_rise_s: float
    tau_decay_s: float
    amplitude: float
    snr: float
    neuropil_coef: float
    rate_hz: float
    indicator: str

    def binned_spike_counts(self, bin_size_s: float) -> tuple[np.ndarray, np.ndarray]:
        """True counts in consecutive bins of ``bin_size_s`` from the first frame.

        Returns
        -------
        counts : (n_bins, rois), t_s : (n_bins,) bin centres in seconds
        """
        k = int(round(bin_size_s * self.rate_hz))
        if k < 1:
            raise InputError(f"bin_size_s={bin_size_s} is shorter than a frame (1/{self.rate_hz} s)")
        n = self.spike_counts.shape[0] // k
        c = self.spike_counts[: n * k].reshape(n, k, -1).sum(axis=1)
        t0 = float(self.recording.traces.t_s[0])
        return c, t0 + (np.arange(n) + 0.5) * k / self.rate_hz


def calcium_kernel(rate_hz: float, tau_rise_s: float, tau_decay_s: float, length_s: float | None = None):
    """Double-exponential kernel sampled at frames, peak 1, shape (n_frames,)."""
    n = int(np.ceil((length_s or 8 * tau_decay_s) * rate_hz))
    # spikes fall anywhere inside their frame: sample the kernel half a frame after the spike
    t = (np.arange(n) + 0.5) / rate_hz
    h = np.exp(-t / tau_decay_s) - (np.exp(-t / tau_rise_s) if tau_rise_s > 0 else 0.0)
    return h / h.max()


def _pixel_masks(n: int, shape: tuple[int, int], rng) -> tuple[list[np.ndarray], np.ndarray]:
    masks, cents = [], rng.uniform(12, np.array(shape[::-1]) - 12, (n, 2))
    for cx, cy in cents:
        r = rng.uniform(4, 7)
        xs, ys = np.meshgrid(np.arange(int(cx - r), int(cx + r) + 1), np.arange(int(cy - r), int(cy + r) + 1))
        inside = (xs - cx) ** 2 + (ys - cy) ** 2 <= r * r
        masks.append(np.column_stack([xs[inside], ys[inside], np.ones(inside.sum())]).astype(float))
    return masks, cents


def _causal_conv(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Causal convolution of each column of ``x`` (time, n) with kernel ``h`` via numpy's FFT."""
    n = x.shape[0] + len(h) - 1
    nfft = 1 << int(np.ceil(np.log2(n)))
    y = np.fft.irfft(np.fft.rfft(x, nfft, axis=0) * np.fft.rfft(h, nfft)[:, None], nfft, axis=0)
    return y[: x.shape[0]]


def _slow_noise(n_frames: int, n: int, rate_hz: float, tau_s: float, rng) -> np.ndarray:
    """Unit-variance AR(1) (discretised Ornstein-Uhlenbeck) noise, correlation time ``tau_s``, (n_frames, n)."""
    a = np.exp(-1.0 / (tau_s * rate_hz))
    h = np.sqrt(1 - a * a) * a ** np.arange(int(np.ceil(10 * tau_s * rate_hz)))
    w = rng.standard_normal((n_frames + len(h), n))
    return _causal_conv(w, h)[len(h):]  # discard the warm-up so the start is stationary


def _imaged_trajectory(rate_hz: float, duration_s: float | None):
    """Frame times (s), position (m) and head direction (rad) of the real rat trajectory at ``rate_hz``."""
    from .builtin import load_rat_trajectory
    from .synthetic import heading_from_trajectory

    t_traj, pos_traj = load_rat_trajectory()
    t_end = t_traj[-1] if duration_s is None else min(t_traj[-1], t_traj[0] + float(duration_s))
    t = np.arange(t_traj[0], t_end, 1.0 / rate_hz)
    if len(t) < 10 * rate_hz:
        raise InputError(f"duration_s={duration_s} gives under 10 s of imaging")
    pos = np.column_stack([np.interp(t, t_traj, pos_traj[:, k]) for k in range(2)])
    hd = np.mod(np.interp(t, t_traj, np.unwrap(heading_from_trajectory(t_traj, pos_traj))), 2 * np.pi)
    return t, pos, hd


def _fluorescence(calcium: np.ndarray, amplitude: float, snr: float, neuropil_coef: float, drift: float,
                  rate_hz: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Observed ROI fluorescence and neuropil (frames, rois): baseline with drift, calcium, neuropil, shot noise."""
    n_t, n = calcium.shape
    f0 = rng.uniform(300, 800, n)
    fneu0 = f0 * rng.uniform(0.4, 0.8, n)
    neu = fneu0 * (1 + 0.1 * _slow_noise(n_t, 1, rate_hz, 2.0, rng) + 0.05 * _slow_noise(n_t, n, rate_hz, 1.0, rng))
    base = f0 * (1 + drift * _slow_noise(n_t, n, rate_hz, 60.0, rng))
    clean = base + f0 * calcium + neuropil_coef * neu
    sigma = amplitude * f0 / snr
    f_base = f0 + neuropil_coef * fneu0
    fl = clean + sigma * np.sqrt(np.maximum(clean, 0) / f_base) * rng.standard_normal(clean.shape)
    neu_obs = neu + (sigma / 3) * rng.standard_normal(neu.shape)
    return fl, neu_obs


def _behaviors(t: np.ndarray, pos: np.ndarray, hd: np.ndarray, dt: float) -> dict:
    """Position, head direction and speed sampled at the frame centres."""
    from ..data import TimeSeries

    return {"position": TimeSeries("position", t + dt / 2, pos, ("x", "y"), "m"),
            "head_direction": TimeSeries("head_direction", t + dt / 2, hd, ("head_direction",), "rad", True),
            "speed": TimeSeries("speed", t + dt / 2, np.linalg.norm(np.gradient(pos, t, axis=0), axis=1),
                                ("speed",), "m/s")}


def make_calcium_imaging(n_hd: int = 20, n_place: int = 30, n_noncell: int = 5, *, snr: float = 8.0,
                         indicator: str = "GCaMP6f", rate_hz: float = 30.0, duration_s: float | None = None,
                         neuropil_coef: float = 0.7, amplitude: float = 0.2, peak_rate_hz: float = 6.0,
                         drift: float = 0.05, seed: int | None = 0) -> CalciumImaging:
    """Head-direction and place-cell ROIs imaged at ``rate_hz`` on the real rat trajectory.

    Parameters
    ----------
    n_hd, n_place : int
        Tuned cell ROIs (von Mises head-direction, Gaussian place fields).
    n_noncell : int
        ROIs that hold only neuropil and noise, with ``iscell`` below 0.3.
    snr : float
        Single-spike ΔF/F peak over the baseline ΔF/F noise SD (see module notes).
    indicator : str
        ``GCaMP6f``, ``GCaMP6m`` or ``GCaMP6s``: sets the planted rise/decay
        (:data:`neurodiscovery.data.INDICATOR_KINETICS`).
    rate_hz : float
        Frame rate.
    duration_s : float, optional
        Shorter session (default: the trajectory's 600 s).
    neuropil_coef : float
        Planted neuropil contamination ``r``.
    amplitude : float
        ΔF/F peak of one spike.
    peak_rate_hz : float
        Typical in-field peak rate (each cell draws 0.6-1.4 × this).
    drift : float
        Relative amplitude of the slow baseline drift (correlation time 60 s).
    seed : int
        Seeds tuning, spikes, baselines, noise and ROI shapes.

    Returns
    -------
    CalciumImaging
    """
    from ..data import Recording, RoiTable, Traces, indicator_kinetics
    from .synthetic import HDPlaceCells

    if not snr > 0 or not rate_hz > 0:
        raise InputError(f"snr and rate_hz must be > 0, got snr={snr}, rate_hz={rate_hz}")
    if min(n_hd, n_place, n_noncell) < 0 or n_hd + n_place + n_noncell == 0:
        raise InputError("ROI counts must be >= 0 with at least one ROI")
    tau_r, tau_d = indicator_kinetics(indicator)
    rng = as_rng(seed)
    t, pos, hd = _imaged_trajectory(rate_hz, duration_s)

    def peak(n):
        return peak_rate_hz * rng.uniform(0.6, 1.4, n)

    tuning = HDPlaceCells(
        recording=None, hd_preferred_rad=rng.uniform(0, 2 * np.pi, n_hd), hd_kappa=rng.uniform(2.0, 5.0, n_hd),
        hd_peak_hz=peak(n_hd), hd_base_hz=rng.uniform(0.05, 0.3, n_hd),
        place_centre_m=rng.uniform(0.1, 0.9, (n_place, 2)), place_width_m=rng.uniform(0.08, 0.14, n_place),
        place_peak_hz=peak(n_place), place_base_hz=rng.uniform(0.05, 0.3, n_place))
    rates = np.hstack([tuning.hd_tuning_hz(hd), tuning.place_tuning_hz(pos), np.zeros((len(t), n_noncell))])
    counts = rng.poisson(rates / rate_hz).astype(float)
    h = calcium_kernel(rate_hz, tau_r, tau_d)
    calcium = amplitude * _causal_conv(counts, h)
    calcium = np.maximum(calcium, 0.0)  # fft round-off
    n = counts.shape[1]
    fl, neu_obs = _fluorescence(calcium, amplitude, snr, neuropil_coef, drift, rate_hz, rng)
    masks, cents = _pixel_masks(n, (256, 256), rng)
    iscell = np.concatenate([rng.uniform(0.6, 1.0, n_hd + n_place), rng.uniform(0.0, 0.3, n_noncell)])
    rois = RoiTable(np.arange(n), iscell=iscell, centroid_px=cents, pixel_masks=masks, image_shape=(256, 256))
    traces = Traces({"fluorescence": fl, "neuropil": neu_obs}, t, kind="fluorescence", rois=rois,
                    rate_hz=rate_hz, indicator=indicator, meta={"synthetic": {"snr": snr, "seed": seed}})
    dt = 1.0 / rate_hz
    behs = _behaviors(t, pos, hd, dt)
    regions = np.array(["hd"] * n_hd + ["place"] * n_place + ["noncell"] * n_noncell)
    span = np.array([t[0], t[-1] + dt])
    rec = Recording([], regions=regions, behaviors=behs, epochs={"wake": span[None]}, time_support_s=span,
                    traces=traces, name=f"synthetic_calcium_snr{snr:g}_seed{seed}")
    return CalciumImaging(rec, counts, calcium, tuning, tau_r, tau_d, amplitude, float(snr),
                          neuropil_coef, float(rate_hz), indicator)
