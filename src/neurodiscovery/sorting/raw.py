"""Raw extracellular recordings in: any SpikeInterface extractor, a saved SpikeInterface folder, or raw binary.

Every check that can fail on the user's input runs here, before any sorting starts, and raises one line
(:class:`~neurodiscovery._utils.errors.InputError` or a subclass) naming the input and what to do.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from .._utils.errors import DataFileError, InputError, MissingFileError
from ._si import si

__all__ = ["RAW_SUFFIXES", "read_probe", "read_raw"]

#: File suffixes read as headerless binary (interleaved samples, ``(time, channels)``).
RAW_SUFFIXES = (".bin", ".dat", ".raw")

# suffix -> SpikeInterface extractor name for self-describing files
_BY_SUFFIX = {".nwb": "nwb", ".rhd": "intan", ".rhs": "intan", ".ns5": "blackrock", ".ns6": "blackrock",
              ".plx": "plexon", ".pl2": "plexon2", ".smrx": "spike2", ".h5": "maxwell", ".edf": "edf"}


def _folder_format(path: Path) -> str | None:
    """The SpikeInterface reader of a folder: a saved SI folder, SpikeGLX, Open Ephys, Neuralynx, TDT."""
    names = {p.name for p in path.iterdir()}
    if names & {"si_folder.json", "binary.json", "provenance.json"} and "traces_cached_seg0.raw" in names:
        return "si_folder"
    if any(n.endswith(".meta") for n in names) or any(p.is_dir() and any(q.suffix == ".meta" for q in p.iterdir())
                                                       for p in path.iterdir()):
        return "spikeglx"
    if "settings.xml" in names or any(path.rglob("structure.oebin")):
        return "openephys"
    if any(n.endswith(".ncs") for n in names):
        return "neuralynx"
    if any(n.endswith(".tev") for n in names):
        return "tdt"
    return None


def read_probe(path: str | os.PathLike):
    """A probeinterface probe (``.json`` probeinterface file or ``.prb``), with its contacts wired in order.

    Parameters
    ----------
    path : path-like
        The probe file.

    Returns
    -------
    probeinterface.Probe
        One probe; its ``device_channel_indices`` default to ``0..n_contacts-1``.
    """
    import probeinterface as pi

    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"probe file {path} does not exist; give --probe a probeinterface .json or .prb file")
    try:
        group = pi.read_prb(path) if path.suffix.lower() == ".prb" else pi.read_probeinterface(path)
    except Exception as exc:
        raise DataFileError(f"{path} is not a probeinterface .json or .prb probe file ({type(exc).__name__}: "
                            f"{' '.join(str(exc).split())[:120]})") from None
    probes = group.probes
    if len(probes) != 1:
        raise InputError(f"{path} holds {len(probes)} probes; sort one probe at a time (one probe per file)")
    probe = probes[0]
    if probe.device_channel_indices is None:
        probe.set_device_channel_indices(np.arange(probe.get_contact_count()))
    return probe


def _attach_probe(rec, probe, probe_path) -> object:
    n_contacts, n_ch = probe.get_contact_count(), rec.get_num_channels()
    if n_contacts != n_ch:
        fewer = "fewer" if n_contacts < n_ch else "more"
        raise InputError(f"probe {probe_path} has {n_contacts} contacts, {fewer} than the recording's {n_ch} "
                         "channels; give the probe file that matches this recording")
    dci = np.asarray(probe.device_channel_indices)
    if dci.min() < 0 or dci.max() >= n_ch:
        raise InputError(f"probe {probe_path} wires contacts to channels {dci.min()}..{dci.max()}, outside the "
                         f"recording's 0..{n_ch - 1}")
    out = rec.set_probe(probe)  # SpikeInterface >= 0.105 sets it in place and returns None
    return rec if out is None else out


def _read_binary(path: Path, sampling_rate_hz, n_channels, dtype) -> object:
    missing = [n for n, v in (("--sampling-rate", sampling_rate_hz), ("--n-channels", n_channels),
                              ("--dtype", dtype)) if v is None]
    if missing:
        raise InputError(f"{path} is raw binary: give {', '.join(missing)} (and --probe FILE)")
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise InputError(f"--dtype {dtype!r} is not a numpy dtype; use e.g. int16, uint16, float32") from None
    if dt.kind not in "iuf":
        raise InputError(f"--dtype {dtype!r} is not a numeric sample type; use e.g. int16 or float32")
    if int(n_channels) < 1 or not float(sampling_rate_hz) > 0:
        raise InputError(f"--n-channels must be >= 1 and --sampling-rate > 0, got {n_channels} and "
                         f"{sampling_rate_hz}")
    size = path.stat().st_size
    frame = dt.itemsize * int(n_channels)
    if size == 0 or size % frame:
        raise InputError(f"{path} has {size} bytes, not a whole number of {n_channels}-channel {dt.name} samples "
                         f"({frame} bytes each): check --dtype and --n-channels")
    return si().read_binary(str(path), sampling_frequency=float(sampling_rate_hz), dtype=dt.name,
                            num_channels=int(n_channels))


def _read_extractor(path: Path, fmt: str, stream: str | None) -> object:
    sif = si()
    if fmt == "si_folder":
        return sif.load(str(path))
    readers = sif.recording_extractor_full_dict
    if fmt not in readers:
        raise InputError(f"unknown --format {fmt!r}; SpikeInterface reads: {', '.join(sorted(readers))}")
    kw = {"stream_id": stream} if stream else {}
    try:
        return readers[fmt](str(path), **kw)
    except (ValueError, AssertionError) as exc:
        text = " ".join(str(exc).split())[:200]
        hint = "; name one with --stream" if "stream" in text.lower() else ""
        raise DataFileError(f"{path} could not be read as {fmt} ({text}){hint}") from None


def _check_probe(rec, path: Path) -> None:
    if not rec.has_probe():
        raise InputError(f"{path} carries no probe geometry; give --probe FILE (probeinterface .json or .prb)")


def read_raw(path: str | os.PathLike, *, sampling_rate_hz: float | None = None, n_channels: int | None = None,
             dtype: str | None = None, probe: str | os.PathLike | None = None, format: str | None = None,
             stream: str | None = None):
    """Open a raw extracellular recording as a SpikeInterface recording with its probe.

    Parameters
    ----------
    path : path-like
        A file or folder SpikeInterface reads (SpikeGLX / Open Ephys / Neuralynx / TDT folders; ``.nwb``
        ``ElectricalSeries``, Intan ``.rhd``/``.rhs``, Blackrock, Plexon, ...), a folder written by
        SpikeInterface's ``recording.save(folder=...)``, or a headerless binary file (``.bin``, ``.dat``,
        ``.raw``) of interleaved ``(time, channels)`` samples.
    sampling_rate_hz : float, optional
        Raw binary only: samples per second per channel (Hz).
    n_channels : int, optional
        Raw binary only: channels interleaved in the file.
    dtype : str, optional
        Raw binary only: sample type (``int16``, ``float32``...).
    probe : path-like, optional
        probeinterface ``.json`` or ``.prb`` file; required for raw binary and for recordings without
        geometry, and replaces the recording's own probe otherwise.
    format : str, optional
        The SpikeInterface extractor to use (a key of ``recording_extractor_full_dict``, e.g.
        ``"spikeglx"``); default: guessed from the suffix or folder contents.
    stream : str, optional
        The stream of a multi-stream file (e.g. ``"imec0.ap"``).

    Returns
    -------
    spikeinterface.BaseRecording
        With a probe attached.

    Raises
    ------
    MissingFileError, DataFileError, InputError
        Missing path or probe file, unreadable format, file size not a whole number of frames, probe
        whose contact count differs from the channel count, no probe geometry.
    """
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"no such recording: {path}")
    if format is None:
        if path.is_dir():
            format = _folder_format(path)
            if format is None:
                raise DataFileError(f"{path} is a folder SpikeInterface cannot identify; name its format with "
                                    "--format (e.g. spikeglx, openephysbinary, neuralynx)")
        elif path.suffix.lower() in RAW_SUFFIXES:
            format = "binary"
        else:
            format = _BY_SUFFIX.get(path.suffix.lower())
            if format is None:
                raise DataFileError(f"cannot tell the format of {path.name}; name it with --format (a "
                                    "SpikeInterface extractor, e.g. intan) or give raw binary with --dtype")
    if format == "binary":
        rec = _read_binary(path, sampling_rate_hz, n_channels, dtype)
        if probe is None:
            raise InputError(f"{path} is raw binary without geometry; give --probe FILE (probeinterface .json "
                             "or .prb) so the sorter knows where each channel sits")
    else:
        if any(v is not None for v in (sampling_rate_hz, n_channels, dtype)):
            raise InputError(f"{path} is a {format} recording that declares its own sampling rate, channels and "
                             "dtype; --sampling-rate/--n-channels/--dtype are for raw binary only")
        rec = _read_extractor(path, format, stream)
    if probe is not None:
        rec = _attach_probe(rec, read_probe(probe), probe)
    _check_probe(rec, path)
    return rec


def describe_raw(rec) -> dict:
    """JSON-ready description of a recording: channels, sampling rate (Hz), duration (s), dtype.

    Parameters
    ----------
    rec : spikeinterface.BaseRecording
        The recording.
    """
    return json.loads(json.dumps({
        "n_channels": int(rec.get_num_channels()), "sampling_rate_hz": float(rec.get_sampling_frequency()),
        "duration_s": float(rec.get_total_duration()), "dtype": str(rec.get_dtype()),
        "n_segments": int(rec.get_num_segments())}))
