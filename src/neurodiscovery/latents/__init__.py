"""Latent structure of population activity.

Linear models (:class:`PopulationPCA`, :class:`PopulationFA`, :class:`GPFA`), the smoothing
baseline, VAEs on counts (:class:`GaussianVAE`, :class:`PoissonVAE`), an LFADS-style
:class:`SeqVAE`, NLB-style scores (:func:`bits_per_spike`, :func:`fit_and_score`), the
unsupervised head-direction ring (:class:`RingManifold`, :func:`fit_ring`) and display
embeddings (:func:`embed`). Torch is imported only when a torch model is fitted or loaded.
"""
from .compare import METHODS, MethodResult, NLBSplit, fit_and_score, make_model
from .embedding import EMBEDDINGS, embed
from .evaluation import (
    LatentScores,
    PoissonReadout,
    behavior_r2,
    bits_per_spike,
    poisson_nll,
    psth_r2,
)
from .gpfa import GPFA
from .linear import GaussianSmoothing, PopulationFA
from .pca import PopulationPCA, condition_separation
from .recording import (
    LatentsFit,
    RingResult,
    fit_latents,
    fit_ring,
    hd_units,
    trial_counts,
)
from .ring import AngleAlignment, RingManifold, align_angle, circular_error
from .section import LatentStructure, latent_structure
from .seqvae import SeqVAE
from .vae import GaussianVAE, PoissonVAE

__all__ = [
    "EMBEDDINGS", "GPFA", "METHODS", "AngleAlignment", "GaussianSmoothing", "GaussianVAE", "LatentScores",
    "LatentStructure", "LatentsFit", "MethodResult", "NLBSplit", "PoissonReadout", "PoissonVAE",
    "PopulationFA", "PopulationPCA", "RingManifold", "RingResult", "SeqVAE", "align_angle",
    "behavior_r2", "bits_per_spike", "circular_error", "condition_separation", "embed", "fit_and_score",
    "fit_latents", "fit_ring", "hd_units", "latent_structure", "make_model", "poisson_nll", "psth_r2",
    "trial_counts",
]
