"""A recording's trial table as one :class:`~neurodiscovery.data.trials.AlignedTrials`, behaviour included."""
from __future__ import annotations

import numpy as np

from .._utils.errors import InputError
from .binning import resample_behavior
from .trials import AlignedTrials, align_trials, check_window_in_trials, movement_event

__all__ = ["trial_tensor"]


def trial_tensor(rec, *, event: str | None = None, window_s=None, bin_size_s: float = 0.01,
                 behaviors: list[str] | None = None) -> AlignedTrials:
    """Align a recording's trials to ``event`` and sample named behaviours at the bin centres.

    ``event`` defaults to the movement onset the trial table declares (``go_s``,
    ``move_onset_time``, ...; see :func:`~neurodiscovery.data.trials.movement_event`), else trial
    start. ``window_s`` defaults to ``(0, shortest time from the event to its trial's end)``; a
    window that reaches into a neighbouring trial is refused. Trials without a condition column
    all get condition 0.

    Parameters
    ----------
    rec : Recording
        A recording with a trial table.
    event : str, optional
        Trial-table column of the alignment event (s).
    window_s : (float, float), optional
        Window around the event (s).
    bin_size_s : float
        Bin width (s).
    behaviors : list of str, optional
        Behaviours sampled at the bin centres (features concatenated in this order).

    Returns
    -------
    AlignedTrials
        ``counts (trials, time, neurons)``, ``behavior (trials, time, features)`` or None,
        ``event``, ``window_s``.
    """
    if rec.trials is None or len(rec.trials) == 0:
        raise InputError("this recording has no trial table; trial analyses need trials (trials, time, neurons)")
    if event is None:
        event = movement_event(rec.trials) or "start_s"
    if event not in ("start_s", "stop_s") and event not in rec.trials.columns:
        raise InputError(f"trial table has no event column {event!r}; available: start_s, stop_s, "
                         f"{', '.join(rec.trials.columns)}")
    if window_s is None:
        window_s = (0.0, float(np.min(rec.trials.stop_s - np.asarray(rec.trials.column(event), float))))
        if not window_s[1] > 0:
            raise InputError(f"event {event!r} falls at or after the end of some trial; pass --window START,STOP")
    check_window_in_trials(rec.trials, event, window_s)
    cond_col = "condition" if "condition" in rec.trials.columns else None
    al = align_trials(rec, event=event, window_s=tuple(window_s), bin_size_s=bin_size_s, condition=cond_col)
    cond = al.conditions if al.conditions is not None else np.zeros(len(al.counts), int)
    beh = None
    if behaviors:
        parts = []
        for name in behaviors:
            ts = rec.behavior(name)
            t = al.abs_t_s.ravel()
            v = resample_behavior(ts, t, max_gap_s=max(4 * bin_size_s, 0.1))
            if np.isnan(v).any():
                raise InputError(f"behaviour {name!r} is missing (NaN) in {int(np.isnan(v).any(1).sum())} of "
                                 f"the {len(t)} aligned bins; choose a window inside its sampled span")
            parts.append(v.reshape(len(al.counts), len(al.t_s), -1))
        beh = np.concatenate(parts, -1)
    return AlignedTrials(al.counts, al.t_s, float(bin_size_s), al.event_s, np.asarray(cond), al.signal, beh,
                         tuple(behaviors or ()), event, "trials", (float(window_s[0]), float(window_s[1])))
