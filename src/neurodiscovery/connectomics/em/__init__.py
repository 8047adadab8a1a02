"""Electron-microscopy connectomics: neuron segmentation of serial-section EM.

U-Net boundary/affinity prediction (:mod:`.model`, :mod:`.train`, :mod:`.inference`),
seeded watershed + mean-boundary agglomeration (:mod:`.instances`), VOI and adapted Rand
metrics (:mod:`.metrics`) and blockwise zarr + dask processing (:mod:`.blockwise`).

Examples
--------
>>> from neurodiscovery.connectomics.em import segment_volume, evaluate   # doctest: +SKIP
>>> labels, boundaries = segment_volume(raw)          # shipped ISBI-2012 model  # doctest: +SKIP
>>> evaluate(truth, labels).adapted_rand_error                              # doctest: +SKIP
"""
from .blockwise import segment_blockwise
from .inference import affinities_to_boundary, blending_window, predict
from .instances import (WatershedParams, agglomerate, label_interior, plain_watershed,
                        segment_boundaries, threshold_components, watershed_agglomerate)
from .metrics import (SegmentationScores, adapted_rand_error, contingency_table, evaluate,
                      variation_of_information)
from .model import UNet, UNetConfig, default_checkpoint_path, load_checkpoint, save_checkpoint
from .segment import check_volume, load_model, read_volume, segment_volume
from .train import TrainConfig, train_unet

__all__ = [
    "UNet", "UNetConfig", "save_checkpoint", "load_checkpoint", "default_checkpoint_path",
    "TrainConfig", "train_unet", "predict", "blending_window", "affinities_to_boundary",
    "WatershedParams", "watershed_agglomerate", "segment_boundaries", "agglomerate",
    "label_interior", "threshold_components", "plain_watershed",
    "variation_of_information", "adapted_rand_error", "contingency_table", "evaluate",
    "SegmentationScores", "segment_volume", "segment_blockwise", "load_model", "read_volume",
    "check_volume",
]
