"""Tracing through sections block by block: zarr in, zarr out, memory set by one block.

:func:`~.tracing.link_sections` decides every link from a handful of sums per segment and
per overlapping pair (interior sizes, interior overlaps; see :func:`~.tracing.decide_links`).
Sums add over blocks, so three passes of independent dask tasks reproduce the in-memory
result exactly, voxel for voxel and id for id:

1. **Sizes**: each (z, y, x) block counts, per section, the pixels and interior pixels of
   every 2-D segment it holds; the sums decide which segments are specks and which
   sections are usable (the same rules as in memory).
2. **Overlaps**: each block counts the interior overlaps between consecutive usable
   sections ``z0 -> z1`` for the ``z0`` in its core; ``z1`` may lie past the block (a halo
   of up to ``max_gap_sections + 1`` sections along z). The summed overlaps give the
   links; union-find over (section, label) keys, in the in-memory id order, gives the
   objects, so segments cut by block faces join through their keys, no face matching needed.
3. **Relabel**: each block writes its object ids (bridged sections take the id where the
   usable sections on both sides agree, read from the same halo) and counts the
   per-object statistics.

A task holds one block of labels and boundaries plus a z halo of its (y, x) tile: the
sections up to ``max_gap_sections + 1`` beyond each face that its links and bridges need.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ..._utils.errors import InputError
from .blockwise import _Block, _blocks, _open_array, _scheduler_kwargs
from .tracing import TracingParams, _lookup, decide_links
from .tracing_merge import capped_components, link_priority, segments_per_section


@dataclass(frozen=True)
class BlockwiseTrace:
    """Summary of a blockwise trace; the labels stay on disk.

    Attributes
    ----------
    out : str
        zarr group holding ``labels`` (z, y, x) uint32, 0 = no object.
    first_section, last_section, n_sections, size_voxels : ndarray (n_objects,) int64
        As in :class:`~.tracing.TracedObjects`, for object ``k + 1``.
    missing_sections : ndarray (n_missing,) int64
        Sections that held no segment (or were listed as lost).
    n_links : int
        Kept links between sections.
    n_blocks : int
    max_segments_per_section : ndarray (n_objects,) int64 or None
        As in :class:`~.tracing.TracedObjects`.
    """

    out: str
    first_section: np.ndarray
    last_section: np.ndarray
    n_sections: np.ndarray
    size_voxels: np.ndarray
    missing_sections: np.ndarray
    n_links: int
    n_blocks: int
    max_segments_per_section: np.ndarray | None = None

    @property
    def n_objects(self) -> int:
        """Number of traced objects."""
        return int(len(self.size_voxels))


def _read(path: str, key: str | None, sl: tuple) -> np.ndarray:
    """One read of a zarr region (the only way tasks touch the input)."""
    return np.asarray(_open_array(path, key)[sl])


def _block_sizes(lab: tuple, bnd: tuple | None, blk: _Block, max_boundary: float) -> np.ndarray:
    """Rows (z, label, pixels, interior pixels) for the block's segments."""
    seg = _read(*lab, blk.core).astype(np.int64)
    own = np.ones(seg.shape, bool) if bnd is None else _read(*bnd, blk.core) <= max_boundary
    rows = []
    for dz in range(seg.shape[0]):
        s = seg[dz][seg[dz] > 0]
        ids, cnt = np.unique(s, return_counts=True)
        interior = np.bincount(np.searchsorted(ids, seg[dz][own[dz] & (seg[dz] > 0)]),
                               minlength=len(ids))
        rows.append(np.stack([np.full(len(ids), blk.core[0].start + dz), ids, cnt, interior], 1))
    return np.concatenate(rows) if rows else np.zeros((0, 4), np.int64)


