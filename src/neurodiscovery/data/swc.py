"""SWC skeletons: one validated tree record, read and written as plain text.

SWC (Cannon et al. 1998) stores a neuron as one line per node,
``id type x y z radius parent`` with ``parent = -1`` for the root. Both the EM side
(skeletons of traced objects) and :mod:`neurodiscovery.morphology` use this record, so it
lives here in ``data``.

Validation refuses what makes the measures meaningless: duplicate node ids, a parent id
that names no node, a cycle, negative or non-finite radii and coordinates, and -- unless
``allow_forest=True`` -- more than one root.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .._utils.errors import DataFileError, InputError, MissingFileError
from .swc_units import header_units, um_per_unit

#: Standard SWC structure types (Cannon et al. 1998).
SWC_TYPES = {0: "undefined", 1: "soma", 2: "axon", 3: "basal dendrite", 4: "apical dendrite"}


@dataclass(frozen=True)
class SwcTree:
    """A skeleton as an SWC node table (one row per node).

    Attributes
    ----------
    node_ids : ndarray (n_nodes,) int64
        Unique node ids.
    parent_ids : ndarray (n_nodes,) int64
        Parent node id of each node; -1 for a root.
    xyz : ndarray (n_nodes, 3) float64
        Node coordinates (x, y, z) in ``units``.
    radius : ndarray (n_nodes,) float64
        Node radius in ``units`` (0 where unknown).
    types : ndarray (n_nodes,) int64
        SWC structure type of each node (see :data:`SWC_TYPES`).
    units : str
        Unit of coordinates and radii (e.g. ``"nm"``, ``"um"``).
    name : str
        Neuron name (file stem when read from disk).
    """

    node_ids: np.ndarray
    parent_ids: np.ndarray
    xyz: np.ndarray
    radius: np.ndarray
    types: np.ndarray
    units: str = "um"
    name: str = ""

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(len(self.node_ids))

    def parent_index(self) -> np.ndarray:
        """Row index of each node's parent, -1 for roots; ``(n_nodes,)`` int64."""
        order = np.argsort(self.node_ids)
        pos = np.searchsorted(self.node_ids[order], self.parent_ids)
        pos = np.clip(pos, 0, len(order) - 1)
        out = order[pos]
        out[self.parent_ids < 0] = -1
        return out.astype(np.int64)


def make_swc(node_ids, parent_ids, xyz, radius=None, types=None, *, units: str = "um",
             name: str = "", allow_forest: bool = False) -> SwcTree:
    """Build and validate an :class:`SwcTree`.

    Parameters
    ----------
    node_ids, parent_ids : array_like (n_nodes,) int
        Parent ``-1`` (any negative value) marks a root.
    xyz : array_like (n_nodes, 3) float
        Coordinates in ``units``.
    radius : array_like (n_nodes,) float, optional
        Radii in ``units`` (default 0: unknown).
    types : array_like (n_nodes,) int, optional
        SWC structure types (default 0: undefined).
    units, name : str
        Unit of coordinates and radii, and the neuron name.
    allow_forest : bool
        Accept several roots (disconnected fragments); by default one root is required.

    Returns
    -------
    SwcTree

    Raises
    ------
    InputError
        Duplicate ids, a parent that is not a node, no root or several roots, a cycle,
        negative or non-finite radii or coordinates.
    """
    ids = np.asarray(node_ids).astype(np.int64).ravel()
    par = np.asarray(parent_ids).astype(np.int64).ravel()
    pts = np.asarray(xyz, dtype=np.float64)
    n = len(ids)
    rad = np.zeros(n) if radius is None else np.asarray(radius, dtype=np.float64).ravel()
    typ = np.zeros(n, np.int64) if types is None else np.asarray(types).astype(np.int64).ravel()
    label = f"skeleton {name!r}" if name else "skeleton"
    if n == 0:
        raise InputError(f"{label} has no nodes")
    if pts.shape != (n, 3) or len(par) != n or len(rad) != n or len(typ) != n:
        raise InputError(f"{label}: node_ids ({n}), parent_ids ({len(par)}), xyz {pts.shape}, "
                         f"radius ({len(rad)}) and types ({len(typ)}) must describe the same nodes")
    if not np.isfinite(pts).all():
        raise InputError(f"{label}: {int((~np.isfinite(pts)).any(1).sum())} nodes have NaN/inf "
                         "coordinates")
    bad_r = ~np.isfinite(rad) | (rad < 0)
    if bad_r.any():
        raise InputError(f"{label}: {int(bad_r.sum())} nodes have a negative or non-finite radius "
                         f"(first: node {ids[bad_r][0]}, radius {rad[bad_r][0]}); radii must be >= 0")
    uniq, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        raise InputError(f"{label}: node id {uniq[counts > 1][0]} appears {counts.max()} times; "
                         "node ids must be unique")
    par = np.where(par < 0, -1, par)
    missing = (par >= 0) & ~np.isin(par, ids)
    if missing.any():
        raise InputError(f"{label}: node {ids[missing][0]} names parent {par[missing][0]}, which is "
                         f"not a node ({int(missing.sum())} such nodes)")
    n_roots = int((par < 0).sum())
    if n_roots == 0:
        raise InputError(f"{label} has no root (no node with parent -1): the parent links form a cycle")
    if n_roots > 1 and not allow_forest:
        raise InputError(f"{label} has {n_roots} roots (nodes {ids[par < 0][:3].tolist()}...); a neuron "
                         "needs exactly one (pass allow_forest=True to accept fragments)")
    tree = SwcTree(ids, par, pts, rad, typ, units=str(units), name=str(name))
    _check_acyclic(tree, label)
    return tree


