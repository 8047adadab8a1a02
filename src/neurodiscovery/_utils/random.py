"""Random-state handling: every stochastic function takes ``seed`` and calls :func:`as_rng`."""
from __future__ import annotations

import numpy as np

SeedLike = "int | np.random.Generator | None"


def as_rng(seed: int | np.random.Generator | None = None) -> np.random.Generator:
    """Return a numpy Generator from an int seed, an existing Generator or None (fresh entropy)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and not isinstance(seed, (int, np.integer)):
        from .errors import InputError

        raise InputError(f"seed must be an int, a numpy Generator or None, got {type(seed).__name__}")
    return np.random.default_rng(seed)


def derive_seed(rng: np.random.Generator) -> int:
    """Draw an int seed (for torch or numba kernels) from a Generator."""
    return int(rng.integers(0, 2**31 - 1))
