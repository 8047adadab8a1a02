"""``connectome``: DWI (or a tractogram, or the phantom) + parcellation in, a run folder with the structural
connectome, its graph measures, figures and a self-contained ``report.html`` out.

A :class:`~.command.Command`: ``execute("connectome", ConnectomeParams(phantom_snr=20))`` is the CLI's
path; :func:`run_connectome` is the keyword form kept for existing callers.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, fields
from pathlib import Path

from .._utils.errors import InputError
from .._utils.metrics_schema import array, integer, mapping, number, obj, text
from .._utils.params import Params, option
from .command import Command, execute, progress_callback, report_progress
from .connectome_inputs import ConnectomeInputs, load_inputs, no_streamline_message
from .connectome_report import connectome_key_numbers, render

__all__ = ["COMMAND", "ConnectomeInputs", "ConnectomeParams", "ConnectomeResult", "compute", "run_connectome"]

_FA = {"low": 0}  # and < 1: TrackingConfig.validate (run in __post_init__) names the field


@dataclass(frozen=True)
class ConnectomeParams(Params):
    """Parameters of ``connectome`` (the CLI options are generated from these declarations).

    The tracking fields carry the names and defaults of
    :class:`~neurodiscovery.connectomics.dmri.TrackingConfig` (a test keeps them equal).
    """

    dwi: str | None = option(None, "diffusion-weighted NIfTI (.nii/.nii.gz)", positional=True, show_default=False)
    bvals: str | None = option(None, "b-values text file (FSL layout)")
    bvecs: str | None = option(None, "gradient directions text file (FSL layout, 3 x n or n x 3)")
    tractogram: str | None = option(None, "existing .trk/.tck/.trx instead of a DWI")
    phantom_snr: float | None = option(None, "use the built-in phantom at this SNR and score it against its known "
                                       "wiring", low=0, low_open=True, flag="--phantom", metavar="SNR")
    labels: str | None = option(None, "label volume (parcellation) on the DWI grid / in the tractogram's space; "
                                "'grid:N' for an N x N x N box parcellation (a DWI without --labels: grid:3, "
                                "said in a warning)")
    reference: str | None = option(None, "with --tractogram: the image it was tracked on (checked against the "
                                   "tractogram's space and the labels' grid)")
    fa_map: str | None = option(None, "with --tractogram: FA map on the labels' grid, for the mean FA per edge",
                                flag="--fa")
    lut: str | None = option(None, "lookup table of region names ('id name' lines or 'id,name' CSV)")
    wm_mask: str | None = option(None, "white-matter mask NIfTI for --stopping tissue and seeding")
    brain_mask: str = option("auto", "auto (a pre-masked volume's non-zero voxels; median_otsu where the volume "
                             "holds dark background; else every voxel), median_otsu, none (every voxel), or a "
                             "mask NIfTI")
    model: str = option("csd", "fibre orientations", choices=("csd", "csa"))
    algorithm: str = option("deterministic", "follow the ODF peaks or sample from the ODF",
                            choices=("deterministic", "probabilistic"))
    seeding: str = option("wm", "seed white matter (FA >= --seed-fa) or the whole brain mask", choices=("wm", "mask"))
    seeds_per_voxel: int = option(2, "seeds per seed voxel", low=1)
    seed_fa_threshold: float = option(0.3, "FA threshold of white-matter seeding", flag="--seed-fa", **_FA)
    stopping: str = option("fa", "stop where FA < --stop-fa, or on leaving the white-matter mask",
                           choices=("fa", "tissue"))
    stop_fa_threshold: float = option(0.2, "FA below which tracking stops", flag="--stop-fa", **_FA)
    step_size_mm: float = option(0.5, "tracking step", unit="mm", low=0, low_open=True, flag="--step-size")
    max_angle_deg: float = option(30.0, "largest turn per step", unit="deg", low=0, low_open=True, flag="--max-angle")
    min_length_mm: float = option(10.0, "shortest streamline kept", unit="mm", low=0, flag="--min-length")
    max_length_mm: float = option(250.0, "longest streamline kept", unit="mm", low=0, low_open=True,
                                  flag="--max-length")
    sh_order: int = option(0, "spherical-harmonic order, even (0: 8 for CSD, 6 for CSA)", low=0)
    response_fa_threshold: float = option(0.7, "FA of the voxels the CSD response is estimated from (lowered when "
                                          "too few qualify)", flag="--response-fa", **_FA)
    median_radius: int = option(2, "median_otsu filter radius", unit="voxel", low=1)
    numpass: int = option(1, "median_otsu passes", low=1)
    radial_search_mm: float = option(0.0, "assign an unlabelled end point to the nearest region within this "
                                     "distance (0: the end point's own voxel, as dipy)", unit="mm", low=0,
                                     flag="--radial-search")
    include_diagonal: bool = option(False, "keep self-connections on the diagonal")
    weight: str = option("counts", "matrix the graph measures use", choices=("counts", "normalized"))
    n_null: int = option(20, "rewired null graphs for small-worldness and the rich club", low=0)
    seed: int = option(0, "seeds tracking, the phantom's noise, Louvain and the nulls", low=0)

    def __post_init__(self) -> None:
        super().__post_init__()
        given = [x is not None for x in (self.dwi, self.tractogram, self.phantom_snr)]
        if sum(given) != 1:
            raise InputError("give exactly one input: a DWI, --tractogram, or --phantom SNR")
        if self.phantom_snr is not None and any(x is not None for x in (self.labels, self.lut, self.bvals, self.bvecs,
                                                                        self.reference, self.fa_map)):
            raise InputError("--phantom brings its own gradients and labels; drop --labels/--lut/--bvals/--bvecs/"
                             "--reference/--fa")
        self.tracking().validate()

    def tracking(self):
        """The :class:`~neurodiscovery.connectomics.dmri.TrackingConfig` these parameters describe."""
        from ..connectomics.dmri import TrackingConfig

        named = self.brain_mask in ("auto", "median_otsu", "none")
        shared = {f.name: getattr(self, f.name) for f in fields(TrackingConfig) if f.name not in ("masking",)}
        return TrackingConfig(masking=self.brain_mask if named else "auto", **shared)


@dataclass(frozen=True)
class ConnectomeResult:
    """Typed result of ``connectome``.

    Attributes
    ----------
    params : ConnectomeParams
    inputs : ConnectomeInputs
        What was read (``streamlines`` are the tracked ones when a DWI was given).
    tractography : Tractography or None
        The tracking result (None for a tractogram).
    connectome : Connectome
        Counts, normalised counts, mean FA and length per region pair.
    graph : GraphMetrics
        Graph measures of the ``params.weight`` matrix.
    phantom_score : ConnectomeScore or None
        Accuracy against the phantom's known wiring.
    timings_s : dict
        Wall time per stage (s).
    """

    params: ConnectomeParams
    inputs: ConnectomeInputs
    tractography: object
    connectome: object
    graph: object
    phantom_score: object = None
    timings_s: dict = field(default_factory=dict)

    @property
    def streamlines(self):
        """The streamlines assigned (world coordinates, mm)."""
        return self.tractography.streamlines if self.tractography is not None else self.inputs.streamlines

    def key_numbers(self) -> list:
        """Streamline counts, regions, edges, components, modularity, efficiencies, small-worldness (typed)."""
        from .._utils.quantity import count

        key = list(connectome_key_numbers(self.connectome, self.graph, self.params.weight, self.inputs.source).values())
        if self.phantom_score is not None:
            n = self.connectome.n_streamlines
            key.insert(1, count("streamlines joining truly connected regions (phantom wiring)",
                                round(self.phantom_score.fraction_true * n), n, "streamlines"))
        return key

    def to_metrics(self) -> dict:
        """Timings, tracking summary, streamline assignment counts and (phantom) the wiring score."""
        import numpy as np

        con = self.connectome
        tr = {k: v for k, v in self.tractography.summary().items() if k != "config"} \
            if self.tractography is not None else {}
        out = {"timings_s": dict(self.timings_s), "tractography": tr,
               "connectivity": {"n_streamlines": con.n_streamlines, "n_assigned": con.n_assigned,
                                "n_self": con.n_self, "n_between_regions": con.n_assigned - con.n_self,
                                "n_edges": int(np.count_nonzero(np.triu(con.counts, 1))),
                                "n_regions": len(con.names)},
               "graph": {}}
        if self.phantom_score is not None:
            out["phantom"] = self.phantom_score.as_dict()
        return out


def compute(params: ConnectomeParams, inputs: ConnectomeInputs) -> ConnectomeResult:
    """Track (a DWI), assign end points to regions, and measure the graph (no files, no figures).

    Parameters
    ----------
    params : ConnectomeParams
    inputs : ConnectomeInputs
        From :func:`~.connectome_inputs.load_inputs` (or built by hand).

    Returns
    -------
    ConnectomeResult
    """
    from ..connectomics.dmri import build_connectome, graph_metrics, run_tractography, score_connectome

    t0 = time.perf_counter()
    tr = None
    if inputs.dwi is not None and inputs.streamlines is None:
        tracking = params.tracking()
        tr = run_tractography(inputs.dwi, tracking, wm_mask=inputs.wm_mask, mask=inputs.brain_mask,
                              progress=progress_callback() is not None)
        if len(tr.streamlines) == 0:
            raise InputError(no_streamline_message(tr, tr.config))
    streamlines = tr.streamlines if tr is not None else inputs.streamlines
    fa = tr.tensor.fa if tr is not None else inputs.fa
    t_in = time.perf_counter() - t0
    report_progress(f"{len(streamlines)} streamlines; building the connectome")
    t0 = time.perf_counter()
    con = build_connectome(streamlines, inputs.parcellation, fa=fa, radial_search_mm=params.radial_search_mm,
                           include_diagonal=params.include_diagonal)
    t_con = time.perf_counter() - t0
    t0 = time.perf_counter()
    gm = graph_metrics(getattr(con, params.weight), n_null=params.n_null, seed=params.seed)
    t_graph = time.perf_counter() - t0
    score = score_connectome(con, inputs.phantom) if inputs.phantom is not None else None
    return ConnectomeResult(params, inputs, tr, con, gm, score,
                            {"input_and_tracking": t_in, "connectome": t_con, "graph": t_graph})


def _write(result: ConnectomeResult, folder: Path) -> None:
    from .._utils.runfolder import write_json
    from ..connectomics.dmri import save_trk

    inp = result.inputs
    if result.tractography is not None:
        save_trk(folder / "streamlines.trk", result.streamlines, inp.grid_affine, inp.grid_shape)
    result.connectome.save(folder)
    write_json(folder / "graph_metrics.json", result.graph.as_dict(list(result.connectome.names)))


def metrics_properties() -> dict:
    """Declared top-level keys of ``connectome``'s ``metrics.json``."""
    n = integer
    tracking = obj({"n_seeds": n("1", "seeds"), "n_tracked": n("1", "streamlines"),
                    "n_streamlines": n("1", "streamlines"),
                    "response_evals_mm2_s": {"anyOf": [{"type": "null"}, array(number("mm^2/s"))]},
                    "response_voxels": n("1", "voxels", nullable=True),
                    "response_fa_threshold": number("1"), "stage_seconds": mapping(number("s")),
                    "brain_mask_rule": text("how the brain mask was made"),
                    "brain_mask_voxels": n("1", "voxels in the brain mask", nullable=True)}, required=())
    conn = obj({"n_streamlines": n("1", "streamlines"), "n_assigned": n("1", "streamlines"),
                "n_self": n("1", "streamlines starting and ending in one region"),
                "n_between_regions": n("1", "streamlines joining two different regions"),
                "n_edges": n("1", "edges"), "n_regions": n("1", "regions")})
    phantom = obj({"n_streamlines": n("1", "streamlines"), "fraction_true": number("1"),
                   "fraction_true_of_assigned": number("1"), "true_edges_found": n("1", "edges"),
                   "n_true_edges": n("1", "edges"), "missing_edges": array(array(text())),
                   "false_edges": array(array(text())), "false_edge_streamlines": n("1", "streamlines")})
    return {"timings_s": mapping(number("s")), "tractography": tracking, "connectivity": conn,
            "graph": obj({}, required=(), description="empty: the graph measures are in graph_metrics.json"),
            "phantom": phantom}


