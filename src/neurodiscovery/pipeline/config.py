"""Parameters of an ``analyze`` run: every threshold the stages use, with its meaning."""
from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass

from .._utils.errors import InputError
from ._config_checks import _check_decoders, _check_latent_methods, _check_names, _check_processes
from .stages import SECTIONS, resolve_sections

__all__ = ["AnalysisConfig"]

QUICK_DECODERS = ("wiener", "bayes")  #: regression decoders of the primary behaviour in a ``quick`` run
#: Shuffles per tuning test in a ``quick`` run (enough that a few tests can survive BH over ~100).
QUICK_SHUFFLES = 200
#: Trial-condition classifiers (full run, quick run); the first is the report's pre-specified classifier.
CONDITION_CLASSIFIERS, QUICK_CONDITION_CLASSIFIERS = ("logistic", "mlp"), ("logistic",)
FIGURE_FORMATS = ("png", "svg", "pdf")  #: file formats a figure can be written in (PNG is always written)
TRACES = ("deconvolved", "dff", "fluorescence")  #: imaging traces a run can analyse

_POSITIVE = ("bin_size_s", "smooth_s", "psth_bin_s", "raster_window_s", "prediction_window_s",
             "condition_bin_s", "dynamics_bin_s", "dynamics_smooth_s", "forecast_time_budget_s", "latent_bin_s",
             "latent_segment_s", "latent_max_s", "ring_bin_s")
_COUNTS = ("n_splits", "n_threads", "n_boot", "glm_folds", "min_tuning_bins", "min_decoding_bins", "min_pca_bins",
           "n_tuning_units_primary", "n_tuning_units_other", "n_psth_units", "max_pcs",
           "dynamics_n_pcs", "forecast_window", "forecast_horizon", "forecast_epochs", "latent_dim",
           "latent_embedding_points", "max_decoding_units", "max_encoding_units")


