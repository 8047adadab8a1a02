"""Plots of skeletons (three orthogonal projections) and Sholl profiles."""
from __future__ import annotations

import numpy as np

from .._utils.errors import InputError
from ..data.swc import SwcTree
from .sholl import ShollProfile

_AXES = {"xy": (0, 1), "xz": (0, 2), "yz": (1, 2)}


def plot_skeleton(tree: SwcTree, projection: str = "xy", ax=None, color: str = "k",
                  linewidth: float = 0.6):
    """Draw a skeleton's edges projected onto one coordinate plane.

    Parameters
    ----------
    tree : SwcTree
        The skeleton.
    projection : {"xy", "xz", "yz"}
        Coordinate plane.
    ax : matplotlib Axes, optional
        Axes to draw on (default: a new figure).
    color : str
        Line colour.
    linewidth : float
        Line width in points.

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    if projection not in _AXES:
        raise InputError(f"projection must be one of {sorted(_AXES)}, got {projection!r}")
    a, b = _AXES[projection]
    ax = ax or plt.subplots(figsize=(4, 4))[1]
    par = tree.parent_index()
    child = np.flatnonzero(par >= 0)
    segs = np.stack([tree.xyz[child][:, [a, b]], tree.xyz[par[child]][:, [a, b]]], axis=1)
    ax.add_collection(LineCollection(segs, colors=color, linewidths=linewidth))
    roots = tree.xyz[par < 0]
    ax.plot(roots[:, a], roots[:, b], "o", color="tab:red", ms=4, label="root")
    ax.autoscale()
    ax.set_aspect("equal", adjustable="datalim")
    unit = "µm" if tree.units == "um" else tree.units
    ax.set_xlabel(f"{projection[0]} ({unit})")
    ax.set_ylabel(f"{projection[1]} ({unit})")
    return ax


def plot_skeleton_projections(tree: SwcTree, axes=None):
    """The three orthogonal projections (xy, xz, yz) side by side.

    Parameters
    ----------
    tree : SwcTree
    axes : sequence of 3 matplotlib Axes, optional

    Returns
    -------
    ndarray (3,) of matplotlib Axes
    """
    import matplotlib.pyplot as plt

    if axes is None:
        axes = plt.subplots(1, 3, figsize=(12, 4))[1]
    for ax, proj in zip(axes, ("xy", "xz", "yz")):
        plot_skeleton(tree, proj, ax=ax)
        ax.set_title(f"{tree.name or 'skeleton'}: {proj}")
    return np.asarray(axes)


def plot_sholl(profile: ShollProfile, ax=None, label: str | None = None, units: str = ""):
    """Sholl curve: intersections against sphere radius.

    Parameters
    ----------
    profile : ShollProfile
        Radii and intersection counts.
    ax : matplotlib Axes, optional
        Axes to draw on (default: a new figure).
    label : str, optional
        Legend label.
    units : str
        Length unit of the radii for the axis label (e.g. ``"um"``).

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(5, 3.5))[1]
    ax.plot(profile.radii, profile.intersections, "-o", ms=3, label=label)
    unit = "µm" if units == "um" else units
    ax.set_xlabel(f"radius ({unit})" if unit else "radius")
    ax.set_ylabel("intersections")
    if label:
        ax.legend(frameon=False, fontsize=8)
    return ax
