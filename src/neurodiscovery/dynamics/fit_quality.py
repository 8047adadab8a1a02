"""How well a fitted rate network reproduces held-out activity, and when its claims need a warning."""
from __future__ import annotations

import numpy as np

__all__ = ["MIN_FIT_R2", "fit_quality"]

#: Held-out R² below which conclusions drawn from a fitted network (its fixed points, its
#: connectivity) are flagged: the network then explains less than half of the held-out variance
#: of the activity it is said to describe, so what it says is about the model more than the circuit.
MIN_FIT_R2 = 0.5


def fit_quality(r2_test: float | None, claim: str):
    """The held-out R² of a fitted network as a reported number, with a warning below :data:`MIN_FIT_R2`.

    Parameters
    ----------
    r2_test : float or None
        Held-out R² of the network's free-running predictions (test trials, pooled over neurons
        and time); None when it could not be measured.
    claim : str
        What is read off the network ("fixed points", "connectivity"), for the warning.

    Returns
    -------
    (Quantity, str or None)
        The R² as a :class:`~neurodiscovery._utils.quantity.Quantity` and the warning text (None
        when the fit reaches the threshold).
    """
    from .._utils.quantity import quantity

    warn = None
    if r2_test is None or not np.isfinite(r2_test):
        warn = f"the network's held-out R² could not be measured; treat its {claim} as unvalidated"
    elif r2_test < MIN_FIT_R2:
        warn = (f"the network explains {r2_test:.2f} of the held-out variance (below {MIN_FIT_R2}); its {claim} "
                "describe a model that does not reproduce the recording well")
    q = quantity("held-out R² of the fitted network (test trials, free-running from the first bin)",
                 None if r2_test is None or not np.isfinite(r2_test) else float(r2_test), "1", note=warn)
    return q, warn
