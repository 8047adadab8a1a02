"""Neuron morphology from skeletons (SWC): per-neuron measures, Sholl analysis, plots.

Skeletons are :class:`neurodiscovery.data.swc.SwcTree` records (read with
:func:`read_swc`); the measures follow navis's conventions and are checked against navis
on the real neurons that ship with it.

Examples
--------
>>> from neurodiscovery.morphology import read_swc, measure_neuron, sholl_profile  # doctest: +SKIP
>>> tree = read_swc("neuron.swc", units="nm")                                    # doctest: +SKIP
>>> measure_neuron(tree).cable_length                                            # doctest: +SKIP
"""
from ..data.swc import SwcTree, make_swc, parse_swc, read_swc, swc_text, write_swc
from .collection import MorphologyResult, analyze_morphology, read_swc_collection
from .measures import (
                       NeuronMeasures,
                       Topology,
                       measure_neuron,
                       path_lengths_to_root,
                       segment_lengths,
                       strahler_order,
                       topology,
)
from .plotting import plot_sholl, plot_skeleton, plot_skeleton_projections
from .sholl import ShollProfile, sholl_profile

__all__ = ["MorphologyResult", "NeuronMeasures", "ShollProfile", "SwcTree", "Topology",
           "analyze_morphology", "make_swc", "measure_neuron", "parse_swc",
           "path_lengths_to_root", "plot_sholl", "plot_skeleton", "plot_skeleton_projections",
           "read_swc", "read_swc_collection", "segment_lengths", "sholl_profile",
           "strahler_order", "swc_text", "topology", "write_swc"]
