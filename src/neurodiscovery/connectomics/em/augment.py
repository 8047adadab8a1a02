"""Training data for the EM U-Net: boundary/affinity targets, augmentation, intensity normalisation.

Pure numpy/scipy (no torch), so inference and tests can use them without the training loop.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from ..._utils.errors import InputError

__all__ = ["boundary_target", "affinity_target", "elastic_deform", "augment_pair", "normalize_raw"]


# --------------------------------------------------------------------------------------
# targets
# --------------------------------------------------------------------------------------
def boundary_target(labels: np.ndarray) -> np.ndarray:
    """Membrane target from an instance or interior mask: 1 where ``labels == 0``.

    Parameters
    ----------
    labels : ndarray (..., y, x) int
        0 = membrane/background, > 0 = cell interior (binary mask or instance ids).

    Returns
    -------
    ndarray, same shape, float32 in {0, 1}
    """
    return (np.asarray(labels) == 0).astype(np.float32)


def affinity_target(instances: np.ndarray, ndim: int) -> np.ndarray:
    """Nearest-neighbour affinities: 1 where a voxel and its predecessor share a non-zero id.

    Parameters
    ----------
    instances : ndarray (*spatial) int
        Instance labels, 0 = boundary.
    ndim : int
        Number of trailing spatial axes to build affinities along.

    Returns
    -------
    ndarray (ndim, *spatial) float32
        Channel ``c`` compares voxel ``i`` with ``i - 1`` along spatial axis ``c``; the
        first slice along that axis has no predecessor and is set to 0.
    """
    inst = np.asarray(instances)
    out = np.zeros((ndim,) + inst.shape, np.float32)
    off = inst.ndim - ndim
    for c in range(ndim):
        ax = off + c
        cur = [slice(None)] * inst.ndim
        prev = [slice(None)] * inst.ndim
        cur[ax] = slice(1, None)
        prev[ax] = slice(None, -1)
        a, b = inst[tuple(cur)], inst[tuple(prev)]
        out[(c,) + tuple(cur)] = ((a == b) & (a != 0)).astype(np.float32)
    return out


# --------------------------------------------------------------------------------------
# augmentation
# --------------------------------------------------------------------------------------
def elastic_deform(images: list[np.ndarray], alpha_px: float, sigma_px: float,
                   rng: np.random.Generator, orders: list[int]) -> list[np.ndarray]:
    """Smooth random in-plane displacement field (Simard et al. 2003).

    Parameters
    ----------
    images : list of ndarray (y, x) or (z, y, x)
        Deformed with the same field (raw with ``order=1``, labels with ``order=0``);
        3D stacks get the same in-plane field on every slice, which keeps the sections
        registered to each other.
    alpha_px : float
        Displacement amplitude in pixels (after smoothing, roughly the max shift).
    sigma_px : float
        Gaussian smoothing of the white-noise field, pixels (controls the wavelength).
    orders : list of int
        Interpolation order per image.
    """
    shape = images[0].shape[-2:]
    # Generate the field coarsely and zoom it: the same smooth field, ~50x cheaper
    # than smoothing a full-resolution noise image with a wide Gaussian.
    step = max(1, int(sigma_px // 2))
    small = [s // step + 2 for s in shape]
    fields = []
    for _ in range(2):
        f = ndi.gaussian_filter(rng.uniform(-1, 1, small), sigma_px / step, mode="reflect")
        f *= alpha_px / (np.abs(f).max() + 1e-12)
        f = ndi.zoom(f, (shape[0] / small[0], shape[1] / small[1]), order=1)[: shape[0], : shape[1]]
        fields.append(f)
    yy, xx = np.meshgrid(np.arange(shape[0]), np.arange(shape[1]), indexing="ij")
    coords = np.stack([yy + fields[0], xx + fields[1]])

    def warp(im, o):
        if im.ndim == 2:
            return ndi.map_coordinates(im, coords, order=o, mode="reflect").astype(im.dtype)
        return np.stack([warp(sl, o) for sl in im])

    return [warp(im, o) for im, o in zip(images, orders)]


def augment_pair(raw: np.ndarray, lab: np.ndarray, rng: np.random.Generator,
                 elastic_p: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Random flips, 90-degree rotations, elastic deformation and intensity jitter.

    Parameters
    ----------
    raw : ndarray (y, x) or (z, y, x) float32, normalised to ~[-1, 1]
    lab : ndarray, same shape, int, 0 = membrane
    rng : numpy Generator
    elastic_p : float
        Probability of an elastic deformation.

    Returns
    -------
    raw, lab : augmented copies (same shapes)
    """
    k = int(rng.integers(4))
    raw, lab = np.rot90(raw, k, axes=(-2, -1)), np.rot90(lab, k, axes=(-2, -1))
    if rng.random() < 0.5:
        raw, lab = raw[..., ::-1], lab[..., ::-1]
    if raw.ndim == 3 and rng.random() < 0.5:  # section order is arbitrary too
        raw, lab = raw[::-1], lab[::-1]
    raw, lab = np.ascontiguousarray(raw), np.ascontiguousarray(lab)
    if rng.random() < elastic_p:
        raw, lab = elastic_deform([raw, lab], alpha_px=float(rng.uniform(2, 6)), sigma_px=10.0,
                                  rng=rng, orders=[1, 0])
    # intensity jitter: contrast, brightness, gamma (EM staining varies across sections)
    contrast = rng.uniform(0.8, 1.2)
    bright = rng.uniform(-0.15, 0.15)
    gamma = rng.uniform(0.8, 1.25)
    x01 = np.clip((raw + 1) / 2, 0, 1) ** gamma
    raw = (x01 * 2 - 1) * contrast + bright
    if rng.random() < 0.3:
        raw = raw + rng.normal(0, 0.03, raw.shape)
    return raw.astype(np.float32), lab


def normalize_raw(raw: np.ndarray, value_range: tuple[float, float] | None = None) -> np.ndarray:
    """uint8 (or any) EM intensities -> float32 in ~[-1, 1] (uint8: fixed scale, else min/max).

    ``value_range`` (lo, hi) replaces the min/max of a non-uint8 ``raw`` (a piece of a larger volume
    is then scaled as the whole volume is).
    """
    raw = np.asarray(raw)
    if raw.dtype == np.uint8:
        return raw.astype(np.float32) / 127.5 - 1.0
    r = raw.astype(np.float32)
    lo, hi = (float(np.nanmin(r)), float(np.nanmax(r))) if value_range is None else map(float, value_range)
    if hi <= lo:
        raise InputError("raw volume is constant; there is nothing to segment")
    return (r - lo) / (hi - lo) * 2.0 - 1.0
