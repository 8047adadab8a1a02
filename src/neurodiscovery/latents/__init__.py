"""Latent structure of population activity (PCA trajectories; more models to come per issue)."""
from .pca import PopulationPCA, condition_separation

__all__ = ["PopulationPCA", "condition_separation"]
