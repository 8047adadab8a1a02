"""The NWB ``Units`` table: spike times, resolution, electrodes, waveforms and extra columns.

:func:`add_units` is what every writer of sorted units uses (``datasets export``, spike
sorting, round trips): whole columns at once (one flat spike-time array, not one row at a
time), ``Units.resolution`` set (DANDI's inspector flags a table without it), optional links to an electrodes table (:func:`add_electrodes`) and mean/SD
waveforms.

Resolution, in order: the caller's value (the acquisition system's sampling period), the
input file's ``Units.resolution``, the finest common sampling grid the spike times sit on
(:func:`infer_spike_resolution_s`), or for simulated continuous-time spikes the float64
spacing at the last spike (the literal smallest difference two stored times can have).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .._utils.errors import InputError

#: sampling rates (Hz) of common extracellular acquisition systems, coarsest first
#: (Neuropixels/SpikeGLX and Open Ephys 30 kHz, Intan 20/25/30 kHz, Neuralynx 32 kHz, TDT 24414.0625 Hz)
ACQUISITION_RATES_HZ = (1000.0, 10000.0, 20000.0, 24414.0625, 25000.0, 30000.0, 32000.0, 40000.0)


def infer_spike_resolution_s(spike_times: Sequence[np.ndarray], min_spikes: int = 50,
                             tolerance_samples: float = 0.05) -> float | None:
    """Sampling period of the acquisition grid all spike times sit on, or None.

    Parameters
    ----------
    spike_times : sequence of ndarray
        Spike times (s) per unit.
    min_spikes : int
        Fewer spikes than this cannot show a grid (chance alignment): None.
    tolerance_samples : float
        Largest distance from the grid, in samples, still counted as on it (float32
        storage of times up to ~1 h puts samples within ~0.02 of a 20 kHz grid).

    Returns
    -------
    float or None
        ``1 / rate`` of the coarsest rate in :data:`ACQUISITION_RATES_HZ` whose grid holds
        every (sampled) spike, else None.
    """
    flat = np.concatenate([np.asarray(s, float).ravel() for s in spike_times]) if len(spike_times) else np.zeros(0)
    if flat.size < min_spikes:
        return None
    sample = flat[:: max(1, flat.size // 20000)]  # a grid shows in any 20,000 spikes
    for fs in ACQUISITION_RATES_HZ:
        r = sample * fs
        if np.abs(r - np.round(r)).max() <= tolerance_samples:
            return 1.0 / fs
    return None


def spike_resolution_s(spike_times: Sequence[np.ndarray], resolution_s: float | None = None,
                       simulated: bool = False) -> float | None:
    """The resolution to write: given, inferred from a sampling grid, or float spacing for simulations.

    Parameters
    ----------
    spike_times : sequence of ndarray
        Spike times (s) per unit.
    resolution_s : float, optional
        Known resolution (s); returned when given (must be positive).
    simulated : bool
        Continuous-time simulated spikes: without a grid, the float64 spacing at the last spike.

    Returns
    -------
    float or None
        None when nothing is known (the writer then warns).
    """
    if resolution_s is not None:
        if not (np.isfinite(resolution_s) and resolution_s > 0):
            raise InputError(f"spike-time resolution must be a positive number of seconds, got {resolution_s}")
        return float(resolution_s)
    grid = infer_spike_resolution_s(spike_times)
    if grid is not None or not simulated:
        return grid
    last = max((float(np.max(s)) for s in spike_times if len(s)), default=1.0)
    return float(np.spacing(max(abs(last), 1.0)))


def add_electrodes(nwb, positions_um, *, location: str | Sequence[str] = "unknown", group_name: str = "probe",
                   device_name: str = "probe", device_description: str = "extracellular probe",
                   channel_names: Sequence[str] | None = None) -> None:
    """Add one electrode group and its electrodes (rows in channel order) to an NWBFile.

    Parameters
    ----------
    nwb : pynwb.NWBFile
        File being built.
    positions_um : array_like, shape (channels, 2) or (channels, 3)
        Contact positions on the probe in µm (``rel_x``, ``rel_y`` [, ``rel_z``]).
    location : str or sequence of str
        Brain region of every channel (one string) or per channel.
    group_name, device_name, device_description : str
        Names of the electrode group and its device.
    channel_names : sequence of str, optional
        Channel name of each electrode in the raw recording (``channel_name`` column).
    """
    pos = np.asarray(positions_um, float)
    if pos.ndim != 2 or pos.shape[1] not in (2, 3):
        raise InputError(f"electrode positions must be (channels, 2|3) in µm, got shape {pos.shape}")
    locs = [location] * len(pos) if isinstance(location, str) else [str(x) for x in location]
    if len(locs) != len(pos):
        raise InputError(f"{len(locs)} electrode locations for {len(pos)} channels")
    dev = nwb.devices.get(device_name) or nwb.create_device(name=device_name, description=device_description)
    group = nwb.create_electrode_group(name=group_name, description=f"{len(pos)} channels", device=dev,
                                       location=locs[0])
    extra = {}
    if channel_names is not None:
        if len(channel_names) != len(pos):
            raise InputError(f"{len(channel_names)} channel names for {len(pos)} channels")
        nwb.add_electrode_column(name="channel_name", description="channel name in the raw recording")
        extra = {"channel_name": [str(c) for c in channel_names]}
    for i, p in enumerate(pos):  # rel_* are probe coordinates (µm); x/y/z would claim brain coordinates
        nwb.add_electrode(group=group, location=locs[i], rel_x=float(p[0]), rel_y=float(p[1]),
                          rel_z=float(p[2]) if pos.shape[1] == 3 else 0.0, **{k: v[i] for k, v in extra.items()})


def _column(v) -> np.ndarray:
    v = np.asarray(v)
    return np.array([str(x) for x in v]) if v.dtype.kind in "OU" else v


def _unit_ids(unit_ids, n: int) -> np.ndarray:
    ids = np.arange(n) if unit_ids is None else np.asarray(unit_ids)
    if len(ids) != n:
        raise InputError(f"{len(ids)} unit ids for {n} spike trains")
    return ids.astype(np.int64) if np.issubdtype(ids.dtype, np.integer) else np.arange(n)


def add_units(nwb, spike_times: Sequence[np.ndarray], *, resolution_s: float | None, unit_ids=None,
              regions: Sequence[str] | None = None, columns: Mapping[str, np.ndarray] | None = None,
              electrodes: Sequence[Sequence[int]] | None = None, waveform_mean=None, waveform_sd=None,
              waveform_rate_hz: float | None = None, description: str = "sorted units",
              electrode_groups: Sequence[str] | None = None) -> None:
    """Set ``nwb.units`` from whole columns (rows in the given order).

    Parameters
    ----------
    nwb : pynwb.NWBFile
        File being built (its electrodes table must exist when ``electrodes`` is given).
    spike_times : sequence of ndarray
        Spike times (s) per unit; each is written sorted.
    resolution_s : float or None
        Smallest possible difference between two spike times (s), 1 / sampling rate.
        None leaves it unset (the Inspector then flags the file; callers warn).
    unit_ids : array_like of int, shape (units,), optional
        Default ``0..units-1``; non-integer ids are replaced by positions (NWB ids are integers).
    regions : sequence of str, optional
        Brain region per unit (``location`` column).
    columns : dict of str -> ndarray (units,), optional
        Extra per-unit columns (quality metrics, labels).
    electrodes : sequence of sequence of int, optional
        Per unit, the rows of ``nwb.electrodes`` it was recorded on.
    waveform_mean, waveform_sd : ndarray, shape (units, samples, channels), optional
        Mean and SD waveform per unit in µV (``waveform_rate_hz`` is their sampling rate).
    waveform_rate_hz : float, optional
        Sampling rate of the waveforms (Hz).
    description : str
        Table description.
    electrode_groups : sequence of str, optional
        Per unit, the name of its electrode group in ``nwb.electrode_groups`` (``electrode_group`` column).
    """
    from hdmf.common import DynamicTableRegion, ElementIdentifiers, VectorData, VectorIndex
    from pynwb.misc import Units

    n = len(spike_times)
    ids = _unit_ids(unit_ids, n)
    order = np.arange(n)  # rows keep the recording's order, so a round trip gives the same recording
    trains = [np.sort(np.asarray(spike_times[i], float)) for i in order]
    spikes = VectorData(name="spike_times", description="the spike times for each unit in seconds",
                        data=np.concatenate(trains) if trains else np.zeros(0))
    cols = [spikes, VectorIndex(name="spike_times_index", target=spikes,
                                data=np.cumsum([len(st) for st in trains]).astype(np.int64))]
    if regions is not None:
        cols.append(VectorData(name="location", description="brain region of the unit",
                               data=_column(np.asarray(regions, dtype=object)[order])))
    for k, v in (columns or {}).items():
        v = np.asarray(v)
        if len(v) != n:
            raise InputError(f"unit column '{k}' has {len(v)} rows for {n} units")
        cols.append(VectorData(name=k, description=f"unit column {k}", data=_column(v[order])))
    if electrode_groups is not None:
        cols.append(VectorData(name="electrode_group", description="electrode group of each unit",
                               data=[nwb.electrode_groups[str(electrode_groups[i])] for i in order]))
    if electrodes is not None:
        if nwb.electrodes is None:
            raise InputError("units name electrodes but the file has no electrodes table (add_electrodes first)")
        rows = [list(map(int, electrodes[i])) for i in order]
        el = DynamicTableRegion(name="electrodes", description="electrodes of each unit",
                                data=[r for rr in rows for r in rr], table=nwb.electrodes)
        cols += [el, VectorIndex(name="electrodes_index", target=el,
                                 data=np.cumsum([len(r) for r in rows]).astype(np.int64))]
    kw = {}
    if waveform_mean is not None:
        kw["waveform_unit"] = "microvolts"
        if waveform_rate_hz is not None:
            kw["waveform_rate"] = float(waveform_rate_hz)
        cols.append(VectorData(name="waveform_mean", description="mean waveform (samples, channels), µV",
                               data=np.asarray(waveform_mean, float)[order]))
        if waveform_sd is not None:
            cols.append(VectorData(name="waveform_sd", description="waveform SD (samples, channels), µV",
                                   data=np.asarray(waveform_sd, float)[order]))
    if resolution_s is not None:
        kw["resolution"] = float(resolution_s)
    nwb.units = Units(name="units", description=description, columns=cols,
                      id=ElementIdentifiers(name="id", data=ids[order]), **kw)
