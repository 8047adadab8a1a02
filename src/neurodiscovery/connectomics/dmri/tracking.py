"""From a DWI to streamlines: mask, tensor maps, fibre orientations, seeds, local tracking.

Each stage is a function on plain arrays built on dipy; :func:`run_tractography`
chains them under one :class:`TrackingConfig` and times each stage.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import asdict, dataclass, field

import numpy as np

from ..._utils.errors import InputError, require
from .io import DWI
from .reconstruction import MODELS, TensorMaps, auto_brain_mask, brain_mask, estimate_response, fit_fodf, fit_tensor

ALGORITHMS = ("deterministic", "probabilistic")
SEEDINGS = ("wm", "mask")
STOPPINGS = ("fa", "tissue")
MASKINGS = ("auto", "median_otsu", "none")
PMF_MAX_VALUES = 2e7  # voxels x sphere directions tabulated for tracking (160 MB in float64)


@dataclass(frozen=True)
class TrackingConfig:
    """Parameters of :func:`run_tractography` (lengths in mm, angles in degrees).

    ``masking``: ``auto`` (default; :func:`~.reconstruction.auto_brain_mask`: the non-zero
    voxels of a pre-masked volume, ``median_otsu`` where the volume holds dark background,
    else every voxel), ``median_otsu`` on the b0 volumes always, or ``none`` (every voxel).

    ``model``: fibre orientations by constrained spherical deconvolution (``csd``,
    response from single-fibre voxels of the data) or constant solid angle ``csa``.
    ``seeding``: ``wm`` seeds voxels with FA >= ``seed_fa_threshold``, ``mask`` the
    whole brain mask. ``stopping``: ``fa`` stops where interpolated FA drops below
    ``stop_fa_threshold``; ``tissue`` stops on leaving a white-matter mask (given, or
    FA >= ``stop_fa_threshold`` inside the brain).

    Parameters
    ----------
    masking : {"auto", "median_otsu", "none"}
        Brain masking.
    model : {"csd", "csa"}
        Fibre-orientation model.
    algorithm : {"deterministic", "probabilistic"}
        Follow the ODF peaks, or sample directions from the ODF.
    seeding : {"wm", "mask"}
        Seed region.
    seeds_per_voxel : int
        Seeds placed in each seed voxel.
    seed_fa_threshold, stop_fa_threshold : float
        FA (dimensionless, 0..1) of the seed region and of the stopping criterion.
    stopping : {"fa", "tissue"}
        Stopping criterion.
    step_size_mm : float
        Tracking step (mm).
    max_angle_deg : float
        Largest turn between steps (degrees).
    min_length_mm, max_length_mm : float
        Streamlines outside this length range (mm) are dropped.
    sh_order : int
        Spherical-harmonic order (even; 0 = 8 for CSD, 6 for CSA).
    response_fa_threshold : float
        FA of the voxels the CSD response is estimated from (lowered when too few qualify).
    median_radius, numpass : int
        ``median_otsu`` filter radius (voxels) and number of passes.
    seed : int
        Seeds the seed placement and probabilistic tracking.
    """

    masking: str = "auto"
    model: str = "csd"
    algorithm: str = "deterministic"
    seeding: str = "wm"
    seeds_per_voxel: int = 2
    seed_fa_threshold: float = 0.3
    stopping: str = "fa"
    stop_fa_threshold: float = 0.2
    step_size_mm: float = 0.5
    max_angle_deg: float = 30.0
    min_length_mm: float = 10.0
    max_length_mm: float = 250.0
    sh_order: int = 0  # 0: 8 for CSD, 6 for CSA
    response_fa_threshold: float = 0.7
    median_radius: int = 2
    numpass: int = 1
    seed: int = 0

    def validate(self) -> TrackingConfig:
        """Check every field; raise :class:`InputError` naming the first bad one; returns self."""
        for name, allowed in (("masking", MASKINGS), ("model", MODELS), ("algorithm", ALGORITHMS), ("seeding", SEEDINGS),
                              ("stopping", STOPPINGS)):
            if getattr(self, name) not in allowed:
                raise InputError(f"{name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}")
        if int(self.seeds_per_voxel) < 1:
            raise InputError(f"seeds_per_voxel must be >= 1, got {self.seeds_per_voxel}")
        for name in ("step_size_mm", "max_angle_deg", "max_length_mm"):
            if not getattr(self, name) > 0:
                raise InputError(f"{name} must be > 0, got {getattr(self, name)}")
        if not 0 <= self.min_length_mm < self.max_length_mm:
            raise InputError(f"need 0 <= min_length_mm < max_length_mm, got {self.min_length_mm}, "
                             f"{self.max_length_mm}")
        for name in ("seed_fa_threshold", "stop_fa_threshold", "response_fa_threshold"):
            if not 0 <= getattr(self, name) < 1:
                raise InputError(f"{name} must be in [0, 1), got {getattr(self, name)}")
        if self.sh_order % 2 or self.sh_order < 0:
            raise InputError(f"sh_order must be an even number >= 2 (0 = default), got {self.sh_order}")
        return self


@dataclass(frozen=True)
class Tractography:
    """Result of :func:`run_tractography`.

    Attributes
    ----------
    streamlines : dipy ``Streamlines``
        World coordinates (mm), after length filtering.
    tensor : TensorMaps
    seeds_mask, stop_mask : ndarray, shape (x, y, z), bool
        Where seeds were placed; the white-matter mask tracking stayed in (``tissue``)
        or the FA >= threshold region (``fa``, for display).
    n_seeds, n_tracked : int
        Seeds placed; streamlines returned by the tracker before length filtering.
    response : tuple or None
        CSD single-fibre response (eigenvalues in mm^2/s, S0) and ``response_voxels``
        the voxels it came from; FA threshold actually used in ``response_fa_threshold``.
    response_voxels : int
        Count of voxels the response was estimated from (0 without CSD).
    response_fa_threshold : float
        FA threshold (dimensionless) actually used for the response.
    stage_seconds : dict
        Wall time of each stage.
    config : TrackingConfig
    brain_mask : ndarray, shape (x, y, z), bool, or None
        The brain mask tracking used.
    mask_rule : str
        How the brain mask was made, in words.
    """

    streamlines: object
    tensor: TensorMaps
    seeds_mask: np.ndarray
    stop_mask: np.ndarray
    n_seeds: int
    n_tracked: int
    response: tuple | None
    response_voxels: int
    response_fa_threshold: float
    stage_seconds: dict = field(default_factory=dict)
    config: TrackingConfig = field(default_factory=TrackingConfig)
    brain_mask: np.ndarray | None = None
    mask_rule: str = ""

    def summary(self) -> dict:
        """Numbers for a report: counts, response, timings."""
        return {"n_seeds": self.n_seeds, "n_tracked": self.n_tracked,
                "n_streamlines": len(self.streamlines),
                "response_evals_mm2_s": None if self.response is None else list(self.response[0]),
                "response_voxels": self.response_voxels,
                "response_fa_threshold": self.response_fa_threshold, "brain_mask_rule": self.mask_rule,
                "brain_mask_voxels": None if self.brain_mask is None else int(self.brain_mask.sum()),
                "stage_seconds": dict(self.stage_seconds), "config": asdict(self.config)}


def place_seeds(mask: np.ndarray, affine: np.ndarray, *, seeds_per_voxel: int = 2,
                seed: int = 0) -> np.ndarray:
    """Uniform random seeds, ``seeds_per_voxel`` in every voxel of ``mask``; shape (n, 3), mm.

    Parameters
    ----------
    mask : ndarray of bool, shape (x, y, z)
        Seed voxels.
    affine : ndarray, shape (4, 4)
        Voxel-to-world (mm) transform.
    seeds_per_voxel : int
        Seeds per voxel.
    seed : int
        Seeds the positions.

    Returns
    -------
    ndarray, shape (n, 3)
        World coordinates (mm).
    """
    from dipy.tracking.utils import random_seeds_from_mask

    if not mask.any():
        raise InputError("the seed mask is empty: lower the seeding FA threshold or seed the brain mask")
    return random_seeds_from_mask(mask, affine, seeds_count=int(seeds_per_voxel),
                                  seed_count_per_voxel=True, random_seed=int(seed))


def _direction_getter(cls, shm_coeff, max_angle_deg, sphere):
    if shm_coeff[..., 0].size * len(sphere.vertices) <= PMF_MAX_VALUES:
        # tabulating the ODF on the sphere once halves tracking time against evaluating
        # the SH series at every step; only affordable for small volumes
        from dipy.reconst.shm import order_from_ncoef, sh_to_sf

        pmf = np.clip(sh_to_sf(shm_coeff, sphere, sh_order_max=order_from_ncoef(shm_coeff.shape[-1])), 0, None)
        return cls.from_pmf(pmf, max_angle=float(max_angle_deg), sphere=sphere)
    return cls.from_shcoeff(shm_coeff, max_angle=float(max_angle_deg), sphere=sphere)


def track(shm_coeff: np.ndarray, stopping, seeds: np.ndarray, affine: np.ndarray, *,
          algorithm: str = "deterministic", step_size_mm: float = 0.5, max_angle_deg: float = 30.0,
          max_length_mm: float = 250.0, seed: int = 0, progress: bool = False) -> list:
    """Local tracking from ``seeds`` along the ODF peaks (deterministic) or sampled from them.

    Parameters
    ----------
    shm_coeff : ndarray, shape (x, y, z, n_coefficients)
    stopping : dipy ``StoppingCriterion``
    seeds : ndarray, shape (n_seeds, 3), mm
    affine : ndarray, shape (4, 4)
    algorithm : {"deterministic", "probabilistic"}
        Follow the ODF peaks, or sample directions from the ODF.
    step_size_mm : float
        Tracking step (mm).
    max_angle_deg : float
        Largest turn between steps (degrees).
    max_length_mm : float
        Longest streamline (mm).
    seed : int
        Seeds probabilistic tracking.
    progress : bool
        tqdm counter of streamlines on stderr.

    Returns
    -------
    list of ndarray (n_points, 3)
        Streamlines with more than one point, world mm (dipy starts one per ODF peak at a seed).
    """
    from dipy.data import default_sphere
    from dipy.direction import (
        DeterministicMaximumDirectionGetter,
        ProbabilisticDirectionGetter,
    )
    from dipy.tracking.local_tracking import LocalTracking
    from tqdm.auto import tqdm

    cls = DeterministicMaximumDirectionGetter if algorithm == "deterministic" else ProbabilisticDirectionGetter
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)  # dipy's legacy-SH-basis notice
        dg = _direction_getter(cls, shm_coeff, max_angle_deg, default_sphere)
    gen = LocalTracking(dg, stopping, seeds, affine, step_size=float(step_size_mm),
                        maxlen=int(np.ceil(max_length_mm / step_size_mm)) + 1, return_all=True,
                        random_seed=int(seed))  # dipy reseeds per seed point: reproducible
    return [s for s in tqdm(gen, desc="tracking", unit=" streamlines", disable=not progress,
                            mininterval=0.5) if len(s) > 1]


def run_tractography(dwi: DWI, config: TrackingConfig | None = None, *, wm_mask: np.ndarray | None = None,
                     mask: np.ndarray | None = None, progress: bool = False) -> Tractography:
    """Brain mask -> tensor (FA, MD) -> fODF (CSD or CSA) -> seeds -> local tracking -> length filter.

    Parameters
    ----------
    dwi : DWI
    config : TrackingConfig, optional
    wm_mask : ndarray, shape (x, y, z), bool, optional
        White-matter mask for ``stopping='tissue'`` and for seeding (default: FA-based).
    mask : ndarray, shape (x, y, z), bool, optional
        Brain mask; overrides ``config.masking``.
    progress : bool

    Returns
    -------
    Tractography
    """
    require("dipy", "neurodiscovery[dmri]")
    from dipy.tracking.stopping_criterion import (
        BinaryStoppingCriterion,
        ThresholdStoppingCriterion,
    )
    from dipy.tracking.streamline import Streamlines, length

    cfg = (config or TrackingConfig()).validate()
    t: dict[str, float] = {}
    t0 = time.perf_counter()
    mask, rule = _brain_mask(dwi, cfg, mask)
    t["mask"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    tensor = fit_tensor(dwi, mask)
    t["tensor"] = time.perf_counter() - t0
    if wm_mask is not None:
        wm_mask = np.asarray(wm_mask, bool)
        if wm_mask.shape != dwi.shape:
            raise InputError(f"white-matter mask has shape {wm_mask.shape}, the DWI grid is {dwi.shape}")
        wm = wm_mask & mask
    else:
        wm = mask & (tensor.fa >= cfg.stop_fa_threshold)
    # fODFs are needed only where tracking can go: the tracking region grown by one voxel
    from scipy.ndimage import binary_dilation

    fit_mask = binary_dilation(wm) & mask
    t0 = time.perf_counter()
    response, n_resp, thr = (None, 0, float("nan"))
    if cfg.model == "csd":
        response, n_resp, thr = estimate_response(dwi, tensor, fa_threshold=cfg.response_fa_threshold)
    shm = fit_fodf(dwi, fit_mask, model=cfg.model, sh_order=cfg.sh_order, response=response)
    t["fodf"] = time.perf_counter() - t0
    seeds_mask = (tensor.fa >= cfg.seed_fa_threshold) & wm if cfg.seeding == "wm" else mask
    seeds = place_seeds(seeds_mask, dwi.affine, seeds_per_voxel=cfg.seeds_per_voxel, seed=cfg.seed)
    stopping = (ThresholdStoppingCriterion(tensor.fa, cfg.stop_fa_threshold) if cfg.stopping == "fa"
                else BinaryStoppingCriterion(wm.astype(np.uint8)))
    t0 = time.perf_counter()
    raw = track(shm, stopping, seeds, dwi.affine, algorithm=cfg.algorithm, step_size_mm=cfg.step_size_mm,
                max_angle_deg=cfg.max_angle_deg, max_length_mm=cfg.max_length_mm, seed=cfg.seed,
                progress=progress)
    t["tracking"] = time.perf_counter() - t0
    lens = np.asarray(length(Streamlines(raw)), float) if raw else np.zeros(0)
    keep = (lens >= cfg.min_length_mm) & (lens <= cfg.max_length_mm)
    kept = Streamlines([s for s, k in zip(raw, keep) if k])
    return Tractography(kept, tensor, seeds_mask, wm, len(seeds), len(raw), response, n_resp, thr, t, cfg,
                        mask, rule)


def _brain_mask(dwi: DWI, cfg: TrackingConfig, mask: np.ndarray | None) -> tuple[np.ndarray, str]:
    """The brain mask tracking uses and the rule that made it."""
    if mask is not None:
        mask = np.asarray(mask, bool)
        if mask.shape != dwi.shape or not mask.any():
            raise InputError(f"brain mask must be a non-empty {dwi.shape} volume, got shape {mask.shape}")
        return mask, f"given mask ({int(mask.sum())} voxels)"
    if cfg.masking == "none":
        return np.ones(dwi.shape, bool), "every voxel (--brain-mask none)"
    if cfg.masking == "auto":
        return auto_brain_mask(dwi, median_radius=cfg.median_radius, numpass=cfg.numpass)
    m = brain_mask(dwi, median_radius=cfg.median_radius, numpass=cfg.numpass)
    return m, f"median_otsu ({m.mean():.0%} of the volume)"
