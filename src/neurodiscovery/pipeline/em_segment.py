"""``em segment`` as a :class:`~.command.Command` (``em-segment``): a volume into 2-D segments (in memory, or
block by block with dask for zarr input).

``execute("em-segment", EmSegmentParams(volume="vol.npz"))`` is the CLI's path; :func:`run_em_segment` is the
keyword form kept for existing callers.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .._utils.errors import InputError
from .._utils.metrics_schema import array, integer
from .._utils.params import Params, option
from .._utils.quantity import number_of
from .command import Command, execute, progress_callback, run_directory
from .em import drop_empty_figures

__all__ = ["COMMAND", "EmSegmentParams", "EmSegmentResult", "compute", "run_em_segment"]


@dataclass(frozen=True)
class EmSegmentParams(Params):
    """Parameters of ``em segment`` (the CLI options are generated from these declarations)."""

    volume: str = option(help="EM volume (z, y, x): .zarr, .npz, .npy or .tif", positional=True)
    key: str | None = option(None, "array name inside an npz / zarr group", show_default=False)
    checkpoint: str | None = option(None, "checkpoint folder (default: the shipped ISBI-2012 U-Net)", flag="--model",
                                    show_default=False)
    tta: bool = option(False, "average over in-plane flips (4x slower)")
    per_slice: bool = option(True, "one 3D watershed (isotropic data / 3D models) instead of a 2D watershed per z "
                             "slice (anisotropic ssTEM)", flag="--3d")
    blockwise: bool = option(False, "process block by block with dask (always for .zarr input)")
    block_shape: tuple[int, ...] = option((16, 256, 256), "core block z,y,x (blockwise)", unit="voxel", low=1)
    halo: tuple[int, ...] = option((0, 96, 96), "context around each block z,y,x (blockwise)", unit="voxel", low=0)
    scheduler: str | None = option(None, "dask scheduler: threads (default), synchronous, processes, or a "
                                   "dask.distributed address tcp://host:port", show_default=False)
    workers: int = option(1, "local dask threads", low=1)
    n_threads: int = option(2, "torch threads", low=1, flag="--threads")

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("block_shape", "halo"):
            if len(getattr(self, name)) != 3:
                raise InputError(f"{name} (--{name.replace('_', '-')}) needs three integers z,y,x, got "
                                 f"{','.join(map(str, getattr(self, name)))}")

    def is_zarr(self) -> bool:
        """The volume is a zarr store (segmented blockwise)."""
        return Path(self.volume).suffix.lower() == ".zarr" or Path(self.volume).is_dir()


@dataclass(frozen=True)
class EmSegmentResult:
    """Typed result of ``em segment``.

    Attributes
    ----------
    params : EmSegmentParams
    n_labels : int
        2-D segments (ids unique over the stack; the membrane label 0 is not one).
    watershed_params : dict
        The watershed settings of the checkpoint.
    metrics : dict
        ``n_labels`` and ``shape`` (in memory), or the blockwise run's counts.
    labels, boundaries, raw : ndarray (z, y, x) or None
        In memory: segment ids, membrane probability and the EM images (None when blockwise: the
        labels are in the run folder's ``segmentation.zarr``).
    """

    params: EmSegmentParams
    n_labels: int
    watershed_params: dict
    metrics: dict = field(default_factory=dict)
    labels: object = None
    boundaries: object = None
    raw: object = None

    def key_numbers(self) -> list:
        """Segments, and (in memory) segments per section, membrane fraction and empty sections."""
        from .em_report import segment_quantities

        key = [number_of("segments (2-D, ids unique over the stack)", self.n_labels, "segments")]
        return key + (list(segment_quantities(self.labels).values()) if self.labels is not None else [])

    def to_metrics(self) -> dict:
        """Segment count and shape (in memory) or the blockwise counts."""
        return dict(self.metrics)


def _load(params: EmSegmentParams):
    from ..connectomics.em import default_checkpoint_path, load_model, read_volume

    ckpt = Path(params.checkpoint) if params.checkpoint else default_checkpoint_path()
    model, meta = load_model(ckpt)  # validates the checkpoint before any work
    blockwise = params.blockwise or params.is_zarr()
    if blockwise:
        return ckpt, model, meta, None
    from ..connectomics.em.segment import check_volume

    # checked here so that a bad volume is named in the one-line error ("x.npz contains NaN or inf")
    return ckpt, model, meta, check_volume(read_volume(params.volume, params.key), name=str(params.volume))


def _zarr_source(src: Path, key: str | None) -> tuple[str, str | None]:
    from ..connectomics.em.blockwise import open_zarr

    obj = open_zarr(src)
    arr = obj[key] if key else obj
    if not hasattr(arr, "shape"):
        raise InputError(f"{src} is a zarr group; name the array with --key")
    if arr.ndim != 3:
        raise InputError(f"volume must be 3D (z, y, x), got {arr.ndim} dimensions (shape {arr.shape})")
    if min(arr.shape) == 0:
        raise InputError(f"volume is empty (shape {arr.shape})")
    return str(src), key


def _stage_as_zarr(src: Path, key, folder: Path, block_shape) -> tuple[str, None]:
    """Copy an in-memory volume file into ``folder/input.zarr`` so the blockwise path reads it lazily."""
    import zarr

    from ..connectomics.em import check_volume, read_volume

    vol = check_volume(read_volume(src, key))
    z = zarr.open_array(str(folder / "input.zarr"), mode="w", shape=vol.shape, chunks=tuple(block_shape),
                        dtype=vol.dtype)
    z[...] = vol
    return str(folder / "input.zarr"), None


def _blockwise(params: EmSegmentParams, ckpt, wp) -> EmSegmentResult:
    from ..connectomics.em import segment_blockwise

    folder = run_directory()
    if folder is None:
        raise InputError("a blockwise segmentation streams into the run folder's segmentation.zarr: run it through "
                         "execute('em-segment', ...)")
    src, zarr_in = Path(params.volume), params.is_zarr()
    src_path, zkey = _zarr_source(src, params.key) if zarr_in else _stage_as_zarr(src, params.key, folder,
                                                                                  params.block_shape)
    info = segment_blockwise(src_path, folder / "segmentation.zarr", ckpt, source_key=zkey,
                             block_shape=params.block_shape, halo=params.halo, params=wp, per_slice=params.per_slice,
                             tta=params.tta, scheduler=params.scheduler, num_workers=params.workers,
                             progress=progress_callback() is not None)
    if not zarr_in:
        shutil.rmtree(folder / "input.zarr")
    return EmSegmentResult(params, int(info["n_labels"]), wp.as_dict(), {k: v for k, v in info.items() if k != "out"})


def compute(params: EmSegmentParams, inputs) -> EmSegmentResult:
    """Segment the volume: boundary map of the U-Net, then a watershed (per section by default).

    In memory nothing is written; blockwise (zarr input or ``blockwise``) the labels stream into the
    run folder's ``segmentation.zarr`` (they may not fit in memory).

    Parameters
    ----------
    params : EmSegmentParams
    inputs : (Path, UNet, dict, ndarray or None)
        Checkpoint folder, its model and metadata, and the volume (None when blockwise).

    Returns
    -------
    EmSegmentResult
    """
    import numpy as np

    from ..connectomics.em import default_params, segment_volume

    ckpt, model, meta, raw = inputs
    wp = default_params(meta)
    if raw is None:
        return _blockwise(params, ckpt, wp)
    labels, bnd = segment_volume(raw, model, wp, tta=params.tta, per_slice=params.per_slice,
                                 progress=progress_callback() is not None)
    n = int(len(np.unique(labels[labels > 0])))  # segments; the membrane label 0 is not one
    return EmSegmentResult(params, n, wp.as_dict(), {"n_labels": n, "shape": list(labels.shape)}, labels, bnd,
                           np.asarray(raw))


def _render(result: EmSegmentResult, figures) -> list:
    from .em_report import segment_section

    return [segment_section(result, figures)]


def _write(result: EmSegmentResult, folder: Path) -> None:
    import numpy as np

    if result.labels is not None:
        np.savez_compressed(folder / "segmentation.npz", labels=result.labels,
                            boundaries=result.boundaries.astype(np.float16))
    drop_empty_figures(folder)


def metrics_properties() -> dict:
    """Declared top-level keys of ``em segment``'s ``metrics.json``."""
    n = integer
    return {"n_labels": n("1", "segments"), "shape": array(n("voxel", "volume shape")), "n_blocks": n("1", "blocks"),
            "n_fragments": n("1", "fragments"), "n_face_matches": n("1", "matches")}


COMMAND = Command(
    "em-segment", "segment an EM volume (.zarr, .npz, .npy, .tif) with the U-Net and a watershed; writes the "
    "segmentation, figures and a report", EmSegmentParams, compute, _render, metrics_properties, load=_load,
    write=_write, title=lambda p, r: f"em segment — {Path(p.volume).name}", metrics_required=("n_labels",),
    line=lambda run: f"segmented {run.result.params.volume}: {run.result.n_labels} objects; run folder: {run.path}")


def run_em_segment(volume: str | os.PathLike, *, out: str | os.PathLike | None = None, progress: bool = True,
                   **params) -> tuple[Path, int]:
    """Segment a volume file into a run folder (in memory, or blockwise for zarr / on request).

    Parameters
    ----------
    volume : path
        EM volume (z, y, x): ``.zarr``, ``.npz``, ``.npy`` or ``.tif``.
    out : path, optional
        Run folder to create (default ``runs/<timestamp>-em-segment``); never overwritten.
    progress : bool
        Show progress bars.
    **params
        Any field of :class:`EmSegmentParams` (``key``, ``checkpoint``, ``tta``, ``per_slice``, ``blockwise``,
        ``block_shape``, ``halo``, ``scheduler``, ``workers``, ``n_threads``).

    Returns
    -------
    path : Path
        Run folder with ``segmentation.npz`` (``labels``, float16 ``boundaries``) or ``segmentation.zarr``
        (blockwise), ``metrics.json``, ``report.html``, ``config.json``, ``figures/`` (in memory).
    n_labels : int
    """
    params = {k: (str(v) if isinstance(v, os.PathLike) else bool(v) if k == "blockwise" else v)
              for k, v in params.items()}
    run = execute(COMMAND, EmSegmentParams(volume=str(volume), **params), out=out,
                  progress=(lambda s: None) if progress else None)
    return run.path, run.result.n_labels
