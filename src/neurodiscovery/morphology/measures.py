"""Per-neuron morphology measures of an SWC skeleton (tree topology + Euclidean geometry).

Conventions (those of navis, so numbers can be compared one to one):

* cable length: sum over non-root nodes of the distance to the parent;
* branch point: a node with two or more children (a root counts when it branches);
* tip: a non-root node without children (a root with one child is not a tip);
* segment: the cable between two consecutive key nodes (root, branch points, tips);
* Strahler order (standard): tips have order 1; a node takes the largest order of its
  children, plus one if two or more children share that largest order.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..data.swc import SwcTree


@dataclass(frozen=True)
class Topology:
    """Derived arrays of one tree (rows follow the tree's node table).

    Attributes
    ----------
    parent : ndarray (n_nodes,) int64
        Row of the parent, -1 for roots.
    n_children : ndarray (n_nodes,) int64
    edge_length : ndarray (n_nodes,) float64
        Distance to the parent (0 for roots), in the tree's units.
    order : ndarray (n_nodes,) int64
        Rows in breadth-first order from the roots: parents come before children.
    """

    parent: np.ndarray
    n_children: np.ndarray
    edge_length: np.ndarray
    order: np.ndarray


def topology(tree: SwcTree) -> Topology:
    """Parent rows, child counts, edge lengths and a parents-first order of ``tree``.

    Parameters
    ----------
    tree : SwcTree
        The skeleton.

    Returns
    -------
    Topology
    """
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import breadth_first_order

    n = tree.n_nodes
    par = tree.parent_index()
    has = par >= 0
    n_children = np.bincount(par[has], minlength=n).astype(np.int64)
    edge = np.zeros(n)
    edge[has] = np.linalg.norm(tree.xyz[has] - tree.xyz[par[has]], axis=1)
    src = np.where(has, par, n)
    g = coo_array((np.ones(n), (src, np.arange(n))), shape=(n + 1, n + 1)).tocsr()
    order = breadth_first_order(g, n, directed=True, return_predecessors=False)[1:]
    return Topology(par, n_children, edge, order.astype(np.int64))


def path_lengths_to_root(tree: SwcTree, topo: Topology | None = None) -> np.ndarray:
    """Cable distance from every node to its root, ``(n_nodes,)`` in the tree's units.

    Parameters
    ----------
    tree : SwcTree
        The skeleton.
    topo : Topology, optional
        Precomputed :func:`topology` of ``tree``.

    Returns
    -------
    ndarray, shape (n_nodes,)
    """
    t = topo or topology(tree)
    dist = np.zeros(tree.n_nodes)
    for i in t.order:  # parents first
        p = t.parent[i]
        if p >= 0:
            dist[i] = dist[p] + t.edge_length[i]
    return dist


def strahler_order(tree: SwcTree, topo: Topology | None = None) -> np.ndarray:
    """Standard Strahler order of every node, ``(n_nodes,)`` int64 (tips = 1).

    Parameters
    ----------
    tree : SwcTree
        The skeleton.
    topo : Topology, optional
        Precomputed :func:`topology` of ``tree``.

    Returns
    -------
    ndarray of int64, shape (n_nodes,)
    """
    t = topo or topology(tree)
    n = tree.n_nodes
    best = np.zeros(n, np.int64)   # largest order among a node's children
    n_best = np.zeros(n, np.int64)  # how many children reach it
    out = np.ones(n, np.int64)
    for i in t.order[::-1]:  # children first
        if t.n_children[i] > 0:
            out[i] = best[i] + (1 if n_best[i] >= 2 else 0)
        p = t.parent[i]
        if p >= 0:
            if out[i] > best[p]:
                best[p], n_best[p] = out[i], 1
            elif out[i] == best[p]:
                n_best[p] += 1
    return out


def segment_lengths(tree: SwcTree, topo: Topology | None = None) -> np.ndarray:
    """Lengths of the unbranched segments between key nodes, ``(n_segments,)``.

    Key nodes are roots, branch points and tips; the lengths sum to the cable length.

    Parameters
    ----------
    tree : SwcTree
        The skeleton.
    topo : Topology, optional
        Precomputed :func:`topology` of ``tree``.

    Returns
    -------
    ndarray, shape (n_segments,)
        In the tree's units.
    """
    t = topo or topology(tree)
    key = (t.parent < 0) | (t.n_children != 1)
    acc = np.zeros(tree.n_nodes)  # cable from the segment's upper key node to here
    out = []
    for i in t.order:
        p = t.parent[i]
        if p < 0:
            continue
        acc[i] = (0.0 if key[p] else acc[p]) + t.edge_length[i]
        if key[i]:
            out.append(acc[i])
    return np.asarray(out, dtype=np.float64)


#: NeuronMeasures fields that are lengths (in the tree's unit).
_LENGTH_FIELDS = ("cable_length", "mean_segment_length", "max_path_length_to_root",
                  "mean_tip_path_length", "radius_mean", "radius_median", "radius_min", "radius_max")


@dataclass(frozen=True)
class NeuronMeasures:
    """Summary measures of one skeleton; lengths in ``units``.

    ``radius_*`` are NaN when the file records no radius (all zero).

    Parameters
    ----------
    name, units : str
        Neuron name and the length unit of every measure below.
    n_nodes, n_roots, n_branch_points, n_tips, n_segments : int
        Counts of nodes, roots, branch points (>= 2 children), tips and unbranched segments.
    cable_length : float
        Total length of all edges, in ``units``.
    max_strahler_order : int
        Strahler order of the root(s) (a count, tips = 1).
    mean_segment_length : float
        Mean length of the unbranched segments, in ``units``.
    max_path_length_to_root, mean_tip_path_length : float
        Longest node-to-root cable distance and mean tip-to-root cable distance, in ``units``.
    radius_mean, radius_median, radius_min, radius_max : float
        Node radius statistics, in ``units``.
    """

    name: str
    units: str
    n_nodes: int
    n_roots: int
    cable_length: float
    n_branch_points: int
    n_tips: int
    max_strahler_order: int
    n_segments: int
    mean_segment_length: float
    max_path_length_to_root: float
    mean_tip_path_length: float
    radius_mean: float
    radius_median: float
    radius_min: float
    radius_max: float

    def as_row(self) -> dict:
        """The measures as one flat dict (a CSV row); length columns carry the unit in their name.

        Returns
        -------
        dict
            e.g. ``cable_length_um`` for a tree in µm.
        """
        row = asdict(self)
        suffix = "_" + "".join(ch if ch.isalnum() else "_" for ch in self.units).strip("_")
        return {(k + suffix if k in _LENGTH_FIELDS else k): v for k, v in row.items()}


def measure_neuron(tree: SwcTree) -> NeuronMeasures:
    """All per-neuron measures of one skeleton (see the module docstring for definitions).

    Parameters
    ----------
    tree : SwcTree

    Returns
    -------
    NeuronMeasures
    """
    t = topology(tree)
    is_root = t.parent < 0
    tips = (~is_root) & (t.n_children == 0)
    seg = segment_lengths(tree, t)
    pl = path_lengths_to_root(tree, t)
    r = tree.radius[tree.radius > 0]
    rstat = (np.mean(r), np.median(r), np.min(r), np.max(r)) if r.size else (np.nan,) * 4
    return NeuronMeasures(
        name=tree.name, units=tree.units, n_nodes=tree.n_nodes, n_roots=int(is_root.sum()),
        cable_length=float(t.edge_length.sum()), n_branch_points=int((t.n_children >= 2).sum()),
        n_tips=int(tips.sum()), max_strahler_order=int(strahler_order(tree, t).max()),
        n_segments=int(seg.size), mean_segment_length=float(seg.mean()) if seg.size else 0.0,
        max_path_length_to_root=float(pl.max()),
        mean_tip_path_length=float(pl[tips].mean()) if tips.any() else 0.0,
        radius_mean=float(rstat[0]), radius_median=float(rstat[1]), radius_min=float(rstat[2]),
        radius_max=float(rstat[3]))
