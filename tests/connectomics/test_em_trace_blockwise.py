"""Blockwise tracing equals in-memory tracing; 3-D mode recovers the phantom's neurites."""
import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.connectomics.em import (
    TracingParams,
    evaluate,
    link_sections,
    segment_boundaries,
    trace_blockwise,
    trace_boundaries,
)
from neurodiscovery.connectomics.em import tracing_blockwise as tb_mod
from neurodiscovery.datasets import make_neurite_phantom

zarr = pytest.importorskip("zarr")
pytest.importorskip("dask")


@pytest.fixture(scope="module")
def sections():
    """Per-section 2-D segments of a noisy phantom with lost sections, and its boundary map."""
    ph = make_neurite_phantom(shape=(20, 80, 80), n_neurons=3, n_branches=1, min_branch_sections=12,
                              radius_nm=(48.0, 56.0), missing_rate=0.1, seed=3)
    seg = segment_boundaries(ph.boundaries, per_slice=True).astype(np.int64)
    seg[ph.boundaries >= 0.6] = 0  # membranes unlabelled: profiles cut by block faces stay many
    return ph, seg % 97  # ids repeat across sections (allowed) and are not consecutive


def _to_zarr(path, arr):
    z = zarr.create_array(str(path), shape=arr.shape, chunks=(4, 32, 32), dtype=arr.dtype)
    z[:] = arr
    return str(path)


@pytest.mark.parametrize("block_shape", [(7, 27, 45), (20, 80, 80)])
def test_blockwise_equals_in_memory(tmp_path, sections, block_shape):
    ph, seg = sections
    p = TracingParams(min_size_voxels=8)
    lost = [int(ph.missing_sections[0]), 7]
    ref = link_sections(seg, ph.boundaries, p, missing_sections=lost)
    src, bnd = _to_zarr(tmp_path / "seg.zarr", seg), _to_zarr(tmp_path / "b.zarr", ph.boundaries)
    res = trace_blockwise(src, tmp_path / "out.zarr", boundaries=bnd, params=p, missing_sections=lost,
                          block_shape=block_shape)
    got = np.asarray(zarr.open_array(str(tmp_path / "out.zarr" / "labels"))[:])
    np.testing.assert_array_equal(got, ref.labels)  # voxel for voxel, id for id
    assert ref.n_objects > 3 and res.n_objects == ref.n_objects and res.n_links == ref.n_links
    for name in ("first_section", "last_section", "n_sections", "size_voxels", "missing_sections"):
        np.testing.assert_array_equal(getattr(res, name), getattr(ref, name))


def test_blockwise_reads_one_block_at_a_time(tmp_path, sections, monkeypatch):
    ph, seg = sections
    src = _to_zarr(tmp_path / "seg.zarr", seg)
    block = (5, 40, 40)
    largest = []
    real = tb_mod._read

    def spy(path, key, sl):
        a = real(path, key, sl)
        largest.append(a.size)
        return a

    monkeypatch.setattr(tb_mod, "_read", spy)
    res = trace_blockwise(src, tmp_path / "o.zarr", block_shape=block,
                          params=TracingParams(min_size_voxels=8))
    halo = 2 * (TracingParams().max_gap_sections + 1)  # sections past both z faces
    assert res.n_blocks == 4 * 2 * 2 and max(largest) <= (block[0] + halo) * block[1] * block[2]
    ref = link_sections(seg, params=TracingParams(min_size_voxels=8))
    np.testing.assert_array_equal(np.asarray(zarr.open_array(str(tmp_path / "o.zarr" / "labels"))[:]),
                                  ref.labels)


def test_blockwise_bad_input(tmp_path):
    src = _to_zarr(tmp_path / "z.zarr", np.zeros((3, 8, 8), np.int32))
    with pytest.raises(InputError, match="empty"):
        trace_blockwise(src, tmp_path / "o.zarr", block_shape=(2, 4, 4))
    with pytest.raises(InputError, match="3 entries"):
        trace_blockwise(src, tmp_path / "o2.zarr", block_shape=(2, 4))
    with pytest.raises(InputError, match="already exists"):
        trace_blockwise(src, tmp_path / "z.zarr")


@pytest.mark.parametrize("seed", [0, 2])
def test_trace_3d_recovers_phantom(seed):
    ph = make_neurite_phantom(shape=(32, 128, 128), n_neurons=3, n_branches=1, min_branch_sections=22,
                              missing_rate=0.07, seed=seed)
    tr = trace_boundaries(ph.boundaries, mode="3d")
    s = evaluate(ph.labels.astype(np.int64), tr.labels.astype(np.int64))
    assert s.voi_split + s.voi_merge <= 0.3 and tr.n_objects == 3
    np.testing.assert_array_equal(tr.missing_sections, ph.missing_sections)
    with pytest.raises(InputError, match="membrane"):
        trace_boundaries(np.ones((4, 16, 16), np.float32), mode="3d")