def _check_acyclic(tree: SwcTree, label: str) -> None:
    """Every node must be reached from a root along child links (else it sits on a cycle)."""
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import breadth_first_order

    n = tree.n_nodes
    pidx = tree.parent_index()
    # a virtual node n is the parent of every root, so one search covers a forest
    src = np.where(pidx < 0, n, pidx)
    g = coo_array((np.ones(n), (src, np.arange(n))), shape=(n + 1, n + 1)).tocsr()
    order = breadth_first_order(g, n, directed=True, return_predecessors=False)
    if len(order) < n + 1:
        reached = np.zeros(n + 1, bool)
        reached[order] = True
        bad = tree.node_ids[~reached[:n]]
        raise InputError(f"{label}: the parent links of {len(bad)} nodes form a cycle (e.g. node "
                         f"{bad[0]}); an SWC must be a tree")


def convert_units(tree: SwcTree, units: str = "um") -> SwcTree:
    """The same tree with coordinates and radii in ``units``.

    Parameters
    ----------
    tree : SwcTree
        A skeleton in its own unit (``tree.units``).
    units : str
        Target length unit.

    Returns
    -------
    SwcTree
    """
    f = um_per_unit(tree.units) / um_per_unit(units)
    return replace(tree, xyz=tree.xyz * f, radius=tree.radius * f, units=units)


def parse_swc(text: str, *, units: str | None = None, name: str = "", allow_forest: bool = False,
              source: str = "SWC text") -> SwcTree:
    """Parse SWC text (``#`` comments; 7 whitespace-separated columns per node).

    Parameters
    ----------
    text : str
    units : str, optional
        Unit of the coordinates for text whose header declares none (default µm, SWC's
        customary unit). Where the header declares a unit, the header decides and a different
        ``units`` is an error.
    name : str
    allow_forest : bool
        See :func:`make_swc`.
    source : str
        Named in error messages (the file path when reading a file).

    Returns
    -------
    SwcTree
        Coordinates as written, in ``tree.units``.
    """
    declared = header_units(text)
    if declared is not None:
        try:
            um_per_unit(declared)
        except InputError as exc:
            raise DataFileError(f"{source}: its header declares {exc}") from None
        if units is not None and um_per_unit(units) != um_per_unit(declared):
            raise DataFileError(f"{source} declares units {declared!r} in its header but units "
                                f"{units!r} (--units) were given; the header decides: drop --units")
    else:
        um_per_unit(units or "um")
    units = declared if declared is not None else (units or "um")
    rows = []
    for lineno, line in enumerate(text.splitlines(), 1):
        s = line.split("#", 1)[0].strip()
        if not s:
            continue
        parts = s.split()
        if len(parts) < 7:
            raise DataFileError(f"{source} line {lineno}: expected 7 columns "
                                f"(id type x y z radius parent), got {len(parts)}")
        try:
            rows.append([float(v) for v in parts[:7]])
        except ValueError:
            raise DataFileError(f"{source} line {lineno}: non-numeric value in {s!r}") from None
    if not rows:
        raise DataFileError(f"{source} holds no nodes")
    a = np.asarray(rows)
    for col, what in ((0, "node id"), (1, "type"), (6, "parent id")):
        if not np.all(a[:, col] == np.round(a[:, col])):
            raise DataFileError(f"{source}: the {what} column must hold integers")
    try:
        return make_swc(a[:, 0], a[:, 6], a[:, 2:5], a[:, 5], a[:, 1], units=units, name=name,
                        allow_forest=allow_forest)
    except InputError as exc:
        raise DataFileError(f"{source}: {exc}") from None


