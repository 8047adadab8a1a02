"""Blockwise (zarr + dask) segmentation equals whole-volume segmentation; face stitching."""
from pathlib import Path

import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.connectomics.em.blockwise import _union_find, match_face, segment_blockwise
from neurodiscovery.connectomics.em.metrics import evaluate
from neurodiscovery.connectomics.em.model import default_checkpoint_path, load_checkpoint
from neurodiscovery.connectomics.em.segment import default_params, segment_volume

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "isbi2012_slices00-19.npz"


def test_match_face_mutual_overlap():
    la = np.array([1, 1, 1, 1, 2, 2, 2, 3], np.uint64)
    lb = np.array([7, 7, 7, 8, 9, 9, 9, 9], np.uint64)
    pairs = match_face(la, lb, 0.5).tolist()
    assert [1, 7] in pairs and [2, 9] in pairs
    assert [1, 8] not in pairs and [3, 9] not in pairs  # 3 covers 1/4 of 9's footprint


def test_union_find_components():
    ids = np.array([3, 5, 9, 11], np.uint64)
    out = _union_find(ids, np.array([[3, 9], [9, 11]], np.uint64))
    assert out[0] == out[2] == out[3] != out[1]


def test_blockwise_equals_whole(tmp_path):
    import zarr

    if not DATA.exists():
        pytest.skip("shared ISBI data not available")
    ckpt = default_checkpoint_path()
    model, meta = load_checkpoint(ckpt)
    params = default_params(meta)
    vol = np.load(DATA)["raw"][16:18, :256, :256]
    whole, _ = segment_volume(vol, model, params)
    src = str(tmp_path / "v.zarr")
    z = zarr.open_array(src, mode="w", shape=vol.shape, chunks=(1, 128, 128), dtype="uint8")
    z[...] = vol
    info = segment_blockwise(src, tmp_path / "seg.zarr", ckpt, block_shape=(1, 128, 128),
                             halo=(0, 64, 64), params=params, num_workers=2)
    assert info["n_blocks"] == 8 and info["n_face_matches"] > 0
    block = zarr.open_array(str(tmp_path / "seg.zarr" / "labels"), mode="r")[...]
    s = evaluate(whole.astype(np.int64), block.astype(np.int64))
    assert s.voi_split_all + s.voi_merge_all <= 0.01
    assert not (tmp_path / "seg.zarr" / "fragments").exists()


def test_blockwise_bad_input(tmp_path):
    import zarr

    src = str(tmp_path / "v2.zarr")
    zarr.open_array(src, mode="w", shape=(8, 8), dtype="uint8")
    with pytest.raises(InputError, match="3D"):
        segment_blockwise(src, tmp_path / "o.zarr", default_checkpoint_path())
    src3 = str(tmp_path / "v3.zarr")
    zarr.open_array(src3, mode="w", shape=(1, 8, 8), dtype="uint8")
    (tmp_path / "exists.zarr").mkdir()
    with pytest.raises(InputError, match="exists"):
        segment_blockwise(src3, tmp_path / "exists.zarr", default_checkpoint_path())
    with pytest.raises(InputError, match="scheduler"):
        segment_blockwise(src3, tmp_path / "o3.zarr", default_checkpoint_path(), scheduler="gpu")


def test_distributed_scheduler_address_gives_same_result(tmp_path):
    import torch
    import zarr

    distributed = pytest.importorskip("distributed")
    from neurodiscovery.connectomics.em.model import UNet, UNetConfig, save_checkpoint

    torch.manual_seed(0)
    ckpt = save_checkpoint(UNet(UNetConfig(base_channels=4, depth=2)), tmp_path / "m")
    vol = np.random.default_rng(0).integers(0, 255, (2, 64, 64)).astype(np.uint8)
    src = str(tmp_path / "v.zarr")
    zarr.open_array(src, mode="w", shape=vol.shape, chunks=(1, 32, 32), dtype="uint8")[...] = vol
    kw = dict(block_shape=(1, 32, 32), halo=(0, 16, 16))
    segment_blockwise(src, tmp_path / "a.zarr", ckpt, **kw)
    with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        segment_blockwise(src, tmp_path / "b.zarr", ckpt, scheduler=cluster.scheduler_address, **kw)
    a = zarr.open_array(str(tmp_path / "a.zarr" / "labels"), mode="r")[...].astype(np.int64)
    b = zarr.open_array(str(tmp_path / "b.zarr" / "labels"), mode="r")[...].astype(np.int64)
    s = evaluate(a, b)
    assert s.voi_split_all == pytest.approx(0, abs=1e-12) and s.voi_merge_all == pytest.approx(0, abs=1e-12)


def test_limit_heap_growth_is_safe_to_call():
    import sys

    from neurodiscovery.connectomics.em.blockwise import limit_heap_growth

    assert limit_heap_growth() is (sys.platform.startswith("linux") and limit_heap_growth())
    x = np.ones(4 << 20, np.uint8)  # allocations still work afterwards
    assert int(x.sum()) == 4 << 20