def _sum_rows(rows: np.ndarray, n_keys: int) -> np.ndarray:
    """Rows summed over equal leading ``n_keys`` columns (sorted by them)."""
    if len(rows) == 0:
        return rows
    keys, inv = np.unique(rows[:, :n_keys], axis=0, return_inverse=True)
    sums = np.zeros((len(keys), rows.shape[1] - n_keys), np.int64)
    np.add.at(sums, inv.ravel(), rows[:, n_keys:])
    return np.concatenate([keys, sums], 1)


class _Slab:
    """Sections ``z_lo..z_hi`` of a block's (y, x) tile, read once (the block plus its z halo)."""

    def __init__(self, src: tuple, blk: _Block, zs: list[int]):
        self.z_lo = min(zs)
        sl = (slice(self.z_lo, max(zs) + 1),) + blk.core[1:]
        self.data = _read(*src, sl)

    def __getitem__(self, z: int) -> np.ndarray:
        return self.data[z - self.z_lo]


def _global(seg: np.ndarray, z: int, keys_of: dict, offset_of: dict) -> np.ndarray:
    """Section z's tile (y, x) as global key index + 1 (0 = no segment, or dropped)."""
    seg = seg.astype(np.int64)
    keys = keys_of.get(z)
    if keys is None or len(keys) == 0:
        return np.zeros(seg.shape, np.int64)
    local = _lookup(keys, np.arange(1, len(keys) + 1), seg.ravel()).reshape(seg.shape)
    return np.where((seg > 0) & (local > 0), local + offset_of[z], 0)


def _block_overlaps(lab: tuple, bnd: tuple | None, blk: _Block, section_pairs: list,
                    keys_of: dict, offset_of: dict, max_boundary: float) -> np.ndarray:
    """Rows (key a + 1, key b + 1, interior overlap) for pairs z0 -> z1 with z0 in the core."""
    mine = [(z0, z1) for z0, z1 in section_pairs if blk.core[0].start <= z0 < blk.core[0].stop]
    if not mine:
        return np.zeros((0, 3), np.int64)
    zs = [z for pair in mine for z in pair]
    seg = _Slab(lab, blk, zs)
    bslab = None if bnd is None else _Slab(bnd, blk, zs)
    rows = []
    for z0, z1 in mine:
        a = _global(seg[z0], z0, keys_of, offset_of)
        b = _global(seg[z1], z1, keys_of, offset_of)
        counted = (a > 0) & (b > 0)
        if bslab is not None:
            counted &= 0.5 * (bslab[z0] + bslab[z1]) <= max_boundary
        if counted.any():
            pairs, cnt = np.unique(np.stack([a[counted], b[counted]], 1), axis=0, return_counts=True)
            rows.append(np.concatenate([pairs, cnt[:, None]], 1))
    return np.concatenate(rows) if rows else np.zeros((0, 3), np.int64)


def _block_relabel(lab: tuple, dst: str, blk: _Block, keys_of: dict, offset_of: dict,
                   obj: np.ndarray, bridge_of: dict) -> np.ndarray:
    """Write the block's object ids; rows (object, z, voxels) of what it wrote.

    ``obj`` holds the object id of every global key + 1 (``obj[0] = 0``).
    """
    core = list(range(blk.core[0].start, blk.core[0].stop))
    seg = _Slab(lab, blk, core + [z for z in core if z in bridge_of for z in bridge_of[z]])
    out, rows = [], []
    for z in core:
        if z in bridge_of:
            z0, z1 = bridge_of[z]
            o0 = obj[_global(seg[z0], z0, keys_of, offset_of)]
            o1 = obj[_global(seg[z1], z1, keys_of, offset_of)]
            o = np.where(o0 == o1, o0, 0)
        else:
            o = obj[_global(seg[z], z, keys_of, offset_of)]
        ids, cnt = np.unique(o[o > 0], return_counts=True)
        rows.append(np.stack([ids, np.full(len(ids), z), cnt], 1).astype(np.int64))
        out.append(o)
    _open_array(dst, "labels", "r+")[blk.core] = np.stack(out).astype(np.uint32)
    return np.concatenate(rows)


