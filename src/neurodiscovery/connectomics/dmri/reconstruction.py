"""Diffusion model reconstruction on the DWI grid: brain mask, tensor (FA, MD), CSD response, fibre ODFs.

The steps :func:`~.tracking.run_tractography` runs before seeding and tracking (dipy).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..._utils.errors import InputError
from .io import DWI

MODELS = ("csd", "csa")

__all__ = ["TensorMaps", "brain_mask", "fit_tensor", "estimate_response", "fit_fodf"]


@dataclass(frozen=True)
class TensorMaps:
    """Diffusion tensor maps on the DWI grid (zero outside the mask).

    Parameters
    ----------
    fa : ndarray, shape (x, y, z)
        Fractional anisotropy (dimensionless, 0..1).
    md : ndarray, shape (x, y, z)
        Mean diffusivity (mm^2/s).
    mask : ndarray of bool, shape (x, y, z)
        Brain mask the tensors were fitted in.
    """

    fa: np.ndarray
    md: np.ndarray
    mask: np.ndarray


def brain_mask(dwi: DWI, *, median_radius: int = 2, numpass: int = 1) -> np.ndarray:
    """Brain mask by dipy's ``median_otsu`` on the mean b0 volume, shape (x, y, z), bool.

    Parameters
    ----------
    dwi : DWI
        The diffusion-weighted image and its gradient table.
    median_radius : int
        Median filter radius (voxels).
    numpass : int
        Median filter passes.

    Returns
    -------
    ndarray of bool, shape (x, y, z)
    """
    from dipy.segment.mask import median_otsu

    _, mask = median_otsu(dwi.data, vol_idx=np.flatnonzero(dwi.b0_mask), median_radius=median_radius,
                          numpass=numpass)
    if not mask.any():
        raise InputError("brain mask is empty: median_otsu found no tissue in the b0 volumes")
    return mask.astype(bool)


#: Background (air) in a b0 image is at noise level; tissue of any kind (white matter, grey matter,
#: CSF) is many times brighter. Below this ratio of medians the voxels Otsu left out are background.
BACKGROUND_RATIO = 0.1


def auto_brain_mask(dwi: DWI, *, median_radius: int = 2, numpass: int = 1) -> tuple[np.ndarray, str]:
    """A brain mask that also works on small crops and pre-masked volumes, with the rule used.

    ``median_otsu`` splits the b0 intensities in two and keeps the bright class; that is brain vs
    background only when the volume holds background. So: a volume with exact zeros in every b0
    (pre-masked by the user) keeps its non-zero voxels; otherwise ``median_otsu`` is kept when the
    voxels it leaves out are dark (median b0 below :data:`BACKGROUND_RATIO` of the kept voxels'),
    and where they are not (a crop holding only tissue, e.g. dipy's ``small_64D``, where Otsu keeps
    only the bright CSF) every voxel is brain.

    Parameters
    ----------
    dwi : DWI
        The diffusion-weighted image and its gradient table.
    median_radius, numpass : int
        ``median_otsu`` filter radius (voxels) and passes.

    Returns
    -------
    mask : ndarray of bool, shape (x, y, z)
    rule : str
        Which rule decided, in words (for the report).
    """
    b0 = dwi.data[..., dwi.b0_mask].mean(axis=-1)
    zeros = b0 <= 0
    if zeros.any() and not zeros.all():
        return ~zeros, (f"pre-masked volume: the {int((~zeros).sum())} voxels with non-zero b0 "
                        f"({(~zeros).mean():.0%} of the volume)")
    try:
        otsu = brain_mask(dwi, median_radius=median_radius, numpass=numpass)
    except InputError:
        otsu = np.zeros(b0.shape, bool)
    if otsu.any() and (~otsu).any():
        ratio = float(np.median(b0[~otsu]) / max(np.median(b0[otsu]), 1e-12))
        if ratio < BACKGROUND_RATIO:
            return otsu, f"median_otsu ({otsu.mean():.0%} of the volume; excluded voxels at {ratio:.2f} x brain b0)"
        return np.ones(b0.shape, bool), (
            f"every voxel: median_otsu would keep {otsu.mean():.0%} of the volume but the voxels it "
            f"excludes are tissue, not background (median b0 {ratio:.2f} x the kept voxels'; "
            f"background is < {BACKGROUND_RATIO:g})")
    return np.ones(b0.shape, bool), "every voxel: median_otsu found no background"


def fit_tensor(dwi: DWI, mask: np.ndarray) -> TensorMaps:
    """Weighted least-squares tensor fit inside ``mask``; FA and MD maps (zero outside).

    Parameters
    ----------
    dwi : DWI
        The diffusion-weighted image and its gradient table.
    mask : ndarray of bool, shape (x, y, z)
        Voxels to fit.

    Returns
    -------
    TensorMaps
    """
    from dipy.reconst.dti import TensorModel

    fit = TensorModel(dwi.gtab).fit(dwi.data, mask=mask)
    fa = np.nan_to_num(np.clip(fit.fa, 0, 1)) * mask
    md = np.nan_to_num(fit.md) * mask
    return TensorMaps(fa.astype(float), md.astype(float), mask)


def estimate_response(dwi: DWI, tensor: TensorMaps, *, fa_threshold: float = 0.7,
                      min_voxels: int = 10):
    """Single-fibre response for CSD from the data's most anisotropic voxels.

    Voxels with FA >= ``fa_threshold`` inside the brain mask; if fewer than
    ``min_voxels`` qualify the threshold is lowered in steps of 0.05 down to 0.4.

    Parameters
    ----------
    dwi : DWI
        The diffusion-weighted image and its gradient table.
    tensor : TensorMaps
        FA map and brain mask.
    fa_threshold : float
        Starting FA threshold (dimensionless).
    min_voxels : int
        Voxel count needed.

    Returns
    -------
    response : tuple
        (eigenvalues (3,), mean S0), as dipy's ``response_from_mask_ssst``.
    n_voxels : int
    threshold : float
        FA threshold finally used.
    """
    from dipy.reconst.csdeconv import response_from_mask_ssst

    thr = float(fa_threshold)
    while True:
        m = (tensor.fa >= thr) & tensor.mask
        if m.sum() >= min_voxels or thr <= 0.4 + 1e-9:
            break
        thr = round(thr - 0.05, 2)
    if not m.any():
        raise InputError(f"no voxel with FA >= {thr:.2f} to estimate the CSD response; use model 'csa'")
    response, _ = response_from_mask_ssst(dwi.gtab, dwi.data, m.astype(np.uint8))
    return response, int(m.sum()), thr


def fit_fodf(dwi: DWI, mask: np.ndarray, *, model: str = "csd", sh_order: int = 0,
             response=None) -> np.ndarray:
    """Spherical-harmonic coefficients of fibre ODFs (CSD) or diffusion ODFs (CSA) in ``mask``.

    Parameters
    ----------
    dwi : DWI
        The diffusion-weighted image and its gradient table.
    mask : ndarray of bool, shape (x, y, z)
        Voxels to fit.
    model : {"csd", "csa"}
        ODF model.
    sh_order : int
        Spherical-harmonic order (even; 0 = 8 for CSD, 6 for CSA).
    response : tuple, optional
        CSD single-fibre response (from :func:`estimate_response`); required for CSD.

    Returns
    -------
    ndarray, shape (x, y, z, n_coefficients)
        dipy's (legacy) ``descoteaux07`` basis; zero outside ``mask``.
    """
    if model not in MODELS:
        raise InputError(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    if model == "csd" and response is None:
        raise InputError("CSD needs a response function (see estimate_response)")
    order = sh_order or (8 if model == "csd" else 6)
    n_coef, n_dw = (order + 1) * (order + 2) // 2, int((~dwi.b0_mask).sum())
    if n_coef > n_dw:
        raise InputError(f"sh_order {order} needs at least {n_coef} gradient directions, the DWI has "
                         f"{n_dw}; lower sh_order")
    with warnings.catch_warnings():
        # dipy's notice about its legacy SH basis; we use that basis consistently throughout
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        if model == "csd":
            from dipy.reconst.csdeconv import ConstrainedSphericalDeconvModel

            m = ConstrainedSphericalDeconvModel(dwi.gtab, response, sh_order_max=order)
        else:
            from dipy.reconst.shm import CsaOdfModel

            m = CsaOdfModel(dwi.gtab, sh_order_max=order)
        return np.asarray(m.fit(dwi.data, mask=mask).shm_coeff, dtype=float)
