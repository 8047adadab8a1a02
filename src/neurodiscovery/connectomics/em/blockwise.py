"""Blockwise segmentation of zarr volumes larger than memory, scheduled with dask.

Three passes, each a set of independent dask tasks that read and write zarr, so peak
memory is set by the block size (times the number of workers), not by the volume:

1. **Blocks**: each task reads its block plus a halo of context, predicts boundaries,
   runs watershed + agglomeration on block + halo, crops the halo away and writes the
   core with globally unique provisional ids (``block_index * 2**32 + local id``).
   The halo makes predictions and fragments near a block face match what the
   whole-volume run would produce there.
2. **Stitch**: for every pair of face-adjacent blocks, read the two voxel planes that
   touch across the face; labels whose contact area covers most of both of their face
   footprints (mutual overlap >= ``stitch_overlap``) are the same object and are joined
   with union-find.
3. **Relabel**: each task maps its block's provisional ids to consecutive final ids.

The scheduler is dask's threaded scheduler by default (torch and scipy release the GIL);
pass ``scheduler="tcp://host:8786"`` to run the same graph on a dask.distributed cluster
(all workers must see the zarr paths).
"""
from __future__ import annotations

import itertools
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..._utils.errors import DataFileError, InputError
from .instances import WatershedParams, segment_boundaries

_ID_SHIFT = np.uint64(2**32)
_MODEL_CACHE: dict[str, Any] = {}
_MODEL_LOCK = threading.Lock()


def limit_heap_growth(mmap_threshold_bytes: int = 1 << 20) -> bool:
    """Serve large allocations with ``mmap`` so freed block buffers go back to the OS.

    glibc raises its mmap threshold dynamically (up to 32 MB) once large buffers are freed;
    after that, the many same-sized multi-MB arrays of a blockwise run (U-Net activations,
    halo blocks) can come from the heap and fragment it, so resident memory may creep up
    with the number of blocks instead of staying at one block's footprint. A fixed
    threshold, and at most 2 malloc arenas (threads that find an arena locked otherwise
    create new ones, each keeping its own freed memory), guard against that; it is a
    safeguard, the benchmark's bounded peak does not depend on it alone.
    No-op (returns False) off glibc.
    """
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        m_trim_threshold, m_mmap_threshold, m_arena_max = -1, -3, -8
        ok = libc.mallopt(m_mmap_threshold, int(mmap_threshold_bytes))
        libc.mallopt(m_trim_threshold, int(mmap_threshold_bytes))
        libc.mallopt(m_arena_max, 2)
        return bool(ok)
    except (OSError, AttributeError):
        return False


def _get_model(ckpt: str):
    """Load each checkpoint once per worker process (tasks share it read-only)."""
    from .model import load_checkpoint

    with _MODEL_LOCK:
        if ckpt not in _MODEL_CACHE:
            _MODEL_CACHE[ckpt] = load_checkpoint(ckpt)[0]
        return _MODEL_CACHE[ckpt]


@dataclass(frozen=True)
class _Block:
    index: tuple[int, ...]
    linear: int
    core: tuple[slice, ...]
    outer: tuple[slice, ...]