@dataclass(frozen=True)
class AnalysisConfig:
    """Parameters of an ``analyze`` run (all recorded in ``config.json``); frozen, so a run's settings
    never change under it (:meth:`as_quick` and :func:`dataclasses.replace` give new ones). The
    command line's options (:class:`~neurodiscovery.pipeline.analyze_command.AnalyzeParams`) take
    their defaults from these fields.

    Attributes
    ----------
    bin_size_s : float
        Bin width (s) for tuning, PCA and decoding.
    sections : tuple of str
        Stages to run (keys of :data:`~neurodiscovery.pipeline.stages.SECTIONS`); the stages they
        need are added (``prediction`` needs ``decoding``). Unknown keys raise InputError.
    quick : bool
        Fast pass. It changes exactly: ``n_shuffles`` capped at ``QUICK_SHUFFLES`` (200); the primary behaviour decoded
        by ``QUICK_DECODERS`` (Wiener filter, Poisson Bayes) instead of
        :data:`neurodiscovery.decoding.DEFAULT_DECODERS`; trial conditions by the logistic
        decoder only; networks trained briefly (``quick`` of the decoders). Thresholds and
        folds are unchanged.
    decoders : tuple of str, optional
        Regression decoders of every behaviour (overrides the defaults and ``quick``).
    secondary_decoders : tuple of str
        Decoders of every behaviour but the primary one when ``decoders`` is not given
        (default the Wiener filter: fast and linear).
    max_decoding_units : int
        Most units a decoder reads (300; fewer where one design copy would pass 0.35 GB). Beyond it
        regions take turns giving their unit with the most spikes (never looking at the behaviour),
        noted in the report; ``n_units`` per decoding is in ``metrics.json``.
    max_encoding_units : int
        Most units given an encoding GLM (one forward selection each, ~2.5 s of CPU per unit on
        2 hours of 50 ms bins): beyond it, the units with the most spikes (behaviour-blind).
    n_splits : int
        Blocked cross-validation folds.
    bins_before, bins_after : int
        Spike-history window of the decoders (bins).
    n_shuffles : int
        Circular time shifts behind each tuning and place-map p-value, and label permutations
        of the direction-tuning and condition-decoding tests (1,000: enough for a
        Benjamini–Hochberg correction over ~100 tests).
    alpha : float
        False-discovery rate of the Benjamini–Hochberg correction over all tuning tests of the
        report, and the significance of each forward step of the encoding GLM.
    n_permutations, n_permutations_slow : int
        Circular shifts of the behaviour behind each decoding p-value, each refitting every fold's
        chosen decoder (:func:`neurodiscovery.decoding.nested_cross_validate`); the second when some
        fold chose a slow refit (Kalman filter, networks). Smallest attainable p: 1 / (1 + shifts).
    n_boot : int
        Bootstrap resamples of every decoding confidence interval (circular blocks for time
        series, trials for conditions).
    glm_folds : int
        Contiguous cross-validation blocks of the encoding GLM's forward selection.
    smooth_s : float
        Gaussian smoothing SD (s) of the binned counts before PCA (half of it for trial PCA).
    psth_bin_s : float
        Bin width (s) of trial-aligned counts (PSTHs, trial PCA, condition decoding).
    condition_bin_s : float
        Bin width (s) of the trial features of condition decoding (sums of PSTH bins).
    min_tuning_bins : int
        Tracked bins a behavioural variable needs before its tuning curves are computed.
    min_decoding_bins : int
        Tracked bins a behaviour needs before it is decoded.
    min_pca_bins : int
        Tracked bins of the primary behaviour above which PCA uses only the tracked period.
    max_pcs : int
        Principal components fitted (at most the number of units).
    n_tuning_units_primary, n_tuning_units_other : int
        Units whose tuning curves are drawn: for the primary behaviour (all units up to this
        many, most informative first) and for every other variable.
    n_psth_units : int
        Most condition-modulated units drawn in the PSTH figure.
    raster_window_s : float
        Length (s) of the raster window (centred on the tracked period).
    isi_violation_fraction : float
        Fraction of ISIs shorter than 1.5 ms above which a unit is counted in the key numbers.
    prediction_window_s : float
        Length (s) of held-out predictions drawn per behaviour.
    dynamics_bin_s : float
        Bin width (s) of the dynamics section's trial counts (from the trials' main event to
        the end of the shortest trial).
    dynamics_smooth_s : float
        Gaussian smoothing SD (s) of the condition averages entering jPCA.
    dynamics_n_pcs : int
        Principal components of the condition averages in which jPCA looks for rotational
        planes (even; Churchland et al. 2012 used 6).
    forecast_window : int
        History (bins) of the forecasters in the dynamics section.
    forecast_horizon : int
        Longest free-running forecast (bins); skill is reported at 1 bin and at this horizon.
    forecast_epochs : int
        Most training epochs of the GRU forecaster (early stopping on a validation block).
    forecast_time_budget_s : float
        Wall-time cap (s) on the GRU forecaster's training, so ``analyze`` stays fast on long
        recordings.
    latent_methods : tuple of str
        Latent models of the latent-structure section (names of
        :data:`neurodiscovery.latents.METHODS`). Default factor analysis only: GPFA adds
        ~20 s of CPU on the built-in recording (``("fa", "gpfa")`` turns it on).
    latent_dim : int
        Latent dimension (reduced to the held-in unit count when larger).
    latent_bin_s : float
        Bin width (s) of the latent models' trials (50 ms: FA on 20 ms bins of the built-in
        wake epoch costs 4x more for lower held-out co-bps).
    latent_segment_s : float
        Without a trial table, the wake epoch (else the whole recording) is cut into
        pseudo-trials of this length (s).
    latent_max_s : float
        Without a trial table, pseudo-trials are cut from at most this many seconds (the start
        of the wake epoch, else of the recording): a 5-dimensional FA needs far fewer 2 s
        segments than a 2-hour session holds, whose 1,000 units would make every copy of the
        segment counts 1 GB. Default 1,800 s (the built-in recording's 600 s wake is all used).
    latent_embedding : {"tsne", "umap", "pca", "none"}
        Display embedding of the test trials' latents ("none" skips it).
    latent_embedding_points : int
        Most time bins embedded (whole test trials; t-SNE cost grows with it).
    ring_bin_s : float
        Bin width (s) of the unsupervised head-direction ring (head-direction units only).
    trace : {"deconvolved", "dff", "fluorescence"}
        Imaging recordings only: the trace every stage analyses. Default ``deconvolved`` (OASIS
        activity, computed when the file lacks it): non-negative event amounts, which tuning
        (Skaggs information) and the Poisson Bayes decoder assume. ``dff`` decodes without the
        square-root transform and without the Bayes decoder (ΔF/F is signed).
    iscell_threshold : float or None
        Imaging recordings only (``--cell-probability``): the curated ``iscell`` label decides
        which ROIs are cells; ROIs without a label are kept when their probability is at least
        this (default 0.5; ROIs with neither are kept); None keeps every ROI.
    all_units : bool
        Analyse every unit, not only those a curation labelled good (NWB ``quality``, phy labels).
    seed : int
        Seeds shuffles, fold shifts and networks (default 0).
    figure_formats : tuple of str
        Formats of every figure file: PNG always (the report embeds it), plus any of ``svg``,
        ``pdf``. Default PNG only: each extra format redraws every figure, and drawing was
        most of the tuning stage's time (about 2/3 of its 12.7 s on the built-in recording).
    n_processes : int or None
        Processes of one run. With 2, the decoding stage (about 60 % of a default run's CPU
        time) runs in a second process while this one computes the other stages; every stage seeds its own generators, so the numbers are identical to a
        one-process run. None (default): 2 when at least 2 CPU cores are available and the run
        is not itself inside a worker process (a batch's dask workers run each session in one
        process, so ``--workers N`` never oversubscribes), else 1. Values above 2 act as 2.
    n_threads : int
        BLAS and torch threads. One is the default: these problems are small (10^4 bins x
        10^2 features), and on a busy 2-core machine extra threads spin-wait and run
        5-30x slower than one.
    """

    bin_size_s: float = 0.05
    sections: tuple = SECTIONS
    quick: bool = False
    decoders: tuple | None = None
    secondary_decoders: tuple = ("wiener",)
    max_decoding_units: int = 300
    max_encoding_units: int = 100
    n_splits: int = 5
    bins_before: int = 4
    bins_after: int = 4
    n_shuffles: int = 1000
    alpha: float = 0.05
    n_permutations: int = 200
    n_permutations_slow: int = 24
    n_boot: int = 1000
    glm_folds: int = 10
    smooth_s: float = 0.1
    psth_bin_s: float = 0.02
    condition_bin_s: float = 0.1
    min_tuning_bins: int = 50
    min_decoding_bins: int = 200
    min_pca_bins: int = 100
    max_pcs: int = 10
    n_tuning_units_primary: int = 24
    n_tuning_units_other: int = 6
    n_psth_units: int = 6
    raster_window_s: float = 10.0
    isi_violation_fraction: float = 0.01
    prediction_window_s: float = 60.0
    dynamics_bin_s: float = 0.02
    dynamics_smooth_s: float = 0.03
    dynamics_n_pcs: int = 6
    forecast_window: int = 10
    forecast_horizon: int = 10
    forecast_epochs: int = 30
    forecast_time_budget_s: float = 15.0
    latent_methods: tuple = ("fa",)
    latent_dim: int = 5
    latent_bin_s: float = 0.05
    latent_segment_s: float = 2.0
    latent_max_s: float = 1800.0
    latent_embedding: str = "tsne"
    latent_embedding_points: int = 500
    ring_bin_s: float = 0.1
    trace: str = "deconvolved"
    iscell_threshold: float | None = 0.5
    all_units: bool = False
    seed: int = 0
    figure_formats: tuple = ("png",)
    n_processes: int | None = None
    n_threads: int = 1

    def __post_init__(self):
        _set = object.__setattr__  # normalised once, here: the dataclass is frozen
        _set(self, "sections", resolve_sections(self.sections))
        for name in _POSITIVE:
            v = getattr(self, name)
            if not (isinstance(v, numbers.Real) and math.isfinite(v) and v > 0):
                raise InputError(f"{name} must be a finite number > 0, got {v!r}")
        for name in _COUNTS:
            v = getattr(self, name)
            if not (isinstance(v, numbers.Integral) and v >= 1):
                raise InputError(f"{name} must be an integer >= 1, got {v!r}")
        for name in ("bins_before", "bins_after", "n_shuffles", "n_permutations", "n_permutations_slow", "seed"):
            v = getattr(self, name)
            if not (isinstance(v, numbers.Integral) and v >= 0):
                raise InputError(f"{name} must be an integer >= 0, got {v!r}")
        if self.dynamics_n_pcs % 2 or self.dynamics_n_pcs < 2:
            raise InputError(f"dynamics_n_pcs must be even and >= 2 (jPCA planes come in pairs), "
                             f"got {self.dynamics_n_pcs!r}")
        _set(self, "latent_methods", _check_latent_methods(self.latent_methods))
        if self.latent_embedding not in ("tsne", "umap", "pca", "none"):
            raise InputError(f"latent_embedding must be tsne, umap, pca or none, got {self.latent_embedding!r}")
        if self.trace not in TRACES:
            raise InputError(f"trace must be {', '.join(TRACES)}, got {self.trace!r}")
        if self.iscell_threshold is not None and not 0 <= self.iscell_threshold <= 1:
            raise InputError(f"iscell_threshold must be in [0, 1] or None, got {self.iscell_threshold!r}")
        if not 0 < self.alpha < 1:
            raise InputError(f"alpha must be in (0, 1), got {self.alpha!r}")
        if self.decoders is not None:
            _set(self, "decoders", _check_decoders(self.decoders, "decoders"))
        _set(self, "secondary_decoders", _check_decoders(self.secondary_decoders, "secondary_decoders"))
        fmts = _check_names(self.figure_formats, FIGURE_FORMATS, "figure format(s)") if self.figure_formats else ()
        _set(self, "figure_formats", tuple(dict.fromkeys(("png", *fmts))))
        _check_processes(self.n_processes)
        if self.quick:
            _set(self, "n_shuffles", min(self.n_shuffles, QUICK_SHUFFLES))

    def as_quick(self) -> "AnalysisConfig":
        """A new configuration with ``quick`` on (this one is unchanged)."""
        return dataclasses.replace(self, quick=True)

    def regression_decoders(self, primary: bool) -> tuple:
        """Decoders of a behaviour: ``decoders`` if given, else the comparison for the ``primary`` one (a bool)."""
        if self.decoders is not None:
            return tuple(self.decoders)
        if not primary:
            return tuple(self.secondary_decoders)
        if self.quick:
            return QUICK_DECODERS
        from ..decoding import DEFAULT_DECODERS

        return tuple(DEFAULT_DECODERS)

    def condition_classifiers(self) -> tuple:
        """Classifiers of trial conditions (logistic only in a quick run)."""
        return QUICK_CONDITION_CLASSIFIERS if self.quick else CONDITION_CLASSIFIERS
