"""Graph measures of a weighted undirected connectome that stay defined on disconnected graphs.

Conventions (those of the Brain Connectivity Toolbox, Rubinov & Sporns 2010):
weights are connection strengths; a path's length is the sum of ``1 / weight``
over its edges (binary measures: every edge has length 1). Pairs with no path
have infinite distance and efficiency 0; the characteristic path length averages
only the finite distances and says how many pairs were left out. The diagonal is
ignored everywhere.

Checked against networkx (``clustering``, ``global_efficiency``,
``local_efficiency``, ``rich_club_coefficient``, Dijkstra distances) in the tests.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..._utils.errors import InputError


@dataclass(frozen=True)
class GraphMetrics:
    """Graph measures of one connectome (arrays are per node, shape (n,)).

    Attributes
    ----------
    degree, strength : ndarray, shape (n,)
        Number and summed weight of a node's edges.
    clustering, clustering_binary : ndarray
        Onnela weighted clustering (weights / max weight, geometric mean of triangle
        weights), as ``networkx.clustering(weight=...)``; 0 for degree < 2.
    char_path_length, char_path_length_binary : float
        Mean shortest-path length over ordered pairs with a path (NaN if none).
    n_disconnected_pairs : int
        Ordered pairs (i != j) with no path; left out of the path length.
    n_components : int
        Connected components (isolated nodes count).
    global_efficiency, global_efficiency_binary : float
        Mean of ``1 / distance`` over all ordered pairs (0 for unconnected pairs).
    local_efficiency, local_efficiency_binary : ndarray, shape (n,)
        Global efficiency of the subgraph of each node's neighbours (Latora & Marchiori);
        0 for degree < 2.
    modularity : float
        Newman modularity of the Louvain partition (weighted; NaN with no edges).
    communities : tuple of tuple of int
    rich_club : dict
        Binary rich-club coefficient phi(k) for degree k (networkx's keys).
    rich_club_normalized : dict
        phi(k) / mean phi_null(k) over degree-preserving rewired nulls (NaN where the nulls are 0).
    clustering_null, char_path_length_null : float
        Mean binary clustering and path length of the nulls.
    small_world_sigma : float
        ``(C / C_null) / (L / L_null)`` with binary C (mean clustering) and L (char path length);
        NaN (undefined) on a disconnected graph, whose path length leaves pairs out, and without
        nulls. ``small_world_note`` says why.
    n_null : int
    seed : int
    small_world_note : str
        Why ``small_world_sigma`` is undefined ("" when it is defined).
    """

    degree: np.ndarray
    strength: np.ndarray
    clustering: np.ndarray
    clustering_binary: np.ndarray
    char_path_length: float
    char_path_length_binary: float
    n_disconnected_pairs: int
    n_components: int
    global_efficiency: float
    global_efficiency_binary: float
    local_efficiency: np.ndarray
    local_efficiency_binary: np.ndarray
    modularity: float
    communities: tuple
    rich_club: dict
    rich_club_normalized: dict
    clustering_null: float
    char_path_length_null: float
    small_world_sigma: float
    n_null: int
    seed: int
    small_world_note: str = ""

    def as_dict(self, names=None) -> dict:
        """JSON-ready dict; per-node arrays become ``{name: value}`` when ``names`` is given."""
        d = asdict(self)
        for k, v in d.items():
            if isinstance(v, np.ndarray):
                d[k] = dict(zip(names, v.tolist())) if names is not None else v.tolist()
        d["communities"] = [list(c) for c in self.communities]
        d["rich_club"] = {str(k): v for k, v in self.rich_club.items()}
        d["rich_club_normalized"] = {str(k): v for k, v in self.rich_club_normalized.items()}
        d["mean_clustering"] = float(np.mean(self.clustering))
        d["mean_local_efficiency"] = float(np.mean(self.local_efficiency))
        return d


def check_weights(w) -> np.ndarray:
    """A symmetric, finite, non-negative (n, n) weight matrix with zeroed diagonal (a copy)."""
    w = np.array(w, dtype=float)
    if w.ndim != 2 or w.shape[0] != w.shape[1] or w.shape[0] < 1:
        raise InputError(f"connectivity matrix must be square (n, n), got shape {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise InputError("connectivity matrix must be finite and non-negative")
    if not np.allclose(w, w.T, rtol=1e-10, atol=1e-12):
        raise InputError("connectivity matrix must be symmetric (undirected connectome)")
    np.fill_diagonal(w, 0.0)
    return w


def distances(w: np.ndarray, *, binary: bool = False) -> np.ndarray:
    """All-pairs shortest-path lengths (Dijkstra), edge length ``1 / w`` (or 1); inf without a path."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import shortest_path

    length = np.zeros_like(w)
    nz = w > 0
    length[nz] = 1.0 if binary else 1.0 / w[nz]
    return shortest_path(csr_matrix(length), method="D", directed=False)


def _path_stats(d: np.ndarray) -> tuple[float, float, int]:
    n = len(d)
    off = ~np.eye(n, dtype=bool)
    fin = np.isfinite(d) & off
    cpl = float(d[fin].mean()) if fin.any() else float("nan")
    inv = np.zeros_like(d)
    inv[fin] = 1.0 / d[fin]
    eff = float(inv[off].sum() / (n * (n - 1))) if n > 1 else 0.0
    return cpl, eff, int(off.sum() - fin.sum())


def clustering(w: np.ndarray) -> np.ndarray:
    """Onnela weighted clustering per node (networkx convention), shape (n,)."""
    w = check_weights(w)
    k = (w > 0).sum(axis=1)
    top = w.max()
    if top == 0:
        return np.zeros(len(w))
    c3 = np.cbrt(w / top)
    tri = np.einsum("ij,jk,ki->i", c3, c3, c3)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(k > 1, tri / (k * (k - 1.0)), 0.0)


def local_efficiency(w: np.ndarray, *, binary: bool = False) -> np.ndarray:
    """Global efficiency of each node's neighbour subgraph (the node itself removed), shape (n,)."""
    w = check_weights(w)
    out = np.zeros(len(w))
    for i in range(len(w)):
        nb = np.flatnonzero(w[i] > 0)
        if len(nb) > 1:
            out[i] = _path_stats(distances(w[np.ix_(nb, nb)], binary=binary))[1]
    return out


def rich_club(w: np.ndarray) -> dict[int, float]:
    """Binary rich-club coefficient phi(k) = 2 E_k / (N_k (N_k - 1)) over nodes of degree > k.

    Keys k = 0, 1, ... while more than one node has degree > k (networkx's keys).
    """
    a = check_weights(w) > 0
    deg = a.sum(axis=1)
    out: dict[int, float] = {}
    if not a.any():
        return out
    for k in range(int(deg.max()) + 1):
        rich = deg > k
        nk = int(rich.sum())
        if nk <= 1:
            break
        ek = a[np.ix_(rich, rich)].sum() / 2
        out[k] = float(2 * ek / (nk * (nk - 1)))
    return out


def rewired_null(w: np.ndarray, seed: int, *, swaps_per_edge: int = 10) -> np.ndarray | None:
    """Degree-preserving random binary graph (Maslov-Sneppen double edge swaps); None if impossible."""
    import networkx as nx

    a = check_weights(w) > 0
    g = nx.from_numpy_array(a.astype(int))
    m = g.number_of_edges()
    if m < 2 or len(g) < 4:
        return None
    try:
        nx.double_edge_swap(g, nswap=swaps_per_edge * m, max_tries=100 * swaps_per_edge * m, seed=seed)
    except nx.NetworkXAlgorithmError:  # too few distinct edges to swap (e.g. a star)
        return None
    return nx.to_numpy_array(g, nodelist=range(len(a)))


def _modularity(w: np.ndarray, seed: int) -> tuple[float, tuple]:
    import networkx as nx

    g = nx.from_numpy_array(w)
    if g.number_of_edges() == 0:
        return float("nan"), tuple((i,) for i in range(len(w)))
    comms = nx.community.louvain_communities(g, weight="weight", seed=seed)
    comms = tuple(sorted(tuple(sorted(c)) for c in comms))
    return float(nx.community.modularity(g, [set(c) for c in comms], weight="weight")), comms


def graph_metrics(w, *, n_null: int = 20, seed: int = 0) -> GraphMetrics:
    """Degree, strength, clustering, path length, efficiency, modularity, rich club, small-worldness.

    Parameters
    ----------
    w : array_like, shape (n, n)
        Symmetric non-negative connection weights (e.g. streamline counts); diagonal ignored.
    n_null : int
        Degree-preserving rewired nulls for the normalised rich club and small-worldness
        (0 skips them: those fields are NaN).
    seed : int
        Seeds Louvain and the nulls.

    Returns
    -------
    GraphMetrics
    """
    import networkx as nx

    w = check_weights(w)
    a = (w > 0).astype(float)
    cpl, eff, n_disc = _path_stats(distances(w))
    cpl_b, eff_b, _ = _path_stats(distances(w, binary=True))
    cl_b = clustering(a)
    q, comms = _modularity(w, seed)
    rc = rich_club(w)
    rng = np.random.default_rng(seed)
    nulls = [rewired_null(a, int(s)) for s in rng.integers(0, 2**31 - 1, size=int(n_null))]
    nulls = [x for x in nulls if x is not None]
    c_null = l_null = sigma = float("nan")
    rc_norm = {k: float("nan") for k in rc}
    if nulls:
        c_null = float(np.mean([clustering(x).mean() for x in nulls]))
        l_null = float(np.nanmean([_path_stats(distances(x, binary=True))[0] for x in nulls]))
        rc_nulls = [rich_club(x) for x in nulls]
        for k, phi in rc.items():
            ref = np.mean([r.get(k, 0.0) for r in rc_nulls])
            rc_norm[k] = float(phi / ref) if ref > 0 else float("nan")
        with np.errstate(invalid="ignore", divide="ignore"):
            sigma = float((cl_b.mean() / c_null) / (cpl_b / l_null)) if c_null > 0 else float("nan")
    n_comp = nx.number_connected_components(nx.from_numpy_array(a))
    note = "" if np.isfinite(sigma) else ("no rewired nulls" if not nulls else "the nulls have no triangles")
    if n_comp > 1:
        # L averages only connected pairs, so C/L ratios against nulls compare different graphs
        sigma, note = float("nan"), (f"undefined: the graph has {n_comp} connected components (small-worldness "
                                     "needs a connected graph)")
    return GraphMetrics(a.sum(axis=1).astype(int), w.sum(axis=1), clustering(w), cl_b, cpl, cpl_b, n_disc,
                        int(n_comp), eff, eff_b, local_efficiency(w), local_efficiency(w, binary=True),
                        q, comms, rc, rc_norm, c_null, l_null, sigma, len(nulls), int(seed), note)
