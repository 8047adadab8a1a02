"""The neurodiscovery NPZ layout (read and write, never unpickled).

Keys (all plain numeric or unicode arrays; ``np.load(..., allow_pickle=False)``):

===============================  =====================================================
``format``                       ``"neurodiscovery-npz-1"``
``spike_times``                  (n_spikes,) float64 seconds, units concatenated
``spike_ptr``                    (n_units + 1,) int64 offsets: unit i = ``spike_times[ptr[i]:ptr[i+1]]``
``unit_ids``                     (n_units,)
``unit_regions``                 (n_units,) str
``unit__<col>``                  (n_units,) extra unit columns
``behavior__<name>__t_s``        (T,) float64 seconds
``behavior__<name>__values``     (T, k) float64
``behavior__<name>__columns``    (k,) str
``behavior__<name>__units``      () str
``behavior__<name>__circular``   () bool (angles in radians)
``epoch__<name>``                (n, 2) float64 [start_s, stop_s)
``trials__start_s``/``__stop_s`` (n_trials,) float64
``trials__<col>``                (n_trials,) per-trial columns (condition, outcome, ...)
``name``                         () str
``subject``                      () str subject id (optional; ``rec.meta["subject"]``)
``traces__t_s``                  (T,) frame times of imaging traces (optional, imaging only)
``traces__series__<kind>``       (T, rois) one per kind (fluorescence, neuropil, dff, ...)
``traces__rate_hz/kind/...``     () imaging rate, analysed kind, indicator, meta (JSON)
``roi__ids/iscell/centroid_px``  (rois,), (rois,), (rois, 2); ``roi__masks`` + ``roi__mask_ptr``
===============================  =====================================================
"""
from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from .._utils.atomic import atomic_output
from .._utils.errors import DataFileError, InputError
from .._utils.resources import check_npz
from ._files import check_exists
from .recording import Recording, Trials
from .timeseries import TimeSeries

FORMAT = "neurodiscovery-npz-1"


