"""Morphology measures against navis on the real neurons that ship inside navis, and closed forms."""
from pathlib import Path

import numpy as np
import pytest

from neurodiscovery.morphology import (
    make_swc,
    measure_neuron,
    path_lengths_to_root,
    read_swc,
    segment_lengths,
    sholl_profile,
    strahler_order,
)

navis = pytest.importorskip("navis")
NAVIS_SWC = sorted((Path(navis.__file__).parent / "data" / "swc").glob("*.swc"))


@pytest.fixture(scope="module")
def pairs():
    if not NAVIS_SWC:
        pytest.skip("navis ships no example SWC files in this version")
    return [(read_swc(f, units="nm", allow_forest=True), navis.read_swc(str(f))) for f in NAVIS_SWC]


def test_measures_equal_navis(pairs):
    for ours, theirs in pairs:
        m = measure_neuron(ours)
        # navis stores coordinates as float32: 1e-6 relative is its own precision
        assert m.cable_length == pytest.approx(float(theirs.cable_length), rel=1e-6)
        assert m.n_branch_points == theirs.n_branches
        assert m.n_tips == theirs.n_leafs
        assert m.n_nodes == theirs.n_nodes
        si = navis.strahler_index(theirs).nodes.set_index("node_id").strahler_index
        np.testing.assert_array_equal(strahler_order(ours), si.loc[ours.node_ids].to_numpy())


def test_sholl_matches_navis(pairs):
    for ours, theirs in pairs:
        if (ours.parent_ids < 0).sum() > 1:
            continue  # navis refuses a root-centred Sholl analysis of a fragmented neuron
        sh = navis.sholl_analysis(theirs, radii=15, center="root")
        prof = sholl_profile(ours, np.asarray(sh.index, float), center="root")
        # navis 1.12 counts an edge when its child node is inside and its parent outside
        ref = sh["intersections"].to_numpy()
        assert np.abs(prof.inward - ref).sum() <= 0.01 * max(ref.sum(), 1)
        assert (prof.intersections >= prof.inward).all()


def test_closed_forms_on_a_star():
    # k straight arms of length L from the origin, 10 nodes each: Sholl = k inside L
    k, L = 5, 100.0
    ids, par, xyz = [1], [-1], [[0.0, 0.0, 0.0]]
    for a in range(k):
        d = np.array([np.cos(2 * np.pi * a / k), np.sin(2 * np.pi * a / k), 0.0])
        prev = 1
        for j in range(1, 11):
            ids.append(len(ids) + 1)
            par.append(prev)
            xyz.append(list(d * L * j / 10))
            prev = ids[-1]
    t = make_swc(ids, par, xyz, np.full(len(ids), 2.0), units="um")
    m = measure_neuron(t)
    assert m.cable_length == pytest.approx(k * L)
    assert (m.n_branch_points, m.n_tips, m.max_strahler_order, m.n_segments) == (1, k, 2, k)
    np.testing.assert_allclose(segment_lengths(t), L)
    assert path_lengths_to_root(t).max() == pytest.approx(L)
    prof = sholl_profile(t, [5.0, 55.0, 99.0, 150.0])
    np.testing.assert_array_equal(prof.intersections, [k, k, k, 0])
    np.testing.assert_array_equal(prof.outward, [k, k, k, 0])
    assert m.radius_mean == 2.0
