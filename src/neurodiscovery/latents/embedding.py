"""Nonlinear embeddings for display: t-SNE (scikit-learn) and UMAP (optional ``umap-learn``)."""
from __future__ import annotations

import numpy as np

from .._utils.errors import InputError, require

EMBEDDINGS = ("tsne", "umap", "pca")


def embed(X, method: str = "tsne", n_components: int = 2, *, perplexity: float = 30.0,
          n_neighbors: int = 15, seed: int = 0) -> np.ndarray:
    """Embed samples in 2-D or 3-D for display.

    Parameters
    ----------
    X : (samples, features) or (trials, time, features)
        Latents or smoothed activity; trials are flattened and the embedding reshaped back.
    method : {"tsne", "umap", "pca"}
    n_components : int
        2 or 3.
    perplexity : float
        t-SNE perplexity (capped below the number of samples).
    n_neighbors : int
        UMAP neighbours.
    seed : int

    Returns
    -------
    ndarray, ``X.shape[:-1] + (n_components,)``

    Notes
    -----
    t-SNE and UMAP distances between clusters are not meaningful; use them to look, not to measure.
    """
    A = np.asarray(X, float)
    if A.ndim not in (2, 3) or A.size == 0:
        raise InputError(f"embed expects (samples, features) or (trials, time, features), got {A.shape}")
    if not np.all(np.isfinite(A)):
        raise InputError("embed: the data contain NaN/inf")
    if n_components not in (2, 3):
        raise InputError(f"n_components must be 2 or 3, got {n_components}")
    flat = A.reshape(-1, A.shape[-1])
    if len(flat) < 5:
        raise InputError(f"embed needs at least 5 samples, got {len(flat)}")
    if method == "tsne":
        from sklearn.manifold import TSNE

        out = TSNE(n_components=n_components, perplexity=min(perplexity, (len(flat) - 1) / 3),
                   init="pca", random_state=int(seed)).fit_transform(flat)
    elif method == "umap":
        umap = require("umap", "umap-learn")
        out = umap.UMAP(n_components=n_components, n_neighbors=min(n_neighbors, len(flat) - 1),
                        random_state=int(seed)).fit_transform(flat)
    elif method == "pca":
        from sklearn.decomposition import PCA

        out = PCA(n_components=min(n_components, flat.shape[1])).fit_transform(flat)
    else:
        raise InputError(f"unknown embedding '{method}'; available: {', '.join(EMBEDDINGS)}")
    return np.asarray(out, float).reshape(*A.shape[:-1], -1)
