"""One call from a raw recording to curated, measured units: preprocess, sort, metrics, curation."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from .quality import Curation, compute_analyzer, curate, unit_metrics
from .sorters import DEFAULT_SORTER, check_sorter, preprocess, run_sorter, sorter_params

__all__ = ["SortResult", "sort_recording"]


@dataclass
class SortResult:
    """Everything a sort produced.

    Attributes
    ----------
    sorter : str
        Sorter name.
    params : dict
        Parameters passed to the sorter.
    preprocessing : list of dict
        Steps applied before sorting, in order.
    recording : spikeinterface.BaseRecording
        The preprocessed recording.
    analyzer : spikeinterface.SortingAnalyzer
        Sorting with waveforms, templates, amplitudes, locations, PCs and quality metrics.
    metrics : pandas.DataFrame
        Quality metrics, one row per unit (analyzer order).
    curation : Curation
        Labels of every unit (none removed).
    timings_s : dict
        Wall time per step (s).
    """

    sorter: str
    params: dict
    preprocessing: list
    recording: object
    analyzer: object
    metrics: object
    curation: Curation
    timings_s: dict = field(default_factory=dict)

    @property
    def n_units(self) -> int:
        """Units the sorter found (all labels)."""
        return len(self.analyzer.unit_ids)


def sort_recording(recording, sorter: str = DEFAULT_SORTER, *, folder: str | os.PathLike, motion: str | None = None,
                   freq_min_hz: float = 300.0, freq_max_hz: float = 6000.0, reference: str = "median",
                   thresholds: dict | None = None, seed: int = 0, n_jobs: int = 1,
                   sorter_overrides: dict | None = None) -> SortResult:
    """Preprocess, sort, measure and curate one raw recording.

    Parameters
    ----------
    recording : spikeinterface.BaseRecording
        Raw recording with a probe (:func:`~neurodiscovery.sorting.read_raw`), one segment.
    sorter : str
        A key of :data:`~neurodiscovery.sorting.SORTERS` (default tridesclous2).
    folder : path-like
        Working folder for the sorter (must not exist; created).
    motion : str, optional
        Motion-correction preset (e.g. ``"dredge_fast"``); None skips it.
    freq_min_hz, freq_max_hz : float
        Band-pass corners (Hz).
    reference : {"median", "average", "none"}
        Common reference.
    thresholds : dict, optional
        Curation thresholds (default :data:`~neurodiscovery.sorting.ALLEN_THRESHOLDS`).
    seed : int
        Seeds the sorter's and the waveform subsample's random steps.
    n_jobs : int
        Workers for chunked steps.
    sorter_overrides : dict, optional
        The sorter's own parameters, overriding ours.

    Returns
    -------
    SortResult
    """
    from .._utils.errors import InputError

    if recording.get_num_segments() != 1:
        raise InputError(f"the recording has {recording.get_num_segments()} segments; sort one segment at a time "
                         "(SpikeInterface: recording.select_segments([i]))")
    check_sorter(sorter, recording.get_total_duration())
    folder = Path(folder)
    t = {}
    t0 = time.perf_counter()
    rec, steps = preprocess(recording, freq_min_hz=freq_min_hz, freq_max_hz=freq_max_hz, reference=reference,
                            motion=motion, n_jobs=n_jobs)
    t["preprocess_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    sorting = run_sorter(rec, sorter, folder=folder / "sorter", seed=seed, n_jobs=n_jobs, **(sorter_overrides or {}))
    t["sort_s"] = time.perf_counter() - t0
    if len(sorting.unit_ids) == 0:
        raise InputError(f"{sorter} found no units in this recording; check the probe, the sampling rate and that "
                         "the data hold spikes")
    t0 = time.perf_counter()
    analyzer = compute_analyzer(rec, sorting, seed=seed, n_jobs=n_jobs)
    metrics = unit_metrics(analyzer, n_jobs=n_jobs)
    t["metrics_s"] = time.perf_counter() - t0
    cur = curate(metrics, thresholds)
    return SortResult(sorter, sorter_params(sorter, seed, **(sorter_overrides or {})), steps, rec, analyzer,
                      metrics, cur, t)
