"""What every stage reads: the recording (with derived behaviour) and cached binnings."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._utils.errors import InputError

#: Behaviours preferred as the "primary" one (the decoder comparison, the main figures), in order.
PRIMARY_BEHAVIORS = ("head_direction", "position", "hand_velocity")
#: Trial-table columns used as the alignment event, in order (else the trial start).
ALIGNMENT_EVENTS = ("go_s", "movement_onset_s", "stimulus_s", "cue_s")


@dataclass(frozen=True)
class BehaviorVariable:
    """One column of one behaviour: ``label`` is ``name`` or ``name.column``."""

    label: str
    name: str
    column: int
    circular: bool
    units: str


@dataclass(frozen=True)
class Alignment:
    """Trials aligned to their main event (``AlignedTrials`` plus the event and window used)."""

    aligned: object
    event: str
    window_s: tuple


def trial_event(trials) -> str:
    """The first of :data:`ALIGNMENT_EVENTS` the trial table holds, else ``"start_s"``."""
    for c in ALIGNMENT_EVENTS:
        if c in trials.columns:
            return c
    return "start_s"


class AnalysisInputs:
    """The recording of one ``analyze`` run, shared read-only by the stages, with lazy caches.

    Parameters
    ----------
    recording : Recording
        A ``speed`` behaviour is derived from ``position`` (0.1 s smoothing) when missing.
    bin_size_s : float
        Bin width of :meth:`binned`.
    psth_bin_s : float
        Bin width of :meth:`alignment`.
    """

    def __init__(self, recording, bin_size_s: float, psth_bin_s: float):
        self.derived: tuple[str, ...] = ()
        rec = recording
        if "position" in rec.behaviors and "speed" not in rec.behaviors:
            from ...data import speed_from_position

            try:
                rec = rec.with_behavior(speed_from_position(rec.behavior("position")))
                self.derived = ("speed (from position, 0.1 s smoothing)",)
            except InputError:
                pass  # too few samples: the position-based sections still run
        self.rec = rec
        self.bin_size_s, self.psth_bin_s = float(bin_size_s), float(psth_bin_s)
        self._binned = None
        self._alignment = None

    def binned(self):
        """:class:`~neurodiscovery.data.BinnedRecording` at ``bin_size_s`` (computed once)."""
        if self._binned is None:
            self._binned = self.rec.bin(self.bin_size_s)
        return self._binned

    @property
    def has_trials(self) -> bool:
        """Whether the recording holds at least one trial."""
        return self.rec.trials is not None and len(self.rec.trials) > 0

    @property
    def has_conditions(self) -> bool:
        """Whether the trials carry a ``condition`` column."""
        return self.has_trials and "condition" in self.rec.trials.columns

    def alignment(self) -> Alignment:
        """Trials aligned to their main event (:func:`trial_event`), computed once.

        The window spans one median trial length, starting where trials start relative to the
        event; counts use ``psth_bin_s`` bins.
        """
        if self._alignment is None:
            from ...data import align_trials

            tr = self.rec.trials
            event = trial_event(tr)
            dur = float(np.median(tr.stop_s - tr.start_s))
            lo = float(np.median(tr.start_s - tr.column(event)))
            window = (lo, lo + dur)
            cond = "condition" if "condition" in tr.columns else None
            a = align_trials(self.rec, event=event, window_s=window, bin_size_s=self.psth_bin_s, condition=cond)
            self._alignment = Alignment(a, event, window)
        return self._alignment

    def behavior_variables(self) -> list[BehaviorVariable]:
        """Every column of every behaviour, in recording order."""
        out = []
        for name in self.rec.behavior_names:
            ts = self.rec.behavior(name)
            for j, col in enumerate(ts.columns):
                label = name if len(ts.columns) == 1 else f"{name}.{col}"
                out.append(BehaviorVariable(label, name, j, bool(ts.circular), ts.units))
        return out

    def primary_behavior(self) -> str | None:
        """The first of :data:`PRIMARY_BEHAVIORS` present, else the first behaviour, else None.

        Behaviours with fewer than two finite samples (lost tracking: all NaN, dropped on
        reading) are not candidates.
        """
        names = [n for n in self.rec.behavior_names if self.rec.behavior(n).n_samples >= 2]
        if not names:
            return None
        for pref in PRIMARY_BEHAVIORS:
            if pref in names:
                return pref
        return names[0]

    def is_primary(self, label: str) -> bool:
        """Whether a variable label belongs to the primary behaviour."""
        pb = self.primary_behavior()
        return pb is not None and (label == pb or label.startswith(f"{pb}."))


def unit_label(unit_id):
    """A unit id as a plain Python value (numpy scalars unwrapped) for JSON."""
    return unit_id.item() if hasattr(unit_id, "item") else unit_id


def plt():
    """matplotlib.pyplot, imported on first use (never switches the backend: ``analyze`` draws inside
    :func:`~neurodiscovery.pipeline.command.figure_context`, which keeps report figures off-screen)."""
    import matplotlib.pyplot as pyplot

    return pyplot
