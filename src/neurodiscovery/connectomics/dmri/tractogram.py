"""Tractograms: loading ``.trk``/``.tck``/``.trx`` against a reference grid, saving ``.trk``.

Streamlines are held in world coordinates (RAS+ mm). A ``.trk``/``.trx`` file
records the grid it was made on; that grid must equal the reference's. A ``.tck``
records none, so the only check possible is that its points fall inside the
reference volume.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..._utils.errors import DataFileError, InputError, require
from .io import _AFFINE_ATOL, Parcellation, _exists, make_parcellation

_FORMATS = (".trk", ".tck", ".trx")
MAX_OUTSIDE_FRACTION = 0.10  # more endpoints than this outside the reference means another space


@dataclass(frozen=True)
class Tractogram:
    """Streamlines in world coordinates with the grid they refer to.

    Attributes
    ----------
    streamlines : dipy ``Streamlines``
        ``n_streamlines`` arrays of shape (n_points, 3), RAS+ mm.
    affine : ndarray, shape (4, 4)
        Reference voxel -> world mapping.
    shape : tuple of int
        Reference grid (x, y, z).
    """

    streamlines: object
    affine: np.ndarray
    shape: tuple

    def __len__(self) -> int:
        return len(self.streamlines)


def as_streamlines(streamlines):
    """dipy ``Streamlines`` (float32) from any sequence of (n_points, 3) arrays."""
    from dipy.tracking.streamline import Streamlines

    if isinstance(streamlines, Streamlines):
        return streamlines
    return Streamlines([np.asarray(s, dtype=np.float32).reshape(-1, 3) for s in streamlines])


def fraction_endpoints_outside(streamlines, affine, shape) -> float:
    """Share of streamline end points that map outside a voxel grid (dipy's rounding)."""
    ends = endpoints(streamlines)
    if len(ends) == 0:
        return 0.0
    vox = world_to_voxel(ends.reshape(-1, 3), affine)
    out = ((vox < 0) | (vox >= np.asarray(shape[:3]))).any(axis=1)
    return float(out.mean())


def endpoints(streamlines) -> np.ndarray:
    """First and last point of each streamline, shape (n_streamlines, 2, 3)."""
    sl = as_streamlines(streamlines)
    if len(sl) == 0:
        return np.zeros((0, 2, 3), np.float32)
    off = np.asarray(sl._offsets, dtype=np.int64)
    ln = np.asarray(sl._lengths, dtype=np.int64)
    data = sl._data  # offsets index the backing buffer directly; get_data() copies line by line
    return np.stack([data[off], data[off + ln - 1]], axis=1)


def flat_points(streamlines) -> tuple[np.ndarray, np.ndarray]:
    """All points in streamline order, shape (n_points, 3), and each streamline's start offset."""
    sl = as_streamlines(streamlines)
    off = np.asarray(sl._offsets, dtype=np.int64)
    ln = np.asarray(sl._lengths, dtype=np.int64)
    start = np.r_[0, np.cumsum(ln)[:-1]]
    if len(off) and np.array_equal(off, start):  # packed buffer (the usual case): no copy
        return sl._data[: int(ln.sum())], start
    return sl.get_data(), start


def world_to_voxel(points, affine) -> np.ndarray:
    """Integer voxel indices of world points, as dipy's ``connectivity_matrix`` computes them.

    Parameters
    ----------
    points : array_like, shape (n, 3), mm
    affine : array_like, shape (4, 4)

    Returns
    -------
    ndarray, shape (n, 3), intp
        Nearest voxel; -1 marks a coordinate below the grid.
    """
    inv = np.linalg.inv(np.asarray(affine, dtype=float))
    inds = np.dot(np.asarray(points), inv[:3, :3].T) + (inv[:3, 3] + 0.5)
    below = inds.round(decimals=6) < 0  # dipy tolerates -1e-7 from float noise; so do we
    vox = inds.astype(np.intp)  # truncation == floor here because negatives are flagged
    vox[below] = -1
    return vox


def load_tractogram(path, reference: Parcellation | tuple | None = None) -> Tractogram:
    """Read a ``.trk``, ``.tck`` or ``.trx`` file.

    Parameters
    ----------
    path : path
    reference : Parcellation or (shape, affine), optional
        The grid the connectome will be built on (the label volume, or the image the
        tractogram was tracked on). A ``.trk``/``.trx`` header must
        describe the same grid; at most 10 % of end points may fall outside it.
        Without a reference, a ``.trk``/``.trx`` uses its own header and a ``.tck``
        is refused.

    Raises
    ------
    InputError
        Empty tractogram, unknown format, a space that differs from the reference.
    """
    p = _exists(path, "tractogram")
    ext = p.suffix.lower()
    if ext not in _FORMATS:
        raise InputError(f"tractogram {p.name}: unknown format {ext!r}; use .trk, .tck or .trx")
    if ext == ".trx":
        require("trx", "trx-python")
        from dipy.io.streamline import load_tractogram as _dipy_load

        try:
            sft = _dipy_load(str(p), "same", bbox_valid_check=False)
        except Exception as exc:  # noqa: BLE001 - readers raise many types for a bad file
            raise DataFileError(f"tractogram {p} is not a readable .trx file ({exc})") from None
        sft.to_rasmm()
        streamlines, hdr_aff, hdr_shape = sft.streamlines, sft.affine, tuple(int(d) for d in sft.dimensions)
    else:
        nib = require("nibabel", "neurodiscovery[dmri]")
        try:
            tfile = nib.streamlines.load(str(p))
        except Exception as exc:  # noqa: BLE001 - readers raise many types for a bad file
            raise DataFileError(f"tractogram {p} is not a readable {ext} file ({exc})") from None
        streamlines = as_streamlines(tfile.streamlines)
        hdr_aff = hdr_shape = None
        if ext == ".trk":
            h = tfile.header
            hdr_aff = np.asarray(h[nib.streamlines.Field.VOXEL_TO_RASMM], dtype=float)
            hdr_shape = tuple(int(d) for d in h[nib.streamlines.Field.DIMENSIONS])
    if len(streamlines) == 0:
        raise InputError(f"tractogram {p.name} contains no streamlines")
    if reference is None:
        if hdr_aff is None:
            raise InputError(f"tractogram {p.name} (.tck) records no voxel grid; pass the reference "
                             "image (the label volume) it was tracked on")
        return Tractogram(as_streamlines(streamlines), hdr_aff, hdr_shape)
    if isinstance(reference, Parcellation):
        ref_shape, ref_aff = reference.labels.shape, reference.affine
    else:
        ref_shape, ref_aff = tuple(int(v) for v in reference[0][:3]), np.asarray(reference[1], float)
    if hdr_aff is not None and (tuple(hdr_shape) != tuple(ref_shape)
                                or not np.allclose(hdr_aff, ref_aff, atol=_AFFINE_ATOL)):
        raise InputError(f"tractogram {p.name} was made on a {tuple(hdr_shape)} grid with another "
                         f"affine than the reference {tuple(ref_shape)} grid; it is in another "
                         "space: use the labels in the space it was tracked in")
    out = fraction_endpoints_outside(streamlines, ref_aff, ref_shape)
    if out > MAX_OUTSIDE_FRACTION:
        raise InputError(f"tractogram {p.name}: {100 * out:.0f}% of streamline end points lie outside "
                         "the reference volume; it is in another space than its reference image")
    return Tractogram(as_streamlines(streamlines), np.asarray(ref_aff, float), tuple(ref_shape))


def save_trk(path, streamlines, affine, shape) -> Path:
    """Write world-coordinate streamlines as a TrackVis ``.trk`` on the grid (affine, shape).

    Parameters
    ----------
    path : path
        ``.trk`` file to create.
    streamlines : sequence of ndarray, each shape (n_points, 3)
        World coordinates (mm).
    affine : array_like, shape (4, 4)
        Voxel-to-world (mm) transform of the reference grid.
    shape : tuple of int
        Reference grid ``(x, y, z)`` in voxels.

    Returns
    -------
    Path
    """
    nib = require("nibabel", "neurodiscovery[dmri]")
    from dipy.io.stateful_tractogram import Space, StatefulTractogram
    from dipy.io.streamline import save_tractogram

    ref = nib.Nifti1Image(np.zeros(tuple(shape[:3]), np.uint8), np.asarray(affine, float))
    sft = StatefulTractogram(as_streamlines(streamlines), ref, Space.RASMM)
    save_tractogram(sft, str(path), bbox_valid_check=False)
    return Path(path)


def grid_parcellation(streamlines, *, n_per_axis: int = 4, margin_mm: float = 1.0,
                      voxel_mm: float = 1.0) -> Parcellation:
    """Regular-grid parcellation of the box around the streamlines.

    For tractograms without an atlas in their space: ``n_per_axis**3`` equal boxes
    (regions) tiling the streamlines' bounding box grown by ``margin_mm`` — the
    parcellation-free connectomes of Zalesky et al. (2010) at one scale.

    Parameters
    ----------
    streamlines : sequence of (n_points, 3) arrays, mm
    n_per_axis : int
        Boxes per axis (>= 1).
    margin_mm, voxel_mm : float
        Padding around the bounding box; voxel edge of the label grid.

    Returns
    -------
    Parcellation
        Labels ``1..n_per_axis**3`` named ``grid_<i>_<j>_<k>`` (box indices along x, y, z).
    """
    sl = as_streamlines(streamlines)
    if len(sl) == 0:
        raise InputError("grid parcellation: the tractogram contains no streamlines")
    if int(n_per_axis) < 1:
        raise InputError(f"grid parcellation needs n_per_axis >= 1, got {n_per_axis}")
    pts = flat_points(sl)[0]
    lo = pts.min(axis=0) - margin_mm
    hi = pts.max(axis=0) + margin_mm
    shape = np.maximum(np.ceil((hi - lo) / voxel_mm).astype(int) + 1, n_per_axis)
    affine = np.diag([voxel_mm, voxel_mm, voxel_mm, 1.0])
    affine[:3, 3] = lo
    return box_parcellation(tuple(shape), affine, n_per_axis=n_per_axis)


def box_parcellation(shape, affine, *, n_per_axis: int = 2) -> Parcellation:
    """Split a voxel grid (x, y, z) into ``n_per_axis**3`` equal boxes labelled ``1..n**3``.

    Names are ``grid_<i>_<j>_<k>`` (box index along x, y, z). For data with no atlas
    (the small DWI bundled with dipy); regions are geometric, not anatomical.

    Parameters
    ----------
    shape : tuple of int
        Grid ``(x, y, z)`` in voxels.
    affine : array_like, shape (4, 4)
        Voxel-to-world (mm) transform.
    n_per_axis : int
        Boxes along each axis.

    Returns
    -------
    Parcellation
    """
    k = int(n_per_axis)
    if k < 1 or any(int(s) < k for s in shape[:3]):
        raise InputError(f"grid parcellation needs 1 <= n_per_axis <= the grid size {tuple(shape[:3])}, "
                         f"got {n_per_axis}")
    idx = [np.minimum(np.arange(s) * k // s, k - 1) for s in shape[:3]]
    lab = (idx[0][:, None, None] * k * k + idx[1][None, :, None] * k + idx[2][None, None, :] + 1)
    names = {i * k * k + j * k + m + 1: f"grid_{i}_{j}_{m}"
             for i in range(k) for j in range(k) for m in range(k)}
    return make_parcellation(lab, affine, names, source="grid parcellation")
