"""Sholl analysis: how many times the arbor crosses spheres of growing radius."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError
from ..data.swc import SwcTree
from .measures import topology


@dataclass(frozen=True)
class ShollProfile:
    """Sphere crossings of a skeleton.

    Attributes
    ----------
    radii : ndarray (n_radii,) float64
        Sphere radii, in the tree's units.
    intersections : ndarray (n_radii,) int64
        Edges (node-parent segments) with one end inside the sphere (distance <= r) and
        the other outside: the classical Sholl count.
    inward : ndarray (n_radii,) int64
        The part of ``intersections`` whose *child* node is inside and parent outside
        (navis 1.12's ``sholl_analysis`` reports only this part).
    center : ndarray (3,) float64
        Sphere centre (x, y, z).
    """

    radii: np.ndarray
    intersections: np.ndarray
    inward: np.ndarray
    center: np.ndarray

    @property
    def outward(self) -> np.ndarray:
        """Crossings whose parent node is inside and child outside, ``(n_radii,)``."""
        return self.intersections - self.inward


def _main_root(t) -> int:
    """Row of the root whose fragment holds the most nodes (the first root on ties)."""
    root_of = np.arange(len(t.parent))
    for i in t.order:  # parents first
        if t.parent[i] >= 0:
            root_of[i] = root_of[t.parent[i]]
    return int(np.argmax(np.bincount(root_of, minlength=len(t.parent))))


def sholl_profile(tree: SwcTree, radii: int | np.ndarray = 20,
                  center: str | int | np.ndarray = "root") -> ShollProfile:
    """Sholl profile of a skeleton.

    Parameters
    ----------
    tree : SwcTree
    radii : int or array_like (n_radii,)
        An int ``k`` gives ``k`` evenly spaced radii up to the largest node distance
        from the centre (``linspace(0, max, k + 1)[1:]``); or explicit radii (> 0, in the
        tree's units).
    center : {"root", "centroid"}, int or array_like (3,)
        ``"root"`` (the root; in a skeleton of several fragments, the root of the fragment
        with the most nodes), ``"centroid"`` (mean node position), a node id, or an (x, y, z)
        point.

    Returns
    -------
    ShollProfile
    """
    t = topology(tree)
    if isinstance(center, str):
        if center == "root":
            c = tree.xyz[_main_root(t)]
        elif center == "centroid":
            c = tree.xyz.mean(axis=0)
        else:
            raise InputError(f"center must be 'root', 'centroid', a node id or (x, y, z), got {center!r}")
    elif np.ndim(center) == 0:
        hit = np.flatnonzero(tree.node_ids == int(center))
        if hit.size == 0:
            raise InputError(f"center node {center} is not a node of {tree.name or 'the skeleton'}")
        c = tree.xyz[hit[0]]
    else:
        c = np.asarray(center, dtype=np.float64)
        if c.shape != (3,) or not np.isfinite(c).all():
            raise InputError(f"center must be 3 finite coordinates (x, y, z), got {center!r}")
    d = np.linalg.norm(tree.xyz - c, axis=1)
    child = np.flatnonzero(t.parent >= 0)
    dc, dp = d[child], d[t.parent[child]]
    if np.ndim(radii) == 0:
        k = int(radii)
        if k < 1:
            raise InputError(f"radii must be a positive count or an array of radii, got {radii!r}")
        top = dc.max() if dc.size else 0.0
        r = np.linspace(0.0, top, k + 1)[1:]
    else:
        r = np.asarray(radii, dtype=np.float64).ravel()
        if r.size == 0 or not np.isfinite(r).all() or (r <= 0).any():
            raise InputError("radii must be finite and > 0")
    inside_c = dc[None, :] <= r[:, None]
    inside_p = dp[None, :] <= r[:, None]
    inward = (inside_c & ~inside_p).sum(axis=1)
    outward = (inside_p & ~inside_c).sum(axis=1)
    return ShollProfile(r, (inward + outward).astype(np.int64), inward.astype(np.int64), c.astype(float))
