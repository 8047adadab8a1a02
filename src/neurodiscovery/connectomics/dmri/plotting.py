"""Figures of a structural connectome: FA slice, matrix, graph layout, streamlines on a slice.

Each ``plot_*`` draws into ``ax`` (a new figure when None) and returns the Axes.
"""
from __future__ import annotations

import numpy as np

from .tractogram import as_streamlines


def _ax(ax, figsize=(5, 4.5)):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def _slice(volume: np.ndarray, axis: int, index: int | None) -> tuple[np.ndarray, int]:
    index = volume.shape[axis] // 2 if index is None else int(index)
    return np.take(volume, index, axis=axis), index


def plot_fa_slice(fa: np.ndarray, *, axis: int = 2, index: int | None = None, ax=None, title=None):
    """One slice of an FA map, shape (x, y, z), in grey with a colour bar (0..1).

    ``axis``: 0 sagittal, 1 coronal, 2 axial (voxel axes); ``index`` defaults to the middle.

    Parameters
    ----------
    fa : ndarray, shape (x, y, z)
        Fractional anisotropy (dimensionless, 0..1).
    axis : int
        Voxel axis cut: 0 sagittal, 1 coronal, 2 axial.
    index : int, optional
        Slice index along axis (default the middle).
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when omitted).
    title : str, optional
        Axes title.
    """
    ax = _ax(ax)
    sl, index = _slice(np.asarray(fa), axis, index)
    im = ax.imshow(sl.T, origin="lower", cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.figure.colorbar(im, ax=ax, label="FA", fraction=0.046)
    ax.set_title(title or f"FA, slice {index} along voxel axis {axis}")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def plot_connectivity_matrix(matrix: np.ndarray, names=None, *, log: bool = True, ax=None,
                             label: str = "streamlines", title: str | None = None):
    """Region-by-region matrix with region labels and a colour bar (log1p scale by default).

    Parameters
    ----------
    matrix : ndarray, shape (n, n)
    names : sequence of str, optional
        Tick labels; shown when n <= 40.
    log : bool
        Colour by log1p(weight) (streamline counts span decades).
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when omitted).
    label : str
        Colour-bar label (what the weights count, with unit).
    title : str, optional
        Axes title.
    """
    ax = _ax(ax, (6, 5.2))
    m = np.nan_to_num(np.asarray(matrix, float))
    shown = np.log1p(m) if log else m
    im = ax.imshow(shown, cmap="viridis", interpolation="nearest")
    cb = ax.figure.colorbar(im, ax=ax, fraction=0.046)
    cb.set_label(f"log(1 + {label})" if log else label)
    n = len(m)
    if names is not None and n <= 40:
        ax.set_xticks(range(n), names, rotation=90, fontsize=7)
        ax.set_yticks(range(n), names, fontsize=7)
    ax.set_title(title or f"connectivity ({n} regions)")
    return ax


def plot_connectome_graph(matrix: np.ndarray, names=None, *, communities=None, seed: int = 0, ax=None,
                          title: str | None = None):
    """Spring layout of the connectome: edge width ~ weight, node size ~ strength, colour = community.

    Parameters
    ----------
    matrix : ndarray, shape (n, n)
        Symmetric weight matrix.
    names : sequence of str, optional
        Region names (node labels).
    communities : array_like of int, shape (n,), optional
        Community of each node (node colour).
    seed : int
        Seed of the spring layout.
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when omitted).
    title : str, optional
        Axes title.
    """
    import networkx as nx

    ax = _ax(ax, (6, 5.5))
    w = np.nan_to_num(np.asarray(matrix, float))
    w = (w + w.T) / 2
    np.fill_diagonal(w, 0)
    g = nx.from_numpy_array(w)
    pos = nx.spring_layout(g, seed=seed, weight="weight")
    colour = np.zeros(len(w))
    for ci, c in enumerate(communities or ()):
        colour[list(c)] = ci
    top = w.max() if w.max() > 0 else 1.0
    widths = [0.5 + 4 * d["weight"] / top for _, _, d in g.edges(data=True)]
    strength = w.sum(axis=1)
    sizes = 60 + 400 * strength / (strength.max() if strength.max() > 0 else 1.0)
    nx.draw_networkx_edges(g, pos, ax=ax, width=widths, alpha=0.5, edge_color="0.4")
    nx.draw_networkx_nodes(g, pos, ax=ax, node_size=sizes, node_color=colour, cmap="tab10")
    if names is not None and len(w) <= 40:
        nx.draw_networkx_labels(g, pos, labels=dict(enumerate(names)), ax=ax, font_size=7)
    ax.set_title(title or "connectome graph (colour: Louvain community)")
    ax.set_axis_off()
    return ax


def plot_streamlines_slice(streamlines, affine: np.ndarray, background: np.ndarray, *, axis: int = 2,
                           index: int | None = None, max_streamlines: int = 2000, seed: int = 0,
                           ax=None, title: str | None = None):
    """Streamlines projected onto a slice of ``background`` (e.g. FA), coloured by end-to-end direction.

    Streamlines are mapped to voxel coordinates and projected along ``axis``; at most
    ``max_streamlines`` (a seeded random subset) are drawn. Both image axes are in mm from the
    grid's first voxel (voxel index x voxel size), so the ticks are the scale.

    Parameters
    ----------
    streamlines : sequence of ndarray (n_points, 3)
        World coordinates in mm.
    affine : ndarray (4, 4)
        Voxel-to-world affine of the grid of ``background``.
    background : ndarray (x, y, z)
        Image shown under the streamlines.
    axis : int
        Voxel axis projected out (0 sagittal, 1 coronal, 2 axial).
    index : int, optional
        Slice of ``background`` shown (default the middle).
    max_streamlines : int
        Most streamlines drawn.
    seed : int
        Seeds the subset drawn.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """
    from matplotlib.collections import LineCollection

    ax = _ax(ax)
    sl, index = _slice(np.asarray(background), axis, index)
    dims = [d for d in range(3) if d != axis]
    zoom = np.linalg.norm(np.asarray(affine, float)[:3, :3], axis=0)[dims]  # mm per voxel
    extent = (-0.5 * zoom[0], (sl.shape[0] - 0.5) * zoom[0], -0.5 * zoom[1], (sl.shape[1] - 0.5) * zoom[1])
    ax.imshow(sl.T, origin="lower", cmap="gray", vmin=0, vmax=max(float(sl.max()), 1e-9),
              interpolation="nearest", extent=extent)
    lines = as_streamlines(streamlines)
    keep = np.arange(len(lines))
    if len(keep) > max_streamlines:
        keep = np.sort(np.random.default_rng(seed).choice(len(keep), max_streamlines, replace=False))
    inv = np.linalg.inv(affine)
    paths, cols = [], []
    for i in keep:
        v = lines[int(i)] @ inv[:3, :3].T + inv[:3, 3]
        if len(v) < 2:
            continue
        paths.append(v[:, dims] * zoom)
        d = np.abs(v[-1] - v[0])  # one colour per streamline: its end-to-end direction
        cols.append(d / max(float(d.max()), 1e-12))
    if paths:
        lc = LineCollection(paths, colors=cols, linewidths=0.5, alpha=0.6)
        lc.set_rasterized(True)  # thousands of paths make huge, slow SVGs
        ax.add_collection(lc)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    names = "xyz"
    ax.set_xlabel(f"{names[dims[0]]} (voxel axis {dims[0]}), mm")
    ax.set_ylabel(f"{names[dims[1]]} (voxel axis {dims[1]}), mm")
    ax.set_title(title or f"{len(keep)} streamlines on slice {index} of voxel axis {axis}\n"
                 "(colour: x, y, z direction as RGB)", fontsize=9)
    return ax
