"""jPCA (Churchland et al. 2012): rotational structure of condition-averaged population trajectories.

Condition averages are reduced to their top principal components; the derivative of the
reduced state is fitted by linear dynamics ``dx/dt = x M`` twice, once with ``M``
unconstrained and once with ``M`` skew-symmetric (pure rotation). The skew-symmetric
matrix has eigenvalues ``±iω``; each conjugate pair spans a rotational plane that rotates
at ``ω / 2π`` Hz. The ratio of the two fits' R² says how much of the linear dynamics is
rotational.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError
from .._utils.validation import check_array
from .jpca_core import (
    _instrumented,
    _orthonormal,
    _principal_axes,
    _r2,
    _rotation_planes,
    fit_skew_symmetric,
    remove_behavior_encoding,
)

__all__ = ["JPCAResult", "condition_averages", "fit_skew_symmetric", "jpca", "jpca_from_trials",
           "largest_principal_angle_deg", "remove_behavior_encoding", "split_half_averages"]


@dataclass(frozen=True)
class JPCAResult:
    """Rotational planes found by :func:`jpca`.

    Attributes
    ----------
    planes : ndarray, shape (n_planes, neurons, 2)
        Orthonormal basis of each rotational plane in (preprocessed) neuron space, planes
        ordered by decreasing rotation frequency.
    planes_pc : ndarray, shape (n_planes, n_pcs, 2)
        The same planes in PC coordinates.
    frequencies_hz : ndarray, shape (n_planes,)
        Rotation frequency of each plane (``ω / 2π``).
    m_skew, m_best : ndarray, shape (n_pcs, n_pcs)
        Skew-symmetric and unconstrained dynamics matrices (per second) in ``dx/dt = x M``.
    r2_skew, r2_best : float
        Fraction of the derivative's variance (over conditions and time of the analysis
        window) explained by each fit.
    rotation_fraction : float
        ``r2_skew / r2_best``: how much of the linear dynamics is rotational.
    plane_r2 : ndarray, shape (n_planes,)
        Fraction of the derivative's variance captured by the skew fit restricted to each plane.
    pcs : ndarray, shape (neurons, n_pcs)
        Principal axes of the (preprocessed, condition-mean-subtracted) averages.
    mean : ndarray, shape (time, neurons)
        Cross-condition mean subtracted before PCA.
    projections : ndarray, shape (conditions, time, 2 * n_planes)
        Trajectories projected onto each plane's basis (plane k in columns 2k, 2k+1).
    variance_explained : float
        Fraction of the condition-mean-subtracted variance in the top ``n_pcs`` PCs.
    bin_size_s : float
    """

    planes: np.ndarray
    planes_pc: np.ndarray
    frequencies_hz: np.ndarray
    m_skew: np.ndarray
    m_best: np.ndarray
    r2_skew: float
    r2_best: float
    rotation_fraction: float
    plane_r2: np.ndarray
    pcs: np.ndarray
    mean: np.ndarray
    projections: np.ndarray
    variance_explained: float
    bin_size_s: float

    def to_json(self) -> dict:
        """JSON-ready summary (frequencies, R², rotation fraction)."""
        return {"frequencies_hz": [float(f) for f in self.frequencies_hz],
                "plane_r2": [float(r) for r in self.plane_r2], "r2_skew": float(self.r2_skew),
                "r2_best": float(self.r2_best), "rotation_fraction": float(self.rotation_fraction),
                "variance_explained": float(self.variance_explained), "n_pcs": int(self.pcs.shape[1])}


def jpca(averages, bin_size_s: float, *, n_pcs: int = 6, soft_norm_hz: float | None = None,
         transform: str = "none", time_slice: slice | None = None, behavior=None,
         log_offset: float = 1.0, halves=None, whiten: bool = True) -> JPCAResult:
    """Fit jPCA to condition-averaged trajectories.

    Parameters
    ----------
    averages : array_like, shape (conditions, time, neurons)
        Condition-averaged activity (e.g. smoothed rates in Hz).
    bin_size_s : float
        Time step between samples (seconds); frequencies are reported in Hz from it.
    n_pcs : int
        Number of principal components (even, >= 2).
    soft_norm_hz : float, optional
        Soft normalisation: divide each neuron by ``range + soft_norm_hz`` (Churchland et al. used 5 Hz).
    transform : {"none", "log", "sqrt"}
        Applied before normalisation; ``"log"`` is ``log(x + log_offset)``, which turns multiplicative
        (log-linear) tuning into additive structure.
    halves : (array_like, array_like), optional
        Two condition averages of the same shape as ``averages`` from disjoint halves of the
        trials. Noise in the state attenuates a least-squares fit of ``dx/dt = x M`` toward 0
        (errors in variables), so frequencies come out low on noisy averages; with
        ``halves`` each half instruments the other (``min |P_a (dx_b - x_b M)|²`` and the
        swap), which removes that attenuation. The PCs come from the halves' symmetrised
        cross-covariance, whose noise part vanishes (the halves' noise is independent).
    log_offset : float
        Offset of the ``"log"`` transform, in the units of ``averages``: ``log(x + log_offset)``.
    time_slice : slice, optional
        Time bins entering the fit (e.g. the movement epoch); default all.
    behavior : array_like, shape (conditions, time, features), optional
        Condition-averaged behaviour (e.g. hand velocity) whose instantaneous encoding is
        removed first with :func:`remove_behavior_encoding`. Behaviour that shares the
        condition structure of a rotation (velocity ∝ (cos θ, sin θ) like a plane's initial
        state) otherwise tilts that plane toward the behaviour-encoding axes.
    whiten : bool
        Fit the skew-symmetric dynamics in whitened PC coordinates (unit variance per PC). Plain
        jPCA (``False``, Churchland et al.) forces orthogonal circular planes, which tilts planes
        that are not orthogonal in neuron space or rotate on ellipses. For a flow that leaves the
        state covariance Σ unchanged (conditions spread around each plane), ``Σ^½ M Σ^-½`` is
        skew-symmetric, so whitening recovers such planes exactly; with few conditions at uneven
        phases and amplitudes ``False`` is closer when the planes are orthogonal. Whitened planes
        are orthonormal bases in neuron space but not mutually orthogonal; ``projections`` and
        the R² values are in whitened units.

    Returns
    -------
    JPCAResult
    """
    x, parts, mean = _prepared(averages, halves, bin_size_s, n_pcs, transform, log_offset, soft_norm_hz,
                               time_slice, behavior, whiten)
    pcs, var, var_exp = _principal_axes(x - mean, parts[1:], n_pcs)
    # whitened coordinates: unit variance along each PC (see the docstring's ``whiten``)
    scale = np.sqrt(var) if whiten else np.ones(n_pcs)
    red = (x - mean) @ (pcs / scale)  # (conditions, time, k)
    # derivative by central differences on the midpoints, so state and derivative align in time
    dx = np.diff(red, axis=1).reshape(-1, n_pcs) / bin_size_s
    xm = (0.5 * (red[:, 1:] + red[:, :-1])).reshape(-1, n_pcs)
    design, target = (xm, dx) if halves is None else _instrumented(parts[1], parts[2], mean, pcs / scale,
                                                                     bin_size_s)
    m_best, *_ = np.linalg.lstsq(design, target, rcond=None)
    m_skew = fit_skew_symmetric(design, target)
    r2_best, r2_skew = _r2(dx, xm @ m_best), _r2(dx, xm @ m_skew)
    planes_pc, omegas = _rotation_planes(m_skew)
    plane_r2 = np.array([_r2(dx, xm @ (q @ q.T) @ m_skew @ (q @ q.T)) for q in planes_pc])
    proj = np.concatenate([red @ q for q in planes_pc], axis=-1) if planes_pc else np.zeros(red.shape[:2] + (0,))
    # a plane spanned by the rows qᵀ of whitened coordinates is spanned by qᵀ diag(scale) pcsᵀ in neuron space
    planes_pc = [_orthonormal(scale[:, None] * q) for q in planes_pc]
    planes = np.stack([pcs @ q for q in planes_pc]) if planes_pc else np.zeros((0, x.shape[2], 2))
    return JPCAResult(planes=planes, planes_pc=np.stack(planes_pc) if planes_pc else np.zeros((0, n_pcs, 2)),
                      frequencies_hz=omegas / (2 * np.pi), m_skew=m_skew, m_best=m_best, r2_skew=r2_skew,
                      r2_best=r2_best, rotation_fraction=r2_skew / r2_best if r2_best > 0 else float("nan"),
                      plane_r2=plane_r2, pcs=pcs, mean=mean, projections=proj, variance_explained=var_exp,
                      bin_size_s=float(bin_size_s))


def jpca_from_trials(counts, conditions, bin_size_s: float, *, smooth_s: float = 0.02, behavior=None,
                     n_pcs: int = 6, seed: int = 0) -> tuple[JPCAResult, np.ndarray]:
    """jPCA on the condition-averaged rates of single trials (what ``dynamics --method jpca`` runs).

    Rates are averaged per condition and Gaussian-smoothed, log-transformed (``log(rate + 1 Hz)``:
    log-linear tuning becomes additive), the averages of two random halves of each condition's
    trials remove the noise bias of the fit (``halves`` in :func:`jpca`), and the instantaneous
    encoding of ``behavior`` is removed jointly with the rotation.

    Parameters
    ----------
    counts : array_like, shape (trials, time, neurons)
        Spike counts aligned to an event, cut to the analysis window.
    conditions : array_like, shape (trials,)
    bin_size_s : float
    smooth_s : float
        Gaussian kernel SD (s) of the condition averages.
    behavior : array_like, shape (trials, time, features), optional
    n_pcs : int
    seed : int
        Seed of the random split into halves.

    Returns
    -------
    (JPCAResult, ndarray) : the fit and the condition labels, in the order of its conditions.
    """
    rates = check_array(counts, "counts (trials, time, neurons)", ndim=3) / bin_size_s
    avg, labels = condition_averages(rates, conditions, bin_size_s, smooth_s)
    beh = None if behavior is None else condition_averages(behavior, conditions, bin_size_s, smooth_s)[0]
    halves = split_half_averages(rates, conditions, bin_size_s, smooth_s, seed)
    return jpca(avg, bin_size_s, n_pcs=n_pcs, transform="log", behavior=beh, halves=halves), labels


def _prepared(averages, halves, bin_size_s, n_pcs, transform, log_offset, soft_norm_hz, time_slice, behavior,
              whiten):
    """Validated, transformed, soft-normalised averages (and halves) with behaviour encoding removed.

    Returns ``(x, parts, mean)``: ``x`` is ``parts[0]`` (the averages), ``parts[1:]`` the halves
    (same transform, normalisation and encoding removed), ``mean`` the cross-condition mean of ``x``.
    """
    x, b = _checked_inputs(averages, bin_size_s, n_pcs, transform, time_slice, behavior)
    parts = [x] + _checked_halves(halves, time_slice, x.shape)
    parts = [_preprocess(p, transform, log_offset) for p in parts]
    if soft_norm_hz is not None:
        norm = parts[0].max(axis=(0, 1)) - parts[0].min(axis=(0, 1)) + float(soft_norm_hz)
        parts = [p / norm for p in parts]
    mean = parts[0].mean(0)
    if b is not None:
        encoding = (parts[0] - mean) - remove_behavior_encoding(parts[0], b, bin_size_s, n_pcs, whiten=whiten)
        parts = [p - encoding for p in parts]
    return parts[0], parts, mean


def _checked_inputs(averages, bin_size_s, n_pcs, transform, time_slice, behavior):
    """Validated averages (conditions, time, neurons) and behaviour, both cut to ``time_slice``."""
    x = check_array(averages, "averages (conditions, time, neurons)", ndim=3)
    if n_pcs < 2 or n_pcs % 2:
        raise InputError(f"n_pcs must be an even number >= 2, got {n_pcs}")
    if not bin_size_s > 0:
        raise InputError(f"bin_size_s must be > 0, got {bin_size_s}")
    if transform not in ("none", "log", "sqrt"):
        raise InputError(f"transform must be 'none', 'log' or 'sqrt', got {transform!r}")
    if time_slice is not None:
        x = x[:, time_slice]
    n_c, n_t, n_n = x.shape
    if n_c < 2:
        raise InputError(f"jPCA needs at least 2 conditions, got {n_c}")
    if n_t < 3:
        raise InputError(f"jPCA needs at least 3 time bins in the analysis window, got {n_t}")
    if n_pcs > min(n_n, n_c * n_t - 1):
        raise InputError(f"n_pcs={n_pcs} exceeds what {n_n} neurons x {n_c * n_t} samples support")
    if transform != "none" and x.min() < 0:
        raise InputError(f"transform {transform!r} needs non-negative activity (rates or counts)")
    b = None
    if behavior is not None:
        b = check_array(behavior, "behavior (conditions, time, features)", ndim=3)
        if time_slice is not None:
            b = b[:, time_slice]
        if b.shape[:2] != (n_c, n_t):
            raise InputError(f"behavior has {b.shape[:2]} (conditions, time); the activity has {(n_c, n_t)}")
    return x, b


def _checked_halves(halves, time_slice, shape) -> list:
    if halves is None:
        return []
    if len(halves) != 2:
        raise InputError("halves must be two condition averages (from disjoint halves of the trials)")
    out = []
    for h in halves:
        h = check_array(h, "halves (conditions, time, neurons)", ndim=3)
        h = h[:, time_slice] if time_slice is not None else h
        if h.shape != shape:
            raise InputError(f"halves have shape {h.shape}; they must match the averages {shape}")
        out.append(h)
    return out


def _preprocess(x: np.ndarray, transform: str, log_offset: float) -> np.ndarray:
    if transform == "log":
        return np.log(x + log_offset)
    if transform == "sqrt":
        return np.sqrt(x)
    return x

def largest_principal_angle_deg(a, b) -> float:
    """Largest principal angle (degrees) between the column spaces of ``a`` and ``b``.

    Parameters
    ----------
    a, b : array_like, shape (n, p) and (n, q)
    """
    from scipy.linalg import subspace_angles

    a = check_array(a, "a (n, p)", ndim=2)
    b = check_array(b, "b (n, q)", ndim=2)
    if a.shape[0] != b.shape[0]:
        raise InputError(f"subspaces live in different spaces: {a.shape[0]} vs {b.shape[0]} rows")
    return float(np.degrees(np.max(subspace_angles(a, b))))


def condition_averages(x, conditions, bin_size_s: float, smooth_s: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Per-condition mean over trials, Gaussian-smoothed in time.

    Parameters
    ----------
    x : array_like, shape (trials, time, features)
        Counts (divide by ``bin_size_s`` yourself for Hz) or any aligned signal.
    conditions : array_like, shape (trials,)
    bin_size_s : float
    smooth_s : float
        Gaussian kernel SD in seconds (0 = none).

    Returns
    -------
    averages : ndarray, shape (n_conditions, time, features)
    labels : ndarray, shape (n_conditions,)
    """
    from scipy.ndimage import gaussian_filter1d

    a = check_array(x, "x (trials, time, features)", ndim=3)
    cond = np.asarray(conditions)
    if cond.shape != (a.shape[0],):
        raise InputError(f"conditions has {cond.size} entries for {a.shape[0]} trials (mismatched lengths)")
    labels = np.unique(cond)
    avg = np.stack([a[cond == c].mean(0) for c in labels])
    if smooth_s > 0:
        avg = gaussian_filter1d(avg, smooth_s / bin_size_s, axis=1, mode="nearest")
    return avg, labels


def split_half_averages(x, conditions, bin_size_s: float, smooth_s: float = 0.0, seed: int = 0):
    """Condition averages of two disjoint random halves of each condition's trials (for ``jpca(halves=...)``).

    Parameters
    ----------
    x : array_like, shape (trials, time, features)
        Single-trial activity (e.g. rates in Hz).
    conditions : array_like, shape (trials,)
        Condition label of each trial; each condition needs >= 2 trials.
    bin_size_s : float
        Bin width in s.
    smooth_s : float
        Gaussian smoothing SD of the averages in s (0: none).
    seed : int
        Seed of the random split.

    Returns
    -------
    (ndarray, ndarray) : each ``(n_conditions, time, features)``.
    """
    a = check_array(x, "x (trials, time, features)", ndim=3)
    cond = np.asarray(conditions)
    if cond.shape != (a.shape[0],):
        raise InputError(f"conditions has {cond.size} entries for {a.shape[0]} trials (mismatched lengths)")
    rng = np.random.default_rng(seed)
    half = np.zeros(len(cond), bool)
    for c in np.unique(cond):
        idx = rng.permutation(np.flatnonzero(cond == c))
        if len(idx) < 2:
            raise InputError(f"condition {c!r} has {len(idx)} trial; split halves need at least 2 per condition")
        half[idx[: len(idx) // 2]] = True
    first = condition_averages(a[half], cond[half], bin_size_s, smooth_s)[0]
    second = condition_averages(a[~half], cond[~half], bin_size_s, smooth_s)[0]
    return first, second
