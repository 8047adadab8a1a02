"""The one NWB writer every command uses: files DANDI's NWB Inspector accepts.

Every file written gets a fresh ``uuid4`` identifier; the recording's name becomes the
``session_id`` (so reading back gives the same name) and the file it came from is named,
with its identifier, in ``source_script`` (JSON provenance) and ``notes``. ``Subject`` is
carried over from the input, completed from options (``subject=``) where the input has
none, and built-in synthetic data say they are simulated (:func:`simulated_subject`).
Regular series are written as ``starting_time`` + ``rate``, ``Units.resolution`` is set
(:mod:`neurodiscovery.data.nwb_units`), epochs and trials are sorted by start time.

Two ways to write:

- from a :class:`~neurodiscovery.data.Recording` alone: what the recording holds, plus
  the input's file-level metadata it carried (``rec.meta['nwb']``); parts of the input
  a Recording does not hold (devices, electrodes, raw acquisition) are named in a warning;
- ``source=`` an NWB file: the output is that file exported whole (everything in it kept,
  nothing rewritten, its curation included) plus what the recording adds (new trace
  series under names saying what made them), as ``deconvolve`` writes.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import uuid
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .._utils.atomic import atomic_output
from .._utils.errors import InputError

#: NCBI taxon 32630 "synthetic construct": the honest species of a simulated subject
SIMULATED_SPECIES = "http://purl.obolibrary.org/obo/NCBITaxon_32630"
#: ISO 8601 open range "0 days or older": age unknown (DANDI needs an age field)
UNKNOWN_AGE = "P0D/"
SUBJECT_FIELDS = ("subject_id", "species", "sex", "age", "description", "genotype", "strain", "weight",
                  "date_of_birth")
_FILE_FIELDS = ("session_description", "experimenter", "experiment_description", "institution", "lab",
                "keywords", "session_start_time")


def simulated_subject(what: str, seed: int | None = None) -> dict:
    """Subject fields of a simulated session: no animal, species "synthetic construct".

    Parameters
    ----------
    what : str
        What was simulated (e.g. the dataset name and its model).
    seed : int, optional
        Seed of the simulation (goes into the subject id).

    Returns
    -------
    dict
        ``subject_id``, ``species`` (:data:`SIMULATED_SPECIES`), ``sex`` "U", ``age`` unknown
        (:data:`UNKNOWN_AGE`) and a description saying it is simulated.
    """
    sid = "simulated" + ("" if seed is None else f"-seed{seed}")
    return {"subject_id": sid, "species": SIMULATED_SPECIES, "sex": "U", "age": UNKNOWN_AGE,
            "description": f"simulated by neurodiscovery, no animal: {what}"}


def merge_subject(carried: Mapping | None, options: Mapping | None) -> dict:
    """The input's subject, its missing fields filled from ``options``.

    A field the input states is kept; an option that disagrees with it is ignored with a
    warning (the file's own metadata is never rewritten).

    Parameters
    ----------
    carried : dict, optional
        Subject fields read from the input (``rec.meta['nwb']['subject']``).
    options : dict, optional
        Subject fields given by the user (``--subject-id``, ``--species``, ``--sex``, ``--age``).

    Returns
    -------
    dict
        Non-empty fields only.
    """
    out = {k: v for k, v in dict(carried or {}).items() if v not in (None, "")}
    for k, v in dict(options or {}).items():
        if v in (None, ""):
            continue
        if k not in SUBJECT_FIELDS:
            raise InputError(f"unknown subject field '{k}'; known: {', '.join(SUBJECT_FIELDS)}")
        if k in out and str(out[k]) != str(v):
            warnings.warn(f"the input's subject says {k}={out[k]!r}; the option {k}={v!r} is ignored "
                          "(a file's own subject is kept)", stacklevel=3)
            continue
        out[k] = v
    if "subject_id" in out:
        out["subject_id"] = str(out["subject_id"]).replace("/", "_")  # DANDI: no slashes in ids
    return out


def warn_incomplete_subject(fields: Mapping, path: Path) -> None:
    """Warn when DANDI's required subject fields (id, species, sex, age) are missing from a file written.

    Parameters
    ----------
    fields : dict
        Subject fields written.
    path : Path
        The file (named in the warning).
    """
    missing = [k for k in ("subject_id", "species", "sex", "age") if not fields.get(k)]
    if missing:
        flags = ", ".join("--" + k.replace("_", "-") for k in missing)
        warnings.warn(f"{path.name} has no subject {', '.join(missing)} (DANDI refuses such files): give them "
                      f"with {flags} (Python: subject={{...}})", stacklevel=3)


def _subject(fields: Mapping):
    from pynwb.file import Subject

    kw = {k: fields[k] for k in SUBJECT_FIELDS if fields.get(k) not in (None, "")}
    if "date_of_birth" in kw and isinstance(kw["date_of_birth"], str):
        kw["date_of_birth"] = dt.datetime.fromisoformat(kw["date_of_birth"])
    return Subject(**kw) if kw else None


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("neurodiscovery")
    except PackageNotFoundError:
        return "unknown"


def provenance(rec, command: str | None = None) -> dict:
    """What made a file: software, version, command, and the input file with its identifier.

    Parameters
    ----------
    rec : Recording
        The recording written (its ``meta`` names the source file and identifier).
    command : str, optional
        The command or function that wrote it (e.g. ``"deconvolve"``).

    Returns
    -------
    dict
        JSON-able; written to ``source_script``.
    """
    nwb = dict(rec.meta.get("nwb") or {})
    src = rec.meta.get("source")
    derived = {"file": Path(str(src)).name, "identifier": nwb.get("identifier")} if src else None
    return {"software": "neurodiscovery", "version": _version(), "command": command, "derived_from": derived,
            "steps": [s.get("step") for s in ((rec.traces.meta.get("preprocessing") or [])
                                                if rec.traces is not None else [])]}


def _notes(prov: dict) -> str:
    src = prov.get("derived_from")
    what = f"derived from {src['file']} (identifier {src['identifier']})" if src else "written"
    return f"{what} by neurodiscovery {prov['version']}" + (f" ({prov['command']})" if prov["command"] else "")


def _new_file(rec, subject: Mapping, prov: dict, session_description: str | None):
    import pynwb

    meta = dict(rec.meta.get("nwb") or {})
    start = meta.get("session_start_time")
    start = dt.datetime.fromisoformat(start) if start else dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    kw = {k: meta[k] for k in ("experimenter", "experiment_description", "institution", "lab", "keywords")
          if meta.get(k)}
    desc = session_description or meta.get("session_description") or f"{rec.name}, written by neurodiscovery"
    nwb = pynwb.NWBFile(session_description=desc, identifier=str(uuid.uuid4()), session_start_time=start,
                        session_id=str(rec.name).replace("/", "_"), source_script=json.dumps(prov),
                        source_script_file_name="neurodiscovery", notes=_notes(prov), **kw)
    nwb.subject = _subject(subject)
    return nwb


def _add_intervals(nwb, rec) -> None:
    """Epochs (tagged by name) and trials, both in ascending start time."""
    rows = sorted((float(a), float(b), name) for name, iv in rec.epochs.items() for a, b in iv)
    for a, b, name in rows:
        nwb.add_epoch(start_time=a, stop_time=b, tags=[name])
    tr = rec.trials
    if tr is None or not len(tr):
        return
    for k in tr.columns:
        nwb.add_trial_column(k, f"trial column {k}")
    for i in np.argsort(tr.start_s, kind="stable"):
        nwb.add_trial(start_time=float(tr.start_s[i]), stop_time=float(tr.stop_s[i]),
                      **{k: v[i].item() if hasattr(v[i], "item") else v[i] for k, v in tr.columns.items()})


def _warn_dropped(rec, path: Path) -> None:
    lost = list((rec.meta.get("nwb") or {}).get("not_carried") or [])
    if lost:
        warnings.warn(f"{path.name}: parts of the input a Recording does not hold are not written: "
                      f"{', '.join(lost)} (write_nwb(..., source=INPUT) keeps the whole input)", stacklevel=3)


def _unit_groups(nwb, rec, meta_nwb: dict) -> list | None:
    """Each unit's electrode group carried from the input (by unit id), or None when any is unknown."""
    by_id = dict(meta_nwb.get("unit_electrode_group") or {})
    if not by_id:
        return None
    groups = [by_id.get(int(i)) if str(i).lstrip("-").isdigit() else None for i in rec.unit_ids]
    return groups if all(g in nwb.electrode_groups for g in groups) else None


def _build(rec, path: Path, subject, resolution_s, units_detail, command, session_description):
    from ._nwb_behavior import add_behaviors
    from .nwb_units import add_electrodes, add_units, spike_resolution_s

    meta_nwb = dict(rec.meta.get("nwb") or {})
    carried = dict(meta_nwb.get("subject") or {})
    if rec.meta.get("subject") and not carried.get("subject_id"):  # a bare id (batch grouping key)
        carried["subject_id"] = str(rec.meta["subject"])
    subj = merge_subject(carried, subject)
    warn_incomplete_subject(subj, path)
    nwb = _new_file(rec, subj, provenance(rec, command), session_description)
    if rec.traces is not None:
        from ._ophys_write import add_ophys

        add_ophys(nwb, rec)
    d = dict(units_detail or {})
    columns = dict(rec.unit_columns)
    for k in ("waveform_mean", "waveform_sd"):  # (units, samples, channels) unit columns are NWB waveforms
        if k not in d and np.ndim(columns.get(k)) == 3:
            d[k] = columns.pop(k)
    if d.get("electrode_positions_um") is None:  # the input's hardware, unless the caller describes its own
        from ._nwb_derive import add_hardware

        add_hardware(nwb, meta_nwb)
    if len(rec.spike_times):  # an imaging recording without spike trains writes no Units
        if d.get("electrode_positions_um") is not None:
            add_electrodes(nwb, d["electrode_positions_um"], location=d.get("electrode_location", "unknown"),
                           channel_names=d.get("channel_names"), device_name=d.get("device", "probe"))
        res = spike_resolution_s(rec.spike_times, resolution_s or meta_nwb.get("units_resolution_s"),
                                 simulated=bool(rec.meta.get("simulated")))
        if res is None:
            warnings.warn(f"{path.name}: spike-time resolution unknown (no sampling grid in the spike times); "
                          "give resolution_s (1 / the acquisition sampling rate)", stacklevel=3)
        add_units(nwb, rec.spike_times, resolution_s=res, unit_ids=rec.unit_ids, regions=rec.regions,
                  electrode_groups=None if d.get("unit_electrodes") is not None else _unit_groups(nwb, rec, meta_nwb),
                  columns=columns, electrodes=d.get("unit_electrodes"),
                  waveform_mean=d.get("waveform_mean"), waveform_sd=d.get("waveform_sd"),
                  waveform_rate_hz=d.get("waveform_rate_hz"))
    add_behaviors(nwb, rec)
    _add_intervals(nwb, rec)
    return nwb


def _sorting_electrodes(el: Mapping, n_units: int) -> dict:
    """``units_detail`` from the spike-sorting electrodes layout (``x_um``, ``y_um``, ``unit_electrodes``...)."""
    if not {"x_um", "y_um", "unit_electrodes"} <= set(el):
        raise InputError(f"electrodes needs keys x_um, y_um, unit_electrodes; got {sorted(el)}")
    pos = np.column_stack([np.asarray(el["x_um"], float), np.asarray(el["y_um"], float)])
    ue = list(el["unit_electrodes"])
    if len(ue) != n_units or any(len(r) and (min(r) < 0 or max(r) >= len(pos)) for r in ue):
        raise InputError(f"unit_electrodes must give {n_units} units rows of electrodes 0..{len(pos) - 1}")
    return {"electrode_positions_um": pos, "unit_electrodes": ue, "electrode_location": el.get("location", "unknown"),
            "channel_names": el.get("channel_name"), "device": el.get("device", "probe")}


def write_nwb(rec, path: str | os.PathLike, overwrite: bool = False, *, subject: Mapping | None = None,
              resolution_s: float | None = None, source: str | os.PathLike | None = None,
              units_detail: Mapping | None = None, command: str | None = None,
              session_description: str | None = None, electrodes: Mapping | None = None,
              description: str | None = None) -> Path:
    """Write a :class:`~neurodiscovery.data.Recording` to NWB 2.x, atomically (temp file, then rename).

    Parameters
    ----------
    rec : Recording
        Units (spike times in s, regions, unit columns), behaviours, epochs, trials, imaging
        traces; ``rec.meta['nwb']`` (set by the readers) carries the input's subject and
        file-level metadata; ``rec.meta['simulated']`` marks simulated spike times.
    path : path-like
        The ``.nwb`` file to write.
    overwrite : bool
        Replace an existing file (default: refuse with InputError).
    subject : dict, optional
        Subject fields (``subject_id``, ``species``, ``sex``, ``age``, ...) used where the
        input has none (see :func:`merge_subject`, :func:`simulated_subject`).
    resolution_s : float, optional
        Spike-time resolution (s) = 1 / acquisition sampling rate, for ``Units.resolution``.
    source : path-like, optional
        The NWB file the recording was read from: the output is that file, whole, plus the
        trace series the recording adds (see the module notes).
    units_detail : dict, optional
        For sorted units: ``electrode_positions_um`` (channels, 2|3), ``electrode_location``,
        ``unit_electrodes`` (per unit, rows of the electrodes table), ``waveform_mean`` and
        ``waveform_sd`` (units, samples, channels) in µV, ``waveform_rate_hz``.
    command : str, optional
        Name of the command writing the file (recorded in the provenance).
    session_description : str, optional
        Default: the input's, else the recording's name.
    electrodes : dict, optional
        The same as ``units_detail`` in the spike-sorting layout: ``x_um``, ``y_um`` (electrodes,) µm,
        ``unit_electrodes``, optional ``location``, ``channel_name``, ``device``. A unit column
        ``waveform_mean`` / ``waveform_sd`` of shape (units, samples, electrodes) µV is written as
        NWB's waveforms either way.
    description : str, optional
        Alias of ``session_description``.

    Returns
    -------
    Path
        ``path``, complete (it appears only once fully written).
    """
    import pynwb

    path = Path(path)
    if path.exists() and not overwrite:
        raise InputError(f"{path} exists; choose another output path (files are never overwritten)")
    session_description = session_description or description
    if electrodes is not None:
        units_detail = {**dict(units_detail or {}), **_sorting_electrodes(electrodes, rec.n_units)}
    if source is not None:
        from ._nwb_derive import write_derived

        return write_derived(rec, Path(source), path, subject=subject, prov=provenance(rec, command),
                             overwrite=overwrite)
    nwb = _build(rec, path, subject, resolution_s, units_detail, command, session_description)
    _warn_dropped(rec, path)
    with atomic_output(path, suffix=".partial.nwb", overwrite=overwrite) as tmp, pynwb.NWBHDF5IO(str(tmp), "w") as io:
        io.write(nwb)
    return path
