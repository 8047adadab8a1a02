"""Input checks shared by the latent models (one clear line per user mistake)."""
from __future__ import annotations

import numpy as np

from .._utils.errors import InputError


def check_activity(X, name: str = "counts", *, ndim: tuple[int, ...] = (3,), counts: bool = False) -> np.ndarray:
    """Validated float64 array of activity.

    Parameters
    ----------
    X : array_like
        ``(trials, time, neurons)`` (or ``(samples, neurons)`` when 2 is in ``ndim``).
    name : str
        Name used in error messages.
    ndim : tuple of int
        Accepted numbers of dimensions.
    counts : bool
        Require non-negative integers (Poisson likelihoods need spike counts).
    """
    a = np.asarray(X, dtype=float)
    if a.ndim not in ndim:
        want = " or ".join({2: "(samples, neurons)", 3: "(trials, time, neurons)"}[d] for d in ndim)
        raise InputError(f"{name} must be {want}, got shape {a.shape}")
    if a.size == 0 or min(a.shape) == 0:
        raise InputError(f"{name} is empty (shape {a.shape})")
    if not np.all(np.isfinite(a)):
        raise InputError(f"{name} contains {int((~np.isfinite(a)).sum())} NaN/inf values; remove or "
                         "impute them before fitting")
    if counts:
        if np.any(a < 0):
            raise InputError(f"{name} has negative values; a Poisson model needs spike counts >= 0")
        if np.any(a != np.round(a)):
            raise InputError(f"{name} has non-integer values; a Poisson model needs spike counts "
                             "(use a Gaussian model for rates or normalised data)")
    return a


def check_dim(dim, n_neurons: int, name: str = "n_components") -> int:
    """A latent dimension between 1 and the number of neurons."""
    if isinstance(dim, bool) or int(dim) != dim or dim < 1:
        raise InputError(f"{name} must be a positive integer, got {dim!r}")
    if dim > n_neurons:
        raise InputError(f"{name}={dim} is larger than the number of neurons ({n_neurons}); "
                         f"choose at most {n_neurons}")
    return int(dim)


def check_n_neurons(X: np.ndarray, expected: int, what: str) -> None:
    """A fitted model only accepts data with the neuron count it was fitted on."""
    if X.shape[-1] != expected:
        raise InputError(f"{what} was fitted on {expected} neurons but the data have {X.shape[-1]}; "
                         "use data with the same neurons (in the same order)")


def split_trials(n_trials: int, test_fraction: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random train/test trial indices (sorted), at least one trial in each part.

    Raises
    ------
    InputError
        With fewer than 2 trials (nothing can be held out) or a fraction outside (0, 1).
    """
    if not 0 < test_fraction < 1:
        raise InputError(f"test_fraction must be in (0, 1), got {test_fraction}")
    n_test = round(n_trials * test_fraction)
    if n_trials < 2 or n_test < 1 or n_test >= n_trials:
        raise InputError(f"{n_trials} trial(s) are too few to hold any out (test_fraction={test_fraction}); "
                         "use more trials or a larger test fraction")
    perm = np.random.default_rng(seed).permutation(n_trials)
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


def split_neurons(n_neurons: int, heldout_fraction: float = 0.25, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Held-in / held-out neuron indices for co-smoothing (at least one of each)."""
    n_out = round(n_neurons * heldout_fraction)
    if n_neurons < 2 or n_out < 1 or n_out >= n_neurons:
        raise InputError(f"{n_neurons} neuron(s) are too few to hold any out for co-smoothing "
                         f"(heldout_fraction={heldout_fraction})")
    perm = np.random.default_rng(seed + 7919).permutation(n_neurons)
    return np.sort(perm[n_out:]), np.sort(perm[:n_out])
