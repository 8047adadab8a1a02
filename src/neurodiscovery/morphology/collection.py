"""Many neurons at once: read a file or folder of SWC files and measure every neuron."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .._utils.errors import InputError, MissingFileError
from ..data.swc import SwcTree, convert_units, read_swc, split_forest
from .measures import NeuronMeasures, measure_neuron
from .sholl import ShollProfile, sholl_profile

#: What to do with a file holding several trees (roots): see :func:`analyze_morphology`.
MULTI_ROOT = ("measure", "split", "refuse")


def read_swc_collection(path: str | os.PathLike, *, units: str | None = None,
                        allow_forest: bool = False) -> list[SwcTree]:
    """Read one ``.swc`` file, or every ``*.swc`` in a folder (sorted by name).

    Parameters
    ----------
    path : path
        An ``.swc`` file or a folder of them.
    units : str, optional
        Unit of the coordinates of files whose header declares none (default µm); a file's
        header decides where it declares one.
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


def analyze_morphology(trees: Sequence[SwcTree] | str | os.PathLike, *, units: str | None = None,
                       sholl_radii: int | np.ndarray = 20, sholl_center: str = "root",
                       multi_root: str = "measure") -> MorphologyResult:
    """Per-neuron measures and Sholl profiles of skeletons (or of the SWC files at a path), in µm.

    Every tree is converted to micrometres first (from its file's declared unit, e.g. the
    ``# units: nm`` header ``em trace`` writes), so all lengths and radii are in µm.

    Parameters
    ----------
    trees : sequence of SwcTree, or path to an ``.swc`` file or a folder of them
    units : str, optional
        Unit of the coordinates of files whose header declares none (default µm).
    sholl_radii : int or array_like, shape (n_radii,)
        Number of radii, or the radii in µm; see :func:`~neurodiscovery.morphology.sholl_profile`.
    sholl_center : {"root", "centroid"}
    multi_root : {"measure", "split", "refuse"}
        A file with several roots (an EM object whose skeleton is in fragments): ``"measure"``
        it as one object (lengths and counts summed over its fragments, as navis does; the
        ``n_roots`` column says how many; Sholl centred on the root of the largest fragment),
        ``"split"`` it into one row per fragment (``<name>_<k>``), or ``"refuse"`` it.

    Returns
    -------
    MorphologyResult
    """
    if multi_root not in MULTI_ROOT:
        raise InputError(f"multi_root (--multi-root) must be one of {', '.join(MULTI_ROOT)}, got {multi_root!r}")
    if isinstance(trees, (str, os.PathLike)):
        trees = read_swc_collection(trees, units=units, allow_forest=True)
    trees = tuple(convert_units(t, "um") for t in trees)
    if not trees:
        raise InputError("no skeletons to analyse")
    forests = [t for t in trees if int((t.parent_ids < 0).sum()) > 1]
    if forests and multi_root == "refuse":
        t = forests[0]
        raise InputError(f"{t.name or 'a skeleton'} has {int((t.parent_ids < 0).sum())} roots "
                         f"({len(forests)} of {len(trees)} skeletons have several); measure each as one "
                         "object with --multi-root measure, or one row per fragment with --multi-root split")
    if multi_root == "split":
        trees = tuple(f for t in trees for f in split_forest(t))
    return MorphologyResult(trees, tuple(measure_neuron(t) for t in trees),
                            tuple(sholl_profile(t, sholl_radii, sholl_center) for t in trees))
