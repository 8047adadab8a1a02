"""In-memory end-to-end segmentation and volume I/O (npz, tif, zarr)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..._utils.errors import DataFileError, InputError, MissingFileError
from .instances import WatershedParams, segment_boundaries

if TYPE_CHECKING:  # torch loads only when a model is used
    from .model import UNet


def check_volume(volume, name: str = "volume") -> np.ndarray:
    """Validate an EM image/volume: 2D or 3D, non-empty, finite, not constant.

    Parameters
    ----------
    volume : array_like, shape (y, x) or (z, y, x)
        EM intensities.
    name : str
        What to call it in error messages.

    Returns
    -------
    ndarray, shape (z, y, x)
        The array (a 2D image is returned as (1, y, x)).
    """
    v = np.asarray(volume)
    if v.dtype.kind not in "uif":
        raise InputError(f"{name} must be numeric, got dtype {v.dtype}")
    if v.ndim not in (2, 3):
        raise InputError(f"{name} must be 2D (y, x) or 3D (z, y, x), got {v.ndim} dimensions "
                         f"(shape {v.shape})")
    if v.size == 0:
        raise InputError(f"{name} is empty (shape {v.shape})")
    if v.dtype.kind == "f" and not np.isfinite(v).all():
        raise InputError(f"{name} contains NaN or inf")
    if v.min() == v.max():
        raise InputError(f"{name} is constant (every voxel = {v.flat[0]}); there is nothing "
                         "to segment")
    return v[None] if v.ndim == 2 else v


def load_model(checkpoint: str | os.PathLike | None = None) -> tuple["UNet", dict[str, Any]]:
    """Load a checkpoint folder, or the pretrained ISBI-2012 model shipped with the package.

    Parameters
    ----------
    checkpoint : path, optional
        Checkpoint folder (``state_dict.pt`` + ``config.json``); None = the shipped model.

    Returns
    -------
    model : UNet
    metadata : dict
    """
    from .model import default_checkpoint_path, load_checkpoint

    path = default_checkpoint_path() if checkpoint is None else Path(checkpoint)
    return load_checkpoint(path)


def default_params(metadata: dict[str, Any] | None = None) -> WatershedParams:
    """Watershed parameters tuned with a checkpoint (stored in its metadata), else defaults.

    Parameters
    ----------
    metadata : dict, optional
        Checkpoint metadata (from :func:`load_model`).

    Returns
    -------
    WatershedParams
    """
    if metadata and isinstance(metadata.get("watershed_params"), dict):
        from dataclasses import fields

        given = metadata["watershed_params"]
        unknown = sorted(set(given) - {f.name for f in fields(WatershedParams)})
        if unknown:
            raise DataFileError(f"the checkpoint's watershed_params has unknown setting(s) {unknown}; known: "
                                f"{[f.name for f in fields(WatershedParams)]}")
        try:
            return WatershedParams(**given)
        except InputError as exc:
            raise DataFileError(f"the checkpoint's watershed_params: {exc}") from None
    return WatershedParams()


def segment_volume(volume, model: "UNet | None" = None, params: WatershedParams | None = None,
                   tta: bool = False, per_slice: bool = True, batch_size: int = 4,
                   progress: bool = False, precision: str = "float32") -> tuple[np.ndarray, np.ndarray]:
    """Boundary prediction + watershed/agglomeration on an in-memory image or volume.

    Parameters
    ----------
    volume : ndarray (y, x) or (z, y, x)
        EM intensities.
    model : UNet, optional
        Defaults to the shipped checkpoint (and its tuned watershed parameters).
    params : WatershedParams, optional
    tta : bool
        Test-time flips.
    per_slice : bool
        Segment each z slice separately (2D model on anisotropic sections).
    batch_size : int
        Slices (2D) or crops (3D) per forward pass.
    progress : bool
        Show a progress bar.
    precision : {"float32", "bfloat16"}
        Arithmetic of the U-Net's forward pass (see :func:`~.inference.predict`).

    Returns
    -------
    labels : ndarray uint32, same shape as ``volume``
    boundaries : ndarray float32, same shape (membrane probability)
    """
    from .inference import affinities_to_boundary, predict

    v = np.asarray(volume)
    was_2d = v.ndim == 2
    v = check_volume(v)
    meta = None
    if model is None:
        model, meta = load_model(None)
    if params is None:
        params = default_params(meta)
    if model.config.ndim == 2 and model.config.target == "boundary" and per_slice and len(v) > batch_size:
        labels, bnd = _segment_slices_pipelined(v, model, params, tta, batch_size, progress, precision)
    else:
        out = predict(model, v, tta=tta, batch_size=batch_size, progress=progress, precision=precision)
        bnd = out if model.config.target == "boundary" else affinities_to_boundary(out)
        labels = segment_boundaries(bnd, params, per_slice=per_slice)
    if was_2d:
        return labels[0], bnd[0]
    return labels, bnd


def _segment_slices_pipelined(v: np.ndarray, model: "UNet", params: WatershedParams, tta: bool,
                              batch_size: int, progress: bool, precision: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`segment_volume` of a 2D boundary model, per slice: while the U-Net predicts one batch of
    slices, a second thread segments the previous batch.

    The U-Net's convolutions keep both cores busy only part of the time and the instance step is
    serial; overlapping them cuts the wall time by ~25 % (``benchmarks/em.py``). Slices are
    independent for a 2D model and every batch is scaled with the whole volume's intensity range,
    so boundaries and labels equal those of predicting and segmenting the volume at once.
    """
    from concurrent.futures import ThreadPoolExecutor

    from tqdm.auto import tqdm

    from .inference import predict

    value_range = (float(v.min()), float(v.max()))
    bnd = np.empty(v.shape, np.float32)
    labels = np.empty(v.shape, np.uint32)
    bar = tqdm(total=len(v), disable=not progress, desc="U-Net + watershed", unit="slice", mininterval=1)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = []
        for z0 in range(0, len(v), batch_size):
            z1 = min(z0 + batch_size, len(v))
            bnd[z0:z1] = predict(model, v[z0:z1], tta=tta, batch_size=batch_size, value_range=value_range,
                                 precision=precision)
            pending.append((z0, z1, pool.submit(segment_boundaries, bnd[z0:z1], params, True)))
            bar.update(z1 - z0)
        offset = 0
        for z0, z1, fut in pending:  # ids unique over the volume, as segment_boundaries numbers them
            seg = fut.result()
            labels[z0:z1] = seg + np.uint32(offset)
            offset += int(seg.max())
    bar.close()
    return labels, bnd


