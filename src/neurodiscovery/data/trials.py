"""The trial tensor :class:`AlignedTrials` ``(trials, time, neurons)``, alignment to events, PSTHs with SEM."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError
from .binning import bin_spikes
from .traces import Traces, bin_traces


@dataclass(frozen=True)
class AlignedTrials:
    """The trial tensor of the toolkit: activity cut into equal-length trials, with what they are aligned to.

    Every trial-based analysis (PSTHs, latents, jPCA, forecasting, circuit fits) takes this one
    type. Bin times are stored once, relative to each trial's alignment event (``t_s``), so the
    absolute time of bin ``j`` of trial ``i`` is ``event_s[i] + t_s[j]`` (:attr:`abs_t_s`).

    Attributes
    ----------
    counts : ndarray, shape (trials, time, neurons)
        Spike counts per bin (or binned imaging traces, see ``signal``).
    t_s : ndarray, shape (time,)
        Bin centres relative to the alignment event (s).
    bin_size_s : float
        Bin width (s).
    event_s : ndarray, shape (trials,)
        Absolute time of each trial's alignment event (s).
    conditions : ndarray, shape (trials,) or None
        Condition label of each trial.
    signal : str
        ``"spike_counts"`` or the imaging trace kind (then ``counts`` holds binned traces).
    behavior : ndarray, shape (trials, time, features) or None
        Behaviour sampled at the bin centres (a circular behaviour as its cos, sin).
    behavior_names : tuple of str
        Behaviours whose features ``behavior`` holds, in order.
    event : str
        What the trials are aligned to (a trial-table column such as ``start_s`` or ``go_s``;
        ``"segment_start"`` for pseudo-trials cut from an epoch).
    source : str
        ``"trials"`` (the recording's trial table) or ``"segments"`` (consecutive pieces of an epoch).
    window_s : (float, float) or None
        The requested window around the event (s); None when it is the bins' own span.
    """

    counts: np.ndarray
    t_s: np.ndarray
    bin_size_s: float
    event_s: np.ndarray
    conditions: np.ndarray | None = None
    signal: str = "spike_counts"
    behavior: np.ndarray | None = None
    behavior_names: tuple = ()
    event: str = "start_s"
    source: str = "trials"
    window_s: tuple | None = None

    @property
    def rates_hz(self) -> np.ndarray:
        """Counts divided by the bin width (Hz), ``(trials, time, neurons)``."""
        return self.counts / self.bin_size_s

    @property
    def abs_t_s(self) -> np.ndarray:
        """Absolute bin centres (s), ``(trials, time)``."""
        return np.asarray(self.event_s, float)[:, None] + np.asarray(self.t_s, float)[None, :]

    @property
    def behavior_name(self) -> str | None:
        """The first behaviour's name (None without behaviour)."""
        return self.behavior_names[0] if self.behavior_names else None

    @property
    def span_s(self) -> tuple[float, float]:
        """``window_s`` when given, else the bins' span relative to the event (s)."""
        if self.window_s is not None:
            return (float(self.window_s[0]), float(self.window_s[1]))
        half = self.bin_size_s / 2
        return (float(self.t_s[0] - half), float(self.t_s[-1] + half))


def align_to_events(spike_times, event_s, window_s: tuple[float, float], bin_size_s: float,
                    conditions=None) -> AlignedTrials:
    """Bin spikes (or imaging traces) in a window around each event.

    Parameters
    ----------
    spike_times : sequence of sorted 1-D arrays (s), one per unit, or a
        :class:`~neurodiscovery.data.Traces` (binned by :func:`~neurodiscovery.data.traces.bin_traces`)
    event_s : array_like, shape (trials,)
        Event times in seconds.
    window_s : (float, float)
        Window ``(before, after)`` relative to the event, e.g. ``(-0.5, 1.0)``.
    bin_size_s : float
    conditions : array_like, shape (trials,), optional
    """
    ev = np.asarray(event_s, float)
    if ev.ndim != 1 or ev.size == 0:
        raise InputError(f"event_s must be a non-empty 1-D array of seconds, got shape {ev.shape}")
    if not np.all(np.isfinite(ev)):
        raise InputError(f"event_s contains {int((~np.isfinite(ev)).sum())} NaN/inf event times")
    lo, hi = float(window_s[0]), float(window_s[1])
    if not hi > lo:
        raise InputError(f"window_s must be (start, stop) with start < stop, got {window_s}")
    if not bin_size_s > 0:
        raise InputError(f"bin_size_s must be > 0, got {bin_size_s}")
    if not (np.isfinite(lo) and np.isfinite(hi) and np.isfinite(bin_size_s)):
        raise InputError(f"window_s and bin_size_s must be finite, got {window_s} and {bin_size_s}")
    n_bins = int(np.floor((hi - lo) / bin_size_s + 1e-9))
    if n_bins < 1:
        raise InputError(f"bin_size_s={bin_size_s} is longer than the window {window_s}")
    from .._utils.resources import array_bytes, check_allocation

    is_traces = isinstance(spike_times, Traces)
    n_units = spike_times.n_rois if is_traces else len(spike_times)
    check_allocation(array_bytes((len(ev), n_bins + 1, n_units)),
                     f"event-aligned arrays ({len(ev)} events x {n_bins} bins x {n_units} units)",
                     "use a larger bin size, a shorter window or fewer events")
    rel_edges = lo + bin_size_s * np.arange(n_bins + 1)
    counts = np.empty((len(ev), n_bins, n_units))
    for k, e in enumerate(ev):
        counts[k] = bin_traces(spike_times, e + rel_edges) if is_traces else bin_spikes(spike_times, e + rel_edges)
    cond = None
    if conditions is not None:
        cond = np.asarray(conditions)
        if len(cond) != len(ev):
            raise InputError(f"conditions has {len(cond)} entries for {len(ev)} events (mismatched lengths)")
    return AlignedTrials(counts, (rel_edges[:-1] + rel_edges[1:]) / 2, float(bin_size_s), ev, cond,
                         spike_times.kind if is_traces else "spike_counts")


def align_trials(rec, event: str = "start_s", window_s=(-0.5, 1.0), bin_size_s: float = 0.02,
                 condition: str | None = "condition") -> AlignedTrials:
    """Align a recording's trials to an event column of its trial table (default trial start).

    Parameters
    ----------
    rec : Recording
        Recording with a trial table.
    event : str
        Trial-table column holding the event time (s) of each trial.
    window_s : (float, float)
        Window around the event (s), e.g. ``(-0.5, 1.0)``.
    bin_size_s : float
        Bin width (s).
    condition : str, optional
        Trial-table column with the condition labels (None: no conditions).

    Returns
    -------
    AlignedTrials
        Counts ``(trials, time, neurons)`` and the bin times.
    """
    if rec.trials is None or len(rec.trials) == 0:
        raise InputError("this recording has no trials to align")
    ev = rec.trials.column(event)
    cond = None
    if condition is not None and condition in rec.trials.columns:
        cond = rec.trials.column(condition)
    src = rec.traces if getattr(rec, "traces", None) is not None else rec.spike_times
    return align_to_events(src, ev, window_s, bin_size_s, cond)


@dataclass(frozen=True)
class PSTH:
    """Trial-averaged rates per condition.

    Attributes
    ----------
    conditions : tuple
        Condition labels in sorted order (one entry ``0`` when trials are not split).
    mean_hz : ndarray, shape (conditions, time, neurons)
        Mean rate over the trials of each condition (Hz).
    sem_hz : ndarray, shape (conditions, time, neurons)
        Standard error of that mean (unbiased SD / sqrt(n_trials); NaN with a single trial).
    n_trials : ndarray of int, shape (conditions,)
    t_s : ndarray, shape (time,) or None
        Bin centres relative to the event (s) when computed from :class:`AlignedTrials`.
    bin_size_s : float
    """

    conditions: tuple
    mean_hz: np.ndarray
    sem_hz: np.ndarray
    n_trials: np.ndarray
    t_s: np.ndarray | None
    bin_size_s: float

    def condition(self, label) -> tuple[np.ndarray, np.ndarray]:
        """``(mean_hz, sem_hz)``, each ``(time, neurons)``, of the condition ``label``."""
        if label not in self.conditions:
            raise InputError(f"unknown condition {label!r}; available: {', '.join(map(str, self.conditions))}")
        k = self.conditions.index(label)
        return self.mean_hz[k], self.sem_hz[k]


def psth(aligned: AlignedTrials | np.ndarray, conditions=None, bin_size_s: float | None = None) -> PSTH:
    """Trial-averaged rate with standard error of the mean, per condition.

    Parameters
    ----------
    aligned : AlignedTrials or ndarray, shape (trials, time, neurons)
        Spike counts aligned to an event.
    conditions : array_like, shape (trials,), optional
        Defaults to ``aligned.conditions``; None averages all trials together (one condition ``0``).
    bin_size_s : float, optional
        Bin width (s) of a plain array (default 1, i.e. counts per bin).

    Returns
    -------
    PSTH
        ``mean_hz`` and ``sem_hz`` of shape ``(conditions, time, neurons)``.
    """
    t_s = None
    if isinstance(aligned, AlignedTrials):
        x, bs, t_s = aligned.counts, aligned.bin_size_s, aligned.t_s
        conditions = aligned.conditions if conditions is None else conditions
    else:
        x = np.asarray(aligned, float)
        if x.ndim != 3:
            raise InputError(f"psth expects (trials, time, neurons), got shape {x.shape}")
        bs = 1.0 if bin_size_s is None else float(bin_size_s)
    rates = x / bs
    cond = np.zeros(len(x), int) if conditions is None else np.asarray(conditions)
    if len(cond) != len(x):
        raise InputError(f"conditions has {len(cond)} entries for {len(x)} trials (mismatched lengths)")
    labels, means, sems, counts = [], [], [], []
    for c in np.unique(cond):
        r = rates[cond == c]
        sems.append(r.std(axis=0, ddof=1) / np.sqrt(len(r)) if len(r) > 1 else np.full(r.shape[1:], np.nan))
        means.append(r.mean(axis=0))
        labels.append(c.item() if hasattr(c, "item") else c)
        counts.append(len(r))
    return PSTH(tuple(labels), np.stack(means), np.stack(sems), np.asarray(counts), t_s, float(bs))


# Names under which trial tables declare movement onset (ours: ``go_s``; NWB/NLB: ``move_onset_time``).
MOVEMENT_EVENTS = ("movement_onset_s", "move_onset_s", "move_onset_time", "movement_onset_time", "go_s",
                   "go_cue_time", "go_cue_s")


def movement_event(trials) -> str | None:
    """The trial-table column that declares movement onset, or None.

    Parameters
    ----------
    trials : Trials
        A recording's trial table.

    Returns
    -------
    str or None
        The first of :data:`MOVEMENT_EVENTS` (in that order of preference: movement onset before
        a go cue) that the table has and whose times all lie inside their trials.
    """
    for name in MOVEMENT_EVENTS:
        if name in trials.columns:
            ev = np.asarray(trials.columns[name], float)
            if np.all(np.isfinite(ev)) and np.all((ev >= trials.start_s) & (ev <= trials.stop_s)):
                return name
    return None


def check_window_in_trials(trials, event: str, window_s) -> None:
    """Refuse an alignment window that reaches into a neighbouring trial.

    Parameters
    ----------
    trials : Trials
        The trial table.
    event : str
        Column of event times (s) the window is relative to (``start_s``, ``stop_s`` or a column).
    window_s : (float, float)
        ``(start, stop)`` in seconds relative to the event.

    Raises
    ------
    InputError
        When some trial's window starts before the previous trial has ended or stops after the
        next trial has started (its bins would pool two trials); the message says the longest
        window that fits.
    """
    lo, hi = float(window_s[0]), float(window_s[1])
    if not hi > lo:
        raise InputError(f"window ({lo:g}, {hi:g}) s must have start < stop")
    ev = np.asarray(trials.column(event), float)
    order = np.argsort(trials.start_s, kind="stable")
    start, stop, ev = trials.start_s[order], trials.stop_s[order], ev[order]
    after = np.append(start[1:], np.inf) - ev  # room after each event before the next trial starts
    before = ev - np.insert(stop[:-1], 0, -np.inf)  # room before it since the previous trial stopped
    n_bad = int(np.sum((hi > after + 1e-9) | (-lo > before + 1e-9)))
    if n_bad:
        raise InputError(f"window ({lo:g}, {hi:g}) s around {event!r} runs into a neighbouring trial in {n_bad} "
                         f"of {len(ev)} trials; choose a window within ({-before.min():.3g}, {after.min():.3g}) s")