def read_swc(path: str | os.PathLike, *, units: str | None = None, allow_forest: bool = False) -> SwcTree:
    """Read and validate one ``.swc`` file (name = file stem).

    Parameters
    ----------
    path : path-like
    units : str, optional
        Unit of the coordinates of a file whose header declares none (default µm); a header's
        unit (``# units: nm``, navis's ``# Meta: {"units": ...}``) decides otherwise.
    allow_forest : bool
        Accept several roots.

    Raises
    ------
    MissingFileError, DataFileError
    """
    p = Path(path)
    if not p.is_file():
        raise MissingFileError(f"{p} does not exist")
    try:
        text = p.read_text(encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise DataFileError(f"{p} is not a text SWC file") from None
    return parse_swc(text, units=units, name=p.stem, allow_forest=allow_forest, source=str(p))


def split_forest(tree: SwcTree) -> list[SwcTree]:
    """One tree per root of a forest (names ``<name>_<k>``, k = 1.. in root order).

    Parameters
    ----------
    tree : SwcTree
        A skeleton with one or more roots.

    Returns
    -------
    list of SwcTree
        The tree itself when it has one root.
    """
    par = tree.parent_index()
    roots = np.flatnonzero(par < 0)
    if len(roots) == 1:
        return [tree]
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

    has = par >= 0
    n = tree.n_nodes
    g = coo_array((np.ones(int(has.sum())), (np.flatnonzero(has), par[has])), shape=(n, n))
    _, comp = connected_components(g, directed=False)
    out = []
    for k, r in enumerate(roots, 1):
        m = comp == comp[r]
        out.append(SwcTree(tree.node_ids[m], tree.parent_ids[m], tree.xyz[m], tree.radius[m],
                           tree.types[m], tree.units, f"{tree.name}_{k}"))
    return out


def swc_text(tree: SwcTree, header: str = "") -> str:
    """SWC text of a tree (``header`` lines are written as ``#`` comments).

    Parameters
    ----------
    tree : SwcTree
        The skeleton.
    header : str
        Comment lines.

    Returns
    -------
    str
    """
    lines = [f"# {h}" for h in header.splitlines()]
    lines.append(f"# units: {tree.units}")
    lines.append("# id type x y z radius parent")
    for i, t, (x, y, z), r, p in zip(tree.node_ids, tree.types, tree.xyz, tree.radius,
                                     tree.parent_ids):
        lines.append(f"{i} {t} {x:.6g} {y:.6g} {z:.6g} {r:.6g} {p}")
    return "\n".join(lines) + "\n"


def write_swc(path: str | os.PathLike, tree: SwcTree, header: str = "") -> Path:
    """Write one tree as an ``.swc`` file (parents created; an existing file is an error).

    Parameters
    ----------
    path : path
        File to create.
    tree : SwcTree
        The skeleton.
    header : str
        Comment lines.

    Returns
    -------
    Path
    """
    p = Path(path)
    if p.exists():
        raise InputError(f"{p} already exists; neurodiscovery never overwrites")
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(swc_text(tree, header), encoding="utf-8")
    return p