def _blocks(shape: Sequence[int], block: Sequence[int], halo: Sequence[int]) -> list[_Block]:
    grid = [range(0, s, b) for s, b in zip(shape, block)]
    out = []
    for lin, starts in enumerate(itertools.product(*grid)):
        core = tuple(slice(a, min(a + b, s)) for a, b, s in zip(starts, block, shape))
        outer = tuple(slice(max(c.start - h, 0), min(c.stop + h, s))
                      for c, h, s in zip(core, halo, shape))
        idx = tuple(a // b for a, b in zip(starts, block))
        out.append(_Block(idx, lin, core, outer))
    return out


def open_zarr(source, mode: str = "r"):
    """``zarr.open(source, mode)``, with a folder that is not a zarr store refused in one line.

    Parameters
    ----------
    source : str or path
        Zarr store (folder).
    mode : str
        zarr open mode.
    """
    import zarr

    try:
        return zarr.open(str(source), mode=mode)
    except (FileNotFoundError, KeyError, ValueError) as exc:
        if mode == "r" and ("No group found" in str(exc) or "No array found" in str(exc) or
                            type(exc).__name__.endswith("NotFoundError")):
            raise DataFileError(f"{source} is not a zarr store (no zarr metadata in it); pass a zarr folder "
                                "or an .npz/.npy/.tif volume") from None
        raise


def _open_array(source: str, key: str | None, mode: str = "r"):
    obj = open_zarr(source, mode=mode)
    if key is not None:
        obj = obj[key]
    if not hasattr(obj, "shape"):
        raise InputError(f"{source} is a zarr group; name the array inside it (key=...)")
    return obj


def _segment_block(src: str, src_key: str | None, dst: str, blk: _Block, ckpt: str,
                   params: WatershedParams, per_slice: bool, tta: bool,
                   batch_size: int, boundary_key: str | None) -> np.ndarray:
    from .inference import affinities_to_boundary, predict

    raw = np.asarray(_open_array(src, src_key)[blk.outer])
    model = _get_model(ckpt)
    if raw.min() == raw.max():
        # a constant block (e.g. padding outside the tissue) is one region; predicting on
        # it would be meaningless and the model refuses constant input
        bnd = np.ones(raw.shape, np.float32)
        seg = np.ones(raw.shape, np.uint32) if not per_slice else (
            np.arange(1, raw.shape[0] + 1, dtype=np.uint32)[:, None, None] * np.ones(raw.shape, np.uint32))
    else:
        out = predict(model, raw, tta=tta, batch_size=batch_size)
        bnd = out if model.config.target == "boundary" else affinities_to_boundary(out)
        seg = segment_boundaries(bnd, params, per_slice=per_slice)
    inner = tuple(slice(c.start - o.start, c.stop - o.start) for c, o in zip(blk.core, blk.outer))
    core = seg[inner].astype(np.uint64) + np.uint64(blk.linear) * _ID_SHIFT
    _open_array(dst, "fragments", "r+")[blk.core] = core
    if boundary_key is not None:
        _open_array(dst, boundary_key, "r+")[blk.core] = bnd[inner]
    return np.unique(core)


def _face_pairs(dst: str, a: _Block, b: _Block, axis: int, per_slice: bool,
                min_overlap: float) -> np.ndarray:
    """Matched (id_a, id_b) across the face between block a and its successor b on axis."""
    frag = _open_array(dst, "fragments")
    sa = list(a.core)
    sb = list(b.core)
    sa[axis] = slice(a.core[axis].stop - 1, a.core[axis].stop)
    sb[axis] = slice(b.core[axis].start, b.core[axis].start + 1)
    la = np.asarray(frag[tuple(sa)]).ravel()
    lb = np.asarray(frag[tuple(sb)]).ravel()
    return match_face(la, lb, min_overlap)


def match_face(la: np.ndarray, lb: np.ndarray, min_overlap: float = 0.5) -> np.ndarray:
    """Pairs of labels that are the same object across a block face.

    Parameters
    ----------
    la, lb : ndarray of uint64 (n,)
        Labels of the voxels on each side of the face, paired voxel for voxel.
    min_overlap : float
        Required fraction of *both* labels' face footprints covered by the contact.

    Returns
    -------
    ndarray (n_pairs, 2) uint64
    """
    if la.size == 0:
        return np.zeros((0, 2), np.uint64)
    pairs, counts = np.unique(np.stack([la, lb], 1), axis=0, return_counts=True)
    ua, ca = np.unique(la, return_counts=True)
    ub, cb = np.unique(lb, return_counts=True)
    size_a = ca[np.searchsorted(ua, pairs[:, 0])]
    size_b = cb[np.searchsorted(ub, pairs[:, 1])]
    keep = (counts >= min_overlap * size_a) & (counts >= min_overlap * size_b)
    return pairs[keep]


def _relabel_block(dst: str, blk: _Block, keys: np.ndarray, values: np.ndarray) -> None:
    frag = np.asarray(_open_array(dst, "fragments")[blk.core])
    pos = np.searchsorted(keys, frag)
    _open_array(dst, "labels", "r+")[blk.core] = values[pos]


def _union_find(ids: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Consecutive component ids (1..n) for sorted ``ids`` joined by ``pairs``."""
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

    n = len(ids)
    if len(pairs):
        i = np.searchsorted(ids, pairs[:, 0])
        j = np.searchsorted(ids, pairs[:, 1])
        g = coo_array((np.ones(len(i)), (i, j)), shape=(n, n))
    else:
        g = coo_array((n, n))
    _, comp = connected_components(g, directed=False)
    return comp.astype(np.uint32) + 1


def _check_blockwise_args(shape, block_shape, halo, scheduler) -> None:
    if len(shape) != 3:
        raise InputError(f"blockwise segmentation needs a 3D (z, y, x) volume, got shape {shape}")
    if min(shape) == 0:
        raise InputError(f"volume is empty: shape {shape}")
    if len(block_shape) != 3 or len(halo) != 3:
        raise InputError("block_shape and halo must have 3 entries (z, y, x)")
    if any(int(b) < 1 for b in block_shape) or any(int(h) < 0 for h in halo):
        raise InputError(f"block_shape must be >= 1 and halo >= 0, got {block_shape}, {halo}")
    if not (scheduler is None or "://" in str(scheduler)
            or scheduler in ("threads", "synchronous", "processes")):
        raise InputError(f"scheduler must be None, 'threads', 'synchronous', 'processes' or a "
                         f"dask.distributed address, got {scheduler!r}")


def _create_outputs(dst: str, shape, block_shape, save_boundaries: bool):
    """The output zarr group with ``fragments``, ``labels`` (and ``boundaries``) arrays."""
    import zarr

    root = zarr.open_group(dst, mode="w")
    root.create_array("fragments", shape=shape, chunks=block_shape, dtype="uint64", fill_value=0)
    root.create_array("labels", shape=shape, chunks=block_shape, dtype="uint32", fill_value=0)
    if not save_boundaries:
        return root, None
    root.create_array("boundaries", shape=shape, chunks=block_shape, dtype="float32", fill_value=0)
    return root, "boundaries"


def _scheduler_kwargs(scheduler: str | None, num_workers: int):
    """(dask.distributed client or None, keyword arguments for ``dask.compute``)."""
    compute_kw: dict[str, Any] = {}
    if scheduler is not None and "://" in scheduler:
        from ..._utils.errors import require

        client = require("distributed", "distributed").Client(scheduler)
        return client, {"scheduler": client}
    if scheduler in (None, "threads"):
        compute_kw.update(scheduler="threads", num_workers=int(num_workers))
    else:
        compute_kw["scheduler"] = scheduler
        if scheduler == "processes":
            compute_kw["num_workers"] = int(num_workers)
    return None, compute_kw


def _compute(tasks, client, compute_kw: dict, progress: bool):
    """``dask.compute`` the tasks (with a progress bar on the local scheduler)."""
    import dask

    if client is not None:
        # remote workers are separate processes: apply the same allocator setting there
        client.run(limit_heap_growth)
    if progress and client is None:
        import sys

        from dask.diagnostics import ProgressBar

        # progress on stderr: stdout carries the command's one result line
        with ProgressBar(out=sys.stderr, dt=1.0):
            return dask.compute(*tasks, **compute_kw)
    return dask.compute(*tasks, **compute_kw)


def _face_tasks(blocks: list[_Block], dst: str, per_slice: bool, stitch_overlap: float) -> list:
    """One delayed face-matching task per pair of neighbouring blocks (not along z when per slice)."""
    import dask

    by_index = {b.index: b for b in blocks}
    face_tasks = []
    axes = (1, 2) if per_slice else (0, 1, 2)
    for b in blocks:
        for ax in axes:
            nb = list(b.index)
            nb[ax] += 1
            other = by_index.get(tuple(nb))
            if other is not None:
                face_tasks.append(dask.delayed(_face_pairs)(dst, b, other, ax, per_slice, stitch_overlap))
    return face_tasks


def _segment_and_stitch(blocks: list[_Block], run, segment_args, dst: str, per_slice: bool,
                        stitch_overlap: float):
    """Segment every block, union the labels that match across faces, relabel: ``(ids, pairs, final)``."""
    import dask

    ids = run([dask.delayed(_segment_block)(*segment_args(b)) for b in blocks])
    all_ids = np.unique(np.concatenate(ids))
    face_tasks = _face_tasks(blocks, dst, per_slice, stitch_overlap)
    pairs = run(face_tasks) if face_tasks else []
    pairs = np.concatenate(pairs) if len(pairs) else np.zeros((0, 2), np.uint64)
    final = _union_find(all_ids, pairs)
    run([dask.delayed(_relabel_block)(dst, b, all_ids, final) for b in blocks])
    return all_ids, pairs, final


def segment_blockwise(source: str | os.PathLike, out: str | os.PathLike, checkpoint: str | os.PathLike,
                      *, source_key: str | None = None, block_shape: Sequence[int] = (16, 256, 256),
                      halo: Sequence[int] = (0, 96, 96),
                      params: WatershedParams | None = None, per_slice: bool = True,
                      tta: bool = False, batch_size: int = 2, stitch_overlap: float = 0.5,
                      scheduler: str | None = None, num_workers: int = 1,
                      save_boundaries: bool = False, keep_fragments: bool = False,
                      progress: bool = False) -> dict[str, Any]:
    """Segment a zarr volume block by block with dask; write ``labels`` into a zarr group.

    Parameters
    ----------
    source : path
        zarr array (or group, with ``source_key``) holding a (z, y, x) EM volume.
    source_key : str, optional
        Array inside the ``source`` group.
    out : path
        New zarr group to create; receives ``labels`` (uint32, z, y, x), and
        ``boundaries`` (float32) if ``save_boundaries``.
    checkpoint : path
        U-Net checkpoint (see :func:`~.model.load_checkpoint`).
    block_shape : (bz, by, bx)
        Core block size in voxels; also the zarr chunk size of the outputs.
    halo : (hz, hy, hx)
        Context added on every side for prediction and watershed, voxels. For a 2D
        model on ssTEM ``hz = 0`` suffices; ``hy, hx`` should cover half the U-Net's
        receptive field (~50 px for depth 4) plus a typical object radius.
    params : WatershedParams, optional
        Seeded-watershed parameters (default :class:`WatershedParams`).
    per_slice : bool
        Watershed each z slice on its own (2D model, anisotropic data); then blocks
        are not stitched along z.
    tta : bool
        Test-time flips.
    batch_size : int
        Slices (2D model) or crops (3D model) per forward pass.
    stitch_overlap : float
        Mutual face-overlap fraction required to join two labels across a face.
    scheduler : str, optional
        ``None`` (local threads), ``"synchronous"``, ``"processes"``, or the address of a
        dask.distributed scheduler (``"tcp://..."``).
    num_workers : int
        Local threads (memory grows with it: one block + halo per worker).
    save_boundaries, keep_fragments : bool
        Also keep the boundary map / the provisional per-block ids.
    progress : bool
        Show dask's progress bar (local scheduler only).

    Returns
    -------
    dict
        ``n_blocks``, ``n_labels``, ``n_merged_across_faces``, ``out``.
    """
    src = str(source)
    shape = tuple(int(s) for s in _open_array(src, source_key).shape)
    _check_blockwise_args(shape, block_shape, halo, scheduler)
    ckpt = str(Path(checkpoint).resolve())
    limit_heap_growth()
    _get_model(ckpt)  # fail early on a bad checkpoint, before any task is scheduled
    p = params or WatershedParams()
    dst = str(out)
    if Path(dst).exists():
        raise InputError(f"output {dst} already exists; neurodiscovery never overwrites")
    block_shape = tuple(int(b) for b in block_shape)  # also the zarr chunks of the outputs
    root, bkey = _create_outputs(dst, shape, block_shape, save_boundaries)
    blocks = _blocks(shape, block_shape, halo)
    client, compute_kw = _scheduler_kwargs(scheduler, num_workers)
    try:
        all_ids, pairs, final = _segment_and_stitch(
            blocks, lambda tasks: _compute(tasks, client, compute_kw, progress),
            lambda b: (src, source_key, dst, b, ckpt, p, per_slice, tta, batch_size, bkey),
            dst, per_slice, stitch_overlap)
    finally:
        if client is not None:
            client.close()
    if not keep_fragments:
        del root["fragments"]
        shutil.rmtree(Path(dst) / "fragments", ignore_errors=True)
    return {"n_blocks": len(blocks), "n_labels": int(final.max()) if len(final) else 0,
            "n_fragments": int(len(all_ids)), "n_face_matches": int(len(pairs)), "out": dst}
