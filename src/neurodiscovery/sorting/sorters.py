"""Preprocessing as the field does it, and the sorter run (SpikeInterface ``run_sorter``).

Preprocessing (:func:`preprocess`): band-pass 300–6000 Hz, common median reference across channels,
optional motion correction (SpikeInterface ``correct_motion``). Whitening is left to the sorter that
expects it (mountainsort5's wrapper whitens, spykingcircus2 and tridesclous2 whiten internally, Kilosort 4
on its own). mountainsort5's and spykingcircus2's own filtering is switched off so the recording is
filtered once; tridesclous2 ties its whitening to its own preprocessing, so it re-filters the same band.
Every sorter's own motion correction is off: ``motion`` (``--motion``) decides.
"""
from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

from .._utils.errors import InputError, MissingDependencyError
from ._si import INSTALL_HINT, job_kwargs, si

__all__ = ["DEFAULT_SORTER", "MIN_DURATION_S", "SORTERS", "check_sorter", "preprocess", "run_sorter"]

#: The default sorter: on CPU it detected the most ground-truth units of the three (benchmarks/sorting.py).
DEFAULT_SORTER = "tridesclous2"

#: Sorters this package drives, with the parameters that stop them repeating our preprocessing.
SORTERS: dict[str, dict] = {
    "mountainsort5": {"filter": False, "whiten": True},
    "spykingcircus2": {"apply_preprocessing": False, "apply_motion_correction": False},
    "tridesclous2": {"apply_preprocessing": True, "apply_motion_correction": False, "save_array": False},
    "kilosort4": {"do_CAR": False},
}

#: Shortest recording (s) each sorter is run on: below it noise levels, whitening and clustering rest on too
#: few one-second chunks, and the presence-ratio metric (100 bins) on bins under 0.1 s.
MIN_DURATION_S: dict[str, float] = {"mountainsort5": 10.0, "spykingcircus2": 10.0, "tridesclous2": 10.0,
                                    "kilosort4": 30.0}

# the seed parameter of each sorter (for reproducible runs)
_SEED_PARAM = {"mountainsort5": "whitening_seed", "spykingcircus2": "seed", "tridesclous2": "seed"}


def check_sorter(name: str, duration_s: float | None = None) -> None:
    """Refuse an unknown sorter, one not installed, or a recording shorter than the sorter needs.

    Parameters
    ----------
    name : str
        Sorter name (a key of :data:`SORTERS`).
    duration_s : float, optional
        Recording duration (s), checked against :data:`MIN_DURATION_S`.
    """
    if name not in SORTERS:
        raise InputError(f"unknown sorter {name!r}; choose one of {', '.join(SORTERS)}")
    sif = si()
    if name not in sif.installed_sorters():
        hint = "pip install kilosort (GPU recommended)" if name == "kilosort4" else INSTALL_HINT
        raise MissingDependencyError(f"sorter {name!r} is not installed here: {hint}; installed: "
                                     f"{', '.join(sif.installed_sorters()) or 'none'}")
    if duration_s is not None and duration_s < MIN_DURATION_S[name]:
        raise InputError(f"the recording lasts {duration_s:.3g} s, shorter than the {MIN_DURATION_S[name]:.0f} s "
                         f"{name} needs; sort a longer recording")


