"""Electron-microscopy connectomics: segmentation, tracing, skeletons and contacts.

U-Net boundary/affinity prediction (:mod:`.model`, :mod:`.train`, :mod:`.inference`),
seeded watershed + mean-boundary agglomeration (:mod:`.instances`), VOI and adapted Rand
metrics (:mod:`.metrics`), blockwise zarr + dask processing (:mod:`.blockwise`), the
steps the CLI runs (:mod:`.workflows`), tracing through sections (:mod:`.tracing`; in 3-D
:mod:`.tracing_3d`; block by block on zarr :mod:`.tracing_blockwise`),
kimimaro skeletons as SWC (:mod:`.skeletons`) and the contact graph (:mod:`.contacts`).

Names load lazily: importing this package (e.g. for the metrics) does not import torch.

Examples
--------
>>> from neurodiscovery.connectomics.em import segment_volume, evaluate   # doctest: +SKIP
>>> labels, boundaries = segment_volume(raw)          # shipped ISBI-2012 model  # doctest: +SKIP
>>> evaluate(truth, labels).adapted_rand_error                              # doctest: +SKIP
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "blockwise": ("segment_blockwise",),
    "inference": ("affinities_to_boundary", "blending_window", "predict"),
    "instances": ("WatershedParams", "agglomerate", "label_interior", "plain_watershed",
                  "segment_boundaries", "threshold_components", "tune_watershed",
                  "watershed_agglomerate"),
    "metrics": ("SegmentationScores", "adapted_rand_error", "contingency_table", "evaluate",
                "variation_of_information"),
    "model": ("UNet", "UNetConfig", "default_checkpoint_path", "load_checkpoint", "save_checkpoint"),
    "segment": ("check_volume", "default_params", "load_model", "read_volume", "segment_volume"),
    "train": ("TrainConfig", "train_unet"),
    "workflows": ("SliceEvaluation", "TrainedSegmenter", "evaluate_slices", "predict_boundaries",
                  "train_and_tune"),
    "tracing": ("TracedObjects", "TracingParams", "decide_links", "link_sections", "section_links",
                "trace_boundaries"),
    "tracing_blockwise": ("BlockwiseTrace", "trace_blockwise"),
    "skeletons": ("check_voxel_size", "prune_spurs", "skeletonize", "smooth_skeleton",
                  "write_skeletons"),
    "contacts": ("ContactGraph", "ContactStatistics", "contact_graph", "contact_statistics",
                 "plot_contact_statistics"),
}
_WHERE = {name: mod for mod, names in _EXPORTS.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{mod}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
