"""``connectome``: DWI (or a tractogram) + parcellation in, a run folder with the structural
connectome, its graph measures, figures and a self-contained ``report.html`` out.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .._utils.errors import InputError
from .._utils.runfolder import RunFolder
from .connectome_report import write_connectome_report

WEIGHTS = ("counts", "normalized")


@dataclass
class _Inputs:
    streamlines: object
    parcellation: object
    fa: np.ndarray | None
    tractography: object | None
    phantom: object | None
    source: str
    grid_affine: np.ndarray
    grid_shape: tuple


def _grid_n(labels: str) -> int:
    try:
        return int(str(labels).split(":", 1)[1])
    except ValueError:
        raise InputError(f"--labels {labels!r}: expected grid:N with an integer N") from None


def _from_dwi(dwi_path, bvals, bvecs, labels, lut, wm_mask, brain_mask, tracking, progress) -> _Inputs:
    from ..connectomics.dmri import load_dwi, load_labels, run_tractography
    from ..connectomics.dmri.io import check_same_grid
    from ..connectomics.dmri.tractogram import box_parcellation

    if bvals is None or bvecs is None:
        raise InputError("a DWI needs --bvals and --bvecs (FSL text files)")
    dwi = load_dwi(dwi_path, bvals, bvecs)
    if labels is None:  # a connectome needs regions: boxes, said plainly, rather than a refusal
        import warnings

        warnings.warn("no --labels given: the regions are a 3 x 3 x 3 grid of boxes over the volume (grid:3), not "
                      "anatomy; give a label volume on the DWI grid for anatomical regions", stacklevel=2)
        labels = "grid:3"
    if str(labels).startswith("grid:"):
        parc = box_parcellation(dwi.shape, dwi.affine, n_per_axis=_grid_n(labels))
    else:
        parc = load_labels(labels, lut)
    check_same_grid(parc.labels.shape, parc.affine, dwi.shape, dwi.affine,
                    f"label volume {Path(labels).name}", f"the DWI {Path(dwi_path).name}")
    masks = []
    for path, what in ((wm_mask, "white-matter mask"), (brain_mask, "brain mask")):
        if path is None:
            masks.append(None)
            continue
        shape, aff, img = _image_grid(path, what)
        check_same_grid(shape, aff, dwi.shape, dwi.affine, f"{what} {Path(path).name}", "the DWI")
        masks.append(np.asarray(img.dataobj).reshape(shape) > 0)
    tr = run_tractography(dwi, tracking, wm_mask=masks[0], mask=masks[1], progress=progress)
    return _Inputs(tr.streamlines, parc, tr.tensor.fa, tr, None, Path(dwi_path).name, dwi.affine, dwi.shape)


def _image_grid(path, what: str) -> tuple[tuple, np.ndarray, np.ndarray]:
    from ..connectomics.dmri.io import _load_nifti

    img = _load_nifti(path, what)
    return tuple(int(v) for v in img.shape[:3]), np.asarray(img.affine, float), img


def _from_tractogram(path, labels, lut, reference, fa_map) -> _Inputs:
    from ..connectomics.dmri import grid_parcellation, load_labels, load_tractogram
    from ..connectomics.dmri.io import check_same_grid

    if labels is None:
        raise InputError("a tractogram needs --labels: a label volume in its space, or grid:N")
    if str(labels).startswith("grid:"):
        if reference is not None or fa_map is not None:
            raise InputError("--labels grid:N builds its own grid around the streamlines; drop --reference/--fa")
        tg = load_tractogram(path, None)
        parc = grid_parcellation(tg.streamlines, n_per_axis=_grid_n(labels))
    else:
        parc = load_labels(labels, lut)
        ref = parc
        if reference is not None:
            shape, aff, _ = _image_grid(reference, "reference image")
            check_same_grid(parc.labels.shape, parc.affine, shape, aff, f"label volume {Path(labels).name}",
                            f"the reference {Path(reference).name}")
            ref = (shape, aff)
        tg = load_tractogram(path, ref)
    fa = None
    if fa_map is not None:
        shape, aff, img = _image_grid(fa_map, "FA map")
        check_same_grid(shape, aff, parc.labels.shape, parc.affine, f"FA map {Path(fa_map).name}",
                        "the label volume")
        fa = np.asarray(img.dataobj, dtype=float).reshape(shape)
    return _Inputs(tg.streamlines, parc, fa, None, None, Path(path).name, parc.affine, parc.labels.shape)


def _from_phantom(snr, seed, tracking, progress) -> _Inputs:
    from ..connectomics.dmri import make_phantom, run_tractography

    ph = make_phantom(snr=snr, seed=seed)
    tr = run_tractography(ph.dwi, tracking, progress=progress)
    return _Inputs(tr.streamlines, ph.parcellation, tr.tensor.fa, tr, ph, f"phantom (SNR {snr:g})",
                   ph.dwi.affine, ph.dwi.shape)


def _check_inputs(dwi, tractogram, phantom_snr, labels, lut, bvals, bvecs, reference, fa_map, weight) -> None:
    given = [x is not None for x in (dwi, tractogram, phantom_snr)]
    if sum(given) != 1:
        raise InputError("give exactly one input: a DWI, --tractogram, or --phantom SNR")
    if phantom_snr is not None and any(x is not None for x in (labels, lut, bvals, bvecs, reference, fa_map)):
        raise InputError("--phantom brings its own gradients and labels; drop --labels/--lut/--bvals/--bvecs/"
                         "--reference/--fa")
    if weight not in WEIGHTS:
        raise InputError(f"weight must be one of {', '.join(WEIGHTS)}, got {weight!r}")


def _load_inputs(dwi, bvals, bvecs, tractogram, labels, lut, reference, fa_map, wm_mask, brain_mask, phantom_snr,
                 tracking, seed: int, progress: bool) -> _Inputs:
    """Streamlines and parcellation from the one input given; refuses an empty tractography."""
    if dwi is not None:
        inp = _from_dwi(dwi, bvals, bvecs, labels, lut, wm_mask, brain_mask, tracking, progress)
    elif tractogram is not None:
        inp = _from_tractogram(tractogram, labels, lut, reference, fa_map)
    else:
        inp = _from_phantom(float(phantom_snr), seed, tracking, progress)
    if len(inp.streamlines) == 0:
        raise InputError(_no_streamline_message(inp.tractography, inp.tractography.config))
    return inp


def _no_streamline_message(tr, cfg) -> str:
    """One line saying why tracking kept nothing, naming the option most likely to help."""
    head = (f"tracking kept no streamline ({tr.n_tracked} tracked from {tr.n_seeds} seeds, none "
            f"{cfg.min_length_mm:g}-{cfg.max_length_mm:g} mm long)")
    m = tr.brain_mask
    if m is not None and m.mean() < 0.5 and cfg.masking != "none":
        return (f"{head}; the brain mask holds only {int(m.sum())} of {m.size} voxels ({tr.mask_rule}): "
                "try --brain-mask none (every voxel) for a crop that holds only brain")
    return f"{head}; lower --min-length, or --seed-fa / --stop-fa"


def run_connectome(dwi=None, *, bvals=None, bvecs=None, tractogram=None, labels=None, lut=None,
                   reference=None, fa_map=None, wm_mask=None, brain_mask=None, phantom_snr: float | None = None, tracking=None,
                   radial_search_mm: float = 0.0, include_diagonal: bool = False, weight: str = "counts",
                   n_null: int = 20, seed: int = 0, out=None, progress: bool = True) -> Path:
    """Build a structural connectome and write a run folder with its report.

    Exactly one input: ``dwi`` (with ``bvals``, ``bvecs``, ``labels`` on its grid), ``tractogram``
    (``.trk``/``.tck``/``.trx`` with ``labels`` in its space, or ``labels="grid:N"``), or
    ``phantom_snr`` (the built-in phantom, scored against its known wiring).

    Parameters
    ----------
    dwi, bvals, bvecs, tractogram, labels, lut, wm_mask, brain_mask : path, optional
        ``brain_mask`` overrides ``tracking.masking``.
    reference, fa_map : path, optional
        With a tractogram: the image it was tracked on (its grid must equal the labels'), and an
        FA map on that grid for the mean FA per edge.
    phantom_snr : float, optional
    tracking : TrackingConfig, optional
    radial_search_mm : float
        End-point radial search (0 = dipy's nearest voxel).
    include_diagonal : bool
    weight : {'counts', 'normalized'}
        Matrix the graph measures use.
    n_null : int
        Rewired nulls for small-worldness and the rich club.
    seed : int
        Seeds tracking (when ``tracking`` is None), the phantom noise, Louvain and the nulls.
    out : path, optional
        Run folder (default ``runs/<timestamp>-connectome``); never overwritten.
    progress : bool
        Progress bar while tracking.

    Returns
    -------
    Path
        The run folder: ``connectome_*.csv/.npy``, ``graph_metrics.json``, ``metrics.json``,
        ``streamlines.trk`` (when tracked), ``figures/``, ``report.html``, ``config.json``.
    """
    from ..connectomics.dmri import (
        TrackingConfig,
        build_connectome,
        graph_metrics,
        save_trk,
    )

    _check_inputs(dwi, tractogram, phantom_snr, labels, lut, bvals, bvecs, reference, fa_map, weight)
    tracking = tracking or TrackingConfig(seed=seed)
    tracking.validate()
    config = {"dwi": dwi, "bvals": bvals, "bvecs": bvecs, "tractogram": tractogram, "labels": labels,
              "lut": lut, "reference": reference, "fa_map": fa_map, "wm_mask": wm_mask,
              "brain_mask": brain_mask,
              "phantom_snr": phantom_snr, "tracking": asdict(tracking),
              "radial_search_mm": radial_search_mm, "include_diagonal": include_diagonal, "weight": weight,
              "n_null": n_null, "seed": seed}
    with RunFolder("connectome", out=out, config=config) as run:
        t0 = time.perf_counter()
        inp = _load_inputs(dwi, bvals, bvecs, tractogram, labels, lut, reference, fa_map, wm_mask, brain_mask,
                           phantom_snr, tracking, seed, progress)
        t_in = time.perf_counter() - t0
        if inp.tractography is not None:
            save_trk(run.dir / "streamlines.trk", inp.streamlines, inp.grid_affine, inp.grid_shape)
        t0 = time.perf_counter()
        con = build_connectome(inp.streamlines, inp.parcellation, fa=inp.fa,
                               radial_search_mm=radial_search_mm, include_diagonal=include_diagonal)
        t_con = time.perf_counter() - t0
        con.save(run.dir)
        t0 = time.perf_counter()
        gm = graph_metrics(getattr(con, weight), n_null=n_null, seed=seed)
        t_graph = time.perf_counter() - t0
        run.write_json("graph_metrics.json", gm.as_dict(list(con.names)))
        write_connectome_report(run, inp, con, gm, weight, config,
                                {"input_and_tracking": t_in, "connectome": t_con, "graph": t_graph})
    return run.path
