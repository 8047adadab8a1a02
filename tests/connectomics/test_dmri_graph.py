"""Graph measures against networkx on connected graphs; finite, documented values when disconnected."""
import numpy as np
import pytest

nx = pytest.importorskip("networkx")

from neurodiscovery._utils.errors import InputError
from neurodiscovery.connectomics.dmri import graph as G


def _random_connected(seed, n=25, p=0.3):
    rng = np.random.default_rng(seed)
    while True:
        w = np.triu(rng.uniform(0.1, 5.0, (n, n)) * (rng.random((n, n)) < p), 1)
        w = w + w.T
        if nx.is_connected(nx.from_numpy_array(w)):
            return w


def _nx_distances(w, binary=False):
    g = nx.from_numpy_array(w)
    for _, _, d in g.edges(data=True):
        d["dist"] = 1.0 if binary else 1.0 / d["weight"]
    sp = dict(nx.all_pairs_dijkstra_path_length(g, weight="dist"))
    n = len(w)
    return np.array([[sp[i].get(j, np.inf) for j in range(n)] for i in range(n)])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_networkx_on_connected_graphs(seed):
    w = _random_connected(seed)
    g = nx.from_numpy_array(w)
    gb = nx.from_numpy_array((w > 0).astype(int))
    n = len(w)
    m = G.graph_metrics(w, n_null=3, seed=seed)
    cl = nx.clustering(g, weight="weight")
    np.testing.assert_allclose(m.clustering, [cl[i] for i in range(n)], atol=1e-9)
    clb = nx.clustering(gb)
    np.testing.assert_allclose(m.clustering_binary, [clb[i] for i in range(n)], atol=1e-9)
    np.testing.assert_array_equal(m.degree, [d for _, d in sorted(gb.degree())])
    np.testing.assert_allclose(m.strength, [d for _, d in sorted(g.degree(weight="weight"))], atol=1e-9)
    d = _nx_distances(w)
    off = ~np.eye(n, dtype=bool)
    assert m.char_path_length == pytest.approx(d[off].mean(), abs=1e-9)
    for _, _, e in g.edges(data=True):
        e["dist"] = 1.0 / e["weight"]
    assert m.char_path_length == pytest.approx(nx.average_shortest_path_length(g, weight="dist"), abs=1e-9)
    assert m.char_path_length_binary == pytest.approx(nx.average_shortest_path_length(gb), abs=1e-9)
    assert m.global_efficiency == pytest.approx((1 / d[off]).mean(), abs=1e-9)
    assert m.global_efficiency_binary == pytest.approx(nx.global_efficiency(gb), abs=1e-9)
    assert m.local_efficiency_binary.mean() == pytest.approx(nx.local_efficiency(gb), abs=1e-9)
    rc = nx.rich_club_coefficient(gb, normalized=False)
    assert rc.keys() == m.rich_club.keys()
    np.testing.assert_allclose([m.rich_club[k] for k in rc], list(rc.values()), atol=1e-9)
    q = nx.community.modularity(g, [set(c) for c in m.communities], weight="weight")
    assert m.modularity == pytest.approx(q, abs=1e-9)
    assert m.n_disconnected_pairs == 0 and m.n_components == 1


def test_weighted_local_efficiency_matches_networkx_subgraphs():
    w = _random_connected(5, n=15, p=0.5)
    ours = G.local_efficiency(w)
    g = nx.from_numpy_array(w)
    for i in range(len(w)):
        nb = sorted(g.neighbors(i))
        if len(nb) < 2:
            assert ours[i] == 0
            continue
        sub = w[np.ix_(nb, nb)]
        d = _nx_distances(sub)
        off = ~np.eye(len(nb), dtype=bool)
        inv = np.where(np.isfinite(d[off]), 1 / d[off], 0.0)
        assert ours[i] == pytest.approx(inv.mean(), abs=1e-9)


def test_disconnected_graph_is_finite_and_documented():
    # two triangles (weights 1 and 2) and an isolated node
    w = np.zeros((7, 7))
    for a, b in [(0, 1), (1, 2), (0, 2)]:
        w[a, b] = w[b, a] = 1.0
    for a, b in [(3, 4), (4, 5), (3, 5)]:
        w[a, b] = w[b, a] = 2.0
    m = G.graph_metrics(w, n_null=5)
    # finite pairs only: 6 ordered pairs at distance 1 and 6 at distance 0.5
    assert m.char_path_length == pytest.approx(0.75)
    assert m.char_path_length_binary == pytest.approx(1.0)
    assert m.n_disconnected_pairs == 42 - 12 and m.n_components == 3
    # efficiency averages over all 42 ordered pairs, unconnected ones count 0
    assert m.global_efficiency == pytest.approx((6 * 1 + 6 * 2) / 42)
    assert m.global_efficiency_binary == pytest.approx(nx.global_efficiency(nx.from_numpy_array(w > 0)))
    np.testing.assert_allclose(m.clustering_binary, [1, 1, 1, 1, 1, 1, 0])
    np.testing.assert_allclose(m.local_efficiency_binary, [1, 1, 1, 1, 1, 1, 0])
    assert np.isfinite(m.modularity) and len(m.communities) == 3
    for k, v in m.as_dict().items():
        if isinstance(v, float):
            assert np.isfinite(v) or k in ("small_world_sigma", "clustering_null", "char_path_length_null"), k


def test_empty_graph_and_bad_input():
    m = G.graph_metrics(np.zeros((4, 4)), n_null=2)
    assert np.isnan(m.char_path_length) and m.global_efficiency == 0 and np.isnan(m.modularity)
    assert m.rich_club == {} and m.n_null == 0
    with pytest.raises(InputError, match="symmetric"):
        G.graph_metrics(np.triu(np.ones((3, 3)), 1))
    with pytest.raises(InputError, match="non-negative"):
        G.graph_metrics(-np.ones((3, 3)))


def test_nulls_preserve_degree_and_small_world_of_a_lattice():
    # ring lattice with k=4 neighbours: high clustering, rewiring lowers it
    n = 30
    g = nx.watts_strogatz_graph(n, 4, 0.05, seed=1)
    a = nx.to_numpy_array(g)
    null = G.rewired_null(a, seed=3)
    np.testing.assert_array_equal(null.sum(1), a.sum(1))
    m = G.graph_metrics(a, n_null=10, seed=0)
    assert m.clustering_null < m.clustering_binary.mean()
    assert m.small_world_sigma > 1.5
    assert G.graph_metrics(a, n_null=10, seed=0).small_world_sigma == m.small_world_sigma  # seeded
