"""``sort RAW``: raw voltage to a run folder with curated units in NWB, metrics and a report, as a
:class:`~.command.Command`.

``execute("sort", SortParams(raw="raw.bin", ...))`` is the CLI's path: ``load`` opens the raw recording
and runs every check on the inputs (format, dtype and channel count, probe, sorter, duration, session
file), ``compute`` sorts, measures and curates (the sorter's working folder is a scratch folder inside
the run folder being built), ``write`` adds ``units.nwb``, ``units.csv`` and the sorter's log.
:func:`run_sort` is the keyword form kept for existing callers. The run folder is built in a hidden
temporary sibling and renamed only when complete, so a failure leaves nothing that looks finished.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._utils.params import Params, option
from ..sorting import ALLEN_THRESHOLDS, DEFAULT_SORTER, SORTERS
from .command import Command, execute, scratch_folder

__all__ = ["COMMAND", "SortParams", "SortRun", "run_sort"]


@dataclass(frozen=True)
class SortParams(Params):
    """Parameters of ``sort`` (the CLI options are generated from these declarations; curation defaults are
    :data:`~neurodiscovery.sorting.ALLEN_THRESHOLDS`, the sorter's :data:`~neurodiscovery.sorting.DEFAULT_SORTER`).
    """

    raw: str = option(help="raw recording: a file/folder SpikeInterface reads (SpikeGLX, Open Ephys, Intan, NWB "
                      "ElectricalSeries...), a SpikeInterface saved folder, or raw binary (.bin/.dat/.raw)",
                      positional=True)
    sorter: str = option(DEFAULT_SORTER, "spike sorter (kilosort4 if installed)", choices=tuple(SORTERS))
    sampling_rate_hz: float | None = option(None, "raw binary: sampling rate", unit="Hz", low=0, low_open=True,
                                            flag="--sampling-rate", show_default=False)
    n_channels: int | None = option(None, "raw binary: interleaved channels", low=1, show_default=False)
    dtype: str | None = option(None, "raw binary: sample type (int16, float32, ...)", show_default=False)
    probe: str | None = option(None, "probeinterface .json or .prb file (required for raw binary)",
                               show_default=False)
    format: str | None = option(None, "SpikeInterface extractor name when it cannot be guessed (e.g. spikeglx, "
                                "openephysbinary, intan)", show_default=False)
    stream: str | None = option(None, "stream of a multi-stream recording (e.g. imec0.ap)", show_default=False)
    motion: str | None = option(None, "correct probe motion before sorting (a SpikeInterface preset; the flag "
                                "alone: dredge_fast)", const="dredge_fast", show_default=False)
    session: str | None = option(None, "NWB file whose behaviour, trials and epochs are copied into units.nwb "
                                 "(same clock)", show_default=False)
    isi_violations_max: float = option(ALLEN_THRESHOLDS["isi_violations_ratio"]["less"], "curation: good units "
                                       "have ISI-violation ratio <= this (Allen default)", low=0)
    amplitude_cutoff_max: float = option(ALLEN_THRESHOLDS["amplitude_cutoff"]["less"], "curation: good units "
                                         "have amplitude cutoff <= this (Allen default)", low=0, high=1)
    presence_ratio_min: float = option(ALLEN_THRESHOLDS["presence_ratio"]["greater"], "curation: good units "
                                       "have presence ratio >= this (Allen default)", low=0, high=1)
    subject_id: str | None = option(None, "subject identifier, e.g. 'M12' (where --session's Subject lacks it; "
                                    "DANDI needs subject id, species, sex and age)", show_default=False)
    species: str | None = option(None, "Latin binomial ('Mus musculus') or an NCBI taxonomy URL",
                                 show_default=False)
    sex: str | None = option(None, "M, F, O (other) or U (unknown)", choices=("M", "F", "O", "U"),
                             show_default=False)
    age: str | None = option(None, "ISO 8601 duration, e.g. P90D (90 days)", show_default=False)
    location: str = option("root", "where the probe sits, as an Allen CCF acronym for mice (e.g. 'CA1'); 'root' "
                           "(the whole brain: CCF's least specific term) for recordings that do not say")
    seed: int = option(0, "random seed", low=0)
    n_jobs: int = option(1, "workers for chunked steps", low=1, flag="--jobs")
    n_threads: int = option(1, "BLAS and torch threads of each worker", low=1, flag="--threads")
    keep_sorter_folder: bool = option(False, "keep the sorter's working folder (work/) in the run folder",
                                      cli=False)

    def thresholds(self) -> dict:
        """Curation thresholds: metric -> ``{"less"/"greater": bound}`` (inclusive)."""
        return {"isi_violations_ratio": {"less": self.isi_violations_max},
                "amplitude_cutoff": {"less": self.amplitude_cutoff_max},
                "presence_ratio": {"greater": self.presence_ratio_min}}

    def subject(self) -> dict:
        """Subject fields for ``units.nwb`` (None where not given)."""
        return {"subject_id": self.subject_id, "species": self.species, "sex": self.sex, "age": self.age}


@dataclass(frozen=True)
class SortInputs:
    """The opened raw recording, its description and the session to copy (``load``'s output)."""

    recording: object
    info: dict
    session: object


@dataclass(frozen=True)
class SortRun:
    """Typed result of ``sort``: the sort, the units it yields and where the sorter worked.

    Attributes
    ----------
    params : SortParams
    info : dict
        The raw recording's channels, sampling rate (Hz), duration (s), dtype.
    sort : SortResult
        Sorter output, analyzer, metrics and curation (:func:`~neurodiscovery.sorting.sort_recording`).
    units : Recording
        Every sorted unit with its label (and the session's behaviour).
    detail : dict
        Per-unit columns written to ``units.nwb``.
    work : Path
        The sorter's working folder.
    """

    params: SortParams
    info: dict
    sort: object
    units: object
    detail: object
    work: Path

    def key_numbers(self) -> list:
        """Good and bad units out of those sorted, units written, duration and sorter time."""
        from .._utils.quantity import count, quantity

        res, n = self.sort, self.sort.n_units
        good = res.curation.n_good
        return [count("units labelled good by the curation", good, n, "units"),
                count("units labelled bad (kept in units.nwb with their label)", n - good, n, "units"),
                count("units written to units.nwb", self.units.n_units, n, "units"),
                quantity("recording duration", self.info["duration_s"], "s"),
                quantity("sorter wall time", res.timings_s.get("sort_s"), "s")]

    def to_metrics(self) -> dict:
        """Counts, the recording, timings, the curation and every unit's metrics."""
        res = self.sort
        ids = [str(u) for u in res.analyzer.unit_ids]
        rows = [{k: (float(v) if np.isfinite(v) else None) for k, v in zip(res.metrics.columns, row)}
                for row in res.metrics.to_numpy(float)]
        return {"n_units": res.n_units, "n_good": res.curation.n_good, "duration_s": self.info["duration_s"],
                "n_channels": self.info["n_channels"], "sampling_rate_hz": self.info["sampling_rate_hz"],
                "timings_s": dict(res.timings_s),
                "curation": {"thresholds": res.curation.thresholds,
                             "labels": dict(zip(ids, map(str, res.curation.labels))),
                             "failed": dict(zip(ids, res.curation.failed))},
                "unit_metrics": dict(zip(ids, rows))}


def _load(params: SortParams) -> SortInputs:
    from ..sorting import check_sorter, describe_raw, load_session, read_raw

    rec = read_raw(params.raw, sampling_rate_hz=params.sampling_rate_hz, n_channels=params.n_channels,
                   dtype=params.dtype, probe=params.probe, format=params.format, stream=params.stream)
    info = describe_raw(rec)
    check_sorter(params.sorter, info["duration_s"])
    return SortInputs(rec, info, load_session(params.session))


def compute(params: SortParams, inputs: SortInputs) -> SortRun:
    """Preprocess, sort, measure and curate; the units with their labels (the sorter works in a scratch folder)."""
    from ..sorting import sort_recording, sorted_recording

    work = scratch_folder("work")
    res = sort_recording(inputs.recording, params.sorter, folder=work, motion=params.motion,
                         thresholds=params.thresholds(), seed=params.seed, n_jobs=params.n_jobs)
    units, detail = sorted_recording(res.analyzer, res.metrics, res.curation, session=inputs.session,
                                     name=Path(params.raw).stem)
    return SortRun(params, inputs.info, res, units, detail, work)


def render(result: SortRun, figures) -> list:
    """Waveforms, amplitudes, drift map, ISIs, metric distributions and the curation table."""
    from .sort_report import sort_sections

    sections = sort_sections(result.sort, figures, [])
    sections[0].text.insert(0, f"Sorter {result.sort.sorter} on {result.info['n_channels']} channels; median "
                               f"firing rate of the good units {_median_rate(result.sort)}.")
    return sections


def _write(result: SortRun, folder: Path) -> None:
    """units.nwb, units.csv and the sorter's log (its working folder removed unless kept)."""
    from ..sorting import write_units_nwb
    from .sort_report import curation_rows

    p, raw = result.params, Path(result.params.raw)
    write_units_nwb(result.units, result.detail, folder / "units.nwb", sampling_rate_hz=result.info["sampling_rate_hz"],
                    subject=p.subject(), electrode_location=p.location,
                    description=f"spike sorting of {raw.name} by {p.sorter} via SpikeInterface (neurodiscovery)")
    _write_csv(folder / "units.csv", curation_rows(result.sort))
    log = result.work / "sorter" / "spikeinterface_log.json"
    if log.is_file():
        shutil.copy(log, folder / "sorter_log.json")
    if not p.keep_sorter_folder:
        shutil.rmtree(result.work, ignore_errors=True)


def _describe(params: SortParams, inputs: SortInputs, result: SortRun) -> dict:
    res = result.sort
    return {"input": str(params.raw), "recording": inputs.info, "sorting_versions": _versions(params.sorter),
            "preprocessing": res.preprocessing, "sorter_params": res.params, "thresholds": res.curation.thresholds}


def _versions(sorter: str) -> dict:
    import importlib.metadata as md

    out = {}
    for pkg in ("spikeinterface", "probeinterface", "neo", sorter):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return out


def _write_csv(path: Path, rows: list[dict]) -> None:
    import csv

    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def metrics_properties() -> dict:
    """Declared top-level keys of ``sort``'s ``metrics.json``."""
    from .._utils.metrics_schema import integer, mapping, number, obj, text
    from ..sorting import METRIC_UNITS

    unit_row = obj({k: number(u if u not in ("spikes", "violations") else "1", k) for k, u in METRIC_UNITS.items()},
                   required=())
    bound = obj({"less": number("1", "inclusive upper bound, in the metric's unit"),
                 "greater": number("1", "inclusive lower bound, in the metric's unit")}, required=())
    return {"n_units": integer("1", "units the sorter found"), "n_good": integer("1", "units labelled good"),
            "duration_s": number("s", "recording duration"), "n_channels": integer("1", "channels"),
            "sampling_rate_hz": number("Hz", "sampling rate"), "timings_s": mapping(number("s", "wall time")),
            "curation": obj({"thresholds": mapping(bound), "labels": mapping(text()), "failed": mapping(text())}),
            "unit_metrics": mapping(unit_row, "per sorted unit: its quality metrics")}


COMMAND = Command(
    "sort", "spike-sort a raw extracellular recording (SpikeInterface: any extractor, a saved folder, raw binary): "
    "preprocess, sort, quality metrics, curation; writes units.nwb that analyze reads, and a report", SortParams,
    compute, render, metrics_properties, load=_load, write=_write, describe=_describe,
    line=lambda run: f"units: {run.path / 'units.nwb'}; report: {run.path / 'report.html'}",
    title=lambda p, r: f"sort: {Path(p.raw).name}", uses_torch=lambda p: p.sorter == "kilosort4")


def run_sort(raw: str | os.PathLike, *, out: str | os.PathLike | None = None, thresholds: dict | None = None,
             subject: dict | None = None, progress=None, **params) -> Path:
    """Sort a raw recording into a run folder: ``units.nwb``, ``units.csv``, ``metrics.json``, ``report.html``.

    Parameters
    ----------
    raw : path-like
        A raw recording :func:`~neurodiscovery.sorting.read_raw` opens.
    out : path-like, optional
        Run folder to create (default ``runs/<UTC>-sort``); must not exist.
    thresholds : dict, optional
        Curation thresholds ``{"isi_violations_ratio": {"less": x}, "amplitude_cutoff": {"less": y},
        "presence_ratio": {"greater": z}}`` (default the Allen Institute's).
    subject : dict, optional
        Subject fields (``subject_id``, ``species``, ``sex``, ``age``) for ``units.nwb`` where the session
        file gives none.
    progress : callable, optional
        Receives progress lines.
    **params
        Any other field of :class:`SortParams` (``sorter``, ``sampling_rate_hz``, ``n_channels``, ``dtype``,
        ``probe``, ``format``, ``stream``, ``motion``, ``session``, ``seed``, ``n_jobs``, ``location``,
        ``keep_sorter_folder``).

    Returns
    -------
    Path
        The run folder.
    """
    bounds = {}
    for metric, side, name in (("isi_violations_ratio", "less", "isi_violations_max"),
                               ("amplitude_cutoff", "less", "amplitude_cutoff_max"),
                               ("presence_ratio", "greater", "presence_ratio_min")):
        if (thresholds or {}).get(metric, {}).get(side) is not None:
            bounds[name] = thresholds[metric][side]
    fields = {k: v for k, v in (subject or {}).items() if v is not None}
    if params.get("sorter") is None:
        params.pop("sorter", None)
    sp = SortParams(raw=str(raw), **bounds, **fields, **params)
    return execute(COMMAND, sp, out=out, progress=progress).path


def _median_rate(res) -> str:
    good = res.curation.labels == "good"
    if not good.any() or "firing_rate_hz" not in res.metrics:
        return "no good units"
    return f"{float(np.median(res.metrics['firing_rate_hz'].to_numpy()[good])):.3g} Hz"
