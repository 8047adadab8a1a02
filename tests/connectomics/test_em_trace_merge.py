"""Merge-averse linking: objects hold at most the capped number of segments of one section."""
import numpy as np
import pytest

from neurodiscovery.connectomics.em import TracingParams, link_sections
from neurodiscovery.connectomics.em.tracing_merge import capped_components, segments_per_section


def test_capped_components_planted():
    # nodes 0..5; sections: 0:[0], 1:[1, 2, 3], 2:[4, 5]; links strongest first
    section = np.array([0, 1, 1, 1, 2, 2])
    pairs = np.array([[0, 1], [0, 2], [0, 3], [1, 4], [2, 5]])
    prio = np.array([10.0, 5.0, 4.0, 9.0, 3.0])
    free = capped_components(6, pairs, prio, section, None)
    assert len(np.unique(free)) == 1  # plain components: one object
    capped = capped_components(6, pairs, prio, section, 2)
    # the weakest branch (0-3) would put a third segment of section 1 into the object: refused
    assert capped[3] != capped[0] and capped[1] == capped[0] == capped[2] == capped[4] == capped[5]
    segs = segments_per_section(capped + 1, section, int(capped.max()) + 1)
    assert segs.max() == 2
    one = capped_components(6, pairs, prio, section, 1)
    assert segments_per_section(one + 1, section, int(one.max()) + 1).max() == 1
    # numbering follows each component's smallest node, whatever the order of the links
    rev = capped_components(6, pairs[::-1], prio[::-1], section, 2)
    np.testing.assert_array_equal(rev, capped)


def test_link_sections_branch_and_cap():
    # section 0: one profile; section 1: it splits into a large and a small profile (a branch)
    lab = np.zeros((3, 20, 40), np.int64)
    lab[0, 2:18, 2:38] = 1
    lab[1, 2:18, 2:22] = 1
    lab[1, 2:18, 25:38] = 2
    lab[2, 2:18, 2:22] = 1
    lab[2, 2:18, 25:38] = 2
    br = link_sections(lab, params=TracingParams(min_size_voxels=1))
    assert br.n_objects == 1 and br.max_segments_per_section.tolist() == [2]
    one = link_sections(lab, params=TracingParams(min_size_voxels=1, max_segments_per_section=1))
    assert one.n_objects == 2 and one.max_segments_per_section.tolist() == [1, 1]
    with pytest.raises(ValueError, match="max_segments_per_section"):
        TracingParams(max_segments_per_section=0)
