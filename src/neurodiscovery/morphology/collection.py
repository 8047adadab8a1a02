"""Many neurons at once: read a file or folder of SWC files and measure every neuron."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .._utils.errors import InputError, MissingFileError
from ..data.swc import SwcTree, read_swc
from .measures import NeuronMeasures, measure_neuron
from .sholl import ShollProfile, sholl_profile


def read_swc_collection(path: str | os.PathLike, *, units: str = "um",
                        allow_forest: bool = False) -> list[SwcTree]:
    """Read one ``.swc`` file, or every ``*.swc`` in a folder (sorted by name).

    Parameters
    ----------
    path : path
        An ``.swc`` file or a folder of them.
    units : str
        Unit of the coordinates in the files (e.g. ``"um"``).
    allow_forest : bool
        Accept skeletons with several roots.

    Returns
    -------
    list of SwcTree

    Raises
    ------
    MissingFileError
        ``path`` does not exist.
    InputError
        A folder without ``.swc`` files.
    DataFileError
        A file that is not a valid SWC tree (the message names the file).
    """
    p = Path(path)
    if not p.exists():
        raise MissingFileError(f"{p} does not exist")
    if p.is_dir():
        files = sorted(q for q in p.iterdir() if q.suffix.lower() == ".swc" and q.is_file())
        if not files:
            raise InputError(f"{p} holds no .swc files")
        return [read_swc(f, units=units, allow_forest=allow_forest) for f in files]
    return [read_swc(p, units=units, allow_forest=allow_forest)]


@dataclass(frozen=True)
class MorphologyResult:
    """Measures and Sholl profiles of several neurons (same order as ``trees``).

    Parameters
    ----------
    trees : tuple of SwcTree
        The skeletons.
    measures : tuple of NeuronMeasures
        One per tree.
    sholl : tuple of ShollProfile
        One per tree.
    """

    trees: tuple[SwcTree, ...]
    measures: tuple[NeuronMeasures, ...]
    sholl: tuple[ShollProfile, ...]

    def table(self) -> list[dict]:
        """One flat dict per neuron (the CSV rows)."""
        return [m.as_row() for m in self.measures]


def analyze_morphology(trees: Sequence[SwcTree] | str | os.PathLike, *, units: str = "um",
                       sholl_radii: int | np.ndarray = 20, sholl_center: str = "root",
                       allow_forest: bool = False) -> MorphologyResult:
    """Per-neuron measures and Sholl profiles of skeletons (or of the SWC files at a path).

    Parameters
    ----------
    trees : sequence of SwcTree, or path to an ``.swc`` file or a folder of them
    units : str
        Unit of coordinates when reading files.
    sholl_radii : int or array_like, shape (n_radii,)
        Number of radii, or the radii in ``units``; see :func:`~neurodiscovery.morphology.sholl_profile`.
    sholl_center : {"root", "centroid"}
    allow_forest : bool
        Accept skeletons with several roots.

    Returns
    -------
    MorphologyResult
    """
    if isinstance(trees, (str, os.PathLike)):
        trees = read_swc_collection(trees, units=units, allow_forest=allow_forest)
    trees = tuple(trees)
    if not trees:
        raise InputError("no skeletons to analyse")
    return MorphologyResult(trees, tuple(measure_neuron(t) for t in trees),
                            tuple(sholl_profile(t, sholl_radii, sholl_center) for t in trees))
