"""Built-in datasets: one real recording shipped in the package and seeded synthetic generators.

Real data
---------
:func:`load_head_direction` — mouse anterodorsal thalamus (ADn, 7 head-direction
cells) and CA1 (8 units), Peyrache lab session A2929-200711, 1200 s with sleep
(0–600 s) and wake (600–1200 s) epochs and ~120 Hz head tracking. It ships with
pynapple (MIT licence); cite Viejo et al. (2023) "Pynapple, a toolbox for data
analysis in neuroscience", eLife 12:RP85786, and the Peyrache lab.

:func:`load_rat_trajectory` — a real rat's 2-D trajectory in a 1 m box (600 s at
50 Hz) from RatInABox (MIT); data from Sargolini et al. (2006) Science 312:758.

Synthetic generators (all seeded, all return their ground truth)
---------------------------------------------------------------
:func:`make_reaching`, :func:`make_lorenz_population`, :func:`make_hd_place_cells`,
:func:`make_head_direction_cells` (head-direction-only units on the real path: a confound test).
:func:`make_calcium_imaging` (two-photon ΔF/F of HD/place-cell ROIs with the true spikes).
:func:`make_decodable_population` (Poisson units and a behaviour of exactly known decoding R²).
:func:`make_large_session` (1,000 HD/place units over 2 hours, written straight to NWB).
:func:`make_neurite_phantom` (serial-section EM stack of branching neurites).
"""
from __future__ import annotations

from .builtin import DATASETS, dataset_path, export, load, load_head_direction, load_rat_trajectory
from .calcium import CalciumImaging, make_calcium_imaging
from .decodable import DecodablePopulation, make_decodable_population
from .large import LargeSession, make_large_session
from .neurites import NeuritePhantom, make_neurite_phantom
from .synthetic import (
                        HDPlaceCells,
                        LorenzPopulation,
                        ReachingData,
                        make_hd_place_cells,
                        make_head_direction_cells,
                        make_lorenz_population,
                        make_reaching,
)

__all__ = ["CalciumImaging", "make_calcium_imaging", "DecodablePopulation", "make_decodable_population", "DATASETS", "HDPlaceCells", "LorenzPopulation", "ReachingData",
           "dataset_path", "export", "load",
           "load_head_direction", "load_rat_trajectory", "make_hd_place_cells", "make_head_direction_cells",
           "make_lorenz_population", "make_neurite_phantom", "make_reaching", "NeuritePhantom", "LargeSession",
           "make_large_session"]