COMMAND = Command(
    "connectome", "diffusion MRI -> tractography -> parcellated structural connectome -> graph measures; writes the "
    "matrix (CSV + NPY), graph metrics, figures and report.html", ConnectomeParams, compute, render,
    metrics_properties, load=load_inputs, write=_write, uses_torch=lambda p: False,
    metrics_required=("timings_s", "tractography", "connectivity", "graph"),
    line=lambda run: f"run folder: {run.path}",
    title=lambda p, r: f"neurodiscovery connectome — {r.inputs.source}")


def run_connectome(dwi=None, *, out=None, tracking=None, progress: bool = True, **params) -> Path:
    """Build a structural connectome and write a run folder with its report.

    Parameters
    ----------
    dwi : path, optional
        Diffusion-weighted NIfTI (or give ``tractogram=`` or ``phantom_snr=``).
    out : path, optional
        Run folder (default ``runs/<timestamp>-connectome``); never overwritten.
    tracking : TrackingConfig, optional
        Tracking settings (its fields become the matching :class:`ConnectomeParams` fields; a
        ``brain_mask`` path given separately wins over its ``masking``).
    progress : bool
        Progress bar while tracking.
    **params
        Any field of :class:`ConnectomeParams` (``bvals``, ``bvecs``, ``labels``, ``tractogram``,
        ``phantom_snr``, ``weight``, ``n_null``, ``seed``, ...).

    Returns
    -------
    Path
        The run folder: ``connectome_*.csv/.npy``, ``graph_metrics.json``, ``metrics.json``,
        ``streamlines.trk`` (when tracked), ``figures/``, ``report.html``, ``config.json``.
    """
    if tracking is not None:
        from dataclasses import asdict

        cfg = asdict(tracking)
        masking = cfg.pop("masking")
        params = {**cfg, "brain_mask": params.pop("brain_mask", None) or masking, **params}
    params = {k: v for k, v in params.items() if not (k == "brain_mask" and v is None)}
    p = ConnectomeParams(dwi=None if dwi is None else str(dwi),
                         **{k: str(v) if isinstance(v, Path) else v for k, v in params.items()})
    return execute(COMMAND, p, out=out, progress=(lambda s: None) if progress else None).path
