"""Contact graph of reconstructed objects: who touches whom, over how much membrane area.

Two objects are in contact where their voxels face each other across one voxel face
(dense segmentations), or across a membrane gap of at most ``gap_voxels`` voxels
(segmentations that leave membranes unlabelled: labels are first grown into the gap).
The contact area of a pair is the summed area of those voxel faces, in nm^2 (a face
normal to z has area ``vy * vx``, etc.).

This is a *contact* graph: touching membranes are not synapses, which cannot be
identified without labelled synapse data.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._utils.errors import InputError
from .skeletons import _check_labels, check_voxel_size


@dataclass(frozen=True)
class ContactGraph:
    """Weighted undirected graph of object contacts.

    Attributes
    ----------
    object_ids : ndarray (n_objects,) int64
        Every object id present in the volume (nodes, including isolated ones).
    edges : ndarray (n_edges, 2) int64
        Object id pairs ``(a, b)``, ``a < b``.
    area_nm2 : ndarray (n_edges,) float64
        Contact area of each pair, nm^2.
    voxel_size_nm : tuple of float (z, y, x)
    """

    object_ids: np.ndarray
    edges: np.ndarray
    area_nm2: np.ndarray
    voxel_size_nm: tuple

    @property
    def n_objects(self) -> int:
        """Number of nodes."""
        return int(len(self.object_ids))

    def to_networkx(self):
        """A ``networkx.Graph`` with ``weight`` = contact area (nm^2) on every edge."""
        from ..._utils.errors import require

        nx = require("networkx", "neurodiscovery[em]")

        g = nx.Graph()
        g.add_nodes_from(int(i) for i in self.object_ids)
        g.add_weighted_edges_from((int(a), int(b), float(w))
                                  for (a, b), w in zip(self.edges, self.area_nm2))
        return g


def contact_graph(labels, voxel_size_nm, gap_voxels: int = 0) -> ContactGraph:
    """Contact areas between all pairs of objects of a label volume.

    Parameters
    ----------
    labels : ndarray (z, y, x) int
        Object ids, 0 = background / membrane.
    voxel_size_nm : (z, y, x)
    gap_voxels : int
        Grow labels in-plane by this many voxels into unlabelled space first, so objects
        separated by a membrane this thin count as touching (0: dense labels).

    Returns
    -------
    ContactGraph
    """
    lab = _check_labels(labels).astype(np.int64)
    vs = check_voxel_size(voxel_size_nm)
    if int(gap_voxels) < 0:
        raise InputError(f"gap_voxels must be >= 0, got {gap_voxels}")
    ids = np.unique(lab)
    ids = ids[ids > 0]
    if gap_voxels:
        from skimage.segmentation import expand_labels

        lab = np.stack([expand_labels(sl, int(gap_voxels)) for sl in lab])
    us, vs_, ws = [], [], []
    for ax in range(3):
        face = float(np.prod([v for i, v in enumerate(vs) if i != ax]))
        a = lab[tuple(slice(None, -1) if i == ax else slice(None) for i in range(3))]
        b = lab[tuple(slice(1, None) if i == ax else slice(None) for i in range(3))]
        m = (a != b) & (a > 0) & (b > 0)
        us.append(np.minimum(a[m], b[m]))
        vs_.append(np.maximum(a[m], b[m]))
        ws.append(np.full(int(m.sum()), face))
    u, v, w = np.concatenate(us), np.concatenate(vs_), np.concatenate(ws)
    if u.size == 0:
        return ContactGraph(ids, np.zeros((0, 2), np.int64), np.zeros(0), vs)
    pairs, inv = np.unique(np.stack([u, v], 1), axis=0, return_inverse=True)
    area = np.bincount(inv.ravel(), weights=w, minlength=len(pairs))
    return ContactGraph(ids, pairs.astype(np.int64), area, vs)


@dataclass(frozen=True)
class ContactStatistics:
    """Graph statistics of a :class:`ContactGraph` (per node, in ``object_ids`` order).

    Attributes
    ----------
    degree : ndarray (n_objects,) int64
        Number of contact partners.
    strength_nm2 : ndarray (n_objects,) float64
        Summed contact area per object.
    clustering : ndarray (n_objects,) float64
        Unweighted local clustering coefficient (fraction of partner pairs in contact).
    weighted_clustering : ndarray (n_objects,) float64
        Onnela et al. (2005) weighted clustering (geometric mean of normalised areas).
    mean_clustering, density : float
        Average clustering over nodes; edges / possible edges.
    """

    degree: np.ndarray
    strength_nm2: np.ndarray
    clustering: np.ndarray
    weighted_clustering: np.ndarray
    mean_clustering: float
    density: float

    def summary(self) -> dict:
        """Scalar summaries (for metrics.json)."""
        return {"mean_degree": float(self.degree.mean()) if self.degree.size else 0.0,
                "max_degree": int(self.degree.max()) if self.degree.size else 0,
                "mean_clustering": self.mean_clustering, "density": self.density,
                "median_strength_nm2": float(np.median(self.strength_nm2)) if self.degree.size else 0.0}


def contact_statistics(graph: ContactGraph) -> ContactStatistics:
    """Degree, strength (summed area) and clustering of every object (networkx).

    Parameters
    ----------
    graph : ContactGraph
        Contacts between objects (see :func:`contact_graph`).

    Returns
    -------
    ContactStatistics
    """
    from ..._utils.errors import require

    nx = require("networkx", "neurodiscovery[em]")

    g = graph.to_networkx()
    nodes = [int(i) for i in graph.object_ids]
    deg = np.array([g.degree(n) for n in nodes], np.int64)
    strength = np.array([g.degree(n, weight="weight") for n in nodes], np.float64)
    cl = nx.clustering(g)
    wcl = nx.clustering(g, weight="weight")
    n = len(nodes)
    return ContactStatistics(deg, strength, np.array([cl[k] for k in nodes]),
                             np.array([wcl[k] for k in nodes]),
                             float(np.mean(list(cl.values()))) if n else 0.0,
                             float(nx.density(g)) if n > 1 else 0.0)


def plot_contact_statistics(graph: ContactGraph, stats: ContactStatistics | None = None, axes=None):
    """Degree, contact-area and clustering distributions side by side.

    Parameters
    ----------
    graph : ContactGraph
    stats : ContactStatistics, optional
    axes : sequence of 3 matplotlib Axes, optional

    Returns
    -------
    ndarray (3,) of matplotlib Axes
    """
    import matplotlib.pyplot as plt

    st = stats or contact_statistics(graph)
    if axes is None:
        axes = plt.subplots(1, 3, figsize=(12, 3.5))[1]
    a0, a1, a2 = axes
    if st.degree.size:
        a0.hist(st.degree, bins=np.arange(st.degree.max() + 2) - 0.5, color="0.4")
    a0.set(xlabel="contact partners (degree)", ylabel="objects")
    if graph.area_nm2.size:
        a1.hist(np.log10(graph.area_nm2), bins=30, color="0.4")
    a1.set(xlabel="log10 contact area (nm²)", ylabel="object pairs")
    a2.hist(st.clustering, bins=np.linspace(0, 1, 21), color="0.4")
    a2.set(xlabel="local clustering coefficient", ylabel="objects")
    return np.asarray(axes)