def _check_inputs(lab: tuple, bnd: tuple | None, block_shape: Sequence[int]) -> tuple[int, ...]:
    arr = _open_array(*lab)
    shape = tuple(int(s) for s in arr.shape)
    if len(shape) != 3 or min(shape) == 0:
        raise InputError(f"segmentation must be a non-empty 3-D (z, y, x) volume, got shape {shape}")
    if np.dtype(arr.dtype).kind not in "iub":
        raise InputError(f"segmentation must hold integer labels, got dtype {arr.dtype}")
    if bnd is not None and tuple(_open_array(*bnd).shape) != shape:
        raise InputError(f"boundaries have shape {tuple(_open_array(*bnd).shape)} but the "
                         f"segmentation has shape {shape}")
    if len(block_shape) != 3 or any(int(b) < 1 for b in block_shape):
        raise InputError(f"block_shape must have 3 entries >= 1 (z, y, x), got {tuple(block_shape)}")
    return shape


def _links(rows: np.ndarray, sizes: np.ndarray, p: TracingParams) -> tuple[np.ndarray, np.ndarray]:
    """Kept links (global key + 1 pairs) and their merge priority, from summed overlap rows."""
    if len(rows) == 0:
        return np.zeros((0, 2), np.int64), np.zeros(0)
    pairs, counts = rows[:, :2], rows[:, 2]
    keep = np.zeros(len(rows), bool)
    mutual = np.zeros(len(rows), bool)
    # every row belongs to one section pair: the section of its first key decides
    section = np.searchsorted(sizes["starts"], pairs[:, 0] - 1, side="right")
    for sec in np.unique(section):
        m = np.flatnonzero(section == sec)
        keep[m], mutual[m] = decide_links(pairs[m], counts[m], sizes["interior"][pairs[m, 0] - 1],
                                          sizes["interior"][pairs[m, 1] - 1], p, return_mutual=True)
    return pairs[keep], link_priority(counts[keep], mutual[keep])


