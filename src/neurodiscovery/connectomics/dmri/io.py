"""Reading and validating diffusion data, parcellations and tractograms.

Everything a user hands us passes through one of these functions, which turn a
mismatch (gradient counts, grids, spaces) into one :class:`InputError` line that
names the file and what to change. Streamlines are kept in world (RAS+ mm)
coordinates, the convention of nibabel and dipy's ``Space.RASMM``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..._utils.errors import DataFileError, InputError, MissingFileError, require

_AFFINE_ATOL = 1e-3  # mm; scanner affines round-trip through float32 headers


@dataclass(frozen=True)
class DWI:
    """A diffusion-weighted volume with its gradient scheme.

    Attributes
    ----------
    data : ndarray, shape (x, y, z, n_volumes), float32
        Signal per voxel and volume.
    affine : ndarray, shape (4, 4)
        Voxel index -> world (RAS+ mm).
    bvals : ndarray, shape (n_volumes,)
        b-values in s/mm^2.
    bvecs : ndarray, shape (n_volumes, 3)
        Unit gradient directions (zero rows for b0 volumes).
    b0_threshold : float
        b-values at or below this count as b0 (s/mm^2).
    """

    data: np.ndarray
    affine: np.ndarray
    bvals: np.ndarray
    bvecs: np.ndarray
    b0_threshold: float = 50.0

    @property
    def shape(self) -> tuple[int, int, int]:
        """Spatial grid ``(x, y, z)`` in voxels."""
        return tuple(int(s) for s in self.data.shape[:3])  # type: ignore[return-value]

    @property
    def voxel_size_mm(self) -> np.ndarray:
        """Voxel edge lengths in mm, shape (3,)."""
        return np.sqrt((self.affine[:3, :3] ** 2).sum(axis=0))

    @property
    def gtab(self):
        """dipy ``GradientTable`` built from ``bvals``/``bvecs``."""
        from dipy.core.gradients import gradient_table

        return gradient_table(self.bvals, bvecs=self.bvecs, b0_threshold=self.b0_threshold)

    @property
    def b0_mask(self) -> np.ndarray:
        """Boolean mask ``(n_volumes,)`` of the b0 volumes (b <= ``b0_threshold``)."""
        return self.bvals <= self.b0_threshold


@dataclass(frozen=True)
class Parcellation:
    """A label volume: integer region ids per voxel (0 = no region) and their names.

    Attributes
    ----------
    labels : ndarray, shape (x, y, z), int64
    affine : ndarray, shape (4, 4)
    region_ids : tuple of int
        Sorted non-zero label values; row ``i`` of every matrix is ``region_ids[i]``.
    names : tuple of str
        One name per region (``label_<id>`` where the lookup table has none).
    """

    labels: np.ndarray
    affine: np.ndarray
    region_ids: tuple
    names: tuple

    @property
    def n_regions(self) -> int:
        """Number of labelled regions."""
        return len(self.region_ids)

    @property
    def region_volumes_vox(self) -> np.ndarray:
        """Voxels per region, shape (n_regions,), in ``region_ids`` order."""
        counts = np.bincount(self.labels.ravel(), minlength=max(self.region_ids) + 1)
        return counts[np.asarray(self.region_ids)]

    @property
    def voxel_volume_mm3(self) -> float:
        """Volume of one voxel (mm^3)."""
        return float(abs(np.linalg.det(self.affine[:3, :3])))


def make_dwi(data, affine, bvals, bvecs, *, b0_threshold: float = 50.0,
             source: str = "DWI") -> DWI:
    """Validate arrays into a :class:`DWI`.

    Parameters
    ----------
    data : array_like, shape (x, y, z, n_volumes)
    affine : array_like, shape (4, 4)
    bvals : array_like, shape (n_volumes,)
        s/mm^2.
    bvecs : array_like, shape (n_volumes, 3) or (3, n_volumes)
        Directions; rows with b > ``b0_threshold`` must have unit length (within 10 %,
        then renormalised).
    b0_threshold : float
    source : str
        Name used in error messages.

    Raises
    ------
    InputError
        Counts that differ from the number of volumes, zero-length or non-unit
        directions for b > 0, no b0 volume, NaN signal.
    """
    data = np.asarray(data)
    if data.ndim != 4:
        raise InputError(f"{source}: expected a 4D volume (x, y, z, volumes), got shape {data.shape}")
    n = data.shape[3]
    bvals = np.asarray(bvals, dtype=float).ravel()
    bvecs = np.asarray(bvecs, dtype=float)
    if bvecs.ndim == 2 and bvecs.shape[0] == 3 and bvecs.shape[1] != 3:
        bvecs = bvecs.T  # FSL stores one row per axis
    if len(bvals) != n:
        raise InputError(f"{source}: bvals has {len(bvals)} values but the DWI has {n} volumes; "
                         "they must match one to one")
    if bvecs.ndim != 2 or bvecs.shape[1] != 3:
        raise InputError(f"{source}: bvecs must be (n, 3) or (3, n), got shape {bvecs.shape}")
    if len(bvecs) != n:
        raise InputError(f"{source}: bvecs has {len(bvecs)} directions but the DWI has {n} volumes; "
                         "they must match one to one")
    if not np.isfinite(bvals).all() or (bvals < 0).any():
        raise InputError(f"{source}: bvals contain NaN, inf or negative b-values")
    dw = bvals > b0_threshold
    if not np.isfinite(bvecs[dw]).all():  # some scanners write NaN directions for b0 volumes
        raise InputError(f"{source}: bvecs contain NaN/inf for diffusion-weighted volumes")
    if dw.all():
        raise InputError(f"{source}: no b0 volume (b <= {b0_threshold:g} s/mm^2); "
                         "tensor and CSD fits need one")
    if not dw.any():
        raise InputError(f"{source}: no diffusion-weighted volume (all b <= {b0_threshold:g})")
    bvecs = np.where(dw[:, None], bvecs, 0.0)
    norms = np.linalg.norm(bvecs, axis=1)
    zero = dw & (norms < 1e-6)
    if zero.any():
        k = int(np.flatnonzero(zero)[0])
        raise InputError(f"{source}: bvecs row {k} has zero length but b = {bvals[k]:g}; every "
                         f"diffusion-weighted volume needs a unit direction ({int(zero.sum())} such rows)")
    off = dw & (np.abs(norms - 1.0) > 0.1)
    if off.any():
        k = int(np.flatnonzero(off)[0])
        raise InputError(f"{source}: bvecs row {k} has length {norms[k]:.3f}, not 1; "
                         "directions for b > 0 must be unit vectors")
    bvecs[dw] /= norms[dw, None]
    if not np.isfinite(data).all():
        raise InputError(f"{source}: the signal contains NaN/inf values")
    affine = _check_affine(affine, source)
    return DWI(np.asarray(data, dtype=np.float32), affine, bvals, bvecs, float(b0_threshold))


def _check_affine(affine, source: str) -> np.ndarray:
    a = np.asarray(affine, dtype=float)
    if a.shape != (4, 4) or not np.isfinite(a).all() or abs(np.linalg.det(a[:3, :3])) < 1e-12:
        raise InputError(f"{source}: affine must be a finite, invertible 4x4 matrix")
    return a


def _exists(path, what: str) -> Path:
    p = Path(os.fspath(path))
    if not p.exists():
        raise MissingFileError(f"{what} file {p} does not exist")
    return p


def _load_nifti(path, what: str):
    nib = require("nibabel", "neurodiscovery[dmri]")
    p = _exists(path, what)
    try:
        img = nib.load(str(p))
    except Exception as exc:  # noqa: BLE001 - nibabel raises many types for a bad file
        raise DataFileError(f"{what} {p} is not a readable NIfTI image ({type(exc).__name__}: {exc})") from None
    _check_declared_size(img, p, what)
    return img


def _check_declared_size(img, p: Path, what: str) -> None:
    """Refuse a header that declares more voxels than the file holds (or than memory allows) before loading."""
    from ..._utils.resources import check_allocation

    shape = tuple(int(n) for n in img.shape)
    n_vox = int(np.prod(shape, dtype=np.float64)) if shape else 0
    itemsize = np.dtype(img.get_data_dtype()).itemsize
    if not str(p).endswith(".gz") and p.stat().st_size < n_vox * itemsize:
        raise DataFileError(f"{what} {p}: its header declares {shape} voxels ({n_vox * itemsize / 1e9:.3g} GB) but "
                            f"the file holds {p.stat().st_size} bytes; the file is truncated or its header corrupt")
    check_allocation(n_vox * 8, f"the {what} {p.name} as float64 ({shape} voxels)",
                     "check the file's header, or crop the volume")


def _load_table(path, what: str) -> np.ndarray:
    p = _exists(path, what)
    try:
        return np.loadtxt(p, dtype=float, ndmin=1)
    except ValueError as exc:
        raise DataFileError(f"{what} {p} is not a whitespace-separated table of numbers ({exc})") from None


def load_dwi(dwi, bvals, bvecs, *, b0_threshold: float = 50.0) -> DWI:
    """Read a DWI NIfTI with FSL-style bvals/bvecs text files and validate them.

    Parameters
    ----------
    dwi, bvals, bvecs : path
        ``.nii``/``.nii.gz``; bvals one line of b-values (s/mm^2); bvecs (3, n) or (n, 3).
    b0_threshold : float
        s/mm^2.

    Returns
    -------
    DWI
    """
    img = _load_nifti(dwi, "DWI")
    data = np.asanyarray(img.dataobj)
    return make_dwi(data, img.affine, _load_table(bvals, "bvals"), _load_table(bvecs, "bvecs"),
                    b0_threshold=b0_threshold, source=Path(dwi).name)


def read_lookup_table(path) -> dict[int, str]:
    """Region names from a lookup table: ``id name ...`` (FreeSurfer LUT) or ``id,name`` (CSV).

    Blank lines, ``#`` comments and a non-numeric header row are skipped.

    Parameters
    ----------
    path : path
        Lookup-table file.

    Returns
    -------
    dict of int to str
    """
    p = _exists(path, "lookup table")
    out: dict[int, str] = {}
    for ln, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = [t.strip() for t in (line.split(",") if "," in line else line.split())]
        if len(parts) < 2:
            raise DataFileError(f"lookup table {p} line {ln}: expected 'id name', got {line!r}")
        try:
            out[int(parts[0])] = parts[1]
        except ValueError:
            if out:  # only the first row may be a header
                raise DataFileError(f"lookup table {p} line {ln}: id {parts[0]!r} is not an integer") from None
    return out


def make_parcellation(labels, affine, names: dict[int, str] | None = None,
                      source: str = "labels") -> Parcellation:
    """Validate an integer label volume into a :class:`Parcellation`.

    Parameters
    ----------
    labels : array_like, shape (x, y, z)
        Non-negative integers; 0 is background. Float volumes holding integers are accepted.
    affine : array_like, shape (4, 4)
    names : dict, optional
        ``{label: name}``; missing labels are named ``label_<id>``.
    source : str
        Where the labels came from (reports).
    """
    lab = np.asarray(labels)
    if lab.ndim == 4 and lab.shape[3] == 1:
        lab = lab[..., 0]
    if lab.ndim != 3:
        raise InputError(f"{source}: a label volume must be 3D, got shape {lab.shape}")
    if lab.dtype.kind == "f":
        if not np.isfinite(lab).all() or not np.array_equal(lab, np.round(lab)):
            raise InputError(f"{source}: label values must be integers, found fractional values")
    elif lab.dtype.kind not in "iub":
        raise InputError(f"{source}: label values must be integers, got dtype {lab.dtype}")
    lab = lab.astype(np.int64)
    if (lab < 0).any():
        raise InputError(f"{source}: label values must be >= 0 (0 = background)")
    ids = tuple(int(v) for v in np.unique(lab) if v != 0)
    if not ids:
        raise InputError(f"{source}: the label volume has no region (all voxels are 0)")
    names = names or {}
    return Parcellation(lab, _check_affine(affine, source), ids,
                        tuple(names.get(i, f"label_{i}") for i in ids))


def load_labels(path, lut=None) -> Parcellation:
    """Read a parcellation NIfTI and, optionally, a lookup table of region names.

    Parameters
    ----------
    path : path
        Label volume (NIfTI), shape (x, y, z).
    lut : path, optional
        Lookup table (see :func:`read_lookup_table`).

    Returns
    -------
    Parcellation
    """
    img = _load_nifti(path, "label volume")
    names = read_lookup_table(lut) if lut is not None else None
    return make_parcellation(np.asanyarray(img.dataobj), img.affine, names, source=Path(path).name)


def check_same_grid(shape, affine, ref_shape, ref_affine, what: str, ref_what: str) -> None:
    """Raise one clear line if two images are not on the same voxel grid."""
    if tuple(shape[:3]) != tuple(ref_shape[:3]):
        raise InputError(f"{what} has shape {tuple(shape[:3])} but {ref_what} has shape "
                         f"{tuple(ref_shape[:3])}; resample it onto the same grid first")
    if not np.allclose(affine, ref_affine, atol=_AFFINE_ATOL):
        raise InputError(f"{what} has a different affine (voxel-to-world mapping) from {ref_what}; "
                         "resample it onto the same grid first")
