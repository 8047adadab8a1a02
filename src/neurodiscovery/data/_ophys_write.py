"""Writing calcium imaging to NWB: ROIs, their traces and the imaging plane, in suite2p's layout.

:func:`add_ophys` builds ``processing/ophys`` from a recording's traces (the imaging plane's
metadata carried over from the file it was read from); :func:`add_computed_series` adds the
series neurodiscovery computed to a file read from disk, beside the file's own, under names
saying what made them. The ``iscell`` curation is written as it was read, never re-derived.
"""
from __future__ import annotations

import json

import numpy as np

from .._utils.errors import DataFileError
from .io_ophys import _roi_series
from .traces import Traces

#: names of series neurodiscovery computed: they say what made them
_MADE_NAME = {"deconvolved": "DeconvolvedOASIS", "dff": "DfOverF"}
_CONTAINER_FOR = {"fluorescence": "Fluorescence", "neuropil": "Neuropil", "dff": "DfOverF",
                  "deconvolved": "Deconvolved", "spikes_inferred": "SpikesInferred"}


def add_ophys(nwb, rec) -> None:
    """Write ``rec.traces`` into ``processing/ophys`` of an in-memory NWBFile (suite2p layout)."""
    from pynwb.ophys import DfOverF, Fluorescence, ImageSegmentation, OpticalChannel

    trc = rec.traces
    pm = dict(trc.meta.get("imaging_plane_meta") or {})  # the input's plane, when read from a file
    nan = float("nan")
    device = nwb.create_device(name=pm.get("device") or "Microscope",
                               description=pm.get("device_description") or "microscope (not described by the input)",
                               manufacturer=pm.get("device_manufacturer"))
    plane = nwb.create_imaging_plane(
        name=pm.get("name") or "ImagingPlane", device=device, imaging_rate=float(trc.rate_hz),
        optical_channel=OpticalChannel(name=pm.get("channel") or "OpticalChannel",
                                       description=pm.get("channel_description") or "unknown",
                                       emission_lambda=_num(pm.get("emission_lambda"), nan)),
        description=pm.get("description") or "imaging plane", excitation_lambda=_num(pm.get("excitation_lambda"), nan),
        indicator=trc.indicator or pm.get("indicator") or "unknown",
        location=pm.get("location") or (str(rec.regions[0]) if rec.n_units else "unknown"))
    mod = nwb.create_processing_module("ophys", "calcium imaging: ROIs and their traces")
    img_seg = ImageSegmentation()
    seg = img_seg.create_plane_segmentation(name="PlaneSegmentation", description="ROIs", imaging_plane=plane)
    mod.add(img_seg)
    masks = trc.rois.pixel_masks
    for i in range(trc.n_rois):
        if masks is not None and len(masks[i]):
            pm = [(int(x), int(y), float(w)) for x, y, w in masks[i]]
        else:  # NWB needs a mask; weight 0 marks it as unknown for the reader
            c = np.nan_to_num(trc.rois.centroid_px[i])
            pm = [(int(c[0]), int(c[1]), 0.0)]
        seg.add_roi(pixel_mask=pm, id=int(trc.rois.roi_ids[i]) if np.issubdtype(
            trc.rois.roi_ids.dtype, np.integer) else i)
    if len(set(rec.regions.tolist())) > 1:
        seg.add_column("region", "brain region / group of the ROI", data=[str(r) for r in rec.regions])
    _add_iscell(seg, trc.rois)
    region = seg.create_roi_table_region(region=list(range(trc.n_rois)), description="all ROIs")
    dt = np.diff(trc.t_s)
    regular = np.allclose(dt, 1.0 / trc.rate_hz, rtol=1e-6, atol=1e-9)
    made = computed_kinds(trc)
    for kind, v in trc.series.items():
        name = _MADE_NAME.get(kind, _CONTAINER_FOR[kind]) if kind in made else _CONTAINER_FOR[kind]
        timing = dict(rate=float(trc.rate_hz), starting_time=float(trc.t_s[0])) if regular \
            else dict(timestamps=np.asarray(trc.t_s))
        desc = json.dumps({"kind": kind, "analysed": kind == trc.kind,
                           "preprocessing": trc.meta.get("preprocessing")}, default=str)
        container = (DfOverF if kind == "dff" else Fluorescence)(name=name)
        mod.add(container)  # parent first, so the ROI region links inside one file tree
        container.create_roi_response_series(name=name, data=np.asarray(v), rois=region, unit="a.u.",
                                             description=desc, **timing)


def _num(v, default: float) -> float:
    return default if v is None else float(v)


def _add_iscell(seg, rois) -> None:
    """suite2p's ``iscell`` as it was read: ``[label, probability]``, or the one column that is known.

    A label is never made up from the probability (that would rewrite the user's curation).
    """
    lab, prob = rois.iscell_label, rois.iscell
    if np.isfinite(lab).any() and np.isfinite(prob).any():
        seg.add_column("iscell", "two columns - iscell (curated label) & probcell (classifier probability)",
                       data=np.column_stack([lab, prob]))
    elif np.isfinite(lab).any():
        seg.add_column("iscell", "curated cell label (1 cell, 0 not a cell)", data=lab)
    elif np.isfinite(prob).any():
        seg.add_column("iscell", "classifier cell probability", data=prob)


def computed_kinds(trc: Traces) -> set[str]:
    """Kinds neurodiscovery computed (``preprocessing`` steps), as opposed to read from the file."""
    made = {"dff": "dff", "oasis": "deconvolved"}
    return {made[s["step"]] for s in (trc.meta.get("preprocessing") or []) if s.get("step") in made}


def add_computed_series(nwb, trc: Traces) -> None:
    """Add the series neurodiscovery computed to an NWB file read from disk (kept whole otherwise).

    They go beside the file's own series, in ``processing/ophys``, under names saying what made
    them (``DeconvolvedOASIS``, ``DfOverF`` or ``DfOverFNeurodiscovery``), linked to the ROIs
    the file's series use; nothing of the file is replaced.
    """
    from pynwb.ophys import DfOverF, Fluorescence

    from ._nwb_behavior import regular_timing

    first = next((s for _, s in _roi_series(nwb)), None)
    if first is None:
        raise DataFileError("the input holds no ROI response series to add computed traces to")
    mod = first.parent
    while type(mod).__name__ != "ProcessingModule":  # series -> Fluorescence/DfOverF -> module
        mod = mod.parent
    region = first.rois.table.create_roi_table_region(region=np.asarray(first.rois.data[:], int).tolist(),
                                                      description="the ROIs of the computed series")
    for kind in sorted(computed_kinds(trc)):
        name = _MADE_NAME.get(kind, _CONTAINER_FOR[kind])
        while name in mod.data_interfaces:
            name += "Neurodiscovery"
        container = (DfOverF if kind == "dff" else Fluorescence)(name=name)
        mod.add(container)
        desc = json.dumps({"kind": kind, "analysed": kind == trc.kind,
                           "preprocessing": trc.meta.get("preprocessing")}, default=str)
        container.create_roi_response_series(name=name, data=np.asarray(trc.series[kind]), rois=region,
                                             unit="a.u.", description=desc, **regular_timing(trc.t_s))