def read_volume(path: str | os.PathLike, key: str | None = None) -> np.ndarray:
    """Read an EM volume from a file.

    Parameters
    ----------
    path : path
        ``.npz`` (key ``raw`` or the only array), ``.tif``/``.tiff``, ``.npy`` or ``.zarr``
        (an array, or a group with ``key``).
    key : str, optional
        Array name inside an npz or zarr group.

    Returns
    -------
    ndarray, shape (z, y, x) or (y, x)
    """
    p = Path(path)
    if not p.exists():
        raise MissingFileError(f"{p} does not exist")
    suf = p.suffix.lower()
    try:
        if suf == ".npz":
            with np.load(p) as d:
                names = list(d.keys())
                k = key or ("raw" if "raw" in names else (names[0] if len(names) == 1 else None))
                if k is None or k not in names:
                    raise DataFileError(f"{p}: choose the array with --key; it holds {names}")
                return d[k]
        if suf == ".npy":
            try:
                return np.load(p)
            except ValueError as exc:
                if "allow_pickle" in str(exc):  # numpy's advice would be to run the file's code: never
                    raise DataFileError(f"{p} holds Python objects (pickled), which are never loaded; save "
                                        "the volume as a numeric array (np.save of a uint8/float array)") from None
                raise
        if suf in (".tif", ".tiff"):
            import tifffile

            return tifffile.imread(p)
        if suf == ".zarr" or p.is_dir():
            from .blockwise import open_zarr

            obj = open_zarr(p)
            if key is not None:
                obj = obj[key]
            if not hasattr(obj, "shape"):
                raise DataFileError(f"{p} is a zarr group; choose the array with --key "
                                    f"(it holds {sorted(obj.array_keys())})")
            return np.asarray(obj[...])
    except (OSError, ValueError, KeyError, EOFError) as exc:  # EOFError: an empty file
        if isinstance(exc, (InputError, DataFileError)):
            raise
        raise DataFileError(f"cannot read {p}: {exc}") from None
    raise InputError(f"{p}: unsupported volume format {suf!r} (use .npz, .npy, .tif or .zarr)")