def trace_blockwise(segmentation: str | os.PathLike, out: str | os.PathLike, *,
                    segmentation_key: str | None = None, boundaries: str | os.PathLike | None = None,
                    boundaries_key: str | None = None, params: TracingParams | None = None,
                    missing_sections=None, block_shape: Sequence[int] = (16, 256, 256),
                    scheduler: str | None = None, num_workers: int = 1) -> BlockwiseTrace:
    """:func:`~.tracing.link_sections` on zarr volumes, block by block with dask.

    Parameters
    ----------
    segmentation : path
        zarr array (or group, with ``segmentation_key``) of 2-D segments per section,
        (z, y, x) int; ids need not be unique across sections.
    segmentation_key : str, optional
        Array name inside ``segmentation`` when it is a zarr group.
    out : path
        New zarr group; receives ``labels`` (z, y, x) uint32 chunked by ``block_shape``.
    boundaries : path, optional
        zarr array of the membrane probability (z, y, x), the boundary evidence.
    boundaries_key : str, optional
        Array name inside ``boundaries`` when it is a zarr group.
    params : TracingParams, optional
    missing_sections : sequence of int, optional
        Sections known to be lost.
    block_shape : (bz, by, bx)
        Voxels per task; a task also reads up to ``max_gap_sections + 1`` sections of its
        (y, x) tile beyond each z face (the halo its links and bridges need).
    scheduler, num_workers
        As in :func:`~.blockwise.segment_blockwise`.

    Returns
    -------
    BlockwiseTrace
        Equal to ``link_sections`` on the whole volume (same ids in ``out/labels``).
    """
    import dask
    import zarr

    p = params or TracingParams()
    lab = (str(segmentation), segmentation_key)
    bnd = None if boundaries is None else (str(boundaries), boundaries_key)
    shape = _check_inputs(lab, bnd, block_shape)
    lost, dst = _check_lost_and_out(missing_sections, shape, out)
    block_shape = tuple(int(b) for b in block_shape)
    blocks = _blocks(shape, block_shape, (0, 0, 0))
    client, kw = _scheduler_kwargs(scheduler, num_workers)
    try:
        def run(fn, *args):
            return dask.compute(*[dask.delayed(fn)(lab, bnd, b, *args) for b in blocks], **kw)

        rows = _sum_rows(np.concatenate(run(_block_sizes, p.max_boundary)), 2)
        rows = rows[(rows[:, 2] >= p.min_size_voxels) & ~np.isin(rows[:, 0], list(lost))] \
            if len(rows) else rows
        if not len(rows):
            raise InputError("the segmentation is empty: no labelled voxels (after dropping segments "
                             f"under {p.min_size_voxels} voxels)")
        usable = sorted(set(rows[:, 0].tolist()))
        starts = np.searchsorted(rows[:, 0], usable)
        keys_of = {z: rows[rows[:, 0] == z, 1] for z in usable}
        offset_of = dict(zip(usable, starts.tolist()))
        section_pairs = [(z0, z1) for z0, z1 in zip(usable[:-1], usable[1:])
                         if z1 - z0 - 1 <= p.max_gap_sections]
        overlaps = _sum_rows(np.concatenate(run(_block_overlaps, section_pairs, keys_of,
                                                offset_of, p.max_boundary)), 2)
        links, prio = _links(overlaps, {"starts": starts, "interior": rows[:, 3]}, p)
        # key 0 (no segment) is the smallest node, so it keeps label 0 and objects are 1..n
        key_section = np.concatenate([[-1], rows[:, 0]])
        obj = capped_components(len(rows) + 1, links, prio, key_section, p.max_segments_per_section)
        bridge_of = {z: (z0, z1) for z0, z1 in section_pairs for z in range(z0 + 1, z1)}
        zarr.open_group(dst, mode="w").create_array("labels", shape=shape, chunks=block_shape, dtype="uint32",
                                                    fill_value=0)
        stats = dask.compute(*[dask.delayed(_block_relabel)(lab, dst, b, keys_of, offset_of, obj,
                                                            bridge_of) for b in blocks], **kw)
    finally:
        if client is not None:
            client.close()
    segs = segments_per_section(obj, key_section, int(obj.max()))
    return _summary(dst, np.concatenate(stats), int(obj.max()), shape[0], usable, len(links), len(blocks), segs)


def _check_lost_and_out(missing_sections, shape: tuple, out) -> tuple[set, str]:
    lost = {int(z) for z in (missing_sections if missing_sections is not None else [])}
    if any(not 0 <= z < shape[0] for z in lost):
        raise InputError(f"missing sections {sorted(lost)} must lie within the {shape[0]} sections")
    if Path(str(out)).exists():
        raise InputError(f"output {out} already exists; neurodiscovery never overwrites")
    return lost, str(out)


def _summary(dst: str, stats: np.ndarray, n: int, n_z: int, usable: list, n_links: int,
             n_blocks: int, segs: np.ndarray | None = None) -> BlockwiseTrace:
    per = _sum_rows(stats, 2)  # (object, z, voxels)
    size = np.bincount(per[:, 0], weights=per[:, 2], minlength=n + 1)[1:].astype(np.int64)
    first = np.full(n + 1, n_z, np.int64)
    last = np.full(n + 1, -1, np.int64)
    np.minimum.at(first, per[:, 0], per[:, 1])
    np.maximum.at(last, per[:, 0], per[:, 1])
    n_sec = np.bincount(per[:, 0], minlength=n + 1)[1:].astype(np.int64)
    missing = np.asarray(sorted(set(range(n_z)) - set(usable)), np.int64)
    return BlockwiseTrace(dst, first[1:], last[1:], n_sec, size, missing, n_links, n_blocks, segs)

