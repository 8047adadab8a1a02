"""What ``connectome`` reads: a DWI (tracked in :func:`~.connectome.compute`), a tractogram, or the phantom.

:func:`load_inputs` reads files only; tracking a DWI is science and runs in ``compute`` (under the
command's thread limits).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._utils.errors import InputError

__all__ = ["ConnectomeInputs", "load_inputs", "no_streamline_message"]


@dataclass(frozen=True)
class ConnectomeInputs:
    """Streamlines (or a DWI to track) and the regions they are assigned to.

    Attributes
    ----------
    parcellation : Parcellation
        Label volume (and names) the end points are assigned to.
    source : str
        The input, as the report names it.
    grid_affine : ndarray (4, 4)
        Voxel-to-world (mm) affine of the grid the streamlines are written on.
    grid_shape : tuple of int
        Shape of that grid (voxels).
    streamlines : Streamlines or None
        World coordinates (mm); None when ``dwi`` is to be tracked.
    dwi : DWI or None
        Diffusion data to track (with its gradients).
    fa : ndarray or None
        FA map on the labels' grid (a tractogram with ``--fa``); tracking computes its own.
    wm_mask, brain_mask : ndarray of bool or None
        Masks on the DWI grid.
    phantom : Phantom or None
        The built-in phantom (its known wiring scores the connectome).
    """

    parcellation: object
    source: str
    grid_affine: np.ndarray
    grid_shape: tuple
    streamlines: object = None
    dwi: object = None
    fa: np.ndarray | None = None
    wm_mask: np.ndarray | None = None
    brain_mask: np.ndarray | None = None
    phantom: object = None


def _grid_n(labels: str) -> int:
    try:
        return int(str(labels).split(":", 1)[1])
    except ValueError:
        raise InputError(f"--labels {labels!r}: expected grid:N with an integer N") from None


def _image_grid(path, what: str) -> tuple[tuple, np.ndarray, object]:
    from ..connectomics.dmri.io import _load_nifti

    img = _load_nifti(path, what)
    return tuple(int(v) for v in img.shape[:3]), np.asarray(img.affine, float), img


def _from_dwi(p) -> ConnectomeInputs:
    from ..connectomics.dmri import load_dwi, load_labels
    from ..connectomics.dmri.io import check_same_grid
    from ..connectomics.dmri.tractogram import box_parcellation

    if p.bvals is None or p.bvecs is None:
        raise InputError("a DWI needs --bvals and --bvecs (FSL text files)")
    dwi = load_dwi(p.dwi, p.bvals, p.bvecs)
    labels = p.labels
    if labels is None:  # a connectome needs regions: boxes, said plainly, rather than a refusal
        warnings.warn("no --labels given: the regions are a 3 x 3 x 3 grid of boxes over the volume (grid:3), not "
                      "anatomy; give a label volume on the DWI grid for anatomical regions", stacklevel=2)
        labels = "grid:3"
    if str(labels).startswith("grid:"):
        parc = box_parcellation(dwi.shape, dwi.affine, n_per_axis=_grid_n(labels))
    else:
        parc = load_labels(labels, p.lut)
    check_same_grid(parc.labels.shape, parc.affine, dwi.shape, dwi.affine,
                    f"label volume {Path(labels).name}", f"the DWI {Path(p.dwi).name}")
    masks = []
    named = p.brain_mask in ("auto", "median_otsu", "none")
    for path, what in ((p.wm_mask, "white-matter mask"), (None if named else p.brain_mask, "brain mask")):
        if path is None:
            masks.append(None)
            continue
        shape, aff, img = _image_grid(path, what)
        check_same_grid(shape, aff, dwi.shape, dwi.affine, f"{what} {Path(path).name}", "the DWI")
        masks.append(np.asarray(img.dataobj).reshape(shape) > 0)
    return ConnectomeInputs(parc, Path(p.dwi).name, dwi.affine, dwi.shape, dwi=dwi, wm_mask=masks[0],
                            brain_mask=masks[1])


def _from_tractogram(p) -> ConnectomeInputs:
    from ..connectomics.dmri import grid_parcellation, load_labels, load_tractogram
    from ..connectomics.dmri.io import check_same_grid

    labels = p.labels
    if labels is None:
        raise InputError("a tractogram needs --labels: a label volume in its space, or grid:N")
    if str(labels).startswith("grid:"):
        if p.reference is not None or p.fa_map is not None:
            raise InputError("--labels grid:N builds its own grid around the streamlines; drop --reference/--fa")
        tg = load_tractogram(p.tractogram, None)
        parc = grid_parcellation(tg.streamlines, n_per_axis=_grid_n(labels))
    else:
        parc = load_labels(labels, p.lut)
        ref = parc
        if p.reference is not None:
            shape, aff, _ = _image_grid(p.reference, "reference image")
            check_same_grid(parc.labels.shape, parc.affine, shape, aff, f"label volume {Path(labels).name}",
                            f"the reference {Path(p.reference).name}")
            ref = (shape, aff)
        tg = load_tractogram(p.tractogram, ref)
    fa = None
    if p.fa_map is not None:
        shape, aff, img = _image_grid(p.fa_map, "FA map")
        check_same_grid(shape, aff, parc.labels.shape, parc.affine, f"FA map {Path(p.fa_map).name}",
                        "the label volume")
        fa = np.asarray(img.dataobj, dtype=float).reshape(shape)
    return ConnectomeInputs(parc, Path(p.tractogram).name, parc.affine, parc.labels.shape,
                            streamlines=tg.streamlines, fa=fa)


def load_inputs(params) -> ConnectomeInputs:
    """Read the one input ``params`` names (a DWI is read here and tracked in ``compute``).

    Parameters
    ----------
    params : ConnectomeParams
        ``dwi`` (with ``bvals``, ``bvecs``, ``labels``), ``tractogram`` (with ``labels``) or ``phantom_snr``.

    Returns
    -------
    ConnectomeInputs
    """
    if params.dwi is not None:
        return _from_dwi(params)
    if params.tractogram is not None:
        return _from_tractogram(params)
    from ..connectomics.dmri import make_phantom

    ph = make_phantom(snr=float(params.phantom_snr), seed=params.seed)
    return ConnectomeInputs(ph.parcellation, f"phantom (SNR {params.phantom_snr:g})", ph.dwi.affine, ph.dwi.shape,
                            dwi=ph.dwi, phantom=ph)


def no_streamline_message(tr, cfg) -> str:
    """One line saying why tracking kept nothing, naming the option most likely to help.

    Parameters
    ----------
    tr : Tractography
        The empty tracking result.
    cfg : TrackingConfig
        Its settings.
    """
    head = (f"tracking kept no streamline ({tr.n_tracked} tracked from {tr.n_seeds} seeds, none "
            f"{cfg.min_length_mm:g}-{cfg.max_length_mm:g} mm long)")
    m = tr.brain_mask
    if m is not None and m.mean() < 0.5 and cfg.masking != "none":
        return (f"{head}; the brain mask holds only {int(m.sum())} of {m.size} voxels ({tr.mask_rule}): "
                "try --brain-mask none (every voxel) for a crop that holds only brain")
    return f"{head}; lower --min-length, or --seed-fa / --stop-fa"
