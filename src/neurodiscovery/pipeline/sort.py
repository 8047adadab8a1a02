"""``sort RAW``: raw voltage to a run folder with curated units in NWB, metrics and a report.

Every check on the inputs (format, dtype and channel count, probe, sorter, duration, session file) runs
before the run folder is created; the folder is built in a hidden temporary sibling and renamed only
when complete, so a failure leaves nothing that looks finished.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

__all__ = ["run_sort"]


def _versions(sorter: str) -> dict:
    import importlib.metadata as md

    out = {}
    for pkg in ("spikeinterface", "probeinterface", "neo", sorter):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return out


def _metrics(res, raw_info: dict, n_written: int) -> dict:
    from .._utils.quantity import count, quantity
    from .command import legacy_metrics

    n, good = res.n_units, res.curation.n_good
    ids = [str(u) for u in res.analyzer.unit_ids]
    rows = [{k: (float(v) if np.isfinite(v) else None) for k, v in zip(res.metrics.columns, row)}
            for row in res.metrics.to_numpy(float)]
    keys = [count("units labelled good by the curation", good, n, "units"),
            count("units labelled bad (kept in units.nwb with their label)", n - good, n, "units"),
            count("units written to units.nwb", n_written, n, "units"),
            quantity("recording duration", raw_info["duration_s"], "s"),
            quantity("sorter wall time", res.timings_s.get("sort_s"), "s")]
    return legacy_metrics("sort", {
        "n_units": n, "n_good": good, "duration_s": raw_info["duration_s"], "n_channels": raw_info["n_channels"],
        "sampling_rate_hz": raw_info["sampling_rate_hz"], "timings_s": dict(res.timings_s),
        "curation": {"thresholds": res.curation.thresholds, "labels": dict(zip(ids, map(str, res.curation.labels))),
                     "failed": dict(zip(ids, res.curation.failed))},
        "unit_metrics": dict(zip(ids, rows))}, keys)


def _write_csv(path: Path, rows: list[dict]) -> None:
    import csv

    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def run_sort(raw: str | os.PathLike, *, sorter: str | None = None, out: str | os.PathLike | None = None,
             sampling_rate_hz: float | None = None, n_channels: int | None = None, dtype: str | None = None,
             probe: str | os.PathLike | None = None, format: str | None = None, stream: str | None = None,
             motion: str | None = None, session: str | os.PathLike | None = None, thresholds: dict | None = None,
             seed: int = 0, n_jobs: int = 1, keep_sorter_folder: bool = False, subject: dict | None = None,
             location: str = "root") -> Path:
    """Sort a raw recording into a run folder: ``units.nwb``, ``units.csv``, ``metrics.json``, ``report.html``.

    Parameters
    ----------
    raw : path-like
        A raw recording :func:`~neurodiscovery.sorting.read_raw` opens.
    sorter : str, optional
        Sorter name (default :data:`~neurodiscovery.sorting.DEFAULT_SORTER`).
    out : path-like, optional
        Run folder to create (default ``runs/<UTC>-sort``); must not exist.
    sampling_rate_hz, n_channels, dtype, probe, format, stream
        As in :func:`~neurodiscovery.sorting.read_raw` (sampling rate in Hz).
    motion : str, optional
        Motion-correction preset (``"dredge_fast"``...); None skips it.
    session : path-like, optional
        NWB file whose behaviour, trials and epochs are copied into ``units.nwb`` (same clock).
    thresholds : dict, optional
        Curation thresholds (default the Allen Institute's).
    seed : int
        Seeds every random step.
    n_jobs : int
        Workers for SpikeInterface's chunked steps.
    keep_sorter_folder : bool
        Keep the sorter's working folder in the run folder (``sorter/``; default removed, its log kept).
    subject : dict, optional
        Subject fields (``subject_id``, ``species``, ``sex``, ``age``) for ``units.nwb`` where the session
        file gives none.
    location : str
        Brain area of the electrodes (an Allen CCF acronym for mice); "root" (the whole brain) where unknown.

    Returns
    -------
    Path
        The run folder.
    """
    from .._utils.runfolder import RunFolder
    from ..sorting import DEFAULT_SORTER, check_sorter, describe_raw, load_session, read_raw, sort_recording

    sorter = sorter or DEFAULT_SORTER
    rec = read_raw(raw, sampling_rate_hz=sampling_rate_hz, n_channels=n_channels, dtype=dtype, probe=probe,
                   format=format, stream=stream)
    info = describe_raw(rec)
    check_sorter(sorter, info["duration_s"])
    sess = load_session(session)
    config = {"input": str(raw), "sorter": sorter, "probe": None if probe is None else str(probe), "motion": motion,
              "session": None if session is None else str(session), "seed": seed, "n_jobs": n_jobs,
              "recording": info, "thresholds": thresholds, "sorting_versions": _versions(sorter)}
    with RunFolder("sort", out=out, config=config) as run:
        res = sort_recording(rec, sorter, folder=run.dir / "work", motion=motion, thresholds=thresholds, seed=seed,
                             n_jobs=n_jobs)
        run.config.update({"preprocessing": res.preprocessing, "sorter_params": res.params,
                           "thresholds": res.curation.thresholds})
        _write_run(run, res, info, Path(raw), sess, keep_sorter_folder, subject, location)
    return run.path


def _write_run(run, res, info: dict, raw: Path, sess, keep_sorter_folder: bool, subject: dict | None,
               location: str = "root") -> None:
    """units.nwb, units.csv, metrics.json, the sorter's log and report.html into the run folder."""
    from ..sorting import sorted_recording, write_units_nwb
    from .report import FigureWriter, render_html
    from .sort_report import curation_rows, sort_sections

    sorter = res.sorter
    units, detail = sorted_recording(res.analyzer, res.metrics, res.curation, session=sess, name=raw.stem)
    write_units_nwb(units, detail, run.dir / "units.nwb", sampling_rate_hz=info["sampling_rate_hz"], subject=subject,
                    electrode_location=location,
                    description=f"spike sorting of {raw.name} by {sorter} via SpikeInterface (neurodiscovery)")
    _write_csv(run.dir / "units.csv", curation_rows(res))
    run.write_metrics(_metrics(res, info, units.n_units))
    log = run.dir / "work" / "sorter" / "spikeinterface_log.json"
    if log.is_file():
        shutil.copy(log, run.dir / "sorter_log.json")
    if not keep_sorter_folder:
        shutil.rmtree(run.dir / "work", ignore_errors=True)
    fw = FigureWriter(run.figures, ("png",))
    keys = [("units found", str(res.n_units)), ("good units", f"{res.curation.n_good} of {res.n_units} units"),
            ("sorter", sorter), ("duration", f"{info['duration_s']:.1f} s"), ("channels", str(info["n_channels"])),
            ("median firing rate (good units)", _median_rate(res))]
    sections = sort_sections(res, fw, keys)
    run.write_text("report.html", render_html(f"sort: {raw.name}", keys, sections, run.figures, run.config))


def _median_rate(res) -> str:
    good = res.curation.labels == "good"
    if not good.any() or "firing_rate_hz" not in res.metrics:
        return "no good units"
    return f"{float(np.median(res.metrics['firing_rate_hz'].to_numpy()[good])):.3g} Hz"
