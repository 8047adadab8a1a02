"""Diffusion MRI structural connectomes: DWI -> tractography -> parcellated connectome -> graph.

Built on dipy and nibabel (``pip install neurodiscovery[dmri]``); they are imported
only when a function needs them.

>>> from neurodiscovery.connectomics import dmri
>>> ph = dmri.make_phantom(snr=20)                                   # doctest: +SKIP
>>> tr = dmri.run_tractography(ph.dwi)                               # doctest: +SKIP
>>> con = dmri.build_connectome(tr.streamlines, ph.parcellation, fa=tr.tensor.fa)  # doctest: +SKIP
>>> dmri.score_connectome(con, ph).fraction_true                     # doctest: +SKIP
"""
from .connectivity import Connectome, assign_endpoints, build_connectome, values_along
from .graph import GraphMetrics, graph_metrics
from .io import (
    DWI,
    Parcellation,
    load_dwi,
    load_labels,
    make_dwi,
    make_parcellation,
    read_lookup_table,
)
from .phantom import Phantom, PhantomScore, make_phantom, save_phantom, score_connectome
from .reconstruction import TensorMaps, brain_mask, estimate_response, fit_fodf, fit_tensor
from .tracking import TrackingConfig, Tractography, place_seeds, run_tractography, track
from .tractogram import (
    Tractogram,
    box_parcellation,
    grid_parcellation,
    load_tractogram,
    save_trk,
)

__all__ = ["DWI", "Connectome", "GraphMetrics", "Parcellation", "Phantom", "PhantomScore", "TensorMaps",
           "TrackingConfig", "Tractogram", "Tractography", "assign_endpoints", "box_parcellation",
           "brain_mask", "build_connectome", "estimate_response", "fit_fodf", "fit_tensor", "graph_metrics",
           "grid_parcellation", "load_dwi", "load_labels", "load_tractogram", "make_dwi",
           "make_parcellation", "make_phantom", "place_seeds", "read_lookup_table", "run_tractography",
           "save_phantom", "save_trk", "score_connectome", "track", "values_along"]
