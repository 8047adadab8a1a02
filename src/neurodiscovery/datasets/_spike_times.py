"""Spike times from binned counts (numpy only: importing it must not load numba)."""
from __future__ import annotations

import numpy as np


def spikes_from_counts(counts: np.ndarray, t0_s: np.ndarray, bin_size_s: float, rng) -> list[np.ndarray]:
    """Spike times from ``(time, neurons)`` counts, uniform within each bin starting at ``t0_s``."""
    out = []
    for j in range(counts.shape[1]):
        c = counts[:, j].astype(np.int64)
        starts = np.repeat(t0_s, c)
        out.append(np.sort(starts + rng.uniform(0, bin_size_s, size=starts.size)))
    return out
