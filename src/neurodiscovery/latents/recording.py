"""From a :class:`~neurodiscovery.data.Recording` to latent models: trial tensors, fits, the HD ring.

These are the pure computations behind ``neurodiscovery latents`` and the latent-structure
section of ``analyze``: each returns a typed record and writes nothing.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError
from ..data.trials import AlignedTrials
from .compare import METHODS, MethodResult, NLBSplit, fit_and_score
from .ring import AngleAlignment, RingManifold, align_angle, circular_error

HD_REGIONS = ("adn", "ad", "hd", "pos", "postsubiculum", "adn_hd")


def trial_counts(rec, bin_size_s: float = 0.02, *, behavior: str | None = None, epoch: str | None = None,
                 segment_s: float = 2.0) -> AlignedTrials:
    """Equal-length trials of counts from a recording.

    With a trial table, every trial is binned from its start over the shortest trial's
    duration. Without one, the epoch (default: whole recording) is cut into consecutive
    pseudo-trials of ``segment_s`` seconds.

    Parameters
    ----------
    rec : Recording
    bin_size_s : float
    behavior : str, optional
        Behaviour to resample on the bins (default: the recording's first behaviour, if any).
    epoch : str, optional
    segment_s : float
        Pseudo-trial length without a trial table.
    """
    from ..data import align_to_events, resample_behavior

    if not bin_size_s > 0:
        raise InputError(f"bin_size_s must be > 0, got {bin_size_s}")
    if behavior is None and rec.behavior_names:
        behavior = rec.behavior_names[0]
    r = rec.restrict(epoch=epoch) if epoch is not None else rec
    if r.trials is not None and len(r.trials) >= 2:
        dur = float(np.min(r.trials.stop_s - r.trials.start_s))
        cond = r.trials.columns.get("condition")
        al = align_to_events(r.spike_times, r.trials.start_s, (0.0, dur), bin_size_s, cond)
        counts, rel, starts = al.counts, al.t_s, al.event_s
        conditions, source, event = al.conditions, "trials", "start_s"
        t = al.abs_t_s
    else:
        b = r.bin(bin_size_s, behaviors=[])
        n = round(segment_s / bin_size_s)
        if n < 2:
            raise InputError(f"segment_s={segment_s} is shorter than two bins of {bin_size_s} s")
        pieces, times = [], []
        for s in np.unique(b.segment):
            idx = np.flatnonzero(b.segment == s)
            for k in range(len(idx) // n):
                pieces.append(b.counts[idx[k * n:(k + 1) * n]])
                times.append(b.t_s[idx[k * n:(k + 1) * n]])
        if len(pieces) < 2:
            raise InputError(f"the data hold fewer than 2 segments of {segment_s} s; use a shorter --segment")
        counts, conditions, source, event = np.stack(pieces), None, "segments", "segment_start"
        # segments are runs of contiguous bins: one start each and the same relative bin centres
        starts = np.array([tt[0] for tt in times]) - bin_size_s / 2
        rel = bin_size_s * (np.arange(n) + 0.5)
        t = np.stack(times)
    beh = None
    if behavior is not None:
        ts = r.behavior(behavior)
        vals = resample_behavior(ts, t.ravel(), max(5 * ts.median_dt_s, bin_size_s) if ts.n_samples > 1 else 1.0)
        if ts.circular:
            vals = np.column_stack([np.cos(vals[:, 0]), np.sin(vals[:, 0])])
        beh = vals.reshape(*t.shape, -1)
    return AlignedTrials(counts, rel, float(bin_size_s), starts, conditions, "spike_counts", beh,
                         (behavior,) if behavior is not None else (), event, source)


@dataclass(frozen=True)
class LatentsFit:
    """A latent method fitted to a recording and scored NLB-style.

    Attributes
    ----------
    method : str
    data : AlignedTrials
    result : MethodResult
        Scores (co-bps, PSTH R², behaviour R²), model, latents of all trials, split.
    """

    method: str
    data: AlignedTrials
    result: MethodResult


def fit_latents(rec, method: str = "gpfa", dim: int = 10, *, bin_size_s: float = 0.02,
                behavior: str | None = None, epoch: str | None = None, segment_s: float = 2.0,
                test_fraction: float = 0.2, heldout_fraction: float = 0.25, seed: int = 0,
                model_kwargs: dict | None = None) -> LatentsFit:
    """Fit one latent method (``METHODS``) to a recording's trials and score it on held-out trials.

    See :func:`trial_counts` for how trials are formed and :func:`~.compare.fit_and_score`
    for the scores. ``dim`` larger than the held-in neuron count is an error.

    Parameters
    ----------
    rec : Recording
        The recording; its trial table gives the trials, else ``epoch`` is cut into ``segment_s`` pieces.
    method : str
        One of ``METHODS``.
    dim : int
        Latent dimension (ignored by ``smoothing``); at most the number of held-in neurons.
    bin_size_s : float
        Bin width of the counts in seconds.
    behavior : str, optional
        Behaviour decoded from the latents for the behaviour R² (default: the recording's first, if any).
    epoch : str, optional
        Epoch to restrict the recording to (default: all of it).
    segment_s : float
        Pseudo-trial length in seconds when the recording has no trial table.
    test_fraction : float
        Fraction of trials held out for scoring.
    heldout_fraction : float
        Fraction of neurons held out for co-smoothing.
    seed : int
        Seed of the trial/neuron split and of the model.
    model_kwargs : dict, optional
        Extra constructor arguments of the model (see :func:`~.compare.make_model`).

    Returns
    -------
    LatentsFit
        The trial tensor and the fitted, scored method.

    Raises
    ------
    InputError
        For an unknown method, ``dim`` above the neuron count, or too few trials/neurons to split.
    """
    if method not in METHODS:
        raise InputError(f"unknown latent method '{method}'; available: {', '.join(METHODS)}")
    if rec.n_units == 0:
        raise InputError(f"{rec.name} has no units: there is no population activity to fit latents to")
    data = trial_counts(rec, bin_size_s, behavior=behavior, epoch=epoch, segment_s=segment_s)
    n_neurons = data.counts.shape[2]
    if method != "smoothing" and dim > n_neurons:
        raise InputError(f"--dim {dim} is larger than the number of neurons ({n_neurons}); choose at most "
                         f"{max(1, n_neurons - max(1, round(n_neurons * heldout_fraction)))}")
    split = NLBSplit.make(data.counts.shape[0], n_neurons, test_fraction, heldout_fraction, seed)
    res = fit_and_score(method, data.counts, dim=dim, bin_size_s=bin_size_s, behavior=data.behavior,
                        conditions=data.conditions, split=split, seed=seed, model_kwargs=model_kwargs)
    return LatentsFit(method, data, res)


@dataclass(frozen=True)
class RingResult:
    """The unsupervised head-direction ring of a recording.

    Attributes
    ----------
    model : RingManifold
        Fitted on all wake bins (no behaviour used).
    unit_ids : (n,) units used
    bin_size_s : float
    wake_t_s, wake_angle, wake_embedding : (time,), (time,), (time, 3)
        Wake bins, their ring angle (radians, arbitrary origin/direction) and embedding.
    wake_hd : (time,) or None
        Tracked head direction on the wake bins (NaN where untracked).
    alignment : AngleAlignment or None
        Offset and direction fitted on the first half of the tracked wake bins.
    median_error_deg : float
        Median absolute error of the aligned ring angle on the second half (NaN without tracking).
    sleep_t_s, sleep_angle, sleep_embedding : arrays of shape (time,), (time,), (time, 3), or None
        The sleep epoch's bin centres (s), ring angles (radians, same origin and direction as the wake
        angles; NaN for bins off the ring) and embedding, mapped onto the same ring (no tracking
        needed); None without a sleep epoch.
    fit_s : float
        Wall time of fitting and mapping the ring, in seconds.
    sleep_distance : ndarray, shape (time,), or None
        Each sleep bin's distance from the wake activity (square-root counts); bins beyond
        ``model.off_ring_distance_`` (the 99th percentile of wake bins' distances) get no angle.
    """

    model: RingManifold
    unit_ids: np.ndarray
    bin_size_s: float
    wake_t_s: np.ndarray
    wake_angle: np.ndarray
    wake_embedding: np.ndarray
    wake_hd: np.ndarray | None
    alignment: AngleAlignment | None
    median_error_deg: float
    sleep_t_s: np.ndarray | None
    sleep_angle: np.ndarray | None
    sleep_embedding: np.ndarray | None
    fit_s: float
    sleep_distance: np.ndarray | None = None


def hd_units(rec) -> np.ndarray:
    """Indices of units in a head-direction region (``HD_REGIONS``; empty if none).

    Parameters
    ----------
    rec : Recording
        Recording whose per-unit ``regions`` are matched case-insensitively against ``HD_REGIONS``.

    Returns
    -------
    ndarray of int, shape (n_hd_units,)
        Positions of those units in ``rec`` (not their unit ids).
    """
    regs = np.array([str(r).lower() for r in rec.regions])
    return np.flatnonzero(np.isin(regs, HD_REGIONS))


def fit_ring(rec, *, units=None, bin_size_s: float = 0.1, smooth_bins: float = 2.0, wake: str = "wake",
             sleep: str | None = "sleep", behavior: str | None = "head_direction", seed: int = 0) -> RingResult:
    """Find the head-direction ring without behaviour and, where tracked, score it.

    Parameters
    ----------
    rec : Recording
    units : array of int, optional
        Units to use (default: those in a head-direction region, else all units).
    bin_size_s, smooth_bins : binning (s) and smoothing (bins) of the square-root counts.
    wake, sleep : str
        Epoch names; a missing sleep epoch is skipped, a missing wake epoch uses the whole recording.
    behavior : str, optional
        Tracked angle used only to score the ring (offset and direction fitted on the first half
        of the tracked wake bins, error on the second half).
    seed : int
    """
    idx = hd_units(rec) if units is None else np.asarray(units)
    if len(idx) == 0:
        idx = np.arange(rec.n_units)
    r = rec.select_units(idx)
    t0 = time.perf_counter()
    wake_name = wake if wake in r.epochs else None
    behs = [behavior] if behavior is not None and behavior in r.behaviors else []
    bw = r.bin(bin_size_s, epoch=wake_name, behaviors=behs)
    model = RingManifold(smooth_bins=smooth_bins, seed=seed).fit(bw.counts, segment=bw.segment)
    ang = model.transform(bw.counts, segment=bw.segment)
    emb = model.embed(bw.counts, segment=bw.segment)
    hd, al, err = None, None, float("nan")
    if behs:
        hd = bw.behavior(behavior)[:, 0]
        tracked = np.flatnonzero(np.isfinite(hd))
        if len(tracked) >= 4:
            first, second = tracked[:len(tracked) // 2], tracked[len(tracked) // 2:]
            al = align_angle(ang[first], hd[first])
            err = float(np.degrees(np.median(circular_error(al.apply(ang[second]), hd[second]))))
    s_t = s_ang = s_emb = s_d = None
    if sleep is not None and sleep in r.epochs:
        bs = r.bin(bin_size_s, epoch=sleep, behaviors=[])
        s_emb = model.embed(bs.counts, segment=bs.segment)
        s_ang, s_d = model.angle_or_off_ring(bs.counts, segment=bs.segment)  # no angle far from the wake ring
        s_t = bs.t_s
    return RingResult(model, np.asarray(rec.unit_ids)[idx], float(bin_size_s), bw.t_s, ang, emb, hd, al, err,
                      s_t, s_ang, s_emb, time.perf_counter() - t0, s_d)
