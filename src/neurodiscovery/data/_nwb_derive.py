"""File-level NWB metadata carried through a Recording, and derived files that keep their input whole.

:func:`file_meta` is what the readers put in ``rec.meta['nwb']`` (identifier, session
start, experimenter, subject, ``Units.resolution``, and the parts of the file a Recording
does not hold). :func:`write_derived` writes an input file back whole under a new
identifier, adding the series a recording computed (``deconvolve``).
"""
from __future__ import annotations

import json
import uuid
from pathlib import Path

from .._utils.atomic import atomic_output
from .._utils.errors import DataFileError

_FILE_FIELDS = ("session_description", "experimenter", "experiment_description", "institution", "lab",
                "keywords", "session_id")
_SUBJECT_FIELDS = ("subject_id", "species", "sex", "age", "description", "genotype", "strain", "weight",
                   "date_of_birth")


def _plain(v):
    if v is None:
        return None
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, (list, tuple)) or (hasattr(v, "__len__") and not isinstance(v, str) and hasattr(v, "tolist")):
        return [str(x) for x in (v.tolist() if hasattr(v, "tolist") else v)]
    return str(v)


def _not_carried(nwb, used_acquisition: set) -> list[str]:
    """Paths of what a Recording read from ``nwb`` does not hold (named when written back)."""
    lost = []
    if nwb.units is not None and "electrodes" in nwb.units.colnames:
        lost.append("the units' electrodes column")
    lost += [f"acquisition/{k}" for k in nwb.acquisition if k not in used_acquisition]
    lost += [f"lab_meta_data/{k}" for k in getattr(nwb, "lab_meta_data", {}) or {}]
    return lost


def file_meta(nwb, used_acquisition: set | None = None) -> dict:
    """File-level metadata of an open NWBFile, as plain JSON-able values.

    Parameters
    ----------
    nwb : pynwb.NWBFile
        The file read.
    used_acquisition : set of str, optional
        Acquisition objects the reader turned into recording data (not reported as lost).

    Returns
    -------
    dict
        ``identifier``, ``session_start_time`` (ISO 8601), the fields of ``_FILE_FIELDS``,
        ``subject`` (dict), ``units_resolution_s`` and ``not_carried`` (list of str).
    """
    out = {"identifier": str(nwb.identifier), "session_start_time": _plain(nwb.session_start_time)}
    for k in _FILE_FIELDS:
        v = getattr(nwb, k, None)
        if v is not None and len(v):
            out[k] = _plain(v)
    if nwb.subject is not None:
        out["subject"] = {k: _plain(getattr(nwb.subject, k, None)) for k in _SUBJECT_FIELDS
                          if getattr(nwb.subject, k, None) not in (None, "")}
    res = getattr(nwb.units, "resolution", None) if nwb.units is not None else None
    if res is not None and res == res and res > 0:
        out["units_resolution_s"] = float(res)
    out.update(_hardware(nwb))
    used = set(used_acquisition or ())
    if not used:
        from ._nwb_behavior import behavior_acquisition_names

        used = behavior_acquisition_names(nwb)
    out["not_carried"] = _not_carried(nwb, used)
    return out


_ELECTRODE_SKIP = {"group", "group_name"}


def _hardware(nwb) -> dict:
    """Devices, electrode groups and the electrodes table (scalar columns) as plain values."""
    import numpy as np

    out = {"devices": [{"name": d.name, "description": d.description, "manufacturer": d.manufacturer}
                       for d in nwb.devices.values()],
           "electrode_groups": [{"name": g.name, "description": g.description, "location": g.location,
                                 "device": g.device.name} for g in nwb.electrode_groups.values()]}
    u = nwb.units
    if u is not None and "electrode_group" in u.colnames:  # by unit id, so it follows unit selections
        out["unit_electrode_group"] = {int(i): str(g.name) for i, g in zip(u.id.data[:], u["electrode_group"].data[:])}
    el = nwb.electrodes
    if el is not None and len(el):
        cols = {}
        for c in el.colnames:
            if c in _ELECTRODE_SKIP:
                continue
            v = np.asarray(el[c].data[:])
            if v.ndim == 1 and v.dtype.kind in "biufUSO":
                cols[c] = [x.decode() if isinstance(x, bytes) else (x.item() if hasattr(x, "item") else x) for x in v]
        cols["group_name"] = [str(el["group"][i].name) for i in range(len(el))]
        out["electrodes"] = cols
    return out