def preprocess(recording, *, freq_min_hz: float = 300.0, freq_max_hz: float = 6000.0, reference: str = "median",
               motion: str | None = None, n_jobs: int = 1):
    """Band-pass, common reference and (optionally) motion correction, lazily (nothing computed yet).

    Parameters
    ----------
    recording : spikeinterface.BaseRecording
        Raw recording with a probe.
    freq_min_hz, freq_max_hz : float
        Band-pass corners (Hz).
    reference : {"median", "average", "none"}
        Global common reference across channels.
    motion : str, optional
        A SpikeInterface motion-correction preset (``"dredge_fast"``, ``"nonrigid_accurate"``,
        ``"rigid_fast"``...); None skips motion correction.
    n_jobs : int
        Workers for the motion estimate.

    Returns
    -------
    recording : spikeinterface.BaseRecording
        The preprocessed recording (float32).
    steps : list of dict
        What was applied, in order, with its parameters (for config.json).
    """
    sif = si()
    nyq = recording.get_sampling_frequency() / 2
    if not 0 < freq_min_hz < freq_max_hz < nyq:
        raise InputError(f"band-pass {freq_min_hz}-{freq_max_hz} Hz must lie within 0-{nyq:.0f} Hz (Nyquist) "
                         "with low < high")
    rec = sif.bandpass_filter(recording, freq_min=freq_min_hz, freq_max=freq_max_hz, dtype="float32")
    steps = [{"step": "bandpass_filter", "freq_min_hz": freq_min_hz, "freq_max_hz": freq_max_hz}]
    if reference != "none":
        if reference not in ("median", "average"):
            raise InputError(f"reference must be 'median', 'average' or 'none', got {reference!r}")
        rec = sif.common_reference(rec, reference="global", operator=reference)
        steps.append({"step": "common_reference", "operator": reference})
    if motion:
        presets = list(sif.get_motion_presets()) if hasattr(sif, "get_motion_presets") else []
        if presets and motion not in presets:
            raise InputError(f"unknown motion preset {motion!r}; choose one of {', '.join(p for p in presets if p)}")
        rec = sif.correct_motion(rec, preset=motion, **job_kwargs(n_jobs))
        steps.append({"step": "correct_motion", "preset": motion})
    return rec, steps


def sorter_params(name: str, seed: int, **overrides) -> dict:
    """The parameters passed to ``run_sorter``: ours (no double filtering, the seed), then ``overrides``.

    Parameters
    ----------
    name : str
        Sorter name.
    seed : int
        Seed of the sorter's random steps (whitening chunks, subsampling).
    **overrides
        Any of the sorter's own parameters.
    """
    params = dict(SORTERS[name])
    if name in _SEED_PARAM:
        params[_SEED_PARAM[name]] = int(seed)
    params.update(overrides)
    return params


def run_sorter(recording, sorter: str = DEFAULT_SORTER, *, folder: str | os.PathLike, seed: int = 0,
               n_jobs: int = 1, verbose: bool = False, **params):
    """Run one sorter on a preprocessed recording (SpikeInterface ``run_sorter``).

    Parameters
    ----------
    recording : spikeinterface.BaseRecording
        Preprocessed recording (:func:`preprocess`); saved to ``folder`` first when it is not
        serialisable (SpikeInterface sorters run on a recording they can reload).
    sorter : str
        A key of :data:`SORTERS`.
    folder : path-like
        Working folder of the sorter (must not exist).
    seed : int
        Seed of the sorter's random steps.
    n_jobs : int
        Workers for chunked steps.
    verbose : bool
        Show the sorter's own output (hidden by default; it is kept in ``folder``'s log).
    **params
        Sorter parameters overriding ours.

    Returns
    -------
    spikeinterface.BaseSorting
        The sorter's units, with empty units removed.
    """
    sif = si()
    check_sorter(sorter, recording.get_total_duration())
    folder = Path(folder)
    kw = sorter_params(sorter, seed, **params)
    if not recording.check_serializability("json"):
        recording = recording.save(folder=folder.parent / f"{folder.name}_input", **job_kwargs(n_jobs))
    sif.set_global_job_kwargs(**job_kwargs(n_jobs))
    out = io.StringIO()
    with contextlib.redirect_stdout(out) if not verbose else contextlib.nullcontext():
        try:
            sorting = sif.run_sorter(sorter, recording, folder=str(folder), verbose=verbose,
                                     remove_existing_folder=False, raise_error=True, **kw)
        except Exception as exc:  # a sorter failing on the data is the data's problem: one line, log kept
            text = " ".join(str(exc).split())[-200:]
            raise InputError(f"{sorter} failed on this recording ({type(exc).__name__}: {text}); see "
                             f"{folder}/spikeinterface_log.json") from None
    return sorting.remove_empty_units()