def write_npz(rec: Recording, path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Write a :class:`Recording` in the NPZ layout above (atomic temp-file + rename).

    Parameters
    ----------
    rec : Recording
        The recording.
    path : path
        ``.npz`` file to write.
    overwrite : bool
        Replace an existing file (default: refuse).

    Returns
    -------
    Path
    """
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_suffix(path.suffix + ".npz") if path.suffix else path.with_suffix(".npz")
    if path.exists() and not overwrite:
        raise InputError(f"{path} exists; choose another output path (files are never overwritten)")
    ptr = np.concatenate([[0], np.cumsum([len(s) for s in rec.spike_times])]).astype(np.int64)
    d = {
        "format": np.array(FORMAT),
        "name": np.array(str(rec.name)),
        "spike_times": np.concatenate(rec.spike_times) if rec.spike_times else np.zeros(0),
        "spike_ptr": ptr,
        "unit_ids": np.asarray(rec.unit_ids),
        **({"subject": np.array(str(rec.meta["subject"]))} if rec.meta.get("subject") else {}),
        "unit_regions": np.asarray(rec.regions, dtype=str),
        "time_support_s": np.asarray(rec.time_support_s, float),
    }
    if d["unit_ids"].dtype == object:
        d["unit_ids"] = d["unit_ids"].astype(str)
    for k, v in rec.unit_columns.items():
        d[f"unit__{k}"] = np.asarray(v).astype(str) if np.asarray(v).dtype == object else np.asarray(v)
    for name, b in rec.behaviors.items():
        p = f"behavior__{name}__"
        d[p + "t_s"], d[p + "values"] = b.t_s, b.values
        d[p + "columns"] = np.asarray(b.columns, dtype=str)
        d[p + "units"], d[p + "circular"] = np.array(b.units), np.array(b.circular)
    for name, iv in rec.epochs.items():
        d[f"epoch__{name}"] = iv
    if rec.trials is not None:
        d["trials__start_s"], d["trials__stop_s"] = rec.trials.start_s, rec.trials.stop_s
        for k, v in rec.trials.columns.items():
            d[f"trials__{k}"] = np.asarray(v).astype(str) if np.asarray(v).dtype == object else np.asarray(v)
    if rec.traces is not None:
        from .io_ophys import traces_to_npz

        d.update(traces_to_npz(rec.traces))
    with atomic_output(path, suffix=".tmp.npz", overwrite=overwrite) as tmp:
        np.savez_compressed(tmp, **d)
    return path


def read_npz(path: str | os.PathLike) -> Recording:
    """Read a recording in the neurodiscovery NPZ layout (no pickle is ever loaded).

    Parameters
    ----------
    path : path
        ``.npz`` file.

    Returns
    -------
    Recording
    """
    path = Path(path)
    check_exists(path)
    try:
        z = np.load(path, allow_pickle=False)
        keys = set(z.files)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise DataFileError(f"{path} is not a readable .npz file ({exc})") from None
    try:
        check_npz(z, str(path))  # headers only: refuse pickles and huge declared arrays before reading
        if "spike_times" not in keys or "spike_ptr" not in keys:
            missing = sorted({"spike_times", "spike_ptr"} - keys)
            raise DataFileError(f"{path} is not a neurodiscovery recording: missing field(s) "
                                f"{', '.join(missing)} (see neurodiscovery.data.io_npz for the layout)")
        try:
            st, ptr = z["spike_times"], z["spike_ptr"]
        except ValueError as exc:  # object arrays would need pickle
            raise DataFileError(f"{path}: field holds pickled objects, which are never loaded ({exc})") from None
        ptr = _checked_offsets(ptr, path)
        n = len(ptr) - 1
        if n < 0 or ptr[0] != 0 or ptr[-1] != len(st) or np.any(np.diff(ptr) < 0):
            raise DataFileError(f"{path}: spike_ptr does not index spike_times ({len(ptr)} offsets for "
                                f"{len(st)} spikes)")
        spikes = [st[ptr[i]:ptr[i + 1]] for i in range(n)]
        behs = {}
        # rsplit: a behaviour name may itself contain "__"; the field name never does
        names = sorted({k[len("behavior__"):].rsplit("__", 1)[0] for k in keys if k.startswith("behavior__")})
        for name in names:
            p = f"behavior__{name}__"
            for need in ("t_s", "values"):
                if p + need not in keys:
                    raise DataFileError(f"{path}: behaviour '{name}' lacks field {p + need}")
            # NaN samples in a file are tracking gaps, as the NWB and pynapple readers treat them
            behs[name] = TimeSeries.from_samples(
                name, z[p + "t_s"], z[p + "values"], drop_nan=True,
                columns=tuple(z[p + "columns"].tolist()) if p + "columns" in keys else (),
                units=str(z[p + "units"]) if p + "units" in keys else "",
                circular=bool(z[p + "circular"]) if p + "circular" in keys else False)
        epochs = {k[len("epoch__"):]: z[k] for k in keys if k.startswith("epoch__")}
        trials = None
        if "trials__start_s" in keys:
            cols = {k[len("trials__"):]: z[k] for k in keys
                    if k.startswith("trials__") and k not in ("trials__start_s", "trials__stop_s")}
            trials = Trials(z["trials__start_s"], z["trials__stop_s"], cols)
        unit_cols = {k[len("unit__"):]: z[k] for k in keys if k.startswith("unit__")}
        from .io_ophys import traces_from_npz

        return Recording(spikes, traces=traces_from_npz(z, keys, path),
                         unit_ids=z["unit_ids"] if "unit_ids" in keys else None,
                         regions=z["unit_regions"] if "unit_regions" in keys else None,
                         unit_columns=unit_cols, behaviors=behs, epochs=epochs, trials=trials,
                         time_support_s=z["time_support_s"] if "time_support_s" in keys else None,
                         name=str(z["name"]) if "name" in keys else path.stem,
                         meta={"source": str(path), "format": "npz",
                               **({"subject": str(z["subject"])} if "subject" in keys else {})})
    finally:
        z.close()


def _checked_offsets(ptr: np.ndarray, path) -> np.ndarray:
    """``spike_ptr`` as 1-D int64 offsets, or one line saying what is wrong with it."""
    ptr = np.asarray(ptr)
    if ptr.ndim != 1:
        raise DataFileError(f"{path}: spike_ptr must be 1-D offsets (n_units + 1,), got shape {ptr.shape}")
    if ptr.dtype.kind not in "iuf" or (ptr.dtype.kind == "f" and not np.all(np.isfinite(ptr))):
        raise DataFileError(f"{path}: spike_ptr must hold integer offsets, got dtype {ptr.dtype}")
    if ptr.dtype.kind == "f":
        if np.any(ptr != np.round(ptr)):
            raise DataFileError(f"{path}: spike_ptr holds fractional offsets; it must index spike_times with "
                                "whole numbers")
    return ptr.astype(np.int64)