def add_hardware(nwb, meta: dict) -> None:
    """Recreate the devices, electrode groups and electrodes table :func:`file_meta` carried.

    Parameters
    ----------
    nwb : pynwb.NWBFile
        File being built (devices already in it are kept).
    meta : dict
        ``rec.meta['nwb']``.
    """
    for d in meta.get("devices") or []:
        if d["name"] not in nwb.devices:
            nwb.create_device(name=d["name"], description=d.get("description"), manufacturer=d.get("manufacturer"))
    for g in meta.get("electrode_groups") or []:
        if g["name"] not in nwb.electrode_groups:
            nwb.create_electrode_group(name=g["name"], description=g.get("description") or "electrode group",
                                       location=g.get("location") or "unknown", device=nwb.devices[g["device"]])
    cols = dict(meta.get("electrodes") or {})
    if not cols or nwb.electrodes is not None:
        return
    groups = cols.pop("group_name")
    standard = {"x", "y", "z", "imp", "location", "filtering", "rel_x", "rel_y", "rel_z"}
    for c in cols:
        if c not in standard:
            nwb.add_electrode_column(name=c, description=f"electrode column {c}")
    for i, g in enumerate(groups):
        nwb.add_electrode(group=nwb.electrode_groups[g], **{c: v[i] for c, v in cols.items()})


def _set(nwb, field: str, value) -> None:
    """Set a (set-once) NWBFile field on a file read from disk."""
    nwb.fields[field] = value


def write_derived(rec, source: Path, out: Path, *, subject, prov: dict, overwrite: bool = False) -> Path:
    """Export ``source`` whole to ``out`` with a new identifier, plus the series ``rec`` computed.

    Parameters
    ----------
    rec : Recording
        Read from ``source``; its traces' computed series (ΔF/F, deconvolution) are added.
    source : Path
        The input NWB file (never modified).
    out : Path
        The new file.
    subject : dict, optional
        Subject fields used when the input has no Subject.
    prov : dict
        Provenance (:func:`~neurodiscovery.data.nwb_write.provenance`).
    overwrite : bool
        Replace an existing ``out``.

    Returns
    -------
    Path
        ``out``.
    """
    import pynwb

    from .nwb_write import _notes, _subject, merge_subject, warn_incomplete_subject

    if not source.exists():
        raise DataFileError(f"{source} (the input to derive from) does not exist")
    with pynwb.NWBHDF5IO(str(source), "r", load_namespaces=True) as rio:
        nwb = rio.read()
        prov = {**prov, "derived_from": {"file": source.name, "identifier": str(nwb.identifier)}}
        if nwb.source_script:
            prov["input_source_script"] = str(nwb.source_script)
        nwb.generate_new_id()  # fresh object ids: two files never share one
        _set(nwb, "identifier", str(uuid.uuid4()))
        _set(nwb, "source_script", json.dumps(prov))
        _set(nwb, "source_script_file_name", "neurodiscovery")
        _set(nwb, "notes", ((str(nwb.notes) + "\n") if nwb.notes else "") + _notes(prov))
        if not nwb.session_id:
            _set(nwb, "session_id", str(rec.name).replace("/", "_"))
        carried = file_meta(nwb, {"*"}).get("subject") or {}
        fields = merge_subject(carried, subject)
        if fields != carried:  # the input's subject is blank or incomplete: a completed copy replaces it
            if nwb.subject is not None:
                nwb.subject.reset_parent()
                nwb.fields.pop("subject")
            nwb.subject = _subject(fields)
        warn_incomplete_subject(fields, out)
        if rec.traces is not None:
            from ._ophys_write import add_computed_series

            add_computed_series(nwb, rec.traces)
        with atomic_output(out, suffix=".partial.nwb", overwrite=overwrite) as tmp, pynwb.NWBHDF5IO(str(tmp), "w") as wio:
            wio.export(src_io=rio, nwbfile=nwb)
    return out
